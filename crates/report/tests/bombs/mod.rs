//! Hostile workbooks built at run time (no big binaries in the repository): a real workbook's
//! parts copied into a zip written here, with parts replaced or added — inflating to gigabytes
//! from a few megabytes (with honest or lying size headers), a cell at XFD1048576, millions of
//! rows, a huge shared-strings table, a 50 MB cell (as text and as a date), one long shared
//! string shown by every cell, entity expansion. Shared by the report
//! crate's tests and the binary's sync tests (`#[path]`).

#![allow(dead_code)] // each test file uses a different subset

use std::io::{Cursor, Read, Write};

use flate2::Compression;
use flate2::write::DeflateEncoder;

/// A part's bytes in the zip.
pub enum Data {
    /// Stored as is.
    Plain(Vec<u8>),
    /// Already deflated: the stream, the CRC-32 and real size of what it inflates to, and the
    /// size the headers declare.
    Deflated {
        /// Raw deflate stream.
        stream: Vec<u8>,
        /// CRC-32 of the inflated bytes.
        crc: u32,
        /// Inflated size written in the headers (a lie when it differs from the real one).
        declared: u32,
    },
}

/// A stream inflating to `prefix`, `chunk` × `times`, `suffix`, made without ever holding the
/// inflated bytes: each piece is deflated from a fresh compressor (no reference crosses it),
/// so the chunk's stream can be repeated. Returns the stream, the CRC-32 and the real size.
pub fn repeated(prefix: &[u8], chunk: &[u8], times: u64, suffix: &[u8]) -> (Vec<u8>, u32, u64) {
    // Each piece from a fresh encoder, ended by a sync flush (byte-aligned, not final) or,
    // for the last, by the final block.
    let deflate = |data: &[u8], last: bool| {
        let mut e = DeflateEncoder::new(Vec::new(), Compression::best());
        e.write_all(data).unwrap();
        if last {
            return e.finish().unwrap();
        }
        e.flush().unwrap();
        std::mem::take(e.get_mut())
    };
    let head = deflate(prefix, false);
    let body = deflate(chunk, false);
    let tail = deflate(suffix, true);
    let mut stream = Vec::with_capacity(head.len() + body.len() * times as usize + tail.len());
    stream.extend_from_slice(&head);
    for _ in 0..times {
        stream.extend_from_slice(&body);
    }
    stream.extend_from_slice(&tail);
    // The CRC of chunk × times by doubling.
    let hash = |d: &[u8]| {
        let mut h = crc32fast::Hasher::new();
        h.update(d);
        h
    };
    let mut crc = hash(prefix);
    let mut power = hash(chunk);
    let mut n = times;
    while n > 0 {
        if n & 1 == 1 {
            crc.combine(&power);
        }
        let copy = power.clone();
        power.combine(&copy);
        n >>= 1;
    }
    crc.combine(&hash(suffix));
    let size = prefix.len() as u64 + chunk.len() as u64 * times + suffix.len() as u64;
    (stream, crc.finalize(), size)
}

/// [`repeated`] as a part; `declared` is the size the headers say (none: the real one, which
/// must fit in 32 bits).
pub fn deflated(
    prefix: &[u8],
    chunk: &[u8],
    times: u64,
    suffix: &[u8],
    declared: Option<u32>,
) -> Data {
    let (stream, crc, size) = repeated(prefix, chunk, times, suffix);
    Data::Deflated {
        stream,
        crc,
        declared: declared.unwrap_or_else(|| u32::try_from(size).expect("under 4 GiB")),
    }
}

/// The parts of a zip, in order.
pub fn parts(xlsx: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().into_owned(), data)
        })
        .collect()
}

/// `xlsx` with the parts in `replace` put in place of those of the same name (or added).
pub fn rebuild(xlsx: &[u8], replace: Vec<(String, Data)>) -> Vec<u8> {
    let mut replace = replace;
    let mut out: Vec<(String, Data)> = Vec::new();
    for (name, data) in parts(xlsx) {
        match replace.iter().position(|(n, _)| *n == name) {
            Some(i) => out.push(replace.remove(i)),
            None => out.push((name, Data::Plain(data))),
        }
    }
    out.extend(replace);
    write_zip(&out)
}

