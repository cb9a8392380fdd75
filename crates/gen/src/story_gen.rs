//! Renders the planted attack stories (see [`crate::stories`]) into records.

use crate::api::{self, S3Obj};
use crate::catalog::{Catalog, UA_BROWSER, UA_CONSOLE};
use crate::identity::Identity;
use crate::json::W;
use crate::record::{self, Ev, ReqId};
use crate::rng::Rng;
use crate::stories::*;

const MAIN_REGION: &str = "us-east-1";

/// One pre-rendered record and where it goes.
pub(crate) struct Placed {
    pub account: usize,
    pub region: usize,
    pub time: i64,
    pub json: Vec<u8>,
}

struct Ctx<'a> {
    cat: &'a Catalog,
    rng: Rng,
    w: W,
    out: Vec<Placed>,
    start: i64,
    span: i64,
}

impl Ctx<'_> {
    fn at(&self, permille: i64) -> i64 {
        self.start + self.span * permille / 1000
    }

    fn acct(&self) -> &str {
        &self.cat.accounts[0].id
    }

    fn region(&self, i: usize) -> &str {
        &self.cat.regions[i.min(self.cat.regions.len() - 1)]
    }

    /// Renders one record with envelope `ev` (built by `make`) and `body`.
    fn push(
        &mut self,
        region: usize,
        make: impl FnOnce(&mut Rng, &str, &str) -> EvOwned,
        body: impl FnOnce(&mut W, &mut Rng),
    ) {
        let region = region.min(self.cat.regions.len() - 1);
        let acct = self.cat.accounts[0].id.clone();
        let reg = self.cat.regions[region].clone();
        let e = make(&mut self.rng, &acct, &reg);
        let ev = Ev {
            version: record::pick_version(&mut self.rng),
            id: &e.id,
            time: e.time,
            source: e.source,
            name: e.name,
            region: &reg,
            ip: &e.ip,
            ua: &e.ua,
            error: e.error.as_ref().map(|(c, m)| (*c, m.as_str())),
            read_only: record::is_read_only(e.name),
            event_type: e.event_type,
            data: e.data,
            recipient: &acct,
            tls: e.tls,
            console: e.console,
            req_id: e.req_id,
            vpce: None,
            shared_event: false,
        };
        self.w.b.clear();
        self.w.reset_comma();
        record::write_record(&mut self.w, &mut self.rng, &ev, body);
        self.out.push(Placed {
            account: 0,
            region,
            time: e.time,
            json: self.w.b.clone(),
        });
    }
}

