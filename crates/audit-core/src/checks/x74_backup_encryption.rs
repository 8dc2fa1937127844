//! X74 – backups are encrypted, unless the database is encrypted with TDE (CIS 7.3).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// A backup file leaves the server: copied to shares, tapes and cloud storage, it carries the
/// whole database to wherever it goes.
pub const CHECK: Check = Check {
    id: CheckId::new("X74"),
    title: "Backups encrypted",
    severity: Severity::Medium,
    rationale: "An unencrypted backup can be restored by anyone who gets the file, on any \
                server. From SQL Server 2014, BACKUP … WITH ENCRYPTION protects it with a \
                certificate or asymmetric key of the server (whose own backup must then be kept \
                safe, R11). A database encrypted with TDE produces encrypted backups anyway. CIS \
                7.3 judges the latest full backup of each user database.",
    outcomes: Outcomes {
        pass: "the latest full backup is encrypted (backupset.key_algorithm), or the database uses TDE",
        fail_or_warn: "FAIL (medium): the latest full backup of a user database without TDE is not encrypted",
        other: "UNKNOWN: databases unreadable or the algorithm not read; no row for a database never backed up (X02 fails it); NOT APPLICABLE before SQL Server 2014",
    },
    family: Family::DataProtection,
    applies_to: Applicability {
        since_major: Some(12),
        ..Applicability::ALL
    },
    references: References {
        cis: &[cis("7.3")],
        ..References::NONE
    },
    reads: &[FactId::Databases],
    placement: &[on("database", Sheet::Backups)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Per online user database with a full backup: TDE → PASS; key_algorithm set → PASS; empty →
/// FAIL; not read → UNKNOWN.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(databases) = gaps.take("databases", &s.databases) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for db in databases
        .iter()
        .filter(|d| !d.is_system() && d.last_full_backup.is_some())
    {
        // The collector reads NO_Encryption as empty; a stored or foreign value is normalised
        // here too (backupset: "NO_Encryption value indicated that the backup was not
        // encrypted").
        let algorithm = db.last_full_backup_encryption.as_deref().map(|a| {
            if a.trim().eq_ignore_ascii_case("NO_Encryption") {
                ""
            } else {
                a
            }
        });
        let draft = |status| {
            check
                .finding(status, "database", db.name.clone(), database_key(&db.name))
                .ev(
                    "last_full_backup",
                    db.last_full_backup.as_deref().unwrap_or("never"),
                )
                .ev(
                    "backup_key_algorithm",
                    match algorithm {
                        Some("") => "none",
                        Some(a) => a,
                        None => "unknown",
                    },
                )
                .ev("tde", yes_no(db.encrypted))
        };
        let finding = match algorithm {
            _ if db.encrypted => draft(Status::Pass).message(format!(
                "Database `{}` uses TDE: its backups are encrypted.",
                db.name
            )),
            Some("") => draft(Status::Fail).message(format!(
                "The latest full backup of database `{}` is not encrypted: whoever gets the file can \
                 restore it anywhere. Back it up WITH ENCRYPTION (ALGORITHM = AES_256, SERVER \
                 CERTIFICATE = …) and keep the certificate's own backup safe.",
                db.name
            )),
            Some(a) => draft(Status::Pass).message(format!(
                "The latest full backup of database `{}` is encrypted ({a}).",
                db.name
            )),
            None => draft(Status::Unknown).message(format!(
                "Whether the latest full backup of database `{}` is encrypted was not read.",
                db.name
            )),
        };
        out.push(finding.done());
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "{} has no backed-up user database to judge.",
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
    fn encrypted_or_tde_passes() {
        let mut s = compliant_snapshot();
        edit(&mut s.databases)[4].encrypted = false;
        let f = run(&CHECK, &s);
        assert_eq!(
            single(&f, Status::Pass).evidence["backup_key_algorithm"],
            "AES_256"
        );
    }

    #[test]
    fn unencrypted_fails_and_unread_is_unknown() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.databases)[4];
        sales.encrypted = false;
        sales.last_full_backup_encryption = Some(String::new());
        single(&run(&CHECK, &s), Status::Fail);
        edit(&mut s.databases)[4].last_full_backup_encryption = Some("NO_Encryption".into());
        single(&run(&CHECK, &s), Status::Fail);
        edit(&mut s.databases)[4].last_full_backup_encryption = None;
        single(&run(&CHECK, &s), Status::Unknown);
        assert_eq!(CHECK.applies_to.since_major, Some(12));
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.databases = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
