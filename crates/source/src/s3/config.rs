//! Credentials, region and endpoint from the standard AWS environment.
//!
//! The order is the AWS SDKs' own: the `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`
//! (/ `AWS_SESSION_TOKEN`) variables, then the static keys of the profile (`AWS_PROFILE`, or
//! `default`) in `~/.aws/credentials` and `~/.aws/config`, then a web-identity token
//! (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`) or container credentials
//! (`AWS_CONTAINER_CREDENTIALS_*`), which `object_store` fetches itself. The EC2 instance
//! metadata service is not asked: with nothing configured the answer is one clear error
//! instead of seconds of timeouts on a laptop.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::S3Error;

/// A secret value (secret access key, session token): never printed, not even by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the signer only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where the credentials come from.
#[derive(Clone)]
pub(crate) enum Credentials {
    /// An access key, its secret and maybe a session token.
    Static {
        key_id: String,
        secret: Secret,
        token: Option<Secret>,
    },
    /// Settings `object_store` turns into credentials itself (web identity, containers):
    /// `(object_store config key, value)`.
    Delegated(Vec<(&'static str, String)>),
}

/// How requests are retried: `object_store`'s exponential backoff with jitter, used for
/// throttling (503 SlowDown, 429), server errors (5xx), dropped connections and timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySettings {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: usize,
    /// The first backoff; each further one is about twice as long.
    pub init_backoff: Duration,
    /// The longest single backoff.
    pub max_backoff: Duration,
    /// No retry starts later than this after the first attempt.
    pub retry_timeout: Duration,
}

impl Default for RetrySettings {
    fn default() -> Self {
        RetrySettings {
            // About 6 s of backoff in all: enough to ride out throttling, short enough that
            // a mistyped endpoint is reported promptly.
            max_retries: 6,
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            retry_timeout: Duration::from_secs(90),
        }
    }
}

/// Everything needed to talk to S3 (or an S3-compatible service), from
/// [`S3Config::from_env`]. Its `Debug` shows the last four characters of the access key id
/// at most, never the secret or the session token.
#[derive(Clone)]
pub struct S3Config {
    pub(crate) credentials: Credentials,
    /// Where the credentials were found, e.g. `AWS_ACCESS_KEY_ID` or `profile "dev" in
    /// /home/me/.aws/credentials`.
    pub credentials_origin: String,
    /// The region requests are signed for (`us-east-1` when nothing says otherwise).
    pub region: String,
    /// A custom endpoint (`--endpoint`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, or the
    /// profile's `endpoint_url`), without a trailing `/`; `None` for AWS itself.
    pub endpoint: Option<String>,
    /// Plain `http://` endpoints are allowed (`AWS_ALLOW_HTTP=true`).
    pub allow_http: bool,
    /// Retries of each request, inside `object_store`.
    pub retry: RetrySettings,
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// How long one request may take, its body included.
    pub request_timeout: Duration,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials = match &self.credentials {
            Credentials::Static { key_id, token, .. } => format!(
                "static key id {}, secret [redacted]{}",
                mask(key_id),
                if token.is_some() {
                    ", session token [redacted]"
                } else {
                    ""
                }
            ),
            Credentials::Delegated(settings) => {
                let keys: Vec<&str> = settings.iter().map(|(k, _)| *k).collect();
                format!("delegated to object_store ({})", keys.join(", "))
            }
        };
        f.debug_struct("S3Config")
            .field("credentials", &credentials)
            .field("credentials_origin", &self.credentials_origin)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("allow_http", &self.allow_http)
            .field("retry", &self.retry)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

/// `****ABCD`, as `aws configure list` shows a key id.
fn mask(key_id: &str) -> String {
    let chars: Vec<char> = key_id.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("****{tail}")
}

/// Which variable or flag an endpoint came from, for messages.
const ENDPOINT_FLAG: &str = "--endpoint";

impl S3Config {
    /// The configuration from the process environment; `endpoint` is the `--endpoint URL`
    /// flag, which wins over the environment. See the module documentation for the order.
    pub fn from_env(endpoint: Option<&str>) -> Result<S3Config, S3Error> {
        S3Config::from_lookup(|name| std::env::var(name).ok(), endpoint)
    }

