//! X84 – user databases that nobody uses except through dbo are listed (Vulnerability
//! Assessment VA1143).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// When a database has no user of its own, every application that uses it connects as its
/// owner (dbo) or as a sysadmin: nothing it does is limited.
pub const CHECK: Check = Check {
    id: CheckId::new("X84"),
    title: "User databases used only through dbo listed",
    severity: Severity::Low,
    rationale: "Vulnerability Assessment asks that dbo not be the identity of normal operation. \
                A user database without any user besides dbo (and the built-in guest, sys, \
                INFORMATION_SCHEMA) can only be used by its owner or by sysadmins, which usually \
                means the application connects with the owner's or an administrator's login. \
                Listed for information: give the application a user of its own with the rights \
                it needs.",
    outcomes: Outcomes {
        pass: "one row: every user database has a user besides dbo",
        fail_or_warn: "none",
        other: "INFO (low): each online user database whose only user is dbo; UNKNOWN: the databases unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA1143"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on("database", Sheet::Databases)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per user database whose principals of type S, U, G, C, K, E, X are only dbo and the
/// built-in ones → INFO; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details.iter().filter(|d| !is_system_database(&d.database)) {
        let users = d
            .principals
            .iter()
            .filter(|p| !matches!(p.kind.as_str(), "R" | "A") && p.principal_id > 4)
            .count();
        if users == 0 {
            out.push(
                check
                    .finding(Status::Info, "database", d.database.clone(), database_key(&d.database))
                    .ev("users_besides_dbo", 0)
                    .message(format!(
                        "Database `{}` has no user besides dbo: whoever uses it does so as its owner \
                         or as a sysadmin. Give the application a user of its own with only the \
                         rights it needs.",
                        d.database
                    ))
                    .done(),
            );
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "Every user database of {} has users besides dbo.",
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
    fn a_database_with_users_passes_one_without_is_listed() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.database_details)[4];
        sales.principals.retain(|p| p.principal_id <= 4);
        let f = run(&CHECK, &s);
        assert_eq!(single(&f, Status::Info).entity, "SalesDB");
        edit(&mut s.database_details)[4]
            .principals
            .push(user("app", "S", "0x0105", Some("app")));
        single(&run(&CHECK, &s), Status::Pass);
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
