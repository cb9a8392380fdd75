//! Resolving a column path of a query against the paths the loaded data really has.
//!
//! A path pattern (`requestParameters.bucketName`, `resources.ARN`, `resources[0].ARN`,
//! `requestParameters.*Name`, `**`) becomes the typed columns and the set of nested path
//! ids it covers. A path through an array without an index covers every element; a path
//! to an object covers every value below it.

use std::collections::BTreeSet;

use trailhunt_cloudtrail::Catalog;
use trailhunt_cloudtrail::catalog::Segment as Concrete;
use trailhunt_cloudtrail::schema::{TYPED, TypedLayout, typed_name};
use trailhunt_lang::ast::{ColumnPath, Segment};

/// What a path pattern covers in the data.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// Typed columns covered (their names).
    pub typed: Vec<String>,
    /// Ids of every path with values covered (typed paths included: a typed field whose
    /// value had an unexpected JSON type is kept in the nested list under its id).
    pub ids: Vec<u32>,
    /// True when some covered value lies below the pattern (the path names an object).
    pub object: bool,
    /// For each id, the depth at which the pattern matched (values below it are
    /// re-nested under the path when an object is shown).
    pub matched_depth: Vec<usize>,
    /// The path passes through an array position it does not name (`resources.ARN`,
    /// not `resources[0].ARN`), or ends at an array of scalars: it has several values
    /// per event. A path naming an object (or a whole array of objects) is one value.
    pub multi: bool,
}

impl Resolved {
    /// Nothing in the data matches.
    pub fn is_empty(&self) -> bool {
        self.typed.is_empty() && self.ids.is_empty()
    }
}

fn glob(pattern: &str, key: &str) -> bool {
    // `*` matches any run of characters inside one key.
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == key;
    }
    let mut rest = key;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(p) else {
                return false;
            };
            rest = r;
        } else if i + 1 == parts.len() {
            return rest.ends_with(p);
        } else {
            match rest.find(p) {
                Some(at) => rest = &rest[at + p.len()..],
                None => return false,
            }
        }
    }
    true
}

/// The shortest prefix length of `concrete` that `pattern` matches in full, if any.
pub(crate) fn match_prefix(pattern: &[Segment], concrete: &[Concrete]) -> Option<usize> {
    match_ends(pattern, concrete).into_iter().min()
}

/// Every prefix length of `concrete` that `pattern` matches in full.
fn match_ends(pattern: &[Segment], concrete: &[Concrete]) -> Vec<usize> {
    // States are (pattern position, concrete position); small inputs, plain search.
    let mut ends = Vec::new();
    let mut stack = vec![(0usize, 0usize)];
    // (pattern, concrete) states; paths are short, so a small list beats a hash set.
    let mut seen: Vec<(usize, usize)> = Vec::new();
    while let Some((p, c)) = stack.pop() {
        if seen.contains(&(p, c)) {
            continue;
        }
        seen.push((p, c));
        if p == pattern.len() {
            ends.push(c);
            // Trailing array positions belong to the matched value.
            continue;
        }
        match &pattern[p] {
            Segment::AnyDepth => {
                stack.push((p + 1, c));
                if c < concrete.len() {
                    stack.push((p, c + 1));
                }
            }
            seg => {
                let Some(cur) = concrete.get(c) else { continue };
                let hit = match (seg, cur) {
                    (Segment::Key(k), Concrete::Key(ck)) => k.as_str() == &**ck,
                    (Segment::Pattern(g), Concrete::Key(ck)) => glob(g, ck),
                    (Segment::AnyKey, Concrete::Key(_)) => true,
                    (Segment::Index(i), Concrete::Index(ci)) => *i == u64::from(*ci),
                    _ => false,
                };
                if hit {
                    stack.push((p + 1, c + 1));
                }
                // An array position the pattern does not name: any element matches.
                if matches!(cur, Concrete::Index(_)) && !matches!(seg, Segment::Index(_)) {
                    stack.push((p, c + 1));
                }
            }
        }
    }
    ends
}

/// Every path of a loaded data set with its steps and count, taken from the catalog once
/// (the catalog no longer changes after loading) so that resolving costs no locking.
#[derive(Debug, Default)]
pub struct PathIndex {
    segs: Vec<Vec<Concrete>>,
    counts: Vec<u64>,
}