    /// As [`S3Config::from_env`], reading variables through `lookup` (tests, or a caller
    /// with its own environment). An empty value counts as unset.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        endpoint: Option<&str>,
    ) -> Result<S3Config, S3Error> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let home = var("HOME").or_else(|| var("USERPROFILE"));
        let expand = |p: String| -> PathBuf {
            match (p.strip_prefix("~/"), &home) {
                (Some(rest), Some(h)) => Path::new(h).join(rest),
                _ => PathBuf::from(p),
            }
        };
        let aws_dir = home.as_ref().map(|h| Path::new(h).join(".aws"));
        let credentials_file = var("AWS_SHARED_CREDENTIALS_FILE")
            .map(&expand)
            .or_else(|| aws_dir.as_ref().map(|d| d.join("credentials")));
        let config_file = var("AWS_CONFIG_FILE")
            .map(&expand)
            .or_else(|| aws_dir.as_ref().map(|d| d.join("config")));
        let explicit_profile = var("AWS_PROFILE");
        let profile_name = explicit_profile
            .clone()
            .unwrap_or_else(|| "default".to_string());
        let profile = Profile::load(
            &profile_name,
            credentials_file.as_deref(),
            config_file.as_deref(),
        )?;
        if explicit_profile.is_some() && !profile.found {
            return Err(S3Error::Profile {
                profile: profile_name,
                reason: format!(
                    "no such profile in {}; check AWS_PROFILE",
                    files_checked(credentials_file.as_deref(), config_file.as_deref())
                ),
            });
        }

        let (credentials, credentials_origin) = credentials(
            &var,
            &profile,
            credentials_file.as_deref(),
            config_file.as_deref(),
        )?;

        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .or_else(|| profile.get("region").map(str::to_string))
            .unwrap_or_else(|| "us-east-1".to_string())
            .trim()
            .to_string();
        if !region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(S3Error::InvalidConfig {
                detail: format!(
                    "the region {region:?} is not a region name like us-east-1: check AWS_REGION, AWS_DEFAULT_REGION or the profile's region"
                ),
            });
        }

        let allow_http = var("AWS_ALLOW_HTTP").is_some_and(|v| truthy(&v));
        let endpoint = match endpoint.filter(|e| !e.trim().is_empty()) {
            Some(e) => Some((e.to_string(), ENDPOINT_FLAG.to_string())),
            None => var("AWS_ENDPOINT_URL_S3")
                .map(|e| (e, "AWS_ENDPOINT_URL_S3".to_string()))
                .or_else(|| var("AWS_ENDPOINT_URL").map(|e| (e, "AWS_ENDPOINT_URL".to_string())))
                .or_else(|| {
                    profile.get("endpoint_url").map(|e| {
                        (
                            e.to_string(),
                            format!("endpoint_url of profile {profile_name:?}"),
                        )
                    })
                }),
        };
        let endpoint = match endpoint {
            Some((url, origin)) => Some(check_endpoint(&url, &origin, allow_http)?),
            None => None,
        };

        Ok(S3Config {
            credentials,
            credentials_origin,
            region,
            endpoint,
            allow_http,
            retry: RetrySettings::default(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(120),
        })
    }

    /// The access key id and, through [`Secret`], its secret and session token, when the
    /// credentials are static.
    pub fn static_credentials(&self) -> Option<(&str, &Secret, Option<&Secret>)> {
        match &self.credentials {
            Credentials::Static {
                key_id,
                secret,
                token,
            } => Some((key_id, secret, token.as_ref())),
            Credentials::Delegated(_) => None,
        }
    }
}

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "on"
    )
}

fn files_checked(credentials: Option<&Path>, config: Option<&Path>) -> String {
    let describe = |p: Option<&Path>| match p {
        Some(p) if p.exists() => p.display().to_string(),
        Some(p) => format!("{} (not found)", p.display()),
        None => "no home folder".to_string(),
    };
    format!("{} and {}", describe(credentials), describe(config))
}

