//! Rebuilding JSON objects from flattened (path, value) entries: whole events for output,
//! and nested objects a query names (`table requestParameters`). Keys keep the order they
//! were loaded in.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Number, Value};
use trailhunt_cloudtrail::catalog::Segment;
use trailhunt_cloudtrail::schema::kind;

/// An ordered JSON tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A scalar (or an empty object/array).
    Leaf(Value),
    /// An object, keys in insertion order.
    Object(Vec<(String, Node)>),
    /// An array.
    Array(Vec<Node>),
}

impl Default for Node {
    fn default() -> Self {
        Node::Object(Vec::new())
    }
}

/// A scalar leaf as stored in the nested-values column.
pub fn leaf(text: Option<&str>, k: u8) -> Value {
    match (k, text) {
        (kind::NUMBER, Some(t)) => t
            .parse::<Number>()
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(t.to_string())),
        (kind::BOOL, Some(t)) => Value::Bool(t == "true"),
        (kind::EMPTY_OBJECT, _) => Value::Object(serde_json::Map::new()),
        (kind::EMPTY_ARRAY, _) => Value::Array(Vec::new()),
        (kind::NULL, _) | (_, None) => Value::Null,
        (_, Some(t)) => Value::String(t.to_string()),
    }
}

impl Node {
    /// Put `value` at `path` below this node, creating objects and arrays on the way.
    pub fn insert(&mut self, path: &[Segment], value: Value) {
        let Some((first, rest)) = path.split_first() else {
            *self = Node::Leaf(value);
            return;
        };
        match first {
            Segment::Key(k) => {
                if !matches!(self, Node::Object(_)) {
                    *self = Node::Object(Vec::new());
                }
                if let Node::Object(members) = self {
                    let pos = match members.iter().rposition(|(mk, _)| mk.as_str() == &**k) {
                        Some(p) => p,
                        None => {
                            members.push((k.to_string(), Node::Leaf(Value::Null)));
                            members.len() - 1
                        }
                    };
                    members[pos].1.insert(rest, value);
                }
            }
            Segment::Index(i) => {
                if !matches!(self, Node::Array(_)) {
                    *self = Node::Array(Vec::new());
                }
                if let Node::Array(items) = self {
                    let i = *i as usize;
                    // Positions arrive in order; a gap (never in loaded data) holds nulls.
                    while items.len() <= i {
                        items.push(Node::Leaf(Value::Null));
                    }
                    items[i].insert(rest, value);
                }
            }
        }
    }

    /// Append a member to an object node (no lookup: the caller knows it is new).
    pub fn push_member(&mut self, key: &str, value: Node) {
        if let Node::Object(m) = self {
            m.push((key.to_string(), value));
        }
    }

    /// Serialize to compact JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "null".into())
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Leaf(v) => v.serialize(s),
            Node::Object(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Node::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
        }
    }
}
