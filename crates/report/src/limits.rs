//! The bounds every read of a workbook is held to, and Excel's own cell limit.
//!
//! A workbook comes back from people (and from anything that can write a zip), so nothing in it
//! is trusted to be the size it claims: the file, each part inflated and all parts together,
//! the sheets, the highest row and column used, the cells present, the shared strings, the
//! length of each cell and the text of all cells together are all bounded, and each bound is checked before the work it protects
//! (a declared size before inflating, the inflated size while inflating, a cell's position
//! before it is kept). Exceeding one is an error naming the file, the sheet or part, the bound
//! and what to do, never an abort. `docs/user-guide.md` (sync) lists the values.

use std::borrow::Cow;
use std::collections::HashMap;

/// Excel's limit on one cell's text, in UTF-16 code units (how Excel and rust_xlsxwriter count).
pub const EXCEL_CELL_CHARS: usize = 32_767;

/// Rows a person may add below what the tool wrote on a sheet, before a read refuses the sheet.
pub const EXTRA_ROWS: u32 = 10_000;

/// The highest column a read accepts on any sheet (the tool writes at most about 40; people
/// insert a few): column 128, `DX`.
pub const MAX_COLUMNS: u32 = 128;

/// The highest number of sheets a read accepts (the tool writes 20).
pub const MAX_SHEETS: usize = 64;

/// The most parts (zip entries) a read accepts (the tool writes about 50).
pub const MAX_PARTS: usize = 1_000;

/// The largest workbook file a read accepts: 256 MiB (the tool writes about 35 MB for 1,000
/// instances).
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// Parts that are read whole into memory and are small in any real workbook (relationships,
/// the workbook part, styles, the theme): each at most 16 MiB inflated.
pub const MAX_SMALL_PART_BYTES: u64 = 16 << 20;

/// The text put at the end of a value cut to fit one cell, so that nobody takes it for the
/// whole value.
pub const TRUNCATED_MARKER: &str =
    " … [truncated by AutoDBAudit: longer than Excel's 32,767-character cell limit]";

/// A text's length as Excel counts it (UTF-16 code units).
pub fn excel_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// `text` if a cell can hold it, else its beginning followed by [`TRUNCATED_MARKER`], within
/// [`EXCEL_CELL_CHARS`]. The writer passes every text through this, so a value a history
/// written by an older version holds can never make a workbook unwritable.
pub fn fit_cell(text: &str) -> Cow<'_, str> {
    if text.len() <= EXCEL_CELL_CHARS || excel_len(text) <= EXCEL_CELL_CHARS {
        return Cow::Borrowed(text);
    }
    let room = EXCEL_CELL_CHARS - excel_len(TRUNCATED_MARKER);
    let mut used = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        if used + c.len_utf16() > room {
            break;
        }
        used += c.len_utf16();
        end = i + c.len_utf8();
    }
    Cow::Owned(format!("{}{TRUNCATED_MARKER}", &text[..end]))
}

