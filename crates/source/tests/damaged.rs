//! Damaged and unusual inputs: every one gets a clear outcome and nothing valid is lost.

mod common;

use std::io::Write;
use std::path::Path;

use common::load_paths;
use flate2::Compression;
use flate2::write::GzEncoder;
use trailhunt_cloudtrail::{FileReport, LoadOptions, WindowMode, discover, schema};
use trailhunt_source::{Listing, load};

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

fn load_with(paths: &[&Path], opts: LoadOptions) -> trailhunt_cloudtrail::Dataset {
    let inputs: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    load(&Listing::local(&discover(&inputs).unwrap()), &opts, None).unwrap()
}

/// One record, then `pad` bytes of whitespace inside the `Records` array: valid JSON that
/// compresses ~1000:1, the shape of a gzip bomb.
fn bomb(pad: usize) -> Vec<u8> {
    let mut doc = format!(r#"{{"Records":[{}"#, rec(1)).into_bytes();
    doc.resize(doc.len() + pad, b' ');
    doc.extend_from_slice(b"]}");
    gz(&doc)
}

#[test]
fn a_gzip_bomb_stops_at_the_cap_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let bomb_path = dir.path().join("bomb.json.gz");
    let compressed = bomb(8 << 20);
    assert!(compressed.len() < 64 << 10, "{} bytes", compressed.len());
    std::fs::write(&bomb_path, &compressed).unwrap();
    let good = dir.path().join("good.json.gz");
    std::fs::write(&good, gz(records_doc(3).as_bytes())).unwrap();
    let cap = 1 << 20;
    let data = load_with(
        &[&bomb_path, &good],
        LoadOptions {
            max_file_bytes: cap,
            ..LoadOptions::default()
        },
    );
    let r = &data.report;
    assert_eq!(r.records, 3, "the good file loads");
    let f = r
        .files
        .iter()
        .find(|f| f.path.ends_with("bomb.json.gz"))
        .unwrap();
    assert_eq!(f.rejected_kind.as_deref(), Some("too-large"), "{f:?}");
    let why = f.rejected.as_deref().unwrap();
    assert!(
        why.contains("inflates to more than 1 MiB") && why.contains("--max-file-size"),
        "{why}"
    );
    assert_eq!(r.files_skipped, 1);
    // Under a cap it fits, the same file is an ordinary file with its one record.
    let data = load_with(
        &[&bomb_path],
        LoadOptions {
            max_file_bytes: 16 << 20,
            ..LoadOptions::default()
        },
    );
    assert_eq!(data.report.records, 1);
    assert!(data.report.files[0].rejected.is_none());
}

#[test]
fn a_plain_file_over_the_cap_is_skipped_unread() {
    let dir = tempfile::tempdir().unwrap();
    let doc = records_doc(50);
    let p = dir.path().join("big.json");
    std::fs::write(&p, &doc).unwrap();
    let small = LoadOptions {
        max_file_bytes: doc.len() as u64 - 1,
        ..LoadOptions::default()
    };
    let f = &load_with(&[&p], small).report.files[0];
    assert_eq!(f.rejected_kind.as_deref(), Some("too-large"), "{f:?}");
    assert!(f.rejected.as_deref().unwrap().contains("holds more than"));
    // Exactly at the cap is allowed.
    let exact = LoadOptions {
        max_file_bytes: doc.len() as u64,
        ..LoadOptions::default()
    };
    assert_eq!(load_with(&[&p], exact).report.records, 50);
}

