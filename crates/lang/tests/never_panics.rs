//! The parser returns a query or diagnostics for every input: never a panic, never
//! a stack overflow, and every error span lies on character boundaries inside the
//! input. Parsed queries always round-trip through their canonical form.

use proptest::prelude::*;
use trailhunt_lang::{MAX_DEPTH, parse_query};

/// Pieces of the language, glued into token soup.
const TOKENS: &[&str] = &[
    " ",
    " ",
    "\n",
    "\t",
    "(",
    ")",
    "|",
    ":",
    "=",
    "!=",
    "==",
    "<",
    "<=",
    ">",
    ">=",
    "*",
    "**",
    "\"",
    "'",
    "`",
    "\\",
    ",",
    ".",
    "-",
    "+",
    "/",
    "[0]",
    "[",
    "]",
    "and",
    "or",
    "not",
    "AND",
    "by",
    "as",
    "a",
    "eventName",
    "x-y",
    "1",
    "42",
    "-1.5",
    "1e3",
    "true",
    "\"q w\"",
    "'s q'",
    "`b t`",
    "@q.count",
    "%ingest.source_type",
    "é",
    "東",
    "stats",
    "count()",
    "sum(x)",
    "groupbycount",
    "head",
    "tail",
    "where",
    "eval",
    "rename",
    "table",
    "sort",
    "dedup",
    "top",
    "rare",
    "timechart",
    "span=1h",
    "percentile(95, x)",
    "lower(",
    "math.abs(",
    "if(",
    "#",
    "!",
    "~",
    "{",
    "}",
];

fn check(input: &str) {
    match parse_query(input) {
        Ok(q) => {
            let printed = q.to_string();
            let again = parse_query(&printed)
                .unwrap_or_else(|d| panic!("canonical form of {input:?} fails: {printed:?}: {d}"));
            assert_eq!(
                again.without_spans(),
                q.without_spans(),
                "{input:?} -> {printed:?}"
            );
        }
        Err(diags) => {
            assert!(!diags.errors().is_empty());
            for e in diags.errors() {
                assert!(
                    e.span.start <= e.span.end && e.span.end <= input.len(),
                    "{input:?}: {e:?}"
                );
                assert!(input.is_char_boundary(e.span.start) && input.is_char_boundary(e.span.end));
            }
            let rendered = diags.render(input);
            assert!(rendered.contains("error: "));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings(input in any::<String>()) {
        check(&input);
    }

    #[test]
    fn token_soup(tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..40)) {
        check(&tokens.concat());
    }

    #[test]
    fn spaced_token_soup(tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..40)) {
        check(&tokens.join(" "));
    }
}

fn assert_depth_error(input: &str) {
    let err = parse_query(input).expect_err("too deep");
    assert!(
        err.errors()
            .iter()
            .any(|e| e.message.contains("nesting deeper")),
        "{}",
        err.render(input)
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let n = 100_000;
    assert_depth_error(&format!("{}a{}", "(".repeat(n), ")".repeat(n)));
    assert_depth_error(&"(".repeat(n));
    assert_depth_error(&format!("{}a", "not ".repeat(n)));
    assert_depth_error(&format!("col:{}", "(".repeat(n)));
    assert_depth_error(&format!("col: ({}a", "(".repeat(n)));
    assert_depth_error(&format!("* | eval x = {}1", "-".repeat(n)));
    assert_depth_error(&format!("* | eval x = {}1", "(".repeat(n)));
    assert_depth_error(&format!("* | eval x = {}1", "not ".repeat(n)));
    assert_depth_error(&format!("* | eval x = {}1", "lower(".repeat(n)));
    assert_depth_error(&format!("* | where {}a > 1", "(".repeat(n)));
}

#[test]
fn nesting_up_to_the_limit_parses() {
    let depth = MAX_DEPTH - 1;
    let q = format!("{}a{}", "(".repeat(depth), ")".repeat(depth));
    assert!(parse_query(&q).is_ok());
    let q = format!("* | eval x = {}1{}", "(".repeat(depth), ")".repeat(depth));
    assert!(parse_query(&q).is_ok());
}

#[test]
fn long_flat_inputs_parse() {
    let words = "a ".repeat(50_000);
    assert!(parse_query(&words).is_ok());
    let ors = vec!["x"; 20_000].join(" or ");
    assert!(parse_query(&ors).is_ok());
    let list = format!("col=({})", "v ".repeat(20_000));
    assert!(parse_query(&list).is_ok());
    let pipes = "| head 1 ".repeat(5_000);
    assert!(parse_query(&pipes).is_ok());
    assert!(parse_query(&"\"".repeat(10_001)).is_err());
}
