//! Detection rules for trailhunt: rule files in Scanner's YAML format, their
//! lint, their embedded tests, MITRE ATT&CK tags, and Sigma conversion.
//!
//! A folder of Scanner detection rules loads unchanged ([`load_rules`]); each
//! [`Rule`] keeps the keys it does not know in [`Rule::extra`]. [`lint`] parses
//! the query and points errors at the file line; [`run_tests`] runs the tests
//! embedded in rules through a [`QueryRunner`] the engine provides; [`sigma`]
//! turns SigmaHQ rules for CloudTrail into queries. This crate does not run
//! queries itself.
//!
//! ```
//! use trailhunt_rules::{Severity, lint, parse_rule};
//!
//! let rule = parse_rule(
//!     "# schema: https://scanner.dev/schema/scanner-detection-rule.v1.json
//! name: CloudTrail stopped
//! description: Someone stopped a trail.
//! enabled: Active
//! severity: High
//! query_text: |-
//!   eventSource=cloudtrail.amazonaws.com eventName=StopLogging
//!   | stats count() as n by userIdentity.arn
//! time_range_s: 300
//! run_frequency_s: 60
//! tags: [tactics.ta0005.defense_evasion, techniques.t1562.008.disable_cloud_logs]
//! alert_template: {info: []}
//! ",
//!     "stop.yml",
//! )?;
//! assert_eq!(rule.severity, Some(Severity::High));
//! assert_eq!(rule.mitre.techniques[0].id, "T1562.008");
//! assert!(rule.extra.contains_key("alert_template"));
//! assert!(lint(&rule, None).iter().all(|p| !p.is_error()));
//! # Ok::<(), trailhunt_rules::RuleProblem>(())
//! ```
#![deny(missing_docs)]

pub mod coverage;
mod layout;
mod lint;
mod load;
pub mod mitre;
mod problem;
mod rule;
pub mod sigma;
mod testing;

pub use lint::{PlannerCheck, lint};
pub use load::{is_rule_file, load_rules};
pub use mitre::{Mitre, MitreTag, Tactic, Technique};
pub use problem::{Level, RuleProblem};
pub use rule::{Enabled, Rule, RuleTest, Severity, parse_rule, parse_time_ns};
pub use serde_norway::Value as YamlValue;
pub use testing::{QueryRunner, TestOutcome, run_tests};
