//! CSV of findings for spreadsheets: one row per finding of every status (a spreadsheet
//! filters; leaving rows out would make its counts lie), plus one row per instance that was
//! not reached (status UNKNOWN, no check id, the reason as the message), so a missing server
//! is visible.
//!
//! The file follows RFC 4180: comma-separated, records ending in CRLF, every field in double
//! quotes with inner quotes doubled (so commas, quotes and line breaks inside a value survive).
//! It is UTF-8 with a byte-order mark, which Excel needs to read it as UTF-8 rather than the
//! ANSI code page (Persian names, emoji); LibreOffice and Python's `utf-8-sig` read it too.
//!
//! Formula injection: a cell whose value starts with `=`, `+`, `-`, `@`, a tab or a carriage
//! return is prefixed with a single quote (`'`), as OWASP's "CSV Injection" page advises, so
//! a spreadsheet shows the text instead of evaluating it. Identifiers come from the audited
//! servers, which an attacker may name.

use crate::verdict::{evidence_line, references_line};
use crate::{Report, ResultRow};

/// The header row, in column order.
pub const HEADER: [&str; 18] = [
    "target_id",
    "server",
    "instance",
    "check_id",
    "title",
    "status",
    "severity",
    "standing",
    "drift",
    "entity_type",
    "entity",
    "message",
    "evidence",
    "references",
    "review_status",
    "justification",
    "notes",
    "fingerprint",
];

/// The report's findings as CSV (UTF-8 with BOM, CRLF).
pub fn write(report: &Report) -> Vec<u8> {
    let mut out = String::from("\u{FEFF}");
    record(&mut out, HEADER.iter().map(|h| (*h).to_owned()));
    for instance in &report.instances {
        let named = instance.instance.clone().unwrap_or_default();
        if !instance.reached && instance.results.is_empty() {
            let mut fields = vec![String::new(); HEADER.len()];
            fields[0] = instance.target_id.clone();
            fields[1] = instance.server.clone();
            fields[2] = named.clone();
            fields[5] = "UNKNOWN".to_owned();
            fields[7] = "open".to_owned();
            fields[9] = "instance".to_owned();
            fields[10] = instance.label.clone();
            fields[11] = format!(
                "not reached: {}",
                instance.reason.as_deref().unwrap_or("no reason recorded")
            );
            record(&mut out, fields);
            continue;
        }
        for row in &instance.results {
            record(
                &mut out,
                fields(&instance.target_id, &instance.server, &named, row),
            );
        }
    }
    out.into_bytes()
}

fn fields(target_id: &str, server: &str, instance: &str, row: &ResultRow) -> Vec<String> {
    let f = &row.finding;
    let check = audit_core::checks::check(f.check_id);
    let note = row.note.clone().unwrap_or_default();
    vec![
        target_id.to_owned(),
        server.to_owned(),
        instance.to_owned(),
        f.check_id.to_string(),
        check.map(|c| c.title.to_owned()).unwrap_or_default(),
        f.status.to_string(),
        f.severity.to_string(),
        row.standing.as_str().to_owned(),
        row.drift.clone().unwrap_or_default(),
        f.entity_type.clone(),
        f.entity.clone(),
        f.message.clone(),
        evidence_line(&f.evidence),
        check.map(references_line).unwrap_or_default(),
        note.review_status.unwrap_or_default(),
        note.justification.unwrap_or_default(),
        note.notes.unwrap_or_default(),
        row.fingerprint.clone(),
    ]
}

/// Appends one record: every field neutralised and quoted, CRLF at the end.
fn record(out: &mut String, fields: impl IntoIterator<Item = String>) {
    let mut first = true;
    for field in fields {
        if !first {
            out.push(',');
        }
        first = false;
        out.push('"');
        out.push_str(&neutralise(&field).replace('"', "\"\""));
        out.push('"');
    }
    out.push_str("\r\n");
}

/// The value with a leading `'` when a spreadsheet would read it as a formula.
pub fn neutralise(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_triggers_are_neutralised_and_plain_text_is_not() {
        for hostile in ["=1+1", "+1", "-1+1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(hostile), format!("'{hostile}"));
        }
        for plain in ["sa", "a=b", " =1", "فروش", ""] {
            assert_eq!(neutralise(plain), plain);
        }
    }

    #[test]
    fn fields_are_quoted_with_inner_quotes_doubled() {
        let mut out = String::new();
        record(&mut out, ["a,b".to_owned(), "say \"hi\"\r\n".to_owned()]);
        assert_eq!(out, "\"a,b\",\"say \"\"hi\"\"\r\n\"\r\n");
    }
}
