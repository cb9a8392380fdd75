//! The filter: `not` > `and` (or juxtaposition) > `or`, terms, and column tests.

use super::lex::PathMode;
use super::values::is_lone_star;
use super::{PResult, Parser};
use crate::Span;
use crate::ast::{FieldFilter, FieldValue, Filter, FilterKind, Op, Quote};
use crate::error::ParseError;

/// An operator after a column, as written.
enum WrittenOp {
    Op(Op),
    /// `!=`, an extension read as `not col = value`.
    NotEq,
}

impl<'a> Parser<'a> {
    /// A whole piece as a filter; empty means match-all.
    pub(super) fn filter_segment(&mut self) -> PResult<Filter> {
        if self.at_end() {
            return Ok(Filter::match_all(self.pos));
        }
        let filter = self.filter_or()?;
        if !self.at_end() {
            if self.peek() == Some(')') {
                return Err(ParseError::new(self.token_span(), "unmatched `)`")
                    .help("remove it, or add a `(` where the group should start"));
            }
            return Err(self.unexpected(["`and`", "`or`", "a term", "`|`"]));
        }
        Ok(filter)
    }

    fn filter_or(&mut self) -> PResult<Filter> {
        let mut items = vec![self.filter_and()?];
        loop {
            self.skip_ws();
            if !self.eat_filter_keyword("or") {
                break;
            }
            self.skip_ws();
            items.push(self.filter_and()?);
        }
        Ok(combine(items, FilterKind::Or))
    }

    fn starts_term(&mut self) -> bool {
        !self.at_end() && self.peek() != Some(')') && !self.filter_keyword("or")
    }

    /// Whether the keyword `kw` is next and is not a column name (`or: x`).
    fn filter_keyword(&mut self, kw: &str) -> bool {
        self.peek_keyword(kw) && !self.keyword_is_column(kw)
    }

    fn eat_filter_keyword(&mut self, kw: &str) -> bool {
        let found = self.filter_keyword(kw);
        if found {
            self.pos += kw.len();
        }
        found
    }

    fn filter_and(&mut self) -> PResult<Filter> {
        let mut items = vec![self.filter_not()?];
        loop {
            self.skip_ws();
            if self.eat_filter_keyword("and") {
                self.skip_ws();
                items.push(self.filter_not()?);
            } else if self.starts_term() {
                items.push(self.filter_not()?);
            } else {
                break;
            }
        }
        Ok(combine(items, FilterKind::And))
    }

    fn filter_not(&mut self) -> PResult<Filter> {
        let start = self.pos;
        if self.filter_keyword("not") {
            self.pos += 3;
            self.skip_ws();
            let inner = self.nested(Span::new(start, self.pos), |p| p.filter_not())?;
            return Ok(Filter {
                span: Span::new(start, inner.span.end),
                kind: FilterKind::Not(Box::new(inner)),
            });
        }
        self.filter_atom()
    }

    /// `not: x` tests a column named `not`: a keyword followed by an operator is a column.
    fn keyword_is_column(&mut self, kw: &str) -> bool {
        let save = self.pos;
        self.pos += kw.len();
        self.skip_ws();
        let is_op = self.rest().starts_with([':', '=', '<', '>']) || self.rest().starts_with("!=");
        self.pos = save;
        is_op
    }

