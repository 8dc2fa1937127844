//! `autodbaudit remediate generate | apply | rollback`: scripts per instance from the latest
//! completed run of the latest audit, in `output/<audit>/remediation/<target>/`, and their
//! execution with every batch's outcome in the history.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use remediate::apply::{Outcome, ServerJob, ServerResult};
use remediate::script::{self, Batch};
use remediate::{Header, Input, Level, secrets};

use audit_lifecycle::workspace::{self, Workspace};
use audit_lifecycle::{exceptions, now, render, targets};

use crate::cli::{ApplyArgs, GenerateArgs};
use crate::exit::{CliError, CmdResult, Exit};
use crate::{console, logging, ui};

fn internal(e: impl std::fmt::Display) -> CliError {
    CliError::internal(e.to_string())
}

/// The fix script's file name in a target's folder.
pub const FIX_FILE: &str = "fix.sql";
/// The rollback script's file name.
pub const ROLLBACK_FILE: &str = "rollback.sql";
/// Where a new generation moves the scripts it replaces: `remediation/_archive/<time>/<target>/`.
/// Target ids start with a letter or digit, so it cannot be a target's folder.
const ARCHIVE_DIR: &str = "_archive";

fn remediation_folder(ws: &Workspace, audit: &str) -> PathBuf {
    ws.audit_folder(audit).join("remediation")
}

/// Checks that every id of `wanted` is one of `known` (case-insensitive).
fn check_targets<'a>(
    wanted: &[String],
    known: impl Iterator<Item = &'a str> + Clone,
    what: &str,
) -> Result<(), CliError> {
    for w in wanted {
        if !known.clone().any(|k| k.eq_ignore_ascii_case(w)) {
            let list: Vec<&str> = known.clone().collect();
            return Err(
                CliError::usage(format!("--targets: no target `{w}` {what}")).hint(format!(
                    "known here: {}",
                    if list.is_empty() {
                        "none".to_owned()
                    } else {
                        list.join(", ")
                    }
                )),
            );
        }
    }
    Ok(())
}

fn selected(wanted: &[String], id: &str) -> bool {
    wanted.is_empty() || wanted.iter().any(|w| w.eq_ignore_ascii_case(id))
}

/// Keeps the scripts a new generation is about to replace (their rollback may be the only
/// record of the state before an apply) in `remediation/_archive/<stamp>/<target>/`; returns
/// that folder, or none when there was nothing to keep.
fn archive_previous(
    folder: &Path,
    target_id: &str,
    stamp: &str,
) -> std::io::Result<Option<PathBuf>> {
    let current = folder.join(target_id);
    if !current.join(FIX_FILE).is_file() {
        return Ok(None);
    }
    let mut kept = folder.join(ARCHIVE_DIR).join(stamp).join(target_id);
    let mut n = 1;
    while kept.exists() {
        n += 1;
        kept = folder
            .join(ARCHIVE_DIR)
            .join(format!("{stamp}-{n}"))
            .join(target_id);
    }
    std::fs::create_dir_all(&kept)?;
    for file in [FIX_FILE, ROLLBACK_FILE] {
        if current.join(file).is_file() {
            std::fs::copy(current.join(file), kept.join(file))?;
        }
    }
    Ok(Some(kept))
}

/// Writes `contents` to `path` through a temporary file.
fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, contents)?;
    std::fs::rename(&temporary, path)
}

