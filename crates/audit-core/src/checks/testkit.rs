//! Test fixtures: a fully compliant SQL Server 2022 instance that each test edits into the case
//! it needs, plus helpers to run one check and pick findings.

use super::{Check, Policy};
use crate::snapshot::*;
use crate::{BuildNumber, Finding, Severity, Status};

/// The audit's clock in every test.
pub const NOW: &str = "2025-12-01 12:00:00";

/// The default policy at [`NOW`].
pub fn policy() -> Policy {
    Policy::defaults(NOW)
}

/// Runs one check with the default policy.
pub fn run(check: &Check, s: &Snapshot) -> Vec<Finding> {
    (check.rule)(check, s, &policy())
}

/// The one finding with this key (panics with the list otherwise).
pub fn by_key<'a>(findings: &'a [Finding], key: &str) -> &'a Finding {
    let hits: Vec<&Finding> = findings.iter().filter(|f| f.entity_key == key).collect();
    assert_eq!(hits.len(), 1, "key {key} in {findings:#?}");
    hits[0]
}

/// The statuses, in order.
pub fn statuses(findings: &[Finding]) -> Vec<Status> {
    findings.iter().map(|f| f.status).collect()
}

/// Asserts a single finding with this status and returns it.
pub fn single(findings: &[Finding], status: Status) -> &Finding {
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].status, status, "{findings:#?}");
    &findings[0]
}

/// An unavailable fact, as a collector without VIEW SERVER STATE reports it.
pub fn denied<T>() -> Fact<T> {
    Err(Unavailable::new(
        "error 300: VIEW SERVER STATE permission was denied",
    ))
}

/// A login.
pub fn login(name: &str, sid: &str, kind: &str) -> LoginInfo {
    let sql = kind == "S";
    LoginInfo {
        name: name.to_owned(),
        principal_id: 300,
        sid: sid.to_owned(),
        kind: kind.to_owned(),
        disabled: false,
        created: "2020-01-01 00:00:00".to_owned(),
        default_database: Some("master".to_owned()),
        policy_checked: sql.then_some(true),
        expiration_checked: sql.then_some(true),
        weak_password: sql.then_some(WeakPassword::No),
        password_last_set: sql.then(|| "2025-06-01 00:00:00".to_owned()),
        must_change: sql.then_some(false),
    }
}

/// A server or database role membership.
pub fn member(role: &str, member: &str, kind: &str) -> RoleMember {
    RoleMember {
        role: role.to_owned(),
        member: member.to_owned(),
        member_kind: kind.to_owned(),
        member_disabled: false,
    }
}

/// An explicit permission.
pub fn permission(grantee: &str, permission: &str, state: &str, class: &str) -> PermissionInfo {
    PermissionInfo {
        grantee: grantee.to_owned(),
        grantee_kind: "S".to_owned(),
        permission: permission.to_owned(),
        state: state.to_owned(),
        class: class.to_owned(),
        securable: String::new(),
    }
}

/// A `sys.configurations` row in its steady state.
pub fn config(name: &str, value: i64) -> ConfigValue {
    ConfigValue {
        name: name.to_owned(),
        value,
        value_in_use: value,
        advanced: true,
        dynamic: true,
    }
}

/// A service.
pub fn service(
    kind: ServiceKind,
    name: &str,
    account: &str,
    startup: &str,
    running: bool,
) -> ServiceInfo {
    ServiceInfo {
        kind,
        service_name: name.to_owned(),
        account: account.to_owned(),
        startup: startup.to_owned(),
        running: Some(running),
        instant_file_initialization: None,
    }
}

/// EXECUTE on master's extended procedure `procedure` (`sys.` schema) for the database role
/// `grantee`, in `state` (`GRANT`, `GRANT_WITH_GRANT_OPTION`, `DENY`).
pub fn xp_grant(grantee: &str, procedure: &str, state: &str) -> PermissionInfo {
    xp_grant_as(grantee, "R", procedure, state)
}

/// [`xp_grant`] for a grantee of principal type `kind` (`R` role, `S` SQL user, `U` Windows user …).
pub fn xp_grant_as(grantee: &str, kind: &str, procedure: &str, state: &str) -> PermissionInfo {
    let mut p = permission(grantee, "EXECUTE", state, "OBJECT_OR_COLUMN");
    p.grantee_kind = kind.to_owned();
    p.securable = format!("sys.{procedure}");
    p
}

