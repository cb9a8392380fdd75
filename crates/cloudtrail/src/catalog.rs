//! The path catalog: every nested path seen in the loaded records, interned to a `u32`.
//!
//! Nested values are stored as (path id, value) pairs (see [`crate::schema`]); the catalog
//! maps ids back to paths and lets the planner resolve a path pattern (`resources.ARN`,
//! `requestParameters.*Name`, `**`) to the set of ids it covers, once per query rather than
//! once per row. Paths are interned hierarchically — a child is `(parent id, segment)` — so
//! the loader hashes one short key per value instead of the whole dotted path.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The id of the root (the record itself); it has no path.
pub const ROOT: u32 = 0;

/// One step of a concrete path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// An object key.
    Key(Box<str>),
    /// An array position.
    Index(u32),
}

/// What the catalog knows of one path.
#[derive(Debug, Clone)]
pub struct PathInfo {
    /// The parent path's id ([`ROOT`] for top-level keys).
    pub parent: u32,
    /// The last step.
    pub segment: Segment,
    /// The dotted form, as a user types it: `resources[0].ARN`, `` a.`x.y` ``.
    pub display: String,
    /// The dotted form without array positions: `resources.ARN`.
    pub display_no_index: String,
    /// Depth (1 for top-level keys).
    pub depth: u32,
    /// The canonical form (see [`canonical_segment`]): what a batch's path dictionary
    /// holds, so any process can read the batch.
    pub canonical: Box<str>,
}

/// Append one segment to a canonical path: keys joined by `.` with `\`, `.` and `[`
/// escaped by a backslash, array positions as `[n]`. Unlike the display form it never
/// quotes, and every path has exactly one spelling, parsed back by [`parse_canonical`].
pub fn canonical_segment(out: &mut String, segment: &Segment, first: bool) {
    match segment {
        Segment::Key(k) => {
            if !first {
                out.push('.');
            }
            for c in k.chars() {
                if matches!(c, '\\' | '.' | '[') {
                    out.push('\\');
                }
                out.push(c);
            }
        }
        Segment::Index(i) => {
            let _ = write!(out, "[{i}]");
        }
    }
}

/// The canonical form of a chain of segments (see [`canonical_segment`]).
pub fn canonical(segments: &[Segment]) -> String {
    let mut out = String::new();
    for (i, s) in segments.iter().enumerate() {
        canonical_segment(&mut out, s, i == 0);
    }
    out
}

/// The segments of a canonical path; `None` when `s` is not one (a dangling escape, an
/// unclosed or non-numeric position, or a path starting with a position).
pub fn parse_canonical(s: &str) -> Option<Vec<Segment>> {
    let mut out = Vec::new();
    let mut key = String::new();
    let mut chars = s.chars();
    // A key is open (it may be empty) until a `.` closes it or a position follows it.
    let mut open = true;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                key.push(chars.next()?);
                open = true;
            }
            '.' => {
                if open {
                    out.push(Segment::Key(std::mem::take(&mut key).into()));
                }
                open = true;
            }
            '[' => {
                if open {
                    if out.is_empty() && key.is_empty() {
                        return None;
                    }
                    out.push(Segment::Key(std::mem::take(&mut key).into()));
                }
                let mut digits = String::new();
                loop {
                    match chars.next()? {
                        ']' => break,
                        d if d.is_ascii_digit() => digits.push(d),
                        _ => return None,
                    }
                }
                out.push(Segment::Index(digits.parse().ok()?));
                open = false;
            }
            c => {
                if !open {
                    // `a[0]b`: a key must follow a position after a `.`.
                    return None;
                }
                key.push(c);
            }
        }
    }
    if open {
        out.push(Segment::Key(key.into()));
    }
    Some(out)
}

/// What a set of records holds at each path: how many records hold it and how many keep
/// a typed path's value in the nested column. A cache file keeps these in its metadata
/// and the planner merges them into its catalog before planning
/// ([`Catalog::merge_stats`]), so paths, "did you mean" and the plan's choices are
/// known without reading a record.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PathStats {
    /// One entry per path, in catalog order (a parent before its children).
    pub paths: Vec<PathStat>,
}

/// One path of [`PathStats`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PathStat {
    /// The canonical path (see [`canonical`]).
    #[serde(rename = "p")]
    pub path: Box<str>,
    /// Records holding the path (a value at it or below it).
    #[serde(rename = "n", default, skip_serializing_if = "is_zero")]
    pub records: u64,
    /// Records keeping a value at this typed path in the nested column.
    #[serde(rename = "t", default, skip_serializing_if = "is_zero")]
    pub nested_at_typed: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Default)]
