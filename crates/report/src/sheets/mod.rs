//! The sheets of the workbook: their names and order, their columns, and how each builds its
//! rows from one target's facts. A sheet is a [`SheetSpec`] plus one `rows` function; which
//! findings decide a row's status is declared by each check (`Check::placement`, naming the
//! sheet by its [`Sheet`] id), and `layout` obeys it, so the `⏳` indicator and the finding can
//! never disagree and no sheet lists check ids.
//!
//! Every data sheet has the same frame: `_UUID` (hidden, stable per entity), `⏳`, `Server`,
//! `Instance`, the sheet's own columns, then `Status`, `Checks`, `References`, `Finding`,
//! `Baseline` (from the findings and their baselines) and the editable columns `Review Status`, `Justification`, `Notes`,
//! `Last Reviewed`.

mod database;
mod other;
pub(crate) mod server;

pub use audit_core::checks::Sheet;
use audit_core::snapshot::Snapshot;

use crate::model::TargetResult;

/// How a column's cells are aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Left, one line.
    Left,
    /// Centred, one line.
    Center,
    /// Left, wrapped (long text).
    Wrap,
}

/// One of a sheet's own columns.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Header text.
    pub header: &'static str,
    /// Width in characters.
    pub width: f64,
    /// Alignment.
    pub align: Align,
}

const fn col(header: &'static str, width: f64, align: Align) -> Column {
    Column {
        header,
        width,
        align,
    }
}

/// A data sheet: its name and its own columns.
#[derive(Debug)]
pub struct SheetSpec {
    /// Which sheet it is, as checks name it in their placement.
    pub id: Sheet,
    /// The tab name (sync finds sheets by it: never translated).
    pub name: &'static str,
    /// The columns between `Instance` and `Status`, in order.
    pub columns: &'static [Column],
    /// How many of the own columns (from the left) identify a row, after server and instance
    /// (the natural key: rows sort by it, and sync falls back to it when a `_UUID` is lost).
    pub key_columns: usize,
    /// Builds the rows of one reached target.
    pub rows: fn(&Ctx<'_>, &mut Vec<Row>),
}

/// The frame columns before a sheet's own columns.
pub const LEADING: [&str; 4] = ["_UUID", "\u{23f3}", "Server", "Instance"];
/// The columns decided by the findings, after a sheet's own columns. `References` lists the
/// benchmark items (CIS, STIG, VA, dbachecks, sp_Blitz) of the row's checks; `Baseline` says
/// whether they match their approved baselines (`baseline approve`) or what drifted.
pub const FINDING_COLUMNS: [&str; 5] = ["Status", "Checks", "References", "Finding", "Baseline"];
/// The editable columns, last on every data sheet.
pub const EDITABLE: [&str; 4] = ["Review Status", "Justification", "Notes", "Last Reviewed"];
/// The Review Status values (the dropdown equals exactly these).
pub const REVIEW_STATUSES: [&str; 2] = ["\u{23f3} Needs Review", "\u{2713} Exception"];

/// Actions sheet: the change types (the dropdown equals exactly these), from the domain's one
/// list ([`audit_core::changes::Change::DROPDOWN`]).
pub const CHANGE_TYPES: [&str; 8] = audit_core::changes::Change::DROPDOWN_LABELS;
/// Actions sheet: risk levels (the dropdown equals exactly these).
pub const RISK_LEVELS: [&str; 5] = ["Critical", "High", "Medium", "Low", "Info"];

/// The name of the first sheet.
pub const COVER: &str = "Cover";
/// The name of the last sheet (the change log, filled by sync).
pub const ACTIONS: &str = "Actions";

/// The Actions sheet's columns (no `_UUID`; column A is the hidden action id).
pub const ACTION_COLUMNS: [Column; 10] = [
    col("ID", 6.0, Align::Center),
    col("Server", 16.0, Align::Left),
    col("Instance", 14.0, Align::Left),
    col("Category", 20.0, Align::Left),
    col("Finding", 50.0, Align::Wrap),
    col("Risk Level", 12.0, Align::Center),
    col("Change Description", 55.0, Align::Wrap),
    col("Change Type", 18.0, Align::Center),
    col("Detected Date", 16.0, Align::Center),
    col("Notes", 60.0, Align::Wrap),
];

/// The data sheets, in workbook order (between Cover and Actions).
pub fn data_sheets() -> &'static [&'static SheetSpec] {
    &DATA_SHEETS
}

