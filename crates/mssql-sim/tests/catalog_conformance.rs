//! The catalog against its single source, the data files in `crates/mssql-sim/catalog/`: for
//! every emulated version, `SELECT TOP 0 *` of every object answers over TDS with exactly the
//! documented columns of that version — names, order, nullability and TYPE_INFO — and an object the version
//! does not have answers 208. The TYPE_INFO each T-SQL type must have is written here from
//! MS-TDS 2.2.5.4 (data type definitions) and 2.2.5.6 (TYPE_INFO), independently of the
//! simulator's own mapping. Also a sample of "applies to" boundaries, each absent on the
//! version just before it appears.

mod common;

use common::raw::{Raw, utf16};
use mssql_sim::catalog_schema::{self, Object};
use mssql_sim::instance::{Encryption, Version};
use mssql_sim::{Instance, Login};

const TDS_74: u32 = 0x7400_0004;

/// One build of every release the simulator emulates, and the builds just before and at the
/// service packs that changed the catalog (2008 R2 SP1, 2012 SP4, 2014 SP3, 2016 SP1 and SP2).
const VERSIONS: &[Version] = &[
    Version::new(10, 50, 1600, 1),
    Version::new(10, 50, 6000, 34),
    Version::new(11, 0, 2100, 60),
    Version::new(11, 0, 7001, 0),
    Version::new(12, 0, 5000, 0),
    Version::new(12, 0, 6024, 0),
    Version::new(13, 0, 1601, 5),
    Version::new(13, 0, 4001, 0),
    Version::new(13, 0, 5026, 0),
    Version::new(14, 0, 1000, 169),
    Version::new(15, 0, 2000, 5),
    Version::new(16, 0, 1000, 6),
    Version::new(17, 0, 1000, 7),
];

fn instance(version: Version) -> Instance {
    let mut instance = Instance::new("CATALOG01", version, "Enterprise Edition (64-bit)");
    instance.encryption = Encryption::Unavailable;
    instance
        .logins
        .push(Login::new("autodbaudit", common::PASSWORD).in_role("sysadmin"));
    instance.normalize().expect("valid instance");
    instance
}

/// A column as COLMETADATA describes it: name, whether it may be NULL (Flags' fNullable), TDS
/// type, and the TYPE_INFO numbers that follow it (maximum length in bytes, or precision and
/// scale, or the time scale).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Meta {
    name: String,
    nullable: bool,
    type_info: (u8, u32, u8, u8),
}

/// What a response says: the columns of its first COLMETADATA, and its error numbers.
fn columns_and_errors(d: &[u8]) -> (Option<Vec<Meta>>, Vec<i32>) {
    let mut at = 0;
    let mut columns = None;
    let mut errors = Vec::new();
    let u16_at = |at: usize| u32::from(u16::from_le_bytes([d[at], d[at + 1]]));
    let u32_at = |at: usize| u32::from_le_bytes(d[at..at + 4].try_into().unwrap());
    while at < d.len() {
        let token = d[at];
        at += 1;
        match token {
            0x81 => {
                let count = u16_at(at);
                at += 2;
                let mut metas = Vec::new();
                for _ in 0..count {
                    let nullable = d[at + 4] & 1 == 1; // Flags after the UserType (TDS 7.2+)
                    at += 4 + 2;
                    let ty = d[at];
                    at += 1;
                    let info = match ty {
                        // Length-prefixed fixed types: INTN, BITN, FLTN, MONEYN, DATETIMN, GUID.
                        0x26 | 0x68 | 0x6D | 0x6E | 0x6F | 0x24 => {
                            at += 1;
                            (ty, u32::from(d[at - 1]), 0, 0)
                        }
                        0x28 => (ty, 3, 0, 0),
                        // TIMEN, DATETIME2N, DATETIMEOFFSETN: scale.
                        0x29..=0x2B => {
                            at += 1;
                            (ty, 0, 0, d[at - 1])
                        }
                        // DECIMALN, NUMERICN: length, precision, scale.
                        0x6A | 0x6C => {
                            at += 3;
                            (0x6A, u32::from(d[at - 3]), d[at - 2], d[at - 1])
                        }
                        0x62 => {
                            at += 4;
                            (ty, u32_at(at - 4), 0, 0)
                        }
                        // Character types: USHORTLEN, COLLATION.
                        0xE7 | 0xEF | 0xA7 | 0xAF => {
                            at += 7;
                            (ty, u16_at(at - 7), 0, 0)
                        }
                        0xA5 | 0xAD => {
                            at += 2;
                            (ty, u16_at(at - 2), 0, 0)
                        }
                        0xF1 => {
                            assert_eq!(d[at], 0, "an xml column with a schema");
                            at += 1;
                            (ty, 0, 0, 0)
                        }
                        // NTEXT, TEXT (collation), IMAGE: LONGLEN, then TableName's parts.
                        0x63 | 0x23 | 0x22 => {
                            let max = u32_at(at);
                            at += 4 + if ty == 0x22 { 0 } else { 5 };
                            let parts = d[at];
                            at += 1;
                            for _ in 0..parts {
                                at += 2 + 2 * u16_at(at) as usize;
                            }
                            (ty, max, 0, 0)
                        }
                        other => panic!("TDS type 0x{other:02X} not known to the test"),
                    };
                    let len = usize::from(d[at]);
                    let units: Vec<u16> = d[at + 1..at + 1 + 2 * len]
                        .chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .collect();
                    at += 1 + 2 * len;
                    metas.push(Meta {
                        name: String::from_utf16_lossy(&units),
                        nullable,
                        type_info: info,
                    });
                }
                columns.get_or_insert(metas);
            }
            0xAA | 0xAB | 0xE3 => {
                let len = u16_at(at) as usize;
                if token == 0xAA {
                    errors.push(u32_at(at + 2) as i32);
                }
                at += 2 + len;
            }
            0xFD..=0xFF => at += 12,
            other => panic!("token 0x{other:02X} in an answer to SELECT TOP 0"),
        }
    }
    (columns, errors)
}

