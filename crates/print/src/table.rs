//! Aligned tables for people (the REPL and `--format table`).
//!
//! A table too wide for the terminal gives up width in this order: a column with no
//! value gives up its header's width, then free text (`userAgent`, `errorMessage`, JSON
//! text, anything with spaces) shrinks to a few characters, then an ARN down to its
//! account and resource (`…111122223333:user/alice`) and a service host to its service
//! (`signin…`). Timestamps, ids, names and numbers are never cut: when the table is still
//! too wide, the last columns are left out, a `…` column shows where, and a line under
//! the table names them.

use std::io::{self, Write};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type, SchemaRef};
use tabled::builder::Builder;
use tabled::grid::util::string::get_char_width;
use tabled::settings::Style;
use trailhunt_cloudtrail::time::parse_event_time;
use trailhunt_engine::values::is_json_field;

use crate::cells::{cell_text, flat_columns};

/// How a table is laid out.
#[derive(Debug, Clone, Copy)]
pub struct TableOptions {
    /// Fit the table into this many columns of text (the terminal width).
    pub max_width: Option<usize>,
    /// Show at most this many rows (the caller says how to see the rest).
    pub max_rows: Option<usize>,
    /// Cut longer cell values with `…`.
    pub cell_max: usize,
    /// Lead each row with its number, from 1, under `#` (the REPL's `\event N`).
    pub numbered: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            max_width: None,
            max_rows: None,
            cell_max: 80,
            numbered: false,
        }
    }
}

fn width(s: &str) -> usize {
    s.chars().map(get_char_width).sum()
}

/// `s` in at most `max` columns of text, its end cut with `…`.
fn cut(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = get_char_width(c);
        if w + cw + 1 > max {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.push('…');
    out
}

/// `s` in at most `max` columns of text, its start cut with `…` (an ARN keeps its end).
fn cut_start(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut tail = Vec::new();
    let mut w = 0;
    for c in s.chars().rev() {
        let cw = get_char_width(c);
        if w + cw + 1 > max {
            break;
        }
        w += cw;
        tail.push(c);
    }
    std::iter::once('…').chain(tail.into_iter().rev()).collect()
}

/// `s` in at most `max` columns of text, cut after a whole dot-separated label
/// (`s3.amazonaws.com` → `s3…`).
fn cut_labels(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut keep = 0;
    for (i, _) in s.match_indices('.') {
        if width(&s[..i]) < max {
            keep = i;
        }
    }
    if keep == 0 {
        return cut(s, max);
    }
    format!("{}…", &s[..keep])
}

/// The part of an ARN a reader needs: its account and resource (`arn:aws:iam::
/// 111122223333:user/alice` → `111122223333:user/alice`; no account: the resource).
fn arn_core(s: &str) -> Option<&str> {
    let rest = s.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, _service, _region) = (parts.next()?, parts.next()?, parts.next()?);
    let account = parts.next()?;
    let resource = parts.next()?;
    Some(if account.is_empty() {
        resource
    } else {
        &s[s.len() - account.len() - 1 - resource.len()..]
    })
}

/// What a column holds, for how far it may shrink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// No row has a value.
    Empty,
    /// Free text: shrinks first.
    Text,
    /// ARNs: down to their account and resource.
    Arn,
    /// Service hosts (`signin.amazonaws.com`): down to the service (`signin…`).
    Host,
    /// Timestamps, ids, names, numbers: never cut.
    Whole,
}

const TEXT_COLUMNS: &[&str] = &["userAgent", "errorMessage"];
/// The narrowest a free-text column gets.
const TEXT_MIN: usize = 12;
/// An ARN column shrinks to its widest account and resource, but at least to this
/// (long role and session names are cut at their start).
const ARN_MIN_CAP: usize = 40;
/// The narrowest an empty column's header gets (`err…`).
const EMPTY_MIN: usize = 4;

struct Column {
    kind: Kind,
    natural: usize,
    min: usize,
    width: usize,
}

/// Words, not a name: `AWS Internal` and `source_ip:AWS Internal` are names.
fn prose(v: &str) -> bool {
    v.matches(' ').count() >= 2
}