/// The bounds of one read. [`Limits::default`] fits any workbook the tool writes (a fleet of
/// 1,000 instances); [`Limits::expecting`] derives tighter ones from the rows the tool wrote
/// on each sheet, which is what sync uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The file on disk, in bytes.
    pub file_bytes: u64,
    /// Zip entries.
    pub parts: usize,
    /// Each worksheet or shared-strings part, inflated, in bytes.
    pub part_bytes: u64,
    /// Every other part, inflated, in bytes.
    pub small_part_bytes: u64,
    /// All parts together, inflated, in bytes.
    pub total_bytes: u64,
    /// Sheets in the workbook.
    pub sheets: usize,
    /// The highest column (1-based) of a non-empty cell, on any sheet.
    pub columns: u32,
    /// The highest row (1-based) of a non-empty cell, per sheet (by name).
    pub rows: HashMap<String, u32>,
    /// The highest row on a sheet not in `rows`.
    pub other_rows: u32,
    /// Non-empty cells kept, over every sheet read.
    pub cells: u64,
    /// Entries of the shared-strings table (declared and present).
    pub shared_strings: u64,
    /// One cell's text, in UTF-16 code units.
    pub cell_chars: usize,
    /// The text of every non-empty cell read, all together, in bytes. A shared string counts
    /// once per cell that shows it: the reader keeps each cell's own copy, so a table of one
    /// long string referenced by every cell would otherwise multiply a few MB on disk into
    /// gigabytes in memory.
    pub text_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            file_bytes: MAX_FILE_BYTES,
            parts: MAX_PARTS,
            part_bytes: 2 << 30,
            small_part_bytes: MAX_SMALL_PART_BYTES,
            total_bytes: 4 << 30,
            sheets: MAX_SHEETS,
            columns: MAX_COLUMNS,
            rows: HashMap::new(),
            other_rows: 1_048_576,
            cells: 50_000_000,
            shared_strings: 50_000_000,
            cell_chars: EXCEL_CELL_CHARS,
            text_bytes: 1 << 30,
        }
    }
}

impl Limits {
    /// Bounds for a workbook the tool wrote with `rows` data rows on each named sheet: each of
    /// those sheets may grow by [`EXTRA_ROWS`]; the inflated size may be 64 MiB plus 16 KiB per
    /// row (a row the tool writes is under 4 KiB), and so may the text of all cells read; the
    /// cells, the shared strings and the sheets nobody expects are bounded from the same
    /// total.
    pub fn expecting<'a>(rows: impl IntoIterator<Item = (&'a str, usize)>) -> Limits {
        let mut limits = Limits::default();
        let mut total: u64 = 0;
        for (sheet, n) in rows {
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            // + the header row.
            let bound = n.saturating_add(1).saturating_add(EXTRA_ROWS);
            limits.rows.insert(sheet.to_owned(), bound.min(1_048_576));
            total += u64::from(n);
        }
        let budget = (64 << 20) + total * (16 << 10);
        limits.part_bytes = budget;
        limits.total_bytes = budget + (64 << 20);
        limits.text_bytes = budget;
        limits.other_rows = EXTRA_ROWS + 100;
        limits.cells = (total + u64::from(EXTRA_ROWS)) * u64::from(MAX_COLUMNS) / 2;
        limits.shared_strings = limits.cells;
        limits
    }

    /// The highest row accepted on `sheet`.
    pub fn rows_on(&self, sheet: &str) -> u32 {
        self.rows.get(sheet).copied().unwrap_or(self.other_rows)
    }
}

/// A column number (1-based) as Excel's letters.
pub fn column_letters(mut column: u32) -> String {
    let mut out = Vec::new();
    while column > 0 {
        let r = (column - 1) % 26;
        out.push(b'A' + r as u8);
        column = (column - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_that_fits_is_kept_and_a_longer_one_is_cut_with_the_marker() {
        assert!(matches!(fit_cell("short"), Cow::Borrowed("short")));
        let exact = "x".repeat(EXCEL_CELL_CHARS);
        assert_eq!(fit_cell(&exact), exact);
        // Emoji are two UTF-16 units each: the cut counts as Excel does.
        let long = "😀".repeat(EXCEL_CELL_CHARS);
        let fitted = fit_cell(&long);
        assert!(fitted.ends_with(TRUNCATED_MARKER));
        assert!(excel_len(&fitted) <= EXCEL_CELL_CHARS);
        assert!(excel_len(&fitted) > EXCEL_CELL_CHARS - 200);
    }

    #[test]
    fn column_letters_are_excels() {
        assert_eq!(column_letters(1), "A");
        assert_eq!(column_letters(26), "Z");
        assert_eq!(column_letters(27), "AA");
        assert_eq!(column_letters(128), "DX");
        assert_eq!(column_letters(16_384), "XFD");
    }
}
