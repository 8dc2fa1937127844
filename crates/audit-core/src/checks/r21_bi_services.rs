//! R21 – SSRS, SSAS and SSIS disabled unless needed.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, ServiceKind, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Reporting, Analysis and Integration Services are large extra services with their own
/// listeners and accounts; installed and not disabled, each must be justified.
pub const CHECK: Check = Check {
    id: CheckId::new("R21"),
    title: "SSRS, SSAS, SSIS disabled unless needed",
    severity: Severity::Medium,
    rationale: "Reporting Services, Analysis Services and Integration Services add web and network \
                listeners, service accounts and code paths. Where installed but not needed they must be \
                disabled (or uninstalled); where needed, documented. Evaluated from the service \
                configuration on every version. Windows only: Reporting and Analysis Services do \
                not exist on Linux, and Integration Services on Linux is a package SQL Server \
                cannot see (no Windows service, no registry key).",
    outcomes: Outcomes {
        pass: "service Disabled; one row when none installed",
        fail_or_warn: "WARN: Reporting, Analysis or Integration Services installed and not disabled",
        other: "UNKNOWN: services unreadable",
    },
    family: Family::Services,
    applies_to: Applicability::WINDOWS,
    references: References {
        stig_2016: &["SQL6-D0-007000", "SQL6-D0-007100"],
        stig_2022: &["SQLI-22-007000"],
        ..References::NONE
    },
    reads: &[FactId::Services],
    placement: &[on("service", Sheet::Services)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Per SSRS / SSAS / SSIS service: startup not Disabled → WARN (running or not, said in the
/// message); Disabled → PASS. None installed → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(services) = gaps.take("services", &s.services) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    let bi = [
        ServiceKind::Reporting,
        ServiceKind::Analysis,
        ServiceKind::Integration,
    ];
    for svc in services.iter().filter(|svc| bi.contains(&svc.kind)) {
        let kind = service_kind_name(svc.kind);
        let draft = |status| {
            check
                .finding(
                    status,
                    "service",
                    svc.service_name.clone(),
                    service_key(svc),
                )
                .ev("kind", kind)
                .ev("startup", &svc.startup)
                .ev("running", or_unknown(svc.running.map(yes_no)))
        };
        out.push(if is_disabled_startup(&svc.startup) {
            draft(Status::Pass)
                .message(format!("{kind} `{}` is installed but disabled.", svc.service_name))
                .done()
        } else {
            let running = match svc.running {
                Some(true) => ", running",
                Some(false) => ", stopped",
                None => "",
            };
            draft(Status::Warn)
                .message(format!(
                    "{kind} `{}` is installed and not disabled (startup {}{running}): disable or uninstall it unless it is needed and documented.",
                    svc.service_name, svc.startup
                ))
                .done()
        });
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "No Reporting, Analysis or Integration Services on {}.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn none_installed_passes() {
        assert_eq!(
            single(&run(&CHECK, &compliant_snapshot()), Status::Pass).entity_key,
            "instance:"
        );
    }

    #[test]
    fn installed_and_not_disabled_warns_disabled_passes() {
        let mut s = compliant_snapshot();
        let svcs = edit(&mut s.services);
        svcs.push(service(
            ServiceKind::Reporting,
            "SQLServerReportingServices",
            "CORP\\svc_rs",
            "Automatic",
            true,
        ));
        svcs.push(service(
            ServiceKind::Analysis,
            "MSOLAP$PROD",
            "CORP\\svc_as",
            "Manual",
            false,
        ));
        svcs.push(service(
            ServiceKind::Integration,
            "MsDtsServer160",
            "NT Service\\MsDtsServer160",
            "Disabled",
            false,
        ));
        let f = run(&CHECK, &s);
        let rs = by_key(&f, "service:reporting");
        assert_eq!((rs.status, rs.severity), (Status::Warn, Severity::Medium));
        assert!(rs.message.contains("Reporting Services") && rs.message.contains("running"));
        assert!(by_key(&f, "service:analysis").message.contains("stopped"));
        assert_eq!(by_key(&f, "service:integration").status, Status::Pass);
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        s.services = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
