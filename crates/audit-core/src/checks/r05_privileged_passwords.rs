//! R05 – password rules for SQL logins in sysadmin, serveradmin and securityadmin, or holding
//! CONTROL SERVER.

use super::Outcomes;
use super::{Sheet, on};
use std::collections::BTreeMap;

use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use crate::snapshot::{FactId, LoginInfo, Snapshot, WeakPassword};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// A privileged SQL login must enforce the Windows password policy and must not have an empty
/// password or one equal to its name (tested with `PWDCOMPARE`).
pub const CHECK: Check = Check {
    id: CheckId::new("R05"),
    title: "Password policy for privileged SQL logins",
    severity: Severity::High,
    rationale: "SQL logins that are members of sysadmin, serveradmin or securityadmin (directly or through \
                a nested server role), or that hold CONTROL SERVER (sysadmin's power without the role; \
                CIS 4.2 counts them alike), must have CHECK_POLICY on and a password that is neither \
                empty nor equal to the login name. Windows logins follow the domain policy and are not \
                evaluated.",
    outcomes: Outcomes {
        pass: "SQL login in sysadmin / serveradmin / securityadmin (directly or via a nested server role) or granted CONTROL SERVER (directly or through a server role) with CHECK_POLICY on and no trivial password",
        fail_or_warn: "FAIL (critical): empty password or password = login name (`PWDCOMPARE`); FAIL (high): CHECK_POLICY off",
        other: "UNKNOWN: password hash not readable (and policy on); one UNKNOWN when the server permissions (CONTROL SERVER holders) could not be read",
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

/// Per privileged SQL login: empty or name-equal password → FAIL critical; CHECK_POLICY off →
/// FAIL high (also when the hash is unreadable: the policy alone decides); hash unreadable →
/// UNKNOWN; otherwise PASS. Privileged = a member of the three roles (nested roles followed) or
/// a holder of CONTROL SERVER (granted directly or to a server role it is in); when the server
/// permissions are unreadable the role members are still judged and one UNKNOWN says the
/// CONTROL SERVER holders could not be.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let logins = gaps.take("logins", &s.logins);
    let members = gaps.take("server_role_members", &s.server_role_members);
    let (Some(logins), Some(members)) = (logins, members) else {
        return gaps.only_unknown(check, s);
    };
    let roles = privileged_roles(members);
    // Login → the privileged roles it is in, by SID key so each login is evaluated once.
    let mut privileged: BTreeMap<String, (&LoginInfo, Vec<String>)> = BTreeMap::new();
    for m in members
        .iter()
        .filter(|m| roles.contains(&m.role.to_lowercase()))
    {
        let Some(login) = logins
            .iter()
            .find(|l| l.kind == "S" && same_name(&l.name, &m.member))
        else {
            continue;
        };
        privileged
            .entry(login_key(login))
            .or_insert((login, Vec::new()))
            .1
            .push(m.role.clone());
    }
    if let Some(permissions) = gaps.take("server_permissions", &s.server_permissions) {
        for login in logins.iter().filter(|l| l.kind == "S") {
            let roles_of = server_roles_of(&login.name, members);
            if let Some(how) = control_server_holding(&login.name, &roles_of, permissions) {
                privileged
                    .entry(login_key(login))
                    .or_insert((login, Vec::new()))
                    .1
                    .push(how);
            }
        }
    }
    let mut out: Vec<Finding> = privileged
        .into_iter()
        .map(|(key, (login, roles))| evaluate_login(check, key, login, &roles.join(", ")))
        .collect();
    out.extend(gaps.unknown(check, s));
    out
}

fn evaluate_login(check: &Check, key: String, login: &LoginInfo, roles: &str) -> Finding {
    let policy_off = login.policy_checked == Some(false);
    let weak = match login.weak_password {
        Some(WeakPassword::No) => "no",
        Some(WeakPassword::Empty) => "empty",
        Some(WeakPassword::SameAsName) => "same as the login name",
        None => "not tested (password hash unreadable)",
    };
    let name = &login.name;
    let (status, severity, message) = match login.weak_password {
        Some(WeakPassword::Empty) => (
            Status::Fail,
            Severity::Critical,
            format!("Privileged SQL login `{name}` ({roles}) has an EMPTY password."),
        ),
        Some(WeakPassword::SameAsName) => (
            Status::Fail,
            Severity::Critical,
            format!("Privileged SQL login `{name}` ({roles}) has a password equal to its name."),
        ),
        _ if policy_off => (
            Status::Fail,
            Severity::High,
            format!(
                "Privileged SQL login `{name}` ({roles}) does not enforce the password policy (CHECK_POLICY OFF){}.",
                if login.weak_password.is_none() {
                    "; its password could not be tested"
                } else {
                    ""
                }
            ),
        ),
        None => (
            Status::Unknown,
            Severity::High,
            format!(
                "Privileged SQL login `{name}` ({roles}): the password hash is not readable by the audit login, so an empty or name-equal password cannot be ruled out."
            ),
        ),
        Some(WeakPassword::No) => (
            Status::Pass,
            Severity::Info,
            format!(
                "Privileged SQL login `{name}` ({roles}) enforces the password policy and has no trivial password."
            ),
        ),
    };
    let draft = check
        .finding(status, "login", name.clone(), key)
        .severity(severity)
        .message(message)
        .ev("roles", roles)
        .ev("sid", &login.sid)
        .ev("disabled", yes_no(login.disabled))
        .ev("check_policy", or_unknown(login.policy_checked.map(yes_no)))
        .ev(
            "check_expiration",
            or_unknown(login.expiration_checked.map(yes_no)),
        )
        .ev("weak_password", weak);
    let fix = match login.weak_password {
        Some(WeakPassword::Empty | WeakPassword::SameAsName) => Some(crate::Fix::NewPassword {
            login: name.clone(),
        }),
        _ if policy_off => Some(crate::Fix::CheckPolicy {
            login: name.clone(),
        }),
        _ => None,
    };
    match fix {
        Some(fix) => draft.fix(fix).done(),
        None => draft.done(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    /// The compliant snapshot plus `ops` (SQL login) in `role`, edited by `f`.
    fn with_ops(role: &str, f: impl FnOnce(&mut LoginInfo)) -> Vec<Finding> {
        let mut s = compliant_snapshot();
        let mut ops = login("ops", "0x0A0B", "S");
        f(&mut ops);
        edit(&mut s.logins).push(ops);
        edit(&mut s.server_role_members).push(member(role, "ops", "S"));
        run(&CHECK, &s)
    }

    #[test]
    fn compliant_privileged_logins_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        // The disabled, renamed sa is the one privileged SQL login.
        assert_eq!(statuses(&f), [Status::Pass]);
        assert_eq!(f[0].entity_key, "login:0x01");
        let f = with_ops("securityadmin", |_| {});
        assert_eq!(by_key(&f, "login:0x0a0b").status, Status::Pass);
    }

    #[test]
    fn empty_or_name_password_fails_critical() {
        let f = with_ops("sysadmin", |l| l.weak_password = Some(WeakPassword::Empty));
        let f = by_key(&f, "login:0x0a0b");
        assert_eq!((f.status, f.severity), (Status::Fail, Severity::Critical));
        assert!(f.message.contains("`ops`") && f.message.contains("EMPTY"));
        let f = with_ops("serveradmin", |l| {
            l.weak_password = Some(WeakPassword::SameAsName)
        });
        assert_eq!(by_key(&f, "login:0x0a0b").severity, Severity::Critical);
    }

    #[test]
    fn policy_off_fails_high_even_when_hash_unreadable() {
        let f = with_ops("sysadmin", |l| l.policy_checked = Some(false));
        let f = by_key(&f, "login:0x0a0b");
        assert_eq!((f.status, f.severity), (Status::Fail, Severity::High));
        let f = with_ops("sysadmin", |l| {
            l.policy_checked = Some(false);
            l.weak_password = None;
        });
        let f = by_key(&f, "login:0x0a0b");
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("could not be tested"));
    }

    #[test]
    fn unreadable_hash_is_unknown() {
        let f = with_ops("sysadmin", |l| l.weak_password = None);
        let f = by_key(&f, "login:0x0a0b");
        assert_eq!(f.status, Status::Unknown);
        assert!(f.message.contains("`ops`"));
    }

    #[test]
    fn nested_roles_count_and_unprivileged_or_windows_logins_do_not() {
        let mut s = compliant_snapshot();
        edit(&mut s.logins).push(LoginInfo {
            weak_password: Some(WeakPassword::Empty),
            ..login("ops", "0x0A0B", "S")
        });
        edit(&mut s.server_role_members).push(member("sysadmin", "Operators", "R"));
        edit(&mut s.server_role_members).push(member("Operators", "ops", "S"));
        let f = run(&CHECK, &s);
        assert_eq!(by_key(&f, "login:0x0a0b").status, Status::Fail);
        let f = with_ops("dbcreator", |l| l.weak_password = Some(WeakPassword::Empty));
        assert!(f.iter().all(|f| f.entity_key != "login:0x0a0b"));
    }

    #[test]
    fn control_server_holders_count_as_privileged() {
        let mut s = compliant_snapshot();
        edit(&mut s.logins).push(LoginInfo {
            weak_password: Some(WeakPassword::SameAsName),
            ..login("ctl", "0x0C0D", "S")
        });
        edit(&mut s.server_permissions).push(permission(
            "ctl",
            "CONTROL SERVER",
            "GRANT",
            "SERVER",
        ));
        let f = run(&CHECK, &s);
        let ctl = by_key(&f, "login:0x0c0d");
        assert_eq!(
            (ctl.status, ctl.severity),
            (Status::Fail, Severity::Critical)
        );
        assert!(ctl.message.contains("(CONTROL SERVER)"), "{}", ctl.message);
        // Through a user-defined server role; a DENY does not count.
        let perms = edit(&mut s.server_permissions);
        perms.retain(|p| p.grantee != "ctl");
        perms.push(permission("ops_role", "CONTROL SERVER", "DENY", "SERVER"));
        edit(&mut s.server_role_members).push(member("ops_role", "ctl", "S"));
        assert!(
            run(&CHECK, &s)
                .iter()
                .all(|f| f.entity_key != "login:0x0c0d")
        );
        edit(&mut s.server_permissions).push(permission(
            "ops_role",
            "CONTROL SERVER",
            "GRANT",
            "SERVER",
        ));
        let f = run(&CHECK, &s);
        assert!(
            by_key(&f, "login:0x0c0d")
                .message
                .contains("through `ops_role`")
        );
        // Unreadable permissions: the role members are still judged, plus one UNKNOWN.
        s.server_permissions = denied();
        let f = run(&CHECK, &s);
        assert_eq!(by_key(&f, "login:0x01").status, Status::Pass);
        assert_eq!(by_key(&f, "instance:").status, Status::Unknown);
    }

    #[test]
    fn unknown_when_memberships_unreadable() {
        let mut s = compliant_snapshot();
        s.server_role_members = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
