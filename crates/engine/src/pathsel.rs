//! The nested path ids a path pattern covers, found lazily as the catalog grows.
//!
//! A streaming scan interns paths while it decodes, so when a query is planned the
//! catalog may not hold them yet. Functions that read nested values therefore carry the
//! *pattern* (`resources.ARN`, `requestParameters.*Name`), not ids: before each batch they
//! extend their id set with the paths interned since the last batch (every path of a
//! batch is in the catalog before the batch exists). Equality and hash come from the
//! pattern alone, so a plan made before the scan and one made after compare equal when
//! the data did not change what they mean.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use trailhunt_cloudtrail::Catalog;
use trailhunt_cloudtrail::catalog::Segment as Concrete;
use trailhunt_cloudtrail::schema::TypedLayout;
use trailhunt_lang::ast::Segment;

use crate::resolve::match_prefix;

/// A lazily resolved set of path ids.
pub struct PathSel {
    pattern: Vec<Segment>,
    catalog: Arc<Catalog>,
    layout: TypedLayout,
    snap: Mutex<Arc<Snapshot>>,
}

impl std::fmt::Debug for PathSel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PathSel({:?})", self.pattern)
    }
}

impl PartialEq for PathSel {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern && Arc::ptr_eq(&self.catalog, &other.catalog)
    }
}
impl Eq for PathSel {}
impl Hash for PathSel {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.pattern.hash(state);
    }
}

/// The ids matched up to some length of the catalog.
#[derive(Debug, Default)]
pub struct Snapshot {
    upto: usize,
    bits: Vec<u64>,
    /// Matched ids that are not typed columns.
    untyped: usize,
    /// Matched ids of typed columns (their values are in the nested list only when of an
    /// unexpected JSON type).
    typed: Vec<u32>,
    /// Each matched id's path below the pattern (for showing an object).
    rel: HashMap<u32, Vec<Concrete>>,
}

impl Snapshot {
    /// Is `id` covered?
    #[inline]
    pub fn contains(&self, id: u32) -> bool {
        let i = id as usize;
        self.bits
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// The path of `id` below the pattern.
    pub fn rel(&self, id: u32) -> &[Concrete] {
        self.rel.get(&id).map_or(&[], Vec::as_slice)
    }
}

impl PathSel {
    /// The catalog the pattern resolves in.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The ids `pattern` covers in `catalog`.
    pub fn new(pattern: Vec<Segment>, catalog: Arc<Catalog>, layout: TypedLayout) -> Self {
        PathSel {
            pattern,
            catalog,
            layout,
            snap: Mutex::new(Arc::new(Snapshot::default())),
        }
    }

    /// The ids covered now (extended with every path interned since the last call).
    pub fn snap(&self) -> Arc<Snapshot> {
        let mut guard = self.snap.lock().unwrap_or_else(|p| p.into_inner());
        let len = self.catalog.len();
        if guard.upto >= len {
            return guard.clone();
        }
        let old = guard.clone();
        let mut s = Snapshot {
            upto: len,
            bits: old.bits.clone(),
            untyped: old.untyped,
            typed: old.typed.clone(),
            rel: old.rel.clone(),
        };
        s.bits.resize(len.div_ceil(64), 0);
        for id in old.upto.max(1)..len {
            let id = id as u32;
            let segs = self.catalog.segments(id);
            let Some(depth) = match_prefix(&self.pattern, &segs) else {
                continue;
            };
            s.bits[id as usize / 64] |= 1 << (id as usize % 64);
            if self.layout.typed(id).is_some() {
                s.typed.push(id);
            } else {
                s.untyped += 1;
            }
            let below = segs[depth.min(segs.len())..].to_vec();
            if !below.is_empty() {
                s.rel.insert(id, below);
            }
        }
        let s = Arc::new(s);
        *guard = s.clone();
        s
    }

    /// True when every path covered now is a typed column's, and no record keeps a value
    /// of one in the nested column: the typed columns alone hold the values.
    pub fn only_typed_columns(&self) -> bool {
        let s = self.snap();
        s.untyped == 0
            && s.typed
                .iter()
                .all(|&t| self.catalog.nested_at_typed(t) == 0)
    }

    /// True when no nested value can be covered now: no path but typed ones, and those
    /// never held a value of an unexpected type (so the nested list need not be read).
    pub fn nothing_nested(&self, s: &Snapshot) -> bool {
        s.untyped == 0 && s.typed.iter().all(|&t| self.catalog.count(t) == 0)
    }
}
