//! The hunt report as one self-contained HTML page: inline CSS and SVG, no
//! scripts, no external assets; every value from the data is escaped.

use std::io::{self, Write};

use trailhunt_cloudtrail::time::format_rfc3339;
use trailhunt_rules::Severity;

use crate::report::EntityReport;

const CSS: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;background:#fafafa}
h1{font-size:1.4em}section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:1em;margin:1em 0}
h2{font-size:1.1em;margin:0 0 .5em;word-break:break-all}.score{float:right;font-weight:bold}
table{border-collapse:collapse}td,th{text-align:left;padding:2px 10px 2px 0;vertical-align:top}
th{color:#666;font-weight:normal}code{word-break:break-all}.sev{padding:0 6px;border-radius:3px;color:#fff}
svg text{font:11px system-ui,sans-serif;fill:#333}";

/// Writes `reports` as an HTML page titled `title`, with a timeline per entity on a
/// shared time axis.
pub fn write_html(reports: &[EntityReport], title: &str, w: &mut dyn Write) -> io::Result<()> {
    let from = reports.iter().map(|r| r.first).min().unwrap_or(0);
    let to = reports.iter().map(|r| r.last).max().unwrap_or(0);
    writeln!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>",
        esc(title)
    )?;
    writeln!(w, "<h1>{}</h1>", esc(title))?;
    writeln!(
        w,
        "<p>{} entities with hits, {} .. {}. Score = sum of severity weights of the distinct rules hit × number of distinct tactics.</p>",
        reports.len(),
        esc(&format_rfc3339(from)),
        esc(&format_rfc3339(to))
    )?;
    for r in reports {
        let sev = r.max_severity;
        writeln!(
            w,
            "<section><h2>#{} <code>{}</code> <span class=\"sev\" style=\"background:{}\">{}</span><span class=\"score\">score {}</span></h2>",
            r.rank,
            esc(&r.entity_id),
            color(sev),
            esc(sev.map_or("-", |s| s.as_str())),
            r.score
        )?;
        writeln!(w, "<table>")?;
        row(
            w,
            "seen",
            &format!("{} .. {}", format_rfc3339(r.first), format_rfc3339(r.last)),
        )?;
        let tactics: Vec<&str> = r.tactics.iter().map(|t| t.name.as_str()).collect();
        row(w, "tactics", &tactics.join(" → "))?;
        let rules: Vec<String> = r
            .rules
            .iter()
            .map(|x| {
                format!(
                    "{} [{}] ×{}",
                    x.rule,
                    x.severity.map_or("-", |s| s.as_str()),
                    x.hits
                )
            })
            .collect();
        row(w, "rules", &rules.join("; "))?;
        row(w, "windows", &r.windows.join(", "))?;
        writeln!(w, "</table>")?;
        timeline(r, from, to, w)?;
        writeln!(w, "</section>")?;
    }
    writeln!(w, "</body></html>")
}

fn row(w: &mut dyn Write, name: &str, value: &str) -> io::Result<()> {
    writeln!(w, "<tr><th>{}</th><td>{}</td></tr>", esc(name), esc(value))
}

/// One lane per rule; each hit a bar from the entity's first to last event in it.
fn timeline(r: &EntityReport, from: i64, to: i64, w: &mut dyn Write) -> io::Result<()> {
    const LEFT: f64 = 260.0;
    const WIDTH: f64 = 620.0;
    const LANE: f64 = 18.0;
    let span = (to.saturating_sub(from)).max(1) as f64;
    let x = |t: i64| LEFT + (t.saturating_sub(from)) as f64 / span * WIDTH;
    let height = LANE * r.rules.len() as f64 + 24.0;
    writeln!(
        w,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\">",
        LEFT + WIDTH + 10.0
    )?;
    for (lane, rule) in r.rules.iter().enumerate() {
        let y = LANE * lane as f64 + 4.0;
        let name: String = rule.rule.chars().take(40).collect();
        writeln!(
            w,
            "<text x=\"0\" y=\"{:.1}\">{}</text><line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#eee\"/>",
            y + 11.0,
            esc(&name),
            LEFT + WIDTH,
            y + 7.0,
            y + 7.0
        )?;
        for item in r.timeline.iter().filter(|i| i.rule == rule.rule) {
            let (x1, x2) = (x(item.first), x(item.last));
            writeln!(
                w,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" rx=\"3\" fill=\"{}\"><title>{}</title></rect>",
                x1 - 3.0,
                y + 1.0,
                (x2 - x1).max(0.0) + 6.0,
                color(item.severity),
                esc(&format!(
                    "{} [{}] {} .. {} ({} events)",
                    item.rule,
                    item.severity.map_or("-", |s| s.as_str()),
                    format_rfc3339(item.first),
                    format_rfc3339(item.last),
                    item.events
                ))
            )?;
        }
    }
    let axis = LANE * r.rules.len() as f64 + 18.0;
    writeln!(
        w,
        "<text x=\"{LEFT}\" y=\"{axis:.1}\">{}</text><text x=\"{:.1}\" y=\"{axis:.1}\" text-anchor=\"end\">{}</text></svg>",
        esc(&format_rfc3339(from)),
        LEFT + WIDTH,
        esc(&format_rfc3339(to))
    )
}

fn color(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::Fatal) | Some(Severity::Critical) => "#7b1fa2",
        Some(Severity::High) => "#c62828",
        Some(Severity::Medium) => "#ef6c00",
        Some(Severity::Low) => "#1565c0",
        Some(Severity::Informational) | None => "#757575",
    }
}

/// Escapes text for HTML element content and quoted attributes.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }
}
