//! R26 – server-level security inventory.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// The server-level security picture (logins, role memberships, explicit permissions) summed up
/// in one INFO row; the workbook's Server Logins, Sensitive Roles and Permission Grants sheets
/// list the details.
pub const CHECK: Check = Check {
    id: CheckId::new("R26"),
    title: "Server-level security inventory",
    severity: Severity::Info,
    rationale: "The audit must document server-level security: every login (type, enabled, password \
                policy), every server role membership and every explicit server permission. The details \
                are the workbook's sheets; this row records the counts.",
    outcomes: Outcomes {
        pass: "–",
        fail_or_warn: "–",
        other: "INFO: counts of logins by type, role memberships, explicit permissions, mixed mode; UNKNOWN when any is unreadable",
    },
    family: Family::Inventory,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("3.1")],
        stig_2016: &["SQL6-D0-000100", "SQL6-D0-003700", "SQL6-D0-003900"],
        stig_2022: &["SQLI-22-003700", "SQLI-22-003900", "SQLD-22-000100"],
        va: &["VA1068", "VA1072"],
        ..References::NONE
    },
    reads: &[
        FactId::Logins,
        FactId::ServerRoleMembers,
        FactId::ServerPermissions,
    ],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::None,
    rule,
};

/// One INFO row with counts; UNKNOWN when logins, memberships or permissions are unreadable (the
/// inventory would be incomplete).
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let logins = gaps.take("logins", &s.logins);
    let members = gaps.take("server_role_members", &s.server_role_members);
    let perms = gaps.take("server_permissions", &s.server_permissions);
    let (Some(logins), Some(members), Some(perms)) = (logins, members, perms) else {
        return gaps.only_unknown(check, s);
    };
    let count = |kind: &str| logins.iter().filter(|l| l.kind == kind).count();
    let enabled_sql = logins
        .iter()
        .filter(|l| l.kind == "S" && !l.disabled)
        .count();
    vec![
        check
            .instance_finding(s, Status::Info)
            .message(format!(
                "{}: {} logins ({} SQL, {} enabled; {} Windows users; {} Windows groups), {} server role memberships, {} explicit server permissions.",
                instance_name(s),
                logins.len(),
                count("S"),
                enabled_sql,
                count("U"),
                count("G"),
                members.len(),
                perms.len()
            ))
            .ev("logins", logins.len())
            .ev("sql_logins", count("S"))
            .ev("enabled_sql_logins", enabled_sql)
            .ev("windows_logins", count("U"))
            .ev("windows_groups", count("G"))
            .ev("certificate_or_key_logins", count("C") + count("K"))
            .ev("disabled_logins", logins.iter().filter(|l| l.disabled).count())
            .ev("server_role_memberships", members.len())
            .ev("explicit_server_permissions", perms.len())
            .ev("mixed_mode", yes_no(!s.server.windows_auth_only))
            .done(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn info_with_counts() {
        let f = run(&CHECK, &compliant_snapshot());
        let f = single(&f, Status::Info);
        assert_eq!(f.evidence["logins"], "6");
        assert_eq!(f.evidence["enabled_sql_logins"], "1");
        assert!(f.message.contains("SQLHOST\\PROD"));
    }

    #[test]
    fn unknown_when_incomplete() {
        let mut s = compliant_snapshot();
        s.server_permissions = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
