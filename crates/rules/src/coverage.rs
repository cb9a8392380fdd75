//! Which attack techniques a folder of rules covers: the AWS techniques of the
//! Stratus Red Team catalogue and the ATT&CK techniques the rules are tagged with,
//! written as the Markdown of `docs/COVERAGE.md` ([`coverage_markdown`]).
//!
//! A rule says which Stratus technique it detects with a free-form tag
//! `stratus.<technique id>` (`stratus.aws.defense-evasion.cloudtrail-stop`); a
//! rule names one behaviour, so a technique is covered by the rules that tag it,
//! never by a broad rule that happens to match too.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use trailhunt_lang::ast::{FieldValue, Filter, FilterKind, Op};

use crate::Rule;
use crate::mitre::{FORMER_TACTIC_NAMES, TACTIC_ORDER, tactic_rank};

/// One AWS technique of the Stratus Red Team catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StratusTechnique {
    /// `aws.defense-evasion.cloudtrail-stop`.
    pub id: &'static str,
    /// The catalogue's name, `Stop CloudTrail Trail`.
    pub name: &'static str,
    /// The ATT&CK tactic the catalogue files it under (its first), `TA0005`.
    pub tactic: &'static str,
}

const fn t(id: &'static str, name: &'static str, tactic: &'static str) -> StratusTechnique {
    StratusTechnique { id, name, tactic }
}

