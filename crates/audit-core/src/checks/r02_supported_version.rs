//! R02 – the release is supported by Microsoft and not older than the organisation's minimum.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, Release, RemediationCategory, Severity, Status};

/// A release past the end of Microsoft's support gets no security fixes (STIG 018300: "a version
/// supported by the vendor"); the organisation may also set a newer minimum. The dates come
/// from the build data (`builds.json`), which can be updated without a new executable.
pub const CHECK: Check = Check {
    id: CheckId::new("R02"),
    title: "Supported SQL Server version",
    severity: Severity::High,
    rationale: "A release past the end of Microsoft's extended support (or of the Extended Security \
                Updates the organisation bought) receives no security fixes; the organisation may also \
                require a newer release (default: SQL Server 2019 or newer). Support end dates come from \
                the build data (builds.json: embedded, or config/builds.json / --builds), so they can be \
                brought up to date without a new executable.",
    outcomes: Outcomes {
        pass: "Microsoft still supports the release beyond `thresholds.support_warn_days` and its major version ≥ `thresholds.minimum_major_version` (default 15 = 2019)",
        fail_or_warn: "FAIL: support (extended, or ESU where listed in `thresholds.extended_security_updates`) has ended, or the major version is below the minimum; WARN (medium): support ends within `thresholds.support_warn_days` (default 180)",
        other: "UNKNOWN: the build data has no entry for the release",
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

/// FAIL past the end of support or below the minimum, WARN when support ends soon, PASS
/// otherwise; UNKNOWN when the build data does not know the release's dates.
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
    let below_minimum = version.major < policy.minimum_major_version;
    let today = policy.now.get(..10).unwrap_or(&policy.now);
    let entry = Release::of_build(version).and_then(|r| policy.build_data.release(r.name));
    let draft = |status| {
        check
            .instance_finding(s, status)
            .ev("version", version)
            .ev("release", &release)
            .ev("minimum_major_version", policy.minimum_major_version)
            .ev(
                "build_data",
                format!(
                    "{} (as of {})",
                    policy.build_data_source, policy.build_data.as_of
                ),
            )
    };
    let name = instance_name(s);
    let Some(entry) = entry else {
        let status = if below_minimum {
            Status::Fail
        } else {
            Status::Unknown
        };
        let message = if below_minimum {
            format!(
                "{name} runs SQL Server {release} ({version}), older than the minimum {minimum}; the build data has no support dates for it."
            )
        } else {
            format!(
                "{name} runs SQL Server {release} ({version}): the build data has no support dates for this release; update builds.json (config/builds.json or --builds)."
            )
        };
        return vec![draft(status).message(message).done()];
    };
    let esu = policy
        .extended_security_updates
        .iter()
        .any(|r| r.eq_ignore_ascii_case(&entry.release));
    let (end, phase) = match (&entry.esu_end, esu) {
        (Some(esu_end), true) => (esu_end.as_str(), "Extended Security Updates"),
        _ => (entry.extended_end.as_str(), "extended support"),
    };
    let current = if today <= entry.mainstream_end.as_str() {
        "mainstream support"
    } else if today <= entry.extended_end.as_str() {
        "extended support (security fixes only)"
    } else if esu && entry.esu_end.as_deref().is_some_and(|e| today <= e) {
        "Extended Security Updates"
    } else {
        "out of support"
    };
    let days_left = match (parse_timestamp(end), parse_timestamp(today)) {
        (Some(end), Some(now)) => Some((end - now) / 86_400),
        _ => None,
    };
    let ended = today > end;
    let soon = !ended && days_left.is_some_and(|d| d <= i64::from(policy.support_warn_days));
    let mut reasons = Vec::new();
    if ended {
        reasons.push(format!(
            "Microsoft's {phase} for SQL Server {release} ended on {end}: it receives no security fixes"
        ));
    }
    if below_minimum {
        reasons.push(format!("older than the minimum {minimum}"));
    }
    if esu && entry.esu_end.is_none() {
        reasons.push(format!(
            "extended_security_updates lists {} but the build data has no ESU end date for it",
            entry.release
        ));
    }
    let (status, message) = if ended || below_minimum {
        (
            Status::Fail,
            format!(
                "{name} runs SQL Server {release} ({version}): {}. Upgrade, or document an exception.",
                reasons.join("; ")
            ),
        )
    } else if soon {
        (
            Status::Warn,
            format!(
                "{name} runs SQL Server {release} ({version}): Microsoft's {phase} ends on {end}, in {} days; plan the upgrade.",
                days_left.unwrap_or_default()
            ),
        )
    } else {
        (
            Status::Pass,
            format!(
                "{name} runs SQL Server {release} ({version}), in {current} until {end}, at or above the minimum {minimum}."
            ),
        )
    };
    let mut finding = draft(status)
        .message(message)
        .ev("support_phase", current)
        .ev("mainstream_end", &entry.mainstream_end)
        .ev("extended_end", &entry.extended_end)
        .ev("support_end", end)
        .ev("support_warn_days", policy.support_warn_days);
    if let Some(esu_end) = &entry.esu_end {
        finding = finding.ev("esu_end", esu_end).ev("esu_bought", yes_no(esu));
    }
    if status == Status::Warn {
        finding = finding.severity(Severity::Medium);
    }
    vec![finding.done()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BuildNumber;
    use crate::checks::testkit::*;

    fn judged(version: BuildNumber, now: &str, edit: impl Fn(&mut Policy)) -> Finding {
        let mut s = compliant_snapshot();
        s.server.version = version;
        let mut p = policy();
        p.now = now.to_owned();
        edit(&mut p);
        let mut f = (CHECK.rule)(&CHECK, &s, &p);
        assert_eq!(f.len(), 1, "{f:?}");
        f.remove(0)
    }

    fn evidence<'a>(f: &'a Finding, name: &str) -> &'a str {
        f.evidence
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no evidence {name} in {f:?}"))
    }

    #[test]
    fn pass_at_or_above_minimum() {
        let f = run(&CHECK, &compliant_snapshot());
        let f = single(&f, Status::Pass);
        assert!(f.message.contains("2022"));
        assert_eq!(evidence(f, "support_end"), "2033-01-11");
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
        assert!(f.message.contains("ended on 2019-07-09"), "{}", f.message);
    }

    #[test]
    fn minimum_is_configurable() {
        let mut s = compliant_snapshot();
        s.server.version = BuildNumber::new(14, 0, 3515, 1);
        let mut p = policy();
        p.now = "2026-01-01 00:00:00".into();
        p.minimum_major_version = 14;
        assert_eq!(statuses(&(CHECK.rule)(&CHECK, &s, &p)), [Status::Pass]);
        p.minimum_major_version = 15;
        assert_eq!(statuses(&(CHECK.rule)(&CHECK, &s, &p)), [Status::Fail]);
    }

    /// 2016's extended support ends on 2026-07-14: supported (PASS) the day before the warning
    /// window opens, WARN inside it, PASS/WARN on the last day, FAIL the day after.
    #[test]
    fn the_end_of_support_is_judged_by_date_with_a_warning_window() {
        let v2016 = BuildNumber::new(13, 0, 6475, 1);
        let allow_2016 = |p: &mut Policy| p.minimum_major_version = 13;
        let f = judged(v2016, "2026-01-14 12:00:00", allow_2016);
        assert_eq!(f.status, Status::Pass, "{}", f.message);
        assert!(
            f.message
                .contains("extended support (security fixes only) until 2026-07-14")
        );
        let f = judged(v2016, "2026-01-15 12:00:00", allow_2016);
        assert_eq!((f.status, f.severity), (Status::Warn, Severity::Medium));
        assert!(
            f.message.contains("ends on 2026-07-14, in 180 days"),
            "{}",
            f.message
        );
        let f = judged(v2016, "2026-07-14 23:59:59", allow_2016);
        assert_eq!(f.status, Status::Warn);
        let f = judged(v2016, "2026-07-15 00:00:00", allow_2016);
        assert_eq!((f.status, f.severity), (Status::Fail, Severity::High));
        assert!(
            f.message
                .contains("extended support for SQL Server 2016 ended on 2026-07-14")
        );
        assert!(!f.message.contains("minimum"), "{}", f.message);
        let f = judged(v2016, "2026-03-01 00:00:00", |p| {
            allow_2016(p);
            p.support_warn_days = 30;
        });
        assert_eq!(f.status, Status::Pass);
    }

    /// An organisation that bought ESU for 2014 is supported until the ESU end; one that did not
    /// is not. ESU named for a release the data has no ESU date for is said, not assumed.
    #[test]
    fn extended_security_updates_extend_support_only_where_bought() {
        let v2014 = BuildNumber::new(12, 0, 6449, 1);
        let now = "2026-12-07 00:00:00";
        let f = judged(v2014, now, |p| p.minimum_major_version = 12);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("ended on 2024-07-09"));
        let f = judged(v2014, now, |p| {
            p.minimum_major_version = 12;
            p.extended_security_updates = vec!["2014".into()];
        });
        assert_eq!(f.status, Status::Pass, "{}", f.message);
        assert!(
            f.message
                .contains("Extended Security Updates until 2027-07-13")
        );
        assert_eq!(evidence(&f, "esu_bought"), "yes");
        let f = judged(BuildNumber::new(13, 0, 6475, 1), now, |p| {
            p.minimum_major_version = 13;
            p.extended_security_updates = vec!["2016".into()];
        });
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("no ESU end date"), "{}", f.message);
    }

    /// Replaced build data is what the check judges with, and the finding says which.
    #[test]
    fn replaced_build_data_is_used_and_named() {
        let mut data = crate::build_data::BuildData::embedded().clone();
        data.as_of = "2027-01-01".into();
        data.releases[7].extended_end = "2027-02-01".into();
        data.releases[7].mainstream_end = "2026-01-01".into();
        let f = judged(
            BuildNumber::new(16, 0, 4225, 2),
            "2027-01-15 00:00:00",
            |p| {
                p.use_build_data(data.clone(), "config/builds.json");
            },
        );
        assert_eq!(f.status, Status::Warn);
        assert_eq!(
            evidence(&f, "build_data"),
            "config/builds.json (as of 2027-01-01)"
        );
    }

    #[test]
    fn a_release_without_dates_is_unknown_unless_below_the_minimum() {
        let mut data = crate::build_data::BuildData::embedded().clone();
        data.releases.retain(|r| r.release != "2022");
        let f = judged(
            BuildNumber::new(16, 0, 4225, 2),
            "2026-12-07 00:00:00",
            |p| {
                p.use_build_data(data.clone(), "x.json");
            },
        );
        assert_eq!(f.status, Status::Unknown);
        assert!(f.message.contains("no support dates"));
    }
}
