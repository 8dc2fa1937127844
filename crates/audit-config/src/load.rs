//! Reading and validating a workspace's configuration, reporting every problem at once.

use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::jsonc::{self, Document};
use crate::model::{AuditConfig, TargetsFile};
use crate::{ConfigFile, Diagnostic, Level, SourceFile, schema, validate};

/// The folder, inside a workspace, that holds the config files.
pub const CONFIG_DIR: &str = "config";

/// A workspace's validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The targets file.
    pub targets: TargetsFile,
    /// The audit settings file.
    pub audit: AuditConfig,
}

/// The outcome of loading: the config if there were no errors, and every diagnostic found
/// (warnings, and errors when the config is `None`), sorted by file and position.
#[derive(Debug)]
pub struct Loaded {
    /// The config, present only when no diagnostic is an error.
    pub config: Option<Config>,
    /// Everything worth telling the user.
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level == Level::Error)
    }
}

/// The path of `file` in `workspace`, and how to name it in messages.
pub fn config_path(workspace: &Path, file: ConfigFile) -> (PathBuf, PathBuf) {
    let relative = Path::new(CONFIG_DIR).join(file.file_name());
    let display = if workspace == Path::new(".") || workspace.as_os_str().is_empty() {
        relative.clone()
    } else {
        workspace.join(&relative)
    };
    (workspace.join(relative), display)
}

/// Reads and validates both config files of `workspace`. Never writes anything.
pub fn load(workspace: &Path) -> Loaded {
    let mut diagnostics = Vec::new();
    let targets = load_file::<TargetsFile>(workspace, ConfigFile::SqlTargets, &mut diagnostics);
    let audit = load_file::<AuditConfig>(workspace, ConfigFile::AuditConfig, &mut diagnostics);
    if let Some((doc, file)) = &targets {
        diagnostics.extend(validate::targets(doc, file));
    }
    if let Some((doc, config)) = &audit {
        diagnostics.extend(validate::audit(
            doc,
            config,
            targets.as_ref().map(|(_, t)| t),
        ));
    }
    diagnostics.sort_by(|a, b| (&a.file, a.position).cmp(&(&b.file, b.position)));
    let has_errors = diagnostics.iter().any(|d| d.level == Level::Error);
    let config = match (targets, audit) {
        (Some((_, targets)), Some((_, audit))) if !has_errors => Some(Config { targets, audit }),
        _ => None,
    };
    Loaded {
        config,
        diagnostics,
    }
}

fn load_file<T: DeserializeOwned>(
    workspace: &Path,
    file: ConfigFile,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(Document, T)> {
    let (path, display) = config_path(workspace, file);
    // `exists()` follows links and says false for a link loop; only a name that is not there
    // at all is "not found" (`SourceFile::read` explains links, pipes and folders).
    if fs::symlink_metadata(&path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        let json_twin = path.with_extension("json");
        let d = Diagnostic::error(&display, "file not found");
        diagnostics.push(if json_twin.exists() {
            d.fix(format!("rename {} to {}", json_twin.display(), file.file_name()))
        } else {
            d.fix(format!(
                "run `autodbaudit init{}` to create the commented templates, or pass --workspace with the folder that holds config/",
                if workspace == Path::new(".") { String::new() } else { format!(" {}", workspace.display()) }
            ))
        });
        return None;
    }
    let source = match SourceFile::read(&path, &display) {
        Ok(source) => source,
        Err(d) => {
            diagnostics.push(d);
            return None;
        }
    };
    let doc = match jsonc::parse(source) {
        Ok(doc) => doc,
        Err(d) => {
            diagnostics.push(d);
            return None;
        }
    };
    let errors = schema::validate(file, &doc);
    if !errors.is_empty() {
        diagnostics.extend(errors);
        return None;
    }
    match serde_json::from_value::<T>(doc.value.clone()) {
        Ok(value) => Some((doc, value)),
        Err(e) => {
            // The schema is generated from the same types, so this means the two disagree.
            diagnostics.push(Diagnostic::error(
                &display,
                format!(
                    "the schema accepted the file but the program could not read it ({:?}); please report this",
                    e.classify()
                ),
            ));
            None
        }
    }
}
