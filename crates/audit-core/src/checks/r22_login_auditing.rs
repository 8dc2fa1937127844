//! R22 – successful and failed logins are audited.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on_row};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Without a record of failed and successful logins, password guessing and misuse of
/// accounts go unseen.
pub const CHECK: Check = Check {
    id: CheckId::new("R22"),
    title: "Login auditing: successful and failed logins",
    severity: Severity::Medium,
    rationale: "Both failed and successful logins must be recorded: failed ones reveal password guessing, \
                successful ones show who used which account when. Either the login audit level is 'Both' \
                (AuditLevel 3), or an enabled server audit has an enabled specification with \
                FAILED_LOGIN_GROUP and SUCCESSFUL_LOGIN_GROUP.",
    outcomes: Outcomes {
        pass: "AuditLevel 3 (both), or an enabled server audit with an enabled specification covering FAILED_LOGIN_GROUP and SUCCESSFUL_LOGIN_GROUP",
        fail_or_warn: "FAIL: neither",
        other: "UNKNOWN: one source unreadable and the other not sufficient",
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
    reads: &[FactId::LoginAuditLevel, FactId::Audits],
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

/// AuditLevel 3, or enabled audits whose enabled specifications cover both action groups → PASS;
/// both sources read and neither suffices → FAIL; otherwise (a source unreadable and the other
/// not sufficient) → UNKNOWN.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let level = gaps
        .take("login_audit_level", &s.login_audit_level)
        .copied();
    let audits = gaps.take("audits", &s.audits);
    let mut covering: Vec<&str> = Vec::new();
    let (mut failed, mut successful) = (false, false);
    for audit in audits.into_iter().flatten().filter(|a| a.enabled) {
        for spec in audit.specifications.iter().filter(|sp| sp.enabled) {
            let f = spec.actions.iter().any(|a| a.eq_ignore_ascii_case(FAILED));
            let ok = spec
                .actions
                .iter()
                .any(|a| a.eq_ignore_ascii_case(SUCCESSFUL));
            if f || ok {
                covering.push(&audit.name);
            }
            failed |= f;
            successful |= ok;
        }
    }
    covering.dedup();
    let by_audit = failed && successful;
    let level_text = match level {
        Some(0) => "none".to_owned(),
        Some(1) => "successful logins only".to_owned(),
        Some(2) => "failed logins only".to_owned(),
        Some(3) => "both".to_owned(),
        Some(other) => format!("unknown value {other}"),
        None => "unreadable".to_owned(),
    };
    let draft = |status| {
        check
            .instance_finding(s, status)
            .ev("audit_level", &level_text)
            .ev(
                "audits_covering_logins",
                if covering.is_empty() {
                    "-".to_owned()
                } else {
                    covering.join(", ")
                },
            )
    };
    let finding = if level == Some(3) {
        draft(Status::Pass)
            .message(format!(
                "{} audits both failed and successful logins (login auditing: both).",
                instance_name(s)
            ))
            .done()
    } else if by_audit {
        draft(Status::Pass)
            .message(format!(
                "{} audits failed and successful logins with server audit {}.",
                instance_name(s),
                covering.join(", ")
            ))
            .done()
    } else if gaps.is_empty() {
        let missing = match (failed, successful) {
            (true, false) => "; the server audit records only failed logins",
            (false, true) => "; the server audit records only successful logins",
            _ => "",
        };
        draft(Status::Fail)
            .fix(crate::Fix::AuditBothLogins)
            .message(format!(
                "{} does not audit both failed and successful logins (login auditing: {level_text}{missing}): set login auditing to 'Both' or add a server audit specification with {FAILED} and {SUCCESSFUL}.",
                instance_name(s)
            ))
            .done()
    } else {
        return gaps.only_unknown(check, s);
    };
    vec![finding]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::{AuditInfo, AuditSpecificationInfo};

    fn audit(enabled: bool, spec_enabled: bool, actions: &[&str]) -> AuditInfo {
        AuditInfo {
            name: "SecAudit".to_owned(),
            destination: "FILE".to_owned(),
            enabled,
            specifications: vec![AuditSpecificationInfo {
                name: "Logins".to_owned(),
                enabled: spec_enabled,
                actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            }],
        }
    }

    fn with(level: i64, audits: Vec<AuditInfo>) -> Vec<Finding> {
        let mut s = compliant_snapshot();
        s.login_audit_level = Ok(level);
        s.audits = Ok(audits);
        run(&CHECK, &s)
    }

    #[test]
    fn level_both_passes() {
        assert_eq!(
            single(&with(3, vec![]), Status::Pass).entity_key,
            "instance:"
        );
    }

    #[test]
    fn server_audit_covering_both_passes() {
        let f = with(2, vec![audit(true, true, &[FAILED, SUCCESSFUL])]);
        assert!(single(&f, Status::Pass).message.contains("SecAudit"));
    }

    #[test]
    fn otherwise_fails() {
        let f = with(2, vec![]);
        let f = single(&f, Status::Fail);
        assert_eq!(f.severity, Severity::Medium);
        assert!(f.message.contains("failed logins only") && f.message.contains("SQLHOST\\PROD"));
        assert_eq!(
            statuses(&with(0, vec![audit(false, true, &[FAILED, SUCCESSFUL])])),
            [Status::Fail]
        );
        assert_eq!(
            statuses(&with(0, vec![audit(true, false, &[FAILED, SUCCESSFUL])])),
            [Status::Fail]
        );
        let f = with(1, vec![audit(true, true, &[FAILED])]);
        assert!(
            single(&f, Status::Fail)
                .message
                .contains("only failed logins")
        );
    }

    #[test]
    fn unreadable_source_decides_only_when_the_other_suffices() {
        let mut s = compliant_snapshot();
        s.audits = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Pass]);
        s.login_audit_level = Ok(2);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
        s.login_audit_level = denied();
        s.audits = Ok(vec![audit(true, true, &[FAILED, SUCCESSFUL])]);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Pass]);
        s.audits = Ok(vec![]);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
