//! Guards for tests that need an external tool (Python's openpyxl and python-tds, LibreOffice,
//! FreeTDS `tsql`). The same file is in every test crate that has such tests
//! (`crates/*/tests/common/interop.rs`; `cargo xtask test` checks that they are identical).
//!
//! A missing tool FAILS the test, naming what to install: a test that cannot run must never
//! pass. A developer who knowingly runs without the tools sets `AUTODBAUDIT_SKIP_INTEROP=1`;
//! then the guard returns `false`, the test returns early, and the skip is written straight to
//! the terminal (stderr, which libtest does not capture) and appended to the skip log —
//! `$AUTODBAUDIT_SKIP_LOG` (set by `cargo xtask test`, which prints every skip at the end), else
//! `<target>/tmp/interop-skips.txt`. `cargo xtask test` installs every tool first; `.ci/run`
//! never sets the opt-out.

#![allow(dead_code)] // each test file uses a different subset

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Set to `1` to let tests whose tools are missing skip instead of failing.
pub const OPT_OUT: &str = "AUTODBAUDIT_SKIP_INTEROP";

/// Where skips are recorded, when set (by `cargo xtask test`).
pub const SKIP_LOG: &str = "AUTODBAUDIT_SKIP_LOG";

/// Whether `name` is on PATH; when it is not, fails the test (or, opted out, records a skip).
/// `install` says how to install it, e.g. `apt-get install freetds-bin`.
pub fn program(name: &str, install: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(name).is_file()))
        .unwrap_or(false);
    guard(found, &format!("`{name}`"), install)
}

/// Whether `python3` can import `module`; when it cannot, fails the test (or, opted out,
/// records a skip). `install` says how to install it, e.g. `pip install openpyxl`.
pub fn python_module(module: &str, install: &str) -> bool {
    let found = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    guard(found, &format!("the Python module `{module}`"), install)
}

/// Whether the developer opted out of the interoperability tests.
pub fn opted_out() -> bool {
    std::env::var_os(OPT_OUT).is_some_and(|v| v == "1")
}

/// The file skips are appended to.
pub fn skip_log() -> PathBuf {
    std::env::var_os(SKIP_LOG)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("interop-skips.txt"))
}

fn guard(found: bool, what: &str, install: &str) -> bool {
    if found {
        return true;
    }
    let test = format!(
        "{}::{}",
        env!("CARGO_CRATE_NAME"),
        std::thread::current().name().unwrap_or("?")
    );
    if !opted_out() {
        panic!(
            "{test} needs {what}, which is not installed, so it cannot run. Install it \
             ({install}), or run `cargo xtask test`, which installs every tool the tests need; \
             to skip such tests knowingly, set {OPT_OUT}=1."
        );
    }
    let line = format!("SKIPPED {test}: {what} is not installed ({install}); {OPT_OUT}=1");
    // Straight to the file descriptor: `eprintln!` is captured for passing tests.
    let _ = writeln!(std::io::stderr().lock(), "{line}");
    let log = skip_log();
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
    if let Err(e) = written {
        panic!("{test}: cannot record the skip in {}: {e}", log.display());
    }
    false
}
