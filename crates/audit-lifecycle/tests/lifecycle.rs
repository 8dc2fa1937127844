//! The lifecycle without the binary: a history written through the `history` crate, then the
//! dashboard, the finalize rules and `report`'s run selection called directly.

use std::collections::BTreeMap;
use std::path::Path;

use audit_core::checks::catalogue;
use audit_core::{Finding, RemediationCategory, Status};
use audit_lifecycle::audit::Outputs;
use audit_lifecycle::workspace::HISTORY_FILE;
use audit_lifecycle::{ErrorKind, Observer, finalize, render, status};
use history::{History, RunKind, StoredFinding, TargetRecord};

/// Collects the notes a step gives.
#[derive(Default)]
struct Notes(Vec<String>);

impl Observer for Notes {
    fn note(&mut self, text: &str) {
        self.0.push(text.to_owned());
    }
}

/// A workspace whose audit `2026-H2` has one completed run: one target, not reached, with one
/// FAIL on its instance (so one row blocks finalizing) and the rest UNKNOWN.
fn workspace_with_one_open_row(root: &Path) {
    let mut history = History::open(&root.join(HISTORY_FILE)).unwrap();
    let audit = history
        .open_audit("2026-H2", "Contoso", "2026-11-20 10:00:00")
        .unwrap();
    let run = history
        .begin_run(audit.id, RunKind::Audit, "2026-11-20 10:00:00", "test")
        .unwrap();
    let target = TargetRecord {
        target_id: "db1".into(),
        server: "db1.example".into(),
        instance: None,
        port: None,
        reached: false,
        reason: Some("connection refused".into()),
        version: None,
        snapshot_json: None,
        not_selected: Vec::new(),
    };
    let findings: Vec<StoredFinding> = catalogue()
        .iter()
        .enumerate()
        .map(|(i, check)| StoredFinding {
            target_id: "db1".into(),
            finding: Finding {
                check_id: check.id,
                status: if i == 0 {
                    Status::Fail
                } else {
                    Status::Unknown
                },
                severity: check.severity,
                entity_type: "instance".into(),
                entity: "db1.example".into(),
                entity_key: audit_core::entity_key("instance", &[]),
                message: "as the test says".into(),
                evidence: BTreeMap::new(),
                remediation_category: RemediationCategory::None,
                fix: None,
            },
        })
        .collect();
    history
        .complete_run_with_actions(
            run.id,
            "2026-11-20 10:01:00",
            &[target],
            &findings,
            None,
            &[],
        )
        .unwrap();
}

#[test]
fn finalize_is_refused_while_a_row_is_open_and_forced_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    workspace_with_one_open_row(dir.path());

    let dashboard = status::dashboard(dir.path()).unwrap();
    assert_eq!(dashboard.audit, "2026-H2");
    assert_eq!(dashboard.blocking_finalize, 1);
    assert_eq!(dashboard.checks[0].counts.open, 1);
    assert_eq!(
        dashboard.checks[1].counts.unknown, 1,
        "every other check is UNKNOWN"
    );

    let mut notes = Notes::default();
    let refused = finalize::finalize(dir.path(), false, &mut notes).unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Usage);
    assert_eq!(
        refused.message,
        "audit `2026-H2` cannot be finalized: 1 row(s) have a FAIL/WARN that is neither fixed, a documented exception nor baselined"
    );
    assert_eq!(refused.details.len(), 1);
    assert!(
        refused.details[0].starts_with("Instances: db1.example\\"),
        "{:?}",
        refused.details
    );
    assert!(
        notes.0.iter().any(|n| n.contains("nothing to import")),
        "the missing workbook is a note: {:?}",
        notes.0
    );

    let done = finalize::finalize(dir.path(), true, &mut notes).unwrap();
    assert_eq!(done.forced_over, 1);
    assert_eq!(done.digest.len(), 64);
    assert!(done.archive.is_file() && done.checksum.is_file());
    let again = finalize::finalize(dir.path(), true, &mut notes).unwrap_err();
    assert!(again.message.contains("was already finalized"), "{again}");
    assert!(status::dashboard(dir.path()).unwrap().finalized);
    assert_eq!(finalize::definalize(dir.path()).unwrap(), "2026-H2");
    assert_eq!(
        finalize::definalize(dir.path()).unwrap_err().message,
        "audit `2026-H2` is not finalized"
    );
}

#[test]
fn report_renders_the_latest_run_and_names_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let missing = render::report(dir.path(), None, &Outputs::default()).unwrap_err();
    assert_eq!(missing.kind, ErrorKind::Usage);
    assert!(missing.message.starts_with("no history in "), "{missing}");

    workspace_with_one_open_row(dir.path());
    let outputs = Outputs {
        workbook: true,
        findings: true,
        exports: export::Format::ALL.to_vec(),
    };
    let report = render::report(dir.path(), None, &outputs).unwrap();
    assert_eq!(report.audit, "2026-H2");
    let workbook = report.workbook.unwrap();
    assert!(workbook.ends_with("output/2026-H2/2026-H2.xlsx"));
    assert!(workbook.is_file());
    assert_eq!(report.rendered.unwrap().open, 1);
    assert!(report.findings.unwrap().is_file());
    // One file per run format, one checklist per instance and checklist format.
    let names: Vec<String> = report
        .exports
        .iter()
        .map(|p| {
            p.strip_prefix(dir.path())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    assert_eq!(
        names,
        [
            "output/2026-H2/checklists/db1.ckl",
            "output/2026-H2/checklists/db1.cklb",
            "output/2026-H2/2026-H2.sarif",
            "output/2026-H2/2026-H2.junit.xml",
            "output/2026-H2/2026-H2.html",
            "output/2026-H2/2026-H2.csv",
        ]
    );
    assert!(
        report
            .exports
            .iter()
            .all(|p| p.metadata().unwrap().len() > 100)
    );
    let unknown = render::report(dir.path(), Some(99), &outputs).unwrap_err();
    assert_eq!(
        unknown.message,
        "--run 99: there is no run 99 in the history"
    );
    assert_eq!(
        unknown.hint.as_deref(),
        Some("`autodbaudit status` lists the runs")
    );
}
