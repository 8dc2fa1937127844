//! X21 – each SQL Server service runs under its own account (STIG SQL6-D0-012400).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, ServiceInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Two services under one account share every right and secret that account holds: a flaw in
/// the least-guarded one (Browser, Reporting Services) becomes a way into the engine.
pub const CHECK: Check = Check {
    id: CheckId::new("X21"),
    title: "Each service runs under its own account",
    severity: Severity::Medium,
    rationale: "The STIG (SQL6-D0-012400 / SQLI-22-012400) reviews the \"Log On As\" account of every \
                SQL Server service: \"If any services are configured with the same service account \
                … this is a finding.\" Services that share an account share its rights, its files \
                and its secrets, so a compromise of one is a compromise of all. Per-service virtual \
                accounts (NT SERVICE\\…) are distinct by construction; LocalSystem, LOCAL SERVICE and \
                NETWORK SERVICE are shared by definition and count as the same account wherever \
                they appear. Windows only: on Linux the services are not Windows services.",
    outcomes: Outcomes {
        pass: "the service's account is used by no other SQL Server service the audit read",
        fail_or_warn: "WARN: another service runs under the same account (named, with the account); built-in accounts in any spelling count as one",
        other: "UNKNOWN: the services (or one service's account) could not be read; NOT APPLICABLE on Linux",
    },
    family: Family::Services,
    applies_to: Applicability::WINDOWS,
    references: References {
        stig_2016: &["SQL6-D0-012400"],
        stig_2022: &["SQLI-22-012400"],
        ..References::NONE
    },
    reads: &[FactId::Services],
    placement: &[on("service", Sheet::Services)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// The account as one identity: built-in accounts by what they are (`LocalSystem` for
/// `NT AUTHORITY\SYSTEM` and `.\LocalSystem`), others lower-cased without a leading `.\`.
fn identity(account: &str) -> String {
    if let Some(builtin) = builtin_account(account) {
        return builtin.to_lowercase();
    }
    let lower = account.trim().to_lowercase();
    lower.strip_prefix(".\\").unwrap_or(&lower).to_owned()
}

/// Per service: account unreadable → UNKNOWN; shared with another service → WARN naming it;
/// otherwise PASS. No service at all → one UNKNOWN.
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
    // Services only the registry lists (Browser, SSRS, SSAS, SSIS) that could not be read: an
    // account is known to be unshared only when every service was compared.
    let incomplete = s.unread_of(&[FactId::Services]).next().is_some();
    services
        .iter()
        .map(|svc| {
            let kind = service_kind_name(svc.kind);
            let account = svc.account.trim();
            let draft = |status| {
                check
                    .finding(status, "service", svc.service_name.clone(), service_key(svc))
                    .ev("service", &svc.service_name)
                    .ev("kind", kind)
                    .ev("account", account)
            };
            if account.is_empty() {
                return draft(Status::Unknown)
                    .message(format!(
                        "The account of {kind} service `{}` could not be read.",
                        svc.service_name
                    ))
                    .done();
            }
            let me = identity(account);
            let sharing: Vec<&ServiceInfo> = services
                .iter()
                .filter(|other| other.kind != svc.kind || other.service_name != svc.service_name)
                .filter(|other| !other.account.trim().is_empty() && identity(&other.account) == me)
                .collect();
            if sharing.is_empty() && incomplete && !is_virtual_account(account) {
                return draft(Status::Unknown)
                    .message(format!(
                        "{kind} service `{}` runs as `{account}`, which no other service read \
                         uses; the services only the registry lists could not be read, so it \
                         could not be compared with them.",
                        svc.service_name
                    ))
                    .done();
            }
            if sharing.is_empty() {
                return draft(Status::Pass)
                    .message(format!(
                        "{kind} service `{}` is the only SQL Server service running as `{account}`.",
                        svc.service_name
                    ))
                    .done();
            }
            let names: Vec<String> = sharing
                .iter()
                .map(|o| format!("{} (`{}`)", service_kind_name(o.kind), o.service_name))
                .collect();
            draft(Status::Warn)
                .ev("shared_with", names.join(", "))
                .message(format!(
                    "{kind} service `{}` shares its account `{account}` with {}: give each service a dedicated account (a managed service account or its virtual account).",
                    svc.service_name,
                    names.join(", ")
                ))
                .done()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::ServiceKind;

    #[test]
    fn dedicated_accounts_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(statuses(&f), [Status::Pass, Status::Pass, Status::Pass]);
    }

    /// With the registry-only services unread, a domain account cannot be known to be
    /// unshared: UNKNOWN; a virtual account is unique by construction.
    #[test]
    fn unread_services_leave_domain_accounts_unknown() {
        let mut s = compliant_snapshot();
        s.unread.push(crate::snapshot::Unread {
            facts: vec![FactId::Services],
            scope: crate::snapshot::Scope::Service(ServiceKind::Reporting),
            reason: crate::snapshot::UnreadReason::PermissionDenied,
            detail: "xp_regread refused".to_owned(),
        });
        edit(&mut s.services)[1].account = "NT SERVICE\\SQLAgent$PROD".to_owned();
        let f = run(&CHECK, &s);
        assert_eq!(by_key(&f, "service:engine").status, Status::Unknown);
        assert_eq!(by_key(&f, "service:agent").status, Status::Pass);
    }

    #[test]
    fn shared_accounts_warn_in_any_spelling() {
        let mut s = compliant_snapshot();
        edit(&mut s.services)[1].account = "corp\\SVC_SQL".to_owned();
        let f = run(&CHECK, &s);
        assert_eq!(by_key(&f, "service:engine").status, Status::Warn);
        assert!(
            by_key(&f, "service:agent")
                .message
                .contains("Database Engine")
        );
        assert_eq!(by_key(&f, "service:browser").status, Status::Pass);

        let mut s = compliant_snapshot();
        edit(&mut s.services)[0].account = "NT AUTHORITY\\LOCAL SERVICE".to_owned();
        let f = run(&CHECK, &s);
        assert_eq!(by_key(&f, "service:browser").status, Status::Warn);
        assert_eq!(by_key(&f, "service:engine").status, Status::Warn);

        let mut s = compliant_snapshot();
        let list = edit(&mut s.services);
        list[0].account = "LocalSystem".to_owned();
        list[1].account = "NT AUTHORITY\\SYSTEM".to_owned();
        assert_eq!(
            by_key(&run(&CHECK, &s), "service:agent").status,
            Status::Warn
        );
    }

    #[test]
    fn virtual_accounts_are_distinct() {
        let mut s = compliant_snapshot();
        let list = edit(&mut s.services);
        list[0].account = "NT Service\\MSSQL$PROD".to_owned();
        list[1].account = "NT Service\\SQLAgent$PROD".to_owned();
        assert!(run(&CHECK, &s).iter().all(|f| f.status == Status::Pass));
    }

    #[test]
    fn unknown_when_unreadable_and_not_on_linux() {
        let mut s = compliant_snapshot();
        s.services = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
        let mut s = compliant_snapshot();
        s.services = Ok(vec![service(
            ServiceKind::Engine,
            "MSSQLSERVER",
            "",
            "Automatic",
            true,
        )]);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
        const { assert!(CHECK.applies_to.windows_only) };
    }
}
