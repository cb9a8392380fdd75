//! Event-specific bodies shared by the background traffic and the planted stories:
//! each writes `requestParameters`, `responseElements` and, where CloudTrail does,
//! `additionalEventData`, and may set the TLS host and `resources`.

use crate::json::W;
use crate::rng::Rng;
use crate::timefmt;

/// `"requestParameters":null,"responseElements":null`.
pub(crate) fn nulls(w: &mut W) {
    w.knull("requestParameters");
    w.knull("responseElements");
}

/// Request parameters made of string pairs; `responseElements` null.
pub(crate) fn kv(w: &mut W, pairs: &[(&str, &str)]) {
    w.kobj("requestParameters");
    for (k, v) in pairs {
        w.ks(k, v);
    }
    w.end();
    w.knull("responseElements");
}

fn x_amz_id_2(w: &mut W, rng: &mut Rng) {
    let mut s = String::with_capacity(60);
    rng.alnum_into(&mut s, 56);
    s.push('=');
    w.ks("x-amz-id-2", &s);
}

fn s3_additional(w: &mut W, rng: &mut Rng, bytes_in: u64, bytes_out: u64, float: bool) {
    w.kobj("additionalEventData");
    w.ks("SignatureVersion", "SigV4");
    w.ks("CipherSuite", "TLS_AES_128_GCM_SHA256");
    w.key("bytesTransferredIn");
    if float {
        w.f(bytes_in)
    } else {
        w.u(bytes_in)
    }
    w.ks("AuthenticationMethod", "AuthHeader");
    x_amz_id_2(w, rng);
    w.key("bytesTransferredOut");
    if float {
        w.f(bytes_out)
    } else {
        w.u(bytes_out)
    }
    w.end();
}

/// Parameters of one S3 object-level data event.
pub(crate) struct S3Obj<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub bucket: &'a str,
    pub key: &'a str,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Write the byte counts as floats (`1024.0`).
    pub float: bool,
    pub put: bool,
}

/// GetObject / PutObject / HeadObject body.
pub(crate) fn s3_object(w: &mut W, rng: &mut Rng, o: &S3Obj<'_>) {
    w.host = format!("{}.s3.{}.amazonaws.com", o.bucket, o.region);
    w.kobj("requestParameters");
    w.ks("bucketName", o.bucket);
    w.ks("Host", &w.host.clone());
    w.ks("key", o.key);
    if o.put {
        w.ks("x-amz-server-side-encryption", "aws:kms");
    }
    w.end();
    if o.put {
        w.kobj("responseElements");
        w.ks("x-amz-server-side-encryption", "aws:kms");
        w.end();
    } else {
        w.knull("responseElements");
    }
    s3_additional(w, rng, o.bytes_in, o.bytes_out, o.float);
    w.res.push((
        format!("arn:aws:s3:::{}/{}", o.bucket, o.key),
        "AWS::S3::Object",
        String::new(),
    ));
    w.res.push((
        format!("arn:aws:s3:::{}", o.bucket),
        "AWS::S3::Bucket",
        o.account.to_string(),
    ));
}

/// A bucket-level S3 call (`ListObjects`, `GetBucketAcl`, `GetBucketPolicy`, …).
pub(crate) fn s3_bucket(
    w: &mut W,
    rng: &mut Rng,
    account: &str,
    region: &str,
    bucket: &str,
    extra: &[(&str, &str)],
) {
    w.host = format!("{bucket}.s3.{region}.amazonaws.com");
    w.kobj("requestParameters");
    w.ks("bucketName", bucket);
    w.ks("Host", &w.host.clone());
    for (k, v) in extra {
        w.ks(k, v);
    }
    w.end();
    w.knull("responseElements");
    let out = rng.range(300, 40_000);
    s3_additional(w, rng, 0, out, false);
    w.res.push((
        format!("arn:aws:s3:::{bucket}"),
        "AWS::S3::Bucket",
        account.to_string(),
    ));
}

