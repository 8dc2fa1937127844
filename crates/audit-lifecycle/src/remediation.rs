//! The remediation behind `remediate generate | apply | rollback`: scripts per instance from
//! the latest completed run of the latest audit, in `output/<audit>/remediation/<target>/`
//! (the scripts they replace kept in `remediation/_archive/<time>/<target>/`), read back and
//! checked before anything runs, then run on every server at once with each server's batch
//! outcomes recorded in the history as soon as that server is done.
//!
//! Generating is [`generate`]. Applying is two steps, so that the caller can list what would
//! run (`--dry-run`) or attach its run log in between: [`load`] reads and validates every
//! script, [`Loaded::apply`] runs them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use audit_config::Config;
use audit_config::model::Target;
use history::{AuditRecord, History};
use remediate::apply::{Outcome, ServerJob, ServerResult};
use remediate::script::{self, Batch};
use remediate::{Category, Header, Input, Item, Level, secrets};

use crate::workspace::{self, Workspace};
use crate::{Error, Observer, exceptions, render, targets};

/// The fix script's file name in a target's folder.
pub const FIX_FILE: &str = "fix.sql";
/// The rollback script's file name.
pub const ROLLBACK_FILE: &str = "rollback.sql";
/// Where a new generation moves the scripts it replaces: `remediation/_archive/<time>/<target>/`.
/// Target ids start with a letter or digit, so it cannot be a target's folder.
const ARCHIVE_DIR: &str = "_archive";

fn internal(e: impl std::fmt::Display) -> Error {
    Error::internal(e.to_string())
}

/// `output/<audit>/remediation/`, once the audit's name (read from the history, which an older
/// version or a hand edit may have filled) is checked to name files safely: every path the
/// remediation commands write or read goes through here, so none can skip the check.
fn remediation_folder(ws: &Workspace, audit: &str) -> Result<PathBuf, Error> {
    ws.check_audit_name(audit)?;
    Ok(ws.audit_folder(audit).join("remediation"))
}

