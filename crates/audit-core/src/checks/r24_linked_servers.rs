//! R24 – linked servers inventoried and justified.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, LinkedServerInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// Every linked server is a trust relationship to another system; each must have a documented
/// purpose and owner.
pub const CHECK: Check = Check {
    id: CheckId::new("R24"),
    title: "Linked servers reviewed",
    severity: Severity::Medium,
    rationale: "A linked server lets queries on this instance run on another server, often with stored \
                credentials. Each one must be known, its purpose, owner and login mappings documented, \
                and reviewed every audit.",
    outcomes: Outcomes {
        pass: "one row: no linked server",
        fail_or_warn: "–",
        other: "REVIEW: every linked server, with provider, data source, RPC Out and login mappings",
    },
    family: Family::LinkedServers,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-007500"],
        stig_2022: &["SQLI-22-007500"],
        sp_blitz: &[49],
        ..References::NONE
    },
    reads: &[FactId::LinkedServers],
    placement: &[on("linked_server", Sheet::LinkedServers)],
    remediation: RemediationCategory::Review,
    rule,
};

/// One REVIEW per linked server with its provider, data source, RPC Out and mappings; none →
/// one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(servers) = gaps.take("linked_servers", &s.linked_servers) else {
        return gaps.only_unknown(check, s);
    };
    let mut out: Vec<Finding> = servers
        .iter()
        .map(|ls| {
            check
                .finding(Status::Review, "linked_server", ls.name.clone(), entity_key("linked_server", &[&ls.name]))
                .message(format!(
                    "Linked server `{}` ({} via {}, data source `{}`): document its purpose, owner and login mappings.",
                    ls.name, ls.product, ls.provider, ls.data_source
                ))
                .ev("product", &ls.product)
                .ev("provider", &ls.provider)
                .ev("data_source", &ls.data_source)
                .ev("rpc_out", yes_no(ls.rpc_out))
                .ev("login_mappings", mappings(ls))
                .done()
        })
        .collect();
    check.pass_if_none(
        &mut out,
        s,
        format!("{} has no linked server.", instance_name(s)),
    );
    out
}

/// The login mappings as one line: `local → remote` (`(every login)`, `(self)`).
pub(crate) fn mappings(ls: &LinkedServerInfo) -> String {
    if ls.logins.is_empty() {
        return "-".to_owned();
    }
    ls.logins
        .iter()
        .map(|m| {
            let local = m.local.as_deref().unwrap_or("(every login)");
            let remote = if m.uses_self {
                "(self)"
            } else {
                m.remote.as_deref().unwrap_or("(no login)")
            };
            format!("{local} \u{2192} {remote}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::LinkedLoginInfo;

    #[test]
    fn none_passes_each_is_reviewed() {
        assert_eq!(
            single(&run(&CHECK, &compliant_snapshot()), Status::Pass).entity_key,
            "instance:"
        );
        let mut s = compliant_snapshot();
        edit(&mut s.linked_servers).push(LinkedServerInfo {
            name: "ERP'LINK".to_owned(),
            product: "SQL Server".to_owned(),
            provider: "MSOLEDBSQL".to_owned(),
            data_source: "erp01".to_owned(),
            rpc_out: true,
            logins: vec![LinkedLoginInfo {
                local: None,
                uses_self: true,
                remote: None,
                local_hidden: false,
            }],
        });
        let f = run(&CHECK, &s);
        let f = single(&f, Status::Review);
        assert_eq!(f.entity_key, "linked_server:erp'link");
        assert_eq!(f.severity, Severity::Medium);
        assert!(f.message.contains("ERP'LINK"));
        assert_eq!(
            f.evidence["login_mappings"],
            "(every login) \u{2192} (self)"
        );
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        s.linked_servers = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
