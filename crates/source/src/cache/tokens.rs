//! A chunk's token index: for each block of [`BLOCK_ROWS`] rows, a bloom filter of the
//! tokens of every value its records hold (typed columns and nested values, the values
//! free text and field tests read) and the block's time span. A query whose matches all
//! hold some whole tokens (`pushdown::required_tokens`), or whose time range misses the
//! block, skips it unread.
//!
//! A bloom filter answers "maybe" or "certainly not": a block is skipped only on a
//! "certainly not", so the answer never changes; a block holding a record without a
//! readable time is never skipped (the scan counts such records). The file sits beside its
//! chunk (`chunk-….tokens`):
//!
//! ```text
//! "THTOKEN1"  u32 blocks
//! per block:  u64 first_row, u32 rows, u32 untimed, i64 min_time, i64 max_time,
//!             u64 offset, u32 length                (little-endian, 44 bytes)
//! bitsets     (parquet's split-block bloom filter, `Sbbf::write_bitset`)
//! ```

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

use datafusion::arrow::array::{Array, AsArray, RecordBatch, TimestampNanosecondArray};
use datafusion::parquet::bloom_filter::Sbbf;
use trailhunt_cloudtrail::schema::{KV, TIMESTAMP, TYPED, TypedKind};
use trailhunt_cloudtrail::tokens::each_token;

/// Rows per block: the granularity of skipping.
pub const BLOCK_ROWS: u64 = 8192;

const MAGIC: &[u8; 8] = b"THTOKEN1";
const ENTRY: usize = 44;
/// Distinct tokens a block is sized for before folding (CloudTrail records hold about a
/// dozen unique ones each: ids, keys, times).
const PLANNED_TOKENS: u64 = BLOCK_ROWS * 32;
/// False positives: one block in a hundred read for nothing per absent token.
const FPP: f64 = 0.01;

/// One block's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockMeta {
    /// Its first row in the chunk.
    pub first_row: u64,
    /// Its rows.
    pub rows: u32,
    /// Rows without a readable time.
    pub untimed: u32,
    /// Earliest event time (ns; `i64::MAX` when no row has one).
    pub min_time: i64,
    /// Latest event time (ns; `i64::MIN` when no row has one).
    pub max_time: i64,
    offset: u64,
    length: u32,
}

impl BlockMeta {
    /// Rows `first_row..end` of the chunk.
    pub fn end(&self) -> u64 {
        self.first_row + u64::from(self.rows)
    }
}

/// Builds a chunk's token index from its batches, in row order.
pub struct TokenWriter {
    done: Vec<(BlockMeta, Sbbf)>,
    current: Option<(BlockMeta, Sbbf)>,
    buf: String,
}

impl Default for TokenWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenWriter {
    /// An empty index.
    pub fn new() -> Self {
        TokenWriter {
            done: Vec::new(),
            current: None,
            buf: String::new(),
        }
    }

    /// Add the rows of `b` (in the load or chunk schema), the first being chunk row
    /// `base`.
    pub fn add(&mut self, b: &RecordBatch, base: u64) {
        let schema = b.schema();
        let typed: Vec<(usize, TypedKind)> = TYPED
            .iter()
            .filter_map(|(p, k)| Some((schema.index_of(&p.join(".")).ok()?, *k)))
            .collect();
        let time = b
            .column_by_name(TIMESTAMP)
            .and_then(|c| c.as_any().downcast_ref::<TimestampNanosecondArray>());
        let kv = b.column_by_name(KV).and_then(|c| c.as_list_opt::<i32>());
        let kv_values = kv.and_then(|l| l.values().as_struct_opt().map(|s| s.column(1).clone()));
        let kv_values = kv_values.as_ref().and_then(|v| v.as_string_opt::<i32>());
        let mut buf = std::mem::take(&mut self.buf);
        for r in 0..b.num_rows() {
            let row = base + r as u64;
            let (meta, bloom) = self.block_for(row);
            meta.rows += 1;
            match time {
                Some(t) if t.is_valid(r) => {
                    let v = t.value(r);
                    meta.min_time = meta.min_time.min(v);
                    meta.max_time = meta.max_time.max(v);
                }
                _ => meta.untimed += 1,
            }
            let mut insert = |s: &str| each_token(s, &mut buf, |t| bloom.insert(t.as_bytes()));
            for &(c, kind) in &typed {
                let col = b.column(c);
                if !col.is_valid(r) {
                    continue;
                }
                match kind {
                    TypedKind::Str => {
                        if let Some(s) = col.as_string_opt::<i32>() {
                            insert(s.value(r));
                        }
                    }
                    TypedKind::Bool => {
                        if let Some(v) = col.as_boolean_opt() {
                            insert(if v.value(r) { "true" } else { "false" });
                        }
                    }
                }
            }
            if let (Some(list), Some(values)) = (kv, kv_values) {
                let offsets = list.value_offsets();
                for i in offsets[r] as usize..offsets[r + 1] as usize {
                    if values.is_valid(i) {
                        insert(values.value(i));
                    }
                }
            }
        }
        self.buf = buf;
    }

