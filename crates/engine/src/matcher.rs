//! Value matchers: what one filter value means against one column value (LANGUAGE.md §2).
//!
//! - bare and `'single'` values under `:` match a token sequence (tokens are runs of Unicode
//!   letters, digits and `_`), ASCII case-insensitively;
//! - `"double"` values under `:` are case-sensitive substrings;
//! - `=` compares the whole value (case-insensitive unless `"…"`), and a bare number also
//!   equals the same number written differently (`1024` = `1024.0`);
//! - `< <= > >=` compare numbers; text that is not a number never matches;
//! - `*` in a value is a wildcard, `\*` a literal star.

use memchr::memmem;
use regex::bytes::{Regex, RegexBuilder};
use trailhunt_lang::ast::{Op, Quote, Value, ValuePart};

/// Characters of a token: Unicode letters and digits, and `_` (LANGUAGE.md §2 says ASCII
/// runs; `grammar/README.md` records why non-ASCII letters count too). The cache's token
/// index splits values with the same function.
pub use trailhunt_cloudtrail::tokens::is_token_char;

/// One character that is not a token character (`char::is_alphanumeric` is exactly
/// `Alphabetic` or `Numeric`), case folding off; the rest of a pattern is ASCII
/// case-insensitive.
const SEP: &str = r"(?u-i:[^\p{Alphabetic}\p{N}_])";

/// How one value is tested.
#[derive(Debug)]
pub enum Matcher {
    /// A regular expression over the bytes of the value (tokens, wildcards), with a
    /// looser pattern every matching value also contains (for prefiltering).
    Regex(Regex, String),
    /// A case-sensitive substring.
    Substring(Box<memmem::Finder<'static>>),
    /// The whole value, ASCII case-insensitive.
    EqualsIgnoreCase(String),
    /// The whole value, exactly.
    Equals(String),
    /// The whole value as a number, or the text ASCII case-insensitively.
    EqualsNumber(f64, String),
    /// A numeric comparison; non-numbers never match.
    Range(Op, f64),
    /// A text comparison (quoted value with a range operator).
    TextRange(Op, String),
    /// Matches nothing (e.g. a value with no tokens under a token match).
    Never,
}

/// Everything that decides what a [`Matcher`] accepts (the compiled regex and finder are
/// compared by their source).
#[derive(PartialEq, Eq, Hash)]
enum Identity<'a> {
    Regex(&'a str, &'a str),
    Substring(&'a [u8]),
    EqualsIgnoreCase(&'a str),
    Equals(&'a str),
    EqualsNumber(u64, &'a str),
    Range(Op, u64),
    TextRange(Op, &'a str),
    Never,
}

impl Matcher {
    fn identity(&self) -> Identity<'_> {
        match self {
            Matcher::Regex(r, loose) => Identity::Regex(r.as_str(), loose),
            Matcher::Substring(f) => Identity::Substring(f.needle()),
            Matcher::EqualsIgnoreCase(t) => Identity::EqualsIgnoreCase(t),
            Matcher::Equals(t) => Identity::Equals(t),
            Matcher::EqualsNumber(n, t) => Identity::EqualsNumber(n.to_bits(), t),
            Matcher::Range(op, n) => Identity::Range(*op, n.to_bits()),
            Matcher::TextRange(op, t) => Identity::TextRange(*op, t),
            Matcher::Never => Identity::Never,
        }
    }
}

/// Two matchers are equal when they accept the same values for the same reason: same
/// kind, same operator, same pattern or value (query planning merges equal ones).
impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.identity() == other.identity()
    }
}

impl Eq for Matcher {}

impl std::hash::Hash for Matcher {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.identity().hash(state)
    }
}

/// Parse text as a number the way the language means it: decimal, optional sign,
/// fraction and exponent; no `inf`/`nan`, no surrounding text.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    let first = *t.as_bytes().first()?;
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    if !t.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn compare(op: Op, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Lt => ord == Less,
        Op::Le => ord != Greater,
        Op::Gt => ord == Greater,
        Op::Ge => ord != Less,
        Op::Eq | Op::Contains | Op::Regex => ord == Equal,
    }
}

