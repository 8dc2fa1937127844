//! The Field Kit manifest: written by `cargo xtask dist`, checked by `autodbaudit selftest`.
//!
//! A kit is a folder (shipped as a zip or tar.gz) holding the executable, config templates and
//! schemas, docs and `manifest.json`, which lists every other file with its size and SHA-256.
//! Sharing this one model between the builder and the verifier keeps them from disagreeing.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The manifest's file name, at the root of the kit.
pub const MANIFEST_FILE: &str = "manifest.json";

/// What a kit is and what it contains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always "AutoDBAudit".
    pub product: String,
    /// The version of the executable inside.
    pub version: String,
    /// The Rust target triple the executable was built for.
    pub target: String,
    /// The git commit the kit was built from.
    pub git_commit: String,
    /// When the sources were last changed (SOURCE_DATE_EPOCH), RFC 3339 UTC.
    pub build_date: String,
    /// Every file of the kit except the manifest itself, sorted by path.
    pub files: Vec<FileEntry>,
}

/// One file of the kit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path relative to the kit root, with `/` separators.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the contents, lower-case hex.
    pub sha256: String,
}

/// The SHA-256 of a file, lower-case hex, read in chunks.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// The SHA-256 of bytes in memory, lower-case hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file under `root` (relative paths with `/`), sorted; the manifest itself excluded.
pub fn list_files(root: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        for entry in fs::read_dir(root.join(&relative))? {
            let entry = entry?;
            let path = relative.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else {
                let text = path.to_string_lossy().replace('\\', "/");
                if text != MANIFEST_FILE {
                    out.push(text);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Describes every file under `root` for a manifest.
pub fn describe(root: &Path) -> io::Result<Vec<FileEntry>> {
    list_files(root)?
        .into_iter()
        .map(|path| {
            let full = root.join(&path);
            Ok(FileEntry {
                size: fs::metadata(&full)?.len(),
                sha256: sha256_file(&full)?,
                path,
            })
        })
        .collect()
}

/// Files under `config/` are templates the user is meant to edit when the kit folder is used
/// as the workspace: a change there is expected, not tampering.
pub fn is_user_editable(path: &str) -> bool {
    path.starts_with("config/") && !path.starts_with("config/schemas/")
}

/// What running the tool in the kit folder creates (it doubles as a workspace).
pub fn is_workspace_artifact(path: &str) -> bool {
    ["output/", "credentials/"]
        .iter()
        .any(|p| path.starts_with(p))
        || path.starts_with("audit_history.db")
        || (path.starts_with("config/") && (path.ends_with(".bak") || path.ends_with(".tmp")))
}

/// The state of one file of the kit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// Present, with the size and hash the manifest records.
    Intact,
    /// A config template changed by its user: expected, reported for information.
    Edited,
    /// Listed in the manifest but absent.
    Missing,
    /// Present but different from what the manifest records.
    Altered,
    /// Present but not in the manifest (and not something the tool itself creates).
    Extra,
}

impl FileState {
    /// Whether this state means the kit is not as shipped.
    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            FileState::Missing | FileState::Altered | FileState::Extra
        )
    }
}

/// Checks the kit at `root` against `manifest`: every listed file, and anything unlisted.
pub fn verify(root: &Path, manifest: &Manifest) -> io::Result<Vec<(String, FileState)>> {
    let mut out = Vec::new();
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for entry in &manifest.files {
        let full = root.join(&entry.path);
        let state = match fs::metadata(&full) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => FileState::Missing,
            Err(e) => return Err(e),
            Ok(meta) if meta.len() == entry.size && sha256_file(&full)? == entry.sha256 => {
                FileState::Intact
            }
            Ok(_) if is_user_editable(&entry.path) => FileState::Edited,
            Ok(_) => FileState::Altered,
        };
        out.push((entry.path.clone(), state));
    }
    for path in list_files(root)? {
        if !listed.contains(path.as_str()) && !is_workspace_artifact(&path) {
            out.push((path, FileState::Extra));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_finds_missing_altered_edited_and_extra_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("config/schemas")).unwrap();
        fs::create_dir_all(root.join("docs")).unwrap();
        fs::write(root.join("autodbaudit"), b"binary").unwrap();
        fs::write(root.join("config/sql_targets.jsonc"), b"{}").unwrap();
        fs::write(root.join("config/schemas/s.json"), b"{}").unwrap();
        fs::write(root.join("docs/guide.md"), b"# guide").unwrap();
        let manifest = Manifest {
            product: "AutoDBAudit".into(),
            version: "0.1.0".into(),
            target: "t".into(),
            git_commit: "c".into(),
            build_date: "d".into(),
            files: describe(root).unwrap(),
        };
        fs::write(root.join(MANIFEST_FILE), "{}").unwrap();
        assert!(
            verify(root, &manifest)
                .unwrap()
                .iter()
                .all(|(_, s)| *s == FileState::Intact)
        );

        fs::write(root.join("autodbaudit"), b"tampered").unwrap();
        fs::write(
            root.join("config/sql_targets.jsonc"),
            b"{ \"targets\": [] }",
        )
        .unwrap();
        fs::write(root.join("config/schemas/s.json"), b"{ }").unwrap();
        fs::remove_file(root.join("docs/guide.md")).unwrap();
        fs::write(root.join("evil.dll"), b"x").unwrap();
        fs::create_dir_all(root.join("output/logs")).unwrap();
        fs::write(root.join("output/logs/run.log"), b"x").unwrap();
        fs::write(root.join("audit_history.db"), b"x").unwrap();
        let states: std::collections::BTreeMap<_, _> =
            verify(root, &manifest).unwrap().into_iter().collect();
        assert_eq!(states["autodbaudit"], FileState::Altered);
        assert_eq!(states["config/sql_targets.jsonc"], FileState::Edited);
        assert_eq!(states["config/schemas/s.json"], FileState::Altered);
        assert_eq!(states["docs/guide.md"], FileState::Missing);
        assert_eq!(states["evil.dll"], FileState::Extra);
        assert!(
            !states.contains_key("output/logs/run.log") && !states.contains_key("audit_history.db")
        );
    }

    #[test]
    fn hashes_are_sha256() {
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
