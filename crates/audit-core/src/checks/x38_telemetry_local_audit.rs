//! X38 – the telemetry Local Audit is configured where the organisation requires it
//! (STIG SQL6-D0-016100 / SQLI-22-016100).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// The Local Audit writes a copy of every usage-data upload to a folder, so that what leaves
/// for Microsoft can be reviewed; the STIG asks for it where telemetry auditing is required.
pub const CHECK: Check = Check {
    id: CheckId::new("X38"),
    title: "Telemetry Local Audit configured (where required)",
    severity: Severity::Medium,
    rationale: "The Local Audit of SQL Server's usage-data collection (2016 and later) writes \
                what the SQL Server CEIP service sends to Microsoft into a folder named by the \
                instance's CPE\\UserRequestedLocalAuditDirectory, for compliance and privacy \
                review. Where the organisation requires telemetry to be audited \
                (`thresholds.telemetry_audit_required`), the value must be set; that the \
                SQLTELEMETRY account may write the folder, that the CEIP service starts \
                automatically and that someone reviews the files cannot be seen from SQL Server.",
    outcomes: Outcomes {
        pass: "–",
        fail_or_warn: "WARN: required and the directory is not set",
        other: "REVIEW: required and set (folder rights, service start-up and the reviews remain to confirm); INFO: not required by policy; UNKNOWN: the registry could not be read; NOT APPLICABLE before 2016 and on Linux",
    },
    family: Family::Auditing,
    applies_to: Applicability {
        since_major: Some(13),
        ..Applicability::WINDOWS
    },
    references: References {
        stig_2016: &["SQL6-D0-016100"],
        stig_2022: &["SQLI-22-016100"],
        ..References::NONE
    },
    reads: &[FactId::HostSettings],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Not required → INFO; required and blank → WARN; required and set → REVIEW.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(host) = gaps.take("host_settings", &s.host_settings) else {
        return gaps.only_unknown(check, s);
    };
    let directory = host
        .local_audit_directory
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    let draft = |status| {
        check
            .instance_finding(s, status)
            .ev("local_audit_directory", directory.unwrap_or("not set"))
            .ev(
                "telemetry_audit_required",
                yes_no(policy.telemetry_audit_required),
            )
    };
    let finding = match (policy.telemetry_audit_required, directory) {
        (false, _) => draft(Status::Info).message(format!(
            "Auditing of telemetry data is not required by the policy \
             (thresholds.telemetry_audit_required = false); {}'s Local Audit directory is {}.",
            instance_name(s),
            directory.unwrap_or("not set")
        )),
        (true, None) => draft(Status::Warn).message(format!(
            "{} has no telemetry Local Audit directory, which the policy requires: create a \
             folder, give the SQLTELEMETRY account List, Read and Write on it, set \
             CPE\\UserRequestedLocalAuditDirectory to it and restart the SQL Server CEIP service.",
            instance_name(s)
        )),
        (true, Some(d)) => draft(Status::Review).message(format!(
            "{} writes its telemetry Local Audit to `{d}`: confirm that the SQLTELEMETRY account \
             may write there, that the SQL Server CEIP service starts automatically, and that the \
             files are reviewed as the procedures say.",
            instance_name(s)
        )),
    };
    vec![finding.done()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn not_required_is_info() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Info);
    }

    #[test]
    fn required_set_is_reviewed_blank_warns() {
        let mut p = policy();
        p.telemetry_audit_required = true;
        let mut s = compliant_snapshot();
        let f = (CHECK.rule)(&CHECK, &s, &p);
        assert_eq!(
            single(&f, Status::Review).evidence["local_audit_directory"],
            "D:\\TelemetryAudit"
        );
        edit(&mut s.host_settings).local_audit_directory = Some("  ".to_owned());
        single(&(CHECK.rule)(&CHECK, &s, &p), Status::Warn);
        edit(&mut s.host_settings).local_audit_directory = None;
        single(&(CHECK.rule)(&CHECK, &s, &p), Status::Warn);
    }

    #[test]
    fn version_boundary_and_unread() {
        assert!(CHECK.applies_to.excludes(12, 3, Some("Windows")).is_some());
        assert!(CHECK.applies_to.excludes(13, 3, Some("Linux")).is_some());
        let mut s = compliant_snapshot();
        s.host_settings = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
