//! Adding a term to a query's filter, as `\and` and `\not` do: the term is written as
//! the language reads it back, and the query keeps its own text (line breaks, comments,
//! stages) around the added term.

use serde_json::Value as Json;
use trailhunt_lang::Span;
use trailhunt_lang::ast::{Filter, FilterKind, Quote, Value, ValuePart};

/// `value` written as a filter value that equals it exactly: a string in double quotes
/// (case-sensitive, `*` and quotes escaped), a number or boolean bare.
fn literal(value: &str) -> String {
    Value {
        parts: vec![ValuePart::Text(value.to_string())],
        quote: Quote::Double,
        span: Span::default(),
    }
    .to_string()
}

/// The filter term testing `column` for a value `\top` counted: `column = "v"` (or bare
/// for numbers and booleans), `not column: *` for the missing value; with `negate`, the
/// opposite. Several values at once (an array) or an object have no such term.
pub fn term_for_value(column: &str, value: &Json, negate: bool) -> Result<String, String> {
    let not = if negate { "not " } else { "" };
    let test = match value {
        Json::Null => {
            return Ok(if negate {
                format!("{column}: *")
            } else {
                format!("not {column}: *")
            });
        }
        Json::String(s) => literal(s),
        Json::Number(n) => n.to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Array(_) | Json::Object(_) => {
            return Err(format!(
                "that value is {} at once, and a filter term tests one: add one of them with \\and {column}=VALUE",
                if value.is_array() {
                    "several values"
                } else {
                    "a whole object"
                }
            ));
        }
    };
    Ok(format!("{not}{column} = {test}"))
}

/// The term for `\and COLUMN=VALUE` as typed: VALUE is taken literally (and quoted)
/// unless it is already quoted, a number, `true`/`false`, or `*` (the column exists).
pub fn term_for_text(text: &str, negate: bool) -> Result<String, String> {
    let Some(eq) = equals_outside_backticks(text) else {
        return Err(format!(
            "`{text}` is not COLUMN=VALUE: give a row number of the last \\top, or COLUMN=VALUE (e.g. errorCode=AccessDenied)"
        ));
    };
    let column = text[..eq].trim();
    let raw = text[eq + 1..].trim();
    if column.is_empty() {
        return Err(format!(
            "no column before `=` in `{text}`: write COLUMN=VALUE"
        ));
    }
    let bare = Value {
        parts: vec![ValuePart::Text(raw.to_string())],
        quote: Quote::Bare,
        span: Span::default(),
    };
    let value = if raw.starts_with(['"', '\''])
        || raw == "*"
        || bare.as_number().is_some()
        || bare.as_bool().is_some()
    {
        raw.to_string()
    } else {
        literal(raw)
    };
    let not = if negate { "not " } else { "" };
    Ok(format!("{not}{column} = {value}"))
}

/// The byte offset of the first `=` not inside backticks.
fn equals_outside_backticks(text: &str) -> Option<usize> {
    let mut tick = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if tick => escaped = true,
            '`' => tick = !tick,
            '=' if !tick => return Some(i),
            _ => {}
        }
    }
    None
}

/// `query` with `term` added to its filter (the text before the first `|`): `*` or an
/// empty filter becomes the term, a filter whose top level is `or` is put in
/// parentheses first. The result is parsed back and checked to be the old filter and
/// the term, the stages unchanged.
pub fn add_to_filter(query: &str, term: &str) -> Result<String, String> {
    let old = trailhunt_lang::parse_query(query)
        .map_err(|e| format!("the last query does not parse:\n{}", e.render(query)))?;
    let added = trailhunt_lang::parse_query(term).map_err(|e| {
        format!(
            "`{term}` is not a filter term:\n{}",
            e.render(term).trim_end()
        )
    })?;
    if !added.stages.is_empty()
        || !matches!(added.filter.kind, FilterKind::Field(_) | FilterKind::Not(_))
    {
        return Err(format!(
            "`{term}` is not one column test: write COLUMN=VALUE with a column name before the `=`"
        ));
    }
    let blanked = trailhunt_lang::blank_comments(query);
    let filter_end = first_pipe(&blanked).unwrap_or(query.len());
    let region = &blanked[..filter_end];
    let start = region.len() - region.trim_start().len();
    let end = region.trim_end().len().max(start);
    let text = match old.filter.kind {
        FilterKind::MatchAll => {
            // `*` (or nothing) is replaced; keep a space before a `|` right after it.
            let gap = if filter_end < query.len() && end == filter_end {
                " "
            } else {
                ""
            };
            format!("{}{term}{gap}{}", &query[..start], &query[end..])
        }
        FilterKind::Or(_) if !enclosed(&blanked[start..end]) => format!(
            "{}({}) {term}{}",
            &query[..start],
            &query[start..end],
            &query[end..]
        ),
        _ => format!("{} {term}{}", &query[..end], &query[end..]),
    };
    // What the new text must mean: the old filter's terms and the new one.
    let items = match old.filter.kind.clone() {
        FilterKind::MatchAll => vec![],
        FilterKind::And(items) => items,
        _ => vec![old.filter.clone()],
    };
    let expected = if items.is_empty() {
        added.filter.clone()
    } else {
        Filter {
            kind: FilterKind::And(items.into_iter().chain([added.filter.clone()]).collect()),
            span: Span::default(),
        }
    };
    let new = trailhunt_lang::parse_query(&text).map_err(|e| {
        format!(
            "adding `{term}` gave a query that does not parse (edit it with \\edit):\n{}",
            e.render(&text).trim_end()
        )
    })?;
    let stages = |q: &trailhunt_lang::Query| -> Vec<String> {
        q.stages.iter().map(|s| s.to_string()).collect()
    };
    if new.filter.to_string() != expected.to_string() || stages(&new) != stages(&old) {
        return Err(format!(
            "adding `{term}` here would change what the query means (it became `{new}`): edit it with \\edit"
        ));
    }
    Ok(text)
}

