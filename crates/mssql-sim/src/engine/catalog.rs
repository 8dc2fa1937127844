//! The catalog tables, with the column names and types of SQL Server's catalog views, built
//! from the [`Instance`] model for one viewer (what a login may see depends on its rights).
//!
//! Declared types are T-SQL type names (SQLite keeps them verbatim), so result columns are sent
//! with the types a real server sends. Server-scoped views live in the attached schema `sys`
//! (`sys.server_principals`), `msdb.dbo.*` in the schema `msdb`; database-scoped views
//! (`sys.database_principals`, …) hold every database's rows, with a hidden `__db` column, in the
//! schema `scoped`, and
//! the translator turns `Db.sys.x` into a filtered subquery. Columns and views exist only from
//! the version that introduced them, so older versions fail with 207 / 208 as they would.

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, params_from_iter};

use super::security::Viewer;
use crate::Instance;
use crate::instance::{
    DatabaseState, FIXED_DATABASE_ROLES, FIXED_SERVER_ROLES, LoginKind, ServiceKind, Startup,
    Version, When, digest,
};

/// One row of [`CONFIGURATIONS`]: (id, name, default, minimum, maximum, is_dynamic,
/// is_advanced, first major version that has it, last major version that has it ([`STILL`]
/// while it exists), description).
pub type ConfigOption = (
    i64,
    &'static str,
    i64,
    i64,
    i64,
    bool,
    bool,
    u8,
    u8,
    &'static str,
);

/// The "last version" of an option SQL Server still has.
pub const STILL: u8 = u8::MAX;

/// Whether a server of major version `major` lists the option.
pub fn option_exists(option: &ConfigOption, major: u8) -> bool {
    (option.7..=option.8).contains(&major)
}

/// `sp_configure` options the audit reads (a real server has ~70; these are the ones the
/// audit and remediation look at, with their real ids, ranges and flags).
///
/// Ranges, defaults, the advanced (A) and restart (RR, RP) flags and versions are from
/// Microsoft's "Server configuration options" page and each option's own page
/// (<https://learn.microsoft.com/sql/database-engine/configure-windows/server-configuration-options-sql-server>;
/// `user options`, `filestream access level`, `polybase network encryption`, `allow polybase
/// export`, `remote data archive`, `hadoop connectivity` from theirs, linked from that table;
/// `SQL Mail XPs` from the SQL Server 2008 R2 page, ms190755(v=sql.105): SQL Mail was removed in
/// 2012). Ids and descriptions are the ones `sys.configurations` lists
/// (<https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-configurations-transact-sql>
/// documents the columns, not the rows).
#[rustfmt::skip]
pub const CONFIGURATIONS: &[ConfigOption] = &[
    (101, "recovery interval (min)", 0, 0, 32767, true, true, 10, STILL, "Maximum recovery interval in minutes"),
    (102, "allow updates", 0, 0, 1, true, false, 10, STILL, "Allow updates to system tables"),
    // "user connections": advanced, restart required, 0 (= the maximum, 32,767) by default
    // (learn.microsoft.com: configure-the-user-connections-server-configuration-option).
    (103, "user connections", 0, 0, 32767, false, true, 10, STILL, "Number of user connections allowed"),
    (117, "remote access", 1, 0, 1, false, false, 10, STILL, "Allow remote access"),
    (400, "cross db ownership chaining", 0, 0, 1, true, false, 10, STILL, "Allow cross db ownership chaining"),
    (518, "show advanced options", 0, 0, 1, true, false, 10, STILL, "show advanced options"),
    (544, "c2 audit mode", 0, 0, 1, false, true, 10, STILL, "c2 audit mode"),
    (1534, "user options", 0, 0, 32767, true, false, 10, STILL, "user options"),
    (1544, "max server memory (MB)", 2_147_483_647, 128, 2_147_483_647, true, true, 10, STILL, "Maximum size of server memory (MB)"),
    (1547, "scan for startup procs", 0, 0, 1, false, true, 10, STILL, "scan for startup stored procedures"),
    (1562, "clr enabled", 0, 0, 1, true, false, 10, STILL, "CLR user code execution enabled in the server"),
    (1568, "default trace enabled", 1, 0, 1, true, true, 10, STILL, "Enable or disable the default trace"),
    (1576, "remote admin connections", 0, 0, 1, true, false, 10, STILL, "Dedicated Admin Connections are allowed from remote clients"),
    (1577, "common criteria compliance enabled", 0, 0, 1, false, true, 10, STILL, "Common Criteria compliance mode enabled"),
    (1578, "EKM provider enabled", 0, 0, 1, true, true, 10, STILL, "Enable or disable EKM provider"),
    (1580, "filestream access level", 0, 0, 2, true, false, 10, STILL, "Sets the FILESTREAM access level"),
    (1586, "external scripts enabled", 0, 0, 1, true, false, 13, STILL, "Allows execution of external scripts"),
    (1587, "clr strict security", 1, 0, 1, true, true, 14, STILL, "CLR strict security enabled in the server"),
    (16384, "Agent XPs", 0, 0, 1, true, true, 10, STILL, "Enable or disable Agent XPs"),
    (16385, "SQL Mail XPs", 0, 0, 1, true, true, 10, 10, "Enable or disable SQL Mail XPs"),
    (16386, "Database Mail XPs", 0, 0, 1, true, true, 10, STILL, "Enable or disable Database Mail XPs"),
    (16387, "SMO and DMO XPs", 1, 0, 1, true, true, 10, STILL, "Enable or disable SMO and DMO XPs"),
    (16388, "Ole Automation Procedures", 0, 0, 1, true, true, 10, STILL, "Enable or disable Ole Automation Procedures"),
    (16390, "xp_cmdshell", 0, 0, 1, true, true, 10, STILL, "Enable or disable command shell"),
    (16391, "Ad Hoc Distributed Queries", 0, 0, 1, true, true, 10, STILL, "Enable or disable Ad Hoc Distributed Queries"),
    (16392, "Replication XPs", 0, 0, 1, true, true, 10, STILL, "Enable or disable Replication XPs"),
    (16393, "contained database authentication", 0, 0, 1, true, false, 11, STILL, "Enables contained databases and contained authentication"),
    (16394, "hadoop connectivity", 0, 0, 7, false, false, 13, STILL, "Configure SQL Server to connect to external Hadoop or Microsoft Azure storage blob data sources through PolyBase"),
    (16395, "polybase network encryption", 1, 0, 1, true, false, 13, STILL, "Configure SQL Server to encrypt control and data channels when using PolyBase"),
    (16396, "remote data archive", 0, 0, 1, true, false, 13, STILL, "Allow the use of the REMOTE_DATA_ARCHIVE data access for databases"),
    (16397, "allow polybase export", 0, 0, 1, true, false, 13, STILL, "Allows writing into an external table using PolyBase"),
    (16399, "polybase enabled", 0, 0, 1, false, true, 15, STILL, "Configure SQL Server to connect to external data sources through PolyBase"),
];

/// The catalog option `name` on a server of major version `major`.
pub fn configuration_option(major: u8, name: &str) -> Option<&'static ConfigOption> {
    CONFIGURATIONS
        .iter()
        .find(|o| o.1.eq_ignore_ascii_case(name) && option_exists(o, major))
}

/// A date every system object carries, in SQL Server's `datetime` text form.
pub const INSTALL_DATE: &str = "2019-11-04 10:15:00.000";

/// The simulator's `password_hash`: a version header and a case-sensitive digest. Not SQL
/// Server's algorithm; only `PWDCOMPARE` (same digest) has to agree with it.
pub fn password_hash(password: &str) -> Vec<u8> {
    let mut hash = vec![0x02, 0x00];
    hash.extend(digest(password));
    hash
}

use crate::catalog_schema::{self, Literal, Object, Scope};

/// The SQLite schema holding a table: database-scoped tables live apart (`scoped`), so that a
/// user's `sys.database_principals` can only reach them through the filtered subquery.
fn schema_of(scope: Scope) -> &'static str {
    match scope {
        Scope::Server => "sys",
        Scope::Database => "scoped",
        Scope::Msdb => "msdb",
    }
}

const V2012: Version = Version::new(11, 0, 0, 0);
const V2016: Version = Version::new(13, 0, 0, 0);
const V2022: Version = Version::new(16, 0, 0, 0);

/// The names of the database-scoped views and their visible columns on `version`, for the
/// translator's `Db.sys.x` subqueries.
pub fn database_scoped(version: Version) -> Vec<(&'static str, Vec<&'static str>)> {
    catalog_schema::objects_on(version)
        .filter(|t| t.scope == Scope::Database)
        .map(|t| {
            let names = t.columns_on(version).map(|c| c.name.as_str()).collect();
            (t.table(), names)
        })
        .collect()
}

/// Whether `sys.name` is a dynamic management view (server state, not metadata).
pub fn is_dmv(name: &str) -> bool {
    name.to_ascii_lowercase().starts_with("dm_")
}

/// The server permission reading the dynamic management view `sys.name` needs on `version`;
/// none when every login may read it. Before SQL Server 2022 it is VIEW SERVER STATE; 2022
/// split it into VIEW SERVER SECURITY STATE and VIEW SERVER PERFORMANCE STATE, and each DMV's
/// page says which one it needs ("Permissions for SQL Server 2022 and later"):
/// - `sys.dm_server_services`, `sys.dm_database_encryption_keys`: security state
///   (learn.microsoft.com/sql/relational-databases/system-dynamic-management-views/…
///   sys-dm-server-services-transact-sql, sys-dm-database-encryption-keys-transact-sql);
/// - `sys.dm_server_registry`, `sys.dm_os_host_info`, `sys.dm_os_sys_info`,
///   `sys.dm_exec_connections`: performance state (the same folder);
/// - `sys.dm_os_host_info` on 2017 and 2019: SELECT is granted to public.
///
/// Other DMVs: performance state, the default the DMV overview page gives for 2022.
pub fn dmv_permission(name: &str, version: Version) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    if version.major < 16 {
        if name == "dm_os_host_info" {
            return None;
        }
        return Some("VIEW SERVER STATE");
    }
    Some(match name.as_str() {
        // sys.dm_server_audit_status: "Principals must have the VIEW SERVER SECURITY STATE
        // permission" on the current page (the 2008–2019 pages: VIEW SERVER STATE).
        "dm_server_services" | "dm_database_encryption_keys" | "dm_server_audit_status" => {
            "VIEW SERVER SECURITY STATE"
        }
        _ => "VIEW SERVER PERFORMANCE STATE",
    })
}

/// Whether the viewer may read `password_hash` (`sys.sql_logins`, `LOGINPROPERTY(…,
/// 'PasswordHash')`): CONTROL SERVER, or from SQL Server 2022 VIEW ANY CRYPTOGRAPHICALLY
/// SECURED DEFINITION (which cannot be granted before; CONTROL SERVER implies it).
/// <https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-sql-logins-transact-sql>
pub fn reads_password_hashes(viewer: &Viewer) -> bool {
    viewer.has("VIEW ANY CRYPTOGRAPHICALLY SECURED DEFINITION")
}

/// A literal as SQL text, for a column's DEFAULT.
fn sql_literal(literal: &Literal) -> String {
    match literal {
        Literal::Null => "NULL".into(),
        Literal::Int(i) => i.to_string(),
        Literal::Text(t) => format!("'{}'", t.replace('\'', "''")),
    }
}

