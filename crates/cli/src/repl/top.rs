//! `\top COLUMN [N]` (numbered rows), and `\and` / `\not`, which add a value, from a
//! `\top` row or typed, to the last query's filter and run it.

use std::collections::HashMap;
use std::io::Write;

use anyhow::{Result, bail};
use serde_json::Value as Json;
use tabled::builder::Builder;
use trailhunt_cloudtrail::schema::KV;
use trailhunt_engine::values::{is_json_field, value_at};
use trailhunt_lang::ast::FilterKind;

use super::rewrite::{add_to_filter, term_for_text, term_for_value};
use super::{Session, strip_indices};

/// The rows of the last `\top`: what `\and N` and `\not N` pick from.
pub struct Top {
    /// The column as the user wrote it.
    column: String,
    /// The values, most common first (`Null` for events without one).
    values: Vec<Json>,
}

/// How a counted value shows in the `\top` table.
fn shown(v: &Json) -> String {
    match v {
        Json::Null => "(none)".into(),
        Json::String(s) if s.is_empty() => "\"\"".into(),
        Json::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// The order of values counted as often: numbers by value, then everything by its text.
fn tie(a: &Json, b: &Json) -> std::cmp::Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => shown(a).cmp(&shown(b)),
    }
}

impl Session {
    /// `\top COLUMN [N]`: counted over every row of the last results.
    pub(super) fn top(&mut self, args: &[&str], out: &mut dyn Write) -> Result<()> {
        let (col, n) = match args {
            [c] => (*c, 10usize),
            [c, n] => match n.parse() {
                Ok(n) if n > 0 => (*c, n),
                _ => bail!("`{n}` is not a number of values"),
            },
            _ => bail!("usage: \\top COLUMN [N]"),
        };
        let Some((query, o)) = &self.last else {
            bail!("no results yet: run a query first");
        };
        let total = o.rows();
        let mut counts: Vec<(Json, u64)> = Vec::new();
        if let Some((idx, field)) = o.schema.column_with_name(col) {
            let json = is_json_field(field);
            // Keyed by the JSON text, so a null and an empty string stay apart.
            let mut m: HashMap<String, (Json, u64)> = HashMap::new();
            for b in &o.batches {
                for i in 0..b.num_rows() {
                    let v = value_at(b.column(idx), i, json);
                    m.entry(v.to_string()).or_insert((v, 0)).1 += 1;
                }
            }
            counts = m.into_values().collect();
            counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| tie(&a.0, &b.0)));
            counts.truncate(n);
        } else if o.schema.column_with_name(KV).is_some() {
            // Whole events: let the engine find the path; exact over all results.
            let text = format!("{query}\n| groupbycount {col} | head {n}");
            let r = self
                .engine
                .run(&text, self.range)
                .map_err(|e| anyhow::anyhow!("{}", e.render(&text).trim_end()))?;
            if !r.warnings.is_empty() {
                // A path no event has counts every row as `(none)`: say why, with the
                // known path it was probably meant to be.
                out.flush()?;
                eprint!("{}", trailhunt_engine::render_warnings(&text, &r.warnings));
            }
            let json = is_json_field(r.schema.field(0));
            for b in &r.batches {
                let last = b.num_columns() - 1;
                for i in 0..b.num_rows() {
                    let c = value_at(b.column(last), i, false).as_u64().unwrap_or(0);
                    counts.push((value_at(b.column(0), i, json), c));
                }
            }
        } else {
            let names: Vec<String> = o.schema.fields().iter().map(|f| f.name().clone()).collect();
            bail!(
                "no column `{col}` in the last results; they have {}",
                names.join(", ")
            );
        }
        let mut b = Builder::default();
        b.push_record(["#", col, "count", "%"]);
        for (i, (v, c)) in counts.iter().enumerate() {
            let pct = if total > 0 {
                *c as f64 * 100.0 / total as f64
            } else {
                0.0
            };
            b.push_record([
                (i + 1).to_string(),
                shown(v),
                c.to_string(),
                format!("{pct:.1}"),
            ]);
        }
        self.write_table(b, out)?;
        writeln!(
            out,
            "over all {total} result rows; \\and N or \\not N adds the value of row N to the query"
        )?;
        self.last_top = Some(Top {
            column: col.to_string(),
            values: counts.into_iter().map(|(v, _)| v).collect(),
        });
        Ok(())
    }

    /// `\and N`, `\and COLUMN=VALUE` (and `\not`): add the term to the last query's
    /// filter, print the new query, put it in the history and run it.
    pub(super) fn refine(&mut self, rest: &str, negate: bool, out: &mut dyn Write) -> Result<()> {
        let cmd = if negate { "\\not" } else { "\\and" };
        if rest.is_empty() {
            bail!(
                "usage: {cmd} N (row N of the last \\top) or {cmd} COLUMN=VALUE (e.g. {cmd} errorCode=AccessDenied)"
            );
        }
        let Some((query, _)) = &self.last else {
            bail!("no query yet: run one, then {cmd} adds to its filter");
        };
        let term = if rest.bytes().all(|b| b.is_ascii_digit()) {
            let Some(top) = &self.last_top else {
                bail!(
                    "no \\top yet: {cmd} N takes row N of the last \\top COLUMN (or write {cmd} COLUMN=VALUE)"
                );
            };
            let count = top.values.len();
            if count == 0 {
                bail!("the last \\top counted no values (its results had no rows)");
            }
            let row = rest
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=count).contains(n));
            let Some(row) = row else {
                bail!(
                    "the last \\top has rows 1 to {count}, not {rest}; \\top {} N shows more",
                    top.column
                );
            };
            let staged = trailhunt_lang::parse_query(query).is_ok_and(|q| !q.stages.is_empty());
            if !staged && !self.is_event_column(&top.column) {
                bail!(
                    "no event has `{}`, so {cmd} cannot test it; \\columns lists the paths there are",
                    top.column
                );
            }
            if !self.is_event_column(&top.column) {
                bail!(
                    "`{}` is made by the query's stages, and {cmd} adds to the filter before them: add `| where {}` instead",
                    top.column,
                    term_for_value(&top.column, &top.values[row - 1], negate)
                        .unwrap_or_else(|_| format!("{} = …", top.column))
                );
            }
            term_for_value(&top.column, &top.values[row - 1], negate).map_err(anyhow::Error::msg)?
        } else {
            term_for_text(rest, negate).map_err(anyhow::Error::msg)?
        };
        let text = add_to_filter(query, &term).map_err(anyhow::Error::msg)?;
        writeln!(out, "{text}")?;
        self.history.push(text.clone());
        self.run_query(&text, out)
    }

    /// Whether `column` names something the events hold (a loaded column, a path in the
    /// data, a wildcard or a special column), rather than a column a stage made.
    fn is_event_column(&self, column: &str) -> bool {
        let Ok(q) = trailhunt_lang::parse_query(&format!("{column}: *")) else {
            return false;
        };
        let FilterKind::Field(f) = &q.filter.kind else {
            return false;
        };
        if f.path.has_wildcard() {
            return true;
        }
        let Some(first) = f.path.first_key() else {
            return false;
        };
        if first.starts_with(['@', '%']) && first != "@q" {
            return true;
        }
        let name = strip_indices(&f.path.to_string());
        trailhunt_cloudtrail::schema::table_schema()
            .column_with_name(&name)
            .is_some()
            || self.path_entries().iter().any(|p| p.path == name)
    }
}
