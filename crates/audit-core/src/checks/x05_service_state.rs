//! X05 – services are in the state their startup mode promises.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, ServiceKind, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// An automatic service that is stopped has failed (or was stopped by hand); a stopped Agent
/// means backups and maintenance jobs silently do not run.
pub const CHECK: Check = Check {
    id: CheckId::new("X05"),
    title: "Service state consistent",
    severity: Severity::Medium,
    rationale: "A service set to start automatically but stopped has crashed or was stopped by hand and \
                nobody noticed. SQL Server Agent not set to start automatically and stopped means backup \
                and maintenance jobs do not run (Express editions have no Agent and are exempt). \
                Windows only: on Linux the engine is a systemd unit and SQL Server Agent a \
                mssql-conf setting, neither reported as a service.",
    outcomes: Outcomes {
        pass: "state matches the startup mode",
        fail_or_warn: "WARN: automatic but stopped; SQL Server Agent stopped and not automatic (not on Express)",
        other: "UNKNOWN: automatic with unreadable run state, or no service reported",
    },
    family: Family::Services,
    applies_to: Applicability::WINDOWS,
    references: References {
        dbachecks: &["SqlEngineServiceAccount", "AgentServiceAccount"],
        ..References::NONE
    },
    reads: &[FactId::Services],
    placement: &[on("service", Sheet::Services)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Per service: automatic but stopped → WARN; SQL Server Agent stopped and not automatic (not
/// Express) → WARN; automatic with unknown run state → UNKNOWN; otherwise PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(services) = gaps.take("services", &s.services) else {
        return gaps.only_unknown(check, s);
    };
    if services.is_empty() {
        return vec![
            check
                .instance_finding(s, Status::Unknown)
                .message(format!(
                    "No SQL Server service was reported for {}.",
                    instance_name(s)
                ))
                .done(),
        ];
    }
    let express = s.server.edition.to_lowercase().contains("express");
    services
        .iter()
        .map(|svc| {
            let kind = service_kind_name(svc.kind);
            let name = &svc.service_name;
            let automatic = is_automatic(&svc.startup);
            let draft = |status| {
                check
                    .finding(status, "service", name.clone(), service_key(svc))
                    .ev("kind", kind)
                    .ev("startup", &svc.startup)
                    .ev("running", or_unknown(svc.running.map(yes_no)))
            };
            match svc.running {
                Some(false) if automatic => draft(Status::Warn)
                    .message(format!("{kind} `{name}` starts automatically but is stopped: start it, or set it to Manual or Disabled if it is not needed."))
                    .done(),
                Some(false) if svc.kind == ServiceKind::Agent && !express => draft(Status::Warn)
                    .message(format!("SQL Server Agent `{name}` is stopped and set to {}: backup and maintenance jobs do not run.", svc.startup))
                    .done(),
                None if automatic => draft(Status::Unknown)
                    .message(format!("{kind} `{name}` starts automatically, but whether it is running could not be read."))
                    .done(),
                _ => draft(Status::Pass)
                    .message(format!(
                        "{kind} `{name}` is {} with startup {}.",
                        match svc.running {
                            Some(true) => "running",
                            Some(false) => "stopped",
                            None => "in an unread state",
                        },
                        svc.startup
                    ))
                    .done(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn consistent_states_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(statuses(&f), [Status::Pass, Status::Pass, Status::Pass]);
    }

    #[test]
    fn automatic_but_stopped_warns() {
        let mut s = compliant_snapshot();
        edit(&mut s.services)[0].running = Some(false);
        let f = run(&CHECK, &s);
        let e = by_key(&f, "service:engine");
        assert_eq!((e.status, e.severity), (Status::Warn, Severity::Medium));
        assert!(e.message.contains("MSSQL$PROD"));
    }

    #[test]
    fn stopped_agent_warns_except_on_express() {
        let mut s = compliant_snapshot();
        let agent = &mut edit(&mut s.services)[1];
        agent.startup = "Disabled".to_owned();
        agent.running = Some(false);
        assert_eq!(
            by_key(&run(&CHECK, &s), "service:agent").status,
            Status::Warn
        );
        s.server.edition = "Express Edition (64-bit)".to_owned();
        assert_eq!(
            by_key(&run(&CHECK, &s), "service:agent").status,
            Status::Pass
        );
    }

    #[test]
    fn unknown_states() {
        let mut s = compliant_snapshot();
        edit(&mut s.services)[0].running = None;
        assert_eq!(
            by_key(&run(&CHECK, &s), "service:engine").status,
            Status::Unknown
        );
        s.services = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
