//! X66 – only dbo may connect to model (Vulnerability Assessment VA1144).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// model is the template of every new database: a user or a guest CONNECT in model is copied
/// into each database created from then on.
pub const CHECK: Check = Check {
    id: CheckId::new("X66"),
    title: "model is accessible only by dbo",
    severity: Severity::Medium,
    rationale: "CREATE DATABASE copies model. A user that may connect to model, or guest enabled \
                there, reappears with its rights in every database created afterwards, where \
                nobody expects it. Vulnerability Assessment wants dbo alone in model.",
    outcomes: Outcomes {
        pass: "one row: in model only dbo may connect",
        fail_or_warn: "FAIL (medium): each user of model other than dbo that may connect (guest included)",
        other: "UNKNOWN: model's principals unreadable (or model not read)",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA1144"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on("db_user", Sheet::DatabaseUsers)],
    remediation: RemediationCategory::Review,
    rule,
};

/// model's users (S, U, G, C, K, E, X; not dbo) with CONNECT → FAIL; none → PASS; model
/// missing from the details read → UNKNOWN.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let Some(model) = details.iter().find(|d| same_name(&d.database, "model")) else {
        // A database the audit login could not enter is reported by the coverage engine (one
        // UNKNOWN keyed `database:model`, saying why); anything else is said here.
        let unread = s.unread.iter().any(|u| {
            matches!(&u.scope, crate::snapshot::Scope::Database(name) if same_name(name, "model"))
        });
        if unread {
            return Vec::new();
        }
        return vec![
            check
                .instance_finding(s, Status::Unknown)
                .message("model's users were not read (it was not listed among the databases).")
                .done(),
        ];
    };
    let mut out = Vec::new();
    for u in model.principals.iter().filter(|u| {
        u.can_connect && !matches!(u.kind.as_str(), "R" | "A") && !same_name(&u.name, "dbo")
    }) {
        out.push(
            check
                .finding(
                    Status::Fail,
                    "db_user",
                    format!("model.{}", u.name),
                    entity_key("db_user", &["model", &u.name]),
                )
                .message(format!(
                    "`{}` may connect to model: every database created from now on gets it too. \
                     {}",
                    u.name,
                    if same_name(&u.name, "guest") {
                        "REVOKE CONNECT FROM guest in model.".to_owned()
                    } else {
                        format!(
                            "Drop it from model (DROP USER [{}]).",
                            u.name.replace(']', "]]")
                        )
                    }
                ))
                .ev("database", "model")
                .ev("user", &u.name)
                .done(),
        );
    }
    check.pass_if_none(
        &mut out,
        s,
        format!("Only dbo may connect to model on {}.", instance_name(s)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn dbo_alone_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn a_user_and_guest_in_model_fail() {
        let mut s = compliant_snapshot();
        let model = &mut edit(&mut s.database_details)[2];
        assert_eq!(model.database, "model");
        model.principals[1].can_connect = true;
        model
            .principals
            .push(user("dev_team", "G", "0x0105", Some("CORP\\dev")));
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Fail, Status::Fail]);
        assert!(f[0].message.contains("REVOKE CONNECT FROM guest"));
    }

    #[test]
    fn model_not_read_or_unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        edit(&mut s.database_details).retain(|d| d.database != "model");
        single(&run(&CHECK, &s), Status::Unknown);
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
