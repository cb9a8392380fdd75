//! Canonical query text: every AST type prints back as a query that parses to the
//! same AST (spans aside).

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::*;
use crate::lexical::{is_bare_reserved, needs_backticks};

fn write_backticked(f: &mut Formatter<'_>, name: &str) -> fmt::Result {
    f.write_char('`')?;
    for c in name.chars() {
        match c {
            '`' | '\\' => write!(f, "\\{c}")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            _ => f.write_char(c)?,
        }
    }
    f.write_char('`')
}

impl Display for ColumnPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.segments.iter().enumerate() {
            if i > 0 && !matches!(seg, Segment::Index(_)) {
                f.write_char('.')?;
            }
            match seg {
                Segment::Key(k) if needs_backticks(k, &[]) => write_backticked(f, k)?,
                Segment::Key(k) | Segment::Pattern(k) => f.write_str(k)?,
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::AnyKey => f.write_char('*')?,
                Segment::AnyDepth => f.write_str("**")?,
            }
        }
        Ok(())
    }
}

impl Display for Ident {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if needs_backticks(&self.name, &['.']) {
            write_backticked(f, &self.name)
        } else {
            f.write_str(&self.name)
        }
    }
}

impl Display for Value {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let quote = match self.quote {
            Quote::Bare => None,
            Quote::Single => Some('\''),
            Quote::Double => Some('"'),
        };
        if let Some(q) = quote {
            f.write_char(q)?;
        }
        for part in &self.parts {
            let text = match part {
                ValuePart::Wildcard => {
                    f.write_char('*')?;
                    continue;
                }
                ValuePart::Text(t) => t,
            };
            for c in text.chars() {
                match c {
                    '\n' => f.write_str("\\n")?,
                    '\t' => f.write_str("\\t")?,
                    '\r' => f.write_str("\\r")?,
                    '\\' | '*' => write!(f, "\\{c}")?,
                    c if quote == Some(c) => write!(f, "\\{c}")?,
                    c if quote.is_none() && is_bare_reserved(c) => write!(f, "\\{c}")?,
                    c => f.write_char(c)?,
                }
            }
        }
        if let Some(q) = quote {
            f.write_char(q)?;
        }
        Ok(())
    }
}

fn write_list<T: Display>(f: &mut Formatter<'_>, items: &[T], sep: &str) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.filter)?;
        for stage in &self.stages {
            write!(f, " | {stage}")?;
        }
        Ok(())
    }
}

impl Display for Filter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let nested = |f: &mut Formatter<'_>, child: &Filter| match child.kind {
            FilterKind::And(_) | FilterKind::Or(_) => write!(f, "({child})"),
            _ => write!(f, "{child}"),
        };
        match &self.kind {
            FilterKind::MatchAll => f.write_char('*'),
            FilterKind::And(items) | FilterKind::Or(items) => {
                let sep = if matches!(self.kind, FilterKind::And(_)) {
                    " and "
                } else {
                    " or "
                };
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    nested(f, item)?;
                }
                Ok(())
            }
            FilterKind::Not(inner) => {
                f.write_str("not ")?;
                nested(f, inner)
            }
            FilterKind::Text(v) => write!(f, "{v}"),
            FilterKind::Field(field) => write!(f, "{field}"),
        }
    }
}

impl Display for FieldFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.op {
            Op::Contains => write!(f, "{}: ", self.path)?,
            op => write!(f, "{} {} ", self.path, op.as_str())?,
        }
        if let (Op::Regex, FieldValue::Value(v)) = (self.op, &self.value) {
            // The pattern as written: only the quote character is escaped.
            return write!(f, "\"{}\"", v.text().replace('"', "\\\""));
        }
        match &self.value {
            FieldValue::Value(v) => write!(f, "{v}"),
            FieldValue::Exists(_) => f.write_char('*'),
            FieldValue::Null(_) => f.write_str("null"),
            FieldValue::List(list) => {
                f.write_char('(')?;
                write_list(f, &list.values, " ")?;
                f.write_char(')')
            }
            FieldValue::Group(g) => write!(f, "({g})"),
        }
    }
}

impl Display for ValueGroup {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let nested = |f: &mut Formatter<'_>, child: &ValueGroup| match child.kind {
            ValueGroupKind::And(_) | ValueGroupKind::Or(_) => write!(f, "({child})"),
            _ => write!(f, "{child}"),
        };
        match &self.kind {
            ValueGroupKind::And(items) | ValueGroupKind::Or(items) => {
                let sep = if matches!(self.kind, ValueGroupKind::And(_)) {
                    " and "
                } else {
                    " or "
                };
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    nested(f, item)?;
                }
                Ok(())
            }
            ValueGroupKind::Not(inner) => {
                f.write_str("not ")?;
                nested(f, inner)
            }
            ValueGroupKind::Value(v) => write!(f, "{v}"),
        }
    }
}

impl Display for Agg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.call_text())?;
        if let Some(alias) = &self.alias {
            write!(f, " as {alias}")?;
        }
        Ok(())
    }
}

