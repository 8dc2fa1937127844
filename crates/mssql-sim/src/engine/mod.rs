//! The query engine: T-SQL parsed with sqlparser (MsSql dialect), rewritten where T-SQL and
//! SQLite differ, and run against the catalog tables in an in-memory SQLite database.
//!
//! What is supported today: SELECT (joins, subqueries, CASE, aggregates, TOP, ORDER BY …) over
//! `sys.server_principals`, `sys.sql_logins`, `sys.server_role_members`, `sys.databases`,
//! `sys.configurations`, and, where the emulated version has them, `sys.dm_server_services`
//! (2008 R2 SP1+) and `sys.dm_os_host_info` (2017+); `SERVERPROPERTY` (as `sql_variant`),
//! `@@VERSION`, `@@SERVERNAME`, `@@SERVICENAME`, `@@SPID`, `@@LANGUAGE`, `SUSER_SNAME()`,
//! `SUSER_SID()`, `DB_NAME()`, `DB_ID()`, `IS_SRVROLEMEMBER`, `PWDCOMPARE`, `LOGINPROPERTY`,
//! `QUOTENAME`, `ISNULL`, `LEN`, `GETDATE()`. Anything else fails loudly with the
//! error a server would give (102 syntax, 208 invalid object, 207 invalid column, 195 unknown
//! function) — never an empty result. Every statement received is logged and classified.

mod catalog;
mod functions;
mod translate;

use std::io::Write as _;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use rusqlite::types::ValueRef;
use sqlparser::ast::{Set, Statement};
use sqlparser::dialect::MsSqlDialect;
use sqlparser::parser::Parser;

use crate::Instance;
use crate::tds::tokens::{ColumnType, Value};

/// Who is running the batch: what session-dependent functions return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The login name (`SUSER_SNAME()`).
    pub login: String,
    /// The current database (`DB_NAME()`).
    pub database: String,
    /// The session id (`@@SPID`).
    pub spid: u16,
}

/// An error as the server reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    /// Error number.
    pub number: i32,
    /// State.
    pub state: u8,
    /// Severity class.
    pub class: u8,
    /// Message text.
    pub text: String,
}

impl SqlError {
    fn syntax(near: &str, why: &str) -> SqlError {
        SqlError {
            number: 102,
            state: 1,
            class: 15,
            text: format!("Incorrect syntax near '{near}'. {why}"),
        }
    }
}

/// Whether a statement can change the instance. The audit must only ever send `Read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads state (SELECT, USE, DECLARE, SET of a variable).
    Read,
    /// Anything else, including what could not be parsed: unproven means possibly mutating.
    Mutating,
}

/// Where statement-log lines go (`--statement-log FILE`): one JSON object per line, shared by
/// every instance of a process.
pub type StatementSink = Arc<Mutex<Box<dyn std::io::Write + Send>>>;

/// One statement as the instance received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedStatement {
    /// The login that sent it.
    pub login: String,
    /// The statement's text (the whole batch when it could not be parsed).
    pub text: String,
    /// Its classification.
    pub access: Access,
}

/// The outcome of one statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A result set.
    Rows {
        /// Column names and types.
        columns: Vec<(String, ColumnType)>,
        /// Values, one vector per row.
        rows: Vec<Vec<Value>>,
    },
    /// The batch stopped here with this error.
    Error(SqlError),
}

/// One instance's catalog and the means to query it.
pub struct Engine {
    conn: Connection,
    session: Arc<Mutex<Session>>,
    log: Vec<LoggedStatement>,
    sink: Option<(String, StatementSink)>,
}

impl Engine {
    /// Builds the catalog of `instance`.
    pub fn new(instance: &Instance) -> rusqlite::Result<Engine> {
        let conn = Connection::open_in_memory()?;
        // A double-quoted name that matches no column must be an error, not a string literal.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)?;
        catalog::load(&conn, instance)?;
        let session = Arc::new(Mutex::new(Session {
            login: String::new(),
            database: "master".into(),
            spid: 51,
        }));
        functions::register(&conn, Arc::new(instance.clone()), Arc::clone(&session))?;
        Ok(Engine {
            conn,
            session,
            log: Vec::new(),
            sink: None,
        })
    }

