//! `trailhunt rules test|lint|coverage`: check a folder of detection rules, and
//! say which attack techniques it covers.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use trailhunt_cloudtrail::{LoadOptions, discover};
use trailhunt_engine::Engine;
use trailhunt_hunt::{EngineRunner, planner_check, planner_check_any, tests_engine};
use trailhunt_rules::{Rule, RuleProblem, lint, load_rules, run_tests};

use crate::detect_cmd::default_dir;
use crate::util::TimeArgs;

pub const EXAMPLES: &str = "Examples:
  trailhunt rules test rules/
  trailhunt rules lint rules/ --data examples/data
  trailhunt rules lint my-rule.yml
  trailhunt rules lint rules/ --data AWSLogs/ --since 7d
  trailhunt rules coverage rules/ > docs/COVERAGE.md

`test` exits 1 when a test failed; `lint` exits 1 when it found an error
(warnings alone exit 0); both exit 2 when the rules cannot be read.";

#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(subcommand)]
    command: RulesCommand,
}

#[derive(Subcommand, Debug)]
enum RulesCommand {
    /// Run every rule's embedded tests on the engine.
    Test {
        /// Folder or file of rules [default: the repository's `rules/`].
        dir: Option<PathBuf>,
        /// Print only failures and the summary.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Check every rule: YAML, fields, tags, and that its query parses and plans
    /// against sample data (unknown columns depend on the data).
    Lint {
        /// Folder or file of rules [default: the repository's `rules/`].
        dir: Option<PathBuf>,
        /// Data to plan the queries against [default: the repository's `examples/data`].
        #[arg(long, value_name = "PATH")]
        data: Vec<String>,
        #[command(flatten)]
        time: TimeArgs,
    },
    /// Print the coverage document (docs/COVERAGE.md): each Stratus Red Team AWS
    /// technique and each ATT&CK technique with the rules that detect it, and the
    /// rules per tactic and per AWS service.
    Coverage {
        /// Folder of rules [default: the repository's `rules/`].
        dir: Option<PathBuf>,
    },
}

fn rules_in(dir: Option<PathBuf>) -> Result<(Vec<Rule>, Vec<RuleProblem>)> {
    let dir = match dir.or_else(|| default_dir("rules")) {
        Some(d) => d,
        None => bail!("no rules: there is no `rules/` folder here; name the folder to check"),
    };
    if !dir.exists() {
        bail!("{} does not exist", dir.display());
    }
    Ok(load_rules(&dir))
}

pub fn run(args: RulesArgs) -> Result<ExitCode> {
    match args.command {
        RulesCommand::Test { dir, quiet } => test(dir, quiet),
        RulesCommand::Lint { dir, data, time } => lint_cmd(dir, data, &time),
        RulesCommand::Coverage { dir } => coverage(dir),
    }
}

fn coverage(dir: Option<PathBuf>) -> Result<ExitCode> {
    let dir = match dir.or_else(|| default_dir("rules")) {
        Some(d) => d,
        None => bail!("no rules: there is no `rules/` folder here; name the folder to check"),
    };
    let (rules, problems) = rules_in(Some(dir.clone()))?;
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("error: {p}");
        }
        bail!(
            "{} rule file(s) did not load; fix them before writing the coverage",
            problems.len()
        );
    }
    let md = trailhunt_rules::coverage::coverage_markdown(&rules, &dir);
    crate::util::stdout().write_all(md.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn test(dir: Option<PathBuf>, quiet: bool) -> Result<ExitCode> {
    let (rules, problems) = rules_in(dir)?;
    let mut out = crate::util::stdout();
    for p in &problems {
        writeln!(out, "FAILED: {p}")?;
    }
    let outcomes = run_tests(&rules, &EngineRunner { threads: 1 });
    let mut failed = problems.len();
    for o in &outcomes {
        if !o.passed {
            failed += 1;
            let at = o.line.map(|l| format!(":{l}")).unwrap_or_default();
            writeln!(out, "{o} ({}{at})", o.path.display())?;
        } else if !quiet {
            writeln!(out, "{o}")?;
        }
    }
    let passed = outcomes.iter().filter(|o| o.passed).count();
    writeln!(
        out,
        "{passed} passed, {failed} failed ({} rules)",
        rules.len()
    )?;
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn lint_cmd(dir: Option<PathBuf>, data: Vec<String>, time: &TimeArgs) -> Result<ExitCode> {
    let range = time.range()?;
    let (rules, mut problems) = rules_in(dir)?;
    let data = if data.is_empty() {
        default_dir("examples/data")
            .map(|d| vec![d.display().to_string()])
            .unwrap_or_default()
    } else {
        data
    };
    let engine = if data.is_empty() {
        let _ = writeln!(
            crate::util::notes(),
            "note: no sample data (no examples/data here, no --data): queries are parsed, not planned"
        );
        None
    } else {
        let options = LoadOptions {
            from: range.from,
            to: range.to,
            ..LoadOptions::default()
        };
        let listing = trailhunt_source::Listing::new(&discover(&data)?, Vec::new());
        let loaded = trailhunt_source::load(&listing, &options, None)?;
        Some(Engine::new(loaded, 0)?)
    };
    for rule in &rules {
        let own = engine.as_ref().and_then(|_| tests_engine(rule));
        let check = |q: &str| match (&engine, &own) {
            (Some(e), Some(o)) => planner_check_any(&[e, o], q),
            (Some(e), None) => planner_check(e, q),
            _ => Ok(()),
        };
        // A path that is neither a CloudTrail field nor in the data (the sample, or the
        // rule's own test records) is an error: most likely a typo, and the planner
        // check says so, with a "did you mean" when a known path is close.
        problems.extend(lint(rule, Some(&check)));
    }
    let mut out = crate::util::stdout();
    for p in &problems {
        writeln!(out, "{p}")?;
    }
    let errors = problems.iter().filter(|p| p.is_error()).count();
    writeln!(
        out,
        "{} rules, {errors} errors, {} warnings",
        rules.len(),
        problems.len() - errors
    )?;
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
