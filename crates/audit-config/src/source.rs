//! Reading a config file's bytes into text, with every way that can go wrong explained.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::Diagnostic;

/// Config files are a few kilobytes; anything this large is a mistake (a log or a dump saved
/// under the wrong name) and is refused before it is read whole.
pub const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// The text of one config file, with what is needed to turn byte offsets into lines and columns.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path shown in messages.
    pub display_path: PathBuf,
    /// The text, without a UTF-8 byte-order mark.
    pub text: String,
    line_starts: Vec<usize>,
}

/// What is wrong with a config path that is not a regular file (or a link to one), and the fix.
/// Looked at without opening it: opening a FIFO blocks until someone writes to it.
pub fn check_file_type(path: &Path) -> Result<(), (String, String)> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(meta) => Err(not_regular(meta.file_type())),
        Err(e) => {
            let link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            let target = fs::read_link(path)
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            Err(if link && e.kind() == std::io::ErrorKind::NotFound {
                (
                    format!("is a symbolic link to {target}, which does not exist"),
                    "point the link at the real config file, or replace the link with the file"
                        .to_owned(),
                )
            } else if link && is_link_loop(&e) {
                (
                    format!(
                        "is a symbolic link that never reaches a file: the links form a loop (it points to {target})"
                    ),
                    "replace the link with the config file itself, or point it at the real file"
                        .to_owned(),
                )
            } else if e.kind() == std::io::ErrorKind::NotFound {
                (
                    "file not found".to_owned(),
                    "create it with `autodbaudit init`".to_owned(),
                )
            } else if e.kind() == std::io::ErrorKind::PermissionDenied {
                (
                    "permission denied: the file (or a folder above it) cannot be read by this user"
                        .to_owned(),
                    "give this user read access to it".to_owned(),
                )
            } else {
                (
                    format!("cannot be read: {e}"),
                    "check the file and the folders above it".to_owned(),
                )
            })
        }
    }
}

/// Whether `e` is the OS saying a chain of symbolic links loops (ELOOP).
fn is_link_loop(e: &std::io::Error) -> bool {
    // `ErrorKind::FilesystemLoop` is not stable yet; ELOOP is 40 on Linux, 62 on macOS/BSD.
    let eloop = if cfg!(target_os = "linux") { 40 } else { 62 };
    cfg!(unix) && e.raw_os_error() == Some(eloop)
}

/// The message and fix for a path that exists but is not a regular file.
fn not_regular(kind: fs::FileType) -> (String, String) {
    let what = if kind.is_dir() {
        "a folder"
    } else {
        special_kind(kind)
    };
    (
        format!("is {what}, not a regular file; only a regular file (or a link to one) is read"),
        "replace it with the config file (`autodbaudit init --force` writes fresh templates)"
            .to_owned(),
    )
}

#[cfg(unix)]
fn special_kind(kind: fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe (FIFO), which could block the read forever"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_kind: fs::FileType) -> &'static str {
    "a special file"
}

