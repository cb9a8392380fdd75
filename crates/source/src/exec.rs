//! The scan: an `ExecutionPlan` with one partition per core, each decoding its share of
//! the files (spread by size) on a thread of its own and streaming record batches through
//! a small bounded channel, so memory holds a few files in flight, not the data.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{
    BaselineMetrics, Count, ExecutionPlanMetricsSet, MetricBuilder, MetricsSet,
};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning,
    PlanProperties, ReplaceChildrenOptions, SendableRecordBatchStream,
};
use futures::StreamExt;
use trailhunt_cloudtrail::schema::{self, TIMESTAMP};
use trailhunt_cloudtrail::{
    Catalog, DecodeOptions, Decoder, FileReport, Source, schema::TypedLayout, too_large_report,
    unreadable_report,
};

use crate::cache::read::{Columns, PathCounter, Piece, in_range, read_segment, with_source};
use crate::cache::tokens::{Skip, TokenIndex, index_path};
use crate::cache::{Cache, Segment};
use crate::listing::{FileRef, Location};
use crate::order;

/// What a scan found out about its files, shared with whoever started it. The counters
/// add up over every scan that shares the log (a table scanned twice counts its files
/// twice).
#[derive(Debug, Default)]
pub struct ScanLog {
    /// The reports of files with a problem (rejected, or read with warnings), in no
    /// particular order: a trail of millions of files keeps no report per good file.
    pub files: Mutex<Vec<FileReport>>,
    /// Files read (or found unreadable).
    pub files_read: std::sync::atomic::AtomicU64,
    /// Records without a readable time.
    pub records_without_time: std::sync::atomic::AtomicU64,
    /// Records dropped for falling outside the time range.
    pub records_outside_range: std::sync::atomic::AtomicU64,
    /// Files every partition finished (a scan that stopped early finished fewer).
    pub finished_partitions: std::sync::atomic::AtomicUsize,
    /// Keep every file's report in [`ScanLog::files`], not only those with a problem
    /// (a load that reports on every file sets it).
    pub keep_all_reports: bool,
    /// Files that yielded records (or were valid and empty).
    pub files_loaded: std::sync::atomic::AtomicU64,
    /// Files rejected.
    pub files_skipped: std::sync::atomic::AtomicU64,
    /// Digest files and control messages (no events, no error).
    pub files_without_events: std::sync::atomic::AtomicU64,
    /// Files read with warnings.
    pub files_with_warnings: std::sync::atomic::AtomicU64,
    /// Records decoded (before a load's windows restrict them to its time range).
    pub records: std::sync::atomic::AtomicU64,
    /// Bytes read (compressed where the file is).
    pub bytes: std::sync::atomic::AtomicU64,
    /// Bytes of JSON after decompression.
    pub json_bytes: std::sync::atomic::AtomicU64,
    /// Cached rows left unread because the cache's token index says they cannot match.
    pub cache_rows_skipped: std::sync::atomic::AtomicU64,
}

impl ScanLog {
    /// Count `report` in, and keep it when it has a problem (or every report is kept).
    fn record(&self, report: FileReport) {
        use std::sync::atomic::Ordering::Relaxed;
        self.files_read.fetch_add(1, Relaxed);
        let count = |c: &std::sync::atomic::AtomicU64, yes: bool| {
            c.fetch_add(u64::from(yes), Relaxed);
        };
        count(&self.files_loaded, report.loaded());
        count(&self.files_skipped, report.rejected.is_some());
        count(&self.files_without_events, report.holds_no_events());
        count(&self.files_with_warnings, !report.warnings.is_empty());
        self.records.fetch_add(report.records, Relaxed);
        self.bytes.fetch_add(report.bytes, Relaxed);
        self.json_bytes.fetch_add(report.json_bytes, Relaxed);
        if self.keep_all_reports || report.rejected.is_some() || !report.warnings.is_empty() {
            self.files
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(report);
        }
    }
}

