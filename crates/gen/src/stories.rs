//! Names and sizes of the planted attack stories.
//!
//! Every story is planted whenever `events >= MIN_EVENTS`, in the **main account**
//! (`accounts[0]`, by default [`MAIN_ACCOUNT`]) and the first region (`us-east-1`), at a
//! fixed fraction of the time span (the `*_AT_PERMILLE` constants: `start + span * p / 1000`).
//! ARNs below assume the default accounts. Story events count toward `events`. Tests should
//! recompute the ground truth by reading the files back; these constants say what to look for.
//! Story source IPs never appear in the background traffic, and the story event names
//! marked "story only" below are never produced by it either.

/// The main account (first of `GenerateOptions::accounts` by default).
pub const MAIN_ACCOUNT: &str = "798029671665";
/// The second (staging) account.
pub const SECOND_ACCOUNT: &str = "271349850264";
/// Stories (and the Insights file) are planted only at or above this many events.
pub const MIN_EVENTS: u64 = 1_000;

/// IAM users of the main account that take part in stories (they also produce benign
/// background traffic from their usual IPs).
pub const HUMAN_STORY_USERS: [&str; 9] = [
    EXFIL_USER,
    EXFIL_COLLEAGUES[0],
    EXFIL_COLLEAGUES[1],
    BRUTE_FORCE_USER,
    TAMPER_USER,
    SUSPICIOUS_UA_USER,
    ASSUME_USER,
    PERSIST_USER,
    DISCOVERY_USER,
];

// ---- 1. S3 exfiltration -------------------------------------------------------------

/// The exfiltrating insider.
pub const EXFIL_USER: &str = "pgibbons";
/// Their ARN.
pub const EXFIL_ARN: &str = "arn:aws:iam::798029671665:user/pgibbons";
/// The buckets pgibbons drains (GetObject split about 50/30/20 between them).
pub const EXFIL_BUCKETS: [&str; 3] = [
    "initech-finance-reports",
    "initech-payroll-exports",
    "initech-customer-db-backups",
];
/// Colleagues who read a few small objects from `EXFIL_BUCKETS[0]` and get `AccessDenied`
/// (errorMessage "Access Denied") on `EXFIL_BUCKETS[1]`.
pub const EXFIL_COLLEAGUES: [&str; 2] = ["mbolton", "samirn"];
/// Successful small GetObject calls per colleague on `EXFIL_BUCKETS[0]`.
pub const EXFIL_COLLEAGUE_GETS: [u64; 2] = [6, 5];
/// AccessDenied GetObject calls per colleague on `EXFIL_BUCKETS[1]`.
pub const EXFIL_COLLEAGUE_DENIED: [u64; 2] = [4, 3];
/// Source IP of the exfiltration.
pub const EXFIL_IP: &str = "98.42.117.203";
/// User agent of the exfiltration.
pub const EXFIL_USER_AGENT: &str =
    "aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off command/s3.sync";
/// Every exfiltration GetObject moves at least this many bytes (`bytesTransferredOut`);
/// background GetObject calls move at most 5,000,000.
pub const EXFIL_MIN_BYTES_OUT: u64 = 20_000_000;
/// Start of the exfiltration (per mille of the span); it lasts `min(40 min, span / 10)`.
pub const EXFIL_AT_PERMILLE: i64 = 580;

/// Number of exfiltration GetObject calls for a run of `events` events:
/// `clamp(events / 250, 150, 4000)`. pgibbons also calls ListBuckets once and
/// ListObjects once per bucket just before.
pub fn exfil_get_count(events: u64) -> u64 {
    (events / 250).clamp(150, 4_000)
}

// ---- 2. Console brute force ---------------------------------------------------------

/// The user whose console password is brute-forced.
pub const BRUTE_FORCE_USER: &str = "blumbergh";
/// The attacker's IP.
pub const BRUTE_FORCE_IP: &str = "185.220.101.47";
/// Browser user agent of the attacker.
pub const BRUTE_FORCE_USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0";
/// ConsoleLogin failures against `BRUTE_FORCE_USER` (errorMessage "Failed authentication",
/// responseElements.ConsoleLogin "Failure", no userIdentity.arn), about 8 s apart.
pub const BRUTE_FORCE_FAILURES: u64 = 30;
/// Failures just before, for non-existent user names
/// (`userName: HIDDEN_DUE_TO_SECURITY_REASONS`).
pub const BRUTE_FORCE_HIDDEN_FAILURES: u64 = 5;
/// Then exactly one successful ConsoleLogin (MFAUsed "No") from the same IP.
pub const BRUTE_FORCE_SUCCESSES: u64 = 1;
/// Start (per mille of the span).
pub const BRUTE_FORCE_AT_PERMILLE: i64 = 130;

