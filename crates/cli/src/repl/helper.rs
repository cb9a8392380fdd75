//! The line editor's helper: completion, highlighting and multi-line input.

use std::borrow::Cow;

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};
use trailhunt_lang::ast::AggFunc;

/// One backslash command, as `\help` lists it and Tab completes it.
pub struct Command {
    /// `\top`.
    pub name: &'static str,
    /// Its arguments as `\help` writes them: `COLUMN [N]`.
    pub args: &'static str,
    /// What it does, in one line.
    pub about: &'static str,
}

const fn cmd(name: &'static str, args: &'static str, about: &'static str) -> Command {
    Command { name, args, about }
}

/// Backslash commands, for completion and `\help`, in the order `\help` lists them.
pub const COMMANDS: &[Command] = &[
    cmd("\\help", "", "this help"),
    cmd(
        "\\columns",
        "[PREFIX]",
        "paths in the data, their types and how many events have them",
    ),
    cmd(
        "\\event",
        "N [PREFIX]",
        "row N of the last results as its whole record, one value per line (only the paths under PREFIX)",
    ),
    cmd(
        "\\event",
        "N [PATH] --json",
        "row N (or its value at PATH) as indented JSON",
    ),
    cmd(
        "\\top",
        "COLUMN [N]",
        "most common values of COLUMN over all the last results, numbered",
    ),
    cmd(
        "\\and",
        "N | COLUMN=VALUE",
        "add row N of the last \\top (or COLUMN=VALUE, VALUE taken literally) to the last query's filter, and run it",
    ),
    cmd(
        "\\not",
        "N | COLUMN=VALUE",
        "the same, keeping the events without that value",
    ),
    cmd(
        "\\edit",
        "",
        "edit the last query in $VISUAL or $EDITOR (else vi), and run what you save",
    ),
    cmd("\\format", "table|json|ndjson|csv|tsv", "how results print"),
    cmd(
        "\\all",
        "",
        "print every row of the last results (tables are cut to the screen)",
    ),
    cmd("\\save", "NAME", "save the last query to the library"),
    cmd("\\run", "NAME", "run a saved query"),
    cmd("\\library", "", "list the saved queries"),
    cmd(
        "\\since",
        "DURATION|off",
        "only events from this long ago (24h, 7d, 30m)",
    ),
    cmd(
        "\\range",
        "FROM TO|off",
        "only events in [FROM, TO) (RFC 3339 or YYYY-MM-DD)",
    ),
    cmd(
        "\\time",
        "[on|off]",
        "show how long every query and command took",
    ),
    cmd("\\quit", "", "leave (Ctrl-D does too)"),
];

/// Functions usable in `stats`, `eval` and `where`.
const EVAL_FUNCTIONS: &[&str] = &[
    "if",
    "coalesce",
    "lower",
    "upper",
    "len",
    "concat",
    "math.abs",
    "math.round",
    "contains",
];

const KEYWORDS: &[&str] = &["and", "or", "not", "as", "by"];

/// One path seen in the data.
#[derive(Debug, Clone)]
pub struct PathEntry {
    /// Dotted, without array positions (`resources.ARN`).
    pub path: String,
    /// Some event has something below it.
    pub has_children: bool,
}

/// What the editor knows: data paths, stage names, saved-query names.
pub struct ReplHelper {
    pub paths: Vec<PathEntry>,
    pub library: Vec<String>,
    pub result_columns: Vec<String>,
    pub color: bool,
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !"|(),=:<>!\"'~{}#".contains(c)
}

impl ReplHelper {
    fn path_candidates(&self, word: &str, out: &mut Vec<Pair>) {
        let mut seen = std::collections::BTreeSet::new();
        for pass in [false, true] {
            for p in &self.paths {
                let hit = if pass {
                    p.path.to_lowercase().starts_with(&word.to_lowercase())
                } else {
                    p.path.starts_with(word)
                };
                if !hit || p.path.len() < word.len() {
                    continue;
                }
                // Complete one level at a time: `userIdentity.<TAB>` lists its keys.
                let rest = &p.path[word.len()..];
                let cand = match rest.find('.') {
                    Some(i) => format!("{}{}.", &p.path[..word.len()], &rest[..i]),
                    None if p.has_children => format!("{}.", p.path),
                    None => p.path.clone(),
                };
                if cand.len() > word.len() || (cand == word && !p.has_children) {
                    seen.insert(cand);
                }
            }
            if !seen.is_empty() {
                break;
            }
        }
        for c in &self.result_columns {
            if c.starts_with(word) {
                seen.insert(c.clone());
            }
        }
        out.extend(seen.into_iter().map(|c| Pair {
            display: c.clone(),
            replacement: c,
        }));
    }

