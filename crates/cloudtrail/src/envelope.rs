//! Recognising what a file holds, by content: every wrapper CloudTrail records arrive in.
//!
//! The common case — one `{"Records":[…]}` object — streams each record into the builder in
//! a single pass. Other shapes (a bare record, a JSON array, NDJSON or concatenated JSON,
//! EventBridge `detail`, CloudWatch Logs `logEvents[].message`, subscription payloads,
//! LookupEvents `CloudTrailEvent` strings) are recognised from their keys. Digest files and
//! CloudWatch control messages hold no events and are counted, not loaded.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::builder::{Builder, TimeCounters};
use crate::catalog::LocalCatalog;
use crate::record::{KeySeed, RecordSeed};
use crate::salvage;
use crate::schema::{is_record_key, starts_record};

/// How deep wrappers may nest (a subscription payload inside a log event inside…).
const MAX_DEPTH: u32 = 4;

/// What a file (or a wrapped payload) turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    /// `{"Records":[…]}` (S3 delivery).
    Records,
    /// One record object.
    Record,
    /// A JSON array of records or wrappers.
    Array,
    /// Newline-delimited or concatenated JSON values.
    Ndjson,
    /// EventBridge `{"detail-type":…, "detail":{record}}`.
    EventBridge,
    /// CloudWatch Logs `{"logEvents":[{"message":"<record>"}]}`.
    CloudWatchLogs,
    /// CloudWatch Logs subscription `{"awslogs":{"data":"<base64 gzip>"}}`.
    CloudWatchSubscription,
    /// LookupEvents `{"Events":[{"CloudTrailEvent":"<record>"}]}` or one such event.
    LookupEvents,
    /// A CloudTrail digest file: no events.
    Digest,
    /// A CloudWatch Logs `CONTROL_MESSAGE`: no events.
    ControlMessage,
    /// Not JSON from the start; complete records were recovered from it.
    Salvaged,
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Shape::Records => "Records",
            Shape::Record => "record",
            Shape::Array => "array",
            Shape::Ndjson => "ndjson",
            Shape::EventBridge => "eventbridge",
            Shape::CloudWatchLogs => "cloudwatch-logs",
            Shape::CloudWatchSubscription => "cloudwatch-subscription",
            Shape::LookupEvents => "lookup-events",
            Shape::Digest => "digest",
            Shape::ControlMessage => "control-message",
            Shape::Salvaged => "salvaged",
        })
    }
}

/// Why a file was not loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Nothing but whitespace.
    Empty,
    /// Does not start like JSON and holds no recoverable record.
    NotJson(String),
    /// JSON that does not parse; the message names the position.
    InvalidJson(String),
    /// JSON of a shape that holds no CloudTrail records.
    UnknownWrapper(String),
    /// The file could not be read or decompressed.
    Unreadable(String),
    /// The file (or what it inflates to) is larger than the cap allows.
    TooLarge {
        /// The cap, in bytes.
        limit: u64,
        /// What was too large: `inflates to`, `holds`.
        what: String,
    },
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Empty => f.write_str("empty file"),
            Rejection::NotJson(m) => write!(f, "not JSON: {m}"),
            Rejection::InvalidJson(m) => write!(f, "invalid JSON: {m}"),
            Rejection::UnknownWrapper(m) => write!(f, "unknown wrapper: {m}"),
            Rejection::Unreadable(m) => write!(f, "unreadable: {m}"),
            Rejection::TooLarge { limit, what } => write!(
                f,
                "{what} more than {} (the --max-file-size cap{}); if the file is genuine, raise the cap, e.g. --max-file-size {}",
                crate::decode::human_bytes(*limit),
                if what.starts_with("inflates") {
                    "; a gzip bomb?"
                } else {
                    ""
                },
                crate::decode::human_bytes(limit.saturating_mul(2)).replace(' ', "")
            ),
        }
    }
}

impl Rejection {
    /// A short machine-friendly name of the reason.
    pub fn kind(&self) -> &'static str {
        match self {
            Rejection::Empty => "empty",
            Rejection::NotJson(_) => "not-json",
            Rejection::InvalidJson(_) => "invalid-json",
            Rejection::UnknownWrapper(_) => "unknown-wrapper",
            Rejection::Unreadable(_) => "unreadable",
            Rejection::TooLarge { .. } => "too-large",
        }
    }
}

