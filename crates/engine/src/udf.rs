//! The scalar functions the planner lowers queries into.
//!
//! Each carries its compiled parameters (matchers, resolved path ids) so a row never pays
//! for parsing a pattern or looking up a path: `th_match` (filter values against typed
//! columns and nested values), `th_exists`, `th_get` (a nested value, or a whole nested
//! object as JSON), `th_num` (numbers from numbers or numeric text), and small helpers.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, ListBuilder, StringArray, StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, TimeUnit};
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use trailhunt_cloudtrail::catalog::Segment;
use trailhunt_cloudtrail::schema::kind;

use crate::jsontree::{Node, leaf};
use crate::matcher::{Matcher, parse_number};
use crate::pathsel::{PathSel, Snapshot};
use crate::values::{JSON_META, Kv};

/// Equality and hash over the fields that decide a function's result (and its name):
/// DataFusion merges equal calls on equal arguments into one (common subexpressions),
/// so two calls that could give different answers must never compare equal.
macro_rules! udf_identity {
    ($t:ty, $($field:ident),+) => {
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                $(self.$field == other.$field)&&+
            }
        }
        impl Eq for $t {}
        impl Hash for $t {
            fn hash<H: Hasher>(&self, state: &mut H) {
                $(self.$field.hash(state);)+
            }
        }
    };
}

/// The output field of a function returning Utf8, marked as JSON text when `json`.
fn utf8_field(name: &str, data_type: DataType, json: bool) -> FieldRef {
    let f = Field::new(name, data_type, true);
    Arc::new(if json {
        f.with_metadata([(JSON_META.to_string(), "true".to_string())].into())
    } else {
        f
    })
}

/// Every argument as an array of `n` rows.
fn arrays(args: ScalarFunctionArgs) -> Result<Vec<ArrayRef>> {
    let n = args.number_rows;
    args.args.into_iter().map(|a| a.into_array(n)).collect()
}

fn variadic() -> Signature {
    Signature::variadic_any(Volatility::Immutable)
}

/// Any of `matchers` matches a value of any argument column.
#[derive(Debug)]
pub struct MatchUdf {
    name: String,
    matchers: Arc<Vec<Matcher>>,
    /// A regex every matching value contains, to scan whole value buffers at once.
    prefilter: Option<regex::bytes::Regex>,
    /// Paths to test in the nested column; `None` tests every nested value.
    ids: Option<Arc<PathSel>>,
    signature: Signature,
}
// The prefilter is derived from the matchers.
udf_identity!(MatchUdf, name, matchers, ids);

impl MatchUdf {
    /// A call of the matcher over `args`. `label` names it in plans (`eventName = X`).
    pub fn call(
        label: &str,
        matchers: Vec<Matcher>,
        ids: Option<Arc<PathSel>>,
        args: Vec<Expr>,
    ) -> Expr {
        let udf = MatchUdf {
            name: format!("match[{label}]"),
            prefilter: prefilter(&matchers),
            matchers: Arc::new(matchers),
            ids,
            signature: variadic(),
        };
        ScalarUDF::new_from_impl(udf).call(args)
    }

    #[inline]
    fn text(&self, s: &str) -> bool {
        self.matchers.iter().any(|m| m.is_match(s))
    }

    #[inline]
    fn number(&self, v: f64, s: &str) -> bool {
        self.matchers.iter().any(|m| m.is_match_number(v, s))
    }

    /// Does nested entry `i` hold a value of a wanted path that matches?
    #[inline]
    fn entry(&self, kv: &Kv<'_>, i: usize, ids: Option<&Snapshot>) -> bool {
        if let Some(ids) = ids
            && !ids.contains(kv.id(i))
        {
            return false;
        }
        let Some(v) = kv.value(i) else { return false };
        match kv.kinds[i] {
            kind::NUMBER => parse_number(v).is_some_and(|n| self.number(n, v)) || self.text(v),
            kind::STRING | kind::BOOL => self.text(v),
            _ => false,
        }
    }

