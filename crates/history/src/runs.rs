//! Runs: one audit or sync, with the targets it saw, the facts it collected and its findings.
//! A run is begun (its own transaction) and completed (one transaction holding every target,
//! fact and finding), so a crash in between leaves a `running` run with nothing in it, which
//! the next command marks failed.

use std::collections::BTreeMap;

use audit_core::{CheckId, Finding, RemediationCategory, Severity, Status};
use rusqlite::{OptionalExtension, Row, params};

use crate::{History, HistoryError};

/// What kind of run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    /// `audit`.
    Audit,
    /// `sync`.
    Sync,
}

impl RunKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Audit => "audit",
            RunKind::Sync => "sync",
        }
    }
}

/// How a run ended.
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
    /// The stored name.
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

/// A run.
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
    /// End.
    pub finished_at: Option<String>,
    /// `AutoDBAudit x.y.z`.
    pub tool_version: String,
    /// Why it failed or was cut short.
    pub note: Option<String>,
}

/// One target of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRecord {
    /// Its id in the configuration.
    pub target_id: String,
    /// Host.
    pub server: String,
    /// Instance name.
    pub instance: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Whether it was audited.
    pub reached: bool,
    /// Why not.
    pub reason: Option<String>,
    /// Its version.
    pub version: Option<String>,
    /// The collected facts (JSON of `audit_core::snapshot::Snapshot`).
    pub snapshot_json: Option<String>,
}

/// A finding with its target.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFinding {
    /// The target's id.
    pub target_id: String,
    /// The finding.
    pub finding: Finding,
}

const RUN_COLUMNS: &str = "id, audit_id, kind, status, started_at, finished_at, tool_version, note";

/// A value stored through serde as a JSON string (`"FAIL"`, `"critical"`, `"R05"` …).
fn to_text<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn from_text<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

impl History {
    fn run_from(&self, row: &Row<'_>) -> rusqlite::Result<Result<RunRecord, HistoryError>> {
        let id: i64 = row.get(0)?;
        let kind: String = row.get(2)?;
        let status: String = row.get(3)?;
        let kind = match kind.as_str() {
            "audit" => RunKind::Audit,
            "sync" => RunKind::Sync,
            _ => return Ok(Err(self.corrupt("runs", id, kind))),
        };
        let Some(status) = RunStatus::parse(&status) else {
            return Ok(Err(self.corrupt("runs", id, status)));
        };
        Ok(Ok(RunRecord {
            id,
            audit_id: row.get(1)?,
            kind,
            status,
            started_at: row.get(4)?,
            finished_at: row.get(5)?,
            tool_version: row.get(6)?,
            note: row.get(7)?,
        }))
    }

    /// Starts a run (status `running`), in its own transaction.
    pub fn begin_run(
        &mut self,
        audit_id: i64,
        kind: RunKind,
        started_at: &str,
        tool_version: &str,
    ) -> Result<RunRecord, HistoryError> {
        self.conn
            .execute(
                "INSERT INTO runs (audit_id, kind, status, started_at, tool_version)
                 VALUES (?1, ?2, 'running', ?3, ?4)",
                params![audit_id, kind.as_str(), started_at, tool_version],
            )
            .map_err(|e| self.err(e))?;
        let id = self.conn.last_insert_rowid();
        self.run(id)?
            .ok_or_else(|| self.state(format!("run {id} vanished after it was written")))
    }

