//! Lowering a parsed query into a DataFusion `LogicalPlan`, one step per stage.
//!
//! The plan starts from a scan of the loaded events. While rows are still events (no
//! aggregation yet), column paths resolve against the data's catalog: typed columns
//! directly, nested paths through `th_get`/`th_match` on the nested-values column. After
//! an aggregation, names resolve against the columns the previous stage produced.

mod expr;
mod filter;
mod stages;
mod timechart;

pub use timechart::{TimechartFacts, auto_span};

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::common::{Column, DFSchemaRef};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, lit};
use trailhunt_cloudtrail::Catalog;
use trailhunt_cloudtrail::schema::{self, TYPED, TypedLayout, typed_name};
use trailhunt_lang::ast::{ColumnPath, Query, Segment};
use trailhunt_lang::{ParseError, Span};

use crate::order::ORDER;
use crate::pathsel::PathSel;
use crate::resolve::{PathIndex, Resolved, expand, known_paths, names_column, resolve_in, suggest};
use crate::udf::{GetMode, GetSpec, GetUdf};

/// A planning error: a place in the query, what is wrong, and how to fix it.
pub type PlanError = ParseError;

pub(crate) type PResult<T> = Result<T, PlanError>;

/// An unqualified column reference (names hold dots and capitals: never parse them).
pub fn ident(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

/// Turn a DataFusion error met while planning into an error at `span`.
pub(crate) fn df_err(span: Span, e: datafusion::error::DataFusionError) -> PlanError {
    let msg = e.to_string();
    let msg = msg.strip_prefix("Error during planning: ").unwrap_or(&msg);
    ParseError::new(span, format!("cannot plan this: {msg}"))
}

/// Special names every event has (LANGUAGE.md §1).
pub(crate) fn special(name: &str) -> Option<Expr> {
    Some(match name {
        "timestamp" | "@scnr.datetime" => ident(schema::TIMESTAMP),
        "@scnr.time_ns" => datafusion::logical_expr::cast(
            ident(schema::TIMESTAMP),
            datafusion::arrow::datatypes::DataType::Int64,
        ),
        "@scnr.source_type" | "%ingest.source_type" => lit("aws:cloudtrail"),
        "@index" => datafusion::logical_expr::cast(
            ident(schema::SOURCE),
            datafusion::arrow::datatypes::DataType::Utf8,
        ),
        _ => return None,
    })
}

/// The plan being built, and what kind of rows it yields.
pub(crate) struct State {
    pub b: LogicalPlanBuilder,
    /// Rows are still whole events (the nested column and the catalog apply).
    pub events: bool,
    /// Rows have an order a later `head`/`tail` should keep.
    pub ordered: bool,
    /// A later `tail` or `dedup` needs each row's place in the order as `__pos`.
    pub needs_pos: bool,
}

impl State {
    pub fn schema(&self) -> &DFSchemaRef {
        self.b.schema()
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.schema()
            .fields()
            .iter()
            .any(|f| f.name() == name && name != schema::KV)
    }

    /// The columns a query sees (not the nested column nor the planner's own).
    pub fn columns(&self) -> Vec<String> {
        self.schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .filter(|n| !matches!(n.as_str(), schema::KV | POS | ORDER | RN))
            .collect()
    }
}

/// The values of a column for grouping (see [`Planner::values`]).
pub(crate) enum Values {
    /// One value per row.
    One(Expr),
    /// A list of values per row (null when the row has none).
    Many(Expr),
}

/// The column holding each row's place in the current order (planner-internal).
pub(crate) const POS: &str = "__pos";

/// The column `dedup` numbers the rows of each key in (planner-internal).
pub(crate) const RN: &str = "__rn";

/// Where a field test looks.
pub(crate) struct Targets {
    /// Columns (or expressions) holding the values.
    pub args: Vec<Expr>,
    /// Nested paths, when the nested column may hold values for the path.
    pub kv_ids: Option<Arc<PathSel>>,
    /// The target is the event time (ranges compare times).
    pub time: bool,
    /// Free text: every nested value is a target too.
    pub all_nested: bool,
}

/// Plans queries over one loaded data set.
pub struct Planner<'a> {
    catalog: &'a Arc<Catalog>,
    layout: &'a TypedLayout,
    index: &'a PathIndex,
    loaded: HashSet<String>,
    /// Paths no event has, met while planning: each is a warning, not an error.
    warnings: std::cell::RefCell<Vec<(String, ParseError)>>,
    /// Keep the order key in output events (to fill their windows afterwards).
    keep_order: bool,
    /// The catalog holds every path of the data (loaded data, or a cache that primed
    /// it): what it does not say is not there.
    complete: bool,
    /// What the data says about each `timechart` (by the place of its text).
    timecharts: std::collections::HashMap<Span, TimechartFacts>,
}

