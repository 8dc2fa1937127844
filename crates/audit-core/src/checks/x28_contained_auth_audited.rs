//! X28 – authentication to contained databases is audited.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Users of a contained database log in to the database, not the server: FAILED_LOGIN_GROUP
/// and SUCCESSFUL_LOGIN_GROUP do not record them, the database authentication groups do.
pub const CHECK: Check = Check {
    id: CheckId::new("X28"),
    title: "Contained database authentication audited",
    severity: Severity::Low,
    rationale: "A contained user's login is a database authentication: only \
                SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP and FAILED_DATABASE_AUTHENTICATION_GROUP \
                record it (Vulnerability Assessment VA1265). Where contained databases exist, a \
                STARTED server audit must cover both groups (at server level they cover every \
                database; a database audit specification per database can too, and is not read).",
    outcomes: Outcomes {
        pass: "no contained database, or a STARTED server audit's enabled specification covers both database authentication groups",
        fail_or_warn: "FAIL: contained databases exist and the groups missing are listed",
        other: "UNKNOWN: databases or audits unreadable, or the audits' running state unread while they would cover both",
    },
    family: Family::Auditing,
    applies_to: Applicability {
        since_major: Some(11),
        ..Applicability::ALL
    },
    references: References {
        va: &["VA1265"],
        ..References::NONE
    },
    reads: &[FactId::Databases, FactId::Audits, FactId::AuditStatus],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Manual,
    rule,
};

const GROUPS: [&str; 2] = [
    "SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP",
    "FAILED_DATABASE_AUTHENTICATION_GROUP",
];

/// No contained database → PASS; otherwise the groups covered by enabled specifications of
/// STARTED audits decide (FAIL listing the missing ones).
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(databases) = gaps.take("databases", &s.databases) else {
        return gaps.only_unknown(check, s);
    };
    let contained: Vec<&str> = databases
        .iter()
        .filter(|d| {
            d.containment
                .as_deref()
                .is_some_and(|c| !c.eq_ignore_ascii_case("NONE"))
        })
        .map(|d| d.name.as_str())
        .collect();
    if contained.is_empty() {
        return vec![
            check
                .instance_finding(s, Status::Pass)
                .message(format!("{} has no contained database.", instance_name(s)))
                .done(),
        ];
    }
    let Some(audits) = gaps.take("audits", &s.audits) else {
        return gaps.only_unknown(check, s);
    };
    let running = super::x23_server_audit_started::started(s);
    let missing: Vec<&str> = GROUPS
        .into_iter()
        .filter(|g| {
            !audits
                .iter()
                .filter(|a| a.enabled)
                .filter(|a| {
                    running
                        .as_ref()
                        .map_or(true, |names| names.iter().any(|n| n == &a.name))
                })
                .flat_map(|a| a.specifications.iter().filter(|sp| sp.enabled))
                .any(|sp| sp.actions.iter().any(|x| x.eq_ignore_ascii_case(g)))
        })
        .collect();
    let draft = |status| {
        check
            .instance_finding(s, status)
            .ev("contained_databases", contained.join(", "))
            .ev(
                "missing_groups",
                if missing.is_empty() {
                    "-".to_owned()
                } else {
                    missing.join(", ")
                },
            )
    };
    let finding = if let (false, Some(why)) = (missing.is_empty(), hidden_rows(s, FactId::Audits)) {
        draft(Status::Unknown)
            .message(format!(
                "{}: no visible server audit records {}, but {why}.",
                instance_name(s),
                missing.join(" and ")
            ))
            .done()
    } else if !missing.is_empty() {
        draft(Status::Fail)
            .message(format!(
                "{} has contained databases ({}) but no STARTED server audit records {}: logins of contained users go unrecorded.",
                instance_name(s),
                contained.join(", "),
                missing.join(" and ")
            ))
            .done()
    } else if let Err(why) = running {
        draft(Status::Unknown)
            .message(format!(
                "{}: enabled server audits cover database authentication, but whether they are STARTED could not be read ({why}).",
                instance_name(s)
            ))
            .ev("unavailable.audit_status", why)
            .done()
    } else {
        draft(Status::Pass)
            .message(format!(
                "{}: authentication to its contained databases ({}) is audited.",
                instance_name(s),
                contained.join(", ")
            ))
            .done()
    };
    vec![finding]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn contained() -> Snapshot {
        let mut s = compliant_snapshot();
        edit(&mut s.databases)[4].containment = Some("PARTIAL".to_owned());
        s
    }

    #[test]
    fn no_contained_database_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert!(single(&f, Status::Pass).message.contains("no contained"));
    }

    #[test]
    fn contained_without_the_groups_fails_and_with_them_passes() {
        let mut s = contained();
        let f = run(&CHECK, &s);
        let f = single(&f, Status::Fail);
        assert!(f.message.contains("SalesDB"));
        assert_eq!(
            f.evidence["missing_groups"],
            "SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP, FAILED_DATABASE_AUTHENTICATION_GROUP"
        );
        edit(&mut s.audits)[0].specifications[0]
            .actions
            .extend(GROUPS.iter().map(|g| (*g).to_owned()));
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Pass]);
        edit(&mut s.audit_status)[0].status = "FAILED".to_owned();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Fail]);
        s.audit_status = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = contained();
        s.audits = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
        let mut s = compliant_snapshot();
        s.databases = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
