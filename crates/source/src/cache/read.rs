//! Reading a segment of a chunk: its runs' rows, as batches in the load schema, one run
//! (one source) at a time, each run whole or not at all.

use std::fs::File;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, DictionaryArray, Int32Array, ListArray, RecordBatch,
    RecordBatchOptions, StringArray, new_null_array,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::parquet::arrow::ProjectionMask;
use datafusion::parquet::arrow::arrow_reader::{
    ParquetRecordBatchReaderBuilder, RowSelection, RowSelector,
};
use trailhunt_cloudtrail::schema::{self, KV, SOURCE, TYPED};

use super::Segment;

/// The schema of a chunk file: the load schema without the source column.
pub fn chunk_schema() -> SchemaRef {
    static S: std::sync::OnceLock<SchemaRef> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let load = schema::load_schema();
        let fields: Vec<_> = load
            .fields()
            .iter()
            .filter(|f| f.name() != SOURCE)
            .cloned()
            .collect();
        Arc::new(Schema::new(fields))
    })
    .clone()
}

/// What to read of each row.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// Per typed column: read it (`None`: all).
    pub typed: Option<Vec<bool>>,
    /// Read the nested values.
    pub nested: bool,
}

/// One run's rows, or why the segment cannot be read from that run on.
pub enum Piece {
    /// Run `run` (index into the segment's runs) read whole: its rows in the load
    /// schema, the source column still to be filled in by [`with_source`].
    Rows {
        /// The run.
        run: usize,
        /// Its rows (several batches for a long run).
        batches: Vec<RecordBatch>,
    },
    /// Reading failed at run `run`: it and every later run are still to be read (from
    /// their JSON).
    Failed {
        /// The first run not read.
        run: usize,
        /// Why, naming the chunk.
        why: String,
    },
}

/// Read `seg`'s runs in order, calling `each` with every piece; `each` returns false to
/// stop. Rows in `skip` (chunk row ranges, in order, not overlapping) are left out: a
/// run's piece holds the rest of its rows (none, when all are skipped).
pub fn read_segment(
    seg: &Segment,
    columns: &Columns,
    batch_rows: usize,
    skip: &[std::ops::Range<u64>],
    mut each: impl FnMut(Piece) -> bool,
) {
    let name = seg.path.display().to_string();
    let fail = |why: String| Piece::Failed {
        run: 0,
        why: format!("cache chunk {name}: {why}"),
    };
    let file = match File::open(&seg.path) {
        Ok(f) => f,
        Err(e) => {
            each(fail(format!("cannot open it: {e}")));
            return;
        }
    };
    let builder = match ParquetRecordBatchReaderBuilder::try_new(file) {
        Ok(b) => b,
        Err(e) => {
            each(fail(format!("not a readable Parquet file ({e})")));
            return;
        }
    };
    let expected = chunk_schema();
    let found = builder.schema();
    if found.fields().len() != expected.fields().len()
        || found
            .fields()
            .iter()
            .zip(expected.fields())
            .any(|(a, b)| a.name() != b.name() || a.data_type() != b.data_type())
    {
        each(fail(
            "its columns are not those of this trailhunt's cache".into(),
        ));
        return;
    }
    let total = builder.metadata().file_metadata().num_rows().max(0) as u64;
    if let Some(last) = seg.runs.last()
        && last.first_row + last.rows > total
    {
        each(fail(format!(
            "it holds {total} rows, the manifest expects at least {}",
            last.first_row + last.rows
        )));
        return;
    }
    // Which columns: the typed ones asked for, the derived ones always, nested values
    // when asked for.
    let mut roots = Vec::new();
    for (i, f) in expected.fields().iter().enumerate() {
        let want = if i < TYPED.len() {
            columns.typed.as_ref().is_none_or(|w| w[i])
        } else if f.name() == KV {
            columns.nested
        } else {
            true
        };
        if want {
            roots.push(i);
        }
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots.iter().copied());
    // The rows to read of each run: its range less the skipped ones.
    let mut selectors = Vec::new();
    let mut wanted: Vec<u64> = Vec::with_capacity(seg.runs.len());
    let mut at = 0u64;
    for r in &seg.runs {
        let mut n = 0;
        for part in kept(r.first_row..r.first_row + r.rows, skip) {
            if part.start > at {
                selectors.push(RowSelector::skip((part.start - at) as usize));
            }
            selectors.push(RowSelector::select((part.end - part.start) as usize));
            n += part.end - part.start;
            at = part.end;
        }
        wanted.push(n);
    }
    if wanted.iter().all(|&n| n == 0) {
        // Nothing to read: every run is a piece without rows.
        empty_runs(&wanted, &mut 0, &mut each);
        return;
    }
    let reader = match builder
        .with_projection(mask)
        .with_row_selection(RowSelection::from(selectors))
        .with_batch_size(batch_rows.max(1024))
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            each(fail(format!("cannot read it ({e})")));
            return;
        }
    };
    let mut run = 0usize;
    let mut held: Vec<RecordBatch> = Vec::new();
    let mut held_rows = 0u64;
    if !empty_runs(&wanted, &mut run, &mut each) {
        return;
    }
    for batch in reader {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                each(Piece::Failed {
                    run,
                    why: format!("cache chunk {name}: reading it failed ({e})"),
                });
                return;
            }
        };
        let mut offset = 0usize;
        while offset < batch.num_rows() {
            let Some(&want) = wanted.get(run) else {
                each(Piece::Failed {
                    run,
                    why: format!("cache chunk {name}: more rows than its runs"),
                });
                return;
            };
            let take = ((want - held_rows) as usize).min(batch.num_rows() - offset);
            held.push(batch.slice(offset, take));
            held_rows += take as u64;
            offset += take;
            if held_rows == want {
                let rows = std::mem::take(&mut held);
                held_rows = 0;
                let batches = match complete(&rows, &roots) {
                    Ok(b) => b,
                    Err(e) => {
                        each(Piece::Failed {
                            run,
                            why: format!("cache chunk {name}: {e}"),
                        });
                        return;
                    }
                };
                if !each(Piece::Rows { run, batches }) {
                    return;
                }
                run += 1;
                if !empty_runs(&wanted, &mut run, &mut each) {
                    return;
                }
            }
        }
    }
    if run < seg.runs.len() {
        each(Piece::Failed {
            run,
            why: format!("cache chunk {name}: it ended before its last rows"),
        });
    }
}

