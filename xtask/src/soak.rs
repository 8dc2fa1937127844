//! `cargo xtask soak --trials N`: kill -9 at random moments. Starts three simulated SQL
//! Servers, audits them into a fresh workspace, then N times runs one of `audit`, `sync` (with
//! an annotation typed into the workbook just before) or `remediate apply`, kills it with SIGKILL
//! after a random delay (seeded, so a failure is reproducible with `--seed`), and checks:
//!
//! - the history passes `PRAGMA integrity_check` and the tool opens it (`status` exits 0);
//! - the workbook in output/ is byte for byte the previous one or a whole new one that opens;
//! - running the same command again succeeds;
//! - after that run no temporary file is left anywhere in the workspace;
//! - every annotation typed before a kill is in the workbook after the next run.
//!
//! Prints one line per trial and a summary; exits non-zero on any failure.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Args;

use crate::kit_test::Sim;
use crate::util::{self, Result};

/// Options of `cargo xtask soak`.
#[derive(Debug, Args)]
pub struct SoakArgs {
    /// How many kills.
    #[arg(long, default_value_t = 20)]
    pub trials: u32,
    /// The seed of the random choices (command, delay); default: from the clock. Printed, so a
    /// failing run can be repeated exactly.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Keep the workspace (its path is printed) instead of deleting it.
    #[arg(long)]
    pub keep: bool,
}

/// The password of the simulated instances' audit login.
const PASSWORD: &str = "AutoDBAudit-Demo-1!";

/// A command the soak kills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Audit,
    Sync,
    Apply,
    Baseline,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Audit, Kind::Sync, Kind::Apply, Kind::Baseline];

    fn args(self) -> &'static [&'static str] {
        match self {
            Kind::Audit => &["audit"],
            Kind::Sync => &["sync"],
            Kind::Apply => &["remediate", "apply"],
            Kind::Baseline => &["baseline", "approve", "--by", "soak"],
        }
    }

    /// Exit codes of a successful run (sync and audit exit 3 when some check stays unknown).
    fn ok_codes(self) -> &'static [i32] {
        match self {
            Kind::Audit | Kind::Sync => &[0, 3],
            Kind::Apply | Kind::Baseline => &[0],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Audit => "audit",
            Kind::Sync => "sync",
            Kind::Apply => "remediate apply",
            Kind::Baseline => "baseline approve",
        }
    }
}

/// The workspace under test and the binary.
struct Soak {
    exe: PathBuf,
    work: PathBuf,
    /// Notes typed into the Instances sheet, by row `_UUID`, that must survive.
    notes: BTreeMap<String, String>,
}

impl Soak {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.arg("--workspace")
            .arg(&self.work)
            .args(args)
            .env("SOAK_SQL_PASSWORD", PASSWORD)
            .env("NO_COLOR", "1")
            .env_remove("AUTODBAUDIT_WORKSPACE")
            .env_remove("AUTODBAUDIT_LOG")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs to completion; an error unless it exits with one of `codes`. Returns how long it took.
    fn expect(&self, args: &[&str], codes: &[i32]) -> Result<Duration> {
        let started = Instant::now();
        let out = util::capture(&mut self.command(args))?;
        let took = started.elapsed();
        match out.status.code() {
            Some(c) if codes.contains(&c) => Ok(took),
            code => Err(format!(
                "`autodbaudit {}` exited {code:?} (expected {codes:?}):\n{}{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )),
        }
    }

    /// The working workbook, `output/<audit>/<audit>.xlsx`.
    fn workbook(&self) -> Result<PathBuf> {
        let output = self.work.join("output");
        for entry in fs::read_dir(&output).map_err(|e| format!("{}: {e}", output.display()))? {
            let dir = entry.map_err(|e| e.to_string())?.path();
            let name = dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let book = dir.join(format!("{name}.xlsx"));
            if book.is_file() {
                return Ok(book);
            }
        }
        Err(format!("no workbook under {}", output.display()))
    }
}

/// Runs the soak.
pub fn run(args: &SoakArgs) -> Result<()> {
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    println!(
        "soak: seed {seed} (repeat with `cargo xtask soak --trials {} --seed {seed}`)",
        args.trials
    );
    if !crate::tools::python_has("openpyxl") {
        return Err(
            "the soak types annotations with Python's openpyxl, which is not installed: \
             `cargo xtask test` installs it (or: python3 -m pip install openpyxl)"
                .into(),
        );
    }
    util::run(util::cargo().args(["build", "--quiet", "--locked", "-p", "autodbaudit"]))?;
    let exe = util::target_dir().join("debug").join("autodbaudit");
    let sim = Sim::start()?;
    let scratch = tempfile::Builder::new()
        .prefix("autodbaudit-soak-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let mut soak = Soak {
        exe,
        work: scratch.path().join("work"),
        notes: BTreeMap::new(),
    };
    let durations = set_up(&mut soak, &sim)?;

    let mut rng = fastrand::Rng::with_seed(seed);
    let mut failures = Vec::new();
    let mut tally: BTreeMap<Kind, (u32, u32)> = BTreeMap::new();
    for trial in 1..=args.trials {
        let kind = Kind::ALL[rng.usize(..Kind::ALL.len())];
        // Anywhere from the start to a little past the usual end of the command.
        let span = durations[&kind].as_millis() as u64 * 12 / 10 + 1;
        let delay = Duration::from_millis(rng.u64(..span));
        let result = trial_once(&mut soak, trial, kind, delay);
        let (killed, finished) = tally.entry(kind).or_default();
        match &result {
            Ok(true) => *killed += 1,
            Ok(false) => *finished += 1,
            Err(_) => {}
        }
        match result {
            Ok(killed) => println!(
                "soak: trial {trial}: {} killed after {} ms{}: ok",
                kind.name(),
                delay.as_millis(),
                if killed {
                    ""
                } else {
                    " (it had already finished)"
                }
            ),
            Err(e) => {
                println!(
                    "soak: trial {trial}: {} killed after {} ms: FAILED: {e}",
                    kind.name(),
                    delay.as_millis()
                );
                failures.push(format!("trial {trial} ({}): {e}", kind.name()));
            }
        }
    }
    let per_kind: Vec<String> = tally
        .iter()
        .map(|(k, (killed, finished))| {
            format!(
                "{}: {killed} killed mid-run, {finished} finished first",
                k.name()
            )
        })
        .collect();
    println!(
        "soak: {} trials, seed {seed} ({}): {} passed, {} failed",
        args.trials,
        per_kind.join("; "),
        args.trials as usize - failures.len(),
        failures.len()
    );
    if args.keep {
        let kept = scratch.keep();
        println!("soak: workspace kept at {}", kept.join("work").display());
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "soak failed (seed {seed}):\n  {}",
            failures.join("\n  ")
        ))
    }
}

