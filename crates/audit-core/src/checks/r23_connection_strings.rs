//! R23 – application connection strings are encrypted (manual attestation).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// Connection strings live in application servers' files, invisible to SQL Server: the only
/// honest finding is a row a person attests to.
pub const CHECK: Check = Check {
    id: CheckId::new("R23"),
    title: "Application connection strings protected (attestation)",
    severity: Severity::Medium,
    rationale: "Applications must keep their connection strings encrypted (DPAPI, protected configuration, \
                a secrets vault) and connect with encryption. This cannot be seen from SQL Server: the \
                application owners attest to it, and the auditor records the evidence in the \
                justification.",
    outcomes: Outcomes {
        pass: "–",
        fail_or_warn: "–",
        other: "REVIEW: one manual attestation row per instance (SQL Server cannot see application configuration)",
    },
    family: Family::Authentication,
    applies_to: Applicability::ALL,
    references: References::NONE,
    reads: &[FactId::ForceEncryption],
    placement: &[on("attestation", Sheet::AuditSettings)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Always one REVIEW row per instance (key `attestation:connection_strings`), with the facts the
/// server does know (Force Encryption, the audit session's own encryption) as evidence.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let force = match &s.force_encryption {
        Ok(on) => yes_no(*on).to_owned(),
        Err(why) => format!("unavailable: {}", why.reason),
    };
    vec![
        check
            .finding(
                Status::Review,
                "attestation",
                format!("{}: application connection strings", instance_name(s)),
                entity_key("attestation", &["connection_strings"]),
            )
            .message(format!(
                "Attest that every application connecting to {} keeps its connection string encrypted and connects with Encrypt=True; SQL Server cannot see this.",
                instance_name(s)
            ))
            .ev("force_encryption", force)
            .ev("audit_session_encrypted", yes_no(s.connection.encrypted))
            .done(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn always_one_review_row() {
        let f = run(&CHECK, &compliant_snapshot());
        let f = single(&f, Status::Review);
        assert_eq!(f.entity_key, "attestation:connection_strings");
        assert_eq!(f.remediation_category, RemediationCategory::Manual);
        assert!(f.message.contains("SQLHOST\\PROD"));
        let f = run(&CHECK, &unavailable_snapshot());
        assert!(single(&f, Status::Review).evidence["force_encryption"].starts_with("unavailable"));
    }
}
