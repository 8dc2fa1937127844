//! The AutoDBAudit domain, free of I/O.
//!
//! Everything here is plain data and pure functions so that it can be tested exhaustively and
//! reused by every other crate (collection, report, history, remediation) without dragging in
//! a network stack or a file system. Step 1 holds the vocabulary that configuration and the
//! command line already need (check identifiers and severities); the instance snapshot, the
//! check catalogue and the change classification join it in later steps.

mod check_id;
mod severity;

pub use check_id::{CheckId, CheckIdError};
pub use severity::Severity;
mod names;
mod release;

pub use names::is_reserved_windows_name;
pub use release::{BuildNumber, BuildNumberError, RELEASES, Release};
