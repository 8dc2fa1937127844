//! R06 – SQL Server services do not run as LocalSystem, LocalService or NetworkService.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Services must run as dedicated low-privilege accounts (domain accounts or managed service
/// accounts), not the shared built-in accounts.
pub const CHECK: Check = Check {
    id: CheckId::new("R06"),
    title: "Service accounts are not built-in accounts",
    severity: Severity::High,
    rationale: "A service running as LocalSystem has full control of the host; LocalService and \
                NetworkService are shared by many services and NetworkService authenticates on the \
                network as the computer account. Each SQL Server service should run as its own \
                low-privilege domain or (group) managed service account. Per-service virtual accounts \
                (NT SERVICE\\...) are acceptable only as a documented choice.",
    outcomes: Outcomes {
        pass: "a dedicated (domain / managed) account, or the service is disabled",
        fail_or_warn: "FAIL: LocalSystem, LocalService or NetworkService in any spelling (`LocalSystem`, `.\\LocalSystem`, `NT AUTHORITY\\SYSTEM`, `NT AUTHORITY\\LOCAL SERVICE`, `NT AUTHORITY\\NETWORK SERVICE` …); WARN (low): virtual account `NT SERVICE\\…`",
        other: "UNKNOWN: account not readable, or no service reported",
    },
    family: Family::Services,
    applies_to: Applicability::WINDOWS,
    references: References {
        cis: &[cis("3.5"), cis("3.6"), cis("3.7")],
        stig_2016: &["SQL6-D0-012400"],
        stig_2022: &["SQLI-22-012400"],
        dbachecks: &[
            "EngineServiceAdmin",
            "AgentServiceAdmin",
            "FullTextServiceAdmin",
        ],
        sp_blitz: &[169, 170, 258, 259],
        ..References::NONE
    },
    reads: &[FactId::Services],
    placement: &[on("service", Sheet::Services)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Per service: disabled → PASS (it does not run; its account is in the evidence);
/// LocalSystem / LocalService / NetworkService in any spelling → FAIL; a virtual
/// account (`NT SERVICE\…`) → WARN (low); any other account → PASS; no account reported →
/// UNKNOWN for that service. No service reported at all → one UNKNOWN.
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
    services
        .iter()
        .map(|svc| {
            let kind = service_kind_name(svc.kind);
            let name = &svc.service_name;
            let account = svc.account.trim();
            let (status, severity, message) = if account.is_empty() {
                (
                    Status::Unknown,
                    Severity::High,
                    format!("The account of {kind} service `{name}` could not be read."),
                )
            } else if is_disabled_startup(&svc.startup) {
                (
                    Status::Pass,
                    Severity::Info,
                    format!("{kind} service `{name}` is disabled (it would run as `{account}`)."),
                )
            } else if let Some(builtin) = builtin_account(account) {
                (
                    Status::Fail,
                    Severity::High,
                    format!("{kind} service `{name}` runs as the built-in {builtin} account `{account}`: use a dedicated low-privilege domain or managed service account."),
                )
            } else if is_virtual_account(account) {
                (
                    Status::Warn,
                    Severity::Low,
                    format!("{kind} service `{name}` runs as the virtual account `{account}`: acceptable only as a documented choice; prefer a dedicated domain or managed service account."),
                )
            } else {
                (
                    Status::Pass,
                    Severity::Info,
                    format!("{kind} service `{name}` runs as `{account}`."),
                )
            };
            check
                .finding(status, "service", name.clone(), service_key(svc))
                .severity(severity)
                .message(message)
                .ev("service", name)
                .ev("kind", kind)
                .ev("account", account)
                .ev("startup", &svc.startup)
                .done()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn with_engine_account(account: &str) -> Finding {
        let mut s = compliant_snapshot();
        edit(&mut s.services)[0].account = account.to_owned();
        by_key(&run(&CHECK, &s), "service:engine").clone()
    }

    #[test]
    fn dedicated_accounts_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        let engine = by_key(&f, "service:engine");
        assert_eq!(engine.status, Status::Pass);
        assert!(engine.message.contains("MSSQL$PROD"));
        // The Browser is configured with LocalService (its default) but disabled: it never runs.
        assert_eq!(by_key(&f, "service:browser").status, Status::Pass);
    }

    #[test]
    fn builtin_accounts_fail_in_every_spelling() {
        for account in [
            "LocalSystem",
            "NT AUTHORITY\\SYSTEM",
            "NT AUTHORITY\\LOCAL SERVICE",
            "NT AUTHORITY\\NETWORK SERVICE",
            ".\\LocalSystem",
        ] {
            let f = with_engine_account(account);
            assert_eq!(
                (f.status, f.severity),
                (Status::Fail, Severity::High),
                "{account}"
            );
            assert!(f.message.contains(account));
        }
    }

    #[test]
    fn virtual_accounts_warn() {
        let f = with_engine_account("NT Service\\MSSQL$PROD");
        assert_eq!((f.status, f.severity), (Status::Warn, Severity::Low));
    }

    #[test]
    fn unknown_account_or_no_services() {
        assert_eq!(with_engine_account(" ").status, Status::Unknown);
        let mut s = compliant_snapshot();
        s.services = Ok(vec![]);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
        s.services = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
