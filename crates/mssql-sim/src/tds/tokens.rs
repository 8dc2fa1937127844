//! The server's response token stream (MS-TDS 2.2.7): LOGINACK, ENVCHANGE, INFO, ERROR, DONE,
//! COLMETADATA and ROW, written into one buffer that `packet::encode_message` then splits.

/// Token type bytes.
mod token {
    pub const COLMETADATA: u8 = 0x81;
    pub const ERROR: u8 = 0xAA;
    pub const INFO: u8 = 0xAB;
    pub const LOGINACK: u8 = 0xAD;
    pub const ROW: u8 = 0xD1;
    pub const ENVCHANGE: u8 = 0xE3;
    pub const DONE: u8 = 0xFD;
    pub const DONEPROC: u8 = 0xFE;
    pub const DONEINPROC: u8 = 0xFF;
}

/// DONE status bits.
pub mod done {
    /// More results follow in this response.
    pub const MORE: u16 = 0x0001;
    /// The statement failed.
    pub const ERROR: u16 = 0x0002;
    /// The row count is valid.
    pub const COUNT: u16 = 0x0010;
    /// Acknowledges an ATTENTION (cancel).
    pub const ATTENTION: u16 = 0x0020;
}

/// Which DONE token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoneKind {
    /// End of a statement of a batch.
    Done,
    /// End of a statement inside a procedure.
    InProc,
    /// End of a procedure.
    Proc,
}

/// An error or informational message, with the numbers a real server uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Error number (18456 login failed, 208 invalid object, 102 syntax, …).
    pub number: i32,
    /// State.
    pub state: u8,
    /// Severity class: 0–10 informational, 11+ errors.
    pub class: u8,
    /// The message text.
    pub text: String,
    /// The server name it reports.
    pub server: String,
    /// Procedure name, if any.
    pub procedure: String,
    /// Line number in the batch.
    pub line: i32,
}

/// A column type the simulator sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `int` (INTN, 4 bytes).
    Int,
    /// `bigint` (INTN, 8 bytes).
    BigInt,
    /// `bit` (BITN).
    Bit,
    /// `nvarchar(4000)`.
    NVarChar,
    /// `varbinary(8000)` (SIDs, hashes).
    VarBinary,
    /// `datetime`.
    DateTime,
    /// `float`.
    Float,
    /// `sql_variant` (SERVERPROPERTY, sys.configurations values): integers are sent as `int`
    /// (or `bigint`), text as `nvarchar`.
    Variant,
}

/// A value in a ROW.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL of any type.
    Null,
    /// An integer (sent as the column's type).
    Int(i64),
    /// A bit.
    Bit(bool),
    /// Text (also `datetime` values, as `YYYY-MM-DD hh:mm:ss.fff`).
    Text(String),
    /// Bytes.
    Binary(Vec<u8>),
    /// A floating-point number.
    Float(f64),
}

/// The default collation: Latin1_General_CI_AS (LCID 0x0409, CI/AS flags, sort id 0).
pub const COLLATION: [u8; 5] = [0x09, 0x04, 0xD0, 0x00, 0x34];

/// Builds a response token stream.
#[derive(Debug, Default)]
pub struct TokenWriter {
    buf: Vec<u8>,
}

impl TokenWriter {
    /// An empty stream.
    pub fn new() -> Self {
        TokenWriter::default()
    }

