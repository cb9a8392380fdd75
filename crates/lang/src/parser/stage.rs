//! Pipe stages. Most take both call and bare syntax: `groupbycount(a, b)` is
//! `groupbycount a, b`; `head(5)` is `head 5`.

use super::filter::is_row_filter;
use super::lex::{self, PathMode};
use super::{PResult, Parser};
use crate::Span;
use crate::ast::{
    Agg, AggFunc, Assignment, ColumnPath, Duration, Rename, SortKey, Stage, StageKind, Stats,
    Timechart, TopRare, WhereCond,
};
use crate::error::ParseError;
use crate::suggest::did_you_mean;

/// Every stage keyword, for suggestions.
pub const STAGE_NAMES: [&str; 21] = [
    "stats",
    "groupbycount",
    "count",
    "countdistinct",
    "sum",
    "avg",
    "min",
    "max",
    "var",
    "percentile",
    "rename",
    "eval",
    "where",
    "table",
    "head",
    "tail",
    "sort",
    "dedup",
    "top",
    "rare",
    "timechart",
];

/// Rows kept by `head`, `tail`, `top` and `rare` when no number is given.
const DEFAULT_LIMIT: u64 = 10;

impl<'a> Parser<'a> {
    /// One whole stage piece.
    pub(super) fn stage(&mut self) -> PResult<Stage> {
        self.skip_ws();
        let start = self.pos;
        let Some(name) = self.lex(lex::word) else {
            return Err(self
                .unexpected(["a stage name"])
                .help("a stage starts with a name such as `stats`, `where` or `head`"));
        };
        let name_span = Span::new(start, self.pos);
        let kind = match name.to_ascii_lowercase().as_str() {
            "stats" => StageKind::Stats(self.stats_body(name_span)?),
            "groupbycount" => StageKind::GroupByCount(self.column_list_stage("groupbycount")?),
            "count" => self.count_stage()?,
            "countdistinct" => StageKind::CountDistinct(self.column_list_stage("countdistinct")?),
            "sum" | "avg" | "min" | "max" | "var" | "percentile" => {
                self.pos = start;
                StageKind::Aggregate(self.agg(true)?)
            }
            "rename" => StageKind::Rename(self.renames()?),
            "eval" => StageKind::Eval(self.assignments()?),
            "where" => StageKind::Where(self.where_cond(name_span)?),
            "table" => StageKind::Table(self.column_list_stage("table")?),
            // Splunk's spelling of `table` (only the keeping form: `fields - c` is refused).
            "fields" => StageKind::Table(self.fields_stage()?),
            "head" => StageKind::Head(self.limit_stage("head")?),
            "tail" => StageKind::Tail(self.limit_stage("tail")?),
            "sort" => StageKind::Sort(self.sort_keys()?),
            "dedup" => StageKind::Dedup(self.column_list_stage("dedup")?),
            "top" => StageKind::Top(self.top_rare("top")?),
            "rare" => StageKind::Rare(self.top_rare("rare")?),
            "timechart" => StageKind::Timechart(self.timechart(name_span)?),
            _ => return Err(self.unknown_stage(name, name_span)),
        };
        let end = start + self.src[start..self.pos].trim_end().len();
        if !self.at_end() {
            return Err(self
                .unexpected(["`|`", "the end of the query"])
                .help(format!(
                    "this is not part of the `{}` stage; separate stages with `|`",
                    kind.name()
                )));
        }
        Ok(Stage {
            kind,
            span: Span::new(start, end),
        })
    }

    fn unknown_stage(&mut self, name: &str, name_span: Span) -> ParseError {
        let err = ParseError::new(name_span, format!("unknown stage `{name}`"))
            .expected(["a stage name"]);
        self.skip_ws();
        if self.rest().starts_with([':', '=', '<', '>']) {
            return err.help(format!(
                "filters go before the first `|`; after it, filter rows with `where`, e.g. `| where {name}{}`",
                self.rest().trim_end()
            ));
        }
        match did_you_mean(name, &STAGE_NAMES) {
            Some(s) => err.help(format!("did you mean `{s}`?")),
            None => err.help(format!("known stages: {}", STAGE_NAMES.join(", "))),
        }
    }

    /// Whether the cursor is at the end of a list: the piece's end, or `)` in call syntax.
    fn list_end(&mut self, call: bool) -> bool {
        self.at_end() || (call && self.peek() == Some(')'))
    }

    /// Whether a column could start at the cursor (for space-separated lists).
    fn starts_column(&self) -> bool {
        !self.peek_keyword("by")
            && !self.peek_keyword("as")
            && self
                .peek()
                .is_some_and(|c| c == '`' || c == '*' || crate::lexical::is_plain_key_char(c))
    }

