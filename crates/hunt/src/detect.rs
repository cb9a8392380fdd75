//! Evaluating rules over historical data on their schedule.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, SchemaRef, TimeUnit, TimestampNanosecondType};
use serde_json::value::RawValue;
use trailhunt_engine::{Engine, EngineError, Output, TimeRange};
use trailhunt_print::{RowWriter, cell_text};
use trailhunt_rules::Rule;

use crate::error::HuntError;
use crate::hit::{EntityHit, Hit};
use crate::schedule::Schedule;

/// Every loaded event.
const ALL: TimeRange = TimeRange {
    from: None,
    to: None,
};

/// How a [`Detector`] runs rules.
#[derive(Clone, Debug)]
pub struct DetectOptions {
    /// Also evaluate every rule once over the whole span of the data.
    pub whole_span: bool,
    /// Rows kept in [`Hit::sample`].
    pub sample_rows: usize,
}

impl Default for DetectOptions {
    fn default() -> Self {
        DetectOptions {
            whole_span: false,
            sample_rows: 5,
        }
    }
}

/// What evaluating one rule did.
#[derive(Debug)]
pub struct RuleRun {
    /// The hits, in time order.
    pub hits: Vec<Hit>,
    /// Scheduled runs that saw at least one event matching the rule's filter.
    pub candidate_runs: usize,
    /// Queries sent to the engine.
    pub queries: usize,
}

/// Replays rules over loaded data as if they had run on schedule.
///
/// # How a rule is evaluated
///
/// 1. The rule's leading filter (its text before the first `|`) runs once over the
///    whole data, listing the matching events' time, `entity_id`, `window_id`,
///    `userIdentity.arn` and `sourceIPAddress`.
/// 2. A run of the rule ([`Schedule`]) can only return rows when it sees one of those
///    events, because every stage works on the filtered events alone; so only those
///    *candidate* runs are evaluated. (A query that returns rows even on no events,
///    like `* | stats count() | where count < 5`, is checked once on an empty range;
///    then every run over the data's span is a candidate.)
/// 3. A query without stages fires in every candidate run. A query with stages
///    (aggregations, thresholds) runs once per candidate run, restricted to the run's
///    window with a [`TimeRange`]: exact, and as cheap as the matching events allow.
/// 4. Firing runs whose windows overlap or touch merge into one [`Hit`] covering
///    their union: a rule that looks back an hour every five minutes fires twelve
///    times on one event, and that is one finding.
///
/// # Entities of a hit
///
/// The entities are those of the events matching the filter inside the windows of
/// the firing runs. For a query with stages, whose output rows no longer carry whole
/// events, they are restricted to the output's values of the first of these columns
/// the output has: `entity_id`, `userIdentity.arn`, `sourceIPAddress` (so a
/// threshold on one user's denials does not name everyone denied once in the same
/// hour). Without any of them, every entity matching the filter in the window is named.
pub struct Detector<'a> {
    engine: &'a Engine,
    options: DetectOptions,
    span: Option<(i64, i64)>,
}

impl std::fmt::Debug for Detector<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("options", &self.options)
            .field("span", &self.span)
            .finish()
    }
}

/// One event matching a rule's filter.
struct Matched {
    t: i64,
    entity: String,
    window: String,
    arn: String,
    ip: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Entity,
    Arn,
    Ip,
}

/// Consecutive scheduled runs that see the same matched events, and returned rows.
struct Fired {
    /// Start of the first run's window.
    from: i64,
    /// End of the last run's window.
    to: i64,
    /// How many runs.
    runs: usize,
    /// The matched events every one of these runs sees (indices into `matched`).
    slice: (usize, usize),
    /// Rows as JSON (query with stages only).
    rows: Vec<String>,
    columns: Vec<String>,
    restrict: Option<(Key, HashSet<String>)>,
}

