//! X62 – no empty user-defined roles in user databases (Vulnerability Assessment VA1282).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on_row};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// A role without members still holds its grants: the next person added to it gets them,
/// often without anyone reviewing what they are.
pub const CHECK: Check = Check {
    id: CheckId::new("X62"),
    title: "No empty user-defined database roles",
    severity: Severity::Low,
    rationale: "A user-defined role that has no member any more keeps its permissions. Whoever is \
                added to it next receives them, usually without a review of what the role was \
                granted years ago. Drop roles nobody uses. System databases are left out: msdb \
                ships with roles (SQLAgent…, db_ssis…, DatabaseMailUserRole) that are empty until \
                a feature needs them.",
    outcomes: Outcomes {
        pass: "one row: every user-defined role of the user databases read has a member",
        fail_or_warn: "WARN (low): each user-defined role without members, with the number of its explicit permissions",
        other: "UNKNOWN: the databases' principals or role memberships unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA1282"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on_row("db_role", Sheet::Instances, "instance:")],
    remediation: RemediationCategory::Review,
    rule,
};

/// Each role (type R, not fixed, not public) of a user database that is no role's `role` in
/// `database_role_members` → WARN; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details.iter().filter(|d| !is_system_database(&d.database)) {
        for r in d.principals.iter().filter(|p| {
            p.kind == "R"
                && !p.fixed_role
                && !same_name(&p.name, "public")
                && !is_fixed_database_role(&p.name)
                && !d.role_members.iter().any(|m| same_name(&m.role, &p.name))
        }) {
            let grants = d
                .permissions
                .iter()
                .filter(|p| same_name(&p.grantee, &r.name))
                .count();
            out.push(
                check
                    .finding(
                        Status::Warn,
                        "db_role",
                        format!("{}.{}", d.database, r.name),
                        entity_key("db_role", &[&d.database, &r.name]),
                    )
                    .message(format!(
                        "Role `{}` in database `{}` has no member but keeps {grants} explicit \
                         permission(s): the next member gets them unreviewed. Drop it (DROP ROLE) \
                         if nobody needs it.",
                        r.name, d.database
                    ))
                    .ev("database", &d.database)
                    .ev("role", &r.name)
                    .ev("explicit_permissions", grants)
                    .done(),
            );
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "Every user-defined role in the user databases of {} has a member.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::DatabasePrincipal;

    fn role(name: &str) -> DatabasePrincipal {
        DatabasePrincipal {
            sid: None,
            login: None,
            can_connect: false,
            authentication_type: None,
            ..user(name, "R", "0x00", None)
        }
    }

    #[test]
    fn roles_with_members_pass() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.database_details)[4];
        sales.principals.push(role("sales_readers"));
        sales
            .role_members
            .push(member("sales_readers", "report_user", "S"));
        single(&run(&CHECK, &s), Status::Pass);
    }

    #[test]
    fn an_empty_role_warns_but_not_in_msdb() {
        let mut s = compliant_snapshot();
        let details = edit(&mut s.database_details);
        details[4].principals.push(role("old_auditors"));
        details[4]
            .permissions
            .push(permission("old_auditors", "SELECT", "GRANT", "SCHEMA"));
        details[3].principals.push(role("SQLAgentUserRole"));
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Warn);
        assert_eq!(hit.entity_key, "db_role:salesdb/old_auditors");
        assert_eq!(hit.evidence["explicit_permissions"], "1");
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
