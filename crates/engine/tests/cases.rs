//! Query cases as data: each `tests/cases/*.case` holds queries over
//! `tests/fixtures/events.ndjson` and their exact output (NDJSON rows, or the rendered
//! error). `UPDATE_CASES=1 cargo test -p trailhunt-engine --test cases` rewrites the
//! expectations — then read the diff before committing it.

mod common;

use std::path::Path;

use trailhunt_engine::output::RowWriter;
use trailhunt_engine::{Engine, TimeRange};

fn run(engine: &Engine, query: &str) -> String {
    match engine.run(query, TimeRange::default()) {
        Ok(out) => {
            let w = RowWriter::new(engine.catalog());
            let mut s = String::new();
            for b in &out.batches {
                for i in 0..b.num_rows() {
                    s.push_str(&serde_json::to_string(&w.row(b, i)).unwrap());
                    s.push('\n');
                }
            }
            if s.is_empty() {
                s.push_str("(no rows)\n");
            }
            s
        }
        Err(e) => e.render(query),
    }
}

struct Case {
    /// The case's lines before `----` (comments included), as written.
    head: String,
    query: String,
    expected: String,
}

/// Cases are separated by a `====` line; a `----` line separates query from output.
fn parse(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let (mut head, mut expected, mut in_expected) = (Vec::new(), Vec::new(), false);
    for line in text.lines().chain(std::iter::once("====")) {
        match line {
            "====" => {
                if !head.is_empty() {
                    let query = head
                        .iter()
                        .filter(|l: &&&str| !l.starts_with('#'))
                        .copied()
                        .collect::<Vec<_>>()
                        .join("\n");
                    cases.push(Case {
                        head: head.join("\n"),
                        query: query.trim().to_string(),
                        expected: expected.join("\n").trim_end().to_string(),
                    });
                }
                head.clear();
                expected.clear();
                in_expected = false;
            }
            "----" if !in_expected => in_expected = true,
            l if in_expected => expected.push(l),
            l => head.push(l),
        }
    }
    cases
}

fn render(cases: &[Case], results: &[String]) -> String {
    let mut out = String::new();
    for (c, r) in cases.iter().zip(results) {
        out.push_str(c.head.trim_end());
        out.push_str("\n----\n");
        out.push_str(r.trim_end());
        out.push_str("\n====\n");
    }
    out
}

#[test]
fn cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    // A relative path (tests run in the crate's folder): `@index` in the expected output
    // must not depend on where the repository is checked out.
    let engine = common::engine(Path::new("tests/fixtures/events.ndjson"));
    let update = std::env::var_os("UPDATE_CASES").is_some();
    let mut failures = Vec::new();
    let mut count = 0;
    let mut files: Vec<_> = std::fs::read_dir(dir.join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "case"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let cases = parse(&text);
        let results: Vec<String> = cases.iter().map(|c| run(&engine, &c.query)).collect();
        for (c, r) in cases.iter().zip(&results) {
            count += 1;
            if r.trim_end() != c.expected {
                failures.push(format!(
                    "{}:\n{}\n--- expected\n{}\n--- got\n{}",
                    file.display(),
                    c.query,
                    c.expected,
                    r.trim_end()
                ));
            }
        }
        if update {
            std::fs::write(&file, render(&cases, &results)).unwrap();
        }
    }
    assert!(count > 0, "no cases found");
    if !update {
        assert!(
            failures.is_empty(),
            "{} of {count} cases differ:\n\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
}
