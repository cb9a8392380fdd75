//! The in-memory loader (`trailhunt_source::load`): it reports every file in the order
//! the inputs were given, counts its progress as the scan goes, keeps only the files
//! holding a required text while windows still see every event, and runs from inside
//! an async runtime too.

use std::sync::atomic::Ordering::Relaxed;

use trailhunt_cloudtrail::{LoadOptions, Progress, discover};
use trailhunt_source::{Listing, load};

fn rec(id: &str, user: &str, time: &str) -> String {
    format!(
        r#"{{"eventTime":"{time}","eventSource":"s3.amazonaws.com","eventName":"GetObject","sourceIPAddress":"198.51.100.1","eventID":"{id}","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/{user}"}},"requestParameters":{{"bucketName":"b-{id}"}}}}"#
    )
}

/// `a/x.json` (2 records), `a.b/y.json` (1), `a/z.txt` (not JSON): discovery walks `a`
/// before `a.b`, while a sort of the names puts `a.b/…` first (`.` before `/`).
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for d in ["a", "a.b"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    let x = format!(
        "{}\n{}\n",
        rec("1", "alice", "2024-03-01T10:00:00Z"),
        rec("2", "bob", "2024-03-01T10:01:00Z")
    );
    std::fs::write(dir.path().join("a/x.json"), x).unwrap();
    let y = rec("3", "alice", "2024-03-01T10:02:00Z");
    std::fs::write(dir.path().join("a.b/y.json"), y).unwrap();
    std::fs::write(dir.path().join("a/z.txt"), "not json at all").unwrap();
    dir
}

#[test]
fn every_file_is_reported_in_input_order_and_the_progress_counts_them() {
    let dir = tree();
    let found = discover(&[dir.path().to_str().unwrap()]).unwrap();
    let names: Vec<String> = found.sources.iter().map(|s| s.to_string()).collect();
    let progress = Progress::default();
    let data = load(
        &Listing::local(&found),
        &LoadOptions::default(),
        Some(&progress),
    )
    .unwrap();
    let r = &data.report;
    let reported: Vec<&str> = r.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(reported, names);
    let file = |p: &str| dir.path().join(p).display().to_string();
    assert_eq!(
        reported,
        [file("a/x.json"), file("a/z.txt"), file("a.b/y.json")]
    );
    assert_eq!(r.records, 3);
    assert_eq!((r.files_loaded, r.files_skipped), (2, 1));
    assert_eq!(r.files[1].rejected_kind.as_deref(), Some("not-json"));
    // The sizes on disk, read here, not through trailhunt.
    let bytes: u64 = ["a/x.json", "a/z.txt", "a.b/y.json"]
        .iter()
        .map(|p| std::fs::metadata(dir.path().join(p)).unwrap().len())
        .sum();
    assert_eq!(r.bytes, bytes);
    assert_eq!(progress.total_files.load(Relaxed), 3);
    assert_eq!(progress.files.load(Relaxed), 3);
    assert_eq!(progress.records.load(Relaxed), 3);
    assert_eq!(progress.bytes.load(Relaxed), bytes);
    // Windows per entity: alice has 2 events, bob 1.
    assert_eq!((r.entities, r.windows), (2, 2));
}

#[test]
fn a_required_text_keeps_only_its_files_yet_windows_see_every_event() {
    let dir = tree();
    let found = discover(&[dir.path().to_str().unwrap()]).unwrap();
    // `b-3` is only in a.b/y.json: a/x.json is read for the windows only.
    let opts = LoadOptions {
        required_text: vec!["b-3".into()],
        ..LoadOptions::default()
    };
    let data = load(&Listing::local(&found), &opts, None).unwrap();
    let r = &data.report;
    assert_eq!(r.records, 1);
    assert_eq!(r.files[0].shape.as_deref(), Some("no-match"));
    // Alice's window holds her event in x.json first: the one kept is second in it
    // (`window_index` 1; 0 had x.json been left out of the windows).
    let b = &data.batches[0];
    let idx = b
        .column_by_name(trailhunt_cloudtrail::schema::WINDOW_INDEX)
        .unwrap();
    let idx = datafusion::arrow::array::AsArray::as_primitive::<
        datafusion::arrow::datatypes::Int64Type,
    >(idx.as_ref());
    assert_eq!(idx.value(0), 1);
    // Without windows, x.json is not parsed at all.
    let opts = LoadOptions {
        skip_windows: true,
        ..opts
    };
    let data = load(&Listing::local(&found), &opts, None).unwrap();
    assert_eq!(data.report.records, 1);
    assert_eq!(data.report.windows, 0);
}

#[test]
fn inside_an_async_runtime_the_load_still_runs() {
    let dir = tree();
    let found = discover(&[dir.path().to_str().unwrap()]).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let records = rt.block_on(async {
        load(&Listing::local(&found), &LoadOptions::default(), None)
            .unwrap()
            .report
            .records
    });
    assert_eq!(records, 3);
}
