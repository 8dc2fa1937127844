//! Names that become file or folder names on Windows, and the characters no name may hold.

/// Whether `name` (or `name.anything`) is a device name Windows reserves: CON, PRN, AUX, NUL,
/// COM0–COM9, COM¹, COM², COM³ and the same for LPT. Such a target id, audit name or credential
/// name could never be a file.
///
/// The list is Microsoft's "Naming Files, Paths, and Namespaces"
/// (<https://learn.microsoft.com/en-us/windows/win32/fileio/naming-a-file>), which names the
/// superscript digits ¹ ² ³ (Windows reads them as 1, 2, 3); COM0 and LPT0, listed in earlier
/// revisions of that page, are refused too, as refusing a name that may work costs nothing.
/// The digit is compared as a character: `COM¹` is five bytes but four characters.
pub fn is_reserved_windows_name(name: &str) -> bool {
    let stem = name
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    match stem.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" => true,
        _ => {
            let (Some(prefix), Some(digit)) = (stem.get(..3), stem.get(3..)) else {
                return false;
            };
            let mut digits = digit.chars();
            matches!(prefix, "COM" | "LPT")
                && matches!(
                    (digits.next(), digits.next()),
                    (Some('0'..='9' | '¹' | '²' | '³'), None)
                )
        }
    }
}

/// Whether `c` is a character a reader does not see as itself: a control character (Unicode
/// Cc), a format character (Cf: the bidi overrides and isolates U+202A–202E and U+2066–2069,
/// the Arabic letter mark U+061C, zero-width spaces and joiners, the soft hyphen U+00AD, the
/// Mongolian vowel separator U+180E, the tag characters U+E0001–E007F, the byte-order mark …),
/// or a line or paragraph separator (Zl U+2028, Zp U+2029). Such a character can hide or
/// reorder what a file name, a script or a terminal line shows.
///
/// The one rule every reader of outside text applies (config values, names put into scripts,
/// text printed on the terminal), so that what one refuses another cannot let through.
pub fn is_hidden(c: char) -> bool {
    use unicode_general_category::{GeneralCategory, get_general_category};
    c.is_control()
        || matches!(
            get_general_category(c),
            GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names() {
        for name in [
            "con",
            "NUL",
            "nul.txt",
            "Com1",
            "lpt9.log",
            "aux ",
            "COM0",
            "lpt0.txt",
            "COM¹",
            "com²",
            "COM³.xlsx",
            "LPT¹",
            "lpt²",
            "LPT³ .log",
        ] {
            assert!(is_reserved_windows_name(name), "{name}");
        }
        for name in [
            "console", "com10", "lpt", "prod", "nullable", "COM¹¹", "COM⁴", "LPT½", "COMA", "cöm1",
            "",
        ] {
            assert!(!is_reserved_windows_name(name), "{name}");
        }
    }

    #[test]
    fn hidden_characters() {
        for c in [
            '\0',
            '\n',
            '\u{1B}',
            '\u{7F}',
            '\u{85}',
            '\u{AD}',
            '\u{61C}',
            '\u{180E}',
            '\u{200B}',
            '\u{200E}',
            '\u{202E}',
            '\u{2028}',
            '\u{2029}',
            '\u{2066}',
            '\u{FEFF}',
            '\u{E0001}',
            '\u{E0041}',
            '\u{E007F}',
        ] {
            assert!(is_hidden(c), "U+{:04X}", c as u32);
        }
        for c in ['a', ' ', 'é', '😀', '\u{A0}', '-', '_', '.', '[', '$'] {
            assert!(!is_hidden(c), "U+{:04X}", c as u32);
        }
    }
}