/// The AWS techniques of Stratus Red Team's public documentation
/// (<https://stratus-red-team.cloud/attack-techniques/AWS/>), each under the
/// tactic its page names first; the two Bedrock defense-evasion techniques are
/// documented on their own pages. Tactic ids are ATT&CK's (`TA0005` is Defense
/// Evasion, which ATT&CK v19 calls Stealth).
pub const STRATUS_AWS: &[StratusTechnique] = &[
    t(
        "aws.initial-access.console-login-without-mfa",
        "Console Login without MFA",
        "TA0001",
    ),
    t(
        "aws.execution.ec2-launch-unusual-instances",
        "Launch Unusual EC2 instances",
        "TA0002",
    ),
    t(
        "aws.execution.ec2-user-data",
        "Execute Commands on EC2 Instance via User Data",
        "TA0002",
    ),
    t(
        "aws.execution.sagemaker-update-lifecycle-config",
        "Execute Commands on SageMaker Notebook Instance via Lifecycle Configuration",
        "TA0002",
    ),
    t(
        "aws.execution.ssm-send-command",
        "Usage of ssm:SendCommand on multiple instances",
        "TA0002",
    ),
    t(
        "aws.execution.ssm-start-session",
        "Usage of ssm:StartSession on multiple instances",
        "TA0002",
    ),
    t(
        "aws.persistence.iam-backdoor-role",
        "Backdoor an IAM Role",
        "TA0003",
    ),
    t(
        "aws.persistence.iam-backdoor-user",
        "Create an Access Key on an IAM User",
        "TA0003",
    ),
    t(
        "aws.persistence.iam-create-admin-user",
        "Create an administrative IAM User",
        "TA0003",
    ),
    t(
        "aws.persistence.iam-create-backdoor-role",
        "Create a backdoored IAM Role",
        "TA0003",
    ),
    t(
        "aws.persistence.iam-create-user-login-profile",
        "Create a Login Profile on an IAM User",
        "TA0003",
    ),
    t(
        "aws.persistence.lambda-backdoor-function",
        "Backdoor Lambda Function Through Resource-Based Policy",
        "TA0003",
    ),
    t(
        "aws.persistence.lambda-layer-extension",
        "Add a Malicious Lambda Extension",
        "TA0003",
    ),
    t(
        "aws.persistence.lambda-overwrite-code",
        "Overwrite Lambda Function Code",
        "TA0003",
    ),
    t(
        "aws.persistence.rolesanywhere-create-trust-anchor",
        "Create an IAM Roles Anywhere trust anchor",
        "TA0003",
    ),
    t(
        "aws.persistence.sts-federation-token",
        "Generate temporary AWS credentials using GetFederationToken",
        "TA0003",
    ),
    t(
        "aws.privilege-escalation.iam-update-user-login-profile",
        "Change IAM user password",
        "TA0004",
    ),
    t(
        "aws.defense-evasion.bedrock-guardrail-delete",
        "Delete Bedrock Guardrail",
        "TA0005",
    ),
    t(
        "aws.defense-evasion.bedrock-model-invocation-logging-delete",
        "Delete Bedrock Model Invocation Logging",
        "TA0005",
    ),
    t(
        "aws.defense-evasion.cloudtrail-delete",
        "Delete CloudTrail Trail",
        "TA0005",
    ),
    t(
        "aws.defense-evasion.cloudtrail-event-selectors",
        "Disable CloudTrail Logging Through Event Selectors",
        "TA0005",
    ),
    t(
        "aws.defense-evasion.cloudtrail-lifecycle-rule",
        "CloudTrail Logs Impairment Through S3 Lifecycle Rule",
        "TA0005",
    ),
    t(
        "aws.defense-evasion.cloudtrail-stop",
        "Stop CloudTrail Trail",
        "TA0005",
    ),
    t(
        "aws.defense-evasion.dns-delete-logs",
        "Delete DNS query logs",
        "TA0005",
    ),
    t(
        "aws.defense-evasion.organizations-leave",
        "Attempt to Leave the AWS Organization",
        "TA0005",
    ),
    t(
        "aws.defense-evasion.vpc-remove-flow-logs",
        "Remove VPC Flow Logs",
        "TA0005",
    ),
    t(
        "aws.credential-access.ec2-get-password-data",
        "Retrieve EC2 Password Data",
        "TA0006",
    ),
    t(
        "aws.credential-access.ec2-steal-instance-credentials",
        "Steal EC2 Instance Credentials",
        "TA0006",
    ),
    t(
        "aws.credential-access.secretsmanager-batch-retrieve-secrets",
        "Retrieve a High Number of Secrets Manager secrets (Batch)",
        "TA0006",
    ),
    t(
        "aws.credential-access.secretsmanager-retrieve-secrets",
        "Retrieve a High Number of Secrets Manager secrets",
        "TA0006",
    ),
    t(
        "aws.credential-access.ssm-retrieve-securestring-parameters",
        "Retrieve And Decrypt SSM Parameters",
        "TA0006",
    ),
    t(
        "aws.discovery.ec2-enumerate-from-instance",
        "Execute Discovery Commands on an EC2 Instance",
        "TA0007",
    ),
    t(
        "aws.discovery.ec2-download-user-data",
        "Download EC2 Instance User Data",
        "TA0007",
    ),
    t("aws.discovery.ses-enumerate", "Enumerate SES", "TA0007"),
    t(
        "aws.lateral-movement.ec2-serial-console-send-ssh-public-key",
        "Usage of EC2 Serial Console to push SSH public key",
        "TA0008",
    ),
    t(
        "aws.lateral-movement.ec2-instance-connect",
        "Usage of EC2 Instance Connect on multiple instances",
        "TA0008",
    ),
    t(
        "aws.exfiltration.ec2-security-group-open-port-22-ingress",
        "Open Ingress Port 22 on a Security Group",
        "TA0010",
    ),
    t(
        "aws.exfiltration.ec2-share-ami",
        "Exfiltrate an AMI by Sharing It",
        "TA0010",
    ),
    t(
        "aws.exfiltration.ec2-share-ebs-snapshot",
        "Exfiltrate EBS Snapshot by Sharing It",
        "TA0010",
    ),
    t(
        "aws.exfiltration.rds-share-snapshot",
        "Exfiltrate RDS Snapshot by Sharing",
        "TA0010",
    ),
    t(
        "aws.exfiltration.s3-backdoor-bucket-policy",
        "Backdoor an S3 Bucket via its Bucket Policy",
        "TA0010",
    ),
    t(
        "aws.impact.bedrock-invoke-model",
        "Invoke Bedrock Model",
        "TA0040",
    ),
    t(
        "aws.impact.ec2-deregister-ami",
        "Deregister an Amazon EC2 AMI",
        "TA0040",
    ),
    t(
        "aws.impact.s3-ransomware-batch-deletion",
        "S3 Ransomware through batch file deletion",
        "TA0040",
    ),
    t(
        "aws.impact.s3-ransomware-client-side-encryption",
        "S3 Ransomware through client-side encryption",
        "TA0040",
    ),
    t(
        "aws.impact.s3-ransomware-individual-deletion",
        "S3 Ransomware through individual file deletion",
        "TA0040",
    ),
];

