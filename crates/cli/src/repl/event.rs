//! `\event N [PREFIX]`: one result row as its whole record, a `path  value` line per
//! leaf in document order, long values wrapped to the terminal.

use std::io::Write;

use anyhow::{Context, Result, bail};
use datafusion::arrow::array::RecordBatch;
use serde_json::Value as Json;
use tabled::grid::util::string::get_char_width;
use trailhunt_cloudtrail::schema::KV;
use trailhunt_engine::jsontree::Node;
use trailhunt_lang::Span;
use trailhunt_lang::ast::{ColumnPath, Segment};
use trailhunt_print::RowWriter;

/// One leaf of a record: its path as a query writes it, and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// `userIdentity.sessionContext.attributes.mfaAuthenticated`, `resources[0].ARN`.
    pub path: String,
    /// The value: strings as themselves, everything else as JSON.
    pub value: String,
}

/// The leaves of `node` in document order. Keys are written as the language reads them
/// (backticks around odd keys), so a path can be copied into a query. With
/// `columns_named`, the top-level keys are result column names (`@q.count`, `sum(x)`)
/// and are written as the table's header shows them.
pub fn leaves(node: &Node, columns_named: bool) -> Vec<Leaf> {
    let mut out = Vec::new();
    match node {
        Node::Object(members) if columns_named => {
            for (k, v) in members {
                walk(v, k.clone(), &mut Vec::new(), &mut out);
            }
        }
        _ => walk(node, String::new(), &mut Vec::new(), &mut out),
    }
    out
}

fn walk(node: &Node, head: String, segs: &mut Vec<Segment>, out: &mut Vec<Leaf>) {
    match node {
        Node::Leaf(v) => out.push(Leaf {
            path: path_text(&head, segs),
            value: value_text(v),
        }),
        Node::Object(members) if members.is_empty() => out.push(Leaf {
            path: path_text(&head, segs),
            value: "{}".into(),
        }),
        Node::Array(items) if items.is_empty() => out.push(Leaf {
            path: path_text(&head, segs),
            value: "[]".into(),
        }),
        Node::Object(members) => {
            for (k, v) in members {
                segs.push(Segment::Key(k.clone()));
                walk(v, head.clone(), segs, out);
                segs.pop();
            }
        }
        Node::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                segs.push(Segment::Index(i as u64));
                walk(v, head.clone(), segs, out);
                segs.pop();
            }
        }
    }
}

fn path_text(head: &str, segs: &[Segment]) -> String {
    if segs.is_empty() {
        return head.to_string();
    }
    let rest = ColumnPath {
        segments: segs.to_vec(),
        raw: String::new(),
        span: Span::default(),
    }
    .to_string();
    match (head.is_empty(), &segs[0]) {
        (true, _) => rest,
        (false, Segment::Index(_)) => format!("{head}{rest}"),
        (false, _) => format!("{head}.{rest}"),
    }
}

fn value_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// Whether `path` is `prefix` or lies under it (`prefix.…`, `prefix[…]`), ignoring
/// case and array positions (`resources.ARN` names `resources[0].ARN`).
pub fn under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('.').to_lowercase();
    [
        path.to_lowercase(),
        super::strip_indices(path).to_lowercase(),
    ]
    .iter()
    .any(|p| {
        p.strip_prefix(prefix.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    })
}

/// The leaves `prefix` selects: those under it, or else (for a part of a name, such as
/// `session`) those whose path contains it.
pub fn select<'a>(all: &'a [Leaf], prefix: &str) -> Vec<&'a Leaf> {
    let under: Vec<&Leaf> = all.iter().filter(|l| under(&l.path, prefix)).collect();
    if !under.is_empty() {
        return under;
    }
    let p = prefix.to_lowercase();
    all.iter()
        .filter(|l| l.path.to_lowercase().contains(&p))
        .collect()
}

