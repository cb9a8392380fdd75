//! `s3://` inputs against a real S3-compatible server (s3s-fs, in this test process, on a
//! free loopback port): the same answers as the local copy, one clear error for a wrong
//! secret (exit 2, no secret printed), and a time range that lists only its days.

mod common;

#[path = "../../source/tests/support/s3_server.rs"]
mod s3_server;

use std::path::Path;
use std::process::Output;

use s3_server::{ACCESS_KEY, S3Server, SECRET_KEY};

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// A server whose bucket `trail` holds the sample's `AWSLogs/` tree.
fn server() -> (tempfile::TempDir, S3Server) {
    let root = tempfile::tempdir().unwrap();
    let bucket = root.path().join("trail");
    std::fs::create_dir_all(&bucket).unwrap();
    copy_tree(&common::workspace_root().join("examples/data"), &bucket);
    let s = S3Server::start(root.path());
    (root, s)
}

fn query(server: &S3Server, secret: &str, args: &[&str]) -> Output {
    common::bin()
        .args(args)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", server.endpoint())
        .env("AWS_ALLOW_HTTP", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn local(args: &[&str]) -> Output {
    common::bin()
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// NDJSON rows without `@index` (the source name differs: a path against an S3 URL).
fn rows(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            if let Some(m) = v.as_object_mut() {
                m.remove("@index");
            }
            v
        })
        .collect()
}

#[test]
fn s3_and_the_local_copy_answer_the_same() {
    let (_root, s) = server();
    let sample = common::workspace_root().join("examples/data");
    let sample = sample.to_str().unwrap();
    for q in [
        "* | groupbycount errorCode, eventSource, eventName, userIdentity.arn",
        "eventSource=s3.amazonaws.com eventName=GetObject | rename additionalEventData.bytesTransferredOut as bytes, requestParameters.bucketName as bucket | stats sum(bytes) as total by bucket, userIdentity.userName",
        "eventName=ConsoleLogin",
    ] {
        let remote = query(
            &s,
            SECRET_KEY,
            &["query", q, "s3://trail/AWSLogs/", "--format", "ndjson"],
        );
        assert_eq!(
            remote.status.code(),
            Some(0),
            "{q}: {}",
            String::from_utf8_lossy(&remote.stderr)
        );
        let here = local(&["query", q, sample, "--format", "ndjson"]);
        let text = |o: &Output| String::from_utf8_lossy(&o.stdout).into_owned();
        if std::env::var_os("S3_TEST_DUMP").is_some() {
            std::fs::write("/tmp/s3-remote.txt", text(&remote)).unwrap();
            std::fs::write("/tmp/s3-local.txt", text(&here)).unwrap();
            std::fs::write("/tmp/s3-stderr.txt", &remote.stderr).unwrap();
        }
        if q.contains('|') {
            assert!(text(&remote) == text(&here), "{q}: the answers differ");
        } else {
            assert_eq!(rows(&remote), rows(&here), "{q}");
            assert!(!rows(&here).is_empty());
        }
    }
}

#[test]
fn a_time_range_lists_only_its_days_and_answers_as_locally() {
    let (_root, s) = server();
    let sample = common::workspace_root().join("examples/data");
    let q = "* | stats count() by eventName | sort -@q.count | head 3";
    let args = |input: &str| {
        vec![
            "query".to_string(),
            q.to_string(),
            input.to_string(),
            "--from".into(),
            "2024-03-01T08:00:00Z".into(),
            "--format".into(),
            "ndjson".into(),
        ]
    };
    let a: Vec<String> = args("s3://trail/AWSLogs/");
    let remote = query(
        &s,
        SECRET_KEY,
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(
        remote.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&remote.stderr)
    );
    let b = args(sample.to_str().unwrap());
    let here = local(&b.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(remote.stdout == here.stdout, "the answers differ");
    // A range after the sample's only day lists no object at all: a clear error.
    s.clear_list_calls();
    let mut late = a.clone();
    late[4] = "2024-03-05T00:00:00Z".into();
    let o = query(
        &s,
        SECRET_KEY,
        &late.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("time range"));
    assert!(
        s.list_calls()
            .iter()
            .all(|c| !c.prefix.ends_with("/2024/03/01/") || c.delimiter.is_some()),
        "the day outside the range was listed in full"
    );
}

#[test]
fn a_wrong_secret_is_one_clear_error_without_the_secret() {
    let (_root, s) = server();
    let wrong = "not-the-secret/Zz9Yy8Xx7";
    let o = query(&s, wrong, &["query", "* | count", "s3://trail/AWSLogs/"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("trail"), "names the bucket: {err}");
    assert!(!err.contains(wrong), "the secret leaked: {err}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains(wrong));
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "{err}"
    );
    let o = query(
        &s,
        SECRET_KEY,
        &["query", "* | count", "s3://no-such-bucket/AWSLogs/"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no-such-bucket"));
}

/// A load report as JSON, without what differs from run to run (`seconds`, and
/// `memory_bytes`, which depends on how the decoding threads shared the files) and with
/// file names relative to `prefix`, in name order (a directory walk and an S3 listing
/// order `CloudTrail/` and `CloudTrail-Digest/` differently).
fn report(o: &Output, prefix: &str) -> serde_json::Value {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let m = v.as_object_mut().unwrap();
    m.remove("seconds");
    m.remove("memory_bytes");
    let files = m.get_mut("files").unwrap().as_array_mut().unwrap();
    for f in files.iter_mut() {
        let p = f["path"].as_str().unwrap();
        let rel = p
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{p} is not under {prefix}"))
            .to_string();
        f["path"] = rel.into();
    }
    files.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    v
}

/// The sample's `AWSLogs/` tree as an S3 listing of it reads it: without the
/// `CloudTrail-Digest/` folders (digests hold no events, and the listing skips them).
fn local_copy() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            if e.file_name() == "CloudTrail-Digest" {
                continue;
            }
            let dest = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                std::fs::create_dir_all(&dest).unwrap();
                copy(&e.path(), &dest);
            } else {
                std::fs::copy(e.path(), &dest).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(
        &common::workspace_root().join("examples/data/AWSLogs"),
        dir.path(),
    );
    dir
}

#[test]
fn load_over_s3_reports_what_the_local_copy_does() {
    let (_root, s) = server();
    let copy = local_copy();
    let sample = copy.path().to_str().unwrap();
    for range in [
        &[][..],
        &[
            "--from",
            "2024-03-01T08:00:00Z",
            "--to",
            "2024-03-01T09:00:00Z",
        ],
    ] {
        let mut remote = vec!["load", "s3://trail/AWSLogs/", "--format", "json"];
        remote.extend(range);
        let mut here = vec!["load", sample, "--format", "json"];
        here.extend(range);
        let remote = report(&query(&s, SECRET_KEY, &remote), "s3://trail/AWSLogs/");
        let here = report(&local(&here), &format!("{sample}/"));
        if std::env::var_os("S3_TEST_DUMP").is_some() {
            let dump = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap();
            std::fs::write("/tmp/s3-load-remote.json", dump(&remote)).unwrap();
            std::fs::write("/tmp/s3-load-local.json", dump(&here)).unwrap();
        }
        assert!(remote == here, "{range:?}: the reports differ");
        // Not two empty reports: the sample's 1153 files of events, its events in the
        // range.
        assert_eq!(here["files"].as_array().unwrap().len(), 1153);
        assert!(here["records"].as_u64().unwrap() > 0);
        assert_eq!(here["files_skipped"].as_u64(), Some(0));
    }
}

#[test]
fn detect_over_s3_finds_what_it_finds_in_the_local_copy() {
    let (_root, s) = server();
    let copy = local_copy();
    let sample = copy.path().to_str().unwrap();
    let rules = common::workspace_root().join("rules");
    let rules = rules.to_str().unwrap();
    for format in ["table", "json"] {
        let remote = query(
            &s,
            SECRET_KEY,
            &[
                "detect",
                "s3://trail/AWSLogs/",
                "--rules",
                rules,
                "--format",
                format,
            ],
        );
        let here = local(&["detect", sample, "--rules", rules, "--format", format]);
        assert_eq!(
            remote.status.code(),
            here.status.code(),
            "{}",
            String::from_utf8_lossy(&remote.stderr)
        );
        // The rows' `@index` names the object, or the file of the local copy.
        let text =
            |o: &Output| String::from_utf8_lossy(&o.stdout).replace("s3://trail/AWSLogs", sample);
        if std::env::var_os("S3_TEST_DUMP").is_some() {
            std::fs::write(format!("/tmp/s3-detect-remote.{format}"), text(&remote)).unwrap();
            std::fs::write(format!("/tmp/s3-detect-local.{format}"), text(&here)).unwrap();
        }
        assert!(text(&here).contains("Informational GetCallerIdentity") || format == "json");
        assert!(text(&remote) == text(&here), "{format}: the hits differ");
    }
}

/// `--cache s3://…`: one machine indexes the trail (on S3) into a cache on S3; another,
/// with an empty local mirror, answers from it exactly as from the JSON, bringing down
/// only the chunks it reads; a second `index`, from the second machine, finds nothing
/// to do.
#[test]
fn a_cache_on_s3_is_shared_by_machines() {
    let (root, s) = server();
    std::fs::create_dir_all(root.path().join("team")).unwrap();
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let run = |mirror: &Path, args: &[&str]| {
        let mut c = common::bin();
        c.args(args)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", s.endpoint())
            .env("AWS_ALLOW_HTTP", "true")
            .env("TRAILHUNT_CACHE_MIRROR", mirror)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("TRAILHUNT_CACHE")
            .stdin(std::process::Stdio::null());
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", common::stderr(&o));
        o
    };
    let trail = "s3://trail/AWSLogs/";
    let cache = "s3://team/shared/";
    let o = run(one.path(), &["index", trail, "--cache", cache]);
    let said = common::stdout(&o);
    assert!(
        said.contains("indexed into s3://team/shared/") && said.contains("0 unchanged"),
        "{said}"
    );
    let bucket = root.path().join("team/shared");
    let names: Vec<String> = std::fs::read_dir(&bucket)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|n| n == "manifest.json"), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".parquet")), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".tokens")), "{names:?}");

    let sample = common::workspace_root().join("examples/data");
    for q in [
        "* | groupbycount errorCode, eventSource, eventName, userIdentity.arn",
        "pgibbons | count",
        "eventName=ConsoleLogin | table eventTime, userIdentity.arn, responseElements.ConsoleLogin",
    ] {
        let cached = run(
            two.path(),
            &["query", q, trail, "--cache", cache, "--format", "ndjson"],
        );
        assert!(
            common::stderr(&cached).is_empty(),
            "{q}: {}",
            common::stderr(&cached)
        );
        let here = local(&["query", q, sample.to_str().unwrap(), "--format", "ndjson"]);
        assert_eq!(rows(&cached), rows(&here), "{q}");
        assert!(!rows(&here).is_empty(), "{q}");
    }
    // The second machine's mirror now holds the chunks it read.
    let mirrored = two.path().join("team/shared");
    assert!(
        std::fs::read_dir(&mirrored).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".parquet")),
        "{}",
        mirrored.display()
    );
    let status = run(
        two.path(),
        &[
            "index", "--status", trail, "--cache", cache, "--format", "json",
        ],
    );
    let st: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let files = st["fresh"].as_u64().unwrap();
    assert!(
        files > 0 && st["missing"].as_array().unwrap().is_empty(),
        "{st}"
    );

    let again = common::stdout(&run(two.path(), &["index", trail, "--cache", cache]));
    assert!(
        again.contains(&format!("0 new, 0 changed, {files} unchanged")),
        "{again}"
    );
}
