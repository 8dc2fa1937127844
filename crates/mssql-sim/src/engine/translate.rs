//! T-SQL → SQLite: the rewrites needed to run SQL Server's dialect on SQLite, on the parsed AST
//! (never on text, so identifiers and strings from hostile data stay data).

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, Ident, LimitClause, ObjectName, ObjectNamePart, Query, Select,
    SelectItem, SetExpr, Statement, TableFactor, TopQuantity, Value, VisitMut, VisitorMut,
};
use sqlparser::dialect::MsSqlDialect;
use sqlparser::parser::Parser;

use super::SqlError;

/// A statement ready for SQLite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    /// The SQLite SQL.
    pub sql: String,
    /// Result columns that are `sql_variant` on SQL Server (a bare `SERVERPROPERTY(…)`), which
    /// SQLite cannot know from a declared type.
    pub variant_columns: Vec<usize>,
}

/// A database as the translator needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseAccess {
    /// Name.
    pub name: String,
    /// `database_id`.
    pub id: i32,
    /// Online (an offline database cannot be read: 942).
    pub online: bool,
    /// The login may use it (otherwise 916).
    pub accessible: bool,
}

/// What name resolution depends on: the version, the current database, the login's rights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The emulated version (which views and columns exist).
    pub version: crate::instance::Version,
    /// `database_id` of the current database.
    pub current_database: i32,
    /// Every database.
    pub databases: Vec<DatabaseAccess>,
    /// The server-state permissions the login has, of VIEW SERVER STATE, VIEW SERVER
    /// SECURITY STATE and VIEW SERVER PERFORMANCE STATE: a DMV needing another fails with 300
    /// ([`super::catalog::dmv_permission`]).
    pub server_state: Vec<&'static str>,
    /// The login's name, for error 916.
    pub login: String,
    /// Member of sysadmin: the only principals msdb's proxy tables admit.
    pub sysadmin: bool,
    /// The session, whose temporary tables a name `#t` means.
    pub spid: u16,
    /// The depth of the batch running, whose table variables a name `@t` means.
    pub depth: u32,
}

/// Turns one parsed T-SQL statement into SQLite SQL, or says why the simulator cannot run it.
pub fn to_sqlite(statement: Statement, context: &Context) -> Result<Translated, SqlError> {
    if !matches!(statement, Statement::Query(_)) {
        let keyword = statement
            .to_string()
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_uppercase();
        return Err(SqlError::syntax(
            &keyword,
            &format!("The simulator does not run {keyword} statements yet."),
        ));
    }
    to_sqlite_any(statement, context)
}

/// As [`to_sqlite`], for any statement: the engine decides which it runs (CREATE TABLE, INSERT,
/// UPDATE, DELETE of temporary tables and table variables).
pub fn to_sqlite_any(mut statement: Statement, context: &Context) -> Result<Translated, SqlError> {
    let variant_columns = match &statement {
        Statement::Query(query) => variant_columns(query),
        _ => Vec::new(),
    };
    let mut rewriter = Rewriter {
        error: None,
        context,
        scoped: super::catalog::database_scoped(context.version),
    };
    let _ = statement.visit(&mut rewriter);
    if rewriter.error.is_none() {
        rewriter.error = super::apply::rewrite(&mut statement).err();
    }
    match rewriter.error {
        Some(e) => Err(e),
        None => Ok(Translated {
            sql: statement.to_string(),
            variant_columns,
        }),
    }
}

/// Positions of the top-level select items that are a bare `SERVERPROPERTY(…)` call.
fn variant_columns(query: &Query) -> Vec<usize> {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in select.projection.iter().enumerate() {
        let expr = match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
            _ => return Vec::new(), // a wildcard: positions are unknown here
        };
        if let Expr::Function(f) = expr
            && ["SERVERPROPERTY", "LOGINPROPERTY", "CONNECTIONPROPERTY"]
                .iter()
                .any(|n| f.name.to_string().eq_ignore_ascii_case(n))
        {
            out.push(i);
        }
    }
    out
}

struct Rewriter<'a> {
    error: Option<SqlError>,
    context: &'a Context,
    /// Database-scoped views and their columns.
    scoped: Vec<(&'static str, Vec<&'static str>)>,
}

impl Rewriter<'_> {
    /// `SELECT TOP n` → `LIMIT n`.
    fn top(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let SetExpr::Select(select) = query.body.as_mut()
            && let Some(top) = select.top.take()
        {
            if top.percent || top.with_ties {
                return self.fail(
                    "TOP",
                    "TOP … PERCENT and WITH TIES are not supported by the simulator.",
                );
            }
            let limit = match top.quantity {
                Some(TopQuantity::Constant(n)) => expr(&n.to_string()),
                Some(TopQuantity::Expr(e)) => e,
                None => return self.fail("TOP", "TOP needs a number."),
            };
            query.limit_clause = Some(LimitClause::LimitOffset {
                limit: Some(limit),
                offset: None,
                limit_by: vec![],
            });
        }
        ControlFlow::Continue(())
    }

    fn fail(&mut self, near: &str, why: &str) -> ControlFlow<()> {
        self.error = Some(SqlError::syntax(near, why));
        ControlFlow::Break(())
    }
}

/// Quotes every identifier: T-SQL allows as plain names words that are keywords to SQLite
/// (`nothing`, `action`, `key` …). Brackets, which SQLite never mistakes for a string; double
/// quotes (escaped by sqlparser, and never strings: DQS is off) for names containing `]`.
fn quote(ident: &mut Ident) {
    ident.quote_style = Some(if ident.value.contains(']') { '"' } else { '[' });
}

