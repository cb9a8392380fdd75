//! Loading only a time range: files delivered before it are not read, records outside it
//! are dropped as they are read.

use trailhunt_cloudtrail::time::parse_event_time;
use trailhunt_cloudtrail::{LoadOptions, delivery_time, discover, load};

fn rec(id: &str, time: &str) -> String {
    format!(
        r#"{{"eventTime":"{time}","eventSource":"s3.amazonaws.com","eventName":"GetObject","sourceIPAddress":"198.51.100.1","eventID":"{id}"}}"#
    )
}

#[test]
fn files_before_the_range_are_skipped_and_records_outside_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let early = dir
        .path()
        .join("111122223333_CloudTrail_us-east-1_20240301T0805Z_aaaaaaaaaaaaaaaa.json");
    let late = dir
        .path()
        .join("111122223333_CloudTrail_us-east-1_20240301T1205Z_bbbbbbbbbbbbbbbb.json");
    std::fs::write(
        &early,
        format!(r#"{{"Records":[{}]}}"#, rec("a", "2024-03-01T08:01:00Z")),
    )
    .unwrap();
    std::fs::write(
        &late,
        format!(
            r#"{{"Records":[{},{},{}]}}"#,
            rec("b", "2024-03-01T11:59:00Z"),
            rec("c", "2024-03-01T12:01:00Z"),
            rec("d", "2024-03-01T12:04:00Z")
        ),
    )
    .unwrap();
    assert_eq!(
        delivery_time(&late),
        parse_event_time("2024-03-01T12:05:00Z")
    );
    let found = discover(&[dir.path().to_str().unwrap()]).unwrap();
    let opts = LoadOptions {
        from: parse_event_time("2024-03-01T12:00:00Z"),
        to: parse_event_time("2024-03-01T12:03:00Z"),
        ..LoadOptions::default()
    };
    let data = load(&found, &opts, None).unwrap();
    let r = &data.report;
    assert_eq!(r.records, 1, "only c is inside");
    assert_eq!(r.files_outside_range, 1, "the 08:05 file is never read");
    assert_eq!(r.records_outside_range, 2, "b and d are read and dropped");
    assert_eq!(r.files.len(), 1);
    // Without a range, everything loads.
    let all = load(&found, &LoadOptions::default(), None).unwrap();
    assert_eq!(all.report.records, 4);
}
