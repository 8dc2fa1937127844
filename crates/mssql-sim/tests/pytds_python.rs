//! Interoperability with python-tds (PyPI `python-tds`), a pure-Python TDS client.

mod common;

use std::process::Command;

#[tokio::test(flavor = "multi_thread")]
async fn python_tds_logs_in_queries_and_sees_real_errors() {
    let has_pytds = Command::new("python3")
        .args(["-c", "import pytds"])
        .output()
        .map(|o| o.status.success());
    if !matches!(has_pytds, Ok(true)) {
        assert!(
            std::env::var_os("CI").is_none(),
            "python-tds is missing under CI; install it: pip install python-tds"
        );
        eprintln!("SKIPPED: python-tds is not installed (pip install python-tds)");
        return;
    }
    let server = mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let port = server.addr.port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pytds_client.py");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(common::PASSWORD)
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
    assert!(out.status.success() && text.contains("pytds: ok"), "{text}");
}
