//! X04 – the rest of the sp_configure hardening baseline.

use super::Outcomes;
use super::settings::{self, Setting};
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Surface-area options beyond the numbered requirements, one finding per option.
pub const CHECK: Check = Check {
    id: CheckId::new("X04"),
    title: "Surface-area configuration baseline",
    severity: Severity::Medium,
    rationale: "Options that widen the attack surface must be off (cross-database ownership chaining, remote DAC, startup procedures, external scripts, advanced options \
                shown) and CLR strict security must be on (2017+). Each option is one finding; the value \
                in use decides, a pending change is said.",
    outcomes: Outcomes {
        pass: "each option at its required value: `clr strict security` 1 (2017+), `cross db ownership chaining` 0, `remote admin connections` 0, `scan for startup procs` 0, `external scripts enabled` 0 (2016+), `show advanced options` 0 (low)",
        fail_or_warn: "as R10, per option",
        other: "as R10; options a version does not have are skipped; INFO: `remote admin connections` on a failover cluster instance (CIS 2.7 does not apply)",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("2.3"), cis("2.7"), cis("2.8"), cis("2.17")],
        stig_2016: &["SQL6-D0-017700"],
        stig_2022: &["SQLI-22-017700"],
        va: &["VA1044", "VA1071", "VA2120", "VA2126"],
        dbachecks: &[
            "DAC",
            "CrossDBOwnershipChaining",
            "ScanForStartupProceduresDisabled",
        ],
        sp_blitz: &[1013, 1049, 1054],
    },
    reads: &[FactId::Configuration],
    placement: &[on("config", Sheet::Configuration)],
    remediation: RemediationCategory::Safe,
    rule,
};

/// The baseline (option, required value in use, severity, first version that has it).
const SETTINGS: [Setting; 6] = [
    Setting {
        name: "clr strict security",
        required: 1,
        severity: Severity::Medium,
        since_major: 14,
        until_major: None,
        why: "without it SAFE assemblies can still escalate",
    },
    Setting {
        name: "cross db ownership chaining",
        required: 0,
        severity: Severity::Medium,
        since_major: 10,
        until_major: None,
        why: "ownership chains would cross database boundaries on every database",
    },
    Setting {
        name: "remote admin connections",
        required: 0,
        severity: Severity::Medium,
        since_major: 10,
        until_major: None,
        why: "the dedicated admin connection would accept remote clients",
    },
    Setting {
        name: "scan for startup procs",
        required: 0,
        severity: Severity::Medium,
        since_major: 10,
        until_major: None,
        why: "startup procedures are a persistence mechanism",
    },
    Setting {
        name: "external scripts enabled",
        required: 0,
        severity: Severity::Medium,
        since_major: 13,
        until_major: None,
        why: "R/Python scripts would run from T-SQL",
    },
    Setting {
        name: "show advanced options",
        required: 0,
        severity: Severity::Low,
        since_major: 10,
        until_major: None,
        why: "advanced options should be shown only while they are changed",
    },
];

/// One finding per option, by [`settings::evaluate`]; options the version does not have
/// (`clr strict security` before 2017, `external scripts enabled` before 2016) are skipped.
///
/// On a failover cluster instance `remote admin connections` is INFO: CIS 2.7 marks it not
/// applicable there, since the dedicated admin connection must be reachable from the other
/// node (learn.microsoft.com: "Diagnostic connection for database administrators" recommends
/// remote admin connections on clusters).
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut findings = settings::evaluate(check, s, &SETTINGS);
    if s.server.clustered {
        for f in &mut findings {
            if f.entity_key == crate::entity_key("config", &["remote admin connections"])
                && f.status != Status::Unknown
            {
                f.status = Status::Info;
                f.fix = None;
                f.evidence.insert("clustered".to_owned(), "yes".to_owned());
                f.message = format!(
                    "`remote admin connections` is {} on a failover cluster instance, where CIS 2.7 \
                     does not apply (the dedicated admin connection must be reachable from the \
                     other node).",
                    f.evidence.get("value_in_use").map_or("set", String::as_str)
                );
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::{BuildNumber, Status};

    #[test]
    fn compliant_baseline_passes_per_option() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(f.len(), 6);
        assert!(f.iter().all(|f| f.status == Status::Pass));
        assert!(
            by_key(&f, "config:clr strict security")
                .message
                .contains("clr strict security")
        );
    }

    #[test]
    fn wrong_values_fail_with_their_severity() {
        let mut s = compliant_snapshot();
        for row in edit(&mut s.configuration) {
            match row.name.as_str() {
                "show advanced options" => {
                    row.value = 1;
                    row.value_in_use = 1;
                }
                "clr strict security" => {
                    row.value = 0;
                    row.value_in_use = 0;
                }
                _ => {}
            }
        }
        let f = run(&CHECK, &s);
        let strict = by_key(&f, "config:clr strict security");
        assert_eq!(
            (strict.status, strict.severity),
            (Status::Fail, Severity::Medium)
        );
        assert!(strict.message.contains("required 1"));
        let adv = by_key(&f, "config:show advanced options");
        assert_eq!((adv.status, adv.severity), (Status::Fail, Severity::Low));
    }

    #[test]
    fn remote_admin_connections_is_info_on_a_cluster() {
        let mut s = compliant_snapshot();
        let row = edit(&mut s.configuration)
            .iter_mut()
            .find(|c| c.name == "remote admin connections")
            .unwrap();
        row.value = 1;
        row.value_in_use = 1;
        let f = run(&CHECK, &s);
        assert_eq!(
            by_key(&f, "config:remote admin connections").status,
            Status::Fail
        );
        s.server.clustered = true;
        let f = run(&CHECK, &s);
        let rac = by_key(&f, "config:remote admin connections");
        assert_eq!(rac.status, Status::Info);
        assert!(rac.fix.is_none());
        assert!(rac.message.contains("cluster"), "{}", rac.message);
        // The other options are judged as on any instance.
        assert_eq!(
            by_key(&f, "config:scan for startup procs").status,
            Status::Pass
        );
    }

    #[test]
    fn pending_value_warns() {
        let mut s = compliant_snapshot();
        let row = edit(&mut s.configuration)
            .iter_mut()
            .find(|c| c.name == "scan for startup procs")
            .unwrap();
        row.value = 1;
        let f = run(&CHECK, &s);
        assert_eq!(
            by_key(&f, "config:scan for startup procs").status,
            Status::Warn
        );
    }

    #[test]
    fn options_a_version_lacks_are_skipped_not_unknown() {
        let mut s = compliant_snapshot();
        s.server.version = BuildNumber::new(12, 0, 6449, 1);
        edit(&mut s.configuration)
            .retain(|c| c.name != "clr strict security" && c.name != "external scripts enabled");
        let f = run(&CHECK, &s);
        assert_eq!(f.len(), 4);
        s.server.version = BuildNumber::new(16, 0, 4225, 2);
        let f = run(&CHECK, &s);
        assert_eq!(
            by_key(&f, "config:clr strict security").status,
            Status::Unknown
        );
        s.configuration = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
