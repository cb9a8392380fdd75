//! Data-driven parser tests: every `tests/cases/*.case` file holds cases of the form
//!
//! ```text
//! === name
//! query text (any number of lines)
//! ---
//! expected `explain` output, or `ERROR` and the rendered diagnostics
//! ```
//!
//! Run with `UPDATE_CASES=1` to rewrite the expectations from the current parser
//! (then read the diff before committing). Every case that parses is also checked
//! to round-trip: printing it and parsing the print gives the same AST.

use std::fs;
use std::path::{Path, PathBuf};

use trailhunt_lang::{explain, parse_query};

struct Case {
    name: String,
    query: String,
    expected: String,
}

fn read_cases(text: &str) -> (String, Vec<Case>) {
    let mut preamble = String::new();
    let mut cases: Vec<Case> = Vec::new();
    let mut in_expected = false;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("=== ") {
            cases.push(Case {
                name: name.trim().to_string(),
                query: String::new(),
                expected: String::new(),
            });
            in_expected = false;
            continue;
        }
        let Some(case) = cases.last_mut() else {
            preamble.push_str(line);
            preamble.push('\n');
            continue;
        };
        if !in_expected && line == "---" {
            in_expected = true;
            continue;
        }
        let target = if in_expected {
            &mut case.expected
        } else {
            &mut case.query
        };
        target.push_str(line);
        target.push('\n');
    }
    for case in &mut cases {
        trim_newline(&mut case.query);
        case.expected = case.expected.trim_end().to_string();
    }
    (preamble, cases)
}

fn trim_newline(s: &mut String) {
    if s.ends_with('\n') {
        s.pop();
    }
}

fn actual_output(query: &str) -> String {
    match explain(query) {
        Ok(text) => text.trim_end().to_string(),
        Err(diags) => format!("ERROR\n{}", diags.render(query).trim_end()),
    }
}

/// `parse(print(parse(q))) == parse(q)`, spans aside; and printing is stable.
fn check_round_trip(name: &str, query: &str, failures: &mut Vec<String>) {
    let Ok(first) = parse_query(query) else {
        return;
    };
    let printed = first.to_string();
    match parse_query(&printed) {
        Ok(second) => {
            if second.without_spans() != first.without_spans() {
                failures.push(format!(
                    "{name}: round trip changed the AST\n  query:   {query}\n  printed: {printed}\n  first:  {:?}\n  second: {:?}",
                    first.without_spans(),
                    second.without_spans()
                ));
            } else if second.to_string() != printed {
                failures.push(format!(
                    "{name}: printing is not stable: {printed} vs {second}"
                ));
            }
        }
        Err(d) => failures.push(format!(
            "{name}: the canonical form does not parse\n  printed: {printed}\n{}",
            d.render(&printed)
        )),
    }
}

fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/cases exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "case"))
        .collect();
    files.sort();
    files
}

#[test]
fn cases() {
    let update = std::env::var_os("UPDATE_CASES").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    let mut count = 0;
    for file in case_files() {
        let text = fs::read_to_string(&file).expect("readable case file");
        let (preamble, mut cases) = read_cases(&text);
        assert!(!cases.is_empty(), "{} holds no cases", file.display());
        let mut changed = false;
        for case in &mut cases {
            count += 1;
            let actual = actual_output(&case.query);
            check_round_trip(&case.name, &case.query, &mut failures);
            if actual != case.expected {
                if update {
                    case.expected = actual;
                    changed = true;
                } else {
                    failures.push(format!(
                        "{}: case `{}`\n--- query\n{}\n--- expected\n{}\n--- actual\n{}\n",
                        file.display(),
                        case.name,
                        case.query,
                        case.expected,
                        actual
                    ));
                }
            }
        }
        if changed {
            let mut out = preamble;
            for case in &cases {
                out.push_str(&format!(
                    "=== {}\n{}\n---\n{}\n\n",
                    case.name, case.query, case.expected
                ));
            }
            fs::write(&file, out.trim_end().to_string() + "\n").expect("writable case file");
        }
    }
    assert!(count > 0, "no cases found");
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
