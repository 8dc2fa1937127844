//! The catalog tables, with the column names and types of SQL Server's catalog views, filled
//! from an [`Instance`]. Declared types are T-SQL type names (SQLite keeps them verbatim), so
//! result columns can be sent with the types a real server sends.

use rusqlite::{Connection, params};

use crate::Instance;
use crate::instance::Startup;

/// One row of [`CONFIGURATIONS`].
type ConfigOption = (
    i64,
    &'static str,
    i64,
    i64,
    i64,
    bool,
    bool,
    u8,
    &'static str,
);

/// `sp_configure` options the audit reads: (id, name, default, minimum, maximum, is_dynamic,
/// is_advanced, first major version that has it, description).
#[rustfmt::skip]
const CONFIGURATIONS: &[ConfigOption] = &[
    (117, "remote access", 1, 0, 1, false, false, 10, "Allow remote access"),
    (400, "cross db ownership chaining", 0, 0, 1, true, false, 10, "Allow cross db ownership chaining"),
    (518, "show advanced options", 0, 0, 1, true, false, 10, "show advanced options"),
    (544, "c2 audit mode", 0, 0, 1, false, true, 10, "c2 audit mode"),
    (1544, "max server memory (MB)", 2_147_483_647, 128, 2_147_483_647, true, true, 10, "Maximum size of server memory (MB)"),
    (1547, "scan for startup procs", 0, 0, 1, false, true, 10, "scan for startup stored procedures"),
    (1562, "clr enabled", 0, 0, 1, true, false, 10, "CLR user code execution enabled in the server"),
    (1568, "default trace enabled", 1, 0, 1, true, true, 10, "Enable or disable the default trace"),
    (1576, "remote admin connections", 0, 0, 1, true, false, 10, "Dedicated Admin Connections are allowed from remote clients"),
    (1577, "common criteria compliance enabled", 0, 0, 1, false, true, 10, "Common Criteria compliance mode enabled"),
    (1586, "external scripts enabled", 0, 0, 1, true, false, 13, "Allows execution of external scripts"),
    (1587, "clr strict security", 1, 0, 1, true, true, 14, "CLR strict security enabled in the server"),
    (16386, "Database Mail XPs", 0, 0, 1, true, true, 10, "Enable or disable Database Mail XPs"),
    (16388, "Ole Automation Procedures", 0, 0, 1, true, true, 10, "Enable or disable Ole Automation Procedures"),
    (16390, "xp_cmdshell", 0, 0, 1, true, true, 10, "Enable or disable command shell"),
    (16391, "Ad Hoc Distributed Queries", 0, 0, 1, true, true, 10, "Enable or disable Ad Hoc Distributed Queries"),
    (16393, "contained database authentication", 0, 0, 1, true, false, 11, "Enables contained databases and contained authentication"),
];

/// Fixed server roles: (principal_id, name), as on every SQL Server since 2005.
const FIXED_ROLES: [(i64, &str); 10] = [
    (2, "public"),
    (3, "sysadmin"),
    (4, "securityadmin"),
    (5, "serveradmin"),
    (6, "setupadmin"),
    (7, "processadmin"),
    (8, "diskadmin"),
    (9, "dbcreator"),
    (10, "bulkadmin"),
    (11, "##MS_ServerStateReader##"),
];

/// System databases: (database_id, name).
const SYSTEM_DATABASES: [(i64, &str); 4] =
    [(1, "master"), (2, "tempdb"), (3, "model"), (4, "msdb")];

/// A date every catalog row carries, in SQL Server's `datetime` text form.
pub const INSTALL_DATE: &str = "2019-11-04 10:15:00.000";

const SCHEMA: &str = "
ATTACH DATABASE ':memory:' AS sys;
CREATE TABLE sys.server_principals (
    name sysname NOT NULL, principal_id int NOT NULL, sid varbinary(85), type char(1) NOT NULL,
    type_desc nvarchar(60), is_disabled bit, create_date datetime NOT NULL, modify_date datetime NOT NULL,
    default_database_name sysname, default_language_name sysname, credential_id int,
    owning_principal_id int, is_fixed_role bit NOT NULL);
CREATE TABLE sys.sql_logins (
    name sysname NOT NULL, principal_id int NOT NULL, sid varbinary(85), type char(1) NOT NULL,
    type_desc nvarchar(60), is_disabled bit, create_date datetime NOT NULL, modify_date datetime NOT NULL,
    default_database_name sysname, default_language_name sysname, credential_id int,
    owning_principal_id int, is_fixed_role bit NOT NULL, is_policy_checked bit, is_expiration_checked bit,
    password_hash varbinary(256));
