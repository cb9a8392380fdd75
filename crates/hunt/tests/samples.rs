//! Detection and hunt on the generated sample (`examples/data`) and on the
//! invictus-ir attack simulation (`../shared/data/invictus-ir`, when present).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use trailhunt_cloudtrail::{LoadOptions, discover};
use trailhunt_engine::Engine;
use trailhunt_hunt::{DetectOptions, Detector, Hit, hunt};
use trailhunt_rules::{Rule, load_rules};
use trailhunt_source::{Listing, load};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
}

fn rules() -> &'static Vec<Rule> {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        let (rules, problems) = load_rules(repo("rules"));
        assert!(problems.is_empty(), "{problems:?}");
        rules
    })
}

/// Loads `path`, padded for the rules as `trailhunt detect` does, and runs every rule.
fn detect(path: &Path) -> Vec<Hit> {
    detect_with(path, rules())
}

fn detect_with(path: &Path, rules: &[Rule]) -> Vec<Hit> {
    let start = Instant::now();
    let paths = [path.display().to_string()];
    let found = discover(&paths).unwrap();
    let engine = Engine::new(
        load(&Listing::local(&found), &LoadOptions::default(), None).unwrap(),
        0,
    )
    .unwrap();
    let detector = Detector::new(&engine, DetectOptions::default()).unwrap();
    let (hits, errors) = detector.evaluate_all(rules);
    assert!(errors.is_empty(), "{errors:#?}");
    eprintln!(
        "{}: {} hits in {:?}",
        path.display(),
        hits.len(),
        start.elapsed()
    );
    hits
}

fn sample_hits() -> &'static Vec<Hit> {
    static HITS: OnceLock<Vec<Hit>> = OnceLock::new();
    HITS.get_or_init(|| detect(&repo("examples/data")))
}

/// Rule name → the entities its hits name.
fn fired(hits: &[Hit]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for h in hits {
        out.entry(h.rule.clone())
            .or_default()
            .extend(h.entities.iter().map(|e| e.entity_id.clone()));
    }
    out
}

fn short(entity: &str) -> String {
    entity
        .rsplit([':', '/'])
        .next()
        .unwrap_or(entity)
        .to_string()
}

/// Every human IAM user of the generated sample: the two noisiest rules name them all.
const ALL_HUMANS: &[&str] = &[
    "achen",
    "blumbergh",
    "bslydell",
    "dkim",
    "dportwood",
    "ejohnson",
    "hmartin",
    "jlawrence",
    "jwilson",
    "kmurphy",
    "lgarcia",
    "mbolton",
    "mlopez",
    "mwaddams",
    "nwhite",
    "oclark",
    "pgibbons",
    "plewis",
    "qyoung",
    "rpatel",
    "rwalker",
    "samirn",
    "shall",
    "snguyen",
    "tallen",
    "tbrown",
    "tsmykowski",
    "vking",
    "wwright",
    "xscott",
];

