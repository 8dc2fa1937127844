//! X49 – no extended stored procedure but Microsoft's, or each one reviewed.

use super::support::*;
use super::{Applicability, Check, Family, Outcomes, Policy, References, Sheet, on_row};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// An extended stored procedure added with `sp_addextendedproc` is a DLL loaded into the
/// SQL Server process: the STIG asks that non-standard ones be removed unless required and
/// approved, sp_Blitz (check 105) lists them.
pub const CHECK: Check = Check {
    id: CheckId::new("X49"),
    title: "No non-Microsoft extended stored procedures",
    severity: Severity::Medium,
    rationale: "Extended stored procedures are deprecated native DLLs that run inside the database \
                engine with the service account's rights; a faulty one crashes the instance and a \
                malicious one owns it. Microsoft's own are marked is_ms_shipped; any other was \
                added with sp_addextendedproc and must be documented and needed, or dropped \
                (sp_dropextendedproc) in favour of CLR or an external process.",
    outcomes: Outcomes {
        pass: "one row: every extended procedure of master is shipped by Microsoft",
        fail_or_warn: "REVIEW (medium): each extended procedure of master not shipped by Microsoft, with its DLL",
        other: "UNKNOWN: master's extended procedures could not be read, or only in part (the audit login lacks VIEW ANY DEFINITION)",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-007400"],
        stig_2022: &["SQLI-22-007400"],
        sp_blitz: &[105],
        ..References::NONE
    },
    reads: &[FactId::CustomExtendedProcedures],
    placement: &[on_row("extended_procedure", Sheet::Instances, "instance:")],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per non-Microsoft extended procedure → REVIEW (whether it is needed is a person's call);
/// none → one PASS. Not scripted.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(procedures) = gaps.take("custom_extended_procedures", &s.custom_extended_procedures)
    else {
        return gaps.only_unknown(check, s);
    };
    let mut out: Vec<Finding> = procedures
        .iter()
        .map(|p| {
            check
                .finding(
                    Status::Review,
                    "extended_procedure",
                    format!("master.{}", p.name),
                    entity_key("extended_procedure", &[&p.name]),
                )
                .message(format!(
                    "Extended stored procedure master.{} (DLL `{}`) was not shipped by Microsoft: confirm it is required and approved, or drop it with sp_dropextendedproc.",
                    p.name, p.dll
                ))
                .ev("procedure", &p.name)
                .ev("dll", &p.dll)
                .done()
        })
        .collect();
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "Every extended stored procedure of master on {} is shipped by Microsoft.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::ExtendedProcedureInfo;

    #[test]
    fn only_microsofts_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
    }

    #[test]
    fn each_other_one_is_reviewed_with_its_dll() {
        let mut s = compliant_snapshot();
        edit(&mut s.custom_extended_procedures).push(ExtendedProcedureInfo {
            name: "dbo.xp_vendor_hash".to_owned(),
            dll: "C:\\Vendor\\xphash.dll".to_owned(),
        });
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Review);
        assert_eq!(hit.severity, Severity::Medium);
        assert!(hit.message.contains("xphash.dll"));
        assert_eq!(hit.entity_key, "extended_procedure:dbo.xp_vendor_hash");
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        deny(&mut s, FactId::CustomExtendedProcedures);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
