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
            "eventName = CreateInstanceExportTask and eventSource = ec2.amazonaws.com and not (errorMessage: * or errorCode: * or responseElements = *Failure*)",
        ),
        (
            "aws_iam_s3browser_templated_s3_bucket_policy_creation.yml",
            r#"eventSource = iam.amazonaws.com and eventName = PutUserPolicy and userAgent = '*S3 Browser*' and requestParameters = '*"arn:aws:s3:::<YOUR-BUCKET-NAME>/*"*' and requestParameters = '*"s3:GetObject"*' and requestParameters = '*"Allow"*'"#,
        ),
        (
            "aws_new_lambda_layer_attached.yml",
            "eventSource = lambda.amazonaws.com and eventName = UpdateFunctionConfiguration* and requestParameters.layers: *",
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
fn refused_shared_rule_names_the_construct() {
    let Some(text) = shared("aws_cloudtrail_imds_malicious_usage.yml") else {
        return;
    };
    let e = convert(&text).unwrap_err();
    assert_eq!(e.construct, "re");
    assert!(e.message.contains(".+:assumed-role/aws:.+"), "{e}");
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
    assert_eq!(ok("  a: {x|exists: false}\n  condition: a"), "not x: *");
    assert_eq!(ok("  a: {x|gte: 10}\n  condition: a"), "x >= 10");
    assert_eq!(
        ok("  keywords: [mimikatz, 'bad tool']\n  condition: keywords"),
        "** = *mimikatz* or ** = '*bad tool*'"
    );
    assert_eq!(
        ok("  a: {x: [null, ''] }\n  condition: a"),
        "x = '' or not x: *"
    );
}

#[test]
fn regex_cidr_and_fieldref() {
    // A group inside a branch is not a literal alternation.
    assert_eq!(
        refused("  a: {x|re: '^(Stop|Delete)Logging$'}\n  condition: a"),
        "re"
    );
    assert_eq!(
        ok("  a: {x|re: '^(StopLogging|DeleteTrail)\\z'}\n  condition: a"),
        "x = (\"StopLogging\" \"DeleteTrail\")"
    );
    assert_eq!(ok("  a: {x|re|i: 'kali'}\n  condition: a"), "x = *kali*");
    assert_eq!(ok("  a: {x|re: '^AKIA'}\n  condition: a"), "x = \"AKIA*\"");
    assert_eq!(
        ok("  a: {x|re: 'evil$'}\n  condition: a"),
        "x = (\"*evil\" \"*evil\\n\")"
    );
    assert_eq!(refused("  a: {x|re: 'a.+b'}\n  condition: a"), "re");
    assert_eq!(refused("  a: {x|re: '[0-9]+'}\n  condition: a"), "re");
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
    assert_eq!(refused("  a: {x: 'ab?'}\n  condition: a"), "? wildcard");
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