    /// Runs a batch as `session`; stops at the first error, as SQL Server does for the errors
    /// the simulator raises.
    pub fn execute(&mut self, session: &Session, batch: &str) -> Vec<Outcome> {
        *self.session.lock().unwrap_or_else(|e| e.into_inner()) = session.clone();
        let statements = match Parser::parse_sql(&MsSqlDialect {}, batch) {
            Ok(statements) => statements,
            Err(e) => {
                self.record(LoggedStatement {
                    login: session.login.clone(),
                    text: batch.to_owned(),
                    access: Access::Mutating,
                });
                let text = e.to_string();
                let near = text
                    .split("found: ")
                    .nth(1)
                    .and_then(|r| r.split_whitespace().next())
                    .unwrap_or("");
                let near = near.trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
                return vec![Outcome::Error(SqlError::syntax(
                    near,
                    &format!("(simulator parser: {text})"),
                ))];
            }
        };
        let mut out = Vec::new();
        // Everything received is logged, whether or not an earlier error stops the batch.
        for statement in &statements {
            let access = match statement {
                Statement::Query(_) | Statement::Use(_) | Statement::Declare { .. } => Access::Read,
                Statement::Set(Set::SingleAssignment { .. }) => Access::Read,
                _ => Access::Mutating,
            };
            self.record(LoggedStatement {
                login: session.login.clone(),
                text: statement.to_string(),
                access,
            });
        }
        for statement in statements {
            let result = match translate::to_sqlite(statement) {
                Ok(translated) => self.query(&translated),
                Err(e) => Outcome::Error(e),
            };
            let failed = matches!(result, Outcome::Error(_));
            out.push(result);
            if failed {
                break;
            }
        }
        out
    }

    /// Also writes every statement, as a JSON line naming `instance`, to `sink`.
    pub fn log_to(&mut self, instance: &str, sink: StatementSink) {
        self.sink = Some((instance.to_owned(), sink));
    }

    fn record(&mut self, statement: LoggedStatement) {
        if let Some((instance, sink)) = &self.sink {
            let line = serde_json::json!({
                "instance": instance,
                "login": statement.login,
                "access": match statement.access { Access::Read => "read", Access::Mutating => "mutating" },
                "text": statement.text,
            });
            let mut sink = sink.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(e) = writeln!(sink, "{line}").and_then(|()| sink.flush()) {
                tracing::warn!("statement log: {e}");
            }
        }
        self.log.push(statement);
    }

    /// Every statement received so far, in order.
    pub fn statements(&self) -> &[LoggedStatement] {
        &self.log
    }

    fn query(&self, translated: &translate::Translated) -> Outcome {
        let sql = translated.sql.as_str();
        tracing::trace!(%sql, "sqlite");
        let mut statement = match self.conn.prepare(sql) {
            Ok(s) => s,
            Err(e) => return Outcome::Error(map_error(&e)),
        };
        let declared: Vec<(String, Option<ColumnType>)> = statement
            .columns()
            .enumerate()
            .map(|(i, c)| {
                let kind = if translated.variant_columns.contains(&i) {
                    Some(ColumnType::Variant)
                } else {
                    c.decl_type().map(declared_type)
                };
                (c.name().to_owned(), kind)
            })
            .collect();
        let width = declared.len();
        let mut rows = Vec::new();
        let mut cursor = match statement.query([]) {
            Ok(c) => c,
            Err(e) => return Outcome::Error(map_error(&e)),
        };
        loop {
            match cursor.next() {
                Ok(Some(row)) => {
                    let values: Result<Vec<Value>, _> =
                        (0..width).map(|i| row.get_ref(i).map(to_value)).collect();
                    match values {
                        Ok(v) => rows.push(v),
                        Err(e) => return Outcome::Error(map_error(&e)),
                    }
                }
                Ok(None) => break,
                Err(e) => return Outcome::Error(map_error(&e)),
            }
        }
        let columns = declared
            .into_iter()
            .enumerate()
            .map(|(i, (name, kind))| {
                (
                    name,
                    kind.unwrap_or_else(|| inferred_type(rows.iter().map(|r| &r[i]))),
                )
            })
            .collect();
        Outcome::Rows { columns, rows }
    }
}

