//! Benign background traffic: weighted actors calling weighted APIs.

use crate::api::{self, S3Obj};
use crate::catalog::{Account, Actor, Catalog, Profile};
use crate::json::W;
use crate::record::{self, Ev, ReqId};
use crate::rng::Rng;

/// Background API calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Api {
    S3Get,
    S3Put,
    S3Head,
    S3List,
    S3ListBuckets,
    S3Acl,
    S3Policy,
    Ec2DescInstances,
    Ec2DescSg,
    Ec2DescVolumes,
    Ec2DescVpcs,
    Ec2DescSubnets,
    Ec2Run,
    Ec2Tags,
    IamGetRole,
    IamListRolePolicies,
    IamListAttached,
    IamGetPolicy,
    IamGetUser,
    IamListRoles,
    StsAssume,
    StsCaller,
    KmsDecrypt,
    KmsDataKey,
    KmsDescribe,
    KmsList,
    SmGet,
    SmDescribe,
    SsmGetParam,
    SsmUpdateInfo,
    SsmListAssoc,
    SsmStartSession,
    LambdaList,
    LambdaGet,
    LambdaUpdate,
    LogsCreateStream,
    LogsDescGroups,
    LogsFilter,
    RdsDescInstances,
    RdsDescClusters,
    CtDescTrails,
    CtStatus,
    CtLookup,
    GdList,
    GdListFindings,
    GdGetFindings,
    OrgDescribe,
    ConfigPutEval,
    CwGetMetricData,
    TagGetResources,
    HealthAgg,
    ConsoleLogin,
    SvcAssume,
    SvcEvent,
}

use Api::*;

impl Api {
    /// `(eventSource, eventName, global)`.
    fn meta(self) -> (&'static str, &'static str, bool) {
        match self {
            S3Get => ("s3.amazonaws.com", "GetObject", false),
            S3Put => ("s3.amazonaws.com", "PutObject", false),
            S3Head => ("s3.amazonaws.com", "HeadObject", false),
            S3List => ("s3.amazonaws.com", "ListObjects", false),
            S3ListBuckets => ("s3.amazonaws.com", "ListBuckets", false),
            S3Acl => ("s3.amazonaws.com", "GetBucketAcl", false),
            S3Policy => ("s3.amazonaws.com", "GetBucketPolicy", false),
            Ec2DescInstances => ("ec2.amazonaws.com", "DescribeInstances", false),
            Ec2DescSg => ("ec2.amazonaws.com", "DescribeSecurityGroups", false),
            Ec2DescVolumes => ("ec2.amazonaws.com", "DescribeVolumes", false),
            Ec2DescVpcs => ("ec2.amazonaws.com", "DescribeVpcs", false),
            Ec2DescSubnets => ("ec2.amazonaws.com", "DescribeSubnets", false),
            Ec2Run => ("ec2.amazonaws.com", "RunInstances", false),
            Ec2Tags => ("ec2.amazonaws.com", "CreateTags", false),
            IamGetRole => ("iam.amazonaws.com", "GetRole", true),
            IamListRolePolicies => ("iam.amazonaws.com", "ListRolePolicies", true),
            IamListAttached => ("iam.amazonaws.com", "ListAttachedRolePolicies", true),
            IamGetPolicy => ("iam.amazonaws.com", "GetPolicy", true),
            IamGetUser => ("iam.amazonaws.com", "GetUser", true),
            IamListRoles => ("iam.amazonaws.com", "ListRoles", true),
            StsAssume | SvcAssume => ("sts.amazonaws.com", "AssumeRole", false),
            StsCaller => ("sts.amazonaws.com", "GetCallerIdentity", false),
            KmsDecrypt => ("kms.amazonaws.com", "Decrypt", false),
            KmsDataKey => ("kms.amazonaws.com", "GenerateDataKey", false),
            KmsDescribe => ("kms.amazonaws.com", "DescribeKey", false),
            KmsList => ("kms.amazonaws.com", "ListKeys", false),
            SmGet => ("secretsmanager.amazonaws.com", "GetSecretValue", false),
            SmDescribe => ("secretsmanager.amazonaws.com", "DescribeSecret", false),
            SsmGetParam => ("ssm.amazonaws.com", "GetParameter", false),
            SsmUpdateInfo => ("ssm.amazonaws.com", "UpdateInstanceInformation", false),
            SsmListAssoc => ("ssm.amazonaws.com", "ListInstanceAssociations", false),
            SsmStartSession => ("ssm.amazonaws.com", "StartSession", false),
            LambdaList => ("lambda.amazonaws.com", "ListFunctions20150331", false),
            LambdaGet => ("lambda.amazonaws.com", "GetFunction20150331v2", false),
            LambdaUpdate => (
                "lambda.amazonaws.com",
                "UpdateFunctionCode20150331v2",
                false,
            ),
            LogsCreateStream => ("logs.amazonaws.com", "CreateLogStream", false),
            LogsDescGroups => ("logs.amazonaws.com", "DescribeLogGroups", false),
            LogsFilter => ("logs.amazonaws.com", "FilterLogEvents", false),
            RdsDescInstances => ("rds.amazonaws.com", "DescribeDBInstances", false),
            RdsDescClusters => ("rds.amazonaws.com", "DescribeDBClusters", false),
            CtDescTrails => ("cloudtrail.amazonaws.com", "DescribeTrails", false),
            CtStatus => ("cloudtrail.amazonaws.com", "GetTrailStatus", false),
            CtLookup => ("cloudtrail.amazonaws.com", "LookupEvents", false),
            GdList => ("guardduty.amazonaws.com", "ListDetectors", false),
            GdListFindings => ("guardduty.amazonaws.com", "ListFindings", false),
            GdGetFindings => ("guardduty.amazonaws.com", "GetFindings", false),
            OrgDescribe => ("organizations.amazonaws.com", "DescribeOrganization", true),
            ConfigPutEval => ("config.amazonaws.com", "PutEvaluations", false),
            CwGetMetricData => ("monitoring.amazonaws.com", "GetMetricData", false),
            TagGetResources => ("tagging.amazonaws.com", "GetResources", false),
            HealthAgg => ("health.amazonaws.com", "DescribeEventAggregates", true),
            ConsoleLogin => ("signin.amazonaws.com", "ConsoleLogin", true),
            SvcEvent => ("secretsmanager.amazonaws.com", "RotationSucceeded", false),
        }
    }
}

