//! Span-insensitive comparison: zero every span so `==` compares shape only.

use super::*;

impl Query {
    /// A copy with every span set to `0..0` and every path's `raw` text replaced by
    /// its canonical form, so that `a.without_spans() == b.without_spans()` holds
    /// exactly when two queries mean the same thing as written.
    pub fn without_spans(&self) -> Query {
        let mut q = self.clone();
        q.strip();
        q
    }
}

/// Zeroes spans in place.
trait Strip {
    fn strip(&mut self);
}

impl<T: Strip> Strip for Vec<T> {
    fn strip(&mut self) {
        self.iter_mut().for_each(Strip::strip);
    }
}

impl<T: Strip> Strip for Option<T> {
    fn strip(&mut self) {
        if let Some(t) = self {
            t.strip();
        }
    }
}

impl<T: Strip> Strip for Box<T> {
    fn strip(&mut self) {
        (**self).strip();
    }
}

impl Strip for Span {
    fn strip(&mut self) {
        *self = Span::default();
    }
}

impl Strip for Query {
    fn strip(&mut self) {
        self.span.strip();
        self.filter.strip();
        self.stages.strip();
    }
}

impl Strip for Filter {
    fn strip(&mut self) {
        self.span.strip();
        match &mut self.kind {
            FilterKind::MatchAll => {}
            FilterKind::And(items) | FilterKind::Or(items) => items.strip(),
            FilterKind::Not(inner) => inner.strip(),
            FilterKind::Text(v) => v.strip(),
            FilterKind::Field(f) => {
                f.span.strip();
                f.path.strip();
                match &mut f.value {
                    FieldValue::Value(v) => v.strip(),
                    FieldValue::Exists(s) | FieldValue::Null(s) => s.strip(),
                    FieldValue::List(l) => {
                        l.span.strip();
                        l.values.strip();
                    }
                    FieldValue::Group(g) => g.strip(),
                }
            }
        }
    }
}

impl Strip for ValueGroup {
    fn strip(&mut self) {
        self.span.strip();
        match &mut self.kind {
            ValueGroupKind::And(items) | ValueGroupKind::Or(items) => items.strip(),
            ValueGroupKind::Not(inner) => inner.strip(),
            ValueGroupKind::Value(v) => v.strip(),
        }
    }
}

impl Strip for Value {
    fn strip(&mut self) {
        self.span.strip();
    }
}

impl Strip for ColumnPath {
    fn strip(&mut self) {
        self.span.strip();
        self.raw = self.to_string();
    }
}

impl Strip for Ident {
    fn strip(&mut self) {
        self.span.strip();
    }
}

impl Strip for Stage {
    fn strip(&mut self) {
        self.span.strip();
        match &mut self.kind {
            StageKind::Stats(s) => {
                s.span.strip();
                s.aggs.strip();
                s.by.strip();
            }
            StageKind::GroupByCount(cols)
            | StageKind::Count { by: cols }
            | StageKind::CountDistinct(cols)
            | StageKind::Table(cols)
            | StageKind::Dedup(cols) => cols.strip(),
            StageKind::Aggregate(agg) => agg.strip(),
            StageKind::Rename(items) => {
                for r in items {
                    r.span.strip();
                    r.from.strip();
                    r.to.strip();
                }
            }
            StageKind::Eval(items) => {
                for a in items {
                    a.span.strip();
                    a.name.strip();
                    a.expr.strip();
                }
            }
            StageKind::Where(WhereCond::Filter(f)) => f.strip(),
            StageKind::Where(WhereCond::Expr(e)) => e.strip(),
            StageKind::Head(_) | StageKind::Tail(_) => {}
            StageKind::Sort(keys) => {
                for k in keys {
                    k.span.strip();
                    k.path.strip();
                }
            }
            StageKind::Top(t) | StageKind::Rare(t) => {
                t.span.strip();
                t.path.strip();
                t.by.strip();
            }
            StageKind::Timechart(t) => {
                t.span.strip();
                if let Some(b) = &mut t.bucket {
                    b.span.strip();
                }
                t.aggs.strip();
                t.by.strip();
            }
        }
    }
}

impl Strip for Agg {
    fn strip(&mut self) {
        self.span.strip();
        self.args.strip();
        self.alias.strip();
    }
}

impl Strip for Expr {
    fn strip(&mut self) {
        self.span.strip();
        match &mut self.kind {
            ExprKind::Number(_) | ExprKind::Str(_) | ExprKind::Bool(_) | ExprKind::Null => {}
            ExprKind::Column(p) => p.strip(),
            ExprKind::Unary(_, e) => e.strip(),
            ExprKind::Binary(_, l, r) => {
                l.strip();
                r.strip();
            }
            ExprKind::Call(c) => {
                c.name_span.strip();
                c.args.strip();
            }
        }
    }
}
