//! JSON Schemas generated from the config types, and validation against them with messages
//! written for the person editing the file.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, Validator};
use serde_json::Value;

use crate::diagnostic::pointer_push;
use crate::jsonc::Document;
use crate::model::{AuditConfig, TargetsFile};
use crate::{ConfigFile, Diagnostic};

/// The JSON Schema of a config file, generated from its Rust type.
pub fn schema(file: ConfigFile) -> &'static Value {
    static TARGETS: OnceLock<Value> = OnceLock::new();
    static AUDIT: OnceLock<Value> = OnceLock::new();
    match file {
        ConfigFile::SqlTargets => {
            TARGETS.get_or_init(|| schemars::schema_for!(TargetsFile).to_value())
        }
        ConfigFile::AuditConfig => {
            AUDIT.get_or_init(|| schemars::schema_for!(AuditConfig).to_value())
        }
    }
}

/// The schema as the pretty-printed text written to `config/schemas/`.
pub fn schema_text(file: ConfigFile) -> String {
    let mut text = serde_json::to_string_pretty(schema(file)).expect("a schema always serialises");
    text.push('\n');
    text
}

fn validator(file: ConfigFile) -> &'static Validator {
    static TARGETS: OnceLock<Validator> = OnceLock::new();
    static AUDIT: OnceLock<Validator> = OnceLock::new();
    let cell = match file {
        ConfigFile::SqlTargets => &TARGETS,
        ConfigFile::AuditConfig => &AUDIT,
    };
    cell.get_or_init(|| {
        jsonschema::validator_for(schema(file)).expect("generated schemas are valid")
    })
}

