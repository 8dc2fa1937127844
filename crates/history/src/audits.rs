//! Audits: a named audit spans many runs, from its first baseline to its finalization.

use rusqlite::{OptionalExtension, Row, params};

use crate::{History, HistoryError};

/// Whether an audit can still change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditStatus {
    /// Runs and syncs may add to it.
    Open,
    /// Frozen by `finalize`; `definalize` reopens it.
    Finalized,
}

/// An audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Its number.
    pub id: i64,
    /// Its name (unique), from the audit configuration or `audit --new`.
    pub name: String,
    /// Who it is for.
    pub organization: String,
    /// When it was created.
    pub created_at: String,
    /// Open or finalized.
    pub status: AuditStatus,
    /// When it was finalized.
    pub finalized_at: Option<String>,
}

const COLUMNS: &str = "id, name, organization, created_at, status, finalized_at";

impl History {
    fn audit_from(&self, row: &Row<'_>) -> rusqlite::Result<Result<AuditRecord, HistoryError>> {
        let id: i64 = row.get(0)?;
        let status: String = row.get(4)?;
        let status = match status.as_str() {
            "open" => AuditStatus::Open,
            "finalized" => AuditStatus::Finalized,
            _ => return Ok(Err(self.corrupt("audits", id, status))),
        };
        Ok(Ok(AuditRecord {
            id,
            name: row.get(1)?,
            organization: row.get(2)?,
            created_at: row.get(3)?,
            status,
            finalized_at: row.get(5)?,
        }))
    }

    fn audit_where(
        &self,
        clause: &str,
        param: &dyn rusqlite::ToSql,
    ) -> Result<Option<AuditRecord>, HistoryError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM audits {clause}"),
                [param],
                |row| self.audit_from(row),
            )
            .optional()
            .map_err(|e| self.err(e))?
            .transpose()
    }

    /// The audit called `name`, created if it does not exist yet (its organization updated if
    /// the configuration changed it).
    pub fn open_audit(
        &mut self,
        name: &str,
        organization: &str,
        now: &str,
    ) -> Result<AuditRecord, HistoryError> {
        self.conn
            .execute(
                "INSERT INTO audits (name, organization, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET organization = excluded.organization",
                params![name, organization, now],
            )
            .map_err(|e| self.err(e))?;
        self.find_audit(name)?
            .ok_or_else(|| self.state(format!("audit `{name}` vanished after it was written")))
    }

    /// The audit called `name`.
    pub fn find_audit(&self, name: &str) -> Result<Option<AuditRecord>, HistoryError> {
        self.audit_where("WHERE name = ?1", &name)
    }

    /// The audit numbered `id`.
    pub fn audit_by_id(&self, id: i64) -> Result<Option<AuditRecord>, HistoryError> {
        self.audit_where("WHERE id = ?1", &id)
    }

    /// The most recently created audit (what commands act on by default).
    pub fn latest_audit(&self) -> Result<Option<AuditRecord>, HistoryError> {
        self.audit_where("WHERE id = (SELECT max(id) FROM audits) AND ?1", &1)
    }
}
