//! Running trailhunt detection rules over CloudTrail history, and combining their
//! results into one report per entity.
//!
//! A rule (from `trailhunt-rules`) looks back `time_range_s` seconds every
//! `run_frequency_s` seconds. Over historical data, a [`Detector`] replays that
//! schedule: it evaluates each rule over the windows it would have seen had it run
//! on schedule ([`Schedule`]), merges overlapping firing runs into one [`Hit`], and
//! names the entities and per-entity `window_id`s behind each hit. [`hunt`] folds
//! the hits into ranked [`EntityReport`]s, which [`render`] prints as text, JSON or a
//! self-contained HTML page. [`EngineRunner`] runs the tests embedded in rules on
//! the engine, and [`planner_check`] is the engine hook for `trailhunt_rules::lint`.
//!
//! ```
//! use trailhunt_cloudtrail::{Discovered, LoadOptions};
//! use trailhunt_source::{Listing, load};
//! use trailhunt_engine::Engine;
//! use trailhunt_hunt::{DetectOptions, Detector, hunt};
//! use trailhunt_rules::parse_rule;
//!
//! let ndjson = r#"{"eventTime":"2024-03-01T00:58:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory"}}"#;
//! let data = load(&Listing::local(&Discovered::memory("doc", ndjson.as_bytes())), &LoadOptions::default(), None).unwrap();
//! let engine = Engine::new(data, 1).unwrap();
//! let rule = parse_rule(
//!     "name: trail stopped\nseverity: High\nquery_text: eventName=StopLogging\ntime_range_s: 3600\nrun_frequency_s: 300\ntags: [tactics.ta0005.defense_evasion]\n",
//!     "stop.yml",
//! ).unwrap();
//! let detector = Detector::new(&engine, DetectOptions::default()).unwrap();
//! let hits = detector.evaluate(&rule).unwrap();
//! assert_eq!(hits.len(), 1);
//! assert_eq!(hits[0].entities[0].entity_id, "arn:aws:iam::111122223333:user/mallory");
//! let report = hunt(&hits);
//! assert_eq!(report[0].tactics[0].name, "defense_evasion");
//! ```
#![deny(missing_docs)]

mod detect;
mod error;
mod hit;
pub mod render;
mod report;
mod runner;
mod schedule;
mod sigma;

pub use detect::{DetectOptions, Detector, RuleRun};
pub use error::HuntError;
pub use hit::{EntityHit, Hit, TagRef};
pub use report::{EntityReport, RuleSeen, TacticSeen, TimelineItem, hunt, severity_weight};
pub use runner::{EngineRunner, planner_check, planner_check_any, tests_engine};
pub use schedule::{DEFAULT_RUN_FREQUENCY_S, DEFAULT_TIME_RANGE_S, Schedule};
pub use sigma::{SigmaRefusal, load_sigma_rules};
