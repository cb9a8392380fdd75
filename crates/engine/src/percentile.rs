//! `percentile(P, x)`: the exact percentile, by linear interpolation between the closest
//! ranks (numpy's default, SQL's `percentile_cont`). DataFusion's own `percentile_cont`
//! rounds the interpolation weight down to 6 decimals, which is visible on large values
//! (3347.375493 instead of 3347.38), so the values are kept and interpolated here.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Float64Array, ListArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility,
};

/// The `P`th percentile (0 ≤ P ≤ 100) of the numbers of one column; nulls are left out.
#[derive(Debug)]
pub struct ExactPercentile {
    rank: f64,
    signature: Signature,
}

impl PartialEq for ExactPercentile {
    fn eq(&self, other: &Self) -> bool {
        self.rank.to_bits() == other.rank.to_bits()
    }
}

impl Eq for ExactPercentile {}

impl Hash for ExactPercentile {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.rank.to_bits().hash(state)
    }
}

impl ExactPercentile {
    /// `percentile(rank, x)` over a numeric expression `x`.
    pub fn call(rank: f64, x: Expr) -> Expr {
        AggregateUDF::new_from_impl(ExactPercentile {
            rank,
            signature: Signature::any(1, Volatility::Immutable),
        })
        .call(vec![x])
    }
}

impl AggregateUDFImpl for ExactPercentile {
    fn name(&self) -> &str {
        "th_percentile"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let item = Field::new_list_field(DataType::Float64, true);
        Ok(vec![Arc::new(Field::new(
            format_state_name(args.name, "values"),
            DataType::List(Arc::new(item)),
            true,
        ))])
    }
    fn accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(Values {
            rank: self.rank,
            values: Vec::new(),
        }))
    }
}

#[derive(Debug)]
struct Values {
    rank: f64,
    values: Vec<f64>,
}

/// The `rank`th percentile of `values` (sorted here), or `None` when there are none.
pub fn percentile(values: &mut [f64], rank: f64) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    // The place h = rank/100 · (n − 1), split into a whole rank and a fraction from
    // rank · (n − 1), which is exact for the usual ranks: percentile(99) over 267
    // values interpolates by 0.34, not by 0.3399999999999181 (263.34 − 263).
    let scaled = rank.clamp(0.0, 100.0) * (n - 1) as f64;
    let whole = (scaled / 100.0).floor();
    let lo = (whole as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let t = ((scaled - whole * 100.0) / 100.0).clamp(0.0, 1.0);
    let (a, b) = (values[lo], values[hi]);
    // numpy's lerp: exact at both ends.
    Some(if t < 0.5 {
        a + (b - a) * t
    } else {
        b - (b - a) * (1.0 - t)
    })
}

impl Accumulator for Values {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(v) = values.first() else {
            return Ok(());
        };
        let f = cast(v, &DataType::Float64)?;
        let f = f.as_primitive::<Float64Type>();
        self.values
            .extend(f.iter().flatten().filter(|x| !x.is_nan()));
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(list) = states.first().and_then(|s| s.as_list_opt::<i32>()) else {
            return Ok(());
        };
        for v in list.iter().flatten() {
            self.update_batch(&[v])?;
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let values = Float64Array::from(std::mem::take(&mut self.values));
        let list = ListArray::new(
            Arc::new(Field::new_list_field(DataType::Float64, true)),
            OffsetBuffer::from_lengths([values.len()]),
            Arc::new(values),
            None,
        );
        Ok(vec![ScalarValue::List(Arc::new(list))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(percentile(
            &mut self.values,
            self.rank,
        )))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.values.capacity() * std::mem::size_of::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn interpolates_between_closest_ranks_like_numpy() {
        // numpy.percentile([1, 2, 3, 4], [0, 25, 50, 90, 100]) = 1, 1.75, 2.5, 3.7, 4
        let v = [4.0, 1.0, 3.0, 2.0];
        let at = |r: f64| percentile(&mut v.clone(), r).unwrap();
        assert_eq!(at(0.0), 1.0);
        assert_eq!(at(25.0), 1.75);
        assert_eq!(at(50.0), 2.5);
        assert!((at(90.0) - 3.7).abs() < 1e-12);
        assert_eq!(at(100.0), 4.0);
        assert_eq!(percentile(&mut [7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&mut [], 50.0), None);
    }
}
