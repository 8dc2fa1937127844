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

impl History {
    /// Records a remediation run and every batch's outcome, in one transaction; returns its id.
    pub fn record_remediation(
        &mut self,
        audit_id: i64,
        kind: &str,
        started_at: &str,
        finished_at: &str,
        tool_version: &str,
        batches: &[BatchOutcome],
    ) -> Result<i64, HistoryError> {
        let (tx, path) = self.write()?;
        let err = sql(path);
        tx.execute(
            "INSERT INTO remediation_runs (audit_id, kind, started_at, finished_at, tool_version)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![audit_id, kind, started_at, finished_at, tool_version],
        )
        .map_err(&err)?;
        let run = tx.last_insert_rowid();
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
                        run,
                        b.target_id,
                        b.batch,
                        b.check_id,
                        b.outcome,
                        b.message
                    ])
                    .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(run)
    }

    /// The remediation runs of an audit, oldest first: (id, kind, finished_at).
    pub fn remediation_runs(
        &self,
        audit_id: i64,
    ) -> Result<Vec<(i64, String, String)>, HistoryError> {
        let err = sql(&self.path);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, kind, finished_at FROM remediation_runs WHERE audit_id = ?1 ORDER BY id",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([audit_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
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
