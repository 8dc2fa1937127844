//! `findings.json`: every finding of a run with its target, check title, references and
//! standing (open, excepted, baselined, drift), the run's check selection, the compliance
//! summary per framework and the baselined results that are gone; written from the recorded run
//! ([`export::Report`]) and atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use audit_core::checks::{self, References};
use audit_core::{CheckId, RemediationCategory, Status};

use audit_core::Standing;
use audit_core::compliance::FrameworkSummary;
use export::Report;

use crate::standings::Gone;

#[derive(serde::Serialize)]
struct FindingsFile<'a> {
    tool: Tool,
    audit: &'a str,
    organization: &'a str,
    run: RunInfo<'a>,
    /// Per framework, how its items stand.
    compliance: &'a [FrameworkSummary],
    targets: Vec<TargetRecord<'a>>,
    findings: FindingRecords<'a>,
    /// Results a baseline approved as needing attention that the run no longer reports.
    baseline_gone: &'a [Gone],
}

#[derive(serde::Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(serde::Serialize)]
struct RunInfo<'a> {
    id: i64,
    started: &'a str,
    finished: &'a str,
    complete: bool,
    /// The selection that chose the checks (`all`, `stig, --skip-checks X01`).
    checks: &'a str,
}

#[derive(serde::Serialize)]
struct TargetRecord<'a> {
    target_id: &'a str,
    server: &'a str,
    instance: Option<&'a str>,
    reached: bool,
    reason: Option<&'a str>,
    version: Option<&'a str>,
    /// Checks the selection left out on it: no result, never passed.
    not_selected: &'a [CheckId],
}

#[derive(serde::Serialize)]
struct FindingRecord<'a> {
    check_id: CheckId,
    title: &'static str,
    status: Status,
    severity: audit_core::Severity,
    target_id: &'a str,
    server: &'a str,
    instance: Option<&'a str>,
    entity_type: &'a str,
    entity: &'a str,
    entity_key: String,
    message: &'a str,
    evidence: &'a BTreeMap<String, String>,
    /// The benchmark items its check satisfies, as `autodbaudit checks --format json` gives them.
    references: References,
    remediation_category: RemediationCategory,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<&'a audit_core::Fix>,
    /// A path to sysadmin (X56), step by step: from the evidence's `step.NN.from` / `.edge` /
    /// `.to`, absent for every other finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<Vec<PathStep<'a>>>,
    /// Open, excepted, baselined, drift or compliant.
    standing: Standing,
    /// For drift: what changed against the baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    drift: Option<&'a str>,
    /// Review Status, Justification and Notes of the finding's workbook row.
    #[serde(skip_serializing_if = "Option::is_none")]
    annotation: Option<Annotation<'a>>,
    /// The same for this target, check and entity in every run.
    fingerprint: &'a str,
}

/// What auditors wrote on a finding's row.
#[derive(serde::Serialize)]
struct Annotation<'a> {
    review_status: Option<&'a str>,
    justification: Option<&'a str>,
    notes: Option<&'a str>,
}

/// One step of a path: who acts, how, and whose rights it gets.
#[derive(serde::Serialize)]
struct PathStep<'a> {
    from: &'a str,
    edge: &'a str,
    to: &'a str,
}

/// The steps a finding's evidence carries (`step.01.from` …), in order; none without any.
fn path_of(evidence: &BTreeMap<String, String>) -> Option<Vec<PathStep<'_>>> {
    let mut steps = Vec::new();
    for n in 1.. {
        let at = |part: &str| evidence.get(&format!("step.{n:02}.{part}"));
        let (Some(from), Some(edge), Some(to)) = (at("from"), at("edge"), at("to")) else {
            break;
        };
        steps.push(PathStep { from, edge, to });
    }
    (!steps.is_empty()).then_some(steps)
}

/// Every finding of every target, serialized one by one.
struct FindingRecords<'a>(&'a [export::Instance]);

impl serde::Serialize for FindingRecords<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(None)?;
        for r in self.0 {
            let target_key = audit_core::entity_key("target", &[&r.target_id]);
            for row in &r.results {
                let f = &row.finding;
                seq.serialize_element(&FindingRecord {
                    check_id: f.check_id,
                    title: check_title(f.check_id),
                    status: f.status,
                    severity: f.severity,
                    target_id: &r.target_id,
                    server: &r.server,
                    instance: r.instance.as_deref(),
                    entity_type: &f.entity_type,
                    entity: &f.entity,
                    entity_key: format!("{target_key}/{}", f.entity_key),
                    message: &f.message,
                    evidence: &f.evidence,
                    references: check_references(f.check_id),
                    remediation_category: f.remediation_category,
                    fix: f.fix.as_ref(),
                    path: path_of(&f.evidence),
                    standing: row.standing,
                    drift: row.drift.as_deref(),
                    annotation: row.note.as_ref().map(|n| Annotation {
                        review_status: n.review_status.as_deref(),
                        justification: n.justification.as_deref(),
                        notes: n.notes.as_deref(),
                    }),
                    fingerprint: &row.fingerprint,
                })?;
            }
        }
        seq.end()
    }
}

fn check_title(id: CheckId) -> &'static str {
    checks::check(id).map_or("", |c| c.title)
}

/// The references of a check (none for an id the catalogue does not know).
fn check_references(id: CheckId) -> References {
    checks::check(id).map_or(References::NONE, |c| c.references)
}

/// Writes `findings.json` for `report` in `folder` atomically: a fresh temporary file, created
/// exclusively beside it, renamed over the old one; nothing is left behind when writing fails.
/// `interrupted`: the run was stopped before every target was audited.
pub(crate) fn write(
    folder: &Path,
    report: &Report,
    gone: &[Gone],
    interrupted: bool,
) -> std::io::Result<PathBuf> {
    use std::io::Write as _;
    std::fs::create_dir_all(folder)?;
    let targets = report
        .instances
        .iter()
        .map(|i| TargetRecord {
            target_id: &i.target_id,
            server: &i.server,
            instance: i.instance.as_deref(),
            reached: i.reached,
            reason: i.reason.as_deref(),
            version: i.version.as_deref(),
            not_selected: &i.not_selected,
        })
        .collect();
    let document = FindingsFile {
        tool: Tool {
            name: "AutoDBAudit",
            version: env!("CARGO_PKG_VERSION"),
        },
        audit: &report.audit,
        organization: &report.organization,
        run: RunInfo {
            id: report.run_id,
            started: &report.started,
            finished: &report.finished,
            complete: !interrupted,
            checks: &report.profile,
        },
        compliance: &report.compliance,
        targets,
        findings: FindingRecords(&report.instances),
        baseline_gone: gone,
    };
    let path = folder.join("findings.json");
    // A fresh file created exclusively in the folder (never a predictable name a planted link
    // could occupy), renamed over the old one; dropped, and so removed, on any failure.
    let temporary = crate::files::temporary_beside(&path)?;
    let mut out = std::io::BufWriter::new(temporary);
    serde_json::to_writer_pretty(&mut out, &document)?;
    out.flush()?;
    let temporary = out.into_inner().map_err(|e| e.into_error())?;
    temporary.as_file().sync_all()?;
    temporary.persist(&path).map_err(|e| e.error)?;
    Ok(path)
}
