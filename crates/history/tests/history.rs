//! The history on real files: migrations, refusing what it must not touch, runs recorded
//! whole or not at all, stable row UUIDs, annotations with their changes, the action log.

use std::collections::BTreeMap;

use audit_core::{CheckId, Finding, RemediationCategory, Severity, Status};
use history::{
    Annotation, History, HistoryError, NewAction, RunKind, RunStatus, StoredFinding, TargetRecord,
};

const HOSTILE: &str = "o'brien]; DROP TABLE runs;-- Ünïcødé";

fn finding(n: usize, status: Status) -> Finding {
    Finding {
        check_id: CheckId::Requirement((n % 28 + 1) as u8),
        status,
        severity: Severity::High,
        entity_type: "login".into(),
        entity: format!("{HOSTILE} {n}"),
        entity_key: format!("login:{n}"),
        message: format!("message {n} {HOSTILE}"),
        evidence: BTreeMap::from([("name".to_owned(), HOSTILE.to_owned())]),
        remediation_category: RemediationCategory::Caution,
    }
}

fn target(id: &str, reached: bool) -> TargetRecord {
    TargetRecord {
        target_id: id.into(),
        server: format!("srv-{HOSTILE}"),
        instance: reached.then(|| HOSTILE.to_owned()),
        port: reached.then_some(1433),
        reached,
        reason: (!reached).then(|| "connection refused".to_owned()),
        version: reached.then(|| "16.0.4225.2".to_owned()),
        snapshot_json: reached.then(|| "{\"facts\":1}".to_owned()),
    }
}

#[test]
fn migrations_create_the_latest_schema_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit_history.db");
    let h = History::open(&path).unwrap();
    assert_eq!(h.schema_version().unwrap(), History::SCHEMA_VERSION);
    assert_eq!(h.integrity_check().unwrap(), "ok");
    drop(h);
    let h = History::open(&path).unwrap();
    assert_eq!(h.schema_version().unwrap(), History::SCHEMA_VERSION);
}

#[test]
fn a_newer_schema_and_a_foreign_file_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.db");
    let conn = rusqlite_free_newer(&path);
    drop(conn);
    let before = std::fs::read(&path).unwrap();
    let err = History::open(&path).err().unwrap();
    assert!(
        matches!(err, HistoryError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("newer.db") && err.to_string().contains("newer version"),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);

    let text = dir.path().join("notes.db");
    std::fs::write(
        &text,
        "hello, this is not a database at all, just some text to fill a page",
    )
    .unwrap();
    let err = History::open(&text).err().unwrap();
    assert!(matches!(err, HistoryError::NotHistory { .. }), "{err}");
    assert!(err.to_string().contains("notes.db"), "{err}");
}

/// A history file whose schema version is 99 (from "a newer AutoDBAudit").
fn rusqlite_free_newer(path: &std::path::Path) -> History {
    let h = History::open(path).unwrap();
    h.set_user_version_for_tests(99);
    h
}

#[test]
fn a_run_is_recorded_whole_and_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(&dir.path().join("h.db")).unwrap();
    let audit = h
        .open_audit("2026-H2", "Org", "2026-11-26 10:00:00")
        .unwrap();
    assert_eq!(
        h.open_audit("2026-H2", "Org 2", "later").unwrap().id,
        audit.id
    );
    assert_eq!(
        h.find_audit("2026-H2").unwrap().unwrap().organization,
        "Org 2"
    );
    let run = h
        .begin_run(
            audit.id,
            RunKind::Audit,
            "2026-11-26 10:00:00",
            "AutoDBAudit test",
        )
        .unwrap();
    assert_eq!(run.status, RunStatus::Running);
    assert_eq!(
        h.latest_completed_run(audit.id).unwrap(),
        None,
        "a running run is invisible"
    );
    let targets = vec![target("a", true), target("b", false)];
    let findings: Vec<StoredFinding> = (0..2000)
        .map(|n| StoredFinding {
            target_id: if n % 2 == 0 { "a" } else { "b" }.into(),
            finding: finding(n, Status::ALL[n % 6]),
        })
        .collect();
    let status = h
        .complete_run(run.id, "2026-11-26 10:01:00", &targets, &findings, None)
        .unwrap();
    assert_eq!(
        status,
        RunStatus::CompletedWithErrors,
        "target b was not reached"
    );
    assert_eq!(h.run_targets(run.id).unwrap(), targets);
    assert_eq!(h.run_findings(run.id).unwrap(), findings);
    assert!(
        h.complete_run(run.id, "x", &[], &[], None).is_err(),
        "recorded twice"
    );
    let second = h
        .begin_run(audit.id, RunKind::Audit, "2026-11-26 11:00:00", "t")
        .unwrap();
    h.complete_run(
        second.id,
        "2026-11-26 11:01:00",
        &[target("a", true)],
        &[],
        None,
    )
    .unwrap();
    assert_eq!(h.runs(audit.id).unwrap().len(), 2);
    assert_eq!(
        h.latest_completed_run(audit.id).unwrap().unwrap().id,
        second.id
    );
    assert_eq!(
        h.run(second.id).unwrap().unwrap().status,
        RunStatus::Completed
    );
}

