//! One batch, several queries, every result kept.
//!
//! A batch is one round trip. Each query in it names its fact in its first column's alias
//! (`SELECT 1 AS [fact:logins], …`), so that the result sets can be told apart even when one
//! of them failed (a statement-level error such as 229 or 300 leaves a gap, and tiberius
//! reports only the first error, at the end).

use std::collections::HashMap;

use futures_util::TryStreamExt;
use tiberius::{ColumnData, QueryItem};

use crate::connect::Connection;

/// The marker prefix of a query's first column.
pub const MARK: &str = "fact:";

/// A result set as plain values, by column name (lower-cased).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    /// Column names, lower-cased, marker column excluded.
    pub columns: Vec<String>,
    /// The values.
    pub rows: Vec<Vec<Cell>>,
}

/// One value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// NULL.
    Null,
    /// Any integer or bit.
    Int(i64),
    /// Any float.
    Float(f64),
    /// Text (dates are converted to text in the queries).
    Text(String),
    /// Bytes.
    Binary(Vec<u8>),
}

impl Rows {
    /// Each row as a name → value lookup.
    pub fn records(&self) -> impl Iterator<Item = Record<'_>> {
        self.rows.iter().map(move |values| Record {
            columns: &self.columns,
            values,
        })
    }
}

/// One row with its column names.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    columns: &'a [String],
    values: &'a [Cell],
}

impl Record<'_> {
    fn cell(&self, name: &str) -> &Cell {
        self.columns
            .iter()
            .position(|c| c == name)
            .and_then(|i| self.values.get(i))
            .unwrap_or(&Cell::Null)
    }

    /// Text (numbers as text too), none for NULL.
    pub fn text(&self, name: &str) -> Option<String> {
        match self.cell(name) {
            Cell::Null => None,
            Cell::Int(i) => Some(i.to_string()),
            Cell::Float(f) => Some(f.to_string()),
            Cell::Text(t) => Some(t.clone()),
            Cell::Binary(b) => Some(hex(b)),
        }
    }

    /// Text, empty for NULL.
    pub fn string(&self, name: &str) -> String {
        self.text(name).unwrap_or_default()
    }

    /// An integer (text that is a number too), none for NULL.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.cell(name) {
            Cell::Int(i) => Some(*i),
            Cell::Float(f) => Some(*f as i64),
            Cell::Text(t) => t.trim().parse().ok(),
            _ => None,
        }
    }

    /// A flag: non-zero integer.
    pub fn flag(&self, name: &str) -> bool {
        self.int(name).is_some_and(|i| i != 0)
    }

    /// Bytes as `0x…` hex, none for NULL.
    pub fn hex(&self, name: &str) -> Option<String> {
        match self.cell(name) {
            Cell::Binary(b) => Some(hex(b)),
            Cell::Null => None,
            other => Some(format!("{other:?}")),
        }
    }
}

/// Upper-case hex with `0x`.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 + bytes.len() * 2);
    out.push_str("0x");
    for b in bytes {
        out.push_str(&format!("{b:02X}"));
    }
    out
}

/// What a batch returned: result sets by fact name, and the first error, if any.
#[derive(Debug, Default)]
pub struct BatchResult {
    /// Result sets by the fact name of their marker.
    pub sets: HashMap<String, Rows>,
    /// The first error the server reported in the batch.
    pub error: Option<String>,
}

impl BatchResult {
    /// The rows of `fact`, or why they are missing.
    pub fn take(&mut self, fact: &str) -> Result<Rows, audit_core::snapshot::Unavailable> {
        self.sets.remove(fact).ok_or_else(|| {
            audit_core::snapshot::Unavailable::new(
                self.error
                    .clone()
                    .unwrap_or_else(|| format!("the server returned no result for {fact}")),
            )
        })
    }
}

fn cell(data: &ColumnData<'_>) -> Cell {
    match data {
        ColumnData::U8(v) => v.map_or(Cell::Null, |v| Cell::Int(i64::from(v))),
        ColumnData::I16(v) => v.map_or(Cell::Null, |v| Cell::Int(i64::from(v))),
        ColumnData::I32(v) => v.map_or(Cell::Null, |v| Cell::Int(i64::from(v))),
        ColumnData::I64(v) => v.map_or(Cell::Null, Cell::Int),
        ColumnData::F32(v) => v.map_or(Cell::Null, |v| Cell::Float(f64::from(v))),
        ColumnData::F64(v) => v.map_or(Cell::Null, Cell::Float),
        ColumnData::Bit(v) => v.map_or(Cell::Null, |v| Cell::Int(i64::from(v))),
        ColumnData::String(v) => v.as_ref().map_or(Cell::Null, |s| Cell::Text(s.to_string())),
        ColumnData::Binary(v) => v.as_ref().map_or(Cell::Null, |b| Cell::Binary(b.to_vec())),
        ColumnData::Guid(v) => v.map_or(Cell::Null, |g| Cell::Text(g.to_string().to_uppercase())),
        ColumnData::Numeric(v) => v.map_or(Cell::Null, |n| {
            if n.scale() == 0 {
                i64::try_from(n.value()).map_or(Cell::Text(n.to_string()), Cell::Int)
            } else {
                Cell::Text(n.to_string())
            }
        }),
        other => Cell::Text(format!("{other:?}")),
    }
}

/// Whether `e` is the server refusing a statement (the connection is still usable), not a
/// lost connection or a protocol failure.
pub fn is_statement_error(e: &tiberius::error::Error) -> bool {
    matches!(e, tiberius::error::Error::Server(_))
}

/// Runs `sql` (one round trip) and keeps every marked result set.
pub async fn run(conn: &mut Connection, sql: &str) -> Result<BatchResult, tiberius::error::Error> {
    let mut stream = conn.simple_query(sql).await?;
    let mut out = BatchResult::default();
    let mut current: Option<(String, Rows)> = None;
    loop {
        match stream.try_next().await {
            Ok(Some(QueryItem::Metadata(meta))) => {
                if let Some((name, rows)) = current.take() {
                    out.sets.insert(name, rows);
                }
                let columns: Vec<String> = meta
                    .columns()
                    .iter()
                    .map(|c| c.name().to_lowercase())
                    .collect();
                let name = columns
                    .first()
                    .and_then(|c| c.strip_prefix(MARK))
                    .map(str::to_owned);
                if let Some(name) = name {
                    current = Some((
                        name,
                        Rows {
                            columns: columns[1..].to_vec(),
                            rows: Vec::new(),
                        },
                    ));
                }
            }
            Ok(Some(QueryItem::Row(row))) => {
                if let Some((_, rows)) = current.as_mut() {
                    rows.rows
                        .push(row.cells().skip(1).map(|(_, data)| cell(data)).collect());
                }
            }
            Ok(None) => break,
            Err(tiberius::error::Error::Server(token)) => {
                out.error = Some(format!("error {}: {}", token.code(), token.message()));
                break;
            }
            Err(other) => return Err(other),
        }
    }
    if let Some((name, rows)) = current.take() {
        out.sets.insert(name, rows);
    }
    Ok(out)
}