/// `remediate generate`.
pub fn generate(workspace: &Path, args: &GenerateArgs) -> CmdResult {
    let level = Level::new(args.level)
        .ok_or_else(|| CliError::usage(format!("--level {}: expected 1, 2 or 3", args.level)))?;
    let (ws, history, audit, run) = workspace::open_latest(workspace)?;
    let records = history.run_targets(run.id).map_err(internal)?;
    check_targets(
        &args.targets,
        records.iter().map(|t| t.target_id.as_str()),
        &format!("in run {}", run.id),
    )?;
    let annotations = history.annotations(audit.id).map_err(internal)?;
    let folder = remediation_folder(&ws, &audit.name);
    let generated = now();
    // `20261127T043000`: names the archive folder of the scripts this generation replaces.
    let stamp = generated.replace(['-', ':'], "").replace(' ', "T");
    let mut table = vec![[
        "target".to_owned(),
        "live".to_owned(),
        "commented".to_owned(),
        "held".to_owned(),
        "manual".to_owned(),
        "secrets".to_owned(),
    ]];
    for record in records {
        if !selected(&args.targets, &record.target_id) {
            continue;
        }
        if !record.reached {
            ui::note(&format!(
                "{}: not reached in run {} ({}); no script",
                record.target_id,
                run.id,
                record.reason.as_deref().unwrap_or("unknown reason")
            ));
            continue;
        }
        let target = render::target_result(&history, run.id, record)?;
        let Some(snapshot) = &target.snapshot else {
            continue;
        };
        // The documented exceptions: each finding's row, and that row's annotation.
        let layout = report::lay_out(std::slice::from_ref(&target));
        let excepted = exceptions::by_finding(&layout, &annotations);
        let inputs: Vec<Input<'_>> = target
            .findings
            .iter()
            .map(|f| Input {
                finding: f,
                exception: excepted.get(&(f.check_id, f.entity_key.clone())).cloned(),
            })
            .collect();
        let items = remediate::plan(snapshot, &inputs);
        let header = Header {
            target_id: target.target_id.clone(),
            server: target.server.clone(),
            instance: target.instance_label().to_owned(),
            audit: audit.name.clone(),
            run: run.id,
            level: level.get(),
            generated: generated.clone(),
            tool: audit_lifecycle::tool_version(),
        };
        let scripts = remediate::render(&header, &items, level).map_err(internal)?;
        let dir = folder.join(&target.target_id);
        let io = |e: std::io::Error| {
            CliError::internal(format!(
                "cannot write the scripts in {}: {e}",
                dir.display()
            ))
        };
        // Generated secrets stay in place (generating again keeps them); only scripts move.
        if let Some(kept) = archive_previous(&folder, &target.target_id, &stamp).map_err(io)? {
            ui::note(&format!(
                "{}: the scripts generated before are kept in {}",
                target.target_id,
                kept.display()
            ));
        }
        std::fs::create_dir_all(&dir).map_err(io)?;
        write_atomically(&dir.join(FIX_FILE), &scripts.fix).map_err(io)?;
        write_atomically(&dir.join(ROLLBACK_FILE), &scripts.rollback).map_err(io)?;
        let secrets_path = secrets::file_in(&dir);
        let mut held = secrets::read(&secrets_path).map_err(|e| CliError::usage(e.to_string()))?;
        held.ensure(&scripts.secrets)
            .map_err(|e| internal(format!("the system gave no random numbers: {e}")))?;
        if !held.is_empty() {
            secrets::write(&secrets_path, &held).map_err(|e| CliError::usage(e.to_string()))?;
        }
        let count = |f: &dyn Fn(&remediate::Item) -> bool| items.iter().filter(|i| f(i)).count();
        table.push([
            target.target_id.clone(),
            count(&|i| i.is_live(level)).to_string(),
            count(&|i| {
                i.hold.is_none() && !i.is_live(level) && i.category != remediate::Category::Info
            })
            .to_string(),
            count(&|i| i.hold.is_some()).to_string(),
            count(&|i| i.category == remediate::Category::Info).to_string(),
            scripts.secrets.len().to_string(),
        ]);
        tracing::info!(target = %target.target_id, items = items.len(), "remediation scripts written");
    }
    ui::table(&table, "  ");
    ui::out(&format!(
        "scripts (level {}: {}): {}",
        level.get(),
        level.describe(),
        folder.display()
    ));
    ui::out(
        "review them, then `autodbaudit remediate apply --dry-run` and `autodbaudit remediate apply`",
    );
    Ok(Exit::Success)
}

/// One server's script, read and checked.
struct Loaded {
    target_id: String,
    path: PathBuf,
    batches: Vec<Batch>,
    secrets: secrets::Secrets,
}

