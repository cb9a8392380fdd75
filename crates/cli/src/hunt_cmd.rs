//! `trailhunt hunt`: run every rule and print one ranked report per entity.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use trailhunt_hunt::{hunt, render};

use crate::detect_cmd::{RuleArgs, detect};
use crate::load_cmd::InputArgs;
use crate::util::TimeArgs;

pub const EXAMPLES: &str = "Examples:
  trailhunt hunt examples/data
  trailhunt hunt AWSLogs/ --format html --out report.html
  trailhunt hunt logs/ --format json | jq '.[0] | {entity_id, score, tactics}'
  trailhunt hunt AWSLogs/ --since 7d --top 10
  cat trail/*.json | trailhunt hunt

Score = (sum of severity weights of the distinct rules that hit the entity:
Informational 1, Low 2, Medium 4, High 8, Critical 16, Fatal 32)
x (number of distinct ATT&CK tactics among them).

With --since/--from/--to only the events in that range are loaded. Without a PATH,
events are read from standard input when it is a pipe or a file.

Exit status: 0 when some entity was hit, 1 when none, 2 on error.";

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum HuntFormat {
    Table,
    Json,
    Html,
}

#[derive(Args, Debug)]
pub struct HuntArgs {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    time: TimeArgs,
    #[command(flatten)]
    rules: RuleArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = HuntFormat::Table)]
    format: HuntFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Only the N highest-ranked entities.
    #[arg(long, value_name = "N")]
    top: Option<usize>,
}

pub fn run(args: HuntArgs) -> Result<ExitCode> {
    let crate::detect_cmd::Detected { hits, failed, .. } =
        detect(&args.input, &args.time, &args.rules, 3)?;
    let mut reports = hunt(&hits);
    if let Some(n) = args.top {
        reports.truncate(n);
    }
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(crate::util::stdout()),
    };
    match args.format {
        HuntFormat::Table => render::write_reports_text(&reports, &mut out)?,
        HuntFormat::Json => render::write_reports_json(&reports, &mut out)?,
        HuntFormat::Html => {
            let title = format!("trailhunt hunt: {}", args.input.paths.join(" "));
            render::write_html(&reports, &title, &mut out)?
        }
    }
    out.flush()?;
    Ok(ExitCode::from(match (failed, reports.is_empty()) {
        (true, _) => 2,
        (false, false) => 0,
        (false, true) => 1,
    }))
}
