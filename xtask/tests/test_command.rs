//! `cargo xtask test` on a machine without the interoperability tools (issue 15, defect 13): it
//! names what to install and stops, unless AUTODBAUDIT_SKIP_INTEROP=1; then it runs the tests
//! and reports every skip they recorded. PATH holds only stand-ins: a `python3` that imports
//! nothing, no `tsql`, no `soffice`, and a `cargo` that records a skip as a test guard does.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

fn script(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn xtask_test(opt_out: bool) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = dir.path().join("calls.log");
    script(&bin, "python3", "exit 1");
    script(&bin, "id", "echo 1000");
    script(
        &bin,
        "cargo",
        &format!(
            "echo \"cargo $*\" >> '{log}'\n\
             echo 'SKIPPED sync::annotations_survive: the Python module `openpyxl` is not installed (pip install openpyxl); AUTODBAUDIT_SKIP_INTEROP=1' >> \"$AUTODBAUDIT_SKIP_LOG\"\n\
             echo 'test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s'\n\
             echo 'test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s'",
            log = log.display()
        ),
    );
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(["test", "--no-install"])
        .env("PATH", &bin)
        .env("CARGO", bin.join("cargo"))
        .env("CARGO_TARGET_DIR", dir.path().join("target"))
        .env_remove("AUTODBAUDIT_SKIP_INTEROP")
        .env_remove("AUTODBAUDIT_SKIP_LOG");
    if opt_out {
        cmd.env("AUTODBAUDIT_SKIP_INTEROP", "1");
    }
    let out = cmd.output().unwrap();
    (out, std::fs::read_to_string(&log).unwrap_or_default())
}

#[test]
fn missing_tools_stop_the_test_command_naming_what_to_install() {
    let (out, calls) = xtask_test(false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    for needed in [
        "freetds-bin",
        "libreoffice-calc",
        "unixodbc",
        "tdsodbc",
        "python-tds",
        "pyOpenSSL",
        "pyspnego",
        "pyodbc",
        "openpyxl",
        "AUTODBAUDIT_SKIP_INTEROP=1",
    ] {
        assert!(stderr.contains(needed), "{needed} not named:\n{stderr}");
    }
    assert!(calls.is_empty(), "cargo test ran: {calls}");
}

#[test]
fn opted_out_the_tests_run_and_every_skip_is_reported_at_the_end() {
    let (out, calls) = xtask_test(true);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert_eq!(
        calls.trim(),
        "cargo test --workspace --locked --no-fail-fast",
        "{calls}"
    );
    assert!(
        stdout.contains("1 interoperability test(s) SKIPPED")
            && stdout.contains("  SKIPPED sync::annotations_survive: the Python module `openpyxl`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("xtask test: 5 passed, 0 failed, 1 ignored, 1 skipped for missing tools"),
        "{stdout}"
    );
}
