//! Tokens as the query language reads them: runs of letters (of any script), digits and
//! `_`; everything else separates. Matching is ASCII case-insensitive, so a token's key
//! lowercases ASCII letters and keeps every other character as it is.

/// Whether `c` belongs to a token (`char::is_alphanumeric` is exactly Unicode's
/// `Alphabetic` or `Numeric`, the classes the matcher's separator excludes).
#[inline]
pub fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Calls `f` with the key of each token of `s` (ASCII letters lowercased), in order.
/// `buf` is scratch space for keys that need lowercasing.
#[inline]
pub fn each_token(s: &str, buf: &mut String, mut f: impl FnMut(&str)) {
    if s.is_ascii() {
        let bytes = s.as_bytes();
        let mut start = None;
        let mut upper = false;
        for (i, &b) in bytes.iter().enumerate() {
            if b.is_ascii_alphanumeric() || b == b'_' {
                if start.is_none() {
                    start = Some(i);
                    upper = false;
                }
                upper |= b.is_ascii_uppercase();
            } else if let Some(from) = start.take() {
                emit(&s[from..i], upper, buf, &mut f);
            }
        }
        if let Some(from) = start {
            emit(&s[from..], upper, buf, &mut f);
        }
        return;
    }
    let mut start = None;
    for (i, c) in s.char_indices() {
        if is_token_char(c) {
            start.get_or_insert(i);
        } else if let Some(from) = start.take() {
            emit(&s[from..i], true, buf, &mut f);
        }
    }
    if let Some(from) = start {
        emit(&s[from..], true, buf, &mut f);
    }
}

#[inline]
fn emit(token: &str, fold: bool, buf: &mut String, f: &mut impl FnMut(&str)) {
    if fold {
        buf.clear();
        buf.push_str(token);
        buf.make_ascii_lowercase();
        f(buf);
    } else {
        f(token);
    }
}

/// The key of one token (ASCII letters lowercased).
pub fn key(token: &str) -> String {
    token.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        each_token(s, &mut String::new(), |t| out.push(t.to_string()));
        out
    }

    #[test]
    fn tokens_split_as_the_language_says() {
        assert_eq!(tokens("user-admin-backup"), ["user", "admin", "backup"]);
        assert_eq!(
            tokens("arn:aws:iam::111122223333:user/Bob_2"),
            ["arn", "aws", "iam", "111122223333", "user", "bob_2"]
        );
        assert_eq!(tokens(""), Vec::<String>::new());
        assert_eq!(tokens("--"), Vec::<String>::new());
        // Letters of any script are token characters, folded for ASCII only; other
        // non-ASCII characters (a dash, an ellipsis) separate.
        assert_eq!(
            tokens("Élan—CAFÉ…안녕하세요"),
            ["Élan", "cafÉ", "안녕하세요"]
        );
    }
}