    fn block_for(&mut self, row: u64) -> &mut (BlockMeta, Sbbf) {
        let first_row = row - row % BLOCK_ROWS;
        if self
            .current
            .as_ref()
            .is_some_and(|(m, _)| m.first_row != first_row)
            && let Some(done) = self.current.take()
        {
            self.done.push(done);
        }
        self.current.get_or_insert_with(|| {
            (
                BlockMeta {
                    first_row,
                    rows: 0,
                    untimed: 0,
                    min_time: i64::MAX,
                    max_time: i64::MIN,
                    offset: 0,
                    length: 0,
                },
                Sbbf::new_with_ndv_fpp(PLANNED_TOKENS, FPP)
                    .unwrap_or_else(|_| Sbbf::new_with_num_of_bytes(1 << 18)),
            )
        })
    }

    /// Write the index to `path`; returns its size in bytes.
    pub fn finish(mut self, path: &Path) -> std::io::Result<u64> {
        if let Some(done) = self.current.take() {
            self.done.push(done);
        }
        let mut bitsets = Vec::with_capacity(self.done.len());
        for (_, bloom) in &mut self.done {
            bloom.fold_to_target_fpp(FPP);
            let mut bytes = Vec::new();
            bloom
                .write_bitset(&mut bytes)
                .map_err(std::io::Error::other)?;
            bitsets.push(bytes);
        }
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.done.len() as u32).to_le_bytes());
        let mut offset = (MAGIC.len() + 4 + ENTRY * self.done.len()) as u64;
        for ((m, _), bits) in self.done.iter().zip(&bitsets) {
            out.extend_from_slice(&m.first_row.to_le_bytes());
            out.extend_from_slice(&m.rows.to_le_bytes());
            out.extend_from_slice(&m.untimed.to_le_bytes());
            out.extend_from_slice(&m.min_time.to_le_bytes());
            out.extend_from_slice(&m.max_time.to_le_bytes());
            out.extend_from_slice(&offset.to_le_bytes());
            out.extend_from_slice(&(bits.len() as u32).to_le_bytes());
            offset += bits.len() as u64;
        }
        let mut f = File::create(path)?;
        f.write_all(&out)?;
        for bits in &bitsets {
            f.write_all(bits)?;
        }
        f.sync_data()?;
        Ok(offset)
    }
}

/// A chunk's token index, opened: the block table in memory, bitsets read on demand.
pub struct TokenIndex {
    file: File,
    blocks: Vec<BlockMeta>,
}

/// What may be skipped: the query's whole tokens and the time range its plan keeps.
#[derive(Debug, Clone, Default)]
pub struct Skip<'a> {
    /// Tokens every matching record holds (keys).
    pub tokens: &'a [String],
    /// Rows before this time cannot match.
    pub from: Option<i64>,
    /// Rows after this time (inclusive bound) cannot match.
    pub until: Option<i64>,
}

impl Skip<'_> {
    /// Whether nothing can be skipped.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty() && self.from.is_none() && self.until.is_none()
    }
}

