//! What a rule found: [`Hit`]s and the entities behind them.

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use trailhunt_cloudtrail::time::format_rfc3339;
use trailhunt_rules::{Rule, Severity};

/// A MITRE tactic or technique a rule is tagged with.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TagRef {
    /// `TA0005`, `T1562.008`.
    pub id: String,
    /// `defense_evasion`, `disable_cloud_logs`.
    pub name: String,
}

/// One entity behind a hit: the events of it that matched the rule's filter in the
/// hit's time window (restricted as described on [`crate::Detector`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntityHit {
    /// The entity (`entity_id`: usually `userIdentity.arn`).
    pub entity_id: String,
    /// Its windows (`window_id`) holding those events, in time order.
    pub window_ids: Vec<String>,
    /// How many of its events.
    pub events: u64,
    /// Time of the first of them (Unix ns; RFC 3339 in JSON).
    #[serde(serialize_with = "rfc3339")]
    pub first: i64,
    /// Time of the last of them.
    #[serde(serialize_with = "rfc3339")]
    pub last: i64,
}

/// A rule that fired: one run, or several overlapping scheduled runs merged.
#[derive(Clone, Debug, Serialize)]
pub struct Hit {
    /// The rule's name.
    pub rule: String,
    /// The rule's file.
    pub path: String,
    /// The rule's severity.
    #[serde(serialize_with = "severity")]
    pub severity: Option<Severity>,
    /// MITRE tactics from the rule's tags.
    pub tactics: Vec<TagRef>,
    /// MITRE techniques from the rule's tags.
    pub techniques: Vec<TagRef>,
    /// Start of the time window (inclusive; Unix ns, RFC 3339 in JSON).
    #[serde(serialize_with = "rfc3339")]
    pub from: i64,
    /// End of the time window (exclusive).
    #[serde(serialize_with = "rfc3339")]
    pub to: i64,
    /// How many scheduled runs fired inside this hit (1 for `--whole-span`).
    pub runs: usize,
    /// Whether this is the single run over the whole span of the data.
    pub whole_span: bool,
    /// The entities involved, most events first.
    pub entities: Vec<EntityHit>,
    /// Rows the query returned (summed over the merged runs; distinct rows only).
    pub row_count: usize,
    /// The output columns.
    pub columns: Vec<String>,
    /// The first rows, as JSON objects.
    pub sample: Vec<Box<RawValue>>,
}

impl Hit {
    /// An empty hit of `rule` over `[from, to)`, to be filled in.
    pub(crate) fn new(rule: &Rule, from: i64, to: i64) -> Hit {
        Hit {
            rule: rule.name.clone(),
            path: rule.path.display().to_string(),
            severity: rule.severity,
            tactics: rule
                .mitre
                .tactics
                .iter()
                .map(|t| TagRef {
                    id: t.id.clone(),
                    name: t.name.clone(),
                })
                .collect(),
            techniques: rule
                .mitre
                .techniques
                .iter()
                .map(|t| TagRef {
                    id: t.id.clone(),
                    name: t.name.clone(),
                })
                .collect(),
            from,
            to,
            runs: 0,
            whole_span: false,
            entities: Vec::new(),
            row_count: 0,
            columns: Vec::new(),
            sample: Vec::new(),
        }
    }
}

/// Serializes Unix nanoseconds as RFC 3339.
pub(crate) fn rfc3339<S: Serializer>(ns: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_rfc3339(*ns))
}

fn severity<S: Serializer>(v: &Option<Severity>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(v.as_str()),
        None => s.serialize_none(),
    }
}

/// Serializes an optional severity by name (for other modules).
pub(crate) fn severity_opt<S: Serializer>(v: &Option<Severity>, s: S) -> Result<S::Ok, S::Error> {
    severity(v, s)
}
