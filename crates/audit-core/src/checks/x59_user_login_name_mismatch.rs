//! X59 – no database user carries a login's name but another SID (Vulnerability Assessment
//! VA1070).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// A user named like a login it does not belong to misleads whoever reads the permissions: the
/// login's owner is believed to hold the user's rights, or the other way round.
pub const CHECK: Check = Check {
    id: CheckId::new("X59"),
    title: "Database users named like a login belong to that login",
    severity: Severity::Low,
    rationale: "A database user is tied to a login by SID, not by name. A user that carries the \
                name of a login but another SID (left over from a restore or a copied database, \
                or created on purpose) makes permission reviews wrong: the rights look like that \
                login's and are someone else's. Remap the user (ALTER USER … WITH LOGIN) or \
                rename it.",
    outcomes: Outcomes {
        pass: "one row: every user named like a login has that login's SID",
        fail_or_warn: "WARN (low): each user whose name equals a login's and whose SID differs",
        other: "UNKNOWN: logins or the databases' principals unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA1070"],
        ..References::NONE
    },
    reads: &[FactId::Logins, FactId::DatabaseDetails],
    placement: &[on("db_user", Sheet::DatabaseUsers)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Users (S, U, G; not dbo, guest, sys, INFORMATION_SCHEMA) whose name matches a login's and
/// whose SID does not → WARN.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let logins = gaps.take("logins", &s.logins);
    let details = gaps.take("database_details", &s.database_details);
    let (Some(logins), Some(details)) = (logins, details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details {
        for u in d
            .principals
            .iter()
            .filter(|u| matches!(u.kind.as_str(), "S" | "U" | "G") && u.principal_id > 4)
        {
            let Some(sid) = u.sid.as_deref() else {
                continue;
            };
            let Some(login) = logins
                .iter()
                .find(|l| same_name(&l.name, &u.name) && !l.sid.eq_ignore_ascii_case(sid))
            else {
                continue;
            };
            let belongs = u.login.as_deref().map_or_else(
                || "no login (its SID matches none)".to_owned(),
                |l| format!("login `{l}`"),
            );
            out.push(
                check
                    .finding(
                        Status::Warn,
                        "db_user",
                        format!("{}.{}", d.database, u.name),
                        entity_key("db_user", &[&d.database, &u.name]),
                    )
                    .message(format!(
                        "User `{}` in database `{}` has the name of login `{}` but belongs to {belongs}. \
                         Remap it (ALTER USER [{}] WITH LOGIN = [{}]) if it is that login's, or rename it.",
                        u.name,
                        d.database,
                        login.name,
                        u.name.replace(']', "]]"),
                        login.name.replace(']', "]]"),
                    ))
                    .ev("database", &d.database)
                    .ev("user_sid", sid)
                    .ev("login_sid", &login.sid)
                    .ev("mapped_login", u.login.as_deref().unwrap_or("(none)"))
                    .done(),
            );
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "Every database user on {} named like a login belongs to it.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn users_with_their_logins_sid_pass() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn a_restored_user_with_another_sid_warns() {
        let mut s = compliant_snapshot();
        edit(&mut s.logins).push(login("report_user", "0x0A0B", "S"));
        edit(&mut s.database_details)[4]
            .principals
            .push(user("Report_User", "S", "0x0C0D", None));
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Warn);
        assert_eq!(hit.severity, Severity::Low);
        assert_eq!(hit.evidence["login_sid"], "0x0A0B");
        assert!(hit.message.contains("no login"));
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.logins = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
