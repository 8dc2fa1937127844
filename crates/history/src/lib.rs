//! The SQLite history (`audit_history.db`): audits, runs, findings, annotations and the action
//! log, behind versioned migrations.
//!
//! The store itself arrives with the workbook and history (step 5). What exists now is the
//! self-check `autodbaudit selftest` runs: SQLite (compiled into the executable) really works in
//! the workspace folder.

use std::path::Path;

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
