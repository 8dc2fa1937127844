//! The history on real files: migrations, refusing what it must not touch, runs recorded
//! whole or not at all (also across a real process exit mid-transaction), stable row UUIDs,
//! annotations with their changes, the action log, and the sizes a large fleet produces.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use audit_core::{CheckId, Finding, RemediationCategory, Severity, Status};
use history::{
    Annotation, AnnotationChange, AuditStatus, History, HistoryError, NewAction, RunKind,
    RunStatus, StoredFinding, TargetRecord,
};

const HOSTILE: &str = "o'brien]'; -- DROP TABLE runs;-- \"x\" Ünïcødé ✓ 数据库 \u{1F512}";

const REMEDIATIONS: [RemediationCategory; 5] = [
    RemediationCategory::Safe,
    RemediationCategory::Caution,
    RemediationCategory::Review,
    RemediationCategory::Manual,
    RemediationCategory::None,
];

fn finding(n: usize) -> Finding {
    let check_id = CheckId::all().nth(n % CheckId::all().count()).unwrap();
    Finding {
        check_id,
        status: Status::ALL[n % 6],
        severity: Severity::ALL[n % 5],
        entity_type: "login".into(),
        entity: format!("{HOSTILE} {n}"),
        entity_key: audit_core::entity_key("login", &[HOSTILE, &n.to_string()]),
        message: format!("message {n} {HOSTILE}"),
        evidence: if n.is_multiple_of(7) {
            BTreeMap::new()
        } else {
            BTreeMap::from([
                ("name".to_owned(), HOSTILE.to_owned()),
                ("empty".to_owned(), String::new()),
                ("n".to_owned(), n.to_string()),
            ])
        },
        remediation_category: REMEDIATIONS[n % 5],
        fix: None,
    }
}

fn target(id: &str, reached: bool) -> TargetRecord {
    TargetRecord {
        target_id: id.into(),
        server: format!("srv-{HOSTILE}"),
        instance: reached.then(|| HOSTILE.to_owned()),
        port: reached.then_some(1433),
        reached,
        reason: (!reached).then(|| format!("connection refused: {HOSTILE}")),
        version: reached.then(|| "16.0.4225.2".to_owned()),
        snapshot_json: reached.then(|| format!("{{\"facts\":{:?}}}", HOSTILE)),
        not_selected: Vec::new(),
    }
}

fn stored(targets: &[&str], per_target: usize) -> Vec<StoredFinding> {
    let mut out = Vec::with_capacity(targets.len() * per_target);
    for (t, id) in targets.iter().enumerate() {
        for n in 0..per_target {
            out.push(StoredFinding {
                target_id: (*id).to_owned(),
                finding: finding(t * per_target + n),
            });
        }
    }
    out
}

fn new_history(dir: &tempfile::TempDir) -> (PathBuf, History) {
    let path = dir.path().join("audit_history.db");
    let h = History::open(&path).unwrap();
    (path, h)
}

fn is_row_uuid(u: &str) -> bool {
    u.len() == 8
        && u.bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}

#[test]
fn migrations_create_the_latest_schema_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit_history.db");
    assert!(!path.exists());
    let h = History::open(&path).unwrap();
    assert!(path.exists(), "the file is created");
    const { assert!(History::SCHEMA_VERSION >= 1) };
    assert_eq!(h.schema_version().unwrap(), History::SCHEMA_VERSION);
    assert_eq!(h.integrity_check().unwrap(), "ok");
    drop(h);

    let schema = |path: &Path| {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let mut stmt = conn
            .prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY name")
            .unwrap();
        let rows: Vec<(String, String, Option<String>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        (mode, rows)
    };
    let (mode, before) = schema(&path);
    assert_eq!(mode, "wal");
    let tables: BTreeSet<&str> = before
        .iter()
        .filter(|(kind, _, _)| kind == "table")
        .map(|(_, name, _)| name.as_str())
        .collect();
    for table in [
        "audits",
        "runs",
        "run_targets",
        "findings",
        "row_identities",
        "annotations",
        "annotation_changes",
        "action_log",
    ] {
        assert!(tables.contains(table), "{table} missing from {tables:?}");
    }

    // Reopening is a no-op: same version, same schema.
    let h = History::open(&path).unwrap();
    assert_eq!(h.schema_version().unwrap(), History::SCHEMA_VERSION);
    drop(h);
    assert_eq!(schema(&path).1, before);

    // An empty (zero-byte) file is a new history too.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let h = History::open(&empty).unwrap();
    assert_eq!(h.schema_version().unwrap(), History::SCHEMA_VERSION);
}

#[test]
fn a_file_from_a_newer_autodbaudit_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer_history.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = DELETE; CREATE TABLE future (x); PRAGMA user_version = 99;",
        )
        .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = History::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            HistoryError::NewerSchema { found: 99, known, .. } if known == History::SCHEMA_VERSION
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("newer_history.db"), "{message}");
    assert!(message.contains("newer AutoDBAudit"), "{message}");
    assert!(message.contains("use that version"), "{message}");
    assert_eq!(err.path(), path);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file is untouched"
    );
}

