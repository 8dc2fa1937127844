//! X61 – user-defined database roles are not members of fixed database roles (Vulnerability
//! Assessment VA1248).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// A role nested in db_owner (or any fixed role) hands that role to every member the role gets
/// later, out of sight of whoever reviews the fixed role's members.
pub const CHECK: Check = Check {
    id: CheckId::new("X61"),
    title: "User-defined roles are not members of fixed database roles",
    severity: Severity::Medium,
    rationale: "When a user-defined role is made a member of a fixed database role (db_owner, \
                db_securityadmin, db_datawriter …), everyone later added to the user-defined role \
                silently receives the fixed role too, and a review of the fixed role's members \
                shows only the role's name. Grant the permissions the role needs to the role \
                itself instead.",
    outcomes: Outcomes {
        pass: "one row: no user-defined role is a member of a fixed role in any database read",
        fail_or_warn: "FAIL (medium): each user-defined role that is a member of a fixed database role",
        other: "UNKNOWN: the databases' role memberships unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA1248"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on("db_role_member", Sheet::DatabaseRoles)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Each membership of a role principal (type R, not fixed, not public) in a fixed database
/// role → FAIL; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details {
        for m in d.role_members.iter().filter(|m| {
            m.member_kind == "R"
                && is_fixed_database_role(&m.role)
                && !is_fixed_database_role(&m.member)
        }) {
            let users = d
                .role_members
                .iter()
                .filter(|n| same_name(&n.role, &m.member))
                .count();
            out.push(
                check
                    .finding(
                        Status::Fail,
                        "db_role_member",
                        format!("{}: {} \u{2192} {}", d.database, m.role, m.member),
                        entity_key("db_role_member", &[&d.database, &m.role, &m.member]),
                    )
                    .message(format!(
                        "Role `{}` is a member of fixed role {} in database `{}`: its {users} member(s), \
                         and anyone added later, hold {} without appearing among its members. \
                         Remove it (ALTER ROLE [{}] DROP MEMBER [{}]) and grant the role what it needs.",
                        m.member,
                        m.role,
                        d.database,
                        m.role,
                        m.role.replace(']', "]]"),
                        m.member.replace(']', "]]"),
                    ))
                    .ev("database", &d.database)
                    .ev("fixed_role", &m.role)
                    .ev("role", &m.member)
                    .ev("role_members", users)
                    .fix(crate::Fix::DropDatabaseRoleMember {
                        database: d.database.clone(),
                        role: m.role.clone(),
                        member: m.member.clone(),
                    })
                    .done(),
            );
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "No user-defined role is a member of a fixed database role on {}.",
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
    fn users_in_fixed_roles_pass() {
        let mut s = compliant_snapshot();
        edit(&mut s.database_details)[4].role_members.push(member(
            "db_datareader",
            "report_user",
            "S",
        ));
        single(&run(&CHECK, &s), Status::Pass);
    }

    #[test]
    fn a_role_nested_in_db_owner_fails() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.database_details)[4];
        sales
            .role_members
            .push(member("db_owner", "app_admins", "R"));
        sales.role_members.push(member("app_admins", "alice", "U"));
        sales
            .role_members
            .push(member("sales_readers", "report_role", "R"));
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Fail);
        assert_eq!(hit.entity_key, "db_role_member:salesdb/db_owner/app_admins");
        assert_eq!(hit.evidence["role_members"], "1");
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
