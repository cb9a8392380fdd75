//! `trailhunt detect`: run detection rules over CloudTrail history and print the hits.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use trailhunt_cloudtrail::time::{format_rfc3339, parse_event_time};
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
    Csv,
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

/// What `detect` found: the hits, whether a rule failed, how many rules ran.
pub struct Detected {
    pub hits: Vec<Hit>,
    pub failed: bool,
    pub rules_run: usize,
}

/// Loads the data and rules and evaluates every rule (a progress bar on a terminal);
/// errors go to stderr. Each hit's interval is clipped to the data's span, and its rule
/// path is shown relative to its rules folder (`built-in:` for the repository's).
pub fn detect(
    input: &InputArgs,
    time: &TimeArgs,
    rule_args: &RuleArgs,
    sample: usize,
) -> Result<Detected> {
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
    let (mut hits, errors, rules_run) = crate::progress::with_counter("rules", |c| {
        detector.evaluate_all_with(&rules, |done, total| {
            c.total.store(total, std::sync::atomic::Ordering::Relaxed);
            c.done.store(done, std::sync::atomic::Ordering::Relaxed);
        })
    });
    report_errors(&errors)?;
    // A scheduled run looks back past the first event and its window ends after the
    // last: say when the data starts and ends instead ([first, last + 1 s)).
    let report = engine.report();
    let first = report.first_event.as_deref().and_then(parse_event_time);
    let last = report.last_event.as_deref().and_then(parse_event_time);
    for h in &mut hits {
        if let Some(f) = first {
            h.from = h.from.max(f);
        }
        if let Some(l) = last {
            h.to = h.to.min(l.saturating_add(1_000_000_000)).max(h.from);
        }
        h.path = rule_label(&h.path, rule_args);
    }
    Ok(Detected {
        hits,
        failed: !errors.is_empty(),
        rules_run,
    })
}

/// A rule's path as a person wants it: relative to the folder given (`--rules`,
/// `--sigma`), or `built-in:NAME` for the repository's `rules/`.
fn rule_label(path: &str, rule_args: &RuleArgs) -> String {
    let p = Path::new(path);
    for dir in rule_args.rules.iter().chain(rule_args.sigma.iter()) {
        if let Ok(rel) = p.strip_prefix(dir) {
            return rel.display().to_string();
        }
    }
    if rule_args.rules.is_none()
        && let Some(dir) = default_dir("rules")
        && let Ok(rel) = p.strip_prefix(&dir)
    {
        let name = rel.with_extension("");
        return format!("built-in:{}", name.display());
    }
    path.to_string()
}

fn report_errors(errors: &[HuntError]) -> Result<()> {
    let mut err = std::io::stderr().lock();
    for e in errors {
        writeln!(err, "error: {e}")?;
    }
    Ok(())
}

pub fn run(args: DetectArgs) -> Result<ExitCode> {
    let Detected {
        hits,
        failed,
        rules_run,
    } = detect(&args.input, &args.time, &args.rules, args.sample)?;
    let mut out = crate::util::stdout();
    match args.format {
        DetectFormat::Table => render::write_hits_text(&hits, rules_run, &mut out)?,
        DetectFormat::Json => render::write_hits_json(&hits, &mut out)?,
        DetectFormat::Ndjson => render::write_hits_ndjson(&hits, &mut out)?,
        DetectFormat::Csv => write_hits_csv(&hits, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::from(match (failed, hits.is_empty()) {
        (true, _) => 2,
        (false, false) => 0,
        (false, true) => 1,
    }))
}

/// One line per hit: the rule, its severity and tags, the interval, the runs, the
/// entities (most events first, `;`-separated) and the rows.
fn write_hits_csv(hits: &[Hit], w: &mut dyn Write) -> Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "rule",
        "path",
        "severity",
        "tactics",
        "techniques",
        "from",
        "to",
        "runs",
        "entities",
        "rows",
    ])?;
    let tags = |t: &[trailhunt_hunt::TagRef]| {
        t.iter()
            .map(|t| t.id.as_str())
            .collect::<Vec<_>>()
            .join(";")
    };
    for h in hits {
        let entities: Vec<&str> = h.entities.iter().map(|e| e.entity_id.as_str()).collect();
        out.write_record([
            h.rule.clone(),
            h.path.clone(),
            h.severity.map_or(String::new(), |s| s.as_str().to_string()),
            tags(&h.tactics),
            tags(&h.techniques),
            format_rfc3339(h.from),
            format_rfc3339(h.to),
            if h.whole_span {
                "whole span".to_string()
            } else {
                h.runs.to_string()
            },
            entities.join(";"),
            h.row_count.to_string(),
        ])?;
    }
    out.flush()?;
    Ok(())
}
