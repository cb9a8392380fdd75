//! The data source: where CloudTrail files are (local paths, globs, stdin, S3 prefixes),
//! which of them a query needs, and a DataFusion table that decodes them as a stream.
#![deny(missing_docs)]

pub mod s3;
