//! X56 – no principal that is not already privileged can reach sysadmin or CONTROL SERVER
//! (issue #17: "paths to sysadmin").
//!
//! The rule walks the graph of who can act as whom ([`crate::privilege_graph`]): role
//! memberships, IMPERSONATE and CONTROL grants, ALTER on roles, securityadmin, db_owner and
//! CONTROL DATABASE, TRUSTWORTHY databases and their owners, modules with EXECUTE AS, Agent
//! job tables in msdb, loopback linked-server mappings. Each principal with a path gets one
//! FAIL naming the shortest chain, step by step.
//!
//! References: none of the benchmarks has this rule as such. Its TRUSTWORTHY edge is the
//! concern of CIS 2.9 ("Ensure 'Trustworthy' Database Property is set to 'Off'") and of
//! Vulnerability Assessment VA1102 ("The Trustworthy bit should be disabled on all databases
//! except MSDB"), and its IMPERSONATE edges are among X08's grants; their own checks (X01,
//! X08) cite them. They are left out here on purpose: a path is not the failure of one of
//! those items, and citing them would count X56 twice in their frameworks' tallies.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::privilege_graph::{EdgeKind, EscalationPath, NodeKind, Step, paths_to_sysadmin};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// A principal that can make itself sysadmin is a sysadmin the role reviews do not show.
pub const CHECK: Check = Check {
    id: CheckId::new("X56"),
    title: "No path to sysadmin for unprivileged principals",
    severity: Severity::Critical,
    rationale: "A login outside sysadmin can still become sysadmin: by impersonating a login that \
                is one, as db_owner of a TRUSTWORTHY database owned by a sysadmin (msdb is one), \
                by altering a module that runs as dbo there, by changing the steps of a job a \
                sysadmin owns, through a linked server that logs back in as a sysadmin, or as a \
                member of securityadmin. Each such chain is an administrator that role reviews do \
                not see; the shortest one is named so that its weakest link can be broken.",
    outcomes: Outcomes {
        pass: "one row: no principal outside sysadmin and CONTROL SERVER can reach either",
        fail_or_warn: "FAIL (critical): each login, or database user without a login, with a path to sysadmin or CONTROL SERVER; the shortest chain is in the message and in the evidence (`path`, `steps`)",
        other: "UNKNOWN: a fact the graph is built from was not read (principals, role members, permissions, databases and their contents, linked servers, Agent jobs), or a database could not be entered",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References::NONE,
    reads: &[
        FactId::Logins,
        FactId::ServerRoleMembers,
        FactId::ServerPermissions,
        FactId::Databases,
        FactId::DatabaseDetails,
        FactId::LinkedServers,
        FactId::AgentJobs,
    ],
    placement: &[
        on("login", Sheet::PathsToSysadmin),
        on("db_user", Sheet::PathsToSysadmin),
    ],
    remediation: RemediationCategory::Review,
    rule,
};

/// One FAIL per principal with a path; none → one PASS. The engine turns the PASS into
/// UNKNOWN when a fact it reads was unread in whole or in part.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut out: Vec<Finding> = paths_to_sysadmin(s)
        .iter()
        .map(|p| finding(check, s, p))
        .collect();
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "No principal outside sysadmin and CONTROL SERVER can reach either on {}.",
            instance_name(s)
        ),
    );
    out
}

/// The entity of a path's principal: (entity type, entity, key) — its login (keyed by SID, as
/// every login finding is) or its database user. The "Paths to Sysadmin" sheet keys its rows
/// with it, so that each finding lands on its path's row.
pub fn entity(s: &Snapshot, p: &EscalationPath) -> (&'static str, String, String) {
    match (&p.principal.kind, &p.principal.database) {
        (NodeKind::DatabaseUser, Some(db)) => (
            "db_user",
            format!("{db}.{}", p.principal.name),
            entity_key("db_user", &[db, &p.principal.name]),
        ),
        _ => {
            let key = s
                .logins
                .as_deref()
                .unwrap_or(&[])
                .iter()
                .find(|l| same_name(&l.name, &p.principal.name))
                .map_or_else(
                    || entity_key("login", &["name", &p.principal.name]),
                    login_key,
                );
            ("login", p.principal.name.clone(), key)
        }
    }
}