impl ScanLog {
    /// Forget the files of an earlier scan (their reports, the count read) before the
    /// same table is scanned again: the new scan reports them anew.
    pub fn reset(&self) {
        self.files.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.files_read
            .store(0, std::sync::atomic::Ordering::Relaxed);
        self.cache_rows_skipped
            .store(0, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What every partition of one scan shares.
struct Scan {
    files: Arc<Vec<FileRef>>,
    /// Columns of the full table schema to give, in order.
    projection: Vec<usize>,
    schema: SchemaRef,
    catalog: Arc<Catalog>,
    layout: TypedLayout,
    decode: DecodeOptions,
    limit: Option<usize>,
    log: Arc<ScanLog>,
}

/// The scan of CloudTrail files.
pub struct CloudTrailExec {
    scan: Arc<Scan>,
    groups: Vec<Vec<usize>>,
    /// Per partition: the cached rows it reads (see [`CloudTrailExec::with_cache`]).
    segments: Vec<Vec<Segment>>,
    /// Per partition: fresh cached sources without rows, with their reports.
    empty: Vec<Vec<(usize, FileReport)>>,
    /// Files the time range ruled out before the scan (for display).
    pruned: usize,
    metrics: ExecutionPlanMetricsSet,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for CloudTrailExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudTrailExec")
            .field("files", &self.scan.files.len())
            .field("partitions", &self.groups.len())
            .finish()
    }
}

/// How many files a partition reads ahead of the one it decodes (their bytes in memory).
const READ_AHEAD: usize = 2;

impl CloudTrailExec {
    /// A scan of `files` in `groups` (one partition each), giving the columns
    /// `projection` of [`crate::table::table_schema`].
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        files: Arc<Vec<FileRef>>,
        groups: Vec<Vec<usize>>,
        projection: Vec<usize>,
        catalog: Arc<Catalog>,
        layout: TypedLayout,
        decode: DecodeOptions,
        limit: Option<usize>,
        pruned: usize,
        log: Arc<ScanLog>,
    ) -> Result<Self> {
        let full = crate::table::table_schema();
        let schema = Arc::new(full.project(&projection)?);
        let groups = if groups.is_empty() {
            vec![Vec::new()]
        } else {
            groups
        };
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(groups.len()),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        let n = groups.len();
        Ok(CloudTrailExec {
            segments: vec![Vec::new(); n],
            empty: vec![Vec::new(); n],
            scan: Arc::new(Scan {
                files,
                projection,
                schema,
                catalog,
                layout,
                decode,
                limit,
                log,
            }),
            groups,
            pruned,
            metrics: ExecutionPlanMetricsSet::new(),
            properties: Arc::new(properties),
        })
    }

    /// What the scan found out about its files.
    pub fn log(&self) -> &Arc<ScanLog> {
        &self.scan.log
    }

    /// Read the sources `cache` holds fresh from its chunks instead of their JSON: they
    /// leave their partitions' files, and the chunk rows are spread over the partitions
    /// in segments of at most [`SEGMENT_ROWS`] rows.
    pub fn with_cache(mut self, cache: Option<&Cache>) -> Self {
        let Some(cache) = cache else {
            return self;
        };
        let mut all = Vec::new();
        for (p, g) in self.groups.iter_mut().enumerate() {
            let split = cache.split(&self.scan.files, g.iter().copied());
            *g = split.raw;
            self.empty[p].extend(split.empty);
            all.extend(split.segments);
        }
        let mut pieces: Vec<Segment> = all
            .into_iter()
            .flat_map(|s| s.split(SEGMENT_ROWS))
            .collect();
        // The biggest first, each to the partition with the fewest cached rows.
        pieces.sort_by_key(|s| std::cmp::Reverse(s.rows()));
        let mut load = vec![0u64; self.groups.len()];
        for s in pieces {
            let p = (0..load.len()).min_by_key(|&p| load[p]).unwrap_or(0);
            load[p] += s.rows();
            self.segments[p].push(s);
        }
        self
    }
}

/// The most rows of one chunk a partition reads as one piece of work.
pub const SEGMENT_ROWS: u64 = 131_072;

impl DisplayAs for CloudTrailExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let files: usize = self.groups.iter().map(Vec::len).sum();
        let cached: usize = self
            .segments
            .iter()
            .flatten()
            .map(|s| s.runs.len())
            .sum::<usize>()
            + self.empty.iter().map(Vec::len).sum::<usize>();
        let bytes: u64 = self
            .groups
            .iter()
            .flatten()
            .map(|&i| self.scan.files[i].size)
            .sum();
        match t {
            DisplayFormatType::TreeRender => write!(f, "files={files}"),
            _ => {
                write!(
                    f,
                    "CloudTrailExec: files={files}, bytes={bytes}, partitions={}",
                    self.groups.len()
                )?;
                if cached > 0 {
                    write!(f, ", cached={cached}")?;
                }
                if self.pruned > 0 {
                    write!(f, ", pruned_by_time={}", self.pruned)?;
                }
                if self.scan.decode.skip_nested {
                    write!(f, ", nested=skipped")?;
                }
                if !self.scan.decode.keep_if.is_empty() {
                    write!(f, ", keep_if={:?}", self.scan.decode.keep_if)?;
                }
                if !self.scan.decode.required_text.is_empty() {
                    write!(f, ", required_text={:?}", self.scan.decode.required_text)?;
                }
                if let Some(l) = self.scan.limit {
                    write!(f, ", limit={l}")?;
                }
                Ok(())
            }
        }
    }
}