    fn column(&self, arr: &ArrayRef, out: &mut [bool]) -> Result<()> {
        match arr.data_type() {
            DataType::List(_) => {
                // The batch's paths first: resolving them interns the ones this process
                // has not seen (a batch read from elsewhere), which the snapshot taken
                // after it then covers.
                let kv = match &self.ids {
                    Some(sel) => Kv::with_ids(arr, sel.catalog())?,
                    None => Kv::new(arr)?,
                };
                let snap = self.ids.as_ref().map(|s| s.snap());
                if let Some(snap) = &snap
                    && !kv.any_id(|id| snap.contains(id))
                {
                    // No path of this batch is one the test reads.
                    return Ok(());
                }
                let ids = snap.as_deref();
                if let Some(pre) = &self.prefilter {
                    // A sliced list shares its child values with the other slices of the
                    // batch it came from: search only this slice's entries (`lo..hi`), not
                    // the whole shared buffer once per slice.
                    let rows = kv.list.value_offsets();
                    let (lo, hi) = (rows[0] as usize, rows[rows.len() - 1] as usize);
                    let offsets = kv.vals.value_offsets();
                    let Some(own) = offsets.get(lo..=hi) else {
                        return Ok(());
                    };
                    candidates(kv.vals.value_data(), own, pre, |j| {
                        let i = lo + j;
                        let row = rows.partition_point(|&o| o as usize <= i).saturating_sub(1);
                        if row >= out.len() {
                            return hi - lo;
                        }
                        if !out[row] && self.entry(&kv, i, ids) {
                            out[row] = true;
                            return rows[row + 1] as usize - lo;
                        }
                        j + 1
                    });
                    return Ok(());
                }
                for (row, hit) in out.iter_mut().enumerate() {
                    if *hit || kv.list.is_null(row) {
                        continue;
                    }
                    if kv.range(row).any(|i| self.entry(&kv, i, ids)) {
                        *hit = true;
                    }
                }
            }
            DataType::Utf8 => {
                let a = arr.as_string::<i32>();
                if let Some(pre) = &self.prefilter {
                    candidates(a.value_data(), a.value_offsets(), pre, |row| {
                        if !out[row] && a.is_valid(row) && self.text(a.value(row)) {
                            out[row] = true;
                        }
                        row + 1
                    });
                    return Ok(());
                }
                for (row, hit) in out.iter_mut().enumerate() {
                    if !*hit && a.is_valid(row) {
                        *hit = self.text(a.value(row));
                    }
                }
            }
            DataType::LargeUtf8 => {
                let a = arr.as_string::<i64>();
                for (row, hit) in out.iter_mut().enumerate() {
                    if !*hit && a.is_valid(row) {
                        *hit = self.text(a.value(row));
                    }
                }
            }
            DataType::Utf8View => {
                let a = arr.as_string_view();
                for (row, hit) in out.iter_mut().enumerate() {
                    if !*hit && a.is_valid(row) {
                        *hit = self.text(a.value(row));
                    }
                }
            }
            DataType::Boolean => {
                let a = arr.as_boolean();
                for (row, hit) in out.iter_mut().enumerate() {
                    if !*hit && a.is_valid(row) {
                        *hit = self.text(if a.value(row) { "true" } else { "false" });
                    }
                }
            }
            DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => {
                let text = crate::values::timestamps_as_text(arr)?;
                self.column(&text, out)?;
            }
            dt if dt.is_numeric() => {
                let f = cast(arr, &DataType::Float64)?;
                let f = f.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
                let mut buf = String::new();
                for (row, hit) in out.iter_mut().enumerate() {
                    if !*hit && f.is_valid(row) {
                        buf.clear();
                        crate::values::push_number(&mut buf, f.value(row));
                        *hit = self.number(f.value(row), &buf);
                    }
                }
            }
            DataType::Null => {}
            _ => {
                let text = cast(arr, &DataType::Utf8)?;
                self.column(&text, out)?;
            }
        }
        Ok(())
    }
}

impl ScalarUDFImpl for MatchUdf {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let mut out = vec![false; n];
        for a in args.args {
            let arr = a.into_array(n)?;
            self.column(&arr, &mut out)?;
        }
        Ok(ColumnarValue::Array(Arc::new(BooleanArray::from(out))))
    }
}

