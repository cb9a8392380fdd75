//! Records as third-party tools hand them over (issue 10, "Loader fixes found on real
//! third-party records"): lowercase exports (Athena, CloudTrail Lake), booleans written as
//! strings, and forwarded records without a parseable `eventTime`. The records are written
//! here from AWS's CloudTrail documentation of each event.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{load_paths, strings};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{TimestampNanosecondType, UInt8Type, UInt32Type};
use serde_json::Value;
use trailhunt_cloudtrail::time::{format_rfc3339, parse_event_time};
use trailhunt_cloudtrail::{Dataset, LoadOptions, WindowMode, discover, schema};
use trailhunt_source::{Listing, load};

/// An Athena / CloudTrail Lake export: every key CloudTrail defines in lowercase, the
/// service's own keys below `requestparameters` as the service wrote them.
const LOWERCASE: &[&str] = &[
    r#"{"eventversion":"1.08","useridentity":{"type":"IAMUser","principalid":"AIDAEXAMPLE111","arn":"arn:aws:iam::111122223333:user/alice","accountid":"111122223333","accesskeyid":"AKIAEXAMPLE111","username":"alice"},"eventtime":"2024-03-01T10:00:00Z","eventsource":"s3.amazonaws.com","eventname":"GetObject","awsregion":"us-east-1","sourceipaddress":"198.51.100.7","useragent":"aws-cli/2.15.0","requestparameters":{"bucketName":"prod-reports","key":"q1.csv","x-amz-checksum-mode":"ENABLED"},"responseelements":null,"requestid":"REQ0001","eventid":"lc-01","readonly":true,"resources":[{"type":"AWS::S3::Object","arn":"arn:aws:s3:::prod-reports/q1.csv"},{"accountid":"111122223333","type":"AWS::S3::Bucket","arn":"arn:aws:s3:::prod-reports"}],"eventtype":"AwsApiCall","managementevent":false,"recipientaccountid":"111122223333","eventcategory":"Data","p_source_label":"athena-unload"}"#,
    r#"{"eventversion":"1.08","useridentity":{"type":"AssumedRole","principalid":"AROAEXAMPLE222:bob","arn":"arn:aws:sts::111122223333:assumed-role/ops/bob","accountid":"111122223333","sessioncontext":{"sessionissuer":{"type":"Role","principalid":"AROAEXAMPLE222","arn":"arn:aws:iam::111122223333:role/ops","accountid":"111122223333","username":"ops"},"attributes":{"creationdate":"2024-03-01T09:00:00Z","mfaauthenticated":"false"}}},"eventtime":"2024-03-01T10:05:00Z","eventsource":"iam.amazonaws.com","eventname":"CreateAccessKey","awsregion":"us-east-1","sourceipaddress":"203.0.113.9","useragent":"console.amazonaws.com","errorcode":"AccessDenied","errormessage":"User is not authorized to perform iam:CreateAccessKey","requestparameters":{"userName":"carol"},"eventid":"lc-02","readonly":false,"eventtype":"AwsApiCall","recipientaccountid":"111122223333"}"#,
];

/// A record in CloudTrail's own spelling, for files that mix both.
const CAMEL: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dave","accountId":"111122223333","userName":"dave"},"eventTime":"2024-03-01T10:06:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.8","requestParameters":{"bucketName":"prod-payroll","key":"feb.xlsx"},"eventID":"cc-03","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}"#;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

/// The value at `path` (CloudTrail's spelling) of a raw record, looking each key up in
/// CloudTrail's spelling or in lowercase: what the loader must have read there.
fn raw_at<'a>(r: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(r, |v, k| {
        v.get(*k).or_else(|| v.get(k.to_ascii_lowercase().as_str()))
    })
}

fn by_event_id(data: &Dataset, column: &str) -> BTreeMap<String, Option<String>> {
    let ids = strings(&data.batches, "eventID");
    let vals = strings(&data.batches, column);
    ids.into_iter().map(|i| i.unwrap()).zip(vals).collect()
}

fn bools(batches: &[RecordBatch], name: &str) -> Vec<Option<bool>> {
    let mut out = Vec::new();
    for b in batches {
        let c = b.column_by_name(name).expect(name).as_boolean();
        out.extend((0..c.len()).map(|i| (!c.is_null(i)).then(|| c.value(i))));
    }
    out
}

