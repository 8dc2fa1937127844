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
        // A date an auditor typed (Excel stores a serial day number): as ISO text.
        Data::DateTime(d) => excel_date(d.as_f64()),
        other => other.to_string(),
    }
}

/// An Excel serial date (days since 1899-12-30, fractions = time of day) as `YYYY-MM-DD` or
/// `YYYY-MM-DD hh:mm`.
fn excel_date(serial: f64) -> String {
    let days = serial.floor() as i64;
    let minutes = ((serial - serial.floor()) * 1440.0).round() as i64;
    // Days from 1970-01-01, then the civil date (Howard Hinnant's algorithm).
    let z = days - 25569 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if minutes == 0 {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!(
            "{year:04}-{month:02}-{day:02} {:02}:{:02}",
            minutes / 60,
            minutes % 60
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn excel_serial_dates() {
        assert_eq!(super::excel_date(1.0), "1899-12-31");
        assert_eq!(super::excel_date(25569.0), "1970-01-01");
        assert_eq!(super::excel_date(46352.0), "2026-11-26");
        assert_eq!(super::excel_date(46352.5), "2026-11-26 12:00");
        assert_eq!(super::excel_date(45351.0), "2024-02-29");
    }
}
