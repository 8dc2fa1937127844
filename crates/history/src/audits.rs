//! Audits: a named audit spans many runs, from its first baseline to its finalization.

use rusqlite::{OptionalExtension, Row, ToSql, params};

use crate::{History, HistoryError, corrupt, sql};

/// Whether an audit can still change: a finalized audit's results are frozen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditStatus {
    /// Runs and syncs may add to it.
    Open,
    /// Frozen by `finalize`; `definalize` reopens it.
    Finalized,
}

impl AuditStatus {
    /// The stored name (`open`, `finalized`), as the schema's CHECK lists it.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditStatus::Open => "open",
            AuditStatus::Finalized => "finalized",
        }
    }

    fn parse(s: &str) -> Option<AuditStatus> {
        match s {
            "open" => Some(AuditStatus::Open),
            "finalized" => Some(AuditStatus::Finalized),
            _ => None,
        }
    }
}

/// An audit as stored, for commands that act on it and for the workbook's cover.
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

/// An `audits` row before its status is parsed.
struct RawAudit {
    id: i64,
    name: String,
    organization: String,
    created_at: String,
    status: String,
    finalized_at: Option<String>,
}

impl RawAudit {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<RawAudit> {
        Ok(RawAudit {
            id: row.get(0)?,
            name: row.get(1)?,
            organization: row.get(2)?,
            created_at: row.get(3)?,
            status: row.get(4)?,
            finalized_at: row.get(5)?,
        })
    }

    fn parse(self, path: &std::path::Path) -> Result<AuditRecord, HistoryError> {
        let status = AuditStatus::parse(&self.status)
            .ok_or_else(|| corrupt(path, "audits", self.id, &self.status))?;
        Ok(AuditRecord {
            id: self.id,
            name: self.name,
            organization: self.organization,
            created_at: self.created_at,
            status,
            finalized_at: self.finalized_at,
        })
    }
}

/// The audit `clause` selects, on any connection or transaction.
fn audit_where(
    conn: &rusqlite::Connection,
    path: &std::path::Path,
    clause: &str,
    params: &[&dyn ToSql],
) -> Result<Option<AuditRecord>, HistoryError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM audits {clause}"),
        params,
        RawAudit::from_row,
    )
    .optional()
    .map_err(sql(path))?
    .map(|raw| raw.parse(path))
    .transpose()
}

impl History {
    /// The audit called `name`, created if it does not exist yet (its organization updated if
    /// the configuration changed it). One transaction.
    pub fn open_audit(
        &mut self,
        name: &str,
        organization: &str,
        now: &str,
    ) -> Result<AuditRecord, HistoryError> {
        let (tx, path) = self.write()?;
        tx.execute(
            "INSERT INTO audits (name, organization, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET organization = excluded.organization
             WHERE organization IS NOT excluded.organization",
            params![name, organization, now],
        )
        .map_err(sql(path))?;
        let audit = audit_where(&tx, path, "WHERE name = ?1", &[&name])?.ok_or_else(|| {
            crate::state(
                path,
                format!("audit `{name}` vanished after it was written"),
            )
        })?;
        tx.commit().map_err(sql(path))?;
        Ok(audit)
    }

    /// Freezes (`Finalized`, with `now`) or reopens (`Open`) an audit. One transaction.
    pub fn set_audit_status(
        &mut self,
        audit_id: i64,
        status: AuditStatus,
        now: &str,
    ) -> Result<(), HistoryError> {
        let (tx, path) = self.write()?;
        let finalized_at = (status == AuditStatus::Finalized).then_some(now);
        let changed = tx
            .execute(
                "UPDATE audits SET status = ?2, finalized_at = ?3 WHERE id = ?1",
                params![audit_id, status.as_str(), finalized_at],
            )
            .map_err(sql(path))?;
        if changed != 1 {
            return Err(crate::state(path, format!("there is no audit {audit_id}")));
        }
        tx.commit().map_err(sql(path))?;
        Ok(())
    }

    /// The audit called `name`, if there is one.
    pub fn find_audit(&self, name: &str) -> Result<Option<AuditRecord>, HistoryError> {
        audit_where(&self.conn, &self.path, "WHERE name = ?1", &[&name])
    }

    /// The audit numbered `id` (a run's audit).
    pub fn audit_by_id(&self, id: i64) -> Result<Option<AuditRecord>, HistoryError> {
        audit_where(&self.conn, &self.path, "WHERE id = ?1", &[&id])
    }

    /// The most recently created audit (highest id): what commands act on by default.
    pub fn latest_audit(&self) -> Result<Option<AuditRecord>, HistoryError> {
        audit_where(&self.conn, &self.path, "ORDER BY id DESC LIMIT 1", &[])
    }
}
