//! `cargo xtask test`: the README's test command. Installs what the tests need from outside
//! cargo (FreeTDS and its ODBC driver with unixODBC, LibreOffice, python-tds with pyOpenSSL and
//! pyspnego, pyodbc, pymssql, openpyxl, Node and npm for tedious — see
//! [`tools::tests`]), runs `cargo test --workspace --locked --no-fail-fast` (every test binary
//! runs, so the totals count every failure) with any extra arguments, and ends with every
//! interoperability test that was skipped and the totals.
//!
//! A test whose tool is missing fails (`tests/common/interop.rs` in each test crate) unless
//! `AUTODBAUDIT_SKIP_INTEROP=1`; skips are recorded in a file this command names through
//! `AUTODBAUDIT_SKIP_LOG` and prints at the end, so none goes unseen.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Instant;

use clap::Args;

use crate::tools;
use crate::util::{self, Result};

/// The developer's explicit opt-out: tests whose tools are missing skip instead of failing.
pub const OPT_OUT: &str = "AUTODBAUDIT_SKIP_INTEROP";

/// The file the test guards append their skips to.
pub const SKIP_LOG: &str = "AUTODBAUDIT_SKIP_LOG";

/// Options of `cargo xtask test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Do not install missing tools; fail instead (or, with AUTODBAUDIT_SKIP_INTEROP=1, run
    /// and let the tests that need them skip).
    #[arg(long)]
    pub no_install: bool,
    /// Passed on to `cargo test --workspace --locked --no-fail-fast`, e.g. `-p history` or `-- --test-threads 1`.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CARGO_TEST_ARGS"
    )]
    pub cargo_args: Vec<String>,
}

/// Totals of the `test result:` lines.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Tests that passed.
    pub passed: u64,
    /// Tests that failed.
    pub failed: u64,
    /// Tests marked `#[ignore]`.
    pub ignored: u64,
}

impl Totals {
    /// Adds one libtest summary line (`test result: ok. 3 passed; 0 failed; 1 ignored; …`).
    pub fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result:") else {
            return;
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        for pair in words.windows(2) {
            let Ok(n) = pair[0].parse::<u64>() else {
                continue;
            };
            match pair[1].trim_end_matches([';', ',']) {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }
}

/// Runs the whole thing.
pub fn run(args: &TestArgs) -> Result<()> {
    let started = Instant::now();
    let opted_out = std::env::var_os(OPT_OUT).is_some_and(|v| v == "1");
    if let Err(e) = tools::ensure(&tools::tests(), !args.no_install) {
        if !opted_out {
            return Err(format!(
                "{e}\nThe interoperability tests cannot run without these tools. To run the other \
                 tests anyway and skip those knowingly, set {OPT_OUT}=1."
            ));
        }
        eprintln!("xtask: {e}\nxtask: {OPT_OUT}=1: the tests that need them will be skipped.");
    }
    print_versions();

    let dir = util::target_dir().join("xtask");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let skip_log = tempfile::Builder::new()
        .prefix("interop-skips-")
        .suffix(".txt")
        .tempfile_in(&dir)
        .map_err(|e| format!("cannot create the skip log in {}: {e}", dir.display()))?;

    // As typed: clap drops a leading `--`, which cargo test needs before libtest's options.
    let argv: Vec<String> = std::env::args().collect();
    let extra = passthrough(&argv).unwrap_or_else(|| args.cargo_args.clone());
    let mut cmd = util::cargo();
    cmd.args(cargo_test_args(&extra))
        .env(SKIP_LOG, skip_log.path())
        .stdout(Stdio::piped());
    eprintln!("xtask: $ {}", util::describe(&cmd));
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", util::describe(&cmd)))?;
    let mut totals = Totals::default();
    let stdout = child.stdout.take().expect("piped");
    let mut out = std::io::stdout().lock();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading cargo test's output: {e}"))?;
        totals.add_line(&line);
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
    drop(out);
    let status = child
        .wait()
        .map_err(|e| format!("waiting for cargo test: {e}"))?;

    let skips = std::fs::read_to_string(skip_log.path()).unwrap_or_default();
    let skips: Vec<&str> = skips.lines().filter(|l| !l.trim().is_empty()).collect();
    println!();
    if skips.is_empty() {
        println!("xtask test: no interoperability test was skipped");
    } else {
        println!(
            "xtask test: {} interoperability test(s) SKIPPED ({OPT_OUT}=1) — their assertions did not run:",
            skips.len()
        );
        for skip in &skips {
            println!("  {skip}");
        }
    }
    println!(
        "xtask test: {} passed, {} failed, {} ignored, {} skipped for missing tools, in {:.0} s",
        totals.passed,
        totals.failed,
        totals.ignored,
        skips.len(),
        started.elapsed().as_secs_f64()
    );
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo test failed ({status})"))
    }
}

