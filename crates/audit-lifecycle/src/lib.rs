//! The audit lifecycle: audit → history → sync → finalize.
//!
//! Everything the commands do to an audit beyond parsing arguments and printing lives here:
//! selecting targets and collecting them ([`audit`]), recording each run in the history,
//! `findings.json`, classifying what changed since each target was last audited and the
//! exception states ([`sync`], with [`audit_core::changes`]), rendering a recorded run as the
//! workbook ([`render`]), where an audit stands and what blocks finalizing ([`status`]),
//! freezing it ([`finalize`]), remediation scripts generated, checked and run with every
//! batch's outcome recorded ([`remediation`]), and the workspace itself — its lock, its
//! files, the latest audit and run ([`workspace`]).
//!
//! Nothing here prints. Functions return what happened; what the user should know while a
//! step runs (which audit, progress over the fleet, the run recorded) goes to an [`Observer`]
//! the caller implements. Failures are [`Error`]s worded for the user, with a hint and a
//! [`ErrorKind`] the command line turns into its exit code.

pub mod audit;
pub mod baselines;
mod error;
pub mod exceptions;
pub mod exports;
mod files;
pub mod finalize;
mod findings_json;
pub mod remediation;
pub mod render;
pub mod standings;
pub mod status;
pub mod sync;
pub mod targets;
pub mod workspace;

use std::sync::Arc;

pub use collect::fleet::Event;
pub use error::{Error, ErrorKind};
pub use history::RunKind;

/// What a lifecycle step tells its caller while it runs. Only [`note`](Observer::note) is
/// required; the rest matter for runs that collect.
pub trait Observer {
    /// Something the user should know now (which audit a run records into, a workbook problem
    /// sync skipped over).
    fn note(&mut self, text: &str);

    /// The pre-flight passed and a run of `kind` is about to change the workspace (the lock is
    /// held). The command line attaches its run log here; an error stops the run before
    /// anything is written.
    fn starting(&mut self, kind: RunKind) -> Result<(), Error> {
        let _ = kind;
        Ok(())
    }

    /// Collection of `total` targets starts: the returned function receives every
    /// [`Event`], from the collecting tasks' threads, and `Event::Started("")` once at the
    /// end.
    fn progress(&mut self, total: usize) -> Arc<dyn Fn(Event) + Send + Sync> {
        let _ = total;
        Arc::new(|_| {})
    }

    /// The run is recorded in the history and `findings.json` written: every target with its
    /// findings, before the workbook is rendered (which takes a while for a large fleet).
    fn recorded(&mut self, targets: &[audit::TargetRun]) {
        let _ = targets;
    }
}

/// The current UTC time as the history and the workbook show it (`YYYY-MM-DD hh:mm:ss`).
pub fn now() -> String {
    let now = time::OffsetDateTime::now_utc();
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    now.format(&format).unwrap_or_default()
}

/// `AutoDBAudit x.y.z`, as the history, the workbook and the scripts record it.
pub fn tool_version() -> String {
    format!("AutoDBAudit {}", env!("CARGO_PKG_VERSION"))
}