/// A zip of `parts`, written by hand so the headers can say anything.
pub fn write_zip(parts: &[(String, Data)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in parts {
        let offset = out.len() as u32;
        let (method, crc, csize, usize_, bytes): (u16, u32, u32, u32, &[u8]) = match data {
            Data::Plain(d) => (
                0,
                crc32fast::hash(d),
                d.len() as u32,
                d.len() as u32,
                d.as_slice(),
            ),
            Data::Deflated {
                stream,
                crc,
                declared,
            } => (8, *crc, stream.len() as u32, *declared, stream.as_slice()),
        };
        let header = |sig: u32, central_entry: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central_entry {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // needed
            h.extend_from_slice(&0u16.to_le_bytes()); // flags
            h.extend_from_slice(&method.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // time
            h.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&csize.to_le_bytes());
            h.extend_from_slice(&usize_.to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central_entry {
                h.extend_from_slice(&0u16.to_le_bytes()); // comment
                h.extend_from_slice(&0u16.to_le_bytes()); // disk
                h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
                h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(bytes);
        central.extend(header(0x0201_4b50, true));
    }
    let start = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // disks
    out.extend_from_slice(&(parts.len() as u16).to_le_bytes());
    out.extend_from_slice(&(parts.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// The part holding the sheet `sheet` of a workbook rust_xlsxwriter wrote (sheets are
/// numbered in tab order there).
pub fn sheet_part(xlsx: &[u8], sheet: &str) -> String {
    let parts = parts(xlsx);
    let workbook = parts
        .iter()
        .find(|(n, _)| n == "xl/workbook.xml")
        .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
        .unwrap();
    let names: Vec<&str> = workbook
        .split("<sheet ")
        .skip(1)
        .map(|s| {
            let start = s.find("name=\"").unwrap() + 6;
            &s[start..start + s[start..].find('"').unwrap()]
        })
        .collect();
    let position = names
        .iter()
        .position(|n| unescape(n) == sheet)
        .unwrap_or_else(|| panic!("no sheet {sheet} in {names:?}"));
    format!("xl/worksheets/sheet{}.xml", position + 1)
}

fn unescape(s: &str) -> String {
    s.replace("&apos;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The start of a worksheet part, up to and including `<sheetData>`.
pub const SHEET_START: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetData>"#;

/// The end of a worksheet part.
pub const SHEET_END: &str = "</sheetData></worksheet>";

/// An inline-string cell.
pub fn cell(at: &str, text: &str) -> String {
    format!(r#"<c r="{at}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// The named hostile variants of `xlsx` whose sheet `sheet` is the target, each with what the
/// refusal must mention. Every one is small on disk.
pub fn hostile_set(xlsx: &[u8], sheet: &str) -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let part = sheet_part(xlsx, sheet);
    let header = format!(r#"<row r="1">{}</row>"#, cell("A1", "_UUID"));
    let start = format!("{SHEET_START}{header}");
    // About 1 MiB of rows per chunk (no row numbers: each follows the last).
    let row = format!("<row>{}</row>", r#"<c t="inlineStr"><is><t>x</t></is></c>"#);
    let chunk = row.repeat((1 << 20) / row.len());
    let mut set = Vec::new();
    // 3 GiB of sheet XML from a few MB, headers honest.
    set.push((
        "zip bomb (honest headers)",
        rebuild(
            xlsx,
            vec![(
                part.clone(),
                deflated(
                    start.as_bytes(),
                    chunk.as_bytes(),
                    3_000,
                    SHEET_END.as_bytes(),
                    None,
                ),
            )],
        ),
        "zip bombs",
    ));
    // The same, headers claiming 1 KB.
    set.push((
        "zip bomb (lying headers)",
        rebuild(
            xlsx,
            vec![(
                part.clone(),
                deflated(
                    start.as_bytes(),
                    chunk.as_bytes(),
                    3_000,
                    SHEET_END.as_bytes(),
                    Some(1_000),
                ),
            )],
        ),
        "zip bomb",
    ));
    // One cell at the last cell Excel has.
    set.push((
        "far-away cell XFD1048576",
        rebuild(
            xlsx,
            vec![(
                part.clone(),
                Data::Plain(
                    format!(
                        r#"{start}<row r="1048576">{}</row>{SHEET_END}"#,
                        cell("XFD1048576", "far")
                    )
                    .into_bytes(),
                ),
            )],
        ),
        "XFD1048576",
    ));
    // 20,000 rows more than the tool wrote: refused at the first row past the bound.
    set.push((
        "20,000 extra rows",
        rebuild(
            xlsx,
            vec![(
                part.clone(),
                deflated(
                    start.as_bytes(),
                    row.repeat(1_000).as_bytes(),
                    20,
                    SHEET_END.as_bytes(),
                    None,
                ),
            )],
        ),
        "delete the rows below row",
    ));
    // 3 million extra rows (about 150 MB of XML, a few hundred KB on disk): refused by size
    // before a row is parsed.
    set.push((
        "3 million extra rows",
        rebuild(
            xlsx,
            vec![(
                part.clone(),
                deflated(
                    start.as_bytes(),
                    row.repeat(1_000).as_bytes(),
                    3_000,
                    SHEET_END.as_bytes(),
                    None,
                ),
            )],
        ),
        "zip bombs",
    ));
    // A shared-strings table declaring 4 billion entries (the reader reserves that many).
    let mut sst_parts = vec![(
        "xl/sharedStrings.xml".to_owned(),
        Data::Plain(
            br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4000000000" uniqueCount="4000000000"><si><t>x</t></si></sst>"#.to_vec(),
        ),
    )];
    set.push((
        "shared strings declaring 4 billion entries",
        rebuild_with_shared_strings(xlsx, std::mem::take(&mut sst_parts)),
        "shared-strings table",
    ));
    // A shared-strings table with 2 million real entries (about 34 MB of XML).
    set.push((
        "2 million shared strings",
        rebuild_with_shared_strings(
            xlsx,
            vec![(
                "xl/sharedStrings.xml".to_owned(),
                deflated(
                    br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
                    "<si><t>x</t></si>".repeat(10_000).as_bytes(),
                    200,
                    b"</sst>",
                    None,
                ),
            )],
        ),
        "shared-strings table",
    ));
    // One cell of 50 MB.
    set.push((
        "50 MB cell",
        rebuild(
            xlsx,
            vec![(
                part.clone(),
                deflated(
                    format!(r#"{start}<row r="2"><c r="B2" t="inlineStr"><is><t>"#).as_bytes(),
                    &[b'A'; 1 << 20],
                    50,
                    format!("</t></is></c></row>{SHEET_END}").as_bytes(),
                    None,
                ),
            )],
        ),
        "longer than Excel's limit",
    ));
    // One cell of 50 MB typed as an ISO date (`t="d"`): the reader gives it as a date text,
    // not a string, and its length must be checked all the same.
    set.push((
        "50 MB date cell",
        rebuild(
            xlsx,
            vec![(
                part.clone(),
                deflated(
                    format!(r#"{start}<row r="2"><c r="B2" t="d"><v>"#).as_bytes(),
                    &[b'7'; 1 << 20],
                    50,
                    format!("</v></c></row>{SHEET_END}").as_bytes(),
                    None,
                ),
            )],
        ),
        "longer than Excel's limit",
    ));
    // One shared string of 32,000 characters shown by 640,000 cells (10,000 rows of 64, within
    // the row, column and cell bounds): 20 GB of text if every cell kept its own copy, from
    // a few hundred KB on disk.
    let shared_row = format!("<row>{}</row>", r#"<c t="s"><v>0</v></c>"#.repeat(64));
    set.push((
        "one long shared string in 640,000 cells",
        rebuild_with_shared_strings(
            xlsx,
            vec![
                (
                    "xl/sharedStrings.xml".to_owned(),
                    Data::Plain(
                        format!(
                            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="640000" uniqueCount="1"><si><t>{}</t></si></sst>"#,
                            "S".repeat(32_000)
                        )
                        .into_bytes(),
                    ),
                ),
                (
                    part.clone(),
                    deflated(
                        start.as_bytes(),
                        shared_row.as_bytes(),
                        10_000,
                        SHEET_END.as_bytes(),
                        None,
                    ),
                ),
            ],
        ),
        "the cells' text adds up to more than",
    ));
    // Entity expansion (billion laughs) and an external entity.
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>"#;
    let body = SHEET_START
        .trim_start_matches(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#);
    set.push((
        "billion laughs",
        rebuild(
            xlsx,
            vec![(
                part.clone(),
                Data::Plain(
                    format!(
                        "{laughs}{body}{header}<row r=\"2\">{}</row>{SHEET_END}",
                        cell("B2", "&lol9;")
                    )
                    .into_bytes(),
                ),
            )],
        ),
        "",
    ));
    set.push((
        "external entity (XXE)",
        rebuild(
            xlsx,
            vec![(
                part,
                Data::Plain(
                    format!(
                        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>{body}{header}<row r=\"2\">{}</row>{SHEET_END}",
                        cell("B2", "&xxe;")
                    )
                    .into_bytes(),
                ),
            )],
        ),
        "",
    ));
    // 100 sheets (the tool writes 20).
    set.push(("100 sheets", many_sheets(100), "sheets"));
    // Not a zip at all, and a workbook cut in half.
    set.push((
        "not a zip",
        b"PK\x03\x04 this is not a workbook".to_vec(),
        "not an .xlsx workbook",
    ));
    set.push((
        "truncated zip",
        xlsx[..xlsx.len() / 2].to_vec(),
        "not an .xlsx workbook",
    ));
    set
}

/// `xlsx` with a shared-strings part (and its relationship and content type, which
/// rust_xlsxwriter's constant-memory sheets leave out).
fn rebuild_with_shared_strings(xlsx: &[u8], extra: Vec<(String, Data)>) -> Vec<u8> {
    let mut replace = extra;
    for (name, data) in parts(xlsx) {
        if name == "xl/_rels/workbook.xml.rels"
            && !String::from_utf8_lossy(&data).contains("sharedStrings")
        {
            let text = String::from_utf8_lossy(&data).replace(
                "</Relationships>",
                r#"<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#,
            );
            replace.push((name.clone(), Data::Plain(text.into_bytes())));
        }
        if name == "[Content_Types].xml"
            && !String::from_utf8_lossy(&data).contains("sharedStrings")
        {
            let text = String::from_utf8_lossy(&data).replace(
                "</Types>",
                r#"<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#,
            );
            replace.push((name, Data::Plain(text.into_bytes())));
        }
    }
    rebuild(xlsx, replace)
}

/// A workbook with `n` empty sheets.
pub fn many_sheets(n: usize) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for i in 0..n {
        book.add_worksheet().set_name(format!("S{i}")).unwrap();
    }
    book.save_to_buffer().unwrap()
}
