//! R02 – only SQL Server 2019 or newer (or the configured minimum).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Major version at or above the configured minimum (default 15 = 2019); older versions are out
/// of mainstream support and lack current security features.
pub const CHECK: Check = Check {
    id: CheckId::new("R02"),
    title: "Supported SQL Server version",
    severity: Severity::High,
    rationale: "Only SQL Server 2019 or newer is allowed (exceptions must be documented). Older releases \
                are out of mainstream or extended support, receive few or no security fixes, and lack \
                hardening features such as CLR strict security and modern TLS.",
    outcomes: Outcomes {
        pass: "major version ≥ `thresholds.minimum_major_version` (default 15 = 2019)",
        fail_or_warn: "FAIL: older major version",
        other: "–",
    },
    family: Family::Updates,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-018300"],
        stig_2022: &["SQLI-22-018300"],
        va: &["VA2128"],
        dbachecks: &["SupportedBuild"],
        sp_blitz: &[128],
        ..References::NONE
    },
    reads: &[FactId::Server],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// FAIL when the major version is below `Policy::minimum_major_version`, else PASS.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let version = s.server.version;
    let release = release_name(version);
    let minimum = crate::RELEASES
        .iter()
        .find(|r| r.major == policy.minimum_major_version)
        .map_or_else(
            || format!("major version {}", policy.minimum_major_version),
            |r| format!("SQL Server {}", r.name),
        );
    let ok = version.major >= policy.minimum_major_version;
    let status = if ok { Status::Pass } else { Status::Fail };
    let message = if ok {
        format!(
            "{} runs SQL Server {release} ({version}), at or above the minimum {minimum}.",
            instance_name(s)
        )
    } else {
        format!(
            "{} runs SQL Server {release} ({version}), older than the minimum {minimum}: upgrade or document an exception.",
            instance_name(s)
        )
    };
    vec![
        check
            .instance_finding(s, status)
            .message(message)
            .ev("version", version)
            .ev("release", release)
            .ev("minimum_major_version", policy.minimum_major_version)
            .done(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BuildNumber;
    use crate::checks::testkit::*;

    #[test]
    fn pass_at_or_above_minimum() {
        let f = run(&CHECK, &compliant_snapshot());
        let f = single(&f, Status::Pass);
        assert!(f.message.contains("2022"));
    }

    #[test]
    fn fail_below_minimum_including_2008_r2() {
        let mut s = compliant_snapshot();
        s.server.version = BuildNumber::new(10, 50, 6560, 0);
        let f = run(&CHECK, &s);
        let f = single(&f, Status::Fail);
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.entity_key, "instance:");
        assert!(f.message.contains("2008 R2") && f.message.contains("SQL Server 2019"));
    }

    #[test]
    fn minimum_is_configurable() {
        let mut s = compliant_snapshot();
        s.server.version = BuildNumber::new(14, 0, 3515, 1);
        let mut p = policy();
        p.minimum_major_version = 14;
        assert_eq!(statuses(&(CHECK.rule)(&CHECK, &s, &p)), [Status::Pass]);
        p.minimum_major_version = 15;
        assert_eq!(statuses(&(CHECK.rule)(&CHECK, &s, &p)), [Status::Fail]);
    }
}
