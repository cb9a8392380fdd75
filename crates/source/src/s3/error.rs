//! One clear message per cause of an S3 failure.
//!
//! Messages are built from what a failure *is* (the HTTP status, the S3 error `<Code>`,
//! the transport error's kind), never from a response body: an S3 `SignatureDoesNotMatch`
//! body carries the canonical request, whose signed headers include the session token.
//! Nothing here holds a secret, so `Display` and `Debug` are both safe to print.

use std::fmt;

/// What went wrong talking to S3, with the bucket or key and what to check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum S3Error {
    /// An `s3://` input that cannot be read as one.
    InvalidUrl {
        /// The input as given.
        input: String,
        /// Why it is not an S3 URL.
        reason: String,
    },
    /// An endpoint URL that is not usable.
    InvalidEndpoint {
        /// Where it came from (`--endpoint`, `AWS_ENDPOINT_URL`, …).
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A plain `http://` endpoint without `AWS_ALLOW_HTTP=true`.
    PlainHttp {
        /// Where it came from.
        origin: String,
        /// The endpoint.
        endpoint: String,
    },
    /// No credentials anywhere.
    NoCredentials {
        /// The places looked at.
        checked: String,
    },
    /// An access key without its secret, or the other way round.
    PartialCredentials {
        /// Where the half was found.
        origin: String,
        /// What is missing.
        missing: String,
    },
    /// A profile that is missing, unreadable or not usable.
    Profile {
        /// The profile name.
        profile: String,
        /// What is wrong.
        reason: String,
    },
    /// Any other setting that is not usable.
    InvalidConfig {
        /// What is wrong.
        detail: String,
    },
    /// The bucket does not exist (`NoSuchBucket`).
    NoSuchBucket {
        /// The bucket.
        bucket: String,
        /// The endpoint asked, when known.
        endpoint: Option<String>,
    },
    /// The secret access key does not match the access key id (`SignatureDoesNotMatch`).
    WrongSecret {
        /// The bucket.
        bucket: String,
    },
    /// The access key id is unknown (`InvalidAccessKeyId`; s3s says `NotSignedUp`).
    UnknownAccessKey {
        /// The bucket.
        bucket: String,
        /// The S3 error code.
        code: String,
    },
    /// The session token has expired or is invalid (`ExpiredToken`, `InvalidToken`).
    BadToken {
        /// The bucket.
        bucket: String,
        /// The S3 error code.
        code: String,
    },
    /// The credentials are valid but not allowed to do this (`AccessDenied`, 403).
    AccessDenied {
        /// `s3://bucket/key` or `s3://bucket/prefix`.
        url: String,
        /// What was being done (`list`, `read`).
        operation: &'static str,
        /// The S3 error code, when the response had one.
        code: Option<String>,
    },
    /// The bucket lives in another region than the one requests are signed for.
    WrongRegion {
        /// The bucket.
        bucket: String,
        /// The S3 error code, when the response had one.
        code: Option<String>,
    },
    /// The local clock is too far from the server's (`RequestTimeTooSkewed`).
    ClockSkew {
        /// The bucket.
        bucket: String,
    },
    /// No connection to the endpoint, after retries.
    Unreachable {
        /// The endpoint, when known.
        endpoint: Option<String>,
        /// The transport error.
        detail: String,
    },
    /// The object is gone (listed, then deleted before it was read).
    NotFound {
        /// `s3://bucket/key`.
        url: String,
    },
    /// The object is bigger than the reader accepts.
    TooLarge {
        /// `s3://bucket/key`.
        url: String,
        /// Its size in bytes.
        size: u64,
        /// The cap in bytes.
        cap: u64,
    },
    /// Reading an object kept failing (mid-body, time-outs, server errors), after retries.
    Read {
        /// `s3://bucket/key`.
        url: String,
        /// Whole-object attempts made.
        attempts: u32,
        /// The last failure.
        detail: String,
    },
    /// Any other failure the service reported.
    Service {
        /// `s3://bucket/key` or `s3://bucket/prefix`.
        url: String,
        /// What was being done (`list`, `read`).
        operation: &'static str,
        /// The HTTP status, when there was a response.
        status: Option<u16>,
        /// The S3 error code, when the response had one.
        code: Option<String>,
        /// A description without any response body.
        detail: String,
    },
}

