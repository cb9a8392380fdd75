//! The rule file format (Scanner's detection-rule YAML) and reading it.

use std::collections::BTreeMap;
use std::fmt::{self, Display, Formatter};
use std::path::{Path, PathBuf};

use serde_norway::{Mapping, Value};

use crate::layout::Layout;
use crate::mitre::Mitre;
use crate::problem::RuleProblem;

/// `severity:` of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Informational
    Informational,
    /// Low
    Low,
    /// Medium
    Medium,
    /// High
    High,
    /// Critical
    Critical,
    /// Fatal
    Fatal,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 6] = [
        Severity::Informational,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
        Severity::Fatal,
    ];

    /// The name as written in rule files (`Medium`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "Informational",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
            Severity::Critical => "Critical",
            Severity::Fatal => "Fatal",
        }
    }

    /// Parses a severity name, ASCII case-insensitively (`"info"` is accepted too).
    pub fn parse(text: &str) -> Option<Severity> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("info") {
            return Some(Severity::Informational);
        }
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
    }
}

impl Display for Severity {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `enabled:` of a rule: a boolean or one of Scanner's states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Enabled {
    /// `true` / `false`.
    Bool(bool),
    /// `Active`: runs and alerts.
    Active,
    /// `Staging`: runs, but its hits are not alerts yet.
    Staging,
    /// `Paused`: does not run.
    Paused,
}

impl Enabled {
    /// Whether the rule runs (`true`, `Active`, `Staging`).
    pub fn runs(self) -> bool {
        matches!(
            self,
            Enabled::Bool(true) | Enabled::Active | Enabled::Staging
        )
    }

    /// Whether hits are alerts (`true`, `Active`).
    pub fn alerts(self) -> bool {
        matches!(self, Enabled::Bool(true) | Enabled::Active)
    }

    /// Parses `Active` / `Staging` / `Paused` / `true` / `false` (any case).
    pub fn parse(text: &str) -> Option<Enabled> {
        match text.trim().to_ascii_lowercase().as_str() {
            "true" => Some(Enabled::Bool(true)),
            "false" => Some(Enabled::Bool(false)),
            "active" => Some(Enabled::Active),
            "staging" => Some(Enabled::Staging),
            "paused" => Some(Enabled::Paused),
            _ => None,
        }
    }
}

/// One embedded test of a rule (`tests:` item).
#[derive(Clone, Debug, PartialEq)]
pub struct RuleTest {
    /// `name:` (empty when missing).
    pub name: String,
    /// `now_timestamp:` as written (RFC 3339).
    pub now_timestamp: Option<String>,
    /// `now_timestamp` as Unix nanoseconds, when it parsed.
    pub now_ns: Option<i64>,
    /// `dataset_inline:` NDJSON CloudTrail records.
    pub dataset_inline: String,
    /// `expected_detection_result:`; `None` when missing (a lint error).
    pub expected_detection_result: Option<bool>,
    /// One-based line of the test's item in the file, when known.
    pub line: Option<usize>,
    /// Other keys of the test, kept and ignored.
    pub extra: BTreeMap<String, Value>,
}

/// A detection rule or saved query read from one YAML file.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// `name:` (empty when missing: a lint error).
    pub name: String,
    /// `description:` (empty when missing).
    pub description: String,
    /// `enabled:`; `None` when missing or not understood.
    pub enabled: Option<Enabled>,
    /// `severity:`; `None` when missing or not understood.
    pub severity: Option<Severity>,
    /// `query_text:` (empty when missing: a lint error).
    pub query_text: String,
    /// `time_range_s:` — how far back the query looks, in seconds.
    pub time_range_s: Option<u64>,
    /// `run_frequency_s:` — seconds between scheduled runs.
    pub run_frequency_s: Option<u64>,
    /// `tags:` as written.
    pub tags: Vec<String>,
    /// The MITRE tactics and techniques among `tags`.
    pub mitre: Mitre,
    /// `tests:`.
    pub tests: Vec<RuleTest>,
    /// `references:` (a list, or one string).
    pub references: Vec<String>,
    /// `author:`.
    pub author: Option<String>,
    /// The file the rule came from.
    pub path: PathBuf,
    /// One-based line of each top-level key in the file.
    pub key_lines: BTreeMap<String, usize>,
    /// Every other top-level key, kept and ignored (alert templates, sinks, …).
    pub extra: BTreeMap<String, Value>,
    /// Problems noticed while reading fields (wrong types, unknown severity, …);
    /// [`crate::lint`] reports them with its own findings.
    pub problems: Vec<RuleProblem>,
    pub(crate) layout: Layout,
}