/// How a path no event has is used (the warning says what it does to the query).
#[derive(Clone, Copy)]
enum Use {
    /// In a filter: the test matches nothing.
    Filter,
    /// As a value (`eval`, `table`, `stats`, `sort`…): it is null in every row.
    Value,
}

/// Is `name` a field CloudTrail defines (CLOUDTRAIL.md)? Data that happens to lack one
/// still has it in principle: a filter on it matches nothing rather than failing as a
/// typo would.
fn is_standard_field(name: &str) -> bool {
    match name.strip_prefix("userIdentity.") {
        Some(sub) => schema::USER_IDENTITY_FIELDS.contains(&sub),
        None => schema::RECORD_FIELDS.contains(&name),
    }
}

/// The canonical name of a path as a column (`userIdentity.arn`, `@q.count`).
pub(crate) fn path_name(p: &ColumnPath) -> String {
    p.dotted().unwrap_or_else(|| p.to_string())
}

impl<'a> Planner<'a> {
    /// A planner for data described by `catalog` and `layout`.
    pub fn new(catalog: &'a Arc<Catalog>, layout: &'a TypedLayout, index: &'a PathIndex) -> Self {
        let loaded = schema::table_schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        Planner {
            catalog,
            layout,
            index,
            loaded,
            warnings: Default::default(),
            keep_order: false,
            complete: false,
            timecharts: Default::default(),
        }
    }

    /// What the data says about the query's `timechart`s (their buckets and columns):
    /// without it, a `timechart` plans its rows as they group (enough for a check).
    pub fn timecharts(mut self, facts: std::collections::HashMap<Span, TimechartFacts>) -> Self {
        self.timecharts = facts;
        self
    }

    pub(crate) fn timechart_facts(
        &self,
        tc: &trailhunt_lang::ast::Timechart,
    ) -> Option<TimechartFacts> {
        self.timecharts.get(&tc.span).cloned()
    }

    /// The catalog holds every path of the data (see `complete`): a test on a typed
    /// column then reads the nested column only when some record keeps a value of that
    /// path there.
    pub fn complete(mut self, complete: bool) -> Self {
        self.complete = complete;
        self
    }

    /// Keep the hidden order key ([`ORDER`]) as the last column when the output is events.
    pub fn keep_order(mut self, keep: bool) -> Self {
        self.keep_order = keep;
        self
    }

    /// The warnings of the plans built so far (paths no event has), in the order met,
    /// one per path; the planner's list is emptied.
    pub fn take_warnings(&self) -> Vec<ParseError> {
        std::mem::take(&mut *self.warnings.borrow_mut())
            .into_iter()
            .map(|(_, w)| w)
            .collect()
    }

    /// Build the plan of `query` on top of `scan` (the events, already time-restricted).
    pub fn plan(&self, query: &Query, scan: LogicalPlanBuilder) -> PResult<LogicalPlan> {
        let mut st = State {
            b: scan,
            events: true,
            ordered: false,
            needs_pos: query.stages.iter().any(|s| {
                matches!(
                    s.kind,
                    trailhunt_lang::ast::StageKind::Tail(_)
                        | trailhunt_lang::ast::StageKind::Dedup(_)
                )
            }),
        };
        let pred = self.filter(&st, &query.filter)?;
        if !matches!(pred, Expr::Literal(ref v, _) if v == &datafusion::common::ScalarValue::Boolean(Some(true)))
        {
            st.b =
                st.b.filter(pred)
                    .map_err(|e| df_err(query.filter.span, e))?;
        }
        for stage in &query.stages {
            st = self.stage(st, stage)?;
        }
        if st.events && !st.ordered {
            st = self.event_order(st, query.span)?;
        }
        let keep_order = self.keep_order && st.events;
        let internal: Vec<&str> = [POS, ORDER]
            .into_iter()
            .filter(|c| st.has_column(c) && !(keep_order && *c == ORDER))
            .collect();
        if !internal.is_empty() {
            st = self.drop_columns(st, &internal, query.span)?;
        }
        st.b.build().map_err(|e| df_err(query.span, e))
    }

