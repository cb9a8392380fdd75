//! Oracles for null tests, absent paths, `IN` lists and non-ASCII tokens (issue 9, items
//! 4, 6 and 7): each reads the raw records with serde_json and nothing else.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::super::common::{s, scalars};

/// The rows oracle `name` computes, or `None` when it is not one of these.
pub fn compute(name: &str, records: &[Value]) -> Option<Vec<Value>> {
    Some(match name {
        "nulls_failed_by_source" => failed_by_source(records),
        "nulls_with_error" => count(records.iter().filter(|r| !is_null(r, "errorCode"))),
        "nulls_without_error" => count(records.iter().filter(|r| is_null(r, "errorCode"))),
        "nulls_all" => count(records.iter()),
        "nulls_console_login" => {
            count(records.iter().filter(|r| {
                s(r, "eventName").is_some_and(|n| n.eq_ignore_ascii_case("ConsoleLogin"))
            }))
        }
        "nulls_decrypt_getuser" => by_event_name(records, &["Decrypt", "GetUser"]),
        "nulls_korean_word" => count(records.iter().filter(|r| has_word(r, "안녕하세요"))),
        "nulls_mfa_in_list" => count(records.iter().filter(|r| {
            s(r, "userIdentity.sessionContext.attributes.mfaAuthenticated")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        })),
        n => {
            // `nulls_json_null/PATH`, `nulls_present/PATH`, `nulls_absent/PATH`: counts of
            // records that write PATH as JSON null, write it at all, or do not write it.
            let (test, path) = n.strip_prefix("nulls_")?.split_once('/')?;
            let at = |r: &Value| path.split('.').try_fold(r, |v, k| v.get(k)).cloned();
            match test {
                "json_null" => count(
                    records
                        .iter()
                        .filter(|r| at(r).is_some_and(|v| v.is_null())),
                ),
                "present" => count(records.iter().filter(|r| at(r).is_some())),
                "absent" => count(records.iter().filter(|r| at(r).is_none())),
                _ => return None,
            }
        }
    })
}

/// The value at a dotted path is absent or JSON null.
fn is_null(r: &Value, path: &str) -> bool {
    path.split('.')
        .try_fold(r, |v, k| v.get(k))
        .is_none_or(Value::is_null)
}

/// `… | count`: one row.
fn count<'a>(rows: impl Iterator<Item = &'a Value>) -> Vec<Value> {
    vec![json!({"@q.count": rows.count()})]
}

/// Groups ascending by key, a missing key (null) last, as `stats … by` orders them.
fn grouped<K: Ord + Clone>(groups: BTreeMap<Option<K>, Value>) -> Vec<Value> {
    let mut rows: Vec<(Option<K>, Value)> = groups.into_iter().collect();
    rows.sort_by_key(|(k, _)| (k.is_none(), k.clone()));
    rows.into_iter().map(|(_, v)| v).collect()
}

/// `* | eval failed = if(errorCode == null, 0, 1) | stats sum(failed) as failed by
/// eventSource`: how many events of each source failed (have an error code).
fn failed_by_source(records: &[Value]) -> Vec<Value> {
    let mut acc: BTreeMap<Option<&str>, (u64, u64)> = BTreeMap::new();
    for r in records {
        let e = acc.entry(s(r, "eventSource")).or_default();
        e.0 += 1;
        e.1 += u64::from(!is_null(r, "errorCode"));
    }
    let groups = acc
        .into_iter()
        .map(|(k, (n, failed))| {
            let mut m = Map::new();
            m.insert("eventSource".into(), json!(k));
            m.insert("@q.count".into(), json!(n));
            m.insert("failed".into(), json!(failed));
            (k, Value::Object(m))
        })
        .collect();
    grouped(groups)
}

/// `eventName IN (…) | count by eventName`: names compared ASCII case-insensitively; a
/// group per spelling found in the data.
fn by_event_name(records: &[Value], names: &[&str]) -> Vec<Value> {
    let mut acc: BTreeMap<Option<&str>, u64> = BTreeMap::new();
    for r in records {
        if let Some(n) = s(r, "eventName")
            && names.iter().any(|w| w.eq_ignore_ascii_case(n))
        {
            *acc.entry(Some(n)).or_default() += 1;
        }
    }
    let groups = acc
        .into_iter()
        .map(|(k, n)| (k, json!({"eventName": k, "@q.count": n})))
        .collect();
    grouped(groups)
}

/// Tokens as the language defines them with this project's extension: runs of Unicode
/// letters and digits and `_`; ASCII letters folded to lower case, others kept.
fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Free text: some scalar of the record holds the token sequence of `word`.
fn has_word(r: &Value, word: &str) -> bool {
    let w = tokens(word);
    let mut values = Vec::new();
    scalars(r, &mut values);
    values.iter().any(|v| {
        let t = tokens(v);
        !w.is_empty() && t.windows(w.len()).any(|win| win == w.as_slice())
    })
}