impl Matcher {
    /// Build the matcher for `op value`.
    pub fn new(op: Op, value: &Value) -> Matcher {
        match op {
            Op::Contains => match value.quote {
                Quote::Double => match value.literal() {
                    Some(lit) if !lit.is_empty() => Matcher::Substring(Box::new(
                        memmem::Finder::new(lit.as_bytes()).into_owned(),
                    )),
                    Some(_) => Matcher::Never,
                    None => {
                        let p = wildcard_pattern(&value.parts);
                        Matcher::regex(&p, &p, false, false)
                    }
                },
                Quote::Bare | Quote::Single => {
                    match (
                        token_pattern(&value.parts, true),
                        token_pattern(&value.parts, false),
                    ) {
                        (Some(p), Some(loose)) => Matcher::regex(&p, &loose, true, false),
                        _ => Matcher::Never,
                    }
                }
            },
            Op::Eq => {
                let ci = value.quote != Quote::Double;
                if value.has_wildcard() {
                    let p = wildcard_pattern(&value.parts);
                    return Matcher::regex(&p, &p, ci, true);
                }
                let text = value.text();
                if let Some(n) = value.as_number() {
                    return Matcher::EqualsNumber(n, text);
                }
                if ci {
                    Matcher::EqualsIgnoreCase(text)
                } else {
                    Matcher::Equals(text)
                }
            }
            Op::Regex => match Matcher::user_regex(&value.text()) {
                Ok(r) => Matcher::Regex(r, "(?:)".to_string()),
                // The planner reports a pattern that does not compile (`check_regex`).
                Err(_) => Matcher::Never,
            },
            Op::Lt | Op::Le | Op::Gt | Op::Ge => match value.as_number() {
                Some(n) => Matcher::Range(op, n),
                None if value.quote != Quote::Bare => Matcher::TextRange(op, value.text()),
                None => Matcher::Never,
            },
        }
    }

    /// The regular expression of `col ~ "pattern"`: the `regex` crate's syntax with
    /// Unicode on, searched anywhere in the value (anchor it with `^…$`).
    pub fn user_regex(pattern: &str) -> Result<Regex, regex::Error> {
        RegexBuilder::new(pattern).size_limit(1 << 24).build()
    }

    fn regex(pattern: &str, loose: &str, case_insensitive: bool, anchored: bool) -> Matcher {
        let p = if anchored {
            format!(r"\A(?:{pattern})\z")
        } else {
            pattern.to_string()
        };
        // Case-insensitivity is written into the pattern, so the pattern's text says
        // everything the regex does (matchers compare by it).
        let p = if case_insensitive {
            format!("(?i:{p})")
        } else {
            p
        };
        match RegexBuilder::new(&p)
            .unicode(false)
            .dot_matches_new_line(true)
            .size_limit(1 << 24)
            .build()
        {
            Ok(r) => {
                // A `.*` in a prefilter would let one match run across many values (and the
                // scan go quadratic): keep the longest piece between wildcards instead.
                let loose = loose
                    .split(".*")
                    .max_by_key(|p| p.len())
                    .unwrap_or_default();
                let loose = if case_insensitive {
                    format!("(?i:{loose})")
                } else {
                    format!("(?:{loose})")
                };
                Matcher::Regex(r, loose)
            }
            // Patterns are built from escaped literals; a failure means a pathological size.
            Err(_) => Matcher::Never,
        }
    }

    /// A regex pattern (inline flags included) that every text value this matcher
    /// accepts contains; `None` when no such text exists (numeric matches).
    pub fn prefilter(&self) -> Option<String> {
        match self {
            Matcher::Regex(_, loose) if loose == "(?i:)" || loose == "(?:)" => None,
            Matcher::Regex(_, loose) => Some(loose.clone()),
            Matcher::Substring(f) => Some(regex::escape(&String::from_utf8_lossy(f.needle()))),
            Matcher::EqualsIgnoreCase(t) => Some(format!("(?i:{})", regex::escape(t))),
            Matcher::Equals(t) => Some(regex::escape(t)),
            Matcher::EqualsNumber(..) | Matcher::Range(..) | Matcher::TextRange(..) => None,
            // Contributes no alternative to a combined prefilter.
            Matcher::Never => Some(String::new()),
        }
    }