/// A T-SQL expression parsed on its own (for rewrites that produce a function call).
fn expr(sql: &str) -> Expr {
    Parser::new(&MsSqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
        .expect("rewrite templates are valid SQL")
}

impl VisitorMut for Rewriter<'_> {
    type Break = ();

    /// `SELECT TOP n` → `LIMIT n`; FOR XML PATH.
    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        let flow = self.top(query);
        if flow.is_continue()
            && query.for_clause.is_some()
            && let Err(e) = for_xml(query)
        {
            self.error = Some(e);
            return ControlFlow::Break(());
        }
        flow
    }

    /// Column aliases are quoted.
    fn post_visit_select(&mut self, select: &mut Select) -> ControlFlow<()> {
        for item in &mut select.projection {
            if let SelectItem::ExprWithAlias { alias, .. } = item {
                quote(alias);
            }
        }
        ControlFlow::Continue(())
    }

    /// Table aliases are quoted; database-scoped views become a subquery over that database's
    /// rows; `msdb.dbo.x` is the msdb schema.
    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        // STRING_SPLIT is a table-valued function from SQL Server 2016 (learn.microsoft.com
        // /sql/t-sql/functions/string-split-transact-sql): before, the name is no object (208).
        if let TableFactor::Table {
            name,
            args: Some(_),
            ..
        } = factor
            && name.to_string().eq_ignore_ascii_case("STRING_SPLIT")
            && self.context.version.major < 13
        {
            self.error = Some(SqlError {
                number: 208,
                state: 1,
                class: 16,
                text: format!("Invalid object name '{name}'."),
            });
            return ControlFlow::Break(());
        }
        if let TableFactor::Table { name, alias, .. } = factor {
            let parts: Vec<String> = name
                .0
                .iter()
                .map(|p| p.as_ident().map_or(String::new(), |i| i.value.clone()))
                .collect();
            // A temporary table or table variable is no database's object (see
            // pre_visit_relation).
            let temp = parts.last().is_some_and(|p| super::script::is_temp_name(p));
            match if temp {
                Ok(Resolved::AsIs)
            } else {
                self.resolve(&parts)
            } {
                Err(e) => {
                    self.error = Some(e);
                    return ControlFlow::Break(());
                }
                Ok(Resolved::Scoped {
                    table,
                    database,
                    columns,
                }) => {
                    let alias_name = alias
                        .as_ref()
                        .map_or_else(|| table.to_owned(), |a| a.name.value.clone());
                    let cols: Vec<String> = columns.iter().map(|c| format!("[{c}]")).collect();
                    let sql = format!(
                        "SELECT * FROM (SELECT {} FROM [scoped].[{table}] WHERE __db = {database}) AS [{}]",
                        cols.join(", "),
                        alias_name.replace(']', "]]")
                    );
                    let derived = Parser::parse_sql(&MsSqlDialect {}, &sql)
                        .ok()
                        .and_then(|mut v| v.pop())
                        .and_then(|s| match s {
                            Statement::Query(q) => match *q.body {
                                SetExpr::Select(select) => {
                                    select.from.into_iter().next().map(|t| t.relation)
                                }
                                _ => None,
                            },
                            _ => None,
                        });
                    if let Some(derived) = derived {
                        *factor = derived;
                    }
                    return ControlFlow::Continue(());
                }
                Ok(Resolved::Msdb(table)) => {
                    name.0 = vec![
                        ObjectNamePart::Identifier(Ident::with_quote('[', "msdb")),
                        ObjectNamePart::Identifier(Ident::with_quote('[', table)),
                    ];
                }
                Ok(Resolved::AsIs) => {}
            }
        }
        if let TableFactor::Table {
            alias: Some(alias), ..
        }
        | TableFactor::Derived {
            alias: Some(alias), ..
        } = factor
        {
            quote(&mut alias.name);
        }
        ControlFlow::Continue(())
    }

    /// STRING_SPLIT(string, separator [, enable_ordinal]) (2016+; enable_ordinal 2022+,
    /// learn.microsoft.com/sql/t-sql/functions/string-split-transact-sql): a derived table of
    /// `value` (and `ordinal` when enable_ordinal is 1) over SQLite's json_each, built after
    /// the arguments were translated.
    fn post_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        let TableFactor::Table {
            name,
            args: Some(args),
            alias,
            ..
        } = factor
        else {
            return ControlFlow::Continue(());
        };
        let is_split = matches!(name.0.as_slice(), [ObjectNamePart::Identifier(i)]
            if i.value.eq_ignore_ascii_case("STRING_SPLIT"));
        if !is_split {
            return ControlFlow::Continue(());
        }
        let args: Vec<String> = args.args.iter().map(ToString::to_string).collect();
        let too_many = args.len() > 3 || args.len() == 3 && self.context.version.major < 16;
        if args.len() < 2 || too_many {
            self.error = Some(SqlError {
                number: if too_many { 8144 } else { 313 },
                state: 1,
                class: 16,
                text: if too_many {
                    "Procedure or function STRING_SPLIT has too many arguments specified.".into()
                } else {
                    "An insufficient number of arguments were supplied for the procedure or function STRING_SPLIT.".into()
                },
            });
            return ControlFlow::Break(());
        }
        let ordinal = args.get(2).is_some_and(|a| a.trim() == "1");
        let alias_name = alias
            .as_ref()
            .map_or_else(|| "STRING_SPLIT".to_owned(), |a| a.name.value.clone());
        let sql = format!(
            "SELECT * FROM (SELECT [value]{} FROM json_each(__split_json({}, {}))) AS [{}]",
            if ordinal {
                ", [key] + 1 AS [ordinal]"
            } else {
                ""
            },
            args[0],
            args[1],
            alias_name.replace(']', "]]")
        );
        if let Some(derived) = derived_table(&sql) {
            *factor = derived;
        }
        ControlFlow::Continue(())
    }

    /// `master.sys.x` → `sys.x` (server-scoped catalog views are the same from every database);
    /// every part quoted.
    fn pre_visit_relation(&mut self, relation: &mut ObjectName) -> ControlFlow<()> {
        // #t, ##t, @t (tempdb..#t): the session's temporary tables and the batch's table
        // variables (`temp_tables.rs`).
        if let Some(ObjectNamePart::Identifier(last)) = relation.0.last()
            && last.quote_style.is_none()
            && super::script::is_temp_name(&last.value)
        {
            let sqlite =
                super::temp_tables::sqlite_name(&last.value, self.context.spid, self.context.depth);
            relation.0 = vec![ObjectNamePart::Identifier(Ident::with_quote('[', sqlite))];
            return ControlFlow::Continue(());
        }
        if relation.0.len() == 3 {
            relation.0.remove(0);
        }
        if let [
            ObjectNamePart::Identifier(schema),
            ObjectNamePart::Identifier(view),
        ] = relation.0.as_slice()
            && schema.value.eq_ignore_ascii_case("sys")
            && super::catalog::is_dmv(&view.value)
            && let Some(needed) = super::catalog::dmv_permission(&view.value, self.context.version)
            && !self.context.server_state.contains(&needed)
        {
            self.error = Some(SqlError {
                number: 300,
                state: 1,
                class: 14,
                text: format!(
                    "{needed} permission was denied on object 'server', database 'master'."
                ),
            });
            return ControlFlow::Break(());
        }
        for part in &mut relation.0 {
            if let ObjectNamePart::Identifier(ident) = part {
                quote(ident);
            }
        }
        match relation.0.len() {
            1 | 2 => ControlFlow::Continue(()),
            _ => self.fail(
                &relation.to_string(),
                "Four-part names (linked servers) are not supported by the simulator.",
            ),
        }
    }

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        match e {
            // N'…' is a plain string to SQLite (which is Unicode throughout).
            Expr::Value(v) => {
                if let Value::NationalStringLiteral(s) = &v.value {
                    v.value = Value::SingleQuotedString(s.clone());
                }
            }
            // @@VERSION and friends become a call of the simulator's __global function.
            Expr::Identifier(ident) if ident.value.starts_with("@@") => {
                let name = ident.value.trim_start_matches('@').to_uppercase();
                if !GLOBALS.contains(&name.as_str()) {
                    // Not a system function: to SQL Server an undeclared variable.
                    self.error = Some(SqlError {
                        number: 137,
                        state: 2,
                        class: 15,
                        text: format!("Must declare the scalar variable \"{}\".", ident.value),
                    });
                    return ControlFlow::Break(());
                }
                *e = expr(&format!("__global('{name}')"));
            }
            // SYSTEM_USER is SUSER_SNAME(); CURRENT_USER and SESSION_USER are USER_NAME()
            // (system-user-transact-sql, current-user-transact-sql, session-user-transact-sql).
            Expr::Identifier(ident)
                if ident.quote_style.is_none()
                    && ["SYSTEM_USER", "CURRENT_USER", "SESSION_USER"]
                        .iter()
                        .any(|k| ident.value.eq_ignore_ascii_case(k)) =>
            {
                *e = if ident.value.eq_ignore_ascii_case("SYSTEM_USER") {
                    expr("SUSER_SNAME()")
                } else {
                    expr("USER_NAME()")
                };
            }
            Expr::Identifier(ident) => quote(ident),
            Expr::CompoundIdentifier(parts) => {
                // #t.column: the qualifier is the temporary table's SQLite name.
                if parts.len() >= 2 {
                    let at = parts.len() - 2;
                    if parts[at].quote_style.is_none()
                        && super::script::is_temp_name(&parts[at].value)
                    {
                        parts[at].value = super::temp_tables::sqlite_name(
                            &parts[at].value,
                            self.context.spid,
                            self.context.depth,
                        );
                        parts.drain(..at);
                    }
                }
                parts.iter_mut().for_each(quote);
            }
            // CONVERT(type, x [, style]) is CAST(x AS type); so is TRY_CONVERT (2012+).
            Expr::Convert {
                expr: inner,
                data_type: Some(data_type),
                is_try,
                ..
            } => {
                if *is_try && let Some(error) = not_builtin("TRY_CONVERT", self.context.version) {
                    self.error = Some(error);
                    return ControlFlow::Break(());
                }
                if *is_try && let Some(converted) = try_convert(inner, data_type) {
                    *e = converted;
                    return ControlFlow::Continue(());
                }
                *e = Expr::Cast {
                    kind: sqlparser::ast::CastKind::Cast,
                    expr: inner.clone(),
                    data_type: data_type.clone(),
                    format: None,
                };
            }
            // T-SQL's + concatenates text and adds numbers; SQLite's only adds.
            Expr::BinaryOp {
                op: BinaryOperator::Plus,
                left,
                right,
            } => {
                *e = expr(&format!("__plus({left}, {right})"));
            }
            // SQLite's / and % give NULL for a zero divisor; SQL Server raises 8134, "Divide by
            // zero error encountered." (severity 16; learn.microsoft.com/sql/t-sql/
            // language-elements/divide-transact-sql, modulo-transact-sql).
            Expr::BinaryOp {
                op: op @ (BinaryOperator::Divide | BinaryOperator::Modulo),
                left,
                right,
            } => {
                let function = if *op == BinaryOperator::Divide {
                    "__divide"
                } else {
                    "__modulo"
                };
                *e = expr(&format!("{function}({left}, {right})"));
            }
            // CAST(x AS datetime) and the other date and time types: SQLite's CAST gives such a
            // type NUMERIC affinity and makes 2026 of '2026-11-07 15:00:01'; SQL Server parses
            // the date (learn.microsoft.com/sql/t-sql/functions/cast-and-convert-transact-sql,
            // "Date and time styles"). A text that is no date is NULL here where SQL Server
            // raises 241: the simulator's own values are always valid dates.
            Expr::Cast {
                kind: sqlparser::ast::CastKind::Cast,
                expr: inner,
                data_type,
                ..
            } if is_date_type(data_type) => {
                if let Some(converted) = try_convert(inner, data_type) {
                    *e = converted;
                }
            }
            // TRY_CAST(x AS t): SQLite's CAST never fails, so it is the same (2012+).
            Expr::Cast {
                kind: sqlparser::ast::CastKind::TryCast,
                expr: inner,
                data_type,
                format,
            } => {
                if let Some(error) = not_builtin("TRY_CAST", self.context.version) {
                    self.error = Some(error);
                    return ControlFlow::Break(());
                }
                *e = try_convert(inner, data_type).unwrap_or_else(|| Expr::Cast {
                    kind: sqlparser::ast::CastKind::Cast,
                    expr: inner.clone(),
                    data_type: data_type.clone(),
                    format: format.clone(),
                });
            }
            // SUBSTR is SQLite's; T-SQL has SUBSTRING only.
            Expr::Substring {
                shorthand: true, ..
            } => {
                self.error = not_builtin("SUBSTR", self.context.version);
                return ControlFlow::Break(());
            }
            // TRIM (2017+): TRIM(s) and TRIM(characters FROM s).
            Expr::Trim {
                expr: inner,
                trim_what,
                ..
            } => {
                if let Some(error) = not_builtin("TRIM", self.context.version) {
                    self.error = Some(error);
                    return ControlFlow::Break(());
                }
                // Written as a call of another name and renamed: T-SQL's parser reads
                // `TRIM(` as the TRIM syntax, which has no second argument.
                let mut call = match trim_what {
                    Some(what) => expr(&format!("sqlite_trim({inner}, {what})")),
                    None => expr(&format!("sqlite_trim({inner})")),
                };
                if let Expr::Function(f) = &mut call {
                    f.name = ObjectName(vec![ObjectNamePart::Identifier(Ident::new("trim"))]);
                }
                *e = call;
            }
            // schema.function and database.schema.function: the system functions the
            // simulator knows, else 4121 as for a user-defined function that does not exist.
            Expr::Function(f) if f.name.0.len() > 1 => match qualified_function(f, self.context) {
                Ok(name) => {
                    f.name = ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]);
                }
                Err(error) => {
                    self.error = Some(error);
                    return ControlFlow::Break(());
                }
            },
            // (… FOR XML …, TYPE).value(path, type), made a call by `script.rs`.
            Expr::Function(f)
                if matches!(f.name.0.as_slice(), [ObjectNamePart::Identifier(i)]
                    if i.quote_style.is_none() && i.value == super::script::XML_VALUE) =>
            {
                f.name = ObjectName(vec![ObjectNamePart::Identifier(Ident::new("__xml_value"))]);
            }
            // ISNULL(a, b) is IFNULL in SQLite (ISNULL is an operator there).
            Expr::Function(f) => {
                if let [ObjectNamePart::Identifier(name)] = f.name.0.as_slice()
                    && let Some(error) = not_builtin(&name.value, self.context.version)
                        .or_else(|| wrong_arity(&name.value, f))
                {
                    self.error = Some(error);
                    return ControlFlow::Break(());
                }
                // STRING_AGG(x, sep) WITHIN GROUP (ORDER BY …) is SQLite's
                // string_agg(x, sep ORDER BY …).
                if !f.within_group.is_empty()
                    && let sqlparser::ast::FunctionArguments::List(list) = &mut f.args
                {
                    list.clauses
                        .push(sqlparser::ast::FunctionArgumentClause::OrderBy(
                            std::mem::take(&mut f.within_group),
                        ));
                }
                if let [ObjectNamePart::Identifier(name)] = f.name.0.as_mut_slice()
                    && name.value.eq_ignore_ascii_case("ISNULL")
                {
                    name.value = "IFNULL".to_owned();
                }
                if let Some(replacement) = temp_object_id(f, self.context) {
                    *e = replacement;
                    return ControlFlow::Continue(());
                }
                if let Some(replacement) = catalog_function(f, self.context.version) {
                    *e = replacement;
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// The column SQL Server names the result of a top-level FOR XML query.
const XML_COLUMN: &str = "XML_F52E2B61-18A1-11d1-B105-00805F49916B";

/// `FOR XML PATH[('row')] [, ROOT[('root')]] [, TYPE]` (learn.microsoft.com/sql/relational-
/// databases/xml/use-path-mode-with-for-xml): each row becomes an element named by PATH's
/// argument (none for `PATH('')`), each named column an element inside it (an `@name` column
/// an attribute of it), each unnamed column or one named `text()`, `node()` or `*` its text;
/// NULLs are left out, `&`, `<` and `>` escaped; ROOT wraps everything in one element. The
/// rows concatenate into one value: the single row of a top-level query (column
/// `XML_F52E2B61-18A1-11d1-B105-00805F49916B`), or the value of a subquery — as the
/// `STUFF((SELECT ',' + name … FOR XML PATH('')), 1, 1, '')` idiom uses it. Rows are
/// built from the query after its translation, so TOP and ORDER BY apply first. TYPE changes
/// nothing here (the value stays text: the simulator has no `xml` type nor its methods).
/// FOR XML RAW, AUTO and EXPLICIT, column names with `/` and `data()` are refused.
fn for_xml(query: &mut Query) -> Result<(), SqlError> {
    use sqlparser::ast::{ForClause, ForXml, FunctionArg, FunctionArgExpr, FunctionArguments};
    let unsupported = |why: &str| SqlError::syntax("XML", why);
    let Some(ForClause::Xml { for_xml, root, .. }) = query.for_clause.take() else {
        return Err(SqlError::syntax(
            "FOR",
            "The simulator runs FOR XML PATH only (not FOR JSON or FOR BROWSE).",
        ));
    };
    let ForXml::Path(row) = for_xml else {
        return Err(unsupported(
            "The simulator runs FOR XML PATH only (not RAW, AUTO or EXPLICIT).",
        ));
    };
    let row = row.unwrap_or_else(|| "row".to_owned());
    let SetExpr::Select(select) = query.body.as_mut() else {
        return Err(unsupported(
            "The simulator runs FOR XML PATH of a single SELECT only.",
        ));
    };
    let Expr::Function(mut function) = expr(&format!("__xml_row('{}')", row.replace('\'', "''")))
    else {
        unreachable!("a function call");
    };
    let mut args = Vec::new();
    let text = |s: &str| {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(
            Value::SingleQuotedString(s.to_owned()).into(),
        )))
    };
    for item in std::mem::take(&mut select.projection) {
        let (name, value) = match item {
            SelectItem::ExprWithAlias { expr, alias } => (Some(alias.value), expr),
            SelectItem::UnnamedExpr(e) => match &e {
                Expr::Identifier(i) => (Some(i.value.clone()), e),
                Expr::CompoundIdentifier(parts) => (parts.last().map(|i| i.value.clone()), e),
                _ => (None, e),
            },
            _ => {
                return Err(unsupported(
                    "The simulator needs FOR XML PATH's columns by name, not *.",
                ));
            }
        };
        let (kind, name) = match name.as_deref() {
            None | Some("text()" | "node()" | "*") => ("t", String::new()),
            Some(n) if n.starts_with('@') => ("a", n[1..].to_owned()),
            Some(n) if n.contains('/') || n == "data()" => {
                return Err(unsupported(&format!(
                    "The simulator does not build FOR XML PATH column '{n}' (paths and data())."
                )));
            }
            Some(n) => ("e", n.to_owned()),
        };
        args.push(text(kind));
        args.push(text(&name));
        args.push(FunctionArg::Unnamed(FunctionArgExpr::Expr(value)));
    }
    if let FunctionArguments::List(list) = &mut function.args {
        list.args.extend(args);
    }
    select.projection = vec![SelectItem::ExprWithAlias {
        expr: Expr::Function(function),
        alias: Ident::with_quote('[', "__xml"),
    }];
    let concatenated = match &root {
        Some(root) => format!(
            "__xml_root('{}', group_concat([__xml], ''))",
            root.replace('\'', "''")
        ),
        None => "group_concat([__xml], '')".to_owned(),
    };
    let template = format!(
        "SELECT [{XML_COLUMN}] FROM (SELECT {concatenated} AS [{XML_COLUMN}] FROM (SELECT 1 AS [__xml]) AS [__xml_rows]) AS [__xml_all] WHERE [{XML_COLUMN}] IS NOT NULL"
    );
    let Ok(Statement::Query(mut wrapper)) = Parser::parse_sql(&MsSqlDialect {}, &template)
        .map_err(|_| ())
        .and_then(|mut v| v.pop().ok_or(()))
    else {
        unreachable!("valid template");
    };
    let inner = std::mem::replace(query, Query::clone(&wrapper));
    if let SetExpr::Select(outer) = wrapper.body.as_mut()
        && let TableFactor::Derived { subquery, .. } = &mut outer.from[0].relation
        && let SetExpr::Select(middle) = subquery.body.as_mut()
        && let TableFactor::Derived { subquery, .. } = &mut middle.from[0].relation
    {
        **subquery = inner;
    }
    *query = *wrapper;
    Ok(())
}

