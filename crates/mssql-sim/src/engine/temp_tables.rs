//! Temporary tables and table variables, kept as SQLite tables of the engine's own database
//! under names no client can write: a session's `#t` is `#t` + U+0001 + its session id, a
//! global `##t` keeps its name, a table variable `@t` is `@t` + U+0001 + session id + `.` +
//! the depth of the batch that declared it (dynamic SQL runs one level deeper, so it cannot
//! see its caller's table variables). What SQL Server does with them:
//!
//! - CREATE TABLE (learn.microsoft.com/sql/t-sql/statements/create-table-transact-sql,
//!   "Temporary tables"): local temporary tables are visible only in the current session,
//!   global ones in all sessions; "A local temporary table created in a stored procedure is
//!   dropped automatically when the stored procedure is finished" (the simulator treats
//!   dynamic SQL and `sp_executesql`, which run as batches of their own, the same way); "All
//!   other local temporary tables are dropped automatically at the end of the current
//!   session"; "Global temporary tables are dropped automatically when the session that
//!   created the table ends and all other tasks have stopped referencing them" (a statement
//!   never outlives its batch here, so at the end of that session).
//! - Table variables (learn.microsoft.com/sql/t-sql/data-types/table-transact-sql): "Table
//!   variables are automatically cleaned up at the end of the function, stored procedure, or
//!   batch in which they're defined."
//!
//! The catalog (`catalog.rs`) never reads nor clears these tables: they change nothing on the
//! server, and the statement log counts their statements as reads.

use rusqlite::Connection;
use sqlparser::ast::{ColumnOption, ColumnOptionDef, Ident, ObjectName, ObjectType, Statement};

use super::{Engine, Flow, Outcome, Session, SqlError, Variables, substitute, translate};
use crate::tds::tokens::{ColumnType, Value};

/// 2714 (or 134 for a table variable declared twice in a batch).
fn already_exists(client: &str) -> Flow {
    Flow::Abort(if client.starts_with('@') {
        SqlError::new(
            134,
            15,
            format!(
                "The variable name '{client}' has already been declared. Variable names must be unique within a query batch or stored procedure."
            ),
        )
    } else {
        SqlError::new(
            2714,
            16,
            format!("There is already an object named '{client}' in the database."),
        )
    })
}

/// 208 for a temporary table that does not exist; 1087 for an undeclared table variable.
pub fn missing(client: &str) -> SqlError {
    if client.starts_with('@') {
        SqlError::new(
            1087,
            15,
            format!("Must declare the table variable \"{client}\"."),
        )
    } else {
        SqlError::new(208, 16, format!("Invalid object name '{client}'."))
    }
}

/// The IDENTITY column of a table and its trigger's name prefix.
fn identity_trigger(sqlite: &str) -> String {
    format!("{sqlite}{MARK}identity{MARK}")
}

/// The IDENTITY column of the SQLite table `sqlite`, if it has one.
fn identity_column(conn: &Connection, sqlite: &str) -> Option<String> {
    let prefix = identity_trigger(sqlite);
    let name: String = conn
        .query_row(
            "SELECT name FROM main.sqlite_master WHERE type = 'trigger' AND tbl_name = ?1 COLLATE NOCASE",
            [sqlite],
            |row| row.get(0),
        )
        .ok()?;
    name.strip_prefix(&prefix).map(str::to_owned)
}

