//! The SQLite history (`audit_history.db`): audits, their runs, the facts each run collected
//! (enough to re-render a workbook without the servers), findings, stable row identities,
//! auditors' annotations with every change, and the action log.
//!
//! One file, WAL journal, foreign keys on, versioned migrations (`schema.rs`) whose version only
//! increases; a file from a newer AutoDBAudit, or a file that is not ours, is refused untouched
//! rather than damaged. Every write is one transaction, so a crash leaves no half-written run.
//! Every error names the file, because the person reading it has to find and fix that file.

mod actions;
mod audits;
mod baselines;
mod remediation;
mod rows;
mod runs;
mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior};

pub use actions::{ActionRecord, NewAction};
pub use audits::{AuditRecord, AuditStatus};
pub use baselines::{Baseline, BaselineResult, NewBaseline};
pub use remediation::{BatchOutcome, RemediationRun, RemediationStatus};
pub use rows::{Annotation, AnnotationChange};
pub use runs::{RunKind, RunRecord, RunStatus, StoredFinding, TargetRecord};

/// What went wrong with the history. Every variant names the file, so that the message alone
/// tells the reader which file to look at.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The file was written by a newer AutoDBAudit: refused untouched so that an old build never
    /// damages data it does not understand.
    #[error(
        "{path} was written by a newer AutoDBAudit (history schema version {found}; this version knows up to {known}): use that version or a newer one to work with this history; this version has not changed the file"
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// The file's schema version (`PRAGMA user_version`).
        found: i64,
        /// The newest schema version this build knows.
        known: i64,
    },
    /// The file is not an AutoDBAudit history (not SQLite at all, or another program's
    /// database): refused untouched so that we never write our tables into someone else's file.
    #[error(
        "{path} is not an AutoDBAudit history database ({reason}); move it away (a new history is then started) or restore the history from a backup"
    )]
    NotHistory {
        /// The file.
        path: PathBuf,
        /// Why it is not one.
        reason: String,
    },
    /// A stored value does not parse: the file was edited by hand or by an incompatible build.
    #[error("{path}: corrupt value in table {table}, row {row}: {value:?}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The table.
        table: &'static str,
        /// The row id.
        row: i64,
        /// The value that does not parse.
        value: String,
    },
    /// The operation does not fit the stored state (recording a run that is not running, a run
    /// of a finalized audit …): a caller's mistake, refused before anything is written.
    #[error("{path}: {message}")]
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A migration failed; the file stays at the version before it.
    #[error("{path}: upgrading the history to schema version {version} failed: {source}")]
    Migration {
        /// The file.
        path: PathBuf,
        /// The version that could not be applied.
        version: i64,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// SQLite failed (disk full, locked for longer than the busy timeout, I/O error …).
    #[error("{path}: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
}

impl HistoryError {
    /// Whether SQLite failed because the disk (or the user's quota) is full. SQLite rolls back
    /// the unfinished transaction, so the history itself is intact.
    pub fn is_disk_full(&self) -> bool {
        match self {
            HistoryError::Sqlite { source, .. } | HistoryError::Migration { source, .. } => {
                // SQLITE_FULL, or SQLITE_IOERR_SHMSIZE: the WAL index beside the file could not
                // be grown, which on a local disk means there is no space left for it.
                const IOERR_SHMSIZE: i32 = 10 | (19 << 8);
                source.sqlite_error_code() == Some(ErrorCode::DiskFull)
                    || source
                        .sqlite_error()
                        .is_some_and(|e| e.extended_code == IOERR_SHMSIZE)
            }
            _ => false,
        }
    }

    /// Whether SQLite could not write because the file or its folder is read-only.
    pub fn is_read_only(&self) -> bool {
        match self {
            HistoryError::Sqlite { source, .. } | HistoryError::Migration { source, .. } => {
                source.sqlite_error_code() == Some(ErrorCode::ReadOnly)
            }
            _ => false,
        }
    }

