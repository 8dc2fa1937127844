//! The simulator against the MS-TDS specification, byte by byte, with a minimal raw client
//! (no driver between the test and the wire): Transaction Manager requests (2.2.6.9) and their
//! ENVCHANGEs (2.2.7.9), the transaction descriptor in ALL_HEADERS (2.2.5.3.2), a TDS 7.1
//! session (no ALL_HEADERS, 32-bit DONE row counts, 2-byte UserType), RPC parameters of every
//! type (2.2.5.4–2.2.5.6), OUTPUT parameters (RETURNVALUE, 2.2.7.18), the prepared-statement
//! procedures, and errors instead of dropped connections. Also tiberius's BEGIN TRAN path.

mod common;

use common::raw::{Raw, utf16};

use mssql_sim::tds::tokens::days_from_civil;

const TDS_74: u32 = 0x7400_0004;
const TDS_71: u32 = 0x7100_0001;

/// One token of a response, as far as these tests need to see it.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// ENVCHANGE: type and the rest of its body.
    Env(u8, Vec<u8>),
    /// ERROR: number.
    Error(i32),
    /// A ROW, each value as text (ints in decimal, nvarchar as text).
    Row(Vec<String>),
    /// DONE/DONEPROC/DONEINPROC: token, status, row count.
    Done(u8, u16, u64),
    /// RETURNSTATUS.
    Status(i32),
    /// RETURNVALUE: name and value as text (None for NULL).
    Return(String, Option<String>),
    /// Any other token (LOGINACK, INFO).
    Other(u8),
}

/// The requests these tests send over a [`Raw`] session.
trait Requests {
    fn headers(&self, descriptor: u64) -> Vec<u8>;
    async fn batch(&mut self, descriptor: u64, sql: &str) -> Vec<Token>;
    async fn tm(&mut self, descriptor: u64, kind: u16, body: &[u8]) -> Vec<Token>;
    async fn rpc(&mut self, procedure: &str, params: &[u8]) -> Vec<Token>;
    async fn tokens(&mut self) -> Vec<Token>;
}

impl Requests for Raw {
    /// ALL_HEADERS with a Transaction Descriptor header (TDS 7.2+); nothing for TDS 7.1.
    fn headers(&self, descriptor: u64) -> Vec<u8> {
        if self.tds < 0x7200_0000 {
            return Vec::new();
        }
        let mut v = 22u32.to_le_bytes().to_vec();
        v.extend(18u32.to_le_bytes());
        v.extend(2u16.to_le_bytes());
        v.extend(descriptor.to_le_bytes());
        v.extend(1u32.to_le_bytes());
        v
    }

    async fn batch(&mut self, descriptor: u64, sql: &str) -> Vec<Token> {
        let mut payload = self.headers(descriptor);
        payload.extend(utf16(sql));
        self.send(0x01, &payload).await;
        self.tokens().await
    }

    /// A Transaction Manager request: type and payload.
    async fn tm(&mut self, descriptor: u64, kind: u16, body: &[u8]) -> Vec<Token> {
        let mut payload = self.headers(descriptor);
        payload.extend(kind.to_le_bytes());
        payload.extend_from_slice(body);
        self.send(0x0E, &payload).await;
        self.tokens().await
    }

    /// An RPC by name with raw parameter bytes.
    async fn rpc(&mut self, procedure: &str, params: &[u8]) -> Vec<Token> {
        let mut payload = self.headers(0);
        payload.extend((procedure.encode_utf16().count() as u16).to_le_bytes());
        payload.extend(utf16(procedure));
        payload.extend([0, 0]);
        payload.extend_from_slice(params);
        self.send(0x03, &payload).await;
        self.tokens().await
    }

    async fn tokens(&mut self) -> Vec<Token> {
        let data = self.recv().await;
        parse(&data, self.tds < 0x7200_0000)
    }
}

