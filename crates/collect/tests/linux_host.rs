//! SQL Server on Linux (`builtin:linux-2022`), audited over TDS like any server: no finding may
//! exist only because the host is not Windows. A rule that cannot apply on Linux says INFO
//! (not applicable); a rule whose fact lives elsewhere on Linux reads it there.

mod common;

use audit_core::{Status, checks};
use common::{LIMITED, SYSADMIN};
use mssql_sim::fixtures;

async fn non_pass(login: &str) -> Vec<(String, Status, String, String)> {
    let server = mssql_sim::start(
        fixtures::builtin("linux-2022").unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let snapshot = common::snapshot_as(&server, login).await;
    let findings = checks::evaluate(&snapshot, &common::policy());
    findings
        .into_iter()
        .filter(|f| f.status != Status::Pass)
        .map(|f| (f.check_id.to_string(), f.status, f.entity, f.message))
        .collect()
}

/// As sysadmin: nothing fails, warns or is unknown; every other non-PASS finding is either a
/// check that does not apply on Linux (INFO), the inventory (INFO), or a review a person must do
/// on any platform.
#[tokio::test(flavor = "multi_thread")]
async fn linux_host_has_no_finding_for_not_being_windows() {
    let found = non_pass(SYSADMIN).await;
    let bad: Vec<_> = found
        .iter()
        .filter(|(_, s, _, _)| matches!(s, Status::Fail | Status::Warn | Status::Unknown))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    let mut got: Vec<(String, Status, String)> = found
        .iter()
        .map(|(c, s, e, _)| (c.clone(), *s, e.clone()))
        .collect();
    got.sort();
    let n = |c: &str, s: Status, e: &str| (c.to_owned(), s, e.to_owned());
    use Status::{Info, Review};
    let mut want = vec![
        // Hide Instance is about the Browser, which Linux does not have.
        n("X34", Info, "LNXSQL22"),
        // The inventory.
        n("R01", Info, "LNXSQL22"),
        n("R26", Info, "LNXSQL22"),
        n("R27", Info, "master"),
        n("R27", Info, "model"),
        n("R27", Info, "msdb"),
        n("R27", Info, "Sales"),
        n("R27", Info, "tempdb"),
        n("R28", Info, "LNXSQL22"),
        // Windows services do not exist on Linux: not applicable.
        n("R06", Info, "LNXSQL22"),
        n("R19", Info, "LNXSQL22"),
        n("R21", Info, "LNXSQL22"),
        n("X05", Info, "LNXSQL22"),
        n("X21", Info, "LNXSQL22"),
        n("X44", Info, "LNXSQL22"),
        // BUILTIN and local Windows groups, computer accounts: Windows logins that Linux has not.
        n("X14", Info, "LNXSQL22"),
        n("X15", Info, "LNXSQL22"),
        // NT AUTHORITY\SYSTEM, SCHANNEL, FIPS policy, CEIP registry values, the program
        // directory, start-up parameters, Instant File Initialization and the Windows Time
        // service are Windows facts: mssql-conf and the Linux host keep their own.
        n("X22", Info, "LNXSQL22"),
        n("X32", Info, "LNXSQL22"),
        n("X36", Info, "LNXSQL22"),
        n("X37", Info, "LNXSQL22"),
        n("X38", Info, "LNXSQL22"),
        n("X39", Info, "LNXSQL22"),
        n("X40", Info, "LNXSQL22"),
        n("X41", Info, "LNXSQL22"),
        n("X42", Info, "LNXSQL22"),
        // A default instance is the only kind Linux has: INFO, not the Windows FAIL.
        n("R14", Info, "LNXSQL22"),
        // The options that are off, said as facts.
        n("X06", Info, "c2 audit mode"),
        n("X06", Info, "common criteria compliance enabled"),
        // Reviews on any platform: the audit login in sysadmin, the SQL logins (no Active
        // Directory is configured, so SQL logins are the only kind; still to be justified), the
        // applications' connection strings and the host firewall (said as Linux).
        n("R08", Review, "sysadmin → autodbaudit"),
        n("R23", Review, "LNXSQL22: application connection strings"),
        n("X03", Review, "autodbaudit"),
        n("X03", Review, "limited_auditor"),
        // Mixed mode is the only way in without Active Directory: a review, not a warning.
        n("X03", Review, "LNXSQL22"),
        // Organisation decisions not yet made (no policy value configured): any platform.
        n("X26", Review, "LoginAudit"),
        // No other client was connected: nothing to judge about Kerberos.
        n("X55", Info, "LNXSQL22"),
        n("X29", Review, "LNXSQL22"),
        n("X09", Review, "LNXSQL22: host firewall"),
        // Encryption is forced; the certificate is in mssql.conf (network.tlscert), which T-SQL
        // cannot read: a person confirms it.
        n("X09", Review, "LNXSQL22: encryption certificate"),
        // No other client was connected: no session to judge for encryption either.
        n("X09", Info, "LNXSQL22: client sessions"),
        // The fixture grants limited_auditor its two server permissions directly, not through
        // a role (VA1068).
        n(
            "X65",
            Review,
            "limited_auditor: VIEW ANY DEFINITION on SERVER",
        ),
        n(
            "X65",
            Review,
            "limited_auditor: VIEW SERVER STATE on SERVER",
        ),
        // TDE on Sales needs a database master key in master: its protection is reviewed.
        n("X79", Review, "master.##MS_DatabaseMasterKey##"),
        n("X83", Info, "LNXSQL22"),
        // Sales has no user besides dbo: listed for information (VA1143).
        n("X84", Info, "Sales"),
    ];
    want.sort();
    assert_eq!(got, want);
    let not_applicable: Vec<&String> = found
        .iter()
        .filter(|(c, _, _, _)| {
            [
                "R06", "R19", "R21", "X05", "X14", "X15", "X21", "X34", "X44", "X83",
            ]
            .contains(&c.as_str())
        })
        .map(|(_, _, _, m)| m)
        .collect();
    assert!(
        not_applicable.iter().all(|m| m.contains("Windows only")),
        "{not_applicable:#?}"
    );
}

/// As `limited_auditor`: the only UNKNOWNs are what its missing rights hide (databases it has no
/// user in, password hashes, msdb's Agent proxy tables that admit sysadmin only), never a
/// Windows service, the registry or a protocol.
#[tokio::test(flavor = "multi_thread")]
async fn linux_host_as_limited_auditor_is_unknown_only_for_its_rights() {
    let found = non_pass(LIMITED).await;
    assert!(
        !found
            .iter()
            .any(|(_, s, _, _)| matches!(s, Status::Fail | Status::Warn)),
        "{found:#?}"
    );
    for (c, s, e, m) in &found {
        if *s == Status::Unknown {
            let rights = m.contains("is not readable by `limited_auditor`")
                || m.contains("not readable by the audit login");
            assert!(rights, "{c} {e}: {m}");
        }
    }
}

/// The settings Linux keeps in mssql-conf are read where SQL Server exposes them (the
/// instance's emulated registry): error log retention and the TCP port pass on their own terms.
#[tokio::test(flavor = "multi_thread")]
async fn linux_settings_are_judged_from_mssql_conf() {
    let server = mssql_sim::start(
        fixtures::builtin("linux-2022").unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    for login in [SYSADMIN, LIMITED] {
        let snapshot = common::snapshot_as(&server, login).await;
        let findings = checks::evaluate(&snapshot, &common::policy());
        let of = |id: &str| {
            findings
                .iter()
                .find(|f| f.check_id.to_string() == id)
                .unwrap_or_else(|| panic!("{id}"))
        };
        assert_eq!(
            of("X33").status,
            Status::Pass,
            "{login}: {}",
            of("X33").message
        );
        assert_eq!(
            of("X35").status,
            Status::Pass,
            "{login}: {}",
            of("X35").message
        );
        assert!(of("X35").message.contains("14330"), "{}", of("X35").message);
    }
}
