//! Rows of the workbook across runs: the stable `_UUID` of each (sheet, entity), and what
//! auditors typed on it, with the history of every change.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use crate::{History, HistoryError, sql, state};

/// An auditor's annotation of one row. The domain's type, re-exported: the report crate writes
/// and reads the same one, so history and workbook cannot disagree on its fields.
pub use audit_core::Annotation;

/// An annotation's fields by their column names; the order is the order changes are recorded
/// in. (The table also has a `purpose` column, reserved until the domain's annotation has that
/// field: it is neither read nor written here.)
fn fields(a: &Annotation) -> [(&'static str, Option<&str>); 4] {
    [
        ("review_status", a.review_status.as_deref()),
        ("justification", a.justification.as_deref()),
        ("notes", a.notes.as_deref()),
        ("last_reviewed", a.last_reviewed.as_deref()),
    ]
}

/// One change of one annotation field, so that who accepted a risk, and when, is never lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotationChange {
    /// Which field (`review_status`, `justification`, `notes`, `last_reviewed`).
    pub field: String,
    /// Before.
    pub old_value: Option<String>,
    /// After.
    pub new_value: Option<String>,
    /// When.
    pub changed_at: String,
    /// During which run, if any.
    pub run_id: Option<i64>,
    /// Where it came from (`workbook`, `cli` …).
    pub source: String,
}

/// A row's identity: (sheet name, entity key).
type RowKey = (String, String);

/// How many rounds of drawing fresh UUIDs before giving up (each UUID clashes with probability
/// rows / 2³², so needing more than a few rounds means something other than chance is wrong).
const UUID_ATTEMPTS: usize = 32;

