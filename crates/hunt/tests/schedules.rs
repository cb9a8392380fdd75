//! Detection work is bounded by the data, not by the schedule's arithmetic.
//!
//! `Detector::run` evaluates segments of scheduled runs that see the same events;
//! `Detector::run_every_run` is the former evaluation, one run at a time, kept as the
//! reference: on sane schedules both must find exactly the same hits (rule, entities,
//! window ids, times, counts, rows). Extreme schedules, which the reference would take
//! millions of runs per event for, are checked against answers worked out by hand
//! from the schedule's definition (runs at `k * F`, each seeing `[k * F - R, k * F)`)
//! and counted from the records themselves.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use trailhunt_cloudtrail::{Discovered, LoadOptions, discover};
use trailhunt_engine::Engine;
use trailhunt_hunt::{DetectOptions, Detector, RuleRun, Schedule};
use trailhunt_rules::{Rule, load_rules, parse_rule};
use trailhunt_source::{Listing, load};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
}

fn engine_of(found: &Discovered) -> Engine {
    Engine::new(
        load(&Listing::local(found), &LoadOptions::default(), None).unwrap(),
        0,
    )
    .unwrap()
}

fn engine_at(path: &Path) -> Engine {
    engine_of(&discover(&[path.display().to_string()]).unwrap())
}

fn engine_in_memory(name: &str, ndjson: &str) -> Engine {
    engine_of(&Discovered::memory(name, ndjson.as_bytes().to_vec()))
}

fn rules() -> Vec<Rule> {
    let (rules, problems) = load_rules(repo("rules"));
    assert!(problems.is_empty(), "{problems:?}");
    rules
}

/// The same rule on another schedule.
fn rescheduled(rule: &Rule, range_s: u64, step_s: u64) -> Rule {
    let mut r = rule.clone();
    r.time_range_s = Some(range_s);
    r.run_frequency_s = Some(step_s);
    r
}

fn json(run: &RuleRun) -> String {
    serde_json::to_string(&run.hits).unwrap()
}

/// Every rule gives the same hits and candidate runs both ways; returns how many hits.
fn same_as_every_run(engine: &Engine, rules: &[Rule], whole_span: bool, what: &str) -> usize {
    let options = DetectOptions {
        whole_span,
        ..DetectOptions::default()
    };
    let detector = Detector::new(engine, options).unwrap();
    let mut hits = 0;
    for rule in rules {
        let fast = detector.run(rule).unwrap();
        let slow = detector.run_every_run(rule).unwrap();
        assert_eq!(
            json(&fast),
            json(&slow),
            "{what}: {} (range {:?}, step {:?})",
            rule.name,
            rule.time_range_s,
            rule.run_frequency_s
        );
        assert_eq!(
            fast.candidate_runs, slow.candidate_runs,
            "{what}: {}",
            rule.name
        );
        assert!(fast.queries <= slow.queries, "{what}: {}", rule.name);
        hits += fast.hits.len();
    }
    hits
}

/// Schedules with overlap, tumbling windows, gaps between runs, odd steps.
const SCHEDULES: &[(u64, u64)] = &[(60, 300), (300, 300), (3600, 300), (7, 3), (900, 60)];

#[test]
fn same_hits_as_every_run_on_the_sample() {
    let engine = engine_at(&repo("examples/data"));
    let hits = same_as_every_run(&engine, &rules(), false, "examples/data");
    assert!(hits > 20, "{hits}");
}

#[test]
fn same_hits_as_every_run_on_invictus() {
    let path = repo("../shared/data/invictus-ir");
    if !path.exists() {
        eprintln!("skipped: {} is absent", path.display());
        return;
    }
    let engine = engine_at(&path);
    let hits = same_as_every_run(&engine, &rules(), true, "invictus-ir");
    assert!(hits > 5, "{hits}");
}

#[test]
fn same_hits_as_every_run_on_the_fixture() {
    let fixture = repo("crates/engine/tests/fixtures/events.ndjson");
    let engine = engine_in_memory("events.ndjson", &std::fs::read_to_string(fixture).unwrap());
    let rules = rules();
    let mut all = rules.clone();
    for (r, s) in SCHEDULES {
        all.extend(rules.iter().map(|rule| rescheduled(rule, *r, *s)));
    }
    let hits = same_as_every_run(&engine, &all, true, "events.ndjson");
    assert!(hits > 10, "{hits}");
}

