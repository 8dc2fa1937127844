//! The least-privilege matrix: the same server audited as sysadmin, as `limited_auditor`
//! (VIEW SERVER STATE, VIEW ANY DEFINITION) and as a login with only CONNECT SQL, over TDS.
//! For every check and entity, a lesser login's verdict is the sysadmin's, or UNKNOWN naming
//! what it could not read — never PASS where sysadmin finds something, never a WARN or FAIL
//! sysadmin does not find — and the level-3 remediation planned from its run acts on nothing
//! the sysadmin run would not also act on.
//!
//! The fixture: `hardened-2022` plus a database `HRDB` the lesser logins cannot enter, holding
//! an orphaned user, a db_owner member, a GRANT WITH GRANT OPTION, a CONTROL grant, a trigger
//! and a certificate never backed up; a login used only in HRDB; Browser and Integration
//! Services set to start automatically (their configuration is only in the registry). The
//! built-in fixtures of every version are run through the same matrix, and the fixture again
//! with VIEW ANY DATABASE revoked from public.

use std::collections::{BTreeMap, BTreeSet};

use audit_core::checks;
use audit_core::snapshot::Snapshot;
use audit_core::{CheckId, Finding, Status};
use mssql_sim::{Instance, Login, fixtures};

mod common;
use common::*;

type Verdicts = BTreeMap<(CheckId, String), (Status, String)>;

fn verdicts(findings: &[Finding]) -> Verdicts {
    findings
        .iter()
        .map(|f| {
            (
                (f.check_id, f.entity_key.clone()),
                (f.status, f.message.clone()),
            )
        })
        .collect()
}

/// What the lesser login's run may differ in, per the rules above; each breach as a line.
fn breaches(fixture: &str, login: &str, full: &[Finding], lesser: &[Finding]) -> Vec<String> {
    let (full_v, lesser_v) = (verdicts(full), verdicts(lesser));
    let unknown_checks: BTreeSet<CheckId> = lesser
        .iter()
        .filter(|f| f.status == Status::Unknown)
        .map(|f| f.check_id)
        .collect();
    let mut out = Vec::new();
    for ((check, key), (status, message)) in &lesser_v {
        match full_v.get(&(*check, key.clone())) {
            Some((full_status, _)) if full_status == status => {}
            _ if *status == Status::Unknown && message.trim().is_empty() => {
                out.push(format!("{fixture} {login} {check} {key}: UNKNOWN without a reason"));
            }
            _ if *status == Status::Unknown => {}
            Some((full_status, _)) => out.push(format!(
                "{fixture} {login} {check} {key}: {status} where sysadmin finds {full_status} ({message})"
            )),
            None if matches!(status, Status::Fail | Status::Warn | Status::Review) => out.push(
                format!("{fixture} {login} {check} {key}: {status} that sysadmin does not find ({message})"),
            ),
            None => {}
        }
    }
    for ((check, key), (status, _)) in &full_v {
        if matches!(status, Status::Fail | Status::Warn | Status::Review)
            && !lesser_v.contains_key(&(*check, key.clone()))
            && !unknown_checks.contains(check)
        {
            out.push(format!(
                "{fixture} {login} {check} {key}: sysadmin finds {status}; the lesser run says nothing and no UNKNOWN"
            ));
        }
    }
    out
}