#[test]
fn a_file_that_is_not_a_history_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    for (name, contents) in [
        ("hello.db", &b"hello"[..]),
        (
            "notes.db",
            &b"hello, this is not a database at all, just some text to fill more than a header"[..],
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        let err = History::open(&path).unwrap_err();
        assert!(matches!(err, HistoryError::NotHistory { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(name), "{message}");
        assert!(
            message.contains("not an AutoDBAudit history database"),
            "{message}"
        );
        assert!(message.contains("move it away"), "{message}");
        assert_eq!(std::fs::read(&path).unwrap(), contents);
    }

    // Another program's SQLite database: we must not add our tables to it.
    let foreign = dir.path().join("places.sqlite");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch(
            "CREATE TABLE bookmarks (url TEXT); INSERT INTO bookmarks VALUES ('x');",
        )
        .unwrap();
    }
    let before = std::fs::read(&foreign).unwrap();
    let err = History::open(&foreign).unwrap_err();
    assert!(matches!(err, HistoryError::NotHistory { .. }), "{err:?}");
    assert!(err.to_string().contains("places.sqlite"), "{err}");
    assert_eq!(std::fs::read(&foreign).unwrap(), before);

    // A database with a schema version but not our application id (another program's, or one
    // written by an unreleased build).
    let other = dir.path().join("other.db");
    {
        let conn = rusqlite::Connection::open(&other).unwrap();
        conn.execute_batch("CREATE TABLE audits (x); PRAGMA user_version = 1;")
            .unwrap();
    }
    let err = History::open(&other).unwrap_err();
    assert!(matches!(err, HistoryError::NotHistory { .. }), "{err:?}");

    // Ours by its application id, but with a schema version no AutoDBAudit writes.
    let negative = dir.path().join("negative.db");
    {
        let conn = rusqlite::Connection::open(&negative).unwrap();
        conn.execute_batch("PRAGMA application_id = 1094992449; PRAGMA user_version = -1;")
            .unwrap();
    }
    let err = History::open(&negative).unwrap_err();
    assert!(matches!(err, HistoryError::NotHistory { .. }), "{err:?}");
    assert!(err.to_string().contains("-1"), "{err}");
}

#[test]
fn audits_are_got_or_created_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut h) = new_history(&dir);
    assert_eq!(h.latest_audit().unwrap(), None);
    assert_eq!(h.find_audit("2026-H2").unwrap(), None);

    let audit = h
        .open_audit("2026-H2", "Org", "2026-11-26 10:00:00")
        .unwrap();
    assert_eq!(audit.name, "2026-H2");
    assert_eq!(audit.organization, "Org");
    assert_eq!(audit.created_at, "2026-11-26 10:00:00");
    assert_eq!(audit.status, AuditStatus::Open);
    assert_eq!(audit.finalized_at, None);

    let again = h.open_audit("2026-H2", "Org", "later").unwrap();
    assert_eq!(again, audit, "the same audit, unchanged");
    let renamed = h.open_audit("2026-H2", HOSTILE, "later").unwrap();
    assert_eq!(renamed.id, audit.id);
    assert_eq!(
        renamed.organization, HOSTILE,
        "the organization follows the config"
    );
    assert_eq!(renamed.created_at, audit.created_at);
    assert_eq!(h.find_audit("2026-H2").unwrap().unwrap(), renamed);

    let other = h.open_audit(HOSTILE, "Org", "t").unwrap();
    assert_ne!(other.id, audit.id);
    assert_eq!(h.latest_audit().unwrap().unwrap(), other);
    assert_eq!(h.audit_by_id(audit.id).unwrap().unwrap(), renamed);
    assert_eq!(h.find_audit(HOSTILE).unwrap().unwrap().id, other.id);
}

