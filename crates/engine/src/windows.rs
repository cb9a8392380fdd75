//! Per-entity windows (LANGUAGE.md §5) as DataFusion plan operators.
//!
//! [`add_windows`] fills `window_id` and `window_index` with window functions over
//! `partition by entity_id order by __order`, so the sort runs inside DataFusion's memory
//! pool (spilling when it must) and only when a query asks for windows. The result is the
//! one `trailhunt_cloudtrail::window::assign` gives after loading everything:
//!
//! - each event's time as nanoseconds, a missing time counted as `i64::MAX` (as `assign`
//!   does: such events sort last and never open a session);
//! - `rn` = its place in the entity's order from 0 (`row_number() - 1`, cast from UInt64
//!   first), `prev` = the previous event's time (`lag`);
//! - an event opens a window when `rn` is 0, or when `rn % n` is 0 (count windows), or when
//!   it has a time and the gap since `prev` exceeds the threshold (sessions);
//! - a running `max` over the openers' `rn` and time gives each event its window's first
//!   event (both only grow along the order: `__order` sorts by time first);
//! - `window_index` = `rn` − the opener's `rn`; `window_id` = `entity_id` `.` the opener's
//!   time (`format_window_time`), or `unknown-time`.
//!
//! Both window steps share one partitioning and one order, so DataFusion sorts once.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{Column, DataFusionError, Result, ScalarValue};
use datafusion::functions_aggregate::min_max::max_udaf;
use datafusion::functions_window::expr_fn::{lag, row_number};
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprFunctionExt, LogicalPlan, LogicalPlanBuilder, ScalarFunctionArgs,
    ScalarUDF, ScalarUDFImpl, Signature, Volatility, WindowFrame, WindowFrameBound,
    WindowFrameUnits, WindowFunctionDefinition, lit, when,
};
use trailhunt_cloudtrail::schema::{ENTITY_ID, TIMESTAMP, WINDOW_ID, WINDOW_INDEX};
use trailhunt_cloudtrail::time::format_window_time;
use trailhunt_cloudtrail::window::WindowMode;

use crate::order::ORDER;
use crate::plan::ident;

/// Intermediate columns (dropped before the output).
const RN: &str = "__win_rn";
const TIME: &str = "__win_time";
const PREV: &str = "__win_prev";
const RN0: &str = "__win_rn0";
const OPENS: &str = "__win_opens";
const START_RN: &str = "__win_start_rn";
const START_TIME: &str = "__win_start_time";

/// `input` with `window_id` (Utf8) and `window_index` (Int64) computed per entity in event
/// order, as LANGUAGE.md §5 cuts them.
///
/// `input` must have `entity_id`, `timestamp` (nanoseconds, nullable) and
/// [`ORDER`](crate::order::ORDER) (any sortable type whose ascending order is the event
/// order). Placeholder `window_id`/`window_index` columns are replaced in place; otherwise
/// the two are appended. Every other column keeps its name, qualifier and position.
pub fn add_windows(input: LogicalPlan, mode: WindowMode) -> Result<LogicalPlan> {
    let schema = input.schema().clone();
    for need in [ENTITY_ID, TIMESTAMP, ORDER] {
        if !schema.has_column_with_unqualified_name(need) {
            return Err(DataFusionError::Plan(format!(
                "cannot cut windows: the input has no `{need}` column"
            )));
        }
    }
    // Every input column by its exact (qualifier, name): names hold dots and capitals.
    let columns: Vec<(Expr, Option<datafusion::common::TableReference>, String)> = schema
        .iter()
        .map(|(q, f)| {
            (
                Expr::Column(Column::from((q, f))),
                q.cloned(),
                f.name().clone(),
            )
        })
        .collect();
    let is_window_col = |name: &str| name == WINDOW_ID || name == WINDOW_INDEX;
    let kept: Vec<Expr> = columns
        .iter()
        .filter(|(_, _, n)| !is_window_col(n))
        .map(|(e, _, _)| e.clone())
        .collect();

    let partition = vec![ident(ENTITY_ID)];
    let order = vec![ident(ORDER).sort(true, false)];
    let time = datafusion::functions::expr_fn::coalesce(vec![
        datafusion::logical_expr::cast(ident(TIMESTAMP), DataType::Int64),
        lit(i64::MAX),
    ]);

    // Step 1: each event's place in its entity, its time, the previous event's time.
    let rn = row_number()
        .partition_by(partition.clone())
        .order_by(order.clone())
        .build()?;
    let mut step1 = vec![rn.alias(RN)];
    if matches!(mode, WindowMode::Session(_)) {
        let prev = lag(time.clone(), Some(1), None)
            .partition_by(partition.clone())
            .order_by(order.clone())
            .build()?;
        step1.push(prev.alias(PREV));
    }
    let b = LogicalPlanBuilder::from(input)
        .project(kept.iter().cloned().chain([time.alias(TIME)]))?
        .window(step1)?;
    // row_number() is UInt64: cast before arithmetic (else `- 1` turns Decimal).
    let rn0 = datafusion::logical_expr::cast(ident(RN), DataType::Int64) - lit(1i64);
    let opens = match mode {
        WindowMode::Events(n) => (ident(RN0) % lit(i64::from(n.max(1)))).eq(lit(0i64)),
        WindowMode::Session(gap) => ident(RN0).eq(lit(0i64)).or(gap_exceeded(gap)),
    };
    // Named columns between the two window steps: DataFusion's common-subexpression pass
    // treats consecutive windows as one and would move an expression over step 1's
    // output below step 1.
    let mut between: Vec<Expr> = kept.clone();
    between.push(ident(TIME));
    between.push(rn0.alias(RN0));
    if matches!(mode, WindowMode::Session(_)) {
        between.push(ident(PREV));
    }
    let b = b.project(between)?;
    let b = b.project(
        kept.iter()
            .cloned()
            .chain([ident(TIME), ident(RN0), opens.alias(OPENS)]),
    )?;

    // Step 2: the window's first event, by a running max over the events that open one.
    let running = |e: Expr| -> Result<Expr> {
        Expr::from(WindowFunction::new(
            WindowFunctionDefinition::AggregateUDF(max_udaf()),
            vec![e],
        ))
        .partition_by(partition.clone())
        .order_by(order.clone())
        .window_frame(WindowFrame::new_bounds(
            WindowFrameUnits::Rows,
            WindowFrameBound::Preceding(ScalarValue::UInt64(None)),
            WindowFrameBound::CurrentRow,
        ))
        .build()
    };
    let start_rn = running(when(ident(OPENS), ident(RN0)).end()?)?;
    let start_time = running(when(ident(OPENS), ident(TIME)).end()?)?;
    let b = b.window(vec![start_rn.alias(START_RN), start_time.alias(START_TIME)])?;

    let window_id = WindowIdUdf::call(ident(ENTITY_ID), ident(START_TIME));
    let window_index = ident(RN0) - ident(START_RN);
    let mut out: Vec<Expr> = Vec::with_capacity(columns.len() + 2);
    let (mut id_done, mut index_done) = (false, false);
    for (e, q, name) in &columns {
        out.push(if name == WINDOW_ID {
            id_done = true;
            window_id.clone().alias_qualified(q.clone(), name)
        } else if name == WINDOW_INDEX {
            index_done = true;
            window_index.clone().alias_qualified(q.clone(), name)
        } else {
            e.clone()
        });
    }
    if !id_done {
        out.push(window_id.alias(WINDOW_ID));
    }
    if !index_done {
        out.push(window_index.alias(WINDOW_INDEX));
    }
    b.project(out)?.build()
}

