//! Query cases as data: each `tests/cases/*.case` holds queries and their exact output
//! (NDJSON rows, or the rendered error). `UPDATE_CASES=1 cargo test -p trailhunt-engine
//! --test cases` rewrites the expectations — then read the diff before committing it.
//!
//! A case runs over `tests/fixtures/events.ndjson` unless its comment lines say otherwise:
//!
//! - `# input: PATH` — run over PATH instead, relative to the repository root; a path
//!   starting `shared/` is read from `../shared` beside the checkout (such cases are
//!   reported, not silently passed, when it is absent).
//! - `# load: query` — load the input as `trailhunt query` does for this query: only what
//!   it reads (`pushdown::hints`: files without its required text, nested values, windows
//!   left out). Without it, a case sees everything loaded.
//! - `# from: TIME` / `# to: TIME` (RFC 3339) — restrict to that range, at load time
//!   (as `--from`/`--to` do) and in the query; with `# load: all`, in the query only (as
//!   the REPL's `\since`/`\range` do over everything loaded).
//! - `# oracle: NAME` — the expected output is also computed by the function NAME in
//!   `tests/oracles/`, straight from the raw records with serde_json (never through the
//!   engine), and must equal what the file says: the expectation is checked twice, by the
//!   engine and by an independent reading.
//!
//! Every case whose answer depends on row order (`sort`, `head`, `tail`, `dedup`, `top`,
//! `rare`, `earliest`, `latest`) is run again with several thread counts, and must give
//! the same bytes each time.

mod common;
mod oracles;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use trailhunt_engine::{Engine, TimeRange};
use trailhunt_print::RowWriter;

fn run(engine: &Engine, query: &str, range: TimeRange) -> String {
    match engine.run(query, range) {
        Ok(out) => {
            let w = RowWriter::new(engine.catalog());
            let mut s = String::new();
            for b in &out.batches {
                for i in 0..b.num_rows() {
                    s.push_str(&serde_json::to_string(&w.row(b, i)).unwrap());
                    s.push('\n');
                }
            }
            if s.is_empty() {
                s.push_str("(no rows)\n");
            }
            s
        }
        Err(e) => e.render(query),
    }
}

/// Like [`run`], through [`Engine::stream_query`]: the rows as the stream gives them.
fn run_stream(engine: &Engine, query: &str, range: TimeRange) -> String {
    let parsed = match trailhunt_lang::parse_query(query) {
        Ok(q) => q,
        Err(d) => return d.render(query),
    };
    let mut stream = match engine.stream_query(&parsed, range) {
        Ok(s) => s,
        Err(e) => return e.render(query),
    };
    let w = RowWriter::new(engine.catalog());
    let mut s = String::new();
    while let Some(b) = stream.next_batch() {
        let b = match b {
            Ok(b) => b,
            Err(e) => return e.render(query),
        };
        for i in 0..b.num_rows() {
            s.push_str(&serde_json::to_string(&w.row(&b, i)).unwrap());
            s.push('\n');
        }
    }
    if s.is_empty() {
        s.push_str("(no rows)\n");
    }
    s
}

struct Case {
    /// The case's lines before `----` (comments included), as written.
    head: String,
    query: String,
    expected: String,
    /// `# input:` — relative to the repository root (`shared/…` → `../shared/…`).
    input: Option<String>,
    /// `# oracle:` — the independent computation of the expected output.
    oracle: Option<String>,
    /// `# load: query`, `# from:`, `# to:` — how the input is loaded.
    load: Load,
}

/// How a case's input is loaded: everything, or as `trailhunt query` loads for the query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
struct Load {
    /// The query's hints, when loading for it.
    hints: Option<String>,
    /// The range is applied by the query only, not by the load.
    range_in_query_only: bool,
    from: Option<i64>,
    to: Option<i64>,
}

impl Load {
    fn new(head: &[&str], query: &str) -> Load {
        let time = |name: &str| {
            directive(head, name).map(|t| {
                trailhunt_cloudtrail::time::parse_event_time(&t)
                    .unwrap_or_else(|| panic!("# {name}: `{t}` is not an RFC 3339 time"))
            })
        };
        let how = directive(head, "load");
        Load {
            hints: (how.as_deref() == Some("query")).then(|| query.to_string()),
            range_in_query_only: how.as_deref() == Some("all"),
            from: time("from"),
            to: time("to"),
        }
    }

    fn range(&self) -> TimeRange {
        TimeRange {
            from: self.from,
            to: self.to,
        }
    }

    fn options(&self) -> trailhunt_cloudtrail::LoadOptions {
        let mut o = trailhunt_cloudtrail::LoadOptions::default();
        if !self.range_in_query_only {
            (o.from, o.to) = (self.from, self.to);
        }
        if let Some(q) = &self.hints {
            let h = trailhunt_engine::pushdown::hints(&trailhunt_lang::parse_query(q).unwrap());
            o.skip_nested = !h.needs_nested;
            o.skip_windows = !h.needs_windows;
            o.required_text = h.required_text;
        }
        o
    }
}

