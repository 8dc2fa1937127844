//! Built-in functions over TDS (tiberius), version by version: each exists from the release its
//! page on learn.microsoft.com names under "Applies to" (`/sql/t-sql/functions/<name>`) and is
//! refused before it with SQL Server's error 195 (`'NAME' is not a recognized built-in function
//! name.`, severity 15); the metadata functions read the fixture; error texts are worded as
//! SQL Server words them.

mod common;

use common::connect_encrypted;
use tiberius::EncryptionLevel;

/// Serves the built-in fixture `name` on a free loopback port.
async fn serve(name: &str) -> mssql_sim::RunningServer {
    let instance = mssql_sim::fixtures::builtin(name).expect("a built-in fixture");
    mssql_sim::start(instance, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

type Client = tiberius::Client<tokio_util::compat::Compat<tokio::net::TcpStream>>;

/// The sysadmin test login over TLS (hardened-2022 forces encryption).
async fn client(server: &mssql_sim::RunningServer) -> Client {
    connect_encrypted(server.addr.port(), EncryptionLevel::Required, None)
        .await
        .unwrap()
}

/// The first column of the first row, as text (NULL as None).
async fn text(client: &mut Client, sql: &str) -> Result<Option<String>, (u32, u8, String)> {
    let row = match client.simple_query(sql).await {
        Ok(stream) => stream.into_row().await,
        Err(e) => Err(e),
    };
    match row {
        Ok(row) => {
            let row = row.expect("a row");
            Ok(match row.try_get::<&str, _>(0).ok().flatten() {
                Some(s) => Some(s.to_owned()),
                None => row
                    .try_get::<i32, _>(0)
                    .ok()
                    .flatten()
                    .map(|i| i.to_string())
                    .or_else(|| {
                        row.try_get::<i64, _>(0)
                            .ok()
                            .flatten()
                            .map(|i| i.to_string())
                    }),
            })
        }
        Err(tiberius::error::Error::Server(e)) => {
            Err((e.code(), e.class(), e.message().to_owned()))
        }
        Err(other) => panic!("{sql}: {other:?}"),
    }
}

/// (statement, what it returns from its release on, the fixture of that release, the fixture
/// of the release before, the name the 195 quotes).
const GATED: &[(&str, &str, &str, &str, &str)] = &[
    // SQL Server 2012 (11.x): iif, choose, concat, format, try-cast, try-convert, eomonth,
    // datefromparts (logical-functions-iif-transact-sql, …).
    (
        "SELECT IIF(1 = 2, 'a', 'b')",
        "b",
        "sql2012",
        "legacy-2008r2",
        "IIF",
    ),
    (
        "SELECT CHOOSE(3, 'a', 'b', 'c')",
        "c",
        "sql2012",
        "legacy-2008r2",
        "CHOOSE",
    ),
    (
        "SELECT CONCAT('a', NULL, 'b')",
        "ab",
        "sql2012",
        "legacy-2008r2",
        "CONCAT",
    ),
    (
        "SELECT FORMAT(1234567, 'N0')",
        "1,234,567",
        "sql2012",
        "legacy-2008r2",
        "FORMAT",
    ),
    (
        "SELECT CAST(TRY_CAST('7' AS int) AS nvarchar(10))",
        "7",
        "sql2012",
        "legacy-2008r2",
        "TRY_CAST",
    ),
    (
        "SELECT CAST(TRY_CONVERT(int, '7') AS nvarchar(10))",
        "7",
        "sql2012",
        "legacy-2008r2",
        "TRY_CONVERT",
    ),
    (
        "SELECT CAST(EOMONTH('2023-02-10') AS nvarchar(10))",
        "2023-02-28",
        "sql2012",
        "legacy-2008r2",
        "EOMONTH",
    ),
    (
        "SELECT CAST(DATEFROMPARTS(2024, 2, 29) AS nvarchar(10))",
        "2024-02-29",
        "sql2012",
        "legacy-2008r2",
        "DATEFROMPARTS",
    ),
    (
        "SELECT CAST(DATETIMEFROMPARTS(2010, 12, 31, 23, 59, 59, 0) AS nvarchar(30))",
        "2010-12-31 23:59:59.000",
        "sql2012",
        "legacy-2008r2",
        "DATETIMEFROMPARTS",
    ),
    // SQL Server 2016 (13.x): json-value, isjson, datediff-big.
    (
        "SELECT JSON_VALUE(N'{\"a\": [1, \"x\"]}', '$.a[1]')",
        "x",
        "sql2016",
        "sql2014",
        "JSON_VALUE",
    ),
    (
        "SELECT CAST(ISJSON(N'[1]') AS nvarchar(5))",
        "1",
        "sql2016",
        "sql2014",
        "ISJSON",
    ),
    (
        "SELECT CAST(DATEDIFF_BIG(second, '2024-01-01', '2024-01-02') AS nvarchar(20))",
        "86400",
        "sql2016",
        "sql2014",
        "DATEDIFF_BIG",
    ),
    // SQL Server 2017 (14.x): string-agg, concat-ws, trim, translate.
    (
        "SELECT STRING_AGG(name, ',') WITHIN GROUP (ORDER BY name) FROM sys.databases WHERE name IN ('model', 'master')",
        "master,model",
        "sql2017",
        "sql2016",
        "STRING_AGG",
    ),
    (
        "SELECT CONCAT_WS('.', 'a', NULL, 'b')",
        "a.b",
        "sql2017",
        "sql2016",
        "CONCAT_WS",
    ),
    ("SELECT TRIM('  a  ')", "a", "sql2017", "sql2016", "TRIM"),
    (
        "SELECT TRANSLATE('[x]', '[]', '()')",
        "(x)",
        "sql2017",
        "sql2016",
        "TRANSLATE",
    ),
    // SQL Server 2022 (16.x): logical-functions-greatest/least.
    (
        "SELECT CAST(GREATEST(1, NULL, 5, 3) AS nvarchar(10))",
        "5",
        "hardened-2022",
        "typical-2019",
        "GREATEST",
    ),
    (
        "SELECT CAST(LEAST(4, 2, NULL) AS nvarchar(10))",
        "2",
        "hardened-2022",
        "typical-2019",
        "LEAST",
    ),
    (
        "SELECT CAST(DATETRUNC(month, '2024-03-05 14:07:09') AS nvarchar(30))",
        "2024-03-01 00:00:00.000",
        "hardened-2022",
        "typical-2019",
        "DATETRUNC",
    ),
];

#[tokio::test]
async fn each_builtin_is_there_from_its_release_and_195_before() {
    let mut servers = std::collections::HashMap::new();
    for &(_, _, from, before, _) in GATED {
        for name in [from, before] {
            if !servers.contains_key(name) {
                servers.insert(name, serve(name).await);
            }
        }
    }
    for &(sql, want, from, before, name) in GATED {
        let mut c = client(&servers[from]).await;
        assert_eq!(
            text(&mut c, sql).await,
            Ok(Some(want.to_owned())),
            "{sql} on {from}"
        );
        let mut c = client(&servers[before]).await;
        assert_eq!(
            text(&mut c, sql).await,
            Err((
                195,
                15,
                format!("'{name}' is not a recognized built-in function name.")
            )),
            "{sql} on {before}"
        );
    }
}

#[tokio::test]
async fn sqlite_functions_are_no_builtins_and_string_split_is_an_object_from_2016() {
    let server = serve("sql2025").await;
    let mut c = client(&server).await;
    for (sql, name) in [
        ("SELECT IFNULL(NULL, 1)", "IFNULL"),
        ("SELECT printf('%d', 1)", "printf"),
        (
            "SELECT group_concat(name) FROM sys.databases",
            "group_concat",
        ),
    ] {
        assert_eq!(
            text(&mut c, sql).await,
            Err((
                195,
                15,
                format!("'{name}' is not a recognized built-in function name.")
            )),
            "{sql}"
        );
    }
    // string-split-transact-sql: SQL Server 2016 (13.x) and later; before, no such object.
    let server = serve("sql2016").await;
    let mut c = client(&server).await;
    assert_eq!(
        text(
            &mut c,
            "SELECT value FROM STRING_SPLIT('x;y', ';') WHERE value <> 'x'"
        )
        .await,
        Ok(Some("y".to_owned()))
    );
    let server = serve("sql2014").await;
    let mut c = client(&server).await;
    assert_eq!(
        text(&mut c, "SELECT value FROM STRING_SPLIT('a,b', ',')").await,
        Err((208, 16, "Invalid object name 'STRING_SPLIT'.".to_owned()))
    );
}

#[tokio::test]
async fn metadata_functions_read_the_fixture() {
    let server = serve("legacy-2008r2").await;
    let mut c = client(&server).await;
    for (sql, want) in [
        (
            "SELECT PARSENAME('LEGACYSQL01.SalesDB.dbo.Orders', 3)",
            Some("SalesDB"),
        ),
        ("SELECT PARSENAME('[a.b].[c]]d]', 2)", Some("a.b")),
        ("SELECT PARSENAME('dbo.Orders', 3)", None),
        ("SELECT SCHEMA_NAME(4)", Some("sys")),
        ("SELECT USER_NAME(1)", Some("dbo")),
        (
            "SELECT CAST(DATABASE_PRINCIPAL_ID('db_owner') AS nvarchar(10))",
            Some("16384"),
        ),
        (
            "SELECT CAST(HAS_PERMS_BY_NAME('SalesDB.dbo.Orders', 'OBJECT', 'SELECT') AS nvarchar(10))",
            Some("1"),
        ),
        (
            "SELECT CAST(HAS_PERMS_BY_NAME('SalesDB.dbo.NoSuchTable', 'OBJECT', 'SELECT') AS nvarchar(10))",
            None,
        ),
        ("SELECT CAST(SCHEMA_ID('dbo') AS nvarchar(10))", Some("1")),
        ("SELECT DB_NAME(DB_ID('SalesDB'))", Some("SalesDB")),
        (
            "SELECT OBJECT_NAME(OBJECT_ID('SalesDB.dbo.Orders'), DB_ID('SalesDB'))",
            Some("Orders"),
        ),
        (
            "SELECT OBJECT_SCHEMA_NAME(OBJECT_ID('SalesDB.dbo.Orders'), DB_ID('SalesDB'))",
            Some("dbo"),
        ),
        (
            "SELECT CAST(OBJECT_ID('SalesDB.dbo.NoSuchTable') AS nvarchar(20))",
            None,
        ),
    ] {
        assert_eq!(
            text(&mut c, sql).await,
            Ok(want.map(str::to_owned)),
            "{sql}"
        );
    }
    let id = text(
        &mut c,
        "SELECT CAST(object_id AS nvarchar(20)) FROM SalesDB.sys.objects WHERE name = 'Orders'",
    )
    .await
    .unwrap();
    c.simple_query("USE SalesDB")
        .await
        .unwrap()
        .into_results()
        .await
        .unwrap();
    assert_eq!(
        text(
            &mut c,
            "SELECT CAST(OBJECT_ID('Orders', 'U') AS nvarchar(20))"
        )
        .await,
        Ok(id)
    );
}

#[tokio::test]
async fn connectionproperty_describes_this_connection() {
    // connectionproperty-transact-sql; physical_net_transport is not on the 2008 R2 page.
    for (fixture, physical) in [("legacy-2008r2", None), ("sql2012", Some("TCP"))] {
        let server = serve(fixture).await;
        let port = server.addr.port().to_string();
        let mut c = client(&server).await;
        for (property, want) in [
            ("net_transport", Some("TCP")),
            ("protocol_type", Some("TSQL")),
            ("auth_scheme", Some("SQL")),
            ("client_net_address", Some("127.0.0.1")),
            ("local_net_address", Some("127.0.0.1")),
            ("local_tcp_port", Some(port.as_str())),
            ("physical_net_transport", physical),
            ("no_such_property", None),
        ] {
            let sql = format!("SELECT CAST(CONNECTIONPROPERTY('{property}') AS nvarchar(40))");
            assert_eq!(
                text(&mut c, &sql).await,
                Ok(want.map(str::to_owned)),
                "{property} on {fixture}"
            );
        }
    }
}

#[tokio::test]
async fn serverproperty_properties_exist_from_their_release() {
    // serverproperty-transact-sql: ProductMajorVersion and IsHadrEnabled from 2012, IsXTPSupported
    // from 2014, IsTempDbMetadataMemoryOptimized from 2019; NULL before (and for any other name).
    for (fixture, major, hadr, xtp, tempdb) in [
        ("legacy-2008r2", None, None, None, None),
        ("sql2012", Some("11"), Some("0"), None, None),
        ("sql2014", Some("12"), Some("0"), Some("1"), None),
        ("typical-2019", Some("15"), Some("0"), Some("1"), Some("0")),
    ] {
        let server = serve(fixture).await;
        let mut c = client(&server).await;
        for (property, want) in [
            ("ProductMajorVersion", major),
            ("IsHadrEnabled", hadr),
            ("IsXTPSupported", xtp),
            ("IsTempDbMetadataMemoryOptimized", tempdb),
            ("SqlSortOrderName", Some("nocase_iso")),
            ("NoSuchProperty", None),
        ] {
            let sql = format!("SELECT CAST(SERVERPROPERTY('{property}') AS nvarchar(128))");
            assert_eq!(
                text(&mut c, &sql).await,
                Ok(want.map(str::to_owned)),
                "{property} on {fixture}"
            );
        }
    }
}

#[tokio::test]
async fn column_and_object_errors_are_worded_as_sql_server_words_them() {
    let server = serve("typical-2019").await;
    let mut c = client(&server).await;
    for (sql, want) in [
        (
            "SELECT d.no_such_column FROM sys.databases AS d",
            (207, 16, "Invalid column name 'no_such_column'."),
        ),
        (
            "SELECT name FROM dbo.no_such_table",
            (208, 16, "Invalid object name 'dbo.no_such_table'."),
        ),
        // sys.dm_os_sys_info: physical_memory_in_bytes is SQL Server 2008 and 2008 R2 only.
        (
            "SELECT physical_memory_in_bytes FROM sys.dm_os_sys_info",
            (207, 16, "Invalid column name 'physical_memory_in_bytes'."),
        ),
    ] {
        assert_eq!(
            text(&mut c, sql).await,
            Err((want.0, want.1, want.2.to_owned())),
            "{sql}"
        );
    }
    let server = serve("legacy-2008r2").await;
    let mut c = client(&server).await;
    assert!(
        text(
            &mut c,
            "SELECT CAST(physical_memory_in_bytes AS nvarchar(30)) FROM sys.dm_os_sys_info"
        )
        .await
        .is_ok()
    );
    assert_eq!(
        text(&mut c, "SELECT physical_memory_kb FROM sys.dm_os_sys_info").await,
        Err((
            207,
            16,
            "Invalid column name 'physical_memory_kb'.".to_owned()
        ))
    );
}
