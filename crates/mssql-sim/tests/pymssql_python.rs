//! Interoperability with pymssql (PyPI `pymssql`: a DB-API module over the DB-Library of the
//! FreeTDS it bundles) at its default settings: autocommit off, so it sends `BEGIN TRAN` after
//! login and after every commit and rollback; parameters of `execute()` quoted into the batch
//! by the client, `callproc()` as a TDS RPC. With the encryption FreeTDS chooses when pymssql is
//! told nothing (`request`: PRELOGIN ENCRYPT_OFF, so the LOGIN7 alone travels in TLS, MS-TDS
//! 2.2.6.5), without TLS (`off`: ENCRYPT_NOT_SUP) and with the whole session in TLS (`require`).

mod common;

use std::process::Command;

async fn run(encryption: &'static str, tds: Option<&'static str>) {
    if !common::interop::python_module("pymssql", "pip install pymssql") {
        return;
    }
    let server = mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let port = server.addr.port().to_string();
    let path = format!("{}/tests/pymssql_client.py", env!("CARGO_MANIFEST_DIR"));
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .args([&path, &port, common::PASSWORD, encryption])
            .args(tds)
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
        out.status.success()
            && text.contains(&format!(
                "pymssql {encryption} {}: ok",
                tds.unwrap_or("default")
            )),
        "{text}"
    );
    // Everything the client sent on its own (its connection options, its transaction
    // statements) was understood: no batch was refused as unparseable.
    let refused: Vec<String> = server
        .statements()
        .into_iter()
        .filter(|s| s.access == mssql_sim::engine::Access::Refused)
        .map(|s| s.text)
        .collect();
    assert!(refused.is_empty(), "refused: {refused:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn pymssql_at_default_settings() {
    run("default", None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pymssql_without_tls() {
    run("off", None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pymssql_with_tls_required() {
    run("require", None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pymssql_over_tds_7_3() {
    run("default", Some("7.3")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pymssql_over_tds_7_1_without_all_headers() {
    run("default", Some("7.1")).await;
}
