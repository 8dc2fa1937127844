//! `autodbaudit audit` end to end: the real binary audits simulated SQL Servers over TCP in
//! parallel, writes findings.json, and changes nothing on the servers.

mod common;

use common::fleet::{Fleet, Hostile, fleet, hostile, workspace_for};
use common::{Workspace, run};
use mssql_sim::fixtures::{self, DEMO_PASSWORD};

fn findings(ws: &Workspace) -> serde_json::Value {
    let path = ws.join("output");
    let audit_dir = std::fs::read_dir(&path)
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.path().join("findings.json").is_file())
        .unwrap_or_else(|| panic!("no findings.json under {}", path.display()));
    serde_json::from_slice(&std::fs::read(audit_dir.path().join("findings.json")).unwrap()).unwrap()
}

#[test]
fn audits_every_builtin_version_in_parallel_read_only() {
    let fleet = fleet(
        fixtures::BUILTIN
            .iter()
            .map(|name| (*name, fixtures::builtin(name).unwrap()))
            .collect(),
    );
    let ws = workspace_for(&fleet, "");
    let (code, stdout, stderr) = run(ws
        .cmd()
        .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
        .args(["audit", "--concurrency", "4"]));
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("findings: "), "{stdout}");
    let doc = findings(&ws);
    let targets = doc["targets"].as_array().unwrap();
    assert_eq!(targets.len(), fixtures::BUILTIN.len());
    assert!(targets.iter().all(|t| t["reached"] == true), "{targets:?}");
    assert_eq!(targets[0]["version"], "10.50.6000.34");
    assert_eq!(doc["run"]["complete"], true);
    // Every finding carries its check's references, as `autodbaudit checks --format json`.
    let found = doc["findings"].as_array().unwrap();
    for f in found {
        for list in [
            "cis",
            "stig_2016",
            "stig_2022",
            "va",
            "dbachecks",
            "sp_blitz",
        ] {
            assert!(f["references"][list].is_array(), "{f}");
        }
    }
    let r10 = found.iter().find(|f| f["check_id"] == "R10").unwrap();
    assert_eq!(
        r10["references"]["cis"][0],
        serde_json::json!({"benchmark": "CIS SQL Server 2019/2022", "item": "2.2"})
    );
    assert!(
        r10["references"]["stig_2022"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("SQLI-22-007200"))
    );
    let r14 = found.iter().find(|f| f["check_id"] == "R14").unwrap();
    assert_eq!(r14["references"]["cis"], serde_json::json!([]));
    // Read-only: no instance received a statement that could change it.
    for (id, server) in &fleet.servers {
        let log = server.statements();
        assert!(!log.is_empty(), "{id} was not queried");
        let mutating: Vec<_> = log
            .iter()
            .filter(|s| s.access != mssql_sim::engine::Access::Read)
            .collect();
        assert!(mutating.is_empty(), "{id}: {mutating:?}");
        // The counts cover every statement, even those the bounded log dropped.
        assert_eq!(server.statement_counts().not_read(), 0, "{id}");
        // The password never reaches the run log or findings.json.
    }
    let everything = format!("{}{}{}", stdout, stderr, ws.logs());
    assert!(!everything.contains(DEMO_PASSWORD));
    assert!(!doc.to_string().contains(DEMO_PASSWORD));
}

#[test]
fn unreachable_and_failing_targets_are_reported_and_the_rest_audited() {
    let mut refusing = fixtures::builtin("sql2016").unwrap();
    refusing.faults.refuse = true;
    let mut hanging = fixtures::builtin("sql2017").unwrap();
    hanging.faults.hang = true;
    let mut failing = fixtures::builtin("sql2012").unwrap();
    failing.faults.fail_logins = true;
    let mut slow = fixtures::builtin("sql2025").unwrap();
    slow.faults.latency_ms = Some(20);
    let mut dropping = fixtures::builtin("sql2014").unwrap();
    dropping.faults.drop_after_packets = Some(6);
    let fleet = fleet(vec![
        ("good", fixtures::builtin("typical-2019").unwrap()),
        ("refusing", refusing),
        ("hanging", hanging),
        ("failing", failing),
        ("slow", slow),
        ("dropping", dropping),
    ]);
    let ws = workspace_for(&fleet, "");
    let started = std::time::Instant::now();
    let (code, stdout, stderr) = run(ws
        .cmd()
        .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
        .arg("audit"));
    assert_eq!(code, 3, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "bounded by the timeouts"
    );
    let doc = findings(&ws);
    let by_id = |id: &str| {
        doc["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["target_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("good")["reached"], true);
    assert_eq!(by_id("slow")["reached"], true, "slow packets are only slow");
    // A connection dropped mid-result keeps what was read before; the rest is UNKNOWN with
    // the reason, or the target is unreached if it dropped before the first answer.
    let dropped_gaps = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["target_id"] == "dropping" && f["status"] == "UNKNOWN");
    assert!(dropped_gaps, "the dropped connection left no UNKNOWN");
    for (id, words) in [
        ("refusing", "cannot connect"),
        ("hanging", "within 3 s"),
        ("failing", "18456"),
    ] {
        let t = by_id(id);
        assert_eq!(t["reached"], false, "{id}");
        assert!(t["reason"].as_str().unwrap().contains(words), "{id}: {t}");
    }
    assert!(
        stderr.contains("3 of 6 targets could not be audited"),
        "{stderr}"
    );
}