/// `remediate apply` (`rollback` false) and `remediate rollback`.
pub fn apply(workspace: &Path, args: &ApplyArgs, rollback: bool) -> CmdResult {
    let (config, _) = console::load_config(workspace)?;
    let ws = Workspace::lock(workspace)?;
    let mut history = ws.history()?;
    let audit = workspace::latest_audit(&history)?;
    let folder = remediation_folder(&ws, &audit.name);
    let file = if rollback { ROLLBACK_FILE } else { FIX_FILE };
    let mut found: Vec<String> = std::fs::read_dir(&folder)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().join(file).is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    if found.is_empty() {
        return Err(
            CliError::usage(format!("no remediation scripts in {}", folder.display()))
                .hint("run `autodbaudit remediate generate` first"),
        );
    }
    check_targets(
        &args.targets,
        found.iter().map(String::as_str),
        &format!("has scripts in {}", folder.display()),
    )?;

    // Every script is read and checked before anything runs anywhere.
    let mut loaded = Vec::new();
    for target_id in found.into_iter().filter(|id| selected(&args.targets, id)) {
        let dir = folder.join(&target_id);
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
        let secrets =
            secrets::read(&secrets::file_in(&dir)).map_err(|e| CliError::usage(e.to_string()))?;
        let batches = script::split(&text);
        let names: BTreeSet<String> = secrets.names();
        for b in batches.iter().filter(|b| b.is_executable()) {
            script::validate(b, &names).map_err(|e| {
                CliError::usage(format!("{}:{}", path.display(), e)).hint(
                    "correct the script, or generate it again with `autodbaudit remediate generate`",
                )
            })?;
        }
        loaded.push(Loaded {
            target_id,
            path,
            batches,
            secrets,
        });
    }

    if args.dry_run {
        for l in &loaded {
            ui::out(&format!(
                "{} ({})",
                ui::bold(&l.target_id),
                l.path.display()
            ));
            for b in &l.batches {
                if b.section == 0 && !b.is_executable() {
                    continue;
                }
                let about = b
                    .title
                    .clone()
                    .or_else(|| b.check.clone())
                    .unwrap_or_else(|| format!("(no banner; line {})", b.line));
                if b.is_executable() {
                    ui::out(&format!("  [{:>3}] RUN  {about}", b.number));
                    ui::out(&format!(
                        "              {}",
                        l.secrets.redact(&b.first_statement())
                    ));
                } else {
                    ui::out(&format!("  [{:>3}] SKIP {about} ({})", b.number, b.state));
                }
            }
        }
        ui::out("dry run: every batch parsed and checked; nothing was sent to any server");
        return Ok(Exit::Success);
    }

    let log = logging::attach_run_log(workspace, if rollback { "rollback" } else { "remediate" })
        .map_err(|e| internal(format!("cannot write the run log: {e}")))?;
    let password = targets::configured_secret(workspace);
    let mut jobs = Vec::with_capacity(loaded.len());
    for l in loaded {
        let Some(target) = config
            .targets
            .targets
            .iter()
            .find(|t| t.id.eq_ignore_ascii_case(&l.target_id))
        else {
            return Err(CliError::usage(format!(
                "{} has scripts for target `{}`, which sql_targets.jsonc no longer lists",
                folder.display(),
                l.target_id
            ))
            .hint("add the target back, or remove its folder of scripts"));
        };
        let job = targets::job(target, password(target)?);
        jobs.push(ServerJob {
            target_id: l.target_id,
            endpoint: job.endpoint,
            batch_timeout: job.query_timeout.max(Duration::from_secs(1)),
            batches: l.batches,
            secrets: l.secrets,
        });
    }
    let concurrency = args.concurrency.unwrap_or(config.audit.concurrency).max(1) as usize;
    let kind = if rollback { "rollback" } else { "apply" };
    let id = history
        .begin_remediation(audit.id, kind, &now(), &audit_lifecycle::tool_version())
        .map_err(internal)?;
    tracing::info!(
        run = id,
        servers = jobs.len(),
        concurrency,
        rollback,
        "remediation started"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| internal(format!("cannot start the async runtime: {e}")))?;
    // Each server is recorded as soon as it is done: a run killed half-way keeps what it did.
    let total = jobs.len();
    let mut done = 0;
    let mut record_error = None;
    let results = runtime.block_on(remediate::apply::run_all(jobs, concurrency, |r| {
        done += 1;
        ui::note(&format!(
            "[{done}/{total}] {}: {}",
            r.target_id,
            one_line(r)
        ));
        if record_error.is_none()
            && let Err(e) = history.record_remediation_server(id, &now(), &outcomes(r))
        {
            record_error = Some(e);
        }
    }));
    if let Some(e) = record_error {
        return Err(internal(format!(
            "the scripts ran, but their outcomes could not all be recorded in the history: {e}"
        )));
    }
    history.finish_remediation(id, &now()).map_err(internal)?;
    summary(&results);
    ui::out(&format!("history:  remediation run {id}"));
    ui::out(&format!("run log:  {}", log.display()));
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| {
            r.unreached.is_some()
                || r.batches
                    .iter()
                    .any(|b| matches!(b.outcome, Outcome::Error(_) | Outcome::NotRun(_)))
        })
        .map(|r| r.target_id.as_str())
        .collect();
    if !failed.is_empty() {
        ui::error(
            &format!(
                "{} of {} server(s) did not complete: {}",
                failed.len(),
                results.len(),
                failed.join(", ")
            ),
            Some(&format!(
                "fix the cause and run `autodbaudit remediate {kind}` again: each batch checks the state first, so what succeeded is not repeated"
            )),
        );
        return Ok(Exit::Partial);
    }
    ui::success(if rollback {
        "rollback complete; `autodbaudit sync` records the state as it now is"
    } else {
        "remediation complete; `autodbaudit sync` shows what is now fixed"
    });
    Ok(Exit::Success)
}