impl History {
    /// The UUID of every row in `keys` (sheet, entity key), in the same order: the one it
    /// already has in this audit, or a new one (8 upper-case hex characters from SQLite's
    /// `hex(randomblob(4))`, unique in the audit, drawn again on a clash) recorded as first
    /// seen in `run_id`, a run of this audit. One transaction; each key is one primary-key
    /// lookup, so memory stays flat however many rows an audit has.
    pub fn row_uuids(
        &mut self,
        audit_id: i64,
        run_id: i64,
        keys: &[(&str, &str)],
    ) -> Result<Vec<String>, HistoryError> {
        let (tx, path) = self.write()?;
        let err = sql(path);
        let run_audit: Option<i64> = tx
            .query_row("SELECT audit_id FROM runs WHERE id = ?1", [run_id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(&err)?;
        if run_audit != Some(audit_id) {
            return Err(state(
                path,
                format!("run {run_id} is not a run of audit {audit_id}"),
            ));
        }
        let mut out = Vec::with_capacity(keys.len());
        {
            let mut find = tx
                .prepare_cached(
                    "SELECT uuid FROM row_identities WHERE audit_id = ?1 AND sheet = ?2 AND entity_key = ?3",
                )
                .map_err(&err)?;
            // A clash with a UUID already used in the audit is ignored by the insert (the
            // UNIQUE constraint) and drawn again.
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO row_identities (audit_id, sheet, entity_key, uuid, first_run_id)
                     VALUES (?1, ?2, ?3, hex(randomblob(4)), ?4)
                     RETURNING uuid",
                )
                .map_err(&err)?;
            for (sheet, key) in keys {
                let known: Option<String> = find
                    .query_row(params![audit_id, sheet, key], |r| r.get(0))
                    .optional()
                    .map_err(&err)?;
                if let Some(uuid) = known {
                    out.push(uuid);
                    continue;
                }
                let mut attempts = 0;
                let uuid = loop {
                    attempts += 1;
                    if attempts > UUID_ATTEMPTS {
                        return Err(state(
                            path,
                            format!(
                                "no free row UUID found for audit {audit_id} in {UUID_ATTEMPTS} draws"
                            ),
                        ));
                    }
                    let drawn: Option<String> = insert
                        .query_row(params![audit_id, sheet, key, run_id], |r| r.get(0))
                        .optional()
                        .map_err(&err)?;
                    if let Some(uuid) = drawn {
                        break uuid;
                    }
                };
                out.push(uuid);
            }
        }
        tx.commit().map_err(&err)?;
        Ok(out)
    }

    /// Every annotated row of an audit, by (sheet, entity key): what a render writes back.
    pub fn annotations(&self, audit_id: i64) -> Result<HashMap<RowKey, Annotation>, HistoryError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT sheet, entity_key, review_status, justification, notes, last_reviewed
                 FROM annotations WHERE audit_id = ?1",
            )
            .map_err(sql(path))?;
        let rows = stmt
            .query_map([audit_id], |r| {
                Ok((
                    (r.get(0)?, r.get(1)?),
                    Annotation {
                        review_status: r.get(2)?,
                        justification: r.get(3)?,
                        notes: r.get(4)?,
                        last_reviewed: r.get(5)?,
                    },
                ))
            })
            .map_err(sql(path))?;
        rows.map(|r| r.map_err(sql(path))).collect()
    }

    /// Sets a row's annotation and records one change per field that differs, in one
    /// transaction. Returns whether anything changed (setting the same values again writes
    /// nothing).
    #[allow(clippy::too_many_arguments)]
    pub fn set_annotation(
        &mut self,
        audit_id: i64,
        run_id: Option<i64>,
        sheet: &str,
        entity_key: &str,
        annotation: &Annotation,
        changed_at: &str,
        source: &str,
    ) -> Result<bool, HistoryError> {
        let (tx, path) = self.write()?;
        let err = sql(path);
        // Read inside the write transaction, so that the recorded "before" is what was replaced.
        let before = tx
            .query_row(
                "SELECT review_status, justification, notes, last_reviewed FROM annotations
                 WHERE audit_id = ?1 AND sheet = ?2 AND entity_key = ?3",
                params![audit_id, sheet, entity_key],
                |r| {
                    Ok(Annotation {
                        review_status: r.get(0)?,
                        justification: r.get(1)?,
                        notes: r.get(2)?,
                        last_reviewed: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(&err)?
            .unwrap_or_default();
        let changed: Vec<_> = fields(&before)
            .into_iter()
            .zip(fields(annotation))
            .filter(|((_, old), (_, new))| old != new)
            .map(|((field, old), (_, new))| (field, old, new))
            .collect();
        if changed.is_empty() {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO annotations (audit_id, sheet, entity_key, review_status, justification, notes, last_reviewed, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (audit_id, sheet, entity_key) DO UPDATE SET
               review_status = excluded.review_status, justification = excluded.justification,
               notes = excluded.notes, last_reviewed = excluded.last_reviewed, updated_at = excluded.updated_at",
            params![
                audit_id,
                sheet,
                entity_key,
                annotation.review_status,
                annotation.justification,
                annotation.notes,
                annotation.last_reviewed,
                changed_at
            ],
        )
        .map_err(&err)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO annotation_changes (audit_id, sheet, entity_key, field, old_value, new_value, changed_at, run_id, source)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(&err)?;
            for (field, old, new) in changed {
                insert
                    .execute(params![
                        audit_id, sheet, entity_key, field, old, new, changed_at, run_id, source
                    ])
                    .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(true)
    }

    /// Every change of a row's annotation, oldest first: the trail behind an exception.
    pub fn annotation_changes(
        &self,
        audit_id: i64,
        sheet: &str,
        entity_key: &str,
    ) -> Result<Vec<AnnotationChange>, HistoryError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT field, old_value, new_value, changed_at, run_id, source FROM annotation_changes
                 WHERE audit_id = ?1 AND sheet = ?2 AND entity_key = ?3 ORDER BY id",
            )
            .map_err(sql(path))?;
        let rows = stmt
            .query_map(params![audit_id, sheet, entity_key], |r| {
                Ok(AnnotationChange {
                    field: r.get(0)?,
                    old_value: r.get(1)?,
                    new_value: r.get(2)?,
                    changed_at: r.get(3)?,
                    run_id: r.get(4)?,
                    source: r.get(5)?,
                })
            })
            .map_err(sql(path))?;
        rows.map(|r| r.map_err(sql(path))).collect()
    }
}
