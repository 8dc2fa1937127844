//! Credentials: stored in a protected store, referenced from config, never shown or written.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{Workspace, run};

/// Runs `credentials add NAME --stdin [extra…]` with `input` on standard input.
fn add(ws: &Workspace, name: &str, input: &str, extra: &[&str]) -> (i32, String, String) {
    let mut child = ws
        .cmd()
        .args(["credentials", "add", name, "--stdin"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The command may exit before reading (a usage error), closing the pipe: not a failure here.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

#[cfg(any(target_os = "linux", windows))]
/// Every byte the workspace holds, to prove a secret was written nowhere in it.
fn all_files_text(ws: &Workspace) -> String {
    ws.snapshot()
        .keys()
        .filter(|p| p.is_file())
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
        .collect()
}

#[cfg(any(target_os = "linux", windows))]
#[test]
fn keyring_round_trip_never_exposes_the_secret() {
    let ws = Workspace::init();
    let name = unique("adb-test");
    let secret = format!("Kr-{}-S3cret!", std::process::id());

    let (code, stdout, stderr) = add(&ws, &name, &format!("{secret}\n"), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("\"credential\": \"keyring:{name}\"")),
        "{stdout}"
    );

    let (code, stdout, _) = run(ws.cmd().args(["credentials", "list"]));
    assert_eq!(code, 0);
    let line = stdout
        .lines()
        .find(|l| l.starts_with(&name))
        .expect("listed");
    assert!(
        line.contains("keyring") && line.contains("present"),
        "{line}"
    );

    ws.write_config(
        "sql_targets.jsonc",
        format!(
            r#"{{ "targets": [ {{ "id": "t1", "server": "db", "auth": "sql", "username": "audit", "credential": "keyring:{name}" }} ] }}"#
        ),
    );
    ws.write_config("audit_config.jsonc", common::VALID_AUDIT);
    for format in ["text", "json"] {
        let (code, stdout, stderr) = run(ws.cmd().args(["config", "show", "--format", format]));
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stdout.contains(&format!("keyring:{name}")) && stdout.contains("stored"),
            "{stdout}"
        );
        assert!(!stdout.contains(&secret) && !stderr.contains(&secret));
    }
    let (code, stdout, stderr) = run(ws.cmd().args(["-vv", "credentials", "check"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("keyring:{name}")) && stdout.contains("usable"),
        "{stdout}"
    );
    assert!(!stdout.contains(&secret) && !stderr.contains(&secret));
    let (code, stdout, stderr) = run(ws.cmd().args(["-vv", "credentials", "list"]));
    assert_eq!(code, 0);
    assert!(!stdout.contains(&secret) && !stderr.contains(&secret));

    let logs = ws.logs();
    assert!(
        logs.contains("credential stored"),
        "the run log records the action: {logs}"
    );
    assert!(
        !all_files_text(&ws).contains(&secret),
        "the secret reached a workspace file"
    );

    let (code, _, stderr) = run(ws.cmd().args(["credentials", "remove", &name]));
    assert_eq!(code, 0, "{stderr}");
    let (_, stdout, _) = run(ws.cmd().args(["credentials", "list"]));
    assert!(!stdout.contains(&name), "{stdout}");
    let (code, _, stderr) = run(ws.cmd().args(["credentials", "remove", &name]));
    assert_eq!(code, 2, "removing twice is an error: {stderr}");
    assert!(stderr.contains("credentials list"), "{stderr}");
}

#[cfg(not(windows))]
#[test]
fn dpapi_is_refused_off_windows_with_an_alternative() {
    let ws = Workspace::init();
    let before = ws.snapshot();
    let (code, _, stderr) = add(&ws, "prod", "Secret-123\n", &["--store", "dpapi"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("not available") && stderr.contains("--store keyring"),
        "{stderr}"
    );
    assert_eq!(before, ws.snapshot());
}

#[test]
fn bad_input_is_refused_and_nothing_is_stored() {
    let ws = Workspace::init();
    let before = ws.snapshot();
    let cases: &[(&str, &str, &str)] = &[
        ("prod", "", "empty"),
        ("prod", "\n", "empty"),
        ("prod", "line-one\nline-two\n", "more than one line"),
        ("prod", "line-one\n\nline-three", "more than one line"),
        ("prod", "abc\n", "shorter than 4 characters"),
        ("nul", "Secret-123\n", "device name"),
        ("bad name!", "Secret-123\n", "invalid credential name"),
        ("-x", "Secret-123\n", ""),
    ];
    for (name, input, expected) in cases {
        let (code, stdout, stderr) = add(&ws, name, input, &[]);
        assert_eq!(code, 2, "{name:?} {input:?}: {stderr}");
        assert!(stderr.contains(expected), "{name:?}: {stderr}");
        assert!(!stderr.contains("line-one") && !stdout.contains("line-one"));
    }
    assert_eq!(before, ws.snapshot());
}

#[test]
fn a_folder_that_is_not_a_workspace_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let stray = dir.path().join("typo");
    let mut child = common::autodbaudit(&stray)
        .args(["credentials", "add", "prod", "--stdin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(b"Secret-123\n");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a workspace"));
    assert!(
        !stray.exists(),
        "a mistyped --workspace must not be created"
    );
}

#[test]
fn a_damaged_index_refuses_before_anything_is_written() {
    let ws = Workspace::init();
    std::fs::create_dir_all(ws.join("credentials")).unwrap();
    std::fs::write(ws.join("credentials/index.json"), "{ damaged").unwrap();
    let before = ws.snapshot();
    let (code, _, stderr) = add(&ws, "prod", "Secret-123\n", &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("damaged"), "{stderr}");
    assert_eq!(before, ws.snapshot());
}

#[test]
fn without_a_terminal_add_asks_for_stdin() {
    let ws = Workspace::init();
    let (code, _, stderr) = run(ws
        .cmd()
        .args(["credentials", "add", "prod"])
        .stdin(Stdio::null()));
    assert_eq!(code, 2);
    assert!(stderr.contains("--stdin"), "{stderr}");
}

#[test]
fn env_references_report_whether_set_without_the_value() {
    let ws = Workspace::init();
    let var = unique("ADB_TEST_PW").replace('-', "_").to_uppercase();
    ws.write_config(
        "sql_targets.jsonc",
        format!(r#"{{ "targets": [ {{ "id": "t1", "server": "db", "auth": "sql", "username": "u", "credential": "env:{var}" }} ] }}"#),
    );
    ws.write_config("audit_config.jsonc", common::VALID_AUDIT);
    let (code, stdout, _) = run(ws.cmd().args(["config", "show"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("NOT SET"), "{stdout}");
    let (code, stdout, stderr) = run(ws
        .cmd()
        .args(["-vv", "config", "show", "--format", "json"])
        .env(&var, "Env-Value-987"));
    assert_eq!(code, 0);
    assert!(stdout.contains("environment variable set"), "{stdout}");
    assert!(!stdout.contains("Env-Value-987") && !stderr.contains("Env-Value-987"));

    let (code, stdout, stderr) = run(ws
        .cmd()
        .args(["-vv", "credentials", "check"])
        .env(&var, "Env-Value-987"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("usable")
            && !stdout.contains("Env-Value-987")
            && !stderr.contains("Env-Value-987")
    );
    let (code, stdout, stderr) = run(ws.cmd().args(["credentials", "check"]));
    assert_eq!(code, 2);
    assert!(
        stdout.contains("FAILED") && stdout.contains("is not set"),
        "{stdout}"
    );
    assert!(stderr.contains("1 credential cannot be used"), "{stderr}");
}
