//! JSON with comments, parsed by a real parser, keeping where every value came from.
//!
//! The config files are JSONC: `//` and `/* */` comments and trailing commas are allowed,
//! everything else is strict JSON (double quotes, no hex numbers, no unquoted keys). The result
//! is a plain `serde_json::Value` for schema validation and deserialisation, plus a map from each
//! value's JSON pointer to its position, so that any later error can name its line and column.

use std::collections::HashMap;

use jsonc_parser::ast::{ObjectPropName, Value as Ast};
use jsonc_parser::errors::ParseErrorKind;
use jsonc_parser::{CollectOptions, ParseOptions, ParseStringErrorKind};
use serde_json::{Map, Number, Value};

use crate::diagnostic::pointer_push;
use crate::{Diagnostic, SourceFile};

/// Where a value (and, for object members, its key) starts in the text, as byte offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Start of the member's key, for object members.
    pub key: Option<usize>,
    /// Start of the value.
    pub value: usize,
}

/// A parsed document: the value and the position of every node, by JSON pointer.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file it came from.
    pub source: SourceFile,
    /// The parsed value.
    pub value: Value,
    spans: HashMap<String, Span>,
}

impl Document {
    /// Position of the value at `pointer` (or of the nearest ancestor that exists).
    pub fn value_position(&self, pointer: &str) -> (usize, usize) {
        self.source.position(self.nearest(pointer).value)
    }

    /// Position of the key of the member at `pointer`, falling back to its value.
    pub fn key_position(&self, pointer: &str) -> (usize, usize) {
        let span = self.nearest(pointer);
        self.source.position(span.key.unwrap_or(span.value))
    }

    fn nearest(&self, pointer: &str) -> Span {
        let mut p = pointer;
        loop {
            if let Some(span) = self.spans.get(p) {
                return *span;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => {
                    return Span {
                        key: None,
                        value: 0,
                    };
                }
            }
        }
    }

    /// An error about the value at `pointer`, positioned and with the field path filled in.
    pub fn error_at(&self, pointer: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(&self.source.display_path, message)
            .at(Some(self.value_position(pointer)))
            .field(self.field(pointer))
    }

    /// The readable path of the value at `pointer` (`targets[0].port`).
    pub fn field(&self, pointer: &str) -> String {
        crate::diagnostic::field_path(pointer, Some(&self.value))
    }

    /// A warning about the value at `pointer`.
    pub fn warning_at(&self, pointer: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: crate::Level::Warning,
            ..self.error_at(pointer, message)
        }
    }
}

/// Parses `source` as JSONC. A syntax error is returned as one positioned diagnostic.
pub fn parse(source: SourceFile) -> Result<Document, Diagnostic> {
    let options = ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed =
        match jsonc_parser::parse_to_ast(&source.text, &CollectOptions::default(), &options) {
            Ok(parsed) => parsed,
            Err(e) => {
                let (message, fix) = describe(e.kind());
                let mut d = Diagnostic::error(&source.display_path, message)
                    .at(Some(source.position(e.range().start)));
                if let Some(fix) = fix {
                    d = d.fix(fix);
                }
                return Err(d);
            }
        };
    let Some(root) = parsed.value else {
        return Err(Diagnostic::error(&source.display_path, "the file is empty (it holds no JSON value)")
            .at(Some((1, 1)))
            .fix("run `autodbaudit init --force` to write the commented template again, or restore the file"));
    };
    let mut spans = HashMap::new();
    let value = convert(&source, &root, String::new(), None, &mut spans)?;
    Ok(Document {
        source,
        value,
        spans,
    })
}

