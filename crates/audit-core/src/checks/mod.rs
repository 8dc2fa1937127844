//! The check catalogue: every requirement (`R01`–`R28`) and extra check (`X01`–`X09`) as
//! metadata plus one rule. A rule reads a [`Snapshot`] and a [`Policy`] and returns findings;
//! it never does I/O, so each is tested with a snapshot built in a few lines.

use crate::snapshot::Snapshot;
use crate::{CheckId, Finding, RemediationCategory, Severity};

/// The settings rules depend on, from the audit configuration's thresholds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Major versions below this FAIL R02 (default 15 = SQL Server 2019).
    pub minimum_major_version: u16,
    /// Latest known build per release name ("2019" → 15.0.4415.2), overridable in config.
    pub latest_builds: Vec<(String, crate::BuildNumber)>,
    /// A user database whose last full backup is older than this FAILs X02.
    pub backup_max_age_days: u32,
    /// … older than this WARNs.
    pub backup_warn_age_days: u32,
    /// Database name patterns (`*` wildcards, case-insensitive) that count as test or sample
    /// databases (R15).
    pub test_database_patterns: Vec<String>,
    /// Protocols allowed to be enabled (R17): `tcp`, `shared_memory`, `named_pipes`, `via`.
    pub allowed_protocols: Vec<String>,
    /// The audit's "now", `YYYY-MM-DD hh:mm:ss`, so that ages are reproducible in tests.
    pub now: String,
}

/// One check: what it is and its rule.
pub struct Check {
    /// Its id.
    pub id: CheckId,
    /// A short title, as the workbook and the summary show it.
    pub title: &'static str,
    /// Severity of its FAIL/WARN findings.
    pub severity: Severity,
    /// Why it matters, in a sentence or two for the auditor.
    pub rationale: &'static str,
    /// CIS benchmark / DISA STIG references where known.
    pub references: &'static [&'static str],
    /// How its findings are fixed.
    pub remediation: RemediationCategory,
    /// The rule.
    pub rule: fn(&Check, &Snapshot, &Policy) -> Vec<Finding>,
}

// INTERIM (replaced when the catalogue lands): an empty catalogue so that the audit command
// can be built and tested end to end.
/// Every check, in id order.
pub fn catalogue() -> &'static [&'static Check] {
    &[]
}

/// Every check's findings for one snapshot.
pub fn evaluate(_snapshot: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    Vec::new()
}

impl Policy {
    /// The built-in defaults.
    pub fn defaults(now: &str) -> Policy {
        Policy {
            minimum_major_version: 15,
            latest_builds: Vec::new(),
            backup_max_age_days: 7,
            backup_warn_age_days: 2,
            test_database_patterns: Vec::new(),
            allowed_protocols: vec!["tcp".into(), "shared_memory".into()],
            now: now.to_owned(),
        }
    }
}
