//! Printing results: table, JSON, NDJSON, CSV and TSV over any `Write`.
//!
//! Rows that are whole events (the query kept the events themselves) print as the
//! CloudTrail record rebuilt from its columns, plus the derived columns; other rows print
//! their columns. Timestamps are RFC 3339; nested values are JSON.

use std::io::{self, Write};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Field, Int32Type, SchemaRef, TimestampNanosecondType,
};
use datafusion::common::Result;
use datafusion::scalar::ScalarValue;
use serde_json::Value;
use trailhunt_cloudtrail::Catalog;
use trailhunt_cloudtrail::catalog::Segment;
use trailhunt_cloudtrail::schema::{self, KV, TYPED};
use trailhunt_cloudtrail::time::format_rfc3339;

use crate::jsontree::{Node, leaf};
use crate::udf::{JSON_META, Kv};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An aligned table for people.
    Table,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// Comma-separated values with a header.
    Csv,
    /// Tab-separated values with a header.
    Tsv,
}

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

/// Append `v` as the language prints numbers: integral values without a fraction.
pub fn push_number(out: &mut String, v: f64) {
    use std::fmt::Write as _;
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.007_199_254_740_992e15 {
        let _ = write!(out, "{}", v as i64);
    } else {
        let _ = write!(out, "{v}");
    }
}

/// Timestamps as RFC 3339 text.
pub fn timestamps_as_text(arr: &ArrayRef) -> Result<ArrayRef> {
    let ns = cast(
        arr,
        &DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Nanosecond, None),
    )?;
    let ns = ns.as_primitive::<TimestampNanosecondType>();
    let out: StringArray = ns.iter().map(|v| v.map(format_rfc3339)).collect();
    Ok(Arc::new(out))
}

/// Any column as Utf8 text (timestamps RFC 3339, numbers as the language prints them).
pub fn as_text(arr: &ArrayRef) -> Result<ArrayRef> {
    Ok(match arr.data_type() {
        DataType::Utf8 => arr.clone(),
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => timestamps_as_text(arr)?,
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let f = cast(arr, &DataType::Float64)?;
            let f = f.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
            let out: StringArray = f
                .iter()
                .map(|v| {
                    v.map(|v| {
                        let mut s = String::new();
                        push_number(&mut s, v);
                        s
                    })
                })
                .collect();
            Arc::new(out)
        }
        DataType::List(_) | DataType::LargeList(_) | DataType::Struct(_) => {
            let out: StringArray = (0..arr.len())
                .map(|i| (!arr.is_null(i)).then(|| value_at(arr, i, false).to_string()))
                .collect();
            Arc::new(out)
        }
        _ => cast(arr, &DataType::Utf8)?,
    })
}

fn is_json_field(f: &Field) -> bool {
    f.metadata().get(JSON_META).is_some_and(|v| v == "true")
}

/// One cell as a JSON value.
fn value_at(arr: &ArrayRef, i: usize, json_text: bool) -> Value {
    if arr.is_null(i) {
        return Value::Null;
    }
    match arr.data_type() {
        DataType::Utf8 => {
            let s = arr.as_string::<i32>().value(i);
            if json_text {
                serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string()))
            } else {
                Value::String(s.to_string())
            }
        }
        DataType::Boolean => Value::Bool(arr.as_boolean().value(i)),
        DataType::List(_) => {
            let l = arr.as_list::<i32>().value(i);
            Value::Array((0..l.len()).map(|j| value_at(&l, j, false)).collect())
        }
        DataType::LargeList(_) => {
            let l = arr.as_list::<i64>().value(i);
            Value::Array((0..l.len()).map(|j| value_at(&l, j, false)).collect())
        }
        DataType::Struct(fields) => {
            let s = arr.as_struct();
            let mut m = serde_json::Map::new();
            for (f, c) in fields.iter().zip(s.columns()) {
                m.insert(f.name().clone(), value_at(c, i, is_json_field(f)));
            }
            Value::Object(m)
        }
        // One cell at a time: converting the whole column for every cell would make
        // printing quadratic in the batch size.
        _ => match ScalarValue::try_from_array(arr, i) {
            Ok(v) => scalar_json(v),
            Err(_) => Value::Null,
        },
    }
}

