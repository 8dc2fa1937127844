//! The run behind `audit`, `sync` and `demo`: pre-flight, collect every selected target in
//! parallel and evaluate every check, record the run in the history (one transaction, with
//! sync's changes), then `findings.json` and the workbook rendered from the history.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use audit_config::Config;
use audit_config::model::{Target, Thresholds};
use audit_core::checks::selection::Selection;
use audit_core::checks::{self, Policy};
use audit_core::{Finding, RemediationCategory, Severity, Status, changes};
use collect::fleet::{self, Job, Outcome};
use history::{AuditRecord, History, NewAction, RunKind};

use crate::sync::{self, Changes, Current, SyncReport};
use crate::workspace::Workspace;
use crate::{Error, Observer, findings_json, render, targets};

/// A plain audit, or the re-audit inside `sync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `audit`: continues the latest audit, or starts the one asked for or configured.
    Audit,
    /// `sync`: imports the workbook's annotations first, classifies changes after.
    Sync,
}

/// The outputs a run writes besides the history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outputs {
    /// The working workbook, rendered from the history.
    pub workbook: bool,
    /// `findings.json`.
    pub findings: bool,
    /// The export formats (checklists, SARIF, JUnit, HTML, CSV).
    pub exports: Vec<export::Format>,
}

/// What to audit and how.
#[derive(Debug, Clone)]
pub struct Request {
    /// Audit or sync.
    pub mode: Mode,
    /// `audit --new NAME`: start this audit (audit mode only).
    pub new: Option<String>,
    /// Only these target ids (none: every enabled target).
    pub targets: Vec<String>,
    /// Only targets with one of these tags (none: any).
    pub tags: Vec<String>,
    /// Targets audited at once (none: the configuration's).
    pub concurrency: Option<u32>,
    /// The outputs to write.
    pub outputs: Outputs,
    /// Count the FAIL/WARN findings of this severity or worse.
    pub fail_on: Option<Severity>,
    /// The build data to judge R02/R03 with (none: the embedded data).
    pub builds: Option<audit_config::builds::Chosen>,
    /// The checks to evaluate (none: the configuration's profile, every check by default).
    pub selection: Option<Selection>,
}

impl Request {
    /// `sync`: every enabled target, the workbook and `findings.json`.
    pub fn sync(
        fail_on: Option<Severity>,
        builds: Option<audit_config::builds::Chosen>,
    ) -> Request {
        Request {
            mode: Mode::Sync,
            new: None,
            targets: Vec::new(),
            tags: Vec::new(),
            concurrency: None,
            outputs: Outputs {
                workbook: true,
                findings: true,
                exports: Vec::new(),
            },
            fail_on,
            builds,
            selection: None,
        }
    }
}

/// How a target's collection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Connected and read; its SQL Server version.
    Reached {
        /// The version the server reported.
        version: String,
    },
    /// Not reached or not logged in to.
    Unreached {
        /// Why, as the summary says it.
        reason: String,
    },
    /// The run was stopped (Ctrl-C) before this target finished.
    Interrupted,
}

/// One target as the run saw it: UNKNOWN everywhere when it was not audited.
#[derive(Debug)]
pub struct TargetRun {
    /// The target as configured.
    pub target: Target,
    /// How its collection ended.
    pub reach: Reach,
    /// Its findings.
    pub findings: Vec<Finding>,
    /// Its facts as JSON until the history has them (the snapshot itself is dropped as soon
    /// as it is evaluated).
    snapshot_json: Option<String>,
    /// The checks the selection left out on it.
    pub not_selected: Vec<audit_core::CheckId>,
}

/// What a run did.
#[derive(Debug)]
pub struct Audited {
    /// The audit recorded into.
    pub audit: String,
    /// The run's id in the history.
    pub run_id: i64,
    /// The history file.
    pub history: PathBuf,
    /// The workbook written, when asked for.
    pub workbook: Option<PathBuf>,
    /// `findings.json`, when asked for.
    pub findings: Option<PathBuf>,
    /// The export files written (`--format sarif,ckl …`).
    pub exports: Vec<PathBuf>,
    /// Per framework, how its items stand.
    pub compliance: Vec<audit_core::compliance::FrameworkSummary>,
    /// Targets selected.
    pub targets: usize,
    /// Targets not audited (unreached or stopped).
    pub unreached: usize,
    /// The run was stopped by Ctrl-C.
    pub interrupted: bool,
    /// FAIL/WARN findings at or above [`Request::fail_on`], when given.
    pub at_or_above: Option<usize>,
    /// Sync's import, changes and counts (sync mode only).
    pub sync: Option<SyncReport>,
}