/// The SCHANNEL keys the STIG asks for (SQL6-D0-008300): TLS 1.2 on, SSL 2.0 to TLS 1.1 off,
/// for Client and Server.
pub fn stig_schannel() -> Vec<SchannelSetting> {
    let mut out = Vec::new();
    for protocol in ["SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2"] {
        let on = protocol == "TLS 1.2";
        for side in ["Client", "Server"] {
            out.push(SchannelSetting {
                protocol: protocol.to_owned(),
                side: side.to_owned(),
                enabled: Some(i64::from(on)),
                disabled_by_default: Some(i64::from(!on)),
            });
        }
    }
    out
}

/// An online database, backed up an hour before [`NOW`] (full and log).
pub fn database(name: &str, id: i64) -> DatabaseInfo {
    DatabaseInfo {
        name: name.to_owned(),
        id,
        owner: Some("sa_renamed".to_owned()),
        state: "ONLINE".to_owned(),
        recovery_model: if id > 4 { "FULL" } else { "SIMPLE" }.to_owned(),
        trustworthy: name == "msdb",
        encrypted: false,
        read_only: false,
        created: "2020-01-01 00:00:00".to_owned(),
        last_full_backup: Some("2025-12-01 11:00:00".to_owned()),
        last_log_backup: Some("2025-12-01 11:30:00".to_owned()),
        containment: Some("NONE".to_owned()),
        owner_sid: Some("0x01".to_owned()),
        db_chaining: Some(matches!(name, "master" | "tempdb" | "msdb")),
        auto_close: Some(false),
        last_diff_backup: None,
        last_nul_log_backup: None,
        last_full_backup_encryption: Some(if id > 4 { "AES_256" } else { "" }.to_owned()),
        last_full_backup_encryptor: None,
        master_key_encrypted_by_server: Some(false),
    }
}

/// A started file audit `SecAudit` whose enabled specification covers the logins and every
/// action group the STIG requires.
pub fn stig_audit() -> AuditInfo {
    let mut actions: Vec<String> = super::STIG_AUDIT_GROUPS
        .iter()
        .map(|g| (*g).to_owned())
        .collect();
    actions.push("FAILED_LOGIN_GROUP".to_owned());
    actions.push("SUCCESSFUL_LOGIN_GROUP".to_owned());
    AuditInfo {
        name: "SecAudit".to_owned(),
        destination: "FILE".to_owned(),
        enabled: true,
        specifications: vec![AuditSpecificationInfo {
            name: "SecAuditSpec".to_owned(),
            enabled: true,
            actions,
        }],
        on_failure: Some("SHUTDOWN SERVER INSTANCE".to_owned()),
        predicate: None,
        file: Some(AuditFileInfo {
            max_file_size_mb: 256,
            max_rollover_files: 2_147_483_647,
            max_files: Some(0),
            path: Some("D:\\Audit\\".to_owned()),
        }),
    }
}

/// An Agent job owned by the renamed `sa` (SID 0x01), without a start-up schedule.
pub fn agent_job(name: &str) -> AgentJobInfo {
    AgentJobInfo {
        name: name.to_owned(),
        enabled: true,
        owner_sid: "0x01".to_owned(),
        owner: Some("sa_renamed".to_owned()),
        startup_schedules: Vec::new(),
    }
}

/// A database user mapped to a login.
pub fn user(name: &str, kind: &str, sid: &str, login: Option<&str>) -> DatabasePrincipal {
    DatabasePrincipal {
        name: name.to_owned(),
        principal_id: 5,
        kind: kind.to_owned(),
        sid: Some(sid.to_owned()),
        login: login.map(str::to_owned),
        fixed_role: false,
        can_connect: true,
        authentication_type: Some("INSTANCE".to_owned()),
    }
}

/// The guest user of a database, enabled or not.
pub fn guest(enabled: bool) -> DatabasePrincipal {
    DatabasePrincipal {
        name: "guest".to_owned(),
        principal_id: 2,
        kind: "S".to_owned(),
        sid: Some("0x00".to_owned()),
        login: None,
        fixed_role: false,
        can_connect: enabled,
        authentication_type: Some("NONE".to_owned()),
    }
}

