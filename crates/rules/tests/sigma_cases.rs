//! Sigma conversion: exact queries for representative shared rules (checked
//! by hand against the Sigma semantics), and every construct on small inputs.

use std::path::PathBuf;

use trailhunt_rules::Severity;
use trailhunt_rules::sigma::{convert, map_tag};

fn shared(name: &str) -> Option<String> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/sigma-aws"
    ))
    .join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(_) => {
            println!("note: {} is absent; skipping", path.display());
            None
        }
    }
}

#[test]
fn representative_shared_rules_convert_exactly() {
    let cases = [
        (
            "aws_cloudtrail_disable_logging.yml",
            "eventSource = cloudtrail.amazonaws.com and eventName = (StopLogging UpdateTrail DeleteTrail)",
        ),
        (
            "aws_cloudtrail_bucket_deleted.yml",
            "eventName = DeleteBucket and (errorCode = Success or not errorCode: *)",
        ),
        (
            "aws_cloudtrail_guardduty_detector_deleted_or_updated.yml",
            "eventSource = guardduty.amazonaws.com and (eventName = DeleteDetector or (eventName = UpdateDetector and requestParameters.enable = false)) and (errorCode = Success or not errorCode: *)",
        ),
        (
            "aws_console_getsignintoken.yml",
            "eventSource = signin.amazonaws.com and eventName = GetSigninToken and not userAgent = '*Jersey/${project.version}*'",
        ),
        (
            "aws_ec2_vm_export_failure.yml",
            "eventName = CreateInstanceExportTask and eventSource = ec2.amazonaws.com and not (errorMessage = '*' or errorCode = '*' or responseElements = *Failure*)",
        ),
        (
            "aws_iam_s3browser_templated_s3_bucket_policy_creation.yml",
            r#"eventSource = iam.amazonaws.com and eventName = PutUserPolicy and userAgent = '*S3 Browser*' and requestParameters = '*"arn:aws:s3:::<YOUR-BUCKET-NAME>/*"*' and requestParameters = '*"s3:GetObject"*' and requestParameters = '*"Allow"*'"#,
        ),
        (
            "aws_new_lambda_layer_attached.yml",
            "eventSource = lambda.amazonaws.com and eventName = UpdateFunctionConfiguration* and requestParameters.layers = '*'",
        ),
        (
            "aws_root_account_usage.yml",
            "userIdentity.type = Root and not eventType = AwsServiceEvent",
        ),
        (
            "aws_susp_saml_activity.yml",
            "(eventSource = sts.amazonaws.com and eventName = AssumeRoleWithSAML) or (eventSource = iam.amazonaws.com and eventName = UpdateSAMLProvider)",
        ),
        (
            "aws_cloudtrail_console_login_success_without_mfa.yml",
            "eventName = ConsoleLogin and additionalEventData.MFAUsed = NO and responseElements.ConsoleLogin = Success",
        ),
        (
            "aws_sso_idp_change.yml",
            "eventSource = (sso-directory.amazonaws.com sso.amazonaws.com) and eventName = (AssociateDirectory DisableExternalIdPConfigurationForDirectory DisassociateDirectory EnableExternalIdPConfigurationForDirectory)",
        ),
        (
            "aws_update_login_profile.yml",
            "eventSource = iam.amazonaws.com and eventName = UpdateLoginProfile | where not coalesce(userIdentity.arn == requestParameters.userName, false)",
        ),
    ];
    for (file, want) in cases {
        let Some(text) = shared(file) else { return };
        let got = convert(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(got.query_text, want, "{file}");
    }
}

#[test]
fn metadata_is_kept() {
    let Some(text) = shared("aws_cloudtrail_disable_logging.yml") else {
        return;
    };
    let c = convert(&text).unwrap();
    assert_eq!(c.title, "AWS CloudTrail Important Change");
    assert_eq!(
        c.id.as_deref(),
        Some("4db60cc0-36fb-42b7-9b58-a5b53019fb74")
    );
    assert_eq!(c.author.as_deref(), Some("vitaliy0x1"));
    assert_eq!(c.severity, Some(Severity::Medium));
    assert!(!c.references.is_empty());
    assert!(
        c.tags.contains(&"techniques.t1685.002".to_string()),
        "{:?}",
        c.tags
    );
    assert!(!c.falsepositives.is_empty());
}

#[test]
fn the_shared_regex_rule_converts_to_a_regex_test() {
    let Some(text) = shared("aws_cloudtrail_imds_malicious_usage.yml") else {
        return;
    };
    let c = convert(&text).unwrap();
    assert_eq!(
        c.query_text,
        r#"userIdentity.arn ~ ".+:assumed-role/aws:.+" and not (eventSource = ssm.amazonaws.com or eventName = RegisterManagedInstance or sourceIPAddress = 'AWS Internal')"#
    );
    assert!(
        c.tags.contains(&"tactics.ta0005.stealth".to_string()),
        "{:?}",
        c.tags
    );
}

#[test]
fn current_attack_tactic_tags_name_a_tactic() {
    // ATT&CK v19: Defense Evasion became Stealth (TA0005, id kept), Defense
    // Impairment (TA0112) is new; both appear in the shared SigmaHQ rules.
    assert_eq!(map_tag("attack.stealth"), "tactics.ta0005.stealth");
    assert_eq!(
        map_tag("attack.defense-impairment"),
        "tactics.ta0112.defense_impairment"
    );
    use trailhunt_rules::mitre::{MitreTag, parse_tag, tactic_rank};
    let Some(MitreTag::Tactic(t)) = parse_tag(&map_tag("attack.defense-impairment")) else {
        panic!()
    };
    assert_eq!(t.id, "TA0112");
    assert!(tactic_rank("TA0005") < tactic_rank("TA0112"));
    assert!(tactic_rank("TA0112") < tactic_rank("TA0006"));
    let Some(text) = shared("aws_cloudtrail_disable_logging.yml") else {
        return;
    };
    let c = convert(&text).unwrap();
    let mitre = trailhunt_rules::Mitre::from_tags(&c.tags);
    assert_eq!(mitre.tactics.len(), 1, "{:?}", c.tags);
    assert_eq!(mitre.tactics[0].id, "TA0112");
    assert!(mitre.tactics[0].rank().is_some());
}

#[test]
fn every_shared_rule_tag_of_the_attack_namespace_is_understood() {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/sigma-aws"
    ));
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("note: {} is absent; skipping", dir.display());
        return;
    };
    let mut seen = 0;
    for e in entries.flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        let Ok(c) = convert(&text) else { continue };
        for tag in &c.tags {
            if tag.starts_with("attack.") {
                panic!(
                    "{}: `{tag}` names no tactic or technique",
                    e.path().display()
                );
            }
            if tag.starts_with("tactics.") {
                let m = trailhunt_rules::Mitre::from_tags(std::slice::from_ref(tag));
                assert!(m.tactics[0].rank().is_some(), "{tag}");
                seen += 1;
            }
        }
    }
    assert!(seen > 0);
}

