//! X46 – EXECUTE on the registry extended procedures is granted to nobody but sysadmin.

use super::support::*;
use super::x45_xp_cmdshell_access::execute_grant_findings;
use super::{Applicability, Check, Family, Outcomes, Policy, References, Sheet, on, on_row};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity};

/// The registry procedures (`xp_regread`, `xp_regwrite`, … and their `xp_instance_reg*`
/// twins) read and write the host's registry as the service account: the STIG and
/// Vulnerability Assessment require EXECUTE on them revoked from everyone but sysadmin.
pub const CHECK: Check = Check {
    id: CheckId::new("X46"),
    title: "EXECUTE on the registry extended procedures revoked",
    severity: Severity::High,
    rationale: "xp_regread, xp_regwrite, xp_regdeletekey, xp_regdeletevalue, xp_regenumkeys, \
                xp_regenumvalues, xp_regaddmultistring, xp_regremovemultistring and their \
                xp_instance_reg* forms read and change the Windows registry with the rights of the \
                SQL Server service account: services, credentials stored in the registry, the \
                instance's own security settings. Only sysadmin, which needs no grant, should be \
                able to run them.",
    outcomes: Outcomes {
        pass: "one row: no EXECUTE on a registry procedure granted in master to anyone but `dbo`",
        fail_or_warn: "FAIL (high): each EXECUTE on a registry procedure granted (or granted WITH GRANT OPTION) to a user or role of master other than `dbo`, `public` included",
        other: "UNKNOWN: master's permissions on extended procedures could not be read, or only in part (the audit login lacks VIEW ANY DEFINITION)",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-016700"],
        stig_2022: &["SQLI-22-016700"],
        va: &["VA2110"],
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

/// The registry procedures the STIG names (SQL6-D0-016700 / SQLI-22-016700), by name; the
/// `xp_instance_reg*` forms are matched by prefix.
pub(super) const REGISTRY_PROCEDURES: [&str; 8] = [
    "xp_regaddmultistring",
    "xp_regdeletekey",
    "xp_regdeletevalue",
    "xp_regenumkeys",
    "xp_regenumvalues",
    "xp_regread",
    "xp_regremovemultistring",
    "xp_regwrite",
];

/// Whether `name` is one of the registry procedures.
pub(super) fn is_registry_procedure(name: &str) -> bool {
    let name = name.to_lowercase();
    name.starts_with("xp_instance_reg") || REGISTRY_PROCEDURES.contains(&name.as_str())
}

/// Per EXECUTE grant on a registry procedure to a principal other than dbo → FAIL; none →
/// one PASS. Not scripted: a monitoring tool may depend on a grant, and revoking it is a
/// decision for a person (the message gives the REVOKE).
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(grants) = gaps.take("xp_permissions", &s.xp_permissions) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = execute_grant_findings(
        check,
        grants,
        is_registry_procedure,
        Severity::High,
        "reads or writes the Windows registry as the service account",
    );
    check.pass_if_none(&mut out, s, format!(
                    "On {} no EXECUTE on a registry extended procedure is granted in master beyond sysadmin.",
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
    fn each_registry_grant_fails_high() {
        let mut s = compliant_snapshot();
        edit(&mut s.xp_permissions).extend([
            xp_grant("public", "xp_regread", "GRANT"),
            xp_grant("public", "xp_instance_regread", "GRANT"),
            xp_grant("monitoring", "xp_regwrite", "GRANT_WITH_GRANT_OPTION"),
            // Not this check's.
            xp_grant("public", "xp_cmdshell", "GRANT"),
            xp_grant("public", "xp_msver", "GRANT"),
            xp_grant("public", "xp_regdeletekey", "DENY"),
        ]);
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Fail; 3], "{f:#?}");
        assert!(f.iter().all(|f| f.severity == Severity::High));
        assert!(f[1].message.contains("xp_instance_regread"));
    }

    #[test]
    fn the_list_matches_the_stig() {
        assert!(is_registry_procedure("XP_REGREAD"));
        assert!(is_registry_procedure("xp_instance_regenumvalues"));
        assert!(!is_registry_procedure("xp_cmdshell"));
        assert!(!is_registry_procedure("xp_dirtree"));
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        deny(&mut s, FactId::XpPermissions);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
