//! T-SQL quoting, the only way a name or a value from a server reaches a script.
//!
//! Identifiers are quoted as `QUOTENAME` does (`[` … `]`, a `]` doubled) and refused beyond
//! 128 characters, where `QUOTENAME` returns NULL; literals are `N'…'` with `'` doubled. Names
//! with a line break, another control character or an invisible format character (bidi
//! overrides, zero-width characters: [`is_hidden`]) are refused: a line holding only `GO`
//! inside a quoted name would split the batch, and no reviewer can see such a name in a script
//! as it is. Those findings become manual steps instead.

/// Why a value cannot be put into a script.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    /// Longer than `sysname` (128 characters).
    #[error("`{0}` is longer than 128 characters, the limit of a SQL Server name")]
    TooLong(String),
    /// Holds a line break, another control character or an invisible format character.
    #[error("`{}` contains a line break, control, bidi or zero-width character; it cannot be written safely into a script", .0.escape_default())]
    ControlCharacter(String),
    /// Not a T-SQL keyword phrase (capital letters and underscores, single spaces).
    #[error("`{}` is not a T-SQL keyword (capital letters, `_` and single spaces only)", .0.escape_default())]
    NotKeyword(String),
}

/// The most characters a SQL Server identifier (`sysname`) holds.
pub const MAX_NAME: usize = 128;

/// Whether `c` is a character a reader does not see as itself (control, format, line or
/// paragraph separator): the domain's one rule, shared with the config checks and the terminal.
pub use audit_core::is_hidden;

fn printable(value: &str) -> Result<(), QuoteError> {
    if value.chars().any(is_hidden) {
        return Err(QuoteError::ControlCharacter(value.to_owned()));
    }
    Ok(())
}

/// `name` as a delimited identifier: `QUOTENAME(name)`.
pub fn ident(name: &str) -> Result<String, QuoteError> {
    printable(name)?;
    if name.chars().count() > MAX_NAME {
        return Err(QuoteError::TooLong(name.to_owned()));
    }
    Ok(format!("[{}]", name.replace(']', "]]")))
}

/// `value` as a Unicode string literal: `N'…'` with every `'` doubled.
pub fn literal(value: &str) -> Result<String, QuoteError> {
    printable(value)?;
    Ok(format!("N'{}'", value.replace('\'', "''")))
}

/// `words` as written between T-SQL keywords (a permission such as `VIEW SERVER STATE`, a
/// database option, a catalog column): capital letters, `_` and single spaces only, so nothing
/// read from a server can change the statement around it.
pub fn keyword(words: &str) -> Result<String, QuoteError> {
    let ok = !words.is_empty()
        && words
            .split(' ')
            .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'));
    if ok {
        Ok(words.to_owned())
    } else {
        Err(QuoteError::NotKeyword(words.to_owned()))
    }
}

/// Whether `name` can be quoted as an identifier.
pub fn is_quotable(name: &str) -> bool {
    ident(name).is_ok()
}

/// `text` as `--` comment lines: every line of it prefixed, so nothing in it can end the
/// comment (control characters other than line breaks become spaces).
pub fn comment(text: &str) -> String {
    text.replace("\r\n", "\n")
        .split(['\n', '\r'])
        .map(|line| {
            let clean: String = line
                .chars()
                .map(|c| if is_hidden(c) { ' ' } else { c })
                .collect();
            if clean.is_empty() {
                "--".to_owned()
            } else {
                format!("-- {clean}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn keywords_are_capital_words_only() {
        assert_eq!(keyword("VIEW SERVER STATE").unwrap(), "VIEW SERVER STATE");
        assert_eq!(keyword("DB_CHAINING").unwrap(), "DB_CHAINING");
        for bad in [
            "",
            "SELECT; DROP",
            "select",
            "VIEW  STATE",
            "CONNECT\n",
            "A]B",
        ] {
            assert!(keyword(bad).is_err(), "{bad}");
        }
    }

    use super::*;

    #[test]
    fn identifiers_are_quoted_as_quotename_does() {
        assert_eq!(ident("sa").unwrap(), "[sa]");
        assert_eq!(ident("a]b").unwrap(), "[a]]b]");
        assert_eq!(ident("x'; DROP--").unwrap(), "[x'; DROP--]");
        assert_eq!(ident("Ünï").unwrap(), "[Ünï]");
        let long = "é".repeat(128);
        assert_eq!(ident(&long).unwrap().chars().count(), 130);
        assert!(matches!(
            ident(&"a".repeat(129)),
            Err(QuoteError::TooLong(_))
        ));
        assert!(matches!(
            ident("a\nGO\nb"),
            Err(QuoteError::ControlCharacter(_))
        ));
    }

    #[test]
    fn literals_double_their_quotes() {
        assert_eq!(literal("o'brien").unwrap(), "N'o''brien'");
        assert_eq!(literal("]';--").unwrap(), "N']'';--'");
        assert!(literal("a\rb").is_err());
    }

    #[test]
    fn bidi_and_zero_width_characters_are_refused_like_controls() {
        for hidden in [
            '\u{202E}', '\u{200B}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{200D}',
            '\u{2028}', '\u{FEFF}',
        ] {
            let name = format!("admin{hidden}nimda");
            assert!(
                matches!(ident(&name), Err(QuoteError::ControlCharacter(_))),
                "{:?}",
                hidden
            );
            assert!(literal(&name).is_err());
            assert!(!is_quotable(&name));
            assert_eq!(comment(&name), "-- admin nimda");
        }
        // Visible non-ASCII text stays quotable: accents, CJK, an emoji.
        assert!(is_quotable("Ünïcode 名前 \u{1F525}"));
        let e = ident("a\u{202E}b").unwrap_err().to_string();
        assert!(e.contains("a\\u{202e}b"), "{e}");
    }

    #[test]
    fn comments_cannot_be_escaped() {
        assert_eq!(comment("a\nDROP LOGIN x"), "-- a\n-- DROP LOGIN x");
        assert_eq!(comment("a\r\nb\u{7}"), "-- a\n-- b ");
        assert_eq!(comment(""), "--");
    }
}