/// A workspace on the simulated servers, audited once, synced once, with remediation scripts
/// applied once and rolled back; returns how long each command took, to pick kill moments.
fn set_up(soak: &mut Soak, sim: &Sim) -> Result<BTreeMap<Kind, Duration>> {
    let out = util::capture(
        Command::new(&soak.exe)
            .arg("init")
            .arg(&soak.work)
            .stdin(Stdio::null()),
    )?;
    if !out.status.success() {
        return Err(format!(
            "init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let targets: Vec<String> = sim
        .ports
        .iter()
        .map(|(fixture, port)| {
            format!(
                r#"{{ "id": "{fixture}", "server": "127.0.0.1", "port": {port}, "auth": "sql", "username": "autodbaudit",
                     "credential": "env:SOAK_SQL_PASSWORD", "trust_server_certificate": true }}"#
            )
        })
        .collect();
    let config = soak.work.join("config/sql_targets.jsonc");
    fs::write(
        &config,
        format!("{{ \"targets\": [{}] }}", targets.join(",")),
    )
    .map_err(|e| format!("{}: {e}", config.display()))?;
    let mut durations = BTreeMap::new();
    durations.insert(
        Kind::Audit,
        soak.expect(&["audit"], Kind::Audit.ok_codes())?,
    );
    annotate(soak, 0)?;
    durations.insert(Kind::Sync, soak.expect(&["sync"], Kind::Sync.ok_codes())?);
    check_notes(soak)?;
    soak.expect(&["remediate", "generate", "--level", "2"], &[0])?;
    durations.insert(Kind::Apply, soak.expect(Kind::Apply.args(), &[0])?);
    soak.expect(&["remediate", "rollback"], &[0])?;
    durations.insert(Kind::Baseline, soak.expect(Kind::Baseline.args(), &[0])?);
    println!(
        "soak: set up: audit {} ms, sync {} ms, remediate apply {} ms, baseline approve {} ms",
        durations[&Kind::Audit].as_millis(),
        durations[&Kind::Sync].as_millis(),
        durations[&Kind::Apply].as_millis(),
        durations[&Kind::Baseline].as_millis()
    );
    Ok(durations)
}

/// One trial: returns whether the kill landed while the command ran.
fn trial_once(soak: &mut Soak, trial: u32, kind: Kind, delay: Duration) -> Result<bool> {
    if kind == Kind::Sync {
        annotate(soak, trial)?;
    }
    let workbook = soak.workbook()?;
    let before = fs::read(&workbook).map_err(|e| format!("{}: {e}", workbook.display()))?;

    let mut child = soak
        .command(kind.args())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", soak.exe.display()))?;
    std::thread::sleep(delay);
    let finished = child.try_wait().map_err(|e| e.to_string())?.is_some();
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();

    // The history is whole and the tool opens it.
    let db = soak.work.join("audit_history.db");
    let history = history::History::open(&db)
        .map_err(|e| format!("the history does not open after the kill: {e}"))?;
    let integrity = history
        .integrity_check()
        .map_err(|e| format!("integrity_check: {e}"))?;
    // Baselines are approved in one transaction: every current one has its results, and they
    // come from one approval (the kill's, or the one before).
    let baselines = history
        .current_baselines()
        .map_err(|e| format!("the baselines do not read after the kill: {e}"))?;
    if baselines.iter().any(|b| b.results.is_empty()) {
        return Err("a baseline without its results after the kill".into());
    }
    let approvals: std::collections::BTreeSet<&str> =
        baselines.iter().map(|b| b.approved_at.as_str()).collect();
    if approvals.len() > 1 && kind == Kind::Baseline {
        return Err(format!(
            "the current baselines mix approvals after the kill: {approvals:?}"
        ));
    }
    drop(history);
    if integrity != "ok" {
        return Err(format!(
            "PRAGMA integrity_check after the kill: {integrity}"
        ));
    }
    soak.expect(&["status"], &[0])?;

    // The workbook is the previous one, or a whole new one.
    let after = fs::read(&workbook).map_err(|e| {
        format!(
            "the workbook is gone after the kill: {}: {e}",
            workbook.display()
        )
    })?;
    if after != before {
        report::read_workbook(&workbook)
            .map_err(|e| format!("the workbook changed and does not open after the kill: {e}"))?;
    }

    // The same command again succeeds, leaves no temporary file, and loses no annotation.
    soak.expect(kind.args(), kind.ok_codes())?;
    let strays = stray_temporaries(&soak.work)?;
    if !strays.is_empty() {
        return Err(format!(
            "temporary files left after the next successful run: {strays:?}"
        ));
    }
    check_notes(soak)?;
    if kind == Kind::Apply {
        // Put the servers back so that the next apply has work to do.
        soak.expect(&["remediate", "rollback"], &[0])?;
    }
    Ok(!finished)
}

/// Types a note on one Instances row with openpyxl, as an auditor does, and remembers it.
fn annotate(soak: &mut Soak, trial: u32) -> Result<()> {
    let workbook = soak.workbook()?;
    let row = trial % 3 + 1;
    let note = format!("soak trial {trial}: kept through kill -9 ]'--");
    let edits = serde_json::json!([{
        "op": "annotate", "sheet": "Instances", "row": row,
        "values": { "Notes": note }
    }]);
    let file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    fs::write(file.path(), edits.to_string()).map_err(|e| e.to_string())?;
    let script = util::workspace_root().join("crates/autodbaudit/tests/edit_workbook.py");
    let out = util::capture(
        Command::new("python3")
            .arg(&script)
            .arg(&workbook)
            .arg(file.path()),
    )?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let annotated: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("{}: {e}", script.display()))?;
    let uuid = annotated[0]["uuid"]
        .as_str()
        .ok_or_else(|| format!("Instances row {row} has no _UUID: {annotated}"))?;
    soak.notes.insert(uuid.to_owned(), note);
    Ok(())
}

