//! Running the tests embedded in rules, through an engine supplied by the caller.
//!
//! # Semantics
//!
//! A test's `dataset_inline` is NDJSON: one CloudTrail record per line. The
//! runner loads it and runs the rule's `query_text` over the events whose time
//! falls in the rule's window `[now - time_range_s, now]` (both ends included),
//! where `now` is the test's `now_timestamp`. Without `time_range_s`, every
//! event up to `now` counts; without `now_timestamp`, every event counts. The
//! rule *detects* when the query returns at least one row; the test passes when
//! that equals `expected_detection_result`.

use std::fmt::{self, Display, Formatter};
use std::path::PathBuf;

use crate::rule::Rule;

/// Runs a query over an inline dataset. The engine implements this.
pub trait QueryRunner {
    /// The number of rows `query` returns over the NDJSON records in `ndjson`,
    /// keeping only events in `[now_ns - time_range_s, now_ns]` (see the module
    /// docs for the missing cases). `Err` when the data or query cannot be run.
    fn count_rows(
        &self,
        ndjson: &str,
        query: &str,
        now_ns: Option<i64>,
        time_range_s: Option<u64>,
    ) -> Result<usize, String>;
}

/// The result of one embedded test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestOutcome {
    /// The rule's name.
    pub rule: String,
    /// The rule's file.
    pub path: PathBuf,
    /// The test's name.
    pub test: String,
    /// One-based line of the test in the file, when known.
    pub line: Option<usize>,
    /// Whether the rule did what the test expected.
    pub passed: bool,
    /// `expected_detection_result` (`None` when missing: the test fails).
    pub expected: Option<bool>,
    /// The number of rows the query returned, or why it could not run.
    pub got: Result<usize, String>,
}

impl Display for TestOutcome {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed { "ok" } else { "FAILED" };
        write!(f, "{verdict}: {} / {}", self.rule, self.test)?;
        if !self.passed {
            match (&self.got, self.expected) {
                (Err(e), _) => write!(f, " (error: {e})")?,
                (Ok(_), None) => f.write_str(" (no expected_detection_result)")?,
                (Ok(n), Some(want)) => write!(
                    f,
                    " (expected {}, the query returned {n} rows)",
                    if want { "a detection" } else { "no detection" }
                )?,
            }
        }
        Ok(())
    }
}

/// Runs every test of every rule with `runner`, in rule then test order.
pub fn run_tests(rules: &[Rule], runner: &dyn QueryRunner) -> Vec<TestOutcome> {
    let mut out = Vec::new();
    for rule in rules {
        for test in &rule.tests {
            let got = if test.now_timestamp.is_some() && test.now_ns.is_none() {
                Err(format!(
                    "now_timestamp {:?} is not an RFC 3339 time",
                    test.now_timestamp.as_deref().unwrap_or("")
                ))
            } else {
                runner.count_rows(
                    &test.dataset_inline,
                    &rule.query_text,
                    test.now_ns,
                    rule.time_range_s,
                )
            };
            let passed = match (&got, test.expected_detection_result) {
                (Ok(n), Some(want)) => (*n > 0) == want,
                _ => false,
            };
            out.push(TestOutcome {
                rule: rule.name.clone(),
                path: rule.path.clone(),
                test: test.name.clone(),
                line: test.line,
                passed,
                expected: test.expected_detection_result,
                got,
            });
        }
    }
    out
}
