//! Runs: one audit or sync, with the targets it saw, the facts it collected and its findings.
//! A run is begun (its own transaction) and completed (one transaction holding every target,
//! fact and finding, and the final status), so a crash in between leaves a `running` run with
//! nothing in it, which the next command marks failed.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use audit_core::{CheckId, Finding, RemediationCategory, Severity, Status};
use rusqlite::{OptionalExtension, Row, params};

use crate::{History, HistoryError, corrupt, sql, state};

/// What kind of run: the workbook and the action log tell audits and syncs apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    /// `audit`: collects from the servers.
    Audit,
    /// `sync`: re-collects and reads the auditors' edits back from the workbook.
    Sync,
}

impl RunKind {
    /// The stored name (`audit`, `sync`), as the schema's CHECK lists it.
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Audit => "audit",
            RunKind::Sync => "sync",
        }
    }

    fn parse(s: &str) -> Option<RunKind> {
        match s {
            "audit" => Some(RunKind::Audit),
            "sync" => Some(RunKind::Sync),
            _ => None,
        }
    }
}

/// How a run ended: only completed runs have results that can be rendered or compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Begun, not recorded yet (or its process died: see [`History::close_interrupted_runs`]).
    Running,
    /// Every target was audited.
    Completed,
    /// Some targets were not (or the run was stopped); their checks are UNKNOWN.
    CompletedWithErrors,
    /// Nothing was recorded.
    Failed,
}

impl RunStatus {
    /// The stored name (`running`, `completed`, `completed_with_errors`, `failed`), as the
    /// schema's CHECK lists it and messages show it.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::CompletedWithErrors => "completed_with_errors",
            RunStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<RunStatus> {
        Some(match s {
            "running" => RunStatus::Running,
            "completed" => RunStatus::Completed,
            "completed_with_errors" => RunStatus::CompletedWithErrors,
            "failed" => RunStatus::Failed,
            _ => return None,
        })
    }
}

/// A run as stored, for `report --run`, `status` and the workbook's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// Its number (increasing across audits).
    pub id: i64,
    /// Its audit.
    pub audit_id: i64,
    /// Audit or sync.
    pub kind: RunKind,
    /// How it ended.
    pub status: RunStatus,
    /// Start (UTC, `YYYY-MM-DD hh:mm:ss`).
    pub started_at: String,
    /// End; `None` while running.
    pub finished_at: Option<String>,
    /// `AutoDBAudit x.y.z`, so a result can be traced to the build that produced it.
    pub tool_version: String,
    /// Why it failed or was cut short.
    pub note: Option<String>,
    /// The selection that chose its checks (`all`, `stig, --skip-checks X01`); `None` for runs
    /// recorded before selections existed, which evaluated every check.
    pub selection: Option<String>,
}

/// One target of a run, with the facts collected from it: enough to re-render its sheets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRecord {
    /// Its id in the configuration.
    pub target_id: String,
    /// Host.
    pub server: String,
    /// Instance name (`None`: the default instance).
    pub instance: Option<String>,
    /// Port (`None`: the default or the browser's).
    pub port: Option<u16>,
    /// Whether it was audited.
    pub reached: bool,
    /// Why not.
    pub reason: Option<String>,
    /// Its SQL Server version.
    pub version: Option<String>,
    /// The collected facts (JSON of `audit_core::snapshot::Snapshot`), stored as text so that a
    /// workbook can be re-rendered from the history alone.
    pub snapshot_json: Option<String>,
    /// The checks the run's selection left out on this target (check ids): they have no
    /// finding and are never counted as passed.
    pub not_selected: Vec<String>,
}

/// A finding with the target it is about (a [`Finding`] does not name its target).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFinding {
    /// The target's id.
    pub target_id: String,
    /// The finding.
    pub finding: Finding,
}

const RUN_COLUMNS: &str =
    "id, audit_id, kind, status, started_at, finished_at, tool_version, note, selection";

/// The note of a run found `running` when the workspace lock was free.
const INTERRUPTED: &str = "interrupted: the process stopped before the run was recorded";

