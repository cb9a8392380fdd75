//! `trailhunt load`: load logs and print the load summary.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};
use tabled::builder::Builder as TableBuilder;
use tabled::settings::Style;
use trailhunt_cloudtrail::{Dataset, FileReport, LoadOptions, LoadReport, WindowMode, discover};

use crate::util::{TimeArgs, input_paths, parse_duration, parse_size};

pub const EXAMPLES: &str = "Examples:
  trailhunt load examples/data
  trailhunt load 'logs/**/*.json.gz' --format json | jq .records
  zcat events.ndjson.gz | trailhunt load
  trailhunt load AWSLogs/ --session-gap 30m --strict
  trailhunt load AWSLogs/ --from 2024-03-01 --to 2024-03-02T12:00:00Z

Without a PATH, events are read from standard input when it is a pipe or a file.";

/// Where the data comes from and how to window it: shared by every command that loads.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Files, folders (read recursively), globs, or `-` for standard input [default:
    /// standard input, when it is a pipe or a file].
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// Events per window when cutting each entity's activity into count windows.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 60,
        conflicts_with = "session_gap"
    )]
    pub window_events: u32,
    /// Cut windows at gaps of inactivity instead (e.g. `30m`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub session_gap: Option<i64>,
    /// Treat any skipped file or dropped content as an error (exit 2).
    #[arg(long)]
    pub strict: bool,
    /// Loader threads (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// The most JSON one file may hold once decompressed (e.g. `8GiB`, `500MiB`): a file
    /// over it — a gzip bomb — is skipped with a warning (an error with --strict).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "4GiB")]
    pub max_file_size: u64,
    /// The S3 endpoint for `s3://` inputs (an S3-compatible server); plain `http://`
    /// also needs AWS_ALLOW_HTTP=true [default: AWS_ENDPOINT_URL, else AWS's].
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Read the sources `trailhunt index` cached in DIR from there (the rest from their
    /// JSON, in the same scan).
    #[arg(long, value_name = "DIR", env = "TRAILHUNT_CACHE")]
    pub cache: Option<std::path::PathBuf>,
    /// Read every source from its JSON, whatever --cache or the config file say (`index`).
    #[arg(skip)]
    pub no_cache: bool,
}

impl InputArgs {
    pub fn options(&self) -> Result<LoadOptions> {
        if self.window_events == 0 {
            anyhow::bail!("--window-events must be at least 1");
        }
        Ok(LoadOptions {
            threads: self.threads,
            max_file_bytes: self.max_file_size,
            window: match self.session_gap {
                Some(g) => WindowMode::Session(g),
                None => WindowMode::Events(self.window_events),
            },
            ..LoadOptions::default()
        })
    }

    /// The window mode the flags ask for.
    pub fn window_mode(&self) -> Result<WindowMode> {
        Ok(self.options()?.window)
    }

    /// The cache to read: --cache, else TRAILHUNT_CACHE, else the config file's.
    pub fn cache_dir(&self) -> Option<std::path::PathBuf> {
        if self.no_cache {
            return None;
        }
        self.cache
            .clone()
            .or_else(|| crate::config::get().cache.clone())
    }

    /// Every input file, for a streaming engine (nothing is read yet): local inputs as
    /// found, `s3://` prefixes listed (only the day folders `[from, to)` allows).
    pub fn listing(&self, from: Option<i64>, to: Option<i64>) -> Result<trailhunt_source::Listing> {
        let paths = input_paths(&self.paths)?;
        let (remote, local): (Vec<String>, Vec<String>) =
            paths.into_iter().partition(|p| p.starts_with("s3://"));
        // Standard input is read once, by the first scan, and kept for later ones (see
        // `trailhunt_source::Listing`).
        let found = self.discover(&local)?;
        let mut objects = Vec::new();
        if !remote.is_empty() {
            use trailhunt_source::s3;
            let config = s3::S3Config::from_env(self.endpoint.as_deref())?;
            for input in &remote {
                let url = s3::S3Url::parse(input)?;
                let store = s3::store(&config, url.bucket())?;
                let listed =
                    crate::util::io_runtime().block_on(s3::list(store.as_ref(), &url, from, to))?;
                if listed.is_empty() {
                    anyhow::bail!(
                        "{input}: no CloudTrail files there{}; check the prefix (e.g. s3://bucket/AWSLogs/)",
                        if from.is_some() || to.is_some() {
                            " in the time range"
                        } else {
                            ""
                        }
                    );
                }
                objects.extend(trailhunt_source::listing::objects(&store, listed));
            }
        }
        let mut listing = trailhunt_source::Listing::new(&found, objects);
        if let Some(dir) = self.cache_dir() {
            let cache = open_cache(&dir, Some(&listing), self.endpoint.as_deref())?;
            listing.cache = Some(std::sync::Arc::new(cache));
        }
        Ok(listing)
    }

