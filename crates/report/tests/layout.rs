//! The workbook from real snapshots: every built-in simulated server is collected over TDS,
//! evaluated, laid out and written; every finding that needs a person has a row, and what is
//! written reads back row for row.

use std::time::Duration;

use audit_core::checks::{self, Policy};
use collect::{Auth, Encryption, Endpoint, collect_snapshot, connect::connect};
use mssql_sim::fixtures::{self, DEMO_PASSWORD};
use report::{RowState, RunHeader, TargetResult, lay_out, read_workbook, sheets};

async fn target(name: &str) -> TargetResult {
    target_of(name, fixtures::builtin(name).unwrap()).await
}

async fn target_of(name: &str, instance: mssql_sim::Instance) -> TargetResult {
    let server = mssql_sim::start(instance, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let endpoint = Endpoint {
        host: "127.0.0.1".into(),
        port: Some(server.addr.port()),
        instance: None,
        browser_port: None,
        auth: Auth::Sql {
            user: "autodbaudit".into(),
            password: DEMO_PASSWORD.into(),
        },
        encryption: Encryption::On,
        trust_server_certificate: true,
        connect_timeout: Duration::from_secs(5),
    };
    let mut conn = connect(&endpoint).await.unwrap();
    let snapshot = collect_snapshot(&mut conn, true, "SQL", Duration::from_secs(10))
        .await
        .unwrap();
    let findings = checks::evaluate(&snapshot, &Policy::defaults("2026-11-26 12:00:00"));
    TargetResult {
        target_id: name.to_owned(),
        server: "127.0.0.1".into(),
        instance: None,
        port: Some(server.addr.port()),
        snapshot: Some(snapshot),
        reason: None,
        findings,
    }
}

fn header() -> RunHeader {
    RunHeader {
        audit_name: "Layout test".into(),
        organization: "Example".into(),
        run_id: 1,
        started: "2026-11-26 12:00:00".into(),
        finished: "2026-11-26 12:00:05".into(),
        tool_version: "AutoDBAudit test".into(),
        checks: "all".into(),
        compliance: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_finding_needing_a_person_has_exactly_one_row_and_the_workbook_reads_back() {
    let mut targets = Vec::new();
    for name in fixtures::BUILTIN {
        targets.push(target(name).await);
    }
    targets.push(TargetResult {
        target_id: "gone".into(),
        server: "10.0.0.1".into(),
        instance: Some("SQL01".into()),
        port: None,
        snapshot: None,
        reason: Some("connection refused".into()),
        findings: vec![audit_core::Finding {
            check_id: audit_core::CheckId::new("R04"),
            status: audit_core::Status::Unknown,
            severity: audit_core::Severity::Critical,
            entity_type: "instance".into(),
            entity: "10.0.0.1\\SQL01".into(),
            entity_key: checks::instance_key(),
            message: "not evaluated: connection refused".into(),
            evidence: Default::default(),
            remediation_category: audit_core::RemediationCategory::None,
            fix: None,
        }],
    });
    let layout = lay_out(&targets);
    assert!(
        layout.unplaced.is_empty(),
        "findings without a row: {:#?}",
        layout.unplaced
    );
    assert_eq!(
        (layout.targets, layout.unreached),
        (fixtures::BUILTIN.len() + 1, 1)
    );
    // The report obeys each check's placement: a finding whose check names sheets for its
    // entity type is on one of them, and every declared sheet receives findings somewhere.
    let mut used = std::collections::BTreeSet::new();
    for sheet in &layout.sheets {
        for row in &sheet.rows {
            for (check, _, key) in &row.findings {
                let check = checks::check(*check).unwrap();
                let finding = targets
                    .iter()
                    .filter(|t| *t.target_id == *row.target_id)
                    .flat_map(|t| &t.findings)
                    .find(|f| f.check_id == check.id && &f.entity_key == key)
                    .unwrap();
                let declared: Vec<sheets::Sheet> = check
                    .placement
                    .iter()
                    .filter(|p| p.entity_type == finding.entity_type)
                    .map(|p| p.sheet)
                    .collect();
                if !declared.is_empty() {
                    assert!(
                        declared.contains(&sheet.spec.id),
                        "{} {key} on {} but declared {declared:?}",
                        check.id,
                        sheet.spec.name
                    );
                    used.insert(format!("{:?}", sheet.spec.id));
                }
            }
        }
    }
    for sheet in &layout.sheets {
        if sheet.spec.id != sheets::Sheet::RoleMatrix {
            assert!(
                used.contains(&format!("{:?}", sheet.spec.id))
                    || !checks::catalogue()
                        .iter()
                        .any(|c| c.placement.iter().any(|p| p.sheet == sheet.spec.id)),
                "no finding reached {}",
                sheet.spec.name
            );
        }
    }
    for sheet in &layout.sheets {
        let mut keys: Vec<&str> = sheet.rows.iter().map(|r| r.key.as_str()).collect();
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), n, "{}: duplicate row keys", sheet.spec.name);
        for row in &sheet.rows {
            assert_eq!(
                row.cells.len(),
                sheet.spec.columns.len(),
                "{}: {row:?}",
                sheet.spec.name
            );
        }
    }
    // Every sheet but Role Matrix has rows from these fixtures.
    for sheet in &layout.sheets {
        assert!(!sheet.rows.is_empty(), "{} is empty", sheet.spec.name);
    }
    let instances = &layout.sheets[0];
    let gone = instances
        .rows
        .iter()
        .find(|r| &*r.target_id == "gone")
        .unwrap();
    assert_eq!(gone.status, Some(audit_core::Status::Unknown));
    assert_eq!(&*gone.instance, "SQL01");
    assert!(gone.finding.contains("connection refused"), "{gone:?}");
    // The References column: the benchmark items of the row's checks, each once.
    assert!(
        gone.references.starts_with(
            "CIS SQL Server 2019/2022 2.13; CIS SQL Server 2019/2022 2.14; STIG SQL6-D0-016200"
        ),
        "{gone:?}"
    );
    let configuration = layout
        .sheets
        .iter()
        .find(|s| s.spec.name == "Configuration")
        .unwrap();
    let xp_cmdshell = configuration
        .rows
        .iter()
        .find(|r| r.key.ends_with("/config:xp_cmdshell"))
        .unwrap();
    assert_eq!(xp_cmdshell.checks, "R10");
    assert_eq!(
        xp_cmdshell.references,
        audit_core::checks::check(audit_core::CheckId::new("R10"))
            .unwrap()
            .references
            .labels()
            .join("; ")
    );
    assert!(
        xp_cmdshell
            .references
            .contains("CIS SQL Server 2016/2017 2.15; STIG SQL6-D0-007200")
    );
    // CIS 2.11 (non-standard port) is X35's, not R14's; the Instances row shows both checks.
    let r14 = audit_core::checks::check(audit_core::CheckId::new("R14")).unwrap();
    assert!(
        !r14.references.labels().join("; ").contains("2.11"),
        "{:?}",
        r14.references.labels()
    );
    let x35 = audit_core::checks::check(audit_core::CheckId::new("X35")).unwrap();
    assert!(
        x35.references
            .labels()
            .join("; ")
            .contains("CIS SQL Server 2019/2022 2.11")
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    let uuids = (0..layout.row_ids().len())
        .map(|i| format!("{i:08X}"))
        .collect();
    let mut layout = layout;
    layout.set_uuids(uuids);
    let state = RowState::default();
    report::write_workbook(&path, &header(), &layout, &state, &[]).unwrap();
    let read = read_workbook(&path).unwrap();
    let names: Vec<&str> = read.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, sheets::sheet_names());
    for (sheet, rows) in read[1..21].iter().zip(&layout.sheets) {
        assert_eq!(sheet.headers, sheets::headers(rows.spec));
        assert_eq!(sheet.rows.len(), rows.rows.len(), "{}", sheet.name);
        let references = sheet
            .headers
            .iter()
            .position(|h| h == "References")
            .unwrap();
        assert_eq!(sheet.headers[references - 1], "Checks");
        for (back, laid) in sheet.rows.iter().zip(&rows.rows) {
            assert_eq!(back[2], &*laid.server);
            assert_eq!(back[3], &*laid.instance);
            assert_eq!(back[references], laid.references, "{}", sheet.name);
            for (i, cell) in laid.cells.iter().enumerate() {
                let text = cell.display();
                assert!(
                    back[4 + i] == text
                        || back[4 + i].parse::<f64>().ok() == text.parse::<f64>().ok(),
                    "{}: {:?} vs {:?}",
                    sheet.name,
                    back[4 + i],
                    text
                );
            }
        }
    }
}

#[test]
fn an_empty_workbook_has_the_structure_of_a_full_one() {
    let layout = lay_out(&[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.xlsx");
    report::write_workbook(&path, &header(), &layout, &RowState::default(), &[]).unwrap();
    let read = read_workbook(&path).unwrap();
    // Cover, 20 data sheets (Agent Jobs added for X30/X31, Paths to Sysadmin for X56), Actions.
    assert_eq!(read.len(), 22);
    for (sheet, spec) in read[1..21].iter().zip(sheets::data_sheets()) {
        assert_eq!(sheet.headers, sheets::headers(spec));
        assert!(sheet.rows.is_empty());
    }
    let actions = &read[21];
    assert_eq!(actions.headers.len(), sheets::ACTION_COLUMNS.len());
}

/// The "Paths to Sysadmin" sheet on `builtin:escalation-2019`, with two more logins: `trainee`
/// may impersonate `job_dev` (db_owner of msdb) and `intern` may impersonate `trainee` (a
/// 7-step path): one row per path (12), each carrying its X56 FAIL, one step per column; the
/// 7-step path keeps steps 6 and 7, one per line, in the last column.
#[tokio::test(flavor = "multi_thread")]
async fn paths_to_sysadmin_sheet_lists_each_path_one_step_per_column() {
    use report::sheets::Value;
    let mut instance = fixtures::builtin("escalation-2019").unwrap();
    let mut trainee = mssql_sim::Login::new("trainee", "Tr-4!yD6#wC8");
    trainee.impersonate.push("job_dev".into());
    instance.logins.push(trainee);
    let mut intern = mssql_sim::Login::new("intern", "In-3!xC5#vB7");
    intern.impersonate.push("trainee".into());
    instance.logins.push(intern);
    instance.normalize().unwrap();
    let layout = lay_out(&[target_of("escalation-2019", instance).await]);
    assert!(layout.unplaced.is_empty(), "{:#?}", layout.unplaced);
    let sheet = layout
        .sheets
        .iter()
        .find(|s| s.spec.id == sheets::Sheet::PathsToSysadmin)
        .unwrap();
    assert_eq!(sheet.spec.name, "Paths to Sysadmin");
    assert_eq!(sheet.rows.len(), 12);
    assert!(
        sheet
            .rows
            .iter()
            .all(|r| r.status == Some(audit_core::Status::Fail) && r.checks == "X56")
    );
    let text = |v: &Value| match v {
        Value::Text(t, _) => t.clone(),
        Value::Number(n) => n.to_string(),
        Value::Empty => String::new(),
    };
    let row = sheet
        .rows
        .iter()
        .find(|r| text(&r.cells[0]) == "login intern")
        .unwrap();
    assert_eq!(text(&row.cells[1]), "login");
    assert_eq!(text(&row.cells[2]), "7");
    assert_eq!(
        text(&row.cells[3]),
        "\u{2014}IMPERSONATE\u{2192} login trainee"
    );
    assert_eq!(
        text(&row.cells[8]),
        "\u{2014}TRUSTWORTHY database: runs with the server rights of\u{2192} login sa\n\u{2014}member of\u{2192} sysadmin"
    );
    let short = sheet
        .rows
        .iter()
        .find(|r| text(&r.cells[0]) == "login any_login_tool")
        .unwrap();
    assert_eq!(
        text(&short.cells[3]),
        "\u{2014}IMPERSONATE ANY LOGIN\u{2192} sysadmin"
    );
    assert_eq!(short.cells[4], Value::Empty);
}