CREATE TABLE sys.server_role_members (role_principal_id int NOT NULL, member_principal_id int NOT NULL);
CREATE TABLE sys.configurations (
    configuration_id int NOT NULL, name nvarchar(35) NOT NULL, value sql_variant, minimum sql_variant,
    maximum sql_variant, value_in_use sql_variant, description nvarchar(255), is_dynamic bit NOT NULL,
    is_advanced bit NOT NULL);
CREATE TABLE sys.databases (
    name sysname NOT NULL, database_id int NOT NULL, owner_sid varbinary(85), create_date datetime NOT NULL,
    compatibility_level tinyint NOT NULL, state_desc nvarchar(60), is_read_only bit, is_trustworthy_on bit,
    is_encrypted bit);
";

/// `sys.dm_server_services` exists from SQL Server 2008 R2 SP1 (10.50.2500) on.
const SERVICES_VIEW: &str = "CREATE TABLE sys.dm_server_services (
    servicename nvarchar(256), startup_type int, startup_type_desc nvarchar(256), status int,
    status_desc nvarchar(256), process_id int, last_startup_time datetime, service_account nvarchar(256),
    filename nvarchar(256), is_clustered nvarchar(1), cluster_nodename nvarchar(256){ifi})";

/// `sys.dm_os_host_info` exists from SQL Server 2017 (14.x) on.
const HOST_INFO_VIEW: &str = "CREATE TABLE sys.dm_os_host_info (
    host_platform nvarchar(256), host_distribution nvarchar(256), host_release nvarchar(256),
    host_service_pack_level nvarchar(256), host_sku int, os_language_version int{arch})";

/// 16 bytes derived from `text` (FNV-1a, two rounds): deterministic, so runs are reproducible.
fn digest(text: &str) -> Vec<u8> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = Vec::with_capacity(16);
    for round in 0..2u8 {
        for b in text.bytes().chain([round]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        out.extend_from_slice(&hash.to_le_bytes());
    }
    out
}

/// A deterministic SID for a SQL login (login names compare case-insensitively).
fn sid_for(name: &str) -> Vec<u8> {
    digest(&name.to_lowercase())
}

/// The simulator's `password_hash`: a version header and a case-sensitive digest. Not SQL
/// Server's algorithm — only `PWDCOMPARE` (below, same digest) has to agree with it.
pub fn password_hash(password: &str) -> Vec<u8> {
    let mut hash = vec![0x02, 0x00];
    hash.extend(digest(password));
    hash
}

/// The SID of a SQL login of `instance`, as the catalog holds it.
pub fn login_sid(instance: &Instance, name: &str) -> Option<Vec<u8>> {
    if instance.sa.name.eq_ignore_ascii_case(name) {
        return Some(vec![1]);
    }
    instance
        .logins
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(name))
        .map(|l| sid_for(&l.name))
}

/// The `database_id` of a database of `instance`, as the catalog numbers them.
pub fn database_id(instance: &Instance, name: &str) -> Option<i64> {
    SYSTEM_DATABASES
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(id, _)| *id)
        .or_else(|| {
            instance
                .databases
                .iter()
                .position(|d| d.name.eq_ignore_ascii_case(name))
                .map(|i| 5 + i as i64)
        })
}