/// Walks a token stream (only the column types these tests use: INTN, NVARCHAR, NTEXT).
fn parse(d: &[u8], old: bool) -> Vec<Token> {
    let mut at = 0;
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([d[at], d[at + 1]]));
    let mut columns: Vec<(u8, bool)> = Vec::new();
    let mut out = Vec::new();
    let text16 = |b: &[u8]| {
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    };
    while at < d.len() {
        let token = d[at];
        at += 1;
        match token {
            0xE3 | 0xAA | 0xAB | 0xAD => {
                let len = u16_at(at);
                let body = &d[at + 2..at + 2 + len];
                out.push(match token {
                    0xE3 => Token::Env(body[0], body[1..].to_vec()),
                    0xAA => Token::Error(i32::from_le_bytes(body[..4].try_into().unwrap())),
                    other => Token::Other(other),
                });
                at += 2 + len;
            }
            0x79 => {
                out.push(Token::Status(i32::from_le_bytes(
                    d[at..at + 4].try_into().unwrap(),
                )));
                at += 4;
            }
            0xFD..=0xFF => {
                let status = u16_at(at) as u16;
                let rows = if old {
                    u64::from(u32::from_le_bytes(d[at + 4..at + 8].try_into().unwrap()))
                } else {
                    u64::from_le_bytes(d[at + 4..at + 12].try_into().unwrap())
                };
                out.push(Token::Done(token, status, rows));
                at += if old { 8 } else { 12 };
            }
            0x81 => {
                let count = u16_at(at);
                at += 2;
                columns.clear();
                for _ in 0..count {
                    at += if old { 2 } else { 4 } + 2; // UserType, Flags
                    let ty = d[at];
                    at += 1;
                    let mut plp = false;
                    match ty {
                        0x26 => at += 1,
                        0xE7 => {
                            plp = u16_at(at) == 0xFFFF;
                            at += 7;
                        }
                        0x63 => {
                            at += 4 + 5;
                            at += 2 + 2 * u16_at(at); // TableName (TDS 7.1)
                        }
                        other => panic!("column type 0x{other:02X} not handled by the test"),
                    }
                    at += 1 + 2 * usize::from(d[at]); // ColName
                    columns.push((ty, plp));
                }
            }
            0xD1 => {
                let mut values = Vec::new();
                for &(ty, plp) in &columns {
                    match (ty, plp) {
                        (0x26, _) => {
                            let len = usize::from(d[at]);
                            let mut v = [0u8; 8];
                            v[..len].copy_from_slice(&d[at + 1..at + 1 + len]);
                            values.push(i64::from_le_bytes(v).to_string());
                            at += 1 + len;
                        }
                        (0xE7, false) => {
                            let len = u16_at(at);
                            values.push(text16(&d[at + 2..at + 2 + len]));
                            at += 2 + len;
                        }
                        (0x63, _) => {
                            let ptr = usize::from(d[at]);
                            at += 1 + ptr + 8;
                            let len = u32::from_le_bytes(d[at..at + 4].try_into().unwrap());
                            values.push(text16(&d[at + 4..at + 4 + len as usize]));
                            at += 4 + len as usize;
                        }
                        _ => panic!("row value of 0x{ty:02X} not handled by the test"),
                    }
                }
                out.push(Token::Row(values));
            }
            0xAC => {
                at += 2; // ordinal
                let name = text16(&d[at + 1..at + 1 + 2 * usize::from(d[at])]);
                at += 1 + 2 * usize::from(d[at]);
                at += 1 + if old { 2 } else { 4 } + 2; // status, UserType, Flags
                let ty = d[at];
                at += 1;
                let value = match ty {
                    0x26 => {
                        at += 1;
                        let len = usize::from(d[at]);
                        let mut v = [0u8; 8];
                        v[..len].copy_from_slice(&d[at + 1..at + 1 + len]);
                        at += 1 + len;
                        (len > 0).then(|| i64::from_le_bytes(v).to_string())
                    }
                    0xE7 if u16_at(at) != 0xFFFF => {
                        at += 7;
                        let len = u16_at(at);
                        at += 2;
                        if len == 0xFFFF {
                            None
                        } else {
                            at += len;
                            Some(text16(&d[at - len..at]))
                        }
                    }
                    other => panic!("RETURNVALUE of 0x{other:02X} not handled by the test"),
                };
                out.push(Token::Return(name, value));
            }
            other => panic!("token 0x{other:02X} not handled by the test: {out:?}"),
        }
    }
    out
}

/// The descriptor of a begin (ENVCHANGE 8) in `tokens`.
fn began(tokens: &[Token]) -> Option<u64> {
    tokens.iter().find_map(|t| match t {
        Token::Env(8, body) => {
            assert_eq!(
                (body[0], body[9]),
                (8, 0),
                "NewValue 8 bytes, OldValue empty"
            );
            Some(u64::from_le_bytes(body[1..9].try_into().unwrap()))
        }
        _ => None,
    })
}

/// The descriptor of a commit (9) or rollback (10) in `tokens`.
fn ended(tokens: &[Token], kind: u8) -> Option<u64> {
    tokens.iter().find_map(|t| match t {
        Token::Env(k, body) if *k == kind => {
            assert_eq!(
                (body[0], body[1]),
                (0, 8),
                "NewValue empty, OldValue 8 bytes"
            );
            Some(u64::from_le_bytes(body[2..10].try_into().unwrap()))
        }
        _ => None,
    })
}

