//! What a scan reads: every input file (local, stdin, in memory, or an S3 object), with
//! its size and the rank of its name, and the time range its delivery name allows.

use std::path::PathBuf;
use std::sync::Arc;

use object_store::ObjectStore;
use trailhunt_cloudtrail::{Discovered, Source, delivery_time};

/// Where one file's bytes are.
#[derive(Clone)]
pub enum Location {
    /// A local file, a file given as a memory buffer, or standard input.
    Local(Source),
    /// An object in a store (S3).
    Object {
        /// The store holding it.
        store: Arc<dyn ObjectStore>,
        /// Its key.
        path: object_store::path::Path,
    },
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Local(s) => write!(f, "Local({s})"),
            Location::Object { path, .. } => write!(f, "Object({path})"),
        }
    }
}

/// One file of the input.
#[derive(Debug, Clone)]
pub struct FileRef {
    /// The name reports and `@index` use (`logs/x.json.gz`, `s3://bucket/key`).
    pub display: String,
    /// Where its bytes are.
    pub location: Location,
    /// Its size in bytes where known (0 for stdin).
    pub size: u64,
    /// Its rank among all input names (the event order breaks ties by source name).
    pub rank: u32,
    /// Its place in the inputs as given (the order discovery found local files in, then
    /// objects as listed): the order a load reports files in.
    pub input: u32,
    /// The S3 delivery time in its name, if it has one (UTC nanoseconds).
    pub delivered: Option<i64>,
    /// What changes when the file does: a local file's modification time (ns), an
    /// object's ETag; `None` for standard input and memory buffers, which no cache holds.
    pub version: Option<String>,
}

/// Every input file, in name order, and what directory walks passed over.
///
/// Standard input (a [`Source::Stdin`] file) is read once, by the first scan that reads
/// it, and kept as it came (compressed or not): every later scan of any listing in the
/// process reads those bytes again, so a query may read its input twice and a loader
/// after it sees the same events ([`stdin_bytes`]).
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// The files, sorted by [`FileRef::display`], ranks numbered in that order.
    pub files: Vec<FileRef>,
    /// Files plainly not logs that directory walks passed over.
    pub ignored: Vec<PathBuf>,
    /// The cache fresh sources are read from instead of their JSON.
    pub cache: Option<Arc<crate::cache::Cache>>,
}

/// A file's size, and its modification time (ns since the epoch) as its version.
fn size_of(s: &Source) -> (u64, Option<String>) {
    match s {
        Source::File(p) => match std::fs::metadata(p) {
            Ok(m) => {
                let mtime = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| format!("mtime:{}", d.as_nanos()));
                (m.len(), mtime)
            }
            Err(_) => (0, None),
        },
        Source::Stdin => (0, None),
        Source::Memory { bytes, .. } => (bytes.len() as u64, None),
    }
}

impl Listing {
    /// The listing of local inputs `found` discovered, plus `objects` (already listed
    /// from a store).
    pub fn new(found: &Discovered, objects: Vec<FileRef>) -> Listing {
        let mut files: Vec<FileRef> = found
            .sources
            .iter()
            .map(|s| {
                let delivered = match s {
                    Source::File(p) => delivery_time(p),
                    _ => None,
                };
                let (size, version) = size_of(s);
                FileRef {
                    display: s.to_string(),
                    size,
                    location: Location::Local(s.clone()),
                    rank: 0,
                    input: 0,
                    delivered,
                    version,
                }
            })
            .collect();
        files.extend(objects);
        for (i, f) in files.iter_mut().enumerate() {
            f.input = i as u32;
        }
        files.sort_by(|a, b| a.display.cmp(&b.display));
        files.dedup_by(|a, b| a.display == b.display);
        for (i, f) in files.iter_mut().enumerate() {
            f.rank = i as u32;
        }
        Listing {
            files,
            ignored: found.ignored.clone(),
            cache: None,
        }
    }

    /// The listing of local inputs only (files, stdin, memory buffers).
    pub fn local(found: &Discovered) -> Listing {
        Listing::new(found, Vec::new())
    }

    /// Bytes of all files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// What standard input held, read to its end (or to `cap + 1` bytes, when it holds more
/// than `cap`) the first time this is called, and served from memory afterwards: stdin
/// can be read only once, and a query may scan its input more than once. The first
/// call's `cap` is the one that counts (a process reads with one `--max-file-size`); a
/// failed read is the error of every call.
pub fn stdin_bytes(cap: u64) -> std::io::Result<Arc<[u8]>> {
    use std::io::Read;
    static STDIN: std::sync::OnceLock<Result<Arc<[u8]>, String>> = std::sync::OnceLock::new();
    STDIN
        .get_or_init(|| {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .take(cap.saturating_add(1))
                .read_to_end(&mut bytes)
                .map(|_| Arc::from(bytes))
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(std::io::Error::other)
}

/// The objects an S3 listing found, as files of a listing.
pub fn objects(store: &Arc<dyn ObjectStore>, found: Vec<crate::s3::S3Object>) -> Vec<FileRef> {
    found
        .into_iter()
        .map(|o| FileRef {
            delivered: key_delivery_time(o.key.as_ref()),
            display: o.display,
            version: o.version,
            size: o.size,
            rank: 0,
            input: 0,
            location: Location::Object {
                store: store.clone(),
                path: o.key,
            },
        })
        .collect()
}

/// The delivery time in an S3 object key, if it is a CloudTrail delivery name.
pub fn key_delivery_time(key: &str) -> Option<i64> {
    delivery_time(std::path::Path::new(key))
}

/// How long after its events a file may be delivered is unbounded, but never before:
/// a file delivered before `from` (with an hour of slack for clock skew) holds no event
/// at or after `from`.
pub const DELIVERY_SLACK_NS: i64 = 3_600_000_000_000;

/// Can `f` hold events at or after `from`?
pub fn may_hold_from(f: &FileRef, from: i64) -> bool {
    f.delivered
        .is_none_or(|t| t.saturating_add(DELIVERY_SLACK_NS) >= from)
}

/// Spread the files `chosen` (indices into `files`) over `n` groups of about equal
/// bytes: the biggest first, each to the lightest group; each group holds indices into
/// `files`, in name order.
pub fn spread(files: &[FileRef], chosen: &[usize], n: usize) -> Vec<Vec<usize>> {
    let n = n.max(1);
    let mut order: Vec<usize> = chosen.to_vec();
    order.sort_by(|&a, &b| files[b].size.cmp(&files[a].size).then(a.cmp(&b)));
    let mut groups: Vec<(u64, Vec<usize>)> = vec![(0, Vec::new()); n];
    for i in order {
        let g = groups
            .iter_mut()
            .min_by_key(|(bytes, v)| (*bytes, v.len()))
            .expect("at least one group");
        g.0 += files[i].size.max(1);
        g.1.push(i);
    }
    groups
        .into_iter()
        .map(|(_, mut v)| {
            v.sort_unstable();
            v
        })
        .filter(|v| !v.is_empty())
        .collect()
}
