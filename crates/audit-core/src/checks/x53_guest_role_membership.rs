//! X53 – the guest user is a member of no database role (Vulnerability Assessment VA1020).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// guest stands for every login without a user of its own in the database: a role guest is a
/// member of is granted to all of them.
pub const CHECK: Check = Check {
    id: CheckId::new("X53"),
    title: "guest is a member of no database role",
    severity: Severity::High,
    rationale: "A login with no user of its own in a database enters it as guest when guest may \
                connect. A role guest belongs to therefore hands its rights (db_datareader: every \
                table; db_owner: the database) to every login of the instance, and stays in place \
                even when guest's CONNECT is revoked, ready for the day it is granted again.",
    outcomes: Outcomes {
        pass: "one row: guest is in no role of any database read",
        fail_or_warn: "FAIL (high): each role guest is a member of, per database",
        other: "UNKNOWN: the databases' principals unreadable (per database where the audit login could not enter)",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA1020"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on("db_role_member", Sheet::DatabaseRoles)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per database role membership whose member is guest → FAIL; none → one PASS.
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
            .filter(|m| same_name(&m.member, "guest"))
        {
            out.push(
                check
                    .finding(
                        Status::Fail,
                        "db_role_member",
                        format!("{}: {} \u{2192} guest", d.database, m.role),
                        entity_key("db_role_member", &[&d.database, &m.role, &m.member]),
                    )
                    .message(format!(
                        "guest is a member of {} in database `{}`: every login without a user there \
                         gets that role's rights whenever guest may connect. Remove it (ALTER ROLE \
                         [{}] DROP MEMBER guest) and grant the role to the users who need it.",
                        m.role,
                        d.database,
                        m.role.replace(']', "]]")
                    ))
                    .ev("database", &d.database)
                    .ev("role", &m.role)
                    .ev("member", &m.member)
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
            "guest is a member of no database role on {}.",
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
    fn no_membership_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn guest_in_a_role_fails_high() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.database_details)[4];
        sales
            .role_members
            .push(member("db_datareader", "guest", "S"));
        sales.role_members.push(member("db_owner", "app_user", "S"));
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Fail);
        assert_eq!(hit.severity, Severity::High);
        assert_eq!(hit.entity_key, "db_role_member:salesdb/db_datareader/guest");
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