fn errors(tokens: &[Token]) -> Vec<i32> {
    tokens
        .iter()
        .filter_map(|t| match t {
            Token::Error(n) => Some(*n),
            _ => None,
        })
        .collect()
}

fn first_value(tokens: &[Token]) -> String {
    tokens
        .iter()
        .find_map(|t| match t {
            Token::Row(v) => Some(v[0].clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no row: {tokens:?}"))
}

fn old_vendor_enabled(server: &mssql_sim::RunningServer) -> bool {
    server
        .instance()
        .logins
        .iter()
        .find(|l| l.name == "old_vendor")
        .unwrap()
        .enabled
}

/// B_VARBYTE name of a TM request.
fn name(s: &str) -> Vec<u8> {
    let mut v = vec![(s.encode_utf16().count() * 2) as u8];
    v.extend(utf16(s));
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn transaction_manager_requests_answer_with_descriptors_as_ms_tds_says() {
    let server = mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut c = Raw::connect(server.addr.port(), TDS_74).await;

    // TM_BEGIN_XACT (isolation 0, no name): ENVCHANGE 8 with a nonzero descriptor, then DONE.
    let t = c.tm(0, 5, &[0, 0]).await;
    let d1 = began(&t).expect("ENVCHANGE 8");
    assert_ne!(d1, 0);
    assert!(matches!(t.last(), Some(Token::Done(0xFD, 0, _))), "{t:?}");
    assert_eq!(first_value(&c.batch(d1, "SELECT @@TRANCOUNT").await), "1");
    // Nested: no ENVCHANGE until the outermost commit, which names the descriptor.
    assert_eq!(began(&c.tm(d1, 5, &[0, 0]).await), None);
    assert_eq!(first_value(&c.batch(d1, "SELECT @@TRANCOUNT").await), "2");
    let t = c.tm(d1, 7, &[0, 0]).await;
    assert_eq!((ended(&t, 9), errors(&t)), (None, vec![]));
    let t = c.tm(d1, 7, &[0, 0]).await;
    assert_eq!(ended(&t, 9), Some(d1));
    // Nothing to commit: 3902, and the connection goes on.
    assert_eq!(errors(&c.tm(0, 7, &[0, 0]).await), vec![3902]);
    assert_eq!(errors(&c.tm(0, 8, &[0, 0]).await), vec![3903]);

    // A rollback undoes what the transaction changed; a savepoint keeps what preceded it.
    assert!(!old_vendor_enabled(&server));
    let d2 = began(&c.tm(0, 5, &[2, 0]).await).unwrap();
    assert_ne!(d2, d1, "each transaction has its own descriptor");
    assert!(errors(&c.batch(d2, "ALTER LOGIN old_vendor ENABLE").await).is_empty());
    let t = c.tm(d2, 9, &name("s1")).await;
    assert!(errors(&t).is_empty() && began(&t).is_none(), "{t:?}");
    c.batch(d2, "ALTER LOGIN old_vendor DISABLE").await;
    assert!(!old_vendor_enabled(&server));
    let mut to_s1 = name("s1");
    to_s1.push(0); // XACT_FLAGS: no fBeginXact
    let t = c.tm(d2, 8, &to_s1).await;
    assert_eq!((ended(&t, 10), errors(&t)), (None, vec![]), "{t:?}");
    assert!(old_vendor_enabled(&server), "rolled back to the savepoint");
    assert_eq!(first_value(&c.batch(d2, "SELECT @@TRANCOUNT").await), "1");
    let t = c.tm(d2, 8, &[0, 0]).await;
    assert_eq!(ended(&t, 10), Some(d2));
    assert!(!old_vendor_enabled(&server), "the whole transaction undone");
    assert_eq!(errors(&c.tm(0, 9, &name("s2")).await), vec![628]);

    // fBeginXact: commit, then a new transaction at once (ODBC with autocommit off).
    let d3 = began(&c.tm(0, 5, &[0, 0]).await).unwrap();
    let t = c.tm(d3, 7, &[0, 1, 0, 0]).await;
    assert_eq!(ended(&t, 9), Some(d3));
    let d4 = began(&t).expect("a new transaction");
    assert_ne!(d4, d3);
    let t = c.tm(d4, 8, &[0, 1, 0, 0]).await;
    assert_eq!(ended(&t, 10), Some(d4));
    let d5 = began(&t).unwrap();
    assert_eq!(ended(&c.tm(d5, 8, &[0, 0]).await, 10), Some(d5));

    // DTC: refused with 8501 (MSDTC unavailable); an unknown request type: an error, and the
    // connection still answers.
    assert_eq!(errors(&c.tm(0, 0, &[0, 0]).await), vec![8501]);
    assert_eq!(errors(&c.tm(0, 1, &[0, 0]).await), vec![8501]);
    assert_eq!(errors(&c.tm(0, 3, &[]).await), vec![4002]);
    assert_eq!(first_value(&c.batch(0, "SELECT 7").await), "7");
    // Bulk load data, which the simulator does not take: an error, not a dropped connection.
    c.send(0x07, &[0x81, 0, 0]).await;
    assert_eq!(errors(&c.tokens().await), vec![40000]);
    assert_eq!(first_value(&c.batch(0, "SELECT 8").await), "8");

    // BEGIN TRAN / ROLLBACK / COMMIT in batches: the same ENVCHANGEs.
    let t = c
        .batch(0, "BEGIN TRAN; ALTER LOGIN old_vendor ENABLE")
        .await;
    let d6 = began(&t).expect("ENVCHANGE 8 for BEGIN TRAN");
    assert!(old_vendor_enabled(&server));
    let t = c.batch(d6, "ROLLBACK").await;
    assert_eq!(ended(&t, 10), Some(d6));
    assert!(!old_vendor_enabled(&server));
    let t = c
        .batch(
            0,
            "BEGIN TRAN; BEGIN TRAN; COMMIT; SELECT @@TRANCOUNT; COMMIT",
        )
        .await;
    let d7 = began(&t).unwrap();
    assert_eq!(first_value(&t), "1");
    assert_eq!(ended(&t, 9), Some(d7));
    assert_eq!(first_value(&c.batch(0, "SELECT @@TRANCOUNT").await), "0");

    // SAVE TRAN and ROLLBACK TRAN to a savepoint in batches: only what followed is undone,
    // @@TRANCOUNT and the transaction stay (no ENVCHANGE); SAVE outside a transaction: 628.
    let t = c
        .batch(
            0,
            "BEGIN TRAN; ALTER LOGIN old_vendor ENABLE; SAVE TRANSACTION s1; \
             ALTER LOGIN old_vendor DISABLE; ROLLBACK TRAN s1; SELECT @@TRANCOUNT",
        )
        .await;
    let d = began(&t).unwrap();
    assert_eq!(
        (first_value(&t), ended(&t, 10), errors(&t)),
        ("1".into(), None, vec![])
    );
    assert!(old_vendor_enabled(&server), "rolled back to s1 only");
    let t = c.batch(d, "ROLLBACK TRANSACTION").await;
    assert_eq!(ended(&t, 10), Some(d));
    assert!(!old_vendor_enabled(&server));
    assert_eq!(errors(&c.batch(0, "SAVE TRAN s2").await), vec![628]);

    // A connection that closes inside a transaction is rolled back.
    let d8 = began(&c.tm(0, 5, &[0, 0]).await).unwrap();
    c.batch(d8, "ALTER LOGIN old_vendor ENABLE").await;
    assert!(old_vendor_enabled(&server));
    drop(c);
    for _ in 0..50 {
        if !old_vendor_enabled(&server) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!old_vendor_enabled(&server));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tds_7_1_session_has_no_all_headers_and_7_1_tokens() {
    let server = mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut c = Raw::connect(server.addr.port(), TDS_71).await;
    // A batch without ALL_HEADERS; DONE carries a 32-bit row count (parsed as such).
    let t = c
        .batch(
            0,
            "SELECT 41 + 1; SELECT name FROM sys.server_principals WHERE principal_id = 1",
        )
        .await;
    let rows: Vec<_> = t.iter().filter(|t| matches!(t, Token::Row(_))).collect();
    assert_eq!(
        rows,
        [
            &Token::Row(vec!["42".into()]),
            &Token::Row(vec!["sa".into()])
        ],
        "{t:?}"
    );
    assert!(
        t.iter().any(|t| matches!(t, Token::Done(0xFD, 0x10, 1))),
        "{t:?}"
    );
    // An RPC without ALL_HEADERS: sp_executesql with an int parameter and an OUTPUT one.
    let mut params = Vec::new();
    nvarchar_param(&mut params, "@stmt", "SET @o = @a + 1");
    nvarchar_param(&mut params, "@params", "@a int, @o int OUTPUT");
    params.extend(param_head("@a", 0));
    params.extend([0x26, 4, 4, 41, 0, 0, 0]);
    params.extend(param_head("@o", 1));
    params.extend([0x26, 4, 0]);
    let t = c.rpc("sp_executesql", &params).await;
    assert!(
        t.contains(&Token::Return("@o".into(), Some("42".into()))),
        "{t:?}"
    );
    // Transaction Manager requests without ALL_HEADERS; no ENVCHANGE 8–10 before TDS 7.2.
    let t = c.tm(0, 5, &[0, 0]).await;
    assert!(began(&t).is_none() && errors(&t).is_empty(), "{t:?}");
    assert_eq!(first_value(&c.batch(0, "SELECT @@TRANCOUNT").await), "1");
    let t = c.tm(0, 8, &[0, 0]).await;
    assert!(ended(&t, 10).is_none() && errors(&t).is_empty(), "{t:?}");
    assert_eq!(first_value(&c.batch(0, "SELECT @@TRANCOUNT").await), "0");
    // An error token has a 2-byte line number in 7.1 (parsed by length, so well formed).
    assert_eq!(
        errors(&c.batch(0, "SELECT * FROM sys.nothing").await),
        vec![208]
    );
}

/// A parameter's name and status byte.
fn param_head(name: &str, status: u8) -> Vec<u8> {
    let mut v = vec![name.encode_utf16().count() as u8];
    v.extend(utf16(name));
    v.push(status);
    v
}

const COLLATION: [u8; 5] = [0x09, 0x04, 0xD0, 0x00, 0x34];

fn nvarchar_param(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend(param_head(name, 0));
    out.extend([0xE7, 0x40, 0x1F]);
    out.extend(COLLATION);
    let v = utf16(value);
    out.extend((v.len() as u16).to_le_bytes());
    out.extend(v);
}

fn plp(value: &[u8]) -> Vec<u8> {
    let mut v = (value.len() as u64).to_le_bytes().to_vec();
    v.extend((value.len() as u32).to_le_bytes());
    v.extend_from_slice(value);
    v.extend([0, 0, 0, 0]);
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn rpc_parameters_of_every_type_and_output_parameters() {
    let server = mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut c = Raw::connect(server.addr.port(), TDS_74).await;
    let day = |y, m, d| (days_from_civil(y, m, d) - days_from_civil(1, 1, 1)) as u32;
    let ten_oclock: u64 = 36_000 * 10_000_000 + 1_234_567;
    let nine_oclock: u64 = 32_400 * 10_000_000 + 1_234_567;
    let date3 = day(2024, 1, 5).to_le_bytes()[..3].to_vec();
    let mut time5 = ten_oclock.to_le_bytes()[..5].to_vec();
    let mut utc5 = nine_oclock.to_le_bytes()[..5].to_vec();
    let long = |n: u32| n.to_le_bytes().to_vec();
    // (declared type, TYPE_INFO + value bytes, the value as text once assigned to nvarchar).
    let mut money = vec![0x6E, 8, 8];
    money.extend(0i32.to_le_bytes());
    money.extend(123_400u32.to_le_bytes());
    let mut decimal = vec![0x6A, 5, 5, 2, 5, 1];
    decimal.extend(12_345u32.to_le_bytes());
    let mut date = vec![0x28, 3];
    date.extend(&date3);
    let mut time = vec![0x29, 7, 5];
    time.append(&mut time5.clone());
    let mut datetime2 = vec![0x2A, 7, 8];
    datetime2.append(&mut time5);
    datetime2.extend(&date3);
    let mut dto = vec![0x2B, 7, 10];
    dto.append(&mut utc5);
    dto.extend(&date3);
    dto.extend(60i16.to_le_bytes());
    let mut guid = vec![0x24, 16, 16];
    guid.extend([4, 3, 2, 1, 6, 5, 8, 7, 9, 10, 11, 12, 13, 14, 15, 16]);
    let mut varbinary_max = vec![0xA5, 0xFF, 0xFF];
    varbinary_max.extend(plp(&[3, 4]));
    let mut nvarchar_max = vec![0xE7, 0xFF, 0xFF];
    nvarchar_max.extend(COLLATION);
    nvarchar_max.extend(plp(&utf16("plp")));
    let mut text = vec![0x23];
    text.extend(long(0x7FFF_FFFF));
    text.extend(COLLATION);
    text.extend(long(3));
    text.extend(b"abc");
    let mut ntext = vec![0x63];
    ntext.extend(long(0x7FFF_FFFF));
    ntext.extend(COLLATION);
    ntext.extend(long(10));
    ntext.extend(utf16("wörld"));
    let mut image = vec![0x22];
    image.extend(long(0x7FFF_FFFF));
    image.extend(long(2));
    image.extend([5, 6]);
    let mut xml = vec![0xF1, 0];
    xml.extend(plp(&utf16("<a/>")));
    let mut float = vec![0x6D, 8, 8];
    float.extend(2.5f64.to_le_bytes());
    let mut real = vec![0x6D, 4, 4];
    real.extend(0.5f32.to_le_bytes());
    let mut bigint = vec![0x26, 8, 8];
    bigint.extend((1i64 << 40).to_le_bytes());
    // sql_variant (MS-TDS 2.2.5.5.4): LONGLEN max, then length, base type, property bytes,
    // properties, data.
    let variant = |base: &[u8], data: &[u8]| {
        let mut v = vec![0x62];
        v.extend(long(8016));
        v.extend(long((base.len() + data.len()) as u32));
        v.extend_from_slice(base);
        v.extend_from_slice(data);
        v
    };
    let mut nvarchar_base = vec![0xE7, 7];
    nvarchar_base.extend(COLLATION);
    nvarchar_base.extend(8000u16.to_le_bytes());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("sql_variant", variant(&[0x38, 0], &[42, 0, 0, 0]), "42"),
        ("sql_variant", variant(&nvarchar_base, &utf16("hi")), "hi"),
        (
            "sql_variant",
            variant(&[0x6A, 2, 2, 1], &[1, 15, 0, 0, 0]),
            "1.5",
        ),
        ("int", vec![0x26, 4, 4, 42, 0, 0, 0], "42"),
        ("bigint", bigint, "1099511627776"),
        ("smallint", vec![0x26, 2, 2, 0xF9, 0xFF], "-7"),
        ("tinyint", vec![0x26, 1, 1, 255], "255"),
        ("bit", vec![0x68, 1, 1, 1], "1"),
        ("float", float, "2.5"),
        ("real", real, "0.5"),
        ("decimal(5,2)", decimal, "123.45"),
        ("money", money, "12.34"),
        ("date", date, "2024-01-05"),
        ("time(7)", time, "10:00:00.1234567"),
        ("datetime2(7)", datetime2, "2024-01-05 10:00:00.1234567"),
        (
            "datetimeoffset(7)",
            dto,
            "2024-01-05 10:00:00.1234567 +01:00",
        ),
        (
            "uniqueidentifier",
            guid,
            "01020304-0506-0708-090A-0B0C0D0E0F10",
        ),
        ("varbinary(10)", vec![0xA5, 10, 0, 2, 0, 1, 2], "0x0102"),
        ("varbinary(max)", varbinary_max, "0x0304"),
        ("nvarchar(max)", nvarchar_max, "plp"),
        ("text", text, "abc"),
        ("ntext", ntext, "wörld"),
        ("image", image, "0x0506"),
        ("xml", xml, "<a/>"),
    ];
    let mut statement = String::new();
    let mut declarations = Vec::new();
    let mut values = Vec::new();
    for (i, (ty, bytes, _)) in cases.iter().enumerate() {
        statement.push_str(&format!("SET @o{i} = @p{i}; "));
        declarations.push(format!("@p{i} {ty}, @o{i} nvarchar(4000) OUTPUT"));
        values.extend(param_head(&format!("@p{i}"), 0));
        values.extend_from_slice(bytes);
        values.extend(param_head(&format!("@o{i}"), 1));
        values.extend([0xE7, 0x40, 0x1F]);
        values.extend(COLLATION);
        values.extend([0xFF, 0xFF]);
    }
    let mut params = Vec::new();
    nvarchar_param(&mut params, "@stmt", &statement);
    nvarchar_param(&mut params, "@params", &declarations.join(", "));
    params.extend(values);
    let t = c.rpc("sp_executesql", &params).await;
    assert!(errors(&t).is_empty(), "{t:?}");
    for (i, (ty, _, expected)) in cases.iter().enumerate() {
        let name = format!("@o{i}");
        let got = t.iter().find_map(|t| match t {
            Token::Return(n, v) if *n == name => Some(v.clone()),
            _ => None,
        });
        assert_eq!(got, Some(Some((*expected).to_owned())), "{ty}: {t:?}");
    }
    // RETURNSTATUS, the RETURNVALUEs, then DONEPROC (MS-TDS 2.2.7.18).
    let status = t.iter().position(|t| *t == Token::Status(0)).unwrap();
    let first_return = t
        .iter()
        .position(|t| matches!(t, Token::Return(..)))
        .unwrap();
    assert!(status < first_return);
    assert!(matches!(t.last(), Some(Token::Done(0xFE, 0, _))));

    // sp_prepare → handle; sp_execute with positional values; sp_unprepare; 8179 after.
    let mut params = param_head("@handle", 1);
    params.extend([0x26, 4, 0]);
    nvarchar_param(&mut params, "@params", "@a int, @o int OUTPUT");
    nvarchar_param(&mut params, "@stmt", "SET @o = @a * 2");
    let t = c.rpc("sp_prepare", &params).await;
    let handle: i32 = t
        .iter()
        .find_map(|t| match t {
            Token::Return(n, Some(v)) if n == "@handle" => v.parse().ok(),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no handle: {t:?}"));
    let execute = |a: u8| {
        let mut p = param_head("", 0);
        p.extend([0x26, 4, 4]);
        p.extend(handle.to_le_bytes());
        p.extend(param_head("", 0));
        p.extend([0x26, 4, 4, a, 0, 0, 0]);
        p.extend(param_head("", 1));
        p.extend([0x26, 4, 0]);
        p
    };
    let t = c.rpc("sp_execute", &execute(21)).await;
    assert!(
        t.contains(&Token::Return(String::new(), Some("42".into()))),
        "{t:?}"
    );
    let t = c.rpc("sp_execute", &execute(5)).await;
    assert!(
        t.contains(&Token::Return(String::new(), Some("10".into()))),
        "{t:?}"
    );
    let mut p = param_head("", 0);
    p.extend([0x26, 4, 4]);
    p.extend(handle.to_le_bytes());
    assert!(errors(&c.rpc("sp_unprepare", &p).await).is_empty());
    assert_eq!(errors(&c.rpc("sp_execute", &execute(1)).await), vec![8179]);

    // sp_prepexec: prepare and run at once, the handle and the outputs back.
    let mut params = param_head("@handle", 1);
    params.extend([0x26, 4, 0]);
    nvarchar_param(&mut params, "@params", "@n nvarchar(20)");
    nvarchar_param(
        &mut params,
        "@stmt",
        "SELECT name FROM sys.server_principals WHERE name = @n",
    );
    params.extend(param_head("", 0));
    params.extend([0x63]);
    params.extend(long(0x7FFF_FFFF));
    params.extend(COLLATION);
    params.extend(long(4));
    params.extend(utf16("sa"));
    let t = c.rpc("sp_prepexec", &params).await;
    assert_eq!(first_value(&t), "sa");
    assert!(
        t.iter()
            .any(|t| matches!(t, Token::Return(n, Some(_)) if n == "@handle"))
    );

    // A parameter type the simulator does not take (a table-valued parameter): error 8009,
    // and the connection still answers.
    let mut params = param_head("@v", 0);
    params.extend([0xF3, 0, 0, 0, 0]);
    assert_eq!(errors(&c.rpc("sp_executesql", &params).await), vec![8009]);
    assert_eq!(first_value(&c.batch(0, "SELECT 3").await), "3");
}

#[tokio::test(flavor = "multi_thread")]
async fn tiberius_follows_transactions_begun_in_batches() {
    let server = mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut client = common::connect(server.addr.port(), "autodbaudit", common::PASSWORD, None)
        .await
        .unwrap();
    // tiberius reads the ENVCHANGE 8 and sends its descriptor in every ALL_HEADERS after it.
    client
        .simple_query("BEGIN TRANSACTION")
        .await
        .unwrap()
        .into_results()
        .await
        .unwrap();
    client
        .execute("ALTER LOGIN old_vendor ENABLE", &[])
        .await
        .unwrap();
    let row = common::one_row(&mut client, "SELECT @@TRANCOUNT AS n").await;
    assert_eq!(row.get::<i32, _>("n"), Some(1));
    assert!(old_vendor_enabled(&server));
    let n: i32 = 7;
    let row = client
        .query("SELECT @P1 + 1", &[&n])
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.get::<i32, _>(0), Some(8));
    // An unnamed column has an empty name, as on SQL Server.
    assert_eq!(row.columns()[0].name(), "");
    client
        .simple_query("ROLLBACK")
        .await
        .unwrap()
        .into_results()
        .await
        .unwrap();
    assert!(
        !old_vendor_enabled(&server),
        "the rollback undid ALTER LOGIN"
    );
    let row = common::one_row(&mut client, "SELECT @@TRANCOUNT AS n").await;
    assert_eq!(row.get::<i32, _>("n"), Some(0));
}

/// FreeTDS `tsql` at every TDS version it speaks (7.0 opens with LOGIN7, no PRELOGIN; 7.0 has
/// no collations, bigint or sql_variant; 7.1 no ALL_HEADERS; 7.3 adds the date types): the same
/// batch, the same answers, and a real error.
#[tokio::test(flavor = "multi_thread")]
async fn freetds_tsql_at_every_tds_version() {
    if !common::require("tsql", "apt-get install freetds-bin") {
        return;
    }
    let server = mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let port = server.addr.port().to_string();
    for version in ["7.0", "7.1", "7.2", "7.3", "7.4"] {
        let port = port.clone();
        let out = tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut child = std::process::Command::new("tsql")
                .args(["-H", "127.0.0.1", "-p", &port, "-U", "autodbaudit", "-P"])
                .arg(common::PASSWORD)
                .env("TDSVER", version)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("tsql starts");
            child
                .stdin
                .take()
                .unwrap()
                .write_all(
                    b"SELECT name, principal_id, CAST(5000000000 AS bigint) AS big, \
                      SERVERPROPERTY('ProductVersion') AS v, @@TRANCOUNT \
                      FROM sys.server_principals WHERE principal_id = 1\ngo\n\
                      BEGIN TRAN\nSELECT @@TRANCOUNT AS t\nROLLBACK\ngo\n\
                      SELECT * FROM sys.no_such_view\ngo\nexit\n",
                )
                .unwrap();
            let out = child.wait_with_output().unwrap();
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
        .await
        .unwrap();
        assert!(
            out.contains("sa\t1\t5000000000\t15.0.2000.5\t0"),
            "TDS {version}: {out}"
        );
        assert!(
            out.contains("\n1\n"),
            "TDS {version}: @@TRANCOUNT in BEGIN TRAN: {out}"
        );
        assert!(
            out.contains("Msg 208") && out.contains("Invalid object name 'sys.no_such_view'"),
            "TDS {version}: {out}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tiberius_parameters_of_its_types_arrive_intact() {
    let server = mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut client = common::connect(server.addr.port(), "autodbaudit", common::PASSWORD, None)
        .await
        .unwrap();
    let guid = tiberius::Uuid::parse_str("01020304-0506-0708-090a-0b0c0d0e0f10").unwrap();
    let number = tiberius::numeric::Numeric::new_with_scale(12_345, 2);
    let bytes: &[u8] = &[1, 2];
    let long = "x".repeat(5000);
    let checks = [
        "@P1 = 255",
        "@P2 = -7",
        "@P3 = 42",
        "@P4 = 1099511627776",
        "@P5 = 0.5",
        "@P6 = 2.5",
        "@P7 = 1",
        "@P8 = N'wörld'",
        "@P9 = 0x0102",
        "@P10 = 123.45",
        "@P11 = '01020304-0506-0708-090A-0B0C0D0E0F10'",
        "LEN(@P12) = 5000",
        "@P13 IS NULL",
    ];
    let none: Option<i32> = None;
    for (i, check) in checks.iter().enumerate() {
        let sql = format!("SELECT CASE WHEN {check} THEN 1 ELSE 0 END AS ok");
        let row = client
            .query(
                sql.as_str(),
                &[
                    &255u8,
                    &-7i16,
                    &42i32,
                    &(1i64 << 40),
                    &0.5f32,
                    &2.5f64,
                    &true,
                    &"wörld",
                    &bytes,
                    &number,
                    &guid,
                    &long.as_str(),
                    &none,
                ],
            )
            .await
            .unwrap()
            .into_row()
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            row.get::<i32, _>("ok"),
            Some(1),
            "parameter {}: {check}",
            i + 1
        );
    }
}

/// An ODBC session at its default (autocommit off) is always inside a Transaction Manager
/// transaction; when it only reads, its rollback or disconnect must not undo what another
/// session changed meanwhile.
#[tokio::test(flavor = "multi_thread")]
async fn a_reading_session_s_rollback_keeps_other_sessions_changes() {
    let server = mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut reader = Raw::connect(server.addr.port(), TDS_74).await;
    let mut writer = Raw::connect(server.addr.port(), TDS_74).await;
    let d = began(&reader.tm(0, 5, &[0, 0]).await).unwrap();
    reader
        .batch(d, "SELECT name FROM sys.server_principals")
        .await;
    assert!(errors(&writer.batch(0, "ALTER LOGIN old_vendor ENABLE").await).is_empty());
    let t = reader.tm(d, 8, &[0, 1, 0, 0]).await;
    let d = began(&t).unwrap();
    assert!(
        old_vendor_enabled(&server),
        "the reader's rollback kept the writer's change"
    );
    reader.batch(d, "SELECT 1").await;
    drop(reader);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(old_vendor_enabled(&server), "so did its disconnect");
    // A session that changed something inside its transaction still has it undone.
    let mut odbc = Raw::connect(server.addr.port(), TDS_74).await;
    let d = began(&odbc.tm(0, 5, &[0, 0]).await).unwrap();
    odbc.batch(d, "ALTER LOGIN old_vendor DISABLE").await;
    assert!(!old_vendor_enabled(&server));
    assert_eq!(ended(&odbc.tm(d, 8, &[0, 0]).await, 10), Some(d));
    assert!(old_vendor_enabled(&server));
}
