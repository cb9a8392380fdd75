//! S3 input against a real S3-compatible server (s3s-fs, in this process, on loopback):
//! listing and its pruning (proved by the server's LIST log), globs, reads with faults,
//! and the errors a user meets, none of which may show a secret.

#[path = "support/s3_server.rs"]
mod s3_server;

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use s3_server::{ACCESS_KEY, Fault, S3Server, SECRET_KEY};
use trailhunt_source::s3::{
    RetrySettings, S3Config, S3Error, S3Object, S3Url, fetch, fetch_with, list, store,
};

const BUCKET: &str = "trail";
const ACCOUNT: &str = "111122223333";
const ORG: &str = "o-a1b2c3d4e5";
const ORG_ACCOUNT: &str = "444455556666";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN/trailhunt+test==";

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// One CloudTrail record, written from AWS's documentation of a ListBuckets call.
fn record(account: &str, region: &str, time: &str, n: usize) -> String {
    format!(
        r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE{n}","arn":"arn:aws:iam::{account}:user/alice","accountId":"{account}","userName":"alice"}},"eventTime":"{time}","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"{region}","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0","requestParameters":{{"Host":"s3.{region}.amazonaws.com"}},"responseElements":null,"requestID":"REQ{n:08}","eventID":"00000000-0000-4000-8000-{n:012}","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{account}","eventCategory":"Management"}}"#
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Log,
    Digest,
    Insight,
    Empty,
    Other,
}

#[derive(Debug, Clone)]
struct Fixture {
    key: String,
    kind: Kind,
    /// The account folder path below `AWSLogs/` (`111…` or `o-…/444…`).
    account: String,
    region: String,
    /// `YYYY/MM/DD`.
    day: String,
}

/// The trail bucket: two accounts (one in an organization trail), two regions, several
/// days, digests, an Insights folder, an empty object and a file outside the trail.
fn fixtures() -> Vec<Fixture> {
    let days = [
        "2023/12/31",
        "2024/02/27",
        "2024/02/29",
        "2024/03/01",
        "2024/03/02",
        "2024/03/03",
        "2024/03/04",
        "2024/03/10",
    ];
    let mut out = Vec::new();
    let mut n = 0;
    let mut push = |account: &str, service: &str, region: &str, day: &str, kind: Kind| {
        n += 1;
        let stamp = day.replace('/', "");
        let acct = account.rsplit('/').next().unwrap();
        let name = match kind {
            Kind::Digest => {
                format!("{acct}_CloudTrail-Digest_{region}_main_{region}_{stamp}T010000Z.json.gz")
            }
            Kind::Insight => {
                format!("{acct}_CloudTrail-Insight_{region}_{stamp}T0100Z_i{n}.json.gz")
            }
            Kind::Empty => "empty.json.gz".to_string(),
            _ => format!("{acct}_CloudTrail_{region}_{stamp}T0005Z_x{n:03}.json.gz"),
        };
        out.push(Fixture {
            key: format!("AWSLogs/{account}/{service}/{region}/{day}/{name}"),
            kind,
            account: account.to_string(),
            region: region.to_string(),
            day: day.to_string(),
        });
    };
    for day in days {
        for region in ["us-east-1", "eu-west-1"] {
            push(ACCOUNT, "CloudTrail", region, day, Kind::Log);
        }
        push(ACCOUNT, "CloudTrail-Digest", "us-east-1", day, Kind::Digest);
    }
    // Two files in one day folder.
    push(ACCOUNT, "CloudTrail", "us-east-1", "2024/03/02", Kind::Log);
    push(
        ACCOUNT,
        "CloudTrail",
        "us-east-1",
        "2024/03/02",
        Kind::Empty,
    );
    push(
        ACCOUNT,
        "CloudTrail-Insight",
        "us-east-1",
        "2024/03/02",
        Kind::Insight,
    );
    let org = format!("{ORG}/{ORG_ACCOUNT}");
    for day in ["2024/02/29", "2024/03/02", "2024/03/10"] {
        push(&org, "CloudTrail", "ap-southeast-2", day, Kind::Log);
    }
    out.push(Fixture {
        key: "notes/readme.txt".to_string(),
        kind: Kind::Other,
        account: String::new(),
        region: String::new(),
        day: String::new(),
    });
    out
}

