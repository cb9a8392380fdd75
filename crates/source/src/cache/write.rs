//! `trailhunt index`: decode the sources the cache does not hold (or holds stale) with the
//! scan every query uses, write their rows into new chunks, and update the manifest.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use datafusion::arrow::array::{Array, AsArray, RecordBatch, TimestampNanosecondArray};
use datafusion::arrow::datatypes::Int32Type;
use datafusion::execution::TaskContext;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use datafusion::parquet::schema::types::ColumnPath;
use datafusion::physical_plan::ExecutionPlan;
use futures::StreamExt;
use trailhunt_cloudtrail::schema::{self, SOURCE, TIMESTAMP, TypedLayout};
use trailhunt_cloudtrail::{Catalog, DecodeOptions, FileReport, Progress};

use super::read::chunk_schema;
use super::tokens::{TokenWriter, index_name, index_path};
use super::{Cache, CacheError, Chunk, Entry, Manifest, key};
use crate::exec::{CloudTrailExec, ScanLog};
use crate::listing::{FileRef, Listing, spread};

/// What `index` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IndexSummary {
    /// Sources indexed for the first time.
    pub new: u64,
    /// Sources indexed again because they changed.
    pub changed: u64,
    /// Sources whose entry was fresh.
    pub unchanged: u64,
    /// Entries dropped because their file is gone.
    pub removed: u64,
    /// Damaged chunks dropped (their sources were indexed again, counted as new).
    pub repaired: u64,
    /// Sources the cache cannot hold (standard input, memory) or that could not be
    /// read this time (left to be read from their JSON).
    pub not_cached: u64,
    /// Events written.
    pub events: u64,
    /// Bytes of the sources read.
    pub bytes_read: u64,
    /// Bytes of the chunks written.
    pub bytes_written: u64,
    /// Bytes of the whole cache afterwards.
    pub cache_bytes: u64,
    /// The reports of the sources indexed with a problem.
    pub problems: Vec<FileReport>,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// Options of an index run.
#[derive(Debug, Clone, Default)]
pub struct IndexOptions {
    /// Decoding threads, one chunk each (0: one per core).
    pub threads: usize,
    /// The cap on one file's JSON (0: the default).
    pub max_file_bytes: u64,
    /// For a cache on S3 indexed through its local mirror: the objects the bucket holds
    /// (name → size). A chunk is whole when the bucket holds it (and its token index)
    /// with the sizes the manifest says, whether or not the mirror has it.
    pub remote: Option<HashMap<String, u64>>,
    /// `s3://` prefixes the listing holds every object of (listed whole, without a time
    /// range or wildcard): an entry under one that the listing lacks is of an object
    /// that is gone.
    pub listed_prefixes: Vec<String>,
}

/// Rows per row group: pruning granularity for the statistics and bloom filters.
const ROW_GROUP_ROWS: usize = 65_536;

/// The typed columns analysts look up one value of: bloom filters let a lookup skip row
/// groups that cannot hold the value.
const BLOOM_COLUMNS: &[&str] = &[
    "sourceIPAddress",
    "eventID",
    "requestID",
    "userIdentity.arn",
    "userIdentity.accessKeyId",
    "userIdentity.principalId",
];

fn properties() -> WriterProperties {
    let mut p = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Page);
    for c in BLOOM_COLUMNS {
        p = p.set_column_bloom_filter_enabled(ColumnPath::from(*c), true);
    }
    p.build()
}

fn err(message: String) -> CacheError {
    CacheError { message }
}

/// One source's rows as written.
#[derive(Default)]
struct Written {
    first_row: u64,
    rows: u64,
    min_time: Option<i64>,
    max_time: Option<i64>,
}

/// What one partition wrote.
struct PartitionOut {
    chunk: String,
    rows: u64,
    /// The size of the chunk's token index.
    tokens: u64,
    paths: trailhunt_cloudtrail::catalog::PathStats,
    sources: HashMap<String, Written>,
}

