//! The DISA STIG Viewer checklists (`.ckl`, `.cklb`) read back by independent readers:
//! Python's `xml.etree` and `json` (`check_checklists.py` beside this file) assert STIG Viewer's
//! structure, every rule of both STIGs exactly once, the statuses decided from the findings,
//! the asset data, and that hostile text from a server survives as data.
//!
//! The report is built by hand: a SQL Server 2019 instance (the 2016 STIGs), a 2022 one (the
//! 2022 STIGs) and one that was not reached. The rules exercised are picked from the STIG data
//! so that their checks do not overlap, whatever the catalogue maps today.

mod common {
    pub mod interop;
}

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use audit_core::stig::{self, Rule};
use audit_core::{CheckId, Finding, RemediationCategory, Severity, Standing, Status};
use export::{Instance, Note, Report, ResultRow};
use serde_json::{Value, json};

/// What one instance's checklist must show, for the Python reader.
struct Expected {
    statuses: BTreeMap<String, &'static str>,
    details: BTreeMap<String, Vec<String>>,
    comments: BTreeMap<String, Vec<String>>,
}

fn finding(check: CheckId, status: Status, entity: &str, message: &str) -> Finding {
    Finding {
        check_id: check,
        status,
        severity: Severity::High,
        entity_type: "instance".into(),
        entity: entity.into(),
        entity_key: audit_core::entity_key("instance", &[entity]),
        message: message.into(),
        evidence: BTreeMap::from([("value_in_use".to_owned(), "1".to_owned())]),
        remediation_category: RemediationCategory::Manual,
        fix: None,
    }
}

fn row(target: &str, finding: Finding, standing: Standing) -> ResultRow {
    let fingerprint = export::fingerprint(target, &finding);
    ResultRow {
        finding,
        standing,
        drift: None,
        note: None,
        fingerprint,
    }
}

/// Rules of the instance's STIGs, each with the checks that map to it, such that no check maps
/// to two picked rules (so each rule's status comes from its own findings only).
fn pick_rules(major: u16, count: usize) -> Vec<(&'static Rule, Vec<CheckId>)> {
    let mut used: BTreeSet<CheckId> = BTreeSet::new();
    let mut picked = Vec::new();
    for benchmark in stig::benchmarks_for(major) {
        for rule in &benchmark.rules {
            let checks: Vec<CheckId> = stig::checks_for(&rule.version, major)
                .iter()
                .map(|c| c.id)
                .collect();
            if checks.is_empty() || checks.iter().any(|c| used.contains(c)) {
                continue;
            }
            // Every other rule the checks map to must be left alone too: mark them all used.
            used.extend(checks.iter().copied());
            picked.push((rule, checks));
            if picked.len() == count {
                return picked;
            }
        }
    }
    panic!("fewer than {count} rules with disjoint checks for major {major}");
}

fn unmapped_rule(major: u16) -> &'static Rule {
    stig::benchmarks_for(major)
        .into_iter()
        .flat_map(|b| &b.rules)
        .find(|r| stig::checks_for(&r.version, major).is_empty())
        .expect("some STIG rule has no check")
}

