//! A problem found in a config file, located precisely enough to fix without searching.

use std::fmt;
use std::path::PathBuf;

/// Whether a problem stops the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Allowed, but probably not what was meant, or weaker than it should be.
    Warning,
    /// The config cannot be used until this is fixed.
    Error,
}

/// One problem: the file, line and column, the field, what is wrong and how to fix it.
///
/// Messages never contain a value that might be a secret (see `audit-credentials`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub level: Level,
    /// The file, as the user would type it (relative to the workspace where possible).
    pub file: PathBuf,
    /// 1-based line and column (in characters) of the offending value or key, when known.
    pub position: Option<(usize, usize)>,
    /// The field, written as a path: `targets[2].port`, `thresholds.expected_builds["2008 R2"]`.
    pub field: Option<String>,
    /// What is wrong, and what was expected.
    pub message: String,
    /// How to fix it, when there is something more specific to say than the message.
    pub fix: Option<String>,
}

impl Diagnostic {
    /// An error in `file`.
    pub fn error(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Error,
            file: file.into(),
            position: None,
            field: None,
            message: message.into(),
            fix: None,
        }
    }

    /// A warning in `file`.
    pub fn warning(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(file, message)
        }
    }

    /// Sets the line and column.
    pub fn at(mut self, position: Option<(usize, usize)>) -> Self {
        self.position = position;
        self
    }

    /// Sets the field path.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        let field = field.into();
        self.field = (!field.is_empty()).then_some(field);
        self
    }

    /// Sets the fix.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// The `file:line:col` prefix.
    pub fn location(&self) -> String {
        match self.position {
            Some((line, col)) => format!("{}:{line}:{col}", self.file.display()),
            None => self.file.display().to_string(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(f, "{}: {level}: ", self.location())?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n  fix: {fix}")?;
        }
        Ok(())
    }
}

/// Turns a JSON pointer (`/targets/0/port`) into the path people read (`targets[0].port`).
///
/// With the document's `root`, a numeric segment is an index only where the value is a list, so
/// that an object key such as "2019" prints as `expected_builds["2019"]`.
pub fn field_path(pointer: &str, root: Option<&serde_json::Value>) -> String {
    let mut out = String::new();
    let mut node = root;
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        let is_index = match node {
            Some(serde_json::Value::Array(_)) => true,
            Some(_) => false,
            None => !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()),
        };
        node = match node {
            Some(serde_json::Value::Array(items)) => {
                segment.parse::<usize>().ok().and_then(|i| items.get(i))
            }
            Some(serde_json::Value::Object(map)) => map.get(&segment),
            _ => None,
        };
        let plain = !segment.is_empty()
            && !segment.as_bytes()[0].is_ascii_digit()
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$');
        if is_index {
            out.push_str(&format!("[{segment}]"));
        } else if plain {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        } else {
            out.push_str(&format!("[{}]", serde_json::Value::String(segment)));
        }
    }
    out
}

/// Appends one segment to a JSON pointer, escaping as RFC 6901 requires.
pub fn pointer_push(pointer: &str, segment: &str) -> String {
    format!(
        "{pointer}/{}",
        segment.replace('~', "~0").replace('/', "~1")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_become_readable_paths() {
        let root = serde_json::json!({"targets": [{"port": 1}], "builds": {"2019": "x"}});
        assert_eq!(field_path("", Some(&root)), "");
        assert_eq!(
            field_path("/targets/0/port", Some(&root)),
            "targets[0].port"
        );
        assert_eq!(field_path("/builds/2019", Some(&root)), "builds[\"2019\"]");
        assert_eq!(
            field_path("/thresholds/expected_builds/2008 R2", None),
            "thresholds.expected_builds[\"2008 R2\"]"
        );
        assert_eq!(
            field_path(&pointer_push("/a", "x/y~z"), None),
            "a[\"x/y~z\"]"
        );
    }

    #[test]
    fn display_names_file_line_column_field_and_fix() {
        let d = Diagnostic::error("config/sql_targets.jsonc", "expected an integer")
            .at(Some((7, 15)))
            .field("targets[0].port")
            .fix("write a number");
        assert_eq!(
            d.to_string(),
            "config/sql_targets.jsonc:7:15: error: targets[0].port: expected an integer\n  fix: write a number"
        );
    }
}