impl Display for Duration {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (unit, secs) in [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)] {
            if self.seconds >= secs && self.seconds.is_multiple_of(secs) {
                return write!(f, "{}{unit}", self.seconds / secs);
            }
        }
        write!(f, "{}s", self.seconds)
    }
}

fn write_by(f: &mut Formatter<'_>, by: &[ColumnPath]) -> fmt::Result {
    if !by.is_empty() {
        f.write_str(" by ")?;
        write_list(f, by, ", ")?;
    }
    Ok(())
}

impl Display for Stage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)
    }
}

impl Display for StageKind {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            StageKind::Stats(stats) => {
                f.write_str("stats")?;
                if !stats.aggs.is_empty() {
                    f.write_char(' ')?;
                    write_list(f, &stats.aggs, ", ")?;
                }
                write_by(f, &stats.by)
            }
            StageKind::GroupByCount(cols) => {
                f.write_str("groupbycount ")?;
                write_list(f, cols, ", ")
            }
            StageKind::Count { by } => {
                f.write_str("count")?;
                write_by(f, by)
            }
            StageKind::CountDistinct(cols) => {
                f.write_str("countdistinct(")?;
                write_list(f, cols, ", ")?;
                f.write_char(')')
            }
            StageKind::Aggregate(agg) => write!(f, "{agg}"),
            StageKind::Rename(items) => {
                f.write_str("rename ")?;
                for (i, r) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{} as {}", r.from, r.to)?;
                }
                Ok(())
            }
            StageKind::Eval(items) => {
                f.write_str("eval ")?;
                for (i, a) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{} = {}", a.name, a.expr)?;
                }
                Ok(())
            }
            StageKind::Where(WhereCond::Filter(filter)) => write!(f, "where {filter}"),
            StageKind::Where(WhereCond::Expr(expr)) => write!(f, "where {expr}"),
            StageKind::Table(cols) => {
                f.write_str("table ")?;
                write_list(f, cols, ", ")
            }
            StageKind::Head(n) => write!(f, "head {n}"),
            StageKind::Tail(n) => write!(f, "tail {n}"),
            StageKind::Sort(keys) => {
                f.write_str("sort ")?;
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    let sign = if k.descending { "-" } else { "" };
                    write!(f, "{sign}{}", k.path)?;
                }
                Ok(())
            }
            StageKind::Dedup(cols) => {
                f.write_str("dedup ")?;
                write_list(f, cols, ", ")
            }
            StageKind::Top(t) | StageKind::Rare(t) => {
                write!(f, "{} {} {}", self.name(), t.path, t.limit)?;
                if !t.by.is_empty() {
                    f.write_str(" by ")?;
                    write_list(f, &t.by, ", ")?;
                }
                Ok(())
            }
            StageKind::Timechart(t) => {
                f.write_str("timechart")?;
                if let Some(b) = &t.bucket {
                    write!(f, " span={b}")?;
                }
                if !t.aggs.is_empty() {
                    f.write_char(' ')?;
                    write_list(f, &t.aggs, ", ")?;
                }
                write_by(f, &t.by)
            }
        }
    }
}

/// Binding strength of an expression node (higher binds tighter).
fn expr_prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(op, _, _) => op.precedence(),
        ExprKind::Unary(UnaryOp::Not, _) => 3,
        ExprKind::Unary(UnaryOp::Neg, _) => 7,
        _ => 8,
    }
}

fn write_operand(f: &mut Formatter<'_>, e: &Expr, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Number(n) => write!(f, "{n}"),
            ExprKind::Str(s) => {
                f.write_char('"')?;
                for c in s.chars() {
                    match c {
                        '"' | '\\' => write!(f, "\\{c}")?,
                        '\n' => f.write_str("\\n")?,
                        '\t' => f.write_str("\\t")?,
                        '\r' => f.write_str("\\r")?,
                        c => f.write_char(c)?,
                    }
                }
                f.write_char('"')
            }
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Null => f.write_str("null"),
            ExprKind::Column(p) => write!(f, "{p}"),
            ExprKind::Unary(UnaryOp::Not, inner) => {
                f.write_str("not ")?;
                write_operand(f, inner, expr_prec(inner) < 3)
            }
            ExprKind::Unary(UnaryOp::Neg, inner) => {
                f.write_char('-')?;
                write_operand(f, inner, expr_prec(inner) < 8)
            }
            ExprKind::Binary(op, lhs, rhs) => {
                let p = op.precedence();
                // Comparisons do not chain, so an equal-precedence left side needs parens too.
                let left_parens = expr_prec(lhs) < p || (p == 4 && expr_prec(lhs) == 4);
                write_operand(f, lhs, left_parens)?;
                write!(f, " {} ", op.as_str())?;
                write_operand(f, rhs, expr_prec(rhs) <= p)
            }
            ExprKind::Call(call) => {
                write!(f, "{}(", call.func.name())?;
                write_list(f, &call.args, ", ")?;
                f.write_char(')')
            }
        }
    }
}

impl Display for WhereCond {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            WhereCond::Filter(filter) => write!(f, "{filter}"),
            WhereCond::Expr(expr) => write!(f, "{expr}"),
        }
    }
}
