//! Interoperability with FreeTDS (`tsql` from Debian's freetds-bin), an independent TDS client.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `tsql` against the port with `input` on stdin; returns stdout + stderr.
fn tsql(port: u16, user: &str, password: &str, input: &str) -> String {
    let mut child = Command::new("tsql")
        .args([
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            user,
            "-P",
            password,
        ])
        .env("TDSVER", "7.4")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tsql starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn tsql_logs_in_queries_and_sees_real_errors() {
    if !common::require("tsql", "apt-get install freetds-bin") {
        return;
    }
    let server = mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let port = server.addr.port();
    let out = tokio::task::spawn_blocking(move || {
        tsql(
            port,
            "autodbaudit",
            common::PASSWORD,
            "SELECT name, principal_id, is_disabled FROM sys.server_principals WHERE name = 'old_vendor'\ngo\n\
             SELECT SERVERPROPERTY('ProductVersion') AS v, NULL AS nothing\ngo\n\
             SELECT * FROM sys.no_such_view\ngo\nexit\n",
        )
    })
    .await
    .unwrap();
    let row: Vec<&str> = out
        .lines()
        .find_map(|l| {
            l.split("> ")
                .last()
                .filter(|r| r.starts_with("old_vendor\t"))
        })
        .unwrap_or_else(|| panic!("{out}"))
        .split('\t')
        .collect();
    assert!(
        row[1].parse::<i32>().unwrap() > 256 && row[2] == "1",
        "{out}"
    );
    assert!(out.contains("15.0.2000.5\tNULL"), "{out}");
    assert!(
        out.contains("Msg 208") && out.contains("Invalid object name 'sys.no_such_view'"),
        "{out}"
    );

    let out = tokio::task::spawn_blocking(move || tsql(port, "autodbaudit", "wrong", "exit\n"))
        .await
        .unwrap();
    assert!(
        out.contains("18456") && out.contains("Login failed for user 'autodbaudit'"),
        "{out}"
    );
}
