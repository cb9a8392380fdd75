//! Damaged and unusual inputs: every one gets a clear outcome and nothing valid is lost.

mod common;

use std::io::Write;
use std::path::Path;

use common::load_paths;
use flate2::Compression;
use flate2::write::GzEncoder;
use trailhunt_cloudtrail::{FileReport, WindowMode};

fn rec(i: usize) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u{i}"}},"eventTime":"2024-03-01T10:00:{:02}Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","sourceIPAddress":"198.51.100.{i}","eventID":"id-{i}","requestParameters":{{"marker":"m{i}","nested":{{"list":[1,2.0,"x"]}}}}}}"#,
        i % 60
    )
}

fn records_doc(n: usize) -> String {
    let r: Vec<String> = (0..n).map(rec).collect();
    format!(r#"{{"Records":[{}]}}"#, r.join(","))
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn one(dir: &Path, name: &str, bytes: &[u8]) -> (FileReport, u64) {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    let data = load_paths(&[&p], WindowMode::default());
    (data.report.files[0].clone(), data.report.records)
}

#[test]
fn gzip_is_detected_by_content_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let (f, n) = one(dir.path(), "no-extension", &gz(records_doc(3).as_bytes()));
    assert_eq!((f.shape.as_deref(), n), (Some("Records"), 3));
    let (f, n) = one(dir.path(), "plain.json.gz", records_doc(2).as_bytes());
    assert_eq!((f.shape.as_deref(), n), (Some("Records"), 2));
}

#[test]
fn truncated_gzip_keeps_complete_records_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let full = gz(records_doc(200).as_bytes());
    let cut = &full[..full.len() * 2 / 3];
    let (f, n) = one(dir.path(), "cut.json.gz", cut);
    assert!(f.rejected.is_none());
    assert!(n > 50 && n < 200, "recovered {n}");
    assert!(
        f.warnings
            .iter()
            .any(|w| w.contains("gzip stream damaged after"))
    );
    assert!(f.warnings.iter().any(|w| w.contains("truncated")));
}

#[test]
fn truncated_json_recovers_every_complete_record() {
    let dir = tempfile::tempdir().unwrap();
    let doc = records_doc(10);
    // Cut inside the 10th record: 9 complete records remain.
    let cut = &doc[..doc.rfind("\"eventSource\"").unwrap()];
    let (f, n) = one(dir.path(), "cut.json", cut.as_bytes());
    assert_eq!(n, 9);
    assert_eq!(f.shape.as_deref(), Some("salvaged"));
}

#[test]
fn broken_ndjson_line_costs_only_that_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\n{{\"eventName\": oops}}\n\n{}\n{}",
        rec(1),
        rec(2),
        rec(3)
    );
    let (f, n) = one(dir.path(), "x.ndjson", text.as_bytes());
    assert_eq!(n, 3);
    assert_eq!(f.warnings.len(), 1);
    assert!(f.warnings[0].starts_with("line 2:"), "{:?}", f.warnings);
    // The first line broken too: still NDJSON.
    let text = format!("{{oops\n{}\n{}", rec(1), rec(2));
    let (f, n) = one(dir.path(), "y.ndjson", text.as_bytes());
    assert_eq!(n, 2);
    assert!(f.warnings[0].starts_with("line 1:"), "{:?}", f.warnings);
}

#[test]
fn rejections_name_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 5] = [
        ("empty.json", b"  \n", "empty"),
        ("text.json", b"hello world, no records here", "not-json"),
        (
            "wrapper.json",
            br#"{"foo": 1, "bar": [1]}"#,
            "unknown-wrapper",
        ),
        (
            "mid.json",
            br#"{"Records": [{"eventName": "A"} {"eventName": "B"}]}"#,
            "invalid-json",
        ),
        (
            "gzip-garbage.gz",
            &[0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3],
            "unreadable",
        ),
    ];
    for (name, bytes, kind) in cases {
        let (f, n) = one(dir.path(), name, bytes);
        assert_eq!(n, 0, "{name}");
        assert_eq!(
            f.rejected_kind.as_deref(),
            Some(kind),
            "{name}: {:?}",
            f.rejected
        );
    }
}

#[test]
fn other_shapes_load() {
    let dir = tempfile::tempdir().unwrap();
    // A JSON array of records, pretty-printed and with a BOM.
    let arr = format!("\u{feff}[\n  {},\n  {}\n]\n", rec(1), rec(2));
    assert_eq!(one(dir.path(), "a.json", arr.as_bytes()).1, 2);
    // Concatenated objects on one line (as Firehose writes them).
    let cat = format!("{}{}{}", records_doc(2), rec(7), records_doc(1));
    let (f, n) = one(dir.path(), "c.json", cat.as_bytes());
    assert_eq!((n, f.warnings.len()), (4, 0), "{:?}", f.warnings);
    // A record whose record keys come after forwarder keys.
    let late =
        r#"{"p_source":"x","aws":{"k":1},"eventTime":"2024-03-01T00:00:00Z","eventName":"X"}"#;
    assert_eq!(one(dir.path(), "late.json", late.as_bytes()).1, 1);
    // A CloudWatch Logs subscription payload, base64 of gzip.
    use base64::Engine;
    let inner = format!(
        r#"{{"messageType":"DATA_MESSAGE","logEvents":[{{"id":"1","timestamp":0,"message":{}}}]}}"#,
        serde_json::to_string(&rec(4)).unwrap()
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(gz(inner.as_bytes()));
    let sub = format!(r#"{{"awslogs":{{"data":"{b64}"}}}}"#);
    let (f, n) = one(dir.path(), "sub.json", sub.as_bytes());
    assert_eq!(
        (f.shape.as_deref(), n),
        (Some("cloudwatch-subscription"), 1)
    );
    // Control messages hold no events and are no error.
    let ctl = r#"{"messageType":"CONTROL_MESSAGE","logEvents":[{"id":"1","timestamp":0,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#;
    let (f, n) = one(dir.path(), "ctl.json", ctl.as_bytes());
    assert_eq!(
        (f.shape.as_deref(), n, f.warnings.len()),
        (Some("control-message"), 0, 0)
    );
}

#[test]
fn nested_values_are_flattened_with_their_paths() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.json");
    std::fs::write(&p, records_doc(1)).unwrap();
    let data = load_paths(&[&p], WindowMode::default());
    let mut paths = Vec::new();
    data.catalog.for_each(|id, info| {
        if data.catalog.count(id) > 0 {
            paths.push(info.display.clone());
        }
    });
    for want in [
        "requestParameters.marker",
        "requestParameters.nested.list[0]",
        "requestParameters.nested.list[1]",
        "requestParameters.nested.list[2]",
        "eventName",
        "userIdentity.arn",
    ] {
        assert!(paths.iter().any(|p| p == want), "{want} in {paths:?}");
    }
    // No phantom element past the end of the array.
    assert!(
        !paths
            .iter()
            .any(|p| p == "requestParameters.nested.list[3]")
    );
}
