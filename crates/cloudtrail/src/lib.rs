//! Loading AWS CloudTrail logs into Arrow record batches.
//!
//! [`discover`] finds the files — files, folders (an `AWSLogs/` tree as S3 delivers it),
//! globs, or `-` for stdin —, a [`Decoder`] turns each file's bytes into record batches in
//! [`schema::load_schema`] with a [`FileReport`], interning nested paths into a shared
//! [`Catalog`]; [`assemble`] cuts per-entity windows and makes a [`Dataset`] with its
//! [`LoadReport`]. Reading the files (local or S3, in parallel) is the data source's job:
//! `trailhunt_source::load` fills a [`Dataset`], `trailhunt_source::CloudTrailTable`
//! streams.
//!
//! Formats are told by content, not by name: gzip or not, `{"Records":[…]}`, NDJSON, JSON
//! arrays, single records, EventBridge, CloudWatch Logs (decoded or subscription payloads)
//! and LookupEvents output. Damaged files yield their complete records with a warning, or
//! a rejection that names the position; nothing stops the rest from loading.
//!
//! ```
//! use trailhunt_cloudtrail::{Catalog, DecodeOptions, Decoder, schema::TypedLayout};
//! let catalog = Catalog::new();
//! let layout = TypedLayout::register(&catalog);
//! let mut decoder = Decoder::new(&catalog, layout, &DecodeOptions::default());
//! let report = decoder.decode(
//!     "one.json",
//!     br#"{"Records":[{"eventTime":"2024-03-01T00:00:00Z","eventName":"GetObject",
//!        "eventSource":"s3.amazonaws.com","sourceIPAddress":"198.51.100.7",
//!        "requestParameters":{"bucketName":"b"}}]}"#.to_vec(),
//! );
//! assert_eq!(report.records, 1);
//! let batches = decoder.take_batches(true).unwrap();
//! assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
//! ```
#![deny(missing_docs)]

mod builder;
pub mod catalog;
mod decode;
mod envelope;
mod load;
mod record;
mod salvage;
pub mod schema;
mod source;
pub mod time;
pub mod tokens;
pub mod window;

pub use catalog::Catalog;
pub use decode::{Inflated, gunzip, gunzip_limited, is_gzip};
pub use envelope::{Rejection, Shape};
pub use load::{
    DEFAULT_MAX_FILE_BYTES, Dataset, DecodeOptions, Decoder, FileReport, KeepIf, LoadError,
    LoadOptions, LoadReport, Progress, Scanned, assemble, delivery_time, too_large_report,
    unreadable_report,
};
pub use source::{Discovered, InputError, Source, discover};
pub use window::{WindowMode, WindowStats};
