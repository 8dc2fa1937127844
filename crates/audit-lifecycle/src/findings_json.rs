//! `findings.json`: every finding of a run with its target, check title and references,
//! written straight from the findings (no intermediate document, so memory stays bounded by the
//! findings themselves) and atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use audit_core::checks::{self, References};
use audit_core::{CheckId, RemediationCategory, Status};

use crate::audit::{Reach, TargetRun};

#[derive(serde::Serialize)]
struct FindingsFile<'a> {
    tool: Tool,
    audit: &'a str,
    organization: &'a str,
    run: RunInfo<'a>,
    targets: Vec<TargetRecord<'a>>,
    findings: FindingRecords<'a>,
}

#[derive(serde::Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(serde::Serialize)]
struct RunInfo<'a> {
    started: &'a str,
    finished: &'a str,
    complete: bool,
}

#[derive(serde::Serialize)]
struct TargetRecord<'a> {
    target_id: &'a str,
    server: &'a str,
    instance: Option<&'a str>,
    reached: bool,
    reason: Option<&'a str>,
    version: Option<&'a str>,
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
struct FindingRecords<'a>(&'a [TargetRun]);

impl serde::Serialize for FindingRecords<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(None)?;
        for r in self.0 {
            let target_key = audit_core::entity_key("target", &[&r.target.id]);
            for f in &r.findings {
                seq.serialize_element(&FindingRecord {
                    check_id: f.check_id,
                    title: check_title(f.check_id),
                    status: f.status,
                    severity: f.severity,
                    target_id: &r.target.id,
                    server: &r.target.server,
                    instance: r.target.instance.as_deref(),
                    entity_type: &f.entity_type,
                    entity: &f.entity,
                    entity_key: format!("{target_key}/{}", f.entity_key),
                    message: &f.message,
                    evidence: &f.evidence,
                    references: check_references(f.check_id),
                    remediation_category: f.remediation_category,
                    fix: f.fix.as_ref(),
                    path: path_of(&f.evidence),
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

/// The run whose findings are written.
pub(crate) struct Run<'a> {
    pub audit: &'a history::AuditRecord,
    pub targets: &'a [TargetRun],
    pub started: &'a str,
    pub finished: &'a str,
    pub interrupted: bool,
}

/// Writes `findings.json` in `folder` atomically: a fresh temporary file, created exclusively
/// beside it, renamed over the old one; nothing is left behind when writing fails.
pub(crate) fn write(folder: &Path, run: &Run<'_>) -> std::io::Result<PathBuf> {
    use std::io::Write as _;
    std::fs::create_dir_all(folder)?;
    let targets = run
        .targets
        .iter()
        .map(|r| {
            let (reached, reason, version) = match &r.reach {
                Reach::Reached { version } => (true, None, Some(version.as_str())),
                Reach::Unreached { reason } => (false, Some(reason.as_str()), None),
                Reach::Interrupted => (false, Some("interrupted"), None),
            };
            TargetRecord {
                target_id: &r.target.id,
                server: &r.target.server,
                instance: r.target.instance.as_deref(),
                reached,
                reason,
                version,
            }
        })
        .collect();
    let document = FindingsFile {
        tool: Tool {
            name: "AutoDBAudit",
            version: env!("CARGO_PKG_VERSION"),
        },
        audit: &run.audit.name,
        organization: &run.audit.organization,
        run: RunInfo {
            started: run.started,
            finished: run.finished,
            complete: !run.interrupted,
        },
        targets,
        findings: FindingRecords(run.targets),
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
