//! X17 – SQL logins whose password was never changed since creation were created with
//! MUST_CHANGE (a heuristic for CIS 4.1).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, LoginInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// How far apart `create_date` and `PasswordLastSetTime` may be and still be one event (the
/// password set by CREATE LOGIN itself).
const SAME_EVENT_SECONDS: i64 = 60;

/// CIS 4.1 (manual) and the STIG want a new or reset SQL login to have to choose its own
/// password at its first login (MUST_CHANGE), so whoever created it does not keep knowing it.
/// SQL Server records no "first login", so the check looks for the trace such a login
/// leaves: its password is still the one set at creation, and MUST_CHANGE is not pending.
pub const CHECK: Check = Check {
    id: CheckId::new("X17"),
    title: "SQL logins still on their initial password use MUST_CHANGE",
    severity: Severity::Low,
    rationale: "A SQL login created with a password someone else chose (an administrator, a script, \
                a ticket) should have MUST_CHANGE, so that its user sets a password only they know \
                at the first login. SQL Server does not record whether a login has ever been used, \
                so this is a heuristic: an enabled SQL login whose password was last set when it \
                was created (PasswordLastSetTime = create_date) and that is not waiting for \
                MUST_CHANGE still has the password its creator gave it — never changed, whether or \
                not anyone used it. Application logins whose password is managed on purpose are \
                documented as exceptions.",
    outcomes: Outcomes {
        pass: "enabled SQL login whose password changed after creation, or with MUST_CHANGE pending; disabled SQL login; one row when there is no SQL login",
        fail_or_warn: "WARN (low): an enabled SQL login whose password was last set at its creation (within a minute) without MUST_CHANGE",
        other: "UNKNOWN: IsMustChange, PasswordLastSetTime or create_date could not be read for a login",
    },
    family: Family::Authentication,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("4.1")],
        stig_2022: &["SQLI-22-019500"],
        dbachecks: &["LoginMustChange"],
        ..References::NONE
    },
    reads: &[FactId::Logins],
    placement: &[on("login", Sheet::ServerLogins)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per SQL login (`##…##` excepted): disabled → PASS; MUST_CHANGE pending → PASS; password
/// last set within a minute of creation → WARN low; later → PASS; a value unreadable or
/// unparsable → UNKNOWN. No SQL login → one PASS. Not scripted: setting MUST_CHANGE needs a
/// new password handed to the login's user.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(logins) = gaps.take("logins", &s.logins) else {
        return gaps.only_unknown(check, s);
    };
    let out: Vec<Finding> = logins
        .iter()
        .filter(|l| l.kind == "S" && !is_internal_name(&l.name))
        .map(|l| judge(check, l))
        .collect();
    if out.is_empty() {
        return vec![
            check
                .instance_finding(s, Status::Pass)
                .message(format!(
                    "{} has no SQL-authentication login.",
                    instance_name(s)
                ))
                .done(),
        ];
    }
    out
}

fn judge(check: &Check, login: &LoginInfo) -> Finding {
    let name = &login.name;
    let draft = |status| {
        check
            .finding(status, "login", name.clone(), login_key(login))
            .ev("sid", &login.sid)
            .ev("disabled", yes_no(login.disabled))
            .ev("must_change", or_unknown(login.must_change.map(yes_no)))
            .ev("created", &login.created)
            .ev(
                "password_last_set",
                login.password_last_set.as_deref().unwrap_or("unknown"),
            )
    };
    if login.disabled {
        return draft(Status::Pass)
            .message(format!("SQL login `{name}` is disabled."))
            .done();
    }
    let Some(must_change) = login.must_change else {
        return draft(Status::Unknown)
            .message(format!(
                "SQL login `{name}`: whether MUST_CHANGE is pending could not be read."
            ))
            .done();
    };
    if must_change {
        return draft(Status::Pass)
            .message(format!(
                "SQL login `{name}` must change its password at its next login."
            ))
            .done();
    }
    let created = parse_timestamp(&login.created);
    let set = login.password_last_set.as_deref().and_then(parse_timestamp);
    match (created, set) {
        (Some(created), Some(set)) if (set - created).abs() <= SAME_EVENT_SECONDS => {
            draft(Status::Warn)
                .message(format!(
                    "SQL login `{name}` still has the password it was created with ({}) and MUST_CHANGE is not set: whoever created it knows it. Have its user set a new one (ALTER LOGIN … WITH PASSWORD … MUST_CHANGE), or document why not.",
                    login.created
                ))
                .done()
        }
        (Some(_), Some(_)) => draft(Status::Pass)
            .message(format!(
                "SQL login `{name}`'s password was changed after the login was created."
            ))
            .done(),
        _ => draft(Status::Unknown)
            .message(format!(
                "SQL login `{name}`: when its password was last set, or when it was created, could not be read."
            ))
            .done(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn with_ops(f: impl FnOnce(&mut LoginInfo)) -> Finding {
        let mut s = compliant_snapshot();
        let mut ops = login("ops", "0x0A0B", "S");
        f(&mut ops);
        edit(&mut s.logins).push(ops);
        by_key(&run(&CHECK, &s), "login:0x0a0b").clone()
    }

    #[test]
    fn changed_passwords_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        assert!(f.iter().all(|f| f.status == Status::Pass), "{f:#?}");
        assert_eq!(with_ops(|_| {}).status, Status::Pass);
    }

    #[test]
    fn initial_password_without_must_change_warns() {
        let f = with_ops(|l| {
            l.created = "2024-03-01 10:00:00.000".to_owned();
            l.password_last_set = Some("2024-03-01 10:00:00.003".to_owned());
        });
        assert_eq!((f.status, f.severity), (Status::Warn, Severity::Low));
        assert!(f.message.contains("MUST_CHANGE"));
        // 61 seconds later is a change, not the creation.
        let f = with_ops(|l| {
            l.created = "2024-03-01 10:00:00.000".to_owned();
            l.password_last_set = Some("2024-03-01 10:01:01.000".to_owned());
        });
        assert_eq!(f.status, Status::Pass);
    }

    #[test]
    fn must_change_pending_and_disabled_pass() {
        let initial = |l: &mut LoginInfo| {
            l.created = "2024-03-01 10:00:00".to_owned();
            l.password_last_set = Some("2024-03-01 10:00:00".to_owned());
        };
        let f = with_ops(|l| {
            initial(l);
            l.must_change = Some(true);
        });
        assert_eq!(f.status, Status::Pass);
        let f = with_ops(|l| {
            initial(l);
            l.disabled = true;
        });
        assert_eq!(f.status, Status::Pass);
    }

    #[test]
    fn unreadable_values_are_unknown() {
        assert_eq!(with_ops(|l| l.must_change = None).status, Status::Unknown);
        assert_eq!(
            with_ops(|l| l.password_last_set = None).status,
            Status::Unknown
        );
        let mut s = compliant_snapshot();
        s.logins = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }

    #[test]
    fn windows_and_internal_logins_are_not_judged() {
        let mut s = compliant_snapshot();
        edit(&mut s.logins).retain(|l| l.kind != "S" || l.name.starts_with("##"));
        let f = run(&CHECK, &s);
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
    }
}