/// One regex every value accepted by any of `matchers` contains, if there is one. Numeric
/// matchers have none (`1024` equals `1024.0`), nor does a pattern matching empty text.
fn prefilter(matchers: &[Matcher]) -> Option<regex::bytes::Regex> {
    let parts: Vec<String> = matchers
        .iter()
        .map(Matcher::prefilter)
        .collect::<Option<Vec<_>>>()?
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        return None;
    }
    let re = regex::bytes::RegexBuilder::new(&parts.join("|"))
        .unicode(false)
        .dot_matches_new_line(true)
        .size_limit(1 << 24)
        .build()
        .ok()?;
    (!re.is_match(b"")).then_some(re)
}

/// Visit the values of a string buffer in which `pre` matches: for each, `visit(index)`
/// checks it and says which value to search from next. Values the prefilter cannot
/// match are never looked at, so a rare needle costs one regex scan of the buffer.
fn candidates(
    data: &[u8],
    offsets: &[i32],
    pre: &regex::bytes::Regex,
    mut visit: impl FnMut(usize) -> usize,
) {
    let n = offsets.len().saturating_sub(1);
    if n == 0 {
        return;
    }
    let end = (offsets[n] as usize).min(data.len());
    let hay = &data[..end];
    let mut pos = offsets[0] as usize;
    while pos < end {
        let Some(m) = pre.find_at(hay, pos) else {
            break;
        };
        // The value holding the match start: the last one starting at or before it.
        let i = offsets
            .partition_point(|&o| o as usize <= m.start())
            .saturating_sub(1);
        let next = visit(i.min(n - 1)).max(i + 1);
        if next >= n {
            break;
        }
        pos = (offsets[next] as usize).max(pos);
    }
}

/// Some nested value at one of the path ids exists and is not null (`col: *`), or, for
/// [`ExistsUdf::json_null`], some entry at one of them is a JSON `null` (`col = null`).
#[derive(Debug)]
pub struct ExistsUdf {
    ids: Arc<PathSel>,
    json_null: bool,
    signature: Signature,
}
udf_identity!(ExistsUdf, ids, json_null);

impl ExistsUdf {
    /// `th_exists(_kv)` for the paths of one pattern.
    pub fn call(ids: Arc<PathSel>, kv: Expr) -> Expr {
        Self::make(ids, false, kv)
    }

    /// `th_json_null(_kv)`: the record writes one of the paths as a JSON `null`.
    pub fn json_null(ids: Arc<PathSel>, kv: Expr) -> Expr {
        Self::make(ids, true, kv)
    }

    fn make(ids: Arc<PathSel>, json_null: bool, kv: Expr) -> Expr {
        let udf = ExistsUdf {
            ids,
            json_null,
            signature: variadic(),
        };
        ScalarUDF::new_from_impl(udf).call(vec![kv])
    }
}

impl ScalarUDFImpl for ExistsUdf {
    fn name(&self) -> &str {
        if self.json_null {
            "th_json_null"
        } else {
            "th_exists"
        }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let arr = args
            .args
            .into_iter()
            .next()
            .ok_or_else(|| {
                DataFusionError::Internal(format!("{} needs the nested column", self.name()))
            })?
            .into_array(n)?;
        let kv = Kv::with_ids(&arr, self.ids.catalog())?;
        let ids = self.ids.snap();
        let want_null = self.json_null;
        let out: BooleanArray =
            (0..n)
                .map(|row| {
                    Some(kv.range(row).any(|i| {
                        ids.contains(kv.id(i)) && (kv.kinds[i] == kind::NULL) == want_null
                    }))
                })
                .collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// How [`GetUdf`] shows what it finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetSpec {
    /// The paths to read.
    pub ids: Arc<PathSel>,
    /// Show a JSON object built from everything found (the path names an object).
    pub object: bool,
    /// For object mode: each typed argument's path below the named path.
    pub typed_rel: Vec<Vec<Segment>>,
    /// Which values to give, and how (for a path that is not an object).
    pub mode: GetMode,
}

impl Hash for GetSpec {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.ids.hash(state);
        self.object.hash(state);
        self.typed_rel.hash(state);
        self.mode.hash(state);
    }
}

