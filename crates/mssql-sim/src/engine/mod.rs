//! The query engine. A batch is split into statements (`script.rs`); queries are rewritten for
//! SQLite (`translate.rs`) and run against catalog tables rebuilt from the instance model
//! (`catalog.rs`) for the connected login's rights (`security.rs`); control flow, variables,
//! procedures (`procedures.rs`) and the statements that change the server (`mutations.rs`) run
//! here against the model. Temporary tables and table variables (`temp_tables.rs`) are
//! SQLite tables of their session or batch, cursors (`cursors.rs`) the session's; APPLY is
//! rewritten for SQLite in `apply.rs`. Errors are SQL Server's (numbers, states, severities, and whether
//! they stop the batch); anything unsupported fails loudly, never with an empty result.
//! Every statement received is logged and classified read / mutation / refused
//! (`statement_log.rs`, bounded in memory).

mod apply;
mod catalog;
mod cursors;
mod functions;
mod mutations;
mod procedures;
mod registry;
mod script;
mod security;
mod statement_log;
mod temp_tables;
mod translate;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use rusqlite::types::ValueRef;
use sqlparser::ast::{Expr, Statement, VisitMut, VisitorMut};

pub use catalog::ConnectionInfo;
pub use security::Viewer;
pub use statement_log::{
    Access, LoggedStatement, STATEMENT_LOG_BYTES, STATEMENT_LOG_CAPACITY, StatementCounts,
    StatementSink,
};

use crate::Instance;
use crate::instance::{Authentication, LoginKind};
use crate::tds::tokens::{ColumnType, Value};
use script::{Kind, Stmt};

/// The collation every simulated instance uses.
pub const COLLATION_NAME: &str = "SQL_Latin1_General_CP1_CI_AS";

/// A connected session: who it is and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The login name (`SUSER_SNAME()`).
    pub login: String,
    /// The current database (`DB_NAME()`).
    pub database: String,
    /// The session id (`@@SPID`).
    pub spid: u16,
    /// The server principals it acts as: its login and the Windows groups it came through.
    pub principals: Vec<i32>,
}

impl Session {
    /// A session of `login` (its own principal only) in master: for tests and tools.
    pub fn of(instance: &Instance, login: &str, spid: u16) -> Session {
        Session {
            login: login.to_owned(),
            database: "master".into(),
            spid,
            principals: instance
                .login(login)
                .map(|l| vec![l.principal_id])
                .unwrap_or_default(),
        }
    }
}

/// An error or message as the server reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    /// Error number.
    pub number: i32,
    /// State.
    pub state: u8,
    /// Severity class (0–10 informational).
    pub class: u8,
    /// Message text.
    pub text: String,
}

impl SqlError {
    /// Error 102 near `near`, with the reason the simulator could not parse.
    pub fn syntax(near: &str, why: &str) -> SqlError {
        SqlError {
            number: 102,
            state: 1,
            class: 15,
            text: format!("Incorrect syntax near '{near}'. {why}"),
        }
    }

    /// A message of `number`, `class` and `text`, state 1.
    pub fn new(number: i32, class: u8, text: impl Into<String>) -> SqlError {
        SqlError {
            number,
            state: 1,
            class,
            text: text.into(),
        }
    }

    /// Whether SQL Server stops the whole batch after this error (name resolution,
    /// conversion and syntax errors, THROW) rather than only the statement.
    fn aborts_batch(&self) -> bool {
        matches!(
            self.number,
            102 | 208 | 207 | 209 | 174 | 189 | 4104 | 245 | 8114 | 195 | 156 | 137
        ) || self.number >= 50000 && self.class >= 16
    }
}

/// What one statement produced, in the order the client receives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A result set.
    Rows {
        /// Column names and types.
        columns: Vec<(String, ColumnType)>,
        /// Values, one vector per row.
        rows: Vec<Vec<Value>>,
        /// The columns documented as never NULL (COLMETADATA sends them without fNullable);
        /// shorter than `columns` (or empty) where the rest may be NULL.
        not_null: Vec<bool>,
    },
    /// A statement without a result set finished (`rows` affected, when counted).
    Done {
        /// Rows affected.
        rows: Option<u64>,
    },
    /// An informational message (PRINT, "Changed database context", configuration notes).
    Info(SqlError),
    /// An error; the statement ended.
    Error(SqlError),
    /// The current database changed (`USE`): ENVCHANGE.
    DatabaseChanged {
        /// New database.
        new: String,
        /// Previous database.
        old: String,
    },
    /// A procedure's return status (RPC).
    ReturnStatus(i32),
    /// A transaction began, committed or rolled back: ENVCHANGE 8, 9 or 10.
    Transaction(TransactionChange),
}

/// A change of a session's transaction, with its 8-byte descriptor (MS-TDS 2.2.5.3.2: "a number
/// that uniquely identifies the transaction ... generated by the server when a new transaction
/// is created and returned to the client as part of the ENVCHANGE token stream").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionChange {
    /// The outermost BEGIN TRANSACTION (@@TRANCOUNT 0 → 1).
    Begin(u64),
    /// The outermost COMMIT (@@TRANCOUNT 1 → 0).
    Commit(u64),
    /// A ROLLBACK of the whole transaction (@@TRANCOUNT → 0).
    Rollback(u64),
}

/// A session's open transaction: the state to return to on ROLLBACK (the engine's changes are
/// to the instance model, so a snapshot of it is an exact undo), @@TRANCOUNT, the descriptor,
/// and the savepoints (SAVE TRANSACTION) with their snapshots.
///
/// The snapshot is whole-instance, so a rollback also undoes what other sessions changed after
/// it was taken. To keep that from touching sessions that only read, a transaction begun by a
/// Transaction Manager request (ODBC with autocommit off is always inside one) takes its
/// snapshot at its first statement that may change something; BEGIN TRAN takes it at once.
struct Transaction {
    count: u32,
    snapshot: Option<Instance>,
    descriptor: u64,
    savepoints: Vec<(String, Instance)>,
}

/// Why a login was refused: the number, the state the server logs, and the client's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRefused {
    /// The error the client gets.
    pub error: SqlError,
    /// The reason a real server writes only to its error log (18456 states 5, 8, 58, …).
    pub reason: &'static str,
}

impl LoginRefused {
    /// 18456 "Login failed for user" — all a client is told for most refusals — with the
    /// reason only the server log gets.
    pub fn failed(user: &str, reason: &'static str) -> LoginRefused {
        LoginRefused {
            error: SqlError::new(18456, 14, format!("Login failed for user '{user}'.")),
            reason,
        }
    }

