//! `autodbaudit demo`: no arguments, no network beyond loopback, a real audit of simulated
//! servers.

mod common;

use common::{autodbaudit, run};

#[test]
fn the_demo_audits_every_simulated_version_and_can_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = autodbaudit(dir.path());
    cmd.current_dir(dir.path()).arg("demo");
    let (code, stdout, stderr) = run(&mut cmd);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let findings = dir
        .path()
        .join("autodbaudit-demo/output/2026-H2/findings.json");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&findings).unwrap()).unwrap();
    let targets = doc["targets"].as_array().unwrap();
    assert_eq!(targets.len(), mssql_sim::fixtures::BUILTIN.len());
    assert!(targets.iter().all(|t| t["reached"] == true), "{targets:?}");
    assert!(
        stdout.contains("legacy-2008r2") && stdout.contains("findings: "),
        "{stdout}"
    );
    // The workbook: its path printed, all 22 sheets, every instance on the Instances sheet.
    let workbook = dir
        .path()
        .join("autodbaudit-demo/output/2026-H2/2026-H2.xlsx");
    assert!(stdout.contains("workbook: "), "{stdout}");
    let sheets = report::read_workbook(&workbook).unwrap();
    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, report::sheets::sheet_names());
    assert_eq!(sheets[1].rows.len(), mssql_sim::fixtures::BUILTIN.len());
    // Again, in the same folder: refreshed, as a second run of the same audit.
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 0, "{stderr}");
    let history =
        history::History::open(&dir.path().join("autodbaudit-demo/audit_history.db")).unwrap();
    let audit = history.latest_audit().unwrap().unwrap();
    assert_eq!(history.runs(audit.id).unwrap().len(), 2);
    assert_eq!(report::read_workbook(&workbook).unwrap().len(), 22);
}

#[test]
fn the_demo_never_takes_over_a_folder_that_is_not_its_own() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let (code, _, stderr) = run(autodbaudit(dir.path()).arg("demo").arg(dir.path()));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not a demo workspace"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing written"
    );
}

/// Issue 15 review: the demo wrote its templates, marker and config before the audit took the
/// workspace lock, so it rewrote config/ under a run holding it. Now a locked demo workspace
/// is exit 4 with nothing changed.
#[test]
fn the_demo_changes_nothing_while_another_run_holds_the_workspace_lock() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("demo");
    std::fs::create_dir_all(ws.join("config")).unwrap();
    std::fs::write(ws.join(".autodbaudit-demo"), "demo\n").unwrap();
    std::fs::write(ws.join("config/sql_targets.jsonc"), "{ \"targets\": [] }\n").unwrap();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(ws.join(".autodbaudit.lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let listing = |dir: &std::path::Path| {
        let mut all = Vec::new();
        for entry in walk(dir) {
            let contents = std::fs::read(&entry).unwrap_or_default();
            all.push((entry, contents));
        }
        all.sort();
        all
    };
    let before = listing(&ws);
    let (code, _, stderr) = run(autodbaudit(dir.path()).arg("demo").arg(&ws));
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.contains("in use by another AutoDBAudit run"),
        "{stderr}"
    );
    assert_eq!(before, listing(&ws), "the locked workspace was changed");
}

/// The demo's config is written through an exclusive temporary renamed over it: a link
/// planted at config/sql_targets.jsonc is replaced, never written through.
#[cfg(unix)]
#[test]
fn the_demo_never_writes_its_config_through_a_planted_link() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("demo");
    std::fs::create_dir_all(ws.join("config")).unwrap();
    std::fs::write(ws.join(".autodbaudit-demo"), "demo\n").unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "untouched").unwrap();
    std::os::unix::fs::symlink(&victim, ws.join("config/sql_targets.jsonc")).unwrap();
    let (code, stdout, stderr) = run(autodbaudit(dir.path()).arg("demo").arg(&ws));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    let config = ws.join("config/sql_targets.jsonc");
    assert!(!std::fs::symlink_metadata(&config).unwrap().is_symlink());
    assert!(
        std::fs::read_to_string(&config)
            .unwrap()
            .contains("127.0.0.1")
    );
}

/// Every file under `dir`, recursively.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