impl Rule {
    /// A saved query: a rule file without the schedule keys.
    pub fn is_saved_query(&self) -> bool {
        self.time_range_s.is_none() && self.run_frequency_s.is_none()
    }

    /// The one-based line of a top-level key.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        self.key_lines.get(key).copied()
    }

    /// Maps a byte offset in [`Rule::query_text`] to a one-based (line, column) in
    /// the file. Exact for `|` / `|-` block scalars and one-line values; for folded
    /// or multi-line flow scalars the line is the best guess and the column `None`.
    pub fn query_position(&self, offset: usize) -> Option<(usize, Option<usize>)> {
        self.layout.query_position(&self.query_text, offset)
    }
}

/// Parses one rule file's text; `path` is recorded in the rule and its problems.
///
/// A YAML syntax error, or a document that is not a mapping, is an `Err` naming
/// file and line. Everything else (wrong types, unknown values) becomes
/// [`Rule::problems`], so one bad field never hides the rest of the rule.
pub fn parse_rule(text: &str, path: impl AsRef<Path>) -> Result<Rule, RuleProblem> {
    let path = path.as_ref();
    let doc: Value = serde_norway::from_str(text).map_err(|e| {
        let loc = e.location();
        let message = format!("invalid YAML: {e}");
        RuleProblem::error(path, loc.as_ref().map(|l| l.line()), message)
            .at_column(loc.as_ref().map(|l| l.column()))
    })?;
    let map = match doc {
        Value::Mapping(m) => m,
        Value::Null => return Err(RuleProblem::error(path, Some(1), "empty rule file")),
        other => {
            return Err(RuleProblem::error(
                path,
                Some(1),
                format!(
                    "a rule file must be a YAML mapping of keys, not {}",
                    kind(&other)
                ),
            ));
        }
    };
    let layout = Layout::scan(text);
    let mut reader = Reader {
        path,
        layout: &layout,
        problems: Vec::new(),
    };
    let mut rule = Rule {
        name: String::new(),
        description: String::new(),
        enabled: None,
        severity: None,
        query_text: String::new(),
        time_range_s: None,
        run_frequency_s: None,
        tags: Vec::new(),
        mitre: Mitre::default(),
        tests: Vec::new(),
        references: Vec::new(),
        author: None,
        path: path.to_path_buf(),
        key_lines: layout.key_lines.clone(),
        extra: BTreeMap::new(),
        problems: Vec::new(),
        layout: Layout::default(),
    };
    for (key, value) in map {
        let Some(key) = scalar_text(&key) else {
            reader.error(None, "a key that is not text is ignored");
            continue;
        };
        match key.as_str() {
            "name" => rule.name = reader.string(&key, &value),
            "description" => rule.description = reader.string(&key, &value),
            "query_text" => rule.query_text = reader.string(&key, &value),
            "author" => rule.author = Some(reader.strings(&key, &value).join(", ")),
            "references" => rule.references = reader.strings(&key, &value),
            "tags" => rule.tags = reader.strings(&key, &value),
            "time_range_s" => rule.time_range_s = reader.seconds(&key, &value),
            "run_frequency_s" => rule.run_frequency_s = reader.seconds(&key, &value),
            "severity" => rule.severity = reader.severity(&value),
            "enabled" => rule.enabled = reader.enabled(&value),
            "tests" => rule.tests = reader.tests(&value),
            _ => {
                rule.extra.insert(key, value);
            }
        }
    }
    rule.mitre = Mitre::from_tags(&rule.tags);
    rule.problems = reader.problems;
    rule.layout = layout;
    Ok(rule)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// The text of a scalar (numbers and booleans as written by YAML).
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

struct Reader<'a> {
    path: &'a Path,
    layout: &'a Layout,
    problems: Vec<RuleProblem>,
}

