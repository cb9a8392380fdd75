//! `eval` and `where` expressions as DataFusion `Expr`s.
//!
//! No implicit casts between text and numbers beyond what the language promises: text
//! that spells a number is read as a number where arithmetic or a numeric comparison
//! needs one (nested values arrive as text), and anything else gives null.

use datafusion::arrow::datatypes::DataType;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{Expr, ExprSchemable, binary_expr, lit, when};
use datafusion::logical_expr::{Operator, not};
use datafusion::scalar::ScalarValue;
use trailhunt_lang::ast::{BinOp, Expr as AExpr, ExprKind, Func, UnaryOp};

use super::{PResult, Planner, State, df_err};
use crate::udf::HelperUdf;

fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn is_number(t: &DataType) -> bool {
    t.is_numeric()
}

impl Planner<'_> {
    fn type_of(&self, st: &State, e: &Expr) -> DataType {
        e.get_type(st.schema().as_ref()).unwrap_or(DataType::Null)
    }

    /// Read `e` as a number when it is text.
    fn numeric(&self, st: &State, e: Expr) -> Expr {
        if is_text(&self.type_of(st, &e)) {
            HelperUdf::num(e)
        } else {
            e
        }
    }

    /// Lower an expression over the current rows.
    pub(crate) fn expr(&self, st: &State, e: &AExpr) -> PResult<Expr> {
        Ok(match &e.kind {
            ExprKind::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 9.0e15 {
                    lit(*n as i64)
                } else {
                    lit(*n)
                }
            }
            ExprKind::Str(s) => lit(s.clone()),
            ExprKind::Bool(b) => lit(*b),
            ExprKind::Null => lit(ScalarValue::Null),
            ExprKind::Column(p) => self.column(st, p)?,
            ExprKind::Unary(UnaryOp::Not, x) => not(self.expr(st, x)?),
            ExprKind::Unary(UnaryOp::Neg, x) => {
                let x = self.expr(st, x)?;
                Expr::Negative(Box::new(self.numeric(st, x)))
            }
            // `x == null` / `x != null` test for null (a comparison with null is null,
            // never true, which would make every `if(x == null, …)` take its else).
            ExprKind::Binary(op @ (BinOp::Eq | BinOp::Ne), l, r)
                if matches!(l.kind, ExprKind::Null) || matches!(r.kind, ExprKind::Null) =>
            {
                let other = if matches!(l.kind, ExprKind::Null) {
                    r
                } else {
                    l
                };
                let x = self.expr(st, other)?;
                if *op == BinOp::Eq {
                    x.is_null()
                } else {
                    x.is_not_null()
                }
            }
            ExprKind::Binary(op, l, r) => {
                let (l, r) = (self.expr(st, l)?, self.expr(st, r)?);
                let (lt, rt) = (self.type_of(st, &l), self.type_of(st, &r));
                let operator = match op {
                    BinOp::Or => Operator::Or,
                    BinOp::And => Operator::And,
                    BinOp::Eq => Operator::Eq,
                    BinOp::Ne => Operator::NotEq,
                    BinOp::Lt => Operator::Lt,
                    BinOp::Le => Operator::LtEq,
                    BinOp::Gt => Operator::Gt,
                    BinOp::Ge => Operator::GtEq,
                    BinOp::Add => Operator::Plus,
                    BinOp::Sub => Operator::Minus,
                    BinOp::Mul => Operator::Multiply,
                    BinOp::Div => Operator::Divide,
                };
                let arithmetic = matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div);
                let comparison = matches!(
                    op,
                    BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
                );
                let (l, r) = if arithmetic
                    || (comparison && (is_number(&lt) || is_number(&rt)) && lt != rt)
                {
                    (self.numeric(st, l), self.numeric(st, r))
                } else {
                    (l, r)
                };
                // Division is in floating point: 7 / 2 is 3.5, as people expect.
                let (l, r) = if *op == BinOp::Div {
                    (
                        datafusion::logical_expr::cast(l, DataType::Float64),
                        datafusion::logical_expr::cast(r, DataType::Float64),
                    )
                } else {
                    (l, r)
                };
                binary_expr(l, operator, r)
            }
            ExprKind::Call(call) => {
                let args = call
                    .args
                    .iter()
                    .map(|a| self.expr(st, a))
                    .collect::<PResult<Vec<_>>>()?;
                let mut it = args.into_iter();
                let mut next = || it.next().unwrap_or(lit(ScalarValue::Null));
                match call.func {
                    Func::If => {
                        let (c, a, b) = (next(), next(), next());
                        when(c, a).otherwise(b).map_err(|err| df_err(e.span, err))?
                    }
                    Func::Coalesce => {
                        let all: Vec<Expr> = std::iter::from_fn(|| Some(next()))
                            .take(call.args.len())
                            .collect();
                        f::coalesce(all)
                    }
                    Func::Lower => f::lower(next()),
                    Func::Upper => f::upper(next()),
                    Func::Len => f::character_length(next()),
                    Func::Concat => {
                        let all: Vec<Expr> = std::iter::from_fn(|| Some(next()))
                            .take(call.args.len())
                            .map(|a| datafusion::logical_expr::cast(a, DataType::Utf8))
                            .collect();
                        f::concat(all)
                    }
                    Func::Abs => {
                        let x = next();
                        f::abs(self.numeric(st, x))
                    }
                    Func::Round => {
                        let x = next();
                        let x = self.numeric(st, x);
                        let d = if call.args.len() > 1 {
                            next()
                        } else {
                            lit(0i64)
                        };
                        f::round(vec![
                            datafusion::logical_expr::cast(x, DataType::Float64),
                            d,
                        ])
                    }
                    Func::IsNull => next().is_null(),
                    Func::IsNotNull => next().is_not_null(),
                    Func::Contains => {
                        let (s, t) = (next(), next());
                        f::strpos(
                            datafusion::logical_expr::cast(s, DataType::Utf8),
                            datafusion::logical_expr::cast(t, DataType::Utf8),
                        )
                        .gt(lit(0))
                    }
                }
            }
        })
    }
}
