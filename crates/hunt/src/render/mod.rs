//! Printing hits and hunt reports: text for people, JSON for programs, and a
//! self-contained HTML page ([`html`]). Everything writes to a `W: Write`.

mod html;

use std::io::{self, Write};

use trailhunt_cloudtrail::time::format_rfc3339;

use crate::hit::{Hit, TagRef};
use crate::report::EntityReport;

pub use html::write_html;

/// Hits as text: one block per hit, then a summary line.
pub fn write_hits_text(hits: &[Hit], w: &mut dyn Write) -> io::Result<()> {
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
        for r in &h.sample {
            writeln!(w, "    {}", r.get())?;
        }
        writeln!(w)?;
    }
    let rules: std::collections::BTreeSet<&str> = hits.iter().map(|h| h.rule.as_str()).collect();
    writeln!(
        w,
        "{} hit{} from {} rule{}",
        hits.len(),
        plural(hits.len()),
        rules.len(),
        plural(rules.len())
    )
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
