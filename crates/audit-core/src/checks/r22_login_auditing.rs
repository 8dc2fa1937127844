//! R22 – successful and failed logins are audited.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on_row};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Without a record of failed and successful logins, password guessing and misuse of
/// accounts go unseen; without AUDIT_CHANGE_GROUP, switching the audit off goes unseen too.
pub const CHECK: Check = Check {
    id: CheckId::new("R22"),
    title: "Login auditing: successful and failed logins",
    severity: Severity::Medium,
    rationale: "Both failed and successful logins must be recorded: failed ones reveal password guessing, \
                successful ones show who used which account when. CIS 5.4, the STIG and Vulnerability \
                Assessment ask for a server audit: STARTED, with an enabled specification covering \
                FAILED_LOGIN_GROUP, SUCCESSFUL_LOGIN_GROUP and AUDIT_CHANGE_GROUP (so that stopping or \
                altering the audit is itself recorded). Login auditing 'Both' (AuditLevel 3) only writes \
                to the error log, which an administrator can cycle away: it is reported apart.",
    outcomes: Outcomes {
        pass: "a STARTED server audit with enabled specifications covering FAILED_LOGIN_GROUP, SUCCESSFUL_LOGIN_GROUP and AUDIT_CHANGE_GROUP",
        fail_or_warn: "WARN: login auditing 'Both' (AuditLevel 3) only, no such server audit; FAIL: neither",
        other: "UNKNOWN: the audits, their status or the login audit level unreadable where they would decide",
    },
    family: Family::Auditing,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("5.3"), cis("5.4")],
        stig_2016: &["SQL6-D0-004300", "SQL6-D0-004700", "SQL6-D0-014800"],
        stig_2022: &["SQLI-22-004300", "SQLI-22-004700", "SQLI-22-014800"],
        va: &["VA1091", "VA1264"],
        dbachecks: &["LoginAuditFailed", "LoginAuditSuccessful"],
        ..References::NONE
    },
    reads: &[FactId::LoginAuditLevel, FactId::Audits, FactId::AuditStatus],
    placement: &[on_row(
        "instance",
        Sheet::AuditSettings,
        "setting:login_audit_level",
    )],
    remediation: RemediationCategory::Safe,
    rule,
};

const FAILED: &str = "FAILED_LOGIN_GROUP";
const SUCCESSFUL: &str = "SUCCESSFUL_LOGIN_GROUP";
const AUDIT_CHANGE: &str = "AUDIT_CHANGE_GROUP";
const GROUPS: [&str; 3] = [FAILED, SUCCESSFUL, AUDIT_CHANGE];

