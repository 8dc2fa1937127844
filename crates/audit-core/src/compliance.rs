//! The compliance summary: per framework (CIS, DISA STIG, Microsoft Vulnerability Assessment,
//! dbachecks, sp_Blitz), how its items stand on the audited instances. One item on one instance
//! is one *result*; its state comes from the findings of every check that maps to it
//! ([`ItemState::of`]), so the Cover sheet, `status`, `findings.json` and the checklists agree.

use serde::Serialize;

/// How one benchmark item stands on one instance, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    /// An open FAIL or WARN (drift included).
    Failed,
    /// An open REVIEW or UNKNOWN, or no check automates the item, or the instance was not
    /// reached: a person has to look.
    NotReviewed,
    /// Nothing open; a documented exception covers at least one finding.
    Excepted,
    /// Nothing open or excepted; an approved baseline covers at least one finding.
    Baselined,
    /// Every check of the item passed.
    Passed,
    /// No check of the item applies to this instance (version, edition, platform).
    NotApplicable,
    /// The profile or `--checks`/`--skip-checks` left every check of the item out.
    NotSelected,
}

/// One framework's counts over every (item, instance) result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FrameworkSummary {
    /// `CIS`, `DISA STIG`, `Microsoft VA`, `dbachecks`, `sp_Blitz`.
    pub framework: String,
    /// What the items are: the benchmarks and releases counted.
    pub scope: String,
    /// Distinct items.
    pub items: usize,
    /// Item × instance results counted below.
    pub results: usize,
    /// Results per state.
    pub passed: usize,
    /// …
    pub failed: usize,
    /// …
    pub excepted: usize,
    /// …
    pub baselined: usize,
    /// …
    pub not_reviewed: usize,
    /// …
    pub not_applicable: usize,
    /// …
    pub not_selected: usize,
    /// DISA STIG only: open results by category, CAT I (high), CAT II (medium), CAT III (low).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_by_category: Option<[usize; 3]>,
}