/// A reached instance with findings that make four picked rules Open (one excepted with a
/// justification), NotAFinding, Not_Applicable and Not_Reviewed (an open REVIEW); one more
/// picked rule carries a hostile finding.
fn reached(target: &str, major: u16, version: &str) -> (Instance, Expected) {
    let picked = pick_rules(major, 5);
    let mut results = Vec::new();
    let mut expected = Expected {
        statuses: BTreeMap::new(),
        details: BTreeMap::new(),
        comments: BTreeMap::new(),
    };
    // Open: every check FAILs; the first is excepted with a justification.
    let (open_rule, checks) = &picked[0];
    for (n, check) in checks.iter().enumerate() {
        let mut r = row(
            target,
            finding(*check, Status::Fail, "sa", "sa is enabled"),
            if n == 0 {
                Standing::Excepted
            } else {
                Standing::Open
            },
        );
        if n == 0 {
            r.note = Some(Note {
                review_status: Some("✓ Exception".into()),
                justification: Some("Vendor application logs in as sa".into()),
                notes: Some("Ticket CHG-1".into()),
            });
        }
        results.push(r);
    }
    expected.statuses.insert(open_rule.version.clone(), "Open");
    expected.details.insert(
        open_rule.version.clone(),
        vec![
            format!("[FAIL] {} sa: sa is enabled", checks[0]),
            "  value_in_use: 1".into(),
        ],
    );
    expected.comments.insert(
        open_rule.version.clone(),
        vec![
            "Justification: Vendor application logs in as sa".into(),
            "documented exception".into(),
            "Evaluated by AutoDBAudit 0.1.0, run 42".into(),
        ],
    );
    // NotAFinding: every check PASSes.
    let (pass_rule, checks) = &picked[1];
    for check in checks {
        results.push(row(
            target,
            finding(*check, Status::Pass, "server", "compliant"),
            Standing::Compliant,
        ));
    }
    expected
        .statuses
        .insert(pass_rule.version.clone(), "NotAFinding");
    // Not_Applicable: every check is out of scope.
    let (na_rule, checks) = &picked[2];
    for check in checks {
        let mut f = finding(*check, Status::Info, "server", "does not apply");
        f.evidence
            .insert("not_applicable".into(), "applies to 2022 and later".into());
        results.push(row(target, f, Standing::Compliant));
    }
    expected
        .statuses
        .insert(na_rule.version.clone(), "Not_Applicable");
    // Not_Reviewed: an open REVIEW.
    let (review_rule, checks) = &picked[3];
    for check in checks {
        results.push(row(
            target,
            finding(*check, Status::Review, "login1", "review this member"),
            Standing::Open,
        ));
    }
    expected
        .statuses
        .insert(review_rule.version.clone(), "Not_Reviewed");
    // Hostile text from the server: markup, an entity, a CDATA end, control characters.
    let (hostile_rule, checks) = &picked[4];
    let hostile = "x<script>&amp;]]>\u{1}\u{1b}'\"y";
    for check in checks {
        let mut f = finding(*check, Status::Warn, hostile, "hostile <name> & more");
        f.evidence.insert("name".into(), hostile.into());
        let mut r = row(target, f, Standing::Drift);
        r.drift = Some("new".into());
        results.push(r);
    }
    expected
        .statuses
        .insert(hostile_rule.version.clone(), "Open");
    expected.details.insert(
        hostile_rule.version.clone(),
        vec!["x<script>&amp;]]>\u{FFFD}\u{FFFD}'\"y: hostile <name> & more".into()],
    );
    expected.comments.insert(
        hostile_rule.version.clone(),
        vec!["drift from the approved baseline: new".into()],
    );
    let unmapped = unmapped_rule(major);
    expected
        .statuses
        .insert(unmapped.version.clone(), "Not_Reviewed");
    expected.comments.insert(
        unmapped.version.clone(),
        vec!["no AutoDBAudit check automates this rule".into()],
    );
    let instance = Instance {
        target_id: target.into(),
        server: format!("{target}.corp.example"),
        instance: Some("SALES".into()),
        port: None,
        label: format!("{target}.corp.example\\SALES"),
        host_name: Some(target.to_uppercase()),
        fqdn: Some(format!("{target}.corp.example")),
        ip_address: None,
        version: Some(version.into()),
        major: Some(major),
        edition: Some("Enterprise Edition (64-bit)".into()),
        reached: true,
        reason: None,
        not_selected: Vec::new(),
        results,
    };
    (instance, expected)
}

fn unreached() -> (Instance, Expected) {
    let mut statuses = BTreeMap::new();
    let mut comments = BTreeMap::new();
    for b in stig::benchmarks_for(u16::MAX) {
        for r in &b.rules {
            statuses.insert(r.version.clone(), "Not_Reviewed");
            comments.insert(
                r.version.clone(),
                vec!["the instance was not reached (login failed for user 'audit')".into()],
            );
        }
    }
    let instance = Instance {
        target_id: "down".into(),
        server: "10.0.0.9".into(),
        instance: None,
        port: Some(1433),
        label: "10.0.0.9".into(),
        host_name: None,
        fqdn: None,
        ip_address: Some("10.0.0.9".into()),
        version: None,
        major: None,
        edition: None,
        reached: false,
        reason: Some("login failed for user 'audit'".into()),
        not_selected: Vec::new(),
        results: Vec::new(),
    };
    (
        instance,
        Expected {
            statuses,
            details: BTreeMap::new(),
            comments,
        },
    )
}

