//! `trailhunt library list|show|run`: the saved-query library from the shell.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use tabled::builder::Builder as TableBuilder;
use tabled::settings::Style;

use crate::library::Library;
use crate::load_cmd::InputArgs;
use crate::query_cmd::{OutputArgs, TimeArgs, run_text};

pub const EXAMPLES: &str = "Examples:
  trailhunt library --library examples/queries list
  trailhunt library --library examples/queries show root-console-logins
  trailhunt library --library examples/queries run root-console-logins examples/data
  trailhunt library run my-hunt AWSLogs/ --since 7d --format csv > hits.csv

Saved queries are YAML files (the detection-rule format without schedule keys) in
./queries/, in the user's config folder (where the REPL's \\save writes, e.g.
~/.config/trailhunt/queries on Linux), and in every --library DIR.";

#[derive(Args, Debug)]
pub struct LibraryArgs {
    /// Another folder of saved queries (repeatable); searched before the defaults.
    #[arg(long = "library", value_name = "DIR", global = true)]
    pub dirs: Vec<PathBuf>,
    #[command(subcommand)]
    command: LibraryCommand,
}

#[derive(Subcommand, Debug)]
enum LibraryCommand {
    /// List the saved queries: name, description and tags.
    List,
    /// Print one saved query's file.
    Show {
        /// The query's name (its file name without `.yml`).
        name: String,
    },
    /// Run a saved query over CloudTrail logs (same output options as `query`).
    Run {
        /// The query's name (its file name without `.yml`).
        name: String,
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        time: TimeArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
}

pub fn run(args: LibraryArgs) -> Result<ExitCode> {
    let lib = Library::new(&args.dirs);
    match args.command {
        LibraryCommand::List => {
            let (entries, problems) = lib.entries();
            for p in problems {
                crate::util::warn(format_args!("{p}"));
            }
            let mut out = crate::util::stdout();
            if entries.is_empty() {
                writeln!(
                    out,
                    "no saved queries (looked in {}); try --library examples/queries",
                    dirs_list(&lib)
                )?;
                return Ok(ExitCode::from(1));
            }
            let mut t = TableBuilder::default();
            t.push_record(["name", "description", "tags", "from"]);
            for e in &entries {
                t.push_record([
                    e.id.clone(),
                    first_line(&e.rule.description),
                    e.rule.tags.join(", "),
                    e.source(),
                ]);
            }
            let mut table = t.build();
            table.with(Style::sharp());
            writeln!(out, "{table}")?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        LibraryCommand::Show { name } => {
            let e = lib.find(&name)?;
            let text = e.text()?;
            let mut out = crate::util::stdout();
            match e.builtin {
                Some(_) => writeln!(out, "# built-in starter query {}", e.id)?,
                None => writeln!(out, "# {}", e.rule.path.display())?,
            }
            write!(out, "{text}")?;
            if !text.ends_with('\n') {
                writeln!(out)?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        LibraryCommand::Run {
            name,
            input,
            time,
            output,
        } => {
            let e = lib.find(&name)?;
            run_text(&e.rule.query_text, &input, &time, &output)
        }
    }
}

pub fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

fn dirs_list(lib: &Library) -> String {
    lib.dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