/// Every schema violation in `doc`, positioned and explained.
pub fn validate(file: ConfigFile, doc: &Document) -> Vec<Diagnostic> {
    let root = schema(file);
    let mut out = Vec::new();
    for error in validator(file).iter_errors(&doc.value) {
        let pointer = error.instance_path().as_str().to_owned();
        let schema_path = error.schema_path().as_str().to_owned();
        let keyword_parent = schema_path.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
        let node = resolve(root, keyword_parent);
        let instance = error.instance().as_ref().clone();
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let known: Vec<&str> = node
                    .and_then(|n| n.get("properties"))
                    .and_then(Value::as_object)
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                for key in unexpected {
                    out.push(unknown_key(doc, &pointer, key, &known));
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                let child = pointer_push(&pointer, name);
                let about = node
                    .and_then(|n| n.pointer(&format!("/properties/{name}")))
                    .map(|p| resolve_refs(root, p))
                    .and_then(|p| p.get("description"))
                    .and_then(Value::as_str)
                    .map(|d| format!(" ({})", first_sentence(d)))
                    .unwrap_or_default();
                out.push(
                    Diagnostic::error(
                        &doc.source.display_path,
                        format!("missing required field \"{name}\"{about}"),
                    )
                    .at(Some(doc.value_position(&pointer)))
                    .field(doc.field(&child))
                    .fix(format!("add \"{name}\": … to this object")),
                );
            }
            ValidationErrorKind::Type { kind } => {
                let expected = match kind {
                    TypeKind::Single(t) => type_name(*t).to_owned(),
                    TypeKind::Multiple(set) => {
                        let names: Vec<_> = set
                            .iter()
                            .filter(|t| *t != JsonType::Null)
                            .map(type_name)
                            .collect();
                        names.join(" or ")
                    }
                };
                let mut d = doc.error_at(
                    &pointer,
                    format!("expected {expected}, found {}", found(&instance)),
                );
                d = if let Value::String(s) = &instance
                    && (s.parse::<f64>().is_ok() || s == "true" || s == "false")
                {
                    d.fix("remove the quotes around the value")
                } else {
                    d.fix(format!(
                        "write {expected} here (the commented template shows an example)"
                    ))
                };
                out.push(d);
            }
            ValidationErrorKind::Enum { options } => {
                let options: Vec<String> = options
                    .as_array()
                    .map(|a| a.iter().map(Value::to_string).collect())
                    .unwrap_or_default();
                out.push(not_one_of(doc, &pointer, &options, &instance));
            }
            // Enums whose variants carry descriptions are generated as `oneOf` of constants.
            ValidationErrorKind::OneOfNotValid { .. }
                if let Some(options) = node.and_then(|n| constants(root, n)) =>
            {
                out.push(not_one_of(doc, &pointer, &options, &instance));
            }
            ValidationErrorKind::Minimum { .. } | ValidationErrorKind::Maximum { .. } => {
                let min = node.and_then(|n| n.get("minimum")).map(Value::to_string);
                let max = node.and_then(|n| n.get("maximum")).map(Value::to_string);
                let range = match (min, max) {
                    (Some(min), Some(max)) => format!("a number from {min} to {max}"),
                    (Some(min), None) => format!("a number of at least {min}"),
                    (None, Some(max)) => format!("a number of at most {max}"),
                    (None, None) => "a number in range".to_owned(),
                };
                out.push(
                    doc.error_at(&pointer, format!("expected {range}, found {instance}"))
                        .fix(format!("write {range}")),
                );
            }
            ValidationErrorKind::MinLength { limit: 1 } => {
                out.push(
                    doc.error_at(&pointer, "must not be empty")
                        .fix("write a value, or remove the field if it is optional"),
                );
            }
            ValidationErrorKind::MinLength { limit } => {
                out.push(
                    doc.error_at(
                        &pointer,
                        format!("must be at least {limit} characters long"),
                    )
                    .fix(format!("write at least {limit} characters")),
                );
            }
            ValidationErrorKind::MaxLength { limit } => {
                out.push(
                    doc.error_at(&pointer, format!("must be at most {limit} characters long"))
                        .fix(format!("shorten it to {limit} characters or fewer")),
                );
            }
            ValidationErrorKind::Pattern { .. } => {
                let rule = resolve(
                    root,
                    schema_path
                        .rsplit_once("/pattern")
                        .map(|(p, _)| p)
                        .unwrap_or(""),
                )
                .and_then(|n| n.get("description"))
                .and_then(Value::as_str)
                .unwrap_or("see the template's comment for this field");
                out.push(
                    doc.error_at(
                        &pointer,
                        format!("invalid value: {}", rule.replace('\n', " ")),
                    )
                    .fix("change the value to follow the rule above"),
                );
            }
            ValidationErrorKind::UniqueItems => {
                out.push(
                    doc.error_at(&pointer, "lists the same value more than once")
                        .fix("remove the repeated value"),
                );
            }
            // Other rules: named by their schema keyword, never by the value (it may be secret).
            _ => {
                let keyword = schema_path.rsplit('/').next().unwrap_or("schema");
                out.push(
                    doc.error_at(
                        &pointer,
                        format!(
                            "{} does not satisfy the \"{keyword}\" rule of the schema",
                            found(&instance)
                        ),
                    )
                    .fix("compare the value with the field's description in config/schemas/ or the commented template"),
                );
            }
        }
    }
    out
}

/// "expected one of …", with a suggestion when the text is close to an allowed value. The
/// text itself is not repeated (see [`found`]); a close option is safe to name.
fn not_one_of(doc: &Document, pointer: &str, options: &[String], instance: &Value) -> Diagnostic {
    let d = doc.error_at(
        pointer,
        format!(
            "expected one of {}, found {}",
            options.join(", "),
            found(instance)
        ),
    );
    let plain: Vec<&str> = options.iter().map(|o| o.trim_matches('"')).collect();
    match instance.as_str().and_then(|s| did_you_mean(s, &plain)) {
        Some(best) => d.fix(format!("did you mean \"{best}\"?")),
        None => d.fix(format!("write one of {}", options.join(", "))),
    }
}

/// The allowed values of a `oneOf` whose alternatives are all constants.
fn constants(root: &Value, node: &Value) -> Option<Vec<String>> {
    node.get("oneOf")?
        .as_array()?
        .iter()
        .map(|alt| {
            let alt = resolve_refs(root, alt);
            match (alt.get("const"), alt.get("enum").and_then(Value::as_array)) {
                (Some(c), _) => Some(vec![c.to_string()]),
                (None, Some(values)) => Some(values.iter().map(Value::to_string).collect()),
                _ => None,
            }
        })
        .collect::<Option<Vec<Vec<String>>>>()
        .map(|v| v.concat())
}

