//! Loading many files in parallel into Arrow batches, with a report of what happened.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::TimestampNanosecondType;
use datafusion::arrow::error::ArrowError;
use serde::Serialize;

use crate::builder::Builder;
use crate::catalog::{Catalog, LocalCatalog};
use crate::decode::{Inflated, gunzip_limited, is_gzip};
use crate::envelope::{Ctx, Rejection, Shape, parse_file};
use crate::schema::{TIMESTAMP, TypedLayout};
use crate::window::{self, WindowMode, WindowStats};

/// Rows per batch the loader aims for.
const BATCH_ROWS: usize = 16 * 1024;

/// The default cap on one file's JSON (after decompression): 4 GiB.
///
/// CloudTrail's own S3 objects are a few MB (one per region every ~5 minutes), and the
/// largest genuine inputs are exports (NDJSON of a whole trail) that people split long
/// before 4 GiB, so nothing real comes near it; a gzip bomb (deflate expands up to
/// ~1032×, so 4 MB of gzip can claim 4 GiB) stops there instead of filling the memory.
/// At 4 GiB one file still fits in memory next to its Arrow arrays on an ordinary
/// 16 GB machine. `--max-file-size` raises or lowers it.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 4 << 30;

/// How to load (`trailhunt_source::load` reads the files).
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Decoding threads (partitions of the scan); 0 means one per core.
    pub threads: usize,
    /// How events are cut into per-entity windows.
    pub window: WindowMode,
    /// Load only events at or after this time (UTC nanoseconds).
    pub from: Option<i64>,
    /// Load only events before this time (UTC nanoseconds).
    pub to: Option<i64>,
    /// Store no nested values, only the typed columns (for a query that reads nothing
    /// else: nested objects are parsed past, not kept).
    pub skip_nested: bool,
    /// Leave `window_id`/`window_index` null (for a query that reads neither).
    pub skip_windows: bool,
    /// Text every record a query can match contains (ASCII case-insensitively): a file
    /// holding none of one of them is not parsed. Use only with literals that JSON writes
    /// verbatim; a file with `\u` escapes is always parsed.
    pub required_text: Vec<String>,
    /// The most bytes of JSON one file may hold after decompression; a file over it is
    /// skipped with a rejection naming the cap. 0 means [`DEFAULT_MAX_FILE_BYTES`].
    pub max_file_bytes: u64,
    /// Buffered bytes after which a loader thread seals a batch, even in the middle of a
    /// file. 0 means the default (64 MiB); tests lower it.
    pub batch_bytes: usize,
}

impl LoadOptions {
    /// The cap on one file's JSON, with 0 read as the default.
    pub fn file_cap(&self) -> u64 {
        match self.max_file_bytes {
            0 => DEFAULT_MAX_FILE_BYTES,
            n => n,
        }
    }
}

/// Live counters a caller may poll from another thread (for a progress bar).
#[derive(Debug, Default)]
pub struct Progress {
    /// Files finished.
    pub files: AtomicU64,
    /// Records loaded so far.
    pub records: AtomicU64,
    /// Bytes read from disk (compressed where the file is).
    pub bytes: AtomicU64,
    /// Files to read in all.
    pub total_files: AtomicU64,
}

/// What happened to one file.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct FileReport {
    /// The file.
    pub path: String,
    /// What it held (absent when rejected before its shape was known).
    pub shape: Option<String>,
    /// Records loaded from it.
    pub records: u64,
    /// Bytes on disk.
    pub bytes: u64,
    /// Bytes of JSON after decompression.
    pub json_bytes: u64,
    /// Why it was not loaded, when it was not.
    pub rejected: Option<String>,
    /// The reason's short name (`invalid-json`, `not-json`…).
    pub rejected_kind: Option<String>,
    /// Problems met while loading it (the rest of the file still loaded).
    pub warnings: Vec<String>,
}

