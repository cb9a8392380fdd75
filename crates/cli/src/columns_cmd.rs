//! `trailhunt columns`: the paths the data holds, with their types and how many events
//! hold each. The REPL's `\columns` prints the same rows (one definition, here).

use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use clap::Args;
use datafusion::arrow::array::{Array, RecordBatch, StringArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use tabled::builder::Builder;
use trailhunt_cloudtrail::catalog::Segment;
use trailhunt_cloudtrail::schema::{KV, TYPED, TypedKind, kind, typed_name};
use trailhunt_engine::values::Kv;
use trailhunt_engine::{Engine, TimeRange};
use trailhunt_print::{BatchWriter, Format, TableOptions};

use crate::load_cmd::InputArgs;
use crate::query_cmd::OutFormat;
use crate::repl::strip_indices;
use crate::util::TimeArgs;

pub const EXAMPLES: &str = "Examples:
  trailhunt columns examples/data
  trailhunt columns AWSLogs/ --prefix requestParameters
  trailhunt columns AWSLogs/ --since 7d --format csv > columns.csv
  trailhunt columns AWSLogs/ --cache ~/.cache/trailhunt --format json | jq '.[].column'

A path is written as queries write it (array positions left out); an object counts the
events holding anything below it.";

/// Type bits beyond the value kinds (`kind::*`): the path has keys / positions below it.
const OBJECT: u8 = 1 << 6;
const ARRAY: u8 = 1 << 7;

/// A path as queries write it → (type bits, events holding it).
pub type Columns = BTreeMap<String, (u8, u64)>;

/// What one pass over the events found, per path id.
#[derive(Debug, Default, Clone)]
pub struct Scan {
    /// The kinds of value at the path (bits `1 << kind::*`).
    kinds: HashMap<u32, u8>,
    /// The events holding a value at the path.
    events: HashMap<u32, u64>,
}

/// Read every event once: each path's kinds of value and how many events hold it. (The
/// catalog's own counts also hold the records `--from/--to` dropped after reading.)
pub fn scan(engine: &Engine) -> Scan {
    let mut s = Scan::default();
    let Ok(o) = engine.run("*", TimeRange::default()) else {
        return s;
    };
    let layout = engine.layout();
    let mut ids: Vec<u32> = Vec::new();
    for b in &o.batches {
        let kv = b
            .column_by_name(KV)
            .and_then(|kv| Kv::with_ids(kv, engine.catalog()).ok());
        let typed: Vec<(u32, &dyn Array)> = (0..TYPED.len())
            .filter_map(|i| {
                b.column_by_name(&typed_name(i))
                    .map(|c| (layout.id(i), c.as_ref()))
            })
            .collect();
        for row in 0..b.num_rows() {
            ids.clear();
            if let Some(kv) = &kv {
                for j in kv.range(row) {
                    let id = kv.id(j);
                    *s.kinds.entry(id).or_default() |= 1u8 << kv.kinds[j].min(5);
                    ids.push(id);
                }
            }
            ids.extend(
                typed
                    .iter()
                    .filter(|(_, c)| c.is_valid(row))
                    .map(|(id, _)| id),
            );
            ids.sort_unstable();
            ids.dedup();
            for id in &ids {
                *s.events.entry(*id).or_default() += 1;
            }
        }
    }
    s
}

/// Every path the events hold, from a [`scan`] of them.
pub fn columns(engine: &Engine, scan: &Scan) -> Columns {
    let cat = engine.catalog();
    let mut rows = Columns::new();
    cat.for_each(|id, info| {
        if info.display_no_index.is_empty() {
            return;
        }
        let mut bits = scan.kinds.get(&id).copied().unwrap_or(0);
        if let Some(i) = engine.layout().typed(id) {
            bits |= match TYPED[i].1 {
                TypedKind::Str => 1 << kind::STRING,
                TypedKind::Bool => 1 << kind::BOOL,
            };
        }
        let e = rows.entry(info.display_no_index.clone()).or_default();
        e.0 |= bits;
        e.1 = e.1.max(scan.events.get(&id).copied().unwrap_or(0));
        if info.parent != trailhunt_cloudtrail::catalog::ROOT {
            let parent = cat.display(info.parent);
            // `resources[0].ARN`: `resources` is the array, its elements are not shown.
            let in_element = parent.ends_with(']');
            let p = rows.entry(strip_indices(&parent)).or_default();
            if matches!(info.segment, Segment::Index(_)) {
                p.0 |= ARRAY;
            } else if !in_element {
                p.0 |= OBJECT;
            }
        }
    });
    // Objects count the events holding anything below them.
    let mut by_len: Vec<String> = rows.keys().cloned().collect();
    by_len.sort_by_key(|k| std::cmp::Reverse(k.len()));
    for k in by_len {
        let n = rows.get(&k).map_or(0, |r| r.1);
        if let Some((parent, _)) = k.rsplit_once('.')
            && let Some(p) = rows.get_mut(parent)
        {
            p.1 = p.1.max(n);
        }
    }
    // Paths the catalog knows (CloudTrail's own, records outside the range) but no
    // event here holds.
    rows.retain(|_, (_, n)| *n > 0);
    rows
}

/// The rows whose path starts with `prefix` (any case); when none does, those that
/// contain it.
pub fn matching<'a>(rows: &'a Columns, prefix: Option<&str>) -> Vec<(&'a String, &'a (u8, u64))> {
    let Some(x) = prefix.map(str::to_lowercase) else {
        return rows.iter().collect();
    };
    let starts: Vec<_> = rows
        .iter()
        .filter(|(p, _)| p.to_lowercase().starts_with(&x))
        .collect();
    if !starts.is_empty() {
        return starts;
    }
    rows.iter()
        .filter(|(p, _)| p.to_lowercase().contains(&x))
        .collect()
}

