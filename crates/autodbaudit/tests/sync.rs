//! `autodbaudit sync` end to end: auditors' annotations typed into the workbook with openpyxl
//! survive sync unchanged (also when rows are sorted, deleted or lose their `_UUID`); changes on
//! the simulated servers are classified exactly (fixed, regression, new, not verified) and a
//! sync with nothing changed records nothing.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::fleet::{fleet, hostile, workspace_for};
use common::{Workspace, edit, openpyxl, run};
use mssql_sim::fixtures::{self, DEMO_PASSWORD};

const AUDIT: &str = "2026-H2";

fn command(ws: &Workspace, name: &str) -> (i32, String, String) {
    run(ws
        .cmd()
        .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
        .arg(name))
}

fn workbook(ws: &Workspace) -> std::path::PathBuf {
    ws.join(&format!("output/{AUDIT}/{AUDIT}.xlsx"))
}

/// Every data row by (sheet, _UUID) → its cells by header.
fn rows_by_uuid(path: &Path) -> BTreeMap<(String, String), BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for sheet in report::read_workbook(path).unwrap() {
        if sheet.headers.first().map(String::as_str) != Some("_UUID") {
            continue;
        }
        for row in &sheet.rows {
            let cells = sheet
                .headers
                .iter()
                .cloned()
                .zip(row.iter().cloned())
                .collect();
            out.insert((sheet.name.clone(), row[0].clone()), cells);
        }
    }
    out
}

/// Row 1 of every data sheet, typed in all four editable columns with hostile text.
fn every_sheet_annotated() -> Vec<serde_json::Value> {
    let mut edits = Vec::new();
    for spec in report::sheets::data_sheets() {
        edits.push(serde_json::json!({
            "op": "annotate", "sheet": spec.name, "row": 1,
            "values": {
                "Review Status": "\u{2713} Exception",
                "Justification": format!("{} ]'; DROP TABLE x;-- Ünïcødé", spec.name),
                "Notes": format!("note on {}\nsecond line", spec.name),
                "Last Reviewed": "2026-11-20",
            }
        }));
    }
    edits
}

/// Every annotation `edit` reported is on the row with the same `_UUID`, unchanged.
fn assert_kept(
    rows: &BTreeMap<(String, String), BTreeMap<String, String>>,
    annotated: &[serde_json::Value],
) {
    for a in annotated {
        let key = (
            a["sheet"].as_str().unwrap().to_owned(),
            a["uuid"].as_str().unwrap().to_owned(),
        );
        let row = rows
            .get(&key)
            .unwrap_or_else(|| panic!("row {key:?} is gone"));
        for (column, value) in a["values"].as_object().unwrap() {
            assert_eq!(&row[column], value.as_str().unwrap(), "{key:?} {column}");
        }
    }
}