impl FileReport {
    /// True for digest files and CloudWatch control messages: no events, and no error.
    pub fn holds_no_events(&self) -> bool {
        matches!(
            self.shape.as_deref(),
            Some("digest") | Some("control-message")
        )
    }

    /// True when the file was loaded (possibly with warnings).
    pub fn loaded(&self) -> bool {
        self.rejected.is_none() && !self.holds_no_events()
    }
}

/// The summary of a load.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// Files that yielded records (or were valid and empty).
    pub files_loaded: u64,
    /// Files rejected (each with its reason in `files`).
    pub files_skipped: u64,
    /// Digest files and control messages: skipped because they hold no events.
    pub files_without_events: u64,
    /// Files loaded with warnings (some of their content was dropped).
    pub files_with_warnings: u64,
    /// Records loaded.
    pub records: u64,
    /// Records whose `eventTime` was missing or unparseable (loaded with a null timestamp).
    pub records_without_time: u64,
    /// Files not read because their S3 delivery name says every event in them is older
    /// than the time range asked for.
    pub files_outside_range: u64,
    /// Records read but dropped for falling outside the time range asked for.
    pub records_outside_range: u64,
    /// Bytes read from disk.
    pub bytes: u64,
    /// Bytes of JSON after decompression.
    pub json_bytes: u64,
    /// Bytes the loaded Arrow arrays take in memory.
    pub memory_bytes: u64,
    /// Earliest and latest event time (RFC 3339).
    pub first_event: Option<String>,
    /// Latest event time.
    pub last_event: Option<String>,
    /// Distinct entities.
    pub entities: u64,
    /// Windows over all entities.
    pub windows: u64,
    /// The window mode used.
    pub window_mode: WindowMode,
    /// Wall time of the load, in seconds.
    pub seconds: f64,
    /// Files plainly not logs that directory walks passed over.
    pub ignored: Vec<String>,
    /// Per-file detail, in input order.
    pub files: Vec<FileReport>,
}

impl LoadReport {
    /// Files that were rejected or loaded with warnings.
    pub fn problems(&self) -> impl Iterator<Item = &FileReport> {
        self.files
            .iter()
            .filter(|f| f.rejected.is_some() || !f.warnings.is_empty())
    }
}

/// A loaded data set: the batches, the catalog of nested paths, and the report.
#[derive(Debug)]
pub struct Dataset {
    /// Record batches in [`crate::schema::table_schema`].
    pub batches: Vec<RecordBatch>,
    /// Paths seen in the data.
    pub catalog: Arc<Catalog>,
    /// Where typed columns sit in the catalog.
    pub layout: TypedLayout,
    /// What the load did.
    pub report: LoadReport,
}

/// A failure that stops a load as a whole (bad input files only produce reports).
#[derive(Debug)]
pub enum LoadError {
    /// Building Arrow arrays failed.
    Arrow(ArrowError),
    /// Standard input could not be read.
    Stdin(std::io::Error),
    /// The scan stopped (a decoding thread could not start, or failed).
    Scan(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Arrow(e) => write!(f, "building record batches failed: {e}"),
            LoadError::Stdin(e) => write!(f, "cannot read standard input: {e}"),
            LoadError::Scan(e) => write!(f, "reading the files failed: {e}"),
        }
    }
}

impl std::error::Error for LoadError {}

impl From<ArrowError> for LoadError {
    fn from(e: ArrowError) -> Self {
        LoadError::Arrow(e)
    }
}

struct Worker<'c> {
    cat: LocalCatalog<'c>,
    b: Builder,
    raw: Vec<u8>,
    json: Vec<u8>,
    required: Vec<regex::bytes::Regex>,
    /// One of these must occur, when set.
    any: Option<regex::bytes::Regex>,
    /// Files holding none of the required text are still read, for windows only (their
    /// records are dropped once windows are cut).
    read_for_windows: bool,
    cap: u64,
}

