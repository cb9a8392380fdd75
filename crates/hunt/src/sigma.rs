//! Running Sigma rules directly: converting a folder of them into rules.

use std::fs;
use std::path::{Path, PathBuf};

use trailhunt_rules::sigma::convert;
use trailhunt_rules::{Rule, RuleProblem, is_rule_file, parse_rule};

/// A Sigma rule that was not converted, and why (never skipped silently).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigmaRefusal {
    /// The Sigma file.
    pub path: PathBuf,
    /// The construct with no equivalent (`re`, `count() by`, `yaml`, …).
    pub construct: String,
    /// What exactly.
    pub message: String,
}

impl std::fmt::Display for SigmaRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: not converted: unsupported `{}`: {}",
            self.path.display(),
            self.construct,
            self.message
        )
    }
}

/// Converts every `.yml`/`.yaml` Sigma rule under `dir` (recursively, in path
/// order; `dir` may be one file) into a [`Rule`]. Converted rules are saved
/// queries (no schedule keys): a [`crate::Detector`] gives them the default
/// schedule ([`crate::Schedule`]).
pub fn load_sigma_rules(dir: &Path) -> (Vec<Rule>, Vec<SigmaRefusal>) {
    let mut files = Vec::new();
    let mut refused = Vec::new();
    collect(dir, &mut files, &mut refused);
    files.sort();
    let mut rules = Vec::new();
    for path in files {
        let refuse = |construct: &str, message: String| SigmaRefusal {
            path: path.clone(),
            construct: construct.to_string(),
            message,
        };
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                refused.push(refuse("file", format!("cannot read: {e}")));
                continue;
            }
        };
        match convert(&text) {
            Ok(c) => match parse_rule(&c.to_rule_yaml(), &path) {
                Ok(rule) => rules.push(rule),
                Err(RuleProblem { message, .. }) => refused.push(refuse("yaml", message)),
            },
            Err(e) => refused.push(refuse(&e.construct, e.message)),
        }
    }
    (rules, refused)
}

fn collect(path: &Path, files: &mut Vec<PathBuf>, refused: &mut Vec<SigmaRefusal>) {
    if path.is_file() {
        files.push(path.to_path_buf());
        return;
    }
    let entries = match fs::read_dir(path) {
        Ok(e) => e,
        Err(e) => {
            refused.push(SigmaRefusal {
                path: path.to_path_buf(),
                construct: "folder".into(),
                message: format!("cannot read: {e}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            collect(&p, files, refused);
        } else if is_rule_file(&p) {
            files.push(p);
        }
    }
}
