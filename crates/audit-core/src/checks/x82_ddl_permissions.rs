//! X82 – rights to create and change database code and structure are reviewed (STIG
//! SQL6-D0-001100, SQL6-D0-001400 / SQLD-22-001400, SQL6-D0-003000).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, PermissionInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Database permissions that let a principal create or change modules, tables and schemas
/// (learn.microsoft.com: "Permissions (Database Engine)", database and schema permissions).
const DDL: [&str; 14] = [
    "ALTER",
    "ALTER ANY SCHEMA",
    "CREATE ASSEMBLY",
    "CREATE DEFAULT",
    "CREATE FUNCTION",
    "CREATE PROCEDURE",
    "CREATE RULE",
    "CREATE SCHEMA",
    "CREATE SYNONYM",
    "CREATE TABLE",
    "CREATE TYPE",
    "CREATE VIEW",
    "CREATE AGGREGATE",
    "CREATE XML SCHEMA COLLECTION",
];

/// Whoever can change code changes what every caller runs: the STIG wants these rights held by
/// the few roles documented for it.
pub const CHECK: Check = Check {
    id: CheckId::new("X82"),
    title: "Rights to create and change database code reviewed",
    severity: Severity::Medium,
    rationale: "CREATE PROCEDURE / FUNCTION / VIEW / TABLE / ASSEMBLY, ALTER on the database or a \
                schema and ALTER ANY SCHEMA let a principal change the code and structure other \
                people use. The STIG limits them to documented roles (SQL6-D0-001100, \
                SQL6-D0-001400) and forbids user installation of logic modules (SQL6-D0-003000). \
                Each explicit grant is a review item; db_ddladmin and db_owner members are \
                reviewed by X07.",
    outcomes: Outcomes {
        pass: "one row: no explicit create/alter grant in any database read",
        fail_or_warn: "none: the rule asks for a review",
        other: "REVIEW (medium): each explicit GRANT of a create or alter permission on a database or schema; UNKNOWN: the databases' permissions unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-001100", "SQL6-D0-001400", "SQL6-D0-003000"],
        stig_2022: &["SQLD-22-001400"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on("permission", Sheet::PermissionGrants)],
    remediation: RemediationCategory::Review,
    rule,
};

/// A GRANT of a [`DDL`] permission on a database or a schema, to anyone but dbo and SQL
/// Server's own principals.
fn is_ddl_grant(p: &PermissionInfo) -> bool {
    p.state.to_uppercase().starts_with("GRANT")
        && matches!(p.class.to_uppercase().as_str(), "DATABASE" | "SCHEMA")
        && DDL
            .iter()
            .any(|d| d.eq_ignore_ascii_case(p.permission.trim()))
        && !same_name(&p.grantee, "dbo")
        && !is_system_grantee(&p.grantee)
}

/// Each such grant → REVIEW; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details {
        for p in d.permissions.iter().filter(|p| is_ddl_grant(p)) {
            let on = if p.securable.is_empty() {
                format!("database `{}`", d.database)
            } else {
                format!("schema `{}` of `{}`", p.securable, d.database)
            };
            out.push(
                check
                    .finding(
                        Status::Review,
                        "permission",
                        permission_entity(Some(&d.database), p),
                        permission_key(Some(&d.database), p),
                    )
                    .ev("database", &d.database)
                    .ev("permission", &p.permission)
                    .ev("state", &p.state)
                    .message(format!(
                        "{} may {} in {on}: it can change code or structure others use. Confirm the \
                         grant is documented for a deployment role; revoke it otherwise.",
                        p.grantee,
                        p.permission.to_lowercase()
                    ))
                    .done(),
            );
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "No principal of {} holds an explicit right to create or change database code.",
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
    fn no_grant_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn create_and_alter_grants_are_reviewed() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.database_details)[4];
        sales.permissions.push(permission(
            "deployer",
            "CREATE PROCEDURE",
            "GRANT",
            "DATABASE",
        ));
        sales.permissions.push(PermissionInfo {
            securable: "dbo".into(),
            ..permission("dev", "ALTER", "GRANT", "SCHEMA")
        });
        sales.permissions.push(permission(
            "report_user",
            "CREATE TABLE",
            "DENY",
            "DATABASE",
        ));
        sales.permissions.push(PermissionInfo {
            securable: "dbo.Orders".into(),
            ..permission("etl", "ALTER", "GRANT", "OBJECT_OR_COLUMN")
        });
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Review, Status::Review]);
        assert!(f[1].message.contains("schema `dbo` of `SalesDB`"));
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
