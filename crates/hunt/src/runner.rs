//! The engine side of `trailhunt-rules`: running embedded tests and planning queries.

use trailhunt_cloudtrail::{Discovered, LoadOptions};
use trailhunt_engine::{Engine, TimeRange};
use trailhunt_rules::QueryRunner;
use trailhunt_source::{Listing, load};

/// Runs the tests embedded in rules on the engine ([`trailhunt_rules::run_tests`]).
///
/// Each test's `dataset_inline` is loaded as NDJSON into its own [`Engine`]; the
/// query sees the events in `[now - time_range_s, now]`, both ends included as
/// `trailhunt_rules` specifies: the engine's range is half-open, so it runs with
/// `to = now + 1 ns`. Columns the rule names but no test event has match nothing
/// (the engine's lenient column mode), as they would on real data without them.
#[derive(Clone, Copy, Debug, Default)]
pub struct EngineRunner {
    /// Engine worker threads per test (0: one per core; 1 is plenty for tests).
    pub threads: usize,
}

impl EngineRunner {
    /// The time range a test's query runs over.
    pub fn range(now_ns: Option<i64>, time_range_s: Option<u64>) -> TimeRange {
        let Some(now) = now_ns else {
            return TimeRange::default();
        };
        let back = time_range_s
            .and_then(|s| i64::try_from(s).ok())
            .and_then(|s| s.checked_mul(1_000_000_000));
        TimeRange {
            from: back.map(|b| now.saturating_sub(b)),
            to: Some(now.saturating_add(1)),
        }
    }
}

impl EngineRunner {
    fn engine(&self, ndjson: &str) -> Result<Engine, String> {
        let source = Discovered::memory("dataset_inline", ndjson.as_bytes().to_vec());
        let options = LoadOptions {
            threads: self.threads.max(1),
            ..LoadOptions::default()
        };
        let data = load(&Listing::local(&source), &options, None)
            .map_err(|e| format!("cannot load the test data: {e}"))?;
        if let Some(f) = data.report.problems().next() {
            let why = f
                .rejected
                .clone()
                .or_else(|| f.warnings.first().cloned())
                .unwrap_or_default();
            return Err(format!("the test data did not load cleanly: {why}"));
        }
        Engine::new(data, self.threads.max(1)).map_err(|e| e.to_string())
    }
}

impl QueryRunner for EngineRunner {
    fn count_rows(
        &self,
        ndjson: &str,
        query: &str,
        now_ns: Option<i64>,
        time_range_s: Option<u64>,
    ) -> Result<usize, String> {
        let engine = self.engine(ndjson)?;
        engine
            .run(query, Self::range(now_ns, time_range_s))
            .map(|out| out.rows())
            .map_err(|e| e.to_string())
    }
}

/// Plans `query` against `engine`'s data: the planner hook of
/// [`trailhunt_rules::lint`]. A path that is neither a field CloudTrail defines nor in
/// the data is an error here (a query only warns about it), so the result depends on
/// the data: lint against data that looks like what the rules will see.
pub fn planner_check(engine: &Engine, query: &str) -> Result<(), String> {
    planner_check_any(&[engine], query)
}

/// Like [`planner_check`] over several data sets (e.g. the sample data and a rule's own
/// test records): a path is an error only when none of them has it.
pub fn planner_check_any(engines: &[&Engine], query: &str) -> Result<(), String> {
    let parsed = trailhunt_lang::parse_query(query).map_err(|d| d.to_string())?;
    let mut absent: Option<Vec<trailhunt_lang::ParseError>> = None;
    for engine in engines {
        let (_, warnings) = engine
            .plan_with_warnings(&parsed, TimeRange::default())
            .map_err(|e| e.to_string().replace('\n', " "))?;
        absent = Some(match absent {
            None => warnings,
            // Keep the paths every data set lacks (the same text of the query).
            Some(before) => before
                .into_iter()
                .filter(|w| warnings.iter().any(|x| x.span == w.span))
                .collect(),
        });
    }
    match absent.unwrap_or_default().first() {
        None => Ok(()),
        Some(w) => Err(w.to_string().replace('\n', " ")),
    }
}

/// An engine over a rule's test records (`dataset_inline` of every test), if it has
/// any that load: the paths a rule's author wrote tests for are known paths.
pub fn tests_engine(rule: &trailhunt_rules::Rule) -> Option<Engine> {
    let ndjson: String = rule
        .tests
        .iter()
        .map(|t| t.dataset_inline.trim())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    if ndjson.is_empty() {
        return None;
    }
    let source = Discovered::memory("dataset_inline", ndjson.into_bytes());
    let data = load(&Listing::local(&source), &LoadOptions::default(), None).ok()?;
    Engine::new(data, 1).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_range_includes_both_ends() {
        let r = EngineRunner::range(Some(1_000_000_000_000), Some(300));
        assert_eq!(r.from, Some(700_000_000_000));
        assert_eq!(r.to, Some(1_000_000_000_001));
        assert_eq!(EngineRunner::range(None, Some(300)), TimeRange::default());
        let r = EngineRunner::range(Some(5), None);
        assert_eq!((r.from, r.to), (None, Some(6)));
        let r = EngineRunner::range(Some(i64::MIN + 1), Some(u64::MAX));
        assert_eq!(r.from, None);
    }
}