/// Names renamed since the Python tool, or commonly guessed, with what to write instead.
const KNOWN_MISTAKES: &[(&str, &str)] = &[
    (
        "password",
        "passwords never go in config files: run `autodbaudit credentials add NAME` and write \"credential\": \"keyring:NAME\" (or \"dpapi:NAME\" on Windows)",
    ),
    (
        "pwd",
        "passwords never go in config files: run `autodbaudit credentials add NAME` and write \"credential\": \"keyring:NAME\"",
    ),
    (
        "credential_file",
        "write \"credential\": \"dpapi:NAME\" or \"keyring:NAME\" (credential files are no longer used)",
    ),
    ("credential_ref", "the field is now called \"credential\""),
    ("credentials_ref", "the field is now called \"credential\""),
    (
        "metadata",
        "tags, description and ip_address are now fields of the target itself",
    ),
    (
        "connect_timeout",
        "the field is now called \"connect_timeout_s\" (seconds)",
    ),
    (
        "timeout_seconds",
        "write \"connect_timeout_s\" and/or \"query_timeout_s\"",
    ),
    (
        "audit_year",
        "write \"audit_name\", for example \"2026-H2\"",
    ),
];

fn unknown_key(doc: &Document, object: &str, key: &str, known: &[&str]) -> Diagnostic {
    let pointer = pointer_push(object, key);
    let mut d = Diagnostic::error(&doc.source.display_path, format!("unknown field \"{key}\""))
        .at(Some(doc.key_position(&pointer)))
        .field(doc.field(&pointer));
    if let Some((_, fix)) = KNOWN_MISTAKES
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
    {
        return d.fix(*fix);
    }
    if let Some(best) = did_you_mean(key, known) {
        d.message.push_str(&format!("; did you mean \"{best}\"?"));
        d = d.fix(format!("rename it to \"{best}\", or remove it"));
    } else if !known.is_empty() {
        let list: Vec<_> = known
            .iter()
            .filter(|k| !k.starts_with('$'))
            .copied()
            .collect();
        d = d.fix(format!("the fields allowed here are: {}", list.join(", ")));
    }
    d
}

/// The closest known name, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(given: &str, known: &[&'a str]) -> Option<&'a str> {
    let given = given.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(&given, &k.to_ascii_lowercase()), *k))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

fn type_name(t: JsonType) -> &'static str {
    match t {
        JsonType::Array => "a list [ … ]",
        JsonType::Boolean => "true or false",
        JsonType::Integer => "a whole number",
        JsonType::Null => "null",
        JsonType::Number => "a number",
        JsonType::Object => "an object { … }",
        JsonType::String => "a text in double quotes",
    }
}

/// Describes a value by its type, without repeating text that could be a secret.
fn found(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(_) => "a text".to_owned(),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

fn first_sentence(text: &str) -> String {
    let flat = text.replace('\n', " ");
    match flat.find(". ") {
        Some(i) => flat[..i].to_owned(),
        None => flat.trim_end_matches('.').to_owned(),
    }
}

/// Follows a schema pointer from the root, jumping through `$ref` segments.
fn resolve<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut node = root;
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        if segment == "$ref" {
            node = resolve_refs(root, node);
            continue;
        }
        node = match node {
            Value::Object(map) => map.get(&segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(resolve_refs(root, node))
}

fn resolve_refs<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(target) => match root.pointer(target) {
                Some(next) => node = next,
                None => break,
            },
            None => break,
        }
    }
    node
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_forbid_unknown_fields_and_describe_fields() {
        let s = schema(ConfigFile::SqlTargets);
        let target = resolve(s, "/properties/targets/items").unwrap();
        assert_eq!(target["additionalProperties"], Value::Bool(false));
        assert!(
            target["properties"]["credential"]["description"]
                .as_str()
                .unwrap()
                .contains("keyring:")
        );
    }

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("sever", &["server", "port"]), Some("server"));
        assert_eq!(
            did_you_mean("trust_server_cert", &["trust_server_certificate", "tags"]),
            Some("trust_server_certificate")
        );
        assert_eq!(did_you_mean("zzz", &["server", "port"]), None);
    }
}
