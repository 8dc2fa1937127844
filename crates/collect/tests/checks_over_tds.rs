//! Every check, through the real simulator over TCP: for each status a check can produce, a
//! fixture variant that produces it. The base is `hardened-2022` (compliant); each case
//! changes one thing, collects the snapshot as the audit does, evaluates the catalogue and
//! looks for the finding.

mod common;

use audit_core::checks;
use audit_core::{CheckId, Status};
use common::{CONNECT_ONLY, LIMITED, SYSADMIN};
use mssql_sim::instance::LoginKind;
use mssql_sim::instance::{
    Assembly, AsymmetricKey, Backup, ClientSession, Credential, Database, Endpoint, EndpointKind,
    LinkedLogin, LinkedServer, NestedRole, Permission, PermissionState, SchemaOwner, Service,
    ServiceKind, Setting, Startup, SymmetricKey, Trigger, User, UserAuthentication, Version, When,
};
use mssql_sim::{Instance, Login, fixtures};

struct Case {
    check: &'static str,
    status: Status,
    /// A word the finding's entity or message contains.
    word: &'static str,
    /// `autodbaudit` (sysadmin), `limited_auditor` or `connect_only`.
    login: &'static str,
    change: fn(&mut Instance),
}

fn connect_only(i: &mut Instance) {
    i.logins
        .push(Login::new(CONNECT_ONLY, fixtures::DEMO_PASSWORD));
}

/// The CONNECT-only login on a server whose public role lost VIEW ANY DATABASE (as hardening
/// guides advise): it sees master and tempdb only, so the databases fact is partial.
fn blind_to_databases(i: &mut Instance) {
    connect_only(i);
    i.public_view_any_database = false;
}

fn user(name: &str, login: Option<&str>, roles: &[&str]) -> User {
    User {
        name: name.into(),
        login: login.map(Into::into),
        orphaned: login.is_none(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        default_schema: "dbo".into(),
        authentication: UserAuthentication::Instance,
        principal_id: 0,
        sid: Vec::new(),
    }
}

/// A grant in database `db` of `permission` on `on` (an object; none = the database).
fn grant(i: &mut Instance, db: &str, grantee: &str, permission: &str, on: Option<&str>) {
    let db = match i.database_mut(db) {
        Some(d) => d,
        None => user_db(i, db),
    };
    db.permissions.push(Permission {
        grantee: grantee.into(),
        permission: permission.into(),
        on: on.map(Into::into),
        state: PermissionState::Grant,
    });
}

fn object(name: &str) -> mssql_sim::instance::Object {
    mssql_sim::instance::Object {
        name: name.into(),
        schema: "dbo".into(),
        kind: "U".into(),
        startup: false,
        dll: None,
        execute_as: None,
        owner: None,
    }
}

fn when(text: &str) -> When {
    When::try_from(text.to_owned()).unwrap()
}

fn user_db<'a>(i: &'a mut Instance, name: &str) -> &'a mut Database {
    let mut db = Database::new(name);
    db.backups.push(Backup {
        kind: "D".into(),
        finished: when("-2h"),
        size_mb: 10,
        encryption: None,
        certificate: None,
        device: None,
    });
    db.backups.push(Backup {
        kind: "L".into(),
        finished: when("-1h"),
        size_mb: 1,
        encryption: None,
        certificate: None,
        device: None,
    });
    i.databases.push(db);
    i.databases.last_mut().unwrap()
}

/// A job owned by `owner` with one schedule, run at Agent start-up or daily.
fn agent_job(name: &str, owner: &str, at_start: bool) -> mssql_sim::instance::AgentJob {
    mssql_sim::instance::AgentJob {
        name: name.into(),
        enabled: true,
        owner: owner.into(),
        schedules: vec![mssql_sim::instance::AgentSchedule {
            name: if at_start { "At start" } else { "Daily" }.into(),
            at_agent_start: at_start,
            enabled: true,
        }],
    }
}

/// A credential for `CORP\svc_etl` and an enabled CmdExec proxy on it, usable by msdb's
/// `msdb_roles`.
fn agent_proxy(i: &mut Instance, msdb_roles: &[&str]) {
    // msdb's Agent roles, which the fixtures list only where they use them (every msdb has
    // SQLAgentUserRole, SQLAgentReaderRole and SQLAgentOperatorRole).
    let msdb = i.database_mut("msdb").unwrap();
    for role in msdb_roles {
        let known = *role == "public" || *role == "dropped_role";
        if !known && !msdb.roles.iter().any(|r| r.eq_ignore_ascii_case(role)) {
            msdb.roles.push((*role).to_owned());
        }
    }
    i.credentials.push(Credential {
        name: "ETL cred".into(),
        identity: "CORP\\svc_etl".into(),
    });
    i.agent_proxies.push(mssql_sim::instance::AgentProxy {
        name: "ETL runner".into(),
        credential: "ETL cred".into(),
        enabled: true,
        subsystems: vec!["CmdExec".into(), "PowerShell".into()],
        logins: Vec::new(),
        server_roles: Vec::new(),
        msdb_roles: msdb_roles.iter().map(|r| (*r).to_owned()).collect(),
    });
}

/// EXECUTE on master's extended procedure `procedure` granted to `grantee`.
fn master_grant(i: &mut Instance, grantee: &str, procedure: &str) {
    i.database_mut("master")
        .unwrap()
        .permissions
        .push(Permission {
            grantee: grantee.into(),
            permission: "EXECUTE".into(),
            on: Some(format!("sys.{procedure}")),
            state: PermissionState::Grant,
        });
}

fn set(i: &mut Instance, option: &str, value: Setting) {
    i.configuration.insert(option.into(), value);
}

fn service(i: &mut Instance, kind: ServiceKind, account: &str, startup: Startup, running: bool) {
    i.services.retain(|s| s.kind != kind);
    i.services.push(Service {
        kind,
        account: account.into(),
        startup,
        running,
    });
}

fn windows_login(i: &mut Instance, name: &str, kind: LoginKind, enabled: bool) {
    let mut l = Login::windows(name, kind);
    l.enabled = enabled;
    i.logins.push(l);
}

