//! The rule file format: Scanner's keys and variants, unknown keys, errors
//! with file and line, lint positions, MITRE tags.

use std::fs;

use trailhunt_rules::mitre::{MitreTag, TACTIC_ORDER, parse_tag, tactic_rank};
use trailhunt_rules::{Enabled, Level, Severity, lint, load_rules, parse_rule};

const RULE: &str = r#"# schema: https://scanner.dev/schema/scanner-detection-rule.v1.json
name: AWS CloudTrail Important Change
description: Detects disabling, deleting and updating of a Trail
enabled: Staging
severity: Critical
query_text: |-
  eventSource="cloudtrail.amazonaws.com" eventName=(StopLogging UpdateTrail DeleteTrail)
  | stats count() as eventCount by userIdentity.arn
time_range_s: 300
run_frequency_s: 60
tags: [tactics.ta0005.defense_evasion, techniques.t1562.008.disable_cloud_logs, team.cloud]
references:
  - https://attack.mitre.org/techniques/T1562/008/
author: someone
alert_template:
  info:
    - label: user
      value: "{{userIdentity.arn}}"
event_sink_keys: [slack]
tests:
  - name: fires on StopLogging
    now_timestamp: "2024-03-01T01:00:00Z"
    dataset_inline: |
      {"eventTime":"2024-03-01T00:58:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}
    expected_detection_result: true
  - name: quiet
    now_timestamp: 2024-03-01T01:00:00Z
    dataset_inline: ""
    expected_detection_result: false
    owner: me
"#;

#[test]
fn a_scanner_rule_loads_with_every_field() {
    let rule = parse_rule(RULE, "x.yml").unwrap();
    assert_eq!(rule.name, "AWS CloudTrail Important Change");
    assert_eq!(rule.enabled, Some(Enabled::Staging));
    assert!(rule.enabled.unwrap().runs() && !rule.enabled.unwrap().alerts());
    assert_eq!(rule.severity, Some(Severity::Critical));
    assert!(rule.query_text.starts_with("eventSource=\"cloudtrail"));
    assert!(rule.query_text.ends_with("by userIdentity.arn"));
    assert_eq!(
        (rule.time_range_s, rule.run_frequency_s),
        (Some(300), Some(60))
    );
    assert!(!rule.is_saved_query());
    assert_eq!(rule.tags.len(), 3);
    assert_eq!(rule.mitre.tactics[0].id, "TA0005");
    assert_eq!(rule.mitre.techniques[0].id, "T1562.008");
    assert_eq!(rule.references.len(), 1);
    assert_eq!(rule.author.as_deref(), Some("someone"));
    assert_eq!(rule.tests.len(), 2);
    assert_eq!(rule.tests[0].expected_detection_result, Some(true));
    assert_eq!(rule.tests[0].now_ns, Some(1_709_254_800_000_000_000));
    assert_eq!(rule.tests[0].line, Some(21));
    assert_eq!(rule.tests[1].line, Some(26));
    assert_eq!(rule.tests[1].now_ns, Some(1_709_254_800_000_000_000));
    assert!(rule.tests[1].extra.contains_key("owner"));
    assert_eq!(rule.line_of("query_text"), Some(6));
    // Unknown keys are kept, never an error.
    assert!(rule.extra.contains_key("alert_template"));
    assert!(rule.extra.contains_key("event_sink_keys"));
    assert!(rule.problems.is_empty(), "{:?}", rule.problems);
    let problems = lint(&rule, None);
    assert!(
        problems.iter().all(|p| p.level == Level::Warning),
        "{problems:?}"
    );
}

fn with(key: &str, value: &str) -> String {
    let mut out = String::new();
    for line in RULE.lines() {
        if line.starts_with(&format!("{key}:")) {
            out.push_str(&format!("{key}: {value}\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn enabled_and_severity_variants() {
    for (text, want) in [
        ("true", Enabled::Bool(true)),
        ("false", Enabled::Bool(false)),
        ("Active", Enabled::Active),
        ("Paused", Enabled::Paused),
        ("\"Staging\"", Enabled::Staging),
    ] {
        let rule = parse_rule(&with("enabled", text), "x.yml").unwrap();
        assert_eq!(rule.enabled, Some(want), "{text}");
    }
    assert!(!Enabled::Paused.runs());
    for s in Severity::ALL {
        let rule = parse_rule(&with("severity", s.as_str()), "x.yml").unwrap();
        assert_eq!(rule.severity, Some(s));
    }
    let rule = parse_rule(&with("severity", "Severe"), "x.yml").unwrap();
    assert_eq!(rule.severity, None);
    let problems = lint(&rule, None);
    assert!(
        problems
            .iter()
            .any(|p| p.is_error() && p.line == Some(5) && p.message.contains("unknown severity")),
        "{problems:?}"
    );
    let rule = parse_rule(&with("enabled", "Maybe"), "x.yml").unwrap();
    let problems = lint(&rule, None);
    assert!(
        problems
            .iter()
            .any(|p| p.is_error() && p.line == Some(4) && p.message.contains("enabled")),
        "{problems:?}"
    );
}

#[test]
fn a_saved_query_has_no_schedule() {
    let text = "name: q\nquery_text: eventName=ConsoleLogin\n";
    let rule = parse_rule(text, "q.yml").unwrap();
    assert!(rule.is_saved_query());
    let problems = lint(&rule, None);
    assert!(problems.iter().all(|p| !p.is_error()));
    // No MITRE tags: a warning, not an error.
    assert!(problems.iter().any(|p| p.message.contains("MITRE")));
}

#[test]
fn query_errors_point_at_the_file_line_and_column() {
    let text = RULE.replace("| stats count() as eventCount", "| grouby x");
    let rule = parse_rule(&text, "bad.yml").unwrap();
    let errors: Vec<_> = lint(&rule, None)
        .into_iter()
        .filter(|p| p.is_error())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    // query_text: is line 6; the stage is on the second line of the block, after "  | ".
    assert_eq!(
        (errors[0].line, errors[0].column),
        (Some(8), Some(5)),
        "{}",
        errors[0]
    );
    assert!(
        errors[0]
            .to_string()
            .starts_with("bad.yml:8:5: error: query: unknown stage `grouby`"),
        "{}",
        errors[0]
    );

    // `|` (keeping the final newline) and a one-line value.
    let text = "name: n\nquery_text: |\n    a\n    b = (c\n";
    let rule = parse_rule(text, "b.yml").unwrap();
    let errors: Vec<_> = lint(&rule, None)
        .into_iter()
        .filter(|p| p.is_error())
        .collect();
    assert!(errors.iter().all(|e| e.line == Some(4)), "{errors:?}");
    let text = "name: n\nquery_text: 'a | grouby x'\n";
    let rule = parse_rule(text, "c.yml").unwrap();
    let errors: Vec<_> = lint(&rule, None)
        .into_iter()
        .filter(|p| p.is_error())
        .collect();
    assert_eq!(
        (errors[0].line, errors[0].column),
        (Some(2), Some(18)),
        "{errors:?}"
    );
}

#[test]
fn the_planner_hook_reports_on_the_query_line() {
    let rule = parse_rule(RULE, "x.yml").unwrap();
    let check = |q: &str| {
        if q.contains("userIdentity.arn") {
            Err("unknown column `userIdentity.arn`".to_string())
        } else {
            Ok(())
        }
    };
    let problems = lint(&rule, Some(&check));
    let e = problems.iter().find(|p| p.is_error()).unwrap();
    assert_eq!(e.line, Some(6));
    assert!(e.message.contains("unknown column"));
}

#[test]
fn rule_level_problems() {
    let text = "description: d\ntests:\n  - name: t\n    dataset_inline: \"{}\"\n";
    let rule = parse_rule(text, "r.yml").unwrap();
    let problems = lint(&rule, None);
    let errors: Vec<String> = problems
        .iter()
        .filter(|p| p.is_error())
        .map(|p| p.message.clone())
        .collect();
    assert!(errors.iter().any(|m| m.contains("no `name`")), "{errors:?}");
    assert!(
        errors.iter().any(|m| m.contains("no `query_text`")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|m| m.contains("expected_detection_result")),
        "{errors:?}"
    );
    let missing = problems
        .iter()
        .find(|p| p.message.contains("expected_detection_result"))
        .unwrap();
    assert_eq!(missing.line, Some(3));
}

#[test]
fn a_broken_file_is_a_problem_with_file_and_line_and_the_rest_load() {
    let dir = std::env::temp_dir().join(format!("trailhunt-rules-test-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("sub")).unwrap();
    fs::write(dir.join("good.yml"), RULE).unwrap();
    fs::write(dir.join("sub/also.yaml"), "name: n\nquery_text: a\n").unwrap();
    fs::write(
        dir.join("sub/broken.yml"),
        "name: n\nquery_text: a\ntags: [a, b\nseverity: High\n",
    )
    .unwrap();
    fs::write(dir.join("sub/list.yml"), "- a\n- b\n").unwrap();
    fs::write(dir.join("notes.txt"), "not a rule").unwrap();
    let (rules, problems) = load_rules(&dir);
    assert_eq!(rules.len(), 2);
    assert_eq!(problems.len(), 2, "{problems:?}");
    let broken = problems
        .iter()
        .find(|p| p.path.ends_with("sub/broken.yml"))
        .unwrap();
    assert!(
        broken.line.is_some_and(|l| (3..=5).contains(&l)),
        "{broken}"
    );
    assert!(broken.to_string().contains("broken.yml:"), "{broken}");
    assert!(
        problems
            .iter()
            .any(|p| p.path.ends_with("sub/list.yml") && p.message.contains("mapping"))
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tags_parse_into_tactics_and_techniques() {
    let Some(MitreTag::Tactic(t)) = parse_tag("tactics.ta0005.defense_evasion") else {
        panic!()
    };
    assert_eq!(
        (t.id.as_str(), t.name.as_str(), t.rank()),
        ("TA0005", "defense_evasion", Some(6))
    );
    let Some(MitreTag::Technique(t)) = parse_tag("techniques.t1562.008.disable_cloud_logs") else {
        panic!()
    };
    assert_eq!(
        (t.id.as_str(), t.name.as_str(), t.parent_id()),
        ("T1562.008", "disable_cloud_logs", "T1562")
    );
    assert_eq!(t.url(), "https://attack.mitre.org/techniques/T1562/008/");
    let Some(MitreTag::Technique(t)) = parse_tag("techniques.t1078") else {
        panic!()
    };
    assert_eq!((t.id.as_str(), t.name.as_str()), ("T1078", ""));
    let Some(MitreTag::Technique(t)) = parse_tag("techniques.t1078.valid_accounts") else {
        panic!()
    };
    assert_eq!(
        (t.id.as_str(), t.name.as_str()),
        ("T1078", "valid_accounts")
    );
    let Some(MitreTag::Tactic(t)) = parse_tag("tactics.ta0040") else {
        panic!()
    };
    assert_eq!(t.name, "impact");
    for bad in [
        "team.cloud",
        "tactics.defense_evasion",
        "techniques.t15",
        "tactics.ta05x5.x",
    ] {
        assert_eq!(parse_tag(bad), None, "{bad}");
    }
    // Kill-chain order: recon first, impact last, C2 before exfiltration.
    assert_eq!(TACTIC_ORDER[0].0, "TA0043");
    assert_eq!(TACTIC_ORDER.last().unwrap().0, "TA0040");
    assert!(tactic_rank("TA0011") < tactic_rank("ta0010"));
    assert!(tactic_rank("TA0001") < tactic_rank("TA0003"));
}
