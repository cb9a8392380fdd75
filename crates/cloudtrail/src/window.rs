//! Per-entity windows (LANGUAGE.md §5).
//!
//! Events of one entity, ordered by event time, fall into windows: either count windows of
//! N events, or inactivity sessions that a gap longer than a threshold closes. `window_id`
//! is `entity_id` + `.` + the time of the window's first event (`YYYY-MM-DD
//! HH:MM:SS.ffffff`); `window_index` counts from 0 inside each window.
//!
//! The order inside an entity is (event time, `eventID`, source file, then the record's
//! place in the loaded data), so windows never depend on the order files were read in,
//! except between byte-identical duplicates of one event.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, RecordBatch, StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::{Int32Type, TimestampNanosecondType};
use datafusion::arrow::error::ArrowError;

use crate::catalog::FxHashMap;
use crate::schema::{self, ENTITY_ID, SOURCE, TIMESTAMP};
use crate::time::format_window_time;

/// How events of one entity are cut into windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowMode {
    /// A new window every N events (N ≥ 1).
    Events(u32),
    /// A new window when the gap since the entity's previous event exceeds this many
    /// nanoseconds.
    Session(i64),
}

impl Default for WindowMode {
    fn default() -> Self {
        WindowMode::Events(60)
    }
}

/// Counts of what windowing produced.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct WindowStats {
    /// Distinct entities.
    pub entities: u64,
    /// Windows over all entities.
    pub windows: u64,
}

struct Row {
    entity: u32,
    ts: i64,
    batch: u32,
    row: u32,
}

fn column<'a>(b: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef, ArrowError> {
    b.column_by_name(name)
        .ok_or_else(|| ArrowError::SchemaError(format!("missing column {name}")))
}