/// Creates the (empty) catalog tables the emulated version has, with the documented columns in
/// their documented order; a column's documented fresh-installation value is its DEFAULT.
pub fn create(conn: &Connection, version: Version) -> rusqlite::Result<()> {
    // Small pages: an instance's catalog is a few hundred rows in ~110 tables, and a process
    // may host a thousand instances.
    conn.execute_batch(
        "PRAGMA page_size = 512; PRAGMA cache_size = 64;
         ATTACH DATABASE ':memory:' AS sys; ATTACH DATABASE ':memory:' AS msdb; ATTACH DATABASE ':memory:' AS scoped;
         PRAGMA sys.page_size = 512; PRAGMA msdb.page_size = 512; PRAGMA scoped.page_size = 512;",
    )?;
    let mut ddl = String::new();
    for t in catalog_schema::objects_on(version) {
        let schema = schema_of(t.scope);
        let mut columns: Vec<String> = t
            .columns_on(version)
            .map(|c| {
                // SQLite's type names take numbers only: `(max)` is kept as `(-1)` (SQL Server's
                // own max_length for a MAX type), which `declared_type` reads back.
                let mut kind = c.sql_type.replace("(max)", "(-1)");
                if c.not_null {
                    kind.insert_str(0, super::NOT_NULL_MARK);
                }
                match &c.default {
                    Some(d) => format!("[{}] {kind} DEFAULT {}", c.name, sql_literal(d)),
                    None => format!("[{}] {kind}", c.name),
                }
            })
            .collect();
        if t.scope == Scope::Database {
            columns.push("__db int NOT NULL".into());
        }
        ddl.push_str(&format!(
            "CREATE TABLE {schema}.[{}] ({});\n",
            t.table(),
            columns.join(", ")
        ));
    }
    conn.execute_batch(&ddl)
}

/// Rows for one table, by column name; columns the version lacks are dropped.
struct Loader<'a> {
    conn: &'a Connection,
    version: Version,
}

impl Loader<'_> {
    fn object(&self, table: &str) -> Option<&'static Object> {
        catalog_schema::objects()
            .iter()
            .find(|t| t.table() == table && t.applies.on(self.version))
    }

    fn insert(&self, table: &str, db: Option<i32>, row: &[(&str, Sql)]) -> rusqlite::Result<()> {
        let Some(t) = self.object(table) else {
            return Ok(());
        };
        let schema = schema_of(t.scope);
        let mut names = Vec::new();
        let mut values = Vec::new();
        for (name, value) in row {
            let mut all = t.columns.iter().filter(|c| c.name == *name).peekable();
            if all.peek().is_none() {
                panic!("catalog: {table} has no column {name}");
            }
            if all.any(|c| c.applies.on(self.version)) {
                names.push(format!("[{name}]"));
                values.push(value.clone());
            }
        }
        if let Some(db) = db {
            names.push("__db".into());
            values.push(Sql::Integer(i64::from(db)));
        }
        let marks = vec!["?"; values.len()].join(", ");
        let sql = format!(
            "INSERT INTO {schema}.[{table}] ({}) VALUES ({marks})",
            names.join(", ")
        );
        self.conn
            .prepare_cached(&sql)?
            .execute(params_from_iter(values))?;
        Ok(())
    }

    /// The rows every installation of this version has (the data files' `rows`): for a
    /// database-scoped object, in each of `databases`.
    fn fixed_rows(&self, databases: &[i32]) -> rusqlite::Result<()> {
        for t in catalog_schema::objects_on(self.version) {
            for (applies, row) in &t.rows {
                if !applies.on(self.version) {
                    continue;
                }
                let values: Vec<(&str, Sql)> = row
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Literal::Null => Sql::Null,
                            Literal::Int(i) => Sql::Integer(*i),
                            Literal::Text(s) => Sql::Text(s.clone()),
                        };
                        (k.as_str(), v)
                    })
                    .collect();
                match t.scope {
                    Scope::Database => {
                        for db in databases {
                            self.insert(t.table(), Some(*db), &values)?;
                        }
                    }
                    _ => self.insert(t.table(), None, &values)?,
                }
            }
        }
        Ok(())
    }
}

fn text(s: impl Into<String>) -> Sql {
    Sql::Text(s.into())
}
fn int(i: impl Into<i64>) -> Sql {
    Sql::Integer(i.into())
}
fn bit(b: bool) -> Sql {
    Sql::Integer(i64::from(b))
}
fn blob(b: &[u8]) -> Sql {
    Sql::Blob(b.to_vec())
}
fn opt_text(s: Option<String>) -> Sql {
    s.map_or(Sql::Null, Sql::Text)
}

/// A live connection, for `sys.dm_exec_connections`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// Session id.
    pub spid: u16,
    /// `TRUE` when TLS protects the session.
    pub encrypted: bool,
    /// `SQL`, `NTLM`.
    pub auth_scheme: String,
    /// The TDS version the server's LOGINACK named (`protocol_version`: "Version of the data
    /// access protocol associated with this connection", learn.microsoft.com
    /// sys.dm_exec_connections), e.g. 0x74000004 for TDS 7.4.
    pub tds_version: u32,
    /// Client address and port.
    pub client: std::net::SocketAddr,
    /// Server address and port.
    pub local: std::net::SocketAddr,
    /// When it connected.
    pub connected: String,
}