impl TokenIndex {
    /// Open the index at `path` of a chunk of `rows` rows; an error says what is wrong.
    pub fn open(path: &Path, rows: u64) -> Result<TokenIndex, String> {
        let file = File::open(path).map_err(|e| format!("cannot open it: {e}"))?;
        let size = file.metadata().map_err(|e| e.to_string())?.len();
        let mut head = [0u8; 12];
        file.read_exact_at(&mut head, 0)
            .map_err(|_| "it is too short".to_string())?;
        if &head[..8] != MAGIC {
            return Err("it is not a trailhunt token index".into());
        }
        let n = u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize;
        let mut table = vec![0u8; n * ENTRY];
        file.read_exact_at(&mut table, 12)
            .map_err(|_| "its block table is cut short".to_string())?;
        let u64_at =
            |b: &[u8], i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
        let u32_at =
            |b: &[u8], i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap_or([0; 4]));
        let mut blocks = Vec::with_capacity(n);
        let mut next_row = 0u64;
        for e in table.chunks_exact(ENTRY) {
            let m = BlockMeta {
                first_row: u64_at(e, 0),
                rows: u32_at(e, 8),
                untimed: u32_at(e, 12),
                min_time: u64_at(e, 16) as i64,
                max_time: u64_at(e, 24) as i64,
                offset: u64_at(e, 32),
                length: u32_at(e, 40),
            };
            if m.first_row < next_row
                || m.offset + u64::from(m.length) > size
                || !m.length.is_multiple_of(32)
            {
                return Err(format!("block at row {} is not whole", m.first_row));
            }
            next_row = m.end();
            blocks.push(m);
        }
        let total: u64 = blocks.iter().map(|b| u64::from(b.rows)).sum();
        if total != rows {
            return Err(format!("it covers {total} rows, the chunk holds {rows}"));
        }
        Ok(TokenIndex { file, blocks })
    }

    /// The blocks, in row order.
    pub fn blocks(&self) -> &[BlockMeta] {
        &self.blocks
    }

    /// The row ranges of blocks overlapping `rows` that cannot hold a match, merged
    /// and in order.
    pub fn skippable(
        &self,
        rows: std::ops::Range<u64>,
        skip: &Skip<'_>,
    ) -> Result<Vec<std::ops::Range<u64>>, String> {
        let mut out: Vec<std::ops::Range<u64>> = Vec::new();
        if skip.is_empty() {
            return Ok(out);
        }
        for b in &self.blocks {
            if b.end() <= rows.start || b.first_row >= rows.end || b.untimed > 0 {
                continue;
            }
            let outside = skip.from.is_some_and(|f| b.max_time < f)
                || skip.until.is_some_and(|u| b.min_time > u);
            if !outside && !self.lacks_a_token(b, skip.tokens)? {
                continue;
            }
            match out.last_mut() {
                Some(last) if last.end == b.first_row => last.end = b.end(),
                _ => out.push(b.first_row..b.end()),
            }
        }
        Ok(out)
    }

    fn lacks_a_token(&self, b: &BlockMeta, tokens: &[String]) -> Result<bool, String> {
        if tokens.is_empty() {
            return Ok(false);
        }
        let mut bits = vec![0u8; b.length as usize];
        self.file
            .read_exact_at(&mut bits, b.offset)
            .map_err(|e| format!("cannot read block at row {}: {e}", b.first_row))?;
        let bloom = Sbbf::new(&bits);
        Ok(tokens.iter().any(|t| !bloom.check(t.as_bytes())))
    }
}

/// The token index file of chunk `chunk` (a `.parquet` name).
pub fn index_name(chunk: &str) -> String {
    format!("{}.tokens", chunk.strip_suffix(".parquet").unwrap_or(chunk))
}

/// The token index beside the chunk file at `chunk`.
pub fn index_path(chunk: &Path) -> std::path::PathBuf {
    let name = chunk.file_name().unwrap_or_default().to_string_lossy();
    chunk.with_file_name(index_name(&name))
}
