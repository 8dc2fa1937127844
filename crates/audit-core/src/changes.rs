//! What changed for one entity between two runs, and every kind of entry the action log holds.
//!
//! [`Change`] is the one list of change types: sync classifies findings into the first five
//! ([`classify`]), records exception states as three more, and auditors add configuration
//! changes by hand. Each kind has one stored name (what the history's action log holds, never
//! to change: histories already hold them) and one label (what the workbook's Actions sheet
//! shows and its dropdown lists, in [`Change::DROPDOWN`] order). Pure: the caller pairs each
//! entity's previous and current status (and whether its target was reached).

use serde::{Deserialize, Serialize};

use crate::Status;

/// A kind of entry in the action log: a change of one entity's findings between the previous
/// run and this one, an exception's state, or an entry an auditor added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Was FAIL/WARN, now PASS — or gone from a server that was audited.
    Fixed,
    /// Was PASS, now FAIL/WARN.
    Regression,
    /// Not seen before, and FAIL/WARN.
    New,
    /// FAIL/WARN then and now: counted, never logged.
    StillFailing,
    /// Was FAIL/WARN, and could not be evaluated now (target unreached, permission missing):
    /// never counted as fixed.
    NotVerified,
    /// A row became a documented exception (Review Status and Justification).
    ExceptionAdded,
    /// A documented exception was withdrawn.
    ExceptionRemoved,
    /// A documented exception's row now passes: the exception is no longer needed.
    ExceptionUnneeded,
    /// A configuration change or any other entry an auditor added by hand.
    ConfigurationChange,
}

impl Change {
    /// Every kind.
    pub const ALL: [Change; 9] = [
        Change::Fixed,
        Change::Regression,
        Change::New,
        Change::StillFailing,
        Change::NotVerified,
        Change::ExceptionAdded,
        Change::ExceptionRemoved,
        Change::ExceptionUnneeded,
        Change::ConfigurationChange,
    ];

    /// The kinds the Actions sheet's Change Type dropdown offers, in its order: every logged
    /// kind.
    pub const DROPDOWN: [Change; 8] = [
        Change::Fixed,
        Change::Regression,
        Change::New,
        Change::ExceptionAdded,
        Change::ExceptionRemoved,
        Change::ConfigurationChange,
        Change::NotVerified,
        Change::ExceptionUnneeded,
    ];

    /// The dropdown's labels, in [`Change::DROPDOWN`] order.
    pub const DROPDOWN_LABELS: [&'static str; 8] = {
        let mut labels = [""; 8];
        let mut i = 0;
        while i < labels.len() {
            labels[i] = Change::DROPDOWN[i].label();
            i += 1;
        }
        labels
    };

