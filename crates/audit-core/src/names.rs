//! Names that become file or folder names on Windows.

/// Whether `name` (or `name.anything`) is a device name Windows reserves: CON, PRN, AUX, NUL,
/// COM1–COM9, LPT1–LPT9. Such a target id, audit name or credential name could never be a file.
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
            (stem.starts_with("COM") || stem.starts_with("LPT"))
                && stem.len() == 4
                && matches!(stem.as_bytes()[3], b'1'..=b'9')
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names() {
        for name in ["con", "NUL", "nul.txt", "Com1", "lpt9.log", "aux "] {
            assert!(is_reserved_windows_name(name), "{name}");
        }
        for name in ["console", "com0", "com10", "lpt", "prod", "nullable"] {
            assert!(!is_reserved_windows_name(name), "{name}");
        }
    }
}