impl Engine {
    /// CREATE TABLE / DROP TABLE of temporary tables, DECLARE @t TABLE, and INSERT, UPDATE,
    /// DELETE of either.
    pub(super) fn run_temp(
        &mut self,
        session: &Session,
        statement: &Statement,
        vars: &Variables,
        out: &mut Vec<Outcome>,
    ) -> Result<(), Flow> {
        let (spid, depth) = (session.spid, self.depth);
        match statement {
            // DROP TABLE [IF EXISTS] (learn.microsoft.com/sql/t-sql/statements/drop-table-transact-sql;
            // IF EXISTS "Applies to: SQL Server 2016 (13.x) and later").
            Statement::Drop {
                object_type: ObjectType::Table,
                if_exists,
                names,
                ..
            } => {
                if *if_exists && self.lock().instance.version.major < 13 {
                    return Err(Flow::Abort(SqlError::new(
                        156,
                        15,
                        "Incorrect syntax near the keyword 'IF'.",
                    )));
                }
                for name in names {
                    let sqlite = sqlite_name(&name.to_string(), spid, depth);
                    if !exists(&self.conn, &sqlite) {
                        if *if_exists {
                            continue;
                        }
                        return Err(Flow::Abort(SqlError::new(
                            3701,
                            11,
                            format!(
                                "Cannot drop the table '{}', because it does not exist or you do not have permission.",
                                client_name(&sqlite)
                            ),
                        )));
                    }
                    drop_table(&self.conn, &sqlite);
                    for tables in self.global_temp_tables.values_mut() {
                        tables.retain(|t| !t.eq_ignore_ascii_case(&sqlite));
                    }
                }
            }
            Statement::CreateTable(create) => {
                let sqlite = sqlite_name(&create.name.to_string(), spid, depth);
                if exists(&self.conn, &sqlite) {
                    return Err(already_exists(client_name(&sqlite)));
                }
                let mut create = create.clone();
                let mut identity = None;
                for column in &mut create.columns {
                    let decl = column.data_type.to_string();
                    if let Some(base) = decl
                        .strip_suffix("(MAX)")
                        .or_else(|| decl.strip_suffix("(max)"))
                    {
                        // SQLite's type names take numbers only (see `type_name`).
                        column.data_type = sqlparser::ast::DataType::Custom(
                            ObjectName::from(vec![Ident::new(base.trim())]),
                            vec![sqlparser::ast::TypeModifier::Number("-1".into(), false)],
                        );
                    }
                    let name = column.name.value.clone();
                    let mut binary = false;
                    column.options.retain(|o| match &o.option {
                        ColumnOption::Identity(kind) => {
                            identity = Some((name.clone(), kind.to_string()));
                            false
                        }
                        ColumnOption::Collation(c) => {
                            let c = c.to_string().to_ascii_uppercase();
                            binary = c.contains("_CS") || c.contains("BIN");
                            false
                        }
                        _ => true,
                    });
                    if identity.as_ref().is_some_and(|(n, _)| *n == name) {
                        column
                            .options
                            .retain(|o| !matches!(o.option, ColumnOption::NotNull));
                    }
                    if is_text_type(&decl) {
                        let collation = if binary { "BINARY" } else { "NOCASE" };
                        column.options.push(ColumnOptionDef {
                            name: None,
                            option: ColumnOption::Collation(ObjectName::from(vec![Ident::new(
                                collation,
                            )])),
                        });
                    }
                }
                let statement = Statement::CreateTable(create);
                let sql = self.translate_temp(statement, vars)?;
                self.conn
                    .execute_batch(&sql)
                    .map_err(|e| Flow::Abort(super::map_error(&e)))?;
                if let Some((column, spec)) = identity {
                    // IDENTITY [(seed, increment)] (learn.microsoft.com/sql/t-sql/statements/
                    // create-table-transact-sql-identity-property): "The default is (1,1)."
                    let numbers: Vec<i64> = spec
                        .split(|c: char| !(c.is_ascii_digit() || c == '-'))
                        .filter_map(|n| n.parse().ok())
                        .collect();
                    let (seed, increment) = match numbers.as_slice() {
                        [s, i, ..] => (*s, *i),
                        _ => (1, 1),
                    };
                    let table = quoted(&sqlite);
                    let col = quoted(&column);
                    let trigger = quoted(&format!("{}{column}", identity_trigger(&sqlite)));
                    self.conn
                        .execute_batch(&format!(
                            "CREATE TRIGGER {trigger} AFTER INSERT ON {table} FOR EACH ROW WHEN NEW.{col} IS NULL \
                             BEGIN UPDATE {table} SET {col} = (SELECT COALESCE(MAX({col}) + ({increment}), {seed}) FROM {table}) WHERE rowid = NEW.rowid; END"
                        ))
                        .map_err(|e| Flow::Abort(super::map_error(&e)))?;
                }
                self.created(spid, sqlite);
            }
            Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) => {
                let mut statement = statement.clone();
                substitute(&mut statement, vars).map_err(Flow::Abort)?;
                if let Statement::Insert(insert) = &mut statement {
                    let target = sqlite_name(&insert.table.to_string(), spid, depth);
                    if !exists(&self.conn, &target) {
                        return Err(Flow::Abort(missing(client_name(&target))));
                    }
                    if let Some(identity) = identity_column(&self.conn, &target) {
                        // "Cannot insert explicit value for identity column": the column is
                        // left out of a list-less INSERT, as SQL Server does.
                        if insert.columns.iter().any(|c| {
                            c.to_string()
                                .trim_matches(['[', ']'])
                                .eq_ignore_ascii_case(&identity)
                        }) {
                            return Err(Flow::Abort(SqlError::new(
                                544,
                                16,
                                format!(
                                    "Cannot insert explicit value for identity column in table '{}' when IDENTITY_INSERT is set to OFF.",
                                    client_name(&target)
                                ),
                            )));
                        }
                        if insert.columns.is_empty() {
                            insert.columns = columns(&self.conn, &target)
                                .into_iter()
                                .filter(|c| !c.eq_ignore_ascii_case(&identity))
                                .map(|c| ObjectName::from(vec![Ident::with_quote('[', c)]))
                                .collect();
                        }
                    }
                }
                self.refresh().map_err(Flow::Abort)?;
                let sql = self.translate_temp(statement, &Variables::new())?;
                let rows = self
                    .conn
                    .execute(&sql, [])
                    .map_err(|e| Flow::Abort(super::map_error(&e)))?;
                out.push(Outcome::Done {
                    rows: Some(rows as u64),
                });
            }
            _ => {
                return Err(Flow::Abort(SqlError::syntax(
                    "",
                    "The simulator does not run this statement on temporary tables.",
                )));
            }
        }
        Ok(())
    }

    /// Remembers who must drop a new temporary table: a `##` table its session; a `#` table
    /// created inside dynamic SQL or `sp_executesql` that batch, as a stored procedure's (see
    /// the module's documentation).
    fn created(&mut self, spid: u16, sqlite: String) {
        if sqlite.starts_with("##") {
            self.global_temp_tables
                .entry(spid)
                .or_default()
                .push(sqlite);
        } else if sqlite.starts_with('#') && self.depth > 1 {
            self.scoped_temp_tables.push((spid, self.depth, sqlite));
        }
    }

    /// A statement on temporary tables, variables bound, as SQLite SQL.
    fn translate_temp(
        &mut self,
        mut statement: Statement,
        vars: &Variables,
    ) -> Result<String, Flow> {
        substitute(&mut statement, vars).map_err(Flow::Abort)?;
        let context = self.context();
        translate::to_sqlite_any(statement, &context)
            .map(|t| t.sql)
            .map_err(Flow::Abort)
    }

    /// `SELECT … INTO #t`: a new table with the result's columns and types, and its rows
    /// (learn.microsoft.com/sql/t-sql/queries/select-into-clause-transact-sql: "The format of
    /// new_table is determined by evaluating the expressions in the select list").
    pub(super) fn select_into(
        &mut self,
        session: &Session,
        table: &str,
        query: &Statement,
        vars: &Variables,
        out: &mut Vec<Outcome>,
    ) -> Result<(), Flow> {
        let sqlite = sqlite_name(table, session.spid, self.depth);
        let client = client_name(&sqlite).to_owned();
        if exists(&self.conn, &sqlite) {
            return Err(already_exists(&client));
        }
        if let Statement::Query(q) = query
            && let sqlparser::ast::SetExpr::Select(select) = q.body.as_ref()
        {
            for (i, item) in select.projection.iter().enumerate() {
                if let sqlparser::ast::SelectItem::UnnamedExpr(e) = item
                    && !matches!(
                        e,
                        sqlparser::ast::Expr::Identifier(_)
                            | sqlparser::ast::Expr::CompoundIdentifier(_)
                    )
                {
                    return Err(Flow::Abort(SqlError::new(
                        8155,
                        16,
                        format!(
                            "No column name was specified for column {} of '{client}'.",
                            i + 1
                        ),
                    )));
                }
            }
        }
        let Outcome::Rows { columns, rows, .. } = self.query(query, vars)? else {
            return Ok(());
        };
        let mut seen = std::collections::HashSet::new();
        for (name, _) in &columns {
            if !seen.insert(name.to_lowercase()) {
                return Err(Flow::Abort(SqlError::new(
                    2705,
                    16,
                    format!(
                        "Column names in each table must be unique. Column name '{name}' in table '{client}' is specified more than once."
                    ),
                )));
            }
        }
        let definitions: Vec<String> = columns
            .iter()
            .map(|(name, kind)| {
                let decl = type_name(kind);
                let collation = if is_text_type(&decl) {
                    " COLLATE NOCASE"
                } else {
                    ""
                };
                format!("{} {decl}{collation}", quoted(name))
            })
            .collect();
        self.conn
            .execute_batch(&format!(
                "CREATE TABLE {} ({})",
                quoted(&sqlite),
                definitions.join(", ")
            ))
            .map_err(|e| Flow::Abort(super::map_error(&e)))?;
        let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
        let count = insert_rows(&self.conn, &sqlite, &names, &rows).map_err(Flow::Abort)?;
        self.created(session.spid, sqlite);
        out.push(Outcome::Done { rows: Some(count) });
        Ok(())
    }

    /// `INSERT [INTO] #t [(columns)] EXEC …`: the rows of every result set of the call
    /// (learn.microsoft.com/sql/t-sql/statements/insert-transact-sql, "execute_statement":
    /// "the result sets ... are inserted"); its messages pass on, its result sets do not.
    pub(super) fn insert_exec(
        &mut self,
        session: &mut Session,
        table: &str,
        columns: &[String],
        source: &super::script::Kind,
        vars: &mut Variables,
        out: &mut Vec<Outcome>,
    ) -> Result<(), Flow> {
        let sqlite = sqlite_name(table, session.spid, self.depth);
        if !exists(&self.conn, &sqlite) {
            return Err(Flow::Abort(missing(client_name(&sqlite))));
        }
        let statement = super::script::Stmt {
            kind: source.clone(),
            text: String::new(),
        };
        let mut inner = Vec::new();
        self.run_inner(session, &statement, vars, &mut inner)?;
        let mut rows = Vec::new();
        for outcome in inner {
            match outcome {
                Outcome::Rows { rows: r, .. } => rows.extend(r),
                Outcome::Done { .. } | Outcome::ReturnStatus(_) => {}
                other => out.push(other),
            }
        }
        let count = insert_rows(&self.conn, &sqlite, columns, &rows).map_err(Flow::Abort)?;
        out.push(Outcome::Done { rows: Some(count) });
        Ok(())
    }

    /// `EXEC (string)`: "The string is executed as its own self-contained batch" — the
    /// caller's variables are not visible, its session's temporary tables are
    /// (learn.microsoft.com/sql/t-sql/language-elements/execute-transact-sql); a USE inside
    /// lasts until its end.
    pub(super) fn run_dynamic(&mut self, session: &mut Session, sql: &str, out: &mut Vec<Outcome>) {
        let database = session.database.clone();
        let mut inner = self.execute_with(session, sql, Variables::new());
        if !session.database.eq_ignore_ascii_case(&database) {
            let old = std::mem::replace(&mut session.database, database.clone());
            self.lock().session.database = database.clone();
            let at = match inner.last() {
                Some(Outcome::Error(_)) => inner.len() - 1,
                _ => inner.len(),
            };
            inner.insert(at, Outcome::DatabaseChanged { new: database, old });
        }
        out.append(&mut inner);
    }
}