#[test]
fn selection_and_credential_errors_are_usage_errors_that_touch_nothing() {
    let fleet = fleet(vec![("one", fixtures::builtin("sql2014").unwrap())]);
    let ws = workspace_for(&fleet, "");
    let (code, _, stderr) = run(ws
        .cmd()
        .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
        .args(["audit", "--targets", "nope"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no target has the id `nope`") && stderr.contains("one"),
        "{stderr}"
    );
    let (code, _, stderr) = run(ws.cmd().arg("audit"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("AUTODBAUDIT_TEST_PASSWORD"), "{stderr}");
    assert!(!ws.join("output/findings.json").exists());
    assert!(
        fleet.servers[0].1.statements().is_empty(),
        "nothing was sent"
    );
}

/// (check, status, a word the entity or message contains) of a target in findings.json.
fn has(doc: &serde_json::Value, target: &str, check: &str, status: &str, word: &str) -> bool {
    doc["findings"].as_array().unwrap().iter().any(|f| {
        f["target_id"] == target
            && f["check_id"] == check
            && f["status"] == status
            && (f["entity"].as_str().unwrap().contains(word)
                || f["message"].as_str().unwrap().contains(word))
    })
}

#[test]
fn the_builtin_fixtures_give_the_findings_they_were_built_for() {
    let fleet = fleet(
        ["legacy-2008r2", "typical-2019", "hardened-2022"]
            .into_iter()
            .map(|name| (name, fixtures::builtin(name).unwrap()))
            .collect(),
    );
    let ws = workspace_for(&fleet, "");
    let (code, stdout, stderr) = run(ws
        .cmd()
        .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
        .arg("audit"));
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let doc = findings(&ws);
    let legacy = [
        ("R02", "FAIL", ""),
        ("R03", "WARN", ""),
        ("R04", "FAIL", "sa"),
        ("R05", "FAIL", "app_admin"),
        ("R06", "FAIL", "LocalSystem"),
        ("R07", "WARN", "old_vendor"),
        ("R09", "FAIL", "report_user"),
        ("R10", "FAIL", "xp_cmdshell"),
        ("R12", "REVIEW", "trg_logon_audit"),
        ("R13", "FAIL", "ghost_user"),
        ("R13", "FAIL", "guest"),
        ("R14", "FAIL", ""),
        ("R15", "WARN", "AdventureWorks2008R2"),
        ("R16", "FAIL", "Ad Hoc Distributed Queries"),
        ("R17", "WARN", "Named Pipes"),
        ("R18", "FAIL", "Database Mail XPs"),
        ("R19", "WARN", "Browser"),
        ("R20", "FAIL", "remote access"),
        ("R21", "WARN", "Reporting Services"),
        ("R22", "FAIL", ""),
        ("R25", "FAIL", "LEGACY_LINK"),
        ("X01", "FAIL", "SalesDB"),
        ("X02", "FAIL", "SalesDB"),
        ("X11", "FAIL", "Replication XPs"),
        ("X11", "FAIL", "SQL Mail XPs"),
        ("X11", "PASS", "filestream access level"),
        ("X12", "FAIL", "app_admin"),
        ("X03", "WARN", "mixed mode"),
        ("X13", "FAIL", "ALTER TRACE"),
        ("X14", "FAIL", "LEGACYSQL01\\Administrators"),
        ("X16", "WARN", "WIN-7Q2L0K1E3B"),
        ("X17", "WARN", "old_vendor"),
        ("X09", "WARN", "Force Encryption is off:"),
        ("X18", "FAIL", "ETL CmdExec"),
        ("X19", "REVIEW", "LEGACYSQL01\\etl_batch"),
        ("X21", "WARN", "LocalSystem"),
        ("X44", "FAIL", "LEGACYSQL01\\contractor"),
        ("X45", "FAIL", "sys.xp_cmdshell"),
        ("X45", "FAIL", "cmdshell_proxy"),
        ("X46", "FAIL", "sys.xp_regread"),
        ("X47", "FAIL", "sys.xp_dirtree"),
        ("X48", "REVIEW", "sp_vendor_agent_start"),
        ("X49", "REVIEW", "xp_legacy_crypt"),
        ("X50", "FAIL", "Mirroring"),
        ("X50", "REVIEW", "BrokerTrial"),
        ("X51", "REVIEW", "app_admin"),
        ("X52", "FAIL", "sp_dts_getpackage"),
        ("X56", "FAIL", "report_user"),
    ];
    for (check, status, word) in legacy {
        assert!(
            has(&doc, "legacy-2008r2", check, status, word),
            "legacy-2008r2: no {check} {status} `{word}`"
        );
    }
    for (check, status, word) in [
        ("R03", "WARN", ""),
        ("R04", "WARN", "sa"),
        ("R06", "WARN", "NT Service"),
        ("R10", "FAIL", "clr enabled"),
        ("R11", "FAIL", "Payroll"),
        ("X11", "FAIL", "filestream access level"),
        ("X12", "WARN", "limited_auditor"),
        ("X12", "PASS", "payroll_app"),
        ("X15", "REVIEW", "CORP\\RPTSRV01$"),
        ("X09", "WARN", "10.20.1.12 (2)"),
        ("X18", "PASS", "SSIS packages"),
        ("X19", "REVIEW", "SQLAgentOperatorRole"),
        ("X20", "INFO", "AzureKeyVault_EKM"),
        ("X21", "WARN", "CORP\\svc_sqlbi"),
        ("X45", "PASS", ""),
        ("X47", "FAIL", "sys.xp_fileexist"),
        ("X50", "PASS", "Hadr_endpoint"),
        ("X51", "REVIEW", "CORP\\svc_reporting"),
    ] {
        assert!(
            has(&doc, "typical-2019", check, status, word),
            "typical-2019: no {check} {status} `{word}`"
        );
    }
    // X56's path is in findings.json as data too, one object per step.
    let path = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["target_id"] == "legacy-2008r2" && f["check_id"] == "X56")
        .map(|f| f["path"].clone())
        .unwrap();
    let steps = path.as_array().unwrap();
    assert_eq!(steps.len(), 5, "{path}");
    assert_eq!(steps[0]["from"], "login report_user");
    assert_eq!(steps[0]["edge"], "maps to");
    assert_eq!(steps[3]["to"], "login app_admin");
    assert_eq!(steps[4]["to"], "sysadmin");
    let hardened: Vec<&serde_json::Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["target_id"] == "hardened-2022" && (f["status"] == "FAIL" || f["status"] == "WARN")
        })
        // The one exception: X03 WARNs mixed mode, and the simulated hardened server must stay
        // in mixed mode because this test audits it with a SQL login.
        .filter(|f| !(f["check_id"] == "X03" && f["entity_type"] == "authentication_mode"))
        .collect();
    assert!(hardened.is_empty(), "hardened-2022: {hardened:#?}");
    // Every finding carries what the file format promises.
    for f in doc["findings"].as_array().unwrap() {
        for field in [
            "check_id",
            "title",
            "status",
            "severity",
            "target_id",
            "server",
            "entity_type",
            "entity",
            "entity_key",
            "message",
            "evidence",
            "remediation_category",
        ] {
            assert!(!f[field].is_null(), "{field} missing in {f}");
        }
    }
}

