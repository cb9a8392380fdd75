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

/// One cell as display text for flat formats.
pub fn cell_text(batch: &RecordBatch, col: usize, row: usize) -> String {
    let arr = batch.column(col);
    if arr.is_null(row) {
        return String::new();
    }
    match arr.data_type() {
        DataType::Utf8 => {
            let s = arr.as_string::<i32>().value(row);
            // JSON text holding one string (a multi-valued path with one value) shows as
            // that string, as a single value does.
            if s.starts_with('"')
                && is_json_field(batch.schema().field(col))
                && let Ok(Value::String(t)) = serde_json::from_str(s)
            {
                return t;
            }
            s.to_string()
        }
        DataType::Dictionary(_, _) => {
            let d = arr.as_dictionary::<Int32Type>();
            let k = d.keys().value(row) as usize;
            d.values().as_string::<i32>().value(k).to_string()
        }
        _ => match value_at(arr, row, false) {
            Value::String(s) => s,
            v => v.to_string(),
        },
    }
}

pub(crate) fn csv_escape(s: &str, sep: char) -> String {
    if sep == '\t' {
        return s
            .replace('\\', "\\\\")
            .replace('\t', "\\t")
            .replace('\n', "\\n")
            .replace('\r', "\\r");
    }
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