/// The TDS type for a T-SQL declared type.
fn declared_type(decl: &str) -> ColumnType {
    let lower = decl.to_ascii_lowercase();
    match lower.split('(').next().unwrap_or("") {
        "int" | "smallint" | "tinyint" => ColumnType::Int,
        "bigint" => ColumnType::BigInt,
        "bit" => ColumnType::Bit,
        "varbinary" | "binary" => ColumnType::VarBinary,
        "datetime" => ColumnType::DateTime,
        "sql_variant" => ColumnType::Variant,
        _ => ColumnType::NVarChar,
    }
}

/// The type of a computed column, from its values (SQL Server would know it statically).
fn inferred_type<'a>(values: impl Iterator<Item = &'a Value>) -> ColumnType {
    let mut kind = None;
    for value in values {
        let this = match value {
            Value::Null => continue,
            Value::Int(i) if i32::try_from(*i).is_ok() => ColumnType::Int,
            Value::Int(_) => ColumnType::BigInt,
            Value::Bit(_) => ColumnType::Bit,
            Value::Text(_) => ColumnType::NVarChar,
            Value::Binary(_) => ColumnType::VarBinary,
            Value::Float(_) => ColumnType::Float,
        };
        kind = Some(match (kind, this) {
            (Some(ColumnType::BigInt), ColumnType::Int)
            | (Some(ColumnType::Int), ColumnType::BigInt) => ColumnType::BigInt,
            (Some(k), t) if k != t => ColumnType::NVarChar,
            (_, t) => t,
        });
    }
    kind.unwrap_or(ColumnType::Int)
}

fn to_value(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Float(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Binary(b.to_vec()),
    }
}

