//! R12 – every trigger, server and database level, is reviewed.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot, TriggerInfo};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// Triggers run code implicitly on logins, DDL and DML: a favourite place to hide persistence
/// or data theft, so each one is a REVIEW row to justify.
pub const CHECK: Check = Check {
    id: CheckId::new("R12"),
    title: "Triggers reviewed (server and database)",
    severity: Severity::Medium,
    rationale: "Triggers execute code implicitly: logon triggers on every connection, DDL triggers on \
                schema changes, DML triggers on data changes, often with elevated rights. Every trigger \
                at every level must be known and its purpose documented.",
    outcomes: Outcomes {
        pass: "one row: no trigger",
        fail_or_warn: "–",
        other: "REVIEW: every server trigger and every database trigger (disabled ones too)",
    },
    family: Family::Auditing,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-003600"],
        stig_2022: &["SQLI-22-003600"],
        sp_blitz: &[11],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails, FactId::ServerTriggers],
    placement: &[on("trigger", Sheet::Triggers)],
    remediation: RemediationCategory::Review,
    rule,
};

/// One REVIEW per server trigger and per database trigger (disabled ones too, said in the
/// message); none anywhere → one PASS. An unreadable part → one UNKNOWN, the other part still
/// listed.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let mut out = Vec::new();
    if let Some(triggers) = gaps.take("server_triggers", &s.server_triggers) {
        for t in triggers {
            let events = events(t);
            out.push(
                review(
                    check,
                    t,
                    t.name.clone(),
                    entity_key("server_trigger", &[&t.name]),
                )
                .message(format!(
                    "Server trigger `{}` fires on {events}{}: document its purpose.",
                    t.name,
                    disabled(t)
                ))
                .ev("scope", "SERVER")
                .done(),
            );
        }
    }
    if let Some(details) = gaps.take("database_details", &s.database_details) {
        for d in details {
            for t in &d.triggers {
                out.push(
                    review(
                        check,
                        t,
                        format!("{}: {} on {}", d.database, t.name, t.parent),
                        entity_key("db_trigger", &[&d.database, &t.parent, &t.name]),
                    )
                    .message(format!(
                        "Trigger `{}` on {} in database `{}` fires on {}{}: document its purpose.",
                        t.name,
                        t.parent,
                        d.database,
                        events(t),
                        disabled(t)
                    ))
                    .ev("scope", "DATABASE")
                    .ev("database", &d.database)
                    .done(),
                );
            }
        }
    }
    let unknown = gaps.unknown(check, s);
    if out.is_empty() && unknown.is_none() {
        out.push(
            check
                .instance_finding(s, Status::Pass)
                .message(format!(
                    "{} has no server or database trigger.",
                    instance_name(s)
                ))
                .done(),
        );
    }
    out.extend(unknown);
    out
}

fn review(check: &Check, t: &TriggerInfo, entity: String, key: String) -> super::support::Draft {
    check
        .finding(Status::Review, "trigger", entity, key)
        .ev("trigger", &t.name)
        .ev("parent", &t.parent)
        .ev("events", t.events.join(", "))
        .ev("disabled", yes_no(t.disabled))
}

fn events(t: &TriggerInfo) -> String {
    if t.events.is_empty() {
        "unlisted events".to_owned()
    } else {
        t.events.join(", ")
    }
}

fn disabled(t: &TriggerInfo) -> &'static str {
    if t.disabled { " (disabled)" } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn trigger(name: &str, parent: &str, events: &[&str]) -> TriggerInfo {
        TriggerInfo {
            name: name.to_owned(),
            parent: parent.to_owned(),
            disabled: false,
            events: events.iter().map(|e| (*e).to_owned()).collect(),
        }
    }

    #[test]
    fn none_passes() {
        assert_eq!(
            single(&run(&CHECK, &compliant_snapshot()), Status::Pass).entity_key,
            "instance:"
        );
    }

    #[test]
    fn each_trigger_is_reviewed() {
        let mut s = compliant_snapshot();
        edit(&mut s.server_triggers).push(trigger("audit_logon", "SERVER", &["LOGON"]));
        let sales = &mut edit(&mut s.database_details)[4];
        sales
            .triggers
            .push(trigger("trg_orders", "dbo.Orders", &["INSERT", "UPDATE"]));
        sales.triggers.push(TriggerInfo {
            disabled: true,
            ..trigger("ddl_guard", "DATABASE", &["DDL_DATABASE_LEVEL_EVENTS"])
        });
        let f = run(&CHECK, &s);
        assert_eq!(f.len(), 3);
        let logon = by_key(&f, "server_trigger:audit_logon");
        assert_eq!(
            (logon.status, logon.severity),
            (Status::Review, Severity::Medium)
        );
        assert!(logon.message.contains("audit_logon") && logon.message.contains("LOGON"));
        let dml = by_key(&f, "db_trigger:salesdb/dbo.orders/trg_orders");
        assert!(dml.message.contains("SalesDB"));
        assert!(
            by_key(&f, "db_trigger:salesdb/database/ddl_guard")
                .message
                .contains("(disabled)")
        );
    }

    #[test]
    fn unreadable_part_is_unknown() {
        let mut s = compliant_snapshot();
        s.server_triggers = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