    /// 18470: the login is disabled.
    pub fn disabled(user: &str) -> LoginRefused {
        LoginRefused {
            error: SqlError::new(
                18470,
                14,
                format!("Login failed for user '{user}'. Reason: The account is disabled."),
            ),
            reason: "state 1: disabled",
        }
    }
}

/// What functions see while a statement runs.
pub(crate) struct State {
    pub instance: Instance,
    pub session: Session,
    pub viewer: Viewer,
    /// The error a CATCH block handles (ERROR_NUMBER(), ERROR_MESSAGE()).
    pub caught: Option<SqlError>,
    /// @@TRANCOUNT.
    pub trancount: u32,
    /// The moment relative fixture dates count from (the engine's start).
    pub anchor: time::PrimitiveDateTime,
    /// @@FETCH_STATUS of the session running.
    pub fetch_status: i64,
}

/// Variables of one batch.
type Variables = HashMap<String, Value>;

/// One instance's state and the means to query and change it.
pub struct Engine {
    conn: Connection,
    state: Arc<Mutex<State>>,
    /// The last statements received, and the counts of all (bounded: `statement_log.rs`).
    log: statement_log::StatementLog,
    /// Batches and RPC calls received: the client's round trips.
    batches: usize,
    /// The viewer the catalog tables were last built for; None = rebuild before next query.
    built_for: Option<(String, Vec<i32>)>,
    connections: Vec<ConnectionInfo>,
    /// Open transactions, per session.
    transactions: HashMap<u16, Transaction>,
    /// The last transaction descriptor handed out.
    last_descriptor: u64,
    anchor: time::PrimitiveDateTime,
    /// Cursors and @@FETCH_STATUS, per session.
    cursors: cursors::Cursors,
    /// How deep the batch running is: 1 for a client's batch, one more for each dynamic SQL
    /// or `sp_executesql` inside it (table variables and LOCAL cursors live at one depth).
    depth: u32,
    /// The global temporary tables (`##t`, SQLite names) each session created.
    global_temp_tables: HashMap<u16, Vec<String>>,
    /// Local temporary tables created inside dynamic SQL or `sp_executesql` (session, depth,
    /// SQLite name): dropped when that batch ends.
    scoped_temp_tables: Vec<(u16, u32, String)>,
}

/// How a batch ends early.
enum Flow {
    /// RETURN.
    Return,
    /// BREAK: out of the innermost WHILE.
    Break,
    /// CONTINUE: to the innermost WHILE's next test.
    Continue,
    /// An error that stops the batch (or jumps to CATCH).
    Abort(SqlError),
}

