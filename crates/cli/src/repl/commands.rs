//! The REPL's backslash commands.

use std::io::Write;

use anyhow::{Result, bail};
use tabled::builder::Builder;
use tabled::settings::Style;
use trailhunt_engine::TimeRange;
use trailhunt_print::Format;

use super::helper::COMMANDS;
use super::{Flow, Session};
use crate::columns_cmd;
use crate::library_cmd::first_line;
use crate::util::parse_duration;
use crate::util::parse_time;

impl Session {
    pub(super) fn command(&mut self, line: &str, out: &mut dyn Write) -> Result<Flow> {
        let mut words = line.split_whitespace();
        let cmd = words.next().unwrap_or_default();
        let args: Vec<&str> = words.collect();
        let start = std::time::Instant::now();
        match cmd {
            "\\q" | "\\quit" | "\\exit" => return Ok(Flow::Quit),
            "\\help" | "\\h" | "\\?" => write!(out, "{}", help_text(self.screen.map(|(w, _)| w)))?,
            "\\columns" | "\\d" => self.columns(args.first().copied(), out)?,
            "\\top" => self.top(&args, out)?,
            "\\event" => self.event(&args, out)?,
            "\\and" | "\\not" => {
                let rest = line[cmd.len()..].trim();
                self.refine(rest, cmd == "\\not", out)?;
                return Ok(Flow::Continue);
            }
            "\\edit" | "\\e" => {
                if !args.is_empty() {
                    bail!("usage: \\edit (it edits the last query)");
                }
                self.edit(out)?;
                return Ok(Flow::Continue);
            }
            "\\format" => self.set_format(&args, out)?,
            "\\all" => match &self.last {
                Some((_, o)) => self.print(o, true, out)?,
                None => writeln!(out, "no results yet: run a query first")?,
            },
            "\\save" => self.save(&args, out)?,
            "\\run" => {
                let [name] = args[..] else {
                    bail!("usage: \\run NAME (\\library lists the names)");
                };
                let e = self.library.find(name)?;
                writeln!(out, "-- {}: {}", e.id, first_line(&e.rule.description))?;
                writeln!(out, "{}", e.rule.query_text.trim_end())?;
                self.run_query(&e.rule.query_text, out)?;
                return Ok(Flow::Continue);
            }
            "\\library" | "\\l" => self.list_library(out)?,
            "\\since" => self.since(&args, out)?,
            "\\range" => self.set_range(&args, out)?,
            "\\time" => {
                self.timing = match args.first().copied() {
                    Some("on") => true,
                    Some("off") => false,
                    None => !self.timing,
                    Some(x) => bail!("usage: \\time [on|off], not `{x}`"),
                };
                writeln!(out, "timing {}", if self.timing { "on" } else { "off" })?;
                return Ok(Flow::Continue);
            }
            other => {
                let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
                let hint = trailhunt_lang::suggest::did_you_mean(other, &names)
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                bail!("unknown command `{other}`; {hint}\\help lists the commands");
            }
        }
        if self.timing {
            writeln!(out, "({:.3}s)", start.elapsed().as_secs_f64())?;
        }
        Ok(Flow::Continue)
    }

    fn set_format(&mut self, args: &[&str], out: &mut dyn Write) -> Result<()> {
        self.format = match args.first().copied() {
            Some("table") => Format::Table,
            Some("json") => Format::Json,
            Some("ndjson") => Format::Ndjson,
            Some("csv") => Format::Csv,
            Some("tsv") => Format::Tsv,
            None => {
                writeln!(out, "format: {:?}", self.format)?;
                return Ok(());
            }
            Some(x) => bail!("unknown format `{x}`; use table, json, ndjson, csv or tsv"),
        };
        writeln!(out, "results print as {}", args[0])?;
        Ok(())
    }

    fn save(&mut self, args: &[&str], out: &mut dyn Write) -> Result<()> {
        let [name] = args[..] else {
            bail!("usage: \\save NAME");
        };
        let Some((query, _)) = &self.last else {
            bail!("nothing to save yet: run a query first");
        };
        let path = self.library.save(name, query)?;
        writeln!(
            out,
            "saved as `{name}` in {}; \\run {name} runs it",
            path.display()
        )?;
        Ok(())
    }

    fn list_library(&self, out: &mut dyn Write) -> Result<()> {
        let (entries, problems) = self.library.entries();
        for p in problems {
            writeln!(out, "warning: {p}")?;
        }
        if entries.is_empty() {
            writeln!(
                out,
                "no saved queries yet: \\save NAME saves the last query (start with --library examples/queries for the starter set)"
            )?;
            return Ok(());
        }
        let mut b = Builder::default();
        b.push_record(["name", "description"]);
        for e in entries {
            b.push_record([e.id, first_line(&e.rule.description)]);
        }
        self.write_table(b, out)
    }

