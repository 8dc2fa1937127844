//! Writing the workbook with rust_xlsxwriter: the Cover, the 20 data sheets in constant-memory
//! mode (rows streamed to disk, so 200,000 rows stay within a few hundred MB), the Actions
//! sheet. Layout decisions live in `sheets` and `layout`; this file only draws.
//!
//! Decisions: no merged cells (the server and instance are written on every row and banded by
//! colour instead), so auditors can sort and filter freely and sync never has to fill merged
//! blocks down; no sheet protection (protection without a password is theatre and blocks
//! sorting), sync copes with any edit instead.

use std::collections::HashMap;

use audit_core::Status;
use audit_core::checks::catalogue;
use rust_xlsxwriter::{
    Color, ConditionalFormatText, ConditionalFormatTextRule, DataValidation, DocProperties, Format,
    FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use crate::layout::{Layout, SheetRows};
use crate::limits::fit_cell;
use crate::model::{ActionRow, RowState, RunHeader};
use crate::sheets::{
    self, ACTION_COLUMNS, ACTIONS, Align, CHANGE_TYPES, COVER, EDITABLE, FINDING_COLUMNS, LEADING,
    REVIEW_STATUSES, RISK_LEVELS, Tone, Value,
};

/// The last row index validations and conditional formats cover (Excel's last row), so rows
/// auditors add by hand get the same dropdowns.
const LAST_ROW: u32 = 1_048_575;

/// The `⏳` indicator: the row needs a person.
pub const NEEDS_ACTION: &str = "\u{23f3}";
/// The indicator of a documented exception.
pub const EXCEPTED: &str = "\u{2713}";
/// The indicator of a row whose findings match their approved baselines.
pub const BASELINED: &str = "\u{2261}";

/// The text of a status cell.
pub fn status_text(status: Status) -> &'static str {
    match status {
        Status::Pass => "\u{2713} Pass",
        Status::Fail => "\u{2717} Fail",
        Status::Warn => "\u{26a0} Warning",
        Status::Review => "\u{2691} Review",
        Status::Unknown => "? Unknown",
        Status::Info => "\u{2139} Info",
    }
}

/// Whether a status puts `⏳` on its row (unless documented as an exception).
pub fn needs_action(status: Option<Status>) -> bool {
    matches!(
        status,
        Some(Status::Fail | Status::Warn | Status::Review | Status::Unknown)
    )
}

mod palette {
    pub const HEADER: u32 = 0x203764;
    pub const HEADER_BORDER: u32 = 0x1F4E79;
    pub const BORDER: u32 = 0xB4B4B4;
    pub const PASS: (u32, u32) = (0xC6EFCE, 0x006100);
    pub const FAIL: (u32, u32) = (0xFFC7CE, 0x9C0006);
    pub const WARN: (u32, u32) = (0xFFEB9C, 0x9C5700);
    pub const INFO: (u32, u32) = (0xBDD7EE, 0x1F4E79);
    pub const UNKNOWN: (u32, u32) = (0xD9D9D9, 0x404040);
    pub const ACTION: (u32, u32) = (0xFFC000, 0x9C5700);
    pub const MANUAL: u32 = 0xF2F2F2;
    /// Server bands: (main, light), rotated per server.
    pub const BANDS: [(u32, u32); 4] = [
        (0xA9D18E, 0xE2F0D9),
        (0xF4B084, 0xFCE4D6),
        (0xFFD966, 0xFFF2CC),
        (0x9DC3E6, 0xDDEBF7),
    ];
}

/// Every format the data sheets use, built once.
struct Formats {
    header: Format,
    /// By alignment.
    plain: [Format; 3],
    /// By tone (centred, bold, coloured).
    tone: HashMap<ToneKey, Format>,
    /// By status.
    status: HashMap<Status, Format>,
    action: Format,
    excepted: Format,
    /// Band fills for server / instance cells: [band][shade].
    band: Vec<[Format; 2]>,
    manual: Format,
    uuid: Format,
}

#[derive(Hash, PartialEq, Eq, Clone, Copy)]
struct ToneKey(u8);

