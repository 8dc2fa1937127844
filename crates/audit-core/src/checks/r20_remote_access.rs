//! R20 – `remote access` is 0.

use super::Outcomes;
use super::settings::{self, Setting};
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity};

/// remote access disabled: `remote access` = 0 in use.
pub const CHECK: Check = Check {
    id: CheckId::new("R20"),
    title: "remote access disabled",
    severity: Severity::Medium,
    rationale: "The remote access option lets other servers execute stored procedures on this instance (the old remote-server feature) and can be abused for denial of service by off-loading work to it. Linked servers do not need it.",
    outcomes: Outcomes {
        pass: "0",
        fail_or_warn: "as R10",
        other: "as R10",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("2.6")],
        stig_2016: &["SQL6-D0-017200"],
        stig_2022: &["SQLI-22-017200"],
        va: &["VA2120"],
        dbachecks: &["RemoteAccessDisabled"],
        sp_blitz: &[1048],
    },
    reads: &[FactId::Configuration],
    placement: &[on("config", Sheet::Configuration)],
    remediation: RemediationCategory::Safe,
    rule,
};

/// The baseline this check holds the instance to.
const SETTINGS: [Setting; 1] = [Setting {
    name: "remote access",
    required: 0,
    severity: Severity::Medium,
    since_major: 10,
    until_major: None,
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
    use crate::checks::testkit::*;

    #[test]
    fn statuses_by_value_in_use() {
        assert_single_setting_statuses(&CHECK, "remote access", Severity::Medium);
    }

    #[test]
    fn unknown_when_unreadable_or_missing() {
        assert_single_setting_unknowns(&CHECK, "remote access");
    }
}
