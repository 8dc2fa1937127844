//! Interoperability with FreeTDS (`tsql` from Debian's freetds-bin), an independent TDS client
//! (Debian's build does TLS with GnuTLS).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `tsql` against the port with `input` on stdin; returns stdout + stderr.
fn tsql(port: u16, user: &str, password: &str, input: &str) -> String {
    tsql_configured(port, user, password, input, &[])
}

/// As [`tsql`], with environment variables such as FREETDSCONF (a freetds.conf to use) and
/// TDSDUMP (a file for FreeTDS's protocol log).
fn tsql_configured(
    port: u16,
    user: &str,
    password: &str,
    input: &str,
    env: &[(&str, &std::path::Path)],
) -> String {
    let mut command = Command::new("tsql");
    command.envs(env.iter().copied());
    let mut child = command
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

/// Writes a freetds.conf whose [global] section has `settings`; returns the directory (kept
/// alive by the caller) and the file.
fn freetds_conf(settings: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("freetds.conf");
    std::fs::write(&path, format!("[global]\n{settings}")).unwrap();
    (dir, path)
}

#[tokio::test(flavor = "multi_thread")]
async fn tsql_encrypts_the_session_and_checks_the_certificate() {
    if !common::require("tsql", "apt-get install freetds-bin") {
        return;
    }
    let server = mssql_sim::start_with(
        common::instance(),
        "127.0.0.1:0".parse().unwrap(),
        mssql_sim::ServerOptions {
            encryption: mssql_sim::ServerEncryption::Forced,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let port = server.addr.port();
    let pem = mssql_sim::TlsIdentity::self_signed()
        .unwrap()
        .certificate_pem()
        .to_owned();
    let (dir, _) = freetds_conf("");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    // "require" sends ENCRYPT_ON; "ca file" makes FreeTDS verify the certificate and that it
    // names the host it connected to (127.0.0.1, a SAN of the generated certificate).
    let (keep, conf) = freetds_conf(&format!(
        "\tencryption = require\n\tca file = {}\n",
        ca.display()
    ));
    let out = tokio::task::spawn_blocking(move || {
        let input =
            "SELECT SUSER_SNAME() AS who, SERVERPROPERTY('ProductVersion') AS v\ngo\nexit\n";
        tsql_configured(
            port,
            "autodbaudit",
            common::PASSWORD,
            input,
            &[("FREETDSCONF", &conf)],
        )
    })
    .await
    .unwrap();
    assert!(out.contains("autodbaudit\t15.0.2000.5"), "{out}");

    // The same with another certificate as the only one trusted: refused, so the check is real.
    let stranger = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    std::fs::write(&ca, stranger.cert.pem()).unwrap();
    let conf = keep.path().join("freetds.conf");
    let out = tokio::task::spawn_blocking(move || {
        let input = "SELECT 1\ngo\nexit\n";
        tsql_configured(
            port,
            "autodbaudit",
            common::PASSWORD,
            input,
            &[("FREETDSCONF", &conf)],
        )
    })
    .await
    .unwrap();
    assert!(out.contains("connection failed"), "{out}");

    // "off" sends ENCRYPT_NOT_SUP: a server forcing encryption answers REQ and closes.
    let (_keep, conf) = freetds_conf("\tencryption = off\n");
    let out = tokio::task::spawn_blocking(move || {
        let input = "SELECT 1\ngo\nexit\n";
        tsql_configured(
            port,
            "autodbaudit",
            common::PASSWORD,
            input,
            &[("FREETDSCONF", &conf)],
        )
    })
    .await
    .unwrap();
    assert!(out.contains("connection failed"), "{out}");
    drop(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn tsql_encrypts_only_the_login_when_neither_side_asks_for_more() {
    if !common::require("tsql", "apt-get install freetds-bin") {
        return;
    }
    // The default server: a certificate, encryption not forced.
    let server = mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let port = server.addr.port();
    // "request" sends ENCRYPT_OFF; the server answers OFF: TLS for the LOGIN7 only.
    let (dir, conf) = freetds_conf("\tencryption = request\n");
    let dump = dir.path().join("tds.dump");
    let dump_path = dump.clone();
    let out = tokio::task::spawn_blocking(move || {
        let input = "SELECT SUSER_SNAME() AS who\ngo\nexit\n";
        let env = [
            ("FREETDSCONF", conf.as_path()),
            ("TDSDUMP", dump_path.as_path()),
        ];
        tsql_configured(port, "autodbaudit", common::PASSWORD, input, &env)
    })
    .await
    .unwrap();
    assert!(out.contains("autodbaudit"), "{out}");
    // FreeTDS's protocol log: the server's answer was OFF (0) and the TLS handshake completed.
    let log = std::fs::read_to_string(&dump).unwrap();
    assert!(log.contains("crypt flag 0"), "{log}");
    assert!(log.contains("handshake succeeded"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tsql_logs_in_with_ntlm_through_a_windows_group() {
    if !common::require("tsql", "apt-get install freetds-bin") {
        return;
    }
    let instance = mssql_sim::fixtures::builtin("typical-2019").unwrap();
    let server = mssql_sim::start(instance, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let port = server.addr.port();
    // alice has no login of her own: CORP\SQL Admins admits her, as sysadmin.
    let out = tokio::task::spawn_blocking(move || {
        tsql(
            port,
            "CORP\\alice",
            "Alice-Passw0rd!",
            "SELECT SUSER_SNAME() AS who, IS_SRVROLEMEMBER('sysadmin') AS admin, auth_scheme FROM sys.dm_exec_connections WHERE session_id = @@SPID\ngo\nexit\n",
        )
    })
    .await
    .unwrap();
    assert!(out.contains("CORP\\alice\t1\tNTLM"), "{out}");
    // A wrong password, and a domain account without any login, are refused with 18456.
    for (user, password) in [("CORP\\alice", "wrong"), ("CORP\\bob", "Bob-Passw0rd!")] {
        let out = tokio::task::spawn_blocking(move || tsql(port, user, password, "exit\n"))
            .await
            .unwrap();
        assert!(out.contains("18456"), "{user}: {out}");
    }
    let log = server.statements();
    assert!(log.iter().any(|s| s.login == "CORP\\alice"), "{log:?}");
}
