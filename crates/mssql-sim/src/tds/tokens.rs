//! The server's response token stream (MS-TDS 2.2.7): LOGINACK, ENVCHANGE, INFO, ERROR, DONE
//! (and DONEPROC, DONEINPROC), COLMETADATA, ROW, RETURNSTATUS, RETURNVALUE and SSPI, written
//! into one buffer that `packet::encode_message` then splits.

/// Token type bytes.
mod token {
    pub const RETURNSTATUS: u8 = 0x79;
    pub const COLMETADATA: u8 = 0x81;
    pub const ERROR: u8 = 0xAA;
    pub const INFO: u8 = 0xAB;
    pub const RETURNVALUE: u8 = 0xAC;
    pub const LOGINACK: u8 = 0xAD;
    pub const ROW: u8 = 0xD1;
    pub const ENVCHANGE: u8 = 0xE3;
    pub const SSPI: u8 = 0xED;
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
    /// A transaction is in progress.
    pub const INXACT: u16 = 0x0004;
    /// The row count is valid.
    pub const COUNT: u16 = 0x0010;
    /// Acknowledges an ATTENTION (cancel).
    pub const ATTENTION: u16 = 0x0020;
    /// A severe error occurred; the results so far are to be discarded.
    pub const SRVERROR: u16 = 0x0100;
}

/// Which DONE token: a batch statement ends with DONE (0xFD); inside an RPC each statement
/// ends with DONEINPROC (0xFF) and the procedure itself with DONEPROC (0xFE). All three have
/// the same 13-byte layout (TDS 7.2+): status, current command, 64-bit row count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoneKind {
    /// End of a statement of a batch (DONE).
    Done,
    /// End of a statement inside a procedure (DONEINPROC).
    InProc,
    /// End of a procedure (DONEPROC).
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

/// A column type the simulator sends, and the TYPE_INFO it writes for it (COLMETADATA and
/// RETURNVALUE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `tinyint` (INTN, 1 byte, unsigned 0–255).
    TinyInt,
    /// `smallint` (INTN, 2 bytes).
    SmallInt,
    /// `int` (INTN, 4 bytes).
    Int,
    /// `bigint` (INTN, 8 bytes).
    BigInt,
    /// `bit` (BITN).
    Bit,
    /// `nvarchar(n)`, n characters (1–4,000): NVARCHARTYPE with a USHORTLEN maximum of 2n
    /// bytes. Computed text columns are `nvarchar(4000)`; a longer value is cut to n.
    NVarChar(u16),
    /// `nchar(n)` (NCHARTYPE): values padded with spaces to n characters.
    NChar(u16),
    /// `varchar(n)`, n bytes (1–8,000), in the collation's code page (Windows-1252 for
    /// Latin1_General_CI_AS; a character it lacks is sent as `?`, as SQL Server converts).
    VarChar(u16),
    /// `char(n)` (BIGCHARTYPE): padded with spaces to n bytes.
    Char(u16),
    /// `varchar(max)`: PLP, `text` for a client before TDS 7.2.
    VarCharMax,
    /// `varbinary(n)` (BIGVARBINARYTYPE), n bytes (1–8,000): SIDs, hashes.
    VarBinary(u16),
    /// `binary(n)` (BIGBINARYTYPE): padded with zero bytes to n.
    Binary(u16),
    /// `datetime`.
    DateTime,
    /// `smalldatetime` (DATETIMN, 4 bytes: days since 1900-01-01, minutes since midnight).
    SmallDateTime,
    /// `float` (FLTN, 8 bytes).
    Float,
    /// `real` (FLTN, 4 bytes).
    Real,
    /// `money` (MONEYN, 8 bytes: the value × 10,000, high 32 bits first).
    Money,
    /// `time(7)` (TIMENTYPE), from text `hh:mm:ss[.fffffff]`.
    Time,
    /// `datetimeoffset(7)` (DATETIMEOFFSETNTYPE), from text `YYYY-MM-DD hh:mm:ss[.fffffff]
    /// [+|-]hh:mm` (no offset: +00:00).
    DateTimeOffset,
    /// `xml` (XMLTYPE, no schema): PLP UTF-16, `ntext` for a client before TDS 7.2.
    Xml,
    /// `ntext` (NTEXTTYPE), the deprecated large Unicode type, as a column declared so.
    NText,
    /// `text` (TEXTTYPE), code page 1252.
    Text,
    /// `image` (IMAGETYPE).
    Image,
    /// `sql_variant` (SERVERPROPERTY, sys.configurations values): integers are sent as `int`
    /// (or `bigint`), text as `nvarchar`.
    Variant,
    /// `decimal(precision, scale)` / `numeric` (DECIMALN). Precision is clamped to 1–38 and
    /// scale to 0–precision. Values are rounded half away from zero to the scale, as a CAST
    /// does; one that does not fit the precision is sent as NULL.
    Decimal {
        /// Total digits, 1–38.
        precision: u8,
        /// Digits after the point, 0–precision.
        scale: u8,
    },
    /// `nvarchar(max)`: values are sent as PLP (partially length-prefixed) chunks, unlimited.
    NVarCharMax,
    /// `varbinary(max)`: PLP values, unlimited.
    VarBinaryMax,
    /// `datetime2(7)`, from text `YYYY-MM-DD[ hh:mm:ss[.fffffff]]` (a `T` may separate).
    DateTime2,
    /// `date`, from text `YYYY-MM-DD`.
    Date,
    /// `uniqueidentifier` (GUIDTYPE), from text `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (braces
    /// allowed) or 16 bytes already in wire order.
    Guid,
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
    /// Text. Also the form of every value SQLite has no type for, so that the engine can bind
    /// and compare it as text: `datetime` as `YYYY-MM-DD hh:mm:ss.fff`, `datetime2` as
    /// `YYYY-MM-DD hh:mm:ss.fffffff`, `date` as `YYYY-MM-DD`, `time` as `hh:mm:ss.fffffff`,
    /// `uniqueidentifier` as upper-case `8-4-4-4-12` hex (as CONVERT shows it), and decimals too
    /// precise for a float as exact digits.
    Text(String),
    /// Bytes.
    Binary(Vec<u8>),
    /// A floating-point number.
    Float(f64),
}

/// The default collation: Latin1_General_CI_AS (LCID 0x0409, CI/AS flags, sort id 0).
pub const COLLATION: [u8; 5] = [0x09, 0x04, 0xD0, 0x00, 0x34];

