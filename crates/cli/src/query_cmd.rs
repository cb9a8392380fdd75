//! `trailhunt query` and `trailhunt explain`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use trailhunt_engine::{Engine, StreamOptions};
use trailhunt_print::{BatchWriter, Format, TableOptions};

use crate::load_cmd::InputArgs;
pub use crate::util::TimeArgs;
use crate::util::parse_size;

pub const QUERY_EXAMPLES: &str = "Examples:
  trailhunt query 'eventName=ConsoleLogin errorMessage:\"Failed authentication\"' examples/data
  trailhunt query '* | groupbycount eventSource, eventName | head 20' examples/data
  trailhunt query -f hunt.thq AWSLogs/ --since 24h --format csv > out.csv
  trailhunt query 'userIdentity.type=Root | table timestamp, eventName, sourceIPAddress' logs/ | jq .
  zcat events.json.gz | trailhunt query 'eventName=GetSecretValue' - --format csv
  cat trail/*.json | trailhunt query '* | groupbycount eventName'
  if trailhunt query 'eventName=StopLogging' logs/ > hits.ndjson; then echo found; fi

Without a PATH, events are read from standard input when it is a pipe or a file.

Exit status: 0 when rows were returned, 1 when none, 2 on error.";

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutFormat {
    Table,
    Json,
    Ndjson,
    Csv,
    Tsv,
}

impl From<OutFormat> for Format {
    fn from(f: OutFormat) -> Self {
        match f {
            OutFormat::Table => Format::Table,
            OutFormat::Json => Format::Json,
            OutFormat::Ndjson => Format::Ndjson,
            OutFormat::Csv => Format::Csv,
            OutFormat::Tsv => Format::Tsv,
        }
    }
}

/// QUERY is required unless `-f` gives it, so clap would show it as optional (`[QUERY]`):
/// the usage and the help say it is required.
pub const QUERY_USAGE: &str = "trailhunt query [OPTIONS] <QUERY> [PATH]...\n       trailhunt query [OPTIONS] -f <FILE> [PATH]...";
pub const QUERY_HELP: &str = "\
{about-with-newline}
{usage-heading} {usage}

Arguments:
  <QUERY>    The query (or give it in a file with -f FILE)
{positionals}

Options:
{options}{after-help}";

#[derive(Args, Debug)]
pub struct QueryArgs {
    /// The query (shown in `QUERY_HELP`).
    #[arg(value_name = "QUERY", required_unless_present = "file", hide = true)]
    query: Option<String>,
    /// Read the query from a file.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<std::path::PathBuf>,
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    time: TimeArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    engine: EngineArgs,
}

/// How much memory a query may hold, and where it spills the rest.
#[derive(Args, Debug, Clone, Default)]
pub struct EngineArgs {
    /// The memory sorts, aggregations and joins may hold (e.g. `2GiB`); past it they
    /// spill to disk, or the query fails naming the operator [default: unbounded].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<u64>,
    /// Where spill files go [default: the system's temporary folder].
    #[arg(long, value_name = "DIR")]
    pub temp_dir: Option<std::path::PathBuf>,
}

impl EngineArgs {
    /// A streaming engine over `input` (S3 prefixes listed for `range`).
    pub fn open(&self, input: &InputArgs, range: trailhunt_engine::TimeRange) -> Result<Engine> {
        Engine::open(
            input.listing(range.from, range.to)?,
            StreamOptions {
                threads: input.threads,
                window: input.window_mode()?,
                max_file_bytes: input.max_file_size,
                memory_limit: self.memory_limit.map(|m| m as usize),
                temp_dir: self.temp_dir.clone(),
            },
        )
        .map_err(|e| anyhow::anyhow!("{e}"))
    }
}

impl QueryArgs {
    /// With `-f`, the first positional argument is a path, not the query.
    fn split(mut self) -> Result<(String, QueryArgs)> {
        let text = match &self.file {
            Some(f) => {
                if let Some(q) = self.query.take() {
                    self.input.paths.insert(0, q);
                }
                std::fs::read_to_string(f)
                    .with_context(|| format!("cannot read the query file {}", f.display()))?
            }
            None => self.query.take().unwrap_or_default(),
        };
        Ok((text, self))
    }
}

pub fn run(args: QueryArgs) -> Result<ExitCode> {
    let (text, args) = args.split()?;
    run_text_with(&text, &args.input, &args.time, &args.output, &args.engine)
}

/// The output flags shared by `query` and `library run`.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Output format (default: table on a terminal, ndjson otherwise).
    #[arg(long, value_enum)]
    pub format: Option<OutFormat>,
    /// CSV/TSV: one column per nested leaf (`requestParameters.bucketName`,
    /// `resources[0].ARN`) instead of one column of JSON text per top-level field.
    #[arg(long)]
    pub flatten: bool,
    /// Write the results to FILE instead of standard output. The file appears whole or
    /// not at all: a query that fails leaves FILE as it was.
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
}

/// Check `text`, load the input, run, print to stdout; the exit status says whether
/// rows came back (0), none did (1), or something failed (2).
pub fn run_text(
    text: &str,
    input: &InputArgs,
    time: &TimeArgs,
    output: &OutputArgs,
) -> Result<ExitCode> {
    run_text_with(text, input, time, output, &EngineArgs::default())
}

/// [`run_text`] with memory options.
pub fn run_text_with(
    text: &str,
    input: &InputArgs,
    time: &TimeArgs,
    output: &OutputArgs,
    engine_args: &EngineArgs,
) -> Result<ExitCode> {
    // Check the query before loading anything: a typo should not cost a load.
    let query = match trailhunt_lang::parse_query(text) {
        Ok(q) => q,
        Err(d) => {
            eprint!("{}", d.render(text));
            return Ok(ExitCode::from(2));
        }
    };
    let range = time.range()?;
    // The files are read as a stream, only what this query needs of them (see
    // `trailhunt_engine::pushdown` and `trailhunt_source`).
    let engine = engine_args.open(input, range)?;
    let start = std::time::Instant::now();
    // Rows print as the scan reads when the query allows it (see
    // `trailhunt_engine::QueryStream`); `--strict` must see every file's report before the
    // first row, so it runs the query to the end first.
    let stream = if input.strict {
        engine.stream_collected(&query, range)
    } else {
        engine.stream_query(&query, range)
    };
    let mut stream = match stream {
        Ok(s) => s,
        Err(e) => {
            eprint!("{}", e.render(text));
            return Ok(ExitCode::from(2));
        }
    };
    if !stream.streamed {
        input.check_files(&stream.scan.files())?;
    }
    // Paths no event has matched nothing: say so on stderr, stdout stays the results.
    write!(
        crate::util::notes(),
        "{}",
        trailhunt_engine::render_warnings(text, &stream.warnings)
    )?;
    // With --out, rows go to a file beside FILE, renamed onto it once all are written.
    let mut file = match &output.out {
        Some(p) => Some(AtomicFile::create(p)?),
        None => None,
    };
    let terminal = file.is_none() && std::io::stdout().is_terminal();
    // --format, else the config file's, else by where the rows go.
    let format = output.format.or(crate::config::get().format);
    let format = format.map(Format::from).unwrap_or(if terminal {
        Format::Table
    } else {
        Format::Ndjson
    });
    let sink: Box<dyn Write + '_> = match &mut file {
        Some(f) => Box::new(f),
        None => Box::new(crate::util::stdout()),
    };
    let mut w = std::io::BufWriter::new(sink);
    let schema = stream.schema.clone();
    let mut out =
        BatchWriter::new(format, &schema, engine.catalog(), &mut w)?.flatten(output.flatten);
    if terminal {
        // On a terminal the table fits its width; every row is still printed.
        out = out.table_options(TableOptions {
            max_width: terminal_size::terminal_size().map(|(w, _)| w.0 as usize),
            ..TableOptions::default()
        });
    }
    while let Some(batch) = stream.next_batch() {
        match batch {
            // A closed pipe ends the loop with its error; dropping the stream stops the
            // scan.
            Ok(b) => out.write(&b)?,
            Err(e) => {
                drop(out);
                w.flush()?;
                eprint!("{}", e.render(text));
                return Ok(ExitCode::from(2));
            }
        }
    }
    let rows = out.finish()?;
    w.flush()?;
    drop(w);
    if let Some(f) = file {
        f.commit()?;
    }
    if stream.streamed {
        input.check_files(&stream.scan.files())?;
    }
    if format == Format::Table {
        writeln!(
            crate::util::notes(),
            "{rows} row{} in {:.3}s",
            if rows == 1 { "" } else { "s" },
            start.elapsed().as_secs_f64()
        )?;
    }
    Ok(if rows > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A file written beside its destination and renamed onto it by [`AtomicFile::commit`]
/// (dropped uncommitted, it is removed): readers never see half the results. Write
/// errors name the destination.
pub struct AtomicFile {
    dest: std::path::PathBuf,
    tmp: std::path::PathBuf,
    file: Option<std::fs::File>,
}

impl AtomicFile {
    pub fn create(dest: &std::path::Path) -> Result<Self> {
        let name = dest
            .file_name()
            .with_context(|| format!("--out {}: not a file name", dest.display()))?;
        let dir = dest.parent().filter(|p| !p.as_os_str().is_empty());
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{}.tmp", std::process::id()));
        let tmp = dir.map_or_else(|| tmp_name.clone().into(), |d| d.join(&tmp_name));
        if let Some(d) = dir
            && !d.is_dir()
        {
            anyhow::bail!(
                "cannot write {}: there is no folder {}; create it first",
                dest.display(),
                d.display()
            );
        }
        let file = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot write {}", dest.display()))?;
        Ok(AtomicFile {
            dest: dest.to_path_buf(),
            tmp,
            file: Some(file),
        })
    }

    fn named(&self, e: std::io::Error) -> std::io::Error {
        std::io::Error::new(
            e.kind(),
            format!("cannot write {}: {e}", self.dest.display()),
        )
    }

    /// Put the file in place of the destination.
    pub fn commit(mut self) -> Result<()> {
        if let Some(f) = self.file.take() {
            f.sync_all().map_err(|e| self.named(e))?;
        }
        std::fs::rename(&self.tmp, &self.dest)
            .with_context(|| format!("cannot write {}", self.dest.display()))?;
        Ok(())
    }
}

impl Write for &mut AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = match self.file.as_mut() {
            Some(f) => f.write(buf),
            None => Ok(0),
        };
        r.map_err(|e| self.named(e))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let r = match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        };
        r.map_err(|e| self.named(e))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The query to explain.
    #[arg(value_name = "QUERY")]
    query: String,
    /// Data to plan against (the logical and physical plans need its columns). Without
    /// it, only the parsed query is shown.
    #[arg(value_name = "PATH")]
    paths: Vec<String>,
    #[command(flatten)]
    time: TimeArgs,
    /// The S3 endpoint for `s3://` inputs.
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// Read the sources cached in DIR from there (see `trailhunt index`).
    #[arg(long, value_name = "DIR", env = "TRAILHUNT_CACHE")]
    cache: Option<std::path::PathBuf>,
    /// Run the query and show each operator's metrics (rows, time; the scan's files,
    /// bytes and rows per partition).
    #[arg(long)]
    analyze: bool,
    #[command(flatten)]
    engine: EngineArgs,
}

pub fn explain(args: ExplainArgs) -> Result<ExitCode> {
    let text = args.query;
    let range = args.time.range()?;
    let mut out = crate::util::stdout();
    if args.paths.is_empty() {
        return match trailhunt_lang::explain(&text) {
            Ok(s) => {
                write!(out, "{s}")?;
                Ok(ExitCode::SUCCESS)
            }
            Err(d) => {
                eprint!("{}", d.render(&text));
                Ok(ExitCode::from(2))
            }
        };
    }
    if let Err(d) = trailhunt_lang::parse_query(&text) {
        eprint!("{}", d.render(&text));
        return Ok(ExitCode::from(2));
    }
    let input = InputArgs {
        paths: args.paths,
        window_events: 60,
        session_gap: None,
        strict: false,
        threads: 0,
        max_file_size: trailhunt_cloudtrail::DEFAULT_MAX_FILE_BYTES,
        endpoint: args.endpoint,
        cache: args.cache,
        no_cache: false,
    };
    let engine = args.engine.open(&input, range)?;
    let shown = if args.analyze {
        engine.explain_analyze(&text, range)
    } else {
        engine.explain(&text, range)
    };
    match shown {
        Ok(s) => {
            writeln!(out, "{s}")?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprint!("{}", e.render(&text));
            Ok(ExitCode::from(2))
        }
    }
}
