//! Token-level parsers built with nom: whitespace, words, quoted strings, numbers,
//! durations and column paths. The structural parsers call these through
//! [`super::Parser::lex`], so every token is read once and never re-parsed
//! more than one token back.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{anychar, char, digit1};
use nom::combinator::{map, map_res, recognize, value, verify};
use nom::multi::{fold_many0, fold_many1};
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};

use crate::ast::{Segment, ValuePart};
use crate::lexical::{is_bare_reserved, is_plain_key_char, number_len};

/// Result of a token parser.
pub(crate) type LResult<'a, O> = IResult<&'a str, O>;

/// Whitespace, newlines included (possibly none).
pub(crate) fn ws(i: &str) -> LResult<'_, &str> {
    take_while(char::is_whitespace).parse(i)
}

/// A word of ASCII letters, digits and `_` (stage names, keywords).
pub(crate) fn word(i: &str) -> LResult<'_, &str> {
    take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_').parse(i)
}

/// A dotted word such as `math.abs` (function names).
pub(crate) fn dotted_word(i: &str) -> LResult<'_, &str> {
    recognize((word, fold_many0((char('.'), word), || (), |_, _| ()))).parse(i)
}

/// An unsigned number literal: `42`, `1.5`, `2e10` (as [`number_len`] defines it).
pub(crate) fn number(i: &str) -> LResult<'_, &str> {
    match number_len(i) {
        Some(n) => Ok((&i[n..], &i[..n])),
        None => Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Digit,
        ))),
    }
}

/// An unsigned integer that fits in `u64`.
pub(crate) fn uint(i: &str) -> LResult<'_, u64> {
    map_res(digit1, str::parse::<u64>).parse(i)
}

/// A duration such as `1h`, `30m`, `90s`, `2d`, `1w`: the count and the unit word.
pub(crate) fn duration(i: &str) -> LResult<'_, (u64, &str)> {
    (uint, take_while1(|c: char| c.is_ascii_alphabetic())).parse(i)
}

/// Seconds in one `unit` of a duration, if the unit is known.
pub(crate) fn unit_seconds(unit: &str) -> Option<u64> {
    let unit = unit.to_ascii_lowercase();
    Some(match unit.as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 604_800,
        _ => return None,
    })
}

/// What a backslash escape stands for.
#[derive(Clone, Copy)]
enum Escaped {
    /// One literal character.
    Char(char),
    /// An escape with no meaning (`\U`): the backslash and the character, kept.
    Kept(char),
    /// A backslash at the very end of the text.
    Lone,
}

/// `\` followed by one character: `\n`, `\t`, `\r` are control characters;
/// punctuation and whitespace stand for themselves (`\*` is a literal star,
/// `\"` a quote); anything else keeps its backslash (`C:\Users`).
fn escape(i: &str) -> LResult<'_, Escaped> {
    preceded(
        char('\\'),
        alt((
            map(anychar, |c| match c {
                'n' => Escaped::Char('\n'),
                't' => Escaped::Char('\t'),
                'r' => Escaped::Char('\r'),
                c if c.is_ascii_punctuation() || c.is_whitespace() => Escaped::Char(c),
                c => Escaped::Kept(c),
            }),
            value(Escaped::Lone, take_while(|_| false)),
        )),
    )
    .parse(i)
}

/// One piece of a value body.
#[derive(Clone, Copy)]
enum Piece<'a> {
    Text(&'a str),
    Escaped(Escaped),
    Star,
}

fn push_piece(mut parts: Vec<ValuePart>, piece: Piece<'_>) -> Vec<ValuePart> {
    if let Piece::Star = piece {
        if !matches!(parts.last(), Some(ValuePart::Wildcard)) {
            parts.push(ValuePart::Wildcard);
        }
        return parts;
    }
    if !matches!(parts.last(), Some(ValuePart::Text(_))) {
        parts.push(ValuePart::Text(String::new()));
    }
    if let Some(ValuePart::Text(text)) = parts.last_mut() {
        match piece {
            Piece::Text(t) => text.push_str(t),
            Piece::Escaped(Escaped::Char(c)) => text.push(c),
            Piece::Escaped(Escaped::Kept(c)) => {
                text.push('\\');
                text.push(c);
            }
            Piece::Escaped(Escaped::Lone) => text.push('\\'),
            Piece::Star => {}
        }
    }
    parts
}

