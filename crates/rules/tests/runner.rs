//! `run_tests` with a mock engine.

use std::cell::RefCell;

use trailhunt_rules::{QueryRunner, parse_rule, run_tests};

/// Counts the NDJSON lines that contain the query text, and records its calls.
struct Mock {
    calls: RefCell<Vec<(Option<i64>, Option<u64>)>>,
}

impl QueryRunner for Mock {
    fn count_rows(
        &self,
        ndjson: &str,
        query: &str,
        now_ns: Option<i64>,
        time_range_s: Option<u64>,
    ) -> Result<usize, String> {
        self.calls.borrow_mut().push((now_ns, time_range_s));
        if query == "boom" {
            return Err("cannot plan".into());
        }
        Ok(ndjson.lines().filter(|l| l.contains(query)).count())
    }
}

const RULE: &str = r#"
name: finds StopLogging
query_text: StopLogging
time_range_s: 300
tests:
  - name: hit
    now_timestamp: "2024-03-01T01:00:00Z"
    dataset_inline: |
      {"eventName":"StopLogging"}
    expected_detection_result: true
  - name: miss
    dataset_inline: |
      {"eventName":"StartLogging"}
    expected_detection_result: false
  - name: wrong expectation
    dataset_inline: |
      {"eventName":"StartLogging"}
    expected_detection_result: true
  - name: no expectation
    dataset_inline: "{}"
"#;

#[test]
fn run_tests_compares_detections_with_expectations() {
    let rule = parse_rule(RULE, "r.yml").unwrap();
    let mock = Mock {
        calls: RefCell::new(Vec::new()),
    };
    let outcomes = run_tests(&[rule], &mock);
    let summary: Vec<(&str, bool)> = outcomes
        .iter()
        .map(|o| (o.test.as_str(), o.passed))
        .collect();
    assert_eq!(
        summary,
        [
            ("hit", true),
            ("miss", true),
            ("wrong expectation", false),
            ("no expectation", false)
        ]
    );
    assert_eq!(outcomes[0].got, Ok(1));
    assert_eq!(outcomes[2].expected, Some(true));
    assert!(
        outcomes[2]
            .to_string()
            .contains("expected a detection, the query returned 0 rows")
    );
    assert_eq!(outcomes[0].line, Some(6));
    let calls = mock.calls.borrow();
    assert_eq!(calls[0], (Some(1_709_254_800_000_000_000), Some(300)));
    assert_eq!(calls[1], (None, Some(300)));
}

#[test]
fn runner_errors_fail_the_test() {
    let rule = parse_rule(
        &RULE.replace("query_text: StopLogging", "query_text: boom"),
        "r.yml",
    )
    .unwrap();
    let mock = Mock {
        calls: RefCell::new(Vec::new()),
    };
    let outcomes = run_tests(&[rule], &mock);
    assert!(outcomes.iter().all(|o| !o.passed));
    assert_eq!(outcomes[0].got, Err("cannot plan".to_string()));
    assert!(outcomes[0].to_string().contains("error: cannot plan"));
}
