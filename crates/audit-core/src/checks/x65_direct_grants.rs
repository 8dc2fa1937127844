//! X65 – permissions are granted to roles, not directly to logins and users (Vulnerability
//! Assessment VA1068, VA1094).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, PermissionInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Rights granted person by person are hard to review and outlive the job they were for;
/// granted to a role, they are reviewed once and follow membership.
pub const CHECK: Check = Check {
    id: CheckId::new("X65"),
    title: "Permissions granted to roles, not directly to logins and users",
    severity: Severity::Low,
    rationale: "A permission granted straight to a login or a database user has to be found and \
                revoked one by one when the person changes jobs, and reviews cannot see who holds \
                what by looking at roles. Vulnerability Assessment and the STIG's least-privilege \
                rules want rights granted to roles and people made members of them. CONNECT SQL \
                and database CONNECT (what every login and user has) are not flagged, nor SQL \
                Server's own service principals.",
    outcomes: Outcomes {
        pass: "one row: no login or user holds an explicit permission besides CONNECT",
        fail_or_warn: "none: the rule asks for a review",
        other: "REVIEW (low): each permission granted directly to a login (server) or a user (database); UNKNOWN: server or database permissions unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA1068", "VA1094"],
        ..References::NONE
    },
    reads: &[FactId::ServerPermissions, FactId::DatabaseDetails],
    placement: &[on("permission", Sheet::PermissionGrants)],
    remediation: RemediationCategory::Review,
    rule,
};

/// A grant (not DENY) to a principal that is a person or an account, not a role, other than
/// the CONNECT every principal has.
fn is_direct(p: &PermissionInfo, connect: &str) -> bool {
    p.state.to_uppercase().starts_with("GRANT")
        && !matches!(p.grantee_kind.trim(), "R" | "A")
        && !p.permission.trim().eq_ignore_ascii_case(connect)
        && !is_system_grantee(&p.grantee)
        && !is_builtin_service_principal(&p.grantee)
        && !["dbo", "guest", "public"]
            .iter()
            .any(|n| same_name(n, &p.grantee))
}

/// Each direct grant on the server or in a database → REVIEW; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let mut out = Vec::new();
    let mut review = |database: Option<&str>, p: &PermissionInfo| {
        let mut draft = check
            .finding(
                Status::Review,
                "permission",
                permission_entity(database, p),
                permission_key(database, p),
            )
            .message(format!(
                "{} is granted {} directly{}. Grant it to a role and make `{}` a member, so that \
                 it is reviewed with the role and leaves with the membership.",
                p.grantee,
                permission_entity(None, p)
                    .split_once(": ")
                    .map_or(p.permission.as_str(), |(_, rest)| rest),
                database.map_or_else(String::new, |db| format!(" in database `{db}`")),
                p.grantee
            ))
            .ev("grantee_type", &p.grantee_kind)
            .ev("permission", &p.permission)
            .ev("state", &p.state);
        if let Some(db) = database {
            draft = draft.ev("database", db);
        }
        out.push(draft.done());
    };
    if let Some(perms) = gaps.take("server_permissions", &s.server_permissions) {
        for p in perms.iter().filter(|p| is_direct(p, "CONNECT SQL")) {
            review(None, p);
        }
    }
    if let Some(details) = gaps.take("database_details", &s.database_details) {
        for d in details {
            for p in d.permissions.iter().filter(|p| is_direct(p, "CONNECT")) {
                review(Some(&d.database), p);
            }
        }
    }
    let unknown = gaps.unknown(check, s);
    if out.is_empty() && unknown.is_none() {
        out.push(
            check
                .instance_finding(s, Status::Pass)
                .message(format!(
                    "No login or user of {} holds a permission besides CONNECT directly.",
                    instance_name(s)
                ))
                .done(),
        );
    }
    out.extend(unknown);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn connect_and_role_grants_pass() {
        let mut s = compliant_snapshot();
        edit(&mut s.server_permissions).push(permission("app", "CONNECT SQL", "GRANT", "SERVER"));
        edit(&mut s.server_permissions).push(permission(
            "NT SERVICE\\SQLWriter",
            "VIEW SERVER STATE",
            "GRANT",
            "SERVER",
        ));
        let sales = &mut edit(&mut s.database_details)[4];
        sales.permissions.push(PermissionInfo {
            grantee_kind: "R".into(),
            ..permission("sales_readers", "SELECT", "GRANT", "SCHEMA")
        });
        sales
            .permissions
            .push(permission("report_user", "SELECT", "DENY", "SCHEMA"));
        single(&run(&CHECK, &s), Status::Pass);
    }

    #[test]
    fn direct_grants_are_reviewed_on_server_and_database() {
        let mut s = compliant_snapshot();
        edit(&mut s.server_permissions).push(permission(
            "monitor",
            "VIEW SERVER STATE",
            "GRANT",
            "SERVER",
        ));
        edit(&mut s.database_details)[4]
            .permissions
            .push(PermissionInfo {
                securable: "dbo.Orders".into(),
                ..permission(
                    "report_user",
                    "SELECT",
                    "GRANT_WITH_GRANT_OPTION",
                    "OBJECT_OR_COLUMN",
                )
            });
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Review, Status::Review]);
        assert!(
            f[1].message
                .contains("SELECT on OBJECT_OR_COLUMN dbo.Orders directly in database `SalesDB`")
        );
    }

    #[test]
    fn unreadable_part_is_unknown() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
