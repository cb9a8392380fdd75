//! Fixtures shared by the CLI tests: a tiny CloudTrail file written to a temp folder.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const RECORDS: &str = r#"{"Records":[
{"eventVersion":"1.08","eventTime":"2024-03-01T10:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","userName":"alice"},"responseElements":{"ConsoleLogin":"Success"}},
{"eventVersion":"1.08","eventTime":"2024-03-01T10:05:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.9","userIdentity":{"type":"IAMUser","userName":"bob"},"errorMessage":"Failed authentication","responseElements":{"ConsoleLogin":"Failure"}},
{"eventVersion":"1.08","eventTime":"2024-03-01T10:10:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","userName":"alice"},"requestParameters":{"bucketName":"reports","key":"q1, \"final\".csv"},"additionalEventData":{"bytesTransferredOut":1024}}
]}"#;

/// A temp folder holding `trail.json` with [`RECORDS`].
pub fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("trail.json"), RECORDS).expect("write fixture");
    dir
}

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trailhunt"));
    // Never read or write the real user's saved queries.
    c.env("XDG_CONFIG_HOME", "/nonexistent-trailhunt-test")
        .env("XDG_DATA_HOME", "/nonexistent-trailhunt-test")
        .env("NO_COLOR", "1");
    c
}

/// Run with `args`, standard input empty.
pub fn run(args: &[&str], cwd: &Path) -> Output {
    bin()
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .expect("run trailhunt")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
