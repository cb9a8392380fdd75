//! The columnar cache: CloudTrail sources decoded once into Parquet (`trailhunt index`),
//! read back by every later scan instead of the JSON.
//!
//! A cache folder holds `manifest.json` and chunk files (`chunk-*.parquet`). The manifest
//! maps each source — a local file by its absolute path, an object by its `s3://` URL —
//! to its size and version (modification time, ETag) when it was indexed, the report its
//! decoding gave, and where its rows are: a run of rows of one chunk. A chunk holds the
//! rows of many sources, each source's rows together and in decoding order, in the load
//! schema without the source column (a row's source is known from its run).
//!
//! A scan reads a source from the cache only when its entry is **fresh** (same size and
//! version as the listing says now); any other source is decoded from its JSON in the same
//! scan, so a changed, added or removed file is never missed or counted twice. A chunk
//! that cannot be read (truncated, corrupt) gets a warning and its sources are decoded
//! from their JSON instead.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use trailhunt_cloudtrail::catalog::PathStats;
use trailhunt_cloudtrail::{FileReport, Source};

use crate::listing::{FileRef, Location};

pub mod read;
pub mod remote;
pub mod tokens;
pub mod write;

/// The manifest's file name inside a cache folder.
pub const MANIFEST: &str = "manifest.json";

/// The manifest format this build reads and writes. 2: a typed column's JSON `null` also
/// has its nested entry (`col = null`), so chunks of format 1 answer that differently.
const FORMAT: u32 = 2;

/// A cache that cannot be used.
#[derive(Debug)]
pub struct CacheError {
    /// What went wrong, naming the file and what to do.
    pub message: String,
}

impl std::fmt::Display for CacheError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CacheError {}

fn err(message: String) -> CacheError {
    CacheError { message }
}

/// One source as the cache holds it (a million sources make a big manifest: fields
/// with nothing to say are left out).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    /// Its size in bytes when indexed.
    pub size: u64,
    /// Its version when indexed (see [`FileRef::version`]).
    #[serde(rename = "v")]
    pub version: String,
    /// The chunk holding its rows; `None` when it gave none (a digest, an empty or
    /// rejected file: its report says which).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk: Option<String>,
    /// Its first row in the chunk.
    #[serde(rename = "at", default, skip_serializing_if = "is_zero")]
    pub first_row: u64,
    /// Its rows.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rows: u64,
    /// The earliest and latest event time of its rows (UTC ns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_time: Option<i64>,
    /// See `min_time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_time: Option<i64>,
    /// What decoding it reported (its path is the listing's name at read time).
    #[serde(with = "stored_report")]
    pub report: FileReport,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A [`FileReport`] in the manifest: its path left out, empty fields too.
mod stored_report {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use trailhunt_cloudtrail::FileReport;

    #[derive(Serialize, Deserialize)]
    struct Stored {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shape: Option<String>,
        #[serde(default, skip_serializing_if = "super::is_zero")]
        records: u64,
        #[serde(default, skip_serializing_if = "super::is_zero")]
        bytes: u64,
        #[serde(default, skip_serializing_if = "super::is_zero")]
        json_bytes: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rejected: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rejected_kind: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<String>,
    }

    pub fn serialize<S: Serializer>(r: &FileReport, s: S) -> Result<S::Ok, S::Error> {
        Stored {
            shape: r.shape.clone(),
            records: r.records,
            bytes: r.bytes,
            json_bytes: r.json_bytes,
            rejected: r.rejected.clone(),
            rejected_kind: r.rejected_kind.clone(),
            warnings: r.warnings.clone(),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<FileReport, D::Error> {
        let s = Stored::deserialize(d)?;
        Ok(FileReport {
            path: String::new(),
            shape: s.shape,
            records: s.records,
            bytes: s.bytes,
            json_bytes: s.json_bytes,
            rejected: s.rejected,
            rejected_kind: s.rejected_kind,
            warnings: s.warnings,
        })
    }
}

/// What a chunk file holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Chunk {
    /// Rows written.
    pub rows: u64,
    /// Its size in bytes.
    pub bytes: u64,
    /// The paths its rows hold, counted as decoding counts them: merged into a catalog
    /// before planning ([`Cache::planning_stats`]).
    #[serde(default)]
    pub paths: PathStats,
    /// The size of its token index ([`tokens`]), 0 when it has none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tokens: u64,
}

/// The manifest of a cache folder.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// The format version.
    pub format: u32,
    /// Sources by key ([`key`]).
    pub sources: BTreeMap<String, Entry>,
    /// Chunk files by name.
    pub chunks: BTreeMap<String, Chunk>,
}

