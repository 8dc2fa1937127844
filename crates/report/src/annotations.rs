//! Reading what auditors typed back from a workbook: per data sheet, each row's editable cells
//! with the two things that identify the row — its `_UUID` and its natural key (server,
//! instance, the sheet's key columns). Columns are found by their header, so inserted,
//! moved or hidden columns do not matter; a missing sheet or column is reported, never guessed.

use std::path::Path;

use crate::limits::Limits;
use crate::model::Annotation;
use crate::read::{Book, ReadError};
use crate::sheets::{self, EDITABLE, SheetSpec};

/// One row's annotation as read.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadAnnotation {
    /// The sheet.
    pub sheet: &'static str,
    /// The Excel row number (1-based, header = 1), for messages.
    pub row: usize,
    /// The `_UUID` cell, when it holds 8 hex characters (upper-cased).
    pub uuid: Option<String>,
    /// See [`natural_key`]; empty when a key column is missing.
    pub natural_key: String,
    /// The headers of the sheet's key columns (Server, Instance, the name columns) that are
    /// not found on it. Without them nothing shows which row a line is, so the `_UUID` cannot
    /// be checked against it (rows sorted without column A would move annotations): such a
    /// row's annotation is reported and never applied.
    pub missing_keys: Vec<&'static str>,
    /// The row's identifying cells as shown (server / instance / key columns), for messages.
    pub label: String,
    /// The editable cells (empty cells are `None`).
    pub annotation: Annotation,
}

/// One row of the Actions sheet as read (cells trimmed; empty = not typed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadAction {
    /// The Excel row number, for messages.
    pub row: usize,
    /// The hidden ID: the action-log entry the row shows; none for a row an auditor added.
    pub id: Option<i64>,
    /// Server.
    pub server: String,
    /// Instance.
    pub instance: String,
    /// Category.
    pub category: String,
    /// Finding.
    pub finding: String,
    /// Risk Level.
    pub risk: String,
    /// Change Description.
    pub description: String,
    /// Change Type.
    pub change_type: String,
    /// Detected Date.
    pub detected: String,
    /// Notes.
    pub notes: String,
}

/// What was read, and what could not be.
#[derive(Debug, Default)]
pub struct ReadAnnotations {
    /// Every data row that has an identity.
    pub rows: Vec<ReadAnnotation>,
    /// The Actions sheet's rows (the change log, with auditors' notes and added rows).
    pub actions: Vec<ReadAction>,
    /// Sheets or columns that are missing or renamed: their annotations were not read (the
    /// history keeps what it had).
    pub problems: Vec<String>,
}

/// The key that identifies a row when its `_UUID` is lost: server, instance and the sheet's
/// key columns, case-insensitive.
pub fn natural_key(server: &str, instance: &str, keys: &[String]) -> String {
    let mut parts = vec![server.trim().to_lowercase(), instance.trim().to_lowercase()];
    parts.extend(keys.iter().map(|k| k.trim().to_lowercase()));
    parts.join("\u{1f}")
}

/// Reads the annotations of every data sheet of the workbook at `path`, within `limits` (see
/// [`Limits::expecting`]): only the data sheets and the Actions sheet are read, each streamed;
/// any bound exceeded, or any cell longer than Excel allows, is an error and nothing is
/// returned, so nothing is imported from a workbook that is partly unreadable.
pub fn read_annotations(path: &Path, limits: &Limits) -> Result<ReadAnnotations, ReadError> {
    let mut book = Book::open(path, limits)?;
    let names = book.sheet_names();
    let mut out = ReadAnnotations::default();
    for spec in sheets::data_sheets() {
        if !names.iter().any(|n| n == spec.name) {
            out.problems.push(format!(
                "sheet `{}` is missing (renamed or deleted): its annotations were not read; the history keeps them",
                spec.name
            ));
            continue;
        }
        let sheet = book.sheet(spec.name)?;
        read_sheet(spec, &sheet.headers, &sheet.rows, &mut out);
    }
    if names.iter().any(|n| n == sheets::ACTIONS) {
        let sheet = book.sheet(sheets::ACTIONS)?;
        read_actions(&sheet.headers, &sheet.rows, &mut out);
    } else {
        out.problems.push(
            "sheet `Actions` is missing (renamed or deleted): notes and rows added there were not read; the history keeps the log".into(),
        );
    }
    book.finish()?;
    Ok(out)
}