/// Runs an audit (or a sync's re-audit) of the workspace at `root` with its loaded `config`;
/// `password` gives each selected target's secret ([`targets::configured_secret`] for the
/// configured ones). Nothing is written before the pre-flight holds: the selection and every
/// secret, the workspace lock, the history, the audit chosen, the workbook not open. Ctrl-C
/// stops collecting and keeps what was collected. A run recorded but whose workbook could not
/// be written is an error saying `report` writes it.
pub fn run(
    root: &Path,
    config: &Config,
    request: &Request,
    password: &dyn Fn(&Target) -> Result<String, Error>,
    observer: &mut dyn Observer,
) -> Result<Audited, Error> {
    let selected = targets::select(&config.targets.targets, &request.targets, &request.tags)?;
    let mut jobs = Vec::with_capacity(selected.len());
    for target in &selected {
        jobs.push(targets::job(target, password(target)?));
    }
    let concurrency = request
        .concurrency
        .unwrap_or(config.audit.concurrency)
        .max(1) as usize;

    // Pre-flight: the workspace is ours, the history opens, the audit may change, the workbook
    // is not open in Excel. Nothing is written before all of these hold.
    let ws = Workspace::lock(root)?;
    let mut history = ws.history()?;
    let (audit_name, continued) = match request.mode {
        Mode::Audit => (
            choose_audit(
                &history,
                &config.audit.audit_name,
                request.new.as_deref(),
                observer,
            )?,
            None,
        ),
        Mode::Sync => {
            let audit = sync::baseline_audit(&history)?;
            (audit.name.clone(), Some(audit))
        }
    };
    // Before anything is written: a name that cannot name files would fail after recording.
    ws.check_audit_name(&audit_name)?;
    // The checks: refused before anything is written when `--checks` asks for nothing.
    let selection = match (&request.selection, request.mode) {
        (Some(selection), _) => selection.clone(),
        // A sync re-audits the audit as its last run did (`audit --profile stig` stays STIG).
        (None, Mode::Sync) => continued
            .as_ref()
            .map(|audit| history.latest_completed_run(audit.id))
            .transpose()?
            .flatten()
            .and_then(|r| r.selection)
            .and_then(|text| text.parse().ok())
            .unwrap_or_else(|| configured(config)),
        (None, Mode::Audit) => configured(config),
    };
    let outside = selection.outside_profile();
    if !outside.is_empty() {
        return Err(Error::usage(format!(
            "--checks {}: not in the `{}` profile, so nothing of it would be evaluated",
            outside.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
            selection.profile
        ))
        .hint("add `--profile all`, or name checks of the profile (`autodbaudit checks --framework …`)"));
    }
    let workbook = ws.workbook_path(&audit_name);
    if request.outputs.workbook {
        report::ensure_not_open(&workbook).map_err(crate::error::workbook_locked)?;
    }
    let started = crate::now();
    let audit = match continued {
        Some(audit) => audit,
        None => history.open_audit(&audit_name, &config.audit.organization, &started)?,
    };
    observer.note(&format!("audit `{audit_name}`"));
    let kind = match request.mode {
        Mode::Audit => RunKind::Audit,
        Mode::Sync => RunKind::Sync,
    };
    observer.starting(kind)?;
    let imported = match request.mode {
        Mode::Sync => Some(sync::import_annotations(
            &mut history,
            &audit,
            &workbook,
            &started,
        )?),
        Mode::Audit => None,
    };
    let run = history.begin_run(audit.id, kind, &started, &crate::tool_version())?;
    tracing::info!(
        targets = jobs.len(),
        concurrency,
        run = run.id,
        "audit started"
    );

    history.record_selection(run.id, &selection.describe())?;
    if !selection.is_everything() {
        observer.note(&format!(
            "checks: {}{}",
            selection.describe(),
            if selection.profile == checks::selection::Profile::Stig {
                " (the 2016 STIGs for SQL Server 2019 and earlier, the 2022 STIGs for 2022 and later)"
            } else {
                ""
            }
        ));
    }
    let policy = policy(&config.audit.thresholds, request.builds.as_ref(), &started);
    let progress = observer.progress(jobs.len());
    let (outcomes, interrupted) = collect(jobs, concurrency, policy, selection.clone(), progress)?;
    let finished = crate::now();
    let mut runs: Vec<TargetRun> = selected
        .into_iter()
        .zip(outcomes)
        .map(|(target, (_, outcome))| target_run(target, outcome, &selection))
        .collect();

    // Sync's changes since the last run are recorded with the run, in its transaction.
    let (actions, mut changes) = match &imported {
        Some(imported) => {
            let current: Vec<Current<'_>> = runs
                .iter()
                .map(|r| Current {
                    target_id: &r.target.id,
                    reached: matches!(r.reach, Reach::Reached { .. }),
                    findings: &r.findings,
                    not_selected: &r.not_selected,
                })
                .collect();
            let (actions, changes) =
                sync::plan_changes(&history, &audit, run.id, &current, imported, &finished)?;
            (actions, Some(changes))
        }
        None => (Vec::new(), None),
    };
    record(
        &mut history,
        run.id,
        &finished,
        &mut runs,
        interrupted,
        &actions,
    )?;
    drop(actions);
    tracing::info!(run = run.id, "run recorded in the history");

    observer.recorded(&runs);
    // What the caller needs, then the findings go: every output is rendered from the history,
    // and a large fleet's findings must not be held twice.
    let total = runs.len();
    let unreached = runs
        .iter()
        .filter(|r| !matches!(r.reach, Reach::Reached { .. }))
        .count();
    let at_or_above = request.fail_on.map(|threshold| {
        runs.iter()
            .flat_map(|r| &r.findings)
            .filter(|f| changes::is_discrepant(f.status) && f.severity >= threshold)
            .count()
    });
    drop(runs);
    let folder = ws.audit_folder(&audit_name);
    let written = publish(
        &mut history,
        &audit,
        run.id,
        &request.outputs,
        Paths {
            folder: &folder,
            workbook: &workbook,
        },
        &finished,
        interrupted,
        changes.as_mut(),
    )
    .map_err(|e| {
        e.hint(format!(
            "run {} is recorded in the history: `autodbaudit report` writes its workbook and \
             `autodbaudit report --format …` the other formats",
            run.id
        ))
    })?;
    let sync = match (imported, changes) {
        (Some(imported), Some(changes)) => Some(SyncReport {
            since_baseline: sync::since_baseline(&history, &audit)?,
            imported,
            changes,
            rendered: written.rendered,
        }),
        _ => None,
    };
    Ok(Audited {
        audit: audit_name,
        run_id: run.id,
        history: ws.history_path(),
        workbook: written.rendered.map(|_| workbook),
        findings: written.findings,
        exports: written.exports,
        compliance: written.compliance,
        targets: total,
        unreached,
        interrupted,
        at_or_above,
        sync,
    })
}