/// The TYPE_INFO a T-SQL type has on a TDS 7.4 session (MS-TDS 2.2.5.4.1–2.2.5.4.3; lengths of
/// the character and binary types in bytes, 0xFFFF for a MAX type; `sysname` is
/// `nvarchar(128)`; `numeric` and `decimal` are one type).
fn expected_type_info(sql_type: &str) -> (u8, u32, u8, u8) {
    let (base, args) = match sql_type.split_once('(') {
        Some((b, a)) => (b, a.trim_end_matches(')')),
        None => (sql_type, ""),
    };
    let n = |i: usize| {
        args.split(',')
            .nth(i)
            .map(|a| a.trim().parse::<u32>().unwrap())
    };
    let len = |unit: u32, default: u32| match args {
        "max" => 0xFFFF,
        "" => default * unit,
        _ => n(0).unwrap() * unit,
    };
    match base {
        "tinyint" => (0x26, 1, 0, 0),
        "smallint" => (0x26, 2, 0, 0),
        "int" => (0x26, 4, 0, 0),
        "bigint" => (0x26, 8, 0, 0),
        "bit" => (0x68, 1, 0, 0),
        "real" => (0x6D, 4, 0, 0),
        "float" => (0x6D, 8, 0, 0),
        "money" => (0x6E, 8, 0, 0),
        "datetime" => (0x6F, 8, 0, 0),
        "smalldatetime" => (0x6F, 4, 0, 0),
        "date" => (0x28, 3, 0, 0),
        "time" => (0x29, 0, 0, n(0).unwrap_or(7) as u8),
        "datetime2" => (0x2A, 0, 0, n(0).unwrap_or(7) as u8),
        "datetimeoffset" => (0x2B, 0, 0, n(0).unwrap_or(7) as u8),
        "decimal" | "numeric" => {
            let precision = n(0).unwrap_or(18) as u8;
            let length = match precision {
                1..=9 => 5,
                10..=19 => 9,
                20..=28 => 13,
                _ => 17,
            };
            (0x6A, length, precision, n(1).unwrap_or(0) as u8)
        }
        "uniqueidentifier" => (0x24, 16, 0, 0),
        "sql_variant" => (0x62, 8016, 0, 0),
        "xml" => (0xF1, 0, 0, 0),
        "sysname" => (0xE7, 256, 0, 0),
        "nvarchar" => (0xE7, len(2, 1), 0, 0),
        "nchar" => (0xEF, len(2, 1), 0, 0),
        "varchar" => (0xA7, len(1, 1), 0, 0),
        "char" => (0xAF, len(1, 1), 0, 0),
        "varbinary" => (0xA5, len(1, 1), 0, 0),
        "binary" => (0xAD, len(1, 1), 0, 0),
        "ntext" => (0x63, 0x7FFF_FFFF, 0, 0),
        "text" => (0x23, 0x7FFF_FFFF, 0, 0),
        "image" => (0x22, 0x7FFF_FFFF, 0, 0),
        other => panic!("T-SQL type {other} not known to the test"),
    }
}