/// A value's serde name (`"FAIL"`, `"critical"`, `"caution"`): stored as the files the tool
/// writes spell it, so that the history, JSON output and the catalogue agree.
fn serde_name<T: serde::Serialize + std::fmt::Debug>(
    path: &Path,
    value: &T,
) -> Result<String, HistoryError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(state(path, format!("{value:?} has no text form to store"))),
    }
}

/// Parses a serde name back.
pub(crate) fn from_serde_name<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

/// A `runs` row before its enums are parsed.
struct RawRun {
    id: i64,
    audit_id: i64,
    kind: String,
    status: String,
    started_at: String,
    finished_at: Option<String>,
    tool_version: String,
    note: Option<String>,
    selection: Option<String>,
}

impl RawRun {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<RawRun> {
        Ok(RawRun {
            id: row.get(0)?,
            audit_id: row.get(1)?,
            kind: row.get(2)?,
            status: row.get(3)?,
            started_at: row.get(4)?,
            finished_at: row.get(5)?,
            tool_version: row.get(6)?,
            note: row.get(7)?,
            selection: row.get(8)?,
        })
    }

    fn parse(self, path: &Path) -> Result<RunRecord, HistoryError> {
        let kind =
            RunKind::parse(&self.kind).ok_or_else(|| corrupt(path, "runs", self.id, &self.kind))?;
        let status = RunStatus::parse(&self.status)
            .ok_or_else(|| corrupt(path, "runs", self.id, &self.status))?;
        Ok(RunRecord {
            id: self.id,
            audit_id: self.audit_id,
            kind,
            status,
            started_at: self.started_at,
            finished_at: self.finished_at,
            tool_version: self.tool_version,
            note: self.note,
            selection: self.selection,
        })
    }
}

/// A `findings` row before its enums, check id and evidence are parsed.
struct RawFinding {
    id: i64,
    target_id: String,
    check_id: String,
    status: String,
    severity: String,
    entity_type: String,
    entity: String,
    entity_key: String,
    message: String,
    evidence_json: String,
    remediation_category: String,
    fix_json: Option<String>,
}

impl RawFinding {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<RawFinding> {
        Ok(RawFinding {
            id: r.get(0)?,
            target_id: r.get(1)?,
            check_id: r.get(2)?,
            status: r.get(3)?,
            severity: r.get(4)?,
            entity_type: r.get(5)?,
            entity: r.get(6)?,
            entity_key: r.get(7)?,
            message: r.get(8)?,
            evidence_json: r.get(9)?,
            remediation_category: r.get(10)?,
            fix_json: r.get(11)?,
        })
    }

    fn parse(self, path: &Path) -> Result<StoredFinding, HistoryError> {
        let bad = |value: &str| corrupt(path, "findings", self.id, value);
        let check_id: CheckId = self.check_id.parse().map_err(|_| bad(&self.check_id))?;
        let status: Status = from_serde_name(&self.status).ok_or_else(|| bad(&self.status))?;
        let severity: Severity =
            from_serde_name(&self.severity).ok_or_else(|| bad(&self.severity))?;
        let remediation_category: RemediationCategory = from_serde_name(&self.remediation_category)
            .ok_or_else(|| bad(&self.remediation_category))?;
        let evidence: BTreeMap<String, String> =
            serde_json::from_str(&self.evidence_json).map_err(|_| bad(&self.evidence_json))?;
        let fix = match &self.fix_json {
            None => None,
            Some(json) => Some(serde_json::from_str(json).map_err(|_| bad(json))?),
        };
        Ok(StoredFinding {
            target_id: self.target_id,
            finding: Finding {
                check_id,
                status,
                severity,
                entity_type: self.entity_type,
                entity: self.entity,
                entity_key: self.entity_key,
                message: self.message,
                evidence,
                remediation_category,
                fix,
            },
        })
    }
}