/// A STARTED audit covering the three groups → PASS; else AuditLevel 3 → WARN ("login auditing
/// only, no server audit"); else, everything read → FAIL; a source unreadable where it would
/// decide → UNKNOWN.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let level = gaps
        .take("login_audit_level", &s.login_audit_level)
        .copied();
    let audits = gaps.take("audits", &s.audits);
    let running = super::x23_server_audit_started::started(s);
    gaps.take("audit_status", &s.audit_status);
    // Per running (or, status unread, enabled) audit: the groups its enabled specifications cover.
    let mut best: Option<(&str, Vec<&str>)> = None;
    for audit in audits.into_iter().flatten().filter(|a| a.enabled) {
        if let Ok(names) = &running
            && !names.iter().any(|n| n == &audit.name)
        {
            continue;
        }
        let covered: Vec<&str> = GROUPS
            .into_iter()
            .filter(|g| {
                audit
                    .specifications
                    .iter()
                    .filter(|sp| sp.enabled)
                    .any(|sp| sp.actions.iter().any(|a| a.eq_ignore_ascii_case(g)))
            })
            .collect();
        if best.as_ref().is_none_or(|(_, b)| covered.len() > b.len()) {
            best = Some((&audit.name, covered));
        }
    }
    let full = best
        .as_ref()
        .is_some_and(|(_, covered)| covered.len() == GROUPS.len());
    let level_text = match level {
        Some(0) => "none".to_owned(),
        Some(1) => "successful logins only".to_owned(),
        Some(2) => "failed logins only".to_owned(),
        Some(3) => "both".to_owned(),
        Some(other) => format!("unknown value {other}"),
        None => "unreadable".to_owned(),
    };
    let audit_text = match &best {
        None if audits.is_none() => "unreadable".to_owned(),
        None => "-".to_owned(),
        Some((name, covered)) => format!("{name}: {}", covered.join(", ")),
    };
    let missing = match &best {
        None => "no running server audit".to_owned(),
        Some((name, covered)) => format!(
            "server audit {name} lacks {}",
            GROUPS
                .iter()
                .filter(|g| !covered.contains(g))
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let draft = |status| {
        check
            .instance_finding(s, status)
            .ev("audit_level", &level_text)
            .ev("server_audit", &audit_text)
    };
    let finding = if full && running.is_ok() {
        let (name, _) = best.as_ref().expect("full implies an audit");
        draft(Status::Pass)
            .message(format!(
                "{} audits failed and successful logins and audit changes with server audit {name} (STARTED).",
                instance_name(s)
            ))
            .done()
    } else if !gaps.is_empty() {
        // A complete read could still turn it into a PASS, a WARN or a FAIL.
        return gaps.only_unknown(check, s);
    } else if level == Some(3) {
        draft(Status::Warn)
            .message(format!(
                "{} records logins through login auditing (AuditLevel 'both') only, in the error log, not in a server audit ({missing}): CIS 5.4, the STIG and VA1264 require a STARTED server audit with {FAILED}, {SUCCESSFUL} and {AUDIT_CHANGE}.",
                instance_name(s)
            ))
            .done()
    } else {
        draft(Status::Fail)
            .fix(crate::Fix::AuditBothLogins)
            .message(format!(
                "{} does not audit both failed and successful logins (login auditing: {level_text}; {missing}): add a STARTED server audit with {FAILED}, {SUCCESSFUL} and {AUDIT_CHANGE} (or at least set login auditing to 'Both').",
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
    use crate::snapshot::{AuditInfo, AuditSpecificationInfo};

    /// The compliant `SecAudit` (STARTED) with one specification of these actions.
    fn audit(enabled: bool, spec_enabled: bool, actions: &[&str]) -> AuditInfo {
        AuditInfo {
            enabled,
            specifications: vec![AuditSpecificationInfo {
                name: "Logins".to_owned(),
                enabled: spec_enabled,
                actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            }],
            ..stig_audit()
        }
    }

    fn with(level: i64, audits: Vec<AuditInfo>) -> Vec<Finding> {
        let mut s = compliant_snapshot();
        s.login_audit_level = Ok(level);
        s.audits = Ok(audits);
        run(&CHECK, &s)
    }

    #[test]
    fn started_server_audit_with_the_three_groups_passes() {
        let f = with(0, vec![audit(true, true, &GROUPS)]);
        assert!(single(&f, Status::Pass).message.contains("SecAudit"));
        assert_eq!(
            single(&run(&CHECK, &compliant_snapshot()), Status::Pass).entity_key,
            "instance:"
        );
    }

    #[test]
    fn audit_level_alone_is_reported_apart() {
        let f = with(3, vec![]);
        let f = single(&f, Status::Warn);
        assert!(
            f.message
                .contains("login auditing (AuditLevel 'both') only")
        );
        assert!(f.message.contains("no running server audit"));
        // A server audit without AUDIT_CHANGE_GROUP does not make up for it.
        let f = with(3, vec![audit(true, true, &[FAILED, SUCCESSFUL])]);
        assert!(
            single(&f, Status::Warn)
                .message
                .contains("lacks AUDIT_CHANGE_GROUP")
        );
    }

    #[test]
    fn an_audit_that_is_not_started_does_not_count() {
        let mut s = compliant_snapshot();
        s.login_audit_level = Ok(2);
        edit(&mut s.audit_status)[0].status = "FAILED".to_owned();
        let f = run(&CHECK, &s);
        assert!(
            single(&f, Status::Fail)
                .message
                .contains("no running server audit")
        );
    }

    #[test]
    fn otherwise_fails() {
        let f = with(2, vec![]);
        let f = single(&f, Status::Fail);
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(f.fix, Some(crate::Fix::AuditBothLogins));
        assert!(f.message.contains("failed logins only") && f.message.contains("SQLHOST\\PROD"));
        assert_eq!(
            statuses(&with(0, vec![audit(false, true, &GROUPS)])),
            [Status::Fail]
        );
        assert_eq!(
            statuses(&with(0, vec![audit(true, false, &GROUPS)])),
            [Status::Fail]
        );
        let f = with(1, vec![audit(true, true, &[FAILED])]);
        assert!(
            single(&f, Status::Fail)
                .message
                .contains("lacks SUCCESSFUL_LOGIN_GROUP, AUDIT_CHANGE_GROUP")
        );
    }

    #[test]
    fn an_unreadable_source_is_unknown() {
        let mut s = compliant_snapshot();
        s.login_audit_level = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Pass]);
        let mut s = compliant_snapshot();
        s.audit_status = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
        let mut s = compliant_snapshot();
        s.audits = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
