//! `autodbaudit checks [--framework F] [--format text|json]`: the check catalogue as users and
//! scripts see it — id, severity, family, title and the benchmark items each check satisfies.
//! Needs no workspace: it prints what this build of the tool evaluates.

use audit_core::checks::{
    Applicability, Check, CisBenchmark, Family, Framework, References, catalogue,
};
use audit_core::snapshot::FactId;
use audit_core::{CheckId, RemediationCategory, Severity};
use serde::Serialize;

use crate::cli::{ChecksArgs, ShowFormat};
use crate::exit::{CmdResult, Exit};
use crate::ui;

/// One check as `--format json` writes it.
#[derive(Serialize)]
struct CheckRecord {
    id: CheckId,
    title: &'static str,
    severity: Severity,
    family: Family,
    applies_to: Applicability,
    reads: &'static [FactId],
    /// Where its findings go in the workbook.
    placement: &'static [audit_core::checks::Placement],
    rationale: &'static str,
    remediation: RemediationCategory,
    references: References,
}

impl CheckRecord {
    fn of(check: &Check) -> CheckRecord {
        CheckRecord {
            id: check.id,
            title: check.title,
            severity: check.severity,
            family: check.family,
            applies_to: check.applies_to,
            reads: check.reads,
            placement: check.placement,
            rationale: check.rationale,
            remediation: check.remediation,
            references: check.references,
        }
    }
}

/// Prints the catalogue, or the part of it mapped to one benchmark.
pub fn run(args: &ChecksArgs) -> CmdResult {
    let selected: Vec<&Check> = catalogue()
        .iter()
        .copied()
        .filter(|c| args.framework.is_none_or(|f| c.references.has(f)))
        .collect();
    match args.format {
        ShowFormat::Json => {
            let records: Vec<CheckRecord> = selected.iter().map(|c| CheckRecord::of(c)).collect();
            ui::out(&serde_json::to_string_pretty(&records).expect("the catalogue serialises"));
        }
        ShowFormat::Text => text(&selected, args.framework),
    }
    Ok(Exit::Success)
}

/// A table: id, severity, family, title, references; then a line saying what was listed.
fn text(checks: &[&Check], framework: Option<Framework>) {
    let mut rows = vec![[
        "ID".to_owned(),
        "SEVERITY".to_owned(),
        "FAMILY".to_owned(),
        "TITLE".to_owned(),
        match framework {
            Some(f) => f.title().to_uppercase(),
            None => "REFERENCES".to_owned(),
        },
    ]];
    for check in checks {
        rows.push([
            check.id.to_string(),
            check.severity.to_string(),
            check.family.title().to_owned(),
            check.title.to_owned(),
            match framework {
                Some(f) => items(&check.references, f).join(", "),
                None => summary(&check.references),
            },
        ]);
    }
    ui::table(&rows, "");
    ui::out("");
    match framework {
        Some(f) => ui::out(&format!(
            "{} of {} checks have an item of the {}.",
            checks.len(),
            catalogue().len(),
            f.title()
        )),
        None => ui::out(&format!(
            "{} checks. --framework cis|stig|va|dbachecks|sp_blitz lists one benchmark's items; --format json gives everything.",
            checks.len()
        )),
    }
}

/// The items of one benchmark as the table shows them: CIS `2.2`, `2.15 (2016/2017)`;
/// STIG ids as they are (`SQL6-D0-…` for 2016, `SQLI-22-…` / `SQLD-22-…` for 2022); VA ids;
/// dbachecks names; sp_Blitz CheckIDs.
fn items(r: &References, framework: Framework) -> Vec<String> {
    match framework {
        Framework::Cis => r
            .cis
            .iter()
            .map(|c| match c.benchmark {
                CisBenchmark::Sql2019And2022 => c.item.to_owned(),
                CisBenchmark::Sql2016And2017 => format!("{} (2016/2017)", c.item),
            })
            .collect(),
        Framework::Stig => r
            .stig_2016
            .iter()
            .chain(r.stig_2022)
            .map(|s| (*s).to_owned())
            .collect(),
        Framework::Va => r.va.iter().map(|s| (*s).to_owned()).collect(),
        Framework::Dbachecks => r.dbachecks.iter().map(|s| (*s).to_owned()).collect(),
        Framework::SpBlitz => r.sp_blitz.iter().map(u16::to_string).collect(),
    }
}

/// Every benchmark in a few words: CIS items in full, the others counted
/// (`CIS 2.2, 2.5, 2.15 (2016/2017); STIG 2016: 4, 2022: 4; VA 5; dbachecks 4; sp_Blitz 2`).
fn summary(r: &References) -> String {
    let parts: Vec<String> = Framework::ALL
        .into_iter()
        .filter(|f| r.has(*f))
        .map(|f| {
            let items = items(r, f);
            match f {
                Framework::Cis => format!("CIS {}", items.join(", ")),
                Framework::Stig => {
                    let counts: Vec<String> = [("2016", r.stig_2016), ("2022", r.stig_2022)]
                        .into_iter()
                        .filter(|(_, ids)| !ids.is_empty())
                        .map(|(version, ids)| format!("{version}: {}", ids.len()))
                        .collect();
                    format!("STIG {}", counts.join(", "))
                }
                Framework::Va => format!("VA {}", items.len()),
                Framework::Dbachecks => format!("dbachecks {}", items.len()),
                Framework::SpBlitz => format!("sp_Blitz {}", items.len()),
            }
        })
        .collect();
    if parts.is_empty() {
        "–".to_owned()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(id: &'static str) -> References {
        audit_core::checks::check(CheckId::new(id))
            .unwrap()
            .references
    }

    #[test]
    fn items_and_summary() {
        assert_eq!(
            items(&refs("R10"), Framework::Cis),
            ["2.2", "2.5", "2.15 (2016/2017)"]
        );
        assert_eq!(
            summary(&refs("R10")),
            "CIS 2.2, 2.5, 2.15 (2016/2017); STIG 2016: 4, 2022: 4; VA 5; dbachecks 4; sp_Blitz 2"
        );
        assert_eq!(summary(&refs("R14")), "–");
        assert_eq!(items(&refs("X02"), Framework::SpBlitz), ["1", "2"]);
    }
}
