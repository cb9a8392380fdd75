//! The columnar cache: `index` is incremental (new, changed, unchanged, removed), a load
//! through the cache gives exactly what the JSON gives — events, reports, the catalog's
//! path statistics — and a damaged chunk is reported and read from the JSON instead.

use std::path::Path;

use datafusion::arrow::array::{Array, AsArray};
use trailhunt_cloudtrail::{Dataset, LoadOptions, discover};
use trailhunt_source::cache::Cache;
use trailhunt_source::cache::write::{IndexOptions, IndexSummary, index};
use trailhunt_source::{Listing, load};

/// A CloudTrail record as CloudTrail writes an S3 `GetObject` data event (AWS's
/// documentation of data events), with a few varying fields.
fn record(id: &str, time: &str, user: &str, bucket: &str, read_only: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/{user}","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"{user}"}},"eventTime":"{time}","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0","requestParameters":{{"bucketName":"{bucket}","key":"reports/q1.csv","Host":"{bucket}.s3.us-east-1.amazonaws.com"}},"responseElements":null,"additionalEventData":{{"bytesTransferredOut":{n},"x-amz-id-2":"abc"}},"requestID":"REQ{id}","eventID":"{id}","readOnly":{read_only},"resources":[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::{bucket}/reports/q1.csv"}},{{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::{bucket}"}}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data"}}"#,
        n = id.len() * 1000
    )
}

fn write_file(dir: &Path, name: &str, records: &[String]) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, format!(r#"{{"Records":[{}]}}"#, records.join(","))).unwrap();
}

fn listing(dir: &Path) -> Listing {
    Listing::local(&discover(&[dir.to_str().unwrap()]).unwrap())
}

fn indexed(cache: &Path, dir: &Path) -> IndexSummary {
    index(cache, &listing(dir), &IndexOptions::default(), None).unwrap()
}

fn load_with(dir: &Path, cache: Option<&Path>) -> Dataset {
    let mut l = listing(dir);
    if let Some(c) = cache {
        l.cache = Some(std::sync::Arc::new(Cache::open(c).unwrap()));
    }
    load(&l, &LoadOptions::default(), None).unwrap()
}

/// Every event as (eventID, source, its nested values as canonical path = value), by
/// eventID (the order batches arrive in is the partitions'; queries order by time), plus the per-file reports and the catalog's path statistics: all a query
/// can see.
fn seen(d: &Dataset) -> (Vec<String>, String, String) {
    let mut rows = Vec::new();
    for b in &d.batches {
        let ids = b.column_by_name("eventID").unwrap().as_string::<i32>();
        let src = b.column_by_name("@index").unwrap();
        let src =
            datafusion::arrow::compute::cast(src, &datafusion::arrow::datatypes::DataType::Utf8)
                .unwrap();
        let src = src.as_string::<i32>();
        let kv = b.column_by_name("_kv").unwrap().as_list::<i32>();
        for r in 0..b.num_rows() {
            let entries = kv.value(r);
            let st = entries.as_struct();
            let keys = st
                .column(0)
                .as_dictionary::<datafusion::arrow::datatypes::UInt32Type>();
            let paths = keys.values().as_string::<i32>();
            let vals = st.column(1).as_string::<i32>();
            let nested: Vec<String> = (0..st.len())
                .map(|i| {
                    let v = if vals.is_null(i) {
                        "null"
                    } else {
                        vals.value(i)
                    };
                    format!("{}={v}", paths.value(keys.keys().value(i) as usize))
                })
                .collect();
            rows.push(format!(
                "{} {} {}",
                ids.value(r),
                src.value(r),
                nested.join(" ")
            ));
        }
    }
    rows.sort();
    let mut reports = d.report.files.clone();
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    let stats = serde_json::to_string(&d.catalog.stats()).unwrap();
    (rows, serde_json::to_string(&reports).unwrap(), stats)
}

fn assert_same(dir: &Path, cache: &Path) {
    let raw = seen(&load_with(dir, None));
    let cached = seen(&load_with(dir, Some(cache)));
    assert!(!raw.0.is_empty());
    assert_eq!(raw.0, cached.0, "events");
    assert_eq!(raw.1, cached.1, "reports");
    assert_eq!(raw.2, cached.2, "path statistics");
}

