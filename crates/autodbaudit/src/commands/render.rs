//! Rendering a recorded run as the workbook: the one path both `audit` and `report` take, so a
//! workbook re-rendered from the history is the workbook the audit wrote.

use std::path::Path;

use history::{AuditRecord, History};
use report::{RowState, RunHeader, TargetResult};

use crate::exit::CliError;
use crate::workspace::workbook_locked;

/// Renders run `run_id` of audit `audit_id` from the history into `path`. Gives the run's rows
/// their stable UUIDs (new entities get new ones) and re-applies the auditors' annotations.
/// Returns the number of data rows written.
pub fn render_run(
    history: &mut History,
    audit: &AuditRecord,
    run_id: i64,
    path: &Path,
) -> Result<usize, CliError> {
    let internal = |e: history::HistoryError| CliError::internal(e.to_string());
    let audit_id = audit.id;
    let run = history
        .run(run_id)
        .map_err(internal)?
        .ok_or_else(|| CliError::usage(format!("run {run_id} is not in the history")))?;
    // Targets one at a time, in workbook order: only one target's facts and findings are in
    // memory at once.
    let mut records = history.run_targets(run_id).map_err(internal)?;
    records.sort_by_cached_key(|t| {
        report::layout::target_order(&t.server, t.instance.as_deref(), &t.target_id)
    });
    let mut builder = report::layout::LayoutBuilder::new();
    for t in records {
        let snapshot = match &t.snapshot_json {
            Some(json) => Some(serde_json::from_str(json).map_err(|e| {
                CliError::internal(format!(
                    "run {run_id}, target `{}`: the stored facts cannot be read ({e}); this history was written by an incompatible version",
                    t.target_id
                ))
            })?),
            None => None,
        };
        let mine = history
            .target_findings(run_id, &t.target_id)
            .map_err(internal)?
            .into_iter()
            .map(|f| f.finding)
            .collect();
        builder.add(&TargetResult {
            target_id: t.target_id,
            server: t.server,
            instance: t.instance,
            port: t.port,
            snapshot,
            reason: t.reason,
            findings: mine,
        });
    }
    let layout = builder.finish();
    let uuids = history
        .row_uuids(audit_id, run_id, &layout.row_ids())
        .map_err(internal)?;
    let annotations = history.annotations(audit_id).map_err(internal)?;
    let state = RowState { uuids, annotations };
    let header = RunHeader {
        audit_name: audit.name.clone(),
        organization: audit.organization.clone(),
        run_id,
        started: run.started_at.clone(),
        finished: run.finished_at.clone().unwrap_or_default(),
        tool_version: run.tool_version.clone(),
    };
    let rows = layout.sheets.iter().map(|s| s.rows.len()).sum();
    report::write_workbook(path, &header, &layout, &state, &[]).map_err(workbook_locked)?;
    Ok(rows)
}