impl S3Error {
    /// Whether trying again later could help (throttling, 5xx, time-outs, a dropped
    /// connection); not for denied access, missing buckets or bad settings.
    pub fn is_transient(&self) -> bool {
        match self {
            S3Error::Unreachable { .. } | S3Error::Read { .. } => true,
            S3Error::Service { status, .. } => status.is_none_or(|s| s >= 500 || s == 429),
            _ => false,
        }
    }
}

fn at(endpoint: &Option<String>) -> String {
    match endpoint {
        Some(e) => format!(" at {e}"),
        None => String::new(),
    }
}

fn with_code(code: &Option<String>) -> String {
    match code {
        Some(c) => format!(" ({c})"),
        None => String::new(),
    }
}

impl fmt::Display for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            S3Error::InvalidUrl { input, reason } => {
                write!(f, "{input:?} is not an S3 input: {reason}")
            }
            S3Error::InvalidEndpoint { origin, reason } => {
                write!(f, "the S3 endpoint from {origin} is not usable: {reason}")
            }
            S3Error::PlainHttp { origin, endpoint } => write!(
                f,
                "the S3 endpoint {endpoint} (from {origin}) is plain http://, which sends data \
                 unencrypted: use https://, or set AWS_ALLOW_HTTP=true for a local test server"
            ),
            S3Error::NoCredentials { checked } => write!(
                f,
                "no AWS credentials found (looked at {checked}): set AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), or \
                 AWS_PROFILE to a profile with static keys"
            ),
            S3Error::PartialCredentials { origin, missing } => write!(
                f,
                "incomplete AWS credentials in {origin}: {missing} is missing; set both the \
                 access key id and the secret access key"
            ),
            S3Error::Profile { profile, reason } => {
                write!(f, "AWS profile {profile:?} is not usable: {reason}")
            }
            S3Error::InvalidConfig { detail } => write!(f, "S3 settings: {detail}"),
            S3Error::NoSuchBucket { bucket, endpoint } => write!(
                f,
                "S3 bucket {bucket:?} does not exist{} (NoSuchBucket): check the bucket name in \
                 the s3:// input, and --endpoint / AWS_ENDPOINT_URL if the bucket is not on AWS",
                at(endpoint)
            ),
            S3Error::WrongSecret { bucket } => write!(
                f,
                "S3 rejected the request signature for bucket {bucket:?} (SignatureDoesNotMatch): \
                 the secret access key does not belong to the access key id; check \
                 AWS_SECRET_ACCESS_KEY (or the profile's aws_secret_access_key)"
            ),
            S3Error::UnknownAccessKey { bucket, code } => write!(
                f,
                "S3 does not know the access key id used for bucket {bucket:?} ({code}): check \
                 AWS_ACCESS_KEY_ID (or the profile's aws_access_key_id), and that the key is \
                 active and meant for this endpoint"
            ),
            S3Error::BadToken { bucket, code } => write!(
                f,
                "S3 rejected the session token for bucket {bucket:?} ({code}): temporary \
                 credentials expire; get fresh ones and set AWS_SESSION_TOKEN with them (or \
                 unset it for long-term keys)"
            ),
            S3Error::AccessDenied {
                url,
                operation,
                code,
            } => {
                let action = match *operation {
                    "list" => "s3:ListBucket on the bucket",
                    "write" => "s3:PutObject (and s3:DeleteObject) under the cache's prefix",
                    _ => "s3:GetObject on the objects (and kms:Decrypt if the trail uses SSE-KMS)",
                };
                write!(
                    f,
                    "access denied to {operation} {url}{}: the credentials are valid but not \
                     allowed; check that their policy (and the bucket policy) grants {action}",
                    with_code(code)
                )
            }
            S3Error::WrongRegion { bucket, code } => write!(
                f,
                "S3 bucket {bucket:?} is in another region than the one requests are signed \
                 for{}: set AWS_REGION to the bucket's region",
                with_code(code)
            ),
            S3Error::ClockSkew { bucket } => write!(
                f,
                "S3 refused the request for bucket {bucket:?} because this machine's clock is \
                 too far off (RequestTimeTooSkewed): fix the system time"
            ),
            S3Error::Unreachable { endpoint, detail } => write!(
                f,
                "cannot reach the S3 endpoint{}: {detail}; check --endpoint / \
                 AWS_ENDPOINT_URL, the network and any proxy settings",
                at(endpoint)
            ),
            S3Error::NotFound { url } => write!(
                f,
                "{url} no longer exists (it was listed, then removed before it was read): run \
                 again to list afresh"
            ),
            S3Error::TooLarge { url, size, cap } => write!(
                f,
                "{url} is {size} bytes, more than the {cap}-byte limit for one object; CloudTrail \
                 files are far smaller, so check that the input points at CloudTrail logs"
            ),
            S3Error::Read {
                url,
                attempts,
                detail,
            } => write!(
                f,
                "reading {url} failed after {attempts} attempts: {detail}; the service or the \
                 network kept failing, run again later"
            ),
            S3Error::Service {
                url,
                operation,
                status,
                code,
                detail,
            } => {
                write!(f, "S3 failed to {operation} {url}")?;
                match (status, code) {
                    (Some(s), Some(c)) => write!(f, " (HTTP {s}, {c})")?,
                    (Some(s), None) => write!(f, " (HTTP {s})")?,
                    (None, Some(c)) => write!(f, " ({c})")?,
                    (None, None) => {}
                }
                write!(f, ": {detail}")
            }
        }
    }
}