/// The outcome of parsing one payload.
pub(crate) struct Parsed {
    pub shape: Option<Shape>,
    pub rejection: Option<Rejection>,
    pub warnings: Vec<String>,
}

/// The per-file parsing context.
pub(crate) struct Ctx<'a, 'c> {
    pub b: &'a mut Builder,
    pub cat: &'a mut LocalCatalog<'c>,
    pub warnings: Vec<String>,
    /// The most bytes a gzip payload inside the file may inflate to.
    pub max_inflated: u64,
}

impl Ctx<'_, '_> {
    pub(crate) fn record(&mut self, text: &[u8]) -> Result<(), serde_json::Error> {
        let cp = self.b.checkpoint();
        let mut de = serde_json::Deserializer::from_slice(text);
        let r = RecordSeed {
            b: self.b,
            cat: self.cat,
        }
        .deserialize(&mut de)
        .and_then(|_| de.end());
        if r.is_err() {
            self.b.rollback(cp);
        }
        r
    }
}

/// Line, column and byte offset of a serde_json error inside `text`.
pub(crate) fn position(text: &[u8], e: &serde_json::Error) -> String {
    let (line, col) = (e.line(), e.column());
    let mut offset = 0usize;
    for (i, l) in text.split(|&b| b == b'\n').enumerate() {
        if i + 1 == line {
            offset += col.saturating_sub(1);
            break;
        }
        offset += l.len() + 1;
    }
    format!(
        "line {line}, column {col} (byte {})",
        offset.min(text.len())
    )
}

/// The error text without serde's own " at line … column …" suffix.
pub(crate) fn describe(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn first_non_ws(text: &[u8]) -> Option<usize> {
    text.iter().position(|b| !b.is_ascii_whitespace())
}

/// A short, printable excerpt of `text` for messages.
pub(crate) fn excerpt(text: &[u8]) -> String {
    let s = String::from_utf8_lossy(&text[..text.len().min(40)]);
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("`{}`", s.trim())
}

/// Parse a whole file's (decompressed) bytes.
pub(crate) fn parse_file(text: &[u8], ctx: &mut Ctx<'_, '_>) -> Parsed {
    ctx.b.start_file();
    let mut out = parse_payload(text, ctx, 0);
    out.warnings.append(&mut ctx.warnings);
    if let Some(w) = time_warning(ctx.b.file_times(), ctx.b.delivery_time()) {
        out.warnings.push(w);
    }
    out
}

/// The file report's note on records that took their time from elsewhere than their
/// `eventTime` (their output still shows what they said).
fn time_warning(t: TimeCounters, delivery: Option<i64>) -> Option<String> {
    if t.forwarder == 0 && t.delivery == 0 {
        return None;
    }
    let n = t.forwarder + t.delivery + t.none;
    let mut parts = Vec::new();
    if t.forwarder > 0 {
        parts.push(format!("{} took it from `@timestamp`", t.forwarder));
    }
    if let (true, Some(d)) = (t.delivery > 0, delivery) {
        parts.push(format!(
            "{} {}from the delivery time in the file's name ({})",
            t.delivery,
            if t.forwarder == 0 { "took it " } else { "" },
            crate::time::format_rfc3339(d)
        ));
    }
    if t.none > 0 {
        parts.push(format!(
            "{} {} none (no time range or window holds {})",
            t.none,
            if t.none == 1 { "has" } else { "have" },
            if t.none == 1 { "it" } else { "them" }
        ));
    }
    Some(format!(
        "{n} {} no parseable `eventTime`: {}",
        if n == 1 { "record has" } else { "records have" },
        parts.join(", ")
    ))
}

fn parse_payload(text: &[u8], ctx: &mut Ctx<'_, '_>, depth: u32) -> Parsed {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let mut out = Parsed {
        shape: None,
        rejection: None,
        warnings: Vec::new(),
    };
    let Some(start) = first_non_ws(text) else {
        out.rejection = Some(Rejection::Empty);
        return out;
    };
    if !matches!(text[start], b'{' | b'[') {
        let found = salvage::records(text, ctx);
        if found.records > 0 {
            out.shape = Some(Shape::Salvaged);
            out.warnings.push(format!(
                "does not start with JSON (starts with {}): looks like a terminal paste; recovered {} complete records, dropped {}",
                excerpt(&text[start..]),
                found.records,
                found.dropped_description(text.len())
            ));
        } else {
            out.rejection = Some(Rejection::NotJson(format!(
                "starts with {}; expected a JSON object or array",
                excerpt(&text[start..])
            )));
        }
        return out;
    }
    let body = &text[start..];
    let cp = ctx.b.checkpoint();
    // Valid UTF-8 (checked once, with SIMD) lets serde_json skip checking every string.
    let first = match simdutf8::basic::from_utf8(body) {
        Ok(s) => first_value(serde_json::Deserializer::from_str(s), ctx, depth),
        Err(_) => first_value(serde_json::Deserializer::from_slice(body), ctx, depth),
    };
    match first {
        Ok((found, end)) => {
            let first_len = match end {
                Ok(()) => body.len(),
                Err(_) => value_end(body).unwrap_or(body.len()),
            };
            out.shape = Some(found.resolve(&body[..first_len], ctx, depth, &mut out));
            if let Err(e) = end {
                // More after the first value: NDJSON or concatenated JSON, or a paste's tail.
                let next = first_len;
                let rest = &body[next..];
                match first_non_ws(rest) {
                    Some(i) if matches!(rest[i], b'{' | b'[') => {
                        values(body, next, ctx, depth, &mut out);
                        out.shape = Some(Shape::Ndjson);
                    }
                    Some(i) => out.warnings.push(format!(
                        "ignored text after the end of the JSON document at {}: {} (a terminal paste?)",
                        position(body, &e),
                        excerpt(&rest[i..])
                    )),
                    None => {}
                }
            }
        }
        Err(e) => {
            ctx.b.rollback(cp);
            if e.is_eof() {
                let found = salvage::records(text, ctx);
                out.shape = Some(Shape::Salvaged);
                out.warnings.push(format!(
                    "truncated: the JSON ends early ({}, at {}); recovered {} complete records, dropped the incomplete one at the end",
                    describe(&e),
                    position(body, &e),
                    found.records
                ));
            } else if e.line() == 1 && looks_like_ndjson(body) {
                out.shape = Some(Shape::Ndjson);
                values(body, 0, ctx, depth, &mut out);
            } else {
                out.rejection = Some(Rejection::InvalidJson(format!(
                    "{} at {}; fix the file or pass only its valid records",
                    describe(&e),
                    position(body, &e)
                )));
            }
        }
    }
    out
}

/// The document's first value, and whether only whitespace follows it.
fn first_value<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    ctx: &mut Ctx<'_, '_>,
    depth: u32,
) -> Result<(Found<'de>, Result<(), serde_json::Error>), serde_json::Error> {
    let found = DocSeed { ctx, depth }.deserialize(&mut de)?;
    Ok((found, de.end()))
}

