//! X08 – risky explicit permissions (server and database) are reviewed.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::privilege_graph::{EdgeKind, Node, NodeKind, PrivilegeGraph};
use crate::snapshot::{FactId, PermissionInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Server permissions that amount to (or lead to) sysadmin, or that let their holder change or
/// silence auditing, create databases, stop the server or bulk-load files (STIG SQL6-D0-004400
/// and 006300: audit configuration only for the ISSM's appointees).
const SERVER_RISKY: [&str; 22] = [
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
    "ALTER ANY SERVER AUDIT",
    "ALTER ANY DATABASE AUDIT",
    "CREATE ANY DATABASE",
    "ALTER ANY EVENT NOTIFICATION",
    "ADMINISTER BULK OPERATIONS",
    "SHUTDOWN",
    "ALTER SERVER STATE",
];

/// Database permissions that amount to (or lead to) db_owner, or that change the database's
/// audit or load code into it (CREATE / ALTER ANY ASSEMBLY are database permissions).
const DATABASE_RISKY: [&str; 11] = [
    "CONTROL",
    "ALTER",
    "ALTER ANY USER",
    "ALTER ANY ROLE",
    "ALTER ANY APPLICATION ROLE",
    "ALTER ANY SCHEMA",
    "IMPERSONATE",
    "TAKE OWNERSHIP",
    "ALTER ANY DATABASE AUDIT",
    "CREATE ASSEMBLY",
    "ALTER ANY ASSEMBLY",
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
        other: "REVIEW: each GRANT of CONTROL SERVER, ALTER ANY LOGIN / SERVER ROLE / LINKED SERVER / CREDENTIAL / DATABASE / ENDPOINT / SERVER AUDIT / DATABASE AUDIT / EVENT NOTIFICATION, ALTER SETTINGS, ALTER TRACE, ALTER SERVER STATE, CREATE ANY DATABASE, ADMINISTER BULK OPERATIONS, SHUTDOWN, IMPERSONATE (ANY LOGIN), CONTROL, TAKE OWNERSHIP, UNSAFE / EXTERNAL ACCESS ASSEMBLY (server); CONTROL, ALTER, ALTER ANY USER / ROLE / APPLICATION ROLE / SCHEMA / DATABASE AUDIT / ASSEMBLY, CREATE ASSEMBLY, IMPERSONATE, TAKE OWNERSHIP (database). An IMPERSONATE ON LOGIN that leads, through any chain of impersonations, to a sysadmin or CONTROL SERVER login names the chain. DENY is never flagged.",
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
    reads: &[
        FactId::ServerPermissions,
        FactId::ServerRoleMembers,
        FactId::DatabaseDetails,
    ],
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
        let graph = PrivilegeGraph::from_snapshot(s);
        for p in perms.iter().filter(|p| risky(p, &SERVER_RISKY)) {
            let chain = impersonation_chain(p, &graph);
            out.push(review(check, None, p, chain));
        }
    }
    if let Some(details) = gaps.take("database_details", &s.database_details) {
        for d in details {
            for p in d.permissions.iter().filter(|p| risky(p, &DATABASE_RISKY)) {
                out.push(review(check, Some(&d.database), p, None));
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

/// For a server-level `IMPERSONATE ON LOGIN::target` grant: the shortest chain of
/// impersonations (`grantee → target → … → admin`) from its grantee to a sysadmin or CONTROL
/// SERVER login (nested roles followed), with that login's privilege; none when the grant is no
/// such step or leads nowhere privileged. The walk is the privilege graph's
/// ([`crate::privilege_graph`], shared with X56), restricted to impersonation and the
/// memberships and grants that make a login privileged; it never passes through the grantee
/// again, and each login is visited once, so cycles end.
fn impersonation_chain(
    p: &PermissionInfo,
    graph: &PrivilegeGraph,
) -> Option<(Vec<String>, String)> {
    let is_step = p.permission.trim().eq_ignore_ascii_case("IMPERSONATE")
        && p.class.eq_ignore_ascii_case("SERVER_PRINCIPAL")
        && p.state.to_uppercase().starts_with("GRANT")
        && !p.securable.is_empty();
    if !is_step {
        return None;
    }
    let steps = graph.shortest_path_along(
        &Node::login(&p.securable),
        Some(&[
            EdgeKind::Impersonate,
            EdgeKind::MemberOf,
            EdgeKind::HoldsControlServer,
        ]),
        Some(&Node::login(&p.grantee)),
    )?;
    let mut path = vec![p.grantee.clone(), p.securable.clone()];
    path.extend(
        steps
            .iter()
            .filter(|s| s.kind == EdgeKind::Impersonate && s.to.kind == NodeKind::Login)
            .map(|s| s.to.name.clone()),
    );
    let why = match steps.last().map(|s| s.to.kind) {
        Some(NodeKind::ControlServer) => "CONTROL SERVER",
        _ => "sysadmin",
    };
    Some((path, why.to_owned()))
}

fn review(
    check: &Check,
    db: Option<&str>,
    p: &PermissionInfo,
    chain: Option<(Vec<String>, String)>,
) -> Finding {
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
            "`{}` is granted {} on {on}{}{}: justify it or revoke it.",
            p.grantee,
            p.permission,
            db.map(|d| format!(" in database `{d}`"))
                .unwrap_or_default(),
            chain
                .as_ref()
                .map(|(path, why)| format!(
                    ", through which it can become `{}` ({why}): {}",
                    path.last().map_or("", String::as_str),
                    path.join(" \u{2192} ")
                ))
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
    if let Some((path, why)) = &chain {
        draft = draft.ev("impersonation_chain", path.join(" \u{2192} ")).ev(
            "reaches",
            format!("{} ({why})", path.last().map_or("", String::as_str)),
        );
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

    fn impersonate(grantee: &str, target: &str) -> PermissionInfo {
        PermissionInfo {
            securable: target.to_owned(),
            ..permission(grantee, "IMPERSONATE", "GRANT", "SERVER_PRINCIPAL")
        }
    }

    #[test]
    fn audit_and_operations_permissions_are_reviewed() {
        let mut s = compliant_snapshot();
        let perms = edit(&mut s.server_permissions);
        for p in ["ALTER ANY SERVER AUDIT", "SHUTDOWN", "CREATE ANY DATABASE"] {
            perms.push(permission("CORP\\ops", p, "GRANT", "SERVER"));
        }
        edit(&mut s.database_details)[4]
            .permissions
            .push(permission(
                "app_user",
                "CREATE ASSEMBLY",
                "GRANT",
                "DATABASE",
            ));
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Review; 4]);
    }

    #[test]
    fn impersonation_chains_to_an_admin_are_named_and_cycles_end() {
        let mut s = compliant_snapshot();
        let perms = edit(&mut s.server_permissions);
        perms.push(impersonate("helpdesk", "ops_lead"));
        perms.push(impersonate("ops_lead", "helpdesk"));
        perms.push(impersonate("ops_lead", "CORP\\dba"));
        perms.push(impersonate("intern", "helpdesk"));
        perms.push(impersonate("loop_a", "loop_b"));
        perms.push(impersonate("loop_b", "loop_a"));
        let f = run(&CHECK, &s);
        let helpdesk = by_key(
            &f,
            "server_permission:helpdesk/impersonate/server_principal/ops_lead",
        );
        assert!(
            helpdesk.message.contains(
                "become `CORP\\dba` (sysadmin): helpdesk \u{2192} ops_lead \u{2192} CORP\\dba"
            ),
            "{}",
            helpdesk.message
        );
        let intern = by_key(
            &f,
            "server_permission:intern/impersonate/server_principal/helpdesk",
        );
        assert_eq!(
            intern.evidence["impersonation_chain"],
            "intern \u{2192} helpdesk \u{2192} ops_lead \u{2192} CORP\\dba"
        );
        let a = by_key(
            &f,
            "server_permission:loop_a/impersonate/server_principal/loop_b",
        );
        assert_eq!(a.status, Status::Review);
        assert!(!a.evidence.contains_key("impersonation_chain"));
        // CONTROL SERVER at the end of the chain counts too.
        edit(&mut s.server_permissions).push(permission(
            "loop_b",
            "CONTROL SERVER",
            "GRANT",
            "SERVER",
        ));
        let f = run(&CHECK, &s);
        let a = by_key(
            &f,
            "server_permission:loop_a/impersonate/server_principal/loop_b",
        );
        assert!(a.message.contains("(CONTROL SERVER)"), "{}", a.message);
    }

    #[test]
    fn unreadable_part_is_unknown() {
        let mut s = compliant_snapshot();
        s.server_permissions = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
