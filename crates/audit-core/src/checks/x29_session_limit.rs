//! X29 – a concurrent-session limit is in place.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Without a limit on concurrent sessions, one account (or a flood of connections) can
/// exhaust the instance. SQL Server offers 'user connections' (instance-wide) and LOGON
/// triggers (per login); the number is the organisation's.
pub const CHECK: Check = Check {
    id: CheckId::new("X29"),
    title: "Concurrent-session limit",
    severity: Severity::Low,
    rationale: "The STIG asks SQL Server to limit concurrent sessions to an organisation-defined number \
                (per user: usually a LOGON trigger counting sys.dm_exec_sessions; instance-wide: \
                'user connections', 0 = the maximum, 32,767). The number is a policy value \
                (`thresholds.max_user_connections`).",
    outcomes: Outcomes {
        pass: "`user connections` is set (≠ 0) and within `thresholds.max_user_connections` when configured",
        fail_or_warn: "WARN: `thresholds.max_user_connections` is configured and `user connections` is 0 or above it, with no LOGON trigger",
        other: "REVIEW: an enabled LOGON trigger (confirm it limits sessions), or no limit and no number configured; UNKNOWN: configuration or server triggers unreadable",
    },
    family: Family::Authentication,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-003600"],
        stig_2022: &["SQLI-22-003600"],
        ..References::NONE
    },
    reads: &[FactId::Configuration, FactId::ServerTriggers],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// 'user connections' set and within the policy → PASS; a LOGON trigger → REVIEW; neither →
/// WARN with a policy number, REVIEW without.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let rows = gaps.take("configuration", &s.configuration);
    let triggers = gaps.take("server_triggers", &s.server_triggers);
    let (Some(rows), Some(triggers)) = (rows, triggers) else {
        return gaps.only_unknown(check, s);
    };
    let Some(limit) = rows
        .iter()
        .find(|r| r.name.eq_ignore_ascii_case("user connections"))
        .map(|r| r.value_in_use)
    else {
        return vec![
            check
                .instance_finding(s, Status::Unknown)
                .message(format!(
                    "{}: `user connections` is not in sys.configurations; the session limit cannot be evaluated.",
                    instance_name(s)
                ))
                .done(),
        ];
    };
    let logon: Vec<&str> = triggers
        .iter()
        .filter(|t| !t.disabled && t.events.iter().any(|e| e.eq_ignore_ascii_case("LOGON")))
        .map(|t| t.name.as_str())
        .collect();
    let judged = match policy.max_user_connections {
        Some(n) => format!("thresholds.max_user_connections = {n}"),
        None => "thresholds.max_user_connections not set".to_owned(),
    };
    let draft = |status| {
        check
            .instance_finding(s, status)
            .ev("user_connections", limit)
            .ev(
                "logon_triggers",
                if logon.is_empty() {
                    "-".to_owned()
                } else {
                    logon.join(", ")
                },
            )
            .ev("judged_against", &judged)
    };
    let within = limit != 0
        && policy
            .max_user_connections
            .is_none_or(|n| limit <= i64::from(n));
    let finding = if within {
        draft(Status::Pass)
            .message(format!(
                "{} limits concurrent connections to {limit} ('user connections').",
                instance_name(s)
            ))
            .done()
    } else if !logon.is_empty() {
        draft(Status::Review)
            .message(format!(
                "{} has LOGON trigger(s) {}: confirm they limit concurrent sessions per login to the organisation's number ('user connections' is {limit}).",
                instance_name(s),
                logon.join(", ")
            ))
            .done()
    } else if let Some(n) = policy.max_user_connections {
        draft(Status::Warn)
            .message(format!(
                "{} does not limit concurrent sessions to {n}: 'user connections' is {limit}{} and no LOGON trigger exists.",
                instance_name(s),
                if limit == 0 { " (unlimited)" } else { "" }
            ))
            .done()
    } else {
        draft(Status::Review)
            .message(format!(
                "{} sets no concurrent-session limit ('user connections' 0, no LOGON trigger): decide the organisation's number (thresholds.max_user_connections) or document why none is needed.",
                instance_name(s)
            ))
            .done()
    };
    vec![finding]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::TriggerInfo;

    fn with(limit: i64, trigger: bool, max: Option<u32>) -> Vec<Finding> {
        let mut s = compliant_snapshot();
        let row = edit(&mut s.configuration)
            .iter_mut()
            .find(|c| c.name == "user connections")
            .unwrap();
        row.value_in_use = limit;
        if trigger {
            edit(&mut s.server_triggers).push(TriggerInfo {
                name: "trg_session_limit".to_owned(),
                parent: "SERVER".to_owned(),
                disabled: false,
                events: vec!["LOGON".to_owned()],
            });
        }
        let mut p = policy();
        p.max_user_connections = max;
        (CHECK.rule)(&CHECK, &s, &p)
    }

    #[test]
    fn a_limit_passes() {
        assert_eq!(statuses(&with(500, false, None)), [Status::Pass]);
        assert_eq!(statuses(&with(500, false, Some(500))), [Status::Pass]);
    }

    #[test]
    fn no_limit_is_a_review_without_a_number_and_a_warn_with_one() {
        let f = with(0, false, None);
        assert!(
            single(&f, Status::Review)
                .message
                .contains("no concurrent-session limit")
        );
        let f = with(0, false, Some(200));
        let f = single(&f, Status::Warn);
        assert_eq!(
            f.evidence["judged_against"],
            "thresholds.max_user_connections = 200"
        );
        assert_eq!(statuses(&with(1000, false, Some(200))), [Status::Warn]);
    }

    #[test]
    fn a_logon_trigger_is_reviewed() {
        let f = with(0, true, Some(200));
        assert!(
            single(&f, Status::Review)
                .message
                .contains("trg_session_limit")
        );
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        s.server_triggers = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
        let mut s = compliant_snapshot();
        edit(&mut s.configuration).retain(|c| c.name != "user connections");
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
