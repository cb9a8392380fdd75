//! Sigma values, regular expressions and CIDR ranges as value patterns of the
//! query language (literal text and `*` wildcards), or as regular expressions
//! for `col ~ "…"` where patterns cannot say it (`?`, Unicode case folding,
//! anything but literal alternatives in `re`).

use trailhunt_lang::ast::ValuePart;

use super::SigmaError;

/// A pattern: literal text and wildcards.
pub(crate) type Pattern = Vec<ValuePart>;

fn push_text(parts: &mut Pattern, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(ValuePart::Text(t)) = parts.last_mut() {
        t.push_str(text);
    } else {
        parts.push(ValuePart::Text(text.to_string()));
    }
}

fn push_wildcard(parts: &mut Pattern) {
    if parts.last() != Some(&ValuePart::Wildcard) {
        parts.push(ValuePart::Wildcard);
    }
}

/// One piece of a Sigma string value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Piece {
    /// Literal text.
    Text(String),
    /// `*`: any run of characters.
    Any,
    /// `?`: exactly one character.
    One,
}

/// A Sigma string value: `*` and `?` are wildcards, `\*` `\?` `\\` are literal,
/// another backslash is itself.
pub(crate) fn sigma_pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let push = |out: &mut Vec<Piece>, p: Piece| match (out.last_mut(), p) {
        (Some(Piece::Text(t)), Piece::Text(n)) => t.push_str(&n),
        (Some(Piece::Any), Piece::Any) => {}
        (_, p) => out.push(p),
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    chars.next();
                    push(&mut out, Piece::Text(n.to_string()));
                }
                _ => push(&mut out, Piece::Text("\\".to_string())),
            },
            '*' => push(&mut out, Piece::Any),
            '?' => push(&mut out, Piece::One),
            c => push(&mut out, Piece::Text(c.to_string())),
        }
    }
    out
}

/// How a Sigma value is matched: a value pattern of the query language, or a
/// regular expression (`col ~ "…"`) for what patterns cannot say.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SigmaValue {
    /// Literal text and `*` wildcards, for `col = …`.
    Pattern(Pattern),
    /// A regex searched in the value (anchors included), for `col ~ "…"`.
    Regex(String),
}

/// Whether case-insensitive matching of `text` needs more than ASCII folding: it
/// holds a non-ASCII letter that has another case (`É`/`é`).
fn needs_unicode_folding(text: &str) -> bool {
    text.chars()
        .any(|c| !c.is_ascii() && (c.to_lowercase().ne(c.to_uppercase())))
}

/// The match of a whole value against `pieces`, case-insensitively unless
/// `cased`. Query patterns have `*` and fold ASCII only; a `?` or a non-ASCII
/// letter under case-insensitivity (Sigma folds every letter) takes a regex.
pub(crate) fn sigma_value(pieces: &[Piece], cased: bool) -> SigmaValue {
    let regex = pieces.iter().any(|p| match p {
        Piece::One => true,
        Piece::Text(t) => !cased && needs_unicode_folding(t),
        Piece::Any => false,
    });
    if !regex {
        let mut parts = Pattern::new();
        for p in pieces {
            match p {
                Piece::Text(t) => push_text(&mut parts, t),
                _ => push_wildcard(&mut parts),
            }
        }
        return SigmaValue::Pattern(parts);
    }
    let mut re = String::from(if cased { "" } else { "(?i)" });
    if pieces.first() != Some(&Piece::Any) {
        re.push_str(r"\A");
    }
    let n = pieces.len();
    for (i, p) in pieces.iter().enumerate() {
        match p {
            Piece::Any if i == 0 || i + 1 == n => {}
            Piece::Any => re.push_str("(?s:.*)"),
            Piece::One => re.push_str("(?s:.)"),
            Piece::Text(t) => re.push_str(&::regex::escape(t)),
        }
    }
    if pieces.last() != Some(&Piece::Any) {
        re.push_str(r"\z");
    }
    SigmaValue::Regex(re)
}

/// A Sigma `re` value as the pattern of `col ~ "…"`: the regex crate's syntax,
/// with the sub-modifiers as inline flags (`i` case-insensitive, `m` multi-line,
/// `s` dot matches newline). Refused, naming `re`, when it does not compile.
pub(crate) fn regex_pattern(
    re: &str,
    insensitive: bool,
    multiline: bool,
    dotall: bool,
) -> Result<String, SigmaError> {
    let flags: String = [(insensitive, 'i'), (multiline, 'm'), (dotall, 's')]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, f)| *f)
        .collect();
    // `\"` is `"` to the regex crate; the query text writes every `"` as `\"`.
    let mut body = String::new();
    let mut run = 0;
    for c in re.chars() {
        if c == '"' && run % 2 == 1 {
            body.pop();
        }
        run = if c == '\\' { run + 1 } else { 0 };
        body.push(c);
    }
    let pattern = if flags.is_empty() {
        body
    } else {
        format!("(?{flags}){body}")
    };
    match ::regex::RegexBuilder::new(&pattern)
        .size_limit(1 << 24)
        .build()
    {
        Ok(_) => Ok(pattern),
        Err(e) => {
            let why = match e {
                ::regex::Error::Syntax(s) => s
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim_start_matches("error: ")
                    .to_string(),
                e => e.to_string(),
            };
            Err(SigmaError::new(
                "re",
                format!(
                    "the regular expression `{re}` does not compile in the regex crate's syntax ({why})"
                ),
            ))
        }
    }
}

fn refuse_re(re: &str, why: impl std::fmt::Display) -> SigmaError {
    SigmaError::new(
        "re",
        format!(
            "the regular expression `{re}` {why}; only literal text, alternations (`a|b`) and `^`/`$` anchors convert"
        ),
    )
}

