//! X64 – the public database role holds no permission beyond SQL Server's defaults
//! (Vulnerability Assessment VA1054, VA1095).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, PermissionInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Database-level permissions SQL Server grants public in every database: the Always Encrypted
/// key metadata (learn.microsoft.com: "Permissions for Always Encrypted" — "granted to public by
/// default", 2016+).
const DEFAULT_DATABASE_GRANTS: [&str; 2] = [
    "VIEW ANY COLUMN ENCRYPTION KEY DEFINITION",
    "VIEW ANY COLUMN MASTER KEY DEFINITION",
];

/// Every user of a database is a member of public: what public holds, every user holds,
/// including users created for other purposes and guest.
pub const CHECK: Check = Check {
    id: CheckId::new("X64"),
    title: "public database role holds no permission beyond the defaults",
    severity: Severity::Medium,
    rationale: "Every database user, and guest where it may connect, is a member of public and \
                cannot be removed from it. A permission granted to public on a table, a schema or \
                the database is therefore granted to all of them. SQL Server's own grants to \
                public (the system views, the Always Encrypted key metadata) are not flagged. \
                System databases are left out: their public grants are SQL Server's own and \
                extended procedures in master are judged by X45–X47.",
    outcomes: Outcomes {
        pass: "one row: public holds nothing beyond the defaults in any user database read",
        fail_or_warn: "FAIL (medium): each permission granted to public on a user object, a schema or the database",
        other: "UNKNOWN: the databases' permissions unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA1054", "VA1095"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on("permission", Sheet::PermissionGrants)],
    remediation: RemediationCategory::Review,
    rule,
};

/// A GRANT to public that SQL Server does not make itself: on an object outside the `sys` and
/// `INFORMATION_SCHEMA` schemas, on a schema, or on the database (except the defaults).
pub(crate) fn is_excess_public_grant(p: &PermissionInfo) -> bool {
    if !same_name(&p.grantee, "public") || !p.state.to_uppercase().starts_with("GRANT") {
        return false;
    }
    let class = p.class.to_uppercase();
    if class == "DATABASE" {
        return !DEFAULT_DATABASE_GRANTS
            .iter()
            .any(|d| d.eq_ignore_ascii_case(p.permission.trim()));
    }
    if class == "OBJECT_OR_COLUMN" {
        let schema = p.securable.split('.').next().unwrap_or("");
        return !["sys", "INFORMATION_SCHEMA"]
            .iter()
            .any(|s| same_name(s, schema));
    }
    true
}

/// Each excess grant to public in a user database → FAIL; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details.iter().filter(|d| !is_system_database(&d.database)) {
        for p in d.permissions.iter().filter(|p| is_excess_public_grant(p)) {
            let on = if p.securable.is_empty() {
                p.class.clone()
            } else {
                format!("{} {}", p.class, p.securable)
            };
            out.push(
                check
                    .finding(
                        Status::Fail,
                        "permission",
                        permission_entity(Some(&d.database), p),
                        permission_key(Some(&d.database), p),
                    )
                    .message(format!(
                        "public is granted {} on {on} in database `{}`: every user of the \
                         database holds it. Revoke it and grant it to a role whose members need it.",
                        p.permission, d.database
                    ))
                    .ev("database", &d.database)
                    .ev("permission", &p.permission)
                    .ev("state", &p.state)
                    .fix(revoke(&d.database, p))
                    .ev("securable", on)
                    .done(),
            );
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "public holds no permission beyond SQL Server's defaults in the user databases of {}.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn on(p: PermissionInfo, securable: &str) -> PermissionInfo {
        PermissionInfo {
            securable: securable.into(),
            ..p
        }
    }

    #[test]
    fn defaults_pass() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.database_details)[4];
        sales.permissions.push(on(
            permission("public", "SELECT", "GRANT", "OBJECT_OR_COLUMN"),
            "sys.objects",
        ));
        sales.permissions.push(permission(
            "public",
            "VIEW ANY COLUMN MASTER KEY DEFINITION",
            "GRANT",
            "DATABASE",
        ));
        single(&run(&CHECK, &s), Status::Pass);
    }

    #[test]
    fn grants_on_user_objects_schemas_and_the_database_fail() {
        let mut s = compliant_snapshot();
        let details = edit(&mut s.database_details);
        let sales = &mut details[4];
        sales.permissions.push(on(
            permission("public", "SELECT", "GRANT", "OBJECT_OR_COLUMN"),
            "dbo.Customers",
        ));
        sales.permissions.push(on(
            permission("public", "EXECUTE", "GRANT", "SCHEMA"),
            "dbo",
        ));
        sales
            .permissions
            .push(permission("public", "CREATE TABLE", "GRANT", "DATABASE"));
        sales.permissions.push(on(
            permission("public", "SELECT", "DENY", "OBJECT_OR_COLUMN"),
            "dbo.Salaries",
        ));
        // msdb's own grants to public are SQL Server's.
        details[3].permissions.push(on(
            permission("public", "EXECUTE", "GRANT", "OBJECT_OR_COLUMN"),
            "dbo.sp_help_alert",
        ));
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Fail; 3]);
        assert!(
            f[0].message
                .contains("SELECT on OBJECT_OR_COLUMN dbo.Customers")
        );
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
