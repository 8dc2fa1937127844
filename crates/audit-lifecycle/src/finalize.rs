//! Freezing an audit once every FAIL/WARN is fixed or a documented exception — an archive copy
//! of the workbook with its SHA-256, and the audit marked finalized so that `audit` and `sync`
//! no longer change it — and reopening it.

use std::path::{Path, PathBuf};

use history::AuditStatus;

use crate::{Error, Observer, render, status, sync, workspace};

/// What `finalize` did.
#[derive(Debug)]
pub struct Finalized {
    /// The audit finalized.
    pub audit: String,
    /// The run archived.
    pub run_id: i64,
    /// The read-only archive copy of the workbook.
    pub archive: PathBuf,
    /// The file holding its SHA-256 (`<digest>  <file name>`).
    pub checksum: PathBuf,
    /// The SHA-256 of the archive, hexadecimal.
    pub digest: String,
    /// Rows that still had an undocumented FAIL/WARN (finalized with `force`).
    pub forced_over: usize,
}

/// Finalizes the latest audit of the workspace at `root`: imports what auditors typed last
/// (its problems go to `observer`), refuses while a row has a FAIL/WARN that is neither fixed
/// nor a documented exception (the error's details list them) unless `force`, then writes
/// `output/<audit>/final/<audit>_FINAL_<date>-<time>.xlsx` and its `.sha256`, both read-only,
/// and marks the audit finalized.
pub fn finalize(root: &Path, force: bool, observer: &mut dyn Observer) -> Result<Finalized, Error> {
    let (ws, mut history) = workspace::Workspace::open_existing(root)?;
    let audit = workspace::latest_audit(&history)?;
    ws.check_audit_name(&audit.name)?;
    if audit.status == AuditStatus::Finalized {
        return Err(Error::usage(format!(
            "audit `{}` was already finalized on {}",
            audit.name,
            audit.finalized_at.as_deref().unwrap_or("?")
        ))
        .hint("`autodbaudit definalize` reopens it"));
    }
    let run = workspace::latest_completed_run(&history, &audit)?;
    let workbook = ws.workbook_path(&audit.name);
    report::ensure_not_open(&workbook).map_err(crate::error::workbook_locked)?;
    let stamp = crate::now();
    // What auditors typed last counts: import it first (every change kept in the history).
    let imported = sync::import_annotations(&mut history, &audit, &workbook, &stamp)?;
    for problem in imported.problems.iter().chain(&imported.unmatched) {
        observer.note(problem);
    }
    let blocking = status::blocking(&history, audit.id, run.id)?;
    if !blocking.is_empty() && !force {
        return Err(Error::usage(format!(
            "audit `{}` cannot be finalized: {} row(s) have a FAIL/WARN that is neither fixed, a documented exception nor baselined",
            audit.name,
            blocking.len()
        ))
        .hint("fix them and run `autodbaudit sync`, or document each as an exception (Review Status `✓ Exception` and a Justification), or approve the checks' current results as their baseline (`autodbaudit baseline approve --checks …`), or use --force")
        .details(blocking));
    }
    let compact: String = stamp.chars().filter(char::is_ascii_digit).collect();
    let folder = ws.audit_folder(&audit.name).join("final");
    let archive = folder.join(format!(
        "{}_FINAL_{}-{}.xlsx",
        audit.name,
        &compact[..8],
        &compact[8..]
    ));
    render::render_run(&mut history, &audit, run.id, &archive)?;
    let digest = field_kit::sha256_file(&archive)
        .map_err(|e| Error::internal(format!("{}: {e}", archive.display())))?;
    let name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let checksum = archive.with_file_name(format!("{name}.sha256"));
    write_new(&checksum, format!("{digest}  {name}\n").as_bytes())
        .map_err(|e| Error::internal(format!("{}: {e}", checksum.display())))?;
    for file in [&archive, &checksum] {
        if let Ok(meta) = std::fs::metadata(file) {
            let mut permissions = meta.permissions();
            permissions.set_readonly(true);
            let _ = std::fs::set_permissions(file, permissions);
        }
    }
    history.set_audit_status(audit.id, AuditStatus::Finalized, &stamp)?;
    Ok(Finalized {
        audit: audit.name,
        run_id: run.id,
        archive,
        checksum,
        digest,
        forced_over: blocking.len(),
    })
}

/// Writes `path` through a fresh temporary created exclusively in its folder and renamed over it,
/// so a link planted at `path` or at a guessable temporary name is replaced, never followed.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut file = crate::files::temporary_beside(path)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Reopens the latest audit of the workspace at `root` (the archive copy is kept); returns its
/// name. An audit that is not finalized is a usage error.
pub fn definalize(root: &Path) -> Result<String, Error> {
    let (_ws, mut history) = workspace::Workspace::open_existing(root)?;
    let audit = workspace::latest_audit(&history)?;
    if audit.status != AuditStatus::Finalized {
        return Err(Error::usage(format!(
            "audit `{}` is not finalized",
            audit.name
        )));
    }
    history.set_audit_status(audit.id, AuditStatus::Open, &crate::now())?;
    Ok(audit.name)
}
