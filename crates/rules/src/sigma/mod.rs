//! Converting Sigma rules for AWS CloudTrail into trailhunt queries.
//!
//! [`convert`] reads one Sigma rule (YAML text) and returns the query and the
//! rule's metadata, or a [`SigmaError`] naming the construct it cannot express.
//! Sigma's field names for CloudTrail are the record's own paths
//! (`eventSource`, `userIdentity.type`, `requestParameters.bucketName`), so
//! fields pass through unchanged.
//!
//! # How Sigma maps onto the query language
//!
//! Sigma matches whole values, case-insensitively, with `*` wildcards; so does
//! `col = 'value'` (bare and `'…'` values compare ASCII case-insensitively with
//! `=`). So:
//!
//! | Sigma | query |
//! |---|---|
//! | `field: value` | `field = value` (bare when safe, else `'…'`) |
//! | `field: [a, b]` | `field = (a b)` |
//! | `field\|contains: v` | `field = '*v*'` (`startswith`: `'v*'`, `endswith`: `'*v'`) |
//! | `field\|contains\|all: [a, b]` | `field = '*a*' and field = '*b*'` |
//! | `field\|cased: v` | `field = "v"` (case-sensitive) |
//! | `field: null` | `not field: *` |
//! | `field\|exists: true` | `(field: * or field = null)` (present, be it null) |
//! | `field: '*'`, `field\|contains: '*'` (any value) | `field = '*'` (a value: an empty array or a null has none) |
//! | `field: 'a?c'` (one-character wildcard) | `field ~ "(?i)\Aa(?s:.)c\z"` |
//! | `field: 'Élan'` (a non-ASCII letter with a case) | `field ~ "(?i)\AÉlan\z"`: Sigma folds every letter, `=` only ASCII ones |
//! | `field\|gt: 5` (`lt`, `lte`, `gte`) | `field > 5` |
//! | `field\|cidr: 10.0.0.0/8` | `field = 10.*` (IPv4 /8–/32; several patterns when not octet-aligned) |
//! | `field\|re: '^(a\|b)$'` | `field = ("a" "b")`: literal alternatives with `^`/`$` anchors become value patterns (unanchored sides get `*`, case-sensitive unless `re\|i`) |
//! | `field\|re: '.+:assumed-role/aws:.+'` | `field ~ ".+:assumed-role/aws:.+"`: any other regex, in the regex crate's syntax, with `re\|i`, `re\|m`, `re\|s` as the inline flags `(?i)`, `(?m)`, `(?s)`; one that does not compile is refused |
//! | `a\|fieldref: b` | a `\| where coalesce(a == b, false)` stage (negated: `not coalesce(…)`): only where the selection is a top-level `and` term of the condition |
//! | keywords `- text` | `** = '*text*'` (anywhere in the event) |
//! | `1 of sel*`, `all of sel*`, `1 of them`, `all of them`, `and`, `or`, `not`, `( )` | the same in filter syntax |
//!
//! In Sigma values `*` and `?` are wildcards and `\*`, `\?` literal. Refused,
//! each naming the construct: correlations and aggregations (`count() by`,
//! `near`, `timeframe`, correlation rules), `N of` for N > 1, and the encoding
//! modifiers (`base64`, `windash`, `utf16le`, …).
//!
//! Every converted query is parsed back with [`trailhunt_lang::parse_query`] and
//! returned in canonical form.

mod condition;
mod detection;
mod patterns;

use std::fmt::{self, Display, Formatter};

use serde_norway::Value;
use trailhunt_lang::ast::Filter;

use crate::mitre::tactic_id;
use crate::rule::{Severity, scalar_text};
use condition::Cond;
use detection::{Node, join, negate};