/// `OBJECT_ID('tempdb..#t')` (or `'#t'`, `'##t'`): the id of the session's temporary table,
/// NULL when there is none. learn.microsoft.com/sql/t-sql/functions/object-id-transact-sql:
/// when specifying a temporary table name, the database name must come before it unless the
/// current database is tempdb, as in its example `OBJECT_ID('tempdb..#mytemptable')` (the
/// simulator also accepts the bare name). Temporary tables' ids are negative here, as on SQL
/// Server 2016 and later.
fn temp_object_id(f: &sqlparser::ast::Function, context: &Context) -> Option<Expr> {
    if !f.name.to_string().eq_ignore_ascii_case("OBJECT_ID") {
        return None;
    }
    let sqlparser::ast::FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let Some(sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(
        Expr::Value(v),
    ))) = list.args.first()
    else {
        return None;
    };
    let (Value::SingleQuotedString(name) | Value::NationalStringLiteral(name)) = &v.value else {
        return None;
    };
    let last = name
        .rsplit('.')
        .next()
        .unwrap_or(name)
        .trim_matches(['[', ']']);
    if !last.starts_with('#') {
        return None;
    }
    let sqlite = super::temp_tables::sqlite_name(last, context.spid, context.depth);
    Some(expr(&format!(
        "(SELECT -1000 - rowid FROM main.sqlite_master WHERE type = 'table' AND name = '{}' COLLATE NOCASE)",
        sqlite.replace('\'', "''")
    )))
}

