//! Reading a workbook back: every sheet's headers and cells as text. Sync reads annotations
//! through this; tests use it to check what was written.
//!
//! A workbook comes back from people, so it is read within [`Limits`], each checked before
//! the work it protects: the file's size; the zip's parts, first by the sizes its central
//! directory declares and then while inflating each one (headers can lie), with nothing handed
//! to calamine until every part is known to fit; the shared-strings table's declared and
//! actual entries (calamine reserves the declared count); the number of sheets. Cells are then
//! streamed (calamine's cell reader), so memory follows the cells present, never a sheet's
//! declared dimension: each non-empty cell's row and column, the number kept, each cell's
//! length (of its text as kept, whatever its type: strings, shared strings, ISO dates and
//! durations, numbers) and the bytes of text kept over the whole read are checked as it
//! arrives.

use std::io::{BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use calamine::{Data, DataRef, Reader, Xlsx, XlsxError};
use quick_xml::events::Event;
use zip::ZipArchive;

use crate::limits::{self, Limits, column_letters, excel_len};

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
    /// What to do about it, when the reader knows better than "restore the workbook".
    pub fix: Option<String>,
}

/// Reads every sheet of the workbook at `path`, within [`Limits::default`].
pub fn read_workbook(path: &Path) -> Result<Vec<ReadSheet>, ReadError> {
    read_workbook_within(path, &Limits::default())
}

/// Reads every sheet of the workbook at `path`, within `limits`.
pub fn read_workbook_within(path: &Path, limits: &Limits) -> Result<Vec<ReadSheet>, ReadError> {
    let mut book = Book::open(path, limits)?;
    let mut out = Vec::new();
    for name in book.sheet_names() {
        out.push(book.sheet(&name)?);
    }
    book.finish()?;
    Ok(out)
}

/// An opened workbook whose parts all fit the limits; sheets are read one at a time.
pub(crate) struct Book {
    path: PathBuf,
    xlsx: Xlsx<Cursor<Vec<u8>>>,
    limits: Limits,
    /// Non-empty cells kept so far, over every sheet read.
    cells: u64,
    /// Bytes of cell text measured so far (kept or refused as too long), over every sheet read.
    text_bytes: u64,
    /// Cells longer than Excel allows (at most 20 named) and how many there were.
    over_long: (Vec<String>, usize),
}

/// Over-long cells named in the error (the rest are counted).
const NAMED: usize = 20;

impl Book {
    /// Checks the file and every part against `limits`, then opens it.
    pub(crate) fn open(path: &Path, limits: &Limits) -> Result<Book, ReadError> {
        let fail = |message: String, fix: Option<String>| ReadError {
            path: path.to_owned(),
            message,
            fix,
        };
        // Looked at before opening: opening a FIFO blocks until someone writes to it.
        if let Some(what) = crate::publish::not_a_regular_file(path) {
            return Err(fail(
                format!(
                    "it is {what}, not a regular file; a workbook is only read as a regular file"
                ),
                Some(NOT_A_FILE.into()),
            ));
        }
        let size = std::fs::metadata(path)
            .map_err(|e| fail(format!("{e}"), None))?
            .len();
        if size > limits.file_bytes {
            return Err(fail(
                format!(
                    "the file is {} bytes; a workbook is read up to {} bytes",
                    size, limits.file_bytes
                ),
                Some(RESTORE.into()),
            ));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        let file = std::fs::File::open(path).map_err(|e| fail(format!("{e}"), None))?;
        // And again on what was opened, in case the name was swapped in between.
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            return Err(fail(
                "it is not a regular file; a workbook is only read as a regular file".into(),
                Some(NOT_A_FILE.into()),
            ));
        }
        file.take(limits.file_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| fail(format!("{e}"), None))?;
        if bytes.len() as u64 > limits.file_bytes {
            return Err(fail(
                format!("the file grew past {} bytes while read", limits.file_bytes),
                Some(RESTORE.into()),
            ));
        }
        check_parts(&bytes, limits).map_err(|(message, fix)| fail(message, fix))?;
        let xlsx = Xlsx::new(Cursor::new(bytes))
            .map_err(|e| fail(format!("{e} (is it an .xlsx workbook?)"), None))?;
        let sheets = xlsx.sheet_names().len();
        if sheets > limits.sheets {
            return Err(fail(
                format!(
                    "it has {sheets} sheets; a workbook is read with at most {} (AutoDBAudit writes 20)",
                    limits.sheets
                ),
                Some("delete the sheets you added, or restore the workbook".into()),
            ));
        }
        Ok(Book {
            path: path.to_owned(),
            xlsx,
            limits: limits.clone(),
            cells: 0,
            text_bytes: 0,
            over_long: (Vec::new(), 0),
        })
    }

