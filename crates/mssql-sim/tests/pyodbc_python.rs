//! Interoperability with pyodbc over FreeTDS's ODBC driver (Debian `tdsodbc` + `unixodbc`, PyPI
//! `pyodbc`) at the driver's default settings: autocommit off, so the driver sends a
//! Transaction Manager request (MS-TDS 2.2.6.9) at connect and after every commit and rollback.
//! TDS 7.4 and 7.1 (no ALL_HEADERS, MS-TDS 2.2.5.3), without and with TLS.

mod common;

use std::process::Command;

/// pyodbc and FreeTDS's ODBC driver, or a failed test naming them (see `common::interop`).
fn tools() -> bool {
    common::interop::python_module("pyodbc", "pip install pyodbc")
        && common::interop::program("isql", "apt-get install unixodbc tdsodbc")
}

async fn run(tds: &'static str, encryption: &'static str) {
    if !tools() {
        return;
    }
    let server = mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let port = server.addr.port().to_string();
    let path = format!("{}/tests/pyodbc_client.py", env!("CARGO_MANIFEST_DIR"));
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .args([&path, &port, common::PASSWORD, tds, encryption])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains(&format!("pyodbc {tds} {encryption}: ok")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pyodbc_at_default_settings_over_tds_7_4() {
    run("7.4", "off").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pyodbc_over_tds_7_4_with_tls() {
    run("7.4", "require").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pyodbc_over_tds_7_1_without_all_headers() {
    run("7.1", "off").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pyodbc_over_tds_7_0_without_prelogin_or_collations() {
    run("7.0", "off").await;
}
