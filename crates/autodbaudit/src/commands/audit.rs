//! `autodbaudit audit`: every selected target in parallel, every check; the run recorded in the
//! history (one transaction), then `findings.json`, the workbook and a summary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use audit_config::model::{AuthMode, EncryptMode, Target};
use audit_core::checks::{self, Policy};
use audit_core::{CheckId, Finding, RemediationCategory, Status};
use audit_credentials::{CredentialRef, CredentialStores, Resolver};
use collect::fleet::{self, Event, Job, Outcome};
use collect::{Auth, Encryption, Endpoint};

use super::render;
use crate::cli::AuditArgs;
use crate::exit::{CliError, CmdResult, Exit};
use crate::workspace::{HISTORY_FILE, Workspace, workbook_locked};
use crate::{logging, ui};

/// What is kept of a reached target: its version and its facts as JSON for the history (the
/// snapshot itself is dropped as soon as it is evaluated).
struct Evaluated {
    version: String,
    snapshot_json: String,
}

/// One target as the run saw it.
struct TargetRun {
    target: Target,
    outcome: Outcome<Evaluated>,
    findings: Vec<Finding>,
}

/// Runs the audit, with secrets from the targets' credential references.
pub fn run(workspace: &Path, args: &AuditArgs) -> CmdResult {
    run_with(workspace, args, &configured_secret(workspace))
}

/// Each target's password from its credential reference (the workspace's stores).
pub fn configured_secret(workspace: &Path) -> impl Fn(&Target) -> Result<String, CliError> {
    let resolver = Resolver::new(CredentialStores::new(workspace.join("credentials")));
    move |target| secret(target, &resolver)
}

/// A target's password as its credential reference says.
fn secret(target: &Target, resolver: &Resolver) -> Result<String, CliError> {
    let login = target.username.clone().unwrap_or_default();
    let Some(text) = target.credential.as_deref() else {
        return Ok(String::new());
    };
    let reference: CredentialRef = text
        .parse()
        .map_err(|e| CliError::usage(format!("target `{}`: credential: {e}", target.id)))?;
    Ok(resolver
        .resolve(&reference, &format!("{login}@{}", target.id))
        .map_err(|e| {
            CliError::usage(format!("target `{}`: {e}", target.id))
                .hint("`autodbaudit credentials check` tests every target's credential")
        })?
        .expose()
        .to_owned())
}

/// Runs the audit with `password` giving each target's secret (the demo supplies its own).
pub fn run_with(
    workspace: &Path,
    args: &AuditArgs,
    password: &dyn Fn(&Target) -> Result<String, CliError>,
) -> CmdResult {
    execute(workspace, args, password, Mode::Audit)
}

/// A plain audit, or the re-audit inside `sync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `audit`: starts the audit named in the configuration if it is new.
    Audit,
    /// `sync`: imports the workbook's annotations first, classifies changes after.
    Sync,
}