struct Interner {
    infos: Vec<PathInfo>,
    keys: HashMap<u32, HashMap<Box<str>, u32>>,
    indices: HashMap<(u32, u32), u32>,
    /// Canonical form → id, for reading path dictionaries.
    canonical: FxHashMap<Box<str>, u32>,
}

/// The shared, append-only path catalog of one loaded data set.
pub struct Catalog {
    inner: RwLock<Interner>,
    counts: RwLock<Vec<AtomicU64>>,
    /// Per path id: records whose value there is kept in the nested column although the
    /// path is a typed column's (see [`Catalog::nested_at_typed`]).
    nested_at_typed: RwLock<HashMap<u32, u64>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("paths", &self.len())
            .finish()
    }
}

impl Default for Catalog {
    fn default() -> Self {
        Self::new()
    }
}

/// Quote a key for display when it is not a plain identifier-like name.
pub fn display_key(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'@' | b'$' | b'%'));
    if plain {
        key.to_string()
    } else {
        format!("`{}`", key.replace('`', "\\`"))
    }
}

impl Catalog {
    /// An empty catalog holding only the root.
    pub fn new() -> Self {
        let root = PathInfo {
            parent: ROOT,
            segment: Segment::Key("".into()),
            display: String::new(),
            display_no_index: String::new(),
            depth: 0,
            canonical: "".into(),
        };
        let inner = Interner {
            infos: vec![root],
            ..Default::default()
        };
        Catalog {
            inner: RwLock::new(inner),
            counts: RwLock::new(vec![AtomicU64::new(0)]),
            nested_at_typed: RwLock::new(HashMap::new()),
        }
    }

    /// Number of paths (including the root).
    pub fn len(&self) -> usize {
        self.inner.read().map(|i| i.infos.len()).unwrap_or(0)
    }

    /// True when only the root is known.
    pub fn is_empty(&self) -> bool {
        self.len() <= 1
    }

    /// The id of `parent.key`, interning it when new.
    pub fn key(&self, parent: u32, key: &str) -> u32 {
        if let Ok(inner) = self.inner.read()
            && let Some(id) = inner.keys.get(&parent).and_then(|m| m.get(key))
        {
            return *id;
        }
        self.intern(parent, Segment::Key(key.into()))
    }

    /// The id of `parent[index]`, interning it when new.
    pub fn index(&self, parent: u32, index: u32) -> u32 {
        if let Ok(inner) = self.inner.read()
            && let Some(id) = inner.indices.get(&(parent, index))
        {
            return *id;
        }
        self.intern(parent, Segment::Index(index))
    }

    fn intern(&self, parent: u32, segment: Segment) -> u32 {
        let mut inner = match self.inner.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        // Another thread may have interned it between our read and write locks.
        let existing = match &segment {
            Segment::Key(k) => inner.keys.get(&parent).and_then(|m| m.get(k)).copied(),
            Segment::Index(i) => inner.indices.get(&(parent, *i)).copied(),
        };
        if let Some(id) = existing {
            return id;
        }
        let id = inner.infos.len() as u32;
        let (pd, pdn, depth, mut canon) = {
            let p = &inner.infos[parent as usize];
            let canon = p.canonical.to_string();
            (
                p.display.clone(),
                p.display_no_index.clone(),
                p.depth,
                canon,
            )
        };
        canonical_segment(&mut canon, &segment, parent == ROOT);
        let canon: Box<str> = canon.into();
        let (display, display_no_index) = match &segment {
            Segment::Key(k) => {
                let shown = display_key(k);
                let join = |base: &str| {
                    if base.is_empty() {
                        shown.clone()
                    } else {
                        format!("{base}.{shown}")
                    }
                };
                (join(&pd), join(&pdn))
            }
            Segment::Index(i) => {
                let mut d = pd;
                let _ = write!(d, "[{i}]");
                (d, pdn)
            }
        };
        match &segment {
            Segment::Key(k) => {
                inner.keys.entry(parent).or_default().insert(k.clone(), id);
            }
            Segment::Index(i) => {
                inner.indices.insert((parent, *i), id);
            }
        }
        inner.canonical.insert(canon.clone(), id);
        inner.infos.push(PathInfo {
            parent,
            segment,
            display,
            display_no_index,
            depth: depth + 1,
            canonical: canon,
        });
        drop(inner);
        if let Ok(mut c) = self.counts.write() {
            while c.len() <= id as usize {
                c.push(AtomicU64::new(0));
            }
        }
        id
    }

