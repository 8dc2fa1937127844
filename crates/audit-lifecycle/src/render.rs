//! Rendering a recorded run as the workbook: the one path `audit`, `sync`, `report` and
//! `finalize` take, so a workbook re-rendered from the history is the workbook the run wrote.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use audit_core::Standing;
use audit_core::changes::Change;
use audit_core::checks::catalogue;
use history::{AuditRecord, History, RunStatus};
use report::{ActionRow, Layout, RowBaseline, RowState, RunHeader, TargetResult};

use crate::Error;
use crate::error::workbook_locked;
use crate::standings::Computed;
use crate::workspace::{self, Workspace};

/// What a render wrote, for the command's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rendered {
    /// Data rows.
    pub rows: usize,
    /// Rows needing action (`⏳`), not excepted.
    pub open: usize,
    /// Rows needing action that are documented exceptions.
    pub excepted: usize,
    /// Rows needing action whose findings all match their approved baselines.
    pub baselined: usize,
}

/// What the workbook shows beyond the rows and annotations: the run's check selection, the
/// compliance summary, and each finding's standing (for the Baseline column).
pub struct Extras<'a> {
    checks: String,
    compliance: Vec<audit_core::compliance::FrameworkSummary>,
    computed: &'a Computed,
}

impl<'a> Extras<'a> {
    /// From the run as the exports see it and its findings' standings.
    pub fn new(model: &export::Report, computed: &'a Computed) -> Extras<'a> {
        Extras::from_parts(model.profile.clone(), model.compliance.clone(), computed)
    }

    /// From the run's check selection, its compliance summary and its findings' standings.
    pub fn from_parts(
        checks: String,
        compliance: Vec<audit_core::compliance::FrameworkSummary>,
        computed: &'a Computed,
    ) -> Extras<'a> {
        Extras {
            checks,
            compliance,
            computed,
        }
    }
}

/// The Baseline column of every row with a finding under a baseline.
fn row_baselines(layout: &Layout, computed: &Computed) -> HashMap<report::RowId, RowBaseline> {
    let mut out = HashMap::new();
    for sheet in &layout.sheets {
        for row in &sheet.rows {
            let mut parts = Vec::new();
            let mut settled = true;
            let mut any = false;
            for (check, status, key) in &row.findings {
                let Some(entry) = computed.get(&row.target_id, *check, key) else {
                    // Nothing covers it: a result needing a person leaves the row open.
                    settled &= !crate::standings::needs_person(*status);
                    continue;
                };
                match entry.standing {
                    Standing::Baselined => {
                        any = true;
                        parts.push(format!("{check}: approved"));
                    }
                    Standing::Drift => {
                        any = true;
                        settled = false;
                        parts.push(format!(
                            "{check}: drift, {}",
                            entry.drift.as_deref().unwrap_or("changed")
                        ));
                    }
                    _ if crate::standings::needs_person(*status) => settled = false,
                    _ => {}
                }
            }
            if any {
                out.insert(
                    (sheet.spec.name.to_owned(), row.key.clone()),
                    RowBaseline {
                        settled,
                        text: parts.join("; "),
                    },
                );
            }
        }
    }
    out
}

/// One target of run `run_id` as recorded: its facts (read back from JSON) and findings.
pub fn target_result(
    history: &History,
    run_id: i64,
    t: history::TargetRecord,
) -> Result<TargetResult, Error> {
    let snapshot = match &t.snapshot_json {
        Some(json) => Some(serde_json::from_str(json).map_err(|e| {
            Error::internal(format!(
                "run {run_id}, target `{}`: the stored facts cannot be read ({e}); this history was written by an incompatible version",
                t.target_id
            ))
        })?),
        None => None,
    };
    let findings = history
        .target_findings(run_id, &t.target_id)?
        .into_iter()
        .map(|f| f.finding)
        .collect();
    Ok(TargetResult {
        target_id: t.target_id,
        server: t.server,
        instance: t.instance,
        port: t.port,
        snapshot,
        reason: t.reason,
        findings,
    })
}

