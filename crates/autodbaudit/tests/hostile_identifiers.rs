//! The hostile-identifier suite (issue 15): the built-in fixture `builtin:hostile` names its
//! logins, databases, users, roles, linked server and trigger to break quoting (`]`, `'`, `"`),
//! comments (`--`, `/*`), placeholders (`$(AUTODBAUDIT_SA_PASSWORD)`, `$(X)`), spreadsheets
//! (`=cmd|' /C calc'!A0`, `+`, `@`, `-`), terminals and reviewers (U+202E, U+200B, BEL), with
//! 128 characters, an emoji, padding spaces and case twins. The real binary audits it, the
//! workbook is read back by openpyxl (every cell literal text, no formula), an annotation on a
//! hostile row survives sync, and remediate generate + apply are checked against the
//! simulator's statement log: no secret anywhere but in the PASSWORD literal of its own ALTER
//! LOGIN, and every identifier a changing statement names is one the server has.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::fleet::{Fleet, fleet, workspace_for};
use common::{Workspace, run};
use mssql_sim::fixtures::{self, DEMO_PASSWORD};

const AUDIT: &str = "2026-H2";
const FORMULA: &str = "=cmd|' /C calc'!A0";
const SA_LIKE: &str = "$(AUTODBAUDIT_SA_PASSWORD)";
/// Names the quoting rules refuse: their fixes are manual steps.
const UNSCRIPTABLE: [&str; 3] = ["admin\u{202E}nimda", "zero\u{200B}width", "bell\u{7}ctl"];
/// Characters that must never reach a script or the terminal raw.
const HIDDEN: [char; 4] = ['\u{202E}', '\u{200B}', '\u{7}', '\u{1b}'];

fn command(ws: &Workspace, args: &[&str]) -> (i32, String, String) {
    run(ws
        .cmd()
        .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
        .args(args))
}

fn step(ws: &Workspace, args: &[&str], printed: &mut String) {
    let (code, stdout, stderr) = command(ws, args);
    assert_eq!(code, 0, "{args:?}: {stdout}{stderr}");
    printed.push_str(&stdout);
    printed.push_str(&stderr);
}

fn workbook(ws: &Workspace) -> PathBuf {
    ws.join(&format!("output/{AUDIT}/{AUDIT}.xlsx"))
}

/// Every cell of the workbook as openpyxl reads it: (sheet, cell, data type, value).
fn cells(path: &std::path::Path) -> Vec<(String, String, String, String)> {
    let script = r#"
import json, sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1])
out = []
for ws in book.worksheets:
    for row in ws.iter_rows():
        for c in row:
            if c.value is not None:
                out.append([ws.title, c.coordinate, c.data_type, str(c.value)])
json.dump(out, sys.stdout, ensure_ascii=False)
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The 1-based data row of `sheet` whose `column` is `value`, read with our reader.
fn row_of(
    ws: &Workspace,
    sheet: &str,
    column: &str,
    value: &str,
) -> (usize, Vec<String>, Vec<String>) {
    let s = report::read_workbook(&workbook(ws))
        .unwrap()
        .into_iter()
        .find(|s| s.name == sheet)
        .unwrap();
    let c = s.headers.iter().position(|h| h == column).unwrap();
    let at = s
        .rows
        .iter()
        .position(|r| r[c] == value)
        .unwrap_or_else(|| panic!("no {sheet} row with {column} = {value:?}"));
    (at + 1, s.headers.clone(), s.rows[at].clone())
}

