//! Loading AWS CloudTrail logs into Arrow record batches.
//!
//! Point [`load`] at what [`discover`] found — files, folders (an `AWSLogs/` tree as S3
//! delivers it), globs, or `-` for stdin — and get back a [`Dataset`]: record batches in
//! [`schema::table_schema`], the [`Catalog`] of every nested path seen, and a
//! [`LoadReport`] saying what was loaded, skipped and why.
//!
//! Formats are told by content, not by name: gzip or not, `{"Records":[…]}`, NDJSON, JSON
//! arrays, single records, EventBridge, CloudWatch Logs (decoded or subscription payloads)
//! and LookupEvents output. Damaged files yield their complete records with a warning, or
//! a rejection that names the position; nothing stops the rest from loading.
//!
//! ```
//! use trailhunt_cloudtrail::{discover, load, LoadOptions};
//! let dir = std::env::temp_dir().join("trailhunt-doc-example");
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(
//!     dir.join("one.json"),
//!     r#"{"Records":[{"eventTime":"2024-03-01T00:00:00Z","eventName":"GetObject",
//!        "eventSource":"s3.amazonaws.com","sourceIPAddress":"198.51.100.7",
//!        "requestParameters":{"bucketName":"b"}}]}"#,
//! ).unwrap();
//! let found = discover(&[dir.to_str().unwrap()]).unwrap();
//! let data = load(&found, &LoadOptions::default(), None).unwrap();
//! assert_eq!(data.report.records, 1);
//! assert_eq!(data.report.files_loaded, 1);
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
pub mod window;

pub use catalog::Catalog;
pub use decode::{Inflated, gunzip, gunzip_limited, is_gzip};
pub use envelope::{Rejection, Shape};
pub use load::{
    DEFAULT_MAX_FILE_BYTES, Dataset, DecodeOptions, Decoder, FileReport, KeepIf, LoadError,
    LoadOptions, LoadReport, Progress, delivery_time, load, too_large_report, unreadable_report,
};
pub use source::{Discovered, InputError, Source, discover};
pub use window::{WindowMode, WindowStats};
