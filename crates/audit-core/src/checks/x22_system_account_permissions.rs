//! X22 – NT AUTHORITY\SYSTEM holds only the permissions SQL Server's own features need
//! (STIG SQL6-D0-004100 / SQLI-22-004100).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, PermissionInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// Anything run by the local system account (a scheduled task, a service, any local
/// administrator's tool) acts as NT AUTHORITY\SYSTEM: rights granted to it are rights nobody
/// can be held accountable for.
pub const CHECK: Check = Check {
    id: CheckId::new("X22"),
    title: "NT AUTHORITY\\SYSTEM holds only minimal permissions",
    severity: Severity::Medium,
    rationale: "Any process on the host can run as NT AUTHORITY\\SYSTEM (a scheduled task, a \
                service, a local administrator's tool), so what SYSTEM may do in SQL Server is done \
                by nobody in particular: the audit trail cannot name the person. Before SQL Server \
                2012 SYSTEM was a member of sysadmin by default. The STIG allows it CONNECT SQL and \
                VIEW ANY DATABASE; VIEW SERVER STATE too on a failover cluster instance; and CREATE \
                AVAILABILITY GROUP and ALTER ANY AVAILABILITY GROUP where Always On availability \
                groups are enabled. Give services their own service SID or a domain account instead.",
    outcomes: Outcomes {
        pass: "no login for NT AUTHORITY\\SYSTEM, or only the permissions the STIG allows for the instance's clustering and availability groups",
        fail_or_warn: "FAIL (medium, STIG CAT II): each other server permission granted to SYSTEM (setup of 2012 and later grants it ALTER ANY AVAILABILITY GROUP and VIEW SERVER STATE, which the STIG allows only with availability groups or on a cluster), and each server role it is a member of",
        other: "UNKNOWN: logins, role members or server permissions unread; NOT APPLICABLE on Linux",
    },
    family: Family::Permissions,
    applies_to: Applicability::WINDOWS,
    references: References {
        stig_2016: &["SQL6-D0-004100"],
        stig_2022: &["SQLI-22-004100"],
        ..References::NONE
    },
    reads: &[
        FactId::Logins,
        FactId::ServerRoleMembers,
        FactId::ServerPermissions,
    ],
    placement: &[
        on("permission", Sheet::PermissionGrants),
        on("server_role_member", Sheet::SensitiveRoles),
    ],
    remediation: RemediationCategory::Review,
    rule,
};

/// The login's name as SQL Server lists it.
const SYSTEM: &str = "NT AUTHORITY\\SYSTEM";

/// The server permissions the STIG allows SYSTEM, by how the instance is deployed (check text
/// of SQL6-D0-004100: plain, failover cluster instance, availability groups).
fn allowed(clustered: bool, hadr: bool) -> &'static [&'static str] {
    if hadr {
        &[
            "CONNECT SQL",
            "CREATE AVAILABILITY GROUP",
            "ALTER ANY AVAILABILITY GROUP",
            "VIEW SERVER STATE",
            "VIEW ANY DATABASE",
        ]
    } else if clustered {
        &["CONNECT SQL", "VIEW SERVER STATE", "VIEW ANY DATABASE"]
    } else {
        &["CONNECT SQL", "VIEW ANY DATABASE"]
    }
}

/// No SYSTEM login → PASS; each server-level GRANT beyond [`allowed`] → FAIL; each server
/// role membership (public aside) → FAIL with the membership's removal; otherwise PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let logins = gaps.take("logins", &s.logins);
    let members = gaps.take("server_role_members", &s.server_role_members);
    let permissions = gaps.take("server_permissions", &s.server_permissions);
    let (Some(logins), Some(members), Some(permissions)) = (logins, members, permissions) else {
        return gaps.only_unknown(check, s);
    };
    let hadr = s.server.hadr_enabled.unwrap_or(false);
    let clustered = s.server.clustered;
    let deployment = if hadr {
        "availability groups enabled"
    } else if clustered {
        "failover cluster instance"
    } else {
        "stand-alone"
    };
    let Some(login) = logins.iter().find(|l| same_name(&l.name, SYSTEM)) else {
        return vec![
            check
                .instance_finding(s, Status::Pass)
                .message(format!("{} has no login for {SYSTEM}.", instance_name(s)))
                .done(),
        ];
    };
    let allowed = allowed(clustered, hadr);
    let mut out = Vec::new();
    let excess = permissions.iter().filter(|p| {
        same_name(&p.grantee, SYSTEM)
            && p.class.eq_ignore_ascii_case("SERVER")
            && !p.state.eq_ignore_ascii_case("DENY")
            && !allowed
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&p.permission))
    });
    for p in excess {
        out.push(excess_permission(check, p, deployment, allowed));
    }
    for m in members
        .iter()
        .filter(|m| same_name(&m.member, SYSTEM) && !m.role.eq_ignore_ascii_case("public"))
    {
        let sid = login.sid.trim();
        let id = if sid.is_empty() { &m.member } else { sid };
        out.push(
            check
                .finding(
                    Status::Fail,
                    "server_role_member",
                    format!("{} \u{2192} {}", m.role, m.member),
                    entity_key("server_role_member", &[&m.role, id]),
                )
                .message(format!(
                    "{SYSTEM} is a member of {}: anything running as the local system account acts \
                     with that role's rights, unattributably. Remove the membership and give the \
                     service that needs it its own service SID or account (STIG SQL6-D0-004100).",
                    m.role
                ))
                .ev("role", &m.role)
                .ev("member", &m.member)
                .ev("deployment", deployment)
                .fix(crate::Fix::DropServerRoleMember {
                    role: m.role.clone(),
                    member: m.member.clone(),
                })
                .done(),
        );
    }
    if out.is_empty() {
        out.push(
            check
                .instance_finding(s, Status::Pass)
                .message(format!(
                    "{SYSTEM} holds no server permission or role beyond what a {deployment} \
                     instance needs ({}).",
                    allowed.join(", ")
                ))
                .ev("deployment", deployment)
                .ev("allowed", allowed.join(", "))
                .done(),
        );
    }
    out
}

