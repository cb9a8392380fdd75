//! `trailhunt detect`: run detection rules over CloudTrail history and print the hits.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use trailhunt_engine::Engine;
use trailhunt_hunt::{DetectOptions, Detector, Hit, HuntError, load_sigma_rules, render};
use trailhunt_rules::{Rule, load_rules};

use crate::load_cmd::InputArgs;
use crate::util::TimeArgs;

pub const EXAMPLES: &str = "Examples:
  trailhunt detect examples/data
  trailhunt detect AWSLogs/ --rules my-rules/ --format json | jq '.[].rule'
  trailhunt detect examples/data --sigma ../sigma/rules/cloud/aws/cloudtrail
  trailhunt detect logs/ --whole-span --format ndjson
  trailhunt detect AWSLogs/ --from 2024-03-01 --to 2024-03-08
  zcat events.json.gz | trailhunt detect --format json

Each rule is replayed over the data as if it had run on schedule: every
run_frequency_s (default: time_range_s) it looks back time_range_s; overlapping
firing runs merge into one hit. Rules without a schedule (Sigma, saved queries)
look back 3600 s every 300 s. With --since/--from/--to only the events in that range
are loaded, so the rules see nothing outside it. Without a PATH, events are read
from standard input when it is a pipe or a file.

Exit status: 0 when some rule fired, 1 when none did, 2 on error (including a rule
that could not be evaluated; the other rules still run).";

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum DetectFormat {
    Table,
    Json,
    Ndjson,
}

/// Where the rules come from: shared by `detect` and `hunt`.
#[derive(Args, Debug, Clone)]
pub struct RuleArgs {
    /// Folder (or file) of rules [default: the repository's `rules/`, unless --sigma is given].
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Also run the Sigma rules in DIR, converted (refused rules are listed on stderr).
    #[arg(long, value_name = "DIR")]
    pub sigma: Option<PathBuf>,
    /// Also evaluate every rule once over the whole span of the data.
    #[arg(long)]
    pub whole_span: bool,
    /// List each rule that names a path no event has, with the paths (by default one
    /// line counts them).
    #[arg(long)]
    pub absent_paths: bool,
}

impl RuleArgs {
    /// The rules to run; load problems and Sigma refusals go to stderr.
    pub fn load(&self) -> Result<Vec<Rule>> {
        let mut rules = Vec::new();
        let mut err = crate::util::notes();
        let config = &crate::config::get().rules;
        let from_config = self.rules.is_none() && self.sigma.is_none() && !config.is_empty();
        let dirs = match (&self.rules, &self.sigma) {
            (Some(d), _) => vec![d.clone()],
            (None, Some(_)) => Vec::new(),
            // The config file's folders stand for the default one.
            (None, None) if !config.is_empty() => config.clone(),
            (None, None) => vec![default_dir("rules").ok_or_else(|| {
                anyhow::anyhow!(
                    "no rules: there is no `rules/` folder here; pass --rules DIR (or --sigma DIR)"
                )
            })?],
        };
        for dir in dirs {
            if !dir.exists() {
                match crate::config::get().file.as_ref().filter(|_| from_config) {
                    Some(f) => bail!(
                        "rules folder {} does not exist (it is in the config file {}: `rules`)",
                        dir.display(),
                        f.display()
                    ),
                    None => bail!("rules folder {} does not exist", dir.display()),
                }
            }
            let (loaded, problems) = load_rules(&dir);
            for p in problems {
                writeln!(err, "warning: {p}")?;
            }
            rules.extend(loaded);
        }
        if let Some(dir) = &self.sigma {
            if !dir.exists() {
                bail!("Sigma folder {} does not exist", dir.display());
            }
            let (converted, refused) = load_sigma_rules(dir);
            for r in &refused {
                writeln!(err, "warning: {r}")?;
            }
            writeln!(
                err,
                "sigma: {} rule{} converted, {} refused",
                converted.len(),
                if converted.len() == 1 { "" } else { "s" },
                refused.len()
            )?;
            rules.extend(converted);
        }
        Ok(rules)
    }
}

/// `./NAME` when it is a folder, else the repository's `NAME` (as built).
pub fn default_dir(name: &str) -> Option<PathBuf> {
    let here = Path::new(name);
    if here.is_dir() {
        return Some(here.to_path_buf());
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name);
    repo.is_dir().then_some(repo)
}

#[derive(Args, Debug)]
pub struct DetectArgs {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    time: TimeArgs,
    #[command(flatten)]
    rules: RuleArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DetectFormat::Table)]
    format: DetectFormat,
    /// Matching rows shown per hit.
    #[arg(long, value_name = "N", default_value_t = 5)]
    sample: usize,
}

/// Loads the data and rules and evaluates every rule; errors go to stderr.
pub fn detect(
    input: &InputArgs,
    time: &TimeArgs,
    rule_args: &RuleArgs,
    sample: usize,
) -> Result<(Vec<Hit>, bool)> {
    // A bad range fails before the rules and the data are read.
    time.range()?;
    let rules = rule_args.load()?;
    let data = input.load_in(time)?;
    let engine = Engine::new(data, input.threads)?;
    // A rule's path the data lacks matches nothing there: usually the events it looks for
    // did not happen, sometimes the logs lack the field. One line says how many, or one
    // line per rule with --absent-paths (without the carets `query` shows).
    let mut absent = Vec::new();
    for rule in &rules {
        if let Ok(warnings) = engine.check(&rule.query_text)
            && !warnings.is_empty()
        {
            let text = &rule.query_text;
            let mut paths: Vec<String> = warnings
                .iter()
                .filter_map(|w| text.get(w.span.start..w.span.end))
                .map(|p| format!("`{p}`"))
                .collect();
            paths.dedup();
            absent.push(format!(
                "note: rule `{}` ({}): no event has {}, so that part of it matches nothing here",
                rule.name,
                rule.path.display(),
                paths.join(", ")
            ));
        }
    }
    if rule_args.absent_paths {
        let mut err = crate::util::notes();
        for l in &absent {
            writeln!(err, "{l}")?;
        }
    } else if !absent.is_empty() {
        writeln!(
            crate::util::notes(),
            "note: {} of {} rules name paths no event here has, so those parts match nothing (--absent-paths lists them)",
            absent.len(),
            rules.len()
        )?;
    }
    let detector = Detector::new(
        &engine,
        DetectOptions {
            whole_span: rule_args.whole_span,
            sample_rows: sample,
        },
    )?;
    let (hits, errors) = detector.evaluate_all(&rules);
    report_errors(&errors)?;
    Ok((hits, !errors.is_empty()))
}

fn report_errors(errors: &[HuntError]) -> Result<()> {
    let mut err = std::io::stderr().lock();
    for e in errors {
        writeln!(err, "error: {e}")?;
    }
    Ok(())
}

pub fn run(args: DetectArgs) -> Result<ExitCode> {
    let (hits, failed) = detect(&args.input, &args.time, &args.rules, args.sample)?;
    let mut out = crate::util::stdout();
    match args.format {
        DetectFormat::Table => render::write_hits_text(&hits, &mut out)?,
        DetectFormat::Json => render::write_hits_json(&hits, &mut out)?,
        DetectFormat::Ndjson => render::write_hits_ndjson(&hits, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::from(match (failed, hits.is_empty()) {
        (true, _) => 2,
        (false, false) => 0,
        (false, true) => 1,
    }))
}
