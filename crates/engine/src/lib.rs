//! Running trailhunt queries on Apache DataFusion, in-process.
//!
//! An [`Engine`] holds one loaded data set (from `trailhunt-cloudtrail`) as a DataFusion
//! table. A query's text is parsed (`trailhunt-lang`), planned into a `LogicalPlan` one
//! step per stage ([`plan::Planner`]), and executed into record batches
//! (printed by `trailhunt-print`).
//!
//! ```
//! use trailhunt_cloudtrail::{discover, LoadOptions};
//! use trailhunt_source::{Listing, load};
//! use trailhunt_engine::{Engine, TimeRange};
//! let dir = std::env::temp_dir().join("trailhunt-engine-doc");
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("x.json"), r#"{"Records":[
//!   {"eventTime":"2024-03-01T00:00:00Z","eventName":"GetObject","eventSource":"s3.amazonaws.com",
//!    "requestParameters":{"bucketName":"reports"}}]}"#).unwrap();
//! let data = load(&Listing::local(&discover(&[dir.to_str().unwrap()]).unwrap()), &LoadOptions::default(), None).unwrap();
//! let engine = Engine::new(data, 1).unwrap();
//! let out = engine.run("requestParameters.bucketName: reports | count", TimeRange::default()).unwrap();
//! assert_eq!(out.rows(), 1);
//! ```
#![deny(missing_docs)]

mod cancel;
pub mod jsontree;
pub mod matcher;
pub mod order;
pub mod pathsel;
pub mod percentile;
pub mod plan;
pub mod pushdown;
pub mod resolve;
mod stream;
pub mod udf;
pub mod values;
pub mod windows;
mod winfill;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::MemTable;
use datafusion::datasource::provider_as_source;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder, lit};
use datafusion::physical_plan::displayable;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};
use datafusion::scalar::ScalarValue;
use trailhunt_cloudtrail::schema::{self, TypedLayout};
use trailhunt_cloudtrail::{Catalog, Dataset, FileReport, LoadReport, WindowMode};
use trailhunt_lang::{Diagnostics, ParseError, Query, Span};
use trailhunt_source::{CloudTrailTable, Listing, ScanLog, ScanOptions};

pub use crate::cancel::CancelToken;
use crate::plan::{Planner, ident};
pub use crate::stream::{QueryStream, ScanHandle};

/// A time restriction on events (UTC nanoseconds; `to` is exclusive).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// Keep events at or after this time.
    pub from: Option<i64>,
    /// Keep events before this time.
    pub to: Option<i64>,
}

/// Why a query did not run.
#[derive(Debug)]
pub enum EngineError {
    /// The query text is not valid, or names what the data does not have: each error
    /// points at the text.
    Query(Diagnostics),
    /// Execution failed.
    Exec(String),
}

impl EngineError {
    /// Render against the query text: carets under the offending text, and help.
    pub fn render(&self, text: &str) -> String {
        match self {
            EngineError::Query(d) => d.render(text),
            EngineError::Exec(m) => format!("error: the query failed while running: {m}\n"),
        }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Query(d) => write!(f, "{d}"),
            EngineError::Exec(m) => write!(f, "the query failed while running: {m}"),
        }
    }
}

impl std::error::Error for EngineError {}

impl From<ParseError> for EngineError {
    fn from(e: ParseError) -> Self {
        EngineError::Query(Diagnostics(vec![e]))
    }
}

/// The result of a query.
#[derive(Debug)]
pub struct Output {
    /// The rows.
    pub batches: Vec<RecordBatch>,
    /// Their schema.
    pub schema: SchemaRef,
    /// Planning and execution time.
    pub elapsed: Duration,
    /// What the query named that no event has (each matched nothing or was null): show
    /// them to the person who wrote it, e.g. with [`render_warnings`].
    pub warnings: Vec<ParseError>,
    /// The files a streaming engine's scan found a problem in (rejected, or read with
    /// warnings), by file name; empty for an engine over loaded data.
    pub files: Vec<FileReport>,
    /// Files a streaming engine's scan read (0 for an engine over loaded data).
    pub files_read: u64,
    /// Cached rows the scan left unread: the cache's token index and time spans said
    /// they cannot match.
    pub cache_rows_skipped: u64,
    /// The physical plan that ran, with its metrics (for `explain --analyze`).
    pub physical: Option<Arc<dyn datafusion::physical_plan::ExecutionPlan>>,
}

