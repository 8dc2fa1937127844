//! X60 – application roles reviewed (Vulnerability Assessment VA1246).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// An application role is entered with a password any client that knows it can send: its
/// rights belong to no person, and the audit trail names the role, not who used it.
pub const CHECK: Check = Check {
    id: CheckId::new("X60"),
    title: "Application roles reviewed",
    severity: Severity::Low,
    rationale: "sp_setapprole switches a session to an application role with a password that \
                sits in the application's configuration. Everyone who can read it gets the role's \
                rights; the session then acts as the role, so auditing no longer names the person. \
                Vulnerability Assessment wants none; where an application needs one, each is a \
                review item (who knows the password, what the role may do).",
    outcomes: Outcomes {
        pass: "one row: no application role in any database read",
        fail_or_warn: "none: the rule asks for a review",
        other: "REVIEW (low): each application role; UNKNOWN: the databases' principals unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA1246"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on("db_user", Sheet::DatabaseUsers)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Each principal of type `A` (sys.database_principals) → REVIEW; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details {
        for r in d.principals.iter().filter(|p| p.kind == "A") {
            let permissions = d
                .permissions
                .iter()
                .filter(|p| same_name(&p.grantee, &r.name))
                .count();
            out.push(
                check
                    .finding(
                        Status::Review,
                        "db_user",
                        format!("{}.{}", d.database, r.name),
                        entity_key("db_user", &[&d.database, &r.name]),
                    )
                    .message(format!(
                        "Application role `{}` in database `{}`: whoever holds its password acts as \
                         the role, and auditing names the role, not the person. Confirm the \
                         application still needs it, who knows the password, and what it is granted \
                         ({permissions} explicit permission(s)); drop it otherwise.",
                        r.name, d.database
                    ))
                    .ev("database", &d.database)
                    .ev("explicit_permissions", permissions)
                    .done(),
            );
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!("No application role exists on {}.", instance_name(s)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::DatabasePrincipal;

    #[test]
    fn none_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn an_application_role_is_reviewed() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.database_details)[4];
        sales.principals.push(DatabasePrincipal {
            sid: None,
            authentication_type: None,
            ..user("OrderEntry", "A", "0x00", None)
        });
        sales
            .permissions
            .push(permission("OrderEntry", "EXECUTE", "GRANT", "SCHEMA"));
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Review);
        assert_eq!(hit.entity_key, "db_user:salesdb/orderentry");
        assert_eq!(hit.evidence["explicit_permissions"], "1");
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