#[test]
fn hostile_identifiers_come_through_intact() {
    let Hostile {
        instance,
        login,
        long,
        database,
        linked_server,
    } = hostile();
    let fleet = fleet(vec![("hostile", instance)]);
    let ws = workspace_for(&fleet, "");
    let (code, stdout, stderr) = run(ws
        .cmd()
        .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
        .arg("audit"));
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let doc = findings(&ws);
    let entities: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["entity"].as_str().unwrap())
        .collect();
    for name in [login, long.as_str(), database, linked_server] {
        assert!(
            entities.iter().any(|e| e.contains(name)),
            "`{name}` not found intact in {entities:?}"
        );
    }
    assert!(
        has(&doc, "hostile", "X01", "FAIL", database),
        "TRUSTWORTHY on the hostile database"
    );
    assert!(has(&doc, "hostile", "X03", "REVIEW", login));
    // Keys stay unique per check.
    let mut keys: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["check_id"].to_string(),
                f["entity_key"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let total = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), total, "duplicate entity keys");
    // Nothing the server holds was executed: every statement it received was a read.
    assert!(
        fleet.servers[0]
            .1
            .statements()
            .iter()
            .all(|s| s.access == mssql_sim::engine::Access::Read)
    );
    assert_eq!(fleet.servers[0].1.statement_counts().not_read(), 0);
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_run_and_keeps_what_was_collected() {
    let mut hanging = fixtures::builtin("sql2016").unwrap();
    hanging.faults.hang = true;
    let fleet = fleet(vec![
        ("quick", fixtures::builtin("sql2014").unwrap()),
        ("hanging", hanging),
    ]);
    let ws = Workspace::init();
    let [(_, quick), (_, hanging)] = [&fleet.servers[0], &fleet.servers[1]];
    ws.write_config(
        "sql_targets.jsonc",
        format!(
            r#"{{ "targets": [
              {{ "id": "quick", "server": "127.0.0.1", "port": {}, "auth": "sql", "username": "autodbaudit",
                 "credential": "env:AUTODBAUDIT_TEST_PASSWORD", "trust_server_certificate": true }},
              {{ "id": "hanging", "server": "127.0.0.1", "port": {}, "auth": "sql", "username": "autodbaudit",
                 "credential": "env:AUTODBAUDIT_TEST_PASSWORD", "trust_server_certificate": true,
                 "connect_timeout_s": 120 }} ] }}"#,
            quick.addr.port(),
            hanging.addr.port()
        ),
    );
    let child = ws
        .cmd()
        .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
        .arg("audit")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the quick target is done, interrupt the run waiting for the hung one.
    let started = std::time::Instant::now();
    while quick.statements().len() < 5 && started.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "stopped, not timed out"
    );
    let doc = findings(&ws);
    assert_eq!(doc["run"]["complete"], false);
    let target = |id: &str| {
        doc["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["target_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        target("quick")["reached"],
        true,
        "what was collected is kept"
    );
    assert_eq!(target("hanging")["reason"], "interrupted");
    assert!(stderr.contains("the run was stopped"), "{stderr}");
}

