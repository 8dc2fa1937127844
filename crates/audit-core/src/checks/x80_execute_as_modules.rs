//! X80 – modules that run as another principal are reviewed (STIG SQL6-D0-002900 /
//! SQLD-22-002900).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on_row};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// A procedure, function or trigger WITH EXECUTE AS runs with someone else's rights for
/// whoever may call it: each one is a deliberate privilege grant that must be documented.
pub const CHECK: Check = Check {
    id: CheckId::new("X80"),
    title: "EXECUTE AS modules reviewed",
    severity: Severity::Medium,
    rationale: "EXECUTE AS OWNER, SELF or 'user' makes a module run with that principal's rights \
                instead of the caller's. The STIG wants such modules limited to the cases the \
                application needs and documented, because every caller — and whoever can alter \
                the module — acts as that principal; in a TRUSTWORTHY database owned by a \
                sysadmin that is the server (X56 follows those paths). Each module is a review \
                item naming whom it runs as.",
    outcomes: Outcomes {
        pass: "one row: no module with EXECUTE AS in any database read",
        fail_or_warn: "none: the rule asks for a review",
        other: "REVIEW (medium): each module that runs as another principal, louder when that principal is dbo; UNKNOWN: the databases' modules unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-002900"],
        stig_2022: &["SQLD-22-002900"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on_row("module", Sheet::Instances, "instance:")],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per module in `DatabaseDetail::modules` → REVIEW; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let trustworthy = |db: &str| {
        s.databases
            .as_deref()
            .ok()
            .and_then(|list| list.iter().find(|d| d.name == db))
            .is_some_and(|d| d.trustworthy)
    };
    let mut out = Vec::new();
    for d in details {
        for m in &d.modules {
            // A database DDL trigger has no schema.
            let name = if m.schema.is_empty() {
                m.name.clone()
            } else {
                format!("{}.{}", m.schema, m.name)
            };
            let clause = if m.as_owner {
                format!("OWNER ({})", m.execute_as)
            } else {
                format!("'{}'", m.execute_as)
            };
            let extra = match (same_name(&m.execute_as, "dbo"), trustworthy(&d.database)) {
                (true, true) => {
                    " It runs as dbo in a TRUSTWORTHY database: with the owner's server rights."
                }
                (true, false) => " It runs as dbo: with every right in the database.",
                _ => "",
            };
            out.push(
                check
                    .finding(
                        Status::Review,
                        "module",
                        format!("{}.{name}", d.database),
                        entity_key("module", &[&d.database, &name]),
                    )
                    .ev("database", &d.database)
                    .ev("type", &m.kind)
                    .ev("execute_as", &clause)
                    .message(format!(
                        "`{name}` in `{}` runs WITH EXECUTE AS {clause}: its callers act as that \
                         principal.{extra} Confirm the application needs it and it is documented; \
                         otherwise recreate it without EXECUTE AS.",
                        d.database
                    ))
                    .done(),
            );
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "No module of {} runs as another principal.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::ModuleInfo;

    #[test]
    fn none_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn each_module_is_reviewed_louder_as_dbo_in_a_trustworthy_database() {
        let mut s = compliant_snapshot();
        edit(&mut s.databases)[4].trustworthy = true;
        edit(&mut s.database_details)[4].modules.push(ModuleInfo {
            schema: "dbo".into(),
            name: "usp_Purge".into(),
            kind: "P".into(),
            execute_as: "dbo".into(),
            as_owner: true,
        });
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Review);
        assert_eq!(hit.entity_key, "module:salesdb/dbo.usp_purge");
        assert!(hit.message.contains("TRUSTWORTHY"));
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
