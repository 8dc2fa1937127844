//! The files `init` writes into a new workspace, and the Field Kit ships beside the executable.
//!
//! Kept in one place so that the templates users start from, the schemas their editors use
//! and what the kit contains cannot drift apart.

use std::path::PathBuf;

use crate::{ConfigFile, schema};

/// The commented template of a config file.
pub fn template(file: ConfigFile) -> &'static str {
    match file {
        ConfigFile::SqlTargets => include_str!("../templates/sql_targets.jsonc"),
        ConfigFile::AuditConfig => include_str!("../templates/audit_config.jsonc"),
    }
}

/// Every file of a fresh workspace, as (path relative to the workspace, contents).
pub fn workspace_files() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for file in ConfigFile::ALL {
        files.push((
            PathBuf::from("config").join(file.file_name()),
            template(file).to_owned(),
        ));
    }
    for file in ConfigFile::ALL {
        files.push((
            PathBuf::from("config/schemas").join(file.schema_file_name()),
            schema::schema_text(file),
        ));
    }
    files
}

/// `text` with CRLF line endings, for Windows: Notepad before Windows 10 1809 (and so on
/// Server 2016) shows LF-only files as one line.
pub fn with_crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// Folders a fresh workspace has even while empty.
pub const WORKSPACE_DIRS: [&str; 2] = ["output", "output/logs"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceFile;
    use crate::jsonc;

    /// Every field the schema knows must be explained in the template, so that a user reading
    /// only the template learns every option.
    #[test]
    fn crlf_templates_parse_the_same() {
        for file in ConfigFile::ALL {
            let crlf = with_crlf(template(file));
            assert!(crlf.contains("\r\n") && !crlf.replace("\r\n", "").contains('\n'));
            let a = jsonc::parse(SourceFile::new("a", template(file).to_owned()))
                .unwrap()
                .value;
            let b = jsonc::parse(SourceFile::new("b", crlf)).unwrap().value;
            assert_eq!(a, b);
        }
    }

    #[test]
    fn templates_mention_every_field_and_point_at_their_schema() {
        for file in ConfigFile::ALL {
            let text = template(file);
            assert!(
                text.contains(&format!(
                    "\"$schema\": \"./schemas/{}\"",
                    file.schema_file_name()
                )),
                "{file:?} lacks its $schema line"
            );
            let schema = schema::schema(file);
            let mut fields = Vec::new();
            collect_properties(schema, schema, &mut fields);
            for field in fields {
                assert!(
                    text.contains(&field),
                    "{} does not explain the field {field}",
                    file.file_name()
                );
            }
            let doc = jsonc::parse(SourceFile::new(file.file_name(), text.to_owned())).unwrap();
            assert!(schema::validate(file, &doc).is_empty());
        }
    }

    fn collect_properties(
        root: &serde_json::Value,
        node: &serde_json::Value,
        out: &mut Vec<String>,
    ) {
        if let Some(props) = node.get("properties").and_then(|p| p.as_object()) {
            for (name, sub) in props {
                if !out.contains(name) {
                    out.push(name.clone());
                }
                collect_properties(root, sub, out);
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(sub) = node.get(key) {
                collect_properties(root, sub, out);
            }
        }
        if let Some(target) = node
            .get("$ref")
            .and_then(|r| r.as_str())
            .and_then(|r| r.strip_prefix('#'))
            && let Some(sub) = root.pointer(target)
        {
            collect_properties(root, sub, out);
        }
    }
}
