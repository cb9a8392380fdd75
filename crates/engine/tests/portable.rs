//! Batches carry their paths: events decoded by one process, written as Arrow IPC (as a
//! spill file, a cache file or a cluster executor's output would be) and read by another
//! process whose catalog numbers paths differently, answer every query exactly as they do
//! where they were decoded — once the reader has merged the writer's path statistics.

mod common;

use std::sync::Arc;

use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::arrow::record_batch::RecordBatch;
use trailhunt_cloudtrail::catalog::ROOT;
use trailhunt_cloudtrail::schema::TypedLayout;
use trailhunt_cloudtrail::{Catalog, Dataset, LoadOptions, discover};
use trailhunt_engine::{Engine, TimeRange};
use trailhunt_print::RowWriter;
use trailhunt_source::{Listing, load};

fn dataset() -> Dataset {
    let path = common::repo().join("examples/data");
    let found = discover(&[path.to_str().unwrap()]).unwrap();
    load(&Listing::local(&found), &LoadOptions::default(), None).unwrap()
}

/// The batches through an IPC stream: nothing but what the bytes hold survives.
fn through_ipc(batches: &[RecordBatch]) -> Vec<RecordBatch> {
    let mut bytes = Vec::new();
    let mut w = StreamWriter::try_new(&mut bytes, &batches[0].schema()).unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.finish().unwrap();
    drop(w);
    StreamReader::try_new(std::io::Cursor::new(bytes), None)
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

fn ndjson(e: &Engine, q: &str) -> Vec<String> {
    let out = e
        .run(q, TimeRange::default())
        .unwrap_or_else(|err| panic!("{q}: {}", err.render(q)));
    let w = RowWriter::new(e.catalog());
    let mut rows = Vec::new();
    for b in &out.batches {
        for i in 0..b.num_rows() {
            rows.push(serde_json::to_string(&w.row(b, i)).unwrap());
        }
    }
    rows
}

const QUERIES: &[&str] = &[
    "*",
    "requestParameters.bucketName=* | stats count() by requestParameters.bucketName",
    "eventName=GetObject | table eventTime, requestParameters.*, additionalEventData.bytesTransferredOut",
    "resources.ARN=* | table resources, resources.ARN | head 20",
    "AccessDenied | groupbycount eventName, userIdentity.sessionContext.sessionIssuer.userName",
    "* | stats countdistinct(responseElements.credentials.accessKeyId) as keys by eventSource",
    "requestParameters.* = \"*prod*\" | table eventName, requestParameters",
    "\"arn:aws:iam::\" | head 30",
    "not requestParameters=* | count",
];

#[test]
fn batches_read_elsewhere_answer_as_where_they_were_decoded() {
    let origin = dataset();
    let stats = origin.catalog.stats();
    let batches = through_ipc(&origin.batches);
    let report = origin.report.clone();

    // Another process: its catalog saw other paths first, so its ids differ.
    let catalog = Arc::new(Catalog::new());
    for p in ["zzz", "zzz.deep", "aaa[3]"] {
        catalog.intern_canonical(p);
    }
    let layout = TypedLayout::register(&catalog);
    catalog.merge_stats(&stats);
    let probe = "requestParameters.bucketName";
    assert_ne!(
        catalog.intern_canonical(probe),
        origin.catalog.intern_canonical(probe),
        "the test needs catalogs that number paths differently"
    );
    assert_ne!(catalog.intern_canonical(probe), ROOT);

    let here = Engine::new(origin, 2).unwrap();
    let there = Engine::new(
        Dataset {
            batches,
            catalog,
            layout,
            report,
        },
        2,
    )
    .unwrap();
    for q in QUERIES {
        let (a, b) = (ndjson(&here, q), ndjson(&there, q));
        assert!(!a.is_empty(), "{q}: the sample should answer");
        assert_eq!(a, b, "{q}");
    }
}
