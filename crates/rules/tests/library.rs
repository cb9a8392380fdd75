//! The shipped rule library `rules/`: every rule loads, lints clean and is
//! complete (tests both ways, MITRE tags, references).

use std::collections::BTreeMap;
use std::path::PathBuf;

use trailhunt_rules::{Rule, lint, load_rules};

fn library() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules"))
}

fn rules() -> Vec<Rule> {
    let (rules, problems) = load_rules(library());
    assert!(problems.is_empty(), "{problems:#?}");
    rules
}

#[test]
fn every_rule_lints_clean_without_warnings() {
    for rule in rules() {
        let problems = lint(&rule, None);
        assert!(
            problems.is_empty(),
            "{}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn every_rule_is_complete() {
    for rule in rules() {
        let p = rule.path.display();
        assert!(!rule.description.is_empty(), "{p}: description");
        assert!(rule.severity.is_some(), "{p}: severity");
        assert!(rule.enabled.is_some_and(|e| e.runs()), "{p}: enabled");
        assert!(
            rule.time_range_s.is_some() && rule.run_frequency_s.is_some(),
            "{p}: schedule"
        );
        assert!(!rule.mitre.tactics.is_empty(), "{p}: no tactic tag");
        assert!(!rule.mitre.techniques.is_empty(), "{p}: no technique tag");
        assert!(
            rule.mitre.tactics.iter().all(|t| t.rank().is_some()),
            "{p}: unknown tactic"
        );
        assert!(!rule.references.is_empty(), "{p}: references");
        assert!(
            rule.references.iter().all(|r| r.starts_with("https://")),
            "{p}: reference URLs"
        );
        let positive = rule
            .tests
            .iter()
            .filter(|t| t.expected_detection_result == Some(true));
        let negative = rule
            .tests
            .iter()
            .filter(|t| t.expected_detection_result == Some(false));
        assert!(positive.count() >= 1, "{p}: no positive test");
        assert!(negative.count() >= 1, "{p}: no negative test");
        for test in &rule.tests {
            assert!(
                test.now_ns.is_some(),
                "{p}: {} has no now_timestamp",
                test.name
            );
            for line in test.dataset_inline.lines() {
                let record: serde_norway::Value = serde_norway::from_str(line)
                    .unwrap_or_else(|e| panic!("{p}: {}: not JSON: {e}", test.name));
                for key in ["eventTime", "eventSource", "eventName", "userIdentity"] {
                    assert!(
                        record.get(key).is_some(),
                        "{p}: {}: record without {key}",
                        test.name
                    );
                }
            }
        }
        // Rules are filed under the folder of their first tactic.
        assert_eq!(folder(&rule), rule.mitre.tactics[0].name, "{p}: folder");
    }
}

/// The folder a rule file sits in (rules are filed under their first tactic).
fn folder(rule: &trailhunt_rules::Rule) -> String {
    rule.path
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string()
}

#[test]
fn the_library_has_at_least_40_rules_across_tactics() {
    let rules = rules();
    let mut per_tactic: BTreeMap<String, usize> = BTreeMap::new();
    for rule in &rules {
        *per_tactic.entry(folder(rule)).or_default() += 1;
    }
    println!("{} rules: {per_tactic:?}", rules.len());
    assert!(rules.len() >= 40, "{} rules", rules.len());
    assert!(per_tactic.len() >= 8, "{per_tactic:?}");
    let mut names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), rules.len(), "rule names must be unique");
}

#[test]
fn the_seven_notebook_hunts_are_in_the_library() {
    let root = library();
    for file in [
        "initial_access/suspicious_user_agent.yml",
        "initial_access/root_console_login.yml",
        "initial_access/console_login_failed.yml",
        "credential_access/get_secret_value.yml",
        "privilege_escalation/assume_role_denied.yml",
        "defense_evasion/cloudtrail_tampering.yml",
        "defense_evasion/guardduty_tampering.yml",
    ] {
        assert!(root.join(file).is_file(), "{file} is missing");
    }
}

#[test]
fn threshold_rules_use_stats_then_where() {
    let rules = rules();
    let thresholds: Vec<&Rule> = rules
        .iter()
        .filter(|r| r.query_text.contains("| where n >"))
        .collect();
    assert!(thresholds.len() >= 5, "{}", thresholds.len());
    for rule in thresholds {
        let q = trailhunt_lang::parse_query(&rule.query_text).unwrap();
        assert!(q.stages.len() >= 2, "{}", rule.path.display());
    }
}

#[test]
fn field_comparisons_are_where_expressions() {
    use trailhunt_lang::ast::{StageKind, WhereCond};
    for rule in rules() {
        let q = trailhunt_lang::parse_query(&rule.query_text).unwrap();
        for stage in &q.stages {
            if let StageKind::Where(cond) = &stage.kind
                && (rule.query_text.contains("coalesce(") || rule.query_text.contains("contains("))
            {
                assert!(
                    matches!(cond, WhereCond::Expr(_)),
                    "{}",
                    rule.path.display()
                );
            }
        }
    }
}

#[test]
fn the_coverage_document_is_up_to_date() {
    let root = library();
    let (rules, problems) = load_rules(&root);
    assert!(problems.is_empty(), "{problems:#?}");
    let want = trailhunt_rules::coverage::coverage_markdown(&rules, &root);
    let path = root.join("../docs/COVERAGE.md");
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/COVERAGE.md is stale: regenerate it with `trailhunt rules coverage rules/ > docs/COVERAGE.md`"
    );
}

#[test]
fn every_stratus_technique_has_a_rule_with_its_tactic() {
    use trailhunt_rules::coverage::{STRATUS_AWS, stratus_ids};
    let rules = rules();
    for t in STRATUS_AWS {
        let covering: Vec<&Rule> = rules
            .iter()
            .filter(|r| stratus_ids(r).contains(&t.id))
            .collect();
        assert!(
            !covering.is_empty(),
            "no rule for the Stratus technique {}",
            t.id
        );
        for r in covering {
            assert!(
                r.mitre.tactics.iter().any(|x| x.id == t.tactic),
                "{}: tagged for {} but not with its tactic {}",
                r.path.display(),
                t.id,
                t.tactic
            );
        }
    }
    for r in &rules {
        for id in stratus_ids(r) {
            assert!(
                STRATUS_AWS.iter().any(|t| t.id == id),
                "{}: `stratus.{id}` names no technique of the catalogue",
                r.path.display()
            );
        }
    }
}