/// Separates a client's temporary table name from the simulator's suffix.
pub const MARK: char = '\u{1}';

/// The SQLite name of a temporary table or table variable named `name` by the client
/// (`tempdb..#t`, `dbo.#t`, `#t`, `##t`, `@t`), for session `spid` at batch depth `depth`.
pub fn sqlite_name(name: &str, spid: u16, depth: u32) -> String {
    let last = name
        .rsplit('.')
        .next()
        .unwrap_or(name)
        .trim_matches(['[', ']']);
    if last.starts_with("##") {
        last.to_owned()
    } else if last.starts_with('#') {
        format!("{last}{MARK}{spid}")
    } else {
        format!("{last}{MARK}{spid}.{depth}")
    }
}

/// The name the client wrote, from a SQLite name (anything from [`MARK`] on removed).
pub fn client_name(sqlite: &str) -> &str {
    sqlite.split(MARK).next().unwrap_or(sqlite)
}

/// Whether the SQLite table `sqlite` exists.
pub fn exists(conn: &Connection, sqlite: &str) -> bool {
    conn.query_row(
        "SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
        [sqlite],
        |_| Ok(()),
    )
    .is_ok()
}

/// The SQLite tables of `main` whose name satisfies `keep`.
fn tables_where(conn: &Connection, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let Ok(mut statement) =
        conn.prepare("SELECT name FROM main.sqlite_master WHERE type = 'table'")
    else {
        return Vec::new();
    };
    statement
        .query_map([], |row| row.get::<_, String>(0))
        .map(|rows| rows.flatten().filter(|n| keep(n)).collect())
        .unwrap_or_default()
}