impl Reader<'_> {
    fn error(&mut self, line: Option<usize>, message: impl Into<String>) {
        self.problems
            .push(RuleProblem::error(self.path, line, message));
    }

    fn line(&self, key: &str) -> Option<usize> {
        self.layout.key_lines.get(key).copied()
    }

    fn string(&mut self, key: &str, v: &Value) -> String {
        match v {
            Value::Null => String::new(),
            _ => scalar_text(v).unwrap_or_else(|| {
                self.error(
                    self.line(key),
                    format!("`{key}` must be text, not {}", kind(v)),
                );
                String::new()
            }),
        }
    }

    fn strings(&mut self, key: &str, v: &Value) -> Vec<String> {
        match v {
            Value::Null => Vec::new(),
            Value::Sequence(items) => items
                .iter()
                .filter_map(|item| {
                    let s = scalar_text(item);
                    if s.is_none() {
                        self.error(
                            self.line(key),
                            format!("`{key}` items must be text, not {}", kind(item)),
                        );
                    }
                    s
                })
                .collect(),
            _ => vec![self.string(key, v)],
        }
    }

    fn seconds(&mut self, key: &str, v: &Value) -> Option<u64> {
        let n = match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        if n.is_none() {
            self.error(
                self.line(key),
                format!("`{key}` must be a whole number of seconds, not {}", kind(v)),
            );
        }
        n
    }

    fn severity(&mut self, v: &Value) -> Option<Severity> {
        let s = scalar_text(v).and_then(|t| Severity::parse(&t));
        if s.is_none() {
            self.error(
                self.line("severity"),
                format!(
                    "unknown severity {}; expected one of Informational, Low, Medium, High, Critical, Fatal",
                    show(v)
                ),
            );
        }
        s
    }

    fn enabled(&mut self, v: &Value) -> Option<Enabled> {
        let e = match v {
            Value::Bool(b) => Some(Enabled::Bool(*b)),
            Value::String(s) => Enabled::parse(s),
            _ => None,
        };
        if e.is_none() {
            self.error(
                self.line("enabled"),
                format!(
                    "`enabled` must be true, false, Active, Staging or Paused, not {}",
                    show(v)
                ),
            );
        }
        e
    }

    fn tests(&mut self, v: &Value) -> Vec<RuleTest> {
        let items = match v {
            Value::Null => return Vec::new(),
            Value::Sequence(items) => items,
            _ => {
                self.error(self.line("tests"), "`tests` must be a list of tests");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let line = self
                .layout
                .test_lines
                .get(i)
                .copied()
                .or(self.line("tests"));
            let Value::Mapping(map) = item else {
                self.error(line, format!("test {} must be a mapping", i + 1));
                continue;
            };
            out.push(self.test(map, line, i));
        }
        out
    }

    fn test(&mut self, map: &Mapping, line: Option<usize>, index: usize) -> RuleTest {
        let mut test = RuleTest {
            name: String::new(),
            now_timestamp: None,
            now_ns: None,
            dataset_inline: String::new(),
            expected_detection_result: None,
            line,
            extra: BTreeMap::new(),
        };
        for (key, value) in map {
            let Some(key) = scalar_text(key) else {
                continue;
            };
            match key.as_str() {
                "name" => test.name = scalar_text(value).unwrap_or_default(),
                "now_timestamp" => test.now_timestamp = scalar_text(value),
                "dataset_inline" => match value {
                    Value::String(s) => test.dataset_inline = s.clone(),
                    other => self.error(
                        line,
                        format!(
                            "test {}: `dataset_inline` must be NDJSON text, not {}",
                            index + 1,
                            kind(other)
                        ),
                    ),
                },
                "expected_detection_result" => match value {
                    Value::Bool(b) => test.expected_detection_result = Some(*b),
                    other => self.error(
                        line,
                        format!(
                            "test {}: `expected_detection_result` must be true or false, not {}",
                            index + 1,
                            show(other)
                        ),
                    ),
                },
                _ => {
                    test.extra.insert(key, value.clone());
                }
            }
        }
        if let Some(ts) = &test.now_timestamp {
            match parse_time_ns(ts) {
                Some(ns) => test.now_ns = Some(ns),
                None => self.error(
                    line,
                    format!(
                        "test {}: `now_timestamp` {ts:?} is not an RFC 3339 time",
                        index + 1
                    ),
                ),
            }
        }
        test
    }
}

fn show(v: &Value) -> String {
    match scalar_text(v) {
        Some(s) => format!("`{s}`"),
        None => kind(v).to_string(),
    }
}

/// Parses an RFC 3339 time (`2024-03-01T01:00:00Z`; a space instead of `T` is
/// accepted) into Unix nanoseconds.
pub fn parse_time_ns(text: &str) -> Option<i64> {
    let text = text.trim();
    let parsed = chrono::DateTime::parse_from_rfc3339(text)
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(&text.replacen(' ', "T", 1)))
        .ok()?;
    parsed.timestamp_nanos_opt()
}