/// Functions called by a two- or three-part name that the simulator has (the name of its own
/// function for each), from their pages on learn.microsoft.com:
///
/// - `msdb.dbo.agent_datetime(date, time)` — SQL Server Agent's function in msdb, which has
///   no page of its own: it turns the int date yyyyMMdd and int time HHmmss that Agent keeps
///   (`run_date`, `run_time` of learn.microsoft.com/sql/relational-databases/system-tables/
///   dbo-sysjobhistory-transact-sql, "in yyyyMMdd format", "in HHmmss format") into a
///   `datetime`.
/// - `sys.fn_varbintohexstr(varbinary)` (master's; undocumented, its result is `0x` and the
///   bytes in lower-case hex, as `CONVERT(nvarchar, x, 1)` gives upper-case).
const QUALIFIED_FUNCTIONS: &[(&str, &str, Option<&str>, &str)] = &[
    // (function, schema, database it lives in (None: every database), simulator's name)
    ("agent_datetime", "dbo", Some("msdb"), "__agent_datetime"),
    ("fn_varbintohexstr", "sys", None, "__varbintohexstr"),
    (
        "fn_varbintohexstr",
        "dbo",
        Some("master"),
        "__varbintohexstr",
    ),
];

/// The simulator's function for `[database.]schema.function(…)`, or 4121 ("Cannot find either
/// column "dbo" or the user-defined function or aggregate "dbo.f", or the name is ambiguous.").
fn qualified_function(
    f: &sqlparser::ast::Function,
    context: &Context,
) -> Result<&'static str, SqlError> {
    let parts: Vec<String> = f
        .name
        .0
        .iter()
        .map(|p| p.as_ident().map_or(String::new(), |i| i.value.clone()))
        .collect();
    let (database, schema, name) = match parts.as_slice() {
        [s, n] => (None, s.as_str(), n.as_str()),
        [d, s, n] => (Some(d.as_str()), s.as_str(), n.as_str()),
        _ => (None, "", ""),
    };
    let current = context
        .databases
        .iter()
        .find(|d| d.id == context.current_database)
        .map_or("master", |d| d.name.as_str());
    let database = database.filter(|d| !d.is_empty()).unwrap_or(current);
    let found = QUALIFIED_FUNCTIONS.iter().find(|(n, s, d, _)| {
        n.eq_ignore_ascii_case(name)
            && s.eq_ignore_ascii_case(schema)
            && d.is_none_or(|d| d.eq_ignore_ascii_case(database))
    });
    match found {
        Some((_, _, _, internal)) => Ok(internal),
        None => Err(SqlError {
            number: 4121,
            state: 1,
            class: 16,
            text: format!(
                "Cannot find either column \"{}\" or the user-defined function or aggregate \"{}\", or the name is ambiguous.",
                parts[0],
                parts.join(".")
            ),
        }),
    }
}

