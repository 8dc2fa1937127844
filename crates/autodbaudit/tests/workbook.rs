//! The audit's deliverable end to end: the real binary audits simulated servers over TCP and
//! writes the history and the workbook; the workbook is read back by calamine (ours) and by
//! openpyxl (Python, independent); `report` re-renders it from the history alone; an open
//! workbook or a busy workspace exits 4 and changes nothing; a run killed at any moment
//! leaves a consistent history and the previous workbook intact.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::fleet::{Fleet, Hostile, fleet, hostile, workspace_for};
use common::{Workspace, run};
use mssql_sim::fixtures::{self, DEMO_PASSWORD};
use report::sheets;

const AUDIT: &str = "2026-H2";

fn workbook_path(ws: &Workspace) -> PathBuf {
    ws.join(&format!("output/{AUDIT}/{AUDIT}.xlsx"))
}

fn audit(ws: &Workspace) -> (i32, String, String) {
    run(ws
        .cmd()
        .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
        .arg("audit"))
}

/// Every sheet's cells, by sheet name.
fn cells(path: &Path) -> BTreeMap<String, Vec<Vec<String>>> {
    report::read_workbook(path)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|s| {
            let mut rows = vec![s.headers];
            rows.extend(s.rows);
            (s.name, rows)
        })
        .collect()
}

/// A data sheet's column index by header.
fn column(sheet: &[Vec<String>], header: &str) -> usize {
    sheet[0]
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("no column {header} in {:?}", sheet[0]))
}

