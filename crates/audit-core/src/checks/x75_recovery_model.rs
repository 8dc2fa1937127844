//! X75 – user databases in SIMPLE recovery reviewed (dbachecks RecoveryModel; STIG
//! SQL6-D0-001500 / SQLD-22-001500, the recovery-plan part).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// In SIMPLE recovery a restore can only go back to the last full or differential backup:
/// everything since is lost. That is a decision the data's owner makes, not a default.
pub const CHECK: Check = Check {
    id: CheckId::new("X75"),
    title: "User databases in SIMPLE recovery reviewed",
    severity: Severity::Low,
    rationale: "The STIG requires that a database can be restored to the state its recovery \
                plan promises; dbachecks expects FULL recovery. In SIMPLE recovery there are no \
                log backups, so a failure loses every change since the last full or differential \
                backup. That is acceptable for staging or reporting copies and not for most \
                production data: each user database in SIMPLE recovery is a review item for its \
                owner (approve it as an exception, or switch to FULL and schedule log backups).",
    outcomes: Outcomes {
        pass: "one row: every user database is in FULL or BULK_LOGGED recovery",
        fail_or_warn: "none: the rule asks for a review",
        other: "REVIEW (low): each online user database in SIMPLE recovery; UNKNOWN: databases unreadable",
    },
    family: Family::DataProtection,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-001500"],
        stig_2022: &["SQLD-22-001500"],
        dbachecks: &["RecoveryModel"],
        ..References::NONE
    },
    reads: &[FactId::Databases],
    placement: &[on("database", Sheet::Backups)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per online user database in SIMPLE recovery → REVIEW; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(databases) = gaps.take("databases", &s.databases) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for db in databases.iter().filter(|d| {
        !d.is_system()
            && d.state.eq_ignore_ascii_case("ONLINE")
            && d.recovery_model.eq_ignore_ascii_case("SIMPLE")
    }) {
        out.push(
            check
                .finding(Status::Review, "database", db.name.clone(), database_key(&db.name))
                .ev("recovery_model", &db.recovery_model)
                .ev("last_full_backup", db.last_full_backup.as_deref().unwrap_or("never"))
                .message(format!(
                    "Database `{}` is in SIMPLE recovery: a restore loses every change since its last \
                     full or differential backup. Confirm with its owner that this is acceptable, or \
                     switch to FULL recovery and schedule log backups.",
                    db.name
                ))
                .done(),
        );
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "Every user database of {} is in FULL or BULK_LOGGED recovery.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn full_recovery_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn simple_recovery_is_reviewed_but_not_for_system_databases() {
        let mut s = compliant_snapshot();
        edit(&mut s.databases)[4].recovery_model = "SIMPLE".into();
        let f = run(&CHECK, &s);
        assert_eq!(single(&f, Status::Review).entity, "SalesDB");
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.databases = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
