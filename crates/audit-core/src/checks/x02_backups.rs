//! X02 – recent full backups of every database (tempdb excepted).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// A database without a recent full backup is one failure away from permanent loss; master,
/// model and msdb hold the logins, jobs and configuration needed to rebuild the server.
pub const CHECK: Check = Check {
    id: CheckId::new("X02"),
    title: "Recent full backups",
    severity: Severity::High,
    rationale: "Every database, system databases included (tempdb excepted), needs a recent full backup: \
                master, msdb and model hold the logins, jobs and configuration needed to rebuild the \
                server. Older than thresholds.backup_max_age_days (default 7) or never → FAIL; older than \
                thresholds.backup_warn_age_days (default 1) → WARN. A user database in FULL recovery \
                without any log backup also WARNs (its log grows without bound and point-in-time \
                restore is impossible), and so does one whose log backups stopped more than \
                thresholds.backup_warn_age_days ago. A differential backup within the warning age \
                counts as recent.",
    outcomes: Outcomes {
        pass: "last full backup within `thresholds.backup_warn_age_days` (default 1)",
        fail_or_warn: "FAIL: never, or older than `thresholds.backup_max_age_days` (default 7); WARN (medium): older than the warning age (and no differential since), or a user database in FULL or BULK_LOGGED recovery whose log backups never ran or stopped more than the warning age ago",
        other: "INFO: database not online (not evaluated); UNKNOWN: date unreadable, or databases unreadable",
    },
    family: Family::DataProtection,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-001500"],
        stig_2022: &["SQLD-22-001500"],
        dbachecks: &["LastFullBackup", "LastDiffBackup", "LastLogBackup"],
        sp_blitz: &[1, 2],
        ..References::NONE
    },
    reads: &[FactId::Databases],
    placement: &[on("database", Sheet::Backups)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Per online database except tempdb: never backed up or older than the maximum → FAIL; older
/// than the warning age without a differential since → WARN; user database in FULL recovery
/// with no log backup ever, or in FULL / BULK_LOGGED with none within the warning age → WARN;
/// otherwise PASS. Not online → INFO (listed, not evaluated). A date that cannot be read →
/// UNKNOWN for that database.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(databases) = gaps.take("databases", &s.databases) else {
        return gaps.only_unknown(check, s);
    };
    let Some(now) = parse_timestamp(&policy.now) else {
        return vec![
            check
                .instance_finding(s, Status::Unknown)
                .message(format!(
                    "The audit clock `{}` is not a date; backup ages cannot be computed.",
                    policy.now
                ))
                .done(),
        ];
    };
    let (max, warn) = (policy.backup_max_age_days, policy.backup_warn_age_days);
    let mut out = Vec::new();
    for db in databases.iter().filter(|db| !same_name(&db.name, "tempdb")) {
        let name = &db.name;
        let draft = |status| {
            check
                .finding(
                    status,
                    "database",
                    name.clone(),
                    entity_key("database", &[name]),
                )
                .ev("state", &db.state)
                .ev("recovery_model", &db.recovery_model)
                .ev(
                    "last_full_backup",
                    db.last_full_backup.as_deref().unwrap_or("never"),
                )
                .ev(
                    "last_log_backup",
                    db.last_log_backup.as_deref().unwrap_or("never"),
                )
                .ev(
                    "last_diff_backup",
                    db.last_diff_backup.as_deref().unwrap_or("never"),
                )
        };
        if !db.state.eq_ignore_ascii_case("ONLINE") {
            out.push(
                draft(Status::Info)
                    .message(format!(
                        "Database `{name}` is {}: backups not evaluated.",
                        db.state
                    ))
                    .done(),
            );
            continue;
        }
        let Some(last) = &db.last_full_backup else {
            out.push(
                draft(Status::Fail)
                    .message(format!("Database `{name}` has NEVER had a full backup."))
                    .done(),
            );
            continue;
        };
        let Some(then) = parse_timestamp(last) else {
            out.push(
                draft(Status::Unknown)
                    .message(format!(
                        "Database `{name}`: the last full backup date `{last}` cannot be read."
                    ))
                    .done(),
            );
            continue;
        };
        let age_days = (now - then) as f64 / 86_400.0;
        let age = format!("{age_days:.1}");
        let days_since = |date: &Option<String>| {
            date.as_deref()
                .and_then(parse_timestamp)
                .map(|t| (now - t) as f64 / 86_400.0)
        };
        // A recent differential restores to the same point as a recent full backup would
        // (dbachecks LastDiffBackup).
        let diff_days = days_since(&db.last_diff_backup).filter(|d| *d <= f64::from(warn));
        let log_days = days_since(&db.last_log_backup);
        let logged = !db.is_system()
            && (db.recovery_model.eq_ignore_ascii_case("FULL")
                || db.recovery_model.eq_ignore_ascii_case("BULK_LOGGED"));
        let finding = if age_days > f64::from(max) {
            draft(Status::Fail)
                .message(format!("Database `{name}`: last full backup {age} days ago ({last}), more than {max} days."))
                .done()
        } else if age_days > f64::from(warn) && diff_days.is_none() {
            draft(Status::Warn)
                .severity(Severity::Medium)
                .message(format!("Database `{name}`: last full backup {age} days ago ({last}), more than {warn} day(s)."))
                .done()
        } else if !db.is_system()
            && db.recovery_model.eq_ignore_ascii_case("FULL")
            && db.last_log_backup.is_none()
        {
            draft(Status::Warn)
                .severity(Severity::Medium)
                .message(format!(
                    "Database `{name}` is in FULL recovery but has never had a log backup: schedule log backups or switch to SIMPLE."
                ))
                .done()
        } else if logged && log_days.is_some_and(|d| d > f64::from(warn)) {
            draft(Status::Warn)
                .severity(Severity::Medium)
                .message(format!(
                    "Database `{name}` is in {} recovery but its last log backup was {:.1} days ago: log backups have stopped, the log grows and point-in-time restore ends there.",
                    db.recovery_model,
                    log_days.unwrap_or_default()
                ))
                .done()
        } else if let Some(diff) = diff_days.filter(|_| age_days > f64::from(warn)) {
            draft(Status::Pass)
                .message(format!(
                    "Database `{name}`: last full backup {age} days ago ({last}), differential {diff:.1} days ago."
                ))
                .done()
        } else {
            draft(Status::Pass)
                .message(format!(
                    "Database `{name}`: last full backup {age} days ago ({last})."
                ))
                .done()
        };
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn sales(full: Option<&str>) -> Finding {
        let mut s = compliant_snapshot();
        edit(&mut s.databases)[4].last_full_backup = full.map(str::to_owned);
        by_key(&run(&CHECK, &s), "database:salesdb").clone()
    }

    #[test]
    fn recent_backups_pass_for_system_and_user_databases_but_not_tempdb() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(f.len(), 4);
        assert!(f.iter().all(|f| f.status == Status::Pass));
        assert!(f.iter().all(|f| f.entity_key != "database:tempdb"));
        assert_eq!(by_key(&f, "database:master").status, Status::Pass);
    }

    #[test]
    fn ages_decide() {
        let f = sales(Some("2025-11-20 12:00:00"));
        assert_eq!((f.status, f.severity), (Status::Fail, Severity::High));
        assert!(f.message.contains("SalesDB") && f.message.contains("11.0 days"));
        let f = sales(Some("2025-11-28 12:00:00"));
        assert_eq!((f.status, f.severity), (Status::Warn, Severity::Medium));
        let f = sales(None);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("NEVER"));
        assert_eq!(sales(Some("last tuesday")).status, Status::Unknown);
    }

    /// M88: a recent differential counts as a recent backup; stopped log backups warn.
    #[test]
    fn differentials_count_and_stopped_log_backups_warn() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.databases)[4];
        sales.last_full_backup = Some("2025-11-28 12:00:00".into());
        sales.last_diff_backup = Some("2025-12-01 02:00:00".into());
        let f = run(&CHECK, &s);
        let hit = by_key(&f, "database:salesdb");
        assert_eq!(hit.status, Status::Pass);
        assert!(hit.message.contains("differential"));
        let sales = &mut edit(&mut s.databases)[4];
        sales.last_full_backup = Some("2025-12-01 02:00:00".into());
        sales.last_log_backup = Some("2025-11-25 12:00:00".into());
        let f = run(&CHECK, &s);
        let hit = by_key(&f, "database:salesdb");
        assert_eq!(hit.status, Status::Warn);
        assert!(hit.message.contains("log backups have stopped"));
    }

    #[test]
    fn full_recovery_without_log_backup_warns() {
        let mut s = compliant_snapshot();
        edit(&mut s.databases)[4].last_log_backup = None;
        let f = run(&CHECK, &s);
        assert!(
            by_key(&f, "database:salesdb")
                .message
                .contains("log backup")
        );
        assert_eq!(by_key(&f, "database:salesdb").status, Status::Warn);
    }

    #[test]
    fn thresholds_offline_and_unreadable() {
        let mut s = compliant_snapshot();
        edit(&mut s.databases)[4].last_full_backup = Some("2025-11-28 12:00:00".to_owned());
        edit(&mut s.databases)[3].state = "OFFLINE".to_owned();
        let mut p = policy();
        p.backup_warn_age_days = 5;
        let f = (CHECK.rule)(&CHECK, &s, &p);
        assert_eq!(by_key(&f, "database:salesdb").status, Status::Pass);
        assert_eq!(by_key(&f, "database:msdb").status, Status::Info);
        s.databases = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
