//! Where the current audit stands, from the history alone — per check and per instance: open,
//! excepted, baselined, drift, unknown, fixed and regressed; per framework, the compliance
//! summary — and what blocks finalizing (FAIL/WARN that are neither fixed, documented
//! exceptions nor baselined).

use std::collections::BTreeMap;
use std::path::Path;

use audit_core::changes::{Change, is_discrepant};
use audit_core::checks::catalogue;
use audit_core::compliance::FrameworkSummary;
use audit_core::{Standing, Status};
use history::History;
use serde::Serialize;

use crate::standings::{self, Gone};
use crate::{Error, exports, render, workspace};

/// Counts for one check or one instance.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Counts {
    /// FAIL/WARN neither documented as exceptions nor baselined: what blocks finalizing.
    pub open: usize,
    /// FAIL/WARN documented as exceptions.
    pub excepted: usize,
    /// FAIL/WARN/REVIEW/UNKNOWN matching their approved baselines.
    pub baselined: usize,
    /// Results that differ from their approved baselines (new or changed; open).
    pub drift: usize,
    /// REVIEW findings neither justified nor baselined.
    pub review: usize,
    /// Could not be evaluated.
    pub unknown: usize,
    /// Fixed since the baseline (action log).
    pub fixed: usize,
    /// Regressed since the baseline (action log).
    pub regressed: usize,
}

/// Where the latest audit stands (`status --format json` serializes it as is).
#[derive(Debug, Serialize)]
pub struct Dashboard {
    /// The audit's name.
    pub audit: String,
    /// Whether it is finalized.
    pub finalized: bool,
    /// Its latest completed run.
    pub run: i64,
    /// When that run finished.
    pub run_finished: String,
    /// Per check, in catalogue order.
    pub checks: Vec<CheckLine>,
    /// Per target.
    pub instances: Vec<InstanceLine>,
    /// The selection that chose the run's checks.
    pub checks_selected: String,
    /// Per framework, how its items stand.
    pub compliance: Vec<FrameworkSummary>,
    /// Results a baseline approved as needing attention that the run no longer reports.
    pub baseline_gone: Vec<Gone>,
    /// FAIL/WARN findings neither fixed, documented as exceptions nor baselined.
    pub blocking_finalize: usize,
    /// The audit's `remediate apply` and `rollback` runs, oldest first.
    pub remediation: Vec<RemediationLine>,
}

/// One `remediate apply` or `rollback` of the audit, with how its batches ended.
#[derive(Debug, Serialize)]
pub struct RemediationLine {
    /// Its id.
    pub run: i64,
    /// `apply` or `rollback`.
    pub kind: String,
    /// Completed or interrupted.
    pub status: &'static str,
    /// When it finished.
    pub finished: String,
    /// Batches that changed the server.
    pub changed: usize,
    /// Batches with nothing to do.
    pub skipped: usize,
    /// Batches that failed.
    pub errors: usize,
    /// Batches never run.
    pub not_run: usize,
}

/// One check's counts.
#[derive(Debug, Serialize)]
pub struct CheckLine {
    /// Its id.
    pub check: String,
    /// Its title.
    pub title: &'static str,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// One target's counts.
#[derive(Debug, Serialize)]
pub struct InstanceLine {
    /// Its id.
    pub target: String,
    /// Its server.
    pub server: String,
    /// Its instance.
    pub instance: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// The dashboard of the latest audit of the workspace at `root`, from its latest completed
/// run, its annotations, its action log and its remediation runs. Read only: it takes no lock
/// and writes nothing, so it works on a read-only workspace and during a run.
pub fn dashboard(root: &Path) -> Result<Dashboard, Error> {
    let history = workspace::Workspace::open_read_only(root)?;
    let audit = workspace::latest_audit(&history)?;
    let run = workspace::latest_completed_run(&history, &audit)?;
    let layout = render::load_layout(&history, run.id)?;
    let annotations = history.annotations(audit.id)?;
    let (model, computed) = exports::build(&history, &audit, &run, &layout, &annotations, false)?;

    let mut by_check: BTreeMap<String, Counts> = BTreeMap::new();
    let mut by_target: BTreeMap<String, (String, String, Counts)> = BTreeMap::new();
    for sheet in &layout.sheets {
        for row in &sheet.rows {
            let (_, _, target) = by_target
                .entry(row.target_id.to_string())
                .or_insert_with(|| {
                    (
                        row.server.to_string(),
                        row.instance.to_string(),
                        Counts::default(),
                    )
                });
            for (check, status, key) in &row.findings {
                let standing = computed.standing(&row.target_id, *check, *status, key);
                let counts = by_check.entry(check.to_string()).or_default();
                for c in [&mut *counts, &mut *target] {
                    if standing == Standing::Drift {
                        c.drift += 1;
                    }
                    match (status, standing) {
                        (_, Standing::Baselined) => c.baselined += 1,
                        (s, Standing::Excepted) if is_discrepant(*s) => c.excepted += 1,
                        (s, _) if is_discrepant(*s) => c.open += 1,
                        (Status::Review, Standing::Open | Standing::Drift) => c.review += 1,
                        (Status::Unknown, _) => c.unknown += 1,
                        _ => {}
                    }
                }
            }
        }
    }
    for action in history.actions(audit.id)? {
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
    for r in history.remediation_runs(audit.id)? {
        let counts = history.remediation_outcome_counts(r.id)?;
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
    Ok(Dashboard {
        audit: audit.name.clone(),
        finalized: audit.status == history::AuditStatus::Finalized,
        run: run.id,
        run_finished: run.finished_at.clone().unwrap_or_default(),
        checks,
        instances,
        checks_selected: model.profile,
        compliance: model.compliance,
        baseline_gone: computed.gone,
        blocking_finalize: blocking,
        remediation,
    })
}

/// The rows of run `run_id` with a FAIL/WARN that is neither a documented exception nor
/// baselined, as people read them (`Sheet: server\instance: name / … (checks)`): what blocks
/// finalizing.
pub fn blocking(history: &History, audit_id: i64, run_id: i64) -> Result<Vec<String>, Error> {
    let layout = render::load_layout(history, run_id)?;
    let annotations = history.annotations(audit_id)?;
    let audit = history
        .audit_by_id(audit_id)?
        .ok_or_else(|| Error::internal(format!("audit {audit_id} is not in the history")))?;
    let run = history
        .run(run_id)?
        .ok_or_else(|| Error::internal(format!("run {run_id} is not in the history")))?;
    let computed = standings::compute(history, &audit, &run, &layout, &annotations)?;
    let mut out = Vec::new();
    for sheet in &layout.sheets {
        for row in &sheet.rows {
            // A FAIL/WARN blocks unless a documented exception or a baseline covers it.
            let open = row.findings.iter().any(|(check, s, key)| {
                is_discrepant(*s)
                    && computed
                        .get(&row.target_id, *check, key)
                        .is_none_or(|e| e.standing.is_open())
            });
            if open {
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
