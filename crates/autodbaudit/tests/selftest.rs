//! `selftest` on a kit laid out as `cargo xtask dist` lays it out: intact, tampered, incomplete.

mod common;

use std::fs;
use std::path::Path;

use field_kit::{MANIFEST_FILE, Manifest};

/// Copies the binary under test into `root` with a few kit files and a manifest describing them.
fn make_kit(root: &Path) -> std::path::PathBuf {
    let exe = root.join(if cfg!(windows) {
        "AutoDBAudit.exe"
    } else {
        "autodbaudit"
    });
    fs::copy(env!("CARGO_BIN_EXE_autodbaudit"), &exe).unwrap();
    fs::create_dir_all(root.join("config/schemas")).unwrap();
    fs::create_dir_all(root.join("docs")).unwrap();
    for (path, contents) in audit_config_files() {
        fs::write(root.join(path), contents).unwrap();
    }
    fs::write(root.join("docs/user-guide.md"), "# User guide\n").unwrap();
    let manifest = Manifest {
        product: "AutoDBAudit".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        target: target_of(&exe),
        git_commit: "0000000".into(),
        build_date: "2026-01-01T00:00:00Z".into(),
        files: field_kit::describe(root).unwrap(),
    };
    fs::write(
        root.join(MANIFEST_FILE),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
    exe
}

fn audit_config_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("config/sql_targets.jsonc", common::VALID_TARGETS),
        ("config/audit_config.jsonc", common::VALID_AUDIT),
        ("config/schemas/sql_targets.schema.json", "{}"),
    ]
}

/// The target triple the binary reports in `--version`.
fn target_of(exe: &Path) -> String {
    let out = output_of(std::process::Command::new(exe).arg("--version"));
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim()
        .rsplit_once('(')
        .unwrap()
        .1
        .trim_end_matches(')')
        .to_owned()
}

/// Runs the kit's copy of the binary. A copy just written can be "busy" (ETXTBSY) for a
/// moment: another test thread that forks while the copy's write handle is open carries it
/// until its own exec. That passes by itself, so the run is tried again.
fn output_of(command: &mut std::process::Command) -> std::process::Output {
    for _ in 0..200 {
        match command.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            other => return other.expect("the kit's binary runs"),
        }
    }
    panic!("the kit's binary stayed busy (ETXTBSY) for 5 s");
}

fn selftest(exe: &Path, workspace: &Path) -> (i32, String, String) {
    let out = output_of(
        std::process::Command::new(exe)
            .env("NO_COLOR", "1")
            .arg("--workspace")
            .arg(workspace)
            .arg("selftest"),
    );
    (
        out.status.code().expect("exited normally"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_intact_kit_passes_and_an_edited_config_is_only_noted() {
    let kit = tempfile::tempdir().unwrap();
    let exe = make_kit(kit.path());
    let (code, stdout, stderr) = selftest(&exe, kit.path());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("ok       docs/user-guide.md"), "{stdout}");
    assert!(
        stdout.contains("SQLite") && stdout.contains("xlsx"),
        "{stdout}"
    );
    assert!(stdout.contains("selftest passed"), "{stdout}");

    fs::write(
        kit.path().join("config/sql_targets.jsonc"),
        "{ \"targets\": [] }",
    )
    .unwrap();
    fs::create_dir_all(kit.path().join("output/logs")).unwrap();
    fs::write(kit.path().join("output/logs/x.log"), "log").unwrap();
    let (code, stdout, _) = selftest(&exe, kit.path());
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("edited   config/sql_targets.jsonc"),
        "{stdout}"
    );
    assert!(!fs::read_dir(kit.path()).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .contains("selftest")
    }));
}

#[test]
fn a_tampered_incomplete_or_padded_kit_fails() {
    let kit = tempfile::tempdir().unwrap();
    let exe = make_kit(kit.path());
    fs::write(
        kit.path().join("config/schemas/sql_targets.schema.json"),
        "{ \"tampered\": true }",
    )
    .unwrap();
    fs::remove_file(kit.path().join("docs/user-guide.md")).unwrap();
    fs::write(kit.path().join("version.dll"), "not ours").unwrap();
    let (code, stdout, stderr) = selftest(&exe, kit.path());
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("ALTERED  config/schemas/sql_targets.schema.json"),
        "{stdout}"
    );
    assert!(stdout.contains("MISSING  docs/user-guide.md"), "{stdout}");
    assert!(stdout.contains("EXTRA    version.dll"), "{stdout}");
    assert!(stderr.contains("selftest failed: 3 of"), "{stderr}");
}

#[test]
fn a_damaged_manifest_or_an_unwritable_workspace_fails() {
    let kit = tempfile::tempdir().unwrap();
    let exe = make_kit(kit.path());
    fs::write(kit.path().join(MANIFEST_FILE), "{ not json").unwrap();
    let (code, stdout, _) = selftest(&exe, kit.path());
    assert_eq!(code, 1);
    assert!(stdout.contains("DAMAGED"), "{stdout}");

    let kit = tempfile::tempdir().unwrap();
    let exe = make_kit(kit.path());
    let missing = kit.path().join("no/such/parent/file-not-dir");
    fs::write(
        kit.path().join("blocker"),
        "a file where a folder should be",
    )
    .unwrap();
    let (code, stdout, _) = selftest(&exe, &kit.path().join("blocker"));
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("is not an existing folder"), "{stdout}");
    assert!(!missing.exists());
}

/// Issue 15 review: selftest wrote its probes under `.autodbaudit-selftest-<pid>/`, a name
/// anyone can predict, and followed a link planted there into another folder. Links are
/// planted at the names of the next few thousand process ids (the binary's own among them),
/// each pointing at a folder outside the workspace: selftest must leave them and that folder
/// untouched, and leave nothing of its own behind.
#[cfg(target_os = "linux")]
#[test]
fn links_planted_at_the_old_probe_names_are_never_followed() {
    const PLANTED: u32 = 5_000;
    for attempt in 0.. {
        let workspace = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let last: u32 = fs::read_to_string("/proc/sys/kernel/ns_last_pid")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let link = |pid: u32| {
            workspace
                .path()
                .join(format!(".autodbaudit-selftest-{pid}"))
        };
        for pid in last + 1..=last + PLANTED {
            std::os::unix::fs::symlink(outside.path(), link(pid)).unwrap();
        }
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_autodbaudit"))
            .env("NO_COLOR", "1")
            .arg("--workspace")
            .arg(workspace.path())
            .arg("selftest")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("ok       the folder is writable")
                && stdout.contains("SQLite")
                && stdout.contains("xlsx: a workbook was written and read back"),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let written: Vec<_> = fs::read_dir(outside.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(
            written.is_empty(),
            "selftest wrote through a link: {written:?}"
        );
        let mut names = Vec::new();
        for entry in fs::read_dir(workspace.path()).unwrap() {
            let entry = entry.unwrap();
            assert!(
                entry.file_type().unwrap().is_symlink(),
                "left behind: {:?}",
                entry.file_name()
            );
            names.push(entry.file_name());
        }
        assert_eq!(names.len(), PLANTED as usize, "a planted link was removed");
        if (last + 1..=last + PLANTED).contains(&pid) {
            return;
        }
        // Other processes used up the planted ids first: the binary's own name had no link.
        assert!(
            attempt < 5,
            "the binary's pid {pid} never fell in the planted range"
        );
    }
}
