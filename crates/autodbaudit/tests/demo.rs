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
    // The workbook: its path printed, all 20 sheets, every instance on the Instances sheet.
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
    assert_eq!(report::read_workbook(&workbook).unwrap().len(), 20);
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
