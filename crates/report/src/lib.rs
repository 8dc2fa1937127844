//! Writing the audit workbook (rust_xlsxwriter) and the JSON findings file, and reading the
//! auditors' annotations back from an edited workbook (calamine).
//!
//! The workbook arrives in step 5. What exists now is the self-check `autodbaudit selftest`
//! runs: an xlsx file can be written and read back in the workspace folder.

use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use rust_xlsxwriter::Workbook;

/// Why an xlsx round trip failed.
#[derive(Debug, thiserror::Error)]
#[error("xlsx in {dir}: {message}")]
pub struct SelfCheckError {
    dir: String,
    message: String,
}

/// Writes a small workbook in `dir`, reads it back, compares, and removes it.
pub fn self_check(dir: &Path) -> Result<(), SelfCheckError> {
    let path = dir.join(format!("selftest-{}.xlsx", std::process::id()));
    let result = round_trip(&path);
    let _ = std::fs::remove_file(&path);
    result.map_err(|message| SelfCheckError {
        dir: dir.display().to_string(),
        message,
    })
}

fn round_trip(path: &Path) -> Result<(), String> {
    const TEXT: &str = "Ünïcødé ✓ ]'; =1+1";
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Selftest").map_err(|e| e.to_string())?;
    sheet.write_string(0, 0, TEXT).map_err(|e| e.to_string())?;
    sheet.write_number(1, 0, 42.5).map_err(|e| e.to_string())?;
    workbook.save(path).map_err(|e| e.to_string())?;

    let mut read: Xlsx<_> = open_workbook(path).map_err(|e: calamine::XlsxError| e.to_string())?;
    let range = read
        .worksheet_range("Selftest")
        .map_err(|e| e.to_string())?;
    match (range.get_value((0, 0)), range.get_value((1, 0))) {
        (Some(Data::String(s)), Some(Data::Float(n))) if s == TEXT && *n == 42.5 => Ok(()),
        other => Err(format!("read back {other:?}, expected the values written")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn self_check_round_trips_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        super::self_check(dir.path()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
