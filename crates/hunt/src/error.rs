//! Errors of this crate, as data.

use std::fmt::{self, Display, Formatter};
use std::path::PathBuf;

/// Why a rule (or the data) could not be evaluated.
#[derive(Debug)]
#[non_exhaustive]
pub enum HuntError {
    /// A rule's query does not parse or plan against this data.
    Query {
        /// The rule's file.
        path: PathBuf,
        /// The rule's name.
        rule: String,
        /// The query that failed (the rule's, or one derived from it).
        query: String,
        /// What the engine said.
        message: String,
    },
    /// The engine failed outside any one rule (loading, registering the data).
    Engine(String),
}

impl Display for HuntError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            HuntError::Query {
                path,
                rule,
                query,
                message,
            } => write!(
                f,
                "{}: rule {rule:?}: {message} (query: {})",
                path.display(),
                query.replace('\n', " ")
            ),
            HuntError::Engine(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for HuntError {}