#[test]
fn index_is_incremental_and_the_cache_answers_as_the_json() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, cache) = (tmp.path().join("logs"), tmp.path().join("cache"));
    let day = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01";
    let name = |hhmm: &str, tag: &str| {
        format!("{day}/111122223333_CloudTrail_us-east-1_20240301T{hhmm}Z_{tag}.json")
    };
    write_file(
        &dir,
        &name("0805", "aaaaaaaaaaaaaaaa"),
        &[
            record("e1", "2024-03-01T08:01:00Z", "alice", "finance", "true"),
            // A boolean written as text keeps its text (and counts once).
            record("e2", "2024-03-01T08:02:00.123Z", "bob", "hr", "\"True\""),
        ],
    );
    write_file(
        &dir,
        &name("0810", "bbbbbbbbbbbbbbbb"),
        &[record(
            "e3",
            "2024-03-01T08:06:00Z",
            "carol",
            "finance",
            "true",
        )],
    );
    // Not JSON: its rejection is cached with it.
    std::fs::write(
        dir.join(name("0815", "cccccccccccccccc")),
        "{\"Records\": [",
    )
    .unwrap();

    let s = indexed(&cache, &dir);
    assert_eq!(
        (s.new, s.changed, s.unchanged, s.removed),
        (3, 0, 0, 0),
        "{s:?}"
    );
    assert_eq!(s.events, 3);
    assert_eq!(s.problems.len(), 1, "the broken file is reported");
    assert_same(&dir, &cache);

    let s = indexed(&cache, &dir);
    assert_eq!(
        (s.new, s.changed, s.unchanged, s.removed),
        (0, 0, 3, 0),
        "{s:?}"
    );

    // Added, changed (another size), removed.
    write_file(
        &dir,
        &name("0820", "dddddddddddddddd"),
        &[record("e4", "2024-03-01T08:16:00Z", "dave", "ops", "false")],
    );
    write_file(
        &dir,
        &name("0810", "bbbbbbbbbbbbbbbb"),
        &[
            record("e3", "2024-03-01T08:06:00Z", "carol", "finance", "true"),
            record("e5", "2024-03-01T08:07:00Z", "carol", "legal", "true"),
        ],
    );
    // Before indexing again: the changed and the new file are read from their JSON,
    // the rest from the cache, in one load.
    assert_same(&dir, &cache);
    std::fs::remove_file(dir.join(name("0805", "aaaaaaaaaaaaaaaa"))).unwrap();
    assert_same(&dir, &cache);
    let s = indexed(&cache, &dir);
    assert_eq!(
        (s.new, s.changed, s.unchanged, s.removed),
        (1, 1, 1, 1),
        "{s:?}"
    );
    assert_same(&dir, &cache);
    let m = Cache::open(&cache).unwrap().manifest().clone();
    assert_eq!(m.sources.len(), 3);
    // Every chunk the manifest names is there, and no other.
    for c in m.chunks.keys() {
        assert!(cache.join(c).is_file(), "{c}");
    }
    let on_disk = std::fs::read_dir(&cache)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".parquet")
        })
        .count();
    assert_eq!(on_disk, m.chunks.len(), "unused chunks are deleted");
}

#[test]
fn a_damaged_chunk_is_reported_and_its_files_read_from_their_json() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, cache) = (tmp.path().join("logs"), tmp.path().join("cache"));
    for i in 0..4 {
        let recs: Vec<String> = (0..50)
            .map(|j| {
                record(
                    &format!("f{i}-{j}"),
                    &format!("2024-03-01T0{i}:{:02}:00Z", j),
                    "erin",
                    "finance",
                    "true",
                )
            })
            .collect();
        write_file(&dir, &format!("part-{i}.json"), &recs);
    }
    indexed(&cache, &dir);
    let m = Cache::open(&cache).unwrap().manifest().clone();
    for c in m.chunks.keys() {
        let p = cache.join(c);
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    }
    let raw = seen(&load_with(&dir, None));
    let cached = load_with(&dir, Some(&cache));
    let warned: Vec<&String> = cached
        .report
        .files
        .iter()
        .flat_map(|f| &f.warnings)
        .filter(|w| w.contains("not the cache") && w.contains("chunk-"))
        .collect();
    assert!(!warned.is_empty(), "{:?}", cached.report.files);
    let cached = seen(&cached);
    assert_eq!(raw.0, cached.0, "every event, from the JSON");
    assert_eq!(raw.2, cached.2, "path statistics");
    // The next index notices, and indexes those files again.
    let s = indexed(&cache, &dir);
    assert_eq!(
        (s.repaired, s.new, s.unchanged),
        (m.chunks.len() as u64, 4, 0),
        "{s:?}"
    );
    let again = load_with(&dir, Some(&cache));
    assert!(
        again.report.files.iter().all(|f| f.warnings.is_empty()),
        "{:?}",
        again.report.files
    );
    assert_eq!(raw.0, seen(&again).0);
}

#[test]
fn a_manifest_that_is_not_one_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("manifest.json"), "{not json").unwrap();
    let e = Cache::open(tmp.path()).unwrap_err().to_string();
    assert!(
        e.contains("manifest.json") && e.contains("trailhunt index"),
        "{e}"
    );
}

/// A cache an older trailhunt wrote is read as empty (every source from its JSON, the
/// same answer) and `index` rebuilds it, removing the old chunks; a newer one is an error.
#[test]
fn a_cache_of_an_older_format_is_rebuilt() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, cache) = (tmp.path().join("logs"), tmp.path().join("cache"));
    let records: Vec<String> = (0..3)
        .map(|i| {
            record(
                &format!("e{i}"),
                "2024-03-01T10:00:00Z",
                "alice",
                "b",
                "true",
            )
        })
        .collect();
    write_file(&dir, "a.json", &records);
    indexed(&cache, &dir);
    let manifest = cache.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    let old_chunks: Vec<String> = m["chunks"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(old_chunks.len(), 1);
    m["format"] = 1.into();
    std::fs::write(&manifest, serde_json::to_vec(&m).unwrap()).unwrap();

    let c = Cache::open(&cache).unwrap();
    assert_eq!(c.older_format(), Some(1));
    assert!(c.manifest().sources.is_empty());
    assert_same(&dir, &cache);

    let s = indexed(&cache, &dir);
    assert_eq!((s.new, s.unchanged), (1, 0), "{s:?}");
    let c = Cache::open(&cache).unwrap();
    assert_eq!(c.older_format(), None);
    assert_eq!(c.manifest().sources.len(), 1);
    assert!(
        !cache.join(&old_chunks[0]).exists(),
        "the old chunk is removed"
    );

    m["format"] = 99.into();
    std::fs::write(&manifest, serde_json::to_vec(&m).unwrap()).unwrap();
    let e = Cache::open(&cache).unwrap_err().to_string();
    assert!(e.contains("newer"), "{e}");
}
