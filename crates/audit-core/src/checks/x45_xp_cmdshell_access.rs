//! X45 – nobody but sysadmin may run `xp_cmdshell`: no EXECUTE granted on it, no proxy account.

use super::support::*;
use super::{Applicability, Check, Family, Outcomes, Policy, References, Sheet, on, on_row};
use crate::snapshot::{FactId, PermissionInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// R10 judges whether xp_cmdshell is enabled; this check judges who may run it. By default
/// only sysadmin can (learn.microsoft.com: xp_cmdshell, "Permissions"); an EXECUTE granted in
/// master opens it to others, and the proxy credential `##xp_cmdshell_proxy_account##`
/// (sp_xp_cmdshell_proxy_account) is what such callers run as.
pub const CHECK: Check = Check {
    id: CheckId::new("X45"),
    title: "xp_cmdshell reserved to sysadmin (no EXECUTE grant, no proxy account)",
    severity: Severity::High,
    rationale: "xp_cmdshell runs operating-system commands. Granting EXECUTE on it to a user or role \
                of master lets that principal run commands on the host, as the xp_cmdshell proxy \
                account when one is set (sp_xp_cmdshell_proxy_account creates the credential \
                ##xp_cmdshell_proxy_account##), a classic escalation from the database to Windows. \
                Only sysadmin, which needs no grant, should be able to run it; the proxy account \
                exists only to serve such grants.",
    outcomes: Outcomes {
        pass: "one row: no EXECUTE on `xp_cmdshell` granted in master to anyone but `dbo`, and no `##xp_cmdshell_proxy_account##` credential",
        fail_or_warn: "FAIL (high): each EXECUTE on `xp_cmdshell` granted (or granted WITH GRANT OPTION) to a user or role of master other than `dbo`; FAIL (high): the `##xp_cmdshell_proxy_account##` credential exists, with the account it stands for",
        other: "UNKNOWN: master's permissions on extended procedures or the credentials could not be read, or only in part (the audit login lacks VIEW ANY DEFINITION)",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA1017"],
        ..References::NONE
    },
    reads: &[FactId::XpPermissions, FactId::Credentials],
    placement: &[
        on("permission", Sheet::PermissionGrants),
        on_row("permission", Sheet::Instances, "instance:"),
        on_row("credential", Sheet::Instances, "instance:"),
    ],
    remediation: RemediationCategory::Review,
    rule,
};

/// The credential `sp_xp_cmdshell_proxy_account` creates (learn.microsoft.com:
/// sp_xp_cmdshell_proxy_account: "creates a credential named ##xp_cmdshell_proxy_account##").
pub const XP_CMDSHELL_PROXY: &str = "##xp_cmdshell_proxy_account##";

/// Per EXECUTE grant on xp_cmdshell to a principal other than dbo → FAIL; the proxy
/// credential → FAIL; none of either → one PASS. Not scripted: whoever was granted it may
/// depend on it (a job, an application), and revoking is a decision for a person.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let grants = gaps.take("xp_permissions", &s.xp_permissions);
    let credentials = gaps.take("credentials", &s.credentials);
    let (Some(grants), Some(credentials)) = (grants, credentials) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = execute_grant_findings(
        check,
        grants,
        |name| name.eq_ignore_ascii_case("xp_cmdshell"),
        Severity::High,
        "runs operating-system commands on the host",
    );
    for c in credentials
        .iter()
        .filter(|c| same_name(&c.name, XP_CMDSHELL_PROXY))
    {
        out.push(
            check
                .finding(
                    Status::Fail,
                    "credential",
                    c.name.clone(),
                    entity_key("credential", &[&c.name]),
                )
                .message(format!(
                    "The xp_cmdshell proxy account is set (credential `{}` for `{}`): principals other than sysadmin granted EXECUTE on xp_cmdshell run operating-system commands as `{}`. Remove it with `EXEC sp_xp_cmdshell_proxy_account NULL` once nothing needs it.",
                    c.name, c.identity, c.identity
                ))
                .ev("credential", &c.name)
                .ev("identity", &c.identity)
                .done(),
        );
    }
    check.pass_if_none(&mut out, s, format!(
                    "On {} only sysadmin can run xp_cmdshell: no EXECUTE on it is granted in master and no xp_cmdshell proxy account is set.",
                    instance_name(s)
                ));
    out
}

