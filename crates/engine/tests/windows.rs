//! Windows cut by plan operators (`trailhunt_engine::windows::add_windows`) are the ones
//! the loader cuts in memory (`trailhunt_cloudtrail::window::assign`), row for row.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch, new_null_array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type, UInt64Type};
use datafusion::catalog::MemTable;
use datafusion::datasource::provider_as_source;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};
use trailhunt_cloudtrail::schema::{self, SOURCE, WINDOW_ID, WINDOW_INDEX};
use trailhunt_cloudtrail::{LoadOptions, WindowMode, discover};
use trailhunt_engine::order::{self, ORDER};
use trailhunt_engine::windows::add_windows;
use trailhunt_source::{Listing, load};

const MINUTE: i64 = 60_000_000_000;

/// What identifies an event and what windows gave it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Cut {
    event_id: Option<String>,
    source: String,
    window_id: Option<String>,
    window_index: Option<i64>,
}

fn text(b: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let c = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    let c = cast(c, &DataType::Utf8).unwrap();
    c.as_string::<i32>()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

fn ranks(b: &RecordBatch) -> Vec<u64> {
    let order = cast(b.column_by_name(ORDER).unwrap(), &DataType::UInt64).unwrap();
    order.as_primitive::<UInt64Type>().values().to_vec()
}

fn cuts(b: &RecordBatch) -> Vec<Cut> {
    let index = b.column_by_name(WINDOW_INDEX).unwrap();
    let index = index.as_primitive::<Int64Type>();
    let (eid, src, wid) = (text(b, "eventID"), text(b, SOURCE), text(b, WINDOW_ID));
    (0..b.num_rows())
        .map(|r| Cut {
            event_id: eid[r].clone(),
            source: src[r].clone().unwrap(),
            window_id: wid[r].clone(),
            window_index: (!index.is_null(r)).then(|| index.value(r)),
        })
        .collect()
}

fn load_windows(path: &Path, mode: WindowMode, batch_bytes: usize) -> Vec<RecordBatch> {
    let found = discover(&[path.to_str().unwrap()]).unwrap();
    let opts = LoadOptions {
        window: mode,
        batch_bytes,
        ..LoadOptions::default()
    };
    load(&Listing::local(&found), &opts, None).unwrap().batches
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// `add_windows` over `loaded` (windows already cut by the loader) with its window
/// columns nulled, in `partitions` partitions: every row as the loader cut it. Returns how
/// many times the plan spilled.
fn check(
    loaded: Vec<RecordBatch>,
    mode: WindowMode,
    partitions: usize,
    ctx: &SessionContext,
) -> usize {
    let stripped: Vec<RecordBatch> = loaded
        .iter()
        .map(|b| {
            let mut cols = b.columns().to_vec();
            let n = b.num_rows();
            let schema = b.schema();
            for (i, f) in schema.fields().iter().enumerate() {
                if f.name() == WINDOW_ID || f.name() == WINDOW_INDEX {
                    cols[i] = new_null_array(f.data_type(), n);
                }
            }
            RecordBatch::try_new(schema, cols).unwrap()
        })
        .collect();
    let numbered = order::number_events(stripped).unwrap();
    // The loader's cut of each event, by its rank (number_events keeps rows in place).
    let mut expected: HashMap<u64, Cut> = HashMap::new();
    for (old, new) in loaded.iter().zip(&numbered) {
        for (rank, cut) in ranks(new).into_iter().zip(cuts(old)) {
            assert!(expected.insert(rank, cut).is_none(), "rank {rank} twice");
        }
    }
    assert!(
        expected.values().all(|c| c.window_id.is_some()),
        "the loader left a window empty"
    );
    let mut parts = vec![Vec::new(); partitions];
    for (i, b) in numbered.into_iter().enumerate() {
        parts[i % partitions].push(b);
    }
    let table = MemTable::try_new(order::table_schema(), parts).unwrap();
    let scan = LogicalPlanBuilder::scan("events", provider_as_source(Arc::new(table)), None)
        .unwrap()
        .build()
        .unwrap();
    let names: Vec<String> = scan
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let plan = add_windows(scan, mode).unwrap();
    let df = DataFrame::new(ctx.state(), plan);
    let out_names: Vec<String> = df
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(out_names, names, "columns changed");
    let (out, spills) = runtime().block_on(async {
        let physical = df.create_physical_plan().await.unwrap();
        let out = collect(physical.clone(), ctx.task_ctx()).await.unwrap();
        (out, spill_count(physical.as_ref()))
    });
    let mut seen = 0;
    for b in &out {
        for (rank, cut) in ranks(b).into_iter().zip(cuts(b)) {
            let want = expected
                .remove(&rank)
                .unwrap_or_else(|| panic!("rank {rank} is not an input row, or came twice"));
            assert_eq!(cut, want, "{mode:?}, {partitions} partitions, rank {rank}");
            seen += 1;
        }
    }
    assert!(expected.is_empty(), "{} rows lost", expected.len());
    assert!(seen > 0);
    spills
}

fn spill_count(plan: &dyn ExecutionPlan) -> usize {
    let own = plan
        .metrics()
        .and_then(|m| m.spill_count())
        .unwrap_or_default();
    own + plan
        .children()
        .iter()
        .map(|c| spill_count(c.as_ref()))
        .sum::<usize>()
}

fn ctx(partitions: usize) -> SessionContext {
    SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions))
}