/// The `dbo` user, mapped to the owner.
pub fn dbo(owner_sid: &str, owner: &str) -> DatabasePrincipal {
    DatabasePrincipal {
        name: "dbo".to_owned(),
        principal_id: 1,
        kind: "S".to_owned(),
        sid: Some(owner_sid.to_owned()),
        login: Some(owner.to_owned()),
        fixed_role: false,
        can_connect: true,
        authentication_type: Some("INSTANCE".to_owned()),
    }
}

/// What is inside a database: dbo, guest (enabled in master, tempdb and msdb as SQL Server
/// needs), plus these users.
pub fn detail(db: &str, users: Vec<DatabasePrincipal>) -> DatabaseDetail {
    let needs_guest = ["master", "tempdb", "msdb"].contains(&db);
    let mut principals = vec![dbo("0x01", "sa_renamed"), guest(needs_guest)];
    principals.extend(users);
    DatabaseDetail {
        database: db.to_owned(),
        principals,
        role_members: Vec::new(),
        permissions: Vec::new(),
        triggers: Vec::new(),
        keys: Vec::new(),
        assemblies: Vec::new(),
        modules: Vec::new(),
        owned: Vec::new(),
    }
}

/// A certificate with a private key, backed up.
pub fn certificate(db: &str, name: &str) -> CertificateInfo {
    CertificateInfo {
        database: db.to_owned(),
        name: name.to_owned(),
        subject: format!("CN={name}"),
        expiry: "2030-01-01 00:00:00".to_owned(),
        last_backup: Some(Some("2025-01-01 00:00:00".to_owned())),
        has_private_key: true,
        key_length: Some(2048),
        thumbprint: None,
    }
}

/// The sysadmin SQL login `sa` renamed `sa_renamed` and disabled (principal 1, SID 0x01).
pub fn sa() -> LoginInfo {
    LoginInfo {
        principal_id: 1,
        disabled: true,
        ..login("sa_renamed", "0x01", "S")
    }
}

