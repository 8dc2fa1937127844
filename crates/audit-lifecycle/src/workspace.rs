//! The workspace on disk: where its files are, the lock that keeps two runs from writing it at
//! once, its history, and the audit and run the commands act on.

use std::fs::File;
use std::path::{Path, PathBuf};

use history::{AuditRecord, History, RunRecord};

use crate::Error;

/// The history file's name, at the workspace root (SPEC §4).
pub const HISTORY_FILE: &str = "audit_history.db";
/// The lock file's name, at the workspace root.
pub const LOCK_FILE: &str = ".autodbaudit.lock";

/// A workspace this process holds the lock of, for as long as the value lives. The OS drops
/// the lock when the process dies, however it dies, so a crash never leaves it stuck.
pub struct Workspace {
    root: PathBuf,
    _lock: File,
}

impl Workspace {
    /// Takes the workspace lock; a locked error when another run holds it.
    pub fn lock(root: &Path) -> Result<Workspace, Error> {
        let path = root.join(LOCK_FILE);
        check_lock_file(&path)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| {
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
                ) && root.is_dir()
                {
                    Error::usage(format!(
                        "the workspace {} is read-only: this command changes it, and cannot take its lock {} ({e})",
                        root.display(),
                        path.display()
                    ))
                    .hint("run it on a writable copy of the workspace; `status`, `config validate` and `checks` work read-only")
                } else if crate::error::is_disk_full(&e) {
                    Error::internal(format!(
                        "the disk holding {} is full: cannot create the workspace lock ({e})",
                        root.display()
                    ))
                    .hint("free space on it and run again; nothing was changed and the history is intact")
                } else {
                    Error::usage(format!(
                        "cannot open the workspace lock {}: {e}",
                        path.display()
                    ))
                    .hint("check that the workspace folder exists and is writable")
                }
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Workspace {
                root: root.to_owned(),
                _lock: file,
            }),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::locked(format!(
                "the workspace {} is in use by another AutoDBAudit run",
                root.display()
            ))
            .hint("wait for it to finish, then run the command again")),
            Err(std::fs::TryLockError::Error(e)) => Err(Error::internal(format!(
                "cannot lock the workspace ({}): {e}",
                path.display()
            ))),
        }
    }

    /// For commands that only read or extend what was audited (`report`, `status`,
    /// `finalize`, `remediate generate`): refuses, writing nothing, when the workspace has no
    /// history yet; else takes the lock and opens it.
    pub fn open_existing(root: &Path) -> Result<(Workspace, History), Error> {
        if !root.join(HISTORY_FILE).exists() {
            return Err(Error::usage(format!(
                "no history in {}: nothing has been audited here yet",
                root.display()
            ))
            .hint("run `autodbaudit audit` first (or pass --workspace DIR)"));
        }
        let ws = Workspace::lock(root)?;
        let history = ws.history()?;
        Ok((ws, history))
    }

    /// For commands that only read the history (`status`): no lock and nothing written, so it
    /// works on a read-only workspace and while another run holds the lock (SQLite gives a
    /// consistent view of the last committed state).
    pub fn open_read_only(root: &Path) -> Result<History, Error> {
        let path = root.join(HISTORY_FILE);
        if !path.exists() {
            return Err(Error::usage(format!(
                "no history in {}: nothing has been audited here yet",
                root.display()
            ))
            .hint("run `autodbaudit audit` first (or pass --workspace DIR)"));
        }
        History::open_read_only(&path).map_err(history_error)
    }

    /// The workspace folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The history file.
    pub fn history_path(&self) -> PathBuf {
        self.root.join(HISTORY_FILE)
    }

    /// Opens (creating or migrating) the history, and marks runs a dead process left
    /// `running` as failed: with the lock held, nobody else can be running them.
    pub fn history(&self) -> Result<History, Error> {
        let mut history = History::open(&self.history_path()).map_err(history_error)?;
        let closed = history.close_interrupted_runs(&crate::now())?;
        if closed > 0 {
            tracing::warn!(
                closed,
                "runs interrupted earlier were closed (audit runs failed, remediation runs interrupted)"
            );
        }
        Ok(history)
    }

    /// Refuses, as a usage error, an audit name recorded in the history (by an older version,
    /// or by hand) that cannot name its files: every command that writes them would otherwise
    /// fail after recording a run.
    pub fn check_audit_name(&self, name: &str) -> Result<(), Error> {
        match audit_config::validate::audit_name_problem(name) {
            None => Ok(()),
            Some((problem, fix)) => Err(Error::usage(format!(
                "the audit `{name}` in {} cannot name its output folder: the name {problem}",
                self.history_path().display()
            ))
            .hint(format!(
                "start a new audit with a valid name: `autodbaudit audit --new NAME` ({fix})"
            ))),
        }
    }

    /// `output/<audit>/`: where an audit's workbook and findings go.
    pub fn audit_folder(&self, audit_name: &str) -> PathBuf {
        self.root.join("output").join(audit_name)
    }

    /// `output/<audit>/<audit>.xlsx`: the working workbook auditors edit.
    pub fn workbook_path(&self, audit_name: &str) -> PathBuf {
        self.audit_folder(audit_name)
            .join(format!("{audit_name}.xlsx"))
    }
}