impl ExecutionPlan for CloudTrailExec {
    fn name(&self) -> &str {
        "CloudTrailExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        _: Vec<Arc<dyn ExecutionPlan>>,
        _: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let Some(group) = self.groups.get(partition) else {
            return Err(DataFusionError::Internal(format!(
                "CloudTrailExec has no partition {partition}"
            )));
        };
        let baseline = BaselineMetrics::new(&self.metrics, partition);
        let counters = Counters {
            files: MetricBuilder::new(&self.metrics).counter("files_read", partition),
            skipped: MetricBuilder::new(&self.metrics).counter("files_unparsed", partition),
            bytes: MetricBuilder::new(&self.metrics).counter("bytes_read", partition),
            json: MetricBuilder::new(&self.metrics).counter("json_bytes", partition),
        };
        let job = Job {
            scan: self.scan.clone(),
            group: group.clone(),
            segments: self.segments.get(partition).cloned().unwrap_or_default(),
            empty: self.empty.get(partition).cloned().unwrap_or_default(),
            counters,
        };
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<RecordBatch>>(2);
        let handle = tokio::runtime::Handle::try_current().ok();
        std::thread::Builder::new()
            .name(format!("trailhunt-scan-{partition}"))
            .spawn(move || job.run(&tx, handle))
            .map_err(|e| DataFusionError::Execution(format!("cannot start a scan thread: {e}")))?;
        let stream = futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
        .map(move |item| {
            if let Ok(b) = &item {
                baseline.record_output(b.num_rows());
            }
            item
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.scan.schema.clone(),
            stream,
        )))
    }
}

struct Counters {
    files: Count,
    skipped: Count,
    bytes: Count,
    json: Count,
}

struct Job {
    scan: Arc<Scan>,
    group: Vec<usize>,
    segments: Vec<Segment>,
    empty: Vec<(usize, FileReport)>,
    counters: Counters,
}

/// Where a partition's output stands: rows emitted and sent, and the sources of the rows
/// still to be emitted (see [`Job::finish_batch`]).
#[derive(Default)]
struct Emitted {
    /// Row ranges: (first row, source rank), in order.
    spans: VecDeque<(usize, u32)>,
    emitted: usize,
    sent: usize,
}

type Sender = tokio::sync::mpsc::Sender<Result<RecordBatch>>;

/// How reading a cached segment ended.
enum Cached {
    Done,
    /// The query stopped reading, or the limit is reached.
    Stop,
    /// The chunk could not be read from some run on: these files are to be decoded
    /// (and why, for the first one's report).
    Failed(Vec<usize>, String),
}

/// One file's bytes, or why there are none.
enum Fetched {
    Bytes(Vec<u8>),
    Report(FileReport),
}

