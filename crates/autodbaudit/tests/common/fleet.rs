//! Simulated SQL Servers for the tests that audit: a fleet on loopback ports and a workspace
//! pointing at it.

use super::Workspace;

/// Simulated instances on free loopback ports, served by a runtime of their own while the
/// binary runs.
pub struct Fleet {
    /// (target id, server).
    pub servers: Vec<(String, mssql_sim::RunningServer)>,
    _runtime: tokio::runtime::Runtime,
}

pub fn fleet(instances: Vec<(&str, mssql_sim::Instance)>) -> Fleet {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let servers = runtime.block_on(async {
        let mut out = Vec::new();
        for (id, instance) in instances {
            let server = mssql_sim::start(instance, "127.0.0.1:0".parse().unwrap())
                .await
                .unwrap();
            out.push((id.to_owned(), server));
        }
        out
    });
    Fleet {
        servers,
        _runtime: runtime,
    }
}

/// A workspace whose targets are the fleet's instances, the password in an env variable.
pub fn workspace_for(fleet: &Fleet, extra: &str) -> Workspace {
    let ws = Workspace::init();
    let targets: Vec<String> = fleet
        .servers
        .iter()
        .map(|(id, server)| {
            format!(
                r#"{{ "id": "{id}", "server": "127.0.0.1", "port": {}, "auth": "sql", "username": "autodbaudit",
                    "credential": "env:AUTODBAUDIT_TEST_PASSWORD", "trust_server_certificate": true,
                    "connect_timeout_s": 3, "query_timeout_s": 5, "tags": ["sim"] }}"#,
                server.addr.port()
            )
        })
        .collect();
    ws.write_config(
        "sql_targets.jsonc",
        format!("{{ \"targets\": [{}{extra}] }}", targets.join(",\n")),
    );
    ws
}

/// typical-2019 with names built to break quoting: `]`, `'`, `;`, `--`, Unicode, 128 characters.
pub struct Hostile {
    /// The instance.
    pub instance: mssql_sim::Instance,
    /// A SQL login named with quotes and a statement.
    pub login: &'static str,
    /// A 128-character Unicode login, also a db_owner user of `database`.
    pub long: String,
    /// A TRUSTWORTHY database.
    pub database: &'static str,
    /// A linked server mapping `login`.
    pub linked_server: &'static str,
}

pub fn hostile() -> Hostile {
    use mssql_sim::fixtures;
    use mssql_sim::instance::{LinkedLogin, LinkedServer, User};
    let mut long = String::from("Ünïcode-");
    while long.chars().count() < 128 {
        long.push('x');
    }
    let login = "o'brien]; DROP LOGIN sa;--";
    let database = "Sales]DB's; --ü";
    let linked_server = "LINK]'; --";
    let mut instance = fixtures::builtin("typical-2019").unwrap();
    instance
        .logins
        .push(mssql_sim::Login::new(login, "Str0ng-Passw0rd!"));
    instance
        .logins
        .push(mssql_sim::Login::new(&long, "Str0ng-Passw0rd!"));
    let mut db = mssql_sim::Database::new(database);
    db.trustworthy = true;
    db.users.push(User {
        name: long.clone(),
        login: Some(long.clone()),
        orphaned: false,
        roles: vec!["db_owner".into()],
        default_schema: "dbo".into(),
        authentication: mssql_sim::instance::UserAuthentication::Instance,
        principal_id: 0,
        sid: Vec::new(),
    });
    instance.databases.push(db);
    instance.linked_servers.push(LinkedServer {
        name: linked_server.into(),
        product: "SQL Server".into(),
        provider: "SQLNCLI".into(),
        data_source: "remote".into(),
        rpc_out: false,
        logins: vec![LinkedLogin {
            local: Some(login.into()),
            uses_self: false,
            remote: Some("reader".into()),
        }],
        server_id: 0,
    });
    instance.normalize().unwrap();
    Hostile {
        instance,
        login,
        long,
        database,
        linked_server,
    }
}