fn convert(
    source: &SourceFile,
    node: &Ast<'_>,
    pointer: String,
    key: Option<usize>,
    spans: &mut HashMap<String, Span>,
) -> Result<Value, Diagnostic> {
    let start = match node {
        Ast::StringLit(s) => s.range.start,
        Ast::NumberLit(n) => n.range.start,
        Ast::BooleanLit(b) => b.range.start,
        Ast::Object(o) => o.range.start,
        Ast::Array(a) => a.range.start,
        Ast::NullKeyword(n) => n.range.start,
    };
    spans.insert(pointer.clone(), Span { key, value: start });
    Ok(match node {
        Ast::StringLit(s) => Value::String(s.value.to_string()),
        Ast::BooleanLit(b) => Value::Bool(b.value),
        Ast::NullKeyword(_) => Value::Null,
        Ast::NumberLit(n) => Value::Number(parse_number(n.value).ok_or_else(|| {
            let shown: String = n.value.chars().take(24).collect();
            let more = if n.value.len() > shown.len() {
                "…"
            } else {
                ""
            };
            Diagnostic::error(
                &source.display_path,
                format!("the number {shown}{more} is out of range"),
            )
            .at(Some(source.position(start)))
            .field(crate::diagnostic::field_path(&pointer, None))
            .fix("write a number in the range the field allows (the commented template says it)")
        })?),
        Ast::Array(a) => Value::Array(
            a.elements
                .iter()
                .enumerate()
                .map(|(i, element)| convert(source, element, format!("{pointer}/{i}"), None, spans))
                .collect::<Result<_, _>>()?,
        ),
        Ast::Object(o) => {
            let mut map = Map::new();
            let mut first_seen: HashMap<&str, usize> = HashMap::new();
            for prop in &o.properties {
                let (name, key_start) = match &prop.name {
                    ObjectPropName::String(s) => (s.value.as_ref(), s.range.start),
                    ObjectPropName::Word(w) => (w.value, w.range.start),
                };
                let child = pointer_push(&pointer, name);
                if let Some(first) = first_seen.insert(name, key_start) {
                    let (line, _) = source.position(first);
                    return Err(Diagnostic::error(
                        &source.display_path,
                        format!("duplicate key \"{name}\" (first written on line {line})"),
                    )
                    .at(Some(source.position(key_start)))
                    .field(crate::diagnostic::field_path(&child, None))
                    .fix("keep one of the two; later copies would silently win in other tools"));
                }
                let value = convert(source, &prop.value, child, Some(key_start), spans)?;
                map.insert(name.to_owned(), value);
            }
            Value::Object(map)
        }
    })
}

fn parse_number(text: &str) -> Option<Number> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(i.into());
    }
    if let Ok(u) = text.parse::<u64>() {
        return Some(u.into());
    }
    // 1433.0 or 1e3 are whole numbers to JSON Schema; give them to serde as integers too.
    let float = text.parse::<f64>().ok()?;
    if float.fract() == 0.0 && float.abs() < 9.0e15 {
        return Some((float as i64).into());
    }
    Number::from_f64(float)
}