fn tone_key(t: Tone) -> ToneKey {
    ToneKey(match t {
        Tone::Plain => 0,
        Tone::Good => 1,
        Tone::Bad => 2,
        Tone::Warn => 3,
        Tone::Info => 4,
    })
}

fn base() -> Format {
    Format::new()
        .set_font_name("Segoe UI")
        .set_font_size(10)
        .set_border(FormatBorder::Thin)
        .set_border_color(Color::RGB(palette::BORDER))
        .set_align(FormatAlign::VerticalCenter)
}

fn coloured((fill, font): (u32, u32)) -> Format {
    base()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_background_color(Color::RGB(fill))
        .set_font_color(Color::RGB(font))
}

impl Formats {
    fn new() -> Formats {
        let header = Format::new()
            .set_font_name("Segoe UI")
            .set_font_size(11)
            .set_bold()
            .set_font_color(Color::White)
            .set_background_color(Color::RGB(palette::HEADER))
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_text_wrap()
            .set_border(FormatBorder::Thin)
            .set_border_color(Color::RGB(palette::HEADER_BORDER))
            .set_border_bottom(FormatBorder::Medium);
        let plain = [
            base().set_align(FormatAlign::Left),
            base().set_align(FormatAlign::Center),
            base().set_align(FormatAlign::Left).set_text_wrap(),
        ];
        let mut tone = HashMap::new();
        tone.insert(tone_key(Tone::Plain), base().set_align(FormatAlign::Center));
        tone.insert(tone_key(Tone::Good), coloured(palette::PASS));
        tone.insert(tone_key(Tone::Bad), coloured(palette::FAIL));
        tone.insert(tone_key(Tone::Warn), coloured(palette::WARN));
        tone.insert(tone_key(Tone::Info), coloured(palette::INFO));
        let status = [
            (Status::Pass, palette::PASS),
            (Status::Fail, palette::FAIL),
            (Status::Warn, palette::WARN),
            (Status::Review, palette::INFO),
            (Status::Unknown, palette::UNKNOWN),
            (Status::Info, palette::INFO),
        ]
        .into_iter()
        .map(|(s, c)| (s, coloured(c)))
        .collect();
        let band = palette::BANDS
            .iter()
            .map(|&(main, light)| {
                [main, light].map(|fill| {
                    base()
                        .set_bold()
                        .set_align(FormatAlign::Left)
                        .set_background_color(Color::RGB(fill))
                })
            })
            .collect();
        Formats {
            header,
            plain,
            tone,
            status,
            action: coloured(palette::ACTION),
            excepted: coloured(palette::INFO),
            band,
            manual: base()
                .set_align(FormatAlign::Left)
                .set_text_wrap()
                .set_background_color(Color::RGB(palette::MANUAL)),
            uuid: base().set_align(FormatAlign::Center),
        }
    }

    fn aligned(&self, align: Align) -> &Format {
        &self.plain[match align {
            Align::Left => 0,
            Align::Center => 1,
            Align::Wrap => 2,
        }]
    }
}

/// Writes the whole workbook to `out`: the handle of the temporary file the caller created
/// exclusively and publishes atomically ([`crate::publish::publish`]). Never a path: the
/// workbook is built in memory for seconds first, and reopening a name then would follow
/// whatever was put there meanwhile.
pub fn write<W: std::io::Write + Send>(
    out: W,
    header: &RunHeader,
    layout: &Layout,
    state: &RowState,
    actions: &[ActionRow],
) -> Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title(format!(
                "{} \u{2014} SQL Server security audit",
                header.audit_name
            ))
            .set_company(&header.organization)
            .set_author(&header.tool_version),
    );
    let formats = Formats::new();
    let sheet = workbook.add_worksheet();
    cover(sheet, header, layout, state)?;
    for rows in &layout.sheets {
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        data_sheet(sheet, rows, state, &formats)?;
    }
    let sheet = workbook.add_worksheet();
    actions_sheet(sheet, actions, &formats)?;
    workbook.save_to_writer(out)
}

