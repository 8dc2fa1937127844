//! Transact-SQL cursors: DECLARE CURSOR, OPEN, FETCH, CLOSE, DEALLOCATE and @@FETCH_STATUS
//! (learn.microsoft.com/sql/t-sql/language-elements/declare-cursor-transact-sql,
//! open-transact-sql, fetch-transact-sql, close-transact-sql, deallocate-transact-sql,
//! /sql/t-sql/functions/fetch-status-transact-sql).
//!
//! A cursor's rows are read when it is opened (a STATIC cursor; the simulator's data changes
//! only through its own statements, so the other kinds read the same rows). The variables of
//! its SELECT are bound when it is declared ("Variables may be used as part of the
//! select_statement that declares a cursor. Cursor variable values don't change after a cursor
//! is declared."). A cursor is GLOBAL unless declared LOCAL (the default of the database
//! option CURSOR_DEFAULT is GLOBAL): a global one lives until DEALLOCATE or the end of the
//! session, a local one until the end of the batch that declared it.

use std::collections::HashMap;

use sqlparser::ast::Statement;

use super::script::CursorAction;
use super::{Engine, Flow, Outcome, Session, SqlError, Variables};
use crate::tds::tokens::{ColumnType, Value};

/// One declared cursor.
#[derive(Debug, Clone)]
pub struct Cursor {
    /// Its SELECT, variables already bound.
    pub query: Statement,
    /// SCROLL: FETCH PRIOR, FIRST and LAST are allowed.
    pub scroll: bool,
    /// LOCAL: deallocated at the end of the batch of `depth`.
    pub local: bool,
    /// The depth of the batch that declared it.
    pub depth: u32,
    /// The result set while open.
    pub open: Option<Opened>,
}

/// An open cursor's rows and position (0 = before the first row, len + 1 = after the last).
#[derive(Debug, Clone)]
pub struct Opened {
    /// Column names and types.
    pub columns: Vec<(String, ColumnType)>,
    /// The rows read at OPEN.
    pub rows: Vec<Vec<Value>>,
    /// Where the cursor is.
    pub position: usize,
}

/// Every session's cursors, by session and lower-case name.
#[derive(Debug, Default)]
pub struct Cursors {
    cursors: HashMap<(u16, String), Cursor>,
    /// @@FETCH_STATUS of each session: 0 "The FETCH statement was successful", -1 "The FETCH
    /// statement failed or the row was beyond the result set"; "undefined before any fetches
    /// have occurred on the connection" (-1 here). Global to all cursors of a connection.
    fetch_status: HashMap<u16, i64>,
}

/// 16916: no cursor of that name.
pub fn not_found(name: &str) -> SqlError {
    SqlError::new(
        16916,
        16,
        format!("A cursor with the name '{name}' does not exist."),
    )
}

impl Cursors {
    /// DECLARE: 16915 when the session already has a cursor of that name.
    pub fn declare(&mut self, spid: u16, name: &str, cursor: Cursor) -> Result<(), SqlError> {
        let key = (spid, name.to_lowercase());
        if self.cursors.contains_key(&key) {
            return Err(SqlError::new(
                16915,
                16,
                format!("A cursor with the name '{name}' already exists."),
            ));
        }
        self.cursors.insert(key, cursor);
        Ok(())
    }

    /// The cursor `name` of the session, or 16916.
    pub fn get(&mut self, spid: u16, name: &str) -> Result<&mut Cursor, SqlError> {
        self.cursors
            .get_mut(&(spid, name.to_lowercase()))
            .ok_or_else(|| not_found(name))
    }

    /// DEALLOCATE (closing it first, as SQL Server does).
    pub fn deallocate(&mut self, spid: u16, name: &str) -> Result<(), SqlError> {
        self.cursors
            .remove(&(spid, name.to_lowercase()))
            .map(|_| ())
            .ok_or_else(|| not_found(name))
    }

    /// The end of a batch of `depth`: its LOCAL cursors go.
    pub fn batch_ended(&mut self, spid: u16, depth: u32) {
        self.cursors
            .retain(|(s, _), c| *s != spid || !c.local || c.depth < depth);
    }

    /// The end of a session: all of its cursors go.
    pub fn session_ended(&mut self, spid: u16) {
        self.cursors.retain(|(s, _), _| *s != spid);
        self.fetch_status.remove(&spid);
    }

    /// @@FETCH_STATUS of a session.
    pub fn fetch_status(&self, spid: u16) -> i64 {
        self.fetch_status.get(&spid).copied().unwrap_or(-1)
    }

    /// Sets @@FETCH_STATUS of a session.
    pub fn set_fetch_status(&mut self, spid: u16, status: i64) {
        self.fetch_status.insert(spid, status);
    }
}