/// The lines to print: the paths in one column, the values beside them, wrapped to
/// `width` (no wrapping without one). A path too long for its column has its value on
/// the lines below, indented like the others.
pub fn layout(leaves: &[&Leaf], width: Option<usize>) -> Vec<String> {
    let widest = leaves
        .iter()
        .map(|l| text_width(&l.path))
        .max()
        .unwrap_or(0);
    let cap = width.map_or(usize::MAX, |w| (w * 2 / 5).max(12));
    let column = widest.min(cap);
    let indent = column + 2;
    let room = width.map(|w| w.saturating_sub(indent).max(20));
    let mut out = Vec::new();
    for leaf in leaves {
        let pieces = wrap(&leaf.value, room);
        let pw = text_width(&leaf.path);
        let mut rest = pieces.iter();
        if pw > column {
            out.push(leaf.path.clone());
        } else {
            let first = rest.next().map_or("", String::as_str);
            let line = format!("{}{}{first}", leaf.path, " ".repeat(indent - pw));
            out.push(line.trim_end().to_string());
        }
        for piece in rest {
            out.push(
                format!("{}{piece}", " ".repeat(indent))
                    .trim_end()
                    .to_string(),
            );
        }
    }
    out
}

fn text_width(s: &str) -> usize {
    s.chars().map(get_char_width).sum()
}

/// `value` cut into lines of at most `room` columns: at its own line breaks, then at the
/// last space that leaves the line at least half full, else mid-word. Tabs become
/// spaces and other control characters their escapes, so nothing moves the cursor.
fn wrap(value: &str, room: Option<usize>) -> Vec<String> {
    let mut lines = Vec::new();
    for raw in value.split('\n') {
        let mut line = String::new();
        for c in raw.chars() {
            match c {
                '\t' => line.push(' '),
                '\r' => {}
                c if c.is_control() => line.extend(c.escape_default()),
                c => line.push(c),
            }
        }
        let Some(room) = room else {
            lines.push(line);
            continue;
        };
        let mut rest: &str = &line;
        loop {
            let mut w = 0;
            let mut cut = rest.len();
            for (i, c) in rest.char_indices() {
                w += get_char_width(c);
                if w > room {
                    cut = i;
                    break;
                }
            }
            if cut == rest.len() {
                lines.push(rest.to_string());
                break;
            }
            // Never an empty piece: a character wider than the room goes alone.
            let cut = if cut == 0 {
                rest.chars().next().map_or(rest.len(), char::len_utf8)
            } else {
                cut
            };
            let at = match rest[..cut].rfind(' ') {
                Some(s) if text_width(&rest[..s]) * 2 >= room => s + 1,
                _ => cut,
            };
            lines.push(rest[..at].trim_end().to_string());
            rest = &rest[at..];
            if rest.is_empty() {
                break;
            }
        }
    }
    lines
}