#[test]
fn a_run_cut_short_leaves_nothing_and_is_closed_as_failed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut h = History::open(&path).unwrap();
    let audit = h.open_audit("a", "o", "now").unwrap();
    let run = h.begin_run(audit.id, RunKind::Audit, "now", "t").unwrap();
    drop(h); // the process "dies" before complete_run
    let mut h = History::open(&path).unwrap();
    assert_eq!(h.integrity_check().unwrap(), "ok");
    assert!(h.run_targets(run.id).unwrap().is_empty());
    assert_eq!(h.close_interrupted_runs("later").unwrap(), 1);
    let closed = h.run(run.id).unwrap().unwrap();
    assert_eq!(closed.status, RunStatus::Failed);
    assert!(closed.note.unwrap().contains("interrupted"));
    assert_eq!(h.latest_completed_run(audit.id).unwrap(), None);
}

#[test]
fn row_uuids_are_stable_for_known_rows_and_unique_for_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(&dir.path().join("h.db")).unwrap();
    let audit = h.open_audit("a", "o", "now").unwrap();
    let run = h.begin_run(audit.id, RunKind::Audit, "now", "t").unwrap();
    let keys: Vec<(String, String)> = (0..20_000)
        .map(|n| {
            (
                format!("Sheet {}", n % 18),
                format!("target:x/{HOSTILE}/{n}"),
            )
        })
        .collect();
    let first = h.row_uuids(audit.id, run.id, &keys).unwrap();
    assert_eq!(first.len(), keys.len());
    let distinct: std::collections::BTreeSet<&String> = first.values().collect();
    assert_eq!(distinct.len(), keys.len(), "UUIDs are unique");
    assert!(first.values().all(|u| {
        u.len() == 8
            && u.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
    }));
    let mut more = keys[..100].to_vec();
    more.push(("Sheet 0".into(), "target:x/new".into()));
    let second = h.row_uuids(audit.id, run.id, &more).unwrap();
    for key in &keys[..100] {
        assert_eq!(second[key], first[key]);
    }
    assert!(!distinct.contains(&second[&("Sheet 0".to_owned(), "target:x/new".to_owned())]));
}

#[test]
fn annotations_keep_every_change_and_actions_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(&dir.path().join("h.db")).unwrap();
    let audit = h.open_audit("a", "o", "now").unwrap();
    let mut note = Annotation {
        review_status: Some("\u{2713} Exception".into()),
        justification: Some(HOSTILE.into()),
        ..Annotation::default()
    };
    assert!(
        h.set_annotation(
            audit.id,
            None,
            "Server Logins",
            "k",
            &note,
            "t1",
            "workbook"
        )
        .unwrap()
    );
    assert!(
        !h.set_annotation(
            audit.id,
            None,
            "Server Logins",
            "k",
            &note,
            "t2",
            "workbook"
        )
        .unwrap()
    );
    note.justification = None;
    note.notes = Some("second thoughts".into());
    assert!(
        h.set_annotation(
            audit.id,
            None,
            "Server Logins",
            "k",
            &note,
            "t3",
            "workbook"
        )
        .unwrap()
    );
    let all = h.annotations(audit.id).unwrap();
    assert_eq!(all[&("Server Logins".to_owned(), "k".to_owned())], note);
    let changes = h
        .annotation_changes(audit.id, "Server Logins", "k")
        .unwrap();
    let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(
        fields,
        ["review_status", "justification", "justification", "notes"]
    );
    assert_eq!(changes[2].old_value.as_deref(), Some(HOSTILE));

    let id = h
        .add_action(&NewAction {
            audit_id: audit.id,
            target_id: "a".into(),
            change_type: "fixed".into(),
            description: HOSTILE.into(),
            detected_at: "t".into(),
            ..NewAction::default()
        })
        .unwrap();
    let actions = h.actions(audit.id).unwrap();
    assert_eq!(actions.len(), 1);
    assert_eq!(
        (actions[0].id, actions[0].action.description.as_str()),
        (id, HOSTILE)
    );
}
