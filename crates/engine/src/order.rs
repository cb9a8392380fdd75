//! The event order every stage falls back on: event time, then `eventID`, then the
//! source file, then the record's place in that file — the order windows are cut in
//! (`trailhunt_cloudtrail::window`). The engine numbers the events in this order once, as
//! the hidden column [`ORDER`], so a sort's ties, `head`, `tail`, `dedup`, `earliest` and
//! `latest` never depend on how the rows were partitioned.

use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, UInt64Array};
use datafusion::arrow::datatypes::{
    DataType, Field, Int32Type, Schema, SchemaRef, TimestampNanosecondType,
};
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
    let mut cols = Vec::with_capacity(batches.len());
    for b in &batches {
        let ts = column(b, TIMESTAMP)?
            .as_primitive_opt::<TimestampNanosecondType>()
            .ok_or_else(|| ArrowError::SchemaError("`timestamp` is not a timestamp".into()))?;
        let eid = column(b, "eventID")?
            .as_string_opt::<i32>()
            .ok_or_else(|| ArrowError::SchemaError("`eventID` is not text".into()))?;
        let src = column(b, SOURCE)?
            .as_dictionary_opt::<Int32Type>()
            .ok_or_else(|| ArrowError::SchemaError("`@index` is not a dictionary".into()))?;
        let src_vals = src
            .values()
            .as_string_opt::<i32>()
            .ok_or_else(|| ArrowError::SchemaError("`@index` values are not text".into()))?;
        cols.push((ts, eid, src.keys(), src_vals));
    }
    // (batch, row, time) per event; the time is read once, the rest only on ties.
    let mut rows: Vec<(u32, u32, i64)> =
        Vec::with_capacity(batches.iter().map(|b| b.num_rows()).sum());
    for (bi, (ts, ..)) in cols.iter().enumerate() {
        for r in 0..ts.len() {
            let t = if ts.is_null(r) { i64::MAX } else { ts.value(r) };
            rows.push((bi as u32, r as u32, t));
        }
    }
    let eid = |b: u32, r: u32| {
        let c = cols[b as usize].1;
        (!c.is_null(r as usize)).then(|| c.value(r as usize))
    };
    let src = |b: u32, r: u32| {
        let (_, _, keys, vals) = &cols[b as usize];
        vals.value(keys.value(r as usize) as usize)
    };
    rows.sort_unstable_by(|a, b| {
        a.2.cmp(&b.2)
            .then_with(|| eid(a.0, a.1).cmp(&eid(b.0, b.1)))
            .then_with(|| src(a.0, a.1).cmp(src(b.0, b.1)))
            .then_with(|| (a.0, a.1).cmp(&(b.0, b.1)))
    });
    let mut ranks: Vec<Vec<u64>> = batches.iter().map(|b| vec![0; b.num_rows()]).collect();
    for (rank, (b, r, _)) in rows.iter().enumerate() {
        ranks[*b as usize][*r as usize] = rank as u64;
    }
    drop(cols);
    let schema = table_schema();
    batches
        .into_iter()
        .zip(ranks)
        .map(|(b, rank)| {
            let mut columns = b.columns().to_vec();
            columns.push(Arc::new(UInt64Array::from(rank)) as ArrayRef);
            RecordBatch::try_new(schema.clone(), columns)
        })
        .collect()
}
