//! Remediation runs: what `remediate apply` and `remediate rollback` did, batch by batch.

use rusqlite::params;

use crate::{History, HistoryError, sql};

/// One batch's recorded outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    /// The target.
    pub target_id: String,
    /// The batch's number in its script.
    pub batch: i64,
    /// The check it fixes.
    pub check_id: Option<String>,
    /// `ok`, `skipped`, `error` or `not_run`.
    pub outcome: String,
    /// Why (skipped, error, not run).
    pub message: Option<String>,
}

/// How a remediation run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemediationStatus {
    /// Still running, or its process died (see [`History::close_interrupted_runs`]).
    Running,
    /// Every selected server's script was run (some batches may have failed).
    Completed,
    /// The process stopped before the end; the servers recorded before are kept.
    Interrupted,
}

impl RemediationStatus {
    /// The stored name, as the schema's CHECK lists it.
    pub fn as_str(self) -> &'static str {
        match self {
            RemediationStatus::Running => "running",
            RemediationStatus::Completed => "completed",
            RemediationStatus::Interrupted => "interrupted",
        }
    }

    fn parse(s: &str) -> Option<RemediationStatus> {
        Some(match s {
            "running" => RemediationStatus::Running,
            "completed" => RemediationStatus::Completed,
            "interrupted" => RemediationStatus::Interrupted,
            _ => return None,
        })
    }
}

/// One recorded `remediate apply` or `remediate rollback`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemediationRun {
    /// Its id.
    pub id: i64,
    /// `apply` or `rollback`.
    pub kind: String,
    /// How it ended.
    pub status: RemediationStatus,
    /// When it started.
    pub started_at: String,
    /// When it ended (while running or once interrupted: when its last server was recorded).
    pub finished_at: String,
}

impl History {
    /// Begins a remediation run (`running`); servers are then recorded one by one with
    /// [`History::record_remediation_server`], so a killed run keeps what it did.
    pub fn begin_remediation(
        &mut self,
        audit_id: i64,
        kind: &str,
        started_at: &str,
        tool_version: &str,
    ) -> Result<i64, HistoryError> {
        let (tx, path) = self.write()?;
        let err = sql(path);
        tx.execute(
            "INSERT INTO remediation_runs (audit_id, kind, started_at, finished_at, tool_version, status)
             VALUES (?1, ?2, ?3, ?3, ?4, 'running')",
            params![audit_id, kind, started_at, tool_version],
        )
        .map_err(&err)?;
        let run = tx.last_insert_rowid();
        tx.commit().map_err(&err)?;
        Ok(run)
    }

    /// Records the batch outcomes of one server of a running remediation run, in one
    /// transaction.
    pub fn record_remediation_server(
        &mut self,
        run_id: i64,
        recorded_at: &str,
        batches: &[BatchOutcome],
    ) -> Result<(), HistoryError> {
        let (tx, path) = self.write()?;
        let err = sql(path);
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO remediation_batches (run_id, target_id, batch, check_id, outcome, message)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(&err)?;
            for b in batches {
                insert
                    .execute(params![
                        run_id,
                        b.target_id,
                        b.batch,
                        b.check_id,
                        b.outcome,
                        b.message
                    ])
                    .map_err(&err)?;
            }
        }
        tx.execute(
            "UPDATE remediation_runs SET finished_at = ?2 WHERE id = ?1 AND status = 'running'",
            params![run_id, recorded_at],
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)
    }

    /// Marks a remediation run completed.
    pub fn finish_remediation(
        &mut self,
        run_id: i64,
        finished_at: &str,
    ) -> Result<(), HistoryError> {
        let (tx, path) = self.write()?;
        let err = sql(path);
        tx.execute(
            "UPDATE remediation_runs SET status = 'completed', finished_at = ?2
             WHERE id = ?1 AND status = 'running'",
            params![run_id, finished_at],
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)
    }

    /// The remediation runs of an audit, oldest first.
    pub fn remediation_runs(&self, audit_id: i64) -> Result<Vec<RemediationRun>, HistoryError> {
        let err = sql(&self.path);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, kind, status, started_at, finished_at FROM remediation_runs
                 WHERE audit_id = ?1 ORDER BY id",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([audit_id], |r| {
                let status: String = r.get(2)?;
                Ok(RemediationRun {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    status: RemediationStatus::parse(&status)
                        .unwrap_or(RemediationStatus::Interrupted),
                    started_at: r.get(3)?,
                    finished_at: r.get(4)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }

    /// How many batches of remediation run `run_id` ended each way (`ok`, `skipped`, `error`,
    /// `not_run`), counted in SQLite: a run over a large fleet holds tens of thousands.
    pub fn remediation_outcome_counts(
        &self,
        run_id: i64,
    ) -> Result<std::collections::BTreeMap<String, usize>, HistoryError> {
        let err = sql(&self.path);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT outcome, COUNT(*) FROM remediation_batches WHERE run_id = ?1 GROUP BY outcome",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([run_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }

    /// Every batch outcome of remediation run `run_id`, by target and batch.
    pub fn remediation_batches(&self, run_id: i64) -> Result<Vec<BatchOutcome>, HistoryError> {
        let err = sql(&self.path);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT target_id, batch, check_id, outcome, message FROM remediation_batches
                 WHERE run_id = ?1 ORDER BY target_id, batch",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([run_id], |r| {
                Ok(BatchOutcome {
                    target_id: r.get(0)?,
                    batch: r.get(1)?,
                    check_id: r.get(2)?,
                    outcome: r.get(3)?,
                    message: r.get(4)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }
}
