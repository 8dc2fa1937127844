//! R27 – database-level security inventory.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// Per database, the security picture (users, role memberships, explicit permissions) in one
/// INFO row; the Database Users, Database Roles, Role Matrix and Permission Grants sheets list
/// the details. Databases that are not online are listed, not queried.
pub const CHECK: Check = Check {
    id: CheckId::new("R27"),
    title: "Database-level security inventory",
    severity: Severity::Info,
    rationale: "The audit must document database-level security: users and their logins, role \
                memberships and explicit permissions in every database. Databases that are not online \
                cannot be read; they are listed so that nobody mistakes them for empty.",
    outcomes: Outcomes {
        pass: "–",
        fail_or_warn: "–",
        other: "INFO: one row per database (users, roles, memberships, permissions, triggers); databases not online are listed as not queried; UNKNOWN when unreadable",
    },
    family: Family::Inventory,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-000300", "SQL6-D0-003900"],
        stig_2022: &["SQLI-22-003900", "SQLD-22-000300"],
        va: &["VA1094", "VA1281", "VA2033"],
        ..References::NONE
    },
    reads: &[FactId::Databases, FactId::DatabaseDetails],
    placement: &[on("database", Sheet::Databases)],
    remediation: RemediationCategory::None,
    rule,
};

/// One INFO row per database read (counts), one INFO row per database not online ("not
/// queried"); UNKNOWN when the database details are unreadable.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details {
        let users = d
            .principals
            .iter()
            .filter(|p| matches!(p.kind.as_str(), "S" | "U" | "G" | "C" | "K" | "E" | "X"))
            .count();
        let roles = d.principals.iter().filter(|p| p.kind == "R").count();
        out.push(
            check
                .finding(Status::Info, "database", d.database.clone(), entity_key("database", &[&d.database]))
                .message(format!(
                    "Database `{}`: {users} users, {roles} roles, {} role memberships, {} explicit permissions, {} triggers.",
                    d.database,
                    d.role_members.len(),
                    d.permissions.len(),
                    d.triggers.len()
                ))
                .ev("users", users)
                .ev("roles", roles)
                .ev("role_memberships", d.role_members.len())
                .ev("explicit_permissions", d.permissions.len())
                .ev("triggers", d.triggers.len())
                .done(),
        );
    }
    if let Ok(databases) = &s.databases {
        for db in databases
            .iter()
            .filter(|db| !details.iter().any(|d| same_name(&d.database, &db.name)))
        {
            out.push(
                check
                    .finding(
                        Status::Info,
                        "database",
                        db.name.clone(),
                        entity_key("database", &[&db.name]),
                    )
                    .message(format!(
                        "Database `{}` is {}: listed, not queried.",
                        db.name, db.state
                    ))
                    .ev("state", &db.state)
                    .done(),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn info_per_database_and_offline_listed() {
        let mut s = compliant_snapshot();
        edit(&mut s.databases).push(crate::snapshot::DatabaseInfo {
            state: "OFFLINE".to_owned(),
            ..database("Archive", 9)
        });
        let f = run(&CHECK, &s);
        assert_eq!(f.len(), 6);
        assert!(f.iter().all(|f| f.status == Status::Info));
        assert_eq!(by_key(&f, "database:salesdb").evidence["users"], "3");
        assert!(by_key(&f, "database:archive").message.contains("OFFLINE"));
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