/// A Sigma rule converted to a query, with its metadata.
///
/// The Detection Rule License asks that a converted rule keep its author and
/// references: both are here, and [`Converted::to_rule_yaml`] writes them out.
#[derive(Clone, Debug, PartialEq)]
pub struct Converted {
    /// The query, in canonical form.
    pub query_text: String,
    /// `title:`
    pub title: String,
    /// `id:`
    pub id: Option<String>,
    /// `description:`
    pub description: String,
    /// `author:`
    pub author: Option<String>,
    /// `references:`
    pub references: Vec<String>,
    /// `level:` as a severity (`informational` … `critical`).
    pub severity: Option<Severity>,
    /// `tags:` mapped to the MITRE tag scheme (`attack.t1562.008` →
    /// `techniques.t1562.008`, `attack.stealth` → `tactics.ta0005.stealth`,
    /// `attack.defense-impairment` → `tactics.ta0112.defense_impairment`,
    /// `attack.defense_evasion` → `tactics.ta0005.defense_evasion`); other tags
    /// are kept as written.
    pub tags: Vec<String>,
    /// `falsepositives:`
    pub falsepositives: Vec<String>,
    /// `status:` (`test`, `stable`, …).
    pub status: Option<String>,
}

impl Converted {
    /// The converted rule as a rule file (a saved query: no schedule keys, no
    /// tests), keeping the Sigma id, author, references and false positives.
    pub fn to_rule_yaml(&self) -> String {
        use serde_norway::Mapping;
        let mut m = Mapping::new();
        let mut put = |k: &str, v: Value| {
            m.insert(Value::String(k.to_string()), v);
        };
        let list =
            |items: &[String]| Value::Sequence(items.iter().cloned().map(Value::String).collect());
        put("name", Value::String(self.title.clone()));
        put("description", Value::String(self.description.clone()));
        put("enabled", Value::Bool(true));
        if let Some(s) = self.severity {
            put("severity", Value::String(s.as_str().to_string()));
        }
        put("query_text", Value::String(self.query_text.clone()));
        put("tags", list(&self.tags));
        put("references", list(&self.references));
        if let Some(a) = &self.author {
            put("author", Value::String(a.clone()));
        }
        if let Some(id) = &self.id {
            put("sigma_id", Value::String(id.clone()));
        }
        put("falsepositives", list(&self.falsepositives));
        let body = serde_norway::to_string(&Value::Mapping(m)).unwrap_or_default();
        format!(
            "# Converted from a SigmaHQ rule (Detection Rule License 1.1): author and references kept.\n{body}"
        )
    }
}

/// Why a Sigma rule cannot be converted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigmaError {
    /// The Sigma construct that has no equivalent (`re`, `count() by`, `near`,
    /// `fieldref`, `base64`, …), or `yaml` / `detection` / `condition` for a
    /// malformed rule.
    pub construct: String,
    /// What exactly, in one line.
    pub message: String,
}

impl SigmaError {
    pub(crate) fn new(construct: impl Into<String>, message: impl Into<String>) -> Self {
        SigmaError {
            construct: construct.into(),
            message: message.into(),
        }
    }
}

impl Display for SigmaError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "unsupported `{}`: {}", self.construct, self.message)
    }
}

impl std::error::Error for SigmaError {}

