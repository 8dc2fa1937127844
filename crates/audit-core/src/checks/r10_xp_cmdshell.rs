//! R10 – unused features disabled: `xp_cmdshell`, OLE Automation and CLR are 0.

use super::Outcomes;
use super::settings::{self, Setting};
use super::{Applicability, Check, Family, Policy, References, cis, cis2017};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity};

/// Unused features disabled: `xp_cmdshell`, `Ole Automation Procedures` and `clr enabled` are
/// 0 in use (the Req 10 features without a requirement of their own; the rest of the baseline
/// is X04).
pub const CHECK: Check = Check {
    id: CheckId::new("R10"),
    title: "Unused features disabled (xp_cmdshell, OLE Automation, CLR)",
    severity: Severity::High,
    rationale: "Unused features must be disabled. xp_cmdshell lets any sysadmin (or anyone who obtains its proxy) run operating-system commands as the SQL Server service account: a classic pivot from the database to the host. OLE Automation and CLR run foreign code inside the server process.",
    outcomes: Outcomes {
        pass: "each option 0 in use and configured: `xp_cmdshell` (high), `Ole Automation Procedures` (high), `clr enabled` (medium); one finding per option",
        fail_or_warn: "FAIL: 1 in use (the message says when 0 is already configured and only *pending RECONFIGURE* or *pending restart*); WARN (low): 0 in use but 1 configured (it will change)",
        other: "UNKNOWN: option missing or configuration unreadable",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("2.2"), cis("2.5"), cis2017("2.15")],
        stig_2016: &[
            "SQL6-D0-007200",
            "SQL6-D0-007300",
            "SQL6-D0-012300",
            "SQL6-D0-017000",
        ],
        stig_2022: &[
            "SQLI-22-007200",
            "SQLI-22-007300",
            "SQLI-22-012300",
            "SQLI-22-017000",
        ],
        va: &["VA1023", "VA1026", "VA1059", "VA2120", "VA2121"],
        dbachecks: &[
            "CLREnabled",
            "XpCmdShellDisabled",
            "OLEAutomationProceduresDisabled",
            "OLEAutomation",
        ],
        sp_blitz: &[1011, 1065],
    },
    reads: &[FactId::Configuration],
    placement: &[on("config", Sheet::Configuration)],
    remediation: RemediationCategory::Safe,
    rule,
};

/// The baseline this check holds the instance to.
const SETTINGS: [Setting; 3] = [
    Setting {
        name: "xp_cmdshell",
        required: 0,
        severity: Severity::High,
        since_major: 10,
        until_major: None,
        why: "xp_cmdshell runs operating-system commands as the service account",
    },
    Setting {
        name: "Ole Automation Procedures",
        required: 0,
        severity: Severity::High,
        since_major: 10,
        until_major: None,
        why: "OLE objects run inside the SQL Server process with its rights",
    },
    Setting {
        name: "clr enabled",
        required: 0,
        severity: Severity::Medium,
        since_major: 10,
        until_major: None,
        why: "user CLR assemblies run .NET code inside the server",
    },
];

/// In use = 0 → PASS; otherwise FAIL (saying when the fix is only pending); right in use but
/// a wrong value configured → WARN. See [`settings::evaluate`].
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    settings::evaluate(check, s, &SETTINGS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;
    use crate::checks::testkit::*;

    fn with(value: i64, value_in_use: i64, dynamic: bool) -> Finding {
        let mut s = compliant_snapshot();
        let row = edit(&mut s.configuration)
            .iter_mut()
            .find(|c| c.name == "xp_cmdshell")
            .unwrap();
        row.value = value;
        row.value_in_use = value_in_use;
        row.dynamic = dynamic;
        let f = run(&CHECK, &s);
        assert_eq!(f.len(), 3, "{f:#?}");
        by_key(&f, "config:xp_cmdshell").clone()
    }

    #[test]
    fn statuses_by_value_in_use() {
        let ok = with(0, 0, true);
        assert_eq!(
            (ok.status, ok.entity_key.as_str()),
            (Status::Pass, "config:xp_cmdshell")
        );
        let bad = 1;
        let f = with(bad, bad, true);
        assert_eq!((f.status, f.severity), (Status::Fail, Severity::High));
        assert!(f.message.contains("xp_cmdshell"));
        let f = with(0, bad, true);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("pending RECONFIGURE"));
        let f = with(0, bad, false);
        assert!(f.message.contains("pending restart"));
        let f = with(bad, 0, true);
        assert_eq!((f.status, f.severity), (Status::Warn, Severity::Low));
    }

    #[test]
    fn clr_and_ole_automation_are_part_of_it() {
        let mut s = compliant_snapshot();
        for row in edit(&mut s.configuration) {
            if row.name == "clr enabled" {
                row.value = 1;
                row.value_in_use = 1;
            }
        }
        let f = run(&CHECK, &s);
        let clr = by_key(&f, "config:clr enabled");
        assert_eq!((clr.status, clr.severity), (Status::Fail, Severity::Medium));
        assert_eq!(
            by_key(&f, "config:ole automation procedures").status,
            Status::Pass
        );
    }

    #[test]
    fn unknown_when_unreadable_or_missing() {
        let mut s = compliant_snapshot();
        edit(&mut s.configuration).retain(|c| c.name != "xp_cmdshell");
        assert_eq!(
            by_key(&run(&CHECK, &s), "config:xp_cmdshell").status,
            Status::Unknown
        );
        s.configuration = denied();
        assert_eq!(
            single(&run(&CHECK, &s), Status::Unknown).entity_key,
            "instance:"
        );
    }
}