/// What [`GetUdf`] gives for a path with values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GetMode {
    /// The first value found (typed columns first), as text.
    First,
    /// Every distinct value of the event, in document order, as a list of text (null when
    /// there is none): a multi-valued path to unnest for grouping.
    List,
    /// Every distinct value as JSON text for display: one value as a JSON string, several
    /// as a JSON array of strings, none as null.
    Display,
    /// The value as the record wrote it, as JSON text, for a typed path some records keep
    /// in the nested column (`table readOnly` where one record says `"True"`): the
    /// record's nested entry when it has one, else the typed column's value with its type
    /// (a boolean as `true`).
    AsWritten,
}

/// The value of a path: the first value found (typed columns first), every value (see
/// [`GetMode`]), or the object.
#[derive(Debug)]
pub struct GetUdf {
    label: String,
    spec: GetSpec,
    signature: Signature,
}
udf_identity!(GetUdf, label, spec);

impl GetUdf {
    /// `th_get(_kv, typed…)` for a resolved path.
    pub fn call(label: &str, spec: GetSpec, kv: Expr, typed: Vec<Expr>) -> Expr {
        let udf = GetUdf {
            label: label.to_string(),
            spec,
            signature: variadic(),
        };
        let mut args = vec![kv];
        args.extend(typed);
        ScalarUDF::new_from_impl(udf).call(args)
    }
}

impl ScalarUDFImpl for GetUdf {
    fn name(&self) -> &str {
        "th_get"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(match self.spec.mode {
            GetMode::List if !self.spec.object => list_of_text(),
            _ => DataType::Utf8,
        })
    }
    fn return_field_from_args(&self, _: ReturnFieldArgs) -> Result<FieldRef> {
        if self.spec.mode == GetMode::List && !self.spec.object {
            return Ok(Arc::new(Field::new(self.name(), list_of_text(), true)));
        }
        Ok(utf8_field(
            self.name(),
            DataType::Utf8,
            self.spec.object || matches!(self.spec.mode, GetMode::Display | GetMode::AsWritten),
        ))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let arrays = arrays(args)?;
        let Some((kv_arr, typed)) = arrays.split_first() else {
            return Err(DataFusionError::Internal(
                "th_get needs the nested column".into(),
            ));
        };
        let kv = Kv::with_ids(kv_arr, self.spec.ids.catalog())?;
        if self.spec.mode == GetMode::AsWritten && !self.spec.object {
            let ids = self.spec.ids.snap();
            return Ok(ColumnarValue::Array(self.as_written(n, &kv, typed, &ids)?));
        }
        let typed: Vec<ArrayRef> = typed
            .iter()
            .map(|t| cast(t, &DataType::Utf8))
            .collect::<std::result::Result<_, _>>()?;
        let typed: Vec<&StringArray> = typed.iter().map(|t| t.as_string::<i32>()).collect();
        let ids = self.spec.ids.snap();
        let ids = ids.as_ref();
        if !self.spec.object && self.spec.mode != GetMode::First {
            return Ok(ColumnarValue::Array(self.every_value(n, &kv, &typed, ids)));
        }
        let mut b = StringBuilder::new();
        for row in 0..n {
            if self.spec.object {
                let mut node = Node::default();
                let mut any = false;
                for (t, rel) in typed.iter().zip(&self.spec.typed_rel) {
                    if t.is_valid(row) {
                        node.insert(rel, serde_json::Value::String(t.value(row).to_string()));
                        any = true;
                    }
                }
                for i in kv.range(row) {
                    let id = kv.id(i);
                    if !ids.contains(id) {
                        continue;
                    }
                    let rel = ids.rel(id);
                    node.insert(rel, leaf(kv.value(i), kv.kinds[i]));
                    any = true;
                }
                if any {
                    b.append_value(node.to_json());
                } else {
                    b.append_null();
                }
                continue;
            }
            if let Some(t) = typed.iter().find(|t| t.is_valid(row)) {
                b.append_value(t.value(row));
                continue;
            }
            let found = kv
                .range(row)
                .find(|&i| ids.contains(kv.id(i)) && kv.kinds[i] != kind::NULL);
            match found.and_then(|i| kv.value(i)) {
                Some(v) => b.append_value(v),
                None => b.append_null(),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(b.finish())))
    }
}