    /// Whether SQLite gave up waiting for another process's lock on the file (SQLITE_BUSY or
    /// SQLITE_LOCKED after the busy timeout): the file is in use, not damaged, and the same
    /// command works once the other process is done.
    pub fn is_busy(&self) -> bool {
        match self {
            HistoryError::Sqlite { source, .. } | HistoryError::Migration { source, .. } => {
                matches!(
                    source.sqlite_error_code(),
                    Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
                )
            }
            _ => false,
        }
    }

    /// The history file the error is about, for callers that want to point at it.
    pub fn path(&self) -> &Path {
        match self {
            HistoryError::NewerSchema { path, .. }
            | HistoryError::NotHistory { path, .. }
            | HistoryError::Corrupt { path, .. }
            | HistoryError::State { path, .. }
            | HistoryError::Migration { path, .. }
            | HistoryError::Sqlite { path, .. } => path,
        }
    }
}

/// Marks a SQLite file as an AutoDBAudit history (`PRAGMA application_id`, ASCII "ADBA"), so
/// that another program's database, or a file of an unreleased schema, is recognised as not ours.
const APPLICATION_ID: i32 = 0x4144_4241;

/// How long a statement waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The history, open: one SQLite connection to `audit_history.db`.
pub struct History {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History").field("path", &self.path).finish()
    }
}

impl History {
    /// The newest schema version this build knows (the number of migrations); a file with a
    /// higher version is refused.
    pub const SCHEMA_VERSION: i64 = schema::MIGRATIONS.len() as i64;

