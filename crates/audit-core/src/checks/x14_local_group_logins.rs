//! X14 – no login for a group local to the host: `BUILTIN\…` or `MACHINE\…` Windows groups.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, LoginInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// CIS 3.9 (BUILTIN groups) and 3.10 (local groups) are one rule: a login for a group the host
/// itself manages gives SQL Server access to whoever a local administrator adds to the group,
/// outside the domain's group management; both ask for AD groups or logins instead.
pub const CHECK: Check = Check {
    id: CheckId::new("X14"),
    title: "No BUILTIN or local Windows group logins",
    severity: Severity::Medium,
    rationale: "A login for a BUILTIN group (BUILTIN\\Administrators, BUILTIN\\Users …) or for a group \
                local to the host (MACHINE\\group) lets anyone a local administrator adds to that group \
                into SQL Server, bypassing the domain's group management and its audit; BUILTIN\\\
                Administrators in particular makes every local administrator a login. Grant access \
                through Active Directory groups or individual logins instead, then drop these logins.",
    outcomes: Outcomes {
        pass: "one row: no BUILTIN\\ login and no Windows group login named after the machine",
        fail_or_warn: "FAIL (medium): each enabled BUILTIN\\ login or local Windows group login (`MACHINE\\group`); WARN (low): the same, disabled (drop it)",
        other: "UNKNOWN: the logins could not be read; NOT APPLICABLE on Linux",
    },
    family: Family::Authentication,
    applies_to: Applicability::WINDOWS,
    references: References {
        cis: &[cis("3.9"), cis("3.10")],
        va: &["VA1052"],
        dbachecks: &["BuiltInAdmin", "LocalWindowsGroup"],
        ..References::NONE
    },
    reads: &[FactId::Logins],
    placement: &[on("login", Sheet::ServerLogins)],
    remediation: RemediationCategory::Caution,
    rule,
};

/// Per login: a name under `BUILTIN\` (any type: they are local groups), or a Windows group
/// (type G) named `MACHINE\…` after `SERVERPROPERTY('MachineName')` (CIS 3.10's query) → FAIL
/// medium, WARN low when disabled. None → one PASS. Dropping a login is not scripted: its
/// users must first be given access another way.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(logins) = gaps.take("logins", &s.logins) else {
        return gaps.only_unknown(check, s);
    };
    let machine = s.server.machine_name.trim();
    let out: Vec<Finding> = logins
        .iter()
        .filter_map(|l| local_group(l, machine).map(|what| judge(check, l, what)))
        .collect();
    if out.is_empty() {
        return vec![
            check
                .instance_finding(s, Status::Pass)
                .message(format!(
                    "{} has no BUILTIN or local Windows group login.",
                    instance_name(s)
                ))
                .ev("machine_name", machine)
                .done(),
        ];
    }
    out
}

/// Which kind of host-local group the login is, if it is one.
fn local_group(login: &LoginInfo, machine: &str) -> Option<&'static str> {
    let (domain, _) = login.name.split_once('\\')?;
    if same_name(domain, "BUILTIN") {
        Some("a BUILTIN group")
    } else if login.kind == "G" && !machine.is_empty() && same_name(domain, machine) {
        Some("a Windows group local to the host")
    } else {
        None
    }
}

fn judge(check: &Check, login: &LoginInfo, what: &str) -> Finding {
    let draft = |status| {
        check
            .finding(status, "login", login.name.clone(), login_key(login))
            .ev("sid", &login.sid)
            .ev("kind", &login.kind)
            .ev("disabled", yes_no(login.disabled))
    };
    if login.disabled {
        draft(Status::Warn)
            .severity(Severity::Low)
            .message(format!(
                "Login `{}` is {what}; it is disabled, but drop it rather than keep it.",
                login.name
            ))
            .done()
    } else {
        draft(Status::Fail)
            .message(format!(
                "Login `{}` is {what}: whoever a local administrator adds to it can log in. Grant access through Active Directory groups or logins, then drop it.",
                login.name
            ))
            .done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn with(logins: Vec<LoginInfo>) -> Vec<Finding> {
        let mut s = compliant_snapshot();
        edit(&mut s.logins).extend(logins);
        run(&CHECK, &s)
    }

    #[test]
    fn domain_logins_and_service_principals_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
        // A local *user* is not a group (CIS 3.10 asks about groups only).
        let f = with(vec![login("SQLHOST\\backup", "0x0E01", "U")]);
        assert_eq!(statuses(&f), [Status::Pass]);
    }

    #[test]
    fn builtin_and_local_groups_fail_and_disabled_ones_warn() {
        let f = with(vec![
            login(
                "BUILTIN\\Administrators",
                "0x01020000000000052000000020020000",
                "G",
            ),
            login("sqlhost\\SQL Admins", "0x0E02", "G"),
            LoginInfo {
                disabled: true,
                ..login("BUILTIN\\Users", "0x01020000000000052000000021020000", "G")
            },
            login("CORP\\SQL Admins", "0x0E03", "G"),
        ]);
        assert_eq!(f.len(), 3);
        let admins = by_key(&f, "login:0x01020000000000052000000020020000");
        assert_eq!(
            (admins.status, admins.severity),
            (Status::Fail, Severity::Medium)
        );
        assert!(admins.message.contains("BUILTIN group"));
        let local = by_key(&f, "login:0x0e02");
        assert!(local.message.contains("local to the host"));
        let users = by_key(&f, "login:0x01020000000000052000000021020000");
        assert_eq!(
            (users.status, users.severity),
            (Status::Warn, Severity::Low)
        );
    }

    #[test]
    fn unreadable_logins_are_unknown() {
        let mut s = compliant_snapshot();
        s.logins = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