/// The history rows of one server's batches; failures also go to the run log.
fn outcomes(r: &ServerResult) -> Vec<history::BatchOutcome> {
    r.batches
        .iter()
        .map(|b| {
            if let Outcome::Error(message) = &b.outcome {
                tracing::warn!(target = %r.target_id, batch = b.number, %message, "batch failed");
            }
            history::BatchOutcome {
                target_id: r.target_id.clone(),
                batch: b.number as i64,
                check_id: b.check.clone(),
                outcome: b.outcome.as_str().to_owned(),
                message: b.outcome.message().map(str::to_owned),
            }
        })
        .collect()
}

/// A server's result in a few words, for the progress lines.
fn one_line(r: &ServerResult) -> String {
    if let Some(why) = &r.unreached {
        return format!("not reached ({why})");
    }
    format!(
        "{} changed, {} skipped, {} errors, {} not run",
        count(r, "ok"),
        count(r, "skipped"),
        count(r, "error"),
        count(r, "not_run")
    )
}

/// How many of a server's batches had the outcome `kind` (`ok`, `skipped`, …).
fn count(r: &ServerResult, kind: &str) -> usize {
    r.batches
        .iter()
        .filter(|b| b.outcome.as_str() == kind)
        .count()
}

/// One line per server: how many batches changed something, were skipped, failed, did not run.
fn summary(results: &[ServerResult]) {
    let mut rows = vec![[
        "target".to_owned(),
        "changed".to_owned(),
        "skipped".to_owned(),
        "errors".to_owned(),
        "not run".to_owned(),
        "first problem".to_owned(),
    ]];
    for r in results {
        let n = |kind: &str| count(r, kind).to_string();
        let problem = r.unreached.clone().or_else(|| {
            r.batches.iter().find_map(|b| match &b.outcome {
                Outcome::Error(m) => Some(format!("batch {}: {m}", b.number)),
                _ => None,
            })
        });
        rows.push([
            r.target_id.clone(),
            n("ok"),
            n("skipped"),
            n("error"),
            n("not_run"),
            problem
                .map(|p| p.chars().take(120).collect())
                .unwrap_or_default(),
        ]);
    }
    ui::table(&rows, "  ");
}