/// Checks that every id of `wanted` is one of `known` (case-insensitive); a usage error naming
/// the first that is not, with the ids known `what` (`in run 3`, `has scripts in …`).
fn check_targets<'a>(
    wanted: &[String],
    known: impl Iterator<Item = &'a str> + Clone,
    what: &str,
) -> Result<(), Error> {
    for w in wanted {
        if !known.clone().any(|k| k.eq_ignore_ascii_case(w)) {
            let list: Vec<&str> = known.clone().collect();
            return Err(
                Error::usage(format!("--targets: no target `{w}` {what}")).hint(format!(
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

/// Whether `id` is selected by `wanted` (none: every target).
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

/// Writes `contents` to `path` through a fresh temporary file created exclusively in the same
/// folder, then renamed over it: never a predictable name a planted link could redirect.
fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut file = crate::files::temporary_beside(path)?;
    file.write_all(contents.as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// One target's scripts as generated: how many of its items went where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedTarget {
    /// The target's id (its folder's name).
    pub target_id: String,
    /// Fixes live at the level asked for.
    pub live: usize,
    /// Fixes written commented out (above the level).
    pub commented: usize,
    /// Fixes held back (lockout protection, a documented exception).
    pub held: usize,
    /// Findings with no scripted fix, described for a person to act on.
    pub manual: usize,
    /// Generated secrets the fix script uses.
    pub secrets: usize,
}

/// What `remediate generate` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// `output/<audit>/remediation/`.
    pub folder: PathBuf,
    /// Each target given scripts, in run order.
    pub targets: Vec<GeneratedTarget>,
}

/// Generates the fix and rollback scripts at `level` for the targets `wanted` (none: every
/// target) of the latest completed run of the latest audit in the workspace at `root`, each
/// documented exception held back. The scripts a target had are first copied to the archive;
/// its generated secrets stay and are reused. Targets not reached in that run get no script;
/// that, and each archive kept, goes to `observer` as a note. An id `wanted` that the run does
/// not hold is a usage error, before anything is written.
pub fn generate(
    root: &Path,
    level: Level,
    wanted: &[String],
    observer: &mut dyn Observer,
) -> Result<Generated, Error> {
    let (ws, history, audit, run) = workspace::open_latest(root)?;
    let folder = remediation_folder(&ws, &audit.name)?;
    let records = history.run_targets(run.id)?;
    check_targets(
        wanted,
        records.iter().map(|t| t.target_id.as_str()),
        &format!("in run {}", run.id),
    )?;
    let annotations = history.annotations(audit.id)?;
    let baselines = crate::standings::Baselines::load(&history)?;
    let generated = crate::now();
    // `20261127T043000`: names the archive folder of the scripts this generation replaces.
    let stamp = generated.replace(['-', ':'], "").replace(' ', "T");
    let mut written = Vec::new();
    for record in records {
        if !selected(wanted, &record.target_id) {
            continue;
        }
        if !record.reached {
            observer.note(&format!(
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
                // A result matching its approved baseline is held like a documented exception.
                exception: excepted
                    .get(&(f.check_id, f.entity_key.clone()))
                    .cloned()
                    .or_else(|| baselines.held(&target.target_id, f)),
            })
            .collect();
        let items = remediate::plan::plan_target(&target.target_id, snapshot, &inputs);
        let header = Header {
            target_id: target.target_id.clone(),
            server: target.server.clone(),
            instance: target.instance_label().to_owned(),
            audit: audit.name.clone(),
            run: run.id,
            level: level.get(),
            generated: generated.clone(),
            tool: crate::tool_version(),
        };
        let scripts = remediate::render(&header, &items, level).map_err(internal)?;
        let dir = folder.join(&target.target_id);
        let io = |e: std::io::Error| {
            Error::internal(format!(
                "cannot write the scripts in {}: {e}",
                dir.display()
            ))
        };
        // Generated secrets stay in place (generating again keeps them); only scripts move.
        if let Some(kept) = archive_previous(&folder, &target.target_id, &stamp).map_err(io)? {
            observer.note(&format!(
                "{}: the scripts generated before are kept in {}",
                target.target_id,
                kept.display()
            ));
        }
        std::fs::create_dir_all(&dir).map_err(io)?;
        write_atomically(&dir.join(FIX_FILE), &scripts.fix).map_err(io)?;
        write_atomically(&dir.join(ROLLBACK_FILE), &scripts.rollback).map_err(io)?;
        let secrets_path = secrets::file_in(&dir);
        let mut held = secrets::read(&secrets_path).map_err(|e| Error::usage(e.to_string()))?;
        held.prepare(&target.target_id, &scripts.secrets)
            .map_err(|e| internal(format!("the system gave no random numbers: {e}")))?;
        if !held.is_empty() {
            secrets::write(&secrets_path, &held).map_err(|e| Error::usage(e.to_string()))?;
        }
        let count = |f: &dyn Fn(&Item) -> bool| items.iter().filter(|i| f(i)).count();
        written.push(GeneratedTarget {
            target_id: target.target_id.clone(),
            live: count(&|i| i.is_live(level)),
            commented: count(&|i| {
                i.hold.is_none() && !i.is_live(level) && i.category != Category::Info
            }),
            held: count(&|i| i.hold.is_some()),
            manual: count(&|i| i.category == Category::Info),
            secrets: scripts.secrets.len(),
        });
        tracing::info!(target = %target.target_id, items = items.len(), "remediation scripts written");
    }
    Ok(Generated {
        folder,
        targets: written,
    })
}

/// Which script a run executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// `fix.sql`: `remediate apply`.
    Fix,
    /// `rollback.sql`: `remediate rollback`.
    Rollback,
}

impl Script {
    /// The script's file name in a target's folder.
    pub fn file_name(self) -> &'static str {
        match self {
            Script::Fix => FIX_FILE,
            Script::Rollback => ROLLBACK_FILE,
        }
    }

    /// The remediation run's kind as the history stores it and the command is named: `apply`,
    /// `rollback`.
    pub fn kind(self) -> &'static str {
        match self {
            Script::Fix => "apply",
            Script::Rollback => "rollback",
        }
    }
}

/// One server's script, read and checked.
#[derive(Debug)]
pub struct ServerScript {
    /// The target's id (its folder's name).
    pub target_id: String,
    /// The script file.
    pub path: PathBuf,
    /// Its batches, in order; every executable one validated.
    pub batches: Vec<Batch>,
    /// The generated secrets its placeholders stand for.
    pub secrets: secrets::Secrets,
}

/// Every selected server's script, read and checked, with the workspace still locked: what
/// [`Loaded::apply`] runs.
pub struct Loaded {
    _ws: Workspace,
    history: History,
    audit: AuditRecord,
    folder: PathBuf,
    script: Script,
    /// The scripts, in target id order.
    pub servers: Vec<ServerScript>,
}

/// Reads the `script` of every target `wanted` (none: every target with one) from the latest
/// audit's remediation folder of the workspace at `root`, and checks every executable batch,
/// all before anything runs anywhere. No scripts at all, an id `wanted` that has none, or a
/// script that cannot be read or does not validate is a usage error; the workspace stays
/// locked while the result lives.
pub fn load(root: &Path, script: Script, wanted: &[String]) -> Result<Loaded, Error> {
    let ws = Workspace::lock(root)?;
    let history = ws.history()?;
    let audit = workspace::latest_audit(&history)?;
    let folder = remediation_folder(&ws, &audit.name)?;
    let file = script.file_name();
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
            Error::usage(format!("no remediation scripts in {}", folder.display()))
                .hint("run `autodbaudit remediate generate` first"),
        );
    }
    check_targets(
        wanted,
        found.iter().map(String::as_str),
        &format!("has scripts in {}", folder.display()),
    )?;

    let mut servers = Vec::new();
    for target_id in found.into_iter().filter(|id| selected(wanted, id)) {
        let dir = folder.join(&target_id);
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
        let secrets =
            secrets::read(&secrets::file_in(&dir)).map_err(|e| Error::usage(e.to_string()))?;
        let batches = script::split(&text);
        let names: BTreeSet<String> = secrets.names();
        for b in batches.iter().filter(|b| b.is_executable()) {
            script::validate(b, &names).map_err(|e| {
                Error::usage(format!("{}:{}", path.display(), e)).hint(
                    "correct the script, or generate it again with `autodbaudit remediate generate`",
                )
            })?;
        }
        servers.push(ServerScript {
            target_id,
            path,
            batches,
            secrets,
        });
    }
    Ok(Loaded {
        _ws: ws,
        history,
        audit,
        folder,
        script,
        servers,
    })
}

/// One server's outcome, counted: what the progress lines and the summary show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTally {
    /// The target's id.
    pub target_id: String,
    /// Why it could not be reached, if it could not.
    pub unreached: Option<String>,
    /// Batches that ran and changed the server.
    pub changed: usize,
    /// Batches with nothing to do.
    pub skipped: usize,
    /// Batches the server refused.
    pub errors: usize,
    /// Batches not attempted.
    pub not_run: usize,
    /// Why it could not be reached, else the first refused batch (`batch N: message`).
    pub first_problem: Option<String>,
}