    /// Candidates for the word at `start..pos` of `line`.
    pub fn candidates(&self, line: &str, start: usize, pos: usize) -> Vec<Pair> {
        let word = &line[start..pos];
        let mut out = Vec::new();
        let pair = |s: &str| Pair {
            display: s.to_string(),
            replacement: s.to_string(),
        };
        let trimmed = line.trim_start();
        if trimmed.starts_with('\\') {
            let first_end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
            let offset = line.len() - trimmed.len();
            if pos <= offset + first_end {
                let mut names: Vec<&str> = COMMANDS
                    .iter()
                    .map(|c| c.name)
                    .filter(|n| n.starts_with(word))
                    .collect();
                names.dedup();
                out.extend(names.into_iter().map(pair));
                return out;
            }
            let cmd = &trimmed[..first_end];
            match cmd {
                "\\run" | "\\save" => out.extend(
                    self.library
                        .iter()
                        .filter(|n| n.starts_with(word))
                        .map(|n| pair(n)),
                ),
                "\\format" => out.extend(
                    ["table", "json", "ndjson", "csv", "tsv"]
                        .iter()
                        .filter(|n| n.starts_with(word))
                        .map(|n| pair(n)),
                ),
                "\\top" | "\\columns" | "\\and" | "\\not" => self.path_candidates(word, &mut out),
                "\\event" if !trimmed[first_end..].trim_start().is_empty() => {
                    self.path_candidates(word, &mut out)
                }
                _ => {}
            }
            return out;
        }
        let before = line[..start].trim_end();
        let stage = current_stage(&line[..start]);
        if before.ends_with('|') {
            out.extend(
                trailhunt_lang::stage_names()
                    .iter()
                    .filter(|n| n.starts_with(word))
                    .map(|n| pair(n)),
            );
            return out;
        }
        if matches!(stage, Some("stats" | "eval" | "where" | "timechart")) {
            let funcs = AggFunc::NAMES.iter().chain(EVAL_FUNCTIONS);
            let mut f: Vec<&str> = funcs.copied().filter(|n| n.starts_with(word)).collect();
            f.sort_unstable();
            f.dedup();
            out.extend(f.into_iter().map(|n| Pair {
                display: format!("{n}()"),
                replacement: format!("{n}("),
            }));
        }
        self.path_candidates(word, &mut out);
        if !word.is_empty() {
            out.extend(
                KEYWORDS
                    .iter()
                    .filter(|k| k.starts_with(word))
                    .map(|k| pair(k)),
            );
        }
        out
    }
}

/// The stage keyword of the pipe segment `text` ends in (None in the filter).
fn current_stage(text: &str) -> Option<&str> {
    let mut last_pipe = None;
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '|') => last_pipe = Some(i),
            _ => {}
        }
    }
    let seg = &text[last_pipe? + 1..];
    seg.split(|c: char| c.is_whitespace() || c == '(')
        .find(|s| !s.is_empty())
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = line[..pos]
            .char_indices()
            .rev()
            .find(|(_, c)| !is_word_char(*c) && *c != '\\')
            .map_or(0, |(i, c)| i + c.len_utf8());
        Ok((start, self.candidates(line, start, pos)))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