/// Rule → the short names (`user/x` → `x`, IPs as is) of the entities it names on
/// the generated sample. A rule that turns noisy changes this table.
const SAMPLE_PINS: &[(&str, &[&str])] = &[
    ("Access key created", &["bslydell"]),
    ("Access key created for another user", &["bslydell"]),
    ("AdministratorAccess attached to a user", &["bslydell"]),
    (
        "AssumeRole denied",
        &[
            "blumbergh",
            "bslydell",
            "dkim",
            "dportwood",
            "jlawrence",
            "mbolton",
            "mlopez",
            "mwaddams",
            "pgibbons",
            "plewis",
            "rwalker",
            "samirn",
            "tsmykowski",
        ],
    ),
    ("Buckets listed by an IAM user or root", ALL_HUMANS),
    ("Burst of access-denied errors", &["dportwood"]),
    (
        "Burst of read-only enumeration calls",
        &["DatadogAWSIntegration", "jenkins-agent-7", "jlawrence"],
    ),
    ("CloudTrail logging stopped", &["mwaddams"]),
    ("CloudTrail stopped, deleted or changed", &["mwaddams"]),
    ("CloudTrail trail deleted", &["mwaddams"]),
    ("Console password created for a user", &["bslydell"]),
    (
        "Console sign-in brute force from one address",
        &["185.220.101.47"],
    ),
    ("Console sign-in without MFA", &["blumbergh", "root"]),
    ("Enumeration denied across several services", &["jlawrence"]),
    (
        "Failed console sign-in",
        &[
            "185.220.101.47",
            "34.231.18.77",
            "34.231.18.78",
            "67.221.9.248",
            "71.164.142.86",
            "73.97.53.188",
        ],
    ),
    ("Full IAM configuration downloaded", &["jlawrence"]),
    ("GetCallerIdentity with a long-term access key", ALL_HUMANS),
    ("GuardDuty disabled or cut off", &["mwaddams"]),
    ("IAM user created", &["bslydell"]),
    // A deployment pipeline: the rule says deployments overwrite code too.
    ("Lambda function code overwritten", &["GitHubActions"]),
    ("Large S3 download volume by one principal", &["pgibbons"]),
    ("Many secrets read by one principal", &["jenkins-agent-7"]),
    (
        "Offensive distribution or PowerShell user agent",
        &["tsmykowski"],
    ),
    ("Root user API activity", &["root"]),
    ("Root user console sign-in", &["root"]),
    // Administrators opening shells on three or more instances within the hour.
    (
        "SSM sessions started on several instances",
        &["ejohnson", "mbolton", "pgibbons"],
    ),
    (
        "Secrets Manager secret read",
        &[
            "i-00d4c3bcdfa6ee8cb",
            "i-0200d9df2cda37493",
            "i-05e125c19795d0a58",
            "i-066671cc50dbba817",
            "i-0961ce6c83d94183f",
            "i-0a8a74c9a1b593678",
            "ingest-orders",
            "jenkins-agent-7",
            "nightly-report",
            "thumbnailer",
        ],
    ),
];

/// Story (its actor, short name) → the rule meant for it.
const STORIES: &[(&str, &str)] = &[
    ("pgibbons", "Large S3 download volume by one principal"),
    (
        "185.220.101.47",
        "Console sign-in brute force from one address",
    ),
    ("mwaddams", "CloudTrail stopped, deleted or changed"),
    ("mwaddams", "CloudTrail logging stopped"),
    ("mwaddams", "CloudTrail trail deleted"),
    ("mwaddams", "GuardDuty disabled or cut off"),
    ("root", "Root user console sign-in"),
    (
        "tsmykowski",
        "Offensive distribution or PowerShell user agent",
    ),
    ("jenkins-agent-7", "Many secrets read by one principal"),
    ("dportwood", "AssumeRole denied"),
    ("dportwood", "Burst of access-denied errors"),
    ("bslydell", "IAM user created"),
    ("bslydell", "Access key created for another user"),
    ("bslydell", "AdministratorAccess attached to a user"),
    ("bslydell", "Console password created for a user"),
    ("jlawrence", "Burst of read-only enumeration calls"),
    ("jlawrence", "Full IAM configuration downloaded"),
    ("jlawrence", "Enumeration denied across several services"),
];

// These replay every rule of the library on schedule (one engine query per distinct candidate run of
// each aggregating rule): seconds with the dependencies optimised as the workspace's dev
// profile does.
#[test]
fn every_planted_story_is_found_by_its_rule() {
    let fired: BTreeMap<String, BTreeSet<String>> = fired(sample_hits())
        .into_iter()
        .map(|(rule, entities)| (rule, entities.iter().map(|e| short(e)).collect()))
        .collect();
    for (actor, rule) in STORIES {
        assert!(
            fired.get(*rule).is_some_and(|e| e.contains(*actor)),
            "{rule} misses {actor}: {:?}",
            fired.get(*rule)
        );
    }
    let pinned: BTreeMap<String, BTreeSet<String>> = SAMPLE_PINS
        .iter()
        .map(|(r, e)| (r.to_string(), e.iter().map(|s| s.to_string()).collect()))
        .collect();
    assert_eq!(fired, pinned);
}

