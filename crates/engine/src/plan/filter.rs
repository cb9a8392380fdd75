//! Filters (the query's leading filter and `where` in filter syntax) as boolean `Expr`s.

use datafusion::logical_expr::{Expr, and, lit, not, or};
use datafusion::scalar::ScalarValue;
use trailhunt_cloudtrail::schema;
use trailhunt_cloudtrail::time::parse_event_time;
use trailhunt_lang::ParseError;
use trailhunt_lang::ast::{
    FieldFilter, FieldValue, Filter, FilterKind, Op, Value, ValueGroup, ValueGroupKind,
};

use super::{PResult, Planner, State, Targets, ident};
use crate::matcher::Matcher;
use crate::udf::{ExistsUdf, MatchUdf};

fn fold(items: Vec<Expr>, f: fn(Expr, Expr) -> Expr, empty: bool) -> Expr {
    items.into_iter().reduce(f).unwrap_or_else(|| lit(empty))
}

/// An event time written in a filter: RFC 3339, `YYYY-MM-DD HH:MM:SS`, or a date.
pub(crate) fn time_literal(text: &str) -> Option<i64> {
    parse_event_time(text).or_else(|| parse_event_time(&format!("{}T00:00:00Z", text.trim())))
}

impl Planner<'_> {
    /// The boolean expression of a filter over the current rows.
    pub(crate) fn filter(&self, st: &State, f: &Filter) -> PResult<Expr> {
        Ok(match &f.kind {
            FilterKind::MatchAll => lit(true),
            FilterKind::And(items) => fold(
                items
                    .iter()
                    .map(|i| self.filter(st, i))
                    .collect::<PResult<_>>()?,
                and,
                true,
            ),
            FilterKind::Or(items) => fold(
                items
                    .iter()
                    .map(|i| self.filter(st, i))
                    .collect::<PResult<_>>()?,
                or,
                false,
            ),
            FilterKind::Not(inner) => not(self.filter(st, inner)?),
            FilterKind::Text(v) => {
                let t = self.text_targets(st);
                self.match_values(st, &t, Op::Contains, std::slice::from_ref(v), &v.text())
            }
            FilterKind::Field(ff) => self.field(st, ff)?,
        })
    }

    fn field(&self, st: &State, ff: &FieldFilter) -> PResult<Expr> {
        if ff.op == Op::Regex
            && let FieldValue::Value(v) = &ff.value
            && let Err(e) = Matcher::user_regex(&v.text())
        {
            let why = match e {
                regex::Error::Syntax(s) => s
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim_start_matches("error: ")
                    .to_string(),
                e => e.to_string(),
            };
            return Err(ParseError::new(v.span, format!("invalid regular expression: {why}"))
                .help("`~` takes the regex crate's syntax: https://docs.rs/regex/latest/regex/#syntax"));
        }
        let t = self.targets(st, &ff.path)?;
        let label = ff.to_string();
        match &ff.value {
            FieldValue::Exists(_) => {
                let mut parts: Vec<Expr> = t.args.iter().map(|a| a.clone().is_not_null()).collect();
                if let Some(ids) = &t.kv_ids
                    && st.events
                {
                    parts.push(ExistsUdf::call(ids.clone(), ident(schema::KV)));
                }
                Ok(fold(parts, or, false))
            }
            FieldValue::Null(_) => Ok(match (&t.kv_ids, st.events) {
                // A JSON null is kept only in the nested column (a typed column's null
                // cannot tell it from a missing key).
                (Some(ids), true) => ExistsUdf::json_null(ids.clone(), ident(schema::KV)),
                // Rows that are not events (after a stage): the value is null.
                (_, false) if !t.args.is_empty() => fold(
                    t.args.iter().map(|a| a.clone().is_null()).collect(),
                    and,
                    true,
                ),
                _ => lit(false),
            }),
            FieldValue::Value(v) => {
                if t.time {
                    return self.time_compare(&t, ff.op, v);
                }
                Ok(self.match_values(st, &t, ff.op, std::slice::from_ref(v), &label))
            }
            FieldValue::List(list) => {
                if t.time {
                    let parts = list
                        .values
                        .iter()
                        .map(|v| self.time_compare(&t, ff.op, v))
                        .collect::<PResult<Vec<_>>>()?;
                    return Ok(fold(parts, or, false));
                }
                Ok(self.match_values(st, &t, ff.op, &list.values, &label))
            }
            FieldValue::Group(g) => self.value_group(st, &t, ff.op, g),
        }
    }

    fn value_group(&self, st: &State, t: &Targets, op: Op, g: &ValueGroup) -> PResult<Expr> {
        Ok(match &g.kind {
            ValueGroupKind::And(items) => fold(
                items
                    .iter()
                    .map(|i| self.value_group(st, t, op, i))
                    .collect::<PResult<_>>()?,
                and,
                true,
            ),
            ValueGroupKind::Or(items) => fold(
                items
                    .iter()
                    .map(|i| self.value_group(st, t, op, i))
                    .collect::<PResult<_>>()?,
                or,
                false,
            ),
            ValueGroupKind::Not(inner) => not(self.value_group(st, t, op, inner)?),
            ValueGroupKind::Value(v) => {
                if t.time {
                    self.time_compare(t, op, v)?
                } else {
                    self.match_values(st, t, op, std::slice::from_ref(v), &v.to_string())
                }
            }
        })
    }

    /// Any of `values` (under `op`) matches a value of the targets.
    fn match_values(&self, st: &State, t: &Targets, op: Op, values: &[Value], label: &str) -> Expr {
        let matchers: Vec<Matcher> = values.iter().map(|v| Matcher::new(op, v)).collect();
        if matchers.iter().all(|m| matches!(m, Matcher::Never)) {
            return lit(false);
        }
        let mut args = t.args.clone();
        let ids = match &t.kv_ids {
            Some(ids) => {
                args.push(ident(schema::KV));
                Some(ids.clone())
            }
            None => {
                if st.events && t.all_nested {
                    // Free text over events: every nested value too.
                    args.push(ident(schema::KV));
                }
                None
            }
        };
        if args.is_empty() {
            return lit(false);
        }
        MatchUdf::call(label, matchers, ids, args)
    }

    /// `timestamp <op> "2024-03-01T00:00:00Z"` as a native time comparison.
    fn time_compare(&self, t: &Targets, op: Op, v: &Value) -> PResult<Expr> {
        let text = v.text();
        let Some(ns) = time_literal(&text) else {
            return Err(ParseError::new(v.span, format!("`{text}` is not a time"))
                .help("write times like 2024-03-01T12:00:00Z, 2024-03-01 12:00:00 or 2024-03-01"));
        };
        let ts = lit(ScalarValue::TimestampNanosecond(
            Some(ns),
            Some("UTC".into()),
        ));
        let c = t.args[0].clone();
        Ok(match op {
            Op::Regex => {
                return Err(
                    ParseError::new(v.span, "`~` does not apply to the event time")
                        .help("compare times with `=`, `<`, `<=`, `>` or `>=`"),
                );
            }
            Op::Eq | Op::Contains => c.eq(ts),
            Op::Lt => c.lt(ts),
            Op::Le => c.lt_eq(ts),
            Op::Gt => c.gt(ts),
            Op::Ge => c.gt_eq(ts),
        })
    }
}
