//! X67 – cross-database ownership chaining is off in every database but master, msdb and tempdb
//! (Vulnerability Assessment VA1042).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// X04 judges the server option; a database can still have DB_CHAINING on by itself, and then
/// its objects' owners reach objects of other chaining databases without permission checks.
pub const CHECK: Check = Check {
    id: CheckId::new("X67"),
    title: "Database-level cross-database ownership chaining off",
    severity: Severity::High,
    rationale: "With DB_CHAINING on, a module in the database that references an object of \
                another chaining database owned by the same login skips the permission check \
                there: a db_owner of one database can read or change data in the other by \
                creating objects that share an owner. master, msdb and tempdb have it on by \
                design (learn.microsoft.com: msdb Database, database options) and are exempt; \
                the server-wide option is X04.",
    outcomes: Outcomes {
        pass: "DB_CHAINING off (per database)",
        fail_or_warn: "FAIL (high): DB_CHAINING on in a database other than master, msdb and tempdb (fix: ALTER DATABASE … SET DB_CHAINING OFF)",
        other: "UNKNOWN: the databases unreadable, or the option not read for a database",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA1042"],
        ..References::NONE
    },
    reads: &[FactId::Databases],
    placement: &[on("database", Sheet::Databases)],
    remediation: RemediationCategory::Safe,
    rule,
};

/// Per database except master, msdb, tempdb: `is_db_chaining_on` 1 → FAIL, 0 → PASS, not read
/// → UNKNOWN.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(databases) = gaps.take("databases", &s.databases) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for db in databases.iter().filter(|d| {
        !["master", "msdb", "tempdb"]
            .iter()
            .any(|n| same_name(n, &d.name))
    }) {
        let draft = |status| {
            check
                .finding(status, "database", db.name.clone(), database_key(&db.name))
                .ev("db_chaining", or_unknown(db.db_chaining.map(yes_no)))
        };
        out.push(match db.db_chaining {
            Some(true) => draft(Status::Fail)
                .fix(crate::Fix::DatabaseOptionOff {
                    database: db.name.clone(),
                    option: crate::DatabaseOption::DbChaining,
                })
                .message(format!(
                    "Database `{}` has cross-database ownership chaining on: objects it shares an \
                     owner with in other chaining databases are reached without permission checks. \
                     ALTER DATABASE [{}] SET DB_CHAINING OFF.",
                    db.name,
                    db.name.replace(']', "]]")
                ))
                .done(),
            Some(false) => draft(Status::Pass)
                .message(format!("Database `{}` has DB_CHAINING off.", db.name))
                .done(),
            None => draft(Status::Unknown)
                .message(format!(
                    "DB_CHAINING of database `{}` was not read (a snapshot stored before it was collected).",
                    db.name
                ))
                .done(),
        });
    }
    check.pass_if_none(
        &mut out,
        s,
        format!("{} has no database to evaluate.", instance_name(s)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn off_passes_and_system_databases_are_exempt() {
        let f = run(&CHECK, &compliant_snapshot());
        assert!(f.iter().all(|f| f.status == Status::Pass));
        assert!(f.iter().all(|f| f.entity != "msdb" && f.entity != "master"));
        assert!(f.iter().any(|f| f.entity == "model"));
    }

    #[test]
    fn on_fails_with_a_fix_and_unread_is_unknown() {
        let mut s = compliant_snapshot();
        edit(&mut s.databases)[4].db_chaining = Some(true);
        edit(&mut s.databases)[2].db_chaining = None;
        let f = run(&CHECK, &s);
        let sales = by_key(&f, "database:salesdb");
        assert_eq!(
            (sales.status, sales.severity),
            (Status::Fail, Severity::High)
        );
        assert!(sales.fix.is_some());
        assert_eq!(by_key(&f, "database:model").status, Status::Unknown);
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.databases = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
