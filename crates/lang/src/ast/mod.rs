//! The abstract syntax tree of a query.
//!
//! A [`Query`] is a [`Filter`] followed by pipe [`Stage`]s. Every node carries a
//! [`Span`] into the query text. Equality is structural and includes spans; use
//! [`Query::without_spans`] to compare the shape of two queries only.

mod expr;
mod path;
mod stage;
mod strip;

pub use expr::{BinOp, Call, Expr, ExprKind, Func, UnaryOp, WhereCond};
pub use path::{ColumnPath, Ident, Segment};
pub use stage::{
    Agg, AggFunc, Assignment, Duration, Rename, SortKey, Stage, StageKind, Stats, Timechart,
    TopRare,
};

use crate::Span;

/// A whole query: one filter, then zero or more pipe stages.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The filter before the first `|`; [`FilterKind::MatchAll`] when empty or `*`.
    pub filter: Filter,
    /// The stages, in order.
    pub stages: Vec<Stage>,
    /// The whole query text.
    pub span: Span,
}

/// A boolean condition on one event.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    /// What the filter tests.
    pub kind: FilterKind,
    /// The text of the filter (parentheses around it excluded).
    pub span: Span,
}

/// The forms a [`Filter`] takes.
#[derive(Clone, Debug, PartialEq)]
pub enum FilterKind {
    /// Every event matches (an empty filter or a lone `*`).
    MatchAll,
    /// All of the filters match (`a and b`, or juxtaposed `a b`). At least two items.
    And(Vec<Filter>),
    /// Any of the filters matches (`a or b`). At least two items.
    Or(Vec<Filter>),
    /// The filter does not match (`not a`).
    Not(Box<Filter>),
    /// Free text: some column, at any depth, contains the value.
    Text(Value),
    /// A test on one column (`col: v`, `col = v`, `col > 5`, `col: *`, …).
    Field(FieldFilter),
}

/// A test on one column: `path op value`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldFilter {
    /// The column.
    pub path: ColumnPath,
    /// The operator between column and value.
    pub op: Op,
    /// What the column is tested against.
    pub value: FieldValue,
    /// The whole `path op value` text.
    pub span: Span,
}

/// The operator of a [`FieldFilter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `:` — the column contains the value (token match, or substring for `"…"`).
    Contains,
    /// `=` — the column equals the value as a whole (or numerically).
    Eq,
    /// `<` — numeric less-than.
    Lt,
    /// `<=` — numeric less-or-equal.
    Le,
    /// `>` — numeric greater-than.
    Gt,
    /// `>=` — numeric greater-or-equal.
    Ge,
    /// `~` — **extension**: some value of the column matches the regular expression
    /// (the `regex` crate's syntax, unanchored, case-sensitive unless `(?i)`). The
    /// value is one [`ValuePart::Text`] holding the pattern.
    Regex,
}

impl Op {
    /// The operator as written in canonical query text.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Contains => ":",
            Op::Eq => "=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Regex => "~",
        }
    }

    /// Whether this is a numeric range operator (`<`, `<=`, `>`, `>=`).
    pub fn is_range(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }
}

/// The right-hand side of a [`FieldFilter`].
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// A single value: `col: foo`, `col = "x"`, `col > 5`.
    Value(Value),
    /// `col: *` or `col = *`: the column exists and is not null. The span covers the `*`.
    Exists(Span),
    /// `col = null` or `col: null` (a bare `null`, any case): the record writes the key with a
    /// JSON `null`. `col: * or col = null` is "the key is present, be it null". The span covers
    /// the word.
    Null(Span),
    /// `col = (a b "c")`: any of the values (space-separated means *or*).
    List(ValueList),
    /// `col: ("x" and 'y')`: the column applies to each value of a boolean group.
    Group(ValueGroup),
}

/// A parenthesized, space-separated list of values; the column matches any of them.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueList {
    /// The values, at least one.
    pub values: Vec<Value>,
    /// The text from `(` to `)`.
    pub span: Span,
}

/// A boolean combination of values, all tested against one column.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueGroup {
    /// The shape of the group.
    pub kind: ValueGroupKind,
    /// The text of this node.
    pub span: Span,
}

/// The forms a [`ValueGroup`] takes.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueGroupKind {
    /// Every item matches. At least two items.
    And(Vec<ValueGroup>),
    /// Any item matches (`or`, or juxtaposition inside a group). At least two items.
    Or(Vec<ValueGroup>),
    /// The item does not match.
    Not(Box<ValueGroup>),
    /// One value.
    Value(Value),
}

/// How a value was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quote {
    /// A bare word: token match, ASCII case-insensitive.
    Bare,
    /// `'single quoted'`: token match, ASCII case-insensitive.
    Single,
    /// `"double quoted"`: case-sensitive substring (or whole value with `=`).
    Double,
}

/// One piece of a value pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ValuePart {
    /// Literal text (escapes already resolved; a `\*` is a literal `*` here).
    Text(String),
    /// An unescaped `*`: matches any run of characters. Never two in a row.
    Wildcard,
}

/// A value in a filter: literal text with optional wildcards.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    /// The pattern: literal pieces and wildcards, in order. Adjacent texts are merged.
    pub parts: Vec<ValuePart>,
    /// How the value was quoted.
    pub quote: Quote,
    /// The value as written, quotes included.
    pub span: Span,
}

impl Value {
    /// Whether the value holds an unescaped `*`.
    pub fn has_wildcard(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, ValuePart::Wildcard))
    }

    /// The literal text, when the value has no wildcard.
    pub fn literal(&self) -> Option<String> {
        if self.has_wildcard() {
            return None;
        }
        Some(self.text())
    }

    /// The text with wildcards shown as `*` (lossy: a literal `*` looks the same).
    pub fn text(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                ValuePart::Text(t) => out.push_str(t),
                ValuePart::Wildcard => out.push('*'),
            }
        }
        out
    }

    /// The number a bare value spells (`42`, `-1.5`, `1e3`); `None` otherwise.
    ///
    /// Quoted values are text and never numbers.
    pub fn as_number(&self) -> Option<f64> {
        if self.quote != Quote::Bare {
            return None;
        }
        let text = self.literal()?;
        if crate::lexical::is_number_literal(&text) {
            text.parse().ok()
        } else {
            None
        }
    }

    /// `Some(true)`/`Some(false)` for a bare `true`/`false` (any case).
    pub fn as_bool(&self) -> Option<bool> {
        if self.quote != Quote::Bare {
            return None;
        }
        let text = self.literal()?;
        if text.eq_ignore_ascii_case("true") {
            Some(true)
        } else if text.eq_ignore_ascii_case("false") {
            Some(false)
        } else {
            None
        }
    }
}

impl Filter {
    /// A filter matching every event, with an empty span at `at`.
    pub fn match_all(at: usize) -> Filter {
        Filter {
            kind: FilterKind::MatchAll,
            span: Span::empty(at),
        }
    }
}
