//! Interoperability with python-tds (PyPI `python-tds`), a pure-Python TDS client.

mod common;

use std::process::Command;

/// Whether `python3` can import `module`; a missing one fails the test unless
/// `AUTODBAUDIT_SKIP_INTEROP=1` (see `common::interop`).
fn python_has(module: &str, install: &str) -> bool {
    common::interop::python_module(module, install)
}

/// Runs a Python script from tests/ with `args`; returns whether it succeeded and its output.
async fn run_script(script: &'static str, args: Vec<String>) -> (bool, String) {
    let path = format!("{}/tests/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(path)
            .args(args)
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
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn python_tds_logs_in_queries_and_sees_real_errors() {
    if !python_has("pytds", "pip install python-tds") {
        return;
    }
    let server = mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let args = vec![server.addr.port().to_string(), common::PASSWORD.to_owned()];
    let (ok, text) = run_script("pytds_client.py", args).await;
    assert!(ok && text.contains("pytds: ok"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn python_tds_logs_in_with_full_and_login_only_tls() {
    // python-tds does TLS through pyOpenSSL, an optional dependency.
    if !python_has("pytds", "pip install python-tds")
        || !python_has("OpenSSL", "pip install pyOpenSSL")
    {
        return;
    }
    let server = mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (ca, other) = (dir.path().join("ca.pem"), dir.path().join("other.pem"));
    let identity = mssql_sim::TlsIdentity::self_signed().unwrap();
    std::fs::write(&ca, identity.certificate_pem()).unwrap();
    let stranger = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(&other, stranger.cert.pem()).unwrap();
    let args = vec![
        server.addr.port().to_string(),
        common::PASSWORD.to_owned(),
        ca.display().to_string(),
        other.display().to_string(),
    ];
    let (ok, text) = run_script("pytds_tls_client.py", args).await;
    assert!(ok && text.contains("pytds tls: ok"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn python_tds_logs_in_with_ntlm_directly_and_through_a_group() {
    // python-tds does NTLM through pyspnego, an optional dependency (its own MD4, which
    // OpenSSL 3 no longer offers).
    if !python_has("pytds", "pip install python-tds")
        || !python_has("spnego", "pip install pyspnego")
    {
        return;
    }
    let instance = mssql_sim::fixtures::builtin("typical-2019").unwrap();
    let server = mssql_sim::start(instance, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (ok, text) = run_script("pytds_ntlm_client.py", vec![server.addr.port().to_string()]).await;
    assert!(ok && text.contains("pytds ntlm: ok"), "{text}");
}
