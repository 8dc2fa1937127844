//! X25 – server audit filter predicates are reviewed.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{AuditInfo, FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// A `WHERE` clause on a server audit (2012+) silently drops the events it does not match: a
/// filter on `server_principal_name` can exempt the very administrators the audit must record.
pub const CHECK: Check = Check {
    id: CheckId::new("X25"),
    title: "Server audit filters reviewed",
    severity: Severity::Medium,
    rationale: "The STIG requires audit records of all direct access to the databases. A server audit \
                with a filter predicate (`CREATE SERVER AUDIT … WHERE …`) records only the events the \
                predicate matches; whether it excludes administrators or accounts that must be \
                audited can only be judged by a person.",
    outcomes: Outcomes {
        pass: "the server audit has no filter predicate; one row when there is no server audit",
        fail_or_warn: "–",
        other: "REVIEW: the server audit has a predicate (shown); UNKNOWN: audits unreadable",
    },
    family: Family::Auditing,
    applies_to: Applicability {
        since_major: Some(11),
        ..Applicability::ALL
    },
    references: References {
        stig_2016: &["SQL6-D0-015500"],
        stig_2022: &["SQLI-22-015500"],
        ..References::NONE
    },
    reads: &[FactId::Audits],
    placement: &[on("server_audit", Sheet::AuditSettings)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// The key of a server audit's row (Audit Settings).
pub(crate) fn audit_key(audit: &AuditInfo) -> String {
    entity_key("server_audit", &[&audit.name])
}

/// Per audit: a predicate → REVIEW quoting it; none → PASS. No audit → one instance PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(audits) = gaps.take("audits", &s.audits) else {
        return gaps.only_unknown(check, s);
    };
    if audits.is_empty() {
        return vec![
            check
                .instance_finding(s, Status::Pass)
                .message(format!(
                    "{} has no server audit, so no audit filter.",
                    instance_name(s)
                ))
                .done(),
        ];
    }
    audits
        .iter()
        .map(|a| {
            let draft = |status| {
                check
                    .finding(status, "server_audit", a.name.clone(), audit_key(a))
                    .ev("predicate", a.predicate.as_deref().unwrap_or("-"))
                    .ev("enabled", yes_no(a.enabled))
            };
            match a.predicate.as_deref().map(str::trim) {
                Some(p) if !p.is_empty() => draft(Status::Review)
                    .message(format!(
                        "Server audit `{}` records only events matching `{p}`: confirm the filter excludes no principal or action that must be audited.",
                        a.name
                    ))
                    .done(),
                _ => draft(Status::Pass)
                    .message(format!("Server audit `{}` has no filter.", a.name))
                    .done(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn unfiltered_audits_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "server_audit:secaudit");
        let mut s = compliant_snapshot();
        edit(&mut s.audits).clear();
        assert_eq!(
            single(&run(&CHECK, &s), Status::Pass).entity_key,
            "instance:"
        );
    }

    #[test]
    fn a_predicate_is_a_review() {
        let mut s = compliant_snapshot();
        edit(&mut s.audits)[0].predicate =
            Some("([server_principal_name]<>'CORP\\dba')".to_owned());
        let f = run(&CHECK, &s);
        let f = single(&f, Status::Review);
        assert!(f.message.contains("server_principal_name"));
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        s.audits = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
