//! X33 – the error log keeps enough files (CIS 5.1).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// SQL Server keeps 6 error log files besides the current one unless `NumErrorLogs` says
/// otherwise (learn.microsoft.com: "Configure SQL Server error logs"; on Linux mssql-conf
/// `errorlog.numerrorlogs`); every restart and `sp_cycle_errorlog` starts a new file, so six
/// files can be a week of history — or an afternoon for an attacker who restarts the service.
pub const DEFAULT_ERROR_LOGS: i64 = 6;

/// The error log holds failed logins and server events: too few files and the evidence of an
/// attack is cycled away.
pub const CHECK: Check = Check {
    id: CheckId::new("X33"),
    title: "Error log retention",
    severity: Severity::Low,
    rationale: "The SQL Server error log records failed logins, configuration changes and server \
                events. SQL Server keeps 6 archived files unless NumErrorLogs raises it, and every \
                restart or sp_cycle_errorlog starts a new file, so the evidence of an attack can be \
                cycled out in minutes. CIS asks for at least 12 files (thresholds.min_error_log_files). \
                Read from the instance's registry (NumErrorLogs; absent means 6).",
    outcomes: Outcomes {
        pass: "NumErrorLogs at or above `thresholds.min_error_log_files` (default 12)",
        fail_or_warn: "FAIL (low): fewer files kept, including the default 6 when the value is absent",
        other: "UNKNOWN: the registry settings could not be read",
    },
    family: Family::Auditing,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("5.1")],
        va: &["VA1093"],
        dbachecks: &["ErrorLogCount"],
        ..References::NONE
    },
    reads: &[FactId::InstanceSettings],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Kept files (NumErrorLogs, 6 when absent) ≥ the policy → PASS, else FAIL; unread → UNKNOWN.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(settings) = gaps.take("instance_settings", &s.instance_settings) else {
        return gaps.only_unknown(check, s);
    };
    let kept = settings.num_error_logs.unwrap_or(DEFAULT_ERROR_LOGS);
    let source = match settings.num_error_logs {
        Some(_) => "NumErrorLogs",
        None => "default (NumErrorLogs absent)",
    };
    let minimum = i64::from(policy.min_error_log_files);
    let draft = |status| {
        check
            .instance_finding(s, status)
            .ev("error_log_files", kept)
            .ev("source", source)
            .ev("policy.min_error_log_files", minimum)
    };
    let finding = if kept >= minimum {
        draft(Status::Pass)
            .message(format!(
                "{} keeps {kept} error log files (policy: at least {minimum}).",
                instance_name(s)
            ))
            .done()
    } else {
        draft(Status::Fail)
            .message(format!(
                "{} keeps only {kept} error log files ({source}); the policy asks for at least \
                 {minimum}: raise it in SQL Server Management Studio (Management > SQL Server Logs \
                 > Configure) or with mssql-conf errorlog.numerrorlogs on Linux.",
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

    #[test]
    fn enough_files_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        let f = single(&f, Status::Pass);
        assert_eq!(f.evidence["error_log_files"], "30");
        assert_eq!(f.evidence["policy.min_error_log_files"], "12");
    }

    #[test]
    fn boundary_is_the_policy_minimum() {
        let mut s = compliant_snapshot();
        edit(&mut s.instance_settings).num_error_logs = Some(12);
        single(&run(&CHECK, &s), Status::Pass);
        edit(&mut s.instance_settings).num_error_logs = Some(11);
        let f = run(&CHECK, &s);
        let f = single(&f, Status::Fail);
        assert_eq!(f.severity, Severity::Low);
        let mut pol = policy();
        pol.min_error_log_files = 10;
        single(&(CHECK.rule)(&CHECK, &s, &pol), Status::Pass);
    }

    #[test]
    fn absent_value_is_the_default_six() {
        let mut s = compliant_snapshot();
        edit(&mut s.instance_settings).num_error_logs = None;
        let f = run(&CHECK, &s);
        let f = single(&f, Status::Fail);
        assert_eq!(f.evidence["error_log_files"], "6");
        assert!(f.message.contains("absent"), "{}", f.message);
    }

    #[test]
    fn unread_settings_are_unknown() {
        let mut s = compliant_snapshot();
        s.instance_settings = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
