//! Splits a T-SQL batch into statements. sqlparser (MsSql dialect) parses queries and
//! expressions; the control flow (IF / BEGIN…END / TRY…CATCH), variables, procedure calls
//! and the security DDL that sqlparser does not know (ALTER LOGIN, ALTER SERVER ROLE,
//! BACKUP, RECONFIGURE, …), cursors, table variables, `INSERT … EXEC` and `EXEC (…)` are
//! parsed here, on the same token stream, with sqlparser's parser API. Anything not
//! recognised is a syntax error naming the construct.

use sqlparser::ast::{Expr, Ident, ObjectName, Statement};
use sqlparser::dialect::MsSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use super::SqlError;

/// One argument of a procedure call.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// `@name =`, if named.
    pub name: Option<String>,
    /// The value.
    pub value: Expr,
    /// `OUTPUT`: the argument is a variable the procedure assigns.
    pub output: bool,
}

/// A server permission change: GRANT / DENY / REVOKE.
#[derive(Debug, Clone, PartialEq)]
pub struct PermissionChange {
    /// `GRANT`, `DENY`, `REVOKE`.
    pub verb: String,
    /// Permissions, upper case (`VIEW SERVER STATE`, `SELECT`, `CONNECT`).
    pub permissions: Vec<String>,
    /// The securable: (class, name), e.g. (`OBJECT`, `dbo.Orders`); none = the current
    /// database or the server.
    pub on: Option<(String, String)>,
    /// Grantees.
    pub principals: Vec<String>,
    /// WITH GRANT OPTION.
    pub with_grant_option: bool,
    /// REVOKE GRANT OPTION FOR.
    pub grant_option_for: bool,
}

/// What ALTER LOGIN changes.
#[derive(Debug, Clone, PartialEq)]
pub enum LoginChange {
    /// ENABLE.
    Enable,
    /// DISABLE.
    Disable,
    /// WITH options.
    With(Vec<(String, Expr)>),
}

/// One statement of a batch, with its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    /// What it does.
    pub kind: Kind,
    /// Its source text, for the statement log.
    pub text: String,
}

/// The statements the simulator runs.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum Kind {
    /// A query (SELECT …), run by SQLite after translation.
    Query(Box<Statement>),
    /// `SELECT @a = x, @b = y …`: assigns variables from the last row.
    SelectAssign {
        targets: Vec<String>,
        query: Box<Statement>,
    },
    Use(String),
    Declare(Vec<(String, Option<Expr>)>),
    SetVariable(String, Expr),
    /// SET NOCOUNT ON and other session options: accepted, no effect.
    SetOption,
    If {
        condition: Expr,
        then: Box<Stmt>,
        otherwise: Option<Box<Stmt>>,
    },
    Block(Vec<Stmt>),
    /// `WHILE condition statement`.
    While {
        condition: Expr,
        body: Box<Stmt>,
    },
    /// `BREAK`: leaves the innermost WHILE.
    Break,
    /// `CONTINUE`: the innermost WHILE's next test.
    Continue,
    TryCatch {
        body: Vec<Stmt>,
        handler: Vec<Stmt>,
    },
    Exec {
        procedure: String,
        args: Vec<Arg>,
    },
    Print(Expr),
    Raiserror(Vec<Expr>),
    Throw(Vec<Expr>),
    Return,
    BeginTransaction,
    Commit,
    /// ROLLBACK [TRAN[SACTION] [name]]: a savepoint's or the transaction's name.
    Rollback(Option<String>),
    /// SAVE TRAN[SACTION] name (learn.microsoft.com save-transaction-transact-sql).
    Save(String),
    Reconfigure,
    CreateLogin {
        name: String,
        windows: bool,
        options: Vec<(String, Expr)>,
    },
    AlterLogin {
        name: String,
        change: LoginChange,
    },
    DropLogin(String),
    /// ALTER SERVER ROLE (server = true) or ALTER ROLE.
    AlterRole {
        server: bool,
        role: String,
        add: bool,
        member: String,
    },
    CreateUser {
        name: String,
        login: Option<String>,
    },
    DropUser(String),
    Permission(PermissionChange),
    AlterDatabase {
        database: String,
        options: Vec<String>,
    },
    AlterAuthorization {
        database: String,
        owner: String,
    },
    DropTrigger {
        name: String,
        server: bool,
    },
    EnableTrigger {
        name: String,
        server: bool,
        enable: bool,
    },
    BackupCertificate(String),
    BackupMasterKey,
    BackupDatabase {
        database: String,
        log: bool,
    },
    /// CREATE TABLE, INSERT, UPDATE, DELETE or DROP TABLE of temporary tables (`#t`, `##t`) and
    /// table variables (`@t`) only, run by SQLite after translation (`temp_tables.rs`).
    Temp(Box<Statement>),
    /// `SELECT … INTO #t FROM …`: the query (without INTO) and the new temporary table.
    SelectInto {
        table: String,
        query: Box<Statement>,
    },
    /// `DECLARE @t TABLE (…)`: the variable and its table as a CREATE TABLE.
    DeclareTable {
        name: String,
        create: Box<Statement>,
    },
    /// `INSERT [INTO] #t [(columns)] EXEC …`: the rows of every result set the call returns.
    InsertExec {
        table: String,
        columns: Vec<String>,
        source: Box<Kind>,
    },
    /// `EXEC (expression)`: dynamic SQL, run as its own batch.
    ExecDynamic(Expr),
    /// `DECLARE name CURSOR … FOR select` (`cursors.rs`).
    DeclareCursor {
        name: String,
        global: bool,
        scroll: bool,
        query: Box<Statement>,
    },
    /// OPEN, CLOSE, DEALLOCATE of a cursor.
    Cursor(CursorAction, String),
    /// `FETCH [NEXT | PRIOR | FIRST | LAST] [FROM] name [INTO @a, …]`.
    Fetch {
        direction: String,
        name: String,
        into: Vec<String>,
    },
}

/// What a cursor statement does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorAction {
    Open,
    Close,
    Deallocate,
}

