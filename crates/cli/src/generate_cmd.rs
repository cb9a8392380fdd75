//! `trailhunt generate`: write a synthetic CloudTrail tree with planted attack stories.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use trailhunt_gen::{GenerateOptions, generate};

pub const EXAMPLES: &str = "Examples:
  trailhunt generate --events 5000 --out /tmp/ct
  trailhunt generate --events 1000000 --out /tmp/ct-1m --seed 7 --hours 72";

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Number of records to write (exactly).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    events: u64,
    /// Folder to write the `AWSLogs/…` tree into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Seed: the same seed writes byte-identical files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Hours of activity the events span.
    #[arg(long, default_value_t = 24)]
    hours: u32,
}

pub fn run(args: GenerateArgs) -> Result<ExitCode> {
    if args.hours == 0 {
        anyhow::bail!("--hours must be at least 1");
    }
    let opts = GenerateOptions {
        events: args.events,
        seed: args.seed,
        hours: args.hours,
        ..GenerateOptions::default()
    };
    let s = generate(&opts, &args.out)
        .with_context(|| format!("cannot write the tree under {}", args.out.display()))?;
    let mut out = crate::util::stdout();
    writeln!(
        out,
        "wrote {} events in {} log files ({:.1} MB gzip, {:.1} MB JSON) and {} digest files under {}",
        s.events,
        s.files,
        s.bytes_gz as f64 / 1e6,
        s.bytes_json as f64 / 1e6,
        s.digest_files,
        args.out.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