/// From run `run` on, each run with nothing to read (`wanted` rows 0) as a piece without
/// rows, in its turn; false when `each` says stop.
fn empty_runs(wanted: &[u64], run: &mut usize, each: &mut impl FnMut(Piece) -> bool) -> bool {
    while wanted.get(*run) == Some(&0) {
        if !each(Piece::Rows {
            run: *run,
            batches: Vec::new(),
        }) {
            return false;
        }
        *run += 1;
    }
    true
}

/// The parts of `rows` outside every range of `skip` (in order, not overlapping).
fn kept(
    rows: std::ops::Range<u64>,
    skip: &[std::ops::Range<u64>],
) -> impl Iterator<Item = std::ops::Range<u64>> + '_ {
    let mut at = rows.start;
    let mut ranges = skip
        .iter()
        .filter(move |s| s.end > rows.start && s.start < rows.end);
    let end = rows.end;
    std::iter::from_fn(move || {
        while at < end {
            match ranges.next() {
                Some(s) if s.start <= at => at = at.max(s.end),
                Some(s) => {
                    let part = at..s.start;
                    at = s.end;
                    return Some(part);
                }
                None => {
                    let part = at..end;
                    at = end;
                    return Some(part);
                }
            }
        }
        None
    })
}

/// A run's pieces as load-schema batches: the columns not read are filled (nulls, empty
/// nested lists), the source column is a placeholder until [`with_source`].
fn complete(pieces: &[RecordBatch], roots: &[usize]) -> Result<Vec<RecordBatch>, String> {
    let Some(first) = pieces.first() else {
        return Ok(Vec::new());
    };
    // Runs of small files come in one slice; a run across reader batches is joined.
    let joined;
    let parts: &[RecordBatch] = if pieces.len() > 1 && pieces.iter().all(|p| p.num_rows() < 8192) {
        joined = [concat_batches(&first.schema(), pieces).map_err(|e| e.to_string())?];
        &joined
    } else {
        pieces
    };
    let load = schema::load_schema();
    let chunk = chunk_schema();
    let mut out = Vec::with_capacity(parts.len());
    for p in parts {
        let n = p.num_rows();
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(load.fields().len());
        for f in load.fields() {
            if f.name() == SOURCE {
                columns.push(source_column(n, ""));
                continue;
            }
            let i = chunk
                .index_of(f.name())
                .map_err(|e| format!("column {}: {e}", f.name()))?;
            let col = roots
                .iter()
                .position(|&r| r == i)
                .map(|at| p.column(at).clone());
            columns.push(match col {
                Some(c) => c,
                None if f.name() == KV => empty_lists(n),
                None => new_null_array(f.data_type(), n),
            });
        }
        let opts = RecordBatchOptions::new().with_row_count(Some(n));
        out.push(
            RecordBatch::try_new_with_options(load.clone(), columns, &opts)
                .map_err(|e| format!("its rows do not fit the load schema ({e})"))?,
        );
    }
    Ok(out)
}

/// `n` empty nested lists.
fn empty_lists(n: usize) -> ArrayRef {
    let DataType::List(item) = schema::kv_type() else {
        unreachable!("the nested column is a list")
    };
    let values = new_null_array(item.data_type(), 0);
    Arc::new(ListArray::new(
        item,
        OffsetBuffer::new_zeroed(n),
        values,
        None,
    ))
}