/// The bracketed identifiers of a T-SQL statement, unquoted (`]]` → `]`); strings and comments
/// skipped.
fn identifiers(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                while let Some(d) = chars.next() {
                    if d == '\'' {
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
            }
            '[' => {
                let mut name = String::new();
                while let Some(d) = chars.next() {
                    if d == ']' {
                        if chars.peek() == Some(&']') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    name.push(d);
                }
                out.push(name);
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Every string in the instance (names of everything it holds).
fn strings(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::String(s) => {
            out.insert(s.clone());
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(o) => {
            for (k, v) in o {
                out.insert(k.clone());
                strings(v, out);
            }
        }
        _ => {}
    }
}

/// (placeholder, login, password) of every entry of the target's secrets file.
fn secrets(ws: &Workspace) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(
        ws.join(&format!("output/{AUDIT}/remediation/hostile/secrets.txt")),
    )
    .unwrap();
    let mut out = Vec::new();
    let (mut name, mut login) = (String::new(), String::new());
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        if let Some(n) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            name = n.to_owned();
        } else if let Some(l) = line.strip_prefix("login = ") {
            login = serde_json::from_str(l).unwrap();
        } else if let Some(p) = line.strip_prefix("password = ") {
            out.push((name.clone(), login.clone(), p.to_owned()));
        }
    }
    out
}

fn in_sysadmin(f: &Fleet, login: &str) -> bool {
    f.servers[0]
        .1
        .instance()
        .login(login)
        .unwrap_or_else(|| panic!("login {login:?} is gone"))
        .roles
        .iter()
        .any(|r| r == "sysadmin")
}

#[test]
fn hostile_names_survive_audit_workbook_sync_and_remediation() {
    let instance = fixtures::builtin("hostile").unwrap();
    let mut known = BTreeSet::new();
    strings(&serde_json::to_value(&instance).unwrap(), &mut known);
    let f = fleet(vec![("hostile", instance)]);
    let ws = workspace_for(&f, "");
    let mut printed = String::new();

    // Audit: the workbook holds every hostile name as literal text, never a formula.
    step(&ws, &["audit"], &mut printed);
    assert!(
        common::openpyxl(),
        "openpyxl is needed to read the workbook independently"
    );
    let all = cells(&workbook(&ws));
    let formulas: Vec<_> = all.iter().filter(|c| c.2 == "f").collect();
    assert!(
        formulas.is_empty(),
        "formulas in the workbook: {formulas:?}"
    );
    for name in [
        FORMULA,
        "+SUM(1,2)",
        "@SUM(1,2)",
        "-2+3",
        SA_LIKE,
        "$(X)",
        "bad]name",
        "o'brien",
        "quote\"d",
    ] {
        assert!(
            all.iter().any(|c| c.2 == "s" && c.3 == name),
            "{name:?} is not a text cell of the workbook"
        );
    }

    // Sync: an annotation on a hostile row stays on that row.
    let (row, _, _) = row_of(&ws, "Server Logins", "Login Name", FORMULA);
    common::edit(
        &workbook(&ws),
        serde_json::json!([{ "op": "annotate", "sheet": "Server Logins", "row": row,
            "values": { "Notes": "checked with the DBA: =1+1 stays text; CHG-15", "Justification": "$(X) stays text" } }]),
    );
    step(&ws, &["sync"], &mut printed);
    let (_, headers, values) = row_of(&ws, "Server Logins", "Login Name", FORMULA);
    let value = |h: &str| values[headers.iter().position(|x| x == h).unwrap()].clone();
    assert_eq!(
        value("Notes"),
        "checked with the DBA: =1+1 stays text; CHG-15"
    );
    assert_eq!(value("Justification"), "$(X) stays text");
    let after_sync = cells(&workbook(&ws));
    assert!(
        after_sync.iter().all(|c| c.2 != "f"),
        "sync wrote a formula"
    );

    // Remediation: generate and apply at level 3.
    step(
        &ws,
        &["remediate", "generate", "--level", "3"],
        &mut printed,
    );
    let fix =
        std::fs::read_to_string(ws.join(&format!("output/{AUDIT}/remediation/hostile/fix.sql")))
            .unwrap();
    assert!(!fix.contains(HIDDEN), "a hidden character in the script");
    assert!(fix.contains("run this script ONLY with `autodbaudit remediate apply`"));
    step(&ws, &["remediate", "apply", "--dry-run"], &mut printed);
    let before = f.servers[0].1.statements().len();
    step(&ws, &["remediate", "apply"], &mut printed);
    let history = history::History::open(&ws.join("audit_history.db")).unwrap();
    let batches = history.remediation_batches(1).unwrap();
    assert!(batches.iter().all(|b| b.outcome != "error"), "{batches:#?}");
    assert!(batches.iter().any(|b| b.outcome == "ok"), "{batches:#?}");

    // What the fixes intend, on the principal they name.
    for login in [
        SA_LIKE,
        "$(X)",
        "bad]name",
        "o'brien",
        FORMULA,
        "fire \u{1F525} login",
    ] {
        assert!(!in_sysadmin(&f, login), "{login:?} is still sysadmin");
    }
    let long = f.servers[0]
        .1
        .instance()
        .logins
        .iter()
        .find(|l| l.name.chars().count() == 128)
        .unwrap()
        .name
        .clone();
    assert!(
        !in_sysadmin(&f, &long),
        "the 128-character login is still sysadmin"
    );
    for login in UNSCRIPTABLE {
        assert!(
            in_sysadmin(&f, login),
            "{login:?} was touched: it is a manual step"
        );
    }
    assert!(
        in_sysadmin(&f, "autodbaudit"),
        "the audit login locked itself out"
    );

    // The statement log: every secret only in its own ALTER LOGIN's PASSWORD literal.
    let sent = f.servers[0].1.statements()[before..].to_vec();
    let entries = secrets(&ws);
    assert!(
        entries.len() >= 3,
        "sa, {SA_LIKE} and the 128-character login: {entries:?}"
    );
    let logins: BTreeSet<&str> = entries.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(
        logins.len(),
        entries.len(),
        "a login with two passwords: {entries:?}"
    );
    for (_, login, password) in &entries {
        let expected = format!(
            "ALTER LOGIN [{}] WITH PASSWORD = N'{}'",
            login.replace(']', "]]"),
            password
        );
        let holding: Vec<&str> = sent
            .iter()
            .filter(|s| s.text.contains(password.as_str()))
            .map(|s| s.text.as_str())
            .collect();
        assert!(
            !holding.is_empty(),
            "the password of {login:?} was never sent"
        );
        for text in holding {
            assert_eq!(
                text.matches(password.as_str()).count(),
                1,
                "{login:?}: {text}"
            );
            assert!(
                text.contains(&expected),
                "the password of {login:?} was sent outside its ALTER LOGIN: {text}"
            );
            assert!(
                !identifiers(text)
                    .iter()
                    .any(|i| i.contains(password.as_str()))
            );
        }
    }
    // Every identifier a changing statement names is one the server had (or sa's new name):
    // nothing truncated, merged, substituted or invented.
    for s in sent
        .iter()
        .filter(|s| s.access == mssql_sim::engine::Access::Mutating)
    {
        for id in identifiers(&s.text) {
            assert!(
                known.contains(&id) || id == "$@" || id == "fact:outcome" || id == "master",
                "{id:?} is not a name the server has: {}",
                s.text
            );
        }
    }

    // Nothing hidden reached the terminal.
    for c in HIDDEN {
        assert!(!printed.contains(c), "{c:?} reached the terminal");
    }
}