    /// Events in event order (time, `eventID`, source file, place in the file: the
    /// engine's [`ORDER`] column), so output never depends on load order or partitions.
    pub(crate) fn event_order(&self, st: State, span: Span) -> PResult<State> {
        self.sorted(st, vec![ident(ORDER).sort(true, false)], span)
    }

    /// A path no event has, while rows are events: matches nothing / is null, with a
    /// warning naming it (and a "did you mean" when a known path is close).
    fn absent(&self, st: &State, p: &ColumnPath, how: Use) {
        let name = path_name(p);
        let mut warnings = self.warnings.borrow_mut();
        if warnings.iter().any(|(n, _)| *n == name) {
            return;
        }
        let what = match how {
            Use::Filter => "a test on it matches nothing",
            Use::Value => "its value is null in every row",
        };
        let mut w = self.unknown(st, p);
        w.message = format!("no event has `{name}`: {what}");
        warnings.push((name, w));
    }

    fn unknown(&self, st: &State, p: &ColumnPath) -> PlanError {
        let name = path_name(p);
        if st.events {
            let extra: Vec<String> = st
                .columns()
                .into_iter()
                .filter(|c| !self.loaded.contains(c))
                .collect();
            let mut extra_refs: Vec<&str> = extra.iter().map(String::as_str).collect();
            extra_refs.extend([
                "timestamp",
                "entity_id",
                "account_id",
                "window_id",
                "window_index",
                "@index",
                "@scnr.datetime",
            ]);
            let mut e =
                ParseError::new(p.span, format!("unknown column `{name}`: no event has it"));
            e = match suggest(&name, &known_paths(self.catalog), &extra_refs).filter(|s| *s != name) {
                Some(s) => e.help(format!("did you mean `{s}`?")),
                None => e.help("`trailhunt columns PATH...` (or `\\columns` in the REPL) lists the columns the data has, with their types and counts"),
            };
            e
        } else {
            let cols = st.columns();
            let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
            let e = ParseError::new(
                p.span,
                format!("unknown column `{name}` at this point of the query"),
            );
            match suggest(&name, &[], &refs) {
                Some(s) => e.help(format!(
                    "did you mean `{s}`? the columns here are: {}",
                    cols.join(", ")
                )),
                None => e.help(format!("the columns here are: {}", cols.join(", "))),
            }
        }
    }

    /// Resolve a path of the events in the catalog. A path no event has resolves to
    /// nothing (it matches nothing, its value is null), with a warning unless it is a
    /// field CloudTrail defines: the data may lack what a query or rule looks for, and
    /// Splunk and Scanner answer such a search too.
    fn resolved(&self, st: &State, p: &ColumnPath, how: Use) -> Resolved {
        let mut r = resolve_in(p, self.index, self.layout);
        if r.is_empty() {
            let name = path_name(p);
            if self.is_typed(&name) {
                r.typed.push(name);
                return r;
            }
            if !is_standard_field(&name) {
                self.absent(st, p, how);
            }
        }
        r
    }

    /// An expression for the value of column `p` in the current rows.
    pub(crate) fn column(&self, st: &State, p: &ColumnPath) -> PResult<Expr> {
        let name = path_name(p);
        if st.events {
            if let Some(e) = special(&name) {
                return Ok(e);
            }
            if st.has_column(&name) {
                return Ok(ident(&name));
            }
            let r = self.resolved(st, p, Use::Value);
            return Ok(self.get(&name, p, &r, GetMode::First));
        }
        if st.has_column(&name) {
            return Ok(ident(&name));
        }
        if matches!(p.segments.first(), Some(Segment::Key(k)) if k == "@q") {
            return Err(ParseError::new(
                p.span,
                format!("`{name}` does not exist here"),
            )
            .help("`@q.count` and friends exist after `stats`, `groupbycount`, `count` and the aggregate stages"));
        }
        Err(self.unknown(st, p))
    }

