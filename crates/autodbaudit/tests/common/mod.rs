//! Helpers shared by the integration tests: the real binary, real workspaces on disk.

#![allow(dead_code)] // each test file uses a different subset

pub mod fleet;
pub mod interop;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

/// The binary under test, with an environment that does not leak in from the developer's shell.
pub fn autodbaudit(workspace: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_autodbaudit"));
    cmd.env_remove("AUTODBAUDIT_WORKSPACE")
        .env_remove("AUTODBAUDIT_LOG")
        .env("NO_COLOR", "1")
        .arg("--workspace")
        .arg(workspace);
    cmd
}

/// Runs and returns (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("the binary runs");
    (
        status.code().expect("exited normally"),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// A temporary workspace created by `autodbaudit init`.
pub struct Workspace {
    /// Keeps the folder alive.
    pub dir: tempfile::TempDir,
}

impl Workspace {
    /// `init` into a new temporary folder.
    pub fn init() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let (code, _, stderr) = run(autodbaudit(dir.path()).arg("init"));
        assert_eq!(code, 0, "init failed: {stderr}");
        Workspace { dir }
    }

    /// The workspace folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the workspace.
    pub fn join(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Replaces a config file's contents.
    pub fn write_config(&self, name: &str, contents: impl AsRef<[u8]>) {
        std::fs::write(self.join(&format!("config/{name}")), contents).unwrap();
    }

    /// The binary, pointed at this workspace.
    pub fn cmd(&self) -> Command {
        autodbaudit(self.path())
    }

    /// Every file under the workspace with its size and modification time, to prove that a
    /// command wrote nothing.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, (u64, SystemTime)> {
        let mut out = BTreeMap::new();
        let mut stack = vec![self.path().to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let entry = entry.unwrap();
                let meta = entry.metadata().unwrap();
                if meta.is_dir() {
                    stack.push(entry.path());
                }
                out.insert(entry.path(), (meta.len(), meta.modified().unwrap()));
            }
        }
        out
    }

    /// The contents of every run log written so far.
    pub fn logs(&self) -> String {
        let dir = self.join("output/logs");
        let mut text = String::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            text.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
        }
        text
    }
}

/// A minimal valid `sql_targets.jsonc`.
pub const VALID_TARGETS: &str = r#"{
  "targets": [
    { "id": "prod1", "server": "db1.example", "auth": "sql", "username": "audit", "credential": "env:PROD1_PW" }
  ]
}"#;

/// A minimal valid `audit_config.jsonc`.
pub const VALID_AUDIT: &str = r#"{ "organization": "Contoso", "audit_name": "2026-H2" }"#;

/// Whether Python's openpyxl can be imported; a missing one fails the test unless
/// `AUTODBAUDIT_SKIP_INTEROP=1` (see [`interop`]).
pub fn openpyxl() -> bool {
    interop::python_module("openpyxl", "pip install openpyxl")
}

/// Whether LibreOffice (`soffice`) is installed; a missing one fails the test unless
/// `AUTODBAUDIT_SKIP_INTEROP=1` (see [`interop`]).
pub fn libreoffice() -> bool {
    interop::program("soffice", "apt-get install libreoffice-calc")
}

/// Opens `path` in LibreOffice and saves it back as xlsx, as an auditor without Excel does.
pub fn resave_with_libreoffice(path: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let result = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            dir.path().join("profile").display()
        ))
        .args([
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
        ])
        .arg(&out)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let saved = out.join(path.file_name().unwrap());
    assert!(
        result.status.success() && saved.exists(),
        "LibreOffice could not re-save {}: {}{}",
        path.display(),
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    std::fs::copy(&saved, path).unwrap();
}

/// Applies `edits` with tests/edit_workbook.py; returns what it annotated.
pub fn edit(path: &Path, edits: serde_json::Value) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("edits.json");
    std::fs::write(&file, edits.to_string()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/edit_workbook.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(path)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).unwrap()
}