/// True when the second non-empty line of `text` is a complete JSON value on its own.
fn looks_like_ndjson(text: &[u8]) -> bool {
    let mut lines = text
        .split(|&b| b == b'\n')
        .filter(|l| first_non_ws(l).is_some());
    lines.next();
    lines
        .next()
        .is_some_and(|l| serde_json::from_slice::<IgnoredAny>(l).is_ok())
}

/// Where the first JSON value of `text` ends.
fn value_end(text: &[u8]) -> Option<usize> {
    let mut it = serde_json::Deserializer::from_slice(text).into_iter::<IgnoredAny>();
    match it.next() {
        Some(Ok(_)) => Some(it.byte_offset()),
        _ => None,
    }
}

/// Parse the values of a multi-value payload from byte `from`, line by line; a broken value
/// costs only its own line.
fn values(text: &[u8], from: usize, ctx: &mut Ctx<'_, '_>, depth: u32, out: &mut Parsed) {
    let mut pos = from;
    // Line numbers are counted as the walk goes: once over the text, not from its start
    // for every line (which made a file of N lines cost N² / 2 byte reads).
    let mut line_no = memchr::memchr_iter(b'\n', &text[..from.min(text.len())]).count() + 1;
    let mut counted_to = from.min(text.len());
    while pos < text.len() {
        line_no += memchr::memchr_iter(b'\n', &text[counted_to..pos]).count();
        counted_to = pos;
        let line_end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i);
        let line = &text[pos..line_end];
        if first_non_ws(line).is_some() {
            match parse_values_in(line, ctx, depth, out) {
                Ok(()) => {}
                Err(e) if e.is_eof() => {
                    // A value spread over several lines: let serde find its end instead.
                    if let Some(n) = value_end(&text[pos..]) {
                        let value = &text[pos..pos + n];
                        if let Err(e) = parse_values_in(value, ctx, depth, out) {
                            out.warnings.push(format!(
                                "line {line_no}: skipped a value: {} at {}",
                                describe(&e),
                                position(value, &e)
                            ));
                        }
                        pos += n;
                        continue;
                    }
                    out.warnings.push(format!(
                        "line {line_no}: skipped a truncated value ({}, at column {})",
                        describe(&e),
                        e.column()
                    ));
                }
                Err(e) => out.warnings.push(format!(
                    "line {line_no}: skipped a line that is not valid JSON: {} at column {}",
                    describe(&e),
                    e.column()
                )),
            }
        }
        pos = line_end + 1;
    }
}

