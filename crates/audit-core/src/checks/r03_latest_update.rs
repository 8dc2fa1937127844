//! R03 – the latest update of the release is installed.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, Release, RemediationCategory, Severity, Status};

/// The build is at least the latest known build of its release (the build data, `builds.json`,
/// overridable per release in config).
pub const CHECK: Check = Check {
    id: CheckId::new("R03"),
    title: "Latest cumulative / security update installed",
    severity: Severity::Medium,
    rationale: "Security fixes ship in cumulative updates and GDR security updates. An instance below the \
                latest known build of its release misses published fixes. Compared numerically with the \
                built-in table of latest builds (2008 and 2008 R2 distinct), overridable per release with \
                thresholds.expected_builds.",
    outcomes: Outcomes {
        pass: "build ≥ the latest known build of its release",
        fail_or_warn: "WARN: build older than the latest known build (see [Latest builds](#latest-builds))",
        other: "UNKNOWN: no latest build known for the release (set `thresholds.expected_builds`)",
    },
    family: Family::Updates,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("1.1")],
        stig_2016: &["SQL6-D0-012800"],
        stig_2022: &["SQLI-22-012800"],
        va: &["VA1018"],
        dbachecks: &["LatestBuild"],
        sp_blitz: &[128, 157, 217],
    },
    reads: &[FactId::Server],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Build older than the table's entry → WARN; equal or newer → PASS; a release the table has no
/// entry for → UNKNOWN (nothing to compare with).
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let version = s.server.version;
    let release = Release::of_build(version).map(|r| r.name);
    let latest = release.and_then(|r| policy.latest_build(r));
    let draft = |status| {
        check
            .instance_finding(s, status)
            .ev("version", version)
            .ev("release", release_name(version))
            .ev("product_level", &s.server.product_level)
            .ev(
                "update_level",
                s.server.update_level.as_deref().unwrap_or("-"),
            )
    };
    let finding = match latest {
        None => draft(Status::Unknown)
            .message(format!(
                "{}: no latest build is known for SQL Server {} ({version}); set thresholds.expected_builds to compare.",
                instance_name(s),
                release_name(version)
            ))
            .done(),
        Some(latest) if version < latest => draft(Status::Warn)
            .message(format!(
                "{} is at {version}, older than the latest known build {latest} of SQL Server {}: install the latest update.",
                instance_name(s),
                release_name(version)
            ))
            .ev("latest_known_build", latest)
            .done(),
        Some(latest) => draft(Status::Pass)
            .message(format!(
                "{} is at {version}, at or above the latest known build {latest} of SQL Server {}.",
                instance_name(s),
                release_name(version)
            ))
            .ev("latest_known_build", latest)
            .done(),
    };
    vec![finding]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BuildNumber;
    use crate::checks::testkit::*;

    #[test]
    fn pass_when_equal_or_newer() {
        let mut s = compliant_snapshot();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Pass]);
        s.server.version = BuildNumber::new(16, 0, 4236, 2);
        let f = run(&CHECK, &s);
        assert!(single(&f, Status::Pass).message.contains("16.0.4236.2"));
    }

    #[test]
    fn warn_when_older() {
        let mut s = compliant_snapshot();
        s.server.version = BuildNumber::new(16, 0, 4215, 2);
        let f = run(&CHECK, &s);
        let f = single(&f, Status::Warn);
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(f.evidence["latest_known_build"], "16.0.4225.2");
        assert!(f.message.contains("SQLHOST\\PROD"));
    }

    #[test]
    fn r2_is_compared_with_its_own_entry() {
        let mut s = compliant_snapshot();
        s.server.version = BuildNumber::new(10, 50, 6560, 0);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Pass]);
        s.server.version = BuildNumber::new(10, 0, 6556, 0);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Pass]);
        s.server.version = BuildNumber::new(10, 50, 6000, 34);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Warn]);
    }

    #[test]
    fn config_override_and_unknown_release() {
        let mut s = compliant_snapshot();
        let mut p = policy();
        p.set_latest_build("2022", BuildNumber::new(16, 0, 4300, 1));
        assert_eq!(statuses(&(CHECK.rule)(&CHECK, &s, &p)), [Status::Warn]);
        s.server.version = BuildNumber::new(18, 0, 100, 1);
        let f = run(&CHECK, &s);
        assert!(
            single(&f, Status::Unknown)
                .message
                .contains("expected_builds")
        );
    }
}