/// The type of a multi-valued path's values: a list of text.
pub fn list_of_text() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

impl GetUdf {
    /// Each row's value as JSON text: its nested entry (the text the record wrote, or a
    /// value of another type than the column's), else the first typed value, typed.
    fn as_written(
        &self,
        n: usize,
        kv: &Kv<'_>,
        typed: &[ArrayRef],
        ids: &Snapshot,
    ) -> Result<ArrayRef> {
        let typed: Vec<ArrayRef> = typed
            .iter()
            .map(|t| match t.data_type() {
                DataType::Boolean | DataType::Utf8 => Ok(t.clone()),
                _ => cast(t, &DataType::Utf8),
            })
            .collect::<std::result::Result<_, _>>()?;
        let mut b = StringBuilder::new();
        for row in 0..n {
            let found = kv
                .range(row)
                .find(|&i| ids.contains(kv.id(i)) && kv.kinds[i] != kind::NULL);
            if let Some(i) = found {
                b.append_value(leaf(kv.value(i), kv.kinds[i]).to_string());
                continue;
            }
            match typed.iter().find(|t| t.is_valid(row)) {
                Some(t) => match t.data_type() {
                    DataType::Boolean => b.append_value(if t.as_boolean().value(row) {
                        "true"
                    } else {
                        "false"
                    }),
                    _ => b.append_value(
                        serde_json::Value::from(t.as_string::<i32>().value(row)).to_string(),
                    ),
                },
                None => b.append_null(),
            }
        }
        Ok(Arc::new(b.finish()))
    }

    /// Every distinct value of each row, in the form [`GetMode`] asks for.
    fn every_value(
        &self,
        n: usize,
        kv: &Kv<'_>,
        typed: &[&StringArray],
        ids: &Snapshot,
    ) -> ArrayRef {
        let mut list = ListBuilder::new(StringBuilder::new());
        let mut text = StringBuilder::new();
        let mut vals: Vec<&str> = Vec::new();
        for row in 0..n {
            vals.clear();
            let typed_vals = typed
                .iter()
                .filter(|t| t.is_valid(row))
                .map(|t| t.value(row));
            let nested = kv
                .range(row)
                .filter(|&i| ids.contains(kv.id(i)) && kv.kinds[i] != kind::NULL)
                .filter_map(|i| kv.value(i));
            for v in typed_vals.chain(nested) {
                if !vals.contains(&v) {
                    vals.push(v);
                }
            }
            match self.spec.mode {
                GetMode::Display => match vals.as_slice() {
                    [] => text.append_null(),
                    [one] => text.append_value(serde_json::Value::from(*one).to_string()),
                    many => text
                        .append_value(serde_json::to_string(many).unwrap_or_else(|_| "[]".into())),
                },
                _ if vals.is_empty() => list.append_null(),
                _ => {
                    for v in &vals {
                        list.values().append_value(v);
                    }
                    list.append(true);
                }
            }
        }
        if self.spec.mode == GetMode::Display {
            Arc::new(text.finish())
        } else {
            Arc::new(list.finish())
        }
    }
}

/// Simple one-purpose functions, chosen by name.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct HelperUdf {
    name: &'static str,
    signature: Signature,
}

impl HelperUdf {
    fn udf(name: &'static str) -> ScalarUDF {
        ScalarUDF::new_from_impl(HelperUdf {
            name,
            signature: variadic(),
        })
    }

    /// `th_num(x)`: x as a Float64 — numbers, and text that spells a number; else null.
    pub fn num(x: Expr) -> Expr {
        Self::udf("th_num").call(vec![x])
    }

