//! Windows for events a streaming query prints but does not otherwise read.
//!
//! `window_id`/`window_index` are cut over each entity's whole history (LANGUAGE.md §5).
//! A query that only prints events (a needle search) need not window the whole input:
//! once its events are known, a second, light scan reads only the files that can hold an
//! event of their entities (files without the entity's ARN or IP are not parsed, and no
//! nested values are kept), windows those entities' events with the plan operators of
//! [`crate::windows`], and the printed events take their windows from it by order key.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Builder, RecordBatch, StringBuilder,
};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{LogicalPlanBuilder, lit};
use trailhunt_cloudtrail::WindowMode;
use trailhunt_cloudtrail::schema::{ENTITY_ID, TIMESTAMP, WINDOW_ID, WINDOW_INDEX};
use trailhunt_source::order::ORDER;

use crate::plan::ident;
use crate::{Engine, EngineError};

/// Entities beyond which the light scan stops narrowing files by their names.
const MAX_NAMED: usize = 2000;

/// The texts a file must hold (one of) to have an event of `entity`.
fn needles(entity: &str) -> Option<Vec<String>> {
    let text = match entity.strip_prefix("source_ip:") {
        Some("unknown") | Some("") => return None,
        Some(ip) => ip.to_string(),
        None => entity.to_string(),
    };
    let mut v = vec![text.clone()];
    if text.contains('/') {
        // JSON may escape a slash.
        v.push(text.replace('/', "\\/"));
    }
    Some(v)
}

fn err(e: impl std::fmt::Display) -> EngineError {
    EngineError::Exec(e.to_string())
}

/// Fill the window columns of `batches` (events with [`ORDER`] as their last column) and
/// drop [`ORDER`].
pub(crate) fn fill(
    engine: &Engine,
    batches: Vec<RecordBatch>,
    schema: SchemaRef,
    mode: WindowMode,
) -> Result<(Vec<RecordBatch>, SchemaRef), EngineError> {
    let Some(order_at) = schema.index_of(ORDER).ok() else {
        return Ok((batches, schema));
    };
    let out_schema = {
        let fields: Vec<Field> = schema
            .fields()
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != order_at)
            .map(|(_, f)| f.as_ref().clone())
            .collect();
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
    };
    let (Ok(wid_at), Ok(widx_at), Ok(ent_at)) = (
        schema.index_of(WINDOW_ID),
        schema.index_of(WINDOW_INDEX),
        schema.index_of(ENTITY_ID),
    ) else {
        let out = batches
            .into_iter()
            .map(|b| {
                let mut b = b;
                b.remove_column(order_at);
                b
            })
            .collect();
        return Ok((out, out_schema));
    };
    let mut entities: BTreeSet<String> = BTreeSet::new();
    for b in &batches {
        let e = b.column(ent_at).as_string::<i32>();
        entities.extend(e.iter().flatten().map(str::to_string));
    }
    let windows = if entities.is_empty() {
        HashMap::new()
    } else {
        windows_of(engine, &entities, mode)?
    };
    let mut out = Vec::with_capacity(batches.len());
    for b in batches {
        let keys = b.column(order_at).as_binary::<i32>();
        let mut ids = StringBuilder::new();
        let mut idx = Int64Builder::new();
        for r in 0..b.num_rows() {
            match windows.get(keys.value(r)) {
                Some((w, i)) => {
                    ids.append_value(w);
                    idx.append_value(*i);
                }
                None => {
                    ids.append_null();
                    idx.append_null();
                }
            }
        }
        let mut cols: Vec<ArrayRef> = b.columns().to_vec();
        cols[wid_at] = Arc::new(ids.finish());
        cols[widx_at] = Arc::new(idx.finish());
        cols.remove(order_at);
        out.push(RecordBatch::try_new(out_schema.clone(), cols).map_err(err)?);
    }
    Ok((out, out_schema))
}

/// Each event of `entities` by order key: its window id and index.
fn windows_of(
    engine: &Engine,
    entities: &BTreeSet<String>,
    mode: WindowMode,
) -> Result<HashMap<Vec<u8>, (String, i64)>, EngineError> {
    let Some(stream) = &engine.stream else {
        return Ok(HashMap::new());
    };
    let mut any: Vec<String> = Vec::new();
    if entities.len() <= MAX_NAMED {
        for e in entities {
            match needles(e) {
                Some(n) => any.extend(n),
                None => {
                    any.clear();
                    break;
                }
            }
        }
    }
    let table = engine.table(
        stream,
        trailhunt_source::ScanOptions {
            required_any: any,
            ..Default::default()
        },
    );
    let cols = [ENTITY_ID, TIMESTAMP, ORDER];
    let full = trailhunt_source::table_schema();
    let projection: Vec<usize> = cols
        .iter()
        .map(|c| full.index_of(c))
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let list: Vec<_> = entities.iter().map(|e| lit(e.as_str())).collect();
    let b = LogicalPlanBuilder::scan(
        "__windows",
        provider_as_source(Arc::new(table)),
        Some(projection),
    )
    .map_err(err)?
    .filter(ident(ENTITY_ID).in_list(list, false))
    .map_err(err)?
    .project(vec![
        ident(ENTITY_ID),
        ident(TIMESTAMP),
        ident(ORDER),
        lit(datafusion::scalar::ScalarValue::Utf8(None)).alias(WINDOW_ID),
        lit(datafusion::scalar::ScalarValue::Int64(None)).alias(WINDOW_INDEX),
    ])
    .map_err(err)?
    .build()
    .map_err(err)?;
    let plan = crate::windows::add_windows(b, mode).map_err(err)?;
    let plan = LogicalPlanBuilder::from(plan)
        .project(vec![ident(ORDER), ident(WINDOW_ID), ident(WINDOW_INDEX)])
        .map_err(err)?
        .build()
        .map_err(err)?;
    let (batches, _) = engine.execute(plan)?;
    let mut map = HashMap::new();
    for b in batches {
        let k = b.column(0).as_binary::<i32>();
        let w = b.column(1).as_string::<i32>();
        let i = b
            .column(2)
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        for r in 0..b.num_rows() {
            if w.is_valid(r) && i.is_valid(r) {
                map.insert(k.value(r).to_vec(), (w.value(r).to_string(), i.value(r)));
            }
        }
    }
    Ok(map)
}