/// Lays out run `run_id` from the history: targets one at a time, in workbook order, so only
/// one target's facts and findings are in memory at once.
pub fn load_layout(history: &History, run_id: i64) -> Result<Layout, Error> {
    let mut records = history.run_targets(run_id)?;
    records.sort_by_cached_key(|t| {
        report::layout::target_order(&t.server, t.instance.as_deref(), &t.target_id)
    });
    let mut builder = report::layout::LayoutBuilder::new();
    for t in records {
        builder.add(&target_result(history, run_id, t)?);
    }
    Ok(builder.finish())
}

/// A run laid out with its rows' UUIDs and the audit's annotations: everything the workbook
/// shows except the Actions sheet, which [`write`] reads from the log last so entries logged
/// after preparing (sync's "exception no longer needed") are in it.
pub struct Prepared {
    /// The run's rows.
    pub layout: Layout,
    /// The annotations re-applied to them.
    pub state: RowState,
    run: history::RunRecord,
}

/// Lays out run `run_id` of `audit` from the history: rows get their stable UUIDs (new
/// entities new ones) and the auditors' annotations.
pub fn prepare(history: &mut History, audit: &AuditRecord, run_id: i64) -> Result<Prepared, Error> {
    let run = history
        .run(run_id)?
        .ok_or_else(|| Error::usage(format!("run {run_id} is not in the history")))?;
    let mut layout = load_layout(history, run_id)?;
    let uuids = history.row_uuids(audit.id, run_id, &layout.row_ids())?;
    layout.set_uuids(uuids);
    let annotations = history.annotations(audit.id)?;
    Ok(Prepared {
        layout,
        state: RowState {
            annotations,
            baselines: HashMap::new(),
        },
        run,
    })
}

/// Writes a prepared run as the workbook at `path`, with the audit's action log as the Actions
/// sheet. A workbook open in another program is a locked error.
pub fn write(
    history: &History,
    audit: &AuditRecord,
    prepared: Prepared,
    extras: &Extras<'_>,
    path: &Path,
) -> Result<Rendered, Error> {
    let Prepared {
        layout,
        mut state,
        run,
    } = prepared;
    state.baselines = row_baselines(&layout, extras.computed);
    let actions = action_rows(history, audit, run.id)?;
    let header = RunHeader {
        audit_name: audit.name.clone(),
        organization: audit.organization.clone(),
        run_id: run.id,
        started: run.started_at.clone(),
        finished: run.finished_at.clone().unwrap_or_default(),
        tool_version: run.tool_version.clone(),
        checks: extras.checks.clone(),
        compliance: extras.compliance.clone(),
    };
    let counts = layout.action_counts(&state);
    let rendered = Rendered {
        rows: layout.sheets.iter().map(|s| s.rows.len()).sum(),
        open: counts.open,
        excepted: counts.excepted,
        baselined: counts.baselined,
    };
    report::write_workbook(path, &header, &layout, &state, &actions).map_err(workbook_locked)?;
    Ok(rendered)
}

/// Renders run `run_id` of `audit` from the history into `path` ([`prepare`], the standings
/// and the compliance summary, then [`write`]).
pub fn render_run(
    history: &mut History,
    audit: &AuditRecord,
    run_id: i64,
    path: &Path,
) -> Result<Rendered, Error> {
    let prepared = prepare(history, audit, run_id)?;
    let (computed, model) = model_of(history, audit, &prepared, false)?;
    write(
        history,
        audit,
        prepared,
        &Extras::new(&model, &computed),
        path,
    )
}

/// The standings of a prepared run's findings and the run as the export formats see it.
pub fn model_of(
    history: &History,
    audit: &AuditRecord,
    prepared: &Prepared,
    keep: bool,
) -> Result<(Computed, export::Report), Error> {
    let (model, computed) = crate::exports::build(
        history,
        audit,
        &prepared.run,
        &prepared.layout,
        &prepared.state.annotations,
        keep,
    )?;
    Ok((computed, model))
}

/// What `report` wrote.
#[derive(Debug, Clone)]
pub struct Report {
    /// The workbook written, when asked for.
    pub workbook: Option<PathBuf>,
    /// `findings.json`, when asked for.
    pub findings: Option<PathBuf>,
    /// The export files written.
    pub exports: Vec<PathBuf>,
    /// The run rendered.
    pub run_id: i64,
    /// Its audit.
    pub audit: String,
    /// What the workbook shows, when written.
    pub rendered: Option<Rendered>,
}