/// Empties every table and fills them from `instance` as `viewer` may see it.
pub fn load(
    conn: &Connection,
    instance: &Instance,
    viewer: &Viewer,
    connections: &[ConnectionInfo],
    anchor: time::PrimitiveDateTime,
) -> rusqlite::Result<()> {
    let version = instance.version;
    let l = Loader { conn, version };
    let mut clear = String::new();
    for t in catalog_schema::objects_on(version) {
        let schema = schema_of(t.scope);
        clear.push_str(&format!("DELETE FROM {schema}.[{}];", t.table()));
    }
    conn.execute_batch(&clear)?;
    let date = |w: &Option<When>| {
        w.as_ref()
            .map_or(INSTALL_DATE.to_owned(), |w| w.to_datetime(anchor))
    };
    let see_all = viewer.has("VIEW ANY DEFINITION");

    // Server principals: fixed roles, logins, user-defined roles.
    let modern = version >= V2012;
    for (id, name) in FIXED_SERVER_ROLES {
        if name.starts_with("##") && version < V2022 {
            continue;
        }
        l.insert(
            "server_principals",
            None,
            &[
                ("name", text(name)),
                ("principal_id", int(id)),
                ("sid", blob(&[id as u8])),
                ("type", text("R")),
                ("type_desc", text("SERVER_ROLE")),
                ("is_disabled", bit(false)),
                ("create_date", text(INSTALL_DATE)),
                ("modify_date", text(INSTALL_DATE)),
                ("default_database_name", Sql::Null),
                ("default_language_name", Sql::Null),
                ("credential_id", Sql::Null),
                (
                    "owning_principal_id",
                    if id == 2 { Sql::Null } else { int(1) },
                ),
                ("is_fixed_role", bit(id != 2)),
            ],
        )?;
    }
    for role in &instance.server_roles {
        if !modern || !see_all {
            continue;
        }
        l.insert(
            "server_principals",
            None,
            &[
                ("name", text(&role.name)),
                ("principal_id", int(role.principal_id)),
                ("sid", blob(&digest(&role.name))),
                ("type", text("R")),
                ("type_desc", text("SERVER_ROLE")),
                ("is_disabled", bit(false)),
                ("create_date", text(INSTALL_DATE)),
                ("modify_date", text(INSTALL_DATE)),
                ("default_database_name", Sql::Null),
                ("default_language_name", Sql::Null),
                ("credential_id", Sql::Null),
                ("owning_principal_id", int(1)),
                ("is_fixed_role", bit(false)),
            ],
        )?;
    }
    let read_hashes = reads_password_hashes(viewer);
    for login in &instance.logins {
        let own = viewer.principals.contains(&login.principal_id);
        if !see_all && !own && !login.sa {
            continue;
        }
        let (code, desc) = login.kind.codes();
        let created = date(&login.created);
        let mut row = vec![
            ("name", text(&login.name)),
            ("principal_id", int(login.principal_id)),
            ("sid", blob(&login.sid)),
            ("type", text(code)),
            ("type_desc", text(desc)),
            ("is_disabled", bit(!login.enabled)),
            ("create_date", text(&created)),
            ("modify_date", text(&created)),
            ("default_database_name", text(&login.default_database)),
            ("default_language_name", text("us_english")),
            ("credential_id", Sql::Null),
            ("owning_principal_id", Sql::Null),
            ("is_fixed_role", bit(false)),
        ];
        l.insert("server_principals", None, &row)?;
        if login.kind == LoginKind::Sql {
            row.push(("is_policy_checked", bit(login.check_policy)));
            row.push(("is_expiration_checked", bit(login.check_expiration)));
            let hash = match (&login.password, read_hashes) {
                (Some(p), true) => blob(&password_hash(p)),
                _ => Sql::Null,
            };
            row.push(("password_hash", hash));
            l.insert("sql_logins", None, &row)?;
        }
        for role in &login.roles {
            if let Some(role_id) = server_role_id(instance, role)
                && (see_all || own)
            {
                l.insert(
                    "server_role_members",
                    None,
                    &[
                        ("role_principal_id", int(role_id)),
                        ("member_principal_id", int(login.principal_id)),
                    ],
                )?;
            }
        }
        if login.kind != LoginKind::Certificate && (see_all || own) {
            let grants = std::iter::once(("CONNECT SQL", "G"))
                .chain(login.permissions.iter().map(|p| (p.as_str(), "G")))
                .chain(login.denied.iter().map(|p| (p.as_str(), "D")));
            for (permission, state) in grants {
                if let Some((permission, on)) = server_grant(instance, permission) {
                    server_permission(&l, login.principal_id, permission, state, on)?;
                }
            }
            // IMPERSONATE ON LOGIN::target (class 101, major_id = the target's principal_id).
            for target in &login.impersonate {
                if let Some(t) = instance.login(target) {
                    server_permission(
                        &l,
                        login.principal_id,
                        "IMPERSONATE",
                        "G",
                        ServerSecurable::Principal(t.principal_id),
                    )?;
                }
            }
        }
    }
    for role in &instance.server_roles {
        if modern && see_all {
            for permission in &role.permissions {
                if let Some((permission, on)) = server_grant(instance, permission) {
                    server_permission(&l, role.principal_id, permission, "G", on)?;
                }
            }
        }
    }
    // public (principal_id 2): VIEW ANY DATABASE and CONNECT on every endpoint but the DAC
    // after setup (learn.microsoft.com: "Server public Permissions", Policy-Based Management:
    // "After setup completes the PUBLIC role has CONNECT permission on all the endpoints except
    // the Dedicated Admin Connection"; the TSQL endpoints are ids 2-5 of sys.endpoints), then
    // whatever the fixture granted it beyond them. Every login is a member of public, so every
    // viewer sees these rows.
    if instance.public_view_any_database {
        server_permission(&l, 2, "VIEW ANY DATABASE", "G", ServerSecurable::Server)?;
    }
    for endpoint in 2..=5 {
        server_permission(&l, 2, "CONNECT", "G", ServerSecurable::Endpoint(endpoint))?;
    }
    for permission in &instance.public_permissions {
        server_permission(&l, 2, permission, "G", ServerSecurable::Server)?;
    }

    // Configuration.
    for option in CONFIGURATIONS {
        let &(id, name, default, min, max, dynamic, advanced, _, _, description) = option;
        if !option_exists(option, version.major) {
            continue;
        }
        let (value, in_use) = instance
            .configuration
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or((default, default), |(_, s)| s.pair());
        l.insert(
            "configurations",
            None,
            &[
                ("configuration_id", int(id)),
                ("name", text(name)),
                ("value", int(value)),
                ("minimum", int(min)),
                ("maximum", int(max)),
                ("value_in_use", int(in_use)),
                ("description", text(description)),
                ("is_dynamic", bit(dynamic)),
                ("is_advanced", bit(advanced)),
            ],
        )?;
    }

    // Databases and their contents.
    let compatibility = i64::from(version.major) * 10;
    for db in &instance.databases {
        let owner_sid = db.owner_sid(instance);
        let (state, state_desc) = match db.state {
            DatabaseState::Online => (0, "ONLINE"),
            DatabaseState::Restoring => (1, "RESTORING"),
            DatabaseState::Offline => (6, "OFFLINE"),
        };
        let (recovery, recovery_desc) = match db.recovery {
            crate::instance::Recovery::Full => (1, "FULL"),
            crate::instance::Recovery::BulkLogged => (2, "BULK_LOGGED"),
            crate::instance::Recovery::Simple => (3, "SIMPLE"),
        };
        let id = db.database_id;
        // sys.databases, "Permissions": a row is visible to its owner, for master and tempdb,
        // or with VIEW ANY DATABASE (public's by default), ALTER ANY DATABASE or CREATE
        // DATABASE.
        let listed = viewer.has("VIEW ANY DATABASE")
            || viewer.has("ALTER ANY DATABASE")
            || viewer.has("CREATE ANY DATABASE")
            || matches!(db.name.as_str(), "master" | "tempdb")
            || viewer.sids.contains(&owner_sid);
        if listed {
            l.insert(
                "databases",
                None,
                &[
                    ("name", text(&db.name)),
                    ("database_id", int(id)),
                    ("source_database_id", Sql::Null),
                    ("owner_sid", blob(&owner_sid)),
                    ("create_date", text(date(&db.created))),
                    ("compatibility_level", int(compatibility)),
                    ("collation_name", text(super::COLLATION_NAME)),
                    ("user_access_desc", text("MULTI_USER")),
                    ("is_read_only", bit(db.read_only)),
                    ("state", int(state)),
                    ("state_desc", text(state_desc)),
                    ("recovery_model", int(recovery)),
                    ("recovery_model_desc", text(recovery_desc)),
                    (
                        "is_trustworthy_on",
                        bit(db.trustworthy || db.name == "msdb"),
                    ),
                    ("is_db_chaining_on", bit(db.db_chaining_on())),
                    ("is_auto_close_on", bit(db.auto_close)),
                    (
                        "is_master_key_encrypted_by_server",
                        bit(db
                            .master_key
                            .as_ref()
                            .is_some_and(|k| k.encrypted_by_server)),
                    ),
                    ("is_broker_enabled", bit(db.name == "msdb")),
                    (
                        "is_encrypted",
                        bit(db.encryption.as_ref().is_some_and(|t| t.encrypted)),
                    ),
                    // 1 = PARTIAL for a partially contained database (2012+).
                    ("containment", int(i64::from(db.contained))),
                    (
                        "containment_desc",
                        text(if db.contained { "PARTIAL" } else { "NONE" }),
                    ),
                ],
            )?;
        }
        for (file_id, kind, suffix) in [(1, 0, ".mdf"), (2, 1, "_log.ldf")] {
            l.insert(
                "master_files",
                None,
                &[
                    ("database_id", int(id)),
                    ("file_id", int(file_id)),
                    ("type", int(kind)),
                    ("type_desc", text(if kind == 0 { "ROWS" } else { "LOG" })),
                    (
                        "name",
                        text(if kind == 0 {
                            db.name.clone()
                        } else {
                            format!("{}_log", db.name)
                        }),
                    ),
                    (
                        "physical_name",
                        text(format!(
                            "C:\\Program Files\\Microsoft SQL Server\\{}\\MSSQL\\DATA\\{}{suffix}",
                            instance.instance_id(),
                            db.name
                        )),
                    ),
                    ("state_desc", text("ONLINE")),
                    ("size", int(1024)),
                ],
            )?;
        }
        if let Some(tde) = &db.encryption {
            l.insert(
                "dm_database_encryption_keys",
                None,
                &[
                    ("database_id", int(id)),
                    ("encryption_state", int(if tde.encrypted { 3 } else { 2 })),
                    ("create_date", text(INSTALL_DATE)),
                    ("regenerate_date", text(INSTALL_DATE)),
                    ("modify_date", text(INSTALL_DATE)),
                    ("set_date", text(INSTALL_DATE)),
                    ("opened_date", text(INSTALL_DATE)),
                    ("key_algorithm", text(tde.key_algorithm().0)),
                    ("key_length", int(tde.key_algorithm().1)),
                    ("encryptor_thumbprint", blob(&digest(&tde.certificate))),
                    ("encryptor_type", text("CERTIFICATE")),
                    (
                        "percent_complete",
                        Sql::Real(if tde.encrypted { 0.0 } else { 42.0 }),
                    ),
                ],
            )?;
        }
        if db.name == "tempdb" && instance.databases.iter().any(|d| d.encryption.is_some()) {
            // Encrypting any database encrypts tempdb too.
            l.insert(
                "dm_database_encryption_keys",
                None,
                &[
                    ("database_id", int(2)),
                    ("encryption_state", int(3)),
                    ("create_date", text(INSTALL_DATE)),
                    ("key_algorithm", text("AES")),
                    ("key_length", int(256)),
                    ("encryptor_type", text("ASYMMETRIC KEY")),
                    ("percent_complete", Sql::Real(0.0)),
                ],
            )?;
        }
        for backup in &db.backups {
            let finished = backup.finished.resolve(anchor);
            let started = finished - time::Duration::minutes(12);
            l.insert(
                "backupset",
                None,
                &[
                    ("backup_set_id", int(backup_set_id(instance, db, backup))),
                    ("database_name", text(&db.name)),
                    ("server_name", text(&instance.server_name)),
                    ("type", text(&backup.kind)),
                    (
                        "backup_start_date",
                        text(crate::instance::when::format_datetime(started)),
                    ),
                    (
                        "backup_finish_date",
                        text(crate::instance::when::format_datetime(finished)),
                    ),
                    ("backup_size", int(backup.size_mb as i64 * 1024 * 1024)),
                    ("is_copy_only", bit(false)),
                    ("recovery_model", text(recovery_desc)),
                    ("user_name", text("sa")),
                    ("media_set_id", int(backup_set_id(instance, db, backup))),
                    // "NO_Encryption value indicated that the backup was not encrypted"
                    // (learn.microsoft.com: backupset; the column exists from 2014).
                    (
                        "key_algorithm",
                        text(backup.encryption.as_deref().unwrap_or("NO_Encryption")),
                    ),
                    (
                        "encryptor_thumbprint",
                        backup
                            .certificate
                            .as_ref()
                            .map_or(Sql::Null, |c| blob(&digest(c))),
                    ),
                    (
                        "encryptor_type",
                        opt_text(backup.encryption.as_ref().map(|_| "CERTIFICATE".to_owned())),
                    ),
                ],
            )?;
            // One media family per backup: the device it was written to (backupmediafamily;
            // device_type 2 = disk, learn.microsoft.com: backupmediafamily).
            let device = backup.device.clone().unwrap_or_else(|| {
                format!(
                    "C:\\Program Files\\Microsoft SQL Server\\Backup\\{}_{}.bak",
                    db.name,
                    backup_set_id(instance, db, backup)
                )
            });
            l.insert(
                "backupmediafamily",
                None,
                &[
                    ("media_set_id", int(backup_set_id(instance, db, backup))),
                    ("family_sequence_number", int(1)),
                    ("physical_device_name", text(device)),
                    ("device_type", int(2)),
                    ("mirror", int(0)),
                ],
            )?;
        }
        if db.state == DatabaseState::Online {
            load_database(&l, instance, db, viewer, anchor)?;
        }
    }
    let online: Vec<i32> = instance
        .databases
        .iter()
        .filter(|db| db.state == DatabaseState::Online)
        .map(|db| db.database_id)
        .collect();
    l.fixed_rows(&online)?;

    // Services, registry, host.
    let engine_path = format!(
        "\"C:\\Program Files\\Microsoft SQL Server\\{}\\MSSQL\\Binn\\sqlservr.exe\" -s{}",
        instance.instance_id(),
        instance.instance_name().unwrap_or("MSSQLSERVER")
    );
    for (n, service) in instance.services.iter().enumerate() {
        let listed = matches!(
            service.kind,
            ServiceKind::Engine | ServiceKind::Agent | ServiceKind::FullText
        );
        if !listed {
            continue;
        }
        let (startup, startup_desc) = match service.startup {
            Startup::Automatic => (2, "Automatic"),
            Startup::Manual => (3, "Manual"),
            Startup::Disabled => (4, "Disabled"),
        };
        let (status, status_desc) = if service.running {
            (4, "Running")
        } else {
            (1, "Stopped")
        };
        l.insert(
            "dm_server_services",
            None,
            &[
                (
                    "servicename",
                    text(service_display_name(instance, service.kind)),
                ),
                ("startup_type", int(startup)),
                ("startup_type_desc", text(startup_desc)),
                ("status", int(status)),
                ("status_desc", text(status_desc)),
                (
                    "process_id",
                    if service.running {
                        int(1200 + n as i64 * 4)
                    } else {
                        Sql::Null
                    },
                ),
                (
                    "last_startup_time",
                    if service.running {
                        text(INSTALL_DATE)
                    } else {
                        Sql::Null
                    },
                ),
                ("service_account", text(&service.account)),
                ("filename", text(&engine_path)),
                (
                    "is_clustered",
                    text(if instance.clustered { "Y" } else { "N" }),
                ),
                ("cluster_nodename", Sql::Null),
                (
                    "instant_file_initialization_enabled",
                    text(
                        if service.kind == ServiceKind::Engine
                            && instance.settings.instant_file_initialization
                        {
                            "Y"
                        } else {
                            "N"
                        },
                    ),
                ),
            ],
        )?;
    }
    // sys.dm_server_registry: the instance's own keys and its engine and agent services.
    let own_services = [
        format!(
            "HKLM\\SYSTEM\\CurrentControlSet\\Services\\{}",
            instance.engine_service()
        ),
        format!(
            "HKLM\\SYSTEM\\CurrentControlSet\\Services\\{}",
            instance.agent_service()
        ),
    ];
    for (key, name, data) in super::registry::values(instance) {
        if key.contains(&instance.instance_id())
            || own_services.iter().any(|k| k.eq_ignore_ascii_case(&key))
        {
            l.insert(
                "dm_server_registry",
                None,
                &[
                    ("registry_key", text(key)),
                    ("value_name", text(name)),
                    ("value_data", data),
                ],
            )?;
        }
    }
    let host = &instance.host;
    l.insert(
        "dm_os_host_info",
        None,
        &[
            ("host_platform", text(&host.platform)),
            ("host_distribution", text(&host.distribution)),
            ("host_release", text(&host.release)),
            ("host_service_pack_level", text("")),
            ("host_sku", int(7)),
            ("os_language_version", int(1033)),
            ("host_architecture", text("X64")),
        ],
    )?;
    l.insert(
        "dm_os_sys_info",
        None,
        &[
            ("cpu_count", int(host.cpu_count)),
            ("hyperthread_ratio", int(host.cpu_count)),
            (
                "physical_memory_in_bytes",
                int(host.memory_mb as i64 * 1024 * 1024),
            ),
            ("physical_memory_kb", int(host.memory_mb as i64 * 1024)),
            ("sqlserver_start_time", text(INSTALL_DATE)),
            ("virtual_machine_type", int(1)),
            ("virtual_machine_type_desc", text("HYPERVISOR")),
            // The columns documented as never NULL, with a representative idle server's
            // values (the page gives their meaning, not values): the memory figures follow
            // the host's memory; max_workers_count is the automatic `max worker threads` of a
            // 64-bit server ("Configure the max worker threads": 512 up to 4 processors, 16
            // more per processor above); a scheduler per processor.
            ("cpu_ticks", int(i64::from(host.cpu_count) * 1_000_000_000)),
            ("ms_ticks", int(3_600_000)),
            ("virtual_memory_kb", int(137_438_953_344_i64)),
            ("virtual_memory_in_bytes", int(8_796_093_022_080_i64)),
            ("committed_kb", int(host.memory_mb as i64 * 256)),
            ("committed_target_kb", int(host.memory_mb as i64 * 768)),
            ("visible_target_kb", int(host.memory_mb as i64 * 768)),
            ("bpool_committed", int(host.memory_mb as i64 * 32)),
            ("bpool_commit_target", int(host.memory_mb as i64 * 96)),
            ("bpool_visible", int(host.memory_mb as i64 * 96)),
            ("stack_size_in_bytes", int(2_093_056)),
            ("os_quantum", int(4)),
            ("os_error_mode", int(5)),
            (
                "max_workers_count",
                int(512 + 16 * (i64::from(host.cpu_count) - 4).max(0)),
            ),
            ("scheduler_count", int(host.cpu_count)),
            ("scheduler_total_count", int(i64::from(host.cpu_count) + 11)),
            ("deadlock_monitor_serial_number", int(0)),
            ("sqlserver_start_time_ms_ticks", int(0)),
            ("process_kernel_time_ms", int(0)),
            ("process_user_time_ms", int(0)),
            ("time_source", int(0)),
            ("time_source_desc", text("QUERY_PERFORMANCE_COUNTER")),
            ("softnuma_configuration", int(0)),
            ("softnuma_configuration_desc", text("OFF")),
        ],
    )?;
    // Other clients the fixture describes, after the live connections: session ids above
    // every live one (those run from 51 to 32,050), so the two never collide.
    let sees_connections = viewer.has(
        dmv_permission("dm_exec_connections", instance.version).unwrap_or("VIEW SERVER STATE"),
    );
    if sees_connections {
        let mut spid: i64 = 32_100;
        for session in &instance.client_sessions {
            for _ in 0..session.count {
                spid += 1;
                let local = session.transport.eq_ignore_ascii_case("TCP");
                l.insert(
                    "dm_exec_connections",
                    None,
                    &[
                        ("session_id", int(spid)),
                        ("most_recent_session_id", int(spid)),
                        ("connect_time", text("2026-01-05 08:00:00.000")),
                        ("net_transport", text(&session.transport)),
                        ("protocol_type", text("TSQL")),
                        ("protocol_version", int(0x7400_0004_i64)),
                        ("endpoint_id", int(if local { 4 } else { 2 })),
                        (
                            "encrypt_option",
                            text(if session.encrypted { "TRUE" } else { "FALSE" }),
                        ),
                        ("auth_scheme", text(&session.auth_scheme)),
                        ("node_affinity", int(0)),
                        ("num_reads", int(0)),
                        ("num_writes", int(0)),
                        ("last_read", text("2026-01-05 08:00:00.000")),
                        ("last_write", text("2026-01-05 08:00:00.000")),
                        ("net_packet_size", int(4096)),
                        ("client_net_address", text(&session.client_address)),
                        (
                            "connection_id",
                            text(format!("C11E0000-0000-4000-8000-{spid:012X}")),
                        ),
                    ],
                )?;
            }
        }
    }
    for c in connections {
        if !sees_connections && !viewer.spid_is(c.spid) {
            continue;
        }
        l.insert(
            "dm_exec_connections",
            None,
            &[
                ("session_id", int(c.spid)),
                ("connect_time", text(&c.connected)),
                ("net_transport", text("TCP")),
                ("protocol_type", text("TSQL")),
                ("protocol_version", int(i64::from(c.tds_version))),
                (
                    "encrypt_option",
                    text(if c.encrypted { "TRUE" } else { "FALSE" }),
                ),
                ("auth_scheme", text(&c.auth_scheme)),
                ("client_net_address", text(c.client.ip().to_string())),
                ("client_tcp_port", int(c.client.port())),
                ("local_net_address", text(c.local.ip().to_string())),
                ("local_tcp_port", int(c.local.port())),
                ("most_recent_session_id", int(c.spid)),
                ("endpoint_id", int(4)), // TSQL Default TCP
                ("node_affinity", int(0)),
                ("num_reads", int(0)),
                ("num_writes", int(0)),
                ("last_read", text(&c.connected)),
                ("last_write", text(&c.connected)),
                ("net_packet_size", int(4096)),
                (
                    "connection_id",
                    text(format!(
                        "{:08X}-0000-4000-8000-{:012X}",
                        c.spid,
                        c.client.port()
                    )),
                ),
            ],
        )?;
    }

    // Linked servers, triggers, audits.
    l.insert(
        "servers",
        None,
        &[
            ("server_id", int(0)),
            // The local server entry sp_addserver recorded: what @@SERVERNAME reads.
            (
                "name",
                text(
                    instance
                        .stale_server_name
                        .as_deref()
                        .unwrap_or(&instance.server_name),
                ),
            ),
            ("product", text("SQL Server")),
            ("provider", text("SQLNCLI")),
            ("data_source", text(&instance.server_name)),
            ("location", Sql::Null),
            ("catalog", Sql::Null),
            ("is_linked", bit(false)),
            ("is_remote_login_enabled", bit(true)),
            ("is_rpc_out_enabled", bit(true)),
            ("is_data_access_enabled", bit(false)),
            ("modify_date", text(INSTALL_DATE)),
        ],
    )?;
    for server in &instance.linked_servers {
        l.insert(
            "servers",
            None,
            &[
                ("server_id", int(server.server_id)),
                ("name", text(&server.name)),
                ("product", text(&server.product)),
                ("provider", text(&server.provider)),
                ("data_source", text(&server.data_source)),
                ("location", Sql::Null),
                ("catalog", Sql::Null),
                ("is_linked", bit(true)),
                ("is_remote_login_enabled", bit(true)),
                ("is_rpc_out_enabled", bit(server.rpc_out)),
                ("is_data_access_enabled", bit(true)),
                ("modify_date", text(INSTALL_DATE)),
            ],
        )?;
        for mapping in &server.logins {
            let local = match &mapping.local {
                None => 0,
                Some(name) => match instance.login(name) {
                    Some(login) => login.principal_id,
                    None => continue,
                },
            };
            l.insert(
                "linked_logins",
                None,
                &[
                    ("server_id", int(server.server_id)),
                    ("local_principal_id", int(local)),
                    ("uses_self_credential", bit(mapping.uses_self)),
                    ("remote_name", opt_text(mapping.remote.clone())),
                    ("modify_date", text(INSTALL_DATE)),
                ],
            )?;
        }
    }
    // User endpoints (ids from 65536: "ids below 65536 are system endpoints"), visible like
    // every catalog view's rows to what the viewer owns or may see (VIEW ANY DEFINITION).
    // Type codes from sys.endpoints (3 SERVICE_BROKER, 4 DATABASE_MIRRORING), states 0
    // STARTED, 1 STOPPED, 2 DISABLED; algorithm codes and descriptions from
    // sys.database_mirroring_endpoints / sys.service_broker_endpoints (learn.microsoft.com).
    if viewer.has("VIEW ANY DEFINITION") {
        const ALGORITHMS: [&str; 9] = [
            "NONE",
            "RC4",
            "AES",
            "NONE, RC4",
            "NONE, AES",
            "RC4, AES",
            "AES, RC4",
            "NONE, RC4, AES",
            "NONE, AES, RC4",
        ];
        for (n, endpoint) in instance.endpoints.iter().enumerate() {
            let endpoint_id = 65536 + n as i64;
            let owner = endpoint
                .owner
                .as_deref()
                .and_then(|o| instance.login(o))
                .map_or(1, |l| l.principal_id);
            let (type_code, type_desc) = match endpoint.kind {
                crate::instance::EndpointKind::DatabaseMirroring => (4, "DATABASE_MIRRORING"),
                crate::instance::EndpointKind::ServiceBroker => (3, "SERVICE_BROKER"),
            };
            let state = match endpoint.state.to_uppercase().as_str() {
                "STOPPED" => 1,
                "DISABLED" => 2,
                _ => 0,
            };
            let code = endpoint.encryption.min(8);
            let common = [
                ("name", text(&endpoint.name)),
                ("endpoint_id", int(endpoint_id)),
                ("principal_id", int(owner)),
                ("protocol", int(2)),
                ("protocol_desc", text("TCP")),
                ("type", int(type_code)),
                ("type_desc", text(type_desc)),
                ("state", int(state)),
                ("state_desc", text(endpoint.state.to_uppercase())),
                ("is_admin_endpoint", bit(false)),
            ];
            l.insert("endpoints", None, &common)?;
            let mut row = common.to_vec();
            row.extend([
                ("connection_auth", int(3)),
                ("connection_auth_desc", text("NEGOTIATE")),
                ("certificate_id", int(0)),
                ("encryption_algorithm", int(code)),
                (
                    "encryption_algorithm_desc",
                    text(ALGORITHMS[usize::from(code)]),
                ),
            ]);
            match endpoint.kind {
                crate::instance::EndpointKind::DatabaseMirroring => {
                    row.extend([
                        ("role", int(3)),
                        ("role_desc", text("ALL")),
                        ("is_encryption_enabled", bit(code != 0)),
                    ]);
                    l.insert("database_mirroring_endpoints", None, &row)?;
                }
                crate::instance::EndpointKind::ServiceBroker => {
                    l.insert("service_broker_endpoints", None, &row)?;
                }
            }
        }
    }
    // sys.credentials: "Requires either VIEW ANY DEFINITION permission or ALTER ANY
    // CREDENTIAL permission" (learn.microsoft.com: sys.credentials); target_type NULL and
    // target_id 0 for a credential that is not an EKM one.
    if viewer.has("VIEW ANY DEFINITION") || viewer.has("ALTER ANY CREDENTIAL") {
        for (n, credential) in instance.credentials.iter().enumerate() {
            l.insert(
                "credentials",
                None,
                &[
                    ("credential_id", int(65536 + n as i64)),
                    ("name", text(&credential.name)),
                    ("credential_identity", text(&credential.identity)),
                    ("create_date", text(INSTALL_DATE)),
                    ("modify_date", text(INSTALL_DATE)),
                    ("target_type", Sql::Null),
                    ("target_id", int(0)),
                ],
            )?;
        }
    }
    // sys.cryptographic_providers (learn.microsoft.com): the 2008–2014 pages limit it by
    // metadata visibility (no permission on a provider is grantable to a login here, so the
    // rows are VIEW ANY DEFINITION's); the current page calls it visible to public. The
    // simulator follows the older, stricter reading.
    if see_all {
        for (n, provider) in instance.cryptographic_providers.iter().enumerate() {
            l.insert(
                "cryptographic_providers",
                None,
                &[
                    ("provider_id", int(65536 + n as i64)),
                    ("name", text(&provider.name)),
                    (
                        "guid",
                        text(crate::engine::guid_text(&digest(&format!(
                            "ekm:{}",
                            provider.name
                        )))),
                    ),
                    ("version", text(&provider.version)),
                    ("dll_path", text(&provider.dll_path)),
                    ("is_enabled", bit(provider.enabled)),
                ],
            )?;
        }
    }
    for (n, trigger) in instance.server_triggers.iter().enumerate() {
        let object_id = 1_000_000 + n as i64;
        l.insert(
            "server_triggers",
            None,
            &[
                ("name", text(&trigger.name)),
                ("object_id", int(object_id)),
                ("parent_class", int(100)),
                ("parent_class_desc", text("SERVER")),
                ("parent_id", int(0)),
                ("type", text("TR")),
                ("type_desc", text("SQL_TRIGGER")),
                ("create_date", text(INSTALL_DATE)),
                ("modify_date", text(INSTALL_DATE)),
                ("is_ms_shipped", bit(false)),
                ("is_disabled", bit(trigger.disabled)),
            ],
        )?;
        for event in &trigger.events {
            l.insert(
                "server_trigger_events",
                None,
                &[
                    ("object_id", int(object_id)),
                    ("type", int(if event == "LOGON" { 1057 } else { 1000 })),
                    ("type_desc", text(event)),
                    ("is_first", bit(false)),
                    ("is_last", bit(false)),
                ],
            )?;
        }
    }
    // sys.server_audits: "Principals with the ALTER ANY SERVER AUDIT or VIEW ANY DEFINITION
    // permission have access to this catalog view" (learn.microsoft.com: sys.server_audits);
    // the file audits' view and the specifications follow it.
    let see_audits = see_all || viewer.has("ALTER ANY SERVER AUDIT");
    for (n, audit) in instance.audits.iter().enumerate().filter(|_| see_audits) {
        let guid = crate::engine::guid_text(&digest(&audit.name));
        let (kind, kind_desc) = match audit.destination.as_str() {
            "APPLICATION LOG" => ("AL", "APPLICATION LOG"),
            "SECURITY LOG" => ("SL", "SECURITY LOG"),
            _ => ("FL", "FILE"),
        };
        // on_failure: 0 CONTINUE, 1 SHUTDOWN SERVER INSTANCE, 2 FAIL OPERATION (2012+)
        // (learn.microsoft.com: sys.server_audits).
        let (on_failure, on_failure_desc) = match audit.on_failure.to_uppercase().as_str() {
            "SHUTDOWN" => (1, "SHUTDOWN SERVER INSTANCE"),
            "FAIL_OPERATION" => (2, "FAIL OPERATION"),
            _ => (0, "CONTINUE"),
        };
        let audit_id = 65536 + n as i64;
        let common = [
            ("audit_id", int(audit_id)),
            ("name", text(&audit.name)),
            ("audit_guid", text(&guid)),
            ("create_date", text(INSTALL_DATE)),
            ("modify_date", text(INSTALL_DATE)),
            ("principal_id", int(1)),
            ("type", text(kind)),
            ("type_desc", text(kind_desc)),
            ("on_failure", int(on_failure)),
            ("on_failure_desc", text(on_failure_desc)),
            ("is_state_enabled", bit(audit.enabled)),
            ("queue_delay", int(1000)),
            ("predicate", opt_text(audit.predicate.clone())),
        ];
        l.insert("server_audits", None, &common)?;
        if kind == "FL" {
            // sys.server_file_audits: the same columns plus the file target's
            // (learn.microsoft.com: sys.server_file_audits).
            let mut row = common.to_vec();
            row.extend([
                ("max_file_size", int(audit.max_size_mb)),
                ("max_rollover_files", int(audit.max_rollover_files)),
                ("max_files", int(audit.max_files)),
                ("reserved_disk_space", int(0)),
                ("log_file_path", text("C:\\Audit\\")),
                ("log_file_name", text(format!("{}_*.sqlaudit", audit.name))),
            ]);
            l.insert("server_file_audits", None, &row)?;
        }
        // sys.dm_server_audit_status lists the audits that are enabled (learn.microsoft.com:
        // "Returns a row for each server audit indicating the current state"): STARTED, or
        // FAILED (2008–2014 pages; status 1) / RUNTIME_FAIL (current page; status 2) when its
        // target cannot be written. Its permission is checked like every DMV's.
        if audit.enabled {
            let (status, status_desc) = match (audit.failed, version >= V2016) {
                (false, true) => (1, "STARTED"),
                (false, false) => (0, "STARTED"),
                (true, true) => (2, "RUNTIME_FAIL"),
                (true, false) => (1, "FAILED"),
            };
            l.insert(
                "dm_server_audit_status",
                None,
                &[
                    ("audit_id", int(audit_id)),
                    ("name", text(&audit.name)),
                    ("status", int(status)),
                    ("status_desc", text(status_desc)),
                    ("status_time", text(INSTALL_DATE)),
                    ("event_session_address", Sql::Null),
                    ("active_file_name", Sql::Null),
                    ("size", Sql::Null),
                    ("audit_file_path", Sql::Null),
                    ("audit_file_size", Sql::Null),
                ],
            )?;
        }
        if let Some(spec) = &audit.specification {
            let spec_id = 65536 + n as i64;
            l.insert(
                "server_audit_specifications",
                None,
                &[
                    ("server_specification_id", int(spec_id)),
                    ("name", text(&spec.name)),
                    ("create_date", text(INSTALL_DATE)),
                    ("modified_date", text(INSTALL_DATE)),
                    ("audit_guid", text(&guid)),
                    ("is_state_enabled", bit(spec.enabled)),
                ],
            )?;
            for action in &spec.actions {
                let code = match action.as_str() {
                    "FAILED_LOGIN_GROUP" => "LGFL",
                    "SUCCESSFUL_LOGIN_GROUP" => "LGSD",
                    "LOGOUT_GROUP" => "LO",
                    "AUDIT_CHANGE_GROUP" => "CNAU",
                    _ => "OTHR",
                };
                l.insert(
                    "server_audit_specification_details",
                    None,
                    &[
                        ("server_specification_id", int(spec_id)),
                        ("audit_action_id", text(code)),
                        ("audit_action_name", text(action)),
                        ("class", int(100)),
                        ("class_desc", text("SERVER")),
                        ("major_id", int(0)),
                        ("minor_id", int(0)),
                        ("audited_principal_id", int(0)),
                        ("audited_result", text("SUCCESS AND FAILURE")),
                        ("is_group", bit(true)),
                    ],
                )?;
            }
        }
    }
    // SQL Server Agent jobs and schedules (learn.microsoft.com: dbo.sysjobs, dbo.sysschedules
    // — freq_type 64 = "Runs when the SQL Server Agent service starts", 4 = daily —,
    // dbo.sysjobschedules). An owner that matches no login keeps a SID of its own: orphaned.
    let mut schedule_id = 0;
    for (n, job) in instance.agent_jobs.iter().enumerate() {
        let job_id = crate::engine::guid_text(&digest(&format!("job:{}", job.name)));
        // `sa` names the sa login (principal 1) even when it was renamed.
        let owner = instance.login(&job.owner).or_else(|| {
            job.owner
                .eq_ignore_ascii_case("sa")
                .then(|| instance.logins.iter().find(|l| l.sa))
                .flatten()
        });
        let owner_sid = match owner {
            Some(login) => login.sid.clone(),
            None => digest(&format!("orphan:{}", job.owner))[..16].to_vec(),
        };
        l.insert(
            "sysjobs",
            None,
            &[
                ("job_id", text(&job_id)),
                ("originating_server_id", int(0)),
                ("name", text(&job.name)),
                ("enabled", int(i64::from(job.enabled))),
                ("description", text("No description available.")),
                ("start_step_id", int(1)),
                ("category_id", int(0)),
                ("owner_sid", blob(&owner_sid)),
                ("notify_level_eventlog", int(2)),
                ("notify_level_email", int(0)),
                ("notify_level_netsend", int(0)),
                ("notify_level_page", int(0)),
                ("notify_email_operator_id", int(0)),
                ("notify_netsend_operator_id", int(0)),
                ("notify_page_operator_id", int(0)),
                ("delete_level", int(0)),
                ("date_created", text(INSTALL_DATE)),
                ("date_modified", text(INSTALL_DATE)),
                ("version_number", int(1 + n as i64)),
            ],
        )?;
        for schedule in &job.schedules {
            schedule_id += 1;
            l.insert(
                "sysschedules",
                None,
                &[
                    ("schedule_id", int(schedule_id)),
                    (
                        "schedule_uid",
                        text(crate::engine::guid_text(&digest(&format!(
                            "schedule:{}:{}",
                            job.name, schedule.name
                        )))),
                    ),
                    ("originating_server_id", int(0)),
                    ("name", text(&schedule.name)),
                    ("owner_sid", blob(&owner_sid)),
                    ("enabled", int(i64::from(schedule.enabled))),
                    (
                        "freq_type",
                        int(if schedule.at_agent_start { 64 } else { 4 }),
                    ),
                    ("freq_interval", int(i64::from(!schedule.at_agent_start))),
                    (
                        "freq_subday_type",
                        int(if schedule.at_agent_start { 0 } else { 1 }),
                    ),
                    ("freq_subday_interval", int(0)),
                    ("freq_relative_interval", int(0)),
                    ("freq_recurrence_factor", int(0)),
                    ("active_start_date", int(20_191_104)),
                    ("active_end_date", int(99_991_231)),
                    ("active_start_time", int(0)),
                    ("active_end_time", int(235_959)),
                    ("date_created", text(INSTALL_DATE)),
                    ("date_modified", text(INSTALL_DATE)),
                    ("version_number", int(1)),
                ],
            )?;
            l.insert(
                "sysjobschedules",
                None,
                &[
                    ("schedule_id", int(schedule_id)),
                    ("job_id", text(&job_id)),
                    ("next_run_date", int(0)),
                    ("next_run_time", int(0)),
                ],
            )?;
        }
    }
    // SQL Server Agent proxies (learn.microsoft.com: dbo.sysproxies, dbo.sysproxylogin —
    // flags "0 = Windows user or group, and SQL Server login. 1 = SQL Server fixed system
    // role 2 = msdb database role" —, dbo.sysproxysubsystem with the subsystem ids of
    // sp_grant_proxy_to_subsystem). The credential is the server credential of that name
    // (sys.credentials' credential_id, 65536 + its position, as loaded above).
    let msdb_principals = instance
        .database("msdb")
        .map(database_principals)
        .unwrap_or_default();
    for (n, proxy) in instance.agent_proxies.iter().enumerate() {
        let proxy_id = 1 + n as i64;
        let credential_id = instance
            .credentials
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(&proxy.credential))
            .map_or(Sql::Null, |at| int(65536 + at as i64));
        l.insert(
            "sysproxies",
            None,
            &[
                ("proxy_id", int(proxy_id)),
                ("name", text(&proxy.name)),
                ("credential_id", credential_id),
                ("enabled", int(i64::from(proxy.enabled))),
                ("description", text("")),
                ("user_sid", Sql::Null),
                ("credential_date_created", text(INSTALL_DATE)),
            ],
        )?;
        for name in &proxy.subsystems {
            let id = crate::instance::AGENT_SUBSYSTEMS
                .iter()
                .find(|(_, s)| s.eq_ignore_ascii_case(name))
                .map_or(0, |(id, _)| *id);
            l.insert(
                "sysproxysubsystem",
                None,
                &[("subsystem_id", int(id)), ("proxy_id", int(proxy_id))],
            )?;
        }
        let grant = |sid: Sql, principal_id: Sql, flags: i64| {
            l.insert(
                "sysproxylogin",
                None,
                &[
                    ("proxy_id", int(proxy_id)),
                    ("sid", sid),
                    ("principal_id", principal_id),
                    ("flags", int(flags)),
                ],
            )
        };
        for login in &proxy.logins {
            let sid = instance.login(login).map_or_else(
                || digest(&format!("orphan:{login}"))[..16].to_vec(),
                |l| l.sid.clone(),
            );
            grant(blob(&sid), Sql::Null, 0)?;
        }
        for role in &proxy.server_roles {
            let sid = FIXED_SERVER_ROLES
                .iter()
                .find(|(_, r)| r.eq_ignore_ascii_case(role))
                .map_or_else(|| digest(role), |(id, _)| vec![*id as u8]);
            grant(blob(&sid), Sql::Null, 1)?;
        }
        // An msdb role is stored by its SID, as msdb's own procedures read it
        // (sp_verify_proxy_permissions: flags 2 with the granted SID), the SID msdb's
        // sys.database_principals gives the role (see load_database).
        for role in &proxy.msdb_roles {
            let found = msdb_principals
                .iter()
                .find(|(_, r)| r.eq_ignore_ascii_case(role));
            grant(
                found.map_or(Sql::Null, |(_, r)| blob(&digest(r))),
                found.map_or(Sql::Null, |(id, _)| int(*id)),
                2,
            )?;
        }
    }
    Ok(())
}

