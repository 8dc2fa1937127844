//! Stub.

use super::{Check, Policy};
use crate::snapshot::Snapshot;
use crate::{CheckId, Finding, RemediationCategory, Severity};

/// Stub.
pub const CHECK: Check = Check {
    id: CheckId::Extra(7),
    title: "stub",
    severity: Severity::Info,
    rationale: "stub stub stub stub stub stub",
    references: &[],
    remediation: RemediationCategory::None,
    rule,
};

fn rule(_check: &Check, _s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    Vec::new()
}