fn write_bucket(root: &Path, fixtures: &[Fixture]) {
    for (i, f) in fixtures.iter().enumerate() {
        let path = root.join(BUCKET).join(&f.key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let body = match f.kind {
            Kind::Log | Kind::Insight => {
                let time = format!("{}T00:04:{:02}Z", f.day.replace('/', "-"), i % 60);
                let acct = f.account.rsplit('/').next().unwrap();
                gzip(
                    format!(
                        r#"{{"Records":[{},{}]}}"#,
                        record(acct, &f.region, &time, i * 2),
                        record(acct, &f.region, &time, i * 2 + 1)
                    )
                    .as_bytes(),
                )
            }
            Kind::Digest => gzip(
                format!(
                    r#"{{"awsAccountId":"{ACCOUNT}","digestStartTime":"{}T00:00:00Z","logFiles":[]}}"#,
                    f.day.replace('/', "-")
                )
                .as_bytes(),
            ),
            Kind::Empty => Vec::new(),
            Kind::Other => b"not a trail file\n".to_vec(),
        };
        std::fs::write(path, body).unwrap();
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    server: S3Server,
    fixtures: Vec<Fixture>,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s3");
    std::fs::create_dir_all(root.join(BUCKET)).unwrap();
    let fixtures = fixtures();
    write_bucket(&root, &fixtures);
    let server = S3Server::start(&root);
    Setup {
        _dir: dir,
        root,
        server,
        fixtures,
    }
}

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

fn fast(mut config: S3Config) -> S3Config {
    config.retry = RetrySettings {
        max_retries: 2,
        init_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        retry_timeout: Duration::from_secs(5),
    };
    config.connect_timeout = Duration::from_secs(2);
    config.request_timeout = Duration::from_secs(10);
    config
}

/// Credentials for the test server; `HOME` points at an empty folder so that no real
/// `~/.aws` is read.
fn config_for(server: &S3Server, secret: &str, token: Option<&str>) -> S3Config {
    let home = tempfile::tempdir().unwrap();
    let mut pairs = vec![
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_ENDPOINT_URL", server.endpoint()),
        ("AWS_ALLOW_HTTP", "true"),
        ("HOME", home.path().to_str().unwrap()),
    ];
    if let Some(t) = token {
        pairs.push(("AWS_SESSION_TOKEN", t));
    }
    fast(S3Config::from_lookup(env(&pairs), None).unwrap())
}

fn keys(objects: &[S3Object]) -> BTreeSet<String> {
    objects.iter().map(|o| o.key.to_string()).collect()
}

fn expected(fixtures: &[Fixture], keep: impl Fn(&Fixture) -> bool) -> BTreeSet<String> {
    fixtures
        .iter()
        .filter(|f| keep(f))
        .map(|f| f.key.clone())
        .collect()
}

/// UTC nanoseconds of midnight of a `YYYY-MM-DD` date.
fn midnight(date: &str) -> i64 {
    let parts: Vec<i64> = date.split('-').map(|p| p.parse().unwrap()).collect();
    // Days from 1970-01-01, counted plainly.
    let (y, m, d) = (parts[0], parts[1], parts[2]);
    let mut days = 0;
    for year in 1970..y {
        days += if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 {
            366
        } else {
            365
        };
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let months = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    days += months[..(m - 1) as usize].iter().sum::<i64>();
    days += d - 1;
    days * 86_400 * 1_000_000_000
}

#[tokio::test]
async fn lists_every_trail_file_but_digests_insights_and_empty_objects() {
    let s = setup();
    let config = config_for(&s.server, SECRET_KEY, None);
    let st = store(&config, BUCKET).unwrap();
    let url = S3Url::parse("s3://trail").unwrap();
    let found = list(st.as_ref(), &url, None, None).await.unwrap();
    let want = expected(&s.fixtures, |f| {
        matches!(f.kind, Kind::Log | Kind::Insight | Kind::Other)
    });
    assert_eq!(keys(&found), want);
    let displays: Vec<&str> = found.iter().map(|o| o.display.as_str()).collect();
    let mut sorted = displays.clone();
    sorted.sort();
    assert_eq!(displays, sorted);
    assert!(displays.iter().all(|d| d.starts_with("s3://trail/")));
    for o in &found {
        let on_disk = std::fs::metadata(s.root.join(BUCKET).join(o.key.as_ref())).unwrap();
        assert_eq!(o.size, on_disk.len(), "{}", o.display);
    }
    // The digest folder was never listed (Insights events are records: they are).
    for call in s.server.list_calls() {
        assert!(
            !call.prefix.contains("CloudTrail-Digest"),
            "listed {call:?}"
        );
    }
}

#[tokio::test]
async fn a_time_range_lists_only_the_day_folders_that_can_hold_it() {
    let s = setup();
    let config = config_for(&s.server, SECRET_KEY, None);
    let st = store(&config, BUCKET).unwrap();
    let url = S3Url::parse("s3://trail/AWSLogs/").unwrap();
    let (from, to) = (midnight("2024-03-02"), midnight("2024-03-03"));
    let found = list(st.as_ref(), &url, Some(from), Some(to)).await.unwrap();
    // A day of slack each side: 03/01 to 03/03.
    let in_range = ["2024/03/01", "2024/03/02", "2024/03/03"];
    let want = expected(&s.fixtures, |f| {
        matches!(f.kind, Kind::Log | Kind::Insight) && in_range.contains(&f.day.as_str())
    });
    assert_eq!(keys(&found), want);

    let calls = s.server.list_calls();
    let full: BTreeSet<String> = calls
        .iter()
        .filter(|c| c.delimiter.is_none())
        .map(|c| c.prefix.clone())
        .collect();
    let want_full: BTreeSet<String> = s
        .fixtures
        .iter()
        .filter(|f| {
            matches!(f.kind, Kind::Log | Kind::Insight) && in_range.contains(&f.day.as_str())
        })
        .map(|f| {
            let service = if f.kind == Kind::Insight {
                "CloudTrail-Insight"
            } else {
                "CloudTrail"
            };
            format!("AWSLogs/{}/{service}/{}/{}/", f.account, f.region, f.day)
        })
        .collect();
    assert_eq!(full, want_full, "recursive listings");
    for c in &calls {
        assert!(c.bucket == BUCKET);
        for never in [
            "CloudTrail-Digest",
            "/2023/",
            "/2024/02/",
            "/03/04/",
            "/03/10/",
        ] {
            assert!(!c.prefix.contains(never), "listed {c:?}");
        }
    }
    // Account, service, region, year and month levels: a handful of delimiter listings.
    assert!(calls.len() < 30, "{} listings: {calls:?}", calls.len());

    // An open end still prunes the other side.
    s.server.clear_list_calls();
    let found = list(st.as_ref(), &url, Some(midnight("2024-03-04")), None)
        .await
        .unwrap();
    let want = expected(&s.fixtures, |f| {
        matches!(f.kind, Kind::Log | Kind::Insight) && f.day.as_str() >= "2024/03/03"
    });
    assert_eq!(keys(&found), want);
    assert!(
        s.server
            .list_calls()
            .iter()
            .all(|c| !c.prefix.contains("/2023/") && !c.prefix.contains("/2024/02/")),
    );

    // An empty range lists nothing at all.
    s.server.clear_list_calls();
    assert!(
        list(st.as_ref(), &url, Some(to), Some(to))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.server.list_calls().is_empty());
}

#[tokio::test]
async fn a_prefix_inside_the_tree_starts_the_walk_there() {
    let s = setup();
    let config = config_for(&s.server, SECRET_KEY, None);
    let st = store(&config, BUCKET).unwrap();
    let url = S3Url::parse(&format!(
        "s3://trail/AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/2024"
    ))
    .unwrap();
    let found = list(
        st.as_ref(),
        &url,
        Some(midnight("2024-02-28")),
        Some(midnight("2024-03-01")),
    )
    .await
    .unwrap();
    let want = expected(&s.fixtures, |f| {
        matches!(f.kind, Kind::Log | Kind::Insight)
            && f.account == ACCOUNT
            && f.region == "eu-west-1"
            && ["2024/02/27", "2024/02/29", "2024/03/01"].contains(&f.day.as_str())
    });
    assert_eq!(keys(&found), want);

    // A digest folder named outright is listed.
    let url = S3Url::parse(&format!("s3://trail/AWSLogs/{ACCOUNT}/CloudTrail-Digest/")).unwrap();
    let found = list(st.as_ref(), &url, None, None).await.unwrap();
    assert_eq!(
        keys(&found),
        expected(&s.fixtures, |f| f.kind == Kind::Digest)
    );

    // One object named by its key.
    let one = &s.fixtures[0].key;
    let url = S3Url::parse(&format!("s3://trail/{one}")).unwrap();
    let found = list(st.as_ref(), &url, None, None).await.unwrap();
    assert_eq!(keys(&found), BTreeSet::from([one.clone()]));

    // A prefix that is only part of a folder name selects nothing.
    let url = S3Url::parse("s3://trail/AWSLog").unwrap();
    assert!(
        list(st.as_ref(), &url, None, None)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn globs_select_keys_and_prune_folders() {
    let s = setup();
    let config = config_for(&s.server, SECRET_KEY, None);
    let st = store(&config, BUCKET).unwrap();

    let url = S3Url::parse("s3://trail/AWSLogs/*/CloudTrail/eu-west-?/**").unwrap();
    let found = list(st.as_ref(), &url, None, None).await.unwrap();
    let want = expected(&s.fixtures, |f| {
        matches!(f.kind, Kind::Log | Kind::Insight)
            && f.account == ACCOUNT
            && f.region == "eu-west-1"
    });
    assert_eq!(keys(&found), want);
    assert!(
        s.server
            .list_calls()
            .iter()
            .all(|c| !c.prefix.contains("us-east-1") && !c.prefix.contains(ORG_ACCOUNT)),
        "{:?}",
        s.server.list_calls()
    );

    let url = S3Url::parse("s3://trail/AWSLogs/**/*_20240302T????Z_*.json.gz").unwrap();
    let found = list(st.as_ref(), &url, None, None).await.unwrap();
    let want = expected(&s.fixtures, |f| {
        matches!(f.kind, Kind::Log | Kind::Insight) && f.day == "2024/03/02"
    });
    assert_eq!(keys(&found), want);
    assert!(want.iter().any(|k| k.contains(ORG)));

    let url = S3Url::parse("s3://trail/AWSLogs/o-*/*/CloudTrail/**").unwrap();
    let found = list(st.as_ref(), &url, None, None).await.unwrap();
    let want = expected(&s.fixtures, |f| {
        matches!(f.kind, Kind::Log | Kind::Insight) && f.account.starts_with(ORG)
    });
    assert_eq!(keys(&found), want);
}

#[tokio::test]
async fn reads_the_whole_object() {
    let s = setup();
    let config = config_for(&s.server, SECRET_KEY, None);
    let st = store(&config, BUCKET).unwrap();
    let url = S3Url::parse("s3://trail/AWSLogs/").unwrap();
    let found = list(st.as_ref(), &url, None, None).await.unwrap();
    for o in found.iter().take(3) {
        let got = fetch(st.as_ref(), o, 1 << 20).await.unwrap();
        let disk = std::fs::read(s.root.join(BUCKET).join(o.key.as_ref())).unwrap();
        assert_eq!(got.as_ref(), disk.as_slice(), "{}", o.display);
    }
    let o = &found[0];
    let err = fetch(st.as_ref(), o, o.size - 1).await.unwrap_err();
    assert!(matches!(err, S3Error::TooLarge { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&o.display) && msg.contains(&(o.size - 1).to_string()),
        "{msg}"
    );
}

#[tokio::test]
async fn a_read_cut_mid_body_is_retried_then_read() {
    let s = setup();
    let config = config_for(&s.server, SECRET_KEY, None);
    let st = store(&config, BUCKET).unwrap();
    let key = s.fixtures[0].key.clone();
    let disk = std::fs::read(s.root.join(BUCKET).join(&key)).unwrap();
    let object = S3Object::new(BUCKET, key.as_str().into(), disk.len() as u64);

    s.server.fail_get(&key, Fault::CutBody, 2);
    let got = fetch(st.as_ref(), &object, 1 << 20).await.unwrap();
    assert_eq!(got.as_ref(), disk.as_slice());
    assert_eq!(s.server.get_count(&key), 3);

    for fault in [Fault::InternalError, Fault::SlowDown] {
        s.server.fail_get(&key, fault, 2);
        let got = fetch(st.as_ref(), &object, 1 << 20).await.unwrap();
        assert_eq!(got.as_ref(), disk.as_slice(), "{fault:?}");
    }
}

#[tokio::test]
async fn a_read_that_always_fails_is_reported_with_its_key() {
    let s = setup();
    let config = config_for(&s.server, SECRET_KEY, None);
    let st = store(&config, BUCKET).unwrap();
    let key = s.fixtures[1].key.clone();
    let size = std::fs::metadata(s.root.join(BUCKET).join(&key))
        .unwrap()
        .len();
    let object = S3Object::new(BUCKET, key.as_str().into(), size);
    for fault in [Fault::CutBody, Fault::InternalError] {
        s.server.fail_get(&key, fault, usize::MAX);
        let before = s.server.get_count(&key);
        let err = fetch_with(st.as_ref(), &object, 1 << 20, 3, Duration::from_millis(5))
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, S3Error::Read { attempts: 3, .. }),
            "{fault:?}: {err:?}"
        );
        assert!(msg.contains(&format!("s3://trail/{key}")), "{msg}");
        // Three whole attempts, each retried by object_store (2 retries).
        assert_eq!(s.server.get_count(&key) - before, 9, "{fault:?}");
        assert!(err.is_transient());
    }
}

#[tokio::test]
async fn a_wrong_secret_is_denied_without_showing_any_secret() {
    let s = setup();
    let wrong = "wrong/secret+NEVER-PRINT-ME-0123456789";
    let config = config_for(&s.server, wrong, Some(TOKEN));
    let debug = format!("{config:?}");
    assert!(!debug.contains(wrong) && !debug.contains(TOKEN), "{debug}");
    let st = store(&config, BUCKET).unwrap();
    let url = S3Url::parse("s3://trail/AWSLogs/").unwrap();
    let err = list(st.as_ref(), &url, None, None).await.unwrap_err();
    assert!(matches!(err, S3Error::WrongSecret { .. }), "{err:?}");
    let object = S3Object::new(BUCKET, s.fixtures[0].key.as_str().into(), 10);
    let read_err = fetch(st.as_ref(), &object, 1 << 20).await.unwrap_err();
    assert!(
        matches!(read_err, S3Error::WrongSecret { .. }),
        "{read_err:?}"
    );
    for e in [&err, &read_err] {
        for text in [e.to_string(), format!("{e:?}")] {
            assert!(!text.contains(wrong), "{text}");
            assert!(!text.contains(TOKEN), "{text}");
            assert!(!text.contains(SECRET_KEY), "{text}");
        }
    }
    let msg = err.to_string();
    assert!(
        msg.contains("\"trail\"") && msg.contains("AWS_SECRET_ACCESS_KEY"),
        "{msg}"
    );

    // An access key the server does not know.
    let home = tempfile::tempdir().unwrap();
    let config = fast(
        S3Config::from_lookup(
            env(&[
                ("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000"),
                ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
                ("AWS_ENDPOINT_URL", s.server.endpoint()),
                ("AWS_ALLOW_HTTP", "true"),
                ("HOME", home.path().to_str().unwrap()),
            ]),
            None,
        )
        .unwrap(),
    );
    let st = store(&config, BUCKET).unwrap();
    let err = list(st.as_ref(), &url, None, None).await.unwrap_err();
    assert!(matches!(err, S3Error::UnknownAccessKey { .. }), "{err:?}");
    assert!(!err.to_string().contains(SECRET_KEY));
}

#[tokio::test]
async fn a_missing_bucket_is_named() {
    let s = setup();
    let config = config_for(&s.server, SECRET_KEY, None);
    let st = store(&config, "no-such-trail-bucket").unwrap();
    for input in [
        "s3://no-such-trail-bucket/AWSLogs/",
        "s3://no-such-trail-bucket/x/y.json.gz",
    ] {
        let url = S3Url::parse(input).unwrap();
        let err = list(st.as_ref(), &url, None, None).await.unwrap_err();
        assert!(matches!(err, S3Error::NoSuchBucket { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("\"no-such-trail-bucket\" does not exist"),
            "{msg}"
        );
        assert!(msg.contains(s.server.endpoint()), "{msg}");
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_is_reported() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let home = tempfile::tempdir().unwrap();
    let config = fast(
        S3Config::from_lookup(
            env(&[
                ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
                ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
                ("AWS_ALLOW_HTTP", "true"),
                ("HOME", home.path().to_str().unwrap()),
            ]),
            Some(&endpoint),
        )
        .unwrap(),
    );
    assert_eq!(config.endpoint.as_deref(), Some(endpoint.as_str()));
    let st = store(&config, BUCKET).unwrap();
    let url = S3Url::parse("s3://trail/AWSLogs/").unwrap();
    let err = list(st.as_ref(), &url, None, None).await.unwrap_err();
    assert!(matches!(err, S3Error::Unreachable { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&endpoint) && msg.contains("--endpoint"),
        "{msg}"
    );
    assert!(!msg.contains(SECRET_KEY));
}

#[test]
fn plain_http_needs_aws_allow_http() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path().to_str().unwrap();
    let keys = [
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("HOME", home),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut all: Vec<(&str, &str)> = keys.to_vec();
        all.extend_from_slice(extra);
        env(&all)
    };
    let err = S3Config::from_lookup(with(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")]), None)
        .unwrap_err();
    assert!(matches!(err, S3Error::PlainHttp { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("AWS_ALLOW_HTTP=true") && msg.contains("AWS_ENDPOINT_URL"),
        "{msg}"
    );
    let err = S3Config::from_lookup(with(&[]), Some("http://localhost:9000")).unwrap_err();
    assert!(err.to_string().contains("--endpoint"), "{err}");
    let err = S3Config::from_lookup(
        with(&[("AWS_ALLOW_HTTP", "false")]),
        Some("http://localhost:9000"),
    )
    .unwrap_err();
    assert!(matches!(err, S3Error::PlainHttp { .. }), "{err:?}");

    let ok = S3Config::from_lookup(
        with(&[
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"),
        ]),
        None,
    )
    .unwrap();
    assert_eq!(ok.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
    // The flag wins over the environment.
    let ok = S3Config::from_lookup(
        with(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")]),
        Some("https://s3.example.com"),
    )
    .unwrap();
    assert_eq!(ok.endpoint.as_deref(), Some("https://s3.example.com"));

    // A password in the endpoint is refused without being echoed.
    let err = S3Config::from_lookup(with(&[]), Some("https://user:hunter2pass@s3.example.com"))
        .unwrap_err();
    assert!(
        !err.to_string().contains("hunter2pass") && !format!("{err:?}").contains("hunter2pass")
    );
}

#[test]
fn credentials_and_region_from_profiles() {
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("credentials"),
        "[default]\naws_access_key_id = AKIADEFAULT000000001\naws_secret_access_key = default/SECRET/value\n\n\
         [dev]\naws_access_key_id = AKIADEV0000000000002\naws_secret_access_key = dev/SECRET/value\naws_session_token = dev/TOKEN/value\n",
    )
    .unwrap();
    std::fs::write(
        aws.join("config"),
        "[default]\nregion = eu-central-1\n[profile dev]\nregion = ap-south-1\n[profile sso]\nsso_session = corp\nregion = us-west-2\n[profile half]\naws_access_key_id = AKIAHALF\n",
    )
    .unwrap();
    let h = home.path().to_str().unwrap();

    let c = S3Config::from_lookup(env(&[("HOME", h)]), None).unwrap();
    assert_eq!(c.region, "eu-central-1");
    assert_eq!(c.static_credentials().unwrap().0, "AKIADEFAULT000000001");
    assert!(
        c.credentials_origin.contains("\"default\""),
        "{}",
        c.credentials_origin
    );

    let c = S3Config::from_lookup(env(&[("HOME", h), ("AWS_PROFILE", "dev")]), None).unwrap();
    assert_eq!(c.region, "ap-south-1");
    let (id, secret, token) = c.static_credentials().unwrap();
    assert_eq!(
        (id, secret.expose()),
        ("AKIADEV0000000000002", "dev/SECRET/value")
    );
    assert_eq!(token.map(|t| t.expose()), Some("dev/TOKEN/value"));
    let debug = format!("{c:?}");
    assert!(
        !debug.contains("dev/SECRET/value") && !debug.contains("dev/TOKEN/value"),
        "{debug}"
    );
    assert!(debug.contains("****0002"), "{debug}");

    // The environment's keys and region win over the profile.
    let c = S3Config::from_lookup(
        env(&[
            ("HOME", h),
            ("AWS_PROFILE", "dev"),
            ("AWS_ACCESS_KEY_ID", "AKIAENV0000000000003"),
            ("AWS_SECRET_ACCESS_KEY", "env/SECRET"),
            ("AWS_DEFAULT_REGION", "sa-east-1"),
        ]),
        None,
    )
    .unwrap();
    assert_eq!(c.static_credentials().unwrap().0, "AKIAENV0000000000003");
    assert_eq!(c.region, "sa-east-1");

    // Paths from AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(
        other.path().join("creds"),
        "[ci]\naws_access_key_id = AKIACI00000000000004\naws_secret_access_key = ci/SECRET\n",
    )
    .unwrap();
    std::fs::write(
        other.path().join("conf"),
        "[profile ci]\nregion = ca-central-1\n",
    )
    .unwrap();
    let c = S3Config::from_lookup(
        env(&[
            ("HOME", h),
            ("AWS_PROFILE", "ci"),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                other.path().join("creds").to_str().unwrap(),
            ),
            (
                "AWS_CONFIG_FILE",
                other.path().join("conf").to_str().unwrap(),
            ),
        ]),
        None,
    )
    .unwrap();
    assert_eq!(c.region, "ca-central-1");
    assert_eq!(c.static_credentials().unwrap().0, "AKIACI00000000000004");

    let errors = [
        ("nope", "no such profile"),
        ("sso", "export-credentials"),
        ("half", "aws_secret_access_key"),
    ];
    for (profile, says) in errors {
        let err =
            S3Config::from_lookup(env(&[("HOME", h), ("AWS_PROFILE", profile)]), None).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(profile) && msg.contains(says),
            "{profile}: {msg}"
        );
        for secret in [
            "default/SECRET/value",
            "dev/SECRET/value",
            "dev/TOKEN/value",
        ] {
            assert!(!msg.contains(secret) && !format!("{err:?}").contains(secret));
        }
    }

    let empty = tempfile::tempdir().unwrap();
    let err =
        S3Config::from_lookup(env(&[("HOME", empty.path().to_str().unwrap())]), None).unwrap_err();
    assert!(matches!(err, S3Error::NoCredentials { .. }), "{err:?}");
    assert!(err.to_string().contains("AWS_ACCESS_KEY_ID"), "{err}");
    let err = S3Config::from_lookup(
        env(&[
            ("HOME", empty.path().to_str().unwrap()),
            ("AWS_ACCESS_KEY_ID", "AKIAONLY"),
        ]),
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("AWS_SECRET_ACCESS_KEY"), "{err}");
}

#[test]
fn s3_urls() {
    let u = S3Url::parse("s3://trail/AWSLogs/*/CloudTrail/").unwrap();
    assert_eq!((u.bucket(), u.literal_prefix()), ("trail", "AWSLogs"));
    assert!(u.is_glob());
    assert_eq!(u.bucket_url().as_str(), "s3://trail");
    assert_eq!(u.to_string(), "s3://trail/AWSLogs/*/CloudTrail/");
    let err = S3Url::parse("/local/AWSLogs").unwrap_err();
    assert!(err.to_string().contains("s3://"), "{err}");
}