/// Where a run's outputs go.
struct Paths<'a> {
    /// The audit's output folder.
    folder: &'a Path,
    /// The working workbook.
    workbook: &'a Path,
}

/// What writing a run's model left: `findings.json`, the export files, and what the workbook
/// still needs (the check selection, the compliance summary).
type Emitted = (
    Option<PathBuf>,
    Vec<PathBuf>,
    String,
    Vec<audit_core::compliance::FrameworkSummary>,
);

/// What [`publish`] wrote.
struct Written {
    rendered: Option<render::Rendered>,
    findings: Option<PathBuf>,
    exports: Vec<PathBuf>,
    compliance: Vec<audit_core::compliance::FrameworkSummary>,
}

/// Renders the recorded run's outputs from the history: in a sync, first logs the documented
/// exceptions the run made unneeded (so the Actions sheet shows them); then every finding's
/// standing, `findings.json`, the export formats and the workbook.
#[allow(clippy::too_many_arguments)]
fn publish(
    history: &mut History,
    audit: &AuditRecord,
    run_id: i64,
    outputs: &Outputs,
    paths: Paths<'_>,
    now: &str,
    interrupted: bool,
    changes: Option<&mut Changes>,
) -> Result<Written, Error> {
    let run = history
        .run(run_id)?
        .ok_or_else(|| Error::internal(format!("run {run_id} vanished from the history")))?;
    let keep = outputs.findings || !outputs.exports.is_empty();
    // Writes findings.json and the exports of a model; keeps what the workbook needs of it.
    let emit = |model: export::Report,
                computed: &crate::standings::Computed|
     -> Result<Emitted, Error> {
        let findings = if outputs.findings {
            Some(
                findings_json::write(paths.folder, &model, &computed.gone, interrupted)
                    .map_err(|e| crate::error::output_failed("findings.json", paths.folder, &e))?,
            )
        } else {
            None
        };
        let exports = crate::exports::write(paths.folder, &model, &outputs.exports)?;
        Ok((findings, exports, model.profile, model.compliance))
    };
    // Without annotations no finding's standing depends on the row it is on: the run's model is
    // built, written and dropped before the workbook's layout is, so a large run never holds
    // both (with annotations, the layout says which row, and so which annotation, is whose).
    let annotations = history.annotations(audit.id)?;
    let early = if annotations.is_empty() {
        let empty = report::layout::LayoutBuilder::new().finish();
        let (model, computed) =
            crate::exports::build(history, audit, &run, &empty, &annotations, keep)?;
        Some((emit(model, &computed)?, computed))
    } else {
        None
    };
    drop(annotations);
    let prepared = render::prepare(history, audit, run_id)?;
    if let Some(changes) = changes {
        sync::log_unneeded_exceptions(history, audit, run_id, &prepared, now, changes)?;
    }
    let ((findings, exports, checks, compliance), computed) = match early {
        Some(done) => done,
        None => {
            let (computed, model) = render::model_of(history, audit, &prepared, keep)?;
            (emit(model, &computed)?, computed)
        }
    };
    let rendered = if outputs.workbook {
        Some(render::write(
            history,
            audit,
            prepared,
            &render::Extras::from_parts(checks, compliance.clone(), &computed),
            paths.workbook,
        )?)
    } else {
        None
    };
    Ok(Written {
        rendered,
        findings,
        exports,
        compliance,
    })
}