/// `ListBuckets`.
pub(crate) fn s3_list_buckets(w: &mut W, rng: &mut Rng, region: &str) {
    w.host = format!("s3.{region}.amazonaws.com");
    w.kobj("requestParameters");
    w.ks("Host", &w.host.clone());
    w.end();
    w.knull("responseElements");
    let out = rng.range(2_000, 9_000);
    s3_additional(w, rng, 0, out, false);
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Mar 1, 2024, 1:05:09 PM`, the format STS and IAM use inside response elements.
pub(crate) fn human_time(t: i64) -> String {
    let x = timefmt::tm(t);
    let (h12, ampm) = match x.h {
        0 => (12, "AM"),
        1..=11 => (x.h, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    format!(
        "{} {}, {}, {}:{:02}:{:02} {}",
        MONTHS[x.mo as usize - 1],
        x.d,
        x.y,
        h12,
        x.mi,
        x.s,
        ampm
    )
}

/// `AssumeRole`: request, and credentials in the response unless `denied`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn assume_role(
    w: &mut W,
    rng: &mut Rng,
    role_arn: &str,
    session: &str,
    account: &str,
    time: i64,
    duration: u64,
    denied: bool,
) {
    w.kobj("requestParameters");
    w.ks("roleArn", role_arn);
    w.ks("roleSessionName", session);
    w.ku("durationSeconds", duration);
    w.end();
    if denied {
        w.knull("responseElements");
    } else {
        w.kobj("responseElements");
        w.kobj("credentials");
        let mut k = String::from("ASIA");
        rng.upper_into(&mut k, 16);
        w.ks("accessKeyId", &k);
        let mut tok = String::from("IQoJb3JpZ2luX2VjE");
        rng.alnum_into(&mut tok, 48);
        w.ks("sessionToken", &tok);
        w.ks("expiration", &human_time(time + duration as i64));
        w.end();
        w.kobj("assumedRoleUser");
        let mut id = String::from("AROA");
        rng.upper_into(&mut id, 17);
        id.push(':');
        id.push_str(session);
        w.ks("assumedRoleId", &id);
        let role = role_arn.rsplit('/').next().unwrap_or(role_arn);
        let acct = role_arn.split(':').nth(4).unwrap_or(account);
        w.kf(
            "arn",
            format_args!("arn:aws:sts::{acct}:assumed-role/{role}/{session}"),
        );
        w.end();
        w.end();
    }
    let acct = role_arn.split(':').nth(4).unwrap_or(account).to_string();
    w.res.push((role_arn.to_string(), "AWS::IAM::Role", acct));
}

/// `ConsoleLogin` body.
pub(crate) fn console_login(w: &mut W, success: bool, mfa: bool, region: &str) {
    w.knull("requestParameters");
    w.kobj("responseElements");
    w.ks("ConsoleLogin", if success { "Success" } else { "Failure" });
    w.end();
    w.kobj("additionalEventData");
    w.kf(
        "LoginTo",
        format_args!("https://{region}.console.aws.amazon.com/console/home?region={region}&state=hashArgs%23&isauthcode=true"),
    );
    w.ks("MobileVersion", "No");
    w.ks("MFAUsed", if mfa { "Yes" } else { "No" });
    w.end();
}

/// A KMS key ARN.
pub(crate) fn kms_arn(region: &str, account: &str, key: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:key/{key}")
}

/// `RunInstances` with a realistic nested response.
pub(crate) struct Run<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub instance: &'a str,
    pub subnet: &'a str,
    pub vpc: &'a str,
    pub sg: &'a str,
    pub time: i64,
    pub name: &'a str,
}

/// `RunInstances` body.
pub(crate) fn run_instances(w: &mut W, rng: &mut Rng, r: &Run<'_>, failed: bool) {
    let ami = format!("ami-0{}", rng.hex(16));
    let ty = *rng.pick(&["t3.micro", "t3.medium", "m6i.large", "c6i.xlarge"]);
    w.kobj("requestParameters");
    w.kobj("instancesSet");
    w.karr("items");
    w.obj();
    w.ks("imageId", &ami);
    w.ku("minCount", 1);
    w.ku("maxCount", 1);
    w.end();
    w.end_arr();
    w.end();
    w.ks("instanceType", ty);
    w.kempty("blockDeviceMapping");
    w.kobj("monitoring");
    w.kb("enabled", false);
    w.end();
    w.kb("disableApiTermination", false);
    w.kb("disableApiStop", false);
    w.kf("clientToken", format_args!("terraform-{}", rng.hex(24)));
    w.kobj("tagSpecificationSet");
    w.karr("items");
    w.obj();
    w.ks("resourceType", "instance");
    w.karr("tags");
    w.obj();
    w.ks("key", "Name");
    w.ks("value", r.name);
    w.end();
    w.end_arr();
    w.end();
    w.end_arr();
    w.end();
    w.end();
    if failed {
        w.knull("responseElements");
        return;
    }
    let ip = format!("10.0.{}.{}", rng.range(1, 40), rng.range(4, 250));
    w.kobj("responseElements");
    w.ks("requestId", &rng.uuid());
    w.kf("reservationId", format_args!("r-0{}", rng.hex(16)));
    w.ks("ownerId", r.account);
    w.kempty("groupSet");
    w.kobj("instancesSet");
    w.karr("items");
    w.obj();
    w.ks("instanceId", r.instance);
    w.ks("imageId", &ami);
    w.kobj("instanceState");
    w.ku("code", 0);
    w.ks("name", "pending");
    w.end();
    w.kf(
        "privateDnsName",
        format_args!("ip-{}.ec2.internal", ip.replace('.', "-")),
    );
    w.ku("amiLaunchIndex", 0);
    w.kempty("productCodes");
    w.ks("instanceType", ty);
    w.ku("launchTime", r.time as u64 * 1000);
    w.kobj("placement");
    w.kf("availabilityZone", format_args!("{}a", r.region));
    w.ks("tenancy", "default");
    w.end();
    w.kobj("monitoring");
    w.ks("state", "disabled");
    w.end();
    w.ks("subnetId", r.subnet);
    w.ks("vpcId", r.vpc);
    w.ks("privateIpAddress", &ip);
    w.kobj("stateReason");
    w.ks("code", "pending");
    w.ks("message", "pending");
    w.end();
    w.ks("architecture", "x86_64");
    w.ks("rootDeviceType", "ebs");
    w.ks("rootDeviceName", "/dev/xvda");
    w.ks("virtualizationType", "hvm");
    w.ks("hypervisor", "xen");
    w.kobj("groupSet");
    w.karr("items");
    w.obj();
    w.ks("groupId", r.sg);
    w.ks("groupName", "default");
    w.end();
    w.end_arr();
    w.end();
    w.kb("sourceDestCheck", true);
    w.kb("ebsOptimized", false);
    w.kb("enaSupport", true);
    w.kobj("cpuOptions");
    w.ku("coreCount", 1);
    w.ku("threadsPerCore", 2);
    w.end();
    w.kobj("metadataOptions");
    w.ks("state", "pending");
    w.ks("httpTokens", "required");
    w.ku("httpPutResponseHopLimit", 2);
    w.ks("httpEndpoint", "enabled");
    w.end();
    w.end();
    w.end_arr();
    w.end();
    w.end();
    w.res.push((
        format!(
            "arn:aws:ec2:{}:{}:instance/{}",
            r.region, r.account, r.instance
        ),
        "AWS::EC2::Instance",
        r.account.to_string(),
    ));
}

/// `DescribeInstances` request in one of its common shapes.
pub(crate) fn describe_instances(w: &mut W, rng: &mut Rng, instances: &[String]) {
    w.kobj("requestParameters");
    match rng.below(3) {
        0 => {
            w.kobj("instancesSet");
            w.karr("items");
            for i in instances.iter().take(1 + rng.below(3) as usize) {
                w.obj();
                w.ks("instanceId", i);
                w.end();
            }
            w.end_arr();
            w.end();
            w.kempty("filterSet");
        }
        1 => {
            w.kempty("instancesSet");
            w.kobj("filterSet");
            w.karr("items");
            w.obj();
            w.ks("name", "instance-state-name");
            w.kobj("valueSet");
            w.karr("items");
            w.obj();
            w.ks("value", "running");
            w.end();
            w.end_arr();
            w.end();
            w.end();
            w.end_arr();
            w.end();
        }
        _ => {
            w.ku("maxResults", 1000);
            w.kempty("instancesSet");
            w.kempty("filterSet");
        }
    }
    w.end();
    w.knull("responseElements");
}