/// Maps one Sigma tag to the MITRE tag scheme of rule files.
pub fn map_tag(tag: &str) -> String {
    let Some(rest) = tag.strip_prefix("attack.") else {
        return tag.to_string();
    };
    let lower = rest.to_ascii_lowercase();
    if lower.starts_with('t')
        && lower[1..]
            .split('.')
            .all(|p| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty())
    {
        return format!("techniques.{lower}");
    }
    match tactic_id(&lower) {
        Some(id) => format!(
            "tactics.{}.{}",
            id.to_ascii_lowercase(),
            lower.replace('-', "_")
        ),
        None => tag.to_string(),
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Sequence(items)) => items.iter().filter_map(scalar_text).collect(),
        Some(v) => scalar_text(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// Converts one Sigma rule (YAML text).
///
/// ```
/// let c = trailhunt_rules::sigma::convert(r#"
/// title: CloudTrail stopped
/// author: someone
/// tags: [attack.defense_evasion, attack.t1562.008]
/// logsource: {product: aws, service: cloudtrail}
/// detection:
///     selection:
///         eventSource: cloudtrail.amazonaws.com
///         eventName: [StopLogging, DeleteTrail]
///     condition: selection
/// level: high
/// "#).unwrap();
/// assert_eq!(c.query_text, "eventSource = cloudtrail.amazonaws.com and eventName = (StopLogging DeleteTrail)");
/// assert_eq!(c.tags, ["tactics.ta0005.defense_evasion", "techniques.t1562.008"]);
/// ```
pub fn convert(yaml_text: &str) -> Result<Converted, SigmaError> {
    let mut docs = Vec::new();
    for doc in serde_norway::Deserializer::from_str(yaml_text) {
        let v: Value = serde::Deserialize::deserialize(doc)
            .map_err(|e| SigmaError::new("yaml", e.to_string()))?;
        docs.push(v);
    }
    if docs.len() != 1 {
        return Err(SigmaError::new(
            "rule collection",
            format!(
                "the file holds {} YAML documents; convert one rule at a time",
                docs.len()
            ),
        ));
    }
    let doc = docs.remove(0);
    let Some(map) = doc.as_mapping() else {
        return Err(SigmaError::new("yaml", "a Sigma rule is a YAML mapping"));
    };
    let get = |k: &str| map.get(k);
    if let Some(corr) = get("correlation") {
        let kind = corr.get("type").and_then(scalar_text).unwrap_or_default();
        return Err(SigmaError::new(
            "correlation",
            format!(
                "a correlation rule ({kind}) spans several events; write it with `| stats … | where …`"
            ),
        ));
    }
    let detection = get("detection")
        .and_then(Value::as_mapping)
        .ok_or_else(|| SigmaError::new("detection", "the rule has no `detection` map"))?;
    if detection.contains_key("timeframe") {
        return Err(SigmaError::new(
            "timeframe",
            "`timeframe` aggregates over a time window; use the rule's time_range_s with `| stats … | where …`",
        ));
    }
    let conditions = strings(detection.get("condition"));
    if conditions.is_empty() {
        return Err(SigmaError::new(
            "condition",
            "the detection has no `condition`",
        ));
    }
    let mut idents = Vec::new();
    for (k, v) in detection {
        let Some(k) = k.as_str() else { continue };
        if k != "condition" {
            idents.push((k.to_string(), detection::search(k, v)?));
        }
    }
    let mut nodes = Vec::new();
    for text in &conditions {
        nodes.push(resolve(&condition::parse(text)?, &idents)?);
    }
    let node = if nodes.len() == 1 {
        nodes.remove(0)
    } else {
        Node::Or(nodes)
    };
    let query_text = assemble(node)?;
    let level = get("level").and_then(scalar_text);
    Ok(Converted {
        query_text,
        title: get("title").and_then(scalar_text).unwrap_or_default(),
        id: get("id").and_then(scalar_text),
        description: get("description").and_then(scalar_text).unwrap_or_default(),
        author: get("author").and_then(scalar_text),
        references: strings(get("references")),
        severity: level.as_deref().and_then(Severity::parse),
        tags: strings(get("tags")).iter().map(|t| map_tag(t)).collect(),
        falsepositives: strings(get("falsepositives")),
        status: get("status").and_then(scalar_text),
    })
}

fn resolve(cond: &Cond, idents: &[(String, Node)]) -> Result<Node, SigmaError> {
    Ok(match cond {
        Cond::Ident(name) => idents
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, node)| node.clone())
            .ok_or_else(|| {
                SigmaError::new(
                    "condition",
                    format!("the condition names `{name}`, which the detection does not define"),
                )
            })?,
        Cond::Of { all, pattern } => {
            let them = pattern == "them";
            let picked: Vec<Node> = idents
                .iter()
                .filter(|(n, _)| {
                    if them {
                        !n.starts_with('_')
                    } else {
                        condition::matches_pattern(pattern, n)
                    }
                })
                .map(|(_, node)| node.clone())
                .collect();
            if picked.is_empty() {
                return Err(SigmaError::new(
                    "condition",
                    format!("`of {pattern}` matches no search identifier"),
                ));
            }
            if *all {
                Node::And(picked)
            } else {
                Node::Or(picked)
            }
        }
        Cond::And(items) => Node::And(
            items
                .iter()
                .map(|c| resolve(c, idents))
                .collect::<Result<_, _>>()?,
        ),
        Cond::Or(items) => Node::Or(
            items
                .iter()
                .map(|c| resolve(c, idents))
                .collect::<Result<_, _>>()?,
        ),
        Cond::Not(inner) => Node::Not(Box::new(resolve(inner, idents)?)),
    })
}