/// A fully compliant named instance of SQL Server 2022 at the latest build: every check
/// passes (or asks for the reviews that are always due).
pub fn compliant_snapshot() -> Snapshot {
    let settings = [
        ("xp_cmdshell", 0),
        ("Ad Hoc Distributed Queries", 0),
        ("Database Mail XPs", 0),
        ("remote access", 0),
        ("Ole Automation Procedures", 0),
        ("clr enabled", 0),
        ("clr strict security", 1),
        ("cross db ownership chaining", 0),
        ("remote admin connections", 0),
        ("scan for startup procs", 0),
        ("external scripts enabled", 0),
        ("show advanced options", 0),
        ("default trace enabled", 1),
        ("c2 audit mode", 0),
        ("common criteria compliance enabled", 0),
        ("user options", 0),
        ("filestream access level", 0),
        ("Replication XPs", 0),
        ("hadoop connectivity", 0),
        ("allow polybase export", 0),
        ("polybase network encryption", 1),
        ("remote data archive", 0),
        ("contained database authentication", 0),
        ("user connections", 0),
    ];
    Snapshot {
        server: ServerInfo {
            server_name: "SQLHOST\\PROD".to_owned(),
            machine_name: "SQLHOST".to_owned(),
            instance_name: Some("PROD".to_owned()),
            version: BuildNumber::new(16, 0, 4225, 2),
            product_level: "RTM".to_owned(),
            update_level: Some("CU22".to_owned()),
            edition: "Enterprise Edition (64-bit)".to_owned(),
            engine_edition: 3,
            windows_auth_only: true,
            clustered: false,
            version_text:
                "Microsoft SQL Server 2022 (RTM-CU22) - 16.0.4225.2 (X64) on Windows Server 2022"
                    .to_owned(),
            property_server_name: Some("SQLHOST\\PROD".to_owned()),
            hadr_enabled: Some(false),
        },
        connection: ConnectionInfo {
            login: "CORP\\auditor".to_owned(),
            sysadmin: true,
            encrypted: true,
            auth_scheme: "NTLM".to_owned(),
        },
        host: Ok(HostInfo {
            platform: "Windows".to_owned(),
            distribution: "Windows Server 2022 Datacenter".to_owned(),
            release: "10.0".to_owned(),
        }),
        logins: Ok(vec![
            sa(),
            login("CORP\\dba", "0x0105000000000005150000000A", "U"),
            login(
                "NT SERVICE\\MSSQL$PROD",
                "0x010600000000000550000000AA",
                "U",
            ),
            login(
                "NT SERVICE\\SQLAgent$PROD",
                "0x010600000000000550000000BB",
                "U",
            ),
            LoginInfo {
                disabled: true,
                ..login("##MS_PolicyEventProcessingLogin##", "0xAB01", "S")
            },
            login("app_user", "0xA1A1A1A1", "S"),
        ]),
        server_role_members: Ok(vec![
            RoleMember {
                member_disabled: true,
                ..member("sysadmin", "sa_renamed", "S")
            },
            member("sysadmin", "CORP\\dba", "U"),
            member("sysadmin", "NT SERVICE\\MSSQL$PROD", "U"),
            member("sysadmin", "NT SERVICE\\SQLAgent$PROD", "U"),
        ]),
        server_permissions: Ok(vec![
            permission("CORP\\dba", "CONNECT SQL", "GRANT", "SERVER"),
            permission("app_user", "CONNECT SQL", "GRANT", "SERVER"),
        ]),
        configuration: Ok(settings.iter().map(|(n, v)| config(n, *v)).collect()),
        services: Ok(vec![
            ServiceInfo {
                instant_file_initialization: Some(false),
                ..service(
                    ServiceKind::Engine,
                    "MSSQL$PROD",
                    "CORP\\svc_sql",
                    "Automatic",
                    true,
                )
            },
            service(
                ServiceKind::Agent,
                "SQLAgent$PROD",
                "CORP\\svc_agent",
                "Automatic",
                true,
            ),
            ServiceInfo {
                running: None,
                ..service(
                    ServiceKind::Browser,
                    "SQLBrowser",
                    "NT AUTHORITY\\LOCALSERVICE",
                    "Disabled",
                    false,
                )
            },
        ]),
        protocols: Ok(Protocols {
            tcp: Some(true),
            named_pipes: Some(false),
            shared_memory: Some(true),
            via: None,
        }),
        login_audit_level: Ok(3),
        force_encryption: Ok(true),
        databases: Ok(vec![
            database("master", 1),
            database("tempdb", 2),
            database("model", 3),
            database("msdb", 4),
            DatabaseInfo {
                encrypted: true,
                ..database("SalesDB", 5)
            },
        ]),
        database_details: Ok(vec![
            detail("master", vec![]),
            detail("tempdb", vec![]),
            detail("model", vec![]),
            detail("msdb", vec![]),
            detail(
                "SalesDB",
                vec![user("app_user", "S", "0xA1A1A1A1", Some("app_user"))],
            ),
        ]),
        linked_servers: Ok(vec![]),
        server_triggers: Ok(vec![]),
        audits: Ok(vec![stig_audit()]),
        audit_status: Ok(vec![AuditStatusInfo {
            name: "SecAudit".to_owned(),
            status: "STARTED".to_owned(),
        }]),
        agent_jobs: Ok(vec![agent_job("Nightly backup")]),
        certificates: Ok(vec![certificate("master", "TDECert")]),
        encryption_keys: Ok(vec![EncryptionKeyInfo {
            database: "SalesDB".to_owned(),
            state: 3,
            encryptor_type: "CERTIFICATE".to_owned(),
            certificate: Some("TDECert".to_owned()),
            key_algorithm: Some("AES".to_owned()),
            key_length: Some(256),
        }]),
        connections: Ok(vec![ConnectionGroup {
            transport: "TCP".to_owned(),
            auth_scheme: "KERBEROS".to_owned(),
            encrypted: true,
            client_address: "10.0.0.21".to_owned(),
            count: 12,
        }]),
        instance_settings: Ok(InstanceSettings {
            num_error_logs: Some(30),
            hide_instance: Some(true),
            tcp_port: Some("51433".to_owned()),
            tcp_dynamic_ports: Some(String::new()),
        }),
        // A fresh installation: no extended procedure granted beyond sysadmin, no credential,
        // no startup procedure.
        xp_permissions: Ok(vec![]),
        credentials: Ok(vec![]),
        startup_procedures: Ok(vec![]),
        endpoints: Ok(vec![]),
        custom_extended_procedures: Ok(vec![]),
        host_settings: Ok(HostSettings {
            schannel: stig_schannel(),
            fips_enabled: Some(1),
            system_root: Some("C:\\Windows".to_owned()),
            sql_path: Some(
                "C:\\Program Files\\Microsoft SQL Server\\MSSQL16.PROD\\MSSQL".to_owned(),
            ),
            customer_feedback: Some(0),
            error_reporting: Some(0),
            release_customer_feedback: Some(0),
            release_error_reporting: Some(0),
            local_audit_directory: Some("D:\\TelemetryAudit".to_owned()),
            time_sync_type: Some("NT5DS".to_owned()),
            ntp_server: None,
        }),
        startup_parameters: Ok(vec![
            "-dC:\\Program Files\\Microsoft SQL Server\\MSSQL16.PROD\\MSSQL\\DATA\\master.mdf"
                .to_owned(),
            "-eC:\\Program Files\\Microsoft SQL Server\\MSSQL16.PROD\\MSSQL\\Log\\ERRORLOG"
                .to_owned(),
            "-lC:\\Program Files\\Microsoft SQL Server\\MSSQL16.PROD\\MSSQL\\DATA\\mastlog.ldf"
                .to_owned(),
        ]),
        agent_proxies: Ok(vec![]),
        cryptographic_providers: Ok(vec![]),
        tls_certificate: Ok(Some("3A9C5F0E7B21D4C68E1F2A90B7C3D5E4F6A8B0C2".to_owned())),
        invalid_windows_logins: Ok(vec![]),
        unread: Vec::new(),
    }
}