/// The words of the cases that run on `legacy-2008r2` instead of `hardened-2022`.
const ON_LEGACY: [&str; 19] = [
    "the only algorithm before SQL Server 2012",
    "not reported before SQL Server 2016",
    "can become sysadmin",
    "LegacyBackupCert",
    "SQL Mail XPs",
    "ALTER TRACE",
    "WIN-7Q2L0K1E3B",
    "old_vendor",
    "cmdshell_proxy",
    "xp_legacy_crypt",
    "Mirroring",
    "app_admin",
    "sp_dts_getpackage",
    "sp_vendor_agent_start",
    "ETL CmdExec",
    "shares its account `LocalSystem`",
    "Force Encryption is off:",
    "LEGACYSQL01\\contractor",
    "login report_user \u{2014}maps to",
];

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    use Status::*;
    let c = |check, status, word, login, change| Case { check, status, word, login, change };
    vec![
        c("R01", Info, "SQLSEC22", SYSADMIN, |_| {}),
        c("R02", Pass, "", SYSADMIN, |_| {}),
        c("R02", Fail, "2016", SYSADMIN, |i| i.version = Version::new(13, 0, 6300, 2)),
        c("R03", Pass, "", SYSADMIN, |_| {}),
        c("R03", Warn, "16.0.4165.4", SYSADMIN, |i| i.version = Version::new(16, 0, 4165, 4)),
        c("R03", Unknown, "", SYSADMIN, |i| i.version = Version::new(18, 0, 100, 1)),
        c("R04", Pass, "", SYSADMIN, |_| {}),
        c("R04", Fail, "sa", SYSADMIN, |i| { let sa = i.sa_mut(); sa.name = "sa".into(); sa.enabled = true; }),
        c("R04", Warn, "x_disabled_admin", SYSADMIN, |i| i.sa_mut().enabled = true),
        c("R05", Pass, "dba_sql", SYSADMIN, |i| i.logins.push(Login::new("dba_sql", "Zq9!long-and-random").in_role("sysadmin"))),
        c("R05", Fail, "weak_admin", SYSADMIN, |i| i.logins.push(Login::new("weak_admin", "weak_admin").in_role("securityadmin"))),
        c("R05", Fail, "nopolicy", SYSADMIN, |i| { let mut l = Login::new("nopolicy", "Zq9!long-and-random").in_role("serveradmin"); l.check_policy = false; i.logins.push(l); }),
        c("R05", Fail, "ctl_sql", SYSADMIN, |i| { let mut l = Login::new("ctl_sql", "ctl_sql"); l.permissions.push("CONTROL SERVER".into()); i.logins.push(l); }),
        c("R05", Unknown, "dba_sql", LIMITED, |i| i.logins.push(Login::new("dba_sql", "Zq9!long-and-random").in_role("sysadmin"))),
        c("R06", Pass, "", SYSADMIN, |_| {}),
        c("R06", Fail, "LocalSystem", SYSADMIN, |i| service(i, ServiceKind::Engine, "LocalSystem", Startup::Automatic, true)),
        c("R06", Warn, "NT Service", SYSADMIN, |i| service(i, ServiceKind::Agent, "NT Service\\SQLAgent$PROD", Startup::Automatic, true)),
        c("R07", Pass, "", SYSADMIN, |_| {}),
        c("R07", Warn, "idle_login", SYSADMIN, |i| i.logins.push(Login::new("idle_login", "Zq9!long-and-random"))),
        c("R08", Review, "autodbaudit", SYSADMIN, |_| {}),
        c("R08", Pass, "NT SERVICE", SYSADMIN, |_| {}),
        c("R09", Pass, "", SYSADMIN, |_| {}),
        c("R09", Fail, "granter", SYSADMIN, |i| {
            i.logins.push(Login::new("granter", "Zq9!long-and-random"));
            let db = user_db(i, "AppDB");
            db.objects.push(mssql_sim::instance::Object { name: "T".into(), schema: "dbo".into(), kind: "U".into(), startup: false, dll: None, execute_as: None, owner: None });
            db.users.push(user("granter", Some("granter"), &[]));
            db.permissions.push(Permission { grantee: "granter".into(), permission: "SELECT".into(), on: Some("dbo.T".into()), state: PermissionState::GrantWithGrantOption });
        }),
        c("R10", Pass, "xp_cmdshell", SYSADMIN, |_| {}),
        c("R10", Fail, "xp_cmdshell", SYSADMIN, |i| set(i, "xp_cmdshell", Setting::Value(1))),
        c("R10", Warn, "Ole Automation Procedures", SYSADMIN, |i| set(i, "Ole Automation Procedures", Setting::Pending { value: 1, in_use: 0 })),
        c("R11", Pass, "TDE_Finance_Cert", SYSADMIN, |_| {}),
        c("R11", Fail, "Finance", SYSADMIN, |i| i.database_mut("master").unwrap().certificates[0].last_backup = None),
        c("R11", Unknown, "LegacyBackupCert", SYSADMIN, |_| {}),
        c("R12", Pass, "", SYSADMIN, |_| {}),
        c("R12", Review, "trg_ddl", SYSADMIN, |i| i.server_triggers.push(mssql_sim::instance::ServerTrigger { name: "trg_ddl".into(), disabled: false, events: vec!["DDL_LOGIN_EVENTS".into()] })),
        c("R12", Review, "trg_audit_rows", SYSADMIN, |i| {
            let db = user_db(i, "AppDB");
            db.objects.push(mssql_sim::instance::Object { name: "Rows".into(), schema: "dbo".into(), kind: "U".into(), startup: false, dll: None, execute_as: None, owner: None });
            db.triggers.push(Trigger { name: "trg_audit_rows".into(), on: Some("dbo.Rows".into()), disabled: false });
        }),
        c("R13", Pass, "", SYSADMIN, |_| {}),
        c("R13", Fail, "lost_user", SYSADMIN, |i| user_db(i, "AppDB").users.push(user("lost_user", None, &[]))),
        c("R13", Fail, "guest", SYSADMIN, |i| user_db(i, "AppDB").guest = Some(true)),
        c("R14", Pass, "", SYSADMIN, |_| {}),
        c("R14", Fail, "MSSQLSERVER", SYSADMIN, |i| i.server_name = "SQLSEC22".into()),
        c("R15", Pass, "", SYSADMIN, |_| {}),
        c("R15", Warn, "Northwind", SYSADMIN, |i| { user_db(i, "Northwind"); }),
        c("R16", Pass, "", SYSADMIN, |_| {}),
        c("R16", Fail, "Ad Hoc", SYSADMIN, |i| set(i, "Ad Hoc Distributed Queries", Setting::Value(1))),
        c("R17", Pass, "", SYSADMIN, |_| {}),
        c("R17", Warn, "Named Pipes", SYSADMIN, |i| i.protocols.named_pipes = true),
        // VIEW SERVER STATE reads the registry values through sys.dm_server_registry; a login
        // without it (and not sysadmin, for xp_instance_regread) cannot.
        c("R17", Pass, "TCP/IP", LIMITED, |_| {}),
        c("R17", Unknown, "229", CONNECT_ONLY, connect_only),
        c("R18", Pass, "", SYSADMIN, |_| {}),
        c("R18", Fail, "Database Mail XPs", SYSADMIN, |i| set(i, "Database Mail XPs", Setting::Value(1))),
        c("R19", Pass, "", SYSADMIN, |_| {}),
        c("R19", Warn, "SQLBrowser", SYSADMIN, |i| service(i, ServiceKind::Browser, "NT AUTHORITY\\LOCAL SERVICE", Startup::Automatic, true)),
        // STIG SQL6-D0-017800: Disabled unless required; a stopped Manual Browser can be started.
        c("R19", Warn, "not Disabled", SYSADMIN, |i| service(i, ServiceKind::Browser, "NT AUTHORITY\\LOCAL SERVICE", Startup::Manual, false)),
        c("R20", Pass, "", SYSADMIN, |_| {}),
        c("R20", Fail, "remote access", SYSADMIN, |i| set(i, "remote access", Setting::Value(1))),
        c("R21", Pass, "", SYSADMIN, |_| {}),
        c("R21", Warn, "Analysis Services", SYSADMIN, |i| service(i, ServiceKind::Analysis, "CORP\\svc_olap", Startup::Manual, false)),
        c("R22", Pass, "LoginAudit", SYSADMIN, |_| {}),
        // Login auditing 'both' without a server audit: reported apart (B04).
        c("R22", Warn, "AuditLevel 'both') only", SYSADMIN, |i| i.audits.clear()),
        c("R22", Fail, "", SYSADMIN, |i| { i.audits.clear(); i.login_audit = mssql_sim::instance::LoginAudit::Failed; }),
        c("R22", Unknown, "229", CONNECT_ONLY, |i| { i.audits.clear(); connect_only(i) }),
        c("R23", Review, "", SYSADMIN, |_| {}),
        c("R24", Pass, "", SYSADMIN, |_| {}),
        c("R24", Review, "PARTNER", SYSADMIN, |i| i.linked_servers.push(LinkedServer { name: "PARTNER".into(), product: "SQL Server".into(), provider: "SQLNCLI".into(), data_source: "partner01".into(), rpc_out: false, logins: vec![LinkedLogin { local: None, uses_self: true, remote: None }], server_id: 0 })),
        c("R25", Pass, "", SYSADMIN, |_| {}),
        c("R25", Fail, "PARTNER", SYSADMIN, |i| i.linked_servers.push(LinkedServer { name: "PARTNER".into(), product: "SQL Server".into(), provider: "SQLNCLI".into(), data_source: "partner01".into(), rpc_out: true, logins: vec![LinkedLogin { local: None, uses_self: false, remote: Some("sa".into()) }], server_id: 0 })),
        c("R26", Info, "", SYSADMIN, |_| {}),
        c("R27", Info, "Finance", SYSADMIN, |_| {}),
        c("R28", Info, "", SYSADMIN, |_| {}),
        c("X01", Pass, "Finance", SYSADMIN, |_| {}),
        c("X01", Fail, "AppDB", SYSADMIN, |i| user_db(i, "AppDB").trustworthy = true),
        c("X02", Pass, "Finance", SYSADMIN, |_| {}),
        c("X02", Fail, "NeverBackedUp", SYSADMIN, |i| i.databases.push(Database::new("NeverBackedUp"))),
        c("X02", Warn, "ThreeDaysOld", SYSADMIN, |i| { let db = user_db(i, "ThreeDaysOld"); db.backups[0].finished = when("-3d"); }),
        c("X03", Review, "autodbaudit", SYSADMIN, |_| {}),
        // The audit logs in with SQL authentication, so the simulated server is in mixed mode;
        // the PASS (Windows-only mode) is `windows_only_mode_passes_x03_over_ntlm` below.
        c("X03", Warn, "mixed mode", SYSADMIN, |_| {}),
        c("X04", Pass, "scan for startup procs", SYSADMIN, |_| {}),
        c("X04", Fail, "scan for startup procs", SYSADMIN, |i| set(i, "scan for startup procs", Setting::Value(1))),
        // CIS 2.7 does not apply to a failover cluster instance.
        c("X04", Info, "cluster", SYSADMIN, |i| { set(i, "remote admin connections", Setting::Value(1)); i.clustered = true; }),
        c("X05", Pass, "", SYSADMIN, |_| {}),
        c("X05", Warn, "Agent", SYSADMIN, |i| service(i, ServiceKind::Agent, "CORP\\svc_sqlagent", Startup::Automatic, false)),
        c("X06", Pass, "default trace enabled", SYSADMIN, |_| {}),
        c("X06", Fail, "default trace enabled", SYSADMIN, |i| set(i, "default trace enabled", Setting::Value(0))),
        c("X07", Pass, "", SYSADMIN, |_| {}),
        c("X07", Review, "app_owner", SYSADMIN, |i| { i.logins.push(Login::new("app_owner", "Zq9!long-and-random")); user_db(i, "AppDB").users.push(user("app_owner", Some("app_owner"), &["db_owner"])); }),
        c("X08", Pass, "", SYSADMIN, |_| {}),
        c("X08", Review, "CONTROL SERVER", SYSADMIN, |i| { let mut l = Login::new("powerful", "Zq9!long-and-random"); l.permissions.push("CONTROL SERVER".into()); i.logins.push(l); }),
        c("X08", Review, "ALTER ANY SERVER AUDIT", SYSADMIN, |i| { let mut l = Login::new("auditor2", "Zq9!long-and-random"); l.permissions.push("ALTER ANY SERVER AUDIT".into()); i.logins.push(l); }),
        c("X08", Review, "helpdesk \u{2192} ops_lead \u{2192} autodbaudit", SYSADMIN, |i| {
            let mut helpdesk = Login::new("helpdesk", "Zq9!long-and-random");
            helpdesk.impersonate.push("ops_lead".into());
            let mut lead = Login::new("ops_lead", "Zq9!long-and-random");
            lead.impersonate.push("autodbaudit".into());
            i.logins.push(helpdesk);
            i.logins.push(lead);
        }),
        c("X09", Pass, "", SYSADMIN, |_| {}),
        c("X09", Warn, "", SYSADMIN, |i| i.encryption = mssql_sim::instance::Encryption::Optional),
        c("X09", Unknown, "229", CONNECT_ONLY, connect_only),
        c("X09", Pass, "configured certificate", SYSADMIN, |_| {}),
        // sys.dm_server_registry gives a login that is not sysadmin the same value.
        c("X09", Pass, "configured certificate", LIMITED, |_| {}),
        c("X09", Warn, "self-signed", SYSADMIN, |i| i.settings.certificate = None),
        c("X09", Warn, "self-signed", LIMITED, |i| i.settings.certificate = None),
        c("X09", Pass, "Every other client's TCP session", SYSADMIN, |_| {}),
        c("X09", Info, "No other client", SYSADMIN, |i| i.client_sessions.clear()),
        // The registry-only services unread: a domain account cannot be known to be unshared.
        c("X21", Unknown, "could not be compared", LIMITED, |_| {}),
        c("X09", Warn, "10.9.9.9 (2)", SYSADMIN, |i| i.client_sessions.push(ClientSession { client_address: "10.9.9.9".into(), transport: "TCP".into(), auth_scheme: "SQL".into(), encrypted: false, count: 2 })),
        // On legacy-2008r2 (no Force Encryption), whose clients all connect in clear.
        c("X09", Warn, "Force Encryption is off:", SYSADMIN, |_| {}),
        c("X10", Pass, "", SYSADMIN, |_| {}),
        c("X10", Fail, "sa", SYSADMIN, |i| i.logins.push(Login::new("sa", "Zq9!long-and-random"))),
        c("X10", Unknown, "other principals", CONNECT_ONLY, connect_only),
        c("X11", Pass, "polybase network encryption", SYSADMIN, |_| {}),
        c("X11", Fail, "FILESTREAM is on", SYSADMIN, |i| set(i, "filestream access level", Setting::Value(2))),
        c("X11", Warn, "Replication XPs", SYSADMIN, |i| set(i, "Replication XPs", Setting::Pending { value: 1, in_use: 0 })),
        // On legacy-2008r2 (the only version with SQL Mail), where the fixture left it on.
        c("X11", Fail, "SQL Mail XPs", SYSADMIN, |_| {}),
        c("X12", Pass, "autodbaudit", SYSADMIN, |_| {}),
        c("X12", Fail, "CHECK_POLICY OFF", SYSADMIN, |i| { let mut l = Login::new("nopolicy", "Zq9!long-and-random"); l.check_policy = false; l.check_expiration = true; i.logins.push(l); }),
        c("X12", Fail, "admin2", SYSADMIN, |i| i.logins.push(Login::new("admin2", "Zq9!long-and-random").in_role("sysadmin"))),
        c("X12", Fail, "controller", SYSADMIN, |i| { let mut l = Login::new("controller", "Zq9!long-and-random"); l.permissions.push("CONTROL SERVER".into()); i.logins.push(l); }),
        c("X12", Warn, "plain", SYSADMIN, |i| i.logins.push(Login::new("plain", "Zq9!long-and-random"))),
        c("X12", Unknown, "other principals", CONNECT_ONLY, connect_only),
        c("X13", Pass, "default server permissions", SYSADMIN, |_| {}),
        c("X13", Pass, "default server permissions", LIMITED, |_| {}),
        c("X13", Fail, "VIEW SERVER STATE", SYSADMIN, |i| i.public_permissions.push("VIEW SERVER STATE".into())),
        c("X13", Fail, "ALTER TRACE", SYSADMIN, |_| {}),
        c("X13", Unknown, "other principals", CONNECT_ONLY, connect_only),
        c("X14", Pass, "no BUILTIN", SYSADMIN, |_| {}),
        c("X14", Fail, "BUILTIN\\Administrators", SYSADMIN, |i| windows_login(i, "BUILTIN\\Administrators", LoginKind::WindowsGroup, true)),
        c("X14", Fail, "SQLSEC22\\DBAs", SYSADMIN, |i| windows_login(i, "SQLSEC22\\DBAs", LoginKind::WindowsGroup, true)),
        c("X14", Warn, "BUILTIN\\Users", SYSADMIN, |i| windows_login(i, "BUILTIN\\Users", LoginKind::WindowsGroup, false)),
        c("X14", Info, "Linux", SYSADMIN, |_| {}),
        c("X14", Unknown, "other principals", CONNECT_ONLY, connect_only),
        c("X15", Pass, "computer account", SYSADMIN, |_| {}),
        c("X15", Review, "CORP\\APPSRV01$", SYSADMIN, |i| windows_login(i, "CORP\\APPSRV01$", LoginKind::WindowsUser, true)),
        c("X15", Info, "Linux", SYSADMIN, |_| {}),
        c("X15", Unknown, "other principals", CONNECT_ONLY, connect_only),
        c("X17", Pass, "autodbaudit", SYSADMIN, |_| {}),
        c("X17", Pass, "next login", SYSADMIN, |i| { let mut l = Login::new("fresh", "Zq9!long-and-random"); l.must_change = true; l.check_expiration = true; i.logins.push(l); }),
        c("X17", Warn, "initial_pw", SYSADMIN, |i| { let mut l = Login::new("initial_pw", "Zq9!long-and-random"); l.created = Some(when("-20d")); i.logins.push(l); }),
        c("X17", Warn, "old_vendor", SYSADMIN, |_| {}),
        c("X16", Pass, "matches", SYSADMIN, |_| {}),
        c("X16", Pass, "matches", CONNECT_ONLY, connect_only),
        c("X16", Warn, "OLDHOST\\PROD", SYSADMIN, |i| i.stale_server_name = Some("OLDHOST\\PROD".into())),
        // 2008 R2: the property exists there too; the fixture's host was renamed.
        c("X16", Warn, "WIN-7Q2L0K1E3B", SYSADMIN, |_| {}),
        c("X55", Pass, "used Kerberos", SYSADMIN, |_| {}),
        c("X55", Info, "no remote Windows-authenticated session", SYSADMIN, |i| i.client_sessions.clear()),
        c("X55", Warn, "10.9.9.9 (2)", SYSADMIN, |i| i.client_sessions.push(ClientSession { client_address: "10.9.9.9".into(), transport: "TCP".into(), auth_scheme: "NTLM".into(), encrypted: false, count: 2 })),
        c("X55", Warn, "10.9.9.9 (1)", LIMITED, |i| i.client_sessions.push(ClientSession { client_address: "10.9.9.9".into(), transport: "TCP".into(), auth_scheme: "NTLM".into(), encrypted: true, count: 1 })),
        c("X55", Unknown, "connections unavailable", CONNECT_ONLY, connect_only),
        c("X18", Pass, "no SQL Server Agent proxy", SYSADMIN, |_| {}),
        c("X18", Pass, "ETL runner", SYSADMIN, |i| agent_proxy(i, &["SQLAgentOperatorRole"])),
        c("X18", Fail, "ETL runner", SYSADMIN, |i| agent_proxy(i, &["public"])),
        // Granted to a role msdb no longer has: it could have been public.
        c("X18", Review, "names no role", SYSADMIN, |i| agent_proxy(i, &["dropped_role"])),
        // On legacy-2008r2 (2008 R2), whose vendor proxy public may use.
        c("X18", Fail, "ETL CmdExec", SYSADMIN, |_| {}),
        c("X18", Info, "engine edition", SYSADMIN, |i| i.edition = "Express Edition (64-bit)".into()),
        // msdb's proxy tables admit sysadmin only.
        c("X18", Unknown, "229", LIMITED, |i| agent_proxy(i, &["public"])),
        c("X19", Pass, "no server credential", SYSADMIN, |_| {}),
        c("X19", Review, "CORP\\svc_etl", SYSADMIN, |i| agent_proxy(i, &["public"])),
        c("X19", Review, "CmdExec, PowerShell", SYSADMIN, |i| agent_proxy(i, &["public"])),
        c("X19", Unknown, "agent_proxies", LIMITED, |i| agent_proxy(i, &["public"])),
        c("X20", Pass, "no Extensible Key Management provider", LIMITED, |_| {}),
        c("X20", Info, "HSM.dll", SYSADMIN, |i| i.cryptographic_providers.push(mssql_sim::instance::CryptographicProvider { name: "Vendor HSM".into(), dll_path: "C:\\HSM\\HSM.dll".into(), version: "1.2.0.0".into(), enabled: false })),
        // Without VIEW ANY DEFINITION the providers' rows are hidden (the 2008–2014 pages).
        c("X20", Unknown, "", CONNECT_ONLY, connect_only),
        c("X21", Pass, "only SQL Server service", SYSADMIN, |_| {}),
        c("X21", Warn, "shares its account", SYSADMIN, |i| service(i, ServiceKind::Agent, "corp\\SVC_SQLPROD", Startup::Automatic, true)),
        // On legacy-2008r2, whose services all run as LocalSystem.
        c("X21", Warn, "shares its account `LocalSystem`", SYSADMIN, |_| {}),
        c("X21", Info, "Linux", SYSADMIN, |_| {}),
        c("X21", Unknown, "", CONNECT_ONLY, connect_only),
        c("X23", Pass, "LoginAudit", SYSADMIN, |_| {}),
        c("X23", Fail, "RUNTIME_FAIL", SYSADMIN, |i| i.audits[0].failed = true),
        // On legacy-2008r2 (2008 R2: the view exists), which has no server audit.
        c("X23", Fail, "WIN-7Q2L0K1E3B has no server audit STARTED", SYSADMIN, |_| {}),
        c("X23", Unknown, "", CONNECT_ONLY, connect_only),
        c("X24", Pass, "LoginAudit", SYSADMIN, |_| {}),
        c("X24", Fail, "DBCC_GROUP", SYSADMIN, |i| i.audits[0].specification.as_mut().unwrap().actions.retain(|a| a != "DBCC_GROUP")),
        c("X24", Info, "WIN-7Q2L0K1E3B", SYSADMIN, |_| {}),
        c("X24", Unknown, "", CONNECT_ONLY, connect_only),
        c("X25", Pass, "LoginAudit", SYSADMIN, |_| {}),
        c("X25", Review, "server_principal_name", SYSADMIN, |i| i.audits[0].predicate = Some("([server_principal_name]<>'CORP\\svc_batch')".into())),
        c("X25", Info, "WIN-7Q2L0K1E3B", SYSADMIN, |_| {}),
        c("X25", Unknown, "", CONNECT_ONLY, connect_only),
        c("X26", Review, "SHUTDOWN SERVER INSTANCE", SYSADMIN, |_| {}),
        c("X26", Review, "unlimited file size, stops after 4 files", SYSADMIN, |i| { let a = &mut i.audits[0]; a.destination = "FILE".into(); a.max_files = 4; }),
        c("X26", Info, "no server audit", SYSADMIN, |i| i.audits.clear()),
        c("X26", Unknown, "", CONNECT_ONLY, connect_only),
        c("X27", Pass, "contained database authentication", SYSADMIN, |_| {}),
        c("X27", Fail, "contained database authentication", SYSADMIN, |i| set(i, "contained database authentication", Setting::Value(1))),
        c("X27", Review, "VendorDB", SYSADMIN, |i| { set(i, "contained database authentication", Setting::Value(1)); user_db(i, "VendorDB").contained = true; }),
        c("X27", Info, "WIN-7Q2L0K1E3B", SYSADMIN, |_| {}),
        // sys.configurations and sys.databases (VIEW ANY DATABASE, public's) are readable by
        // any login: X27 has no UNKNOWN over TDS short of a refused query (unit-tested).
        c("X28", Pass, "no contained database", SYSADMIN, |_| {}),
        c("X28", Fail, "VendorDB", SYSADMIN, |i| user_db(i, "VendorDB").contained = true),
        c("X28", Unknown, "", CONNECT_ONLY, connect_only),
        c("X29", Pass, "500", SYSADMIN, |_| {}),
        c("X29", Review, "no concurrent-session limit", SYSADMIN, |i| { i.configuration.remove("user connections"); }),
        c("X29", Review, "trg_session_limit", SYSADMIN, |i| { i.configuration.remove("user connections"); i.server_triggers.push(mssql_sim::instance::ServerTrigger { name: "trg_session_limit".into(), disabled: false, events: vec!["LOGON".into()] }); }),
        c("X29", Unknown, "", CONNECT_ONLY, connect_only),
        c("X30", Pass, "syspolicy_purge_history", SYSADMIN, |_| {}),
        c("X30", Warn, "not by sa", SYSADMIN, |i| i.agent_jobs.push(agent_job("Export", "autodbaudit", false))),
        c("X30", Warn, "matches no login", SYSADMIN, |i| i.agent_jobs.push(agent_job("Orphan", "CORP\\gone", false))),
        c("X30", Warn, "disabled login", SYSADMIN, |i| { let mut l = Login::new("retired", "Zq9!long-and-random"); l.enabled = false; i.logins.push(l); i.agent_jobs.push(agent_job("Old", "retired", false)); }),
        c("X30", Info, "engine edition", SYSADMIN, |i| i.edition = "Express Edition (64-bit)".into()),
        c("X30", Unknown, "", CONNECT_ONLY, connect_only),
        c("X31", Pass, "no enabled Agent job", SYSADMIN, |_| {}),
        c("X31", Review, "At start", SYSADMIN, |i| i.agent_jobs.push(agent_job("Warm cache", "sa", true))),
        c("X31", Info, "engine edition", SYSADMIN, |i| i.edition = "Express Edition (64-bit)".into()),
        c("X31", Unknown, "", CONNECT_ONLY, connect_only),
        c("X33", Pass, "30", SYSADMIN, |_| {}),
        // VIEW SERVER STATE reads the same values through sys.dm_server_registry.
        c("X33", Pass, "30", LIMITED, |_| {}),
        c("X33", Fail, "absent", SYSADMIN, |i| i.settings.error_logs = None),
        c("X33", Fail, "only 8", LIMITED, |i| i.settings.error_logs = Some(8)),
        c("X33", Unknown, "229", CONNECT_ONLY, connect_only),
        c("X34", Pass, "hidden", SYSADMIN, |_| {}),
        c("X34", Warn, "advertised", SYSADMIN, |i| i.settings.hide_instance = false),
        c("X34", Warn, "advertised", LIMITED, |i| i.settings.hide_instance = false),
        c("X34", Info, "cluster", SYSADMIN, |i| { i.settings.hide_instance = false; i.clustered = true; }),
        c("X34", Unknown, "229", CONNECT_ONLY, connect_only),
        c("X35", Pass, "51433", SYSADMIN, |_| {}),
        c("X35", Pass, "51433", LIMITED, |_| {}),
        c("X35", Warn, "1433", SYSADMIN, |i| i.settings.tcp_port = Some("1433".into())),
        c("X35", Warn, "dynamic", SYSADMIN, |i| { i.settings.tcp_port = Some(String::new()); i.settings.tcp_dynamic_ports = Some("0".into()); }),
        c("X35", Unknown, "229", CONNECT_ONLY, connect_only),
        c("X44", Pass, "sp_validatelogins lists none", SYSADMIN, |_| {}),
        c("X44", Fail, "CORP\\leaver", SYSADMIN, |i| { let mut l = Login::windows("CORP\\leaver", LoginKind::WindowsUser); l.gone_from_windows = true; i.logins.push(l); }),
        // On legacy-2008r2 (2008 R2), whose contractor's account was deleted.
        c("X44", Fail, "LEGACYSQL01\\contractor", SYSADMIN, |_| {}),
        // securityadmin is enough ("sysadmin or securityadmin fixed server role").
        c("X44", Fail, "CORP\\gone_group", LIMITED, |i| {
            let mut l = Login::windows("CORP\\gone_group", LoginKind::WindowsGroup); l.gone_from_windows = true; i.logins.push(l);
            i.logins.iter_mut().find(|l| l.name == LIMITED).unwrap().roles.push("securityadmin".into());
        }),
        c("X44", Unknown, "securityadmin", LIMITED, |_| {}),
        c("X44", Info, "Linux", SYSADMIN, |_| {}),
        c("X45", Pass, "xp_cmdshell", SYSADMIN, |_| {}),
        c("X45", Fail, "sys.xp_cmdshell", LIMITED, |i| master_grant(i, "public", "xp_cmdshell")),
        c("X45", Fail, "svc_cmdshell", SYSADMIN, |i| i.credentials.push(Credential { name: "##xp_cmdshell_proxy_account##".into(), identity: "CORP\\svc_cmdshell".into() })),
        // On legacy-2008r2, where the proxy account was set.
        c("X45", Fail, "cmdshell_proxy", SYSADMIN, |_| {}),
        c("X45", Unknown, "other principals", CONNECT_ONLY, connect_only),
        c("X46", Pass, "registry", SYSADMIN, |_| {}),
        c("X46", Fail, "sys.xp_regwrite", SYSADMIN, |i| master_grant(i, "public", "xp_regwrite")),
        c("X46", Fail, "sys.xp_instance_regread", LIMITED, |i| master_grant(i, "public", "xp_instance_regread")),
        c("X46", Unknown, "other principals", CONNECT_ONLY, connect_only),
        c("X47", Pass, "extended", SYSADMIN, |_| {}),
        c("X47", Fail, "sys.xp_dirtree", SYSADMIN, |i| master_grant(i, "public", "xp_dirtree")),
        c("X47", Unknown, "other principals", CONNECT_ONLY, connect_only),
        c("X48", Pass, "", SYSADMIN, |_| {}),
        c("X48", Review, "master.dbo.sp_start_agent", LIMITED, |i| i.database_mut("master").unwrap().objects.push(mssql_sim::instance::Object { name: "sp_start_agent".into(), schema: "dbo".into(), kind: "P".into(), startup: true, dll: None, execute_as: None, owner: None })),
        // On legacy-2008r2, whose vendor left one.
        c("X48", Review, "sp_vendor_agent_start", SYSADMIN, |_| {}),
        c("X48", Unknown, "other principals", CONNECT_ONLY, connect_only),
        c("X49", Pass, "", SYSADMIN, |_| {}),
        c("X49", Review, "xp_vendor_hash", LIMITED, |i| i.database_mut("master").unwrap().objects.push(mssql_sim::instance::Object { name: "xp_vendor_hash".into(), schema: "dbo".into(), kind: "X".into(), startup: false, dll: Some("C:\\Vendor\\xphash.dll".into()), execute_as: None, owner: None })),
        // On legacy-2008r2, where a vendor added one.
        c("X49", Review, "xp_legacy_crypt", SYSADMIN, |_| {}),
        c("X49", Unknown, "other principals", CONNECT_ONLY, connect_only),
        c("X50", Pass, "Hadr_endpoint", LIMITED, |_| {}),
        c("X50", Fail, "NONE, AES", SYSADMIN, |i| i.endpoints[0].encryption = 4),
        c("X50", Review, "STOPPED", SYSADMIN, |i| i.endpoints.push(Endpoint { name: "Broker".into(), kind: EndpointKind::ServiceBroker, state: "STOPPED".into(), owner: None, encryption: 2 })),
        // On legacy-2008r2, whose mirroring endpoint kept RC4.
        c("X50", Fail, "Mirroring", SYSADMIN, |_| {}),
        c("X50", Unknown, "other principals", CONNECT_ONLY, connect_only),
        c("X51", Pass, "Hadr_endpoint", SYSADMIN, |_| {}),
        c("X51", Review, "dba_owner", SYSADMIN, |i| { i.logins.push(Login::new("dba_owner", "Zq9!long-and-random")); i.endpoints[0].owner = Some("dba_owner".into()); }),
        c("X51", Review, "app_admin", SYSADMIN, |_| {}),
        c("X51", Unknown, "other principals", CONNECT_ONLY, connect_only),
        c("X52", Pass, "", SYSADMIN, |_| {}),
        c("X52", Fail, "dbo.sp_ssis_getpackage", LIMITED, |i| {
            let msdb = i.database_mut("msdb").unwrap();
            msdb.objects.push(mssql_sim::instance::Object { name: "sp_ssis_getpackage".into(), schema: "dbo".into(), kind: "P".into(), startup: false, dll: None, execute_as: None, owner: None });
            msdb.permissions.push(Permission { grantee: "public".into(), permission: "EXECUTE".into(), on: Some("dbo.sp_ssis_getpackage".into()), state: PermissionState::Grant });
        }),
        // On legacy-2008r2, where public was given a DTS procedure.
        c("X52", Fail, "sp_dts_getpackage", SYSADMIN, |_| {}),
        c("X52", Unknown, "", CONNECT_ONLY, connect_only),
        c("X53", Pass, "guest is a member of no database role", SYSADMIN, |_| {}),
        c("X53", Fail, "db_datareader \u{2192} guest", SYSADMIN, |i| user_db(i, "PriceList").guest_roles.push("db_datareader".into())),
        c("X53", Unknown, "", CONNECT_ONLY, connect_only),
        c("X54", Pass, "No database user other than dbo", SYSADMIN, |_| {}),
        // hardened-2022's sa is renamed x_disabled_admin: the user follows the SID, not the name.
        c("X54", Fail, "PriceList.sa_alias", SYSADMIN, |i| user_db(i, "PriceList").users.push(user("sa_alias", Some("x_disabled_admin"), &[]))),
        c("X54", Unknown, "", CONNECT_ONLY, connect_only),
        c("X57", Pass, "No database user", SYSADMIN, |_| {}),
        c("X57", Fail, "Shop.kiosk", SYSADMIN, |i| { let db = user_db(i, "Shop"); db.contained = true; db.users.push(User { authentication: UserAuthentication::Database, ..user("kiosk", None, &[]) }); }),
        // The first release with contained databases.
        c("X57", Fail, "Shop.kiosk", SYSADMIN, |i| { i.version = Version::new(11, 0, 7001, 0); let db = user_db(i, "Shop"); db.contained = true; db.users.push(User { authentication: UserAuthentication::Database, ..user("kiosk", None, &[]) }); }),
        c("X57", Unknown, "", CONNECT_ONLY, connect_only),
        // No contained databases before SQL Server 2012.
        c("X57", Info, "does not apply", SYSADMIN, |i| i.version = Version::new(10, 50, 6000, 34)),
        c("X58", Pass, "guest holds no permission", SYSADMIN, |_| {}),
        c("X58", Fail, "guest: SELECT on OBJECT_OR_COLUMN dbo.PriceList", SYSADMIN, |i| { user_db(i, "Shop").objects.push(object("PriceList")); grant(i, "Shop", "guest", "SELECT", Some("dbo.PriceList")); }),
        c("X58", Unknown, "", CONNECT_ONLY, connect_only),
        c("X59", Pass, "named like a login", SYSADMIN, |_| {}),
        c("X59", Warn, "Shop.autodbaudit", SYSADMIN, |i| user_db(i, "Shop").users.push(user("autodbaudit", None, &[]))),
        c("X59", Unknown, "", CONNECT_ONLY, connect_only),
        c("X60", Pass, "No application role", SYSADMIN, |_| {}),
        c("X60", Review, "Shop.OrderEntry", SYSADMIN, |i| user_db(i, "Shop").application_roles.push("OrderEntry".into())),
        c("X60", Unknown, "", CONNECT_ONLY, connect_only),
        c("X61", Pass, "No user-defined role", SYSADMIN, |_| {}),
        c("X61", Fail, "db_owner \u{2192} shop_admins", SYSADMIN, |i| { let db = user_db(i, "Shop"); db.roles.push("shop_admins".into()); db.nested_roles.push(NestedRole { role: "db_owner".into(), member: "shop_admins".into() }); }),
        c("X61", Unknown, "", CONNECT_ONLY, connect_only),
        c("X62", Pass, "has a member", SYSADMIN, |_| {}),
        c("X62", Warn, "Shop.old_auditors", SYSADMIN, |i| user_db(i, "Shop").roles.push("old_auditors".into())),
        c("X62", Unknown, "", CONNECT_ONLY, connect_only),
        c("X63", Pass, "No principal is a member", SYSADMIN, |_| {}),
        c("X63", Review, "db_datareader \u{2192} autodbaudit", SYSADMIN, |i| user_db(i, "Shop").users.push(user("autodbaudit", Some("autodbaudit"), &["db_datareader"]))),
        c("X63", Unknown, "", CONNECT_ONLY, connect_only),
        c("X64", Pass, "public holds no permission", SYSADMIN, |_| {}),
        c("X64", Fail, "public: SELECT on OBJECT_OR_COLUMN dbo.Orders", SYSADMIN, |i| { user_db(i, "Shop").objects.push(object("Orders")); grant(i, "Shop", "public", "SELECT", Some("dbo.Orders")); }),
        c("X64", Fail, "CREATE TABLE", SYSADMIN, |i| grant(i, "Shop", "public", "CREATE TABLE", None)),
        c("X64", Unknown, "", CONNECT_ONLY, connect_only),
        c("X65", Pass, "besides CONNECT directly", SYSADMIN, |i| i.logins.retain(|l| l.name != LIMITED)),
        c("X65", Review, "clerk: SELECT on OBJECT_OR_COLUMN dbo.Orders", SYSADMIN, |i| { i.logins.push(Login::new("clerk", "Zq9!long-and-random")); let db = user_db(i, "Shop"); db.objects.push(object("Orders")); db.users.push(user("clerk", Some("clerk"), &[])); grant(i, "Shop", "clerk", "SELECT", Some("dbo.Orders")); }),
        c("X65", Review, "VIEW SERVER STATE", SYSADMIN, |i| { let mut l = Login::new("monitor", "Zq9!long-and-random"); l.permissions.push("VIEW SERVER STATE".into()); i.logins.push(l); }),
        c("X65", Unknown, "", CONNECT_ONLY, connect_only),
        c("X66", Pass, "Only dbo may connect to model", SYSADMIN, |_| {}),
        c("X66", Fail, "model.autodbaudit", SYSADMIN, |i| i.database_mut("model").unwrap().users.push(user("autodbaudit", Some("autodbaudit"), &[]))),
        c("X66", Fail, "model.guest", SYSADMIN, |i| i.database_mut("model").unwrap().guest = Some(true)),
        c("X66", Unknown, "", CONNECT_ONLY, connect_only),
        c("X67", Pass, "DB_CHAINING off", SYSADMIN, |_| {}),
        c("X67", Fail, "Shop", SYSADMIN, |i| user_db(i, "Shop").db_chaining = Some(true)),
        c("X67", Unknown, "", CONNECT_ONLY, blind_to_databases),
        c("X68", Pass, "AUTO_CLOSE is off", SYSADMIN, |_| {}),
        c("X68", Fail, "Shop", SYSADMIN, |i| user_db(i, "Shop").auto_close = true),
        c("X68", Unknown, "", CONNECT_ONLY, blind_to_databases),
        c("X69", Pass, "Finance", SYSADMIN, |_| {}),
        c("X69", Fail, "names no login", SYSADMIN, |i| user_db(i, "Shop").owner = Some("gone_dba".into())),
        c("X69", Fail, "restored or attached", SYSADMIN, |i| user_db(i, "Shop").dbo_from_other_server = true),
        c("X69", Unknown, "", CONNECT_ONLY, connect_only),
        c("X70", Pass, "owned by sa", SYSADMIN, |_| {}),
        c("X70", Warn, "a login with sysadmin", SYSADMIN, |i| user_db(i, "Shop").owner = Some("autodbaudit".into())),
        c("X70", Unknown, "names no login", SYSADMIN, |i| user_db(i, "Shop").owner = Some("gone_dba".into())),
        c("X70", Unknown, "", CONNECT_ONLY, blind_to_databases),
        c("X71", Pass, "Finance", SYSADMIN, |_| {}),
        c("X71", Info, "Shop", SYSADMIN, |i| { user_db(i, "Shop"); }),
        c("X71", Unknown, "", CONNECT_ONLY, blind_to_databases),
        c("X72", Pass, "TDE_Finance_Cert", SYSADMIN, |_| {}),
        c("X72", Warn, "LegacyBackupCert", SYSADMIN, |_| {}),
        c("X72", Warn, "plan its rotation", SYSADMIN, |i| i.database_mut("master").unwrap().certificates[0].expires = Some(when("+10d"))),
        c("X72", Unknown, "", CONNECT_ONLY, connect_only),
        c("X73", Pass, "written to NUL", SYSADMIN, |_| {}),
        c("X73", Fail, "Shop", SYSADMIN, |i| user_db(i, "Shop").backups.push(Backup { kind: "L".into(), finished: when("-30m"), size_mb: 1, encryption: None, certificate: None, device: Some("NUL".into()) })),
        c("X73", Info, "restarted the log chain", SYSADMIN, |i| user_db(i, "Shop").backups.push(Backup { kind: "L".into(), finished: when("-3h"), size_mb: 1, encryption: None, certificate: None, device: Some("NUL:".into()) })),
        c("X73", Unknown, "", CONNECT_ONLY, blind_to_databases),
        c("X74", Pass, "Finance", SYSADMIN, |_| {}),
        c("X74", Pass, "AES_256", SYSADMIN, |i| user_db(i, "Shop").backups[0].encryption = Some("AES_256".into())),
        c("X74", Fail, "Shop", SYSADMIN, |i| { user_db(i, "Shop"); }),
        c("X74", Unknown, "", CONNECT_ONLY, blind_to_databases),
        // Backup encryption came with SQL Server 2014: on 2012 the check does not apply.
        c("X74", Info, "does not apply", SYSADMIN, |i| i.version = Version::new(11, 0, 7001, 0)),
        c("X75", Pass, "FULL or BULK_LOGGED", SYSADMIN, |_| {}),
        c("X75", Review, "Shop", SYSADMIN, |i| user_db(i, "Shop").recovery = mssql_sim::instance::Recovery::Simple),
        c("X75", Unknown, "", CONNECT_ONLY, blind_to_databases),
        c("X76", Pass, "No user CLR assembly", SYSADMIN, |_| {}),
        c("X76", Review, "Shop.RegexUtil", SYSADMIN, |i| user_db(i, "Shop").assemblies.push(Assembly { name: "RegexUtil".into(), permission_set: "SAFE".into() })),
        c("X76", Fail, "Shop.FileExport", SYSADMIN, |i| user_db(i, "Shop").assemblies.push(Assembly { name: "FileExport".into(), permission_set: "EXTERNAL_ACCESS".into() })),
        c("X76", Unknown, "", CONNECT_ONLY, connect_only),
        c("X77", Pass, "TDE_Finance_Cert", SYSADMIN, |_| {}),
        c("X77", Fail, "Shop.CardKey", SYSADMIN, |i| user_db(i, "Shop").symmetric_keys.push(SymmetricKey { name: "CardKey".into(), algorithm: "TRIPLE_DES".into() })),
        c("X77", Fail, "Shop.Signer", SYSADMIN, |i| user_db(i, "Shop").asymmetric_keys.push(AsymmetricKey { name: "Signer".into(), key_length: 1024 })),
        c("X77", Fail, "1024-bit key", SYSADMIN, |i| i.database_mut("master").unwrap().certificates[0].key_length = Some(1024)),
        // SQL Server 2008 R2 made TRIPLE_DES master keys, the only algorithm it had: INFO; a
        // 2022 server still holding one (made before an upgrade) FAILs. Certificates before
        // 2016 report no key length.
        c("X77", Info, "the only algorithm before SQL Server 2012", SYSADMIN, |_| {}),
        c("X77", Fail, "(made before SQL Server 2012)", SYSADMIN, |i| i.database_mut("master").unwrap().master_key.as_mut().unwrap().algorithm = Some("TRIPLE_DES".into())),
        c("X77", Unknown, "not reported before SQL Server 2016", SYSADMIN, |_| {}),
        c("X77", Unknown, "", CONNECT_ONLY, connect_only),
        c("X78", Pass, "AES-256", SYSADMIN, |_| {}),
        c("X78", Warn, "AES-128", SYSADMIN, |i| i.database_mut("Finance").unwrap().encryption.as_mut().unwrap().algorithm = Some("AES_128".into())),
        c("X78", Warn, "TRIPLE_DES_3KEY", SYSADMIN, |i| i.database_mut("Finance").unwrap().encryption.as_mut().unwrap().algorithm = Some("TRIPLE_DES_3KEY".into())),
        c("X78", Unknown, "", CONNECT_ONLY, connect_only),
        c("X79", Pass, "has a database master key", SYSADMIN, |i| { for db in &mut i.databases { db.master_key = None; db.encryption = None; } }),
        c("X79", Review, "and the service master key", SYSADMIN, |_| {}),
        c("X79", Review, "password only", SYSADMIN, |i| i.database_mut("master").unwrap().master_key.as_mut().unwrap().encrypted_by_server = false),
        c("X79", Unknown, "", CONNECT_ONLY, connect_only),
        c("X80", Pass, "No module of", SYSADMIN, |_| {}),
        c("X80", Review, "WITH EXECUTE AS 'dbo'", SYSADMIN, |i| user_db(i, "Shop").objects.push(mssql_sim::instance::Object { execute_as: Some("dbo".into()), kind: "P".into(), ..object("usp_Purge") })),
        c("X80", Review, "WITH EXECUTE AS OWNER", SYSADMIN, |i| user_db(i, "Shop").objects.push(mssql_sim::instance::Object { execute_as: Some("OWNER".into()), kind: "P".into(), ..object("usp_Load") })),
        c("X80", Unknown, "", CONNECT_ONLY, connect_only),
        c("X81", Pass, "owned by an individual", SYSADMIN, |_| {}),
        c("X81", Review, "Schema `rpt`", SYSADMIN, |i| { let db = user_db(i, "Shop"); db.users.push(user("autodbaudit", Some("autodbaudit"), &[])); db.schema_owners.push(SchemaOwner { schema: "rpt".into(), owner: "autodbaudit".into() }); }),
        c("X81", Review, "Object `dbo.Prices`", SYSADMIN, |i| { let db = user_db(i, "Shop"); db.users.push(user("autodbaudit", Some("autodbaudit"), &[])); db.objects.push(mssql_sim::instance::Object { owner: Some("autodbaudit".into()), ..object("Prices") }); }),
        c("X81", Unknown, "", CONNECT_ONLY, connect_only),
        c("X82", Pass, "explicit right to create", SYSADMIN, |_| {}),
        c("X82", Review, "may create procedure", SYSADMIN, |i| { user_db(i, "Shop").users.push(user("autodbaudit", Some("autodbaudit"), &[])); grant(i, "Shop", "autodbaudit", "CREATE PROCEDURE", None); }),
        c("X82", Unknown, "", CONNECT_ONLY, connect_only),
        c("X83", Pass, "computer account", SYSADMIN, |_| {}),
        c("X83", Review, "Shop.CORP\\WEB01$", SYSADMIN, |i| { windows_login(i, "CORP\\WEB01$", LoginKind::WindowsUser, true); user_db(i, "Shop").users.push(user("CORP\\WEB01$", Some("CORP\\WEB01$"), &[])); }),
        c("X83", Info, "Linux", SYSADMIN, |_| {}),
        c("X83", Unknown, "", CONNECT_ONLY, connect_only),
        c("X84", Info, "Finance", SYSADMIN, |_| {}),
        c("X84", Pass, "users besides dbo", SYSADMIN, |i| i.database_mut("Finance").unwrap().users.push(user("autodbaudit", Some("autodbaudit"), &[]))),
        c("X84", Unknown, "", CONNECT_ONLY, connect_only),
        // R11 strengthened (B14): the certificate that encrypts a database's backups says so.
        c("R11", Pass, "It encrypts the backups of Shop", SYSADMIN, |i| { let b = &mut user_db(i, "Shop").backups[0]; b.encryption = Some("AES_256".into()); b.certificate = Some("TDE_Finance_Cert".into()); }),
        // X01 strengthened (B07): a TRUSTWORTHY database owned by a sysadmin is critical (on
        // legacy-2008r2, SalesDB owned by app_admin); model is judged too.
        c("X01", Fail, "can become sysadmin", SYSADMIN, |_| {}),
        c("X01", Fail, "model", SYSADMIN, |i| i.database_mut("model").unwrap().trustworthy = true),
        // X07 strengthened (B11): msdb's db_datawriter leads to sysadmin.
        c("X07", Review, "rewrite the steps of Agent jobs", SYSADMIN, |i| { i.logins.push(Login::new("etl", "Zq9!long-and-random")); i.database_mut("msdb").unwrap().users.push(user("etl", Some("etl"), &["db_datawriter"])); }),
        // X02 strengthened (M88): stopped log backups warn.
        c("X02", Warn, "log backups have stopped", SYSADMIN, |i| user_db(i, "Shop").backups[1].finished = when("-3d")),
        // R13 strengthened (B03): guest in model fails; master, tempdb, msdb stay exempt.
        c("R13", Fail, "model.guest", SYSADMIN, |i| i.database_mut("model").unwrap().guest = Some(true)),
        c("X56", Pass, "No principal outside sysadmin", SYSADMIN, |_| {}),
        // A login with IMPERSONATE on the sysadmin the audit runs as; the planted paths of every
        // kind are in `escalation_fixture_paths_over_tds`.
        c("X56", Fail, "login helpdesk \u{2014}IMPERSONATE\u{2192} login autodbaudit \u{2014}member of\u{2192} sysadmin", SYSADMIN, |i| {
            let mut l = Login::new("helpdesk", "Helpdesk-Passw0rd!");
            l.impersonate.push("autodbaudit".into());
            i.logins.push(l);
        }),
        // On legacy-2008r2 (2008 R2: sys.sql_modules and the rest read alike): db_owner of the
        // TRUSTWORTHY SalesDB, owned by the sysadmin app_admin.
        c("X56", Fail, "login report_user \u{2014}maps to", SYSADMIN, |_| {}),
        // limited_auditor cannot enter Finance: what is inside is unseen, so never a PASS.
        c("X56", Unknown, "Finance", LIMITED, |_| {}),
        c("X56", Unknown, "", CONNECT_ONLY, connect_only),
        // X22: hardened-2022 has no SYSTEM login; 2012+ gives it CONNECT SQL at most.
        c("X22", Pass, "no login for", SYSADMIN, |_| {}),
        c("X22", Pass, "stand-alone", SYSADMIN, |i| i.logins.push(Login::windows("NT AUTHORITY\\SYSTEM", LoginKind::WindowsUser))),
        c("X22", Fail, "sysadmin \u{2192} NT AUTHORITY", SYSADMIN, |i| i.logins.push(Login::windows("NT AUTHORITY\\SYSTEM", LoginKind::WindowsUser).in_role("sysadmin"))),
        c("X22", Fail, "VIEW SERVER STATE", SYSADMIN, |i| {
            let mut l = Login::windows("NT AUTHORITY\\SYSTEM", LoginKind::WindowsUser);
            l.permissions.push("VIEW SERVER STATE".into());
            i.logins.push(l);
        }),
        // With availability groups the STIG allows what Always On's health checks need.
        c("X22", Pass, "availability groups enabled", SYSADMIN, |i| {
            let mut l = Login::windows("NT AUTHORITY\\SYSTEM", LoginKind::WindowsUser);
            l.permissions.extend(["VIEW SERVER STATE".into(), "ALTER ANY AVAILABILITY GROUP".into()]);
            i.logins.push(l);
            i.hadr_enabled = true;
        }),
        c("X22", Unknown, "", CONNECT_ONLY, connect_only),
        c("X22", Info, "Linux", SYSADMIN, |_| {}),
        // X32: hardened-2022 carries the STIG's SCHANNEL keys; Windows creates none.
        c("X32", Pass, "TLS 1.2", SYSADMIN, |_| {}),
        c("X32", Fail, "TLS 1.0", SYSADMIN, |i| i.registry.retain(|r| !r.key.contains("SCHANNEL"))),
        c("X32", Fail, "TLS 1.2", SYSADMIN, |i| i.registry.retain(|r| !r.key.contains("SCHANNEL"))),
        c("X32", Unknown, "", LIMITED, |_| {}),
        c("X32", Info, "Linux", SYSADMIN, |_| {}),
        c("X36", Pass, "enforces FIPS", SYSADMIN, |_| {}),
        c("X36", Info, "does not enforce FIPS", SYSADMIN, |i| i.registry.retain(|r| !r.key.contains("FipsAlgorithmPolicy"))),
        c("X36", Unknown, "", LIMITED, |_| {}),
        c("X36", Info, "Linux", SYSADMIN, |_| {}),
        c("X37", Pass, "sends no usage data", SYSADMIN, |_| {}),
        // Setup's default from 2016 on: both values 1 for the instance and the release.
        c("X37", Warn, "CPE\\CustomerFeedback", SYSADMIN, |i| i.registry.retain(|r| !r.name.contains("CustomerFeedback") && !r.name.contains("ErrorReporting"))),
        c("X37", Info, "does not apply", SYSADMIN, |i| i.version = Version::new(12, 0, 6024, 0)),
        c("X37", Unknown, "", LIMITED, |_| {}),
        c("X37", Info, "Linux", SYSADMIN, |_| {}),
        c("X38", Info, "D:\\TelemetryAudit", SYSADMIN, |_| {}),
        c("X38", Info, "does not apply", SYSADMIN, |i| i.version = Version::new(12, 0, 6024, 0)),
        c("X38", Unknown, "", LIMITED, |_| {}),
        c("X38", Info, "Linux", SYSADMIN, |_| {}),
        c("X39", Pass, "a SQL Server directory", SYSADMIN, |_| {}),
        c("X39", Fail, "inside the Windows directory", SYSADMIN, |i| registry(i, "Setup", "SQLPath", "C:\\Windows\\SQL\\MSSQL16.PROD\\MSSQL")),
        c("X39", Review, "D:\\Apps\\Vendor", SYSADMIN, |i| registry(i, "Setup", "SQLPath", "D:\\Apps\\Vendor\\MSSQL")),
        c("X39", Unknown, "", LIMITED, |_| {}),
        c("X39", Info, "Linux", SYSADMIN, |_| {}),
        c("X40", Pass, "setup's parameters only", SYSADMIN, |_| {}),
        c("X40", Pass, "setup's parameters only", LIMITED, |_| {}),
        c("X40", Review, "-T3226", SYSADMIN, |i| i.settings.startup_parameters.push("-T3226".into())),
        c("X40", Warn, "internal monitoring", SYSADMIN, |i| i.settings.startup_parameters.push("-x".into())),
        c("X40", Unknown, "", CONNECT_ONLY, connect_only),
        c("X40", Info, "Linux", SYSADMIN, |_| {}),
        c("X41", Pass, "Instant File Initialization off", SYSADMIN, |_| {}),
        c("X41", Review, "uses Instant File Initialization", SYSADMIN, |i| i.settings.instant_file_initialization = true),
        // The column arrived with 2016 SP1 (13.0.4001): 2016 RTM cannot say.
        c("X41", Unknown, "does not report", SYSADMIN, |i| i.version = Version::new(13, 0, 1601, 5)),
        c("X41", Review, "uses Instant File Initialization", SYSADMIN, |i| { i.version = Version::new(13, 0, 4001, 0); i.settings.instant_file_initialization = true; }),
        c("X41", Unknown, "", CONNECT_ONLY, connect_only),
        c("X41", Info, "Linux", SYSADMIN, |_| {}),
        c("X42", Pass, "domain hierarchy", SYSADMIN, |_| {}),
        c("X42", Pass, "time.windows.com", SYSADMIN, |i| host_registry(i, "SYSTEM\\CurrentControlSet\\Services\\W32Time\\Parameters", "Type", "NTP")),
        c("X42", Warn, "NoSync", SYSADMIN, |i| host_registry(i, "SYSTEM\\CurrentControlSet\\Services\\W32Time\\Parameters", "Type", "NoSync")),
        c("X42", Unknown, "", LIMITED, |_| {}),
        c("X42", Info, "Linux", SYSADMIN, |_| {}),
        // R08 reviews the lesser fixed server roles too (STIG SQL6-D0-004400).
        c("R08", Review, "setupadmin", SYSADMIN, |i| i.logins.push(Login::new("vendor_setup", fixtures::DEMO_PASSWORD).in_role("setupadmin"))),
    ]
}