impl std::error::Error for S3Error {}

/// What an `object_store` error says, read without keeping any response body.
#[derive(Debug, Default)]
pub(crate) struct Reading {
    pub status: Option<u16>,
    pub code: Option<String>,
    pub connect: bool,
    pub timeout: bool,
    pub not_found: bool,
    pub endpoint: Option<String>,
    /// The error chain up to (not including) any response body, shortened.
    pub detail: String,
}

pub(crate) fn read_error(err: &object_store::Error) -> Reading {
    let mut r = Reading {
        not_found: matches!(err, object_store::Error::NotFound { .. }),
        ..Reading::default()
    };
    let mut texts = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(h) = e.downcast_ref::<object_store::client::HttpError>() {
            use object_store::client::HttpErrorKind as K;
            match h.kind() {
                K::Connect => r.connect = true,
                K::Timeout => r.timeout = true,
                _ => {}
            }
        }
        texts.push(e.to_string());
        cur = e.source();
    }
    let all = texts.join(" | ");
    r.code = between(&all, "<Code>", "</Code>").map(str::to_string);
    r.status = all
        .split("status code: ")
        .nth(1)
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse().ok());
    r.endpoint = endpoint_of(&all);
    // The outermost message names the operation and the URL; what follows the first
    // body marker is the body.
    let head = texts.first().map(String::as_str).unwrap_or("");
    let head = cut_body(head);
    let tail = texts
        .last()
        .filter(|_| texts.len() > 1)
        .map(|t| cut_body(t));
    // object_store writes `Error performing GET URL in 17ms, after 2 retries, … - CAUSE`:
    // the URL is said elsewhere, the cause and the retries are what matter.
    let mut detail = match head.rsplit_once(" - ") {
        Some((outer, cause)) => {
            let retries = outer
                .split("after ")
                .nth(1)
                .and_then(|s| s.split(" retries").next())
                .filter(|n| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty());
            match retries {
                Some(n) => format!("{} (after {n} retries)", cause.trim()),
                None => cause.trim().to_string(),
            }
        }
        None => head.to_string(),
    };
    if let Some(t) = tail.filter(|t| !detail.contains(*t) && !head.contains(*t) && !t.is_empty()) {
        detail.push_str(": ");
        detail.push_str(t);
    }
    if detail.chars().count() > 400 {
        detail = detail.chars().take(400).collect::<String>() + "…";
    }
    r.detail = detail;
    r
}