fn findings(ws: &Workspace) -> serde_json::Value {
    let path = ws.join(&format!("output/{AUDIT}/findings.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The fleet the workbook tests audit: every built-in version, the hostile names, and a target
/// that cannot be reached.
fn full_fleet() -> (Fleet, Workspace, Hostile) {
    let h = hostile();
    let mut instances: Vec<(&str, mssql_sim::Instance)> = fixtures::BUILTIN
        .iter()
        .map(|name| (*name, fixtures::builtin(name).unwrap()))
        .collect();
    instances.push(("hostile", h.instance.clone()));
    let fleet = fleet(instances);
    // Port 9 on loopback: nothing listens there.
    let unreachable = r#", { "id": "unreachable", "server": "127.0.0.1", "port": 9, "auth": "sql",
        "username": "autodbaudit", "credential": "env:AUTODBAUDIT_TEST_PASSWORD", "connect_timeout_s": 2 }"#;
    let ws = workspace_for(&fleet, unreachable);
    (fleet, ws, h)
}

#[test]
fn the_workbook_has_every_sheet_every_finding_and_survives_a_second_reader() {
    let (_fleet, ws, h) = full_fleet();
    let (code, stdout, stderr) = audit(&ws);
    assert_eq!(
        code, 3,
        "one target is unreachable\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let path = workbook_path(&ws);
    assert!(stdout.contains(&path.display().to_string()), "{stdout}");
    let book = cells(&path);
    let names: Vec<String> = report::read_workbook(&path)
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, sheets::sheet_names());

    let doc = findings(&ws);
    let all = doc["findings"].as_array().unwrap();
    let needs = |f: &&serde_json::Value| {
        ["FAIL", "WARN", "REVIEW", "UNKNOWN"].contains(&f["status"].as_str().unwrap())
    };
    for spec in sheets::data_sheets() {
        let sheet = &book[spec.name];
        assert_eq!(sheet[0], sheets::headers(spec), "{} headers", spec.name);
        let (status, checks, indicator, references) = (
            column(sheet, "Status"),
            column(sheet, "Checks"),
            column(sheet, "\u{23f3}"),
            column(sheet, "References"),
        );
        let mut uuids = BTreeSet::new();
        for row in &sheet[1..] {
            let uuid = &row[0];
            assert!(
                uuid.len() == 8
                    && uuid
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()),
                "{}: bad _UUID {uuid:?}",
                spec.name
            );
            assert!(
                uuids.insert(uuid.clone()),
                "{}: duplicate _UUID {uuid}: {:?}\n{:?}",
                spec.name,
                row,
                sheet.iter().filter(|r| &r[0] == uuid).collect::<Vec<_>>()
            );
            // The indicator follows the status, nothing else.
            let needs_action = ["Fail", "Warning", "Review", "Unknown"]
                .iter()
                .any(|s| row[status].ends_with(s));
            assert_eq!(
                row[indicator] == "\u{23f3}",
                needs_action,
                "{}: {row:?}",
                spec.name
            );
            assert_eq!(row[checks].is_empty(), row[status].is_empty(), "{row:?}");
            // References: the benchmark items of the row's checks, as `autodbaudit checks`.
            let expected: Vec<String> = row[checks]
                .split(", ")
                .filter(|c| !c.is_empty())
                .filter_map(|c| audit_core::checks::check(c.parse().unwrap()))
                .flat_map(|c| c.references.labels())
                .fold(Vec::new(), |mut all, label| {
                    if !all.contains(&label) {
                        all.push(label);
                    }
                    all
                });
            assert_eq!(row[references], expected.join("; "), "{row:?}");
        }
    }
    let configuration = &book["Configuration"];
    let references = column(configuration, "References");
    assert!(
        configuration[1..]
            .iter()
            .any(|row| row[references].contains("CIS SQL Server 2016/2017 2.15")),
        "no xp_cmdshell row cites its CIS item"
    );
    // Every finding that needs a person is on a row of its target with its check.
    let servers: BTreeMap<&str, &str> = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["target_id"].as_str().unwrap(),
                t["server"].as_str().unwrap(),
            )
        })
        .collect();
    for f in all.iter().filter(needs) {
        let check = f["check_id"].as_str().unwrap();
        let found = book
            .iter()
            .filter(|(n, _)| *n != "Cover" && *n != "Actions")
            .any(|(_, sheet)| {
                let (checks, finding) = (column(sheet, "Checks"), column(sheet, "Finding"));
                sheet[1..].iter().any(|row| {
                    row[2] == servers[f["target_id"].as_str().unwrap()]
                        && row[checks].split(", ").any(|c| c == check)
                        && (row[finding].contains(f["message"].as_str().unwrap())
                            || row[finding].contains("more"))
                })
            });
        assert!(found, "finding without a row: {f}");
    }
    // Row counts per sheet follow the findings of the checks that own the sheet (`X07+X53`:
    // the union of their flagged rows).
    let distinct = |checks: &str| {
        all.iter()
            .filter(|f| checks.split('+').any(|c| f["check_id"] == c) && needs(f))
            .filter(|f| !f["entity_key"].as_str().unwrap().ends_with("/instance:"))
            .map(|f| f["entity_key"].as_str().unwrap())
            .collect::<BTreeSet<_>>()
            .len()
    };
    let flagged = |name: &str| {
        let sheet = &book[name];
        let i = column(sheet, "\u{23f3}");
        sheet[1..].iter().filter(|r| !r[i].is_empty()).count()
    };
    for (sheet, check) in [
        ("Backups", "X02+X73+X74+X75"),
        ("Client Protocols", "R17"),
        ("Triggers", "R12"),
        ("Database Roles", "X07+X53+X61+X63"),
        ("Sensitive Roles", "R08"),
        ("SA Account", "R04"),
        ("Orphaned Users", "R13"),
    ] {
        if sheet != "Orphaned Users" {
            assert_eq!(flagged(sheet), distinct(check), "{sheet} vs {check}");
        }
    }
    let orphans = all
        .iter()
        .filter(|f| {
            f["check_id"] == "R13" && f["status"] == "FAIL" && f["evidence"]["user"].is_string()
        })
        .count();
    assert_eq!(book["Orphaned Users"].len() - 1, orphans);
    assert!(orphans > 0, "the legacy fixture has orphaned users");
    // Unreached targets are on Instances, UNKNOWN, with the reason.
    let instances = &book["Instances"];
    let unreached: Vec<&Vec<String>> = instances[1..]
        .iter()
        .filter(|r| r.contains(&"unreachable".to_owned()))
        .collect();
    assert_eq!(unreached.len(), 1, "{instances:?}");
    assert!(unreached[0][column(instances, "Status")].contains("Unknown"));
    assert!(unreached[0][column(instances, "Reached")].starts_with('\u{2717}'));
    // Hostile names are intact.
    let text: String = book
        .values()
        .flatten()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    for name in [h.login, h.long.as_str(), h.database, h.linked_server] {
        assert!(text.contains(name), "`{name}` not intact in the workbook");
    }
    // Instances are in server, instance, target order (all share the server here; a named
    // instance reached by its port shows the name the server gives).
    let target = column(instances, "Target");
    let instance = column(instances, "Instance");
    let order: Vec<(&str, &str)> = instances[1..]
        .iter()
        .map(|r| (r[instance].as_str(), r[target].as_str()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted);
    assert!(
        order.iter().any(|(i, _)| *i != "(Default)"),
        "named instances show their names: {order:?}"
    );

    openpyxl_agrees(&path, &book);
}