fn directive(head: &[&str], name: &str) -> Option<String> {
    head.iter()
        .filter_map(|l| l.strip_prefix('#'))
        .filter_map(|l| l.trim().strip_prefix(name))
        .filter_map(|l| l.strip_prefix(':'))
        .map(|l| l.trim().to_string())
        .next()
}

/// Cases are separated by a `====` line; a `----` line separates query from output.
fn parse(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let (mut head, mut expected, mut in_expected) = (Vec::new(), Vec::new(), false);
    for line in text.lines().chain(std::iter::once("====")) {
        match line {
            "====" => {
                if !head.is_empty() {
                    let query = head
                        .iter()
                        .filter(|l: &&&str| !l.starts_with('#'))
                        .copied()
                        .collect::<Vec<_>>()
                        .join("\n");
                    cases.push(Case {
                        load: Load::new(&head, query.trim()),
                        head: head.join("\n"),
                        query: query.trim().to_string(),
                        expected: expected.join("\n").trim_end().to_string(),
                        input: directive(&head, "input"),
                        oracle: directive(&head, "oracle"),
                    });
                }
                head.clear();
                expected.clear();
                in_expected = false;
            }
            "----" if !in_expected => in_expected = true,
            l if in_expected => expected.push(l),
            l => head.push(l),
        }
    }
    cases
}

fn render(cases: &[Case], results: &[String]) -> String {
    let mut out = String::new();
    for (c, r) in cases.iter().zip(results) {
        out.push_str(c.head.trim_end());
        out.push_str("\n----\n");
        out.push_str(r.trim_end());
        out.push_str("\n====\n");
    }
    out
}

/// The default input, relative to the crate (tests run in its folder): `@index` in the
/// expected output must not depend on where the repository is checked out.
const FIXTURE: &str = "tests/fixtures/events.ndjson";

/// Where an input lives, or `None` when it is in `../shared` and that is absent.
fn locate(input: Option<&str>) -> Option<PathBuf> {
    let Some(input) = input else {
        return Some(PathBuf::from(FIXTURE));
    };
    match input.strip_prefix("shared/") {
        Some(rest) => common::shared().map(|s| s.join(rest)),
        // Relative paths keep `@index` independent of where the repository is checked out.
        None => Some(Path::new("../..").join(input)),
    }
}

/// Does the answer of `q` depend on the order rows are produced in?
fn order_sensitive(q: &str) -> bool {
    let words: Vec<String> = q
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map(str::to_ascii_lowercase)
        .collect();
    words.iter().any(|w| {
        matches!(
            w.as_str(),
            "sort" | "head" | "tail" | "dedup" | "top" | "rare" | "earliest" | "latest"
        )
    })
}

/// Engines per (input, threads, how loaded), loaded once.
#[derive(Default)]
struct Engines(HashMap<(PathBuf, usize, Load), Engine>);

impl Engines {
    fn get(&mut self, path: &Path, threads: usize, load: &Load) -> &Engine {
        self.0
            .entry((path.to_path_buf(), threads, load.clone()))
            .or_insert_with(|| common::engine_with_options(path, threads, &load.options()))
    }
}

/// A streaming engine over `path` (it reads the files anew for every query, as
/// `trailhunt query` does), with no paths known before its first query.
fn streaming(path: &Path, threads: usize) -> Engine {
    let found = trailhunt_cloudtrail::discover(&[path.to_str().unwrap()]).unwrap();
    let listing = trailhunt_source::Listing::new(&found, Vec::new());
    let options = trailhunt_engine::StreamOptions {
        threads,
        ..Default::default()
    };
    Engine::open(listing, options).unwrap()
}

/// Caches of the inputs (`trailhunt index`), made once per input.
#[derive(Default)]
struct Caches {
    made: HashMap<
        PathBuf,
        (
            tempfile::TempDir,
            std::sync::Arc<trailhunt_source::cache::Cache>,
        ),
    >,
    loaded: HashMap<(PathBuf, Load), Engine>,
}

impl Caches {
    /// A streaming engine over `path` reading every source from its cache.
    fn streaming(&mut self, path: &Path) -> Engine {
        let (_, cache) = self
            .made
            .entry(path.to_path_buf())
            .or_insert_with(|| common::indexed(path));
        let options = trailhunt_engine::StreamOptions {
            threads: 2,
            ..Default::default()
        };
        Engine::open(common::cached_listing(path, cache), options).unwrap()
    }

    /// An engine over `path` loaded (as `load` says) from its cache.
    fn loaded(&mut self, path: &Path, load: &Load) -> &Engine {
        let (_, cache) = self
            .made
            .entry(path.to_path_buf())
            .or_insert_with(|| common::indexed(path));
        let listing = common::cached_listing(path, cache);
        self.loaded
            .entry((path.to_path_buf(), load.clone()))
            .or_insert_with(|| {
                let data = trailhunt_source::load(&listing, &load.options(), None).unwrap();
                Engine::new(data, 2).unwrap()
            })
    }
}