    /// Add `n` to the number of records that hold path `id`.
    pub fn add_count(&self, id: u32, n: u64) {
        if let Ok(c) = self.counts.read()
            && let Some(slot) = c.get(id as usize)
        {
            slot.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Add `n` to the records whose value at typed path `id` is (also) in the nested
    /// column.
    pub fn add_nested_at_typed(&self, id: u32, n: u64) {
        if let Ok(mut m) = self.nested_at_typed.write() {
            *m.entry(id).or_insert(0) += n;
        }
    }

    /// How many records keep a value at the typed path `id` in the nested column: one of
    /// an unexpected JSON type (a number in a text column, `"yes"` in a boolean one), or
    /// the text of a boolean written as a string (`"True"`), kept for output. 0 means the
    /// typed column alone holds every value of the path.
    pub fn nested_at_typed(&self, id: u32) -> u64 {
        self.nested_at_typed
            .read()
            .ok()
            .and_then(|m| m.get(&id).copied())
            .unwrap_or(0)
    }

    /// How many records hold path `id` (a value at it or below it).
    pub fn count(&self, id: u32) -> u64 {
        self.counts
            .read()
            .ok()
            .and_then(|c| c.get(id as usize).map(|a| a.load(Ordering::Relaxed)))
            .unwrap_or(0)
    }

    /// Run `f` over every path (id, info), root excluded.
    ///
    /// `f` runs on a copy taken under one read lock, not under the lock itself: `f` may
    /// call back into the catalog (`display`, `count`, `key`…) without taking the lock a
    /// second time while holding it, which deadlocks as soon as a writer is waiting.
    pub fn for_each(&self, mut f: impl FnMut(u32, &PathInfo)) {
        let infos: Vec<PathInfo> = match self.inner.read() {
            Ok(inner) => inner.infos.iter().skip(1).cloned().collect(),
            Err(_) => return,
        };
        for (i, info) in infos.iter().enumerate() {
            f(i as u32 + 1, info);
        }
    }

    /// The parent of path `id` ([`ROOT`] for top-level keys and unknown ids).
    pub fn parent(&self, id: u32) -> u32 {
        self.inner
            .read()
            .ok()
            .and_then(|i| i.infos.get(id as usize).map(|p| p.parent))
            .unwrap_or(ROOT)
    }

    /// The array path `id` is an element of (`resources` for `resources[0]`), if `id` is
    /// an array position.
    pub fn array_of(&self, id: u32) -> Option<u32> {
        let inner = self.inner.read().ok()?;
        let info = inner.infos.get(id as usize)?;
        matches!(info.segment, Segment::Index(_)).then_some(info.parent)
    }

    /// The display form of path `id`.
    pub fn display(&self, id: u32) -> String {
        self.inner
            .read()
            .ok()
            .and_then(|i| i.infos.get(id as usize).map(|p| p.display.clone()))
            .unwrap_or_default()
    }

    /// The canonical form of path `id` (see [`canonical_segment`]).
    pub fn canonical(&self, id: u32) -> Box<str> {
        self.inner
            .read()
            .ok()
            .and_then(|i| i.infos.get(id as usize).map(|p| p.canonical.clone()))
            .unwrap_or_default()
    }

    /// The ids of canonical paths (a batch's path dictionary), interning the ones not
    /// seen yet; a string that is no canonical path maps to [`ROOT`], which no nested
    /// value has, so it matches nothing and shows nothing.
    pub fn ids_of<'s>(&self, paths: impl ExactSizeIterator<Item = Option<&'s str>>) -> Vec<u32> {
        let mut out = Vec::with_capacity(paths.len());
        let mut missing = Vec::new();
        if let Ok(inner) = self.inner.read() {
            for (i, p) in paths.enumerate() {
                match p.and_then(|p| inner.canonical.get(p)) {
                    Some(id) => out.push(*id),
                    None => {
                        out.push(ROOT);
                        if let Some(p) = p {
                            missing.push((i, p));
                        }
                    }
                }
            }
        }
        for (i, p) in missing {
            out[i] = self.intern_canonical(p);
        }
        out
    }

    /// The id of a canonical path, interned when new ([`ROOT`] when `path` is none).
    pub fn intern_canonical(&self, path: &str) -> u32 {
        let Some(segments) = parse_canonical(path) else {
            return ROOT;
        };
        let mut id = ROOT;
        for s in segments {
            id = match s {
                Segment::Key(k) => self.key(id, &k),
                Segment::Index(i) => self.index(id, i),
            };
        }
        id
    }

    /// The statistics of every path some record holds (see [`PathStats`]).
    pub fn stats(&self) -> PathStats {
        let mut paths = Vec::new();
        self.for_each(|id, info| {
            let (records, nested_at_typed) = (self.count(id), self.nested_at_typed(id));
            if records > 0 || nested_at_typed > 0 {
                paths.push(PathStat {
                    path: info.canonical.clone(),
                    records,
                    nested_at_typed,
                });
            }
        });
        PathStats { paths }
    }

    /// Add `stats` (of records read elsewhere: a cache file, another process) to this
    /// catalog's, interning their paths.
    pub fn merge_stats(&self, stats: &PathStats) {
        for p in &stats.paths {
            let id = self.intern_canonical(&p.path);
            if id == ROOT {
                continue;
            }
            self.add_count(id, p.records);
            if p.nested_at_typed > 0 {
                self.add_nested_at_typed(id, p.nested_at_typed);
            }
        }
    }

    /// The chain of segments from the root to `id` (root excluded).
    pub fn segments(&self, id: u32) -> Vec<Segment> {
        let mut out = Vec::new();
        if let Ok(inner) = self.inner.read() {
            let mut cur = id;
            while cur != ROOT {
                let Some(info) = inner.infos.get(cur as usize) else {
                    break;
                };
                out.push(info.segment.clone());
                cur = info.parent;
            }
        }
        out.reverse();
        out
    }

    /// True when `id` is `ancestor` or lies below it.
    pub fn is_within(&self, id: u32, ancestor: u32) -> bool {
        let Ok(inner) = self.inner.read() else {
            return false;
        };
        let mut cur = id;
        loop {
            if cur == ancestor {
                return true;
            }
            if cur == ROOT {
                return false;
            }
            cur = inner.infos[cur as usize].parent;
        }
    }
}

/// A fast, non-cryptographic hasher (the multiply-rotate scheme of rustc's FxHash) for the
/// loader's hot maps: every key of every record is looked up, and the keys are short,
/// trusted-enough strings and integers, so SipHash's flood resistance is not worth its cost.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` with [`FxHasher`].
pub(crate) type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A per-thread front for the [`Catalog`], so the hot path of the loader takes no lock.
pub struct LocalCatalog<'c> {
    catalog: &'c Catalog,
    keys: FxHashMap<u32, FxHashMap<Box<str>, u32>>,
    indices: FxHashMap<(u32, u32), u32>,
    /// Per-id record counts gathered locally; flushed into the catalog by [`Self::flush`].
    counts: Vec<u64>,
    /// Local [`Catalog::nested_at_typed`] counts (few paths: a short list).
    nested_at_typed: Vec<(u32, u64)>,
    /// The key last seen first in the object at path `id` (index `id`), and the key last
    /// seen after path `id` in its object: records of one source repeat their key order,
    /// so [`Self::key_after`] mostly compares one string instead of hashing it.
    first_child: Vec<Option<(Box<str>, u32)>>,
    next_sibling: Vec<Option<(Box<str>, u32)>>,
}