/// TDS versions as LOGIN7 and LOGINACK spell them (MS-TDS 2.2.6.4 LOGIN7, TDSVersion; 2.2.7.14
/// LOGINACK). What a token looks like depends on the version the session agreed.
pub mod tds_version {
    /// TDS 7.0 (SQL Server 7.0).
    pub const V7_0: u32 = 0x7000_0000;
    /// TDS 7.1 (SQL Server 2000 SP1).
    pub const V7_1: u32 = 0x7100_0001;
    /// TDS 7.1 as SQL Server 2000 RTM spelled it: the lowest version with collations.
    pub const V7_1_RTM: u32 = 0x7100_0000;
    /// TDS 7.2 (SQL Server 2005): ALL_HEADERS, 64-bit DONE row counts, the MAX types (PLP),
    /// ENVCHANGE types 8–19 (transactions).
    pub const V7_2: u32 = 0x7209_0002;
    /// TDS 7.3 (SQL Server 2008): date, time, datetime2, datetimeoffset.
    pub const V7_3: u32 = 0x730A_0003;
    /// TDS 7.4 (SQL Server 2012 and later; also what TDS 8.0 sessions use inside TLS).
    pub const V7_4: u32 = 0x7400_0004;
    /// TDS 8.0 (strict encryption) as a LOGIN7 spells it.
    pub const V8_0: u32 = 0x0800_0000;

    /// The 7.x level a LOGIN7 version means for the wire format: TDS 8.0 is 7.4 inside TLS
    /// (MS-TDS 2.2.6.4: "0x08000000 TDS 8.0"; the tokens are those of 7.4).
    pub fn level(version: u32) -> u32 {
        if version < V7_0 { V7_4 } else { version }
    }
}

/// How a column type goes on the wire for the session's TDS version: as itself, or as the
/// type a down-level client knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    /// The type itself.
    Same(ColumnType),
    /// `ntext` (NTEXTTYPE 0x63): `nvarchar(max)` for a client before TDS 7.2.
    NText,
    /// `image` (IMAGETYPE 0x22): `varbinary(max)` for a client before TDS 7.2.
    Image,
    /// `text` (TEXTTYPE 0x23): `varchar(max)` for a client before TDS 7.2.
    Text,
}

/// Builds a response token stream.
#[derive(Debug)]
pub struct TokenWriter {
    buf: Vec<u8>,
    /// The TDS version of the session (see [`tds_version`]), 7.x level.
    tds: u32,
}

impl Default for TokenWriter {
    fn default() -> Self {
        TokenWriter {
            buf: Vec::new(),
            tds: tds_version::V7_4,
        }
    }
}

impl TokenWriter {
    /// An empty stream for a TDS 7.4 session.
    pub fn new() -> Self {
        TokenWriter::default()
    }

    /// An empty stream for a session that agreed on `version` (as LOGIN7 spells it).
    pub fn for_tds(version: u32) -> Self {
        TokenWriter {
            buf: Vec::new(),
            tds: tds_version::level(version),
        }
    }

    /// How `kind` travels to this session's client. Before TDS 7.3 the date and time types do
    /// not exist: SQL Server sends them to down-level clients as nvarchar holding the literal
    /// ("Enhanced Date/Time Type Behavior with Previous SQL Server Versions (ODBC)",
    /// learn.microsoft.com bb677302: "see the new date/time types as nvarchar columns").
    /// Before TDS 7.2 there are no MAX types (PLP, MS-TDS 2.2.5.2.3 "TDS 7.2 and later"):
    /// down-level clients get `nvarchar(max)` as `ntext` and `varbinary(max)` as `image`
    /// (SQL Server Native Client, "Using Large Value Types": down-level clients see text,
    /// ntext and image).
    ///
    /// Before TDS 7.1 (SQL Server 7.0's protocol) there is no `bigint` and no `sql_variant`
    /// (both came with SQL Server 2000): `bigint` goes as `decimal(19,0)`, `sql_variant` as
    /// `nvarchar`.
    fn wire(&self, kind: ColumnType) -> Wire {
        match kind {
            ColumnType::BigInt if self.tds < tds_version::V7_1_RTM => {
                Wire::Same(ColumnType::Decimal {
                    precision: 19,
                    scale: 0,
                })
            }
            ColumnType::Variant if self.tds < tds_version::V7_1_RTM => {
                Wire::Same(ColumnType::NVarChar(4000))
            }
            // The lengths of the literal: "date nvarchar(10), time(7) nvarchar(16), datetime2(7)
            // nvarchar(27), datetimeoffset(7) nvarchar(34)" (the same page's table).
            ColumnType::Date if self.tds < tds_version::V7_3 => {
                Wire::Same(ColumnType::NVarChar(10))
            }
            ColumnType::Time if self.tds < tds_version::V7_3 => {
                Wire::Same(ColumnType::NVarChar(16))
            }
            ColumnType::DateTime2 if self.tds < tds_version::V7_3 => {
                Wire::Same(ColumnType::NVarChar(27))
            }
            ColumnType::DateTimeOffset if self.tds < tds_version::V7_3 => {
                Wire::Same(ColumnType::NVarChar(34))
            }
            ColumnType::NVarCharMax | ColumnType::Xml if self.tds < tds_version::V7_2 => {
                Wire::NText
            }
            ColumnType::VarCharMax if self.tds < tds_version::V7_2 => Wire::Text,
            ColumnType::VarBinaryMax if self.tds < tds_version::V7_2 => Wire::Image,
            ColumnType::NText => Wire::NText,
            ColumnType::Text => Wire::Text,
            ColumnType::Image => Wire::Image,
            other => Wire::Same(other),
        }
    }

    /// ENVCHANGE 8 (begin transaction), 9 (commit) or 10 (rollback) with the 8-byte
    /// transaction descriptor: the new value for a begin, the old value for a commit or a
    /// rollback, the other side empty (MS-TDS 2.2.7.9 ENVCHANGE: "8 Begin Transaction: NewValue
    /// B_VARBYTE, OldValue 0x00"; "9 Commit Transaction" and "10 Rollback Transaction": NewValue
    /// 0x00, OldValue B_VARBYTE). Types 8–19 were introduced in TDS 7.2 (same page): nothing is
    /// written for an older session.
    pub fn env_change_transaction(&mut self, kind: u8, descriptor: u64) {
        if self.tds < tds_version::V7_2 {
            return;
        }
        let mut body = vec![kind];
        if kind == 8 {
            body.push(8);
            body.extend_from_slice(&descriptor.to_le_bytes());
            body.push(0);
        } else {
            body.push(0);
            body.push(8);
            body.extend_from_slice(&descriptor.to_le_bytes());
        }
        self.with_length(token::ENVCHANGE, &body);
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
        // LineNumber: LONG from TDS 7.2, USHORT before (MS-TDS 2.2.7.10 ERROR, 2.2.7.13 INFO).
        if self.tds < tds_version::V7_2 {
            let line = u16::try_from(m.line).unwrap_or(0);
            body.extend_from_slice(&line.to_le_bytes());
        } else {
            body.extend_from_slice(&m.line.to_le_bytes());
        }
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
        // DoneRowCount: ULONGLONG from TDS 7.2, LONG before (MS-TDS 2.2.7.6 DONE).
        if self.tds < tds_version::V7_2 {
            let rows = u32::try_from(rows).unwrap_or(u32::MAX);
            self.buf.extend_from_slice(&rows.to_le_bytes());
        } else {
            self.buf.extend_from_slice(&rows.to_le_bytes());
        }
    }

