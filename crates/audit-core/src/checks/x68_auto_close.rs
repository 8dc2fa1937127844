//! X68 – AUTO_CLOSE is off (CIS 2.15 on contained databases, Vulnerability Assessment VA1051 on
//! all of them).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis, cis2017};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// A contained database that closes after its last user leaves must authenticate the next
/// contained user by opening itself first: each failed login attempt costs the server an
/// open, which turns password guessing into a denial of service.
pub const CHECK: Check = Check {
    id: CheckId::new("X68"),
    title: "AUTO_CLOSE off",
    severity: Severity::Medium,
    rationale: "With AUTO_CLOSE on, a database is shut down when its last connection ends and \
                opened again by the next one. For a contained database every login attempt — \
                failed ones included — must open it to check the password, so anyone can keep \
                the server busy opening and closing it (CIS 2.15). Vulnerability Assessment asks \
                for AUTO_CLOSE off on every database; it also costs every first query a start-up.",
    outcomes: Outcomes {
        pass: "one row: AUTO_CLOSE is off in every database",
        fail_or_warn: "FAIL (medium): each database with AUTO_CLOSE on, contained or not (fix: ALTER DATABASE … SET AUTO_CLOSE OFF)",
        other: "UNKNOWN: the databases unreadable, or the option not read for a database",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("2.15"), cis2017("2.16")],
        va: &["VA1051"],
        dbachecks: &["ContainedDBAutoClose", "AutoClose"],
        ..References::NONE
    },
    reads: &[FactId::Databases],
    placement: &[on("database", Sheet::Databases)],
    remediation: RemediationCategory::Safe,
    rule,
};

/// Per database: `is_auto_close_on` 1 → FAIL; not read → UNKNOWN; none on → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(databases) = gaps.take("databases", &s.databases) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for db in databases {
        let contained = db
            .containment
            .as_deref()
            .is_some_and(|c| !c.eq_ignore_ascii_case("NONE"));
        let draft = |status| {
            check
                .finding(status, "database", db.name.clone(), database_key(&db.name))
                .ev("auto_close", or_unknown(db.auto_close.map(yes_no)))
                .ev("contained", yes_no(contained))
        };
        match db.auto_close {
            Some(true) => out.push(
                draft(Status::Fail)
                    .remediation(RemediationCategory::Safe)
                    .fix(crate::Fix::DatabaseOptionOff {
                        database: db.name.clone(),
                        option: crate::DatabaseOption::AutoClose,
                    })
                    .message(format!(
                        "Database `{}` has AUTO_CLOSE on{}. ALTER DATABASE [{}] SET AUTO_CLOSE OFF.",
                        db.name,
                        if contained {
                            ": it is contained, so every login attempt, failed ones included, opens it again"
                        } else {
                            ": it is shut down after each last connection and reopened by the next"
                        },
                        db.name.replace(']', "]]")
                    ))
                    .done(),
            ),
            Some(false) => {}
            None => out.push(
                draft(Status::Unknown)
                    .message(format!(
                        "AUTO_CLOSE of database `{}` was not read (a snapshot stored before it was collected).",
                        db.name
                    ))
                    .done(),
            ),
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "AUTO_CLOSE is off in every database of {}.",
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
    fn off_everywhere_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn on_fails_with_a_fix_louder_for_contained() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.databases)[4];
        sales.auto_close = Some(true);
        sales.containment = Some("PARTIAL".into());
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Fail);
        assert!(hit.fix.is_some());
        assert!(hit.message.contains("every login attempt"));
    }

    #[test]
    fn unread_is_unknown() {
        let mut s = compliant_snapshot();
        edit(&mut s.databases)[4].auto_close = None;
        single(&run(&CHECK, &s), Status::Unknown);
        s.databases = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
