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
pub mod col {
    /// `eventTime`: the `timestamp` column.
    pub const EVENT_TIME: usize = 1;
    /// `sourceIPAddress`: `entity_id` without an ARN.
    pub const SOURCE_IP: usize = 5;
    /// `eventID`: part of the order key.
    pub const EVENT_ID: usize = 10;
    /// `recipientAccountId`: `account_id` without the identity's account.
    pub const RECIPIENT_ACCOUNT: usize = 15;
    /// `userIdentity.arn`: `entity_id`.
    pub const USER_ARN: usize = 21;
    /// `userIdentity.accountId`: `account_id`.
    pub const USER_ACCOUNT: usize = 22;
}

/// The typed columns (indexes into [`TYPED`]) the loader derives column `name` from
/// (`entity_id`, `account_id`, `timestamp`); empty for any other column.
pub fn derived_from(name: &str) -> &'static [usize] {
    match name {
        ENTITY_ID => &[col::USER_ARN, col::SOURCE_IP],
        ACCOUNT_ID => &[col::USER_ACCOUNT, col::RECIPIENT_ACCOUNT],
        TIMESTAMP => &[col::EVENT_TIME],
        _ => &[],
    }
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

/// The fields of `userIdentity.sessionContext` (CLOUDTRAIL.md).
pub const SESSION_CONTEXT_FIELDS: &[&str] = &[
    "attributes",
    "sessionIssuer",
    "webIdFederationData",
    "sourceIdentity",
    "ec2RoleDelivery",
    "assumedRoot",
];

/// The fields of `userIdentity.sessionContext.attributes`.
pub const SESSION_ATTRIBUTES_FIELDS: &[&str] = &["creationDate", "mfaAuthenticated"];

/// The fields of `userIdentity.sessionContext.sessionIssuer`.
pub const SESSION_ISSUER_FIELDS: &[&str] = &["type", "principalId", "arn", "accountId", "userName"];

/// The fields of `userIdentity.sessionContext.webIdFederationData`.
pub const WEB_ID_FEDERATION_FIELDS: &[&str] = &["federatedProvider", "attributes"];

/// The fields of `userIdentity.onBehalfOf`.
pub const ON_BEHALF_OF_FIELDS: &[&str] = &["userId", "identityStoreArn"];

/// The fields of each element of `resources`.
pub const RESOURCE_FIELDS: &[&str] = &["ARN", "ARNPrefix", "accountId", "type"];

/// The fields of `tlsDetails`.
pub const TLS_DETAILS_FIELDS: &[&str] = &["tlsVersion", "cipherSuite", "clientProvidedHostHeader"];

/// The objects whose keys CloudTrail defines, with those keys: where a lowercase export
/// (Athena, CloudTrail Lake: `eventname`, `useridentity.principalid`) is read under
/// CloudTrail's own names. Below any other path (`requestParameters`…) keys are the
/// service's and are kept as they are. A path through an array (`resources`) stands for
/// each of its elements.
pub const KNOWN_OBJECTS: &[(&[&str], &[&str])] = &[
    (&[], RECORD_FIELDS),
    (&["userIdentity"], USER_IDENTITY_FIELDS),
    (&["userIdentity", "sessionContext"], SESSION_CONTEXT_FIELDS),
    (
        &["userIdentity", "sessionContext", "attributes"],
        SESSION_ATTRIBUTES_FIELDS,
    ),
    (
        &["userIdentity", "sessionContext", "sessionIssuer"],
        SESSION_ISSUER_FIELDS,
    ),
    (
        &["userIdentity", "sessionContext", "webIdFederationData"],
        WEB_ID_FEDERATION_FIELDS,
    ),
    (&["userIdentity", "onBehalfOf"], ON_BEHALF_OF_FIELDS),
    (&["resources"], RESOURCE_FIELDS),
    (&["tlsDetails"], TLS_DETAILS_FIELDS),
];

/// The field of `fields` that `key` is the all-lowercase spelling of, when `key` is not
/// already that field's own spelling (`principalid` → `principalId`; `arn` → none).
pub fn lowercase_alias(fields: &'static [&'static str], key: &str) -> Option<&'static str> {
    if key.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    fields
        .iter()
        .copied()
        .find(|f| f.len() == key.len() && *f != key && f.eq_ignore_ascii_case(key))
}

/// Keys whose presence makes a JSON object a CloudTrail record.
pub const RECORD_KEYS: &[&str] = &["eventVersion", "eventTime", "eventSource", "eventName"];

