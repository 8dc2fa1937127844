//! `autodbaudit finalize [--force]` and `definalize`: freeze the audit once every FAIL/WARN is
//! fixed or a documented exception — an archive copy of the workbook with its SHA-256, and the
//! audit marked finalized so that `audit` and `sync` no longer change it — and reopen it.

use std::path::Path;

use history::AuditStatus;

use super::{now, render, status, sync};
use crate::cli::FinalizeArgs;
use crate::exit::{CliError, CmdResult, Exit};
use crate::ui;
use crate::workspace::{self, Workspace, workbook_locked};

fn internal(e: history::HistoryError) -> CliError {
    CliError::internal(e.to_string())
}

/// `finalize`.
pub fn run(workspace: &Path, args: &FinalizeArgs) -> CmdResult {
    let (ws, mut history) = Workspace::open_existing(workspace)?;
    let audit = workspace::latest_audit(&history)?;
    if audit.status == AuditStatus::Finalized {
        return Err(CliError::usage(format!(
            "audit `{}` was already finalized on {}",
            audit.name,
            audit.finalized_at.as_deref().unwrap_or("?")
        ))
        .hint("`autodbaudit definalize` reopens it"));
    }
    let run = workspace::latest_completed_run(&history, &audit)?;
    let workbook = ws.workbook_path(&audit.name);
    report::ensure_not_open(&workbook).map_err(workbook_locked)?;
    let stamp = now();
    // What auditors typed last counts: import it first (every change kept in the history).
    let imported = sync::import_annotations(&mut history, &audit, &workbook, &stamp)?;
    for problem in imported.problems.iter().chain(&imported.unmatched) {
        ui::note(problem);
    }
    let blocking = status::blocking(&history, audit.id, run.id)?;
    if !blocking.is_empty() && !args.force {
        const SHOWN: usize = 20;
        for line in blocking.iter().take(SHOWN) {
            ui::out(&format!("  open: {line}"));
        }
        if blocking.len() > SHOWN {
            ui::out(&format!("  … and {} more", blocking.len() - SHOWN));
        }
        return Err(CliError::usage(format!(
            "audit `{}` cannot be finalized: {} row(s) have a FAIL/WARN that is neither fixed nor a documented exception",
            audit.name,
            blocking.len()
        ))
        .hint("fix them and run `autodbaudit sync`, or document each as an exception (Review Status `✓ Exception` and a Justification), or use --force"));
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
        .map_err(|e| CliError::internal(format!("{}: {e}", archive.display())))?;
    let name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let checksum = archive.with_file_name(format!("{name}.sha256"));
    std::fs::write(&checksum, format!("{digest}  {name}\n"))
        .map_err(|e| CliError::internal(format!("{}: {e}", checksum.display())))?;
    for file in [&archive, &checksum] {
        if let Ok(meta) = std::fs::metadata(file) {
            let mut permissions = meta.permissions();
            permissions.set_readonly(true);
            let _ = std::fs::set_permissions(file, permissions);
        }
    }
    history
        .set_audit_status(audit.id, AuditStatus::Finalized, &stamp)
        .map_err(internal)?;
    if !blocking.is_empty() {
        ui::note(&format!(
            "finalized with --force: {} row(s) still had an undocumented FAIL/WARN",
            blocking.len()
        ));
    }
    ui::success(&format!(
        "audit `{}` finalized (run {})",
        audit.name, run.id
    ));
    ui::out(&format!("archive: {}", archive.display()));
    ui::out(&format!("sha-256: {digest}  ({})", checksum.display()));
    Ok(Exit::Success)
}

/// `definalize`.
pub fn definalize(workspace: &Path) -> CmdResult {
    let (_ws, mut history) = Workspace::open_existing(workspace)?;
    let audit = workspace::latest_audit(&history)?;
    if audit.status != AuditStatus::Finalized {
        return Err(CliError::usage(format!(
            "audit `{}` is not finalized",
            audit.name
        )));
    }
    history
        .set_audit_status(audit.id, AuditStatus::Open, &now())
        .map_err(internal)?;
    ui::success(&format!(
        "audit `{}` is open again: audit and sync can change it; the archive copy is kept",
        audit.name
    ));
    Ok(Exit::Success)
}