/// A stable `backup_set_id`.
fn backup_set_id(
    instance: &Instance,
    db: &crate::instance::Database,
    backup: &crate::instance::Backup,
) -> i64 {
    let before: usize = instance
        .databases
        .iter()
        .take_while(|d| d.database_id != db.database_id)
        .map(|d| d.backups.len())
        .sum();
    let own = db
        .backups
        .iter()
        .position(|b| std::ptr::eq(b, backup))
        .unwrap_or(0);
    (before + own + 1) as i64
}

/// What a server permission is on (`sys.server_permissions.class` / `class_desc` /
/// `major_id`: 100 SERVER with major_id 0, 101 SERVER_PRINCIPAL with the login's principal_id,
/// 105 ENDPOINT with its endpoint_id; learn.microsoft.com: sys.server_permissions).
#[derive(Clone, Copy)]
enum ServerSecurable {
    Server,
    Principal(i32),
    Endpoint(i32),
}

/// A fixture's server permission: `NAME` on the server, or `NAME ON LOGIN::x` /
/// `NAME ON SERVER ROLE::x` on a server principal (class 101 SERVER_PRINCIPAL, major_id the
/// principal's id; learn.microsoft.com: sys.server_permissions, "GRANT Server Principal
/// Permissions"). None when the principal named does not exist.
fn server_grant<'a>(
    instance: &Instance,
    permission: &'a str,
) -> Option<(&'a str, ServerSecurable)> {
    match permission.split_once(" ON ") {
        Some((name, target)) => {
            let target = target.split_once("::").map_or(target, |(_, t)| t).trim();
            let id = instance
                .login(target)
                .map(|t| t.principal_id)
                .or_else(|| server_role_id(instance, target))?;
            Some((name.trim(), ServerSecurable::Principal(id)))
        }
        None => Some((permission, ServerSecurable::Server)),
    }
}

