//! Values, value lists and value groups, column paths and names.

use super::lex::{self, PathMode};
use super::{PResult, Parser};
use crate::Span;
use crate::ast::{
    ColumnPath, FieldValue, Ident, Quote, Value, ValueGroup, ValueGroupKind, ValueList, ValuePart,
};
use crate::error::ParseError;

impl<'a> Parser<'a> {
    /// The quoted pattern after `col ~`: `"…"` or `'…'`, where `\` before the closing
    /// quote character stands for that character and every other backslash is the
    /// pattern's own (`"\d+\.exe"` is the regex `\d+\.exe`).
    pub(super) fn regex_value(&mut self, path: &ColumnPath) -> PResult<Value> {
        let start = self.pos;
        let Some(q @ ('"' | '\'')) = self.peek() else {
            return Err(ParseError::new(
                self.token_span(),
                "`~` takes a quoted regular expression",
            )
            .expected(["`\"…\"`", "`'…'`"])
            .help(format!(
                "quote the pattern, e.g. `{path} ~ \"^arn:aws:iam::[0-9]+:root$\"`"
            )));
        };
        let mut pattern = String::new();
        let mut chars = self.rest()[1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, n)) if n == q => pattern.push(n),
                    Some((_, n)) => {
                        pattern.push('\\');
                        pattern.push(n);
                    }
                    None => break,
                },
                c if c == q => {
                    self.pos += 1 + i + c.len_utf8();
                    return Ok(Value {
                        parts: vec![ValuePart::Text(pattern)],
                        quote: Quote::Double,
                        span: Span::new(start, self.pos),
                    });
                }
                c => pattern.push(c),
            }
        }
        Err(ParseError::new(
            Span::new(start, self.end),
            "unterminated regular expression",
        )
        .expected([format!("a closing `{q}`")])
        .help(format!("add a closing `{q}`")))
    }

    /// A quoted string or a bare word.
    pub(super) fn value(&mut self) -> PResult<Value> {
        let start = self.pos;
        match self.peek() {
            Some(q @ ('"' | '\'')) => {
                self.pos += 1;
                match self.lex(lex::quoted_rest(q)) {
                    Some(parts) => Ok(Value {
                        parts,
                        quote: if q == '"' {
                            Quote::Double
                        } else {
                            Quote::Single
                        },
                        span: Span::new(start, self.pos),
                    }),
                    None => {
                        self.pos = start;
                        Err(
                            ParseError::new(Span::new(start, self.end), "unterminated string")
                                .expected([format!("a closing `{q}`")])
                                .help(format!("add a closing `{q}`")),
                        )
                    }
                }
            }
            _ => {
                let parts = self
                    .lex(lex::bare_word)
                    .ok_or_else(|| self.unexpected(["a value"]))?;
                self.no_call_after_word(start)?;
                Ok(Value {
                    parts,
                    quote: Quote::Bare,
                    span: Span::new(start, self.pos),
                })
            }
        }
    }

    /// Filters have no functions: `word(` is almost always a mistake, and reading
    /// it as two terms would silently change the meaning.
    pub(super) fn no_call_after_word(&self, start: usize) -> PResult<()> {
        if self.peek() == Some('(') {
            let word = Span::new(start, self.pos + 1);
            return Err(ParseError::new(
                word,
                format!("`{}` looks like a function call", word.slice(self.src)),
            )
            .help("filters have no functions: put a space before `(` or quote the text; for computed conditions use `| where`"));
        }
        Ok(())
    }

    /// A column path (dots, `[n]`, `*`, `**`, backticks).
    pub(super) fn column(&mut self, mode: PathMode) -> PResult<ColumnPath> {
        let start = self.pos;
        if self.peek() == Some('`') && self.lex(lex::backticked).is_none() {
            return Err(ParseError::new(
                Span::new(start, self.end),
                "unterminated or empty backtick-quoted name",
            )
            .help("close the name with a backtick: `` `x-amz-id-2` ``"));
        }
        self.pos = start;
        let segments = self
            .lex(lex::path(mode))
            .ok_or_else(|| self.unexpected(["a column name"]))?;
        Ok(ColumnPath {
            segments,
            raw: self.src[start..self.pos].to_string(),
            span: Span::new(start, self.pos),
        })
    }

    /// An alias or `eval` target name.
    pub(super) fn ident(&mut self) -> PResult<Ident> {
        let start = self.pos;
        let name = self
            .lex(lex::ident)
            .ok_or_else(|| self.unexpected(["a name"]))?;
        Ok(Ident {
            name,
            span: Span::new(start, self.pos),
        })
    }

    /// `( … )` after `col:` or `col=`: a plain space-separated list (any of) or a
    /// group with explicit `and`/`or`/`not` and nested parentheses.
    /// A value group; with `commas`, `,` also separates values (`col IN (a, b)`).
    pub(super) fn value_group_with_commas(&mut self, commas: bool) -> PResult<FieldValue> {
        let saved = std::mem::replace(&mut self.commas, commas);
        let out = self.value_group_inner();
        self.commas = saved;
        out
    }

    fn value_group_inner(&mut self) -> PResult<FieldValue> {
        let open = self.pos;
        self.eat('(');
        self.skip_ws();
        if self.peek() == Some(')') {
            return Err(
                ParseError::new(Span::new(open, self.pos + 1), "empty value list")
                    .expected(["a value"])
                    .help("put at least one value between the parentheses, e.g. `col=(a b)`"),
            );
        }
        let mut explicit = false;
        let group = self.nested(Span::new(open, open + 1), |p| p.group_or(&mut explicit))?;
        self.close_paren(open)?;
        let span = Span::new(open, self.pos);
        if explicit {
            return Ok(FieldValue::Group(group));
        }
        let values = match group.kind {
            ValueGroupKind::Value(v) => vec![v],
            ValueGroupKind::Or(items) => items
                .into_iter()
                .filter_map(|g| match g.kind {
                    ValueGroupKind::Value(v) => Some(v),
                    _ => None,
                })
                .collect(),
            // Without explicit operators a group is only values and juxtaposition.
            _ => Vec::new(),
        };
        Ok(FieldValue::List(ValueList { values, span }))
    }

    fn starts_group_term(&mut self) -> bool {
        !self.at_end()
            && self.peek() != Some(')')
            && !self.peek_keyword("or")
            && !self.peek_keyword("and")
    }

    /// Inside a value group, juxtaposition means `or` (as in a value list).
    fn group_or(&mut self, explicit: &mut bool) -> PResult<ValueGroup> {
        let mut items = vec![self.group_and(explicit)?];
        loop {
            self.skip_ws();
            if self.eat_keyword("or") {
                *explicit = true;
                self.skip_ws();
                items.push(self.group_and(explicit)?);
            } else if self.commas && self.eat(',') {
                self.skip_ws();
                items.push(self.group_and(explicit)?);
            } else if self.starts_group_term() {
                items.push(self.group_and(explicit)?);
            } else {
                break;
            }
        }
        Ok(combine(items, ValueGroupKind::Or))
    }

    fn group_and(&mut self, explicit: &mut bool) -> PResult<ValueGroup> {
        let mut items = vec![self.group_not(explicit)?];
        loop {
            self.skip_ws();
            if self.eat_keyword("and") {
                *explicit = true;
                self.skip_ws();
                items.push(self.group_not(explicit)?);
            } else {
                break;
            }
        }
        Ok(combine(items, ValueGroupKind::And))
    }

    fn group_not(&mut self, explicit: &mut bool) -> PResult<ValueGroup> {
        let start = self.pos;
        if self.eat_keyword("not") {
            *explicit = true;
            self.skip_ws();
            let inner = self.nested(Span::new(start, self.pos), |p| p.group_not(explicit))?;
            return Ok(ValueGroup {
                span: Span::new(start, inner.span.end),
                kind: ValueGroupKind::Not(Box::new(inner)),
            });
        }
        self.group_atom(explicit)
    }

    fn group_atom(&mut self, explicit: &mut bool) -> PResult<ValueGroup> {
        self.skip_ws();
        let open = self.pos;
        match self.peek() {
            Some('(') => {
                *explicit = true;
                self.pos += 1;
                self.skip_ws();
                if self.peek() == Some(')') {
                    return Err(ParseError::new(
                        Span::new(open, self.pos + 1),
                        "empty parentheses",
                    )
                    .expected(["a value"]));
                }
                let inner = self.nested(Span::new(open, open + 1), |p| p.group_or(explicit))?;
                self.close_paren(open)?;
                Ok(inner)
            }
            None => Err(self.unexpected(["a value"])),
            Some(_) if self.peek_keyword("and") || self.peek_keyword("or") => {
                Err(self.unexpected(["a value"]))
            }
            Some(c)
                if c != '"'
                    && c != '\''
                    && crate::lexical::is_bare_reserved(c)
                    && c != '*'
                    && c != '\\' =>
            {
                Err(self.unexpected(["a value", "`)`"]))
            }
            Some(_) => {
                let v = self.value()?;
                Ok(ValueGroup {
                    span: v.span,
                    kind: ValueGroupKind::Value(v),
                })
            }
        }
    }
}

/// One item as itself, several as an `And`/`Or` node spanning them.
fn combine(mut items: Vec<ValueGroup>, make: fn(Vec<ValueGroup>) -> ValueGroupKind) -> ValueGroup {
    if items.len() == 1
        && let Some(only) = items.pop()
    {
        return only;
    }
    let span = match (items.first(), items.last()) {
        (Some(a), Some(b)) => a.span.to(b.span),
        _ => Span::default(),
    };
    ValueGroup {
        kind: make(items),
        span,
    }
}

/// Whether a value is exactly one unescaped `*`.
pub(super) fn is_lone_star(v: &Value) -> bool {
    v.quote == Quote::Bare && matches!(v.parts.as_slice(), [ValuePart::Wildcard])
}