/// The credentials, and a description of where they were found.
fn credentials(
    var: &dyn Fn(&str) -> Option<String>,
    profile: &Profile,
    credentials_file: Option<&Path>,
    config_file: Option<&Path>,
) -> Result<(Credentials, String), S3Error> {
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(key_id), Some(secret)) => {
            let token = var("AWS_SESSION_TOKEN").map(Secret::new);
            return Ok((
                Credentials::Static {
                    key_id: key_id.trim().to_string(),
                    secret: Secret::new(secret.trim()),
                    token,
                },
                "AWS_ACCESS_KEY_ID".to_string(),
            ));
        }
        (Some(_), None) => {
            return Err(S3Error::PartialCredentials {
                origin: "the environment".to_string(),
                missing: "AWS_SECRET_ACCESS_KEY (AWS_ACCESS_KEY_ID is set)".to_string(),
            });
        }
        (None, Some(_)) => {
            return Err(S3Error::PartialCredentials {
                origin: "the environment".to_string(),
                missing: "AWS_ACCESS_KEY_ID (AWS_SECRET_ACCESS_KEY is set)".to_string(),
            });
        }
        (None, None) => {}
    }

    if profile.found {
        let origin = format!("profile {:?} in {}", profile.name, profile.origin());
        match (
            profile.get("aws_access_key_id"),
            profile.get("aws_secret_access_key"),
        ) {
            (Some(key_id), Some(secret)) => {
                let token = profile.get("aws_session_token").map(Secret::new);
                return Ok((
                    Credentials::Static {
                        key_id: key_id.to_string(),
                        secret: Secret::new(secret),
                        token,
                    },
                    origin,
                ));
            }
            (Some(_), None) => {
                return Err(S3Error::PartialCredentials {
                    origin,
                    missing: "aws_secret_access_key (aws_access_key_id is set)".to_string(),
                });
            }
            (None, Some(_)) => {
                return Err(S3Error::PartialCredentials {
                    origin,
                    missing: "aws_access_key_id (aws_secret_access_key is set)".to_string(),
                });
            }
            (None, None) => {}
        }
        for (key, what) in [
            ("role_arn", "an assumed role (role_arn)"),
            ("sso_session", "IAM Identity Center (sso_session)"),
            ("sso_start_url", "IAM Identity Center (sso_start_url)"),
            ("credential_process", "an external credential_process"),
            ("web_identity_token_file", "a web identity token file"),
        ] {
            if profile.get(key).is_some() {
                return Err(S3Error::Profile {
                    profile: profile.name.clone(),
                    reason: format!(
                        "it uses {what}, which trailhunt cannot resolve yet; export temporary \
                         credentials instead, e.g. `eval \"$(aws configure export-credentials \
                         --profile {} --format env)\"`",
                        profile.name
                    ),
                });
            }
        }
    }

    // Settings object_store resolves itself (it fetches and refreshes these tokens).
    let mut delegated = Vec::new();
    if let (Some(file), Some(role)) = (var("AWS_WEB_IDENTITY_TOKEN_FILE"), var("AWS_ROLE_ARN")) {
        delegated.push(("aws_web_identity_token_file", file));
        delegated.push(("aws_role_arn", role));
        if let Some(name) = var("AWS_ROLE_SESSION_NAME") {
            delegated.push(("aws_role_session_name", name));
        }
        if let Some(sts) = var("AWS_ENDPOINT_URL_STS") {
            delegated.push(("aws_endpoint_url_sts", sts));
        }
        return Ok((
            Credentials::Delegated(delegated),
            "AWS_WEB_IDENTITY_TOKEN_FILE".to_string(),
        ));
    }
    if let Some(uri) = var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        delegated.push(("aws_container_credentials_relative_uri", uri));
        return Ok((
            Credentials::Delegated(delegated),
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI".to_string(),
        ));
    }
    if let (Some(uri), Some(token_file)) = (
        var("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
        var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
    ) {
        delegated.push(("aws_container_credentials_full_uri", uri));
        delegated.push(("aws_container_authorization_token_file", token_file));
        return Ok((
            Credentials::Delegated(delegated),
            "AWS_CONTAINER_CREDENTIALS_FULL_URI".to_string(),
        ));
    }

    if profile.found {
        return Err(S3Error::Profile {
            profile: profile.name.clone(),
            reason: format!(
                "it has no aws_access_key_id / aws_secret_access_key (in {})",
                profile.origin()
            ),
        });
    }
    Err(S3Error::NoCredentials {
        checked: format!(
            "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profile {:?} in {}, \
             AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_CREDENTIALS_*",
            profile.name,
            files_checked(credentials_file, config_file)
        ),
    })
}