/// `s` without any response body: object_store writes `status code: 403 Forbidden: BODY`
/// and `error response: BODY`; XML is cut wherever it starts.
fn cut_body(s: &str) -> &str {
    let mut end = ["<?xml", "<Error", "<error"]
        .iter()
        .filter_map(|m| s.find(m))
        .min()
        .unwrap_or(s.len());
    if let Some(p) = s.find("status code: ") {
        let after = p + "status code: ".len();
        if let Some(q) = s[after..].find(": ") {
            end = end.min(after + q);
        }
    }
    if let Some(p) = s.find("error response") {
        end = end.min(p + "error response".len());
    }
    s[..end].trim_end_matches([' ', ':', '-'])
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = s.find(open)? + open.len();
    let len = s[start..].find(close)?;
    let code = s[start..start + len].trim();
    (!code.is_empty() && code.len() < 64 && code.chars().all(|c| c.is_ascii_alphanumeric()))
        .then_some(code)
}

/// `scheme://host[:port]` of the first URL in `s`.
fn endpoint_of(s: &str) -> Option<String> {
    let start = ["https://", "http://"]
        .iter()
        .filter_map(|m| s.find(m))
        .min()?;
    let candidate: String = s[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ')' | '(' | '"' | '\''))
        .collect();
    let url = url::Url::parse(&candidate).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(p) => format!("{}://{host}:{p}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

/// Turns an `object_store` error into the [`S3Error`] for its cause. `url` is
/// `s3://bucket/key-or-prefix`; `operation` is `list`, `read` or `write`.
pub(crate) fn classify(
    err: &object_store::Error,
    bucket: &str,
    url: &str,
    operation: &'static str,
) -> S3Error {
    let r = read_error(err);
    let bucket = bucket.to_string();
    match r.code.as_deref() {
        Some("NoSuchBucket") => {
            return S3Error::NoSuchBucket {
                bucket,
                endpoint: r.endpoint,
            };
        }
        Some("NoSuchKey") => {
            return S3Error::NotFound {
                url: url.to_string(),
            };
        }
        Some("SignatureDoesNotMatch") => return S3Error::WrongSecret { bucket },
        Some(c @ ("InvalidAccessKeyId" | "NotSignedUp")) => {
            return S3Error::UnknownAccessKey {
                bucket,
                code: c.to_string(),
            };
        }
        Some(c @ ("ExpiredToken" | "InvalidToken" | "TokenRefreshRequired")) => {
            return S3Error::BadToken {
                bucket,
                code: c.to_string(),
            };
        }
        Some("RequestTimeTooSkewed") => return S3Error::ClockSkew { bucket },
        Some(
            c @ ("PermanentRedirect"
            | "AuthorizationHeaderMalformed"
            | "IllegalLocationConstraintException"),
        ) => {
            return S3Error::WrongRegion {
                bucket,
                code: Some(c.to_string()),
            };
        }
        _ => {}
    }
    if r.status == Some(301) || r.detail.contains("incorrectly configured region") {
        return S3Error::WrongRegion {
            bucket,
            code: r.code,
        };
    }
    if r.status == Some(403) || matches!(err, object_store::Error::PermissionDenied { .. }) {
        return S3Error::AccessDenied {
            url: url.to_string(),
            operation,
            code: r.code,
        };
    }
    if r.not_found || r.status == Some(404) {
        return S3Error::NotFound {
            url: url.to_string(),
        };
    }
    if r.connect {
        return S3Error::Unreachable {
            endpoint: r.endpoint,
            detail: r.detail,
        };
    }
    S3Error::Service {
        url: url.to_string(),
        operation,
        status: r.status,
        code: r.code,
        detail: r.detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_codes_and_endpoints_without_bodies() {
        let text = "Error performing GET http://127.0.0.1:9000/b?list-type=2 in 2ms - Server returned non-2xx status code: 403 Forbidden: <?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><CanonicalRequest>x-amz-security-token:TOKEN</CanonicalRequest></Error>";
        assert_eq!(
            between(text, "<Code>", "</Code>"),
            Some("SignatureDoesNotMatch")
        );
        assert_eq!(endpoint_of(text).as_deref(), Some("http://127.0.0.1:9000"));
        let cut = cut_body(text);
        assert!(!cut.contains("TOKEN"), "{cut}");
        assert!(cut.ends_with("403 Forbidden"), "{cut}");
    }
}