/// The run `id` on any connection or transaction.
fn run_on(
    conn: &rusqlite::Connection,
    path: &Path,
    id: i64,
) -> Result<Option<RunRecord>, HistoryError> {
    conn.query_row(
        &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
        [id],
        RawRun::from_row,
    )
    .optional()
    .map_err(sql(path))?
    .map(|raw| raw.parse(path))
    .transpose()
}

/// Refuses a run that is missing or no longer `running`: its results are recorded once.
fn require_running(
    conn: &rusqlite::Connection,
    path: &Path,
    run_id: i64,
) -> Result<(), HistoryError> {
    match run_on(conn, path, run_id)? {
        Some(r) if r.status == RunStatus::Running => Ok(()),
        Some(r) => Err(state(
            path,
            format!(
                "run {run_id} is {}, not running: its results were recorded (or given up) already and cannot be recorded again",
                r.status.as_str()
            ),
        )),
        None => Err(state(path, format!("there is no run {run_id}"))),
    }
}

impl History {
    /// Starts a run (status `running`) of an open audit, in its own transaction, so that a
    /// crash before it is completed is visible as an interrupted run.
    pub fn begin_run(
        &mut self,
        audit_id: i64,
        kind: RunKind,
        started_at: &str,
        tool_version: &str,
    ) -> Result<RunRecord, HistoryError> {
        let (tx, path) = self.write()?;
        let audit: Option<(String, String)> = tx
            .query_row(
                "SELECT name, status FROM audits WHERE id = ?1",
                [audit_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(sql(path))?;
        match audit {
            None => return Err(state(path, format!("there is no audit {audit_id}"))),
            Some((name, status)) if status != "open" => {
                return Err(state(
                    path,
                    format!("audit `{name}` is {status}: its results can no longer change"),
                ));
            }
            Some(_) => {}
        }
        tx.execute(
            "INSERT INTO runs (audit_id, kind, status, started_at, tool_version)
             VALUES (?1, ?2, 'running', ?3, ?4)",
            params![audit_id, kind.as_str(), started_at, tool_version],
        )
        .map_err(sql(path))?;
        let id = tx.last_insert_rowid();
        let run = run_on(&tx, path, id)?
            .ok_or_else(|| state(path, format!("run {id} vanished after it was written")))?;
        tx.commit().map_err(sql(path))?;
        Ok(run)
    }

    /// Records the selection that chose a running run's checks (`stig, --skip-checks X01`).
    pub fn record_selection(&mut self, run_id: i64, selection: &str) -> Result<(), HistoryError> {
        let (tx, path) = self.write()?;
        require_running(&tx, path, run_id)?;
        tx.execute(
            "UPDATE runs SET selection = ?2 WHERE id = ?1",
            params![run_id, selection],
        )
        .map_err(sql(path))?;
        tx.commit().map_err(sql(path))
    }

    /// Records a run's targets, facts and findings and its final status, in one transaction:
    /// `completed` when every target was reached, `completed_with_errors` when some were not
    /// or `note` says the run was cut short. Refuses a run that is not `running`, a target
    /// listed twice and a finding whose target is not listed; then nothing is written.
    pub fn complete_run(
        &mut self,
        run_id: i64,
        finished_at: &str,
        targets: &[TargetRecord],
        findings: &[StoredFinding],
        note: Option<&str>,
    ) -> Result<RunStatus, HistoryError> {
        self.complete_run_with_actions(run_id, finished_at, targets, findings, note, &[])
    }

    /// [`History::complete_run`], with the action-log entries the run found (sync's fixed,
    /// regressed, new …) in the same transaction: a crash records the run and its changes, or
    /// neither, so the next sync finds every change again.
    pub fn complete_run_with_actions(
        &mut self,
        run_id: i64,
        finished_at: &str,
        targets: &[TargetRecord],
        findings: &[StoredFinding],
        note: Option<&str>,
        actions: &[crate::NewAction],
    ) -> Result<RunStatus, HistoryError> {
        let path = &self.path;
        let mut listed: HashSet<&str> = HashSet::with_capacity(targets.len());
        for t in targets {
            if !listed.insert(&t.target_id) {
                return Err(state(
                    path,
                    format!(
                        "run {run_id}: target `{}` is listed twice; nothing was recorded",
                        t.target_id
                    ),
                ));
            }
        }
        if let Some(s) = findings
            .iter()
            .find(|s| !listed.contains(s.target_id.as_str()))
        {
            return Err(state(
                path,
                format!(
                    "run {run_id}: a finding is about target `{}`, which is not among the run's targets; nothing was recorded",
                    s.target_id
                ),
            ));
        }
        let status = if targets.iter().all(|t| t.reached) && note.is_none() {
            RunStatus::Completed
        } else {
            RunStatus::CompletedWithErrors
        };
        let (tx, path) = self.write()?;
        let err = sql(path);
        require_running(&tx, path, run_id)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO run_targets (run_id, target_id, server, instance, port, reached, reason, version, snapshot_json, not_selected)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(&err)?;
            for t in targets {
                insert
                    .execute(params![
                        run_id,
                        t.target_id,
                        t.server,
                        t.instance,
                        t.port,
                        t.reached,
                        t.reason,
                        t.version,
                        t.snapshot_json,
                        (!t.not_selected.is_empty()).then(|| t.not_selected.join(","))
                    ])
                    .map_err(&err)?;
            }
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO findings (run_id, target_id, check_id, status, severity, entity_type, entity, entity_key, message, evidence_json, remediation_category, fix_json)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )
                .map_err(&err)?;
            for s in findings {
                let f = &s.finding;
                let evidence = serde_json::to_string(&f.evidence).map_err(|e| {
                    state(
                        path,
                        format!("run {run_id}: evidence cannot be stored: {e}"),
                    )
                })?;
                let fix = match &f.fix {
                    None => None,
                    Some(fix) => Some(serde_json::to_string(fix).map_err(|e| {
                        state(path, format!("run {run_id}: a fix cannot be stored: {e}"))
                    })?),
                };
                insert
                    .execute(params![
                        run_id,
                        s.target_id,
                        f.check_id.to_string(),
                        serde_name(path, &f.status)?,
                        serde_name(path, &f.severity)?,
                        f.entity_type,
                        f.entity,
                        f.entity_key,
                        f.message,
                        evidence,
                        serde_name(path, &f.remediation_category)?,
                        fix,
                    ])
                    .map_err(&err)?;
            }
        }
        let changed = tx
            .execute(
                "UPDATE runs SET status = ?2, finished_at = ?3, note = ?4
                 WHERE id = ?1 AND status = 'running'",
                params![run_id, status.as_str(), finished_at, note],
            )
            .map_err(&err)?;
        if changed != 1 {
            return Err(state(path, format!("run {run_id} is no longer running")));
        }
        for action in actions {
            crate::actions::insert_action(&tx, path, action)?;
        }
        tx.commit().map_err(&err)?;
        Ok(status)
    }

