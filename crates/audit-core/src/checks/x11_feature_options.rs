//! X11 – the feature options the STIG requires off (and PolyBase encryption on).
//!
//! Versions and defaults are Microsoft's, one page per option (the docs win over the coverage
//! map where they differ):
//! - "Server configuration options" (the table of ranges and defaults):
//!   <https://learn.microsoft.com/sql/database-engine/configure-windows/server-configuration-options-sql-server>
//! - `user options`: <https://learn.microsoft.com/sql/database-engine/configure-windows/configure-the-user-options-server-configuration-option>
//!   (0–32767, default 0, every version);
//! - `filestream access level`: <https://learn.microsoft.com/sql/database-engine/configure-windows/filestream-access-level-server-configuration-option>
//!   (0 off, 1 T-SQL, 2 T-SQL and Win32 streaming; default 0; 2008+);
//! - `Replication XPs`: <https://learn.microsoft.com/sql/database-engine/configure-windows/replication-xps-server-configuration-option>
//!   (default 0, every version);
//! - `hadoop connectivity`: <https://learn.microsoft.com/sql/database-engine/configure-windows/polybase-connectivity-configuration-transact-sql>
//!   (default 0, 2016+). The coverage map says 2016–2019: Hadoop is no longer supported by
//!   PolyBase from 2022 (<https://learn.microsoft.com/sql/relational-databases/polybase/polybase-configure-hadoop>),
//!   but no page says the option left `sys.configurations`, and the 2022 STIG
//!   (SQLI-22-017400) still checks it; so it is judged wherever it is listed, 2016 and later.
//! - `allow polybase export`: <https://learn.microsoft.com/sql/database-engine/configure-windows/allow-polybase-export>
//!   (default 0, "SQL Server 2016 (13.x) and later versions");
//! - `polybase network encryption`: <https://learn.microsoft.com/sql/database-engine/configure-windows/polybase-network-encryption-server-configuration-option>
//!   (default 1, enabled "for security compliance"; 2016+);
//! - `remote data archive`: <https://learn.microsoft.com/sql/database-engine/configure-windows/configure-the-remote-data-archive-server-configuration-option>
//!   (Stretch Database; default 0; 2016+, deprecated in 2022 but not documented as removed:
//!   the map's 2016–2019 is not followed, it is judged wherever it is listed);
//! - `SQL Mail XPs`: <https://learn.microsoft.com/previous-versions/sql/sql-server-2008-r2/ms190755(v=sql.105)>
//!   (default 0; SQL Mail was removed in SQL Server 2012, so 2005–2008 R2 only).

use super::Outcomes;
use super::settings::{self, Setting};
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity};

/// Features the DISA STIG requires disabled "unless specifically required and approved", one
/// finding per option, on the versions that have it.
pub const CHECK: Check = Check {
    id: CheckId::new("X11"),
    title: "Feature options the STIG requires off",
    severity: Severity::Medium,
    rationale: "Each of these sp_configure options turns on a feature that widens what the instance \
                exposes or runs: server-wide SET defaults for every session (`user options`), FILESTREAM \
                file access, replication extended procedures, PolyBase Hadoop connectivity and export, \
                Stretch Database (`remote data archive`) and the retired SQL Mail. The STIG and \
                Vulnerability Assessment require each off unless it is required and approved, and \
                PolyBase network encryption on. Each option is one finding; the value in use decides, \
                a pending change is said; an option a version does not have is skipped.",
    outcomes: Outcomes {
        pass: "each option at its required value: `user options` 0 (low), `filestream access level` 0, `Replication XPs` 0, `hadoop connectivity` 0 (2016+), `allow polybase export` 0 (2016+), `polybase network encryption` 1 (2016+), `remote data archive` 0 (2016+), `SQL Mail XPs` 0 (2008/2008 R2 only, low)",
        fail_or_warn: "as R10, per option: FAIL with the option's severity when the value in use is not the required one (saying when the fix is only pending); WARN (low) when the value in use is right but another is configured",
        other: "as R10; options a version does not have are skipped (SQL Mail XPs from 2012, the PolyBase and Stretch options before 2016)",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &[
            "SQL6-D0-016800",
            "SQL6-D0-017100",
            "SQL6-D0-017400",
            "SQL6-D0-017500",
            "SQL6-D0-017600",
            "SQL6-D0-017900",
        ],
        stig_2022: &[
            "SQLI-22-016800",
            "SQLI-22-017100",
            "SQLI-22-017400",
            "SQLI-22-017500",
            "SQLI-22-017600",
            "SQLI-22-017900",
        ],
        va: &["VA1230", "VA1235", "VA1277", "VA2120", "VA2122", "VA2126"],
        dbachecks: &["SQLMailXPsDisabled"],
        ..References::NONE
    },
    reads: &[FactId::Configuration],
    placement: &[on("config", Sheet::Configuration)],
    remediation: RemediationCategory::Safe,
    rule,
};

