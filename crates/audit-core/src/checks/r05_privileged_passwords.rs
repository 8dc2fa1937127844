//! R05 – password rules for SQL logins in sysadmin, serveradmin and securityadmin.

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
                a nested server role) must have CHECK_POLICY on and a password that is neither empty nor \
                equal to the login name. Windows logins follow the domain policy and are not evaluated.",
    outcomes: Outcomes {
        pass: "SQL login in sysadmin / serveradmin / securityadmin (directly or via a nested server role) with CHECK_POLICY on and no trivial password",
        fail_or_warn: "FAIL (critical): empty password or password = login name (`PWDCOMPARE`); FAIL (high): CHECK_POLICY off",
        other: "UNKNOWN: password hash not readable (and policy on)",
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
    reads: &[FactId::Logins, FactId::ServerRoleMembers],
    placement: &[on("login", Sheet::ServerLogins)],
    remediation: RemediationCategory::Caution,
    rule,
};

/// Per privileged SQL login: empty or name-equal password → FAIL critical; CHECK_POLICY off →
/// FAIL high (also when the hash is unreadable: the policy alone decides); hash unreadable →
/// UNKNOWN; otherwise PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let logins = gaps.take("logins", &s.logins);
    let members = gaps.take("server_role_members", &s.server_role_members);
    let (Some(logins), Some(members)) = (logins, members) else {
        return gaps.only_unknown(check, s);
    };
    let roles = privileged_roles(members);
    // Login → the privileged roles it is in, by SID key so each login is evaluated once.
    let mut privileged: BTreeMap<String, (&LoginInfo, Vec<&str>)> = BTreeMap::new();
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
            .push(&m.role);
    }
    privileged
        .into_iter()
        .map(|(key, (login, roles))| evaluate_login(check, key, login, &roles.join(", ")))
        .collect()
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
    fn unknown_when_memberships_unreadable() {
        let mut s = compliant_snapshot();
        s.server_role_members = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