/// Render warnings against the query text they point into, like errors but headed
/// `warning:`.
pub fn render_warnings(text: &str, warnings: &[ParseError]) -> String {
    trailhunt_lang::render_warnings(text, warnings)
}

impl Output {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// How a streaming engine reads and runs.
#[derive(Debug, Clone, Default)]
pub struct StreamOptions {
    /// Worker threads and scan partitions (0: one per core).
    pub threads: usize,
    /// How events are cut into per-entity windows.
    pub window: WindowMode,
    /// The cap on one file's JSON (0: the default).
    pub max_file_bytes: u64,
    /// The memory sorts, aggregations and joins may hold before they spill to disk
    /// (bytes); `None` leaves memory unbounded.
    pub memory_limit: Option<usize>,
    /// Where spill files go (default: the system's temporary folder).
    pub temp_dir: Option<std::path::PathBuf>,
}

/// What a plan gave: its rows, their schema, and the physical plan that ran.
type Ran = (
    Vec<RecordBatch>,
    SchemaRef,
    Arc<dyn datafusion::physical_plan::ExecutionPlan>,
);

/// The files a streaming engine reads for every query.
struct Stream {
    listing: Listing,
    options: StreamOptions,
    /// The catalog holds every path of the listing before any query (merged from the
    /// cache's path statistics): nothing needs reading to learn them.
    primed: bool,
}

/// A data set ready for queries: loaded into memory ([`Engine::new`]) or read from its
/// files by every query as a stream ([`Engine::open`]).
pub struct Engine {
    ctx: SessionContext,
    stream: Option<Stream>,
    catalog: Arc<Catalog>,
    layout: TypedLayout,
    report: LoadReport,
    /// Always `Some` until the engine is dropped (see `Drop`).
    runtime: Option<tokio::runtime::Runtime>,
    paths: resolve::PathIndex,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("records", &self.report.records)
            .finish()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Dropping a runtime waits for its workers, which tokio forbids (with a panic)
        // inside another runtime: let it shut down in the background there.
        if let Some(rt) = self.runtime.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            rt.shutdown_background();
        }
    }
}

/// The table name the events are registered under.
pub const TABLE: &str = "events";

