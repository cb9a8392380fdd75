//! Parse errors as data, and a renderer that points at the query text.

use std::fmt::{self, Display, Formatter, Write};

use crate::Span;

/// One problem in a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The offending text (may be empty, e.g. at the end of the query).
    pub span: Span,
    /// What is wrong, in one line.
    pub message: String,
    /// What would have been accepted here (e.g. `"a value"`, `` "`)`" ``).
    pub expected: Vec<String>,
    /// How to fix it, when there is an obvious fix.
    pub help: Option<String>,
}

impl ParseError {
    /// An error at `span` with `message`.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        ParseError {
            span,
            message: message.into(),
            expected: Vec::new(),
            help: None,
        }
    }

    /// Adds what would have been accepted.
    pub fn expected<S: Into<String>>(mut self, items: impl IntoIterator<Item = S>) -> Self {
        self.expected.extend(items.into_iter().map(Into::into));
        self
    }

    /// Adds a hint on how to fix the query.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// One line: the message, then the help if any
/// (``unknown stage `grouby`; did you mean `groupbycount`?``).
impl Display for ParseError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, "; {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// Every error found in one query, in the order of the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<ParseError>);

impl Diagnostics {
    /// The errors.
    pub fn errors(&self) -> &[ParseError] {
        &self.0
    }

    /// Renders every error against the query `text` it came from: the message with
    /// line and column, the line with carets under the span, and any help.
    pub fn render(&self, text: &str) -> String {
        render(text, self)
    }
}

impl Display for Diagnostics {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// Renders `diags` against the query `text`, one block per error:
///
/// ```text
/// error: unknown stage `grouby` at line 1, column 5
///   |
/// 1 | a | grouby x
///   |     ^^^^^^
///   = expected: a stage name
/// help: did you mean `groupbycount`?
/// ```
pub fn render(text: &str, diags: &Diagnostics) -> String {
    let mut out = String::new();
    for (i, e) in diags.0.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_one(text, e, "error", &mut out);
    }
    out
}

/// Renders warnings like errors (carets under the text, help), each headed `warning:`.
pub fn render_warnings(text: &str, warnings: &[ParseError]) -> String {
    let mut out = String::new();
    for (i, e) in warnings.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_one(text, e, "warning", &mut out);
    }
    out
}

/// Byte offset clamped into `text` and moved back onto a character boundary.
fn clamp(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn render_one(text: &str, e: &ParseError, label: &str, out: &mut String) {
    let start = clamp(text, e.span.start);
    let end = clamp(text, e.span.end.max(start));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line_no = text[..start].matches('\n').count() + 1;
    let line = &text[line_start..line_end];
    let column = text[line_start..start].chars().count() + 1;
    let _ = writeln!(
        out,
        "{label}: {} at line {line_no}, column {column}",
        e.message
    );
    let gutter = " ".repeat(line_no.to_string().len());
    let _ = writeln!(out, "{gutter} |");
    let _ = writeln!(out, "{line_no} | {}", line.trim_end_matches('\r'));
    // Keep tabs in the padding so the carets line up under tabbed text.
    let pad: String = text[line_start..start]
        .chars()
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let caret_end = end.min(line_end);
    let carets = text[start..caret_end].chars().count().max(1);
    let _ = writeln!(out, "{gutter} | {pad}{}", "^".repeat(carets));
    if !e.expected.is_empty() {
        let _ = writeln!(out, "{gutter} = expected: {}", e.expected.join(", "));
    }
    if let Some(help) = &e.help {
        let _ = writeln!(out, "help: {help}");
    }
}