/// The permissions SQL Server setup gives SYSTEM for Always On's health detection.
fn is_availability_group_permission(permission: &str) -> bool {
    ["ALTER ANY AVAILABILITY GROUP", "VIEW SERVER STATE"]
        .iter()
        .any(|p| p.eq_ignore_ascii_case(permission))
}

fn excess_permission(
    check: &Check,
    p: &PermissionInfo,
    deployment: &str,
    allowed: &[&str],
) -> Finding {
    check
        .finding(
            Status::Fail,
            "permission",
            permission_entity(None, p),
            permission_key(None, p),
        )
        .message(format!(
            "{SYSTEM} is granted {} ({}), beyond what a {deployment} instance needs: REVOKE {} \
             FROM [{SYSTEM}] and grant what the service needs to its own service SID.{}",
            p.permission,
            p.state,
            p.permission,
            if is_availability_group_permission(&p.permission) {
                " Setup grants it for Always On health detection: grant it again before \
                 enabling availability groups."
            } else {
                ""
            }
        ))
        .ev("grantee", &p.grantee)
        .ev("permission", &p.permission)
        .ev("state", &p.state)
        .ev("deployment", deployment)
        .ev("allowed", allowed.join(", "))
        .done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::RoleMember;

    fn grant(permission: &str) -> PermissionInfo {
        PermissionInfo {
            grantee: SYSTEM.to_owned(),
            grantee_kind: "U".to_owned(),
            permission: permission.to_owned(),
            state: "GRANT".to_owned(),
            class: "SERVER".to_owned(),
            securable: String::new(),
        }
    }

    fn with_system() -> Snapshot {
        let mut s = compliant_snapshot();
        edit(&mut s.logins).push(login(SYSTEM, "0x010100000000000512000000", "U"));
        edit(&mut s.server_permissions).push(grant("CONNECT SQL"));
        s
    }

    #[test]
    fn no_login_or_connect_only_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
        let f = run(&CHECK, &with_system());
        assert_eq!(
            single(&f, Status::Pass).evidence["deployment"],
            "stand-alone"
        );
    }

    #[test]
    fn extra_grants_and_roles_fail() {
        let mut s = with_system();
        edit(&mut s.server_permissions).push(grant("VIEW SERVER STATE"));
        edit(&mut s.server_permissions).push(PermissionInfo {
            state: "DENY".to_owned(),
            ..grant("SHUTDOWN")
        });
        edit(&mut s.server_role_members).push(RoleMember {
            role: "sysadmin".to_owned(),
            member: SYSTEM.to_owned(),
            member_kind: "U".to_owned(),
            member_disabled: false,
        });
        let f = run(&CHECK, &s);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f.iter().all(|f| f.status == Status::Fail));
        assert!(
            f.iter()
                .any(|f| f.evidence.get("permission").map(String::as_str)
                    == Some("VIEW SERVER STATE"))
        );
        let role = f
            .iter()
            .find(|f| f.entity_type == "server_role_member")
            .unwrap();
        assert_eq!(
            role.entity_key,
            "server_role_member:sysadmin/0x010100000000000512000000"
        );
        assert!(role.fix.is_some());
    }

    /// The STIG's three deployments: a cluster may add VIEW SERVER STATE; availability groups
    /// the two availability-group permissions too.
    #[test]
    fn clusters_and_availability_groups_allow_more() {
        let mut s = with_system();
        edit(&mut s.server_permissions).push(grant("VIEW SERVER STATE"));
        s.server.clustered = true;
        single(&run(&CHECK, &s), Status::Pass);
        edit(&mut s.server_permissions).push(grant("ALTER ANY AVAILABILITY GROUP"));
        single(&run(&CHECK, &s), Status::Fail);
        s.server.hadr_enabled = Some(true);
        let f = run(&CHECK, &s);
        assert_eq!(
            single(&f, Status::Pass).evidence["deployment"],
            "availability groups enabled"
        );
    }

    #[test]
    fn unread_facts_are_unknown() {
        for fact in [
            FactId::Logins,
            FactId::ServerRoleMembers,
            FactId::ServerPermissions,
        ] {
            let mut s = with_system();
            deny(&mut s, fact);
            single(&run(&CHECK, &s), Status::Unknown);
        }
    }
}
