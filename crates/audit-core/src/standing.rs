//! Where a finding stands once people have looked at it: the status says what the check
//! concluded; the standing says whether anyone still has to act on it. A documented exception
//! (a workbook row) and an approved baseline (a check on one server, see [`crate::baseline`])
//! both take a finding off the open list without changing its status.

use serde::{Deserialize, Serialize};

use crate::Status;

/// A finding's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// PASS or INFO: nothing to do.
    Compliant,
    /// FAIL, WARN, REVIEW or UNKNOWN that nothing covers: someone has to act.
    Open,
    /// Covered by a documented exception in the workbook (Review Status "Exception" with a
    /// justification).
    Excepted,
    /// Matches the approved baseline of its check on its server.
    Baselined,
    /// Its check on its server has an approved baseline that this result does not match (a new
    /// entity, or a changed status or facts): open, with what changed.
    Drift,
}

impl Standing {
    /// The standing of a finding with `status`, given whether a documented exception covers it
    /// and how it compares with its baseline (`None`: no baseline for its check and server).
    /// An exception wins over a baseline: it is the more specific decision. UNKNOWN is never
    /// baselined (nothing was evaluated to approve, SPEC §6: never counted as passed): it stays
    /// open whatever the baseline says.
    pub fn of(status: Status, excepted: bool, baseline: Option<bool>) -> Standing {
        if matches!(status, Status::Pass | Status::Info) {
            return Standing::Compliant;
        }
        if excepted {
            return Standing::Excepted;
        }
        if status == Status::Unknown {
            return Standing::Open;
        }
        match baseline {
            Some(true) => Standing::Baselined,
            Some(false) => Standing::Drift,
            None => Standing::Open,
        }
    }

    /// Someone still has to act on it.
    pub fn is_open(self) -> bool {
        matches!(self, Standing::Open | Standing::Drift)
    }

    /// As files and the workbook write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Compliant => "compliant",
            Standing::Open => "open",
            Standing::Excepted => "excepted",
            Standing::Baselined => "baselined",
            Standing::Drift => "drift",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passing_results_need_nothing_and_exceptions_win_over_baselines() {
        assert_eq!(
            Standing::of(Status::Pass, true, Some(false)),
            Standing::Compliant
        );
        assert_eq!(Standing::of(Status::Info, false, None), Standing::Compliant);
        assert_eq!(Standing::of(Status::Fail, false, None), Standing::Open);
        assert_eq!(
            Standing::of(Status::Fail, true, Some(false)),
            Standing::Excepted
        );
        assert_eq!(
            Standing::of(Status::Review, false, Some(true)),
            Standing::Baselined
        );
        assert_eq!(
            Standing::of(Status::Warn, false, Some(false)),
            Standing::Drift
        );
        assert_eq!(
            Standing::of(Status::Unknown, false, Some(true)),
            Standing::Open
        );
        assert_eq!(
            Standing::of(Status::Unknown, false, Some(false)),
            Standing::Open
        );
        assert!(Standing::Drift.is_open() && Standing::Open.is_open());
        assert!(!Standing::Baselined.is_open() && !Standing::Excepted.is_open());
    }
}