/// Sets a text value under the instance's own registry folder of hardened-2022 (MSSQL16.PROD).
fn registry(i: &mut Instance, subkey: &str, name: &str, data: &str) {
    host_registry(
        i,
        &format!("SOFTWARE\\Microsoft\\Microsoft SQL Server\\MSSQL16.PROD\\{subkey}"),
        name,
        data,
    );
}

/// Sets a text value anywhere under HKEY_LOCAL_MACHINE.
fn host_registry(i: &mut Instance, key: &str, name: &str, data: &str) {
    i.registry.push(mssql_sim::instance::RegistryValue {
        key: key.into(),
        name: name.into(),
        data: mssql_sim::instance::RegistryData::Text(data.into()),
    });
}

async fn findings_of(instance: Instance, login: &str) -> Vec<audit_core::Finding> {
    let server = mssql_sim::start(instance, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    checks::evaluate(
        &common::snapshot_as(&server, login).await,
        &common::policy(),
    )
}

/// The statuses only an organisation's policy produces (X06, X26, X29), over TDS.
#[tokio::test(flavor = "multi_thread")]
async fn policy_dependent_statuses_over_tds() {
    let hardened = || fixtures::builtin("hardened-2022").unwrap();
    let run = |instance: Instance, policy: audit_core::checks::Policy| async move {
        let server = mssql_sim::start(instance, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        checks::evaluate(&common::snapshot_as(&server, SYSADMIN).await, &policy)
    };
    let status = |findings: &[audit_core::Finding], check: &str, word: &str| {
        findings
            .iter()
            .filter(|f| f.check_id == check.parse::<CheckId>().unwrap())
            .filter(|f| f.entity.contains(word) || f.message.contains(word))
            .map(|f| f.status)
            .collect::<Vec<_>>()
    };
    let mut policy = common::policy();
    policy.audit_on_failure = Some("shutdown".into());
    policy.max_user_connections = Some(200);
    policy.require_common_criteria = true;
    let f = run(hardened(), policy.clone()).await;
    assert_eq!(status(&f, "X26", "LoginAudit"), [Status::Pass]);
    assert_eq!(status(&f, "X29", "500"), [Status::Warn]);
    assert_eq!(
        status(&f, "X06", "common criteria compliance enabled"),
        [Status::Fail]
    );
    policy.audit_on_failure = Some("continue".into());
    policy.max_user_connections = Some(500);
    let mut instance = hardened();
    set(
        &mut instance,
        "common criteria compliance enabled",
        Setting::Value(1),
    );
    let f = run(instance, policy.clone()).await;
    assert_eq!(status(&f, "X26", "LoginAudit"), [Status::Warn]);
    assert_eq!(status(&f, "X29", "500"), [Status::Pass]);
    assert_eq!(
        status(&f, "X06", "common criteria compliance enabled"),
        [Status::Pass]
    );
    // X36, X37, X38, X41: FIPS required, CEIP authorised, telemetry audit required, Instant
    // File Initialization documented as required.
    policy.require_fips = true;
    policy.ceip_allowed = true;
    policy.telemetry_audit_required = true;
    policy.instant_file_initialization_allowed = true;
    let f = run(hardened(), policy.clone()).await;
    assert_eq!(status(&f, "X36", "FIPS"), [Status::Pass]);
    assert_eq!(status(&f, "X38", "TelemetryAudit"), [Status::Review]);
    let mut instance = hardened();
    instance.registry.retain(|r| {
        !r.key.contains("FipsAlgorithmPolicy")
            && !r.name.contains("CustomerFeedback")
            && !r.name.contains("LocalAuditDirectory")
    });
    instance.settings.instant_file_initialization = true;
    let f = run(instance, policy).await;
    assert_eq!(status(&f, "X36", "FIPS"), [Status::Fail]);
    assert_eq!(status(&f, "X37", "CustomerFeedback"), [Status::Info]);
    assert_eq!(status(&f, "X38", "Local Audit"), [Status::Warn]);
    assert_eq!(status(&f, "X41", "documented as required"), [Status::Pass]);
    // X70, X71, X72: an approved database owner, TDE required, a wider certificate window.
    let mut policy = common::policy();
    policy.allowed_database_owners = vec!["AUTODBAUDIT".into()];
    policy.require_tde = true;
    policy.certificate_warn_days = 3650;
    let mut instance = hardened();
    user_db(&mut instance, "Shop").owner = Some("autodbaudit".into());
    let f = run(instance, policy).await;
    assert_eq!(status(&f, "X70", "approved owner"), [Status::Pass]);
    assert_eq!(status(&f, "X71", "Shop"), [Status::Fail]);
    assert_eq!(status(&f, "X71", "Finance"), [Status::Pass]);
    assert_eq!(status(&f, "X72", "TDE_Finance_Cert"), [Status::Warn]);
    // R11: a window of 5 days makes the 10-day-old key backup a warning.
    let mut policy = common::policy();
    policy.key_backup_max_age_days = Some(5);
    let f = run(hardened(), policy).await;
    assert_eq!(
        status(&f, "R11", "certificate:master/tde_finance_cert").len()
            + status(&f, "R11", "TDE_Finance_Cert").len(),
        1
    );
    assert_eq!(
        status(&f, "R11", "more than thresholds.key_backup_max_age_days"),
        [Status::Warn]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_status_of_every_check_over_tds() {
    let mut failures = Vec::new();
    let mut covered = std::collections::BTreeSet::new();
    for case in cases() {
        let mut instance =
            if ON_LEGACY.contains(&case.word) || case.word.starts_with("WIN-7Q2L0K1E3B") {
                fixtures::builtin("legacy-2008r2").unwrap()
            } else if case.word == "Linux" {
                // Windows-only checks on SQL Server on Linux: not applicable.
                fixtures::builtin("linux-2022").unwrap()
            } else {
                fixtures::builtin("hardened-2022").unwrap()
            };
        (case.change)(&mut instance);
        if let Err(e) = instance.normalize() {
            failures.push(format!("{} {:?}: fixture: {e}", case.check, case.status));
            continue;
        }
        let check: CheckId = case.check.parse().unwrap();
        let findings = findings_of(instance, case.login).await;
        let found = findings.iter().any(|f| {
            f.check_id == check
                && f.status == case.status
                && (f.entity.contains(case.word) || f.message.contains(case.word))
        });
        if found {
            covered.insert(check);
        } else {
            let got: Vec<String> = findings
                .iter()
                .filter(|f| f.check_id == check)
                .map(|f| format!("{} {} | {}", f.status, f.entity, f.message))
                .collect();
            failures.push(format!(
                "{} {:?} `{}` as {}: got {got:#?}",
                case.check, case.status, case.word, case.login
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let missing: Vec<CheckId> = CheckId::all().filter(|c| !covered.contains(c)).collect();
    assert!(missing.is_empty(), "checks without a case: {missing:?}");
}

/// X03's PASS needs an instance in Windows authentication mode, where the SQL logins the cases
/// above audit with are refused: hardened-2022 switched to Windows-only, audited over NTLM as
/// `CORP\carol` (sysadmin through `CORP\DBA Team`).
#[tokio::test(flavor = "multi_thread")]
async fn windows_only_mode_passes_x03_over_ntlm() {
    use collect::{Auth, Encryption, Endpoint, collect_snapshot, connect::connect};
    let mut instance = fixtures::builtin("hardened-2022").unwrap();
    instance.authentication = mssql_sim::instance::Authentication::Windows;
    instance.normalize().unwrap();
    let server = mssql_sim::start(instance, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let endpoint = Endpoint {
        host: "127.0.0.1".into(),
        port: Some(server.addr.port()),
        instance: None,
        browser_port: None,
        auth: Auth::Windows {
            user: "CORP\\carol".into(),
            password: "Carol-Passw0rd!".into(),
        },
        encryption: Encryption::On,
        trust_server_certificate: true,
        connect_timeout: std::time::Duration::from_secs(5),
    };
    let mut conn = connect(&endpoint).await.unwrap_or_else(|e| panic!("{e}"));
    let snapshot = collect_snapshot(&mut conn, true, "NTLM", std::time::Duration::from_secs(10))
        .await
        .unwrap();
    let findings = checks::evaluate(&snapshot, &common::policy());
    let mode = findings
        .iter()
        .find(|f| {
            f.check_id == CheckId::new("X03") && f.entity_key == "setting:authentication_mode"
        })
        .expect("X03's authentication-mode finding");
    assert_eq!(mode.status, Status::Pass, "{}", mode.message);
    assert!(mode.message.contains("Windows authentication only"));
}

/// X56 on `builtin:escalation-2019`: every planted path (one per kind of edge) is found with
/// its exact shortest chain, and none of the decoys is reported; as `limited_auditor`, who
/// cannot enter the user databases, the paths it can see are still FAILs and the rest is
/// UNKNOWN, never a PASS.
#[tokio::test(flavor = "multi_thread")]
async fn escalation_fixture_paths_over_tds() {
    let x56: CheckId = "X56".parse().unwrap();
    let paths = |findings: &[audit_core::Finding]| -> std::collections::BTreeMap<String, String> {
        findings
            .iter()
            .filter(|f| f.check_id == x56 && f.status == Status::Fail)
            .map(|f| (f.entity.clone(), f.evidence["path"].clone()))
            .collect()
    };
    let instance = || fixtures::builtin("escalation-2019").unwrap();
    let f = findings_of(instance(), SYSADMIN).await;
    let to_dba = "\u{2192} login dba_lead \u{2014}member of\u{2192} sysadmin";
    let to_sa = "\u{2192} login sa \u{2014}member of\u{2192} sysadmin";
    let expected: Vec<(&str, String)> = vec![
        ("CORP\\Helpdesk", format!("login CORP\\Helpdesk \u{2014}IMPERSONATE{to_dba}")),
        ("any_login_tool", "login any_login_tool \u{2014}IMPERSONATE ANY LOGIN\u{2192} sysadmin".into()),
        ("ctl_operator", "login ctl_operator \u{2014}CONTROL\u{2192} login ops_admin \u{2014}holds\u{2192} CONTROL SERVER".into()),
        ("imp_helpdesk", format!("login imp_helpdesk \u{2014}IMPERSONATE{to_dba}")),
        ("job_dev", format!("login job_dev \u{2014}maps to\u{2192} user job_dev in msdb \u{2014}member of\u{2192} role db_owner in msdb \u{2014}can impersonate\u{2192} dbo of msdb \u{2014}TRUSTWORTHY database: runs with the server rights of{to_sa}")),
        ("job_editor", format!("login job_editor \u{2014}maps to\u{2192} user job_editor in msdb \u{2014}can change Agent job Nightly ETL (UPDATE ON msdb.dbo.sysjobsteps), which runs as its owner{to_dba}")),
        ("link_user", format!("login link_user \u{2014}linked server LOOPBACK (back to this server) logs in as{to_dba}")),
        ("role_manager", "login role_manager \u{2014}can add itself to (ALTER ON SERVER ROLE)\u{2192} server role app_admins \u{2014}holds\u{2192} CONTROL SERVER".into()),
        ("sec_officer", "login sec_officer \u{2014}member of\u{2192} server role securityadmin \u{2014}can grant itself\u{2192} CONTROL SERVER".into()),
        ("vendor_app", format!("login vendor_app \u{2014}maps to\u{2192} user vendor_app in VendorApp \u{2014}member of\u{2192} role db_owner in VendorApp \u{2014}can impersonate\u{2192} dbo of VendorApp \u{2014}TRUSTWORTHY database: runs with the server rights of{to_dba}")),
    ];
    let expected: std::collections::BTreeMap<String, String> = expected
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    assert_eq!(paths(&f), expected);
    assert!(
        f.iter()
            .filter(|f| f.check_id == x56)
            .all(|f| f.status == Status::Fail && f.severity == audit_core::Severity::Critical),
        "only FAILs as sysadmin"
    );
    for decoy in [
        "deny_user",
        "sandbox_dev",
        "sandbox_owner",
        "dw_reader",
        "helper_1",
        "agent_op",
        "plain_login",
        "rpt_dev",
        "rpt_viewer",
    ] {
        assert!(!paths(&f).contains_key(decoy), "decoy {decoy} reported");
    }

    let f = findings_of(instance(), LIMITED).await;
    let statuses: Vec<Status> = f
        .iter()
        .filter(|f| f.check_id == x56)
        .map(|f| f.status)
        .collect();
    assert!(!statuses.contains(&Status::Pass), "{statuses:?}");
    assert!(statuses.contains(&Status::Unknown), "{statuses:?}");
    // What it can see is still judged: the server-level paths and msdb's.
    assert_eq!(paths(&f)["imp_helpdesk"], expected["imp_helpdesk"]);
    assert_eq!(paths(&f)["job_dev"], expected["job_dev"]);
    assert!(
        !paths(&f).contains_key("rpt_dev"),
        "ReportsDB is not readable by limited_auditor"
    );
}
