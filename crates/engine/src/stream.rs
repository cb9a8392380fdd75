//! Query results as a stream of record batches ([`Engine::stream_query`]).
//!
//! A streaming engine plans a query before its scan and, when the scan taught it paths
//! that change the plan, again after it (see [`Engine::run_query`]). Rows already given
//! to a printer cannot be taken back, so a query streams straight from its scan only
//! when its first plan is its last:
//!
//! - the query names no column path and no free text (`*`, `* | count`, `* | head 5`):
//!   nothing in its plan resolves against the paths the data has;
//! - and its rows need no windows filled after the scan, or they are every event of the
//!   input in event order (`*` without a time range), whose windows [`InOrder`] cuts as
//!   the rows pass.
//!
//! Any other query runs as [`Engine::run_query`] runs it (collected, replanned when the
//! data asks), and its stream gives the collected batches.
//!
//! [`InOrder`]: crate::winfill::InOrder

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::memory::MemoryStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use trailhunt_cloudtrail::FileReport;
use trailhunt_lang::ast::FilterKind;
use trailhunt_lang::{ParseError, Query};
use trailhunt_source::ScanLog;

use crate::{Engine, EngineError, Output, TimeRange, pushdown};

/// What a scan reports about its files once its stream has ended.
#[derive(Debug, Clone)]
pub struct ScanHandle(Scan);

#[derive(Debug, Clone)]
enum Scan {
    /// An engine over loaded data reads no files.
    None,
    /// A scan running (or run) as the stream is read.
    Live(Arc<ScanLog>),
    /// A scan that ran before the stream was made.
    Done(Vec<FileReport>, u64),
}

impl ScanHandle {
    /// The files the scan found a problem in (rejected, or read with warnings), by
    /// name: complete once the stream has ended.
    pub fn files(&self) -> Vec<FileReport> {
        match &self.0 {
            Scan::None => Vec::new(),
            Scan::Live(log) => crate::scan_files(log),
            Scan::Done(files, _) => files.clone(),
        }
    }

    /// Files the scan read so far.
    pub fn files_read(&self) -> u64 {
        match &self.0 {
            Scan::None => 0,
            Scan::Live(log) => log.files_read.load(std::sync::atomic::Ordering::Relaxed),
            Scan::Done(_, n) => *n,
        }
    }
}

/// A query's rows as they come: the schema, the batches, what planning warned about,
/// and a handle on the scan's file reports.
pub struct QueryStream {
    /// The rows' schema.
    pub schema: SchemaRef,
    /// The rows. Dropping the stream stops the scan.
    pub batches: SendableRecordBatchStream,
    /// What the query named that no event has (see [`Output::warnings`]).
    pub warnings: Vec<ParseError>,
    /// True when rows come as the scan reads; false when the query ran to the end
    /// before its stream was made (see the module documentation for when).
    pub streamed: bool,
    /// The scan's file reports.
    pub scan: ScanHandle,
    runtime: tokio::runtime::Handle,
    engine_error: Arc<dyn Fn(datafusion::error::DataFusionError) -> EngineError + Send + Sync>,
}

impl std::fmt::Debug for QueryStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryStream")
            .field("schema", &self.schema)
            .field("streamed", &self.streamed)
            .finish()
    }
}

impl QueryStream {
    /// The next batch, waiting for it on the engine's worker threads; `None` at the end.
    /// For code outside any async runtime (the CLI); async code polls
    /// [`QueryStream::batches`] instead.
    pub fn next_batch(&mut self) -> Option<Result<RecordBatch, EngineError>> {
        use futures::StreamExt;
        let next = if tokio::runtime::Handle::try_current().is_ok() {
            let (rt, batches) = (&self.runtime, &mut self.batches);
            std::thread::scope(|s| {
                s.spawn(|| rt.block_on(batches.next()))
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
        } else {
            self.runtime.block_on(self.batches.next())
        };
        next.map(|r| r.map_err(|e| (self.engine_error)(e)))
    }
}

impl Iterator for QueryStream {
    type Item = Result<RecordBatch, EngineError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_batch()
    }
}

/// Can `query` stream straight from its scan (the module documentation says when)?
/// `Some(fill)` when it can, `fill` when its windows are cut as the rows pass.
fn direct(query: &Query, range: TimeRange, hints: &pushdown::LoadHints) -> Option<bool> {
    if hints.names_paths || !matches!(query.filter.kind, FilterKind::MatchAll) {
        return None;
    }
    if !hints.needs_windows || hints.reads_windows {
        return Some(false);
    }
    (query.stages.is_empty() && range == TimeRange::default()).then_some(true)
}

impl Engine {
    fn runtime_handle(&self) -> tokio::runtime::Handle {
        match &self.runtime {
            Some(rt) => rt.handle().clone(),
            None => unreachable!("the runtime lives as long as the engine"),
        }
    }