/// The source column of `n` rows of source `name`.
fn source_column(n: usize, name: &str) -> ArrayRef {
    let keys = Int32Array::from(vec![0; n]);
    let names = StringArray::from(vec![name]);
    Arc::new(DictionaryArray::try_new(keys, Arc::new(names)).expect("one name, every key 0"))
}

/// `b` with its source column naming `name`.
pub fn with_source(b: &RecordBatch, name: &str) -> RecordBatch {
    let at = b.schema().index_of(SOURCE).unwrap_or(usize::MAX);
    let mut columns = b.columns().to_vec();
    if let Some(c) = columns.get_mut(at) {
        *c = source_column(b.num_rows(), name);
    }
    let opts = RecordBatchOptions::new().with_row_count(Some(b.num_rows()));
    RecordBatch::try_new_with_options(b.schema(), columns, &opts).unwrap_or_else(|_| b.clone())
}

/// Rows of `b` whose time is in `from..to` (a missing time is in no range).
pub fn in_range(b: &RecordBatch, from: Option<i64>, to: Option<i64>) -> (RecordBatch, u64) {
    if from.is_none() && to.is_none() {
        return (b.clone(), 0);
    }
    let Some(ts) = b.column_by_name(schema::TIMESTAMP).and_then(|c| {
        c.as_any()
            .downcast_ref::<datafusion::arrow::array::TimestampNanosecondArray>()
    }) else {
        return (b.clone(), 0);
    };
    let keep: BooleanArray = ts
        .iter()
        .map(|t| Some(t.is_some_and(|t| from.is_none_or(|f| t >= f) && to.is_none_or(|e| t < e))))
        .collect();
    let kept = keep.true_count();
    match datafusion::arrow::compute::filter_record_batch(b, &keep) {
        Ok(out) => (out, (b.num_rows() - kept) as u64),
        Err(_) => (b.clone(), 0),
    }
}

/// Counts the paths of cached rows into a catalog as decoding them counts them (one per
/// value; a boolean written as text counts once, in its typed column), so a scan that
/// reads from the cache leaves the catalog as one that decodes the JSON.
pub struct PathCounter<'c> {
    local: trailhunt_cloudtrail::catalog::LocalCatalog<'c>,
    layout: trailhunt_cloudtrail::schema::TypedLayout,
}

impl<'c> PathCounter<'c> {
    /// A counter into `catalog`.
    pub fn new(
        catalog: &'c trailhunt_cloudtrail::Catalog,
        layout: &trailhunt_cloudtrail::schema::TypedLayout,
    ) -> Self {
        PathCounter {
            local: trailhunt_cloudtrail::catalog::LocalCatalog::new(catalog),
            layout: layout.clone(),
        }
    }

    /// Count the values of `b` (a load-schema batch).
    pub fn count(&mut self, b: &RecordBatch) {
        use datafusion::arrow::array::AsArray;
        use datafusion::arrow::datatypes::{UInt8Type, UInt32Type};
        use trailhunt_cloudtrail::schema::{TypedKind, kind};
        for (c, _) in TYPED.iter().enumerate() {
            let col = b.column(c);
            let n = (col.len() - col.null_count()) as u64;
            if n > 0 {
                self.local.count_n(self.layout.id(c), n);
            }
        }
        let Some(kv) = b.column_by_name(KV).and_then(|c| c.as_list_opt::<i32>()) else {
            return;
        };
        let Some(st) = kv.values().as_struct_opt() else {
            return;
        };
        let (Some(keys), Some(vals), Some(kinds)) = (
            st.column(0).as_dictionary_opt::<UInt32Type>(),
            st.column(1).as_string_opt::<i32>(),
            st.column(2).as_primitive_opt::<UInt8Type>(),
        ) else {
            return;
        };
        let Some(paths) = keys.values().as_string_opt::<i32>() else {
            return;
        };
        let ids = self.local.catalog().ids_of(paths.iter());
        let codes = keys.keys().values();
        let offsets = kv.value_offsets();
        for row in 0..b.num_rows() {
            let mut texted = 0u64; // typed boolean columns whose text was met (bits)
            for i in offsets[row] as usize..offsets[row + 1] as usize {
                let id = ids.get(codes[i] as usize).copied().unwrap_or(0);
                let Some(c) = self.layout.typed(id) else {
                    self.local.count(id);
                    continue;
                };
                self.local.count_nested_at_typed(id);
                let as_text = matches!(TYPED[c].1, TypedKind::Bool)
                    && kinds.value(i) == kind::STRING
                    && b.column(c).is_valid(row)
                    && texted & (1 << c) == 0
                    && matches!(
                        vals.value(i),
                        "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
                    );
                if as_text {
                    texted |= 1 << c;
                } else {
                    self.local.count(id);
                }
            }
        }
    }
}
