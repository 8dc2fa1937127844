//! R19 – SQL Server Browser disabled.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, ServiceKind, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// The Browser answers UDP 1434 with the list of instances and their ports: reconnaissance for
/// free.
pub const CHECK: Check = Check {
    id: CheckId::new("R19"),
    title: "SQL Server Browser disabled",
    severity: Severity::Medium,
    rationale: "The SQL Server Browser service answers anyone on UDP 1434 with every instance name, \
                version and port on the host, and has a history of remotely exploitable flaws. The \
                STIG asks for startup Disabled unless the Browser is specifically required and \
                approved (thresholds.browser_required, default false): a stopped Browser with startup \
                Manual can still be started. Where it is required, X34 asks that the instance be \
                hidden. Evaluated from the service configuration on every version.",
    outcomes: Outcomes {
        pass: "Browser Disabled and stopped; one row when not installed; any state when `thresholds.browser_required` is true",
        fail_or_warn: "WARN: running, starts automatically, or Manual (not Disabled) when the Browser is not required (the message says which)",
        other: "UNKNOWN: services unreadable",
    },
    family: Family::Services,
    applies_to: Applicability::WINDOWS,
    references: References {
        cis: &[cis("8.1")],
        stig_2016: &["SQL6-D0-017800"],
        stig_2022: &["SQLI-22-017800"],
        dbachecks: &["SqlBrowserServiceAccount"],
        ..References::NONE
    },
    reads: &[FactId::Services],
    placement: &[on("service", Sheet::Services)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Per Browser service: running or set to start automatically → WARN (the message says which);
/// stopped and manual or disabled → PASS. No Browser installed → one PASS.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(services) = gaps.take("services", &s.services) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for svc in services
        .iter()
        .filter(|svc| svc.kind == ServiceKind::Browser)
    {
        let running = svc.running == Some(true);
        let automatic = is_automatic(&svc.startup);
        let disabled = is_disabled_startup(&svc.startup);
        let state = match (running, automatic, disabled) {
            _ if policy.browser_required => "",
            (true, true, _) => "is running and starts automatically",
            (true, false, _) => "is running",
            (false, true, _) => "starts automatically",
            (false, false, false) => "is stopped but can be started (startup not Disabled)",
            (false, false, true) => "",
        };
        let draft = |status| {
            check
                .finding(
                    status,
                    "service",
                    svc.service_name.clone(),
                    service_key(svc),
                )
                .ev("startup", &svc.startup)
                .ev("running", or_unknown(svc.running.map(yes_no)))
                .ev("policy.browser_required", yes_no(policy.browser_required))
        };
        out.push(if state.is_empty() && policy.browser_required {
            draft(Status::Pass)
                .message(format!(
                    "SQL Server Browser `{}` is required by the policy (thresholds.browser_required); \
                     its startup is {}.",
                    svc.service_name,
                    svc.startup.to_lowercase()
                ))
                .done()
        } else if state.is_empty() {
            draft(Status::Pass)
                .message(format!(
                    "SQL Server Browser `{}` is not running and starts {}.",
                    svc.service_name,
                    svc.startup.to_lowercase()
                ))
                .done()
        } else {
            draft(Status::Warn)
                .message(format!(
                    "SQL Server Browser `{}` {state}: disable it (startup Disabled, stopped).",
                    svc.service_name
                ))
                .done()
        });
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "No SQL Server Browser service is installed on {}.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn browser(startup: &str, running: Option<bool>) -> Vec<Finding> {
        let mut s = compliant_snapshot();
        let b = &mut edit(&mut s.services)[2];
        b.startup = startup.to_owned();
        b.running = running;
        run(&CHECK, &s)
    }

    #[test]
    fn disabled_passes_stopped_manual_warns() {
        assert_eq!(
            single(&browser("Disabled", Some(false)), Status::Pass).entity_key,
            "service:browser"
        );
        // STIG SQL6-D0-017800: Disabled unless required and approved; Manual can be started.
        let f = browser("Manual", Some(false));
        assert!(single(&f, Status::Warn).message.contains("not Disabled"));
    }

    #[test]
    fn a_required_browser_passes_in_any_state() {
        let mut s = compliant_snapshot();
        let b = &mut edit(&mut s.services)[2];
        b.startup = "Automatic".to_owned();
        b.running = Some(true);
        let mut pol = policy();
        pol.browser_required = true;
        let f = (CHECK.rule)(&CHECK, &s, &pol);
        let f = single(&f, Status::Pass);
        assert_eq!(f.evidence["policy.browser_required"], "yes");
    }

    #[test]
    fn running_or_automatic_warns_and_says_which() {
        let f = browser("Automatic", Some(true));
        let f = single(&f, Status::Warn);
        assert_eq!(f.severity, Severity::Medium);
        assert!(
            f.message.contains("running and starts automatically")
                && f.message.contains("SQLBrowser")
        );
        assert!(
            single(&browser("Manual", Some(true)), Status::Warn)
                .message
                .contains("is running:")
        );
        assert!(
            single(&browser("Automatic", None), Status::Warn)
                .message
                .contains("starts automatically")
        );
    }

    #[test]
    fn not_installed_passes_unreadable_unknown() {
        let mut s = compliant_snapshot();
        edit(&mut s.services).retain(|svc| svc.kind != ServiceKind::Browser);
        assert_eq!(
            single(&run(&CHECK, &s), Status::Pass).entity_key,
            "instance:"
        );
        s.services = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
