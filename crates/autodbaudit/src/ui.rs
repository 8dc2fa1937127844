//! What the user reads: styled messages on a terminal, plain text elsewhere.
//!
//! Results go to standard output; progress, warnings and errors to standard error, so that
//! `autodbaudit config show --format json > file` stays clean. Every message passes through
//! secret redaction.

use std::sync::atomic::{AtomicBool, Ordering};

use anstyle::{AnsiColor, Style};
use audit_config::{Diagnostic, Level};
use audit_credentials::redact::redact;

static QUIET: AtomicBool = AtomicBool::new(false);

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const GOOD: Style = AnsiColor::Green.on_default().bold();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

/// Applies `--quiet` and the colour choice for the rest of the process.
pub fn configure(quiet: bool, color: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
    if !color {
        anstream::ColorChoice::Never.write_global();
    }
}

/// Whether `--quiet` was given (progress bars stay hidden too).
pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A result line on standard output (printed even with `--quiet`).
pub fn out(text: &str) {
    anstream::println!("{}", redact(text));
}

/// A progress or success line on standard error, hidden by `--quiet`.
pub fn note(text: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        anstream::eprintln!("{}", redact(text));
    }
}

/// A success line, hidden by `--quiet`.
pub fn success(text: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        anstream::eprintln!("{GOOD}ok{GOOD:#}: {}", redact(text));
    }
}

/// An error, always printed, with an optional hint on the next line. Errors quote what they
/// are about — a server's name or message, a config value, a workbook cell — so their text is
/// escaped like any text from outside ([`crate::console::untrusted`]), keeping only line breaks.
pub fn error(text: &str, hint: Option<&str>) {
    anstream::eprintln!("{ERROR}error{ERROR:#}: {}", plain(&redact(text)));
    if let Some(hint) = hint {
        anstream::eprintln!("  {BOLD}fix{BOLD:#}: {}", plain(&redact(hint)));
    }
}

/// `text` with every control, bidi or zero-width character escaped except line breaks and
/// tabs: a message may span lines, but nothing in it moves the cursor or recolours the terminal.
fn plain(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            line.split('\t')
                .map(|part| crate::console::untrusted(part).into_owned())
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A config diagnostic: `file:line:col: error: field: message` and its fix.
pub fn diagnostic(d: &Diagnostic) {
    if d.level == Level::Warning && QUIET.load(Ordering::Relaxed) {
        return;
    }
    let (style, label) = match d.level {
        Level::Error => (ERROR, "error"),
        Level::Warning => (WARNING, "warning"),
    };
    let field = d
        .field
        .as_deref()
        .map(|f| format!("{BOLD}{}{BOLD:#}: ", plain(f)))
        .unwrap_or_default();
    anstream::eprintln!(
        "{DIM}{}:{DIM:#} {style}{label}{style:#}: {field}{}",
        plain(&d.location()),
        plain(&redact(&d.message))
    );
    if let Some(fix) = &d.fix {
        anstream::eprintln!("  {BOLD}fix{BOLD:#}: {}", plain(&redact(fix)));
    }
}

/// Bold text, for headings inside output.
pub fn bold(text: &str) -> String {
    format!("{BOLD}{text}{BOLD:#}")
}

/// Prints `rows` (the first is the header) as aligned columns on standard output.
pub fn table<const N: usize>(rows: &[[String; N]], indent: &str) {
    let widths: Vec<usize> = (0..N)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out(&format!("{indent}{}", cells.join("  ").trim_end()));
    }
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn messages_keep_their_lines_and_lose_terminal_controls() {
        assert_eq!(plain("a\nb\tc"), "a\nb\tc");
        assert_eq!(
            plain("login \u{1b}[2J\u{202e}x\u{7}"),
            "login \\u{001b}[2J\\u{202e}x\\u{0007}"
        );
    }
}
