//! Loading every rule file under a folder.

use std::fs;
use std::path::{Path, PathBuf};

use crate::problem::RuleProblem;
use crate::rule::{Rule, parse_rule};

/// Whether `path` names a rule file (`.yml` / `.yaml`, any case).
pub fn is_rule_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

/// Loads every `.yml` / `.yaml` file under `dir`, recursively, in path order
/// (`dir` may also be a single file).
///
/// A file that cannot be read or parsed becomes a [`RuleProblem`] naming the
/// file and, for YAML errors, the line; the other files still load. Hidden
/// entries (names starting with `.`) are skipped.
pub fn load_rules(dir: impl AsRef<Path>) -> (Vec<Rule>, Vec<RuleProblem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let dir = dir.as_ref();
    if dir.is_file() {
        files.push(dir.to_path_buf());
    } else {
        walk(dir, &mut files, &mut problems);
    }
    files.sort();
    let mut rules = Vec::new();
    for file in files {
        match fs::read_to_string(&file) {
            Ok(text) => match parse_rule(&text, &file) {
                Ok(rule) => rules.push(rule),
                Err(p) => problems.push(p),
            },
            Err(e) => problems.push(RuleProblem::error(&file, None, format!("cannot read: {e}"))),
        }
    }
    (rules, problems)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<RuleProblem>) {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(RuleProblem::error(
                dir,
                None,
                format!("cannot read folder: {e}"),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, files, problems);
        } else if is_rule_file(&path) {
            files.push(path);
        }
    }
}