#[test]
fn a_run_is_recorded_whole_and_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut h) = new_history(&dir);
    let audit = h.open_audit("2026-H2", "Org", "t0").unwrap();
    let run = h
        .begin_run(
            audit.id,
            RunKind::Audit,
            "2026-11-26 10:00:00",
            "AutoDBAudit 0.1.0",
        )
        .unwrap();
    assert_eq!(run.status, RunStatus::Running);
    assert_eq!(run.kind, RunKind::Audit);
    assert_eq!(run.audit_id, audit.id);
    assert_eq!(run.started_at, "2026-11-26 10:00:00");
    assert_eq!(run.finished_at, None);
    assert_eq!(run.tool_version, "AutoDBAudit 0.1.0");
    assert_eq!(h.run(run.id).unwrap().unwrap(), run);

    let mut bare = target("a-default", true);
    bare.instance = None;
    bare.port = None;
    let mut hostile = target(HOSTILE, true);
    hostile.port = Some(u16::MAX);
    let targets = vec![
        target("z-unreached", false),
        bare,
        hostile,
        TargetRecord {
            port: Some(0),
            ..target("b-port-zero", true)
        },
    ];
    let findings = stored(&["z-unreached", "a-default", HOSTILE, "b-port-zero"], 150);
    let status = h
        .complete_run(run.id, "2026-11-26 10:01:00", &targets, &findings, None)
        .unwrap();
    assert_eq!(
        status,
        RunStatus::CompletedWithErrors,
        "one target was not reached"
    );

    let mut by_id = targets.clone();
    by_id.sort_by(|a, b| a.target_id.cmp(&b.target_id));
    assert_eq!(h.run_targets(run.id).unwrap(), by_id);
    assert_eq!(
        h.run_findings(run.id).unwrap(),
        findings,
        "exactly, in order"
    );
    let recorded = h.run(run.id).unwrap().unwrap();
    assert_eq!(recorded.status, RunStatus::CompletedWithErrors);
    assert_eq!(recorded.finished_at.as_deref(), Some("2026-11-26 10:01:00"));
    assert_eq!(recorded.note, None);
    assert_eq!(h.latest_completed_run(audit.id).unwrap().unwrap(), recorded);

    // A second run adds a run; every target reached → completed.
    let second = h
        .begin_run(
            audit.id,
            RunKind::Sync,
            "2026-11-26 11:00:00",
            "AutoDBAudit 0.1.0",
        )
        .unwrap();
    assert!(second.id > run.id);
    let status = h
        .complete_run(
            second.id,
            "2026-11-26 11:01:00",
            &[target("a", true)],
            &stored(&["a"], 3),
            None,
        )
        .unwrap();
    assert_eq!(status, RunStatus::Completed);
    let runs = h.runs(audit.id).unwrap();
    assert_eq!(
        runs.iter().map(|r| r.id).collect::<Vec<_>>(),
        [run.id, second.id]
    );
    assert_eq!(runs[1].kind, RunKind::Sync);
    assert_eq!(
        h.latest_completed_run(audit.id).unwrap().unwrap().id,
        second.id
    );
    assert_eq!(
        h.run_findings(run.id).unwrap(),
        findings,
        "the first run is unchanged"
    );
    assert_eq!(h.run_findings(second.id).unwrap().len(), 3);

    // A note (the run was cut short) makes it completed_with_errors even if all were reached.
    let third = h.begin_run(audit.id, RunKind::Audit, "t", "v").unwrap();
    let status = h
        .complete_run(
            third.id,
            "t",
            &[target("a", true)],
            &[],
            Some("interrupted: Ctrl-C"),
        )
        .unwrap();
    assert_eq!(status, RunStatus::CompletedWithErrors);
    assert_eq!(
        h.run(third.id).unwrap().unwrap().note.as_deref(),
        Some("interrupted: Ctrl-C")
    );
    drop(h);

    // Everything survives closing and reopening.
    let h = History::open(&path).unwrap();
    assert_eq!(h.run_findings(run.id).unwrap(), findings);
    assert_eq!(h.run_targets(run.id).unwrap(), by_id);
    assert_eq!(h.integrity_check().unwrap(), "ok");
}

#[test]
fn a_run_is_recorded_once_and_only_while_running() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut h) = new_history(&dir);
    let audit = h.open_audit("a", "o", "t").unwrap();
    let run = h.begin_run(audit.id, RunKind::Audit, "t", "v").unwrap();
    h.complete_run(run.id, "t", &[target("a", true)], &stored(&["a"], 2), None)
        .unwrap();
    let err = h
        .complete_run(run.id, "t2", &[target("b", true)], &[], None)
        .unwrap_err();
    assert!(matches!(err, HistoryError::State { .. }), "{err:?}");
    assert!(err.to_string().contains("audit_history.db"), "{err}");
    assert!(err.to_string().contains("not running"), "{err}");
    assert_eq!(h.run_targets(run.id).unwrap(), [target("a", true)]);
    assert_eq!(h.run_findings(run.id).unwrap().len(), 2);
    assert!(
        h.fail_run(run.id, "t", "no").is_err(),
        "a recorded run stays recorded"
    );
    assert_eq!(h.run(run.id).unwrap().unwrap().status, RunStatus::Completed);

    // A failed run cannot be completed.
    let failed = h.begin_run(audit.id, RunKind::Audit, "t", "v").unwrap();
    h.fail_run(failed.id, "t3", "collection crashed").unwrap();
    let record = h.run(failed.id).unwrap().unwrap();
    assert_eq!(record.status, RunStatus::Failed);
    assert_eq!(record.finished_at.as_deref(), Some("t3"));
    assert_eq!(record.note.as_deref(), Some("collection crashed"));
    assert!(h.complete_run(failed.id, "t", &[], &[], None).is_err());
    assert!(
        h.complete_run(9999, "t", &[], &[], None).is_err(),
        "no such run"
    );

    // Inconsistent input is refused before anything is written; the run stays running.
    let open = h.begin_run(audit.id, RunKind::Audit, "t", "v").unwrap();
    let err = h
        .complete_run(
            open.id,
            "t",
            &[target("a", true), target("a", true)],
            &[],
            None,
        )
        .unwrap_err();
    assert!(err.to_string().contains("listed twice"), "{err}");
    let err = h
        .complete_run(
            open.id,
            "t",
            &[target("a", true)],
            &stored(&["ghost"], 1),
            None,
        )
        .unwrap_err();
    assert!(err.to_string().contains("ghost"), "{err}");
    assert_eq!(h.run(open.id).unwrap().unwrap().status, RunStatus::Running);
    assert!(h.run_targets(open.id).unwrap().is_empty());
    assert_eq!(
        h.latest_completed_run(audit.id).unwrap().unwrap().id,
        run.id
    );

    // Runs need an existing, open audit.
    assert!(h.begin_run(9999, RunKind::Audit, "t", "v").is_err());
}

#[test]
fn a_finalized_audit_takes_no_new_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut h) = new_history(&dir);
    let audit = h.open_audit("done", "o", "t").unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE audits SET status = 'finalized', finalized_at = 't9' WHERE id = ?1",
            [audit.id],
        )
        .unwrap();
    }
    let audit = h.find_audit("done").unwrap().unwrap();
    assert_eq!(audit.status, AuditStatus::Finalized);
    assert_eq!(audit.finalized_at.as_deref(), Some("t9"));
    let err = h.begin_run(audit.id, RunKind::Sync, "t", "v").unwrap_err();
    assert!(err.to_string().contains("finalized"), "{err}");
    assert!(h.runs(audit.id).unwrap().is_empty());
}