    /// The COLLATION of a character type's TYPE_INFO: from TDS 7.1 on (MS-TDS 2.2.5.6
    /// TYPE_INFO, "COLLATION ... TDS 7.1 and later"); nothing before.
    fn collation(&mut self) {
        if self.tds >= tds_version::V7_1_RTM {
            self.buf.extend_from_slice(&COLLATION);
        }
    }

    /// UserType of a column or a RETURNVALUE: ULONG from TDS 7.2, USHORT before (MS-TDS
    /// 2.2.7.4 COLMETADATA, 2.2.7.18 RETURNVALUE). 0: not a user-defined type.
    fn user_type(&mut self) {
        if self.tds < tds_version::V7_2 {
            self.buf.extend_from_slice(&0u16.to_le_bytes());
        } else {
            self.buf.extend_from_slice(&0u32.to_le_bytes());
        }
    }

    /// COLMETADATA for a result set whose columns may all be NULL.
    pub fn column_metadata(&mut self, columns: &[(&str, ColumnType)]) {
        self.column_metadata_with(columns, &[]);
    }

    /// COLMETADATA for a result set, `not_null[i]` clearing fNullable (Flags bit 0, MS-TDS
    /// 2.2.7.4) for a column that is never NULL; columns past its end may be NULL.
    pub fn column_metadata_with(&mut self, columns: &[(&str, ColumnType)], not_null: &[bool]) {
        self.buf.push(token::COLMETADATA);
        self.buf
            .extend_from_slice(&(columns.len() as u16).to_le_bytes());
        for (i, (name, kind)) in columns.iter().enumerate() {
            self.user_type();
            let flags: u16 = if not_null.get(i) == Some(&true) { 0 } else { 1 };
            self.buf.extend_from_slice(&flags.to_le_bytes());
            self.type_info(*kind);
            if matches!(self.wire(*kind), Wire::NText | Wire::Text | Wire::Image) {
                // TableName of a text/ntext/image column (MS-TDS 2.2.7.4 COLMETADATA): a
                // US_VARCHAR before TDS 7.2, NumParts and the parts from 7.2 on. The
                // simulator's columns come from no table: an empty name, zero parts.
                if self.tds < tds_version::V7_2 {
                    self.buf.extend_from_slice(&0u16.to_le_bytes());
                } else {
                    self.buf.push(0);
                }
            }
            Self::b_varchar(&mut self.buf, name);
        }
    }

    /// TYPE_INFO (MS-TDS 2.2.5.6) of a column type, as this session's client knows it.
    fn type_info(&mut self, kind: ColumnType) {
        let kind = match self.wire(kind) {
            Wire::Same(kind) => kind,
            Wire::NText => {
                // NTEXTTYPE, LONGLEN max length, collation (MS-TDS 2.2.5.6).
                self.buf.push(0x63);
                self.buf.extend_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
                self.collation();
                return;
            }
            Wire::Image => {
                self.buf.push(0x22);
                self.buf.extend_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
                return;
            }
            Wire::Text => {
                self.buf.push(0x23);
                self.buf.extend_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
                self.collation();
                return;
            }
        };
        match kind {
            ColumnType::TinyInt => self.buf.extend_from_slice(&[0x26, 1]),
            ColumnType::SmallInt => self.buf.extend_from_slice(&[0x26, 2]),
            ColumnType::Int => self.buf.extend_from_slice(&[0x26, 4]),
            ColumnType::BigInt => self.buf.extend_from_slice(&[0x26, 8]),
            ColumnType::Bit => self.buf.extend_from_slice(&[0x68, 1]),
            // The character and binary types (MS-TDS 2.2.5.4.3): type, USHORTLEN maximum in
            // bytes (0xFFFF: a MAX type, sent as PLP), and a collation for the character ones.
            ColumnType::NVarChar(n) => self.sized(0xE7, n.saturating_mul(2), true),
            ColumnType::NChar(n) => self.sized(0xEF, n.saturating_mul(2), true),
            ColumnType::VarChar(n) => self.sized(0xA7, n, true),
            ColumnType::Char(n) => self.sized(0xAF, n, true),
            ColumnType::NVarCharMax => self.sized(0xE7, 0xFFFF, true),
            ColumnType::VarCharMax => self.sized(0xA7, 0xFFFF, true),
            ColumnType::VarBinary(n) => self.sized(0xA5, n, false),
            ColumnType::Binary(n) => self.sized(0xAD, n, false),
            ColumnType::VarBinaryMax => self.sized(0xA5, 0xFFFF, false),
            ColumnType::SmallDateTime => self.buf.extend_from_slice(&[0x6F, 4]),
            ColumnType::Real => self.buf.extend_from_slice(&[0x6D, 4]),
            ColumnType::Money => self.buf.extend_from_slice(&[0x6E, 8]),
            // TIMENTYPE / DATETIMEOFFSETNTYPE with their scale (MS-TDS 2.2.5.4.2).
            ColumnType::Time => self.buf.extend_from_slice(&[0x29, 7]),
            ColumnType::DateTimeOffset => self.buf.extend_from_slice(&[0x2B, 7]),
            // XMLTYPE, SCHEMA_PRESENT 0 (MS-TDS 2.2.5.5.3).
            ColumnType::Xml => self.buf.extend_from_slice(&[0xF1, 0]),
            // Always sent as their Wire form above.
            ColumnType::NText | ColumnType::Text | ColumnType::Image => {
                debug_assert!(false, "{kind:?} goes through Wire")
            }
            ColumnType::DateTime => self.buf.extend_from_slice(&[0x6F, 8]),
            ColumnType::Float => self.buf.extend_from_slice(&[0x6D, 8]),
            ColumnType::Variant => {
                self.buf.push(0x62);
                self.buf.extend_from_slice(&8016u32.to_le_bytes());
            }
            ColumnType::Decimal { precision, scale } => {
                let (precision, scale) = decimal_shape(precision, scale);
                self.buf
                    .extend_from_slice(&[0x6A, decimal_len(precision), precision, scale]);
            }
            ColumnType::DateTime2 => self.buf.extend_from_slice(&[0x2A, 7]),
            ColumnType::Date => self.buf.push(0x28),
            ColumnType::Guid => self.buf.extend_from_slice(&[0x24, 16]),
        }
    }