impl SourceFile {
    /// Wraps text already in memory (used by tests and by `read`).
    pub fn new(display_path: impl Into<PathBuf>, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            display_path: display_path.into(),
            text,
            line_starts,
        }
    }

    /// Reads `path`, refusing what cannot be a config file: not a regular file (a FIFO would
    /// block the read forever, a device would never end), a link that leads nowhere, too large,
    /// UTF-16, not UTF-8. `display_path` is how the file is named in messages.
    pub fn read(path: &Path, display_path: &Path) -> Result<SourceFile, Diagnostic> {
        let err = |message: String| Diagnostic::error(display_path, message);
        check_file_type(path).map_err(|(message, fix)| err(message).fix(fix))?;
        let file = fs::File::open(path).map_err(|e| {
            err(match e.kind() {
                std::io::ErrorKind::NotFound => "file not found".to_owned(),
                std::io::ErrorKind::PermissionDenied => {
                    "permission denied: the file cannot be read by this user".to_owned()
                }
                _ => format!("cannot be read: {e}"),
            })
        })?;
        // The type is checked again on the opened file: it may have been swapped in between.
        match file.metadata() {
            Ok(meta) if meta.is_file() => {}
            Ok(meta) => {
                let (message, fix) = not_regular(meta.file_type());
                return Err(err(message).fix(fix));
            }
            Err(e) => return Err(err(format!("cannot be read: {e}"))),
        }
        let mut bytes = Vec::new();
        file.take(MAX_CONFIG_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| err(format!("cannot be read: {e}")))?;
        if bytes.len() as u64 > MAX_CONFIG_BYTES {
            return Err(err(format!(
                "the file is larger than {} MiB; a config file is a few kilobytes",
                MAX_CONFIG_BYTES / (1024 * 1024)
            ))
            .fix("check that this is the right file; split nothing, config files never need to be this large"));
        }
        Self::decode(bytes, display_path)
    }

    /// Checks the encoding of `bytes` and strips a UTF-8 byte-order mark.
    pub fn decode(mut bytes: Vec<u8>, display_path: &Path) -> Result<SourceFile, Diagnostic> {
        if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
            return Err(Diagnostic::error(
                display_path,
                "the file is saved as UTF-16 (\"Unicode\"); expected UTF-8",
            )
            .at(Some((1, 1)))
            .fix("re-save it as UTF-8 (Notepad: File > Save As > Encoding: UTF-8)"));
        }
        // UTF-16 without a byte-order mark: ASCII text with a NUL after (or before) every byte.
        if bytes.iter().take(64).filter(|b| **b == 0).count() >= 4 {
            return Err(Diagnostic::error(
                display_path,
                "the file looks like UTF-16 (it is full of NUL bytes); expected UTF-8",
            )
            .at(Some((1, 1)))
            .fix("re-save it as UTF-8 (Notepad: File > Save As > Encoding: UTF-8)"));
        }
        if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
            bytes.drain(..3);
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(SourceFile::new(display_path, text)),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                let prefix = String::from_utf8_lossy(&bytes[..valid]).into_owned();
                let position = SourceFile::new(display_path, prefix).position(valid);
                Err(Diagnostic::error(
                    display_path,
                    "the file is not valid UTF-8 (a byte here is not part of any character)",
                )
                .at(Some(position))
                .fix("re-save the file as UTF-8; it was probably written in a legacy code page"))
            }
        }
    }

    /// 1-based line and column (counted in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line];
        let column = self.text[start..offset].chars().count() + 1;
        (line + 1, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_not_bytes() {
        let src = SourceFile::new("f", "{\n  \"é\": 1,\n  \"x\"\n}".to_owned());
        assert_eq!(src.position(0), (1, 1));
        assert_eq!(src.position(2), (2, 1));
        let x = src.text.find("\"x\"").unwrap();
        assert_eq!(src.position(x), (3, 3));
        let one = src.text.find('1').unwrap();
        assert_eq!(src.position(one), (2, 8));
    }

    #[test]
    fn encodings() {
        let p = Path::new("f.jsonc");
        assert!(
            SourceFile::decode(vec![0xFF, 0xFE, b'{', 0], p)
                .unwrap_err()
                .message
                .contains("UTF-16")
        );
        let bom = SourceFile::decode(b"\xEF\xBB\xBF{}".to_vec(), p).unwrap();
        assert_eq!(bom.text, "{}");
        let utf16: Vec<u8> = "{ \"targets\": [] }"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(
            SourceFile::decode(utf16, p)
                .unwrap_err()
                .message
                .contains("UTF-16")
        );
        let bad = SourceFile::decode(b"{\n \"a\": \"\xE9\"}".to_vec(), p).unwrap_err();
        assert_eq!(bad.position, Some((2, 8)));
    }
}
