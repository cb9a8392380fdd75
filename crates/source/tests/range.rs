//! Loading only a time range: files delivered before it are not read, records outside it
//! are dropped as they are read — unless windows are wanted: a window is cut over the
//! entity's whole history, so then everything is read, windowed, and only then restricted.

use trailhunt_cloudtrail::time::parse_event_time;
use trailhunt_cloudtrail::{LoadOptions, delivery_time, discover};
use trailhunt_source::{Listing, load};

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
    // Only a load without windows may leave files unread (see the next test).
    let opts = LoadOptions {
        from: parse_event_time("2024-03-01T12:00:00Z"),
        to: parse_event_time("2024-03-01T12:03:00Z"),
        skip_windows: true,
        ..LoadOptions::default()
    };
    let data = load(&Listing::local(&found), &opts, None).unwrap();
    let r = &data.report;
    assert_eq!(r.records, 1, "only c is inside");
    assert_eq!(r.files_outside_range, 1, "the 08:05 file is never read");
    assert_eq!(r.records_outside_range, 2, "b and d are read and dropped");
    assert_eq!(r.files.len(), 1);
    // Without a range, everything loads.
    let all = load(&Listing::local(&found), &LoadOptions::default(), None).unwrap();
    assert_eq!(all.report.records, 4);
}

/// eventID → window_id over the loaded batches.
fn windows(data: &trailhunt_cloudtrail::Dataset) -> std::collections::BTreeMap<String, String> {
    use datafusion::arrow::array::AsArray;
    let mut out = std::collections::BTreeMap::new();
    for b in &data.batches {
        let ids = b.column_by_name("eventID").unwrap().as_string::<i32>();
        let w = b.column_by_name("window_id").unwrap().as_string::<i32>();
        for r in 0..b.num_rows() {
            out.insert(ids.value(r).to_string(), w.value(r).to_string());
        }
    }
    out
}

#[test]
fn windows_are_cut_over_everything_before_the_range_and_text_restrict() {
    // One entity (the source IP), 3 events per window: ids in time order a0..a8.
    let dir = tempfile::tempdir().unwrap();
    let rec_named = |id: &str, time: &str, name: &str| {
        rec(id, time).replace("\"GetObject\"", &format!("\"{name}\""))
    };
    // An early S3 delivery (07:05) that a range starting at 09:00 would never read, a
    // file without `PutObject` that a query for it would skip, and the rest.
    let early = dir
        .path()
        .join("111122223333_CloudTrail_us-east-1_20240301T0705Z_aaaaaaaaaaaaaaaa.json");
    let gets = dir.path().join("gets.json");
    let puts = dir.path().join("puts.json");
    let doc = |recs: &[String]| format!(r#"{{"Records":[{}]}}"#, recs.join(","));
    std::fs::write(
        &early,
        doc(&[
            rec_named("a0", "2024-03-01T07:00:00Z", "GetObject"),
            rec_named("a1", "2024-03-01T07:01:00Z", "GetObject"),
        ]),
    )
    .unwrap();
    std::fs::write(
        &gets,
        doc(&[
            rec_named("a2", "2024-03-01T08:00:00Z", "GetObject"),
            rec_named("a4", "2024-03-01T09:10:00Z", "GetObject"),
            rec_named("a7", "2024-03-01T11:00:00Z", "GetObject"),
        ]),
    )
    .unwrap();
    std::fs::write(
        &puts,
        doc(&[
            rec_named("a3", "2024-03-01T09:00:00Z", "PutObject"),
            rec_named("a5", "2024-03-01T09:20:00Z", "PutObject"),
            rec_named("a6", "2024-03-01T10:00:00Z", "PutObject"),
            rec_named("a8", "2024-03-01T12:00:00Z", "PutObject"),
        ]),
    )
    .unwrap();
    let found = discover(&[dir.path().to_str().unwrap()]).unwrap();
    let window = trailhunt_cloudtrail::WindowMode::Events(3);
    let e = "source_ip:198.51.100.1.2024-03-01";
    // By the definition: windows {a0,a1,a2} {a3,a4,a5} {a6,a7,a8}.
    let truth = |id: &str| {
        let n: usize = id[1..].parse().unwrap();
        let first = ["07:00:00", "09:00:00", "10:00:00"][n / 3];
        format!("{e} {first}.000000")
    };
    let all = windows(
        &load(
            &Listing::local(&found),
            &LoadOptions {
                window,
                ..LoadOptions::default()
            },
            None,
        )
        .unwrap(),
    );
    assert_eq!(all.len(), 9);
    for (id, w) in &all {
        assert_eq!(w, &truth(id), "{id}");
    }
    let cases = [
        // --from/--to: the early file must still be read, a2 and a8 still counted.
        LoadOptions {
            from: parse_event_time("2024-03-01T09:00:00Z"),
            to: parse_event_time("2024-03-01T11:30:00Z"),
            ..LoadOptions::default()
        },
        // A query needing `PutObject`: the other files still count for windows.
        LoadOptions {
            required_text: vec!["PutObject".into()],
            ..LoadOptions::default()
        },
        // Both at once, and without nested values.
        LoadOptions {
            from: parse_event_time("2024-03-01T09:05:00Z"),
            required_text: vec!["PutObject".into()],
            skip_nested: true,
            ..LoadOptions::default()
        },
    ];
    let expected_ids: [&[&str]; 3] = [
        &["a3", "a4", "a5", "a6", "a7"],
        &["a3", "a5", "a6", "a8"],
        &["a5", "a6", "a8"],
    ];
    for (opts, ids) in cases.into_iter().zip(expected_ids) {
        let data = load(
            &Listing::local(&found),
            &LoadOptions {
                window,
                ..opts.clone()
            },
            None,
        )
        .unwrap();
        let got = windows(&data);
        let want: std::collections::BTreeMap<String, String> =
            ids.iter().map(|id| (id.to_string(), truth(id))).collect();
        assert_eq!(got, want, "{opts:?}");
        assert_eq!(data.report.records, ids.len() as u64, "{opts:?}");
        assert_eq!(data.report.files_outside_range, 0, "{opts:?}");
    }
}
