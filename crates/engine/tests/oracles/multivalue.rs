//! Oracles for multi-valued array paths and wildcard columns (issue 9, items 2 and 3),
//! computed by walking each raw record's `resources` array (or `userIdentity` object)
//! with serde_json alone.
//!
//! The rules they encode (LANGUAGE.md, grammar/README.md): a path through an array
//! without an index has every element's value; an event counts once under each distinct
//! value, and once under null when it has none; `table` shows one value as itself,
//! several as a JSON array; groups come out ascending by key, null last.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::common::s;

/// The EC2 instance of `../shared/data/invictus-ir` that appears in several `resources`
/// entries (the example of issue 9).
pub const INSTANCE: &str = "arn:aws:ec2:us-east-1:123837392027:instance/i-0dbc91f429e48eeed";

/// The rows oracle `name` computes, or `None` when it is not one of these.
pub fn compute(name: &str, records: &[Value]) -> Option<Vec<Value>> {
    Some(match name {
        "mv_count_by_resources_arn" => count_by(records, "ARN"),
        "mv_count_by_resources_type" => count_by(records, "type"),
        "mv_count_by_type_and_source" => count_by_type_and_source(records),
        "mv_instance_count" => vec![json!({"@q.count": with_arn(records, INSTANCE).len()})],
        "mv_instance_group" => count_by(records, "ARN")
            .into_iter()
            .filter(|r| r["resources.ARN"] == INSTANCE)
            .collect(),
        "mv_instance_table" => table_arns(&with_arn(records, INSTANCE)),
        "mv_table_resources_arn" => table_arns(&records.iter().collect::<Vec<_>>()),
        "mv_countdistinct_arn" => {
            let all: BTreeSet<String> = records.iter().flat_map(|r| values(r, "ARN")).collect();
            vec![json!({"@q.uniq": all.len()})]
        }
        "mv_top_resources_type" => top(records, "type", 3),
        "mv_dedup_resources_arn" => dedup(records, "ARN"),
        "mv_values_by_source" => values_by_source(records),
        "mv_table_user_identity_star" => table_user_identity(records),
        _ => return None,
    })
}

/// The distinct string values of `resources[*].key` of a record, in document order.
fn values(r: &Value, key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(Value::Array(items)) = r.get("resources") {
        for item in items {
            if let Some(Value::String(v)) = item.get(key)
                && !out.contains(v)
            {
                out.push(v.clone());
            }
        }
    }
    out
}

/// The group keys of a record: each value, or one null.
fn keys(r: &Value, key: &str) -> Vec<Option<String>> {
    let v = values(r, key);
    if v.is_empty() {
        vec![None]
    } else {
        v.into_iter().map(Some).collect()
    }
}

/// Ascending, null last (`Option` orders `None` first, so flip that).
fn null_last<K: Ord + Clone, V>(m: BTreeMap<Option<K>, V>) -> Vec<(Option<K>, V)> {
    let mut rows: Vec<(Option<K>, V)> = m.into_iter().collect();
    rows.sort_by_key(|(a, _)| (a.is_none(), a.clone()));
    rows
}

/// `* | count by resources.KEY`.
fn count_by(records: &[Value], key: &str) -> Vec<Value> {
    let mut counts: BTreeMap<Option<String>, u64> = BTreeMap::new();
    for r in records {
        for k in keys(r, key) {
            *counts.entry(k).or_default() += 1;
        }
    }
    let col = format!("resources.{key}");
    null_last(counts)
        .into_iter()
        .map(|(k, n)| {
            let mut m = Map::new();
            m.insert(col.clone(), json!(k));
            m.insert("@q.count".into(), json!(n));
            Value::Object(m)
        })
        .collect()
}

/// `* | stats count() by resources.type, eventSource`: groups sorted by the first key,
/// then the second (each null last).
fn count_by_type_and_source(records: &[Value]) -> Vec<Value> {
    let mut counts: BTreeMap<(Option<String>, Option<String>), u64> = BTreeMap::new();
    for r in records {
        let src = s(r, "eventSource").map(str::to_string);
        for k in keys(r, "type") {
            *counts.entry((k, src.clone())).or_default() += 1;
        }
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    let nl = |k: &Option<String>| (k.is_none(), k.clone());
    rows.sort_by_key(|((a1, a2), _)| (nl(a1), nl(a2)));
    rows.into_iter()
        .map(|((t, src), n)| json!({"resources.type": t, "eventSource": src, "@q.count": n}))
        .collect()
}

/// The records with `ARN` among their resources.
fn with_arn<'a>(records: &'a [Value], arn: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| values(r, "ARN").iter().any(|v| v == arn))
        .collect()
}

