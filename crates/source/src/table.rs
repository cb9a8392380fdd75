//! The events as a DataFusion table: `scan` prunes the listing by the time range the
//! query's filters allow (from S3 delivery names), decides from the projection whether
//! nested values are decoded at all, and returns a [`CloudTrailExec`].

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::error::Result;
use datafusion::logical_expr::{
    BinaryExpr, Expr, Operator, TableProviderFilterPushDown, TableType,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::scalar::ScalarValue;
use trailhunt_cloudtrail::schema::{self, TIMESTAMP, TypedLayout};
use trailhunt_cloudtrail::{Catalog, DecodeOptions, KeepIf};

use crate::exec::{CloudTrailExec, ScanLog};
use crate::listing::{FileRef, Listing, may_hold_from, spread};
use crate::order::ORDER;

/// The table's schema: the decoded columns ([`schema::load_schema`]) and the order key.
pub fn table_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        let base = schema::load_schema();
        let mut fields: Vec<Field> = base.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.push(Field::new(ORDER, DataType::Binary, false));
        Arc::new(Schema::new(fields))
    })
    .clone()
}

/// How a table scans, beyond what DataFusion asks of it.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Partitions (0: one per core).
    pub partitions: usize,
    /// Text every record that can match contains: files without it are not parsed.
    pub required_text: Vec<String>,
    /// When not empty, files holding none of these texts are not parsed.
    pub required_any: Vec<String>,
    /// The cap on one file's JSON; 0 means the default.
    pub max_file_bytes: u64,
    /// Decode nested values even when the projection does not ask for them.
    pub keep_nested: bool,
    /// Records whose typed column fails one of these tests cannot match the query: the
    /// scan drops them as it reads (the query's filter still runs over the rest).
    pub keep_if: Vec<KeepIf>,
    /// Whole tokens every record that can match holds (see
    /// [`DecodeOptions::required_tokens`]).
    pub required_tokens: Vec<String>,
}

/// CloudTrail events from a listing of files.
#[derive(Debug)]
pub struct CloudTrailTable {
    files: Arc<Vec<FileRef>>,
    cache: Option<Arc<crate::cache::Cache>>,
    catalog: Arc<Catalog>,
    layout: TypedLayout,
    options: ScanOptions,
    log: Arc<ScanLog>,
}

impl CloudTrailTable {
    /// A table over `listing`, interning paths into `catalog`.
    pub fn new(
        listing: &Listing,
        catalog: Arc<Catalog>,
        layout: TypedLayout,
        options: ScanOptions,
    ) -> Self {
        CloudTrailTable {
            files: Arc::new(listing.files.clone()),
            cache: listing.cache.clone(),
            catalog,
            layout,
            options,
            log: Arc::new(ScanLog::default()),
        }
    }

    /// What the scans of this table found out about its files.
    pub fn log(&self) -> Arc<ScanLog> {
        self.log.clone()
    }
}

/// The typed columns a scan projecting `projection` (of `full`) must decode: the
/// projected ones, the event time (always: it is the time of every record and its
/// warnings), and what the projected derived columns are made of.
fn typed_columns(full: &Schema, projection: &[usize], keep_if: &[KeepIf]) -> Vec<bool> {
    let mut want = vec![false; schema::TYPED.len()];
    want[schema::col::EVENT_TIME] = true;
    for &i in projection {
        let name = full.field(i).name().as_str();
        if let Some(c) = (0..schema::TYPED.len()).find(|&c| schema::typed_name(c) == name) {
            want[c] = true;
        } else if name == ORDER {
            want[schema::col::EVENT_ID] = true;
        }
        for &c in schema::derived_from(name) {
            want[c] = true;
        }
    }
    // What a tested column holds decides whether its record is kept.
    for t in keep_if {
        if let Some(w) = want.get_mut(t.column) {
            *w = true;
        }
    }
    want
}

/// The lower time bound a filter puts on `timestamp`, if it is one.
fn lower_bound(e: &Expr) -> Option<i64> {
    match time_bound(e)? {
        (true, v) => Some(v),
        _ => None,
    }
}

/// The upper time bound (inclusive) a filter puts on `timestamp`, if it is one.
fn upper_bound(e: &Expr) -> Option<i64> {
    match time_bound(e)? {
        (false, v) => Some(v),
        _ => None,
    }
}

/// `timestamp >= v` (or `>`, or `v <= timestamp`…) as `(true, v)`, `timestamp <= v` (or
/// `<`) as `(false, v)`: bounds every row the filter keeps is within (inclusive).
fn time_bound(e: &Expr) -> Option<(bool, i64)> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = e else {
        return None;
    };
    let is_ts = |e: &Expr| matches!(e, Expr::Column(c) if c.name == TIMESTAMP);
    let value = |e: &Expr| match e {
        Expr::Literal(ScalarValue::TimestampNanosecond(Some(v), _), _) => Some(*v),
        _ => None,
    };
    match op {
        Operator::GtEq | Operator::Gt if is_ts(left) => Some((true, value(right)?)),
        Operator::LtEq | Operator::Lt if is_ts(right) => Some((true, value(left)?)),
        Operator::LtEq | Operator::Lt if is_ts(left) => Some((false, value(right)?)),
        Operator::GtEq | Operator::Gt if is_ts(right) => Some((false, value(left)?)),
        _ => None,
    }
}

#[async_trait]
impl TableProvider for CloudTrailTable {
    fn schema(&self) -> SchemaRef {
        table_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        // Time bounds prune files, but not rows exactly: DataFusion keeps the filter.
        Ok(filters
            .iter()
            .map(|f| {
                if time_bound(f).is_some() {
                    TableProviderFilterPushDown::Inexact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let full = table_schema();
        let projection: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..full.fields().len()).collect(),
        };
        let from = filters.iter().filter_map(lower_bound).max();
        let until = filters.iter().filter_map(upper_bound).min();
        let kept: Vec<usize> = (0..self.files.len())
            .filter(|&i| from.is_none_or(|f| may_hold_from(&self.files[i], f)))
            .collect();
        let pruned = self.files.len() - kept.len();
        let partitions = match self.options.partitions {
            0 => state.config().target_partitions(),
            n => n,
        };
        let groups = spread(&self.files, &kept, partitions);
        let kv = full.index_of(schema::KV)?;
        let skip_nested = !self.options.keep_nested && !projection.contains(&kv);
        let decode = DecodeOptions {
            skip_nested,
            typed_columns: skip_nested
                .then(|| typed_columns(&full, &projection, &self.options.keep_if)),
            keep_if: self.options.keep_if.clone(),
            from: None,
            to: None,
            required_text: self.options.required_text.clone(),
            required_any: self.options.required_any.clone(),
            max_file_bytes: self.options.max_file_bytes,
            batch_bytes: 0,
            batch_rows: state.config().batch_size(),
            read_for_windows: false,
            required_tokens: self.options.required_tokens.clone(),
            time_bounds: (from, until),
        };
        Ok(Arc::new(
            CloudTrailExec::new(
                self.files.clone(),
                groups,
                projection,
                self.catalog.clone(),
                self.layout.clone(),
                decode,
                limit,
                pruned,
                self.log.clone(),
            )?
            .with_cache(self.cache.as_deref()),
        ))
    }
}
