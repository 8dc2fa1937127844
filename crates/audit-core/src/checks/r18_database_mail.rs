//! R18 – `Database Mail XPs` is 0.

use super::Outcomes;
use super::settings::{self, Setting};
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity};

/// Database Mail XPs disabled: `Database Mail XPs` = 0 in use.
pub const CHECK: Check = Check {
    id: CheckId::new("R18"),
    title: "Database Mail XPs disabled",
    severity: Severity::Medium,
    rationale: "Database Mail lets the server send e-mail, which can be used to exfiltrate data or flood a mailbox. Disable it unless a documented process needs it (document the exception).",
    outcomes: Outcomes {
        pass: "0",
        fail_or_warn: "as R10",
        other: "as R10",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("2.4")],
        va: &["VA1067", "VA2120"],
        dbachecks: &["DatabaseMailEnabled"],
        ..References::NONE
    },
    reads: &[FactId::Configuration],
    placement: &[on("config", Sheet::Configuration)],
    remediation: RemediationCategory::Safe,
    rule,
};

/// The baseline this check holds the instance to.
const SETTINGS: [Setting; 1] = [Setting {
    name: "Database Mail XPs",
    required: 0,
    severity: Severity::Medium,
    since_major: 10,
    until_major: None,
    why: "the server can send e-mail, a data exfiltration channel",
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
        assert_single_setting_statuses(&CHECK, "Database Mail XPs", Severity::Medium);
    }

    #[test]
    fn unknown_when_unreadable_or_missing() {
        assert_single_setting_unknowns(&CHECK, "Database Mail XPs");
    }
}