/// A workspace whose one target is the fleet's first instance, logging in as `user` with
/// `auth` and any `extra` target fields; the password comes from the environment.
fn one_target(fleet: &Fleet, auth: &str, user: &str, extra: &str) -> Workspace {
    let ws = Workspace::init();
    let (id, server) = &fleet.servers[0];
    ws.write_config(
        "sql_targets.jsonc",
        format!(
            r#"{{ "targets": [ {{ "id": "{id}", "server": "127.0.0.1", "port": {}, "auth": "{auth}",
                 "username": "{user}", "credential": "env:AUTODBAUDIT_TEST_PASSWORD",
                 "trust_server_certificate": true {extra} }} ] }}"#,
            server.addr.port()
        ),
    );
    ws
}

/// Runs `audit` with `password`, requires exit 0, and returns findings.json.
fn audit_ok(ws: &Workspace, password: &str) -> serde_json::Value {
    let (code, stdout, stderr) = run(ws
        .cmd()
        .env("AUTODBAUDIT_TEST_PASSWORD", password)
        .arg("audit"));
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    findings(ws)
}

#[test]
fn a_least_privileged_login_gets_unknown_with_the_reason_never_a_false_pass() {
    let fleet = fleet(vec![(
        "legacy",
        fixtures::builtin("legacy-2008r2").unwrap(),
    )]);
    let doc = audit_ok(
        &one_target(&fleet, "sql", "limited_auditor", ""),
        DEMO_PASSWORD,
    );
    // The instance's own registry values come through sys.dm_server_registry (VIEW SERVER
    // STATE): login auditing is judged as sysadmin judges it.
    assert!(
        has(&doc, "legacy", "R22", "FAIL", "failed logins only"),
        "{doc:#}"
    );
    // The services only xp_regread (sysadmin) can read are UNKNOWN, each naming why; never
    // "no Browser installed".
    for check in ["R19", "R21"] {
        assert!(
            has(&doc, "legacy", check, "UNKNOWN", "229"),
            "{check}: {doc:#}"
        );
        assert!(
            !has(&doc, "legacy", check, "PASS", ""),
            "{check} must not pass blind"
        );
    }
    // What it can see is still judged.
    assert!(has(&doc, "legacy", "R04", "FAIL", "sa"));
    assert!(has(&doc, "legacy", "R10", "FAIL", "xp_cmdshell"));
}

