//! R04 – the built-in `sa` login (principal_id 1) is disabled and renamed.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// `sa` is the first name every attacker tries; it is found by principal_id 1 whatever it is
/// called now, and keyed by its SID so that renaming it keeps its history.
pub const CHECK: Check = Check {
    id: CheckId::new("R04"),
    title: "sa login disabled and renamed",
    severity: Severity::Critical,
    rationale: "The built-in sa login (principal_id 1) is a sysadmin that cannot be dropped and is the \
                first target of password guessing. It must be disabled and renamed (usually to `$@`).",
    outcomes: Outcomes {
        pass: "the login with principal_id 1 is disabled **and** renamed",
        fail_or_warn: "FAIL (critical): neither; WARN (high): renamed but enabled; WARN (medium): disabled but still called `sa`",
        other: "UNKNOWN: principal_id 1 not visible",
    },
    family: Family::Authentication,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("2.13"), cis("2.14")],
        stig_2016: &["SQL6-D0-016200", "SQL6-D0-016300"],
        stig_2022: &["SQLI-22-016200", "SQLI-22-016300"],
        va: &["VA1053", "VA1058"],
        dbachecks: &["SaRenamed", "SaDisabled"],
        ..References::NONE
    },
    reads: &[FactId::Logins],
    placement: &[on("login", Sheet::SaAccount)],
    remediation: RemediationCategory::Caution,
    rule,
};

/// Disabled and renamed → PASS; only one of the two → WARN (high while still enabled, medium when
/// only the name is left); neither → FAIL (critical). No principal_id 1 in the list → UNKNOWN.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(logins) = gaps.take("logins", &s.logins) else {
        return gaps.only_unknown(check, s);
    };
    let Some(sa) = logins.iter().find(|l| l.principal_id == 1) else {
        return vec![
            check
                .instance_finding(s, Status::Unknown)
                .message(format!(
                    "The login with principal_id 1 (sa) is not visible on {}: the audit login cannot see it.",
                    instance_name(s)
                ))
                .done(),
        ];
    };
    let renamed = !same_name(&sa.name, "sa");
    let disabled = sa.disabled;
    let (status, severity, message) = match (disabled, renamed) {
        (true, true) => (
            Status::Pass,
            Severity::Info,
            format!("sa is disabled and renamed to `{}`.", sa.name),
        ),
        (true, false) => (
            Status::Warn,
            Severity::Medium,
            format!(
                "sa (`{}`) is disabled but still carries its well-known name: rename it.",
                sa.name
            ),
        ),
        (false, true) => (
            Status::Warn,
            Severity::High,
            format!(
                "sa, renamed to `{}`, is still enabled: disable it.",
                sa.name
            ),
        ),
        (false, false) => (
            Status::Fail,
            Severity::Critical,
            format!(
                "sa (`{}`) is enabled and not renamed: disable and rename it.",
                sa.name
            ),
        ),
    };
    vec![
        check
            .finding(status, "login", sa.name.clone(), login_key(sa))
            .severity(severity)
            .message(message)
            .ev("name", &sa.name)
            .ev("principal_id", sa.principal_id)
            .ev("sid", &sa.sid)
            .ev("disabled", yes_no(disabled))
            .ev("renamed", yes_no(renamed))
            .fix(crate::Fix::SecureSaAccount)
            .done(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn with_sa(name: &str, disabled: bool) -> Vec<Finding> {
        let mut s = compliant_snapshot();
        let sa = &mut edit(&mut s.logins)[0];
        sa.name = name.to_owned();
        sa.disabled = disabled;
        run(&CHECK, &s)
    }

    #[test]
    fn disabled_and_renamed_pass() {
        let f = with_sa("$@", true);
        let f = single(&f, Status::Pass);
        assert_eq!(f.entity_key, "login:0x01");
        assert!(f.message.contains("$@"));
    }

    #[test]
    fn one_of_two_warns() {
        let f = with_sa("SA", true);
        let f = single(&f, Status::Warn);
        assert_eq!(f.severity, Severity::Medium);
        assert!(f.message.contains("`SA`"));
        let f = with_sa("$@", false);
        assert_eq!(single(&f, Status::Warn).severity, Severity::High);
    }

    #[test]
    fn neither_fails_critical_with_the_same_key() {
        let f = with_sa("sa", false);
        let f = single(&f, Status::Fail);
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(f.entity_key, "login:0x01");
        assert_eq!(f.entity, "sa");
    }

    #[test]
    fn unknown_when_logins_or_sa_unreadable() {
        let mut s = compliant_snapshot();
        s.logins = denied();
        let f = run(&CHECK, &s);
        assert!(single(&f, Status::Unknown).message.contains("denied"));
        let mut s = compliant_snapshot();
        edit(&mut s.logins).retain(|l| l.principal_id != 1);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