/// Does the gap since the previous event exceed `gap`? The same test as `assign`'s
/// `t != MAX && t.saturating_sub(prev) > gap`, written so no subtraction can overflow
/// (times only grow along the order, so `t - prev ≥ 0`).
fn gap_exceeded(gap: i64) -> Expr {
    let t = ident(TIME);
    let known = t.clone().not_eq(lit(i64::MAX));
    if gap < 0 {
        // Any gap, even none, exceeds a negative threshold.
        return known;
    }
    if gap == i64::MAX {
        // A saturated difference never exceeds i64::MAX.
        return lit(false);
    }
    // t - prev > gap  ⇔  prev < t - gap, and t - gap only underflows when t < MIN + gap,
    // where t - prev ≤ t - MIN < gap anyway (the AND discards the wrapped value).
    known
        .and(t.clone().gt_eq(lit(i64::MIN + gap)))
        .and(ident(PREV).lt(t - lit(gap)))
}

/// `th_window_id(entity_id, start)`: `entity.YYYY-MM-DD HH:MM:SS.ffffff` for the window's
/// first event time in nanoseconds, `entity.unknown-time` for `i64::MAX` (no time).
#[derive(Debug, PartialEq, Eq, Hash)]
struct WindowIdUdf {
    signature: Signature,
}

impl WindowIdUdf {
    fn call(entity: Expr, start: Expr) -> Expr {
        let udf = WindowIdUdf {
            signature: Signature::any(2, Volatility::Immutable),
        };
        ScalarUDF::new_from_impl(udf).call(vec![entity, start])
    }
}

impl ScalarUDFImpl for WindowIdUdf {
    fn name(&self) -> &str {
        "th_window_id"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let mut it = args.args.into_iter();
        let (Some(entity), Some(start)) = (it.next(), it.next()) else {
            return Err(DataFusionError::Internal(
                "th_window_id needs the entity and the window start".into(),
            ));
        };
        let entity = cast(&entity.into_array(n)?, &DataType::Utf8)?;
        let start = cast(&start.into_array(n)?, &DataType::Int64)?;
        let (entity, start) = (entity.as_string::<i32>(), start.as_primitive::<Int64Type>());
        let mut out = StringBuilder::with_capacity(n, n * 64);
        // Rows arrive in entity order, a window's rows together: format each window once.
        let mut last: Option<(&str, i64)> = None;
        let mut name = String::new();
        for row in 0..n {
            if start.is_null(row) {
                out.append_null();
                continue;
            }
            let e = if entity.is_null(row) {
                ""
            } else {
                entity.value(row)
            };
            let t = start.value(row);
            if last != Some((e, t)) {
                name.clear();
                name.push_str(e);
                name.push('.');
                if t == i64::MAX {
                    name.push_str("unknown-time");
                } else {
                    name.push_str(&format_window_time(t));
                }
                last = Some((e, t));
            }
            out.append_value(&name);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish()) as ArrayRef))
    }
}