/// openpyxl reads the same sheets, headers and cells, sees `_UUID` hidden, the header frozen,
/// the autofilter, and the Review Status dropdown listing exactly the values we render.
fn openpyxl_agrees(path: &Path, book: &BTreeMap<String, Vec<Vec<String>>>) {
    if !common::openpyxl() {
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/inspect_workbook.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let py = doc["sheets"].as_array().unwrap();
    let names: Vec<&str> = py.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, sheets::sheet_names());
    let review_list = format!("\"{}\"", sheets::REVIEW_STATUSES.join(","));
    for s in py {
        let name = s["name"].as_str().unwrap();
        if name == "Cover" {
            continue;
        }
        let rows = s["rows"].as_array().unwrap();
        let ours = &book[name];
        assert_eq!(rows.len(), ours.len() - 1, "{name}: row count");
        for (theirs, mine) in rows.iter().zip(&ours[1..]) {
            let theirs: Vec<&str> = theirs
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            for (i, mine) in mine.iter().enumerate() {
                // Numbers print differently (1 vs 1.0); text must be identical.
                let t = theirs.get(i).copied().unwrap_or("");
                assert!(
                    t == mine || t.parse::<f64>().ok() == mine.parse::<f64>().ok(),
                    "{name}: {t:?} vs {mine:?}"
                );
            }
        }
        assert!(
            s["a_hidden"].as_bool().unwrap(),
            "{name}: column A not hidden"
        );
        assert!(!s["autofilter"].is_null(), "{name}: no autofilter");
        assert!(s["freeze"].as_str().is_some(), "{name}: no frozen header");
        if name == "Actions" {
            continue;
        }
        assert_eq!(s["headers"][0], "_UUID");
        let review = column(ours, "Review Status");
        let letter = (b'A' + review as u8) as char;
        let dv = s["validations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| {
                v["sqref"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{letter}2:"))
            })
            .unwrap_or_else(|| panic!("{name}: no dropdown on Review Status ({letter})"));
        assert_eq!(dv["formula1"], review_list.as_str(), "{name}");
        assert!(s["conditional_formats"].as_u64().unwrap() >= 1, "{name}");
    }
}