impl Job {
    fn fetch_local(src: &Source, name: &str, cap: u64) -> Fetched {
        use std::io::Read;
        let limit = cap.saturating_add(1);
        let mut buf = Vec::new();
        let read = match src {
            Source::File(p) => std::fs::File::open(p).and_then(|f| {
                if let Ok(m) = f.metadata() {
                    if m.len() > cap {
                        return Ok(Some(m.len()));
                    }
                    buf.reserve(m.len() as usize);
                }
                f.take(limit).read_to_end(&mut buf).map(|_| None)
            }),
            Source::Stdin => crate::listing::stdin_bytes(cap).map(|b| {
                buf.extend_from_slice(&b);
                None
            }),
            Source::Memory { bytes, .. } => {
                buf.extend_from_slice(bytes);
                Ok(None)
            }
        };
        match read {
            Err(e) => Fetched::Report(unreadable_report(name, e.to_string())),
            Ok(Some(len)) => Fetched::Report(too_large_report(name, len, cap)),
            Ok(None) if buf.len() as u64 > cap => {
                Fetched::Report(too_large_report(name, buf.len() as u64, cap))
            }
            Ok(None) => Fetched::Bytes(buf),
        }
    }

    fn run(self, tx: &Sender, handle: Option<tokio::runtime::Handle>) {
        let cap = match self.scan.decode.max_file_bytes {
            0 => trailhunt_cloudtrail::DEFAULT_MAX_FILE_BYTES,
            n => n,
        };
        let mut out = Emitted::default();
        // Cached sources first; those whose chunk fails are decoded with the rest.
        let mut group = self.group.clone();
        for (i, mut report) in self.empty.iter().cloned() {
            report.path = self.scan.files[i].display.clone();
            self.counters.files.add(1);
            self.scan.log.record(report);
        }
        // Per file decoded because its chunk failed: the warning its report gets.
        let mut fallback: std::collections::HashMap<usize, String> = Default::default();
        for seg in &self.segments {
            match self.read_cached(seg, tx, &mut out) {
                Cached::Done => {}
                Cached::Stop => return,
                Cached::Failed(rest, why) => {
                    if let Some(&first) = rest.first() {
                        let more = match rest.len() - 1 {
                            0 => String::new(),
                            n => format!(" (and {n} more files of that chunk)"),
                        };
                        fallback.insert(
                            first,
                            format!(
                                "read from its JSON, not the cache{more}: {why}; \
                                 `trailhunt index` indexes it again"
                            ),
                        );
                    }
                    group.extend(rest);
                }
            }
        }
        let mut decoder = Decoder::new(
            &self.scan.catalog,
            self.scan.layout.clone(),
            &self.scan.decode,
        );
        let mut ahead: VecDeque<(usize, tokio::task::JoinHandle<Fetched>)> = VecDeque::new();
        let mut next = 0usize;
        loop {
            // Keep a few object reads in flight (local files are read in turn).
            while ahead.len() < READ_AHEAD && next < group.len() {
                let f = &self.scan.files[group[next]];
                if let (Location::Object { store, path }, Some(h)) = (&f.location, &handle) {
                    let object = crate::s3::S3Object {
                        key: path.clone(),
                        size: f.size,
                        display: f.display.clone(),
                        version: None,
                    };
                    let store = store.clone();
                    let task = h.spawn(async move {
                        match crate::s3::fetch(store.as_ref(), &object, cap).await {
                            Ok(b) => Fetched::Bytes(b.to_vec()),
                            Err(e) => {
                                Fetched::Report(unreadable_report(&object.display, e.to_string()))
                            }
                        }
                    });
                    ahead.push_back((next, task));
                    next += 1;
                } else {
                    break;
                }
            }
            let (i, fetched) = if let Some((i, task)) = ahead.pop_front() {
                let Some(h) = &handle else { break };
                let fetched = h.block_on(task).unwrap_or_else(|e| {
                    Fetched::Report(unreadable_report(
                        &self.scan.files[group[i]].display,
                        format!("the read stopped: {e}"),
                    ))
                });
                (i, fetched)
            } else if next < group.len() {
                let f = &self.scan.files[group[next]];
                next += 1;
                let fetched = match &f.location {
                    Location::Local(src) => Self::fetch_local(src, &f.display, cap),
                    Location::Object { .. } => Fetched::Report(unreadable_report(
                        &f.display,
                        "an object store needs an async runtime to read from".into(),
                    )),
                };
                (next - 1, fetched)
            } else {
                break;
            };
            let file = &self.scan.files[group[i]];
            let mut report = match fetched {
                Fetched::Report(r) => r,
                Fetched::Bytes(bytes) => {
                    self.counters.bytes.add(bytes.len());
                    let start = decoder.total_rows() + out.emitted;
                    let r = decoder.decode(&file.display, bytes);
                    if decoder.total_rows() + out.emitted > start {
                        out.spans.push_back((start, file.rank));
                    }
                    r
                }
            };
            if let Some(w) = fallback.remove(&group[i]) {
                report.warnings.insert(0, w);
            }
            self.counters.files.add(1);
            self.counters.json.add(report.json_bytes as usize);
            if report.shape.as_deref() == Some("no-match") {
                self.counters.skipped.add(1);
            }
            self.scan.log.record(report);
            let last = next >= group.len() && ahead.is_empty();
            match decoder.take_batches(last) {
                Ok(batches) => {
                    for b in batches {
                        if !self.emit(b, tx, &mut out) {
                            return;
                        }
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(DataFusionError::ArrowError(Box::new(e), None)));
                    return;
                }
            }
        }
        use std::sync::atomic::Ordering::Relaxed;
        self.scan
            .log
            .records_without_time
            .fetch_add(decoder.records_without_time(), Relaxed);
        self.scan
            .log
            .records_outside_range
            .fetch_add(decoder.records_outside_range(), Relaxed);
        self.scan.log.finished_partitions.fetch_add(1, Relaxed);
    }