/// Bring the cache in `dir` up to date with `listing`: index new and changed sources,
/// drop entries of local files that are gone, delete chunks no entry uses.
pub fn index(
    dir: &Path,
    listing: &Listing,
    options: &IndexOptions,
    progress: Option<&Progress>,
) -> Result<IndexSummary, CacheError> {
    let started = Instant::now();
    std::fs::create_dir_all(dir).map_err(|e| {
        err(format!(
            "{}: cannot create the cache folder: {e}",
            dir.display()
        ))
    })?;
    let mut cache = Cache::open(dir)?;
    let mut summary = IndexSummary::default();
    // A chunk that is not what the manifest says (truncated, rewritten, gone) is dropped
    // with its entries: their sources are indexed again below.
    let broken: Vec<String> = cache
        .manifest()
        .chunks
        .iter()
        .filter(|(name, c)| match &options.remote {
            Some(objects) => {
                objects.get(name.as_str()) != Some(&c.bytes)
                    || (c.tokens > 0 && objects.get(&index_name(name)) != Some(&c.tokens))
            }
            None => !chunk_is_whole(&dir.join(name), c),
        })
        .map(|(name, _)| name.clone())
        .collect();
    if !broken.is_empty() {
        let m = cache.manifest_mut();
        m.sources
            .retain(|_, e| e.chunk.as_ref().is_none_or(|c| !broken.contains(c)));
        for b in &broken {
            m.chunks.remove(b);
        }
        summary.repaired = broken.len() as u64;
    }
    let cache = cache;
    let mut manifest = cache.manifest().clone();

    // What to index.
    let mut todo: Vec<usize> = Vec::new();
    let mut keys: HashMap<usize, String> = HashMap::new();
    for (i, f) in listing.files.iter().enumerate() {
        let (Some(k), Some(_)) = (key(f), f.version.as_ref()) else {
            summary.not_cached += 1;
            continue;
        };
        if cache.fresh(f).is_some() {
            summary.unchanged += 1;
        } else {
            if manifest.sources.contains_key(&k) {
                summary.changed += 1;
            } else {
                summary.new += 1;
            }
            todo.push(i);
        }
        keys.insert(i, k);
    }
    // Local files that are gone, and objects under a prefix listed whole that were not
    // listed.
    let listed: BTreeSet<&str> = keys.values().map(String::as_str).collect();
    let under = |k: &str| {
        options.listed_prefixes.iter().any(|p| {
            let p = p.trim_end_matches('/');
            k == p || k.strip_prefix(p).is_some_and(|rest| rest.starts_with('/'))
        })
    };
    let gone: Vec<String> = manifest
        .sources
        .keys()
        .filter(|k| {
            (k.starts_with('/') && !Path::new(k.as_str()).exists())
                || (under(k) && !listed.contains(k.as_str()))
        })
        .cloned()
        .collect();
    for k in gone {
        manifest.sources.remove(&k);
        summary.removed += 1;
    }

    if !todo.is_empty() {
        let (reports, outs) = write_chunks(dir, listing, &todo, options, progress, &mut summary)?;
        let by_name: HashMap<&str, usize> = todo
            .iter()
            .map(|&i| (listing.files[i].display.as_str(), i))
            .collect();
        let mut placed: HashMap<usize, (String, Written)> = HashMap::new();
        for out in outs {
            if out.rows > 0 {
                let bytes = std::fs::metadata(dir.join(&out.chunk)).map_or(0, |m| m.len());
                summary.bytes_written += bytes + out.tokens;
                manifest.chunks.insert(
                    out.chunk.clone(),
                    Chunk {
                        rows: out.rows,
                        bytes,
                        paths: out.paths.clone(),
                        tokens: out.tokens,
                    },
                );
            }
            for (name, w) in out.sources {
                if let Some(&i) = by_name.get(name.as_str()) {
                    placed.insert(i, (out.chunk.clone(), w));
                }
            }
        }
        for mut report in reports {
            let Some(&i) = by_name.get(report.path.as_str()) else {
                continue;
            };
            let f = &listing.files[i];
            // A file that could not be read this time, or was over the size cap of this
            // run, is not what the file holds: it is read from its JSON next time.
            if matches!(
                report.rejected_kind.as_deref(),
                Some("unreadable") | Some("too-large")
            ) {
                summary.not_cached += 1;
                summary.problems.push(report);
                continue;
            }
            if report.rejected.is_some() || !report.warnings.is_empty() {
                summary.problems.push(report.clone());
            }
            let (chunk, w) = match placed.remove(&i) {
                Some((c, w)) => (Some(c), w),
                None => (None, Written::default()),
            };
            summary.events += w.rows;
            report.path = String::new();
            let (Some(k), Some(version)) = (keys.get(&i), f.version.clone()) else {
                continue;
            };
            manifest.sources.insert(
                k.clone(),
                Entry {
                    size: f.size,
                    version,
                    chunk: chunk.filter(|_| w.rows > 0),
                    first_row: w.first_row,
                    rows: w.rows,
                    min_time: w.min_time,
                    max_time: w.max_time,
                    report,
                },
            );
        }
    }

    // Chunks no entry uses any more.
    let used: BTreeSet<&str> = manifest
        .sources
        .values()
        .filter_map(|e| e.chunk.as_deref())
        .collect();
    let unused: Vec<String> = manifest
        .chunks
        .keys()
        .filter(|c| !used.contains(c.as_str()))
        .cloned()
        .collect();
    for c in &unused {
        manifest.chunks.remove(c);
    }
    Cache::save(dir, &manifest)?;
    // Only once the manifest no longer names them.
    for c in unused {
        let _ = std::fs::remove_file(dir.join(&c));
        let _ = std::fs::remove_file(dir.join(index_name(&c)));
    }
    summary.cache_bytes = manifest.chunks.values().map(|c| c.bytes + c.tokens).sum();
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// The reports of the sources decoded, and what each partition wrote.
type Decoded = (Vec<FileReport>, Vec<PartitionOut>);

/// Decode `todo` (indices into `listing.files`) with one partition per thread, each
/// writing one chunk.
fn write_chunks(
    dir: &Path,
    listing: &Listing,
    todo: &[usize],
    options: &IndexOptions,
    progress: Option<&Progress>,
    summary: &mut IndexSummary,
) -> Result<Decoded, CacheError> {
    let catalog = Arc::new(Catalog::new());
    let layout = TypedLayout::register(&catalog);
    let files: Arc<Vec<FileRef>> = Arc::new(listing.files.clone());
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(todo.len().max(1));
    let groups = spread(&files, todo, threads);
    if let Some(p) = progress {
        p.total_files.store(todo.len() as u64, Relaxed);
    }
    let decode = DecodeOptions {
        max_file_bytes: options.max_file_bytes,
        ..DecodeOptions::default()
    };
    let log = Arc::new(ScanLog {
        keep_all_reports: true,
        ..ScanLog::default()
    });
    let projection: Vec<usize> = (0..schema::load_schema().fields().len()).collect();
    let exec = CloudTrailExec::new(
        files,
        groups,
        projection,
        catalog,
        layout,
        decode,
        None,
        0,
        log.clone(),
    )
    .map_err(|e| err(format!("cannot start the scan: {e}")))?;
    let exec = Arc::new(exec);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| err(format!("cannot start the I/O threads: {e}")))?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let partitions = exec.properties().output_partitioning().partition_count();
    let show = |p: &Progress| {
        p.files.store(log.files_read.load(Relaxed), Relaxed);
        p.records.store(log.records.load(Relaxed), Relaxed);
        p.bytes.store(log.bytes.load(Relaxed), Relaxed);
    };
    let outs: Result<Vec<PartitionOut>, CacheError> = runtime.block_on(async {
        let mut tasks = Vec::new();
        for p in 0..partitions {
            let exec = exec.clone();
            let chunk = format!("chunk-{stamp}-{}-{p}.parquet", std::process::id());
            let path = dir.join(&chunk);
            let handle = tokio::runtime::Handle::current();
            tasks.push(tokio::task::spawn_blocking(move || {
                write_partition(&exec, p, &path, chunk, &handle)
            }));
        }
        let mut all = Vec::new();
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
        let mut pending = futures::future::join_all(tasks);
        let joined = loop {
            tokio::select! {
                j = &mut pending => break j,
                _ = tick.tick() => if let Some(p) = progress { show(p) },
            }
        };
        for j in joined {
            all.push(j.map_err(|e| err(format!("an index thread stopped: {e}")))??);
        }
        Ok(all)
    });
    runtime.shutdown_background();
    if let Some(p) = progress {
        show(p);
    }
    let outs = outs?;
    summary.bytes_read = log.bytes.load(Relaxed);
    let reports = std::mem::take(&mut *log.files.lock().unwrap_or_else(|p| p.into_inner()));
    Ok((reports, outs))
}

