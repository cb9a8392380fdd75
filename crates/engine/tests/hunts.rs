//! The seven hunts of the threat-hunting notebook, in the query language, return the
//! per-entity windows their events fall in — checked against an independent computation
//! of LANGUAGE.md §5 windows over the raw files.

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use common::{raw_records, repo, rows, s, window_ids};
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

type Pred = fn(&Value) -> bool;

fn eq(r: &Value, path: &str, v: &str) -> bool {
    s(r, path).is_some_and(|x| x.eq_ignore_ascii_case(v))
}

fn hunts() -> Vec<(&'static str, &'static str, Pred)> {
    vec![
        (
            "suspicious user agents",
            "userAgent = ('*kali*' '*parrot*' '*pentoo*' '*powershell*')",
            |r| {
                let ua = s(r, "userAgent").unwrap_or("").to_ascii_lowercase();
                ["kali", "parrot", "pentoo", "powershell"]
                    .iter()
                    .any(|w| ua.contains(w))
            },
        ),
        (
            "root console logins",
            "userIdentity.type=Root eventName=ConsoleLogin",
            |r| eq(r, "userIdentity.type", "Root") && eq(r, "eventName", "ConsoleLogin"),
        ),
        (
            "failed console sign-ins",
            r#"eventName=ConsoleLogin errorMessage:"Failed authentication""#,
            |r| {
                eq(r, "eventName", "ConsoleLogin")
                    && s(r, "errorMessage").is_some_and(|m| m.contains("Failed authentication"))
            },
        ),
        ("GetSecretValue", "eventName=GetSecretValue", |r| {
            eq(r, "eventName", "GetSecretValue")
        }),
        (
            "AssumeRole denials",
            "eventName=AssumeRole errorCode:AccessDenied",
            |r| eq(r, "eventName", "AssumeRole") && eq(r, "errorCode", "AccessDenied"),
        ),
        (
            "CloudTrail tampering",
            "eventSource=cloudtrail.amazonaws.com eventName=(StopLogging DeleteTrail UpdateTrail PutEventSelectors)",
            |r| {
                eq(r, "eventSource", "cloudtrail.amazonaws.com")
                    && [
                        "StopLogging",
                        "DeleteTrail",
                        "UpdateTrail",
                        "PutEventSelectors",
                    ]
                    .iter()
                    .any(|n| eq(r, "eventName", n))
            },
        ),
        (
            "GuardDuty tampering",
            "eventSource=guardduty.amazonaws.com eventName=(DeleteDetector UpdateDetector DisassociateFromMasterAccount DeleteMembers StopMonitoringMembers)",
            |r| {
                eq(r, "eventSource", "guardduty.amazonaws.com")
                    && [
                        "DeleteDetector",
                        "UpdateDetector",
                        "DisassociateFromMasterAccount",
                        "DeleteMembers",
                        "StopMonitoringMembers",
                    ]
                    .iter()
                    .any(|n| eq(r, "eventName", n))
            },
        ),
    ]
}

#[test]
fn each_hunt_returns_the_windows_of_its_events() {
    let windows = window_ids(records());
    for (name, query, pred) in hunts() {
        let mut expected: BTreeMap<String, u64> = BTreeMap::new();
        for r in records().iter().filter(|r| pred(r)) {
            let id = s(r, "eventID").unwrap();
            *expected.entry(windows[id].clone()).or_default() += 1;
        }
        assert!(!expected.is_empty(), "{name}: the sample has this story");
        let got: BTreeMap<String, u64> =
            rows(engine(), &format!("{query} | stats count() by window_id"))
                .iter()
                .map(|g| {
                    (
                        g["window_id"].as_str().unwrap().to_string(),
                        g["@q.count"].as_u64().unwrap(),
                    )
                })
                .collect();
        assert_eq!(got, expected, "{name}: {query}");
    }
}

#[test]
fn window_columns_are_there_for_every_query() {
    let got = rows(engine(), "* | groupbycount window_id | head 1");
    assert!(got[0]["@q.count"].as_u64().unwrap() <= 60);
    let firsts = rows(engine(), "window_index = 0 | count");
    let windows = rows(engine(), "* | countdistinct(window_id)");
    assert_eq!(firsts[0]["@q.count"], windows[0]["@q.uniq"]);
}
