//! X52 – msdb's DTS / SSIS procedures are granted only to the SSIS roles.

use super::support::*;
use super::{Applicability, Check, Family, Outcomes, Policy, References, Sheet, on, on_row};
use crate::snapshot::{FactId, PermissionInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Vulnerability Assessment's VA2113: the procedures of msdb that store, read and run
/// Integration Services packages (`sp_dts_*`, `sp_ssis_*`) are meant for the fixed roles
/// db_ssisadmin, db_ssisltduser and db_ssisoperator; a grant to anyone else lets them
/// read or replace packages, which carry connection strings and run under the Agent.
pub const CHECK: Check = Check {
    id: CheckId::new("X52"),
    title: "msdb DTS / SSIS procedures granted only to the SSIS roles",
    severity: Severity::Low,
    rationale: "Packages stored in msdb hold connection strings and run with the SQL Server Agent's \
                rights. The sp_dts_* and sp_ssis_* procedures that list, read, store and delete them \
                are granted by SQL Server to the db_ssisadmin, db_ssisltduser and db_ssisoperator \
                roles only; a permission on them for public or another principal gives it those \
                packages.",
    outcomes: Outcomes {
        pass: "one row: no permission on an msdb `sp_dts_*` / `sp_ssis_*` procedure is granted to a principal other than the db_ssis* roles and dbo",
        fail_or_warn: "FAIL (low): each permission granted on such a procedure to another principal (`public` included)",
        other: "UNKNOWN: msdb's permissions could not be read (the database details, or msdb itself, unreadable)",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA2113"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[
        on("permission", Sheet::PermissionGrants),
        on_row("permission", Sheet::Instances, "instance:"),
    ],
    remediation: RemediationCategory::Review,
    rule,
};

/// The roles SQL Server grants these procedures to (learn.microsoft.com: "Integration
/// Services Roles (SSIS Service)").
const SSIS_ROLES: [&str; 3] = ["db_ssisadmin", "db_ssisltduser", "db_ssisoperator"];

/// Whether `p` is on an msdb DTS / SSIS procedure (`dbo.sp_dts_getpackage` …).
fn on_ssis_procedure(p: &PermissionInfo) -> bool {
    let name = p
        .securable
        .rsplit_once('.')
        .map_or(p.securable.as_str(), |(_, n)| n)
        .to_lowercase();
    p.class.eq_ignore_ascii_case("OBJECT_OR_COLUMN")
        && (name.starts_with("sp_dts_") || name.starts_with("sp_ssis_"))
}

/// Per grant on such a procedure to another principal → FAIL low; none → one PASS (the engine
/// turns an unread msdb into UNKNOWN). Not scripted: a tool may rely on the grant.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out: Vec<Finding> = details
        .iter()
        .filter(|d| same_name(&d.database, "msdb"))
        .flat_map(|d| d.permissions.iter())
        .filter(|p| {
            on_ssis_procedure(p)
                && p.state.to_uppercase().starts_with("GRANT")
                && !same_name(&p.grantee, "dbo")
                && !SSIS_ROLES.iter().any(|r| same_name(&p.grantee, r))
        })
        .map(|p| {
            check
                .finding(
                    Status::Fail,
                    "permission",
                    permission_entity(Some("msdb"), p),
                    permission_key(Some("msdb"), p),
                )
                .message(format!(
                    "{} on msdb.{} is granted to `{}`, not only to the db_ssis* roles: it can reach the SSIS packages stored in msdb. Revoke it and add the principal to the right db_ssis* role if it needs packages.",
                    p.permission, p.securable, p.grantee
                ))
                .ev("database", "msdb")
                .ev("procedure", &p.securable)
                .ev("grantee", &p.grantee)
                .ev("state", &p.state)
                .done()
        })
        .collect();
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "On {} msdb's DTS / SSIS procedures are granted to the db_ssis* roles only.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn with_grants(grants: &[(&str, &str)]) -> Vec<Finding> {
        let mut s = compliant_snapshot();
        let msdb = edit(&mut s.database_details)
            .iter_mut()
            .find(|d| d.database == "msdb")
            .unwrap();
        for (grantee, procedure) in grants {
            let mut p = permission(grantee, "EXECUTE", "GRANT", "OBJECT_OR_COLUMN");
            p.securable = format!("dbo.{procedure}");
            msdb.permissions.push(p);
        }
        run(&CHECK, &s)
    }

    #[test]
    fn ssis_roles_pass_others_fail_low() {
        assert_eq!(
            statuses(&with_grants(&[
                ("db_ssisadmin", "sp_ssis_putpackage"),
                ("db_ssisltduser", "sp_dts_getpackage"),
                ("public", "sp_help_job"),
            ])),
            [Status::Pass]
        );
        let f = with_grants(&[("public", "sp_ssis_getpackage")]);
        let hit = single(&f, Status::Fail);
        assert_eq!(hit.severity, Severity::Low);
        assert!(hit.message.contains("dbo.sp_ssis_getpackage") && hit.message.contains("`public`"));
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        deny(&mut s, FactId::DatabaseDetails);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