/// Each rule over its own embedded tests' data, on its schedule and on others.
#[test]
fn same_hits_as_every_run_on_the_rules_test_data() {
    let mut hits = 0;
    for rule in &rules() {
        let mut all = vec![rule.clone()];
        all.extend(SCHEDULES.iter().map(|(r, s)| rescheduled(rule, *r, *s)));
        for t in &rule.tests {
            let engine = engine_in_memory(&t.name, &t.dataset_inline);
            hits += same_as_every_run(&engine, &all, true, &format!("{}: {}", rule.name, t.name));
        }
    }
    assert!(hits > 50, "{hits}");
}

/// A rule whose query has stages that return rows on no events at all: every run over
/// the data's span is a candidate (also on a schedule with gaps between runs).
#[test]
fn same_hits_as_every_run_for_a_rule_firing_on_nothing() {
    let engine = engine_in_memory("fixture", &ndjson());
    let rule = parse_rule(
        "name: quiet\nseverity: Low\nquery_text: eventName=ConsoleLogin | stats count() as n | where n < 2\ntime_range_s: 3600\nrun_frequency_s: 300\n",
        "quiet.yml",
    )
    .unwrap();
    let mut all = vec![rule.clone()];
    for (r, s) in [(60, 300), (300, 300), (86_400, 3600), (3600, 86_400)] {
        all.push(rescheduled(&rule, r, s));
    }
    let hits = same_as_every_run(&engine, &all, false, "fires on nothing");
    assert!(hits > 3, "{hits}");
}

// ---- extreme schedules, answers worked out by hand ----

/// 366 days: the schedule clamps look-backs and steps to this.
const YEAR_S: i64 = 366 * 86_400;
const TEN_YEARS_S: u64 = 10 * 365 * 86_400;
const NS: i64 = 1_000_000_000;
/// Run 54 of a 366-day step ends here: 2024-02-11T00:00:00Z.
const BOUNDARY_S: i64 = 54 * YEAR_S;
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const BOB: &str = "arn:aws:iam::111122223333:user/bob";

/// (eventTime, the same in Unix seconds, user, eventName), written from AWS's
/// documentation of ConsoleLogin and GetObject records.
const EVENTS: &[(&str, i64, &str, &str)] = &[
    (
        "2024-02-10T23:30:00Z",
        1_707_607_800,
        "alice",
        "ConsoleLogin",
    ),
    (
        "2024-02-10T23:45:00Z",
        1_707_608_700,
        "alice",
        "ConsoleLogin",
    ),
    ("2024-02-11T00:30:00Z", 1_707_611_400, "bob", "ConsoleLogin"),
    ("2024-03-01T10:00:00Z", 1_709_287_200, "bob", "ConsoleLogin"),
    ("2024-03-01T10:05:00Z", 1_709_287_500, "alice", "GetObject"),
];

fn ndjson() -> String {
    let mut out = String::new();
    for (i, (time, _, user, name)) in EVENTS.iter().enumerate() {
        let (source, kind) = if *name == "ConsoleLogin" {
            ("signin.amazonaws.com", "AwsConsoleSignIn")
        } else {
            ("s3.amazonaws.com", "AwsApiCall")
        };
        out.push_str(&format!(
            r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","principalId":"AIDA{i}","arn":"arn:aws:iam::111122223333:user/{user}","accountId":"111122223333","userName":"{user}"}},"eventTime":"{time}","eventSource":"{source}","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.{i}","userAgent":"Mozilla/5.0","eventID":"ev-{i}","eventType":"{kind}","recipientAccountId":"111122223333"}}"#
        ));
        out.push('\n');
    }
    out
}

/// The ConsoleLogin events of each user in `[from, to)` (seconds), read from the
/// records as JSON: (events, first, last) in nanoseconds.
fn logins_between(from: i64, to: i64) -> BTreeMap<String, (u64, i64, i64)> {
    let mut out: BTreeMap<String, (u64, i64, i64)> = BTreeMap::new();
    for (line, (_, t, _, _)) in ndjson().lines().zip(EVENTS) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["eventName"] != "ConsoleLogin" || *t < from || *t >= to {
            continue;
        }
        let arn = v["userIdentity"]["arn"].as_str().unwrap().to_string();
        let e = out.entry(arn).or_insert((0, t * NS, t * NS));
        e.0 += 1;
        e.1 = e.1.min(t * NS);
        e.2 = e.2.max(t * NS);
    }
    out
}

fn rule(query: &str, range_s: u64, step_s: u64) -> Rule {
    let text = format!(
        "name: extreme\nseverity: Low\nquery_text: {query}\ntime_range_s: {range_s}\nrun_frequency_s: {step_s}\n"
    );
    parse_rule(&text, "extreme.yml").unwrap()
}