fn rule(detection: &str) -> String {
    format!(
        "title: t\nauthor: a\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n{detection}\nlevel: high\n"
    )
}

fn ok(detection: &str) -> String {
    convert(&rule(detection))
        .unwrap_or_else(|e| panic!("{e}"))
        .query_text
}

fn refused(detection: &str) -> String {
    convert(&rule(detection)).unwrap_err().construct
}

#[test]
fn conditions_and_value_forms() {
    assert_eq!(
        ok(
            "  sel_a: {eventName: A}\n  sel_b: {eventName: B}\n  other: {x: 1}\n  condition: all of sel_* and not other"
        ),
        "eventName = A and eventName = B and not x = 1"
    );
    assert_eq!(
        ok("  a: {x: 1}\n  b: {y: 2}\n  condition: 1 of them"),
        "x = 1 or y = 2"
    );
    assert_eq!(
        ok("  a: {x: 1}\n  b: {y: 2}\n  condition: all of them"),
        "x = 1 and y = 2"
    );
    assert_eq!(
        ok("  a:\n    - {x: 1}\n    - {y: 'two words'}\n  condition: a"),
        "x = 1 or y = 'two words'"
    );
    assert_eq!(
        ok("  a: {x|startswith: 'Get', y|endswith: \"it's\"}\n  condition: a"),
        r"x = Get* and y = '*it\'s'"
    );
    assert_eq!(
        ok(r"  a: {x|contains: 'a\*b'}
  condition: a"),
        r"x = 'a\*b'".replace("'a", "'*a").replace("b'", "b*'")
    );
    assert_eq!(ok("  a: {x|cased: Admin}\n  condition: a"), "x = \"Admin\"");
    assert_eq!(
        ok("  a: {x|exists: false}\n  condition: a"),
        "not (x: * or x = null)"
    );
    assert_eq!(
        ok("  a: {x|exists: true}\n  condition: a"),
        "x: * or x = null"
    );
    assert_eq!(ok("  a: {x|gte: 10}\n  condition: a"), "x >= 10");
    assert_eq!(
        ok("  keywords: [mimikatz, 'bad tool']\n  condition: keywords"),
        "** = *mimikatz* or ** = '*bad tool*'"
    );
    assert_eq!(
        ok("  a: {x: [null, ''] }\n  condition: a"),
        "x = '' or not x: *"
    );
    // `*` matches a value: an empty array or a null has none (not `x: *`).
    assert_eq!(ok("  a: {x: '*'}\n  condition: a"), "x = '*'");
    assert_eq!(ok("  a: {x|contains: '*'}\n  condition: a"), "x = '*'");
}

#[test]
fn one_character_wildcards_and_unicode_case_become_regex_tests() {
    assert_eq!(
        ok("  a: {x: 'ab?'}\n  condition: a"),
        r#"x ~ "(?i)\Aab(?s:.)\z""#
    );
    assert_eq!(
        ok("  a: {x|contains: 'a?c'}\n  condition: a"),
        r#"x ~ "(?i)a(?s:.)c""#
    );
    assert_eq!(
        ok("  a: {x|startswith: 'a?c*d'}\n  condition: a"),
        r#"x ~ "(?i)\Aa(?s:.)c(?s:.*)d""#
    );
    assert_eq!(
        ok("  a: {x|cased: 'a?'}\n  condition: a"),
        r#"x ~ "\Aa(?s:.)\z""#
    );
    // `\?` is a literal question mark.
    assert_eq!(ok("  a: {x: 'ab\\?'}\n  condition: a"), "x = 'ab?'");
    // Sigma folds every letter's case; `=` folds ASCII only.
    assert_eq!(
        ok("  a: {x: 'Élan'}\n  condition: a"),
        r#"x ~ "(?i)\AÉlan\z""#
    );
    assert_eq!(
        ok("  a: {x|contains: 'straße'}\n  condition: a"),
        r#"x ~ "(?i)straße""#
    );
    // Case-sensitive, or without a cased letter: no regex needed.
    assert_eq!(ok("  a: {x|cased: 'Élan'}\n  condition: a"), "x = \"Élan\"");
    assert_eq!(ok("  a: {x: '안녕'}\n  condition: a"), "x = '안녕'");
    assert_eq!(
        ok("  keywords: ['Ünïcode']\n  condition: keywords"),
        r#"** ~ "(?i)Ünïcode""#
    );
}

#[test]
fn regex_cidr_and_fieldref() {
    // Literal alternatives become value patterns.
    assert_eq!(
        ok("  a: {x|re: '^(StopLogging|DeleteTrail)\\z'}\n  condition: a"),
        "x = (\"StopLogging\" \"DeleteTrail\")"
    );
    assert_eq!(ok("  a: {x|re|i: 'kali'}\n  condition: a"), "x = *kali*");
    assert_eq!(ok("  a: {x|re: '^AKIA'}\n  condition: a"), "x = \"AKIA*\"");
    // The regex crate's `$` is the end of the text (PCRE's also allowed a final newline).
    assert_eq!(ok("  a: {x|re: 'evil$'}\n  condition: a"), "x = \"*evil\"");
    // Anything else is a regex test in the regex crate's syntax.
    assert_eq!(
        ok("  a: {x|re: '^(Stop|Delete)Logging$'}\n  condition: a"),
        r#"x ~ "^(Stop|Delete)Logging$""#
    );
    assert_eq!(ok("  a: {x|re: 'a.+b'}\n  condition: a"), r#"x ~ "a.+b""#);
    assert_eq!(
        ok("  a: {x|re: '[0-9]+'}\n  condition: a"),
        r#"x ~ "[0-9]+""#
    );
    // The sub-modifiers are inline flags.
    assert_eq!(
        ok("  a: {x|re|i: 'a.+b'}\n  condition: a"),
        r#"x ~ "(?i)a.+b""#
    );
    assert_eq!(
        ok("  a: {x|re|m|s: '^a.b$'}\n  condition: a"),
        r#"x ~ "(?ms)^a.b$""#
    );
    assert_eq!(
        ok("  a: {x|re|i: 'Élan'}\n  condition: a"),
        r#"x ~ "(?i)Élan""#
    );
    assert_eq!(
        ok("  a: {x|re: ['^a\\d', 'b$']}\n  condition: a"),
        r#"x = "*b" or x ~ "^a\d""#
    );
    assert_eq!(
        ok("  a: {x|re|all: ['a.c', 'd.f']}\n  condition: a"),
        r#"x ~ "a.c" and x ~ "d.f""#
    );
    // A quote in the pattern is written escaped in the query and read back the same.
    assert_eq!(
        ok("  a: {x|re: 'say \"h.\"'}\n  condition: a"),
        r#"x ~ "say \"h.\"""#
    );
    // What the regex crate cannot compile (look-around, back-references) is refused.
    assert_eq!(refused("  a: {x|re: 'a(?=b)'}\n  condition: a"), "re");
    assert_eq!(refused("  a: {x|re: '(a)\\1'}\n  condition: a"), "re");
    assert_eq!(refused("  a: {x|re: '[0-9'}\n  condition: a"), "re");
    assert_eq!(
        ok("  a: {sourceIPAddress|cidr: 10.0.0.0/8}\n  condition: a"),
        "sourceIPAddress = 10.*"
    );
    assert_eq!(
        ok("  a: {sourceIPAddress|cidr: 192.168.1.7/32}\n  condition: a"),
        "sourceIPAddress = 192.168.1.7"
    );
    assert_eq!(
        ok("  a: {sourceIPAddress|cidr: 172.16.0.0/14}\n  condition: a"),
        "sourceIPAddress = (172.16.* 172.17.* 172.18.* 172.19.*)"
    );
    assert_eq!(
        refused("  a: {sourceIPAddress|cidr: '2001:db8::/32'}\n  condition: a"),
        "cidr"
    );
    assert_eq!(
        ok("  a: {x|fieldref: y}\n  b: {z: 1}\n  condition: a and b"),
        "z = 1 | where coalesce(x == y, false)"
    );
    assert_eq!(
        refused("  a: {x|fieldref: y}\n  b: {z: 1}\n  condition: a or b"),
        "fieldref"
    );
}

#[test]
fn correlations_and_unsupported_modifiers_are_refused_by_name() {
    assert_eq!(
        refused("  a: {x: 1}\n  condition: a | count() by userIdentity.arn > 10"),
        "count() by"
    );
    assert_eq!(
        refused("  a: {x: 1}\n  b: {y: 1}\n  condition: a | near b"),
        "near"
    );
    assert_eq!(
        refused("  a: {x: 1}\n  timeframe: 5m\n  condition: a"),
        "timeframe"
    );
    assert_eq!(refused("  a: {x|base64: abc}\n  condition: a"), "base64");
    assert_eq!(refused("  a: {x|windash: '-c'}\n  condition: a"), "windash");
    assert_eq!(
        refused("  a: {x: 1}\n  b: {y: 1}\n  condition: 2 of a*"),
        "N of"
    );
    let corr = "title: c\ncorrelation:\n  type: event_count\n  rules: [x]\n  group-by: [userIdentity.arn]\n  timespan: 1h\n  condition: {gte: 10}\n";
    assert_eq!(convert(corr).unwrap_err().construct, "correlation");
}

#[test]
fn tags_map_to_the_mitre_scheme() {
    assert_eq!(map_tag("attack.t1562.008"), "techniques.t1562.008");
    assert_eq!(map_tag("attack.T1078"), "techniques.t1078");
    assert_eq!(
        map_tag("attack.defense_evasion"),
        "tactics.ta0005.defense_evasion"
    );
    assert_eq!(
        map_tag("attack.defense-evasion"),
        "tactics.ta0005.defense_evasion"
    );
    assert_eq!(
        map_tag("attack.command-and-control"),
        "tactics.ta0011.command_and_control"
    );
    assert_eq!(map_tag("cve.2021-1234"), "cve.2021-1234");
}

#[test]
fn a_converted_rule_writes_a_rule_file_that_loads() {
    let c = convert(&rule("  a: {eventName: StopLogging}\n  condition: a")).unwrap();
    let yaml = c.to_rule_yaml();
    let r = trailhunt_rules::parse_rule(&yaml, "c.yml").unwrap();
    assert_eq!(r.query_text, "eventName = StopLogging");
    assert_eq!(r.author.as_deref(), Some("a"));
    assert_eq!(r.severity, Some(Severity::High));
    assert!(r.extra.contains_key("sigma_id") || c.id.is_none());
}