/// A message and a fix for each syntax error, in the words of someone editing a config file.
fn describe(kind: &ParseErrorKind) -> (String, Option<&'static str>) {
    use ParseErrorKind as K;
    let (message, fix): (&str, Option<&'static str>) = match kind {
        K::String(ParseStringErrorKind::UnterminatedStringLiteral) => (
            "unterminated string: the closing double quote is missing",
            Some("add the closing \" on the same line"),
        ),
        K::String(
            ParseStringErrorKind::InvalidEscape
            | ParseStringErrorKind::InvalidEscapeInDoubleQuoteString
            | ParseStringErrorKind::InvalidEscapeInSingleQuoteString,
        ) => (
            "invalid escape sequence in a string",
            Some(
                "a backslash must be doubled in JSON: write \"CORP\\\\svc_audit\" for CORP\\svc_audit",
            ),
        ),
        K::String(_) => (
            "invalid \\u escape in a string",
            Some("write \\u followed by four hex digits, or the character itself"),
        ),
        K::SingleQuotedStringsNotAllowed => (
            "strings must use double quotes",
            Some("replace the single quotes ' with double quotes \""),
        ),
        K::ExpectedStringObjectProperty => (
            "expected a key in double quotes",
            Some("write keys as \"name\": value"),
        ),
        K::UnexpectedWord => (
            "unexpected word: text values need double quotes, and true, false and null are lower case",
            Some("quote the value (\"...\") or write true, false or null"),
        ),
        K::ExpectedColonAfterObjectKey => (
            "expected a colon after the key",
            Some("write \"key\": value"),
        ),
        K::ExpectedObjectValue => (
            "expected a value after the colon",
            Some("write a value after the colon: \"text\", a number, true, false, [ ] or { }"),
        ),
        K::ExpectedComma => (
            "expected a comma",
            Some("separate members and list items with commas"),
        ),
        K::UnterminatedObject => ("this object is not closed", Some("add the missing }")),
        K::UnterminatedArray => ("this list is not closed", Some("add the missing ]")),
        K::UnterminatedCommentBlock => (
            "this /* comment is not closed",
            Some("add */ at the end of the comment"),
        ),
        K::UnexpectedCloseBrace => (
            "unexpected }",
            Some("remove it, or open the object it was meant to close"),
        ),
        K::UnexpectedCloseBracket => (
            "unexpected ]",
            Some("remove it, or open the list it was meant to close"),
        ),
        K::UnexpectedColon => (
            "unexpected colon",
            Some("write one \"key\": value per member, separated by commas"),
        ),
        K::UnexpectedComma => ("unexpected comma", Some("remove the extra comma")),
        K::MultipleRootJsonValues => (
            "text after the end of the top-level object",
            Some("the file holds exactly one { ... } object; remove what follows it"),
        ),
        K::HexadecimalNumbersNotAllowed
        | K::UnaryPlusNumbersNotAllowed
        | K::BareDecimalPointNumbersNotAllowed
        | K::NonFiniteNumbersNotAllowed
        | K::ExpectedDigit
        | K::ExpectedDigitFollowingNegativeSign
        | K::ExpectedPlusMinusOrDigitInNumberLiteral => (
            "invalid number",
            Some("write plain decimal numbers such as 1433"),
        ),
        K::NestingDepthExceeded => (
            "the file is nested too deeply (lists or objects inside each other hundreds of levels down)",
            Some(
                "a config file nests a few levels; restore it from the template (`autodbaudit init --force`)",
            ),
        ),
        K::UnexpectedToken | K::UnexpectedTokenInObject => (
            "unexpected text here: is a double quote, a comma or a colon missing just before it?",
            Some(
                "compare the line with the commented template (`autodbaudit init` in an empty folder writes one)",
            ),
        ),
        other => {
            return (
                format!("syntax error: {other}"),
                Some(
                    "compare the line with the commented template (`autodbaudit init` in an empty folder writes one)",
                ),
            );
        }
    };
    (message.to_owned(), fix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Result<Document, Diagnostic> {
        parse(SourceFile::new("t.jsonc", text.to_owned()))
    }

    #[test]
    fn comments_and_trailing_commas_with_positions() {
        let d = doc("// c\n{\n  /* x */ \"a\": [1, {\"b\": true,},],\n}").unwrap();
        assert_eq!(d.value, serde_json::json!({"a": [1, {"b": true}]}));
        assert_eq!(d.key_position("/a"), (3, 11));
        assert_eq!(d.value_position("/a/1/b"), (3, 26));
        assert_eq!(d.value_position("/a/1/zzz"), (3, 20));
    }

    #[test]
    fn errors_are_positioned() {
        let e = doc("{\n  \"a\": 'x'\n}").unwrap_err();
        assert_eq!(
            (e.position, e.message.contains("double quotes")),
            (Some((2, 8)), true)
        );
        let e = doc("{\"u\": \"CORP\\svc\"}").unwrap_err();
        assert!(e.fix.unwrap().contains("doubled"));
        let e = doc("{\"a\": 1, \"a\": 2}").unwrap_err();
        assert_eq!(e.position, Some((1, 10)));
        assert!(e.message.contains("duplicate key"));
        assert!(
            doc("  // only a comment\n")
                .unwrap_err()
                .message
                .contains("empty")
        );
    }
}