/// A target's collection outcome as the run keeps it; a target not audited gets every check
/// UNKNOWN with the reason, never counted as passed or fixed.
fn target_run(mut target: Target, outcome: Outcome<Collected>, selection: &Selection) -> TargetRun {
    let (reach, findings, snapshot_json, major) = match outcome {
        Outcome::Reached((evaluated, findings)) => {
            // A named instance reached by its port is shown by the name the server gives,
            // not as the default instance.
            if target.instance.is_none() {
                target.instance = evaluated.instance.filter(|i| !i.is_empty());
            }
            (
                Reach::Reached {
                    version: evaluated.version,
                },
                findings,
                Some(evaluated.snapshot_json),
                Some(evaluated.major),
            )
        }
        Outcome::Unreached { reason } => {
            let findings = unknown_everywhere(&target, &reason, selection);
            (Reach::Unreached { reason }, findings, None, None)
        }
        Outcome::Interrupted => (
            Reach::Interrupted,
            unknown_everywhere(
                &target,
                "the run was stopped before this target was audited",
                selection,
            ),
            None,
            None,
        ),
    };
    TargetRun {
        target,
        reach,
        findings,
        snapshot_json,
        not_selected: selection.not_selected(major),
    }
}

/// The name of the audit an audit run records into: `--new NAME` starts that audit; otherwise
/// the latest audit continues, and the one `audit_config.jsonc` names is started when there is
/// none. A finalized audit, or a `--new` name already in use, is refused before anything is
/// written.
fn choose_audit(
    history: &History,
    configured: &str,
    new: Option<&str>,
    observer: &mut dyn Observer,
) -> Result<String, Error> {
    if let Some(name) = new {
        if let Some((problem, fix)) = audit_config::validate::audit_name_problem(name) {
            return Err(Error::usage(format!("--new `{name}`: {problem}")).hint(fix));
        }
        if let Some(existing) = history.find_audit(name)? {
            // An audit whose first run never completed may be retried under its name.
            if history.latest_completed_run(existing.id)?.is_some() {
                return Err(Error::usage(format!(
                    "audit `{name}` already exists (started {})",
                    existing.created_at
                ))
                .hint(
                    "choose another name for a new baseline; `autodbaudit audit` without --new \
                     continues the latest audit",
                ));
            }
        }
        return Ok(name.to_owned());
    }
    let Some(latest) = history.latest_audit()? else {
        return Ok(configured.to_owned());
    };
    if latest.status == history::AuditStatus::Finalized {
        return Err(Error::usage(format!(
            "audit `{}` is finalized; its results can no longer change",
            latest.name
        ))
        .hint(
            "`autodbaudit audit --new NAME` starts the next audit; \
             `autodbaudit definalize` reopens this one",
        ));
    }
    if latest.name != configured {
        observer.note(&format!(
            "continuing the latest audit `{}`; audit_config.jsonc names `{configured}`, \
             which `autodbaudit audit --new {configured}` would start",
            latest.name
        ));
    }
    Ok(latest.name)
}

