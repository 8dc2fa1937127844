//! X81 – schemas and objects owned by individual principals are reviewed (STIG SQL6-D0-001200 /
//! SQLD-22-001200, SQL6-D0-001300 / SQLD-22-001300, SQL6-D0-002800 / SQLD-22-002800).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on_row};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// An owner holds every right on what it owns and can grant them on: ownership by a person
/// escapes the roles the permissions are reviewed through.
pub const CHECK: Check = Check {
    id: CheckId::new("X81"),
    title: "Schemas and objects owned by individuals reviewed",
    severity: Severity::Low,
    rationale: "The owner of a schema holds CONTROL over everything in it, can change any \
                module and grant access to any table, without appearing in a role. The STIG \
                wants ownership of schemas and objects limited to documented principals \
                (SQL6-D0-001200, SQL6-D0-001300) and discretionary grants traced to the data \
                owner (SQL6-D0-002800). Schemas owned by dbo or a role, and objects owned through \
                their schema, are not listed.",
    outcomes: Outcomes {
        pass: "one row: every schema is owned by dbo or a role and no object has an owner of its own",
        fail_or_warn: "none: the rule asks for a review",
        other: "REVIEW (low): each schema owned by a user, and each object owned apart from its schema; UNKNOWN: the databases unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-001200", "SQL6-D0-001300", "SQL6-D0-002800"],
        stig_2022: &["SQLD-22-001200", "SQLD-22-001300", "SQLD-22-002800"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on_row("owned", Sheet::Instances, "instance:")],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per schema or object in `DatabaseDetail::owned` → REVIEW; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details {
        for o in d.owned.iter().filter(|o| !same_name(&o.owner, "dbo")) {
            let schema = o.kind.eq_ignore_ascii_case("SCHEMA");
            out.push(
                check
                    .finding(
                        Status::Review,
                        "owned",
                        format!("{}.{}", d.database, o.name),
                        entity_key("owned", &[&d.database, &o.kind, &o.name]),
                    )
                    .ev("database", &d.database)
                    .ev("kind", &o.kind)
                    .ev("owner", &o.owner)
                    .ev("owner_type", &o.owner_kind)
                    .message(format!(
                        "{} `{}` in `{}` is owned by `{}`{}. Confirm the owner is documented; \
                         otherwise hand it to dbo or a role (ALTER AUTHORIZATION ON {}::{} TO {}).",
                        if schema { "Schema" } else { "Object" },
                        o.name,
                        d.database,
                        o.owner,
                        if schema {
                            ", who controls everything in it"
                        } else {
                            " rather than by its schema's owner"
                        },
                        if schema { "SCHEMA" } else { "OBJECT" },
                        o.name,
                        if schema { "dbo" } else { "SCHEMA OWNER" }
                    ))
                    .done(),
            );
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "No schema or object of {} is owned by an individual principal.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::OwnedSecurable;

    #[test]
    fn none_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn owned_schemas_and_objects_are_reviewed() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.database_details)[4];
        for (kind, name) in [("SCHEMA", "reporting"), ("OBJECT", "dbo.Prices")] {
            sales.owned.push(OwnedSecurable {
                kind: kind.into(),
                name: name.into(),
                owner: "CORP\\alice".into(),
                owner_kind: "U".into(),
            });
        }
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Review, Status::Review]);
        assert!(f[1].message.contains("TO SCHEMA OWNER"));
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
