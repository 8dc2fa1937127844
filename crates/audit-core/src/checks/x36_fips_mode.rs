//! X36 – Windows' FIPS mode, where the organisation requires it (STIG SQL6-D0-008700 /
//! SQLI-22-008700, SQL6-D0-008400; database STIG SQL6-D0-003200 / SQLD-22-003200).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// With FIPS mode on, Windows (and SQL Server's TLS and encryption through it) uses only
/// validated algorithms; whether that is required is the organisation's call (DoD: yes).
pub const CHECK: Check = Check {
    id: CheckId::new("X36"),
    title: "FIPS-validated cryptography enforced (where required)",
    severity: Severity::High,
    rationale: "The Windows security option \"System cryptography: Use FIPS compliant algorithms \
                for encryption, hashing, and signing\" (HKLM\\SYSTEM\\CurrentControlSet\\Control\\\
                Lsa\\FipsAlgorithmPolicy, Enabled) restricts Windows and the SQL Server services \
                that use its cryptography to FIPS 140-2/140-3 validated modules. The DISA STIG \
                requires it; other organisations decide (`thresholds.require_fips`).",
    outcomes: Outcomes {
        pass: "FIPS mode enabled",
        fail_or_warn: "FAIL (high): FIPS mode off or unset while `thresholds.require_fips` is true",
        other: "INFO: FIPS mode off and not required by policy; UNKNOWN: the registry could not be read; NOT APPLICABLE on Linux",
    },
    family: Family::DataProtection,
    applies_to: Applicability::WINDOWS,
    references: References {
        stig_2016: &["SQL6-D0-008700", "SQL6-D0-008400", "SQL6-D0-003200"],
        stig_2022: &["SQLI-22-008700", "SQLD-22-003200"],
        ..References::NONE
    },
    reads: &[FactId::HostSettings],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Enabled = 1 → PASS; otherwise FAIL when the policy requires FIPS, INFO when it does not.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(host) = gaps.take("host_settings", &s.host_settings) else {
        return gaps.only_unknown(check, s);
    };
    let enabled = host.fips_enabled.is_some_and(|v| v != 0);
    let draft = |status| {
        check
            .instance_finding(s, status)
            .ev(
                "fips_algorithm_policy",
                host.fips_enabled
                    .map_or("absent (disabled)".to_owned(), |v| v.to_string()),
            )
            .ev("require_fips", yes_no(policy.require_fips))
    };
    let finding = if enabled {
        draft(Status::Pass).message(format!(
            "{}'s host enforces FIPS-validated cryptography.",
            instance_name(s)
        ))
    } else if policy.require_fips {
        draft(Status::Fail).message(format!(
            "{}'s host does not enforce FIPS-validated cryptography, which the policy requires \
             (thresholds.require_fips): enable \"System cryptography: Use FIPS compliant \
             algorithms for encryption, hashing, and signing\" by Group Policy.",
            instance_name(s)
        ))
    } else {
        draft(Status::Info).message(format!(
            "{}'s host does not enforce FIPS mode; the policy does not require it \
             (thresholds.require_fips = false; the DISA STIG does).",
            instance_name(s)
        ))
    };
    vec![finding.done()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn enabled_passes_whatever_the_policy() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn off_fails_only_when_required() {
        let mut s = compliant_snapshot();
        edit(&mut s.host_settings).fips_enabled = Some(0);
        single(&run(&CHECK, &s), Status::Info);
        let mut p = policy();
        p.require_fips = true;
        let f = (CHECK.rule)(&CHECK, &s, &p);
        assert_eq!(single(&f, Status::Fail).evidence["require_fips"], "yes");
        edit(&mut s.host_settings).fips_enabled = None;
        let f = (CHECK.rule)(&CHECK, &s, &p);
        assert_eq!(
            single(&f, Status::Fail).evidence["fips_algorithm_policy"],
            "absent (disabled)"
        );
    }

    #[test]
    fn unread_registry_is_unknown() {
        let mut s = compliant_snapshot();
        s.host_settings = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
