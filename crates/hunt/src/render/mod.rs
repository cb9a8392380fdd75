//! Printing hits and hunt reports: text for people, JSON for programs, and a
//! self-contained HTML page ([`html`]). Everything writes to a `W: Write`.

mod html;

use std::io::{self, Write};

use trailhunt_cloudtrail::time::format_rfc3339;

use crate::hit::{Hit, TagRef};
use crate::report::EntityReport;

pub use html::write_html;

/// Hits as text for people, then "N hits from M rules (K fired)" (`rules_run`: the
/// rules evaluated).
pub fn write_hits_text(hits: &[Hit], rules_run: usize, w: &mut dyn Write) -> io::Result<()> {
    for h in hits {
        let sev = h.severity.map_or("-", |s| s.as_str());
        let runs = if h.whole_span {
            "whole span".to_string()
        } else {
            format!("{} run{}", h.runs, plural(h.runs))
        };
        writeln!(
            w,
            "{sev:<13} {}  [{} .. {}) ({runs})",
            h.rule,
            format_rfc3339(h.from),
            format_rfc3339(h.to)
        )?;
        writeln!(w, "  rule        {}", h.path)?;
        if !h.tactics.is_empty() {
            writeln!(w, "  tactics     {}", tags(&h.tactics))?;
        }
        if !h.techniques.is_empty() {
            writeln!(w, "  techniques  {}", tags(&h.techniques))?;
        }
        for (i, e) in h.entities.iter().enumerate() {
            let label = if i == 0 { "entities" } else { "" };
            writeln!(
                w,
                "  {label:<10}  {} ({} event{}, {} .. {}; window{} {})",
                or_none(&e.entity_id),
                e.events,
                plural(e.events as usize),
                format_rfc3339(e.first),
                format_rfc3339(e.last),
                plural(e.window_ids.len()),
                e.window_ids.join(", ")
            )?;
        }
        writeln!(
            w,
            "  rows        {} (showing {})",
            h.row_count,
            h.sample.len()
        )?;
        for line in sample_table(h) {
            writeln!(w, "    {line}")?;
        }
        writeln!(w)?;
    }
    let fired: std::collections::BTreeSet<&str> = hits.iter().map(|h| h.rule.as_str()).collect();
    writeln!(
        w,
        "{} hit{} from {} rule{} ({} fired)",
        hits.len(),
        plural(hits.len()),
        rules_run,
        plural(rules_run),
        fired.len()
    )
}

/// The columns a reader needs of a sample row, in this order, when present: its time,
/// entity, call, error and source address.
const SAMPLE_COLUMNS: &[(&str, &[&str])] = &[
    ("time", &["timestamp", "eventTime", "@q.time"]),
    ("entity", &["entity_id", "userIdentity.arn"]),
    ("eventName", &["eventName"]),
    ("errorCode", &["errorCode"]),
    ("sourceIPAddress", &["sourceIPAddress"]),
];
/// Sample cells longer than this are cut with `…`.
const SAMPLE_CELL_MAX: usize = 60;

/// The value at `path` of a row: a top-level key (`userIdentity.arn` as a column) or
/// the nested value of a whole event.
fn lookup<'v>(row: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    if let Some(v) = row.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(row, |v, k| v.get(k))
}

fn sample_cell(v: Option<&serde_json::Value>) -> String {
    let s = match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    let s = s.replace(['\n', '\r', '\t'], " ");
    if s.chars().count() <= SAMPLE_CELL_MAX {
        return s;
    }
    let mut out: String = s.chars().take(SAMPLE_CELL_MAX - 1).collect();
    out.push('…');
    out
}