/// Refuses a lock path that is there but is not a regular file, looked at without opening it:
/// opening a FIFO blocks until someone reads it (every command would hang), a device or socket
/// is not ours to lock, and a link would make the lock create or lock a file elsewhere.
fn check_lock_file(path: &Path) -> Result<(), Error> {
    let kind = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta.file_type(),
        // Missing (created on open) or unreadable: opening it says what is wrong.
        Err(_) => return Ok(()),
    };
    if kind.is_file() {
        return Ok(());
    }
    let what = if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_dir() {
        "a folder"
    } else {
        special_kind(kind)
    };
    Err(Error::usage(format!(
        "the workspace lock {} is {what}, not a regular file; AutoDBAudit will not open it",
        path.display()
    ))
    .hint(format!(
        "remove it (`rm {}`, or `rmdir` for a folder) and run the command again: AutoDBAudit creates the lock file itself",
        path.display()
    )))
}

#[cfg(unix)]
fn special_kind(kind: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe (FIFO), which would block the command forever"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_kind: std::fs::FileType) -> &'static str {
    "a special file"
}

/// A history that cannot be opened, with the hint that fits the cause: only a file that is not
/// a history is worth moving away; a full disk or a read-only folder leaves it intact.
fn history_error(e: history::HistoryError) -> Error {
    use history::HistoryError as H;
    if e.is_disk_full() || e.is_read_only() {
        return Error::from(e);
    }
    if e.is_busy() {
        return Error::locked(format!(
            "{} is in use: another process holds it locked ({e})",
            e.path().display()
        ))
        .hint("wait for the other AutoDBAudit run (or the program that has the file open) to finish, then try again; the history is not damaged");
    }
    let hint = match e {
        H::NewerSchema { .. } => {
            "use the AutoDBAudit version that wrote it; this one leaves it unchanged"
        }
        H::NotHistory { .. } | H::Corrupt { .. } => {
            "restore the file from a backup, or move it away to start a new history"
        }
        _ => "check the file and the disk holding it; the message above says what failed",
    };
    Error::usage(e.to_string()).hint(hint)
}

/// The audit the commands act on: the latest one, or a usage error saying there is none yet.
pub fn latest_audit(history: &History) -> Result<AuditRecord, Error> {
    history.latest_audit()?.ok_or_else(|| {
        Error::usage("the history holds no audit yet").hint("run `autodbaudit audit` first")
    })
}

/// The results the commands read: the latest completed run of `audit`, or a usage error.
pub fn latest_completed_run(history: &History, audit: &AuditRecord) -> Result<RunRecord, Error> {
    history.latest_completed_run(audit.id)?.ok_or_else(|| {
        Error::usage(format!("audit `{}` has no completed run yet", audit.name))
            .hint("run `autodbaudit audit` first")
    })
}

/// The latest audit and its latest completed run, in a workspace that has a history: what
/// `status`, `finalize` and `remediate generate` act on.
pub fn open_latest(root: &Path) -> Result<(Workspace, History, AuditRecord, RunRecord), Error> {
    let (ws, history) = Workspace::open_existing(root)?;
    let audit = latest_audit(&history)?;
    let run = latest_completed_run(&history, &audit)?;
    Ok((ws, history, audit, run))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_as_locked() {
        let dir = tempfile::tempdir().unwrap();
        let held = Workspace::lock(dir.path()).unwrap();
        let refused = Workspace::lock(dir.path()).err().unwrap();
        assert_eq!(refused.kind, crate::ErrorKind::Locked);
        drop(held);
        Workspace::lock(dir.path()).unwrap();
    }

    #[test]
    fn without_a_history_nothing_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let refused = Workspace::open_existing(dir.path()).err().unwrap();
        assert_eq!(refused.kind, crate::ErrorKind::Usage);
        assert!(refused.message.starts_with("no history in "));
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    }

    #[test]
    fn paths() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::lock(dir.path()).unwrap();
        assert_eq!(
            ws.workbook_path("2026-H2"),
            dir.path().join("output/2026-H2/2026-H2.xlsx")
        );
        assert_eq!(ws.history_path(), dir.path().join(HISTORY_FILE));
    }
}