/// Built-in functions that came after SQL Server 2008, each with the release that brought it
/// (its major version) and its page's "Applies to" on learn.microsoft.com
/// (`/sql/t-sql/functions/<page>`). Called on an older version, SQL Server answers 195:
/// `'NAME' is not a recognized built-in function name.`
pub const BUILTINS_SINCE: &[(&str, u8, &str)] = &[
    // SQL Server 2012 (11.x) and later.
    ("IIF", 11, "logical-functions-iif-transact-sql"),
    ("CHOOSE", 11, "logical-functions-choose-transact-sql"),
    ("CONCAT", 11, "concat-transact-sql"),
    ("FORMAT", 11, "format-transact-sql"),
    ("TRY_CAST", 11, "try-cast-transact-sql"),
    ("TRY_CONVERT", 11, "try-convert-transact-sql"),
    ("TRY_PARSE", 11, "try-parse-transact-sql"),
    ("PARSE", 11, "parse-transact-sql"),
    ("EOMONTH", 11, "eomonth-transact-sql"),
    ("DATEFROMPARTS", 11, "datefromparts-transact-sql"),
    ("DATETIMEFROMPARTS", 11, "datetimefromparts-transact-sql"),
    ("DATETIME2FROMPARTS", 11, "datetime2fromparts-transact-sql"),
    (
        "SMALLDATETIMEFROMPARTS",
        11,
        "smalldatetimefromparts-transact-sql",
    ),
    ("TIMEFROMPARTS", 11, "timefromparts-transact-sql"),
    (
        "DATETIMEOFFSETFROMPARTS",
        11,
        "datetimeoffsetfromparts-transact-sql",
    ),
    ("LAG", 11, "lag-transact-sql"),
    ("LEAD", 11, "lead-transact-sql"),
    ("FIRST_VALUE", 11, "first-value-transact-sql"),
    ("LAST_VALUE", 11, "last-value-transact-sql"),
    ("CUME_DIST", 11, "cume-dist-transact-sql"),
    ("PERCENT_RANK", 11, "percent-rank-transact-sql"),
    // SQL Server 2016 (13.x) and later.
    ("STRING_ESCAPE", 13, "string-escape-transact-sql"),
    ("COMPRESS", 13, "compress-transact-sql"),
    ("DECOMPRESS", 13, "decompress-transact-sql"),
    ("DATEDIFF_BIG", 13, "datediff-big-transact-sql"),
    ("SESSION_CONTEXT", 13, "session-context-transact-sql"),
    ("ISJSON", 13, "isjson-transact-sql"),
    ("JSON_VALUE", 13, "json-value-transact-sql"),
    ("JSON_QUERY", 13, "json-query-transact-sql"),
    ("JSON_MODIFY", 13, "json-modify-transact-sql"),
    // SQL Server 2017 (14.x) and later.
    ("STRING_AGG", 14, "string-agg-transact-sql"),
    ("CONCAT_WS", 14, "concat-ws-transact-sql"),
    ("TRIM", 14, "trim-transact-sql"),
    ("TRANSLATE", 14, "translate-transact-sql"),
    // SQL Server 2019 (15.x) and later.
    (
        "APPROX_COUNT_DISTINCT",
        15,
        "approx-count-distinct-transact-sql",
    ),
    // SQL Server 2022 (16.x) and later.
    ("GREATEST", 16, "logical-functions-greatest-transact-sql"),
    ("LEAST", 16, "logical-functions-least-transact-sql"),
    ("DATETRUNC", 16, "datetrunc-transact-sql"),
    ("DATE_BUCKET", 16, "date-bucket-transact-sql"),
    ("JSON_OBJECT", 16, "json-object-transact-sql"),
    ("JSON_ARRAY", 16, "json-array-transact-sql"),
    ("JSON_PATH_EXISTS", 16, "json-path-exists-transact-sql"),
    ("LEFT_SHIFT", 16, "left-shift-transact-sql"),
    ("RIGHT_SHIFT", 16, "right-shift-transact-sql"),
    ("BIT_COUNT", 16, "bit-count-transact-sql"),
    ("GET_BIT", 16, "get-bit-transact-sql"),
    ("SET_BIT", 16, "set-bit-transact-sql"),
    // SQL Server 2025 (17.x) and later.
    ("UNISTR", 17, "unistr-transact-sql"),
    ("REGEXP_LIKE", 17, "regexp-like-transact-sql"),
    ("REGEXP_REPLACE", 17, "regexp-replace-transact-sql"),
    ("REGEXP_SUBSTR", 17, "regexp-substr-transact-sql"),
    ("REGEXP_INSTR", 17, "regexp-instr-transact-sql"),
    ("REGEXP_COUNT", 17, "regexp-count-transact-sql"),
    ("BASE64_ENCODE", 17, "base64-encode-transact-sql"),
    ("BASE64_DECODE", 17, "base64-decode-transact-sql"),
];

/// Functions SQLite has and T-SQL never had (its function list: learn.microsoft.com
/// /sql/t-sql/functions/functions): SQL Server answers 195 for each, so the simulator must not
/// run them through SQLite. The translator's own rewrites (ISNULL → IFNULL, CHARINDEX → instr)
/// are made after this check.
const NOT_TSQL: &[&str] = &[
    "IFNULL",
    "INSTR",
    "SUBSTR",
    "PRINTF",
    "GROUP_CONCAT",
    "LENGTH",
    "OCTET_LENGTH",
    "HEX",
    "UNHEX",
    "TYPEOF",
    "SUBTYPE",
    "RANDOM",
    "RANDOMBLOB",
    "ZEROBLOB",
    "TOTAL",
    "GLOB",
    "LIKE",
    "LIKELY",
    "UNLIKELY",
    "LIKELIHOOD",
    "QUOTE",
    "CHANGES",
    "TOTAL_CHANGES",
    "LAST_INSERT_ROWID",
    "DATE",
    "TIME",
    "DATETIME",
    "JULIANDAY",
    "STRFTIME",
    "UNIXEPOCH",
    "TIMEDIFF",
    "LOAD_EXTENSION",
    "JSON",
    "JSONB",
    "JSON_EXTRACT",
    "JSON_ARRAY_LENGTH",
    "JSON_GROUP_ARRAY",
    "JSON_GROUP_OBJECT",
    "JSON_TYPE",
    "JSON_VALID",
    "JSON_SET",
    "JSON_INSERT",
    "JSON_REPLACE",
    "JSON_REMOVE",
    "JSON_PATCH",
    "JSON_QUOTE",
    "NTH_VALUE",
];

/// 195 when `name` is no built-in function of `version` (a single-part name; schema-qualified
/// names are user-defined functions).
fn not_builtin(name: &str, version: crate::instance::Version) -> Option<SqlError> {
    let upper = name.to_ascii_uppercase();
    let absent = upper.starts_with("SQLITE_")
        || upper.starts_with("__")
        || NOT_TSQL.contains(&upper.as_str())
        || BUILTINS_SINCE
            .iter()
            .any(|(n, since, _)| *n == upper && version.major < *since);
    absent.then(|| SqlError {
        number: 195,
        state: 10,
        class: 15,
        text: format!("'{name}' is not a recognized built-in function name."),
    })
}

/// Whether `data_type` is one of the date and time types `try_convert` parses.
fn is_date_type(data_type: &sqlparser::ast::DataType) -> bool {
    let name = data_type.to_string().to_ascii_uppercase();
    matches!(
        name.split('(').next().unwrap_or("").trim(),
        "DATE" | "DATETIME" | "DATETIME2" | "SMALLDATETIME"
    )
}

/// TRY_CAST / TRY_CONVERT to a number or a date and time: NULL when the value does not convert
/// (learn.microsoft.com/sql/t-sql/functions/try-cast-transact-sql), which SQLite's CAST never
/// says (it makes 0 of 'abc'). None for other types, which every value converts to here.
fn try_convert(inner: &Expr, data_type: &sqlparser::ast::DataType) -> Option<Expr> {
    let name = data_type.to_string().to_ascii_uppercase();
    let kind = name.split('(').next().unwrap_or("").trim();
    let target = match kind {
        "TINYINT" | "SMALLINT" | "INT" | "INTEGER" | "BIGINT" | "BIT" => kind,
        "DECIMAL" | "NUMERIC" | "FLOAT" | "REAL" | "MONEY" | "SMALLMONEY" => "FLOAT",
        "DATE" | "DATETIME" | "DATETIME2" | "SMALLDATETIME" => kind,
        _ => return None,
    };
    Some(expr(&format!("__try_convert({inner}, '{target}')")))
}