/// The prefix of the tag naming a Stratus technique.
pub const STRATUS_TAG: &str = "stratus.";

/// The Stratus technique ids a rule's `stratus.…` tags name.
pub fn stratus_ids(rule: &Rule) -> Vec<&str> {
    rule.tags
        .iter()
        .filter_map(|t| t.trim().strip_prefix(STRATUS_TAG))
        .collect()
}

/// The AWS services a rule's query names in `eventSource = …` tests
/// (`cloudtrail` for `cloudtrail.amazonaws.com`); empty when it names none.
pub fn services(rule: &Rule) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Ok(q) = trailhunt_lang::parse_query(&rule.query_text) {
        collect_sources(&q.filter, &mut out);
    }
    out
}

fn collect_sources(f: &Filter, out: &mut BTreeSet<String>) {
    match &f.kind {
        FilterKind::And(items) | FilterKind::Or(items) => {
            items.iter().for_each(|i| collect_sources(i, out))
        }
        // A negated source is not what the rule is about.
        FilterKind::Not(_) | FilterKind::MatchAll | FilterKind::Text(_) => {}
        FilterKind::Field(ff) => {
            if ff.path.dotted().as_deref() != Some("eventSource")
                || !matches!(ff.op, Op::Eq | Op::Contains)
            {
                return;
            }
            let values = match &ff.value {
                FieldValue::Value(v) => vec![v.text()],
                FieldValue::List(l) => l.values.iter().map(|v| v.text()).collect(),
                _ => Vec::new(),
            };
            for v in values {
                out.insert(v.trim_end_matches(".amazonaws.com").to_string());
            }
        }
    }
}

/// The tactic's current name, and its former one when it was renamed
/// (`stealth (defense evasion)`).
fn tactic_name(id: &str) -> String {
    let name = TACTIC_ORDER
        .iter()
        .find(|(t, _)| *t == id)
        .map_or(id.to_string(), |(_, n)| n.replace('_', " "));
    match FORMER_TACTIC_NAMES.iter().find(|(t, _)| *t == id) {
        Some((_, former)) => format!("{name} ({})", former.replace('_', " ")),
        None => name,
    }
}

fn rule_link(rule: &Rule, root: &Path) -> String {
    let rel = rule.path.strip_prefix(root).unwrap_or(&rule.path);
    format!(
        "[{}](../rules/{})",
        rule.name.replace('|', "\\|"),
        rel.display().to_string().replace('\\', "/")
    )
}

