//! The SQLite history (`audit_history.db`): audits, their runs, the facts each run collected
//! (enough to re-render a workbook without the servers), findings, stable row identities,
//! auditors' annotations with every change, and the action log.
//!
//! One file, WAL journal, foreign keys on, versioned migrations (`schema.rs`) whose version only
//! increases; a file from a newer AutoDBAudit is refused rather than damaged. Everything a run
//! writes is written in one transaction per stage, so a crash leaves no half-written run.

mod actions;
mod audits;
mod rows;
mod runs;
mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

pub use actions::{ActionRecord, NewAction};
pub use audits::{AuditRecord, AuditStatus};
pub use rows::{Annotation, AnnotationChange};
pub use runs::{RunKind, RunRecord, RunStatus, StoredFinding, TargetRecord};

/// What went wrong with the history, always naming the file.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The file was written by a newer AutoDBAudit.
    #[error(
        "{path} has history schema version {found}, newer than this AutoDBAudit knows ({known}): it was written by a newer version; use that version (this one will not change the file)"
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// The file is not a SQLite database.
    #[error(
        "{path} is not an AutoDBAudit history database ({message}); move it away or restore it from a backup"
    )]
    NotHistory {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        message: String,
    },
    /// A stored value does not parse.
    #[error("{path}: corrupt value in {table} row {row}: {value:?}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The table.
        table: &'static str,
        /// The row id.
        row: i64,
        /// The value.
        value: String,
    },
    /// The operation does not fit the state (a run that is not running, …).
    #[error("{path}: {message}")]
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// SQLite failed.
    #[error("{path}: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
}

/// The history, open.
pub struct History {
    conn: Connection,
    path: PathBuf,
}

impl History {
    /// Opens (creating if needed) and migrates the history at `path`.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        let not_history = |e: rusqlite::Error| HistoryError::NotHistory {
            path: path.to_owned(),
            message: e.to_string(),
        };
        let conn = Connection::open(path).map_err(|source| HistoryError::Sqlite {
            path: path.to_owned(),
            source,
        })?;
        // The first read of a file that is not SQLite fails here.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(not_history)?;
        let _ = mode;
        let mut history = History {
            conn,
            path: path.to_owned(),
        };
        history
            .conn
            .busy_timeout(Duration::from_secs(5))
            .map_err(|e| history.err(e))?;
        history
            .conn
            .execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
            .map_err(|e| history.err(e))?;
        history.migrate()?;
        Ok(history)
    }

    /// The file's schema version.
    pub fn schema_version(&self) -> Result<i64, HistoryError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// The newest schema version this build knows.
    pub const SCHEMA_VERSION: i64 = schema::MIGRATIONS.len() as i64;

    fn migrate(&mut self) -> Result<(), HistoryError> {
        let found = self.schema_version()?;
        if found > Self::SCHEMA_VERSION {
            return Err(HistoryError::NewerSchema {
                path: self.path.clone(),
                found,
                known: Self::SCHEMA_VERSION,
            });
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(found as usize) {
            let version = i as i64 + 1;
            let path = self.path.clone();
            let err = |source| HistoryError::Sqlite {
                path: path.clone(),
                source,
            };
            let tx = self.conn.transaction().map_err(err)?;
            tx.execute_batch(sql).map_err(err)?;
            tx.pragma_update(None, "user_version", version)
                .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(())
    }

    /// `PRAGMA integrity_check`: `ok` when the file is sound.
    pub fn integrity_check(&self) -> Result<String, HistoryError> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Sets the schema version, so that tests can fake a file from a newer AutoDBAudit.
    #[doc(hidden)]
    pub fn set_user_version_for_tests(&self, version: i64) {
        let _ = self.conn.pragma_update(None, "user_version", version);
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn corrupt(&self, table: &'static str, row: i64, value: impl Into<String>) -> HistoryError {
        HistoryError::Corrupt {
            path: self.path.clone(),
            table,
            row,
            value: value.into(),
        }
    }

    fn state(&self, message: impl Into<String>) -> HistoryError {
        HistoryError::State {
            path: self.path.clone(),
            message: message.into(),
        }
    }
}

/// Why SQLite could not be used in a folder.
#[derive(Debug, thiserror::Error)]
#[error("SQLite in {dir}: {source}")]
pub struct SelfCheckError {
    dir: String,
    source: rusqlite::Error,
}

/// Creates a database in `dir` in WAL mode, writes a row with awkward text, reads it back and
/// removes the files. Returns the SQLite version in use.
pub fn self_check(dir: &Path) -> Result<String, SelfCheckError> {
    let path = dir.join(format!("selftest-{}.sqlite", std::process::id()));
    let result = round_trip(&path);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    result.map_err(|source| SelfCheckError {
        dir: dir.display().to_string(),
        source,
    })
}

fn round_trip(path: &Path) -> Result<String, rusqlite::Error> {
    const TEXT: &str = "Ünïcødé ✓ ]'; DROP TABLE t;--";
    let conn = rusqlite::Connection::open(path)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::InvalidQuery);
    }
    conn.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)",
        [],
    )?;
    conn.execute("INSERT INTO t (v) VALUES (?1)", [TEXT])?;
    let back: String = conn.query_row("SELECT v FROM t WHERE id = 1", [], |r| r.get(0))?;
    if back != TEXT {
        return Err(rusqlite::Error::InvalidQuery);
    }
    let version: String = conn.query_row("SELECT sqlite_version()", [], |r| r.get(0))?;
    conn.close().map_err(|(_, e)| e)?;
    Ok(version)
}

#[cfg(test)]
mod tests {
    #[test]
    fn self_check_round_trips_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let version = super::self_check(dir.path()).unwrap();
        assert!(version.starts_with('3'), "{version}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn self_check_reports_an_unusable_folder() {
        let err = super::self_check(std::path::Path::new("/nonexistent/folder")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/folder"), "{err}");
    }
}
