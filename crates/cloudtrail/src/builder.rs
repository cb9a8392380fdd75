//! Column buffers one loader thread fills, record by record, and turns into Arrow batches.
//!
//! Our own buffers rather than arrow's builders, because a file that turns out to be broken
//! halfway must be rolled back to where it started ([`Builder::rollback`]).

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, DictionaryArray, Int32Array, ListArray, RecordBatch, StringArray,
    StructArray, TimestampNanosecondArray, UInt8Array, UInt32Array,
};
use datafusion::arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::UInt32Type;
use datafusion::arrow::error::ArrowError;

use crate::catalog::{LocalCatalog, Segment};
use crate::schema::{self, TYPED, TypedKind, TypedLayout, col, kind};
use crate::time::{parse_event_time, parse_forwarder_time};

/// A growable Utf8 column with validity.
#[derive(Default)]
pub(crate) struct StrCol {
    data: Vec<u8>,
    offsets: Vec<i32>,
    valid: Vec<bool>,
}

impl StrCol {
    fn new() -> Self {
        StrCol {
            data: Vec::new(),
            offsets: vec![0],
            valid: Vec::new(),
        }
    }

    #[inline]
    fn push(&mut self, s: &str) {
        self.data.extend_from_slice(s.as_bytes());
        self.offsets.push(self.data.len() as i32);
        self.valid.push(true);
    }

    /// One value made of `parts` end to end.
    #[inline]
    fn push_concat(&mut self, parts: &[&str]) {
        for p in parts {
            self.data.extend_from_slice(p.as_bytes());
        }
        self.offsets.push(self.data.len() as i32);
        self.valid.push(true);
    }

    #[inline]
    fn push_null(&mut self) {
        self.offsets.push(self.data.len() as i32);
        self.valid.push(false);
    }

    fn len(&self) -> usize {
        self.valid.len()
    }

    fn get(&self, i: usize) -> Option<&str> {
        if !*self.valid.get(i)? {
            return None;
        }
        let (a, b) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
        std::str::from_utf8(&self.data[a..b]).ok()
    }

    fn truncate(&mut self, n: usize) {
        self.valid.truncate(n);
        self.offsets.truncate(n + 1);
        self.data.truncate(self.offsets[n] as usize);
    }

    fn finish(&mut self) -> Result<StringArray, ArrowError> {
        if self.data.len() > i32::MAX as usize {
            // Offsets are 32-bit: one batch holds at most 2 GiB of values per column. The
            // builder seals a batch well before that after each record, so only one record
            // holding more than that on its own gets here.
            return Err(ArrowError::ComputeError(format!(
                "one record holds {} bytes of text values, more than the 2 GiB a column of one batch can hold",
                self.data.len()
            )));
        }
        // Buffers grow by doubling; what stays loaded should not keep the slack.
        let mut offsets = std::mem::replace(&mut self.offsets, vec![0]);
        offsets.shrink_to_fit();
        let mut data = std::mem::take(&mut self.data);
        data.shrink_to_fit();
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        let nulls = nulls(std::mem::take(&mut self.valid));
        StringArray::try_new(offsets, Buffer::from_vec(data), nulls)
    }
}

fn shrunk<T>(mut v: Vec<T>) -> Vec<T> {
    v.shrink_to_fit();
    v
}

fn nulls(valid: Vec<bool>) -> Option<NullBuffer> {
    if valid.iter().all(|v| *v) {
        None
    } else {
        Some(NullBuffer::new(BooleanBuffer::from(valid)))
    }
}

enum Typed {
    Str(StrCol),
    Bool(Vec<Option<bool>>),
}

impl Typed {
    fn len(&self) -> usize {
        match self {
            Typed::Str(c) => c.len(),
            Typed::Bool(c) => c.len(),
        }
    }
}

/// Where a builder stood before a file (or a value) was started.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Checkpoint {
    /// Batches sealed before it (the rows below count in the batch after those).
    sealed: usize,
    rows: usize,
    kv: usize,
    sources: usize,
    /// The time counters as they stood (a rolled-back record counts in none).
    bad_times: u64,
    file_times: TimeCounters,
}