    fn since(&mut self, args: &[&str], out: &mut dyn Write) -> Result<()> {
        match args {
            ["off" | "all"] => {
                self.range = TimeRange::default();
                self.range_text = "all time".into();
            }
            [d] => {
                let ns = parse_duration(d).map_err(anyhow::Error::msg)?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as i64);
                self.range = TimeRange {
                    from: Some(now - ns),
                    to: None,
                };
                self.range_text = format!("the last {d}");
            }
            [] => {}
            _ => bail!("usage: \\since DURATION (24h, 7d, 30m) or \\since off"),
        }
        writeln!(out, "queries cover {}", self.range_text)?;
        Ok(())
    }

    fn set_range(&mut self, args: &[&str], out: &mut dyn Write) -> Result<()> {
        match args {
            ["off" | "all"] => {
                self.range = TimeRange::default();
                self.range_text = "all time".into();
            }
            [from, to] => {
                let f = parse_time(from).map_err(anyhow::Error::msg)?;
                let t = parse_time(to).map_err(anyhow::Error::msg)?;
                if t <= f {
                    bail!("the range ends before it starts");
                }
                self.range = TimeRange {
                    from: Some(f),
                    to: Some(t),
                };
                self.range_text = format!("{from} to {to}");
            }
            [] => {}
            _ => bail!("usage: \\range FROM TO (RFC 3339 or YYYY-MM-DD) or \\range off"),
        }
        writeln!(out, "queries cover {}", self.range_text)?;
        Ok(())
    }

    pub(super) fn write_table(&self, b: Builder, out: &mut dyn Write) -> Result<()> {
        let mut t = b.build();
        t.with(Style::rounded());
        if let Some((w, _)) = self.screen {
            t.with(
                tabled::settings::Width::truncate(w)
                    .suffix("…")
                    .priority(tabled::settings::peaker::Priority::max(true)),
            );
        }
        writeln!(out, "{t}")?;
        Ok(())
    }

    /// `\columns [PREFIX]`: paths with their types and how many events hold them (the
    /// rows of `trailhunt columns`).
    fn columns(&mut self, prefix: Option<&str>, out: &mut dyn Write) -> Result<()> {
        if self.path_types.is_none() {
            self.path_types = Some(columns_cmd::scan(&self.engine));
        }
        let none = columns_cmd::Scan::default();
        let scan = self.path_types.as_ref().unwrap_or(&none);
        let rows = columns_cmd::columns(&self.engine, scan);
        let shown = columns_cmd::matching(&rows, prefix);
        if shown.is_empty() {
            writeln!(out, "no column matches `{}`", prefix.unwrap_or(""))?;
            return Ok(());
        }
        let total = shown.len();
        let cap = self.screen.map(|(_, h)| h.saturating_sub(7).max(5));
        let b = columns_cmd::table_builder(shown.into_iter().take(cap.unwrap_or(usize::MAX)));
        self.write_table(b, out)?;
        match cap {
            Some(c) if c < total => writeln!(
                out,
                "{c} of {total} columns shown; narrow with \\columns PREFIX (e.g. \\columns userIdentity)"
            )?,
            _ => writeln!(out, "{total} column{}", if total == 1 { "" } else { "s" })?,
        }
        Ok(())
    }
}

/// The help: a few lines on queries, then the commands in two aligned columns, the
/// second as wide as the widest usage plus two spaces (so they never touch), wrapped to
/// `width` when there is one.
pub fn help_text(width: Option<usize>) -> String {
    let mut s = String::from(
        "Type a query and press Enter, e.g.
  eventName=ConsoleLogin errorMessage:\"Failed authentication\"
  * | groupbycount eventSource, eventName | head 10
A line ending in `|`, or with an open ( or quote, continues on the next line;
a line starting with `|` adds stages to the last query. Tab completes stages,
functions and columns (userIdentity.<TAB>). Ctrl-C cancels a running query;
Ctrl-D or \\quit leaves.

",
    );
    let usage = |c: &super::helper::Command| {
        if c.args.is_empty() {
            c.name.to_string()
        } else {
            format!("{} {}", c.name, c.args)
        }
    };
    let column = COMMANDS
        .iter()
        .map(|c| usage(c).chars().count())
        .max()
        .unwrap_or(0)
        + 4;
    // The descriptions get at least 30 columns; on a narrower screen they overflow.
    let room = width.map_or(usize::MAX, |w| w.saturating_sub(column).max(30));
    for c in COMMANDS {
        let head = format!("  {}", usage(c));
        let mut lines = wrap_words(c.about, room).into_iter();
        let first = lines.next().unwrap_or_default();
        s.push_str(&format!("{head:<column$}{first}\n"));
        for l in lines {
            s.push_str(&format!("{:column$}{l}\n", ""));
        }
    }
    s
}

/// `text` in lines of at most `room` characters, broken at spaces (a longer word
/// stands alone).
fn wrap_words(text: &str, room: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > room {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::help_text;

    /// Every command's line: two spaces, the usage, at least two spaces, then the
    /// description, which starts in the same column on every line.
    #[test]
    fn help_columns_never_touch() {
        for width in [None, Some(80), Some(50)] {
            let text = help_text(width);
            let mut starts = std::collections::BTreeSet::new();
            for c in super::COMMANDS {
                let usage = if c.args.is_empty() {
                    c.name.to_string()
                } else {
                    format!("{} {}", c.name, c.args)
                };
                let first_word = c.about.split(' ').next().unwrap();
                let line = text
                    .lines()
                    .find(|l| l.starts_with(&format!("  {usage} ")))
                    .unwrap_or_else(|| panic!("no line for {usage} in\n{text}"));
                let gap = &line[2 + usage.len()..];
                let spaces = gap.len() - gap.trim_start().len();
                assert!(spaces >= 2, "{line:?}");
                assert!(gap.trim_start().starts_with(first_word), "{line:?}");
                starts.insert(2 + usage.chars().count() + spaces);
            }
            assert_eq!(
                starts.len(),
                1,
                "descriptions start in one column: {starts:?}"
            );
            if let Some(w) = width {
                let col = *starts.iter().next().unwrap();
                let (_, commands) = text.split_once("\n\n").unwrap();
                for l in commands.lines() {
                    assert!(
                        l.chars().count() <= w.max(col + 30),
                        "{l:?} is wider than {w}"
                    );
                }
            }
        }
        // The line the issue found garbled.
        assert!(help_text(None).contains("  \\format table|json|ndjson|csv|tsv  "));
    }
}