fn empty_report(name: &str) -> FileReport {
    FileReport {
        path: name.to_string(),
        shape: None,
        records: 0,
        bytes: 0,
        json_bytes: 0,
        rejected: None,
        rejected_kind: None,
        warnings: Vec::new(),
    }
}

fn reject(report: &mut FileReport, r: Rejection) {
    report.rejected_kind = Some(r.kind().to_string());
    report.rejected = Some(r.to_string());
}

/// A report for a file that could not be read at all (`why` says what happened).
pub fn unreadable_report(name: &str, why: String) -> FileReport {
    let mut report = empty_report(name);
    reject(&mut report, Rejection::Unreadable(why));
    report
}

/// A report for a file over the size cap, before it was read.
pub fn too_large_report(name: &str, bytes: u64, cap: u64) -> FileReport {
    let mut report = empty_report(name);
    report.bytes = bytes;
    let what = "holds".to_string();
    reject(&mut report, Rejection::TooLarge { limit: cap, what });
    report
}

impl Worker<'_> {
    /// Decode the file in `self.raw` (as read from `name`).
    fn parse_raw(&mut self, name: String, mut report: FileReport) -> FileReport {
        report.bytes = self.raw.len() as u64;
        let gz = is_gzip(&self.raw);
        if gz {
            match gunzip_limited(&self.raw, &mut self.json, self.cap) {
                Inflated::Complete => {}
                Inflated::Damaged(w) => {
                    if self.json.is_empty() {
                        reject(&mut report, Rejection::Unreadable(w));
                        return report;
                    }
                    report.warnings.push(w);
                }
                Inflated::TooLarge => {
                    // Give the memory back: the next file need not be a bomb too.
                    self.json = Vec::new();
                    let (limit, what) = (self.cap, "inflates to".to_string());
                    reject(&mut report, Rejection::TooLarge { limit, what });
                    return report;
                }
            }
        }
        let text: &[u8] = if gz { &self.json } else { &self.raw };
        report.json_bytes = text.len() as u64;
        let no_match = (!self.required.is_empty() || self.any.is_some())
            && memchr::memmem::find(text, b"\\u").is_none()
            && !(self.required.iter().all(|r| r.is_match(text))
                && self.any.as_ref().is_none_or(|r| r.is_match(text)));
        if no_match {
            // No record here can match the query: nothing to parse, unless windows need
            // to see the file's events (then only its typed columns, for the windows).
            report.shape = Some("no-match".into());
            if !self.read_for_windows {
                return report;
            }
        }
        self.b.set_source(&name);
        let before = self.b.total_rows();
        let filtered_before = self.b.filtered_out;
        let skip_nested = self.b.skip_nested();
        if no_match {
            self.b.set_skip_nested(true);
        }
        let file_start = self.b.checkpoint();
        let outside_before = self.b.outside_range;
        let mut ctx = Ctx {
            b: &mut self.b,
            cat: &mut self.cat,
            warnings: Vec::new(),
            max_inflated: self.cap,
        };
        let mut parsed = parse_file(text, &mut ctx);
        if self.b.take_spoiled() {
            // A record that failed a `keep_if` test held a second value at a tested path
            // (a duplicate key) and may match after all: decode the file again, whole.
            self.b.rollback(file_start);
            self.b.filtered_out = filtered_before;
            self.b.outside_range = outside_before;
            let tests = self.b.take_keep_if();
            let mut ctx = Ctx {
                b: &mut self.b,
                cat: &mut self.cat,
                warnings: Vec::new(),
                max_inflated: self.cap,
            };
            parsed = parse_file(text, &mut ctx);
            self.b.restore_keep_if(tests);
        }
        self.b.set_skip_nested(skip_nested);
        report.warnings.extend(parsed.warnings);
        if no_match {
            // Read for windows only: its records are dropped once windows are cut.
            return report;
        }
        // Records dropped by a `keep_if` test were read: they count.
        report.records =
            (self.b.total_rows() - before) as u64 + (self.b.filtered_out - filtered_before);
        report.shape = parsed.shape.map(|s: Shape| s.to_string());
        if let Some(r) = parsed.rejection {
            if report.records == 0 {
                reject(&mut report, r);
            } else {
                report.warnings.push(r.to_string());
            }
        }
        report
    }
}

