//! Putting a workbook in place without ever leaving a broken or half-written one: refuse when
//! the current workbook is open (Excel's `~$` lock file, or a file the OS will not let us
//! replace), write a fresh temporary file created exclusively beside it, then rename it over
//! the old one.

use std::path::{Path, PathBuf};

/// Why a workbook could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The workbook is open in Excel (or another program holds it).
    #[error("{path} is open ({why}); close it in Excel and run the command again")]
    Locked {
        /// The workbook.
        path: PathBuf,
        /// How we know.
        why: String,
    },
    /// Writing the new workbook failed.
    #[error("cannot write the workbook {path}: {message}")]
    Write {
        /// The workbook.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl PublishError {
    /// Whether writing failed because the disk (or the user's quota) is full: the message of
    /// the OS error (ENOSPC, EDQUOT, Windows' disk-full codes) as the writer reported it.
    pub fn is_disk_full(&self) -> bool {
        let PublishError::Write { message, .. } = self else {
            return false;
        };
        [
            "No space left on device",
            "Disk quota exceeded",
            "os error 28)",
            "os error 122)",
            "not enough space on the disk",
        ]
        .iter()
        .any(|m| message.contains(m))
    }
}

/// Excel's owner file for `path`: `~$` + the name (Excel truncates long names; we check both).
fn lock_files(path: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return Vec::new();
    };
    let mut names = vec![format!("~${name}")];
    // Excel replaces the first two characters of names of 8+ characters.
    if name.chars().count() > 7 {
        names.push(format!("~${}", name.chars().skip(2).collect::<String>()));
    }
    names.into_iter().map(|n| dir.join(n)).collect()
}

/// Refuses when the workbook at `path` is open: Excel's lock file exists, or the file cannot be
/// opened for writing (Windows refuses while Excel holds it). Nothing is written.
pub fn ensure_not_open(path: &Path) -> Result<(), PublishError> {
    for lock in lock_files(path) {
        if lock.exists() {
            return Err(PublishError::Locked {
                path: path.to_owned(),
                why: format!("Excel's lock file {} exists", lock.display()),
            });
        }
    }
    if path.exists()
        && let Err(e) = std::fs::OpenOptions::new().append(true).open(path)
    {
        return Err(PublishError::Locked {
            path: path.to_owned(),
            why: format!("it cannot be opened for writing: {e}"),
        });
    }
    Ok(())
}

/// Writes the workbook through `write` into a temporary file beside `path` and renames it into
/// place. On any failure the old workbook is untouched and the temporary file removed.
pub fn publish(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), PublishError> {
    ensure_not_open(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| PublishError::Write {
        path: path.to_owned(),
        message: format!("cannot create {}: {e}", dir.display()),
    })?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("workbook.xlsx");
    remove_stale_temporaries(dir, name);
    // Created exclusively (O_EXCL) under a random name: a link planted beside the workbook is
    // never followed, and two writers never share a file. Dropped (removed) on any failure.
    let temporary = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| PublishError::Write {
            path: path.to_owned(),
            message: format!("cannot create a temporary file in {}: {e}", dir.display()),
        })?;
    if let Err(message) = write(temporary.path()) {
        return Err(PublishError::Write {
            path: path.to_owned(),
            message,
        });
    }
    if let Err(e) = temporary.persist(path) {
        return Err(PublishError::Locked {
            path: path.to_owned(),
            why: format!("it could not be replaced: {}", e.error),
        });
    }
    Ok(())
}

/// Removes temporary files a killed run left between writing and renaming (the caller holds
/// the workspace lock, so none of them is being written).
fn remove_stale_temporaries(dir: &Path, name: &str) {
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        if file.starts_with(&prefix) && file.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excel_lock_file_refuses_and_keeps_the_old_workbook() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2026-H2.xlsx");
        std::fs::write(&path, b"old").unwrap();
        std::fs::write(dir.path().join("~$2026-H2.xlsx"), b"").unwrap();
        let err = publish(&path, |p| {
            std::fs::write(p, b"new").map_err(|e| e.to_string())
        })
        .unwrap_err();
        assert!(matches!(err, PublishError::Locked { .. }), "{err}");
        assert!(err.to_string().contains("close it in Excel"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_failed_write_keeps_the_old_workbook_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.xlsx");
        std::fs::write(&path, b"old").unwrap();
        let err = publish(&path, |p| {
            std::fs::write(p, b"half").unwrap();
            Err("disk full".into())
        })
        .unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn publishing_replaces_the_workbook() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("a.xlsx");
        publish(&path, |p| {
            std::fs::write(p, b"new").map_err(|e| e.to_string())
        })
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }

    /// Links planted at the temporary names earlier versions used are never followed.
    #[cfg(unix)]
    #[test]
    fn a_planted_link_beside_the_workbook_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, b"untouched").unwrap();
        let folder = dir.path().join("out");
        std::fs::create_dir_all(&folder).unwrap();
        for name in [
            format!(".a.xlsx.{}.tmp", std::process::id()),
            "a.tmp".to_owned(),
        ] {
            std::os::unix::fs::symlink(&victim, folder.join(name)).unwrap();
        }
        let path = folder.join("a.xlsx");
        publish(&path, |p| {
            std::fs::write(p, b"new").map_err(|e| e.to_string())
        })
        .unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"untouched");
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert!(!std::fs::symlink_metadata(&path).unwrap().is_symlink());
    }

    #[test]
    fn a_full_disk_is_recognised() {
        let err = PublishError::Write {
            path: "a.xlsx".into(),
            message: "No space left on device (os error 28)".into(),
        };
        assert!(err.is_disk_full());
        let err = PublishError::Write {
            path: "a.xlsx".into(),
            message: "bad sheet".into(),
        };
        assert!(!err.is_disk_full());
    }
}