// ---- 3. Trail and GuardDuty tampering -----------------------------------------------

/// The compromised user.
pub const TAMPER_USER: &str = "mwaddams";
/// Their ARN.
pub const TAMPER_ARN: &str = "arn:aws:iam::798029671665:user/mwaddams";
/// Source IP.
pub const TAMPER_IP: &str = "45.134.26.93";
/// The trail stopped, updated, then deleted.
pub const TAMPER_TRAIL: &str = "initech-org-trail";
/// Story-only events, in order, in the first region: DescribeTrails and GetTrailStatus
/// (recon, not story-only) come first; then StopLogging, UpdateTrail
/// (isMultiRegionTrail false), DeleteTrail, ListDetectors, UpdateDetector (`enable:false`),
/// DeleteDetector; then ListDetectors and DeleteDetector again in the second region.
pub const TAMPER_EVENTS: [&str; 5] = [
    "StopLogging",
    "UpdateTrail",
    "DeleteTrail",
    "UpdateDetector",
    "DeleteDetector",
];
/// Total events of the story (2 recon + 3 trail + 3 GuardDuty + 2 in the second region;
/// 8 when there is a single region).
pub const TAMPER_TOTAL: u64 = 10;
/// Start (per mille of the span).
pub const TAMPER_AT_PERMILLE: i64 = 720;

// ---- 4. Root console login ----------------------------------------------------------

/// The root ARN of the main account.
pub const ROOT_ARN: &str = "arn:aws:iam::798029671665:root";
/// Where root signs in from.
pub const ROOT_IP: &str = "103.251.167.20";
/// One ConsoleLogin (Success, MFAUsed "No") then these console calls as Root.
pub const ROOT_FOLLOWUP_EVENTS: [&str; 3] = ["GetAccountSummary", "ListUsers", "ListAccessKeys"];
/// Start (per mille of the span). Root never appears in the background traffic.
pub const ROOT_AT_PERMILLE: i64 = 310;

// ---- 5. Suspicious user agents ------------------------------------------------------

/// Whose leaked access key is used from offensive distributions.
pub const SUSPICIOUS_UA_USER: &str = "tsmykowski";
/// Source IP.
pub const SUSPICIOUS_UA_IP: &str = "91.219.236.166";
/// The user agents (containing `kali`, `parrot`, `pentoo`, `PowerShell`).
pub const SUSPICIOUS_USER_AGENTS: [&str; 4] = [
    "aws-cli/1.16.312 Python/3.8.2 Linux/5.5.0-kali2-amd64 botocore/1.13.48",
    "aws-cli/1.18.69 Python/3.9.2 Linux/5.10.0-parrot1-amd64 botocore/1.16.19",
    "Boto3/1.9.201 Python/3.7.4 Linux/5.4.6-pentoo Botocore/1.12.201",
    "AWSPowerShell.Common/4.1.14.0 .NET_Runtime/4.0 .NET_Framework/4.0 OS/Microsoft_Windows_NT_10.0.19045.0 WindowsPowerShell/5.1 ClientSync Get-STSCallerIdentity",
];
/// Calls per user agent: GetCallerIdentity, ListBuckets, DescribeInstances.
pub const SUSPICIOUS_UA_CALLS_EACH: u64 = 3;
/// Start (per mille of the span).
pub const SUSPICIOUS_UA_AT_PERMILLE: i64 = 450;

// ---- 6. Secrets spree ---------------------------------------------------------------

/// The role session that reads every secret.
pub const SECRETS_ARN: &str =
    "arn:aws:sts::798029671665:assumed-role/jenkins-build/jenkins-agent-7";
/// Source IP.
pub const SECRETS_IP: &str = "5.188.10.179";
/// Distinct secrets read with GetSecretValue, one every ~4 s (after one ListSecrets).
/// Background identities read at most 3 distinct secrets.
pub const SECRETS_DISTINCT: u64 = 40;
/// Start (per mille of the span).
pub const SECRETS_AT_PERMILLE: i64 = 840;