/// Windows for a stream of every event of the input in event order ([`ORDER`]), cut as
/// the rows pass: an event's window depends only on the events of its entity before it,
/// and each of those came earlier in the stream. Memory holds one entry per entity.
///
/// Only for a stream that holds *every* event (no filter, no time range): an event whose
/// predecessors were filtered out would be windowed without them.
pub(crate) struct InOrder {
    mode: WindowMode,
    entities: HashMap<String, Cut>,
    /// Events without an entity are one entity of their own, as in the plan operators.
    no_entity: Option<Cut>,
    schema: SchemaRef,
    out_schema: SchemaRef,
}

/// Does an event at `t` open a window, `seen` events of its entity (the last at `prev`)
/// before it? The test of [`crate::windows::add_windows`] (and of `assign`).
fn opens(mode: WindowMode, seen: i64, t: i64, prev: i64) -> bool {
    match mode {
        WindowMode::Events(n) => seen % i64::from(n.max(1)) == 0,
        WindowMode::Session(gap) => {
            seen == 0 || (t != i64::MAX && gap != i64::MAX && t.saturating_sub(prev) > gap)
        }
    }
}

/// What an entity's next event needs to know of the ones before it.
#[derive(Default)]
struct Cut {
    /// Events of the entity so far.
    seen: i64,
    /// The previous event's time (unused before the first event).
    prev: i64,
    /// The open window's first event: its place and its window id.
    start: i64,
    id: String,
}

impl InOrder {
    /// For batches of `schema` (window columns as placeholders, [`ORDER`] among them).
    pub(crate) fn new(schema: SchemaRef, mode: WindowMode) -> InOrder {
        let fields: Vec<Field> = schema
            .fields()
            .iter()
            .filter(|f| f.name() != ORDER)
            .map(|f| f.as_ref().clone())
            .collect();
        let out_schema = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
        InOrder {
            mode,
            entities: HashMap::new(),
            no_entity: None,
            schema,
            out_schema,
        }
    }

    /// The schema of the filled batches ([`ORDER`] dropped).
    pub(crate) fn schema(&self) -> SchemaRef {
        self.out_schema.clone()
    }

    /// `batch` with its windows filled and [`ORDER`] dropped.
    pub(crate) fn fill(&mut self, batch: RecordBatch) -> datafusion::common::Result<RecordBatch> {
        let at = |name: &str| self.schema.index_of(name).ok();
        let (Some(order_at), wid, widx, ent, ts) = (
            at(ORDER),
            at(WINDOW_ID),
            at(WINDOW_INDEX),
            at(ENTITY_ID),
            at(TIMESTAMP),
        ) else {
            return Ok(batch);
        };
        let mut cols: Vec<ArrayRef> = batch.columns().to_vec();
        if let (Some(wid_at), Some(widx_at), Some(ent_at), Some(ts_at)) = (wid, widx, ent, ts) {
            let entity = datafusion::arrow::compute::cast(
                batch.column(ent_at),
                &datafusion::arrow::datatypes::DataType::Utf8,
            )?;
            let entity = entity.as_string::<i32>();
            let time = datafusion::arrow::compute::cast(
                batch.column(ts_at),
                &datafusion::arrow::datatypes::DataType::Int64,
            )?;
            let time = time.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
            let mut ids = StringBuilder::new();
            let mut idx = Int64Builder::new();
            for r in 0..batch.num_rows() {
                let t = if time.is_null(r) {
                    i64::MAX
                } else {
                    time.value(r)
                };
                let key = (!entity.is_null(r)).then(|| entity.value(r));
                let mode = self.mode;
                let cut = match key {
                    Some(k) => {
                        if !self.entities.contains_key(k) {
                            self.entities.insert(k.to_string(), Cut::default());
                        }
                        match self.entities.get_mut(k) {
                            Some(c) => c,
                            None => continue,
                        }
                    }
                    None => self.no_entity.get_or_insert_with(Cut::default),
                };
                let (seen, prev) = (cut.seen, cut.prev);
                let opens = opens(mode, seen, t, prev);
                if opens {
                    cut.start = seen;
                    cut.id.clear();
                    cut.id.push_str(key.unwrap_or(""));
                    cut.id.push('.');
                    if t == i64::MAX {
                        cut.id.push_str("unknown-time");
                    } else {
                        cut.id
                            .push_str(&trailhunt_cloudtrail::time::format_window_time(t));
                    }
                }
                ids.append_value(&cut.id);
                idx.append_value(seen - cut.start);
                cut.seen = seen + 1;
                cut.prev = t;
            }
            cols[wid_at] = Arc::new(ids.finish());
            cols[widx_at] = Arc::new(idx.finish());
        }
        cols.remove(order_at);
        Ok(RecordBatch::try_new(self.out_schema.clone(), cols)?)
    }
}