/// Write partition `p`'s rows to the chunk at `path`, noting each source's run.
fn write_partition(
    exec: &CloudTrailExec,
    p: usize,
    path: &Path,
    chunk: String,
    handle: &tokio::runtime::Handle,
) -> Result<PartitionOut, CacheError> {
    let tokens_path = index_path(path);
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        let _ = std::fs::remove_file(path);
        let _ = std::fs::remove_file(&tokens_path);
        err(format!("{}: cannot {what}: {e}", path.display()))
    };
    let mut tokens = TokenWriter::new();
    let mut stream = exec
        .execute(p, Arc::new(TaskContext::default()))
        .map_err(|e| fail("start the scan", &e))?;
    let mut writer: Option<ArrowWriter<File>> = None;
    let mut sources: HashMap<String, Written> = HashMap::new();
    // The chunk's own path statistics, counted as a scan reading it counts them.
    let paths = Catalog::new();
    let layout = TypedLayout::register(&paths);
    let mut counter = super::read::PathCounter::new(&paths, &layout);
    let mut rows = 0u64;
    let schema = chunk_schema();
    let source_at = schema::load_schema()
        .index_of(SOURCE)
        .map_err(|e| fail("find the source column", &e))?;
    while let Some(b) = handle.block_on(stream.next()) {
        let b = b.map_err(|e| fail("decode", &e))?;
        if b.num_rows() == 0 {
            continue;
        }
        note_sources(&b, source_at, rows, &mut sources);
        counter.count(&b);
        let mut columns = b.columns().to_vec();
        columns.remove(source_at);
        let out = RecordBatch::try_new(schema.clone(), columns)
            .map_err(|e| fail("shape the rows", &e))?;
        tokens.add(&out, rows);
        let w = match &mut writer {
            Some(w) => w,
            None => {
                let file = File::create(path).map_err(|e| fail("create it", &e))?;
                writer.insert(
                    ArrowWriter::try_new(file, schema.clone(), Some(properties()))
                        .map_err(|e| fail("start writing", &e))?,
                )
            }
        };
        w.write(&out).map_err(|e| fail("write", &e))?;
        rows += b.num_rows() as u64;
    }
    let mut token_bytes = 0;
    if let Some(w) = writer {
        w.close().map_err(|e| fail("finish writing", &e))?;
        token_bytes = tokens
            .finish(&tokens_path)
            .map_err(|e| fail("write its token index", &e))?;
    }
    drop(counter);
    Ok(PartitionOut {
        chunk,
        rows,
        tokens: token_bytes,
        paths: paths.stats(),
        sources,
    })
}

