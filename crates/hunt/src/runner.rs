//! The engine side of `trailhunt-rules`: running embedded tests and planning queries.

use trailhunt_cloudtrail::{Discovered, LoadOptions, load};
use trailhunt_engine::{Engine, TimeRange};
use trailhunt_rules::QueryRunner;

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
        let data =
            load(&source, &options, None).map_err(|e| format!("cannot load the test data: {e}"))?;
        if let Some(f) = data.report.problems().next() {
            let why = f
                .rejected
                .clone()
                .or_else(|| f.warnings.first().cloned())
                .unwrap_or_default();
            return Err(format!("the test data did not load cleanly: {why}"));
        }
        let mut engine = Engine::new(data, self.threads.max(1)).map_err(|e| e.to_string())?;
        engine.set_lenient_columns(true);
        Ok(engine)
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
/// [`trailhunt_rules::lint`]. Unknown columns are errors here, so the result
/// depends on the data: lint against data that looks like what the rules will see.
pub fn planner_check(engine: &Engine, query: &str) -> Result<(), String> {
    let parsed = trailhunt_lang::parse_query(query).map_err(|d| d.to_string())?;
    engine
        .plan(&parsed, TimeRange::default())
        .map(|_| ())
        .map_err(|e| e.to_string().replace('\n', " "))
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
