//! Putting a workbook in place without ever leaving a broken or half-written one: refuse when
//! the current workbook is open (Excel's `~$` lock file, or a file the OS will not let us
//! replace) or is not a regular file, write a fresh temporary file created exclusively beside
//! it — through the handle that created it, never by reopening its name — then rename it over
//! the old one.

use std::fs::File;
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
    /// Something other than a regular file (a folder, a FIFO, a device) is where the workbook
    /// goes: opening a FIFO would block forever, and nothing there is a workbook.
    #[error(
        "{path} is {what}, not a regular file; a workbook is only read and written as a regular file"
    )]
    NotAFile {
        /// The workbook's path.
        path: PathBuf,
        /// What is there instead.
        what: &'static str,
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

/// What is at `path` when it exists and is not a regular file (or a link to one), looked at
/// without opening it: opening a FIFO blocks until someone writes to it. `None` for a regular
/// file or nothing at all.
pub fn not_a_regular_file(path: &Path) -> Option<&'static str> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_file() {
        return None;
    }
    Some(if meta.is_dir() {
        "a folder"
    } else {
        special_kind(meta.file_type())
    })
}

#[cfg(unix)]
fn special_kind(kind: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe (FIFO)"
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
/// opened for writing (Windows refuses while Excel holds it). Something that is not a regular
/// file there is refused before anything opens it. Nothing is written.
pub fn ensure_not_open(path: &Path) -> Result<(), PublishError> {
    if let Some(what) = not_a_regular_file(path) {
        return Err(PublishError::NotAFile {
            path: path.to_owned(),
            what,
        });
    }
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
///
/// `write` gets the open handle of the temporary file, never its name: building a workbook
/// takes seconds, and reopening the name then would follow whatever was put there meanwhile
/// (a link to a file the user can write). Before the rename the name is checked to still be
/// that file, so a swapped one is never put in place either.
pub fn publish(
    path: &Path,
    write: impl FnOnce(&mut File) -> Result<(), String>,
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
    let mut temporary = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| PublishError::Write {
            path: path.to_owned(),
            message: format!("cannot create a temporary file in {}: {e}", dir.display()),
        })?;
    if let Err(message) = write(temporary.as_file_mut()) {
        return Err(PublishError::Write {
            path: path.to_owned(),
            message,
        });
    }
    if let Err(e) = temporary.as_file().sync_all() {
        return Err(PublishError::Write {
            path: path.to_owned(),
            message: format!("cannot flush {}: {e}", temporary.path().display()),
        });
    }
    if !still_ours(temporary.as_file(), temporary.path()) {
        // Dropping `temporary` removes the name (a link is removed, never followed).
        return Err(PublishError::Write {
            path: path.to_owned(),
            message: format!(
                "the temporary file {} was replaced by something else while the workbook was written (another program or user is changing {}); nothing was put in place",
                temporary.path().display(),
                dir.display()
            ),
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

/// Whether `name` still is the file `file` was opened as (not removed or swapped for a link).
#[cfg(unix)]
fn still_ours(file: &File, name: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::symlink_metadata(name)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino() && b.is_file(),
        _ => false,
    }
}

/// Whether `name` still is a regular file (Windows does not let a file another process holds
/// open be renamed or deleted, so it cannot be swapped while written).
#[cfg(not(unix))]
fn still_ours(_file: &File, name: &Path) -> bool {
    std::fs::symlink_metadata(name).is_ok_and(|m| m.is_file())
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
    use std::io::Write;

    #[test]
    fn an_excel_lock_file_refuses_and_keeps_the_old_workbook() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2026-H2.xlsx");
        std::fs::write(&path, b"old").unwrap();
        std::fs::write(dir.path().join("~$2026-H2.xlsx"), b"").unwrap();
        let err = publish(&path, |f| f.write_all(b"new").map_err(|e| e.to_string())).unwrap_err();
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
        let err = publish(&path, |f| {
            f.write_all(b"half").unwrap();
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
        publish(&path, |f| f.write_all(b"new").map_err(|e| e.to_string())).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }

    /// The temporary file swapped for a link while the workbook is being built (which takes
    /// seconds): the bytes go to the file created exclusively, never through the link, and
    /// the swapped name is not put in place. Before the fix the writer got the temporary's
    /// name and reopened it (rust_xlsxwriter's `save(path)` = `File::create`), writing the
    /// workbook into the link's target.
    #[cfg(unix)]
    #[test]
    fn a_temporary_swapped_for_a_link_while_writing_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, b"untouched").unwrap();
        let folder = dir.path().join("out");
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join("a.xlsx");
        std::fs::write(&path, b"old").unwrap();
        let err = publish(&path, |f| {
            // The attacker: the temporary beside the workbook becomes a link to the victim.
            let temporary = std::fs::read_dir(&folder)
                .unwrap()
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().ends_with(".tmp"))
                .expect("the temporary file exists while writing");
            std::fs::remove_file(&temporary).unwrap();
            std::os::unix::fs::symlink(&victim, &temporary).unwrap();
            f.write_all(b"new workbook").map_err(|e| e.to_string())
        })
        .unwrap_err();
        assert!(err.to_string().contains("was replaced"), "{err}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"untouched");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert!(!std::fs::symlink_metadata(&path).unwrap().is_symlink());
        // No temporary (nor the planted link) is left behind.
        assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 1);
    }

    /// A FIFO where the workbook goes is refused before anything opens it (opening one blocks
    /// until someone writes to it).
    #[cfg(unix)]
    #[test]
    fn a_fifo_at_the_workbook_path_is_refused_without_opening_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.xlsx");
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
        let err = ensure_not_open(&path).unwrap_err();
        assert!(matches!(err, PublishError::NotAFile { .. }), "{err}");
        assert!(err.to_string().contains("named pipe (FIFO)"), "{err}");
        let err = publish(&path, |_| Ok(())).unwrap_err();
        assert!(matches!(err, PublishError::NotAFile { .. }), "{err}");
        std::fs::create_dir(dir.path().join("b.xlsx")).unwrap();
        let err = ensure_not_open(&dir.path().join("b.xlsx")).unwrap_err();
        assert!(err.to_string().contains("is a folder"), "{err}");
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
