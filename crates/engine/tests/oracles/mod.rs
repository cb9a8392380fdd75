//! Independent computations of case expectations, straight from the raw records with
//! serde_json: nothing here goes through the engine or the loader. Each oracle takes every
//! record of the case's input and returns the rows the query must give, in order.

use serde_json::{Map, Value, json};

use super::common::s;

mod loader;
mod multivalue;
mod nulls;
mod order;

/// The rows oracle `name` computes over `records`, or `None` when there is no such oracle.
pub fn compute(name: &str, records: &[Value]) -> Option<Vec<Value>> {
    Some(match name {
        "count_by_event_source" => count_by_event_source(records),
        n if n.starts_with("nulls_") => return nulls::compute(n, records),
        n if n.starts_with("mv_") => return multivalue::compute(n, records),
        n if n.starts_with("loader_") => return loader::compute(n, records),
        _ => return order::compute(name, records),
    })
}

/// `* | count by eventSource`: groups ascending by key, a missing key (null) last.
fn count_by_event_source(records: &[Value]) -> Vec<Value> {
    let mut counts: std::collections::BTreeMap<Option<&str>, u64> = Default::default();
    for r in records {
        *counts.entry(s(r, "eventSource")).or_default() += 1;
    }
    let mut rows: Vec<(Option<&str>, u64)> = counts.into_iter().collect();
    rows.sort_by_key(|(k, _)| (k.is_none(), *k));
    rows.into_iter()
        .map(|(k, n)| {
            let mut m = Map::new();
            m.insert("eventSource".into(), json!(k));
            m.insert("@q.count".into(), json!(n));
            Value::Object(m)
        })
        .collect()
}
