//! X71 – user databases are encrypted at rest with TDE where the organisation requires it (CIS
//! 7.5, VA1219, STIG SQL6-D0-009500 / SQLI-22-009500, SQL6-D0-003300 / SQLD-22-003300).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Data files and backups of an unencrypted database can be read by anyone who gets a copy of
/// them; whether every database must be encrypted is the organisation's decision.
pub const CHECK: Check = Check {
    id: CheckId::new("X71"),
    title: "User databases encrypted with TDE (where required)",
    severity: Severity::Medium,
    rationale: "Transparent Data Encryption encrypts a database's data and log files and its \
                backups, so a stolen disk, file copy or backup is unreadable without the server's \
                certificate. The STIG requires protection of information at rest, CIS 7.5 and \
                Vulnerability Assessment ask for TDE. TDE needs Enterprise or Developer edition \
                before SQL Server 2019, Standard too from 2019. Set \
                `thresholds.require_tde` when the organisation requires it; otherwise \
                unencrypted databases are listed for information.",
    outcomes: Outcomes {
        pass: "user database encrypted (sys.databases.is_encrypted)",
        fail_or_warn: "FAIL (medium): not encrypted while `thresholds.require_tde` is true (the message says when the edition has no TDE)",
        other: "INFO: not encrypted and TDE not required; UNKNOWN: databases unreadable",
    },
    family: Family::DataProtection,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("7.5")],
        stig_2016: &["SQL6-D0-009500", "SQL6-D0-003300", "SQL6-D0-003400"],
        stig_2022: &["SQLI-22-009500", "SQLD-22-003300"],
        va: &["VA1219"],
        sp_blitz: &[21],
        ..References::NONE
    },
    reads: &[FactId::Databases],
    placement: &[on("database", Sheet::Databases)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Whether this edition and version offer TDE: Enterprise (engine edition 3, Developer and
/// Evaluation too) always, Standard (2) from 2019 (learn.microsoft.com: "Editions and supported
/// features of SQL Server 2019", Security).
fn edition_has_tde(s: &Snapshot) -> bool {
    s.server.engine_edition == 3 || (s.server.engine_edition == 2 && s.server.version.major >= 15)
}

/// Per user database: encrypted → PASS; not encrypted → FAIL when required, INFO otherwise.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(databases) = gaps.take("databases", &s.databases) else {
        return gaps.only_unknown(check, s);
    };
    let has_tde = edition_has_tde(s);
    let mut out = Vec::new();
    for db in databases.iter().filter(|d| !d.is_system()) {
        let draft = |status| {
            check
                .finding(status, "database", db.name.clone(), database_key(&db.name))
                .ev("encrypted", yes_no(db.encrypted))
                .ev("tde_required", yes_no(policy.require_tde))
                .ev("edition_has_tde", yes_no(has_tde))
        };
        let finding = if db.encrypted {
            draft(Status::Pass).message(format!("Database `{}` is encrypted with TDE.", db.name))
        } else if policy.require_tde {
            draft(Status::Fail).message(format!(
                "Database `{}` is not encrypted, and thresholds.require_tde requires TDE{}.",
                db.name,
                if has_tde {
                    ": create a database encryption key (protected by a backed-up certificate in master) and SET ENCRYPTION ON"
                } else {
                    "; this edition has no TDE (Enterprise, or Standard from SQL Server 2019): upgrade it or document the exception"
                }
            ))
        } else {
            draft(Status::Info).message(format!(
                "Database `{}` is not encrypted at rest (TDE is not required by thresholds.require_tde).",
                db.name
            ))
        };
        out.push(finding.done());
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
    fn encrypted_passes_and_unencrypted_is_info_unless_required() {
        let mut s = compliant_snapshot();
        edit(&mut s.databases).push(database("Archive", 6));
        let f = run(&CHECK, &s);
        assert_eq!(by_key(&f, "database:salesdb").status, Status::Pass);
        assert_eq!(by_key(&f, "database:archive").status, Status::Info);
        let mut p = policy();
        p.require_tde = true;
        let f = (CHECK.rule)(&CHECK, &s, &p);
        assert_eq!(by_key(&f, "database:archive").status, Status::Fail);
    }

    #[test]
    fn standard_edition_has_tde_from_2019() {
        let mut s = compliant_snapshot();
        s.server.engine_edition = 2;
        s.server.version = "14.0.3456.2".parse().unwrap();
        assert!(!edition_has_tde(&s));
        s.server.version = "15.0.4430.1".parse().unwrap();
        assert!(edition_has_tde(&s));
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.databases = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
