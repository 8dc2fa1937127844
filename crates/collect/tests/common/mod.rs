//! What the least-privilege and result-shape tests share: the fixture with a closed
//! database and registry-only services, and collecting a snapshot as a given login.

#![allow(dead_code)]

use std::time::Duration;

use audit_core::checks::Policy;
use audit_core::snapshot::Snapshot;
use collect::{Auth, Encryption, Endpoint, collect_snapshot, connect::connect};
use mssql_sim::instance::{
    Certificate, Database, LinkedLogin, LinkedServer, Object, Permission, PermissionState, Service,
    ServiceKind, Startup, Trigger, User,
};
use mssql_sim::{Instance, Login, fixtures};

pub const SYSADMIN: &str = "autodbaudit";
pub const LIMITED: &str = "limited_auditor";
pub const CONNECT_ONLY: &str = "connect_only";

pub fn user(name: &str, login: Option<&str>, roles: &[&str]) -> User {
    User {
        name: name.into(),
        login: login.map(Into::into),
        orphaned: login.is_none(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        default_schema: "dbo".into(),
        authentication: mssql_sim::instance::UserAuthentication::Instance,
        principal_id: 0,
        sid: Vec::new(),
    }
}

/// The hardened server with a database and services the lesser logins cannot read.
pub fn closed_fixture() -> Instance {
    let mut i = fixtures::builtin("hardened-2022").unwrap();
    i.logins
        .push(Login::new("app_login", "Zq9!long-and-random-1"));
    i.logins
        .push(Login::new("hr_owner", "Zq9!long-and-random-2"));
    let mut hr = Database::new("HRDB");
    hr.objects.push(Object {
        name: "Salaries".into(),
        schema: "dbo".into(),
        kind: "U".into(),
        startup: false,
        dll: None,
        execute_as: None,
        owner: None,
    });
    hr.users.push(user("app_login", Some("app_login"), &[]));
    hr.users
        .push(user("hr_owner", Some("hr_owner"), &["db_owner"]));
    hr.users.push(user("ghost_user", None, &[]));
    hr.permissions.push(Permission {
        grantee: "app_login".into(),
        permission: "SELECT".into(),
        on: Some("dbo.Salaries".into()),
        state: PermissionState::GrantWithGrantOption,
    });
    hr.permissions.push(Permission {
        grantee: "app_login".into(),
        permission: "CONTROL".into(),
        on: None,
        state: PermissionState::Grant,
    });
    hr.triggers.push(Trigger {
        name: "trg_salaries".into(),
        on: Some("dbo.Salaries".into()),
        disabled: false,
    });
    hr.certificates.push(Certificate {
        name: "HRSigning".into(),
        subject: "CN=HR".into(),
        expires: None,
        last_backup: None,
        key_length: None,
    });
    i.databases.push(hr);
    for kind in [ServiceKind::Browser, ServiceKind::Integration] {
        i.services.retain(|s| s.kind != kind);
        i.services.push(Service {
            kind,
            account: "NT AUTHORITY\\LOCAL SERVICE".into(),
            startup: Startup::Automatic,
            running: true,
        });
    }
    i.linked_servers.push(LinkedServer {
        name: "PARTNER".into(),
        product: "SQL Server".into(),
        provider: "SQLNCLI".into(),
        data_source: "partner01".into(),
        rpc_out: true,
        logins: vec![
            LinkedLogin {
                local: Some("app_login".into()),
                uses_self: false,
                remote: Some("reporting".into()),
            },
            // Flagged by R25 (a privileged remote login); a login without VIEW ANY DEFINITION
            // cannot see `hr_owner`'s name.
            LinkedLogin {
                local: Some("hr_owner".into()),
                uses_self: false,
                remote: Some("sa".into()),
            },
        ],
        server_id: 0,
    });
    i.server_triggers.push(mssql_sim::instance::ServerTrigger {
        name: "trg_logon".into(),
        disabled: false,
        events: vec!["LOGON".into()],
    });
    i.logins
        .push(Login::new(CONNECT_ONLY, fixtures::DEMO_PASSWORD));
    i.normalize().unwrap();
    i
}

/// The endpoint of a simulated server on loopback, as `login` with the demo password, TLS on.
pub fn endpoint(server: &mssql_sim::RunningServer, login: &str) -> Endpoint {
    Endpoint {
        host: "127.0.0.1".into(),
        port: Some(server.addr.port()),
        instance: None,
        browser_port: None,
        auth: Auth::Sql {
            user: login.into(),
            password: fixtures::DEMO_PASSWORD.into(),
        },
        encryption: Encryption::On,
        trust_server_certificate: true,
        connect_timeout: Duration::from_secs(5),
    }
}

/// What the audit collects from `server` as `login`.
pub async fn snapshot_as(server: &mssql_sim::RunningServer, login: &str) -> Snapshot {
    let mut conn = connect(&endpoint(server, login)).await.unwrap();
    collect_snapshot(&mut conn, true, "SQL", Duration::from_secs(10))
        .await
        .unwrap()
}

pub fn policy() -> Policy {
    let now = mssql_sim::instance::when::format_datetime(mssql_sim::instance::when::now());
    Policy::defaults(&now[..19])
}
