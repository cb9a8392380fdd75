//! Recovering the complete records of a damaged file: a terminal paste that starts in the
//! middle of a record and ends with a shell prompt, or a file cut short by a failed copy.
//!
//! A record is recovered when it is a complete JSON object with CloudTrail record keys; the
//! text around such records is dropped and reported. Nothing is guessed: a record is either
//! whole and valid JSON, or not taken.

use serde::de::{Deserializer as _, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::envelope::Ctx;
use crate::schema::is_record_key;

/// What a salvage pass found.
pub(crate) struct Salvaged {
    pub records: u64,
    /// Byte ranges of the input that were not part of a recovered record (besides
    /// separators), first and last.
    pub first_start: Option<usize>,
    pub last_end: usize,
}

impl Salvaged {
    pub(crate) fn dropped_description(&self, len: usize) -> String {
        let head = self.first_start.unwrap_or(len);
        let tail = len.saturating_sub(self.last_end);
        format!("{head} bytes before the first complete record and {tail} bytes after the last")
    }
}

/// Does this raw object carry CloudTrail record keys at its top level?
fn is_record(raw: &RawValue) -> bool {
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let mut hits = 0;
            while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                map.next_value::<IgnoredAny>()?;
                if is_record_key(&k) {
                    hits += 1;
                }
            }
            Ok(hits >= 2)
        }
    }
    let mut de = serde_json::Deserializer::from_str(raw.get());
    de.deserialize_map(Keys).unwrap_or(false)
}

/// One complete JSON value starting at `text[pos]`, if there is one.
fn value_at(text: &[u8], pos: usize) -> Option<&RawValue> {
    let mut it = serde_json::Deserializer::from_slice(&text[pos..]).into_iter::<&RawValue>();
    it.next()?.ok()
}

/// Recover every complete record object in `text`.
pub(crate) fn records(text: &[u8], ctx: &mut Ctx<'_, '_>) -> Salvaged {
    let mut found = Salvaged {
        records: 0,
        first_start: None,
        last_end: 0,
    };
    let mut pos = 0;
    while let Some(i) = memchr::memchr(b'{', &text[pos..]) {
        let start = pos + i;
        let Some(raw) = value_at(text, start) else {
            pos = start + 1;
            continue;
        };
        let len = raw.get().len();
        if !is_record(raw) {
            // Not a record (a nested object of a partial one, or a wrapper): look inside.
            pos = start + 1;
            continue;
        }
        if ctx.record(raw.get().as_bytes()).is_ok() {
            found.records += 1;
            found.first_start.get_or_insert(start);
            found.last_end = start + len;
        }
        pos = start + len;
    }
    found
}