    /// A variable-length type's TYPE_INFO: the type, its USHORTLEN maximum length, and a
    /// collation for the character types.
    fn sized(&mut self, kind: u8, max: u16, collated: bool) {
        self.buf.push(kind);
        self.buf.extend_from_slice(&max.to_le_bytes());
        if collated {
            self.collation();
        }
    }

    /// RETURNSTATUS: the procedure's return code (0 for `sp_executesql` that succeeded).
    pub fn return_status(&mut self, status: i32) {
        self.buf.push(token::RETURNSTATUS);
        self.buf.extend_from_slice(&status.to_le_bytes());
    }

    /// RETURNVALUE: the value of an OUTPUT parameter of an RPC, `ordinal` being its position
    /// in the request and `name` its name with the `@`. Sent after the procedure's result sets
    /// and before its DONEPROC; the value follows the same conversions as [`Self::row`].
    pub fn return_value(&mut self, ordinal: u16, name: &str, kind: ColumnType, value: &Value) {
        self.buf.push(token::RETURNVALUE);
        self.buf.extend_from_slice(&ordinal.to_le_bytes());
        Self::b_varchar(&mut self.buf, name);
        self.buf.push(0x01); // status: output parameter (0x02 would be a UDF's return value)
        self.user_type();
        self.buf.extend_from_slice(&0x0001u16.to_le_bytes()); // flags: nullable
        self.type_info(kind);
        self.value(kind, value);
    }

