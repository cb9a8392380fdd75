//! `timechart` as a Splunk user knows it: one row per bucket from the first event's to
//! the last's, empty buckets filled with zero, the `by` column's values as columns, and
//! without `span=` a bucket fit to the time range (about 100 buckets, rounded to a span
//! a person would pick). Weekly buckets start on Monday.
//!
//! The buckets and the columns depend on the data, and a plan's schema cannot: the
//! engine first runs the stages before `timechart` with `stats min(timestamp),
//! max(timestamp) by c` and gives the planner what it found ([`TimechartFacts`]).

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::{Expr, JoinType, LogicalPlanBuilder, cast, lit, when};
use datafusion::scalar::ScalarValue;
use trailhunt_cloudtrail::schema;
use trailhunt_lang::ParseError;
use trailhunt_lang::ast::{AggFunc, Timechart};

use super::stages::COUNT;
use super::{PResult, Planner, State, df_err, ident, path_name};

/// What the data says about one `timechart`: its events' first and last times (Unix
/// nanoseconds), and the values of its `by` column, in order (`None`: no value).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimechartFacts {
    /// The first event's time; `None` when no event reaches the stage.
    pub lo: Option<i64>,
    /// The last event's time.
    pub hi: Option<i64>,
    /// The `by` column's values (empty without `by`).
    pub values: Vec<Option<String>>,
}

/// The spans an automatic bucket is rounded to, in seconds.
const HUMAN_SPANS: &[u64] = &[
    60,
    5 * 60,
    10 * 60,
    30 * 60,
    3600,
    3 * 3600,
    12 * 3600,
    86_400,
    7 * 86_400,
];
/// About this many buckets for an automatic span.
const TARGET_BUCKETS: u64 = 100;
/// More buckets than this is a span too small for the range: an error, not a huge
/// answer.
const MAX_BUCKETS: i64 = 100_000;
const WEEK: u64 = 7 * 86_400;
/// 1970-01-05, the first Monday of Unix time: where weekly buckets start.
const MONDAY: i64 = 4 * 86_400 * 1_000_000_000;

/// The span for events from `lo` to `hi` (nanoseconds): the smallest human span giving
/// at most about 100 buckets, else a week.
pub fn auto_span(lo: i64, hi: i64) -> u64 {
    let range = (hi.saturating_sub(lo) / 1_000_000_000).max(0) as u64;
    HUMAN_SPANS
        .iter()
        .copied()
        .find(|s| range / s < TARGET_BUCKETS)
        .unwrap_or(WEEK)
}

/// Where the buckets of a span start: Monday for whole weeks, else Unix time's origin.
fn origin(span: u64) -> i64 {
    if span.is_multiple_of(WEEK) { MONDAY } else { 0 }
}

/// The start of the bucket holding `t`.
fn bucket_of(t: i64, span_ns: i64, origin: i64) -> i64 {
    t - (t - origin).rem_euclid(span_ns)
}

fn ts(ns: i64) -> ScalarValue {
    ScalarValue::TimestampNanosecond(Some(ns), Some("UTC".into()))
}

/// Aggregates that count: an empty bucket has 0 of them, not null.
fn counts(func: &AggFunc) -> bool {
    matches!(func, AggFunc::Count | AggFunc::CountDistinct | AggFunc::Sum)
}