    /// Marks a running run failed, recording why (nothing of its results is kept). Refuses a
    /// run that is not running: a recorded run is never turned into a failure afterwards.
    pub fn fail_run(
        &mut self,
        run_id: i64,
        finished_at: &str,
        note: &str,
    ) -> Result<(), HistoryError> {
        let (tx, path) = self.write()?;
        require_running(&tx, path, run_id)?;
        tx.execute(
            "UPDATE runs SET status = 'failed', finished_at = ?2, note = ?3
             WHERE id = ?1 AND status = 'running'",
            params![run_id, finished_at, note],
        )
        .map_err(sql(path))?;
        tx.commit().map_err(sql(path))
    }

    /// Marks every `running` run failed, and every `running` remediation run interrupted, and
    /// returns how many there were. Call it holding the workspace lock: a running run found
    /// then belongs to a process that died before recording it.
    pub fn close_interrupted_runs(&mut self, now: &str) -> Result<usize, HistoryError> {
        let (tx, path) = self.write()?;
        let closed = tx
            .execute(
                "UPDATE runs SET status = 'failed', finished_at = ?1, note = ?2
                 WHERE status = 'running'",
                params![now, INTERRUPTED],
            )
            .map_err(sql(path))?;
        // A remediation run keeps the servers it recorded; its end time stays the last one's.
        let remediations = tx
            .execute(
                "UPDATE remediation_runs SET status = 'interrupted' WHERE status = 'running'",
                [],
            )
            .map_err(sql(path))?;
        tx.commit().map_err(sql(path))?;
        Ok(closed + remediations)
    }