    /// Send `b` on (keyed, projected, cut to the limit); false when the scan is done:
    /// the query stopped reading or the limit is reached.
    fn emit(&self, b: RecordBatch, tx: &Sender, out: &mut Emitted) -> bool {
        let n = b.num_rows();
        let batch = self.finish_batch(b, out.emitted, &mut out.spans);
        out.emitted += n;
        let batch = match (batch, self.scan.limit) {
            (Ok(b), Some(l)) if out.sent + b.num_rows() > l => Ok(b.slice(0, l - out.sent)),
            (o, _) => o,
        };
        if let Ok(b) = &batch {
            out.sent += b.num_rows();
        }
        if tx.blocking_send(batch).is_err() {
            return false; // the query stopped reading
        }
        self.scan.limit.is_none_or(|l| out.sent < l)
    }

    /// The rows of `seg`'s chunk its token index says cannot match this scan's query
    /// (whole tokens it lacks, times outside the plan's range), and a warning for the
    /// segment's first file when the index cannot be read (then nothing is skipped).
    fn skippable(&self, seg: &Segment) -> (Vec<std::ops::Range<u64>>, Option<String>) {
        let d = &self.scan.decode;
        let skip = Skip {
            tokens: &d.required_tokens,
            from: d.time_bounds.0,
            until: d.time_bounds.1,
        };
        // An exact range (a load's) counts the rows outside it: read them.
        if !seg.tokens || skip.is_empty() || d.from.is_some() || d.to.is_some() {
            return (Vec::new(), None);
        }
        let (Some(first), Some(last)) = (seg.runs.first(), seg.runs.last()) else {
            return (Vec::new(), None);
        };
        let rows = first.first_row..last.first_row + last.rows;
        let path = index_path(&seg.path);
        match TokenIndex::open(&path, seg.chunk_rows).and_then(|ix| ix.skippable(rows, &skip)) {
            Ok(ranges) => (ranges, None),
            Err(why) => (
                Vec::new(),
                Some(format!(
                    "the cache's token index {} is damaged ({why}): every row of its chunk \
                     was read; `trailhunt index` writes it again",
                    path.display()
                )),
            ),
        }
    }

