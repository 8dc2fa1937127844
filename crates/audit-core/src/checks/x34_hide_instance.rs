//! X34 – the instance is hidden from the SQL Server Browser (CIS 2.12).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// A visible instance answers every SQL Server Browser enumeration (UDP 1434) with its name,
/// version and port; Hide Instance stops the Browser from advertising it.
pub const CHECK: Check = Check {
    id: CheckId::new("X34"),
    title: "Instance hidden from the Browser",
    severity: Severity::Low,
    rationale: "The SQL Server Browser answers anyone on the network who asks which instances a host \
                has, with their names, versions and ports. Hide Instance = Yes (SQL Server \
                Configuration Manager, SuperSocketNetLib\\HideInstance) stops it from advertising \
                the instance; clients then connect by port or alias. CIS 2.12 and the STIG ask for it, \
                the STIG even where the Browser is required and approved (SQL6-D0-018000); \
                CIS marks it not applicable to failover cluster instances, where hiding breaks the \
                failover's name resolution. Windows only: the Browser does not exist on Linux.",
    outcomes: Outcomes {
        pass: "HideInstance = 1",
        fail_or_warn: "WARN (low): HideInstance 0 or absent",
        other: "INFO: failover cluster instance (not applicable); UNKNOWN: the registry settings could not be read",
    },
    family: Family::Network,
    applies_to: Applicability::WINDOWS,
    references: References {
        cis: &[cis("2.12")],
        stig_2016: &["SQL6-D0-018000"],
        stig_2022: &["SQLI-22-017800"],
        va: &["VA1092"],
        dbachecks: &["HideInstance"],
        ..References::NONE
    },
    reads: &[FactId::InstanceSettings],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Clustered → INFO; HideInstance 1 → PASS; 0 or absent → WARN; unread → UNKNOWN.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    if s.server.clustered {
        return vec![
            check
                .instance_finding(s, Status::Info)
                .ev("clustered", "yes")
                .message(format!(
                    "{} is a failover cluster instance: Hide Instance does not apply (CIS 2.12).",
                    instance_name(s)
                ))
                .done(),
        ];
    }
    let mut gaps = Gaps::default();
    let Some(settings) = gaps.take("instance_settings", &s.instance_settings) else {
        return gaps.only_unknown(check, s);
    };
    let hidden = settings.hide_instance.unwrap_or(false);
    let draft = |status| {
        check
            .instance_finding(s, status)
            .ev(
                "hide_instance",
                settings.hide_instance.map_or("absent (no)", yes_no),
            )
            .ev("clustered", "no")
    };
    let finding = if hidden {
        draft(Status::Pass)
            .message(format!(
                "{} is hidden from the SQL Server Browser.",
                instance_name(s)
            ))
            .done()
    } else {
        draft(Status::Warn)
            .message(format!(
                "{} is advertised by the SQL Server Browser: set Hide Instance to Yes in SQL Server \
                 Configuration Manager (Protocols, Flags) and restart the service.",
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
    fn hidden_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn visible_or_absent_warns() {
        let mut s = compliant_snapshot();
        edit(&mut s.instance_settings).hide_instance = Some(false);
        let f = run(&CHECK, &s);
        assert_eq!(single(&f, Status::Warn).severity, Severity::Low);
        edit(&mut s.instance_settings).hide_instance = None;
        let f = run(&CHECK, &s);
        assert_eq!(
            single(&f, Status::Warn).evidence["hide_instance"],
            "absent (no)"
        );
    }

    #[test]
    fn cluster_is_not_applicable() {
        let mut s = compliant_snapshot();
        edit(&mut s.instance_settings).hide_instance = Some(false);
        s.server.clustered = true;
        single(&run(&CHECK, &s), Status::Info);
    }

    #[test]
    fn unread_settings_are_unknown() {
        let mut s = compliant_snapshot();
        s.instance_settings = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