/// How a [`Decoder`] decodes.
#[derive(Debug, Clone, Default)]
pub struct DecodeOptions {
    /// Store no nested values (see [`LoadOptions::skip_nested`]).
    pub skip_nested: bool,
    /// Keep only events at or after this time (UTC nanoseconds).
    pub from: Option<i64>,
    /// Keep only events before this time.
    pub to: Option<i64>,
    /// Text every record that can match contains (see [`LoadOptions::required_text`]).
    pub required_text: Vec<String>,
    /// When not empty: a file holding none of these texts (case-sensitively) is not
    /// parsed (e.g. the entities whose windows are wanted).
    pub required_any: Vec<String>,
    /// The cap on one file's JSON; 0 means [`DEFAULT_MAX_FILE_BYTES`].
    pub max_file_bytes: u64,
    /// Buffered bytes after which a batch is sealed; 0 means the default.
    pub batch_bytes: usize,
    /// Rows after which a batch goes (between files); 0 means the default (16 Ki).
    pub batch_rows: usize,
    /// Decode only the typed columns marked (by index in [`crate::schema::TYPED`]); the
    /// values of the others are skipped unread. Honoured only with `skip_nested`.
    pub typed_columns: Option<Vec<bool>>,
    /// Records whose typed column fails one of these tests cannot match the query: they
    /// are dropped as they are read, and the rest of each is skipped unread.
    pub keep_if: Vec<KeepIf>,
    /// Decode a file holding none of the required text all the same (typed columns
    /// only), for the windows of a load that cuts them over every event; its report then
    /// has the shape `no-match` and no records, and [`restrict`] drops its rows.
    pub read_for_windows: bool,
    /// Whole tokens (keys, see [`crate::tokens`]) every record that can match holds in
    /// some value: a columnar cache skips the blocks of rows its token index says lack
    /// one. The JSON decoder does not use them.
    pub required_tokens: Vec<String>,
    /// The plan keeps only rows with `from <= time <= until` (and filters them itself): a
    /// columnar cache may skip blocks wholly outside. Unlike `from`/`to`, nothing is
    /// counted as outside the range.
    pub time_bounds: (Option<i64>, Option<i64>),
}

/// A test a record's typed string column must pass for the record to be able to match
/// a query (its filter's `field = value` terms, evaluated by the query's own matcher).
/// A record is dropped only when the column holds a string that fails the test and no
/// nested value at that path (a duplicate key, an array) could match instead: the
/// query's filter still runs over what is kept.
#[derive(Clone)]
pub struct KeepIf {
    /// The typed column (index in [`crate::schema::TYPED`]); must be a string column.
    pub column: usize,
    /// True when a record holding this value can match.
    pub test: std::sync::Arc<dyn Fn(&str) -> bool + Send + Sync>,
    /// What the test is, for plans and debugging (`eventName = GetObject`).
    pub label: String,
}

impl std::fmt::Debug for KeepIf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

fn any_regex(texts: &[String]) -> Option<regex::bytes::Regex> {
    if texts.is_empty() || texts.iter().any(|t| t.is_empty()) {
        return None;
    }
    let alt: Vec<String> = texts.iter().map(|t| regex::escape(t)).collect();
    regex::bytes::RegexBuilder::new(&alt.join("|"))
        .unicode(false)
        .size_limit(1 << 26)
        .build()
        .ok()
}

fn required_regexes(text: &[String]) -> Vec<regex::bytes::Regex> {
    text.iter()
        .filter(|t| !t.is_empty())
        .filter_map(|t| {
            regex::bytes::RegexBuilder::new(&regex::escape(t))
                .case_insensitive(true)
                .unicode(false)
                .build()
                .ok()
        })
        .collect()
}

