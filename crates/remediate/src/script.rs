//! Reading a (possibly hand-edited) script back as batches: split on `GO` lines, each with the
//! metadata line the generator wrote, and checked before anything runs.

use std::collections::BTreeSet;

use sqlparser::dialect::MsSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

/// One batch of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Its position in the script, from 1 (every batch counts, comments-only ones too).
    pub number: usize,
    /// The generator's section number from its metadata line; 0 for a batch without one
    /// (the preamble, or a batch a reviewer added).
    pub section: usize,
    /// The check it fixes, from its metadata line.
    pub check: Option<String>,
    /// What the section is about, from its banner (`SAFE · R10 … · xp_cmdshell`), for
    /// listings; none for a batch without one.
    pub title: Option<String>,
    /// `live`, `commented`, `held` or `info`, as generated (a reviewer may still have
    /// uncommented it: what runs is what is not commented).
    pub state: String,
    /// The secret placeholder it needs.
    pub secret: Option<String>,
    /// Its text.
    pub sql: String,
    /// Line of the script it starts on (1-based), for messages.
    pub line: usize,
}

impl Batch {
    /// Whether anything in it runs (it is not only comments and blank lines).
    pub fn is_executable(&self) -> bool {
        !strip_comments(&self.sql).trim().is_empty()
    }

    /// Its first line that changes something (`ALTER`, `EXEC`, `DROP`, …), preferring one that
    /// is not a preparatory step (a registry read, `show advanced options`, `RECONFIGURE`);
    /// else its first line that runs, after any `USE`. For dry-run listings.
    pub fn first_statement(&self) -> String {
        const CHANGES: [&str; 9] = [
            "ALTER",
            "EXEC",
            "EXECUTE",
            "DROP",
            "CREATE",
            "GRANT",
            "REVOKE",
            "DENY",
            "RECONFIGURE",
        ];
        let text = strip_comments(&self.sql);
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let keyword = |l: &str| {
            l.split(|c: char| !c.is_ascii_alphabetic())
                .next()
                .unwrap_or("")
                .to_ascii_uppercase()
        };
        let changes = |l: &&&str| CHANGES.contains(&keyword(l).as_str());
        let preparatory = |l: &&&str| {
            let lower = l.to_ascii_lowercase();
            keyword(l) == "RECONFIGURE"
                || ["regread", "'show advanced options'"]
                    .iter()
                    .any(|p| lower.contains(p))
        };
        lines
            .iter()
            .find(|l| changes(l) && !preparatory(l))
            .or_else(|| lines.iter().find(changes))
            .or_else(|| lines.iter().find(|l| keyword(l) != "USE"))
            .map_or("", |l| l)
            .chars()
            .take(100)
            .collect()
    }

    /// The `$(NAME)` placeholders its live text uses: only bare ones, written outside every
    /// quoted name, literal and comment ([`placeholders`]).
    pub fn variables(&self) -> BTreeSet<String> {
        placeholders(&self.sql)
            .into_iter()
            .map(|p| p.name.to_owned())
            .collect()
    }
}

/// A bare `$(NAME)` in a batch: one the generator wrote, outside every `[…]` identifier,
/// `'…'` / `N'…'` literal, `"…"` identifier and comment. A name from a server only ever reaches
/// a script inside one of those, so it can never produce this token (a `$(…)` inside quotes is
/// text and is left alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placeholder<'a> {
    /// Byte range of the whole token (`$(` to `)`) in the batch.
    pub range: (usize, usize),
    /// What is between the parentheses.
    pub name: &'a str,
}

