//! R25 – linked server login mappings do not hand out privileged remote logins.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, LinkedLoginInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// A mapping to a remote `sa` or admin login, or one that maps every local login to a fixed
/// remote login, turns any local user into a privileged user of the remote server.
pub const CHECK: Check = Check {
    id: CheckId::new("R25"),
    title: "Linked server logins least-privileged",
    severity: Severity::High,
    rationale: "Linked server login mappings must use least-privileged remote logins. A mapping to the \
                remote sa or an admin-named login, or one that maps every local login to one fixed remote \
                login (sp_addlinkedsrvlogin with @locallogin = NULL), gives every user who can reach the \
                linked server those remote rights.",
    outcomes: Outcomes {
        pass: "no mapping to a privileged or shared remote login; one row when no linked server",
        fail_or_warn: "FAIL: a mapping to remote `sa` or a login whose name contains `admin` (not impersonation), or every local login mapped to one fixed remote login",
        other: "UNKNOWN: linked servers unreadable",
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

/// Per linked server: any mapping to a remote login named `sa` or containing `admin` (not
/// impersonation), or a mapping of every local login to a fixed remote login → FAIL listing
/// them; otherwise PASS. No linked server → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(servers) = gaps.take("linked_servers", &s.linked_servers) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for ls in servers {
        let problems: Vec<String> = ls.logins.iter().filter_map(mapping_problem).collect();
        let draft = |status| {
            check
                .finding(
                    status,
                    "linked_server",
                    ls.name.clone(),
                    entity_key("linked_server", &[&ls.name]),
                )
                .ev("login_mappings", super::r24_linked_servers::mappings(ls))
                .ev("rpc_out", yes_no(ls.rpc_out))
                .fix(crate::Fix::DropLinkedServerLogins {
                    server: ls.name.clone(),
                })
        };
        out.push(if problems.is_empty() {
            draft(Status::Pass)
                .message(format!(
                    "Linked server `{}` maps no login to a privileged or shared remote login.",
                    ls.name
                ))
                .done()
        } else {
            draft(Status::Fail)
                .message(format!(
                    "Linked server `{}`: {}. Use least-privileged, per-login mappings.",
                    ls.name,
                    problems.join("; ")
                ))
                .done()
        });
    }
    check.pass_if_none(
        &mut out,
        s,
        format!("{} has no linked server.", instance_name(s)),
    );
    out
}

/// What is wrong with one mapping, if anything. Public because remediation removes exactly the
/// mappings this rule flags.
pub fn mapping_problem(m: &LinkedLoginInfo) -> Option<String> {
    if m.uses_self {
        return None;
    }
    let remote = m.remote.as_deref()?;
    let local = m.local.as_deref();
    let privileged = same_name(remote.trim(), "sa") || remote.to_lowercase().contains("admin");
    match (local, privileged) {
        (None, true) => Some(format!(
            "every local login connects as privileged remote login `{remote}`"
        )),
        (Some(l), true) => Some(format!(
            "`{l}` connects as privileged remote login `{remote}`"
        )),
        (None, false) => Some(format!(
            "every local login connects as the fixed remote login `{remote}`"
        )),
        (Some(_), false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::LinkedServerInfo;

    fn link(logins: Vec<LinkedLoginInfo>) -> Vec<Finding> {
        let mut s = compliant_snapshot();
        edit(&mut s.linked_servers).push(LinkedServerInfo {
            name: "ERP".to_owned(),
            product: "SQL Server".to_owned(),
            provider: "SQLNCLI11".to_owned(),
            data_source: "erp01".to_owned(),
            rpc_out: false,
            logins,
        });
        run(&CHECK, &s)
    }

    fn map(local: Option<&str>, uses_self: bool, remote: Option<&str>) -> LinkedLoginInfo {
        LinkedLoginInfo {
            local: local.map(str::to_owned),
            uses_self,
            remote: remote.map(str::to_owned),
            local_hidden: false,
        }
    }

    #[test]
    fn self_and_per_login_least_privilege_pass() {
        assert_eq!(
            single(&run(&CHECK, &compliant_snapshot()), Status::Pass).entity_key,
            "instance:"
        );
        let f = link(vec![
            map(None, true, None),
            map(Some("app_user"), false, Some("erp_reader")),
        ]);
        assert_eq!(single(&f, Status::Pass).entity_key, "linked_server:erp");
    }

    #[test]
    fn privileged_or_shared_remote_logins_fail() {
        let f = link(vec![map(None, false, Some("sa"))]);
        let f = single(&f, Status::Fail);
        assert_eq!(f.severity, Severity::High);
        assert!(
            f.message.contains("every local login")
                && f.message.contains("`sa`")
                && f.message.contains("ERP")
        );
        let f = link(vec![map(Some("app_user"), false, Some("ErpAdmin"))]);
        assert!(single(&f, Status::Fail).message.contains("`app_user`"));
        let f = link(vec![map(None, false, Some("erp_reader"))]);
        assert!(
            single(&f, Status::Fail)
                .message
                .contains("fixed remote login")
        );
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        s.linked_servers = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
