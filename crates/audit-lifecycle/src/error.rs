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
    /// A history that fails underneath a command that already opened it: internal. A full disk
    /// or a read-only folder says so, and that the history is intact (SQLite rolled back).
    fn from(e: history::HistoryError) -> Self {
        let folder = e
            .path()
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."))
            .display()
            .to_string();
        if e.is_disk_full() {
            Error::internal(format!(
                "the disk holding {folder} is full ({e})"
            ))
            .hint("free space on it and run the command again; the history is intact (SQLite rolled back the unfinished change)")
        } else if e.is_read_only() {
            Error::usage(format!("the workspace {folder} is read-only ({e})")).hint(
                "commands that change the workspace need write access; `status`, `config validate` and `checks` work read-only",
            )
        } else {
            Error::internal(e.to_string())
        }
    }
}

/// Whether an I/O error means the disk, or the user's quota on it, is full (ENOSPC, EDQUOT).
pub(crate) fn is_disk_full(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    // ENOSPC is 28 on Linux, macOS and BSD; EDQUOT is 122 on Linux, 69 on macOS/BSD;
    // ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows are 112 / 39.
    let raw: &[i32] = if cfg!(windows) {
        &[39, 112]
    } else if cfg!(target_os = "linux") {
        &[28, 122]
    } else {
        &[28, 69]
    };
    matches!(e.kind(), ErrorKind::StorageFull | ErrorKind::QuotaExceeded)
        || e.raw_os_error().is_some_and(|code| raw.contains(&code))
}

/// An output file that could not be written after the run was recorded: a full disk says so
/// (the history is intact, the run recorded); anything else is internal.
pub(crate) fn output_failed(what: &str, folder: &std::path::Path, e: &std::io::Error) -> Error {
    if is_disk_full(e) {
        Error::internal(format!(
            "the disk holding {} is full: {what} could not be written ({e})",
            folder.display()
        ))
        .hint("free space on it and run again; the history is intact and the run recorded, and no partial file was left behind")
    } else {
        Error::internal(format!("cannot write {what} in {}: {e}", folder.display()))
    }
}

/// A workbook that cannot be written now: locked, with what to do; any other write failure is
/// internal.
pub(crate) fn workbook_locked(error: report::PublishError) -> Error {
    match error {
        report::PublishError::Locked { .. } => Error::locked(error.to_string()).hint(
            "nothing else was changed; close the workbook (or wait for whoever has it open) and run again",
        ),
        report::PublishError::NotAFile { .. } => Error::usage(error.to_string()).hint(
            "move it away (the workbook is a regular .xlsx file), then run `autodbaudit report` to write the workbook again from the history; nothing was changed",
        ),
        report::PublishError::Write { .. } if error.is_disk_full() => Error::internal(format!(
            "the disk is full: {error}"
        ))
        .hint("free space on it and run again; the history is intact, the old workbook untouched and no partial file left behind"),
        report::PublishError::Write { .. } => Error::internal(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_says_so_and_that_the_history_is_intact() {
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert!(is_disk_full(&full));
        let e = output_failed("findings.json", std::path::Path::new("output/x"), &full);
        assert!(
            e.message.starts_with("the disk holding output/x is full"),
            "{e}"
        );
        assert!(e.hint.unwrap().contains("history is intact"));
        let other = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(!is_disk_full(&other));
        assert!(
            !output_failed("findings.json", std::path::Path::new("o"), &other)
                .message
                .contains("full")
        );
    }
}
