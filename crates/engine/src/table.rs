//! Aligned tables for people (the REPL and `--format table`).

use std::io::{self, Write};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use tabled::builder::Builder;
use tabled::settings::peaker::Priority;
use tabled::settings::{Style, Width};

use trailhunt_cloudtrail::schema::{self, KV};

use crate::values::cell_text;

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

/// How a table is laid out.
#[derive(Debug, Clone, Copy)]
pub struct TableOptions {
    /// Fit the table into this many columns of text (the terminal width).
    pub max_width: Option<usize>,
    /// Show at most this many rows (the caller says how to see the rest).
    pub max_rows: Option<usize>,
    /// Cut longer cell values with `…`.
    pub cell_max: usize,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            max_width: None,
            max_rows: None,
            cell_max: 80,
        }
    }
}

fn cut(s: &str, max: usize) -> String {
    let s = s.replace(['\n', '\r', '\t'], " ");
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Write `batches` as a table. Events show a compact set of columns.
pub fn write_table(
    batches: &[RecordBatch],
    schema: &SchemaRef,
    w: &mut dyn Write,
    opts: TableOptions,
) -> io::Result<()> {
    let cols = flat_columns(schema, true);
    let mut b = Builder::default();
    b.push_record(cols.iter().map(|&c| schema.field(c).name().clone()));
    let mut shown = 0usize;
    'outer: for batch in batches {
        for i in 0..batch.num_rows() {
            if opts.max_rows.is_some_and(|m| shown >= m) {
                break 'outer;
            }
            b.push_record(
                cols.iter()
                    .map(|&c| cut(&cell_text(batch, c, i), opts.cell_max)),
            );
            shown += 1;
        }
    }
    let mut table = b.build();
    table.with(Style::rounded());
    if let Some(width) = opts.max_width {
        table.with(
            Width::truncate(width)
                .suffix("…")
                .priority(Priority::max(true)),
        );
    }
    writeln!(w, "{table}")
}
