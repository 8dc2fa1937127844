//! One batch, several queries, every result kept.
//!
//! A batch is one round trip. Each query in it names its fact in its first column's alias
//! (`SELECT 1 AS [fact:logins], …`), so that the result sets can be told apart even when one
//! of them failed (a statement-level error such as 229 or 300 leaves a gap, and tiberius
//! reports only the first error, at the end).

use std::collections::HashMap;

use futures_util::TryStreamExt;
use tiberius::{ColumnData, QueryItem};

use audit_core::snapshot::Unavailable;

use crate::connect::Connection;

/// The marker prefix of a query's first column.
pub const MARK: &str = "fact:";

/// A result set as plain values, by column name (lower-cased).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    /// The fact it was marked with (`configuration`), for error messages.
    pub fact: String,
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
            fact: &self.fact,
            columns: &self.columns,
            values,
        })
    }

    /// Each row parsed by `parse`; the first row that does not have the shape the query
    /// promises makes the whole fact unavailable (never a default value in its place).
    pub fn parse<T>(
        &self,
        parse: impl FnMut(Record<'_>) -> Result<T, Unavailable>,
    ) -> Result<Vec<T>, Unavailable> {
        self.records().map(parse).collect()
    }
}

/// A value that is not what the query promises: the fact it belongs to cannot be trusted.
pub type Shape<T> = Result<T, Unavailable>;

/// One row with its column names.
///
/// Every accessor fails closed: a column missing from the result set, a value of another type
/// than the query produces, or NULL where a value decides (`required_…`, `flag`) is an error
/// naming the fact and the column, which the collector turns into an unavailable fact — so a
/// changed or faulty server makes checks UNKNOWN instead of reading, say, a missing
/// `value_in_use` as 0 ("xp_cmdshell disabled").
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    fact: &'a str,
    columns: &'a [String],
    values: &'a [Cell],
}

impl Record<'_> {
    fn shape_error(&self, name: &str, problem: &str) -> Unavailable {
        Unavailable::new(format!(
            "the result set for {} {problem} `{name}` (the server's answer does not have the shape the query asks for)",
            self.fact
        ))
    }

    fn cell(&self, name: &str) -> Shape<&Cell> {
        self.columns
            .iter()
            .position(|c| c == name)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| self.shape_error(name, "has no column"))
    }

    /// Text (numbers as text too), none for NULL.
    pub fn text(&self, name: &str) -> Shape<Option<String>> {
        Ok(match self.cell(name)? {
            Cell::Null => None,
            Cell::Int(i) => Some(i.to_string()),
            Cell::Float(f) => Some(f.to_string()),
            Cell::Text(t) => Some(t.clone()),
            Cell::Binary(b) => Some(hex(b)),
        })
    }

    /// Text, empty for NULL (descriptive values only: never one a verdict depends on).
    pub fn string(&self, name: &str) -> Shape<String> {
        Ok(self.text(name)?.unwrap_or_default())
    }

    /// Text that must not be NULL (names, states).
    pub fn required_text(&self, name: &str) -> Shape<String> {
        self.text(name)?
            .ok_or_else(|| self.shape_error(name, "has NULL in"))
    }

    /// An integer (text that is a number too), none for NULL.
    pub fn int(&self, name: &str) -> Shape<Option<i64>> {
        match self.cell(name)? {
            Cell::Null => Ok(None),
            Cell::Int(i) => Ok(Some(*i)),
            Cell::Float(f) if f.fract() == 0.0 => Ok(Some(*f as i64)),
            Cell::Text(t) => t
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| self.shape_error(name, "has a value that is not a number in")),
            _ => Err(self.shape_error(name, "has a value that is not a number in")),
        }
    }

    /// An integer that must not be NULL.
    pub fn required_int(&self, name: &str) -> Shape<i64> {
        self.int(name)?
            .ok_or_else(|| self.shape_error(name, "has NULL in"))
    }

    /// A flag that must not be NULL: non-zero integer.
    pub fn flag(&self, name: &str) -> Shape<bool> {
        Ok(self.required_int(name)? != 0)
    }

    /// A flag that may be NULL (outer joins, optional facts).
    pub fn optional_flag(&self, name: &str) -> Shape<Option<bool>> {
        Ok(self.int(name)?.map(|i| i != 0))
    }

    /// Bytes as `0x…` hex, none for NULL.
    pub fn hex(&self, name: &str) -> Shape<Option<String>> {
        match self.cell(name)? {
            Cell::Binary(b) => Ok(Some(hex(b))),
            Cell::Null => Ok(None),
            _ => Err(self.shape_error(name, "has a value that is not binary in")),
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
    pub fn take(&mut self, fact: &str) -> Result<Rows, Unavailable> {
        self.sets.remove(fact).ok_or_else(|| {
            Unavailable::new(
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
                        name.clone(),
                        Rows {
                            fact: name,
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
