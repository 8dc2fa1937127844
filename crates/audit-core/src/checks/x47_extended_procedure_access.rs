//! X47 – no EXECUTE on the other extended stored procedures beyond sysadmin.

use super::support::*;
use super::x45_xp_cmdshell_access::execute_grant_findings;
use super::x46_registry_xp_access::is_registry_procedure;
use super::{Applicability, Check, Family, Outcomes, Policy, References, Sheet, on, on_row};
use crate::snapshot::{FactId, PermissionInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity};

/// Vulnerability Assessment's VA2103: extended procedures run native code inside the server
/// process; besides xp_cmdshell (X45) and the registry procedures (X46), EXECUTE on any of
/// them (xp_dirtree, xp_fileexist, xp_logininfo …) should be reviewed and revoked unless needed.
pub const CHECK: Check = Check {
    id: CheckId::new("X47"),
    title: "No unnecessary EXECUTE on extended stored procedures",
    severity: Severity::Medium,
    rationale: "Extended stored procedures are DLL code running inside SQL Server with the service \
                account's rights. Several disclose the host (xp_dirtree and xp_fileexist list files \
                and can be used to force an authentication to a remote share, xp_logininfo and \
                xp_enumgroups enumerate Windows accounts). EXECUTE on them for principals other \
                than sysadmin should be granted only where a documented need exists.",
    outcomes: Outcomes {
        pass: "one row: no EXECUTE on another extended procedure granted in master to anyone but `dbo`",
        fail_or_warn: "FAIL (medium): each EXECUTE on an extended procedure other than xp_cmdshell (X45) and the registry procedures (X46) granted to a user or role of master other than `dbo`, `public` included",
        other: "UNKNOWN: master's permissions on extended procedures could not be read, or only in part (the audit login lacks VIEW ANY DEFINITION)",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA2103"],
        ..References::NONE
    },
    reads: &[FactId::XpPermissions],
    placement: &[
        on("permission", Sheet::PermissionGrants),
        on_row("permission", Sheet::Instances, "instance:"),
    ],
    remediation: RemediationCategory::Review,
    rule,
};

/// The extended procedures whose documentation says "Requires membership in the public role"
/// (learn.microsoft.com: xp_msver, xp_sprintf, xp_sscanf): public's EXECUTE on them is the
/// installation's, not a finding.
pub const PUBLIC_BY_DESIGN: [&str; 3] = ["xp_msver", "xp_sprintf", "xp_sscanf"];

/// Per EXECUTE grant on another extended procedure to a principal other than dbo → FAIL
/// medium; none → one PASS. Not scripted (a decision for a person; the message gives the
/// REVOKE).
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(grants) = gaps.take("xp_permissions", &s.xp_permissions) else {
        return gaps.only_unknown(check, s);
    };
    // public's EXECUTE on the procedures Microsoft documents for public is setup's, not a
    // grant someone made.
    let grants: Vec<PermissionInfo> = grants
        .iter()
        .filter(|p| {
            !(same_name(&p.grantee, "public")
                && PUBLIC_BY_DESIGN
                    .iter()
                    .any(|x| p.securable.to_lowercase().ends_with(&format!(".{x}"))))
        })
        .cloned()
        .collect();
    let mut out = execute_grant_findings(
        check,
        &grants,
        |name| !name.eq_ignore_ascii_case("xp_cmdshell") && !is_registry_procedure(name),
        Severity::Medium,
        "an extended procedure: native code in the server process",
    );
    check.pass_if_none(&mut out, s, format!(
                    "On {} no EXECUTE on an extended stored procedure is granted in master beyond sysadmin.",
                    instance_name(s)
                ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;
    use crate::checks::testkit::*;

    #[test]
    fn no_grant_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
    }

    #[test]
    fn other_procedures_fail_medium_and_leave_x45_and_x46_theirs() {
        let mut s = compliant_snapshot();
        edit(&mut s.xp_permissions).extend([
            xp_grant("public", "xp_dirtree", "GRANT"),
            xp_grant("public", "xp_cmdshell", "GRANT"),
            xp_grant("public", "xp_regread", "GRANT"),
            xp_grant("public", "xp_fileexist", "DENY"),
        ]);
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Fail);
        assert_eq!(hit.severity, Severity::Medium);
        assert!(hit.message.contains("xp_dirtree"));
    }

    /// public's documented EXECUTE on xp_msver, xp_sprintf and xp_sscanf is setup's; another
    /// role's, or an internal `##MS_…##` user's, is not a person's grant either way.
    #[test]
    fn setup_grants_and_internal_users_are_not_findings() {
        let mut s = compliant_snapshot();
        edit(&mut s.xp_permissions).extend([
            xp_grant("public", "xp_msver", "GRANT"),
            xp_grant("public", "xp_sprintf", "GRANT"),
            xp_grant("public", "xp_sscanf", "GRANT"),
            xp_grant(
                "##MS_AgentSigningCertificate##",
                "xp_sqlagent_notify",
                "GRANT",
            ),
        ]);
        single(&run(&CHECK, &s), Status::Pass);
        edit(&mut s.xp_permissions).push(xp_grant("reporting", "xp_msver", "GRANT"));
        assert!(
            single(&run(&CHECK, &s), Status::Fail)
                .message
                .contains("reporting")
        );
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        deny(&mut s, FactId::XpPermissions);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
