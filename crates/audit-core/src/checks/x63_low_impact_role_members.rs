//! X63 – members of the data-access fixed database roles reviewed (Vulnerability Assessment
//! VA2109).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// The roles that read, write or block every table of a database: VA2109 calls them low
/// impact, but db_datareader is every row and db_datawriter every change.
const DATA_ROLES: [&str; 4] = [
    "db_datareader",
    "db_datawriter",
    "db_denydatareader",
    "db_denydatawriter",
];

/// Whole-database read and write rights should be held by the few principals whose job needs
/// them; each membership is confirmed by a person and then approved.
pub const CHECK: Check = Check {
    id: CheckId::new("X63"),
    title: "Members of db_datareader / db_datawriter / db_deny* reviewed",
    severity: Severity::Low,
    rationale: "db_datareader reads every table and view of the database, db_datawriter changes \
                every one of them; the deny roles block them. Membership is easy to grant and \
                rarely revisited. Vulnerability Assessment asks that the members be kept to a \
                minimal, approved set: each membership is a review item (approve it once as an \
                exception; a new member shows up as new).",
    outcomes: Outcomes {
        pass: "one row: no member in these roles in any database read",
        fail_or_warn: "none: the rule asks for a review",
        other: "REVIEW (low): each member of db_datareader, db_datawriter, db_denydatareader or db_denydatawriter; UNKNOWN: role memberships unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA2109"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on("db_role_member", Sheet::DatabaseRoles)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Each membership in one of [`DATA_ROLES`] → REVIEW; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details {
        for m in d
            .role_members
            .iter()
            .filter(|m| DATA_ROLES.iter().any(|r| same_name(r, &m.role)))
        {
            out.push(
                check
                    .finding(
                        Status::Review,
                        "db_role_member",
                        format!("{}: {} \u{2192} {}", d.database, m.role, m.member),
                        entity_key("db_role_member", &[&d.database, &m.role, &m.member]),
                    )
                    .message(format!(
                        "`{}` is a member of {} in database `{}`. Confirm its job needs {} and \
                         approve it, or remove it and grant only the tables it uses.",
                        m.member,
                        m.role,
                        d.database,
                        if m.role.to_lowercase().contains("deny") {
                            "this block on every table"
                        } else if m.role.to_lowercase().contains("writer") {
                            "changing every table"
                        } else {
                            "reading every table"
                        }
                    ))
                    .ev("database", &d.database)
                    .ev("role", &m.role)
                    .ev("member", &m.member)
                    .done(),
            );
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "No principal is a member of the data-access fixed roles on {}.",
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
    fn no_member_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn each_membership_is_reviewed() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.database_details)[4];
        sales
            .role_members
            .push(member("db_datareader", "report_user", "S"));
        sales.role_members.push(member("db_datawriter", "etl", "S"));
        sales
            .role_members
            .push(member("db_owner", "app_admin", "S"));
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Review, Status::Review]);
        assert!(
            by_key(&f, "db_role_member:salesdb/db_datawriter/etl")
                .message
                .contains("changing every table")
        );
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