/// Drops a SQLite table (errors are ignored: it may already be gone).
pub fn drop_table(conn: &Connection, sqlite: &str) {
    let _ = conn.execute_batch(&format!("DROP TABLE IF EXISTS {}", quoted(sqlite)));
}

/// Drops what a session leaves behind when it ends: its `#` tables and table variables, and
/// the `##` tables in `globals` (the ones it created).
pub fn drop_session(conn: &Connection, spid: u16, globals: &[String]) {
    let suffix = format!("{MARK}{spid}");
    for table in tables_where(conn, |n| {
        n.ends_with(&suffix) || n.contains(&format!("{suffix}."))
    }) {
        drop_table(conn, &table);
    }
    for table in globals {
        drop_table(conn, table);
    }
}

/// Drops the table variables a batch of depth `depth` declared (at its end).
pub fn drop_table_variables(conn: &Connection, spid: u16, depth: u32) {
    let suffix = format!("{MARK}{spid}.{depth}");
    for table in tables_where(conn, |n| n.starts_with('@') && n.ends_with(&suffix)) {
        drop_table(conn, &table);
    }
}

/// A SQLite name in brackets.
pub fn quoted(name: &str) -> String {
    format!("[{}]", name.replace(']', "]]"))
}

/// The T-SQL type to declare for a column of `kind` (SELECT … INTO keeps the result's types,
/// which `declared_type` maps back).
pub fn type_name(kind: &ColumnType) -> String {
    match kind {
        ColumnType::TinyInt => "tinyint".into(),
        ColumnType::SmallInt => "smallint".into(),
        ColumnType::Int => "int".into(),
        ColumnType::BigInt => "bigint".into(),
        ColumnType::Bit => "bit".into(),
        ColumnType::NVarChar(n) => format!("nvarchar({n})"),
        ColumnType::NChar(n) => format!("nchar({n})"),
        ColumnType::VarChar(n) => format!("varchar({n})"),
        ColumnType::Char(n) => format!("char({n})"),
        ColumnType::VarBinary(n) => format!("varbinary({n})"),
        ColumnType::Binary(n) => format!("binary({n})"),
        // SQLite's type names take numbers only: a MAX type is declared `(-1)`, SQL Server's
        // own max_length for it, which `declared_type` reads back.
        ColumnType::NVarCharMax => "nvarchar(-1)".into(),
        ColumnType::VarCharMax => "varchar(-1)".into(),
        ColumnType::VarBinaryMax => "varbinary(-1)".into(),
        ColumnType::DateTime => "datetime".into(),
        ColumnType::SmallDateTime => "smalldatetime".into(),
        ColumnType::DateTime2 => "datetime2".into(),
        ColumnType::Date => "date".into(),
        ColumnType::Time => "time".into(),
        ColumnType::DateTimeOffset => "datetimeoffset".into(),
        ColumnType::Float => "float".into(),
        ColumnType::Real => "real".into(),
        ColumnType::Money => "money".into(),
        ColumnType::Guid => "uniqueidentifier".into(),
        ColumnType::Variant => "sql_variant".into(),
        ColumnType::Xml => "xml".into(),
        ColumnType::NText => "ntext".into(),
        ColumnType::Text => "text".into(),
        ColumnType::Image => "image".into(),
        ColumnType::Decimal { precision, scale } => format!("decimal({precision},{scale})"),
    }
}

