//! The simulated organisation: accounts, their resources, and the actors that produce
//! the benign background traffic.

use crate::identity::Identity;
use crate::rng::Rng;
use crate::stories;

/// Which behaviour an actor follows (see `noise::profile`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Profile {
    AppBackend,
    Lambda,
    Monitoring,
    Config,
    Ci,
    HumanCli,
    HumanConsole,
    SsmAgent,
    Service,
    Absent,
    Federated,
}

/// One source of background events.
pub(crate) struct Actor {
    pub id: Identity,
    pub profile: Profile,
    pub ips: Vec<String>,
    pub uas: Vec<&'static str>,
    /// Identities used on `ConsoleLogin` success / failure (console actors only).
    pub signin: Option<(Identity, Identity)>,
    /// Weight in the primary region; other regions use `weight_other`.
    pub weight: u32,
    pub weight_other: u32,
}

/// One AWS account and what lives in it.
pub(crate) struct Account {
    pub id: String,
    pub buckets: Vec<String>,
    pub secrets: Vec<String>,
    pub kms_keys: Vec<String>,
    pub instances: Vec<String>,
    pub functions: Vec<&'static str>,
    pub roles: Vec<&'static str>,
    pub trail: String,
    pub detector: String,
    pub vpce: String,
    pub vpc: String,
    pub subnet: String,
    pub sg: String,
    pub actors: Vec<Actor>,
    pub cum_primary: Vec<u32>,
    pub cum_other: Vec<u32>,
}

/// Everything the generators share.
pub(crate) struct Catalog {
    pub accounts: Vec<Account>,
    pub regions: Vec<String>,
}

pub(crate) const UA_CLI: [&str; 4] = [
    "aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off command/s3.cp",
    "aws-cli/2.13.25 Python/3.11.5 Linux/6.2.0-1014-aws exe/x86_64.ubuntu.22 prompt/off command/ec2.describe-instances",
    "aws-cli/2.15.17 Python/3.11.6 Windows/10 exe/AMD64 prompt/off command/sts.get-caller-identity",
    "aws-cli/2.14.6 Python/3.11.6 Darwin/22.6.0 exe/x86_64 prompt/off command/logs.filter-log-events",
];
pub(crate) const UA_BOTO: &str = "Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.209-198.858.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython exec-env/AWS_Lambda_python3.11 cfg/retry-mode#legacy Botocore/1.34.51";
pub(crate) const UA_BOTO_LAPTOP: &str = "Boto3/1.28.62 md/Botocore#1.31.62 ua/2.0 os/macos#23.3.0 md/arch#arm64 lang/python#3.11.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.62";
pub(crate) const UA_JAVA: &str = "aws-sdk-java/2.25.6 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_EC2 io/sync http/Apache cfg/retry-mode/legacy";
pub(crate) const UA_TERRAFORM: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.39.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.2 os/linux lang/go#1.21.8 md/GOOS#linux md/GOARCH#amd64";
pub(crate) const UA_GO: &str = "aws-sdk-go/1.50.8 (go1.21.6; linux; amd64) datadog-integration";
pub(crate) const UA_SSM: &str =
    "aws-sdk-go/1.44.260 (go1.20.11; linux; amd64) amazon-ssm-agent/3.2.2086.0";
pub(crate) const UA_CONSOLE: [&str; 3] = [
    "AWS Internal",
    "console.amazonaws.com",
    "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.199-168.748.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.372-b08 java/1.8.0_372 vendor/Oracle_Corporation cfg/retry-mode/standard]",
];
pub(crate) const UA_BROWSER: [&str; 3] = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Safari/605.1.15",
];

/// Human IAM users of the main account besides the story actors.
const OTHER_USERS: [&str; 21] = [
    "achen", "rpatel", "kmurphy", "lgarcia", "dkim", "snguyen", "jwilson", "mlopez", "tbrown",
    "ejohnson", "hmartin", "nwhite", "oclark", "plewis", "qyoung", "rwalker", "shall", "tallen",
    "vking", "wwright", "xscott",
];

const OFFICE_IPS: [&str; 3] = ["34.231.18.77", "34.231.18.78", "52.23.112.9"];

fn residential_ip(rng: &mut Rng) -> String {
    const FIRST: [u8; 6] = [73, 98, 24, 71, 108, 67];
    format!(
        "{}.{}.{}.{}",
        rng.pick(&FIRST),
        rng.range(1, 254),
        rng.range(1, 254),
        rng.range(2, 254)
    )
}

fn aws_ip(rng: &mut Rng) -> String {
    const FIRST: [u8; 4] = [3, 18, 44, 54];
    format!(
        "{}.{}.{}.{}",
        rng.pick(&FIRST),
        rng.range(1, 254),
        rng.range(1, 254),
        rng.range(2, 254)
    )
}