    /// `th_fmt_num(x)`: a Float64 as text, integral values without a fraction.
    pub fn fmt_num(x: Expr) -> Expr {
        Self::udf("th_fmt_num").call(vec![x])
    }

    /// `th_key(a, b…)`: one text key for a combination of values (null if any is null).
    pub fn key(args: Vec<Expr>) -> Expr {
        Self::udf("th_key").call(args)
    }

    /// `th_values(list)`: a list's values, sorted, as a JSON array. Values that are
    /// lists themselves (a multi-valued path's values per event) count one by one.
    pub fn values(list: Expr) -> Expr {
        Self::udf("th_values").call(vec![list])
    }

    /// `th_ndistinct(list)`: how many distinct non-null values a list holds, values that
    /// are lists counting one by one (`countdistinct` of a multi-valued path).
    pub fn ndistinct(list: Expr) -> Expr {
        Self::udf("th_ndistinct").call(vec![list])
    }

    /// `th_keys(a, b…)`: like `th_key`, but each argument may be a list of values (a
    /// multi-valued path): the list of keys of every combination (null if some
    /// argument has no value).
    pub fn keys(args: Vec<Expr>) -> Expr {
        Self::udf("th_keys").call(args)
    }
}

/// Every non-null value of row `row` of `arr` as text: the row's items when it is a list
/// (recursively), else the value itself.
fn texts_at(arr: &ArrayRef, row: usize, out: &mut Vec<String>) -> Result<()> {
    if arr.is_null(row) {
        return Ok(());
    }
    match arr.data_type() {
        DataType::List(_) => {
            let items = arr.as_list::<i32>().value(row);
            for i in 0..items.len() {
                texts_at(&items, i, out)?;
            }
        }
        DataType::LargeList(_) => {
            let items = arr.as_list::<i64>().value(row);
            for i in 0..items.len() {
                texts_at(&items, i, out)?;
            }
        }
        DataType::Utf8 => out.push(arr.as_string::<i32>().value(row).to_string()),
        _ => {
            let t = crate::values::as_text(&arr.slice(row, 1))?;
            let t = t.as_string::<i32>();
            if t.is_valid(0) {
                out.push(t.value(0).to_string());
            }
        }
    }
    Ok(())
}

fn to_f64(arr: &ArrayRef) -> Result<Float64Array> {
    Ok(match arr.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let s = cast(arr, &DataType::Utf8)?;
            let s = s.as_string::<i32>();
            s.iter().map(|v| v.and_then(parse_number)).collect()
        }
        DataType::Boolean | DataType::Null => Float64Array::new_null(arr.len()),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            let i = cast(arr, &DataType::Int64)?;
            cast(&i, &DataType::Float64)?
                .as_primitive::<datafusion::arrow::datatypes::Float64Type>()
                .clone()
        }
        dt if dt.is_numeric() => cast(arr, &DataType::Float64)?
            .as_primitive::<datafusion::arrow::datatypes::Float64Type>()
            .clone(),
        _ => Float64Array::new_null(arr.len()),
    })
}