impl<'c> LocalCatalog<'c> {
    /// A new local cache in front of `catalog`.
    pub fn new(catalog: &'c Catalog) -> Self {
        LocalCatalog {
            catalog,
            keys: FxHashMap::default(),
            indices: FxHashMap::default(),
            counts: Vec::new(),
            nested_at_typed: Vec::new(),
            first_child: Vec::new(),
            next_sibling: Vec::new(),
        }
    }

    /// The id of `parent.key`, where `prev` is the id of the key before it in the same
    /// object (`None` for the object's first key): the same id as [`Self::key`], found
    /// from the key order the last record had when it repeats.
    #[inline]
    pub fn key_after(&mut self, parent: u32, prev: Option<u32>, key: &str) -> u32 {
        let (slots, at) = match prev {
            None => (&mut self.first_child, parent as usize),
            Some(p) => (&mut self.next_sibling, p as usize),
        };
        if let Some(Some((k, id))) = slots.get(at)
            && **k == *key
        {
            return *id;
        }
        let id = self.key(parent, key);
        let slots = match prev {
            None => &mut self.first_child,
            Some(_) => &mut self.next_sibling,
        };
        if at >= slots.len() {
            slots.resize_with(at + 1, || None);
        }
        slots[at] = Some((key.into(), id));
        id
    }

