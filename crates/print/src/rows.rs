//! JSON rows (JSON and NDJSON): whole events rebuilt as CloudTrail records, other rows
//! as their columns.

use datafusion::arrow::array::{Array, RecordBatch};
use trailhunt_cloudtrail::Catalog;
use trailhunt_cloudtrail::catalog::Segment;
use trailhunt_cloudtrail::schema::{self, KV, TYPED};
use trailhunt_engine::jsontree::{Node, leaf};
use trailhunt_engine::values::{Kv, is_json_field, value_at};

/// Columns derived by the loader, appended to rebuilt records.
pub(crate) const DERIVED: &[&str] = &[
    schema::TIMESTAMP,
    schema::ENTITY_ID,
    schema::ACCOUNT_ID,
    schema::WINDOW_ID,
    schema::WINDOW_INDEX,
    schema::SOURCE,
];

/// Turns result batches into JSON rows.
pub struct RowWriter<'a> {
    catalog: &'a Catalog,
    segments: std::cell::RefCell<std::collections::HashMap<u32, Vec<Segment>>>,
}

impl<'a> RowWriter<'a> {
    /// A writer resolving nested paths through `catalog`.
    pub fn new(catalog: &'a Catalog) -> Self {
        RowWriter {
            catalog,
            segments: Default::default(),
        }
    }

    fn segs(&self, id: u32) -> Vec<Segment> {
        self.segments
            .borrow_mut()
            .entry(id)
            .or_insert_with(|| self.catalog.segments(id))
            .clone()
    }

    /// Row `i` of `batch` as an ordered JSON object.
    pub fn row(&self, batch: &RecordBatch, i: usize) -> Node {
        let schema = batch.schema();
        if schema.column_with_name(KV).is_some() {
            return self.event(batch, i);
        }
        let mut node = Node::Object(Vec::new());
        for (f, c) in schema.fields().iter().zip(batch.columns()) {
            node.push_member(f.name(), Node::Leaf(value_at(c, i, is_json_field(f))));
        }
        node
    }

    fn event(&self, batch: &RecordBatch, i: usize) -> Node {
        let mut node = Node::Object(Vec::new());
        for (path, _) in TYPED {
            let name = path.join(".");
            let Some(c) = batch.column_by_name(&name) else {
                continue;
            };
            if c.is_null(i) {
                continue;
            }
            let segs: Vec<Segment> = path.iter().map(|k| Segment::Key((*k).into())).collect();
            node.insert(&segs, value_at(c, i, false));
        }
        if let Some(kv) = batch
            .column_by_name(KV)
            .and_then(|c| Kv::with_ids(c, self.catalog).ok())
        {
            for j in kv.range(i) {
                node.insert(&self.segs(kv.id(j)), leaf(kv.value(j), kv.kinds[j]));
            }
        }
        if let Node::Object(m) = &mut node {
            m.sort_by_key(|(k, _)| {
                schema::RECORD_FIELDS
                    .iter()
                    .position(|o| o == k)
                    .unwrap_or(schema::RECORD_FIELDS.len())
            });
        }
        let schema = batch.schema();
        for name in DERIVED {
            if let Some((idx, f)) = schema.column_with_name(name) {
                node.push_member(
                    name,
                    Node::Leaf(value_at(batch.column(idx), i, is_json_field(f))),
                );
            }
        }
        // Columns a query added beside the event (eval, rename).
        for (f, c) in schema.fields().iter().zip(batch.columns()) {
            let n = f.name().as_str();
            if n == KV || DERIVED.contains(&n) || TYPED.iter().any(|(p, _)| p.join(".") == n) {
                continue;
            }
            node.push_member(n, Node::Leaf(value_at(c, i, is_json_field(f))));
        }
        node
    }
}
