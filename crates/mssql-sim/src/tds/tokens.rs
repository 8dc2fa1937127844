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
}

/// A value in a ROW.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// NULL of any type.
    Null,
    /// An integer (sent as the column's type).
    Int(i64),
    /// A bit.
    Bit(bool),
    /// Text.
    Text(String),
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
            }
            Self::b_varchar(&mut self.buf, name);
        }
    }

    /// ROW with one value per column of the last COLMETADATA.
    pub fn row(&mut self, columns: &[ColumnType], values: &[Value]) {
        self.buf.push(token::ROW);
        for (kind, value) in columns.iter().zip(values) {
            match (kind, value) {
                (ColumnType::NVarChar, Value::Null) => {
                    self.buf.extend_from_slice(&0xFFFFu16.to_le_bytes())
                }
                (ColumnType::Int | ColumnType::BigInt | ColumnType::Bit, Value::Null) => {
                    self.buf.push(0)
                }
                (ColumnType::Int, Value::Int(v)) => {
                    self.buf.push(4);
                    self.buf.extend_from_slice(&(*v as i32).to_le_bytes());
                }
                (ColumnType::BigInt, Value::Int(v)) => {
                    self.buf.push(8);
                    self.buf.extend_from_slice(&v.to_le_bytes());
                }
                (ColumnType::Bit, Value::Bit(b)) => self.buf.extend_from_slice(&[1, u8::from(*b)]),
                (ColumnType::NVarChar, value) => {
                    let text = match value {
                        Value::Text(t) => t.clone(),
                        Value::Int(i) => i.to_string(),
                        Value::Bit(b) => u8::from(*b).to_string(),
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
                (kind, value) => panic!("a {value:?} cannot be sent in a {kind:?} column"),
            }
        }
    }
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