#[test]
fn a_running_run_is_invisible_and_closed_as_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut h) = new_history(&dir);
    let audit = h.open_audit("a", "o", "now").unwrap();
    let done = h.begin_run(audit.id, RunKind::Audit, "t1", "v").unwrap();
    h.complete_run(done.id, "t2", &[target("a", true)], &[], None)
        .unwrap();
    let run = h.begin_run(audit.id, RunKind::Audit, "t3", "v").unwrap();
    assert_eq!(
        h.latest_completed_run(audit.id).unwrap().unwrap().id,
        done.id,
        "a running run is invisible"
    );
    drop(h); // the process "dies" before complete_run

    let mut h = History::open(&path).unwrap();
    assert_eq!(h.integrity_check().unwrap(), "ok");
    assert_eq!(h.run(run.id).unwrap().unwrap().status, RunStatus::Running);
    assert!(h.run_targets(run.id).unwrap().is_empty());
    assert!(h.run_findings(run.id).unwrap().is_empty());
    assert_eq!(h.close_interrupted_runs("later").unwrap(), 1);
    assert_eq!(h.close_interrupted_runs("later still").unwrap(), 0);
    let closed = h.run(run.id).unwrap().unwrap();
    assert_eq!(closed.status, RunStatus::Failed);
    assert_eq!(closed.finished_at.as_deref(), Some("later"));
    assert_eq!(
        closed.note.as_deref(),
        Some("interrupted: the process stopped before the run was recorded")
    );
    assert_eq!(
        h.run(done.id).unwrap().unwrap().status,
        RunStatus::Completed
    );
    assert_eq!(
        h.latest_completed_run(audit.id).unwrap().unwrap().id,
        done.id
    );
    assert!(
        h.complete_run(run.id, "t", &[target("a", true)], &[], None)
            .is_err(),
        "a closed run cannot be recorded late"
    );
}

#[test]
fn an_uncommitted_transaction_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut h) = new_history(&dir);
    let audit = h.open_audit("a", "o", "now").unwrap();
    let run = h.begin_run(audit.id, RunKind::Audit, "now", "v").unwrap();
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute(
            "INSERT INTO run_targets (run_id, target_id, server, reached) VALUES (?1, 'a', 's', 1)",
            [run.id],
        )
        .unwrap();
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO findings (run_id, target_id, check_id, status, severity, entity_type, entity, entity_key, message, evidence_json, remediation_category)
                     VALUES (?1, 'a', 'R01', 'FAIL', 'high', 'login', 'sa', ?2, 'm', '{}', 'safe')",
                )
                .unwrap();
            for n in 0..20_000 {
                insert
                    .execute(rusqlite::params![run.id, n.to_string()])
                    .unwrap();
            }
        }
        tx.execute(
            "UPDATE runs SET status = 'completed', finished_at = 'x' WHERE id = ?1",
            [run.id],
        )
        .unwrap();
        drop(tx); // no commit
    }
    assert_eq!(h.integrity_check().unwrap(), "ok");
    assert_eq!(h.run(run.id).unwrap().unwrap().status, RunStatus::Running);
    assert!(h.run_targets(run.id).unwrap().is_empty());
    assert!(h.run_findings(run.id).unwrap().is_empty());
    assert_eq!(h.latest_completed_run(audit.id).unwrap(), None);
}

/// Environment variable that turns [`child_process_for_the_crash_test`] into the crashing
/// child: the history file to write to.
const CRASH_CHILD: &str = "HISTORY_TEST_CRASH_CHILD";
/// How many targets and findings per target the crashing child records.
const CRASH_TARGETS: usize = 200;
const CRASH_PER_TARGET: usize = 1_000;

/// Not a test on its own: run by [`a_process_that_dies_mid_run_leaves_nothing_half_written`]
/// as a child process that begins a large `complete_run` and exits while it is writing.
#[test]
fn child_process_for_the_crash_test() {
    let Some(path) = std::env::var_os(CRASH_CHILD) else {
        return;
    };
    let path = PathBuf::from(path);
    let mut h = History::open(&path).unwrap();
    let audit = h.open_audit("a", "o", "t").unwrap();
    let run = h.begin_run(audit.id, RunKind::Audit, "t", "v").unwrap();
    let ids: Vec<String> = (0..CRASH_TARGETS).map(|n| format!("t{n:04}")).collect();
    let targets: Vec<TargetRecord> = ids.iter().map(|id| target(id, true)).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let findings = stored(&id_refs, CRASH_PER_TARGET);
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let wal_before = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    // Exit (no destructor, no rollback, like a kill) once the transaction has spilled well
    // over a megabyte of uncommitted pages into the WAL.
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
            if size > wal_before + 4 * 1024 * 1024 {
                std::process::exit(86);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    h.complete_run(run.id, "t", &targets, &findings, None)
        .unwrap();
    // Finished before the watcher fired: report it so the parent checks the whole run.
    std::process::exit(0);
}

#[test]
fn a_process_that_dies_mid_run_leaves_nothing_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit_history.db");
    drop(History::open(&path).unwrap());
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process_for_the_crash_test",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(CRASH_CHILD, &path)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    let mut h = History::open(&path).unwrap();
    assert_eq!(h.integrity_check().unwrap(), "ok");
    let audit = h.find_audit("a").unwrap().unwrap();
    let runs = h.runs(audit.id).unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    match status.code() {
        Some(86) => {
            // Died mid-transaction: nothing of the run is visible.
            assert_eq!(run.status, RunStatus::Running);
            assert!(h.run_targets(run.id).unwrap().is_empty());
            assert!(h.run_findings(run.id).unwrap().is_empty());
            assert_eq!(h.latest_completed_run(audit.id).unwrap(), None);
            assert_eq!(h.close_interrupted_runs("later").unwrap(), 1);
            assert_eq!(h.run(run.id).unwrap().unwrap().status, RunStatus::Failed);
        }
        Some(0) => {
            // Finished before it could be killed: the whole run is there.
            eprintln!("the child finished before exiting; checking the whole run instead");
            assert_eq!(run.status, RunStatus::Completed);
            assert_eq!(h.run_targets(run.id).unwrap().len(), CRASH_TARGETS);
            assert_eq!(
                h.run_findings(run.id).unwrap().len(),
                CRASH_TARGETS * CRASH_PER_TARGET
            );
        }
        other => panic!("the child failed unexpectedly: {other:?}"),
    }
    assert_eq!(h.integrity_check().unwrap(), "ok");
}

