//! `trailhunt repl`: load once, then query interactively.

mod commands;
mod edit;
mod event;
mod helper;
mod rewrite;
mod top;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use rustyline::config::{ColorMode, CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{EditMode, Editor};
use trailhunt_engine::{CancelToken, Engine, Output, TimeRange};
use trailhunt_print::{Format, TableOptions, write_results, write_table};

use crate::library::{Library, history_file};
use crate::load_cmd::InputArgs;
use crate::util::TimeArgs;
use helper::{PathEntry, ReplHelper};

pub const EXAMPLES: &str = "Examples:
  trailhunt repl examples/data
  trailhunt repl examples/data --library examples/queries
  trailhunt repl AWSLogs/ --since 7d

At the prompt, type a query and press Enter; a line ending in `|` (or with an open
parenthesis or quote) continues on the next line. Tab completes stage names,
functions and column paths (`userIdentity.<TAB>`); `\\help` lists the backslash
commands: `\\top COLUMN` then `\\and N` adds a value to the query, `\\event N` reads
result row N whole, `\\edit` opens the query in $EDITOR. Ctrl-C cancels a running
query, Ctrl-D leaves.

The REPL needs a PATH: it reads your queries from the terminal, so it never reads
events from standard input (pipe them to `trailhunt query` instead). --since/--from/--to
set the starting range of the queries (change it with \\since and \\range).";

#[derive(Args, Debug)]
#[command(mut_arg("paths", |a| a.help(
    "Files, folders (read recursively) or globs: required, as standard input is the terminal the queries are typed on",
)))]
pub struct ReplArgs {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    time: TimeArgs,
    /// Another folder of saved queries (repeatable).
    #[arg(long = "library", value_name = "DIR")]
    library: Vec<PathBuf>,
}

/// What the session holds between inputs.
pub struct Session {
    engine: Engine,
    library: Library,
    format: Format,
    range: TimeRange,
    range_text: String,
    timing: bool,
    /// The last query that ran, and its results (for `\top`, `\save`, `\all`, `\event`).
    last: Option<(String, Output)>,
    /// The last query typed, even one that failed (what `\edit` opens).
    draft: Option<String>,
    /// The rows of the last `\top` (what `\and N` picks from).
    last_top: Option<top::Top>,
    /// Queries the commands made (`\and`, `\edit`), for the line editor's history.
    history: Vec<String>,
    cancel: CancelToken,
    /// Terminal size, when standard output is one: tables fit it.
    screen: Option<(usize, usize)>,
    path_types: Option<crate::columns_cmd::Scan>,
}

/// Whether to go on reading input.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

