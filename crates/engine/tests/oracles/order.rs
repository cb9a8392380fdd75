//! Oracles for deterministic order, exact percentiles and distinct matchers (issue 9,
//! items 1, 5, 8), computed from the raw records alone.
//!
//! Event order (LANGUAGE.md, as windows cut it): event time (a missing one last), then
//! `eventID` (a missing one first), then the source file, then the place in the file.
//! `common::raw_input` yields files in path order and each file's records in file order,
//! so a stable sort on (time, eventID) over the records as given is that order.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::super::common::{has_tokens, n, s};

/// `eventTime` as a sortable key (`YYYY-MM-DDTHH:MM:SS.fffffffff`), or `None`.
fn time_key(r: &Value) -> Option<String> {
    let t = s(r, "eventTime")?.trim().replace(' ', "T");
    let t = t.strip_suffix('Z').unwrap_or(&t);
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.len() != 19 {
        return None;
    }
    Some(format!("{whole}.{frac:0<9}"))
}

fn event_cmp(a: &Value, b: &Value) -> Ordering {
    let (ta, tb) = (time_key(a), time_key(b));
    (ta.is_none(), ta)
        .cmp(&(tb.is_none(), tb))
        .then_with(|| s(a, "eventID").cmp(&s(b, "eventID")))
}

/// The records in event order.
fn in_event_order(records: &[Value]) -> Vec<&Value> {
    let mut v: Vec<&Value> = records.iter().collect();
    v.sort_by(|a, b| event_cmp(a, b)); // stable: file, then place in the file
    v
}

/// A raw value at a dotted path as the engine prints it (strings, numbers, booleans).
fn at(r: &Value, path: &str) -> Value {
    path.split('.')
        .try_fold(r, |v, k| v.get(k))
        .cloned()
        .unwrap_or(Value::Null)
}

fn row(cols: &[(&str, Value)]) -> Value {
    let mut m = Map::new();
    for (k, v) in cols {
        m.insert((*k).to_string(), v.clone());
    }
    Value::Object(m)
}

/// `sort -readOnly`: true, then false, then missing; ties in event order.
fn sorted_by_read_only_desc(records: &[Value]) -> Vec<&Value> {
    let rank = |r: &Value| match at(r, "readOnly") {
        Value::Bool(true) => 0,
        Value::Bool(false) => 1,
        _ => 2,
    };
    let mut v = in_event_order(records);
    v.sort_by_key(|r| rank(r));
    v
}