/// A cache folder opened for reading: its manifest, and where its chunks are.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    manifest: Manifest,
    older: Option<u32>,
}

/// The key a source is cached under: a local file's absolute path, an object's URL;
/// `None` for standard input and memory buffers, which are never cached.
pub fn key(f: &FileRef) -> Option<String> {
    match &f.location {
        Location::Local(Source::File(p)) => {
            let abs = std::fs::canonicalize(p).ok()?;
            Some(abs.to_string_lossy().into_owned())
        }
        Location::Local(_) => None,
        Location::Object { .. } => Some(f.display.clone()),
    }
}

impl Cache {
    /// Open the cache in `dir`. A folder without a manifest is an empty cache; a
    /// manifest that cannot be read is an error that says what to do.
    pub fn open(dir: &Path) -> Result<Cache, CacheError> {
        let path = dir.join(MANIFEST);
        let mut older = None;
        let manifest = match std::fs::read(&path) {
            Ok(bytes) => {
                let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
                    err(format!(
                        "{}: not a trailhunt cache manifest ({e}); delete the folder's \
                         manifest.json and run `trailhunt index` again",
                        path.display()
                    ))
                })?;
                if m.format > FORMAT {
                    return Err(err(format!(
                        "{}: cache format {} is newer than this trailhunt's ({FORMAT}); \
                         use the trailhunt that wrote it, or a new --cache folder",
                        path.display(),
                        m.format
                    )));
                }
                if m.format < FORMAT {
                    // Nothing in it is read; `index` removes its chunks and starts again.
                    older = Some(m.format);
                    Manifest {
                        format: FORMAT,
                        sources: BTreeMap::new(),
                        chunks: m.chunks,
                    }
                } else {
                    m
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Manifest {
                format: FORMAT,
                ..Manifest::default()
            },
            Err(e) => {
                return Err(err(format!(
                    "{}: cannot read the cache manifest: {e}",
                    path.display()
                )));
            }
        };
        Ok(Cache {
            dir: dir.to_path_buf(),
            manifest,
            older,
        })
    }

    /// The format of the manifest found, when an older trailhunt wrote it: then the cache
    /// is empty until `index` writes it again.
    pub fn older_format(&self) -> Option<u32> {
        self.older
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The manifest, to change before [`Cache::save`].
    pub fn manifest_mut(&mut self) -> &mut Manifest {
        &mut self.manifest
    }

    /// The path of chunk `name`.
    pub fn chunk_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The entry of `f` if it is fresh: indexed with the size and version `f` has now.
    pub fn fresh(&self, f: &FileRef) -> Option<&Entry> {
        let version = f.version.as_deref()?;
        let e = self.manifest.sources.get(&key(f)?)?;
        (e.size == f.size && e.version == version).then_some(e)
    }

    /// Write `manifest` as this folder's manifest, atomically (a reader sees the old one
    /// or the new one, never half of one).
    pub fn save(dir: &Path, manifest: &Manifest) -> Result<(), CacheError> {
        let path = dir.join(MANIFEST);
        let tmp = dir.join(format!("{MANIFEST}.tmp-{}", std::process::id()));
        let bytes = serde_json::to_vec(manifest)
            .map_err(|e| err(format!("cannot encode the cache manifest: {e}")))?;
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| {
                err(format!(
                    "{}: cannot write the manifest: {e}",
                    path.display()
                ))
            })
    }
}

/// Rows of one source in a chunk, for a scan.
#[derive(Debug, Clone)]
pub struct Run {
    /// The source's index in the scan's files.
    pub file: usize,
    /// Its first row in the chunk.
    pub first_row: u64,
    /// Its rows.
    pub rows: u64,
    /// What decoding it reported when it was indexed.
    pub report: FileReport,
}

