//! The one error type of the lifecycle: what went wrong, what to do, and which kind of failure
//! it is (the binary turns the kind into its exit code).

use std::fmt;

/// Which kind of failure: decides the exit code the command line gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request or the workspace's state does not allow it (a usage or configuration
    /// error); nothing was written.
    Usage,
    /// A bug, or the OS or a stored file failing underneath.
    Internal,
    /// The workspace is locked by another run, or the workbook is open in another program.
    Locked,
}

/// A lifecycle step's failure, worded for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Which kind of failure.
    pub kind: ErrorKind,
    /// What went wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// The items the message counts (the rows that block finalizing), for the caller to list
    /// before it.
    pub details: Vec<String>,
}

impl Error {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hint: None,
            details: Vec::new(),
        }
    }

    /// A usage or state error.
    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Usage, message)
    }

    /// An internal error.
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, message)
    }

    /// The workspace or the workbook is in use.
    pub fn locked(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Locked, message)
    }

    /// Adds what to do about it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds the items the message counts.
    pub fn details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<history::HistoryError> for Error {
    /// A history that fails underneath a command that already opened it: internal.
    fn from(e: history::HistoryError) -> Self {
        Error::internal(e.to_string())
    }
}

/// A workbook that cannot be written now: locked, with what to do; any other write failure is
/// internal.
pub(crate) fn workbook_locked(error: report::PublishError) -> Error {
    match error {
        report::PublishError::Locked { .. } => Error::locked(error.to_string()).hint(
            "nothing else was changed; close the workbook (or wait for whoever has it open) and run again",
        ),
        report::PublishError::Write { .. } => Error::internal(error.to_string()),
    }
}
