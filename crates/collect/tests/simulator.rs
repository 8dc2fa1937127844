//! The collector against the simulator over real TCP: every built-in version audits without
//! an error from the server, reads what the fixtures hold, and changes nothing.

use std::time::Duration;

use collect::{Auth, Encryption, Endpoint, collect_snapshot, connect::connect};
use mssql_sim::fixtures::{self, DEMO_PASSWORD};

async fn snapshot_of(
    name: &str,
    user: &str,
) -> (audit_core::snapshot::Snapshot, mssql_sim::RunningServer) {
    let server = mssql_sim::start(
        fixtures::builtin(name).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let endpoint = Endpoint {
        host: "127.0.0.1".into(),
        port: Some(server.addr.port()),
        instance: None,
        browser_port: None,
        auth: Auth::Sql {
            user: user.into(),
            password: DEMO_PASSWORD.into(),
        },
        encryption: Encryption::On,
        trust_server_certificate: true,
        connect_timeout: Duration::from_secs(5),
    };
    let mut conn = connect(&endpoint)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let snapshot = collect_snapshot(&mut conn, true, "SQL", Duration::from_secs(10))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    (snapshot, server)
}

/// Every fact group that failed, with its reason.
fn gaps(s: &audit_core::snapshot::Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |name: &str, r: Result<(), &audit_core::snapshot::Unavailable>| {
        if let Err(e) = r {
            out.push(format!("{name}: {}", e.reason));
        }
    };
    check("host", s.host.as_ref().map(|_| ()));
    check("logins", s.logins.as_ref().map(|_| ()));
    check(
        "server_role_members",
        s.server_role_members.as_ref().map(|_| ()),
    );
    check(
        "server_permissions",
        s.server_permissions.as_ref().map(|_| ()),
    );
    check("configuration", s.configuration.as_ref().map(|_| ()));
    check("services", s.services.as_ref().map(|_| ()));
    check("protocols", s.protocols.as_ref().map(|_| ()));
    check(
        "login_audit_level",
        s.login_audit_level.as_ref().map(|_| ()),
    );
    check("force_encryption", s.force_encryption.as_ref().map(|_| ()));
    check("databases", s.databases.as_ref().map(|_| ()));
    check("database_details", s.database_details.as_ref().map(|_| ()));
    check("linked_servers", s.linked_servers.as_ref().map(|_| ()));
    check("server_triggers", s.server_triggers.as_ref().map(|_| ()));
    check("audits", s.audits.as_ref().map(|_| ()));
    check("certificates", s.certificates.as_ref().map(|_| ()));
    check("encryption_keys", s.encryption_keys.as_ref().map(|_| ()));
    check(
        "instance_settings",
        s.instance_settings.as_ref().map(|_| ()),
    );
    check("xp_permissions", s.xp_permissions.as_ref().map(|_| ()));
    check("credentials", s.credentials.as_ref().map(|_| ()));
    check(
        "startup_procedures",
        s.startup_procedures.as_ref().map(|_| ()),
    );
    check("endpoints", s.endpoints.as_ref().map(|_| ()));
    check(
        "custom_extended_procedures",
        s.custom_extended_procedures.as_ref().map(|_| ()),
    );
    check("host_settings", s.host_settings.as_ref().map(|_| ()));
    check(
        "startup_parameters",
        s.startup_parameters.as_ref().map(|_| ()),
    );
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn every_version_is_read_completely_and_read_only() {
    for name in fixtures::BUILTIN {
        let (snapshot, server) = snapshot_of(name, "autodbaudit").await;
        assert_eq!(gaps(&snapshot), Vec::<String>::new(), "{name}");
        assert!(snapshot.connection.sysadmin, "{name}");
        let mutating: Vec<_> = server
            .statements()
            .into_iter()
            .filter(|s| s.access != mssql_sim::engine::Access::Read)
            .collect();
        assert!(mutating.is_empty(), "{name}: {mutating:?}");
        assert_eq!(server.statement_counts().not_read(), 0, "{name}");
        let batches = server.statements().len();
        assert!(batches > 0);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn legacy_facts_are_what_the_fixture_holds() {
    let (s, _server) = snapshot_of("legacy-2008r2", "autodbaudit").await;
    assert_eq!(s.server.version.to_string(), "10.50.6000.34");
    assert_eq!(s.server.instance_name, None);
    let logins = s.logins.unwrap();
    let sa = logins.iter().find(|l| l.principal_id == 1).unwrap();
    assert_eq!(
        (sa.name.as_str(), sa.disabled, sa.sid.as_str()),
        ("sa", false, "0x01")
    );
    let app = logins.iter().find(|l| l.name == "app_admin").unwrap();
    assert_eq!(
        app.weak_password,
        Some(audit_core::snapshot::WeakPassword::SameAsName)
    );
    assert_eq!(app.policy_checked, Some(false));
    let config = s.configuration.unwrap();
    let xp = config.iter().find(|c| c.name == "xp_cmdshell").unwrap();
    assert_eq!((xp.value, xp.value_in_use), (1, 1));
    assert_eq!(s.login_audit_level.unwrap(), 2);
    assert_eq!(s.protocols.unwrap().named_pipes, Some(true));
    let services = s.services.unwrap();
    assert!(
        services
            .iter()
            .any(|v| v.kind == audit_core::snapshot::ServiceKind::Browser
                && v.startup == "Automatic"),
        "{services:?}"
    );
    assert!(
        services
            .iter()
            .any(|v| v.kind == audit_core::snapshot::ServiceKind::Engine
                && v.account == "LocalSystem"
                && v.running == Some(true)),
        "{services:?}"
    );
    let dbs = s.databases.unwrap();
    let sales = dbs.iter().find(|d| d.name == "SalesDB").unwrap();
    assert!(sales.trustworthy && sales.last_full_backup.is_some());
    let details = s.database_details.unwrap();
    let sales = details.iter().find(|d| d.database == "SalesDB").unwrap();
    let ghost = sales
        .principals
        .iter()
        .find(|p| p.name == "ghost_user")
        .unwrap();
    assert_eq!(ghost.login, None, "orphaned");
    assert!(
        sales
            .principals
            .iter()
            .any(|p| p.name == "guest" && p.can_connect)
    );
    assert!(
        sales
            .permissions
            .iter()
            .any(|p| p.state == "GRANT_WITH_GRANT_OPTION" && p.securable == "dbo.Orders")
    );
    assert_eq!(sales.triggers[0].parent, "dbo.Orders");
    let linked = s.linked_servers.unwrap();
    assert_eq!(linked[0].logins[0].remote.as_deref(), Some("sa"));
    assert_eq!(s.server_triggers.unwrap()[0].name, "trg_logon_audit");
    let certs = s.certificates.unwrap();
    assert_eq!(
        certs[0].last_backup, None,
        "2008 R2 does not record certificate backups"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn typical_2019_tde_and_certificates() {
    let (s, _server) = snapshot_of("typical-2019", "autodbaudit").await;
    let certs = s.certificates.unwrap();
    let tde = certs.iter().find(|c| c.name == "TDE_Payroll_Cert").unwrap();
    assert_eq!(tde.last_backup, Some(None), "never backed up");
    let keys = s.encryption_keys.unwrap();
    let payroll = keys.iter().find(|k| k.database == "Payroll").unwrap();
    assert_eq!(
        (payroll.state, payroll.certificate.as_deref()),
        (3, Some("TDE_Payroll_Cert"))
    );
    assert_eq!(s.host.unwrap().platform, "Windows");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_limited_login_gets_gaps_with_reasons_not_failures() {
    let (s, _server) = snapshot_of("legacy-2008r2", "limited_auditor").await;
    let logins = s.logins.as_ref().unwrap();
    assert!(
        logins
            .iter()
            .filter(|l| l.kind == "S")
            .all(|l| l.weak_password.is_none()),
        "hashes are hidden"
    );
    // xp_instance_regread answers sysadmin only; VIEW SERVER STATE reads the instance's own
    // values through sys.dm_server_registry (2008 R2 SP1 and later), the same values.
    let (full, _full_server) = snapshot_of("legacy-2008r2", "autodbaudit").await;
    assert_eq!(s.login_audit_level, full.login_audit_level);
    assert_eq!(s.protocols, full.protocols);
    assert_eq!(s.force_encryption, full.force_encryption);
    assert_eq!(s.instance_settings, full.instance_settings);
    // The services only the registry lists are named as unread, with the server's reason.
    let unread: Vec<_> = s
        .unread
        .iter()
        .filter(|u| matches!(u.scope, audit_core::snapshot::Scope::Service(_)))
        .collect();
    assert_eq!(unread.len(), 4, "{:?}", s.unread);
    assert!(
        unread.iter().all(|u| u.detail.contains("229")),
        "{unread:?}"
    );
    assert!(!s.connection.sysadmin);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "prints a snapshot for inspection"]
async fn print_snapshot() {
    let (s, server) = snapshot_of("legacy-2008r2", "autodbaudit").await;
    println!("{s:#?}");
    for st in server.statements() {
        println!("--- {:?}\n{}", st.access, st.text);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn round_trips_do_not_grow_with_the_number_of_databases() {
    let mut counts = Vec::new();
    for databases in [1, 40] {
        let mut instance = fixtures::generate_with(1, 7, Some(databases)).remove(0);
        instance.normalize().unwrap();
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
        assert_eq!(snapshot.database_details.unwrap().len(), databases + 4);
        counts.push(server.batches());
    }
    assert_eq!(
        counts,
        [5, 5],
        "five round trips whatever the number of databases"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn windows_authentication_with_ntlm_through_a_group() {
    let server = mssql_sim::start(
        fixtures::builtin("typical-2019").unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let endpoint = |user: &str, password: &str| Endpoint {
        host: "127.0.0.1".into(),
        port: Some(server.addr.port()),
        instance: None,
        browser_port: None,
        auth: Auth::Windows {
            user: user.into(),
            password: password.into(),
        },
        encryption: Encryption::On,
        trust_server_certificate: true,
        connect_timeout: Duration::from_secs(5),
    };
    // alice has no login of her own: CORP\SQL Admins admits her, as sysadmin.
    let mut conn = connect(&endpoint("CORP\\alice", "Alice-Passw0rd!"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let snapshot = collect_snapshot(&mut conn, true, "NTLM", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(snapshot.connection.login, "CORP\\alice");
    assert!(snapshot.connection.sysadmin);
    assert_eq!(gaps(&snapshot), Vec::<String>::new());
    let refused = connect(&endpoint("CORP\\alice", "wrong"))
        .await
        .err()
        .unwrap();
    assert!(refused.to_string().contains("18456"), "{refused}");
    let no_login = connect(&endpoint("CORP\\bob", "Bob-Passw0rd!"))
        .await
        .err()
        .unwrap();
    assert!(no_login.to_string().contains("18456"), "{no_login}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_named_instance_is_found_through_the_sql_server_browser() {
    let server = mssql_sim::start(
        fixtures::builtin("typical-2019").unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let browser = mssql_sim::browser::start(
        "127.0.0.1:0".parse().unwrap(),
        vec![mssql_sim::browser::Entry {
            server: "SQLPROD19".into(),
            instance: "SQL2019".into(),
            version: "15.0.2000.5".into(),
            port: server.addr.port(),
        }],
    )
    .await
    .unwrap();
    let endpoint = |instance: &str| Endpoint {
        host: "127.0.0.1".into(),
        port: None,
        instance: Some(instance.into()),
        browser_port: Some(browser.addr.port()),
        auth: Auth::Sql {
            user: "autodbaudit".into(),
            password: DEMO_PASSWORD.into(),
        },
        encryption: Encryption::On,
        trust_server_certificate: true,
        connect_timeout: Duration::from_secs(5),
    };
    let mut conn = connect(&endpoint("sql2019"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let snapshot = collect_snapshot(&mut conn, true, "SQL", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(snapshot.server.instance_name.as_deref(), Some("SQL2019"));
    // An instance the Browser does not know: a clear error, not a hang.
    let e = connect(&endpoint("NOSUCH"))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("SQL Server Browser"), "{e}");
}