/// Records in event order: time, then event id. Times are compared by their digits
/// (`2024-03-01 11:00:00` is `2024-03-01T11:00:00Z`; the files hold whole seconds).
fn in_order<'a>(records: &[&'a Value]) -> Vec<&'a Value> {
    let time = |r: &Value| -> String {
        s(r, "eventTime")
            .unwrap_or("")
            .chars()
            .filter(char::is_ascii_digit)
            .collect()
    };
    let mut v = records.to_vec();
    v.sort_by_key(|r| (time(r), s(r, "eventID").map(str::to_string)));
    v
}

/// How `table` shows a multi-valued path: nothing is null, one value is itself,
/// several are a JSON array.
fn shown(vals: Vec<String>) -> Value {
    match vals.len() {
        0 => Value::Null,
        1 => json!(vals[0]),
        _ => json!(vals),
    }
}

/// `… | table eventID, resources.ARN` in event order.
fn table_arns(records: &[&Value]) -> Vec<Value> {
    in_order(records)
        .into_iter()
        .map(|r| json!({"eventID": s(r, "eventID"), "resources.ARN": shown(values(r, "ARN"))}))
        .collect()
}

/// `* | top resources.type N`: most common first (ties by value), with the percent of
/// events having the value.
fn top(records: &[Value], key: &str, n: usize) -> Vec<Value> {
    let mut counts: BTreeMap<Option<String>, u64> = BTreeMap::new();
    for r in records {
        for k in keys(r, key) {
            *counts.entry(k).or_default() += 1;
        }
    }
    let mut rows = null_last(counts);
    rows.sort_by_key(|r| std::cmp::Reverse(r.1)); // stable: ties keep ascending key order
    let events = records.len() as f64;
    let col = format!("resources.{key}");
    rows.into_iter()
        .take(n)
        .map(|(k, c)| {
            let mut m = Map::new();
            m.insert(col.clone(), json!(k));
            m.insert("@q.count".into(), json!(c));
            m.insert("percent".into(), json!(c as f64 * 100.0 / events));
            Value::Object(m)
        })
        .collect()
}

/// `* | dedup resources.KEY | table eventID`: in event order, keep an event when it is
/// the first to have one of its values (or the first with none).
fn dedup(records: &[Value], key: &str) -> Vec<Value> {
    let all: Vec<&Value> = records.iter().collect();
    let mut seen: BTreeSet<Option<String>> = BTreeSet::new();
    let mut out = Vec::new();
    for r in in_order(&all) {
        let mut first = false;
        for k in keys(r, key) {
            first |= seen.insert(k);
        }
        if first {
            out.push(json!({"eventID": s(r, "eventID")}));
        }
    }
    out
}

/// `* | stats values(resources.ARN) as arns, countdistinct(resources.ARN) as n by
/// eventSource`.
fn values_by_source(records: &[Value]) -> Vec<Value> {
    let mut groups: BTreeMap<Option<String>, (u64, BTreeSet<String>)> = BTreeMap::new();
    for r in records {
        let g = groups
            .entry(s(r, "eventSource").map(str::to_string))
            .or_default();
        g.0 += 1;
        g.1.extend(values(r, "ARN"));
    }
    null_last(groups)
        .into_iter()
        .map(|(src, (n, arns))| {
            json!({"eventSource": src, "@q.count": n, "arns": arns, "n": arns.len()})
        })
        .collect()
}

/// `* | table userIdentity.*`: one column per key of `userIdentity` in the data, sorted;
/// a scalar as text, an object as itself.
fn table_user_identity(records: &[Value]) -> Vec<Value> {
    let mut names: BTreeSet<String> = BTreeSet::new();
    for r in records {
        if let Some(Value::Object(m)) = r.get("userIdentity") {
            names.extend(
                m.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, _)| k.clone()),
            );
        }
    }
    let all: Vec<&Value> = records.iter().collect();
    in_order(&all)
        .into_iter()
        .map(|r| {
            let mut m = Map::new();
            for k in &names {
                let v = match r.get("userIdentity").and_then(|u| u.get(k)) {
                    None | Some(Value::Null) => Value::Null,
                    Some(Value::String(t)) => json!(t),
                    Some(o @ Value::Object(_)) => o.clone(),
                    Some(other) => json!(other.to_string()),
                };
                m.insert(format!("userIdentity.{k}"), v);
            }
            Value::Object(m)
        })
        .collect()
}