    /// Does a text value match?
    #[inline]
    pub fn is_match(&self, s: &str) -> bool {
        match self {
            Matcher::Regex(r, _) => r.is_match(s.as_bytes()),
            Matcher::Substring(f) => f.find(s.as_bytes()).is_some(),
            Matcher::EqualsIgnoreCase(t) => s.eq_ignore_ascii_case(t),
            Matcher::Equals(t) => s == t,
            Matcher::EqualsNumber(n, t) => {
                s.eq_ignore_ascii_case(t) || parse_number(s).is_some_and(|v| v == *n)
            }
            Matcher::Range(op, n) => parse_number(s)
                .and_then(|v| v.partial_cmp(n))
                .is_some_and(|o| compare(*op, o)),
            Matcher::TextRange(op, t) => compare(*op, s.cmp(t.as_str())),
            Matcher::Never => false,
        }
    }

    /// Does a number match? (Numbers are also matched as their text for token tests.)
    #[inline]
    pub fn is_match_number(&self, v: f64, text: &str) -> bool {
        match self {
            Matcher::Range(op, n) => v.partial_cmp(n).is_some_and(|o| compare(*op, o)),
            Matcher::EqualsNumber(n, _) => v == *n,
            _ => self.is_match(text),
        }
    }
}

/// The regex for a token-sequence match of `parts`, or `None` when the value holds no
/// token and no wildcard (nothing to look for). Without `boundaries`, the looser pattern
/// (no `\b`) that any value matching the strict one also contains.
fn token_pattern(parts: &[ValuePart], boundaries: bool) -> Option<String> {
    let mut out = String::new();
    let mut any = false;
    let n = parts.len();
    for (i, part) in parts.iter().enumerate() {
        match part {
            ValuePart::Wildcard => {
                out.push_str(".*");
                any = true;
            }
            ValuePart::Text(t) => {
                // Separators at the value's edges (not next to a wildcard) carry no meaning.
                let mut slice = t.as_str();
                if i == 0 {
                    slice = slice.trim_start_matches(|c: char| !is_token_char(c));
                }
                if i + 1 == n {
                    slice = slice.trim_end_matches(|c: char| !is_token_char(c));
                }
                if slice.is_empty() {
                    continue;
                }
                // A token starts where the text does or after a non-token character
                // (a Unicode-aware `\b`, which the regex DFA could not run).
                if boundaries && i == 0 && slice.starts_with(is_token_char) {
                    out.push_str(&format!(r"(?:\A|{SEP})"));
                }
                let mut in_sep = false;
                let mut buf = [0u8; 4];
                for c in slice.chars() {
                    if is_token_char(c) {
                        in_sep = false;
                        // Non-ASCII letters are compared exactly: case-insensitivity is ASCII's.
                        out.push_str(&regex::escape(c.encode_utf8(&mut buf)));
                        any = true;
                    } else if !in_sep {
                        out.push_str(SEP);
                        out.push('+');
                        in_sep = true;
                    }
                }
                if boundaries && i + 1 == n && slice.ends_with(is_token_char) {
                    out.push_str(&format!(r"(?:{SEP}|\z)"));
                }
            }
        }
    }
    any.then_some(out)
}