    /// The id of `parent.key`.
    #[inline]
    pub fn key(&mut self, parent: u32, key: &str) -> u32 {
        if let Some(id) = self.keys.get(&parent).and_then(|m| m.get(key)) {
            return *id;
        }
        let id = self.catalog.key(parent, key);
        self.keys.entry(parent).or_default().insert(key.into(), id);
        id
    }

    /// The id of `parent[index]`.
    #[inline]
    pub fn index(&mut self, parent: u32, index: u32) -> u32 {
        if let Some(id) = self.indices.get(&(parent, index)) {
            return *id;
        }
        let id = self.catalog.index(parent, index);
        self.indices.insert((parent, index), id);
        id
    }

    /// The array path `id` is an element of, if `id` is an array position (see
    /// [`Catalog::array_of`]; takes the catalog's read lock).
    pub fn array_of(&self, id: u32) -> Option<u32> {
        self.catalog.array_of(id)
    }

    /// The canonical form of path `id` (see [`Catalog::canonical`]; takes the read lock).
    pub fn canonical(&self, id: u32) -> Box<str> {
        self.catalog.canonical(id)
    }

    /// The segments of path `id` (see [`Catalog::segments`]; takes the read lock).
    pub fn segments(&self, id: u32) -> Vec<Segment> {
        self.catalog.segments(id)
    }

    /// Count one more record holding path `id`.
    #[inline]
    pub fn count(&mut self, id: u32) {
        let i = id as usize;
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
    }

    /// Count `n` more records holding path `id`.
    #[inline]
    pub fn count_n(&mut self, id: u32, n: u64) {
        let i = id as usize;
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += n;
    }

    /// The catalog behind this cache.
    pub fn catalog(&self) -> &'c Catalog {
        self.catalog
    }

    /// Count one more record keeping a value at typed path `id` in the nested column.
    #[inline]
    pub fn count_nested_at_typed(&mut self, id: u32) {
        match self.nested_at_typed.iter_mut().find(|(i, _)| *i == id) {
            Some((_, n)) => *n += 1,
            None => self.nested_at_typed.push((id, 1)),
        }
    }

    /// Push the local counts into the shared catalog.
    pub fn flush(&mut self) {
        for (id, n) in self.nested_at_typed.drain(..) {
            self.catalog.add_nested_at_typed(id, n);
        }
        for (id, n) in self.counts.iter_mut().enumerate() {
            if *n > 0 {
                self.catalog.add_count(id as u32, *n);
                *n = 0;
            }
        }
    }
}

