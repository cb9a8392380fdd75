//! One-line progress bars on standard error (loading files, running rules), drawn only
//! on a terminal.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use trailhunt_cloudtrail::{Dataset, LoadError, LoadOptions, Progress};
use trailhunt_source::{Listing, load};

/// Load `listing`, showing files, records, bytes and rate while it runs when standard
/// error is a terminal; nothing otherwise (logs and pipes stay clean).
pub fn load_with_progress(listing: &Listing, opts: &LoadOptions) -> Result<Dataset, LoadError> {
    with_progress(|p| load(listing, opts, p))
}

/// Run `f`, which counts its progress into the [`Progress`] it is given, with the bar on
/// standard error when it is a terminal (`f` gets none otherwise).
pub fn with_progress<T>(f: impl FnOnce(Option<&Progress>) -> T) -> T {
    if !std::io::stderr().is_terminal() || crate::util::quiet() {
        return f(None);
    }
    let progress = Progress::default();
    drawing(
        &|elapsed, width| bar_line(&progress, elapsed, width),
        || f(Some(&progress)),
    )
}

/// How many of how many things are done (rules run, of the rules to run).
#[derive(Default)]
pub struct Counter {
    /// Done so far.
    pub done: AtomicUsize,
    /// All of them.
    pub total: AtomicUsize,
}

/// Run `f`, which counts into the [`Counter`] it is given, with a bar
/// `LABEL [#####     ] 12/40` on standard error when it is a terminal.
pub fn with_counter<T>(label: &str, f: impl FnOnce(&Counter) -> T) -> T {
    let counter = Counter::default();
    if !std::io::stderr().is_terminal() {
        return f(&counter);
    }
    drawing(&|_, width| counter_line(label, &counter, width), || {
        f(&counter)
    })
}

/// `rules [#####               ] 40/158`, cut to `width`.
pub fn counter_line(label: &str, c: &Counter, width: usize) -> String {
    let done = c.done.load(Ordering::Relaxed);
    let total = c.total.load(Ordering::Relaxed).max(1);
    let cells = 20usize;
    let full = ((done.min(total) as f64 / total as f64) * cells as f64) as usize;
    let bar: String = "#".repeat(full) + &" ".repeat(cells - full);
    let line = format!("{label} [{bar}] {done}/{total}");
    line.chars().take(width.saturating_sub(1)).collect()
}

/// Run `f` while a thread redraws `line(elapsed, width)` on standard error (a terminal).
fn drawing<T>(line: &(dyn Fn(Duration, usize) -> String + Sync), f: impl FnOnce() -> T) -> T {
    let done = AtomicBool::new(false);
    let start = Instant::now();
    // How long a load runs before its bar shows (a load that finishes at once should not
    // flash one). `TRAILHUNT_PROGRESS_AFTER_MS=0` always shows it, its final state
    // included (the terminal tests use it: a fast load would otherwise show nothing).
    let after = std::env::var("TRAILHUNT_PROGRESS_AFTER_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(Duration::from_millis(300), Duration::from_millis);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut drawn = false;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                if done.load(Ordering::Relaxed) || start.elapsed() < after {
                    continue;
                }
                let line = line(start.elapsed(), width());
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r{line}\x1b[K");
                let _ = err.flush();
                drawn = true;
            }
            if after.is_zero() {
                let line = line(start.elapsed(), width());
                let _ = write!(std::io::stderr().lock(), "\r{line}\x1b[K");
                drawn = true;
            }
            if drawn {
                let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
            }
        });
        let r = f();
        done.store(true, Ordering::Relaxed);
        r
    })
}

fn width() -> usize {
    terminal_size::terminal_size_of(std::io::stderr())
        .map_or(80, |(w, _)| w.0 as usize)
        .max(20)
}

/// `loading [#####     ] 12/40 files  1.2M records  300.1 MB  85.0 MB/s`, cut to `width`.
pub fn bar_line(p: &Progress, elapsed: Duration, width: usize) -> String {
    let files = p.files.load(Ordering::Relaxed);
    let total = p.total_files.load(Ordering::Relaxed).max(1);
    let records = p.records.load(Ordering::Relaxed);
    let mb = p.bytes.load(Ordering::Relaxed) as f64 / 1e6;
    let secs = elapsed.as_secs_f64().max(1e-3);
    let cells = 20usize;
    let full = ((files.min(total) as f64 / total as f64) * cells as f64) as usize;
    let bar: String = "#".repeat(full) + &" ".repeat(cells - full);
    let line = format!(
        "loading [{bar}] {files}/{total} files  {} records  {mb:.1} MB  {:.1} MB/s",
        human(records),
        mb / secs
    );
    line.chars().take(width.saturating_sub(1)).collect()
}

/// 1234 → `1234`, 1_234_567 → `1.2M`.
fn human(n: u64) -> String {
    match n {
        0..10_000 => n.to_string(),
        10_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_bar_counts_rules() {
        let c = Counter::default();
        c.total.store(8, Ordering::Relaxed);
        c.done.store(2, Ordering::Relaxed);
        assert_eq!(
            counter_line("rules", &c, 200),
            "rules [#####               ] 2/8"
        );
    }

    #[test]
    fn bar_shows_counts_and_rate() {
        let p = Progress::default();
        p.total_files.store(4, Ordering::Relaxed);
        p.files.store(2, Ordering::Relaxed);
        p.records.store(1_500_000, Ordering::Relaxed);
        p.bytes.store(20_000_000, Ordering::Relaxed);
        let line = bar_line(&p, Duration::from_secs(2), 200);
        assert_eq!(
            line,
            "loading [##########          ] 2/4 files  1.5M records  20.0 MB  10.0 MB/s"
        );
        assert_eq!(bar_line(&p, Duration::from_secs(2), 11), "loading [#");
    }
}
