//! Wildcard columns that match nothing: while rows are events, a warning (as for a path
//! no event has, LANGUAGE.md §1), not a failed query.

mod common;

use std::path::Path;

use trailhunt_engine::TimeRange;

#[test]
fn a_wildcard_matching_no_path_warns_and_adds_no_column() {
    let e = common::engine(Path::new("tests/fixtures/events.ndjson"));
    let q = "* | head 1 | table eventID, nosuch.*, alsonot.**";
    let out = e.run(q, TimeRange::default()).unwrap();
    let names: Vec<&str> = out
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, ["eventID"]);
    let text = trailhunt_engine::render_warnings(q, &out.warnings);
    assert!(
        text.contains("no event has a path matching `nosuch.*`: it adds no column"),
        "{text}"
    );
    assert!(text.contains("`alsonot.**`"), "{text}");
    assert_eq!(out.warnings.len(), 2, "{text}");
}
