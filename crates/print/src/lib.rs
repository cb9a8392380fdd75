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
    let mut out = BatchWriter::new(format, schema, catalog, w)?;
    for b in batches {
        out.write(b)?;
    }
    out.finish()
}

/// Prints batches one by one as they arrive, in `format`: JSON, NDJSON, CSV and TSV rows
/// are written as each batch comes (nothing is kept); the table needs every row for its
/// widths, so it keeps the batches and prints at [`BatchWriter::finish`]. The bytes are
/// those [`write_results`] writes for the same batches.
pub struct BatchWriter<'a> {
    format: Format,
    schema: SchemaRef,
    rows: RowWriter<'a>,
    w: &'a mut dyn Write,
    /// The columns of a flat format.
    cols: Vec<usize>,
    /// Batches kept for the table.
    kept: Vec<RecordBatch>,
    table: TableOptions,
    written: usize,
}

impl<'a> BatchWriter<'a> {
    /// Start writing rows of `schema` to `w` (the JSON array's opening, or the CSV/TSV
    /// header, is written now).
    pub fn new(
        format: Format,
        schema: &SchemaRef,
        catalog: &'a Catalog,
        w: &'a mut dyn Write,
    ) -> io::Result<Self> {
        let mut cols = Vec::new();
        match format {
            Format::Json => w.write_all(b"[")?,
            Format::Csv | Format::Tsv => {
                let sep = separator(format);
                cols = flat_columns(schema, false);
                let header: Vec<String> = cols
                    .iter()
                    .map(|&c| csv_escape(schema.field(c).name(), sep))
                    .collect();
                writeln!(w, "{}", header.join(&sep.to_string()))?;
            }
            Format::Ndjson | Format::Table => {}
        }
        Ok(BatchWriter {
            format,
            schema: schema.clone(),
            rows: RowWriter::new(catalog),
            w,
            cols,
            kept: Vec::new(),
            table: TableOptions::default(),
            written: 0,
        })
    }

    /// Lay the table out with `opts` (other formats ignore them).
    pub fn table_options(mut self, opts: TableOptions) -> Self {
        self.table = opts;
        self
    }

    /// Write the rows of `batch` (for the table: keep them).
    pub fn write(&mut self, b: &RecordBatch) -> io::Result<()> {
        match self.format {
            Format::Ndjson | Format::Json => {
                let json = self.format == Format::Json;
                for i in 0..b.num_rows() {
                    if json {
                        self.w
                            .write_all(if self.written == 0 { b"\n" } else { b",\n" })?;
                    }
                    serde_json::to_writer(&mut *self.w, &self.rows.row(b, i))?;
                    if !json {
                        self.w.write_all(b"\n")?;
                    }
                    self.written += 1;
                }
            }
            Format::Csv | Format::Tsv => {
                let sep = separator(self.format);
                for i in 0..b.num_rows() {
                    let line: Vec<String> = self
                        .cols
                        .iter()
                        .map(|&c| csv_escape(&cell_text(b, c, i), sep))
                        .collect();
                    writeln!(self.w, "{}", line.join(&sep.to_string()))?;
                    self.written += 1;
                }
            }
            Format::Table => {
                self.written += b.num_rows();
                if b.num_rows() > 0 {
                    self.kept.push(b.clone());
                }
            }
        }
        Ok(())
    }

    /// Rows written (or kept for the table) so far.
    pub fn rows(&self) -> usize {
        self.written
    }

    /// End the output (the JSON array's close; the table). Returns the number of rows.
    pub fn finish(self) -> io::Result<usize> {
        match self.format {
            Format::Json => self
                .w
                .write_all(if self.written == 0 { b"]\n" } else { b"\n]\n" })?,
            Format::Table => write_table(&self.kept, &self.schema, self.w, self.table)?,
            Format::Ndjson | Format::Csv | Format::Tsv => {}
        }
        Ok(self.written)
    }
}

fn separator(format: Format) -> char {
    if format == Format::Tsv { '\t' } else { ',' }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailhunt_cloudtrail::{LoadOptions, discover};
    use trailhunt_engine::{Engine, TimeRange};
    use trailhunt_source::{Listing, load};

    /// The flat formats show a multi-valued path as grammar/README.md says: one value as
    /// itself (no JSON quotes), several as a JSON array, none as an empty cell.
    #[test]
    fn multi_valued_cells_in_csv() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../engine/tests/fixtures/events.ndjson"
        );
        let found = discover(&[path]).unwrap();
        let data = load(&Listing::local(&found), &LoadOptions::default(), None).unwrap();
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