    /// The run numbered `id`, if there is one.
    pub fn run(&self, id: i64) -> Result<Option<RunRecord>, HistoryError> {
        run_on(&self.conn, &self.path, id)
    }

    /// Every run of an audit, oldest first (by id).
    pub fn runs(&self, audit_id: i64) -> Result<Vec<RunRecord>, HistoryError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE audit_id = ?1 ORDER BY id"
            ))
            .map_err(sql(path))?;
        let rows = stmt
            .query_map([audit_id], RawRun::from_row)
            .map_err(sql(path))?;
        rows.map(|r| r.map_err(sql(path))?.parse(path)).collect()
    }

    /// The latest run of an audit that recorded results (completed, with or without errors):
    /// what `report` renders and `sync` compares against. Running and failed runs are invisible.
    pub fn latest_completed_run(&self, audit_id: i64) -> Result<Option<RunRecord>, HistoryError> {
        let path = &self.path;
        self.conn
            .query_row(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM runs WHERE audit_id = ?1
                     AND status IN ('completed', 'completed_with_errors') ORDER BY id DESC LIMIT 1"
                ),
                [audit_id],
                RawRun::from_row,
            )
            .optional()
            .map_err(sql(path))?
            .map(|raw| raw.parse(path))
            .transpose()
    }

    /// A run's targets, by target id.
    pub fn run_targets(&self, run_id: i64) -> Result<Vec<TargetRecord>, HistoryError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT target_id, server, instance, port, reached, reason, version, snapshot_json, not_selected
                 FROM run_targets WHERE run_id = ?1 ORDER BY target_id",
            )
            .map_err(sql(path))?;
        let rows = stmt
            .query_map([run_id], |r| {
                Ok(TargetRecord {
                    target_id: r.get(0)?,
                    server: r.get(1)?,
                    instance: r.get(2)?,
                    port: r.get(3)?,
                    reached: r.get(4)?,
                    reason: r.get(5)?,
                    version: r.get(6)?,
                    snapshot_json: r.get(7)?,
                    not_selected: r
                        .get::<_, Option<String>>(8)?
                        .map(|list| list.split(',').map(str::to_owned).collect())
                        .unwrap_or_default(),
                })
            })
            .map_err(sql(path))?;
        rows.map(|r| r.map_err(sql(path))).collect()
    }

    /// A run's findings, in the order they were recorded.
    pub fn run_findings(&self, run_id: i64) -> Result<Vec<StoredFinding>, HistoryError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, target_id, check_id, status, severity, entity_type, entity, entity_key, message, evidence_json, remediation_category, fix_json
                 FROM findings WHERE run_id = ?1 ORDER BY id",
            )
            .map_err(sql(path))?;
        let rows = stmt
            .query_map([run_id], RawFinding::from_row)
            .map_err(sql(path))?;
        rows.map(|r| r.map_err(sql(path))?.parse(path)).collect()
    }

    /// One target's findings in a run, in the order they were recorded: what a renderer needs
    /// at a time, so that a large run is never held in memory whole.
    pub fn target_findings(
        &self,
        run_id: i64,
        target_id: &str,
    ) -> Result<Vec<StoredFinding>, HistoryError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, target_id, check_id, status, severity, entity_type, entity, entity_key, message, evidence_json, remediation_category, fix_json
                 FROM findings WHERE run_id = ?1 AND target_id = ?2 ORDER BY id",
            )
            .map_err(sql(path))?;
        let rows = stmt
            .query_map(rusqlite::params![run_id, target_id], RawFinding::from_row)
            .map_err(sql(path))?;
        rows.map(|r| r.map_err(sql(path))?.parse(path)).collect()
    }
}