#[test]
fn annotations_in_every_sheet_survive_sync_sorting_deleted_rows_and_lost_uuids() {
    if !openpyxl() {
        return;
    }
    let h = hostile();
    let f = fleet(vec![
        ("legacy", fixtures::builtin("legacy-2008r2").unwrap()),
        ("hostile", h.instance.clone()),
    ]);
    let ws = workspace_for(&f, "");
    let (code, _, stderr) = command(&ws, "audit");
    assert_eq!(code, 0, "{stderr}");
    let path = workbook(&ws);

    let mut edits = every_sheet_annotated();
    // The hostile login's row, found by name, loses its _UUID: matched by its natural key.
    let logins = report::read_workbook(&path)
        .unwrap()
        .into_iter()
        .find(|s| s.name == "Server Logins")
        .unwrap();
    let name = logins
        .headers
        .iter()
        .position(|x| x == "Login Name")
        .unwrap();
    let hostile_row = logins.rows.iter().position(|r| r[name] == h.login).unwrap() + 1;
    edits.push(serde_json::json!({
        "op": "annotate", "sheet": "Server Logins", "row": hostile_row,
        "values": { "Notes": "kept without its UUID" }
    }));
    edits.push(
        serde_json::json!({ "op": "clear_uuid", "sheet": "Server Logins", "row": hostile_row }),
    );
    // Sorted differently.
    edits.push(serde_json::json!({ "op": "reverse", "sheet": "Databases" }));
    edits.push(
        serde_json::json!({ "op": "annotate", "sheet": "Services", "row": 2,
        "values": { "Notes": "this row gets deleted next" } }),
    );
    let annotated = edit(&path, serde_json::Value::Array(edits));
    let (code, stdout, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("annotations imported"), "{stdout}");

    // An annotated row deleted from the file: its annotation stays in the history, is
    // reported, and comes back with the row (the server still has that service).
    let deleted = annotated.last().unwrap()["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let position = report::read_workbook(&path)
        .unwrap()
        .into_iter()
        .find(|s| s.name == "Services")
        .unwrap()
        .rows
        .iter()
        .position(|r| r[0] == deleted)
        .unwrap();
    // Also in the Actions sheet: a note on a logged entry, and a row added by hand.
    let actions_before = history::History::open(&ws.join("audit_history.db"))
        .unwrap()
        .actions(1)
        .unwrap();
    assert!(!actions_before.is_empty(), "the exceptions were logged");
    edit(
        &path,
        serde_json::json!([
            { "op": "delete_row", "sheet": "Services", "row": position + 1 },
            { "op": "annotate", "sheet": "Actions", "row": 1,
              "values": { "Notes": "confirmed with the DBA ]'; --" } },
            { "op": "append", "sheet": "Actions", "values": {
                "Server": "127.0.0.1", "Instance": "(Default)", "Category": "Network",
                "Finding": "Firewall rule for 1433 requested", "Risk Level": "Medium",
                "Change Description": "Ticket NET-42 opened", "Notes": "typed by hand" } }
        ]),
    );
    let (code, stdout, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("1 entries updated, 1 rows added"),
        "{stdout}"
    );
    // Both survive a further sync, once each.
    let (code, stdout, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let log = history::History::open(&ws.join("audit_history.db"))
        .unwrap()
        .actions(1)
        .unwrap();
    assert_eq!(log.len(), actions_before.len() + 1, "{log:#?}");
    assert_eq!(
        log[0].notes.as_deref(),
        Some("confirmed with the DBA ]'; --")
    );
    let manual: Vec<_> = log.iter().filter(|a| a.manual).collect();
    assert_eq!(manual.len(), 1);
    assert_eq!(manual[0].entity, "Firewall rule for 1433 requested");
    let actions_sheet = report::read_workbook(&path)
        .unwrap()
        .into_iter()
        .find(|s| s.name == "Actions")
        .unwrap();
    let text: Vec<String> = actions_sheet.rows.iter().map(|r| r.join("|")).collect();
    assert!(
        text.iter()
            .any(|r| r.contains("Ticket NET-42 opened") && r.contains("typed by hand")),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|r| r.contains("confirmed with the DBA")),
        "{text:#?}"
    );

    // Every annotation is in the new workbook on the row with the same _UUID, unchanged —
    // including the deleted row (the server still has that service) and the one whose
    // _UUID was cleared (it gets its UUID back).
    let after = rows_by_uuid(&path);
    assert_kept(&after, &annotated);
    // A documented exception shows ✓ instead of ⏳, and the Cover counts it.
    let excepted = after
        .values()
        .filter(|r| r.get("\u{23f3}").map(String::as_str) == Some("\u{2713}"))
        .count();
    assert!(excepted >= 1, "no ✓ after sync");

    // A second sync, untouched: nothing imported, every annotation still there.
    let (code, stdout, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("annotations imported:     0 changed rows"),
        "{stdout}"
    );
    let again = rows_by_uuid(&path);
    for a in &annotated {
        let key = (
            a["sheet"].as_str().unwrap().to_owned(),
            a["uuid"].as_str().unwrap().to_owned(),
        );
        for (column, value) in a["values"].as_object().unwrap() {
            assert_eq!(&again[&key][column], value.as_str().unwrap());
        }
    }
}

#[test]
fn changes_on_the_servers_are_classified_and_logged_once() {
    let mut f = fleet(vec![
        ("legacy", fixtures::builtin("legacy-2008r2").unwrap()),
        ("typical", fixtures::builtin("typical-2019").unwrap()),
    ]);
    let ws = workspace_for(&f, "");
    let (code, _, stderr) = command(&ws, "sync");
    assert_eq!(code, 2, "sync before any audit: {stderr}");
    assert!(stderr.contains("run `autodbaudit audit` first"), "{stderr}");
    let (code, _, stderr) = command(&ws, "audit");
    assert_eq!(code, 0, "{stderr}");
    let db = ws.join("audit_history.db");
    let first = {
        let h = history::History::open(&db).unwrap();
        h.target_findings(1, "typical").unwrap()
    };

    // On legacy: fix xp_cmdshell, break CLR, add a privileged login with a weak password.
    let legacy = &f.servers[0].1;
    let errors = legacy.execute_as(
        "autodbaudit",
        "EXEC sp_configure 'xp_cmdshell', 0; RECONFIGURE;
         EXEC sp_configure 'clr enabled', 1; RECONFIGURE;
         CREATE LOGIN newbie WITH PASSWORD = 'newbie', CHECK_POLICY = OFF;
         EXEC sp_addsrvrolemember 'newbie', 'sysadmin';",
    );
    assert!(errors.is_empty(), "{errors:?}");
    // typical becomes unreachable.
    drop(f.servers.remove(1));

    let (code, stdout, stderr) = command(&ws, "sync");
    assert_eq!(code, 3, "one target unreachable: {stdout}{stderr}");
    let h = history::History::open(&db).unwrap();
    let actions = h.actions(1).unwrap();
    let has = |target: &str, change: &str, check: &str, entity: &str| {
        actions.iter().any(|a| {
            a.target_id == target
                && a.change_type == change
                && a.check_id.as_deref() == Some(check)
                && a.entity.contains(entity)
        })
    };
    assert!(has("legacy", "fixed", "R10", "xp_cmdshell"), "{actions:#?}");
    assert!(
        has("legacy", "regression", "R10", "clr enabled"),
        "{actions:#?}"
    );
    assert!(has("legacy", "new", "R05", "newbie"), "{actions:#?}");
    // Nothing on the unreachable target is fixed; each of its failing entities is "not verified".
    assert!(
        !actions
            .iter()
            .any(|a| a.target_id == "typical" && a.change_type != "not_verified")
    );
    let failing: std::collections::BTreeSet<(String, String)> = first
        .iter()
        .filter(|f| audit_core::changes::is_discrepant(f.finding.status))
        .map(|f| (f.finding.check_id.to_string(), f.finding.entity_key.clone()))
        .collect();
    let unverified = actions.iter().filter(|a| a.target_id == "typical").count();
    assert_eq!(unverified, failing.len());
    // Only legacy changed: nothing else on it was logged.
    assert!(
        actions
            .iter()
            .filter(|a| a.target_id == "legacy")
            .all(|a| ["fixed", "regression", "new"].contains(&a.change_type.as_str()))
    );
    let logged = actions.len();
    drop(h);

    // Again, nothing changed: no new entries.
    let (code, _, stderr) = command(&ws, "sync");
    assert_eq!(code, 3, "{stderr}");
    let h = history::History::open(&db).unwrap();
    let now = h.actions(1).unwrap();
    assert_eq!(
        now.len(),
        logged,
        "a sync with no change logged: {:#?}",
        &now[logged.min(now.len())..]
    );
    // The workbook's Actions sheet lists them, with change types from its dropdown.
    let sheets = report::read_workbook(&workbook(&ws)).unwrap();
    let actions_sheet = sheets.iter().find(|s| s.name == "Actions").unwrap();
    assert_eq!(actions_sheet.rows.len(), logged);
    let change = actions_sheet
        .headers
        .iter()
        .position(|x| x == "Change Type")
        .unwrap();
    for row in &actions_sheet.rows {
        assert!(
            report::sheets::CHANGE_TYPES.contains(&row[change].as_str()),
            "{row:?}"
        );
    }
}

#[test]
fn a_workbook_that_is_not_xlsx_is_refused_and_nothing_changes() {
    let f = fleet(vec![(
        "hardened",
        fixtures::builtin("hardened-2022").unwrap(),
    )]);
    let ws = workspace_for(&f, "");
    let (code, _, stderr) = command(&ws, "audit");
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(workbook(&ws), "this is not a workbook").unwrap();
    let (code, _, stderr) = command(&ws, "sync");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    let h = history::History::open(&ws.join("audit_history.db")).unwrap();
    assert_eq!(h.runs(1).unwrap().len(), 1, "no run may be recorded");
    assert_eq!(
        std::fs::read(workbook(&ws)).unwrap(),
        b"this is not a workbook"
    );
}

#[test]
fn finalize_refuses_an_undocumented_fail_then_freezes_the_audit_until_definalize() {
    if !openpyxl() {
        return;
    }
    let f = fleet(vec![(
        "hardened",
        fixtures::builtin("hardened-2022").unwrap(),
    )]);
    let errors = f.servers[0].1.execute_as(
        "autodbaudit",
        "EXEC sp_configure 'show advanced options', 1; RECONFIGURE;
         EXEC sp_configure 'xp_cmdshell', 1; RECONFIGURE;
         EXEC sp_configure 'show advanced options', 0; RECONFIGURE;",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let ws = workspace_for(&f, "");
    let (code, _, stderr) = command(&ws, "audit");
    assert_eq!(code, 0, "{stderr}");

    let (code, stdout, stderr) = run(ws.cmd().arg("finalize"));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("cannot be finalized"), "{stderr}");
    assert!(
        stdout.contains("xp_cmdshell"),
        "the open row is listed: {stdout}"
    );

    // Document it as an exception in the workbook; finalize imports it and succeeds.
    let path = workbook(&ws);
    let config = report::read_workbook(&path)
        .unwrap()
        .into_iter()
        .find(|s| s.name == "Configuration")
        .unwrap();
    let setting = config.headers.iter().position(|h| h == "Setting").unwrap();
    let row = config
        .rows
        .iter()
        .position(|r| r[setting] == "xp_cmdshell")
        .unwrap()
        + 1;
    edit(
        &path,
        serde_json::json!([{ "op": "annotate", "sheet": "Configuration", "row": row,
            "values": { "Review Status": "\u{2713} Exception", "Justification": "Legacy job runner; CHG-1234" } },
        // X03 WARNs mixed mode on the Instances row: the simulated server must stay in mixed
        // mode for the SQL login that audits it.
        { "op": "annotate", "sheet": "Instances", "row": 1,
            "values": { "Review Status": "\u{2713} Exception", "Justification": "SQL logins for the audit; CHG-1235" } }]),
    );
    let (code, stdout, stderr) = run(ws.cmd().arg("finalize"));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let final_dir = ws.join(&format!("output/{AUDIT}/final"));
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(&final_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let archive = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .unwrap();
    let checksum = std::fs::read_to_string(
        files
            .iter()
            .find(|p| p.to_string_lossy().ends_with(".sha256"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        checksum.split_whitespace().next().unwrap(),
        field_kit::sha256_file(archive).unwrap()
    );
    assert!(std::fs::metadata(archive).unwrap().permissions().readonly());
    assert_eq!(report::read_workbook(archive).unwrap().len(), 22);

    // Frozen: sync and audit refuse; definalize reopens.
    for command_name in ["sync", "audit"] {
        let (code, _, stderr) = command(&ws, command_name);
        assert_eq!(code, 2, "{command_name}: {stderr}");
        assert!(stderr.contains("finalized"), "{stderr}");
    }
    let (code, _, stderr) = run(ws.cmd().arg("definalize"));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn renamed_sheets_inserted_columns_garbage_and_duplicated_uuids_lose_nothing() {
    if !openpyxl() {
        return;
    }
    let f = fleet(vec![(
        "legacy",
        fixtures::builtin("legacy-2008r2").unwrap(),
    )]);
    let ws = workspace_for(&f, "");
    let (code, _, stderr) = command(&ws, "audit");
    assert_eq!(code, 0, "{stderr}");
    let path = workbook(&ws);
    let note = |sheet: &str, row: usize, text: &str| {
        serde_json::json!({ "op": "annotate", "sheet": sheet, "row": row,
            "values": { "Justification": text } })
    };
    let first = edit(
        &path,
        serde_json::json!([
            note("Triggers", 1, "audit trail trigger, owned by the DBA team"),
            note("Server Logins", 1, "first login"),
            note("Databases", 1, "first database"),
        ]),
    );
    let (code, _, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stderr}");

    // Then: the Triggers sheet renamed, a column inserted before the editable ones, garbage in a
    // dropdown cell, and a row's _UUID copied onto the next row, which gets a note of its own
    // (the copy is caught by comparing the _UUID with the name the row shows).
    let databases = report::read_workbook(&path)
        .unwrap()
        .into_iter()
        .find(|s| s.name == "Databases")
        .unwrap();
    let second_db_uuid = databases.rows[1][0].clone();
    edit(
        &path,
        serde_json::json!([
            { "op": "rename", "sheet": "Triggers", "to": "Triggers (old)" },
            { "op": "insert_col", "sheet": "Server Logins", "col": 3 },
            { "op": "annotate", "sheet": "Server Logins", "row": 1,
              "values": { "Review Status": "banana \u{1f34c}" } },
            { "op": "copy_uuid", "sheet": "Databases", "from": 1, "to": 2 },
            { "op": "annotate", "sheet": "Databases", "row": 2,
              "values": { "Notes": "typed on the row with a copied _UUID" } },
        ]),
    );
    let (code, stdout, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("sheet `Triggers` is missing"), "{stderr}");

    let after = rows_by_uuid(&path);
    // The renamed sheet's annotation stayed in the history and is back on the regenerated sheet.
    for a in &first {
        let key = (
            a["sheet"].as_str().unwrap().to_owned(),
            a["uuid"].as_str().unwrap().to_owned(),
        );
        assert_eq!(
            after[&key]["Justification"],
            a["values"]["Justification"].as_str().unwrap(),
            "{key:?}"
        );
    }
    // Garbage is kept as typed (it is not an exception), and the inserted column changed nothing.
    let logins_first = &after[&(
        "Server Logins".to_owned(),
        first[1]["uuid"].as_str().unwrap().to_owned(),
    )];
    assert_eq!(logins_first["Review Status"], "banana \u{1f34c}");
    assert_eq!(logins_first["Justification"], "first login");
    // The row whose _UUID was a copy names another database than the one it shows: it is
    // reported and its note applied to neither row (the first database keeps its own note).
    assert!(
        stderr.contains("belongs to") && stderr.contains("was not imported"),
        "{stderr}"
    );
    let second = &after[&("Databases".to_owned(), second_db_uuid)];
    assert_eq!(second["Notes"], "");
    let first_db = &after[&(
        "Databases".to_owned(),
        first[2]["uuid"].as_str().unwrap().to_owned(),
    )];
    assert_eq!(first_db["Justification"], "first database");
    assert_eq!(first_db["Notes"], "");
}

/// Row numbers (1 = first data row) of `sheet` whose `column` equals `value`.
fn row_of(path: &Path, sheet: &str, column: &str, value: &str) -> usize {
    let sheet = report::read_workbook(path)
        .unwrap()
        .into_iter()
        .find(|s| s.name == sheet)
        .unwrap();
    let c = sheet.headers.iter().position(|h| h == column).unwrap();
    sheet.rows.iter().position(|r| r[c] == value).unwrap() + 1
}

#[test]
fn audit_new_starts_its_own_baseline_and_commands_follow_the_latest_audit() {
    let f = fleet(vec![(
        "legacy",
        fixtures::builtin("legacy-2008r2").unwrap(),
    )]);
    let ws = workspace_for(&f, "");
    let audit_new = |name: &str| {
        run(ws
            .cmd()
            .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
            .args(["audit", "--new", name]))
    };
    let (code, _, stderr) = command(&ws, "audit");
    assert_eq!(code, 0, "{stderr}");

    // Names that cannot be a folder, and a name in use, are refused before anything is written.
    for bad in ["a/b", "CON", "trailing.", ""] {
        let (code, _, stderr) = audit_new(bad);
        assert_eq!(code, 2, "--new {bad:?}: {stderr}");
    }
    let (code, _, stderr) = audit_new(AUDIT);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
    let db = ws.join("audit_history.db");
    {
        let h = history::History::open(&db).unwrap();
        assert!(h.find_audit("a/b").unwrap().is_none());
        assert_eq!(h.latest_audit().unwrap().unwrap().name, AUDIT);
        assert_eq!(h.runs(1).unwrap().len(), 1);
    }

    // Fixed between the audits: the new audit's baseline already has it fixed.
    let errors = f.servers[0].1.execute_as(
        "autodbaudit",
        "EXEC sp_configure 'xp_cmdshell', 0; RECONFIGURE;",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let (code, stdout, stderr) = audit_new("2027-H1");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(ws.join("output/2027-H1/2027-H1.xlsx").exists());
    let findings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.join("output/2027-H1/findings.json")).unwrap())
            .unwrap();
    assert_eq!(findings["audit"], "2027-H1");

    // sync continues the latest audit and compares within it only: nothing changed since
    // its own baseline, so nothing is logged in either audit.
    let (code, stdout, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("sync of audit `2027-H1`"), "{stdout}");
    let (code, stdout, _) = run(ws.cmd().args(["status", "--format", "json"]));
    assert_eq!(code, 0);
    let status: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(status["audit"], "2027-H1");
    {
        let h = history::History::open(&db).unwrap();
        let new = h.find_audit("2027-H1").unwrap().unwrap();
        assert!(
            h.actions(new.id).unwrap().is_empty(),
            "{:#?}",
            h.actions(new.id)
        );
        assert!(h.actions(1).unwrap().is_empty());
        assert_eq!(h.runs(1).unwrap().len(), 1, "the first audit is untouched");
        assert_eq!(h.runs(new.id).unwrap().len(), 2);
    }
    // The first audit's workbook is untouched too.
    assert!(ws.join(&format!("output/{AUDIT}/{AUDIT}.xlsx")).exists());

    // `audit` without --new continues the latest audit, and says the configuration names
    // another one.
    let (code, _, stderr) = command(&ws, "audit");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("continuing the latest audit `2027-H1`"),
        "{stderr}"
    );
    // Once the latest audit is finalized, `audit` refuses and points to --new.
    let (code, _, stderr) = run(ws.cmd().args(["finalize", "--force"]));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = command(&ws, "audit");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("audit --new NAME"), "{stderr}");
    let (code, _, stderr) = audit_new("2027-H2");
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn an_exception_on_a_row_that_now_passes_is_reported_as_no_longer_needed() {
    if !openpyxl() {
        return;
    }
    let f = fleet(vec![(
        "hardened",
        fixtures::builtin("hardened-2022").unwrap(),
    )]);
    let sim = &f.servers[0].1;
    let errors = sim.execute_as(
        "autodbaudit",
        "EXEC sp_configure 'show advanced options', 1; RECONFIGURE;
         EXEC sp_configure 'xp_cmdshell', 1; RECONFIGURE;",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let ws = workspace_for(&f, "");
    let (code, _, stderr) = command(&ws, "audit");
    assert_eq!(code, 0, "{stderr}");
    let path = workbook(&ws);
    let row = row_of(&path, "Configuration", "Setting", "xp_cmdshell");
    let justification = "Legacy job runner; CHG-1234";
    edit(
        &path,
        serde_json::json!([{ "op": "annotate", "sheet": "Configuration", "row": row,
            "values": { "Review Status": "\u{2713} Exception", "Justification": justification } }]),
    );
    let (code, stdout, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(!stdout.contains("no longer needed"), "{stdout}");

    // The DBA turns xp_cmdshell off: the row passes, the exception is no longer needed.
    let errors = sim.execute_as(
        "autodbaudit",
        "EXEC sp_configure 'xp_cmdshell', 0; RECONFIGURE;",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let (code, stdout, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("1 documented exception(s) are no longer needed")
            || stderr.contains("1 documented exception(s) are no longer needed"),
        "{stdout}{stderr}"
    );
    assert!(stdout.contains("xp_cmdshell"), "{stdout}");
    let db = ws.join("audit_history.db");
    let kinds = |h: &history::History| -> Vec<(String, String)> {
        h.actions(1)
            .unwrap()
            .into_iter()
            .map(|a| (a.change_type, a.entity))
            .collect()
    };
    let logged = kinds(&history::History::open(&db).unwrap());
    let count = |change: &str| {
        logged
            .iter()
            .filter(|(c, e)| c == change && e.contains("xp_cmdshell"))
            .count()
    };
    assert_eq!(count("exception_added"), 1, "{logged:#?}");
    assert_eq!(count("fixed"), 1, "{logged:#?}");
    assert_eq!(count("exception_unneeded"), 1, "{logged:#?}");
    // The exception itself is kept (the auditor withdraws it), and the Actions sheet says so.
    let rows = rows_by_uuid(&path);
    let kept = rows
        .values()
        .find(|r| r.get("Setting").map(String::as_str) == Some("xp_cmdshell"))
        .unwrap();
    assert_eq!(kept["Justification"], justification);
    assert_eq!(kept["Status"], "\u{2713} Pass");
    let actions = report::read_workbook(&path)
        .unwrap()
        .into_iter()
        .find(|s| s.name == "Actions")
        .unwrap();
    assert!(
        actions.rows.iter().any(|r| r
            .iter()
            .any(|c| c == "\u{1f9f9} Exception No Longer Needed")),
        "{:?}",
        actions.rows
    );
    // Reported on every sync while it stands, logged once.
    let (code, stdout, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("xp_cmdshell"), "{stdout}");
    assert_eq!(kinds(&history::History::open(&db).unwrap()), logged);
}

#[test]
fn a_workbook_re_saved_by_libreoffice_loses_no_annotation() {
    if !openpyxl() || !common::libreoffice() {
        return;
    }
    let h = hostile();
    let f = fleet(vec![
        ("legacy", fixtures::builtin("legacy-2008r2").unwrap()),
        ("hostile", h.instance.clone()),
    ]);
    let ws = workspace_for(&f, "");
    let (code, _, stderr) = command(&ws, "audit");
    assert_eq!(code, 0, "{stderr}");
    let path = workbook(&ws);
    let mut edits = every_sheet_annotated();
    let hostile_row = row_of(&path, "Server Logins", "Login Name", h.login);
    edits.push(serde_json::json!({
        "op": "annotate", "sheet": "Server Logins", "row": hostile_row,
        "values": { "Review Status": "\u{23f3} Needs Review", "Notes": "hostile login, kept" }
    }));
    let annotated = edit(&path, serde_json::Value::Array(edits));
    common::resave_with_libreoffice(&path);

    let (code, stdout, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "annotations imported:     {} changed rows",
            annotated.len()
        )),
        "{stdout}"
    );
    assert!(!stdout.contains("matches no row"), "{stdout}");
    let after = rows_by_uuid(&path);
    assert_kept(&after, &annotated);
    // Re-saved again after the sync: nothing changes, nothing is lost.
    common::resave_with_libreoffice(&path);
    let (code, stdout, stderr) = command(&ws, "sync");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("annotations imported:     0 changed rows"),
        "{stdout}"
    );
}

#[cfg(unix)]
#[test]
fn a_sync_killed_at_any_moment_loses_nothing_and_the_next_sync_completes() {
    if !openpyxl() {
        return;
    }
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
    let (code, _, stderr) = command(&ws, "audit");
    assert_eq!(code, 0, "{stderr}");
    let path = workbook(&ws);

    // Exceptions and notes on rows of several sheets, and a change on a server.
    let mut edits = Vec::new();
    for sheet in ["Server Logins", "Configuration", "Databases", "Instances"] {
        for row in 1..=3 {
            edits.push(serde_json::json!({
                "op": "annotate", "sheet": sheet, "row": row,
                "values": {
                    "Review Status": "\u{2713} Exception",
                    "Justification": format!("{sheet} {row}: approved ]'--"),
                    "Notes": format!("kept through kills {row}"),
                }
            }));
        }
    }
    let annotated = edit(&path, serde_json::Value::Array(edits));
    let errors = f.servers[0].1.execute_as(
        "autodbaudit",
        "CREATE LOGIN newbie WITH PASSWORD = 'newbie', CHECK_POLICY = OFF;
         EXEC sp_addsrvrolemember 'newbie', 'sysadmin';",
    );
    assert!(errors.is_empty(), "{errors:?}");

    let db = ws.join("audit_history.db");
    // The kills land at fractions of how long a whole sync takes on this machine now (fixed
    // delays all fell before the run began when the machine was loaded): one sync first, timed.
    let started = std::time::Instant::now();
    let (code, stdout, stderr) = command(&ws, "sync");
    assert!(code == 0, "{stdout}{stderr}");
    let whole = started.elapsed().as_millis() as u64;
    let delays = [2u64, 5, 10, 20, 30, 45, 60, 75, 90].map(|percent| whole * percent / 100);
    for delay_ms in delays {
        let mut child = ws
            .cmd()
            .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
            .arg("sync")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();

        let h = history::History::open(&db).unwrap();
        assert_eq!(h.integrity_check().unwrap(), "ok", "after {delay_ms} ms");
        for run in h.runs(1).unwrap() {
            if !matches!(
                run.status,
                history::RunStatus::Completed | history::RunStatus::CompletedWithErrors
            ) {
                assert!(
                    h.run_targets(run.id).unwrap().is_empty(),
                    "half-written run {} after {delay_ms} ms",
                    run.id
                );
            }
        }
        drop(h);
        // The workbook is always a whole one (the previous or the new), with every annotation.
        let rows = rows_by_uuid(&path);
        for a in &annotated {
            let key = (
                a["sheet"].as_str().unwrap().to_owned(),
                a["uuid"].as_str().unwrap().to_owned(),
            );
            assert_eq!(
                rows[&key]["Justification"],
                a["values"]["Justification"].as_str().unwrap(),
                "after {delay_ms} ms"
            );
        }
    }
    let (code, stdout, stderr) = command(&ws, "sync");
    assert!(code == 0, "{stdout}{stderr}");
    let (code, _, stderr) = command(&ws, "sync");
    assert!(code == 0, "{stderr}");

    // Every change logged exactly once: no kill lost one, none was logged twice.
    let h = history::History::open(&db).unwrap();
    let runs = h.runs(1).unwrap();
    assert!(
        runs.iter().all(|r| r.status != history::RunStatus::Running),
        "{runs:?}"
    );
    assert!(
        runs.iter().any(|r| r.status == history::RunStatus::Failed),
        "no kill landed during a sync: {runs:?}"
    );
    let actions = h.actions(1).unwrap();
    let mut seen = std::collections::BTreeMap::new();
    for a in &actions {
        *seen
            .entry((
                a.target_id.clone(),
                a.sheet.clone(),
                a.entity_key.clone(),
                a.check_id.clone(),
                a.change_type.clone(),
            ))
            .or_insert(0) += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "logged twice: {twice:#?}");
    let added = actions
        .iter()
        .filter(|a| a.change_type == "exception_added")
        .count();
    assert_eq!(added, annotated.len(), "{actions:#?}");
    assert!(
        actions
            .iter()
            .any(|a| a.target_id == "t00" && a.change_type == "new" && a.entity.contains("newbie")),
        "{actions:#?}"
    );
    let annotations = h.annotations(1).unwrap();
    assert_eq!(
        annotations
            .values()
            .filter(|a| a.is_documented_exception())
            .count(),
        annotated.len()
    );
    assert_kept(&rows_by_uuid(&path), &annotated);
}
