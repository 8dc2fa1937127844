//! The build data that replaces the embedded one: `config/builds.json` in the workspace, or a
//! file named with `--builds`. The shape and its rules are
//! [`audit_core::build_data::BuildData`]'s; this module reads the file and explains every
//! problem with the file and the fix, so that an auditor who edits it in a closed network never
//! audits with data that was silently ignored.

use std::path::{Path, PathBuf};

use audit_core::build_data::BuildData;

use crate::{Diagnostic, SourceFile, jsonc};

/// Where a workspace keeps its own copy, relative to the workspace.
pub const WORKSPACE_FILE: &str = "config/builds.json";

/// The build data an audit judges with.
#[derive(Debug, Clone)]
pub struct Chosen {
    /// The data.
    pub data: BuildData,
    /// `built in`, or the file as the user would name it.
    pub source: String,
    /// Things worth saying that do not stop the audit (older than the embedded data).
    pub warnings: Vec<Diagnostic>,
}

/// The data to use: `explicit` (`--builds FILE`) if given, else the workspace's
/// `config/builds.json` if there is one, else the embedded data. Every problem of the chosen
/// file is an error: an audit never falls back silently from a file the user meant to use.
pub fn choose(workspace: &Path, explicit: Option<&Path>) -> Result<Chosen, Vec<Diagnostic>> {
    let (path, display) = match explicit {
        Some(path) => (path.to_path_buf(), path.to_path_buf()),
        None => {
            let path = workspace.join(WORKSPACE_FILE);
            if std::fs::symlink_metadata(&path).is_err() {
                return Ok(Chosen {
                    data: BuildData::embedded().clone(),
                    source: "built in".to_owned(),
                    warnings: Vec::new(),
                });
            }
            let display = if workspace == Path::new(".") || workspace.as_os_str().is_empty() {
                PathBuf::from(WORKSPACE_FILE)
            } else {
                path.clone()
            };
            (path, display)
        }
    };
    let data = read(&path, &display)?;
    let mut warnings = Vec::new();
    let embedded = BuildData::embedded();
    if data.as_of < embedded.as_of {
        warnings.push(
            Diagnostic::warning(
                &display,
                format!(
                    "this build data is as of {}, older than the data built into this executable ({}): the audit uses the file",
                    data.as_of, embedded.as_of
                ),
            )
            .field("as_of")
            .fix(format!(
                "delete {} to use the built-in data, or bring it up to date from data/builds.json of this kit",
                display.display()
            )),
        );
    }
    Ok(Chosen {
        data,
        source: display.display().to_string(),
        warnings,
    })
}

/// Reads and checks one build-data file (JSON; comments allowed).
pub fn read(path: &Path, display: &Path) -> Result<BuildData, Vec<Diagnostic>> {
    let source = SourceFile::read(path, display).map_err(|d| vec![d])?;
    let doc = jsonc::parse(source).map_err(|d| vec![d])?;
    let data: BuildData = serde_json::from_value(doc.value.clone()).map_err(|e| {
        vec![
            Diagnostic::error(display, format!("not build data: {e}"))
                .at(Some((1, 1)))
                .fix("compare it with data/builds.json shipped in the Field Kit (fields: format, as_of, releases[release, latest_build, latest_update, mainstream_end, extended_end, esu_end, source])"),
        ]
    })?;
    data.validate().map_err(|problems| {
        problems
            .into_iter()
            .map(|problem| {
                let (field, message) = problem
                    .split_once(": ")
                    .map_or((None, problem.as_str()), |(f, m)| (Some(f.to_owned()), m));
                let position = field
                    .as_deref()
                    .map(|f| doc.value_position(&pointer(f)));
                let mut d = Diagnostic::error(display, message.to_owned())
                    .at(position)
                    .fix("correct the entry (dates are YYYY-MM-DD, builds have four parts such as 15.0.4455.2), or delete the file to use the built-in data");
                if let Some(field) = field {
                    d = d.field(field);
                }
                d
            })
            .collect::<Vec<_>>()
    })?;
    Ok(data)
}

/// The JSON pointer of a problem's place (`releases[2] (2012).esu_end` → `/releases/2/esu_end`),
/// for its line and column.
fn pointer(field: &str) -> String {
    let mut out = String::new();
    for part in field.split('.') {
        let part = part.split(" (").next().unwrap_or(part);
        match part.split_once('[') {
            Some((name, index)) => {
                out.push('/');
                out.push_str(name);
                out.push('/');
                out.push_str(index.trim_end_matches(']'));
            }
            None => {
                out.push('/');
                out.push_str(part);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        dir
    }

    #[test]
    fn without_a_file_the_embedded_data_is_used() {
        let dir = workspace();
        let chosen = choose(dir.path(), None).unwrap();
        assert_eq!(chosen.source, "built in");
        assert_eq!(&chosen.data, BuildData::embedded());
    }

    #[test]
    fn the_workspace_copy_replaces_it_and_an_explicit_file_wins() {
        let dir = workspace();
        let mut data = BuildData::embedded().clone();
        data.as_of = "2099-01-01".into();
        data.releases[6].latest_build = "15.0.9999.1".parse().unwrap();
        let text = format!(
            "// updated by hand\n{}",
            serde_json::to_string_pretty(&data).unwrap()
        );
        std::fs::write(dir.path().join(WORKSPACE_FILE), &text).unwrap();
        let chosen = choose(dir.path(), None).unwrap();
        assert_eq!(chosen.data, data);
        assert!(chosen.source.ends_with("builds.json"));
        assert!(chosen.warnings.is_empty());

        let explicit = dir.path().join("other.json");
        let mut older = BuildData::embedded().clone();
        older.as_of = "2020-01-01".into();
        std::fs::write(&explicit, serde_json::to_string(&older).unwrap()).unwrap();
        let chosen = choose(dir.path(), Some(&explicit)).unwrap();
        assert_eq!(chosen.data.as_of, "2020-01-01");
        assert_eq!(chosen.warnings.len(), 1);
        assert!(
            chosen.warnings[0]
                .message
                .contains("older than the data built into")
        );
    }

    #[test]
    fn a_broken_file_is_an_error_naming_the_file_the_place_and_the_fix() {
        let dir = workspace();
        let path = dir.path().join(WORKSPACE_FILE);
        let mut data = BuildData::embedded().clone();
        data.releases[2].extended_end = "2022-7-12".into();
        let text = serde_json::to_string_pretty(&data).unwrap();
        std::fs::write(&path, &text).unwrap();
        let errors = choose(dir.path(), None).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert_eq!(e.field.as_deref(), Some("releases[2] (2012).extended_end"));
        assert!(e.message.contains("`2022-7-12` is not a date YYYY-MM-DD"));
        let line = text.lines().position(|l| l.contains("2022-7-12")).unwrap() + 1;
        assert_eq!(e.position.map(|p| p.0), Some(line));
        assert!(e.fix.as_deref().unwrap().contains("YYYY-MM-DD"));

        std::fs::write(&path, "{ \"format\": 1, \"as_of\": \"2026-01-01\" }").unwrap();
        let errors = choose(dir.path(), None).unwrap_err();
        assert!(
            errors[0].message.contains("missing field `releases`"),
            "{errors:?}"
        );

        std::fs::write(&path, "{ \"format\": 1,, }").unwrap();
        assert!(choose(dir.path(), None).is_err());

        let missing = dir.path().join("nowhere.json");
        let errors = choose(dir.path(), Some(&missing)).unwrap_err();
        assert!(errors[0].message.contains("not found"), "{errors:?}");
    }
}
