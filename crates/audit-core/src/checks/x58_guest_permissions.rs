//! X58 – the guest user holds no permission besides CONNECT (Vulnerability Assessment VA1096,
//! VA1097, VA1099).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, PermissionInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Whatever guest is granted, every login without a user of its own in the database has
/// whenever guest may connect.
pub const CHECK: Check = Check {
    id: CheckId::new("X58"),
    title: "guest holds no permission besides CONNECT",
    severity: Severity::Medium,
    rationale: "guest stands for every login that has no user of its own in a database. A \
                permission granted to guest — on the database, a schema, an object or a column — \
                is therefore granted to every login of the instance as soon as guest may \
                connect, and it stays in place when CONNECT is revoked, ready for the day it is \
                granted again. Grant such rights to a role whose members are named.",
    outcomes: Outcomes {
        pass: "one row: guest holds no GRANT other than CONNECT in any database read",
        fail_or_warn: "FAIL (medium): each permission granted to guest (DENY is not flagged)",
        other: "UNKNOWN: the databases' permissions unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA1096", "VA1097", "VA1099"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on("permission", Sheet::PermissionGrants)],
    remediation: RemediationCategory::Review,
    rule,
};

/// A GRANT (with or without grant option) to guest, other than CONNECT on the database.
pub(crate) fn is_guest_grant(p: &PermissionInfo) -> bool {
    same_name(&p.grantee, "guest")
        && p.state.to_uppercase().starts_with("GRANT")
        && !(p.permission.trim().eq_ignore_ascii_case("CONNECT")
            && p.class.eq_ignore_ascii_case("DATABASE"))
}

/// Each grant to guest besides CONNECT → FAIL; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details {
        for p in d.permissions.iter().filter(|p| is_guest_grant(p)) {
            out.push(
                check
                    .finding(
                        Status::Fail,
                        "permission",
                        permission_entity(Some(&d.database), p),
                        permission_key(Some(&d.database), p),
                    )
                    .message(format!(
                        "guest is granted {} in database `{}`: every login without a user there \
                         holds it whenever guest may connect. Revoke it and grant it to a role \
                         with named members.",
                        permission_entity(None, p)
                            .trim_start_matches("guest: ")
                            .to_owned(),
                        d.database
                    ))
                    .ev("database", &d.database)
                    .ev("permission", &p.permission)
                    .ev("state", &p.state)
                    .fix(revoke(&d.database, p))
                    .ev("securable", format!("{} {}", p.class, p.securable).trim())
                    .done(),
            );
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "guest holds no permission besides CONNECT on {}.",
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
    fn connect_alone_passes() {
        let mut s = compliant_snapshot();
        edit(&mut s.database_details)[0]
            .permissions
            .push(permission("guest", "CONNECT", "GRANT", "DATABASE"));
        single(&run(&CHECK, &s), Status::Pass);
    }

    #[test]
    fn an_object_grant_fails_and_a_deny_does_not() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.database_details)[4];
        sales.permissions.push(PermissionInfo {
            securable: "dbo.PriceList".into(),
            ..permission("guest", "SELECT", "GRANT", "OBJECT_OR_COLUMN")
        });
        sales.permissions.push(PermissionInfo {
            securable: "dbo.Salaries".into(),
            ..permission("guest", "SELECT", "DENY", "OBJECT_OR_COLUMN")
        });
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Fail);
        assert_eq!(hit.severity, Severity::Medium);
        assert_eq!(hit.evidence["securable"], "OBJECT_OR_COLUMN dbo.PriceList");
        assert!(
            hit.message
                .contains("SELECT on OBJECT_OR_COLUMN dbo.PriceList")
        );
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
