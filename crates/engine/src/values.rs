//! Values as the engine encodes and shows them: the nested-values column ([`Kv`]), the
//! JSON-text marker on fields ([`JSON_META`]), and every value-to-text conversion the
//! functions (`udf`) and the printers share, so neither needs the other.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Field, TimestampNanosecondType, UInt8Type, UInt32Type,
};
use datafusion::common::{DataFusionError, Result};
use datafusion::scalar::ScalarValue;
use serde_json::Value;
use trailhunt_cloudtrail::Catalog;
use trailhunt_cloudtrail::catalog::ROOT;
use trailhunt_cloudtrail::time::{format_display, format_rfc3339};

/// Field metadata marking a Utf8 column whose values are JSON text (printed as JSON).
pub const JSON_META: &str = "trailhunt.json";

/// A view of one batch's nested-values column.
///
/// Each value's path is a code into the batch's own dictionary of canonical paths (the
/// batch carries its paths: it may come from another process, a cache file or a spill
/// file); [`Kv::with_ids`] maps the codes to this process's catalog ids once per batch.
pub struct Kv<'a> {
    /// The column: one list of values per row.
    pub list: &'a ListArray,
    /// Each value's code in [`Kv::paths`].
    pub codes: &'a [u32],
    /// The batch's path dictionary: canonical paths (`trailhunt_cloudtrail::catalog`).
    pub paths: &'a StringArray,
    /// Per code: its path id in the catalog (empty unless made by [`Kv::with_ids`]).
    ids: Vec<u32>,
    /// Each value as text (null for JSON null).
    pub vals: &'a StringArray,
    /// Each value's JSON kind (`trailhunt_cloudtrail::schema::kind`).
    pub kinds: &'a [u8],
}

impl<'a> Kv<'a> {
    /// View `arr`, a nested-values column, without resolving its paths.
    pub fn new(arr: &'a ArrayRef) -> Result<Self> {
        let bad = |what: &str| DataFusionError::Internal(format!("nested column: {what}"));
        let list = arr.as_list_opt::<i32>().ok_or_else(|| bad("not a list"))?;
        let st = list
            .values()
            .as_struct_opt()
            .ok_or_else(|| bad("entries are not structs"))?;
        let (Some(keys), Some(vals), Some(kinds)) = (
            st.column(0).as_dictionary_opt::<UInt32Type>(),
            st.column(1).as_string_opt::<i32>(),
            st.column(2).as_primitive_opt::<UInt8Type>(),
        ) else {
            return Err(bad("entries are not (path, value, kind)"));
        };
        let paths = keys
            .values()
            .as_string_opt::<i32>()
            .ok_or_else(|| bad("paths are not text"))?;
        Ok(Kv {
            list,
            codes: keys.keys().values(),
            paths,
            ids: Vec::new(),
            vals,
            kinds: kinds.values(),
        })
    }

    /// View `arr` with its paths resolved in `catalog` (interning the paths it has not
    /// seen: a batch read from elsewhere teaches the catalog its paths).
    pub fn with_ids(arr: &'a ArrayRef, catalog: &Catalog) -> Result<Self> {
        let mut kv = Kv::new(arr)?;
        kv.ids = catalog.ids_of(kv.paths.iter());
        Ok(kv)
    }

    /// Does the batch's dictionary hold a path whose id passes `f`? (With ids: see
    /// [`Kv::with_ids`].) The dictionary may hold paths no value uses (a slice of a batch
    /// shares its dictionary), so `true` means "maybe".
    pub fn any_id(&self, f: impl Fn(u32) -> bool) -> bool {
        self.ids.iter().any(|&id| f(id))
    }

    /// The catalog id of value `i`'s path ([`ROOT`] unless made by [`Kv::with_ids`]).
    #[inline]
    pub fn id(&self, i: usize) -> u32 {
        self.ids
            .get(self.codes[i] as usize)
            .copied()
            .unwrap_or(ROOT)
    }

    /// The values of row `row`, as indexes into `keys`, `kinds` and [`Kv::value`].
    #[inline]
    pub fn range(&self, row: usize) -> std::ops::Range<usize> {
        let o = self.list.value_offsets();
        o[row] as usize..o[row + 1] as usize
    }

    /// Value `i` as text (null for JSON null).
    #[inline]
    pub fn value(&self, i: usize) -> Option<&'a str> {
        (!self.vals.is_null(i)).then(|| self.vals.value(i))
    }
}

/// Append `v` as the language prints numbers: integral values without a fraction.
pub fn push_number(out: &mut String, v: f64) {
    use std::fmt::Write as _;
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.007_199_254_740_992e15 {
        let _ = write!(out, "{}", v as i64);
    } else {
        let _ = write!(out, "{v}");
    }
}

