//! `autodbaudit status [--format json]`: where the current audit stands, from the history alone
//! — per check and per instance: open, excepted, unknown, fixed and regressed — and what blocks
//! finalizing (FAIL/WARN that are neither fixed nor documented exceptions).

use std::collections::BTreeMap;
use std::path::Path;

use audit_core::Status;
use audit_core::changes::{Change, is_discrepant};
use audit_core::checks::catalogue;
use serde::Serialize;

use super::render;
use crate::cli::{ShowFormat, StatusArgs};
use crate::exit::{CliError, CmdResult, Exit};
use crate::ui;
use crate::workspace::{self, Workspace};

/// Counts for one check or one instance.
#[derive(Debug, Default, Clone, Serialize)]
struct Counts {
    /// FAIL/WARN without a documented exception: what blocks finalizing.
    open: usize,
    /// FAIL/WARN documented as exceptions.
    excepted: usize,
    /// REVIEW findings not yet justified.
    review: usize,
    /// Could not be evaluated.
    unknown: usize,
    /// Fixed since the baseline (action log).
    fixed: usize,
    /// Regressed since the baseline (action log).
    regressed: usize,
}

#[derive(Serialize)]
struct Dashboard {
    audit: String,
    finalized: bool,
    run: i64,
    run_finished: String,
    checks: Vec<CheckLine>,
    instances: Vec<InstanceLine>,
    blocking_finalize: usize,
    remediation: Vec<RemediationLine>,
}

/// One `remediate apply` or `rollback` of the audit, with how its batches ended.
#[derive(Serialize)]
struct RemediationLine {
    run: i64,
    kind: String,
    status: &'static str,
    finished: String,
    /// Batches that changed the server.
    changed: usize,
    skipped: usize,
    errors: usize,
    not_run: usize,
}

#[derive(Serialize)]
struct CheckLine {
    check: String,
    title: &'static str,
    #[serde(flatten)]
    counts: Counts,
}

#[derive(Serialize)]
struct InstanceLine {
    target: String,
    server: String,
    instance: String,
    #[serde(flatten)]
    counts: Counts,
}

/// Runs the command.
pub fn run(workspace: &Path, args: &StatusArgs) -> CmdResult {
    let internal = |e: history::HistoryError| CliError::internal(e.to_string());
    let (_ws, history) = Workspace::open_existing(workspace)?;
    let audit = workspace::latest_audit(&history)?;
    let run = workspace::latest_completed_run(&history, &audit)?;
    let layout = render::load_layout(&history, run.id)?;
    let annotations = history.annotations(audit.id).map_err(internal)?;

    let mut by_check: BTreeMap<String, Counts> = BTreeMap::new();
    let mut by_target: BTreeMap<String, (String, String, Counts)> = BTreeMap::new();
    for sheet in &layout.sheets {
        for row in &sheet.rows {
            let excepted = annotations
                .get(&(sheet.spec.name.to_owned(), row.key.clone()))
                .is_some_and(|a| a.is_documented_exception());
            let (_, _, target) = by_target
                .entry(row.target_id.to_string())
                .or_insert_with(|| {
                    (
                        row.server.to_string(),
                        row.instance.to_string(),
                        Counts::default(),
                    )
                });
            for (check, status, _) in &row.findings {
                let counts = by_check.entry(check.to_string()).or_default();
                for c in [&mut *counts, &mut *target] {
                    match status {
                        s if is_discrepant(*s) && excepted => c.excepted += 1,
                        s if is_discrepant(*s) => c.open += 1,
                        Status::Review if !excepted => c.review += 1,
                        Status::Unknown => c.unknown += 1,
                        _ => {}
                    }
                }
            }
        }
    }
    for action in history.actions(audit.id).map_err(internal)? {
        let field = |c: &mut Counts| match Change::from_name(&action.change_type) {
            Some(Change::Fixed) => c.fixed += 1,
            Some(Change::Regression) => c.regressed += 1,
            _ => {}
        };
        if let Some(check) = &action.check_id {
            field(by_check.entry(check.clone()).or_default());
        }
        if let Some((_, _, c)) = by_target.get_mut(&action.target_id) {
            field(c);
        }
    }
    let checks: Vec<CheckLine> = catalogue()
        .iter()
        .map(|c| CheckLine {
            check: c.id.to_string(),
            title: c.title,
            counts: by_check.remove(&c.id.to_string()).unwrap_or_default(),
        })
        .collect();
    let instances: Vec<InstanceLine> = by_target
        .into_iter()
        .map(|(target, (server, instance, counts))| InstanceLine {
            target,
            server,
            instance,
            counts,
        })
        .collect();
    let blocking = checks.iter().map(|c| c.counts.open).sum();
    let mut remediation = Vec::new();
    for r in history.remediation_runs(audit.id).map_err(internal)? {
        let counts = history.remediation_outcome_counts(r.id).map_err(internal)?;
        let n = |outcome: &str| counts.get(outcome).copied().unwrap_or(0);
        remediation.push(RemediationLine {
            run: r.id,
            kind: r.kind.clone(),
            status: r.status.as_str(),
            finished: r.finished_at.clone(),
            changed: n("ok"),
            skipped: n("skipped"),
            errors: n("error"),
            not_run: n("not_run"),
        });
    }
    let dashboard = Dashboard {
        audit: audit.name.clone(),
        finalized: audit.status == history::AuditStatus::Finalized,
        run: run.id,
        run_finished: run.finished_at.clone().unwrap_or_default(),
        checks,
        instances,
        blocking_finalize: blocking,
        remediation,
    };
    match args.format {
        ShowFormat::Json => ui::out(
            &serde_json::to_string_pretty(&dashboard)
                .map_err(|e| CliError::internal(e.to_string()))?,
        ),
        ShowFormat::Text => print(&dashboard),
    }
    Ok(Exit::Success)
}