/// Checks an endpoint URL: `http` or `https`, a host, no user name or password, no query;
/// plain `http` only when allowed. Returns it without a trailing `/`.
fn check_endpoint(url: &str, origin: &str, allow_http: bool) -> Result<String, S3Error> {
    let url = url.trim();
    let invalid = |reason: String| S3Error::InvalidEndpoint {
        origin: origin.to_string(),
        reason,
    };
    let parsed = url::Url::parse(url).map_err(|e| {
        invalid(format!(
            "{e}; give a URL such as https://s3.example.com or http://127.0.0.1:9000"
        ))
    })?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // Never echo the URL: it holds a password.
        return Err(invalid(
            "it holds a user name or password; credentials belong in AWS_ACCESS_KEY_ID / \
             AWS_SECRET_ACCESS_KEY or a profile"
                .to_string(),
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid(format!("{url:?} has no host")));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid(format!(
            "{url:?} has a query or fragment; give only scheme, host, port (and path)"
        )));
    }
    match parsed.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => {
            return Err(S3Error::PlainHttp {
                origin: origin.to_string(),
                endpoint: url.to_string(),
            });
        }
        other => {
            return Err(invalid(format!(
                "{url:?} has scheme {other:?}; use https:// (or http:// with AWS_ALLOW_HTTP=true)"
            )));
        }
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// One profile's settings: the credentials file's section first, then the config file's.
struct Profile {
    name: String,
    found: bool,
    /// `(file, key, value)`, credentials file entries first.
    entries: Vec<(PathBuf, String, String)>,
}

impl Profile {
    fn load(
        name: &str,
        credentials_file: Option<&Path>,
        config_file: Option<&Path>,
    ) -> Result<Profile, S3Error> {
        let mut profile = Profile {
            name: name.to_string(),
            found: false,
            entries: Vec::new(),
        };
        for (file, is_config) in [(credentials_file, false), (config_file, true)] {
            let Some(file) = file else { continue };
            let text = match std::fs::read_to_string(file) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(S3Error::Profile {
                        profile: name.to_string(),
                        reason: format!("cannot read {}: {e}", file.display()),
                    });
                }
            };
            if let Some(section) = ini_section(&text, name, is_config) {
                profile.found = true;
                profile
                    .entries
                    .extend(section.into_iter().map(|(k, v)| (file.to_path_buf(), k, v)));
            }
        }
        Ok(profile)
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(_, k, v)| k == key && !v.is_empty())
            .map(|(_, _, v)| v.as_str())
    }

    fn origin(&self) -> String {
        let mut files: Vec<String> = Vec::new();
        for (f, _, _) in &self.entries {
            let f = f.display().to_string();
            if !files.contains(&f) {
                files.push(f);
            }
        }
        if files.is_empty() {
            "an empty section".to_string()
        } else {
            files.join(" and ")
        }
    }
}

/// The `key = value` pairs of one section of an AWS INI file, `None` when the section is
/// absent. In the config file a profile's section is `[profile NAME]` (`[default]` too);
/// in the credentials file it is `[NAME]`. Indented lines (sub-settings such as `s3 =`
/// blocks) and comments are skipped.
fn ini_section(text: &str, name: &str, is_config: bool) -> Option<Vec<(String, String)>> {
    let mut inside = false;
    let mut found = false;
    let mut pairs = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let header = header.split(']').next().unwrap_or("").trim();
            let section = if is_config {
                match header.strip_prefix("profile ") {
                    Some(n) => Some(n.trim()),
                    None if header == "default" => Some("default"),
                    None => None,
                }
            } else {
                Some(header)
            };
            inside = section == Some(name);
            found |= inside;
            continue;
        }
        if !inside {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            pairs.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    found.then_some(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_file_sections_need_the_profile_prefix() {
        let text = "[default]\nregion = eu-west-1\n[profile dev]\naws_access_key_id = A\n  s3 =\n    x = y\n[dev]\nregion = nope\n";
        assert_eq!(
            ini_section(text, "default", true),
            Some(vec![("region".into(), "eu-west-1".into())])
        );
        assert_eq!(
            ini_section(text, "dev", true),
            Some(vec![("aws_access_key_id".into(), "A".into())])
        );
        assert_eq!(
            ini_section(text, "dev", false),
            Some(vec![("region".into(), "nope".into())])
        );
        assert_eq!(ini_section(text, "other", true), None);
    }

    #[test]
    fn masks_all_but_four() {
        assert_eq!(mask("AKIAIOSFODNN7EXAMPLE"), "****MPLE");
        assert_eq!(mask("ab"), "****ab");
    }
}
