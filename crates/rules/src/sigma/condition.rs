//! Sigma `condition:` expressions: `selection and not 1 of filter_*`.

use super::SigmaError;

/// A parsed condition.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cond {
    /// A search identifier.
    Ident(String),
    /// `1 of pattern` / `any of` (`all == false`) or `all of pattern`;
    /// the pattern `them` is every identifier.
    Of {
        all: bool,
        pattern: String,
    },
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
}

fn refuse(construct: &str, message: impl Into<String>) -> SigmaError {
    SigmaError::new(construct, message)
}

fn tokenize(text: &str) -> Result<Vec<String>, SigmaError> {
    if let Some((_, agg)) = text.split_once('|') {
        let agg = agg.trim();
        let lower = agg.to_ascii_lowercase();
        let construct = if lower.starts_with("near") {
            "near"
        } else if lower.starts_with("count") && lower.contains(" by ") {
            "count() by"
        } else if lower.starts_with("count") {
            "count()"
        } else {
            "aggregation"
        };
        return Err(refuse(
            construct,
            format!(
                "the condition aggregates (`| {agg}`); convert the rule by hand with `| stats … | where …`"
            ),
        ));
    }
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c == '(' || c == ')' || c.is_whitespace() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    if out.iter().any(|t| t.eq_ignore_ascii_case("near")) {
        return Err(refuse(
            "near",
            "`near` (temporal proximity) has no equivalent in one query",
        ));
    }
    Ok(out)
}

/// Parses a condition.
pub(crate) fn parse(text: &str) -> Result<Cond, SigmaError> {
    let tokens = tokenize(text)?;
    let mut p = Parser { tokens, at: 0 };
    let cond = p.or()?;
    if let Some(t) = p.peek() {
        return Err(refuse(
            "condition",
            format!("unexpected `{t}` in condition `{text}`"),
        ));
    }
    Ok(cond)
}

struct Parser {
    tokens: Vec<String>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn keyword(&mut self, kw: &str) -> bool {
        if self.peek().is_some_and(|t| t.eq_ignore_ascii_case(kw)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Cond, SigmaError> {
        let mut items = vec![self.and()?];
        while self.keyword("or") {
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::Or(items)
        })
    }

    fn and(&mut self) -> Result<Cond, SigmaError> {
        let mut items = vec![self.not()?];
        while self.keyword("and") {
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::And(items)
        })
    }

    fn not(&mut self) -> Result<Cond, SigmaError> {
        if self.keyword("not") {
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Cond, SigmaError> {
        let Some(tok) = self.peek().map(str::to_string) else {
            return Err(refuse("condition", "the condition ends too early"));
        };
        self.at += 1;
        if tok == "(" {
            let inner = self.or()?;
            if !self.keyword(")") {
                return Err(refuse("condition", "missing `)` in condition"));
            }
            return Ok(inner);
        }
        if tok == ")" || ["and", "or"].iter().any(|k| tok.eq_ignore_ascii_case(k)) {
            return Err(refuse(
                "condition",
                format!("unexpected `{tok}` in condition"),
            ));
        }
        if self.peek().is_some_and(|t| t.eq_ignore_ascii_case("of")) {
            self.at += 1;
            let all = if tok.eq_ignore_ascii_case("all") {
                true
            } else if tok == "1" || tok.eq_ignore_ascii_case("any") {
                false
            } else {
                return Err(refuse(
                    "N of",
                    format!(
                        "`{tok} of` (at least {tok} of several selections) is not supported; only `1 of` and `all of`"
                    ),
                ));
            };
            let Some(pattern) = self.peek().map(str::to_string) else {
                return Err(refuse(
                    "condition",
                    format!("`{tok} of` needs a pattern or `them`"),
                ));
            };
            self.at += 1;
            return Ok(Cond::Of { all, pattern });
        }
        Ok(Cond::Ident(tok))
    }
}

/// Whether identifier `name` matches a Sigma pattern (`*` wildcards).
pub(crate) fn matches_pattern(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}
