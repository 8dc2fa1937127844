//! Every column of every result set the audit reads, taken away (dropped, or renamed) by the
//! simulator one at a time: exactly the checks that read the fact it belongs to become
//! UNKNOWN with a reason naming the column, and every other check's verdicts stay as they
//! were. A server that answers in another shape never yields a default value in place of the
//! missing one (a missing `value_in_use` once read as 0, "xp_cmdshell disabled").

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use audit_core::checks::{self, Check};
use audit_core::snapshot::FactId;
use audit_core::{Finding, Status};
use collect::{batch, connect::connect, queries};
use common::*;
use mssql_sim::instance::ColumnFault;

/// The fact groups a column of a result set feeds (what the collector builds from it).
fn facts_of(set: &str, column: &str) -> Vec<FactId> {
    use FactId::*;
    match set {
        "logins" => vec![Logins],
        "role_members" => vec![ServerRoleMembers],
        "server_permissions" => vec![ServerPermissions],
        "configuration" => vec![Configuration],
        "linked_servers" | "linked_logins" => vec![LinkedServers],
        "server_triggers" => vec![ServerTriggers],
        "audits" => vec![Audits],
        "audit_status" => vec![AuditStatus],
        "agent_jobs" => vec![AgentJobs],
        "certificates" | "db_certificates" => vec![Certificates],
        "host" => vec![Host],
        "services" | "registry_services" => vec![Services],
        "encryption_keys" => vec![EncryptionKeys],
        "connections" => vec![Connections],
        "xp_permissions" => vec![XpPermissions],
        "credentials" => vec![Credentials],
        "startup_procedures" => vec![StartupProcedures],
        "endpoints" => vec![Endpoints],
        "custom_extended_procedures" => vec![CustomExtendedProcedures],
        "agent_proxies" | "agent_proxy_subsystems" | "agent_proxy_logins" => vec![AgentProxies],
        "cryptographic_providers" => vec![CryptographicProviders],
        "validate_logins" | "invalid_windows_logins" => vec![InvalidWindowsLogins],
        // The documented registry view: read in full, so a malformed one fails its facts.
        "server_registry" => vec![
            Protocols,
            LoginAuditLevel,
            ForceEncryption,
            InstanceSettings,
            StartupParameters,
            TlsCertificate,
        ],
        "instance_settings" => vec![InstanceSettings],
        "host_settings" | "schannel" => vec![HostSettings],
        "registry" => match column {
            "audit_level" => vec![LoginAuditLevel],
            "force_encryption" => vec![ForceEncryption],
            "certificate" => vec![TlsCertificate],
            _ => vec![Protocols],
        },
        // Without the list of databases nothing inside them is read either.
        "databases" => vec![Databases, DatabaseDetails, Certificates],
        "db_principals" | "db_role_members" | "db_permissions" | "db_triggers" | "db_keys"
        | "db_assemblies" | "db_modules" | "db_ownership" => {
            vec![DatabaseDetails]
        }
        other => panic!("a result set this test does not know: {other} (add it to facts_of)"),
    }
}

/// Every marked result set the audit's batches return from `server`, with its columns and
/// whether it had rows.
async fn result_sets(server: &mssql_sim::RunningServer) -> Vec<(String, Vec<String>, bool)> {
    let mut conn = connect(&endpoint(server, SYSADMIN)).await.unwrap();
    let snapshot = collect::collect_snapshot(&mut conn, true, "SQL", Duration::from_secs(10))
        .await
        .unwrap();
    let version = snapshot.server.version;
    let databases: Vec<String> = snapshot
        .databases
        .as_ref()
        .unwrap()
        .iter()
        .filter(|d| d.state == "ONLINE")
        .map(|d| d.name.clone())
        .collect();
    let mut out = Vec::new();
    for sql in [
        queries::server_facts(version),
        queries::registry(version, snapshot.server.instance_name.as_deref()),
        queries::databases(version),
        queries::database_facts(version, &databases),
    ] {
        let result = batch::run(&mut conn, &sql).await.unwrap();
        assert_eq!(result.error, None, "the baseline batch failed");
        for (name, rows) in result.sets {
            out.push((name, rows.columns.clone(), !rows.rows.is_empty()));
        }
    }
    out.sort();
    out
}

fn keyed(findings: &[Finding], check: &Check) -> Vec<(Status, String)> {
    findings
        .iter()
        .filter(|f| f.check_id == check.id)
        .map(|f| (f.status, f.entity_key.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_or_renamed_column_makes_exactly_its_dependent_checks_unknown() {
    let policy = policy();
    let base = closed_fixture();
    let server = mssql_sim::start(base.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let baseline = checks::evaluate(&snapshot_as(&server, SYSADMIN).await, &policy);
    let sets = result_sets(&server).await;
    drop(server);

    let mut failures = Vec::new();
    let (mut tried, mut empty) = (0, BTreeSet::new());
    for (n, (set, columns, has_rows)) in sets.iter().enumerate() {
        if !has_rows {
            // An empty result set has no value to misread; its shape is not tested here.
            empty.insert(set.clone());
            continue;
        }
        for (m, column) in columns.iter().enumerate() {
            tried += 1;
            let rename = (n + m) % 2 == 1;
            let mut instance = base.clone();
            instance.faults.column_faults.push(ColumnFault {
                result_set: format!("fact:{set}"),
                column: column.clone(),
                rename_to: rename.then(|| format!("{column}_v2")),
            });
            let server = mssql_sim::start(instance, "127.0.0.1:0".parse().unwrap())
                .await
                .unwrap();
            let findings = checks::evaluate(&snapshot_as(&server, SYSADMIN).await, &policy);
            let facts = facts_of(set, column);
            let how = if rename { "renamed" } else { "dropped" };
            for check in checks::catalogue() {
                let depends = check.reads.iter().any(|f| facts.contains(f));
                if depends {
                    let named = findings.iter().any(|f| {
                        f.check_id == check.id
                            && f.status == Status::Unknown
                            && f.message.contains(&format!("`{column}`"))
                    });
                    if !named {
                        failures.push(format!(
                            "{set}.{column} {how}: {} reads {facts:?} but has no UNKNOWN naming `{column}`: {:?}",
                            check.id,
                            keyed(&findings, check)
                        ));
                    }
                } else if keyed(&findings, check) != keyed(&baseline, check) {
                    failures.push(format!(
                        "{set}.{column} {how}: {} does not read {facts:?}, yet its verdicts changed",
                        check.id
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        tried > 100,
        "only {tried} columns tried; empty result sets: {empty:?}"
    );
    eprintln!("{tried} columns tried; result sets without rows (not tried): {empty:?}");
}
