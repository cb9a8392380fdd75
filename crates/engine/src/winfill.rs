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
use trailhunt_source::{CloudTrailTable, ScanOptions};

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
    let table = CloudTrailTable::new(
        &stream.listing,
        engine.catalog.clone(),
        engine.layout.clone(),
        ScanOptions {
            partitions: stream.options.threads,
            required_text: Vec::new(),
            required_any: any,
            max_file_bytes: stream.options.max_file_bytes,
            keep_nested: false,
            keep_if: Vec::new(),
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