impl ServerTally {
    fn of(r: &ServerResult) -> ServerTally {
        let count = |kind: &str| {
            r.batches
                .iter()
                .filter(|b| b.outcome.as_str() == kind)
                .count()
        };
        ServerTally {
            target_id: r.target_id.clone(),
            unreached: r.unreached.clone(),
            changed: count("ok"),
            skipped: count("skipped"),
            errors: count("error"),
            not_run: count("not_run"),
            first_problem: r.unreached.clone().or_else(|| {
                r.batches.iter().find_map(|b| match &b.outcome {
                    Outcome::Error(m) => Some(format!("batch {}: {m}", b.number)),
                    _ => None,
                })
            }),
        }
    }

    /// Reached, and no batch failed or was left unrun.
    pub fn completed(&self) -> bool {
        self.unreached.is_none() && self.errors == 0 && self.not_run == 0
    }
}

/// What `remediate apply` or `rollback` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The remediation run's id in the history.
    pub run_id: i64,
    /// Every server's outcome, in target id order.
    pub servers: Vec<ServerTally>,
}

impl Applied {
    /// The servers that did not complete ([`ServerTally::completed`]).
    pub fn incomplete(&self) -> Vec<&str> {
        self.servers
            .iter()
            .filter(|s| !s.completed())
            .map(|s| s.target_id.as_str())
            .collect()
    }
}

impl Loaded {
    /// Which script was loaded.
    pub fn script(&self) -> Script {
        self.script
    }

