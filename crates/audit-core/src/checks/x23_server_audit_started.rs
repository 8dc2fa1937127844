//! X23 – at least one server audit is STARTED.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// An audit that is only switched on (`is_state_enabled`) may still record nothing: when its
/// target cannot be written it is FAILED. Only `sys.dm_server_audit_status` says it runs; the
/// STIG requires a server audit that starts with the instance.
pub const CHECK: Check = Check {
    id: CheckId::new("X23"),
    title: "A server audit is started",
    severity: Severity::Medium,
    rationale: "Session auditing must begin when SQL Server starts: at least one server audit must be \
                running. A server audit that is enabled but not STARTED in sys.dm_server_audit_status \
                (its file path is unwritable, its log unavailable) records nothing. Login auditing \
                (AuditLevel) writes to the error log only and is not a server audit.",
    outcomes: Outcomes {
        pass: "at least one server audit has `status_desc` = STARTED in `sys.dm_server_audit_status`",
        fail_or_warn: "FAIL: no server audit is STARTED (none defined, none enabled, or the enabled ones FAILED)",
        other: "UNKNOWN: the audits or their status could not be read",
    },
    family: Family::Auditing,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-004700"],
        stig_2022: &["SQLI-22-004700"],
        va: &["VA1283"],
        sp_blitz: &[8],
        ..References::NONE
    },
    reads: &[FactId::Audits, FactId::AuditStatus],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// The names of the audits `sys.dm_server_audit_status` lists as STARTED, or why unknown.
pub(crate) fn started(s: &Snapshot) -> Result<Vec<&str>, String> {
    match &s.audit_status {
        Ok(rows) => Ok(rows
            .iter()
            .filter(|r| r.status.eq_ignore_ascii_case("STARTED"))
            .map(|r| r.name.as_str())
            .collect()),
        Err(why) => Err(why.reason.clone()),
    }
}

/// STARTED audits → PASS naming them; none started (or, the status unreadable, none even
/// enabled) → FAIL; otherwise UNKNOWN.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let audits = s.audits.as_ref().ok();
    let enabled: Vec<&str> = audits
        .into_iter()
        .flatten()
        .filter(|a| a.enabled)
        .map(|a| a.name.as_str())
        .collect();
    let states: Vec<String> = s
        .audit_status
        .as_ref()
        .map(|rows| {
            rows.iter()
                .map(|r| format!("{} ({})", r.name, r.status))
                .collect()
        })
        .unwrap_or_default();
    let draft = |status| {
        check
            .instance_finding(s, status)
            .ev(
                "enabled_audits",
                if audits.is_none() {
                    "unreadable".to_owned()
                } else if enabled.is_empty() {
                    "-".to_owned()
                } else {
                    enabled.join(", ")
                },
            )
            .ev(
                "audit_status",
                match &s.audit_status {
                    Err(_) => "unreadable".to_owned(),
                    Ok(_) if states.is_empty() => "-".to_owned(),
                    Ok(_) => states.join(", "),
                },
            )
    };
    let hidden = hidden_rows(s, FactId::Audits);
    let finding = match started(s) {
        Ok(names) if !names.is_empty() => draft(Status::Pass)
            .message(format!(
                "{} has a running server audit: {}.",
                instance_name(s),
                names.join(", ")
            ))
            .done(),
        // Audits the login may not see might be the running ones.
        _ if hidden.is_some() => draft(Status::Unknown)
            .message(format!(
                "{}: no STARTED server audit is visible, but {}.",
                instance_name(s),
                hidden.as_deref().unwrap_or_default()
            ))
            .done(),
        Ok(_) => {
            let detail = if !states.is_empty() {
                format!("; its audits are {}", states.join(", "))
            } else if !enabled.is_empty() {
                format!(
                    "; enabled server audit {} is not listed as running",
                    enabled.join(", ")
                )
            } else if audits.is_some_and(|a| !a.is_empty()) {
                "; no server audit is enabled".to_owned()
            } else if audits.is_some() {
                "; no server audit is defined".to_owned()
            } else {
                String::new()
            };
            draft(Status::Fail)
                .message(format!(
                    "{} has no server audit STARTED{detail}: nothing records sessions and security events from start-up.",
                    instance_name(s)
                ))
                .done()
        }
        Err(_) if audits.is_some() && enabled.is_empty() => draft(Status::Fail)
            .message(format!(
                "{} has no server audit enabled, so none can be STARTED.",
                instance_name(s)
            ))
            .done(),
        Err(why) => draft(Status::Unknown)
            .message(format!(
                "{}: whether a server audit is STARTED could not be read (audit_status unavailable: {why}).",
                instance_name(s)
            ))
            .ev("unavailable.audit_status", &why)
            .done(),
    };
    vec![finding]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::AuditStatusInfo;

    #[test]
    fn a_started_audit_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert!(single(&f, Status::Pass).message.contains("SecAudit"));
    }

    #[test]
    fn none_started_fails() {
        let mut s = compliant_snapshot();
        s.audit_status = Ok(vec![AuditStatusInfo {
            name: "SecAudit".to_owned(),
            status: "FAILED".to_owned(),
        }]);
        let f = run(&CHECK, &s);
        let f = single(&f, Status::Fail);
        assert!(f.message.contains("SecAudit (FAILED)"), "{}", f.message);
        s.audit_status = Ok(vec![]);
        edit(&mut s.audits).clear();
        let f = run(&CHECK, &s);
        assert!(
            single(&f, Status::Fail)
                .message
                .contains("no server audit is defined")
        );
    }

    #[test]
    fn hidden_audits_are_not_absent_ones() {
        let mut s = compliant_snapshot();
        edit(&mut s.audits).clear();
        s.audit_status = Ok(vec![]);
        s.unread.push(crate::snapshot::Unread {
            facts: vec![FactId::Audits],
            scope: crate::snapshot::Scope::HiddenRows,
            reason: crate::snapshot::UnreadReason::PermissionDenied,
            detail: "the login lacks VIEW ANY DEFINITION".to_owned(),
        });
        let f = run(&CHECK, &s);
        assert!(
            single(&f, Status::Unknown)
                .message
                .contains("VIEW ANY DEFINITION")
        );
    }

    #[test]
    fn unreadable_status_is_unknown_unless_nothing_is_enabled() {
        let mut s = compliant_snapshot();
        s.audit_status = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
        edit(&mut s.audits)
            .iter_mut()
            .for_each(|a| a.enabled = false);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Fail]);
    }
}
