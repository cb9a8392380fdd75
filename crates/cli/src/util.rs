//! Small helpers shared by the subcommands.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// `-q/--quiet`: no warnings, notes or progress on standard error (errors still print).
static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(q: bool) {
    QUIET.store(q, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// `--color`: when output may carry ANSI colours.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    // On a terminal, unless `NO_COLOR` is set (and not empty). (Not a doc comment: one
    // would make clap lay every command's --help out in its long form.)
    #[default]
    Auto,
    Always,
    Never,
}

static COLOR: std::sync::OnceLock<ColorWhen> = std::sync::OnceLock::new();

/// Set the process's colour choice (once: from `--color`, else the config file).
pub fn set_color(c: ColorWhen) {
    let _ = COLOR.set(c);
}

/// The one decision every coloured output takes: `--color always|never` wins; `auto`
/// colours a terminal unless `NO_COLOR` is set to anything but "" (https://no-color.org).
pub fn colors(choice: ColorWhen, terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    match choice {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => terminal && no_color.is_none_or(|v| v.is_empty()),
    }
}

/// Whether to colour a stream that is (`terminal`) or is not a terminal.
pub fn color_for(terminal: bool) -> bool {
    colors(
        COLOR.get().copied().unwrap_or_default(),
        terminal,
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

/// The same decision for clap's help and errors (clap tells the streams apart itself).
pub fn clap_color(choice: ColorWhen) -> clap::ColorChoice {
    match choice {
        ColorWhen::Always => clap::ColorChoice::Always,
        ColorWhen::Never => clap::ColorChoice::Never,
        ColorWhen::Auto if !colors(choice, true, std::env::var_os("NO_COLOR").as_deref()) => {
            clap::ColorChoice::Never
        }
        ColorWhen::Auto => clap::ColorChoice::Auto,
    }
}

/// `--color WHEN` read before the command line is parsed, so that clap's own help and
/// errors follow it (an invalid WHEN is left for clap to report).
pub fn color_flag(args: &[std::ffi::OsString]) -> Option<ColorWhen> {
    use clap::ValueEnum;
    let mut found = None;
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let Some(a) = a.to_str() else { continue };
        if a == "--" {
            break;
        }
        let value = if a == "--color" {
            it.next().and_then(|v| v.to_str())
        } else if let Some(v) = a.strip_prefix("--color=") {
            Some(v)
        } else {
            continue;
        };
        if let Some(c) = value.and_then(|v| ColorWhen::from_str(v, false).ok()) {
            found = Some(c);
        }
    }
    found
}

/// Print a warning to standard error (not with `--quiet`).
pub fn warn(msg: std::fmt::Arguments) {
    if !quiet() {
        eprintln!("warning: {msg}");
    }
}

/// Where warnings, notes and counts go: standard error, or nowhere with `--quiet`.
pub fn notes() -> Box<dyn Write> {
    if quiet() {
        Box::new(std::io::sink())
    } else {
        Box::new(std::io::stderr().lock())
    }
}

/// Set once a write to standard output met a closed pipe (`trailhunt … | head`).
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Standard output for every command's results. A write that finds the reader gone
/// (`| head -2`) is remembered, so the command ends quietly with 0 however the error
/// travelled up (serde_json, for one, hides the `io::Error` from the error's chain).
pub fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

/// See [`stdout`].
pub struct Stdout(std::io::StdoutLock<'static>);

impl Stdout {
    fn seen<T>(r: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &r
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
        }
        r
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Self::seen(self.0.write(buf))
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        Self::seen(self.0.write_all(buf))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Self::seen(self.0.flush())
    }
}

/// True when the command's failure is standard output closing under it: a write met a
/// closed pipe, or `e` (or its cause) is one.
pub fn stdout_closed(e: &anyhow::Error) -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
        || e.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
                || c.downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
                    == Some(std::io::ErrorKind::BrokenPipe)
        })
}

/// Parse a duration like `30m`, `2h`, `45s`, `1d` into nanoseconds. The unit is
/// required: a bare `30` could mean seconds or minutes.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: i64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a duration; write it like 30m, 2h, 45s or 1d"))?;
    let mult: i64 = match unit.trim() {
        "" => {
            return Err(format!(
                "`{s}` has no unit; add one of s, m, h, d or w (e.g. {s}m for {s} minutes)"
            ));
        }
        "s" | "sec" | "secs" => 1,
        "m" | "min" | "mins" => 60,
        "h" | "hr" | "hrs" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" => 7 * 86_400,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{s}`; use s, m, h, d or w"
            ));
        }
    };
    n.checked_mul(mult)
        .and_then(|v| v.checked_mul(1_000_000_000))
        .ok_or_else(|| format!("`{s}` is too long a duration"))
}

/// The time restriction flags of every command that reads events (LANGUAGE.md §4):
/// one definition, so `query`, `load`, `detect`, `hunt`, `rules lint` and the REPL
/// read and check them alike.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TimeArgs {
    /// Only events from this long ago until now (e.g. `24h`, `7d`, `30m`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, conflicts_with = "from")]
    pub since: Option<i64>,
    /// Only events at or after this time (RFC 3339, e.g. 2024-03-01T00:00:00Z, or a date).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub from: Option<i64>,
    /// Only events before this time (RFC 3339, or a date); must be after --from.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub to: Option<i64>,
}