    /// Records a run's targets, facts and findings and its status, in one transaction:
    /// `completed` when every target was reached, `completed_with_errors` when some were not or
    /// `note` says the run was cut short. Refuses a run that is not `running`.
    pub fn complete_run(
        &mut self,
        run_id: i64,
        finished_at: &str,
        targets: &[TargetRecord],
        findings: &[StoredFinding],
        note: Option<&str>,
    ) -> Result<RunStatus, HistoryError> {
        let path = self.path.clone();
        let err = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let current = self.run(run_id)?;
        match current {
            Some(r) if r.status == RunStatus::Running => {}
            Some(r) => {
                return Err(self.state(format!(
                    "run {run_id} is {}, not running: it cannot be recorded again",
                    r.status.as_str()
                )));
            }
            None => return Err(self.state(format!("there is no run {run_id}"))),
        }
        let status = if targets.iter().all(|t| t.reached) && note.is_none() {
            RunStatus::Completed
        } else {
            RunStatus::CompletedWithErrors
        };
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO run_targets (run_id, target_id, server, instance, port, reached, reason, version, snapshot_json)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(err)?;
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
                        t.snapshot_json
                    ])
                    .map_err(err)?;
            }
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO findings (run_id, target_id, check_id, status, severity, entity_type, entity, entity_key, message, evidence_json, remediation)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(err)?;
            for s in findings {
                let f = &s.finding;
                let evidence = serde_json::to_string(&f.evidence).unwrap_or_else(|_| "{}".into());
                insert
                    .execute(params![
                        run_id,
                        s.target_id,
                        f.check_id.to_string(),
                        f.status.as_str(),
                        to_text(&f.severity),
                        f.entity_type,
                        f.entity,
                        f.entity_key,
                        f.message,
                        evidence,
                        to_text(&f.remediation_category),
                    ])
                    .map_err(err)?;
            }
            tx.execute(
                "UPDATE runs SET status = ?2, finished_at = ?3, note = ?4 WHERE id = ?1",
                params![run_id, status.as_str(), finished_at, note],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(status)
    }

    /// Marks a run failed (nothing of it is recorded).
    pub fn fail_run(
        &mut self,
        run_id: i64,
        finished_at: &str,
        note: &str,
    ) -> Result<(), HistoryError> {
        self.conn
            .execute(
                "UPDATE runs SET status = 'failed', finished_at = ?2, note = ?3 WHERE id = ?1 AND status = 'running'",
                params![run_id, finished_at, note],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Marks every `running` run failed. Call it holding the workspace lock: a running run
    /// found then belongs to a process that died before recording it.
    pub fn close_interrupted_runs(&mut self, now: &str) -> Result<usize, HistoryError> {
        self.conn
            .execute(
                "UPDATE runs SET status = 'failed', finished_at = ?1,
                 note = 'interrupted: the process stopped before the run was recorded'
                 WHERE status = 'running'",
                [now],
            )
            .map_err(|e| self.err(e))
    }

    /// The run numbered `id`.
    pub fn run(&self, id: i64) -> Result<Option<RunRecord>, HistoryError> {
        self.conn
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
                [id],
                |row| self.run_from(row),
            )
            .optional()
            .map_err(|e| self.err(e))?
            .transpose()
    }

    /// Every run of an audit, oldest first.
    pub fn runs(&self, audit_id: i64) -> Result<Vec<RunRecord>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE audit_id = ?1 ORDER BY id"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([audit_id], |row| self.run_from(row))
            .map_err(|e| self.err(e))?;
        rows.map(|r| r.map_err(|e| self.err(e))?).collect()
    }

    /// The latest run of an audit that recorded results (completed, with or without errors).
    pub fn latest_completed_run(&self, audit_id: i64) -> Result<Option<RunRecord>, HistoryError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM runs WHERE audit_id = ?1
                     AND status IN ('completed', 'completed_with_errors') ORDER BY id DESC LIMIT 1"
                ),
                [audit_id],
                |row| self.run_from(row),
            )
            .optional()
            .map_err(|e| self.err(e))?
            .transpose()
    }

    /// A run's targets, by target id.
    pub fn run_targets(&self, run_id: i64) -> Result<Vec<TargetRecord>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT target_id, server, instance, port, reached, reason, version, snapshot_json
                 FROM run_targets WHERE run_id = ?1 ORDER BY target_id",
            )
            .map_err(|e| self.err(e))?;
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
                })
            })
            .map_err(|e| self.err(e))?;
        rows.map(|r| r.map_err(|e| self.err(e))).collect()
    }

    /// A run's findings, in the order they were recorded.
    pub fn run_findings(&self, run_id: i64) -> Result<Vec<StoredFinding>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, target_id, check_id, status, severity, entity_type, entity, entity_key, message, evidence_json, remediation
                 FROM findings WHERE run_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([run_id], |r| {
                let texts: [String; 11] = [
                    r.get::<_, i64>(0)?.to_string(),
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                ];
                Ok(texts)
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let [
                id,
                target_id,
                check,
                status,
                severity,
                entity_type,
                entity,
                entity_key,
                message,
                evidence,
                remediation,
            ] = row.map_err(|e| self.err(e))?;
            let id: i64 = id.parse().unwrap_or_default();
            let check_id: CheckId = check
                .parse()
                .map_err(|_| self.corrupt("findings", id, &check))?;
            let status: Status =
                from_text(&status).ok_or_else(|| self.corrupt("findings", id, &status))?;
            let severity: Severity =
                from_text(&severity).ok_or_else(|| self.corrupt("findings", id, &severity))?;
            let remediation_category: RemediationCategory = from_text(&remediation)
                .ok_or_else(|| self.corrupt("findings", id, &remediation))?;
            let evidence: BTreeMap<String, String> = serde_json::from_str(&evidence)
                .map_err(|_| self.corrupt("findings", id, &evidence))?;
            out.push(StoredFinding {
                target_id,
                finding: Finding {
                    check_id,
                    status,
                    severity,
                    entity_type,
                    entity,
                    entity_key,
                    message,
                    evidence,
                    remediation_category,
                },
            });
        }
        Ok(out)
    }
}