fn server_permission(
    l: &Loader<'_>,
    grantee: i32,
    permission: &str,
    state: &str,
    on: ServerSecurable,
) -> rusqlite::Result<()> {
    let code: String = permission
        .split_whitespace()
        .map(|w| w.chars().next().unwrap_or(' '))
        .collect::<String>()
        .chars()
        .take(4)
        .collect();
    let state_desc = if state == "D" { "DENY" } else { "GRANT" };
    let (class, class_desc, major_id) = match on {
        ServerSecurable::Server => (100, "SERVER", 0),
        ServerSecurable::Principal(id) => (101, "SERVER_PRINCIPAL", id),
        ServerSecurable::Endpoint(id) => (105, "ENDPOINT", id),
    };
    l.insert(
        "server_permissions",
        None,
        &[
            ("class", int(class)),
            ("class_desc", text(class_desc)),
            ("major_id", int(major_id)),
            ("minor_id", int(0)),
            ("grantee_principal_id", int(grantee)),
            ("grantor_principal_id", int(1)),
            ("type", text(format!("{code:<4}"))),
            ("permission_name", text(permission.to_uppercase())),
            ("state", text(state)),
            ("state_desc", text(state_desc)),
        ],
    )
}

/// The principal id of server role `name` (fixed or user-defined).
pub fn server_role_id(instance: &Instance, name: &str) -> Option<i32> {
    FIXED_SERVER_ROLES
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(id, _)| *id)
        .or_else(|| {
            instance
                .server_roles
                .iter()
                .find(|r| r.name.eq_ignore_ascii_case(name))
                .map(|r| r.principal_id)
        })
}

