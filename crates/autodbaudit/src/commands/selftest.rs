//! `autodbaudit selftest`: is this Field Kit as shipped, and can it work in this workspace?

use std::fs;
use std::path::{Path, PathBuf};

use field_kit::{FileState, MANIFEST_FILE, Manifest};

use crate::exit::{CliError, CmdResult, Exit};
use crate::ui;

/// Counts checks and failures while printing one line per check.
#[derive(Default)]
struct Tally {
    checks: usize,
    failures: usize,
}

impl Tally {
    fn pass(&mut self, what: &str) {
        self.checks += 1;
        ui::out(&format!("  ok       {what}"));
    }

    fn fail(&mut self, label: &str, what: &str) {
        self.checks += 1;
        self.failures += 1;
        ui::out(&format!("  {label:<8} {what}"));
    }

    fn info(&self, label: &str, what: &str) {
        ui::out(&format!("  {label:<8} {what}"));
    }
}

/// Checks the kit beside the executable, then the workspace. Exit 0 when all pass, else 1.
pub fn run(workspace: &Path) -> CmdResult {
    let mut tally = Tally::default();
    check_kit(&mut tally)?;
    check_workspace(workspace, &mut tally);
    if tally.failures == 0 {
        ui::out(&format!("selftest passed: {} checks", tally.checks));
        Ok(Exit::Success)
    } else {
        Err(CliError {
            exit: Exit::Internal,
            message: format!("selftest failed: {} of {} checks", tally.failures, tally.checks),
            hint: Some(
                "unpack the Field Kit again from its original archive into an empty folder; if the workspace checks failed, choose a folder you can write to".to_owned(),
            ),
        })
    }
}

fn check_kit(tally: &mut Tally) -> Result<(), CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::internal(format!("cannot locate the executable: {e}")))?;
    let root: PathBuf = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    let manifest_path = root.join(MANIFEST_FILE);
    ui::out(&ui::bold(&format!("Field Kit: {}", root.display())));
    if !manifest_path.exists() {
        tally.info(
            "skipped",
            &format!("no {MANIFEST_FILE} beside the executable: not running from a Field Kit"),
        );
        return Ok(());
    }
    let manifest: Manifest = match fs::read_to_string(&manifest_path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(m) => m,
        Err(e) => {
            tally.fail("DAMAGED", &format!("{MANIFEST_FILE}: {e}"));
            return Ok(());
        }
    };
    let version = env!("CARGO_PKG_VERSION");
    let target = env!("AUTODBAUDIT_TARGET");
    if manifest.version == version && manifest.target == target {
        tally.pass(&format!(
            "{MANIFEST_FILE}: {} {} for {}, commit {}, built {}",
            manifest.product,
            manifest.version,
            manifest.target,
            manifest.git_commit,
            manifest.build_date
        ));
    } else {
        tally.fail(
            "MISMATCH",
            &format!(
                "{MANIFEST_FILE} describes {} for {}, but this executable is {version} for {target}",
                manifest.version, manifest.target
            ),
        );
    }
    let states = field_kit::verify(&root, &manifest).map_err(|e| {
        CliError::internal(format!(
            "cannot read the kit folder {}: {e}",
            root.display()
        ))
    })?;
    for (path, state) in states {
        match state {
            FileState::Intact => tally.pass(&path),
            FileState::Edited => {
                tally.info("edited", &format!("{path} (your configuration: expected)"))
            }
            FileState::Missing => tally.fail("MISSING", &path),
            FileState::Altered => tally.fail(
                "ALTERED",
                &format!("{path} (size or SHA-256 differs from the manifest)"),
            ),
            FileState::Extra => tally.fail("EXTRA", &format!("{path} (not part of the kit)")),
        }
    }
    Ok(())
}

fn check_workspace(workspace: &Path, tally: &mut Tally) {
    ui::out(&ui::bold(&format!("Workspace: {}", workspace.display())));
    if !workspace.is_dir() {
        tally.fail(
            "FAILED",
            &format!("{} is not an existing folder", workspace.display()),
        );
        return;
    }
    if !workspace.join("config").is_dir() {
        tally.info(
            "note",
            "no config/ folder here yet: `autodbaudit init` creates one",
        );
    }
    // A fresh folder created exclusively under an unpredictable name (only this user may enter
    // it): a link planted in the workspace at a name we would use can never be followed.
    let dir = match tempfile::Builder::new()
        .prefix(".autodbaudit-selftest-")
        .tempdir_in(workspace)
    {
        Ok(dir) => dir,
        Err(e) => {
            tally.fail(
                "FAILED",
                &format!("cannot write in {}: {e}", workspace.display()),
            );
            return;
        }
    };
    let probe = dir.path();
    match fs::write(probe.join("probe.txt"), "AutoDBAudit selftest") {
        Ok(()) => tally.pass("the folder is writable"),
        Err(e) => {
            tally.fail(
                "FAILED",
                &format!("cannot write in {}: {e}", workspace.display()),
            );
            return;
        }
    }
    match history::self_check(probe) {
        Ok(version) => tally.pass(&format!(
            "SQLite {version}: a database was written and read back (WAL mode)"
        )),
        Err(e) => tally.fail("FAILED", &e.to_string()),
    }
    match report::self_check(probe) {
        Ok(()) => tally.pass("xlsx: a workbook was written and read back"),
        Err(e) => tally.fail("FAILED", &e.to_string()),
    }
    let shown = probe.display().to_string();
    if let Err(e) = dir.close() {
        tally.info("note", &format!("could not remove {shown}: {e}"));
    }
}