static DATA_SHEETS: [&SheetSpec; 20] = [
    &server::INSTANCES,
    &server::SA_ACCOUNT,
    &server::SERVER_LOGINS,
    &server::SENSITIVE_ROLES,
    &server::CONFIGURATION,
    &server::SERVICES,
    &server::CLIENT_PROTOCOLS,
    &database::DATABASES,
    &database::DATABASE_USERS,
    &database::DATABASE_ROLES,
    &database::ROLE_MATRIX,
    &database::PERMISSION_GRANTS,
    &database::ORPHANED_USERS,
    &other::LINKED_SERVERS,
    &other::TRIGGERS,
    &other::AGENT_JOBS,
    &other::BACKUPS,
    &other::AUDIT_SETTINGS,
    &other::ENCRYPTION,
    &other::PATHS_TO_SYSADMIN,
];

/// All 22 sheet names in workbook order.
pub fn sheet_names() -> Vec<&'static str> {
    let mut names = vec![COVER];
    names.extend(data_sheets().iter().map(|s| s.name));
    names.push(ACTIONS);
    names
}

/// Every header of a data sheet, A to the last column.
pub fn headers(spec: &SheetSpec) -> Vec<&'static str> {
    let mut headers: Vec<&str> = LEADING.to_vec();
    headers.extend(spec.columns.iter().map(|c| c.header));
    headers.extend(FINDING_COLUMNS);
    headers.extend(EDITABLE);
    headers
}

/// How a value should look: the colour says good or bad before the text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Plain.
    Plain,
    /// Compliant.
    Good,
    /// Not compliant.
    Bad,
    /// Worth a look.
    Warn,
    /// Informational.
    Info,
}

/// A cell of a sheet's own columns.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Nothing.
    Empty,
    /// Text, with a tone.
    Text(String, Tone),
    /// A number (sizes, counts, days).
    Number(f64),
}

impl Value {
    /// Plain text.
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into(), Tone::Plain)
    }

    /// Text that is known-good when `good`, known-bad otherwise.
    pub fn judged(s: impl Into<String>, tone: Tone) -> Value {
        Value::Text(s.into(), tone)
    }

    /// `✓ Yes` / `✗ No`, toned by whether that answer is the compliant one.
    pub fn yes_no(value: bool, good_when: bool) -> Value {
        let text = if value { "\u{2713} Yes" } else { "\u{2717} No" };
        Value::Text(
            text.into(),
            if value == good_when {
                Tone::Good
            } else {
                Tone::Bad
            },
        )
    }

    /// Yes/No without judgement; empty when unknown.
    pub fn flag(value: Option<bool>) -> Value {
        match value {
            Some(true) => Value::text("Yes"),
            Some(false) => Value::text("No"),
            None => Value::Empty,
        }
    }

    /// Optional text.
    pub fn opt(value: Option<&str>) -> Value {
        value.map_or(Value::Empty, Value::text)
    }

    /// The text as written to the cell (numbers as Excel shows them without a format).
    pub fn display(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(s, _) => s.clone(),
            Value::Number(n) => n.to_string(),
        }
    }
}

/// One row of a data sheet before it meets the findings.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The entity key (without the target): with the target and the sheet, the row's identity
    /// across runs.
    pub key: String,
    /// The sheet's own cells, one per column.
    pub cells: Vec<Value>,
}

impl Row {
    /// A row about the entity `key`; the findings the checks place on it decide its status.
    pub fn new(key: String, cells: Vec<Value>) -> Row {
        Row { key, cells }
    }
}

/// What a sheet's `rows` function works from.
pub struct Ctx<'a> {
    /// The target.
    pub target: &'a TargetResult,
    /// What was collected from it.
    pub snapshot: &'a Snapshot,
}

/// A timestamp as the workbook shows it: `YYYY-MM-DD hh:mm` (seconds and fractions dropped).
pub(crate) fn minutes(ts: &str) -> String {
    ts.get(..16).unwrap_or(ts).replace('T', " ")
}

/// A date as the workbook shows it: `YYYY-MM-DD`.
pub(crate) fn date(ts: &str) -> String {
    ts.get(..10).unwrap_or(ts).to_owned()
}

/// A principal type code as people say it.
pub(crate) fn principal_kind(code: &str) -> &'static str {
    match code.trim() {
        "S" => "SQL login",
        "U" => "Windows user",
        "G" => "Windows group",
        "C" => "Certificate",
        "K" => "Asymmetric key",
        "R" => "Role",
        "A" => "Application role",
        "E" => "Entra user",
        "X" => "Entra group",
        _ => "Other",
    }
}
