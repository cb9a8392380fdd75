//! Deterministic synthetic AWS CloudTrail data for trailhunt.
//!
//! [`generate`] writes a realistic CloudTrail **S3 delivery tree**:
//!
//! ```text
//! OUT/AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz
//! OUT/AWSLogs/ACCOUNT/CloudTrail-Digest/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail-Digest_REGION_TRAIL_REGION_YYYYMMDDTHHmmssZ.json.gz
//! OUT/AWSLogs/ACCOUNT/CloudTrail-Insight/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail-Insight_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz
//! ```
//!
//! * one gzipped, minified `{"Records":[…]}` per (account, region, 5-minute slot) that has
//!   records, split into several files when a slot holds more than 500 records; records are
//!   shuffled inside a file, and about 3% of a slot's records are delivered late, in the next
//!   slot's file, so files overlap in time;
//! * hourly digest files (no `Records`; a loader must skip them) per account and region;
//!   their hashes and signatures are random hex, not real SHA-256/RSA values;
//! * when stories are planted, one Insights file holding two `AwsCloudTrailInsight`
//!   records (these **count toward `events`**).
//!
//! The background traffic comes from weighted actors (busy application, Lambda, monitoring,
//! AWS Config and CI roles; ~30 human IAM users using the CLI and the console; federated
//! users; AWS services without an ARN) calling ~50 APIs across iam, sts, s3 (data events with
//! `bytesTransferredIn/Out`), ec2, lambda, kms, secretsmanager, ssm, cloudtrail, guardduty,
//! signin, logs, rds, organizations, config, monitoring, tagging and health. About 3% of
//! records have no `userIdentity.arn`, 5–10% carry an `errorCode`/`errorMessage`.
//! Nine attack stories are planted at fixed points of the span; see [`stories`].
//!
//! Output is a pure function of [`GenerateOptions`]: the PRNG (xoshiro256**) and all
//! formatting are implemented here, and no floating-point maths or clocks are involved, so
//! the same options give byte-identical files on every platform and thread count.
#![deny(missing_docs)]

mod api;
mod catalog;
mod identity;
mod json;
mod noise;
mod record;
mod rng;
pub mod stories;
mod story_gen;
mod timefmt;
mod write;

use std::io;
use std::path::Path;

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// Total number of records written (log and Insights files; digests excluded).
    pub events: u64,
    /// PRNG seed; the same seed gives byte-identical output.
    pub seed: u64,
    /// Start of the span, unix seconds (default 2024-03-01T00:00:00Z).
    pub start: i64,
    /// Length of the span in hours (default 24).
    pub hours: u32,
    /// Account ids; the first is the main account where the stories happen
    /// (default `[798029671665, 271349850264]`).
    pub accounts: Vec<String>,
    /// Regions; the first is dominant and hosts global services and the stories
    /// (default us-east-1, us-west-2, eu-west-1, ap-southeast-2).
    pub regions: Vec<String>,
    /// Optional organization id (`o-…`) inserted after `AWSLogs/`.
    pub org_id: Option<String>,
    /// Worker threads; 0 means the available parallelism (output does not depend on it).
    pub threads: usize,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            events: 10_000,
            seed: 1,
            start: 1_709_251_200,
            hours: 24,
            accounts: vec![
                stories::MAIN_ACCOUNT.to_string(),
                stories::SECOND_ACCOUNT.to_string(),
            ],
            regions: ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            org_id: None,
            threads: 0,
        }
    }
}

/// What was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Files holding records (CloudTrail log files plus the Insights file, if any).
    pub files: u64,
    /// Records written (equals `GenerateOptions::events`).
    pub events: u64,
    /// Uncompressed JSON bytes of those files.
    pub bytes_json: u64,
    /// Compressed bytes of those files.
    pub bytes_gz: u64,
    /// Digest files written (not counted in `files`/`bytes_*`).
    pub digest_files: u64,
}

/// Writes a CloudTrail S3-delivery tree under `out_dir` (created if needed).
///
/// Errors: invalid options (`InvalidInput`) or any I/O error while writing.
pub fn generate(opts: &GenerateOptions, out_dir: &Path) -> io::Result<GenerateSummary> {
    if opts.accounts.is_empty() || opts.regions.is_empty() || opts.hours == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "need at least one account, one region and one hour",
        ));
    }
    if opts
        .accounts
        .iter()
        .chain(&opts.regions)
        .chain(&opts.org_id)
        .any(|s| s.is_empty() || s.contains(['/', '\\', '.']) || s.contains(".."))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "account, region and organization ids must be plain names",
        ));
    }
    write::run(opts, out_dir)
}
