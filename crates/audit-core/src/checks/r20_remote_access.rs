//! R20 – `remote access` is 0.

use super::settings::{self, Setting};
use super::{Check, Policy};
use crate::snapshot::Snapshot;
use crate::{CheckId, Finding, RemediationCategory, Severity};

/// remote access disabled: `remote access` = 0 in use.
pub const CHECK: Check = Check {
    id: CheckId::Requirement(20),
    title: "remote access disabled",
    severity: Severity::Medium,
    rationale: "The remote access option lets other servers execute stored procedures on this instance (the old remote-server feature) and can be abused for denial of service by off-loading work to it. Linked servers do not need it.",
    references: &["CIS SQL Server 2019 2.6"],
    remediation: RemediationCategory::Safe,
    rule,
};

/// The baseline this check holds the instance to.
const SETTINGS: [Setting; 1] = [Setting {
    name: "remote access",
    required: 0,
    severity: Severity::Medium,
    since_major: 10,
    why: "remote servers can execute stored procedures here",
}];

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
            .find(|c| c.name == "remote access")
            .unwrap();
        row.value = value;
        row.value_in_use = value_in_use;
        row.dynamic = dynamic;
        let f = run(&CHECK, &s);
        single(&f, f[0].status).clone()
    }

    #[test]
    fn statuses_by_value_in_use() {
        let ok = with(0, 0, true);
        assert_eq!(
            (ok.status, ok.entity_key.as_str()),
            (Status::Pass, "config:remote access")
        );
        let bad = 1;
        let f = with(bad, bad, true);
        assert_eq!((f.status, f.severity), (Status::Fail, Severity::Medium));
        assert!(f.message.contains("remote access"));
        let f = with(0, bad, true);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("pending RECONFIGURE"));
        let f = with(0, bad, false);
        assert!(f.message.contains("pending restart"));
        let f = with(bad, 0, true);
        assert_eq!((f.status, f.severity), (Status::Warn, Severity::Low));
    }

    #[test]
    fn unknown_when_unreadable_or_missing() {
        let mut s = compliant_snapshot();
        edit(&mut s.configuration).retain(|c| c.name != "remote access");
        assert_eq!(
            single(&run(&CHECK, &s), Status::Unknown).entity_key,
            "config:remote access"
        );
        s.configuration = denied();
        assert_eq!(
            single(&run(&CHECK, &s), Status::Unknown).entity_key,
            "instance:"
        );
    }
}