impl Engine {
    /// Register `data` for querying with `threads` worker threads (0: one per core).
    pub fn new(data: Dataset, threads: usize) -> Result<Engine, EngineError> {
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let Dataset {
            batches,
            catalog,
            layout,
            report,
        } = data;
        let batches =
            order::number_events(batches).map_err(|e| EngineError::Exec(e.to_string()))?;
        let mut partitions: Vec<Vec<RecordBatch>> = vec![Vec::new(); threads];
        for (i, b) in batches.into_iter().enumerate() {
            partitions[i % threads].push(b);
        }
        let table = MemTable::try_new(order::table_schema(), partitions)
            .map_err(|e| EngineError::Exec(e.to_string()))?;
        let config = SessionConfig::new()
            .with_target_partitions(threads)
            .with_batch_size(8192);
        let ctx = SessionContext::new_with_config(config);
        ctx.register_table(TABLE, Arc::new(table))
            .map_err(|e| EngineError::Exec(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
            .map_err(|e| EngineError::Exec(format!("cannot start worker threads: {e}")))?;
        let paths = resolve::PathIndex::new(&catalog);
        Ok(Engine {
            ctx,
            stream: None,
            paths,
            catalog,
            layout,
            report,
            runtime: Some(runtime),
        })
    }

    /// An engine that reads `listing` anew for every query, as a stream: memory holds
    /// what the answer needs (and what sorts and aggregations keep), not the data.
    pub fn open(listing: Listing, options: StreamOptions) -> Result<Engine, EngineError> {
        let threads = match options.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let mut config = SessionConfig::new()
            .with_target_partitions(threads)
            .with_batch_size(8192);
        if let Some(limit) = options.memory_limit {
            // Each sorting partition keeps this much back for merging its spilled runs:
            // a small limit shared by many partitions needs a smaller share.
            let share = limit / (4 * threads.max(1));
            let exec = &mut config.options_mut().execution;
            exec.sort_spill_reservation_bytes = exec.sort_spill_reservation_bytes.min(share);
            // Batches small enough that a few per partition fit in its share (events
            // take about 1 KB each).
            config = config.with_batch_size((share / 2048).clamp(256, 8192));
        }
        let mut rt = RuntimeEnvBuilder::new();
        if let Some(limit) = options.memory_limit {
            let pool = datafusion::execution::memory_pool::TrackConsumersPool::new(
                datafusion::execution::memory_pool::FairSpillPool::new(limit),
                std::num::NonZeroUsize::new(5).unwrap_or(std::num::NonZeroUsize::MIN),
            );
            rt = rt.with_memory_pool(Arc::new(pool));
        }
        if let Some(dir) = &options.temp_dir {
            rt = rt.with_temp_file_path(dir);
        }
        let rt = rt
            .build_arc()
            .map_err(|e| EngineError::Exec(format!("cannot set up the memory pool: {e}")))?;
        let ctx = SessionContext::new_with_config_rt(config, rt);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
            .map_err(|e| EngineError::Exec(format!("cannot start worker threads: {e}")))?;
        let catalog = Arc::new(Catalog::new());
        let layout = TypedLayout::register(&catalog);
        let report = stream_report(&listing, options.window);
        // Cached sources bring their paths: the first plan already knows them.
        let primed = match &listing.cache {
            Some(cache) => {
                let (stats, complete) = cache.planning_stats(&listing);
                for s in stats {
                    catalog.merge_stats(s);
                }
                complete
            }
            None => false,
        };
        Ok(Engine {
            ctx,
            stream: Some(Stream {
                listing,
                options: StreamOptions { threads, ..options },
                primed,
            }),
            paths: resolve::PathIndex::default(),
            catalog,
            layout,
            report,
            runtime: Some(runtime),
        })
    }

    /// True for an engine that reads its files for every query ([`Engine::open`]).
    pub fn is_streaming(&self) -> bool {
        self.stream.is_some()
    }

    /// The paths seen in the data.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Where typed columns sit in the catalog.
    pub fn layout(&self) -> &TypedLayout {
        &self.layout
    }

    /// What loading the data did.
    pub fn report(&self) -> &LoadReport {
        &self.report
    }

    fn scan(
        &self,
        range: TimeRange,
        span: Span,
        windows: bool,
    ) -> Result<LogicalPlanBuilder, EngineError> {
        let provider = self
            .block_on(self.ctx.table_provider(TABLE))
            .map_err(|e| EngineError::Exec(e.to_string()))?;
        let mut b = LogicalPlanBuilder::scan(TABLE, provider_as_source(provider), None)
            .map_err(|e| plan::df_err(span, e))?;
        if self.stream.is_some() {
            // The table as the planner knows it: the decoded columns, the windows (null
            // unless the query reads them: `windows_for`), the order key.
            let schema = schema::table_schema();
            let mut cols: Vec<datafusion::logical_expr::Expr> = Vec::new();
            for f in schema.fields() {
                let name = f.name();
                if name == schema::WINDOW_ID || name == schema::WINDOW_INDEX {
                    let null = ScalarValue::try_from(f.data_type())
                        .map_err(|e| EngineError::Exec(e.to_string()))?;
                    cols.push(lit(null).alias(name));
                } else {
                    cols.push(ident(name));
                }
            }
            cols.push(ident(order::ORDER));
            b = b.project(cols).map_err(|e| plan::df_err(span, e))?;
            if windows && let Some(stream) = &self.stream {
                let plan = b.build().map_err(|e| plan::df_err(span, e))?;
                let plan = windows::add_windows(plan, stream.options.window)
                    .map_err(|e| plan::df_err(span, e))?;
                b = LogicalPlanBuilder::from(plan);
            }
        }
        let ts = |v: i64| {
            lit(ScalarValue::TimestampNanosecond(
                Some(v),
                Some("UTC".into()),
            ))
        };
        if let Some(from) = range.from {
            b = b
                .filter(ident(schema::TIMESTAMP).gt_eq(ts(from)))
                .map_err(|e| plan::df_err(span, e))?;
        }
        if let Some(to) = range.to {
            b = b
                .filter(ident(schema::TIMESTAMP).lt(ts(to)))
                .map_err(|e| plan::df_err(span, e))?;
        }
        Ok(b)
    }

    /// Run `f` to completion on the engine's runtime. A caller already inside a tokio
    /// runtime (a library user's async code) cannot block its own thread on another
    /// runtime — tokio panics — so the wait happens on a thread of its own then.
    fn block_on<F>(&self, f: F) -> F::Output
    where
        F: std::future::Future + Send,
        F::Output: Send,
    {
        let Some(rt) = &self.runtime else {
            unreachable!("the runtime lives as long as the engine")
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return rt.block_on(f);
        }
        std::thread::scope(|s| {
            s.spawn(|| rt.block_on(f))
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }

    /// Plan a parsed query. A path no event has matches nothing (or is null); see
    /// [`Engine::plan_with_warnings`] for the warnings that say so.
    pub fn plan(&self, query: &Query, range: TimeRange) -> Result<LogicalPlan, EngineError> {
        self.plan_with_warnings(query, range).map(|(p, _)| p)
    }

    /// Plan a parsed query, with a warning for each path no event has (after an
    /// aggregation an unknown name is still an error: the columns are known exactly).
    pub fn plan_with_warnings(
        &self,
        query: &Query,
        range: TimeRange,
    ) -> Result<(LogicalPlan, Vec<ParseError>), EngineError> {
        let hints = pushdown::hints(query);
        // A streaming engine registers the table a query reads only for that query:
        // planning without running registers it too (nothing is read).
        self.prepare_scan(&hints)?;
        self.plan_for(query, range, &hints)
    }

    fn plan_for(
        &self,
        query: &Query,
        range: TimeRange,
        hints: &pushdown::LoadHints,
    ) -> Result<(LogicalPlan, Vec<ParseError>), EngineError> {
        let snapshot;
        let index = if self.stream.is_some() {
            snapshot = resolve::PathIndex::new(&self.catalog);
            &snapshot
        } else {
            &self.paths
        };
        // A streaming engine windows events in the plan when the query reads windows,
        // and fills them in afterwards when it only prints them (`winfill`).
        let streaming = self.stream.is_some();
        let complete = self.stream.as_ref().is_none_or(|s| s.primed);
        let facts = self.timechart_facts(query, range, hints)?;
        let planner = Planner::new(&self.catalog, &self.layout, index)
            .keep_order(streaming && hints.needs_windows && !hints.reads_windows)
            .complete(complete)
            .timecharts(facts);
        let scan = self.scan(range, query.span, streaming && hints.reads_windows)?;
        let plan = planner.plan(query, scan)?;
        Ok((plan, planner.take_warnings()))
    }

    /// What the data says about each `timechart` of `query` (see `plan::timechart`): the
    /// stages before it are run with `stats min(timestamp), max(timestamp) by c`.
    fn timechart_facts(
        &self,
        query: &Query,
        range: TimeRange,
        hints: &pushdown::LoadHints,
    ) -> Result<std::collections::HashMap<trailhunt_lang::Span, plan::TimechartFacts>, EngineError>
    {
        use datafusion::arrow::array::{Array, AsArray};
        use datafusion::arrow::datatypes::{DataType, TimestampNanosecondType};
        use trailhunt_lang::ast::{Stage, StageKind};
        let mut facts = std::collections::HashMap::new();
        for (i, stage) in query.stages.iter().enumerate() {
            let StageKind::Timechart(tc) = &stage.kind else {
                continue;
            };
            let Ok(bounds) = trailhunt_lang::parse_query(
                "* | stats min(timestamp) as __th_lo, max(timestamp) as __th_hi",
            ) else {
                continue;
            };
            let Some(StageKind::Stats(mut stats)) =
                bounds.stages.into_iter().next().map(|s| s.kind)
            else {
                continue;
            };
            stats.by = tc.by.iter().take(1).cloned().collect();
            let mut stages = query.stages[..i].to_vec();
            stages.push(Stage {
                kind: StageKind::Stats(stats),
                span: stage.span,
            });
            let prefix = Query {
                filter: query.filter.clone(),
                stages,
                span: query.span,
            };
            // The stages before fail as the whole query would; planning it says why.
            let Ok((plan, _)) = self.plan_for(&prefix, range, hints) else {
                continue;
            };
            let (batches, _, _) = self.execute_physical(plan)?;
            let by = tc.by.first().map(plan::path_name);
            let mut found = plan::TimechartFacts::default();
            for b in &batches {
                let time = |name: &str| {
                    b.column_by_name(name).and_then(|c| {
                        datafusion::arrow::compute::cast(
                            c,
                            &DataType::Timestamp(
                                datafusion::arrow::datatypes::TimeUnit::Nanosecond,
                                None,
                            ),
                        )
                        .ok()
                    })
                };
                let (Some(lo), Some(hi)) = (time("__th_lo"), time("__th_hi")) else {
                    continue;
                };
                let (lo, hi) = (
                    lo.as_primitive::<TimestampNanosecondType>(),
                    hi.as_primitive::<TimestampNanosecondType>(),
                );
                let values = by
                    .as_ref()
                    .and_then(|n| b.column_by_name(n))
                    .and_then(|c| datafusion::arrow::compute::cast(c, &DataType::Utf8).ok());
                for r in 0..b.num_rows() {
                    if lo.is_valid(r) {
                        let l = lo.value(r);
                        found.lo = Some(found.lo.map_or(l, |x| x.min(l)));
                    }
                    if hi.is_valid(r) {
                        let h = hi.value(r);
                        found.hi = Some(found.hi.map_or(h, |x| x.max(h)));
                    }
                    if let Some(v) = &values {
                        let v = v.as_string::<i32>();
                        found
                            .values
                            .push(v.is_valid(r).then(|| v.value(r).to_string()));
                    }
                }
            }
            // Columns in the order of their values, no value last.
            found.values.sort_by(|a, b| match (a, b) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, _) => std::cmp::Ordering::Greater,
                (_, None) => std::cmp::Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            });
            found.values.dedup();
            facts.insert(tc.span, found);
        }
        Ok(facts)
    }

    /// Parse and plan `text` without running it: its warnings, or why it cannot run.
    pub fn check(&self, text: &str) -> Result<Vec<ParseError>, EngineError> {
        let query = trailhunt_lang::parse_query(text).map_err(EngineError::Query)?;
        self.plan_with_warnings(&query, TimeRange::default())
            .map(|(_, w)| w)
    }

    /// Parse, plan and run `text`.
    pub fn run(&self, text: &str, range: TimeRange) -> Result<Output, EngineError> {
        let query = trailhunt_lang::parse_query(text).map_err(EngineError::Query)?;
        self.run_query(&query, range)
    }

    /// Plan and run a parsed query.
    ///
    /// A streaming engine learns the data's paths while it reads: the query is planned
    /// before the scan with what is known, and again after it. Functions carry path
    /// patterns, not ids, so the two plans are equal unless the data changed what the
    /// query means (a path turned out to be an array, a wildcard gained columns); then
    /// the second plan runs, over a catalog that now holds every path the scan can meet.
    pub fn run_query(&self, query: &Query, range: TimeRange) -> Result<Output, EngineError> {
        let start = Instant::now();
        let hints = pushdown::hints(query);
        let log = self.prepare_scan(&hints)?;
        if hints.wildcards && self.stream.as_ref().is_some_and(|s| !s.primed) {
            // Wildcards expand to the paths the data has (and their errors list them):
            // learn them first, with one pass that keeps nothing.
            self.learn_paths()?;
            if let Some(log) = &log {
                // The real scan reports the files' problems again.
                log.reset();
            }
        }
        let (plan, warnings) = self.plan_for(query, range, &hints)?;
        let (mut batches, mut schema, mut physical) = self.execute_physical(plan.clone())?;
        let mut warnings = warnings;
        if let Some(stream) = &self.stream {
            let (again, w) = self.plan_for(query, range, &hints)?;
            warnings = w;
            if again != plan {
                if let Some(log) = &log {
                    log.reset();
                }
                (batches, schema, physical) = self.execute_physical(again)?;
            }
            if hints.needs_windows && !hints.reads_windows {
                (batches, schema) = winfill::fill(self, batches, schema, stream.options.window)?;
            }
        }
        let files = log.as_ref().map(|l| scan_files(l)).unwrap_or_default();
        let relaxed = std::sync::atomic::Ordering::Relaxed;
        let files_read = log.as_ref().map_or(0, |l| l.files_read.load(relaxed));
        let cache_rows_skipped = log.map_or(0, |l| l.cache_rows_skipped.load(relaxed));
        Ok(Output {
            batches,
            schema,
            elapsed: start.elapsed(),
            warnings,
            files,
            files_read,
            cache_rows_skipped,
            physical: Some(physical),
        })
    }

    /// Read the files the registered table reads (nested values included) only to fill
    /// the catalog with their paths; no batch is kept.
    fn learn_paths(&self) -> Result<(), EngineError> {
        let exec = |e: datafusion::error::DataFusionError| EngineError::Exec(e.to_string());
        let provider = self
            .block_on(self.ctx.table_provider(TABLE))
            .map_err(exec)?;
        let kv = trailhunt_source::table_schema()
            .index_of(schema::KV)
            .map_err(|e| EngineError::Exec(e.to_string()))?;
        let state = self.ctx.state();
        let task = self.ctx.task_ctx();
        self.block_on(async {
            use futures::StreamExt;
            let scan = provider.scan(&state, Some(&vec![kv]), &[], None).await?;
            let mut stream = datafusion::physical_plan::execute_stream(scan, task)?;
            while let Some(b) = stream.next().await {
                b?;
            }
            Ok::<_, datafusion::error::DataFusionError>(())
        })
        .map_err(exec)
    }

    /// For a streaming engine: register a table that reads what `query` needs.
    fn prepare_scan(
        &self,
        hints: &pushdown::LoadHints,
    ) -> Result<Option<Arc<ScanLog>>, EngineError> {
        let Some(stream) = &self.stream else {
            return Ok(None);
        };
        // Windows are cut over every event: a query reading them keeps them all. Windows
        // filled in for printed events (`winfill`) find their events again by the order
        // key, whose position part counts the records of a file: keep them all too. A
        // wildcard's columns are the paths of the records read (`learn_paths`), as
        // without tests: keep them all.
        let (keep_if, required_tokens) = if hints.needs_windows || hints.wildcards {
            (Vec::new(), Vec::new())
        } else {
            // Rows skipped by the cache's token index are dropped like those keep_if drops.
            (hints.keep_if(), hints.required_tokens.clone())
        };
        // Windows are cut over everything: a query reading them reads every file.
        let required_text = if hints.reads_windows {
            Vec::new()
        } else {
            hints.required_text.clone()
        };
        // Nested values are decoded even when the plan reads none, so the catalog learns
        // what the files hold (a typed path's value of another type is kept there) and
        // the plan made after the scan can differ. A cache that primed the catalog with
        // every path of the listing leaves nothing to learn: the plan's projection says.
        let keep_nested = hints.needs_nested && !stream.primed;
        let table = self.table(
            stream,
            ScanOptions {
                required_text,
                keep_nested,
                keep_if,
                required_tokens,
                ..ScanOptions::default()
            },
        );
        let log = table.log();
        let _ = self.ctx.deregister_table(TABLE);
        self.ctx
            .register_table(TABLE, Arc::new(table))
            .map_err(|e| EngineError::Exec(e.to_string()))?;
        Ok(Some(log))
    }

    /// A table over the streaming engine's files, scanned as `options` say (its
    /// partitions and file cap are the engine's).
    fn table(&self, stream: &Stream, options: ScanOptions) -> CloudTrailTable {
        CloudTrailTable::new(
            &stream.listing,
            self.catalog.clone(),
            self.layout.clone(),
            ScanOptions {
                partitions: stream.options.threads,
                max_file_bytes: stream.options.max_file_bytes,
                ..options
            },
        )
    }

    /// A DataFusion error as the engine reports it: running out of `--memory-limit`
    /// says what to do.
    fn exec_error(&self, e: datafusion::error::DataFusionError) -> EngineError {
        exec_error(self.stream.as_ref().and_then(|s| s.options.memory_limit), e)
    }

    /// Run a plan to completion, keeping the physical plan (and its metrics).
    fn execute_physical(&self, plan: LogicalPlan) -> Result<Ran, EngineError> {
        let state = self.ctx.state();
        let task = self.ctx.task_ctx();
        let exec = |e| self.exec_error(e);
        let (batches, physical) = self
            .block_on(async {
                let physical = state.create_physical_plan(&plan).await?;
                let batches = datafusion::physical_plan::collect(physical.clone(), task).await?;
                Ok::<_, datafusion::error::DataFusionError>((batches, physical))
            })
            .map_err(exec)?;
        let schema: SchemaRef = Arc::new(plan.schema().as_arrow().clone());
        Ok((batches, schema, physical))
    }

    /// Like [`Engine::run`], but stops as soon as `cancel` is cancelled: `Ok(None)` then.
    /// Dropping the running plan stops its worker tasks.
    pub fn run_cancellable(
        &self,
        text: &str,
        range: TimeRange,
        cancel: &CancelToken,
    ) -> Result<Option<Output>, EngineError> {
        let start = Instant::now();
        let query = trailhunt_lang::parse_query(text).map_err(EngineError::Query)?;
        if self.stream.is_some() {
            // The REPL reads loaded data; a streaming engine runs to the end.
            return self.run_query(&query, range).map(Some);
        }
        let (plan, warnings) = self.plan_with_warnings(&query, range)?;
        let df = DataFrame::new(self.ctx.state(), plan);
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        let batches = self.block_on(async {
            tokio::select! {
                r = df.collect() => Some(r),
                () = cancel.cancelled() => None,
            }
        });
        match batches {
            None => Ok(None),
            Some(b) => Ok(Some(Output {
                batches: b.map_err(|e| EngineError::Exec(e.to_string()))?,
                schema,
                elapsed: start.elapsed(),
                warnings,
                files: Vec::new(),
                files_read: 0,
                cache_rows_skipped: 0,
                physical: None,
            })),
        }
    }

    /// Run a plan to completion.
    pub fn execute(&self, plan: LogicalPlan) -> Result<(Vec<RecordBatch>, SchemaRef), EngineError> {
        let df = DataFrame::new(self.ctx.state(), plan);
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        let batches = self
            .block_on(df.collect())
            .map_err(|e| EngineError::Exec(e.to_string()))?;
        Ok((batches, schema))
    }

    /// The parsed query, its logical plan and its physical plan, as text.
    pub fn explain(&self, text: &str, range: TimeRange) -> Result<String, EngineError> {
        let parsed = trailhunt_lang::explain(text).map_err(EngineError::Query)?;
        let query = trailhunt_lang::parse_query(text).map_err(EngineError::Query)?;
        self.prepare_scan(&pushdown::hints(&query))?;
        let plan = self.plan(&query, range)?;
        let state = self.ctx.state();
        let optimized = state
            .optimize(&plan)
            .map_err(|e| EngineError::Exec(e.to_string()))?;
        let physical = self
            .block_on(state.create_physical_plan(&optimized))
            .map_err(|e| EngineError::Exec(e.to_string()))?;
        Ok(format!(
            "{parsed}\nlogical plan:\n{}\n\nphysical plan:\n{}",
            optimized.display_indent(),
            displayable(physical.as_ref()).indent(true)
        ))
    }

    /// Run `text` and show the physical plan that ran with each operator's metrics (rows,
    /// time, and the scan's files and bytes per partition).
    pub fn explain_analyze(&self, text: &str, range: TimeRange) -> Result<String, EngineError> {
        let out = self.run(text, range)?;
        let Some(physical) = out.physical else {
            return Err(EngineError::Exec("no plan ran".into()));
        };
        Ok(format!(
            "{} row(s) in {:.3}s\n\nphysical plan with metrics:\n{}",
            out.batches.iter().map(RecordBatch::num_rows).sum::<usize>(),
            out.elapsed.as_secs_f64(),
            datafusion::physical_plan::display::DisplayableExecutionPlan::with_metrics(
                physical.as_ref()
            )
            .indent(true)
        ))
    }
}

/// A DataFusion error as the engine reports it: running out of `limit` (the
/// `--memory-limit`) says what to do.
fn exec_error(limit: Option<usize>, e: datafusion::error::DataFusionError) -> EngineError {
    match (limit, e.find_root()) {
        (Some(limit), datafusion::error::DataFusionError::ResourcesExhausted(why)) => {
            EngineError::Exec(format!(
                "the query needs more memory than --memory-limit allows ({} MiB): raise \
                 it, or narrow the query (a time range, a filter before the sort or \
                 aggregation); {why}",
                limit >> 20
            ))
        }
        _ => EngineError::Exec(e.to_string()),
    }
}

/// The reports of the files a scan read, by name.
fn scan_files(log: &ScanLog) -> Vec<FileReport> {
    let mut files = log.files.lock().unwrap_or_else(|p| p.into_inner()).clone();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// A load report for a streaming engine before any query ran: what is listed (the
/// files' own reports come with each query's output).
fn stream_report(listing: &Listing, window: WindowMode) -> LoadReport {
    LoadReport {
        files_loaded: 0,
        files_skipped: 0,
        files_without_events: 0,
        files_with_warnings: 0,
        records: 0,
        records_without_time: 0,
        files_outside_range: 0,
        records_outside_range: 0,
        bytes: listing.bytes(),
        json_bytes: 0,
        memory_bytes: 0,
        first_event: None,
        last_event: None,
        entities: 0,
        windows: 0,
        window_mode: window,
        seconds: 0.0,
        ignored: listing
            .ignored
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        files: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailhunt_cloudtrail::{Discovered, LoadOptions, discover};
    use trailhunt_source::{Listing, load};

    fn engine() -> (tempfile::TempDir, Engine) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("x.json"),
            r#"{"Records":[
              {"eventTime":"2024-03-01T00:00:00Z","eventName":"GetObject","eventSource":"s3.amazonaws.com",
               "requestParameters":{"bucketName":"reports"}},
              {"eventTime":"2024-03-01T00:01:00Z","eventName":"PutObject","eventSource":"s3.amazonaws.com",
               "errorCode":"AccessDenied","requestParameters":{"bucketName":"reports"}}]}"#,
        )
        .unwrap();
        let found = discover(&[dir.path().to_str().unwrap()]).unwrap();
        let data = load(&Listing::local(&found), &LoadOptions::default(), None).unwrap();
        (dir, Engine::new(data, 1).unwrap())
    }

