//! `autodbaudit report [--run N] [--format xlsx,json,ckl,cklb,sarif,junit,html,csv]`: renders
//! a run from the history alone (no server is contacted): the latest completed run of the
//! latest audit, or the run asked for ([`audit_lifecycle::render::report`]), as the workbook
//! (the default) and any other format.

use std::path::Path;

use crate::cli::ReportArgs;
use crate::console;
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
    let outputs = console::outputs(&args.format)?;
    let report = audit_lifecycle::render::report(workspace, args.run, &outputs)?;
    if let (Some(workbook), Some(rendered)) = (&report.workbook, &report.rendered) {
        ui::out(&format!(
            "workbook: {} (run {} of audit `{}`, {} rows)",
            workbook.display(),
            report.run_id,
            report.audit,
            rendered.rows
        ));
    }
    if let Some(findings) = &report.findings {
        ui::out(&format!("findings: {}", findings.display()));
    }
    console::exports_written(&report.exports);
    Ok(Exit::Success)
}