impl Kind {
    /// Whether the statement can change the server.
    pub fn is_read(&self) -> bool {
        match self {
            Kind::Query(_)
            | Kind::SelectAssign { .. }
            | Kind::Use(_)
            | Kind::Declare(_)
            | Kind::SetVariable(..)
            | Kind::SetOption
            | Kind::Print(_)
            | Kind::Raiserror(_)
            | Kind::Throw(_)
            | Kind::Break
            | Kind::Continue
            | Kind::Return
            | Kind::Temp(_)
            | Kind::SelectInto { .. }
            | Kind::DeclareTable { .. }
            | Kind::DeclareCursor { .. }
            | Kind::Cursor(..)
            | Kind::Fetch { .. } => true,
            Kind::InsertExec { source, .. } => source.is_read(),
            // Dynamic SQL of a literal is classified as what it runs; of a variable, it is
            // unproven (what it runs is logged again, statement by statement, when it runs).
            Kind::ExecDynamic(e) => literal_text(e).is_some_and(|sql| {
                parse(&sql).is_ok_and(|stmts| stmts.iter().all(|s| s.kind.is_read()))
            }),
            Kind::While { body, .. } => body.kind.is_read(),
            Kind::If {
                then, otherwise, ..
            } => then.kind.is_read() && otherwise.as_ref().is_none_or(|o| o.kind.is_read()),
            Kind::Block(b) => b.iter().all(|s| s.kind.is_read()),
            Kind::TryCatch { body, handler } => {
                body.iter().chain(handler).all(|s| s.kind.is_read())
            }
            Kind::Exec { procedure, args } => super::procedures::is_read(procedure, args),
            _ => false,
        }
    }
}

/// The text of a string literal or a `+` concatenation of string literals.
pub fn literal_text(e: &Expr) -> Option<String> {
    use sqlparser::ast::{BinaryOperator, Value as V};
    match e {
        Expr::Value(v) => match &v.value {
            V::SingleQuotedString(s) | V::NationalStringLiteral(s) => Some(s.clone()),
            _ => None,
        },
        Expr::Nested(inner) => literal_text(inner),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Plus,
            right,
        } => Some(literal_text(left)? + &literal_text(right)?),
        _ => None,
    }
}

/// Whether a name is a temporary table's (`#t`, `##t`) or a table variable's (`@t`).
pub fn is_temp_name(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    last.starts_with('#') || last.starts_with('@') && !last.starts_with("@@")
}

/// The name the translator knows `(…).value(…)` by (`translate.rs`): a word no client can
/// write unquoted.
pub const XML_VALUE: &str = "\u{1}xml_value";

/// `(subquery).value('.', 'type')` — the xml type's value() method on a `FOR XML …, TYPE`
/// subquery (learn.microsoft.com/sql/t-sql/xml/value-method-xml-data-type), which sqlparser
/// cannot parse — becomes the call `XML_VALUE((subquery), '.', 'type')` on the token stream.
fn xml_value_calls(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let significant = |tokens: &[TokenWithSpan], from: usize| {
        (from..tokens.len()).find(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
    };
    let mut at = 0;
    while at < tokens.len() {
        let close = at;
        at += 1;
        if tokens[close].token != Token::RParen {
            continue;
        }
        let Some(period) = significant(&tokens, close + 1) else {
            break;
        };
        let Some(method) = significant(&tokens, period + 1) else {
            break;
        };
        let Some(open_args) = significant(&tokens, method + 1) else {
            break;
        };
        let is_value = matches!(&tokens[method].token, Token::Word(w)
            if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("value"));
        if tokens[period].token != Token::Period
            || !is_value
            || tokens[open_args].token != Token::LParen
        {
            continue;
        }
        // The `(` that `close` closes.
        let mut depth = 0;
        let Some(open) = (0..=close).rev().find(|&i| {
            match tokens[i].token {
                Token::RParen => depth += 1,
                Token::LParen => depth -= 1,
                _ => {}
            }
            depth == 0
        }) else {
            continue;
        };
        let span = tokens[open].span;
        let comma = TokenWithSpan::new(Token::Comma, tokens[period].span);
        tokens.splice(period..=open_args, [comma]);
        let name = Token::Word(sqlparser::tokenizer::Word {
            value: XML_VALUE.to_owned(),
            quote_style: None,
            keyword: sqlparser::keywords::Keyword::NoKeyword,
        });
        tokens.splice(
            open..open,
            [
                TokenWithSpan::new(name, span),
                TokenWithSpan::new(Token::LParen, span),
            ],
        );
        at = close + 2;
    }
    tokens
}

/// Parses a batch.
pub fn parse(batch: &str) -> Result<Vec<Stmt>, SqlError> {
    let dialect = MsSqlDialect {};
    let tokens = Tokenizer::new(&dialect, batch)
        .tokenize_with_location()
        .map_err(|e| SqlError::syntax("", &format!("(simulator tokenizer: {e})")))?;
    let tokens = xml_value_calls(tokens);
    let offsets = LineOffsets::new(batch);
    let mut s = Script {
        parser: Parser::new(&dialect).with_tokens_with_locations(tokens.clone()),
        tokens,
        batch,
        offsets,
        loops: 0,
    };
    let mut out = Vec::new();
    loop {
        while s.parser.consume_token(&Token::SemiColon) {}
        if s.parser.peek_token().token == Token::EOF {
            return Ok(out);
        }
        // "You do not have to specify the EXECUTE keyword when you execute stored procedures
        // when the statement is the first one in a batch" (learn.microsoft.com EXECUTE
        // (Transact-SQL)): ODBC drivers send `sp_datatype_info_100 12,3` so.
        out.push(if out.is_empty() && s.bare_procedure_call() {
            let start = s.parser.peek_token().span.start;
            let from = s.offset(start.line, start.column);
            let kind = s.exec_call()?;
            Stmt {
                kind,
                text: s.text_since(from),
            }
        } else {
            s.statement()?
        });
    }
}

struct LineOffsets(Vec<usize>);

impl LineOffsets {
    fn new(text: &str) -> LineOffsets {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineOffsets(starts)
    }
}

struct Script<'a> {
    parser: Parser<'a>,
    tokens: Vec<TokenWithSpan>,
    batch: &'a str,
    offsets: LineOffsets,
    /// WHILE loops around the statement being parsed (BREAK and CONTINUE need one).
    loops: usize,
}