impl Fired {
    fn new(from: i64, to: i64, runs: usize, slice: (usize, usize)) -> Fired {
        Fired {
            from,
            to,
            runs,
            slice,
            rows: Vec::new(),
            columns: Vec::new(),
            restrict: None,
        }
    }

    /// The same result for other runs seeing the same events.
    fn again(&self, from: i64, to: i64, runs: usize) -> Fired {
        Fired {
            from,
            to,
            runs,
            slice: self.slice,
            rows: self.rows.clone(),
            columns: self.columns.clone(),
            restrict: self.restrict.clone(),
        }
    }
}

impl<'a> Detector<'a> {
    /// A detector over `engine`'s data (finds its time span with one query).
    pub fn new(engine: &'a Engine, options: DetectOptions) -> Result<Detector<'a>, HuntError> {
        let out = engine
            .run(
                "* | stats min(timestamp) as first, max(timestamp) as last",
                ALL,
            )
            .map_err(|e| HuntError::Engine(format!("cannot find the data's time span: {e}")))?;
        let span = out.batches.iter().find(|b| b.num_rows() > 0).and_then(|b| {
            let first = timestamp_at(b, b.schema().index_of("first").ok()?, 0)?;
            let last = timestamp_at(b, b.schema().index_of("last").ok()?, 0)?;
            Some((first, last))
        });
        Ok(Detector {
            engine,
            options,
            span,
        })
    }

    /// The first and last event time of the data (Unix ns), when any event has one.
    pub fn span(&self) -> Option<(i64, i64)> {
        self.span
    }

    /// Every hit of every rule that runs (`enabled` true, `Active`, `Staging`, or
    /// missing), in time then rule order, and the rules that could not be evaluated.
    pub fn evaluate_all(&self, rules: &[Rule]) -> (Vec<Hit>, Vec<HuntError>) {
        let (hits, errors, _) = self.evaluate_all_with(rules, |_, _| {});
        (hits, errors)
    }

    /// [`Detector::evaluate_all`], calling `progress(done, total)` before the first rule
    /// and after each (for a progress bar); also returns how many rules ran (the
    /// enabled ones).
    pub fn evaluate_all_with(
        &self,
        rules: &[Rule],
        mut progress: impl FnMut(usize, usize),
    ) -> (Vec<Hit>, Vec<HuntError>, usize) {
        let mut hits = Vec::new();
        let mut errors = Vec::new();
        let run: Vec<&Rule> = rules
            .iter()
            .filter(|r| r.enabled.is_none_or(|e| e.runs()))
            .collect();
        progress(0, run.len());
        for (i, rule) in run.iter().enumerate() {
            match self.evaluate(rule) {
                Ok(h) => hits.extend(h),
                Err(e) => errors.push(e),
            }
            progress(i + 1, run.len());
        }
        hits.sort_by(|a, b| (a.from, &a.rule, a.to).cmp(&(b.from, &b.rule, b.to)));
        (hits, errors, run.len())
    }

    /// The hits of one rule, in time order.
    pub fn evaluate(&self, rule: &Rule) -> Result<Vec<Hit>, HuntError> {
        self.run(rule).map(|r| r.hits)
    }

    /// Evaluates one rule and says how much work it took.
    ///
    /// The work is bounded by the matching events, not by the schedule: runs that see
    /// the same events are handled as one segment, so a rule looking back a year every
    /// second costs about as much as one looking back an hour every five minutes.
    pub fn run(&self, rule: &Rule) -> Result<RuleRun, HuntError> {
        self.run_with(rule, false)
    }

    /// [`Detector::run`] the slow way, one scheduled run at a time: the reference the
    /// tests hold the bounded evaluation to. Its work grows with the number of
    /// scheduled runs (millions per event on extreme schedules); do not use it otherwise.
    #[doc(hidden)]
    pub fn run_every_run(&self, rule: &Rule) -> Result<RuleRun, HuntError> {
        self.run_with(rule, true)
    }

    fn run_with(&self, rule: &Rule, every_run: bool) -> Result<RuleRun, HuntError> {
        let err = |query: &str, e: EngineError| HuntError::Query {
            path: rule.path.clone(),
            rule: rule.name.clone(),
            query: query.to_string(),
            message: e.to_string(),
        };
        let query = trailhunt_lang::parse_query(&rule.query_text)
            .map_err(|d| err(&rule.query_text, EngineError::Query(d)))?;
        let staged = !query.stages.is_empty();
        let mut queries = 0;
        let matched = self.matched(rule, &query.filter.to_string(), &mut queries)?;

        let schedule = Schedule::of(rule);
        let fires_on_nothing = staged && {
            queries += 1;
            let empty = TimeRange {
                from: Some(1),
                to: Some(0),
            };
            let out = self
                .engine
                .run(&rule.query_text, empty)
                .map_err(|e| err(&rule.query_text, e))?;
            out.rows() > 0
        };
        let segments = if every_run {
            every_run_segments(
                &schedule,
                &matched,
                fires_on_nothing.then_some(self.span).flatten(),
            )
        } else {
            segments(
                &schedule,
                &matched,
                fires_on_nothing.then_some(self.span).flatten(),
            )
        };
        let candidate_runs = segments
            .iter()
            .map(|&(a, b)| usize::try_from(b - a + 1).unwrap_or(usize::MAX))
            .fold(0usize, usize::saturating_add);
        // (first window, last window, runs, whole span)
        let mut windows: Vec<(i64, i64, usize, bool)> = segments
            .iter()
            .map(|&(a, b)| {
                let runs = usize::try_from(b - a + 1).unwrap_or(usize::MAX);
                (schedule.window(a).0, schedule.window(b).1, runs, false)
            })
            .collect();
        if self.options.whole_span
            && let Some((a, b)) = self.span
        {
            windows.push((a, b.saturating_add(1), 1, true));
        }

        let mut scheduled = Vec::new();
        let mut whole = Vec::new();
        // A run's result depends only on the events matching the filter in its window,
        // a contiguous slice of `matched`: runs seeing the same slice share one query.
        // Every run of a segment sees the same slice, the one its first window holds.
        let mut seen: HashMap<(usize, usize), Option<Fired>> = HashMap::new();
        for (from, to, runs, is_whole) in windows {
            let (first_to, last_from) = if is_whole {
                (to, from)
            } else {
                (
                    from.saturating_add(schedule.range_ns),
                    to.saturating_sub(schedule.range_ns),
                )
            };
            let slice = (
                matched.partition_point(|m| m.t < from),
                matched.partition_point(|m| m.t < first_to),
            );
            debug_assert!(
                is_whole || slice.0 == matched.partition_point(|m| m.t < last_from),
                "a segment's runs see different events"
            );
            let fired = if !(staged || is_whole) {
                Some(Fired::new(from, to, runs, slice))
            } else if let Some(known) = seen.get(&slice).filter(|_| !is_whole) {
                known.as_ref().map(|f| f.again(from, to, runs))
            } else {
                queries += 1;
                let (qfrom, qto) = if is_whole {
                    (from, to)
                } else {
                    // Any one run of the segment: they all see the same events.
                    (from, first_to)
                };
                let range = TimeRange {
                    from: Some(qfrom),
                    to: Some(qto),
                };
                let out = self
                    .engine
                    .run(&rule.query_text, range)
                    .map_err(|e| err(&rule.query_text, e))?;
                let fired =
                    (out.rows() > 0).then(|| self.fired(from, to, runs, slice, &out, staged));
                if !is_whole {
                    seen.insert(slice, fired.as_ref().map(|f| f.again(from, to, runs)));
                }
                fired
            };
            match (fired, is_whole) {
                (Some(f), true) => whole.push(f),
                (Some(f), false) => scheduled.push(f),
                (None, _) => {}
            }
        }

        let groups = if every_run {
            merge_every_run(scheduled)
        } else {
            merge(scheduled, &schedule)
        };
        let groups = groups
            .into_iter()
            .map(|g| (g, false))
            .chain(whole.into_iter().map(|f| (vec![f], true)));
        let mut hits = Vec::new();
        for (group, is_whole) in groups {
            hits.push(self.hit(rule, &group, &matched, staged, is_whole, &mut queries, &err)?);
        }
        Ok(RuleRun {
            hits,
            candidate_runs,
            queries,
        })
    }

    /// The events matching `filter`, in time order (events without a time left out).
    fn matched(
        &self,
        rule: &Rule,
        filter: &str,
        queries: &mut usize,
    ) -> Result<Vec<Matched>, HuntError> {
        let full = format!(
            "{filter} | table timestamp, entity_id, window_id, userIdentity.arn, sourceIPAddress"
        );
        *queries += 1;
        let out = match self.engine.run(&full, ALL) {
            Ok(out) => out,
            // The data may lack `userIdentity.arn` or `sourceIPAddress` altogether.
            Err(_) => {
                let short = format!("{filter} | table timestamp, entity_id, window_id");
                *queries += 1;
                self.engine.run(&short, ALL).map_err(|e| HuntError::Query {
                    path: rule.path.clone(),
                    rule: rule.name.clone(),
                    query: short.clone(),
                    message: e.to_string(),
                })?
            }
        };
        let mut events = Vec::with_capacity(out.rows());
        for b in &out.batches {
            let schema = b.schema();
            let col = |name: &str| schema.index_of(name).ok();
            let (Some(ts), ent, win, arn, ip) = (
                col("timestamp"),
                col("entity_id"),
                col("window_id"),
                col("userIdentity.arn"),
                col("sourceIPAddress"),
            ) else {
                continue;
            };
            let text =
                |c: Option<usize>, i: usize| c.map(|c| cell_text(b, c, i)).unwrap_or_default();
            for i in 0..b.num_rows() {
                if let Some(t) = timestamp_at(b, ts, i) {
                    events.push(Matched {
                        t,
                        entity: text(ent, i),
                        window: text(win, i),
                        arn: text(arn, i),
                        ip: text(ip, i),
                    });
                }
            }
        }
        events.sort_by_key(|m| m.t);
        Ok(events)
    }

    fn fired(
        &self,
        from: i64,
        to: i64,
        runs: usize,
        slice: (usize, usize),
        out: &Output,
        staged: bool,
    ) -> Fired {
        let columns = column_names(&out.schema);
        let mut rows = Vec::new();
        let mut restrict = None;
        if staged {
            let writer = RowWriter::new(self.engine.catalog());
            for b in &out.batches {
                for i in 0..b.num_rows() {
                    rows.push(serde_json::to_string(&writer.row(b, i)).unwrap_or_default());
                }
            }
            restrict = restriction(out);
        }
        Fired {
            from,
            to,
            runs,
            slice,
            rows,
            columns,
            restrict,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn hit(
        &self,
        rule: &Rule,
        group: &[Fired],
        matched: &[Matched],
        staged: bool,
        whole_span: bool,
        queries: &mut usize,
        err: &dyn Fn(&str, EngineError) -> HuntError,
    ) -> Result<Hit, HuntError> {
        let from = group.first().map_or(0, |f| f.from);
        let to = group.iter().map(|f| f.to).max().unwrap_or(from);
        let mut hit = Hit::new(rule, from, to);
        hit.runs = group.iter().map(|f| f.runs).fold(0, usize::saturating_add);
        hit.whole_span = whole_span;
        let mut rows: Vec<String> = Vec::new();
        if staged {
            let mut seen = HashSet::new();
            for f in group {
                for r in &f.rows {
                    if seen.insert(r.as_str()) {
                        rows.push(r.clone());
                    }
                }
            }
            hit.columns = group.first().map(|f| f.columns.clone()).unwrap_or_default();
            hit.row_count = rows.len();
        } else {
            *queries += 1;
            let out = self
                .engine
                .run(
                    &rule.query_text,
                    TimeRange {
                        from: Some(from),
                        to: Some(to),
                    },
                )
                .map_err(|e| err(&rule.query_text, e))?;
            hit.columns = column_names(&out.schema);
            hit.row_count = out.rows();
            let writer = RowWriter::new(self.engine.catalog());
            'rows: for b in &out.batches {
                for i in 0..b.num_rows() {
                    if rows.len() >= self.options.sample_rows {
                        break 'rows;
                    }
                    rows.push(serde_json::to_string(&writer.row(b, i)).unwrap_or_default());
                }
            }
        }
        hit.sample = rows
            .into_iter()
            .take(self.options.sample_rows)
            .filter_map(|r| RawValue::from_string(r).ok())
            .collect();
        hit.entities = entities(group, matched);
        Ok(hit)
    }
}

/// The candidate runs, as segments `(first, last)` of consecutive runs that see the
/// same matched events, in order: the runs that see some event (or, when the rule
/// fires on no events, every run over `span`). There are at most two segments per
/// event more than candidate ranges, however many runs the schedule makes.
fn segments(schedule: &Schedule, matched: &[Matched], span: Option<(i64, i64)>) -> Vec<(i64, i64)> {
    // Disjoint ranges of candidate runs, in order: `matched` is in time order, so
    // the runs seeing each event only move forward.
    let mut ranges: Vec<(i64, i64)> = Vec::new();
    if let Some((a, b)) = span {
        let runs = schedule.runs_between(a, b);
        if !runs.is_empty() {
            ranges.push((*runs.start(), *runs.end()));
        }
    } else {
        for m in matched {
            let runs = schedule.runs_seeing(m.t);
            if runs.is_empty() {
                continue;
            }
            let (a, b) = (*runs.start(), *runs.end());
            match ranges.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => ranges.push((a, b)),
            }
        }
    }
    // The events run `k` sees change from run `k - 1` only where an event enters
    // (its first run) or has just left (the run after its last).
    let mut cuts: Vec<i64> = Vec::with_capacity(2 * matched.len());
    for m in matched {
        let runs = schedule.runs_seeing(m.t);
        cuts.push(*runs.start());
        cuts.push(runs.end().saturating_add(1));
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    for (a, b) in ranges {
        let mut start = a;
        let from = cuts.partition_point(|&c| c <= a);
        for &c in cuts[from..].iter().take_while(|&&c| c <= b) {
            out.push((start, c - 1));
            start = c;
        }
        out.push((start, b));
    }
    out
}

/// Every candidate run on its own, enumerated one by one (the reference).
fn every_run_segments(
    schedule: &Schedule,
    matched: &[Matched],
    span: Option<(i64, i64)>,
) -> Vec<(i64, i64)> {
    let mut runs: Vec<i64> = Vec::new();
    if let Some((a, b)) = span {
        runs.extend(schedule.runs_between(a, b));
    } else {
        // `matched` is in time order, so the runs seeing each event only grow.
        for m in matched {
            let seeing = schedule.runs_seeing(m.t);
            let start = match runs.last() {
                Some(&last) => (*seeing.start()).max(last + 1),
                None => *seeing.start(),
            };
            runs.extend(start..=*seeing.end());
        }
    }
    runs.into_iter().map(|k| (k, k)).collect()
}

/// Groups runs (in time order) whose windows overlap or touch, in one pass: a group's
/// end is its last run's, as windows end in run order. A segment of several runs
/// whose windows do not touch (`run_frequency_s` > `time_range_s`, only when the rule
/// fires on no events) is one group per run.
fn merge(fired: Vec<Fired>, schedule: &Schedule) -> Vec<Vec<Fired>> {
    let mut groups: Vec<Vec<Fired>> = Vec::new();
    let mut end = i64::MIN;
    let apart = schedule.step_ns > schedule.range_ns;
    for f in fired {
        if apart && f.runs > 1 {
            let first = f
                .from
                .saturating_add(schedule.range_ns)
                .div_euclid(schedule.step_ns);
            let last = first.saturating_add(f.runs as i64 - 1);
            for k in first..=last {
                let (from, to) = schedule.window(k);
                let one = f.again(from, to, 1);
                end = to;
                groups.push(vec![one]);
            }
            continue;
        }
        match groups.last_mut() {
            Some(g) if f.from <= end => {
                end = end.max(f.to);
                g.push(f)
            }
            _ => {
                end = f.to;
                groups.push(vec![f])
            }
        }
    }
    groups
}

/// Groups runs (in time order) whose windows overlap or touch (the reference).
fn merge_every_run(fired: Vec<Fired>) -> Vec<Vec<Fired>> {
    let mut groups: Vec<Vec<Fired>> = Vec::new();
    for f in fired {
        match groups.last_mut() {
            Some(g)
                if g.iter()
                    .map(|x| x.to)
                    .max()
                    .is_some_and(|end| f.from <= end) =>
            {
                g.push(f)
            }
            _ => groups.push(vec![f]),
        }
    }
    groups
}

/// The entities of the matched events inside the group's runs, each event once.
fn entities(group: &[Fired], matched: &[Matched]) -> Vec<EntityHit> {
    let mut picked = BTreeSet::new();
    for f in group {
        let (start, end) = f.slice;
        for (i, m) in matched[start..end].iter().enumerate() {
            let keep = match &f.restrict {
                None => true,
                Some((Key::Entity, set)) => set.contains(&m.entity),
                Some((Key::Arn, set)) => set.contains(&m.arn),
                Some((Key::Ip, set)) => set.contains(&m.ip),
            };
            if keep {
                picked.insert(start + i);
            }
        }
    }
    let mut by_entity: BTreeMap<&str, EntityHit> = BTreeMap::new();
    for i in picked {
        let m = &matched[i];
        let e = by_entity.entry(&m.entity).or_insert_with(|| EntityHit {
            entity_id: m.entity.clone(),
            window_ids: Vec::new(),
            events: 0,
            first: m.t,
            last: m.t,
        });
        e.events += 1;
        e.first = e.first.min(m.t);
        e.last = e.last.max(m.t);
        if !e.window_ids.contains(&m.window) {
            e.window_ids.push(m.window.clone());
        }
    }
    let mut out: Vec<EntityHit> = by_entity.into_values().collect();
    out.sort_by(|a, b| b.events.cmp(&a.events).then(a.entity_id.cmp(&b.entity_id)));
    out
}

/// The output column that names who the rows are about, and its values.
fn restriction(out: &Output) -> Option<(Key, HashSet<String>)> {
    let keys = [
        (Key::Entity, "entity_id"),
        (Key::Arn, "userIdentity.arn"),
        (Key::Ip, "sourceIPAddress"),
    ];
    let (key, name) = keys
        .into_iter()
        .find(|(_, n)| out.schema.index_of(n).is_ok())?;
    let mut values = HashSet::new();
    for b in &out.batches {
        let col = b.schema().index_of(name).ok()?;
        for i in 0..b.num_rows() {
            values.insert(cell_text(b, col, i));
        }
    }
    Some((key, values))
}

fn column_names(schema: &SchemaRef) -> Vec<String> {
    schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .filter(|n| n != trailhunt_cloudtrail::schema::KV)
        .collect()
}

/// A nanosecond timestamp cell (any time zone), `None` when null or not a timestamp.
fn timestamp_at(b: &RecordBatch, col: usize, row: usize) -> Option<i64> {
    let arr = b.column(col);
    if row >= arr.len() || arr.is_null(row) {
        return None;
    }
    match arr.data_type() {
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            Some(arr.as_primitive::<TimestampNanosecondType>().value(row))
        }
        _ => None,
    }
}