fn read_actions(headers: &[String], rows: &[Vec<String>], out: &mut ReadAnnotations) {
    let columns: Vec<Option<usize>> = sheets::ACTION_COLUMNS
        .iter()
        .map(|c| find(headers, c.header))
        .collect();
    for (c, col) in sheets::ACTION_COLUMNS.iter().zip(&columns) {
        if col.is_none() {
            out.problems.push(format!(
                "sheet `Actions`: column `{}` is missing: it was not read",
                c.header
            ));
        }
    }
    for (i, row) in rows.iter().enumerate() {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |k: usize| {
            columns[k]
                .and_then(|c| row.get(c))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        out.actions.push(ReadAction {
            row: i + 2,
            id: cell(0).parse().ok(),
            server: cell(1),
            instance: cell(2),
            category: cell(3),
            finding: cell(4),
            risk: cell(5),
            description: cell(6),
            change_type: cell(7),
            detected: cell(8),
            notes: cell(9),
        });
    }
}

/// A header's position: exact, then ignoring case and surrounding spaces.
fn find(headers: &[String], name: &str) -> Option<usize> {
    headers.iter().position(|h| h == name).or_else(|| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    })
}

fn read_sheet(
    spec: &'static SheetSpec,
    headers: &[String],
    rows: &[Vec<String>],
    out: &mut ReadAnnotations,
) {
    let mut key_names = vec!["Server", "Instance"];
    key_names.extend(spec.columns[..spec.key_columns].iter().map(|c| c.header));
    let missing: Vec<&'static str> = key_names
        .iter()
        .copied()
        .filter(|k| find(headers, k).is_none())
        .collect();
    if !missing.is_empty() {
        out.problems.push(format!(
            "sheet `{}`: key column(s) {} missing (renamed or deleted): without them no row can be checked, so its annotations were not imported; the history keeps them — name the column(s) `{}` again in row 1 (or restore the workbook) and run again",
            spec.name,
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", "),
            missing.join("`, `")
        ));
        read_rows(spec, headers, rows, None, &missing, out);
        return;
    }
    let keys: Vec<usize> = key_names.iter().filter_map(|k| find(headers, k)).collect();
    read_rows(spec, headers, rows, Some(&keys), &[], out);
}

fn read_rows(
    spec: &'static SheetSpec,
    headers: &[String],
    rows: &[Vec<String>],
    keys: Option<&[usize]>,
    missing_keys: &[&'static str],
    out: &mut ReadAnnotations,
) {
    let uuid_col = find(headers, "_UUID");
    let editable: Vec<Option<usize>> = EDITABLE.iter().map(|e| find(headers, e)).collect();
    for (name, col) in EDITABLE.iter().zip(&editable) {
        if col.is_none() {
            out.problems.push(format!(
                "sheet `{}`: column `{name}` is missing: that field was not read; the history keeps it",
                spec.name
            ));
        }
    }
    let cell = |row: &[String], col: Option<usize>| -> Option<String> {
        col.and_then(|c| row.get(c))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    for (i, row) in rows.iter().enumerate() {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let uuid = cell(row, uuid_col)
            .filter(|u| u.len() == 8 && u.chars().all(|c| c.is_ascii_hexdigit()))
            .map(|u| u.to_uppercase());
        let shown: Option<Vec<String>> = keys.map(|keys| {
            keys.iter()
                .map(|&k| row.get(k).map(|v| v.trim().to_owned()).unwrap_or_default())
                .collect()
        });
        let natural_key = shown
            .as_ref()
            .map(|v| natural_key(&v[0], &v[1], &v[2..]))
            .unwrap_or_default();
        let label = shown.map(|v| v.join(" / ")).unwrap_or_default();
        let annotation = Annotation {
            review_status: cell(row, editable[0]),
            justification: cell(row, editable[1]),
            notes: cell(row, editable[2]),
            last_reviewed: cell(row, editable[3]),
        };
        // A row with no identity is skipped, unless the sheet lost its key columns and the
        // row holds an annotation: that one is reported.
        let reported = !missing_keys.is_empty() && annotation != Annotation::default();
        if uuid.is_none() && natural_key.replace('\u{1f}', "").is_empty() && !reported {
            continue;
        }
        out.rows.push(ReadAnnotation {
            sheet: spec.name,
            row: i + 2,
            uuid,
            natural_key,
            missing_keys: missing_keys.to_vec(),
            label,
            annotation,
        });
    }
}