/// The byte offset of the first `|` that separates stages: outside quotes and
/// backticks, not escaped (`text` has its comments blanked).
fn first_pipe(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (_, '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '|') => return Some(i),
            (None, _) => {}
        }
    }
    None
}

/// Whether `text` is one parenthesized group: its first `(` closes at its last byte.
fn enclosed(text: &str) -> bool {
    if !text.starts_with('(') {
        return false;
    }
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (_, '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1 == text.len();
                }
            }
            (None, _) => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn add(query: &str, term: &str) -> String {
        add_to_filter(query, term).unwrap_or_else(|e| panic!("{query} + {term}: {e}"))
    }

    #[test]
    fn terms_for_top_values() {
        let t = |v: Json, neg| term_for_value("errorCode", &v, neg).unwrap();
        assert_eq!(
            t(json!("AccessDenied"), false),
            r#"errorCode = "AccessDenied""#
        );
        assert_eq!(
            t(json!("AccessDenied"), true),
            r#"not errorCode = "AccessDenied""#
        );
        // Quotes, backslashes and stars are escaped: the value is matched literally.
        assert_eq!(
            t(json!(r#"a "b" \ *"#), false),
            r#"errorCode = "a \"b\" \\ \*""#
        );
        assert_eq!(t(json!(""), false), r#"errorCode = """#);
        assert_eq!(t(json!(1024), false), "errorCode = 1024");
        assert_eq!(t(json!(1.5), false), "errorCode = 1.5");
        assert_eq!(t(json!(true), false), "errorCode = true");
        assert_eq!(t(json!(null), false), "not errorCode: *");
        assert_eq!(t(json!(null), true), "errorCode: *");
        assert!(term_for_value("resources.ARN", &json!(["a", "b"]), false).is_err());
        assert!(term_for_value("x", &json!({"a": 1}), false).is_err());
    }

    #[test]
    fn terms_for_typed_text() {
        let t = |s, neg| term_for_text(s, neg).unwrap();
        assert_eq!(
            t("errorCode=AccessDenied", false),
            r#"errorCode = "AccessDenied""#
        );
        assert_eq!(
            t("userAgent = aws-cli/2.0 Python/3.8", true),
            r#"not userAgent = "aws-cli/2.0 Python/3.8""#
        );
        assert_eq!(t("a.b=\"Get*\"", false), "a.b = \"Get*\"");
        assert_eq!(t("a.b='x y'", false), "a.b = 'x y'");
        assert_eq!(t("bytes=1024", false), "bytes = 1024");
        assert_eq!(t("flag=TRUE", false), "flag = TRUE");
        assert_eq!(t("errorCode=*", true), "not errorCode = *");
        // The first `=` outside backticks splits; the value may hold more.
        assert_eq!(t("`a=b`=c=d", false), r#"`a=b` = "c=d""#);
        assert!(term_for_text("errorCode", false).is_err());
        assert!(term_for_text("=x", false).is_err());
    }

    #[test]
    fn adds_to_the_filter_before_the_stages() {
        assert_eq!(
            add("eventName=ConsoleLogin", r#"errorCode = "X""#),
            r#"eventName=ConsoleLogin errorCode = "X""#
        );
        assert_eq!(
            add(
                "eventName=ConsoleLogin | groupbycount errorCode",
                "not x: *"
            ),
            "eventName=ConsoleLogin not x: * | groupbycount errorCode"
        );
        // Lines, comments and the stages' own text are kept.
        assert_eq!(
            add("a=1   # first\n| stats count() by b\n| head 3", "c = 2"),
            "a=1 c = 2   # first\n| stats count() by b\n| head 3"
        );
        // A `|` in quotes or backticks is no stage.
        assert_eq!(
            add(r#"x="a|b" `c|d`:e | count"#, "y = 1"),
            r#"x="a|b" `c|d`:e y = 1 | count"#
        );
    }

    #[test]
    fn match_all_becomes_the_term() {
        assert_eq!(add("*", "a = 1"), "a = 1");
        assert_eq!(add("* | count", "a = 1"), "a = 1 | count");
        assert_eq!(add("*|count", "a = 1"), "a = 1 |count");
        assert_eq!(add("  *\n| count", "a = 1"), "  a = 1\n| count");
    }

    #[test]
    fn or_is_grouped_first() {
        assert_eq!(add("a=1 or b=2", "c = 3"), "(a=1 or b=2) c = 3");
        assert_eq!(
            add("a=1 or b=2 | count", "not c = 3"),
            "(a=1 or b=2) not c = 3 | count"
        );
        // Already one group: no second pair of parentheses.
        assert_eq!(add("(a=1 or b=2)", "c = 3"), "(a=1 or b=2) c = 3");
        // Two groups joined by `or` are not one group.
        assert_eq!(add("(a=1) or (b=2)", "c = 3"), "((a=1) or (b=2)) c = 3");
        assert_eq!(add("not a=1", "c = 3"), "not a=1 c = 3");
    }

    #[test]
    fn what_is_not_a_column_test_is_refused() {
        assert!(add_to_filter("a=1", "b c = 1").is_err());
        assert!(add_to_filter("a=1", "x = 1 | count").is_err());
        assert!(add_to_filter("a=1", "x = (1").is_err());
    }
}
