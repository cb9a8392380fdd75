//! Expressions for `eval` and `where`:
//! `or` < `and` < `not` < comparison < `+ -` < `* /` < unary `-` < atoms.

use super::lex::{self, PathMode};
use super::{PResult, Parser};
use crate::Span;
use crate::ast::{BinOp, Call, Expr, ExprKind, Func, UnaryOp};
use crate::error::ParseError;
use crate::suggest::did_you_mean;

/// Characters that continue a word in an expression (so `notes` is not `not es`).
fn is_expr_word_char(c: char) -> bool {
    crate::lexical::is_plain_key_char(c) || c == '.' || c == '`'
}

fn binary(op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
    Expr {
        span: lhs.span.to(rhs.span),
        kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
    }
}

impl<'a> Parser<'a> {
    fn expr_keyword(&mut self, kw: &str) -> bool {
        if self.peek_keyword_with(kw, |c| !is_expr_word_char(c)) {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    /// A full expression.
    pub(super) fn expr(&mut self) -> PResult<Expr> {
        self.skip_ws();
        let mut lhs = self.expr_and()?;
        loop {
            self.skip_ws();
            if !self.expr_keyword("or") {
                return Ok(lhs);
            }
            let rhs = self.expr_and()?;
            lhs = binary(BinOp::Or, lhs, rhs);
        }
    }

    fn expr_and(&mut self) -> PResult<Expr> {
        let mut lhs = self.expr_not()?;
        loop {
            self.skip_ws();
            if !self.expr_keyword("and") {
                return Ok(lhs);
            }
            let rhs = self.expr_not()?;
            lhs = binary(BinOp::And, lhs, rhs);
        }
    }

    fn expr_not(&mut self) -> PResult<Expr> {
        self.skip_ws();
        let start = self.pos;
        if self.expr_keyword("not") {
            let inner = self.nested(Span::new(start, self.pos), |p| p.expr_not())?;
            return Ok(Expr {
                span: Span::new(start, inner.span.end),
                kind: ExprKind::Unary(UnaryOp::Not, Box::new(inner)),
            });
        }
        self.expr_cmp()
    }

    fn cmp_op(&mut self) -> Option<BinOp> {
        self.skip_ws();
        let ops = [
            ("==", BinOp::Eq),
            ("!=", BinOp::Ne),
            ("<=", BinOp::Le),
            (">=", BinOp::Ge),
            ("<", BinOp::Lt),
            (">", BinOp::Gt),
            ("=", BinOp::Eq),
        ];
        ops.into_iter()
            .find(|(text, _)| self.eat_str(text))
            .map(|(_, op)| op)
    }

    fn expr_cmp(&mut self) -> PResult<Expr> {
        let lhs = self.expr_add()?;
        let Some(op) = self.cmp_op() else {
            return Ok(lhs);
        };
        let rhs = self.expr_add()?;
        let at = self.pos;
        if self.cmp_op().is_some() {
            return Err(
                ParseError::new(Span::new(at, self.pos), "comparisons cannot be chained")
                    .help("join two comparisons with `and`, e.g. `a < b and b < c`"),
            );
        }
        Ok(binary(op, lhs, rhs))
    }

    fn expr_add(&mut self) -> PResult<Expr> {
        let mut lhs = self.expr_mul()?;
        loop {
            self.skip_ws();
            let op = if self.eat('+') {
                BinOp::Add
            } else if self.eat('-') {
                BinOp::Sub
            } else {
                return Ok(lhs);
            };
            let rhs = self.expr_mul()?;
            lhs = binary(op, lhs, rhs);
        }
    }

    fn expr_mul(&mut self) -> PResult<Expr> {
        let mut lhs = self.expr_unary()?;
        loop {
            self.skip_ws();
            let op = if self.eat('*') {
                BinOp::Mul
            } else if self.eat('/') {
                BinOp::Div
            } else {
                return Ok(lhs);
            };
            let rhs = self.expr_unary()?;
            lhs = binary(op, lhs, rhs);
        }
    }

    fn expr_unary(&mut self) -> PResult<Expr> {
        self.skip_ws();
        let start = self.pos;
        if self.eat('-') {
            let inner = self.nested(Span::new(start, self.pos), |p| p.expr_unary())?;
            return Ok(Expr {
                span: Span::new(start, inner.span.end),
                kind: ExprKind::Unary(UnaryOp::Neg, Box::new(inner)),
            });
        }
        self.expr_atom()
    }

    fn expr_atom(&mut self) -> PResult<Expr> {
        self.skip_ws();
        let start = self.pos;
        let literal = |p: &Self, kind| {
            Ok(Expr {
                kind,
                span: Span::new(start, p.pos),
            })
        };
        match self.peek() {
            Some('(') => {
                self.pos += 1;
                let inner = self.nested(Span::new(start, start + 1), |p| p.expr())?;
                self.close_paren(start)?;
                Ok(inner)
            }
            Some('"' | '\'') => {
                // In expressions `*` is an ordinary character.
                let v = self.value()?;
                literal(self, ExprKind::Str(v.text()))
            }
            Some(c) if c.is_ascii_digit() => {
                let text = self.lex(lex::number).unwrap_or("0");
                match text.parse::<f64>() {
                    Ok(n) if n.is_finite() => literal(self, ExprKind::Number(n)),
                    _ => Err(ParseError::new(
                        Span::new(start, self.pos),
                        "number out of range",
                    )),
                }
            }
            Some(_) if self.expr_keyword("true") => literal(self, ExprKind::Bool(true)),
            Some(_) if self.expr_keyword("false") => literal(self, ExprKind::Bool(false)),
            Some(_) if self.expr_keyword("null") => literal(self, ExprKind::Null),
            Some(c) if c == '`' || crate::lexical::is_plain_key_char(c) => {
                if let Some(name) = self.lex(lex::dotted_word) {
                    let name_span = Span::new(start, self.pos);
                    self.skip_ws();
                    if self.peek() == Some('(') {
                        return self.call(name, name_span);
                    }
                    self.pos = start;
                }
                let path = self.column(PathMode::Expr)?;
                Ok(Expr {
                    span: path.span,
                    kind: ExprKind::Column(path),
                })
            }
            _ => {
                Err(self.unexpected(["a number", "a string", "a column", "a function call", "`(`"]))
            }
        }
    }

    fn call(&mut self, name: &str, name_span: Span) -> PResult<Expr> {
        let names: Vec<&str> = Func::ALL.iter().map(|f| f.name()).collect();
        let Some(func) = Func::from_name(name) else {
            let help = match did_you_mean(name, &names) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("known functions: {}", names.join(", ")),
            };
            return Err(
                ParseError::new(name_span, format!("unknown function `{name}`"))
                    .expected(["a function name"])
                    .help(help),
            );
        };
        let open = self.pos;
        self.eat('(');
        let mut args = Vec::new();
        self.skip_ws();
        if !self.eat(')') {
            loop {
                args.push(self.nested(Span::new(open, open + 1), |p| p.expr())?);
                self.skip_ws();
                if self.eat(',') {
                    continue;
                }
                self.close_paren(open)?;
                break;
            }
        }
        let span = Span::new(name_span.start, self.pos);
        let (min, max) = func.arity();
        if args.len() < min || max.is_some_and(|m| args.len() > m) {
            let want = match max {
                Some(m) if m == min => format!("{min}"),
                Some(m) => format!("{min} to {m}"),
                None => format!("at least {min}"),
            };
            return Err(ParseError::new(
                span,
                format!(
                    "`{}` takes {want} argument(s), got {}",
                    func.name(),
                    args.len()
                ),
            ));
        }
        Ok(Expr {
            kind: ExprKind::Call(Call {
                func,
                args,
                name_span,
            }),
            span,
        })
    }
}