/// Does the chunk at `path` have the size the manifest recorded and a footer that reads
/// with as many rows?
fn chunk_is_whole(path: &Path, c: &Chunk) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    if file.metadata().map_or(true, |m| m.len() != c.bytes) {
        return false;
    }
    if c.tokens > 0 {
        let tokens = index_path(path);
        if std::fs::metadata(&tokens).map_or(true, |m| m.len() != c.tokens)
            || super::tokens::TokenIndex::open(&tokens, c.rows).is_err()
        {
            return false;
        }
    }
    match datafusion::parquet::file::reader::SerializedFileReader::new(file) {
        Ok(r) => {
            use datafusion::parquet::file::reader::FileReader;
            r.metadata().file_metadata().num_rows() as u64 == c.rows
        }
        Err(_) => false,
    }
}

/// Each row's source (from the source column), as runs starting at `base`.
fn note_sources(
    b: &RecordBatch,
    source_at: usize,
    base: u64,
    sources: &mut HashMap<String, Written>,
) {
    let dict = b.column(source_at).as_dictionary::<Int32Type>();
    let names = dict.values().as_string::<i32>();
    let keys = dict.keys();
    let ts = b
        .column_by_name(TIMESTAMP)
        .and_then(|c| c.as_any().downcast_ref::<TimestampNanosecondArray>());
    for r in 0..b.num_rows() {
        let name = names.value(keys.value(r) as usize);
        let w = sources.entry(name.to_string()).or_insert_with(|| Written {
            first_row: base + r as u64,
            ..Written::default()
        });
        w.rows += 1;
        if let Some(ts) = ts
            && ts.is_valid(r)
        {
            let t = ts.value(r);
            w.min_time = Some(w.min_time.map_or(t, |m| m.min(t)));
            w.max_time = Some(w.max_time.map_or(t, |m| m.max(t)));
        }
    }
}

/// The manifest as it would be after dropping nothing: for `--status`.
pub fn status(cache: &Cache, listing: &Listing) -> Status {
    let mut s = Status::default();
    for f in &listing.files {
        match key(f) {
            None => s.not_cacheable += 1,
            Some(k) => match (cache.fresh(f), cache.manifest().sources.contains_key(&k)) {
                (Some(e), _) => {
                    s.fresh += 1;
                    s.fresh_events += e.rows;
                }
                (None, true) => s.stale.push(f.display.clone()),
                (None, false) => s.missing.push(f.display.clone()),
            },
        }
    }
    let m: &Manifest = cache.manifest();
    s.entries = m.sources.len() as u64;
    s.chunks = m.chunks.len() as u64;
    s.cache_bytes = m.chunks.values().map(|c| c.bytes).sum();
    s.gone = m
        .sources
        .keys()
        .filter(|k| k.starts_with('/') && !Path::new(k.as_str()).exists())
        .cloned()
        .collect();
    s
}

/// What a cache holds of a listing.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Status {
    /// Listed sources with a fresh entry.
    pub fresh: u64,
    /// Their events.
    pub fresh_events: u64,
    /// Listed sources whose entry is stale (changed since indexed).
    pub stale: Vec<String>,
    /// Listed sources not in the cache.
    pub missing: Vec<String>,
    /// Listed sources no cache can hold (standard input).
    pub not_cacheable: u64,
    /// Entries of local files that are gone.
    pub gone: Vec<String>,
    /// Entries in the manifest.
    pub entries: u64,
    /// Chunk files.
    pub chunks: u64,
    /// Bytes of the chunks.
    pub cache_bytes: u64,
}