fn data_sheet(
    sheet: &mut Worksheet,
    rows: &SheetRows,
    state: &RowState,
    f: &Formats,
) -> Result<(), XlsxError> {
    let spec = rows.spec;
    sheet.set_name(spec.name)?;
    let headers = sheets::headers(spec);
    let own = LEADING.len() as u16;
    let status_col = own + spec.columns.len() as u16;
    let editable_col = status_col + FINDING_COLUMNS.len() as u16;
    let last_col = headers.len() as u16 - 1;

    // Columns: widths, then the hidden `_UUID`.
    let mut widths = vec![10.0, 4.0, 18.0, 14.0];
    widths.extend(spec.columns.iter().map(|c| c.width));
    widths.extend([12.0, 12.0, 30.0, 50.0, 24.0, 16.0, 40.0, 30.0, 16.0]);
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, *w)?;
    }
    sheet.set_column_hidden(0)?;
    sheet.set_row_height(0, 30)?;
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &f.header)?;
    }

    let name = spec.name.to_owned();
    let mut band = 0usize;
    let mut shade = 0usize;
    let mut previous: Option<(&str, &str)> = None;
    for (i, row) in rows.rows.iter().enumerate() {
        let r = i as u32 + 1;
        match previous {
            Some((server, _)) if server != &*row.server => {
                band = (band + 1) % f.band.len();
                shade = 0;
            }
            Some((_, instance)) if instance != &*row.instance => shade ^= 1,
            _ => {}
        }
        previous = Some((&row.server, &row.instance));
        let id = (name.clone(), row.key.clone());
        let annotation = state.annotations.get(&id);
        if !row.uuid.is_empty() {
            sheet.write_string_with_format(r, 0, &row.uuid, &f.uuid)?;
        }
        if needs_action(row.status) {
            if annotation.is_some_and(|a| a.is_documented_exception()) {
                sheet.write_string_with_format(r, 1, EXCEPTED, &f.excepted)?;
            } else if state.is_baselined(&id) {
                sheet.write_string_with_format(r, 1, BASELINED, &f.excepted)?;
            } else {
                sheet.write_string_with_format(r, 1, NEEDS_ACTION, &f.action)?;
            }
        } else {
            sheet.write_blank(r, 1, &f.uuid)?;
        }
        sheet.write_string_with_format(r, 2, &*fit_cell(&row.server), &f.band[band][0])?;
        sheet.write_string_with_format(r, 3, &*fit_cell(&row.instance), &f.band[band][shade])?;
        for (c, (value, column)) in row.cells.iter().zip(spec.columns).enumerate() {
            let c = own + c as u16;
            match value {
                Value::Empty => sheet.write_blank(r, c, f.aligned(column.align))?,
                Value::Text(text, Tone::Plain) => sheet.write_string_with_format(
                    r,
                    c,
                    &*fit_cell(text),
                    f.aligned(column.align),
                )?,
                Value::Text(text, tone) => sheet.write_string_with_format(
                    r,
                    c,
                    &*fit_cell(text),
                    &f.tone[&tone_key(*tone)],
                )?,
                Value::Number(n) => {
                    sheet.write_number_with_format(r, c, *n, f.aligned(Align::Center))?
                }
            };
        }
        match row.status {
            Some(status) => sheet.write_string_with_format(
                r,
                status_col,
                status_text(status),
                &f.status[&status],
            )?,
            None => sheet.write_blank(r, status_col, f.aligned(Align::Center))?,
        };
        sheet.write_string_with_format(r, status_col + 1, &row.checks, f.aligned(Align::Center))?;
        sheet.write_string_with_format(
            r,
            status_col + 2,
            &row.references,
            f.aligned(Align::Left),
        )?;
        sheet.write_string_with_format(
            r,
            status_col + 3,
            &*fit_cell(&row.finding),
            f.aligned(Align::Wrap),
        )?;
        match state.baselines.get(&id) {
            Some(b) => sheet.write_string_with_format(
                r,
                status_col + 4,
                &*fit_cell(&b.text),
                f.aligned(Align::Wrap),
            )?,
            None => sheet.write_blank(r, status_col + 4, f.aligned(Align::Wrap))?,
        };
        let typed = annotation.map(|a| {
            [
                a.review_status.as_deref(),
                a.justification.as_deref(),
                a.notes.as_deref(),
                a.last_reviewed.as_deref(),
            ]
        });
        for k in 0..EDITABLE.len() {
            let c = editable_col + k as u16;
            match typed.and_then(|t| t[k]) {
                Some(text) => sheet.write_string_with_format(r, c, &*fit_cell(text), &f.manual)?,
                None => sheet.write_blank(r, c, &f.manual)?,
            };
        }
    }

    let last_row = rows.rows.len() as u32;
    sheet.set_landscape().set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;
    sheet.set_freeze_panes(1, LEADING.len() as u16)?;
    sheet.autofilter(0, 0, last_row, last_col)?;
    review_status_rules(sheet, editable_col, f)?;
    Ok(())
}

