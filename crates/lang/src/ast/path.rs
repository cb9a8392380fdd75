//! Column paths and identifiers.

use crate::Span;

/// A column reference: `userIdentity.arn`, `resources[0].ARN`, `` `x-amz-id-2` ``,
/// `requestParameters.*Name`, `**`, `@q.count`, `%ingest.source_type`.
///
/// Special columns (`@q.count`, `@scnr.datetime`, `%ingest.source_type`, `@index`, …)
/// are ordinary paths whose first key starts with `@` or `%`; the planner maps them.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnPath {
    /// The segments, at least one.
    pub segments: Vec<Segment>,
    /// The path exactly as written in the query.
    pub raw: String,
    /// Where the path was written.
    pub span: Span,
}

/// One level of a [`ColumnPath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// An object key (`arn`, or a backtick-quoted `` `x-amz-id-2` ``).
    Key(String),
    /// A key pattern with `*` wildcards matching key names (`*Name`).
    Pattern(String),
    /// `[n]`: one array element.
    Index(u64),
    /// `*`: any single key.
    AnyKey,
    /// `**`: any number of levels (including none).
    AnyDepth,
}

impl ColumnPath {
    /// The first segment's key, if it is a plain key (e.g. `@q` in `@q.count`).
    pub fn first_key(&self) -> Option<&str> {
        match self.segments.first() {
            Some(Segment::Key(k)) => Some(k),
            _ => None,
        }
    }

    /// The keys joined by `.` when every segment is a plain key (`@q.count`,
    /// `userIdentity.arn`); `None` when the path has an index or a wildcard.
    pub fn dotted(&self) -> Option<String> {
        let mut out = String::new();
        for (i, seg) in self.segments.iter().enumerate() {
            let Segment::Key(k) = seg else { return None };
            if i > 0 {
                out.push('.');
            }
            out.push_str(k);
        }
        Some(out)
    }

    /// Whether any segment is a wildcard (`*`, `**`, or a key pattern).
    pub fn has_wildcard(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s, Segment::Pattern(_) | Segment::AnyKey | Segment::AnyDepth))
    }
}

/// A name introduced by the query: an alias (`as total`) or an `eval` target.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    /// The name, backticks removed.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}