/// Every note typed so far is on its row of the workbook.
fn check_notes(soak: &Soak) -> Result<()> {
    let workbook = soak.workbook()?;
    let sheets = report::read_workbook(&workbook).map_err(|e| e.to_string())?;
    let sheet = sheets
        .iter()
        .find(|s| s.name == "Instances")
        .ok_or("the workbook has no Instances sheet")?;
    let uuid_col = sheet.headers.iter().position(|h| h == "_UUID");
    let notes_col = sheet.headers.iter().position(|h| h == "Notes");
    let (Some(uuid_col), Some(notes_col)) = (uuid_col, notes_col) else {
        return Err(format!("Instances headers: {:?}", sheet.headers));
    };
    for (uuid, note) in &soak.notes {
        let found = sheet
            .rows
            .iter()
            .find(|r| r.get(uuid_col) == Some(uuid))
            .and_then(|r| r.get(notes_col));
        if found != Some(note) {
            return Err(format!(
                "the note typed on Instances row {uuid} is lost: expected {note:?}, found {found:?}"
            ));
        }
    }
    Ok(())
}

/// Files that look like leftovers of an interrupted write: temporaries (`*.tmp`, `.tmp*`),
/// SQLite journals, Excel lock files.
fn stray_temporaries(root: &Path) -> Result<Vec<PathBuf>> {
    let mut strays = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let entry = entry.map_err(|e| e.to_string())?;
            let path = entry.path();
            if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
                stack.push(path);
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_temporary(&name) {
                strays.push(path);
            }
        }
    }
    Ok(strays)
}

fn is_temporary(name: &str) -> bool {
    name.ends_with(".tmp")
        || name.starts_with(".tmp")
        || name.contains(".tmp.")
        || name.starts_with("~$")
        || name.ends_with("-journal")
        || name.ends_with("-wal")
        || name.ends_with("-shm")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_are_recognised_and_real_files_are_not() {
        for stray in [
            ".findings.json.tmp",
            "fix.tmp",
            ".tmpA1b2C3",
            ".2026-H2.xlsx.x7Yz.tmp",
            "audit_history.db-journal",
            "audit_history.db-wal",
            "~$2026-H2.xlsx",
        ] {
            assert!(is_temporary(stray), "{stray}");
        }
        for real in [
            "audit_history.db",
            "2026-H2.xlsx",
            "findings.json",
            "fix.sql",
            ".autodbaudit.lock",
            "secrets.txt",
        ] {
            assert!(!is_temporary(real), "{real}");
        }
    }
}