#[test]
fn a_gzip_bomb_inside_a_subscription_payload_is_capped_too() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let mut inner = format!(
        r#"{{"messageType":"DATA_MESSAGE","logEvents":[{{"id":"1","timestamp":0,"message":{}}}]"#,
        serde_json::to_string(&rec(4)).unwrap()
    )
    .into_bytes();
    inner.resize(inner.len() + (4 << 20), b' ');
    inner.push(b'}');
    let b64 = base64::engine::general_purpose::STANDARD.encode(gz(&inner));
    let p = dir.path().join("sub.json");
    std::fs::write(&p, format!(r#"{{"awslogs":{{"data":"{b64}"}}}}"#)).unwrap();
    let capped = LoadOptions {
        max_file_bytes: 1 << 20,
        ..LoadOptions::default()
    };
    let data = load_with(&[&p], capped);
    assert_eq!(data.report.records, 0);
    let f = &data.report.files[0];
    assert!(
        f.warnings
            .iter()
            .any(|w| w.contains("awslogs.data: inflates to more than 1 MiB")),
        "{f:?}"
    );
    assert_eq!(load_with(&[&p], LoadOptions::default()).report.records, 1);
}

/// Per row: eventID and the sorted (path, value) pairs of its nested values.
fn rows_with_nested(data: &trailhunt_cloudtrail::Dataset) -> Vec<(String, Vec<(String, String)>)> {
    use datafusion::arrow::array::{Array, AsArray};
    let mut out = Vec::new();
    for b in &data.batches {
        let ids = b.column_by_name("eventID").unwrap().as_string::<i32>();
        let kv = b.column_by_name(schema::KV).unwrap().as_list::<i32>();
        for r in 0..b.num_rows() {
            let entries = kv.value(r);
            let st = entries.as_struct();
            let keys = st
                .column(0)
                .as_dictionary::<datafusion::arrow::datatypes::UInt32Type>();
            let paths = keys.values().as_string::<i32>();
            let path = |i: usize| paths.value(keys.keys().value(i) as usize);
            let vals = st.column(1).as_string::<i32>();
            let mut pairs: Vec<(String, String)> = (0..st.len())
                .map(|i| {
                    let v = if vals.is_null(i) {
                        "null"
                    } else {
                        vals.value(i)
                    };
                    let id = data.catalog.intern_canonical(path(i));
                    (data.catalog.display(id), v.to_string())
                })
                .collect();
            pairs.sort();
            out.push((ids.value(r).to_string(), pairs));
        }
    }
    out.sort();
    out
}

#[test]
fn a_file_over_the_batch_byte_threshold_becomes_several_batches() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("one-big-file.json");
    std::fs::write(&p, records_doc(3000)).unwrap();
    let whole = load_with(&[&p], LoadOptions::default());
    assert_eq!(whole.batches.len(), 1);
    let cut = load_with(
        &[&p],
        LoadOptions {
            batch_bytes: 16 << 10,
            ..LoadOptions::default()
        },
    );
    assert!(cut.batches.len() >= 10, "{} batches", cut.batches.len());
    assert_eq!(cut.report.records, 3000);
    assert_eq!(cut.report.files[0].records, 3000);
    // Nothing lost, nothing duplicated, every nested value still with its record, and
    // the windows the same (they are cut over all batches together).
    assert_eq!(rows_with_nested(&cut), rows_with_nested(&whole));
    let windows = |d: &trailhunt_cloudtrail::Dataset| {
        let mut v: Vec<_> = common::strings(&d.batches, "eventID")
            .into_iter()
            .zip(common::strings(&d.batches, "window_id"))
            .collect();
        v.sort();
        v
    };
    assert_eq!(windows(&cut), windows(&whole));
    // Every batch names its file.
    for b in &cut.batches {
        use datafusion::arrow::array::AsArray;
        let src = b.column_by_name(schema::SOURCE).unwrap();
        let src = src.as_dictionary::<datafusion::arrow::datatypes::Int32Type>();
        let names = src.values().as_string::<i32>();
        for k in src.keys().values() {
            assert_eq!(names.value(*k as usize), p.to_str().unwrap());
        }
    }
}

#[test]
fn a_damaged_file_rolls_back_across_sealed_batches() {
    // A Records document cut short is first streamed (sealing batches on the way), then
    // rolled back and salvaged record by record: the result must not depend on where
    // batches were sealed.
    let dir = tempfile::tempdir().unwrap();
    let doc = records_doc(400);
    let cut = &doc[..doc.len() * 3 / 4];
    let p = dir.path().join("cut.json");
    std::fs::write(&p, cut).unwrap();
    let plain = load_with(&[&p], LoadOptions::default());
    let sealed = load_with(
        &[&p],
        LoadOptions {
            batch_bytes: 4 << 10,
            ..LoadOptions::default()
        },
    );
    assert!(plain.report.records > 250, "{}", plain.report.records);
    assert_eq!(sealed.report.records, plain.report.records);
    assert_eq!(rows_with_nested(&sealed), rows_with_nested(&plain));
}

#[test]
fn ndjson_line_numbers_stay_right_over_a_long_file() {
    // Line numbers used to be counted from the start of the file for every line (N²);
    // they are now counted as the walk goes, which must give the same numbers, also
    // after a value spread over several lines.
    let dir = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = (0..20_000).map(rec).collect();
    lines[4_999] = "{\"eventName\": oops}".into(); // line 5000
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(&rec(777_777)).unwrap(),
    )
    .unwrap();
    let pretty_lines = pretty.lines().count();
    lines[9_999] = pretty; // lines 10000 .. 10000 + pretty_lines - 1
    lines[14_999] = "{\"eventName\": \"cut".into();
    let text = lines.join("\n");
    let (f, n) = one(dir.path(), "long.ndjson", text.as_bytes());
    assert_eq!(n, 20_000 - 2);
    assert_eq!(f.shape.as_deref(), Some("ndjson"));
    let broken_at = 15_000 + pretty_lines - 1;
    assert_eq!(f.warnings.len(), 2, "{:?}", f.warnings);
    assert!(f.warnings[0].starts_with("line 5000:"), "{:?}", f.warnings);
    assert!(
        f.warnings[1].starts_with(&format!("line {broken_at}:")),
        "{:?}",
        f.warnings
    );
}
