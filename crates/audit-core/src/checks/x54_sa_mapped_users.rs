//! X54 – no database user other than dbo is mapped to the sa login's SID (Vulnerability
//! Assessment VA1048).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// The SID of the built-in sa login (`principal_id` 1), whatever its name.
const SA_SID: &str = "0x01";

/// A user mapped to sa lets whoever knows sa's password (or impersonates it) act in the
/// database under another name, and keeps sa in use where the audit expects it disabled.
pub const CHECK: Check = Check {
    id: CheckId::new("X54"),
    title: "No database user mapped to the sa login",
    severity: Severity::High,
    rationale: "In a database owned by sa, dbo carries sa's SID (0x01); any other user with that \
                SID is a second name for the most powerful login of the instance, hides sa's \
                activity under an ordinary-looking user name, and survives sa being renamed. \
                Vulnerability Assessment VA1048 asks that no database principal other than dbo \
                be mapped to sa.",
    outcomes: Outcomes {
        pass: "one row: no such user in any database read",
        fail_or_warn: "FAIL (high): each user other than dbo whose SID is 0x01",
        other: "UNKNOWN: the databases' principals unreadable (per database where the audit login could not enter)",
    },
    family: Family::Authentication,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA1048"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on("db_user", Sheet::DatabaseUsers)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per database principal other than dbo with SID 0x01 → FAIL; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details {
        for p in d.principals.iter().filter(|p| {
            !same_name(&p.name, "dbo")
                && p.sid
                    .as_deref()
                    .is_some_and(|sid| sid.trim().eq_ignore_ascii_case(SA_SID))
        }) {
            out.push(
                check
                    .finding(
                        Status::Fail,
                        "db_user",
                        format!("{}.{}", d.database, p.name),
                        entity_key("db_user", &[&d.database, &p.name]),
                    )
                    .message(format!(
                        "User `{}` in database `{}` is mapped to the sa login (SID 0x01): drop it \
                         (DROP USER) and give whoever uses it a user of their own.",
                        p.name, d.database
                    ))
                    .ev("database", &d.database)
                    .ev("user", &p.name)
                    .ev("sid", SA_SID)
                    .ev("login", p.login.as_deref().unwrap_or("sa"))
                    .done(),
            );
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "No database user other than dbo is mapped to sa on {}.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    /// dbo of a database sa owns carries sa's SID: not a finding.
    #[test]
    fn dbo_alone_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn another_user_with_sas_sid_fails() {
        let mut s = compliant_snapshot();
        edit(&mut s.database_details)[4].principals.push(user(
            "legacy_admin",
            "S",
            "0x01",
            Some("sa_renamed"),
        ));
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Fail);
        assert_eq!(hit.entity_key, "db_user:salesdb/legacy_admin");
        assert_eq!(hit.evidence["login"], "sa_renamed");
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