    #[test]
    fn a_path_no_event_has_is_a_warning_once_with_a_suggestion() {
        let (_d, e) = engine();
        let q = "requestParameters.bucketNam: reports or not requestParameters.bucketNam: * \
                 | eval x = nosuch | table eventName, x";
        let out = e.run(q, TimeRange::default()).unwrap();
        assert_eq!(out.rows(), 2);
        assert_eq!(out.warnings.len(), 2, "{:?}", out.warnings);
        let w = &out.warnings[0];
        assert_eq!(
            w.message,
            "no event has `requestParameters.bucketNam`: a test on it matches nothing"
        );
        assert_eq!(
            w.help.as_deref(),
            Some("did you mean `requestParameters.bucketName`?")
        );
        assert_eq!(&q[w.span.start..w.span.end], "requestParameters.bucketNam");
        assert_eq!(
            out.warnings[1].message,
            "no event has `nosuch`: its value is null in every row"
        );
        let text = render_warnings(q, &out.warnings);
        assert!(text.starts_with("warning: no event has"), "{text}");
        // Fields CloudTrail defines are never warned about: data may lack them.
        let out = e
            .run("errorMessage: x | count", TimeRange::default())
            .unwrap();
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        assert!(e.check("eventName=GetObject").unwrap().is_empty());
        // After an aggregation the columns are known: still an error.
        assert!(
            e.check("* | stats count() by eventName | where nope > 1")
                .is_err()
        );
    }

