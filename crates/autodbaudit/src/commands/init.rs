//! `autodbaudit init`: create a workspace.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use audit_config::templates;

use crate::cli::InitArgs;
use crate::exit::{CliError, CmdResult, Exit};
use crate::{logging, ui};

/// Creates the workspace in `args.dir` (or `workspace`); refuses to overwrite without `--force`.
pub fn run(workspace: &Path, args: &InitArgs) -> CmdResult {
    let dir = args.dir.as_deref().unwrap_or(workspace);
    if dir.exists() && !dir.is_dir() {
        return Err(
            CliError::usage(format!("{} exists and is not a folder", dir.display()))
                .hint("choose another path for the workspace"),
        );
    }
    let files = templates::workspace_files();
    let existing: Vec<&PathBuf> = files
        .iter()
        .map(|(p, _)| p)
        .filter(|p| dir.join(p).exists())
        .collect();
    if !existing.is_empty() && !args.force {
        let list: Vec<String> = existing.iter().map(|p| p.display().to_string()).collect();
        return Err(CliError::usage(format!(
            "{} already holds a workspace ({} exist{}); nothing was changed",
            shown(dir),
            list.join(", "),
            if list.len() == 1 { "s" } else { "" }
        ))
        .hint("use --force to write fresh templates (existing files are kept as *.bak), or choose another folder"));
    }

    let io_err = |path: &Path| {
        let path = path.to_owned();
        move |e: io::Error| CliError::internal(format!("{}: {e}", path.display()))
    };
    // `--force` replaces config/ of a workspace an audit may be reading: take its lock first,
    // as every command that changes a workspace does (a locked workspace is exit 4).
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let _lock = audit_lifecycle::workspace::Workspace::lock(dir).map_err(CliError::from)?;
    for sub in [
        "config/schemas",
        templates::WORKSPACE_DIRS[0],
        templates::WORKSPACE_DIRS[1],
    ] {
        let path = dir.join(sub);
        fs::create_dir_all(&path).map_err(io_err(&path))?;
    }
    let log = logging::attach_run_log(dir, "init").map_err(io_err(&dir.join("output/logs")))?;
    for (relative, contents) in &files {
        let path = dir.join(relative);
        if path.exists() {
            // Never overwrite an earlier backup: the first one may hold the user's real config.
            let backup = (0..)
                .map(|n| {
                    let suffix = if n == 0 {
                        "bak".to_owned()
                    } else {
                        format!("bak{n}")
                    };
                    let mut name = path.file_name().unwrap_or_default().to_os_string();
                    name.push(format!(".{suffix}"));
                    path.with_file_name(name)
                })
                .find(|candidate| !candidate.exists())
                .expect("some backup name is free");
            fs::rename(&path, &backup).map_err(io_err(&path))?;
            tracing::info!(file = %path.display(), backup = %backup.display(), "kept the previous file");
        }
        let contents = if cfg!(windows) {
            templates::with_crlf(contents)
        } else {
            contents.clone()
        };
        write_atomically(&path, contents.as_bytes()).map_err(io_err(&path))?;
        tracing::info!(file = %path.display(), "written");
    }
    tracing::debug!(log = %log.display(), "run log");

    ui::success(&format!(
        "created an AutoDBAudit workspace in {}",
        shown(dir)
    ));
    ui::note("  config/sql_targets.jsonc     the SQL Server instances to audit");
    ui::note("  config/audit_config.jsonc    organisation, audit name, thresholds, exclusions");
    ui::note("  config/schemas/              JSON Schemas (editors use them to check as you type)");
    ui::note("  output/                      workbooks, findings and logs");
    let w = if dir == Path::new(".") {
        String::new()
    } else {
        format!(" --workspace {}", quoted(dir))
    };
    ui::note(&format!("\n{}", ui::bold("Next:")));
    ui::note(
        "  1. Edit config/audit_config.jsonc (organisation, audit name) and config/sql_targets.jsonc (one entry per instance).",
    );
    ui::note(&format!(
        "  2. Store each password once:  autodbaudit{w} credentials add sqlprod01"
    ));
    ui::note(&format!(
        "  3. Check the configuration:   autodbaudit{w} config validate"
    ));
    Ok(Exit::Success)
}

/// Writes through a fresh temporary file created exclusively in the destination folder and a
/// rename, so a crash never leaves half a template and a link planted at a predictable
/// temporary name is never followed; the temporary file is removed on failure.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temporary = tempfile::Builder::new()
        .prefix(".autodbaudit.")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn shown(dir: &Path) -> String {
    if dir == Path::new(".") {
        "the current folder".to_owned()
    } else {
        dir.display().to_string()
    }
}

fn quoted(dir: &Path) -> String {
    let s = dir.display().to_string();
    if s.contains(' ') {
        format!("\"{s}\"")
    } else {
        s
    }
}
