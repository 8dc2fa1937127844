//! Remediation: fix and rollback T-SQL scripts generated from the audit's findings and the
//! facts collected with them, and their parallel, logged execution.
//!
//! - [`plan`]: findings → items, one rule per kind of fix, with the state captured before it
//!   (what the rollback restores), the category that decides the level, and what is held back
//!   at every level (documented exceptions, anything touching the connecting principal).
//! - [`render`]: items → scripts, from templates embedded in the binary; values reach a
//!   script only through the quoting filters of [`quote`].
//! - [`secrets`]: generated passwords, kept in a protected file; scripts hold placeholders.
//! - [`script`]: a script read back as batches and checked ([`script::validate`]).
//! - [`apply`]: batches run, servers in parallel, each batch's outcome returned.
//!
//! Nothing here reads the history or the configuration: the CLI gathers the inputs and
//! records the outcomes.

pub mod apply;
pub mod plan;
pub mod quote;
pub mod render;
pub mod script;
pub mod secrets;

pub use plan::{Action, Category, Hold, Input, Item, Level, plan};
pub use render::{Header, Scripts, render};
