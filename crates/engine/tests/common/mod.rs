//! Shared helpers: load a data set once, run queries, and read the same files back
//! independently of the engine (serde_json over the raw files) to compute expectations.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;
use trailhunt_cloudtrail::{LoadOptions, discover};
use trailhunt_engine::{Engine, TimeRange};
use trailhunt_print::RowWriter;
use trailhunt_source::{Listing, load};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn shared() -> Option<PathBuf> {
    let p = repo().join("../shared");
    p.join("data").is_dir().then_some(p)
}

pub fn engine(path: &Path) -> Engine {
    let found = discover(&[path.to_str().unwrap()]).unwrap();
    let data = load(&Listing::local(&found), &LoadOptions::default(), None).unwrap();
    Engine::new(data, 2).unwrap()
}

/// Run `q` and return its rows as JSON objects.
pub fn rows(e: &Engine, q: &str) -> Vec<Value> {
    let out = e
        .run(q, TimeRange::default())
        .unwrap_or_else(|err| panic!("{q}\n{}", err.render(q)));
    let w = RowWriter::new(e.catalog());
    let mut v = Vec::new();
    for b in &out.batches {
        for i in 0..b.num_rows() {
            v.push(serde_json::to_value(w.row(b, i)).unwrap());
        }
    }
    v
}

/// Every record under `dir`, read with serde_json alone (gzip or not; Records files).
pub fn raw_records(dir: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.to_string_lossy();
            if !name.ends_with(".json") && !name.ends_with(".json.gz") {
                continue;
            }
            let v: Value = serde_json::from_str(&read_text(&p)).unwrap();
            if let Some(Value::Array(recs)) = v.get("Records") {
                out.extend(recs.iter().cloned());
            }
        }
    }
    out
}

/// A file's text, gunzipped when it is gzip (told by its magic bytes).
pub fn read_text(p: &Path) -> String {
    let bytes = std::fs::read(p).unwrap();
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return String::from_utf8(bytes).unwrap();
    }
    let mut s = String::new();
    flate2::read::MultiGzDecoder::new(&bytes[..])
        .read_to_string(&mut s)
        .unwrap();
    s
}

/// A string at a dotted path of a raw record.
pub fn s<'a>(r: &'a Value, path: &str) -> Option<&'a str> {
    path.split('.').try_fold(r, |v, k| v.get(k))?.as_str()
}

/// A number at a dotted path (numbers or numeric strings).
pub fn n(r: &Value, path: &str) -> Option<f64> {
    let v = path.split('.').try_fold(r, |v, k| v.get(k))?;
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// Token-sequence containment as LANGUAGE.md §2 defines it (independent of the engine).
pub fn has_tokens(value: &str, word: &str) -> bool {
    let toks = |s: &str| -> Vec<String> {
        s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|t| !t.is_empty())
            .map(|t| t.to_ascii_lowercase())
            .collect()
    };
    let (v, w) = (toks(value), toks(word));
    !w.is_empty() && v.windows(w.len()).any(|win| win == w.as_slice())
}

/// Every scalar in a record, as text.
pub fn scalars(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Bool(b) => out.push(b.to_string()),
        Value::Array(a) => a.iter().for_each(|x| scalars(x, out)),
        Value::Object(m) => m.values().for_each(|x| scalars(x, out)),
        Value::Null => {}
    }
}

