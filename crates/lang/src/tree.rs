//! A span-free S-expression rendering of the AST, for `explain` and the case tests.

use std::fmt::Write;

use crate::ast::*;

/// A node of the rendered tree: a leaf label, or `(label children…)`.
struct Node {
    label: String,
    children: Vec<Node>,
    leaf: bool,
}

fn leaf(label: impl Into<String>) -> Node {
    Node {
        label: label.into(),
        children: Vec::new(),
        leaf: true,
    }
}

fn node(label: impl Into<String>, children: Vec<Node>) -> Node {
    Node {
        label: label.into(),
        children,
        leaf: false,
    }
}

/// Lines wider than this break into one child per line.
const WIDTH: usize = 80;

impl Node {
    fn flat(&self, out: &mut String) {
        if self.leaf {
            out.push_str(&self.label);
            return;
        }
        out.push('(');
        out.push_str(&self.label);
        for child in &self.children {
            out.push(' ');
            child.flat(out);
        }
        out.push(')');
    }

    fn pretty(&self, indent: usize, out: &mut String) {
        let mut flat = String::new();
        self.flat(&mut flat);
        if self.leaf || indent + flat.len() <= WIDTH {
            let _ = write!(out, "{:indent$}{flat}", "");
            return;
        }
        let _ = write!(out, "{:indent$}({}", "", self.label);
        for child in &self.children {
            out.push('\n');
            child.pretty(indent + 2, out);
        }
        out.push(')');
    }
}

/// The query as an indented S-expression without spans.
pub fn query_tree(q: &Query) -> String {
    let mut children = vec![filter(&q.filter)];
    children.extend(q.stages.iter().map(|s| stage(&s.kind)));
    let mut out = String::new();
    node("query", children).pretty(0, &mut out);
    out
}

fn path(p: &ColumnPath) -> Node {
    leaf(p.to_string())
}

fn paths(label: &str, ps: &[ColumnPath]) -> Node {
    node(label, ps.iter().map(path).collect())
}

fn value(v: &Value) -> Node {
    let kind = match v.quote {
        Quote::Bare => "bare",
        Quote::Single => "sq",
        Quote::Double => "dq",
    };
    let mut children: Vec<Node> = v
        .parts
        .iter()
        .map(|p| match p {
            ValuePart::Text(t) => leaf(format!("{t:?}")),
            ValuePart::Wildcard => leaf("*"),
        })
        .collect();
    if let Some(n) = v.as_number() {
        children.push(leaf(format!("#{n}")));
    }
    if let Some(b) = v.as_bool() {
        children.push(leaf(format!("#{b}")));
    }
    node(kind, children)
}

fn filter(f: &Filter) -> Node {
    match &f.kind {
        FilterKind::MatchAll => leaf("all"),
        FilterKind::And(items) => node("and", items.iter().map(filter).collect()),
        FilterKind::Or(items) => node("or", items.iter().map(filter).collect()),
        FilterKind::Not(inner) => node("not", vec![filter(inner)]),
        FilterKind::Text(v) => node("text", vec![value(v)]),
        FilterKind::Field(field) => {
            let rhs = match &field.value {
                FieldValue::Value(v) => value(v),
                FieldValue::Exists(_) => leaf("exists"),
                FieldValue::Null(_) => leaf("null"),
                FieldValue::List(l) => node("any-of", l.values.iter().map(value).collect()),
                FieldValue::Group(g) => node("group", vec![group(g)]),
            };
            node(
                "field",
                vec![path(&field.path), leaf(field.op.as_str()), rhs],
            )
        }
    }
}

fn group(g: &ValueGroup) -> Node {
    match &g.kind {
        ValueGroupKind::And(items) => node("and", items.iter().map(group).collect()),
        ValueGroupKind::Or(items) => node("or", items.iter().map(group).collect()),
        ValueGroupKind::Not(inner) => node("not", vec![group(inner)]),
        ValueGroupKind::Value(v) => value(v),
    }
}

fn agg(a: &Agg) -> Node {
    let mut children = Vec::new();
    if let AggFunc::Percentile(p) = a.func {
        children.push(leaf(p.to_string()));
    }
    children.extend(a.args.iter().map(path));
    if let Some(alias) = &a.alias {
        children.push(leaf("as"));
        children.push(leaf(alias.to_string()));
    }
    node(a.func.name(), children)
}

fn stage(s: &StageKind) -> Node {
    match s {
        StageKind::Stats(st) => node(
            "stats",
            vec![
                node("aggs", st.aggs.iter().map(agg).collect()),
                paths("by", &st.by),
            ],
        ),
        StageKind::GroupByCount(cols) => paths("groupbycount", cols),
        StageKind::Count { by } => node("count", vec![paths("by", by)]),
        StageKind::CountDistinct(cols) => paths("countdistinct", cols),
        StageKind::Aggregate(a) => node("aggregate", vec![agg(a)]),
        StageKind::Rename(items) => node(
            "rename",
            items
                .iter()
                .map(|r| node("as", vec![path(&r.from), path(&r.to)]))
                .collect(),
        ),
        StageKind::Eval(items) => node(
            "eval",
            items
                .iter()
                .map(|a| node("=", vec![leaf(a.name.to_string()), expr(&a.expr)]))
                .collect(),
        ),
        StageKind::Where(WhereCond::Filter(f)) => node("where-filter", vec![filter(f)]),
        StageKind::Where(WhereCond::Expr(e)) => node("where-expr", vec![expr(e)]),
        StageKind::Table(cols) => paths("table", cols),
        StageKind::Head(n) => node("head", vec![leaf(n.to_string())]),
        StageKind::Tail(n) => node("tail", vec![leaf(n.to_string())]),
        StageKind::Sort(keys) => node(
            "sort",
            keys.iter()
                .map(|k| {
                    node(
                        if k.descending { "desc" } else { "asc" },
                        vec![path(&k.path)],
                    )
                })
                .collect(),
        ),
        StageKind::Dedup(cols) => paths("dedup", cols),
        StageKind::Top(t) | StageKind::Rare(t) => {
            let mut items = vec![path(&t.path), leaf(t.limit.to_string())];
            if !t.by.is_empty() {
                items.push(paths("by", &t.by));
            }
            node(s.name(), items)
        }
        StageKind::Timechart(t) => node(
            "timechart",
            vec![
                leaf(
                    t.bucket
                        .map_or("auto".into(), |b| format!("{}s", b.seconds)),
                ),
                node("aggs", t.aggs.iter().map(agg).collect()),
                paths("by", &t.by),
            ],
        ),
    }
}

fn expr(e: &Expr) -> Node {
    match &e.kind {
        ExprKind::Number(n) => leaf(n.to_string()),
        ExprKind::Str(s) => leaf(format!("{s:?}")),
        ExprKind::Bool(b) => leaf(b.to_string()),
        ExprKind::Null => leaf("null"),
        ExprKind::Column(p) => node("col", vec![path(p)]),
        ExprKind::Unary(UnaryOp::Not, inner) => node("not", vec![expr(inner)]),
        ExprKind::Unary(UnaryOp::Neg, inner) => node("neg", vec![expr(inner)]),
        ExprKind::Binary(op, l, r) => node(op.as_str(), vec![expr(l), expr(r)]),
        ExprKind::Call(c) => node(
            "call",
            std::iter::once(leaf(c.func.name()))
                .chain(c.args.iter().map(expr))
                .collect(),
        ),
    }
}
