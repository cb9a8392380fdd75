//! Spans point at the text each node came from.

use trailhunt_lang::ast::{FieldValue, FilterKind, StageKind, Value};
use trailhunt_lang::parse_query;

const TOP: &str = r#""arn:aws:iam::798029671665:user/pgibbons" s3.amazonaws.com GetObject
| rename additionalEventData.bytesTransferredOut as bytes_exfiltrated
| stats sum(bytes_exfiltrated) as total by s3_bucket, user_name  
| groupbycount user_name"#;

fn text(span: trailhunt_lang::Span) -> &'static str {
    span.slice(TOP)
}

#[test]
fn spans_slice_the_query() {
    let q = parse_query(TOP).expect("parses");
    assert_eq!(text(q.span), TOP);
    let FilterKind::And(items) = &q.filter.kind else {
        panic!("and expected")
    };
    assert_eq!(
        text(q.filter.span),
        r#""arn:aws:iam::798029671665:user/pgibbons" s3.amazonaws.com GetObject"#
    );
    assert_eq!(text(items[1].span), "s3.amazonaws.com");
    let spans: Vec<&str> = q.stages.iter().map(|s| text(s.span)).collect();
    assert_eq!(
        spans,
        [
            "rename additionalEventData.bytesTransferredOut as bytes_exfiltrated",
            "stats sum(bytes_exfiltrated) as total by s3_bucket, user_name",
            "groupbycount user_name",
        ]
    );
    let StageKind::Stats(stats) = &q.stages[1].kind else {
        panic!("stats expected")
    };
    assert_eq!(text(stats.aggs[0].span), "sum(bytes_exfiltrated) as total");
    assert_eq!(text(stats.by[1].span), "user_name");
    assert_eq!(
        stats.aggs[0].alias.as_ref().map(|a| text(a.span)),
        Some("total")
    );
    assert_eq!(stats.aggs[0].output_name(), "total");
}

#[test]
fn field_and_value_spans() {
    let q = parse_query("x  b.c = ( 1 \"two\" )").expect("parses");
    let FilterKind::And(items) = &q.filter.kind else {
        panic!("and expected")
    };
    let FilterKind::Field(field) = &items[1].kind else {
        panic!("field expected")
    };
    let src = "x  b.c = ( 1 \"two\" )";
    assert_eq!(field.span.slice(src), "b.c = ( 1 \"two\" )");
    assert_eq!(field.path.span.slice(src), "b.c");
    let FieldValue::List(list) = &field.value else {
        panic!("list expected")
    };
    assert_eq!(list.span.slice(src), "( 1 \"two\" )");
    let spans: Vec<&str> = list.values.iter().map(|v| v.span.slice(src)).collect();
    assert_eq!(spans, ["1", "\"two\""]);
}

fn value(src: &str) -> Value {
    let q = parse_query(&format!("c = {src}")).expect("parses");
    match q.filter.kind {
        FilterKind::Field(f) => match f.value {
            FieldValue::Value(v) => v,
            other => panic!("value expected, got {other:?}"),
        },
        other => panic!("field expected, got {other:?}"),
    }
}

/// (source, literal text, has wildcard, number, bool)
type HintCase = (
    &'static str,
    Option<&'static str>,
    bool,
    Option<f64>,
    Option<bool>,
);

#[test]
fn value_hints() {
    let cases: [HintCase; 8] = [
        ("42", Some("42"), false, Some(42.0), None),
        ("-1.5e2", Some("-1.5e2"), false, Some(-150.0), None),
        ("\"42\"", Some("42"), false, None, None),
        ("True", Some("True"), false, None, Some(true)),
        ("'false'", Some("false"), false, None, None),
        ("app-*", None, true, None, None),
        ("a\\*b", Some("a*b"), false, None, None),
        ("inf", Some("inf"), false, None, None),
    ];
    for (src, literal, wild, number, boolean) in cases {
        let v = value(src);
        assert_eq!(v.literal().as_deref(), literal, "{src}");
        assert_eq!(v.has_wildcard(), wild, "{src}");
        assert_eq!(v.as_number(), number, "{src}");
        assert_eq!(v.as_bool(), boolean, "{src}");
    }
}

#[test]
fn explain_shows_canonical_form_and_tree() {
    let out = trailhunt_lang::explain("eventName:Get* | head(3)").expect("parses");
    assert_eq!(
        out,
        "canonical: eventName: Get* | head 3\nast:\n(query (field eventName : (bare \"Get\" *)) (head 3))\n"
    );
    assert!(trailhunt_lang::explain("a |").is_err());
}

#[test]
fn error_display_is_one_line_with_help() {
    let err = parse_query("* | grouby x").expect_err("unknown stage");
    assert_eq!(
        err.to_string(),
        "unknown stage `grouby`; did you mean `groupbycount`?"
    );
}
