//! `baseline approve | show | clear`: approving the latest completed run's results of each
//! check on each server as its baseline, listing the baselines with how the latest run compares,
//! and ending them. A baseline is per check and per server, over its whole result set; a
//! documented exception is per workbook row. See the user guide, "Baselines and exceptions".

use std::path::Path;

use audit_core::{CheckId, Status, checks};
use history::{BaselineResult, NewBaseline};

use crate::standings::{Baselines, Gone};
use crate::{Error, workspace};

/// What `baseline approve` did.
#[derive(Debug)]
pub struct Approved {
    /// The run whose results were approved.
    pub run_id: i64,
    /// Its audit.
    pub audit: String,
    /// Baselines approved (one per check and target).
    pub baselines: usize,
    /// Results approved across them.
    pub results: usize,
    /// Of which FAIL, WARN, REVIEW or UNKNOWN: what the baseline now takes off the open list.
    pub needing_attention: usize,
    /// Targets skipped because the run did not reach them.
    pub unreached: Vec<String>,
}

/// Approves, as of the latest completed run of the latest audit, the results of `checks` (all
/// when empty) on `targets` (all when empty) as their baselines, by `by`, with an optional
/// `note`. Targets the run did not reach are skipped (their results are UNKNOWN, nothing to
/// approve), and so are UNKNOWN results and checks not selected on a target.
pub fn approve(
    root: &Path,
    checks: &[CheckId],
    targets: &[String],
    by: &str,
    note: Option<&str>,
) -> Result<Approved, Error> {
    let (_ws, mut history) = workspace::Workspace::open_existing(root)?;
    let audit = workspace::latest_audit(&history)?;
    let run = workspace::latest_completed_run(&history, &audit)?;
    let recorded = history.run_targets(run.id)?;
    for wanted in targets {
        if !recorded.iter().any(|t| &t.target_id == wanted) {
            return Err(Error::usage(format!(
                "--targets: run {} has no target `{wanted}`",
                run.id
            ))
            .hint(format!(
                "the targets of run {} are: {}",
                run.id,
                recorded
                    .iter()
                    .map(|t| t.target_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let mut new = Vec::new();
    let mut unreached = Vec::new();
    let mut results = 0;
    let mut needing_attention = 0;
    for target in recorded
        .iter()
        .filter(|t| targets.is_empty() || targets.contains(&t.target_id))
    {
        if !target.reached {
            unreached.push(target.target_id.clone());
            continue;
        }
        let findings = history.target_findings(run.id, &target.target_id)?;
        for check in checks::catalogue()
            .iter()
            .filter(|c| checks.is_empty() || checks.contains(&c.id))
        {
            // UNKNOWN is never approved: nothing was evaluated (it stays open).
            let of_check: Vec<BaselineResult> = findings
                .iter()
                .filter(|s| s.finding.check_id == check.id && s.finding.status != Status::Unknown)
                .map(|s| BaselineResult {
                    entity_key: s.finding.entity_key.clone(),
                    entity: s.finding.entity.clone(),
                    status: s.finding.status,
                    evidence: s.finding.evidence.clone(),
                })
                .collect();
            if of_check.is_empty() {
                continue;
            }
            results += of_check.len();
            needing_attention += of_check
                .iter()
                .filter(|r| !matches!(r.status, Status::Pass | Status::Info))
                .count();
            new.push(NewBaseline {
                target_id: target.target_id.clone(),
                check_id: check.id.to_string(),
                run_id: run.id,
                results: of_check,
            });
        }
    }
    if new.is_empty() {
        return Err(Error::usage(format!(
            "run {} has no result to approve for the checks and targets given",
            run.id
        ))
        .hint("reach the targets first (`autodbaudit audit`), or name checks the run evaluated"));
    }
    let baselines = history.approve_baselines(&new, &crate::now(), by, note)?;
    Ok(Approved {
        run_id: run.id,
        audit: audit.name,
        baselines,
        results,
        needing_attention,
        unreached,
    })
}

/// One current baseline, with how the latest completed run compares with it.
#[derive(Debug, serde::Serialize)]
pub struct Line {
    /// The target.
    pub target: String,
    /// The check.
    pub check: String,
    /// Its title.
    pub title: String,
    /// When it was approved.
    pub approved_at: String,
    /// By whom.
    pub approved_by: String,
    /// Why, as given.
    pub note: Option<String>,
    /// The run it approved.
    pub run: i64,
    /// Results approved.
    pub results: usize,
    /// Of which needing attention (FAIL, WARN, REVIEW, UNKNOWN).
    pub needing_attention: usize,
    /// In the latest run: results matching the baseline.
    pub baselined: usize,
    /// In the latest run: non-passing results that are new or changed.
    pub drift: usize,
    /// Approved non-passing results the latest run no longer reports.
    pub gone: usize,
}

/// Every current baseline, with the latest completed run (if any) compared against it.
#[derive(Debug, serde::Serialize)]
pub struct Shown {
    /// The run compared, when there is one.
    pub run: Option<i64>,
    /// The baselines.
    pub baselines: Vec<Line>,
    /// Every gone result.
    pub gone: Vec<Gone>,
}

/// `baseline show`.
pub fn show(root: &Path) -> Result<Shown, Error> {
    let history = workspace::Workspace::open_read_only(root)?;
    let current = history.current_baselines()?;
    let baselines = Baselines::load(&history)?;
    let run = workspace::latest_audit(&history)
        .and_then(|a| workspace::latest_completed_run(&history, &a))
        .ok();
    let mut lines: Vec<Line> = current
        .iter()
        .map(|b| Line {
            target: b.target_id.clone(),
            check: b.check_id.clone(),
            title: b
                .check_id
                .parse::<CheckId>()
                .ok()
                .and_then(checks::check)
                .map_or_else(String::new, |c| c.title.to_owned()),
            approved_at: b.approved_at.clone(),
            approved_by: b.approved_by.clone(),
            note: b.note.clone(),
            run: b.run_id,
            results: b.results.len(),
            needing_attention: b
                .results
                .iter()
                .filter(|r| !matches!(r.status, Status::Pass | Status::Info))
                .count(),
            baselined: 0,
            drift: 0,
            gone: 0,
        })
        .collect();
    let mut gone_all = Vec::new();
    if let Some(run) = &run {
        for target in history.run_targets(run.id)? {
            if !target.reached {
                continue;
            }
            let findings: Vec<_> = history
                .target_findings(run.id, &target.target_id)?
                .into_iter()
                .map(|s| s.finding)
                .collect();
            for f in findings
                .iter()
                .filter(|f| !matches!(f.status, Status::Pass | Status::Info))
            {
                let Some(comparison) = baselines.compare(&target.target_id, f) else {
                    continue;
                };
                if let Some(line) = lines
                    .iter_mut()
                    .find(|l| l.target == target.target_id && l.check == f.check_id.to_string())
                {
                    match comparison {
                        Ok(()) => line.baselined += 1,
                        Err(_) => line.drift += 1,
                    }
                }
            }
            for g in baselines.gone(&target.target_id, &findings, &target.not_selected) {
                if let Some(line) = lines
                    .iter_mut()
                    .find(|l| l.target == g.target_id && l.check == g.check_id)
                {
                    line.gone += 1;
                }
                gone_all.push(g);
            }
        }
    }
    Ok(Shown {
        run: run.map(|r| r.id),
        baselines: lines,
        gone: gone_all,
    })
}

/// `baseline clear`: ends the current baselines of `checks` on `targets` (each empty: all),
/// by `by`. Returns how many ended.
pub fn clear(
    root: &Path,
    checks: &[CheckId],
    targets: &[String],
    by: &str,
) -> Result<usize, Error> {
    let (_ws, mut history) = workspace::Workspace::open_existing(root)?;
    let checks: Vec<String> = checks.iter().map(ToString::to_string).collect();
    Ok(history.clear_baselines(targets, &checks, &crate::now(), by)?)
}

/// Who is approving: the operating system's user name (`USERNAME` on Windows, `USER` or
/// `LOGNAME` elsewhere), else `unknown`.
pub fn current_user() -> String {
    ["USERNAME", "USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}
