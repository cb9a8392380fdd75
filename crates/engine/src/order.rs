//! The event order every stage falls back on: event time, then `eventID`, then the
//! source file, then the record's place in that file — the order windows are cut in
//! (`trailhunt_cloudtrail::window`). The engine numbers the events in this order once, as
//! the hidden column [`ORDER`], so a sort's ties, `head`, `tail`, `dedup`, `earliest` and
//! `latest` never depend on how the rows were partitioned.

use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, UInt32Array, UInt64Array};
use datafusion::arrow::compute::{SortColumn, SortOptions, concat, lexsort_to_indices};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use trailhunt_cloudtrail::schema::{self, SOURCE, TIMESTAMP};

/// The hidden column holding each event's rank in event order (planner-internal).
pub const ORDER: &str = "__order";

/// The table's schema: the loaded columns and [`ORDER`].
pub fn table_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        let base = schema::table_schema();
        let mut fields: Vec<Field> = base.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.push(Field::new(ORDER, DataType::UInt64, false));
        Arc::new(Schema::new(fields))
    })
    .clone()
}

fn column<'a>(b: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef, ArrowError> {
    b.column_by_name(name)
        .ok_or_else(|| ArrowError::SchemaError(format!("the loaded events lack `{name}`")))
}

/// `batches` (in the loader's order: one file's records in file order) with [`ORDER`]
/// added: each event's rank by (time, a missing time last; `eventID`, a missing one
/// first; source file; place in the file).
pub fn number_events(batches: Vec<RecordBatch>) -> Result<Vec<RecordBatch>, ArrowError> {
    if batches.is_empty() {
        return Ok(batches);
    }
    let n: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let ts: Vec<&ArrayRef> = batches
        .iter()
        .map(|b| column(b, TIMESTAMP))
        .collect::<Result<_, _>>()?;
    let eid: Vec<&ArrayRef> = batches
        .iter()
        .map(|b| column(b, "eventID"))
        .collect::<Result<_, _>>()?;
    // Source files by name: each row's rank among all the names.
    let mut srcs = Vec::with_capacity(batches.len());
    for b in &batches {
        let d = column(b, SOURCE)?
            .as_dictionary_opt::<Int32Type>()
            .ok_or_else(|| ArrowError::SchemaError("`@index` is not a dictionary".into()))?;
        let names = d
            .values()
            .as_string_opt::<i32>()
            .ok_or_else(|| ArrowError::SchemaError("`@index` values are not text".into()))?;
        srcs.push((d.keys(), names));
    }
    let mut names: Vec<&str> = srcs.iter().flat_map(|(_, v)| v.iter().flatten()).collect();
    names.sort_unstable();
    names.dedup();
    let mut src_rank = Vec::with_capacity(n);
    for (keys, values) in &srcs {
        let rank_of: Vec<u32> = (0..values.len())
            .map(|i| names.partition_point(|s| *s < values.value(i)) as u32)
            .collect();
        src_rank.extend(
            keys.values()
                .iter()
                .map(|k| rank_of.get(*k as usize).copied().unwrap_or(u32::MAX)),
        );
    }
    let asc = |nulls_first| {
        Some(SortOptions {
            descending: false,
            nulls_first,
        })
    };
    let cat = |cols: &[&ArrayRef]| {
        let refs: Vec<&dyn Array> = cols.iter().map(|c| c.as_ref()).collect();
        concat(&refs)
    };
    let keys = [
        SortColumn {
            values: cat(&ts)?,
            options: asc(false),
        },
        SortColumn {
            values: cat(&eid)?,
            options: asc(true),
        },
        SortColumn {
            values: Arc::new(UInt32Array::from(src_rank)),
            options: asc(false),
        },
        // The place in the loaded data: a file's records are in file order.
        SortColumn {
            values: Arc::new(UInt64Array::from_iter_values(0..n as u64)),
            options: asc(false),
        },
    ];
    let sorted = lexsort_to_indices(&keys, None)?;
    drop(keys);
    let mut rank = vec![0u64; n];
    for (r, i) in sorted.values().iter().enumerate() {
        rank[*i as usize] = r as u64;
    }
    let schema = table_schema();
    let mut out = Vec::with_capacity(batches.len());
    let mut off = 0;
    for b in batches {
        let len = b.num_rows();
        let mut columns = b.columns().to_vec();
        columns.push(Arc::new(UInt64Array::from(rank[off..off + len].to_vec())) as ArrayRef);
        off += len;
        out.push(RecordBatch::try_new(schema.clone(), columns)?);
    }
    Ok(out)
}
