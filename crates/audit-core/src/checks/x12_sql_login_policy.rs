//! X12 – every SQL login enforces the password policy; privileged ones its expiration too.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, LoginInfo, PermissionInfo, RoleMember, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// R05 judges the privileged SQL logins' passwords; this check holds every SQL login to the
/// Windows password policy (CIS 4.3, VA1046) and its expiration (CIS 4.2 for sysadmin and
/// CONTROL SERVER holders; VA1047 and the STIG for all, at a lower severity).
pub const CHECK: Check = Check {
    id: CheckId::new("X12"),
    title: "SQL logins enforce the password policy",
    severity: Severity::Medium,
    rationale: "A SQL login with CHECK_POLICY off escapes the Windows password policy (complexity, \
                length, lockout after failed attempts), so its password can be guessed without limit; \
                with CHECK_EXPIRATION off it never has to change. CIS requires the policy on every SQL \
                login and expiration on those in sysadmin or holding CONTROL SERVER; Vulnerability \
                Assessment and the STIG ask expiration of all of them. Windows logins follow the \
                domain policy and are not evaluated; disabled logins are, since they can be enabled \
                again.",
    outcomes: Outcomes {
        pass: "SQL login with CHECK_POLICY and CHECK_EXPIRATION on; one row when there is no SQL login",
        fail_or_warn: "FAIL (medium): CHECK_POLICY off; FAIL (medium): CHECK_EXPIRATION off on a login in sysadmin (directly or through nested server roles) or granted CONTROL SERVER (directly or through a server role); WARN (low): CHECK_EXPIRATION off on another SQL login",
        other: "UNKNOWN: the logins, server role members or server permissions could not be read, or a login's flags are unknown",
    },
    family: Family::Authentication,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("4.2"), cis("4.3")],
        stig_2016: &["SQL6-D0-007900"],
        stig_2022: &["SQLI-22-007900"],
        va: &["VA1046", "VA1047"],
        dbachecks: &["LoginCheckPolicy", "LoginPasswordExpiration"],
        ..References::NONE
    },
    reads: &[
        FactId::Logins,
        FactId::ServerRoleMembers,
        FactId::ServerPermissions,
    ],
    placement: &[on("login", Sheet::ServerLogins)],
    remediation: RemediationCategory::Caution,
    rule,
};

/// Per SQL login (`##…##` excepted): policy off → FAIL medium (fix: CHECK_POLICY ON);
/// expiration off → FAIL medium when privileged, WARN low otherwise (not scripted: turning
/// expiration on can lock an application out when its password ages); a flag unknown →
/// UNKNOWN; both on → PASS. No SQL login → one PASS for the instance.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let logins = gaps.take("logins", &s.logins);
    let members = gaps.take("server_role_members", &s.server_role_members);
    let permissions = gaps.take("server_permissions", &s.server_permissions);
    let (Some(logins), Some(members), Some(permissions)) = (logins, members, permissions) else {
        return gaps.only_unknown(check, s);
    };
    let mut out: Vec<Finding> = logins
        .iter()
        .filter(|l| l.kind == "S" && !is_internal_name(&l.name))
        .map(|l| evaluate_login(check, l, privilege(l, members, permissions)))
        .collect();
    check.pass_if_none(
        &mut out,
        s,
        format!("{} has no SQL-authentication login.", instance_name(s)),
    );
    out
}

/// Why a login counts as privileged for CHECK_EXPIRATION (CIS 4.2): sysadmin membership or
/// CONTROL SERVER, each directly or through server roles; `None` when it is neither.
fn privilege(
    login: &LoginInfo,
    members: &[RoleMember],
    permissions: &[PermissionInfo],
) -> Option<String> {
    let roles = server_roles_of(&login.name, members);
    if roles.contains("sysadmin") {
        return Some("sysadmin".to_owned());
    }
    control_server_holding(&login.name, &roles, permissions)
}