/// `report`: renders run `run` (by default the latest completed run of the latest audit) from
/// the history alone as `outputs` asks: its audit's working workbook, `findings.json`, the
/// export formats. A run that is not in the history or did not complete is a usage error.
pub fn report(
    root: &Path,
    run: Option<u64>,
    outputs: &crate::audit::Outputs,
) -> Result<Report, Error> {
    let (ws, mut history) = Workspace::open_existing(root)?;
    let run = match run {
        Some(n) => {
            let id =
                i64::try_from(n).map_err(|_| Error::usage(format!("--run {n}: no such run")))?;
            history.run(id)?.ok_or_else(|| {
                Error::usage(format!("--run {n}: there is no run {n} in the history"))
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
        return Err(Error::usage(format!(
            "run {} did not complete ({}): there is nothing to render",
            run.id,
            run.status.as_str()
        ))
        .hint("omit --run to render the latest completed run"));
    }
    let audit = history
        .audit_by_id(run.audit_id)?
        .ok_or_else(|| Error::internal(format!("run {} names a missing audit", run.id)))?;
    ws.check_audit_name(&audit.name)?;
    let workbook = ws.workbook_path(&audit.name);
    if outputs.workbook {
        report::ensure_not_open(&workbook).map_err(workbook_locked)?;
    }
    let folder = ws.audit_folder(&audit.name);
    let prepared = prepare(&mut history, &audit, run.id)?;
    let keep = outputs.findings || !outputs.exports.is_empty();
    let (computed, model) = model_of(&history, &audit, &prepared, keep)?;
    let findings = if outputs.findings {
        let interrupted = run
            .note
            .as_deref()
            .is_some_and(|n| n.starts_with("interrupted"));
        Some(
            crate::findings_json::write(&folder, &model, &computed.gone, interrupted)
                .map_err(|e| crate::error::output_failed("findings.json", &folder, &e))?,
        )
    } else {
        None
    };
    let exports = crate::exports::write(&folder, &model, &outputs.exports)?;
    let rendered = if outputs.workbook {
        Some(write(
            &history,
            &audit,
            prepared,
            &Extras::new(&model, &computed),
            &workbook,
        )?)
    } else {
        None
    };
    Ok(Report {
        workbook: rendered.map(|_| workbook),
        findings,
        exports,
        run_id: run.id,
        audit: audit.name,
        rendered,
    })
}

/// The action log as the Actions sheet shows it (servers and instances as in run `run_id`).
fn action_rows(
    history: &History,
    audit: &AuditRecord,
    run_id: i64,
) -> Result<Vec<ActionRow>, Error> {
    let targets: HashMap<String, (String, String)> = history
        .run_targets(run_id)?
        .into_iter()
        .map(|t| {
            let instance = match t.instance.as_deref() {
                Some(i) if !i.is_empty() => i.to_owned(),
                _ => "(Default)".to_owned(),
            };
            (t.target_id, (t.server, instance))
        })
        .collect();
    let rows = history
        .actions(audit.id)?
        .into_iter()
        .map(|a| {
            let (server, instance) = match (&a.server, &a.instance) {
                // A row an auditor added keeps what they typed.
                (Some(_), _) | (_, Some(_)) => (
                    a.server.clone().unwrap_or_default(),
                    a.instance.clone().unwrap_or_default(),
                ),
                _ => targets
                    .get(&a.target_id)
                    .cloned()
                    .unwrap_or_else(|| (a.target_id.clone(), String::new())),
            };
            let check = a
                .check_id
                .as_deref()
                .and_then(|id| catalogue().iter().find(|c| c.id.to_string() == id));
            ActionRow {
                id: a.id,
                server,
                instance,
                category: a.category.clone().unwrap_or_else(|| {
                    check.map_or_else(String::new, |c| format!("{} {}", c.id, c.title))
                }),
                finding: a.entity.clone(),
                risk: a.risk.clone().unwrap_or_else(|| {
                    check.map_or_else(|| "Info".to_owned(), |c| title_case(c.severity.as_str()))
                }),
                description: a.description.clone(),
                change_type: Change::sheet_label(&a.change_type).to_owned(),
                detected: a.detected_at.get(..16).unwrap_or(&a.detected_at).to_owned(),
                notes: a.notes.clone().unwrap_or_default(),
            }
        })
        .collect();
    Ok(rows)
}

fn title_case(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
