//! What a one-shot query lets the loader leave out.
//!
//! A query run once over files (`trailhunt query`) need not load what it never reads:
//! nested values when it only reads typed columns and does not print events, windows when
//! it never names them, and files that cannot hold a match. Each hint is conservative:
//! when in doubt, load.

use trailhunt_cloudtrail::schema::{self, TYPED};

use crate::matcher::Matcher;
use trailhunt_lang::ast::{
    Agg, ColumnPath, Expr, ExprKind, FieldValue, Filter, FilterKind, Op, Query, Quote, StageKind,
    Value, ValuePart, WhereCond,
};

/// Loading hints for one query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadHints {
    /// The query reads nested values (or prints whole events): load them.
    pub needs_nested: bool,
    /// The query reads `window_id`/`window_index` (or prints whole events).
    pub needs_windows: bool,
    /// Text every matching record contains (ASCII case-insensitively).
    pub required_text: Vec<String>,
    /// Whole tokens (keys: ASCII letters lowercased) every matching record has in some
    /// value: the cache's token index skips blocks of rows missing one.
    pub required_tokens: Vec<String>,
    /// The query itself reads `window_id`/`window_index` (not only prints them).
    pub reads_windows: bool,
    /// The query names a wildcard path (`table requestParameters.*`): planning it needs
    /// the paths the data has.
    pub wildcards: bool,
    /// The query names a column path anywhere (typed, nested, derived or computed):
    /// without one its plan cannot depend on the paths the data has.
    pub names_paths: bool,
    /// Tests on typed string columns every matching event passes: the terms of the
    /// filter's top-level conjunction that compare a typed column with values.
    pub typed_tests: Vec<TypedTest>,
}

/// `column op values` from a query's filter, for the scan to drop what cannot match
/// (see [`trailhunt_cloudtrail::KeepIf`]): the same matchers the filter runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedTest {
    /// The typed column (index in [`TYPED`]).
    pub column: usize,
    /// Any of them accepts a matching value.
    pub matchers: std::sync::Arc<Vec<Matcher>>,
    /// The term as written.
    pub label: String,
}

impl LoadHints {
    /// The typed tests as the scan takes them.
    pub fn keep_if(&self) -> Vec<trailhunt_cloudtrail::KeepIf> {
        self.typed_tests
            .iter()
            .map(|t| {
                let m = t.matchers.clone();
                trailhunt_cloudtrail::KeepIf {
                    column: t.column,
                    test: std::sync::Arc::new(move |s: &str| m.iter().any(|m| m.is_match(s))),
                    label: t.label.clone(),
                }
            })
            .collect()
    }
}

/// Names that are plain columns (typed, derived or special), never nested values.
fn plain(name: &str, introduced: &[String]) -> bool {
    TYPED.iter().any(|(p, _)| p.join(".") == name)
        || introduced.iter().any(|n| n == name)
        || name.starts_with("@q.")
        || matches!(
            name,
            schema::TIMESTAMP
                | schema::ENTITY_ID
                | schema::ACCOUNT_ID
                | schema::SOURCE
                | "@scnr.datetime"
                | "@scnr.time_ns"
                | "@scnr.source_type"
                | "%ingest.source_type"
        )
}

fn is_window(name: &str) -> bool {
    name == schema::WINDOW_ID || name == schema::WINDOW_INDEX
}

#[derive(Default)]
struct Walk {
    paths: Vec<String>,
    text: bool,
    wildcard: bool,
}

impl Walk {
    fn path(&mut self, p: &ColumnPath) {
        self.wildcard |= p.has_wildcard();
        self.paths
            .push(p.dotted().unwrap_or_else(|| format!("{p}")));
    }