/// The rows of run `run_id` with a FAIL/WARN that is not a documented exception, as people
/// read them (`Sheet: server\instance: name — checks`): what blocks finalizing.
pub fn blocking(
    history: &history::History,
    audit_id: i64,
    run_id: i64,
) -> Result<Vec<String>, CliError> {
    let layout = render::load_layout(history, run_id)?;
    let annotations = history
        .annotations(audit_id)
        .map_err(|e| CliError::internal(e.to_string()))?;
    let mut out = Vec::new();
    for sheet in &layout.sheets {
        for row in &sheet.rows {
            let open = row.findings.iter().any(|(_, s, _)| is_discrepant(*s));
            let excepted = annotations
                .get(&(sheet.spec.name.to_owned(), row.key.clone()))
                .is_some_and(|a| a.is_documented_exception());
            if open && !excepted {
                let name = sheet.key_cells(row);
                out.push(format!(
                    "{}: {}\\{}: {} ({})",
                    sheet.spec.name,
                    row.server,
                    row.instance,
                    name.join(" / "),
                    row.checks
                ));
            }
        }
    }
    Ok(out)
}

fn print(d: &Dashboard) {
    ui::out(&format!(
        "audit `{}` — run {} ({}){}",
        d.audit,
        d.run,
        d.run_finished,
        if d.finalized { ", finalized" } else { "" }
    ));
    let head = |first: &str| {
        [
            first.to_owned(),
            "OPEN".into(),
            "EXCEPTED".into(),
            "REVIEW".into(),
            "UNKNOWN".into(),
            "FIXED".into(),
            "REGRESSED".into(),
        ]
    };
    let line = |name: String, c: &Counts| {
        [
            name,
            c.open.to_string(),
            c.excepted.to_string(),
            c.review.to_string(),
            c.unknown.to_string(),
            c.fixed.to_string(),
            c.regressed.to_string(),
        ]
    };
    let mut rows = vec![head("CHECK")];
    rows.extend(
        d.checks
            .iter()
            .map(|c| line(format!("{} {}", c.check, c.title), &c.counts)),
    );
    ui::out("");
    ui::table(&rows, "");
    let mut rows = vec![head("INSTANCE")];
    rows.extend(d.instances.iter().map(|i| {
        line(
            format!("{} ({}\\{})", i.target, i.server, i.instance),
            &i.counts,
        )
    }));
    ui::out("");
    ui::table(&rows, "");
    ui::out("");
    // The latest remediation runs; `--format json` lists them all.
    for r in d.remediation.iter().rev().take(5).rev() {
        ui::out(&format!(
            "remediation run {} ({}, {} {}): {} changed, {} skipped, {} errors, {} not run",
            r.run, r.kind, r.status, r.finished, r.changed, r.skipped, r.errors, r.not_run
        ));
    }
    if !d.remediation.is_empty() {
        ui::out("");
    }
    if d.blocking_finalize == 0 {
        ui::out("ready to finalize: every FAIL/WARN is fixed or a documented exception");
    } else {
        ui::out(&format!(
            "blocking finalize: {} FAIL/WARN finding(s) neither fixed nor documented as exceptions (the OPEN column)",
            d.blocking_finalize
        ));
    }
}