/// Two rows are the same: equal JSON, numbers compared as numbers.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn expected_rows(text: &str) -> Result<Vec<Value>, String> {
    if text.trim() == "(no rows)" {
        return Ok(Vec::new());
    }
    text.lines()
        .map(|l| serde_json::from_str(l).map_err(|e| format!("not a JSON row ({e}): {l}")))
        .collect()
}

#[test]
fn cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let update = std::env::var_os("UPDATE_CASES").is_some();
    let mut engines = Engines::default();
    let mut caches = Caches::default();
    let mut raw: HashMap<PathBuf, Vec<Value>> = HashMap::new();
    let mut failures = Vec::new();
    let mut unavailable = Vec::new();
    let (mut count, mut oracle_checked, mut reruns, mut streamed) = (0, 0, 0, 0);
    let mut files: Vec<_> = std::fs::read_dir(dir.join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "case"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let cases = parse(&text);
        let mut results = Vec::new();
        for c in &cases {
            let Some(path) = locate(c.input.as_deref()) else {
                unavailable.push(format!("{}: {}", file.display(), c.query));
                results.push(c.expected.clone());
                continue;
            };
            count += 1;
            let r = run(engines.get(&path, 2, &c.load), &c.query, c.load.range());
            let fail = |what: &str, got: &str| {
                format!(
                    "{} ({what}):\n{}\n--- expected\n{}\n--- got\n{}",
                    file.display(),
                    c.query,
                    c.expected,
                    got.trim_end()
                )
            };
            if r.trim_end() != c.expected {
                failures.push(fail("engine", &r));
            }
            // The same case through the streaming data source, cold: the plan is made
            // before any path is known, and the files are read as `trailhunt query` does.
            streamed += 1;
            for threads in if order_sensitive(&c.query) {
                &[2, 1, 3][..]
            } else {
                &[2][..]
            } {
                let s = run(&streaming(&path, *threads), &c.query, c.load.range());
                if s.trim_end() != c.expected {
                    failures.push(fail(&format!("streaming, {threads} threads"), &s));
                    break;
                }
                // And as `trailhunt query` prints it: through the record-batch stream.
                if *threads == 2 {
                    let s = run_stream(&streaming(&path, 2), &c.query, c.load.range());
                    if s.trim_end() != c.expected {
                        failures.push(fail("streaming, as a record-batch stream", &s));
                        break;
                    }
                }
            }
            // And read from the columnar cache: streamed, and loaded into memory.
            let s = run(&caches.streaming(&path), &c.query, c.load.range());
            if s.trim_end() != c.expected {
                failures.push(fail("streaming from the cache", &s));
            }
            let s = run(caches.loaded(&path, &c.load), &c.query, c.load.range());
            if s.trim_end() != c.expected {
                failures.push(fail("loaded from the cache", &s));
            }
            if r.trim_end() == c.expected && order_sensitive(&c.query) {
                'threads: for threads in [1, 3, 8] {
                    for _ in 0..2 {
                        reruns += 1;
                        let again = run(
                            engines.get(&path, threads, &c.load),
                            &c.query,
                            c.load.range(),
                        );
                        if again != r {
                            failures.push(fail(&format!("rerun with {threads} threads"), &again));
                            break 'threads;
                        }
                    }
                }
            }
            if let Some(name) = &c.oracle {
                oracle_checked += 1;
                let records = raw
                    .entry(path.clone())
                    .or_insert_with(|| common::raw_input(&path));
                match (oracles::compute(name, records), expected_rows(&c.expected)) {
                    (None, _) => failures.push(fail("oracle", &format!("no oracle `{name}`"))),
                    (_, Err(e)) => failures.push(fail("oracle", &e)),
                    (Some(truth), Ok(want)) => {
                        let agree = truth.len() == want.len()
                            && truth.iter().zip(&want).all(|(a, b)| same(a, b));
                        if !agree {
                            let got: Vec<String> = truth.iter().map(Value::to_string).collect();
                            failures.push(fail(
                                &format!("oracle `{name}` computed from the raw records"),
                                &got.join("\n"),
                            ));
                        }
                    }
                }
            }
            results.push(r);
        }
        if update {
            std::fs::write(&file, render(&cases, &results)).unwrap();
        }
    }
    assert!(count > 0, "no cases found");
    if !unavailable.is_empty() {
        eprintln!(
            "{} cases not run: their input is in ../shared, which is not beside this checkout:\n  {}",
            unavailable.len(),
            unavailable.join("\n  ")
        );
    }
    eprintln!(
        "{count} cases run, {oracle_checked} checked against an oracle, {reruns} order-sensitive reruns, {streamed} through the streaming source"
    );
    if !update {
        assert!(
            failures.is_empty(),
            "{} of {count} cases differ:\n\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
}