/// Runs a SQL batch (ALL_HEADERS with a transaction descriptor 0, MS-TDS 2.2.6.7) and returns
/// the response's token bytes.
async fn run(c: &mut Raw, sql: &str) -> Vec<u8> {
    let mut payload = 22u32.to_le_bytes().to_vec();
    payload.extend(18u32.to_le_bytes());
    payload.extend(2u16.to_le_bytes());
    payload.extend(0u64.to_le_bytes());
    payload.extend(1u32.to_le_bytes());
    payload.extend(utf16(sql));
    c.send(0x01, &payload).await;
    c.recv().await
}

async fn select_top_0(c: &mut Raw, object: &str) -> (Option<Vec<Meta>>, Vec<i32>) {
    columns_and_errors(&run(c, &format!("SELECT TOP 0 * FROM {object}")).await)
}

fn expected(o: &Object, version: Version) -> Vec<Meta> {
    o.columns_on(version)
        .map(|c| Meta {
            name: c.name.clone(),
            nullable: !c.not_null,
            type_info: expected_type_info(&c.sql_type),
        })
        .collect()
}

#[tokio::test]
async fn every_catalog_object_answers_with_its_documented_columns_on_every_version() {
    let objects = catalog_schema::objects();
    let mut checked = 0;
    for &version in VERSIONS {
        let server = mssql_sim::start(instance(version), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let mut c = Raw::connect(server.addr.port(), TDS_74).await;
        for o in objects {
            let (columns, errors) = select_top_0(&mut c, &o.name).await;
            if o.applies.on(version) {
                assert_eq!(errors, [] as [i32; 0], "{} on {version}", o.name);
                let columns =
                    columns.unwrap_or_else(|| panic!("{} on {version}: no columns", o.name));
                assert_eq!(
                    columns,
                    expected(o, version),
                    "{} on {version} ({}, {})",
                    o.name,
                    o.file,
                    o.docs
                );
                checked += 1;
            } else {
                assert_eq!(errors, [208], "{} must not exist on {version}", o.name);
            }
        }
        drop(server);
    }
    assert!(checked > 100 * VERSIONS.len() / 2, "{checked}");
}

/// A sample of "applies to" boundaries, asked as a user would ask: each object, column and
/// function is refused on the build just before the one that introduced it.
#[tokio::test]
async fn applies_to_boundaries_hold_on_the_build_before_and_the_build_that_introduced_them() {
    // (before, from, statement, error on the build before): each from the docs page named.
    let cases: &[(Version, Version, &str, i32)] = &[
        // sys.dm_os_host_info: "Applies to: SQL Server 2017 (14.x) and later".
        (
            Version::new(13, 0, 5026, 0),
            Version::new(14, 0, 1000, 169),
            "SELECT host_platform FROM sys.dm_os_host_info",
            208,
        ),
        // sys.dm_server_services: "SQL Server 2008 R2 SP1 and later".
        (
            Version::new(10, 50, 1600, 1),
            Version::new(10, 50, 2500, 0),
            "SELECT servicename FROM sys.dm_server_services",
            208,
        ),
        // sys.server_principals.is_fixed_role: from SQL Server 2012.
        (
            Version::new(10, 50, 6000, 34),
            Version::new(11, 0, 2100, 60),
            "SELECT is_fixed_role FROM sys.server_principals",
            207,
        ),
        // sys.dm_server_services.instant_file_initialization_enabled: 2016 SP1 (and 2012
        // SP4, 2014 SP3).
        (
            Version::new(13, 0, 1601, 5),
            Version::new(13, 0, 4001, 0),
            "SELECT instant_file_initialization_enabled FROM sys.dm_server_services",
            207,
        ),
        (
            Version::new(12, 0, 5000, 0),
            Version::new(12, 0, 6024, 0),
            "SELECT instant_file_initialization_enabled FROM sys.dm_server_services",
            207,
        ),
        // sys.dm_os_sys_info.physical_memory_in_bytes: 2008 and 2008 R2 only.
        (
            Version::new(11, 0, 2100, 60),
            Version::new(10, 50, 6000, 34),
            "SELECT physical_memory_in_bytes FROM sys.dm_os_sys_info",
            207,
        ),
        // sys.database_scoped_configurations: "SQL Server 2016 (13.x) and later".
        (
            Version::new(12, 0, 6024, 0),
            Version::new(13, 0, 1601, 5),
            "SELECT name FROM sys.database_scoped_configurations",
            208,
        ),
        // STRING_AGG: "SQL Server 2017 (14.x) and later" (string-agg-transact-sql).
        (
            Version::new(13, 0, 5026, 0),
            Version::new(14, 0, 1000, 169),
            "SELECT STRING_AGG(name, ',') FROM sys.databases",
            195,
        ),
    ];
    for (before, from, sql, error) in cases {
        for (version, expect) in [(*before, Some(*error)), (*from, None)] {
            let server = mssql_sim::start(instance(version), "127.0.0.1:0".parse().unwrap())
                .await
                .unwrap();
            let mut c = Raw::connect(server.addr.port(), TDS_74).await;
            let errors = errors_in(&run(&mut c, sql).await);
            match expect {
                Some(number) => assert_eq!(errors, [number], "{sql} on {version}"),
                None => assert_eq!(errors, [] as [i32; 0], "{sql} on {version}"),
            }
            drop(server);
        }
    }
}

/// The error numbers of a response that may also hold rows (only ERROR tokens are read: they
/// are found by walking from the start until the first COLMETADATA, which an error precedes).
fn errors_in(d: &[u8]) -> Vec<i32> {
    let mut errors = Vec::new();
    let mut at = 0;
    while at + 3 <= d.len() {
        match d[at] {
            0xAA | 0xAB | 0xE3 => {
                let len = usize::from(u16::from_le_bytes([d[at + 1], d[at + 2]]));
                if d[at] == 0xAA {
                    errors.push(i32::from_le_bytes(d[at + 3..at + 7].try_into().unwrap()));
                }
                at += 3 + len;
            }
            0xFD..=0xFF => at += 13,
            _ => break,
        }
    }
    errors
}

/// A column documented as never NULL has a value in every row the built-in instances show
/// (fixture values, or the fresh installation's default from the data): the metadata and the
/// rows agree.
#[tokio::test]
async fn columns_documented_as_never_null_hold_a_value_in_every_built_in_instance() {
    let mut missing = Vec::new();
    for name in mssql_sim::fixtures::BUILTIN {
        let mut instance = mssql_sim::fixtures::builtin(name).unwrap();
        instance.encryption = Encryption::Unavailable;
        let version = instance.version;
        let server = mssql_sim::start(instance, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let mut c = Raw::connect(server.addr.port(), TDS_74).await;
        for o in catalog_schema::objects_on(version) {
            for column in o.columns_on(version).filter(|c| c.not_null) {
                let sql = format!(
                    "SELECT TOP 1 1 FROM {} WHERE [{}] IS NULL",
                    o.name, column.name
                );
                let answer = run(&mut c, &sql).await;
                // A ROW token (0xD1) after the COLMETADATA: some row has NULL there.
                let (rows, errors) = rows_and_errors(&answer);
                assert_eq!(errors, [] as [i32; 0], "{sql} on {name}");
                if rows > 0 {
                    missing.push(format!("{name}: {}.{}", o.name, column.name));
                }
            }
        }
        drop(server);
    }
    assert!(
        missing.is_empty(),
        "NULL in a column documented as never NULL:\n{}",
        missing.join("\n")
    );
}

/// The number of ROW tokens and the error numbers of an answer whose rows hold one int.
fn rows_and_errors(d: &[u8]) -> (usize, Vec<i32>) {
    let mut at = 0;
    let mut rows = 0;
    let mut errors = Vec::new();
    while at < d.len() {
        match d[at] {
            // COLMETADATA of one INTN column: count, UserType, Flags, 0x26 len, name.
            0x81 => {
                at += 1 + 2 + 4 + 2 + 2;
                at += 1 + 2 * usize::from(d[at]);
            }
            0xD1 => {
                rows += 1;
                at += 2 + usize::from(d[at + 1]);
            }
            0xAA | 0xAB | 0xE3 => {
                let len = usize::from(u16::from_le_bytes([d[at + 1], d[at + 2]]));
                if d[at] == 0xAA {
                    errors.push(i32::from_le_bytes(d[at + 3..at + 7].try_into().unwrap()));
                }
                at += 3 + len;
            }
            0xFD..=0xFF => at += 13,
            other => panic!("token 0x{other:02X}"),
        }
    }
    (rows, errors)
}
