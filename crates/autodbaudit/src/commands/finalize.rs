//! `autodbaudit finalize [--force]` and `definalize`: freeze the audit once every FAIL/WARN is
//! fixed or a documented exception — an archive copy of the workbook with its SHA-256, and the
//! audit marked finalized so that `audit` and `sync` no longer change it — and reopen it. The
//! rules are [`audit_lifecycle::finalize`]; this module prints.

use std::path::Path;

use audit_lifecycle::finalize;

use crate::cli::FinalizeArgs;
use crate::console::{Console, untrusted};
use crate::exit::{CmdResult, Exit};
use crate::ui;

/// How many of the rows blocking finalize are listed.
const SHOWN: usize = 20;

/// `finalize`.
pub fn run(workspace: &Path, args: &FinalizeArgs) -> CmdResult {
    let done = match finalize::finalize(workspace, args.force, &mut Console::new(workspace)) {
        Ok(done) => done,
        Err(e) => {
            for line in e.details.iter().take(SHOWN) {
                ui::out(&format!("  open: {}", untrusted(line)));
            }
            if e.details.len() > SHOWN {
                ui::out(&format!("  … and {} more", e.details.len() - SHOWN));
            }
            let mut e = e;
            e.message = untrusted(&e.message).into_owned();
            return Err(e.into());
        }
    };
    if done.forced_over > 0 {
        ui::note(&format!(
            "finalized with --force: {} row(s) still had an undocumented FAIL/WARN",
            done.forced_over
        ));
    }
    ui::success(&format!(
        "audit `{}` finalized (run {})",
        done.audit, done.run_id
    ));
    ui::out(&format!("archive: {}", done.archive.display()));
    ui::out(&format!(
        "sha-256: {}  ({})",
        done.digest,
        done.checksum.display()
    ));
    Ok(Exit::Success)
}

/// `definalize`.
pub fn definalize(workspace: &Path) -> CmdResult {
    let audit = finalize::definalize(workspace)?;
    ui::success(&format!(
        "audit `{audit}` is open again: audit and sync can change it; the archive copy is kept"
    ));
    Ok(Exit::Success)
}