    const RECORDS: &str = r#"{"Records":[
      {"eventTime":"2024-03-01T00:00:00Z","eventName":"GetObject","eventSource":"s3.amazonaws.com",
       "eventID":"e1","requestParameters":{"bucketName":"reports"}},
      {"eventTime":"2024-03-01T00:01:00Z","eventName":"PutObject","eventSource":"s3.amazonaws.com",
       "eventID":"e2","requestParameters":{"bucketName":"reports"}}]}"#;

    fn memory_engine() -> Engine {
        let found = Discovered::memory("x.json", RECORDS.as_bytes());
        Engine::new(
            load(&Listing::local(&found), &LoadOptions::default(), None).unwrap(),
            2,
        )
        .unwrap()
    }

    /// Every entry point that waits on the engine's runtime, from `async` code: each must
    /// answer instead of panicking with "Cannot start a runtime from within a runtime", and
    /// dropping the engine there must not panic either.
    async fn every_entry_point() {
        let e = memory_engine();
        let r = TimeRange::default();
        assert_eq!(e.run("eventName=GetObject", r).unwrap().rows(), 1);
        assert_eq!(e.run("eventName=Nothing", r).unwrap().rows(), 0);
        let c = CancelToken::new();
        let out = e
            .run_cancellable("requestParameters.bucketName: reports", r, &c)
            .unwrap();
        assert_eq!(out.map(|o| o.rows()), Some(2));
        assert!(e.explain("* | count", r).unwrap().contains("physical plan"));
        drop(e);
    }

    #[test]
    fn usable_inside_a_current_thread_runtime() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(every_entry_point());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn usable_inside_a_multi_thread_runtime() {
        every_entry_point().await;
    }

    #[test]
    fn usable_outside_any_runtime() {
        let e = memory_engine();
        assert_eq!(
            e.run("eventName=PutObject", TimeRange::default())
                .unwrap()
                .rows(),
            1
        );
    }
}