/// The run behind `audit` and `sync`: pre-flight, collect, record, outputs.
pub fn execute(
    workspace: &Path,
    args: &AuditArgs,
    password: &dyn Fn(&Target) -> Result<String, CliError>,
    mode: Mode,
) -> CmdResult {
    let (config, _) = super::config::load_or_explain(workspace)?;
    let formats = Formats::parse(&args.format)?;
    let selected = select(&config.targets.targets, args)?;
    let mut jobs = Vec::with_capacity(selected.len());
    for target in &selected {
        jobs.push(job(target, password(target)?));
    }
    let concurrency = args.concurrency.unwrap_or(config.audit.concurrency).max(1) as usize;

    // Pre-flight: the workspace is ours, the history opens, the audit may change, the workbook
    // is not open in Excel. Nothing is written before all of these hold.
    let ws = Workspace::lock(workspace)?;
    let mut history = ws.history()?;
    let (audit_name, continued) = match mode {
        Mode::Audit => (
            choose_audit(&history, &config.audit.audit_name, args.new.as_deref())?,
            None,
        ),
        Mode::Sync => {
            let audit = super::sync::baseline_audit(&history)?;
            (audit.name.clone(), Some(audit))
        }
    };
    let workbook = ws.workbook_path(&audit_name);
    if formats.xlsx {
        report::ensure_not_open(&workbook).map_err(workbook_locked)?;
    }
    let started = now();
    let audit = match continued {
        Some(audit) => audit,
        None => history
            .open_audit(&audit_name, &config.audit.organization, &started)
            .map_err(|e| CliError::internal(e.to_string()))?,
    };
    ui::note(&format!("audit `{audit_name}`"));
    let kind = match mode {
        Mode::Audit => history::RunKind::Audit,
        Mode::Sync => history::RunKind::Sync,
    };
    let log = logging::attach_run_log(workspace, kind.as_str())
        .map_err(|e| CliError::internal(format!("cannot write the run log: {e}")))?;
    let imported = match mode {
        Mode::Sync => Some(super::sync::import_annotations(
            &mut history,
            &audit,
            &workbook,
            &started,
        )?),
        Mode::Audit => None,
    };
    let run = history
        .begin_run(audit.id, kind, &started, &tool_version())
        .map_err(|e| CliError::internal(e.to_string()))?;
    tracing::info!(
        targets = jobs.len(),
        concurrency,
        run = run.id,
        "audit started"
    );

    let policy = policy(&config.audit.thresholds, &started);
    let (outcomes, interrupted) = collect(jobs, concurrency, policy)?;
    let finished = now();
    let mut runs: Vec<TargetRun> = selected
        .into_iter()
        .zip(outcomes)
        .map(|(target, (_, outcome))| {
            let (outcome, findings) = match outcome {
                Outcome::Reached((evaluated, findings)) => (Outcome::Reached(evaluated), findings),
                Outcome::Unreached { reason } => {
                    let findings = unknown_everywhere(&target, &reason);
                    (Outcome::Unreached { reason }, findings)
                }
                Outcome::Interrupted => (
                    Outcome::Interrupted,
                    unknown_everywhere(
                        &target,
                        "the run was stopped before this target was audited",
                    ),
                ),
            };
            TargetRun {
                target,
                outcome,
                findings,
            }
        })
        .collect();

    // Sync's changes since the last run are recorded with the run, in its transaction.
    let (actions, mut changes) = match &imported {
        Some(imported) => {
            let current: Vec<super::sync::Current<'_>> = runs
                .iter()
                .map(|r| super::sync::Current {
                    target_id: &r.target.id,
                    reached: matches!(r.outcome, Outcome::Reached(_)),
                    findings: &r.findings,
                })
                .collect();
            let (actions, changes) =
                super::sync::plan_changes(&history, &audit, run.id, &current, imported, &finished)?;
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

    let folder = ws.audit_folder(&audit_name);
    let findings_path = if formats.json {
        Some(
            write_findings(&folder, &audit, &runs, &started, &finished, interrupted).map_err(
                |e| {
                    CliError::internal(format!(
                        "cannot write findings.json in {}: {e}",
                        folder.display()
                    ))
                },
            )?,
        )
    } else {
        None
    };
    summary(&runs);
    // What the exit code needs, then the findings go: the workbook is rendered from the
    // history one target at a time, and a large fleet's findings must not be held twice.
    let total = runs.len();
    let unreached = runs
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::Reached(_)))
        .count();
    let at_or_above = args.fail_on.map(|threshold| {
        runs.iter()
            .flat_map(|r| &r.findings)
            .filter(|f| matches!(f.status, Status::Fail | Status::Warn) && f.severity >= threshold)
            .count()
    });
    drop(runs);
    let mut rendered = None;
    if formats.xlsx {
        rendered = Some(
            render::prepare(&mut history, &audit, run.id)
                .and_then(|prepared| {
                    if let Some(changes) = &mut changes {
                        super::sync::log_unneeded_exceptions(
                            &mut history,
                            &audit,
                            run.id,
                            &prepared,
                            &finished,
                            changes,
                        )?;
                    }
                    render::write(&history, &audit, prepared, &workbook)
                })
                .map_err(|e| {
                let hint = format!(
                    "run {} is recorded in the history: `autodbaudit report` writes its workbook",
                    run.id
                );
                CliError {
                    hint: Some(hint),
                    ..e
                }
            })?,
        );
        ui::out(&format!("workbook: {}", workbook.display()));
    }
    if let Some(path) = findings_path {
        ui::out(&format!("findings: {}", path.display()));
    }
    ui::out(&format!(
        "history:  run {} in {}",
        run.id,
        ws.root().join(HISTORY_FILE).display()
    ));
    ui::out(&format!("run log:  {}", log.display()));
    if let (Some(imported), Some(changes)) = (&imported, &changes) {
        super::sync::stats_card(&history, &audit, imported, changes, rendered.as_ref())?;
    }

    if unreached > 0 {
        ui::error(
            &format!(
                "{unreached} of {total} target{} could not be audited{}",
                if total == 1 { "" } else { "s" },
                if interrupted {
                    " (the run was stopped)"
                } else {
                    ""
                }
            ),
            Some("the table above says why; their checks are UNKNOWN in findings.json"),
        );
        return Ok(Exit::Partial);
    }
    if let (Some(threshold), Some(worst)) = (args.fail_on, at_or_above)
        && worst > 0
    {
        ui::error(
            &format!(
                "{worst} finding{} at or above --fail-on {threshold}",
                if worst == 1 { "" } else { "s" }
            ),
            None,
        );
        return Ok(Exit::FindingsAtOrAbove);
    }
    Ok(Exit::Success)
}