    fn error_fn(
        &self,
    ) -> Arc<dyn Fn(datafusion::error::DataFusionError) -> EngineError + Send + Sync> {
        let limit = self.stream.as_ref().and_then(|s| s.options.memory_limit);
        Arc::new(move |e| crate::exec_error(limit, e))
    }

    /// Plan a parsed query and return its rows as a stream (see the module
    /// documentation of `stream` for when the rows come as the scan reads, and when
    /// the query runs to the end first). Rows, their order and their values are those
    /// of [`Engine::run_query`].
    pub fn stream_query(
        &self,
        query: &Query,
        range: TimeRange,
    ) -> Result<QueryStream, EngineError> {
        let hints = pushdown::hints(query);
        let fill = match (&self.stream, direct(query, range, &hints)) {
            (None, _) => false,
            (Some(_), Some(fill)) => fill,
            (Some(_), None) => return Ok(self.collected(self.run_query(query, range)?)),
        };
        let log = self.prepare_scan(&hints)?;
        let (plan, warnings) = self.plan_for(query, range, &hints)?;
        let (mut schema, mut batches) = self.stream_plan(plan)?;
        if fill && let Some(stream) = &self.stream {
            let mut cut = crate::winfill::InOrder::new(schema.clone(), stream.options.window);
            schema = cut.schema();
            use futures::StreamExt;
            let filled = batches.map(move |b| b.and_then(|b| cut.fill(b)));
            batches = Box::pin(RecordBatchStreamAdapter::new(schema.clone(), filled));
        }
        Ok(QueryStream {
            schema,
            batches,
            warnings,
            streamed: true,
            scan: ScanHandle(log.map_or(Scan::None, Scan::Live)),
            runtime: self.runtime_handle(),
            engine_error: self.error_fn(),
        })
    }

    /// Like [`Engine::stream_query`], but the query always runs to the end first (its
    /// file reports are complete before the first row: `--strict` needs them).
    pub fn stream_collected(
        &self,
        query: &Query,
        range: TimeRange,
    ) -> Result<QueryStream, EngineError> {
        Ok(self.collected(self.run_query(query, range)?))
    }

    /// Start running `plan`: its output schema and its rows as they come (one stream,
    /// the partitions merged). Poll the stream inside the engine's runtime, or use
    /// [`Engine::stream_query`]'s [`QueryStream::next_batch`].
    pub fn stream_plan(
        &self,
        plan: datafusion::logical_expr::LogicalPlan,
    ) -> Result<(SchemaRef, SendableRecordBatchStream), EngineError> {
        let schema: SchemaRef = Arc::new(plan.schema().as_arrow().clone());
        let state = self.ctx.state();
        let task = self.ctx.task_ctx();
        let stream = self
            .block_on(async {
                let physical = state.create_physical_plan(&plan).await?;
                datafusion::physical_plan::execute_stream(physical, task)
            })
            .map_err(|e| self.exec_error(e))?;
        Ok((schema, stream))
    }

    /// A stream over an output already collected.
    fn collected(&self, out: Output) -> QueryStream {
        let schema = out.schema.clone();
        let batches: SendableRecordBatchStream =
            match MemoryStream::try_new(out.batches, schema.clone(), None) {
                Ok(s) => Box::pin(s),
                Err(e) => Box::pin(RecordBatchStreamAdapter::new(
                    schema.clone(),
                    futures::stream::once(async move { Err(e) }),
                )),
            };
        QueryStream {
            schema,
            batches,
            warnings: out.warnings,
            streamed: false,
            scan: ScanHandle(Scan::Done(out.files, out.files_read)),
            runtime: self.runtime_handle(),
            engine_error: self.error_fn(),
        }
    }
}
