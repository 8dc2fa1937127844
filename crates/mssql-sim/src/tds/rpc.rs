//! RPC requests (MS-TDS 2.2.6.6, packet type 0x03): how clients call procedures, above all
//! `sp_executesql`, which every driver uses for parameterised queries (tiberius's
//! `client.query("… @P1", &[&x])`).
//!
//! [`decode`] reads a whole RPC message: ALL_HEADERS, then one or more calls separated by a
//! batch flag, each a procedure (by name or by well-known ProcID), option flags and
//! parameters (name, status flags, TYPE_INFO, value). Parameter values become the crate's
//! [`Value`], in the form the engine binds into SQLite (see [`RpcParam::value`]), and the
//! declared type is kept in [`ParamType`] so that OUTPUT parameters can be echoed back with
//! RETURNVALUE. Bounds-checked throughout: any input gives a value or a [`ProtocolError`],
//! never a panic.

use super::tokens::{ColumnType, Value, civil_from_days, days_from_civil};
use super::{ProtocolError, utf16le};

/// The ProcID of `sp_executesql`, the one nearly every parameterised query uses.
pub const SP_EXECUTESQL: u16 = 10;

/// The well-known procedures a client may call by ProcID instead of by name (the table of
/// MS-TDS 2.2.6.6), so that the engine sees one name whichever way it was called.
pub fn proc_name(id: u16) -> Option<&'static str> {
    Some(match id {
        1 => "sp_cursor",
        2 => "sp_cursoropen",
        3 => "sp_cursorprepare",
        4 => "sp_cursorexecute",
        5 => "sp_cursorprepexec",
        6 => "sp_cursorunprepare",
        7 => "sp_cursorfetch",
        8 => "sp_cursoroption",
        9 => "sp_cursorclose",
        10 => "sp_executesql",
        11 => "sp_prepare",
        12 => "sp_execute",
        13 => "sp_prepexec",
        14 => "sp_prepexecrpc",
        15 => "sp_unprepare",
        _ => return None,
    })
}

/// OptionFlags bits of a call, which the simulator reports but does not act on.
pub mod options {
    /// WITH RECOMPILE.
    pub const WITH_RECOMP: u16 = 0x0001;
    /// The client needs no COLMETADATA (it kept it from an earlier call).
    pub const NO_METADATA: u16 = 0x0002;
    /// The client reuses metadata from an earlier call.
    pub const REUSE_METADATA: u16 = 0x0004;
}

/// What tiberius 0.13 (TDS 7.3) sends for `client.query("SELECT @P1", &[&1i32])`, captured
/// from the wire: a golden vector for the unit tests and a seed for fuzzing.
#[doc(hidden)]
pub const TIBERIUS_SELECT_P1: &[u8] = &[
    // ALL_HEADERS: total 22, one header of 18, type 2 (transaction descriptor 0, 1 request).
    0x16, 0x00, 0x00, 0x00, 0x12, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    // ProcIDSwitch, ProcID 10 (sp_executesql), OptionFlags 0.
    0xFF, 0xFF, 0x0A, 0x00, 0x00, 0x00,
    // "stmt" (no @), status 0, NVARCHAR max 8000 bytes, raw collation 0, 20 bytes.
    0x04, 0x73, 0x00, 0x74, 0x00, 0x6D, 0x00, 0x74, 0x00, 0x00, 0xE7, 0x40, 0x1F, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x14, 0x00, // N"SELECT @P1".
    0x53, 0x00, 0x45, 0x00, 0x4C, 0x00, 0x45, 0x00, 0x43, 0x00, 0x54, 0x00, 0x20, 0x00, 0x40, 0x00,
    0x50, 0x00, 0x31, 0x00,
    // "params", status 0, NVARCHAR max 8000 bytes, raw collation 0, 14 bytes.
    0x06, 0x70, 0x00, 0x61, 0x00, 0x72, 0x00, 0x61, 0x00, 0x6D, 0x00, 0x73, 0x00, 0x00, 0xE7, 0x40,
    0x1F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0E, 0x00, // N"@P1 int".
    0x40, 0x00, 0x50, 0x00, 0x31, 0x00, 0x20, 0x00, 0x69, 0x00, 0x6E, 0x00, 0x74, 0x00,
    // "@P1", status 0, INTN 4, length 4, 1.
    0x03, 0x40, 0x00, 0x50, 0x00, 0x31, 0x00, 0x00, 0x26, 0x04, 0x04, 0x01, 0x00, 0x00, 0x00,
];

/// Separates calls in one message from TDS 7.2 on.
const BATCH_FLAG: u8 = 0xFF;
/// Separated calls before TDS 7.2 (ambiguous with a 128-character parameter name, see
/// [`decode`]).
const BATCH_FLAG_OLD: u8 = 0x80;
/// Separates calls and marks the next one as not to be executed (TDS 7.2+).
const NO_EXEC_FLAG: u8 = 0xFE;

/// Status flag: the parameter is passed by reference (an OUTPUT parameter).
const BY_REF: u8 = 0x01;
/// Status flag: the parameter takes its default value.
const DEFAULT_VALUE: u8 = 0x02;
/// Status flag: the value is encrypted (Always Encrypted), which the simulator refuses.
const ENCRYPTED: u8 = 0x08;

/// PLP total length meaning NULL.
const PLP_NULL: u64 = u64::MAX;
/// PLP total length meaning "not known in advance; read the chunks".
const PLP_UNKNOWN: u64 = u64::MAX - 1;

/// One procedure call.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcRequest {
    /// The procedure: the name as the client sent it, or the well-known name of its ProcID
    /// (`sp_executesql` for 10).
    pub procedure: String,
    /// The ProcID, when the client called by ID.
    pub proc_id: Option<u16>,
    /// OptionFlags (see [`options`]).
    pub options: u16,
    /// Whether a NoExecFlag (0xFE) preceded this call: the client asks that it not run.
    pub no_exec: bool,
    /// The parameters in order.
    pub params: Vec<RpcParam>,
}

/// One parameter of a call.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcParam {
    /// The name with its `@`, or empty for a positional parameter.
    pub name: String,
    /// The value, in the form the engine binds into SQLite: integers and `bit` as
    /// [`Value::Int`]/[`Value::Bit`], `real`/`float` as [`Value::Float`], character types and
    /// `xml` as [`Value::Text`], binary types as [`Value::Binary`]. Types SQLite lacks become
    /// text that sorts and compares correctly: dates and times in ISO form (`datetime` as
    /// `YYYY-MM-DD hh:mm:ss.fff`, `datetime2(n)` with n fraction digits, `datetimeoffset`
    /// with ` +hh:mm`), `uniqueidentifier` as upper-case `8-4-4-4-12`. `decimal`, `numeric`
    /// and `money` become what SQLite's NUMERIC affinity would store: an integer when the
    /// scale is 0 and it fits in 64 bits, else a float when it has at most 15 significant
    /// digits (exact), else its exact digits as text.
    pub value: Value,
    /// Whether it is an OUTPUT parameter (fByRefValue), to be returned with RETURNVALUE.
    pub output: bool,
    /// Whether the client asked for the parameter's default (fDefaultValue).
    pub default: bool,
    /// The declared type, from TYPE_INFO.
    pub ty: ParamType,
}