    /// Opens the history at `path`, creating the file if it is missing and applying the
    /// migrations it lacks. Refuses, untouched, a file of a newer schema and a file that is not
    /// an AutoDBAudit history.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        let conn = Connection::open(path).map_err(sql(path))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql(path))?;
        let mut history = History {
            conn,
            path: path.to_owned(),
        };
        // Look before changing anything (even the journal mode is written to the file).
        history.check_ownership()?;
        let path = &history.path;
        let mode: String = history
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(sql(path))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(state(
                path,
                format!(
                    "SQLite could not switch the history to WAL mode (it stays `{mode}`); put the workspace on a local disk"
                ),
            ));
        }
        // WAL with synchronous=NORMAL: a process crash never loses a committed transaction;
        // a power cut may lose the last ones, never the file's consistency. A page cache of up
        // to 16 MiB keeps a large run's indexes in memory instead of spilling them mid-write.
        history
            .conn
            .execute_batch(
                "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384;",
            )
            .map_err(sql(path))?;
        history.migrate()?;
        Ok(history)
    }

    /// Opens the history for reading only (`status`): never created, migrated or changed, so
    /// it works on a read-only workspace. A history whose schema is older than this build's is
    /// refused untouched (a command that writes upgrades it). Where the folder is writable the
    /// connection is an ordinary one limited by `query_only` (SQLite then removes its WAL files
    /// on close); on a read-only folder SQLite's read-only mode, and where even that cannot
    /// create the WAL index, immutable mode: nobody can be writing the file there.
    pub fn open_read_only(path: &Path) -> Result<History, HistoryError> {
        use rusqlite::OpenFlags;
        enum Mode {
            QueryOnly,
            ReadOnly,
            Immutable,
        }
        let open = |mode: Mode| -> Result<History, HistoryError> {
            let base = OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
            let conn = match mode {
                Mode::QueryOnly => Connection::open_with_flags(
                    file_uri(path, "mode=rw"),
                    base | OpenFlags::SQLITE_OPEN_READ_WRITE,
                ),
                Mode::ReadOnly => Connection::open_with_flags(
                    file_uri(path, "mode=ro"),
                    base | OpenFlags::SQLITE_OPEN_READ_ONLY,
                ),
                Mode::Immutable => Connection::open_with_flags(
                    file_uri(path, "immutable=1"),
                    base | OpenFlags::SQLITE_OPEN_READ_ONLY,
                ),
            }
            .map_err(sql(path))?;
            conn.busy_timeout(BUSY_TIMEOUT).map_err(sql(path))?;
            conn.execute_batch("PRAGMA query_only = ON")
                .map_err(sql(path))?;
            let history = History {
                conn,
                path: path.to_owned(),
            };
            history.check_ownership()?;
            Ok(history)
        };
        // Only a failure that says the folder or disk cannot take SQLite's files is worth the
        // next, more careful mode: a read-only folder says CANTOPEN or READONLY, a full disk
        // cannot grow the WAL index and says IOERR. Anything else (above all BUSY: another
        // process holds the file locked) is reported as it is: immutable mode would ignore the
        // locks and the WAL, and read stale or half-written pages.
        let unwritable = |e: &HistoryError| match e {
            HistoryError::Sqlite { source, .. } => matches!(
                source.sqlite_error_code(),
                Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly | ErrorCode::SystemIoFailure)
            ),
            _ => false,
        };
        let history = match open(Mode::QueryOnly) {
            Err(e) if unwritable(&e) => match open(Mode::ReadOnly) {
                Err(e) if unwritable(&e) => open(Mode::Immutable)?,
                other => other?,
            },
            other => other?,
        };
        let version = history.schema_version()?;
        if version != Self::SCHEMA_VERSION {
            return Err(state(
                path,
                format!(
                    "the history is at schema version {version} and this version reads {}; a command that writes (`autodbaudit report`, `audit`) upgrades it first",
                    Self::SCHEMA_VERSION
                ),
            ));
        }
        Ok(history)
    }

    /// Refuses a file that is not SQLite, not ours, or newer than this build.
    fn check_ownership(&self) -> Result<(), HistoryError> {
        let path = &self.path;
        let not_history = |reason: &str| HistoryError::NotHistory {
            path: path.clone(),
            reason: reason.to_owned(),
        };
        // The first read of a file that is not SQLite fails here.
        let (version, application_id): (i64, i32) = self
            .conn
            .query_row(
                "SELECT (SELECT user_version FROM pragma_user_version),
                        (SELECT application_id FROM pragma_application_id)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| match e.sqlite_error_code() {
                Some(ErrorCode::NotADatabase) => not_history("it is not a SQLite database"),
                _ => sql(path)(e),
            })?;
        if version > Self::SCHEMA_VERSION {
            return Err(HistoryError::NewerSchema {
                path: path.clone(),
                found: version,
                known: Self::SCHEMA_VERSION,
            });
        }
        if version < 0 {
            return Err(not_history(&format!(
                "its schema version {version} is not one AutoDBAudit writes"
            )));
        }
        if version == 0 && application_id == 0 {
            // New or empty, unless another program already keeps tables in it.
            let objects: i64 = self
                .conn
                .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
                .map_err(sql(path))?;
            if objects > 0 {
                return Err(not_history(
                    "it is a SQLite database of another program: it holds tables that are not AutoDBAudit's",
                ));
            }
        } else if application_id != APPLICATION_ID {
            return Err(not_history(
                "it is a SQLite database of another program, or of an unreleased AutoDBAudit build",
            ));
        }
        Ok(())
    }

    /// Applies the missing migrations, each in its own write transaction together with its
    /// version bump. The version is read again inside the transaction, so two processes opening
    /// the same old file cannot apply a migration twice.
    fn migrate(&mut self) -> Result<(), HistoryError> {
        if self.schema_version()? == Self::SCHEMA_VERSION {
            return Ok(());
        }
        let path = &self.path;
        loop {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql(path))?;
            let found: i64 = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(sql(path))?;
            if found > Self::SCHEMA_VERSION {
                return Err(HistoryError::NewerSchema {
                    path: path.clone(),
                    found,
                    known: Self::SCHEMA_VERSION,
                });
            }
            let Ok(index) = usize::try_from(found) else {
                return Err(HistoryError::NotHistory {
                    path: path.clone(),
                    reason: format!("its schema version {found} is not one AutoDBAudit writes"),
                });
            };
            let Some(sql_text) = schema::MIGRATIONS.get(index) else {
                return Ok(()); // up to date
            };
            let version = found + 1;
            let failed = |source| HistoryError::Migration {
                path: path.clone(),
                version,
                source,
            };
            tx.execute_batch(sql_text).map_err(failed)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(failed)?;
            tx.pragma_update(None, "user_version", version)
                .map_err(failed)?;
            tx.commit().map_err(failed)?;
        }
    }

    /// The file's schema version (`PRAGMA user_version`), for diagnostics and selftest.
    pub fn schema_version(&self) -> Result<i64, HistoryError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql(&self.path))
    }

    /// `PRAGMA integrity_check`: `ok` when the file is sound, otherwise SQLite's findings, one a
    /// line; for selftest and after a crash.
    pub fn integrity_check(&self) -> Result<String, HistoryError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(sql(path))?;
        let lines = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(sql(path))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql(path))?;
        Ok(lines.join("\n"))
    }

    /// The file, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Begins a write transaction that takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// deferred one could fail half-way when another process wrote meanwhile, which the busy
    /// timeout does not cover. Returns the path too, for errors, as the two borrows are disjoint.
    fn write(&mut self) -> Result<(Transaction<'_>, &Path), HistoryError> {
        let History { conn, path } = self;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(path))?;
        Ok((tx, path))
    }
}