    /// Columns separated by `,` (or whitespace), up to the end or `)`.
    fn columns(&mut self, call: bool) -> PResult<Vec<ColumnPath>> {
        let mut cols = Vec::new();
        while !self.list_end(call) {
            cols.push(self.column(PathMode::Filter)?);
            self.skip_ws();
            if self.eat(',') {
                if self.list_end(call) {
                    return Err(self
                        .unexpected(["a column name"])
                        .help("remove the trailing `,`"));
                }
                continue;
            }
            if !self.starts_column() {
                break;
            }
        }
        Ok(cols)
    }

    /// `name c1, c2` or `name(c1, c2)`, at least one column.
    fn column_list_stage(&mut self, name: &str) -> PResult<Vec<ColumnPath>> {
        self.skip_ws();
        let open = self.pos;
        let call = self.eat('(');
        let cols = self.columns(call)?;
        if call {
            self.close_paren(open)?;
        }
        if cols.is_empty() {
            return Err(ParseError::new(
                self.token_span(),
                format!("`{name}` needs at least one column"),
            )
            .expected(["a column name"])
            .help(format!("e.g. `{name} userIdentity.arn, eventName`")));
        }
        Ok(cols)
    }

    /// `fields a, b` keeps columns, as `table` does; Splunk's `fields - a` (drop
    /// columns) and `fields + a` are not this language's.
    fn fields_stage(&mut self) -> PResult<Vec<ColumnPath>> {
        self.skip_ws();
        if let Some(sign) = self.peek().filter(|c| *c == '-' || *c == '+') {
            let at = self.pos;
            self.eat(sign);
            if sign == '-' {
                return Err(ParseError::new(
                    Span::new(at, at + 1),
                    "`fields -` (dropping columns) is not supported",
                )
                .expected(["a column name"])
                .help("list the columns to keep instead, e.g. `fields eventTime, eventName`"));
            }
            self.skip_ws();
        }
        self.column_list_stage("fields")
    }

    fn by_clause(&mut self) -> PResult<Vec<ColumnPath>> {
        self.skip_ws();
        let at = self.pos;
        if !self.eat_keyword("by") {
            return Ok(Vec::new());
        }
        let by = self.columns(false)?;
        if by.is_empty() {
            return Err(
                ParseError::new(Span::new(at, at + 2), "`by` needs at least one column")
                    .expected(["a column name"])
                    .help("e.g. `by userIdentity.arn, eventName`"),
            );
        }
        Ok(by)
    }

    /// Aggregates separated by commas, until `by` or the end.
    fn aggs(&mut self) -> PResult<Vec<Agg>> {
        let mut aggs = Vec::new();
        if self.at_end() || self.peek_keyword("by") {
            return Ok(aggs);
        }
        loop {
            aggs.push(self.agg(false)?);
            self.skip_ws();
            if !self.eat(',') {
                return Ok(aggs);
            }
        }
    }

    fn stats_body(&mut self, name_span: Span) -> PResult<Stats> {
        self.skip_ws();
        let start = self.pos;
        let aggs = self.aggs()?;
        let by = self.by_clause()?;
        if aggs.is_empty() && by.is_empty() {
            return Err(ParseError::new(
                name_span,
                "`stats` needs at least one aggregate or a `by` clause",
            )
            .expected(["an aggregate", "`by`"])
            .help("e.g. `stats count() by eventName` or `stats sum(bytes) as total`"));
        }
        Ok(Stats {
            aggs,
            by,
            span: Span::new(start, self.pos),
        })
    }