/// Whether `text` still needs more lines: it ends in `|`, or a quote or a
/// parenthesis is open.
pub fn needs_more(text: &str) -> bool {
    let t = text.trim();
    if t.starts_with('\\') || t.is_empty() {
        return false;
    }
    if t.ends_with('|') {
        return true;
    }
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in t.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some(c),
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
    }
    quote.is_some() || depth > 0
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(if needs_more(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

const RESET: &str = "\x1b[0m";
const STRING: &str = "\x1b[32m";
const KEYWORD: &str = "\x1b[1;35m";
const COLUMN: &str = "\x1b[36m";
const NUMBER: &str = "\x1b[33m";
const COMMAND: &str = "\x1b[1;34m";

/// `line` with ANSI colors: stage names and keywords, strings, columns, numbers.
/// Only escapes are added, so the display width does not change.
pub fn highlight_query(line: &str) -> String {
    let mut out = String::with_capacity(line.len() * 2);
    let trimmed = line.trim_start();
    if trimmed.starts_with('\\') {
        let lead = line.len() - trimmed.len();
        let end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len()) + lead;
        out.push_str(&line[..lead]);
        out.push_str(COMMAND);
        out.push_str(&line[lead..end]);
        out.push_str(RESET);
        out.push_str(&line[end..]);
        return out;
    }
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut i = 0;
    let mut after_pipe = false;
    while i < chars.len() {
        let (at, c) = chars[i];
        if matches!(c, '"' | '\'') {
            let mut j = i + 1;
            let mut escaped = false;
            while j < chars.len() {
                let d = chars[j].1;
                if escaped {
                    escaped = false;
                } else if d == '\\' {
                    escaped = true;
                } else if d == c {
                    j += 1;
                    break;
                }
                j += 1;
            }
            let end = chars.get(j).map_or(line.len(), |x| x.0);
            out.push_str(STRING);
            out.push_str(&line[at..end]);
            out.push_str(RESET);
            i = j;
            after_pipe = false;
            continue;
        }
        if is_word_char(c) {
            let mut j = i;
            while j < chars.len() && is_word_char(chars[j].1) {
                j += 1;
            }
            let end = chars.get(j).map_or(line.len(), |x| x.0);
            let word = &line[at..end];
            let next = line[end..].trim_start().chars().next();
            let stage = after_pipe && trailhunt_lang::stage_names().contains(&word);
            let color = if stage || KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word)) {
                Some(KEYWORD)
            } else if word.chars().all(|c| c.is_ascii_digit() || c == '.') {
                Some(NUMBER)
            } else if matches!(next, Some('=' | ':' | '<' | '>' | '!')) {
                Some(COLUMN)
            } else {
                None
            };
            match color {
                Some(col) => {
                    out.push_str(col);
                    out.push_str(word);
                    out.push_str(RESET);
                }
                None => out.push_str(word),
            }
            after_pipe = false;
            i = j;
            continue;
        }
        if c == '|' {
            after_pipe = true;
        } else if !c.is_whitespace() {
            after_pipe = false;
        }
        out.push(c);
        i += 1;
    }
    out
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.color {
            Cow::Owned(highlight_query(line))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        self.color && kind != CmdKind::MoveCursor
    }
}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper() -> ReplHelper {
        let p = |path: &str, has_children| PathEntry {
            path: path.into(),
            has_children,
        };
        ReplHelper {
            paths: vec![
                p("eventName", false),
                p("eventSource", false),
                p("userIdentity", true),
                p("userIdentity.arn", false),
                p("userIdentity.sessionContext", true),
                p("userIdentity.sessionContext.mfaAuthenticated", false),
            ],
            library: vec!["root-logins".into()],
            result_columns: vec![],
            color: true,
        }
    }

    fn complete(line: &str) -> Vec<String> {
        let h = helper();
        let hist = rustyline::history::DefaultHistory::new();
        let ctx = Context::new(&hist);
        let (_, c) = h.complete(line, line.len(), &ctx).unwrap();
        c.into_iter().map(|p| p.replacement).collect()
    }

    #[test]
    fn completes_one_path_level_at_a_time() {
        assert_eq!(
            complete("userIdentity."),
            ["userIdentity.arn", "userIdentity.sessionContext."]
        );
        assert_eq!(complete("eventN"), ["eventName"]);
        assert_eq!(complete("x=1 USERID"), ["userIdentity."]);
    }

    #[test]
    fn completes_stages_functions_commands_and_names() {
        assert_eq!(complete("* | group"), ["groupbycount"]);
        assert_eq!(complete("* | stats su"), ["sum("]);
        assert_eq!(complete("\\ti"), ["\\time"]);
        assert_eq!(complete("\\run ro"), ["root-logins"]);
        assert_eq!(complete("\\format j"), ["json"]);
    }

    #[test]
    fn multi_line_input() {
        assert!(needs_more("eventName=ConsoleLogin |"));
        assert!(needs_more("eventName=(a b"));
        assert!(needs_more("x=\"open"));
        assert!(!needs_more("x=\"a|(\""));
        assert!(!needs_more("* | head 5"));
        assert!(!needs_more("\\top x |"));
    }

    #[test]
    fn highlighting_only_adds_escapes() {
        let line = r#"eventName="Console|Login" and x: 5 | groupbycount eventName"#;
        let h = highlight_query(line);
        let plain = h
            .replace(RESET, "")
            .replace(STRING, "")
            .replace(KEYWORD, "");
        let plain = plain.replace(COLUMN, "").replace(NUMBER, "");
        assert_eq!(plain, line);
        assert!(h.contains(&format!("{KEYWORD}groupbycount{RESET}")));
        assert!(h.contains(&format!("{STRING}\"Console|Login\"{RESET}")));
        assert!(h.contains(&format!("{COLUMN}eventName{RESET}")));
    }
}