impl super::Session {
    /// `\event N [PREFIX]` and `\event N [PATH] --json`.
    pub(super) fn event(&self, args: &[&str], out: &mut dyn Write) -> Result<()> {
        const USAGE: &str = "usage: \\event N [PREFIX] or \\event N [PATH] --json (N: a row number of the last results)";
        let json = args.contains(&"--json");
        let words: Vec<&str> = args.iter().copied().filter(|a| *a != "--json").collect();
        if let Some(flag) = words.iter().find(|w| w.starts_with("--")) {
            bail!("unknown option `{flag}`; {USAGE}");
        }
        let (n, prefix) = match words[..] {
            [n] => (n, None),
            [n, p] => (n, Some(p)),
            _ => bail!("{USAGE}"),
        };
        let Some((_, o)) = &self.last else {
            bail!("no results yet: run a query, then \\event N shows its row N");
        };
        let total = o.rows();
        let Ok(row) = n.parse::<usize>() else {
            bail!("`{n}` is not a row number; {USAGE}");
        };
        if total == 0 {
            bail!("the last query returned no rows");
        }
        if row == 0 || row > total {
            bail!(
                "no row {row}: the last results have rows 1 to {total} (the # column of the table)"
            );
        }
        let (batch, i) = row_at(&o.batches, row - 1).context("the row is not in the results")?;
        let writer = RowWriter::new(self.engine.catalog());
        let node = writer.row(batch, i);
        let whole_events = o.schema.column_with_name(KV).is_some();
        let all = leaves(&node, !whole_events);
        if json {
            let node = match prefix {
                None => &node,
                Some(p) => find(&node, p, !whole_events).with_context(|| {
                    format!("row {row} has no path `{p}`; --json prints a whole record or one path of it (\\event {row} {p} lists the paths that match)")
                })?,
            };
            let text = serde_json::to_string_pretty(node)?;
            writeln!(out, "{text}")?;
            return Ok(());
        }
        let shown = match prefix {
            None => all.iter().collect(),
            Some(p) => select(&all, p),
        };
        if shown.is_empty() {
            let p = prefix.unwrap_or_default();
            bail!("row {row} has no path under `{p}`; \\event {row} lists them all");
        }
        for line in layout(&shown, self.screen.map(|(w, _)| w)) {
            writeln!(out, "{line}")?;
        }
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        match prefix {
            Some(p) => writeln!(
                out,
                "{} of {} values of row {row} match `{p}`",
                shown.len(),
                all.len()
            )?,
            None => writeln!(out, "{} value{} in row {row}", all.len(), plural(all.len()))?,
        }
        if !whole_events {
            writeln!(
                out,
                "(the last results are not whole events: run the query without its stages to read every value)"
            )?;
        }
        Ok(())
    }
}

/// Row `n` (from 0) of `batches`: its batch and its place in it.
fn row_at(batches: &[RecordBatch], mut n: usize) -> Option<(&RecordBatch, usize)> {
    for b in batches {
        if n < b.num_rows() {
            return Some((b, n));
        }
        n -= b.num_rows();
    }
    None
}

/// The node at the path a leaf list writes as `path` (case ignored), for `--json`.
fn find<'a>(node: &'a Node, path: &str, columns_named: bool) -> Option<&'a Node> {
    let want = path.trim_end_matches('.').to_lowercase();
    let mut found = None;
    visit(
        node,
        String::new(),
        &mut Vec::new(),
        columns_named,
        &mut |p, n| {
            if found.is_none() && p.to_lowercase() == want {
                found = Some(n);
            }
        },
    );
    found
}

