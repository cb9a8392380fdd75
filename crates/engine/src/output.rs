//! Printing results: table, JSON, NDJSON, CSV and TSV over any `Write`.
//!
//! Rows that are whole events (the query kept the events themselves) print as the
//! CloudTrail record rebuilt from its columns, plus the derived columns; other rows print
//! their columns. Timestamps are RFC 3339; nested values are JSON.

use std::io::{self, Write};

use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::datatypes::SchemaRef;
use trailhunt_cloudtrail::Catalog;
use trailhunt_cloudtrail::catalog::Segment;
use trailhunt_cloudtrail::schema::{self, KV, TYPED};

use crate::jsontree::{Node, leaf};
pub use crate::table::EVENT_TABLE_COLUMNS;
pub use crate::table::flat_columns;
use crate::values::{Kv, is_json_field, value_at};
pub use crate::values::{as_text, cell_text, push_number, timestamps_as_text};

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
    use trailhunt_cloudtrail::{LoadOptions, discover, load};

    /// The flat formats show a multi-valued path as grammar/README.md says: one value as
    /// itself (no JSON quotes), several as a JSON array, none as an empty cell.
    #[test]
    fn multi_valued_cells_in_csv() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events.ndjson");
        let found = discover(&[path]).unwrap();
        let data = load(&found, &LoadOptions::default(), None).unwrap();
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