    /// The local inputs' files. A folder holding none (empty, or only READMEs and the
    /// like) is a warning naming it, an error with `--strict`: a mistyped or not yet
    /// synced folder should not look like a quiet answer.
    fn discover(&self, local: &[String]) -> Result<trailhunt_cloudtrail::Discovered> {
        let mut found = trailhunt_cloudtrail::Discovered::default();
        for input in local {
            let one = discover(std::slice::from_ref(input))?;
            if one.sources.is_empty() && std::path::Path::new(input).is_dir() {
                let what = format!("no CloudTrail files under {input}");
                if self.strict {
                    anyhow::bail!(
                        "--strict: {what}; point trailhunt at the folder the trail delivers to (…/AWSLogs/)"
                    );
                }
                crate::util::warn(format_args!("{what}"));
            }
            found.sources.extend(one.sources);
            found.ignored.extend(one.ignored);
        }
        Ok(found)
    }

    /// After a query or a load: print the files' problems to stderr, and apply
    /// `--strict` (an error when any file was skipped or only partly read).
    pub fn check_files(&self, files: &[FileReport]) -> Result<()> {
        let bad = print_problems(files, &mut crate::util::notes())?;
        if self.strict && bad > 0 {
            anyhow::bail!(
                "--strict: {bad} file(s) were skipped or only partly loaded ({})",
                if crate::util::quiet() {
                    "run without --quiet to see why"
                } else {
                    "see the warnings above"
                }
            );
        }
        Ok(())
    }

    /// Load the inputs, print warnings to stderr, and apply `--strict`.
    pub fn load(&self) -> Result<Dataset> {
        self.load_with(self.options()?)
    }

    /// [`InputArgs::load`], only the events in `time`'s range (`--since/--from/--to`).
    pub fn load_in(&self, time: &TimeArgs) -> Result<Dataset> {
        let range = time.range()?;
        self.load_with(LoadOptions {
            from: range.from,
            to: range.to,
            ..self.options()?
        })
    }

    /// Load through the data source (local files, stdin and `s3://` inputs alike).
    fn load_with(&self, options: LoadOptions) -> Result<Dataset> {
        let listing = self.listing(options.from, options.to)?;
        let data = crate::progress::load_with_progress(&listing, &options)?;
        self.check_files(&data.report.files)?;
        Ok(data)
    }
}

/// The cache in `dir`, which must exist (a mistyped folder should not silently read
/// every file from its JSON).
pub fn open_cache(
    dir: &std::path::Path,
    listing: Option<&trailhunt_source::Listing>,
    endpoint: Option<&str>,
) -> Result<trailhunt_source::cache::Cache> {
    if let Some(remote) = remote_cache(dir, endpoint)? {
        // The manifest, and the chunks this listing reads that the mirror lacks.
        return Ok(crate::util::io_runtime().block_on(remote.pull(listing))?);
    }
    if !dir.is_dir() {
        anyhow::bail!(
            "--cache {}: no such folder; make the cache first with `trailhunt index PATH... --cache {}`",
            dir.display(),
            dir.display()
        );
    }
    let cache = trailhunt_source::cache::Cache::open(dir)?;
    if let Some(old) = cache.older_format() {
        eprintln!(
            "warning: --cache {}: written by an older trailhunt (cache format {old}); every \
             source is read from its JSON until `trailhunt index … --cache {}` rebuilds it",
            dir.display(),
            dir.display()
        );
    }
    Ok(cache)
}

/// A `--cache s3://bucket/prefix/` as the cache on S3 and its local mirror (under
/// `TRAILHUNT_CACHE_MIRROR`, else the user's cache folder); `None` for a local folder.
pub fn remote_cache(
    spec: &std::path::Path,
    endpoint: Option<&str>,
) -> Result<Option<trailhunt_source::cache::remote::Remote>> {
    use trailhunt_source::cache::remote::{Remote, is_remote};
    let Some(text) = spec.to_str().filter(|t| is_remote(t)) else {
        return Ok(None);
    };
    let root = match std::env::var_os("TRAILHUNT_CACHE_MIRROR") {
        Some(d) => std::path::PathBuf::from(d),
        None => dirs::cache_dir()
            .map(|d| d.join("trailhunt").join("s3"))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "--cache {text}: no cache folder for the local mirror; set TRAILHUNT_CACHE_MIRROR=DIR"
                )
            })?,
    };
    let config = trailhunt_source::s3::S3Config::from_env(endpoint)?;
    Ok(Some(Remote::new(text, &config, &root)?))
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Table,
    Json,
}