    fn filter_atom(&mut self) -> PResult<Filter> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            None => Err(self.unexpected(["a term"])),
            Some('(') => {
                self.pos += 1;
                if self.at_end() {
                    return self.close_paren(start).map(|()| Filter::match_all(start));
                }
                if self.peek() == Some(')') {
                    return Err(ParseError::new(
                        Span::new(start, self.pos + 1),
                        "empty parentheses",
                    )
                    .expected(["a term"])
                    .help("remove the `()`, or put a condition inside"));
                }
                let inner = self.nested(Span::new(start, start + 1), |p| p.filter_or())?;
                self.close_paren(start)?;
                Ok(inner)
            }
            Some(')') => Err(ParseError::new(self.token_span(), "unmatched `)`")
                .help("remove it, or add a `(` where the group should start")),
            Some('"' | '\'') => {
                let v = self.value()?;
                Ok(Filter {
                    span: v.span,
                    kind: FilterKind::Text(v),
                })
            }
            Some(_) if self.filter_keyword("and") || self.filter_keyword("or") => Err(self
                .unexpected(["a term"])
                .help("`and`/`or` join two terms; to search for the word itself, quote it: 'and'")),
            Some(c @ (':' | '=' | '<' | '>')) => Err(ParseError::new(
                self.token_span(),
                format!("missing column name before `{c}`"),
            )
            .expected(["a column name"])
            .help(format!(
                "write the column first, e.g. `eventName{c}GetObject`"
            ))),
            Some(_) => self.term_word(start),
        }
    }

    /// A bare word: a column test when an operator follows, else free text.
    fn term_word(&mut self, start: usize) -> PResult<Filter> {
        if self.peek() == Some('`') {
            let path = self.column(PathMode::Filter)?;
            self.skip_ws();
            if let Some(f) = self.in_list(&path, start)? {
                return Ok(f);
            }
            return match self.op()? {
                Some(op) => self.field(path, op, start),
                None => Err(ParseError::new(
                    path.span,
                    "a backtick-quoted column needs an operator",
                )
                .expected(["`:`", "`=`"])
                .help(
                    "backticks quote column names; to search for text quote it with \"…\" or '…'",
                )),
            };
        }
        if let Ok(path) = self.column(PathMode::Filter) {
            self.skip_ws();
            if let Some(op) = self.op()? {
                return self.field(path, op, start);
            }
            if let Some(f) = self.in_list(&path, start)? {
                return Ok(f);
            }
        }
        self.pos = start;
        if self.peek() == Some('!') {
            return Err(ParseError::new(self.token_span(), "unexpected `!`")
                .expected(["a term"])
                .help("negate with `not`, e.g. `not eventName=GetObject`"));
        }
        let v = self.value()?;
        if is_lone_star(&v) {
            return Ok(Filter {
                kind: FilterKind::MatchAll,
                span: v.span,
            });
        }
        Ok(Filter {
            span: v.span,
            kind: FilterKind::Text(v),
        })
    }

    /// `col IN (a b)` or `col in (a, b)` (Splunk's spelling): the list form `col=(a b)`.
    /// Only a `(` after `in` makes it a list; otherwise nothing is consumed.
    fn in_list(&mut self, path: &crate::ast::ColumnPath, start: usize) -> PResult<Option<Filter>> {
        let save = self.pos;
        if !self.peek_keyword("in") {
            return Ok(None);
        }
        self.pos += 2;
        self.skip_ws();
        if self.peek() != Some('(') {
            self.pos = save;
            return Ok(None);
        }
        let value = self.value_group_with_commas(true)?;
        let span = Span::new(start, self.pos);
        Ok(Some(Filter {
            kind: FilterKind::Field(FieldFilter {
                path: path.clone(),
                op: Op::Eq,
                value,
                span,
            }),
            span,
        }))
    }

    /// The operator after a column, if one is at the cursor.
    fn op(&mut self) -> PResult<Option<(WrittenOp, Span)>> {
        let start = self.pos;
        if self.rest().starts_with("==") {
            return Err(ParseError::new(Span::new(start, start + 2), "`==` in a filter")
                .expected(["`=`", "`:`"])
                .help("filters compare with a single `=`; `==` belongs in `eval` and `where` expressions"));
        }
        let op = if self.eat_str("!=") {
            WrittenOp::NotEq
        } else if self.eat_str("<=") {
            WrittenOp::Op(Op::Le)
        } else if self.eat_str(">=") {
            WrittenOp::Op(Op::Ge)
        } else if self.eat('<') {
            WrittenOp::Op(Op::Lt)
        } else if self.eat('>') {
            WrittenOp::Op(Op::Gt)
        } else if self.eat('=') {
            WrittenOp::Op(Op::Eq)
        } else if self.eat(':') {
            WrittenOp::Op(Op::Contains)
        } else if self.eat('~') {
            WrittenOp::Op(Op::Regex)
        } else {
            return Ok(None);
        };
        Ok(Some((op, Span::new(start, self.pos))))
    }

    /// The value after `col op`.
    fn field(
        &mut self,
        path: crate::ast::ColumnPath,
        (written, op_span): (WrittenOp, Span),
        start: usize,
    ) -> PResult<Filter> {
        let op = match written {
            WrittenOp::Op(op) => op,
            WrittenOp::NotEq => Op::Eq,
        };
        let op_text = op_span.slice(self.src).to_string();
        self.skip_ws();
        if op == Op::Regex {
            let value = FieldValue::Value(self.regex_value(&path)?);
            let span = Span::new(start, self.pos);
            return Ok(Filter {
                kind: FilterKind::Field(FieldFilter {
                    path,
                    op,
                    value,
                    span,
                }),
                span,
            });
        }
        let value = match self.peek() {
            None | Some(')') => {
                return Err(ParseError::new(op_span, format!("missing value after `{op_text}`"))
                    .expected(["a value", "`*`", "`(`"])
                    .help(format!(
                        "write a value after `{op_text}` (e.g. `{path}{op_text}foo`), or `{path}: *` to test that the column exists"
                    )));
            }
            Some('(') if op.is_range() => {
                return Err(ParseError::new(
                    self.token_span(),
                    format!("`{op_text}` takes a single value, not a list"),
                )
                .expected(["a number"]));
            }
            // `,` separates values too (`col = (a, b)`), as in `col IN (a, b)`.
            Some('(') => self.value_group_with_commas(true)?,
            Some(_) => {
                let v = self.value()?;
                if is_lone_star(&v) {
                    if op.is_range() {
                        return Err(ParseError::new(
                            v.span,
                            format!("`{op_text} *` is not a comparison"),
                        )
                        .expected(["a number"])
                        .help(format!("to test that the column exists write `{path}: *`")));
                    }
                    FieldValue::Exists(v.span)
                } else if is_bare_null(&v) && matches!(op, Op::Contains | Op::Eq) {
                    FieldValue::Null(v.span)
                } else {
                    FieldValue::Value(v)
                }
            }
        };
        let span = Span::new(start, self.pos);
        let field = Filter {
            kind: FilterKind::Field(FieldFilter {
                path,
                op,
                value,
                span,
            }),
            span,
        };
        Ok(match written {
            WrittenOp::NotEq => Filter {
                kind: FilterKind::Not(Box::new(field)),
                span,
            },
            WrittenOp::Op(_) => field,
        })
    }
}

