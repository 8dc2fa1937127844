//! Rows of the workbook across runs: the stable `_UUID` of each (sheet, entity), and what
//! auditors typed on it, with the history of every change.

use std::collections::HashMap;

use rusqlite::params;

use crate::{History, HistoryError};

pub use audit_core::Annotation;

/// An annotation's fields by their column names.
fn fields(a: &Annotation) -> [(&'static str, Option<&str>); 4] {
    [
        ("review_status", a.review_status.as_deref()),
        ("justification", a.justification.as_deref()),
        ("notes", a.notes.as_deref()),
        ("last_reviewed", a.last_reviewed.as_deref()),
    ]
}

/// One change of one annotation field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotationChange {
    /// Which field.
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

impl History {
    /// The UUID of every row in `keys`: the one it already has in this audit, or a new one
    /// (8 upper-case hex characters, unique in the audit) recorded as first seen in `run_id`.
    /// One transaction.
    pub fn row_uuids(
        &mut self,
        audit_id: i64,
        run_id: i64,
        keys: &[RowKey],
    ) -> Result<HashMap<RowKey, String>, HistoryError> {
        let path = self.path.clone();
        let err = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let mut out = HashMap::with_capacity(keys.len());
        {
            let mut existing = tx
                .prepare("SELECT sheet, entity_key, uuid FROM row_identities WHERE audit_id = ?1")
                .map_err(err)?;
            let rows = existing
                .query_map([audit_id], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
                .map_err(err)?;
            let mut known: HashMap<RowKey, String> = HashMap::new();
            for row in rows {
                let (key, uuid) = row.map_err(err)?;
                known.insert(key, uuid);
            }
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO row_identities (audit_id, sheet, entity_key, uuid, first_run_id)
                     VALUES (?1, ?2, ?3, upper(hex(randomblob(4))), ?4)
                     RETURNING uuid",
                )
                .map_err(err)?;
            for key in keys {
                if let Some(uuid) = known.get(key) {
                    out.insert(key.clone(), uuid.clone());
                    continue;
                }
                // A clash with another row's UUID (1 in 4 billion per pair) is ignored by the
                // insert and retried with a fresh one.
                let uuid = loop {
                    let mut rows = insert
                        .query(params![audit_id, key.0, key.1, run_id])
                        .map_err(err)?;
                    if let Some(row) = rows.next().map_err(err)? {
                        break row.get::<_, String>(0).map_err(err)?;
                    }
                };
                known.insert(key.clone(), uuid.clone());
                out.insert(key.clone(), uuid);
            }
        }
        tx.commit().map_err(err)?;
        Ok(out)
    }

    /// Every annotated row of an audit.
    pub fn annotations(&self, audit_id: i64) -> Result<HashMap<RowKey, Annotation>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT sheet, entity_key, review_status, justification, notes, last_reviewed
                 FROM annotations WHERE audit_id = ?1",
            )
            .map_err(|e| self.err(e))?;
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
            .map_err(|e| self.err(e))?;
        rows.map(|r| r.map_err(|e| self.err(e))).collect()
    }

    /// Sets a row's annotation; records one change per field that differs. Returns whether
    /// anything changed. One transaction.
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
        let path = self.path.clone();
        let err = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let before = self
            .annotations_of(audit_id, sheet, entity_key)?
            .unwrap_or_default();
        let changed: Vec<_> = fields(&before)
            .into_iter()
            .zip(fields(annotation))
            .filter(|((_, old), (_, new))| old != new)
            .map(|((field, old), (_, new))| (field, old.map(str::to_owned), new.map(str::to_owned)))
            .collect();
        if changed.is_empty() {
            return Ok(false);
        }
        let tx = self.conn.transaction().map_err(err)?;
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
        .map_err(err)?;
        for (field, old, new) in changed {
            tx.execute(
                "INSERT INTO annotation_changes (audit_id, sheet, entity_key, field, old_value, new_value, changed_at, run_id, source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![audit_id, sheet, entity_key, field, old, new, changed_at, run_id, source],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(true)
    }

    fn annotations_of(
        &self,
        audit_id: i64,
        sheet: &str,
        entity_key: &str,
    ) -> Result<Option<Annotation>, HistoryError> {
        use rusqlite::OptionalExtension as _;
        self.conn
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
            .map_err(|e| self.err(e))
    }

    /// Every change of a row's annotation, oldest first.
    pub fn annotation_changes(
        &self,
        audit_id: i64,
        sheet: &str,
        entity_key: &str,
    ) -> Result<Vec<AnnotationChange>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT field, old_value, new_value, changed_at, run_id, source FROM annotation_changes
                 WHERE audit_id = ?1 AND sheet = ?2 AND entity_key = ?3 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
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
            .map_err(|e| self.err(e))?;
        rows.map(|r| r.map_err(|e| self.err(e))).collect()
    }
}