/// The arguments after `test` (and our own `--no-install`) exactly as typed, `--` included;
/// `None` when `argv` has no `test` subcommand.
fn passthrough(argv: &[String]) -> Option<Vec<String>> {
    let at = argv.iter().skip(1).position(|a| a == "test")? + 1;
    let mut rest = &argv[at + 1..];
    while rest.first().is_some_and(|a| a == "--no-install") {
        rest = &rest[1..];
    }
    Some(rest.to_vec())
}

/// `cargo test --workspace --locked --no-fail-fast` and `extra`; without `--workspace` when
/// `extra` picks packages (`-p`, `--package`), which `--workspace` would override.
fn cargo_test_args(extra: &[String]) -> Vec<String> {
    let ours = extra.iter().take_while(|a| *a != "--");
    let picks = ours.into_iter().any(|a| {
        a == "-p"
            || a == "--package"
            || a.starts_with("--package=")
            || (a.starts_with("-p") && a.len() > 2)
    });
    let mut args: Vec<String> = ["test", "--workspace", "--locked", "--no-fail-fast"]
        .into_iter()
        .filter(|a| !(picks && *a == "--workspace"))
        .map(String::from)
        .collect();
    args.extend(extra.iter().cloned());
    args
}

/// The versions of the external clients, for the log.
fn print_versions() {
    if let Ok(out) = util::capture(std::process::Command::new("tsql").arg("-C")) {
        let text = String::from_utf8_lossy(&out.stdout);
        if let Some(line) = text.lines().find(|l| l.contains("Version")) {
            eprintln!("xtask: FreeTDS {}", line.trim());
        }
    }
    for package in [
        "python-tds",
        "pyOpenSSL",
        "pyspnego",
        "pyodbc",
        "pymssql",
        "openpyxl",
    ] {
        let script = format!("import importlib.metadata as m; print(m.version('{package}'))");
        if let Ok(version) =
            util::stdout_of(std::process::Command::new("python3").args(["-c", &script]))
        {
            eprintln!("xtask: {package} {}", version.trim());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up_libtest_summaries() {
        let mut t = Totals::default();
        t.add_line("test result: ok. 3 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.9s");
        t.add_line(
            "test result: FAILED. 1 passed; 4 failed; 0 ignored; 0 measured; 0 filtered out",
        );
        t.add_line("running 5 tests");
        t.add_line("xtask test: 9 passed, 9 failed");
        assert_eq!(
            t,
            Totals {
                passed: 4,
                failed: 4,
                ignored: 2
            }
        );
    }

    /// Everything after `test` reaches cargo as typed, `--` included.
    #[test]
    fn extra_arguments_reach_cargo_test_unchanged() {
        let argv = |words: &[&str]| -> Vec<String> {
            ["xtask", "test"]
                .iter()
                .chain(words)
                .map(|w| w.to_string())
                .collect()
        };
        assert_eq!(
            passthrough(&argv(&[
                "--no-install",
                "-p",
                "history",
                "--",
                "--test-threads",
                "1"
            ])),
            Some(
                ["-p", "history", "--", "--test-threads", "1"]
                    .map(String::from)
                    .to_vec()
            )
        );
        assert_eq!(
            passthrough(&argv(&["--", "--nocapture"])),
            Some(vec!["--".to_owned(), "--nocapture".to_owned()])
        );
        assert_eq!(passthrough(&argv(&[])), Some(vec![]));
        assert_eq!(passthrough(&["xtask".to_owned(), "soak".to_owned()]), None);
    }

    #[test]
    fn picking_packages_drops_workspace_which_would_override_it() {
        let s = |w: &[&str]| w.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            cargo_test_args(&s(&["--", "--nocapture"])),
            s(&[
                "test",
                "--workspace",
                "--locked",
                "--no-fail-fast",
                "--",
                "--nocapture"
            ])
        );
        assert_eq!(
            cargo_test_args(&s(&["-p", "history"])),
            s(&["test", "--locked", "--no-fail-fast", "-p", "history"])
        );
        // After `--`, `-p` belongs to libtest, not cargo.
        assert_eq!(cargo_test_args(&s(&["--", "-p"]))[1], "--workspace");
    }

    /// The test guards are one module with one shape: the same file in every test crate.
    #[test]
    fn every_test_crates_interop_guard_is_the_same_file() {
        let crates = util::workspace_root().join("crates");
        let mut guards = Vec::new();
        for entry in std::fs::read_dir(&crates).unwrap() {
            let path = entry.unwrap().path().join("tests/common/interop.rs");
            if path.is_file() {
                guards.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
        assert!(guards.len() >= 2, "{guards:?}");
        for (path, text) in &guards {
            assert_eq!(
                text,
                &guards[0].1,
                "{} differs from {}: keep the guards identical",
                path.display(),
                guards[0].0.display()
            );
        }
    }
}