fn times(batches: &[RecordBatch]) -> Vec<Option<i64>> {
    let mut out = Vec::new();
    for b in batches {
        let c = b
            .column_by_name(schema::TIMESTAMP)
            .unwrap()
            .as_primitive::<TimestampNanosecondType>();
        out.extend((0..c.len()).map(|i| (!c.is_null(i)).then(|| c.value(i))));
    }
    out
}

/// Per eventID: its nested entries as (dotted path, value, kind).
fn nested(data: &Dataset) -> BTreeMap<String, Vec<(String, Option<String>, u8)>> {
    let mut out = BTreeMap::new();
    for b in &data.batches {
        let ids = b.column_by_name("eventID").unwrap().as_string::<i32>();
        let kv = b.column_by_name(schema::KV).unwrap().as_list::<i32>();
        for r in 0..b.num_rows() {
            let entries = kv.value(r);
            let st = entries.as_struct();
            let keys = st.column(0).as_dictionary::<UInt32Type>();
            let paths = keys.values().as_string::<i32>();
            let path = |i: usize| paths.value(keys.keys().value(i) as usize);
            let vals = st.column(1).as_string::<i32>();
            let kinds = st.column(2).as_primitive::<UInt8Type>();
            let list = (0..st.len())
                .map(|i| {
                    let v = (!vals.is_null(i)).then(|| vals.value(i).to_string());
                    let id = data.catalog.intern_canonical(path(i));
                    (data.catalog.display(id), v, kinds.value(i))
                })
                .collect();
            out.insert(ids.value(r).to_string(), list);
        }
    }
    out
}

/// Every path some record holds, as displayed.
fn paths(data: &Dataset) -> Vec<String> {
    let mut out = Vec::new();
    data.catalog.for_each(|id, info| {
        if data.catalog.count(id) > 0 {
            out.push(info.display.clone());
        }
    });
    out
}

#[test]
fn a_lowercase_export_reads_as_cloudtrail_fields() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}\n{}\n{CAMEL}\n", LOWERCASE[0], LOWERCASE[1]);
    let p = write(dir.path(), "lake-export.ndjson", &text);
    let data = load_paths(&[&p], WindowMode::default());
    let f = &data.report.files[0];
    assert!(f.rejected.is_none(), "{f:?}");
    assert_eq!(data.report.records, 3);
    assert_eq!(data.report.records_without_time, 0);

    let raw: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Every typed column holds what the record said under either spelling.
    for (i, (segs, kind)) in schema::TYPED.iter().enumerate() {
        let name = schema::typed_name(i);
        let want: BTreeMap<String, Option<Value>> = raw
            .iter()
            .map(|r| {
                let id = raw_at(r, &["eventID"])
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string();
                (id, raw_at(r, segs).filter(|v| !v.is_null()).cloned())
            })
            .collect();
        match kind {
            schema::TypedKind::Str => {
                let got = by_event_id(&data, &name);
                for (id, v) in &want {
                    assert_eq!(
                        got[id].as_deref(),
                        v.as_ref().and_then(Value::as_str),
                        "{name} of {id}"
                    );
                }
            }
            schema::TypedKind::Bool => {
                let ids = strings(&data.batches, "eventID");
                let got: BTreeMap<String, Option<bool>> = ids
                    .into_iter()
                    .map(|i| i.unwrap())
                    .zip(bools(&data.batches, &name))
                    .collect();
                for (id, v) in &want {
                    assert_eq!(
                        got[id],
                        v.as_ref().and_then(Value::as_bool),
                        "{name} of {id}"
                    );
                }
            }
        }
    }
    // Derived columns follow the typed ones.
    let entity = by_event_id(&data, schema::ENTITY_ID);
    assert_eq!(
        entity["lc-02"].as_deref(),
        Some("arn:aws:sts::111122223333:assumed-role/ops/bob")
    );
    let t = times(&data.batches);
    assert!(t.iter().all(Option::is_some), "{t:?}");

    // Nested values sit under CloudTrail's names; the service's keys and unknown keys
    // stay as written.
    let shown = paths(&data);
    for want in [
        "requestParameters.bucketName",
        "requestParameters.x-amz-checksum-mode",
        "userIdentity.sessionContext.sessionIssuer.userName",
        "userIdentity.sessionContext.attributes.mfaAuthenticated",
        "userIdentity.sessionContext.attributes.creationDate",
        "resources[1].accountId",
        "resources[0].ARN",
        "responseElements",
        "p_source_label",
    ] {
        let want = schema_display(want);
        assert!(shown.contains(&want), "{want} missing from {shown:?}");
    }
    for lower in shown.iter().map(|p| p.as_str()) {
        let first = lower.split(['.', '[']).next().unwrap();
        assert!(
            !schema::RECORD_FIELDS
                .iter()
                .any(|f| *f != first && f.eq_ignore_ascii_case(first)),
            "{lower} kept a lowercase spelling"
        );
    }
    let n = nested(&data);
    assert!(n["lc-01"].contains(&(
        "requestParameters.bucketName".into(),
        Some("prod-reports".into()),
        schema::kind::STRING
    )));
    assert!(n["cc-03"].contains(&(
        "requestParameters.bucketName".into(),
        Some("prod-payroll".into()),
        schema::kind::STRING
    )));
}

