//! X76 – user CLR assemblies are SAFE, and each is reviewed (CIS 6.2, VA1256, dbachecks
//! CLRAssembliesSafe, STIG SQL6-D0-007300 / SQLI-22-007300 in part).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis, cis2017};
use super::{Sheet, on_row};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// An EXTERNAL_ACCESS assembly reaches files, the network and the registry as the service
/// account; an UNSAFE one runs any code inside the engine's process.
pub const CHECK: Check = Check {
    id: CheckId::new("X76"),
    title: "User CLR assemblies SAFE and reviewed",
    severity: Severity::High,
    rationale: "CLR code runs inside SQL Server's process. A SAFE assembly can only compute and \
                read the database; EXTERNAL_ACCESS reaches files, the network and the registry \
                with the service account's rights; UNSAFE can do anything the process can, \
                including unmanaged code. CIS 6.2 wants every user assembly SAFE; Vulnerability \
                Assessment and the STIG want user assemblies absent unless approved, so a SAFE \
                one is a review item.",
    outcomes: Outcomes {
        pass: "one row: no user assembly in any database read",
        fail_or_warn: "FAIL (high): each user assembly with EXTERNAL_ACCESS or UNSAFE",
        other: "REVIEW (low): each SAFE user assembly (approved or not); UNKNOWN: the databases' contents unreadable",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("6.2"), cis2017("6.2")],
        stig_2016: &["SQL6-D0-007300"],
        stig_2022: &["SQLI-22-007300"],
        va: &["VA1256"],
        dbachecks: &["CLRAssembliesSafe"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on_row("assembly", Sheet::Instances, "instance:")],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per user assembly: SAFE_ACCESS → REVIEW (low); anything else → FAIL; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details {
        for a in &d.assemblies {
            let safe = a.permission_set.trim().eq_ignore_ascii_case("SAFE_ACCESS");
            let draft = check
                .finding(
                    if safe { Status::Review } else { Status::Fail },
                    "assembly",
                    format!("{}.{}", d.database, a.name),
                    entity_key("assembly", &[&d.database, &a.name]),
                )
                .ev("database", &d.database)
                .ev("permission_set", &a.permission_set)
                .ev("clr_name", a.clr_name.as_deref().unwrap_or("-"));
            out.push(if safe {
                draft
                    .severity(Severity::Low)
                    .message(format!(
                        "User assembly `{}` in database `{}` is SAFE. Confirm it is approved and still \
                         used; drop it otherwise.",
                        a.name, d.database
                    ))
                    .done()
            } else {
                draft
                    .message(format!(
                        "User assembly `{}` in database `{}` is {}: its code reaches beyond the \
                         database with the service account's rights. Rebuild it as SAFE (ALTER \
                         ASSEMBLY … WITH PERMISSION_SET = SAFE) or remove it.",
                        a.name, d.database, a.permission_set
                    ))
                    .done()
            });
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!("No user CLR assembly exists on {}.", instance_name(s)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::AssemblyInfo;

    fn assembly(name: &str, set: &str) -> AssemblyInfo {
        AssemblyInfo {
            name: name.into(),
            permission_set: set.into(),
            clr_name: None,
        }
    }

    #[test]
    fn none_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn safe_is_reviewed_and_unsafe_fails() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.database_details)[4];
        sales.assemblies.push(assembly("RegexUtil", "SAFE_ACCESS"));
        sales
            .assemblies
            .push(assembly("FileExport", "UNSAFE_ACCESS"));
        let f = run(&CHECK, &s);
        assert_eq!(
            by_key(&f, "assembly:salesdb/regexutil").status,
            Status::Review
        );
        let hit = by_key(&f, "assembly:salesdb/fileexport");
        assert_eq!((hit.status, hit.severity), (Status::Fail, Severity::High));
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