/// Parse every JSON value in `text` (usually one line holding one value).
fn parse_values_in(
    text: &[u8],
    ctx: &mut Ctx<'_, '_>,
    depth: u32,
    out: &mut Parsed,
) -> Result<(), serde_json::Error> {
    let mut stream = serde_json::Deserializer::from_slice(text).into_iter::<&RawValue>();
    loop {
        match stream.next() {
            None => return Ok(()),
            Some(Ok(raw)) => {
                nested(raw.get().as_bytes(), ctx, depth, out, "value");
            }
            Some(Err(e)) => return Err(e),
        }
    }
}

/// Parse a payload found inside another one; problems become warnings naming `what`.
pub(crate) fn nested(text: &[u8], ctx: &mut Ctx<'_, '_>, depth: u32, out: &mut Parsed, what: &str) {
    if depth >= MAX_DEPTH {
        out.warnings
            .push(format!("{what}: wrappers nested too deeply; skipped"));
        return;
    }
    let inner = parse_payload(text, ctx, depth + 1);
    out.warnings
        .extend(inner.warnings.into_iter().map(|w| format!("{what}: {w}")));
    if let Some(r) = inner.rejection {
        out.warnings.push(format!("{what}: skipped, {r}"));
    }
}

/// What the first pass over a top-level value found.
enum Found<'de> {
    /// Records were streamed straight into the builder.
    Streamed(Shape),
    /// An object that is not a record: its top-level members, for classification.
    Members(Vec<(String, &'de RawValue)>),
    /// An object with record keys that did not come first: parse it again as a record.
    LateRecord,
}

impl Found<'_> {
    fn resolve(self, body: &[u8], ctx: &mut Ctx<'_, '_>, depth: u32, out: &mut Parsed) -> Shape {
        match self {
            Found::Streamed(s) => s,
            Found::LateRecord => {
                if let Err(e) = ctx.record(body) {
                    out.warnings.push(format!(
                        "skipped a record: {} at {}",
                        describe(&e),
                        position(body, &e)
                    ));
                }
                Shape::Record
            }
            Found::Members(m) => classify(m, ctx, depth, out),
        }
    }
}

fn member<'de>(m: &[(String, &'de RawValue)], key: &str) -> Option<&'de RawValue> {
    m.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
}

/// Decide what an object that is neither `Records` nor a record is, and load what it wraps.
fn classify(
    m: Vec<(String, &RawValue)>,
    ctx: &mut Ctx<'_, '_>,
    depth: u32,
    out: &mut Parsed,
) -> Shape {
    let has = |k: &str| member(&m, k).is_some();
    if has("digestStartTime") || (has("logFiles") && has("digestS3Object")) {
        return Shape::Digest;
    }
    if let Some(detail) = member(&m, "detail")
        && (has("detail-type") || has("source"))
    {
        nested(detail.get().as_bytes(), ctx, depth, out, "detail");
        return Shape::EventBridge;
    }
    if let Some(events) = member(&m, "logEvents") {
        if member(&m, "messageType").is_some_and(|t| t.get() == "\"CONTROL_MESSAGE\"") {
            return Shape::ControlMessage;
        }
        strings_in(events.get(), "message", "logEvents", ctx, depth, out);
        return Shape::CloudWatchLogs;
    }
    if let Some(aws) = member(&m, "awslogs") {
        crate::decode::subscription(aws.get(), ctx, depth, out);
        return Shape::CloudWatchSubscription;
    }
    if let Some(events) = member(&m, "Events") {
        strings_in(events.get(), "CloudTrailEvent", "Events", ctx, depth, out);
        return Shape::LookupEvents;
    }
    if let Some(ev) = member(&m, "CloudTrailEvent") {
        embedded_string(ev.get(), ctx, depth, out, "CloudTrailEvent");
        return Shape::LookupEvents;
    }
    let keys: Vec<&str> = m.iter().take(8).map(|(k, _)| k.as_str()).collect();
    out.rejection = Some(Rejection::UnknownWrapper(format!(
        "an object with keys [{}]{}; expected `Records`, a CloudTrail record, EventBridge `detail`, CloudWatch `logEvents`, `awslogs` or LookupEvents `Events`",
        keys.join(", "),
        if m.len() > 8 { ", …" } else { "" }
    )));
    Shape::Record
}