/// SQLite's complaint, as SQL Server would word it.
fn map_error(e: &rusqlite::Error) -> SqlError {
    let text = e.to_string();
    let quoted = |prefix: &str| {
        text.split(prefix)
            .nth(1)
            .map(|rest| rest.split_whitespace().next().unwrap_or("").to_owned())
    };
    if let Some(object) = quoted("no such table: ") {
        return SqlError {
            number: 208,
            state: 1,
            class: 16,
            text: format!("Invalid object name '{object}'."),
        };
    }
    if let Some(column) = quoted("no such column: ") {
        return SqlError {
            number: 207,
            state: 1,
            class: 16,
            text: format!("Invalid column name '{column}'."),
        };
    }
    if text.contains("Conversion failed when converting") {
        return SqlError {
            number: 245,
            state: 1,
            class: 16,
            text: "Conversion failed when converting a value to data type int.".into(),
        };
    }
    if let Some(function) = quoted("no such function: ") {
        return SqlError {
            number: 195,
            state: 10,
            class: 15,
            text: format!("'{function}' is not a recognized built-in function name."),
        };
    }
    SqlError::syntax(
        "",
        &format!("The simulator could not run this statement: {text}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Database, Login};

    fn engine() -> Engine {
        let mut instance = Instance::new(
            "SIM\\SQL2019",
            (15, 0, 2000, 5),
            "Enterprise Edition (64-bit)",
        );
        instance.sa = Login::new("sa", "Sa-Pass-1");
        instance.logins = vec![
            Login::new("app_admin", "app_admin").in_role("sysadmin"),
            Login::new("o'brien]x", "p"),
        ];
        instance.databases = vec![Database {
            name: "SalesDB".into(),
            trustworthy: true,
        }];
        instance.configurations = vec![("xp_cmdshell".into(), 1)];
        Engine::new(&instance).unwrap()
    }

    fn session() -> Session {
        Session {
            login: "autodbaudit".into(),
            database: "master".into(),
            spid: 52,
        }
    }

    fn rows(outcome: &Outcome) -> &Vec<Vec<Value>> {
        match outcome {
            Outcome::Rows { rows, .. } => rows,
            Outcome::Error(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn every_statement_is_logged_and_classified() {
        let mut e = engine();
        e.execute(
            &session(),
            "SELECT 1; USE master; DECLARE @x int; SET @x = 1",
        );
        e.execute(&session(), "DROP LOGIN app_admin");
        e.execute(&session(), "DELETE FROM sys.databases");
        let log = e.statements();
        assert_eq!(log.len(), 6);
        assert!(log[..4].iter().all(|s| s.access == Access::Read), "{log:?}");
        assert!(
            log[4..].iter().all(|s| s.access == Access::Mutating),
            "{log:?}"
        );
        assert_eq!(log[4].text, "DROP LOGIN app_admin");
        assert_eq!(log[0].login, "autodbaudit");
    }

    #[test]
    fn joins_filters_and_types_follow_the_catalog() {
        let mut e = engine();
        let out = e.execute(
            &session(),
            "SELECT TOP 5 p.name, p.principal_id, p.is_disabled, p.sid, r.name AS role
             FROM sys.server_principals AS p
             JOIN sys.server_role_members AS m ON m.member_principal_id = p.principal_id
             JOIN sys.server_principals AS r ON r.principal_id = m.role_principal_id
             WHERE r.name = N'sysadmin' ORDER BY p.principal_id",
        );
        let Outcome::Rows { columns, rows } = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(
            columns.iter().map(|c| c.1).collect::<Vec<_>>(),
            vec![
                ColumnType::NVarChar,
                ColumnType::Int,
                ColumnType::Bit,
                ColumnType::VarBinary,
                ColumnType::NVarChar
            ]
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][0], Value::Text("sa".into()));
        assert_eq!(rows[1][0], Value::Text("app_admin".into()));
    }

    #[test]
    fn version_dependent_views_and_variant_columns() {
        let mut e = engine();
        let out = e.execute(
            &session(),
            "SELECT name, value_in_use FROM sys.configurations WHERE name = 'xp_cmdshell'",
        );
        let Outcome::Rows {
            columns,
            rows: values,
        } = &out[0]
        else {
            panic!("{out:?}")
        };
        assert_eq!(columns[1].1, ColumnType::Variant);
        assert_eq!(values[0][1], Value::Int(1));
        let out = e.execute(
            &session(),
            "SELECT servicename, service_account, startup_type_desc FROM sys.dm_server_services",
        );
        assert_eq!(
            rows(&out[0])[0][1],
            Value::Text("NT Service\\MSSQL$SQL2019".into())
        );
        assert!(matches!(
            &e.execute(&session(), "SELECT host_platform FROM sys.dm_os_host_info")[0],
            Outcome::Rows { .. }
        ));

        let mut old = Engine::new(&Instance::new(
            "OLD",
            (10, 50, 1600, 1),
            "Standard Edition (64-bit)",
        ))
        .unwrap();
        for view in ["sys.dm_os_host_info", "sys.dm_server_services"] {
            let Outcome::Error(err) = &old.execute(&session(), &format!("SELECT * FROM {view}"))[0]
            else {
                panic!()
            };
            assert_eq!(err.number, 208, "{view} on 2008 R2 RTM");
        }
        let out = old.execute(
            &session(),
            "SELECT COUNT(*) FROM sys.configurations WHERE name = 'clr strict security'",
        );
        assert_eq!(rows(&out[0])[0][0], Value::Int(0));
    }

    #[test]
    fn functions_and_globals() {
        let mut e = engine();
        let out = e.execute(
            &session(),
            "SELECT SERVERPROPERTY('ProductVersion'), @@SERVERNAME, SUSER_SNAME(), QUOTENAME(name), ISNULL(NULL, 'x')
             FROM sys.sql_logins WHERE name LIKE 'o%'; SELECT @@VERSION",
        );
        assert_eq!(out.len(), 2);
        let r = &rows(&out[0])[0];
        assert_eq!(r[0], Value::Text("15.0.2000.5".into()));
        assert_eq!(r[1], Value::Text("SIM\\SQL2019".into()));
        assert_eq!(r[2], Value::Text("autodbaudit".into()));
        assert_eq!(r[3], Value::Text("[o'brien]]x]".into()));
        assert_eq!(r[4], Value::Text("x".into()));
        let Value::Text(version) = &rows(&out[1])[0][0] else {
            panic!()
        };
        assert!(
            version.starts_with("Microsoft SQL Server 2019") && version.contains("15.0.2000.5"),
            "{version}"
        );
    }

    #[test]
    fn plus_concatenates_text_and_adds_numbers() {
        let mut e = engine();
        let out = e.execute(&session(), "SELECT name + N' (' + type_desc + ')', principal_id + 1, 'a' + NULL FROM sys.server_principals WHERE principal_id = 1");
        assert_eq!(
            rows(&out[0])[0],
            vec![
                Value::Text("sa (SQL_LOGIN)".into()),
                Value::Int(2),
                Value::Null
            ]
        );
        let Outcome::Error(err) =
            &e.execute(&session(), "SELECT name + 1 FROM sys.server_principals")[0]
        else {
            panic!()
        };
        assert_eq!(err.number, 245);
    }

    #[test]
    fn security_functions() {
        let mut e = engine();
        let out = e.execute(
            &Session { login: "app_admin".into(), ..session() },
            "SELECT name, PWDCOMPARE(name, password_hash) AS same, PWDCOMPARE('', password_hash) AS empty,
                    PWDCOMPARE('APP_ADMIN', password_hash) AS upper,
                    IS_SRVROLEMEMBER('sysadmin', name) AS sa_role, IS_SRVROLEMEMBER('nope', name) AS bad_role,
                    IS_SRVROLEMEMBER('sysadmin') AS me, IS_SRVROLEMEMBER('public', name) AS pub,
                    CASE WHEN SUSER_SID(name) = sid THEN 1 ELSE 0 END AS sid_ok,
                    LOGINPROPERTY(name, 'IsLocked') AS locked, DB_ID('SalesDB') AS db
             FROM sys.sql_logins WHERE name = 'app_admin'",
        );
        let r = &rows(&out[0])[0];
        let ints: Vec<&Value> = r[1..].iter().collect();
        assert_eq!(
            ints,
            [1, 0, 0, 1]
                .iter()
                .map(|i| Value::Int(*i))
                .chain([Value::Null])
                .chain([1, 1, 1, 0, 5].iter().map(|i| Value::Int(*i)))
                .collect::<Vec<_>>()
                .iter()
                .collect::<Vec<_>>()
        );
        let Outcome::Rows { columns, .. } = &out[0] else {
            panic!()
        };
        assert_eq!(
            columns[9].1,
            ColumnType::Variant,
            "LOGINPROPERTY is sql_variant"
        );
    }

    #[test]
    fn errors_name_what_is_wrong_and_stop_the_batch() {
        let mut e = engine();
        let out = e.execute(&session(), "SELECT * FROM sys.no_such_view; SELECT 1");
        assert_eq!(out.len(), 1);
        let Outcome::Error(err) = &out[0] else {
            panic!()
        };
        assert_eq!(
            (err.number, err.text.as_str()),
            (208, "Invalid object name 'sys.no_such_view'.")
        );
        let Outcome::Error(err) = &e.execute(&session(), "SELECT nonsense FROM sys.databases")[0]
        else {
            panic!()
        };
        assert_eq!(err.number, 207);
        let Outcome::Error(err) = &e.execute(&session(), "SELEC 1")[0] else {
            panic!()
        };
        assert_eq!(err.number, 102);
        let Outcome::Error(err) = &e.execute(&session(), "SELECT FROBNICATE(1)")[0] else {
            panic!()
        };
        assert_eq!(err.number, 195);
        let Outcome::Error(err) = &e.execute(&session(), "DROP LOGIN app_admin")[0] else {
            panic!()
        };
        assert_eq!(err.number, 102);
        assert!(
            err.text.starts_with("Incorrect syntax near 'LOGIN'."),
            "{}",
            err.text
        );
        let Outcome::Error(err) = &e.execute(&session(), "DELETE FROM sys.databases")[0] else {
            panic!()
        };
        assert_eq!(err.number, 102);
        assert!(
            err.text.contains("does not run DELETE statements"),
            "{}",
            err.text
        );
    }
}
