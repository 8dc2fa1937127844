//! Interoperability with python-tds (PyPI `python-tds`) at its default settings: autocommit
//! off, so it begins a transaction with a Transaction Manager request at login and after every
//! commit and rollback (MS-TDS 2.2.6.9). (`pytds_python.rs` runs it with autocommit on.)
//! Without TLS, and with the whole session in TLS and the certificate verified.

mod common;

use std::process::Command;

async fn run(tls: bool) {
    if !common::interop::python_module("pytds", "pip install python-tds")
        || (tls && !common::interop::python_module("OpenSSL", "pip install pyOpenSSL"))
    {
        return;
    }
    let server = mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        format!(
            "{}/tests/pytds_default_client.py",
            env!("CARGO_MANIFEST_DIR")
        ),
        server.addr.port().to_string(),
        common::PASSWORD.to_owned(),
    ];
    if tls {
        let ca = dir.path().join("ca.pem");
        let identity = mssql_sim::TlsIdentity::self_signed().unwrap();
        std::fs::write(&ca, identity.certificate_pem()).unwrap();
        args.push(ca.display().to_string());
    }
    let out =
        tokio::task::spawn_blocking(move || Command::new("python3").args(args).output().unwrap())
            .await
            .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = if tls { "tls" } else { "plain" };
    assert!(
        out.status.success() && text.contains(&format!("pytds default {mode}: ok")),
        "{text}"
    );
    let refused: Vec<String> = server
        .statements()
        .into_iter()
        .filter(|s| s.access == mssql_sim::engine::Access::Refused)
        .map(|s| s.text)
        .collect();
    assert!(refused.is_empty(), "refused: {refused:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn python_tds_at_default_settings_without_tls() {
    run(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn python_tds_at_default_settings_with_tls() {
    run(true).await;
}