    /// The stored name: what the action log records for an entry sync detected (`fixed`,
    /// `exception_added` …). An entry an auditor added keeps the text they chose, usually a
    /// [`label`](Change::label).
    pub const fn name(self) -> &'static str {
        match self {
            Change::Fixed => "fixed",
            Change::Regression => "regression",
            Change::New => "new",
            Change::StillFailing => "still_failing",
            Change::NotVerified => "not_verified",
            Change::ExceptionAdded => "exception_added",
            Change::ExceptionRemoved => "exception_removed",
            Change::ExceptionUnneeded => "exception_unneeded",
            Change::ConfigurationChange => "configuration_change",
        }
    }

    /// How the Actions sheet shows it (workbooks already hold these: never change one).
    pub const fn label(self) -> &'static str {
        match self {
            Change::Fixed => "\u{2705} Fixed",
            Change::Regression => "\u{274c} Regression",
            Change::New => "\u{1f195} New Issue",
            Change::StillFailing => "Still Failing",
            Change::NotVerified => "\u{2753} Not Verified",
            Change::ExceptionAdded => "\u{1f6e1}\u{fe0f} Exception Documented",
            Change::ExceptionRemoved => "\u{1f5d1}\u{fe0f} Exception Removed",
            Change::ExceptionUnneeded => "\u{1f9f9} Exception No Longer Needed",
            Change::ConfigurationChange => "\u{1f4dd} Configuration Change",
        }
    }

    /// The kind whose stored name is exactly `name`; none for anything else (labels included).
    pub fn from_name(name: &str) -> Option<Change> {
        Change::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The kind a stored text means: its stored name or its label, exactly; none for anything
    /// else an auditor typed.
    pub fn parse(text: &str) -> Option<Change> {
        Change::ALL
            .into_iter()
            .find(|c| c.name() == text || c.label() == text)
    }

    /// How the Actions sheet shows any stored text: the label of the logged kind it names,
    /// else (free text typed by an auditor) a configuration change.
    pub fn sheet_label(stored: &str) -> &'static str {
        Change::parse(stored)
            .filter(|c| c.is_logged())
            .unwrap_or(Change::ConfigurationChange)
            .label()
    }

    /// Whether it goes into the action log (a still-failing finding is not news).
    pub const fn is_logged(self) -> bool {
        !matches!(self, Change::StillFailing)
    }

    /// The exception states a row can be in, as the action log records them: its latest such
    /// entry is its state.
    pub const fn is_exception_state(self) -> bool {
        matches!(
            self,
            Change::ExceptionAdded | Change::ExceptionRemoved | Change::ExceptionUnneeded
        )
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// FAIL or WARN: what a documented exception can cover and remediation fixes.
pub fn is_discrepant(status: Status) -> bool {
    matches!(status, Status::Fail | Status::Warn)
}

/// Classifies one entity. `previous`: its status in the previous run (none: not seen then).
/// `current`: its status now (none: not found now). `reached`: whether its target was audited
/// now — an entity missing from an unreached target is unknown, never fixed.
pub fn classify(
    previous: Option<Status>,
    current: Option<Status>,
    reached: bool,
) -> Option<Change> {
    let was_bad = previous.is_some_and(is_discrepant);
    match current {
        Some(now) if is_discrepant(now) => Some(match previous {
            None => Change::New,
            Some(p) if is_discrepant(p) => Change::StillFailing,
            Some(Status::Pass) => Change::Regression,
            // Was UNKNOWN, REVIEW or INFO: first time it is known to be wrong.
            Some(_) => Change::New,
        }),
        Some(Status::Pass) if was_bad => Some(Change::Fixed),
        Some(Status::Unknown) if was_bad => Some(Change::NotVerified),
        None if was_bad && reached => Some(Change::Fixed),
        None if was_bad => Some(Change::NotVerified),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn every_transition() {
        let cases = [
            (Some(Fail), Some(Pass), true, Some(Change::Fixed)),
            (Some(Warn), Some(Pass), true, Some(Change::Fixed)),
            (Some(Fail), None, true, Some(Change::Fixed)),
            (Some(Fail), None, false, Some(Change::NotVerified)),
            (Some(Fail), Some(Unknown), false, Some(Change::NotVerified)),
            (Some(Pass), Some(Fail), true, Some(Change::Regression)),
            (Some(Pass), Some(Warn), true, Some(Change::Regression)),
            (None, Some(Fail), true, Some(Change::New)),
            (Some(Unknown), Some(Fail), true, Some(Change::New)),
            (Some(Fail), Some(Warn), true, Some(Change::StillFailing)),
            (Some(Fail), Some(Fail), true, Some(Change::StillFailing)),
            (Some(Pass), Some(Pass), true, None),
            (Some(Pass), None, true, None),
            (None, Some(Pass), true, None),
            (Some(Review), Some(Review), true, None),
            (Some(Pass), Some(Unknown), false, None),
            (None, Some(Info), true, None),
        ];
        for (previous, current, reached, expected) in cases {
            assert_eq!(
                classify(previous, current, reached),
                expected,
                "{previous:?} → {current:?} (reached: {reached})"
            );
        }
    }

    #[test]
    fn an_unreached_target_never_fixes_anything() {
        for previous in [Fail, Warn] {
            for current in [None, Some(Unknown)] {
                assert_ne!(
                    classify(Some(previous), current, false),
                    Some(Change::Fixed)
                );
            }
        }
    }

    #[test]
    fn stored_names_and_labels_never_change() {
        // Histories hold the names and workbooks the labels: both are pinned.
        let expected = [
            (Change::Fixed, "fixed", "\u{2705} Fixed"),
            (Change::Regression, "regression", "\u{274c} Regression"),
            (Change::New, "new", "\u{1f195} New Issue"),
            (Change::StillFailing, "still_failing", "Still Failing"),
            (Change::NotVerified, "not_verified", "\u{2753} Not Verified"),
            (
                Change::ExceptionAdded,
                "exception_added",
                "\u{1f6e1}\u{fe0f} Exception Documented",
            ),
            (
                Change::ExceptionRemoved,
                "exception_removed",
                "\u{1f5d1}\u{fe0f} Exception Removed",
            ),
            (
                Change::ExceptionUnneeded,
                "exception_unneeded",
                "\u{1f9f9} Exception No Longer Needed",
            ),
            (
                Change::ConfigurationChange,
                "configuration_change",
                "\u{1f4dd} Configuration Change",
            ),
        ];
        assert_eq!(expected.len(), Change::ALL.len());
        for (change, name, label) in expected {
            assert_eq!(change.name(), name);
            assert_eq!(change.label(), label);
            assert_eq!(Change::from_name(name), Some(change));
            assert_eq!(Change::parse(name), Some(change));
            assert_eq!(Change::parse(label), Some(change));
            assert_eq!(
                serde_json::to_value(change).unwrap(),
                serde_json::Value::from(name)
            );
        }
        assert_eq!(Change::from_name("\u{2705} Fixed"), None);
        assert_eq!(Change::parse("Fixed"), None);
    }

    #[test]
    fn the_dropdown_lists_every_logged_kind_in_the_sheets_order() {
        assert_eq!(
            Change::DROPDOWN_LABELS,
            [
                "\u{2705} Fixed",
                "\u{274c} Regression",
                "\u{1f195} New Issue",
                "\u{1f6e1}\u{fe0f} Exception Documented",
                "\u{1f5d1}\u{fe0f} Exception Removed",
                "\u{1f4dd} Configuration Change",
                "\u{2753} Not Verified",
                "\u{1f9f9} Exception No Longer Needed",
            ]
        );
        for change in Change::ALL {
            assert_eq!(Change::DROPDOWN.contains(&change), change.is_logged());
        }
    }

    #[test]
    fn the_sheet_shows_a_label_for_any_stored_text() {
        assert_eq!(Change::sheet_label("fixed"), "\u{2705} Fixed");
        assert_eq!(
            Change::sheet_label("exception_unneeded"),
            Change::ExceptionUnneeded.label()
        );
        assert_eq!(
            Change::sheet_label("\u{274c} Regression"),
            "\u{274c} Regression"
        );
        for free in ["", "firewall opened", "still_failing", "Still Failing"] {
            assert_eq!(
                Change::sheet_label(free),
                Change::ConfigurationChange.label()
            );
        }
    }
}