    /// One aggregate. `stage_form` also allows bare arguments (`sum x`), as when
    /// the aggregate is a stage of its own.
    fn agg(&mut self, stage_form: bool) -> PResult<Agg> {
        self.skip_ws();
        let start = self.pos;
        let Some(name) = self.lex(lex::word) else {
            return Err(self.unexpected(["an aggregate such as `count()` or `sum(x)`"]));
        };
        let name_span = Span::new(start, self.pos);
        let mut func = match name.to_ascii_lowercase().as_str() {
            "count" => AggFunc::Count,
            // `dc` and `distinct_count` are Splunk's spellings.
            "countdistinct" | "dc" | "distinct_count" => AggFunc::CountDistinct,
            "sum" => AggFunc::Sum,
            "avg" => AggFunc::Avg,
            "min" => AggFunc::Min,
            "max" => AggFunc::Max,
            "var" => AggFunc::Var,
            "percentile" => AggFunc::Percentile(0.0),
            "values" => AggFunc::Values,
            "earliest" => AggFunc::Earliest,
            "latest" => AggFunc::Latest,
            _ => {
                let help = match did_you_mean(name, &AggFunc::NAMES) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("known aggregates: {}", AggFunc::NAMES.join(", ")),
                };
                return Err(
                    ParseError::new(name_span, format!("unknown aggregate `{name}`"))
                        .expected(["an aggregate"])
                        .help(help),
                );
            }
        };
        self.skip_ws();
        let open = self.pos;
        let call = self.eat('(');
        if !call && !stage_form && func != AggFunc::Count {
            return Err(
                ParseError::new(self.token_span(), format!("expected `(` after `{name}`"))
                    .expected(["`(`"])
                    .help(format!("write `{}(x)`", func.name())),
            );
        }
        if let AggFunc::Percentile(_) = func {
            func = AggFunc::Percentile(self.percentile_rank()?);
        }
        let args = if call || stage_form {
            self.columns(call)?
        } else {
            Vec::new()
        };
        if call {
            self.close_paren(open)?;
        }
        let arity_ok = match func {
            AggFunc::Count => args.len() <= 1,
            AggFunc::CountDistinct => !args.is_empty(),
            _ => args.len() == 1,
        };
        if !arity_ok {
            let want = match func {
                AggFunc::Count => "no column or one column",
                AggFunc::CountDistinct => "one or more columns",
                AggFunc::Percentile(_) => "a rank and one column, e.g. `percentile(95, bytes)`",
                _ => "exactly one column",
            };
            return Err(ParseError::new(
                Span::new(start, self.pos),
                format!("`{}` takes {want}", func.name()),
            ));
        }
        self.skip_ws();
        let alias = if self.eat_keyword("as") {
            self.skip_ws();
            Some(self.ident()?)
        } else {
            None
        };
        Ok(Agg {
            func,
            args,
            alias,
            span: Span::new(start, self.pos),
        })
    }

    /// `95,` before the column of `percentile`.
    fn percentile_rank(&mut self) -> PResult<f64> {
        self.skip_ws();
        let start = self.pos;
        let rank = self
            .lex(lex::number)
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|p| (0.0..=100.0).contains(p));
        let Some(rank) = rank else {
            return Err(ParseError::new(
                self.token_span().to(Span::empty(start)),
                "`percentile` needs a rank from 0 to 100 first",
            )
            .expected(["a number"])
            .help("e.g. `percentile(95, bytes)`"));
        };
        self.skip_ws();
        if !self.eat(',') {
            return Err(self
                .unexpected(["`,`"])
                .help("e.g. `percentile(95, bytes)`"));
        }
        Ok(rank)
    }

    fn count_stage(&mut self) -> PResult<StageKind> {
        self.skip_ws();
        let open = self.pos;
        if self.eat('(') {
            self.skip_ws();
            if !self.eat(')') {
                return Err(ParseError::new(Span::new(open, open + 1), "`count` as a stage takes no arguments")
                    .help("count per group with `count by x`; count non-null values with `stats count(x)`"));
            }
        }
        Ok(StageKind::Count {
            by: self.by_clause()?,
        })
    }

    fn renames(&mut self) -> PResult<Vec<Rename>> {
        let mut out = Vec::new();
        loop {
            self.skip_ws();
            let from = self.column(PathMode::Filter)?;
            self.skip_ws();
            if !self.eat_keyword("as") {
                return Err(self
                    .unexpected(["`as`"])
                    .help(format!("write `rename {from} as new_name`")));
            }
            self.skip_ws();
            let to = self.column(PathMode::Filter)?;
            out.push(Rename {
                span: from.span.to(to.span),
                from,
                to,
            });
            self.skip_ws();
            if !self.eat(',') {
                return Ok(out);
            }
        }
    }

    fn assignments(&mut self) -> PResult<Vec<Assignment>> {
        let mut out = Vec::new();
        loop {
            self.skip_ws();
            let name = self.ident()?;
            self.skip_ws();
            if self.rest().starts_with("==") || !self.eat('=') {
                return Err(self
                    .unexpected(["`=`"])
                    .help(format!("write `eval {name} = expression`")));
            }
            let expr = self.expr()?;
            out.push(Assignment {
                span: name.span.to(expr.span),
                name,
                expr,
            });
            self.skip_ws();
            if !self.eat(',') {
                return Ok(out);
            }
        }
    }

    /// The body of `where`: a filter when it reads as one in full and every term
    /// is a column test ([`is_row_filter`]); otherwise an expression.
    fn where_cond(&mut self, name_span: Span) -> PResult<WhereCond> {
        if self.at_end() {
            return Err(ParseError::new(name_span, "`where` needs a condition")
                .expected(["a condition"])
                .help("e.g. `where @q.count > 100` or `where eventName: Get*`"));
        }
        let start = self.pos;
        let filter_err = match self.filter_segment() {
            Ok(f) if is_row_filter(&f) => return Ok(WhereCond::Filter(f)),
            Ok(_) => None,
            Err(e) => Some(e),
        };
        self.pos = start;
        let parsed = self.expr().and_then(|e| {
            if self.at_end() {
                Ok(e)
            } else {
                Err(self.unexpected(["an operator", "`|`"]))
            }
        });
        match (parsed, filter_err) {
            (Ok(e), _) => Ok(WhereCond::Expr(e)),
            (Err(e), Some(fe)) if fe.span.start > e.span.start => Err(fe),
            (Err(e), _) => Err(e),
        }
    }

    fn limit_stage(&mut self, name: &str) -> PResult<u64> {
        self.skip_ws();
        let open = self.pos;
        let call = self.eat('(');
        self.skip_ws();
        let n = if self.peek().is_some_and(|c| c.is_ascii_digit()) {
            let at = self.pos;
            self.lex(lex::uint)
                .ok_or_else(|| ParseError::new(Span::new(at, self.end), "number too large"))?
        } else if self.list_end(call) {
            DEFAULT_LIMIT
        } else {
            return Err(
                ParseError::new(self.token_span(), format!("`{name}` needs a number"))
                    .expected(["a number of rows"])
                    .help(format!(
                        "write `{name} 10` for 10 rows (10 is also the default)"
                    )),
            );
        };
        if call {
            self.close_paren(open)?;
        }
        Ok(n)
    }

    fn sort_keys(&mut self) -> PResult<Vec<SortKey>> {
        self.skip_ws();
        let open = self.pos;
        let call = self.eat('(');
        let mut keys = Vec::new();
        while !self.list_end(call) {
            let start = self.pos;
            let mut descending = self.eat('-');
            if !descending {
                self.eat('+');
            }
            self.skip_ws();
            let path = self.column(PathMode::Filter)?;
            self.skip_ws();
            if self.eat_keyword("desc") {
                descending = true;
            } else {
                self.eat_keyword("asc");
            }
            keys.push(SortKey {
                path,
                descending,
                span: Span::new(start, self.pos),
            });
            self.skip_ws();
            if !self.eat(',') && !self.starts_column() && self.peek() != Some('-') {
                break;
            }
        }
        if call {
            self.close_paren(open)?;
        }
        if keys.is_empty() {
            return Err(
                ParseError::new(self.token_span(), "`sort` needs at least one column")
                    .expected(["a column name"])
                    .help("e.g. `sort -@q.count, user_name` (`-` sorts highest first)"),
            );
        }
        Ok(keys)
    }

    fn top_rare(&mut self, name: &str) -> PResult<TopRare> {
        self.skip_ws();
        let start = self.pos;
        let call = self.eat('(');
        self.skip_ws();
        if self.list_end(call) {
            return Err(
                ParseError::new(self.token_span(), format!("`{name}` needs a column"))
                    .expected(["a column name"])
                    .help(format!("e.g. `{name} eventName 5`")),
            );
        }
        let path = self.column(PathMode::Filter)?;
        self.skip_ws();
        if call {
            self.eat(',');
            self.skip_ws();
        }
        let limit = if self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.lex(lex::uint)
                .ok_or_else(|| ParseError::new(self.token_span(), "number too large"))?
        } else {
            DEFAULT_LIMIT
        };
        if call {
            self.close_paren(start)?;
        }
        let by = self.by_clause()?;
        Ok(TopRare {
            path,
            limit,
            by,
            span: Span::new(start, self.pos),
        })
    }

    fn timechart(&mut self, _name_span: Span) -> PResult<Timechart> {
        self.skip_ws();
        let start = self.pos;
        let span_help = "e.g. `timechart span=1h count() by eventName` (units: s, m, h, d, w)";
        // Without `span=`, the planner fits the buckets to the data's time range.
        let mut bucket = None;
        if self.eat_keyword("span") {
            self.skip_ws();
            if !self.eat('=') {
                return Err(self.unexpected(["`=`"]).help(span_help));
            }
            self.skip_ws();
            let at = self.pos;
            let Some((count, unit)) = self.lex(lex::duration) else {
                return Err(self.unexpected(["a duration such as `1h`"]).help(span_help));
            };
            let dspan = Span::new(at, self.pos);
            let seconds = lex::unit_seconds(unit)
                .ok_or_else(|| {
                    ParseError::new(dspan, format!("unknown time unit `{unit}`")).help(span_help)
                })?
                .checked_mul(count)
                .filter(|s| *s > 0)
                .ok_or_else(|| {
                    ParseError::new(
                        dspan,
                        "bucket width must be positive and not absurdly large",
                    )
                })?;
            bucket = Some(Duration {
                seconds,
                span: dspan,
            });
        }
        let aggs = self.aggs()?;
        let by = self.by_clause()?;
        Ok(Timechart {
            bucket,
            aggs,
            by,
            span: Span::new(start, self.pos),
        })
    }
}