/// The secret names of the spree (`prod/<system>/<kind>`).
pub fn secret_names() -> Vec<String> {
    const SYSTEMS: [&str; 10] = [
        "payments",
        "billing",
        "crm",
        "hr-portal",
        "warehouse",
        "analytics",
        "auth",
        "search",
        "mobile-api",
        "partner-api",
    ];
    const KINDS: [&str; 4] = [
        "db-password",
        "api-key",
        "oauth-client-secret",
        "signing-key",
    ];
    let mut v = Vec::new();
    for s in SYSTEMS {
        for k in KINDS {
            v.push(format!("prod/{s}/{k}"));
        }
    }
    v
}

// ---- 7. AssumeRole denials ----------------------------------------------------------

/// The user enumerating roles.
pub const ASSUME_USER: &str = "dportwood";
/// Their ARN.
pub const ASSUME_ARN: &str = "arn:aws:iam::798029671665:user/dportwood";
/// Source IP.
pub const ASSUME_IP: &str = "194.26.29.113";
/// Failed AssumeRole calls (errorCode AccessDenied), about 20 s apart.
pub const ASSUME_DENIALS: u64 = 18;
/// Role names tried (cycled; the first in the second account, the rest in the main one).
pub const ASSUME_ROLE_NAMES: [&str; 12] = [
    "OrganizationAccountAccessRole",
    "admin",
    "Administrator",
    "AWSControlTowerExecution",
    "prod-admin",
    "breakglass",
    "terraform-admin",
    "security-audit",
    "billing-admin",
    "root-access",
    "devops",
    "eks-cluster-admin",
];
/// Start (per mille of the span).
pub const ASSUME_AT_PERMILLE: i64 = 380;

// ---- 8. IAM persistence -------------------------------------------------------------

/// The attacker identity.
pub const PERSIST_USER: &str = "bslydell";
/// Its ARN.
pub const PERSIST_ARN: &str = "arn:aws:iam::798029671665:user/bslydell";
/// Source IP.
pub const PERSIST_IP: &str = "176.111.174.89";
/// The backdoor user created.
pub const PERSIST_NEW_USER: &str = "svc-backup-admin";
/// The policy attached to it.
pub const PERSIST_POLICY_ARN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
/// Story-only events, in order, one each, about a minute apart.
pub const PERSIST_EVENTS: [&str; 4] = [
    "CreateUser",
    "CreateAccessKey",
    "AttachUserPolicy",
    "CreateLoginProfile",
];
/// Start (per mille of the span).
pub const PERSIST_AT_PERMILLE: i64 = 650;

// ---- 9. Discovery burst -------------------------------------------------------------

/// The identity doing reconnaissance.
pub const DISCOVERY_USER: &str = "jlawrence";
/// Its ARN.
pub const DISCOVERY_ARN: &str = "arn:aws:iam::798029671665:user/jlawrence";
/// Source IP.
pub const DISCOVERY_IP: &str = "138.199.59.221";
/// User agent (boto3, as Pacu-style tools use).
pub const DISCOVERY_USER_AGENT: &str =
    "Boto3/1.26.165 Python/3.10.6 Linux/5.19.0-46-generic Botocore/1.29.165";
/// Each called once, in this order, about 7 s apart (so 28 calls in ~3 minutes);
/// ListAccounts, GetAccountAuthorizationDetails and DescribeParameters fail with AccessDenied.
pub const DISCOVERY_EVENT_NAMES: [&str; 28] = [
    "GetCallerIdentity",
    "ListBuckets",
    "DescribeInstances",
    "ListUsers",
    "ListRoles",
    "GetAccountAuthorizationDetails",
    "ListGroups",
    "ListPolicies",
    "ListAccessKeys",
    "ListAttachedUserPolicies",
    "GetAccountSummary",
    "GetAccountPasswordPolicy",
    "DescribeSecurityGroups",
    "DescribeVpcs",
    "DescribeSubnets",
    "DescribeRegions",
    "DescribeSnapshots",
    "ListSecrets",
    "DescribeDBInstances",
    "ListFunctions20150331",
    "DescribeTrails",
    "ListDetectors",
    "ListKeys",
    "DescribeParameters",
    "DescribeOrganization",
    "ListAccounts",
    "DescribeLogGroups",
    "ListTopics",
];
/// Start (per mille of the span).
pub const DISCOVERY_AT_PERMILLE: i64 = 220;

// ---- Insights -----------------------------------------------------------------------

/// Two `AwsCloudTrailInsight` records (Start/End, ApiErrorRateInsight on sts AssumeRole)
/// are written to one `CloudTrail-Insight` file of the main account when stories are
/// planted; they count toward `events`.
pub const INSIGHT_RECORDS: u64 = 2;
