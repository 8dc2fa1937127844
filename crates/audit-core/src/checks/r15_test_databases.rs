//! R15 – no test or sample databases.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// Sample and test databases have well-known schemas, weak or no permissions design and no
/// business owner.
pub const CHECK: Check = Check {
    id: CheckId::new("R15"),
    title: "No test or sample databases",
    severity: Severity::Medium,
    rationale: "Sample databases (AdventureWorks, Northwind, pubs, WideWorldImporters) and test databases \
                have well-known content and permissions, are rarely patched or backed up, and have no \
                place on a production instance. Names are matched with the configured patterns \
                (thresholds.test_database_patterns).",
    outcomes: Outcomes {
        pass: "user database matching no pattern",
        fail_or_warn: "WARN: name matches `thresholds.test_database_patterns`",
        other: "UNKNOWN: databases unreadable",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-006900"],
        stig_2022: &["SQLI-22-006900"],
        va: &["VA2111"],
        ..References::NONE
    },
    reads: &[FactId::Databases],
    placement: &[on("database", Sheet::Databases)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per user database: name matches a pattern → WARN; otherwise PASS. System databases are not
/// evaluated.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(databases) = gaps.take("databases", &s.databases) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for db in databases.iter().filter(|db| !db.is_system()) {
        let matched = policy
            .test_database_patterns
            .iter()
            .find(|p| wildcard_match(p, &db.name));
        let draft = |status| {
            check
                .finding(
                    status,
                    "database",
                    db.name.clone(),
                    entity_key("database", &[&db.name]),
                )
                .ev("database", &db.name)
                .ev("state", &db.state)
                .ev("created", &db.created)
        };
        out.push(match matched {
            Some(pattern) => draft(Status::Warn)
                .message(format!(
                    "Database `{}` looks like a test or sample database (pattern `{pattern}`): remove it from this instance or document it.",
                    db.name
                ))
                .ev("pattern", pattern)
                .done(),
            None => draft(Status::Pass)
                .message(format!("Database `{}` matches no test or sample pattern.", db.name))
                .done(),
        });
    }
    check.pass_if_none(
        &mut out,
        s,
        format!("{} has no user database.", instance_name(s)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn production_names_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "database:salesdb");
    }

    #[test]
    fn sample_and_test_names_warn() {
        let mut s = compliant_snapshot();
        for (i, name) in ["AdventureWorks2019", "Sales_Test", "pubs", "TestDB_1"]
            .iter()
            .enumerate()
        {
            edit(&mut s.databases).push(database(name, 20 + i as i64));
        }
        let f = run(&CHECK, &s);
        let aw = by_key(&f, "database:adventureworks2019");
        assert_eq!((aw.status, aw.severity), (Status::Warn, Severity::Medium));
        assert!(aw.message.contains("AdventureWorks2019"));
        assert_eq!(by_key(&f, "database:sales_test").status, Status::Warn);
        assert_eq!(by_key(&f, "database:pubs").status, Status::Warn);
        assert_eq!(by_key(&f, "database:testdb_1").evidence["pattern"], "test*");
    }

    #[test]
    fn patterns_come_from_policy_and_unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        let mut p = policy();
        p.test_database_patterns = vec!["sales*".to_owned()];
        assert_eq!(statuses(&(CHECK.rule)(&CHECK, &s, &p)), [Status::Warn]);
        s.databases = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