/// Every node below `node` with its path, parents before children.
fn visit<'a>(
    node: &'a Node,
    head: String,
    segs: &mut Vec<Segment>,
    columns_named: bool,
    f: &mut dyn FnMut(String, &'a Node),
) {
    if !(head.is_empty() && segs.is_empty()) {
        f(path_text(&head, segs), node);
    }
    match node {
        Node::Object(members) if columns_named && head.is_empty() && segs.is_empty() => {
            for (k, v) in members {
                visit(v, k.clone(), segs, false, f);
            }
        }
        Node::Object(members) => {
            for (k, v) in members {
                segs.push(Segment::Key(k.clone()));
                visit(v, head.clone(), segs, false, f);
                segs.pop();
            }
        }
        Node::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                segs.push(Segment::Index(i as u64));
                visit(v, head.clone(), segs, false, f);
                segs.pop();
            }
        }
        Node::Leaf(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn o(members: Vec<(&str, Node)>) -> Node {
        Node::Object(
            members
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    fn a(items: Vec<Node>) -> Node {
        Node::Array(items)
    }

    fn v(v: Json) -> Node {
        Node::Leaf(v)
    }

    fn pairs(l: &[Leaf]) -> Vec<(&str, &str)> {
        l.iter()
            .map(|l| (l.path.as_str(), l.value.as_str()))
            .collect()
    }

    #[test]
    fn leaves_in_document_order() {
        let record = o(vec![
            ("eventName", v(json!("GetObject"))),
            (
                "userIdentity",
                o(vec![
                    ("type", v(json!("IAMUser"))),
                    ("sessionContext", o(vec![("mfa", v(json!(false)))])),
                ]),
            ),
            (
                "resources",
                a(vec![
                    o(vec![("ARN", v(json!("arn:1")))]),
                    o(vec![
                        ("ARN", v(json!("arn:2"))),
                        ("type", v(json!("AWS::S3::Object"))),
                    ]),
                ]),
            ),
            (
                "requestParameters",
                o(vec![
                    ("x-amz-acl", v(json!("private"))),
                    ("Host", v(json!("h"))),
                    ("tags", v(json!([]))),
                ]),
            ),
            (
                "additionalEventData",
                o(vec![("bytes", v(json!(1024))), ("empty", v(json!({})))]),
            ),
            ("errorCode", v(json!(null))),
        ]);
        assert_eq!(
            pairs(&leaves(&record, false)),
            [
                ("eventName", "GetObject"),
                ("userIdentity.type", "IAMUser"),
                ("userIdentity.sessionContext.mfa", "false"),
                ("resources[0].ARN", "arn:1"),
                ("resources[1].ARN", "arn:2"),
                ("resources[1].type", "AWS::S3::Object"),
                ("requestParameters.`x-amz-acl`", "private"),
                ("requestParameters.Host", "h"),
                ("requestParameters.tags", "[]"),
                ("additionalEventData.bytes", "1024"),
                ("additionalEventData.empty", "{}"),
                ("errorCode", "null"),
            ]
        );
    }

    #[test]
    fn result_columns_keep_their_names() {
        let row = o(vec![
            ("@q.count", v(json!(3))),
            ("sum(x)", v(json!(1.5))),
            ("obj", o(vec![("a", a(vec![v(json!(1))]))])),
        ]);
        assert_eq!(
            pairs(&leaves(&row, true)),
            [("@q.count", "3"), ("sum(x)", "1.5"), ("obj.a[0]", "1")]
        );
    }

    #[test]
    fn prefixes_select_paths_under_them() {
        assert!(under("requestParameters.bucketName", "requestParameters"));
        assert!(under("requestParameters.bucketName", "requestparameters."));
        assert!(under("resources[0].ARN", "resources.ARN"));
        assert!(under("resources[0].ARN", "resources[0]"));
        assert!(!under("requestParametersX", "requestParameters"));
        let all = leaves(
            &o(vec![(
                "userIdentity",
                o(vec![
                    ("sessionContext", o(vec![("a", v(json!(1)))])),
                    ("arn", v(json!("x"))),
                ]),
            )]),
            false,
        );
        assert_eq!(
            select(&all, "userIdentity.session")[0].path,
            "userIdentity.sessionContext.a"
        );
        assert!(select(&all, "nothing").is_empty());
    }

    #[test]
    fn layout_aligns_and_wraps() {
        let l = |p: &str, v: &str| Leaf {
            path: p.into(),
            value: v.into(),
        };
        let a = l("eventName", "GetObject");
        let b = l("ua", "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii");
        let c = l("requestParameters.aVeryLongKeyName", "v");
        // Width 40: the path column is 16 wide (2/5 of 40), values from column 18.
        let lines = layout(&[&a, &b, &c], Some(40));
        assert_eq!(
            lines,
            [
                "eventName         GetObject",
                "ua                aaaa bbbb cccc dddd",
                "                  eeee ffff gggg hhhh",
                "                  iiii",
                "requestParameters.aVeryLongKeyName",
                "                  v",
            ]
        );
        for line in &lines {
            assert!(line.chars().count() <= 40, "{line}");
        }
        // No width: one line per leaf, the column as wide as the widest path.
        assert_eq!(
            layout(&[&a, &b], None),
            [
                "eventName  GetObject",
                "ua         aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii"
            ]
        );
    }

    #[test]
    fn wrap_breaks_words_only_when_it_must() {
        assert_eq!(wrap("abcdefghij", Some(4)), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\tb\nc\u{7}", None), ["a b", "c\\u{7}"]);
        // A wide character never splits and never leaves an empty line.
        assert_eq!(wrap("日本語", Some(4)), ["日本", "語"]);
        assert_eq!(wrap("日", Some(1)), ["日"]);
    }
}