/// What is kept of a reached target: its version and its facts as JSON for the history.
struct Evaluated {
    version: String,
    /// Its major version, which decides the STIG profile's checks.
    major: u16,
    /// `SERVERPROPERTY('InstanceName')`: NULL for a default instance.
    instance: Option<String>,
    snapshot_json: String,
}

/// A reached target's version, facts and findings.
type Collected = (Evaluated, Vec<Finding>);

/// Collects the fleet on a runtime, evaluating each snapshot as it arrives; Ctrl-C stops it
/// and keeps what was collected (the flag says it was stopped).
#[allow(clippy::type_complexity)]
fn collect(
    jobs: Vec<Job>,
    concurrency: usize,
    policy: Policy,
    selection: Selection,
    progress: Arc<dyn Fn(fleet::Event) + Send + Sync>,
) -> Result<(Vec<(String, Outcome<Collected>)>, bool), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::internal(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let interrupted = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&interrupted);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                flag.store(true, Ordering::SeqCst);
                let _ = stop.send(true);
            }
        });
        let evaluate = Arc::new(move |snapshot: audit_core::snapshot::Snapshot| {
            let findings = checks::evaluate_selected(&snapshot, &policy, &selection);
            (
                Evaluated {
                    version: snapshot.server.version.to_string(),
                    major: snapshot.server.version.major,
                    instance: snapshot.server.instance_name.clone(),
                    snapshot_json: serde_json::to_string(&snapshot)
                        .expect("a snapshot always serializes"),
                },
                findings,
            )
        });
        let outcomes =
            fleet::collect_all(jobs, concurrency, stopped, progress.clone(), evaluate).await;
        progress(fleet::Event::Started(String::new()));
        Ok((outcomes, interrupted.load(Ordering::SeqCst)))
    })
}

/// The configuration's profile, every check of it.
fn configured(config: &Config) -> Selection {
    Selection {
        profile: config.audit.profile.profile(),
        ..Selection::default()
    }
}