/// What one partition reads of one chunk: runs in row order.
#[derive(Debug, Clone)]
pub struct Segment {
    /// The chunk file.
    pub path: PathBuf,
    /// The runs, by `first_row`.
    pub runs: Vec<Run>,
    /// The chunk's rows.
    pub chunk_rows: u64,
    /// The chunk has a token index beside it ([`tokens::index_name`]).
    pub tokens: bool,
}

impl Segment {
    /// Rows in all runs.
    pub fn rows(&self) -> u64 {
        self.runs.iter().map(|r| r.rows).sum()
    }

    /// This segment cut into segments of about `max` rows (whole runs each).
    pub fn split(self, max: u64) -> Vec<Segment> {
        let mut out = Vec::new();
        let mut cur: Vec<Run> = Vec::new();
        let mut rows = 0u64;
        for r in self.runs {
            if rows > 0 && rows + r.rows > max {
                out.push(Segment {
                    path: self.path.clone(),
                    runs: std::mem::take(&mut cur),
                    chunk_rows: self.chunk_rows,
                    tokens: self.tokens,
                });
                rows = 0;
            }
            rows += r.rows;
            cur.push(r);
        }
        if !cur.is_empty() {
            out.push(Segment {
                path: self.path,
                runs: cur,
                chunk_rows: self.chunk_rows,
                tokens: self.tokens,
            });
        }
        out
    }
}

/// The split of a scan's files by the cache: the ones to decode from their JSON, the
/// chunk segments that hold the others, and the entries of fresh sources without rows
/// (their reports are all there is to read).
#[derive(Debug, Default)]
pub struct Split {
    /// Files to decode (indices into the scan's files).
    pub raw: Vec<usize>,
    /// Cached rows, one segment per chunk.
    pub segments: Vec<Segment>,
    /// Fresh sources that hold no rows, with their reports.
    pub empty: Vec<(usize, FileReport)>,
}

impl Cache {
    /// Split `files` (indices into `all`) into what the cache holds and what it does not.
    pub fn split(&self, all: &[FileRef], files: impl IntoIterator<Item = usize>) -> Split {
        let mut out = Split::default();
        let mut by_chunk: HashMap<&str, Vec<Run>> = HashMap::new();
        for i in files {
            match self.fresh(&all[i]) {
                None => out.raw.push(i),
                Some(e) => match &e.chunk {
                    Some(c) if e.rows > 0 => by_chunk.entry(c).or_default().push(Run {
                        file: i,
                        first_row: e.first_row,
                        rows: e.rows,
                        report: e.report.clone(),
                    }),
                    _ => out.empty.push((i, e.report.clone())),
                },
            }
        }
        let mut chunks: Vec<(&str, Vec<Run>)> = by_chunk.into_iter().collect();
        chunks.sort_by(|a, b| a.0.cmp(b.0));
        for (name, mut runs) in chunks {
            runs.sort_by_key(|r| r.first_row);
            let chunk = self.manifest.chunks.get(name);
            out.segments.push(Segment {
                path: self.chunk_path(name),
                runs,
                chunk_rows: chunk.map_or(0, |c| c.rows),
                tokens: chunk.is_some_and(|c| c.tokens > 0),
            });
        }
        out
    }
}

impl Cache {
    /// The path statistics of the chunks whose every row belongs to a fresh source of
    /// `listing` (a chunk also holding other sources' rows would name paths the listing
    /// may not have), and whether they cover the whole listing: every file fresh, every
    /// chunk it uses whole. Merged into a catalog, they let a query be planned with the
    /// data's paths before anything is read.
    pub fn planning_stats(&self, listing: &crate::Listing) -> (Vec<&PathStats>, bool) {
        let mut used: HashMap<&str, u64> = HashMap::new();
        let mut complete = true;
        for f in &listing.files {
            match self.fresh(f) {
                Some(e) => {
                    if let Some(c) = &e.chunk {
                        *used.entry(c).or_default() += e.rows;
                    }
                }
                None => complete = false,
            }
        }
        let mut out = Vec::new();
        for (name, rows) in used {
            match self.manifest.chunks.get(name) {
                Some(c) if c.rows == rows && !c.paths.paths.is_empty() => out.push(&c.paths),
                _ => complete = false,
            }
        }
        (out, complete)
    }
}

/// A cache shared by the scans of a listing.
pub type SharedCache = Arc<Cache>;
