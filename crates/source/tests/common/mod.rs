//! Helpers shared by the loader's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use trailhunt_cloudtrail::{Dataset, LoadOptions, WindowMode, discover};
use trailhunt_source::{Listing, load};

/// `../shared` beside the checkout, when it is there (CI has it).
pub fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    p.join("data").is_dir().then_some(p)
}

pub fn load_paths(paths: &[&Path], window: WindowMode) -> Dataset {
    let inputs: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let found = discover(&inputs).expect("inputs exist");
    load(
        &Listing::local(&found),
        &LoadOptions {
            threads: 2,
            window,
            ..LoadOptions::default()
        },
        None,
    )
    .expect("load")
}

/// All values of a Utf8 column, in batch order (None for nulls).
pub fn strings(batches: &[RecordBatch], name: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for b in batches {
        let c = b.column_by_name(name).expect(name).as_string::<i32>();
        for i in 0..c.len() {
            out.push((!c.is_null(i)).then(|| c.value(i).to_string()));
        }
    }
    out
}

pub fn ints(batches: &[RecordBatch], name: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for b in batches {
        let c = b
            .column_by_name(name)
            .expect(name)
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        out.extend(c.values().iter().copied());
    }
    out
}