fn column(name: &str, json: bool, cells: &[&str]) -> Column {
    let natural = cells.iter().map(|c| width(c)).fold(width(name), usize::max);
    let values: Vec<&str> = cells.iter().copied().filter(|c| !c.is_empty()).collect();
    let kind = if values.is_empty() {
        Kind::Empty
    } else if values.iter().all(|v| parse_event_time(v).is_some()) {
        Kind::Whole
    } else if values.iter().any(|v| arn_core(v).is_some()) && !values.iter().any(|v| prose(v)) {
        // ARNs, maybe beside other ids (`entity_id`'s `source_ip:…`), never cut.
        Kind::Arn
    } else if values.iter().all(|v| v.ends_with(".amazonaws.com")) {
        Kind::Host
    } else if json
        || TEXT_COLUMNS.contains(&name)
        || values.iter().any(|v| prose(v) || v.starts_with(['{', '[']))
    {
        Kind::Text
    } else {
        Kind::Whole
    };
    let min = match kind {
        Kind::Empty => EMPTY_MIN,
        Kind::Text => TEXT_MIN,
        Kind::Arn => values
            .iter()
            .map(|v| arn_core(v).map_or(width(v), |c| (width(c) + 1).min(ARN_MIN_CAP)))
            .fold(EMPTY_MIN, usize::max),
        Kind::Host => values
            .iter()
            .map(|v| width(v.split('.').next().unwrap_or(v)) + 1)
            .fold(EMPTY_MIN, usize::max),
        Kind::Whole => natural,
    }
    .min(natural);
    Column {
        kind,
        natural,
        min,
        width: natural,
    }
}

/// Narrow the columns until the table fits `max` (each column takes its width plus
/// three for its border and padding, and the table one more): a kind at a time, the
/// widest column of it first.
fn fit(cols: &mut [Column], max: usize) {
    let total = |cols: &[Column]| cols.iter().map(|c| c.width + 3).sum::<usize>() + 1;
    for kind in [Kind::Empty, Kind::Text, Kind::Host, Kind::Arn] {
        while total(cols) > max {
            let widest = cols
                .iter_mut()
                .filter(|c| c.kind == kind && c.width > c.min)
                .max_by_key(|c| c.width);
            match widest {
                Some(c) => c.width -= 1,
                None => break,
            }
        }
    }
}

/// A cell of a `percent` column (`top`, `rare`) with one decimal.
fn percent_text(batch: &RecordBatch, col: usize, row: usize) -> Option<String> {
    let f = batch.schema_ref().field(col);
    let arr = batch.column(col);
    if f.name() != "percent" || arr.data_type() != &DataType::Float64 || arr.is_null(row) {
        return None;
    }
    Some(format!(
        "{:.1}",
        arr.as_primitive::<Float64Type>().value(row)
    ))
}

