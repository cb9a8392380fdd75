//! `trailhunt sigma convert`: turn a Sigma rule into a trailhunt rule.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use trailhunt_rules::sigma::convert;

pub const EXAMPLES: &str = "Examples:
  trailhunt sigma convert aws_cloudtrail_disable_logging.yml
  trailhunt sigma convert aws_cloudtrail_disable_logging.yml --yaml > rules/defense_evasion/x.yml

A rule that uses a construct with no equivalent (regular expressions beyond
literal alternations, aggregations, `near`, encoding modifiers…) is refused with
the construct named (exit 2).";

#[derive(Args, Debug)]
pub struct SigmaArgs {
    #[command(subcommand)]
    command: SigmaCommand,
}

#[derive(Subcommand, Debug)]
enum SigmaCommand {
    /// Print the query equivalent to a Sigma rule.
    Convert {
        /// The Sigma rule (YAML).
        rule: PathBuf,
        /// Print a whole rule file (author, references and Sigma id kept) instead.
        #[arg(long)]
        yaml: bool,
    },
}

pub fn run(args: SigmaArgs) -> Result<ExitCode> {
    let SigmaCommand::Convert { rule, yaml } = args.command;
    let text = std::fs::read_to_string(&rule)
        .with_context(|| format!("cannot read {}", rule.display()))?;
    let converted = match convert(&text) {
        Ok(c) => c,
        Err(e) => bail!("{}: not converted: {e}", rule.display()),
    };
    let mut out = crate::util::stdout();
    if yaml {
        write!(out, "{}", converted.to_rule_yaml())?;
    } else {
        writeln!(out, "{}", converted.query_text)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