    /// The encoded tokens.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    fn b_varchar(out: &mut Vec<u8>, text: &str) {
        let units: Vec<u16> = text.encode_utf16().take(255).collect();
        out.push(units.len() as u8);
        out.extend(units.iter().flat_map(|u| u.to_le_bytes()));
    }

    fn us_varchar(out: &mut Vec<u8>, text: &str) {
        let units: Vec<u16> = text.encode_utf16().take(u16::MAX as usize).collect();
        out.extend_from_slice(&(units.len() as u16).to_le_bytes());
        out.extend(units.iter().flat_map(|u| u.to_le_bytes()));
    }

    /// Appends a token with a u16 length prefix.
    fn with_length(&mut self, kind: u8, body: &[u8]) {
        self.buf.push(kind);
        self.buf
            .extend_from_slice(&(body.len() as u16).to_le_bytes());
        self.buf.extend_from_slice(body);
    }

    /// LOGINACK: the login succeeded; `tds_version` as agreed, `version` the product version.
    pub fn login_ack(&mut self, tds_version: u32, program: &str, version: (u8, u8, u16)) {
        let mut body = vec![1]; // SQL_TSQL
        body.extend_from_slice(&tds_version.to_be_bytes());
        Self::b_varchar(&mut body, program);
        body.extend_from_slice(&[
            version.0,
            version.1,
            (version.2 >> 8) as u8,
            version.2 as u8,
        ]);
        self.with_length(token::LOGINACK, &body);
    }

    /// ENVCHANGE with text values: 1 database, 2 language, 4 packet size.
    pub fn env_change_text(&mut self, kind: u8, new: &str, old: &str) {
        let mut body = vec![kind];
        Self::b_varchar(&mut body, new);
        Self::b_varchar(&mut body, old);
        self.with_length(token::ENVCHANGE, &body);
    }

    /// ENVCHANGE 7: the SQL collation.
    pub fn env_change_collation(&mut self, collation: [u8; 5]) {
        let mut body = vec![7, collation.len() as u8];
        body.extend_from_slice(&collation);
        body.push(0);
        self.with_length(token::ENVCHANGE, &body);
    }

    fn message(&mut self, kind: u8, m: &Message) {
        let mut body = Vec::new();
        body.extend_from_slice(&m.number.to_le_bytes());
        body.push(m.state);
        body.push(m.class);
        Self::us_varchar(&mut body, &m.text);
        Self::b_varchar(&mut body, &m.server);
        Self::b_varchar(&mut body, &m.procedure);
        body.extend_from_slice(&m.line.to_le_bytes());
        self.with_length(kind, &body);
    }

    /// ERROR.
    pub fn error(&mut self, m: &Message) {
        self.message(token::ERROR, m);
    }

    /// INFO.
    pub fn info(&mut self, m: &Message) {
        self.message(token::INFO, m);
    }

    /// DONE / DONEINPROC / DONEPROC with status bits, the current command and a row count.
    pub fn done(&mut self, kind: DoneKind, status: u16, cur_cmd: u16, rows: u64) {
        self.buf.push(match kind {
            DoneKind::Done => token::DONE,
            DoneKind::InProc => token::DONEINPROC,
            DoneKind::Proc => token::DONEPROC,
        });
        self.buf.extend_from_slice(&status.to_le_bytes());
        self.buf.extend_from_slice(&cur_cmd.to_le_bytes());
        self.buf.extend_from_slice(&rows.to_le_bytes());
    }

    /// COLMETADATA for a result set.
    pub fn column_metadata(&mut self, columns: &[(&str, ColumnType)]) {
        self.buf.push(token::COLMETADATA);
        self.buf
            .extend_from_slice(&(columns.len() as u16).to_le_bytes());
        for (name, kind) in columns {
            self.buf.extend_from_slice(&0u32.to_le_bytes()); // user type
            self.buf.extend_from_slice(&0x0001u16.to_le_bytes()); // nullable
            match kind {
                ColumnType::Int => self.buf.extend_from_slice(&[0x26, 4]),
                ColumnType::BigInt => self.buf.extend_from_slice(&[0x26, 8]),
                ColumnType::Bit => self.buf.extend_from_slice(&[0x68, 1]),
                ColumnType::NVarChar => {
                    self.buf.push(0xE7);
                    self.buf.extend_from_slice(&8000u16.to_le_bytes());
                    self.buf.extend_from_slice(&COLLATION);
                }
                ColumnType::VarBinary => {
                    self.buf.push(0xA5);
                    self.buf.extend_from_slice(&8000u16.to_le_bytes());
                }
                ColumnType::DateTime => self.buf.extend_from_slice(&[0x6F, 8]),
                ColumnType::Float => self.buf.extend_from_slice(&[0x6D, 8]),
                ColumnType::Variant => {
                    self.buf.push(0x62);
                    self.buf.extend_from_slice(&8016u32.to_le_bytes());
                }
            }
            Self::b_varchar(&mut self.buf, name);
        }
    }

    /// ROW with one value per column of the last COLMETADATA. A value of another type than
    /// its column is converted where that is lossless, and sent as NULL where it is not.
    pub fn row(&mut self, columns: &[ColumnType], values: &[Value]) {
        self.buf.push(token::ROW);
        for (kind, value) in columns.iter().zip(values) {
            self.value(*kind, value);
        }
    }

    fn value(&mut self, kind: ColumnType, value: &Value) {
        let int = match value {
            Value::Int(i) => Some(*i),
            Value::Bit(b) => Some(i64::from(*b)),
            Value::Text(t) => t.trim().parse().ok(),
            _ => None,
        };
        match kind {
            ColumnType::Int
            | ColumnType::BigInt
            | ColumnType::Bit
            | ColumnType::DateTime
            | ColumnType::Float
                if matches!(value, Value::Null) =>
            {
                self.buf.push(0)
            }
            ColumnType::NVarChar | ColumnType::VarBinary if matches!(value, Value::Null) => {
                self.buf.extend_from_slice(&0xFFFFu16.to_le_bytes())
            }
            ColumnType::Variant => self.variant(value),
            ColumnType::Int => match int.and_then(|i| i32::try_from(i).ok()) {
                Some(i) => {
                    self.buf.push(4);
                    self.buf.extend_from_slice(&i.to_le_bytes());
                }
                None => self.buf.push(0),
            },
            ColumnType::BigInt => match int {
                Some(i) => {
                    self.buf.push(8);
                    self.buf.extend_from_slice(&i.to_le_bytes());
                }
                None => self.buf.push(0),
            },
            ColumnType::Bit => match int {
                Some(i) => self.buf.extend_from_slice(&[1, u8::from(i != 0)]),
                None => self.buf.push(0),
            },
            ColumnType::Float => {
                let f = match value {
                    Value::Float(f) => Some(*f),
                    _ => int.map(|i| i as f64),
                };
                match f {
                    Some(f) => {
                        self.buf.push(8);
                        self.buf.extend_from_slice(&f.to_le_bytes());
                    }
                    None => self.buf.push(0),
                }
            }
            ColumnType::DateTime => match value {
                Value::Text(t) => match datetime_parts(t) {
                    Some((days, ticks)) => {
                        self.buf.push(8);
                        self.buf.extend_from_slice(&days.to_le_bytes());
                        self.buf.extend_from_slice(&ticks.to_le_bytes());
                    }
                    None => self.buf.push(0),
                },
                _ => self.buf.push(0),
            },
            ColumnType::VarBinary => {
                let bytes: Vec<u8> = match value {
                    Value::Binary(b) => b.iter().copied().take(8000).collect(),
                    Value::Text(t) => t.as_bytes().iter().copied().take(8000).collect(),
                    other => format!("{other:?}").into_bytes(),
                };
                self.buf
                    .extend_from_slice(&(bytes.len() as u16).to_le_bytes());
                self.buf.extend_from_slice(&bytes);
            }
            ColumnType::NVarChar => {
                let text = match value {
                    Value::Text(t) => t.clone(),
                    Value::Int(i) => i.to_string(),
                    Value::Bit(b) => u8::from(*b).to_string(),
                    Value::Float(f) => f.to_string(),
                    Value::Binary(b) => format!(
                        "0x{}",
                        b.iter().map(|x| format!("{x:02X}")).collect::<String>()
                    ),
                    Value::Null => unreachable!("handled above"),
                };
                let bytes: Vec<u8> = text
                    .encode_utf16()
                    .take(4000)
                    .flat_map(u16::to_le_bytes)
                    .collect();
                self.buf
                    .extend_from_slice(&(bytes.len() as u16).to_le_bytes());
                self.buf.extend_from_slice(&bytes);
            }
        }
    }
}

