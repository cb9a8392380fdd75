//! `trailhunt`: parse the command line and dispatch; the work lives in the library crates.

mod columns_cmd;
mod config;
mod detect_cmd;
mod generate_cmd;
mod hunt_cmd;
mod index_cmd;
mod library;
mod library_cmd;
mod load_cmd;
mod progress;
mod query_cmd;
mod repl;
mod rules_cmd;
mod sigma_cmd;
mod util;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Hunt through AWS CloudTrail logs with a pipe query language.
#[derive(Parser)]
#[command(name = "trailhunt", version = version(), about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    global: GlobalArgs,
}

/// Flags every command takes, before or after its name.
#[derive(clap::Args, Debug)]
struct GlobalArgs {
    /// No warnings, notes or progress on standard error (errors still print).
    #[arg(short, long, global = true)]
    quiet: bool,
    /// When to colour the output: auto (on a terminal, unless NO_COLOR is set), always
    /// or never.
    #[arg(long, value_name = "WHEN", value_enum, global = true)]
    color: Option<util::ColorWhen>,
    /// The zone times are printed in: UTC, local, or an offset like +02:00 (record
    /// fields such as eventTime print as the record holds them).
    #[arg(
        long,
        value_name = "ZONE",
        global = true,
        default_value = "UTC",
        allow_hyphen_values = true,
        value_parser = trailhunt_cloudtrail::time::parse_zone
    )]
    tz: trailhunt_cloudtrail::time::Zone,
}

/// `0.1.0 (commit 1a2b3c4, built 2026-12-01)`: what build.rs found (`unknown` outside
/// a git checkout, e.g. a source tarball).
fn version() -> &'static str {
    concat!(
        env!("CARGO_PKG_VERSION"),
        " (commit ",
        env!("TRAILHUNT_COMMIT"),
        ", built ",
        env!("TRAILHUNT_BUILD_DATE"),
        ")"
    )
}

#[derive(Subcommand)]
enum Command {
    /// Load CloudTrail logs and print what was found: files, records, skipped files,
    /// time range, entities and windows.
    #[command(after_help = load_cmd::EXAMPLES)]
    Load(load_cmd::LoadArgs),
    /// Parse CloudTrail sources once into a Parquet cache that later commands read
    /// instead of the JSON (incremental: a second run indexes only what changed).
    #[command(after_help = index_cmd::EXAMPLES)]
    Index(index_cmd::IndexArgs),
    /// Write a realistic synthetic CloudTrail tree (S3 delivery layout, gzipped) with
    /// planted attack stories, for trying trailhunt out and for benchmarks.
    #[command(after_help = generate_cmd::EXAMPLES)]
    Generate(generate_cmd::GenerateArgs),
    /// Run a query over CloudTrail logs and print the results.
    #[command(
        after_help = query_cmd::QUERY_EXAMPLES,
        override_usage = query_cmd::QUERY_USAGE,
        help_template = query_cmd::QUERY_HELP
    )]
    Query(query_cmd::QueryArgs),
    /// Show how a query is parsed (and, given data, its logical and physical plans).
    #[command(
        after_help = "Examples:\n  trailhunt explain 'eventName=(StopLogging DeleteTrail) | groupbycount userIdentity.arn'\n  trailhunt explain '* | stats count() by eventSource' examples/data"
    )]
    Explain(query_cmd::ExplainArgs),
    /// List the paths the data holds, with their types and how many events hold each
    /// (as the REPL's \columns).
    #[command(after_help = columns_cmd::EXAMPLES)]
    Columns(columns_cmd::ColumnsArgs),
    /// Load logs once, then query them interactively (history, completion, \top, \save).
    #[command(after_help = repl::EXAMPLES)]
    Repl(repl::ReplArgs),
    /// List, show and run saved queries (YAML files in the rule format).
    #[command(after_help = library_cmd::EXAMPLES)]
    Library(library_cmd::LibraryArgs),
    /// Run detection rules over CloudTrail history, as if they had run on schedule,
    /// and print each hit with its entities, windows and matching rows.
    #[command(after_help = detect_cmd::EXAMPLES)]
    Detect(detect_cmd::DetectArgs),
    /// Run every rule and print one ranked report per entity (table, JSON or HTML).
    #[command(after_help = hunt_cmd::EXAMPLES)]
    Hunt(hunt_cmd::HuntArgs),
    /// Test and lint detection rules.
    #[command(after_help = rules_cmd::EXAMPLES)]
    Rules(rules_cmd::RulesArgs),
    /// Convert Sigma rules for CloudTrail.
    #[command(after_help = sigma_cmd::EXAMPLES)]
    Sigma(sigma_cmd::SigmaArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  trailhunt completions bash > ~/.local/share/bash-completion/completions/trailhunt\n  trailhunt completions zsh > ~/.zfunc/_trailhunt\n  trailhunt completions fish > ~/.config/fish/completions/trailhunt.fish"
    )]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): of trailhunt, or of one of its commands.
    #[command(
        after_help = "Examples:\n  trailhunt man | man -l -\n  trailhunt man > ~/.local/share/man/man1/trailhunt.1\n  trailhunt man query > ~/.local/share/man/man1/trailhunt-query.1"
    )]
    Man {
        /// A command's page (`trailhunt-query(1)`) instead of trailhunt's.
        #[arg(value_name = "COMMAND")]
        command: Option<String>,
    },
}

fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let config = match config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    // --color, else NO_COLOR (which `auto` honours), else the config file, else auto.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = util::color_flag(&args)
        .or(config.color.filter(|_| !no_color))
        .unwrap_or_default();
    util::set_color(color);
    let matches = Cli::command()
        .color(util::clap_color(color))
        .get_matches_from(args);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    util::set_quiet(cli.global.quiet);
    trailhunt_cloudtrail::time::set_display_zone(cli.global.tz);
    let result = match cli.command {
        Command::Load(args) => load_cmd::run(args),
        Command::Generate(args) => generate_cmd::run(args),
        Command::Index(args) => index_cmd::run(args),
        Command::Query(args) => query_cmd::run(args),
        Command::Explain(args) => query_cmd::explain(args),
        Command::Columns(args) => columns_cmd::run(args),
        Command::Repl(args) => repl::run(args),
        Command::Library(args) => library_cmd::run(args),
        Command::Detect(args) => detect_cmd::run(args),
        Command::Hunt(args) => hunt_cmd::run(args),
        Command::Rules(args) => rules_cmd::run(args),
        Command::Sigma(args) => sigma_cmd::run(args),
        Command::Completions { shell } => completions(shell),
        Command::Man { command } => man(command.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // `trailhunt … | head`: the reader has what it wanted.
            if util::stdout_closed(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    use clap::CommandFactory;
    // Into memory first: the generator panics when its writer fails (`| head`).
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "trailhunt", &mut buf);
    let mut out = util::stdout();
    std::io::Write::write_all(&mut out, &buf)?;
    std::io::Write::flush(&mut out)?;
    Ok(ExitCode::SUCCESS)
}

fn man(command: Option<&str>) -> anyhow::Result<ExitCode> {
    use clap::CommandFactory;
    let mut top = Cli::command();
    top.build();
    let (page, title) = match command {
        None => (top, "trailhunt".to_string()),
        Some(name) => {
            let Some(sub) = top.find_subcommand(name) else {
                let names: Vec<&str> = top
                    .get_subcommands()
                    .map(|c| c.get_name())
                    .filter(|n| *n != "help")
                    .collect();
                let guess = trailhunt_lang::suggest::did_you_mean(name, &names)
                    .map_or_else(String::new, |s| format!("did you mean `{s}`? "));
                anyhow::bail!(
                    "no command `{name}`; {guess}the commands are: {}",
                    names.join(", ")
                );
            };
            // Named as man knows it: trailhunt-query(1) (clap takes a 'static name; the
            // process prints one page and ends).
            let full: &'static str = Box::leak(format!("trailhunt-{}", sub.get_name()).into());
            let page = sub
                .clone()
                .name(full)
                .display_name(format!("trailhunt {}", sub.get_name()));
            (page, full.to_string())
        }
    };
    let mut buf = Vec::new();
    clap_mangen::Man::new(page)
        .title(title)
        .source(format!("trailhunt {}", version()))
        .render(&mut buf)?;
    let mut out = util::stdout();
    std::io::Write::write_all(&mut out, &buf)?;
    std::io::Write::flush(&mut out)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