/// What each kind of actor calls, with integer weights.
fn profile(p: Profile) -> &'static [(Api, u32)] {
    match p {
        Profile::AppBackend => &[
            (S3Get, 30),
            (S3Put, 10),
            (S3Head, 8),
            (KmsDecrypt, 20),
            (KmsDataKey, 8),
            (SmGet, 6),
            (SsmGetParam, 6),
        ],
        Profile::Lambda => &[
            (S3Put, 20),
            (S3Get, 15),
            (KmsDecrypt, 10),
            (KmsDataKey, 4),
            (SsmGetParam, 5),
            (SmGet, 3),
            (LogsCreateStream, 4),
        ],
        Profile::Monitoring => &[
            (CwGetMetricData, 30),
            (Ec2DescInstances, 10),
            (Ec2DescSg, 5),
            (Ec2DescVolumes, 5),
            (Ec2DescVpcs, 3),
            (Ec2DescSubnets, 3),
            (RdsDescInstances, 6),
            (RdsDescClusters, 3),
            (LambdaList, 6),
            (LogsDescGroups, 6),
            (CtDescTrails, 2),
            (CtStatus, 2),
            (GdList, 2),
            (KmsList, 2),
            (TagGetResources, 6),
            (HealthAgg, 2),
        ],
        Profile::Config => &[
            (Ec2DescInstances, 5),
            (Ec2DescSg, 5),
            (Ec2DescVpcs, 3),
            (IamGetRole, 4),
            (IamListAttached, 3),
            (S3Acl, 4),
            (S3Policy, 3),
            (ConfigPutEval, 4),
            (KmsDescribe, 2),
            (RdsDescInstances, 2),
        ],
        Profile::Ci => &[
            (Ec2DescInstances, 4),
            (Ec2DescSg, 3),
            (Ec2Tags, 1),
            (Ec2Run, 1),
            (IamGetRole, 5),
            (IamListRolePolicies, 3),
            (IamListAttached, 3),
            (IamGetPolicy, 2),
            (LambdaGet, 4),
            (LambdaUpdate, 1),
            (S3Policy, 3),
            (S3List, 2),
            (S3Get, 3),
            (StsCaller, 3),
            (KmsDescribe, 2),
            (LogsDescGroups, 2),
            (SsmGetParam, 2),
            (SmDescribe, 1),
        ],
        Profile::HumanCli => &[
            (StsCaller, 4),
            (Ec2DescInstances, 6),
            (Ec2DescSg, 2),
            (S3ListBuckets, 2),
            (S3List, 3),
            (S3Get, 4),
            (S3Put, 2),
            (LambdaList, 2),
            (LogsFilter, 3),
            (SsmStartSession, 1),
            (StsAssume, 2),
            (CtLookup, 1),
            (RdsDescInstances, 1),
            (IamGetUser, 1),
        ],
        Profile::HumanConsole => &[
            (ConsoleLogin, 3),
            (Ec2DescInstances, 5),
            (Ec2DescSg, 2),
            (S3ListBuckets, 2),
            (LambdaList, 3),
            (LogsDescGroups, 2),
            (LogsFilter, 2),
            (CtLookup, 2),
            (GdListFindings, 1),
            (GdGetFindings, 1),
            (RdsDescInstances, 2),
            (IamListRoles, 1),
            (OrgDescribe, 1),
            (HealthAgg, 2),
            (CwGetMetricData, 3),
        ],
        Profile::SsmAgent => &[(SsmUpdateInfo, 10), (SsmListAssoc, 5)],
        Profile::Service => &[(SvcAssume, 1)],
        Profile::Absent => &[(SvcEvent, 1)],
        Profile::Federated => &[
            (S3Get, 5),
            (S3List, 3),
            (Ec2DescInstances, 2),
            (LogsFilter, 2),
        ],
    }
}

