//! X01 – TRUSTWORTHY off in every database but msdb.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// TRUSTWORTHY lets code in the database act with its owner's server-level rights: a db_owner
/// of a TRUSTWORTHY database owned by a sysadmin is a sysadmin.
pub const CHECK: Check = Check {
    id: CheckId::new("X01"),
    title: "TRUSTWORTHY off (msdb excepted)",
    severity: Severity::High,
    rationale: "With TRUSTWORTHY ON, impersonated code in the database is trusted at server level, so \
                anyone with db_owner (or CREATE PROCEDURE plus impersonation) can escalate to the \
                owner's server rights, typically sysadmin: critical when the owner is sa or another \
                sysadmin / CONTROL SERVER login. msdb is TRUSTWORTHY by design and is exempt; \
                master, model and tempdb are judged like any database (CIS 2.9 exempts only msdb).",
    outcomes: Outcomes {
        pass: "database not TRUSTWORTHY (every database but msdb)",
        fail_or_warn: "FAIL (high): TRUSTWORTHY ON; FAIL (critical): TRUSTWORTHY ON and owned by sa or another sysadmin / CONTROL SERVER login (its db_owners are sysadmins)",
        other: "UNKNOWN: databases unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("2.9")],
        stig_2016: &["SQL6-D0-000600"],
        stig_2022: &["SQLD-22-000600"],
        va: &["VA1102"],
        dbachecks: &["Trustworthy"],
        sp_blitz: &[137],
    },
    reads: &[FactId::Databases],
    placement: &[on("database", Sheet::Databases)],
    remediation: RemediationCategory::Safe,
    rule,
};

/// Per database except msdb: TRUSTWORTHY ON → FAIL (critical when the owner is privileged at
/// server level: SID 0x01, sysadmin through nested roles, or CONTROL SERVER); OFF → PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(databases) = gaps.take("databases", &s.databases) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for db in databases.iter().filter(|db| !same_name(&db.name, "msdb")) {
        let owner = db.owner.as_deref().unwrap_or("(unknown owner)");
        let privilege = login_privilege(s, db.owner.as_deref(), db.owner_sid.as_deref());
        let draft = |status| {
            check
                .finding(
                    status,
                    "database",
                    db.name.clone(),
                    entity_key("database", &[&db.name]),
                )
                .ev("trustworthy", yes_no(db.trustworthy))
                .ev("owner", owner)
                .fix(crate::Fix::TrustworthyOff {
                    database: db.name.clone(),
                })
        };
        out.push(if db.trustworthy {
            let fail = draft(Status::Fail).ev(
                "owner_privilege",
                privilege_evidence(&privilege),
            );
            match &privilege {
                Ok(Some(p)) => fail.severity(Severity::Critical).message(format!(
                    "Database `{}` is TRUSTWORTHY and owned by `{owner}` ({p}): every db_owner of it can become {p} (EXECUTE AS USER = 'dbo'). SET TRUSTWORTHY OFF.",
                    db.name
                )),
                _ => fail.message(format!(
                    "Database `{}` is TRUSTWORTHY (owner `{owner}`): its db_owners can act with the owner's server rights. SET TRUSTWORTHY OFF.",
                    db.name
                )),
            }
            .done()
        } else {
            draft(Status::Pass).message(format!("Database `{}` is not TRUSTWORTHY.", db.name)).done()
        });
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "{} has no database to judge besides msdb.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn off_passes_and_msdb_is_exempt() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(statuses(&f), [Status::Pass; 4]);
        assert!(f.iter().all(|f| f.entity != "msdb"));
    }

    /// B07: master, model and tempdb are judged; a privileged owner makes it critical.
    #[test]
    fn model_is_judged_and_a_sysadmin_owner_is_critical() {
        let mut s = compliant_snapshot();
        edit(&mut s.databases)[2].trustworthy = true;
        let sales = &mut edit(&mut s.databases)[4];
        sales.trustworthy = true;
        sales.owner = Some("app_admin".into());
        sales.owner_sid = Some("0x0ABC".into());
        let f = run(&CHECK, &s);
        let model = by_key(&f, "database:model");
        assert_eq!(
            (model.status, model.severity),
            (Status::Fail, Severity::Critical)
        );
        assert_eq!(by_key(&f, "database:salesdb").severity, Severity::High);
        edit(&mut s.server_role_members).push(member("sysadmin", "app_admin", "S"));
        let f = run(&CHECK, &s);
        assert_eq!(by_key(&f, "database:salesdb").severity, Severity::Critical);
    }

    #[test]
    fn on_fails() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.databases)[4];
        sales.trustworthy = true;
        sales.owner = Some("app_owner".into());
        sales.owner_sid = Some("0x0ABC".into());
        let f = run(&CHECK, &s);
        let f = by_key(&f, "database:salesdb");
        assert_eq!(
            (f.status, f.severity, f.remediation_category),
            (Status::Fail, Severity::High, RemediationCategory::Safe)
        );
        assert!(f.message.contains("SalesDB") && f.message.contains("app_owner"));
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        s.databases = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
