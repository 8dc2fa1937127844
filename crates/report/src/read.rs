//! Reading a workbook back (calamine): every sheet's headers and cells as text. Sync (step 6)
//! reads annotations through this; tests use it to check what was written.

use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx, open_workbook};

/// One sheet as read.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadSheet {
    /// Tab name.
    pub name: String,
    /// Row 1.
    pub headers: Vec<String>,
    /// Rows 2 onwards, each as wide as the headers.
    pub rows: Vec<Vec<String>>,
}

/// Why a workbook could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the workbook {path}: {message}")]
pub struct ReadError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

/// Reads every sheet of the workbook at `path`.
pub fn read_workbook(path: &Path) -> Result<Vec<ReadSheet>, ReadError> {
    let fail = |message: String| ReadError {
        path: path.to_owned(),
        message,
    };
    let mut book: Xlsx<_> = open_workbook(path)
        .map_err(|e: calamine::XlsxError| fail(format!("{e} (is it an .xlsx workbook?)")))?;
    let mut out = Vec::new();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| fail(format!("sheet `{name}`: {e}")))?;
        // The range starts at the first used cell: pad back to A1.
        let (top, left) = range.start().unwrap_or((0, 0));
        let pad = |row: &[Data]| {
            let mut cells = vec![String::new(); left as usize];
            cells.extend(row.iter().map(text));
            cells
        };
        let blank = std::iter::repeat_n(Vec::new(), top as usize);
        let mut rows = blank.chain(range.rows().map(pad));
        let headers = rows.next().unwrap_or_default();
        let width = headers.len();
        let rows = rows
            .map(|mut r| {
                r.resize(width.max(r.len()), String::new());
                r
            })
            .collect();
        out.push(ReadSheet {
            name,
            headers,
            rows,
        });
    }
    Ok(out)
}

fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}