/// How loaded records got their time, counted as they end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TimeCounters {
    /// Records whose event time was missing or unparseable, and no fallback held one.
    pub(crate) none: u64,
    /// Records without a parseable `eventTime` that took the forwarder's `@timestamp`.
    pub(crate) forwarder: u64,
    /// Records without a parseable `eventTime` or `@timestamp` that took the delivery
    /// time in their file's S3 name.
    pub(crate) delivery: u64,
}

/// Column buffers for one thread's share of the records.
pub(crate) struct Builder {
    layout: TypedLayout,
    typed: Vec<Typed>,
    set: Vec<bool>,
    timestamp: Vec<Option<i64>>,
    entity: StrCol,
    account: StrCol,
    source: Vec<i32>,
    source_names: Vec<String>,
    kv_offsets: Vec<i32>,
    /// Each nested value's path id, in this process's catalog (the batch gets a path
    /// dictionary instead, see [`Self::finish_kv`]).
    kv_keys: Vec<u32>,
    /// Per path id met: its canonical form (see [`crate::catalog::canonical`]), taken
    /// from the catalog once per builder.
    path_text: Vec<Option<Box<str>>>,
    /// Per path id: its code in the path dictionary of the batch being finished
    /// (`u32::MAX` outside [`Self::finish_kv`]).
    code_of: Vec<u32>,
    kv_vals: StrCol,
    kv_kinds: Vec<u8>,
    /// Records whose event time was missing or unparseable (with no fallback either).
    pub(crate) bad_times: u64,
    /// How the records of the current file got their time (see [`TimeCounters`]).
    file_times: TimeCounters,
    /// The current record's `@timestamp`, when it holds a time.
    forwarder_time: Option<i64>,
    /// The delivery time in the current source's S3 object name.
    delivery_time: Option<i64>,
    /// Per path id seen: the id its values are stored at (the CloudTrail field for a
    /// lowercase spelling of one, else itself); 0 while not yet looked at.
    canon: Vec<u32>,
    /// Keep only records with `from <= time < to` (UTC ns), when set.
    range: Option<(i64, i64)>,
    /// Records dropped for falling outside `range`.
    pub(crate) outside_range: u64,
    record_start: Option<Checkpoint>,
    /// Walk only typed paths: nested values are skipped, not stored.
    skip_nested: bool,
    /// Per typed column: decode it (all set unless the scan asked for fewer).
    want: Vec<bool>,
    /// Per typed column: a test its string must pass for the record to be able to match
    /// the query (see [`crate::KeepIf`]).
    keep_if: Vec<Option<crate::KeepIf>>,
    /// Some column has a `keep_if` test (so each record needs its checkpoint).
    filtering: bool,
    /// The typed columns (bits by index in [`TYPED`]) whose `keep_if` test the current
    /// record failed: the rest of it is skipped unread (its time aside), and it is
    /// dropped at its end.
    failed: u64,
    /// Records dropped for failing a `keep_if` test.
    pub(crate) filtered_out: u64,
    /// A failing record met a second value at a tested path (see `skips_failing`).
    spoiled: bool,
    /// Per path id: the typed column whose path it is once array positions are left
    /// out (`u8::MAX`: none), when looked up.
    tested: Vec<Option<u8>>,
    num: String,
    /// Batches sealed while a file was being read (see [`Self::set_seal_bytes`]).
    sealed: Vec<RecordBatch>,
    sealed_rows: usize,
    seal_bytes: usize,
    seal_error: Option<ArrowError>,
}

/// Buffered bytes after which a batch is sealed, even in the middle of a file.
pub(crate) const SEAL_BYTES: usize = 64 << 20;