fn pick_api(rng: &mut Rng, p: Profile) -> Api {
    let table = profile(p);
    let total: u32 = table.iter().map(|x| x.1).sum();
    let mut x = rng.below(total as u64) as u32;
    for &(api, wgt) in table {
        if x < wgt {
            return api;
        }
        x -= wgt;
    }
    table[0].0
}

fn object_key(rng: &mut Rng, bucket: &str) -> String {
    if bucket.ends_with("terraform-state") {
        let env = *rng.pick(&["network", "platform", "apps", "data"]);
        return format!("env/{env}/terraform.tfstate");
    }
    if bucket.ends_with("finance-reports") {
        return format!("daily/2024/report-{:04}.csv", rng.below(400));
    }
    match rng.below(4) {
        0 => format!("uploads/{}/{}.jpg", rng.hex(2), rng.hex(12)),
        1 => format!("exports/orders-{:05}.parquet", rng.below(20_000)),
        2 => format!("static/js/app.{}.js", rng.hex(8)),
        _ => format!("logs/2024/{:02}/{}.json.gz", rng.range(1, 3), rng.hex(10)),
    }
}

/// A small, roughly log-uniform byte count (benign S3 traffic).
fn small_bytes(rng: &mut Rng) -> u64 {
    const MAG: [u64; 5] = [100, 1_000, 10_000, 100_000, 1_000_000];
    let m = *rng.pick(&MAG);
    rng.range(m, m * 5)
}

/// Writes one background record for `acct` in `region` at `time`.
pub(crate) fn emit(
    w: &mut W,
    rng: &mut Rng,
    cat: &Catalog,
    acct: &Account,
    region: &str,
    time: i64,
) {
    let primary = region == cat.regions[0];
    let cum = if primary {
        &acct.cum_primary
    } else {
        &acct.cum_other
    };
    let actor = &acct.actors[rng.weighted(cum)];
    let mut api = pick_api(rng, actor.profile);
    let mut tries = 0;
    while !primary && api.meta().2 && tries < 8 {
        api = pick_api(rng, actor.profile);
        tries += 1;
    }
    let region = if api.meta().2 {
        cat.regions[0].as_str()
    } else {
        region
    };
    emit_api(w, rng, acct, actor, api, region, time);
}

fn error_for(rng: &mut Rng, actor: &Actor, api: Api) -> Option<(&'static str, bool)> {
    let human = matches!(
        actor.profile,
        Profile::HumanCli | Profile::HumanConsole | Profile::Federated
    );
    let (source, name, _) = api.meta();
    if matches!(api, SvcAssume | SvcEvent | ConsoleLogin) {
        return None;
    }
    if actor.profile == Profile::Monitoring && rng.chance(4, 100) {
        return Some(("ThrottlingException", false));
    }
    if api == S3Get && rng.chance(2, 100) {
        return Some(("NoSuchKey", false));
    }
    let rate = if human { 9 } else { 2 };
    if !rng.chance(rate, 100) {
        return None;
    }
    let code = match source {
        "ec2.amazonaws.com" => "Client.UnauthorizedOperation",
        "s3.amazonaws.com" | "iam.amazonaws.com" | "sts.amazonaws.com" => "AccessDenied",
        _ if name.starts_with("Describe") && source == "rds.amazonaws.com" => "AccessDenied",
        _ => "AccessDeniedException",
    };
    Some((code, true))
}

