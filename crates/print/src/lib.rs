//! Printing trailhunt results: an aligned table for people, JSON, NDJSON, CSV and TSV,
//! over any `Write`.
//!
//! The flow of a query: text → AST (`trailhunt-lang`) → logical plan (`trailhunt-engine`)
//! → record batches (`trailhunt-source` under the engine) → text (this crate).
//!
//! Rows that are whole events (the query kept the events themselves) print as the
//! CloudTrail record rebuilt from its columns, plus the derived columns; other rows print
//! their columns. Timestamps are RFC 3339; nested values are JSON.
#![deny(missing_docs)]

mod cells;
mod rows;
mod table;

use std::io::{self, Write};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use trailhunt_cloudtrail::Catalog;

use crate::cells::csv_escape;
pub use crate::cells::{EVENT_TABLE_COLUMNS, cell_text, flat_columns};
pub use crate::rows::RowWriter;
pub use crate::table::{TableOptions, write_table};

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
        Format::Table => write_table(batches, schema, w, TableOptions::default())?,
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailhunt_cloudtrail::{LoadOptions, discover, load};
    use trailhunt_engine::{Engine, TimeRange};

    /// The flat formats show a multi-valued path as grammar/README.md says: one value as
    /// itself (no JSON quotes), several as a JSON array, none as an empty cell.
    #[test]
    fn multi_valued_cells_in_csv() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../engine/tests/fixtures/events.ndjson"
        );
        let found = discover(&[path]).unwrap();
        let data = load(&found, &LoadOptions::default(), None).unwrap();
        let engine = Engine::new(data, 1).unwrap();
        let q = "eventID = (e01 e02 e03) | table eventID, resources.ARN";
        let out = engine.run(q, TimeRange::default()).unwrap();
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