/// Timestamps as RFC 3339 text.
pub fn timestamps_as_text(arr: &ArrayRef) -> Result<ArrayRef> {
    let ns = cast(
        arr,
        &DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Nanosecond, None),
    )?;
    let ns = ns.as_primitive::<TimestampNanosecondType>();
    let out: StringArray = ns.iter().map(|v| v.map(format_rfc3339)).collect();
    Ok(Arc::new(out))
}

/// Any column as Utf8 text (timestamps RFC 3339, numbers as the language prints them).
pub fn as_text(arr: &ArrayRef) -> Result<ArrayRef> {
    Ok(match arr.data_type() {
        DataType::Utf8 => arr.clone(),
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => timestamps_as_text(arr)?,
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let f = cast(arr, &DataType::Float64)?;
            let f = f.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
            let out: StringArray = f
                .iter()
                .map(|v| {
                    v.map(|v| {
                        let mut s = String::new();
                        push_number(&mut s, v);
                        s
                    })
                })
                .collect();
            Arc::new(out)
        }
        DataType::List(_) | DataType::LargeList(_) | DataType::Struct(_) => {
            let out: StringArray = (0..arr.len())
                .map(|i| (!arr.is_null(i)).then(|| value_at(arr, i, false).to_string()))
                .collect();
            Arc::new(out)
        }
        _ => cast(arr, &DataType::Utf8)?,
    })
}

/// True when `f` holds JSON text (marked with [`JSON_META`]).
pub fn is_json_field(f: &Field) -> bool {
    f.metadata().get(JSON_META).is_some_and(|v| v == "true")
}

/// One cell as a JSON value (`json_text`: a Utf8 cell holds JSON text, parse it).
pub fn value_at(arr: &ArrayRef, i: usize, json_text: bool) -> Value {
    if arr.is_null(i) {
        return Value::Null;
    }
    match arr.data_type() {
        DataType::Utf8 => {
            let s = arr.as_string::<i32>().value(i);
            if json_text {
                serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string()))
            } else {
                Value::String(s.to_string())
            }
        }
        DataType::Boolean => Value::Bool(arr.as_boolean().value(i)),
        DataType::List(_) => {
            let l = arr.as_list::<i32>().value(i);
            Value::Array((0..l.len()).map(|j| value_at(&l, j, false)).collect())
        }
        DataType::LargeList(_) => {
            let l = arr.as_list::<i64>().value(i);
            Value::Array((0..l.len()).map(|j| value_at(&l, j, false)).collect())
        }
        DataType::Struct(fields) => {
            let s = arr.as_struct();
            let mut m = serde_json::Map::new();
            for (f, c) in fields.iter().zip(s.columns()) {
                m.insert(f.name().clone(), value_at(c, i, is_json_field(f)));
            }
            Value::Object(m)
        }
        // One cell at a time: converting the whole column for every cell would make
        // printing quadratic in the batch size.
        _ => match ScalarValue::try_from_array(arr, i) {
            Ok(v) => scalar_json(v),
            Err(_) => Value::Null,
        },
    }
}

/// A scalar cell as JSON: numbers as numbers (integral floats without a fraction),
/// timestamps as RFC 3339, dictionary values as their value, anything else as text.
fn scalar_json(v: ScalarValue) -> Value {
    use ScalarValue as S;
    match v {
        S::Int8(Some(x)) => Value::from(x),
        S::Int16(Some(x)) => Value::from(x),
        S::Int32(Some(x)) => Value::from(x),
        S::Int64(Some(x)) => Value::from(x),
        S::UInt8(Some(x)) => Value::from(x),
        S::UInt16(Some(x)) => Value::from(x),
        S::UInt32(Some(x)) => Value::from(x),
        S::UInt64(Some(x)) => Value::from(x),
        S::Float32(Some(x)) => float_json(f64::from(x)),
        S::Float64(Some(x)) => float_json(x),
        S::Utf8(Some(x)) | S::LargeUtf8(Some(x)) | S::Utf8View(Some(x)) => Value::String(x),
        S::Boolean(Some(b)) => Value::Bool(b),
        // Printed: in the `--tz` zone.
        S::TimestampSecond(Some(t), _) => {
            Value::String(format_display(t.saturating_mul(1_000_000_000)))
        }
        S::TimestampMillisecond(Some(t), _) => {
            Value::String(format_display(t.saturating_mul(1_000_000)))
        }
        S::TimestampMicrosecond(Some(t), _) => {
            Value::String(format_display(t.saturating_mul(1_000)))
        }
        S::TimestampNanosecond(Some(t), _) => Value::String(format_display(t)),
        S::Dictionary(_, inner) => scalar_json(*inner),
        v if v.is_null() => Value::Null,
        v => Value::String(v.to_string()),
    }
}

fn float_json(v: f64) -> Value {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.007_199_254_740_992e15 {
        Value::from(v as i64)
    } else {
        serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}
