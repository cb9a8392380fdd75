//! Problems found in rule files, as data that points at a file and line.

use std::fmt::{self, Display, Formatter};
use std::path::PathBuf;

/// How bad a [`RuleProblem`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The rule still works, but something is missing or doubtful (e.g. no MITRE tags).
    Warning,
    /// The file or rule cannot be used as written.
    Error,
}

impl Level {
    /// `"warning"` or `"error"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// One problem in a rule file: which file, where in it, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleProblem {
    /// The file (as given to the loader; empty when the rule came from a string).
    pub path: PathBuf,
    /// One-based line in the file, when known.
    pub line: Option<usize>,
    /// One-based column in the file, when known.
    pub column: Option<usize>,
    /// Error or warning.
    pub level: Level,
    /// What is wrong, in one line (a query error may add the rendered query after it).
    pub message: String,
}

impl RuleProblem {
    /// An error in `path` at `line` (if known).
    pub fn error(
        path: impl Into<PathBuf>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        RuleProblem {
            path: path.into(),
            line,
            column: None,
            level: Level::Error,
            message: message.into(),
        }
    }

    /// A warning in `path` at `line` (if known).
    pub fn warning(
        path: impl Into<PathBuf>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        RuleProblem {
            level: Level::Warning,
            ..RuleProblem::error(path, line, message)
        }
    }

    /// The same problem at `column`.
    pub fn at_column(mut self, column: Option<usize>) -> Self {
        self.column = column;
        self
    }

    /// Whether this is an [`Level::Error`].
    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
}

/// `path:line:column: level: message`, leaving out what is unknown
/// (`rules/x.yml:12:7: error: unknown stage `grouby``).
impl Display for RuleProblem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}: {}", self.level.as_str(), self.message)
    }
}

impl std::error::Error for RuleProblem {}