/// An RFC 3339 time, or a date meaning its midnight UTC, as Unix nanoseconds.
pub fn parse_time(s: &str) -> Result<i64, String> {
    trailhunt_cloudtrail::time::parse_event_time(s)
        .or_else(|| trailhunt_cloudtrail::time::parse_event_time(&format!("{s}T00:00:00Z")))
        .ok_or_else(|| {
            format!("`{s}` is not a time; write it like 2024-03-01T12:00:00Z or 2024-03-01")
        })
}

impl TimeArgs {
    /// The half-open range `[from, to)` the flags select; an error when it is empty
    /// (`--to` not after `--from`, or not after now minus `--since`).
    pub fn range(&self) -> anyhow::Result<trailhunt_engine::TimeRange> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i64);
        let from = self.since.map(|s| now.saturating_sub(s)).or(self.from);
        if let (Some(f), Some(t)) = (from, self.to) {
            check_range(f, t, self.since.is_some())?;
        }
        Ok(trailhunt_engine::TimeRange { from, to: self.to })
    }
}

/// `to` must be after `from` (`from` came from `--since` when `since`).
pub fn check_range(from: i64, to: i64, since: bool) -> anyhow::Result<()> {
    use trailhunt_cloudtrail::time::format_rfc3339;
    if to > from {
        return Ok(());
    }
    let start = if since {
        format!("--since (from {})", format_rfc3339(from))
    } else {
        format!("--from {}", format_rfc3339(from))
    };
    anyhow::bail!(
        "--to {} is not after {start}: the range holds no time; give a --to later than the start",
        format_rfc3339(to)
    )
}

/// The paths to read events from: the ones given, else standard input (`-`) when it
/// is a pipe or a file (`cat *.json | trailhunt query …`), as jq and ripgrep do.
/// The runtime S3 listings run on (it lives as long as the process: the store's
/// connections may be reused by the engine's reads).
pub fn io_runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap_or_else(|e| {
                eprintln!("error: cannot start the I/O threads: {e}");
                std::process::exit(2)
            })
    })
}

pub fn input_paths(paths: &[String]) -> anyhow::Result<Vec<String>> {
    if !paths.is_empty() {
        return Ok(paths.to_vec());
    }
    match stdin_kind() {
        Stdin::Data => Ok(vec!["-".to_string()]),
        Stdin::Terminal => anyhow::bail!(
            "no input: give files or folders of CloudTrail logs, or pipe them to standard input"
        ),
        Stdin::Other => anyhow::bail!(
            "no input: no path was given and standard input is not a pipe or a file; give files or folders of CloudTrail logs, or `-` to read standard input anyway"
        ),
    }
}

enum Stdin {
    /// A pipe, a socket or a redirected file.
    Data,
    Terminal,
    /// Closed, `/dev/null` or another device: reading it would silently find nothing.
    Other,
}

fn stdin_kind() -> Stdin {
    use std::io::IsTerminal;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Stdin::Terminal;
    }
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::FileTypeExt;
        let kind = stdin
            .as_fd()
            .try_clone_to_owned()
            .map(std::fs::File::from)
            .and_then(|f| f.metadata())
            .map(|m| m.file_type());
        match kind {
            Ok(t) if t.is_file() || t.is_fifo() || t.is_socket() => Stdin::Data,
            _ => Stdin::Other,
        }
    }
    #[cfg(not(unix))]
    {
        Stdin::Data
    }
}

/// Parse a size like `4GiB`, `500MiB`, `64k`, `1000` (bytes) into bytes. Units are powers
/// of 1024 however they are spelled (`G`, `GB` and `GiB` are all 2^30).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a size; write it like 4GiB, 500MiB or 100000"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{s}`; use KiB, MiB, GiB or TiB"
            ));
        }
    };
    let v = n
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("`{s}` is too large a size"))?;
    if v == 0 {
        return Err("the size must be more than 0 bytes".into());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::{ColorWhen, color_flag, colors};
    use std::ffi::{OsStr, OsString};

    #[test]
    fn one_colour_decision() {
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        for (choice, terminal, no_color, want) in [
            (ColorWhen::Auto, true, None, true),
            (ColorWhen::Auto, false, None, false),
            (ColorWhen::Auto, true, set, false),
            // NO_COLOR set to "" does not count.
            (ColorWhen::Auto, true, empty, true),
            (ColorWhen::Always, false, set, true),
            (ColorWhen::Never, true, None, false),
        ] {
            assert_eq!(
                colors(choice, terminal, no_color),
                want,
                "{choice:?} {terminal} {no_color:?}"
            );
        }
    }

    #[test]
    fn the_colour_flag_is_found_before_parsing() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            color_flag(&args(&["th", "query", "--color", "never", "x"])),
            Some(ColorWhen::Never)
        );
        assert_eq!(
            color_flag(&args(&["th", "--color=always", "load"])),
            Some(ColorWhen::Always)
        );
        assert_eq!(
            color_flag(&args(&["th", "load", "--color=sometimes"])),
            None
        );
        assert_eq!(
            color_flag(&args(&["th", "query", "--", "--color=always"])),
            None
        );
        assert_eq!(color_flag(&args(&["th", "load"])), None);
    }
}