/// `string|number`, `object`…: the kinds of value a path holds.
pub fn type_name(bits: u8) -> String {
    let names = [
        (1 << kind::STRING, "string"),
        (1 << kind::NUMBER, "number"),
        (1 << kind::BOOL, "bool"),
        (OBJECT | (1 << kind::EMPTY_OBJECT), "object"),
        (ARRAY | (1 << kind::EMPTY_ARRAY), "array"),
        (1 << kind::NULL, "null"),
    ];
    let v: Vec<&str> = names
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect();
    v.join("|")
}

/// The header and rows as the table shows them.
pub fn table_builder<'a>(shown: impl IntoIterator<Item = (&'a String, &'a (u8, u64))>) -> Builder {
    let mut b = Builder::default();
    b.push_record(["column", "type", "events"]);
    for (p, (bits, n)) in shown {
        b.push_record([p.clone(), type_name(*bits), n.to_string()]);
    }
    b
}

#[derive(Args, Debug)]
pub struct ColumnsArgs {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    time: TimeArgs,
    /// Only the paths starting with PREFIX (any case; when none does, those containing it).
    #[arg(long, value_name = "PREFIX")]
    prefix: Option<String>,
    /// Output format (the same as `query`'s) [default: the config file's, else table].
    #[arg(long, value_enum)]
    format: Option<OutFormat>,
}

pub fn run(args: ColumnsArgs) -> Result<ExitCode> {
    let data = args.input.load_in(&args.time)?;
    let engine = Engine::new(data, args.input.threads).map_err(|e| anyhow::anyhow!("{e}"))?;
    let rows = columns(&engine, &scan(&engine));
    let shown = matching(&rows, args.prefix.as_deref());
    if shown.is_empty()
        && let Some(p) = &args.prefix
    {
        anyhow::bail!(
            "no column matches `{p}` ({} columns in the data); leave out --prefix to list them all",
            rows.len()
        );
    }
    // One batch printed as `query` prints results, so every format reads the same.
    let schema = Arc::new(Schema::new(vec![
        Field::new("column", DataType::Utf8, false),
        Field::new("type", DataType::Utf8, false),
        Field::new("events", DataType::UInt64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from_iter_values(
                shown.iter().map(|(p, _)| p.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                shown.iter().map(|(_, (bits, _))| type_name(*bits)),
            )),
            Arc::new(UInt64Array::from_iter_values(
                shown.iter().map(|(_, (_, n))| *n),
            )),
        ],
    )?;
    let format = Format::from(
        args.format
            .or(crate::config::get().format)
            .unwrap_or(OutFormat::Table),
    );
    let mut out = std::io::BufWriter::new(crate::util::stdout());
    let mut w = BatchWriter::new(format, &schema, engine.catalog(), &mut out)?;
    if std::io::stdout().is_terminal() {
        w = w.table_options(TableOptions {
            max_width: terminal_size::terminal_size().map(|(w, _)| w.0 as usize),
            ..TableOptions::default()
        });
    }
    w.write(&batch)?;
    let n = w.finish()?;
    out.flush()?;
    if format == Format::Table {
        writeln!(
            crate::util::notes(),
            "{n} column{}",
            if n == 1 { "" } else { "s" }
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
