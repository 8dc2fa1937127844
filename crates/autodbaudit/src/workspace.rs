//! The workspace on disk: where its files are, the lock that keeps two runs from writing it at
//! once, and its history.

use std::fs::File;
use std::path::{Path, PathBuf};

use history::History;

use crate::exit::{CliError, Exit};

/// The history file's name, at the workspace root (SPEC §4).
pub const HISTORY_FILE: &str = "audit_history.db";
/// The lock file's name, at the workspace root.
const LOCK_FILE: &str = ".autodbaudit.lock";

/// A workspace this process holds the lock of, for as long as the value lives. The OS drops
/// the lock when the process dies, however it dies, so a crash never leaves it stuck.
pub struct Workspace {
    root: PathBuf,
    _lock: File,
}

impl Workspace {
    /// Takes the workspace lock, or exits 4 when another run holds it.
    pub fn lock(root: &Path) -> Result<Workspace, CliError> {
        let path = root.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| {
                CliError::usage(format!(
                    "cannot open the workspace lock {}: {e}",
                    path.display()
                ))
                .hint("check that the workspace folder exists and is writable")
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Workspace {
                root: root.to_owned(),
                _lock: file,
            }),
            Err(std::fs::TryLockError::WouldBlock) => Err(CliError {
                exit: Exit::Locked,
                message: format!(
                    "the workspace {} is in use by another AutoDBAudit run",
                    root.display()
                ),
                hint: Some("wait for it to finish, then run the command again".into()),
            }),
            Err(std::fs::TryLockError::Error(e)) => Err(CliError::internal(format!(
                "cannot lock the workspace ({}): {e}",
                path.display()
            ))),
        }
    }

    /// For commands that only read or extend what was audited (`report`, `status`,
    /// `finalize`): refuses, writing nothing, when the workspace has no history yet; else takes
    /// the lock and opens it.
    pub fn open_existing(root: &Path) -> Result<(Workspace, History), CliError> {
        if !root.join(HISTORY_FILE).exists() {
            return Err(CliError::usage(format!(
                "no history in {}: nothing has been audited here yet",
                root.display()
            ))
            .hint("run `autodbaudit audit` first (or pass --workspace DIR)"));
        }
        let ws = Workspace::lock(root)?;
        let history = ws.history()?;
        Ok((ws, history))
    }

    /// The workspace folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Opens (creating or migrating) the history, and marks runs a dead process left
    /// `running` as failed: with the lock held, nobody else can be running them.
    pub fn history(&self) -> Result<History, CliError> {
        let path = self.root.join(HISTORY_FILE);
        let mut history = History::open(&path).map_err(|e| {
            let hint = match e {
                history::HistoryError::NewerSchema { .. } => {
                    "use the AutoDBAudit version that wrote it; this one leaves it unchanged"
                }
                _ => "restore the file from a backup, or move it away to start a new history",
            };
            CliError::usage(e.to_string()).hint(hint)
        })?;
        let closed = history
            .close_interrupted_runs(&crate::commands::now())
            .map_err(|e| CliError::internal(e.to_string()))?;
        if closed > 0 {
            tracing::warn!(
                closed,
                "runs interrupted earlier were closed (audit runs failed, remediation runs interrupted)"
            );
        }
        Ok(history)
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

/// The audit the commands act on: the latest one, or a usage error saying there is none yet.
pub fn latest_audit(history: &History) -> Result<history::AuditRecord, CliError> {
    history
        .latest_audit()
        .map_err(|e| CliError::internal(e.to_string()))?
        .ok_or_else(|| {
            CliError::usage("the history holds no audit yet").hint("run `autodbaudit audit` first")
        })
}

/// The results the commands read: the latest completed run of `audit`, or a usage error.
pub fn latest_completed_run(
    history: &History,
    audit: &history::AuditRecord,
) -> Result<history::RunRecord, CliError> {
    history
        .latest_completed_run(audit.id)
        .map_err(|e| CliError::internal(e.to_string()))?
        .ok_or_else(|| {
            CliError::usage(format!("audit `{}` has no completed run yet", audit.name))
                .hint("run `autodbaudit audit` first")
        })
}

/// A workbook that cannot be written now: exit 4 with what to do.
pub fn workbook_locked(error: report::PublishError) -> CliError {
    match error {
        report::PublishError::Locked { .. } => CliError {
            exit: Exit::Locked,
            message: error.to_string(),
            hint: Some(
                "nothing else was changed; close the workbook (or wait for whoever has it open) and run again"
                    .into(),
            ),
        },
        report::PublishError::Write { .. } => CliError::internal(error.to_string()),
    }
}