    /// The values of column `p` for grouping: one value per row, or — for a path through
    /// an array without an index (`resources.ARN`) — the list of the row's values, which
    /// the stage unnests so that a row counts under each of its values.
    pub(crate) fn values(&self, st: &State, p: &ColumnPath) -> PResult<Values> {
        if let Some(r) = self.multi(st, p)? {
            return Ok(Values::Many(self.get(&path_name(p), p, &r, GetMode::List)));
        }
        Ok(Values::One(self.column(st, p)?))
    }

    /// The value of column `p` for display (`table`): a multi-valued path shows every
    /// value of the row (one value as itself, several as a JSON array).
    pub(crate) fn display(&self, st: &State, p: &ColumnPath) -> PResult<Expr> {
        match self.multi(st, p)? {
            Some(r) => Ok(self.get(&path_name(p), p, &r, GetMode::Display)),
            None => match self.as_written(st, p) {
                Some(e) => Ok(e),
                None => self.column(st, p),
            },
        }
    }

    /// For a typed column some records keep in the nested column (a boolean written as
    /// `"True"`, a number in a text column): its values as the records wrote them. The
    /// typed column alone would show `true`, or nothing, for those.
    fn as_written(&self, st: &State, p: &ColumnPath) -> Option<Expr> {
        let name = path_name(p);
        if !st.events || !st.has_column(&name) || p.has_wildcard() {
            return None;
        }
        let i = TYPED.iter().position(|(pp, _)| pp.join(".") == name)?;
        let id = self.layout.id(i);
        if self.catalog.nested_at_typed(id) == 0 {
            return None;
        }
        let spec = GetSpec {
            ids: self.sel(p),
            object: false,
            typed_rel: vec![Vec::new()],
            mode: GetMode::AsWritten,
        };
        Some(GetUdf::call(
            &name,
            spec,
            ident(schema::KV),
            vec![ident(&name)],
        ))
    }

    /// How `p` resolves when it is a multi-valued path of the events.
    fn multi(&self, st: &State, p: &ColumnPath) -> PResult<Option<Resolved>> {
        let name = path_name(p);
        if !st.events || special(&name).is_some() || st.has_column(&name) {
            return Ok(None);
        }
        let r = self.resolved(st, p, Use::Value);
        Ok(r.multi.then_some(r))
    }

    /// One element of a multi-valued path, to show in help (`resources[0].ARN`).
    pub(crate) fn one_element(&self, st: &State, p: &ColumnPath) -> Option<String> {
        let r = self.multi(st, p).ok()??;
        let id = *r.ids.first()?;
        Some(self.catalog.display(id))
    }

    /// `p` must name columns, not a wildcard (`by`, `dedup`, `top`…: `what`).
    pub(crate) fn no_wildcard(&self, st: &State, p: &ColumnPath, what: &str) -> PResult<()> {
        if !p.has_wildcard() {
            return Ok(());
        }
        let names: Vec<String> = self
            .expand_paths(st, p)
            .into_iter()
            .map(|c| c.raw)
            .collect();
        let e = ParseError::new(
            p.span,
            format!(
                "`{what}` needs named columns, and `{}` is a wildcard",
                p.raw
            ),
        );
        Err(match names.len() {
            0 => e.help(format!(
                "name the columns to use; `{}` matches no column of the data",
                p.raw
            )),
            n => {
                let shown: Vec<&str> = names.iter().take(4).map(String::as_str).collect();
                let more = if n > 4 {
                    format!(" (and {} more: `table {}` shows them all)", n - 4, p.raw)
                } else {
                    String::new()
                };
                e.help(format!(
                    "name the columns, e.g. `{what} {}`{more}",
                    shown.join(", ")
                ))
            }
        })
    }

    /// The columns a wildcard path stands for here, as plain paths: paths of the data's
    /// catalog while rows are events (sorted by name; computed columns whose name matches
    /// follow), else the current columns it matches, in their order.
    pub(crate) fn expand_paths(&self, st: &State, p: &ColumnPath) -> Vec<ColumnPath> {
        let plain = |keys: Vec<String>| ColumnPath {
            raw: keys.join("."),
            segments: keys.into_iter().map(Segment::Key).collect(),
            span: p.span,
        };
        let split = |c: String| plain(c.split('.').map(str::to_string).collect());
        let computed: Vec<String> = st
            .columns()
            .into_iter()
            .filter(|c| {
                c != POS && !c.starts_with("__") && (!st.events || !self.loaded.contains(c))
            })
            .filter(|c| names_column(p, c))
            .collect();
        if !st.events {
            return computed.into_iter().map(split).collect();
        }
        let mut out: Vec<ColumnPath> = expand(p, self.index).into_iter().map(plain).collect();
        for c in computed {
            if !out.iter().any(|o| o.raw == c) {
                out.push(split(c));
            }
        }
        out
    }