/// Whether every test in `f` is a column test whose range comparisons have a
/// number or a quoted value: the rule for reading a `where` body as a filter.
pub(super) fn is_row_filter(f: &Filter) -> bool {
    match &f.kind {
        FilterKind::MatchAll | FilterKind::Text(_) => false,
        FilterKind::And(items) | FilterKind::Or(items) => items.iter().all(is_row_filter),
        FilterKind::Not(inner) => is_row_filter(inner),
        FilterKind::Field(field) => match (&field.value, field.op.is_range()) {
            (FieldValue::Value(v), true) => v.quote != Quote::Bare || v.as_number().is_some(),
            // `where x = null` / `where x != null` are null tests: read as an expression.
            (FieldValue::Value(v), false) => !is_bare_null(v),
            (FieldValue::List(l), _) => !l.values.iter().any(is_bare_null),
            (FieldValue::Null(_), _) => false,
            _ => true,
        },
    }
}

/// A bare `null` (any case): in `where` it means the null value, not the word.
fn is_bare_null(v: &crate::ast::Value) -> bool {
    v.quote == Quote::Bare && v.literal().is_some_and(|t| t.eq_ignore_ascii_case("null"))
}

/// One item as itself, several as an `And`/`Or` node spanning them.
fn combine(mut items: Vec<Filter>, make: fn(Vec<Filter>) -> FilterKind) -> Filter {
    if items.len() == 1
        && let Some(only) = items.pop()
    {
        return only;
    }
    let span = match (items.first(), items.last()) {
        (Some(a), Some(b)) => a.span.to(b.span),
        _ => Span::default(),
    };
    Filter {
        kind: make(items),
        span,
    }
}
