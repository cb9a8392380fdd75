//! The streaming engine (`Engine::open`): what it reads, what it prunes, and that a memory
//! limit makes big sorts spill without changing the answer. Answers themselves are checked
//! by every case in `tests/cases` (each also runs through the streaming engine).

mod common;

use std::path::Path;

use trailhunt_cloudtrail::time::parse_event_time;
use trailhunt_engine::{Engine, StreamOptions, TimeRange};

fn open(path: &Path, options: StreamOptions) -> Engine {
    let found = trailhunt_cloudtrail::discover(&[path.to_str().unwrap()]).unwrap();
    Engine::open(trailhunt_source::Listing::new(&found, Vec::new()), options).unwrap()
}

fn sample() -> std::path::PathBuf {
    common::repo().join("examples/data")
}

fn ndjson(e: &Engine, q: &str, range: TimeRange) -> Vec<String> {
    let out = e.run(q, range).unwrap_or_else(|err| panic!("{q}: {err}"));
    let w = trailhunt_print::RowWriter::new(e.catalog());
    let mut rows = Vec::new();
    for b in &out.batches {
        for i in 0..b.num_rows() {
            rows.push(serde_json::to_string(&w.row(b, i)).unwrap());
        }
    }
    rows
}

/// Files whose delivery name says every event in them is older than the range are not
/// read at all; the answer is the one the loaded data gives.
#[test]
fn a_time_range_prunes_files_by_their_delivery_names() {
    let path = sample();
    let listed = trailhunt_cloudtrail::discover(&[path.to_str().unwrap()])
        .unwrap()
        .sources
        .len();
    let from = parse_event_time("2024-03-01T08:00:00Z").unwrap();
    let range = TimeRange {
        from: Some(from),
        to: None,
    };
    let e = open(&path, StreamOptions::default());
    let q = "* | stats count() by eventName | sort -@q.count | head 5";
    let out = e.run(q, range).unwrap();
    assert!(
        (out.files_read as usize) < listed * 3 / 4,
        "{} of {listed} files read",
        out.files_read
    );
    // The in-memory engine over everything, restricted by the query only.
    let all = common::engine(&path);
    assert_eq!(ndjson(&e, q, range), ndjson(&all, q, range));
    assert_ne!(
        ndjson(&all, q, range),
        ndjson(&all, q, TimeRange::default()),
        "the range must change the counts"
    );
}

/// Under a memory limit the answer is the one without it, explain --analyze shows the
/// scan's metrics, and a limit too small for the query is a clear error that says what
/// to change (spilling itself is exercised in `tests/windows.rs`).
#[test]
fn a_memory_limit_keeps_the_answer_or_says_what_to_change() {
    let path = sample();
    let q = "* | sort -userAgent | table eventID, userAgent";
    let free = open(&path, StreamOptions::default());
    let want = ndjson(&free, q, TimeRange::default());
    let limited = |bytes: usize| {
        open(
            &path,
            StreamOptions {
                memory_limit: Some(bytes),
                threads: 2,
                ..Default::default()
            },
        )
    };
    let roomy = limited(64 << 20);
    assert!(ndjson(&roomy, q, TimeRange::default()) == want);
    let shown = roomy.explain_analyze(q, TimeRange::default()).unwrap();
    for metric in [
        "CloudTrailExec",
        "files_read=",
        "bytes_read=",
        "output_rows=",
    ] {
        assert!(shown.contains(metric), "no {metric} in:\n{shown}");
    }
    let err = limited(256 << 10)
        .run(q, TimeRange::default())
        .expect_err("256 KiB cannot hold this sort");
    let msg = err.to_string();
    assert!(msg.contains("--memory-limit"), "{msg}");
}