/// The options (coverage map M43–M49, M51), with the versions that have them.
const SETTINGS: [Setting; 8] = [
    // M43: STIG SQL6-D0-017100 / SQLI-22-017100, VA2122.
    Setting {
        name: "user options",
        required: 0,
        severity: Severity::Low,
        since_major: 10,
        until_major: None,
        why: "server-wide SET defaults would apply to every new session",
    },
    // M44: STIG SQL6-D0-016800 / SQLI-22-016800, VA1230.
    Setting {
        name: "filestream access level",
        required: 0,
        severity: Severity::Medium,
        since_major: 10,
        until_major: None,
        why: "FILESTREAM is on: database files are reachable through T-SQL or Win32 streaming unless it is required and approved",
    },
    // M45: STIG SQL6-D0-017900 / SQLI-22-017900, VA1235.
    Setting {
        name: "Replication XPs",
        required: 0,
        severity: Severity::Medium,
        since_major: 10,
        until_major: None,
        why: "replication extended procedures would be callable without replication in use",
    },
    // M46: STIG SQL6-D0-017400 / SQLI-22-017400, VA2126.
    Setting {
        name: "hadoop connectivity",
        required: 0,
        severity: Severity::Medium,
        since_major: 13,
        until_major: None,
        why: "PolyBase would connect to external Hadoop or Azure Blob storage",
    },
    // M47: STIG SQL6-D0-017500 / SQLI-22-017500, VA2126.
    Setting {
        name: "allow polybase export",
        required: 0,
        severity: Severity::Medium,
        since_major: 13,
        until_major: None,
        why: "data could be written out of the instance to external tables and files",
    },
    // M48: VA1277.
    Setting {
        name: "polybase network encryption",
        required: 1,
        severity: Severity::Medium,
        since_major: 13,
        until_major: None,
        why: "PolyBase's control and data channels would travel unencrypted",
    },
    // M49: STIG SQL6-D0-017600 / SQLI-22-017600.
    Setting {
        name: "remote data archive",
        required: 0,
        severity: Severity::Medium,
        since_major: 13,
        until_major: None,
        why: "databases could be stretched to Azure (Stretch Database, deprecated)",
    },
    // M51: dbachecks SQLMailXPsDisabled.
    Setting {
        name: "SQL Mail XPs",
        required: 0,
        severity: Severity::Low,
        since_major: 10,
        until_major: Some(10),
        why: "the retired SQL Mail procedures would be callable",
    },
];