impl Drop for LocalCatalog<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_hierarchically_and_displays_paths() {
        let c = Catalog::new();
        let rp = c.key(ROOT, "requestParameters");
        let b = c.key(rp, "bucketName");
        assert_eq!(c.key(rp, "bucketName"), b);
        assert_eq!(c.display(b), "requestParameters.bucketName");
        let res = c.key(ROOT, "resources");
        let r0 = c.index(res, 0);
        let arn = c.key(r0, "ARN");
        assert_eq!(c.display(arn), "resources[0].ARN");
        let odd = c.key(rp, "x.y z");
        assert_eq!(c.display(odd), "requestParameters.`x.y z`");
        assert!(c.is_within(arn, res));
        assert!(!c.is_within(res, arn));
        assert_eq!(c.segments(arn).len(), 3);
    }

    #[test]
    fn for_each_callbacks_may_use_the_catalog_while_a_writer_waits() {
        // The REPL's `\columns` asks for a parent's display inside `for_each`. With the
        // read lock held across the callback, a writer queued meanwhile blocks that second
        // read, and the writer waits on the first: a deadlock.
        let c = std::sync::Arc::new(Catalog::new());
        let a = c.key(ROOT, "a");
        c.key(a, "b");
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = c.clone();
        std::thread::spawn(move || {
            let mut parents = Vec::new();
            reader.for_each(|_, info| {
                let writer = reader.clone();
                let name = format!("new{}", parents.len());
                std::thread::spawn(move || writer.key(ROOT, &name));
                std::thread::sleep(std::time::Duration::from_millis(50));
                parents.push(reader.display(info.parent));
            });
            let _ = tx.send(parents);
        });
        let parents = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("for_each deadlocked with a writer waiting");
        assert_eq!(parents, vec!["".to_string(), "a".to_string()]);
    }

    #[test]
    fn canonical_paths_spell_every_path_once_and_parse_back() {
        let k = |s: &str| Segment::Key(s.into());
        let cases: Vec<(Vec<Segment>, &str)> = vec![
            (vec![k("eventName")], "eventName"),
            (
                vec![k("resources"), Segment::Index(0), k("ARN")],
                "resources[0].ARN",
            ),
            (
                vec![k("a"), Segment::Index(2), Segment::Index(10)],
                "a[2][10]",
            ),
            (vec![k("a"), k("x.y")], r"a.x\.y"),
            (vec![k("a.b")], r"a\.b"),
            (vec![k("a"), k("")], "a."),
            (vec![k(""), k("b")], ".b"),
            (vec![k("a"), k(""), k("b")], "a..b"),
            (vec![k("[0]")], r"\[0]"),
            (vec![k(r"back\slash"), k("`q`")], r"back\\slash.`q`"),
            (vec![k("x"), Segment::Index(1), k("[1]")], r"x[1].\[1]"),
            (vec![k("ünï cødé")], "ünï cødé"),
        ];
        let c = Catalog::new();
        for (segments, text) in &cases {
            assert_eq!(canonical(segments), *text, "{segments:?}");
            assert_eq!(parse_canonical(text).as_ref(), Some(segments), "{text}");
            // Interned the usual way, the catalog gives the same form and finds it again.
            let mut id = ROOT;
            for s in segments {
                id = match s {
                    Segment::Key(key) => c.key(id, key),
                    Segment::Index(i) => c.index(id, *i),
                };
            }
            assert_eq!(&*c.canonical(id), *text);
            assert_eq!(c.intern_canonical(text), id);
        }
        for bad in ["[0]", "a[x]", "a[1", "a\\", "a[0]b"] {
            assert_eq!(parse_canonical(bad), None, "{bad}");
        }
        // A fresh catalog learns paths from a dictionary, in its own id order.
        let d = Catalog::new();
        d.key(ROOT, "other");
        let texts: Vec<Option<&str>> = cases.iter().map(|(_, t)| Some(*t)).collect();
        let ids = d.ids_of(texts.iter().copied());
        for ((segments, _), id) in cases.iter().zip(&ids) {
            assert_eq!(&d.segments(*id), segments);
        }
        assert_eq!(d.ids_of([None, Some("a[x]")].into_iter()), vec![ROOT, ROOT]);
    }

    #[test]
    fn path_statistics_merge_into_a_catalog_with_other_ids() {
        let a = Catalog::new();
        let rp = a.key(ROOT, "requestParameters");
        let bucket = a.key(rp, "bucketName");
        let res = a.key(ROOT, "resources");
        let r1 = a.index(res, 1);
        a.add_count(bucket, 3);
        a.add_count(r1, 2);
        a.add_nested_at_typed(rp, 1);
        let stats = a.stats();
        let json = serde_json::to_string(&stats).unwrap();
        let back: PathStats = serde_json::from_str(&json).unwrap();
        assert_eq!(back, stats);
        // `resources` itself was never counted: only the paths records hold travel.
        assert_eq!(stats.paths.len(), 3, "{json}");

        let b = Catalog::new();
        b.key(ROOT, "zzz");
        b.merge_stats(&back);
        b.merge_stats(&back);
        let id = |c: &Catalog, p: &str| c.intern_canonical(p);
        assert_ne!(id(&b, "requestParameters.bucketName"), bucket);
        assert_eq!(b.count(id(&b, "requestParameters.bucketName")), 6);
        assert_eq!(b.count(id(&b, "resources[1]")), 4);
        assert_eq!(b.nested_at_typed(id(&b, "requestParameters")), 2);
        assert_eq!(b.count(id(&b, "resources")), 0);
    }

    #[test]
    fn local_cache_agrees_with_catalog_and_counts() {
        let c = Catalog::new();
        let mut l = LocalCatalog::new(&c);
        let a = l.key(ROOT, "a");
        let b = l.index(a, 3);
        l.count(b);
        l.count(b);
        l.flush();
        assert_eq!(c.key(ROOT, "a"), a);
        assert_eq!(c.index(a, 3), b);
        assert_eq!(c.count(b), 2);
        assert_eq!(c.display(b), "a[3]");
    }
}