/// `sys.dm_server_services.servicename`.
pub fn service_display_name(instance: &Instance, kind: ServiceKind) -> String {
    let label = instance.instance_name().unwrap_or("MSSQLSERVER");
    match kind {
        ServiceKind::Engine => format!("SQL Server ({label})"),
        ServiceKind::Agent => format!("SQL Server Agent ({label})"),
        ServiceKind::FullText => format!("SQL Full-text Filter Daemon Launcher ({label})"),
        ServiceKind::Browser => "SQL Server Browser".into(),
        ServiceKind::Reporting => format!("SQL Server Reporting Services ({label})"),
        ServiceKind::Analysis => format!("SQL Server Analysis Services ({label})"),
        ServiceKind::Integration => "SQL Server Integration Services".into(),
    }
}

/// The DLL `sp_helpextendedproc` shows for the shipped procedures on current versions
/// (xplog70.dll holds xp_cmdshell, xp_msver …; xpstar.dll the registry ones): one name is used
/// for all (the audit reads only whether a procedure is shipped, `is_ms_shipped`).
pub const MASTER_EXTENDED_PROCEDURE_DLL: &str = "xplog70.dll";

/// The extended stored procedures of master's `sys` schema the audit asks about (not all of
/// them: sys.system_objects' thousands of rows are not listed). xp_cmdshell and the general
/// ones are documented (learn.microsoft.com: "General extended stored procedures
/// (Transact-SQL)", xp_cmdshell); the registry procedures are undocumented but named by the
/// DISA STIG for SQL Server (SQL6-D0-016700: xp_regaddmultistring, xp_regdeletekey,
/// xp_regdeletevalue, xp_regenumvalues, xp_regremovemultistring, xp_regwrite, xp_instance_reg*,
/// xp_regread). Microsoft documents EXECUTE for public only on xp_msver, xp_sprintf and
/// xp_sscanf ([`MASTER_PUBLIC_EXTENDED_PROCEDURES`]); on the others none (xp_cmdshell: "only
/// members of the sysadmin fixed server role" by default); a fixture grants more through
/// master's `permissions`.
pub const MASTER_EXTENDED_PROCEDURES: [&str; 28] = [
    "xp_cmdshell",
    "xp_regread",
    "xp_regwrite",
    "xp_regdeletekey",
    "xp_regdeletevalue",
    "xp_regenumvalues",
    "xp_regenumkeys",
    "xp_regaddmultistring",
    "xp_regremovemultistring",
    "xp_instance_regread",
    "xp_instance_regwrite",
    "xp_instance_regdeletekey",
    "xp_instance_regdeletevalue",
    "xp_instance_regenumvalues",
    "xp_instance_regenumkeys",
    "xp_instance_regaddmultistring",
    "xp_instance_regremovemultistring",
    "xp_dirtree",
    "xp_fileexist",
    "xp_fixeddrives",
    "xp_enumgroups",
    "xp_grantlogin",
    "xp_logevent",
    "xp_loginconfig",
    "xp_logininfo",
    "xp_msver",
    "xp_sprintf",
    "xp_sscanf",
];

/// The extended procedures whose pages say "Requires membership in the public role"
/// (learn.microsoft.com: xp_msver, xp_sprintf, xp_sscanf): setup grants public EXECUTE on them.
pub const MASTER_PUBLIC_EXTENDED_PROCEDURES: [&str; 3] = ["xp_msver", "xp_sprintf", "xp_sscanf"];

/// The schemas of a database (`sys.schemas`, `SCHEMA_ID`): the four every database has, then
/// those its objects name, in order.
pub(crate) fn schemas(db: &crate::instance::Database) -> Vec<(String, i32)> {
    let mut schemas: Vec<(String, i32)> = vec![
        ("dbo".into(), 1),
        ("guest".into(), 2),
        ("INFORMATION_SCHEMA".into(), 3),
        ("sys".into(), 4),
    ];
    let named = db
        .objects
        .iter()
        .map(|o| &o.schema)
        .chain(db.schema_owners.iter().map(|o| &o.schema));
    for schema in named {
        if !schemas.iter().any(|(s, _)| s.eq_ignore_ascii_case(schema)) {
            let next = schemas.iter().map(|s| s.1).max().unwrap_or(4).max(4) + 1;
            schemas.push((schema.clone(), next));
        }
    }
    schemas
}

/// The principals of a database by id, as `sys.database_principals` lists them: dbo, guest,
/// INFORMATION_SCHEMA, sys, the fixed roles, the user-defined roles (from 5000), the application
/// roles (from 6000) and the users.
pub(crate) fn database_principals(db: &crate::instance::Database) -> Vec<(i32, String)> {
    let mut out: Vec<(i32, String)> = vec![
        (1, "dbo".into()),
        (2, "guest".into()),
        (3, "INFORMATION_SCHEMA".into()),
        (4, "sys".into()),
    ];
    out.extend(
        FIXED_DATABASE_ROLES
            .iter()
            .map(|(id, name)| (*id, (*name).to_owned())),
    );
    out.extend(
        db.roles
            .iter()
            .enumerate()
            .map(|(n, role)| (5000 + n as i32, role.clone())),
    );
    out.extend(
        db.application_roles
            .iter()
            .enumerate()
            .map(|(n, role)| (6000 + n as i32, role.clone())),
    );
    out.extend(db.users.iter().map(|u| (u.principal_id, u.name.clone())));
    out
}

/// Object ids of the objects of a database, stable per (database, name): `schema.name` for an
/// object, `trigger:name` for a trigger.
pub(crate) fn object_id(db: i32, name: &str) -> i64 {
    let d = digest(&format!("{db}:{}", name.to_lowercase()));
    i64::from(u32::from_le_bytes([d[0], d[1], d[2], d[3]]) & 0x3FFF_FFFF) + 100
}

/// The SID a restored database's dbo keeps from the server it came from: a SQL login's SID
/// there, unknown here.
fn sid_for_foreign_owner(database: &str) -> Vec<u8> {
    digest(&format!("foreign owner of {database}"))[..16].to_vec()
}

/// `authentication_type`, `authentication_type_desc` of a principal without authentication.
const NONE: (i64, &str) = (0, "NONE");
/// … of a user that authenticates through its login.
const INSTANCE: (i64, &str) = (1, "INSTANCE");