/// The Review Status dropdown and its colours.
fn review_status_rules(sheet: &mut Worksheet, col: u16, _f: &Formats) -> Result<(), XlsxError> {
    let list = DataValidation::new()
        .allow_list_strings(&REVIEW_STATUSES)?
        .show_error_message(false)
        .set_error_title("Invalid Value")?;
    sheet.add_data_validation(1, col, LAST_ROW, col, &list)?;
    let rule = |text: &str, (fill, font): (u32, u32)| {
        ConditionalFormatText::new()
            .set_rule(ConditionalFormatTextRule::Contains(text.to_owned()))
            .set_format(
                Format::new()
                    .set_bold()
                    .set_background_color(Color::RGB(fill))
                    .set_font_color(Color::RGB(font)),
            )
            .set_stop_if_true(true)
    };
    sheet.add_conditional_format(1, col, LAST_ROW, col, &rule("Exception", palette::PASS))?;
    sheet.add_conditional_format(1, col, LAST_ROW, col, &rule("Needs Review", palette::WARN))?;
    Ok(())
}

fn actions_sheet(
    sheet: &mut Worksheet,
    actions: &[ActionRow],
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(ACTIONS)?;
    for (c, column) in ACTION_COLUMNS.iter().enumerate() {
        sheet.set_column_width(c as u16, column.width)?;
        sheet.write_string_with_format(0, c as u16, column.header, &f.header)?;
    }
    sheet.set_column_hidden(0)?;
    sheet.set_row_height(0, 30)?;
    for (i, a) in actions.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_number_with_format(r, 0, a.id as f64, f.aligned(Align::Center))?;
        let cells = [
            &a.server,
            &a.instance,
            &a.category,
            &a.finding,
            &a.risk,
            &a.description,
            &a.change_type,
            &a.detected,
        ];
        for (k, text) in cells.iter().enumerate() {
            let column = &ACTION_COLUMNS[k + 1];
            sheet.write_string_with_format(
                r,
                k as u16 + 1,
                &*fit_cell(text),
                f.aligned(column.align),
            )?;
        }
        sheet.write_string_with_format(r, 9, &*fit_cell(&a.notes), &f.manual)?;
    }
    let last_row = actions.len() as u32;
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last_row, ACTION_COLUMNS.len() as u16 - 1)?;
    for (col, list) in [(5u16, &RISK_LEVELS[..]), (7, &CHANGE_TYPES[..])] {
        let dv = DataValidation::new()
            .allow_list_strings(list)?
            .show_error_message(false);
        sheet.add_data_validation(1, col, LAST_ROW, col, &dv)?;
    }
    Ok(())
}

