//! X48 – procedures that run when the instance starts are reviewed.

use super::support::*;
use super::{Applicability, Check, Family, Outcomes, Policy, References, Sheet, on_row};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// X04 holds `scan for startup procs` to 0; this check lists the procedures themselves
/// (`master.sys.procedures.is_auto_executed = 1`), which run as sysadmin at every start and
/// are a known persistence mechanism.
pub const CHECK: Check = Check {
    id: CheckId::new("X48"),
    title: "Startup stored procedures reviewed",
    severity: Severity::High,
    rationale: "A procedure of master marked with sp_procoption 'startup' runs automatically, with \
                sysadmin rights, every time the instance starts, with no session to audit: a \
                persistence mechanism attackers use and a place where forgotten vendor code \
                lives. The STIG asks that each be documented and necessary; Vulnerability \
                Assessment and sp_Blitz flag any. Setting a startup procedure turns `scan for \
                startup procs` on (X04 judges the option).",
    outcomes: Outcomes {
        pass: "one row: no procedure of master is marked to run at startup",
        fail_or_warn: "REVIEW (high): each startup procedure, by schema and name, to be confirmed as necessary and documented, or unmarked (`EXEC sp_procoption N'name', 'startup', 'off'`)",
        other: "UNKNOWN: master's procedures could not be read, or only in part (the audit login lacks VIEW ANY DEFINITION)",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-016400"],
        stig_2022: &["SQLI-22-016400"],
        va: &["VA1247"],
        sp_blitz: &[7],
        ..References::NONE
    },
    reads: &[FactId::StartupProcedures],
    placement: &[on_row("startup_procedure", Sheet::Instances, "instance:")],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per startup procedure → REVIEW (a person decides whether it is needed: the tool cannot tell
/// a documented agent from a backdoor); none → one PASS. Not scripted.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(procedures) = gaps.take("startup_procedures", &s.startup_procedures) else {
        return gaps.only_unknown(check, s);
    };
    let mut out: Vec<Finding> = procedures
        .iter()
        .map(|name| {
            check
                .finding(
                    Status::Review,
                    "startup_procedure",
                    format!("master.{name}"),
                    entity_key("startup_procedure", &[name]),
                )
                .message(format!(
                    "Procedure master.{name} runs automatically, as sysadmin, each time the instance starts: confirm it is necessary and documented, or unmark it with sp_procoption 'startup', 'off'."
                ))
                .ev("database", "master")
                .ev("procedure", name)
                .done()
        })
        .collect();
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "No procedure of master runs at startup on {}.",
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
    fn none_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
    }

    #[test]
    fn each_startup_procedure_is_reviewed() {
        let mut s = compliant_snapshot();
        edit(&mut s.startup_procedures)
            .extend(["dbo.sp_agent_start".to_owned(), "dbo.x".to_owned()]);
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Review, Status::Review]);
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(f[0].entity, "master.dbo.sp_agent_start");
        assert_eq!(f[0].fix, None);
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        deny(&mut s, FactId::StartupProcedures);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
