//! The lexical predicates of the language: what a number literal is, which characters a
//! bare word or a plain key may hold, and which names need backticks. The parser reads
//! with them, the AST asks them (`Value::as_number`) and the canonical printer quotes
//! with them, so none of those three depends on another for them.

/// Words that cannot be printed bare as a column or name.
pub(crate) const KEYWORDS: [&str; 6] = ["and", "or", "not", "true", "false", "null"];

/// Characters a key may hold without backticks.
pub(crate) fn is_plain_key_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '@' | '%' | '$')
}

/// Characters that end a bare word (and so must be escaped inside one).
pub(crate) fn is_bare_reserved(c: char) -> bool {
    c.is_whitespace() || ":()\"'<>=|,~{}!#`\\*".contains(c)
}

/// Whether `name` must be written in backticks to read back as one name: empty, led by
/// a digit, a keyword, or holding a character that is not a plain key character (nor
/// one of `extra`).
pub(crate) fn needs_backticks(name: &str, extra: &[char]) -> bool {
    match name.chars().next() {
        None => return true,
        Some(c) if c.is_ascii_digit() => return true,
        Some(_) => {}
    }
    !name
        .chars()
        .all(|c| is_plain_key_char(c) || extra.contains(&c))
        || KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(name))
}

/// The length of the unsigned number literal `text` starts with (`42`, `1.5`, `2e10`,
/// `3.0E-2`): digits, then optionally `.` and digits, then optionally `e`/`E`, a sign
/// and digits. `None` when it does not start with a digit.
pub(crate) fn number_len(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut n = digits(0);
    if n == 0 {
        return None;
    }
    if b.get(n) == Some(&b'.') {
        let d = digits(n + 1);
        if d > 0 {
            n += 1 + d;
        }
    }
    if matches!(b.get(n), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(n + 1), Some(b'+' | b'-')));
        let d = digits(n + 1 + sign);
        if d > 0 {
            n += 1 + sign + d;
        }
    }
    Some(n)
}

/// Whether `text` is a number literal with an optional sign (`-1.5`, `+3`, `2e9`).
pub(crate) fn is_number_literal(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    number_len(unsigned) == Some(unsigned.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_literals() {
        for yes in ["0", "42", "-1.5", "+3", "2e9", "2E+9", "1.5e-3", "007"] {
            assert!(is_number_literal(yes), "{yes}");
        }
        for no in [
            "", "-", "+", ".5", "1.", "1e", "1e+", "1.5.2", "--1", "1x", "0x10", "1 ", "e5",
        ] {
            assert!(!is_number_literal(no), "{no}");
        }
        // The longest literal at the start, leaving what cannot continue it.
        assert_eq!(number_len("1.x"), Some(1));
        assert_eq!(number_len("2e+"), Some(1));
        assert_eq!(number_len("12.5e3s"), Some(6));
        assert_eq!(number_len("x1"), None);
    }

    #[test]
    fn names_that_need_backticks() {
        assert!(!needs_backticks("eventName", &[]));
        assert!(needs_backticks("", &[]));
        assert!(needs_backticks("1abc", &[]));
        assert!(needs_backticks("NOT", &[]));
        assert!(needs_backticks("a.b", &[]));
        assert!(!needs_backticks("a.b", &['.']));
        assert!(needs_backticks("a-b", &[]));
    }
}
