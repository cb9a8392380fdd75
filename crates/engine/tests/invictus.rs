//! Known answers on the real attack simulation in `../shared/data/invictus-ir`.

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use common::{raw_records, rows, s, shared};
use serde_json::Value;
use trailhunt_engine::Engine;

fn data() -> Option<&'static (Engine, Vec<Value>)> {
    static D: OnceLock<Option<(Engine, Vec<Value>)>> = OnceLock::new();
    D.get_or_init(|| {
        let dir = shared()?.join("data/invictus-ir");
        Some((common::engine(&dir), raw_records(&dir)))
    })
    .as_ref()
}

#[test]
fn tampering_and_secret_access_counts_and_actors() {
    let Some((engine, records)) = data() else {
        eprintln!("../shared/data not present: nothing to check here");
        return;
    };
    for name in [
        "StopLogging",
        "DeleteTrail",
        "GetSecretValue",
        "PutEventSelectors",
        "CreateUser",
        "CreateAccessKey",
    ] {
        let mut expected: BTreeMap<String, u64> = BTreeMap::new();
        for r in records.iter().filter(|r| s(r, "eventName") == Some(name)) {
            *expected
                .entry(s(r, "userIdentity.arn").unwrap_or("<null>").to_string())
                .or_default() += 1;
        }
        let got: BTreeMap<String, u64> = rows(
            engine,
            &format!("eventName={name} | stats count() by userIdentity.arn"),
        )
        .iter()
        .map(|g| {
            (
                g["userIdentity.arn"]
                    .as_str()
                    .unwrap_or("<null>")
                    .to_string(),
                g["@q.count"].as_u64().unwrap(),
            )
        })
        .collect();
        assert_eq!(got, expected, "{name}");
    }
    // Pinned answers (read off the files once): the attacker did all of it.
    let attacker = "arn:aws:iam::123837392027:user/bert-jan";
    let pinned = rows(
        engine,
        "eventName=(StopLogging DeleteTrail GetSecretValue) | stats count() by eventName, userIdentity.arn",
    );
    let pinned: Vec<(String, String, u64)> = pinned
        .iter()
        .map(|g| {
            (
                g["eventName"].as_str().unwrap().to_string(),
                g["userIdentity.arn"].as_str().unwrap().to_string(),
                g["@q.count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pinned,
        vec![
            ("DeleteTrail".into(), attacker.into(), 3),
            ("GetSecretValue".into(), attacker.into(), 60),
            ("StopLogging".into(), attacker.into(), 3),
        ]
    );
}

#[test]
fn errors_and_identities() {
    let Some((engine, records)) = data() else {
        eprintln!("../shared/data not present: nothing to check here");
        return;
    };
    let errors = records
        .iter()
        .filter(|r| s(r, "errorCode").is_some())
        .count() as u64;
    assert_eq!(rows(engine, "errorCode:* | count")[0]["@q.count"], errors);
    assert_eq!(
        rows(engine, "not errorCode:* | count")[0]["@q.count"],
        records.len() as u64 - errors
    );
    let top = rows(engine, "* | groupbycount userIdentity.arn | head 2");
    assert_eq!(
        top[0]["userIdentity.arn"],
        "arn:aws:iam::123837392027:user/bert-jan"
    );
    assert_eq!(top[0]["@q.count"], 2641);
    assert_eq!(
        top[1]["userIdentity.arn"],
        "arn:aws:iam::123837392027:user/benjamin"
    );
}