impl Builder {
    pub(crate) fn new(layout: TypedLayout) -> Self {
        let typed = TYPED
            .iter()
            .map(|(_, k)| match k {
                TypedKind::Str => Typed::Str(StrCol::new()),
                TypedKind::Bool => Typed::Bool(Vec::new()),
            })
            .collect();
        Builder {
            layout,
            typed,
            set: vec![false; TYPED.len()],
            timestamp: Vec::new(),
            entity: StrCol::new(),
            account: StrCol::new(),
            source: Vec::new(),
            source_names: Vec::new(),
            kv_offsets: vec![0],
            kv_keys: Vec::new(),
            path_text: Vec::new(),
            code_of: Vec::new(),
            kv_vals: StrCol::new(),
            kv_kinds: Vec::new(),
            bad_times: 0,
            file_times: TimeCounters::default(),
            forwarder_time: None,
            delivery_time: None,
            canon: Vec::new(),
            range: None,
            outside_range: 0,
            record_start: None,
            skip_nested: false,
            want: vec![true; TYPED.len()],
            keep_if: vec![None; TYPED.len()],
            filtering: false,
            failed: 0,
            filtered_out: 0,
            spoiled: false,
            tested: Vec::new(),
            num: String::new(),
            sealed: Vec::new(),
            sealed_rows: 0,
            seal_bytes: SEAL_BYTES,
            seal_error: None,
        }
    }

    /// Records buffered so far (in the batch being built).
    pub(crate) fn rows(&self) -> usize {
        self.timestamp.len()
    }

    /// Records held, sealed batches included.
    pub(crate) fn total_rows(&self) -> usize {
        self.sealed_rows + self.rows()
    }

    /// Seal a batch whenever the buffers hold `bytes` (after the record that reached it),
    /// so one big file becomes several batches: string offsets are 32-bit, and a batch
    /// over 2 GiB of values could not be built at all.
    pub(crate) fn set_seal_bytes(&mut self, bytes: usize) {
        self.seal_bytes = bytes.max(1);
    }

    /// The batches sealed so far (an error if sealing one failed).
    pub(crate) fn take_sealed(&mut self) -> Result<Vec<RecordBatch>, ArrowError> {
        if let Some(e) = self.seal_error.take() {
            return Err(e);
        }
        self.sealed_rows = 0;
        Ok(std::mem::take(&mut self.sealed))
    }

    fn seal(&mut self) {
        let current = self.source_names.last().cloned();
        match self.finish() {
            Ok(Some(b)) => {
                self.sealed_rows += b.num_rows();
                self.sealed.push(b);
            }
            Ok(None) => {}
            Err(e) => {
                self.seal_error.get_or_insert(e);
            }
        }
        // The file goes on: its records keep their source in the next batch.
        if let Some(c) = current {
            self.source_names.push(c);
        }
    }

    /// Start attributing records to source `name`.
    pub(crate) fn set_source(&mut self, name: &str) {
        if self.source_names.last().map(String::as_str) != Some(name) {
            self.source_names.push(name.to_string());
        }
        self.delivery_time = crate::load::delivery_time(std::path::Path::new(name));
    }

    /// Start counting the time fallbacks of a new file.
    pub(crate) fn start_file(&mut self) {
        self.file_times = TimeCounters::default();
    }

    /// The delivery time in the current source's S3 object name, if it has one.
    pub(crate) fn delivery_time(&self) -> Option<i64> {
        self.delivery_time
    }

    /// How the records of the current file (since [`Self::start_file`]) got their time.
    pub(crate) fn file_times(&self) -> TimeCounters {
        self.file_times
    }

    /// The id to store the value of `key` below `parent` at, `id` being the catalog's id
    /// of `parent.key`: the CloudTrail field's when `key` is its lowercase spelling in an
    /// object CloudTrail defines (`eventname` → `eventName`, `useridentity.principalid`
    /// → `userIdentity.principalId`), else `id`. A lowercase key whose typed field the
    /// record already holds in CloudTrail's spelling keeps its own name, so a record
    /// carrying both loses neither.
    #[inline]
    pub(crate) fn canonical(
        &mut self,
        cat: &mut LocalCatalog<'_>,
        parent: u32,
        id: u32,
        key: &str,
    ) -> u32 {
        let c = match self.canon.get(id as usize) {
            Some(&c) if c != 0 => c,
            _ => {
                let c = self.alias(cat, parent, key).unwrap_or(id);
                let i = id as usize;
                if i >= self.canon.len() {
                    self.canon.resize(i + 1, 0);
                }
                self.canon[i] = c;
                c
            }
        };
        if c != id
            && let Some(t) = self.layout.typed(c)
            && self.set[t]
        {
            return id;
        }
        c
    }

