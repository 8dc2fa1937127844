//! X24 – the running server audits cover the action groups the STIG requires.

use std::collections::BTreeSet;

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, STIG_AUDIT_GROUPS, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// A server audit records only the action groups its specifications name: changes to
/// permissions, principals, roles, objects and the audit itself go unrecorded unless each group
/// is there. The list is the organisation's (`thresholds.required_audit_groups`), the STIG's by
/// default.
pub const CHECK: Check = Check {
    id: CheckId::new("X24"),
    title: "Server audit covers the required action groups",
    severity: Severity::Medium,
    rationale: "The STIG requires the server audit specification to record changes to configuration, \
                permissions, principals, role membership, objects, backups and the audit itself \
                (31 action groups in SQLI-22-011800, plus SCHEMA_OBJECT_ACCESS_GROUP for access to \
                objects); CIS 5.4 asks for AUDIT_CHANGE_GROUP. Only enabled specifications of STARTED \
                server audits count. The required list is a policy value \
                (`thresholds.required_audit_groups`).",
    outcomes: Outcomes {
        pass: "every required action group is in an enabled specification of a STARTED server audit",
        fail_or_warn: "FAIL: required groups missing (listed)",
        other: "UNKNOWN: audits unreadable, or their running state unreadable while the enabled ones would cover everything",
    },
    family: Family::Auditing,
    applies_to: Applicability {
        since_major: Some(11),
        ..Applicability::ALL
    },
    references: References {
        cis: &[cis("5.4")],
        stig_2016: &[
            "SQL6-D0-004300",
            "SQL6-D0-004600",
            "SQL6-D0-011800",
            "SQL6-D0-013400",
            "SQL6-D0-013600",
            "SQL6-D0-013800",
            "SQL6-D0-014200",
        ],
        stig_2022: &[
            "SQLI-22-004300",
            "SQLI-22-004600",
            "SQLI-22-011800",
            "SQLI-22-013800",
        ],
        ..References::NONE
    },
    reads: &[FactId::Audits, FactId::AuditStatus],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Which list the check judged against, for the evidence.
fn policy_source(policy: &Policy) -> String {
    let default = policy.required_audit_groups.len() == STIG_AUDIT_GROUPS.len()
        && STIG_AUDIT_GROUPS.iter().all(|g| {
            policy
                .required_audit_groups
                .iter()
                .any(|r| r.eq_ignore_ascii_case(g))
        });
    if default {
        format!("STIG default ({} groups)", STIG_AUDIT_GROUPS.len())
    } else {
        format!(
            "thresholds.required_audit_groups ({} groups)",
            policy.required_audit_groups.len()
        )
    }
}

/// The groups covered by enabled specifications of STARTED audits (of enabled audits when the
/// running state is unread); missing ones → FAIL; none missing → PASS (UNKNOWN when the running
/// state was not read).
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(audits) = gaps.take("audits", &s.audits) else {
        return gaps.only_unknown(check, s);
    };
    let running = super::x23_server_audit_started::started(s);
    let mut covered: BTreeSet<String> = BTreeSet::new();
    let mut counted: Vec<&str> = Vec::new();
    for audit in audits.iter().filter(|a| a.enabled) {
        if let Ok(names) = &running
            && !names.iter().any(|n| n == &audit.name)
        {
            continue;
        }
        counted.push(&audit.name);
        for spec in audit.specifications.iter().filter(|sp| sp.enabled) {
            covered.extend(spec.actions.iter().map(|a| a.to_uppercase()));
        }
    }
    let missing: Vec<&str> = policy
        .required_audit_groups
        .iter()
        .filter(|g| !covered.contains(&g.to_uppercase()))
        .map(String::as_str)
        .collect();
    let draft = |status| {
        check
            .instance_finding(s, status)
            .ev("judged_against", policy_source(policy))
            .ev(
                if running.is_ok() {
                    "started_audits"
                } else {
                    "enabled_audits"
                },
                if counted.is_empty() {
                    "-".to_owned()
                } else {
                    counted.join(", ")
                },
            )
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
                "{}: the visible server audits lack {} required action groups, but {why}.",
                instance_name(s),
                missing.len()
            ))
            .done()
    } else if !missing.is_empty() {
        let whose = if counted.is_empty() {
            "no server audit is running".to_owned()
        } else {
            format!("server audit {} lacks", counted.join(", "))
        };
        draft(Status::Fail)
            .message(format!(
                "{}: {whose} {} of the {} required action groups: {}.",
                instance_name(s),
                missing.len(),
                policy.required_audit_groups.len(),
                missing.join(", ")
            ))
            .done()
    } else if let Err(why) = &running {
        draft(Status::Unknown)
            .message(format!(
                "{}: the enabled server audits cover every required action group, but whether they are STARTED could not be read ({why}).",
                instance_name(s)
            ))
            .ev("unavailable.audit_status", why)
            .done()
    } else {
        draft(Status::Pass)
            .message(format!(
                "{}: server audit {} covers all {} required action groups.",
                instance_name(s),
                counted.join(", "),
                policy.required_audit_groups.len()
            ))
            .done()
    };
    vec![finding]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn the_stig_groups_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        let f = single(&f, Status::Pass);
        assert_eq!(f.evidence["judged_against"], "STIG default (32 groups)");
    }

    #[test]
    fn missing_groups_fail_and_are_listed() {
        let mut s = compliant_snapshot();
        edit(&mut s.audits)[0].specifications[0]
            .actions
            .retain(|a| a != "AUDIT_CHANGE_GROUP" && a != "DBCC_GROUP");
        let f = run(&CHECK, &s);
        let f = single(&f, Status::Fail);
        assert!(f.message.contains("2 of the 32"), "{}", f.message);
        assert_eq!(
            f.evidence["missing_groups"],
            "AUDIT_CHANGE_GROUP, DBCC_GROUP"
        );
        // A specification that is disabled, or an audit not STARTED, covers nothing.
        let mut s = compliant_snapshot();
        edit(&mut s.audit_status)[0].status = "FAILED".to_owned();
        let f = run(&CHECK, &s);
        assert!(
            single(&f, Status::Fail)
                .message
                .contains("no server audit is running")
        );
        let mut s = compliant_snapshot();
        edit(&mut s.audits)[0].specifications[0].enabled = false;
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Fail]);
    }

    #[test]
    fn the_list_is_a_policy_value() {
        let mut s = compliant_snapshot();
        edit(&mut s.audits)[0].specifications[0].actions = vec!["AUDIT_CHANGE_GROUP".to_owned()];
        let mut p = policy();
        p.required_audit_groups = vec!["audit_change_group".to_owned()];
        let f = (CHECK.rule)(&CHECK, &s, &p);
        let f = single(&f, Status::Pass);
        assert_eq!(
            f.evidence["judged_against"],
            "thresholds.required_audit_groups (1 groups)"
        );
    }

    #[test]
    fn unknowns() {
        let mut s = compliant_snapshot();
        s.audit_status = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
        // Even if every enabled audit ran, groups would be missing: FAIL.
        edit(&mut s.audits)[0].specifications[0]
            .actions
            .retain(|a| a != "DBCC_GROUP");
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Fail]);
        s.audits = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }

    #[test]
    fn applies_from_2012() {
        assert_eq!(CHECK.applies_to.since_major, Some(11));
    }
}
