//! S3 input: configuration from the AWS environment, `s3://` URLs with globs, a store per
//! bucket, listing that walks CloudTrail's `AWSLogs/` layout, and whole-object reads.
//!
//! ```no_run
//! # async fn run() -> Result<(), trailhunt_source::s3::S3Error> {
//! use trailhunt_source::s3::{S3Config, S3Url, fetch, list, store};
//! let config = S3Config::from_env(None)?;
//! let url = S3Url::parse("s3://my-trail-bucket/AWSLogs/")?;
//! let bucket = store(&config, url.bucket())?;
//! for object in list(bucket.as_ref(), &url, None, None).await? {
//!     let bytes = fetch(bucket.as_ref(), &object, 512 << 20).await?;
//!     println!("{} {}", object.display, bytes.len());
//! }
//! # Ok(()) }
//! ```

mod config;
pub(crate) mod error;
mod list;
mod url;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path;
use object_store::{BackoffConfig, ClientOptions, GetOptions, ObjectStore, RetryConfig};

pub use config::{RetrySettings, S3Config, Secret};
pub use error::S3Error;
pub use list::{LIST_CONCURRENCY, list};
pub use url::S3Url;

use config::Credentials;
use error::{classify, read_error};

/// One object to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Object {
    /// Its key in the bucket.
    pub key: Path,
    /// Its size in bytes, as listed.
    pub size: u64,
    /// `s3://bucket/key`, for messages and ordering.
    pub display: String,
    /// What changes when the object does (its ETag, else its modification time), when
    /// listed: a cache entry of the object is fresh while it is the same.
    pub version: Option<String>,
}

impl S3Object {
    /// An object of `bucket`.
    pub fn new(bucket: &str, key: Path, size: u64) -> S3Object {
        let display = format!("s3://{bucket}/{key}");
        S3Object {
            key,
            size,
            display,
            version: None,
        }
    }

    /// An object as a listing or HEAD described it.
    pub fn listed(bucket: &str, meta: object_store::ObjectMeta) -> S3Object {
        let version = meta
            .e_tag
            .clone()
            .unwrap_or_else(|| meta.last_modified.to_rfc3339());
        S3Object {
            version: Some(version),
            ..S3Object::new(bucket, meta.location, meta.size)
        }
    }
}

/// A store for `bucket`, to list and read through (and to register with DataFusion under
/// [`S3Url::bucket_url`]). Requests are retried with exponential backoff on throttling,
/// 5xx answers, dropped connections and time-outs ([`S3Config::retry`]). A custom endpoint
/// is addressed path-style (`ENDPOINT/bucket/key`); AWS itself virtual-hosted style, but
/// path-style for bucket names with dots (whose virtual hosts the TLS certificate does
/// not cover).
pub fn store(config: &S3Config, bucket: &str) -> Result<Arc<dyn ObjectStore>, S3Error> {
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: config.retry.init_backoff,
            max_backoff: config.retry.max_backoff,
            base: 2.0,
        },
        max_retries: config.retry.max_retries,
        retry_timeout: config.retry.retry_timeout,
    };
    let options = ClientOptions::new()
        .with_connect_timeout(config.connect_timeout)
        .with_timeout(config.request_timeout)
        .with_pool_idle_timeout(Duration::from_secs(60))
        .with_allow_http(config.allow_http);
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region(&config.region)
        .with_retry(retry)
        .with_client_options(options)
        .with_allow_http(config.allow_http);
    builder = match &config.endpoint {
        Some(endpoint) => builder
            .with_endpoint(endpoint)
            .with_virtual_hosted_style_request(false),
        None => builder.with_virtual_hosted_style_request(!bucket.contains('.')),
    };
    builder = match &config.credentials {
        Credentials::Static {
            key_id,
            secret,
            token,
        } => {
            let b = builder
                .with_access_key_id(key_id)
                .with_secret_access_key(secret.expose());
            match token {
                Some(t) => b.with_token(t.expose()),
                None => b,
            }
        }
        Credentials::Delegated(settings) => {
            let mut b = builder;
            for (key, value) in settings {
                let key: AmazonS3ConfigKey = key.parse().map_err(|_| S3Error::InvalidConfig {
                    detail: format!("object_store does not know the setting {key}"),
                })?;
                b = b.with_config(key, value);
            }
            b
        }
    };
    let built = builder.build().map_err(|e| S3Error::InvalidConfig {
        // Builder errors name settings and URLs, never credential values.
        detail: format!("cannot set up S3 access to bucket {bucket:?}: {e}"),
    })?;
    Ok(Arc::new(built))
}

/// Reads the whole of `object`. One bigger than `cap` bytes is refused (named, with the
/// cap) before its body is read. `object_store` already retries failed requests and resumes
/// bodies cut mid-stream; a read that still fails (or returns fewer bytes than the object
/// holds) is tried again as a whole, three times in all with backoff, then reported with
/// its key. Denied access and missing objects are reported at once.
pub async fn fetch(store: &dyn ObjectStore, object: &S3Object, cap: u64) -> Result<Bytes, S3Error> {
    fetch_with(store, object, cap, 3, Duration::from_millis(200)).await
}

/// [`fetch`] with its number of whole-object attempts and first backoff chosen.
pub async fn fetch_with(
    store: &dyn ObjectStore,
    object: &S3Object,
    cap: u64,
    attempts: u32,
    backoff: Duration,
) -> Result<Bytes, S3Error> {
    let too_large = |size| S3Error::TooLarge {
        url: object.display.clone(),
        size,
        cap,
    };
    if object.size > cap {
        return Err(too_large(object.size));
    }
    let bucket = object
        .display
        .strip_prefix("s3://")
        .and_then(|s| s.split('/').next())
        .unwrap_or("");
    let attempts = attempts.max(1);
    let mut last = String::new();
    let mut wait = backoff;
    for attempt in 1..=attempts {
        if attempt > 1 {
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
        let got = match store.get_opts(&object.key, GetOptions::default()).await {
            Ok(got) => got,
            Err(e) => {
                let err = classify(&e, bucket, &object.display, "read");
                if !err.is_transient() {
                    return Err(err);
                }
                last = read_error(&e).detail;
                continue;
            }
        };
        if got.meta.size > cap {
            return Err(too_large(got.meta.size));
        }
        let expected = got.meta.size;
        match got.bytes().await {
            Ok(b) if b.len() as u64 == expected => return Ok(b),
            Ok(b) => {
                last = format!("the body ended after {} of {expected} bytes", b.len());
            }
            Err(e) => {
                let err = classify(&e, bucket, &object.display, "read");
                if !err.is_transient() {
                    return Err(err);
                }
                last = read_error(&e).detail;
            }
        }
    }
    Err(S3Error::Read {
        url: object.display.clone(),
        attempts,
        detail: last,
    })
}
