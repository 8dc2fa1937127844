//! `sync` against hostile workbooks (issue 15, defects 3, 4 and 5), through the real binary
//! and a simulated server: the workbook-bomb set (each refused with exit 2 and a clear
//! message, the binary's peak memory bounded, no run recorded), over-long cells (refused at
//! import; an over-long value already in a history written by an older version is cut with a
//! marker when the workbook is written), copied rows, swapped `_UUID`s and a sort that left
//! column A out (never applied), a sheet whose key column was renamed (its annotations
//! reported, never applied by `_UUID`), a FIFO at the workbook path (refused, no hang), and a
//! flood of unmatched rows (summarised, not one line each).
//! Workbooks are edited here at the XML level (no Python needed).

#[path = "../../report/tests/bombs/mod.rs"]
mod bombs;
mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::Workspace;
use common::fleet::{Fleet, fleet, workspace_for};
use mssql_sim::fixtures::{self, DEMO_PASSWORD};

const AUDIT: &str = "2026-H2";
const LOGINS: &str = "Server Logins";
/// The bound the binary's peak memory is held to on every hostile workbook.
const MEMORY_BOUND_KIB: u64 = 500 * 1024;

fn setup() -> (Fleet, Workspace) {
    let f = fleet(vec![(
        "typical",
        fixtures::builtin("typical-2019").unwrap(),
    )]);
    let ws = workspace_for(&f, "");
    let (code, _, stderr) = command(&ws, "audit");
    assert_eq!(code, 0, "{stderr}");
    (f, ws)
}

fn command(ws: &Workspace, name: &str) -> (i32, String, String) {
    let (code, stdout, stderr, _) = measured(ws, name);
    (code, stdout, stderr)
}

/// Runs the command and returns its exit code, output and peak resident memory (KiB, from
/// /proc while it runs: VmHWM is a high-water mark, read until the process exits).
fn measured(ws: &Workspace, name: &str) -> (i32, String, String, u64) {
    let mut child = ws
        .cmd()
        .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
        .arg(name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).unwrap();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).unwrap();
        s
    });
    let mut peak = 0;
    let code = loop {
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib: u64 = line
                .split_whitespace()
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status
                .code()
                .expect("exited normally, not killed by a signal");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    (code, out.join().unwrap(), err.join().unwrap(), peak)
}

fn workbook(ws: &Workspace) -> PathBuf {
    ws.join(&format!("output/{AUDIT}/{AUDIT}.xlsx"))
}

fn runs(ws: &Workspace) -> usize {
    history::History::open(&ws.join("audit_history.db"))
        .unwrap()
        .runs(1)
        .unwrap()
        .len()
}

fn annotations(ws: &Workspace) -> usize {
    history::History::open(&ws.join("audit_history.db"))
        .unwrap()
        .annotations(1)
        .unwrap()
        .values()
        .filter(|a| **a != audit_core::Annotation::default())
        .count()
}

/// A sheet as read: (headers, rows).
fn sheet(path: &Path, name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let s = report::read_workbook(path)
        .unwrap()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap();
    (s.headers, s.rows)
}

fn column(headers: &[String], name: &str) -> usize {
    headers.iter().position(|h| h == name).unwrap()
}

/// The 0-based index (in `rows`) of the row showing login `login`.
fn login_row(path: &Path, login: &str) -> usize {
    let (headers, rows) = sheet(path, LOGINS);
    let c = column(&headers, "Login Name");
    rows.iter()
        .position(|r| r[c] == login)
        .unwrap_or_else(|| panic!("no row for {login}"))
}

// ---------------------------------------------------------------------------------------------
// Editing a workbook the tool wrote, at the XML level.

/// One worksheet part, split into rows of cells.
struct SheetXml {
    head: String,
    /// Each row: its cells as (0-based column, the cell's XML).
    rows: Vec<Vec<(u32, String)>>,
    tail: String,
}

fn column_index(reference: &str) -> u32 {
    reference
        .bytes()
        .take_while(u8::is_ascii_uppercase)
        .fold(0, |n, b| n * 26 + u32::from(b - b'A' + 1))
        - 1
}

