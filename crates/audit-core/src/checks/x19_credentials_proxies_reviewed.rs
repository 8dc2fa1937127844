//! X19 – server credentials and Agent proxies are reviewed (STIG SQL6-D0-010500).

use super::support::*;
use super::x18_proxies_not_public::proxy_key;
use super::{Applicability, Check, Family, Outcomes, Policy, References, Sheet, on_row};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// A credential is a stored Windows secret the engine acts with; a proxy lets principals act
/// as it. The STIG asks that both be restricted to necessary cases, which only a person who
/// knows the system can judge: each is listed for review with what it gives and to whom.
pub const CHECK: Check = Check {
    id: CheckId::new("X19"),
    title: "Credentials and Agent proxies reviewed",
    severity: Severity::Medium,
    rationale: "Credentials hold a Windows account and its secret so that SQL Server can act as \
                that account (Agent proxies, the xp_cmdshell proxy, backup to URL, EKM); Agent \
                proxies let the principals they are granted to run job steps as it. The STIG \
                (SQL6-D0-010500 / SQLI-22-010500) asks that their use be restricted to necessary \
                cases: each is listed with its identity, the subsystems a proxy may run and who \
                may use it, for someone to confirm it is needed (and drop it otherwise).",
    outcomes: Outcomes {
        pass: "one row: the instance has no server credential and no Agent proxy",
        fail_or_warn: "REVIEW: each credential (identity, the proxies using it) and each proxy (credential, identity, subsystems, grantees, enabled)",
        other: "UNKNOWN: credentials (VIEW ANY DEFINITION) or msdb's proxy tables (sysadmin only) unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-010500"],
        stig_2022: &["SQLI-22-010500"],
        ..References::NONE
    },
    reads: &[FactId::Credentials, FactId::AgentProxies],
    placement: &[
        on_row("credential", Sheet::Instances, "instance:"),
        on_row("agent_proxy", Sheet::Instances, "instance:"),
    ],
    remediation: RemediationCategory::Review,
    rule,
};

/// Each credential and each proxy → REVIEW; none of either → one PASS; a fact that could not
/// be read → one UNKNOWN naming it (and no PASS), beside the rows of the other.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let credentials = gaps.take("credentials", &s.credentials);
    let proxies = gaps.take("agent_proxies", &s.agent_proxies);
    if credentials.is_none() && proxies.is_none() {
        return gaps.only_unknown(check, s);
    }
    let mut out = Vec::new();
    for c in credentials.into_iter().flatten() {
        let users: Vec<&str> = proxies
            .into_iter()
            .flatten()
            .filter(|p| {
                p.credential
                    .as_deref()
                    .is_some_and(|n| same_name(n, &c.name))
            })
            .map(|p| p.name.as_str())
            .collect();
        let used_by = if users.is_empty() {
            if proxies.is_some() {
                "no Agent proxy".to_owned()
            } else {
                "unknown (the proxies were not read)".to_owned()
            }
        } else {
            format!("Agent proxies {}", users.join(", "))
        };
        out.push(
            check
                .finding(
                    Status::Review,
                    "credential",
                    c.name.clone(),
                    entity_key("credential", &[&c.name]),
                )
                .ev("identity", &c.identity)
                .ev("used_by", &used_by)
                .message(format!(
                    "Credential `{}` stands for `{}` (used by {used_by}): confirm it is needed, or drop it (DROP CREDENTIAL).",
                    c.name, c.identity
                ))
                .done(),
        );
    }
    for p in proxies.into_iter().flatten() {
        let grantees: Vec<String> = p
            .grantees
            .iter()
            .map(|g| {
                format!(
                    "{} ({})",
                    g.name.as_deref().unwrap_or("unresolved principal"),
                    g.kind.label()
                )
            })
            .collect();
        let grantees = if grantees.is_empty() {
            "sysadmin only".to_owned()
        } else {
            grantees.join(", ")
        };
        let subsystems = if p.subsystems.is_empty() {
            "none".to_owned()
        } else {
            p.subsystems.join(", ")
        };
        let identity = p.identity.as_deref().unwrap_or("-");
        out.push(
            check
                .finding(Status::Review, "agent_proxy", p.name.clone(), proxy_key(p))
                .ev("credential", p.credential.as_deref().unwrap_or("-"))
                .ev("identity", identity)
                .ev("subsystems", &subsystems)
                .ev("grantees", &grantees)
                .ev("enabled", yes_no(p.enabled))
                .message(format!(
                    "Agent proxy `{}`{} runs {subsystems} job steps as `{identity}` for {grantees}: confirm each is needed, or revoke it (sp_revoke_login_from_proxy, sp_revoke_proxy_from_subsystem) or drop the proxy (sp_delete_proxy).",
                    p.name,
                    if p.enabled { "" } else { " (disabled)" }
                ))
                .done(),
        );
    }
    if out.is_empty() && gaps.is_empty() {
        out.push(
            check
                .instance_finding(s, Status::Pass)
                .message(format!(
                    "{} has no server credential and no SQL Server Agent proxy.",
                    instance_name(s)
                ))
                .done(),
        );
    }
    out.extend(gaps.unknown(check, s));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::CredentialInfo;

    #[test]
    fn nothing_to_review_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
    }

    #[test]
    fn each_credential_and_proxy_is_reviewed() {
        let mut s = compliant_snapshot();
        s.credentials = Ok(vec![
            CredentialInfo {
                name: "cred".to_owned(),
                identity: "CORP\\svc_proxy".to_owned(),
            },
            CredentialInfo {
                name: "backup_url".to_owned(),
                identity: "SHARED ACCESS SIGNATURE".to_owned(),
            },
        ]);
        s.agent_proxies = Ok(vec![agent_proxy("ETL")]);
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Review; 3]);
        assert!(
            by_key(&f, "credential:cred")
                .message
                .contains("Agent proxies ETL")
        );
        assert!(
            by_key(&f, "credential:backup_url")
                .message
                .contains("no Agent proxy")
        );
        let proxy = by_key(&f, "agent_proxy:etl");
        assert!(proxy.message.contains("CmdExec"));
        assert!(proxy.message.contains("CORP\\etl (login)"));
    }

    #[test]
    fn unreadable_parts_are_unknown_never_pass() {
        let mut s = compliant_snapshot();
        s.agent_proxies = denied();
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Unknown]);
        s.credentials = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
        let mut s = compliant_snapshot();
        s.agent_proxies = denied();
        s.credentials = Ok(vec![CredentialInfo {
            name: "cred".to_owned(),
            identity: "CORP\\svc".to_owned(),
        }]);
        let f = run(&CHECK, &s);
        assert!(by_key(&f, "credential:cred").message.contains("not read"));
        assert_eq!(by_key(&f, "instance:").status, Status::Unknown);
    }
}
