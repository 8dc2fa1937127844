//! R16 – `Ad Hoc Distributed Queries` is 0.

use super::Outcomes;
use super::settings::{self, Setting};
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity};

/// Ad Hoc Distributed Queries disabled: `Ad Hoc Distributed Queries` = 0 in use.
pub const CHECK: Check = Check {
    id: CheckId::new("R16"),
    title: "Ad Hoc Distributed Queries disabled",
    severity: Severity::Medium,
    rationale: "Ad Hoc Distributed Queries lets OPENROWSET and OPENDATASOURCE connect to any OLE DB data source without a linked server, which can be abused to read files, exfiltrate data or reach other servers.",
    outcomes: Outcomes {
        pass: "0",
        fail_or_warn: "as R10",
        other: "as R10",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("2.1")],
        va: &["VA1022", "VA2120"],
        dbachecks: &["AdHocDistributedQueriesEnabled"],
        ..References::NONE
    },
    reads: &[FactId::Configuration],
    placement: &[on("config", Sheet::Configuration)],
    remediation: RemediationCategory::Safe,
    rule,
};

/// The baseline this check holds the instance to.
const SETTINGS: [Setting; 1] = [Setting {
    name: "Ad Hoc Distributed Queries",
    required: 0,
    severity: Severity::Medium,
    since_major: 10,
    until_major: None,
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
    use crate::checks::testkit::*;

    #[test]
    fn statuses_by_value_in_use() {
        assert_single_setting_statuses(&CHECK, "Ad Hoc Distributed Queries", Severity::Medium);
    }

    #[test]
    fn unknown_when_unreadable_or_missing() {
        assert_single_setting_unknowns(&CHECK, "Ad Hoc Distributed Queries");
    }
}
