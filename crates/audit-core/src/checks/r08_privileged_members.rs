//! R08 – least privilege: every member of a fixed server role is justified (sysadmin,
//! serveradmin and securityadmin first; setupadmin, processadmin, diskadmin, dbcreator and
//! bulkadmin too, STIG SQL6-D0-004400 and VA2114).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// Each enabled member of a fixed server role (public aside) is a REVIEW row that someone must
/// justify (need to know); the built-in service principals SQL Server itself adds are not, but
/// NT AUTHORITY\SYSTEM is (STIG SQL6-D0-004100: a shared, unattributable identity; X22).
pub const CHECK: Check = Check {
    id: CheckId::new("R08"),
    title: "Members of the fixed server roles justified",
    severity: Severity::High,
    rationale: "Members of sysadmin control the instance; securityadmin can grant itself any permission; \
                serveradmin can reconfigure and shut down the server. The other fixed roles carry \
                powers of their own: setupadmin adds linked servers, processadmin ends sessions, \
                diskadmin manages disk files, dbcreator creates, alters and restores any database, \
                bulkadmin reads any file the service account can read (BULK INSERT). Each \
                membership must be justified on a need-to-know basis and reviewed every audit. \
                Members through a nested server role count too.",
    outcomes: Outcomes {
        pass: "built-in service principal (`NT SERVICE\\…`, `NT AUTHORITY\\LOCAL SERVICE` / `NETWORK SERVICE`, `##…##`) or disabled member",
        fail_or_warn: "–",
        other: "REVIEW: every other member (nested server roles included; NT AUTHORITY\\SYSTEM too), high for sysadmin, serveradmin and securityadmin, medium for setupadmin, processadmin, diskadmin, dbcreator and bulkadmin",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("3.12")],
        stig_2016: &[
            "SQL6-D0-004400",
            "SQL6-D0-010100",
            "SQL6-D0-010400",
            "SQL6-D0-011400",
        ],
        stig_2022: &[
            "SQLI-22-004400",
            "SQLI-22-010100",
            "SQLI-22-010400",
            "SQLI-22-011400",
        ],
        va: &["VA2114"],
        sp_blitz: &[4, 5],
        ..References::NONE
    },
    reads: &[FactId::Logins, FactId::ServerRoleMembers],
    placement: &[on("server_role_member", Sheet::SensitiveRoles)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per membership of a fixed server role (including roles nested in one): built-in service
/// principal (`NT SERVICE\…`, `NT AUTHORITY\LOCAL SERVICE`, `##…##`) → PASS; disabled member →
/// PASS; any other, NT AUTHORITY\SYSTEM included → REVIEW, medium for the lesser roles. Keyed
/// by role and the member's SID where the login is known.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(members) = gaps.take("server_role_members", &s.server_role_members) else {
        return gaps.only_unknown(check, s);
    };
    let logins = s.logins.as_ref().ok();
    let roles = privileged_roles(members);
    let lesser = roles_with_nested(&LESSER_FIXED_SERVER_ROLES, members);
    let mut out = Vec::new();
    for m in members.iter().filter(|m| {
        let role = m.role.to_lowercase();
        roles.contains(&role) || lesser.contains(&role)
    }) {
        let severity = if roles.contains(&m.role.to_lowercase()) {
            Severity::High
        } else {
            Severity::Medium
        };
        let login = logins.and_then(|ls| ls.iter().find(|l| same_name(&l.name, &m.member)));
        let id = login
            .map(|l| l.sid.trim())
            .filter(|sid| !sid.is_empty())
            .unwrap_or(&m.member);
        let key = entity_key("server_role_member", &[&m.role, id]);
        let entity = format!("{} \u{2192} {}", m.role, m.member);
        let system = same_name(&m.member, "NT AUTHORITY\\SYSTEM");
        let (status, message) = if is_builtin_service_principal(&m.member) && !system {
            (
                Status::Pass,
                format!(
                    "`{}` in {} is a built-in service principal of SQL Server.",
                    m.member, m.role
                ),
            )
        } else if m.member_disabled {
            (
                Status::Pass,
                format!("`{}` is a member of {} but disabled.", m.member, m.role),
            )
        } else {
            (
                Status::Review,
                format!(
                    "`{}` ({}) is a member of {}: justify the need or remove the membership.{}",
                    m.member,
                    kind_name(&m.member_kind),
                    m.role,
                    if system {
                        " The local system account is shared by every process on the host: \
                         its actions cannot be attributed to anyone (X22)."
                    } else {
                        ""
                    }
                ),
            )
        };
        out.push(
            check
                .finding(status, "server_role_member", entity, key)
                .severity(severity)
                .message(message)
                .ev("role", &m.role)
                .ev("member", &m.member)
                .ev("member_kind", &m.member_kind)
                .ev("member_disabled", yes_no(m.member_disabled))
                .fix(crate::Fix::DropServerRoleMember {
                    role: m.role.clone(),
                    member: m.member.clone(),
                })
                .done(),
        );
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "{} lists no member of a fixed server role.",
            instance_name(s)
        ),
    );
    out
}

