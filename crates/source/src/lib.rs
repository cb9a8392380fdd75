//! The data source: where CloudTrail files are (local paths, globs, stdin, S3 prefixes),
//! which of them a query needs, and a DataFusion table that decodes them as a stream.
//!
//! - [`listing`]: every input file with its size, name rank and delivery time;
//! - [`table::CloudTrailTable`]: the `TableProvider` (time pruning, projection, limit);
//! - [`exec::CloudTrailExec`]: the partitioned, streaming scan;
//! - [`load()`]: the same scan, collected into a `Dataset` in memory (REPL, detect, hunt);
//! - [`order`]: the event-order key a stream can sort by;
//! - [`s3`]: S3 configuration from the AWS environment, listing and reading;
//! - [`cache`]: the Parquet cache `trailhunt index` writes and every scan reads.
#![deny(missing_docs)]

pub mod cache;
pub mod exec;
pub mod listing;
pub mod load;
pub mod order;
pub mod s3;
pub mod table;

pub use exec::{CloudTrailExec, ScanLog};
pub use listing::{FileRef, Listing, Location};
pub use load::load;
pub use table::{CloudTrailTable, ScanOptions, table_schema};