/// What a node holds: filters, expressions, or both.
fn contents(node: &Node) -> (bool, bool) {
    match node {
        Node::Filter(_) => (true, false),
        Node::Expr(_) => (false, true),
        Node::Not(inner) => contents(inner),
        Node::And(items) | Node::Or(items) => items
            .iter()
            .map(contents)
            .fold((false, false), |a, b| (a.0 || b.0, a.1 || b.1)),
    }
}

fn to_filter(node: Node) -> Filter {
    match node {
        Node::Filter(f) => f,
        Node::Expr(_) => unreachable!("checked by contents()"),
        Node::Not(inner) => negate(to_filter(*inner)),
        Node::And(items) => join(items.into_iter().map(to_filter).collect(), true),
        Node::Or(items) => join(items.into_iter().map(to_filter).collect(), false),
    }
}

fn to_expr(node: Node) -> String {
    let wrap = |n: Node| match n {
        Node::And(_) | Node::Or(_) => format!("({})", to_expr(n)),
        n => to_expr(n),
    };
    match node {
        Node::Expr(e) => e,
        Node::Filter(_) => unreachable!("checked by contents()"),
        Node::Not(inner) => format!("not {}", wrap(*inner)),
        Node::And(items) => items
            .into_iter()
            .map(wrap)
            .collect::<Vec<_>>()
            .join(" and "),
        Node::Or(items) => items.into_iter().map(wrap).collect::<Vec<_>>().join(" or "),
    }
}

fn flatten_and(node: Node, out: &mut Vec<Node>) {
    match node {
        Node::And(items) => items.into_iter().for_each(|n| flatten_and(n, out)),
        n => out.push(n),
    }
}

/// Splits the condition into a filter and `where` expressions (field
/// comparisons), then prints and re-parses the query.
fn assemble(node: Node) -> Result<String, SigmaError> {
    let mut terms = Vec::new();
    flatten_and(node, &mut terms);
    let mut filters = Vec::new();
    let mut exprs = Vec::new();
    for term in terms {
        match contents(&term) {
            (_, false) => filters.push(to_filter(term)),
            (false, true) => exprs.push(to_expr(term)),
            (true, true) => {
                return Err(SigmaError::new(
                    "fieldref",
                    "a field comparison (`fieldref`) mixed with other selections under `or`/`not` cannot be split into a filter and a `where` stage",
                ));
            }
        }
    }
    let mut text = if filters.is_empty() {
        "*".to_string()
    } else {
        join(filters, true).to_string()
    };
    if !exprs.is_empty() {
        text.push_str(" | where ");
        text.push_str(&exprs.join(" and "));
    }
    match trailhunt_lang::parse_query(&text) {
        Ok(q) => Ok(q.to_string()),
        Err(d) => Err(SigmaError::new(
            "internal",
            format!(
                "the converted query does not parse (a converter bug): {}",
                d.render(&text)
            ),
        )),
    }
}
