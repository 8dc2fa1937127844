//! The workbook-bomb set against the reader: every hostile workbook is refused with an error
//! naming the file and the bound, never an abort, and the bounds trip before the expensive
//! work (each case here finishes in moments though some inflate to gigabytes). The binary's
//! `sync_hostile` test runs the same set through `sync`, with memory and the history checked.

#[path = "bombs/mod.rs"]
mod bombs;

use report::{Limits, read_workbook_within};

/// A small real workbook: sheet `Data` with a header and three rows.
fn base() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Data").unwrap();
    for (c, h) in ["_UUID", "Server", "Notes"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..4u32 {
        sheet.write_string(r, 0, format!("0000000{r}")).unwrap();
        sheet.write_string(r, 1, "db1").unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// The bounds sync would use for `base`: three rows on `Data`.
fn limits() -> Limits {
    Limits::expecting([("Data", 3)])
}

fn read(bytes: &[u8]) -> Result<Vec<report::ReadSheet>, report::ReadError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.xlsx");
    std::fs::write(&path, bytes).unwrap();
    read_workbook_within(&path, &limits())
}

#[test]
fn the_base_workbook_reads_within_the_bounds() {
    let sheets = read(&base()).unwrap();
    assert_eq!(sheets[0].headers, ["_UUID", "Server", "Notes"]);
    assert_eq!(sheets[0].rows.len(), 3);
    assert_eq!(sheets[0].rows[2], ["00000003", "db1", ""]);
}

#[test]
fn every_hostile_workbook_is_refused_with_the_bound_it_broke() {
    let base = base();
    for (name, bytes, expected) in bombs::hostile_set(&base, "Data") {
        assert!(
            bytes.len() < 16 << 20,
            "{name}: {} bytes on disk",
            bytes.len()
        );
        let error = match read(&bytes) {
            Ok(sheets) => panic!(
                "{name}: read without complaint: {:?}",
                sheets[0].rows.get(..2)
            ),
            Err(e) => format!("{e} — fix: {}", e.fix.as_deref().unwrap_or("")),
        };
        assert!(
            error.contains("hostile.xlsx"),
            "{name}: the error names the file: {error}"
        );
        assert!(error.contains(expected), "{name}: {error}");
        assert!(
            !error.contains("root:"),
            "{name}: an entity was expanded: {error}"
        );
    }
}

#[test]
fn a_far_away_cell_names_the_row_to_delete_and_the_column_bound() {
    let base = base();
    let part = bombs::sheet_part(&base, "Data");
    let sheet = |cells: &str| {
        bombs::rebuild(
            &base,
            vec![(
                part.clone(),
                bombs::Data::Plain(
                    format!("{}{cells}{}", bombs::SHEET_START, bombs::SHEET_END).into_bytes(),
                ),
            )],
        )
    };
    let far_row = read(&sheet(&format!(
        r#"<row r="2000000">{}</row>"#,
        bombs::cell("A2000000", "x")
    )));
    assert!(far_row.is_err());
    let far_column = read(&sheet(&format!(
        r#"<row r="2">{}</row>"#,
        bombs::cell("XFD2", "x")
    )))
    .unwrap_err();
    assert!(
        far_column.to_string().contains("column XFD") && far_column.to_string().contains("DX"),
        "{far_column}"
    );
    assert!(
        far_column
            .fix
            .as_deref()
            .is_some_and(|f| f.contains("delete the columns after column DX")),
        "{far_column:?}"
    );
    // A declared dimension costs nothing: only the cells present count.
    let declared = read(&bombs::rebuild(
        &base,
        vec![(
            part.clone(),
            bombs::Data::Plain(
                bombs::SHEET_START
                    .replace(
                        "<sheetData>",
                        r#"<dimension ref="A1:XFD1048576"/><sheetData>"#,
                    )
                    .into_bytes()
                    .into_iter()
                    .chain(
                        format!(
                            r#"<row r="1">{}</row>{}"#,
                            bombs::cell("A1", "_UUID"),
                            bombs::SHEET_END
                        )
                        .into_bytes(),
                    )
                    .collect(),
            ),
        )],
    ))
    .unwrap();
    assert_eq!(declared[0].headers, ["_UUID"]);
}

#[test]
fn over_long_cells_are_listed_with_their_place_and_length() {
    let base = base();
    let part = bombs::sheet_part(&base, "Data");
    let long = "é".repeat(40_000);
    let bytes = bombs::rebuild(
        &base,
        vec![(
            part,
            bombs::Data::Plain(
                format!(
                    r#"{}<row r="1">{}</row><row r="3">{}{}</row>{}"#,
                    bombs::SHEET_START,
                    bombs::cell("A1", "_UUID"),
                    bombs::cell("C3", &long),
                    bombs::cell("D3", &long),
                    bombs::SHEET_END
                )
                .into_bytes(),
            ),
        )],
    );
    let error = read(&bytes).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("2 cell(s)"), "{text}");
    assert!(
        text.contains("sheet `Data` cell C3: 40000 characters"),
        "{text}"
    );
    assert!(text.contains("sheet `Data` cell D3"), "{text}");
    assert!(error.fix.unwrap().contains("32767"));
}

#[test]
fn too_many_parts_are_refused_before_any_is_inflated() {
    let base = base();
    let extra: Vec<(String, bombs::Data)> = (0..1_001)
        .map(|i| (format!("junk/{i}.bin"), bombs::Data::Plain(vec![0])))
        .collect();
    let error = read(&bombs::rebuild(&base, extra)).unwrap_err();
    assert!(
        error.to_string().contains("1010 parts") || error.to_string().contains("parts"),
        "{error}"
    );
}

/// A FIFO (or a folder) where the workbook should be is refused before it is opened: opening
/// a FIFO blocks until someone writes to it, which used to hang sync, report and finalize.
#[cfg(unix)]
#[test]
fn a_fifo_or_a_folder_at_the_workbook_path_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.xlsx");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let folder = dir.path().join("folder.xlsx");
    std::fs::create_dir(&folder).unwrap();
    for (path, what) in [(fifo, "named pipe (FIFO)"), (folder, "a folder")] {
        let (send, receive) = std::sync::mpsc::channel();
        let read = path.clone();
        std::thread::spawn(move || {
            let _ = send.send(read_workbook_within(&read, &limits()).map(|_| ()));
        });
        let error = receive
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("reading {} blocked", path.display()))
            .unwrap_err();
        let text = error.to_string();
        assert!(text.contains(&*path.to_string_lossy()), "{text}");
        assert!(
            text.contains(what) && text.contains("not a regular file"),
            "{text}"
        );
        assert!(error.fix.unwrap().contains("move it away"));
    }
}