/// Add `window_id` and `window_index` to every batch.
pub fn assign(
    batches: Vec<RecordBatch>,
    mode: WindowMode,
) -> Result<(Vec<RecordBatch>, WindowStats), ArrowError> {
    let event_id_col = schema::TYPED
        .iter()
        .position(|(p, _)| p == &["eventID"])
        .map(schema::typed_name)
        .unwrap_or_else(|| "eventID".into());
    let mut entities: FxHashMap<&str, u32> = FxHashMap::default();
    let mut names: Vec<&str> = Vec::new();
    let mut rows: Vec<Row> = Vec::with_capacity(batches.iter().map(|b| b.num_rows()).sum());
    let mut cols = Vec::with_capacity(batches.len());
    for b in &batches {
        let ent = column(b, ENTITY_ID)?.as_string::<i32>();
        let ts = column(b, TIMESTAMP)?.as_primitive::<TimestampNanosecondType>();
        let eid = column(b, &event_id_col)?.as_string::<i32>();
        let src = column(b, SOURCE)?.as_dictionary::<Int32Type>();
        let src_vals = src.values().as_string::<i32>();
        cols.push((ent, ts, eid, src, src_vals));
    }
    for (bi, (ent, ts, _, _, _)) in cols.iter().enumerate() {
        for r in 0..ent.len() {
            let e = ent.value(r);
            let next = names.len() as u32;
            let id = *entities.entry(e).or_insert_with(|| {
                names.push(e);
                next
            });
            let t = if ts.is_null(r) { i64::MAX } else { ts.value(r) };
            rows.push(Row {
                entity: id,
                ts: t,
                batch: bi as u32,
                row: r as u32,
            });
        }
    }
    let tie = |a: &Row, b: &Row| {
        let (ca, cb) = (&cols[a.batch as usize], &cols[b.batch as usize]);
        let ea = (!ca.2.is_null(a.row as usize)).then(|| ca.2.value(a.row as usize));
        let eb = (!cb.2.is_null(b.row as usize)).then(|| cb.2.value(b.row as usize));
        let sa = ca.4.value(ca.3.keys().value(a.row as usize) as usize);
        let sb = cb.4.value(cb.3.keys().value(b.row as usize) as usize);
        ea.cmp(&eb)
            .then_with(|| sa.cmp(sb))
            .then_with(|| (a.batch, a.row).cmp(&(b.batch, b.row)))
    };
    rows.sort_unstable_by(|a, b| {
        (a.entity, a.ts)
            .cmp(&(b.entity, b.ts))
            .then_with(|| tie(a, b))
    });

    // Walk each entity's events in order, cutting windows.
    let mut win_of: Vec<Vec<(u32, i64)>> = batches
        .iter()
        .map(|b| vec![(0u32, 0i64); b.num_rows()])
        .collect();
    let mut window_names: Vec<String> = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let ent = rows[i].entity;
        let mut j = i;
        let mut index = 0i64;
        let mut prev_ts = rows[i].ts;
        while j < rows.len() && rows[j].entity == ent {
            let r = &rows[j];
            let new_window = match mode {
                WindowMode::Events(n) => index == 0 || index >= i64::from(n.max(1)),
                WindowMode::Session(gap) => {
                    index == 0 || (r.ts != i64::MAX && r.ts.saturating_sub(prev_ts) > gap)
                }
            };
            if new_window {
                let when = if r.ts == i64::MAX {
                    "unknown-time".to_string()
                } else {
                    format_window_time(r.ts)
                };
                window_names.push(format!("{}.{when}", names[ent as usize]));
                index = 0;
            }
            win_of[r.batch as usize][r.row as usize] = ((window_names.len() - 1) as u32, index);
            index += 1;
            prev_ts = r.ts;
            j += 1;
        }
        i = j;
    }
    let stats = WindowStats {
        entities: names.len() as u64,
        windows: window_names.len() as u64,
    };
    drop(cols);

    let schema = schema::table_schema();
    let mut out = Vec::with_capacity(batches.len());
    for (b, wins) in batches.into_iter().zip(win_of) {
        let bytes: usize = wins
            .iter()
            .map(|(w, _)| window_names[*w as usize].len())
            .sum();
        let mut ids = StringBuilder::with_capacity(wins.len(), bytes);
        for (w, _) in &wins {
            ids.append_value(&window_names[*w as usize]);
        }
        let idx: Int64Array = wins.iter().map(|(_, i)| *i).collect::<Vec<_>>().into();
        let mut columns = b.columns().to_vec();
        columns.push(Arc::new(ids.finish()) as ArrayRef);
        columns.push(Arc::new(idx));
        out.push(RecordBatch::try_new(schema.clone(), columns)?);
    }
    Ok((out, stats))
}

/// Add null `window_id`/`window_index` columns (a load for a query that reads neither).
pub fn without_windows(
    batches: Vec<RecordBatch>,
) -> Result<(Vec<RecordBatch>, WindowStats), ArrowError> {
    let schema = schema::table_schema();
    let mut entities = std::collections::HashSet::new();
    for b in &batches {
        entities.extend(column(b, ENTITY_ID)?.as_string::<i32>().iter().flatten());
    }
    let entities = entities.len();
    let mut out = Vec::with_capacity(batches.len());
    for b in batches {
        let n = b.num_rows();
        let mut columns = b.columns().to_vec();
        columns.push(datafusion::arrow::array::new_null_array(
            &datafusion::arrow::datatypes::DataType::Utf8,
            n,
        ));
        columns.push(datafusion::arrow::array::new_null_array(
            &datafusion::arrow::datatypes::DataType::Int64,
            n,
        ));
        out.push(RecordBatch::try_new(schema.clone(), columns)?);
    }
    let stats = WindowStats {
        entities: entities as u64,
        windows: 0,
    };
    Ok((out, stats))
}

/// The window ids as plain strings (for tests and reports).
pub fn window_ids(batch: &RecordBatch) -> Option<&StringArray> {
    batch
        .column_by_name(schema::WINDOW_ID)
        .and_then(|c| c.as_string_opt::<i32>())
}