/// A query naming a path the data only has in files the scan has not read yet plans
/// right: the first plan is made before anything is known.
#[test]
fn a_cold_engine_learns_arrays_and_wildcards_from_the_scan() {
    let path = sample();
    let loaded = common::engine(&path);
    for q in [
        "resources.ARN: * | stats count() by resources.ARN | sort -@q.count | head 3",
        "* | table requestParameters.*Name | head 5",
        "eventName=GetObject | stats sum(additionalEventData.bytesTransferredOut) as b by userIdentity.userName",
    ] {
        let cold = open(&path, StreamOptions::default());
        let want: Vec<serde_json::Value> = common::rows(&loaded, q);
        let got: Vec<serde_json::Value> = ndjson(&cold, q, TimeRange::default())
            .iter()
            .map(|r| serde_json::from_str(r).unwrap())
            .collect();
        assert_eq!(got, want, "{q}");
    }
}

/// A query's `typed = value` terms let the scan drop records whose typed column fails
/// them (and skip the rest of each unread), but never one the filter could still match
/// through a second value at the same path: a duplicate key (the file is decoded again
/// whole), an array read before the failing string, a lowercase export's spelling.
/// Expected counts are written by hand from the records below.
#[test]
fn typed_tests_drop_only_what_cannot_match() {
    let dir = tempfile::tempdir().unwrap();
    let records = [
        // 1. Matches plainly.
        r#"{"eventTime":"2024-03-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","requestParameters":{"bucketName":"plain"},"eventID":"r1"}"#,
        // 2. Fails: another API call.
        r#"{"eventTime":"2024-03-01T00:01:00Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","requestParameters":{"bucketName":"put"},"eventID":"r2"}"#,
        // 3. A duplicate key: the first value fails, the second matches.
        r#"{"eventTime":"2024-03-01T00:02:00Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","requestParameters":{"bucketName":"dup"},"eventName":"GetObject","eventID":"r3"}"#,
        // 4. An array value at the path before a failing string: the array matches.
        r#"{"eventTime":"2024-03-01T00:03:00Z","eventSource":"s3.amazonaws.com","eventName":["GetObject"],"requestParameters":{"bucketName":"array"},"eventName":"PutObject","eventID":"r4"}"#,
        // 5. A lowercase export's spelling of the fields.
        r#"{"eventtime":"2024-03-01T00:04:00Z","eventsource":"s3.amazonaws.com","eventname":"GetObject","requestparameters":{"bucketName":"lower"},"eventid":"r5"}"#,
        // 6. Fails on the second term (eventSource) only.
        r#"{"eventTime":"2024-03-01T00:05:00Z","eventSource":"ec2.amazonaws.com","eventName":"GetObject","requestParameters":{"bucketName":"other-service"},"eventID":"r6"}"#,
        // 7. Fails, with no time of its own: still counted as read without a time.
        r#"{"eventSource":"s3.amazonaws.com","eventName":"DeleteObject","requestParameters":{"bucketName":"timeless"},"eventID":"r7"}"#,
    ];
    std::fs::write(dir.path().join("events.ndjson"), records.join("\n")).unwrap();
    // A second file with no oddity: its failing records are dropped as they are read.
    let plain: Vec<String> = (0..50)
        .map(|i| {
            let name = if i % 10 == 0 { "GetObject" } else { "ListObjects" };
            format!(
                r#"{{"eventTime":"2024-03-02T00:{:02}:00Z","eventSource":"s3.amazonaws.com","eventName":"{name}","requestParameters":{{"bucketName":"bulk"}},"eventID":"b{i}"}}"#,
                i % 60
            )
        })
        .collect();
    std::fs::write(dir.path().join("bulk.ndjson"), plain.join("\n")).unwrap();
    let e = open(dir.path(), StreamOptions::default());
    let q = "eventSource=s3.amazonaws.com eventName=GetObject \
             | stats count() by requestParameters.bucketName | sort requestParameters.bucketName";
    let got = ndjson(&e, q, TimeRange::default());
    let want = [
        r#"{"requestParameters.bucketName":"array","@q.count":1}"#,
        r#"{"requestParameters.bucketName":"bulk","@q.count":5}"#,
        r#"{"requestParameters.bucketName":"dup","@q.count":1}"#,
        r#"{"requestParameters.bucketName":"lower","@q.count":1}"#,
        r#"{"requestParameters.bucketName":"plain","@q.count":1}"#,
    ];
    assert_eq!(got, want);
    // The plan says what the scan tests.
    let plan = e.explain(q, TimeRange::default()).unwrap();
    assert!(
        plan.contains("keep_if=[eventSource = s3.amazonaws.com, eventName = GetObject]"),
        "{plan}"
    );
    // Lists and `:` are tested too; a record failing them all is dropped.
    let q = "eventName=(GetObject PutObject) | count";
    // r1-r6 and the five bulk GetObject.
    assert_eq!(ndjson(&e, q, TimeRange::default()), [r#"{"@q.count":11}"#]);
    let q = "eventName:DeleteObject | count";
    assert_eq!(ndjson(&e, q, TimeRange::default()), [r#"{"@q.count":1}"#]);
}

/// Every row `stream_query` gives, as NDJSON, with whether it streamed from the scan.
fn streamed(e: &Engine, q: &str, range: TimeRange) -> (Vec<String>, bool) {
    let query = trailhunt_lang::parse_query(q).unwrap();
    let mut s = e
        .stream_query(&query, range)
        .unwrap_or_else(|err| panic!("{q}: {err}"));
    let w = trailhunt_print::RowWriter::new(e.catalog());
    let mut rows = Vec::new();
    while let Some(b) = s.next_batch() {
        let b = b.unwrap_or_else(|err| panic!("{q}: {err}"));
        assert_eq!(
            b.schema(),
            s.schema,
            "{q}: the batches have the stream's schema"
        );
        for i in 0..b.num_rows() {
            rows.push(serde_json::to_string(&w.row(&b, i)).unwrap());
        }
    }
    (rows, s.streamed)
}

/// The stream gives the rows `run` collects, in the same order, whether it streams from
/// the scan (a query whose plan cannot depend on the paths the data has; the whole
/// input's windows cut as the rows pass) or runs the query to the end first (a query
/// naming paths, whose plan the scan may change; windows of a part of the input).
#[test]
fn a_stream_gives_the_collected_rows_in_order() {
    let path = sample();
    let from = parse_event_time("2024-03-01T08:00:00Z").unwrap();
    let since = TimeRange {
        from: Some(from),
        to: None,
    };
    let all = TimeRange::default();
    let modes = [
        trailhunt_cloudtrail::WindowMode::default(),
        trailhunt_cloudtrail::WindowMode::Events(7),
        trailhunt_cloudtrail::WindowMode::Session(600_000_000_000),
        trailhunt_cloudtrail::WindowMode::Session(0),
    ];
    for (q, range, direct) in [
        ("*", all, true),
        ("* | count", all, true),
        ("*", since, false),
        ("* | head 3", all, false),
        ("eventName=GetObject", all, false),
        ("root", all, false),
        ("* | groupbycount eventName", all, false),
        (
            "* | table window_id, window_index, eventID | head 50",
            all,
            false,
        ),
    ] {
        // Windows matter only where events print whole (`*`): there, every mode.
        let runs = [(2, modes[0]), (1, modes[1]), (3, modes[2]), (2, modes[3])];
        let runs = if q == "*" { &runs[..] } else { &runs[..1] };
        for &(threads, window) in runs {
            let options = StreamOptions {
                threads,
                window,
                ..Default::default()
            };
            let want = ndjson(&open(&path, options.clone()), q, range);
            let cold = open(&path, options);
            let (got, from_scan) = streamed(&cold, q, range);
            assert_eq!(from_scan, direct, "{q}: streamed from the scan");
            assert!(!want.is_empty(), "{q}: no rows to compare");
            assert_eq!(got.len(), want.len(), "{q} {window:?}: row count");
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g, w, "{q} {window:?} {threads} threads: row {i}");
            }
        }
    }
    // Windows in the whole stream are the loaded engine's, which cuts them after a load.
    let loaded = common::engine(&path);
    let want: Vec<serde_json::Value> = common::rows(&loaded, "*");
    let (got, _) = streamed(&open(&path, StreamOptions::default()), "*", all);
    let got: Vec<serde_json::Value> = got
        .iter()
        .map(|r| serde_json::from_str(r).unwrap())
        .collect();
    assert_eq!(got, want);
}

/// Why a stream may come straight from the scan: for a query that names no path, the
/// plan made before the scan (nothing known) is the plan made after it; for one naming a
/// path the data turns out to hold as an array, the two differ, and the stream (which then
/// runs the query to the end and replans) still gives the answer of the loaded data.
#[test]
fn the_first_plan_streams_only_when_the_scan_cannot_change_it() {
    let path = sample();
    let all = TimeRange::default();
    for (q, stable) in [
        ("*", true),
        ("* | count", true),
        ("* | head 5", true),
        (
            "resources.ARN: * | stats count() by resources.ARN | sort -@q.count | head 3",
            false,
        ),
    ] {
        let cold = open(&path, StreamOptions::default());
        let before = cold.explain(q, all).unwrap();
        let (got, _) = streamed(&cold, q, all);
        let after = cold.explain(q, all).unwrap();
        assert_eq!(
            before == after,
            stable,
            "{q}: the plans before and after the scan"
        );
        let loaded = common::engine(&path);
        let got: Vec<serde_json::Value> = got
            .iter()
            .map(|r| serde_json::from_str(r).unwrap())
            .collect();
        assert_eq!(got, common::rows(&loaded, q), "{q}");
    }
}

/// The scan's file reports reach the stream's handle: complete when the stream ends.
#[test]
fn the_stream_reports_its_files() {
    let path = sample();
    let listed = trailhunt_cloudtrail::discover(&[path.to_str().unwrap()])
        .unwrap()
        .sources
        .len() as u64;
    for q in ["* | count", "eventName=GetObject | count"] {
        let e = open(&path, StreamOptions::default());
        let query = trailhunt_lang::parse_query(q).unwrap();
        let mut s = e.stream_query(&query, TimeRange::default()).unwrap();
        while let Some(b) = s.next_batch() {
            b.unwrap();
        }
        assert!(s.scan.files_read() > 0, "{q}");
        assert!(s.scan.files_read() <= listed, "{q}");
        let collected = e.run(q, TimeRange::default()).unwrap();
        assert_eq!(s.scan.files_read(), collected.files_read, "{q}");
        assert_eq!(s.scan.files().len(), collected.files.len(), "{q}");
    }
}

/// With every source in the cache, the first plan already knows the data's paths (merged
/// from the chunks' path statistics): a misspelled path gets its "did you mean" before a
/// file is read, where a cold engine over the JSON knows only CloudTrail's own fields.
#[test]
fn a_cache_lets_the_first_plan_know_the_data_paths() {
    let path = sample();
    let (_dir, cache) = common::indexed(&path);
    let q = "requestParameters.bucketNme=x | count";
    let cached = Engine::open(
        common::cached_listing(&path, &cache),
        StreamOptions::default(),
    )
    .unwrap();
    let cold = open(&path, StreamOptions::default());
    let said = |e: &Engine| trailhunt_engine::render_warnings(q, &e.check(q).unwrap());
    assert!(said(&cached).contains("bucketName"), "{}", said(&cached));
    assert!(!said(&cold).contains("bucketName"), "{}", said(&cold));
    // And the answers agree, the JSON's read as ever.
    let w = "eventName=GetObject | table requestParameters.* | head 5";
    assert_eq!(
        ndjson(&cached, w, TimeRange::default()),
        ndjson(&cold, w, TimeRange::default())
    );
}

/// An S3 `GetObject` data event as AWS documents it, by user, at second `t` of the day.
fn get_object(i: usize, user: &str, t: usize) -> String {
    format!(
        r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE{i}","arn":"arn:aws:iam::111122223333:user/{user}","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"{user}"}},"eventTime":"2024-03-01T{:02}:{:02}:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0","requestParameters":{{"bucketName":"reports","key":"q/{i}.csv"}},"responseElements":null,"requestID":"R{i}","eventID":"e-{i}","readOnly":true,"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data"}}"#,
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

