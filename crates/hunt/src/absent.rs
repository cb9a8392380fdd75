//! Working around columns no event has.
//!
//! The engine refuses to plan a query naming a column absent from every loaded
//! event (`unknown column `errorCode`: no event has it`): a typo check for people,
//! but a rule like `… not errorCode:*` must still run on data without any error,
//! and a rule test's few inline events rarely hold every column the rule names.
//! So, when planning fails only for such columns, the data is loaded again with
//! one *padding* event at the Unix epoch ([`PADDING_TIME_NS`]) holding those
//! columns, and every query runs on times after it: the columns become known, the
//! padding event is never seen, and the rule behaves as if the columns were
//! missing (`col:*` false, `not col:*` true).

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use trailhunt_engine::EngineError;

/// The time of the padding event: the Unix epoch. Queries run on later times only.
pub const PADDING_TIME_NS: i64 = 0;

const MARKER: &str = "`: no event has it";

/// The columns `err` says no event has, when that is all it says.
pub fn absent_columns(err: &EngineError) -> Option<Vec<String>> {
    let EngineError::Query(diags) = err else {
        return None;
    };
    let mut out = Vec::new();
    for e in diags.errors() {
        let rest = e.message.strip_prefix("unknown column `")?;
        let end = rest.find(MARKER)?;
        out.push(rest[..end].to_string());
    }
    (!out.is_empty()).then_some(out)
}

/// One CloudTrail record at the epoch holding every path of `paths` (dotted names of
/// plain keys); `None` when a path is not plain keys (array positions, quoting).
pub fn padding_record(paths: &BTreeSet<String>) -> Option<String> {
    let mut root = Map::new();
    root.insert(
        "eventTime".into(),
        Value::String("1970-01-01T00:00:00Z".into()),
    );
    root.insert(
        "eventSource".into(),
        Value::String("padding.trailhunt.invalid".into()),
    );
    for path in paths {
        let segs: Vec<&str> = path.split('.').collect();
        let plain = |s: &&str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if !segs.iter().all(plain) {
            return None;
        }
        let mut node = &mut root;
        for (i, seg) in segs.iter().enumerate() {
            if i + 1 == segs.len() {
                node.entry(seg.to_string())
                    .or_insert_with(|| Value::String("trailhunt-padding".into()));
            } else {
                let next = node
                    .entry(seg.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !next.is_object() {
                    *next = Value::Object(Map::new());
                }
                node = next.as_object_mut()?;
            }
        }
    }
    serde_json::to_string(&Value::Object(root)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_nests_paths() {
        let paths: BTreeSet<String> = ["errorCode", "a.b.c", "a.d"].map(String::from).into();
        let rec = padding_record(&paths).unwrap();
        let v: Value = serde_json::from_str(&rec).unwrap();
        assert_eq!(v["a"]["b"]["c"], "trailhunt-padding");
        assert_eq!(v["errorCode"], "trailhunt-padding");
        assert!(padding_record(&["a[0]".to_string()].into()).is_none());
    }
}

/// The padding record `engine`'s data needs for `rules` to plan, when some rule
/// fails to plan only because it names columns no event has.
///
/// The planner reports one unknown column at a time, so rather than load the data
/// once per column, every plain dotted name in the failing rules' text that the
/// data does not have is padded (values among them too: a padded column no event
/// has changes nothing). Rules that still fail report their error when run.
pub fn padding_for(
    engine: &trailhunt_engine::Engine,
    rules: &[trailhunt_rules::Rule],
) -> Option<String> {
    let known: BTreeSet<String> = trailhunt_engine::resolve::known_paths(engine.catalog())
        .into_iter()
        .collect();
    let mut paths = BTreeSet::new();
    for rule in rules {
        let Ok(query) = trailhunt_lang::parse_query(&rule.query_text) else {
            continue;
        };
        let Err(e) = engine.plan(&query, trailhunt_engine::TimeRange::default()) else {
            continue;
        };
        if absent_columns(&e).is_some() {
            paths.extend(
                names_in(&rule.query_text)
                    .into_iter()
                    .filter(|n| !known.contains(n)),
            );
        }
    }
    if paths.is_empty() {
        None
    } else {
        padding_record(&paths)
    }
}

/// Plain dotted names in `text` outside quotes (`requestParameters.userName`, `errorCode`).
fn names_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut quote = None;
    let mut word = String::new();
    let mut escaped = false;
    let mut flush = |word: &mut String| {
        let w = word.trim_matches('.');
        if w.starts_with(|c: char| c.is_ascii_alphabetic()) && !w.contains("..") {
            out.push(w.to_string());
        }
        word.clear();
    };
    for c in text.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        if c == '\'' || c == '"' {
            flush(&mut word);
            quote = Some(c);
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            word.push(c);
        } else {
            flush(&mut word);
        }
    }
    flush(&mut word);
    out
}

#[cfg(test)]
mod name_tests {
    use super::names_in;

    #[test]
    fn names_skip_quotes_and_wildcards() {
        assert_eq!(
            names_in(r#"a.b=x not errorCode:* c="q.r" d='*.e' f=p3.*"#),
            ["a.b", "x", "not", "errorCode", "c", "d", "f", "p3"]
        );
    }
}
