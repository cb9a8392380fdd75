//! Sigma search identifiers (selections, keywords) as query filters.

use serde_norway::Value;
use trailhunt_lang::Span;
use trailhunt_lang::ast::{
    ColumnPath, FieldFilter, FieldValue, Filter, FilterKind, Op, Quote, Segment, Value as QValue,
    ValueList, ValuePart,
};

use super::SigmaError;
use super::patterns::{self, Pattern, Piece, SigmaValue};

/// A converted condition: filters, plus `where` expressions for what a filter
/// cannot say (comparing two fields).
#[derive(Clone, Debug)]
pub(crate) enum Node {
    Filter(Filter),
    /// A boolean `where` expression.
    Expr(String),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

fn filter(kind: FilterKind) -> Filter {
    Filter {
        kind,
        span: Span::default(),
    }
}

/// `items` joined by and/or, flattening nested joins of the same kind.
pub(crate) fn join(items: Vec<Filter>, and: bool) -> Filter {
    let mut flat = Vec::new();
    for item in items {
        match item.kind {
            FilterKind::And(inner) if and => flat.extend(inner),
            FilterKind::Or(inner) if !and => flat.extend(inner),
            kind => flat.push(filter(kind)),
        }
    }
    if flat.len() == 1 {
        return flat.remove(0);
    }
    filter(if and {
        FilterKind::And(flat)
    } else {
        FilterKind::Or(flat)
    })
}

pub(crate) fn negate(f: Filter) -> Filter {
    filter(FilterKind::Not(Box::new(f)))
}

fn path(field: &str) -> Result<ColumnPath, SigmaError> {
    if field.split('.').any(str::is_empty) {
        return Err(SigmaError::new(
            "field name",
            format!("`{field}` is not a field path"),
        ));
    }
    Ok(ColumnPath {
        segments: field
            .split('.')
            .map(|k| Segment::Key(k.to_string()))
            .collect(),
        raw: field.to_string(),
        span: Span::default(),
    })
}

fn any_column() -> ColumnPath {
    ColumnPath {
        segments: vec![Segment::AnyDepth],
        raw: "**".to_string(),
        span: Span::default(),
    }
}

fn field_filter(path: &ColumnPath, op: Op, value: FieldValue) -> Filter {
    filter(FilterKind::Field(FieldFilter {
        path: path.clone(),
        op,
        value,
        span: Span::default(),
    }))
}

fn exists(path: &ColumnPath) -> Filter {
    field_filter(path, Op::Contains, FieldValue::Exists(Span::default()))
}

/// Whether text can be written as a bare word: token characters and a few
/// safe separators, not a keyword.
fn bare_ok(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with(['-', '+', '.'])
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/' | '@' | '$'))
        && !["and", "or", "not", "null"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(text))
}

/// A value of the query language for `pattern`: `"…"` when case matters,
/// else bare when it can be, else `'…'`.
pub(crate) fn qvalue(parts: Pattern, cased: bool) -> QValue {
    let quote = if cased {
        Quote::Double
    } else if parts.iter().all(|p| match p {
        ValuePart::Text(t) => bare_ok(t),
        ValuePart::Wildcard => true,
    }) && parts.iter().any(|p| matches!(p, ValuePart::Text(_)))
    {
        Quote::Bare
    } else {
        Quote::Single
    };
    QValue {
        parts,
        quote,
        span: Span::default(),
    }
}

/// One matcher of a field: a value pattern, or a filter of its own.
enum Matcher {
    Value(QValue),
    Filter(Filter),
}

/// Joins matchers of one field: plain values of an OR become one list.
fn combine(path: &ColumnPath, op: Op, matchers: Vec<Matcher>, all: bool) -> Filter {
    let mut filters = Vec::new();
    let mut values = Vec::new();
    for m in matchers {
        match m {
            Matcher::Value(v) if !all => values.push(v),
            Matcher::Value(v) => filters.push(field_filter(path, op, FieldValue::Value(v))),
            Matcher::Filter(f) => filters.push(f),
        }
    }
    match values.len() {
        0 => {}
        1 => filters.insert(
            0,
            field_filter(path, op, FieldValue::Value(values.remove(0))),
        ),
        _ => filters.insert(
            0,
            field_filter(
                path,
                op,
                FieldValue::List(ValueList {
                    values,
                    span: Span::default(),
                }),
            ),
        ),
    }
    join(filters, all)
}

const KNOWN: [&str; 16] = [
    "contains",
    "startswith",
    "endswith",
    "all",
    "re",
    "i",
    "m",
    "s",
    "exists",
    "cidr",
    "fieldref",
    "cased",
    "lt",
    "lte",
    "gt",
    "gte",
];

/// Converts one search identifier's value.
pub(crate) fn search(name: &str, v: &Value) -> Result<Node, SigmaError> {
    match v {
        Value::Mapping(map) => {
            if map.is_empty() {
                return Err(SigmaError::new("selection", format!("`{name}` is empty")));
            }
            let mut items = Vec::new();
            for (key, value) in map {
                let Some(key) = key.as_str() else {
                    return Err(SigmaError::new(
                        "selection",
                        format!("`{name}` has a key that is not text"),
                    ));
                };
                items.push(field_item(key, value)?);
            }
            Ok(and_nodes(items))
        }
        Value::Sequence(seq) if !seq.is_empty() && seq.iter().all(Value::is_mapping) => {
            let items = seq
                .iter()
                .map(|m| search(name, m))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if items.len() == 1 {
                items.into_iter().next().expect("one item")
            } else {
                Node::Or(items)
            })
        }
        Value::Sequence(seq) if !seq.is_empty() => {
            let mut filters = Vec::new();
            for item in seq {
                filters.push(keyword(name, item)?);
            }
            Ok(Node::Filter(join(filters, false)))
        }
        Value::String(_) | Value::Number(_) => Ok(Node::Filter(keyword(name, v)?)),
        _ => Err(SigmaError::new(
            "selection",
            format!("`{name}` must be a map of fields, a list of maps, or keywords"),
        )),
    }
}