/// An enabled Agent proxy for CmdExec on the credential `cred` (identity `CORP\svc_proxy`),
/// usable by the login `CORP\etl`.
pub fn agent_proxy(name: &str) -> AgentProxyInfo {
    AgentProxyInfo {
        name: name.to_owned(),
        enabled: true,
        credential: Some("cred".to_owned()),
        identity: Some("CORP\\svc_proxy".to_owned()),
        subsystems: vec!["CmdExec".to_owned()],
        grantees: vec![ProxyGrantee {
            name: Some("CORP\\etl".to_owned()),
            kind: ProxyGranteeKind::Login,
        }],
    }
}

/// Names that break naive code: quotes, brackets, key separators, Unicode, 128 characters.
pub const HOSTILE_NAMES: [&str; 6] = [
    "we]ird[name",
    "O'Brien; DROP TABLE x--",
    "a/b",
    "a\\/b",
    "Ünïcødé_数据库_🔐",
    "L1234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567",
];

/// The compliant snapshot plus a SQL login, a user database and a user per hostile name.
pub fn hostile_snapshot() -> Snapshot {
    assert_eq!(HOSTILE_NAMES[5].chars().count(), 128);
    let mut s = compliant_snapshot();
    for (i, name) in HOSTILE_NAMES.iter().enumerate() {
        let sid = format!("0xBEEF{i:02}");
        if let Ok(logins) = &mut s.logins {
            logins.push(login(name, &sid, "S"));
        }
        if let Ok(dbs) = &mut s.databases {
            dbs.push(database(name, 10 + i as i64));
        }
        if let Ok(details) = &mut s.database_details {
            details.push(detail(name, vec![user(name, "S", &sid, Some(name))]));
        }
    }
    s
}

/// Every fact unavailable, as for a login without any server-level permission.
pub fn unavailable_snapshot() -> Snapshot {
    Snapshot {
        host: denied(),
        logins: denied(),
        server_role_members: denied(),
        server_permissions: denied(),
        configuration: denied(),
        services: denied(),
        protocols: denied(),
        login_audit_level: denied(),
        force_encryption: denied(),
        databases: denied(),
        database_details: denied(),
        linked_servers: denied(),
        server_triggers: denied(),
        audits: denied(),
        certificates: denied(),
        encryption_keys: denied(),
        connections: denied(),
        audit_status: denied(),
        agent_jobs: denied(),
        instance_settings: denied(),
        xp_permissions: denied(),
        credentials: denied(),
        startup_procedures: denied(),
        custom_extended_procedures: denied(),
        host_settings: denied(),
        startup_parameters: denied(),
        agent_proxies: denied(),
        cryptographic_providers: denied(),
        tls_certificate: denied(),
        invalid_windows_logins: denied(),
        ..compliant_snapshot()
    }
}

