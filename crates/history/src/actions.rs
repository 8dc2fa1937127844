//! The action log: what changed between runs (fixed, regressed, new, exceptions), one entry per
//! entity and change, plus the rows auditors add by hand. Sync writes it; the workbook's
//! Actions sheet shows it.

use rusqlite::{Row, params};

use crate::{History, HistoryError, sql};

/// An entry to add (an [`ActionRecord`] without its id, which the history assigns).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewAction {
    /// The audit.
    pub audit_id: i64,
    /// The run that detected it (`None` for entries typed by hand).
    pub run_id: Option<i64>,
    /// The target.
    pub target_id: String,
    /// The sheet of the row it is about.
    pub sheet: Option<String>,
    /// The row's entity key.
    pub entity_key: Option<String>,
    /// The check.
    pub check_id: Option<String>,
    /// The entity as people name it (`SalesDB.ghost_user`).
    pub entity: String,
    /// `fixed`, `regression`, `new`, `exception_added` …
    pub change_type: String,
    /// What changed, for people.
    pub description: String,
    /// When it was first detected.
    pub detected_at: String,
    /// Auditors' notes.
    pub notes: Option<String>,
    /// Typed by an auditor rather than detected.
    pub manual: bool,
    /// Manual rows: the server as typed (detected rows take it from their target).
    pub server: Option<String>,
    /// Manual rows: the instance as typed.
    pub instance: Option<String>,
    /// Manual rows: the category as typed.
    pub category: Option<String>,
    /// Manual rows: the risk level as typed.
    pub risk: Option<String>,
}

/// A stored entry, as the Actions sheet lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRecord {
    /// Its id (the Actions sheet's hidden key, so edits find their entry again).
    pub id: i64,
    /// The audit.
    pub audit_id: i64,
    /// The run that detected it (`None` for entries typed by hand).
    pub run_id: Option<i64>,
    /// The target.
    pub target_id: String,
    /// The sheet of the row it is about.
    pub sheet: Option<String>,
    /// The row's entity key.
    pub entity_key: Option<String>,
    /// The check.
    pub check_id: Option<String>,
    /// The entity as people name it (`SalesDB.ghost_user`).
    pub entity: String,
    /// `fixed`, `regression`, `new`, `exception_added` …
    pub change_type: String,
    /// What changed, for people.
    pub description: String,
    /// When it was first detected.
    pub detected_at: String,
    /// Auditors' notes.
    pub notes: Option<String>,
    /// Typed by an auditor rather than detected.
    pub manual: bool,
    /// Manual rows: the server as typed (detected rows take it from their target).
    pub server: Option<String>,
    /// Manual rows: the instance as typed.
    pub instance: Option<String>,
    /// Manual rows: the category as typed.
    pub category: Option<String>,
    /// Manual rows: the risk level as typed.
    pub risk: Option<String>,
}

impl ActionRecord {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<ActionRecord> {
        Ok(ActionRecord {
            id: r.get(0)?,
            audit_id: r.get(1)?,
            run_id: r.get(2)?,
            target_id: r.get(3)?,
            sheet: r.get(4)?,
            entity_key: r.get(5)?,
            check_id: r.get(6)?,
            entity: r.get(7)?,
            change_type: r.get(8)?,
            description: r.get(9)?,
            detected_at: r.get(10)?,
            notes: r.get(11)?,
            manual: r.get(12)?,
            server: r.get(13)?,
            instance: r.get(14)?,
            category: r.get(15)?,
            risk: r.get(16)?,
        })
    }
}

impl History {
    /// Adds an entry and returns its id.
    pub fn add_action(&mut self, a: &NewAction) -> Result<i64, HistoryError> {
        insert_action(&self.conn, &self.path, a)
    }

    /// Every entry of an audit, oldest first.
    pub fn actions(&self, audit_id: i64) -> Result<Vec<ActionRecord>, HistoryError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, audit_id, run_id, target_id, sheet, entity_key, check_id, entity, change_type, description, detected_at, notes, manual, server, instance, category, risk
                 FROM action_log WHERE audit_id = ?1 ORDER BY id",
            )
            .map_err(sql(path))?;
        let rows = stmt
            .query_map([audit_id], ActionRecord::from_row)
            .map_err(sql(path))?;
        rows.map(|r| r.map_err(sql(path))).collect()
    }

    /// Keeps what auditors changed on an entry in the Actions sheet: its notes, and a corrected
    /// detection date. Returns whether anything changed.
    pub fn update_action(
        &mut self,
        id: i64,
        notes: Option<&str>,
        detected_at: &str,
    ) -> Result<bool, HistoryError> {
        let path = &self.path;
        let changed = self
            .conn
            .execute(
                "UPDATE action_log SET notes = ?2, detected_at = ?3
                 WHERE id = ?1 AND (notes IS NOT ?2 OR detected_at IS NOT ?3)",
                params![id, notes, detected_at],
            )
            .map_err(sql(path))?;
        Ok(changed > 0)
    }
}

/// Inserts `a` on `conn` (the connection, or a transaction that records it with a run).
pub(crate) fn insert_action(
    conn: &rusqlite::Connection,
    path: &std::path::Path,
    a: &NewAction,
) -> Result<i64, HistoryError> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO action_log (audit_id, run_id, target_id, sheet, entity_key, check_id, entity, change_type, description, detected_at, notes, manual, server, instance, category, risk)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
             RETURNING id",
        )
        .map_err(sql(path))?;
    stmt.query_row(
        params![
            a.audit_id,
            a.run_id,
            a.target_id,
            a.sheet,
            a.entity_key,
            a.check_id,
            a.entity,
            a.change_type,
            a.description,
            a.detected_at,
            a.notes,
            a.manual,
            a.server,
            a.instance,
            a.category,
            a.risk
        ],
        |r| r.get(0),
    )
    .map_err(sql(path))
}