/// Decodes CloudTrail files one at a time into record batches in
/// [`crate::schema::load_schema`], interning paths into a shared catalog: the building
/// block of a streaming scan (one decoder per thread). Records of several files may share
/// a batch; [`Decoder::total_rows`] before and after a file tells which rows are its.
pub struct Decoder<'c> {
    w: Worker<'c>,
    batch_bytes: usize,
    batch_rows: usize,
}

impl<'c> Decoder<'c> {
    /// A decoder interning into `catalog` (whose typed paths `layout` registered).
    pub fn new(catalog: &'c Catalog, layout: TypedLayout, opts: &DecodeOptions) -> Self {
        let batch_bytes = match opts.batch_bytes {
            0 => crate::builder::SEAL_BYTES,
            n => n,
        };
        let mut b = Builder::new(layout);
        b.set_range(opts.from, opts.to);
        b.set_skip_nested(opts.skip_nested);
        if opts.skip_nested
            && let Some(want) = &opts.typed_columns
        {
            b.set_typed_columns(want);
        }
        b.set_keep_if(&opts.keep_if);
        b.set_seal_bytes(batch_bytes);
        let cap = match opts.max_file_bytes {
            0 => DEFAULT_MAX_FILE_BYTES,
            n => n,
        };
        Decoder {
            w: Worker {
                cat: LocalCatalog::new(catalog),
                b,
                raw: Vec::new(),
                json: Vec::new(),
                required: required_regexes(&opts.required_text),
                any: any_regex(&opts.required_any),
                read_for_windows: opts.read_for_windows,
                cap,
            },
            batch_bytes,
            batch_rows: match opts.batch_rows {
                0 => BATCH_ROWS,
                n => n,
            },
        }
    }

    /// Decode one file's bytes (gzip or not) read from `name`. Its records join the
    /// batch being built; the report says what the file held. Path counts reach the
    /// catalog before this returns.
    pub fn decode(&mut self, name: &str, bytes: Vec<u8>) -> FileReport {
        if bytes.len() as u64 > self.w.cap {
            return too_large_report(name, bytes.len() as u64, self.w.cap);
        }
        self.w.raw = bytes;
        let report = self.w.parse_raw(name.to_string(), empty_report(name));
        self.w.cat.flush();
        report
    }

    /// Records decoded so far that are still to be taken (sealed or buffered).
    pub fn total_rows(&self) -> usize {
        self.w.b.total_rows()
    }

    /// The batches ready to go: the sealed ones, and the one being built when `all` is
    /// set or it is big enough to go on its own.
    pub fn take_batches(&mut self, all: bool) -> Result<Vec<RecordBatch>, ArrowError> {
        let mut out = self.w.b.take_sealed()?;
        if all || self.w.b.rows() >= self.batch_rows || self.w.b.bytes() >= self.batch_bytes {
            out.extend(self.w.b.finish()?);
        }
        Ok(out)
    }

    /// Records without a readable time so far.
    pub fn records_without_time(&self) -> u64 {
        self.w.b.bad_times
    }

    /// Records dropped for falling outside the time range so far.
    pub fn records_outside_range(&self) -> u64 {
        self.w.b.outside_range
    }

    /// Records dropped so far for failing a [`KeepIf`] test.
    pub fn records_filtered_out(&self) -> u64 {
        self.w.b.filtered_out
    }
}