fn report(instances: Vec<Instance>) -> Report {
    Report {
        tool: "AutoDBAudit 0.1.0".into(),
        tool_version: "0.1.0".into(),
        audit: "H2 2026".into(),
        organization: "Example Corp".into(),
        run_id: 42,
        started: "2026-07-01 08:00:00".into(),
        finished: "2026-07-01 08:03:10".into(),
        profile: "all".into(),
        compliance: Vec::new(),
        instances,
    }
}

/// The expectations file the Python reader checks a checklist against.
fn expectations(instance: &Instance, expected: &Expected, format: &str) -> Value {
    let major = instance.major.unwrap_or(u16::MAX);
    let stigs: Vec<Value> = stig::benchmarks_for(major)
        .iter()
        .map(|b| {
            json!({
                "stig_id": b.id,
                "title": b.title,
                "release_info": b.release_info,
                "version": b.version.to_string(),
                "rules": b.rules.iter().map(|r| json!({
                    "group_id": r.group_id,
                    "rule_id": r.rule_id,
                    "version": r.version,
                    "severity": r.severity.as_str(),
                    "ccis": r.ccis,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "format": format,
        "asset": {
            "host_name": instance.host_name.clone().unwrap_or_else(|| instance.server.clone()),
            "fqdn": instance.fqdn.clone().unwrap_or_default(),
            "ip": instance.ip_address.clone().unwrap_or_default(),
            "instance": instance.label,
        },
        "stigs": stigs,
        "statuses": expected.statuses,
        "details": expected.details,
        "comments": expected.comments,
    })
}

fn python_check(file: &Path, expect: &Value, dir: &Path) {
    let expect_path = dir.join(format!(
        "{}.expect.json",
        file.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&expect_path, serde_json::to_vec_pretty(expect).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check_checklists.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(file)
        .arg(&expect_path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{} rejected {}:\n{}{}",
        script.display(),
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok"));
}

fn fleet() -> (Report, Vec<Expected>) {
    let (i2019, e2019) = reached("sql2019", 15, "15.0.4415.2");
    let (i2022, e2022) = reached("sql2022", 16, "16.0.4135.4");
    let (down, edown) = unreached();
    (report(vec![i2019, i2022, down]), vec![e2019, e2022, edown])
}

#[test]
fn ckl_files_read_by_python_have_stig_viewers_structure_and_our_statuses() {
    if !common::interop::program("python3", "apt-get install python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (report, expected) = fleet();
    for (instance, expected) in report.instances.iter().zip(&expected) {
        let bytes = export::ckl::write(&report, instance);
        let path = dir.path().join(export::ckl::file_name(instance));
        std::fs::write(&path, &bytes).unwrap();
        python_check(&path, &expectations(instance, expected, "ckl"), dir.path());
    }
}

#[test]
fn cklb_files_read_by_python_have_stig_viewer_3s_keys_and_our_statuses() {
    if !common::interop::program("python3", "apt-get install python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (report, expected) = fleet();
    for (instance, expected) in report.instances.iter().zip(&expected) {
        let bytes = export::cklb::write(&report, instance);
        let path = dir.path().join(export::cklb::file_name(instance));
        std::fs::write(&path, &bytes).unwrap();
        python_check(&path, &expectations(instance, expected, "cklb"), dir.path());
    }
}

#[test]
fn the_same_state_writes_the_same_files() {
    let (report, _) = fleet();
    for instance in &report.instances {
        assert_eq!(
            export::ckl::write(&report, instance),
            export::ckl::write(&report, instance)
        );
        assert_eq!(
            export::cklb::write(&report, instance),
            export::cklb::write(&report, instance)
        );
    }
    assert_eq!(export::ckl::file_name(&report.instances[0]), "sql2019.ckl");
    assert_eq!(
        export::cklb::file_name(&report.instances[1]),
        "sql2022.cklb"
    );
}