impl Engine {
    /// Builds the catalog of `instance` (normalized first).
    pub fn new(instance: &Instance) -> rusqlite::Result<Engine> {
        let mut instance = instance.clone();
        instance
            .normalize()
            .map_err(|e| rusqlite::Error::InvalidParameterName(e.0))?;
        let conn = Connection::open_in_memory()?;
        // A double-quoted name that matches no column must be an error, not a string literal.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)?;
        catalog::create(&conn, instance.version)?;
        let session = Session::of(&instance, "", 0);
        let anchor = crate::instance::when::now();
        let state = Arc::new(Mutex::new(State {
            instance,
            session,
            viewer: Viewer::default(),
            caught: None,
            trancount: 0,
            anchor,
            fetch_status: -1,
        }));
        functions::register(&conn, Arc::clone(&state))?;
        Ok(Engine {
            conn,
            state,
            log: statement_log::StatementLog::default(),
            batches: 0,
            built_for: None,
            connections: Vec::new(),
            transactions: HashMap::new(),
            last_descriptor: 0,
            anchor,
            cursors: cursors::Cursors::default(),
            depth: 0,
            global_temp_tables: HashMap::new(),
            scoped_temp_tables: Vec::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the instance as it is now (after every change so far).
    pub fn instance(&self) -> Instance {
        self.lock().instance.clone()
    }

    /// Applies what a service restart applies: `sp_configure` values of static options
    /// become the values in use.
    pub fn restart(&mut self) {
        let mut state = self.lock();
        for setting in state.instance.configuration.values_mut() {
            *setting = crate::instance::Setting::Value(setting.pair().0);
        }
        drop(state);
        self.built_for = None;
    }

    /// Checks a SQL authentication login as SQL Server does.
    pub fn login_sql(
        &mut self,
        user: &str,
        password: &str,
        spid: u16,
    ) -> Result<Session, LoginRefused> {
        let state = self.lock();
        let instance = &state.instance;
        let failed = |reason| LoginRefused::failed(user, reason);
        if instance.faults.fail_logins {
            return Err(failed("fault injected: fail_logins"));
        }
        if instance.authentication == Authentication::Windows {
            return Err(LoginRefused {
                error: SqlError::new(
                    18456,
                    14,
                    format!(
                        "Login failed for user '{user}'. Reason: An attempt to login using SQL authentication failed. Server is configured for Windows authentication only."
                    ),
                ),
                reason: "state 58: SQL authentication on a Windows-only server",
            });
        }
        let Some(login) = instance.login(user).filter(|l| l.kind == LoginKind::Sql) else {
            return Err(failed("state 5: no such login"));
        };
        if login.password.as_deref() != Some(password) {
            return Err(failed("state 8: wrong password"));
        }
        if !login.enabled {
            return Err(LoginRefused::disabled(user));
        }
        if login.locked {
            return Err(LoginRefused {
                error: SqlError::new(
                    18486,
                    14,
                    format!(
                        "Login failed for user '{user}' because the account is currently locked out. The system administrator can unlock it."
                    ),
                ),
                reason: "locked out",
            });
        }
        Ok(Session {
            login: login.name.clone(),
            database: "master".into(),
            spid,
            principals: vec![login.principal_id],
        })
    }

    /// The Windows password of `DOMAIN\user` (NTLM verifies the client's proof against it).
    pub fn windows_password(&self, account: &str) -> Option<String> {
        self.lock()
            .instance
            .windows_account(account)
            .map(|a| a.password.clone())
    }

    /// Admits an authenticated Windows account: through its own login or any of its groups'
    /// logins, as SQL Server does.
    pub fn login_windows(&mut self, account: &str, spid: u16) -> Result<Session, LoginRefused> {
        let state = self.lock();
        let instance = &state.instance;
        let failed = |reason| LoginRefused::failed(account, reason);
        if instance.faults.fail_logins {
            return Err(failed("fault injected: fail_logins"));
        }
        let groups: Vec<String> = instance
            .windows_account(account)
            .map(|a| a.groups.clone())
            .unwrap_or_default();
        let direct = instance
            .login(account)
            .filter(|l| l.kind == LoginKind::WindowsUser);
        if let Some(login) = direct
            && !login.enabled
        {
            return Err(LoginRefused::disabled(account));
        }
        let mut principals: Vec<i32> = direct.map(|l| l.principal_id).into_iter().collect();
        for group in &groups {
            if let Some(login) = instance
                .login(group)
                .filter(|l| l.kind == LoginKind::WindowsGroup && l.enabled)
            {
                principals.push(login.principal_id);
            }
        }
        if principals.is_empty() {
            return Err(failed("state 11: valid Windows account without a login"));
        }
        let name = direct.map_or(account.to_owned(), |l| l.name.clone());
        Ok(Session {
            login: name,
            database: "master".into(),
            spid,
            principals,
        })
    }

    /// A connection opened (for `sys.dm_exec_connections`).
    pub fn connected(&mut self, info: ConnectionInfo) {
        self.connections.push(info);
        self.built_for = None;
    }

    /// A connection closed: its open transaction is rolled back.
    pub fn disconnected(&mut self, spid: u16) {
        self.connections.retain(|c| c.spid != spid);
        // Its temporary tables, the global ones it created, and its cursors go with it.
        let globals = self.global_temp_tables.remove(&spid).unwrap_or_default();
        temp_tables::drop_session(&self.conn, spid, &globals);
        self.cursors.session_ended(spid);
        if let Some(snapshot) = self.transactions.remove(&spid).and_then(|t| t.snapshot) {
            self.lock().instance = snapshot;
        }
        self.built_for = None;
    }

    /// @@TRANCOUNT of a session.
    pub fn trancount(&self, spid: u16) -> u32 {
        self.transactions.get(&spid).map_or(0, |t| t.count)
    }

    /// The descriptor of a session's open transaction, if it has one.
    pub fn transaction_descriptor(&self, spid: u16) -> Option<u64> {
        self.transactions.get(&spid).map(|t| t.descriptor)
    }

    /// BEGIN TRANSACTION (or TM_BEGIN_XACT): starts a transaction, or increments @@TRANCOUNT
    /// inside one ("BEGIN TRANSACTION increments @@TRANCOUNT by 1", learn.microsoft.com
    /// begin-transaction-transact-sql). Returns the new descriptor when a transaction started.
    /// `lazy`: take the rollback snapshot at the first statement that may change something
    /// (see [`Transaction`]), not now.
    pub fn begin_transaction(&mut self, spid: u16, lazy: bool) -> Option<u64> {
        let started = if let Some(t) = self.transactions.get_mut(&spid) {
            t.count += 1;
            None
        } else {
            // Descriptors are unique per server; any 8 bytes will do for clients, which only
            // echo them (MS-TDS 2.2.5.3.2).
            self.last_descriptor += 1;
            let descriptor = 0x0000_0100_0000_0000 | self.last_descriptor;
            let snapshot = (!lazy).then(|| self.lock().instance.clone());
            self.transactions.insert(
                spid,
                Transaction {
                    count: 1,
                    snapshot,
                    descriptor,
                    savepoints: Vec::new(),
                },
            );
            Some(descriptor)
        };
        self.lock().trancount = self.trancount(spid);
        started
    }

    /// COMMIT (or TM_COMMIT_XACT): decrements @@TRANCOUNT; the outermost commit ends the
    /// transaction and returns its descriptor. Without a transaction: 3902, severity 16
    /// (learn.microsoft.com commit-transaction-transact-sql, "Error 3902").
    pub fn commit_transaction(&mut self, spid: u16) -> Result<Option<u64>, SqlError> {
        let ended = match self.transactions.get_mut(&spid) {
            Some(t) if t.count > 1 => {
                t.count -= 1;
                None
            }
            Some(_) => self.transactions.remove(&spid).map(|t| t.descriptor),
            None => {
                return Err(SqlError::new(
                    3902,
                    16,
                    "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.",
                ));
            }
        };
        self.lock().trancount = self.trancount(spid);
        Ok(ended)
    }

    /// ROLLBACK (or TM_ROLLBACK_XACT): without a savepoint, undoes every change since the
    /// outermost BEGIN TRANSACTION, sets @@TRANCOUNT to 0 and returns the descriptor ("ROLLBACK
    /// TRANSACTION without a savepoint_name or transaction_name rolls back to the beginning of
    /// the transaction ... decrements @@TRANCOUNT to 0"); to a savepoint, undoes the changes
    /// since it and leaves the transaction and @@TRANCOUNT as they are ("ROLLBACK TRANSACTION
    /// savepoint_name does not decrement @@TRANCOUNT"), learn.microsoft.com
    /// rollback-transaction-transact-sql. A name that is neither the savepoint nor (for the
    /// whole transaction) given: 6401; no transaction: 3903.
    pub fn rollback_transaction(
        &mut self,
        spid: u16,
        savepoint: Option<&str>,
    ) -> Result<Option<u64>, SqlError> {
        let Some(t) = self.transactions.get_mut(&spid) else {
            return Err(SqlError::new(
                3903,
                16,
                "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.",
            ));
        };
        if let Some(name) = savepoint.filter(|n| !n.is_empty()) {
            // The most recent savepoint of that name (names may repeat).
            let Some(at) = t.savepoints.iter().rposition(|(n, _)| n == name) else {
                return Err(SqlError::new(
                    6401,
                    16,
                    format!(
                        "Cannot roll back {name}. No transaction or savepoint of that name was found."
                    ),
                ));
            };
            let snapshot = t.savepoints[at].1.clone();
            t.savepoints.truncate(at + 1);
            self.lock().instance = snapshot;
            self.changed();
            return Ok(None);
        }
        let t = self.transactions.remove(&spid).expect("checked above");
        let mut state = self.lock();
        if let Some(snapshot) = t.snapshot {
            state.instance = snapshot;
        }
        state.trancount = 0;
        drop(state);
        self.changed();
        Ok(Some(t.descriptor))
    }

    /// Before a statement that may change something: a lazily begun transaction of the session
    /// takes its rollback snapshot now.
    fn snapshot_before_change(&mut self, spid: u16) {
        if self
            .transactions
            .get(&spid)
            .is_some_and(|t| t.snapshot.is_none())
        {
            let snapshot = self.lock().instance.clone();
            if let Some(t) = self.transactions.get_mut(&spid) {
                t.snapshot = Some(snapshot);
            }
        }
    }

    /// SAVE TRANSACTION (or TM_SAVE_XACT): a savepoint to roll back to. Outside a transaction:
    /// 628 (learn.microsoft.com save-transaction-transact-sql; the message as SQL Server's
    /// sys.messages words it).
    pub fn save_transaction(&mut self, spid: u16, name: &str) -> Result<(), SqlError> {
        let snapshot = self.lock().instance.clone();
        let Some(t) = self.transactions.get_mut(&spid) else {
            return Err(SqlError::new(
                628,
                16,
                "Cannot issue SAVE TRANSACTION when there is no active transaction.",
            ));
        };
        t.savepoints.push((name.to_owned(), snapshot));
        Ok(())
    }

    /// Also writes every statement, as a JSON line naming `instance`, to `sink`.
    pub fn log_to(&mut self, instance: &str, sink: StatementSink) {
        self.log.log_to(instance, sink);
    }

    /// The statements received, in order: all of them, or the last
    /// [`STATEMENT_LOG_CAPACITY`] once more came (see [`Engine::statement_counts`]).
    pub fn statements(&self) -> &[LoggedStatement] {
        self.log.statements()
    }

    /// How many statements of each kind were received since the start, and how many the
    /// bounded log dropped: never dropped themselves.
    pub fn statement_counts(&self) -> StatementCounts {
        self.log.counts()
    }

    /// How many batches (and RPC calls) were received: the round trips clients made.
    pub fn batches(&self) -> usize {
        self.batches
    }

    fn record(&mut self, statement: LoggedStatement) {
        self.log.record(statement, self.batches);
    }

    /// Runs a batch as `session` (whose current database may change). A syntax error stops
    /// the whole batch before anything runs; other errors end their statement or the batch
    /// as on SQL Server.
    pub fn execute(&mut self, session: &mut Session, batch: &str) -> Vec<Outcome> {
        self.batches += 1;
        self.execute_with(session, batch, Variables::new())
    }

    /// `sp_executesql`: runs `statement` with `params` as variables.
    pub fn execute_with_params(
        &mut self,
        session: &mut Session,
        statement: &str,
        params: &[(String, Value)],
    ) -> Vec<Outcome> {
        let vars = params
            .iter()
            .map(|(n, v)| {
                let n = if n.starts_with('@') {
                    n.clone()
                } else {
                    format!("@{n}")
                };
                (n.to_lowercase(), v.clone())
            })
            .collect();
        self.execute_with(session, statement, vars)
    }

    /// An RPC call. `sp_executesql` runs its statement with the named parameters as
    /// variables; any other procedure runs as `EXEC procedure` with the values bound the same
    /// way (never spliced into SQL text).
    pub fn call(
        &mut self,
        session: &mut Session,
        procedure: &str,
        params: &[(String, Value)],
    ) -> Vec<Outcome> {
        self.call_with_outputs(session, procedure, params, &[]).0
    }

    /// As [`Engine::call`], also returning the final value of each parameter flagged in
    /// `outputs` (an OUTPUT parameter, sent back with RETURNVALUE), `None` for the others.
    pub fn call_with_outputs(
        &mut self,
        session: &mut Session,
        procedure: &str,
        params: &[(String, Value)],
        outputs: &[bool],
    ) -> (Vec<Outcome>, Vec<Option<Value>>) {
        self.batches += 1;
        let is_output = |i: usize| outputs.get(i).copied().unwrap_or(false);
        let base = procedure.rsplit('.').next().unwrap_or(procedure);
        if base.eq_ignore_ascii_case("sp_executesql") {
            let statement = params.first().map(|p| p.1.as_text()).unwrap_or_default();
            let var_name = |n: &str| {
                if n.starts_with('@') {
                    n.to_lowercase()
                } else {
                    format!("@{}", n.to_lowercase())
                }
            };
            let vars: Variables = params
                .iter()
                .skip(2)
                .filter(|(n, _)| !n.is_empty())
                .map(|(n, v)| (var_name(n), v.clone()))
                .collect();
            // sp_executesql runs its statement as a batch of its own, one level down: its
            // table variables and temporary tables end with it.
            self.depth += 1;
            let (out, vars) = self.execute_vars(session, &statement, vars);
            self.depth -= 1;
            let values = params
                .iter()
                .enumerate()
                .map(|(i, (n, _))| {
                    (i >= 2 && is_output(i))
                        .then(|| vars.get(&var_name(n)).cloned())
                        .flatten()
                })
                .collect();
            return (out, values);
        }
        let name = procedure
            .split('.')
            .map(|part| format!("[{}]", part.trim_matches(['[', ']']).replace(']', "]]")))
            .collect::<Vec<_>>()
            .join(".");
        let mut vars = Vec::new();
        let mut args = Vec::new();
        for (i, (param, value)) in params.iter().enumerate() {
            let var = format!("@__p{i}");
            let output = if is_output(i) { " OUTPUT" } else { "" };
            args.push(if param.is_empty() {
                format!("{var}{output}")
            } else {
                format!("{param} = {var}{output}")
            });
            vars.push((var, value.clone()));
        }
        let vars: Variables = vars.into_iter().collect();
        let (out, vars) =
            self.execute_vars(session, &format!("EXEC {name} {}", args.join(", ")), vars);
        let values = (0..params.len())
            .map(|i| {
                is_output(i)
                    .then(|| vars.get(&format!("@__p{i}")).cloned())
                    .flatten()
            })
            .collect();
        (out, values)
    }

    fn execute_with(
        &mut self,
        session: &mut Session,
        batch: &str,
        vars: Variables,
    ) -> Vec<Outcome> {
        self.execute_vars(session, batch, vars).0
    }

    /// Runs a batch with `vars` and returns its outcomes and the variables as it left them.
    fn execute_vars(
        &mut self,
        session: &mut Session,
        batch: &str,
        mut vars: Variables,
    ) -> (Vec<Outcome>, Variables) {
        let statements = match script::parse(batch) {
            Ok(s) => s,
            Err(e) => {
                self.record(LoggedStatement {
                    login: session.login.clone(),
                    database: session.database.clone(),
                    text: batch.to_owned(),
                    access: Access::Refused,
                });
                return (vec![Outcome::Error(e)], vars);
            }
        };
        for statement in &statements {
            self.record(LoggedStatement {
                login: session.login.clone(),
                database: session.database.clone(),
                text: statement.text.clone(),
                access: if statement.kind.is_read() {
                    Access::Read
                } else {
                    Access::Mutating
                },
            });
        }
        {
            let mut state = self.lock();
            state.session = session.clone();
            state.viewer = Viewer::of(
                &state.instance,
                &session.login,
                &session.principals,
                session.spid,
            );
            state.trancount = self.trancount(session.spid);
            state.fetch_status = self.cursors.fetch_status(session.spid);
        }
        self.depth += 1;
        let depth = self.depth;
        let mut out = Vec::new();
        for statement in &statements {
            if !statement.kind.is_read()
                && !matches!(
                    statement.kind,
                    Kind::BeginTransaction | Kind::Commit | Kind::Rollback(_) | Kind::Save(_)
                )
            {
                self.snapshot_before_change(session.spid);
            }
            match self.run(session, statement, &mut vars, &mut out) {
                Ok(()) => {}
                // BREAK and CONTINUE outside a WHILE are refused when parsing (135).
                Err(Flow::Return | Flow::Break | Flow::Continue) => break,
                Err(Flow::Abort(e)) => {
                    out.push(Outcome::Error(e));
                    break;
                }
            }
        }
        // The batch's table variables and LOCAL cursors end with it, and the temporary tables
        // a nested batch created.
        temp_tables::drop_table_variables(&self.conn, session.spid, depth);
        let spid = session.spid;
        for (.., table) in self
            .scoped_temp_tables
            .extract_if(.., |(s, d, _)| *s == spid && *d == depth)
        {
            temp_tables::drop_table(&self.conn, &table);
        }
        self.cursors.batch_ended(session.spid, depth);
        self.depth = depth - 1;
        (out, vars)
    }

    /// Rebuilds the catalog tables if the model changed or another login is looking.
    fn refresh(&mut self) -> Result<(), SqlError> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let key = (state.viewer.login.clone(), state.viewer.principals.clone());
        if self.built_for.as_ref() == Some(&key) {
            return Ok(());
        }
        catalog::load(
            &self.conn,
            &state.instance,
            &state.viewer,
            &self.connections,
            self.anchor,
        )
        .map_err(|e| SqlError::new(40000, 16, format!("simulator catalog: {e}")))?;
        drop(state);
        self.built_for = Some(key);
        Ok(())
    }

    /// The model changed: the catalog must be rebuilt before the next query.
    fn changed(&mut self) {
        self.built_for = None;
    }

    fn run(
        &mut self,
        session: &mut Session,
        stmt: &Stmt,
        vars: &mut Variables,
        out: &mut Vec<Outcome>,
    ) -> Result<(), Flow> {
        match self.run_inner(session, stmt, vars, out) {
            Ok(()) => Ok(()),
            Err(Flow::Abort(e)) if !e.aborts_batch() => {
                out.push(Outcome::Error(e));
                Ok(())
            }
            Err(other) => Err(other),
        }
    }

    fn run_inner(
        &mut self,
        session: &mut Session,
        stmt: &Stmt,
        vars: &mut Variables,
        out: &mut Vec<Outcome>,
    ) -> Result<(), Flow> {
        match &stmt.kind {
            Kind::Query(query) => {
                let rows = self.query(query, vars)?;
                out.push(rows);
            }
            Kind::SelectAssign { targets, query } => {
                let Outcome::Rows { rows, .. } = self.query(query, vars)? else {
                    return Ok(());
                };
                if let Some(last) = rows.last() {
                    for (name, value) in targets.iter().zip(last) {
                        vars.insert(name.to_lowercase(), value.clone());
                    }
                }
            }
            Kind::Use(db) => self.use_database(session, db, out)?,
            Kind::Declare(items) => {
                for (name, init) in items {
                    let value = match init {
                        Some(e) => self.scalar(e, vars)?,
                        None => Value::Null,
                    };
                    vars.insert(name.to_lowercase(), value);
                }
            }
            Kind::SetVariable(name, e) => {
                if !vars.contains_key(&name.to_lowercase()) {
                    return Err(Flow::Abort(SqlError::new(
                        137,
                        15,
                        format!("Must declare the scalar variable \"{name}\"."),
                    )));
                }
                let value = self.scalar(e, vars)?;
                vars.insert(name.to_lowercase(), value);
            }
            Kind::SetOption => {}
            Kind::Return => return Err(Flow::Return),
            Kind::Break => return Err(Flow::Break),
            Kind::Continue => return Err(Flow::Continue),
            Kind::While { condition, body } => {
                // A runaway loop would hang the simulator's client; no real batch needs this
                // many turns of a loop over the catalog.
                const MAX_TURNS: u32 = 1_000_000;
                let mut turns = 0;
                while self.condition(condition, vars)? {
                    turns += 1;
                    if turns > MAX_TURNS {
                        return Err(Flow::Abort(SqlError::new(
                            50000,
                            16,
                            format!("The simulator stopped a WHILE loop after {MAX_TURNS} turns."),
                        )));
                    }
                    match self.run(session, body, vars, out) {
                        Ok(()) | Err(Flow::Continue) => {}
                        Err(Flow::Break) => break,
                        Err(other) => return Err(other),
                    }
                }
            }
            Kind::If {
                condition,
                then,
                otherwise,
            } => {
                if self.condition(condition, vars)? {
                    self.run(session, then, vars, out)?;
                } else if let Some(otherwise) = otherwise {
                    self.run(session, otherwise, vars, out)?;
                }
            }
            Kind::Block(statements) => {
                for s in statements {
                    self.run(session, s, vars, out)?;
                }
            }
            Kind::TryCatch { body, handler } => {
                let mut inner = Vec::new();
                let mut failure = None;
                for s in body {
                    match self.run_inner(session, s, vars, &mut inner) {
                        Ok(()) => {}
                        Err(Flow::Abort(e)) => {
                            failure = Some(e);
                            break;
                        }
                        Err(flow @ (Flow::Return | Flow::Break | Flow::Continue)) => {
                            out.append(&mut inner);
                            return Err(flow);
                        }
                    }
                    if let Some(Outcome::Error(_)) = inner.last() {
                        if let Some(Outcome::Error(e)) = inner.pop() {
                            failure = Some(e);
                        }
                        break;
                    }
                }
                out.append(&mut inner);
                if let Some(e) = failure {
                    self.lock().caught = Some(e);
                    for s in handler {
                        self.run(session, s, vars, out)?;
                    }
                    self.lock().caught = None;
                }
            }
            Kind::Print(e) => {
                let value = self.scalar(e, vars)?;
                out.push(Outcome::Info(SqlError {
                    number: 0,
                    state: 1,
                    class: 0,
                    text: value.as_text(),
                }));
            }
            Kind::Raiserror(args) => {
                let message = match args.first() {
                    Some(e) => self.scalar(e, vars)?.as_text(),
                    None => String::new(),
                };
                let class = match args.get(1) {
                    Some(e) => self.scalar(e, vars)?.as_int().unwrap_or(16),
                    None => 16,
                };
                let state = match args.get(2) {
                    Some(e) => self.scalar(e, vars)?.as_int().unwrap_or(1),
                    None => 1,
                };
                let error = SqlError {
                    number: 50000,
                    state: state.clamp(0, 255) as u8,
                    class: class.clamp(0, 25) as u8,
                    text: message,
                };
                if error.class <= 10 {
                    out.push(Outcome::Info(error));
                } else {
                    // RAISERROR does not stop the batch, but a CATCH block catches it.
                    return Err(Flow::Abort(SqlError {
                        class: error.class.min(15),
                        ..error
                    }));
                }
            }
            Kind::Throw(args) => {
                let error = if args.is_empty() {
                    self.lock().caught.clone().unwrap_or_else(|| SqlError::new(10704, 15, "To rethrow an error, a THROW statement must be used inside a CATCH block."))
                } else {
                    let number = self.scalar(&args[0], vars)?.as_int().unwrap_or(50000) as i32;
                    let text = args
                        .get(1)
                        .map(|e| self.scalar(e, vars))
                        .transpose()?
                        .map(|v| v.as_text())
                        .unwrap_or_default();
                    let state = args
                        .get(2)
                        .map(|e| self.scalar(e, vars))
                        .transpose()?
                        .and_then(|v| v.as_int())
                        .unwrap_or(1);
                    SqlError {
                        number,
                        state: state.clamp(0, 255) as u8,
                        class: 16,
                        text,
                    }
                };
                return Err(Flow::Abort(SqlError {
                    class: error.class.max(16),
                    ..error
                }));
            }
            Kind::BeginTransaction => {
                if let Some(d) = self.begin_transaction(session.spid, false) {
                    out.push(Outcome::Transaction(TransactionChange::Begin(d)));
                }
            }
            Kind::Commit => {
                if let Some(d) = self.commit_transaction(session.spid).map_err(Flow::Abort)? {
                    out.push(Outcome::Transaction(TransactionChange::Commit(d)));
                }
            }
            Kind::Rollback(name) => {
                // A name is a savepoint's (SAVE TRAN) or the outermost transaction's, which
                // the simulator does not keep: a name that is no savepoint rolls back all.
                let rolled = match self.rollback_transaction(session.spid, name.as_deref()) {
                    Err(e) if e.number == 6401 => self.rollback_transaction(session.spid, None),
                    other => other,
                };
                if let Some(d) = rolled.map_err(Flow::Abort)? {
                    out.push(Outcome::Transaction(TransactionChange::Rollback(d)));
                }
            }
            Kind::Save(name) => {
                self.save_transaction(session.spid, name)
                    .map_err(Flow::Abort)?;
            }
            Kind::Exec { procedure, args } => {
                procedures::call(self, session, procedure, args, vars, out)?;
            }
            Kind::Temp(statement) => self.run_temp(session, statement, vars, out)?,
            Kind::SelectInto { table, query } => {
                self.select_into(session, table, query, vars, out)?;
            }
            Kind::DeclareTable { create, .. } => {
                self.run_temp(session, create, vars, &mut Vec::new())?;
            }
            Kind::InsertExec {
                table,
                columns,
                source,
            } => self.insert_exec(session, table, columns, source, vars, out)?,
            Kind::ExecDynamic(e) => {
                let sql = self.scalar(e, vars)?;
                if sql != Value::Null {
                    self.run_dynamic(session, &sql.as_text(), out);
                }
            }
            Kind::DeclareCursor {
                name,
                global,
                scroll,
                query,
            } => {
                let mut query = query.as_ref().clone();
                substitute(&mut query, vars).map_err(Flow::Abort)?;
                let cursor = cursors::Cursor {
                    query,
                    scroll: *scroll,
                    local: !global,
                    depth: self.depth,
                    open: None,
                };
                self.cursors
                    .declare(session.spid, name, cursor)
                    .map_err(Flow::Abort)?;
            }
            Kind::Cursor(action, name) => self.cursor_action(session, *action, name)?,
            Kind::Fetch {
                direction,
                name,
                into,
            } => self.fetch(session, direction, name, into, vars, out)?,
            other => {
                let version = self.lock().instance.version;
                if matches!(other, Kind::AlterRole { server: true, .. }) && version.major < 11 {
                    // ALTER SERVER ROLE arrived with SQL Server 2012.
                    return Err(Flow::Abort(SqlError::syntax(
                        "ROLE",
                        "ALTER SERVER ROLE needs SQL Server 2012; use sp_addsrvrolemember / sp_dropsrvrolemember.",
                    )));
                }
                mutations::apply(self, session, other, vars, out)?;
                self.changed();
            }
        }
        Ok(())
    }

    fn use_database(
        &mut self,
        session: &mut Session,
        name: &str,
        out: &mut Vec<Outcome>,
    ) -> Result<(), Flow> {
        let state = self.lock();
        let Some(db) = state.instance.database(name) else {
            return Err(Flow::Abort(SqlError::new(
                911,
                16,
                format!(
                    "Database '{name}' does not exist. Make sure that the name is entered correctly."
                ),
            )));
        };
        if db.state != crate::instance::DatabaseState::Online {
            return Err(Flow::Abort(SqlError::new(
                942,
                14,
                format!(
                    "Database '{}' cannot be opened because it is offline.",
                    db.name
                ),
            )));
        }
        if !state.viewer.can_access(&state.instance, db) {
            return Err(Flow::Abort(SqlError::new(
                916,
                14,
                format!(
                    "The server principal \"{}\" is not able to access the database \"{}\" under the current security context.",
                    session.login, db.name
                ),
            )));
        }
        let new = db.name.clone();
        drop(state);
        let old = std::mem::replace(&mut session.database, new.clone());
        self.lock().session.database = new.clone();
        out.push(Outcome::DatabaseChanged {
            new: new.clone(),
            old,
        });
        out.push(Outcome::Info(SqlError {
            number: 5701,
            state: 1,
            class: 0,
            text: format!("Changed database context to '{new}'."),
        }));
        Ok(())
    }

    /// The translation context: version, databases, the viewer's rights.
    fn context(&self) -> translate::Context {
        let state = self.lock();
        let instance = &state.instance;
        translate::Context {
            version: instance.version,
            current_database: instance
                .database(&state.session.database)
                .map_or(1, |d| d.database_id),
            databases: instance
                .databases
                .iter()
                .map(|d| translate::DatabaseAccess {
                    name: d.name.clone(),
                    id: d.database_id,
                    online: d.state == crate::instance::DatabaseState::Online,
                    accessible: state.viewer.can_access(instance, d),
                })
                .collect(),
            server_state: [
                "VIEW SERVER STATE",
                "VIEW SERVER SECURITY STATE",
                "VIEW SERVER PERFORMANCE STATE",
            ]
            .into_iter()
            .filter(|p| state.viewer.has(p))
            .collect(),
            login: state.session.login.clone(),
            sysadmin: state.viewer.is_sysadmin(),
            spid: state.session.spid,
            depth: self.depth,
        }
    }

    /// Runs a query (variables substituted) and returns its rows.
    fn query(&mut self, statement: &Statement, vars: &Variables) -> Result<Outcome, Flow> {
        self.refresh().map_err(Flow::Abort)?;
        let mut statement = statement.clone();
        substitute(&mut statement, vars).map_err(Flow::Abort)?;
        let context = self.context();
        let translated = translate::to_sqlite(statement, &context).map_err(Flow::Abort)?;
        self.run_sqlite(&translated).map_err(Flow::Abort)
    }

    /// The value of a scalar expression (`SELECT expr`).
    fn scalar(&mut self, e: &Expr, vars: &Variables) -> Result<Value, Flow> {
        if let Some(value) = literal(e, vars) {
            return Ok(value);
        }
        let statement = parse_query(&format!("SELECT {e}"))?;
        match self.query(&statement, vars)? {
            Outcome::Rows { rows, .. } => Ok(rows
                .into_iter()
                .next()
                .and_then(|r| r.into_iter().next())
                .unwrap_or(Value::Null)),
            _ => Ok(Value::Null),
        }
    }

    fn condition(&mut self, e: &Expr, vars: &Variables) -> Result<bool, Flow> {
        let statement = parse_query(&format!("SELECT CASE WHEN {e} THEN 1 ELSE 0 END"))?;
        match self.query(&statement, vars)? {
            Outcome::Rows { rows, .. } => {
                Ok(rows.first().and_then(|r| r.first()) == Some(&Value::Int(1)))
            }
            _ => Ok(false),
        }
    }

    fn run_sqlite(&self, translated: &translate::Translated) -> Result<Outcome, SqlError> {
        let sql = translated.sql.as_str();
        tracing::trace!(%sql, "sqlite");
        let mut statement = self.conn.prepare(sql).map_err(|e| map_error(&e))?;
        let mut not_null = Vec::new();
        let declared: Vec<(String, Option<ColumnType>)> = statement
            .columns()
            .enumerate()
            .map(|(i, c)| {
                let decl = c.decl_type().map(|d| match d.strip_prefix(NOT_NULL_MARK) {
                    Some(d) => (d, true),
                    None => (d, false),
                });
                not_null.push(decl.is_some_and(|d| d.1));
                let kind = if translated.variant_columns.contains(&i) {
                    Some(ColumnType::Variant)
                } else {
                    decl.map(|d| declared_type(d.0))
                };
                (c.name().to_owned(), kind)
            })
            .collect();
        let width = declared.len();
        let mut rows = Vec::new();
        let mut cursor = statement.query([]).map_err(|e| map_error(&e))?;
        while let Some(row) = cursor.next().map_err(|e| map_error(&e))? {
            let values: Result<Vec<Value>, _> =
                (0..width).map(|i| row.get_ref(i).map(to_value)).collect();
            rows.push(values.map_err(|e| map_error(&e))?);
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
        Ok(Outcome::Rows {
            columns,
            rows,
            not_null,
        })
    }
}

/// Put before the declared type of a catalog column documented as never NULL (`nonnull
/// nvarchar(60)`): SQLite keeps a type name of several words as written (the length must come
/// last), and a NOT NULL constraint would not survive into a result's declared type.
pub(crate) const NOT_NULL_MARK: &str = "nonnull ";

fn parse_query(sql: &str) -> Result<Statement, Flow> {
    sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::MsSqlDialect {}, sql)
        .map_err(|e| Flow::Abort(SqlError::syntax("", &format!("(simulator parser: {e})"))))?
        .pop()
        .ok_or_else(|| Flow::Abort(SqlError::syntax("", "empty expression")))
}

/// The value of an expression that needs no query: a literal or a variable.
fn literal(e: &Expr, vars: &Variables) -> Option<Value> {
    use sqlparser::ast::Value as V;
    match e {
        Expr::Identifier(i) if i.value.starts_with('@') && !i.value.starts_with("@@") => {
            vars.get(&i.value.to_lowercase()).cloned()
        }
        Expr::Value(v) => match &v.value {
            V::SingleQuotedString(s) | V::NationalStringLiteral(s) => Some(Value::Text(s.clone())),
            V::Number(n, _) => n.parse::<i64>().ok().map(Value::Int),
            V::Null => Some(Value::Null),
            V::Boolean(b) => Some(Value::Int(i64::from(*b))),
            _ => None,
        },
        _ => None,
    }
}

/// Replaces `@variables` with their values as literals (never as text spliced into SQL).
fn substitute(statement: &mut Statement, vars: &Variables) -> Result<(), SqlError> {
    struct Sub<'a> {
        vars: &'a Variables,
        missing: Option<String>,
    }
    impl VisitorMut for Sub<'_> {
        type Break = ();
        fn post_visit_expr(&mut self, e: &mut Expr) -> std::ops::ControlFlow<()> {
            if let Expr::Identifier(i) = e
                && i.value.starts_with('@')
                && !i.value.starts_with("@@")
            {
                match self.vars.get(&i.value.to_lowercase()) {
                    Some(v) => *e = value_expr(v),
                    None => {
                        self.missing = Some(i.value.clone());
                        return std::ops::ControlFlow::Break(());
                    }
                }
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut sub = Sub {
        vars,
        missing: None,
    };
    let _ = statement.visit(&mut sub);
    match sub.missing {
        Some(name) => Err(SqlError::new(
            137,
            15,
            format!("Must declare the scalar variable \"{name}\"."),
        )),
        None => Ok(()),
    }
}

/// A value as a literal expression.
fn value_expr(v: &Value) -> Expr {
    use sqlparser::ast::Value as V;
    let value = match v {
        Value::Null => V::Null,
        Value::Int(i) => V::Number(i.to_string(), false),
        Value::Bit(b) => V::Number(i64::from(*b).to_string(), false),
        Value::Float(f) => V::Number(format!("{f:?}"), false),
        Value::Text(t) => V::SingleQuotedString(t.clone()),
        Value::Binary(b) => V::HexStringLiteral(b.iter().map(|x| format!("{x:02X}")).collect()),
    };
    Expr::Value(value.into())
}

/// The TDS type for a T-SQL declared type, as SQLite keeps it (`nvarchar(60)`, `sysname`,
/// `decimal(18,2)`). Lengths follow the data type pages of learn.microsoft.com: `sysname` is
/// `nvarchar(128)`; `n` defaults to 1 for `char`/`varchar`/`nchar`/`nvarchar`/`binary`/
/// `varbinary` written without one ("When n isn't specified in a data definition … the default
/// length is 1"); `decimal` without precision is `decimal(18,0)`.
fn declared_type(decl: &str) -> ColumnType {
    let lower = decl.to_ascii_lowercase();
    let (base, args) = match lower.split_once('(') {
        Some((b, a)) => (b.trim(), a.trim().trim_end_matches(')').trim()),
        None => (lower.trim(), ""),
    };
    let number = |i: usize, default: u8| {
        args.split(',')
            .nth(i)
            .and_then(|a| a.trim().parse().ok())
            .unwrap_or(default)
    };
    let length = |max: u16| -> Option<u16> {
        match args {
            "max" | "-1" => None,
            "" => Some(1),
            n => Some(n.parse::<u16>().map_or(max, |n| n.clamp(1, max))),
        }
    };
    match base {
        "tinyint" => ColumnType::TinyInt,
        "smallint" => ColumnType::SmallInt,
        "int" => ColumnType::Int,
        "bigint" => ColumnType::BigInt,
        "numeric" | "decimal" => ColumnType::Decimal {
            precision: number(0, 18),
            scale: number(1, 0),
        },
        "bit" => ColumnType::Bit,
        "real" => ColumnType::Real,
        "float" => ColumnType::Float,
        "money" | "smallmoney" => ColumnType::Money,
        "datetime" => ColumnType::DateTime,
        "smalldatetime" => ColumnType::SmallDateTime,
        "datetime2" => ColumnType::DateTime2,
        "date" => ColumnType::Date,
        "time" => ColumnType::Time,
        "datetimeoffset" => ColumnType::DateTimeOffset,
        "uniqueidentifier" => ColumnType::Guid,
        "sql_variant" => ColumnType::Variant,
        "xml" => ColumnType::Xml,
        "sysname" => ColumnType::NVarChar(128),
        "nvarchar" => length(4000).map_or(ColumnType::NVarCharMax, ColumnType::NVarChar),
        "nchar" => ColumnType::NChar(length(4000).unwrap_or(4000)),
        "varchar" => length(8000).map_or(ColumnType::VarCharMax, ColumnType::VarChar),
        "char" => ColumnType::Char(length(8000).unwrap_or(8000)),
        "varbinary" => length(8000).map_or(ColumnType::VarBinaryMax, ColumnType::VarBinary),
        "binary" => ColumnType::Binary(length(8000).unwrap_or(8000)),
        "ntext" => ColumnType::NText,
        "text" => ColumnType::Text,
        "image" => ColumnType::Image,
        _ => ColumnType::NVarChar(4000),
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
            Value::Text(_) => ColumnType::NVarChar(4000),
            Value::Binary(_) => ColumnType::VarBinary(8000),
            Value::Float(_) => ColumnType::Float,
        };
        kind = Some(match (kind, this) {
            (Some(ColumnType::BigInt), ColumnType::Int)
            | (Some(ColumnType::Int), ColumnType::BigInt) => ColumnType::BigInt,
            (Some(k), t) if k != t => ColumnType::NVarChar(4000),
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

/// A GUID's text form from 16 bytes.
pub fn guid_text(bytes: &[u8]) -> String {
    let b: Vec<String> = bytes.iter().take(16).map(|x| format!("{x:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        b[..4].concat(),
        b[4..6].concat(),
        b[6..8].concat(),
        b[8..10].concat(),
        b[10..16].concat()
    )
}

/// SQLite's complaint, as SQL Server would word it.
fn map_error(e: &rusqlite::Error) -> SqlError {
    let text = e.to_string();
    if let Some(error) = translate::sqlite_error(&text) {
        return error;
    }
    if let Some(rest) = text.split(functions::SQL_ERROR_PREFIX).nth(1)
        && let Some((number, message)) = rest.split_once(':')
    {
        return SqlError::new(number.trim().parse().unwrap_or(50000), 16, message.trim());
    }
    let quoted = |prefix: &str| {
        text.split(prefix)
            .nth(1)
            .map(|rest| rest.split_whitespace().next().unwrap_or("").to_owned())
    };
    if let Some(object) = quoted("no such table: ") {
        let object = object.replace("main.", "");
        return temp_tables::missing(temp_tables::client_name(&object));
    }
    if let Some(object) = quoted("table ").filter(|_| text.contains(" already exists")) {
        let object = temp_tables::client_name(object.trim_matches(['[', ']', '"']));
        return SqlError::new(
            2714,
            16,
            format!("There is already an object named '{object}' in the database."),
        );
    }
    if let Some(column) = quoted("NOT NULL constraint failed: ") {
        let (table, column) = column.rsplit_once('.').unwrap_or(("", &column));
        return SqlError::new(
            515,
            16,
            format!(
                "Cannot insert the value NULL into column '{column}', table 'tempdb.dbo.{}'; column does not allow nulls. INSERT fails.",
                temp_tables::client_name(table)
            ),
        );
    }
    if text.contains("values were supplied") || text.contains(" values for ") {
        return SqlError::new(
            213,
            16,
            "Column name or number of supplied values does not match table definition.",
        );
    }
    if text.contains("UNIQUE constraint failed") {
        return SqlError::new(
            2627,
            14,
            "Violation of a PRIMARY KEY or UNIQUE constraint. Cannot insert duplicate key.",
        );
    }
    if let Some(column) = quoted("no such column: ") {
        // SQL Server names the column without the table or alias before it.
        let column = column.rsplit('.').next().unwrap_or(&column);
        let column = column.trim_matches(['[', ']', '"']);
        return SqlError::new(207, 16, format!("Invalid column name '{column}'."));
    }
    if text.contains("Conversion failed when converting") {
        return SqlError::new(
            245,
            16,
            "Conversion failed when converting a value to data type int.",
        );
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
        &format!(
            "The simulator could not run this statement: {}",
            translate::untranslate(&text)
        ),
    )
}

impl Value {
    /// The value as text (PRINT, messages, names).
    pub fn as_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Int(i) => i.to_string(),
            Value::Bit(b) => i64::from(*b).to_string(),
            Value::Float(f) => f.to_string(),
            Value::Text(t) => t.clone(),
            Value::Binary(b) => catalog::hex(b),
        }
    }

    /// The value as a number, if it is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bit(b) => Some(i64::from(*b)),
            Value::Float(f) => Some(*f as i64),
            Value::Text(t) => t.trim().parse().ok(),
            _ => None,
        }
    }

    /// The value as an optional name (NULL is none).
    pub fn as_name(&self) -> Option<String> {
        match self {
            Value::Null => None,
            other => Some(other.as_text()),
        }
    }
}

#[cfg(test)]
mod tests;