/// Makes one fact group unavailable, as a refused or malformed query leaves it.
pub fn deny(s: &mut Snapshot, fact: FactId) {
    match fact {
        FactId::Server => {}
        FactId::Host => s.host = denied(),
        FactId::Logins => s.logins = denied(),
        FactId::ServerRoleMembers => s.server_role_members = denied(),
        FactId::ServerPermissions => s.server_permissions = denied(),
        FactId::Configuration => s.configuration = denied(),
        FactId::Services => s.services = denied(),
        FactId::Protocols => s.protocols = denied(),
        FactId::LoginAuditLevel => s.login_audit_level = denied(),
        FactId::ForceEncryption => s.force_encryption = denied(),
        FactId::Databases => s.databases = denied(),
        FactId::DatabaseDetails => s.database_details = denied(),
        FactId::LinkedServers => s.linked_servers = denied(),
        FactId::ServerTriggers => s.server_triggers = denied(),
        FactId::Audits => s.audits = denied(),
        FactId::Certificates => s.certificates = denied(),
        FactId::EncryptionKeys => s.encryption_keys = denied(),
        FactId::Connections => s.connections = denied(),
        FactId::AuditStatus => s.audit_status = denied(),
        FactId::AgentJobs => s.agent_jobs = denied(),
        FactId::InstanceSettings => s.instance_settings = denied(),
        FactId::XpPermissions => s.xp_permissions = denied(),
        FactId::Credentials => s.credentials = denied(),
        FactId::StartupProcedures => s.startup_procedures = denied(),
        FactId::Endpoints => s.endpoints = denied(),
        FactId::CustomExtendedProcedures => s.custom_extended_procedures = denied(),
        FactId::HostSettings => s.host_settings = denied(),
        FactId::StartupParameters => s.startup_parameters = denied(),
        FactId::AgentProxies => s.agent_proxies = denied(),
        FactId::CryptographicProviders => s.cryptographic_providers = denied(),
        FactId::TlsCertificate => s.tls_certificate = denied(),
        FactId::InvalidWindowsLogins => s.invalid_windows_logins = denied(),
    }
}

/// Edits the compliant snapshot's list fact in place (panics if it is unavailable).
pub fn edit<T>(fact: &mut Fact<T>) -> &mut T {
    fact.as_mut().expect("fixture fact is available")
}

/// The statuses of a one-option `sp_configure` check (R16, R18, R20): 0 in use passes, 1 in use
/// fails with the check's severity (saying when the fix is only pending), 0 in use with 1
/// configured warns (low).
pub fn assert_single_setting_statuses(check: &Check, option: &str, severity: Severity) {
    let with = |value: i64, value_in_use: i64, dynamic: bool| {
        let mut s = compliant_snapshot();
        let row = edit(&mut s.configuration)
            .iter_mut()
            .find(|c| c.name == option)
            .unwrap();
        row.value = value;
        row.value_in_use = value_in_use;
        row.dynamic = dynamic;
        let f = run(check, &s);
        single(&f, f[0].status).clone()
    };
    let key = format!("config:{}", option.to_lowercase());
    let ok = with(0, 0, true);
    assert_eq!(
        (ok.status, ok.entity_key.as_str()),
        (Status::Pass, key.as_str())
    );
    let f = with(1, 1, true);
    assert_eq!((f.status, f.severity), (Status::Fail, severity));
    assert!(f.message.contains(option));
    let f = with(0, 1, true);
    assert_eq!(f.status, Status::Fail);
    assert!(f.message.contains("pending RECONFIGURE"));
    let f = with(0, 1, false);
    assert!(f.message.contains("pending restart"));
    let f = with(1, 0, true);
    assert_eq!((f.status, f.severity), (Status::Warn, Severity::Low));
}

/// A one-option `sp_configure` check is UNKNOWN for a missing option (keyed by the option) and
/// for an unreadable configuration (keyed by the instance).
pub fn assert_single_setting_unknowns(check: &Check, option: &str) {
    let mut s = compliant_snapshot();
    edit(&mut s.configuration).retain(|c| c.name != option);
    assert_eq!(
        single(&run(check, &s), Status::Unknown).entity_key,
        format!("config:{}", option.to_lowercase())
    );
    s.configuration = denied();
    assert_eq!(
        single(&run(check, &s), Status::Unknown).entity_key,
        "instance:"
    );
}
