//! X37 – usage data (CEIP) and error reporting to Microsoft as the organisation decided
//! (STIG SQL6-D0-016000 / SQLI-22-016000).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// From SQL Server 2016 on setup turns usage-data collection on; a classified system, or an
/// organisation that has not authorised it, must turn it off.
pub const CHECK: Check = Check {
    id: CheckId::new("X37"),
    title: "Usage data and error reporting to Microsoft per policy",
    severity: Severity::Medium,
    rationale: "From SQL Server 2016 on, the SQL Server CEIP service sends usage and diagnostic \
                data to Microsoft by default, and error reports when enabled. The STIG asks that \
                on a classified system CustomerFeedback and EnableErrorReporting be 0, both for \
                the instance (…\\<InstanceId>\\CPE) and for the release (…\\Microsoft SQL \
                Server\\<nnn>), and elsewhere that they be 1 only where participation is \
                authorised (`thresholds.ceip_allowed`).",
    outcomes: Outcomes {
        pass: "every value 0 or absent",
        fail_or_warn: "WARN: any of the four values is 1 while `thresholds.ceip_allowed` is false",
        other: "INFO: participation allowed by policy; UNKNOWN: the registry could not be read; NOT APPLICABLE before 2016 and on Linux",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability {
        since_major: Some(13),
        ..Applicability::WINDOWS
    },
    references: References {
        stig_2016: &["SQL6-D0-016000"],
        stig_2022: &["SQLI-22-016000"],
        ..References::NONE
    },
    reads: &[FactId::HostSettings],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Any value 1 → WARN unless the policy allows participation (INFO); otherwise PASS.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(host) = gaps.take("host_settings", &s.host_settings) else {
        return gaps.only_unknown(check, s);
    };
    let release = format!("{}0", s.server.version.major);
    let values = [
        ("CPE\\CustomerFeedback", host.customer_feedback),
        ("CPE\\EnableErrorReporting", host.error_reporting),
        (
            &*format!("{release}\\CustomerFeedback"),
            host.release_customer_feedback,
        ),
        (
            &*format!("{release}\\EnableErrorReporting"),
            host.release_error_reporting,
        ),
    ]
    .map(|(name, value)| (name.to_owned(), value));
    let on: Vec<&str> = values
        .iter()
        .filter(|(_, v)| *v == Some(1))
        .map(|(n, _)| n.as_str())
        .collect();
    let draft = |status| {
        let mut d = check.instance_finding(s, status);
        for (name, value) in &values {
            d = d.ev(name, value.map_or("absent".to_owned(), |v| v.to_string()));
        }
        d.ev("ceip_allowed", yes_no(policy.ceip_allowed))
    };
    let finding = if on.is_empty() {
        draft(Status::Pass).message(format!(
            "{} sends no usage data or error reports to Microsoft.",
            instance_name(s)
        ))
    } else if policy.ceip_allowed {
        draft(Status::Info).message(format!(
            "{} sends usage data or error reports to Microsoft ({}); the policy allows it \
             (thresholds.ceip_allowed).",
            instance_name(s),
            on.join(", ")
        ))
    } else {
        draft(Status::Warn).message(format!(
            "{} sends usage data or error reports to Microsoft ({}) and the policy does not \
             authorise it: set the values to 0 (SQL Server Error and Usage Reporting, or the \
             registry) and restart the SQL Server CEIP service.",
            instance_name(s),
            on.join(", ")
        ))
    };
    vec![finding.done()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn all_off_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    /// Setup's default (every value 1) warns unless the policy authorises participation.
    #[test]
    fn on_warns_unless_allowed() {
        let mut s = compliant_snapshot();
        let h = edit(&mut s.host_settings);
        h.customer_feedback = Some(1);
        h.release_error_reporting = Some(1);
        let f = run(&CHECK, &s);
        let w = single(&f, Status::Warn);
        assert!(
            w.message
                .contains("CPE\\CustomerFeedback, 160\\EnableErrorReporting")
        );
        let mut p = policy();
        p.ceip_allowed = true;
        single(&(CHECK.rule)(&CHECK, &s, &p), Status::Info);
    }

    #[test]
    fn version_boundary_and_unread() {
        assert!(CHECK.applies_to.excludes(12, 3, Some("Windows")).is_some());
        assert!(CHECK.applies_to.excludes(13, 3, Some("Windows")).is_none());
        let mut s = compliant_snapshot();
        s.host_settings = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
