//! The Arrow shape of a loaded CloudTrail record.
//!
//! - The regular top-level fields (and the regular part of `userIdentity`) are typed
//!   columns named by their path (`eventName`, `userIdentity.arn`, `readOnly`…): DataFusion
//!   filters and groups on them directly.
//! - Everything else — `requestParameters`, `responseElements`, `resources`,
//!   `userIdentity.sessionContext`, fields we have never seen, and any typed field whose
//!   value has an unexpected JSON type — is flattened into the [`KV`] column: a list per
//!   record of `(path id, value, kind)` entries, one per scalar leaf (and per empty
//!   object/array or null), in document order. Path ids live in the [`crate::Catalog`].
//! - Derived columns: `timestamp`, `entity_id`, `account_id`, the source `@index`, and the
//!   per-entity `window_id`/`window_index`.
//!
//! `docs/ARCHITECTURE.md` says why, with the measurements.

use std::sync::{Arc, OnceLock};

use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

use crate::catalog::{Catalog, ROOT};

/// Name of the flattened nested-values column.
pub const KV: &str = "_kv";
/// Name of the derived event-time column.
pub const TIMESTAMP: &str = "timestamp";
/// Name of the derived entity column.
pub const ENTITY_ID: &str = "entity_id";
/// Name of the derived account column.
pub const ACCOUNT_ID: &str = "account_id";
/// Name of the source-file column.
pub const SOURCE: &str = "@index";
/// Name of the window id column.
pub const WINDOW_ID: &str = "window_id";
/// Name of the window index column.
pub const WINDOW_INDEX: &str = "window_index";

/// Kinds of entries in the [`KV`] column.
pub mod kind {
    /// A JSON string.
    pub const STRING: u8 = 0;
    /// A JSON number, kept as its text.
    pub const NUMBER: u8 = 1;
    /// `true` / `false`.
    pub const BOOL: u8 = 2;
    /// `null`.
    pub const NULL: u8 = 3;
    /// `{}`.
    pub const EMPTY_OBJECT: u8 = 4;
    /// `[]`.
    pub const EMPTY_ARRAY: u8 = 5;
}

/// The Arrow type of a typed column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypedKind {
    /// Utf8.
    Str,
    /// Boolean (also fed by the strings `"true"`/`"false"`).
    Bool,
}

/// The typed columns, in schema order: (path segments, kind).
pub const TYPED: &[(&[&str], TypedKind)] = &[
    (&["eventVersion"], TypedKind::Str),
    (&["eventTime"], TypedKind::Str),
    (&["eventSource"], TypedKind::Str),
    (&["eventName"], TypedKind::Str),
    (&["awsRegion"], TypedKind::Str),
    (&["sourceIPAddress"], TypedKind::Str),
    (&["userAgent"], TypedKind::Str),
    (&["errorCode"], TypedKind::Str),
    (&["errorMessage"], TypedKind::Str),
    (&["requestID"], TypedKind::Str),
    (&["eventID"], TypedKind::Str),
    (&["readOnly"], TypedKind::Bool),
    (&["eventType"], TypedKind::Str),
    (&["apiVersion"], TypedKind::Str),
    (&["managementEvent"], TypedKind::Bool),
    (&["recipientAccountId"], TypedKind::Str),
    (&["sharedEventID"], TypedKind::Str),
    (&["vpcEndpointId"], TypedKind::Str),
    (&["eventCategory"], TypedKind::Str),
    (&["userIdentity", "type"], TypedKind::Str),
    (&["userIdentity", "principalId"], TypedKind::Str),
    (&["userIdentity", "arn"], TypedKind::Str),
    (&["userIdentity", "accountId"], TypedKind::Str),
    (&["userIdentity", "accessKeyId"], TypedKind::Str),
    (&["userIdentity", "userName"], TypedKind::Str),
    (&["userIdentity", "invokedBy"], TypedKind::Str),
];

/// Index into [`TYPED`] of the columns the loader derives from.
pub(crate) mod col {
    pub const EVENT_TIME: usize = 1;
    pub const SOURCE_IP: usize = 5;
    pub const RECIPIENT_ACCOUNT: usize = 15;
    pub const USER_ARN: usize = 21;
    pub const USER_ACCOUNT: usize = 22;
}

/// CloudTrail's top-level record fields (CLOUDTRAIL.md), in the order records list them.
pub const RECORD_FIELDS: &[&str] = &[
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "requestID",
    "eventID",
    "readOnly",
    "resources",
    "eventType",
    "apiVersion",
    "managementEvent",
    "recipientAccountId",
    "sharedEventID",
    "vpcEndpointId",
    "vpcEndpointAccountId",
    "serviceEventDetails",
    "eventCategory",
    "insightDetails",
    "addendum",
    "sessionCredentialFromConsole",
    "edgeDeviceDetails",
    "tlsDetails",
    "annotation",
    "eventContext",
];