impl Planner<'_> {
    pub(crate) fn timechart(
        &self,
        st: State,
        tc: &Timechart,
        span: trailhunt_lang::Span,
    ) -> PResult<State> {
        if !st.events {
            return Err(
                ParseError::new(span, "`timechart` needs events (it buckets their time)")
                    .help("put `timechart` before any `stats`, `table` or other aggregation"),
            );
        }
        if tc.by.len() > 1 {
            return Err(ParseError::new(
                tc.by[1].span,
                "`timechart` takes one `by` column (its values become the columns)",
            )
            .help("keep one; `stats … by a, b` counts every combination (without buckets)"));
        }
        let facts = self.timechart_facts(tc);
        let seconds = match (tc.bucket, &facts) {
            (Some(b), _) => b.seconds,
            (
                None,
                Some(TimechartFacts {
                    lo: Some(lo),
                    hi: Some(hi),
                    ..
                }),
            ) => auto_span(*lo, *hi),
            (None, _) => 3600,
        };
        let span_ns = (seconds as i64).saturating_mul(1_000_000_000);
        let origin = origin(seconds);
        let stride = lit(ScalarValue::IntervalMonthDayNano(Some(
            datafusion::arrow::datatypes::IntervalMonthDayNano::new(0, 0, span_ns),
        )));
        let bucket = datafusion::functions::expr_fn::date_bin(
            stride,
            ident(schema::TIMESTAMP),
            lit(ts(origin)),
        );
        let (st, by) = self.group(st, &tc.by, "by", span)?;
        let mut group = vec![(bucket, "@q.time".to_string())];
        group.extend(by);
        let by_name = tc.by.first().map(path_name);
        let st = self.aggregate(st, group, &tc.aggs, true, span)?;
        // The value columns the aggregate gave: `@q.count` and the named aggregates.
        let mut value_cols: Vec<(String, bool)> = vec![(COUNT.to_string(), true)];
        for a in &tc.aggs {
            let n = a.output_name();
            if !value_cols.iter().any(|(c, _)| *c == n) && st.has_column(&n) {
                value_cols.push((n, counts(&a.func)));
            }
        }
        let Some(facts) = facts else {
            // Planned without the data (a check): the rows as they group.
            let mut keys = vec![ident("@q.time").sort(true, false)];
            keys.extend(by_name.iter().map(|n| ident(n).sort(true, false)));
            return self.sorted(st, keys, span);
        };
        let (Some(lo), Some(hi)) = (facts.lo, facts.hi) else {
            // No event: no bucket.
            let b = st.b.limit(0, Some(0)).map_err(|e| df_err(span, e))?;
            return Ok(State { b, ..st });
        };
        let mut st = st;
        // The by column's values become columns: the count alone is named by the value,
        // several aggregates `name: value`.
        let mut columns: Vec<(String, bool)> = value_cols.clone();
        if let Some(by) = &by_name {
            // The named aggregates; the count when there is none (`count()` is it).
            let shown: Vec<&(String, bool)> = if value_cols.len() == 1 {
                value_cols.iter().collect()
            } else {
                value_cols.iter().skip(1).collect()
            };
            let mut aggs = Vec::new();
            columns.clear();
            for v in &facts.values {
                let label = v.clone().unwrap_or_else(|| "NULL".into());
                let is_v = match v {
                    Some(v) => cast(ident(by), DataType::Utf8).eq(lit(v.as_str())),
                    None => ident(by).is_null(),
                };
                for (c, count_like) in &shown {
                    let name = if shown.len() == 1 {
                        label.clone()
                    } else {
                        format!("{c}: {label}")
                    };
                    let picked = when(is_v.clone(), ident(c))
                        .end()
                        .map_err(|e| df_err(span, e))?;
                    aggs.push(agg::max(picked).alias(&name));
                    columns.push((name, *count_like));
                }
            }
            st.b =
                st.b.aggregate(vec![ident("@q.time")], aggs)
                    .map_err(|e| df_err(span, e))?;
        }
        // Every bucket from the first event's to the last's, each once.
        let first = bucket_of(lo, span_ns, origin);
        let last = bucket_of(hi, span_ns, origin);
        let n = (last - first) / span_ns + 1;
        if n > MAX_BUCKETS {
            return Err(ParseError::new(
                tc.bucket.map_or(span, |b| b.span),
                format!(
                    "this span makes {n} buckets over the data's time range (at most {MAX_BUCKETS})"
                ),
            )
            .help("use a wider span, or leave `span=` out to fit the buckets to the range"));
        }
        let rows: Vec<Vec<Expr>> = (0..n).map(|i| vec![lit(ts(first + i * span_ns))]).collect();
        let buckets = LogicalPlanBuilder::values(rows)
            .and_then(|b| b.project(vec![ident("column1").alias("__bucket")]))
            .map_err(|e| df_err(span, e))?;
        let right = st.b.build().map_err(|e| df_err(span, e))?;
        let joined = buckets
            .join(
                right,
                JoinType::Left,
                (
                    vec![datafusion::common::Column::new_unqualified("__bucket")],
                    vec![datafusion::common::Column::new_unqualified("@q.time")],
                ),
                None,
            )
            .map_err(|e| df_err(span, e))?;
        let mut out = vec![
            cast(
                ident("__bucket"),
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            )
            .alias("@q.time"),
        ];
        for (c, count_like) in &columns {
            let e = ident(c);
            out.push(if *count_like {
                datafusion::functions::expr_fn::coalesce(vec![e, lit(0i64)]).alias(c)
            } else {
                e.alias(c)
            });
        }
        st.b = joined.project(out).map_err(|e| df_err(span, e))?;
        self.sorted(st, vec![ident("@q.time").sort(true, false)], span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn automatic_spans_are_human() {
        // 2 hours: 1m gives 120 buckets, 5m gives 24.
        assert_eq!(auto_span(0, 2 * 3600 * S), 300);
        // 90 minutes: 1m gives 90.
        assert_eq!(auto_span(0, 90 * 60 * S), 60);
        // 3 days: 30m gives 144, 1h gives 72.
        assert_eq!(auto_span(0, 3 * 86_400 * S), 3600);
        // A year: a week.
        assert_eq!(auto_span(0, 365 * 86_400 * S), WEEK);
        assert_eq!(auto_span(5 * S, 5 * S), 60);
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2024-03-06 (a Wednesday) 12:00 UTC is in the week of Monday 2024-03-04.
        let wed = 1_709_726_400 * S;
        let monday = 1_709_510_400 * S;
        assert_eq!(bucket_of(wed, WEEK as i64 * S, origin(WEEK)), monday);
        // Days start at midnight.
        assert_eq!(
            bucket_of(wed, 86_400 * S, origin(86_400)),
            1_709_683_200 * S
        );
    }
}