/// The `@@` system functions (learn.microsoft.com/sql/t-sql/functions/
/// configuration-functions-transact-sql, system-statistical-functions-transact-sql, and the
/// pages of @@ERROR, @@IDENTITY, @@ROWCOUNT, @@TRANCOUNT, @@FETCH_STATUS, @@CURSOR_ROWS,
/// @@PROCID); any other `@@name` is an undeclared variable (137).
const GLOBALS: &[&str] = &[
    "DATEFIRST",
    "DBTS",
    "LANGID",
    "LANGUAGE",
    "LOCK_TIMEOUT",
    "MAX_CONNECTIONS",
    "MAX_PRECISION",
    "NESTLEVEL",
    "OPTIONS",
    "REMSERVER",
    "SERVERNAME",
    "SERVICENAME",
    "SPID",
    "TEXTSIZE",
    "VERSION",
    "CONNECTIONS",
    "CPU_BUSY",
    "IDLE",
    "IO_BUSY",
    "PACK_RECEIVED",
    "PACK_SENT",
    "PACKET_ERRORS",
    "TIMETICKS",
    "TOTAL_ERRORS",
    "TOTAL_READ",
    "TOTAL_WRITE",
    "ERROR",
    "IDENTITY",
    "ROWCOUNT",
    "TRANCOUNT",
    "FETCH_STATUS",
    "CURSOR_ROWS",
    "PROCID",
];

/// The translator's and SQLite's names of functions, and the T-SQL names a client wrote.
const INTERNAL_NAMES: &[(&str, &str)] = &[
    ("__datetrunc", "DATETRUNC"),
    ("__datediff", "DATEDIFF"),
    ("__dateadd", "DATEADD"),
    ("__datepart", "DATEPART"),
    ("__datename", "DATENAME"),
    ("__srvrole_self", "IS_SRVROLEMEMBER"),
    ("IFNULL", "ISNULL"),
    ("instr", "CHARINDEX"),
    ("__agent_datetime", "agent_datetime"),
    ("__varbintohexstr", "fn_varbintohexstr"),
    ("__xml_value", "value"),
    ("__divide", "/"),
    ("__modulo", "%"),
];

/// How many arguments T-SQL's functions take (each function's page on learn.microsoft.com),
/// for errors 174 and 189 when a call has another number.
const ARITY: &[(&str, usize, usize)] = &[
    ("LEN", 1, 1),
    ("DATALENGTH", 1, 1),
    ("UPPER", 1, 1),
    ("LOWER", 1, 1),
    ("REPLACE", 3, 3),
    ("SUBSTRING", 3, 3),
    ("LEFT", 2, 2),
    ("RIGHT", 2, 2),
    ("ISNULL", 2, 2),
    ("NULLIF", 2, 2),
    ("DATEDIFF", 3, 3),
    ("DATEADD", 3, 3),
    ("DATEPART", 2, 2),
    ("DATENAME", 2, 2),
    ("DATEDIFF_BIG", 3, 3),
    ("DATETRUNC", 2, 2),
    ("CHARINDEX", 2, 3),
    ("QUOTENAME", 1, 2),
    ("SERVERPROPERTY", 1, 1),
    ("CONNECTIONPROPERTY", 1, 1),
    ("LOGINPROPERTY", 2, 2),
    ("PARSENAME", 2, 2),
    ("HAS_DBACCESS", 1, 1),
    ("IS_MEMBER", 1, 1),
    ("IS_SRVROLEMEMBER", 1, 2),
    ("DATEFROMPARTS", 3, 3),
    ("TRANSLATE", 3, 3),
    ("IIF", 3, 3),
    ("EOMONTH", 1, 2),
    ("FORMAT", 2, 3),
    ("CONCAT", 2, 254),
    ("CONCAT_WS", 3, 254),
    ("GREATEST", 1, 254),
    ("LEAST", 1, 254),
    ("STRING_AGG", 2, 2),
    ("OBJECT_ID", 1, 2),
    ("OBJECT_NAME", 1, 2),
    ("OBJECT_SCHEMA_NAME", 1, 2),
    ("SCHEMA_ID", 0, 1),
    ("SCHEMA_NAME", 0, 1),
    ("DB_ID", 0, 1),
    ("DB_NAME", 0, 1),
    ("USER_NAME", 0, 1),
    ("USER_ID", 0, 1),
    ("DATABASE_PRINCIPAL_ID", 0, 1),
    ("SUSER_SNAME", 0, 1),
    ("SUSER_SID", 0, 2),
    ("HAS_PERMS_BY_NAME", 3, 5),
    ("ISJSON", 1, 2),
    ("JSON_VALUE", 2, 2),
    ("JSON_QUERY", 1, 2),
    ("REPLICATE", 2, 2),
    ("SPACE", 1, 1),
    ("REVERSE", 1, 1),
    ("STUFF", 4, 4),
    ("PATINDEX", 2, 2),
    ("STR", 1, 3),
    ("NCHAR", 1, 1),
    ("ASCII", 1, 1),
    ("CEILING", 1, 1),
    ("FLOOR", 1, 1),
    ("SQRT", 1, 1),
    ("SQUARE", 1, 1),
    ("EXP", 1, 1),
    ("LOG", 1, 2),
    ("LOG10", 1, 1),
    ("POWER", 2, 2),
    ("PI", 0, 0),
    ("RAND", 0, 1),
    ("ISNUMERIC", 1, 1),
    ("ISDATE", 1, 1),
    ("NEWID", 0, 0),
    ("DATABASEPROPERTYEX", 2, 2),
    ("TYPE_NAME", 1, 1),
    ("TYPE_ID", 1, 1),
    ("IS_ROLEMEMBER", 1, 2),
    ("OBJECTPROPERTY", 2, 2),
    ("COL_NAME", 2, 2),
    ("SCOPE_IDENTITY", 0, 0),
    ("GETDATE", 0, 0),
    ("GETUTCDATE", 0, 0),
    ("SYSDATETIME", 0, 0),
];

/// 174 / 189 when a call of a function of [`ARITY`] has another number of arguments.
fn wrong_arity(name: &str, f: &sqlparser::ast::Function) -> Option<SqlError> {
    let count = match &f.args {
        sqlparser::ast::FunctionArguments::List(list) => list.args.len(),
        sqlparser::ast::FunctionArguments::None => 0,
        sqlparser::ast::FunctionArguments::Subquery(_) => return None,
    };
    let (_, min, max) = ARITY
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))?;
    (count < *min || count > *max).then(|| arity_error(name, *min, *max))
}

/// SQL Server's words for a call with the wrong number of arguments.
fn arity_error(name: &str, min: usize, max: usize) -> SqlError {
    let lower = name.to_lowercase();
    if min == max {
        SqlError {
            number: 174,
            state: 1,
            class: 15,
            text: format!("The {lower} function requires {min} argument(s)."),
        }
    } else {
        SqlError {
            number: 189,
            state: 1,
            class: 15,
            text: format!("The {lower} function requires {min} to {max} arguments."),
        }
    }
}

/// SQLite's complaint about a statement, as SQL Server words it, when SQL Server has such a
/// message: a call with the wrong number of arguments (174 or 189, under the name the client
/// wrote), an ambiguous column (209).
pub fn sqlite_error(text: &str) -> Option<SqlError> {
    if let Some(rest) = text.split("wrong number of arguments to function ").nth(1) {
        let name = rest.split('(').next().unwrap_or("");
        let name = INTERNAL_NAMES
            .iter()
            .find(|(internal, _)| internal.eq_ignore_ascii_case(name))
            .map_or(name, |(_, tsql)| tsql);
        let (_, min, max) = ARITY
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))?;
        return Some(arity_error(name, *min, *max));
    }
    if let Some(rest) = text.split("no such function: ").nth(1) {
        let name = rest.split_whitespace().next().unwrap_or("");
        let name = INTERNAL_NAMES
            .iter()
            .find(|(internal, _)| internal.eq_ignore_ascii_case(name))
            .map_or(name, |(_, tsql)| tsql);
        return Some(SqlError {
            number: 195,
            state: 10,
            class: 15,
            text: format!("'{name}' is not a recognized built-in function name."),
        });
    }
    if let Some(rest) = text.split("ambiguous column name: ").nth(1) {
        let column = rest.split_whitespace().next().unwrap_or("");
        let column = column.rsplit('.').next().unwrap_or(column);
        return Some(SqlError {
            number: 209,
            state: 1,
            class: 16,
            text: format!(
                "Ambiguous column name '{}'.",
                column.trim_matches(['[', ']', '"'])
            ),
        });
    }
    None
}