#[test]
fn a_large_run_is_recorded_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut h) = new_history(&dir);
    let audit = h.open_audit("fleet", "o", "t").unwrap();
    let run = h.begin_run(audit.id, RunKind::Audit, "t", "v").unwrap();
    let ids: Vec<String> = (0..1_000).map(|n| format!("sql{n:04}")).collect();
    let targets: Vec<TargetRecord> = ids.iter().map(|id| target(id, n_reached(id))).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let findings = stored(&id_refs, 100);
    assert_eq!(findings.len(), 100_000);
    let started = Instant::now();
    h.complete_run(run.id, "t", &targets, &findings, None)
        .unwrap();
    let write = started.elapsed();
    let started = Instant::now();
    let back = h.run_findings(run.id).unwrap();
    let read = started.elapsed();
    eprintln!("100,000 findings: recorded in {write:?}, read back in {read:?}");
    assert_eq!(back.len(), findings.len());
    assert!(back == findings, "read back exactly");
    // Timings are printed, not asserted (BENCHMARKS.md holds measured numbers).
}

fn n_reached(id: &str) -> bool {
    !id.ends_with('7')
}

#[test]
fn row_uuids_are_stable_for_known_rows_and_unique_for_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut h) = new_history(&dir);
    let audit = h.open_audit("a", "o", "now").unwrap();
    let run = h.begin_run(audit.id, RunKind::Audit, "now", "t").unwrap();
    let owned: Vec<(String, String)> = (0..200_000)
        .map(|n| {
            (
                format!("Sheet {}", n % 18),
                format!("target:x/{HOSTILE}/{n}"),
            )
        })
        .collect();
    let keys: Vec<(&str, &str)> = owned
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let started = Instant::now();
    let first = h.row_uuids(audit.id, run.id, &keys).unwrap();
    eprintln!("200,000 new row UUIDs in {:?}", started.elapsed());
    assert_eq!(first.len(), keys.len());
    let distinct: HashSet<&String> = first.iter().collect();
    assert_eq!(distinct.len(), keys.len(), "UUIDs are unique");
    assert!(first.iter().all(|u| is_row_uuid(u)), "8 upper-case hex");

    // A later run: the same keys keep their UUIDs, new keys get new ones.
    h.complete_run(run.id, "t", &[], &[], None).unwrap();
    let second_run = h.begin_run(audit.id, RunKind::Audit, "later", "t").unwrap();
    let started = Instant::now();
    let all_again = h.row_uuids(audit.id, second_run.id, &keys).unwrap();
    eprintln!("200,000 known row UUIDs in {:?}", started.elapsed());
    assert_eq!(all_again, first, "stable across runs");
    let new_key = ("Sheet 0", "target:x/new");
    let mut more: Vec<(&str, &str)> = keys.iter().step_by(1000).copied().collect();
    more.push(new_key);
    more.push(new_key); // listed twice: one UUID
    let second = h.row_uuids(audit.id, second_run.id, &more).unwrap();
    assert_eq!(second.len(), more.len());
    for (i, uuid) in second[..more.len() - 2].iter().enumerate() {
        assert_eq!(uuid, &first[i * 1000]);
    }
    let fresh = &second[more.len() - 1];
    assert_eq!(
        &second[more.len() - 2],
        fresh,
        "one UUID for a key listed twice"
    );
    assert!(is_row_uuid(fresh));
    assert!(!distinct.contains(fresh), "new and unique");
    assert_eq!(
        &h.row_uuids(audit.id, second_run.id, &[new_key]).unwrap()[0],
        fresh
    );

    // Another audit numbers its rows on its own; a run of another audit is refused.
    let other = h.open_audit("b", "o", "now").unwrap();
    let other_run = h.begin_run(other.id, RunKind::Audit, "now", "t").unwrap();
    let theirs = h.row_uuids(other.id, other_run.id, &[new_key]).unwrap();
    assert!(is_row_uuid(&theirs[0]));
    assert!(h.row_uuids(audit.id, other_run.id, &[new_key]).is_err());
}

