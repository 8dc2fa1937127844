//! X26 – server audit failure and storage policy.

use super::Outcomes;
use super::support::*;
use super::x25_audit_filters::audit_key;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{AuditInfo, FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// What a server audit does when it cannot write (continue without records, fail the
/// operation, shut the instance down) and how much it may store (file size, rollover) trade
/// availability against a complete record: the STIG wants the organisation's decision applied.
pub const CHECK: Check = Check {
    id: CheckId::new("X26"),
    title: "Server audit failure and storage policy",
    severity: Severity::Low,
    rationale: "When a server audit cannot write, ON_FAILURE decides: CONTINUE loses records silently, \
                SHUTDOWN SERVER INSTANCE or FAIL OPERATION keep the record complete at the cost of \
                availability (STIG SQL6-D0-005600). For file audits, MAXSIZE, MAX_ROLLOVER_FILES and \
                MAX_FILES decide whether the oldest records are overwritten or the audit stops when \
                full (SQL6-D0-005700, SQL6-D0-010900). Which is right is the organisation's choice \
                (`thresholds.audit_on_failure`): undecided, the settings are a review item.",
    outcomes: Outcomes {
        pass: "ON_FAILURE is the organisation's choice (`thresholds.audit_on_failure`)",
        fail_or_warn: "WARN: ON_FAILURE differs from the organisation's choice",
        other: "REVIEW: no choice configured, the settings are shown; INFO: no server audit; UNKNOWN: audits unreadable",
    },
    family: Family::Auditing,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-005600", "SQL6-D0-005700", "SQL6-D0-010900"],
        stig_2022: &["SQLI-22-010900"],
        ..References::NONE
    },
    reads: &[FactId::Audits],
    placement: &[on("server_audit", Sheet::AuditSettings)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// One spelling for an ON_FAILURE value, whether it comes from the policy (`shutdown`,
/// `fail_operation`) or from `on_failure_desc` (`SHUTDOWN SERVER INSTANCE`, and
/// `FAIL_OPERATION` or `FAIL OPERATION` — the pages differ), so the two compare.
pub fn on_failure_desc(value: &str) -> String {
    let v = value.trim().to_uppercase().replace('_', " ");
    match v.as_str() {
        "SHUTDOWN" => "SHUTDOWN SERVER INSTANCE".to_owned(),
        _ => v,
    }
}

/// The storage settings in words.
fn storage(a: &AuditInfo) -> String {
    match &a.file {
        None => format!("{} (managed by Windows)", a.destination),
        Some(f) => {
            let size = if f.max_file_size_mb == 0 {
                "unlimited file size".to_owned()
            } else {
                format!("{} MB per file", f.max_file_size_mb)
            };
            let files = match f.max_files {
                Some(n) if n > 0 => format!("stops after {n} files"),
                _ if f.max_rollover_files >= 2_147_483_647 => "unlimited rollover files".to_owned(),
                _ => format!(
                    "rolls over after {} files (oldest overwritten)",
                    f.max_rollover_files
                ),
            };
            format!("FILE, {size}, {files}")
        }
    }
}

/// Per audit: with `audit_on_failure` set, PASS when it matches, WARN otherwise; unset, REVIEW
/// showing the settings. No audit → INFO (X23 judges that).
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(audits) = gaps.take("audits", &s.audits) else {
        return gaps.only_unknown(check, s);
    };
    if audits.is_empty() {
        if let Some(why) = hidden_rows(s, FactId::Audits) {
            return vec![
                check
                    .instance_finding(s, Status::Unknown)
                    .message(format!(
                        "{}: no server audit is visible, but {why}.",
                        instance_name(s)
                    ))
                    .done(),
            ];
        }
        return vec![
            check
                .instance_finding(s, Status::Info)
                .message(format!(
                    "{} has no server audit whose failure and storage settings could be judged (X23).",
                    instance_name(s)
                ))
                .done(),
        ];
    }
    let wanted = policy.audit_on_failure.as_deref().map(on_failure_desc);
    audits
        .iter()
        .map(|a| {
            let on_failure = a.on_failure.as_deref().unwrap_or("unknown");
            let draft = |status| {
                check
                    .finding(status, "server_audit", a.name.clone(), audit_key(a))
                    .ev("on_failure", on_failure)
                    .ev("storage", storage(a))
                    .ev(
                        "judged_against",
                        match &wanted {
                            Some(w) => format!("thresholds.audit_on_failure = {w}"),
                            None => "thresholds.audit_on_failure not set".to_owned(),
                        },
                    )
            };
            let settings = format!("ON_FAILURE = {on_failure}; {}", storage(a));
            match &wanted {
                None => draft(Status::Review)
                    .message(format!(
                        "Server audit `{}`: {settings}. Confirm this is the organisation's choice between availability (CONTINUE) and a complete record (SHUTDOWN SERVER INSTANCE / FAIL OPERATION), and that storage suffices.",
                        a.name
                    ))
                    .done(),
                // Either spelling of the server's value (FAIL_OPERATION, FAIL OPERATION).
                Some(w) if on_failure_desc(on_failure) == *w => draft(Status::Pass)
                    .message(format!(
                        "Server audit `{}`: {settings}, as the organisation requires.",
                        a.name
                    ))
                    .done(),
                Some(w) => draft(Status::Warn)
                    .message(format!(
                        "Server audit `{}`: {settings}, where the organisation requires ON_FAILURE = {w}.",
                        a.name
                    ))
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
    fn without_a_choice_it_is_a_review() {
        let f = run(&CHECK, &compliant_snapshot());
        let f = single(&f, Status::Review);
        assert!(f.message.contains("ON_FAILURE = SHUTDOWN SERVER INSTANCE"));
        assert!(
            f.message
                .contains("256 MB per file, unlimited rollover files")
        );
    }

    #[test]
    fn with_a_choice_it_passes_or_warns() {
        let mut p = policy();
        p.audit_on_failure = Some("shutdown".to_owned());
        let s = compliant_snapshot();
        let f = (CHECK.rule)(&CHECK, &s, &p);
        assert_eq!(single(&f, Status::Pass).entity_key, "server_audit:secaudit");
        p.audit_on_failure = Some("fail_operation".to_owned());
        let f = (CHECK.rule)(&CHECK, &s, &p);
        let f = single(&f, Status::Warn);
        assert_eq!(f.severity, Severity::Low);
        assert!(f.message.contains("requires ON_FAILURE = FAIL OPERATION"));
    }

    #[test]
    fn no_audit_is_info_and_unreadable_unknown() {
        let mut s = compliant_snapshot();
        edit(&mut s.audits).clear();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Info]);
        s.audits = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }

    #[test]
    fn both_spellings_of_fail_operation_match_the_policy() {
        assert_eq!(
            on_failure_desc("FAIL_OPERATION"),
            on_failure_desc("fail_operation")
        );
        assert_eq!(
            on_failure_desc("FAIL OPERATION"),
            on_failure_desc("fail_operation")
        );
        assert_eq!(on_failure_desc("shutdown"), "SHUTDOWN SERVER INSTANCE");
    }
}
