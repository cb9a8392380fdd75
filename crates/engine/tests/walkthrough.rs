//! The Scanner tutorial's walkthrough, verbatim, on the generated sample with its planted
//! S3 exfiltration story; every expectation is computed from the raw files with serde_json.

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use common::{has_tokens, n, raw_records, repo, rows, s, scalars};
use serde_json::Value;
use trailhunt_engine::Engine;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| common::engine(&repo().join("examples/data")))
}

fn records() -> &'static Vec<Value> {
    static R: OnceLock<Vec<Value>> = OnceLock::new();
    R.get_or_init(|| raw_records(&repo().join("examples/data")))
}

const ARN: &str = "arn:aws:iam::798029671665:user/pgibbons";
const SEARCH: &str = r#""arn:aws:iam::798029671665:user/pgibbons" s3.amazonaws.com GetObject"#;

/// The free-text search, by hand: a substring in some value, and two token sequences.
fn search_matches(r: &Value) -> bool {
    let mut vals = Vec::new();
    scalars(r, &mut vals);
    vals.iter().any(|v| v.contains(ARN))
        && vals.iter().any(|v| has_tokens(v, "s3.amazonaws.com"))
        && vals.iter().any(|v| has_tokens(v, "GetObject"))
}

fn key(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "<null>".into(),
        Some(other) => other.to_string(),
    }
}

#[test]
fn free_text_arn_search() {
    let expected = records().iter().filter(|r| search_matches(r)).count();
    assert!(expected > 100, "the story is planted: {expected}");
    let got = rows(engine(), &format!("{SEARCH} | count"));
    assert_eq!(got[0]["@q.count"], expected as u64);
    // The events themselves come back whole, in time order.
    let evs = rows(engine(), SEARCH);
    assert_eq!(evs.len(), expected);
    assert!(
        evs.iter()
            .all(|e| e["userIdentity"]["arn"] == ARN || e.to_string().contains(ARN))
    );
    let times: Vec<&str> = evs
        .iter()
        .map(|e| e["timestamp"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn groupbycount_four_columns() {
    let mut expected: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    for r in records().iter().filter(|r| search_matches(r)) {
        let k = ["errorCode", "eventSource", "eventName", "userIdentity.arn"]
            .iter()
            .map(|p| s(r, p).unwrap_or("<null>").to_string())
            .collect();
        *expected.entry(k).or_default() += 1;
    }
    let got = rows(
        engine(),
        &format!("{SEARCH} | groupbycount errorCode, eventSource, eventName, userIdentity.arn"),
    );
    let mut seen = BTreeMap::new();
    for g in &got {
        let k: Vec<String> = ["errorCode", "eventSource", "eventName", "userIdentity.arn"]
            .iter()
            .map(|c| key(g, c))
            .collect();
        seen.insert(k, g["@q.count"].as_u64().unwrap());
    }
    assert_eq!(seen, expected);
    let counts: Vec<u64> = got
        .iter()
        .map(|g| g["@q.count"].as_u64().unwrap())
        .collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "highest count first"
    );
}

#[test]
fn exfiltration_sum_by_bucket_and_user() {
    let q = format!(
        "{SEARCH}
| rename additionalEventData.bytesTransferredOut as bytes_exfiltrated,
         requestParameters.bucketName as s3_bucket,
         userIdentity.userName as user_name
| stats sum(bytes_exfiltrated) as total_bytes_exfiltrated by s3_bucket, user_name"
    );
    let mut expected: BTreeMap<(String, String), f64> = BTreeMap::new();
    for r in records().iter().filter(|r| search_matches(r)) {
        let k = (
            s(r, "requestParameters.bucketName")
                .unwrap_or("<null>")
                .to_string(),
            s(r, "userIdentity.userName")
                .unwrap_or("<null>")
                .to_string(),
        );
        *expected.entry(k).or_default() +=
            n(r, "additionalEventData.bytesTransferredOut").unwrap_or(0.0);
    }
    let got = rows(engine(), &q);
    let seen: BTreeMap<(String, String), f64> = got
        .iter()
        .map(|g| {
            (
                (key(g, "s3_bucket"), key(g, "user_name")),
                g["total_bytes_exfiltrated"].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    assert_eq!(seen, expected);
    let biggest = seen.iter().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
    assert!(biggest.0.0.starts_with("initech-"), "{biggest:?}");
    assert!(
        *biggest.1 > 1e9,
        "gigabytes left through one bucket: {biggest:?}"
    );
}

#[test]
fn bucket_pivot_groupbycount_user_name() {
    let buckets = [
        "initech-finance-reports",
        "initech-payroll-exports",
        "initech-customer-db-backups",
    ];
    let q = format!(
        "requestParameters.bucketName=({}) | rename userIdentity.userName as user_name | groupbycount user_name",
        buckets.join(" ")
    );
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for r in records() {
        let b = s(r, "requestParameters.bucketName").unwrap_or("");
        if buckets.iter().any(|x| x.eq_ignore_ascii_case(b)) {
            *expected
                .entry(
                    s(r, "userIdentity.userName")
                        .unwrap_or("<null>")
                        .to_string(),
                )
                .or_default() += 1;
        }
    }
    let got = rows(engine(), &q);
    let seen: BTreeMap<String, u64> = got
        .iter()
        .map(|g| (key(g, "user_name"), g["@q.count"].as_u64().unwrap()))
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(key(&got[0], "user_name"), "pgibbons");
    for who in ["mbolton", "samirn"] {
        assert!(seen.contains_key(who), "{who} touched the buckets too");
    }
}

#[test]
fn three_users_stats_by_error_source_name() {
    let users = ["pgibbons", "mbolton", "samirn"];
    let q = "userIdentity.userName=(pgibbons mbolton samirn) | stats by errorCode, eventSource, eventName";
    let mut expected: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    for r in records() {
        let u = s(r, "userIdentity.userName").unwrap_or("");
        if users.iter().any(|x| x.eq_ignore_ascii_case(u)) {
            let k = ["errorCode", "eventSource", "eventName"]
                .iter()
                .map(|p| s(r, p).unwrap_or("<null>").to_string())
                .collect();
            *expected.entry(k).or_default() += 1;
        }
    }
    let got = rows(engine(), q);
    let seen: BTreeMap<Vec<String>, u64> = got
        .iter()
        .map(|g| {
            (
                ["errorCode", "eventSource", "eventName"]
                    .iter()
                    .map(|c| key(g, c))
                    .collect(),
                g["@q.count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen, expected);
    assert!(
        seen.keys().any(|k| k[0] == "AccessDenied"),
        "the colleagues' denied reads show"
    );
}