#[test]
fn report_reproduces_the_workbook_and_uuids_are_stable_across_runs() {
    let f = fleet(
        ["legacy-2008r2", "hardened-2022"]
            .into_iter()
            .map(|n| (n, fixtures::builtin(n).unwrap()))
            .collect(),
    );
    let ws = workspace_for(&f, "");
    let (code, _, stderr) = audit(&ws);
    assert_eq!(code, 0, "{stderr}");
    let path = workbook_path(&ws);
    let first = cells(&path);
    std::fs::remove_file(&path).unwrap();
    let (code, stdout, stderr) = run(ws.cmd().arg("report"));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        cells(&path),
        first,
        "report must reproduce the audit's workbook"
    );

    // A second audit: a new run; the same entities keep their UUIDs.
    let (code, _, stderr) = audit(&ws);
    assert_eq!(code, 0, "{stderr}");
    let second = cells(&path);
    let uuids = |book: &BTreeMap<String, Vec<Vec<String>>>| {
        let mut out = BTreeMap::new();
        for spec in sheets::data_sheets() {
            let sheet = &book[spec.name];
            let own = sheets::LEADING.len();
            for row in &sheet[1..] {
                let mut key = vec![spec.name.to_owned(), row[2].clone(), row[3].clone()];
                key.extend(row[own..own + spec.key_columns].iter().cloned());
                out.insert(key, row[0].clone());
            }
        }
        out
    };
    let (a, b) = (uuids(&first), uuids(&second));
    assert!(a.len() > 100, "{}", a.len());
    assert_eq!(a, b, "UUIDs changed between runs");
    let runs = history::History::open(&ws.join("audit_history.db"))
        .unwrap()
        .runs(1)
        .unwrap();
    assert_eq!(runs.len(), 2);
    // The first run can still be rendered.
    let (code, stdout, stderr) = run(ws.cmd().args(["report", "--run", "1"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let again = cells(&path);
    assert_eq!(again["Server Logins"], first["Server Logins"]);
    let (code, _, stderr) = run(ws.cmd().args(["report", "--run", "99"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no run 99"), "{stderr}");
}

#[test]
fn an_open_workbook_or_a_busy_workspace_exits_4_and_changes_nothing() {
    let f = fleet(vec![(
        "hardened",
        fixtures::builtin("hardened-2022").unwrap(),
    )]);
    let ws = workspace_for(&f, "");
    let (code, _, stderr) = audit(&ws);
    assert_eq!(code, 0, "{stderr}");
    let path = workbook_path(&ws);
    let before = std::fs::read(&path).unwrap();
    let history = ws.join("audit_history.db");
    let runs = || {
        history::History::open(&history)
            .unwrap()
            .runs(1)
            .unwrap()
            .len()
    };

    let lock = path.with_file_name(format!("~${AUDIT}.xlsx"));
    std::fs::write(&lock, b"").unwrap();
    let (code, stdout, stderr) = audit(&ws);
    assert_eq!(code, 4, "{stdout}{stderr}");
    assert!(stderr.contains("close it in Excel"), "{stderr}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(runs(), 1, "no run may be recorded");
    let (code, _, stderr) = run(ws.cmd().arg("report"));
    assert_eq!(code, 4, "{stderr}");
    std::fs::remove_file(&lock).unwrap();

    let held = std::fs::OpenOptions::new()
        .write(true)
        .open(ws.join(".autodbaudit.lock"))
        .unwrap();
    held.lock().unwrap();
    let (code, _, stderr) = audit(&ws);
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.contains("in use by another AutoDBAudit run"),
        "{stderr}"
    );
    held.unlock().unwrap();
    assert_eq!(runs(), 1);
    let (code, _, stderr) = audit(&ws);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(runs(), 2);
}

#[cfg(unix)]
#[test]
fn a_run_killed_at_any_moment_leaves_the_history_consistent_and_the_workbook_intact() {
    let instances: Vec<(String, mssql_sim::Instance)> = (0..12)
        .map(|i| {
            let name = fixtures::BUILTIN[i % fixtures::BUILTIN.len()];
            (format!("t{i:02}"), fixtures::builtin(name).unwrap())
        })
        .collect();
    let f = fleet(
        instances
            .iter()
            .map(|(id, i)| (id.as_str(), i.clone()))
            .collect(),
    );
    let ws = workspace_for(&f, "");
    let (code, _, stderr) = audit(&ws);
    assert_eq!(code, 0, "{stderr}");
    let path = workbook_path(&ws);
    let good = cells(&path);
    let db = ws.join("audit_history.db");
    for delay_ms in [30u64, 120, 250, 400, 600, 900, 1300, 1800] {
        let mut child = ws
            .cmd()
            .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
            .arg("audit")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();

        // The history is a valid database with no half-written run.
        let h = history::History::open(&db).unwrap();
        assert_eq!(h.integrity_check().unwrap(), "ok", "after {delay_ms} ms");
        for run in h.runs(1).unwrap() {
            let targets = h.run_targets(run.id).unwrap();
            let findings = h.run_findings(run.id).unwrap();
            match run.status {
                history::RunStatus::Completed | history::RunStatus::CompletedWithErrors => {
                    assert_eq!(targets.len(), 12, "run {} after {delay_ms} ms", run.id);
                    assert!(!findings.is_empty());
                }
                _ => {
                    assert!(
                        targets.is_empty() && findings.is_empty(),
                        "half-written run {} after {delay_ms} ms",
                        run.id
                    )
                }
            }
        }
        drop(h);
        // The workbook is the previous one or a complete new one, never a broken one.
        let now = cells(&path);
        assert_eq!(
            now.keys().collect::<Vec<_>>(),
            good.keys().collect::<Vec<_>>()
        );
        assert_eq!(
            now["Server Logins"].len(),
            good["Server Logins"].len(),
            "after {delay_ms} ms"
        );
    }
    // The next run completes and marks what the kills interrupted as failed.
    let (code, _, stderr) = audit(&ws);
    assert_eq!(code, 0, "{stderr}");
    let h = history::History::open(&db).unwrap();
    let runs = h.runs(1).unwrap();
    assert!(
        runs.iter().all(|r| r.status != history::RunStatus::Running),
        "{runs:?}"
    );
    assert_eq!(runs.last().unwrap().status, history::RunStatus::Completed);
    let interrupted = runs
        .iter()
        .filter(|r| r.status == history::RunStatus::Failed)
        .count();
    assert!(interrupted >= 1, "no kill landed during a run: {runs:?}");
    assert_eq!(cells(&path)["Server Logins"], good["Server Logins"]);
    // A temporary file a kill left between write and rename is cleaned up by the next run.
    let leftovers: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
