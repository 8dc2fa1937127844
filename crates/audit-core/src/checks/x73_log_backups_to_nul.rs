//! X73 – no log backup is thrown away to the NUL device (sp_Blitz 256).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// `BACKUP LOG … TO DISK = 'NUL'` truncates the log and writes nothing: the log chain is broken
/// while the history says a log backup ran.
pub const CHECK: Check = Check {
    id: CheckId::new("X73"),
    title: "No log backups written to NUL",
    severity: Severity::Medium,
    rationale: "A log backup written to the NUL device discards the log: every later log backup \
                is useless for a restore until the next full or differential backup, yet msdb \
                records a successful log backup, so monitoring believes the database is \
                protected. It is usually a script meant to shrink a full log; switch such a \
                database to SIMPLE recovery instead, or keep the log backups.",
    outcomes: Outcomes {
        pass: "one row: no database's backup history has a log backup to NUL",
        fail_or_warn: "FAIL (medium): each database whose latest log backup to NUL is more recent than its latest full backup (the chain is broken now)",
        other: "INFO: a log backup to NUL that a later full backup superseded; UNKNOWN: databases unreadable",
    },
    family: Family::DataProtection,
    applies_to: Applicability::ALL,
    references: References {
        sp_blitz: &[256],
        ..References::NONE
    },
    reads: &[FactId::Databases],
    placement: &[on("database", Sheet::Backups)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Per database with a log backup to NUL (backupmediafamily.physical_device_name) → FAIL; none
/// → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(databases) = gaps.take("databases", &s.databases) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for db in databases {
        let Some(when) = &db.last_nul_log_backup else {
            continue;
        };
        // A full backup after it restarts the log chain: history, not a broken chain.
        let restarted = db
            .last_full_backup
            .as_deref()
            .and_then(|full| (parse_timestamp(full)? > parse_timestamp(when)?).then_some(full));
        if let Some(full) = restarted {
            out.push(
                check
                    .finding(Status::Info, "database", db.name.clone(), database_key(&db.name))
                    .ev("last_nul_log_backup", when)
                    .ev("last_full_backup", full)
                    .message(format!(
                        "Database `{}` had a log backup to NUL on {when}; the full backup of {full} \
                         restarted the log chain. Make sure the job that did it is gone.",
                        db.name
                    ))
                    .done(),
            );
            continue;
        }
        out.push(
            check
                .finding(Status::Fail, "database", db.name.clone(), database_key(&db.name))
                .ev("last_nul_log_backup", when)
                .ev("recovery_model", &db.recovery_model)
                .message(format!(
                    "Database `{}` had its log backed up to NUL (latest {when}): the log chain is broken \
                     from there to the next full backup, while the history shows a log backup. Stop \
                     the job that does it; switch the database to SIMPLE recovery if point-in-time \
                     restore is not wanted, then take a full backup.",
                    db.name
                ))
                .done(),
        );
    }
    check.pass_if_none(
        &mut out,
        s,
        format!("No log backup of {} was written to NUL.", instance_name(s)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn no_nul_backup_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn a_nul_log_backup_fails_until_a_full_backup_restarts_the_chain() {
        let mut s = compliant_snapshot();
        edit(&mut s.databases)[4].last_nul_log_backup = Some("2025-12-01 11:45:00".into());
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Fail);
        assert_eq!(hit.evidence["last_nul_log_backup"], "2025-12-01 11:45:00");
        edit(&mut s.databases)[4].last_nul_log_backup = Some("2025-11-30 23:00:00".into());
        single(&run(&CHECK, &s), Status::Info);
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.databases = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