/// A scalar cell as JSON: numbers as numbers (integral floats without a fraction),
/// timestamps as RFC 3339, dictionary values as their value, anything else as text.
fn scalar_json(v: ScalarValue) -> Value {
    use ScalarValue as S;
    match v {
        S::Int8(Some(x)) => Value::from(x),
        S::Int16(Some(x)) => Value::from(x),
        S::Int32(Some(x)) => Value::from(x),
        S::Int64(Some(x)) => Value::from(x),
        S::UInt8(Some(x)) => Value::from(x),
        S::UInt16(Some(x)) => Value::from(x),
        S::UInt32(Some(x)) => Value::from(x),
        S::UInt64(Some(x)) => Value::from(x),
        S::Float32(Some(x)) => float_json(f64::from(x)),
        S::Float64(Some(x)) => float_json(x),
        S::Utf8(Some(x)) | S::LargeUtf8(Some(x)) | S::Utf8View(Some(x)) => Value::String(x),
        S::Boolean(Some(b)) => Value::Bool(b),
        S::TimestampSecond(Some(t), _) => {
            Value::String(format_rfc3339(t.saturating_mul(1_000_000_000)))
        }
        S::TimestampMillisecond(Some(t), _) => {
            Value::String(format_rfc3339(t.saturating_mul(1_000_000)))
        }
        S::TimestampMicrosecond(Some(t), _) => {
            Value::String(format_rfc3339(t.saturating_mul(1_000)))
        }
        S::TimestampNanosecond(Some(t), _) => Value::String(format_rfc3339(t)),
        S::Dictionary(_, inner) => scalar_json(*inner),
        v if v.is_null() => Value::Null,
        v => Value::String(v.to_string()),
    }
}