/// Is `key` one of [`RECORD_KEYS`], in CloudTrail's spelling or all in lowercase (as
/// Athena and CloudTrail Lake exports write it)?
pub fn is_record_key(key: &str) -> bool {
    RECORD_KEYS.contains(&key) || lowercase_alias(RECORD_KEYS, key).is_some()
}

/// Is `key` a record key or `userIdentity` (in either spelling): a record's first key?
pub fn starts_record(key: &str) -> bool {
    is_record_key(key) || key == "userIdentity" || key == "useridentity"
}

/// The top-level key forwarders keep the event time in when they drop `eventTime`.
pub const FORWARDER_TIME: &str = "@timestamp";

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
    /// The objects of [`KNOWN_OBJECTS`] by path id, with their fields.
    objects: Vec<(u32, &'static [&'static str])>,
    /// The id of the top-level [`FORWARDER_TIME`].
    forwarder_time: u32,
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
        let objects: Vec<(u32, &'static [&'static str])> = KNOWN_OBJECTS
            .iter()
            .map(|(segs, fields)| {
                let id = segs.iter().fold(ROOT, |id, s| catalog.key(id, s));
                (id, *fields)
            })
            .collect();
        let forwarder_time = catalog.key(ROOT, FORWARDER_TIME);
        let max = ids
            .iter()
            .copied()
            .chain([forwarder_time])
            .max()
            .unwrap_or(0) as usize;
        let mut by_id = vec![None; max + 1];
        let mut keep = vec![false; max + 1];
        // Read even when nested values are skipped: it may be the event's only time.
        keep[forwarder_time as usize] = true;
        for (i, id) in ids.iter().enumerate() {
            by_id[*id as usize] = Some(i as u8);
            let mut cur = *id;
            while cur != ROOT {
                keep[cur as usize] = true;
                cur = catalog.parent(cur);
            }
        }
        TypedLayout {
            by_id,
            ids,
            keep,
            objects,
            forwarder_time,
        }
    }

    /// The id of the top-level `@timestamp`.
    #[inline]
    pub fn forwarder_time(&self) -> u32 {
        self.forwarder_time
    }

    /// The CloudTrail fields of the object at path `id`, when CloudTrail defines them
    /// (see [`KNOWN_OBJECTS`]; for `resources`, `id` is the array's path).
    pub fn known_fields(&self, id: u32) -> Option<&'static [&'static str]> {
        self.objects.iter().find(|(o, _)| *o == id).map(|(_, f)| *f)
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
        // The path: a code into the batch's dictionary of canonical paths.
        Field::new(
            "k",
            DataType::Dictionary(Box::new(DataType::UInt32), Box::new(DataType::Utf8)),
            false,
        ),
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

#[cfg(test)]
mod tests {

    #[test]
    fn column_indexes_name_their_fields() {
        let at = |c: usize| TYPED[c].0.join(".");
        assert_eq!(at(col::EVENT_TIME), "eventTime");
        assert_eq!(at(col::SOURCE_IP), "sourceIPAddress");
        assert_eq!(at(col::EVENT_ID), "eventID");
        assert_eq!(at(col::RECIPIENT_ACCOUNT), "recipientAccountId");
        assert_eq!(at(col::USER_ARN), "userIdentity.arn");
        assert_eq!(at(col::USER_ACCOUNT), "userIdentity.accountId");
    }

    use super::*;

    #[test]
    fn lowercase_spellings_map_to_cloudtrail_fields_only() {
        assert_eq!(
            lowercase_alias(RECORD_FIELDS, "eventname"),
            Some("eventName")
        );
        assert_eq!(
            lowercase_alias(RECORD_FIELDS, "sourceipaddress"),
            Some("sourceIPAddress")
        );
        assert_eq!(
            lowercase_alias(USER_IDENTITY_FIELDS, "principalid"),
            Some("principalId")
        );
        assert_eq!(lowercase_alias(RESOURCE_FIELDS, "arn"), Some("ARN"));
        // Already CloudTrail's spelling, mixed case, or not a field: unchanged.
        for (fields, key) in [
            (RECORD_FIELDS, "eventName"),
            (RECORD_FIELDS, "EventName"),
            (RECORD_FIELDS, "EVENTNAME"),
            (RECORD_FIELDS, "eventnames"),
            (RECORD_FIELDS, "bucketname"),
            (USER_IDENTITY_FIELDS, "arn"),
            (USER_IDENTITY_FIELDS, "type"),
        ] {
            assert_eq!(lowercase_alias(fields, key), None, "{key}");
        }
        assert!(is_record_key("eventtime") && is_record_key("eventTime"));
        assert!(
            !is_record_key("EventTime"),
            "LookupEvents' keys are not a record's"
        );
        assert!(starts_record("useridentity") && !starts_record("Username"));
    }
}
