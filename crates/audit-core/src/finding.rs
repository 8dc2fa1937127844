//! What a check concludes about one entity.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{CheckId, Severity};

/// A finding's status. One authoritative rule per check decides it; a documented exception
/// changes how a FAIL/WARN is counted, never its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// Compliant.
    Pass,
    /// Not compliant.
    Fail,
    /// Not compliant, less severe or less certain.
    Warn,
    /// Inventory that a human must look at and justify.
    Review,
    /// Inventory only.
    Info,
    /// Could not be evaluated (permission, version, unreachable): never counted as pass or
    /// fixed.
    Unknown,
}

impl Status {
    /// The upper-case name used in files and the workbook.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Warn => "WARN",
            Status::Review => "REVIEW",
            Status::Info => "INFO",
            Status::Unknown => "UNKNOWN",
        }
    }

    /// How much a status needs a person, worst highest: FAIL, WARN, REVIEW, UNKNOWN, PASS,
    /// INFO. The one order for "the worst of several" everywhere (a row's status, keeping one
    /// finding per entity, summaries).
    pub fn rank(self) -> u8 {
        match self {
            Status::Fail => 5,
            Status::Warn => 4,
            Status::Review => 3,
            Status::Unknown => 2,
            Status::Pass => 1,
            Status::Info => 0,
        }
    }

    /// Every status, in display order.
    pub const ALL: [Status; 6] = [
        Status::Fail,
        Status::Warn,
        Status::Review,
        Status::Unknown,
        Status::Info,
        Status::Pass,
    ];
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a finding would be fixed (decides the remediation script's section, step 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemediationCategory {
    /// Safe to apply automatically (sp_configure baselines, guest CONNECT, TRUSTWORTHY off).
    Safe,
    /// Can break things; apply with care (sa rename/disable, CHECK_POLICY on).
    Caution,
    /// Needs a human decision (removing role members, dropping logins, linked servers).
    Review,
    /// A manual step outside T-SQL (upgrades, service accounts, protocols, backups).
    Manual,
    /// Nothing to fix (inventory).
    None,
}

/// One conclusion of one check about one entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The check.
    pub check_id: CheckId,
    /// Its conclusion.
    pub status: Status,
    /// How serious a FAIL/WARN is.
    pub severity: Severity,
    /// What kind of thing it is about: `instance`, `login`, `database`, `db_user`, `config`,
    /// `service`, `protocol`, `linked_server`, `trigger`, `certificate`, `audit`, …
    pub entity_type: String,
    /// The entity as people name it (`SalesDB`, `SalesDB.ghost_user`, `xp_cmdshell`).
    pub entity: String,
    /// A key that identifies the same entity across runs (see [`entity_key`]).
    pub entity_key: String,
    /// One sentence for the reader: what was found and why it matters.
    pub message: String,
    /// The facts that decided it, by name.
    pub evidence: BTreeMap<String, String>,
    /// How it would be fixed.
    pub remediation_category: RemediationCategory,
    /// The fix, when there is one the tool can script; none for PASS, INFO, UNKNOWN and for
    /// findings only a person can resolve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<crate::Fix>,
}

/// The stable key of an entity: its type and identifying parts, each lower-cased (SQL Server's
/// default collation compares names case-insensitively) and escaped so that no name can forge
/// another key: `\` → `\\`, `/` → `\/`. Logins are keyed by SID where the check knows it, so a
/// renamed `sa` stays the same entity.
///
/// ```
/// assert_eq!(audit_core::entity_key("db_user", &["SalesDB", "ghost/user"]), "db_user:salesdb/ghost\\/user");
/// ```
pub fn entity_key(entity_type: &str, parts: &[&str]) -> String {
    let escaped: Vec<String> = parts
        .iter()
        .map(|p| p.to_lowercase().replace('\\', "\\\\").replace('/', "\\/"))
        .collect();
    format!("{entity_type}:{}", escaped.join("/"))
}
