//! One planning step per pipe stage (LANGUAGE.md §3).

use datafusion::arrow::datatypes::DataType;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::{
    Expr, ExprFunctionExt, ExprSchemable, SortExpr, WindowFunctionDefinition, lit, when,
};
use datafusion::scalar::ScalarValue;
use trailhunt_lang::ParseError;
use trailhunt_lang::ast::{Agg, AggFunc, ColumnPath, Stage, StageKind, WhereCond};

use super::{POS, PResult, Planner, RN, State, Values, df_err, ident, path_name};
use crate::order::ORDER;
use crate::percentile::ExactPercentile;
use crate::udf::HelperUdf;

/// The count column every aggregation has.
pub const COUNT: &str = "@q.count";

impl Planner<'_> {
    pub(crate) fn stage(&self, st: State, stage: &Stage) -> PResult<State> {
        let span = stage.span;
        match &stage.kind {
            StageKind::Stats(s) => {
                if s.aggs.is_empty() && s.by.is_empty() {
                    return Err(ParseError::new(
                        span,
                        "`stats` needs at least one aggregate or a `by` clause",
                    )
                    .help("e.g. `stats count() by eventName`"));
                }
                let (st, group) = self.group(st, &s.by, "by", span)?;
                self.aggregate(st, group, &s.aggs, true, span)
            }
            StageKind::GroupByCount(cols) => {
                let (st, group) = self.group(st, cols, "groupbycount", span)?;
                let st = self.aggregate(st, group, &[], true, span)?;
                let mut keys = vec![ident(COUNT).sort(false, false)];
                keys.extend(cols.iter().map(|c| ident(&path_name(c)).sort(true, false)));
                self.sorted(st, keys, span)
            }
            StageKind::Count { by } => {
                let (st, group) = self.group(st, by, "count by", span)?;
                self.aggregate(st, group, &[], true, span)
            }
            StageKind::CountDistinct(cols) => {
                // Each value of a multi-valued path counts: unnest them first.
                let (st, group) = self.group(st, cols, "countdistinct", span)?;
                let args: Vec<Expr> = group.into_iter().map(|(e, _)| e).collect();
                let x = if args.len() == 1 {
                    args.into_iter().next().unwrap_or(lit(ScalarValue::Null))
                } else {
                    HelperUdf::key(args)
                };
                let mut st = st;
                st.b =
                    st.b.aggregate(
                        Vec::<Expr>::new(),
                        vec![agg::count_distinct(x).alias("@q.uniq")],
                    )
                    .map_err(|e| df_err(span, e))?;
                st.events = false;
                st.ordered = true;
                Ok(st)
            }
            StageKind::Aggregate(a) => {
                let name = if matches!(a.func, AggFunc::Var) {
                    "@q.var"
                } else {
                    "@q.value"
                };
                let renamed = Agg {
                    alias: Some(trailhunt_lang::ast::Ident {
                        name: name.into(),
                        span: a.span,
                    }),
                    ..a.clone()
                };
                self.aggregate(st, Vec::new(), std::slice::from_ref(&renamed), false, span)
            }
            StageKind::Rename(renames) => {
                let mut st = st;
                let mut out: Vec<Expr> = Vec::new();
                let mut drop: Vec<String> = Vec::new();
                for r in renames {
                    let e = self.column(&st, &r.from)?;
                    let to = path_name(&r.to);
                    if let Expr::Column(c) = &e {
                        drop.push(c.name.clone());
                    }
                    drop.push(to.clone());
                    out.push(e.alias(to));
                }
                let mut keep: Vec<Expr> = st
                    .schema()
                    .fields()
                    .iter()
                    .filter(|f| !drop.contains(f.name()))
                    .map(|f| ident(f.name()))
                    .collect();
                keep.extend(out);
                st.b = st.b.project(keep).map_err(|e| df_err(span, e))?;
                Ok(st)
            }
            StageKind::Eval(assignments) => {
                let mut st = st;
                for a in assignments {
                    let e = self.expr(&st, &a.expr)?;
                    let mut cols: Vec<Expr> = st
                        .schema()
                        .fields()
                        .iter()
                        .filter(|f| f.name() != &a.name.name)
                        .map(|f| ident(f.name()))
                        .collect();
                    cols.push(e.alias(&a.name.name));
                    st.b = st.b.project(cols).map_err(|e| df_err(a.span, e))?;
                }
                Ok(st)
            }
            StageKind::Where(cond) => {
                let pred = match cond {
                    WhereCond::Filter(f) => self.filter(&st, f)?,
                    WhereCond::Expr(e) => {
                        let x = self.expr(&st, e)?;
                        let t = x.get_type(st.schema().as_ref()).unwrap_or(DataType::Null);
                        if t != DataType::Boolean && t != DataType::Null {
                            return Err(ParseError::new(
                                e.span,
                                format!("`where` needs a condition, and this is a {t} value"),
                            )
                            .help("compare it with something, e.g. `where n > 20` or `where x == \"y\"`"));
                        }
                        x
                    }
                };
                let mut st = st;
                st.b = st.b.filter(pred).map_err(|e| df_err(span, e))?;
                Ok(st)
            }
            StageKind::Table(cols) => {
                let mut st = self.ordered_events(st, span)?;
                let mut exprs = Vec::new();
                let mut names: Vec<String> = Vec::new();
                for c in cols {
                    // A wildcard is one column per path it matches; a column named
                    // twice shows once, where it first appears.
                    let paths = if c.has_wildcard() {
                        let found = self.expand_paths(&st, c);
                        if found.is_empty() {
                            // Like a path no event has: a warning while rows are events,
                            // an error where the columns are known exactly.
                            if !st.events {
                                return Err(self.matches_nothing(&st, c));
                            }
                            self.wildcard_absent(&st, c);
                        }
                        found
                    } else {
                        vec![c.clone()]
                    };
                    for p in paths {
                        let name = path_name(&p);
                        if names.contains(&name) {
                            continue;
                        }
                        exprs.push(self.display(&st, &p)?.alias(&name));
                        names.push(name);
                    }
                }
                if exprs.is_empty() {
                    let first = cols.first().ok_or_else(|| {
                        ParseError::new(span, "`table` needs at least one column")
                    })?;
                    return Err(self.matches_nothing(&st, first));
                }
                for internal in [POS, ORDER] {
                    if st.has_column(internal) {
                        exprs.push(ident(internal));
                    }
                }
                st.b = st.b.project(exprs).map_err(|e| df_err(span, e))?;
                st.events = false;
                Ok(st)
            }
            StageKind::Head(n) => {
                let mut st = self.ordered_events(st, span)?;
                st.b =
                    st.b.limit(0, Some(*n as usize))
                        .map_err(|e| df_err(span, e))?;
                Ok(st)
            }
            StageKind::Tail(n) => self.tail(st, *n, span),
            StageKind::Sort(keys) => {
                let sorts = keys
                    .iter()
                    .map(|k| Ok(self.column(&st, &k.path)?.sort(!k.descending, false)))
                    .collect::<PResult<Vec<_>>>()?;
                self.sorted(st, sorts, span)
            }
            StageKind::Dedup(cols) => self.dedup(st, cols, span),
            StageKind::Top(t) if !t.by.is_empty() => {
                self.top_by(st, &t.path, t.limit, &t.by, true, span)
            }
            StageKind::Rare(t) if !t.by.is_empty() => {
                self.top_by(st, &t.path, t.limit, &t.by, false, span)
            }
            StageKind::Top(t) => self.top(st, &t.path, t.limit, true, span),
            StageKind::Rare(t) => self.top(st, &t.path, t.limit, false, span),
            StageKind::Timechart(tc) => self.timechart(st, tc, span),
        }
    }

    /// The group keys of `by` (named by their paths). A multi-valued path is unnested
    /// first, so a row counts under each of its values (and once under null when it has
    /// none); several multi-valued paths give every combination.
    pub(super) fn group(
        &self,
        st: State,
        by: &[ColumnPath],
        what: &str,
        span: trailhunt_lang::Span,
    ) -> PResult<(State, Vec<(Expr, String)>)> {
        let mut group = Vec::new();
        let mut lists = Vec::new();
        for p in by {
            self.no_wildcard(&st, p, what)?;
            match self.values(&st, p)? {
                Values::One(e) => group.push((e, path_name(p))),
                Values::Many(e) => {
                    let tmp = format!("__mv{}", lists.len());
                    group.push((ident(&tmp), path_name(p)));
                    lists.push((e, tmp));
                }
            }
        }
        let st = self.unnest(st, lists, span)?;
        Ok((st, group))
    }

    /// Add each list as a column under its name, then give one row per value of each
    /// (a row with no value keeps one row, with null).
    fn unnest(
        &self,
        mut st: State,
        lists: Vec<(Expr, String)>,
        span: trailhunt_lang::Span,
    ) -> PResult<State> {
        if lists.is_empty() {
            return Ok(st);
        }
        let mut cols: Vec<Expr> = st
            .schema()
            .fields()
            .iter()
            .map(|f| ident(f.name()))
            .collect();
        cols.extend(lists.iter().map(|(e, n)| e.clone().alias(n)));
        st.b = st.b.project(cols).map_err(|e| df_err(span, e))?;
        for (_, n) in &lists {
            st.b =
                st.b.unnest_column(datafusion::common::Column::new_unqualified(n))
                    .map_err(|e| df_err(span, e))?;
        }
        st.ordered = false;
        Ok(st)
    }

    /// Sort the rows, ties broken by [`ORDER`] (event order on events, the group keys
    /// after an aggregation) so the order is total. When a later stage needs row
    /// positions, number the rows in this order (a window with an explicit order:
    /// DataFusion keeps no order otherwise).
    pub(crate) fn sorted(
        &self,
        mut st: State,
        mut keys: Vec<SortExpr>,
        span: trailhunt_lang::Span,
    ) -> PResult<State> {
        let tie = ident(ORDER);
        if st.has_column(ORDER) && !keys.iter().any(|k| k.expr == tie) {
            keys.push(tie.sort(true, false));
        }
        if st.needs_pos && st.has_column(POS) {
            st = self.drop_columns(st, &[POS], span)?;
        }
        st.b = st.b.sort(keys.clone()).map_err(|e| df_err(span, e))?;
        if st.needs_pos {
            let rn = row_number()
                .order_by(keys)
                .build()
                .map_err(|e| df_err(span, e))?;
            st = self.window(st, vec![rn.alias(POS)], span)?;
            st.b =
                st.b.sort(vec![ident(POS).sort(true, false)])
                    .map_err(|e| df_err(span, e))?;
        }
        st.ordered = true;
        Ok(st)
    }

    /// Events get their time order before a stage that depends on row order.
    fn ordered_events(&self, st: State, span: trailhunt_lang::Span) -> PResult<State> {
        if st.events && !st.ordered {
            self.event_order(st, span)
        } else {
            Ok(st)
        }
    }

    /// Aggregate per group; `with_count` adds `@q.count`. Groups come out sorted by key.
    pub(super) fn aggregate(
        &self,
        mut st: State,
        group: Vec<(Expr, String)>,
        aggs: &[Agg],
        with_count: bool,
        span: trailhunt_lang::Span,
    ) -> PResult<State> {
        let mut aggr: Vec<Expr> = Vec::new();
        let mut post: Vec<Expr> = group.iter().map(|(_, n)| ident(n)).collect();
        if with_count {
            aggr.push(agg::count(lit(1i64)).alias(COUNT));
            post.push(ident(COUNT));
        }
        for (i, a) in aggs.iter().enumerate() {
            let name = a.output_name();
            if with_count
                && a.alias.is_none()
                && matches!(a.func, AggFunc::Count)
                && a.args.is_empty()
            {
                continue; // `count()` without a name is `@q.count`
            }
            let tmp = |k: &str| format!("__a{i}_{k}");
            let path = |j: usize| -> PResult<&ColumnPath> {
                a.args.get(j).ok_or_else(|| {
                    ParseError::new(a.span, format!("`{}` needs a column", a.func.name()))
                })
            };
            // Every value of a multi-valued path (`count`, `countdistinct`, `values`).
            let arg_values = |j: usize| -> PResult<Values> {
                let p = path(j)?;
                self.no_wildcard(&st, p, a.func.name())?;
                self.values(&st, p)
            };
            // One value per row: a multi-valued path is an error, not its first value.
            let arg = |j: usize| -> PResult<Expr> {
                match arg_values(j)? {
                    Values::One(e) => Ok(e),
                    Values::Many(_) => Err(self.not_one_value(&st, a, path(j)?)),
                }
            };
            let ty = |e: &Expr| e.get_type(st.schema().as_ref()).unwrap_or(DataType::Null);
            let num = |e: Expr| {
                if ty(&e).is_integer() || ty(&e).is_floating() {
                    e
                } else {
                    HelperUdf::num(e)
                }
            };
            let out = match a.func {
                AggFunc::Count => {
                    // A multi-valued path counts the rows that have a value.
                    let e = if a.args.is_empty() {
                        agg::count(lit(1i64))
                    } else {
                        match arg_values(0)? {
                            Values::One(e) | Values::Many(e) => agg::count(e),
                        }
                    };
                    aggr.push(e.alias(tmp("v")));
                    ident(&tmp("v"))
                }
                AggFunc::CountDistinct => {
                    let args = (0..a.args.len())
                        .map(arg_values)
                        .collect::<PResult<Vec<_>>>()?;
                    if args.iter().any(|v| matches!(v, Values::Many(_))) {
                        // Every value (or combination) of every row: gathered, then counted.
                        let mut lists: Vec<Expr> = args
                            .into_iter()
                            .map(|v| match v {
                                Values::One(e) | Values::Many(e) => e,
                            })
                            .collect();
                        let x = if lists.len() == 1 {
                            lists.remove(0)
                        } else {
                            HelperUdf::keys(lists)
                        };
                        aggr.push(agg::array_agg(x).alias(tmp("v")));
                        HelperUdf::ndistinct(ident(&tmp("v")))
                    } else {
                        let args: Vec<Expr> = args
                            .into_iter()
                            .map(|v| match v {
                                Values::One(e) | Values::Many(e) => e,
                            })
                            .collect();
                        let x = if args.len() == 1 {
                            args.into_iter().next().unwrap_or(lit(ScalarValue::Null))
                        } else {
                            HelperUdf::key(args)
                        };
                        aggr.push(agg::count_distinct(x).alias(tmp("v")));
                        ident(&tmp("v"))
                    }
                }
                AggFunc::Sum => {
                    aggr.push(agg::sum(num(arg(0)?)).alias(tmp("v")));
                    ident(&tmp("v"))
                }
                AggFunc::Avg => {
                    aggr.push(agg::avg(num(arg(0)?)).alias(tmp("v")));
                    ident(&tmp("v"))
                }
                AggFunc::Var => {
                    aggr.push(agg::var_sample(num(arg(0)?)).alias(tmp("v")));
                    ident(&tmp("v"))
                }
                AggFunc::Percentile(p) => {
                    let x = num(arg(0)?);
                    aggr.push(ExactPercentile::call(p, x).alias(tmp("v")));
                    ident(&tmp("v"))
                }
                AggFunc::Min | AggFunc::Max => {
                    let x = arg(0)?;
                    let is_min = matches!(a.func, AggFunc::Min);
                    let f = |e: Expr| if is_min { agg::min(e) } else { agg::max(e) };
                    let t = ty(&x);
                    if matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) {
                        // Numbers stored as text compare as numbers; other text as text.
                        aggr.push(f(HelperUdf::num(x.clone())).alias(tmp("n")));
                        aggr.push(agg::count(HelperUdf::num(x.clone())).alias(tmp("c")));
                        aggr.push(f(x).alias(tmp("s")));
                        when(
                            ident(&tmp("c")).gt(lit(0i64)),
                            HelperUdf::fmt_num(ident(&tmp("n"))),
                        )
                        .otherwise(ident(&tmp("s")))
                        .map_err(|e| df_err(a.span, e))?
                    } else {
                        aggr.push(f(x).alias(tmp("v")));
                        ident(&tmp("v"))
                    }
                }
                AggFunc::Values => {
                    // `th_values` takes each value of a multi-valued path's lists.
                    let x = match arg_values(0)? {
                        Values::One(e) | Values::Many(e) => e,
                    };
                    aggr.push(agg::array_agg(x).alias(tmp("v")));
                    HelperUdf::values(ident(&tmp("v")))
                }
                AggFunc::Earliest | AggFunc::Latest => {
                    if !st.events {
                        return Err(ParseError::new(
                            a.span,
                            format!("`{}` needs events (it orders them by time)", a.func.name()),
                        ));
                    }
                    // Event order: time, then eventID, source file and place in it.
                    let order = vec![ident(ORDER).sort(true, false)];
                    let x = arg(0)?;
                    let e = if matches!(a.func, AggFunc::Earliest) {
                        agg::first_value(x, order)
                    } else {
                        agg::last_value(x, order)
                    };
                    aggr.push(e.alias(tmp("v")));
                    ident(&tmp("v"))
                }
            };
            if post.iter().any(|p| p.schema_name().to_string() == name) {
                return Err(
                    ParseError::new(a.span, format!("the column `{name}` is named twice"))
                        .help("give one of them another name with `as`"),
                );
            }
            post.push(out.alias(name));
        }
        let group_exprs: Vec<Expr> = group.iter().map(|(e, n)| e.clone().alias(n)).collect();
        let sort: Vec<SortExpr> = group
            .iter()
            .map(|(_, n)| ident(n).sort(true, false))
            .collect();
        st.b =
            st.b.aggregate(group_exprs, aggr)
                .and_then(|b| b.project(post))
                .map_err(|e| df_err(span, e))?;
        st.events = false;
        st.ordered = false;
        if sort.is_empty() {
            return Ok(st);
        }
        // Groups are unique by their keys: numbering them by all the keys, in order,
        // gives later sorts a total tie-breaker that survives `table` and `rename`.
        let rank = row_number()
            .order_by(sort)
            .build()
            .map_err(|e| df_err(span, e))?;
        let st = self.window(st, vec![rank.alias(ORDER)], span)?;
        self.sorted(st, vec![ident(ORDER).sort(true, false)], span)
    }

    fn window(
        &self,
        mut st: State,
        exprs: Vec<Expr>,
        span: trailhunt_lang::Span,
    ) -> PResult<State> {
        st.b = st.b.window(exprs).map_err(|e| df_err(span, e))?;
        Ok(st)
    }

    pub(crate) fn drop_columns(
        &self,
        mut st: State,
        names: &[&str],
        span: trailhunt_lang::Span,
    ) -> PResult<State> {
        let keep: Vec<Expr> = st
            .schema()
            .fields()
            .iter()
            .filter(|f| !names.contains(&f.name().as_str()))
            .map(|f| ident(f.name()))
            .collect();
        st.b = st.b.project(keep).map_err(|e| df_err(span, e))?;
        Ok(st)
    }

    /// The position of each row in the current order, as `__pos`.
    fn positions(&self, st: State, span: trailhunt_lang::Span) -> PResult<State> {
        let st = self.ordered_events(st, span)?;
        if st.has_column(POS) {
            return Ok(st);
        }
        // Rows that were never sorted: their tie-breaking order if they have one (else
        // they are one aggregate row, and any numbering will do).
        let mut rn = row_number();
        if st.has_column(ORDER) {
            rn = rn
                .order_by(vec![ident(ORDER).sort(true, false)])
                .build()
                .map_err(|e| df_err(span, e))?;
        }
        self.window(st, vec![rn.alias(POS)], span)
    }

    fn tail(&self, st: State, n: u64, span: trailhunt_lang::Span) -> PResult<State> {
        let mut st = self.positions(st, span)?;
        st.b =
            st.b.sort(vec![ident(POS).sort(false, false)])
                .and_then(|b| b.limit(0, Some(n as usize)))
                .and_then(|b| b.sort(vec![ident(POS).sort(true, false)]))
                .map_err(|e| df_err(span, e))?;
        st.ordered = true;
        // `__pos` stays: a later `tail` or `dedup` numbers rows by it.
        Ok(st)
    }

    /// Keep the first row per key. With a multi-valued path, a row is kept when it is
    /// the first for one of its values (once, however many).
    fn dedup(&self, st: State, cols: &[ColumnPath], span: trailhunt_lang::Span) -> PResult<State> {
        let st = self.positions(st, span)?;
        let (st, group) = self.group(st, cols, "dedup", span)?;
        let multi: Vec<String> = group
            .iter()
            .filter_map(|(e, _)| match e {
                Expr::Column(c) if c.name.starts_with("__mv") => Some(c.name.clone()),
                _ => None,
            })
            .collect();
        let keys: Vec<Expr> = group.into_iter().map(|(e, _)| e).collect();
        let first = row_number()
            .partition_by(keys)
            .order_by(vec![ident(POS).sort(true, false)])
            .build()
            .map_err(|e| df_err(span, e))?;
        let mut st = self.window(st, vec![first.alias(RN)], span)?;
        st.b =
            st.b.filter(ident(RN).eq(lit(1u64)))
                .map_err(|e| df_err(span, e))?;
        let mut drop = vec![RN];
        if !multi.is_empty() {
            // A row first for several of its values is still one row.
            let once = row_number()
                .partition_by(vec![ident(POS)])
                .order_by(vec![ident(POS).sort(true, false)])
                .build()
                .map_err(|e| df_err(span, e))?;
            st = self.window(st, vec![once.alias("__once")], span)?;
            st.b =
                st.b.filter(ident("__once").eq(lit(1u64)))
                    .map_err(|e| df_err(span, e))?;
            drop.push("__once");
            drop.extend(multi.iter().map(String::as_str));
        }
        st.b =
            st.b.sort(vec![ident(POS).sort(true, false)])
                .map_err(|e| df_err(span, e))?;
        st.ordered = true;
        self.drop_columns(st, &drop, span)
    }

    /// The error for an aggregate that needs one value per row given a multi-valued path.
    pub(crate) fn not_one_value(&self, st: &State, a: &Agg, p: &ColumnPath) -> ParseError {
        let f = a.func.name();
        let e = ParseError::new(
            p.span,
            format!(
                "`{f}` needs one value per event, and `{}` has several (it goes through an array)",
                p.raw
            ),
        );
        match self.one_element(st, p) {
            Some(one) => e.help(format!(
                "name one element, e.g. `{f}({one})`; `values`, `countdistinct` and `by` take every value"
            )),
            None => e.help("name one array element with `[n]`; `values`, `countdistinct` and `by` take every value"),
        }
    }

    /// The warning for a wildcard in `table` that matches no path of the events.
    fn wildcard_absent(&self, st: &State, p: &ColumnPath) {
        let mut warnings = self.warnings.borrow_mut();
        if warnings.iter().any(|(n, _)| *n == p.raw) {
            return;
        }
        let mut w = self.matches_nothing(st, p);
        w.message = format!(
            "no event has a path matching `{}`: it adds no column",
            p.raw
        );
        warnings.push((p.raw.clone(), w));
    }

    /// The error for a wildcard in `table` that matches no column.
    fn matches_nothing(&self, st: &State, p: &ColumnPath) -> ParseError {
        let e = ParseError::new(p.span, format!("`{}` matches no column here", p.raw));
        if st.events {
            e.help(
                "`trailhunt columns PATH...` (or `\\columns` in the REPL) lists the columns the data has, with their types and counts",
            )
        } else {
            e.help(format!("the columns here are: {}", st.columns().join(", ")))
        }
    }

    /// `top c n by d…`: within each group of `by`, the `n` most (or least) common
    /// values of `c`, each with its count and its percent of the group's events.
    /// Rows come by group, then by count.
    fn top_by(
        &self,
        st: State,
        col: &ColumnPath,
        n: u64,
        by: &[ColumnPath],
        most: bool,
        span: trailhunt_lang::Span,
    ) -> PResult<State> {
        let name = path_name(col);
        let what = if most { "top" } else { "rare" };
        self.no_wildcard(&st, col, what)?;
        if let Some(p) = by.iter().find(|p| path_name(p) == name) {
            return Err(ParseError::new(
                p.span,
                format!(
                    "`{what}` counts `{name}` within groups of it: give another column after `by`"
                ),
            ));
        }
        // One row per value of each multi-valued `by` column, then the events of each
        // group counted before `c`'s values are.
        let (st, groups) = self.group(st, by, what, span)?;
        let events = Expr::from(WindowFunction::new(
            WindowFunctionDefinition::AggregateUDF(
                datafusion::functions_aggregate::count::count_udaf(),
            ),
            vec![lit(1i64)],
        ))
        .partition_by(groups.iter().map(|(e, _)| e.clone()).collect())
        .build()
        .map_err(|e| df_err(span, e))?;
        let mut st = self.window(st, vec![events.alias("__events")], span)?;
        let value = match self.values(&st, col)? {
            Values::One(e) => e,
            Values::Many(e) => {
                st = self.unnest(st, vec![(e, "__mvtop".to_string())], span)?;
                ident("__mvtop")
            }
        };
        let mut keys: Vec<Expr> = groups.iter().map(|(e, n)| e.clone().alias(n)).collect();
        keys.push(value.alias(&name));
        st.b =
            st.b.aggregate(
                keys,
                vec![
                    agg::count(lit(1i64)).alias(COUNT),
                    agg::max(ident("__events")).alias("__total"),
                ],
            )
            .map_err(|e| df_err(span, e))?;
        st.events = false;
        let rank = row_number()
            .partition_by(groups.iter().map(|(_, n)| ident(n)).collect())
            .order_by(vec![
                ident(COUNT).sort(!most, false),
                ident(&name).sort(true, false),
            ])
            .build()
            .map_err(|e| df_err(span, e))?;
        st = self.window(st, vec![rank.alias("__rank")], span)?;
        st.b =
            st.b.filter(ident("__rank").lt_eq(lit(n as i64)))
                .map_err(|e| df_err(span, e))?;
        let percent = (datafusion::logical_expr::cast(ident(COUNT), DataType::Float64)
            * lit(100.0)
            / datafusion::logical_expr::cast(ident("__total"), DataType::Float64))
        .alias("percent");
        let mut cols: Vec<Expr> = groups.iter().map(|(_, n)| ident(n)).collect();
        cols.extend([ident(&name), ident(COUNT), percent]);
        st.b = st.b.project(cols).map_err(|e| df_err(span, e))?;
        let mut sort: Vec<SortExpr> = groups
            .iter()
            .map(|(_, n)| ident(n).sort(true, false))
            .collect();
        sort.push(ident(COUNT).sort(!most, false));
        sort.push(ident(&name).sort(true, false));
        self.sorted(st, sort, span)
    }

    fn top(
        &self,
        st: State,
        col: &ColumnPath,
        n: u64,
        most: bool,
        span: trailhunt_lang::Span,
    ) -> PResult<State> {
        let name = path_name(col);
        let what = if most { "top" } else { "rare" };
        self.no_wildcard(&st, col, what)?;
        let mut st = match self.values(&st, col)? {
            Values::One(e) => {
                let st = self.aggregate(st, vec![(e, name.clone())], &[], true, span)?;
                let total = Expr::from(WindowFunction::new(
                    WindowFunctionDefinition::AggregateUDF(
                        datafusion::functions_aggregate::sum::sum_udaf(),
                    ),
                    vec![ident(COUNT)],
                ));
                self.window(st, vec![total.alias("__total")], span)?
            }
            Values::Many(_) => {
                // The percent of events having each value: count the events before
                // each one is counted under each of its values.
                let events = Expr::from(WindowFunction::new(
                    WindowFunctionDefinition::AggregateUDF(
                        datafusion::functions_aggregate::count::count_udaf(),
                    ),
                    vec![lit(1i64)],
                ));
                let st = self.window(st, vec![events.alias("__events")], span)?;
                let (mut st, group) = self.group(st, std::slice::from_ref(col), what, span)?;
                let group: Vec<Expr> = group.into_iter().map(|(e, n)| e.alias(n)).collect();
                st.b =
                    st.b.aggregate(
                        group,
                        vec![
                            agg::count(lit(1i64)).alias(COUNT),
                            agg::max(ident("__events")).alias("__total"),
                        ],
                    )
                    .map_err(|e| df_err(span, e))?;
                st.events = false;
                st
            }
        };
        let percent = (datafusion::logical_expr::cast(ident(COUNT), DataType::Float64)
            * lit(100.0)
            / datafusion::logical_expr::cast(ident("__total"), DataType::Float64))
        .alias("percent");
        let mut cols = vec![ident(&name), ident(COUNT), percent];
        cols.extend(
            [POS, ORDER]
                .into_iter()
                .filter(|c| st.has_column(c))
                .map(ident),
        );
        st.b = st.b.project(cols).map_err(|e| df_err(span, e))?;
        let keys = vec![
            ident(COUNT).sort(!most, false),
            ident(&name).sort(true, false),
        ];
        let mut st = self.sorted(st, keys, span)?;
        st.b =
            st.b.limit(0, Some(n as usize))
                .map_err(|e| df_err(span, e))?;
        Ok(st)
    }
}
