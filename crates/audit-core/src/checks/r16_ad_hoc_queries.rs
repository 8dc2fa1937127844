//! R16 – `Ad Hoc Distributed Queries` is 0.

use super::settings::{self, Setting};
use super::{Check, Policy};
use crate::snapshot::Snapshot;
use crate::{CheckId, Finding, RemediationCategory, Severity};

/// Ad Hoc Distributed Queries disabled: `Ad Hoc Distributed Queries` = 0 in use.
pub const CHECK: Check = Check {
    id: CheckId::Requirement(16),
    title: "Ad Hoc Distributed Queries disabled",
    severity: Severity::Medium,
    rationale: "Ad Hoc Distributed Queries lets OPENROWSET and OPENDATASOURCE connect to any OLE DB data source without a linked server, which can be abused to read files, exfiltrate data or reach other servers.",
    references: &["CIS SQL Server 2019 2.1"],
    remediation: RemediationCategory::Safe,
    rule,
};

/// The baseline this check holds the instance to.
const SETTINGS: [Setting; 1] = [Setting {
    name: "Ad Hoc Distributed Queries",
    required: 0,
    severity: Severity::Medium,
    since_major: 10,
    why: "OPENROWSET/OPENDATASOURCE can reach any OLE DB source",
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
            .find(|c| c.name == "Ad Hoc Distributed Queries")
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
            (Status::Pass, "config:ad hoc distributed queries")
        );
        let bad = 1;
        let f = with(bad, bad, true);
        assert_eq!((f.status, f.severity), (Status::Fail, Severity::Medium));
        assert!(f.message.contains("Ad Hoc Distributed Queries"));
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
        edit(&mut s.configuration).retain(|c| c.name != "Ad Hoc Distributed Queries");
        assert_eq!(
            single(&run(&CHECK, &s), Status::Unknown).entity_key,
            "config:ad hoc distributed queries"
        );
        s.configuration = denied();
        assert_eq!(
            single(&run(&CHECK, &s), Status::Unknown).entity_key,
            "instance:"
        );
    }
}
