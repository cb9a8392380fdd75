//! The trailhunt query language: a filter over CloudTrail events followed by pipe
//! stages, in the dialect of Scanner (see `LANGUAGE.md` and `grammar/` in the
//! repository).
//!
//! This crate only turns text into an [`ast::Query`] (or [`Diagnostics`] that point
//! at the text); it knows nothing of data or execution.
//!
//! ```
//! use trailhunt_lang::ast::{FilterKind, StageKind};
//!
//! let q = trailhunt_lang::parse_query(
//!     r#"eventSource="cloudtrail.amazonaws.com" eventName=(StopLogging DeleteTrail)
//!        | groupbycount userIdentity.arn"#,
//! )?;
//! assert!(matches!(q.filter.kind, FilterKind::And(_)));
//! assert!(matches!(q.stages[0].kind, StageKind::GroupByCount(_)));
//! assert_eq!(
//!     q.to_string(),
//!     r#"eventSource = "cloudtrail.amazonaws.com" and eventName = (StopLogging DeleteTrail) | groupbycount userIdentity.arn"#
//! );
//!
//! let text = "* | grouby user";
//! let err = trailhunt_lang::parse_query(text).unwrap_err();
//! assert!(err.render(text).contains("did you mean `groupbycount`?"));
//! # Ok::<(), trailhunt_lang::Diagnostics>(())
//! ```
#![deny(missing_docs)]

pub mod ast;
mod display;
mod error;
mod lexical;
mod parser;
mod span;
pub mod suggest;
mod tree;

pub use ast::Query;
pub use error::{Diagnostics, ParseError, render, render_warnings};
pub use parser::{MAX_DEPTH, blank_comments, parse_query};
pub use span::Span;

/// The stage keywords the language knows, in documentation order.
pub fn stage_names() -> &'static [&'static str] {
    &parser::STAGE_NAMES
}

/// Parses `text` and describes it: the canonical query text, then the AST as an
/// indented S-expression (spans left out). This is what `trailhunt explain` prints.
pub fn explain(text: &str) -> Result<String, Diagnostics> {
    let query = parse_query(text)?;
    Ok(format!(
        "canonical: {query}\nast:\n{}\n",
        tree::query_tree(&query)
    ))
}

/// The AST of a parsed query as an indented S-expression without spans.
pub fn ast_tree(query: &Query) -> String {
    tree::query_tree(query)
}