#[test]
fn annotations_keep_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut h) = new_history(&dir);
    let audit = h.open_audit("a", "o", "now").unwrap();
    let run = h.begin_run(audit.id, RunKind::Sync, "now", "v").unwrap();
    let key = ("Server Logins".to_owned(), format!("login:{HOSTILE}"));
    assert!(h.annotations(audit.id).unwrap().is_empty());
    assert!(
        !h.set_annotation(
            audit.id,
            None,
            &key.0,
            &key.1,
            &Annotation::default(),
            "t0",
            "cli"
        )
        .unwrap(),
        "an empty annotation on a new row changes nothing"
    );

    let mut note = Annotation {
        review_status: Some("\u{2713} Exception".into()),
        justification: Some(HOSTILE.into()),
        ..Annotation::default()
    };
    assert!(
        h.set_annotation(
            audit.id,
            Some(run.id),
            &key.0,
            &key.1,
            &note,
            "t1",
            "workbook"
        )
        .unwrap()
    );
    assert!(
        !h.set_annotation(audit.id, None, &key.0, &key.1, &note, "t2", "workbook")
            .unwrap(),
        "the same values again change nothing"
    );
    assert_eq!(
        h.annotation_changes(audit.id, &key.0, &key.1)
            .unwrap()
            .len(),
        2
    );

    note.justification = None;
    note.notes = Some("second thoughts".into());
    note.last_reviewed = Some("2026-11-27".into());
    assert!(
        h.set_annotation(audit.id, None, &key.0, &key.1, &note, "t3", "cli")
            .unwrap()
    );
    let all = h.annotations(audit.id).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[&key], note);
    assert!(note.is_documented_exception() == all[&key].is_documented_exception());

    let changes = h.annotation_changes(audit.id, &key.0, &key.1).unwrap();
    let change =
        |field: &str, old: Option<&str>, new: Option<&str>, at: &str, run, source: &str| {
            AnnotationChange {
                field: field.to_owned(),
                old_value: old.map(str::to_owned),
                new_value: new.map(str::to_owned),
                changed_at: at.to_owned(),
                run_id: run,
                source: source.to_owned(),
            }
        };
    let ex = Some("\u{2713} Exception");
    let by_run = Some(run.id);
    assert_eq!(
        changes,
        [
            change("review_status", None, ex, "t1", by_run, "workbook"),
            change(
                "justification",
                None,
                Some(HOSTILE),
                "t1",
                by_run,
                "workbook"
            ),
            change("justification", Some(HOSTILE), None, "t3", None, "cli"),
            change("notes", None, Some("second thoughts"), "t3", None, "cli"),
            change("last_reviewed", None, Some("2026-11-27"), "t3", None, "cli"),
        ]
    );
    // Other rows and audits are separate.
    assert!(
        h.annotation_changes(audit.id, &key.0, "other")
            .unwrap()
            .is_empty()
    );
    let other = h.open_audit("b", "o", "now").unwrap();
    assert!(h.annotations(other.id).unwrap().is_empty());
}

#[test]
fn actions_are_added_and_listed_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut h) = new_history(&dir);
    let audit = h.open_audit("a", "o", "now").unwrap();
    let run = h.begin_run(audit.id, RunKind::Sync, "now", "v").unwrap();
    let detected = NewAction {
        audit_id: audit.id,
        run_id: Some(run.id),
        target_id: HOSTILE.into(),
        sheet: Some("Server Logins".into()),
        entity_key: Some("login:sa".into()),
        check_id: Some("R04".into()),
        entity: format!("sa {HOSTILE}"),
        change_type: "fixed".into(),
        description: HOSTILE.into(),
        detected_at: "t1".into(),
        notes: None,
        manual: false,
        server: None,
        instance: None,
        category: None,
        risk: None,
    };
    let manual = NewAction {
        audit_id: audit.id,
        target_id: "a".into(),
        change_type: "note".into(),
        description: "firewall rule requested".into(),
        detected_at: "t2".into(),
        notes: Some(HOSTILE.into()),
        manual: true,
        ..NewAction::default()
    };
    let first = h.add_action(&detected).unwrap();
    let second = h.add_action(&manual).unwrap();
    assert!(second > first);
    let actions = h.actions(audit.id).unwrap();
    assert_eq!(actions.len(), 2);
    let back = |a: &history::ActionRecord| NewAction {
        audit_id: a.audit_id,
        run_id: a.run_id,
        target_id: a.target_id.clone(),
        sheet: a.sheet.clone(),
        entity_key: a.entity_key.clone(),
        check_id: a.check_id.clone(),
        entity: a.entity.clone(),
        change_type: a.change_type.clone(),
        description: a.description.clone(),
        detected_at: a.detected_at.clone(),
        notes: a.notes.clone(),
        manual: a.manual,
        server: a.server.clone(),
        instance: a.instance.clone(),
        category: a.category.clone(),
        risk: a.risk.clone(),
    };
    assert_eq!((actions[0].id, back(&actions[0])), (first, detected));
    assert_eq!((actions[1].id, back(&actions[1])), (second, manual));
    assert!(h.actions(audit.id + 1).unwrap().is_empty());
    let orphan = NewAction {
        audit_id: 9999,
        ..NewAction::default()
    };
    assert!(h.add_action(&orphan).is_err(), "foreign keys are enforced");
}