fn piece<'a>(
    normal: impl Fn(char) -> bool,
) -> impl Parser<&'a str, Output = Piece<'a>, Error = nom::error::Error<&'a str>> {
    alt((
        map(escape, Piece::Escaped),
        value(Piece::Star, char('*')),
        map(take_while1(normal), Piece::Text),
    ))
}

/// A bare word: characters other than whitespace and `:()"'<>=|,~{}!#` and
/// backtick, with `\` escapes and `*` wildcards.
pub(crate) fn bare_word(i: &str) -> LResult<'_, Vec<ValuePart>> {
    fold_many1(piece(|c| !is_bare_reserved(c)), Vec::new, push_piece).parse(i)
}

/// The body and closing quote of a string opened by `quote` (already consumed).
pub(crate) fn quoted_rest(quote: char) -> impl Fn(&str) -> LResult<'_, Vec<ValuePart>> {
    move |i| {
        let normal = move |c: char| c != quote && c != '\\' && c != '*';
        let (i, parts) = fold_many0(piece(normal), Vec::new, push_piece).parse(i)?;
        let (i, _) = char(quote).parse(i)?;
        Ok((i, parts))
    }
}

/// A backtick-quoted name, escapes resolved.
pub(crate) fn backticked(i: &str) -> LResult<'_, String> {
    let normal = |c: char| c != '`' && c != '\\';
    let body = fold_many0(
        alt((
            map(escape, Piece::Escaped),
            map(take_while1(normal), Piece::Text),
        )),
        Vec::new,
        push_piece,
    );
    map(delimited(char('`'), body, char('`')), |parts| {
        parts
            .into_iter()
            .map(|p| match p {
                ValuePart::Text(t) => t,
                ValuePart::Wildcard => "*".to_string(),
            })
            .collect()
    })
    .parse(i)
}

/// Which characters a column key may hold unquoted.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathMode {
    /// Filters and column lists: `-` and `*` allowed (`x-id`, `*Name`, `**`).
    Filter,
    /// Expressions: `-` and `*` are operators there.
    Expr,
}

fn key_segment(mode: PathMode) -> impl Fn(&str) -> LResult<'_, Segment> {
    move |i| {
        let quoted = map(verify(backticked, |k: &String| !k.is_empty()), Segment::Key);
        let plain = map(
            take_while1(move |c: char| {
                is_plain_key_char(c) || (mode == PathMode::Filter && (c == '-' || c == '*'))
            }),
            |k: &str| match k {
                "*" => Segment::AnyKey,
                "**" => Segment::AnyDepth,
                k if k.contains('*') => Segment::Pattern(k.to_string()),
                k => Segment::Key(k.to_string()),
            },
        );
        alt((quoted, plain)).parse(i)
    }
}

fn index_segment(i: &str) -> LResult<'_, Segment> {
    map(delimited(char('['), uint, char(']')), Segment::Index).parse(i)
}

/// A column path: `a.b[0].c`, `` `x-amz-id-2` ``, `@q.count`, `*Name`, `**`.
pub(crate) fn path(mode: PathMode) -> impl Fn(&str) -> LResult<'_, Vec<Segment>> {
    move |i| {
        let (mut i, first) = key_segment(mode)(i)?;
        let mut segments = vec![first];
        loop {
            let next = alt((preceded(tag("."), key_segment(mode)), index_segment)).parse(i);
            match next {
                Ok((rest, seg)) => {
                    segments.push(seg);
                    i = rest;
                }
                Err(_) => return Ok((i, segments)),
            }
        }
    }
}

/// A name for `as` aliases and `eval` targets: plain key characters and `.`, or
/// backtick-quoted.
pub(crate) fn ident(i: &str) -> LResult<'_, String> {
    alt((
        verify(backticked, |k: &String| !k.is_empty()),
        map(
            take_while1(|c: char| is_plain_key_char(c) || c == '.'),
            str::to_string,
        ),
    ))
    .parse(i)
}
