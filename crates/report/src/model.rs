//! What the workbook is made from: the run's header and, per target, what was collected and
//! concluded. The binary fills these from a fresh audit or from the history, so `report`
//! renders exactly what `audit` rendered.

use std::collections::HashMap;

use audit_core::Finding;
use audit_core::snapshot::Snapshot;

/// The run the workbook describes (the Cover sheet).
#[derive(Debug, Clone, PartialEq)]
pub struct RunHeader {
    /// The audit's name (`2026-H2`).
    pub audit_name: String,
    /// Who the audit is for.
    pub organization: String,
    /// The history's run number.
    pub run_id: i64,
    /// When the run started (`YYYY-MM-DD hh:mm:ss`, UTC).
    pub started: String,
    /// When it finished.
    pub finished: String,
    /// `AutoDBAudit x.y.z`.
    pub tool_version: String,
    /// The selection that chose the run's checks (`all`, `stig, --skip-checks X01`).
    pub checks: String,
    /// Per framework, how its items stand (the Cover's compliance summary).
    pub compliance: Vec<audit_core::compliance::FrameworkSummary>,
}

/// One configured target as the run saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetResult {
    /// The target's id in `sql_targets.jsonc`.
    pub target_id: String,
    /// Host name or address as configured.
    pub server: String,
    /// Instance name; none for a default instance.
    pub instance: Option<String>,
    /// TCP port, when one was configured.
    pub port: Option<u16>,
    /// What was collected; none when the target was not reached.
    pub snapshot: Option<Snapshot>,
    /// Why it was not reached.
    pub reason: Option<String>,
    /// Every finding of every check on this target.
    pub findings: Vec<Finding>,
}

impl TargetResult {
    /// The instance as the workbook shows it: its name, or `(Default)`.
    pub fn instance_label(&self) -> &str {
        match self.instance.as_deref() {
            Some(name) if !name.is_empty() => name,
            _ => "(Default)",
        }
    }
}

pub use audit_core::Annotation;

/// A row's identity across runs: the sheet and the entity key (with its target).
pub type RowId = (String, String);

/// What the history adds to a layout beyond the rows' UUIDs: the annotations and how the rows
/// compare with their checks' baselines.
#[derive(Debug, Clone, Default)]
pub struct RowState {
    /// What auditors typed, by row.
    pub annotations: HashMap<RowId, Annotation>,
    /// Rows with a finding under an approved baseline, by row.
    pub baselines: HashMap<RowId, RowBaseline>,
}

/// How a row's findings compare with their approved baselines (the Baseline column).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowBaseline {
    /// Every finding that needs a person matches its baseline: the row needs no action.
    pub settled: bool,
    /// What the Baseline column says: `approved` or the drift, per check.
    pub text: String,
}

impl RowState {
    /// Whether `row` is a documented exception.
    pub fn is_excepted(&self, row: &RowId) -> bool {
        self.annotations
            .get(row)
            .is_some_and(Annotation::is_documented_exception)
    }

    /// Whether every finding of `row` that needs a person matches its baseline.
    pub fn is_baselined(&self, row: &RowId) -> bool {
        self.baselines.get(row).is_some_and(|b| b.settled)
    }
}

/// A row of the Actions sheet (the change log sync fills from the history).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionRow {
    /// The action log id.
    pub id: i64,
    /// Server.
    pub server: String,
    /// Instance or `(Default)`.
    pub instance: String,
    /// Which area (`Server Logins`, `Configuration` …).
    pub category: String,
    /// The entity as people name it.
    pub finding: String,
    /// `Critical`, `High`, `Medium`, `Low`, `Info`.
    pub risk: String,
    /// What changed.
    pub description: String,
    /// `✅ Fixed`, `❌ Regression` … (see [`crate::sheets::CHANGE_TYPES`]).
    pub change_type: String,
    /// When it was detected (`YYYY-MM-DD hh:mm`).
    pub detected: String,
    /// Auditors' notes.
    pub notes: String,
}
