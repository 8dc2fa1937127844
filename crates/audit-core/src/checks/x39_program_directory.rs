//! X39 – SQL Server's program files live in a directory of their own, outside the Windows
//! directory and other applications' folders (STIG SQL6-D0-006800 / SQLI-22-006800).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Software sharing a directory with the operating system or another application shares
/// its access rights, and a flaw in one exposes the other.
pub const CHECK: Check = Check {
    id: CheckId::new("X39"),
    title: "SQL Server installed in a dedicated directory",
    severity: Severity::Medium,
    rationale: "Database software installed inside the operating system's directory, or in \
                another application's folder, shares that directory's access rights: a flaw in \
                one can be used against the other, and changes to one are changes to both. The \
                STIG compares the instance's root directory (registry Setup\\SQLPath, SSMS's \
                RootDirectory facet) with %windir%: inside it is a finding; inside another \
                application's directory is too, which only a look at the folder can tell.",
    outcomes: Outcomes {
        pass: "the program directory is a `Microsoft SQL Server` folder outside the Windows directory",
        fail_or_warn: "FAIL: inside the Windows directory",
        other: "REVIEW: another location, or SQLPath absent (confirm that the directory holds SQL Server only); UNKNOWN: the registry could not be read; NOT APPLICABLE on Linux",
    },
    family: Family::Services,
    applies_to: Applicability::WINDOWS,
    references: References {
        stig_2016: &["SQL6-D0-006800"],
        stig_2022: &["SQLI-22-006800"],
        ..References::NONE
    },
    reads: &[FactId::HostSettings],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Whether `path` is `dir` or inside it (case-insensitive, either slash, trailing slash
/// ignored).
fn is_within(path: &str, dir: &str) -> bool {
    let norm = |p: &str| {
        p.trim()
            .replace('/', "\\")
            .trim_end_matches('\\')
            .to_lowercase()
    };
    let (path, dir) = (norm(path), norm(dir));
    !dir.is_empty() && (path == dir || path.starts_with(&format!("{dir}\\")))
}

/// Inside SystemRoot → FAIL; under a `Microsoft SQL Server` folder → PASS; anywhere else or
/// unknown → REVIEW.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(host) = gaps.take("host_settings", &s.host_settings) else {
        return gaps.only_unknown(check, s);
    };
    // SystemRoot is always set on Windows; should it be unreadable, the default is assumed and
    // the evidence says so.
    let windows = host.system_root.as_deref().unwrap_or("C:\\Windows");
    let draft = |status| {
        check
            .instance_finding(s, status)
            .ev("sql_path", host.sql_path.as_deref().unwrap_or("absent"))
            .ev(
                "system_root",
                host.system_root
                    .as_deref()
                    .unwrap_or("absent (assumed C:\\Windows)"),
            )
    };
    let finding = match host.sql_path.as_deref().map(str::trim) {
        None | Some("") => draft(Status::Review).message(format!(
            "{}'s program directory (Setup\\SQLPath) is not in the registry: confirm by hand \
             that SQL Server is installed outside {windows} and outside other applications' \
             folders.",
            instance_name(s)
        )),
        Some(path) if is_within(path, windows) => draft(Status::Fail).message(format!(
            "{} is installed in `{path}`, inside the Windows directory {windows}: reinstall it in \
             a directory of its own.",
            instance_name(s)
        )),
        Some(path) if path.to_lowercase().contains("\\microsoft sql server\\") => {
            draft(Status::Pass).message(format!(
                "{} is installed in `{path}`, a SQL Server directory outside {windows}.",
                instance_name(s)
            ))
        }
        Some(path) => draft(Status::Review).message(format!(
            "{} is installed in `{path}`: confirm that no other application lives in that \
             directory or above it (STIG SQL6-D0-006800).",
            instance_name(s)
        )),
    };
    vec![finding.done()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn program_files_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn inside_windows_fails_elsewhere_is_reviewed() {
        let mut s = compliant_snapshot();
        edit(&mut s.host_settings).sql_path = Some("c:/windows/MSSQLSERVER/MSSQL/".to_owned());
        single(&run(&CHECK, &s), Status::Fail);
        // The STIG's third example: inside another application's folder.
        edit(&mut s.host_settings).sql_path =
            Some("D:\\Program Files\\Microsoft Office\\MSSQLSERVER\\MSSQL".to_owned());
        single(&run(&CHECK, &s), Status::Review);
        // A sibling of the Windows directory is not inside it.
        edit(&mut s.host_settings).sql_path = Some("C:\\WindowsApps\\SQL".to_owned());
        single(&run(&CHECK, &s), Status::Review);
        edit(&mut s.host_settings).sql_path = None;
        single(&run(&CHECK, &s), Status::Review);
    }

    #[test]
    fn unread_registry_is_unknown() {
        let mut s = compliant_snapshot();
        s.host_settings = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