    /// SSPI: a security token for integrated authentication (the NTLM CHALLENGE).
    pub fn sspi(&mut self, data: &[u8]) {
        self.with_length(token::SSPI, data);
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
        let kind = match self.wire(kind) {
            Wire::Same(kind) => kind,
            wire => return self.text_value(wire, value),
        };
        let int = match value {
            Value::Int(i) => Some(*i),
            Value::Bit(b) => Some(i64::from(*b)),
            Value::Text(t) => t.trim().parse().ok(),
            _ => None,
        };
        match kind {
            ColumnType::TinyInt
            | ColumnType::SmallInt
            | ColumnType::Int
            | ColumnType::BigInt
            | ColumnType::Bit
            | ColumnType::DateTime
            | ColumnType::Float
            | ColumnType::Decimal { .. }
            | ColumnType::DateTime2
            | ColumnType::Date
            | ColumnType::Guid
            | ColumnType::SmallDateTime
            | ColumnType::Real
            | ColumnType::Money
            | ColumnType::Time
            | ColumnType::DateTimeOffset
                if matches!(value, Value::Null) =>
            {
                self.buf.push(0)
            }
            ColumnType::NVarChar(_)
            | ColumnType::NChar(_)
            | ColumnType::VarChar(_)
            | ColumnType::Char(_)
            | ColumnType::VarBinary(_)
            | ColumnType::Binary(_)
                if matches!(value, Value::Null) =>
            {
                self.buf.extend_from_slice(&0xFFFFu16.to_le_bytes())
            }
            ColumnType::NVarCharMax
            | ColumnType::VarCharMax
            | ColumnType::VarBinaryMax
            | ColumnType::Xml
                if matches!(value, Value::Null) =>
            {
                self.buf.extend_from_slice(&PLP_NULL.to_le_bytes())
            }
            ColumnType::VarCharMax => self.plp(&code_page_1252(&value_text(value))),
            // Always sent as their Wire form above.
            ColumnType::NText | ColumnType::Text | ColumnType::Image => {
                debug_assert!(false, "{kind:?} goes through Wire")
            }
            ColumnType::Xml => {
                let bytes: Vec<u8> = value_text(value)
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect();
                self.plp(&bytes);
            }
            ColumnType::Real => {
                let f = match value {
                    Value::Float(f) => Some(*f),
                    Value::Text(t) => t.trim().parse().ok(),
                    _ => int.map(|i| i as f64),
                };
                match f {
                    Some(f) => {
                        self.buf.push(4);
                        self.buf.extend_from_slice(&(f as f32).to_le_bytes());
                    }
                    None => self.buf.push(0),
                }
            }
            ColumnType::Money => {
                let scaled = match value {
                    Value::Int(i) => i64::checked_mul(*i, 10_000),
                    Value::Float(f) if f.is_finite() => {
                        scaled_decimal(&format!("{f:.4}"), 4).and_then(|n| i64::try_from(n).ok())
                    }
                    Value::Text(t) => scaled_decimal(t, 4).and_then(|n| i64::try_from(n).ok()),
                    _ => None,
                };
                match scaled {
                    Some(n) => {
                        // MONEY: the high 32 bits, then the low 32 bits (MS-TDS 2.2.5.5.1.4).
                        self.buf.push(8);
                        self.buf
                            .extend_from_slice(&((n >> 32) as i32).to_le_bytes());
                        self.buf.extend_from_slice(&(n as u32).to_le_bytes());
                    }
                    None => self.buf.push(0),
                }
            }
            ColumnType::SmallDateTime => match value {
                Value::Text(t) => match datetime2_parts(t) {
                    Some((days, ticks)) => {
                        // Days since 1900-01-01 and minutes since midnight, each 2 bytes
                        // unsigned (MS-TDS 2.2.5.5.1.8); seconds round to the minute.
                        let days = i64::from(days)
                            - (days_from_civil(1900, 1, 1) - days_from_civil(1, 1, 1));
                        let minutes = (ticks + 300_000_000) / 600_000_000;
                        let (days, minutes) = if minutes == 1440 {
                            (days + 1, 0)
                        } else {
                            (days, minutes)
                        };
                        match u16::try_from(days) {
                            Ok(days) => {
                                self.buf.push(4);
                                self.buf.extend_from_slice(&days.to_le_bytes());
                                self.buf.extend_from_slice(&(minutes as u16).to_le_bytes());
                            }
                            Err(_) => self.buf.push(0),
                        }
                    }
                    None => self.buf.push(0),
                },
                _ => self.buf.push(0),
            },
            ColumnType::Time => match value {
                Value::Text(t) => match datetime2_parts(&format!("1900-01-01 {}", t.trim())) {
                    Some((_, ticks)) => {
                        self.buf.push(5);
                        self.buf.extend_from_slice(&ticks.to_le_bytes()[..5]);
                    }
                    None => self.buf.push(0),
                },
                _ => self.buf.push(0),
            },
            ColumnType::DateTimeOffset => match value {
                Value::Text(t) => match datetimeoffset_parts(t) {
                    Some((days, ticks, offset)) => {
                        self.buf.push(10);
                        self.buf.extend_from_slice(&ticks.to_le_bytes()[..5]);
                        self.buf.extend_from_slice(&days.to_le_bytes()[..3]);
                        self.buf.extend_from_slice(&offset.to_le_bytes());
                    }
                    None => self.buf.push(0),
                },
                _ => self.buf.push(0),
            },
            ColumnType::NChar(n) => {
                let text = value_text(value);
                let mut units: Vec<u16> = text.encode_utf16().take(usize::from(n)).collect();
                units.resize(usize::from(n), u16::from(b' '));
                let bytes: Vec<u8> = units.into_iter().flat_map(u16::to_le_bytes).collect();
                self.buf
                    .extend_from_slice(&(bytes.len() as u16).to_le_bytes());
                self.buf.extend_from_slice(&bytes);
            }
            ColumnType::VarChar(n) | ColumnType::Char(n) => {
                let mut bytes = code_page_1252(&value_text(value));
                bytes.truncate(usize::from(n));
                if matches!(kind, ColumnType::Char(_)) {
                    bytes.resize(usize::from(n), b' ');
                }
                self.buf
                    .extend_from_slice(&(bytes.len() as u16).to_le_bytes());
                self.buf.extend_from_slice(&bytes);
            }
            ColumnType::Binary(n) => {
                let mut bytes: Vec<u8> = match value {
                    Value::Binary(b) => b.clone(),
                    Value::Text(t) => t.as_bytes().to_vec(),
                    other => value_text(other).into_bytes(),
                };
                bytes.resize(usize::from(n), 0);
                self.buf
                    .extend_from_slice(&(bytes.len() as u16).to_le_bytes());
                self.buf.extend_from_slice(&bytes);
            }
            ColumnType::Variant => self.variant(value),
            ColumnType::TinyInt => match int.and_then(|i| u8::try_from(i).ok()) {
                Some(i) => self.buf.extend_from_slice(&[1, i]),
                None => self.buf.push(0),
            },
            ColumnType::SmallInt => match int.and_then(|i| i16::try_from(i).ok()) {
                Some(i) => {
                    self.buf.push(2);
                    self.buf.extend_from_slice(&i.to_le_bytes());
                }
                None => self.buf.push(0),
            },
            ColumnType::Decimal { precision, scale } => {
                let (precision, scale) = decimal_shape(precision, scale);
                let scaled = match value {
                    Value::Int(i) => i128::from(*i).checked_mul(10i128.pow(u32::from(scale))),
                    Value::Bit(b) => Some(i128::from(*b) * 10i128.pow(u32::from(scale))),
                    Value::Float(f) if f.is_finite() => {
                        scaled_decimal(&format!("{f:.prec$}", prec = usize::from(scale)), scale)
                    }
                    Value::Text(t) => scaled_decimal(t, scale),
                    _ => None,
                };
                match scaled.filter(|n| n.unsigned_abs() < 10u128.pow(u32::from(precision))) {
                    Some(n) => {
                        let len = decimal_len(precision);
                        self.buf.push(len);
                        self.buf.push(u8::from(n >= 0));
                        let magnitude = n.unsigned_abs().to_le_bytes();
                        self.buf
                            .extend_from_slice(&magnitude[..usize::from(len) - 1]);
                    }
                    None => self.buf.push(0),
                }
            }
            ColumnType::DateTime2 => match value {
                Value::Text(t) => match datetime2_parts(t) {
                    Some((days, ticks)) => {
                        self.buf.push(8);
                        self.buf.extend_from_slice(&ticks.to_le_bytes()[..5]);
                        self.buf.extend_from_slice(&days.to_le_bytes()[..3]);
                    }
                    None => self.buf.push(0),
                },
                _ => self.buf.push(0),
            },
            ColumnType::Date => match value {
                Value::Text(t) => match datetime2_parts(t) {
                    Some((days, 0)) => {
                        self.buf.push(3);
                        self.buf.extend_from_slice(&days.to_le_bytes()[..3]);
                    }
                    _ => self.buf.push(0),
                },
                _ => self.buf.push(0),
            },
            ColumnType::Guid => {
                let bytes = match value {
                    Value::Text(t) => guid_bytes(t),
                    Value::Binary(b) => <[u8; 16]>::try_from(b.as_slice()).ok(),
                    _ => None,
                };
                match bytes {
                    Some(b) => {
                        self.buf.push(16);
                        self.buf.extend_from_slice(&b);
                    }
                    None => self.buf.push(0),
                }
            }
            ColumnType::NVarCharMax => {
                let bytes: Vec<u8> = value_text(value)
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect();
                self.plp(&bytes);
            }
            ColumnType::VarBinaryMax => match value {
                Value::Binary(b) => self.plp(b),
                Value::Text(t) => self.plp(t.as_bytes()),
                other => self.plp(format!("{other:?}").as_bytes()),
            },
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
            ColumnType::VarBinary(n) => {
                let n = usize::from(n);
                let bytes: Vec<u8> = match value {
                    Value::Binary(b) => b.iter().copied().take(n).collect(),
                    Value::Text(t) => t.as_bytes().iter().copied().take(n).collect(),
                    other => format!("{other:?}").into_bytes(),
                };
                self.buf
                    .extend_from_slice(&(bytes.len() as u16).to_le_bytes());
                self.buf.extend_from_slice(&bytes);
            }
            ColumnType::NVarChar(n) => {
                let bytes: Vec<u8> = value_text(value)
                    .encode_utf16()
                    .take(usize::from(n))
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
    /// A text/ntext/image value (MS-TDS 2.2.5.2.2 and 2.2.7.19 ROW): TextPointer (B_VARBYTE,
    /// 16 bytes; length 0 for NULL, then nothing else), Timestamp (8 bytes), the data with a
    /// LONGLEN length.
    fn text_value(&mut self, wire: Wire, value: &Value) {
        let bytes: Vec<u8> = match (wire, value) {
            (_, Value::Null) => {
                self.buf.push(0);
                return;
            }
            (Wire::NText, other) => value_text(other)
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect(),
            (Wire::Text, other) => code_page_1252(&value_text(other)),
            (_, Value::Binary(b)) => b.clone(),
            (_, other) => value_text(other).into_bytes(),
        };
        self.buf.push(16);
        self.buf.extend_from_slice(&[0xEE; 16]); // an opaque text pointer
        self.buf.extend_from_slice(&[0; 8]); // timestamp
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        self.buf.extend_from_slice(&len.to_le_bytes());
        self.buf.extend_from_slice(&bytes[..len as usize]);
    }

    /// A PLP value (MS-TDS 2.2.5.2.3): total length, then one chunk (none when empty), then
    /// the zero-length terminator.
    fn plp(&mut self, bytes: &[u8]) {
        self.buf
            .extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        if !bytes.is_empty() {
            self.buf
                .extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            self.buf.extend_from_slice(bytes);
        }
        self.buf.extend_from_slice(&0u32.to_le_bytes());
    }

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

/// The total length of a PLP value that is NULL.
const PLP_NULL: u64 = u64::MAX;

/// A non-NULL value as text (for `nvarchar` columns): numbers in their usual form, bytes as
/// `0x` hex.
fn value_text(value: &Value) -> String {
    match value {
        Value::Text(t) => t.clone(),
        Value::Int(i) => i.to_string(),
        Value::Bit(b) => u8::from(*b).to_string(),
        Value::Float(f) => f.to_string(),
        Value::Binary(b) => format!(
            "0x{}",
            b.iter().map(|x| format!("{x:02X}")).collect::<String>()
        ),
        Value::Null => String::new(),
    }
}

/// Text in Windows code page 1252, the code page of the simulated collation
/// (Latin1_General_CI_AS, LCID 0x0409): characters the code page lacks become `?`, as SQL Server
/// converts them to a `varchar` of that collation.
pub(crate) fn code_page_1252(text: &str) -> Vec<u8> {
    // 0x80–0x9F of Windows-1252 (the Unicode Consortium's mapping table cp1252.txt); the
    // five undefined positions (0x81, 0x8D, 0x8F, 0x90, 0x9D) map nothing.
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    text.chars()
        .map(|c| match u32::from(c) {
            0..=0x7F | 0xA0..=0xFF => c as u8,
            _ => HIGH
                .iter()
                .position(|h| *h == c && !matches!(u32::from(c), 0x80..=0x9F))
                .map_or(b'?', |i| 0x80 + i as u8),
        })
        .collect()
}

/// `YYYY-MM-DD hh:mm:ss[.fffffff] [+|-]hh:mm` → `datetimeoffset` wire parts: the UTC date
/// (days since 0001-01-01), UTC time (100 ns ticks) and the offset in minutes (MS-TDS
/// 2.2.5.5.1.7: "the date and time are in UTC"). No offset: +00:00.
fn datetimeoffset_parts(text: &str) -> Option<(u32, u64, i16)> {
    let text = text.trim();
    let (local, offset) = match text.rfind(['+', '-']).filter(|&i| i > 10) {
        Some(i) => {
            let (h, m) = text[i + 1..].trim().split_once(':')?;
            let minutes = h.parse::<i16>().ok()? * 60 + m.parse::<i16>().ok()?;
            let sign = if text[i..].starts_with('-') { -1 } else { 1 };
            (text[..i].trim(), sign * minutes)
        }
        None => (text, 0),
    };
    let (days, ticks) = datetime2_parts(local)?;
    const DAY: i64 = 864_000_000_000;
    let utc = i64::from(days) * DAY + ticks as i64 - i64::from(offset) * 600_000_000;
    Some((
        u32::try_from(utc.div_euclid(DAY)).ok()?,
        utc.rem_euclid(DAY) as u64,
        offset,
    ))
}

/// Precision clamped to 1–38 and scale to 0–precision.
fn decimal_shape(precision: u8, scale: u8) -> (u8, u8) {
    let precision = precision.clamp(1, 38);
    (precision, scale.min(precision))
}

/// The DECIMALN length byte for a precision: sign byte plus 4, 8, 12 or 16 bytes.
fn decimal_len(precision: u8) -> u8 {
    match precision {
        0..=9 => 5,
        10..=19 => 9,
        20..=28 => 13,
        _ => 17,
    }
}

/// `[-+]digits[.digits]` → the integer `value × 10^scale`, rounded half away from zero; None
/// for anything else or on overflow.
pub(crate) fn scaled_decimal(text: &str, scale: u8) -> Option<i128> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut n: i128 = 0;
    let mut push = |d: u8| -> Option<()> {
        n = n.checked_mul(10)?.checked_add(i128::from(d - b'0'))?;
        Some(())
    };
    for d in whole.bytes() {
        push(d)?;
    }
    let mut fraction = fraction.bytes();
    for _ in 0..scale {
        push(fraction.next().unwrap_or(b'0'))?;
    }
    if fraction.next().is_some_and(|d| d >= b'5') {
        n = n.checked_add(1)?;
    }
    Some(if negative { -n } else { n })
}

/// `YYYY-MM-DD[( |T)hh:mm:ss[.fffffff]]` → `datetime2`/`date` wire parts: days since
/// 0001-01-01 and 100 ns ticks since midnight. Years 1–9999 only.
fn datetime2_parts(text: &str) -> Option<(u32, u64)> {
    let text = text.trim();
    let (date, time) = match text.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (text, None),
    };
    let mut d = date.split('-');
    let y: i64 = d.next()?.parse().ok()?;
    let m: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    if d.next().is_some()
        || !(1..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || day == 0
        || civil_from_days(days_from_civil(y, m, day)) != (y, m, day)
    {
        return None;
    }
    let days = u32::try_from(days_from_civil(y, m, day) - days_from_civil(1, 1, 1)).ok()?;
    let ticks = match time {
        None => 0,
        Some(time) => {
            let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
            let mut t = hms.split(':');
            let h: u64 = t.next()?.parse().ok()?;
            let min: u64 = t.next()?.parse().ok()?;
            let s: u64 = t.next()?.parse().ok()?;
            if t.next().is_some() || h > 23 || min > 59 || s > 59 {
                return None;
            }
            if frac.len() > 7 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let frac: u64 = format!("{frac:0<7}").parse().ok()?;
            ((h * 60 + min) * 60 + s) * 10_000_000 + frac
        }
    };
    Some((days, ticks))
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (braces allowed) → the 16 wire bytes of a
/// uniqueidentifier: the first three groups little-endian, the last two as written.
pub(crate) fn guid_bytes(text: &str) -> Option<[u8; 16]> {
    let text = text.trim();
    let text = text
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(text);
    let groups: Vec<&str> = text.split('-').collect();
    if groups.iter().map(|g| g.len()).collect::<Vec<_>>() != [8, 4, 4, 4, 12] {
        return None;
    }
    let hex: String = groups.concat();
    let mut raw = [0u8; 16];
    for (i, byte) in raw.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    raw[0..4].reverse();
    raw[4..6].reverse();
    raw[6..8].reverse();
    Some(raw)
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
    fn a_tds_7_1_session_gets_down_level_types_and_short_fields() {
        let columns = [
            ("m", ColumnType::NVarCharMax),
            ("b", ColumnType::VarBinaryMax),
            ("d", ColumnType::Date),
        ];
        let kinds: Vec<ColumnType> = columns.iter().map(|c| c.1).collect();
        let values = [
            Value::Text("hé".into()),
            Value::Binary(vec![1, 2]),
            Value::Text("2024-01-05".into()),
        ];
        let mut w = TokenWriter::for_tds(tds_version::V7_1);
        w.column_metadata(&columns);
        w.row(&kinds, &values);
        w.done(DoneKind::Done, done::COUNT, 0xC1, 1);
        let mut expected = vec![0x81, 3, 0];
        // ntext: UserType (2 bytes), flags, NTEXTTYPE, LONGLEN max, collation, TableName "".
        expected.extend([0, 0, 1, 0, 0x63, 0xFF, 0xFF, 0xFF, 0x7F]);
        expected.extend(COLLATION);
        expected.extend([0, 0, 1, b'm', 0]);
        // image: IMAGETYPE, LONGLEN max, TableName "".
        expected.extend([0, 0, 1, 0, 0x22, 0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 1, b'b', 0]);
        // date as nvarchar(10) (NVARCHARTYPE, 20 bytes, collation).
        expected.extend([0, 0, 1, 0, 0xE7, 20, 0]);
        expected.extend(COLLATION);
        expected.extend([1, b'd', 0]);
        // ROW: text pointer (16) + timestamp (8) + LONGLEN + data, for each text/image value.
        expected.push(0xD1);
        expected.push(16);
        expected.extend([0xEE; 16]);
        expected.extend([0; 8]);
        expected.extend([4, 0, 0, 0, b'h', 0, 0xE9, 0]);
        expected.push(16);
        expected.extend([0xEE; 16]);
        expected.extend([0; 8]);
        expected.extend([2, 0, 0, 0, 1, 2]);
        expected.extend([20, 0]);
        expected.extend("2024-01-05".encode_utf16().flat_map(u16::to_le_bytes));
        // DONE with a 4-byte row count.
        expected.extend([0xFD, 0x10, 0, 0xC1, 0, 1, 0, 0, 0]);
        assert_eq!(w.into_bytes(), expected);

        // The same for TDS 7.4: PLP types, date, 8-byte row count; transactions' ENVCHANGE.
        let mut w = TokenWriter::for_tds(tds_version::V8_0);
        w.done(DoneKind::Done, 0, 0, 1);
        w.env_change_transaction(8, 0x0102);
        w.env_change_transaction(10, 0x0102);
        let mut expected = vec![0xFD, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
        expected.extend([0xE3, 11, 0, 8, 8, 2, 1, 0, 0, 0, 0, 0, 0, 0]);
        expected.extend([0xE3, 11, 0, 10, 0, 8, 2, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(w.into_bytes(), expected);
        // No transaction ENVCHANGE before TDS 7.2 (MS-TDS 2.2.7.9: types 8–19 are 7.2+).
        let mut w = TokenWriter::for_tds(tds_version::V7_1);
        w.env_change_transaction(8, 1);
        assert!(w.into_bytes().is_empty());
    }

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

    /// COLMETADATA's per-column prefix: user type 0, flags nullable.
    const COLUMN_PREFIX: [u8; 6] = [0, 0, 0, 0, 0x01, 0x00];

    fn metadata(columns: &[(&str, ColumnType)]) -> Vec<u8> {
        let mut w = TokenWriter::new();
        w.column_metadata(columns);
        w.into_bytes()
    }

    fn row(columns: &[ColumnType], values: &[Value]) -> Vec<u8> {
        let mut w = TokenWriter::new();
        w.row(columns, values);
        w.into_bytes()
    }

    #[test]
    fn tinyint_smallint_and_decimal_metadata_and_values() {
        let decimal = ColumnType::Decimal {
            precision: 10,
            scale: 2,
        };
        let columns = [
            ColumnType::TinyInt,
            ColumnType::SmallInt,
            decimal,
            ColumnType::Decimal {
                precision: 5,
                scale: 0,
            },
        ];
        let mut expected = vec![0x81, 4, 0];
        for (type_info, name) in [
            (&[0x26, 1][..], b'a'),
            (&[0x26, 2][..], b'b'),
            (&[0x6A, 9, 10, 2][..], b'c'),
            (&[0x6A, 5, 5, 0][..], b'd'),
        ] {
            expected.extend(COLUMN_PREFIX);
            expected.extend_from_slice(type_info);
            expected.extend([1, name, 0]);
        }
        assert_eq!(
            metadata(&[
                ("a", columns[0]),
                ("b", columns[1]),
                ("c", columns[2]),
                ("d", columns[3])
            ]),
            expected
        );
        // -12345.678 rounds to -12345.68: sign 0, magnitude 1234568 in 8 bytes.
        let bytes = row(
            &columns,
            &[
                Value::Int(200),
                Value::Int(-2),
                Value::Text("-12345.678".into()),
                Value::Int(7),
            ],
        );
        let mut expected = vec![0xD1, 1, 200, 2, 0xFE, 0xFF, 9, 0];
        expected.extend(1_234_568u64.to_le_bytes());
        expected.extend([5, 1, 7, 0, 0, 0]);
        assert_eq!(bytes, expected);
        // Out of range for the type: NULL (length 0), never a wrapped value.
        assert_eq!(
            row(
                &columns,
                &[
                    Value::Int(256),
                    Value::Int(40_000),
                    Value::Text("123456789.5".into()),
                    Value::Float(99_999.5),
                ]
            ),
            vec![0xD1, 0, 0, 0, 0]
        );
        // Floats and bits convert; NULL is length 0.
        let bytes = row(
            &[decimal, decimal, decimal],
            &[Value::Float(2.5), Value::Bit(true), Value::Null],
        );
        let mut expected = vec![0xD1, 9, 1];
        expected.extend(250u64.to_le_bytes());
        expected.extend([9, 1]);
        expected.extend(100u64.to_le_bytes());
        expected.push(0);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn decimal_text_rounds_half_away_from_zero() {
        assert_eq!(scaled_decimal("1.005", 2), Some(101));
        assert_eq!(scaled_decimal("-1.005", 2), Some(-101));
        assert_eq!(scaled_decimal("1.004", 2), Some(100));
        assert_eq!(scaled_decimal("+.5", 0), Some(1));
        assert_eq!(scaled_decimal("12", 3), Some(12_000));
        assert_eq!(scaled_decimal("1e3", 0), None);
        assert_eq!(scaled_decimal("-", 0), None);
        assert_eq!(scaled_decimal(&"9".repeat(50), 0), None);
        // A 38-digit value uses the 17-byte form.
        let big = ColumnType::Decimal {
            precision: 38,
            scale: 0,
        };
        let bytes = row(&[big], &[Value::Text("9".repeat(38))]);
        assert_eq!(bytes.len(), 1 + 1 + 17);
        assert_eq!(bytes[1], 17);
        let mut magnitude = [0u8; 16];
        magnitude.copy_from_slice(&bytes[3..19]);
        assert_eq!(u128::from_le_bytes(magnitude), 10u128.pow(38) - 1);
    }

    #[test]
    fn max_types_are_sent_as_plp_chunks() {
        let mut expected = vec![0x81, 2, 0];
        expected.extend(COLUMN_PREFIX);
        expected.extend([0xE7, 0xFF, 0xFF]);
        expected.extend(COLLATION);
        expected.extend([1, b't', 0]);
        expected.extend(COLUMN_PREFIX);
        expected.extend([0xA5, 0xFF, 0xFF]);
        expected.extend([1, b'b', 0]);
        assert_eq!(
            metadata(&[
                ("t", ColumnType::NVarCharMax),
                ("b", ColumnType::VarBinaryMax)
            ]),
            expected
        );
        let columns = [ColumnType::NVarCharMax, ColumnType::VarBinaryMax];
        let bytes = row(
            &columns,
            &[Value::Text("hé".into()), Value::Binary(vec![1, 2, 3])],
        );
        let mut expected = vec![0xD1];
        expected.extend(4u64.to_le_bytes());
        expected.extend(4u32.to_le_bytes());
        expected.extend([b'h', 0, 0xE9, 0]);
        expected.extend(0u32.to_le_bytes());
        expected.extend(3u64.to_le_bytes());
        expected.extend(3u32.to_le_bytes());
        expected.extend([1, 2, 3]);
        expected.extend(0u32.to_le_bytes());
        assert_eq!(bytes, expected);
        // Empty: length 0 and the terminator only; NULL: PLP_NULL only.
        let bytes = row(&columns, &[Value::Text(String::new()), Value::Null]);
        let mut expected = vec![0xD1];
        expected.extend([0; 12]);
        expected.extend([0xFF; 8]);
        assert_eq!(bytes, expected);
        // No 4000-character limit.
        let long = "x".repeat(100_000);
        let bytes = row(&[ColumnType::NVarCharMax], &[Value::Text(long)]);
        assert_eq!(bytes.len(), 1 + 8 + 4 + 200_000 + 4);
    }

    #[test]
    fn datetime2_date_and_guid_per_spec() {
        let mut expected = vec![0x81, 3, 0];
        for (type_info, name) in [
            (&[0x2A, 7][..], b'a'),
            (&[0x28][..], b'b'),
            (&[0x24, 16][..], b'c'),
        ] {
            expected.extend(COLUMN_PREFIX);
            expected.extend_from_slice(type_info);
            expected.extend([1, name, 0]);
        }
        let columns = [ColumnType::DateTime2, ColumnType::Date, ColumnType::Guid];
        assert_eq!(
            metadata(&[("a", columns[0]), ("b", columns[1]), ("c", columns[2])]),
            expected
        );
        // 1970-01-01 is day 719162 since 0001-01-01, 1900-01-01 day 693595.
        let bytes = row(
            &columns,
            &[
                Value::Text("1970-01-01T00:00:01.5".into()),
                Value::Text("1900-01-01".into()),
                Value::Text("{6F9619FF-8B86-D011-B42D-00C04FC964FF}".into()),
            ],
        );
        let mut expected = vec![0xD1, 8];
        expected.extend(&15_000_000u64.to_le_bytes()[..5]);
        expected.extend(&719_162u32.to_le_bytes()[..3]);
        expected.push(3);
        expected.extend(&693_595u32.to_le_bytes()[..3]);
        expected.push(16);
        expected.extend([
            0xFF, 0x19, 0x96, 0x6F, 0x86, 0x8B, 0x11, 0xD0, 0xB4, 0x2D, 0x00, 0xC0, 0x4F, 0xC9,
            0x64, 0xFF,
        ]);
        assert_eq!(bytes, expected);
        assert_eq!(
            datetime2_parts("9999-12-31 23:59:59.9999999"),
            Some((3_652_058, 863_999_999_999))
        );
        assert_eq!(datetime2_parts("0001-01-01"), Some((0, 0)));
        // Impossible dates, a time on a date column, bad GUIDs: NULL.
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "10000-01-01",
            "2024-01-01 24:00:00",
        ] {
            assert_eq!(datetime2_parts(bad), None, "{bad}");
        }
        assert_eq!(
            row(
                &columns,
                &[
                    Value::Text("2024-01-01 12:00:00.12345678".into()),
                    Value::Text("2024-01-01 12:00".into()),
                    Value::Text("6F9619FF-8B86-D011-B42D".into()),
                ]
            ),
            vec![0xD1, 0, 0, 0]
        );
        let raw: Vec<u8> = (0..16).collect();
        assert_eq!(
            row(&[ColumnType::Guid], &[Value::Binary(raw.clone())])[2..],
            raw[..]
        );
    }

    #[test]
    fn returnstatus_returnvalue_sspi_and_the_three_done_tokens() {
        let mut w = TokenWriter::new();
        w.return_status(-6);
        w.return_value(1, "@out", ColumnType::Int, &Value::Int(42));
        w.return_value(2, "@s", ColumnType::NVarChar(4000), &Value::Null);
        w.sspi(b"NTLMSSP\0");
        w.done(DoneKind::InProc, done::COUNT, 0xC1, 1);
        w.done(DoneKind::Proc, 0, 0xE0, 0);
        w.done(DoneKind::Done, done::ERROR | done::SRVERROR, 0, 0);
        let mut expected = vec![0x79, 0xFA, 0xFF, 0xFF, 0xFF];
        // RETURNVALUE: ordinal, B_VARCHAR name, status 1, user type, flags, TYPE_INFO, value.
        expected.extend([0xAC, 1, 0, 4, b'@', 0, b'o', 0, b'u', 0, b't', 0, 0x01]);
        expected.extend([0, 0, 0, 0, 0x01, 0x00, 0x26, 4, 4, 42, 0, 0, 0]);
        expected.extend([0xAC, 2, 0, 2, b'@', 0, b's', 0, 0x01]);
        expected.extend([0, 0, 0, 0, 0x01, 0x00, 0xE7, 0x40, 0x1F]);
        expected.extend(COLLATION);
        expected.extend([0xFF, 0xFF]);
        expected.extend([0xED, 8, 0]);
        expected.extend(b"NTLMSSP\0");
        expected.extend([0xFF, 0x10, 0, 0xC1, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
        expected.extend([0xFE, 0, 0, 0xE0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        expected.extend([0xFD, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(w.into_bytes(), expected);
    }
}
