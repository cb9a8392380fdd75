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
