//! The audit workbook: findings and collected facts laid out as the 22 sheets auditors hand in
//! (`layout`, `sheets`), drawn with rust_xlsxwriter (`xlsx`), put in place atomically and never
//! over a workbook that is open (`publish`), and read back with calamine (`read`).
//!
//! The crate does no network and no database I/O: the binary hands it a run (fresh from an
//! audit, or loaded from the history for `report`) plus the row UUIDs and annotations the
//! history keeps, so both paths render the same workbook.

pub mod annotations;
pub mod layout;
pub mod limits;
pub mod model;
pub mod publish;
pub mod read;
pub mod sheets;
pub mod xlsx;

pub use annotations::{ReadAction, ReadAnnotation, ReadAnnotations, natural_key, read_annotations};
pub use layout::{Layout, lay_out};
pub use limits::Limits;
pub use model::{ActionRow, Annotation, RowBaseline, RowId, RowState, RunHeader, TargetResult};
pub use publish::{PublishError, ensure_not_open};
pub use read::{ReadError, ReadSheet, read_workbook, read_workbook_within};

/// Writes the workbook for `layout` to `path`: refuses if it is open, writes a temporary file
/// and renames it into place.
pub fn write_workbook(
    path: &std::path::Path,
    header: &RunHeader,
    layout: &Layout,
    state: &RowState,
    actions: &[ActionRow],
) -> Result<(), PublishError> {
    publish::publish(path, |temporary| {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(temporary);
        xlsx::write(&mut out, header, layout, state, actions).map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())
    })
}

use std::path::Path;

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::Workbook;

/// Why an xlsx round trip failed.
#[derive(Debug, thiserror::Error)]
#[error("xlsx in {dir}: {message}")]
pub struct SelfCheckError {
    dir: String,
    message: String,
}

/// Writes a small workbook in `dir`, reads it back and compares. The file is an exclusive
/// temporary written and read through its handle (never reopened by a name someone could
/// plant a link at) and is gone when the check ends.
pub fn self_check(dir: &Path) -> Result<(), SelfCheckError> {
    let result = tempfile::tempfile_in(dir)
        .map_err(|e| format!("cannot create a temporary file: {e}"))
        .and_then(round_trip);
    result.map_err(|message| SelfCheckError {
        dir: dir.display().to_string(),
        message,
    })
}

fn round_trip(mut file: std::fs::File) -> Result<(), String> {
    use std::io::{Seek, SeekFrom};
    const TEXT: &str = "Ünïcødé ✓ ]'; =1+1";
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Selftest").map_err(|e| e.to_string())?;
    sheet.write_string(0, 0, TEXT).map_err(|e| e.to_string())?;
    sheet.write_number(1, 0, 42.5).map_err(|e| e.to_string())?;
    workbook
        .save_to_writer(&mut file)
        .map_err(|e| e.to_string())?;
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let mut read = Xlsx::new(std::io::BufReader::new(file)).map_err(|e| e.to_string())?;
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