fn emit_api(
    w: &mut W,
    rng: &mut Rng,
    acct: &Account,
    actor: &Actor,
    api: Api,
    region: &str,
    time: i64,
) {
    let (source, name, _) = api.meta();
    let ip = rng.pick(&actor.ips).as_str();
    let ua = *rng.pick(&actor.uas);
    let err = error_for(rng, actor, api);
    let msg;
    let mut ev = Ev::api(rng, &actor.id, time, source, name, region, ip, ua, &acct.id);
    ev.console = actor.profile == Profile::HumanConsole;
    if let Some((code, denied)) = err {
        let svc = source.trim_end_matches(".amazonaws.com");
        msg = match code {
            "ThrottlingException" => "Rate exceeded".to_string(),
            "NoSuchKey" => "The specified key does not exist.".to_string(),
            "Client.UnauthorizedOperation" => {
                "You are not authorized to perform this operation. User: ".to_string()
                    + actor.id.arn.as_deref().unwrap_or("")
                    + " is not authorized to perform: ec2:"
                    + name
                    + " because no identity-based policy allows the ec2:"
                    + name
                    + " action"
            }
            _ if denied && svc == "s3" => "Access Denied".to_string(),
            _ => record::denied_message(
                &actor.id,
                &format!("{svc}:{name}"),
                &format!("arn:aws:{svc}:{region}:{}:*", acct.id),
            ),
        };
        ev.error = Some((code, msg.as_str()));
    }
    let failed = ev.error.is_some();
    let signin;
    match api {
        S3Get | S3Put | S3Head | S3List | S3Acl | S3Policy | S3ListBuckets => {
            ev.req_id = ReqId::S3;
            ev.data = matches!(api, S3Get | S3Put | S3Head | S3List);
            if actor.profile == Profile::AppBackend {
                ev.vpce = Some(&acct.vpce);
            }
        }
        ConsoleLogin => {
            let (ok_id, fail_id) = actor.signin.as_ref().expect("console actor");
            let ok = !rng.chance(1, 12);
            signin = if ok { ok_id } else { fail_id };
            ev.id = signin;
            ev.event_type = "AwsConsoleSignIn";
            ev.req_id = ReqId::None;
            ev.read_only = false;
            ev.console = false;
            ev.ua = *rng.pick(&crate::catalog::UA_BROWSER[..]);
            if !ok {
                ev.error = Some(("", "Failed authentication"));
            }
            record::write_record(w, rng, &ev, |w, _| api::console_login(w, ok, true, region));
            return;
        }
        SvcAssume => {
            ev.tls = false;
            ev.shared_event = true;
        }
        SvcEvent => {
            ev.tls = false;
            ev.event_type = "AwsServiceEvent";
            ev.req_id = ReqId::None;
            ev.read_only = false;
            if actor.id.invoked_by == Some("AWS Internal") {
                ev.source = "kms.amazonaws.com";
                ev.name = "RotateKey";
            }
        }
        _ => {}
    }
    if actor.profile == Profile::Config {
        ev.tls = false;
    }
    record::write_record(w, rng, &ev, |w, rng| {
        body(w, rng, acct, api, region, time, failed, actor);
    });
}