#[test]
fn a_stored_value_that_does_not_parse_is_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut h) = new_history(&dir);
    let audit = h.open_audit("a", "o", "now").unwrap();
    let run = h.begin_run(audit.id, RunKind::Audit, "now", "v").unwrap();
    h.complete_run(run.id, "t", &[target("a", true)], &stored(&["a"], 3), None)
        .unwrap();
    let (id, check_id): (i64, i64) = {
        let conn = rusqlite::Connection::open(&path).unwrap();
        // Past the CHECK constraints, as a hand edit with another tool could be.
        conn.execute_batch("PRAGMA ignore_check_constraints = ON;")
            .unwrap();
        let ids: Vec<i64> = conn
            .prepare("SELECT id FROM findings ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        conn.execute(
            "UPDATE findings SET severity = 'dire' WHERE id = ?1",
            [ids[1]],
        )
        .unwrap();
        conn.execute(
            "UPDATE findings SET check_id = 'Q99' WHERE id = ?1",
            [ids[2]],
        )
        .unwrap();
        (ids[1], ids[2])
    };
    let err = h.run_findings(run.id).unwrap_err();
    match &err {
        HistoryError::Corrupt {
            table, row, value, ..
        } => {
            assert_eq!((*table, *row, value.as_str()), ("findings", id, "dire"));
        }
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("audit_history.db"), "{message}");
    assert!(
        message.contains("findings") && message.contains("dire"),
        "{message}"
    );
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute("UPDATE findings SET severity = 'high' WHERE id = ?1", [id])
            .unwrap();
    }
    let err = h.run_findings(run.id).unwrap_err();
    assert!(
        matches!(&err, HistoryError::Corrupt { row, value, .. } if *row == check_id && value == "Q99"),
        "{err:?}"
    );
}

/// Schema 5 rewrites service keys from the Windows service name (which depended on the audit
/// login: the registry's `MSSQLSERVER`, the DMV's `SQL Server (MSSQLSERVER)`) to the service's
/// kind, in findings, row identities, annotations and the action log; other keys are untouched,
/// and where two old spellings of one row exist the row keeps one identity.
#[test]
fn schema_5_keys_services_by_kind() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut h) = new_history(&dir);
    let audit = h.open_audit("a", "o", "2026-01-01 00:00:00").unwrap();
    let run = h.begin_run(audit.id, RunKind::Audit, "t", "v").unwrap();
    let service = |key: &str, n: usize| StoredFinding {
        target_id: "prod".into(),
        finding: Finding {
            entity_type: "service".into(),
            entity_key: key.into(),
            ..finding(n)
        },
    };
    let findings = [
        service("service:mssql$prod", 0),
        service("service:sql server agent (prod)", 1),
        service("service:sqlbrowser", 2),
        service("service:reportserver$prod", 3),
        service("service:msolap$prod", 4),
        service("service:msdtsserver150", 5),
        service("service:mssqlfdlauncher$prod", 6),
        service("service:someone_elses_service", 7),
        StoredFinding {
            target_id: "prod".into(),
            finding: finding(8),
        },
    ];
    h.complete_run(run.id, "t", &[target("prod", true)], &findings, None)
        .unwrap();
    let rows = [
        ("Services", "target:prod/service:mssql$prod"),
        ("Services", "target:prod/service:sql server (prod)"),
        ("Services", "target:prod/service:sqlbrowser"),
        ("Server Logins", "target:prod/login:0x01"),
    ];
    let uuids = h.row_uuids(audit.id, run.id, &rows).unwrap();
    let note = Annotation {
        notes: Some("kept across the upgrade".into()),
        ..Annotation::default()
    };
    h.set_annotation(
        audit.id,
        None,
        "Services",
        "target:prod/service:sqlbrowser",
        &note,
        "t",
        "workbook",
    )
    .unwrap();
    h.add_action(&NewAction {
        audit_id: audit.id,
        run_id: Some(run.id),
        target_id: "prod".into(),
        entity_key: Some("service:sqlserveragent".into()),
        change_type: "fixed".into(),
        description: "d".into(),
        detected_at: "t".into(),
        ..NewAction::default()
    })
    .unwrap();
    drop(h);
    // Back to schema 4, as an older release left the file (without what migration 6 added).
    let conn = rusqlite::Connection::open(&path).unwrap();
    undo_migration_6(&conn);
    conn.pragma_update(None, "user_version", 4).unwrap();
    drop(conn);

    let mut h = History::open(&path).unwrap();
    assert_eq!(h.schema_version().unwrap(), History::SCHEMA_VERSION);
    let keys: Vec<String> = h
        .run_findings(run.id)
        .unwrap()
        .into_iter()
        .map(|f| f.finding.entity_key)
        .collect();
    assert_eq!(
        keys[..8],
        [
            "service:engine",
            "service:agent",
            "service:browser",
            "service:reporting",
            "service:analysis",
            "service:integration",
            "service:full_text",
            "service:someone_elses_service",
        ]
    );
    assert_eq!(keys[8], finding(8).entity_key);
    // The engine row keeps one of its two identities; the others keep theirs.
    let after = h
        .row_uuids(
            audit.id,
            run.id,
            &[
                ("Services", "target:prod/service:engine"),
                ("Services", "target:prod/service:browser"),
                ("Server Logins", "target:prod/login:0x01"),
            ],
        )
        .unwrap();
    assert!(
        after[0] == uuids[0] || after[0] == uuids[1],
        "{after:?} {uuids:?}"
    );
    assert_eq!(after[1..], [uuids[2].clone(), uuids[3].clone()]);
    let annotations = h.annotations(audit.id).unwrap();
    assert_eq!(
        annotations[&(
            "Services".to_owned(),
            "target:prod/service:browser".to_owned()
        )]
            .notes
            .as_deref(),
        Some("kept across the upgrade")
    );
    let actions = h.actions(audit.id).unwrap();
    assert_eq!(actions[0].entity_key.as_deref(), Some("service:agent"));
    assert_eq!(h.integrity_check().unwrap(), "ok");
}