/// The declared type of a parameter, as its TYPE_INFO said: what the engine needs to know
/// beyond the value (for RETURNVALUE, and to tell `nvarchar(max)` from `nvarchar(50)`).
/// Lengths are in bytes as on the wire; `None` means `(max)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// NULLTYPE: an untyped NULL.
    Null,
    /// `tinyint`.
    TinyInt,
    /// `smallint`.
    SmallInt,
    /// `int`.
    Int,
    /// `bigint`.
    BigInt,
    /// `bit`.
    Bit,
    /// `real` (4-byte float).
    Real,
    /// `float` (8-byte float).
    Float,
    /// `decimal`/`numeric` with precision and scale.
    Decimal {
        /// Total digits.
        precision: u8,
        /// Digits after the point.
        scale: u8,
    },
    /// `smallmoney`.
    SmallMoney,
    /// `money`.
    Money,
    /// `smalldatetime`.
    SmallDateTime,
    /// `datetime`.
    DateTime,
    /// `date`.
    Date,
    /// `time(scale)`.
    Time {
        /// Fraction digits, 0–7.
        scale: u8,
    },
    /// `datetime2(scale)`.
    DateTime2 {
        /// Fraction digits, 0–7.
        scale: u8,
    },
    /// `datetimeoffset(scale)`.
    DateTimeOffset {
        /// Fraction digits, 0–7.
        scale: u8,
    },
    /// `uniqueidentifier`.
    Guid,
    /// `char(n)` (bytes).
    Char {
        /// Declared length in bytes.
        len: u16,
    },
    /// `varchar(n)` or `varchar(max)`.
    VarChar {
        /// Declared length in bytes, `None` for max.
        len: Option<u16>,
    },
    /// `nchar(n)` (bytes, two per character).
    NChar {
        /// Declared length in bytes.
        len: u16,
    },
    /// `nvarchar(n)` or `nvarchar(max)`.
    NVarChar {
        /// Declared length in bytes, `None` for max.
        len: Option<u16>,
    },
    /// `binary(n)`.
    Binary {
        /// Declared length in bytes.
        len: u16,
    },
    /// `varbinary(n)` or `varbinary(max)`.
    VarBinary {
        /// Declared length in bytes, `None` for max.
        len: Option<u16>,
    },
    /// `xml`.
    Xml,
    /// `text` (TEXTTYPE 0x23).
    Text,
    /// `ntext` (NTEXTTYPE 0x63).
    NText,
    /// `image` (IMAGETYPE 0x22).
    Image,
    /// `sql_variant` (SSVARIANTTYPE 0x62); the value is the base type's.
    Variant,
}

impl ParamType {
    /// The column type to send this parameter back as (RETURNVALUE of an OUTPUT parameter):
    /// the same type where the simulator can send it, else the nearest one (`nvarchar` for
    /// `time` and `datetimeoffset`, `nvarchar(max)` for `xml`).
    pub fn column_type(self) -> ColumnType {
        match self {
            ParamType::TinyInt => ColumnType::TinyInt,
            ParamType::SmallInt => ColumnType::SmallInt,
            ParamType::Int => ColumnType::Int,
            ParamType::BigInt => ColumnType::BigInt,
            ParamType::Bit => ColumnType::Bit,
            ParamType::Real | ParamType::Float => ColumnType::Float,
            ParamType::Decimal { precision, scale } => ColumnType::Decimal { precision, scale },
            ParamType::SmallMoney => ColumnType::Decimal {
                precision: 10,
                scale: 4,
            },
            ParamType::Money => ColumnType::Decimal {
                precision: 19,
                scale: 4,
            },
            ParamType::SmallDateTime | ParamType::DateTime => ColumnType::DateTime,
            ParamType::Date => ColumnType::Date,
            ParamType::DateTime2 { .. } => ColumnType::DateTime2,
            ParamType::Guid => ColumnType::Guid,
            ParamType::VarChar { len: None }
            | ParamType::NVarChar { len: None }
            | ParamType::Xml
            | ParamType::Text
            | ParamType::NText => ColumnType::NVarCharMax,
            ParamType::VarBinary { len: None } | ParamType::Image => ColumnType::VarBinaryMax,
            ParamType::Variant => ColumnType::Variant,
            ParamType::Binary { .. } | ParamType::VarBinary { .. } => ColumnType::VarBinary(8000),
            ParamType::Null
            | ParamType::Time { .. }
            | ParamType::DateTimeOffset { .. }
            | ParamType::Char { .. }
            | ParamType::VarChar { .. }
            | ParamType::NChar { .. }
            | ParamType::NVarChar { .. } => ColumnType::NVarChar(4000),
        }
    }

    /// The type as T-SQL spells it (`nvarchar(max)`, `decimal(10,2)`), for messages and for
    /// building a DECLARE.
    pub fn sql_name(self) -> String {
        let sized = |name: &str, len: Option<u16>, per_char: u16| match len {
            None => format!("{name}(max)"),
            Some(n) => format!("{name}({})", (n / per_char).max(1)),
        };
        match self {
            ParamType::Null => "sql_variant".into(),
            ParamType::TinyInt => "tinyint".into(),
            ParamType::SmallInt => "smallint".into(),
            ParamType::Int => "int".into(),
            ParamType::BigInt => "bigint".into(),
            ParamType::Bit => "bit".into(),
            ParamType::Real => "real".into(),
            ParamType::Float => "float".into(),
            ParamType::Decimal { precision, scale } => format!("decimal({precision},{scale})"),
            ParamType::SmallMoney => "smallmoney".into(),
            ParamType::Money => "money".into(),
            ParamType::SmallDateTime => "smalldatetime".into(),
            ParamType::DateTime => "datetime".into(),
            ParamType::Date => "date".into(),
            ParamType::Time { scale } => format!("time({scale})"),
            ParamType::DateTime2 { scale } => format!("datetime2({scale})"),
            ParamType::DateTimeOffset { scale } => format!("datetimeoffset({scale})"),
            ParamType::Guid => "uniqueidentifier".into(),
            ParamType::Char { len } => sized("char", Some(len), 1),
            ParamType::VarChar { len } => sized("varchar", len, 1),
            ParamType::NChar { len } => sized("nchar", Some(len), 2),
            ParamType::NVarChar { len } => sized("nvarchar", len, 2),
            ParamType::Binary { len } => sized("binary", Some(len), 1),
            ParamType::VarBinary { len } => sized("varbinary", len, 1),
            ParamType::Xml => "xml".into(),
            ParamType::Text => "text".into(),
            ParamType::NText => "ntext".into(),
            ParamType::Image => "image".into(),
            ParamType::Variant => "sql_variant".into(),
        }
    }
}

/// A cursor over the message that turns every overrun into [`ProtocolError::Truncated`].
struct Reader<'a> {
    data: &'a [u8],
    /// Character types carry a COLLATION (TDS 7.1 and later; MS-TDS 2.2.5.6 TYPE_INFO).
    collations: bool,
    at: usize,
}

