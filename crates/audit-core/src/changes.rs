//! What changed for one entity between two runs: the classification sync records in the action
//! log and the dashboard counts. Pure: the caller pairs each entity's previous and current
//! status (and whether its target was reached).

use serde::{Deserialize, Serialize};

use crate::Status;

/// A change of one entity's findings between the previous run and this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Was FAIL/WARN, now PASS — or gone from a server that was audited.
    Fixed,
    /// Was PASS, now FAIL/WARN.
    Regression,
    /// Not seen before, and FAIL/WARN.
    New,
    /// FAIL/WARN then and now.
    StillFailing,
    /// Was FAIL/WARN, and could not be evaluated now (target unreached, permission missing):
    /// never counted as fixed.
    Unknown,
}

impl Change {
    /// How the Actions sheet shows it (its dropdown lists exactly these).
    pub fn label(self) -> &'static str {
        match self {
            Change::Fixed => "\u{2705} Fixed",
            Change::Regression => "\u{274c} Regression",
            Change::New => "\u{1f195} New Issue",
            Change::StillFailing => "Still Failing",
            Change::Unknown => "\u{2753} Not Verified",
        }
    }

    /// Whether it goes into the action log (a still-failing finding is not news).
    pub fn is_logged(self) -> bool {
        !matches!(self, Change::StillFailing)
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
        Some(Status::Unknown) if was_bad => Some(Change::Unknown),
        None if was_bad && reached => Some(Change::Fixed),
        None if was_bad => Some(Change::Unknown),
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
            (Some(Fail), None, false, Some(Change::Unknown)),
            (Some(Fail), Some(Unknown), false, Some(Change::Unknown)),
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
}