/// The name of the audit `audit` records into: `--new NAME` starts that audit; otherwise the
/// latest audit continues, and the one `audit_config.jsonc` names is started when there is none.
/// A finalized audit, or a `--new` name already in use, is refused before anything is written.
fn choose_audit(
    history: &history::History,
    configured: &str,
    new: Option<&str>,
) -> Result<String, CliError> {
    let internal = |e: history::HistoryError| CliError::internal(e.to_string());
    if let Some(name) = new {
        if let Some((problem, fix)) = audit_config::validate::audit_name_problem(name) {
            return Err(CliError::usage(format!("--new `{name}`: {problem}")).hint(fix));
        }
        if let Some(existing) = history.find_audit(name).map_err(internal)? {
            // An audit whose first run never completed may be retried under its name.
            if history
                .latest_completed_run(existing.id)
                .map_err(internal)?
                .is_some()
            {
                return Err(CliError::usage(format!(
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
    let Some(latest) = history.latest_audit().map_err(internal)? else {
        return Ok(configured.to_owned());
    };
    if latest.status == history::AuditStatus::Finalized {
        return Err(CliError::usage(format!(
            "audit `{}` is finalized; its results can no longer change",
            latest.name
        ))
        .hint(
            "`autodbaudit audit --new NAME` starts the next audit; \
             `autodbaudit definalize` reopens this one",
        ));
    }
    if latest.name != configured {
        ui::note(&format!(
            "continuing the latest audit `{}`; audit_config.jsonc names `{configured}`, \
             which `autodbaudit audit --new {configured}` would start",
            latest.name
        ));
    }
    Ok(latest.name)
}

/// The enabled targets the options select, in config order.
fn select(targets: &[Target], args: &AuditArgs) -> Result<Vec<Target>, CliError> {
    for wanted in &args.targets {
        if !targets.iter().any(|t| t.id.eq_ignore_ascii_case(wanted)) {
            let known: Vec<&str> = targets.iter().map(|t| t.id.as_str()).collect();
            return Err(
                CliError::usage(format!("--targets: no target has the id `{wanted}`")).hint(
                    format!(
                        "the ids in config/sql_targets.jsonc are: {}",
                        known.join(", ")
                    ),
                ),
            );
        }
    }
    let selected: Vec<Target> = targets
        .iter()
        .filter(|t| t.enabled)
        .filter(|t| {
            args.targets.is_empty() || args.targets.iter().any(|w| w.eq_ignore_ascii_case(&t.id))
        })
        .filter(|t| args.tag.is_empty() || args.tag.iter().any(|tag| t.tags.contains(tag)))
        .cloned()
        .collect();
    if selected.is_empty() {
        return Err(CliError::usage(
            "no enabled target matches the selection; nothing was audited",
        )
        .hint("check --targets / --tag, or `enabled` in config/sql_targets.jsonc"));
    }
    Ok(selected)
}

/// A target's connection settings with its secret.
/// How to reach `target`: its endpoint and timeouts (audit and remediation connect alike).
pub fn job(target: &Target, password: String) -> Job {
    let login = target.username.clone().unwrap_or_default();
    let auth = match target.auth {
        AuthMode::Sql => Auth::Sql {
            user: login,
            password,
        },
        AuthMode::Windows => Auth::Windows {
            user: login,
            password,
        },
    };
    Job {
        id: target.id.clone(),
        endpoint: Endpoint {
            host: target.server.clone(),
            port: target.port.map(|p| p.get()),
            instance: target.instance.clone(),
            browser_port: None,
            auth,
            encryption: match target.encrypt {
                EncryptMode::Strict => Encryption::Strict,
                EncryptMode::On => Encryption::On,
                EncryptMode::Off => Encryption::Off,
            },
            trust_server_certificate: target.trust_server_certificate,
            connect_timeout: Duration::from_secs(u64::from(target.connect_timeout_s.max(1))),
        },
        query_timeout: Duration::from_secs(u64::from(target.query_timeout_s.max(1))),
    }
}

/// A reached target's version and findings.
type Collected = (Evaluated, Vec<Finding>);

/// Runs the fleet on a runtime, evaluating each snapshot as it arrives; Ctrl-C stops it and
/// keeps what was collected.
#[allow(clippy::type_complexity)]
fn collect(
    jobs: Vec<Job>,
    concurrency: usize,
    policy: Policy,
) -> Result<(Vec<(String, Outcome<Collected>)>, bool), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::internal(format!("cannot start the async runtime: {e}")))?;
    let total = jobs.len();
    runtime.block_on(async move {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let interrupted = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = Arc::clone(&interrupted);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                let _ = stop.send(true);
            }
        });
        let progress = progress(total);
        let evaluate = Arc::new(move |snapshot: audit_core::snapshot::Snapshot| {
            let findings = checks::evaluate(&snapshot, &policy);
            (
                Evaluated {
                    version: snapshot.server.version.to_string(),
                    snapshot_json: serde_json::to_string(&snapshot)
                        .expect("a snapshot always serializes"),
                },
                findings,
            )
        });
        let outcomes =
            fleet::collect_all(jobs, concurrency, stopped, progress.clone(), evaluate).await;
        progress(Event::Started(String::new()));
        Ok((
            outcomes,
            interrupted.load(std::sync::atomic::Ordering::SeqCst),
        ))
    })
}

/// Progress on the terminal: a bar with the targets in flight; plain lines otherwise.
fn progress(total: usize) -> Arc<dyn Fn(Event) + Send + Sync> {
    use std::io::IsTerminal as _;
    if std::io::stderr().is_terminal() && !ui::is_quiet() {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} targets  {elapsed}  {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let in_flight = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        Arc::new(move |event| {
            let mut flying = in_flight.lock().unwrap_or_else(|e| e.into_inner());
            match event {
                Event::Started(id) if id.is_empty() => bar.finish_and_clear(),
                Event::Started(id) => flying.push(id),
                Event::Finished { id, .. } => {
                    flying.retain(|f| *f != id);
                    bar.inc(1);
                }
            }
            let mut shown: Vec<&str> = flying.iter().take(4).map(String::as_str).collect();
            if flying.len() > 4 {
                shown.push("…");
            }
            bar.set_message(shown.join(", "));
        })
    } else {
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        Arc::new(move |event| {
            if let Event::Finished {
                id,
                reached,
                elapsed,
            } = event
            {
                let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                ui::note(&format!(
                    "[{n}/{total}] {id}: {} in {:.1} s",
                    if reached { "audited" } else { "not reached" },
                    elapsed.as_secs_f64()
                ));
            }
        })
    }
}

/// The policy: built-in defaults, with the config's thresholds.
fn policy(thresholds: &audit_config::model::Thresholds, now: &str) -> Policy {
    let mut policy = Policy::defaults(now);
    policy.minimum_major_version = u16::from(thresholds.minimum_major_version);
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
    policy
}

/// Every check UNKNOWN for a target that was not audited: never counted as pass or fixed.
fn unknown_everywhere(target: &Target, reason: &str) -> Vec<Finding> {
    checks::catalogue()
        .iter()
        .map(|check| Finding {
            check_id: check.id,
            status: Status::Unknown,
            severity: check.severity,
            entity_type: "instance".into(),
            entity: instance_label(target),
            entity_key: audit_core::entity_key("instance", &[]),
            message: format!("not evaluated: {reason}"),
            evidence: BTreeMap::from([("reason".to_owned(), reason.to_owned())]),
            remediation_category: RemediationCategory::None,
            fix: None,
        })
        .collect()
}

fn instance_label(target: &Target) -> String {
    match &target.instance {
        Some(i) => format!("{}\\{i}", target.server),
        None => target.server.clone(),
    }
}

/// `YYYY-MM-DD hh:mm:ss` in UTC.
/// The outputs `--format` asks for.
struct Formats {
    xlsx: bool,
    json: bool,
}

impl Formats {
    fn parse(names: &[String]) -> Result<Formats, CliError> {
        let mut formats = Formats {
            xlsx: false,
            json: false,
        };
        for name in names {
            match name.trim().to_lowercase().as_str() {
                "xlsx" => formats.xlsx = true,
                "json" => formats.json = true,
                other => {
                    return Err(
                        CliError::usage(format!("--format: unknown output `{other}`"))
                            .hint("use xlsx, json or both: --format xlsx,json"),
                    );
                }
            }
        }
        Ok(formats)
    }
}

/// Records the run's targets, facts and findings in one transaction. The findings move into
/// the history call and back, so a fleet's findings are never held twice.
fn record(
    history: &mut history::History,
    run_id: i64,
    finished: &str,
    runs: &mut [TargetRun],
    interrupted: bool,
    actions: &[history::NewAction],
) -> Result<(), CliError> {
    let targets: Vec<history::TargetRecord> = runs
        .iter_mut()
        .map(|r| {
            let (reached, reason, version, snapshot_json) = match &mut r.outcome {
                Outcome::Reached(e) => (
                    true,
                    None,
                    Some(e.version.clone()),
                    Some(std::mem::take(&mut e.snapshot_json)),
                ),
                Outcome::Unreached { reason } => (false, Some(reason.clone()), None, None),
                Outcome::Interrupted => (false, Some("interrupted".to_owned()), None, None),
            };
            history::TargetRecord {
                target_id: r.target.id.clone(),
                server: r.target.server.clone(),
                instance: r.target.instance.clone(),
                port: r.target.port.map(|p| p.get()),
                reached,
                reason,
                version,
                snapshot_json,
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
    result.map_err(|e| CliError::internal(format!("cannot record the run in the history: {e}")))?;
    Ok(())
}

/// `AutoDBAudit x.y.z`, as the history and the workbook record it.
fn tool_version() -> String {
    format!("AutoDBAudit {}", env!("CARGO_PKG_VERSION"))
}

/// The current UTC time as the history and the workbook show it.
pub fn now() -> String {
    let now = time::OffsetDateTime::now_utc();
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    now.format(&format).unwrap_or_default()
}

fn check_title(id: CheckId) -> &'static str {
    checks::catalogue()
        .iter()
        .find(|c| c.id == id)
        .map_or("", |c| c.title)
}

/// The references of a check (none for an id the catalogue does not know).
fn check_references(id: CheckId) -> checks::References {
    checks::check(id).map_or(checks::References::NONE, |c| c.references)
}

/// `findings.json`, written straight from the findings (no intermediate document, so memory
/// stays bounded by the findings themselves).
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
    references: checks::References,
    remediation_category: RemediationCategory,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<&'a audit_core::Fix>,
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
                })?;
            }
        }
        seq.end()
    }
}