/// Owned envelope pieces for a story record.
struct EvOwned {
    id: Identity,
    time: i64,
    source: &'static str,
    name: &'static str,
    ip: String,
    ua: String,
    error: Option<(&'static str, String)>,
    event_type: &'static str,
    data: bool,
    tls: bool,
    console: bool,
    req_id: ReqId,
}

fn ev(
    id: &Identity,
    time: i64,
    source: &'static str,
    name: &'static str,
    ip: &str,
    ua: &str,
) -> EvOwned {
    EvOwned {
        id: id.clone(),
        time,
        source,
        name,
        ip: ip.to_string(),
        ua: ua.to_string(),
        error: None,
        event_type: "AwsApiCall",
        data: false,
        tls: true,
        console: false,
        req_id: ReqId::Uuid,
    }
}

/// All story records for a run of `events` events over `[start, start + span)`.
pub(crate) fn render(cat: &Catalog, seed: u64, events: u64, start: i64, span: i64) -> Vec<Placed> {
    let mut c = Ctx {
        cat,
        rng: Rng::derive(seed, u64::MAX, 2),
        w: W::default(),
        out: Vec::new(),
        start,
        span,
    };
    exfil(&mut c, events);
    brute_force(&mut c);
    tamper(&mut c);
    root(&mut c);
    user_agents(&mut c);
    secrets(&mut c);
    assume_denials(&mut c);
    persistence(&mut c);
    discovery(&mut c);
    c.out
}

fn exfil(c: &mut Ctx<'_>, events: u64) {
    let id = c.cat.user(EXFIL_USER).id.clone();
    let t0 = c.at(EXFIL_AT_PERMILLE);
    let dur = (c.span / 10).min(2400);
    let n = exfil_get_count(events);
    c.push(
        0,
        |_, _, _| {
            ev(
                &id,
                t0,
                "s3.amazonaws.com",
                "ListBuckets",
                EXFIL_IP,
                EXFIL_USER_AGENT,
            )
            .s3()
        },
        |w, r| api::s3_list_buckets(w, r, MAIN_REGION),
    );
    for (i, b) in EXFIL_BUCKETS.iter().enumerate() {
        let t = t0 + 5 + i as i64 * 7;
        c.push(
            0,
            |_, _, _| {
                ev(
                    &id,
                    t,
                    "s3.amazonaws.com",
                    "ListObjects",
                    EXFIL_IP,
                    EXFIL_USER_AGENT,
                )
                .s3()
                .data()
            },
            |w, r| {
                api::s3_bucket(
                    w,
                    r,
                    MAIN_ACCOUNT,
                    MAIN_REGION,
                    b,
                    &[("list-type", "2"), ("prefix", ""), ("encoding-type", "url")],
                )
            },
        );
    }
    for i in 0..n {
        let t = t0 + 30 + (dur - 30) * i as i64 / n as i64;
        let which = c.rng.weighted(&[50, 80, 100]);
        let bucket = EXFIL_BUCKETS[which];
        let key = match which {
            0 => format!(
                "quarterly/{}/Q{}/ledger-{:04}.xlsx",
                2020 + c.rng.below(4),
                1 + c.rng.below(4),
                i
            ),
            1 => format!("exports/payroll-{:04}.csv.gz", i),
            _ => format!("snapshots/customers-{:04}.sql.gz", i),
        };
        let bytes = c.rng.range(EXFIL_MIN_BYTES_OUT, 400_000_000);
        let float = c.rng.chance(1, 5);
        let region = c.region(0).to_string();
        c.push(
            0,
            |_, _, _| {
                ev(
                    &id,
                    t,
                    "s3.amazonaws.com",
                    "GetObject",
                    EXFIL_IP,
                    EXFIL_USER_AGENT,
                )
                .s3()
                .data()
            },
            |w, r| {
                let o = S3Obj {
                    account: MAIN_ACCOUNT,
                    region: &region,
                    bucket,
                    key: &key,
                    bytes_in: 0,
                    bytes_out: bytes,
                    float,
                    put: false,
                };
                api::s3_object(w, r, &o);
            },
        );
    }
    for (ci, name) in EXFIL_COLLEAGUES.iter().enumerate() {
        let actor = c.cat.user(name);
        let (id, ip, ua) = (actor.id.clone(), actor.ips[0].clone(), actor.uas[0]);
        let total = EXFIL_COLLEAGUE_GETS[ci] + EXFIL_COLLEAGUE_DENIED[ci];
        for k in 0..total {
            let denied = k >= EXFIL_COLLEAGUE_GETS[ci];
            let t = c.at(300) + c.rng.below((c.span * 6 / 10) as u64) as i64;
            let bucket = EXFIL_BUCKETS[if denied { 1 } else { 0 }];
            let key = if denied {
                format!("exports/payroll-{:04}.csv.gz", c.rng.below(300))
            } else {
                format!("daily/2024/report-{:04}.csv", c.rng.below(400))
            };
            let bytes = if denied {
                243
            } else {
                c.rng.range(20_000, 2_000_000)
            };
            let region = c.region(0).to_string();
            c.push(
                0,
                |_, _, _| {
                    let mut e = ev(&id, t, "s3.amazonaws.com", "GetObject", &ip, ua)
                        .s3()
                        .data();
                    if denied {
                        e.error = Some(("AccessDenied", "Access Denied".into()));
                    }
                    e
                },
                |w, r| {
                    let o = S3Obj {
                        account: MAIN_ACCOUNT,
                        region: &region,
                        bucket,
                        key: &key,
                        bytes_in: 0,
                        bytes_out: bytes,
                        float: false,
                        put: false,
                    };
                    api::s3_object(w, r, &o);
                },
            );
        }
    }
}

impl EvOwned {
    fn s3(mut self) -> Self {
        self.req_id = ReqId::S3;
        self
    }
    fn data(mut self) -> Self {
        self.data = true;
        self
    }
    fn denied(mut self, action: &str, resource: &str) -> Self {
        let code = match self.source {
            "ec2.amazonaws.com" => "Client.UnauthorizedOperation",
            "iam.amazonaws.com"
            | "sts.amazonaws.com"
            | "s3.amazonaws.com"
            | "organizations.amazonaws.com" => "AccessDenied",
            _ => "AccessDeniedException",
        };
        let msg = record::denied_message(&self.id, action, resource);
        self.error = Some((code, msg));
        self
    }
}

fn brute_force(c: &mut Ctx<'_>) {
    let acct = c.acct().to_string();
    let user = c.cat.user(BRUTE_FORCE_USER).id.clone();
    let hidden = Identity::failed_signin(&acct, None, "HIDDEN_DUE_TO_SECURITY_REASONS");
    let target = Identity::failed_signin(&acct, user.principal.as_deref(), BRUTE_FORCE_USER);
    let ok = user.for_signin();
    let mut t = c.at(BRUTE_FORCE_AT_PERMILLE);
    let total = BRUTE_FORCE_HIDDEN_FAILURES + BRUTE_FORCE_FAILURES + BRUTE_FORCE_SUCCESSES;
    for i in 0..total {
        let success = i + 1 == total;
        let id = if i < BRUTE_FORCE_HIDDEN_FAILURES {
            &hidden
        } else if success {
            &ok
        } else {
            &target
        };
        t += 5 + c.rng.below(6) as i64;
        let region = c.region(0).to_string();
        c.push(
            0,
            |_, _, _| {
                let mut e = ev(
                    id,
                    t,
                    "signin.amazonaws.com",
                    "ConsoleLogin",
                    BRUTE_FORCE_IP,
                    BRUTE_FORCE_USER_AGENT,
                );
                e.event_type = "AwsConsoleSignIn";
                e.req_id = ReqId::None;
                if !success {
                    e.error = Some(("", "Failed authentication".into()));
                }
                e
            },
            |w, _| api::console_login(w, success, false, &region),
        );
    }
}

fn tamper(c: &mut Ctx<'_>) {
    let actor = c.cat.user(TAMPER_USER);
    let (id, ua) = (actor.id.clone(), actor.uas[0]);
    let acct = c.acct().to_string();
    let detector = c.cat.accounts[0].detector.clone();
    let trail_arn = format!(
        "arn:aws:cloudtrail:{}:{acct}:trail/{TAMPER_TRAIL}",
        c.region(0)
    );
    let t0 = c.at(TAMPER_AT_PERMILLE);
    let steps: [(&'static str, &'static str, usize); 10] = [
        ("cloudtrail.amazonaws.com", "DescribeTrails", 0),
        ("cloudtrail.amazonaws.com", "GetTrailStatus", 0),
        ("cloudtrail.amazonaws.com", "StopLogging", 0),
        ("cloudtrail.amazonaws.com", "UpdateTrail", 0),
        ("cloudtrail.amazonaws.com", "DeleteTrail", 0),
        ("guardduty.amazonaws.com", "ListDetectors", 0),
        ("guardduty.amazonaws.com", "UpdateDetector", 0),
        ("guardduty.amazonaws.com", "DeleteDetector", 0),
        ("guardduty.amazonaws.com", "ListDetectors", 1),
        ("guardduty.amazonaws.com", "DeleteDetector", 1),
    ];
    for (i, (source, name, region)) in steps.into_iter().enumerate() {
        if region == 1 && c.cat.regions.len() < 2 {
            continue;
        }
        let t = t0 + i as i64 * 25;
        let (trail_arn, detector) = (trail_arn.clone(), detector.clone());
        c.push(
            region,
            |_, _, _| ev(&id, t, source, name, TAMPER_IP, ua),
            move |w, _| match name {
                "DescribeTrails" => api::nulls(w),
                "ListDetectors" => api::nulls(w),
                "GetTrailStatus" | "StopLogging" | "DeleteTrail" => {
                    api::kv(w, &[("name", &trail_arn)])
                }
                "UpdateTrail" => {
                    w.kobj("requestParameters");
                    w.ks("name", &trail_arn);
                    w.kb("isMultiRegionTrail", false);
                    w.kb("includeGlobalServiceEvents", false);
                    w.end();
                    w.kobj("responseElements");
                    w.ks("name", TAMPER_TRAIL);
                    w.ks("trailARN", &trail_arn);
                    w.kb("isMultiRegionTrail", false);
                    w.kb("includeGlobalServiceEvents", false);
                    w.end();
                }
                "UpdateDetector" => {
                    w.kobj("requestParameters");
                    w.ks("detectorId", &detector);
                    w.kb("enable", false);
                    w.end();
                    w.knull("responseElements");
                }
                _ => api::kv(w, &[("detectorId", &detector)]),
            },
        );
    }
}

fn root(c: &mut Ctx<'_>) {
    let acct = c.acct().to_string();
    let mut key = String::from("ASIA");
    c.rng.upper_into(&mut key, 16);
    let session = Identity::root(&acct, key);
    let mut signin = Identity::root(&acct, String::new());
    signin.session = false;
    let t0 = c.at(ROOT_AT_PERMILLE);
    let region = c.region(0).to_string();
    c.push(
        0,
        |_, _, _| {
            let mut e = ev(
                &signin,
                t0,
                "signin.amazonaws.com",
                "ConsoleLogin",
                ROOT_IP,
                UA_BROWSER[1],
            );
            e.event_type = "AwsConsoleSignIn";
            e.req_id = ReqId::None;
            e
        },
        |w, _| api::console_login(w, true, false, &region),
    );
    for (i, name) in ROOT_FOLLOWUP_EVENTS.iter().enumerate() {
        let t = t0 + 40 + i as i64 * 30;
        c.push(
            0,
            |_, _, _| {
                let mut e = ev(
                    &session,
                    t,
                    "iam.amazonaws.com",
                    name,
                    ROOT_IP,
                    UA_CONSOLE[1],
                );
                e.console = true;
                e
            },
            |w, _| api::nulls(w),
        );
    }
}

fn user_agents(c: &mut Ctx<'_>) {
    let id = c.cat.user(SUSPICIOUS_UA_USER).id.clone();
    let t0 = c.at(SUSPICIOUS_UA_AT_PERMILLE);
    let instances = c.cat.accounts[0].instances.clone();
    for (u, ua) in SUSPICIOUS_USER_AGENTS.iter().enumerate() {
        let calls: [(&'static str, &'static str); 3] = [
            ("sts.amazonaws.com", "GetCallerIdentity"),
            ("s3.amazonaws.com", "ListBuckets"),
            ("ec2.amazonaws.com", "DescribeInstances"),
        ];
        for (k, (source, name)) in calls.into_iter().enumerate() {
            let t = t0 + u as i64 * 300 + k as i64 * 11;
            let inst = instances.clone();
            c.push(
                0,
                |_, _, _| {
                    let e = ev(&id, t, source, name, SUSPICIOUS_UA_IP, ua);
                    if source == "s3.amazonaws.com" {
                        e.s3()
                    } else {
                        e
                    }
                },
                move |w, r| match name {
                    "ListBuckets" => api::s3_list_buckets(w, r, MAIN_REGION),
                    "DescribeInstances" => api::describe_instances(w, r, &inst),
                    _ => api::nulls(w),
                },
            );
        }
    }
}

fn secrets(c: &mut Ctx<'_>) {
    let acct = c.acct().to_string();
    let mut rng = c.rng.clone();
    let id = Identity::assumed_role(
        &mut rng,
        &acct,
        "jenkins-build",
        "/",
        "jenkins-agent-7",
        None,
    );
    c.rng = rng;
    let ua = crate::catalog::UA_BOTO_LAPTOP;
    let t0 = c.at(SECRETS_AT_PERMILLE);
    c.push(
        0,
        |_, _, _| {
            ev(
                &id,
                t0,
                "secretsmanager.amazonaws.com",
                "ListSecrets",
                SECRETS_IP,
                ua,
            )
        },
        |w, _| {
            w.kobj("requestParameters");
            w.ku("maxResults", 100);
            w.end();
            w.knull("responseElements");
        },
    );
    let region = c.region(0).to_string();
    for (i, name) in secret_names().into_iter().enumerate() {
        let t = t0 + 6 + i as i64 * 4;
        let suffix = c.rng.alnum(6);
        let arn = format!("arn:aws:secretsmanager:{region}:{acct}:secret:{name}-{suffix}");
        c.push(
            0,
            |_, _, _| {
                ev(
                    &id,
                    t,
                    "secretsmanager.amazonaws.com",
                    "GetSecretValue",
                    SECRETS_IP,
                    ua,
                )
            },
            |w, _| {
                api::kv(w, &[("secretId", &arn)]);
                w.res.push((
                    arn.clone(),
                    "AWS::SecretsManager::Secret",
                    MAIN_ACCOUNT.to_string(),
                ));
            },
        );
    }
}

fn assume_denials(c: &mut Ctx<'_>) {
    let actor = c.cat.user(ASSUME_USER);
    let id = actor.id.clone();
    let acct = c.acct().to_string();
    let second = c
        .cat
        .accounts
        .get(1)
        .map(|a| a.id.clone())
        .unwrap_or(acct.clone());
    let t0 = c.at(ASSUME_AT_PERMILLE);
    for i in 0..ASSUME_DENIALS {
        let role = ASSUME_ROLE_NAMES[i as usize % ASSUME_ROLE_NAMES.len()];
        let in_acct = if i % 12 == 0 { &second } else { &acct };
        let arn = format!("arn:aws:iam::{in_acct}:role/{role}");
        let t = t0 + i as i64 * 20 + c.rng.below(5) as i64;
        let session = format!("{ASSUME_USER}-{}", c.rng.below(100_000));
        c.push(
            0,
            |_, _, _| {
                ev(
                    &id,
                    t,
                    "sts.amazonaws.com",
                    "AssumeRole",
                    ASSUME_IP,
                    crate::catalog::UA_CLI[1],
                )
                .denied("sts:AssumeRole", &arn)
            },
            |w, r| api::assume_role(w, r, &arn, &session, MAIN_ACCOUNT, t, 3600, true),
        );
    }
}

fn persistence(c: &mut Ctx<'_>) {
    let id = c.cat.user(PERSIST_USER).id.clone();
    let acct = c.acct().to_string();
    let t0 = c.at(PERSIST_AT_PERMILLE);
    let ua = crate::catalog::UA_CLI[0];
    for (i, name) in PERSIST_EVENTS.iter().enumerate() {
        let t = t0 + i as i64 * 60 + c.rng.below(20) as i64;
        let acct = acct.clone();
        c.push(
            0,
            |_, _, _| ev(&id, t, "iam.amazonaws.com", name, PERSIST_IP, ua),
            move |w, r| {
                let created = api::human_time(t);
                let user_arn = format!("arn:aws:iam::{acct}:user/{PERSIST_NEW_USER}");
                w.kobj("requestParameters");
                w.ks("userName", PERSIST_NEW_USER);
                match *name {
                    "CreateUser" => w.ks("path", "/"),
                    "AttachUserPolicy" => w.ks("policyArn", PERSIST_POLICY_ARN),
                    "CreateLoginProfile" => w.kb("passwordResetRequired", false),
                    _ => {}
                }
                w.end();
                match *name {
                    "CreateUser" => {
                        w.kobj("responseElements");
                        w.kobj("user");
                        w.ks("path", "/");
                        w.ks("userName", PERSIST_NEW_USER);
                        let mut uid = String::from("AIDA");
                        r.upper_into(&mut uid, 17);
                        w.ks("userId", &uid);
                        w.ks("arn", &user_arn);
                        w.ks("createDate", &created);
                        w.end();
                        w.end();
                    }
                    "CreateAccessKey" => {
                        w.kobj("responseElements");
                        w.kobj("accessKey");
                        w.ks("userName", PERSIST_NEW_USER);
                        let mut k = String::from("AKIA");
                        r.upper_into(&mut k, 16);
                        w.ks("accessKeyId", &k);
                        w.ks("status", "Active");
                        w.ks("createDate", &created);
                        w.end();
                        w.end();
                    }
                    "CreateLoginProfile" => {
                        w.kobj("responseElements");
                        w.kobj("loginProfile");
                        w.ks("userName", PERSIST_NEW_USER);
                        w.ks("createDate", &created);
                        w.kb("passwordResetRequired", false);
                        w.end();
                        w.end();
                    }
                    _ => w.knull("responseElements"),
                }
            },
        );
    }
}

fn discovery(c: &mut Ctx<'_>) {
    let id = c.cat.user(DISCOVERY_USER).id.clone();
    let acct = c.acct().to_string();
    let t0 = c.at(DISCOVERY_AT_PERMILLE);
    let instances = c.cat.accounts[0].instances.clone();
    for (i, name) in DISCOVERY_EVENT_NAMES.iter().enumerate() {
        let source: &'static str = match *name {
            "GetCallerIdentity" => "sts.amazonaws.com",
            "ListBuckets" => "s3.amazonaws.com",
            n if n.starts_with("Describe")
                && !matches!(
                    n,
                    "DescribeDBInstances"
                        | "DescribeTrails"
                        | "DescribeParameters"
                        | "DescribeOrganization"
                        | "DescribeLogGroups"
                ) =>
            {
                "ec2.amazonaws.com"
            }
            "ListSecrets" => "secretsmanager.amazonaws.com",
            "DescribeDBInstances" => "rds.amazonaws.com",
            "ListFunctions20150331" => "lambda.amazonaws.com",
            "DescribeTrails" => "cloudtrail.amazonaws.com",
            "ListDetectors" => "guardduty.amazonaws.com",
            "ListKeys" => "kms.amazonaws.com",
            "DescribeParameters" => "ssm.amazonaws.com",
            "DescribeOrganization" | "ListAccounts" => "organizations.amazonaws.com",
            "DescribeLogGroups" => "logs.amazonaws.com",
            "ListTopics" => "sns.amazonaws.com",
            _ => "iam.amazonaws.com",
        };
        let t = t0 + i as i64 * 7 + c.rng.below(3) as i64;
        let fail = matches!(
            *name,
            "ListAccounts" | "GetAccountAuthorizationDetails" | "DescribeParameters"
        );
        let svc = source.trim_end_matches(".amazonaws.com").to_string();
        let acct2 = acct.clone();
        let inst = instances.clone();
        c.push(
            0,
            |_, _, _| {
                let mut e = ev(&id, t, source, name, DISCOVERY_IP, DISCOVERY_USER_AGENT);
                if source == "s3.amazonaws.com" {
                    e = e.s3();
                }
                if fail {
                    e = e.denied(
                        &format!("{svc}:{name}"),
                        &format!("arn:aws:{svc}::{acct2}:*"),
                    );
                }
                e
            },
            move |w, r| match *name {
                "ListBuckets" => api::s3_list_buckets(w, r, MAIN_REGION),
                "DescribeInstances" => api::describe_instances(w, r, &inst),
                "GetAccountAuthorizationDetails" => {
                    w.kobj("requestParameters");
                    w.karr("filter");
                    for f in [
                        "User",
                        "Role",
                        "Group",
                        "LocalManagedPolicy",
                        "AWSManagedPolicy",
                    ] {
                        w.s(f);
                    }
                    w.end_arr();
                    w.end();
                    w.knull("responseElements");
                }
                _ => api::nulls(w),
            },
        );
    }
}