const MODES: [WindowMode; 5] = [
    WindowMode::Events(1),
    WindowMode::Events(60),
    WindowMode::Events(7),
    WindowMode::Session(30 * MINUTE),
    WindowMode::Session(1),
];

fn check_all_modes(path: &Path, batch_bytes: usize) {
    for mode in MODES {
        let loaded = load_windows(path, mode, batch_bytes);
        for p in [1, 3] {
            check(loaded.clone(), mode, p, &ctx(p));
        }
    }
}

#[test]
fn the_sample_is_cut_as_the_loader_cuts_it() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data");
    check_all_modes(&data, 0);
}

#[test]
fn the_shared_real_data_is_cut_as_the_loader_cuts_it() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let Ok(dirs) = std::fs::read_dir(&shared) else {
        eprintln!("no {}: skipped", shared.display());
        return;
    };
    let mut n = 0;
    for d in dirs {
        let d = d.unwrap().path();
        if d.is_dir() {
            // Small batches: one file's events spread over several batches and partitions.
            check_all_modes(&d, 64 * 1024);
            n += 1;
        }
    }
    assert!(n > 0, "no data directory in {}", shared.display());
}

/// One CloudTrail record (the fields windows depend on, plus a name to tell them apart).
fn record(arn: Option<&str>, ip: Option<&str>, time: Option<&str>, id: Option<&str>) -> String {
    let mut f = vec![
        r#""eventVersion":"1.08""#.to_string(),
        r#""eventSource":"s3.amazonaws.com""#.to_string(),
        r#""eventName":"GetObject""#.to_string(),
        r#""awsRegion":"us-east-1""#.to_string(),
    ];
    if let Some(a) = arn {
        f.push(format!(
            r#""userIdentity":{{"type":"IAMUser","arn":"{a}","accountId":"111122223333"}}"#
        ));
    }
    if let Some(ip) = ip {
        f.push(format!(r#""sourceIPAddress":"{ip}""#));
    }
    if let Some(t) = time {
        f.push(format!(r#""eventTime":"{t}""#));
    }
    if let Some(id) = id {
        f.push(format!(r#""eventID":"{id}""#));
    }
    format!("{{{}}}", f.join(","))
}

fn write(dir: &Path, name: &str, records: &[String]) {
    std::fs::write(
        dir.join(name),
        format!(r#"{{"Records":[{}]}}"#, records.join(",\n")),
    )
    .unwrap();
}

fn t(s: &str) -> Option<&str> {
    Some(s)
}

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const BOB: &str = "arn:aws:iam::111122223333:user/bob";

/// An event's id, its window id (`ALICE`/`BOB` for their ARNs) and index.
type Expected = (&'static str, &'static str, i64);

/// Exact window ids and indexes, written out by hand.
#[test]
fn windows_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.json",
        &[
            // Out of time order in the file: windows follow time.
            record(
                Some(ALICE),
                None,
                t("2024-03-01T00:40:00.1234567Z"),
                t("a3"),
            ),
            record(Some(ALICE), None, t("2024-03-01T00:00:00Z"), t("a1")),
            record(Some(ALICE), None, t("2024-03-01T00:30:00Z"), t("a2")),
            record(Some(ALICE), None, None, t("a4")),
            record(
                None,
                t("198.51.100.7"),
                t("1969-12-31T23:59:59.5Z"),
                t("p1"),
            ),
            record(Some(BOB), None, None, t("b1")),
        ],
    );
    let found = discover(&[dir.path().to_str().unwrap()]).unwrap();
    let cases: [(WindowMode, [Expected; 6]); 2] = [
        (
            WindowMode::Events(2),
            [
                ("a1", "ALICE.2024-03-01 00:00:00.000000", 0),
                ("a2", "ALICE.2024-03-01 00:00:00.000000", 1),
                ("a3", "ALICE.2024-03-01 00:40:00.123456", 0),
                ("a4", "ALICE.2024-03-01 00:40:00.123456", 1),
                ("p1", "source_ip:198.51.100.7.1969-12-31 23:59:59.500000", 0),
                ("b1", "BOB.unknown-time", 0),
            ],
        ),
        (
            // A gap of exactly 30 minutes keeps the session; 10 more minutes do too; no
            // time never opens one.
            WindowMode::Session(30 * MINUTE),
            [
                ("a1", "ALICE.2024-03-01 00:00:00.000000", 0),
                ("a2", "ALICE.2024-03-01 00:00:00.000000", 1),
                ("a3", "ALICE.2024-03-01 00:00:00.000000", 2),
                ("a4", "ALICE.2024-03-01 00:00:00.000000", 3),
                ("p1", "source_ip:198.51.100.7.1969-12-31 23:59:59.500000", 0),
                ("b1", "BOB.unknown-time", 0),
            ],
        ),
    ];
    for (mode, want) in cases {
        let opts = LoadOptions {
            window: mode,
            ..LoadOptions::default()
        };
        let loaded = load(&Listing::local(&found), &opts, None).unwrap().batches;
        let numbered = order::number_events(loaded).unwrap();
        let table = MemTable::try_new(order::table_schema(), vec![numbered]).unwrap();
        let scan = LogicalPlanBuilder::scan("events", provider_as_source(Arc::new(table)), None)
            .unwrap()
            .build()
            .unwrap();
        let df = DataFrame::new(ctx(2).state(), add_windows(scan, mode).unwrap());
        let out = runtime().block_on(df.collect()).unwrap();
        let mut got: Vec<(String, String, i64)> = out
            .iter()
            .flat_map(cuts)
            .map(|c| {
                (
                    c.event_id.unwrap(),
                    c.window_id.unwrap(),
                    c.window_index.unwrap(),
                )
            })
            .collect();
        got.sort();
        let want: Vec<(String, String, i64)> = want
            .iter()
            .map(|(e, w, i)| {
                let w = w.replacen("ALICE", ALICE, 1).replacen("BOB", BOB, 1);
                (e.to_string(), w, *i)
            })
            .collect();
        let mut want = want;
        want.sort();
        assert_eq!(got, want, "{mode:?}");
    }
}

/// Ties in time, duplicate and missing `eventID`s, missing times, byte-identical
/// duplicates, the same event in two files, several entities.
#[test]
fn ties_duplicates_and_missing_times() {
    let dir = tempfile::tempdir().unwrap();
    let same = record(Some(ALICE), None, t("2024-03-01T00:00:00Z"), t("dup"));
    let a: Vec<String> = vec![
        same.clone(),
        same.clone(),
        record(Some(ALICE), None, t("2024-03-01T00:00:00Z"), None),
        record(Some(ALICE), None, t("2024-03-01T00:00:00Z"), t("aaa")),
        record(Some(ALICE), None, None, t("dup")),
        record(Some(ALICE), None, None, None),
        record(Some(ALICE), None, t("2024-03-01T02:00:00Z"), t("dup")),
        record(Some(BOB), None, t("2024-03-01T00:00:00Z"), t("dup")),
        record(None, t("203.0.113.9"), t("2024-03-01T00:00:00Z"), t("x")),
        record(None, None, t("2024-03-01T00:00:01Z"), t("y")),
        record(None, None, None, None),
    ];
    write(dir.path(), "b.json", &a);
    // The same events again under another name: ties broken by the source's name.
    write(dir.path(), "a.json", &a);
    write(
        dir.path(),
        "c.json",
        &[
            record(
                Some(ALICE),
                None,
                t("2024-03-01T00:00:00.000000001Z"),
                t("dup"),
            ),
            record(Some(ALICE), None, t("2024-03-01T00:29:59Z"), t("z")),
        ],
    );
    for mode in [
        WindowMode::Events(1),
        WindowMode::Events(2),
        WindowMode::Events(3),
        WindowMode::Events(60),
        WindowMode::Session(30 * MINUTE),
        WindowMode::Session(1),
        WindowMode::Session(0),
        WindowMode::Session(-1),
        WindowMode::Session(i64::MAX),
    ] {
        for batch_bytes in [0, 200] {
            let loaded = load_windows(dir.path(), mode, batch_bytes);
            for p in [1, 3] {
                check(loaded.clone(), mode, p, &ctx(p));
            }
        }
    }
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Generated records with few distinct times (many ties), times missing, `eventID`s
/// repeated or missing, over several files and entities.
#[test]
fn generated_records_are_cut_as_the_loader_cuts_them() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let arns = [Some(ALICE), Some(BOB), None];
    let ips = [Some("192.0.2.1"), Some("192.0.2.2"), None];
    for round in 0..12 {
        let dir = tempfile::tempdir().unwrap();
        let files = 1 + rng.below(4);
        let mut total = 0;
        for f in 0..files {
            let n = rng.below(40);
            let mut recs = Vec::new();
            for _ in 0..n {
                let minute = rng.below(90);
                let second = if rng.below(3) == 0 { rng.below(60) } else { 0 };
                let time = format!(
                    "2024-03-01T{:02}:{:02}:{second:02}Z",
                    minute / 60,
                    minute % 60
                );
                let id = format!("id{}", rng.below(6));
                recs.push(record(
                    arns[rng.below(3) as usize],
                    ips[rng.below(3) as usize],
                    (rng.below(8) != 0).then_some(time.as_str()),
                    (rng.below(5) != 0).then_some(id.as_str()),
                ));
            }
            total += recs.len();
            write(
                dir.path(),
                &format!("f{}.json", rng.below(3) * 10 + f),
                &recs,
            );
        }
        if total == 0 {
            continue;
        }
        let mode = match rng.below(3) {
            0 => WindowMode::Events(1 + rng.below(5) as u32),
            1 => WindowMode::Session(rng.below(20) as i64 * MINUTE),
            _ => WindowMode::Session(rng.below(3) as i64 * 1_000_000_000 - 1),
        };
        let batch_bytes = if round % 2 == 0 { 0 } else { 500 };
        let loaded = load_windows(dir.path(), mode, batch_bytes);
        let rows: usize = loaded.iter().map(RecordBatch::num_rows).sum();
        assert!(rows <= total, "round {round}");
        for p in [1, 3] {
            check(loaded.clone(), mode, p, &ctx(p));
        }
    }
}

/// A memory pool too small to sort in memory: the sort spills, the answer is the same.
#[test]
fn a_small_memory_pool_spills_and_cuts_the_same_windows() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data");
    let mode = WindowMode::Events(7);
    let loaded = load_windows(&data, mode, 64 * 1024);
    let bytes: usize = loaded.iter().map(RecordBatch::get_array_memory_size).sum();
    let pool = Arc::new(PeakPool {
        inner: datafusion::execution::memory_pool::FairSpillPool::new(bytes / 2),
        peak: Default::default(),
    });
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_pool(pool.clone())
        .build_arc()
        .unwrap();
    // The merge's reservation (10 MB by default) must fit in the pool. One partition: with
    // two, which sorter gets the pool's last bytes depends on timing, and under a loaded
    // machine one can fail before the other spills (partitions are covered above).
    let config = SessionConfig::new()
        .with_target_partitions(1)
        .with_batch_size(256)
        .with_sort_spill_reservation_bytes(64 * 1024);
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    let spills = check(loaded, mode, 1, &ctx);
    assert!(spills > 0, "the sort did not spill");
    let peak = pool.peak.load(std::sync::atomic::Ordering::Relaxed);
    assert!(peak <= bytes / 2, "the pool held {peak} bytes");
}

/// The most a memory pool held at once, over a fair spill pool (a greedy pool lets one
/// partition's sort take everything, and another that has nothing to spill then fails).
#[derive(Debug)]
struct PeakPool {
    inner: datafusion::execution::memory_pool::FairSpillPool,
    peak: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Display for PeakPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "peak-tracking {}", self.inner)
    }
}

impl datafusion::execution::memory_pool::MemoryPool for PeakPool {
    fn name(&self) -> &str {
        "peak"
    }
    fn memory_limit(&self) -> datafusion::execution::memory_pool::MemoryLimit {
        self.inner.memory_limit()
    }
    fn register(&self, c: &datafusion::execution::memory_pool::MemoryConsumer) {
        self.inner.register(c);
    }
    fn unregister(&self, c: &datafusion::execution::memory_pool::MemoryConsumer) {
        self.inner.unregister(c);
    }
    fn grow(&self, r: &datafusion::execution::memory_pool::MemoryReservation, additional: usize) {
        self.inner.grow(r, additional);
        self.peak
            .fetch_max(self.inner.reserved(), std::sync::atomic::Ordering::Relaxed);
    }
    fn shrink(&self, r: &datafusion::execution::memory_pool::MemoryReservation, shrink: usize) {
        self.inner.shrink(r, shrink);
    }
    fn try_grow(
        &self,
        r: &datafusion::execution::memory_pool::MemoryReservation,
        additional: usize,
    ) -> datafusion::error::Result<()> {
        self.inner.try_grow(r, additional)?;
        self.peak
            .fetch_max(self.inner.reserved(), std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
    fn reserved(&self) -> usize {
        self.inner.reserved()
    }
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Time `window::assign` against `add_windows` + collect on a tree named by
/// `TRAILHUNT_WINDOWS_BENCH` (e.g. `trailhunt generate --events 1000000 --out /tmp/win-1m`);
/// `TRAILHUNT_WINDOWS_BENCH_LIMIT` (bytes) runs the plan in a pool that small, and
/// `TRAILHUNT_WINDOWS_BENCH_ONLY` = `assign` or `plan` runs one side (for its peak RSS).
/// `cargo test --workspace --test windows -- --ignored --nocapture measure`
#[test]
#[ignore = "a measurement: needs a generated tree"]
fn measure() {
    use std::time::Instant;
    let Ok(dir) = std::env::var("TRAILHUNT_WINDOWS_BENCH") else {
        eprintln!("set TRAILHUNT_WINDOWS_BENCH to a tree of CloudTrail files");
        return;
    };
    let only = std::env::var("TRAILHUNT_WINDOWS_BENCH_ONLY").unwrap_or_default();
    let limit: Option<usize> = std::env::var("TRAILHUNT_WINDOWS_BENCH_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok());
    let mode = WindowMode::Events(60);
    let found = discover(&[dir.as_str()]).unwrap();
    let opts = LoadOptions {
        window: mode,
        skip_windows: true,
        ..LoadOptions::default()
    };
    let t = Instant::now();
    let loaded = load(&Listing::local(&found), &opts, None).unwrap().batches;
    let rows: usize = loaded.iter().map(RecordBatch::num_rows).sum();
    let bytes: usize = loaded.iter().map(RecordBatch::get_array_memory_size).sum();
    eprintln!(
        "loaded {rows} events ({} MB in batches) in {:.2?}; peak RSS {} MB",
        bytes >> 20,
        t.elapsed(),
        peak_rss_kb() >> 10
    );
    // The load schema (without the window columns), as `assign` takes it.
    let bare: Vec<RecordBatch> = loaded
        .iter()
        .map(|b| {
            let n = b.num_columns();
            b.project(&(0..n - 2).collect::<Vec<_>>()).unwrap()
        })
        .collect();
    let mut old = None;
    if only != "plan" {
        let rss = peak_rss_kb();
        let t = Instant::now();
        let (out, stats) = trailhunt_cloudtrail::window::assign(bare, mode).unwrap();
        eprintln!(
            "window::assign: {:.2?}, {} windows; peak RSS {} -> {} MB",
            t.elapsed(),
            stats.windows,
            rss >> 10,
            peak_rss_kb() >> 10
        );
        old = Some(out);
    }
    if only == "assign" {
        return;
    }
    let t = Instant::now();
    let numbered = order::number_events(loaded).unwrap();
    eprintln!("order::number_events: {:.2?}", t.elapsed());
    let parts = 2;
    let mut p = vec![Vec::new(); parts];
    for (i, b) in numbered.into_iter().enumerate() {
        p[i % parts].push(b);
    }
    let table = MemTable::try_new(order::table_schema(), p).unwrap();
    let pool = Arc::new(PeakPool {
        inner: datafusion::execution::memory_pool::FairSpillPool::new(limit.unwrap_or(usize::MAX)),
        peak: Default::default(),
    });
    let rt = RuntimeEnvBuilder::new()
        .with_memory_pool(pool.clone())
        .build_arc()
        .unwrap();
    let mut config = SessionConfig::new().with_target_partitions(parts);
    if limit.is_some() {
        config = config.with_sort_spill_reservation_bytes(1 << 20);
    }
    let ctx = SessionContext::new_with_config_rt(config, rt);
    // `TRAILHUNT_WINDOWS_BENCH_NARROW`: only the columns windows and the comparison read,
    // to see what carrying whole events through the sort costs.
    let schema = order::table_schema();
    let narrow = std::env::var_os("TRAILHUNT_WINDOWS_BENCH_NARROW").map(|_| {
        [
            "eventID",
            SOURCE,
            schema::ENTITY_ID,
            schema::TIMESTAMP,
            ORDER,
        ]
        .iter()
        .map(|n| schema.index_of(n).unwrap())
        .collect::<Vec<_>>()
    });
    let scan = LogicalPlanBuilder::scan("events", provider_as_source(Arc::new(table)), narrow)
        .unwrap()
        .build()
        .unwrap();
    let plan = add_windows(scan, mode).unwrap();
    // The old windows as a multiset of rows; each result batch is checked off and dropped,
    // so peak RSS counts the plan, not a collected copy of its output.
    let mut want: HashMap<Cut, i64> = HashMap::new();
    for b in old.iter().flatten() {
        for c in cuts(b) {
            *want.entry(c).or_default() += 1;
        }
    }
    drop(old);
    let check = !want.is_empty();
    let rss = peak_rss_kb();
    let t = Instant::now();
    let (n, spills) = runtime().block_on(async {
        use futures::StreamExt;
        let physical = DataFrame::new(ctx.state(), plan)
            .create_physical_plan()
            .await
            .unwrap();
        eprintln!(
            "{}",
            datafusion::physical_plan::displayable(physical.as_ref()).indent(false)
        );
        let mut stream =
            datafusion::physical_plan::execute_stream(physical.clone(), ctx.task_ctx()).unwrap();
        let mut n = 0;
        while let Some(b) = stream.next().await {
            let b = b.unwrap();
            n += b.num_rows();
            if check {
                for c in cuts(&b) {
                    *want.entry(c).or_default() -= 1;
                }
            }
        }
        (n, spill_count(physical.as_ref()))
    });
    eprintln!(
        "add_windows, streamed: {:.2?}, {n} rows, {spills} spills, pool peak {} MB \
         (limit {}); peak RSS {} -> {} MB",
        t.elapsed(),
        pool.peak.load(std::sync::atomic::Ordering::Relaxed) >> 20,
        limit.map_or("none".to_string(), |l| format!("{} MB", l >> 20)),
        rss >> 10,
        peak_rss_kb() >> 10
    );
    if check {
        let differ = want.values().filter(|v| **v != 0).count();
        eprintln!("rows differing from window::assign: {differ}");
        assert_eq!(differ, 0);
    }
}