/// One finding per option, by [`settings::evaluate`]; options the version does not have
/// (before 2016, or `SQL Mail XPs` from 2012) are skipped.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    settings::evaluate(check, s, &SETTINGS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::{BuildNumber, Status};

    fn set(s: &mut Snapshot, name: &str, value: i64, value_in_use: i64) {
        let row = edit(&mut s.configuration)
            .iter_mut()
            .find(|c| c.name == name)
            .unwrap();
        row.value = value;
        row.value_in_use = value_in_use;
    }

    #[test]
    fn compliant_2022_passes_every_option_it_has() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(f.len(), 7, "SQL Mail XPs is not on 2022");
        assert!(f.iter().all(|f| f.status == Status::Pass), "{f:#?}");
        assert!(
            by_key(&f, "config:polybase network encryption")
                .message
                .contains("is 1 as required")
        );
    }

    #[test]
    fn features_on_fail_with_their_severity() {
        let mut s = compliant_snapshot();
        set(&mut s, "filestream access level", 2, 2);
        set(&mut s, "user options", 512, 512);
        set(&mut s, "polybase network encryption", 0, 0);
        let f = run(&CHECK, &s);
        let fs = by_key(&f, "config:filestream access level");
        assert_eq!((fs.status, fs.severity), (Status::Fail, Severity::Medium));
        assert!(fs.message.contains("FILESTREAM is on"), "{}", fs.message);
        let uo = by_key(&f, "config:user options");
        assert_eq!((uo.status, uo.severity), (Status::Fail, Severity::Low));
        let enc = by_key(&f, "config:polybase network encryption");
        assert_eq!((enc.status, enc.severity), (Status::Fail, Severity::Medium));
        assert!(enc.message.contains("required 1"));
    }

    #[test]
    fn pending_values_warn_or_say_pending() {
        let mut s = compliant_snapshot();
        set(&mut s, "Replication XPs", 1, 0);
        set(&mut s, "allow polybase export", 0, 1);
        let f = run(&CHECK, &s);
        let repl = by_key(&f, "config:replication xps");
        assert_eq!((repl.status, repl.severity), (Status::Warn, Severity::Low));
        let export = by_key(&f, "config:allow polybase export");
        assert_eq!(export.status, Status::Fail);
        assert!(export.message.contains("already configured"));
    }

    #[test]
    fn sql_mail_is_judged_on_2008_r2_only() {
        let mut s = compliant_snapshot();
        s.server.version = BuildNumber::new(10, 50, 6000, 34);
        edit(&mut s.configuration).retain(|c| {
            !matches!(
                c.name.as_str(),
                "hadoop connectivity"
                    | "allow polybase export"
                    | "polybase network encryption"
                    | "remote data archive"
            )
        });
        // Listed by a 2008 R2 server: judged, and on it fails (low).
        let mut on_2008 = s.clone();
        edit(&mut on_2008.configuration).push(config("SQL Mail XPs", 1));
        let f = run(&CHECK, &on_2008);
        assert_eq!(f.len(), 4, "{f:#?}");
        let mail = by_key(&f, "config:sql mail xps");
        assert_eq!((mail.status, mail.severity), (Status::Fail, Severity::Low));
        // Missing on 2008 R2, which has it: UNKNOWN.
        let f = run(&CHECK, &s);
        assert_eq!(by_key(&f, "config:sql mail xps").status, Status::Unknown);
        // Missing on 2012, which does not: skipped, as are the 2016 options on 2014.
        s.server.version = BuildNumber::new(11, 0, 7001, 0);
        assert_eq!(run(&CHECK, &s).len(), 3);
        s.server.version = BuildNumber::new(12, 0, 6449, 1);
        assert_eq!(run(&CHECK, &s).len(), 3);
    }

    #[test]
    fn version_boundaries_of_the_2016_options() {
        let mut s = compliant_snapshot();
        edit(&mut s.configuration).retain(|c| c.name != "allow polybase export");
        s.server.version = BuildNumber::new(12, 0, 6449, 1);
        assert!(
            run(&CHECK, &s)
                .iter()
                .all(|f| f.entity_key != "config:allow polybase export")
        );
        s.server.version = BuildNumber::new(13, 0, 6300, 2);
        assert_eq!(
            by_key(&run(&CHECK, &s), "config:allow polybase export").status,
            Status::Unknown
        );
        s.configuration = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
