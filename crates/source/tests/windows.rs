//! Per-entity windows on a hand-checked fixture (LANGUAGE.md §5).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{ints, load_paths, strings};
use trailhunt_cloudtrail::WindowMode;

fn rec(id: &str, time: &str, arn: Option<&str>, ip: &str) -> String {
    let ui = match arn {
        Some(a) => format!(r#"{{"type":"IAMUser","arn":"{a}","accountId":"111122223333"}}"#),
        None => r#"{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}"#.to_string(),
    };
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{ui},"eventTime":"{time}","eventSource":"s3.amazonaws.com","eventName":"GetObject","sourceIPAddress":"{ip}","eventID":"{id}"}}"#
    )
}

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";

/// Two files, records out of time order inside and across them.
fn write_fixture(dir: &Path) {
    let a = [
        rec("a5", "2024-03-01T10:05:00Z", Some(ALICE), "198.51.100.1"),
        rec("a1", "2024-03-01T10:00:00Z", Some(ALICE), "198.51.100.1"),
        rec("s2", "2024-03-01 10:00:30", None, "203.0.113.9"),
        rec("a3", "2024-03-01T10:02:00Z", Some(ALICE), "198.51.100.1"),
    ];
    let b = [
        rec("a4", "2024-03-01T10:02:00Z", Some(ALICE), "198.51.100.1"),
        rec("s1", "2024-03-01T10:00:30Z", None, "203.0.113.9"),
        rec("a2", "2024-03-01T10:01:00Z", Some(ALICE), "198.51.100.1"),
        rec("s3", "2024-03-01T11:30:00Z", None, "203.0.113.9"),
    ];
    std::fs::write(
        dir.join("b.json"),
        format!(r#"{{"Records":[{}]}}"#, b.join(",")),
    )
    .unwrap();
    std::fs::write(dir.join("a.ndjson"), a.join("\n")).unwrap();
}

/// eventID → (window_id, window_index)
fn windows(dir: &Path, mode: WindowMode) -> BTreeMap<String, (String, i64)> {
    let data = load_paths(&[dir], mode);
    let ids = strings(&data.batches, "eventID");
    let wid = strings(&data.batches, "window_id");
    let widx = ints(&data.batches, "window_index");
    ids.into_iter()
        .zip(wid.into_iter().zip(widx))
        .map(|(id, (w, i))| (id.unwrap(), (w.unwrap(), i)))
        .collect()
}

#[test]
fn count_windows_match_the_definition() {
    let dir = tempfile::tempdir().unwrap();
    write_fixture(dir.path());
    let w = windows(dir.path(), WindowMode::Events(2));
    let alice = |t: &str| format!("{ALICE}.2024-03-01 {t}.000000");
    let svc = |t: &str| format!("source_ip:203.0.113.9.2024-03-01 {t}.000000");
    let expected: BTreeMap<String, (String, i64)> = [
        // alice: 10:00, 10:01 | 10:02 (a3), 10:02 (a4) | 10:05 — ties broken by eventID.
        ("a1", (alice("10:00:00"), 0)),
        ("a2", (alice("10:00:00"), 1)),
        ("a3", (alice("10:02:00"), 0)),
        ("a4", (alice("10:02:00"), 1)),
        ("a5", (alice("10:05:00"), 0)),
        // no ARN: the entity is the source IP; both time forms parse to the same instant.
        ("s1", (svc("10:00:30"), 0)),
        ("s2", (svc("10:00:30"), 1)),
        ("s3", (svc("11:30:00"), 0)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(w, expected);
}

#[test]
fn default_window_is_sixty_events() {
    let dir = tempfile::tempdir().unwrap();
    let recs: Vec<String> = (0..125)
        .map(|i| {
            rec(
                &format!("e{i:03}"),
                &format!("2024-03-01T10:{:02}:{:02}Z", i / 60, i % 60),
                Some(ALICE),
                "198.51.100.1",
            )
        })
        .collect();
    std::fs::write(dir.path().join("x.ndjson"), recs.join("\n")).unwrap();
    let w = windows(dir.path(), WindowMode::default());
    assert_eq!(
        w["e000"],
        (format!("{ALICE}.2024-03-01 10:00:00.000000"), 0)
    );
    assert_eq!(
        w["e059"],
        (format!("{ALICE}.2024-03-01 10:00:00.000000"), 59)
    );
    assert_eq!(
        w["e060"],
        (format!("{ALICE}.2024-03-01 10:01:00.000000"), 0)
    );
    assert_eq!(
        w["e124"],
        (format!("{ALICE}.2024-03-01 10:02:00.000000"), 4)
    );
}

#[test]
fn session_windows_split_at_inactivity() {
    let dir = tempfile::tempdir().unwrap();
    write_fixture(dir.path());
    // A 2-minute gap: alice 10:00..10:02 stays together, 10:05 opens a new session;
    // the service's 11:30 event is an hour after its last one.
    let w = windows(dir.path(), WindowMode::Session(120 * 1_000_000_000));
    assert_eq!(w["a4"], (format!("{ALICE}.2024-03-01 10:00:00.000000"), 3));
    assert_eq!(w["a5"], (format!("{ALICE}.2024-03-01 10:05:00.000000"), 0));
    assert_eq!(
        w["s3"],
        (
            "source_ip:203.0.113.9.2024-03-01 11:30:00.000000".to_string(),
            0
        )
    );
}

#[test]
fn windows_do_not_depend_on_file_order_or_threads() {
    let dir = tempfile::tempdir().unwrap();
    write_fixture(dir.path());
    let one = windows(dir.path(), WindowMode::Events(2));
    // The same records, the other way round and split differently.
    let dir2 = tempfile::tempdir().unwrap();
    let a = std::fs::read_to_string(dir.path().join("a.ndjson")).unwrap();
    let b = std::fs::read_to_string(dir.path().join("b.json")).unwrap();
    let mut lines: Vec<&str> = a.lines().collect();
    lines.reverse();
    std::fs::write(dir2.path().join("0.ndjson"), lines.join("\n")).unwrap();
    std::fs::write(dir2.path().join("1.json"), b).unwrap();
    assert_eq!(one, windows(dir2.path(), WindowMode::Events(2)));
}
