//! X01 – TRUSTWORTHY off in user databases.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// TRUSTWORTHY lets code in the database act with its owner's server-level rights: a db_owner
/// of a TRUSTWORTHY database owned by a sysadmin is a sysadmin.
pub const CHECK: Check = Check {
    id: CheckId::new("X01"),
    title: "TRUSTWORTHY off in user databases",
    severity: Severity::High,
    rationale: "With TRUSTWORTHY ON, impersonated code in the database is trusted at server level, so \
                anyone with db_owner (or CREATE PROCEDURE plus impersonation) can escalate to the \
                owner's server rights, typically sysadmin. msdb is TRUSTWORTHY by design and is exempt.",
    outcomes: Outcomes {
        pass: "user database not TRUSTWORTHY",
        fail_or_warn: "FAIL: TRUSTWORTHY ON (msdb and the other system databases are exempt)",
        other: "UNKNOWN: databases unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("2.9")],
        stig_2016: &["SQL6-D0-000600"],
        stig_2022: &["SQLD-22-000600"],
        va: &["VA1102"],
        dbachecks: &["Trustworthy"],
        sp_blitz: &[137],
    },
    reads: &[FactId::Databases],
    placement: &[on("database", Sheet::Databases)],
    remediation: RemediationCategory::Safe,
    rule,
};

/// Per user database: TRUSTWORTHY ON → FAIL; OFF → PASS. System databases are not evaluated.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(databases) = gaps.take("databases", &s.databases) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for db in databases.iter().filter(|db| !db.is_system()) {
        let owner = db.owner.as_deref().unwrap_or("(unknown owner)");
        let draft = |status| {
            check
                .finding(
                    status,
                    "database",
                    db.name.clone(),
                    entity_key("database", &[&db.name]),
                )
                .ev("trustworthy", yes_no(db.trustworthy))
                .ev("owner", owner)
                .fix(crate::Fix::TrustworthyOff {
                    database: db.name.clone(),
                })
        };
        out.push(if db.trustworthy {
            draft(Status::Fail)
                .message(format!(
                    "Database `{}` is TRUSTWORTHY (owner `{owner}`): its db_owners can act with the owner's server rights. SET TRUSTWORTHY OFF.",
                    db.name
                ))
                .done()
        } else {
            draft(Status::Pass).message(format!("Database `{}` is not TRUSTWORTHY.", db.name)).done()
        });
    }
    check.pass_if_none(
        &mut out,
        s,
        format!("{} has no user database.", instance_name(s)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn off_passes_and_msdb_is_exempt() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "database:salesdb");
    }

    #[test]
    fn on_fails() {
        let mut s = compliant_snapshot();
        edit(&mut s.databases)[4].trustworthy = true;
        let f = run(&CHECK, &s);
        let f = single(&f, Status::Fail);
        assert_eq!(
            (f.severity, f.remediation_category),
            (Severity::High, RemediationCategory::Safe)
        );
        assert!(f.message.contains("SalesDB") && f.message.contains("sa_renamed"));
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        s.databases = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
