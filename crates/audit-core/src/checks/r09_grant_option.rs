//! R09 – no permission is granted WITH GRANT OPTION.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, PermissionInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// WITH GRANT OPTION lets the grantee hand the permission on to anyone, outside the DBA's
/// control.
pub const CHECK: Check = Check {
    id: CheckId::new("R09"),
    title: "No permissions WITH GRANT OPTION",
    severity: Severity::Medium,
    rationale: "A permission granted WITH GRANT OPTION can be re-granted by its holder to any other \
                principal, so access spreads without the DBA's knowledge. Grant permissions without it \
                (REVOKE GRANT OPTION FOR ... CASCADE).",
    outcomes: Outcomes {
        pass: "one row: nothing granted WITH GRANT OPTION",
        fail_or_warn: "FAIL: each server or database permission in state GRANT_WITH_GRANT_OPTION",
        other: "UNKNOWN: server or database permissions unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-002800", "SQL6-D0-010400", "SQL6-D0-011400"],
        stig_2022: &["SQLI-22-010400", "SQLI-22-011400", "SQLD-22-002800"],
        ..References::NONE
    },
    reads: &[FactId::ServerPermissions, FactId::DatabaseDetails],
    placement: &[on("permission", Sheet::PermissionGrants)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Every server or database permission in state `GRANT_WITH_GRANT_OPTION` → FAIL (one per
/// permission); none anywhere → one PASS for the instance. A part (server or databases) that
/// could not be read → one UNKNOWN, the other part still evaluated.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let mut out = Vec::new();
    if let Some(perms) = gaps.take("server_permissions", &s.server_permissions) {
        for p in perms.iter().filter(|p| with_grant(p)) {
            out.push(fail(check, None, p));
        }
    }
    if let Some(details) = gaps.take("database_details", &s.database_details) {
        for d in details {
            for p in d.permissions.iter().filter(|p| with_grant(p)) {
                out.push(fail(check, Some(&d.database), p));
            }
        }
    }
    out.extend(gaps.unknown(check, s));
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "No permission on {} is granted WITH GRANT OPTION.",
            instance_name(s)
        ),
    );
    out
}

fn with_grant(p: &PermissionInfo) -> bool {
    let state = p.state.to_uppercase();
    (state.contains("WITH_GRANT") || state.contains("WITH GRANT")) && !is_system_grantee(&p.grantee)
}

fn fail(check: &Check, db: Option<&str>, p: &PermissionInfo) -> Finding {
    let mut draft = check
        .finding(
            Status::Fail,
            "permission",
            permission_entity(db, p),
            permission_key(db, p),
        )
        .message(format!(
            "`{}` holds {} on {}{} WITH GRANT OPTION{}: it can grant it to anyone.",
            p.grantee,
            p.permission,
            p.class,
            if p.securable.is_empty() {
                String::new()
            } else {
                format!(" {}", p.securable)
            },
            db.map(|d| format!(" in database `{d}`"))
                .unwrap_or_default()
        ))
        .ev("grantee", &p.grantee)
        .ev("grantee_kind", &p.grantee_kind)
        .ev("permission", &p.permission)
        .ev("state", &p.state)
        .ev("class", &p.class)
        .ev("securable", &p.securable);
    if let Some(db) = db {
        draft = draft.ev("database", db);
    }
    draft.done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn none_passes_once() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
    }

    #[test]
    fn each_grant_option_fails() {
        let mut s = compliant_snapshot();
        edit(&mut s.server_permissions).push(permission(
            "CORP\\dba",
            "VIEW SERVER STATE",
            "GRANT_WITH_GRANT_OPTION",
            "SERVER",
        ));
        let sales = &mut edit(&mut s.database_details)[4];
        sales.permissions.push(PermissionInfo {
            securable: "dbo.Orders".to_owned(),
            ..permission(
                "app_user",
                "SELECT",
                "GRANT_WITH_GRANT_OPTION",
                "OBJECT_OR_COLUMN",
            )
        });
        sales
            .permissions
            .push(permission("app_user", "SELECT", "GRANT", "DATABASE"));
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Fail, Status::Fail]);
        let srv = by_key(
            &f,
            "server_permission:corp\\\\dba/view server state/server/",
        );
        assert_eq!(srv.severity, Severity::Medium);
        let db = by_key(
            &f,
            "db_permission:salesdb/app_user/select/object_or_column/dbo.orders",
        );
        assert!(db.message.contains("`app_user`") && db.message.contains("SalesDB"));
    }

    #[test]
    fn missing_part_is_unknown_and_the_rest_still_evaluated() {
        let mut s = compliant_snapshot();
        edit(&mut s.server_permissions).push(permission(
            "x",
            "ALTER ANY LOGIN",
            "GRANT_WITH_GRANT_OPTION",
            "SERVER",
        ));
        s.database_details = denied();
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Fail, Status::Unknown]);
    }
}