/// A principal type code as people say it.
pub(crate) fn kind_name(kind: &str) -> &'static str {
    match kind {
        "S" => "SQL login",
        "U" => "Windows login",
        "G" => "Windows group",
        "R" => "server role",
        "C" => "certificate-mapped login",
        "K" => "key-mapped login",
        _ => "principal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn enabled_human_members_are_reviewed_service_sids_and_disabled_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        let dba = by_key(
            &f,
            "server_role_member:sysadmin/0x0105000000000005150000000a",
        );
        assert_eq!((dba.status, dba.severity), (Status::Review, Severity::High));
        assert!(dba.message.contains("CORP\\dba"));
        let svc = by_key(
            &f,
            "server_role_member:sysadmin/0x010600000000000550000000aa",
        );
        assert_eq!(svc.status, Status::Pass);
        let sa = by_key(&f, "server_role_member:sysadmin/0x01");
        assert_eq!(sa.status, Status::Pass);
        assert_eq!(f.len(), 4);
    }

    #[test]
    fn serveradmin_securityadmin_and_nested_roles() {
        let mut s = compliant_snapshot();
        let m = edit(&mut s.server_role_members);
        m.push(member("securityadmin", "CORP\\helpdesk", "G"));
        m.push(member("serveradmin", "Operators", "R"));
        m.push(member("Operators", "ops", "S"));
        m.push(member("bulkadmin", "etl", "S"));
        let f = run(&CHECK, &s);
        assert_eq!(
            by_key(&f, "server_role_member:securityadmin/corp\\\\helpdesk").status,
            Status::Review
        );
        assert_eq!(
            by_key(&f, "server_role_member:serveradmin/operators").status,
            Status::Review
        );
        assert_eq!(
            by_key(&f, "server_role_member:operators/ops").status,
            Status::Review
        );
        // The lesser fixed roles are reviewed too, at medium severity (STIG SQL6-D0-004400).
        let bulk = by_key(&f, "server_role_member:bulkadmin/etl");
        assert_eq!(
            (bulk.status, bulk.severity),
            (Status::Review, Severity::Medium)
        );
    }

    /// NT AUTHORITY\SYSTEM is not exempt: before 2012 setup made it sysadmin (STIG
    /// SQL6-D0-004100); NT SERVICE\… stays a built-in service principal.
    #[test]
    fn system_is_reviewed_service_sids_are_not() {
        let mut s = compliant_snapshot();
        let m = edit(&mut s.server_role_members);
        m.push(member("sysadmin", "NT AUTHORITY\\SYSTEM", "U"));
        m.push(member("dbcreator", "NT SERVICE\\SQLWriter", "U"));
        let f = run(&CHECK, &s);
        let system = by_key(&f, "server_role_member:sysadmin/nt authority\\\\system");
        assert_eq!(system.status, Status::Review);
        assert!(system.message.contains("X22"));
        assert_eq!(
            by_key(&f, "server_role_member:dbcreator/nt service\\\\sqlwriter").status,
            Status::Pass
        );
    }

    #[test]
    fn renamed_sa_keeps_its_key() {
        let mut s = compliant_snapshot();
        edit(&mut s.logins)[0].name = "$@".to_owned();
        edit(&mut s.server_role_members)[0].member = "$@".to_owned();
        let f = run(&CHECK, &s);
        assert!(
            by_key(&f, "server_role_member:sysadmin/0x01")
                .message
                .contains("$@")
        );
    }

    #[test]
    fn no_members_pass_and_unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.server_role_members = Ok(vec![]);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Pass]);
        s.server_role_members = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