    /// The tab names, in workbook order.
    pub(crate) fn sheet_names(&self) -> Vec<String> {
        self.xlsx.sheet_names()
    }

    fn fail(&self, message: String, fix: Option<String>) -> ReadError {
        ReadError {
            path: self.path.clone(),
            message,
            fix,
        }
    }

    /// Reads the sheet `name`: its non-empty cells, streamed and checked one by one.
    pub(crate) fn sheet(&mut self, name: &str) -> Result<ReadSheet, ReadError> {
        let max_row = self.limits.rows_on(name);
        let max_col = self.limits.columns;
        let mut kept: Vec<(u32, u32, String)> = Vec::new();
        let mut reader = match self.xlsx.worksheet_cells_reader(name) {
            Ok(reader) => reader,
            // A chart sheet or a dialog sheet: no cells.
            Err(XlsxError::NotAWorksheet(_)) => {
                return Ok(ReadSheet {
                    name: name.to_owned(),
                    headers: Vec::new(),
                    rows: Vec::new(),
                });
            }
            Err(e) => {
                return Err(ReadError {
                    path: self.path.clone(),
                    message: format!("sheet `{name}`: {e}"),
                    fix: None,
                });
            }
        };
        let mut problem: Option<(String, Option<String>)> = None;
        loop {
            let cell = match reader.next_cell() {
                Ok(Some(cell)) => cell,
                Ok(None) => break,
                Err(e) => {
                    problem = Some((format!("sheet `{name}`: {e}"), None));
                    break;
                }
            };
            let (row, col) = cell.get_position();
            let value = match cell.get_value() {
                DataRef::Empty => continue,
                DataRef::String(s) if s.is_empty() => continue,
                DataRef::SharedString("") => continue,
                v => v,
            };
            let at = format!("{}{}", column_letters(col + 1), row as u64 + 1);
            if row >= max_row {
                problem = Some((
                    format!(
                        "sheet `{name}`: cell {at} is in row {}; this sheet is read up to row {max_row} (the rows AutoDBAudit wrote plus {} added)",
                        row as u64 + 1,
                        limits::EXTRA_ROWS
                    ),
                    Some(format!(
                        "delete the rows below row {max_row} of sheet `{name}`, or restore the workbook"
                    )),
                ));
                break;
            }
            if col >= max_col {
                problem = Some((
                    format!(
                        "sheet `{name}`: cell {at} is in column {}; sheets are read up to column {} ({max_col})",
                        column_letters(col + 1),
                        column_letters(max_col)
                    ),
                    Some(format!(
                        "delete the columns after column {} of sheet `{name}`, or restore the workbook",
                        column_letters(max_col)
                    )),
                ));
                break;
            }
            // The text as it will be kept, whatever the cell's type (`t="d"` gives an ISO date
            // of any length, `t="s"` a shared string of any length, once per cell).
            let value = text(Data::from(value.clone()));
            self.text_bytes += value.len() as u64;
            if self.text_bytes > self.limits.text_bytes {
                problem = Some((
                    format!(
                        "sheet `{name}` cell {at}: the cells' text adds up to more than {} bytes; a workbook is read up to that (the bound for the rows AutoDBAudit wrote, against one long shared string repeated in every cell)",
                        self.limits.text_bytes
                    ),
                    Some(
                        "delete the long texts or the rows you added, or restore the workbook"
                            .into(),
                    ),
                ));
                break;
            }
            // UTF-16 code units never outnumber UTF-8 bytes: only a long text needs counting.
            let long = if value.len() > self.limits.cell_chars {
                excel_len(&value)
            } else {
                0
            };
            if long > self.limits.cell_chars {
                if self.over_long.0.len() < NAMED {
                    self.over_long
                        .0
                        .push(format!("sheet `{name}` cell {at}: {long} characters"));
                }
                self.over_long.1 += 1;
                continue;
            }
            self.cells += 1;
            if self.cells > self.limits.cells {
                problem = Some((
                    format!(
                        "sheet `{name}`: more than {} non-empty cells in the workbook (the bound for the rows AutoDBAudit wrote)",
                        self.limits.cells
                    ),
                    Some("delete the rows you added, or restore the workbook".into()),
                ));
                break;
            }
            kept.push((row, col, value));
        }
        drop(reader);
        if let Some((message, fix)) = problem {
            return Err(self.fail(message, fix));
        }
        Ok(lay_out_cells(name, kept))
    }