/// `docs/COVERAGE.md` for the rules loaded from `root`: every Stratus AWS
/// technique with the rules tagged for it, every ATT&CK technique the rules
/// are tagged with, and the counts of rules per tactic and per AWS service.
pub fn coverage_markdown(rules: &[Rule], root: &Path) -> String {
    let mut rules: Vec<&Rule> = rules.iter().collect();
    rules.sort_by(|a, b| a.path.cmp(&b.path));
    let mut md = String::new();
    let _ = writeln!(md, "# Coverage of the rule library\n");
    let _ = writeln!(
        md,
        "Generated from the rule files by `trailhunt rules coverage rules/ > docs/COVERAGE.md`;\n\
         `crates/rules/tests/library.rs` fails when this file is stale. Do not edit it by hand.\n"
    );
    let mut by_stratus: BTreeMap<&str, Vec<&Rule>> = BTreeMap::new();
    for r in &rules {
        for id in stratus_ids(r) {
            by_stratus.entry(id).or_default().push(r);
        }
    }
    let covered = STRATUS_AWS
        .iter()
        .filter(|t| by_stratus.contains_key(t.id))
        .count();
    let _ = writeln!(
        md,
        "{} rules. {covered} of the {} AWS techniques of Stratus Red Team's catalogue have a rule.\n",
        rules.len(),
        STRATUS_AWS.len()
    );
    let _ = writeln!(md, "## Stratus Red Team AWS techniques\n");
    let _ = writeln!(
        md,
        "A rule covers a technique when it carries the tag `stratus.<technique id>` and the\n\
         technique's tactic. Source: <https://stratus-red-team.cloud/attack-techniques/AWS/>.\n"
    );
    let _ = writeln!(md, "| technique | name | tactic | rules |");
    let _ = writeln!(md, "|---|---|---|---|");
    for t in STRATUS_AWS {
        let cell = match by_stratus.get(t.id) {
            Some(rs) => rs
                .iter()
                .map(|r| rule_link(r, root))
                .collect::<Vec<_>>()
                .join("<br>"),
            None => "**none**".to_string(),
        };
        let _ = writeln!(
            md,
            "| `{}` | {} | {} {} | {cell} |",
            t.id,
            t.name,
            t.tactic,
            tactic_name(t.tactic)
        );
    }
    let unknown: BTreeSet<&str> = by_stratus
        .keys()
        .filter(|id| !STRATUS_AWS.iter().any(|t| t.id == **id))
        .copied()
        .collect();
    if !unknown.is_empty() {
        let _ = writeln!(
            md,
            "\nTags naming no technique of the catalogue: {}.",
            unknown
                .iter()
                .map(|u| format!("`{STRATUS_TAG}{u}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    let _ = writeln!(md, "\n## ATT&CK techniques\n");
    let _ = writeln!(md, "| technique | rules |");
    let _ = writeln!(md, "|---|---|");
    let mut by_technique: BTreeMap<String, Vec<&Rule>> = BTreeMap::new();
    for r in &rules {
        let ids: BTreeSet<&str> = r.mitre.techniques.iter().map(|t| t.id.as_str()).collect();
        for id in ids {
            by_technique.entry(id.to_string()).or_default().push(r);
        }
    }
    for (id, rs) in &by_technique {
        let _ = writeln!(
            md,
            "| [{id}](https://attack.mitre.org/techniques/{}/) | {} |",
            id.replace('.', "/"),
            rs.iter()
                .map(|r| rule_link(r, root))
                .collect::<Vec<_>>()
                .join("<br>")
        );
    }

    let _ = writeln!(md, "\n## Rules per tactic\n");
    let _ = writeln!(
        md,
        "By the rule's first tactic tag (its folder); a rule with several tactics counts once.\n"
    );
    let _ = writeln!(md, "| tactic | rules |");
    let _ = writeln!(md, "|---|---|");
    let mut per_tactic: BTreeMap<(usize, String), usize> = BTreeMap::new();
    for r in &rules {
        if let Some(t) = r.mitre.tactics.first() {
            let key = (tactic_rank(&t.id).unwrap_or(usize::MAX), t.id.clone());
            *per_tactic.entry(key).or_default() += 1;
        }
    }
    for ((_, id), n) in &per_tactic {
        let _ = writeln!(md, "| {id} {} | {n} |", tactic_name(id));
    }

    let _ = writeln!(md, "\n## Rules per AWS service\n");
    let _ = writeln!(
        md,
        "By the `eventSource` the query names (a rule naming two services counts under both;\n\
         \"any\" is a rule that names none).\n"
    );
    let _ = writeln!(md, "| service | rules |");
    let _ = writeln!(md, "|---|---|");
    let mut per_service: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rules {
        let s = services(r);
        if s.is_empty() {
            *per_service.entry("any".to_string()).or_default() += 1;
        }
        for s in s {
            *per_service.entry(s).or_default() += 1;
        }
    }
    for (s, n) in &per_service {
        let _ = writeln!(md, "| {s} | {n} |");
    }
    md
}