impl PathIndex {
    /// Snapshot `catalog`.
    pub fn new(catalog: &Catalog) -> Self {
        let mut ids = Vec::new();
        catalog.for_each(|id, _| ids.push(id));
        let n = ids.iter().copied().max().map_or(1, |m| m as usize + 1);
        let mut segs = vec![Vec::new(); n];
        let mut counts = vec![0; n];
        for id in ids {
            segs[id as usize] = catalog.segments(id);
            counts[id as usize] = catalog.count(id);
        }
        PathIndex { segs, counts }
    }

    /// The steps of path `id`.
    pub fn segments(&self, id: u32) -> &[Concrete] {
        self.segs.get(id as usize).map_or(&[], Vec::as_slice)
    }
}

/// Resolve `path` against the data's catalog.
pub fn resolve(path: &ColumnPath, catalog: &Catalog, layout: &TypedLayout) -> Resolved {
    resolve_in(path, &PathIndex::new(catalog), layout)
}

/// Resolve `path` against a snapshot of the catalog.
pub fn resolve_in(path: &ColumnPath, index: &PathIndex, layout: &TypedLayout) -> Resolved {
    let mut out = Resolved::default();
    let mut typed = BTreeSet::new();
    for (id, segs) in index.segs.iter().enumerate() {
        let id = id as u32;
        if id == 0 || index.counts[id as usize] == 0 {
            continue;
        }
        let Some(depth) = match_prefix(&path.segments, segs) else {
            continue;
        };
        let below = segs[depth..].iter().any(|s| matches!(s, Concrete::Key(_)));
        out.object |= below;
        // Every `[n]` of the pattern consumes one array position; any other position on
        // the way to the value (or under a value that is an array) is one more value.
        let named = path
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Index(_)))
            .count();
        let positions = segs
            .iter()
            .filter(|s| matches!(s, Concrete::Index(_)))
            .count();
        out.multi |= !below && positions > named;
        if let Some(t) = layout.typed(id) {
            typed.insert(t);
        }
        out.ids.push(id);
        out.matched_depth.push(depth);
    }
    out.typed = typed.into_iter().map(typed_name).collect();
    out.multi &= !out.object;
    out
}

/// The keys of a concrete path, array positions left out (`resources[0].ARN` →
/// `resources`, `ARN`).
fn keys_of(segs: &[Concrete]) -> Vec<String> {
    segs.iter()
        .filter_map(|s| match s {
            Concrete::Key(k) => Some(k.to_string()),
            Concrete::Index(_) => None,
        })
        .collect()
}

/// The paths a wildcard pattern (`userIdentity.*`, `requestParameters.*Name`, `**`)
/// stands for in the data, each as its keys (array positions left out, so every element
/// of an array is one multi-valued path), sorted by their dotted name. A pattern ending
/// in `**` names the leaves below it; otherwise each path ends where the pattern does
/// (`userIdentity.*` gives `userIdentity.sessionContext`, an object).
pub fn expand(path: &ColumnPath, index: &PathIndex) -> Vec<Vec<String>> {
    let to_leaf = matches!(path.segments.last(), Some(Segment::AnyDepth));
    let mut set: BTreeSet<(String, Vec<String>)> = BTreeSet::new();
    for (id, segs) in index.segs.iter().enumerate() {
        if id == 0 || index.counts[id] == 0 {
            continue;
        }
        let Some(depth) = match_prefix(&path.segments, segs) else {
            continue;
        };
        let keys = keys_of(if to_leaf { segs } else { &segs[..depth] });
        if keys.is_empty() {
            continue;
        }
        set.insert((keys.join("."), keys));
    }
    set.into_iter().map(|(_, k)| k).collect()
}

/// Does the wildcard pattern `path` name the column called `name` (a dotted name of
/// the rows after an aggregation or a `table`)?
pub fn names_column(path: &ColumnPath, name: &str) -> bool {
    let segs: Vec<Concrete> = name.split('.').map(|k| Concrete::Key(k.into())).collect();
    match_ends(&path.segments, &segs).contains(&segs.len())
}

/// Every known path, without array positions, for suggestions and listings.
pub fn known_paths(catalog: &Catalog) -> Vec<String> {
    let mut set = BTreeSet::new();
    catalog.for_each(|id, info| {
        if catalog.count(id) > 0 {
            set.insert(info.display_no_index.clone());
        }
    });
    for i in 0..TYPED.len() {
        set.insert(typed_name(i));
    }
    set.into_iter().collect()
}