#[test]
fn invictus_attacker_ranks_first() {
    let path = repo("../shared/data/invictus-ir");
    if !path.exists() {
        eprintln!("skipped: {} is absent", path.display());
        return;
    }
    let reports = hunt(&detect(&path));
    for r in reports.iter().take(5) {
        eprintln!("#{} {} {}", r.rank, r.score, r.entity_id);
    }
    let top = &reports[0];
    assert!(
        top.entity_id.ends_with(":user/bert-jan"),
        "{}",
        top.entity_id
    );
    let rules: BTreeSet<&str> = top.rules.iter().map(|r| r.rule.as_str()).collect();
    for rule in [
        "CloudTrail stopped, deleted or changed",
        "IAM user created",
        "Access key created for another user",
        "Many secrets read by one principal",
    ] {
        assert!(rules.contains(rule), "bert-jan misses {rule}");
    }
    for r in &reports[1..] {
        assert!(
            r.score * 10 < top.score,
            "{} scores {}",
            r.entity_id,
            r.score
        );
    }
    let benjamin = reports
        .iter()
        .find(|r| r.entity_id.ends_with(":user/benjamin"));
    assert!(benjamin.is_none_or(|b| b.score <= 10));
}

/// The fast check for debug builds: rules without stages cost one or two queries.
#[test]
fn filter_rules_find_their_stories() {
    let filter_rules: Vec<Rule> = rules()
        .iter()
        .filter(|r| !r.query_text.contains('|'))
        .cloned()
        .collect();
    let start = Instant::now();
    let hits = detect_with(&repo("examples/data"), &filter_rules);
    eprintln!(
        "{} filter rules in {:?}",
        filter_rules.len(),
        start.elapsed()
    );
    let fired: BTreeMap<String, BTreeSet<String>> = fired(&hits)
        .into_iter()
        .map(|(rule, entities)| (rule, entities.iter().map(|e| short(e)).collect()))
        .collect();
    for (rule, entities) in SAMPLE_PINS {
        if filter_rules.iter().any(|r| r.name == *rule) {
            let want: BTreeSet<String> = entities.iter().map(|s| s.to_string()).collect();
            assert_eq!(fired.get(*rule), Some(&want), "{rule}");
        }
    }
    assert!(
        fired
            .keys()
            .all(|r| SAMPLE_PINS.iter().any(|(p, _)| p == r)),
        "{fired:?}"
    );
}

/// Sigma's `exists` counts a key written with a JSON null ("be it empty or null"), on a
/// typed column and on a nested path: the converted query's events are the records that
/// hold the key, read straight from the JSON.
#[test]
fn sigma_exists_counts_a_key_written_null() {
    let fixture = repo("crates/engine/tests/fixtures/json-nulls.ndjson");
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&fixture)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let found = discover(&[fixture.display().to_string()]).unwrap();
    let engine = Engine::new(
        load(&Listing::local(&found), &LoadOptions::default(), None).unwrap(),
        0,
    )
    .unwrap();
    for (field, want) in [
        ("errorCode", true),
        ("responseElements", true),
        ("userIdentity.invokedBy", false),
    ] {
        let sigma = format!(
            "title: t\nlogsource: {{product: aws, service: cloudtrail}}\n\
             detection:\n  sel:\n    {field}|exists: {want}\n  condition: sel\n"
        );
        let converted = trailhunt_rules::sigma::convert(&sigma).unwrap();
        let out = engine
            .run(
                &format!("{} | table eventID", converted.query_text),
                Default::default(),
            )
            .unwrap();
        let mut got = Vec::new();
        for b in &out.batches {
            let ids = b
                .column(0)
                .as_any()
                .downcast_ref::<datafusion::arrow::array::StringArray>();
            let ids = ids.expect("eventID is text");
            got.extend((0..b.num_rows()).map(|i| ids.value(i).to_string()));
        }
        let expected: Vec<String> = records
            .iter()
            .filter(|r| field.split('.').try_fold(*r, |v, k| v.get(k)).is_some() == want)
            .map(|r| r["eventID"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            got, expected,
            "{field}|exists: {want} → {}",
            converted.query_text
        );
    }
}
