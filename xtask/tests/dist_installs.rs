//! Issue 15, defect 14: `cargo xtask dist` on a fresh machine went straight to `cargo build
//! --target x86_64-pc-windows-gnu` and failed with "can't find crate for core"; only `kit-test`
//! installed the tools. These tests run the xtask binary on a simulated fresh machine: PATH holds
//! only stand-ins for `rustup`, `apt-get` and `id` that log their arguments (no target, no
//! MinGW-w64, no musl-gcc), and CARGO is a stand-in that fails as a bare toolchain does.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

/// Writes an executable shell script `name` into `dir`.
fn script(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Runs `xtask dist --only windows` plus `extra` on the fresh machine; returns its output and
/// the stand-ins' log.
fn dist_on_a_fresh_machine(root: bool, extra: &[&str]) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = dir.path().join("calls.log");
    let log_line = format!("echo \"${{0##*/}} $*\" >> '{}'", log.display());
    script(
        &bin,
        "rustup",
        &format!(
            "{log_line}\n[ \"$1 $2\" = 'target list' ] && echo x86_64-unknown-linux-gnu\nexit 0"
        ),
    );
    script(&bin, "apt-get", &format!("{log_line}\nexit 0"));
    script(&bin, "id", if root { "echo 0" } else { "echo 1000" });
    script(
        &bin,
        "cargo",
        &format!(
            "{log_line}\necho \"error[E0463]: can't find crate for \\`core\\`\" >&2\nexit 101"
        ),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["dist", "--only", "windows", "--out"])
        .arg(dir.path().join("dist"))
        .args(extra)
        .env("PATH", &bin)
        .env("CARGO", bin.join("cargo"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("CARGO_TARGET_DIR", dir.path().join("target"))
        .output()
        .unwrap();
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    (out, calls)
}

#[test]
fn dist_installs_the_windows_target_and_mingw_before_building() {
    let (out, calls) = dist_on_a_fresh_machine(true, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = calls.lines().collect();
    let add = lines
        .iter()
        .position(|l| *l == "rustup target add x86_64-pc-windows-gnu")
        .unwrap_or_else(|| panic!("no `rustup target add`: {calls}\n{stderr}"));
    let install = lines
        .iter()
        .position(|l| {
            l.starts_with("apt-get install")
                && l.contains("gcc-mingw-w64-x86-64")
                && l.contains("binutils-mingw-w64-x86-64")
        })
        .unwrap_or_else(|| panic!("no apt-get install of MinGW-w64: {calls}\n{stderr}"));
    let build = lines
        .iter()
        .position(|l| l.starts_with("cargo build"))
        .unwrap_or_else(|| panic!("no build: {calls}\n{stderr}"));
    assert!(add < build && install < build, "{calls}");
}

#[test]
fn without_root_or_with_no_install_dist_names_what_to_install_and_builds_nothing() {
    for (root, extra) in [(false, &[][..]), (true, &["--no-install"][..])] {
        let (out, calls) = dist_on_a_fresh_machine(root, extra);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        assert!(
            stderr.contains("rustup target add x86_64-pc-windows-gnu")
                && stderr.contains("apt-get install --no-install-recommends")
                && stderr.contains("gcc-mingw-w64-x86-64"),
            "{stderr}"
        );
        assert!(!stderr.contains("can't find crate"), "{stderr}");
        assert!(
            !calls.contains("cargo build")
                && !calls.contains("target add")
                && !calls.contains("apt-get install"),
            "{calls}"
        );
    }
}