impl Opened {
    /// Moves as FETCH `direction` does and returns the row there, if any. PRIOR, FIRST and
    /// LAST need a SCROLL cursor (16911 otherwise).
    pub fn fetch(&mut self, direction: &str, scroll: bool) -> Result<Option<&[Value]>, SqlError> {
        let len = self.rows.len();
        if direction != "NEXT" && !scroll {
            return Err(SqlError::new(
                16911,
                16,
                // sys.messages: "%hs: The fetch type %hs cannot be used with forward only
                // cursors." (Errors 16000 - 16999).
                format!(
                    "fetch: The fetch type {direction} cannot be used with forward only cursors."
                ),
            ));
        }
        self.position = match direction {
            "NEXT" => (self.position + 1).min(len + 1),
            "PRIOR" => self.position.saturating_sub(1),
            "FIRST" => 1.min(len + 1),
            _ => len,
        };
        Ok(match self.position {
            0 => None,
            p if p > len => None,
            p => Some(&self.rows[p - 1]),
        })
    }
}

impl Engine {
    /// OPEN (16905 when open), CLOSE (16917 when not), DEALLOCATE; 16916 for an unknown name.
    pub(super) fn cursor_action(
        &mut self,
        session: &Session,
        action: CursorAction,
        name: &str,
    ) -> Result<(), Flow> {
        let spid = session.spid;
        match action {
            CursorAction::Open => {
                let cursor = self.cursors.get(spid, name).map_err(Flow::Abort)?;
                if cursor.open.is_some() {
                    return Err(Flow::Abort(SqlError::new(
                        16905,
                        16,
                        "The cursor is already open.",
                    )));
                }
                let query = cursor.query.clone();
                if let Outcome::Rows { columns, rows, .. } =
                    self.query(&query, &Variables::new())?
                {
                    self.cursors.get(spid, name).map_err(Flow::Abort)?.open = Some(Opened {
                        columns,
                        rows,
                        position: 0,
                    });
                }
            }
            CursorAction::Close => {
                let cursor = self.cursors.get(spid, name).map_err(Flow::Abort)?;
                if cursor.open.take().is_none() {
                    return Err(Flow::Abort(not_open()));
                }
            }
            CursorAction::Deallocate => {
                self.cursors.deallocate(spid, name).map_err(Flow::Abort)?;
            }
        }
        Ok(())
    }

    /// FETCH: the row into the variables (16924 when their number is not the columns'), or
    /// as a result set without INTO; @@FETCH_STATUS 0 for a row, -1 beyond the rows.
    pub(super) fn fetch(
        &mut self,
        session: &Session,
        direction: &str,
        name: &str,
        into: &[String],
        vars: &mut Variables,
        out: &mut Vec<Outcome>,
    ) -> Result<(), Flow> {
        let spid = session.spid;
        if let Some(missing) = into.iter().find(|v| !vars.contains_key(&v.to_lowercase())) {
            return Err(Flow::Abort(SqlError::new(
                137,
                15,
                format!("Must declare the scalar variable \"{missing}\"."),
            )));
        }
        let cursor = self.cursors.get(spid, name).map_err(Flow::Abort)?;
        let scroll = cursor.scroll;
        let Some(opened) = cursor.open.as_mut() else {
            return Err(Flow::Abort(not_open()));
        };
        if !into.is_empty() && opened.columns.len() != into.len() {
            return Err(Flow::Abort(SqlError::new(
                16924,
                16,
                "Cursorfetch: The number of variables declared in the INTO list must match that of selected columns.",
            )));
        }
        let columns = opened.columns.clone();
        let row = opened
            .fetch(direction, scroll)
            .map_err(Flow::Abort)?
            .map(<[Value]>::to_vec);
        let status = if row.is_some() { 0 } else { -1 };
        self.cursors.set_fetch_status(spid, status);
        self.lock().fetch_status = status;
        if into.is_empty() {
            out.push(Outcome::Rows {
                columns,
                rows: row.into_iter().collect(),
                not_null: Vec::new(),
            });
        } else if let Some(row) = row {
            for (variable, value) in into.iter().zip(row) {
                vars.insert(variable.to_lowercase(), value);
            }
        }
        Ok(())
    }
}

/// 16917: the cursor is not open.
fn not_open() -> SqlError {
    SqlError::new(16917, 16, "Cursor is not open.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opened(n: i64) -> Opened {
        Opened {
            columns: vec![("x".into(), ColumnType::Int)],
            rows: (1..=n).map(|i| vec![Value::Int(i)]).collect(),
            position: 0,
        }
    }

    #[test]
    fn next_walks_to_the_end_and_stays_past_it() {
        let mut c = opened(2);
        assert_eq!(c.fetch("NEXT", false).unwrap(), Some(&[Value::Int(1)][..]));
        assert_eq!(c.fetch("NEXT", false).unwrap(), Some(&[Value::Int(2)][..]));
        assert_eq!(c.fetch("NEXT", false).unwrap(), None);
        assert_eq!(c.fetch("NEXT", false).unwrap(), None);
        assert_eq!(c.fetch("PRIOR", false).unwrap_err().number, 16911);
        assert_eq!(c.fetch("PRIOR", true).unwrap(), Some(&[Value::Int(2)][..]));
        assert_eq!(c.fetch("FIRST", true).unwrap(), Some(&[Value::Int(1)][..]));
        assert_eq!(c.fetch("PRIOR", true).unwrap(), None);
        assert_eq!(opened(0).fetch("NEXT", false).unwrap(), None);
    }
}