impl TokenWriter {
    /// A `sql_variant` value: total length, base type, property bytes, data (MS-TDS 2.2.5.5.4).
    fn variant(&mut self, value: &Value) {
        let mut body = Vec::new();
        let int = match value {
            Value::Int(i) => Some(*i),
            Value::Bit(b) => Some(i64::from(*b)),
            _ => None,
        };
        match (value, int) {
            (Value::Null, _) => {}
            (_, Some(i)) => match i32::try_from(i) {
                Ok(small) => {
                    body.extend_from_slice(&[0x38, 0]);
                    body.extend_from_slice(&small.to_le_bytes());
                }
                Err(_) => {
                    body.extend_from_slice(&[0x7F, 0]);
                    body.extend_from_slice(&i.to_le_bytes());
                }
            },
            (other, None) => {
                let text = match other {
                    Value::Text(t) => t.clone(),
                    Value::Float(f) => f.to_string(),
                    Value::Binary(b) => format!(
                        "0x{}",
                        b.iter().map(|x| format!("{x:02X}")).collect::<String>()
                    ),
                    _ => String::new(),
                };
                let data: Vec<u8> = text
                    .encode_utf16()
                    .take(4000)
                    .flat_map(u16::to_le_bytes)
                    .collect();
                body.extend_from_slice(&[0xE7, 7]);
                body.extend_from_slice(&COLLATION);
                body.extend_from_slice(&8000u16.to_le_bytes());
                body.extend_from_slice(&data);
            }
        }
        self.buf
            .extend_from_slice(&(body.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(&body);
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (year, month, day) → days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD[ hh:mm:ss[.fff]]` → TDS `datetime`: days since 1900-01-01 and 1/300 s ticks.
fn datetime_parts(text: &str) -> Option<(i32, u32)> {
    let (date, time) = text
        .trim()
        .split_once(' ')
        .unwrap_or((text.trim(), "00:00:00"));
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()?? as u32, d.next()?? as u32);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.split(':').map(|p| p.parse::<u32>().ok());
    let (h, min, s) = (t.next()??, t.next()??, t.next()??);
    let millis: u32 = format!("{frac:0<3}")[..3].parse().ok()?;
    let days = days_from_civil(y, m, day) - days_from_civil(1900, 1, 1);
    let ticks = (h * 3600 + min * 60 + s) * 300 + (millis * 3 + 5) / 10;
    Some((i32::try_from(days).ok()?, ticks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_is_13_bytes_and_login_ack_carries_the_version_big_endian() {
        let mut w = TokenWriter::new();
        w.done(DoneKind::Done, done::COUNT, 0xC1, 3);
        assert_eq!(
            w.into_bytes(),
            vec![0xFD, 0x10, 0, 0xC1, 0, 3, 0, 0, 0, 0, 0, 0, 0]
        );
        let mut w = TokenWriter::new();
        w.login_ack(0x7400_0004, "Microsoft SQL Server", (15, 0, 2000));
        let bytes = w.into_bytes();
        assert_eq!(bytes[0], 0xAD);
        assert_eq!(&bytes[4..8], &[0x74, 0, 0, 4]);
        assert_eq!(&bytes[bytes.len() - 4..], &[15, 0, 0x07, 0xD0]);
        assert_eq!(
            u16::from_le_bytes([bytes[1], bytes[2]]) as usize,
            bytes.len() - 3
        );
    }

    #[test]
    fn datetime_encoding() {
        assert_eq!(datetime_parts("1900-01-01 00:00:00.000"), Some((0, 0)));
        assert_eq!(datetime_parts("1900-01-02 00:00:01.000"), Some((1, 300)));
        assert_eq!(
            datetime_parts("2019-11-04 10:15:00.000"),
            Some((43_771, 36_900 * 300))
        );
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(datetime_parts("not a date"), None);
    }

    #[test]
    fn error_token_layout() {
        let mut w = TokenWriter::new();
        w.error(&Message {
            number: 18456,
            state: 1,
            class: 14,
            text: "Login failed for user 'x'.".into(),
            server: "SIM".into(),
            procedure: String::new(),
            line: 1,
        });
        let bytes = w.into_bytes();
        assert_eq!(bytes[0], 0xAA);
        assert_eq!(i32::from_le_bytes(bytes[3..7].try_into().unwrap()), 18456);
        assert_eq!((bytes[7], bytes[8]), (1, 14));
    }
}