fn float_json(v: f64) -> Value {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.007_199_254_740_992e15 {
        Value::from(v as i64)
    } else {
        serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

/// Columns derived by the loader, appended to rebuilt records.
const DERIVED: &[&str] = &[
    schema::TIMESTAMP,
    schema::ENTITY_ID,
    schema::ACCOUNT_ID,
    schema::WINDOW_ID,
    schema::WINDOW_INDEX,
    schema::SOURCE,
];

/// Turns result batches into JSON rows.
pub struct RowWriter<'a> {
    catalog: &'a Catalog,
    segments: std::cell::RefCell<std::collections::HashMap<u32, Vec<Segment>>>,
}

impl<'a> RowWriter<'a> {
    /// A writer resolving nested paths through `catalog`.
    pub fn new(catalog: &'a Catalog) -> Self {
        RowWriter {
            catalog,
            segments: Default::default(),
        }
    }

    fn segs(&self, id: u32) -> Vec<Segment> {
        self.segments
            .borrow_mut()
            .entry(id)
            .or_insert_with(|| self.catalog.segments(id))
            .clone()
    }

    /// Row `i` of `batch` as an ordered JSON object.
    pub fn row(&self, batch: &RecordBatch, i: usize) -> Node {
        let schema = batch.schema();
        if schema.column_with_name(KV).is_some() {
            return self.event(batch, i);
        }
        let mut node = Node::Object(Vec::new());
        for (f, c) in schema.fields().iter().zip(batch.columns()) {
            node.push_member(f.name(), Node::Leaf(value_at(c, i, is_json_field(f))));
        }
        node
    }

    fn event(&self, batch: &RecordBatch, i: usize) -> Node {
        let mut node = Node::Object(Vec::new());
        for (path, _) in TYPED {
            let name = path.join(".");
            let Some(c) = batch.column_by_name(&name) else {
                continue;
            };
            if c.is_null(i) {
                continue;
            }
            let segs: Vec<Segment> = path.iter().map(|k| Segment::Key((*k).into())).collect();
            node.insert(&segs, value_at(c, i, false));
        }
        if let Some(kv) = batch.column_by_name(KV).and_then(|c| Kv::new(c).ok()) {
            for j in kv.range(i) {
                node.insert(&self.segs(kv.keys[j]), leaf(kv.value(j), kv.kinds[j]));
            }
        }
        if let Node::Object(m) = &mut node {
            m.sort_by_key(|(k, _)| {
                schema::RECORD_FIELDS
                    .iter()
                    .position(|o| o == k)
                    .unwrap_or(schema::RECORD_FIELDS.len())
            });
        }
        let schema = batch.schema();
        for name in DERIVED {
            if let Some((idx, f)) = schema.column_with_name(name) {
                node.push_member(
                    name,
                    Node::Leaf(value_at(batch.column(idx), i, is_json_field(f))),
                );
            }
        }
        // Columns a query added beside the event (eval, rename).
        for (f, c) in schema.fields().iter().zip(batch.columns()) {
            let n = f.name().as_str();
            if n == KV || DERIVED.contains(&n) || TYPED.iter().any(|(p, _)| p.join(".") == n) {
                continue;
            }
            node.push_member(n, Node::Leaf(value_at(c, i, is_json_field(f))));
        }
        node
    }
}

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

fn csv_escape(s: &str, sep: char) -> String {
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

/// Write `batches` in `format`. Returns the number of rows written.
pub fn write_results(
    batches: &[RecordBatch],
    schema: &SchemaRef,
    catalog: &Catalog,
    format: Format,
    w: &mut dyn Write,
) -> io::Result<usize> {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    match format {
        Format::Ndjson | Format::Json => {
            let rw = RowWriter::new(catalog);
            let json = format == Format::Json;
            if json {
                w.write_all(b"[")?;
            }
            let mut first = true;
            for b in batches {
                for i in 0..b.num_rows() {
                    if json {
                        w.write_all(if first { b"\n" } else { b",\n" })?;
                    }
                    first = false;
                    serde_json::to_writer(&mut *w, &rw.row(b, i))?;
                    if !json {
                        w.write_all(b"\n")?;
                    }
                }
            }
            if json {
                w.write_all(if first { b"]\n" } else { b"\n]\n" })?;
            }
        }
        Format::Csv | Format::Tsv => {
            let sep = if format == Format::Csv { ',' } else { '\t' };
            let cols = flat_columns(schema, false);
            let header: Vec<String> = cols
                .iter()
                .map(|&c| csv_escape(schema.field(c).name(), sep))
                .collect();
            writeln!(w, "{}", header.join(&sep.to_string()))?;
            for b in batches {
                for i in 0..b.num_rows() {
                    let line: Vec<String> = cols
                        .iter()
                        .map(|&c| csv_escape(&cell_text(b, c, i), sep))
                        .collect();
                    writeln!(w, "{}", line.join(&sep.to_string()))?;
                }
            }
        }
        Format::Table => {
            crate::table::write_table(batches, schema, w, crate::table::TableOptions::default())?
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailhunt_cloudtrail::{LoadOptions, discover};
    use trailhunt_source::{Listing, load};

    /// The flat formats show a multi-valued path as grammar/README.md says: one value as
    /// itself (no JSON quotes), several as a JSON array, none as an empty cell.
    #[test]
    fn multi_valued_cells_in_csv() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events.ndjson");
        let found = discover(&[path]).unwrap();
        let data = load(&Listing::local(&found), &LoadOptions::default(), None).unwrap();
        let engine = crate::Engine::new(data, 1).unwrap();
        let q = "eventID = (e01 e02 e03) | table eventID, resources.ARN";
        let out = engine.run(q, crate::TimeRange::default()).unwrap();
        let mut buf = Vec::new();
        write_results(
            &out.batches,
            &out.schema,
            engine.catalog(),
            Format::Csv,
            &mut buf,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "eventID,resources.ARN\n\
             e01,\"[\"\"arn:aws:s3:::prod-reports/q1/summary.csv\"\",\"\"arn:aws:s3:::prod-reports\"\"]\"\n\
             e02,arn:aws:s3:::prod-payroll/2024/feb.xlsx\n\
             e03,\n"
        );
    }
}