/// A hit's sample rows as a compact table: for whole events, the columns that matter
/// ([`SAMPLE_COLUMNS`]); for other rows, those of them the rows have, then the rule's
/// own columns (its `by` columns and aggregates). Whole events are in `--format json`.
pub fn sample_table(h: &Hit) -> Vec<String> {
    let rows: Vec<serde_json::Value> = h
        .sample
        .iter()
        .filter_map(|r| serde_json::from_str(r.get()).ok())
        .collect();
    if rows.is_empty() {
        return Vec::new();
    }
    let events = rows
        .iter()
        .any(|r| r.get("eventVersion").is_some() || r.get("eventID").is_some());
    // (header, path) per column.
    let mut cols: Vec<(String, String)> = Vec::new();
    for (label, paths) in SAMPLE_COLUMNS {
        if let Some(p) = paths.iter().find(|p| {
            rows.iter()
                .any(|r| lookup(r, p).is_some_and(|v| !v.is_null()))
        }) {
            cols.push((label.to_string(), p.to_string()));
        }
    }
    if !events {
        for c in &h.columns {
            if !cols.iter().any(|(_, p)| p == c) {
                cols.push((c.clone(), c.clone()));
            }
        }
    }
    let table: Vec<Vec<String>> = std::iter::once(cols.iter().map(|(l, _)| l.clone()).collect())
        .chain(rows.iter().map(|r| {
            cols.iter()
                .map(|(_, p)| sample_cell(lookup(r, p)))
                .collect()
        }))
        .collect();
    let widths: Vec<usize> = (0..cols.len())
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    table
        .iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(s, w)| format!("{s:<w$}"))
                .collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect()
}

/// Hits as one pretty JSON array.
pub fn write_hits_json(hits: &[Hit], w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, hits)?;
    writeln!(w)
}

/// Hits as NDJSON: one object per line.
pub fn write_hits_ndjson(hits: &[Hit], w: &mut dyn Write) -> io::Result<()> {
    for h in hits {
        serde_json::to_writer(&mut *w, h)?;
        writeln!(w)?;
    }
    Ok(())
}

/// Hunt reports as text, most suspicious entity first.
pub fn write_reports_text(reports: &[EntityReport], w: &mut dyn Write) -> io::Result<()> {
    for r in reports {
        writeln!(
            w,
            "#{:<3} score {:<5} {:<13} {}",
            r.rank,
            r.score,
            r.max_severity.map_or("-", |s| s.as_str()),
            or_none(&r.entity_id)
        )?;
        writeln!(
            w,
            "     seen      {} .. {}",
            format_rfc3339(r.first),
            format_rfc3339(r.last)
        )?;
        let tactics: Vec<&str> = r.tactics.iter().map(|t| t.name.as_str()).collect();
        writeln!(w, "     tactics   {}", or_none(&tactics.join(" -> ")))?;
        for (i, rule) in r.rules.iter().enumerate() {
            let label = if i == 0 { "rules" } else { "" };
            writeln!(
                w,
                "     {label:<9} {} [{}] {} hit{}, {} event{}, {}",
                rule.rule,
                rule.severity.map_or("-", |s| s.as_str()),
                rule.hits,
                plural(rule.hits),
                rule.events,
                plural(rule.events as usize),
                format_rfc3339(rule.first)
            )?;
        }
        // A table is for reading: a few windows, and where to find them all.
        const SHOWN: usize = 3;
        let mut shown: Vec<&str> = r.windows.iter().take(SHOWN).map(String::as_str).collect();
        let more = r.windows.len().saturating_sub(SHOWN);
        let rest = format!("… {more} more (--format json lists them all)");
        if more > 0 {
            shown.push(&rest);
        }
        writeln!(w, "     windows   {}", r.windows.len())?;
        for win in shown {
            writeln!(w, "               {win}")?;
        }
        writeln!(w)?;
    }
    writeln!(
        w,
        "{} entit{} with hits",
        reports.len(),
        if reports.len() == 1 { "y" } else { "ies" }
    )
}

/// Hunt reports as one pretty JSON array.
pub fn write_reports_json(reports: &[EntityReport], w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, reports)?;
    writeln!(w)
}

fn tags(t: &[TagRef]) -> String {
    t.iter()
        .map(|t| format!("{} {}", t.id, t.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "(none)" } else { s }
}