/// The Cover: what was audited, when, for whom, and how it went.
fn cover(
    sheet: &mut Worksheet,
    header: &RunHeader,
    layout: &Layout,
    state: &RowState,
) -> Result<(), XlsxError> {
    sheet.set_name(COVER)?;
    sheet.set_screen_gridlines(false);
    sheet.set_print_fit_to_pages(1, 0);
    for (c, w) in [
        (0u16, 2.0),
        (1, 12.0),
        (2, 46.0),
        (3, 9.0),
        (4, 9.0),
        (5, 9.0),
        (6, 9.0),
        (7, 9.0),
        (8, 9.0),
        (9, 11.0),
    ] {
        sheet.set_column_width(c, w)?;
    }
    let title = Format::new()
        .set_font_name("Segoe UI")
        .set_font_size(22)
        .set_bold()
        .set_font_color(Color::RGB(palette::HEADER));
    let subtitle = Format::new()
        .set_font_name("Segoe UI")
        .set_font_size(13)
        .set_font_color(Color::RGB(0x555555));
    let section = Format::new()
        .set_font_name("Segoe UI")
        .set_font_size(12)
        .set_bold()
        .set_font_color(Color::White)
        .set_background_color(Color::RGB(palette::HEADER));
    let label = base().set_bold();
    let value = base().set_align(FormatAlign::Left);
    let number = base().set_align(FormatAlign::Center);

    sheet.set_row_height(1, 34)?;
    sheet.write_string_with_format(1, 1, header.audit_name.to_uppercase(), &title)?;
    sheet.write_string_with_format(
        2,
        1,
        format!("SQL Server security audit \u{2502} {}", header.organization),
        &subtitle,
    )?;

    let mut r = 4;
    sheet.merge_range(r, 1, r, 9, "  AUDIT", &section)?;
    r += 1;
    let metadata = [
        ("Audit", header.audit_name.clone()),
        ("Organization", header.organization.clone()),
        ("Run", header.run_id.to_string()),
        ("Started (UTC)", header.started.clone()),
        ("Finished (UTC)", header.finished.clone()),
        ("Targets", layout.targets.to_string()),
        ("Not reached", layout.unreached.to_string()),
        ("Checks", header.checks.clone()),
        ("Tool", header.tool_version.clone()),
    ];
    for (k, v) in metadata {
        sheet.write_string_with_format(r, 1, k, &label)?;
        sheet.merge_range(r, 2, r, 9, &v, &value)?;
        r += 1;
    }

    // Rows needing a person, and those documented as exceptions or baselined.
    let counts = layout.action_counts(state);
    r += 1;
    sheet.merge_range(r, 1, r, 9, "  SUMMARY", &section)?;
    r += 1;
    let mut totals: HashMap<Status, usize> = HashMap::new();
    for per_status in layout.counts.values() {
        for (s, n) in per_status {
            *totals.entry(*s).or_default() += n;
        }
    }
    let summary = [
        (
            format!("{NEEDS_ACTION} Rows needing action"),
            counts.open,
            palette::ACTION,
        ),
        (
            format!("{EXCEPTED} Documented exceptions"),
            counts.excepted,
            palette::INFO,
        ),
        (
            format!("{BASELINED} Rows matching an approved baseline"),
            counts.baselined,
            palette::INFO,
        ),
    ];
    for (k, n, colour) in summary {
        sheet.write_string_with_format(r, 1, "", &coloured(colour))?;
        sheet.write_string_with_format(r, 2, &k, &label)?;
        sheet.write_number_with_format(r, 3, n as f64, &number)?;
        r += 1;
    }
    for status in Status::ALL {
        let n = totals.get(&status).copied().unwrap_or(0);
        let fmt = coloured(match status {
            Status::Pass => palette::PASS,
            Status::Fail => palette::FAIL,
            Status::Warn => palette::WARN,
            Status::Unknown => palette::UNKNOWN,
            Status::Review | Status::Info => palette::INFO,
        });
        sheet.write_string_with_format(r, 1, status_text(status), &fmt)?;
        sheet.write_string_with_format(r, 2, "findings", &value)?;
        sheet.write_number_with_format(r, 3, n as f64, &number)?;
        r += 1;
    }

    r += 1;
    r = compliance_section(sheet, r, header, &section, &label, &number)?;

    r += 1;
    sheet.merge_range(r, 1, r, 9, "  CHECKS", &section)?;
    r += 1;
    let heads = [
        "Check",
        "Requirement",
        "Fail",
        "Warn",
        "Review",
        "Unknown",
        "Info",
        "Pass",
    ];
    let head = table_head();
    for (c, h) in heads.iter().enumerate() {
        sheet.write_string_with_format(r, c as u16 + 1, *h, &head)?;
    }
    r += 1;
    for check in catalogue() {
        let counts = layout.counts.get(&check.id);
        let n = |s: Status| counts.and_then(|c| c.get(&s)).copied().unwrap_or(0);
        sheet.write_string_with_format(r, 1, check.id.to_string(), &label)?;
        sheet.write_string_with_format(r, 2, check.title, &value)?;
        // Status::ALL is the display order: Fail, Warn, Review, Unknown, Info, Pass.
        for (k, status) in Status::ALL.into_iter().enumerate() {
            let count = n(status);
            let fmt = if count > 0 && matches!(status, Status::Fail | Status::Warn) {
                coloured(if status == Status::Fail {
                    palette::FAIL
                } else {
                    palette::WARN
                })
            } else {
                number.clone()
            };
            sheet.write_number_with_format(r, k as u16 + 3, count as f64, &fmt)?;
        }
        r += 1;
    }
    r += 1;
    let footer = Format::new()
        .set_italic()
        .set_font_size(9)
        .set_font_color(Color::RGB(0x999999));
    sheet.write_string_with_format(
        r,
        1,
        format!(
            "Generated by {} from run {} of audit {}. Column A of each sheet (hidden) identifies the row: keep it when editing.",
            header.tool_version, header.run_id, header.audit_name
        ),
        &footer,
    )?;
    Ok(())
}