/// Creates the catalog tables and loads `instance` into them.
pub fn load(conn: &Connection, instance: &Instance) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)?;
    let compatibility = i64::from(instance.version.0) * 10;
    let mut principal = conn.prepare(
        "INSERT INTO sys.server_principals VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, NULL, ?10, ?11)",
    )?;
    let mut sql_login = conn.prepare(
        "INSERT INTO sys.sql_logins VALUES (?1, ?2, ?3, 'S', 'SQL_LOGIN', ?4, ?5, ?5, 'master', 'us_english',
         NULL, NULL, 0, ?6, 0, ?7)",
    )?;
    let mut member = conn.prepare("INSERT INTO sys.server_role_members VALUES (?1, ?2)")?;
    for (id, name) in FIXED_ROLES {
        let owner = if id == 2 { None } else { Some(1) };
        principal.execute(params![
            name,
            id,
            vec![id as u8],
            "R",
            "SERVER_ROLE",
            0,
            INSTALL_DATE,
            None::<String>,
            None::<String>,
            owner,
            i64::from(id != 2)
        ])?;
    }
    let logins = std::iter::once((1i64, &instance.sa)).chain(
        instance
            .logins
            .iter()
            .enumerate()
            .map(|(i, l)| (256 + i as i64, l)),
    );
    for (id, login) in logins {
        let sid = if id == 1 {
            vec![1u8]
        } else {
            sid_for(&login.name)
        };
        let disabled = i64::from(!login.enabled);
        principal.execute(params![
            login.name,
            id,
            sid,
            "S",
            "SQL_LOGIN",
            disabled,
            INSTALL_DATE,
            "master",
            "us_english",
            None::<i64>,
            0
        ])?;
        let hash = password_hash(&login.password);
        sql_login.execute(params![
            login.name,
            id,
            sid,
            disabled,
            INSTALL_DATE,
            i64::from(login.policy_checked),
            hash
        ])?;
        let roles = if id == 1 {
            vec!["sysadmin".to_owned()]
        } else {
            login.server_roles.clone()
        };
        for role in roles {
            if let Some((role_id, _)) = FIXED_ROLES
                .iter()
                .find(|(_, r)| r.eq_ignore_ascii_case(&role))
            {
                member.execute(params![role_id, id])?;
            }
        }
    }
    let major = instance.version.0;
    let mut configuration =
        conn.prepare("INSERT INTO sys.configurations VALUES (?1, ?2, ?3, ?4, ?5, ?3, ?6, ?7, ?8)")?;
    for &(id, name, default, min, max, dynamic, advanced, since, description) in CONFIGURATIONS {
        if major < since {
            continue;
        }
        let value = instance
            .configurations
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or(default, |(_, v)| *v);
        configuration.execute(params![
            id,
            name,
            value,
            min,
            max,
            description,
            dynamic,
            advanced
        ])?;
    }

    let (_, minor, build, _) = instance.version;
    if major > 10 || (minor == 50 && build >= 2500) {
        let ifi = if major >= 13 {
            ", instant_file_initialization_enabled nvarchar(1)"
        } else {
            ""
        };
        conn.execute_batch(&SERVICES_VIEW.replace("{ifi}", ifi))?;
        let extra = if major >= 13 { ", 'N'" } else { "" };
        let mut service = conn.prepare(&format!(
            "INSERT INTO sys.dm_server_services VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'N', ''{extra})"
        ))?;
        let folder = instance
            .server_name
            .split('\\')
            .nth(1)
            .unwrap_or("MSSQLSERVER");
        for (i, s) in instance.services.iter().enumerate() {
            let (startup, startup_desc) = match s.startup {
                Startup::Automatic => (2, "Automatic"),
                Startup::Manual => (3, "Manual"),
                Startup::Disabled => (4, "Disabled"),
            };
            let (status, status_desc, pid) = if s.running {
                (4, "Running", Some(1000 + i as i64 * 4))
            } else {
                (1, "Stopped", None)
            };
            service.execute(params![
                s.name,
                startup,
                startup_desc,
                status,
                status_desc,
                pid,
                s.running.then_some(INSTALL_DATE),
                s.account,
                format!("\"C:\\Program Files\\Microsoft SQL Server\\MSSQL{major}.{folder}\\MSSQL\\Binn\\sqlservr.exe\""),
            ])?;
        }
    }
    if major >= 14 {
        let arch = if major >= 16 {
            ", host_architecture nvarchar(256)"
        } else {
            ""
        };
        conn.execute_batch(&HOST_INFO_VIEW.replace("{arch}", arch))?;
        let extra = if major >= 16 { ", 'X64'" } else { "" };
        conn.execute(
            &format!(
                "INSERT INTO sys.dm_os_host_info VALUES ('Windows', 'Windows Server 2019 Standard', '10.0', '', 7, 1033{extra})"
            ),
            [],
        )?;
    }

    let mut database = conn
        .prepare("INSERT INTO sys.databases VALUES (?1, ?2, X'01', ?3, ?4, 'ONLINE', 0, ?5, 0)")?;
    for (id, name) in SYSTEM_DATABASES {
        database.execute(params![
            name,
            id,
            INSTALL_DATE,
            compatibility,
            i64::from(name == "msdb")
        ])?;
    }
    for (i, db) in instance.databases.iter().enumerate() {
        database.execute(params![
            db.name,
            5 + i as i64,
            INSTALL_DATE,
            compatibility,
            i64::from(db.trustworthy)
        ])?;
    }
    Ok(())
}
