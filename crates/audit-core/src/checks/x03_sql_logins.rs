//! X03 – every enabled SQL-authentication login is reviewed.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// SQL logins carry their own passwords (guessable, shared, stored in config files); Windows
/// authentication is preferred, so each enabled SQL login must be justified.
pub const CHECK: Check = Check {
    id: CheckId::new("X03"),
    title: "Enabled SQL-authentication logins reviewed",
    severity: Severity::Medium,
    rationale: "SQL-authentication logins have passwords managed outside the domain: they are shared, \
                embedded in configuration files and open to guessing. Windows authentication is \
                preferred; each enabled SQL login must be justified. (Whether the instance allows SQL \
                authentication at all — mixed mode — is shown on the Instances sheet.)",
    outcomes: Outcomes {
        pass: "SQL login disabled; one row when there is none",
        fail_or_warn: "–",
        other: "REVIEW: each enabled SQL login (`##…##` excepted)",
    },
    family: Family::Authentication,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("3.1")],
        stig_2016: &[
            "SQL6-D0-000100",
            "SQL6-D0-003700",
            "SQL6-D0-004000",
            "SQL6-D0-008800",
        ],
        stig_2022: &[
            "SQLI-22-003700",
            "SQLI-22-004000",
            "SQLI-22-007800",
            "SQLD-22-000100",
        ],
        va: &["VA1072"],
        ..References::NONE
    },
    reads: &[FactId::Logins],
    placement: &[on("login", Sheet::ServerLogins)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per SQL login (`##…##` excluded): enabled → REVIEW; disabled → PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(logins) = gaps.take("logins", &s.logins) else {
        return gaps.only_unknown(check, s);
    };
    let mode = if s.server.windows_auth_only {
        " (the instance is in Windows-only mode, so it cannot log in until mixed mode is enabled)"
    } else {
        ""
    };
    let mut out: Vec<Finding> = logins
        .iter()
        .filter(|l| l.kind == "S" && !is_internal_name(&l.name))
        .map(|l| {
            let draft = |status| {
                check
                    .finding(status, "login", l.name.clone(), login_key(l))
                    .ev("sid", &l.sid)
                    .ev("disabled", yes_no(l.disabled))
                    .ev("check_policy", or_unknown(l.policy_checked.map(yes_no)))
                    .ev("password_last_set", l.password_last_set.as_deref().unwrap_or("unknown"))
            };
            if l.disabled {
                draft(Status::Pass).message(format!("SQL login `{}` is disabled.", l.name)).done()
            } else {
                draft(Status::Review)
                    .message(format!(
                        "SQL login `{}` is enabled{mode}: justify it or move its users to Windows authentication.",
                        l.name
                    ))
                    .done()
            }
        })
        .collect();
    if out.is_empty() {
        out.push(
            check
                .instance_finding(s, Status::Pass)
                .message(format!(
                    "{} has no SQL-authentication login.",
                    instance_name(s)
                ))
                .done(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn enabled_reviewed_disabled_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(f.len(), 2);
        let app = by_key(&f, "login:0xa1a1a1a1");
        assert_eq!(
            (app.status, app.severity),
            (Status::Review, Severity::Medium)
        );
        assert!(app.message.contains("app_user"));
        assert_eq!(by_key(&f, "login:0x01").status, Status::Pass);
    }

    #[test]
    fn none_passes_unreadable_unknown() {
        let mut s = compliant_snapshot();
        edit(&mut s.logins).retain(|l| l.kind != "S");
        assert_eq!(
            single(&run(&CHECK, &s), Status::Pass).entity_key,
            "instance:"
        );
        s.logins = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
