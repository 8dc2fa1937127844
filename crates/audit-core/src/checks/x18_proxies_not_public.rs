//! X18 – msdb's public role is granted no SQL Server Agent proxy (CIS 3.11).

use super::support::*;
use super::{Applicability, Check, Family, Outcomes, Policy, References, Sheet, cis, on_row};
use crate::snapshot::{AgentProxyInfo, FactId, ProxyGranteeKind, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// Every user of msdb is in its public role: a proxy granted to public lets any of them run
/// job steps as the proxy's Windows account.
pub const CHECK: Check = Check {
    id: CheckId::new("X18"),
    title: "msdb public not granted Agent proxies",
    severity: Severity::Medium,
    rationale: "An Agent proxy runs job steps (CmdExec, PowerShell, SSIS …) as its credential's \
                Windows account. Granting a proxy to msdb's public role lets every user of msdb \
                (SQLAgentUserRole members, and every login once msdb's guest is enabled) run \
                operating-system commands with that account's rights. CIS 3.11: revoke public's \
                access (sp_revoke_login_from_proxy) and grant the proxy to the specific users or \
                roles that need it. Not on Express (no Agent).",
    outcomes: Outcomes {
        pass: "the proxy is not granted to msdb's public role; one row when there is no proxy",
        fail_or_warn: "FAIL: a proxy msdb's public role may use, with its credential identity and subsystems",
        other: "REVIEW: a role grantee whose SID names no role (it could be public); UNKNOWN: msdb's proxy tables are unreadable (only sysadmin may read them); NOT APPLICABLE on Express",
    },
    family: Family::Permissions,
    applies_to: Applicability {
        engine_editions: &[2, 3, 8],
        ..Applicability::ALL
    },
    references: References {
        cis: &[cis("3.11")],
        dbachecks: &["SqlAgentProxiesNoPublicRole"],
        ..References::NONE
    },
    reads: &[FactId::AgentProxies],
    placement: &[on_row("agent_proxy", Sheet::Instances, "instance:")],
    remediation: RemediationCategory::Caution,
    rule,
};

/// The key of a proxy's findings.
pub(crate) fn proxy_key(proxy: &AgentProxyInfo) -> String {
    entity_key("agent_proxy", &[&proxy.name])
}

/// Whether a public role may use the proxy: msdb's (CIS 3.11), or the server's, should
/// `sp_grant_login_to_proxy @fixed_server_role` ever have been given it, which opens the proxy
/// to every login alike.
pub(crate) fn granted_to_public(proxy: &AgentProxyInfo) -> bool {
    proxy.grantees.iter().any(|g| {
        g.kind != ProxyGranteeKind::Login
            && g.name.as_deref().is_some_and(|n| same_name(n, "public"))
    })
}

/// Per proxy: granted to msdb public → FAIL; otherwise PASS. No proxy → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(proxies) = gaps.take("agent_proxies", &s.agent_proxies) else {
        return gaps.only_unknown(check, s);
    };
    if proxies.is_empty() {
        return vec![
            check
                .instance_finding(s, Status::Pass)
                .message(format!(
                    "{} has no SQL Server Agent proxy.",
                    instance_name(s)
                ))
                .done(),
        ];
    }
    proxies
        .iter()
        .map(|proxy| {
            let identity = proxy.identity.as_deref().unwrap_or("-");
            let subsystems = if proxy.subsystems.is_empty() {
                "none".to_owned()
            } else {
                proxy.subsystems.join(", ")
            };
            let draft = |status| {
                check
                    .finding(status, "agent_proxy", proxy.name.clone(), proxy_key(proxy))
                    .ev("credential", proxy.credential.as_deref().unwrap_or("-"))
                    .ev("identity", identity)
                    .ev("subsystems", &subsystems)
                    .ev("enabled", yes_no(proxy.enabled))
                    .ev("public_granted", yes_no(granted_to_public(proxy)))
            };
            if granted_to_public(proxy) {
                draft(Status::Fail)
                    .message(format!(
                        "Agent proxy `{}` is granted to the public role: every user of msdb may run {subsystems} job steps as `{identity}`. Revoke it (sp_revoke_login_from_proxy @name = N'public') and grant the proxy to the principals that need it.",
                        proxy.name
                    ))
                    .done()
            } else if proxy
                .grantees
                .iter()
                .any(|g| g.kind != ProxyGranteeKind::Login && g.name.is_none())
            {
                draft(Status::Review)
                    .message(format!(
                        "Agent proxy `{}` is granted to a role whose SID names no role of msdb or \
                         of the server: confirm it is not public (EXEC msdb.dbo.sp_enum_login_for_proxy).",
                        proxy.name
                    ))
                    .done()
            } else {
                draft(Status::Pass)
                    .message(format!(
                        "Agent proxy `{}` is not granted to msdb's public role.",
                        proxy.name
                    ))
                    .done()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::ProxyGrantee;

    #[test]
    fn no_proxy_and_private_proxies_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
        let mut s = compliant_snapshot();
        s.agent_proxies = Ok(vec![agent_proxy("ETL")]);
        assert_eq!(
            single(&run(&CHECK, &s), Status::Pass).entity_key,
            "agent_proxy:etl"
        );
    }

    #[test]
    fn a_proxy_granted_to_msdb_public_fails() {
        let mut proxy = agent_proxy("ETL");
        proxy.grantees.push(ProxyGrantee {
            name: Some("public".to_owned()),
            kind: ProxyGranteeKind::MsdbRole,
        });
        let mut s = compliant_snapshot();
        s.agent_proxies = Ok(vec![proxy]);
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Fail);
        assert!(hit.message.contains("CORP\\svc_proxy"));
        assert!(hit.message.contains("CmdExec"));
        // The server's public role opens it to every login alike.
        let mut proxy = agent_proxy("ETL");
        proxy.grantees = vec![ProxyGrantee {
            name: Some("public".to_owned()),
            kind: ProxyGranteeKind::ServerRole,
        }];
        s.agent_proxies = Ok(vec![proxy]);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Fail]);
        // A login that happens to be named public is not the role.
        let mut proxy = agent_proxy("ETL");
        proxy.grantees[0].name = Some("public".to_owned());
        s.agent_proxies = Ok(vec![proxy]);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Pass]);
    }

    /// A role grantee that resolves to no name could be public: reviewed, never passed.
    #[test]
    fn an_unnamed_role_grantee_is_reviewed() {
        let mut proxy = agent_proxy("ETL");
        proxy.grantees = vec![ProxyGrantee {
            name: None,
            kind: ProxyGranteeKind::MsdbRole,
        }];
        let mut s = compliant_snapshot();
        s.agent_proxies = Ok(vec![proxy]);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Review]);
    }

    #[test]
    fn not_on_express_and_unknown_when_unreadable() {
        assert!(CHECK.applies_to.excludes(16, 4, None).is_some());
        assert!(CHECK.applies_to.excludes(10, 3, None).is_none());
        let mut s = compliant_snapshot();
        s.agent_proxies = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