/// The delivery time in a CloudTrail S3 object name
/// (`…_CloudTrail_us-east-1_20240301T1205Z_AbCd….json.gz`), in UTC nanoseconds.
pub fn delivery_time(path: &std::path::Path) -> Option<i64> {
    let name = path.file_name()?.to_str()?;
    let rest = &name[name.find("_CloudTrail_")? + "_CloudTrail_".len()..];
    let stamp = rest.split('_').nth(1)?;
    let b = stamp.as_bytes();
    if b.len() != 14 || !b.is_ascii() || b[8] != b'T' || b[13] != b'Z' {
        return None;
    }
    let iso = format!(
        "{}-{}-{}T{}:{}:00Z",
        &stamp[0..4],
        &stamp[4..6],
        &stamp[6..8],
        &stamp[9..11],
        &stamp[11..13]
    );
    crate::time::parse_event_time(&iso)
}

/// What a scan of every input file gave: what [`assemble`] makes a [`Dataset`] of.
#[derive(Debug)]
pub struct Scanned {
    /// The decoded batches, in [`crate::schema::load_schema`], in any order.
    pub batches: Vec<RecordBatch>,
    /// The report of every file read, in input order.
    pub files: Vec<FileReport>,
    /// Files plainly not logs that directory walks passed over.
    pub ignored: Vec<PathBuf>,
    /// Paths seen in the data.
    pub catalog: Arc<Catalog>,
    /// Where typed columns sit in the catalog.
    pub layout: TypedLayout,
    /// Records without a readable time.
    pub records_without_time: u64,
    /// Records the decoders dropped for falling outside the time range.
    pub records_outside_range: u64,
    /// Files not read because their delivery name puts them before the time range.
    pub files_outside_range: u64,
    /// When the load began (for [`LoadReport::seconds`]).
    pub started: Instant,
}

/// Make a [`Dataset`] of what a scan decoded: batches near 16 Ki rows, per-entity
/// windows cut over every event read (unless `opts.skip_windows`), then only the events
/// in `opts`' time range kept and none of the files read for windows only (those whose
/// report has the shape `no-match`), and the [`LoadReport`] summed up.
///
/// A scan for windows reads every file without a time range and with
/// [`DecodeOptions::read_for_windows`]; one without windows may prune and filter by
/// time as it decodes.
pub fn assemble(s: Scanned, opts: &LoadOptions) -> Result<Dataset, ArrowError> {
    let batches = split(s.batches);
    let (batches, wstats) = if opts.skip_windows {
        window::without_windows(batches)?
    } else {
        window::assign(batches, opts.window)?
    };
    let mut outside = s.records_outside_range;
    let batches = if opts.skip_windows {
        batches
    } else {
        let window_only: std::collections::HashSet<String> = s
            .files
            .iter()
            .filter(|f| f.shape.as_deref() == Some("no-match"))
            .map(|f| f.path.clone())
            .collect();
        let (kept, dropped) = restrict(batches, opts.from, opts.to, &window_only)?;
        outside += dropped;
        kept
    };
    let mut report = summarize(
        s.files,
        &batches,
        &s.ignored,
        opts,
        wstats,
        s.records_without_time,
        s.started.elapsed(),
    );
    report.files_outside_range = s.files_outside_range;
    report.records_outside_range = outside;
    Ok(Dataset {
        batches,
        catalog: s.catalog,
        layout: s.layout,
        report,
    })
}

