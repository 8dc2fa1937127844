//! X57 – users of contained databases authenticate with Windows, not with a password stored in
//! the database (CIS 3.4, STIG SQL6-D0-008000 / SQLI-22-008000, VA1267).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// A contained user with a password (`authentication_type_desc = DATABASE`) logs in without a
/// login: the server's password policy, lockout and login auditing never see it.
pub const CHECK: Check = Check {
    id: CheckId::new("X57"),
    title: "Contained database users authenticate with Windows, not a database password",
    severity: Severity::High,
    rationale: "A user created WITH PASSWORD in a partially contained database authenticates \
                inside that database: no login exists for it, so CHECK_POLICY, lockout, password \
                expiration and the server's login auditing do not apply, and a copy of the \
                database carries the password hash wherever it goes. CIS 3.4, the STIG and \
                Vulnerability Assessment want contained users to be Windows principals.",
    outcomes: Outcomes {
        pass: "one row: no user with a database password in any database read",
        fail_or_warn: "FAIL (high): each SQL user whose authentication type is DATABASE",
        other: "UNKNOWN: the databases' principals unreadable; NOT APPLICABLE before SQL Server 2012 (no contained databases)",
    },
    family: Family::Authentication,
    applies_to: Applicability {
        since_major: Some(11),
        ..Applicability::ALL
    },
    references: References {
        cis: &[cis("3.4")],
        stig_2016: &["SQL6-D0-008000"],
        stig_2022: &["SQLI-22-008000"],
        va: &["VA1267"],
        dbachecks: &["ContainedDBSQLAuth"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on("db_user", Sheet::DatabaseUsers)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Each user with `authentication_type_desc = DATABASE` (sys.database_principals, 2012+) →
/// FAIL; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details {
        for u in d.principals.iter().filter(|u| {
            u.kind == "S"
                && u.authentication_type
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case("DATABASE"))
        }) {
            out.push(
                check
                    .finding(
                        Status::Fail,
                        "db_user",
                        format!("{}.{}", d.database, u.name),
                        entity_key("db_user", &[&d.database, &u.name]),
                    )
                    .message(format!(
                        "User `{}` of contained database `{}` logs in with a password stored in \
                         the database, outside the server's password policy and login auditing. \
                         Replace it with a Windows user (CREATE USER [DOMAIN\\name]) or a user \
                         mapped to a login, then drop it.",
                        u.name, d.database
                    ))
                    .ev("database", &d.database)
                    .ev("user", &u.name)
                    .ev("authentication_type", "DATABASE")
                    .done(),
            );
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "No database user on {} authenticates with a database password.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::DatabasePrincipal;

    #[test]
    fn windows_and_mapped_users_pass() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn a_password_user_fails_high() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.database_details)[4];
        sales.principals.push(DatabasePrincipal {
            authentication_type: Some("DATABASE".into()),
            ..user("web_app", "S", "0x0105", None)
        });
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Fail);
        assert_eq!(hit.severity, Severity::High);
        assert_eq!(hit.entity_key, "db_user:salesdb/web_app");
    }

    #[test]
    fn before_2012_it_does_not_apply_and_unreadable_is_unknown() {
        assert_eq!(CHECK.applies_to.since_major, Some(11));
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
