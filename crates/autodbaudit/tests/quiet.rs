//! What the console shows: `-q` prints nothing but the tool's own errors (the TDS library's
//! lines about server errors the audit handles stay in the run log), and a named instance
//! reached by its port is shown by its name, not as the default instance.

mod common;

use common::fleet::fleet;
use common::{Workspace, run};
use mssql_sim::fixtures::{self, DEMO_PASSWORD};

#[test]
fn quiet_limited_audit_prints_nothing_and_names_the_instance_reached_by_port() {
    // sql2017 is the named instance SQL2017SRV\BI; the target gives only its port.
    let fleet = fleet(vec![("bi", fixtures::builtin("sql2017").unwrap())]);
    let ws = Workspace::init();
    ws.write_config(
        "sql_targets.jsonc",
        format!(
            r#"{{ "targets": [ {{ "id": "bi", "server": "127.0.0.1", "port": {}, "auth": "sql",
                 "username": "limited_auditor", "credential": "env:AUTODBAUDIT_TEST_PASSWORD",
                 "trust_server_certificate": true }} ] }}"#,
            fleet.servers[0].1.addr.port()
        ),
    );
    let (code, stdout, stderr) = run(ws
        .cmd()
        .env("AUTODBAUDIT_TEST_PASSWORD", DEMO_PASSWORD)
        .env_remove("AUTODBAUDIT_LOG")
        .args(["-q", "audit"]));
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(stderr, "", "-q prints no library lines");
    // The limited login does meet refusals: they are in the run log, for support.
    assert!(
        ws.logs().contains("229") || ws.logs().contains("permission"),
        "the refusals are kept in the run log:\n{}",
        ws.logs()
    );

    let output = ws.join("output");
    let folder = std::fs::read_dir(&output)
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.path().join("findings.json").is_file())
        .expect("findings.json written")
        .path();
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("findings.json")).unwrap()).unwrap();
    assert_eq!(doc["targets"][0]["instance"], "BI", "{:#}", doc["targets"]);

    // The workbook's Instances sheet says BI as well.
    let book =
        report::read_workbook(&folder.join("2026-H2.xlsx")).unwrap_or_else(|e| panic!("{e}"));
    let instances = book
        .iter()
        .find(|s| s.name == "Instances")
        .expect("an Instances sheet");
    let column = instances
        .headers
        .iter()
        .position(|h| h == "Instance")
        .expect("an Instance column");
    let shown: Vec<&str> = instances.rows.iter().map(|r| r[column].as_str()).collect();
    assert_eq!(shown, ["BI"]);
}
