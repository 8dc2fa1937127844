//! `autodbaudit report [--run N]`: re-renders a workbook from the history alone (no server is
//! contacted): the latest completed run of the latest audit, or the run asked for
//! ([`audit_lifecycle::render::report`]).

use std::path::Path;

use crate::cli::ReportArgs;
use crate::exit::{CliError, CmdResult, Exit};
use crate::ui;

/// Runs the command.
pub fn run(workspace: &Path, args: &ReportArgs) -> CmdResult {
    if args.lang != "en" {
        return Err(CliError::usage(format!(
            "--lang {}: only `en` is available in version {}; the Persian copy arrives with finalize",
            args.lang,
            env!("CARGO_PKG_VERSION")
        )));
    }
    let report = audit_lifecycle::render::report(workspace, args.run)?;
    ui::out(&format!(
        "workbook: {} (run {} of audit `{}`, {} rows)",
        report.workbook.display(),
        report.run_id,
        report.audit,
        report.rendered.rows
    ));
    Ok(Exit::Success)
}