pub fn run(args: ReplArgs) -> Result<ExitCode> {
    // The line editor reads the queries from standard input: events cannot come from it.
    if args.input.paths.is_empty() || args.input.paths.iter().any(|p| p == "-") {
        anyhow::bail!(
            "the REPL reads events from files or folders, not standard input (it reads your queries there); give a path, or pipe events to `trailhunt query` instead"
        );
    }
    let range = args.time.range()?;
    let data = args.input.load()?;
    let engine = Engine::new(data, args.input.threads).map_err(|e| anyhow::anyhow!("{e}"))?;
    let cancel = CancelToken::new();
    {
        let c = cancel.clone();
        // While a query runs the terminal is in cooked mode, so Ctrl-C is a signal;
        // at the prompt the line editor reads it as a key.
        ctrlc::set_handler(move || c.cancel()).context("cannot install the Ctrl-C handler")?;
    }
    let terminal = std::io::stdout().is_terminal();
    let mut session = Session {
        library: Library::new(&args.library),
        format: Format::Table,
        range_text: describe_range(&args.time),
        range,
        timing: false,
        last: None,
        draft: None,
        last_top: None,
        history: Vec::new(),
        cancel,
        screen: None,
        path_types: None,
        engine,
    };
    let color = crate::util::color_for(terminal);
    let helper = ReplHelper {
        paths: session.path_entries(),
        library: session.library_names(),
        result_columns: Vec::new(),
        color,
    };
    let config = Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .edit_mode(EditMode::Emacs)
        .max_history_size(10_000)?
        // The line editor's own NO_COLOR check would override `--color always`: the
        // decision above is the one.
        .color_mode(if color {
            ColorMode::Forced
        } else {
            ColorMode::Disabled
        })
        .build();
    let mut rl: Editor<ReplHelper, FileHistory> = Editor::with_config(config)?;
    rl.set_helper(Some(helper));
    let history = history_file();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    let r = session.engine.report();
    eprintln!(
        "{} events from {} files loaded. Type a query, \\help for commands, Ctrl-D to leave.",
        r.records, r.files_loaded
    );
    loop {
        session.screen = terminal
            .then(terminal_size::terminal_size)
            .flatten()
            .map(|(w, h)| (w.0 as usize, h.0 as usize));
        let line = match rl.readline("trailhunt> ") {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        };
        if line.trim().is_empty() {
            continue;
        }
        let _ = rl.add_history_entry(line.trim_end());
        let mut out = crate::util::stdout();
        let flow = session.handle(&line, &mut out);
        drop(out);
        // The queries `\and` and `\edit` ran come after the command, so Up recalls them.
        for q in session.history.drain(..) {
            let _ = rl.add_history_entry(q);
        }
        if let Some(h) = &history {
            if let Some(dir) = h.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = rl.save_history(h);
        }
        match flow {
            Ok(Flow::Quit) => break,
            Ok(Flow::Continue) => {}
            Err(e) if crate::util::stdout_closed(&e) => return Ok(ExitCode::SUCCESS),
            Err(e) => eprintln!("error: {e:#}"),
        }
        if let Some(h) = rl.helper_mut() {
            h.library = session.library_names();
            h.result_columns = session.result_columns();
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe_range(t: &TimeArgs) -> String {
    match (t.since, t.from, t.to) {
        (None, None, None) => "all time".into(),
        (Some(s), _, _) => format!("the last {}s", s / 1_000_000_000),
        _ => "the --from/--to range".into(),
    }
}

impl Session {
    fn library_names(&self) -> Vec<String> {
        self.library.entries().0.into_iter().map(|e| e.id).collect()
    }

    fn result_columns(&self) -> Vec<String> {
        self.last.as_ref().map_or(Vec::new(), |(_, o)| {
            o.schema
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .filter(|n| !n.starts_with('_'))
                .collect()
        })
    }

    /// Paths for completion, one per display form (array positions merged).
    fn path_entries(&self) -> Vec<PathEntry> {
        let cat = self.engine.catalog();
        let mut map: std::collections::BTreeMap<String, bool> = Default::default();
        cat.for_each(|_, info| {
            if info.display_no_index.is_empty() {
                return;
            }
            map.entry(info.display_no_index.clone()).or_insert(false);
            if info.parent != trailhunt_cloudtrail::catalog::ROOT {
                let parent = cat.display(info.parent);
                let parent = strip_indices(&parent);
                if parent != info.display_no_index {
                    map.insert(parent, true);
                }
            }
        });
        for f in trailhunt_cloudtrail::schema::table_schema().fields() {
            let n = f.name();
            if !n.starts_with('_') {
                map.entry(n.clone()).or_insert(false);
            }
        }
        map.into_iter()
            .map(|(path, has_children)| PathEntry { path, has_children })
            .collect()
    }

    /// Handle one input: a backslash command or a query.
    pub fn handle(&mut self, line: &str, out: &mut dyn Write) -> Result<Flow> {
        let t = line.trim();
        if t.starts_with('\\') {
            return self.command(t, out);
        }
        // A line that starts with `|` adds stages to the last query.
        if t.starts_with('|')
            && let Some((last, _)) = &self.last
        {
            let text = format!("{}\n{t}", last.trim_end());
            self.run_query(&text, out)?;
            return Ok(Flow::Continue);
        }
        self.run_query(t, out)?;
        Ok(Flow::Continue)
    }

    /// Run `text`, print its results, and remember them.
    pub fn run_query(&mut self, text: &str, out: &mut dyn Write) -> Result<()> {
        self.draft = Some(text.to_string());
        self.cancel.reset();
        match self.engine.run_cancellable(text, self.range, &self.cancel) {
            Err(e) => {
                out.flush()?;
                eprint!("{}", e.render(text));
            }
            Ok(None) => writeln!(out, "query cancelled")?,
            Ok(Some(o)) => {
                if !o.warnings.is_empty() {
                    out.flush()?;
                    eprint!("{}", trailhunt_engine::render_warnings(text, &o.warnings));
                }
                self.print(&o, false, out)?;
                self.last = Some((text.to_string(), o));
            }
        }
        Ok(())
    }

    /// Print results in the current format; tables fit the screen unless `all`.
    fn print(&self, o: &Output, all: bool, out: &mut dyn Write) -> Result<()> {
        let rows = o.rows();
        let secs = o.elapsed.as_secs_f64();
        let plural = if rows == 1 { "" } else { "s" };
        if self.format != Format::Table {
            write_results(
                &o.batches,
                &o.schema,
                self.engine.catalog(),
                self.format,
                out,
            )?;
            if self.timing {
                writeln!(out, "{rows} row{plural} in {secs:.3}s")?;
            }
            return Ok(());
        }
        if rows == 0 {
            writeln!(out, "no rows ({secs:.3}s)")?;
            return Ok(());
        }
        // Header, borders and the footer take about 6 lines.
        let max_rows = match (all, self.screen) {
            (false, Some((_, h))) => Some(h.saturating_sub(7).max(5)),
            _ => None,
        };
        let opts = TableOptions {
            max_width: self.screen.map(|(w, _)| w),
            max_rows,
            cell_max: 60,
            numbered: true,
        };
        write_table(&o.batches, &o.schema, out, opts)?;
        match max_rows {
            Some(m) if m < rows => writeln!(
                out,
                "{m} of {rows} rows shown ({secs:.3}s): \\all shows all, \\event N one row whole, \\format csv to copy"
            )?,
            _ => writeln!(out, "{rows} row{plural} in {secs:.3}s")?,
        }
        Ok(())
    }
}

/// `resources[0].ARN` → `resources.ARN` (brackets inside backticks are kept).
pub(crate) fn strip_indices(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tick = false;
    let mut in_index = false;
    for c in s.chars() {
        match c {
            '`' => {
                in_tick = !in_tick;
                out.push(c);
            }
            '[' if !in_tick => in_index = true,
            ']' if !in_tick && in_index => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn strip_indices_keeps_quoted_brackets() {
        assert_eq!(super::strip_indices("resources[0].ARN"), "resources.ARN");
        assert_eq!(super::strip_indices("a[1][2].`x[0]`"), "a.`x[0]`");
    }
}
