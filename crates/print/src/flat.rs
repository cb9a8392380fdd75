//! CSV and TSV rows whose columns are known only once every row is seen: whole events
//! (one column per top-level field the rows hold) and `--flatten` (one column per leaf
//! path). Escaping is the `csv` crate's.

use std::collections::HashMap;
use std::io::{self, Write};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use serde_json::Value;
use trailhunt_cloudtrail::catalog::display_key;
use trailhunt_cloudtrail::schema::{KV, RECORD_FIELDS, TYPED};
use trailhunt_engine::jsontree::Node;

use crate::cells::value_text;
use crate::rows::{DERIVED, RowWriter};

/// A CSV or TSV writer over `w`, with the `csv` crate's quoting (only where needed).
pub(crate) fn csv_writer(w: &mut dyn Write, sep: u8) -> csv::Writer<&mut dyn Write> {
    csv::WriterBuilder::new()
        .delimiter(sep)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(w)
}

/// A `csv` error as the I/O error under it, so a closed pipe is still one
/// ([`io::ErrorKind::BrokenPipe`]: the caller ends quietly).
pub(crate) fn io_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("CSV: {other:?}")),
    }
}

/// Where a column goes: the record's fields in CloudTrail's order, fields CloudTrail
/// does not document alphabetically, then the derived columns, then the columns the query
/// added, in the schema's order.
fn rank(schema: &SchemaRef, events: bool, top: &str) -> (u8, usize, String) {
    if !events {
        let pos = schema.index_of(top).unwrap_or(usize::MAX);
        return (0, pos, String::new());
    }
    if let Some(p) = RECORD_FIELDS.iter().position(|f| *f == top) {
        return (0, p, String::new());
    }
    if let Some(p) = DERIVED.iter().position(|f| *f == top) {
        return (2, p, String::new());
    }
    let typed = TYPED.iter().any(|(p, _)| p.join(".") == top);
    match schema.index_of(top) {
        Ok(p) if top != KV && !typed => (3, p, String::new()),
        _ => (1, 0, top.to_string()),
    }
}

/// One row's cells, in the order they come: (column name, the top-level field it is
/// part of, text).
fn cells(node: &Node, flatten: bool) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    if let Node::Object(members) = node {
        for (k, v) in members {
            if flatten {
                let mut leaf = Vec::new();
                leaves(v, display_key(k), &mut leaf);
                out.extend(leaf.into_iter().map(|(n, t)| (n, k.clone(), t)));
            } else {
                let text = match v {
                    Node::Leaf(v) => value_text(v),
                    other => other.to_json(),
                };
                out.push((k.clone(), k.clone(), text));
            }
        }
    }
    out
}

/// The leaves below `node`, named by their path in the language's spelling
/// (`requestParameters.bucketName`, `resources[0].ARN`); `{}` and `[]` are leaves.
fn leaves(node: &Node, path: String, out: &mut Vec<(String, String)>) {
    match node {
        Node::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                leaves(v, format!("{path}.{}", display_key(k)), out);
            }
        }
        Node::Array(a) if !a.is_empty() => {
            for (i, v) in a.iter().enumerate() {
                leaves(v, format!("{path}[{i}]"), out);
            }
        }
        Node::Leaf(Value::Object(m)) if !m.is_empty() => {
            for (k, v) in m {
                leaves(
                    &Node::Leaf(v.clone()),
                    format!("{path}.{}", display_key(k)),
                    out,
                );
            }
        }
        Node::Leaf(Value::Array(a)) if !a.is_empty() => {
            for (i, v) in a.iter().enumerate() {
                leaves(&Node::Leaf(v.clone()), format!("{path}[{i}]"), out);
            }
        }
        // A null is an empty cell: a column no row has a value in is left out.
        Node::Leaf(Value::Null) => {}
        Node::Leaf(v) => out.push((path, value_text(v))),
        other => out.push((path, other.to_json())),
    }
}

/// Rows whose columns are known at the end: each row's cells as it comes (the batch
/// is not kept), the columns in the order first met.
#[derive(Default)]
pub(crate) struct FlatRows {
    /// (column name, the top-level field it belongs to).
    names: Vec<(String, String)>,
    index: HashMap<String, usize>,
    /// Each row's cells: (column, text).
    rows: Vec<Vec<(usize, String)>>,
}

impl FlatRows {
    /// Add the rows of `b`.
    pub(crate) fn add(&mut self, b: &RecordBatch, rows: &RowWriter, flatten: bool) {
        for i in 0..b.num_rows() {
            let row = cells(&rows.row(b, i), flatten)
                .into_iter()
                .map(|(name, top, text)| {
                    let c = match self.index.get(&name) {
                        Some(&c) => c,
                        None => {
                            self.index.insert(name.clone(), self.names.len());
                            self.names.push((name, top));
                            self.names.len() - 1
                        }
                    };
                    (c, text)
                })
                .collect();
            self.rows.push(row);
        }
    }

    /// Write the header and the rows as CSV/TSV (separator `sep`).
    pub(crate) fn write(self, schema: &SchemaRef, sep: u8, w: &mut dyn Write) -> io::Result<()> {
        let events = schema.column_with_name(KV).is_some();
        let mut names = self.names;
        // Without rows, other rows' columns are the schema's; whole events hold no field,
        // so nothing is written.
        if names.is_empty() && !events {
            for f in schema.fields() {
                names.push((f.name().clone(), f.name().clone()));
            }
        }
        // Sorted by their top-level field's place; the sort is stable, so a field's
        // leaves keep the order they came in.
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by_cached_key(|&c| rank(schema, events, &names[c].1));
        let mut place = vec![0; names.len()];
        for (p, &c) in order.iter().enumerate() {
            place[c] = p;
        }
        let mut out = csv_writer(w, sep);
        if !names.is_empty() {
            out.write_record(order.iter().map(|&c| names[c].0.as_str()))
                .map_err(io_error)?;
        }
        let mut line = vec![String::new(); names.len()];
        for row in self.rows {
            line.iter_mut().for_each(String::clear);
            for (c, text) in row {
                line[place[c]] = text;
            }
            out.write_record(&line).map_err(io_error)?;
        }
        out.flush()
    }
}
