//! Running trailhunt queries on Apache DataFusion, in-process.
//!
//! An [`Engine`] holds one loaded data set (from `trailhunt-cloudtrail`) as a DataFusion
//! table. A query's text is parsed (`trailhunt-lang`), planned into a `LogicalPlan` one
//! step per stage ([`plan::Planner`]), executed, and printed ([`output`]).
//!
//! ```
//! use trailhunt_cloudtrail::{discover, load, LoadOptions};
//! use trailhunt_engine::{Engine, TimeRange};
//! let dir = std::env::temp_dir().join("trailhunt-engine-doc");
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("x.json"), r#"{"Records":[
//!   {"eventTime":"2024-03-01T00:00:00Z","eventName":"GetObject","eventSource":"s3.amazonaws.com",
//!    "requestParameters":{"bucketName":"reports"}}]}"#).unwrap();
//! let data = load(&discover(&[dir.to_str().unwrap()]).unwrap(), &LoadOptions::default(), None).unwrap();
//! let engine = Engine::new(data, 1).unwrap();
//! let out = engine.run("requestParameters.bucketName: reports | count", TimeRange::default()).unwrap();
//! assert_eq!(out.rows(), 1);
//! ```
#![deny(missing_docs)]

mod cancel;
pub mod jsontree;
pub mod matcher;
pub mod order;
pub mod output;
pub mod percentile;
pub mod plan;
pub mod pushdown;
pub mod resolve;
pub mod table;
pub mod udf;
pub mod windows;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::MemTable;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder, lit};
use datafusion::physical_plan::displayable;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};
use datafusion::scalar::ScalarValue;
use trailhunt_cloudtrail::schema::{self, TypedLayout};
use trailhunt_cloudtrail::{Catalog, Dataset, LoadReport};
use trailhunt_lang::{Diagnostics, ParseError, Query, Span};

pub use crate::cancel::CancelToken;
use crate::plan::{Planner, ident};

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

/// A loaded data set, ready for queries.
pub struct Engine {
    ctx: SessionContext,
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
            paths,
            catalog,
            layout,
            report,
            runtime: Some(runtime),
        })
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

    fn scan(&self, range: TimeRange, span: Span) -> Result<LogicalPlanBuilder, EngineError> {
        let provider = self
            .block_on(self.ctx.table_provider(TABLE))
            .map_err(|e| EngineError::Exec(e.to_string()))?;
        let mut b = LogicalPlanBuilder::scan(TABLE, provider_as_source(provider), None)
            .map_err(|e| plan::df_err(span, e))?;
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
        let planner = Planner::new(&self.catalog, &self.layout, &self.paths);
        let scan = self.scan(range, query.span)?;
        let plan = planner.plan(query, scan)?;
        Ok((plan, planner.take_warnings()))
    }

    /// Parse and plan `text` without running it: its warnings, or why it cannot run.
    pub fn check(&self, text: &str) -> Result<Vec<ParseError>, EngineError> {
        let query = trailhunt_lang::parse_query(text).map_err(EngineError::Query)?;
        self.plan_with_warnings(&query, TimeRange::default())
            .map(|(_, w)| w)
    }

    /// Parse, plan and run `text`.
    pub fn run(&self, text: &str, range: TimeRange) -> Result<Output, EngineError> {
        let start = Instant::now();
        let query = trailhunt_lang::parse_query(text).map_err(EngineError::Query)?;
        let (plan, warnings) = self.plan_with_warnings(&query, range)?;
        let (batches, schema) = self.execute(plan)?;
        Ok(Output {
            batches,
            schema,
            elapsed: start.elapsed(),
            warnings,
        })
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailhunt_cloudtrail::{Discovered, LoadOptions, discover, load};

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
        let data = load(&found, &LoadOptions::default(), None).unwrap();
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
        Engine::new(load(&found, &LoadOptions::default(), None).unwrap(), 2).unwrap()
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