fn and_nodes(mut items: Vec<Node>) -> Node {
    if items.iter().all(|n| matches!(n, Node::Filter(_))) {
        let filters = items
            .into_iter()
            .map(|n| match n {
                Node::Filter(f) => f,
                _ => unreachable!(),
            })
            .collect();
        return Node::Filter(join(filters, true));
    }
    if items.len() == 1 {
        return items.remove(0);
    }
    Node::And(items)
}

/// A keyword: the text anywhere in the event, case-insensitively (`** = '*text*'`).
fn keyword(name: &str, v: &Value) -> Result<Filter, SigmaError> {
    let text = crate::rule::scalar_text(v)
        .filter(|_| !v.is_bool())
        .ok_or_else(|| SigmaError::new("keywords", format!("`{name}`: a keyword must be text")))?;
    let mut pieces = vec![Piece::Any];
    pieces.extend(patterns::sigma_pieces(&text));
    pieces.push(Piece::Any);
    Ok(match sigma_matcher(&any_column(), &pieces, false) {
        Matcher::Value(v) => field_filter(&any_column(), Op::Eq, FieldValue::Value(v)),
        Matcher::Filter(f) => f,
    })
}

/// `col = pattern`. A lone wildcard is `col = '*'`, not `col: *`: Sigma's `*`
/// matches a value, and an empty array or a null has none.
fn matcher(parts: Pattern, cased: bool) -> Matcher {
    Matcher::Value(qvalue(parts, cased))
}

/// `col ~ "pattern"`.
fn regex_filter(path: &ColumnPath, pattern: String) -> Filter {
    field_filter(
        path,
        Op::Regex,
        FieldValue::Value(QValue {
            parts: vec![ValuePart::Text(pattern)],
            quote: Quote::Double,
            span: Span::default(),
        }),
    )
}

/// The matcher of a Sigma value (wildcards `*` and `?`), folding case unless `cased`.
fn sigma_matcher(path: &ColumnPath, pieces: &[Piece], cased: bool) -> Matcher {
    match patterns::sigma_value(pieces, cased) {
        SigmaValue::Pattern(parts) => matcher(parts, cased),
        SigmaValue::Regex(re) => Matcher::Filter(regex_filter(path, re)),
    }
}