fn ids(rng: &mut Rng, prefix: &str, n: usize, len: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let mut s = prefix.to_string();
            rng.hex_into(&mut s, len);
            s
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn actor(
    id: Identity,
    profile: Profile,
    ips: Vec<String>,
    uas: Vec<&'static str>,
    weight: u32,
    weight_other: u32,
) -> Actor {
    Actor {
        id,
        profile,
        ips,
        uas,
        signin: None,
        weight,
        weight_other,
    }
}

/// All human user names of the main account (story actors first).
pub(crate) fn human_users() -> Vec<&'static str> {
    let mut v = stories::HUMAN_STORY_USERS.to_vec();
    v.extend_from_slice(&OTHER_USERS);
    v
}

fn machine_actors(rng: &mut Rng, acct: &str, prefix: &str, instances: &[String]) -> Vec<Actor> {
    let mut out = Vec::new();
    let app = format!("{prefix}app-backend");
    for inst in instances.iter().take(3) {
        let ips: Vec<String> = (0..2)
            .map(|_| format!("10.0.{}.{}", rng.range(1, 40), rng.range(4, 250)))
            .collect();
        out.push(actor(
            Identity::assumed_role(rng, acct, &app, "/", inst, None),
            Profile::AppBackend,
            ips,
            vec![UA_JAVA],
            70,
            25,
        ));
    }
    for (f, w) in [
        ("ingest-orders", 70),
        ("thumbnailer", 30),
        ("nightly-report", 8),
    ] {
        let role = format!("{prefix}{f}-role");
        out.push(actor(
            Identity::assumed_role(rng, acct, &role, "/service-role/", f, None),
            Profile::Lambda,
            vec![aws_ip(rng), aws_ip(rng)],
            vec![UA_BOTO],
            w,
            w / 3,
        ));
    }
    out.push(actor(
        Identity::assumed_role(
            rng,
            acct,
            "DatadogAWSIntegrationRole",
            "/",
            "DatadogAWSIntegration",
            None,
        ),
        Profile::Monitoring,
        vec![
            "44.192.28.120".into(),
            "44.192.28.121".into(),
            "3.233.144.17".into(),
        ],
        vec![UA_GO],
        120,
        120,
    ));
    out.push(actor(
        Identity::assumed_role(
            rng,
            acct,
            "AWSServiceRoleForConfig",
            "/aws-service-role/config.amazonaws.com/",
            "AWSConfig-Describe",
            Some("config.amazonaws.com"),
        ),
        Profile::Config,
        vec!["config.amazonaws.com".into()],
        vec!["config.amazonaws.com"],
        60,
        60,
    ));
    out.push(actor(
        Identity::assumed_role(
            rng,
            acct,
            "github-actions-deploy",
            "/",
            "GitHubActions",
            None,
        ),
        Profile::Ci,
        vec![
            "20.83.144.189".into(),
            "52.234.39.44".into(),
            "13.64.122.7".into(),
        ],
        vec![UA_TERRAFORM],
        60,
        10,
    ));
    for inst in instances.iter().skip(3) {
        out.push(actor(
            Identity::assumed_role(
                rng,
                acct,
                "AmazonSSMRoleForInstancesQuickSetup",
                "/",
                inst,
                None,
            ),
            Profile::SsmAgent,
            vec![format!("10.0.{}.{}", rng.range(1, 40), rng.range(4, 250))],
            vec![UA_SSM],
            12,
            12,
        ));
    }
    for svc in [
        "lambda.amazonaws.com",
        "ec2.amazonaws.com",
        "ecs-tasks.amazonaws.com",
        "cloudtrail.amazonaws.com",
    ] {
        out.push(actor(
            Identity::aws_service(svc),
            Profile::Service,
            vec![svc.into()],
            vec![svc],
            6,
            6,
        ));
    }
    out.push(actor(
        Identity::absent(acct, "secretsmanager.amazonaws.com"),
        Profile::Absent,
        vec!["secretsmanager.amazonaws.com".into()],
        vec!["secretsmanager.amazonaws.com"],
        2,
        1,
    ));
    out.push(actor(
        Identity::absent(acct, "AWS Internal"),
        Profile::Absent,
        vec!["AWS Internal".into()],
        vec!["AWS Internal"],
        1,
        1,
    ));
    out
}

fn cumulative(actors: &[Actor], other: bool) -> Vec<u32> {
    let mut acc = 0;
    actors
        .iter()
        .map(|a| {
            acc += if other { a.weight_other } else { a.weight };
            acc
        })
        .collect()
}

