//! Exit codes (SPEC §4) and the error type commands return.

use std::fmt;

/// The process exit codes, one per class of outcome, so that scripts and pipelines can react.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success.
    Success = 0,
    /// An internal error: a bug, or the OS failing underneath us.
    Internal = 1,
    /// Usage or configuration error; nothing was written.
    Usage = 2,
    /// Some targets could not be audited; the report says which.
    Partial = 3,
    /// The workspace is locked by another run, or the workbook is open.
    Locked = 4,
    /// `--fail-on`: a finding at or above the given severity.
    FindingsAtOrAbove = 5,
}

/// A command's failure: the exit code, what went wrong, and what to do about it.
#[derive(Debug)]
pub struct CliError {
    /// The exit code.
    pub exit: Exit,
    /// What went wrong (already redacted of secrets).
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl CliError {
    /// A usage or configuration error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            exit: Exit::Usage,
            message: message.into(),
            hint: None,
        }
    }

    /// An internal error (exit 1).
    pub fn internal(message: impl Into<String>) -> Self {
        CliError {
            exit: Exit::Internal,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds what to do about it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<audit_lifecycle::Error> for CliError {
    /// The lifecycle's error with its wording and hint; its kind decides the exit code. Its
    /// details are the caller's to list (see `finalize`).
    fn from(e: audit_lifecycle::Error) -> Self {
        CliError {
            exit: match e.kind {
                audit_lifecycle::ErrorKind::Usage => Exit::Usage,
                audit_lifecycle::ErrorKind::Internal => Exit::Internal,
                audit_lifecycle::ErrorKind::Locked => Exit::Locked,
            },
            message: e.message,
            hint: e.hint,
        }
    }
}

/// What every command returns.
pub type CmdResult = Result<Exit, CliError>;
