//! Writing a workspace file: a fresh temporary created exclusively beside it, renamed over it.

use std::path::Path;

/// A new temporary for replacing `path`: created exclusively (never a predictable name a
/// planted link could occupy) in `path`'s folder and named `.<file>.<random>.tmp`. Leftovers of
/// that pattern — from a run killed between creating and renaming its temporary — are removed
/// first: the workspace lock, held by every writer, means none of them is in use.
pub(crate) fn temporary_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    if let Ok(entries) = std::fs::read_dir(folder) {
        for entry in entries.filter_map(Result::ok) {
            let file = entry.file_name();
            let file = file.to_string_lossy();
            if file.starts_with(&prefix) && file.ends_with(".tmp") {
                // A link is removed itself, never followed.
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(folder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_of_a_killed_write_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("findings.json");
        std::fs::write(dir.path().join(".findings.json.mPfbqw.tmp"), "killed").unwrap();
        std::fs::write(dir.path().join("other.tmp"), "kept").unwrap();
        let temporary = temporary_beside(&path).unwrap();
        let name = temporary.path().file_name().unwrap().to_string_lossy();
        assert!(name.starts_with(".findings.json.") && name.ends_with(".tmp"));
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [name.to_string(), "other.tmp".to_owned()]);
    }
}