/// After windows are cut over everything: keep only the events in `[from, to)` (events
/// without a readable time are not in any range), and none read for windows only (from
/// `window_only` sources). Returns the batches and how many events fell outside the range.
fn restrict(
    batches: Vec<RecordBatch>,
    from: Option<i64>,
    to: Option<i64>,
    window_only: &std::collections::HashSet<String>,
) -> Result<(Vec<RecordBatch>, u64), ArrowError> {
    use datafusion::arrow::array::{Array, BooleanArray};
    use datafusion::arrow::datatypes::Int32Type;
    if from.is_none() && to.is_none() && window_only.is_empty() {
        return Ok((batches, 0));
    }
    let (lo, hi) = (from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX));
    let ranged = from.is_some() || to.is_some();
    let mut outside = 0u64;
    let mut out = Vec::with_capacity(batches.len());
    for b in batches {
        let missing = |n: &str| ArrowError::SchemaError(format!("missing column {n}"));
        let ts = b
            .column_by_name(TIMESTAMP)
            .ok_or_else(|| missing(TIMESTAMP))?
            .as_primitive::<TimestampNanosecondType>();
        let src = b
            .column_by_name(crate::schema::SOURCE)
            .ok_or_else(|| missing(crate::schema::SOURCE))?
            .as_dictionary::<Int32Type>();
        let names = src.values().as_string::<i32>();
        let only: Vec<bool> = (0..names.len())
            .map(|k| window_only.contains(names.value(k)))
            .collect();
        let mut all = true;
        let keep: BooleanArray = (0..b.num_rows())
            .map(|r| {
                let dropped = src.is_valid(r)
                    && only
                        .get(src.keys().value(r) as usize)
                        .copied()
                        .unwrap_or(false);
                let inside = !ranged || (ts.is_valid(r) && (lo..hi).contains(&ts.value(r)));
                outside += u64::from(!dropped && !inside);
                all &= !dropped && inside;
                Some(!dropped && inside)
            })
            .collect();
        if all {
            out.push(b);
            continue;
        }
        let kept = datafusion::arrow::compute::filter_record_batch(&b, &keep)?;
        if kept.num_rows() > 0 {
            out.push(kept);
        }
    }
    Ok((out, outside))
}

/// Keep batches near [`BATCH_ROWS`] rows (a big single file makes one big buffer).
fn split(batches: Vec<RecordBatch>) -> Vec<RecordBatch> {
    let mut out = Vec::with_capacity(batches.len());
    for b in batches {
        if b.num_rows() <= 2 * BATCH_ROWS {
            out.push(b);
            continue;
        }
        let mut off = 0;
        while off < b.num_rows() {
            let n = BATCH_ROWS.min(b.num_rows() - off);
            out.push(b.slice(off, n));
            off += n;
        }
    }
    out
}

fn summarize(
    files: Vec<FileReport>,
    batches: &[RecordBatch],
    ignored: &[PathBuf],
    opts: &LoadOptions,
    w: WindowStats,
    records_without_time: u64,
    elapsed: Duration,
) -> LoadReport {
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for b in batches {
        if let Some(ts) = b.column_by_name(TIMESTAMP) {
            let ts = ts.as_primitive::<TimestampNanosecondType>();
            if let Some(v) = datafusion::arrow::compute::min(ts) {
                lo = lo.min(v);
            }
            if let Some(v) = datafusion::arrow::compute::max(ts) {
                hi = hi.max(v);
            }
        }
    }
    let fmt = |v: i64, ok: bool| ok.then(|| crate::time::format_rfc3339(v));
    LoadReport {
        files_loaded: files.iter().filter(|f| f.loaded()).count() as u64,
        files_skipped: files.iter().filter(|f| f.rejected.is_some()).count() as u64,
        files_without_events: files.iter().filter(|f| f.holds_no_events()).count() as u64,
        files_with_warnings: files.iter().filter(|f| !f.warnings.is_empty()).count() as u64,
        records: batches.iter().map(|b| b.num_rows() as u64).sum(),
        records_without_time,
        files_outside_range: 0,
        records_outside_range: 0,
        bytes: files.iter().map(|f| f.bytes).sum(),
        json_bytes: files.iter().map(|f| f.json_bytes).sum(),
        memory_bytes: batches
            .iter()
            .map(|b| b.get_array_memory_size() as u64)
            .sum(),
        first_event: fmt(lo, lo != i64::MAX),
        last_event: fmt(hi, hi != i64::MIN),
        entities: w.entities,
        windows: w.windows,
        window_mode: opts.window,
        seconds: elapsed.as_secs_f64(),
        ignored: ignored
            .iter()
            .map(|p: &PathBuf| p.display().to_string())
            .collect(),
        files,
    }
}