/// Whether `name` is a placeholder name the generator writes (`AUTODBAUDIT_…`: capitals,
/// digits, `_`).
pub fn is_placeholder_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Every bare `$(…)` of `sql`, read T-SQL-lexically: `[…]` with `]]`, `'…'` with `''`, `"…"`
/// with `""`, `--` to the end of the line and nested `/* */` are skipped. A `$(` without its
/// `)` on the same line runs to the end of that line (and is not a valid name).
pub fn placeholders(sql: &str) -> Vec<Placeholder<'_>> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // Every delimiter is ASCII, so byte positions stay on character boundaries.
    let skip_quoted = |mut i: usize, close: u8| -> usize {
        while i < bytes.len() {
            if bytes[i] == close {
                if bytes.get(i + 1) == Some(&close) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i += 1;
        }
        bytes.len()
    };
    while i < bytes.len() {
        match bytes[i] {
            b'[' => i = skip_quoted(i + 1, b']'),
            b'\'' => i = skip_quoted(i + 1, b'\''),
            b'"' => i = skip_quoted(i + 1, b'"'),
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n + 1);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 1;
                i += 2;
                while i < bytes.len() && depth > 0 {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
            }
            b'$' if bytes.get(i + 1) == Some(&b'(') => {
                let rest = &sql[i + 2..];
                let line_end = rest.find(['\n', '\r']).unwrap_or(rest.len());
                let (name, end) = match rest[..line_end].find(')') {
                    Some(close) => (&rest[..close], i + 2 + close + 1),
                    None => (&rest[..line_end], i + 2 + line_end),
                };
                out.push(Placeholder {
                    range: (i, end),
                    name,
                });
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// `sql` with each bare placeholder replaced by what `value` gives for its name; the first
/// error `value` returns stops it.
pub fn replace_placeholders<E>(
    sql: &str,
    mut value: impl FnMut(&str) -> Result<String, E>,
) -> Result<String, E> {
    let mut out = String::with_capacity(sql.len());
    let mut last = 0;
    for p in placeholders(sql) {
        out.push_str(&sql[last..p.range.0]);
        out.push_str(&value(p.name)?);
        last = p.range.1;
    }
    out.push_str(&sql[last..]);
    Ok(out)
}

/// Why a script cannot run; names the file's line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ScriptError {
    /// Line of the script.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// `sql` without `--` comments and `/* */` blocks (strings and brackets respected).
fn strip_comments(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '[' | '"' => {
                let close = if c == '[' { ']' } else { c };
                out.push(c);
                while let Some(d) = chars.next() {
                    out.push(d);
                    if d == close {
                        if chars.peek() == Some(&close) {
                            out.push(chars.next().unwrap_or(close));
                        } else {
                            break;
                        }
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                for d in chars.by_ref() {
                    if previous == '*' && d == '/' {
                        break;
                    }
                    if d == '\n' {
                        out.push('\n');
                    }
                    previous = d;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Splits `script` into batches on lines holding only `GO`.
pub fn split(script: &str) -> Vec<Batch> {
    let mut batches = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    for (i, line) in script.lines().enumerate() {
        if line.trim().eq_ignore_ascii_case("GO") {
            push(&mut batches, &current, start);
            current.clear();
            start = i + 2;
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    push(&mut batches, &current, start);
    batches
}

fn push(batches: &mut Vec<Batch>, sql: &str, line: usize) {
    if sql.trim().is_empty() {
        return;
    }
    let meta = sql
        .lines()
        .find_map(|l| l.trim().strip_prefix("-- autodbaudit:"));
    let field = |name: &str| {
        meta.and_then(|m| {
            m.split_whitespace()
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
        })
    };
    let title = sql.lines().find_map(|l| {
        let (_, rest) = l.trim().strip_prefix("-- [")?.split_once("] ")?;
        Some(rest.trim().to_owned())
    });
    batches.push(Batch {
        number: batches.len() + 1,
        section: field("batch").and_then(|n| n.parse().ok()).unwrap_or(0),
        check: field("check"),
        title,
        state: field("state").unwrap_or_else(|| "live".to_owned()),
        secret: field("secret"),
        sql: sql.to_owned(),
        line,
    });
}

/// Checks what would run: every executable batch tokenizes as T-SQL, its brackets, quotes,
/// parentheses and BEGIN/END balance, and every `$(…)` variable is one of `secrets`.
pub fn validate(batch: &Batch, secrets: &BTreeSet<String>) -> Result<(), ScriptError> {
    let error = |message: String| ScriptError {
        line: batch.line,
        message,
    };
    for p in placeholders(&batch.sql) {
        if !is_placeholder_name(p.name) {
            return Err(error(format!(
                "batch {}: `$({})` outside quotes is not a placeholder AutoDBAudit writes (AUTODBAUDIT_…); put text in N'…' or a name in […], or generate the scripts again",
                batch.number, p.name
            )));
        }
        if !secrets.contains(p.name) {
            return Err(error(format!(
                "batch {} uses $({}), which the secrets file does not hold; generate the scripts again",
                batch.number, p.name
            )));
        }
    }
    // Scripts of earlier versions quoted their placeholders (`N'$(NAME)'`), which this version
    // leaves alone: sending one would set the password to the placeholder's text.
    if let Some(secret) = &batch.secret
        && !batch.variables().contains(secret)
    {
        return Err(error(format!(
            "batch {} is marked secret={secret} but has no bare $({secret}): the script comes from an earlier version, which quoted its placeholders; generate the scripts again",
            batch.number
        )));
    }
    // What the tokenizer sees: each placeholder as the literal it becomes.
    let sql = replace_placeholders(&batch.sql, |_| Ok::<_, ()>("N''".to_owned()))
        .unwrap_or_else(|()| batch.sql.clone());
    let text = strip_comments(&sql);
    let tokens = Tokenizer::new(&MsSqlDialect {}, &text)
        .tokenize()
        .map_err(|e| error(format!("batch {} is not valid T-SQL: {e}", batch.number)))?;
    let (mut parens, mut blocks) = (0i64, 0i64);
    for token in &tokens {
        match token {
            Token::LParen => parens += 1,
            Token::RParen => parens -= 1,
            Token::Word(w) if w.quote_style.is_none() => {
                if w.value.eq_ignore_ascii_case("BEGIN") {
                    blocks += 1;
                } else if w.value.eq_ignore_ascii_case("END") {
                    blocks -= 1;
                }
            }
            _ => {}
        }
        if parens < 0 || blocks < 0 {
            return Err(error(format!(
                "batch {}: a closing parenthesis or END without its opening",
                batch.number
            )));
        }
    }
    if parens != 0 || blocks != 0 {
        return Err(error(format!(
            "batch {}: unbalanced parentheses or BEGIN/END",
            batch.number
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_split_on_go_lines_only() {
        let script = "SELECT 1\nGO\n-- autodbaudit: batch=2 check=R10 state=live\nSELECT N'GO'\n  go  \n-- only a comment\nGO\n";
        let batches = split(script);
        assert_eq!(batches.len(), 3);
        assert_eq!(batches[1].number, 2);
        assert_eq!(batches[1].section, 2);
        assert_eq!(batches[0].section, 0);
        assert_eq!(batches[1].check.as_deref(), Some("R10"));
        assert_eq!(batches[1].line, 3);
        assert!(batches[1].is_executable());
        assert!(!batches[2].is_executable());
    }

    #[test]
    fn comments_hide_statements_but_strings_keep_dashes() {
        let b = split(
            "-- ALTER LOGIN x DISABLE\n/* DROP\nUSER y */\nSELECT N'--not a comment' AS [a--b]\n",
        )
        .remove(0);
        assert_eq!(b.first_statement(), "SELECT N'--not a comment' AS [a--b]");
    }

    #[test]
    fn listings_show_the_banner_and_the_statement_that_changes_something() {
        let b = split(
            "-- [3] SAFE · R10 Unused features disabled · xp_cmdshell\n-- autodbaudit: batch=3 check=R10 state=live\nUSE [master];\nDECLARE @outcome nvarchar(20) = N'unchanged';\nIF 1 = 1\nBEGIN\n    EXEC sp_configure N'show advanced options', 1;\n    EXEC sp_configure N'xp_cmdshell', 0;\n    RECONFIGURE;\nEND\n",
        )
        .remove(0);
        assert_eq!(
            b.title.as_deref(),
            Some("SAFE · R10 Unused features disabled · xp_cmdshell")
        );
        assert_eq!(b.first_statement(), "EXEC sp_configure N'xp_cmdshell', 0;");
        let plain = split("USE [x];\nSELECT 1;\n").remove(0);
        assert_eq!(plain.title, None);
        assert_eq!(plain.first_statement(), "SELECT 1;");
    }

    #[test]
    fn validation_names_unknown_variables_and_unbalanced_blocks() {
        let secrets: BTreeSet<String> = ["A".to_owned()].into();
        let ok = split("IF 1 = 1\nBEGIN\n  ALTER LOGIN [x] WITH PASSWORD = $(A);\nEND\n").remove(0);
        assert!(validate(&ok, &secrets).is_ok());
        let unknown = split("ALTER LOGIN [x] WITH PASSWORD = $(B)").remove(0);
        assert!(
            validate(&unknown, &secrets)
                .unwrap_err()
                .message
                .contains("$(B)")
        );
        let not_ours = split("SELECT $(anything at all)").remove(0);
        assert!(
            validate(&not_ours, &secrets)
                .unwrap_err()
                .message
                .contains("not a placeholder AutoDBAudit writes")
        );
        let open = split("BEGIN\nSELECT (1\n").remove(0);
        assert!(validate(&open, &secrets).is_err());
        let quote = split("SELECT N'unterminated").remove(0);
        assert!(validate(&quote, &secrets).is_err());
    }

    #[test]
    fn only_bare_placeholders_count_quoted_ones_are_text() {
        let sql = "IF SUSER_SNAME() = N'$(A)' OR N'it''s $(B)' = [$(C)]]$(D)] OR \"$(E)\" = 1 -- $(F)\n/* $(G) /* $(H) */ $(I) */ ALTER LOGIN [$(J)] WITH PASSWORD = $(K);";
        let names: Vec<&str> = placeholders(sql).iter().map(|p| p.name).collect();
        assert_eq!(names, ["K"]);
        let secrets: BTreeSet<String> = ["K".to_owned()].into();
        let b = split(sql).remove(0);
        assert!(
            validate(&b, &secrets).is_ok(),
            "{:?}",
            validate(&b, &secrets)
        );
        assert_eq!(
            replace_placeholders("a $(K) b N'$(K)'", |n| Ok::<_, ()>(format!("<{n}>"))).unwrap(),
            "a <K> b N'$(K)'"
        );
    }

    #[test]
    fn a_script_with_quoted_placeholders_from_an_earlier_version_is_refused() {
        let secrets: BTreeSet<String> = ["A".to_owned()].into();
        let old = split(
            "-- autodbaudit: batch=1 check=R04 state=live secret=A\nALTER LOGIN [x] WITH PASSWORD = N'$(A)';\n",
        )
        .remove(0);
        assert!(
            validate(&old, &secrets)
                .unwrap_err()
                .message
                .contains("earlier version")
        );
    }
}
