//! The real CloudTrail files in `../shared/data`: counts and per-format outcomes.

mod common;

use common::{load_paths, shared};
use trailhunt_cloudtrail::WindowMode;

#[test]
fn invictus_ir_loads_2900_records_from_55_files() {
    let Some(shared) = shared() else {
        eprintln!("../shared/data not present: nothing to check here");
        return;
    };
    let data = load_paths(&[&shared.join("data/invictus-ir")], WindowMode::default());
    let r = &data.report;
    assert_eq!(r.records, 2900);
    assert_eq!(r.files_loaded, 55);
    assert_eq!(r.files_skipped, 0);
    assert_eq!(r.files_with_warnings, 0);
    assert_eq!(r.records_without_time, 0);
    // The LICENSE file beside the logs is passed over by name, and said so.
    assert_eq!(r.ignored.len(), 1);
    assert!(r.ignored[0].ends_with("LICENSE"));
    assert_eq!(r.first_event.as_deref(), Some("2023-07-10T11:42:18Z"));
    assert_eq!(r.last_event.as_deref(), Some("2023-07-10T12:37:50Z"));
    let ids = common::strings(&data.batches, "eventID");
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "every record is one row");
}

#[test]
fn each_format_file_is_loaded_or_rejected_as_its_readme_says() {
    let Some(shared) = shared() else {
        eprintln!("../shared/data not present: nothing to check here");
        return;
    };
    let dir = shared.join("data/formats");
    let data = load_paths(&[&dir], WindowMode::default());
    let by_name = |n: &str| {
        data.report
            .files
            .iter()
            .find(|f| f.path.ends_with(n))
            .unwrap_or_else(|| panic!("{n} in report"))
            .clone()
    };
    let expect = [
        ("records.ndjson", Some("ndjson"), 15),
        ("eventbridge-api-call.json", Some("eventbridge"), 1),
        (
            "cloudwatch-subscription-decoded.json",
            Some("cloudwatch-logs"),
            1,
        ),
        ("lookup-events.jsonl", Some("ndjson"), 6),
        ("digest-skip-me.json", Some("digest"), 0),
        ("records-with-forwarder-keys.json", Some("Records"), 1),
        ("bad-terminal-paste.json", Some("salvaged"), 37),
    ];
    for (name, shape, records) in expect {
        let f = by_name(name);
        assert_eq!(f.shape.as_deref(), shape, "{name}");
        assert_eq!(f.records, records, "{name}");
        assert!(f.rejected.is_none(), "{name}: {:?}", f.rejected);
    }
    let digest = by_name("digest-skip-me.json");
    assert!(digest.holds_no_events() && !digest.loaded());
    let paste = by_name("bad-terminal-paste.json");
    assert_eq!(paste.warnings.len(), 1);
    assert!(paste.warnings[0].contains("recovered 37 complete records"));
    let bad = by_name("bad-malformed.json");
    assert_eq!(bad.records, 0);
    assert_eq!(bad.rejected_kind.as_deref(), Some("invalid-json"));
    let why = bad.rejected.unwrap();
    assert!(why.contains("line 112, column 1"), "{why}");
    assert!(why.contains("byte 3327"), "{why}");
    assert_eq!(data.report.records, 61);
    assert_eq!(data.report.files_without_events, 1);
    assert_eq!(data.report.files_skipped, 1);
}

#[test]
fn wrapped_records_keep_their_fields() {
    let Some(shared) = shared() else {
        eprintln!("../shared/data not present: nothing to check here");
        return;
    };
    let dir = shared.join("data/formats");
    for (file, event_name) in [
        ("eventbridge-api-call.json", "PutResourcePolicy"),
        ("cloudwatch-subscription-decoded.json", "PutObject"),
    ] {
        let data = load_paths(&[&dir.join(file)], WindowMode::default());
        let names = common::strings(&data.batches, "eventName");
        assert_eq!(names, vec![Some(event_name.to_string())], "{file}");
    }
    let data = load_paths(&[&dir.join("lookup-events.jsonl")], WindowMode::default());
    let sources = common::strings(&data.batches, "eventSource");
    assert!(
        sources
            .iter()
            .all(|s| s.as_deref() == Some("ec2.amazonaws.com"))
    );
}