/// One `field|modifiers: value(s)` item of a selection map.
fn field_item(key: &str, value: &Value) -> Result<Node, SigmaError> {
    let mut pieces = key.split('|');
    let field = pieces.next().unwrap_or_default();
    let mods: Vec<String> = pieces.map(|m| m.trim().to_ascii_lowercase()).collect();
    if field.is_empty() {
        return Err(SigmaError::new(
            "keyword modifiers",
            format!("`{key}`: modifiers on keywords (no field name) are not supported"),
        ));
    }
    if let Some(m) = mods.iter().find(|m| !KNOWN.contains(&m.as_str())) {
        return Err(SigmaError::new(
            m.as_str(),
            format!(
                "the value modifier `{m}` (in `{key}`) has no equivalent in the query language"
            ),
        ));
    }
    let has = |m: &str| mods.iter().any(|x| x == m);
    let path = path(field)?;
    let values: Vec<&Value> = match value {
        Value::Sequence(seq) if seq.is_empty() => {
            return Err(SigmaError::new(
                "selection",
                format!("`{key}` has an empty list"),
            ));
        }
        Value::Sequence(seq) => seq.iter().collect(),
        v => vec![v],
    };
    let all = has("all");
    if (has("i") || has("m") || has("s")) && !has("re") {
        return Err(SigmaError::new(
            "re",
            format!("`{key}`: the flags i/m/s belong to `re`"),
        ));
    }
    if has("exists") {
        let want = values
            .first()
            .and_then(|v| v.as_bool())
            .ok_or_else(|| SigmaError::new("exists", format!("`{key}` needs true or false")))?;
        // Sigma: the field is present, "be it empty or null".
        let f = join(
            vec![
                exists(&path),
                field_filter(&path, Op::Eq, FieldValue::Null(Span::default())),
            ],
            false,
        );
        return Ok(Node::Filter(if want { f } else { negate(f) }));
    }
    if has("fieldref") {
        if mods
            .iter()
            .any(|m| !matches!(m.as_str(), "fieldref" | "all"))
        {
            return Err(SigmaError::new(
                "fieldref",
                format!("`{key}`: fieldref with other modifiers is not supported"),
            ));
        }
        let mut exprs = Vec::new();
        for v in values {
            let other = v.as_str().ok_or_else(|| {
                SigmaError::new("fieldref", format!("`{key}`: the value must name a field"))
            })?;
            exprs.push(Node::Expr(format!(
                "coalesce({} == {}, false)",
                path,
                self::path(other)?
            )));
        }
        return Ok(if exprs.len() == 1 {
            exprs.remove(0)
        } else if all {
            Node::And(exprs)
        } else {
            Node::Or(exprs)
        });
    }
    let text_of = |v: &Value| {
        crate::rule::scalar_text(v)
            .ok_or_else(|| SigmaError::new("selection", format!("`{key}`: values must be scalars")))
    };
    for (m, op) in [
        ("lt", Op::Lt),
        ("lte", Op::Le),
        ("gt", Op::Gt),
        ("gte", Op::Ge),
    ] {
        if has(m) {
            let mut filters = Vec::new();
            for v in &values {
                let n = text_of(v)?;
                if n.parse::<f64>().is_err() {
                    return Err(SigmaError::new(
                        m,
                        format!("`{key}` needs a number, not `{n}`"),
                    ));
                }
                filters.push(field_filter(
                    &path,
                    op,
                    FieldValue::Value(qvalue(vec![ValuePart::Text(n)], false)),
                ));
            }
            return Ok(Node::Filter(join(filters, all)));
        }
    }
    let mut matchers = Vec::new();
    for v in values {
        if v.is_null() {
            matchers.push(Matcher::Filter(negate(exists(&path))));
            continue;
        }
        let text = text_of(v)?;
        if has("re") {
            // Literal alternatives become value patterns; any other regex a `~` test.
            match patterns::regex(&text, has("i"), has("m")) {
                Ok(list) => {
                    let mut inner: Vec<Matcher> =
                        list.into_iter().map(|p| matcher(p, !has("i"))).collect();
                    matchers.push(if inner.len() == 1 {
                        inner.remove(0)
                    } else {
                        Matcher::Filter(combine(&path, Op::Eq, inner, false))
                    });
                }
                _ => {
                    let re = patterns::regex_pattern(&text, has("i"), has("m"), has("s"))?;
                    matchers.push(Matcher::Filter(regex_filter(&path, re)));
                }
            }
            continue;
        }
        // A range may become several patterns: any of them matches.
        let several = if has("cidr") {
            Some((patterns::cidr(&text)?, false))
        } else {
            None
        };
        if let Some((mut list, cased)) = several {
            if list.len() == 1 {
                matchers.push(matcher(list.remove(0), cased));
            } else {
                let inner = list.into_iter().map(|p| matcher(p, cased)).collect();
                matchers.push(Matcher::Filter(combine(&path, Op::Eq, inner, false)));
            }
            continue;
        }
        let mut pieces = Vec::new();
        if has("contains") || has("endswith") {
            pieces.push(Piece::Any);
        }
        pieces.extend(patterns::sigma_pieces(&text));
        if has("contains") || has("startswith") {
            pieces.push(Piece::Any);
        }
        pieces.dedup_by(|a, b| *a == Piece::Any && *b == Piece::Any);
        matchers.push(sigma_matcher(&path, &pieces, has("cased")));
    }
    Ok(Node::Filter(combine(&path, Op::Eq, matchers, all)))
}
