//! The parser: text → [`Query`] or [`Diagnostics`].
//!
//! The query is first split on top-level `|` (outside quotes and backticks), then
//! each piece is parsed on its own so that one query can report an error per stage.
//! Within a piece the parser is recursive descent over the token parsers in
//! [`lex`]: it never backtracks more than one token, so parse time is linear in
//! the input, and nesting deeper than [`MAX_DEPTH`] is an error, never a stack
//! overflow.

mod expr;
mod filter;
mod lex;
mod stage;

pub use stage::STAGE_NAMES;
mod values;

use crate::Span;
use crate::ast::{Filter, Query};
use crate::error::{Diagnostics, ParseError};

/// How deeply parentheses, `not`s and unary minus may nest.
pub const MAX_DEPTH: usize = 100;

/// Result of a structural parser.
pub(crate) type PResult<T> = Result<T, ParseError>;

/// Parses a whole query.
pub fn parse_query(text: &str) -> Result<Query, Diagnostics> {
    // Comments become spaces of the same byte length: every span still points into `text`.
    let blanked = blank_comments(text);
    let text: &str = &blanked;
    let pieces = split_pipes(text);
    let mut errors = Vec::new();
    let (first_start, first_end) = pieces[0];
    let filter = Parser::new(text, first_start, first_end)
        .filter_segment()
        .unwrap_or_else(|e| {
            errors.push(e);
            Filter::match_all(first_start)
        });
    let mut stages = Vec::new();
    for (n, &(start, end)) in pieces.iter().enumerate().skip(1) {
        let mut p = Parser::new(text, start, end);
        if p.at_end() {
            let pipe = Span::new(start.saturating_sub(1), start);
            let last = n + 1 == pieces.len();
            let help = if last {
                "remove the trailing `|`, or add a stage after it (e.g. `| head 10`)"
            } else {
                "remove one of the `|`, or put a stage between them"
            };
            errors.push(
                ParseError::new(pipe, "`|` with no stage after it")
                    .expected(["a stage"])
                    .help(help),
            );
            continue;
        }
        match p.stage() {
            Ok(stage) => stages.push(stage),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(Query {
            filter,
            stages,
            span: Span::new(0, text.len()),
        })
    } else {
        Err(Diagnostics(errors))
    }
}

/// `text` with every comment replaced by spaces (byte for byte, so offsets are kept).
/// A comment is `#` to the end of the line, outside `"…"`, `'…'` and backticks and not
/// escaped as `\#`: a `#` inside a quoted value or a backticked name is text.
pub fn blank_comments(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('#') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if comment {
            if c == '\n' {
                comment = false;
                out.push(c);
            } else {
                out.extend(std::iter::repeat_n(' ', c.len_utf8()));
            }
            continue;
        }
        match (quote, c) {
            (_, '\\') => {
                out.push(c);
                if let Some(next) = chars.next() {
                    out.push(next);
                }
                continue;
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '#') => {
                comment = true;
                out.push(' ');
                continue;
            }
            (None, _) => {}
        }
        out.push(c);
    }
    std::borrow::Cow::Owned(out)
}

/// Byte ranges of the `|`-separated pieces of `text` (at least one). A `|` inside
/// `"…"`, `'…'` or backticks, or escaped as `\|`, does not separate.
fn split_pipes(text: &str) -> Vec<(usize, usize)> {
    let mut pieces = Vec::new();
    let mut start = 0;
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
            (None, '|') => {
                pieces.push((start, i));
                start = i + 1;
            }
            (None, _) => {}
        }
    }
    pieces.push((start, text.len()));
    pieces
}

/// A cursor over one `|`-separated piece of the query.
pub(crate) struct Parser<'a> {
    src: &'a str,
    pos: usize,
    end: usize,
    depth: usize,
    /// Inside `col IN (…)`: `,` separates values.
    commas: bool,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, start: usize, end: usize) -> Self {
        Parser {
            src,
            pos: start,
            end,
            depth: 0,
            commas: false,
        }
    }

    /// The unread text of this piece.
    fn rest(&self) -> &'a str {
        self.src.get(self.pos..self.end).unwrap_or("")
    }

    /// Runs a token parser at the cursor; on success moves past the token.
    fn lex<O>(
        &mut self,
        mut p: impl nom::Parser<&'a str, Output = O, Error = nom::error::Error<&'a str>>,
    ) -> Option<O> {
        match p.parse(self.rest()) {
            Ok((rest, out)) => {
                self.pos = self.end - rest.len();
                Some(out)
            }
            Err(_) => None,
        }
    }

    fn skip_ws(&mut self) {
        self.lex(lex::ws);
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// Skips whitespace and tells whether the piece is used up.
    fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos >= self.end
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    /// Whether the next word is `kw` (ASCII case-insensitive) followed by a
    /// character for which `ends_word` holds (or the end).
    fn peek_keyword_with(&self, kw: &str, ends_word: impl Fn(char) -> bool) -> bool {
        let rest = self.rest();
        rest.get(..kw.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(kw))
            && rest[kw.len()..].chars().next().is_none_or(ends_word)
    }

    /// Whether the next word is the keyword `kw`, as read in filters and stages.
    fn peek_keyword(&self, kw: &str) -> bool {
        self.peek_keyword_with(kw, |c| {
            crate::lexical::is_bare_reserved(c) && c != '*' && c != '\\'
        })
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        if self.peek_keyword(kw) {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    /// Runs `f` one nesting level deeper, failing cleanly past [`MAX_DEPTH`].
    fn nested<T>(&mut self, at: Span, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_DEPTH {
            return Err(
                ParseError::new(at, format!("nesting deeper than {MAX_DEPTH} levels")).help(
                    "split the query into simpler parts; so many nested groups are never needed",
                ),
            );
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    /// The span of the token at the cursor: one reserved character, or a run of
    /// other non-space characters, or an empty span at the end.
    fn token_span(&self) -> Span {
        let rest = self.rest();
        let len = match rest.chars().next() {
            None => 0,
            Some(c) if crate::lexical::is_bare_reserved(c) => c.len_utf8(),
            Some(_) => rest
                .find(crate::lexical::is_bare_reserved)
                .unwrap_or(rest.len()),
        };
        Span::new(self.pos, self.pos + len)
    }

    /// How the token at the cursor reads in an error message.
    fn found(&self) -> String {
        let span = self.token_span();
        if span.is_empty() {
            "end of the query".to_string()
        } else {
            let text = span.slice(self.src);
            let shown: String = text.chars().take(40).collect();
            format!("`{shown}`")
        }
    }

    /// "unexpected …" at the cursor.
    fn unexpected<S: Into<String>>(&self, expected: impl IntoIterator<Item = S>) -> ParseError {
        ParseError::new(self.token_span(), format!("unexpected {}", self.found()))
            .expected(expected)
    }

    /// Requires `)` closing the group opened at `open`.
    fn close_paren(&mut self, open: usize) -> PResult<()> {
        self.skip_ws();
        if self.eat(')') {
            return Ok(());
        }
        if self.pos >= self.end {
            return Err(ParseError::new(Span::new(open, open + 1), "unclosed `(`")
                .expected(["`)`"])
                .help("add a `)` to close the group opened here"));
        }
        Err(self.unexpected(["`)`"]))
    }
}
