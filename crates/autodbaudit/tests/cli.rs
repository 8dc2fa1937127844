//! The command tree as users meet it: version, help everywhere, exit codes of later steps.

mod common;

use common::{autodbaudit, run};

#[test]
fn version_names_the_build_target() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, _) = run(autodbaudit(dir.path()).arg("--version"));
    assert_eq!(code, 0);
    let expected = format!("autodbaudit {} (", env!("CARGO_PKG_VERSION"));
    assert!(stdout.starts_with(&expected), "{stdout}");
    let triple = stdout
        .trim()
        .trim_start_matches(&expected)
        .trim_end_matches(')');
    assert!(
        triple.split('-').count() >= 3,
        "not a target triple: {triple}"
    );
}

const COMMANDS: &[&[&str]] = &[
    &[],
    &["init"],
    &["config"],
    &["config", "validate"],
    &["config", "show"],
    &["credentials"],
    &["credentials", "add"],
    &["credentials", "list"],
    &["credentials", "remove"],
    &["credentials", "check"],
    &["audit"],
    &["sync"],
    &["status"],
    &["report"],
    &["remediate"],
    &["remediate", "generate"],
    &["remediate", "apply"],
    &["remediate", "rollback"],
    &["finalize"],
    &["definalize"],
    &["demo"],
    &["selftest"],
    &["checks"],
    &["permissions"],
];

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for command in COMMANDS {
        let (code, stdout, stderr) = run(autodbaudit(dir.path()).args(*command).arg("--help"));
        assert_eq!(code, 0, "{command:?} --help: {stderr}");
        assert!(
            stdout.contains("Usage: autodbaudit"),
            "{command:?}: {stdout}"
        );
        assert!(
            stdout.contains("--workspace"),
            "{command:?} lacks the global options: {stdout}"
        );
    }
}

#[test]
fn remediate_without_a_workspace_explains_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let later: &[&[&str]] = &[
        &["remediate", "generate"],
        &["remediate", "apply", "--dry-run"],
        &["remediate", "rollback"],
    ];
    for command in later {
        let (code, stdout, stderr) = run(autodbaudit(dir.path()).args(*command));
        assert_eq!(code, 2, "{command:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("audit") || stderr.contains("sql_targets.jsonc"),
            "{command:?}: {stderr}"
        );
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "a refused command wrote something"
    );
}

#[test]
fn sync_without_a_workspace_explains_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(autodbaudit(dir.path()).arg("sync"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("sql_targets.jsonc"), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn history_commands_without_a_history_explain_and_write_nothing() {
    for command in ["report", "status", "finalize", "definalize"] {
        let dir = tempfile::tempdir().unwrap();
        let (code, stdout, stderr) = run(autodbaudit(dir.path()).arg(command));
        assert_eq!(code, 2, "{command}: {stdout}{stderr}");
        assert!(stderr.contains("no history"), "{command}: {stderr}");
        assert!(stderr.contains("autodbaudit audit"), "{command}: {stderr}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{command}"
        );
    }
}

#[test]
fn audit_without_a_workspace_explains_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(autodbaudit(dir.path()).arg("audit"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("sql_targets.jsonc"), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["frobnicate"][..],
        &["audit", "--fail-on", "severe"],
        &["remediate", "generate", "--level", "4"],
    ] {
        let (code, _, stderr) = run(autodbaudit(dir.path()).args(args));
        assert_eq!(code, 2, "{args:?}: {stderr}");
    }
}

#[test]
fn no_colour_means_no_escape_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(autodbaudit(dir.path()).args(["--no-color", "config", "validate"]));
    assert_eq!(code, 2);
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}