/// Whether a declared type holds text (its columns compare case-insensitively, as under the
/// instance's collation).
pub fn is_text_type(decl: &str) -> bool {
    let lower = decl.to_ascii_lowercase();
    lower.contains("char") || lower.contains("text") || lower == "sysname" || lower == "xml"
}

/// A value as a SQLite parameter.
pub fn to_sql(value: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as Sql;
    match value {
        Value::Null => Sql::Null,
        Value::Int(i) => Sql::Integer(*i),
        Value::Bit(b) => Sql::Integer(i64::from(*b)),
        Value::Float(f) => Sql::Real(*f),
        Value::Text(t) => Sql::Text(t.clone()),
        Value::Binary(b) => Sql::Blob(b.clone()),
    }
}

/// The columns of a SQLite table, in order.
pub fn columns(conn: &Connection, sqlite: &str) -> Vec<String> {
    let Ok(mut statement) = conn.prepare(&format!("PRAGMA table_info({})", quoted(sqlite))) else {
        return Vec::new();
    };
    statement
        .query_map([], |row| row.get::<_, String>(1))
        .map(|rows| rows.flatten().collect())
        .unwrap_or_default()
}

/// Inserts `rows` into the SQLite table `sqlite` (into `columns`, or all of its columns);
/// 213 when a row's width is not the number of columns.
pub fn insert_rows(
    conn: &Connection,
    sqlite: &str,
    columns: &[String],
    rows: &[Vec<Value>],
) -> Result<u64, super::SqlError> {
    let targets = if columns.is_empty() {
        self::columns(conn, sqlite)
    } else {
        columns.to_vec()
    };
    if rows.iter().any(|r| r.len() != targets.len()) {
        return Err(super::SqlError::new(
            213,
            16,
            "Column name or number of supplied values does not match table definition.",
        ));
    }
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        quoted(sqlite),
        targets
            .iter()
            .map(|c| quoted(c))
            .collect::<Vec<_>>()
            .join(", "),
        vec!["?"; targets.len()].join(", ")
    );
    let mut statement = conn.prepare(&sql).map_err(|e| super::map_error(&e))?;
    for row in rows {
        let params: Vec<rusqlite::types::Value> = row.iter().map(to_sql).collect();
        statement
            .execute(rusqlite::params_from_iter(params))
            .map_err(|e| super::map_error(&e))?;
    }
    Ok(rows.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_sessions_and_batches_apart() {
        assert_eq!(sqlite_name("#t", 52, 1), "#t\u{1}52");
        assert_eq!(sqlite_name("tempdb..#t", 52, 1), "#t\u{1}52");
        assert_eq!(sqlite_name("[##g]", 52, 1), "##g");
        assert_eq!(sqlite_name("@t", 52, 2), "@t\u{1}52.2");
        assert_eq!(client_name("#t\u{1}52"), "#t");
        assert_eq!(client_name("##g"), "##g");
    }

    #[test]
    fn a_session_end_drops_its_tables_only() {
        let conn = Connection::open_in_memory().unwrap();
        for t in ["#a\u{1}52", "#a\u{1}53", "@v\u{1}52.1", "##g", "##h"] {
            conn.execute_batch(&format!("CREATE TABLE {} (x int)", quoted(t)))
                .unwrap();
        }
        drop_session(&conn, 52, &["##g".to_owned()]);
        let mut left = tables_where(&conn, |_| true);
        left.sort();
        assert_eq!(left, vec!["##h", "#a\u{1}53"]);
    }
}