impl Catalog {
    /// Builds the organisation deterministically from `seed`.
    pub(crate) fn new(seed: u64, accounts: &[String], regions: &[String]) -> Catalog {
        let mut rng = Rng::derive(seed, u64::MAX, 1);
        let mut out = Vec::new();
        for (ai, acct) in accounts.iter().enumerate() {
            let main = ai == 0;
            let prefix = if main { "" } else { "stg-" };
            let env = if main { "prod" } else { "staging" };
            let mut buckets: Vec<String> = [
                "app-assets",
                "app-uploads",
                "logs-archive",
                "data-lake",
                "terraform-state",
                "web-static",
            ]
            .iter()
            .map(|b| format!("initech-{prefix}{b}"))
            .collect();
            if main {
                buckets.push(stories::EXFIL_BUCKETS[0].to_string());
            }
            let secrets = [
                "app/db-password",
                "app/stripe-api-key",
                "app/jwt-signing-key",
            ]
            .iter()
            .map(|s| format!("{env}/{s}"))
            .collect();
            let kms_keys = (0..3).map(|_| rng.uuid()).collect();
            let instances = ids(&mut rng, "i-0", 6, 16);
            let mut actors = machine_actors(&mut rng, acct, prefix, &instances);
            if main {
                for (rank, name) in human_users().into_iter().enumerate() {
                    let cli = Identity::iam_user(&mut rng, acct, name);
                    let console = cli.console_of(&mut rng);
                    let home = residential_ip(&mut rng);
                    let w = (400 / (rank as u32 + 4)).max(4);
                    let ua = *rng.pick(&UA_CLI);
                    let ips = vec![home.clone(), rng.pick(&OFFICE_IPS).to_string()];
                    let signin = (
                        cli.for_signin(),
                        Identity::failed_signin(acct, cli.principal.as_deref(), name),
                    );
                    actors.push(actor(
                        cli,
                        Profile::HumanCli,
                        ips.clone(),
                        vec![ua, UA_BOTO_LAPTOP],
                        w,
                        w / 5,
                    ));
                    let mut c = actor(
                        console,
                        Profile::HumanConsole,
                        ips,
                        UA_CONSOLE.to_vec(),
                        w * 2 / 3,
                        w / 8,
                    );
                    c.signin = Some(signin);
                    actors.push(c);
                }
                for name in ["okta-achen", "okta-rpatel", "okta-finance-ro"] {
                    actors.push(actor(
                        Identity::federated(&mut rng, acct, "okta-federation-broker", name),
                        Profile::Federated,
                        vec![residential_ip(&mut rng)],
                        vec![UA_BOTO_LAPTOP, UA_CONSOLE[1]],
                        8,
                        1,
                    ));
                }
            } else {
                for name in ["achen", "rpatel", "kmurphy", "dkim", "tbrown", "shall"] {
                    let id = Identity::assumed_role(
                        &mut rng,
                        acct,
                        "OrganizationAccountAccessRole",
                        "/",
                        name,
                        None,
                    );
                    actors.push(actor(
                        id,
                        Profile::HumanCli,
                        vec![residential_ip(&mut rng), OFFICE_IPS[0].to_string()],
                        vec![*rng.pick(&UA_CLI)],
                        14,
                        3,
                    ));
                }
            }
            let cum_primary = cumulative(&actors, false);
            let cum_other = cumulative(&actors, true);
            out.push(Account {
                id: acct.clone(),
                buckets,
                secrets,
                kms_keys,
                instances,
                functions: vec![
                    "ingest-orders",
                    "thumbnailer",
                    "nightly-report",
                    "slack-notifier",
                ],
                roles: vec![
                    "app-backend",
                    "ingest-orders-role",
                    "github-actions-deploy",
                    "DatadogAWSIntegrationRole",
                    "ReadOnlyAuditor",
                ],
                trail: format!("initech-{prefix}org-trail"),
                detector: rng.hex(32),
                vpce: format!("vpce-0{}", rng.hex(16)),
                vpc: format!("vpc-0{}", rng.hex(16)),
                subnet: format!("subnet-0{}", rng.hex(16)),
                sg: format!("sg-0{}", rng.hex(16)),
                actors,
                cum_primary,
                cum_other,
            });
        }
        Catalog {
            accounts: out,
            regions: regions.to_vec(),
        }
    }

    /// The main account's IAM user (CLI identity) named `name`.
    pub(crate) fn user(&self, name: &str) -> &Actor {
        self.accounts[0]
            .actors
            .iter()
            .find(|a| a.profile == Profile::HumanCli && a.id.user_name.as_deref() == Some(name))
            .expect("story user exists in the catalog")
    }
}