/// The fixes a run's findings would get at level 3 (live or held back to protect the login
/// that ran it: which login applies a script is not what this compares), as comparable text.
fn live_actions(snapshot: &Snapshot, findings: &[Finding]) -> BTreeSet<String> {
    let inputs: Vec<remediate::plan::Input<'_>> = findings
        .iter()
        .map(|finding| remediate::plan::Input {
            finding,
            exception: None,
        })
        .collect();
    let level = remediate::plan::Level::new(3).unwrap();
    remediate::plan::plan(snapshot, &inputs)
        .into_iter()
        .filter(|item| {
            item.category.live_from().is_some_and(|from| level >= from)
                && !matches!(item.hold, Some(remediate::plan::Hold::Exception { .. }))
        })
        .filter(|item| item.action != remediate::plan::Action::Manual)
        // What is acted on: the check and the entity. (The fix for one entity may differ with
        // what the login could read — a new password where sysadmin read the hash, CHECK_POLICY
        // where it could not — but never touch an entity sysadmin leaves alone.)
        .map(|item| format!("{} {}", item.check, item.entity))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn lesser_logins_never_pass_what_sysadmin_fails() {
    // The same with VIEW ANY DATABASE revoked from public, as hardening guides do: sys.databases
    // then lists only master, tempdb and the databases a login owns.
    let mut hardened_public = closed_fixture();
    hardened_public.public_view_any_database = false;
    let mut instances: Vec<(String, Instance)> = vec![
        ("closed-hr-2022".into(), closed_fixture()),
        ("no-public-view-any-database".into(), hardened_public),
    ];
    for name in fixtures::BUILTIN {
        let mut i = fixtures::builtin(name).unwrap();
        i.logins
            .push(Login::new(CONNECT_ONLY, fixtures::DEMO_PASSWORD));
        i.normalize().unwrap();
        instances.push((name.to_owned(), i));
    }
    let policy = policy();
    let mut failures = Vec::new();
    for (name, instance) in instances {
        let server = mssql_sim::start(instance, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let full_snapshot = snapshot_as(&server, SYSADMIN).await;
        let full = checks::evaluate(&full_snapshot, &policy);
        let full_actions = live_actions(&full_snapshot, &full);
        for login in [LIMITED, CONNECT_ONLY] {
            let snapshot = snapshot_as(&server, login).await;
            let lesser = checks::evaluate(&snapshot, &policy);
            failures.extend(breaches(&name, login, &full, &lesser));
            for action in live_actions(&snapshot, &lesser).difference(&full_actions) {
                failures.push(format!(
                    "{name} {login}: level-3 remediation from this run would do what the sysadmin run would not: {action}"
                ));
            }
            if name == "closed-hr-2022" && login == CONNECT_ONLY {
                // A mapping whose local login the audit could not name is never scripted.
                let inputs: Vec<remediate::plan::Input<'_>> = lesser
                    .iter()
                    .map(|finding| remediate::plan::Input {
                        finding,
                        exception: None,
                    })
                    .collect();
                let r25: Vec<_> = remediate::plan::plan(&snapshot, &inputs)
                    .into_iter()
                    .filter(|i| i.check.as_str() == "R25")
                    .collect();
                if r25.len() != 1 || r25[0].action != remediate::plan::Action::Manual {
                    failures.push(format!(
                        "{name} {login}: R25 with a hidden local login must be a manual step: {r25:?}"
                    ));
                }
            }
            if name == "closed-hr-2022" {
                // The closed database and the registry-only services are named, not skipped.
                for (check, key, word) in [
                    ("R13", "database:hrdb", "HRDB"),
                    ("R09", "database:hrdb", "HRDB"),
                    ("R19", "service:browser", "Browser"),
                    ("R21", "service:integration", "Integration"),
                ] {
                    let check: CheckId = check.parse().unwrap();
                    // Where the whole fact is unavailable, the UNKNOWN is the instance's.
                    let hit = lesser
                        .iter()
                        .find(|f| f.check_id == check && f.entity_key == key)
                        .or_else(|| {
                            lesser.iter().find(|f| {
                                f.check_id == check
                                    && f.entity_key == "instance:"
                                    && f.status == Status::Unknown
                                    && login == CONNECT_ONLY
                            })
                        });
                    let word = if hit.is_some_and(|f| f.entity_key == "instance:") {
                        "unavailable"
                    } else {
                        word
                    };
                    match hit {
                        Some(f) if f.status == Status::Unknown && f.message.contains(word) => {}
                        other => failures.push(format!(
                            "{name} {login} {check}: expected UNKNOWN {key} naming {word}, got {other:?}"
                        )),
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} breach(es):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
