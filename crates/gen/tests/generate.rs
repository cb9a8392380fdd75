//! End-to-end checks of the generated tree (small event counts, fast in debug).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use serde_json::Value;
use trailhunt_gen::{GenerateOptions, generate, stories};

fn tmp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("trailhunt-gen-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&p);
    p
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn read_gz(p: &Path) -> Value {
    let mut s = String::new();
    GzDecoder::new(fs::File::open(p).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    serde_json::from_str(&s).unwrap()
}

struct Tree {
    /// (relative key, records) of every log file.
    logs: Vec<(String, Vec<Value>)>,
    insights: Vec<Value>,
    digests: Vec<(String, Value)>,
}

fn load(dir: &Path) -> Tree {
    let mut t = Tree {
        logs: Vec::new(),
        insights: Vec::new(),
        digests: Vec::new(),
    };
    for p in files(dir) {
        let key = p
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let v = read_gz(&p);
        if key.contains("/CloudTrail-Digest/") {
            t.digests.push((key, v));
        } else if key.contains("/CloudTrail-Insight/") {
            t.insights
                .extend(v["Records"].as_array().unwrap().iter().cloned());
        } else {
            let recs = v["Records"].as_array().expect("Records array").clone();
            t.logs.push((key, recs));
        }
    }
    t
}

fn records(t: &Tree) -> impl Iterator<Item = &Value> {
    t.logs.iter().flat_map(|(_, r)| r.iter())
}

static SHARED: std::sync::OnceLock<(PathBuf, trailhunt_gen::GenerateSummary)> =
    std::sync::OnceLock::new();

/// The 3,000-event tree with seed 7, generated once per test binary.
fn shared() -> &'static (PathBuf, trailhunt_gen::GenerateSummary) {
    SHARED.get_or_init(|| generate_n("shared", 7, EVENTS))
}

/// Debug-mode gzip is slow, so the shared tree is small (stories need >= 1,000).
const EVENTS: u64 = 2_000;

fn generate_n(name: &str, seed: u64, events: u64) -> (PathBuf, trailhunt_gen::GenerateSummary) {
    let dir = tmp(name);
    let opts = GenerateOptions {
        events,
        seed,
        ..Default::default()
    };
    let s = generate(&opts, &dir).unwrap();
    (dir, s)
}

#[test]
fn deterministic_and_exact() {
    let (a, sa) = generate_n("det-a", 7, 1_000);
    let (b, sb) = generate_n("det-b", 7, 1_000);
    assert_eq!(sa, sb);
    let fa = files(&a);
    let fb = files(&b);
    assert_eq!(fa.len(), fb.len());
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(x.strip_prefix(&a).unwrap(), y.strip_prefix(&b).unwrap());
        assert_eq!(
            fs::read(x).unwrap(),
            fs::read(y).unwrap(),
            "{}",
            x.display()
        );
    }
    let c = tmp("det-c");
    let small = GenerateOptions {
        events: 1_000,
        seed: 8,
        ..Default::default()
    };
    generate(&small, &c).unwrap();
    let names = |d: &Path| -> BTreeSet<String> {
        files(d)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .filter(|n| n.contains("_CloudTrail_"))
            .collect()
    };
    assert!(
        names(&c).is_disjoint(&names(&a)),
        "another seed gives other names"
    );
    let t = load(&a);
    let n = records(&t).count() + t.insights.len();
    assert_eq!(n as u64, 1_000);
    assert_eq!(sa.events, 1_000);
    assert_eq!(sa.files, t.logs.len() as u64 + 1);
    assert_eq!(sa.digest_files, t.digests.len() as u64);
    assert_eq!(t.insights.len() as u64, stories::INSIGHT_RECORDS);
    for d in [a, b, c] {
        fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn layout_shape_and_quirks() {
    let dir = shared().0.clone();
    let t = load(&dir);
    let mut unsorted = 0;
    for (key, recs) in &t.logs {
        let parts: Vec<&str> = key.split('/').collect();
        assert_eq!(parts.len(), 8, "{key}");
        assert_eq!(parts[0], "AWSLogs");
        let (acct, region) = (parts[1], parts[3]);
        assert_eq!(parts[2], "CloudTrail");
        assert!(acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit()));
        let name = parts[7];
        let stem = name.strip_suffix(".json.gz").expect("suffix");
        let f: Vec<&str> = stem.split('_').collect();
        assert_eq!(f.len(), 5, "{name}");
        assert_eq!((f[0], f[1], f[2]), (acct, "CloudTrail", region));
        let ts = f[3];
        assert_eq!(ts.len(), 14);
        assert_eq!(&ts[8..9], "T");
        assert!(ts.ends_with('Z'));
        assert_eq!(
            format!("{}/{}/{}", &ts[0..4], &ts[4..6], &ts[6..8]),
            parts[4..7].join("/")
        );
        assert_eq!(ts[11..13].parse::<u32>().unwrap() % 5, 0);
        assert!(f[4].len() == 16 && f[4].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(recs.len() <= 500);
        let times: Vec<&str> = recs
            .iter()
            .map(|r| r["eventTime"].as_str().unwrap())
            .collect();
        if times.windows(2).any(|w| w[0] > w[1]) {
            unsorted += 1;
        }
        for r in recs {
            assert_eq!(r["recipientAccountId"], acct);
            assert_eq!(r["awsRegion"], region);
            let et = r["eventTime"].as_str().unwrap();
            assert!(et.len() == 20 && et.ends_with('Z') && &et[10..11] == "T");
        }
    }
    assert!(
        unsorted > t.logs.len() / 10,
        "records should be shuffled ({unsorted})"
    );
    for (key, d) in &t.digests {
        assert!(key.contains("_CloudTrail-Digest_"));
        assert!(d.get("Records").is_none());
        for k in [
            "digestStartTime",
            "digestEndTime",
            "awsAccountId",
            "digestS3Object",
        ] {
            assert!(d[k].is_string(), "{k}");
        }
        assert!(!d["logFiles"].as_array().unwrap().is_empty());
    }
    assert!(!t.digests.is_empty());
    for r in &t.insights {
        assert_eq!(r["eventType"], "AwsCloudTrailInsight");
        assert!(r.get("userIdentity").is_none() && r.get("eventName").is_none());
    }
    let all: Vec<&Value> = records(&t).collect();
    let n = all.len() as f64;
    let no_arn = all
        .iter()
        .filter(|r| r["userIdentity"].get("arn").is_none())
        .count() as f64;
    assert!(
        (0.02..0.05).contains(&(no_arn / n)),
        "no arn {}",
        no_arn / n
    );
    let errors = all
        .iter()
        .filter(|r| r.get("errorMessage").is_some())
        .count() as f64;
    assert!(
        (0.04..0.12).contains(&(errors / n)),
        "errors {}",
        errors / n
    );
    let nulls = all
        .iter()
        .filter(|r| r["requestParameters"].is_null())
        .count() as f64;
    assert!(
        (0.05..0.2).contains(&(nulls / n)),
        "null params {}",
        nulls / n
    );
    let types: BTreeSet<&str> = all
        .iter()
        .filter_map(|r| r["userIdentity"]["type"].as_str())
        .collect();
    for ty in [
        "IAMUser",
        "AssumedRole",
        "Root",
        "AWSService",
        "FederatedUser",
    ] {
        assert!(types.contains(ty), "{ty}");
    }
    let versions: BTreeSet<&str> = all
        .iter()
        .map(|r| r["eventVersion"].as_str().unwrap())
        .collect();
    assert!(versions.len() >= 4);
    let sources: BTreeSet<&str> = all
        .iter()
        .map(|r| r["eventSource"].as_str().unwrap())
        .collect();
    assert!(sources.len() >= 15, "{sources:?}");
    assert!(
        all.iter()
            .any(|r| r["additionalEventData"]["bytesTransferredOut"].is_f64())
    );
}

fn count(t: &Tree, f: impl Fn(&Value) -> bool) -> u64 {
    records(t).filter(|r| f(r)).count() as u64
}

fn arn(r: &Value) -> &str {
    r["userIdentity"]["arn"].as_str().unwrap_or("")
}

#[test]
fn stories_are_planted() {
    let dir = shared().0.clone();
    let t = load(&dir);
    let name = |r: &Value| r["eventName"].as_str().unwrap_or("").to_string();
    // 1. exfiltration
    let big = count(&t, |r| {
        arn(r) == stories::EXFIL_ARN
            && name(r) == "GetObject"
            && stories::EXFIL_BUCKETS
                .contains(&r["requestParameters"]["bucketName"].as_str().unwrap_or(""))
            && r["additionalEventData"]["bytesTransferredOut"]
                .as_f64()
                .unwrap()
                >= stories::EXFIL_MIN_BYTES_OUT as f64
    });
    assert_eq!(big, stories::exfil_get_count(EVENTS));
    let mut per_bucket = BTreeMap::new();
    for r in records(&t).filter(|r| {
        arn(r) == stories::EXFIL_ARN
            && name(r) == "GetObject"
            && r["sourceIPAddress"] == stories::EXFIL_IP
    }) {
        *per_bucket
            .entry(r["requestParameters"]["bucketName"].as_str().unwrap())
            .or_insert(0) += 1;
    }
    assert_eq!(per_bucket.len(), 3);
    let benign_big = count(&t, |r| {
        arn(r) != stories::EXFIL_ARN
            && r["additionalEventData"]["bytesTransferredOut"]
                .as_f64()
                .unwrap_or(0.0)
                >= stories::EXFIL_MIN_BYTES_OUT as f64
    });
    assert_eq!(benign_big, 0);
    for (i, c) in stories::EXFIL_COLLEAGUES.iter().enumerate() {
        let denied = count(&t, |r| {
            r["userIdentity"]["userName"] == *c
                && r["errorCode"] == "AccessDenied"
                && r["requestParameters"]["bucketName"] == stories::EXFIL_BUCKETS[1]
        });
        assert_eq!(denied, stories::EXFIL_COLLEAGUE_DENIED[i]);
        let ok = count(&t, |r| {
            r["userIdentity"]["userName"] == *c
                && r.get("errorCode").is_none()
                && r["requestParameters"]["bucketName"] == stories::EXFIL_BUCKETS[0]
        });
        assert_eq!(ok, stories::EXFIL_COLLEAGUE_GETS[i]);
    }
    // 2. brute force
    let fails = count(&t, |r| {
        name(r) == "ConsoleLogin"
            && r["sourceIPAddress"] == stories::BRUTE_FORCE_IP
            && r["errorMessage"] == "Failed authentication"
            && r["responseElements"]["ConsoleLogin"] == "Failure"
            && r["userIdentity"]["userName"] == stories::BRUTE_FORCE_USER
    });
    assert_eq!(fails, stories::BRUTE_FORCE_FAILURES);
    let hidden = count(&t, |r| {
        r["sourceIPAddress"] == stories::BRUTE_FORCE_IP
            && r["userIdentity"]["userName"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    });
    assert_eq!(hidden, stories::BRUTE_FORCE_HIDDEN_FAILURES);
    let ok = count(&t, |r| {
        r["sourceIPAddress"] == stories::BRUTE_FORCE_IP
            && r["responseElements"]["ConsoleLogin"] == "Success"
    });
    assert_eq!(ok, 1);
    // 3. tampering
    for ev in stories::TAMPER_EVENTS {
        let n = count(&t, |r| name(r) == ev);
        let by = count(&t, |r| name(r) == ev && arn(r) == stories::TAMPER_ARN);
        assert!(by >= 1 && n == by, "{ev}");
    }
    assert_eq!(
        count(&t, |r| arn(r) == stories::TAMPER_ARN
            && r["sourceIPAddress"] == stories::TAMPER_IP),
        stories::TAMPER_TOTAL
    );
    assert_eq!(
        count(&t, |r| name(r) == "UpdateDetector"
            && r["requestParameters"]["enable"] == false),
        1
    );
    // 4. root
    assert_eq!(
        count(&t, |r| r["userIdentity"]["type"] == "Root"
            && name(r) == "ConsoleLogin"
            && r["additionalEventData"]["MFAUsed"] == "No"),
        1
    );
    assert_eq!(count(&t, |r| r["userIdentity"]["type"] == "Root"), 4);
    // 5. user agents
    for needle in ["kali", "parrot", "pentoo", "PowerShell"] {
        let n = count(&t, |r| r["userAgent"].as_str().unwrap().contains(needle));
        assert_eq!(n, stories::SUSPICIOUS_UA_CALLS_EACH, "{needle}");
    }
    // 6. secrets
    let secrets: BTreeSet<&str> = records(&t)
        .filter(|r| arn(r) == stories::SECRETS_ARN && name(r) == "GetSecretValue")
        .map(|r| r["requestParameters"]["secretId"].as_str().unwrap())
        .collect();
    assert_eq!(secrets.len() as u64, stories::SECRETS_DISTINCT);
    // 7. AssumeRole denials
    let roles: Vec<&str> = records(&t)
        .filter(|r| {
            arn(r) == stories::ASSUME_ARN
                && name(r) == "AssumeRole"
                && r["errorCode"] == "AccessDenied"
        })
        .map(|r| r["requestParameters"]["roleArn"].as_str().unwrap())
        .collect();
    assert_eq!(roles.len() as u64, stories::ASSUME_DENIALS);
    assert_eq!(
        roles.iter().collect::<BTreeSet<_>>().len(),
        stories::ASSUME_ROLE_NAMES.len()
    );
    // 8. persistence
    for ev in stories::PERSIST_EVENTS {
        assert_eq!(count(&t, |r| name(r) == ev), 1, "{ev}");
        assert_eq!(
            count(&t, |r| name(r) == ev && arn(r) == stories::PERSIST_ARN),
            1
        );
    }
    assert_eq!(
        count(&t, |r| r["requestParameters"]["policyArn"]
            == stories::PERSIST_POLICY_ARN),
        1
    );
    // 9. discovery
    let disc: BTreeSet<String> = records(&t)
        .filter(|r| {
            arn(r) == stories::DISCOVERY_ARN && r["sourceIPAddress"] == stories::DISCOVERY_IP
        })
        .map(name)
        .collect();
    assert_eq!(disc.len(), stories::DISCOVERY_EVENT_NAMES.len());
    // story IPs never appear in the background
    let ips = [
        stories::EXFIL_IP,
        stories::BRUTE_FORCE_IP,
        stories::TAMPER_IP,
        stories::ROOT_IP,
        stories::SUSPICIOUS_UA_IP,
        stories::SECRETS_IP,
        stories::ASSUME_IP,
        stories::PERSIST_IP,
        stories::DISCOVERY_IP,
    ];
    let ip_total = count(&t, |r| {
        ips.contains(&r["sourceIPAddress"].as_str().unwrap())
    });
    let expected = stories::exfil_get_count(EVENTS)
        + 4
        + 36
        + stories::TAMPER_TOTAL
        + 4
        + 12
        + 41
        + 18
        + 4
        + 28;
    assert_eq!(ip_total, expected);
}

#[test]
fn tiny_runs_have_no_stories() {
    let dir = tmp("tiny");
    let s = generate(
        &GenerateOptions {
            events: 50,
            hours: 1,
            ..Default::default()
        },
        &dir,
    )
    .unwrap();
    assert_eq!(s.events, 50);
    let t = load(&dir);
    assert_eq!(records(&t).count(), 50);
    assert!(t.insights.is_empty());
    fs::remove_dir_all(&dir).unwrap();
    assert!(
        generate(
            &GenerateOptions {
                regions: vec![],
                ..Default::default()
            },
            &dir
        )
        .is_err()
    );
}
