//! Where each finding of a recorded run stands: open, excepted (a documented exception on its
//! workbook row), baselined or drift (its check's approved baseline on its target), or
//! compliant — and the baselined results that are gone. The one place `status`, `finalize`,
//! the workbook, `findings.json` and every export format learn it from, so they agree.

use std::collections::{BTreeMap, HashMap};

use audit_core::baseline::{self, Approved};
use audit_core::{Annotation, CheckId, Finding, Standing, Status};
use history::{Baseline, History};
use report::Layout;
use report::RowId;

use crate::Error;

/// A finding's standing, the drift said in words, and the annotation of its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Open, excepted, baselined, drift or compliant.
    pub standing: Standing,
    /// For drift: what changed against the baseline.
    pub drift: Option<String>,
    /// What auditors wrote on the finding's row.
    pub annotation: Option<Annotation>,
}

/// A result the baseline approved as needing attention that the run no longer reports as such
/// (the entity is gone, or now passes): drift to confirm by approving again.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Gone {
    /// The target.
    pub target_id: String,
    /// The check.
    pub check_id: String,
    /// The entity as approved.
    pub entity: String,
    /// Its status when approved.
    pub status: Status,
}

/// The baselines of the workspace, by target and check, with each approved result by entity.
pub struct Baselines {
    by_check: HashMap<(String, String), Baseline>,
}

impl Baselines {
    /// The current baselines in the history.
    pub fn load(history: &History) -> Result<Baselines, Error> {
        Ok(Baselines {
            by_check: history
                .current_baselines()?
                .into_iter()
                .map(|b| ((b.target_id.clone(), b.check_id.clone()), b))
                .collect(),
        })
    }

    /// No baseline at all.
    pub fn is_empty(&self) -> bool {
        self.by_check.is_empty()
    }

    /// The current baseline of `check` on `target_id`.
    pub fn get(&self, target_id: &str, check: CheckId) -> Option<&Baseline> {
        self.by_check
            .get(&(target_id.to_owned(), check.to_string()))
    }

    /// How `finding` of `target_id` compares with its baseline: `None` without one, `Ok` when
    /// it matches, else what changed.
    pub fn compare(&self, target_id: &str, finding: &Finding) -> Option<Result<(), String>> {
        let b = self.get(target_id, finding.check_id)?;
        let approved = b
            .results
            .iter()
            .find(|r| r.entity_key == finding.entity_key)
            .map(|r| Approved {
                status: r.status,
                evidence: &r.evidence,
            });
        Some(baseline::compare(approved, finding))
    }

    /// Why remediation leaves `finding` alone when it matches its approved baseline
    /// (`matches the baseline of X01 approved … by …`); `None` otherwise.
    pub fn held(&self, target_id: &str, finding: &Finding) -> Option<String> {
        if !needs_person(finding.status) || self.compare(target_id, finding) != Some(Ok(())) {
            return None;
        }
        let b = self.get(target_id, finding.check_id)?;
        Some(format!(
            "matches the baseline of {} approved {} by {}{}",
            finding.check_id,
            b.approved_at,
            b.approved_by,
            b.note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        ))
    }

    /// The approved non-passing results of the baselines of `target_id` that `findings` (the
    /// target's findings in a reached run) no longer report as non-passing; checks the run left
    /// out (`not_selected`) say nothing either way.
    pub fn gone(
        &self,
        target_id: &str,
        findings: &[Finding],
        not_selected: &[String],
    ) -> Vec<Gone> {
        let mut out = Vec::new();
        for ((t, check), b) in &self.by_check {
            if t != target_id || not_selected.contains(check) {
                continue;
            }
            for r in b.results.iter().filter(|r| needs_person(r.status)) {
                let still = findings.iter().any(|f| {
                    f.check_id.to_string() == *check
                        && f.entity_key == r.entity_key
                        && needs_person(f.status)
                });
                if !still {
                    out.push(Gone {
                        target_id: t.clone(),
                        check_id: check.clone(),
                        entity: r.entity.clone(),
                        status: r.status,
                    });
                }
            }
        }
        out.sort_by(|a, b| (&a.check_id, &a.entity).cmp(&(&b.check_id, &b.entity)));
        out
    }
}

/// FAIL, WARN, REVIEW, UNKNOWN: a result someone has to look at.
pub(crate) fn needs_person(status: Status) -> bool {
    !matches!(status, Status::Pass | Status::Info)
}