/// The two Insights records (Start, End) and their time.
pub(crate) fn insights(cat: &Catalog, seed: u64, start: i64, span: i64) -> (i64, Vec<Vec<u8>>) {
    let mut rng = Rng::derive(seed, u64::MAX, 3);
    let acct = &cat.accounts[0].id;
    let region = &cat.regions[0];
    let t_start = start + span * ASSUME_AT_PERMILLE / 1000 + 60;
    let shared = rng.uuid();
    let mut out = Vec::new();
    for (state, t) in [("Start", t_start), ("End", t_start + 420)] {
        let mut w = W::default();
        w.obj();
        w.ks("eventVersion", "1.08");
        w.kts("eventTime", t - t % 60);
        w.ks("awsRegion", region);
        w.ks("eventID", &rng.uuid());
        w.ks("eventType", "AwsCloudTrailInsight");
        w.ks("recipientAccountId", acct);
        w.ks("sharedEventID", &shared);
        w.kobj("insightDetails");
        w.ks("state", state);
        w.ks("eventSource", "sts.amazonaws.com");
        w.ks("eventName", "AssumeRole");
        w.ks("insightType", "ApiErrorRateInsight");
        w.ks("errorCode", "AccessDenied");
        w.kobj("insightContext");
        w.kobj("statistics");
        w.kobj("baseline");
        w.key("average");
        w.raw("0.0021");
        w.end();
        w.kobj("insight");
        w.key("average");
        w.raw("2.4");
        w.end();
        if state == "End" {
            w.ku("insightDuration", 7);
            w.ku("baselineDuration", 10_080);
        }
        w.end();
        w.karr("attributions");
        w.obj();
        w.ks("attribute", "userIdentityArn");
        w.karr("insight");
        w.obj();
        w.ks("value", ASSUME_ARN);
        w.key("average");
        w.raw("2.4");
        w.end();
        w.end_arr();
        w.karr("baseline");
        w.end_arr();
        w.end();
        w.end_arr();
        w.end();
        w.end();
        w.ks("eventCategory", "Insight");
        w.end();
        out.push(w.b);
    }
    (t_start + 1800, out)
}