/// SQLite's message without the translated statement it quotes (" in SELECT … at offset N")
/// and with the translator's names put back as the client wrote them, so that no internal name
/// reaches a client.
pub fn untranslate(text: &str) -> String {
    let mut text = match text.rfind(" in ") {
        Some(at) if text.contains(" at offset ") => text[..at].to_owned(),
        _ => text.to_owned(),
    };
    for (internal, tsql) in INTERNAL_NAMES {
        text = text.replace(internal, tsql);
    }
    while let Some(at) = text.find("__global('") {
        let rest = &text[at + "__global('".len()..];
        let Some(end) = rest.find("')") else { break };
        text = format!("{}@@{}{}", &text[..at], &rest[..end], &rest[end + 2..]);
    }
    text.replace("[scoped].", "sys.")
}

/// The table factor of `SELECT * FROM <factor>`, parsed as T-SQL.
fn derived_table(sql: &str) -> Option<TableFactor> {
    Parser::parse_sql(&MsSqlDialect {}, sql)
        .ok()
        .and_then(|mut v| v.pop())
        .and_then(|s| match s {
            Statement::Query(q) => match *q.body {
                SetExpr::Select(select) => select.from.into_iter().next().map(|t| t.relation),
                _ => None,
            },
            _ => None,
        })
}

/// Where a table name points.
enum Resolved {
    /// A database-scoped view of database `database`.
    Scoped {
        table: &'static str,
        database: i32,
        columns: Vec<&'static str>,
    },
    /// A table of msdb's `dbo` schema.
    Msdb(String),
    /// Anything else: resolved by SQLite (server-scoped views, or 208).
    AsIs,
}

impl Rewriter<'_> {
    fn resolve(&self, parts: &[String]) -> Result<Resolved, SqlError> {
        let (database, schema, table) = match parts {
            [d, s, t] => (Some(d.as_str()), s.as_str(), t.as_str()),
            [s, t] => (None, s.as_str(), t.as_str()),
            _ => return Ok(Resolved::AsIs),
        };
        let db = match database {
            Some(name) => {
                let Some(db) = self
                    .context
                    .databases
                    .iter()
                    .find(|d| d.name.eq_ignore_ascii_case(name))
                else {
                    return Err(SqlError {
                        number: 208,
                        state: 1,
                        class: 16,
                        text: format!("Invalid object name '{}'.", parts.join(".")),
                    });
                };
                db
            }
            None => match self
                .context
                .databases
                .iter()
                .find(|d| d.id == self.context.current_database)
            {
                Some(db) => db,
                None => return Ok(Resolved::AsIs),
            },
        };
        if schema.eq_ignore_ascii_case("dbo") && db.name.eq_ignore_ascii_case("msdb") {
            // Reading msdb's tables needs a way into msdb (its guest user has CONNECT unless
            // a DBA revoked it). Microsoft's pages for the backup history tables state no
            // permission, so the simulator checks none beyond that.
            if !db.accessible {
                return Err(not_accessible(&self.context.login, &db.name));
            }
            // msdb's proxy and subsystem tables: "Only members of the sysadmin fixed server
            // role can access this table" (learn.microsoft.com: dbo.sysproxies,
            // dbo.sysproxylogin, dbo.sysproxysubsystem, dbo.syssubsystems).
            if !self.context.sysadmin
                && SYSADMIN_ONLY_MSDB
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(table))
            {
                return Err(SqlError {
                    number: 229,
                    state: 5,
                    class: 14,
                    text: format!(
                        "The SELECT permission was denied on the object '{table}', database 'msdb', schema 'dbo'."
                    ),
                });
            }
            return Ok(Resolved::Msdb(table.to_owned()));
        }
        if !schema.eq_ignore_ascii_case("sys") {
            return Ok(Resolved::AsIs);
        }
        let Some((name, columns)) = self
            .scoped
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(table))
        else {
            return Ok(Resolved::AsIs);
        };
        if !db.online {
            return Err(SqlError {
                number: 942,
                state: 4,
                class: 14,
                text: format!(
                    "Database '{}' cannot be opened because it is offline.",
                    db.name
                ),
            });
        }
        if !db.accessible {
            return Err(not_accessible(&self.context.login, &db.name));
        }
        Ok(Resolved::Scoped {
            table: name,
            database: db.id,
            columns: columns.clone(),
        })
    }
}

/// msdb tables whose pages admit sysadmin only.
const SYSADMIN_ONLY_MSDB: [&str; 4] = [
    "sysproxies",
    "sysproxylogin",
    "sysproxysubsystem",
    "syssubsystems",
];

/// 916: the login may not use the database.
fn not_accessible(login: &str, database: &str) -> SqlError {
    SqlError {
        number: 916,
        state: 1,
        class: 14,
        text: format!(
            "The server principal \"{login}\" is not able to access the database \"{database}\" under the current security context."
        ),
    }
}