/// The cache's token index and block time spans let a scan skip blocks of rows that
/// cannot match (a needle's tokens are missing, the times are outside the range); the
/// answers are the ones the records give, and a query every block can match skips
/// nothing. A damaged token index is a warning and every row is read.
#[test]
fn a_cache_skips_blocks_its_token_index_rules_out() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    // Four files of 6,000 events, one second apart; the needle user acts only in the
    // third file, 25 times.
    let (files, per_file, needles) = (4, 6000, 25);
    for f in 0..files {
        let records: Vec<String> = (0..per_file)
            .map(|k| {
                let i = f * per_file + k;
                let user = if f == 2 && k % 200 == 0 && k / 200 < needles {
                    "needle-mallory"
                } else {
                    "alice"
                };
                get_object(i, user, i)
            })
            .collect();
        std::fs::write(
            logs.join(format!("f{f}.json")),
            format!(r#"{{"Records":[{}]}}"#, records.join(",")),
        )
        .unwrap();
    }
    let (_dir, cache) = common::indexed(&logs);
    let engine = Engine::open(
        common::cached_listing(&logs, &cache),
        StreamOptions::default(),
    )
    .unwrap();
    let count = |q: &str, range: TimeRange| {
        let out = engine.run(q, range).unwrap_or_else(|e| panic!("{q}: {e}"));
        let n = ndjson(&engine, q, range);
        (n, out.cache_rows_skipped, out.files)
    };
    let total = files * per_file;
    for q in [
        "needle-mallory | count",
        r#""arn:aws:iam::111122223333:user/needle-mallory" | count"#,
        "userIdentity.userName = needle-mallory | count",
    ] {
        let (rows, skipped, _) = count(q, TimeRange::default());
        assert_eq!(rows, [format!(r#"{{"@q.count":{needles}}}"#)], "{q}");
        assert!(
            skipped as usize >= total / 2,
            "{q}: {skipped} of {total} rows skipped"
        );
    }
    let (rows, skipped, _) = count("alice | count", TimeRange::default());
    assert_eq!(rows, [format!(r#"{{"@q.count":{}}}"#, total - needles)]);
    assert_eq!(skipped, 0);
    // The first file's hour: events 0..6000 are seconds 0..6000 of the day.
    let range = TimeRange {
        from: parse_event_time("2024-03-01T00:00:00Z"),
        to: parse_event_time("2024-03-01T01:00:00Z"),
    };
    let (rows, skipped, _) = count("* | count", range);
    assert_eq!(rows, [r#"{"@q.count":3600}"#.to_string()]);
    assert!(
        skipped as usize >= total / 2,
        "{skipped} of {total} rows skipped"
    );

    // Damage every token index: the answers stay, each chunk's first file warns.
    for e in std::fs::read_dir(cache.dir()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "tokens") {
            std::fs::write(&p, b"THTOKEN1\xff").unwrap();
        }
    }
    let (rows, skipped, files) = count("needle-mallory | count", TimeRange::default());
    assert_eq!(rows, [format!(r#"{{"@q.count":{needles}}}"#)]);
    assert_eq!(skipped, 0);
    assert!(
        files.iter().any(|f| f
            .warnings
            .iter()
            .any(|w| w.contains("token index") && w.contains("trailhunt index"))),
        "{files:?}"
    );
}
