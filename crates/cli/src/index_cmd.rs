//! `trailhunt index`: parse CloudTrail sources once into the Parquet cache, incrementally;
//! `--status` says what is cached and what is stale.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use trailhunt_source::cache::write::{IndexOptions, index, status};

use crate::load_cmd::{InputArgs, SummaryFormat, print_problems};

pub const EXAMPLES: &str = "Examples:
  trailhunt index examples/data --cache /tmp/th-cache
  trailhunt query --cache /tmp/th-cache 'eventName=GetObject | count' examples/data
  TRAILHUNT_CACHE=/tmp/th-cache trailhunt repl examples/data
  trailhunt index --status examples/data --cache /tmp/th-cache

A second run indexes only what is new or changed (by size and modification time, or
ETag for S3 objects) and drops entries of files that are gone. Queries given --cache read
every source with a fresh entry from the cache and the rest from their JSON, in one scan.";

#[derive(Args, Debug)]
pub struct IndexArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Say what the cache holds of the inputs (fresh, stale, missing) instead of indexing.
    #[arg(long)]
    status: bool,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Table)]
    format: SummaryFormat,
}

fn cache_dir(input: &InputArgs) -> Result<PathBuf> {
    input.cache_dir().ok_or_else(|| {
        anyhow::anyhow!(
            "index needs a cache folder: --cache DIR (or TRAILHUNT_CACHE=DIR, or `cache` in the config file)"
        )
    })
}

pub fn run(args: IndexArgs) -> Result<ExitCode> {
    let dir = cache_dir(&args.input)?;
    // The listing without the cache: indexing reads the JSON.
    let mut input = args.input;
    input.no_cache = true;
    let listing = input.listing(None, None)?;
    let mut out = crate::util::stdout();
    let remote = crate::load_cmd::remote_cache(&dir, input.endpoint.as_deref())?;
    if args.status {
        let cache = crate::load_cmd::open_cache(&dir, None, input.endpoint.as_deref())?;
        let s = status(&cache, &listing);
        match args.format {
            SummaryFormat::Json => serde_json::to_writer_pretty(&mut out, &s)?,
            SummaryFormat::Table => {
                writeln!(out, "cache {}", dir.display())?;
                writeln!(
                    out,
                    "  fresh      {} files, {} events",
                    s.fresh, s.fresh_events
                )?;
                writeln!(
                    out,
                    "  stale      {} files (changed since indexed)",
                    s.stale.len()
                )?;
                writeln!(out, "  missing    {} files (not indexed)", s.missing.len())?;
                if s.not_cacheable > 0 {
                    writeln!(out, "  uncachable {} (standard input)", s.not_cacheable)?;
                }
                writeln!(
                    out,
                    "  manifest   {} entries, {} chunks, {:.1} MB; {} entries of files that are gone",
                    s.entries,
                    s.chunks,
                    s.cache_bytes as f64 / 1e6,
                    s.gone.len()
                )?;
                for f in s.stale.iter().take(10) {
                    writeln!(out, "  stale: {f}")?;
                }
                for f in s.missing.iter().take(10) {
                    writeln!(out, "  missing: {f}")?;
                }
                let more =
                    (s.stale.len().saturating_sub(10)) + (s.missing.len().saturating_sub(10));
                if more > 0 {
                    writeln!(out, "  … and {more} more (--format json lists them all)")?;
                }
            }
        }
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut options = IndexOptions {
        threads: input.threads,
        max_file_bytes: input.max_file_size,
        remote: None,
        listed_prefixes: input
            .paths
            .iter()
            .filter(|p| p.starts_with("s3://") && !p.contains(['*', '?']))
            .cloned()
            .collect(),
    };
    // A cache on S3 is indexed through its local mirror, then uploaded.
    let rt = crate::util::io_runtime();
    let (folder, present) = match &remote {
        Some(r) => {
            let present = rt.block_on(r.objects())?;
            rt.block_on(r.pull(None))?;
            options.remote = Some(present.clone());
            (r.mirror().to_path_buf(), present)
        }
        None => (dir.clone(), Default::default()),
    };
    let summary = crate::progress::with_progress(|p| index(&folder, &listing, &options, p))?;
    if let Some(r) = &remote {
        let cache = trailhunt_source::cache::Cache::open(&folder)?;
        rt.block_on(r.push(cache.manifest(), &present))?;
    }
    print_problems(&summary.problems, &mut crate::util::notes())?;
    match args.format {
        SummaryFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &summary)?;
            writeln!(out)?;
        }
        SummaryFormat::Table => {
            writeln!(
                out,
                "indexed into {}: {} new, {} changed, {} unchanged, {} removed{}{}",
                dir.display(),
                summary.new,
                summary.changed,
                summary.unchanged,
                summary.removed,
                match summary.not_cached {
                    0 => String::new(),
                    n => format!(", {n} not cached"),
                },
                match summary.repaired {
                    0 => String::new(),
                    n => format!(" ({n} damaged chunks dropped, their files indexed again)"),
                }
            )?;
            writeln!(
                out,
                "{} events from {:.1} MB in {:.2} s; wrote {:.1} MB; cache now {:.1} MB",
                summary.events,
                summary.bytes_read as f64 / 1e6,
                summary.seconds,
                summary.bytes_written as f64 / 1e6,
                summary.cache_bytes as f64 / 1e6
            )?;
        }
    }
    out.flush()?;
    if input.strict && !summary.problems.is_empty() {
        anyhow::bail!(
            "--strict: {} file(s) were skipped or only partly indexed (see the warnings above)",
            summary.problems.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