/// Writes `findings.json` atomically (a temporary file renamed over the old one).
fn write_findings(
    folder: &Path,
    audit: &history::AuditRecord,
    runs: &[TargetRun],
    started: &str,
    finished: &str,
    interrupted: bool,
) -> std::io::Result<PathBuf> {
    use std::io::Write as _;
    std::fs::create_dir_all(folder)?;
    let targets = runs
        .iter()
        .map(|r| {
            let (reached, reason, version) = match &r.outcome {
                Outcome::Reached(e) => (true, None, Some(e.version.as_str())),
                Outcome::Unreached { reason } => (false, Some(reason.as_str()), None),
                Outcome::Interrupted => (false, Some("interrupted"), None),
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
        audit: &audit.name,
        organization: &audit.organization,
        run: RunInfo {
            started,
            finished,
            complete: !interrupted,
        },
        targets,
        findings: FindingRecords(runs),
    };
    let path = folder.join("findings.json");
    let temporary = folder.join(".findings.json.tmp");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&temporary)?);
    serde_json::to_writer_pretty(&mut out, &document)?;
    out.flush()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&temporary, &path)?;
    Ok(path)
}

/// The summary: per target, counts by status; per check, counts by status.
fn summary(runs: &[TargetRun]) {
    let statuses = Status::ALL;
    let mut rows = vec![{
        let mut head = vec!["TARGET".to_owned(), "REACHED".to_owned()];
        head.extend(statuses.iter().map(|s| s.as_str().to_owned()));
        head
    }];
    for r in runs {
        let mut row = vec![
            r.target.id.clone(),
            match &r.outcome {
                Outcome::Reached(_) => "yes".to_owned(),
                Outcome::Unreached { .. } => "no (below)".to_owned(),
                Outcome::Interrupted => "no: stopped".to_owned(),
            },
        ];
        row.extend(statuses.iter().map(|s| {
            r.findings
                .iter()
                .filter(|f| f.status == *s)
                .count()
                .to_string()
        }));
        rows.push(row);
    }
    print_table(&rows);
    for r in runs {
        if let Outcome::Unreached { reason } = &r.outcome {
            ui::out(&format!("  {}: {reason}", r.target.id));
        }
    }
    ui::out("");
    let mut rows = vec![{
        let mut head = vec!["CHECK".to_owned(), "TITLE".to_owned()];
        head.extend(statuses.iter().map(|s| s.as_str().to_owned()));
        head
    }];
    for check in checks::catalogue() {
        let mut row = vec![check.id.to_string(), check.title.to_owned()];
        row.extend(statuses.iter().map(|s| {
            runs.iter()
                .flat_map(|r| &r.findings)
                .filter(|f| f.check_id == check.id && f.status == *s)
                .count()
                .to_string()
        }));
        rows.push(row);
    }
    print_table(&rows);
}

fn print_table(rows: &[Vec<String>]) {
    let fixed: Vec<[String; 8]> = rows
        .iter()
        .map(|r| std::array::from_fn(|i| r.get(i).cloned().unwrap_or_default()))
        .collect();
    ui::table(&fixed, "");
}