#[allow(clippy::too_many_arguments)]
fn body(
    w: &mut W,
    rng: &mut Rng,
    acct: &Account,
    api: Api,
    region: &str,
    time: i64,
    failed: bool,
    actor: &Actor,
) {
    let a = acct.id.as_str();
    if rng.chance(1, 12) && !matches!(api, S3Get | S3Put | S3Head | Ec2Run | StsAssume | SvcAssume)
    {
        // About one event in ten has no request parameters at all.
        api::nulls(w);
        return;
    }
    match api {
        S3Get | S3Put | S3Head => {
            let bucket = rng.pick(&acct.buckets[..6]).as_str();
            let bucket = if actor.profile == Profile::Lambda && api == S3Put && rng.chance(1, 20) {
                acct.buckets.last().map(String::as_str).unwrap_or(bucket)
            } else {
                bucket
            };
            let key = object_key(rng, bucket);
            let n = if failed {
                rng.range(200, 400)
            } else {
                small_bytes(rng)
            };
            let put = api == S3Put;
            let o = S3Obj {
                account: a,
                region,
                bucket,
                key: &key,
                bytes_in: if put { n } else { 0 },
                bytes_out: if put || api == S3Head { 0 } else { n },
                float: rng.chance(1, 5),
                put,
            };
            api::s3_object(w, rng, &o);
        }
        S3List => {
            let bucket = rng.pick(&acct.buckets[..6]).clone();
            let prefix = *rng.pick(&["exports/", "uploads/", "env/", "logs/2024/"]);
            api::s3_bucket(
                w,
                rng,
                a,
                region,
                &bucket,
                &[
                    ("list-type", "2"),
                    ("prefix", prefix),
                    ("encoding-type", "url"),
                ],
            );
        }
        S3Acl | S3Policy => {
            let bucket = rng.pick(&acct.buckets[..6]).clone();
            let k = if api == S3Acl { "acl" } else { "policy" };
            api::s3_bucket(w, rng, a, region, &bucket, &[(k, "")]);
        }
        S3ListBuckets => api::s3_list_buckets(w, rng, region),
        Ec2DescInstances => api::describe_instances(w, rng, &acct.instances),
        Ec2DescSg => empty_sets(w, &["securityGroupSet", "securityGroupIdSet", "filterSet"]),
        Ec2DescVolumes => empty_sets(w, &["volumeSet", "filterSet"]),
        Ec2DescVpcs => empty_sets(w, &["vpcSet", "filterSet"]),
        Ec2DescSubnets => empty_sets(w, &["subnetSet", "filterSet"]),
        Ec2Run => {
            let inst = format!("i-0{}", rng.hex(16));
            let run = api::Run {
                account: a,
                region,
                instance: &inst,
                subnet: &acct.subnet,
                vpc: &acct.vpc,
                sg: &acct.sg,
                time,
                name: rng.pick_str(&["batch-worker", "bastion", "build-runner"]),
            };
            api::run_instances(w, rng, &run, failed);
        }
        Ec2Tags => {
            w.kobj("requestParameters");
            w.kobj("resourcesSet");
            w.karr("items");
            w.obj();
            w.ks("resourceId", rng.pick(&acct.instances[..]).as_str());
            w.end();
            w.end_arr();
            w.end();
            w.kobj("tagSet");
            w.karr("items");
            w.obj();
            w.ks("key", "Owner");
            w.ks("value", "platform");
            w.end();
            w.end_arr();
            w.end();
            w.end();
            if failed {
                w.knull("responseElements");
            } else {
                w.kobj("responseElements");
                w.ks("requestId", &rng.uuid());
                w.kb("_return", true);
                w.end();
            }
        }
        IamGetRole | IamListRolePolicies | IamListAttached => {
            api::kv(w, &[("roleName", *rng.pick(&acct.roles[..]))])
        }
        IamGetPolicy => api::kv(
            w,
            &[("policyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess")],
        ),
        IamGetUser => api::kv(
            w,
            &[("userName", actor.id.user_name.as_deref().unwrap_or("ci"))],
        ),
        IamListRoles => {
            w.kobj("requestParameters");
            w.ku("maxItems", 1000);
            w.end();
            w.knull("responseElements");
        }
        StsAssume => {
            // Engineers hop into the staging account.
            let role = format!(
                "arn:aws:iam::{}:role/OrganizationAccountAccessRole",
                crate::stories::SECOND_ACCOUNT
            );
            let session = actor.id.user_name.clone().unwrap_or_default();
            api::assume_role(w, rng, &role, &session, a, time, 3600, failed);
        }
        SvcAssume => {
            let svc = actor.id.invoked_by.unwrap_or("lambda.amazonaws.com");
            let role = match svc {
                "lambda.amazonaws.com" => "service-role/ingest-orders-role",
                "ec2.amazonaws.com" => "app-backend",
                "ecs-tasks.amazonaws.com" => "ecsTaskExecutionRole",
                _ => "service-role/cloudtrail-to-cloudwatch",
            };
            let arn = format!("arn:aws:iam::{a}:role/{role}");
            let session = rng.hex(12);
            api::assume_role(w, rng, &arn, &session, a, time, 3600, false);
        }
        StsCaller | KmsList | OrgDescribe | LambdaList => api::nulls(w),
        KmsDecrypt | KmsDataKey | KmsDescribe => {
            let key = api::kms_arn(region, a, rng.pick(&acct.kms_keys[..]).as_str());
            w.kobj("requestParameters");
            if api == KmsDescribe {
                w.ks("keyId", &key);
            } else {
                w.kobj("encryptionContext");
                w.kf(
                    "aws:s3:arn",
                    format_args!("arn:aws:s3:::{}", rng.pick(&acct.buckets[..6]).as_str()),
                );
                w.end();
                if api == KmsDataKey {
                    w.ks("keyId", &key);
                    w.ks("keySpec", "AES_256");
                } else {
                    w.ks("encryptionAlgorithm", "SYMMETRIC_DEFAULT");
                }
            }
            w.end();
            w.knull("responseElements");
            w.res.push((key, "AWS::KMS::Key", a.to_string()));
        }
        SmGet | SmDescribe => api::kv(w, &[("secretId", rng.pick(&acct.secrets[..]).as_str())]),
        SsmGetParam => {
            w.kobj("requestParameters");
            let p = *rng.pick(&[
                "/prod/app/feature-flags",
                "/prod/app/db-host",
                "/shared/datadog/api-key",
            ]);
            w.ks("name", p);
            w.key("withDecryption");
            if rng.chance(1, 3) {
                w.s("true");
            } else {
                w.bool(true);
            }
            w.end();
            w.knull("responseElements");
        }
        SsmUpdateInfo => {
            w.kobj("requestParameters");
            w.ks("instanceId", rng.pick(&acct.instances[..]).as_str());
            w.ks("agentVersion", "3.2.2086.0");
            w.ks("agentStatus", "Active");
            w.ks("platformType", "Linux");
            w.ks("platformName", "Amazon Linux");
            w.ks("platformVersion", "2023");
            w.ks("agentName", "amazon-ssm-agent");
            w.kf("availabilityZone", format_args!("{region}a"));
            w.ks("sSMConnectionChannel", "ssmmessages");
            w.end();
            w.knull("responseElements");
        }
        SsmListAssoc => api::kv(w, &[("instanceId", rng.pick(&acct.instances[..]).as_str())]),
        SsmStartSession => {
            let target = rng.pick(&acct.instances[..]).as_str();
            api::kv(w, &[("target", target)]);
        }
        LambdaGet | LambdaUpdate => {
            let f = *rng.pick(&acct.functions[..]);
            w.kobj("requestParameters");
            w.ks("functionName", f);
            if api == LambdaUpdate {
                w.kb("publish", true);
                w.kb("dryRun", false);
            }
            w.end();
            if api == LambdaUpdate && !failed {
                w.kobj("responseElements");
                w.ks("functionName", f);
                w.kf(
                    "functionArn",
                    format_args!("arn:aws:lambda:{region}:{a}:function:{f}"),
                );
                w.ks("runtime", "python3.11");
                w.ks("handler", "app.handler");
                w.ku("codeSize", rng.range(4_000, 9_000_000));
                w.ku("timeout", 30);
                w.ku("memorySize", 256);
                w.ks("version", "$LATEST");
                w.ks("state", "Active");
                w.end();
            } else {
                w.knull("responseElements");
            }
        }
        LogsCreateStream => {
            let f = *rng.pick(&acct.functions[..]);
            w.kobj("requestParameters");
            w.kf("logGroupName", format_args!("/aws/lambda/{f}"));
            w.kf(
                "logStreamName",
                format_args!("2024/03/01/[$LATEST]{}", rng.hex(32)),
            );
            w.end();
            w.knull("responseElements");
        }
        LogsDescGroups => {
            w.kobj("requestParameters");
            w.ku("limit", 50);
            w.end();
            w.knull("responseElements");
        }
        LogsFilter => {
            w.kobj("requestParameters");
            w.kf(
                "logGroupName",
                format_args!("/aws/lambda/{}", *rng.pick(&acct.functions[..])),
            );
            w.ku("startTime", (time as u64 - 3600) * 1000);
            w.ku("endTime", time as u64 * 1000);
            w.ks(
                "filterPattern",
                rng.pick_str(&["ERROR", "timeout", "\"status\": 500"]),
            );
            w.end();
            w.knull("responseElements");
        }
        RdsDescInstances | RdsDescClusters => {
            w.kobj("requestParameters");
            w.ku("maxRecords", 100);
            w.end();
            w.knull("responseElements");
        }
        CtDescTrails => {
            w.kobj("requestParameters");
            w.karr("trailNameList");
            w.end_arr();
            w.kb("includeShadowTrails", true);
            w.end();
            w.knull("responseElements");
        }
        CtStatus => {
            let t = format!(
                "arn:aws:cloudtrail:{}:{a}:trail/{}",
                "us-east-1", acct.trail
            );
            api::kv(w, &[("name", &t)]);
        }
        CtLookup => {
            w.kobj("requestParameters");
            w.ku("maxResults", 50);
            w.karr("lookupAttributes");
            w.obj();
            w.ks("attributeKey", "EventName");
            w.ks(
                "attributeValue",
                rng.pick_str(&["ConsoleLogin", "RunInstances", "PutObject"]),
            );
            w.end();
            w.end_arr();
            w.end();
            w.knull("responseElements");
        }
        GdList => {
            w.kobj("requestParameters");
            w.ku("maxResults", 50);
            w.end();
            w.knull("responseElements");
        }
        GdListFindings | GdGetFindings => {
            w.kobj("requestParameters");
            w.ks("detectorId", &acct.detector);
            if api == GdGetFindings {
                w.karr("findingIds");
                w.s(&rng.hex(32));
                w.end_arr();
            } else {
                w.ku("maxResults", 50);
            }
            w.end();
            w.knull("responseElements");
        }
        ConfigPutEval => {
            w.kobj("requestParameters");
            w.karr("evaluations");
            w.obj();
            w.ks("complianceResourceType", "AWS::EC2::Instance");
            w.ks(
                "complianceResourceId",
                rng.pick(&acct.instances[..]).as_str(),
            );
            w.ks(
                "complianceType",
                rng.pick_str(&["COMPLIANT", "COMPLIANT", "NON_COMPLIANT"]),
            );
            w.ks("orderingTimestamp", &api::human_time(time - 60));
            w.end();
            w.end_arr();
            w.ks("resultToken", &rng.alnum(40));
            w.kb("testMode", false);
            w.end();
            w.kobj("responseElements");
            w.karr("failedEvaluations");
            w.end_arr();
            w.end();
        }
        CwGetMetricData => {
            w.kobj("requestParameters");
            w.karr("metricDataQueries");
            w.obj();
            w.ks("id", "m1");
            w.kobj("metricStat");
            w.kobj("metric");
            w.ks("namespace", "AWS/EC2");
            w.ks(
                "metricName",
                rng.pick_str(&["CPUUtilization", "NetworkIn", "StatusCheckFailed"]),
            );
            w.end();
            w.ku("period", 300);
            w.ks("stat", "Average");
            w.end();
            w.end();
            w.end_arr();
            w.ks("startTime", &api::human_time(time - 600));
            w.ks("endTime", &api::human_time(time));
            w.end();
            w.knull("responseElements");
        }
        TagGetResources => {
            w.kobj("requestParameters");
            w.ku("resourcesPerPage", 100);
            w.karr("resourceTypeFilters");
            w.s(rng.pick_str(&["ec2:instance", "rds:db", "lambda:function", "s3"]));
            w.end_arr();
            w.end();
            w.knull("responseElements");
        }
        HealthAgg => {
            w.kobj("requestParameters");
            w.ks("aggregateField", "eventTypeCategory");
            w.end();
            w.knull("responseElements");
        }
        SvcEvent => {
            api::nulls(w);
            w.kobj("additionalEventData");
            if actor.id.invoked_by == Some("AWS Internal") {
                w.ks("keyId", rng.pick(&acct.kms_keys[..]).as_str());
            } else {
                w.kf(
                    "SecretId",
                    format_args!(
                        "arn:aws:secretsmanager:{region}:{a}:secret:{}-{}",
                        rng.pick(&acct.secrets[..]).as_str(),
                        rng.alnum(6)
                    ),
                );
            }
            w.end();
        }
        ConsoleLogin => api::console_login(w, true, true, region),
    }
}

fn empty_sets(w: &mut W, keys: &[&str]) {
    w.kobj("requestParameters");
    for k in keys {
        w.kempty(k);
    }
    w.end();
    w.knull("responseElements");
}
