//! Every rule of the shipped library `rules/` passes the tests it carries, on the
//! engine (what `trailhunt rules test rules/` checks).

use std::path::Path;

use trailhunt_hunt::EngineRunner;
use trailhunt_rules::{load_rules, run_tests};

#[test]
fn every_library_rule_passes_its_embedded_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let (rules, problems) = load_rules(&root);
    assert!(problems.is_empty(), "{problems:#?}");
    let outcomes = run_tests(&rules, &EngineRunner { threads: 1 });
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| {
            format!(
                "{}:{} {}: expected {:?}, got {:?}",
                o.path.display(),
                o.line.unwrap_or(0),
                o.test,
                o.expected,
                o.got
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} rule tests failed:\n{}",
        failed.len(),
        outcomes.len(),
        failed.join("\n")
    );
}
