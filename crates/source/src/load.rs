//! Loading into memory through the data source: the REPL, `detect`, `hunt`, `load` and
//! rule tests hold their events in memory, and read them with the same scan as a
//! streaming query ([`CloudTrailExec`], every partition, nested values kept), so local
//! files, stdin and S3 objects load alike.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::ExecutionPlan;
use futures::StreamExt;
use trailhunt_cloudtrail::schema::{self, TypedLayout};
use trailhunt_cloudtrail::{
    Catalog, Dataset, DecodeOptions, FileReport, LoadError, LoadOptions, Progress, Scanned, Source,
    assemble,
};

use crate::exec::{CloudTrailExec, ScanLog};
use crate::listing::{FileRef, Listing, Location, may_hold_from, spread};

/// Load every file of `listing` into memory, then cut per-entity windows.
///
/// The files are read by a [`CloudTrailExec`] with `opts.threads` partitions (0: one per
/// core), spread by size. Without windows, the time range prunes files by their delivery
/// name and drops events outside it as they decode, and files without
/// `opts.required_text` are not parsed. With windows (a window is cut over the entity's
/// whole history, LANGUAGE.md §5), every file is read, windows are cut, and only then is
/// what falls outside the range left out ([`trailhunt_cloudtrail::assemble`]).
///
/// `progress`, when given, counts files, records and bytes as the scan goes. Bad files
/// only produce reports; the load fails when standard input cannot be read or a
/// decoding thread fails.
pub fn load(
    listing: &Listing,
    opts: &LoadOptions,
    progress: Option<&Progress>,
) -> Result<Dataset, LoadError> {
    let started = Instant::now();
    let catalog = Arc::new(Catalog::new());
    let layout = TypedLayout::register(&catalog);
    let windows = !opts.skip_windows;
    let files: Arc<Vec<FileRef>> = Arc::new(listing.files.clone());
    let prune_from = opts.from.filter(|_| !windows);
    let kept: Vec<usize> = (0..files.len())
        .filter(|&i| prune_from.is_none_or(|from| may_hold_from(&files[i], from)))
        .collect();
    let pruned = files.len() - kept.len();
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(kept.len().max(1));
    let groups = spread(&files, &kept, threads);
    if let Some(p) = progress {
        p.total_files.store(kept.len() as u64, Relaxed);
    }
    let decode = DecodeOptions {
        skip_nested: opts.skip_nested,
        from: if windows { None } else { opts.from },
        to: if windows { None } else { opts.to },
        required_text: opts.required_text.clone(),
        required_any: Vec::new(),
        max_file_bytes: opts.max_file_bytes,
        batch_bytes: opts.batch_bytes,
        batch_rows: 0,
        read_for_windows: windows,
        typed_columns: None,
        keep_if: Vec::new(),
        required_tokens: Vec::new(),
        time_bounds: (None, None),
    };
    let log = Arc::new(ScanLog {
        keep_all_reports: true,
        ..ScanLog::default()
    });
    let projection: Vec<usize> = (0..schema::load_schema().fields().len()).collect();
    let exec = CloudTrailExec::new(
        files.clone(),
        groups,
        projection,
        catalog.clone(),
        layout.clone(),
        decode,
        None,
        pruned,
        log.clone(),
    )
    .map_err(scan_error)?
    .with_cache(listing.cache.as_deref());
    let batches = run(&exec, &log, progress)?;
    let partitions = exec.properties().output_partitioning().partition_count();
    if log.finished_partitions.load(Relaxed) < partitions {
        return Err(LoadError::Scan(
            "a decoding thread stopped before reading all its files".into(),
        ));
    }
    let mut reports = std::mem::take(&mut *log.files.lock().unwrap_or_else(|p| p.into_inner()));
    // In input order.
    let input: HashMap<&str, u32> = files
        .iter()
        .map(|f| (f.display.as_str(), f.input))
        .collect();
    reports.sort_by_key(|r| input.get(r.path.as_str()).copied().unwrap_or(u32::MAX));
    stdin_failure(&files, &reports)?;
    let scanned = Scanned {
        batches,
        files: reports,
        ignored: listing.ignored.clone(),
        catalog,
        layout,
        records_without_time: log.records_without_time.load(Relaxed),
        records_outside_range: log.records_outside_range.load(Relaxed),
        files_outside_range: pruned as u64,
        started,
    };
    Ok(assemble(scanned, opts)?)
}

fn scan_error(e: DataFusionError) -> LoadError {
    match e {
        DataFusionError::ArrowError(e, _) => LoadError::Arrow(*e),
        e => LoadError::Scan(e.to_string()),
    }
}

/// Standard input that could not be read fails the load (a file only gets a report).
fn stdin_failure(files: &[FileRef], reports: &[FileReport]) -> Result<(), LoadError> {
    let stdin: Vec<&str> = files
        .iter()
        .filter(|f| matches!(f.location, Location::Local(Source::Stdin)))
        .map(|f| f.display.as_str())
        .collect();
    match reports.iter().find(|r| {
        stdin.contains(&r.path.as_str()) && r.rejected_kind.as_deref() == Some("unreadable")
    }) {
        Some(r) => Err(LoadError::Stdin(std::io::Error::other(
            r.rejected.clone().unwrap_or_default(),
        ))),
        None => Ok(()),
    }
}

/// Execute every partition of `exec` at once and keep what they give, counting the
/// scan's progress into `progress` as it goes.
fn run(
    exec: &CloudTrailExec,
    log: &ScanLog,
    progress: Option<&Progress>,
) -> Result<Vec<RecordBatch>, LoadError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| LoadError::Scan(format!("cannot start the I/O threads: {e}")))?;
    let show = |p: &Progress| {
        p.files.store(log.files_read.load(Relaxed), Relaxed);
        p.records.store(log.records.load(Relaxed), Relaxed);
        p.bytes.store(log.bytes.load(Relaxed), Relaxed);
    };
    let drain = async {
        let context = Arc::new(TaskContext::default());
        let partitions = exec.properties().output_partitioning().partition_count();
        let mut streams = Vec::with_capacity(partitions);
        for p in 0..partitions {
            streams.push(exec.execute(p, context.clone()).map_err(scan_error)?);
        }
        let mut all = futures::stream::select_all(streams);
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        let mut batches = Vec::new();
        loop {
            tokio::select! {
                next = all.next() => match next {
                    Some(b) => batches.push(b.map_err(scan_error)?),
                    None => break,
                },
                _ = tick.tick() => {
                    if let Some(p) = progress {
                        show(p);
                    }
                }
            }
        }
        if let Some(p) = progress {
            show(p);
        }
        Ok(batches)
    };
    // A caller inside a runtime cannot block on another one in its own thread.
    let result = if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| {
            s.spawn(|| runtime.block_on(drain))
                .join()
                .unwrap_or_else(|_| Err(LoadError::Scan("the scan stopped".into())))
        })
    } else {
        runtime.block_on(drain)
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        runtime.shutdown_background();
    }
    result
}
