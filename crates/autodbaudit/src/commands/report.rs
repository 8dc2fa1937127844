//! `autodbaudit report [--run N]`: re-renders a workbook from the history alone (no server is
//! contacted): the latest completed run of the latest audit, or the run asked for.

use std::path::Path;

use history::RunStatus;

use super::render;
use crate::cli::ReportArgs;
use crate::exit::{CliError, CmdResult, Exit};
use crate::ui;
use crate::workspace::{self, Workspace};

/// Runs the command.
pub fn run(workspace: &Path, args: &ReportArgs) -> CmdResult {
    if args.lang != "en" {
        return Err(CliError::usage(format!(
            "--lang {}: only `en` is available in version {}; the Persian copy arrives with finalize",
            args.lang,
            env!("CARGO_PKG_VERSION")
        )));
    }
    let internal = |e: history::HistoryError| CliError::internal(e.to_string());
    let (ws, mut history) = Workspace::open_existing(workspace)?;
    let run = match args.run {
        Some(n) => {
            let id =
                i64::try_from(n).map_err(|_| CliError::usage(format!("--run {n}: no such run")))?;
            history.run(id).map_err(internal)?.ok_or_else(|| {
                CliError::usage(format!("--run {n}: there is no run {n} in the history"))
                    .hint("`autodbaudit status` lists the runs")
            })?
        }
        None => {
            let audit = workspace::latest_audit(&history)?;
            workspace::latest_completed_run(&history, &audit)?
        }
    };
    if !matches!(
        run.status,
        RunStatus::Completed | RunStatus::CompletedWithErrors
    ) {
        return Err(CliError::usage(format!(
            "run {} did not complete ({}): there is nothing to render",
            run.id,
            run.status.as_str()
        ))
        .hint("omit --run to render the latest completed run"));
    }
    let audit = history
        .audit_by_id(run.audit_id)
        .map_err(internal)?
        .ok_or_else(|| CliError::internal(format!("run {} names a missing audit", run.id)))?;
    let workbook = ws.workbook_path(&audit.name);
    let rows = render::render_run(&mut history, &audit, run.id, &workbook)?.rows;
    ui::out(&format!(
        "workbook: {} (run {} of audit `{}`, {rows} rows)",
        workbook.display(),
        run.id,
        audit.name
    ));
    Ok(Exit::Success)
}