/// The regex for a wildcard pattern over raw text.
fn wildcard_pattern(parts: &[ValuePart]) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            ValuePart::Wildcard => out.push_str(".*"),
            ValuePart::Text(t) => out.push_str(&regex::escape(t)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(q: &str) -> (Op, Value) {
        let query = trailhunt_lang::parse_query(&format!("x{q}")).expect("parses");
        match query.filter.kind {
            trailhunt_lang::ast::FilterKind::Field(f) => match f.value {
                trailhunt_lang::ast::FieldValue::Value(v) => (f.op, v),
                other => panic!("not a single value: {other:?}"),
            },
            other => panic!("not a field filter: {other:?}"),
        }
    }

    fn m(q: &str) -> Matcher {
        let (op, v) = value(q);
        Matcher::new(op, &v)
    }

    #[test]
    fn matchers_are_equal_only_when_they_accept_the_same_values() {
        // Same value, every operator and quoting: all different.
        let all = [
            ": s3",
            "= s3",
            ": \"s3\"",
            "= \"s3\"",
            ": s3*",
            "= s3*",
            "= \"s3*\"",
            ": 1024",
            "= 1024",
            "> 1024",
            ">= 1024",
            "< 1024",
            "<= 1024",
            "> \"1024\"",
            "= 1024.0",
        ];
        for (i, a) in all.iter().enumerate() {
            for (j, b) in all.iter().enumerate() {
                assert_eq!(m(a) == m(b), i == j, "`x{a}` vs `x{b}`");
            }
        }
        // Single quotes under `:` mean what bare words do.
        assert!(m(": s3") == m(": 's3'"));
        // Equal matchers hash alike.
        let h = |x: &Matcher| {
            use std::hash::{BuildHasher, BuildHasherDefault};
            BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(x)
        };
        assert_eq!(h(&m(": s3*")), h(&m(": s3*")));
        // Case-insensitivity lives in the pattern: the same results as before.
        assert!(m("= s3*").is_match("S3.amazonaws.com"));
        assert!(!m("= \"s3*\"").is_match("S3.amazonaws.com"));
    }

    #[test]
    fn tokens_match_whole_tokens_in_sequence_case_insensitively() {
        let t = m(": user-admin");
        assert!(t.is_match("prefix USER admin suffix"));
        assert!(t.is_match("arn:aws:iam::1:user/user-admin-backup"));
        assert!(!t.is_match("superuser-admin"));
        assert!(!t.is_match("user_admin"));
        assert!(!t.is_match("admin user"));
        let ip = m(": s3.amazonaws.com");
        assert!(ip.is_match("s3.amazonaws.com"));
        assert!(!ip.is_match("xs3.amazonaws.com"));
        assert!(m(": 'two words'").is_match("two, words!"));
        assert!(matches!(m(": '--'"), Matcher::Never));
    }

    #[test]
    fn unicode_letters_are_token_characters() {
        let k = m(": 안녕하세요");
        assert!(k.is_match("안녕하세요 고객님,"));
        assert!(k.is_match("(안녕하세요)"));
        assert!(
            !k.is_match("안녕하세요고객님"),
            "a piece of a token is no token"
        );
        assert!(!m(": 안녕").is_match("안녕하세요 고객님"));
        let cafe = m(": café");
        assert!(cafe.is_match("un CAFé noir"), "ASCII letters fold");
        assert!(!cafe.is_match("un CAFÉ noir"), "others do not");
        assert!(!cafe.is_match("cafés"));
        assert!(!m(": admin").is_match("éadmin"), "é continues the token");
        assert!(m(": admin").is_match("é admin"));
        assert!(
            m(": user-admin").is_match("user\u{2014}admin"),
            "a dash is a separator"
        );
        assert!(m(": 'x 안녕*'").is_match("x 안녕하세요"));
        // The prefilter every accepted value contains builds as the UDF builds it.
        for q in [": 안녕하세요", ": user-admin", ": café*"] {
            let pre = m(q).prefilter().unwrap();
            let re = RegexBuilder::new(&pre).unicode(false).build().unwrap();
            assert!(re.is_match("user-admin café 안녕하세요".as_bytes()), "{q}");
        }
    }

    #[test]
    fn wildcards_and_quotes() {
        assert!(m(r#": "Jersey/*""#).is_match("Jersey/1.9"));
        assert!(!m(r#": "Jersey/*""#).is_match("jersey/1.9"));
        assert!(
            m(": '*AWS_CONTAINER_CREDENTIALS*'")
                .is_match("x=$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        );
        assert!(m(": app-*").is_match("app-prod"));
        assert!(!m(": app-*").is_match("apple"));
        assert!(m(r#": "Exact Text""#).is_match("has Exact Text inside"));
        assert!(!m(r#": "Exact Text""#).is_match("has exact text inside"));
        assert!(m(r#" = "Update*""#).is_match("UpdateTrail"));
        assert!(!m(r#" = "Update*""#).is_match("xUpdateTrail"));
        assert!(m(r": a\*b").is_match("a*b"));
    }

    #[test]
    fn equality_and_numbers() {
        assert!(m(" = GetObject").is_match("getobject"));
        assert!(!m(" = GetObject").is_match("GetObjectAcl"));
        assert!(!m(r#" = "GetObject""#).is_match("getobject"));
        assert!(m(" = 1024").is_match("1024.0"));
        assert!(m(" = 1.08").is_match("1.08"));
        assert!(m(" > 1.5").is_match("2"));
        assert!(!m(" > 1.5").is_match("abc"));
        assert!(!m(" > 1.5").is_match("1.5"));
        assert!(m(" >= 1.5").is_match("1.5"));
        assert!(m(" < 0").is_match("-3e2"));
        assert!(!m(" < 0").is_match("nan"));
        assert!(m(" = true").is_match("TRUE"));
    }
}
