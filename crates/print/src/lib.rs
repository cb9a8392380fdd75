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
mod flat;
mod rows;
mod table;

use std::io::{self, Write};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use trailhunt_cloudtrail::Catalog;
use trailhunt_cloudtrail::schema::KV;

pub use crate::cells::{EVENT_TABLE_COLUMNS, cell_text, flat_columns, value_text};
use crate::flat::{FlatRows, csv_writer, io_error};
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
    /// Comma-separated values with a header, quoted where needed (RFC 4180).
    Csv,
    /// Tab-separated values with a header, quoted as CSV is.
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
/// are written as each batch comes (nothing is kept). The table needs every row for its
/// widths, and CSV/TSV of whole events (or [`BatchWriter::flatten`]ed) every row for
/// its columns (the fields the rows hold): the table keeps the batches, those CSV/TSV
/// the rows' cell texts, and they print at [`BatchWriter::finish`]. The bytes are those [`write_results`] writes for the same
/// batches.
pub struct BatchWriter<'a> {
    format: Format,
    schema: SchemaRef,
    rows: RowWriter<'a>,
    w: &'a mut dyn Write,
    /// The columns of a flat format.
    cols: Vec<usize>,
    /// Batches kept for the table.
    kept: Vec<RecordBatch>,
    /// Rows of CSV/TSV whose columns the rows decide.
    flat: FlatRows,
    table: TableOptions,
    /// CSV/TSV: nested values as one column per leaf path.
    flatten: bool,
    /// The CSV/TSV header is written (at the first row, or at the end).
    header: bool,
    written: usize,
}

impl<'a> BatchWriter<'a> {
    /// Start writing rows of `schema` to `w` (the JSON array's opening is written now,
    /// the CSV/TSV header with the first row).
    pub fn new(
        format: Format,
        schema: &SchemaRef,
        catalog: &'a Catalog,
        w: &'a mut dyn Write,
    ) -> io::Result<Self> {
        if format == Format::Json {
            w.write_all(b"[")?;
        }
        let cols = flat_columns(schema, false);
        Ok(BatchWriter {
            format,
            schema: schema.clone(),
            rows: RowWriter::new(catalog),
            w,
            cols,
            kept: Vec::new(),
            flat: FlatRows::default(),
            table: TableOptions::default(),
            flatten: false,
            header: false,
            written: 0,
        })
    }

    /// CSV/TSV: print nested values (and whole events) as one column per leaf path,
    /// `requestParameters.bucketName`, `resources[0].ARN`, instead of one column of JSON
    /// text per top-level field. Other formats ignore it.
    pub fn flatten(mut self, on: bool) -> Self {
        self.flatten = on;
        self
    }

    /// CSV/TSV whose columns are the fields the rows hold: whole events, or flattened.
    fn keeps_for_columns(&self) -> bool {
        matches!(self.format, Format::Csv | Format::Tsv)
            && (self.flatten || self.schema.column_with_name(KV).is_some())
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
            Format::Csv | Format::Tsv if !self.keeps_for_columns() => {
                let mut out = csv_writer(&mut *self.w, separator(self.format));
                if !self.header {
                    self.header = true;
                    out.write_record(self.cols.iter().map(|&c| self.schema.field(c).name()))
                        .map_err(io_error)?;
                }
                for i in 0..b.num_rows() {
                    out.write_record(self.cols.iter().map(|&c| cell_text(b, c, i)))
                        .map_err(io_error)?;
                    self.written += 1;
                }
                out.flush()?;
            }
            Format::Csv | Format::Tsv => {
                self.written += b.num_rows();
                self.flat.add(b, &self.rows, self.flatten);
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
            Format::Csv | Format::Tsv if self.keeps_for_columns() => {
                self.flat
                    .write(&self.schema, separator(self.format), self.w)?;
            }
            Format::Csv | Format::Tsv if !self.header => {
                // No row came: the header alone.
                let mut out = csv_writer(&mut *self.w, separator(self.format));
                out.write_record(self.cols.iter().map(|&c| self.schema.field(c).name()))
                    .map_err(io_error)?;
                out.flush()?;
            }
            Format::Ndjson | Format::Csv | Format::Tsv => {}
        }
        Ok(self.written)
    }
}

fn separator(format: Format) -> u8 {
    if format == Format::Tsv { b'\t' } else { b',' }
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