    /// Fails when a cell read was longer than Excel allows, naming them.
    pub(crate) fn finish(&self) -> Result<(), ReadError> {
        let (named, count) = &self.over_long;
        if *count == 0 {
            return Ok(());
        }
        let mut list = named.join("; ");
        if *count > named.len() {
            list.push_str(&format!("; and {} more", count - named.len()));
        }
        Err(self.fail(
            format!(
                "{count} cell(s) are longer than Excel's limit of {} characters, which no workbook can hold: {list}; nothing was imported",
                limits::EXCEL_CELL_CHARS
            ),
            Some(format!(
                "shorten each to at most {} characters (keep long texts in a document and refer to it), then run the command again",
                limits::EXCEL_CELL_CHARS
            )),
        ))
    }
}

const NOT_A_FILE: &str = "move it away (the workbook is a regular .xlsx file), then run `autodbaudit report` to write it again from the history";

const RESTORE: &str = "restore the workbook AutoDBAudit wrote (from a copy or backup), or move it away and run `autodbaudit report` to write it again from the history";

/// The sheet's cells as rows from A1: row 1 is the headers; every row at least as wide.
fn lay_out_cells(name: &str, mut cells: Vec<(u32, u32, String)>) -> ReadSheet {
    // Stable: of two cells at one position, the later in the file wins.
    cells.sort_by_key(|(r, c, _)| (*r, *c));
    let last_row = cells.last().map(|(r, _, _)| *r as usize);
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(last_row.map_or(0, |r| r + 1));
    let mut cells = cells.into_iter().peekable();
    let mut width = 0;
    for r in 0..last_row.map_or(0, |r| r + 1) {
        let mut row = vec![String::new(); width];
        while let Some((_, c, v)) = cells.next_if(|(cr, _, _)| *cr as usize == r) {
            let c = c as usize;
            if row.len() <= c {
                row.resize(c + 1, String::new());
            }
            row[c] = v;
        }
        if r == 0 {
            width = row.len();
        }
        rows.push(row);
    }
    let mut rows = rows.into_iter();
    let headers = rows.next().unwrap_or_default();
    ReadSheet {
        name: name.to_owned(),
        headers,
        rows: rows.collect(),
    }
}

/// Whether a part is held whole in memory by the reader and small in any real workbook.
fn is_small_part(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".rels")
        || lower.ends_with("workbook.xml")
        || lower.ends_with("styles.xml")
        || lower.contains("theme/")
        || lower.ends_with("[content_types].xml")
}

fn is_shared_strings(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with("sharedstrings.xml")
}

type Failure = (String, Option<String>);

