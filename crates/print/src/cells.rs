//! Cells for the flat formats (table, CSV, TSV): which columns show, and each cell's text.

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Int32Type, SchemaRef};
use serde_json::Value;
use trailhunt_cloudtrail::schema::{self, KV};
use trailhunt_engine::values::{is_json_field, value_at};

/// Columns a table shows for whole events.
pub const EVENT_TABLE_COLUMNS: &[&str] = &[
    "timestamp",
    "eventSource",
    "eventName",
    "entity_id",
    "sourceIPAddress",
    "awsRegion",
    "errorCode",
];

/// The columns a flat format (table, CSV, TSV) shows for `schema`.
pub fn flat_columns(schema: &SchemaRef, event_table: bool) -> Vec<usize> {
    let has_kv = schema.column_with_name(KV).is_some();
    if has_kv && event_table {
        let mut cols: Vec<usize> = EVENT_TABLE_COLUMNS
            .iter()
            .filter_map(|n| schema.index_of(n).ok())
            .collect();
        // Columns the query added beside the events.
        for (i, f) in schema.fields().iter().enumerate() {
            let n = f.name().as_str();
            let loaded = schema::table_schema().column_with_name(n).is_some();
            if !loaded {
                cols.push(i);
            }
        }
        return cols;
    }
    schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name() != KV)
        .map(|(i, _)| i)
        .collect()
}

/// One cell as display text for flat formats. Every kind of null — no value, a JSON
/// `null`, an `eval` of `null` — is the empty cell.
pub fn cell_text(batch: &RecordBatch, col: usize, row: usize) -> String {
    let arr = batch.column(col);
    // `logical_nulls`: a column of the Null type (`eval x = null`) has no null buffer.
    if arr.logical_nulls().is_some_and(|n| n.is_null(row)) {
        return String::new();
    }
    match arr.data_type() {
        DataType::Utf8 => {
            let s = arr.as_string::<i32>().value(row);
            // JSON text holding one string (a multi-valued path with one value) shows as
            // that string, as a single value does; JSON `null` is empty as other nulls.
            if is_json_field(batch.schema().field(col))
                && (s.starts_with('"') || s == "null")
                && let Ok(v) = serde_json::from_str::<Value>(s)
            {
                return value_text(&v);
            }
            s.to_string()
        }
        DataType::Dictionary(_, _) => {
            let d = arr.as_dictionary::<Int32Type>();
            let k = d.keys().value(row) as usize;
            d.values().as_string::<i32>().value(k).to_string()
        }
        _ => value_text(&value_at(arr, row, false)),
    }
}

/// A JSON value as a flat cell: a string as itself, `null` empty, anything else as
/// compact JSON text.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        v => v.to_string(),
    }
}