/// The policy: built-in defaults, with the chosen build data and the config's thresholds.
fn policy(
    thresholds: &Thresholds,
    builds: Option<&audit_config::builds::Chosen>,
    now: &str,
) -> Policy {
    let mut policy = Policy::defaults(now);
    if let Some(chosen) = builds {
        policy.use_build_data(chosen.data.clone(), &chosen.source);
    }
    policy.minimum_major_version = u16::from(thresholds.minimum_major_version);
    policy.support_warn_days = thresholds.support_warn_days;
    policy.extended_security_updates = thresholds.extended_security_updates.clone();
    for (release, build) in &thresholds.expected_builds {
        if let Ok(build) = build.parse() {
            policy
                .latest_builds
                .retain(|(r, _)| !r.eq_ignore_ascii_case(release));
            policy.latest_builds.push((release.clone(), build));
        }
    }
    policy.backup_max_age_days = thresholds.backup_max_age_days;
    policy.backup_warn_age_days = thresholds.backup_warn_age_days;
    policy.test_database_patterns = thresholds.test_database_patterns.clone();
    policy.min_error_log_files = thresholds.min_error_log_files;
    policy.browser_required = thresholds.browser_required;
    policy.allowed_tcp_ports = thresholds.allowed_tcp_ports.iter().copied().collect();
    policy.allowed_protocols = thresholds
        .allowed_protocols
        .iter()
        .map(|p| {
            serde_json::to_value(p)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect();
    policy.required_audit_groups = thresholds.required_audit_groups.clone();
    policy.audit_on_failure = thresholds.audit_on_failure.and_then(|o| {
        serde_json::to_value(o)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
    });
    policy.max_user_connections = thresholds.max_user_connections;
    policy.allowed_job_owners = thresholds.allowed_job_owners.clone();
    policy.allowed_database_owners = thresholds.allowed_database_owners.clone();
    policy.require_tde = thresholds.require_tde;
    policy.certificate_warn_days = thresholds.certificate_warn_days;
    policy.key_backup_max_age_days = thresholds.key_backup_max_age_days;
    policy.require_common_criteria = thresholds.require_common_criteria;
    policy.require_fips = thresholds.require_fips;
    policy.ceip_allowed = thresholds.ceip_allowed;
    policy.telemetry_audit_required = thresholds.telemetry_audit_required;
    policy.instant_file_initialization_allowed = thresholds.instant_file_initialization_allowed;
    policy
}

/// Every selected check UNKNOWN for a target that was not audited: never counted as pass or
/// fixed. Without a version, a check the selection takes on some version is taken.
fn unknown_everywhere(target: &Target, reason: &str, selection: &Selection) -> Vec<Finding> {
    checks::catalogue()
        .iter()
        .filter(|check| selection.may_include(check))
        .map(|check| Finding {
            check_id: check.id,
            status: Status::Unknown,
            severity: check.severity,
            entity_type: "instance".into(),
            entity: targets::instance_label(target),
            entity_key: audit_core::entity_key("instance", &[]),
            message: format!("not evaluated: {reason}"),
            evidence: BTreeMap::from([("reason".to_owned(), reason.to_owned())]),
            remediation_category: RemediationCategory::None,
            fix: None,
        })
        .collect()
}

/// Records the run's targets, facts and findings in one transaction, with `actions`. The
/// findings move into the history call and back, so a fleet's findings are never held twice.
fn record(
    history: &mut History,
    run_id: i64,
    finished: &str,
    runs: &mut [TargetRun],
    interrupted: bool,
    actions: &[NewAction],
) -> Result<(), Error> {
    let targets: Vec<history::TargetRecord> = runs
        .iter_mut()
        .map(|r| {
            let (reached, reason, version) = match &r.reach {
                Reach::Reached { version } => (true, None, Some(version.clone())),
                Reach::Unreached { reason } => (false, Some(reason.clone()), None),
                Reach::Interrupted => (false, Some("interrupted".to_owned()), None),
            };
            history::TargetRecord {
                target_id: r.target.id.clone(),
                server: r.target.server.clone(),
                instance: r.target.instance.clone(),
                port: r.target.port.map(|p| p.get()),
                reached,
                reason,
                version,
                snapshot_json: r.snapshot_json.take(),
                not_selected: r.not_selected.iter().map(ToString::to_string).collect(),
            }
        })
        .collect();
    let mut stored = Vec::new();
    let mut counts = Vec::with_capacity(runs.len());
    for r in runs.iter_mut() {
        counts.push(r.findings.len());
        stored.extend(r.findings.drain(..).map(|finding| history::StoredFinding {
            target_id: r.target.id.clone(),
            finding,
        }));
    }
    let note = interrupted.then_some("interrupted: stopped by the user (Ctrl-C)");
    let result =
        history.complete_run_with_actions(run_id, finished, &targets, &stored, note, actions);
    let mut stored = stored.into_iter();
    for (r, n) in runs.iter_mut().zip(counts) {
        r.findings
            .extend(stored.by_ref().take(n).map(|s| s.finding));
    }
    result.map_err(|e| Error::internal(format!("cannot record the run in the history: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_not_audited_is_unknown_for_every_check() {
        let target: Target = serde_json::from_value(serde_json::json!({
            "id": "t1", "server": "db1", "instance": "SALES", "auth": "sql",
        }))
        .unwrap();
        let run = target_run(
            target,
            Outcome::Unreached {
                reason: "connection refused".into(),
            },
            &Selection::all(),
        );
        assert_eq!(
            run.reach,
            Reach::Unreached {
                reason: "connection refused".into()
            }
        );
        assert_eq!(run.findings.len(), checks::catalogue().len());
        assert!(run.findings.iter().all(|f| f.status == Status::Unknown
            && f.entity == "db1\\SALES"
            && f.message == "not evaluated: connection refused"));
        assert!(run.snapshot_json.is_none());
    }
}
