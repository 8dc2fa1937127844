//! Baselines: the approved result set of one check on one target (VA's "Approve as Baseline").
//! Approving records every entity the check reported with its status and evidence; approving
//! again or clearing ends the current baseline (kept with who ended it and when), so the
//! history says who approved what, when, for how long.

use std::collections::BTreeMap;

use audit_core::Status;
use rusqlite::{OptionalExtension, params};

use crate::runs::from_serde_name;
use crate::{History, HistoryError, corrupt, sql, state};

/// One approved result: an entity as the check saw it when the baseline was approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineResult {
    /// The finding's entity key.
    pub entity_key: String,
    /// The entity as people name it.
    pub entity: String,
    /// Its status then.
    pub status: Status,
    /// The facts that decided it then.
    pub evidence: BTreeMap<String, String>,
}

/// A baseline to approve: one check on one target, from one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBaseline {
    /// The target.
    pub target_id: String,
    /// The check.
    pub check_id: String,
    /// The run whose results are approved.
    pub run_id: i64,
    /// Every result of the check on the target in that run.
    pub results: Vec<BaselineResult>,
}

/// A stored baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    /// Its id.
    pub id: i64,
    /// The target.
    pub target_id: String,
    /// The check.
    pub check_id: String,
    /// The run whose results it approved.
    pub run_id: i64,
    /// When.
    pub approved_at: String,
    /// By whom.
    pub approved_by: String,
    /// Why, as given.
    pub note: Option<String>,
    /// The approved results, by entity key.
    pub results: Vec<BaselineResult>,
}

impl History {
    /// Approves `baselines` in one transaction: each replaces the current baseline of its
    /// check and target, which ends at `at`, by `by`. Returns how many were approved.
    pub fn approve_baselines(
        &mut self,
        baselines: &[NewBaseline],
        at: &str,
        by: &str,
        note: Option<&str>,
    ) -> Result<usize, HistoryError> {
        let (tx, path) = self.write()?;
        let err = sql(path);
        for b in baselines {
            tx.execute(
                "UPDATE baselines SET ended_at = ?3, ended_by = ?4
                 WHERE target_id = ?1 AND check_id = ?2 AND ended_at IS NULL",
                params![b.target_id, b.check_id, at, by],
            )
            .map_err(&err)?;
            tx.execute(
                "INSERT INTO baselines (target_id, check_id, run_id, approved_at, approved_by, note)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![b.target_id, b.check_id, b.run_id, at, by, note],
            )
            .map_err(&err)?;
            let id = tx.last_insert_rowid();
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO baseline_results (baseline_id, entity_key, entity, status, evidence_json)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(&err)?;
            for r in &b.results {
                let evidence = serde_json::to_string(&r.evidence)
                    .map_err(|e| state(path, format!("evidence of {}: {e}", r.entity_key)))?;
                insert
                    .execute(params![
                        id,
                        r.entity_key,
                        r.entity,
                        r.status.as_str(),
                        evidence
                    ])
                    .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(baselines.len())
    }

    /// Ends the current baselines of the checks and targets given (empty: all of them) at
    /// `at`, by `by`. Returns how many ended.
    pub fn clear_baselines(
        &mut self,
        targets: &[String],
        checks: &[String],
        at: &str,
        by: &str,
    ) -> Result<usize, HistoryError> {
        let current = self.current_baselines()?;
        let (tx, path) = self.write()?;
        let mut ended = 0;
        for b in current.iter().filter(|b| {
            (targets.is_empty() || targets.contains(&b.target_id))
                && (checks.is_empty() || checks.contains(&b.check_id))
        }) {
            ended += tx
                .execute(
                    "UPDATE baselines SET ended_at = ?2, ended_by = ?3
                     WHERE id = ?1 AND ended_at IS NULL",
                    params![b.id, at, by],
                )
                .map_err(sql(path))?;
        }
        tx.commit().map_err(sql(path))?;
        Ok(ended)
    }

    /// Every current baseline with its results, by target and check.
    pub fn current_baselines(&self) -> Result<Vec<Baseline>, HistoryError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, target_id, check_id, run_id, approved_at, approved_by, note
                 FROM baselines WHERE ended_at IS NULL ORDER BY target_id, check_id",
            )
            .map_err(sql(path))?;
        let mut baselines: Vec<Baseline> = stmt
            .query_map([], |r| {
                Ok(Baseline {
                    id: r.get(0)?,
                    target_id: r.get(1)?,
                    check_id: r.get(2)?,
                    run_id: r.get(3)?,
                    approved_at: r.get(4)?,
                    approved_by: r.get(5)?,
                    note: r.get(6)?,
                    results: Vec::new(),
                })
            })
            .map_err(sql(path))?
            .collect::<Result<_, _>>()
            .map_err(sql(path))?;
        let mut results = self
            .conn
            .prepare_cached(
                "SELECT entity_key, entity, status, evidence_json FROM baseline_results
                 WHERE baseline_id = ?1 ORDER BY entity_key",
            )
            .map_err(sql(path))?;
        for b in &mut baselines {
            let rows = results
                .query_map([b.id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .map_err(sql(path))?;
            for row in rows {
                let (entity_key, entity, status, evidence) = row.map_err(sql(path))?;
                let status: Status = from_serde_name(&status)
                    .ok_or_else(|| corrupt(path, "baseline_results", b.id, &status))?;
                let evidence = serde_json::from_str(&evidence)
                    .map_err(|_| corrupt(path, "baseline_results", b.id, &evidence))?;
                b.results.push(BaselineResult {
                    entity_key,
                    entity,
                    status,
                    evidence,
                });
            }
        }
        Ok(baselines)
    }

    /// When the current baseline of `check_id` on `target_id` was approved, if there is one.
    pub fn baseline_approved_at(
        &self,
        target_id: &str,
        check_id: &str,
    ) -> Result<Option<String>, HistoryError> {
        self.conn
            .query_row(
                "SELECT approved_at FROM baselines
                 WHERE target_id = ?1 AND check_id = ?2 AND ended_at IS NULL",
                [target_id, check_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql(&self.path))
    }
}