    /// Is `name` one of the typed CloudTrail columns?
    fn is_typed(&self, name: &str) -> bool {
        TYPED.iter().any(|(pp, _)| pp.join(".") == name)
    }

    /// The nested paths `p` covers, found as the data is read.
    pub(crate) fn sel(&self, p: &ColumnPath) -> Arc<PathSel> {
        Arc::new(PathSel::new(
            p.segments.clone(),
            self.catalog.clone(),
            self.layout.clone(),
        ))
    }

    /// The value of a resolved nested path.
    fn get(&self, label: &str, p: &ColumnPath, r: &Resolved, mode: GetMode) -> Expr {
        if !r.object && r.typed.len() == 1 && !p.has_wildcard() && r.ids.len() == 1 {
            return ident(&r.typed[0]);
        }
        let mut typed_rel = Vec::new();
        let mut typed_args = Vec::new();
        for t in &r.typed {
            let Some(i) = TYPED.iter().position(|(pp, _)| pp.join(".") == *t) else {
                continue;
            };
            let segs = self.catalog.segments(self.layout.id(i));
            let depth = crate::resolve::match_prefix(&p.segments, &segs).unwrap_or(0);
            typed_rel.push(segs[depth.min(segs.len())..].to_vec());
            typed_args.push(ident(&typed_name(i)));
        }
        // Typed values are read from their columns; the nested list only holds a typed
        // path when its value had an unexpected JSON type.
        let spec = GetSpec {
            ids: self.sel(p),
            object: r.object,
            typed_rel,
            mode,
        };
        GetUdf::call(label, spec, ident(schema::KV), typed_args)
    }

    /// Where a filter on `p` looks.
    pub(crate) fn targets(&self, st: &State, p: &ColumnPath) -> PResult<Targets> {
        let name = path_name(p);
        let plain = |e: Expr| Targets {
            args: vec![e],
            kv_ids: None,
            time: false,
            all_nested: false,
        };
        if matches!(name.as_str(), "timestamp" | "@scnr.datetime")
            && st.has_column(schema::TIMESTAMP)
        {
            return Ok(Targets {
                args: vec![ident(schema::TIMESTAMP)],
                kv_ids: None,
                time: true,
                all_nested: false,
            });
        }
        if st.events {
            if let Some(e) = special(&name) {
                return Ok(plain(e));
            }
            // Derived and computed columns are plain; catalog paths (typed included)
            // also look in the nested column.
            if st.has_column(&name) && !self.is_typed(&name) {
                return Ok(plain(ident(&name)));
            }
            let r = self.resolved(st, p, Use::Filter);
            let sel = self.sel(p);
            // A typed path no record keeps nested is all in its column.
            let kv_ids = if self.complete && !r.typed.is_empty() && sel.only_typed_columns() {
                None
            } else {
                Some(sel)
            };
            return Ok(Targets {
                args: r.typed.iter().map(|t| ident(t)).collect(),
                kv_ids,
                time: false,
                all_nested: false,
            });
        }
        if st.has_column(&name) {
            return Ok(plain(ident(&name)));
        }
        Err(self.unknown(st, p))
    }

    /// All columns free text searches.
    pub(crate) fn text_targets(&self, st: &State) -> Targets {
        if st.events {
            let mut args: Vec<Expr> = (0..TYPED.len()).map(|i| ident(&typed_name(i))).collect();
            for c in st.columns() {
                if !self.loaded.contains(&c) {
                    args.push(ident(&c));
                }
            }
            return Targets {
                args,
                kv_ids: None,
                time: false,
                all_nested: true,
            };
        }
        Targets {
            args: st.columns().iter().map(|c| ident(c)).collect(),
            kv_ids: None,
            time: false,
            all_nested: false,
        }
    }
}