/// Every part against the limits: the count, the declared sizes, then each inflated with its
/// bound enforced, and the shared-strings table's entries.
fn check_parts(bytes: &[u8], limits: &Limits) -> Result<(), Failure> {
    let not_zip = |e: zip::result::ZipError| {
        (
            format!("it is not an .xlsx workbook (not a readable zip archive: {e})"),
            Some(RESTORE.to_owned()),
        )
    };
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(not_zip)?;
    if zip.len() > limits.parts {
        return Err((
            format!(
                "it has {} parts; a workbook is read with at most {}",
                zip.len(),
                limits.parts
            ),
            Some(RESTORE.to_owned()),
        ));
    }
    let too_big = |part: &str, size: u64, bound: u64, how: &str| {
        (
            format!(
                "part `{part}` {how} {size} bytes when inflated; a part is read up to {bound} bytes (a bound against zip bombs)"
            ),
            Some(RESTORE.to_owned()),
        )
    };
    // Declared sizes first: nothing is inflated for a file that says it is too big.
    let mut parts = Vec::with_capacity(zip.len());
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        let file = zip.by_index_raw(i).map_err(not_zip)?;
        let name = file.name().map_err(not_zip)?.into_owned();
        let bound = if is_small_part(&name) {
            limits.small_part_bytes
        } else {
            limits.part_bytes
        };
        if file.size() > bound {
            return Err(too_big(&name, file.size(), bound, "declares"));
        }
        declared = declared.saturating_add(file.size());
        parts.push((i, name, bound));
    }
    if declared > limits.total_bytes {
        return Err((
            format!(
                "its parts declare {declared} bytes when inflated; a workbook is read up to {} bytes (a bound against zip bombs)",
                limits.total_bytes
            ),
            Some(RESTORE.to_owned()),
        ));
    }
    // Then inflated, each bound enforced as the bytes come (a header can lie).
    let mut total: u64 = 0;
    for (i, name, bound) in parts {
        let file = zip.by_index(i).map_err(not_zip)?;
        let mut counted = Counted {
            inner: file.take(bound + 1),
            n: 0,
        };
        let outcome = if is_shared_strings(&name) {
            scan_shared_strings(&mut counted, limits)
        } else {
            std::io::copy(&mut counted, &mut std::io::sink())
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        if counted.n > bound {
            return Err(too_big(&name, counted.n, bound, "inflates to more than"));
        }
        if let Err(e) = outcome {
            let why = if e.contains("declared uncompressed size") {
                "it inflates to more than its headers declare (a zip bomb)".to_owned()
            } else {
                e
            };
            return Err((
                format!("part `{name}` cannot be read: {why}"),
                Some(RESTORE.to_owned()),
            ));
        }
        total += counted.n;
        if total > limits.total_bytes {
            return Err((
                format!(
                    "its parts inflate to more than {} bytes; a workbook is read up to that (a bound against zip bombs)",
                    limits.total_bytes
                ),
                Some(RESTORE.to_owned()),
            ));
        }
    }
    Ok(())
}

/// A reader that counts the bytes it gives.
struct Counted<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

/// Counts the shared-strings table's entries (and checks the count it declares, which the
/// reader reserves room for) against the bound; reads the part to its end.
fn scan_shared_strings(part: &mut impl Read, limits: &Limits) -> Result<(), String> {
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part));
    let mut buf = Vec::new();
    let mut entries: u64 = 0;
    let over = |n: u64| {
        format!(
            "the shared-strings table has {n} entries; a workbook is read with at most {} (the bound for the rows AutoDBAudit wrote)",
            limits.shared_strings
        )
    };
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                "sst" => {
                    // The reader reserves room for the declared count before reading any.
                    for attr in e.attributes().flatten() {
                        if attr.key.local_name().as_ref() != "uniqueCount" {
                            continue;
                        }
                        if let Ok(n) = attr.value.trim().parse::<u64>()
                            && n > limits.shared_strings
                        {
                            return Err(over(n));
                        }
                    }
                }
                "si" => {
                    entries += 1;
                    if entries > limits.shared_strings {
                        return Err(over(entries));
                    }
                }
                _ => {}
            },
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    // Whatever follows the XML counts against the part's bound too.
    std::io::copy(&mut xml.into_inner(), &mut std::io::sink()).map_err(|e| e.to_string())?;
    Ok(())
}

/// A cell's value as the text kept (no second copy of a string).
fn text(cell: Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s,
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
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