/// Parse the JSON string `raw` (a JSON-encoded string literal) as a payload.
pub(crate) fn embedded_string(
    raw: &str,
    ctx: &mut Ctx<'_, '_>,
    depth: u32,
    out: &mut Parsed,
    what: &str,
) {
    match serde_json::from_str::<String>(raw) {
        Ok(s) => nested(s.as_bytes(), ctx, depth, out, what),
        Err(_) => out.warnings.push(format!(
            "{what}: expected a JSON string holding a record; skipped"
        )),
    }
}

/// For each object of the array `raw`, parse its string member `key` as a payload.
fn strings_in(
    raw: &str,
    key: &str,
    what: &str,
    ctx: &mut Ctx<'_, '_>,
    depth: u32,
    out: &mut Parsed,
) {
    let items: Vec<std::collections::HashMap<String, &RawValue>> = match serde_json::from_str(raw) {
        Ok(v) => v,
        Err(e) => {
            out.warnings.push(format!(
                "{what}: expected an array of objects ({}); skipped",
                describe(&e)
            ));
            return;
        }
    };
    for (i, item) in items.iter().enumerate() {
        let label = format!("{what}[{i}].{key}");
        match item.get(key) {
            Some(v) => embedded_string(v.get(), ctx, depth, out, &label),
            None => out.warnings.push(format!("{label}: missing; skipped")),
        }
    }
}

/// The first pass over a top-level value.
struct DocSeed<'a, 'b, 'c> {
    ctx: &'a mut Ctx<'b, 'c>,
    depth: u32,
}

impl<'de, 'a, 'b, 'c> DeserializeSeed<'de> for DocSeed<'a, 'b, 'c> {
    type Value = Found<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Found<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'a, 'b, 'c> Visitor<'de> for DocSeed<'a, 'b, 'c> {
    type Value = Found<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object or array holding CloudTrail records")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found<'de>, A::Error> {
        let Some(first) = map.next_key_seed(KeySeed)? else {
            return Ok(Found::Members(Vec::new()));
        };
        if starts_record(&first) {
            // A record: stream it in one pass, starting with the key we already hold.
            crate::record::stream_record(first, map, self.ctx.b, self.ctx.cat)?;
            return Ok(Found::Streamed(Shape::Record));
        }
        let mut members = Vec::new();
        let mut streamed = false;
        let mut late_record = false;
        let mut key = Some(first);
        while let Some(k) = key {
            if k == "Records" && !streamed {
                map.next_value_seed(RecordsSeed {
                    b: self.ctx.b,
                    cat: self.ctx.cat,
                })?;
                streamed = true;
            } else {
                late_record |= is_record_key(&k);
                let v: &'de RawValue = map.next_value()?;
                members.push((k.into_owned(), v));
            }
            key = map.next_key_seed(KeySeed)?;
        }
        Ok(if streamed {
            Found::Streamed(Shape::Records)
        } else if late_record {
            Found::LateRecord
        } else {
            Found::Members(members)
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Found<'de>, A::Error> {
        let mut out = Parsed {
            shape: None,
            rejection: None,
            warnings: Vec::new(),
        };
        let mut i = 0usize;
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            nested(
                raw.get().as_bytes(),
                self.ctx,
                self.depth,
                &mut out,
                &format!("element {i}"),
            );
            i += 1;
        }
        self.ctx.warnings.extend(out.warnings);
        Ok(Found::Streamed(Shape::Array))
    }
}

/// The `Records` array: each element streamed as a record.
struct RecordsSeed<'a, 'c> {
    b: &'a mut Builder,
    cat: &'a mut LocalCatalog<'c>,
}

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("`Records` to be an array of record objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(RecordSeed {
                b: self.b,
                cat: self.cat,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}
