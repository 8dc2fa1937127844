//! X07 – members of privileged database roles are reviewed.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// The fixed database roles that control a database or its security.
const PRIVILEGED: [&str; 5] = [
    "db_owner",
    "db_securityadmin",
    "db_accessadmin",
    "db_backupoperator",
    "db_ddladmin",
];

/// Members of db_owner and the other controlling database roles hold (or can grant themselves)
/// full control of the database; each membership must be justified.
pub const CHECK: Check = Check {
    id: CheckId::new("X07"),
    title: "Privileged database role members reviewed",
    severity: Severity::Medium,
    rationale: "db_owner controls a database; db_securityadmin and db_accessadmin control who gets in \
                and with which rights; db_ddladmin can change any object; db_backupoperator can copy \
                the data out. Each membership (the owner's dbo excepted) must be justified. In msdb \
                (TRUSTWORTHY, owned by sa) and any other TRUSTWORTHY database, db_owner, \
                db_ddladmin and db_securityadmin (\"can elevate their privileges\": \
                Database-level roles) are a step towards the owner's server rights, and in msdb \
                so is db_datawriter (it can rewrite the steps of Agent jobs owned by sa): those \
                memberships are high severity (CIS 3.13).",
    outcomes: Outcomes {
        pass: "one row: no such membership",
        fail_or_warn: "–",
        other: "REVIEW: each member of db_owner, db_securityadmin, db_accessadmin, db_backupoperator, db_ddladmin (dbo and `##…##` excepted) in any database, and of db_datawriter in msdb; high severity for db_owner, db_ddladmin, db_securityadmin in msdb and other TRUSTWORTHY databases and db_datawriter in msdb",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("3.13")],
        stig_2016: &["SQL6-D0-000700", "SQL6-D0-001400"],
        stig_2022: &["SQLD-22-000700", "SQLD-22-001400"],
        va: &["VA1248", "VA2108"],
        sp_blitz: &[86],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on("db_role_member", Sheet::DatabaseRoles)],
    remediation: RemediationCategory::Review,
    rule,
};

/// One REVIEW per membership of db_owner, db_securityadmin, db_accessadmin, db_backupoperator
/// or db_ddladmin in any database (dbo and `##…##` members excepted); none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details {
        let msdb = same_name(&d.database, "msdb");
        // msdb is TRUSTWORTHY and owned by sa on every install; any other TRUSTWORTHY database
        // is judged the same way when the databases were read.
        let escalates = msdb
            || s.databases.as_deref().ok().is_some_and(|dbs| {
                dbs.iter()
                    .any(|db| same_name(&db.name, &d.database) && db.trustworthy)
            });
        for m in &d.role_members {
            let datawriter_in_msdb = msdb && same_name(&m.role, "db_datawriter");
            if !(PRIVILEGED.iter().any(|r| r.eq_ignore_ascii_case(&m.role)) || datawriter_in_msdb)
                || same_name(&m.member, "dbo")
                || is_internal_name(&m.member)
            {
                continue;
            }
            let to_sysadmin = datawriter_in_msdb
                || (escalates
                    && ["db_owner", "db_ddladmin", "db_securityadmin"]
                        .iter()
                        .any(|r| same_name(r, &m.role)));
            out.push(
                check
                    .finding(
                        Status::Review,
                        "db_role_member",
                        format!("{}: {} \u{2192} {}", d.database, m.role, m.member),
                        entity_key("db_role_member", &[&d.database, &m.role, &m.member]),
                    )
                    .severity(if to_sysadmin {
                        Severity::High
                    } else {
                        check.severity
                    })
                    .message(if to_sysadmin {
                        format!(
                            "`{}` is a member of {} in `{}`: {} that can reach sysadmin ({}). Remove the membership unless it is documented and required.",
                            m.member,
                            m.role,
                            d.database,
                            if msdb { "msdb is TRUSTWORTHY and owned by sa, a membership" } else { "the database is TRUSTWORTHY, a membership" },
                            if datawriter_in_msdb {
                                "it can rewrite the steps of Agent jobs that run as their sysadmin owners"
                            } else {
                                "code it creates or alters there can run with the owner's server rights"
                            }
                        )
                    } else {
                        format!(
                            "`{}` is a member of {} in database `{}`: justify the need or remove the membership.",
                            m.member, m.role, d.database
                        )
                    })
                    .ev("database", &d.database)
                    .ev("role", &m.role)
                    .ev("member", &m.member)
                    .ev("member_kind", &m.member_kind)
                    .done(),
            );
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "No privileged database role membership on {} beyond dbo.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    /// B11: msdb's db_datawriter is reviewed; memberships that lead to sysadmin are high.
    #[test]
    fn escalating_memberships_in_msdb_and_trustworthy_databases_are_high() {
        let mut s = compliant_snapshot();
        let details = edit(&mut s.database_details);
        details[3]
            .role_members
            .push(member("db_datawriter", "etl", "S"));
        details[3]
            .role_members
            .push(member("db_backupoperator", "backup_svc", "S"));
        details[0]
            .role_members
            .push(member("db_ddladmin", "dev", "S"));
        details[4]
            .role_members
            .push(member("db_ddladmin", "dev", "S"));
        details[4]
            .role_members
            .push(member("db_datawriter", "app", "S"));
        edit(&mut s.databases)[4].trustworthy = true;
        let f = run(&CHECK, &s);
        assert_eq!(f.len(), 4, "{f:#?}");
        assert_eq!(
            by_key(&f, "db_role_member:msdb/db_datawriter/etl").severity,
            Severity::High
        );
        assert_eq!(
            by_key(&f, "db_role_member:salesdb/db_ddladmin/dev").severity,
            Severity::High
        );
        // master is not TRUSTWORTHY: an ordinary review.
        assert_eq!(
            by_key(&f, "db_role_member:master/db_ddladmin/dev").severity,
            Severity::Medium
        );
        let backup = by_key(&f, "db_role_member:msdb/db_backupoperator/backup_svc");
        assert_eq!(backup.severity, Severity::Medium);
    }

    #[test]
    fn none_passes() {
        assert_eq!(
            single(&run(&CHECK, &compliant_snapshot()), Status::Pass).entity_key,
            "instance:"
        );
    }

    #[test]
    fn privileged_memberships_reviewed_others_and_dbo_ignored() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.database_details)[4];
        sales.role_members.push(member("db_owner", "dbo", "S"));
        sales.role_members.push(member("db_owner", "app_user", "S"));
        sales
            .role_members
            .push(member("db_ddladmin", "CORP\\devs", "G"));
        sales
            .role_members
            .push(member("db_datareader", "report", "S"));
        let f = run(&CHECK, &s);
        assert_eq!(f.len(), 2);
        let owner = by_key(&f, "db_role_member:salesdb/db_owner/app_user");
        assert_eq!(
            (owner.status, owner.severity),
            (Status::Review, Severity::Medium)
        );
        assert!(owner.message.contains("app_user") && owner.message.contains("SalesDB"));
        assert_eq!(
            by_key(&f, "db_role_member:salesdb/db_ddladmin/corp\\\\devs").status,
            Status::Review
        );
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
