//! The catalog tables, with the column names and types of SQL Server's catalog views, filled
//! from an [`Instance`]. Declared types are T-SQL type names (SQLite keeps them verbatim), so
//! result columns can be sent with the types a real server sends.

use rusqlite::{Connection, params};

use crate::Instance;

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
const INSTALL_DATE: &str = "2019-11-04 10:15:00.000";

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
CREATE TABLE sys.databases (
    name sysname NOT NULL, database_id int NOT NULL, owner_sid varbinary(85), create_date datetime NOT NULL,
    compatibility_level tinyint NOT NULL, state_desc nvarchar(60), is_read_only bit, is_trustworthy_on bit,
    is_encrypted bit);
";

/// A deterministic 16-byte SID for a SQL login, so that runs are reproducible.
fn sid_for(name: &str) -> Vec<u8> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = Vec::with_capacity(16);
    for round in 0..2u8 {
        for b in name.to_lowercase().bytes().chain([round]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        out.extend_from_slice(&hash.to_le_bytes());
    }
    out
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
        // A stand-in hash: the real algorithm is irrelevant, PWDCOMPARE uses the fixture's password.
        let mut hash = vec![0x02, 0x00];
        hash.extend(sid_for(&login.password));
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