    fn alias(&self, cat: &mut LocalCatalog<'_>, parent: u32, key: &str) -> Option<u32> {
        // Keys of array elements (`resources[0].arn`) are the array's (`resources`).
        let mut object = parent;
        while let Some(array) = cat.array_of(object) {
            object = array;
        }
        let fields = self.layout.known_fields(object)?;
        let field = schema::lowercase_alias(fields, key)?;
        Some(cat.key(parent, field))
    }

    pub(crate) fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            sealed: self.sealed.len(),
            rows: self.rows(),
            kv: self.kv_keys.len(),
            sources: self.source_names.len(),
            bad_times: self.bad_times,
            file_times: self.file_times,
        }
    }

    /// Forget every record added since `cp`.
    pub(crate) fn rollback(&mut self, cp: Checkpoint) {
        if self.sealed.len() > cp.sealed {
            // Batches were sealed since: the one that was being built at `cp` keeps its
            // first rows, the later ones go, and the buffers start over.
            self.sealed.truncate(cp.sealed + 1);
            if let Some(b) = self.sealed.pop()
                && cp.rows > 0
            {
                self.sealed.push(b.slice(0, cp.rows));
            }
            self.sealed_rows = self.sealed.iter().map(RecordBatch::num_rows).sum();
            self.rollback_buffers(Checkpoint {
                sealed: self.sealed.len(),
                rows: 0,
                kv: 0,
                sources: 0,
                bad_times: cp.bad_times,
                file_times: cp.file_times,
            });
            return;
        }
        self.rollback_buffers(cp);
    }

    fn rollback_buffers(&mut self, cp: Checkpoint) {
        let n = cp.rows;
        self.bad_times = cp.bad_times;
        self.file_times = cp.file_times;
        for t in &mut self.typed {
            match t {
                Typed::Str(c) => c.truncate(n),
                Typed::Bool(c) => c.truncate(n),
            }
        }
        self.set.iter_mut().for_each(|s| *s = false);
        self.timestamp.truncate(n);
        self.entity.truncate(n);
        self.account.truncate(n);
        self.source.truncate(n);
        self.kv_offsets.truncate(n + 1);
        self.kv_keys.truncate(cp.kv);
        self.kv_vals.truncate(cp.kv);
        self.kv_kinds.truncate(cp.kv);
        // Keep the current source name even if the file added it after the checkpoint.
        if self.source_names.len() > cp.sources.max(1) {
            let cur = self.source_names.pop();
            self.source_names.truncate(cp.sources);
            if let Some(cur) = cur {
                self.source_names.push(cur);
            }
        }
    }

    /// Begin a record; every value until [`Self::end_record`] belongs to it.
    pub(crate) fn begin_record(&mut self) {
        self.set.iter_mut().for_each(|s| *s = false);
        self.forwarder_time = None;
        self.failed = 0;
        if self.range.is_some() || self.filtering {
            self.record_start = Some(self.checkpoint());
        }
    }

    /// Decode only the typed columns `want` marks (by index in [`TYPED`]); the values of
    /// the others are skipped unread. Only for a scan that stores no nested values.
    pub(crate) fn set_typed_columns(&mut self, want: &[bool]) {
        for (w, &x) in self.want.iter_mut().zip(want) {
            *w = x;
        }
    }

    /// Drop records whose typed column fails its test (see [`crate::KeepIf`]).
    pub(crate) fn set_keep_if(&mut self, tests: &[crate::KeepIf]) {
        for t in tests {
            if let Some(slot) = self.keep_if.get_mut(t.column) {
                *slot = Some(t.clone());
                self.filtering = true;
            }
        }
    }

    /// Store no nested values (a query that reads only typed columns needs none).
    pub(crate) fn set_skip_nested(&mut self, skip: bool) {
        self.skip_nested = skip;
    }

    /// Whether nested values are being skipped.
    pub(crate) fn skip_nested(&self) -> bool {
        self.skip_nested
    }

    /// Is the value at path `id` to be skipped unread?
    #[inline]
    pub(crate) fn skips(&mut self, id: u32) -> bool {
        if self.failed != 0 {
            return self.skips_failing(id);
        }
        if self.skip_nested && !self.layout.keeps(id) {
            return true;
        }
        self.layout.typed(id).is_some_and(|c| !self.want[c])
    }

    /// What a record that failed a `keep_if` test still reads: its time (the file's
    /// time counters count every record), and any second value at a tested path (a
    /// duplicate key), which marks the file `spoiled`: the record might match after
    /// all, but part of it was skipped, so the file is decoded again without tests.
    #[cold]
    fn skips_failing(&mut self, id: u32) -> bool {
        match self.layout.typed(id) {
            Some(c) if self.failed & (1 << c) != 0 => {
                // A second value at the failed column's path (a duplicate key).
                self.spoiled = true;
                false
            }
            Some(c) => c != col::EVENT_TIME,
            None if id == self.layout.forwarder_time() => false,
            None if self.layout.keeps(id) => {
                // `userIdentity` again: it may hold a second value of a failed column.
                if (0..TYPED.len()).any(|c| self.failed & (1 << c) != 0 && TYPED[c].0.len() > 1) {
                    self.spoiled = true;
                    return false;
                }
                true
            }
            None => true,
        }
    }

    /// A record failed a test but might have matched: the file must be decoded again
    /// without `keep_if` (see [`Self::skips_failing`]). Cleared by the caller.
    pub(crate) fn take_spoiled(&mut self) -> bool {
        std::mem::take(&mut self.spoiled)
    }

    /// Take the `keep_if` tests out, to decode a spoiled file again without them.
    pub(crate) fn take_keep_if(&mut self) -> Vec<Option<crate::KeepIf>> {
        std::mem::replace(&mut self.keep_if, vec![None; TYPED.len()])
    }

    /// Put back tests taken by [`Self::take_keep_if`].
    pub(crate) fn restore_keep_if(&mut self, tests: Vec<Option<crate::KeepIf>>) {
        self.keep_if = tests;
    }

    /// Keep only records with `from <= event time < to`; the others are dropped as they
    /// are read (records without a readable time are dropped too: they cannot be in it).
    pub(crate) fn set_range(&mut self, from: Option<i64>, to: Option<i64>) {
        if from.is_some() || to.is_some() {
            self.range = Some((from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX)));
        }
    }

    fn push_kv(&mut self, cat: &mut LocalCatalog<'_>, id: u32, v: Option<&str>, k: u8) {
        self.push_kv_uncounted(cat, id, v, k);
        cat.count(id);
    }

    /// A nested entry for a path the record is already counted under.
    fn push_kv_uncounted(&mut self, cat: &mut LocalCatalog<'_>, id: u32, v: Option<&str>, k: u8) {
        if self.layout.typed(id).is_some() {
            cat.count_nested_at_typed(id);
        }
        if self.path_text.get(id as usize).is_none_or(Option::is_none) {
            self.learn_path(cat, id);
        }
        self.kv_keys.push(id);
        match v {
            Some(v) => self.kv_vals.push(v),
            None => self.kv_vals.push_null(),
        }
        self.kv_kinds.push(k);
    }

    #[cold]
    fn learn_path(&mut self, cat: &LocalCatalog<'_>, id: u32) {
        let i = id as usize;
        if i >= self.path_text.len() {
            self.path_text.resize(i + 1, None);
            self.code_of.resize(i + 1, u32::MAX);
        }
        self.path_text[i] = Some(cat.canonical(id));
    }

    /// The current record's typed column `c` holds a value that fails its test: it
    /// cannot match, unless a nested value at that path read earlier could.
    #[cold]
    fn fail(&mut self, c: usize, cat: &LocalCatalog<'_>) {
        if let Some(cp) = self.record_start
            && !self.nested_at_column(c, cp.kv, cat)
        {
            self.failed |= 1 << c;
        }
    }

    /// A JSON string at path `id`.
    #[inline]
    pub(crate) fn string(&mut self, cat: &mut LocalCatalog<'_>, id: u32, s: &str) {
        if id == self.layout.forwarder_time() && self.forwarder_time.is_none() {
            self.forwarder_time = parse_forwarder_time(s);
        }
        if let Some(c) = self.layout.typed(id)
            && !self.set[c]
        {
            match &mut self.typed[c] {
                Typed::Str(col) => {
                    col.push(s);
                    self.set[c] = true;
                    cat.count(id);
                    if self.keep_if[c].as_ref().is_some_and(|t| !(t.test)(s)) {
                        self.fail(c, cat);
                    }
                    return;
                }
                Typed::Bool(col) => {
                    let b = match s {
                        "true" | "True" | "TRUE" => Some(true),
                        "false" | "False" | "FALSE" => Some(false),
                        _ => None,
                    };
                    if b.is_some() {
                        // Queries compare the boolean; output shows the text the
                        // record held, kept beside it (the nested entry comes after
                        // the typed value wherever a record is rebuilt).
                        col.push(b);
                        self.set[c] = true;
                        cat.count(id);
                        self.push_kv_uncounted(cat, id, Some(s), kind::STRING);
                        return;
                    }
                }
            }
        }
        self.push_kv(cat, id, Some(s), kind::STRING);
    }

    /// A JSON boolean at path `id`.
    #[inline]
    pub(crate) fn boolean(&mut self, cat: &mut LocalCatalog<'_>, id: u32, b: bool) {
        if let Some(c) = self.layout.typed(id)
            && !self.set[c]
            && let Typed::Bool(col) = &mut self.typed[c]
        {
            col.push(Some(b));
            self.set[c] = true;
            cat.count(id);
            return;
        }
        self.push_kv(cat, id, Some(if b { "true" } else { "false" }), kind::BOOL);
    }

    /// A JSON number at path `id`, as text.
    #[inline]
    pub(crate) fn number(&mut self, cat: &mut LocalCatalog<'_>, id: u32, n: NumText) {
        if id == self.layout.forwarder_time() && self.forwarder_time.is_none() {
            self.forwarder_time = n.epoch_nanos();
        }
        let mut s = std::mem::take(&mut self.num);
        s.clear();
        n.write(&mut s);
        self.push_kv(cat, id, Some(&s), kind::NUMBER);
        self.num = s;
    }

    /// `null`, `{}` or `[]` at path `id`. A typed column stays null at a JSON `null`; the
    /// nested entry keeps that the key was written (`col = null`, Sigma's `exists`, and
    /// whole-event output as the record was written).
    #[inline]
    pub(crate) fn marker(&mut self, cat: &mut LocalCatalog<'_>, id: u32, k: u8) {
        let text = match k {
            kind::EMPTY_OBJECT => Some("{}"),
            kind::EMPTY_ARRAY => Some("[]"),
            _ => None,
        };
        self.push_kv(cat, id, text, k);
    }

    /// Finish the current record: fill unset columns and derive the computed ones.
    pub(crate) fn end_record(&mut self) {
        let row = self.rows();
        for (c, t) in self.typed.iter_mut().enumerate() {
            if !self.set[c] {
                match t {
                    Typed::Str(col) => col.push_null(),
                    Typed::Bool(col) => col.push(None),
                }
            }
            debug_assert_eq!(t.len(), row + 1);
        }
        let own = self.str_at(col::EVENT_TIME, row).and_then(parse_event_time);
        // Without a readable `eventTime` (forwarders drop or rewrite it), the time is
        // the forwarder's `@timestamp`, else the delivery time of the file's S3 name (no
        // event in a file is newer than it; CloudTrail delivers within ~5 minutes).
        let (ts, fallback) = match own {
            Some(t) => (Some(t), None),
            None => match (self.forwarder_time, self.delivery_time) {
                (Some(t), _) => (Some(t), Some(true)),
                (None, Some(t)) => (Some(t), Some(false)),
                (None, None) => (None, None),
            },
        };
        if let (Some((from, to)), Some(cp)) = (self.range, self.record_start)
            && !ts.is_some_and(|t| t >= from && t < to)
        {
            self.rollback(cp);
            self.outside_range += 1;
            return;
        }
        match fallback {
            _ if ts.is_none() => {
                self.bad_times += 1;
                self.file_times.none += 1;
            }
            Some(true) => self.file_times.forwarder += 1,
            Some(false) => self.file_times.delivery += 1,
            None => {}
        }
        if self.failed != 0
            && !self.spoiled
            && let Some(cp) = self.record_start
        {
            // Counted as read (time counters included), but it cannot match the query.
            let (bad, times) = (self.bad_times, self.file_times);
            self.rollback(cp);
            (self.bad_times, self.file_times) = (bad, times);
            self.filtered_out += 1;
            return;
        }
        self.timestamp.push(ts);
        // Copy the derived values between the buffers directly: no String per record.
        let Builder {
            typed,
            entity,
            account,
            ..
        } = self;
        let str_at = |c: usize| match &typed[c] {
            Typed::Str(col) => col.get(row),
            Typed::Bool(_) => None,
        };
        match str_at(col::USER_ARN).filter(|s| !s.is_empty()) {
            Some(arn) => entity.push(arn),
            None => {
                entity.push_concat(&["source_ip:", str_at(col::SOURCE_IP).unwrap_or("unknown")])
            }
        }
        match str_at(col::USER_ACCOUNT)
            .filter(|s| !s.is_empty())
            .or_else(|| str_at(col::RECIPIENT_ACCOUNT))
        {
            Some(a) => account.push(a),
            None => account.push_null(),
        }
        self.source
            .push(self.source_names.len().saturating_sub(1) as i32);
        self.kv_offsets.push(self.kv_keys.len() as i32);
        if self.bytes() >= self.seal_bytes {
            self.seal();
        }
    }

    /// Does the current record hold a nested value (its entries from `from` on) at the
    /// path of typed column `c` (array positions anywhere in it)? The query's filter
    /// looks there too, so the record may still match.
    fn nested_at_column(&mut self, c: usize, from: usize, cat: &LocalCatalog<'_>) -> bool {
        let from = from.min(self.kv_keys.len());
        for k in from..self.kv_keys.len() {
            let id = self.kv_keys[k];
            let i = id as usize;
            if i >= self.tested.len() {
                self.tested.resize(i + 1, None);
            }
            let col = match self.tested[i] {
                Some(col) => col,
                None => {
                    // Filters match a path with array positions anywhere in it
                    // (`userIdentity[0].arn` is a value of `userIdentity.arn`).
                    let keys: Vec<Segment> = cat
                        .segments(id)
                        .into_iter()
                        .filter(|s| matches!(s, Segment::Key(_)))
                        .collect();
                    let col = TYPED
                        .iter()
                        .position(|(path, _)| {
                            path.len() == keys.len()
                                && path
                                    .iter()
                                    .zip(&keys)
                                    .all(|(a, b)| matches!(b, Segment::Key(k) if **k == **a))
                        })
                        .map_or(u8::MAX, |c| c as u8);
                    self.tested[i] = Some(col);
                    col
                }
            };
            if usize::from(col) == c {
                return true;
            }
        }
        false
    }

    fn str_at(&self, c: usize, row: usize) -> Option<&str> {
        match &self.typed[c] {
            Typed::Str(col) => col.get(row),
            Typed::Bool(_) => None,
        }
    }

    /// Bytes held by the buffers (a flush heuristic).
    pub(crate) fn bytes(&self) -> usize {
        self.kv_vals.data.len()
            + self.kv_keys.len() * 5
            + self
                .typed
                .iter()
                .map(|t| match t {
                    Typed::Str(c) => c.data.len(),
                    Typed::Bool(c) => c.len(),
                })
                .sum::<usize>()
    }

    /// Turn everything buffered into one batch (in the load schema) and start empty.
    pub(crate) fn finish(&mut self) -> Result<Option<RecordBatch>, ArrowError> {
        let rows = self.rows();
        if rows == 0 {
            return Ok(None);
        }
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(TYPED.len() + 5);
        for t in &mut self.typed {
            columns.push(match t {
                Typed::Str(c) => Arc::new(c.finish()?),
                Typed::Bool(c) => Arc::new(BooleanArray::from(std::mem::take(c))),
            });
        }
        let ts: TimestampNanosecondArray = std::mem::take(&mut self.timestamp).into();
        columns.push(Arc::new(ts.with_timezone("UTC")));
        columns.push(Arc::new(self.entity.finish()?));
        columns.push(Arc::new(self.account.finish()?));
        let keys = Int32Array::from(std::mem::take(&mut self.source));
        let names = StringArray::from(std::mem::take(&mut self.source_names));
        columns.push(Arc::new(DictionaryArray::try_new(keys, Arc::new(names))?));
        columns.push(Arc::new(self.finish_kv()?));
        RecordBatch::try_new(schema::load_schema(), columns).map(Some)
    }

    /// The nested column, its paths as a dictionary of canonical paths (the ones this
    /// batch uses, in order of first use): a batch carries its paths, so any process
    /// reads it — a cache file, a spill file, a cluster executor's output — whatever
    /// its catalog holds.
    fn finish_kv(&mut self) -> Result<ListArray, ArrowError> {
        let ids = std::mem::take(&mut self.kv_keys);
        let mut codes = Vec::with_capacity(ids.len());
        let mut used: Vec<u32> = Vec::new();
        for &id in &ids {
            // Every id pushed was learnt (`push_kv_uncounted`), so both maps hold it.
            let code = &mut self.code_of[id as usize];
            if *code == u32::MAX {
                *code = used.len() as u32;
                used.push(id);
            }
            codes.push(*code);
        }
        let paths = StringArray::from_iter_values(used.iter().map(|&id| {
            self.code_of[id as usize] = u32::MAX;
            self.path_text[id as usize].as_deref().unwrap_or_default()
        }));
        let keys =
            DictionaryArray::<UInt32Type>::try_new(UInt32Array::from(codes), Arc::new(paths))?;
        let vals = self.kv_vals.finish()?;
        let kinds = UInt8Array::from(shrunk(std::mem::take(&mut self.kv_kinds)));
        let entries = StructArray::try_new(
            schema::kv_fields(),
            vec![Arc::new(keys), Arc::new(vals), Arc::new(kinds)],
            None,
        )?;
        let offsets = OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(
            &mut self.kv_offsets,
            vec![0],
        )));
        ListArray::try_new(schema::kv_item(), offsets, Arc::new(entries), None)
    }
}

/// A number as serde_json hands it to us.
#[derive(Debug, Clone, Copy)]
pub(crate) enum NumText {
    I(i64),
    U(u64),
    F(f64),
}

impl NumText {
    /// The number as an epoch time (see [`crate::time::epoch_nanos`]).
    fn epoch_nanos(self) -> Option<i64> {
        match self {
            NumText::I(v) => crate::time::epoch_nanos(v),
            NumText::U(v) => crate::time::epoch_nanos(i64::try_from(v).ok()?),
            NumText::F(v) => crate::time::epoch_nanos_f64(v),
        }
    }

    fn write(self, out: &mut String) {
        use std::fmt::Write;
        let _ = match self {
            NumText::I(v) => write!(out, "{v}"),
            NumText::U(v) => write!(out, "{v}"),
            NumText::F(v) => {
                if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
                    write!(out, "{v:.1}")
                } else {
                    write!(out, "{v}")
                }
            }
        };
    }
}