impl<'a> Reader<'a> {
    fn done(&self) -> bool {
        self.at >= self.data.len()
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.data.get(self.at + ahead).copied()
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ProtocolError> {
        let end = self.at.checked_add(n).ok_or(ProtocolError::Truncated {
            what,
            needed: usize::MAX,
            had: self.data.len(),
        })?;
        let bytes = self
            .data
            .get(self.at..end)
            .ok_or(ProtocolError::Truncated {
                what,
                needed: end,
                had: self.data.len(),
            })?;
        self.at = end;
        Ok(bytes)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, ProtocolError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, ProtocolError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, ProtocolError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, ProtocolError> {
        let mut b = [0; 8];
        b.copy_from_slice(self.take(8, what)?);
        Ok(u64::from_le_bytes(b))
    }

    /// B_VARCHAR: a 1-byte character count, then UTF-16LE.
    fn b_varchar(&mut self, what: &'static str) -> Result<String, ProtocolError> {
        let chars = usize::from(self.u8(what)?);
        Ok(utf16le(self.take(chars * 2, what)?))
    }

    /// US_VARCHAR: a 2-byte character count, then UTF-16LE.
    fn us_varchar(&mut self, what: &'static str) -> Result<String, ProtocolError> {
        let chars = usize::from(self.u16(what)?);
        Ok(utf16le(self.take(chars * 2, what)?))
    }
}

fn invalid(what: &'static str, detail: impl Into<String>) -> ProtocolError {
    ProtocolError::Invalid {
        what,
        detail: detail.into(),
    }
}

/// The length of the ALL_HEADERS block (MS-TDS 2.2.5.3) that starts SQL batch and RPC
/// messages from TDS 7.2 on, after checking that its headers add up; the request proper
/// starts at this offset.
pub fn all_headers_len(payload: &[u8]) -> Result<usize, ProtocolError> {
    const WHAT: &str = "ALL_HEADERS";
    let total = super::u32_le(payload, 0, WHAT)? as usize;
    if total < 4 || total > payload.len() {
        return Err(invalid(WHAT, format!("total length {total}")));
    }
    let mut at = 4;
    while at < total {
        let len = super::u32_le(payload, at, WHAT)? as usize;
        if len < 6 || len > total - at {
            return Err(invalid(WHAT, format!("header length {len} at offset {at}")));
        }
        at += len;
    }
    Ok(total)
}

/// The TransactionDescriptor of ALL_HEADERS' Transaction Descriptor header (type 2, MS-TDS
/// 2.2.5.3.2), if the block (already checked by [`all_headers_len`]) has one.
pub fn transaction_descriptor(payload: &[u8]) -> Option<u64> {
    let total = super::u32_le(payload, 0, "ALL_HEADERS").ok()? as usize;
    let mut at = 4;
    while at + 6 <= total {
        let len = super::u32_le(payload, at, "ALL_HEADERS").ok()? as usize;
        let kind = super::u16_le(payload, at + 4, "ALL_HEADERS").ok()?;
        if kind == 2 && len >= 14 {
            let b = payload.get(at + 6..at + 14)?;
            return Some(u64::from_le_bytes(b.try_into().ok()?));
        }
        at += len.max(6);
    }
    None
}

/// Decodes an RPC message of a TDS 7.2+ session (the payload of packet type 0x03, ALL_HEADERS
/// included) into its calls: [`decode_for`] with headers.
pub fn decode(payload: &[u8]) -> Result<Vec<RpcRequest>, ProtocolError> {
    decode_for(payload, super::tokens::tds_version::V7_4)
}

/// Decodes an RPC message into its calls; `headers`: the session is TDS 7.2 or later, so the
/// message starts with ALL_HEADERS (MS-TDS 2.2.6.6 RPC Request: "ALL_HEADERS ... TDS 7.2 and
/// later"; a TDS 7.1 client sends the first call right away). Calls are separated by BatchFlag 0xFF (TDS 7.2+) or NoExecFlag 0xFE, and a flag may
/// end the message. The pre-7.2 BatchFlag 0x80 is accepted too; since a 128-character
/// parameter name also starts with 0x80, a 0x80 followed by `@` is read as a name.
pub fn decode_for(payload: &[u8], tds: u32) -> Result<Vec<RpcRequest>, ProtocolError> {
    use super::tokens::tds_version;
    let headers = tds >= tds_version::V7_2;
    let mut r = Reader {
        collations: tds >= tds_version::V7_1_RTM,
        data: payload,
        at: if headers {
            all_headers_len(payload)?
        } else {
            0
        },
    };
    if r.done() {
        return Err(ProtocolError::Truncated {
            what: "RPC request",
            needed: r.at + 2,
            had: payload.len(),
        });
    }
    let mut calls = Vec::new();
    let mut no_exec = false;
    loop {
        calls.push(call(&mut r, no_exec)?);
        if r.done() {
            return Ok(calls);
        }
        // `call` stops only at the end or at a separator.
        no_exec = r.u8("RPC batch flag")? == NO_EXEC_FLAG;
        if r.done() {
            return Ok(calls);
        }
    }
}

/// Whether the reader is at a batch separator rather than at a parameter.
fn at_separator(r: &Reader) -> bool {
    match r.peek(0) {
        Some(BATCH_FLAG | NO_EXEC_FLAG) => true,
        Some(BATCH_FLAG_OLD) => !(r.peek(1) == Some(b'@') && r.peek(2) == Some(0)),
        _ => false,
    }
}

/// One RPCReqBatch: NameLenProcID, OptionFlags, parameters up to a separator or the end.
fn call(r: &mut Reader, no_exec: bool) -> Result<RpcRequest, ProtocolError> {
    let name_len = r.u16("RPC procedure name")?;
    let (procedure, proc_id) = if name_len == 0xFFFF {
        let id = r.u16("RPC ProcID")?;
        let name = proc_name(id).ok_or_else(|| invalid("RPC ProcID", id.to_string()))?;
        (name.to_owned(), Some(id))
    } else {
        let bytes = r.take(usize::from(name_len) * 2, "RPC procedure name")?;
        (utf16le(bytes), None)
    };
    if procedure.is_empty() {
        return Err(invalid("RPC procedure name", "empty"));
    }
    let options = r.u16("RPC option flags")?;
    let mut params = Vec::new();
    while !r.done() && !at_separator(r) {
        params.push(param(r)?);
    }
    Ok(RpcRequest {
        procedure,
        proc_id,
        options,
        no_exec,
        params,
    })
}

fn param(r: &mut Reader) -> Result<RpcParam, ProtocolError> {
    let name = r.b_varchar("RPC parameter name")?;
    let status = r.u8("RPC parameter status")?;
    if status & ENCRYPTED != 0 {
        return Err(invalid(
            "RPC parameter",
            format!("{name} is encrypted (Always Encrypted is not supported)"),
        ));
    }
    let info = type_info(r)?;
    let value = value(r, &info)?;
    Ok(RpcParam {
        name,
        value,
        output: status & BY_REF != 0,
        default: status & DEFAULT_VALUE != 0,
        ty: info.ty,
    })
}

/// How a value of a type is laid out on the wire.
#[derive(Debug, Clone, Copy)]
enum Layout {
    /// No length prefix: exactly this many bytes.
    Fixed(usize),
    /// A 1-byte length (0 = NULL).
    ByteLen,
    /// A 2-byte length (0xFFFF = NULL).
    UShortLen,
    /// Partially length-prefixed chunks.
    Plp,
    /// A 4-byte length (0xFFFFFFFF = NULL): text, ntext and image.
    LongLen,
    /// sql_variant: a 4-byte length (0 = NULL), then the base type's TYPE_INFO and data.
    Variant,
}

/// Character data encodings.
#[derive(Debug, Clone, Copy)]
enum Charset {
    Utf16,
    Utf8,
    Cp1252,
}

struct TypeInfo {
    ty: ParamType,
    layout: Layout,
    charset: Option<Charset>,
}

/// The collation's fUTF8 bit (bit 26 of LCID + flags + version): UTF-8 data; else the
/// simulator reads single-byte data as code page 1252 (Latin1_General, the default).
fn charset_of(collation: &[u8]) -> Charset {
    if collation.get(3).is_some_and(|b| b & 0x04 != 0) {
        Charset::Utf8
    } else {
        Charset::Cp1252
    }
}

/// TYPE_INFO (MS-TDS 2.2.5.6) of a parameter.
fn type_info(r: &mut Reader) -> Result<TypeInfo, ProtocolError> {
    const WHAT: &str = "RPC parameter TYPE_INFO";
    let code = r.u8(WHAT)?;
    let fixed = |ty, n| TypeInfo {
        ty,
        layout: Layout::Fixed(n),
        charset: None,
    };
    let by_len = |ty| TypeInfo {
        ty,
        layout: Layout::ByteLen,
        charset: None,
    };
    Ok(match code {
        0x1F => fixed(ParamType::Null, 0),
        0x30 => fixed(ParamType::TinyInt, 1),
        0x32 => fixed(ParamType::Bit, 1),
        0x34 => fixed(ParamType::SmallInt, 2),
        0x38 => fixed(ParamType::Int, 4),
        0x7F => fixed(ParamType::BigInt, 8),
        0x3B => fixed(ParamType::Real, 4),
        0x3E => fixed(ParamType::Float, 8),
        0x3A => fixed(ParamType::SmallDateTime, 4),
        0x3D => fixed(ParamType::DateTime, 8),
        0x7A => fixed(ParamType::SmallMoney, 4),
        0x3C => fixed(ParamType::Money, 8),
        0x26 => by_len(match r.u8(WHAT)? {
            1 => ParamType::TinyInt,
            2 => ParamType::SmallInt,
            4 => ParamType::Int,
            8 => ParamType::BigInt,
            n => return Err(invalid(WHAT, format!("INTN of length {n}"))),
        }),
        0x68 => match r.u8(WHAT)? {
            1 => by_len(ParamType::Bit),
            n => return Err(invalid(WHAT, format!("BITN of length {n}"))),
        },
        0x6D => by_len(match r.u8(WHAT)? {
            4 => ParamType::Real,
            8 => ParamType::Float,
            n => return Err(invalid(WHAT, format!("FLTN of length {n}"))),
        }),
        0x6E => by_len(match r.u8(WHAT)? {
            4 => ParamType::SmallMoney,
            8 => ParamType::Money,
            n => return Err(invalid(WHAT, format!("MONEYN of length {n}"))),
        }),
        0x6F => by_len(match r.u8(WHAT)? {
            4 => ParamType::SmallDateTime,
            8 => ParamType::DateTime,
            n => return Err(invalid(WHAT, format!("DATETIMN of length {n}"))),
        }),
        0x24 => match r.u8(WHAT)? {
            16 => by_len(ParamType::Guid),
            n => return Err(invalid(WHAT, format!("GUID of length {n}"))),
        },
        // DECIMALN, NUMERICN and their legacy fixed forms: length, precision, scale.
        0x6A | 0x6C | 0x37 | 0x3F => {
            let _max_len = r.u8(WHAT)?;
            let precision = r.u8(WHAT)?;
            let scale = r.u8(WHAT)?;
            if !(1..=38).contains(&precision) || scale > precision {
                return Err(invalid(
                    WHAT,
                    format!("decimal({precision},{scale}) is not a valid type"),
                ));
            }
            by_len(ParamType::Decimal { precision, scale })
        }
        0x28 => by_len(ParamType::Date),
        0x29..=0x2B => {
            let scale = r.u8(WHAT)?;
            if scale > 7 {
                return Err(invalid(WHAT, format!("time scale {scale}")));
            }
            by_len(match code {
                0x29 => ParamType::Time { scale },
                0x2A => ParamType::DateTime2 { scale },
                _ => ParamType::DateTimeOffset { scale },
            })
        }
        0xA7 | 0xAF | 0xE7 | 0xEF => {
            let max = r.u16(WHAT)?;
            let collation = if r.collations { r.take(5, WHAT)? } else { &[] };
            let unicode = matches!(code, 0xE7 | 0xEF);
            let plp = max == 0xFFFF;
            let ty = match (code, plp) {
                (0xA7, _) => ParamType::VarChar {
                    len: (!plp).then_some(max),
                },
                (0xE7, _) => ParamType::NVarChar {
                    len: (!plp).then_some(max),
                },
                (_, true) => return Err(invalid(WHAT, "char/nchar cannot be (max)")),
                (0xAF, false) => ParamType::Char { len: max },
                _ => ParamType::NChar { len: max },
            };
            TypeInfo {
                ty,
                layout: if plp { Layout::Plp } else { Layout::UShortLen },
                charset: Some(if unicode {
                    Charset::Utf16
                } else {
                    charset_of(collation)
                }),
            }
        }
        0xA5 | 0xAD => {
            let max = r.u16(WHAT)?;
            let plp = max == 0xFFFF;
            let ty = match (code, plp) {
                (0xA5, _) => ParamType::VarBinary {
                    len: (!plp).then_some(max),
                },
                (_, true) => return Err(invalid(WHAT, "binary cannot be (max)")),
                _ => ParamType::Binary { len: max },
            };
            TypeInfo {
                ty,
                layout: if plp { Layout::Plp } else { Layout::UShortLen },
                charset: None,
            }
        }
        // TEXTTYPE, NTEXTTYPE: LONGLEN max, collation; IMAGETYPE: LONGLEN max (MS-TDS 2.2.5.6
        // TYPE_INFO; an RPC parameter has no TableName, which only COLMETADATA carries).
        0x23 | 0x63 => {
            let _max = r.u32(WHAT)?;
            let collation = if r.collations { r.take(5, WHAT)? } else { &[] };
            TypeInfo {
                ty: if code == 0x23 {
                    ParamType::Text
                } else {
                    ParamType::NText
                },
                layout: Layout::LongLen,
                charset: Some(if code == 0x63 {
                    Charset::Utf16
                } else {
                    charset_of(collation)
                }),
            }
        }
        0x22 => {
            let _max = r.u32(WHAT)?;
            TypeInfo {
                ty: ParamType::Image,
                layout: Layout::LongLen,
                charset: None,
            }
        }
        // SSVARIANTTYPE: LONGLEN max length (MS-TDS 2.2.5.6; the value, 2.2.5.5.4).
        0x62 => {
            let _max = r.u32(WHAT)?;
            TypeInfo {
                ty: ParamType::Variant,
                layout: Layout::Variant,
                charset: None,
            }
        }
        0xF1 => {
            if r.u8(WHAT)? == 1 {
                r.b_varchar(WHAT)?; // database
                r.b_varchar(WHAT)?; // owning schema
                r.us_varchar(WHAT)?; // XML schema collection
            }
            TypeInfo {
                ty: ParamType::Xml,
                layout: Layout::Plp,
                charset: Some(Charset::Utf16),
            }
        }
        other => {
            let name = match other {
                0xF0 => "CLR UDT",
                0xF3 => "table-valued parameter",
                0x25 | 0x27 | 0x2D | 0x2F => "pre-7.2 short string or binary",
                _ => "unknown type",
            };
            return Err(invalid(
                WHAT,
                format!("{name} (0x{other:02X}) is not supported as a parameter"),
            ));
        }
    })
}

/// A sql_variant value (MS-TDS 2.2.5.5.4): BaseType, PropBytes, the type's properties, then
/// the data, whose length is what remains. Decoded as a parameter of the base type would be.
fn variant(bytes: &[u8], collations: bool) -> Result<Value, ProtocolError> {
    const WHAT: &str = "RPC sql_variant value";
    let (&base, rest) = bytes.split_first().ok_or_else(|| invalid(WHAT, "empty"))?;
    let (&props, rest) = rest
        .split_first()
        .ok_or_else(|| invalid(WHAT, "no PropBytes"))?;
    let props = usize::from(props);
    if props > rest.len() {
        return Err(invalid(WHAT, format!("{props} property bytes")));
    }
    let (properties, data) = rest.split_at(props);
    // The base type's TYPE_INFO as a parameter would carry it: a length where the type has
    // one, then the properties (precision and scale, scale, max length, collation + max
    // length), so that `type_info` reads it as it reads any parameter's.
    let mut info = vec![base];
    let expected = match base {
        0x30 | 0x32 | 0x34 | 0x38 | 0x7F | 0x3B | 0x3E | 0x3A | 0x3D | 0x7A | 0x3C | 0x28 => 0,
        0x24 => {
            info.push(16);
            0
        }
        0x6A | 0x6C => {
            info.push(17);
            2
        }
        0x29..=0x2B => 1,
        0xA5 | 0xAD => 2,
        0xA7 | 0xAF | 0xE7 | 0xEF => 7,
        other => {
            return Err(invalid(
                WHAT,
                format!("base type 0x{other:02X} is not allowed in a sql_variant"),
            ));
        }
    };
    if props != expected {
        return Err(invalid(
            WHAT,
            format!("{props} property bytes for base type 0x{base:02X}"),
        ));
    }
    match base {
        // Character types: collation (5) then max length (2); TYPE_INFO has them reversed.
        0xA7 | 0xAF | 0xE7 | 0xEF => {
            info.extend_from_slice(&properties[5..7]);
            info.extend_from_slice(&properties[..5]);
        }
        _ => info.extend_from_slice(properties),
    }
    let mut r = Reader {
        data: &info,
        at: 0,
        collations: true, // sql_variant came with TDS 7.1, and with it collations
    };
    let mut ti = type_info(&mut r)?;
    if data.is_empty() {
        return Ok(match (ti.charset, ti.ty) {
            (Some(_), _) => Value::Text(String::new()),
            (None, ParamType::VarBinary { .. } | ParamType::Binary { .. }) => {
                Value::Binary(Vec::new())
            }
            _ => return Err(invalid(WHAT, "no data")),
        });
    }
    ti.layout = Layout::Fixed(data.len());
    let mut r = Reader {
        data,
        at: 0,
        collations,
    };
    value(&mut r, &ti)
}

/// Reads a PLP value: None for PLP_NULL, else the chunks joined. Never trusts the declared
/// total for an allocation; it must match the chunks when it is not "unknown".
fn plp(r: &mut Reader) -> Result<Option<Vec<u8>>, ProtocolError> {
    const WHAT: &str = "RPC PLP value";
    let total = r.u64(WHAT)?;
    if total == PLP_NULL {
        return Ok(None);
    }
    let mut out = Vec::new();
    loop {
        let chunk = r.u32(WHAT)? as usize;
        if chunk == 0 {
            break;
        }
        out.extend_from_slice(r.take(chunk, WHAT)?);
    }
    if total != PLP_UNKNOWN && total != out.len() as u64 {
        return Err(invalid(
            WHAT,
            format!("declared {total} bytes, chunks hold {}", out.len()),
        ));
    }
    Ok(Some(out))
}

/// Windows-1252's characters for 0x80–0x9F (U+FFFD where undefined); other bytes are Latin-1.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{FFFD}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{FFFD}', 'Ž',
    '\u{FFFD}', '\u{FFFD}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{FFFD}',
    'ž', 'Ÿ',
];

fn decode_text(bytes: &[u8], charset: Charset) -> Result<String, ProtocolError> {
    Ok(match charset {
        Charset::Utf16 => {
            if !bytes.len().is_multiple_of(2) {
                return Err(invalid(
                    "RPC parameter value",
                    "odd byte count for UTF-16 text",
                ));
            }
            utf16le(bytes)
        }
        Charset::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        Charset::Cp1252 => bytes
            .iter()
            .map(|&b| match b {
                0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
                _ => char::from(b),
            })
            .collect(),
    })
}

/// A parameter's value, after its TYPE_INFO.
fn value(r: &mut Reader, info: &TypeInfo) -> Result<Value, ProtocolError> {
    const WHAT: &str = "RPC parameter value";
    let data: Option<Vec<u8>> = match info.layout {
        Layout::Fixed(0) => None,
        Layout::Fixed(n) => Some(r.take(n, WHAT)?.to_vec()),
        Layout::ByteLen => match usize::from(r.u8(WHAT)?) {
            0 => None,
            n => Some(r.take(n, WHAT)?.to_vec()),
        },
        Layout::UShortLen => match r.u16(WHAT)? {
            0xFFFF => None,
            n => Some(r.take(usize::from(n), WHAT)?.to_vec()),
        },
        Layout::Plp => plp(r)?,
        // TEXT, NTEXT and IMAGE values in an RPC: a LONGLEN length, 0xFFFFFFFF for NULL
        // (MS-TDS 2.2.5.2.2 "the data ... preceded by a 4-byte length"; no text pointer).
        Layout::LongLen => match r.u32(WHAT)? {
            u32::MAX => None,
            n => Some(r.take(n as usize, WHAT)?.to_vec()),
        },
        Layout::Variant => match r.u32(WHAT)? {
            0 => None,
            n => return variant(r.take(n as usize, WHAT)?, r.collations),
        },
    };
    let Some(data) = data else {
        return Ok(Value::Null);
    };
    if let Some(charset) = info.charset {
        let text = decode_text(&data, charset)?;
        // XML may start with a byte-order mark, which is not part of the document.
        return Ok(Value::Text(match text.strip_prefix('\u{FEFF}') {
            Some(rest) if info.ty == ParamType::Xml => rest.to_owned(),
            _ => text,
        }));
    }
    let wrong_length = || {
        invalid(
            WHAT,
            format!("{} bytes for a {}", data.len(), info.ty.sql_name()),
        )
    };
    let le = |n: usize| -> u64 {
        data.iter()
            .take(n)
            .rev()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
    };
    Ok(match info.ty {
        ParamType::Null => Value::Null,
        ParamType::TinyInt | ParamType::SmallInt | ParamType::Int | ParamType::BigInt => {
            match data.len() {
                1 => Value::Int(i64::from(data[0])),
                2 => Value::Int(i64::from(i16::from_le_bytes([data[0], data[1]]))),
                4 => Value::Int(i64::from(i32::from_le_bytes([
                    data[0], data[1], data[2], data[3],
                ]))),
                8 => Value::Int(le(8) as i64),
                _ => return Err(wrong_length()),
            }
        }
        ParamType::Bit => match data.len() {
            1 => Value::Bit(data[0] != 0),
            _ => return Err(wrong_length()),
        },
        ParamType::Real | ParamType::Float => match data.len() {
            4 => Value::Float(f64::from(f32::from_bits(le(4) as u32))),
            8 => Value::Float(f64::from_bits(le(8))),
            _ => return Err(wrong_length()),
        },
        ParamType::SmallMoney | ParamType::Money => match data.len() {
            4 => {
                let n = i64::from(le(4) as u32 as i32);
                decimal_value(n < 0, u128::from(n.unsigned_abs()), 4)
            }
            8 => {
                // The high 32 bits come first.
                let n =
                    ((le(4) << 32) | (u64::from_le_bytes(pad8(&data[4..])) & 0xFFFF_FFFF)) as i64;
                decimal_value(n < 0, u128::from(n.unsigned_abs()), 4)
            }
            _ => return Err(wrong_length()),
        },
        ParamType::Decimal { scale, .. } => {
            if !(2..=17).contains(&data.len()) {
                return Err(wrong_length());
            }
            let mut magnitude = [0u8; 16];
            magnitude[..data.len() - 1].copy_from_slice(&data[1..]);
            decimal_value(data[0] == 0, u128::from_le_bytes(magnitude), scale)
        }
        ParamType::SmallDateTime => match data.len() {
            4 => {
                let days = le(2) as i64;
                let minutes = u64::from(u16::from_le_bytes([data[2], data[3]]));
                if minutes >= 24 * 60 {
                    return Err(invalid(WHAT, "smalldatetime minutes beyond midnight"));
                }
                Value::Text(format!(
                    "{} {}.000",
                    date_text(days + days_from_civil(1900, 1, 1)),
                    clock(minutes * 60, 0, 0)
                ))
            }
            _ => return Err(wrong_length()),
        },
        ParamType::DateTime => match data.len() {
            8 => {
                let days = i64::from(le(4) as u32 as i32);
                let ticks = u64::from_le_bytes(pad8(&data[4..])) & 0xFFFF_FFFF;
                if ticks >= 24 * 3600 * 300 {
                    return Err(invalid(WHAT, "datetime ticks beyond midnight"));
                }
                // 1/300 s ticks to the nearest millisecond (…3, …7 as SQL Server shows them).
                let millis = (ticks * 10 + 1) / 3;
                Value::Text(format!(
                    "{} {}.{:03}",
                    date_text(days + days_from_civil(1900, 1, 1)),
                    clock(millis / 1000, 0, 0),
                    millis % 1000
                ))
            }
            _ => return Err(wrong_length()),
        },
        ParamType::Date => match data.len() {
            3 => Value::Text(date_text(le(3) as i64 + days_from_civil(1, 1, 1))),
            _ => return Err(wrong_length()),
        },
        ParamType::Time { scale } => {
            let n = time_len(scale);
            if data.len() != n {
                return Err(wrong_length());
            }
            Value::Text(time_text(le(n), scale)?)
        }
        ParamType::DateTime2 { scale } => {
            let n = time_len(scale);
            if data.len() != n + 3 {
                return Err(wrong_length());
            }
            let days = u64::from_le_bytes(pad8(&data[n..n + 3])) as i64;
            Value::Text(format!(
                "{} {}",
                date_text(days + days_from_civil(1, 1, 1)),
                time_text(le(n), scale)?
            ))
        }
        ParamType::DateTimeOffset { scale } => {
            let n = time_len(scale);
            if data.len() != n + 5 {
                return Err(wrong_length());
            }
            let units = le(n);
            time_text(units, scale)?; // range check
            let days = u64::from_le_bytes(pad8(&data[n..n + 3])) as i64;
            let offset = i64::from(i16::from_le_bytes([data[n + 3], data[n + 4]]));
            if offset.abs() > 14 * 60 {
                return Err(invalid(WHAT, format!("time zone offset {offset} minutes")));
            }
            // The wire holds UTC; show local time and the offset, as SQL Server does.
            let per_minute = 60 * 10i64.pow(u32::from(scale));
            let per_day = 24 * 60 * per_minute;
            let local =
                (days + days_from_civil(1, 1, 1)) * per_day + units as i64 + offset * per_minute;
            let sign = if offset < 0 { '-' } else { '+' };
            Value::Text(format!(
                "{} {} {sign}{:02}:{:02}",
                date_text(local.div_euclid(per_day)),
                time_text(local.rem_euclid(per_day) as u64, scale)?,
                offset.abs() / 60,
                offset.abs() % 60
            ))
        }
        ParamType::Guid => match <[u8; 16]>::try_from(data.as_slice()) {
            Ok(raw) => Value::Text(guid_text(&raw)),
            Err(_) => return Err(wrong_length()),
        },
        ParamType::Binary { .. } | ParamType::VarBinary { .. } | ParamType::Image => {
            Value::Binary(data)
        }
        ParamType::Char { .. }
        | ParamType::VarChar { .. }
        | ParamType::NChar { .. }
        | ParamType::NVarChar { .. }
        | ParamType::Text
        | ParamType::NText
        | ParamType::Xml => return Err(invalid(WHAT, "character type without a charset")),
        ParamType::Variant => return Err(invalid(WHAT, "a sql_variant inside a sql_variant")),
    })
}

/// Up to 8 little-endian bytes, zero-extended.
fn pad8(bytes: &[u8]) -> [u8; 8] {
    let mut out = [0; 8];
    let n = bytes.len().min(8);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

/// Bytes of a `time(scale)` value: 3 for scales 0–2, 4 for 3–4, 5 for 5–7.
fn time_len(scale: u8) -> usize {
    match scale {
        0..=2 => 3,
        3..=4 => 4,
        _ => 5,
    }
}

/// `hh:mm:ss` of a second of the day, then `.` and `digits` fraction digits of `fraction`.
fn clock(seconds: u64, fraction: u64, digits: u8) -> String {
    let hms = format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if digits == 0 {
        hms
    } else {
        format!("{hms}.{fraction:0width$}", width = usize::from(digits))
    }
}

/// A `time(scale)` count of 10^-scale seconds since midnight as text.
fn time_text(units: u64, scale: u8) -> Result<String, ProtocolError> {
    let per_second = 10u64.pow(u32::from(scale));
    if units >= 86_400 * per_second {
        return Err(invalid("RPC parameter value", "time beyond midnight"));
    }
    Ok(clock(units / per_second, units % per_second, scale))
}

/// Days since 1970-01-01 → `YYYY-MM-DD`.
fn date_text(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The 16 wire bytes of a uniqueidentifier → upper-case `8-4-4-4-12`, as CONVERT shows it
/// (the first three groups are little-endian on the wire).
fn guid_text(raw: &[u8; 16]) -> String {
    let hex = |bytes: &mut dyn Iterator<Item = &u8>| -> String {
        bytes.map(|b| format!("{b:02X}")).collect()
    };
    format!(
        "{}-{}-{}-{}-{}",
        hex(&mut raw[0..4].iter().rev()),
        hex(&mut raw[4..6].iter().rev()),
        hex(&mut raw[6..8].iter().rev()),
        hex(&mut raw[8..10].iter()),
        hex(&mut raw[10..16].iter())
    )
}

/// An exact decimal → the value SQLite's NUMERIC affinity would store (see
/// [`RpcParam::value`]).
fn decimal_value(negative: bool, magnitude: u128, scale: u8) -> Value {
    let digits = magnitude.to_string();
    if scale == 0
        && let Ok(n) = i64::try_from(magnitude)
    {
        return Value::Int(if negative { -n } else { n });
    }
    let scale = usize::from(scale);
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    let sign = if negative && magnitude != 0 { "-" } else { "" };
    let text = if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    };
    let significant = digits.trim_start_matches('0').len();
    match text.parse::<f64>() {
        Ok(f) if significant <= 15 => Value::Float(f),
        _ => Value::Text(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ALL_HEADERS with the transaction descriptor header, as clients send it.
    fn all_headers() -> Vec<u8> {
        let mut out = 22u32.to_le_bytes().to_vec();
        out.extend(18u32.to_le_bytes());
        out.extend(2u16.to_le_bytes());
        out.extend([0; 8]); // transaction descriptor
        out.extend(1u32.to_le_bytes()); // outstanding requests
        out
    }

    fn utf16(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn b_varchar(text: &str) -> Vec<u8> {
        let mut out = vec![text.encode_utf16().count() as u8];
        out.extend(utf16(text));
        out
    }

    const COLLATION: [u8; 5] = [0x09, 0x04, 0xD0, 0x00, 0x34];

    /// Parameter name and status, then TYPE_INFO and value as given.
    fn param_bytes(name: &str, status: u8, type_and_value: &[u8]) -> Vec<u8> {
        let mut out = b_varchar(name);
        out.push(status);
        out.extend_from_slice(type_and_value);
        out
    }

    fn nvarchar(max: u16, text: &str) -> Vec<u8> {
        let mut out = vec![0xE7];
        out.extend(max.to_le_bytes());
        out.extend(COLLATION);
        let data = utf16(text);
        out.extend((data.len() as u16).to_le_bytes());
        out.extend(data);
        out
    }

    /// A PLP value split into chunks of at most `chunk` bytes, with a known total.
    fn plp_bytes(data: &[u8], chunk: usize) -> Vec<u8> {
        let mut out = (data.len() as u64).to_le_bytes().to_vec();
        for part in data.chunks(chunk) {
            out.extend((part.len() as u32).to_le_bytes());
            out.extend_from_slice(part);
        }
        out.extend(0u32.to_le_bytes());
        out
    }

    /// sp_executesql by ProcID: @stmt nvarchar(max) in two PLP chunks, @params nvarchar,
    /// then an int, a NULL int, a varbinary(max), a guid and an OUTPUT int.
    fn sp_executesql() -> Vec<u8> {
        let stmt = "SELECT @a, @b, @c, @d; SET @o = 7";
        let mut out = all_headers();
        out.extend([0xFF, 0xFF, 10, 0, 0, 0]);
        let mut stmt_param = vec![0xE7, 0xFF, 0xFF];
        stmt_param.extend(COLLATION);
        stmt_param.extend(plp_bytes(&utf16(stmt), 10));
        out.extend(param_bytes("@stmt", 0, &stmt_param));
        out.extend(param_bytes(
            "@params",
            0,
            &nvarchar(
                8000,
                "@a int, @b int, @c varbinary(max), @d uniqueidentifier, @o int output",
            ),
        ));
        out.extend(param_bytes("@a", 0, &[0x26, 4, 4, 42, 0, 0, 0]));
        out.extend(param_bytes("@b", 0, &[0x26, 4, 0]));
        let mut binary = vec![0xA5, 0xFF, 0xFF];
        binary.extend(plp_bytes(&[0xDE, 0xAD, 0xBE, 0xEF], 3));
        out.extend(param_bytes("@c", 0, &binary));
        let mut guid = vec![0x24, 16, 16];
        guid.extend([
            0xFF, 0x19, 0x96, 0x6F, 0x86, 0x8B, 0x11, 0xD0, 0xB4, 0x2D, 0x00, 0xC0, 0x4F, 0xC9,
            0x64, 0xFF,
        ]);
        out.extend(param_bytes("@d", 0, &guid));
        out.extend(param_bytes("@o", BY_REF, &[0x26, 4, 0]));
        out
    }

    #[test]
    fn sp_executesql_by_proc_id_with_plp_null_binary_guid_and_output() {
        let calls = decode(&sp_executesql()).unwrap();
        assert_eq!(calls.len(), 1);
        let call = &calls[0];
        assert_eq!(call.procedure, "sp_executesql");
        assert_eq!(call.proc_id, Some(SP_EXECUTESQL));
        assert_eq!((call.options, call.no_exec), (0, false));
        let names: Vec<&str> = call.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["@stmt", "@params", "@a", "@b", "@c", "@d", "@o"]);
        let p = &call.params;
        assert_eq!(
            p[0].value,
            Value::Text("SELECT @a, @b, @c, @d; SET @o = 7".into())
        );
        assert_eq!(p[0].ty, ParamType::NVarChar { len: None });
        assert_eq!(p[0].ty.sql_name(), "nvarchar(max)");
        assert_eq!(p[1].ty, ParamType::NVarChar { len: Some(8000) });
        assert_eq!(p[1].ty.sql_name(), "nvarchar(4000)");
        assert_eq!(
            (p[2].value.clone(), p[2].ty),
            (Value::Int(42), ParamType::Int)
        );
        assert_eq!((p[3].value.clone(), p[3].ty), (Value::Null, ParamType::Int));
        assert_eq!(p[4].value, Value::Binary(vec![0xDE, 0xAD, 0xBE, 0xEF]));
        assert_eq!(p[4].ty.column_type(), ColumnType::VarBinaryMax);
        assert_eq!(
            p[5].value,
            Value::Text("6F9619FF-8B86-D011-B42D-00C04FC964FF".into())
        );
        assert!(p[6].output && !p[5].output);
        assert_eq!(p[6].ty.column_type(), ColumnType::Int);
    }

    #[test]
    fn by_name_calls_several_in_one_message_and_no_exec() {
        let mut out = all_headers();
        let name = utf16("dbo.usp_audit");
        out.extend((name.len() as u16 / 2).to_le_bytes());
        out.extend(name);
        out.extend(options::WITH_RECOMP.to_le_bytes());
        out.extend(param_bytes("", DEFAULT_VALUE, &[0x38, 5, 0, 0, 0]));
        out.push(BATCH_FLAG);
        out.extend([0xFF, 0xFF, 15, 0, 0, 0]); // sp_unprepare
        out.extend(param_bytes("", 0, &[0x26, 4, 4, 1, 0, 0, 0]));
        out.push(NO_EXEC_FLAG);
        out.extend([0xFF, 0xFF, 12, 0, 0, 0]); // sp_execute, no parameters
        out.push(BATCH_FLAG_OLD);
        out.extend([0xFF, 0xFF, 11, 0, 0, 0]); // sp_prepare
        out.push(BATCH_FLAG); // a trailing flag is allowed
        let calls = decode(&out).unwrap();
        let names: Vec<&str> = calls.iter().map(|c| c.procedure.as_str()).collect();
        assert_eq!(
            names,
            ["dbo.usp_audit", "sp_unprepare", "sp_execute", "sp_prepare"]
        );
        assert_eq!(calls[0].proc_id, None);
        assert_eq!(calls[0].options, options::WITH_RECOMP);
        assert!(calls[0].params[0].default);
        assert_eq!(calls[0].params[0].value, Value::Int(5));
        assert_eq!(
            calls.iter().map(|c| c.no_exec).collect::<Vec<_>>(),
            [false, false, true, false]
        );
        assert!(calls[2].params.is_empty());
    }

    #[test]
    fn a_128_character_parameter_name_is_not_a_batch_flag() {
        let name = format!("@{}", "p".repeat(127));
        let mut out = all_headers();
        out.extend([0xFF, 0xFF, 10, 0, 0, 0]);
        out.extend(param_bytes(&name, 0, &[0x30, 9]));
        let calls = decode(&out).unwrap();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].params[0].name, name);
        assert_eq!(calls[0].params[0].value, Value::Int(9));
    }

    /// Decodes one parameter given as TYPE_INFO + value.
    fn one(type_and_value: &[u8]) -> Result<(Value, ParamType), ProtocolError> {
        let mut out = all_headers();
        out.extend([0xFF, 0xFF, 10, 0, 0, 0]);
        out.extend(param_bytes("@p", 0, type_and_value));
        let call = decode(&out)?.remove(0);
        let p = &call.params[0];
        Ok((p.value.clone(), p.ty))
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn every_supported_type_decodes() {
        let mut decimal = vec![0x6A, 17, 38, 2, 17, 0];
        decimal.extend((10u128.pow(37) + 1).to_le_bytes());
        let mut varchar_max = vec![0xA7, 0xFF, 0xFF];
        varchar_max.extend(COLLATION);
        varchar_max.extend(0xFFFF_FFFF_FFFF_FFFEu64.to_le_bytes()); // unknown length
        varchar_max.extend([2, 0, 0, 0, b'h', b'i', 1, 0, 0, 0, 0x80, 0, 0, 0, 0]);
        let mut utf8_char = vec![0xAF, 4, 0, 0x09, 0x04, 0xD0, 0x04, 0x34, 2, 0];
        utf8_char.extend("é".as_bytes());
        let mut xml = vec![0xF1, 0];
        xml.extend(plp_bytes(
            &[0xFF, 0xFE, b'<', 0, b'a', 0, b'/', 0, b'>', 0],
            100,
        ));
        let mut nchar = vec![0xEF, 4, 0];
        nchar.extend(COLLATION);
        nchar.extend([4, 0, b'o', 0, b'k', 0]);
        let cases: Vec<(Vec<u8>, Value, ParamType)> = vec![
            (vec![0x1F], Value::Null, ParamType::Null),
            (vec![0x30, 200], Value::Int(200), ParamType::TinyInt),
            (vec![0x32, 1], Value::Bit(true), ParamType::Bit),
            (vec![0x34, 0xFE, 0xFF], Value::Int(-2), ParamType::SmallInt),
            (
                vec![0x38, 0xFF, 0xFF, 0xFF, 0x7F],
                Value::Int(i64::from(i32::MAX)),
                ParamType::Int,
            ),
            (
                [&[0x7F][..], &i64::MIN.to_le_bytes()].concat(),
                Value::Int(i64::MIN),
                ParamType::BigInt,
            ),
            (vec![0x26, 1, 1, 255], Value::Int(255), ParamType::TinyInt),
            (
                vec![0x26, 2, 2, 0, 0x80],
                Value::Int(-32768),
                ParamType::SmallInt,
            ),
            (
                [&[0x26, 8, 8][..], &(-5i64).to_le_bytes()].concat(),
                Value::Int(-5),
                ParamType::BigInt,
            ),
            (vec![0x68, 1, 1, 0], Value::Bit(false), ParamType::Bit),
            (vec![0x68, 1, 0], Value::Null, ParamType::Bit),
            (
                [&[0x6D, 8, 8][..], &1.5f64.to_le_bytes()].concat(),
                Value::Float(1.5),
                ParamType::Float,
            ),
            (
                [&[0x6D, 4, 4][..], &0.25f32.to_le_bytes()].concat(),
                Value::Float(0.25),
                ParamType::Real,
            ),
            (
                [&[0x3E][..], &(-2.0f64).to_le_bytes()].concat(),
                Value::Float(-2.0),
                ParamType::Float,
            ),
            // decimal(10,2) -123.45 and numeric(5,0) 7.
            (
                vec![0x6A, 9, 10, 2, 9, 0, 0x39, 0x30, 0, 0, 0, 0, 0, 0],
                Value::Float(-123.45),
                ParamType::Decimal {
                    precision: 10,
                    scale: 2,
                },
            ),
            (
                vec![0x6C, 5, 5, 0, 5, 1, 7, 0, 0, 0],
                Value::Int(7),
                ParamType::Decimal {
                    precision: 5,
                    scale: 0,
                },
            ),
            (
                decimal,
                text("-100000000000000000000000000000000000.01"),
                ParamType::Decimal {
                    precision: 38,
                    scale: 2,
                },
            ),
            // money 1.2345: high half first; smallmoney -0.0001.
            (
                vec![0x6E, 8, 8, 0, 0, 0, 0, 0x39, 0x30, 0, 0],
                Value::Float(1.2345),
                ParamType::Money,
            ),
            (
                vec![0x7A, 0xFF, 0xFF, 0xFF, 0xFF],
                Value::Float(-0.0001),
                ParamType::SmallMoney,
            ),
            // datetime 1900-01-02 00:00:01.003 (300 ticks + 1), smalldatetime 1900-01-01 01:01.
            (
                vec![0x6F, 8, 8, 1, 0, 0, 0, 0x2D, 0x01, 0, 0],
                text("1900-01-02 00:00:01.003"),
                ParamType::DateTime,
            ),
            (
                vec![0x3D, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0],
                text("1899-12-31 00:00:00.000"),
                ParamType::DateTime,
            ),
            (
                vec![0x6F, 4, 4, 0, 0, 61, 0],
                text("1900-01-01 01:01:00.000"),
                ParamType::SmallDateTime,
            ),
            // date 1970-01-01 = day 719162; time(0) 13:00:05; datetime2(3) with .250.
            (
                [&[0x28, 3][..], &719_162u32.to_le_bytes()[..3]].concat(),
                text("1970-01-01"),
                ParamType::Date,
            ),
            (
                [&[0x29, 0, 3][..], &46_805u32.to_le_bytes()[..3]].concat(),
                text("13:00:05"),
                ParamType::Time { scale: 0 },
            ),
            (
                [
                    &[0x2A, 3, 7][..],
                    &1_250u32.to_le_bytes(),
                    &719_162u32.to_le_bytes()[..3],
                ]
                .concat(),
                text("1970-01-01 00:00:01.250"),
                ParamType::DateTime2 { scale: 3 },
            ),
            (
                [
                    &[0x2A, 7, 8][..],
                    &863_999_999_999u64.to_le_bytes()[..5],
                    &3_652_058u32.to_le_bytes()[..3],
                ]
                .concat(),
                text("9999-12-31 23:59:59.9999999"),
                ParamType::DateTime2 { scale: 7 },
            ),
            // datetimeoffset(0): 23:30 UTC on 1970-01-01 at +02:00 is 01:30 the next day.
            (
                [
                    &[0x2B, 0, 8][..],
                    &84_600u32.to_le_bytes()[..3],
                    &719_162u32.to_le_bytes()[..3],
                    &120i16.to_le_bytes(),
                ]
                .concat(),
                text("1970-01-02 01:30:00 +02:00"),
                ParamType::DateTimeOffset { scale: 0 },
            ),
            (
                [&[0x24, 16, 16][..], &[0u8; 16]].concat(),
                text("00000000-0000-0000-0000-000000000000"),
                ParamType::Guid,
            ),
            (vec![0x24, 16, 0], Value::Null, ParamType::Guid),
            (
                nvarchar(20, "héllo"),
                text("héllo"),
                ParamType::NVarChar { len: Some(20) },
            ),
            (nchar, text("ok"), ParamType::NChar { len: 4 }),
            (varchar_max, text("hi€"), ParamType::VarChar { len: None }),
            (utf8_char, text("é"), ParamType::Char { len: 4 }),
            (
                vec![0xA5, 10, 0, 0xFF, 0xFF],
                Value::Null,
                ParamType::VarBinary { len: Some(10) },
            ),
            (
                vec![0xAD, 2, 0, 2, 0, 0xAB, 0xCD],
                Value::Binary(vec![0xAB, 0xCD]),
                ParamType::Binary { len: 2 },
            ),
            (xml, text("<a/>"), ParamType::Xml),
        ];
        for (bytes, value, ty) in cases {
            assert_eq!(one(&bytes), Ok((value, ty)), "{bytes:02X?}");
        }
    }

    #[test]
    fn bad_types_lengths_and_unsupported_parameters_are_errors() {
        for bytes in [
            vec![0x26, 3, 0],                      // INTN of length 3
            vec![0x26, 4, 3, 0, 0, 0],             // value of 3 bytes
            vec![0x6A, 5, 39, 0, 0],               // precision 39
            vec![0x6A, 5, 5, 6, 0],                // scale > precision
            vec![0x2A, 8, 0],                      // scale 8
            vec![0x28, 2, 0, 0],                   // date of 2 bytes
            vec![0x29, 0, 3, 0x80, 0x51, 0x01],    // time 24:00:00
            vec![0xAF, 0xFF, 0xFF, 0, 0, 0, 0, 0], // char(max)
            vec![0x23, 0, 0, 0, 0],                // text
            vec![0x62, 0, 0, 0, 0],                // sql_variant
            vec![0xF3],                            // TVP
            vec![0x99],                            // unknown
        ] {
            assert!(one(&bytes).is_err(), "{bytes:02X?}");
        }
        // A PLP whose chunks do not add up to the declared total.
        let mut bad_plp = vec![0xA5, 0xFF, 0xFF];
        bad_plp.extend(5u64.to_le_bytes());
        bad_plp.extend([1, 0, 0, 0, 9, 0, 0, 0, 0]);
        assert!(one(&bad_plp).is_err());
        // Always Encrypted.
        let mut out = all_headers();
        out.extend([0xFF, 0xFF, 10, 0, 0, 0]);
        out.extend(param_bytes("@p", ENCRYPTED, &[0x30, 1]));
        assert!(
            decode(&out)
                .unwrap_err()
                .to_string()
                .contains("Always Encrypted")
        );
        // Unknown ProcID, empty name, no call at all, bad ALL_HEADERS.
        let mut unknown = all_headers();
        unknown.extend([0xFF, 0xFF, 99, 0, 0, 0]);
        assert!(decode(&unknown).is_err());
        let mut empty = all_headers();
        empty.extend([0, 0, 0, 0]);
        assert!(decode(&empty).is_err());
        assert!(decode(&all_headers()).is_err());
        let mut headers = all_headers();
        headers[4] = 30; // a header longer than the block
        assert!(all_headers_len(&headers).is_err());
        assert!(all_headers_len(&[3, 0, 0, 0]).is_err());
        assert_eq!(all_headers_len(&[4, 0, 0, 0, 9]), Ok(4));
    }

    #[test]
    fn every_truncation_and_byte_flip_is_an_error_or_a_value_never_a_panic() {
        let message = sp_executesql();
        for cut in 0..message.len() {
            // A cut between two parameters is a shorter valid call; anywhere else, an error.
            if let Ok(calls) = decode(&message[..cut]) {
                assert!(calls[0].params.len() < 7, "cut at {cut}");
            }
        }
        for i in 0..message.len() {
            for flip in [0x01, 0x80, 0xFF] {
                let mut m = message.clone();
                m[i] ^= flip;
                let _ = decode(&m);
            }
        }
    }

    #[test]
    fn decimals_become_what_sqlite_would_store() {
        assert_eq!(decimal_value(false, 5, 0), Value::Int(5));
        assert_eq!(decimal_value(true, 5, 3), Value::Float(-0.005));
        assert_eq!(decimal_value(true, 0, 2), Value::Float(0.0));
        assert_eq!(
            decimal_value(false, u128::from(u64::MAX), 0),
            text("18446744073709551615")
        );
        assert_eq!(
            decimal_value(false, 1_234_567_890_123_456, 2),
            text("12345678901234.56")
        );
        assert_eq!(
            decimal_value(false, 123_456_789_012_345, 2),
            Value::Float(1_234_567_890_123.45)
        );
    }

    #[test]
    fn tiberius_golden_vector_decodes() {
        let calls = decode(TIBERIUS_SELECT_P1).unwrap();
        assert_eq!(calls.len(), 1);
        let call = &calls[0];
        assert_eq!(
            (call.procedure.as_str(), call.proc_id),
            ("sp_executesql", Some(10))
        );
        let params: Vec<(&str, &Value, ParamType, bool)> = call
            .params
            .iter()
            .map(|p| (p.name.as_str(), &p.value, p.ty, p.output))
            .collect();
        assert_eq!(
            params,
            [
                (
                    "stmt",
                    &text("SELECT @P1"),
                    ParamType::NVarChar { len: Some(8000) },
                    false
                ),
                (
                    "params",
                    &text("@P1 int"),
                    ParamType::NVarChar { len: Some(8000) },
                    false
                ),
                ("@P1", &Value::Int(1), ParamType::Int, false),
            ]
        );
    }
}
