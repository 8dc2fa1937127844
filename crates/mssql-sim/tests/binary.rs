//! The `mssql-sim` binary as a user starts it: built-in fixtures on loopback ports.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

mod common;

/// Kills the simulator when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serves_builtin_fixtures_with_their_versions_and_logs_statements() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("statements.jsonl");
    // The log is appended to, never truncated: an earlier run's line stays.
    std::fs::write(&log_path, "{\"earlier\":true}\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mssql-sim"))
        .args([
            "--fixture",
            "builtin:legacy-2008r2",
            "--fixture",
            "builtin:hardened-2022",
            "--listen",
            "127.0.0.1:0",
        ])
        .arg("--statement-log")
        .arg(&log_path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let _guard = Running(child);
    let mut ports = Vec::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        if line.starts_with("ready") {
            break;
        }
        let addr: std::net::SocketAddr = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        ports.push((
            line.split_whitespace().next().unwrap().to_owned(),
            addr.port(),
        ));
    }
    assert_eq!(ports.len(), 2);
    for ((name, port), expected) in ports.into_iter().zip(["10.50.6000.34", "16.0.4225.2"]) {
        // hardened-2022 forces encryption: a client that cannot encrypt is turned away.
        let plain = common::connect(
            port,
            "autodbaudit",
            mssql_sim::fixtures::DEMO_PASSWORD,
            None,
        )
        .await;
        assert_eq!(plain.is_ok(), name == "legacy-2008r2", "{name}");
        let mut client = common::connect_encrypted(port, tiberius::EncryptionLevel::On, None)
            .await
            .unwrap();
        let row = common::one_row(
            &mut client,
            "SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS v",
        )
        .await;
        assert_eq!(row.get::<&str, _>("v"), Some(expected), "{name}");
    }
    let mut lines: Vec<serde_json::Value> = std::fs::read_to_string(&log_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.remove(0)["earlier"], true);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["instance"], "LEGACYSQL01");
    assert_eq!(lines[1]["instance"], "SQLSEC22\\PROD");
    assert!(
        lines.iter().all(|l| l["kind"] == "read"
            && l["login"] == "autodbaudit"
            && l["database"] == "master"
            && l["time"].as_str().is_some_and(|t| t.ends_with('Z'))),
        "{lines:?}"
    );
    assert!(
        lines[0]["text"]
            .as_str()
            .unwrap()
            .contains("SERVERPROPERTY")
    );
}

#[test]
fn unknown_fixtures_are_refused_with_the_list() {
    let out = Command::new(env!("CARGO_BIN_EXE_mssql-sim"))
        .args(["--fixture", "builtin:nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("typical-2019"));
}
