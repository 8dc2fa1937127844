//! Hostile names and file systems (issue 15, defects 6, 7, 10 and 11), against the real binary:
//! audit names that cannot name files, links planted at temporary names, a FIFO or a link loop
//! as a config file, commands that change the workspace while another holds its lock, a
//! read-only workspace (a read-only bind mount) and a full disk (a small tmpfs).
//!
//! Mounting needs root (or CAP_SYS_ADMIN). Where the mount is refused the test prints SKIPPED
//! on stderr and fails, unless the developer opted out with AUTODBAUDIT_SKIP_INTEROP=1.

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::fleet::{Fleet, fleet, workspace_for};
use common::{Workspace, run};
use mssql_sim::fixtures::{self, DEMO_PASSWORD};

const AUDIT: &str = "audit_config.jsonc";

/// Runs `cmd`, killing it (and failing the test) if it has not finished after `limit`: a
/// command that hangs on a hostile file must fail the test, not stall it.
fn run_bounded(cmd: &mut Command, limit: Duration) -> (i32, String, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("the command hung for more than {limit:?}: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().expect("exited normally"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One simulated instance and a workspace that has audited it once.
fn audited() -> (Fleet, Workspace) {
    let fleet = fleet(vec![("prod1", fixtures::builtin("typical-2019").unwrap())]);
    let ws = workspace_for(&fleet, "");
    let (code, stdout, stderr) = audit(&ws, &[]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    (fleet, ws)
}

fn audit(ws: &Workspace, extra: &[&str]) -> (i32, String, String) {
    run(ws
        .cmd()
        .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
        .arg("audit")
        .args(extra))
}

/// Every run of every audit in the workspace's history.
fn run_count(root: &Path) -> usize {
    let history = history::History::open_read_only(&root.join("audit_history.db")).unwrap();
    let mut count = 0;
    let mut id = history.latest_audit().unwrap().map_or(0, |a| a.id);
    while id > 0 {
        if history.audit_by_id(id).unwrap().is_some() {
            count += history.runs(id).unwrap().len();
        }
        id -= 1;
    }
    count
}

// --- defect 6: names that become paths ---------------------------------------------------------

#[test]
fn audit_names_that_cannot_name_files_are_refused_at_load_before_anything_is_written() {
    let emoji = "😀".repeat(64); // 64 characters, 256 bytes
    let names = [
        (emoji.as_str(), "256 bytes"),
        ("~$2026", "Excel names its lock files"),
        ("logs", "output/logs/"),
        ("LOGS", "output/logs/"),
        ("CON", "device name"),
        ("con.txt", "device name"),
        ("COM1.xlsx", "device name"),
        ("..", "end with a dot"),
        (".hidden", "must not start with a dot"),
        ("2026.", "end with a dot"),
        ("2026\u{202E}xslx", "invisible formatting character U+202E"),
    ];
    let ws = Workspace::init();
    for (name, expected) in names {
        let escaped = serde_json::to_string(name).unwrap();
        ws.write_config(
            AUDIT,
            format!("{{\n  \"organization\": \"Contoso\",\n  \"audit_name\": {escaped}\n}}\n"),
        );
        let (code, stdout, stderr) = run(ws.cmd().args(["config", "validate"]));
        assert_eq!(code, 2, "{name}: {stdout}{stderr}");
        assert!(
            stderr.contains("config/audit_config.jsonc:3:17: error: audit_name: ")
                && stderr.contains(expected)
                && stderr.contains("fix: "),
            "{name}: {stderr}"
        );
        let (code, _, stderr) = run(ws.cmd().env("PROD1_PW", "x").arg("audit"));
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(
            !ws.join("audit_history.db").exists(),
            "{name}: a history was written"
        );
    }
}

#[test]
fn a_name_that_cannot_name_files_never_records_a_run() {
    let (_fleet, ws) = audited();
    let runs = run_count(ws.path());
    let emoji = "😀".repeat(64);
    // `audit --new` with the name: refused before a run is recorded.
    let (code, _, stderr) = audit(&ws, &["--new", &emoji]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("256 bytes"), "{stderr}");
    assert_eq!(run_count(ws.path()), runs);
    // The same name already in the history (written by an older version): every command that
    // writes files under it is a usage error, and none records a run.
    {
        let mut history = history::History::open(&ws.join("audit_history.db")).unwrap();
        history
            .open_audit(&emoji, "Contoso", "2026-07-01T00:00:00Z")
            .unwrap();
    }
    for args in [
        vec!["audit"],
        vec!["sync"],
        vec!["report"],
        vec!["finalize", "--force"],
    ] {
        let (code, stdout, stderr) = run(ws
            .cmd()
            .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
            .args(&args));
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert_eq!(run_count(ws.path()), runs, "{args:?} recorded a run");
    }
    let (_, _, stderr) = audit(&ws, &[]);
    assert!(
        stderr.contains("cannot name its output folder") && stderr.contains("audit --new NAME"),
        "{stderr}"
    );
}

#[test]
fn remediation_refuses_an_audit_name_that_cannot_name_files() {
    let (_fleet, ws) = audited();
    // An older version recorded the audit as `logs`: its output folder would be output/logs/,
    // where the logs go. Renamed in the history as that version would have left it, with its
    // completed run.
    {
        let conn = rusqlite::Connection::open(ws.join("audit_history.db")).unwrap();
        conn.execute("UPDATE audits SET name = 'logs'", []).unwrap();
    }
    let before = ws.snapshot();
    for args in [
        vec!["remediate", "generate"],
        vec!["remediate", "apply"],
        vec!["remediate", "apply", "--dry-run"],
        vec!["remediate", "rollback"],
    ] {
        let (code, stdout, stderr) = run(ws
            .cmd()
            .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
            .args(&args));
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("the audit `logs`")
                && stderr.contains("cannot name its output folder")
                && stderr.contains("audit --new NAME"),
            "{args:?}: {stderr}"
        );
        assert!(
            !ws.join("output/logs/remediation").exists(),
            "{args:?} wrote output/logs/remediation"
        );
    }
    // Only the commands' own run logs were added.
    let changed: Vec<_> = ws
        .snapshot()
        .into_keys()
        .filter(|p| {
            let run_log =
                p.starts_with(ws.join("output/logs")) && p.extension().is_some_and(|e| e == "log");
            !before.contains_key(p) && !run_log
        })
        .collect();
    assert!(changed.is_empty(), "files written: {changed:?}");
}

// --- defect 7: temporary files ------------------------------------------------------------------

#[test]
fn links_planted_at_temporary_names_are_never_followed() {
    let (_fleet, ws) = audited();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, "untouched").unwrap();
    let plant = |relative: &str| {
        let link = ws.join(relative);
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        link
    };
    // findings.json's temporary file, as earlier versions named it.
    plant("output/2026-H2/.findings.json.tmp");
    let (code, stdout, stderr) = audit(&ws, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    let findings = ws.join("output/2026-H2/findings.json");
    assert!(!std::fs::symlink_metadata(&findings).unwrap().is_symlink());
    serde_json::from_slice::<serde_json::Value>(&std::fs::read(&findings).unwrap()).unwrap();

    // init --force's temporary files, as earlier versions named them.
    for relative in [
        "config/sql_targets.tmp",
        "config/audit_config.tmp",
        "config/schemas/sql_targets.schema.tmp",
        "config/schemas/audit_config.schema.tmp",
    ] {
        plant(relative);
    }
    let (code, _, stderr) = run(ws.cmd().args(["init", "--force"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    assert!(
        std::fs::read_to_string(ws.join("config/sql_targets.jsonc"))
            .unwrap()
            .contains("\"targets\"")
    );
    // No temporary file of ours is left anywhere.
    let leftovers: Vec<PathBuf> = ws
        .snapshot()
        .into_keys()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".tmp") && !std::fs::symlink_metadata(p).unwrap().is_symlink()
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

// --- defect 10: hostile config files and the lock -----------------------------------------------

#[test]
fn a_fifo_as_config_file_is_refused_without_hanging() {
    let ws = Workspace::init();
    let path = ws.join("config/sql_targets.jsonc");
    std::fs::remove_file(&path).unwrap();
    let status = Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    for args in [vec!["config", "validate"], vec!["audit"]] {
        let (code, stdout, stderr) = run_bounded(ws.cmd().args(&args), Duration::from_secs(30));
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("config/sql_targets.jsonc: error: is a named pipe (FIFO)")
                && stderr.contains("fix: "),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn links_and_folders_as_config_files_are_named_for_what_they_are() {
    let ws = Workspace::init();
    let path = ws.join("config/sql_targets.jsonc");
    let config = ws.join("config");
    let reset = || {
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_dir(&path);
    };
    let check = |expected: &str| {
        let (code, _, stderr) = run_bounded(
            ws.cmd().args(["config", "validate"]),
            Duration::from_secs(30),
        );
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(&format!("config/sql_targets.jsonc: error: {expected}")),
            "{stderr}"
        );
        assert!(!stderr.contains("file not found"), "{stderr}");
    };
    reset();
    std::os::unix::fs::symlink(config.join("loop-b"), config.join("loop-a")).unwrap();
    std::os::unix::fs::symlink(config.join("loop-a"), config.join("loop-b")).unwrap();
    std::os::unix::fs::symlink(config.join("loop-a"), &path).unwrap();
    check("is a symbolic link that never reaches a file: the links form a loop");
    reset();
    std::os::unix::fs::symlink(config.join("gone.jsonc"), &path).unwrap();
    check("is a symbolic link to ");
    reset();
    std::fs::create_dir(&path).unwrap();
    check("is a folder, not a regular file");
    reset();
    // A link to a regular file is read.
    std::fs::write(config.join("real.jsonc"), common::VALID_TARGETS).unwrap();
    std::os::unix::fs::symlink(config.join("real.jsonc"), &path).unwrap();
    ws.write_config(AUDIT, common::VALID_AUDIT);
    let (code, _, stderr) = run(ws.cmd().args(["config", "validate"]));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn init_force_and_credentials_wait_for_the_workspace_lock() {
    let ws = Workspace::init();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(ws.join(".autodbaudit.lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let before = ws.snapshot();

    let (code, _, stderr) = run(ws.cmd().args(["init", "--force"]));
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.contains("in use by another AutoDBAudit run"),
        "{stderr}"
    );

    let mut add = ws
        .cmd()
        .args(["credentials", "add", "prod1", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = add.stdin.take().unwrap().write_all(b"Very-Secret-1\n");
    let out = add.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");

    let (code, _, stderr) = run(ws.cmd().args(["credentials", "remove", "prod1"]));
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(before, ws.snapshot(), "a locked workspace was changed");

    drop(lock);
    let (code, _, stderr) = run(ws.cmd().args(["init", "--force"]));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_fifo_or_link_at_the_workspace_lock_is_refused_without_hanging() {
    let (_fleet, ws) = audited();
    let lock = ws.join(".autodbaudit.lock");
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("elsewhere.lock");
    let plants: [(&str, &dyn Fn()); 3] = [
        ("a named pipe (FIFO)", &|| {
            let status = Command::new("mkfifo")
                .arg(&lock)
                .status()
                .expect("mkfifo runs");
            assert!(status.success());
        }),
        ("a folder", &|| std::fs::create_dir(&lock).unwrap()),
        ("a symbolic link", &|| {
            std::os::unix::fs::symlink(&victim, &lock).unwrap()
        }),
    ];
    for (what, plant) in plants {
        let _ = std::fs::remove_file(&lock);
        let _ = std::fs::remove_dir(&lock);
        plant();
        for args in [
            vec!["audit"],
            vec!["report"],
            vec!["remediate", "generate"],
            vec!["init", "--force"],
            vec!["credentials", "remove", "prod1"],
        ] {
            let (code, stdout, stderr) = run_bounded(
                ws.cmd()
                    .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
                    .args(&args),
                Duration::from_secs(30),
            );
            assert_eq!(code, 2, "{what} {args:?}: {stdout}{stderr}");
            assert!(
                stderr.contains(".autodbaudit.lock is ")
                    && stderr.contains(what)
                    && stderr.contains("not a regular file")
                    && stderr.contains("fix: ")
                    && stderr.contains("rm "),
                "{what} {args:?}: {stderr}"
            );
        }
        assert!(!victim.exists(), "{what}: the lock followed a link");
    }
}

/// Issue 15 review: `status` fell back to SQLite's immutable mode on any failure, BUSY too, so
/// while another process held the history locked it read the main file past the locks and the
/// WAL (stale or half-written pages, then "corrupt: move it away"). Now a locked history is
/// "in use, try again" (exit 4), and the file is left alone.
#[test]
fn status_on_a_history_another_process_holds_locked_says_in_use() {
    let (_fleet, ws) = audited();
    let path = ws.join("audit_history.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    // What a writer in exclusive locking mode (or a database tool) holds: the file's own lock,
    // which every other connection waits for, then gets SQLITE_BUSY.
    let mode: String = conn
        .query_row("PRAGMA locking_mode = EXCLUSIVE", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "exclusive");
    conn.execute_batch("BEGIN EXCLUSIVE; UPDATE audits SET organization = 'Uncommitted';")
        .unwrap();
    let (code, stdout, stderr) = run_bounded(ws.cmd().arg("status"), Duration::from_secs(60));
    assert_eq!(code, 4, "{stdout}{stderr}");
    assert!(
        stderr.contains("audit_history.db is in use") && stderr.contains("try again"),
        "{stderr}"
    );
    assert!(!stderr.contains("move it away"), "{stderr}");
    assert!(!stdout.contains("Uncommitted"), "{stdout}");
    conn.execute_batch("ROLLBACK").unwrap();
    drop(conn);
    let (code, stdout, stderr) = run(ws.cmd().arg("status"));
    assert_eq!(code, 0, "{stdout}{stderr}");
}

// --- defect 11: read-only workspace, full disk ----------------------------------------------------

/// A mount this test made, unmounted (by its path) when dropped.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Runs `mount args…` onto `target`; None (after printing SKIPPED, and only when the developer
/// opted out with AUTODBAUDIT_SKIP_INTEROP=1) when mounting is not allowed here.
fn mount(args: &[&str], target: &Path, what: &str) -> Option<Mount> {
    std::fs::create_dir_all(target).unwrap();
    let out = Command::new("mount")
        .args(args)
        .arg(target)
        .output()
        .expect("mount runs");
    if out.status.success() {
        return Some(Mount(target.to_owned()));
    }
    let why = String::from_utf8_lossy(&out.stderr);
    let message = format!(
        "SKIPPED {what}: mount {args:?} was refused ({})",
        why.trim()
    );
    eprintln!("{message}");
    assert!(
        common::interop::opted_out(),
        "{message}; run as root (or with CAP_SYS_ADMIN), or set AUTODBAUDIT_SKIP_INTEROP=1 to skip"
    );
    None
}

fn copy_workspace(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_read_only_workspace_still_answers_status_and_validate() {
    let (_fleet, ws) = audited();
    let scratch = tempfile::tempdir().unwrap();
    let view = scratch.path().join("ro");
    let Some(_mount) = mount(
        &["--bind", "-o", "ro", ws.path().to_str().unwrap()],
        &view,
        "read-only workspace",
    ) else {
        return;
    };
    // The bind mount must really be read-only, even to root.
    assert!(std::fs::write(view.join("probe"), "x").is_err());
    let cmd = || common::autodbaudit(&view);

    let (code, stdout, stderr) = run(cmd().arg("status"));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("audit `2026-H2`"), "{stdout}");
    let (code, _, stderr) = run(cmd().args(["status", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(cmd().args(["config", "validate"]));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(cmd().arg("checks"));
    assert_eq!(code, 0, "{stderr}");
    // A command that writes says why it cannot, and what works.
    let (code, _, stderr) = run(cmd().arg("report"));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("is read-only") && stderr.contains("`status`"),
        "{stderr}"
    );
    assert!(!stderr.contains("move it away"), "{stderr}");
}

#[test]
fn a_full_disk_is_named_the_history_kept_and_no_temporary_file_left() {
    let (_fleet, ws) = audited();
    let scratch = tempfile::tempdir().unwrap();
    let disk = scratch.path().join("disk");
    let Some(_mount) = mount(
        &["-t", "tmpfs", "-o", "size=4m", "tmpfs"],
        &disk,
        "full disk",
    ) else {
        return;
    };
    let root = disk.join("ws");
    copy_workspace(ws.path(), &root);
    std::fs::remove_file(root.join("output/2026-H2/2026-H2.xlsx")).unwrap();
    let history_bytes = std::fs::read(root.join("audit_history.db")).unwrap();
    let runs = run_count(&root);
    let cmd = || {
        let mut c = common::autodbaudit(&root);
        c.env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD);
        c
    };
    let fill = |leave_kib: u64| {
        let filler = disk.join("filler");
        let _ = std::fs::remove_file(&filler);
        let out = Command::new("df")
            .args(["-k", "--output=avail"])
            .arg(&disk)
            .output()
            .unwrap();
        let avail: u64 = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let mut file = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 1024];
        for _ in 0..avail.saturating_sub(leave_kib) {
            if file.write_all(&chunk).is_err() {
                break;
            }
        }
    };
    let no_temporaries = || {
        let folder = root.join("output/2026-H2");
        let names: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.ends_with(".tmp")),
            "temporary files left: {names:?}"
        );
    };

    // Room for the history, not for the workbook (about 120 KB).
    fill(60);
    let (code, _, stderr) = run(cmd().arg("report"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("the disk is full") && stderr.contains("the history is intact"),
        "{stderr}"
    );
    assert!(!stderr.contains("move it away"), "{stderr}");
    no_temporaries();
    assert!(!root.join("output/2026-H2/2026-H2.xlsx").exists());

    // No room at all: the history cannot even be opened for writing.
    fill(0);
    for args in [vec!["report"], vec!["audit"]] {
        let (code, _, stderr) = run(cmd().args(&args));
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(
            stderr.contains("is full") && stderr.contains("intact"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("move it away"), "{args:?}: {stderr}");
        no_temporaries();
    }
    // Reading still works, and nothing was lost.
    let (code, _, stderr) = run(cmd().arg("status"));
    assert_eq!(code, 0, "{stderr}");
    let _ = std::fs::remove_file(disk.join("filler"));
    assert_eq!(run_count(&root), runs);
    assert_eq!(
        std::fs::read(root.join("audit_history.db")).unwrap().len(),
        history_bytes.len()
    );
}
