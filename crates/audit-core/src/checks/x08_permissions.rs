//! X08 – risky explicit permissions (server and database) are reviewed.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, PermissionInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Server permissions that amount to (or lead to) sysadmin.
const SERVER_RISKY: [&str; 15] = [
    "CONTROL SERVER",
    "ALTER ANY LOGIN",
    "ALTER ANY SERVER ROLE",
    "ALTER ANY LINKED SERVER",
    "ALTER ANY CREDENTIAL",
    "ALTER ANY DATABASE",
    "ALTER ANY ENDPOINT",
    "ALTER SETTINGS",
    "ALTER TRACE",
    "IMPERSONATE ANY LOGIN",
    "IMPERSONATE",
    "CONTROL",
    "TAKE OWNERSHIP",
    "UNSAFE ASSEMBLY",
    "EXTERNAL ACCESS ASSEMBLY",
];

/// Database permissions that amount to (or lead to) db_owner.
const DATABASE_RISKY: [&str; 8] = [
    "CONTROL",
    "ALTER",
    "ALTER ANY USER",
    "ALTER ANY ROLE",
    "ALTER ANY APPLICATION ROLE",
    "ALTER ANY SCHEMA",
    "IMPERSONATE",
    "TAKE OWNERSHIP",
];

/// Explicit grants of controlling permissions bypass the role model and are easy to overlook;
/// each must be justified. DENY restricts and is never flagged.
pub const CHECK: Check = Check {
    id: CheckId::new("X08"),
    title: "Risky explicit permissions reviewed",
    severity: Severity::High,
    rationale: "Explicit grants such as CONTROL SERVER, ALTER ANY LOGIN, IMPERSONATE or database CONTROL \
                give sysadmin- or db_owner-equivalent power outside the fixed roles, where role reviews \
                do not see them. Each such GRANT must be justified; DENY restricts and is not flagged.",
    outcomes: Outcomes {
        pass: "one row: none granted",
        fail_or_warn: "–",
        other: "REVIEW: each GRANT of CONTROL SERVER, ALTER ANY LOGIN / SERVER ROLE / LINKED SERVER / CREDENTIAL / DATABASE / ENDPOINT, ALTER SETTINGS, ALTER TRACE, IMPERSONATE (ANY LOGIN), CONTROL, TAKE OWNERSHIP, UNSAFE / EXTERNAL ACCESS ASSEMBLY (server); CONTROL, ALTER, ALTER ANY USER / ROLE / APPLICATION ROLE / SCHEMA, IMPERSONATE, TAKE OWNERSHIP (database). DENY is never flagged.",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("3.8")],
        stig_2016: &[
            "SQL6-D0-000300",
            "SQL6-D0-001100",
            "SQL6-D0-001400",
            "SQL6-D0-003900",
            "SQL6-D0-004400",
            "SQL6-D0-006300",
            "SQL6-D0-010400",
            "SQL6-D0-011400",
        ],
        stig_2022: &[
            "SQLI-22-003900",
            "SQLI-22-004400",
            "SQLI-22-006300",
            "SQLI-22-010400",
            "SQLI-22-011400",
            "SQLD-22-000300",
            "SQLD-22-001400",
        ],
        va: &["VA1068", "VA1094", "VA1095", "VA1280", "VA2020"],
        dbachecks: &["PublicPermission"],
        sp_blitz: &[104],
    },
    reads: &[FactId::ServerPermissions, FactId::DatabaseDetails],
    placement: &[on("permission", Sheet::PermissionGrants)],
    remediation: RemediationCategory::Review,
    rule,
};

/// One REVIEW per GRANT (with or without grant option) of a listed permission, at server or
/// database level (system grantees, `##…##` and dbo excepted); none → one PASS. An unreadable
/// part → one UNKNOWN, the other still listed.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let mut out = Vec::new();
    if let Some(perms) = gaps.take("server_permissions", &s.server_permissions) {
        for p in perms.iter().filter(|p| risky(p, &SERVER_RISKY)) {
            out.push(review(check, None, p));
        }
    }
    if let Some(details) = gaps.take("database_details", &s.database_details) {
        for d in details {
            for p in d.permissions.iter().filter(|p| risky(p, &DATABASE_RISKY)) {
                out.push(review(check, Some(&d.database), p));
            }
        }
    }
    let unknown = gaps.unknown(check, s);
    if out.is_empty() && unknown.is_none() {
        out.push(
            check
                .instance_finding(s, Status::Pass)
                .message(format!(
                    "No risky explicit permission is granted on {}.",
                    instance_name(s)
                ))
                .done(),
        );
    }
    out.extend(unknown);
    out
}

fn risky(p: &PermissionInfo, list: &[&str]) -> bool {
    p.state.to_uppercase().starts_with("GRANT")
        && list
            .iter()
            .any(|r| r.eq_ignore_ascii_case(p.permission.trim()))
        && !is_system_grantee(&p.grantee)
        && !same_name(&p.grantee, "dbo")
}

fn review(check: &Check, db: Option<&str>, p: &PermissionInfo) -> Finding {
    let on = if p.securable.is_empty() {
        p.class.clone()
    } else {
        format!("{} {}", p.class, p.securable)
    };
    let mut draft = check
        .finding(
            Status::Review,
            "permission",
            permission_entity(db, p),
            permission_key(db, p),
        )
        .message(format!(
            "`{}` is granted {} on {on}{}: justify it or revoke it.",
            p.grantee,
            p.permission,
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
    fn none_passes() {
        assert_eq!(
            single(&run(&CHECK, &compliant_snapshot()), Status::Pass).entity_key,
            "instance:"
        );
    }

    #[test]
    fn risky_grants_reviewed_denies_and_harmless_ignored() {
        let mut s = compliant_snapshot();
        let perms = edit(&mut s.server_permissions);
        perms.push(permission("CORP\\ops", "CONTROL SERVER", "GRANT", "SERVER"));
        perms.push(permission("CORP\\ops", "ALTER ANY LOGIN", "DENY", "SERVER"));
        perms.push(permission(
            "CORP\\mon",
            "VIEW SERVER STATE",
            "GRANT",
            "SERVER",
        ));
        let sales = &mut edit(&mut s.database_details)[4];
        sales.permissions.push(permission(
            "app_user",
            "ALTER ANY USER",
            "GRANT_WITH_GRANT_OPTION",
            "DATABASE",
        ));
        let f = run(&CHECK, &s);
        assert_eq!(f.len(), 2);
        let cs = by_key(&f, "server_permission:corp\\\\ops/control server/server/");
        assert_eq!((cs.status, cs.severity), (Status::Review, Severity::High));
        assert!(cs.message.contains("CORP\\ops"));
        let db = by_key(
            &f,
            "db_permission:salesdb/app_user/alter any user/database/",
        );
        assert!(db.message.contains("SalesDB"));
    }

    #[test]
    fn unreadable_part_is_unknown() {
        let mut s = compliant_snapshot();
        s.server_permissions = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
