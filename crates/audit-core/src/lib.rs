//! The AutoDBAudit domain, free of I/O.
//!
//! Everything here is plain data and pure functions so that it can be tested exhaustively and
//! reused by every other crate (collection, report, history, remediation) without dragging in
//! a network stack or a file system: the vocabulary (check ids, severities, releases), the
//! instance [`snapshot`] the collector fills, the [`checks`] catalogue that turns a snapshot
//! into [`Finding`]s, and (later) the change classification.

mod check_id;
mod severity;

pub use check_id::{CheckId, CheckIdError};
pub use severity::Severity;
pub mod build_data;
mod names;
mod release;

pub mod checks;
mod finding;
mod fix;
pub mod permissions;
pub mod privilege_graph;
pub mod snapshot;
pub mod stig;

mod annotation;
mod standing;
pub mod changes;
pub mod compliance;
pub use annotation::Annotation;
pub use standing::Standing;
pub use finding::{Finding, RemediationCategory, Status, entity_key};
pub use fix::{DatabaseOption, Fix};

pub use names::{is_hidden, is_reserved_windows_name};
pub use release::{BuildNumber, BuildNumberError, RELEASES, Release, ReleaseError};
