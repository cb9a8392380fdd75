//! Aligned tables for people (the REPL and `--format table`).

use std::io::{self, Write};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use tabled::builder::Builder;
use tabled::settings::peaker::Priority;
use tabled::settings::{Style, Width};

use crate::cells::{cell_text, flat_columns};

/// How a table is laid out.
#[derive(Debug, Clone, Copy)]
pub struct TableOptions {
    /// Fit the table into this many columns of text (the terminal width).
    pub max_width: Option<usize>,
    /// Show at most this many rows (the caller says how to see the rest).
    pub max_rows: Option<usize>,
    /// Cut longer cell values with `…`.
    pub cell_max: usize,
    /// Lead each row with its number, from 1, under `#` (the REPL's `\event N`).
    pub numbered: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            max_width: None,
            max_rows: None,
            cell_max: 80,
            numbered: false,
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
    let number = |n: String| opts.numbered.then_some(n);
    b.push_record(
        number("#".into())
            .into_iter()
            .chain(cols.iter().map(|&c| schema.field(c).name().clone())),
    );
    let mut shown = 0usize;
    'outer: for batch in batches {
        for i in 0..batch.num_rows() {
            if opts.max_rows.is_some_and(|m| shown >= m) {
                break 'outer;
            }
            shown += 1;
            b.push_record(
                number(shown.to_string()).into_iter().chain(
                    cols.iter()
                        .map(|&c| cut(&cell_text(batch, c, i), opts.cell_max)),
                ),
            );
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
