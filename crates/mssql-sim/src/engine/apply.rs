//! CROSS APPLY and OUTER APPLY on SQLite, which has no LATERAL join
//! (learn.microsoft.com/sql/t-sql/queries/from-transact-sql, "Using APPLY": "the right
//! table_source is evaluated against each row of the left table_source"; CROSS APPLY keeps a
//! left row only when the right side returns rows, OUTER APPLY keeps it with NULLs).
//!
//! A correlated subquery may refer to the outer row anywhere in SQLite, and a table-valued
//! function's arguments may refer to the tables before it in the FROM clause. So the applied
//! query becomes a correlated scalar subquery that returns all of its rows as one JSON array of
//! arrays, and `json_each` over it is the joined table (a CROSS JOIN for CROSS APPLY, a LEFT
//! JOIN … ON 1 = 1 for OUTER APPLY); each reference to an applied column reads its element of
//! the row's array. This is general — any number of rows, TOP, ORDER BY, aggregates, and
//! STRING_SPLIT (already a derived table here) — with these limits, each a clear error:
//!
//! - the applied table source must be a derived table `(SELECT …) alias` or STRING_SPLIT, not
//!   another table-valued function;
//! - its columns must be named (8155) and not `*`;
//! - binary values cannot be carried (JSON holds no BLOB: SQLite's error is reported);
//! - applied columns lose their declared types (they are typed from their values).
//!
//! Runs after the translation (`translate.rs`), on SQLite SQL.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, Ident, JoinOperator, Query, SelectItem, SetExpr, Statement, TableFactor, VisitMut,
    VisitorMut,
};
use sqlparser::dialect::MsSqlDialect;
use sqlparser::parser::Parser;

use super::SqlError;

/// Rewrites every APPLY of `statement`, innermost queries first.
pub fn rewrite(statement: &mut Statement) -> Result<(), SqlError> {
    struct Applies {
        error: Option<SqlError>,
    }
    impl VisitorMut for Applies {
        type Break = ();
        fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
            match rewrite_query(query) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    self.error = Some(e);
                    ControlFlow::Break(())
                }
            }
        }
    }
    let mut applies = Applies { error: None };
    let _ = statement.visit(&mut applies);
    applies.error.map_or(Ok(()), Err)
}

/// An applied table: its alias and its columns.
struct Applied {
    alias: String,
    columns: Vec<String>,
}

impl Applied {
    /// The SQLite expression of column `i` of the current row.
    fn column(&self, i: usize) -> Expr {
        raw(&format!(
            "json_extract({}.[value], '$[{i}]')",
            bracket(&self.alias)
        ))
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
    }
}

/// SQL text as an expression: an identifier printed as it is (the statement is printed for
/// SQLite next, never parsed again).
fn raw(sql: &str) -> Expr {
    Expr::Identifier(Ident::new(sql))
}

fn bracket(name: &str) -> String {
    format!("[{}]", name.replace(']', "]]"))
}

/// A join operator of SQLite's, from a parsed template.
fn join_operator(outer: bool) -> JoinOperator {
    let sql = if outer {
        "SELECT * FROM a LEFT JOIN b ON 1 = 1"
    } else {
        "SELECT * FROM a CROSS JOIN b"
    };
    template_select(sql).from[0].joins[0].join_operator.clone()
}

/// The SELECT of a fixed template query (the AST pieces sqlparser builds for SQL text, so
/// that they print as SQLite expects).
fn template_select(sql: &str) -> sqlparser::ast::Select {
    let statement = Parser::parse_sql(&MsSqlDialect {}, sql)
        .expect("valid template")
        .remove(0);
    let Statement::Query(q) = statement else {
        unreachable!("a query")
    };
    let SetExpr::Select(select) = *q.body else {
        unreachable!("a select")
    };
    *select
}

/// `name` (a table factor printed as it is) with alias `alias`.
fn raw_table(sql: &str, alias: &str) -> TableFactor {
    let mut factor = template_select("SELECT * FROM t AS x").from[0]
        .relation
        .clone();
    if let TableFactor::Table { name, alias: a, .. } = &mut factor {
        name.0 = vec![sqlparser::ast::ObjectNamePart::Identifier(Ident::new(sql))];
        if let Some(a) = a {
            a.name = Ident::with_quote('[', alias);
        }
    }
    factor
}

/// The name of a result column of a translated query's select item.
fn item_name(item: &SelectItem) -> Option<String> {
    match item {
        SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
        SelectItem::UnnamedExpr(Expr::Identifier(i)) => Some(i.value.clone()),
        SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => {
            parts.last().map(|i| i.value.clone())
        }
        _ => None,
    }
}

fn unsupported(why: &str) -> SqlError {
    SqlError::syntax("APPLY", why)
}

