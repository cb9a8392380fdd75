//! `trailhunt`: parse the command line and dispatch; the work lives in the library crates.

mod generate_cmd;
mod load_cmd;
mod query_cmd;
mod util;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Hunt through AWS CloudTrail logs with a pipe query language.
#[derive(Parser)]
#[command(name = "trailhunt", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load CloudTrail logs and print what was found: files, records, skipped files,
    /// time range, entities and windows.
    #[command(after_help = load_cmd::EXAMPLES)]
    Load(load_cmd::LoadArgs),
    /// Write a realistic synthetic CloudTrail tree (S3 delivery layout, gzipped) with
    /// planted attack stories, for trying trailhunt out and for benchmarks.
    #[command(after_help = generate_cmd::EXAMPLES)]
    Generate(generate_cmd::GenerateArgs),
    /// Run a query over CloudTrail logs and print the results.
    #[command(after_help = query_cmd::QUERY_EXAMPLES)]
    Query(query_cmd::QueryArgs),
    /// Show how a query is parsed (and, given data, its logical and physical plans).
    #[command(
        after_help = "Examples:\n  trailhunt explain 'eventName=(StopLogging DeleteTrail) | groupbycount userIdentity.arn'\n  trailhunt explain '* | stats count() by eventSource' examples/data"
    )]
    Explain(query_cmd::ExplainArgs),
}

fn main() -> ExitCode {
    util::reset_sigpipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Load(args) => load_cmd::run(args),
        Command::Generate(args) => generate_cmd::run(args),
        Command::Query(args) => query_cmd::run(args),
        Command::Explain(args) => query_cmd::explain(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if util::is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
