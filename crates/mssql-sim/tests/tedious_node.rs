//! Interoperability with tedious (npm `tedious`, the pure-JavaScript TDS client under Node's
//! `mssql` package) at its default settings: TDS 7.4, `encrypt: true` with the server's
//! certificate verified (the test hands it the simulator's self-signed certificate as its CA),
//! parameterised queries as `sp_executesql`, transactions as Transaction Manager requests. Also
//! `encrypt: false` (PRELOGIN ENCRYPT_OFF: the LOGIN7 alone in TLS, MS-TDS 2.2.6.5) and
//! `encrypt: 'strict'` (TDS 8.0, TLS before the PRELOGIN), and tedious's `tdsVersion` 7_3_B,
//! 7_2 and 7_1 (no ALL_HEADERS, MS-TDS 2.2.5.3). Each logs in with SQL authentication, runs
//! batches, `sp_executesql` with typed parameters (an `nvarchar(max)` one and an OUTPUT one), a
//! procedure by name, a transaction rolled back and one committed, gets 208 and 137 with SQL
//! Server's texts and 18456 for a wrong password, and refuses a certificate its CA file does not
//! hold.
//!
//! tedious itself comes from npm: `tests/node/package.json` and its lockfile pin it, and the test
//! runs `npm ci` once into a cache directory outside the repository
//! (`$AUTODBAUDIT_NODE_CACHE`, else `~/.cache/autodbaudit`), named by the lockfile's hash.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

const PACKAGE_JSON: &str = include_str!("node/package.json");
const PACKAGE_LOCK: &str = include_str!("node/package-lock.json");

/// FNV-1a of the lockfile: a new lockfile gets a new directory.
fn lock_hash() -> u64 {
    PACKAGE_LOCK.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The `node_modules` holding the pinned tedious, installed with `npm ci` on first use.
fn node_modules() -> &'static Result<PathBuf, String> {
    static INSTALLED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let base = std::env::var_os("AUTODBAUDIT_NODE_CACHE")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/autodbaudit"))
            })
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
        let dir = base.join(format!("node-tedious-{:016x}", lock_hash()));
        let modules = dir.join("node_modules");
        if modules.join("tedious/package.json").is_file() {
            return Ok(modules);
        }
        // Installed beside it, then renamed: another test run may be installing too.
        let staging = base.join(format!(
            "node-tedious-{:016x}.{}",
            lock_hash(),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).map_err(|e| format!("{}: {e}", staging.display()))?;
        std::fs::write(staging.join("package.json"), PACKAGE_JSON).map_err(|e| e.to_string())?;
        std::fs::write(staging.join("package-lock.json"), PACKAGE_LOCK)
            .map_err(|e| e.to_string())?;
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
            .current_dir(&staging)
            .output()
            .map_err(|e| format!("npm: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "`npm ci` of tests/node/package-lock.json failed in {}:\n{}{}",
                staging.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        if std::fs::rename(&staging, &dir).is_err() && modules.is_dir() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        if modules.join("tedious/package.json").is_file() {
            Ok(modules)
        } else {
            Err(format!(
                "tedious is not in {} after npm ci",
                modules.display()
            ))
        }
    })
}

async fn run(encrypt: &'static str, tds: &'static str) {
    if !common::interop::program("node", "apt-get install nodejs")
        || !common::interop::program("npm", "apt-get install npm")
    {
        return;
    }
    let modules = tokio::task::spawn_blocking(|| node_modules().clone())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));
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
        format!(
            "{}/tests/node/tedious_client.js",
            env!("CARGO_MANIFEST_DIR")
        ),
        server.addr.port().to_string(),
        common::PASSWORD.to_owned(),
        ca.display().to_string(),
        other.display().to_string(),
        encrypt.to_owned(),
        tds.to_owned(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args(args)
            .env("NODE_PATH", modules)
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
        out.status.success() && text.contains(&format!("tedious {encrypt} {tds}: ok")),
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
async fn tedious_at_default_settings_with_tls() {
    run("default", "7_4").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tedious_with_encrypt_false_login_only_tls() {
    run("false", "7_4").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tedious_with_strict_encryption_tds_8() {
    run("strict", "7_4").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tedious_over_tds_7_3() {
    run("default", "7_3_B").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tedious_over_tds_7_2() {
    run("default", "7_2").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tedious_over_tds_7_1_without_all_headers() {
    run("default", "7_1").await;
}
