//! Pipe stages.

use super::{ColumnPath, Expr, Ident, WhereCond};
use crate::Span;

/// One pipe stage (the text between two `|`).
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    /// What the stage does.
    pub kind: StageKind,
    /// The stage text, without the `|`.
    pub span: Span,
}

/// The stages of the language.
#[derive(Clone, Debug, PartialEq)]
pub enum StageKind {
    /// `stats f1 [as n1], … [by c1, …]`: aggregate per group.
    Stats(Stats),
    /// `groupbycount c1, …`: count per group, highest count first.
    GroupByCount(Vec<ColumnPath>),
    /// `count [by c1, …]`: count events (`@q.count`).
    Count {
        /// Group columns; empty for one total.
        by: Vec<ColumnPath>,
    },
    /// `countdistinct(c1, …)`: number of distinct value combinations (`@q.uniq`).
    CountDistinct(Vec<ColumnPath>),
    /// A single aggregate as a stage: `sum(x)`, `avg(x)`, `min(x)`, `max(x)`,
    /// `var(x)`, `percentile(p, x)` (`@q.value`, or `@q.var` for `var`).
    Aggregate(Agg),
    /// `rename a as b, …`
    Rename(Vec<Rename>),
    /// `eval x = expr, …`
    Eval(Vec<Assignment>),
    /// `where cond`
    Where(WhereCond),
    /// `table c1, …`: keep these columns, in this order.
    Table(Vec<ColumnPath>),
    /// `head [n]`: the first n rows (default 10).
    Head(u64),
    /// `tail [n]`: the last n rows (default 10).
    Tail(u64),
    /// Extension: `sort [-]c1, …`.
    Sort(Vec<SortKey>),
    /// Extension: `dedup c1, …`: the first row per key.
    Dedup(Vec<ColumnPath>),
    /// Extension: `top c [n]`: most common values with count and percent.
    Top(TopRare),
    /// Extension: `rare c [n]`: least common values with count and percent.
    Rare(TopRare),
    /// Extension: `timechart [span=1h] f… [by c]`.
    Timechart(Timechart),
}

impl StageKind {
    /// The stage keyword (`stats`, `groupbycount`, …; `sum` etc. for [`StageKind::Aggregate`]).
    pub fn name(&self) -> &'static str {
        match self {
            StageKind::Stats(_) => "stats",
            StageKind::GroupByCount(_) => "groupbycount",
            StageKind::Count { .. } => "count",
            StageKind::CountDistinct(_) => "countdistinct",
            StageKind::Aggregate(agg) => agg.func.name(),
            StageKind::Rename(_) => "rename",
            StageKind::Eval(_) => "eval",
            StageKind::Where(_) => "where",
            StageKind::Table(_) => "table",
            StageKind::Head(_) => "head",
            StageKind::Tail(_) => "tail",
            StageKind::Sort(_) => "sort",
            StageKind::Dedup(_) => "dedup",
            StageKind::Top(_) => "top",
            StageKind::Rare(_) => "rare",
            StageKind::Timechart(_) => "timechart",
        }
    }
}

/// The body of `stats`.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// The aggregates; may be empty when `by` is not.
    pub aggs: Vec<Agg>,
    /// The group columns; empty for one row.
    pub by: Vec<ColumnPath>,
    /// The text after `stats`.
    pub span: Span,
}

/// One aggregate: `sum(bytes) as total`.
#[derive(Clone, Debug, PartialEq)]
pub struct Agg {
    /// The function.
    pub func: AggFunc,
    /// The column arguments (for `percentile`, the column after `p`).
    pub args: Vec<ColumnPath>,
    /// The `as` name, if given.
    pub alias: Option<Ident>,
    /// The aggregate text, alias included.
    pub span: Span,
}

impl Agg {
    /// The output column name: the alias, or the canonical call text (`sum(x)`).
    pub fn output_name(&self) -> String {
        match &self.alias {
            Some(alias) => alias.name.clone(),
            None => self.call_text(),
        }
    }
    /// `sum(x)`, `count()`, `percentile(95, x)`: the canonical call text, without the alias.
    pub fn call_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = format!("{}(", self.func.name());
        if let AggFunc::Percentile(p) = self.func {
            let _ = write!(out, "{p}");
            if !self.args.is_empty() {
                out.push_str(", ");
            }
        }
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{arg}");
        }
        out.push(')');
        out
    }
}

/// An aggregate function.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AggFunc {
    /// `count()` (or bare `count`), optionally `count(x)`: non-null values of x.
    Count,
    /// `countdistinct(x[, y…])`
    CountDistinct,
    /// `sum(x)`
    Sum,
    /// `avg(x)`
    Avg,
    /// `min(x)`
    Min,
    /// `max(x)`
    Max,
    /// `var(x)`: sample variance.
    Var,
    /// `percentile(p, x)` with `p` in `0..=100`.
    Percentile(f64),
    /// Extension: `values(x)`: the distinct values.
    Values,
    /// Extension: `earliest(x)`: x of the first event by time.
    Earliest,
    /// Extension: `latest(x)`: x of the last event by time.
    Latest,
}

impl AggFunc {
    /// Names of every aggregate function, for suggestions.
    pub const NAMES: [&'static str; 11] = [
        "count",
        "countdistinct",
        "sum",
        "avg",
        "min",
        "max",
        "var",
        "percentile",
        "values",
        "earliest",
        "latest",
    ];

    /// The function's name.
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::Count => "count",
            AggFunc::CountDistinct => "countdistinct",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::Var => "var",
            AggFunc::Percentile(_) => "percentile",
            AggFunc::Values => "values",
            AggFunc::Earliest => "earliest",
            AggFunc::Latest => "latest",
        }
    }
}

/// `from as to` in `rename`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rename {
    /// The existing column.
    pub from: ColumnPath,
    /// The new name.
    pub to: ColumnPath,
    /// The `from as to` text.
    pub span: Span,
}

/// `name = expr` in `eval`.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// The computed column.
    pub name: Ident,
    /// Its value.
    pub expr: Expr,
    /// The `name = expr` text.
    pub span: Span,
}

/// One key of `sort`.
#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    /// The column.
    pub path: ColumnPath,
    /// `-col` (or `col desc`): highest first.
    pub descending: bool,
    /// The key text.
    pub span: Span,
}

/// The body of `top` and `rare`.
#[derive(Clone, Debug, PartialEq)]
pub struct TopRare {
    /// The column whose values are counted.
    pub path: ColumnPath,
    /// How many values to keep (default 10), per group of `by`.
    pub limit: u64,
    /// `top c n by d, e`: the values of `c` counted within each group of these.
    pub by: Vec<ColumnPath>,
    /// The text after the stage name.
    pub span: Span,
}

/// The body of `timechart`.
#[derive(Clone, Debug, PartialEq)]
pub struct Timechart {
    /// The bucket width; `None`: one fit to the data's time range (about 100 buckets,
    /// rounded to 1m, 5m, 10m, 30m, 1h, 3h, 12h, 1d or 1w).
    pub bucket: Option<Duration>,
    /// The aggregates per bucket; empty means `count()` only.
    pub aggs: Vec<Agg>,
    /// Extra group columns.
    pub by: Vec<ColumnPath>,
    /// The text after `timechart`.
    pub span: Span,
}

/// A length of time such as `1h` or `30m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Duration {
    /// The length in seconds (at least 1).
    pub seconds: u64,
    /// Where it was written.
    pub span: Span,
}