/// The step to break first: the first that is a grant or a setting (memberships and the
/// login-to-user mapping are how the principal got there, not the flaw), and what breaks it.
pub fn weakest_link(p: &EscalationPath) -> Option<(&Step, String)> {
    let at = p
        .steps
        .iter()
        .position(|s| !matches!(s.kind, EdgeKind::MemberOf | EdgeKind::MapsToUser))
        .unwrap_or(0);
    let step = p.steps.get(at)?;
    // A role's right is broken by taking its member out: name the member that came in.
    let from = match at.checked_sub(1).map(|i| &p.steps[i]) {
        Some(prev)
            if prev.kind == EdgeKind::MemberOf
                && matches!(
                    step.from.kind,
                    NodeKind::DatabaseRole | NodeKind::ServerRole
                ) =>
        {
            &prev.from.name
        }
        _ => &step.from.name,
    };
    let to = &step.to.name;
    let db = step.from.database.as_deref().unwrap_or("");
    let advice = match step.kind {
        EdgeKind::Impersonate | EdgeKind::Control => {
            let (perm, class) = (
                if step.kind == EdgeKind::Control {
                    "CONTROL"
                } else {
                    "IMPERSONATE"
                },
                if step.to.kind == NodeKind::Login {
                    "LOGIN"
                } else {
                    "USER"
                },
            );
            format!("REVOKE {perm} ON {class}::[{to}] FROM [{from}]")
        }
        EdgeKind::ImpersonateAnyLogin => format!("REVOKE IMPERSONATE ANY LOGIN FROM [{from}]"),
        EdgeKind::HoldsControlServer => format!("REVOKE CONTROL SERVER FROM [{from}]"),
        EdgeKind::CanAddItselfTo => format!("revoke [{from}]'s ALTER / CONTROL on role [{to}]"),
        EdgeKind::CanGrantItself => format!("remove [{from}] from securityadmin"),
        EdgeKind::ActsAsDbo => {
            format!("remove [{from}] from db_owner (or revoke its CONTROL) in [{db}]")
        }
        EdgeKind::TrustworthyOwner => format!(
            "ALTER DATABASE [{db}] SET TRUSTWORTHY OFF, or give it an owner without server rights"
        ),
        EdgeKind::ChangesJob => format!("revoke [{from}]'s permission on msdb's job tables"),
        EdgeKind::LinkedServer => format!(
            "drop the linked-server login mapping of [{from}] (sp_droplinkedsrvlogin), or map it to a login without sysadmin"
        ),
        EdgeKind::MemberOf | EdgeKind::MapsToUser => {
            format!("remove [{from}] from [{to}]")
        }
    };
    Some((step, advice))
}

fn finding(check: &Check, s: &Snapshot, p: &EscalationPath) -> Finding {
    let (entity_type, entity, key) = entity(s, p);
    let chain = p.chain();
    let target = p.steps.last().map_or(String::new(), |s| s.to.label());
    let advice = weakest_link(p)
        .map(|(step, advice)| {
            format!(
                " Break it first at `{} \u{2014}{}\u{2192} {}`: {advice}.",
                step.from.label(),
                step.edge,
                step.to.label()
            )
        })
        .unwrap_or_default();
    let mut draft = check
        .finding(Status::Fail, entity_type, entity, key)
        .message(format!(
            "`{}` is not privileged but can reach {target} in {} step(s): {chain}.{advice}",
            p.principal.name,
            p.steps.len()
        ))
        .ev("path", &chain)
        .ev("steps", p.steps.len().to_string())
        .ev("reaches", &target);
    if let Some(db) = &p.principal.database {
        draft = draft.ev("database", db);
    }
    // The path as data: `step.NN.from` / `.edge` / `.to`, which `findings.json` turns into its
    // `path` array (the history stores evidence as it is, so no schema change is needed).
    for (n, step) in p.steps.iter().enumerate() {
        let at = format!("step.{:02}", n + 1);
        draft = draft
            .ev(&format!("{at}.from"), step.from.label())
            .ev(&format!("{at}.edge"), &step.edge)
            .ev(&format!("{at}.to"), step.to.label());
    }
    draft.done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::PermissionInfo;

    #[test]
    fn no_path_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
    }

    #[test]
    fn impersonation_of_a_sysadmin_fails_with_its_chain() {
        let mut s = compliant_snapshot();
        edit(&mut s.logins).push(login("helpdesk", "0x0A", "S"));
        edit(&mut s.server_permissions).push(PermissionInfo {
            securable: "CORP\\dba".into(),
            ..permission("helpdesk", "IMPERSONATE", "GRANT", "SERVER_PRINCIPAL")
        });
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Fail);
        assert_eq!(hit.severity, Severity::Critical);
        assert_eq!(hit.entity_key, "login:0x0a");
        assert_eq!(
            hit.evidence["path"],
            "login helpdesk \u{2014}IMPERSONATE\u{2192} login CORP\\dba \u{2014}member of\u{2192} sysadmin"
        );
        assert_eq!(hit.evidence["steps"], "2");
        assert_eq!(hit.evidence["step.01.from"], "login helpdesk");
        assert_eq!(hit.evidence["step.01.edge"], "IMPERSONATE");
        assert_eq!(hit.evidence["step.02.to"], "sysadmin");
        assert!(
            hit.message
                .contains("REVOKE IMPERSONATE ON LOGIN::[CORP\\dba] FROM [helpdesk]"),
            "{}",
            hit.message
        );
    }

    #[test]
    fn a_contained_user_is_a_db_user_finding() {
        let mut s = compliant_snapshot();
        let msdb = edit(&mut s.database_details)
            .iter_mut()
            .find(|d| d.database == "msdb")
            .unwrap();
        msdb.principals.push(user("jobs_app", "S", "0x42", None));
        msdb.role_members.push(member("db_owner", "jobs_app", "S"));
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Fail);
        assert_eq!(hit.entity_key, "db_user:msdb/jobs_app");
        assert!(
            hit.message
                .contains("remove [jobs_app] from db_owner (or revoke its CONTROL) in [msdb]"),
            "{}",
            hit.message
        );
        assert_eq!(hit.evidence["steps"], "4");
    }

    #[test]
    fn unread_facts_are_unknown_never_pass() {
        for fact in CHECK.reads {
            let mut s = compliant_snapshot();
            deny(&mut s, *fact);
            let f = crate::checks::evaluate_one(&CHECK, &s, &policy());
            assert!(
                f.iter().all(|f| f.status != Status::Pass),
                "{fact}: {:?}",
                statuses(&f)
            );
            assert!(f.iter().any(|f| f.status == Status::Unknown), "{fact}");
        }
    }
}