#[test]
fn windows_authentication_audits_through_a_windows_group() {
    let fleet = fleet(vec![(
        "typical",
        fixtures::builtin("typical-2019").unwrap(),
    )]);
    let doc = audit_ok(
        &one_target(&fleet, "windows", "CORP\\\\alice", ""),
        "Alice-Passw0rd!",
    );
    assert_eq!(doc["targets"][0]["reached"], true);
    assert!(has(&doc, "typical", "R11", "FAIL", "Payroll"));
    let logins: Vec<String> = fleet.servers[0]
        .1
        .statements()
        .into_iter()
        .map(|s| s.login)
        .collect();
    assert!(logins.iter().all(|l| l == "CORP\\alice"), "{logins:?}");
}

#[test]
fn encrypt_off_reaches_a_legacy_server_and_is_itself_a_finding() {
    let fleet = fleet(vec![(
        "legacy",
        fixtures::builtin("legacy-2008r2").unwrap(),
    )]);
    let doc = audit_ok(
        &one_target(&fleet, "sql", "autodbaudit", r#", "encrypt": "off""#),
        DEMO_PASSWORD,
    );
    assert!(
        has(&doc, "legacy", "X09", "WARN", "audit connection"),
        "{doc:#}"
    );
}

/// R02 judges with the build data the audit chose: the built-in data, the workspace's
/// `config/builds.json`, or `--builds FILE`; a broken file stops the audit before anything is
/// recorded, naming the file, the entry and the fix.
#[test]
fn support_end_dates_come_from_the_build_data_the_auditor_can_replace() {
    let fleet = fleet(vec![(
        "sql2019",
        fixtures::builtin("typical-2019").unwrap(),
    )]);
    let ws = workspace_for(&fleet, "");
    let audit = |extra: &[&str]| {
        run(ws
            .cmd()
            .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
            .arg("audit")
            .args(extra))
    };
    let r02 = |ws: &Workspace| {
        findings(ws)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check_id"] == "R02")
            .cloned()
            .unwrap()
    };
    let (code, stdout, stderr) = audit(&[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let f = r02(&ws);
    assert_eq!(f["status"], "PASS", "{f}");
    assert_eq!(f["evidence"]["extended_end"], "2030-01-08", "{f}");
    assert!(
        f["evidence"]["build_data"]
            .as_str()
            .unwrap()
            .starts_with("built in (as of ")
    );

    // The workspace's copy, with 2019's extended support ended: R02 FAILs, and says why.
    let mut data: serde_json::Value =
        serde_json::from_str(audit_core::build_data::EMBEDDED_TEXT).unwrap();
    data["as_of"] = "2099-01-01".into();
    data["releases"][6]["extended_end"] = "2026-01-01".into();
    data["releases"][6]["mainstream_end"] = "2025-01-01".into();
    ws.write_config("builds.json", serde_json::to_string_pretty(&data).unwrap());
    let (code, stdout, stderr) = audit(&[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("config/builds.json (as of 2099-01-01)"),
        "{stdout}\n{stderr}"
    );
    let f = r02(&ws);
    assert_eq!(f["status"], "FAIL", "{f}");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("ended on 2026-01-01"),
        "{f}"
    );

    // A broken file named with --builds: exit 2, the file, the entry and the fix; no run.
    let runs_before = std::fs::read_dir(ws.join("output")).unwrap().count();
    data["releases"][3]["esu_end"] = "2027-13-40".into();
    let broken = ws.join("broken-builds.json");
    std::fs::write(&broken, serde_json::to_string_pretty(&data).unwrap()).unwrap();
    let (code, stdout, stderr) = audit(&["--builds", broken.to_str().unwrap()]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    let all = format!("{stdout}\n{stderr}");
    assert!(all.contains("broken-builds.json"), "{all}");
    assert!(all.contains("releases[3] (2014).esu_end"), "{all}");
    assert!(
        all.contains("`2027-13-40` is not a date YYYY-MM-DD"),
        "{all}"
    );
    assert!(
        all.contains("delete the file to use the built-in data"),
        "{all}"
    );
    assert_eq!(
        std::fs::read_dir(ws.join("output")).unwrap().count(),
        runs_before
    );
    let f = r02(&ws);
    assert_eq!(
        f["status"], "FAIL",
        "the last good run's findings are untouched: {f}"
    );
}