/// The one hit: (from, to) in seconds, runs, rows, candidate runs, entities.
struct Want {
    from: i64,
    to: i64,
    runs: usize,
    rows: usize,
    candidate_runs: usize,
    entities: BTreeMap<String, (u64, i64, i64)>,
}

fn check(rule: &Rule, want: Want) {
    let engine = engine_in_memory("extreme", &ndjson());
    let detector = Detector::new(&engine, DetectOptions::default()).unwrap();
    let run = detector.run(rule).unwrap();
    assert_eq!(run.hits.len(), 1, "{}", json(&run));
    let hit = &run.hits[0];
    assert_eq!((hit.from, hit.to), (want.from * NS, want.to * NS));
    assert_eq!(hit.runs, want.runs);
    assert_eq!(hit.row_count, want.rows);
    assert_eq!(run.candidate_runs, want.candidate_runs);
    let got: BTreeMap<String, (u64, i64, i64)> = hit
        .entities
        .iter()
        .map(|e| (e.entity_id.clone(), (e.events, e.first, e.last)))
        .collect();
    assert_eq!(got, want.entities);
    for e in &hit.entities {
        assert_eq!(e.window_ids.len(), 1, "{e:?}");
    }
}

#[test]
fn ten_year_look_back_every_second() {
    let r = rule("eventName=ConsoleLogin", TEN_YEARS_S, 1);
    assert_eq!(
        Schedule::of(&r).range_ns,
        YEAR_S * NS,
        "the look-back is clamped"
    );
    let [t1, _, _, t4] = [EVENTS[0].1, EVENTS[1].1, EVENTS[2].1, EVENTS[3].1];
    // An event at t is seen by the runs k = t + 1 ..= t + R (one a second): the first
    // login's first run to the last login's last run, all overlapping: one hit.
    let want = Want {
        from: t1 + 1 - YEAR_S,
        to: t4 + YEAR_S,
        runs: (t4 + YEAR_S - t1) as usize,
        rows: 4,
        candidate_runs: (t4 + YEAR_S - t1) as usize,
        entities: logins_between(i64::MIN, i64::MAX),
    };
    assert_eq!(want.entities[ALICE].0 + want.entities[BOB].0, 4);
    check(&r, want);
}

#[test]
fn ten_year_look_back_every_second_with_a_threshold() {
    let r = rule(
        "eventName=ConsoleLogin | stats count() as n by userIdentity.arn | where n >= 2",
        TEN_YEARS_S,
        1,
    );
    let [t1, t2, t3, t4] = [EVENTS[0].1, EVENTS[1].1, EVENTS[2].1, EVENTS[3].1];
    // alice has two logins in the runs t2 + 1 ..= t1 + R, bob in t4 + 1 ..= t3 + R;
    // these overlap, so the firing runs are t2 + 1 ..= t3 + R, one hit, with two
    // distinct rows (alice 2, bob 2), each naming its user's two logins.
    let want = Want {
        from: t2 + 1 - YEAR_S,
        to: t3 + YEAR_S,
        runs: (t3 + YEAR_S - t2) as usize,
        rows: 2,
        candidate_runs: (t4 + YEAR_S - t1) as usize,
        entities: logins_between(i64::MIN, i64::MAX),
    };
    check(&r, want);
}

#[test]
fn an_hour_back_once_a_year() {
    // Runs every 366 days (clamped from ten years), each looking back an hour: only run
    // 54 (ending 2024-02-11T00:00:00Z) sees anything, alice's two logins before it.
    let r = rule("eventName=ConsoleLogin", 3600, TEN_YEARS_S);
    assert_eq!(Schedule::of(&r).step_ns, YEAR_S * NS, "the step is clamped");
    let want = Want {
        from: BOUNDARY_S - 3600,
        to: BOUNDARY_S,
        runs: 1,
        rows: 2,
        candidate_runs: 1,
        entities: logins_between(BOUNDARY_S - 3600, BOUNDARY_S),
    };
    assert_eq!(want.entities.keys().collect::<Vec<_>>(), [ALICE]);
    check(&r, want);
}

#[test]
fn tumbling_windows_longer_than_the_data() {
    // A 366-day window every 366 days: alice's logins fall in run 54's window, bob's
    // in run 55's; the two windows touch, so they merge into one hit of two runs.
    let r = rule("eventName=ConsoleLogin", TEN_YEARS_S, TEN_YEARS_S);
    let want = Want {
        from: BOUNDARY_S - YEAR_S,
        to: BOUNDARY_S + YEAR_S,
        runs: 2,
        rows: 4,
        candidate_runs: 2,
        entities: logins_between(i64::MIN, i64::MAX),
    };
    check(&r, want);
}