fn perr(e: ParserError) -> SqlError {
    let text = e.to_string();
    let near = text
        .split("found: ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or("")
        .trim_matches(|c: char| !c.is_alphanumeric() && c != '_' && c != '@')
        .to_owned();
    SqlError::syntax(&near, &format!("(simulator parser: {text})"))
}

impl Script<'_> {
    /// The byte offset of a (line, column) location.
    fn offset(&self, line: u64, column: u64) -> usize {
        let Some(start) = self.offsets.0.get(line.saturating_sub(1) as usize) else {
            return self.batch.len();
        };
        let rest = &self.batch[*start..];
        rest.char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map_or(self.batch.len(), |(i, _)| start + i)
    }

    fn text_since(&self, from: usize) -> String {
        let end = self.tokens[..self.parser.index().min(self.tokens.len())]
            .iter()
            .rev()
            .find(|t| {
                !matches!(
                    t.token,
                    Token::Whitespace(_) | Token::SemiColon | Token::EOF
                )
            });
        let Some(end) = end else {
            return String::new();
        };
        let stop = self.offset(end.span.end.line, end.span.end.column);
        self.batch.get(from..stop).unwrap_or("").trim().to_owned()
    }

    /// The upper-case word `n` tokens ahead (unquoted words only).
    fn word(&self, n: usize) -> Option<String> {
        match self.parser.peek_nth_token(n).token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        }
    }

    fn is(&self, n: usize, word: &str) -> bool {
        self.word(n).as_deref() == Some(word)
    }

    fn eat(&mut self, word: &str) -> bool {
        if self.is(0, word) {
            self.parser.next_token();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, word: &str) -> Result<(), SqlError> {
        if self.eat(word) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("expected {word}")))
        }
    }

    fn unexpected(&self, why: &str) -> SqlError {
        let near = self.parser.peek_token().token.to_string();
        SqlError::syntax(&near, &format!("The simulator {why}."))
    }

    fn name(&mut self) -> Result<String, SqlError> {
        let ident = self.parser.parse_identifier().map_err(perr)?;
        Ok(ident.value)
    }

    fn object_name(&mut self) -> Result<String, SqlError> {
        let name: ObjectName = self.parser.parse_object_name(false).map_err(perr)?;
        Ok(name
            .0
            .iter()
            .filter_map(|p| p.as_ident().map(|i: &Ident| i.value.clone()))
            .collect::<Vec<_>>()
            .join("."))
    }

    fn statement(&mut self) -> Result<Stmt, SqlError> {
        let start = self.parser.peek_token().span.start;
        let from = self.offset(start.line, start.column);
        let kind = self.kind()?;
        Ok(Stmt {
            kind,
            text: self.text_since(from),
        })
    }

    /// A statement, or a BEGIN … END block.
    fn kind(&mut self) -> Result<Kind, SqlError> {
        let first = self.word(0).unwrap_or_default();
        match first.as_str() {
            "SELECT" | "WITH" => self.query(),
            "INSERT" | "UPDATE" | "DELETE" if self.targets_temp() => self.temp_dml(),
            "CREATE" | "DROP" if self.is(1, "TABLE") => self.temp_ddl(),
            "OPEN" | "CLOSE" | "DEALLOCATE" => {
                self.parser.next_token();
                self.eat("GLOBAL");
                let action = match first.as_str() {
                    "OPEN" => CursorAction::Open,
                    "CLOSE" => CursorAction::Close,
                    _ => CursorAction::Deallocate,
                };
                Ok(Kind::Cursor(action, self.name()?))
            }
            "FETCH" => self.fetch(),
            "USE" => {
                self.parser.next_token();
                Ok(Kind::Use(self.name()?))
            }
            "DECLARE" => self.declare(),
            "SET" => self.set(),
            "IF" => {
                self.parser.next_token();
                let condition = self.parser.parse_expr().map_err(perr)?;
                let then = Box::new(self.statement()?);
                self.skip_semicolons();
                let otherwise = if self.eat("ELSE") {
                    Some(Box::new(self.statement()?))
                } else {
                    None
                };
                Ok(Kind::If {
                    condition,
                    then,
                    otherwise,
                })
            }
            "BEGIN" => self.begin(),
            // WHILE, BREAK, CONTINUE:
            // learn.microsoft.com/sql/t-sql/language-elements/while-transact-sql
            "WHILE" => {
                self.parser.next_token();
                let condition = self.parser.parse_expr().map_err(perr)?;
                self.loops += 1;
                let body = self.statement();
                self.loops -= 1;
                Ok(Kind::While {
                    condition,
                    body: Box::new(body?),
                })
            }
            "BREAK" | "CONTINUE" => {
                self.parser.next_token();
                if self.loops == 0 {
                    return Err(SqlError {
                        number: 135,
                        state: 1,
                        class: 15,
                        text: format!(
                            "Cannot use a {first} statement outside the scope of a WHILE statement."
                        ),
                    });
                }
                Ok(if first == "BREAK" {
                    Kind::Break
                } else {
                    Kind::Continue
                })
            }
            "EXEC" | "EXECUTE" => self.exec(),
            "PRINT" => {
                self.parser.next_token();
                Ok(Kind::Print(self.parser.parse_expr().map_err(perr)?))
            }
            "RAISERROR" => {
                self.parser.next_token();
                let args = self.parenthesized_args()?;
                if self.eat("WITH") {
                    self.parser
                        .parse_comma_separated(|p| p.parse_identifier())
                        .map_err(perr)?;
                }
                Ok(Kind::Raiserror(args))
            }
            "THROW" => {
                self.parser.next_token();
                let mut args = Vec::new();
                if !matches!(
                    self.parser.peek_token().token,
                    Token::SemiColon | Token::EOF
                ) && self.word(0).is_none_or(|w| !is_statement_start(&w))
                {
                    args = self
                        .parser
                        .parse_comma_separated(Parser::parse_expr)
                        .map_err(perr)?;
                }
                Ok(Kind::Throw(args))
            }
            "RETURN" => {
                self.parser.next_token();
                Ok(Kind::Return)
            }
            "COMMIT" | "ROLLBACK" | "SAVE" => {
                self.parser.next_token();
                let mut name = None;
                let tran = self.eat("TRAN") || self.eat("TRANSACTION");
                if tran
                    && let Token::Word(w) = self.parser.peek_token().token
                    && w.quote_style.is_none()
                    && !is_statement_start(&w.value.to_ascii_uppercase())
                {
                    self.parser.next_token();
                    name = Some(w.value);
                }
                Ok(match first.as_str() {
                    "COMMIT" => Kind::Commit,
                    "ROLLBACK" => Kind::Rollback(name),
                    _ => match name {
                        Some(name) if tran => Kind::Save(name),
                        _ => {
                            return Err(SqlError::syntax(
                                "SAVE",
                                "SAVE TRANSACTION needs a savepoint name.",
                            ));
                        }
                    },
                })
            }
            "RECONFIGURE" => {
                self.parser.next_token();
                if self.eat("WITH") {
                    self.expect("OVERRIDE")?;
                }
                Ok(Kind::Reconfigure)
            }
            "CREATE" => self.create(),
            "ALTER" => self.alter(),
            "DROP" => self.drop(),
            "GRANT" | "DENY" | "REVOKE" => self.permission(),
            "ENABLE" | "DISABLE" => {
                self.parser.next_token();
                self.expect("TRIGGER")?;
                let name = self.object_name()?;
                self.expect("ON")?;
                let server = self.eat("ALL");
                if server {
                    self.expect("SERVER")?;
                } else if !self.eat("DATABASE") {
                    self.object_name()?;
                }
                Ok(Kind::EnableTrigger {
                    name,
                    server,
                    enable: first == "ENABLE",
                })
            }
            "BACKUP" => self.backup(),
            _ => {
                // Let sqlparser say what is wrong, or reject what it parses but we do not run.
                match self.parser.parse_statement() {
                    Err(e) => Err(perr(e)),
                    Ok(statement) => {
                        let what = statement.to_string();
                        let head: String = what
                            .split_whitespace()
                            .take(2)
                            .collect::<Vec<_>>()
                            .join(" ");
                        Err(SqlError::syntax(
                            what.split_whitespace().next().unwrap_or(""),
                            &format!("The simulator does not run {head} statements."),
                        ))
                    }
                }
            }
        }
    }

    fn skip_semicolons(&mut self) {
        while self.parser.consume_token(&Token::SemiColon) {}
    }

    fn query(&mut self) -> Result<Kind, SqlError> {
        let mut statement = self.parser.parse_statement().map_err(perr)?;
        if let Statement::Query(query) = &mut statement
            && let sqlparser::ast::SetExpr::Select(select) = query.body.as_mut()
        {
            use sqlparser::ast::SelectItem;
            // SELECT … INTO #t: learn.microsoft.com/sql/t-sql/queries/select-into-clause-transact-sql
            if let Some(into) = select.into.take() {
                let table = match into.targets.as_slice() {
                    [target] => target.to_string(),
                    _ => String::new(),
                };
                if !is_temp_name(&table) || table.contains('@') {
                    return Err(SqlError::syntax(
                        "INTO",
                        "The simulator runs SELECT … INTO a temporary table (#name, ##name) only.",
                    ));
                }
                return Ok(Kind::SelectInto {
                    table,
                    query: Box::new(statement),
                });
            }
            // `SELECT @x = expr`: sqlparser reads it as T-SQL's `alias = expr` (a column alias
            // never starts with @), or as a comparison; either way the item becomes `expr` and
            // its value goes to @x.
            let target = |item: &SelectItem| -> Option<(String, Expr)> {
                match item {
                    SelectItem::ExprWithAlias { expr, alias }
                        if alias.value.starts_with('@') && alias.quote_style.is_none() =>
                    {
                        Some((alias.value.clone(), expr.clone()))
                    }
                    SelectItem::UnnamedExpr(Expr::BinaryOp {
                        left,
                        op: sqlparser::ast::BinaryOperator::Eq,
                        right,
                    }) => match left.as_ref() {
                        Expr::Identifier(i) if i.value.starts_with('@') => {
                            Some((i.value.clone(), right.as_ref().clone()))
                        }
                        _ => None,
                    },
                    _ => None,
                }
            };
            let assignments: Vec<(String, Expr)> =
                select.projection.iter().filter_map(target).collect();
            if !assignments.is_empty() {
                if assignments.len() != select.projection.len() {
                    return Err(SqlError {
                        number: 141,
                        state: 1,
                        class: 15,
                        text: "A SELECT statement that assigns a value to a variable must not be combined with data-retrieval operations.".into(),
                    });
                }
                let (targets, values): (Vec<String>, Vec<Expr>) = assignments.into_iter().unzip();
                select.projection = values.into_iter().map(SelectItem::UnnamedExpr).collect();
                return Ok(Kind::SelectAssign {
                    targets,
                    query: Box::new(statement),
                });
            }
        }
        Ok(Kind::Query(Box::new(statement)))
    }

    /// Whether an INSERT, UPDATE or DELETE writes a temporary table or a table variable.
    fn targets_temp(&self) -> bool {
        let mut n = 1;
        if self.is(n, "INTO") || self.is(n, "FROM") {
            n += 1;
        }
        // tempdb..#t, dbo.#t: the last part of a dotted name.
        loop {
            match self.parser.peek_nth_token(n).token {
                Token::Word(w) => {
                    if self.parser.peek_nth_token(n + 1).token == Token::Period {
                        n += 2;
                        continue;
                    }
                    return is_temp_name(&w.value);
                }
                Token::Period => n += 1,
                _ => return false,
            }
        }
    }

    /// The target name of INSERT / UPDATE / DELETE after its keywords (consumed).
    fn temp_target(&mut self) -> Result<String, SqlError> {
        self.parser.next_token();
        if !self.eat("INTO") {
            self.eat("FROM");
        }
        loop {
            let name = match self.parser.next_token().token {
                Token::Word(w) => w.value,
                other => {
                    return Err(SqlError::syntax(
                        &other.to_string(),
                        "Expected a table name.",
                    ));
                }
            };
            if !self.parser.consume_token(&Token::Period) {
                return Ok(name);
            }
            while self.parser.consume_token(&Token::Period) {}
        }
    }

    /// INSERT / UPDATE / DELETE of a temporary table or table variable; `INSERT … EXEC`.
    fn temp_dml(&mut self) -> Result<Kind, SqlError> {
        let is_insert = self.is(0, "INSERT");
        if is_insert {
            // INSERT [INTO] name [(columns)] EXEC …: sqlparser has no INSERT … EXECUTE.
            let mut n = 1;
            if self.is(n, "INTO") {
                n += 1;
            }
            // The table's name: words joined by periods (tempdb..#t).
            loop {
                while self.parser.peek_nth_token(n).token == Token::Period {
                    n += 1;
                }
                if !matches!(self.parser.peek_nth_token(n).token, Token::Word(_)) {
                    break;
                }
                n += 1;
                if self.parser.peek_nth_token(n).token != Token::Period {
                    break;
                }
            }
            if self.parser.peek_nth_token(n).token == Token::LParen {
                let mut depth = 0;
                loop {
                    match self.parser.peek_nth_token(n).token {
                        Token::LParen => depth += 1,
                        Token::RParen => depth -= 1,
                        Token::EOF => break,
                        _ => {}
                    }
                    n += 1;
                    if depth == 0 {
                        break;
                    }
                }
            }
            let exec = self.is(n, "EXEC") || self.is(n, "EXECUTE");
            if exec {
                let table = self.temp_target()?;
                let mut columns = Vec::new();
                if self.parser.consume_token(&Token::LParen) {
                    columns = self
                        .parser
                        .parse_comma_separated(|p| p.parse_identifier())
                        .map_err(perr)?
                        .into_iter()
                        .map(|i| i.value)
                        .collect();
                    self.parser.expect_token(&Token::RParen).map_err(perr)?;
                }
                let source = self.exec()?;
                return Ok(Kind::InsertExec {
                    table,
                    columns,
                    source: Box::new(source),
                });
            }
        }
        let statement = self.parser.parse_statement().map_err(perr)?;
        Ok(Kind::Temp(Box::new(statement)))
    }

    /// CREATE TABLE / DROP TABLE: of temporary tables only.
    fn temp_ddl(&mut self) -> Result<Kind, SqlError> {
        let create = self.is(0, "CREATE");
        let statement = self.parser.parse_statement().map_err(perr)?;
        let names: Vec<String> = match &statement {
            Statement::CreateTable(c) => vec![c.name.to_string()],
            Statement::Drop { names, .. } => names.iter().map(ToString::to_string).collect(),
            _ => Vec::new(),
        };
        if names.is_empty() || !names.iter().all(|n| is_temp_name(n) && !n.contains('@')) {
            let what = if create { "CREATE TABLE" } else { "DROP TABLE" };
            return Err(SqlError::syntax(
                what.split(' ').next().unwrap_or(""),
                &format!(
                    "The simulator runs {what} of temporary tables (#name, ##name) only: the fixture is the server's data."
                ),
            ));
        }
        Ok(Kind::Temp(Box::new(statement)))
    }

    /// `FETCH [NEXT | PRIOR | FIRST | LAST] [FROM] [GLOBAL] name [INTO @a, …]`
    /// (learn.microsoft.com/sql/t-sql/language-elements/fetch-transact-sql).
    fn fetch(&mut self) -> Result<Kind, SqlError> {
        self.parser.next_token();
        let mut direction = "NEXT".to_owned();
        if let Some(w @ ("NEXT" | "PRIOR" | "FIRST" | "LAST" | "ABSOLUTE" | "RELATIVE")) =
            self.word(0).as_deref()
        {
            direction = w.to_owned();
            self.parser.next_token();
            if direction == "ABSOLUTE" || direction == "RELATIVE" {
                return Err(self.unexpected("does not run FETCH ABSOLUTE or RELATIVE"));
            }
        }
        self.eat("FROM");
        self.eat("GLOBAL");
        let name = self.name()?;
        let mut into = Vec::new();
        if self.eat("INTO") {
            loop {
                into.push(self.variable()?);
                if !self.parser.consume_token(&Token::Comma) {
                    break;
                }
            }
        }
        Ok(Kind::Fetch {
            direction,
            name,
            into,
        })
    }

    /// `DECLARE name CURSOR [LOCAL | GLOBAL] [FORWARD_ONLY | SCROLL] [STATIC | KEYSET | DYNAMIC
    /// | FAST_FORWARD] [READ_ONLY | SCROLL_LOCKS | OPTIMISTIC] [TYPE_WARNING] FOR select
    /// [FOR UPDATE [OF columns]]`, and the ISO form `DECLARE name [INSENSITIVE] [SCROLL] CURSOR
    /// FOR select` (learn.microsoft.com/sql/t-sql/language-elements/declare-cursor-transact-sql).
    fn declare_cursor(&mut self, name: String) -> Result<Kind, SqlError> {
        let mut global = true;
        let mut scroll = false;
        while let Some(w) = self.word(0) {
            match w.as_str() {
                "CURSOR" | "INSENSITIVE" | "FORWARD_ONLY" | "STATIC" | "KEYSET" | "DYNAMIC"
                | "FAST_FORWARD" | "READ_ONLY" | "SCROLL_LOCKS" | "OPTIMISTIC" | "TYPE_WARNING"
                | "GLOBAL" => {}
                "LOCAL" => global = false,
                "SCROLL" => scroll = true,
                _ => break,
            }
            self.parser.next_token();
        }
        self.expect("FOR")?;
        let query = self.parser.parse_query().map_err(perr)?;
        if self.is(0, "FOR") && self.is(1, "UPDATE") {
            self.parser.next_token();
            self.parser.next_token();
            if self.eat("OF") {
                self.parser
                    .parse_comma_separated(|p| p.parse_identifier())
                    .map_err(perr)?;
            }
        }
        Ok(Kind::DeclareCursor {
            name,
            global,
            scroll,
            query: Box::new(Statement::Query(query)),
        })
    }

    fn variable(&mut self) -> Result<String, SqlError> {
        let name = self.name()?;
        if !name.starts_with('@') || name.starts_with("@@") {
            return Err(SqlError::syntax(
                &name,
                "A variable name starts with one @.",
            ));
        }
        Ok(name)
    }

    fn declare(&mut self) -> Result<Kind, SqlError> {
        self.parser.next_token();
        if let Token::Word(w) = self.parser.peek_token().token
            && !w.value.starts_with('@')
            && (self.is(1, "CURSOR") || self.is(1, "INSENSITIVE") || self.is(1, "SCROLL"))
        {
            self.parser.next_token();
            return self.declare_cursor(w.value);
        }
        let mut out = Vec::new();
        loop {
            let name = self.variable()?;
            self.eat("AS");
            if self.eat("TABLE") {
                // DECLARE @t TABLE (…): a table variable
                // (learn.microsoft.com/sql/t-sql/data-types/table-transact-sql).
                if !out.is_empty() {
                    return Err(self.unexpected("declares a table variable in its own DECLARE"));
                }
                let (columns, constraints) = self.parser.parse_columns().map_err(perr)?;
                let mut parts: Vec<String> = columns.iter().map(ToString::to_string).collect();
                parts.extend(constraints.iter().map(ToString::to_string));
                let sql = format!("CREATE TABLE {name} ({})", parts.join(", "));
                let create = Parser::parse_sql(&MsSqlDialect {}, &sql)
                    .map_err(perr)?
                    .pop()
                    .ok_or_else(|| self.unexpected("expected the table's columns"))?;
                return Ok(Kind::DeclareTable {
                    name,
                    create: Box::new(create),
                });
            }
            if self.is(0, "CURSOR") {
                return Err(self.unexpected("does not support cursor variables"));
            }
            self.parser.parse_data_type().map_err(perr)?;
            let init = if self.parser.consume_token(&Token::Eq) {
                Some(self.parser.parse_expr().map_err(perr)?)
            } else {
                None
            };
            out.push((name, init));
            if !self.parser.consume_token(&Token::Comma) {
                return Ok(Kind::Declare(out));
            }
        }
    }

    fn set(&mut self) -> Result<Kind, SqlError> {
        self.parser.next_token();
        if let Token::Word(w) = self.parser.peek_token().token
            && w.value.starts_with('@')
        {
            let name = self.variable()?;
            self.parser.expect_token(&Token::Eq).map_err(perr)?;
            return Ok(Kind::SetVariable(
                name,
                self.parser.parse_expr().map_err(perr)?,
            ));
        }
        // SET NOCOUNT ON, SET XACT_ABORT ON, SET TRANSACTION ISOLATION LEVEL …, SET
        // ANSI_NULLS ON, SET DEADLOCK_PRIORITY LOW, SET LOCK_TIMEOUT 5000, …
        let option = self.word(0).unwrap_or_default();
        let known = [
            "NOCOUNT",
            "XACT_ABORT",
            "TRANSACTION",
            "ANSI_NULLS",
            "ANSI_WARNINGS",
            "ANSI_PADDING",
            "QUOTED_IDENTIFIER",
            "ARITHABORT",
            "CONCAT_NULL_YIELDS_NULL",
            "DEADLOCK_PRIORITY",
            "LOCK_TIMEOUT",
            "LANGUAGE",
            "DATEFORMAT",
            "TEXTSIZE",
            "ANSI_NULL_DFLT_ON",
            "ANSI_DEFAULTS",
            "IMPLICIT_TRANSACTIONS",
            "CURSOR_CLOSE_ON_COMMIT",
            "NUMERIC_ROUNDABORT",
            "ROWCOUNT",
        ];
        if !known.contains(&option.as_str()) {
            return Err(self.unexpected("does not know this SET option"));
        }
        loop {
            match self.parser.peek_token().token {
                Token::EOF | Token::SemiColon => break,
                Token::Word(w)
                    if w.quote_style.is_none()
                        && is_statement_start(&w.value.to_ascii_uppercase())
                        && !matches!(
                            w.value.to_ascii_uppercase().as_str(),
                            "SET" | "LEVEL" | "READ"
                        ) =>
                {
                    break;
                }
                _ => {
                    self.parser.next_token();
                }
            }
        }
        Ok(Kind::SetOption)
    }

    fn block_until(&mut self, end: &[&str]) -> Result<Vec<Stmt>, SqlError> {
        let mut out = Vec::new();
        loop {
            self.skip_semicolons();
            if end.iter().enumerate().all(|(i, w)| self.is(i, w)) {
                for _ in end {
                    self.parser.next_token();
                }
                return Ok(out);
            }
            if self.parser.peek_token().token == Token::EOF {
                return Err(SqlError::syntax("", &format!("Missing {}.", end.join(" "))));
            }
            out.push(self.statement()?);
        }
    }

    fn begin(&mut self) -> Result<Kind, SqlError> {
        self.parser.next_token();
        if self.eat("TRAN") || self.eat("TRANSACTION") {
            if let Token::Word(w) = self.parser.peek_token().token
                && w.quote_style.is_none()
                && !is_statement_start(&w.value.to_ascii_uppercase())
            {
                self.parser.next_token();
            }
            return Ok(Kind::BeginTransaction);
        }
        if self.eat("TRY") {
            let body = self.block_until(&["END", "TRY"])?;
            self.skip_semicolons();
            self.expect("BEGIN")?;
            self.expect("CATCH")?;
            let handler = self.block_until(&["END", "CATCH"])?;
            return Ok(Kind::TryCatch { body, handler });
        }
        Ok(Kind::Block(self.block_until(&["END"])?))
    }

    fn parenthesized_args(&mut self) -> Result<Vec<Expr>, SqlError> {
        self.parser.expect_token(&Token::LParen).map_err(perr)?;
        let args = self
            .parser
            .parse_comma_separated(Parser::parse_expr)
            .map_err(perr)?;
        self.parser.expect_token(&Token::RParen).map_err(perr)?;
        Ok(args)
    }

    /// Whether the batch starts with a procedure's name rather than a statement: a word that
    /// is no keyword and no variable, not followed by `(`.
    fn bare_procedure_call(&self) -> bool {
        matches!(&self.parser.peek_token().token, Token::Word(w)
            if w.keyword == sqlparser::keywords::Keyword::NoKeyword
                && !w.value.starts_with('@')
                && !is_statement_start(&w.value.to_ascii_uppercase()))
            && self.parser.peek_nth_token(1).token != Token::LParen
    }

    fn exec(&mut self) -> Result<Kind, SqlError> {
        self.parser.next_token();
        // EXEC (@sql), EXEC ('…' + @x): dynamic SQL
        // (learn.microsoft.com/sql/t-sql/language-elements/execute-transact-sql).
        if self.parser.peek_token().token == Token::LParen {
            self.parser.next_token();
            let e = self.parser.parse_expr().map_err(perr)?;
            self.parser.expect_token(&Token::RParen).map_err(perr)?;
            if self.eat("AS") || self.is(0, "AT") {
                return Err(self.unexpected("does not run EXEC (…) AS … or AT …"));
            }
            return Ok(Kind::ExecDynamic(e));
        }
        // EXEC @status = procedure: the status is not kept.
        if let Token::Word(w) = self.parser.peek_token().token
            && w.value.starts_with('@')
            && self.parser.peek_nth_token(1).token == Token::Eq
        {
            return Err(
                self.unexpected("does not keep a procedure's return status (EXEC @status = …)")
            );
        }
        self.exec_call()
    }

    /// A procedure call after EXEC: the name, then the arguments.
    fn exec_call(&mut self) -> Result<Kind, SqlError> {
        if self.parser.peek_token().token == Token::LParen {
            return Err(
                self.unexpected("does not run dynamic SQL with EXEC (…); use sp_executesql")
            );
        }
        let procedure = self.object_name()?;
        let mut args = Vec::new();
        let ends = |s: &Self| {
            matches!(s.parser.peek_token().token, Token::EOF | Token::SemiColon)
                || s.word(0).is_some_and(|w| is_statement_start(&w))
        };
        if !ends(self) {
            loop {
                let mut name = None;
                if let Token::Word(w) = self.parser.peek_token().token
                    && w.value.starts_with('@')
                    && self.parser.peek_nth_token(1).token == Token::Eq
                {
                    self.parser.next_token();
                    self.parser.next_token();
                    name = Some(w.value);
                }
                let value = if self.is(0, "DEFAULT") {
                    self.parser.next_token();
                    Expr::Value(sqlparser::ast::Value::Null.into())
                } else {
                    self.parser.parse_expr().map_err(perr)?
                };
                let output = self.eat("OUTPUT") || self.eat("OUT");
                args.push(Arg {
                    name,
                    value,
                    output,
                });
                if !self.parser.consume_token(&Token::Comma) {
                    break;
                }
            }
        }
        Ok(Kind::Exec { procedure, args })
    }

    fn with_options(&mut self) -> Result<Vec<(String, Expr)>, SqlError> {
        let mut options = Vec::new();
        loop {
            let option = self
                .word(0)
                .ok_or_else(|| self.unexpected("expected an option"))?;
            self.parser.next_token();
            let value = if self.parser.consume_token(&Token::Eq) {
                if let Some(w @ ("ON" | "OFF")) = self.word(0).as_deref() {
                    let w = w.to_owned();
                    self.parser.next_token();
                    Expr::Value(sqlparser::ast::Value::SingleQuotedString(w).into())
                } else {
                    self.parser.parse_expr().map_err(perr)?
                }
            } else {
                Expr::Value(sqlparser::ast::Value::Boolean(true).into())
            };
            // PASSWORD = 'x' MUST_CHANGE, UNLOCK, HASHED
            options.push((option, value));
            while let Some(flag @ ("MUST_CHANGE" | "UNLOCK" | "HASHED")) = self.word(0).as_deref() {
                let flag = flag.to_owned();
                self.parser.next_token();
                options.push((
                    flag,
                    Expr::Value(sqlparser::ast::Value::Boolean(true).into()),
                ));
            }
            if !self.parser.consume_token(&Token::Comma) {
                return Ok(options);
            }
        }
    }

    fn create(&mut self) -> Result<Kind, SqlError> {
        self.parser.next_token();
        if self.eat("LOGIN") {
            let name = self.name()?;
            if self.eat("FROM") {
                self.expect("WINDOWS")?;
                let options = if self.eat("WITH") {
                    self.with_options()?
                } else {
                    Vec::new()
                };
                return Ok(Kind::CreateLogin {
                    name,
                    windows: true,
                    options,
                });
            }
            self.expect("WITH")?;
            let options = self.with_options()?;
            return Ok(Kind::CreateLogin {
                name,
                windows: false,
                options,
            });
        }
        if self.eat("USER") {
            let name = self.name()?;
            let login = if self.eat("FOR") || self.eat("FROM") {
                self.expect("LOGIN")?;
                Some(self.name()?)
            } else if self.eat("WITHOUT") {
                self.expect("LOGIN")?;
                None
            } else {
                Some(name.clone())
            };
            if self.eat("WITH") {
                self.with_options()?;
            }
            return Ok(Kind::CreateUser { name, login });
        }
        Err(self.unexpected("does not run this CREATE statement"))
    }

    fn alter(&mut self) -> Result<Kind, SqlError> {
        self.parser.next_token();
        if self.eat("LOGIN") {
            let name = self.name()?;
            let change = if self.eat("ENABLE") {
                LoginChange::Enable
            } else if self.eat("DISABLE") {
                LoginChange::Disable
            } else {
                self.expect("WITH")?;
                LoginChange::With(self.with_options()?)
            };
            return Ok(Kind::AlterLogin { name, change });
        }
        let server = self.eat("SERVER");
        if self.eat("ROLE") {
            let role = self.name()?;
            let add = if self.eat("ADD") {
                true
            } else {
                self.expect("DROP")?;
                false
            };
            self.expect("MEMBER")?;
            let member = self.name()?;
            return Ok(Kind::AlterRole {
                server,
                role,
                add,
                member,
            });
        }
        if server {
            return Err(self.unexpected("does not run this ALTER SERVER statement"));
        }
        if self.eat("DATABASE") {
            let database = if self.eat("CURRENT") {
                String::new()
            } else {
                self.name()?
            };
            self.expect("SET")?;
            let mut options = Vec::new();
            loop {
                let mut option = Vec::new();
                while let Some(w) = self.word(0) {
                    if w == "WITH" || is_statement_start(&w) && !option.is_empty() {
                        break;
                    }
                    self.parser.next_token();
                    option.push(w);
                }
                if self.parser.consume_token(&Token::Eq)
                    && let Some(w) = self.word(0)
                {
                    self.parser.next_token();
                    option.push(w);
                }
                options.push(option.join(" "));
                if !self.parser.consume_token(&Token::Comma) {
                    break;
                }
            }
            if self.eat("WITH") {
                while self.word(0).is_some_and(|w| !is_statement_start(&w)) {
                    self.parser.next_token();
                }
            }
            return Ok(Kind::AlterDatabase { database, options });
        }
        if self.eat("AUTHORIZATION") {
            self.expect("ON")?;
            self.expect("DATABASE")?;
            self.parser
                .expect_token(&Token::DoubleColon)
                .map_err(perr)?;
            let database = self.name()?;
            self.expect("TO")?;
            let owner = self.name()?;
            return Ok(Kind::AlterAuthorization { database, owner });
        }
        Err(self.unexpected("does not run this ALTER statement"))
    }

    fn drop(&mut self) -> Result<Kind, SqlError> {
        self.parser.next_token();
        if self.eat("LOGIN") {
            return Ok(Kind::DropLogin(self.name()?));
        }
        if self.eat("USER") {
            if self.eat("IF") {
                self.expect("EXISTS")?;
            }
            return Ok(Kind::DropUser(self.name()?));
        }
        if self.eat("TRIGGER") {
            let name = self.object_name()?;
            let mut server = false;
            if self.eat("ON") {
                server = self.eat("ALL");
                if server {
                    self.expect("SERVER")?;
                } else {
                    self.expect("DATABASE")?;
                }
            }
            return Ok(Kind::DropTrigger { name, server });
        }
        Err(self.unexpected("does not run this DROP statement"))
    }

    fn permission(&mut self) -> Result<Kind, SqlError> {
        let verb = self.word(0).unwrap_or_default();
        self.parser.next_token();
        let mut grant_option_for = false;
        if verb == "REVOKE" && self.is(0, "GRANT") && self.is(1, "OPTION") {
            self.parser.next_token();
            self.parser.next_token();
            self.expect("FOR")?;
            grant_option_for = true;
        }
        let mut permissions = Vec::new();
        loop {
            let mut words = Vec::new();
            while let Some(w) = self.word(0) {
                if matches!(w.as_str(), "ON" | "TO" | "FROM") {
                    break;
                }
                self.parser.next_token();
                words.push(w);
            }
            if words.is_empty() {
                return Err(self.unexpected("expected a permission name"));
            }
            permissions.push(words.join(" "));
            if !self.parser.consume_token(&Token::Comma) {
                break;
            }
        }
        let on = if self.eat("ON") {
            let class = if let Some(w) = self.word(0)
                && self.parser.peek_nth_token(1).token == Token::DoubleColon
            {
                self.parser.next_token();
                self.parser.next_token();
                w
            } else {
                "OBJECT".to_owned()
            };
            Some((class, self.object_name()?))
        } else {
            None
        };
        if !(self.eat("TO") || self.eat("FROM")) {
            return Err(self.unexpected("expected TO or FROM"));
        }
        let principals = self
            .parser
            .parse_comma_separated(|p| p.parse_identifier())
            .map_err(perr)?
            .into_iter()
            .map(|i| i.value)
            .collect();
        let mut with_grant_option = false;
        if self.eat("WITH") {
            self.expect("GRANT")?;
            self.expect("OPTION")?;
            with_grant_option = true;
        }
        self.eat("CASCADE");
        if self.eat("AS") {
            self.name()?;
        }
        Ok(Kind::Permission(PermissionChange {
            verb,
            permissions,
            on,
            principals,
            with_grant_option,
            grant_option_for,
        }))
    }

    /// Skips the rest of a clause the simulator does not model (file names, passwords,
    /// WITH options), up to the end of the statement.
    fn skip_clause(&mut self) {
        let mut depth = 0;
        loop {
            match self.parser.peek_token().token {
                Token::EOF | Token::SemiColon => return,
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                Token::Word(w)
                    if depth == 0
                        && w.quote_style.is_none()
                        && is_statement_start(&w.value.to_ascii_uppercase())
                        && !matches!(w.value.to_ascii_uppercase().as_str(), "WITH" | "SET") =>
                {
                    return;
                }
                _ => {}
            }
            self.parser.next_token();
        }
    }

    fn backup(&mut self) -> Result<Kind, SqlError> {
        self.parser.next_token();
        let kind = if self.eat("CERTIFICATE") {
            Kind::BackupCertificate(self.name()?)
        } else if self.eat("MASTER") {
            self.expect("KEY")?;
            Kind::BackupMasterKey
        } else if self.eat("DATABASE") {
            Kind::BackupDatabase {
                database: self.name()?,
                log: false,
            }
        } else if self.eat("LOG") {
            Kind::BackupDatabase {
                database: self.name()?,
                log: true,
            }
        } else {
            return Err(self.unexpected("does not run this BACKUP statement"));
        };
        self.expect("TO")?;
        self.skip_clause();
        Ok(kind)
    }
}

/// Words that start a statement: where a statement without a semicolon ends.
fn is_statement_start(word: &str) -> bool {
    matches!(
        word,
        "SELECT"
            | "WITH"
            | "USE"
            | "DECLARE"
            | "SET"
            | "IF"
            | "ELSE"
            | "BEGIN"
            | "END"
            | "EXEC"
            | "EXECUTE"
            | "PRINT"
            | "RAISERROR"
            | "THROW"
            | "RETURN"
            | "BREAK"
            | "CONTINUE"
            | "COMMIT"
            | "ROLLBACK"
            | "SAVE"
            | "RECONFIGURE"
            | "CREATE"
            | "ALTER"
            | "DROP"
            | "GRANT"
            | "DENY"
            | "REVOKE"
            | "ENABLE"
            | "DISABLE"
            | "BACKUP"
            | "INSERT"
            | "UPDATE"
            | "DELETE"
            | "WHILE"
            | "OPEN"
            | "FETCH"
            | "CLOSE"
            | "DEALLOCATE"
    )
}