/// The fields of `userIdentity` (CLOUDTRAIL.md).
pub const USER_IDENTITY_FIELDS: &[&str] = &[
    "type",
    "principalId",
    "arn",
    "accountId",
    "accessKeyId",
    "userName",
    "invokedBy",
    "identityProvider",
    "credentialId",
    "onBehalfOf",
    "inScopeOf",
    "sessionContext",
];

/// Keys whose presence makes a JSON object a CloudTrail record.
pub const RECORD_KEYS: &[&str] = &["eventVersion", "eventTime", "eventSource", "eventName"];

/// The dotted column name of a typed column.
pub fn typed_name(i: usize) -> String {
    TYPED[i].0.join(".")
}

/// Where typed columns sit in a [`Catalog`]: path id → typed column.
#[derive(Debug, Clone)]
pub struct TypedLayout {
    by_id: Vec<Option<u8>>,
    ids: Vec<u32>,
    /// Typed paths and their ancestors (`userIdentity`): what a load without nested
    /// values still walks.
    keep: Vec<bool>,
}

impl TypedLayout {
    /// Intern the typed paths into `catalog` (they get the same ids in every catalog).
    pub fn register(catalog: &Catalog) -> Self {
        let mut ids = Vec::with_capacity(TYPED.len());
        for (segs, _) in TYPED {
            let mut id = ROOT;
            for s in segs.iter() {
                id = catalog.key(id, s);
            }
            ids.push(id);
        }
        let max = ids.iter().copied().max().unwrap_or(0) as usize;
        let mut by_id = vec![None; max + 1];
        let mut keep = vec![false; max + 1];
        for (i, id) in ids.iter().enumerate() {
            by_id[*id as usize] = Some(i as u8);
            let mut cur = *id;
            while cur != ROOT {
                keep[cur as usize] = true;
                cur = catalog.parent(cur);
            }
        }
        TypedLayout { by_id, ids, keep }
    }

    /// Is `id` a typed path or an ancestor of one?
    #[inline]
    pub fn keeps(&self, id: u32) -> bool {
        self.keep.get(id as usize).copied().unwrap_or(false)
    }

    /// The typed column at path `id`, if any.
    #[inline]
    pub fn typed(&self, id: u32) -> Option<usize> {
        self.by_id
            .get(id as usize)
            .copied()
            .flatten()
            .map(usize::from)
    }

    /// The path id of typed column `i`.
    pub fn id(&self, i: usize) -> u32 {
        self.ids[i]
    }
}

/// The Arrow type of the [`KV`] column.
pub fn kv_type() -> DataType {
    DataType::List(kv_item())
}

/// The item field of the [`KV`] list.
pub fn kv_item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Struct(kv_fields()), true))
}

/// The fields of one [`KV`] entry.
pub fn kv_fields() -> Fields {
    Fields::from(vec![
        Field::new("k", DataType::UInt32, false),
        Field::new("v", DataType::Utf8, true),
        Field::new("t", DataType::UInt8, false),
    ])
}

/// The timestamp type used throughout: nanoseconds, UTC.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

/// Schema of batches as the loader produces them (before windows are assigned).
pub fn load_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| Arc::new(Schema::new(load_fields())))
        .clone()
}

fn load_fields() -> Vec<Field> {
    let mut fields: Vec<Field> = TYPED
        .iter()
        .enumerate()
        .map(|(i, (_, k))| {
            let dt = match k {
                TypedKind::Str => DataType::Utf8,
                TypedKind::Bool => DataType::Boolean,
            };
            Field::new(typed_name(i), dt, true)
        })
        .collect();
    fields.push(Field::new(TIMESTAMP, timestamp_type(), true));
    fields.push(Field::new(ENTITY_ID, DataType::Utf8, false));
    fields.push(Field::new(ACCOUNT_ID, DataType::Utf8, true));
    fields.push(Field::new(
        SOURCE,
        DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        false,
    ));
    fields.push(Field::new(KV, kv_type(), false));
    fields
}

/// Schema of the loaded table: the load schema plus the window columns.
pub fn table_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        let mut fields = load_fields();
        // Null when the load skipped windows (a query that needs none of them).
        fields.push(Field::new(WINDOW_ID, DataType::Utf8, true));
        fields.push(Field::new(WINDOW_INDEX, DataType::Int64, true));
        Arc::new(Schema::new(fields))
    })
    .clone()
}