/// A dotted path as the catalog displays it (keys with odd characters in backticks).
fn schema_display(p: &str) -> String {
    p.split('.')
        .map(|k| match k.find('[') {
            Some(i) => format!(
                "{}{}",
                trailhunt_cloudtrail::catalog::display_key(&k[..i]),
                &k[i..]
            ),
            None => trailhunt_cloudtrail::catalog::display_key(k),
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[test]
fn every_wrapper_takes_lowercase_records() {
    let dir = tempfile::tempdir().unwrap();
    let one = write(dir.path(), "one.json", LOWERCASE[0]);
    let array = write(
        dir.path(),
        "array.json",
        &format!("[{},{}]", LOWERCASE[0], LOWERCASE[1]),
    );
    let records = write(
        dir.path(),
        "records.json",
        &format!(r#"{{"Records":[{},{}]}}"#, LOWERCASE[0], LOWERCASE[1]),
    );
    // A forwarder's key first: the record is recognised by its other keys.
    let late = write(
        dir.path(),
        "late.json",
        &LOWERCASE[1].replacen('{', r#"{"p_any_ip":["203.0.113.9"],"#, 1),
    );
    for (p, n) in [(&one, 1), (&array, 2), (&records, 2), (&late, 1)] {
        let data = load_paths(&[p], WindowMode::default());
        let f = &data.report.files[0];
        assert!(f.rejected.is_none(), "{f:?}");
        assert_eq!(data.report.records, n, "{f:?}");
        let names = strings(&data.batches, "eventName");
        assert!(names.iter().all(Option::is_some), "{names:?}");
    }
}

#[test]
fn a_record_with_both_spellings_loses_neither() {
    let dir = tempfile::tempdir().unwrap();
    // CloudTrail's `eventName` first, then a forwarder's lowercase copy of another value.
    let both = CAMEL.replacen(
        r#""eventID":"cc-03""#,
        r#""eventID":"cc-03","eventname":"GetObjectCopy","requestparameters":{"versionId":"v2"}"#,
        1,
    );
    let p = write(
        dir.path(),
        "both.ndjson",
        &format!("{both}\n{}\n", LOWERCASE[0]),
    );
    let data = load_paths(&[&p], WindowMode::default());
    assert_eq!(data.report.records, 2);
    let names = by_event_id(&data, "eventName");
    assert_eq!(names["cc-03"].as_deref(), Some("GetObject"));
    assert_eq!(names["lc-01"].as_deref(), Some("GetObject"));
    let n = nested(&data);
    assert!(
        n["cc-03"].contains(&(
            "eventname".into(),
            Some("GetObjectCopy".into()),
            schema::kind::STRING
        )),
        "{:?}",
        n["cc-03"]
    );
    // Objects of both spellings merge: every value is still there.
    for (path, v) in [
        ("requestParameters.bucketName", "prod-payroll"),
        ("requestParameters.versionId", "v2"),
    ] {
        assert!(
            n["cc-03"].contains(&(path.into(), Some(v.into()), schema::kind::STRING)),
            "{path} in {:?}",
            n["cc-03"]
        );
    }
}

#[test]
fn booleans_written_as_strings_keep_their_text() {
    let dir = tempfile::tempdir().unwrap();
    let recs = [
        (r#""readOnly":"True","managementEvent":"TRUE""#, "st-01"),
        (r#""readOnly":"false","managementEvent":true"#, "st-02"),
        (r#""readOnly":true,"managementEvent":"yes""#, "st-03"),
    ];
    let lines: Vec<String> = recs
        .iter()
        .map(|(fields, id)| {
            format!(
                r#"{{"eventVersion":"1.08","eventTime":"2024-03-01T11:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","eventID":"{id}",{fields},"recipientAccountId":111122223333}}"#
            )
        })
        .collect();
    let p = write(dir.path(), "strings.ndjson", &lines.join("\n"));
    let data = load_paths(&[&p], WindowMode::default());
    assert_eq!(data.report.records, 3);
    let n = nested(&data);
    let ids: Vec<String> = strings(&data.batches, "eventID")
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let read_only: BTreeMap<&str, Option<bool>> = ids
        .iter()
        .map(String::as_str)
        .zip(bools(&data.batches, "readOnly"))
        .collect();
    let management: BTreeMap<&str, Option<bool>> = ids
        .iter()
        .map(String::as_str)
        .zip(bools(&data.batches, "managementEvent"))
        .collect();
    for (line, id) in lines.iter().zip(recs.iter().map(|r| r.1)) {
        let raw: Value = serde_json::from_str(line).unwrap();
        for (field, got) in [("readOnly", &read_only), ("managementEvent", &management)] {
            let v = &raw[field];
            let text = v.as_str();
            // Queries see the boolean the value spells (`true`/`false` in any case)…
            let meaning = v
                .as_bool()
                .or_else(|| text.and_then(|t| t.to_ascii_lowercase().parse::<bool>().ok()));
            assert_eq!(got[id], meaning, "{field} of {id}");
            // …and a string is kept as it was written, for output.
            let kept: Vec<&(String, Option<String>, u8)> =
                n[id].iter().filter(|(p, _, _)| p == field).collect();
            match text {
                Some(t) => assert_eq!(
                    kept,
                    vec![&(field.to_string(), Some(t.to_string()), schema::kind::STRING)],
                    "{field} of {id}"
                ),
                None => assert!(kept.is_empty(), "{field} of {id}: {kept:?}"),
            }
        }
        // A number in a text column stays a number.
        assert!(
            n[id].contains(&(
                "recipientAccountId".into(),
                Some("111122223333".into()),
                schema::kind::NUMBER
            )),
            "{:?}",
            n[id]
        );
    }
    let account = by_event_id(&data, "recipientAccountId");
    assert!(account.values().all(Option::is_none));
    // The record count of a path counts each record once.
    data.catalog.for_each(|id, info| {
        if info.display == "readOnly" {
            assert_eq!(data.catalog.count(id), 3);
        }
    });
}

const FORWARDED: &[&str] = &[
    // Only `@timestamp`, ISO 8601 with milliseconds.
    r#"{"@timestamp":"2024-03-01T12:00:00.000Z","eventVersion":"1.08","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"},"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.50","eventID":"ts-01","eventType":"AwsConsoleSignIn","responseElements":{"ConsoleLogin":"Success"}}"#,
    // An `eventTime` no parser reads, and `@timestamp` in epoch milliseconds.
    r#"{"@timestamp":1709294460000,"eventVersion":"1.08","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"},"eventTime":"not a time","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.50","eventID":"ts-02","eventType":"AwsApiCall","requestParameters":{"userName":"backdoor"}}"#,
    // Its own time wins over `@timestamp`.
    r#"{"@timestamp":"2030-01-01T00:00:00Z","eventVersion":"1.08","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"},"eventTime":"2024-03-01T12:02:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.50","eventID":"ts-03","eventType":"AwsApiCall"}"#,
    // Nothing at all.
    r#"{"eventVersion":"1.08","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"},"eventSource":"iam.amazonaws.com","eventName":"ListRoles","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.50","eventID":"ts-04","eventType":"AwsApiCall"}"#,
];

const DELIVERED: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/111122223333_CloudTrail_us-east-1_20240301T1210Z_AbCdEfGh12345678.json";

/// A delivered file: the first record lost its `eventTime`, the second kept it.
fn delivered() -> String {
    let a = FORWARDED[3].replace("ts-04", "dt-01");
    let b = FORWARDED[3].replace("ts-04", "dt-02").replacen(
        r#""eventSource""#,
        r#""eventTime":"2024-03-01T12:04:00Z","eventSource""#,
        1,
    );
    format!(r#"{{"Records":[{a},{b}]}}"#)
}

fn iso(s: &str) -> i64 {
    parse_event_time(s).unwrap()
}

#[test]
fn records_without_event_time_take_timestamp_or_delivery_time() {
    let dir = tempfile::tempdir().unwrap();
    let fwd = write(dir.path(), "forwarded.ndjson", &FORWARDED.join("\n"));
    let del = write(dir.path(), DELIVERED, &delivered());
    let data = load_paths(&[&fwd, &del], WindowMode::default());
    assert_eq!(data.report.records, 6);
    // Only ts-04 (no time anywhere, no delivery name) stays without one.
    assert_eq!(data.report.records_without_time, 1);
    let ids: Vec<String> = strings(&data.batches, "eventID")
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let t: BTreeMap<&str, Option<i64>> = ids
        .iter()
        .map(String::as_str)
        .zip(times(&data.batches))
        .collect();
    assert_eq!(t["ts-01"], Some(iso("2024-03-01T12:00:00Z")));
    assert_eq!(t["ts-02"], Some(iso("2024-03-01T12:01:00Z")));
    assert_eq!(t["ts-03"], Some(iso("2024-03-01T12:02:00Z")));
    assert_eq!(t["ts-04"], None);
    assert_eq!(t["dt-01"], Some(iso("2024-03-01T12:10:00Z")));
    assert_eq!(t["dt-02"], Some(iso("2024-03-01T12:04:00Z")));
    // The records still say what they said.
    let own = by_event_id(&data, "eventTime");
    assert_eq!(own["ts-01"], None);
    assert_eq!(own["ts-02"].as_deref(), Some("not a time"));
    assert_eq!(own["dt-01"], None);
    let n = nested(&data);
    assert!(n["ts-02"].contains(&(
        "@timestamp".into(),
        Some("1709294460000".into()),
        schema::kind::NUMBER
    )));

    let report = |name: &str| {
        data.report
            .files
            .iter()
            .find(|f| f.path.ends_with(name))
            .unwrap()
            .clone()
    };
    let f = report("forwarded.ndjson");
    assert_eq!(
        f.warnings,
        vec![
            "3 records have no parseable `eventTime`: 2 took it from `@timestamp`, 1 has none (no time range or window holds it)"
                .to_string()
        ]
    );
    let f = report(".json");
    assert_eq!(
        f.warnings,
        vec![format!(
            "1 record has no parseable `eventTime`: 1 took it from the delivery time in the file's name ({})",
            format_rfc3339(iso("2024-03-01T12:10:00Z"))
        )]
    );
    // Windows order them by that time: one entity, one window (60 events) that opens
    // at the earliest, ts-01's `@timestamp`; the record with no time comes last.
    let windows = by_event_id(&data, schema::WINDOW_ID);
    assert!(
        windows
            .values()
            .all(|w| w.as_deref()
                == Some("arn:aws:iam::111122223333:root.2024-03-01 12:00:00.000000")),
        "{windows:?}"
    );
    let index: BTreeMap<&str, i64> = ids
        .iter()
        .map(String::as_str)
        .zip(common::ints(&data.batches, schema::WINDOW_INDEX))
        .collect();
    let order = ["ts-01", "ts-02", "ts-03", "dt-02", "dt-01", "ts-04"];
    for (i, id) in order.iter().enumerate() {
        assert_eq!(index[id], i as i64, "{id} in {index:?}");
    }
}

#[test]
fn a_time_range_keeps_records_timed_by_a_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let fwd = write(dir.path(), "forwarded.ndjson", &FORWARDED.join("\n"));
    let del = write(dir.path(), DELIVERED, &delivered());
    let inputs = vec![fwd.display().to_string(), del.display().to_string()];
    let found = discover(&inputs).unwrap();
    for skip_windows in [false, true] {
        let data = load(
            &Listing::local(&found),
            &LoadOptions {
                threads: 1,
                from: Some(iso("2024-03-01T12:00:30Z")),
                to: Some(iso("2024-03-01T12:15:00Z")),
                skip_windows,
                skip_nested: skip_windows,
                ..LoadOptions::default()
            },
            None,
        )
        .unwrap();
        let mut ids: Vec<String> = strings(&data.batches, "eventID")
            .into_iter()
            .map(Option::unwrap)
            .collect();
        ids.sort();
        // ts-01 (12:00:00) is before the range; ts-04 has no time.
        assert_eq!(
            ids,
            ["dt-01", "dt-02", "ts-02", "ts-03"],
            "skip_windows {skip_windows}"
        );
    }
}