/// "did you mean" for an unknown path: a case-insensitive match first, then the closest
/// known path by edit distance.
pub fn suggest(path: &str, known: &[String], extra: &[&str]) -> Option<String> {
    let mut all: Vec<&str> = known.iter().map(String::as_str).collect();
    all.extend_from_slice(extra);
    if let Some(exact) = all.iter().find(|k| k.eq_ignore_ascii_case(path)) {
        return Some((*exact).to_string());
    }
    trailhunt_lang::suggest::did_you_mean(path, &all).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailhunt_cloudtrail::catalog::ROOT;

    fn path(s: &str) -> ColumnPath {
        let q = trailhunt_lang::parse_query(&format!("* | table {s}")).unwrap();
        match &q.stages[0].kind {
            trailhunt_lang::ast::StageKind::Table(cols) => cols[0].clone(),
            _ => unreachable!(),
        }
    }

    fn catalog() -> (Catalog, TypedLayout) {
        let c = Catalog::new();
        let layout = TypedLayout::register(&c);
        let rp = c.key(ROOT, "requestParameters");
        for k in ["bucketName", "key", "roleName"] {
            let id = c.key(rp, k);
            c.add_count(id, 1);
        }
        let res = c.key(ROOT, "resources");
        for i in 0..2 {
            let e = c.index(res, i);
            let arn = c.key(e, "ARN");
            c.add_count(arn, 1);
        }
        let arn = layout.id(21);
        c.add_count(arn, 1);
        (c, layout)
    }

    #[test]
    fn arrays_wildcards_and_objects() {
        let (c, l) = catalog();
        assert_eq!(resolve(&path("resources.ARN"), &c, &l).ids.len(), 2);
        assert_eq!(resolve(&path("resources[1].ARN"), &c, &l).ids.len(), 1);
        let obj = resolve(&path("requestParameters"), &c, &l);
        assert!(obj.object);
        assert_eq!(obj.ids.len(), 3);
        let pat = resolve(&path("requestParameters.*Name"), &c, &l);
        assert_eq!(pat.ids.len(), 2);
        assert!(!pat.object);
        assert_eq!(resolve(&path("**"), &c, &l).ids.len(), 6);
        let typed = resolve(&path("userIdentity.arn"), &c, &l);
        assert_eq!(typed.typed, vec!["userIdentity.arn".to_string()]);
        assert!(resolve(&path("requestParameters.nope"), &c, &l).is_empty());
    }

    #[test]
    fn array_paths_are_multi_valued_and_wildcards_expand() {
        let (c, l) = catalog();
        let idx = PathIndex::new(&c);
        // Through the array without an index: several values; with one: one value.
        assert!(resolve(&path("resources.ARN"), &c, &l).multi);
        assert!(!resolve(&path("resources[1].ARN"), &c, &l).multi);
        // The whole array (an object per element) is one JSON value.
        assert!(!resolve(&path("resources"), &c, &l).multi);
        assert!(!resolve(&path("requestParameters.bucketName"), &c, &l).multi);
        let names = |p: &str| -> Vec<String> {
            expand(&path(p), &idx)
                .into_iter()
                .map(|k| k.join("."))
                .collect()
        };
        assert_eq!(
            names("requestParameters.*"),
            [
                "requestParameters.bucketName",
                "requestParameters.key",
                "requestParameters.roleName"
            ]
        );
        assert_eq!(
            names("*"),
            ["requestParameters", "resources", "userIdentity"]
        );
        assert_eq!(names("resources.**"), ["resources.ARN"]);
        assert_eq!(names("**.ARN"), ["resources.ARN"]);
        assert!(names("nope.*").is_empty());
        assert!(names_column(&path("@q.*"), "@q.count"));
        assert!(!names_column(&path("@q.*"), "eventName"));
        assert!(names_column(&path("**"), "a.b"));
    }

    #[test]
    fn suggestions_prefer_case_differences() {
        let (c, _) = catalog();
        let known = known_paths(&c);
        assert_eq!(
            suggest("eventname", &known, &[]).as_deref(),
            Some("eventName")
        );
        assert_eq!(
            suggest("requestParameters.bucketNam", &known, &[]).as_deref(),
            Some("requestParameters.bucketName")
        );
    }
}
