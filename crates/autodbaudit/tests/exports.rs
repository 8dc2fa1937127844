//! Check selection, every export format and baselines, end to end with the real binary against
//! simulated servers: what `audit --format` writes equals what `report --format` writes from the
//! history, each format read back by an independent reader (read_exports.py); a profile leaves
//! checks out and says so; approving a baseline, changing a server and syncing shows exactly
//! that change as drift, and clearing opens the results again.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use common::fleet::{fleet, workspace_for};
use common::{Workspace, autodbaudit, interop, run};
use mssql_sim::fixtures;

const PASSWORD: &str = mssql_sim::fixtures::DEMO_PASSWORD;

fn command(ws: &Workspace, args: &[&str]) -> (i32, String, String) {
    run(autodbaudit(ws.path())
        .args(args)
        .env("AUTODBAUDIT_TEST_PASSWORD", PASSWORD))
}

fn findings(ws: &Workspace) -> serde_json::Value {
    let text = std::fs::read_to_string(ws.join("output/2026-H2/findings.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn status(ws: &Workspace) -> serde_json::Value {
    let (code, stdout, stderr) = command(ws, &["status", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

/// The exports of the audit folder as the independent reader sees them.
fn read_exports(folder: &Path) -> serde_json::Value {
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../export/tests/data/sarif-schema-2.1.0.json"
    );
    let out = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/read_exports.py"
        ))
        .arg(folder)
        .arg("2026-H2")
        .arg(schema)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "read_exports.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every file of the audit folder but the workbook and the logs, by relative path.
fn files(folder: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for dir in [folder.to_path_buf(), folder.join("checklists")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() && path.extension().is_some_and(|e| e != "xlsx") {
                let name = path
                    .strip_prefix(folder)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn every_format_from_audit_equals_report_from_the_history_and_reads_back() {
    if !interop::python_module("jsonschema", "pip install jsonschema")
        || !interop::python_module("junitparser", "pip install junitparser")
    {
        return;
    }
    let f = fleet(vec![
        ("legacy", fixtures::builtin("legacy-2008r2").unwrap()),
        ("hardened", fixtures::builtin("hardened-2022").unwrap()),
    ]);
    let ws = workspace_for(&f, "");
    let (code, stdout, stderr) = command(
        &ws,
        &[
            "audit",
            "--format",
            "xlsx,json,ckl,cklb,sarif,junit,html,csv",
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    for line in [
        "export:   ",
        "4 STIG checklists",
        "DISA STIG:",
        "open CAT I",
    ] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
    let folder = ws.join("output/2026-H2");
    let written = files(&folder);
    assert_eq!(
        written.keys().cloned().collect::<Vec<_>>(),
        [
            "2026-H2.csv",
            "2026-H2.html",
            "2026-H2.junit.xml",
            "2026-H2.sarif",
            "checklists/hardened.ckl",
            "checklists/hardened.cklb",
            "checklists/legacy.ckl",
            "checklists/legacy.cklb",
            "findings.json",
        ]
    );

    // The same run rendered again from the history alone: byte for byte the same files.
    for name in written.keys() {
        std::fs::remove_file(folder.join(name)).unwrap();
    }
    let (code, stdout, stderr) = command(
        &ws,
        &["report", "--format", "json,ckl,cklb,sarif,junit,html,csv"],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        !stdout.contains("workbook:"),
        "xlsx was not asked for: {stdout}"
    );
    let again = files(&folder);
    assert_eq!(
        again.keys().collect::<Vec<_>>(),
        written.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &written {
        assert!(
            again[name] == *bytes,
            "{name} differs when rendered from the history"
        );
    }

    // Each format, read by its own kind of reader, agrees with findings.json.
    let doc = findings(&ws);
    let all = doc["findings"].as_array().unwrap();
    let needs_person: Vec<&serde_json::Value> = all
        .iter()
        .filter(|f| !["PASS", "INFO"].contains(&f["status"].as_str().unwrap()))
        .collect();
    let read = read_exports(&folder);
    assert_eq!(
        read["sarif"]["errors"],
        serde_json::json!([]),
        "{}",
        read["sarif"]
    );
    assert_eq!(
        read["sarif"]["rules"],
        audit_core::checks::catalogue().len()
    );
    assert_eq!(read["sarif"]["results"], needs_person.len());
    let mut fingerprints: Vec<&str> = needs_person
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    fingerprints.sort_unstable();
    assert_eq!(
        read["sarif"]["fingerprints"],
        serde_json::json!(fingerprints)
    );
    assert_eq!(read["csv"]["rows"], all.len());
    let suites = read["junit"].as_object().unwrap();
    assert_eq!(suites.len(), 2, "{suites:?}");
    for suite in suites.values() {
        assert_eq!(suite["tests"], audit_core::checks::catalogue().len());
        assert!(suite["failures"].as_u64().unwrap() > 0, "{suite}");
    }
    // The checklists: the 2016 STIGs for 2008 R2, the 2022 STIGs for 2022, every rule present,
    // and a rule of a failing check Open where the legacy server fails it.
    let legacy = &read["ckl"]["legacy"];
    let hardened = &read["ckl"]["hardened"];
    let stigs = |c: &serde_json::Value| c["stigs"].as_array().unwrap().len();
    assert_eq!((stigs(legacy), stigs(hardened)), (2, 2));
    let rule_count = |major: u16| -> usize {
        audit_core::stig::benchmarks_for(major)
            .iter()
            .map(|b| b.rules.len())
            .sum()
    };
    assert_eq!(
        legacy["statuses"].as_object().unwrap().len(),
        rule_count(10)
    );
    assert_eq!(
        hardened["statuses"].as_object().unwrap().len(),
        rule_count(16)
    );
    let failing_stig: BTreeSet<&str> = all
        .iter()
        .filter(|f| f["target_id"] == "legacy" && f["status"] == "FAIL")
        .flat_map(|f| f["references"]["stig_2016"].as_array().unwrap())
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(!failing_stig.is_empty());
    for rule in &failing_stig {
        assert_eq!(legacy["statuses"][rule], "Open", "{rule}");
        assert_eq!(read["cklb"]["legacy"]["statuses"][rule], "open", "{rule}");
    }
    assert_eq!(read["html"]["external"], serde_json::json!([]));
    assert!(read["html"]["tags"].as_u64().unwrap() > 500);
}

#[test]
fn a_profile_leaves_checks_out_and_never_counts_them_as_passed_or_fixed() {
    let f = fleet(vec![
        ("legacy", fixtures::builtin("legacy-2008r2").unwrap()),
        ("hardened", fixtures::builtin("hardened-2022").unwrap()),
    ]);
    let ws = workspace_for(&f, "");
    let (code, stdout, stderr) =
        command(&ws, &["audit", "--profile", "stig", "--skip-checks", "R10"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("checks: stig, --skip-checks R10") || stdout.contains("checks: stig"),
        "{stdout}{stderr}"
    );
    let doc = findings(&ws);
    assert_eq!(doc["run"]["checks"], "stig, --skip-checks R10");
    let catalogue = audit_core::checks::catalogue();
    for target in doc["targets"].as_array().unwrap() {
        let major: u16 = if target["target_id"] == "legacy" {
            10
        } else {
            16
        };
        let left_out: BTreeSet<&str> = target["not_selected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let expected: BTreeSet<String> = catalogue
            .iter()
            .filter(|c| {
                c.id.to_string() == "R10"
                    || audit_core::checks::selection::stig_ids(c, major).is_empty()
            })
            .map(|c| c.id.to_string())
            .collect();
        assert_eq!(
            left_out,
            expected.iter().map(String::as_str).collect(),
            "{}",
            target["target_id"]
        );
        let evaluated: BTreeSet<&str> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["target_id"] == target["target_id"])
            .map(|f| f["check_id"].as_str().unwrap())
            .collect();
        assert!(evaluated.is_disjoint(&left_out), "{evaluated:?}");
        assert!(!evaluated.is_empty());
    }
    let stig = doc["compliance"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["framework"] == "DISA STIG")
        .unwrap();
    let cis = doc["compliance"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["framework"] == "CIS")
        .unwrap();
    assert!(cis["not_selected"].as_u64().unwrap() > 0, "{cis}");
    assert!(stig["passed"].as_u64().unwrap() > 0, "{stig}");

    // A plain sync keeps the audit's selection.
    let (code, stdout, stderr) = command(&ws, &["sync"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(findings(&ws)["run"]["checks"], "stig, --skip-checks R10");
    // A sync under another profile compares only what both runs evaluated: nothing left out is
    // logged as fixed.
    let (code, stdout, stderr) = command(&ws, &["sync", "--profile", "cis"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let h = history::History::open(&ws.join("audit_history.db")).unwrap();
    let fixed: Vec<_> = h
        .actions(1)
        .unwrap()
        .into_iter()
        .filter(|a| a.change_type == "fixed")
        .collect();
    assert!(fixed.is_empty(), "{fixed:#?}");
    assert_eq!(findings(&ws)["run"]["checks"], "cis");

    // Unknown profiles and check ids are refused before anything runs.
    let (code, _, stderr) = command(&ws, &["audit", "--profile", "pci"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("all, cis, stig, va"), "{stderr}");
    let (code, _, stderr) = command(&ws, &["audit", "--checks", "R04,Z99"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("Z99"), "{stderr}");
    // Checks the profile leaves out are refused, before any run is recorded.
    let runs = h.runs(1).unwrap().len();
    let (code, _, stderr) = command(&ws, &["audit", "--profile", "cis", "--checks", "X56"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not in the `cis` profile"), "{stderr}");
    assert_eq!(h.runs(1).unwrap().len(), runs);
}

#[test]
fn approving_a_baseline_then_adding_a_sysadmin_shows_exactly_that_drift_until_cleared() {
    let f = fleet(vec![(
        "typical",
        fixtures::builtin("typical-2019").unwrap(),
    )]);
    let ws = workspace_for(&f, "");
    let (code, stdout, stderr) = command(&ws, &["audit"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let before = status(&ws);
    assert!(before["blocking_finalize"].as_u64().unwrap() > 0);

    let (code, _, stderr) = command(&ws, &["baseline", "show"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = command(
        &ws,
        &[
            "baseline",
            "approve",
            "--by",
            "auditor1",
            "--note",
            "kick-off state",
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("by auditor1"), "{stdout}");
    // Every result is now baselined: nothing open, nothing blocks finalizing.
    let approved = status(&ws);
    assert_eq!(approved["blocking_finalize"], 0, "{approved:#}");
    let total = |d: &serde_json::Value, field: &str| -> u64 {
        d["instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i[field].as_u64().unwrap())
            .sum()
    };
    assert_eq!(total(&approved, "open"), 0);
    assert_eq!(total(&approved, "drift"), 0);
    assert!(total(&approved, "baselined") > 0);

    // A new sysadmin on the server, through T-SQL.
    let errors = f.servers[0].1.execute_as(
        "autodbaudit",
        "CREATE LOGIN drift_admin WITH PASSWORD = 'x7!Long-Passphrase-2026', CHECK_POLICY = ON;
         ALTER SERVER ROLE sysadmin ADD MEMBER drift_admin;",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let (code, stdout, stderr) = command(&ws, &["sync"]);
    assert_eq!(code, 0, "{stdout}{stderr}");

    let doc = findings(&ws);
    let drift: Vec<&serde_json::Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["standing"] == "drift")
        .collect();
    assert!(!drift.is_empty());
    // Exactly what changed on the server: every non-passing result of run 2 that is new or
    // differs (status or facts) from run 1, and nothing else.
    let h = history::History::open(&ws.join("audit_history.db")).unwrap();
    let then: BTreeMap<(String, String), (String, String)> = h
        .target_findings(1, "typical")
        .unwrap()
        .into_iter()
        .map(|s| {
            let f = s.finding;
            (
                (f.check_id.to_string(), f.entity_key),
                (f.status.to_string(), format!("{:?}", f.evidence)),
            )
        })
        .collect();
    let changed: BTreeSet<(String, String)> = h
        .target_findings(2, "typical")
        .unwrap()
        .into_iter()
        .map(|s| s.finding)
        .filter(|f| !matches!(f.status.to_string().as_str(), "PASS" | "INFO"))
        .filter(|f| {
            let key = (f.check_id.to_string(), f.entity_key.clone());
            then.get(&key) != Some(&(f.status.to_string(), format!("{:?}", f.evidence)))
        })
        .map(|f| (f.check_id.to_string(), f.entity_key))
        .collect();
    drop(h);
    let drifted: BTreeSet<(String, String)> = drift
        .iter()
        .map(|f| {
            let key = f["entity_key"].as_str().unwrap();
            (
                f["check_id"].as_str().unwrap().to_owned(),
                key.split_once('/').unwrap().1.to_owned(),
            )
        })
        .collect();
    assert_eq!(drifted, changed);
    assert!(
        drift
            .iter()
            .any(|f| f["entity"].as_str().unwrap().contains("drift_admin")),
        "{drift:#?}"
    );
    assert!(
        drift.iter().any(|f| f["check_id"] == "R08"),
        "the new sysadmin member is drift of R08: {drift:#?}"
    );
    // Everything else still matches its baseline, but UNKNOWN, which is never approved.
    for f in doc["findings"].as_array().unwrap() {
        let standing = f["standing"].as_str().unwrap();
        assert!(
            ["compliant", "baselined", "drift"].contains(&standing)
                || (standing == "open" && f["status"] == "UNKNOWN"),
            "{f:#}"
        );
    }
    let drifted = status(&ws);
    assert_eq!(total(&drifted, "drift"), drift.len() as u64);
    let (code, stdout, _) = command(&ws, &["baseline", "show"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("R08") && stdout.contains("auditor1"),
        "{stdout}"
    );

    // The workbook shows it: the new member's row says drift in the Baseline column.
    let sheets = report::read_workbook(&ws.join("output/2026-H2/2026-H2.xlsx")).unwrap();
    let mut baseline_cells = Vec::new();
    for sheet in &sheets {
        if let Some(col) = sheet.headers.iter().position(|h| h == "Baseline") {
            baseline_cells.extend(sheet.rows.iter().map(|r| r[col].clone()));
        }
    }
    assert!(
        baseline_cells.iter().any(|c| c.contains("R08: drift")),
        "{baseline_cells:?}"
    );
    assert!(baseline_cells.iter().any(|c| c.contains("approved")));

    // Cleared: the results are open again.
    let (code, stdout, stderr) = command(&ws, &["baseline", "clear", "--by", "auditor1"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let cleared = status(&ws);
    assert_eq!(total(&cleared, "baselined"), 0);
    assert_eq!(total(&cleared, "drift"), 0);
    assert!(
        cleared["blocking_finalize"].as_u64().unwrap()
            >= before["blocking_finalize"].as_u64().unwrap()
    );
    let h = history::History::open(&ws.join("audit_history.db")).unwrap();
    assert!(h.current_baselines().unwrap().is_empty());
}