#[derive(Args, Debug)]
pub struct LoadArgs {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    time: TimeArgs,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Table)]
    format: SummaryFormat,
}

/// Warnings and rejections, one line each, naming the file; returns how many files had
/// a problem (were skipped or only partly read).
pub fn print_problems(files: &[FileReport], w: &mut impl Write) -> std::io::Result<usize> {
    let mut bad = 0;
    for f in files {
        if f.rejected.is_none() && f.warnings.is_empty() {
            continue;
        }
        bad += 1;
        if let Some(why) = &f.rejected {
            writeln!(w, "warning: skipped {}: {why}", f.path)?;
        }
        for warn in &f.warnings {
            writeln!(w, "warning: {}: {warn}", f.path)?;
        }
    }
    Ok(bad)
}

pub fn run(args: LoadArgs) -> Result<ExitCode> {
    let mut data = args.input.load_in(&args.time)?;
    // The first and last event times in the `--tz` zone.
    for t in [&mut data.report.first_event, &mut data.report.last_event] {
        if let Some(ns) = t
            .as_deref()
            .and_then(trailhunt_cloudtrail::time::parse_event_time)
        {
            *t = Some(trailhunt_cloudtrail::time::format_display(ns));
        }
    }
    let r = &data.report;
    let mut out = crate::util::stdout();
    match args.format {
        SummaryFormat::Json => {
            serde_json::to_writer_pretty(&mut out, r)?;
            writeln!(out)?;
        }
        SummaryFormat::Table => write_table(r, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn write_table(r: &LoadReport, out: &mut impl Write) -> std::io::Result<()> {
    let mb = r.json_bytes as f64 / 1e6;
    let rate = if r.seconds > 0.0 { mb / r.seconds } else { 0.0 };
    let mut t = TableBuilder::default();
    t.push_record(["files loaded", &r.files_loaded.to_string()]);
    let skipped = if r.files_skipped == 0 {
        "0".to_string()
    } else {
        let mut kinds: Vec<String> = Vec::new();
        let mut counts = std::collections::BTreeMap::new();
        for f in &r.files {
            if let Some(k) = &f.rejected_kind {
                *counts.entry(k.clone()).or_insert(0) += 1;
            }
        }
        for (k, n) in counts {
            kinds.push(format!("{n} {k}"));
        }
        format!("{} ({})", r.files_skipped, kinds.join(", "))
    };
    t.push_record(["files skipped", &skipped]);
    t.push_record(["digest/control files", &r.files_without_events.to_string()]);
    t.push_record(["files with warnings", &r.files_with_warnings.to_string()]);
    if !r.ignored.is_empty() {
        t.push_record(["non-log files ignored", &r.ignored.len().to_string()]);
    }
    t.push_record(["records", &r.records.to_string()]);
    if r.records_without_time > 0 {
        t.push_record([
            "records without eventTime",
            &r.records_without_time.to_string(),
        ]);
    }
    let range = match (&r.first_event, &r.last_event) {
        (Some(a), Some(b)) => format!("{a} .. {b}"),
        _ => "-".into(),
    };
    t.push_record(["time range", &range]);
    t.push_record(["entities", &r.entities.to_string()]);
    let mode = match r.window_mode {
        WindowMode::Events(n) => format!("{n} events"),
        WindowMode::Session(g) => format!("{}s inactivity", g / 1_000_000_000),
    };
    t.push_record([format!("windows ({mode})"), r.windows.to_string()]);
    t.push_record([
        "in memory".to_string(),
        format!(
            "{:.1} MB of Arrow arrays ({:.2}× the JSON)",
            r.memory_bytes as f64 / 1e6,
            r.memory_bytes as f64 / (r.json_bytes.max(1)) as f64
        ),
    ]);
    if r.files_outside_range + r.records_outside_range > 0 {
        t.push_record([
            "outside the time range".to_string(),
            format!(
                "{} files not read, {} records dropped",
                r.files_outside_range, r.records_outside_range
            ),
        ]);
    }
    t.push_record([
        "read".to_string(),
        format!(
            "{:.1} MB on disk, {mb:.1} MB JSON in {:.2}s ({rate:.0} MB/s)",
            r.bytes as f64 / 1e6,
            r.seconds
        ),
    ]);
    let mut table = t.build();
    table.with(Style::rounded());
    writeln!(out, "{table}")
}