/// Write `batches` as a table. Events show a compact set of columns.
pub fn write_table(
    batches: &[RecordBatch],
    schema: &SchemaRef,
    w: &mut dyn Write,
    opts: TableOptions,
) -> io::Result<()> {
    let cols = flat_columns(schema, true);
    let mut header: Vec<String> = cols
        .iter()
        .map(|&c| schema.field(c).name().clone())
        .collect();
    let mut json: Vec<bool> = cols
        .iter()
        .map(|&c| is_json_field(schema.field(c)))
        .collect();
    if opts.numbered {
        header.insert(0, "#".into());
        json.insert(0, false);
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    'outer: for batch in batches {
        for i in 0..batch.num_rows() {
            if opts.max_rows.is_some_and(|m| rows.len() >= m) {
                break 'outer;
            }
            let number = opts.numbered.then(|| (rows.len() + 1).to_string());
            let cells = cols.iter().map(|&c| {
                let text = percent_text(batch, c, i).unwrap_or_else(|| cell_text(batch, c, i));
                cut(&text.replace(['\n', '\r', '\t'], " "), opts.cell_max)
            });
            rows.push(number.into_iter().chain(cells).collect());
        }
    }
    let mut layout: Vec<Column> = header
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let cells: Vec<&str> = rows.iter().map(|r| r[c].as_str()).collect();
            column(name, json[c], &cells)
        })
        .collect();
    let mut hidden = Vec::new();
    if let Some(max) = opts.max_width {
        fit(&mut layout, max);
        // Still too wide: leave out columns from the right (keeping the first, and a
        // `…` column of 1 + 3 in their place) rather than let the terminal wrap rows.
        let first = usize::from(opts.numbered) + 1;
        let total = |l: &[Column]| l.iter().map(|c| c.width + 3).sum::<usize>() + 1;
        while layout.len() > first && total(&layout) + 4 * usize::from(!hidden.is_empty()) > max {
            layout.pop();
            hidden.push(header.pop().unwrap_or_default());
            for r in &mut rows {
                r.pop();
            }
        }
        hidden.reverse();
        if !hidden.is_empty() {
            // The columns kept take back what they gave and fit again, beside the `…`.
            for c in &mut layout {
                c.width = c.natural;
            }
            fit(&mut layout, max.saturating_sub(4));
        }
    }
    let shrunk = |c: usize, s: &str| {
        let col = &layout[c];
        if col.width >= col.natural {
            s.to_string()
        } else if col.kind == Kind::Arn {
            // Whole parts: the account and resource, else the resource's end.
            match arn_core(s) {
                Some(core) if width(s) > col.width && width(core) < col.width => {
                    format!("…{core}")
                }
                Some(core) if width(s) > col.width => cut_start(core, col.width),
                _ => s.to_string(),
            }
        } else if col.kind == Kind::Host {
            cut_labels(s, col.width)
        } else {
            cut(s, col.width)
        }
    };
    let more = (!hidden.is_empty()).then(|| "…".to_string());
    let mut b = Builder::default();
    b.push_record(
        header
            .iter()
            .enumerate()
            .map(|(c, h)| cut(h, layout[c].width))
            .chain(more.clone()),
    );
    for row in &rows {
        b.push_record(
            row.iter()
                .enumerate()
                .map(|(c, s)| shrunk(c, s))
                .chain(more.clone()),
        );
    }
    let mut table = b.build();
    if rows.is_empty() {
        // The header's rule would be the last line: close the border instead.
        table.with(Style::rounded().remove_horizontals());
    } else {
        table.with(Style::rounded());
    }
    writeln!(w, "{table}")?;
    if !hidden.is_empty() {
        let shown = header.len() - usize::from(opts.numbered);
        writeln!(
            w,
            "{shown} of {} columns shown; not shown: {} (a wider terminal, `| table …` or --format shows them)",
            shown + hidden.len(),
            hidden.join(", ")
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_keep_what_matters() {
        assert_eq!(cut("Mozilla/5.0 (X11)", 8), "Mozilla…");
        assert_eq!(cut("short", 8), "short");
        assert_eq!(
            cut_start("arn:aws:iam::111122223333:user/alice", 24),
            "…111122223333:user/alice"
        );
        assert_eq!(
            arn_core("arn:aws:sts::111122223333:assumed-role/ops/kim"),
            Some("111122223333:assumed-role/ops/kim")
        );
        assert_eq!(
            arn_core("arn:aws:s3:::prod-reports/q1/a:b.csv"),
            Some("prod-reports/q1/a:b.csv")
        );
        assert_eq!(arn_core("source_ip:203.0.113.7"), None);
        assert_eq!(arn_core("arn:aws"), None);
        assert_eq!(cut_labels("s3.amazonaws.com", 7), "s3…");
        assert_eq!(cut_labels("signin.amazonaws.com", 18), "signin.amazonaws…");
        assert_eq!(cut_labels("signin.amazonaws.com", 5), "sign…");
    }

    #[test]
    fn free_text_shrinks_before_arns_and_timestamps_never() {
        let ts = ["2024-03-01T10:00:00Z"];
        let arn = ["arn:aws:iam::111122223333:user/alice"];
        let ua = ["aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.ubuntu.22"];
        let mut cols = vec![
            column("timestamp", false, &ts),
            column("entity_id", false, &arn),
            column("userAgent", false, &ua),
            column("errorCode", false, &[""]),
        ];
        assert_eq!(
            cols.iter().map(|c| c.kind).collect::<Vec<_>>(),
            [Kind::Whole, Kind::Arn, Kind::Text, Kind::Empty]
        );
        // 20 + 36 + 59 + 9 + 4 * 3 + 1 = 137 columns; at 100, the empty header gives 5
        // and userAgent 32.
        fit(&mut cols, 100);
        let widths: Vec<usize> = cols.iter().map(|c| c.width).collect();
        assert_eq!(widths, [20, 36, 27, 4]);
        // At 60, userAgent stops at 12 and the ARN gives up to its account and resource
        // (24 with the `…`); the timestamp never shrinks, so the table stays at 73.
        fit(&mut cols, 60);
        let widths: Vec<usize> = cols.iter().map(|c| c.width).collect();
        assert_eq!(widths, [20, 24, 12, 4]);
    }
}
