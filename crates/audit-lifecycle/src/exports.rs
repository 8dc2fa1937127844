//! The run as the export formats see it ([`export::Report`], built from the history with each
//! finding's standing) and writing the formats asked for into the audit's folder: one file per
//! run (`<audit>.sarif`, `<audit>.junit.xml`, `<audit>.html`, `<audit>.csv`), one checklist per
//! instance (`checklists/<target>.ckl`, `.cklb`). Each file is written to a temporary beside
//! it and renamed, so a reader never sees half a file.

use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use std::collections::HashMap;

use audit_core::compliance::{self, InstanceResults};
use audit_core::{Annotation, CheckId, Finding};
use export::{Format, Instance, Note, Report, ResultRow};
use history::{AuditRecord, History, RunRecord};
use report::{Layout, RowId};

use crate::Error;
use crate::standings::{self, Baselines, Computed, RowNotes};

/// What a snapshot's JSON says about the server, for the checklists' asset data (the rest of
/// the facts are not parsed).
#[derive(serde::Deserialize)]
struct Peek {
    server: PeekServer,
}

#[derive(serde::Deserialize)]
struct PeekServer {
    machine_name: String,
    version: audit_core::BuildNumber,
    edition: String,
}

/// Run `run` of `audit` as every export format reads it — its targets in workbook order, each
/// finding with its standing and annotation, the compliance summary — and the standings the
/// workbook and `status` need ([`Computed`]), worked out in one pass over the history, target
/// by target, from `layout` (that run laid out: which row each finding is on) and the audit's
/// `annotations`. Without `keep`, the instances keep no results (for callers that need only
/// the standings and the compliance summary: a large run's findings are not held).
pub fn build(
    history: &History,
    audit: &AuditRecord,
    run: &RunRecord,
    layout: &Layout,
    annotations: &HashMap<RowId, Annotation>,
    keep: bool,
) -> Result<(Report, Computed), Error> {
    let notes = RowNotes::new(layout, annotations);
    let baselines = Baselines::load(history)?;
    let mut computed = Computed::default();
    let mut tally = compliance::Tally::new();
    let mut records = history.run_targets(run.id)?;
    records.sort_by_cached_key(|t| {
        report::layout::target_order(&t.server, t.instance.as_deref(), &t.target_id)
    });
    let mut instances = Vec::with_capacity(records.len());
    for t in records {
        let peek: Option<Peek> = t
            .snapshot_json
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok());
        let findings: Vec<Finding> = history
            .target_findings(run.id, &t.target_id)?
            .into_iter()
            .map(|s| s.finding)
            .collect();
        if t.reached {
            computed
                .gone
                .extend(baselines.gone(&t.target_id, &findings, &t.not_selected));
        }
        let results: Vec<ResultRow> = findings
            .into_iter()
            .map(|finding| {
                let entry = standings::entry(&notes, &baselines, &t.target_id, &finding);
                computed.keep(&t.target_id, &finding, &entry);
                ResultRow {
                    standing: entry.standing,
                    drift: entry.drift,
                    note: entry.annotation.map(|a| Note {
                        review_status: a.review_status,
                        justification: a.justification,
                        notes: a.notes,
                    }),
                    fingerprint: export::fingerprint(&t.target_id, &finding),
                    finding,
                }
            })
            .collect();
        let label = match t.instance.as_deref() {
            Some(i) if !i.is_empty() => format!("{}\\{i}", t.server),
            _ => t.server.clone(),
        };
        let ip_address = t.server.parse::<IpAddr>().ok().map(|ip| ip.to_string());
        let fqdn = (ip_address.is_none() && t.server.contains('.')).then(|| t.server.clone());
        let instance = Instance {
            label,
            host_name: peek.as_ref().map(|p| p.server.machine_name.clone()),
            fqdn,
            ip_address,
            version: peek
                .as_ref()
                .map(|p| p.server.version.to_string())
                .or(t.version.clone()),
            major: peek.as_ref().map(|p| p.server.version.major),
            edition: peek.as_ref().map(|p| p.server.edition.clone()),
            reached: t.reached,
            reason: t.reason,
            not_selected: t
                .not_selected
                .iter()
                .filter_map(|id| id.parse::<CheckId>().ok())
                .collect(),
            results,
            target_id: t.target_id,
            server: t.server,
            instance: t.instance,
            port: t.port,
        };
        tally.add(&inputs(&instance));
        let mut instance = instance;
        if !keep {
            instance.results = Vec::new();
        }
        instances.push(instance);
    }
    let report = Report {
        tool: run.tool_version.clone(),
        tool_version: run
            .tool_version
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_owned(),
        audit: audit.name.clone(),
        organization: audit.organization.clone(),
        run_id: run.id,
        started: run.started_at.clone(),
        finished: run.finished_at.clone().unwrap_or_default(),
        profile: run.selection.clone().unwrap_or_else(|| "all".to_owned()),
        compliance: tally.finish(),
        instances,
    };
    Ok((report, computed))
}

/// An instance as the compliance summary reads it.
fn inputs(i: &Instance) -> InstanceResults<'_> {
    InstanceResults {
        major: if i.reached { i.major } else { None },
        not_selected: &i.not_selected,
        results: i.results.iter().map(|r| (&r.finding, r.standing)).collect(),
    }
}

/// The compliance summary of the instances.
pub fn summary(instances: &[Instance]) -> Vec<compliance::FrameworkSummary> {
    let inputs: Vec<InstanceResults<'_>> = instances.iter().map(inputs).collect();
    compliance::summarize(&inputs)
}

/// Writes `formats` of `report` into `folder` (the audit's output folder) and returns the files
/// written.
pub fn write(folder: &Path, report: &Report, formats: &[Format]) -> Result<Vec<PathBuf>, Error> {
    let mut written = Vec::new();
    for &format in formats {
        if format.per_instance() {
            let dir = folder.join("checklists");
            for instance in &report.instances {
                let (name, bytes) = match format {
                    Format::Ckl => (
                        export::ckl::file_name(instance),
                        export::ckl::write(report, instance),
                    ),
                    _ => (
                        export::cklb::file_name(instance),
                        export::cklb::write(report, instance),
                    ),
                };
                written.push(put(&dir, &name, &bytes)?);
            }
        } else {
            let bytes: Vec<u8> = match format {
                Format::Sarif => export::sarif::write(report),
                Format::Junit => export::junit::write(report),
                Format::Html => export::html::write(report),
                _ => export::csv::write(report),
            };
            let name = format!("{}.{}", report.audit, format.extension());
            written.push(put(folder, &name, &bytes)?);
        }
    }
    Ok(written)
}

/// Writes `bytes` as `folder/name` atomically.
fn put(folder: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, Error> {
    let path = folder.join(name);
    let result = (|| -> std::io::Result<()> {
        std::fs::create_dir_all(folder)?;
        let mut temporary = crate::files::temporary_beside(&path)?;
        temporary.write_all(bytes)?;
        temporary.as_file().sync_all()?;
        temporary.persist(&path).map_err(|e| e.error)?;
        Ok(())
    })();
    result.map_err(|e| crate::error::output_failed(name, folder, &e))?;
    Ok(path)
}