/// The index of the `)` closing the `(` at byte 0 of `s`, if any.
fn closing_paren(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn strip_start_anchor(s: &str) -> (bool, &str) {
    if let Some(rest) = s.strip_prefix('^') {
        (true, rest)
    } else if let Some(rest) = s.strip_prefix("\\A") {
        (true, rest)
    } else {
        (false, s)
    }
}

/// `(anchored, exact_end, rest)`: under the `m` flag `$` also matches at a line end, `\z` does not.
fn strip_end_anchor(s: &str) -> (bool, bool, &str) {
    let escapes = |t: &str| t.chars().rev().take_while(|&c| c == '\\').count();
    if let Some(rest) = s.strip_suffix("\\z")
        && escapes(rest) % 2 == 0
    {
        return (true, true, rest);
    }
    if let Some(rest) = s.strip_suffix('$')
        && escapes(rest) % 2 == 0
    {
        return (true, false, rest);
    }
    (false, false, s)
}

fn literal(re: &str, branch: &str) -> Result<String, SigmaError> {
    let mut out = String::new();
    let mut chars = branch.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) if n.is_ascii_punctuation() || n == ' ' => out.push(n),
                Some(n) => return Err(refuse_re(re, format!("uses the class or escape `\\{n}`"))),
                None => return Err(refuse_re(re, "ends in a lone backslash")),
            },
            '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '^' | '$' | '|' => {
                return Err(refuse_re(re, format!("uses `{c}`")));
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Converts a Sigma `re` value made of literal alternatives to value patterns
/// (any of which matches), searching the value as the regex crate does
/// (unanchored unless `^`/`$`); any other regex is refused here and becomes a
/// `col ~ "…"` test instead ([`regex_pattern`]).
pub(crate) fn regex(
    re: &str,
    insensitive: bool,
    multiline: bool,
) -> Result<Vec<Pattern>, SigmaError> {
    if insensitive && re.chars().any(|c| !c.is_ascii() && c.is_alphabetic()) {
        return Err(refuse_re(re, "is case-insensitive over non-ASCII letters"));
    }
    let (g_start, body) = strip_start_anchor(re);
    let (g_end, g_exact_end, mut body) = strip_end_anchor(body);
    if body.starts_with('(') && closing_paren(body) == Some(body.len() - 1) {
        body = &body[1..body.len() - 1];
        body = body.strip_prefix("?:").unwrap_or(body);
    }
    if body.contains("(") || body.contains(")") {
        let unescaped = body
            .char_indices()
            .any(|(i, c)| matches!(c, '(' | ')') && !body[..i].ends_with('\\'));
        if unescaped {
            return Err(refuse_re(re, "uses groups"));
        }
    }
    // Split on unescaped `|`.
    let mut branches = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '|' => {
                branches.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    branches.push(&body[start..]);
    let mut out = Vec::new();
    for branch in branches {
        let (b_start, branch) = strip_start_anchor(branch);
        let (b_end, b_exact, branch) = strip_end_anchor(branch);
        let anchored_start = g_start || b_start;
        let anchored_end = g_end || b_end;
        let exact_end = if g_end { g_exact_end } else { b_exact };
        if multiline && (anchored_start || (anchored_end && !exact_end)) {
            return Err(refuse_re(re, "uses `^`/`$` with the `m` (multi-line) flag"));
        }
        let text = literal(re, branch)?;
        let mut parts = Pattern::new();
        if !anchored_start {
            push_wildcard(&mut parts);
        }
        push_text(&mut parts, &text);
        // In the regex crate's syntax `$` (without `m`) is the end of the text, as `\z` is.
        if !anchored_end {
            push_wildcard(&mut parts);
        }
        out.push(parts);
    }
    Ok(out)
}

/// Converts an IPv4 CIDR range to patterns over the dotted address text
/// (`10.0.0.0/8` → `10.*`; `172.16.0.0/12` → `172.16.*` … `172.31.*`).
pub(crate) fn cidr(range: &str) -> Result<Vec<Pattern>, SigmaError> {
    let refuse = |why: &str| {
        SigmaError::new(
            "cidr",
            format!(
                "the range `{range}` {why}; only IPv4 ranges of /8 to /32 convert (to address patterns)"
            ),
        )
    };
    let (addr, bits) = range.split_once('/').unwrap_or((range, "32"));
    let bits: u32 = bits
        .trim()
        .parse()
        .map_err(|_| refuse("has no valid prefix length"))?;
    let octets: Vec<u8> = addr
        .trim()
        .split('.')
        .map(|o| o.parse::<u8>())
        .collect::<Result<_, _>>()
        .map_err(|_| refuse("is not an IPv4 range"))?;
    if octets.len() != 4 {
        return Err(refuse("is not an IPv4 range"));
    }
    if !(8..=32).contains(&bits) {
        return Err(refuse("is wider than /8 or not a valid prefix"));
    }
    let full = (bits / 8) as usize;
    let rem = bits % 8;
    let prefix: Vec<String> = octets[..full].iter().map(u8::to_string).collect();
    let pattern = |octs: Vec<String>| {
        let mut parts = Pattern::new();
        push_text(&mut parts, &octs.join("."));
        if octs.len() < 4 {
            push_text(&mut parts, ".");
            push_wildcard(&mut parts);
        }
        parts
    };
    if rem == 0 {
        return Ok(vec![pattern(prefix)]);
    }
    let mask = (0xffu32 << (8 - rem)) as u8;
    let base = octets[full] & mask;
    let count = 1u16 << (8 - rem);
    Ok((0..count)
        .map(|i| {
            let mut octs = prefix.clone();
            octs.push((u16::from(base) + i).to_string());
            pattern(octs)
        })
        .collect())
}