/// The extended procedure a permission row of master is on (`sys.xp_cmdshell` → `xp_cmdshell`).
pub(super) fn procedure_name(p: &PermissionInfo) -> &str {
    p.securable
        .rsplit_once('.')
        .map_or(p.securable.as_str(), |(_, name)| name)
}

/// One FAIL at `severity` per EXECUTE granted (with or without GRANT OPTION) in master on an
/// extended procedure `selected` by name, to a principal other than `dbo` (in master, `dbo` is
/// sysadmin's own user). A DENY is a restriction, not a finding.
pub(super) fn execute_grant_findings(
    check: &Check,
    grants: &[PermissionInfo],
    selected: impl Fn(&str) -> bool,
    severity: Severity,
    what: &str,
) -> Vec<Finding> {
    grants
        .iter()
        .filter(|p| {
            p.permission.eq_ignore_ascii_case("EXECUTE")
                && p.state.to_uppercase().starts_with("GRANT")
                && !same_name(&p.grantee, "dbo")
                // `##MS_…##` users are SQL Server's own certificate-mapped principals (the
                // Agent's and policy-based management's signing users), not people.
                && !is_internal_name(&p.grantee)
                && selected(procedure_name(p))
        })
        .map(|p| {
            let procedure = procedure_name(p);
            let kind = if p.grantee_kind == "R" {
                "role"
            } else {
                "user"
            };
            let option = if p.state.eq_ignore_ascii_case("GRANT_WITH_GRANT_OPTION") {
                " WITH GRANT OPTION"
            } else {
                ""
            };
            check
                .finding(
                    Status::Fail,
                    "permission",
                    permission_entity(Some("master"), p),
                    permission_key(Some("master"), p),
                )
                .severity(severity)
                .message(format!(
                    "EXECUTE on {procedure} ({what}) is granted{option} in master to {kind} `{}`: only sysadmin should run it. Revoke it (`REVOKE EXECUTE ON {} FROM {}`) once nothing depends on it.",
                    p.grantee,
                    p.securable,
                    bracketed(&p.grantee)
                ))
                .ev("database", "master")
                .ev("procedure", procedure)
                .ev("grantee", &p.grantee)
                .ev("grantee_type", &p.grantee_kind)
                .ev("state", &p.state)
                .done()
        })
        .collect()
}

/// `[name]` with `]` doubled, for the REVOKE the message suggests.
fn bracketed(name: &str) -> String {
    format!("[{}]", name.replace(']', "]]"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::CredentialInfo;

    #[test]
    fn a_fresh_installation_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
    }

    #[test]
    fn execute_granted_to_public_or_a_user_fails_high() {
        let mut s = compliant_snapshot();
        edit(&mut s.xp_permissions).extend([
            xp_grant_as("public", "R", "xp_cmdshell", "GRANT"),
            xp_grant_as("ops_user", "S", "xp_cmdshell", "GRANT_WITH_GRANT_OPTION"),
            // Not this check's: other procedures, a DENY, dbo (sysadmin's own user).
            xp_grant_as("public", "R", "xp_regread", "GRANT"),
            xp_grant_as("guest", "S", "xp_cmdshell", "DENY"),
            xp_grant_as("dbo", "S", "xp_cmdshell", "GRANT"),
        ]);
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Fail, Status::Fail], "{f:#?}");
        assert!(f.iter().all(|f| f.severity == Severity::High));
        assert!(f[0].message.contains("role `public`"));
        assert!(f[1].message.contains("WITH GRANT OPTION"));
        assert_eq!(
            f[0].entity,
            "master: public: EXECUTE on OBJECT_OR_COLUMN sys.xp_cmdshell"
        );
        assert_eq!(f[0].fix, None);
    }

    #[test]
    fn the_proxy_account_fails() {
        let mut s = compliant_snapshot();
        edit(&mut s.credentials).push(CredentialInfo {
            name: XP_CMDSHELL_PROXY.to_owned(),
            identity: "CORP\\svc_cmdshell".to_owned(),
        });
        edit(&mut s.credentials).push(CredentialInfo {
            name: "BackupToUrl".to_owned(),
            identity: "storage".to_owned(),
        });
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Fail);
        assert_eq!(hit.entity_type, "credential");
        assert!(hit.message.contains("CORP\\svc_cmdshell"));
    }

    #[test]
    fn unknown_when_unreadable() {
        for fact in [FactId::XpPermissions, FactId::Credentials] {
            let mut s = compliant_snapshot();
            deny(&mut s, fact);
            assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown], "{fact}");
        }
    }
}