    fn filter(&mut self, f: &Filter) {
        match &f.kind {
            FilterKind::MatchAll => {}
            FilterKind::And(v) | FilterKind::Or(v) => v.iter().for_each(|x| self.filter(x)),
            FilterKind::Not(x) => self.filter(x),
            FilterKind::Text(_) => self.text = true,
            FilterKind::Field(ff) => self.path(&ff.path),
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Column(p) => self.path(p),
            ExprKind::Unary(_, x) => self.expr(x),
            ExprKind::Binary(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Call(c) => c.args.iter().for_each(|a| self.expr(a)),
            _ => {}
        }
    }

    fn aggs(&mut self, aggs: &[Agg]) {
        for a in aggs {
            a.args.iter().for_each(|p| self.path(p));
        }
    }
}

/// The hints for `query`.
pub fn hints(query: &Query) -> LoadHints {
    let mut w = Walk::default();
    let mut introduced: Vec<String> = Vec::new();
    let mut events_out = true;
    w.filter(&query.filter);
    for stage in &query.stages {
        match &stage.kind {
            StageKind::Stats(s) => {
                w.aggs(&s.aggs);
                s.by.iter().for_each(|p| w.path(p));
                introduced.extend(s.aggs.iter().map(Agg::output_name));
                events_out = false;
            }
            StageKind::GroupByCount(c)
            | StageKind::Count { by: c }
            | StageKind::CountDistinct(c) => {
                c.iter().for_each(|p| w.path(p));
                events_out = false;
            }
            StageKind::Aggregate(a) => {
                w.aggs(std::slice::from_ref(a));
                events_out = false;
            }
            StageKind::Rename(rs) => {
                for r in rs {
                    w.path(&r.from);
                    introduced.push(r.to.dotted().unwrap_or_else(|| format!("{}", r.to)));
                }
            }
            StageKind::Eval(asg) => {
                for a in asg {
                    w.expr(&a.expr);
                    introduced.push(a.name.name.clone());
                }
            }
            StageKind::Where(WhereCond::Filter(f)) => w.filter(f),
            StageKind::Where(WhereCond::Expr(e)) => w.expr(e),
            StageKind::Table(c) | StageKind::Dedup(c) => {
                c.iter().for_each(|p| w.path(p));
                if matches!(stage.kind, StageKind::Table(_)) {
                    events_out = false;
                }
            }
            StageKind::Sort(keys) => keys.iter().for_each(|k| w.path(&k.path)),
            StageKind::Top(t) | StageKind::Rare(t) => {
                w.path(&t.path);
                t.by.iter().for_each(|p| w.path(p));
                events_out = false;
            }
            StageKind::Timechart(t) => {
                w.aggs(&t.aggs);
                t.by.iter().for_each(|p| w.path(p));
                introduced.extend(t.aggs.iter().map(Agg::output_name));
                events_out = false;
            }
            StageKind::Head(_) | StageKind::Tail(_) => {}
        }
    }
    let all_plain = w
        .paths
        .iter()
        .all(|p| plain(p, &introduced) || is_window(p));
    LoadHints {
        needs_nested: events_out || w.text || !all_plain,
        needs_windows: events_out || w.paths.iter().any(|p| is_window(p)),
        reads_windows: w.paths.iter().any(|p| is_window(p)),
        wildcards: w.wildcard,
        names_paths: w.wildcard || !w.paths.is_empty(),
        required_text: required_text(&query.filter),
        required_tokens: required_tokens(&query.filter),
        typed_tests: typed_tests(&query.filter),
    }
}

/// The terms of `f`'s top-level conjunction (`f` itself when it is not one).
fn conjunction(f: &Filter) -> Vec<&Filter> {
    match &f.kind {
        FilterKind::And(v) => v.iter().collect(),
        _ => vec![f],
    }
}

/// The terms of `f`'s top-level conjunction that test a typed string column against
/// values (`eventName = GetObject`, `errorCode: (AccessDenied UnauthorizedOperation)`).
/// The filter matches such a column exactly as [`Matcher::is_match`] matches its text
/// (the match function's `Utf8` arm), so an event whose column fails every matcher
/// fails the term.
fn typed_tests(f: &Filter) -> Vec<TypedTest> {
    let mut out = Vec::new();
    for t in conjunction(f) {
        let FilterKind::Field(ff) = &t.kind else {
            continue;
        };
        let Some(name) = ff.path.dotted() else {
            continue;
        };
        let Some(column) = TYPED
            .iter()
            .position(|(p, k)| *k == schema::TypedKind::Str && p.join(".") == name)
        else {
            continue;
        };
        let values: Vec<&trailhunt_lang::ast::Value> = match &ff.value {
            FieldValue::Value(v) => vec![v],
            FieldValue::List(l) => l.values.iter().collect(),
            FieldValue::Exists(_) | FieldValue::Null(_) | FieldValue::Group(_) => continue,
        };
        out.push(TypedTest {
            column,
            matchers: std::sync::Arc::new(values.iter().map(|v| Matcher::new(ff.op, v)).collect()),
            label: ff.to_string(),
        });
    }
    out
}

/// Literals every event matching `f` contains in its JSON text: from the terms of its
/// top-level conjunction that are free text or `:`/`=` tests of a data path against one
/// value. Tokens (Unicode letters, digits and `_`, as the matcher reads them) are written
/// verbatim by every JSON writer short of `\u` escapes, and the loader never skips a file
/// holding one. ASCII letters are compared case-insensitively, others exactly, as the
/// matcher does.
fn required_text(f: &Filter) -> Vec<String> {
    let mut out = Vec::new();
    for (op, value) in required_values(f) {
        // `field=value` equals the whole value, which JSON writes verbatim unless it holds
        // a character JSON may escape: the whole value must be in the file.
        if op == Some(Op::Eq)
            && let [ValuePart::Text(text)] = value.parts.as_slice()
            && text.len() >= 3
            && !text.contains(|c: char| {
                matches!(c, '/' | '"' | '\\') || c.is_control() || !c.is_ascii()
            })
        {
            out.push(text.clone());
            continue;
        }
        for part in &value.parts {
            let ValuePart::Text(text) = part else {
                continue;
            };
            out.extend(
                text.split(|c: char| !crate::matcher::is_token_char(c))
                    .filter(|t| t.len() >= 3)
                    .map(str::to_string),
            );
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Whole tokens every record `f` matches holds in some value (typed or nested; never a
/// derived column): from the top-level conjunction's free text and `col: v` / `col = v`
/// terms. A token is whole when the value's text bounds it on both sides: a separator in
/// the text, or an edge of a token match (bare, `'…'`) or of an `=` value, not next to a
/// wildcard; an exact substring (`"…"` free text or `col: "…"`) may cut the tokens at its
/// ends. Numbers compare as numbers and require nothing.
fn required_tokens(f: &Filter) -> Vec<String> {
    let mut out = Vec::new();
    for (op, value) in required_values(f) {
        let edges = op == Some(Op::Eq) || value.quote != Quote::Double;
        whole_tokens(&value.parts, edges, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

/// The values of `f`'s top-level conjunction some value of every matching record holds:
/// free text (operator `None`) and `col: v` / `col = v` on a typed or nested path (not a
/// derived or special column, which the record's text does not hold as such; not a
/// number, which compares as a number).
fn required_values(f: &Filter) -> Vec<(Option<Op>, &Value)> {
    let mut out = Vec::new();
    for t in conjunction(f) {
        match &t.kind {
            FilterKind::Text(v) => out.push((None, v)),
            FilterKind::Field(ff) if matches!(ff.op, Op::Contains | Op::Eq) => {
                let name = ff.path.dotted().unwrap_or_default();
                if name.is_empty()
                    || plain(&name, &[]) && !TYPED.iter().any(|(p, _)| p.join(".") == name)
                {
                    continue;
                }
                if let FieldValue::Value(v) = &ff.value
                    && v.as_number().is_none()
                {
                    out.push((Some(ff.op), v));
                }
            }
            _ => {}
        }
    }
    out
}

/// The whole tokens of `parts` (see [`required_tokens`]); `edges`: the value's own ends
/// are token boundaries.
fn whole_tokens(parts: &[ValuePart], edges: bool, out: &mut Vec<String>) {
    let n = parts.len();
    for (i, part) in parts.iter().enumerate() {
        let ValuePart::Text(text) = part else {
            continue;
        };
        // Bounded on the left at the text's start: the value's start (a wildcard before
        // it cuts); on the right at its end likewise.
        let left_edge = i == 0 && edges;
        let right_edge = i + 1 == n && edges;
        let pieces: Vec<&str> = text
            .split(|c: char| !crate::matcher::is_token_char(c))
            .collect();
        let last = pieces.len() - 1;
        for (k, piece) in pieces.iter().enumerate() {
            if piece.is_empty() || (k == 0 && !left_edge) || (k == last && !right_edge) {
                continue;
            }
            out.push(trailhunt_cloudtrail::tokens::key(piece));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_tokens_are_whole_tokens() {
        let t = |q: &str| h(q).required_tokens;
        assert_eq!(t("Jenkins-Agent-7 | count"), ["7", "agent", "jenkins"]);
        assert_eq!(t("'two words' x | count"), ["two", "words", "x"]);
        // An exact substring may cut its first and last tokens.
        assert_eq!(
            t(r#""arn:aws:sts::7980:assumed-role/ci-7" | count"#),
            ["7980", "assumed", "aws", "ci", "role", "sts"]
        );
        assert_eq!(t(r#"userAgent: "Boto3/1.2 Python""#), ["1", "2"]);
        // `=` compares the whole value: its ends bound tokens, quoted or not.
        assert_eq!(
            t(r#"userAgent = "Boto3/1.2 Python""#),
            ["1", "2", "boto3", "python"]
        );
        // Wildcards cut the tokens next to them.
        assert_eq!(t("eventName = Get*Policy"), Vec::<String>::new());
        assert_eq!(t("eventName = Get-*-Policy"), ["get", "policy"]);
        assert_eq!(t("userAgent: *curl-x"), ["x"]);
        // Alternatives, negations, numbers, lists, regexes and derived columns: nothing.
        assert!(t("a or b").is_empty());
        assert!(t("not abc").is_empty());
        assert!(t("x = 12345").is_empty());
        assert!(t("eventName = (a b)").is_empty());
        assert!(t(r#"userAgent ~ "curl""#).is_empty());
        assert!(t("entity_id = abc").is_empty());
        assert_eq!(
            t("sourceIPAddress = 185.220.101.47"),
            ["101", "185", "220", "47"]
        );
    }

    fn h(q: &str) -> LoadHints {
        hints(&trailhunt_lang::parse_query(q).unwrap())
    }

    #[test]
    fn what_a_query_needs() {
        let g = h("* | stats count() by eventSource, eventName");
        assert!(!g.needs_nested && !g.needs_windows && g.required_text.is_empty());
        assert!(g.names_paths);
        assert!(!h("*").names_paths && !h("* | count").names_paths);
        assert!(!h("needle | head 3").names_paths);
        let n = h("sourceIPAddress=185.220.101.47 | count");
        assert!(!n.needs_nested);
        assert_eq!(n.required_text, vec!["185.220.101.47"]);
        let t = h("initech-payroll-exports | count");
        assert!(t.needs_nested);
        assert_eq!(t.required_text, vec!["exports", "initech", "payroll"]);
        assert!(
            h("eventName=GetObject").needs_nested,
            "events are printed whole"
        );
        assert!(h("* | stats count() by requestParameters.bucketName").needs_nested);
        assert!(h("* | groupbycount window_id").needs_windows);
        let r = h("* | rename userIdentity.userName as u | stats count() by u");
        assert!(!r.needs_nested);
        // Non-ASCII letters are token characters, as the matcher reads them.
        assert_eq!(h("안녕하세요 | count").required_text, vec!["안녕하세요"]);
        assert_eq!(h("café-crème | count").required_text, vec!["café", "crème"]);
        // Alternatives, negations, numbers and derived columns require nothing.
        assert!(h("a or b | count").required_text.is_empty());
        assert!(h("not abc | count").required_text.is_empty());
        assert!(h("x = 12345 | count").required_text.is_empty());
        assert!(
            h(r#"entity_id = "source_ip:1.2.3.4" | count"#)
                .required_text
                .is_empty()
        );
    }
}