/// The applied relation as `json_each(…)`, and what it is.
fn applied(relation: &TableFactor) -> Result<(TableFactor, Applied), SqlError> {
    let TableFactor::Derived {
        subquery,
        alias: Some(alias),
        ..
    } = relation
    else {
        return Err(unsupported(
            "The simulator runs CROSS APPLY and OUTER APPLY of a derived table (SELECT …) AS alias or of STRING_SPLIT only.",
        ));
    };
    let name = alias.name.value.clone();
    if !alias.columns.is_empty() {
        return Err(unsupported(
            "The simulator does not run APPLY with a column list after its alias; name the columns in the SELECT.",
        ));
    }
    let SetExpr::Select(select) = subquery.body.as_ref() else {
        return Err(unsupported(
            "The simulator runs APPLY of a single SELECT (no UNION) only.",
        ));
    };
    let mut columns = Vec::new();
    for (i, item) in select.projection.iter().enumerate() {
        if matches!(
            item,
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
        ) {
            return Err(unsupported(
                "The simulator needs the applied query's columns by name, not *.",
            ));
        }
        columns.push(item_name(item).ok_or_else(|| {
            SqlError::new(
                8155,
                16,
                format!(
                    "No column name was specified for column {} of '{name}'.",
                    i + 1
                ),
            )
        })?);
    }
    let values: Vec<String> = columns
        .iter()
        .map(|c| format!("[__applied].{}", bracket(c)))
        .collect();
    let inner = subquery.to_string();
    let sql = format!(
        "json_each((SELECT json_group_array(json_array({})) FROM ({inner}) AS [__applied]))",
        values.join(", ")
    );
    Ok((
        raw_table(&sql, &name),
        Applied {
            alias: name,
            columns,
        },
    ))
}

fn rewrite_query(query: &mut Query) -> Result<(), SqlError> {
    let SetExpr::Select(select) = query.body.as_mut() else {
        return Ok(());
    };
    let mut applies = Vec::new();
    // Every relation in FROM order: Some(index into applies) for an applied one, or its
    // qualifier for `*`.
    let mut order: Vec<Result<usize, String>> = Vec::new();
    let qualifier = |factor: &TableFactor| -> String {
        match factor {
            TableFactor::Table { name, alias, .. } => alias
                .as_ref()
                .map_or_else(|| name.to_string(), |a| bracket(&a.name.value)),
            TableFactor::Derived { alias: Some(a), .. } => bracket(&a.name.value),
            other => other.to_string(),
        }
    };
    for from in &mut select.from {
        order.push(Err(qualifier(&from.relation)));
        for join in &mut from.joins {
            let outer = match join.join_operator {
                JoinOperator::CrossApply => false,
                JoinOperator::OuterApply => true,
                _ => {
                    order.push(Err(qualifier(&join.relation)));
                    continue;
                }
            };
            let (relation, info) = applied(&join.relation)?;
            join.relation = relation;
            join.join_operator = join_operator(outer);
            order.push(Ok(applies.len()));
            applies.push(info);
        }
    }
    if applies.is_empty() {
        return Ok(());
    }
    // The select list: `*` and `x.*` expanded, applied columns named as on SQL Server.
    let mut projection = Vec::new();
    for item in std::mem::take(&mut select.projection) {
        match item {
            SelectItem::Wildcard(_) => {
                for relation in &order {
                    match relation {
                        Err(q) => projection.push(SelectItem::UnnamedExpr(raw(&format!("{q}.*")))),
                        Ok(a) => push_columns(&applies[*a], &mut projection),
                    }
                }
            }
            SelectItem::QualifiedWildcard(kind, options) => {
                let qualifier = kind.to_string();
                let qualifier = qualifier.trim_matches(['[', ']']);
                match applies
                    .iter()
                    .find(|a| a.alias.eq_ignore_ascii_case(qualifier))
                {
                    Some(a) => push_columns(a, &mut projection),
                    None => projection.push(SelectItem::QualifiedWildcard(kind, options)),
                }
            }
            SelectItem::UnnamedExpr(e) => match reference(&applies, &e) {
                Some((a, i)) => projection.push(SelectItem::ExprWithAlias {
                    expr: applies[a].column(i),
                    alias: Ident::with_quote('[', applies[a].columns[i].clone()),
                }),
                None => projection.push(SelectItem::UnnamedExpr(e)),
            },
            other => projection.push(other),
        }
    }
    select.projection = projection;
    // Every other reference, anywhere in the query (not inside the applied queries, which are
    // SQL text now).
    struct References<'a> {
        applies: &'a [Applied],
    }
    impl VisitorMut for References<'_> {
        type Break = ();
        fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            if let Some((a, i)) = reference(self.applies, e) {
                *e = self.applies[a].column(i);
            }
            ControlFlow::Continue(())
        }
    }
    let _ = query.visit(&mut References { applies: &applies });
    Ok(())
}

fn push_columns(applied: &Applied, projection: &mut Vec<SelectItem>) {
    for (i, c) in applied.columns.iter().enumerate() {
        projection.push(SelectItem::ExprWithAlias {
            expr: applied.column(i),
            alias: Ident::with_quote('[', c.clone()),
        });
    }
}

/// Which applied column an expression names: `x.c`, or `c` alone.
fn reference(applies: &[Applied], e: &Expr) -> Option<(usize, usize)> {
    match e {
        Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
            let a = applies
                .iter()
                .position(|a| a.alias.eq_ignore_ascii_case(&parts[0].value))?;
            Some((a, applies[a].find(&parts[1].value)?))
        }
        Expr::Identifier(i) if i.quote_style.is_some() || !i.value.contains('(') => applies
            .iter()
            .enumerate()
            .find_map(|(a, applied)| applied.find(&i.value).map(|c| (a, c))),
        _ => None,
    }
}