/// Wraps SQLite's errors with the file's name.
/// `file:` URI of `path` with `query`, every byte outside the unreserved set percent-encoded
/// (a workspace path may hold `?`, `#`, `%` or spaces).
fn file_uri(path: &Path, query: &str) -> String {
    let text = path.to_string_lossy();
    let text = if cfg!(windows) {
        text.replace('\\', "/")
    } else {
        text.into_owned()
    };
    let mut uri = String::from("file:");
    // An absolute Windows path (C:/…) is written file:/C:/…; relative paths stay relative.
    if cfg!(windows) && text.as_bytes().get(1) == Some(&b':') {
        uri.push('/');
    }
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push('?');
    uri.push_str(query);
    uri
}

fn sql(path: &Path) -> impl Fn(rusqlite::Error) -> HistoryError + '_ {
    move |source| HistoryError::Sqlite {
        path: path.to_owned(),
        source,
    }
}

/// A stored value that does not parse.
fn corrupt(path: &Path, table: &'static str, row: i64, value: impl Into<String>) -> HistoryError {
    HistoryError::Corrupt {
        path: path.to_owned(),
        table,
        row,
        value: value.into(),
    }
}

/// An operation that does not fit the stored state.
fn state(path: &Path, message: impl Into<String>) -> HistoryError {
    HistoryError::State {
        path: path.to_owned(),
        message: message.into(),
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

    #[test]
    fn open_read_only_reads_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd name #1?.db");
        {
            let mut history = super::History::open(&path).unwrap();
            history
                .open_audit("2026-H2", "Contoso", "2026-01-01T00:00:00Z")
                .unwrap();
        }
        let listing = || {
            let mut names: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            names.sort();
            names
        };
        let before = listing();
        let bytes = std::fs::read(&path).unwrap();
        let history = super::History::open_read_only(&path).unwrap();
        assert_eq!(history.latest_audit().unwrap().unwrap().name, "2026-H2");
        drop(history);
        assert_eq!(listing(), before);
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        let missing = super::History::open_read_only(&dir.path().join("absent.db"));
        assert!(missing.is_err());
        assert!(!dir.path().join("absent.db").exists());
    }

    /// A history another connection holds locked is "busy", never read in immutable mode
    /// (which ignores locks and the WAL, and showed the uncommitted or stale state).
    #[test]
    fn open_read_only_on_a_locked_history_is_busy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit_history.db");
        {
            let mut history = super::History::open(&path).unwrap();
            history
                .open_audit("2026-H2", "Contoso", "2026-01-01T00:00:00Z")
                .unwrap();
        }
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE audits SET name = 'uncommitted';",
        )
        .unwrap();
        let err = super::History::open_read_only(&path).unwrap_err();
        assert!(err.is_busy(), "{err}");
        assert!(!err.is_read_only() && !err.is_disk_full(), "{err}");
        conn.execute_batch("ROLLBACK").unwrap();
        drop(conn);
        let history = super::History::open_read_only(&path).unwrap();
        assert_eq!(history.latest_audit().unwrap().unwrap().name, "2026-H2");
    }
}