fn load_database(
    l: &Loader<'_>,
    instance: &Instance,
    db: &crate::instance::Database,
    viewer: &Viewer,
    anchor: time::PrimitiveDateTime,
) -> rusqlite::Result<()> {
    let id = db.database_id;
    let see_all = viewer.has("VIEW ANY DEFINITION");
    let me = viewer.user_in(instance, db);
    let visible = |principal: i32| {
        see_all || Some(principal) == me || principal < 5 || (16384..16400).contains(&principal)
    };
    // authentication_type (2012+): 0 NONE for roles, 1 INSTANCE for users mapped to a login,
    // 2 DATABASE for contained users with a password (learn.microsoft.com:
    // sys.database_principals). The page gives no value per principal type for application
    // roles; NONE is assumed.
    let principal = |name: &str,
                     pid: i32,
                     code: &str,
                     desc: &str,
                     schema: Option<&str>,
                     sid: Option<&[u8]>,
                     fixed: bool,
                     auth: (i64, &str)| {
        l.insert(
            "database_principals",
            Some(id),
            &[
                ("name", text(name)),
                ("principal_id", int(pid)),
                ("type", text(code)),
                ("type_desc", text(desc)),
                ("default_schema_name", opt_text(schema.map(str::to_owned))),
                ("create_date", text(INSTALL_DATE)),
                ("modify_date", text(INSTALL_DATE)),
                (
                    "owning_principal_id",
                    if code == "R" { int(1) } else { Sql::Null },
                ),
                ("sid", sid.map_or(Sql::Null, blob)),
                ("is_fixed_role", bit(fixed)),
                ("authentication_type", int(auth.0)),
                ("authentication_type_desc", text(auth.1)),
                ("default_language_name", Sql::Null),
            ],
        )
    };
    let owner_sid = db.owner_sid(instance);
    let dbo_sid = if db.dbo_from_other_server {
        sid_for_foreign_owner(&db.name)
    } else {
        owner_sid.clone()
    };
    principal(
        "dbo",
        1,
        "S",
        "SQL_USER",
        Some("dbo"),
        Some(&dbo_sid),
        false,
        INSTANCE,
    )?;
    principal(
        "guest",
        2,
        "S",
        "SQL_USER",
        Some("guest"),
        Some(&[0]),
        false,
        INSTANCE,
    )?;
    principal(
        "INFORMATION_SCHEMA",
        3,
        "S",
        "SQL_USER",
        None,
        None,
        false,
        INSTANCE,
    )?;
    principal("sys", 4, "S", "SQL_USER", None, None, false, INSTANCE)?;
    for (pid, name) in FIXED_DATABASE_ROLES {
        principal(
            name,
            pid,
            "R",
            "DATABASE_ROLE",
            None,
            Some(&digest(name)),
            pid != 0,
            NONE,
        )?;
    }
    let mut role_ids = Vec::new();
    for (n, role) in db.roles.iter().enumerate() {
        let pid = 5000 + n as i32;
        role_ids.push((role.to_lowercase(), pid));
        if visible(pid) {
            principal(
                role,
                pid,
                "R",
                "DATABASE_ROLE",
                None,
                Some(&digest(role)),
                false,
                NONE,
            )?;
        }
    }
    for (n, role) in db.application_roles.iter().enumerate() {
        let pid = 6000 + n as i32;
        if visible(pid) {
            principal(
                role,
                pid,
                "A",
                "APPLICATION_ROLE",
                Some("dbo"),
                Some(&digest(&format!("approle:{role}"))),
                false,
                NONE,
            )?;
        }
    }
    let role_id = |name: &str| {
        FIXED_DATABASE_ROLES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(id, _)| *id)
            .or_else(|| {
                role_ids
                    .iter()
                    .find(|(n, _)| *n == name.to_lowercase())
                    .map(|(_, id)| *id)
            })
    };
    for user in &db.users {
        if !visible(user.principal_id) {
            continue;
        }
        let kind = user
            .login
            .as_deref()
            .and_then(|n| instance.login(n))
            .map_or(LoginKind::Sql, |l| l.kind);
        let (code, desc) = match kind {
            LoginKind::WindowsUser => ("U", "WINDOWS_USER"),
            LoginKind::WindowsGroup => ("G", "WINDOWS_GROUP"),
            _ => ("S", "SQL_USER"),
        };
        principal(
            &user.name,
            user.principal_id,
            code,
            desc,
            Some(&user.default_schema),
            Some(&user.sid),
            false,
            match user.authentication {
                crate::instance::UserAuthentication::Instance => INSTANCE,
                crate::instance::UserAuthentication::Database => (2, "DATABASE"),
            },
        )?;
        for role in &user.roles {
            if let Some(rid) = role_id(role) {
                l.insert(
                    "database_role_members",
                    Some(id),
                    &[
                        ("role_principal_id", int(rid)),
                        ("member_principal_id", int(user.principal_id)),
                    ],
                )?;
            }
        }
    }
    l.insert(
        "database_role_members",
        Some(id),
        &[
            ("role_principal_id", int(16384)),
            ("member_principal_id", int(1)),
        ],
    )?;
    for nested in &db.nested_roles {
        if let (Some(rid), Some(mid)) = (role_id(&nested.role), role_id(&nested.member)) {
            l.insert(
                "database_role_members",
                Some(id),
                &[
                    ("role_principal_id", int(rid)),
                    ("member_principal_id", int(mid)),
                ],
            )?;
        }
    }
    for role in &db.guest_roles {
        if let Some(rid) = role_id(role) {
            l.insert(
                "database_role_members",
                Some(id),
                &[
                    ("role_principal_id", int(rid)),
                    ("member_principal_id", int(2)),
                ],
            )?;
        }
    }
    let grantee_id = |name: &str| -> Option<i32> {
        match name.to_lowercase().as_str() {
            "dbo" => Some(1),
            "guest" => Some(2),
            "public" => Some(0),
            lower => db
                .users
                .iter()
                .find(|u| u.name.to_lowercase() == lower)
                .map(|u| u.principal_id)
                .or_else(|| role_id(name))
                .or_else(|| {
                    db.application_roles
                        .iter()
                        .position(|r| r.to_lowercase() == lower)
                        .map(|n| 6000 + n as i32)
                }),
        }
    };
    let schemas = schemas(db);
    for (name, sid) in &schemas {
        l.insert(
            "schemas",
            Some(id),
            &[
                ("name", text(name)),
                ("schema_id", int(*sid)),
                (
                    "principal_id",
                    int(if *sid <= 4 {
                        *sid
                    } else {
                        db.schema_owners
                            .iter()
                            .find(|o| o.schema.eq_ignore_ascii_case(name))
                            .and_then(|o| grantee_id(&o.owner))
                            .unwrap_or(1)
                    }),
                ),
            ],
        )?;
    }
    let schema_id = |name: &str| {
        schemas
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(name))
            .map_or(1, |s| s.1)
    };
    let object_ref = |on: &str| -> (String, String) {
        match on.split_once('.') {
            Some((s, n)) => (
                s.trim_matches(['[', ']']).to_owned(),
                n.trim_matches(['[', ']']).to_owned(),
            ),
            None => ("dbo".into(), on.trim_matches(['[', ']']).to_owned()),
        }
    };
    for object in &db.objects {
        let desc = match object.kind.as_str() {
            "U" => "USER_TABLE",
            "V" => "VIEW",
            "P" => "SQL_STORED_PROCEDURE",
            "FN" => "SQL_SCALAR_FUNCTION",
            _ => "USER_TABLE",
        };
        l.insert(
            "objects",
            Some(id),
            &[
                ("name", text(&object.name)),
                (
                    "object_id",
                    int(object_id(id, &format!("{}.{}", object.schema, object.name))),
                ),
                (
                    "principal_id",
                    object
                        .owner
                        .as_deref()
                        .and_then(grantee_id)
                        .map_or(Sql::Null, int),
                ),
                ("schema_id", int(schema_id(&object.schema))),
                ("parent_object_id", int(0)),
                ("type", text(&object.kind)),
                ("type_desc", text(desc)),
                ("create_date", text(INSTALL_DATE)),
                ("modify_date", text(INSTALL_DATE)),
                ("is_ms_shipped", bit(false)),
            ],
        )?;
    }
    // sys.all_objects is "the UNION of all schema-scoped user-defined objects and system
    // objects" (learn.microsoft.com: sys.all_objects); sys.procedures lists the objects of
    // type P, X, RF and PC with is_auto_executed "1 = Procedure is auto-executed at the server
    // startup; 0 = Procedure isn't auto-executed", and like every catalog view it shows only
    // what the viewer owns or holds a permission on (learn.microsoft.com: sys.procedures;
    // Metadata visibility configuration).
    for object in &db.objects {
        let desc = match object.kind.as_str() {
            "V" => "VIEW",
            "P" => "SQL_STORED_PROCEDURE",
            "FN" => "SQL_SCALAR_FUNCTION",
            "X" => "EXTENDED_STORED_PROCEDURE",
            _ => "USER_TABLE",
        };
        let row = [
            ("name", text(&object.name)),
            (
                "object_id",
                int(object_id(id, &format!("{}.{}", object.schema, object.name))),
            ),
            ("principal_id", Sql::Null),
            ("schema_id", int(schema_id(&object.schema))),
            ("parent_object_id", int(0)),
            ("type", text(&object.kind)),
            ("type_desc", text(desc)),
            ("create_date", text(INSTALL_DATE)),
            ("modify_date", text(INSTALL_DATE)),
            ("is_ms_shipped", bit(false)),
        ];
        l.insert("all_objects", Some(id), &row)?;
        // sys.extended_procedures: "one row per object that is an extended stored procedure"
        // (learn.microsoft.com: sys.extended_procedures).
        if object.kind == "X" && see_all {
            let mut procedure = row.to_vec();
            procedure.push(("dll_name", opt_text(object.dll.clone())));
            l.insert("extended_procedures", Some(id), &procedure)?;
        }
        if object.kind == "P" && see_all {
            let mut procedure = row.to_vec();
            procedure.push(("is_auto_executed", bit(object.startup)));
            l.insert("procedures", Some(id), &procedure)?;
        }
        // sys.sql_modules: one row per SQL-language module (P, V, FN, IF, TF, TR …), with
        // execute_as_principal_id "NULL = EXECUTE AS CALLER … -2 = EXECUTE AS OWNER", else
        // the id of the principal named (learn.microsoft.com: sys.sql_modules); visible, as
        // every catalog view, to whoever may see the module's definition (VIEW DEFINITION).
        if ["P", "V", "FN", "IF", "TF", "TR"].contains(&object.kind.as_str()) && see_all {
            let execute_as = match object.execute_as.as_deref() {
                None => Sql::Null,
                Some(o) if o.eq_ignore_ascii_case("OWNER") => int(-2),
                Some(user) => grantee_id(user).map_or(Sql::Null, int),
            };
            l.insert(
                "sql_modules",
                Some(id),
                &[
                    (
                        "object_id",
                        int(object_id(id, &format!("{}.{}", object.schema, object.name))),
                    ),
                    (
                        "definition",
                        text(format!(
                            "CREATE {} [{}].[{}] …",
                            match object.kind.as_str() {
                                "P" => "PROCEDURE",
                                "V" => "VIEW",
                                "TR" => "TRIGGER",
                                _ => "FUNCTION",
                            },
                            object.schema,
                            object.name
                        )),
                    ),
                    ("uses_ansi_nulls", bit(true)),
                    ("uses_quoted_identifier", bit(true)),
                    ("is_schema_bound", bit(false)),
                    ("uses_database_collation", bit(false)),
                    ("is_recompiled", bit(false)),
                    ("null_on_null_input", bit(false)),
                    ("execute_as_principal_id", execute_as),
                ],
            )?;
        }
    }
    if db.name.eq_ignore_ascii_case("master") {
        for name in MASTER_EXTENDED_PROCEDURES {
            let row = [
                ("name", text(name)),
                ("object_id", int(object_id(id, &format!("sys.{name}")))),
                ("principal_id", Sql::Null),
                ("schema_id", int(4)),
                ("parent_object_id", int(0)),
                ("type", text("X")),
                ("type_desc", text("EXTENDED_STORED_PROCEDURE")),
                ("create_date", text(INSTALL_DATE)),
                ("modify_date", text(INSTALL_DATE)),
                ("is_ms_shipped", bit(true)),
            ];
            l.insert("all_objects", Some(id), &row)?;
            l.insert("system_objects", Some(id), &row)?;
            let mut procedure = row.to_vec();
            procedure.push(("dll_name", text(MASTER_EXTENDED_PROCEDURE_DLL)));
            l.insert("extended_procedures", Some(id), &procedure)?;
        }
    }
    for trigger in &db.triggers {
        let trigger_id = object_id(id, &format!("trigger:{}", trigger.name));
        let (parent_class, parent_desc, parent_id) = match &trigger.on {
            Some(table) => {
                let (s, n) = object_ref(table);
                (1, "OBJECT_OR_COLUMN", object_id(id, &format!("{s}.{n}")))
            }
            None => (0, "DATABASE", 0),
        };
        l.insert(
            "triggers",
            Some(id),
            &[
                ("name", text(&trigger.name)),
                ("object_id", int(trigger_id)),
                ("parent_class", int(parent_class)),
                ("parent_class_desc", text(parent_desc)),
                ("parent_id", int(parent_id)),
                ("type", text("TR")),
                ("type_desc", text("SQL_TRIGGER")),
                ("create_date", text(INSTALL_DATE)),
                ("modify_date", text(INSTALL_DATE)),
                ("is_ms_shipped", bit(false)),
                ("is_disabled", bit(trigger.disabled)),
                ("is_not_for_replication", bit(false)),
                ("is_instead_of_trigger", bit(false)),
            ],
        )?;
        if parent_class == 1 {
            l.insert(
                "objects",
                Some(id),
                &[
                    ("name", text(&trigger.name)),
                    ("object_id", int(trigger_id)),
                    ("principal_id", Sql::Null),
                    ("schema_id", int(1)),
                    ("parent_object_id", int(parent_id)),
                    ("type", text("TR")),
                    ("type_desc", text("SQL_TRIGGER")),
                    ("create_date", text(INSTALL_DATE)),
                    ("modify_date", text(INSTALL_DATE)),
                    ("is_ms_shipped", bit(false)),
                ],
            )?;
        }
    }
    let permission = |grantee: i32,
                      class: i64,
                      class_desc: &str,
                      major: i64,
                      name: &str,
                      state: (&str, &str)| {
        if !visible(grantee) {
            return Ok(());
        }
        let code: String = name
            .split_whitespace()
            .map(|w| {
                w.chars()
                    .take(if name.contains(' ') { 2 } else { 4 })
                    .collect::<String>()
            })
            .collect::<String>()
            .chars()
            .take(4)
            .collect();
        l.insert(
            "database_permissions",
            Some(id),
            &[
                ("class", int(class)),
                ("class_desc", text(class_desc)),
                ("major_id", int(major)),
                ("minor_id", int(0)),
                ("grantee_principal_id", int(grantee)),
                ("grantor_principal_id", int(1)),
                ("type", text(format!("{:<4}", code.to_uppercase()))),
                ("permission_name", text(name.to_uppercase())),
                ("state", text(state.0)),
                ("state_desc", text(state.1)),
            ],
        )
    };
    permission(1, 0, "DATABASE", 0, "CONNECT", ("G", "GRANT"))?;
    // master: public's EXECUTE on the extended procedures documented as "Requires membership
    // in the public role".
    if db.name.eq_ignore_ascii_case("master") {
        for name in MASTER_PUBLIC_EXTENDED_PROCEDURES {
            let major = object_id(id, &format!("sys.{name}"));
            permission(0, 1, "OBJECT_OR_COLUMN", major, "EXECUTE", ("G", "GRANT"))?;
        }
    }
    if db.guest_enabled() {
        permission(2, 0, "DATABASE", 0, "CONNECT", ("G", "GRANT"))?;
    }
    for user in &db.users {
        permission(
            user.principal_id,
            0,
            "DATABASE",
            0,
            "CONNECT",
            ("G", "GRANT"),
        )?;
    }
    for p in &db.permissions {
        let Some(grantee) = grantee_id(&p.grantee) else {
            continue;
        };
        let (class, class_desc, major) = match &p.on {
            None => (0, "DATABASE", 0),
            Some(on) if on.to_uppercase().starts_with("SCHEMA::") => {
                (3, "SCHEMA", i64::from(schema_id(&on[8..])))
            }
            // IMPERSONATE / CONTROL / ALTER ON USER::x or ROLE::x: class 4 DATABASE_PRINCIPAL,
            // major_id the principal's id (learn.microsoft.com: sys.database_permissions).
            Some(on)
                if on.to_uppercase().starts_with("USER::")
                    || on.to_uppercase().starts_with("ROLE::") =>
            {
                let Some(target) = grantee_id(&on[6..]) else {
                    continue;
                };
                (4, "DATABASE_PRINCIPAL", i64::from(target))
            }
            Some(on) => {
                let on = on.strip_prefix("OBJECT::").unwrap_or(on);
                let (s, n) = object_ref(on);
                (1, "OBJECT_OR_COLUMN", object_id(id, &format!("{s}.{n}")))
            }
        };
        permission(
            grantee,
            class,
            class_desc,
            major,
            &p.permission,
            p.state.codes(),
        )?;
    }
    // Certificates and keys.
    for (n, cert) in db.certificates.iter().enumerate() {
        l.insert(
            "certificates",
            Some(id),
            &[
                ("name", text(&cert.name)),
                ("certificate_id", int(256 + n as i64)),
                ("principal_id", int(1)),
                ("pvt_key_encryption_type", text("MK")),
                (
                    "pvt_key_encryption_type_desc",
                    text("ENCRYPTED_BY_MASTER_KEY"),
                ),
                (
                    "issuer_name",
                    text(if cert.subject.is_empty() {
                        &cert.name
                    } else {
                        &cert.subject
                    }),
                ),
                ("cert_serial_number", text(hex(&digest(&cert.name)[..8]))),
                ("sid", blob(&digest(&cert.name))),
                (
                    "subject",
                    text(if cert.subject.is_empty() {
                        &cert.name
                    } else {
                        &cert.subject
                    }),
                ),
                (
                    "expiry_date",
                    text(
                        cert.expires
                            .as_ref()
                            .map_or("2030-11-04 10:15:00.000".into(), |w| w.to_datetime(anchor)),
                    ),
                ),
                ("start_date", text(INSTALL_DATE)),
                ("thumbprint", blob(&digest(&cert.name))),
                ("key_length", int(cert.key_length.unwrap_or(2048))),
                (
                    "pvt_key_last_backup_date",
                    cert.last_backup
                        .as_ref()
                        .map_or(Sql::Null, |w| text(w.to_datetime(anchor))),
                ),
            ],
        )?;
    }
    // The code and length of each algorithm_desc (learn.microsoft.com: sys.symmetric_keys,
    // `key_algorithm`): R2 RC2, R4 RC4, D DES, D3 TRIPLE_DES (192 bits), DT TRIPLE_DES_3KEY,
    // DX DESX, A1/A2/A3 AES_128/192/256.
    let algorithm = |desc: &str| -> (&'static str, i64) {
        match desc.to_ascii_uppercase().as_str() {
            "RC2" => ("R2", 128),
            "RC4" => ("R4", 40),
            "DES" => ("D", 56),
            "TRIPLE_DES" => ("D3", 192),
            "TRIPLE_DES_3KEY" => ("DT", 192),
            "DESX" => ("DX", 192),
            "AES_128" => ("A1", 128),
            "AES_192" => ("A2", 192),
            _ => ("A3", 256),
        }
    };
    let symmetric_key = |name: &str, key_id: i64, guid_seed: &str, desc: &str| {
        let (code, length) = algorithm(desc);
        l.insert(
            "symmetric_keys",
            Some(id),
            &[
                ("name", text(name)),
                ("principal_id", int(1)),
                ("symmetric_key_id", int(key_id)),
                ("key_length", int(length)),
                ("key_algorithm", text(code)),
                ("algorithm_desc", text(desc)),
                ("create_date", text(INSTALL_DATE)),
                ("modify_date", text(INSTALL_DATE)),
                (
                    "key_guid",
                    text(crate::engine::guid_text(&digest(guid_seed))),
                ),
            ],
        )
    };
    // A database master key where one was made (TDE needs one in master); the service master
    // key always exists in master.
    // Before SQL Server 2012 the master keys were TRIPLE_DES; 2012 and later create AES_256
    // ones (learn.microsoft.com: CREATE MASTER KEY, "Back up the Service Master Key").
    let default_master = if instance.version.major >= 11 {
        "AES_256"
    } else {
        "TRIPLE_DES"
    };
    if db.master_key.is_some()
        || (db.name == "master" && instance.databases.iter().any(|d| d.encryption.is_some()))
    {
        let desc = db
            .master_key
            .as_ref()
            .and_then(|k| k.algorithm.clone())
            .unwrap_or_else(|| default_master.to_owned());
        symmetric_key("##MS_DatabaseMasterKey##", 101, &db.name, &desc)?;
    }
    if db.name == "master" {
        symmetric_key("##MS_ServiceMasterKey##", 102, "smk", default_master)?;
    }
    for (n, key) in db.symmetric_keys.iter().enumerate() {
        symmetric_key(
            &key.name,
            256 + n as i64,
            &format!("{}:{}", db.name, key.name),
            &key.algorithm,
        )?;
    }
    for (n, key) in db.asymmetric_keys.iter().enumerate() {
        l.insert(
            "asymmetric_keys",
            Some(id),
            &[
                ("name", text(&key.name)),
                ("principal_id", int(1)),
                ("asymmetric_key_id", int(256 + n as i64)),
                ("pvt_key_encryption_type", text("MK")),
                (
                    "pvt_key_encryption_type_desc",
                    text("ENCRYPTED_BY_MASTER_KEY"),
                ),
                ("thumbprint", blob(&digest(&format!("asym:{}", key.name)))),
                // learn.microsoft.com: sys.asymmetric_keys, `algorithm`: 1R = 512-bit RSA,
                // 2R = 1024-bit RSA, 3R = 2048-bit RSA; the page gives no code for the longer
                // keys, left NULL here.
                (
                    "algorithm",
                    match key.key_length {
                        512 => text("1R"),
                        1024 => text("2R"),
                        2048 => text("3R"),
                        _ => Sql::Null,
                    },
                ),
                ("algorithm_desc", text(format!("RSA_{}", key.key_length))),
                ("key_length", int(key.key_length)),
            ],
        )?;
    }
    for (n, assembly) in db.assemblies.iter().enumerate() {
        let (set, desc) = match assembly.permission_set.to_ascii_uppercase().as_str() {
            "UNSAFE" => (3, "UNSAFE_ACCESS"),
            "EXTERNAL_ACCESS" => (2, "EXTERNAL_ACCESS"),
            _ => (1, "SAFE_ACCESS"),
        };
        l.insert(
            "assemblies",
            Some(id),
            &[
                ("name", text(&assembly.name)),
                ("principal_id", int(1)),
                ("assembly_id", int(65_536 + n as i64)),
                (
                    "clr_name",
                    text(format!(
                        "{}, version=1.0.0.0, culture=neutral, publickeytoken=null, processorarchitecture=msil",
                        assembly.name.to_lowercase()
                    )),
                ),
                ("permission_set", int(set)),
                ("permission_set_desc", text(desc)),
                ("is_visible", bit(true)),
                ("create_date", text(INSTALL_DATE)),
                ("modify_date", text(INSTALL_DATE)),
                ("is_user_defined", bit(true)),
            ],
        )?;
    }
    Ok(())
}

/// Upper-case hex with 0x.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::from("0x");
    for b in bytes {
        out.push_str(&format!("{b:02X}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The view list is parsed once and shared: a query allocates nothing for it (each query
    /// used to rebuild it and leak every column spec with `Box::leak`).
    #[test]
    fn the_catalog_table_list_is_built_once_and_shared() {
        assert!(std::ptr::eq(
            catalog_schema::objects(),
            catalog_schema::objects()
        ));
        let first = database_scoped(V2022);
        let again = database_scoped(V2022);
        assert_eq!(first, again);
        // The names handed out point into the one shared list.
        assert!(std::ptr::eq(first[0].1[0], again[0].1[0]));
        assert!(first.iter().any(|(name, _)| *name == "database_principals"));
    }
}