fn letters(mut column: u32) -> String {
    let mut out = Vec::new();
    column += 1;
    while column > 0 {
        out.push(b'A' + ((column - 1) % 26) as u8);
        column = (column - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl SheetXml {
    fn parse(xml: &str) -> SheetXml {
        let start = xml.find("<sheetData>").unwrap() + "<sheetData>".len();
        let end = xml.find("</sheetData>").unwrap();
        let mut rows = Vec::new();
        let mut rest = &xml[start..end];
        while let Some(open) = rest.find("<row") {
            let tag_end = open + rest[open..].find('>').unwrap();
            if rest.as_bytes()[tag_end - 1] == b'/' {
                rows.push(Vec::new());
                rest = &rest[tag_end + 1..];
                continue;
            }
            let close = rest.find("</row>").unwrap();
            let mut body = &rest[tag_end + 1..close];
            let mut cells = Vec::new();
            while let Some(c) = body.find("<c ") {
                let gt = c + body[c..].find('>').unwrap();
                let end = if body.as_bytes()[gt - 1] == b'/' {
                    gt + 1
                } else {
                    c + body[c..].find("</c>").unwrap() + 4
                };
                let cell = &body[c..end];
                let r = cell.find(" r=\"").unwrap() + 4;
                cells.push((column_index(&cell[r..]), cell.to_owned()));
                body = &body[end..];
            }
            rows.push(cells);
            rest = &rest[close + "</row>".len()..];
        }
        SheetXml {
            head: xml[..start].to_owned(),
            rows,
            tail: xml[end..].to_owned(),
        }
    }

    /// Writes it back, every cell's reference following its row and column.
    fn render(&self) -> String {
        let mut out = self.head.clone();
        for (i, cells) in self.rows.iter().enumerate() {
            let n = i + 1;
            out.push_str(&format!("<row r=\"{n}\">"));
            for (col, cell) in cells {
                let r = cell.find(" r=\"").unwrap() + 4;
                let q = r + cell[r..].find('"').unwrap();
                out.push_str(&format!("{}{}{n}{}", &cell[..r], letters(*col), &cell[q..]));
            }
            out.push_str("</row>");
        }
        out.push_str(&self.tail);
        out
    }

    /// Sets the text of the cell at (0-based data row `row` below the header, 0-based column).
    fn set(&mut self, row: usize, col: usize, text: &str) {
        let cells = &mut self.rows[row + 1];
        let cell = format!(
            r#"<c r="A1" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
            escape(text)
        );
        match cells.iter().position(|(c, _)| *c as usize >= col) {
            Some(i) if cells[i].0 as usize == col => cells[i].1 = cell,
            Some(i) => cells.insert(i, (col as u32, cell)),
            None => cells.push((col as u32, cell)),
        }
    }

    /// Column `col`'s cell of data row `row`.
    fn cell(&self, row: usize, col: usize) -> Option<(u32, String)> {
        self.rows[row + 1]
            .iter()
            .find(|(c, _)| *c as usize == col)
            .cloned()
    }

    fn put(&mut self, row: usize, col: usize, cell: Option<(u32, String)>) {
        let cells = &mut self.rows[row + 1];
        cells.retain(|(c, _)| *c as usize != col);
        if let Some(cell) = cell {
            let i = cells.partition_point(|(c, _)| (*c as usize) < col);
            cells.insert(i, cell);
        }
    }
}

/// Applies `edit` to sheet `name` of the workbook at `path` (the other parts are kept).
fn edit_sheet(path: &Path, name: &str, edit: impl FnOnce(&mut SheetXml)) {
    let bytes = std::fs::read(path).unwrap();
    let part = bombs::sheet_part(&bytes, name);
    let xml = bombs::parts(&bytes)
        .into_iter()
        .find(|(n, _)| *n == part)
        .map(|(_, d)| String::from_utf8(d).unwrap())
        .unwrap();
    let mut sheet = SheetXml::parse(&xml);
    edit(&mut sheet);
    let rebuilt = bombs::rebuild(
        &bytes,
        vec![(part, bombs::Data::Plain(sheet.render().into_bytes()))],
    );
    let mut file = std::fs::File::create(path).unwrap();
    file.write_all(&rebuilt).unwrap();
}

// ---------------------------------------------------------------------------------------------

#[test]
fn workbook_bombs_stop_sync_with_exit_2_bounded_memory_and_no_run_recorded() {
    let (_fleet, ws) = setup();
    let path = workbook(&ws);
    let original = std::fs::read(&path).unwrap();
    // The editing helper reproduces the tool's workbook faithfully: a sync of it is clean.
    edit_sheet(&path, LOGINS, |_| {});
    let (code, stdout, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let before = runs(&ws);
    let fresh = std::fs::read(&path).unwrap();
    let mut failures = Vec::new();
    for (name, bytes, expected) in bombs::hostile_set(&fresh, LOGINS) {
        std::fs::write(&path, &bytes).unwrap();
        let (code, stdout, stderr, peak) = measured(&ws, "sync");
        let text = format!("{stdout}{stderr}");
        if code != 2 {
            failures.push(format!("{name}: exit {code}: {text}"));
        } else if !text.contains(expected) || !text.contains(&format!("{AUDIT}.xlsx")) {
            failures.push(format!(
                "{name}: the message does not say `{expected}`: {text}"
            ));
        } else if !text.contains("no run was recorded") {
            failures.push(format!(
                "{name}: the hint does not say nothing changed: {text}"
            ));
        }
        if peak > MEMORY_BOUND_KIB {
            failures.push(format!("{name}: peak memory {peak} KiB"));
        }
        if runs(&ws) != before {
            failures.push(format!("{name}: a run was recorded"));
        }
        // The workbook is left as it was found, for the auditor to restore.
        if std::fs::read(&path).unwrap() != bytes {
            failures.push(format!("{name}: the workbook was replaced"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Restored, sync works again.
    std::fs::write(&path, original).unwrap();
    let (code, stdout, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn over_long_cells_are_refused_at_import_and_an_old_history_cannot_brick_the_workbook() {
    let (_fleet, ws) = setup();
    let path = workbook(&ws);
    let (headers, _) = sheet(&path, LOGINS);
    let notes = column(&headers, "Notes");
    let row = login_row(&path, "payroll_app");
    let long = "N".repeat(50_000);
    let original = std::fs::read(&path).unwrap();
    edit_sheet(&path, LOGINS, |s| s.set(row, notes, &long));
    let before = runs(&ws);
    let (code, stdout, stderr) = command(&ws, "sync");
    let text = format!("{stdout}{stderr}");
    assert_eq!(code, 2, "{text}");
    let at = format!(
        "sheet `{LOGINS}` cell {}{}: 50000 characters",
        letters(notes as u32),
        row + 2
    );
    assert!(text.contains(&at), "{text}");
    assert!(text.contains("32767"), "{text}");
    assert_eq!(runs(&ws), before, "no run recorded");
    assert_eq!(annotations(&ws), 0, "nothing imported");

    // The workbook was left as found; the auditor shortens the note (here: the original).
    std::fs::write(&path, original).unwrap();

    // A history written by an older version already holds a 50,000-character note.
    set_old_annotation(&ws, &long);
    for cmd in ["report", "sync", "report"] {
        let (code, stdout, stderr) = command(&ws, cmd);
        assert_eq!(code, 0, "{cmd}: {stdout}{stderr}");
    }
    let (headers, rows) = sheet(&path, LOGINS);
    let notes = column(&headers, "Notes");
    let cut: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[notes].ends_with(report::limits::TRUNCATED_MARKER))
        .collect();
    assert_eq!(cut.len(), 1, "the note is cut with the marker");
    assert!(report::limits::excel_len(&cut[0][notes]) <= report::limits::EXCEL_CELL_CHARS);
    // Sync imported the cut text: the history holds nothing a workbook cannot.
    let history = history::History::open(&ws.join("audit_history.db")).unwrap();
    for a in history.annotations(1).unwrap().values() {
        let n = a.notes.as_deref().unwrap_or("");
        assert!(report::limits::excel_len(n) <= report::limits::EXCEL_CELL_CHARS);
    }
}

/// Stores `notes` on the `payroll_app` login row directly in the history, as a version without
/// the import bound could have.
fn set_old_annotation(ws: &Workspace, notes: &str) {
    let path = workbook(ws);
    // The row's key: type a short note, sync, and find the key that carries it.
    let (headers, _) = sheet(&path, LOGINS);
    let col = column(&headers, "Notes");
    let row = login_row(&path, "payroll_app");
    edit_sheet(&path, LOGINS, |s| s.set(row, col, "marker-note"));
    let (code, stdout, stderr) = command(ws, "sync");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let mut history = history::History::open(&ws.join("audit_history.db")).unwrap();
    let (key, mut annotation) = history
        .annotations(1)
        .unwrap()
        .into_iter()
        .find(|(_, a)| a.notes.as_deref() == Some("marker-note"))
        .unwrap();
    annotation.notes = Some(notes.to_owned());
    history
        .set_annotation(
            1,
            None,
            &key.0,
            &key.1,
            &annotation,
            "2026-01-01T00:00:00Z",
            "an older version",
        )
        .unwrap();
}

#[test]
fn copied_rows_swapped_uuids_and_a_sort_without_column_a_are_never_applied() {
    let (_fleet, ws) = setup();
    let path = workbook(&ws);
    let (headers, _) = sheet(&path, LOGINS);
    let (review, justification) = (
        column(&headers, "Review Status"),
        column(&headers, "Justification"),
    );
    let except = |s: &mut SheetXml, row: usize, why: &str| {
        s.set(row, review, "\u{2713} Exception");
        s.set(row, justification, why);
    };
    // The real exception, on payroll_app.
    let payroll = login_row(&path, "payroll_app");
    edit_sheet(&path, LOGINS, |s| except(s, payroll, "vendor application"));
    let (code, stdout, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(annotations(&ws), 1);
    let justified = |login: &str| {
        let (headers, rows) = sheet(&path, LOGINS);
        rows[login_row(&path, login)][column(&headers, "Justification")].clone()
    };
    assert_eq!(justified("payroll_app"), "vendor application");

    // 1. Swapped _UUIDs: payroll_app's row now carries limited_auditor's _UUID and the other
    //    way round. Before the fix the exception moved to limited_auditor and was withdrawn
    //    from payroll_app.
    let (payroll, other) = (
        login_row(&path, "payroll_app"),
        login_row(&path, "limited_auditor"),
    );
    edit_sheet(&path, LOGINS, |s| {
        let (a, b) = (s.cell(payroll, 0), s.cell(other, 0));
        s.put(payroll, 0, b);
        s.put(other, 0, a);
    });
    let (code, stdout, stderr) = command(&ws, "sync");
    let text = format!("{stdout}{stderr}");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("belongs to"), "{text}");
    assert!(text.contains("limited_auditor"), "{text}");
    assert!(!text.contains("exceptions 1 documented"), "{text}");
    assert!(!text.contains("1 withdrawn"), "{text}");
    assert_eq!(justified("payroll_app"), "vendor application");
    assert_eq!(justified("limited_auditor"), "");

    // 2. A copied row with another justification: neither copy wins.
    let payroll = login_row(&path, "payroll_app");
    edit_sheet(&path, LOGINS, |s| {
        let mut copy = s.rows[payroll + 1].clone();
        let text = format!(
            r#"<c r="A1" t="inlineStr"><is><t>{}</t></is></c>"#,
            "nobody reviewed this"
        );
        copy.retain(|(c, _)| *c as usize != justification);
        let i = copy.partition_point(|(c, _)| (*c as usize) < justification);
        copy.insert(i, (justification as u32, text));
        s.rows.push(copy);
    });
    let (code, stdout, stderr) = command(&ws, "sync");
    let text = format!("{stdout}{stderr}");
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("appears 2 times with different annotations"),
        "{text}"
    );
    assert_eq!(justified("payroll_app"), "vendor application");
    // An identical copy is harmless: applied once.
    let payroll = login_row(&path, "payroll_app");
    edit_sheet(&path, LOGINS, |s| {
        except(s, payroll, "vendor application, renewed");
        let copy = s.rows[payroll + 1].clone();
        s.rows.push(copy);
    });
    let (code, stdout, stderr) = command(&ws, "sync");
    let text = format!("{stdout}{stderr}");
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("appears 2 times"), "{text}");
    assert_eq!(justified("payroll_app"), "vendor application, renewed");

    // 3. Rows sorted without column A: every other column moves, the _UUIDs stay.
    let (_, rows) = sheet(&path, LOGINS);
    let n = rows.len();
    let annotated = annotations(&ws);
    edit_sheet(&path, LOGINS, |s| {
        let uuids: Vec<_> = (0..n).map(|r| s.cell(r, 0)).collect();
        s.rows[1..=n].reverse();
        for (r, uuid) in uuids.into_iter().enumerate() {
            s.put(r, 0, uuid);
        }
    });
    let (code, stdout, stderr) = command(&ws, "sync");
    let text = format!("{stdout}{stderr}");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("sorted without column A"), "{text}");
    assert_eq!(annotations(&ws), annotated);
    assert_eq!(justified("payroll_app"), "vendor application, renewed");
    assert_eq!(justified("limited_auditor"), "");
}

#[test]
fn a_flood_of_unmatched_rows_is_summarised() {
    let (_fleet, ws) = setup();
    let path = workbook(&ws);
    let (headers, rows) = sheet(&path, LOGINS);
    let (name, notes) = (column(&headers, "Login Name"), column(&headers, "Notes"));
    let first = rows.len();
    edit_sheet(&path, LOGINS, |s| {
        for i in 0..500 {
            s.rows.push(Vec::new());
            s.set(first + i, 0, &format!("{:08X}", 0xDEAD_0000u32 + i as u32));
            s.set(first + i, 2, "nowhere");
            s.set(first + i, name, &format!("ghost{i}"));
            s.set(first + i, notes, "typed on a row that matches nothing");
        }
    });
    let (code, stdout, stderr) = command(&ws, "sync");
    let text = format!("{stdout}{stderr}");
    assert_eq!(code, 0, "{text}");
    assert_eq!(text.matches("matches no row of run").count(), 20, "{text}");
    assert!(
        text.contains("… and 480 more row(s) that could not be matched (500 in all)"),
        "{text}"
    );
    // The 500 rows take 21 lines; the rest is sync's usual summary, which grows with the
    // catalogue.
    let ghosts = text.lines().filter(|l| l.contains("ghost")).count();
    assert!(ghosts <= 20, "{ghosts} lines name a ghost row:\n{text}");
    assert!(text.lines().count() < 200, "{} lines", text.lines().count());
}

/// Runs `autodbaudit <args>` and waits at most `seconds`; a command still running then is
/// killed and reported as hung (`None`).
fn bounded(ws: &Workspace, args: &[&str], seconds: u64) -> Option<(i32, String)> {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = ws
        .cmd()
        .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let text = format!(
                "{}{}",
                std::fs::read_to_string(&out).unwrap(),
                std::fs::read_to_string(&err).unwrap()
            );
            return Some((status.code().expect("exited normally"), text));
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A FIFO where the workbook goes: sync, report and finalize refuse it promptly with exit 2,
/// naming the file and the fix (opening it used to block forever: the reader's open, and the
/// append-open that checks whether Excel holds the workbook). Nothing is recorded.
#[cfg(unix)]
#[test]
fn a_fifo_at_the_workbook_path_is_refused_promptly_with_exit_2() {
    use std::os::unix::fs::FileTypeExt;
    let (_fleet, ws) = setup();
    let path = workbook(&ws);
    std::fs::remove_file(&path).unwrap();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap()
            .success()
    );
    let before = runs(&ws);
    for args in [&["sync"][..], &["report"], &["finalize"]] {
        let (code, text) = bounded(&ws, args, 60)
            .unwrap_or_else(|| panic!("{args:?} hung on a FIFO at the workbook path"));
        assert_eq!(code, 2, "{args:?}: {text}");
        assert!(text.contains(&format!("{AUDIT}.xlsx")), "{args:?}: {text}");
        assert!(
            text.contains("named pipe (FIFO)") && text.contains("not a regular file"),
            "{args:?}: {text}"
        );
        assert!(text.contains("move it away"), "{args:?}: {text}");
    }
    assert_eq!(runs(&ws), before, "no run recorded");
    assert!(
        std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO is left as found"
    );
    // Moved away, report writes the workbook again.
    std::fs::remove_file(&path).unwrap();
    let (code, text) = bounded(&ws, &["report"], 120).expect("report finishes");
    assert_eq!(code, 0, "{text}");
    assert!(std::fs::metadata(&path).unwrap().is_file());
}

/// A sheet whose `Server` header was renamed, then sorted without column A: nothing on it
/// shows which row a line is, so the `_UUID` cannot be checked; its annotations are reported
/// (which header, how to restore it) and never applied. Before the fix the check was switched
/// off when a key column was missing, and the exception moved with the sort.
#[test]
fn a_sheet_without_its_key_columns_applies_no_annotation() {
    let (_fleet, ws) = setup();
    let path = workbook(&ws);
    let (headers, _) = sheet(&path, LOGINS);
    let (review, justification) = (
        column(&headers, "Review Status"),
        column(&headers, "Justification"),
    );
    let server = column(&headers, "Server");
    let payroll = login_row(&path, "payroll_app");
    edit_sheet(&path, LOGINS, |s| {
        s.set(payroll, review, "\u{2713} Exception");
        s.set(payroll, justification, "vendor application");
    });
    let (code, stdout, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(annotations(&ws), 1);
    let justified = |login: &str| {
        let (headers, rows) = sheet(&path, LOGINS);
        rows[login_row(&path, login)][column(&headers, "Justification")].clone()
    };
    assert_eq!(justified("payroll_app"), "vendor application");

    // `Server` renamed to `Host`, then every row sorted without column A.
    let (_, rows) = sheet(&path, LOGINS);
    let n = rows.len();
    edit_header(&path, LOGINS, server, "Host");
    edit_sheet(&path, LOGINS, |s| {
        let uuids: Vec<_> = (0..n).map(|r| s.cell(r, 0)).collect();
        s.rows[1..=n].reverse();
        for (r, uuid) in uuids.into_iter().enumerate() {
            s.put(r, 0, uuid);
        }
    });
    let before = annotations(&ws);
    let (code, stdout, stderr) = command(&ws, "sync");
    let text = format!("{stdout}{stderr}");
    assert_eq!(code, 0, "{text}");
    // Sync wrote the workbook again from the history: headers restored, the exception where
    // it was.
    assert_eq!(justified("payroll_app"), "vendor application", "{text}");
    assert!(!text.contains("exceptions 1 documented"), "{text}");
    assert!(!text.contains("1 withdrawn"), "{text}");
    assert_eq!(annotations(&ws), before);
    assert!(text.contains("has no column `Server`"), "{text}");
    assert!(text.contains("name the column `Server` again"), "{text}");
    let (headers, rows) = sheet(&path, LOGINS);
    assert!(headers.iter().any(|h| h == "Server"));
    let moved = rows
        .iter()
        .filter(|r| r[column(&headers, "Justification")] == "vendor application")
        .count();
    assert_eq!(moved, 1, "the exception is on one row only");
}

/// Sets the header (row 1) cell of column `col` of sheet `name` to `text`.
fn edit_header(path: &Path, name: &str, col: usize, text: &str) {
    edit_sheet(path, name, |s| {
        let cell = (
            col as u32,
            format!(
                r#"<c r="A1" t="inlineStr"><is><t>{}</t></is></c>"#,
                escape(text)
            ),
        );
        let header = &mut s.rows[0];
        header.retain(|(c, _)| *c as usize != col);
        let i = header.partition_point(|(c, _)| (*c as usize) < col);
        header.insert(i, cell);
    });
}