fn evaluate_login(check: &Check, login: &LoginInfo, privileged: Option<String>) -> Finding {
    let name = &login.name;
    let who = match &privileged {
        Some(why) => format!("SQL login `{name}` ({why})"),
        None => format!("SQL login `{name}`"),
    };
    let draft = |status| {
        check
            .finding(status, "login", name.clone(), login_key(login))
            .ev("sid", &login.sid)
            .ev("disabled", yes_no(login.disabled))
            .ev("check_policy", or_unknown(login.policy_checked.map(yes_no)))
            .ev(
                "check_expiration",
                or_unknown(login.expiration_checked.map(yes_no)),
            )
            .ev("privileged", privileged.as_deref().unwrap_or("no"))
    };
    match (login.policy_checked, login.expiration_checked) {
        (Some(false), expiration) => {
            let tail = if expiration == Some(false) {
                " nor its expiration (CHECK_EXPIRATION OFF)"
            } else {
                ""
            };
            draft(Status::Fail)
                .severity(Severity::Medium)
                .message(format!(
                    "{who} does not enforce the password policy (CHECK_POLICY OFF){tail}: its password escapes complexity and lockout rules."
                ))
                .fix(crate::Fix::CheckPolicy {
                    login: name.clone(),
                })
                .done()
        }
        (Some(true), Some(false)) if privileged.is_some() => draft(Status::Fail)
            .severity(Severity::Medium)
            .message(format!(
                "{who} enforces the password policy but not its expiration (CHECK_EXPIRATION OFF): a privileged password never has to change."
            ))
            .done(),
        (Some(true), Some(false)) => draft(Status::Warn)
            .severity(Severity::Low)
            .message(format!(
                "{who} enforces the password policy but not its expiration (CHECK_EXPIRATION OFF), as Vulnerability Assessment and the STIG ask of every SQL login."
            ))
            .done(),
        (Some(true), Some(true)) => draft(Status::Pass)
            .message(format!(
                "{who} enforces the password policy and its expiration."
            ))
            .done(),
        _ => draft(Status::Unknown)
            .message(format!(
                "{who}: CHECK_POLICY or CHECK_EXPIRATION could not be read."
            ))
            .done(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    /// The compliant snapshot plus SQL login `ops` edited by `f`, in `roles`, granted `grants`.
    fn with_ops(roles: &[&str], grants: &[&str], f: impl FnOnce(&mut LoginInfo)) -> Vec<Finding> {
        let mut s = compliant_snapshot();
        let mut ops = login("ops", "0x0A0B", "S");
        f(&mut ops);
        edit(&mut s.logins).push(ops);
        for role in roles {
            edit(&mut s.server_role_members).push(member(role, "ops", "S"));
        }
        for grant in grants {
            edit(&mut s.server_permissions).push(permission("ops", grant, "GRANT", "SERVER"));
        }
        run(&CHECK, &s)
    }

    #[test]
    fn compliant_sql_logins_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(statuses(&f), [Status::Pass, Status::Pass]);
        assert!(by_key(&f, "login:0x01").message.contains("(sysadmin)"));
        assert_eq!(by_key(&f, "login:0xa1a1a1a1").status, Status::Pass);
    }

    #[test]
    fn policy_off_fails_with_its_fix() {
        let f = with_ops(&[], &[], |l| {
            l.policy_checked = Some(false);
            l.expiration_checked = Some(false);
        });
        let ops = by_key(&f, "login:0x0a0b");
        assert_eq!((ops.status, ops.severity), (Status::Fail, Severity::Medium));
        assert!(ops.message.contains("CHECK_POLICY OFF"));
        assert!(ops.message.contains("CHECK_EXPIRATION OFF"));
        assert_eq!(
            ops.fix,
            Some(crate::Fix::CheckPolicy {
                login: "ops".to_owned()
            })
        );
    }

    #[test]
    fn expiration_off_fails_when_privileged_and_warns_otherwise() {
        let off = |l: &mut LoginInfo| l.expiration_checked = Some(false);
        let plain = with_ops(&[], &[], off);
        let ops = by_key(&plain, "login:0x0a0b");
        assert_eq!((ops.status, ops.severity), (Status::Warn, Severity::Low));
        assert_eq!(ops.fix, None);
        let admin = with_ops(&["sysadmin"], &[], off);
        let ops = by_key(&admin, "login:0x0a0b");
        assert_eq!((ops.status, ops.severity), (Status::Fail, Severity::Medium));
        assert!(ops.message.contains("(sysadmin)"));
        let control = with_ops(&[], &["CONTROL SERVER"], off);
        let ops = by_key(&control, "login:0x0a0b");
        assert_eq!(ops.status, Status::Fail);
        assert!(ops.message.contains("(CONTROL SERVER)"));
        // securityadmin alone is not in CIS 4.2's scope: a WARN.
        let security = with_ops(&["securityadmin"], &[], off);
        assert_eq!(by_key(&security, "login:0x0a0b").status, Status::Warn);
    }

    #[test]
    fn privilege_through_nested_roles_counts() {
        let mut s = compliant_snapshot();
        let mut ops = login("ops", "0x0A0B", "S");
        ops.expiration_checked = Some(false);
        edit(&mut s.logins).push(ops);
        edit(&mut s.server_role_members).push(member("ops_role", "ops", "S"));
        edit(&mut s.server_role_members).push(member("sysadmin", "ops_role", "R"));
        assert_eq!(
            by_key(&run(&CHECK, &s), "login:0x0a0b").status,
            Status::Fail
        );
        // CONTROL SERVER granted to a role the login is in; a DENY does not count.
        edit(&mut s.server_role_members).retain(|m| m.role != "sysadmin" || m.member != "ops_role");
        edit(&mut s.server_permissions).push(permission(
            "ops_role",
            "CONTROL SERVER",
            "DENY",
            "SERVER",
        ));
        assert_eq!(
            by_key(&run(&CHECK, &s), "login:0x0a0b").status,
            Status::Warn
        );
        edit(&mut s.server_permissions).push(permission(
            "ops_role",
            "CONTROL SERVER",
            "GRANT",
            "SERVER",
        ));
        let f = run(&CHECK, &s);
        assert_eq!(by_key(&f, "login:0x0a0b").status, Status::Fail);
        assert!(
            by_key(&f, "login:0x0a0b")
                .message
                .contains("through `ops_role`")
        );
    }

    #[test]
    fn windows_and_internal_logins_are_not_judged_and_unknowns_are_said() {
        let mut s = compliant_snapshot();
        edit(&mut s.logins).retain(|l| l.kind != "S");
        let f = run(&CHECK, &s);
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
        let f = with_ops(&[], &[], |l| l.expiration_checked = None);
        assert_eq!(by_key(&f, "login:0x0a0b").status, Status::Unknown);
        let mut s = compliant_snapshot();
        s.server_permissions = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
