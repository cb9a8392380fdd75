//! The saved-query library: folders of YAML files in the rule format (LANGUAGE.md §6)
//! without schedule keys. Read with `trailhunt_rules`; written by the REPL's `\save`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use trailhunt_rules::{Rule, load_rules};

include!(concat!(env!("OUT_DIR"), "/starter_queries.rs"));

/// One saved query and the name to call it by (its file name without extension).
#[derive(Debug, Clone)]
pub struct Entry {
    /// What `\run` and `library run` take: the file stem.
    pub id: String,
    /// The parsed file.
    pub rule: Rule,
    /// A built-in starter query's YAML (it has no file).
    pub builtin: Option<&'static str>,
}

impl Entry {
    /// Where it comes from: its folder, or `built-in`.
    pub fn source(&self) -> String {
        match self.builtin {
            Some(_) => "built-in".to_string(),
            None => self
                .rule
                .path
                .parent()
                .map_or_else(String::new, |p| p.display().to_string()),
        }
    }

    /// The YAML it was read from.
    pub fn text(&self) -> Result<String> {
        match self.builtin {
            Some(t) => Ok(t.to_string()),
            None => std::fs::read_to_string(&self.rule.path)
                .with_context(|| format!("cannot read {}", self.rule.path.display())),
        }
    }
}

/// Where saved queries are looked for, in order; the first of two with one name wins.
#[derive(Debug, Clone)]
pub struct Library {
    /// Folders searched: `--library` folders, then `./queries`, then the user's.
    pub dirs: Vec<PathBuf>,
    /// Where `\save` writes (the user's config folder).
    pub save_dir: Option<PathBuf>,
}

/// `<config dir>/trailhunt/queries` (e.g. `~/.config/trailhunt/queries` on Linux).
pub fn user_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("trailhunt").join("queries"))
}

/// `<data dir>/trailhunt/history.txt`: the REPL's history.
pub fn history_file() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("trailhunt").join("history.txt"))
}

impl Library {
    /// The default folders plus `extra`.
    pub fn new(extra: &[PathBuf]) -> Library {
        let mut dirs: Vec<PathBuf> = extra.to_vec();
        dirs.push(PathBuf::from("queries"));
        let save_dir = user_dir();
        dirs.extend(save_dir.clone());
        Library { dirs, save_dir }
    }

    /// Every saved query, sorted by name, and one line per file that could not be read.
    /// The built-in starter queries come last: a file of the same name replaces one.
    pub fn entries(&self) -> (Vec<Entry>, Vec<String>) {
        let mut out: Vec<Entry> = Vec::new();
        let mut problems = Vec::new();
        for dir in &self.dirs {
            if !dir.exists() {
                continue;
            }
            let (rules, probs) = load_rules(dir);
            problems.extend(probs.iter().map(|p| p.to_string()));
            for rule in rules {
                let id = stem(&rule.path);
                if !out.iter().any(|e| e.id == id) {
                    out.push(Entry {
                        id,
                        rule,
                        builtin: None,
                    });
                }
            }
        }
        for (id, text) in STARTER_QUERIES {
            if out.iter().any(|e| e.id == *id) {
                continue;
            }
            match trailhunt_rules::parse_rule(text, format!("built-in/{id}.yml")) {
                Ok(rule) => out.push(Entry {
                    id: id.to_string(),
                    rule,
                    builtin: Some(text),
                }),
                Err(p) => problems.push(format!("built-in query {id}: {p}")),
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        (out, problems)
    }

    /// The saved query called `name` (file name without extension, or its `name:`).
    pub fn find(&self, name: &str) -> Result<Entry> {
        let (entries, _) = self.entries();
        if let Some(e) = entries
            .iter()
            .find(|e| e.id == name)
            .or_else(|| entries.iter().find(|e| e.id.eq_ignore_ascii_case(name)))
            .or_else(|| {
                entries
                    .iter()
                    .find(|e| e.rule.name.eq_ignore_ascii_case(name))
            })
        {
            return Ok(e.clone());
        }
        let names: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        let hint = match trailhunt_lang::suggest::did_you_mean(name, &names) {
            Some(s) => format!("; did you mean `{s}`?"),
            None if names.is_empty() => format!(
                "; the library is empty (looked in {})",
                self.dirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "; `trailhunt library list` shows the names".to_string(),
        };
        bail!("no saved query called `{name}`{hint}")
    }

    /// Save `query` as `name` in the user's folder; returns the file written.
    pub fn save(&self, name: &str, query: &str) -> Result<PathBuf> {
        check_name(name)?;
        let dir = self
            .save_dir
            .as_ref()
            .context("no user config folder to save queries in (is HOME set?)")?;
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join(format!("{name}.yml"));
        std::fs::write(&path, saved_query_yaml(name, query))
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        bail!("`{name}` cannot name a saved query: use letters, digits, `-`, `_` and `.`");
    }
    Ok(())
}

/// The YAML of a saved query; the query is a `|-` block so it reads as typed.
pub fn saved_query_yaml(name: &str, query: &str) -> String {
    let mut out =
        format!("name: {name}\ndescription: Saved from the trailhunt REPL.\nquery_text: |-\n");
    for line in query.trim().lines() {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            out.push_str("  ");
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_yaml_reads_back_as_the_same_query() {
        let q = "userIdentity.type=Root\n| groupbycount eventName\n  | head 5";
        let yaml = saved_query_yaml("roots", q);
        let rule = trailhunt_rules::parse_rule(&yaml, "roots.yml").unwrap();
        assert_eq!(rule.name, "roots");
        assert_eq!(rule.query_text, q);
        assert!(rule.is_saved_query());
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("root-logins_2").is_ok());
        for bad in ["", "../x", "a b", ".hidden", "a/b"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