/// Functions that read the catalog become expressions over it (a SQLite function cannot query
/// the database it runs in). Arguments are spliced back as printed by the parser, so they stay
/// the expressions they were.
fn catalog_function(
    f: &sqlparser::ast::Function,
    version: crate::instance::Version,
) -> Option<Expr> {
    let name = f.name.to_string().to_ascii_uppercase();
    let args: Vec<String> = match &f.args {
        sqlparser::ast::FunctionArguments::List(list) => {
            list.args.iter().map(ToString::to_string).collect()
        }
        sqlparser::ast::FunctionArguments::None => Vec::new(),
        sqlparser::ast::FunctionArguments::Subquery(_) => return None,
    };
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_owned());
    // Arguments stay outside every subquery, so that an outer column such as `name` can never
    // be captured by a table inside it. Names compare case-insensitively, as under SQL Server's
    // default collation.
    let sql = match name.as_str() {
        // NULL for a role that does not exist; everyone is in public.
        // DATEDIFF(day, a, b): the unit is a keyword to SQL Server, a string to our function.
        "DATEDIFF" | "DATEADD" | "DATEPART" | "DATENAME" | "DATEDIFF_BIG" | "DATETRUNC"
            if !args.is_empty() =>
        {
            format!(
                "__{}('{}', {})",
                name.trim_end_matches("_BIG").to_lowercase(),
                args[0].trim_matches(['[', ']', '\'']).to_lowercase(),
                args[1..].join(", ")
            )
        }
        // CHARINDEX(needle, haystack) is instr(haystack, needle).
        "CHARINDEX" if args.len() == 2 => format!("instr({}, {})", args[1], args[0]),
        // The session's own membership counts its Windows groups' logins too.
        "IS_SRVROLEMEMBER" if args.len() == 1 => format!("__srvrole_self({})", args[0]),
        "IS_SRVROLEMEMBER" => format!(
            "(CASE WHEN lower({role}) NOT IN (SELECT lower(name) FROM sys.server_principals WHERE type = 'R') THEN NULL \
              WHEN lower({role}) = 'public' THEN 1 \
              ELSE lower({role}) || char(0) || lower({login}) IN \
                (SELECT lower(r.name) || char(0) || lower(p.name) FROM sys.server_role_members AS m \
                 JOIN sys.server_principals AS r ON r.principal_id = m.role_principal_id \
                 JOIN sys.server_principals AS p ON p.principal_id = m.member_principal_id) END)",
            role = arg(0, "NULL"),
            login = arg(1, "SUSER_SNAME()")
        ),
        // CONNECTIONPROPERTY(property): the session's own row of sys.dm_exec_connections,
        // which the function reads without VIEW SERVER STATE; physical_net_transport from 2012
        // (learn.microsoft.com/sql/t-sql/functions/connectionproperty-transact-sql; the 2008 R2
        // page, bb895240(v=sql.105), lists it not). Any other string gives NULL.
        "CONNECTIONPROPERTY" if args.len() == 1 => {
            let mut properties = vec![
                ("net_transport", "net_transport"),
                ("protocol_type", "protocol_type"),
                ("auth_scheme", "auth_scheme"),
                ("local_net_address", "local_net_address"),
                ("local_tcp_port", "local_tcp_port"),
                ("client_net_address", "client_net_address"),
            ];
            if version.major >= 11 {
                properties.push(("physical_net_transport", "net_transport"));
            }
            let arms: Vec<String> = properties
                .iter()
                .map(|(property, column)| {
                    format!(
                        "WHEN '{property}' THEN (SELECT [{column}] FROM [sys].[dm_exec_connections] WHERE session_id = __global('SPID'))"
                    )
                })
                .collect();
            format!("(CASE lower({}) {} END)", args[0], arms.join(" "))
        }
        _ => return None,
    };
    Some(expr(&sql))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context {
        Context {
            version: crate::instance::Version::new(15, 0, 2000, 5),
            current_database: 1,
            databases: vec![DatabaseAccess {
                name: "master".into(),
                id: 1,
                online: true,
                accessible: true,
            }],
            server_state: vec![
                "VIEW SERVER STATE",
                "VIEW SERVER SECURITY STATE",
                "VIEW SERVER PERFORMANCE STATE",
            ],
            login: "sa".into(),
            sysadmin: true,
            spid: 52,
            depth: 1,
        }
    }

    fn translate(sql: &str) -> Result<String, SqlError> {
        let mut statements = Parser::parse_sql(&MsSqlDialect {}, sql).unwrap();
        to_sqlite(statements.remove(0), &context()).map(|t| t.sql)
    }

    #[test]
    fn serverproperty_columns_are_variants_unless_cast() {
        let variants = |sql: &str| {
            let mut statements = Parser::parse_sql(&MsSqlDialect {}, sql).unwrap();
            to_sqlite(statements.remove(0), &context())
                .unwrap()
                .variant_columns
        };
        assert_eq!(
            variants("SELECT 1, SERVERPROPERTY('Edition') AS e, SERVERPROPERTY('x')"),
            vec![1, 2]
        );
        assert_eq!(
            variants("SELECT CAST(SERVERPROPERTY('Edition') AS nvarchar(128))"),
            Vec::<usize>::new()
        );
    }

    #[test]
    fn sqlite_messages_never_name_the_translation() {
        assert_eq!(
            untranslate(
                "no such thing: __global('TRANCOUNT') + IFNULL(x) in SELECT __plus(1) at offset 7"
            ),
            "no such thing: @@TRANCOUNT + ISNULL(x)"
        );
        let e =
            sqlite_error("wrong number of arguments to function __datediff() in SELECT x").unwrap();
        assert_eq!(
            (e.number, e.text.as_str()),
            (174, "The datediff function requires 3 argument(s).")
        );
        let e = sqlite_error("wrong number of arguments to function instr()").unwrap();
        assert_eq!(
            (e.number, e.text.as_str()),
            (189, "The charindex function requires 2 to 3 arguments.")
        );
    }

    #[test]
    fn qualified_functions_the_simulator_lacks_are_4121() {
        let e = translate("SELECT dbo.f(1)").unwrap_err();
        assert_eq!(
            (e.number, e.text.as_str()),
            (
                4121,
                "Cannot find either column \"dbo\" or the user-defined function or aggregate \"dbo.f\", or the name is ambiguous."
            )
        );
        // agent_datetime lives in msdb only.
        assert_eq!(
            translate("SELECT master.dbo.agent_datetime(1, 2)")
                .unwrap_err()
                .number,
            4121
        );
    }

    #[test]
    fn apply_forms_the_simulator_cannot_run_are_errors_not_answers() {
        let e = translate("SELECT * FROM t CROSS APPLY (SELECT 1) x").unwrap_err();
        assert_eq!(
            (e.number, e.text.as_str()),
            (8155, "No column name was specified for column 1 of 'x'.")
        );
        for sql in [
            "SELECT * FROM t CROSS APPLY sys.dm_exec_sql_text(t.h) x",
            "SELECT * FROM t CROSS APPLY (SELECT * FROM u) x",
            "SELECT * FROM t OUTER APPLY (SELECT 1 AS a) x(b)",
        ] {
            assert_eq!(translate(sql).unwrap_err().number, 102, "{sql}");
        }
        assert!(
            translate(
                "SELECT t.a, x.n FROM t CROSS APPLY (SELECT COUNT(*) AS n FROM u WHERE u.k = t.k) x"
            )
            .unwrap()
            .contains("CROSS JOIN json_each((SELECT json_group_array(json_array([__applied].[n]))")
        );
    }

    #[test]
    fn for_xml_forms_the_simulator_cannot_build_are_errors() {
        for sql in [
            "SELECT name FROM t FOR XML RAW",
            "SELECT name FROM t FOR XML AUTO",
            "SELECT name AS [a/b] FROM t FOR XML PATH",
            "SELECT * FROM t FOR XML PATH",
            "SELECT name FROM t FOR JSON PATH",
        ] {
            assert_eq!(translate(sql).unwrap_err().number, 102, "{sql}");
        }
    }

    #[test]
    fn rewrites() {
        assert_eq!(
            translate("SELECT TOP 3 name FROM sys.databases").unwrap(),
            "SELECT [name] FROM [sys].[databases] LIMIT 3"
        );
        assert_eq!(translate("SELECT N'x'").unwrap(), "SELECT 'x'");
        assert_eq!(
            translate("SELECT @@version").unwrap(),
            "SELECT __global('VERSION')"
        );
        assert_eq!(
            translate("SELECT ISNULL(a, 1) FROM t").unwrap(),
            "SELECT IFNULL([a], 1) FROM [t]"
        );
        assert_eq!(
            translate("SELECT [name] AS nothing FROM master.sys.[databases] AS d WHERE d.key = 1")
                .unwrap(),
            "SELECT [name] AS [nothing] FROM [sys].[databases] AS [d] WHERE [d].[key] = 1"
        );
        assert_eq!(
            translate("SELECT 1 AS [a]]b]").unwrap(),
            r#"SELECT 1 AS "a]b""#
        );
        assert_eq!(translate("SELECT 'it''s ]'").unwrap(), "SELECT 'it''s ]'");
        assert_eq!(
            translate("SELECT a + 'x' + 1 FROM t").unwrap(),
            "SELECT __plus(__plus([a], 'x'), 1) FROM [t]"
        );
        assert_eq!(
            translate("SELECT 7 / 2, 7 % 2").unwrap(),
            "SELECT __divide(7, 2), __modulo(7, 2)"
        );
        assert_eq!(
            translate("SELECT msdb.dbo.agent_datetime(20240101, 0), sys.fn_varbintohexstr(0x0A)")
                .unwrap(),
            "SELECT __agent_datetime(20240101, 0), __varbintohexstr(X'0A')"
        );
        assert_eq!(
            translate("SELECT x FROM tempdb..#t AS t JOIN @v ON #t.k = 1").unwrap(),
            "SELECT [x] FROM [#t\u{1}52] AS [t] JOIN [@v\u{1}52.1] ON [#t\u{1}52].[k] = 1"
        );
        assert_eq!(translate("UPDATE t SET a = 1").unwrap_err().number, 102);
        assert_eq!(translate("SELECT * FROM a.b.c.d").unwrap_err().number, 102);
    }
}
