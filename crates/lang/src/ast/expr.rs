//! Expressions for `eval` and `where`.

use super::{ColumnPath, Filter};
use crate::Span;

/// The condition of a `where` stage.
///
/// The body is read as a filter when the whole of it is valid filter syntax
/// (`where eventName: Get*`, `where @q.count > 100`); otherwise as an expression
/// (`where lower(userAgent) != "x"`).
#[derive(Clone, Debug, PartialEq)]
pub enum WhereCond {
    /// Filter syntax, evaluated on each row like the query's leading filter.
    Filter(Filter),
    /// A boolean expression over the row's columns.
    Expr(Expr),
}

/// A computed value.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// The shape of the expression.
    pub kind: ExprKind,
    /// Its text (parentheses around it excluded).
    pub span: Span,
}

/// The forms an [`Expr`] takes.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A number literal (always finite, never negative: `-1` is `Neg(1)`).
    Number(f64),
    /// A string literal (`"…"` or `'…'`; `*` has no special meaning here).
    Str(String),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A column of the row.
    Column(ColumnPath),
    /// A prefix operator.
    Unary(UnaryOp, Box<Expr>),
    /// An infix operator.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// A function call.
    Call(Call),
}

/// A prefix operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `not x`
    Not,
    /// `-x`
    Neg,
}

/// An infix operator, from loosest to tightest binding:
/// `or` < `and` < (`not`) < comparisons < `+ -` < `* /`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `==` (also written `=`)
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl BinOp {
    /// The operator in canonical query text.
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    /// Binding strength: higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div => 6,
        }
    }
}

/// A call of a known function.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// Which function.
    pub func: Func,
    /// The arguments (arity checked by the parser).
    pub args: Vec<Expr>,
    /// The function name as written (e.g. `Math.Abs`).
    pub name_span: Span,
}

/// The functions `eval` and `where` know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    /// `if(cond, then, else)`
    If,
    /// `coalesce(a, b, …)`: the first non-null argument.
    Coalesce,
    /// `lower(s)`
    Lower,
    /// `upper(s)`
    Upper,
    /// `len(s)`: length in characters.
    Len,
    /// `concat(a, b, …)`
    Concat,
    /// `math.abs(x)`
    Abs,
    /// `math.round(x[, digits])`
    Round,
    /// `contains(s, t)`: whether `s` holds the substring `t`.
    Contains,
    /// `isnull(x)`: whether `x` is null (an absent path, a JSON null, a failed cast).
    IsNull,
    /// `isnotnull(x)`: whether `x` has a value.
    IsNotNull,
}

impl Func {
    /// Every function, for lookups and suggestions.
    pub const ALL: [Func; 11] = [
        Func::If,
        Func::Coalesce,
        Func::Lower,
        Func::Upper,
        Func::Len,
        Func::Concat,
        Func::Abs,
        Func::Round,
        Func::Contains,
        Func::IsNull,
        Func::IsNotNull,
    ];

    /// The canonical (lower-case) name.
    pub fn name(self) -> &'static str {
        match self {
            Func::If => "if",
            Func::Coalesce => "coalesce",
            Func::Lower => "lower",
            Func::Upper => "upper",
            Func::Len => "len",
            Func::Concat => "concat",
            Func::Abs => "math.abs",
            Func::Round => "math.round",
            Func::Contains => "contains",
            Func::IsNull => "isnull",
            Func::IsNotNull => "isnotnull",
        }
    }

    /// The function named `name` (ASCII case-insensitive).
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// The allowed number of arguments, `(min, max)`; `max` is `None` when unbounded.
    pub fn arity(self) -> (usize, Option<usize>) {
        match self {
            Func::If => (3, Some(3)),
            Func::Coalesce | Func::Concat => (1, None),
            Func::Lower | Func::Upper | Func::Len | Func::Abs | Func::IsNull | Func::IsNotNull => {
                (1, Some(1))
            }
            Func::Round => (1, Some(2)),
            Func::Contains => (2, Some(2)),
        }
    }
}
