//! Where things are in a rule file's text: lines of top-level keys, of test
//! items, and how `query_text` maps back onto the file.
//!
//! The YAML parser gives values without positions, so this reads the text
//! directly. It understands the block style rule files are written in
//! (top-level `key:` at column 0); anything else just yields no position.

use std::collections::BTreeMap;

/// How the `query_text` value is written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum QueryStyle {
    /// Not found.
    #[default]
    Unknown,
    /// `|` / `|-` / `|+` literal block: query line `i` is file line `first + i`,
    /// shifted right by `indent` columns.
    Literal { first: usize, indent: usize },
    /// `>` folded block: lines are joined, so only the first line is known.
    Folded { first: usize },
    /// A value on the key's line starting at zero-based `column` (after any quote).
    Inline { line: usize, column: usize },
}

/// Positions found in the text of one rule file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Layout {
    /// One-based line of each top-level key.
    pub key_lines: BTreeMap<String, usize>,
    /// One-based line of each `tests:` item, in order.
    pub test_lines: Vec<usize>,
    query: QueryStyle,
}

fn top_level_key(line: &str) -> Option<(&str, &str)> {
    let first = line.chars().next()?;
    if first.is_whitespace() || matches!(first, '#' | '-' | '{' | '[') {
        return None;
    }
    let (key, rest) = line.split_once(':')?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let key = key.trim().trim_matches(['"', '\'']);
    Some((key, rest))
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

impl Layout {
    /// Scans `text`.
    pub fn scan(text: &str) -> Layout {
        let lines: Vec<&str> = text.lines().collect();
        let mut layout = Layout::default();
        for (i, line) in lines.iter().enumerate() {
            let Some((key, rest)) = top_level_key(line) else {
                continue;
            };
            layout.key_lines.entry(key.to_string()).or_insert(i + 1);
            match key {
                "query_text" => layout.query = query_style(&lines, i, rest, line.len()),
                "tests" => layout.test_lines = item_lines(&lines, i),
                _ => {}
            }
        }
        layout
    }

    /// One-based (line, column) in the file of byte `offset` in the query text.
    pub fn query_position(&self, query: &str, offset: usize) -> Option<(usize, Option<usize>)> {
        let offset = offset.min(query.len());
        let before = query.get(..offset)?;
        let line_in_query = before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col_in_line = before[line_start..].chars().count();
        match self.query {
            QueryStyle::Unknown => None,
            QueryStyle::Literal { first, indent } => {
                Some((first + line_in_query, Some(indent + col_in_line + 1)))
            }
            QueryStyle::Folded { first } => Some((first, None)),
            QueryStyle::Inline { line, column } if line_in_query == 0 => {
                Some((line, Some(column + col_in_line + 1)))
            }
            QueryStyle::Inline { line, .. } => Some((line + line_in_query, None)),
        }
    }
}

/// How the value after `query_text:` on zero-based line `i` is laid out.
fn query_style(lines: &[&str], i: usize, rest: &str, line_len: usize) -> QueryStyle {
    let value = rest.trim_start();
    let value_col = line_len - rest.len() + (rest.len() - value.len());
    let header = value.split('#').next().unwrap_or("").trim();
    if header.starts_with('|') || header.starts_with('>') {
        let explicit: Option<usize> = header
            .chars()
            .find(|c| c.is_ascii_digit())
            .and_then(|c| c.to_digit(10))
            .map(|d| d as usize);
        let first_content = lines[i + 1..]
            .iter()
            .find(|l| !l.trim().is_empty())
            .map_or(0, |l| indent_of(l));
        let indent = explicit.unwrap_or(first_content);
        if header.starts_with('|') {
            QueryStyle::Literal {
                first: i + 2,
                indent,
            }
        } else {
            QueryStyle::Folded { first: i + 2 }
        }
    } else if value.is_empty() {
        // A plain scalar starting on the next line.
        QueryStyle::Inline {
            line: i + 2,
            column: lines.get(i + 1).map_or(0, |l| indent_of(l)),
        }
    } else {
        let quoted = value.starts_with(['"', '\'']);
        QueryStyle::Inline {
            line: i + 1,
            column: value_col + usize::from(quoted),
        }
    }
}

/// One-based lines of the items (`- …`) of the block list under the key on
/// zero-based line `i`.
fn item_lines(lines: &[&str], i: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut item_indent = None;
    for (j, line) in lines.iter().enumerate().skip(i + 1) {
        if top_level_key(line).is_some() {
            break;
        }
        let trimmed = line.trim_start_matches(' ');
        if !(trimmed.starts_with("- ") || trimmed == "-") {
            continue;
        }
        let indent = indent_of(line);
        match item_indent {
            None => {
                item_indent = Some(indent);
                out.push(j + 1);
            }
            Some(n) if n == indent => out.push(j + 1),
            _ => {}
        }
    }
    out
}