    /// Runs every loaded script on its server as `config` describes it (`password` gives its
    /// secret), `concurrency` servers at once (none: the configuration's), batches in order.
    /// `finished` sees each server as soon as it is done, and its batch outcomes are recorded
    /// in the history then, so a run stopped half-way keeps what it did. A script for a target
    /// the configuration no longer lists is a usage error, before anything runs; a history
    /// that cannot record an outcome is an internal error once every server is done.
    pub fn apply(
        mut self,
        config: &Config,
        concurrency: Option<u32>,
        password: &dyn Fn(&Target) -> Result<String, Error>,
        finished: &mut dyn FnMut(&ServerTally),
    ) -> Result<Applied, Error> {
        let mut jobs = Vec::with_capacity(self.servers.len());
        for l in self.servers {
            let Some(target) = config
                .targets
                .targets
                .iter()
                .find(|t| t.id.eq_ignore_ascii_case(&l.target_id))
            else {
                return Err(Error::usage(format!(
                    "{} has scripts for target `{}`, which sql_targets.jsonc no longer lists",
                    self.folder.display(),
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
        let concurrency = concurrency.unwrap_or(config.audit.concurrency).max(1) as usize;
        let rollback = self.script == Script::Rollback;
        // Which generated secrets each server's batches send, to record those sent as in force.
        let sends: std::collections::HashMap<String, (PathBuf, Vec<SecretsSent>)> = if rollback {
            Default::default()
        } else {
            jobs.iter()
                .map(|j| {
                    let uses = j
                        .batches
                        .iter()
                        .filter(|b| b.is_executable())
                        .map(|b| (b.number, b.variables()))
                        .filter(|(_, v)| !v.is_empty())
                        .collect();
                    (
                        j.target_id.clone(),
                        (secrets::file_in(&self.folder.join(&j.target_id)), uses),
                    )
                })
                .collect()
        };
        let id = self.history.begin_remediation(
            self.audit.id,
            self.script.kind(),
            &crate::now(),
            &crate::tool_version(),
        )?;
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
        let history = &mut self.history;
        let mut record_error = None;
        let mut secrets_error = None;
        let results = runtime.block_on(remediate::apply::run_all(jobs, concurrency, |r| {
            finished(&ServerTally::of(r));
            if record_error.is_none()
                && let Err(e) = history.record_remediation_server(id, &crate::now(), &outcomes(r))
            {
                record_error = Some(e);
            }
            if let Some((path, uses)) = sends.get(&r.target_id)
                && let Err(e) = record_in_force(path, uses, r)
                && secrets_error.is_none()
            {
                secrets_error = Some(e);
            }
        }));
        if let Some(e) = record_error {
            return Err(internal(format!(
                "the scripts ran, but their outcomes could not all be recorded in the history: {e}"
            )));
        }
        if let Some(e) = secrets_error {
            return Err(internal(format!(
                "the scripts ran, but the secrets file could not record which passwords are now in force: {e}"
            ))
            .hint("keep the secrets file: every password in it is still there"));
        }
        self.history.finish_remediation(id, &crate::now())?;
        Ok(Applied {
            run_id: id,
            servers: results.iter().map(ServerTally::of).collect(),
        })
    }
}

/// A batch's number and the generated secrets it sends.
type SecretsSent = (usize, BTreeSet<String>);

/// Marks in the secrets file at `path` the secrets of every batch of `r` that was sent (it
/// changed the server or failed part-way: either way its password may now be in force).
fn record_in_force(
    path: &Path,
    uses: &[SecretsSent],
    r: &ServerResult,
) -> Result<(), secrets::SecretsError> {
    let sent: BTreeSet<&str> = r
        .batches
        .iter()
        .filter(|b| matches!(b.outcome, Outcome::Ok | Outcome::Error(_)))
        .filter_map(|b| uses.iter().find(|(n, _)| *n == b.number))
        .flat_map(|(_, names)| names.iter().map(String::as_str))
        .collect();
    if sent.is_empty() {
        return Ok(());
    }
    let mut held = secrets::read(path)?;
    if held.mark_in_force(sent) {
        secrets::write(path, &held)?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_target_names_the_known_ones() {
        let known = ["a1", "b2"];
        let e = check_targets(&["B2".to_owned()], known.iter().copied(), "in run 3");
        assert!(e.is_ok());
        let e = check_targets(&["c3".to_owned()], known.iter().copied(), "in run 3")
            .err()
            .unwrap();
        assert_eq!(e.kind, crate::ErrorKind::Usage);
        assert_eq!(e.message, "--targets: no target `c3` in run 3");
        assert_eq!(e.hint.as_deref(), Some("known here: a1, b2"));
        let e = check_targets(&["c3".to_owned()], [].into_iter(), "x")
            .err()
            .unwrap();
        assert_eq!(e.hint.as_deref(), Some("known here: none"));
    }

    #[test]
    fn replaced_scripts_are_archived_once_per_generation() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path();
        assert_eq!(
            archive_previous(folder, "t1", "20260101T000000").unwrap(),
            None
        );
        std::fs::create_dir_all(folder.join("t1")).unwrap();
        std::fs::write(folder.join("t1").join(FIX_FILE), "fix").unwrap();
        std::fs::write(folder.join("t1").join(ROLLBACK_FILE), "back").unwrap();
        let first = archive_previous(folder, "t1", "20260101T000000")
            .unwrap()
            .unwrap();
        assert_eq!(first, folder.join("_archive/20260101T000000/t1"));
        assert_eq!(
            std::fs::read_to_string(first.join(ROLLBACK_FILE)).unwrap(),
            "back"
        );
        let second = archive_previous(folder, "t1", "20260101T000000")
            .unwrap()
            .unwrap();
        assert_eq!(second, folder.join("_archive/20260101T000000-2/t1"));
    }

    #[test]
    fn without_scripts_apply_says_to_generate() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::lock(dir.path()).unwrap();
        let mut history = ws.history().unwrap();
        history
            .open_audit("2026-H2", "Example Org", &crate::now())
            .unwrap();
        drop((history, ws));
        let e = load(dir.path(), Script::Fix, &[]).err().unwrap();
        assert_eq!(e.kind, crate::ErrorKind::Usage);
        assert!(e.message.starts_with("no remediation scripts in "));
        assert_eq!(
            e.hint.as_deref(),
            Some("run `autodbaudit remediate generate` first")
        );
    }
}