pub fn compute(name: &str, records: &[Value]) -> Option<Vec<Value>> {
    Some(match name {
        "order_event_names" => in_event_order(records)
            .into_iter()
            .map(|r| row(&[("eventName", at(r, "eventName"))]))
            .collect(),
        "order_read_only_desc_names" => sorted_by_read_only_desc(records)
            .into_iter()
            .map(|r| {
                row(&[
                    ("eventName", at(r, "eventName")),
                    ("readOnly", at(r, "readOnly")),
                ])
            })
            .collect(),
        "order_read_only_desc_head50_ids" => sorted_by_read_only_desc(records)
            .into_iter()
            .take(50)
            .map(|r| row(&[("eventID", at(r, "eventID"))]))
            .collect(),
        "order_read_only_desc_s3_head20_ids" => sorted_by_read_only_desc(records)
            .into_iter()
            .filter(|r| s(r, "eventSource").is_some_and(|v| has_tokens(v, "s3")))
            .take(20)
            .map(|r| row(&[("id", at(r, "eventID"))]))
            .collect(),
        "order_read_only_desc_tail5_ids" => {
            let v = sorted_by_read_only_desc(records);
            v[v.len().saturating_sub(5)..]
                .iter()
                .map(|r| row(&[("eventID", at(r, "eventID"))]))
                .collect()
        }
        "order_dedup_source_after_read_only" => {
            let mut seen = Vec::new();
            let mut out = Vec::new();
            for r in sorted_by_read_only_desc(records) {
                let k = at(r, "eventSource");
                if !seen.contains(&k) {
                    seen.push(k.clone());
                    out.push(row(&[("eventSource", k), ("eventID", at(r, "eventID"))]));
                }
            }
            out
        }
        "order_earliest_latest_by_event_id" => {
            // Groups by eventID ascending, a missing one last.
            let mut groups: BTreeMap<(bool, Option<&str>), Vec<&Value>> = BTreeMap::new();
            for r in in_event_order(records) {
                let id = s(r, "eventID");
                groups.entry((id.is_none(), id)).or_default().push(r);
            }
            groups
                .into_iter()
                .map(|((_, id), evs)| {
                    row(&[
                        ("eventID", json!(id)),
                        ("@q.count", json!(evs.len())),
                        ("first", at(evs[0], "eventName")),
                        ("last", at(evs[evs.len() - 1], "eventName")),
                    ])
                })
                .collect()
        }
        "order_earliest_latest" => {
            let v = in_event_order(records);
            vec![row(&[
                ("@q.count", json!(v.len())),
                ("first", at(v[0], "eventName")),
                ("last", at(v[v.len() - 1], "eventName")),
            ])]
        }
        "order_count_by_name_sort_n_head10_table" => {
            compute("order_count_by_name_sort_n_head10", records)?
                .into_iter()
                .map(|r| row(&[("eventName", r["eventName"].clone()), ("n", r["n"].clone())]))
                .collect()
        }
        "order_count_by_name_sort_n_head10" => {
            // Ties on n broken by the group key (ascending, missing last).
            let mut counts: BTreeMap<(bool, Option<&str>), u64> = BTreeMap::new();
            for r in records {
                let k = s(r, "eventName");
                *counts.entry((k.is_none(), k)).or_default() += 1;
            }
            let mut v: Vec<_> = counts.into_iter().collect();
            v.sort_by_key(|(_, c)| *c); // stable: key order within a count
            v.into_iter()
                .take(10)
                .map(|((_, k), c)| {
                    row(&[
                        ("eventName", json!(k)),
                        ("@q.count", json!(c)),
                        ("n", json!(c)),
                    ])
                })
                .collect()
        }
        "order_rare5_event_name" | "order_top5_user_agent" => {
            let (path, most) = if name == "order_rare5_event_name" {
                ("eventName", false)
            } else {
                ("userAgent", true)
            };
            let mut counts: BTreeMap<(bool, Option<&str>), u64> = BTreeMap::new();
            for r in records {
                let k = s(r, path);
                *counts.entry((k.is_none(), k)).or_default() += 1;
            }
            let total: u64 = counts.values().sum();
            let mut v: Vec<_> = counts.into_iter().collect();
            if most {
                v.sort_by_key(|(_, c)| std::cmp::Reverse(*c));
            } else {
                v.sort_by_key(|(_, c)| *c);
            }
            v.into_iter()
                .take(5)
                .map(|((_, k), c)| {
                    row(&[
                        (path, json!(k)),
                        ("@q.count", json!(c)),
                        ("percent", json!(c as f64 * 100.0 / total as f64)),
                    ])
                })
                .collect()
        }
        "order_percentiles_bytes_out" => {
            let mut vals: Vec<f64> = records
                .iter()
                .filter_map(|r| n(r, "additionalEventData.bytesTransferredOut"))
                .collect();
            vals.sort_by(f64::total_cmp);
            let p = |rank: f64| -> Value {
                if vals.is_empty() {
                    return Value::Null;
                }
                // Linear interpolation between closest ranks (numpy's default).
                let h = rank / 100.0 * (vals.len() - 1) as f64;
                let lo = h.floor() as usize;
                let hi = (lo + 1).min(vals.len() - 1);
                json!(vals[lo] + (vals[hi] - vals[lo]) * (h - lo as f64))
            };
            vec![row(&[
                ("@q.count", json!(records.len())),
                ("p99", p(99.0)),
                ("p50", p(50.0)),
                ("p0", p(0.0)),
                ("p100", p(100.0)),
                ("p12", p(12.5)),
            ])]
        }
        "order_tokens_not_equal_count" => {
            // `eventSource: (s3 or zz) and not eventSource = (s3 or zz)`
            let c = records
                .iter()
                .filter(|r| {
                    let v = s(r, "eventSource").unwrap_or("");
                    let tok = has_tokens(v, "s3") || has_tokens(v, "zz");
                    let eq = v.eq_ignore_ascii_case("s3") || v.eq_ignore_ascii_case("zz");
                    tok && !eq
                })
                .count();
            vec![row(&[("@q.count", json!(c))])]
        }
        "order_equals_any_case_not_exact_count" => {
            // `eventName = (getobject) and not eventName = ("getobject")`
            let c = records
                .iter()
                .filter_map(|r| s(r, "eventName"))
                .filter(|v| v.eq_ignore_ascii_case("getobject") && *v != "getobject")
                .count();
            vec![row(&[("@q.count", json!(c))])]
        }
        _ => return None,
    })
}