    /// Read the cached rows of `seg`, each run with its source's report, counting their
    /// paths into the catalog as decoding them would.
    fn read_cached(&self, seg: &Segment, tx: &Sender, out: &mut Emitted) -> Cached {
        use std::sync::atomic::Ordering::Relaxed;
        let d = &self.scan.decode;
        let columns = Columns {
            typed: d.typed_columns.clone(),
            nested: !d.skip_nested,
        };
        let batch_rows = if d.batch_rows == 0 {
            8192
        } else {
            d.batch_rows
        };
        let mut counts = PathCounter::new(&self.scan.catalog, &self.scan.layout);
        let mut result = Cached::Done;
        let (skip, mut note) = self.skippable(seg);
        let skipped: u64 = skip.iter().map(|r| r.end - r.start).sum();
        self.scan.log.cache_rows_skipped.fetch_add(skipped, Relaxed);
        read_segment(seg, &columns, batch_rows, &skip, |piece| match piece {
            Piece::Rows { run, batches } => {
                let file = &self.scan.files[seg.runs[run].file];
                let mut kept = Vec::with_capacity(batches.len());
                let mut outside = 0;
                for b in &batches {
                    let (b, out) = in_range(&with_source(b, &file.display), d.from, d.to);
                    outside += out;
                    if b.num_rows() > 0 {
                        kept.push(b);
                    }
                }
                // The report the file's decoding gave, as this scan's range leaves it.
                let mut report = seg.runs[run].report.clone();
                report.path = file.display.clone();
                if let Some(n) = note.take() {
                    report.warnings.push(n);
                }
                report.records = report.records.saturating_sub(outside);
                self.counters.files.add(1);
                self.counters.bytes.add(file.size as usize);
                self.scan.log.record(report);
                self.scan
                    .log
                    .records_outside_range
                    .fetch_add(outside, Relaxed);
                let mut started = false;
                for b in kept {
                    let untimed = b
                        .column_by_name(TIMESTAMP)
                        .map_or(0, |c| c.null_count() as u64);
                    self.scan
                        .log
                        .records_without_time
                        .fetch_add(untimed, Relaxed);
                    counts.count(&b);
                    if !started {
                        out.spans.push_back((out.emitted, file.rank));
                        started = true;
                    }
                    if !self.emit(b, tx, out) {
                        result = Cached::Stop;
                        return false;
                    }
                }
                true
            }
            Piece::Failed { run, why } => {
                // The rest of the segment is decoded from its JSON.
                let rest: Vec<usize> = seg.runs[run..].iter().map(|r| r.file).collect();
                result = Cached::Failed(rest, why);
                false
            }
        });
        result
    }

    /// Add the order key (when projected) and project `b` (rows `first..` of the
    /// decoder's output).
    fn finish_batch(
        &self,
        b: RecordBatch,
        first: usize,
        spans: &mut VecDeque<(usize, u32)>,
    ) -> Result<RecordBatch> {
        let n = b.num_rows();
        let order_at = b.num_columns();
        let wants_order = self.scan.projection.contains(&order_at);
        let mut columns: Vec<ArrayRef> = b.columns().to_vec();
        if wants_order {
            let ts = b
                .column_by_name(TIMESTAMP)
                .ok_or_else(|| DataFusionError::Internal("no timestamp column".into()))?;
            // Typed columns come first, in `TYPED` order.
            let eid = b
                .columns()
                .get(schema::col::EVENT_ID)
                .ok_or_else(|| DataFusionError::Internal("no eventID column".into()))?
                .as_string::<i32>();
            let spans_now: Vec<(usize, u32)> = spans.iter().copied().collect();
            let place = |r: usize| {
                let row = first + r;
                let k = spans_now.partition_point(|(s, _)| *s <= row).max(1) - 1;
                let (start, rank) = spans_now.get(k).copied().unwrap_or((row, 0));
                (rank, (row - start) as u32)
            };
            columns.push(Arc::new(order::keys(ts, eid, place)));
        }
        // Spans wholly before the next batch are done.
        let end = first + n;
        while spans.len() > 1 && spans[1].0 <= end {
            spans.pop_front();
        }
        let projected: Vec<ArrayRef> = self
            .scan
            .projection
            .iter()
            .map(|&i| columns.get(i).cloned())
            .collect::<Option<_>>()
            .ok_or_else(|| DataFusionError::Internal("projection out of range".into()))?;
        let opts = datafusion::arrow::array::RecordBatchOptions::new().with_row_count(Some(n));
        Ok(RecordBatch::try_new_with_options(
            self.scan.schema.clone(),
            projected,
            &opts,
        )?)
    }
}