impl ScalarUDFImpl for HelperUdf {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(match self.name {
            "th_num" => DataType::Float64,
            "th_ndistinct" => DataType::Int64,
            "th_keys" => list_of_text(),
            _ => DataType::Utf8,
        })
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let types: Vec<DataType> = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        Ok(utf8_field(
            self.name,
            self.return_type(&types)?,
            self.name == "th_values",
        ))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let arrays = arrays(args)?;
        let first = arrays
            .first()
            .ok_or_else(|| DataFusionError::Internal(format!("{} needs an argument", self.name)))?;
        let out: ArrayRef = match self.name {
            "th_num" => Arc::new(to_f64(first)?),
            "th_fmt_num" => {
                let f = to_f64(first)?;
                let mut b = StringBuilder::new();
                let mut buf = String::new();
                for v in f.iter() {
                    match v {
                        Some(v) => {
                            buf.clear();
                            crate::values::push_number(&mut buf, v);
                            b.append_value(&buf);
                        }
                        None => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
            "th_key" => {
                let cols: Vec<ArrayRef> = arrays
                    .iter()
                    .map(|a| crate::values::as_text(a))
                    .collect::<Result<_>>()?;
                let cols: Vec<&StringArray> = cols.iter().map(|c| c.as_string::<i32>()).collect();
                let mut b = StringBuilder::new();
                let mut key = String::new();
                for row in 0..n {
                    if cols.iter().any(|c| c.is_null(row)) {
                        b.append_null();
                        continue;
                    }
                    key.clear();
                    for (i, c) in cols.iter().enumerate() {
                        if i > 0 {
                            key.push('\u{1f}');
                        }
                        key.push_str(c.value(row));
                    }
                    b.append_value(&key);
                }
                Arc::new(b.finish())
            }
            "th_values" => {
                let list = first
                    .as_list_opt::<i32>()
                    .ok_or_else(|| DataFusionError::Internal("th_values needs a list".into()))?;
                let mut b = StringBuilder::new();
                let mut v = Vec::new();
                for row in 0..n {
                    if list.is_null(row) {
                        b.append_null();
                        continue;
                    }
                    v.clear();
                    texts_at(first, row, &mut v)?;
                    v.sort_unstable();
                    v.dedup();
                    b.append_value(serde_json::to_string(&v).unwrap_or_else(|_| "[]".into()));
                }
                Arc::new(b.finish())
            }
            "th_ndistinct" => {
                let mut v = Vec::new();
                let out: datafusion::arrow::array::Int64Array = (0..n)
                    .map(|row| {
                        v.clear();
                        texts_at(first, row, &mut v)?;
                        v.sort_unstable();
                        v.dedup();
                        Ok(Some(v.len() as i64))
                    })
                    .collect::<Result<_>>()?;
                Arc::new(out)
            }
            "th_keys" => {
                let mut list = ListBuilder::new(StringBuilder::new());
                let mut per_arg: Vec<Vec<String>> = vec![Vec::new(); arrays.len()];
                for row in 0..n {
                    for (vals, a) in per_arg.iter_mut().zip(&arrays) {
                        vals.clear();
                        texts_at(a, row, vals)?;
                        vals.sort_unstable();
                        vals.dedup();
                    }
                    if per_arg.iter().any(Vec::is_empty) {
                        list.append_null();
                        continue;
                    }
                    let mut keys = vec![String::new()];
                    for (i, vals) in per_arg.iter().enumerate() {
                        let mut next = Vec::with_capacity(keys.len() * vals.len());
                        for k in &keys {
                            for v in vals {
                                let mut key = k.clone();
                                if i > 0 {
                                    key.push('\u{1f}');
                                }
                                key.push_str(v);
                                next.push(key);
                            }
                        }
                        keys = next;
                    }
                    for k in &keys {
                        list.values().append_value(k);
                    }
                    list.append(true);
                }
                Arc::new(list.finish())
            }
            other => {
                return Err(DataFusionError::Internal(format!("unknown helper {other}")));
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

#[cfg(test)]
mod tests {
    use datafusion::logical_expr::col;
    use trailhunt_cloudtrail::Catalog;
    use trailhunt_cloudtrail::catalog::Segment;
    use trailhunt_cloudtrail::schema::TypedLayout;
    use trailhunt_lang::ast::Segment as Pattern;

    use super::*;

    thread_local! {
        static CATALOG: (Arc<Catalog>, TypedLayout) = {
            let c = Arc::new(Catalog::new());
            let l = TypedLayout::register(&c);
            (c, l)
        };
    }

    /// The paths of a dotted pattern (`a.b`, `a.*`).
    fn sel(pattern: &str) -> Arc<PathSel> {
        let segs = pattern
            .split('.')
            .map(|k| match k {
                "*" => Pattern::AnyKey,
                k => Pattern::Key(k.into()),
            })
            .collect();
        CATALOG.with(|(c, l)| Arc::new(PathSel::new(segs, c.clone(), l.clone())))
    }

    fn spec(pattern: &str, object: bool, typed_rel: &[&str]) -> GetSpec {
        let seg = |k: &str| vec![Segment::Key(k.into())];
        GetSpec {
            ids: sel(pattern),
            object,
            typed_rel: typed_rel.iter().map(|k| seg(k)).collect(),
            mode: GetMode::First,
        }
    }

    /// Two calls DataFusion would merge (as common subexpressions) or not.
    fn merged(a: &Expr, b: &Expr) -> bool {
        a == b
    }

    #[test]
    fn get_calls_differ_by_everything_in_their_spec() {
        let call = |label: &str, s: GetSpec| GetUdf::call(label, s, col("_kv"), vec![]);
        let base = || spec("a.b", true, &["t"]);
        assert!(merged(&call("p", base()), &call("p", base())));
        assert!(!merged(&call("p", base()), &call("q", base())));
        assert!(!merged(
            &call("p", base()),
            &call("p", spec("a.c", true, &["t"]))
        ));
        assert!(!merged(
            &call("p", base()),
            &call("p", spec("a.b", false, &["t"]))
        ));
        assert!(!merged(
            &call("p", base()),
            &call("p", spec("a.b", true, &["u"]))
        ));
        // The first value, every value as a list, every value for display.
        let mode = |mode: GetMode| GetSpec {
            object: false,
            mode,
            ..base()
        };
        assert!(!merged(
            &call("p", mode(GetMode::First)),
            &call("p", mode(GetMode::List))
        ));
        assert!(!merged(
            &call("p", mode(GetMode::List)),
            &call("p", mode(GetMode::Display))
        ));
    }

    #[test]
    fn exists_and_match_calls_differ_by_paths_and_matchers() {
        let ex = |p: &str| ExistsUdf::call(sel(p), col("_kv"));
        assert!(merged(&ex("a.b"), &ex("a.b")));
        assert!(!merged(&ex("a.b"), &ex("a.*")));
        let value = |q: &str| {
            let query = trailhunt_lang::parse_query(&format!("x{q}")).expect("parses");
            match query.filter.kind {
                trailhunt_lang::ast::FilterKind::Field(f) => match f.value {
                    trailhunt_lang::ast::FieldValue::Value(v) => Matcher::new(f.op, &v),
                    other => panic!("not a single value: {other:?}"),
                },
                other => panic!("not a field filter: {other:?}"),
            }
        };
        let mc = |label: &str, q: &str, ids: Option<&str>| {
            MatchUdf::call(
                label,
                vec![value(q)],
                ids.map(sel),
                vec![col("eventSource")],
            )
        };
        // The old key (label and ids) was the same for all of these.
        assert!(merged(&mc("s3", ": s3", None), &mc("s3", ": s3", None)));
        assert!(!merged(&mc("s3", ": s3", None), &mc("s3", "= s3", None)));
        assert!(!merged(
            &mc("s3", ": s3", None),
            &mc("s3", ": \"s3\"", None)
        ));
        assert!(!merged(&mc("1", ">= 1", None), &mc("1", "> 1", None)));
        assert!(!merged(
            &mc("s3", ": s3", Some("a.b")),
            &mc("s3", ": s3", Some("a.c"))
        ));
    }

    #[test]
    fn a_path_selection_grows_with_the_catalog() {
        let c = Arc::new(Catalog::new());
        let l = TypedLayout::register(&c);
        let s = PathSel::new(
            vec![Pattern::Key("resources".into()), Pattern::Key("ARN".into())],
            c.clone(),
            l,
        );
        assert!(s.nothing_nested(&s.snap()));
        let res = c.key(0, "resources");
        let e0 = c.index(res, 0);
        let arn0 = c.key(e0, "ARN");
        let other = c.key(e0, "type");
        let snap = s.snap();
        assert!(snap.contains(arn0) && !snap.contains(other) && !snap.contains(res));
        assert!(!s.nothing_nested(&snap));
        let e1 = c.index(res, 1);
        let arn1 = c.key(e1, "ARN");
        assert!(!snap.contains(arn1), "an old snapshot does not change");
        assert!(s.snap().contains(arn1) && s.snap().contains(arn0));
    }
}