/// Window ids as LANGUAGE.md §5 defines them (60-event windows), computed independently:
/// record eventID → window id.
pub fn window_ids(records: &[Value]) -> std::collections::HashMap<String, String> {
    use std::collections::HashMap;
    let mut by_entity: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for r in records {
        let arn = s(r, "userIdentity.arn").filter(|a| !a.is_empty());
        let entity = match arn {
            Some(a) => a.to_string(),
            None => format!("source_ip:{}", s(r, "sourceIPAddress").unwrap_or("unknown")),
        };
        let t = s(r, "eventTime").unwrap_or("").to_string();
        let id = s(r, "eventID").unwrap_or("").to_string();
        by_entity.entry(entity).or_default().push((t, id));
    }
    let mut out = HashMap::new();
    for (entity, mut evs) in by_entity {
        evs.sort();
        for chunk in evs.chunks(60) {
            // eventTime is `YYYY-MM-DDTHH:MM:SSZ` in these files.
            let first = chunk[0].0.replace('T', " ").replace('Z', ".000000");
            for (_, id) in chunk {
                out.insert(id.clone(), format!("{entity}.{first}"));
            }
        }
    }
    out
}

/// Load `path` for an engine with `threads` worker threads.
pub fn engine_with_threads(path: &Path, threads: usize) -> Engine {
    let found = discover(&[path.to_str().unwrap()]).unwrap();
    let data = load(&Listing::local(&found), &LoadOptions::default(), None).unwrap();
    Engine::new(data, threads).unwrap()
}

/// Load `path` with `opts` (worker threads aside) for an engine with `threads` threads.
/// A cache of `path` made by `trailhunt index`'s code, in a temporary folder (removed
/// when dropped): every source of `path` is fresh in it.
pub fn indexed(
    path: &Path,
) -> (
    tempfile::TempDir,
    std::sync::Arc<trailhunt_source::cache::Cache>,
) {
    let dir = tempfile::tempdir().unwrap();
    let found = discover(&[path.to_str().unwrap()]).unwrap();
    let listing = Listing::local(&found);
    let options = trailhunt_source::cache::write::IndexOptions::default();
    let summary =
        trailhunt_source::cache::write::index(dir.path(), &listing, &options, None).unwrap();
    assert_eq!(summary.new as usize, listing.files.len(), "{summary:?}");
    let cache = trailhunt_source::cache::Cache::open(dir.path()).unwrap();
    (dir, std::sync::Arc::new(cache))
}

/// The listing of `path`, reading what `cache` holds from it.
pub fn cached_listing(
    path: &Path,
    cache: &std::sync::Arc<trailhunt_source::cache::Cache>,
) -> Listing {
    let found = discover(&[path.to_str().unwrap()]).unwrap();
    let mut listing = Listing::local(&found);
    listing.cache = Some(cache.clone());
    listing
}

pub fn engine_with_options(path: &Path, threads: usize, opts: &LoadOptions) -> Engine {
    let found = discover(&[path.to_str().unwrap()]).unwrap();
    let data = load(&Listing::local(&found), opts, None).unwrap();
    Engine::new(data, threads).unwrap()
}

/// The records of one file as serde_json reads them: `{"Records": […]}`, a JSON array, one
/// record, or one record per line (NDJSON); gzip or not. Digest files hold none.
pub fn raw_file(p: &Path) -> Vec<Value> {
    let text = read_text(p);
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(mut m)) => match m.remove("Records") {
            Some(Value::Array(recs)) => recs,
            Some(_) => panic!("{}: Records is not an array", p.display()),
            // One record; anything else (a digest file) holds no events.
            None if m.contains_key("eventTime") => vec![Value::Object(m)],
            None => Vec::new(),
        },
        Ok(Value::Array(recs)) => recs,
        Ok(_) => panic!("{}: not a CloudTrail file", p.display()),
        Err(_) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    }
}

/// Every record of a file or a folder (recursively; `.json`, `.json.gz`, `.ndjson`,
/// `.jsonl` files), read with serde_json alone.
pub fn raw_input(path: &Path) -> Vec<Value> {
    if path.is_file() {
        return raw_file(path);
    }
    let mut files = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if [".json", ".json.gz", ".ndjson", ".jsonl"]
                .iter()
                .any(|x| p.to_string_lossy().ends_with(x))
            {
                files.push(p);
            }
        }
    }
    files.sort();
    files.iter().flat_map(|f| raw_file(f)).collect()
}
