//! Checking a rule: its query parses, its fields make sense, and (through a
//! hook the engine fills in) its query plans.

use crate::mitre::parse_tag;
use crate::problem::RuleProblem;
use crate::rule::Rule;

/// A planning check supplied by the engine: `Err(message)` when the query
/// cannot be planned (e.g. an unknown column). The query has already parsed.
pub type PlannerCheck<'a> = &'a dyn Fn(&str) -> Result<(), String>;

/// Every problem in `rule`: the problems found while reading it, parse errors
/// in `query_text` (pointing at the file line and column of the error), the
/// `planner` check when one is given and the query parsed, and rule-level
/// checks (missing name or query, tests without an expected result, no MITRE
/// tags — the last is a warning).
pub fn lint(rule: &Rule, planner: Option<PlannerCheck<'_>>) -> Vec<RuleProblem> {
    let path = rule.path.as_path();
    let mut out = rule.problems.clone();
    if rule.name.trim().is_empty() {
        out.push(RuleProblem::error(
            path,
            rule.line_of("name").or(Some(1)),
            "the rule has no `name`",
        ));
    }
    if rule.query_text.trim().is_empty() {
        out.push(RuleProblem::error(
            path,
            rule.line_of("query_text").or(Some(1)),
            "the rule has no `query_text`",
        ));
    } else {
        match trailhunt_lang::parse_query(&rule.query_text) {
            Err(diags) => {
                for e in diags.errors() {
                    let pos = rule.query_position(e.span.start);
                    let line = pos.map(|p| p.0).or(rule.line_of("query_text"));
                    let mut message = format!("query: {e}");
                    if !e.expected.is_empty() {
                        message.push_str(&format!(" (expected {})", e.expected.join(", ")));
                    }
                    out.push(
                        RuleProblem::error(path, line, message).at_column(pos.and_then(|p| p.1)),
                    );
                }
            }
            Ok(_) => {
                if let Some(check) = planner
                    && let Err(message) = check(&rule.query_text)
                {
                    out.push(RuleProblem::error(
                        path,
                        rule.line_of("query_text"),
                        format!("query: {message}"),
                    ));
                }
            }
        }
    }
    if rule.severity.is_none() && rule.line_of("severity").is_none() {
        out.push(RuleProblem::warning(
            path,
            Some(1),
            "the rule has no `severity`",
        ));
    }
    if rule.description.trim().is_empty() {
        out.push(RuleProblem::warning(
            path,
            rule.line_of("description").or(Some(1)),
            "the rule has no `description`",
        ));
    }
    lint_tags(rule, &mut out);
    for (i, test) in rule.tests.iter().enumerate() {
        let label = if test.name.is_empty() {
            format!("test {}", i + 1)
        } else {
            format!("test {:?}", test.name)
        };
        if test.name.trim().is_empty() {
            out.push(RuleProblem::warning(
                path,
                test.line,
                format!("{label} has no `name`"),
            ));
        }
        if test.expected_detection_result.is_none() {
            out.push(RuleProblem::error(
                path,
                test.line,
                format!("{label} has no `expected_detection_result`"),
            ));
        }
        if test.dataset_inline.trim().is_empty() {
            out.push(RuleProblem::warning(
                path,
                test.line,
                format!("{label} has an empty `dataset_inline`"),
            ));
        }
    }
    out
}

fn lint_tags(rule: &Rule, out: &mut Vec<RuleProblem>) {
    let line = rule.line_of("tags");
    for tag in &rule.tags {
        let lower = tag.to_ascii_lowercase();
        let looks_mitre = lower.starts_with("tactics.") || lower.starts_with("techniques.");
        match parse_tag(tag) {
            None if looks_mitre => out.push(RuleProblem::warning(
                &rule.path,
                line,
                format!("tag `{tag}` looks like a MITRE tag but is malformed (e.g. tactics.ta0005.defense_evasion, techniques.t1562.008.disable_cloud_logs)"),
            )),
            Some(crate::mitre::MitreTag::Tactic(t)) if t.rank().is_none() => {
                out.push(RuleProblem::warning(
                    &rule.path,
                    line,
                    format!("tag `{tag}`: {} is not an ATT&CK enterprise tactic", t.id),
                ))
            }
            _ => {}
        }
    }
    if rule.mitre.is_empty() {
        out.push(RuleProblem::warning(
            &rule.path,
            line.or(Some(1)),
            "the rule has no MITRE tags (tactics.taNNNN.name / techniques.tNNNN[.NNN].name)",
        ));
    }
}