/// Removes what migration 6 (check selection, baselines) added, as a file of schema 5 was.
fn undo_migration_6(conn: &rusqlite::Connection) {
    conn.execute_batch(
        "DROP TABLE baseline_results; DROP TABLE baselines;
         ALTER TABLE runs DROP COLUMN selection; ALTER TABLE run_targets DROP COLUMN not_selected;",
    )
    .unwrap();
}

#[test]
fn schema_6_adds_selection_and_baselines_to_a_schema_5_file_and_keeps_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut h) = new_history(&dir);
    let audit = h.open_audit("a", "o", "2026-01-01 00:00:00").unwrap();
    let run = h.begin_run(audit.id, RunKind::Audit, "t", "v").unwrap();
    h.complete_run(
        run.id,
        "t",
        &[target("prod", true)],
        &stored(&["prod"], 3),
        None,
    )
    .unwrap();
    drop(h);
    let conn = rusqlite::Connection::open(&path).unwrap();
    undo_migration_6(&conn);
    conn.pragma_update(None, "user_version", 5).unwrap();
    drop(conn);

    let h = History::open(&path).unwrap();
    assert_eq!(h.schema_version().unwrap(), History::SCHEMA_VERSION);
    // A run recorded before selections existed evaluated every check.
    assert_eq!(h.run(run.id).unwrap().unwrap().selection, None);
    assert!(h.run_targets(run.id).unwrap()[0].not_selected.is_empty());
    assert_eq!(h.run_findings(run.id).unwrap().len(), 3);
    assert!(h.current_baselines().unwrap().is_empty());
}

#[test]
fn baselines_are_approved_replaced_and_cleared_with_who_and_when_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (_path, mut h) = new_history(&dir);
    let audit = h.open_audit("a", "o", "2026-01-01 00:00:00").unwrap();
    let run = h.begin_run(audit.id, RunKind::Audit, "t", "v").unwrap();
    h.record_selection(run.id, "stig, --skip-checks X01")
        .unwrap();
    let mut prod = target("prod", true);
    prod.not_selected = vec!["X01".into(), "X02".into()];
    h.complete_run(run.id, "t", &[prod], &stored(&["prod"], 2), None)
        .unwrap();
    assert_eq!(
        h.run(run.id).unwrap().unwrap().selection.as_deref(),
        Some("stig, --skip-checks X01")
    );
    assert_eq!(
        h.run_targets(run.id).unwrap()[0].not_selected,
        ["X01", "X02"]
    );
    // A selection can only be recorded while the run runs.
    assert!(h.record_selection(run.id, "all").is_err());

    let result = |key: &str, status: Status| history::BaselineResult {
        entity_key: key.into(),
        entity: format!("{HOSTILE} {key}"),
        status,
        evidence: BTreeMap::from([("members".to_owned(), HOSTILE.to_owned())]),
    };
    let baseline = |check: &str, results| history::NewBaseline {
        target_id: "prod".into(),
        check_id: check.into(),
        run_id: run.id,
        results,
    };
    let approved = h
        .approve_baselines(
            &[
                baseline(
                    "R08",
                    vec![
                        result("login:a", Status::Review),
                        result("login:b", Status::Pass),
                    ],
                ),
                baseline("X01", vec![result("database:x", Status::Fail)]),
            ],
            "2026-01-02 00:00:00",
            "alice",
            Some("kick-off"),
        )
        .unwrap();
    assert_eq!(approved, 2);
    let current = h.current_baselines().unwrap();
    assert_eq!(current.len(), 2);
    assert_eq!(current[0].check_id, "R08");
    assert_eq!(current[0].results.len(), 2);
    assert_eq!(current[0].results[0].evidence["members"], HOSTILE);
    assert_eq!(current[0].approved_by, "alice");
    assert_eq!(current[0].note.as_deref(), Some("kick-off"));

    // Approving again replaces the current one; the old stays on record, ended.
    h.approve_baselines(
        &[baseline("R08", vec![result("login:a", Status::Fail)])],
        "2026-01-03 00:00:00",
        "bob",
        None,
    )
    .unwrap();
    let current = h.current_baselines().unwrap();
    assert_eq!(current.len(), 2);
    let r08 = current.iter().find(|b| b.check_id == "R08").unwrap();
    assert_eq!((r08.approved_by.as_str(), r08.results.len()), ("bob", 1));
    assert_eq!(
        h.clear_baselines(&[], &["X01".into()], "2026-01-04 00:00:00", "carol")
            .unwrap(),
        1
    );
    assert_eq!(h.current_baselines().unwrap().len(), 1);
    assert_eq!(
        h.clear_baselines(&["prod".into()], &[], "2026-01-05 00:00:00", "carol")
            .unwrap(),
        1
    );
    assert!(h.current_baselines().unwrap().is_empty());
    assert_eq!(h.integrity_check().unwrap(), "ok");
}
