//! One CloudTrail record: the envelope fields in CloudTrail's own order, with the
//! event-specific parts (`requestParameters`, `responseElements`, `additionalEventData`)
//! written by a body callback.

use crate::identity::Identity;
use crate::json::W;
use crate::rng::Rng;

/// How `requestID` looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReqId {
    Uuid,
    /// 16 upper-case alphanumerics, as S3 writes them.
    S3,
    None,
}

/// Envelope of one record.
pub(crate) struct Ev<'a> {
    pub version: &'static str,
    pub id: &'a Identity,
    pub time: i64,
    pub source: &'static str,
    pub name: &'static str,
    pub region: &'a str,
    pub ip: &'a str,
    pub ua: &'a str,
    pub error: Option<(&'a str, &'a str)>,
    pub read_only: bool,
    pub event_type: &'static str,
    /// Data event (`managementEvent:false`, `eventCategory:Data`).
    pub data: bool,
    pub recipient: &'a str,
    pub tls: bool,
    /// Adds `"sessionCredentialFromConsole":"true"`.
    pub console: bool,
    pub req_id: ReqId,
    pub vpce: Option<&'a str>,
    pub shared_event: bool,
}

const VERSIONS: [&str; 4] = ["1.08", "1.09", "1.10", "1.11"];

/// A plausible `eventVersion` mix.
pub(crate) fn pick_version(rng: &mut Rng) -> &'static str {
    VERSIONS[rng.weighted(&[25, 55, 80, 100])]
}

impl<'a> Ev<'a> {
    #[allow(clippy::too_many_arguments)]
    /// A management `AwsApiCall` with defaults filled in.
    pub(crate) fn api(
        rng: &mut Rng,
        id: &'a Identity,
        time: i64,
        source: &'static str,
        name: &'static str,
        region: &'a str,
        ip: &'a str,
        ua: &'a str,
        recipient: &'a str,
    ) -> Self {
        Ev {
            version: pick_version(rng),
            id,
            time,
            source,
            name,
            region,
            ip,
            ua,
            error: None,
            read_only: is_read_only(name),
            event_type: "AwsApiCall",
            data: false,
            recipient,
            tls: true,
            console: false,
            req_id: ReqId::Uuid,
            vpce: None,
            shared_event: false,
        }
    }
}

/// Read-only by naming convention (close enough to CloudTrail's own classification).
pub(crate) fn is_read_only(name: &str) -> bool {
    const RO: [&str; 9] = [
        "Describe", "Get", "List", "Lookup", "Head", "Decrypt", "Filter", "Search", "Select",
    ];
    RO.iter().any(|p| name.starts_with(p)) && name != "GetFederationToken"
        || name == "GenerateDataKey"
}

fn tls_host(w: &mut W, ev: &Ev<'_>) {
    if !w.host.is_empty() {
        let h = std::mem::take(&mut w.host);
        w.ks("clientProvidedHostHeader", &h);
        return;
    }
    let svc = ev.source.trim_end_matches(".amazonaws.com");
    match svc {
        "iam" | "sts" => w.kf("clientProvidedHostHeader", format_args!("{}", ev.source)),
        "signin" => w.kf(
            "clientProvidedHostHeader",
            format_args!("{}.signin.aws.amazon.com", ev.region),
        ),
        _ => w.kf(
            "clientProvidedHostHeader",
            format_args!("{svc}.{}.amazonaws.com", ev.region),
        ),
    }
}

/// Appends one minified record. `body` must write `requestParameters` and
/// `responseElements` (and may write `additionalEventData`, `w.host`, `w.res`).
pub(crate) fn write_record(
    w: &mut W,
    rng: &mut Rng,
    ev: &Ev<'_>,
    body: impl FnOnce(&mut W, &mut Rng),
) {
    w.host.clear();
    w.res.clear();
    w.obj();
    w.ks("eventVersion", ev.version);
    ev.id.write(w, ev.time, rng);
    w.kts("eventTime", ev.time);
    w.ks("eventSource", ev.source);
    w.ks("eventName", ev.name);
    w.ks("awsRegion", ev.region);
    w.ks("sourceIPAddress", ev.ip);
    w.ks("userAgent", ev.ua);
    if let Some((code, msg)) = ev.error {
        // An empty code means "message only", as on failed console sign-ins.
        if !code.is_empty() {
            w.ks("errorCode", code);
        }
        w.ks("errorMessage", msg);
    }
    body(w, rng);
    match ev.req_id {
        ReqId::Uuid => {
            let mut s = String::with_capacity(36);
            rng.uuid_into(&mut s);
            w.ks("requestID", &s);
        }
        ReqId::S3 => {
            let mut s = String::with_capacity(16);
            rng.upper_into(&mut s, 16);
            w.ks("requestID", &s);
        }
        ReqId::None => {}
    }
    let mut s = String::with_capacity(36);
    rng.uuid_into(&mut s);
    w.ks("eventID", &s);
    w.kb("readOnly", ev.read_only);
    if !w.res.is_empty() {
        let res = std::mem::take(&mut w.res);
        w.karr("resources");
        for (arn, ty, acct) in &res {
            w.obj();
            if !acct.is_empty() {
                w.ks("accountId", acct);
            }
            w.ks("type", ty);
            w.ks("ARN", arn);
            w.end();
        }
        w.end_arr();
        w.res = res;
        w.res.clear();
    }
    w.ks("eventType", ev.event_type);
    w.kb("managementEvent", !ev.data);
    w.ks("recipientAccountId", ev.recipient);
    if ev.shared_event {
        let mut s = String::with_capacity(36);
        rng.uuid_into(&mut s);
        w.ks("sharedEventID", &s);
    }
    if let Some(v) = ev.vpce {
        w.ks("vpcEndpointId", v);
        w.ks("vpcEndpointAccountId", ev.recipient);
    }
    w.ks("eventCategory", if ev.data { "Data" } else { "Management" });
    if ev.tls {
        w.kobj("tlsDetails");
        if rng.chance(7, 10) {
            w.ks("tlsVersion", "TLSv1.3");
            w.ks("cipherSuite", "TLS_AES_128_GCM_SHA256");
        } else {
            w.ks("tlsVersion", "TLSv1.2");
            w.ks("cipherSuite", "ECDHE-RSA-AES128-GCM-SHA256");
        }
        tls_host(w, ev);
        w.end();
    }
    if ev.console {
        w.ks("sessionCredentialFromConsole", "true");
    }
    w.end();
    w.host.clear();
}

/// The usual "not authorized" message for an identity and action.
pub(crate) fn denied_message(id: &Identity, action: &str, resource: &str) -> String {
    let who = id.arn.as_deref().unwrap_or("anonymous");
    format!(
        "User: {who} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action"
    )
}