/// The rows of a laid-out run as findings see them: each (target, check, entity key) with the
/// annotation of the row it is placed on (a documented exception there excepts it).
pub struct RowNotes {
    by_finding: HashMap<(String, CheckId, String), Annotation>,
}

impl RowNotes {
    /// From `layout` and the audit's `annotations`.
    pub fn new(layout: &Layout, annotations: &HashMap<RowId, Annotation>) -> RowNotes {
        let mut by_finding: HashMap<(String, CheckId, String), Annotation> = HashMap::new();
        for sheet in &layout.sheets {
            for row in &sheet.rows {
                let Some(a) = annotations.get(&(sheet.spec.name.to_owned(), row.key.clone()))
                else {
                    continue;
                };
                for (check, _, key) in &row.findings {
                    let slot = by_finding
                        .entry((row.target_id.to_string(), *check, key.clone()))
                        .or_insert_with(|| a.clone());
                    // A finding shown on two rows is excepted when either row says so.
                    if a.is_documented_exception() && !slot.is_documented_exception() {
                        *slot = a.clone();
                    }
                }
            }
        }
        RowNotes { by_finding }
    }

    /// The annotation of the row `finding` of `target_id` is placed on.
    pub fn of(&self, target_id: &str, finding: &Finding) -> Option<&Annotation> {
        self.by_finding.get(&(
            target_id.to_owned(),
            finding.check_id,
            finding.entity_key.clone(),
        ))
    }
}

/// The entry of `finding` of `target_id`.
pub fn entry(notes: &RowNotes, baselines: &Baselines, target_id: &str, finding: &Finding) -> Entry {
    let annotation = notes.of(target_id, finding).cloned();
    let excepted = annotation
        .as_ref()
        .is_some_and(Annotation::is_documented_exception);
    let comparison = baselines.compare(target_id, finding);
    let standing = Standing::of(
        finding.status,
        excepted,
        comparison.as_ref().map(Result::is_ok),
    );
    let drift = match (standing, comparison) {
        (Standing::Drift, Some(Err(what))) => Some(what),
        _ => None,
    };
    Entry {
        standing,
        drift,
        annotation,
    }
}

/// How many findings stand each way, for the Cover sheet and `status`.
pub fn tally<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> BTreeMap<Standing, usize> {
    let mut counts = BTreeMap::new();
    for e in entries {
        *counts.entry(e.standing).or_default() += 1;
    }
    counts
}

/// The entries of one run's findings that differ from what their status alone says (an
/// exception, a baseline, drift, or an annotation), keyed by (target, check, entity key), and
/// the baselined results that are gone. A finding without an entry stands as
/// `Standing::of(status, false, None)`: a large run without annotations or baselines holds
/// almost nothing here.
#[derive(Debug, Default)]
pub struct Computed {
    /// The entries.
    pub entries: HashMap<(String, CheckId, String), Entry>,
    /// Approved non-passing results no longer reported.
    pub gone: Vec<Gone>,
}

impl Computed {
    /// The entry of a finding placed on a row (`row.findings`' check and key), when it has one.
    pub fn get(&self, target_id: &str, check: CheckId, key: &str) -> Option<&Entry> {
        self.entries
            .get(&(target_id.to_owned(), check, key.to_owned()))
    }

    /// The standing of a finding placed on a row.
    pub fn standing(&self, target_id: &str, check: CheckId, status: Status, key: &str) -> Standing {
        self.get(target_id, check, key)
            .map_or_else(|| Standing::of(status, false, None), |e| e.standing)
    }

    /// Keeps `entry` of `finding` of `target_id` when it says more than the status alone.
    pub fn keep(&mut self, target_id: &str, finding: &Finding, entry: &Entry) {
        if entry.standing != Standing::of(finding.status, false, None)
            || entry.annotation.is_some()
            || entry.drift.is_some()
        {
            self.entries.insert(
                (
                    target_id.to_owned(),
                    finding.check_id,
                    finding.entity_key.clone(),
                ),
                entry.clone(),
            );
        }
    }
}

/// The standings of run `run_id`'s findings (see [`crate::exports::build`], which works them
/// out in the same pass as the run's model).
pub fn compute(
    history: &History,
    audit: &history::AuditRecord,
    run: &history::RunRecord,
    layout: &Layout,
    annotations: &HashMap<RowId, Annotation>,
) -> Result<Computed, Error> {
    Ok(crate::exports::build(history, audit, run, layout, annotations, false)?.1)
}
