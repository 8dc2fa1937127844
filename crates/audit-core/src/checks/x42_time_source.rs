//! X42 – the host keeps its clock with an authoritative time source, so audit timestamps map
//! to UTC (STIG SQL6-D0-011200 / SQLI-22-011200).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// SQL Server stamps audit records with the host's clock: a clock that drifts makes records
/// impossible to line up with other systems' logs.
pub const CHECK: Check = Check {
    id: CheckId::new("X42"),
    title: "Host clock synchronised with a time source",
    severity: Severity::Low,
    rationale: "SQL Server audit records carry the host's time (in UTC); they can be correlated \
                with other systems' records only when the host's clock follows an authoritative \
                source. On Windows the Windows Time service decides: Type NT5DS follows the \
                domain hierarchy, NTP the servers listed in NtpServer, NoSync nothing \
                (learn.microsoft.com: \"Windows Time service tools and settings\").",
    outcomes: Outcomes {
        pass: "W32Time follows the domain hierarchy (NT5DS) or named NTP servers",
        fail_or_warn: "WARN: NoSync, or no source configured",
        other: "UNKNOWN: the registry could not be read; NOT APPLICABLE on Linux",
    },
    family: Family::Auditing,
    applies_to: Applicability::WINDOWS,
    references: References {
        stig_2016: &["SQL6-D0-011200"],
        stig_2022: &["SQLI-22-011200"],
        ..References::NONE
    },
    reads: &[FactId::HostSettings],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// NT5DS → PASS; NTP or AllSync with an NtpServer → PASS; anything else → WARN.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(host) = gaps.take("host_settings", &s.host_settings) else {
        return gaps.only_unknown(check, s);
    };
    let kind = host.time_sync_type.as_deref().map(str::trim).unwrap_or("");
    let server = host
        .ntp_server
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let draft = |status| {
        check
            .instance_finding(s, status)
            .ev(
                "w32time_type",
                if kind.is_empty() { "absent" } else { kind },
            )
            .ev("ntp_server", server.unwrap_or("none"))
    };
    let finding = match (kind.to_ascii_uppercase().as_str(), server) {
        ("NT5DS", _) => draft(Status::Pass).message(format!(
            "{}'s host takes its time from the domain hierarchy (W32Time NT5DS).",
            instance_name(s)
        )),
        ("NTP" | "ALLSYNC", Some(n)) => draft(Status::Pass).message(format!(
            "{}'s host takes its time from NTP ({n}): confirm the source is authoritative for \
             the organisation.",
            instance_name(s)
        )),
        _ => draft(Status::Warn).message(format!(
            "{}'s host does not synchronise its clock (W32Time Type `{}`): configure the Windows \
             Time service to follow the domain (NT5DS) or an authoritative NTP server, so audit \
             timestamps can be trusted.",
            instance_name(s),
            if kind.is_empty() { "absent" } else { kind }
        )),
    };
    vec![finding.done()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn domain_hierarchy_and_ntp_pass() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
        let mut s = compliant_snapshot();
        let h = edit(&mut s.host_settings);
        h.time_sync_type = Some("NTP".to_owned());
        h.ntp_server = Some("ntp1.corp.example,0x8".to_owned());
        let f = run(&CHECK, &s);
        assert_eq!(
            single(&f, Status::Pass).evidence["ntp_server"],
            "ntp1.corp.example,0x8"
        );
    }

    #[test]
    fn nosync_or_no_server_warns() {
        let mut s = compliant_snapshot();
        edit(&mut s.host_settings).time_sync_type = Some("NoSync".to_owned());
        single(&run(&CHECK, &s), Status::Warn);
        let h = edit(&mut s.host_settings);
        h.time_sync_type = Some("NTP".to_owned());
        h.ntp_server = Some(String::new());
        single(&run(&CHECK, &s), Status::Warn);
        s.host_settings = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