/// The Cover's compliance summary: per framework, its item × instance results by state, and
/// for the STIG the open results by category. Returns the next free row.
fn compliance_section(
    sheet: &mut Worksheet,
    mut r: u32,
    header: &RunHeader,
    section: &Format,
    label: &Format,
    number: &Format,
) -> Result<u32, XlsxError> {
    sheet.merge_range(
        r,
        1,
        r,
        12,
        "  COMPLIANCE (one result = one benchmark item on one instance)",
        section,
    )?;
    r += 1;
    let heads = [
        "Framework",
        "Items",
        "Results",
        "Passed",
        "Failed",
        "Excepted",
        "Baselined",
        "Not reviewed",
        "N/A",
        "Not selected",
        "Open CAT I",
        "Open CAT II",
        "Open CAT III",
    ];
    let head = table_head();
    for (c, h) in heads.iter().enumerate() {
        sheet.write_string_with_format(r, c as u16 + 1, *h, &head)?;
    }
    r += 1;
    for line in &header.compliance {
        sheet.write_string_with_format(r, 1, &line.framework, label)?;
        let values = [
            line.items,
            line.results,
            line.passed,
            line.failed,
            line.excepted,
            line.baselined,
            line.not_reviewed,
            line.not_applicable,
            line.not_selected,
        ];
        for (k, n) in values.iter().enumerate() {
            sheet.write_number_with_format(r, k as u16 + 2, *n as f64, number)?;
        }
        if let Some(cats) = line.open_by_category {
            for (k, n) in cats.iter().enumerate() {
                sheet.write_number_with_format(r, k as u16 + 11, *n as f64, number)?;
            }
        }
        r += 1;
    }
    let note = Format::new().set_italic().set_font_size(9).set_text_wrap();
    for line in &header.compliance {
        let unreached = if line.unreached > 0 {
            format!(
                "; {} instance(s) not reached are not counted",
                line.unreached
            )
        } else {
            String::new()
        };
        sheet.merge_range(
            r,
            1,
            r,
            12,
            &format!("{}: {}{unreached}", line.framework, line.scope),
            &note,
        )?;
        r += 1;
    }
    Ok(r)
}

/// The Cover's table headers: white on blue, centred, boxed.
fn table_head() -> Format {
    Format::new()
        .set_bold()
        .set_font_color(Color::White)
        .set_background_color(Color::RGB(0x4472C4))
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin)
}
