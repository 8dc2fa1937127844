//! The T-SQL people actually write in DBA scripts, over real TDS with tiberius: temporary
//! tables (session and global scope), table variables, INSERT … EXEC, dynamic SQL, cursors,
//! CROSS / OUTER APPLY, FOR XML PATH, qualified system functions, divide by zero — and what
//! already ran (CTEs, IF EXISTS, WHILE, TRY…CATCH, sp_executesql, TRY_CAST). Each asserts the
//! result SQL Server gives: values, row counts, error numbers and texts.

mod common;

use common::{PASSWORD, connect};
use tiberius::{Client, ColumnData};
use tokio::net::TcpStream;
use tokio_util::compat::Compat;

type Connection = Client<Compat<TcpStream>>;

async fn serve() -> mssql_sim::RunningServer {
    mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

async fn login(server: &mssql_sim::RunningServer) -> Connection {
    connect(server.addr.port(), "autodbaudit", PASSWORD, None)
        .await
        .unwrap()
}

/// A cell as text: NULL, numbers, strings, binary in hex.
fn text(data: &ColumnData<'_>) -> String {
    match data {
        ColumnData::U8(v) => v.map_or("NULL".into(), |v| v.to_string()),
        ColumnData::I16(v) => v.map_or("NULL".into(), |v| v.to_string()),
        ColumnData::I32(v) => v.map_or("NULL".into(), |v| v.to_string()),
        ColumnData::I64(v) => v.map_or("NULL".into(), |v| v.to_string()),
        ColumnData::F32(v) => v.map_or("NULL".into(), |v| v.to_string()),
        ColumnData::F64(v) => v.map_or("NULL".into(), |v| v.to_string()),
        ColumnData::Bit(v) => v.map_or("NULL".into(), |v| u8::from(v).to_string()),
        ColumnData::String(v) => v.as_ref().map_or("NULL".into(), |v| v.to_string()),
        ColumnData::Numeric(v) => v.map_or("NULL".into(), |v| v.to_string()),
        ColumnData::Binary(v) => v.as_ref().map_or("NULL".into(), |v| {
            v.iter().map(|b| format!("{b:02X}")).collect()
        }),
        other => format!("{other:?}"),
    }
}

/// Every result set of a batch, each row's cells as text.
async fn results(client: &mut Connection, sql: &str) -> Vec<Vec<Vec<String>>> {
    client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_results()
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|rows| {
            rows.into_iter()
                .map(|row| row.cells().map(|(_, d)| text(d)).collect())
                .collect()
        })
        .collect()
}

/// The last result set of a batch.
async fn rows(client: &mut Connection, sql: &str) -> Vec<Vec<String>> {
    results(client, sql).await.pop().unwrap_or_default()
}

/// The first error of a batch: number, severity, text.
async fn error(client: &mut Connection, sql: &str) -> (u32, u8, String) {
    let result = match client.simple_query(sql).await {
        Ok(stream) => stream.into_results().await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Err(tiberius::error::Error::Server(e)) => (e.code(), e.class(), e.message().to_owned()),
        other => panic!("{sql}: expected a server error, got {other:?}"),
    }
}

/// 0 when a batch succeeds, else its first error's number.
async fn outcome(client: &mut Connection, sql: &str) -> u32 {
    let result = match client.simple_query(sql).await {
        Ok(stream) => stream.into_results().await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => 0,
        Err(tiberius::error::Error::Server(e)) => e.code(),
        Err(other) => panic!("{sql}: {other:?}"),
    }
}

fn table(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
        .collect()
}

#[tokio::test]
async fn temporary_tables_are_created_written_read_and_dropped_with_their_types() {
    let server = serve().await;
    let mut c = login(&server).await;
    results(
        &mut c,
        "CREATE TABLE #t (id int NOT NULL, name nvarchar(50), amount decimal(10,2), seen datetime)",
    )
    .await;
    // A later batch of the same session sees it.
    let out = results(
        &mut c,
        "INSERT INTO #t VALUES (1, N'one', 1.50, '2024-01-02 03:04:05'), (2, N'two', NULL, NULL);
         INSERT INTO #t (id, name) SELECT database_id + 10, name FROM sys.databases WHERE database_id <= 2;
         UPDATE #t SET amount = 9.99 WHERE id > 10;
         DELETE FROM #t WHERE id = 12;
         SELECT id, name, amount FROM #t ORDER BY id",
    )
    .await;
    assert_eq!(
        out.last().unwrap(),
        &table(&[
            &["1", "one", "1.50"],
            &["2", "two", "NULL"],
            &["11", "master", "9.99"]
        ])
    );
    // Declared types travel to the client: int, nvarchar, decimal(10,2), datetime.
    let row = common::one_row(&mut c, "SELECT id, name, amount, seen FROM #t WHERE id = 1").await;
    assert_eq!(row.get::<i32, _>("id"), Some(1));
    assert_eq!(row.get::<&str, _>("name"), Some("one"));
    assert_eq!(
        row.get::<tiberius::numeric::Numeric, _>("amount")
            .map(|n| n.to_string()),
        Some("1.50".into())
    );
    assert!(matches!(
        row.cells().nth(3).map(|(_, d)| d),
        Some(ColumnData::DateTime(Some(_)))
    ));
    // Case-insensitive, as the instance's collation.
    assert_eq!(
        rows(&mut c, "SELECT COUNT(*) FROM #t WHERE name = 'ONE'").await,
        table(&[&["1"]])
    );
    // 2714 for a second CREATE, 208 for a missing table, 3701 for dropping one.
    assert_eq!(
        error(&mut c, "CREATE TABLE #t (x int)").await,
        (
            2714,
            16,
            "There is already an object named '#t' in the database.".into()
        )
    );
    assert_eq!(
        error(&mut c, "SELECT * FROM #nope").await,
        (208, 16, "Invalid object name '#nope'.".into())
    );
    assert_eq!(error(&mut c, "DROP TABLE #nope").await.0, 3701);
    // SELECT … INTO keeps the result's types; the idioms that drop before re-creating.
    let out = results(
        &mut c,
        "SELECT name, database_id INTO #dbs FROM sys.databases;
         SELECT COUNT(*) AS n, MAX(database_id) AS top_id FROM #dbs",
    )
    .await;
    assert_eq!(out.last().unwrap(), &table(&[&["5", "5"]]));
    let out = results(
        &mut c,
        "IF OBJECT_ID('tempdb..#dbs') IS NOT NULL DROP TABLE #dbs;
         SELECT OBJECT_ID('tempdb..#dbs') AS gone;
         DROP TABLE IF EXISTS #t;
         DROP TABLE IF EXISTS #t;
         SELECT CASE WHEN OBJECT_ID('tempdb..#t') IS NULL THEN 'dropped' END",
    )
    .await;
    assert_eq!(out[0], table(&[&["NULL"]]));
    assert_eq!(out.last().unwrap(), &table(&[&["dropped"]]));
    assert_eq!(
        error(&mut c, "SELECT 1 + 1 INTO #x").await,
        (
            8155,
            16,
            "No column name was specified for column 1 of '#x'.".into()
        )
    );
    // IDENTITY columns number the rows; an explicit value is refused.
    let out = results(
        &mut c,
        "CREATE TABLE #ids (id int IDENTITY(10, 5) NOT NULL, name sysname);
         INSERT INTO #ids (name) VALUES ('a'), ('b');
         INSERT INTO #ids VALUES ('c');
         SELECT id, name FROM #ids ORDER BY id",
    )
    .await;
    assert_eq!(
        out.last().unwrap(),
        &table(&[&["10", "a"], &["15", "b"], &["20", "c"]])
    );
    assert_eq!(
        error(&mut c, "INSERT INTO #ids (id, name) VALUES (1, 'x')")
            .await
            .0,
        544
    );
    // The statements changed nothing on the server: reads.
    assert_eq!(
        server.statement_counts().not_read(),
        0,
        "{:?}",
        server.statements()
    );
}

#[tokio::test]
async fn a_local_temporary_table_is_the_sessions_and_a_global_one_everyones() {
    let server = serve().await;
    let mut first = login(&server).await;
    let mut second = login(&server).await;
    results(
        &mut first,
        "CREATE TABLE #mine (x int); INSERT INTO #mine VALUES (1);
         CREATE TABLE ##shared (x int); INSERT INTO ##shared VALUES (7)",
    )
    .await;
    assert_eq!(
        error(&mut second, "SELECT x FROM #mine").await,
        (208, 16, "Invalid object name '#mine'.".into())
    );
    // The other session may have its own #mine.
    results(
        &mut second,
        "CREATE TABLE #mine (y nvarchar(10)); INSERT INTO #mine VALUES ('two')",
    )
    .await;
    assert_eq!(
        rows(&mut second, "SELECT y FROM #mine").await,
        table(&[&["two"]])
    );
    assert_eq!(
        rows(&mut first, "SELECT x FROM #mine").await,
        table(&[&["1"]])
    );
    assert_eq!(
        rows(&mut second, "SELECT x FROM ##shared").await,
        table(&[&["7"]])
    );
    // Gone when the session that created them ends.
    drop(first);
    let mut tries = 0;
    loop {
        let number = outcome(&mut second, "SELECT x FROM ##shared").await;
        if number == 208 || tries > 50 {
            assert_eq!(number, 208);
            break;
        }
        tries += 1;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        rows(&mut second, "SELECT y FROM #mine").await,
        table(&[&["two"]])
    );
}

#[tokio::test]
async fn table_variables_live_for_their_batch() {
    let server = serve().await;
    let mut c = login(&server).await;
    let out = results(
        &mut c,
        "DECLARE @t TABLE (name sysname, n int);
         INSERT INTO @t (name, n) SELECT name, database_id FROM sys.databases WHERE database_id < 4;
         UPDATE @t SET n = n * 10 WHERE name = 'tempdb';
         DELETE FROM @t WHERE n = 1;
         SELECT name, n FROM @t ORDER BY n",
    )
    .await;
    assert_eq!(
        out.last().unwrap(),
        &table(&[&["model", "3"], &["tempdb", "20"]])
    );
    assert_eq!(
        error(&mut c, "SELECT * FROM @t").await,
        (1087, 15, "Must declare the table variable \"@t\".".into())
    );
    assert_eq!(server.statement_counts().not_read(), 0);
}

#[tokio::test]
async fn insert_exec_and_dynamic_sql() {
    let server = serve().await;
    let mut c = login(&server).await;
    let out = results(
        &mut c,
        "CREATE TABLE #cfg (name nvarchar(70), minimum int, maximum int, config_value int, run_value int);
         INSERT INTO #cfg EXEC sp_configure 'remote access';
         SELECT name, run_value FROM #cfg",
    )
    .await;
    assert_eq!(out.last().unwrap(), &table(&[&["remote access", "1"]]));
    let out = results(
        &mut c,
        "DECLARE @sql nvarchar(max) = N'SELECT name FROM sys.databases WHERE database_id = 1';
         EXEC (@sql);
         EXEC ('SELECT ' + '2 AS two');
         EXECUTE (N'SELECT 3');
         CREATE TABLE #d (x int);
         INSERT #d (x) EXEC (N'SELECT 4 UNION ALL SELECT 5');
         EXEC ('INSERT INTO #d VALUES (6)');
         SELECT SUM(x) FROM #d",
    )
    .await;
    assert_eq!(out[0], table(&[&["master"]]));
    assert_eq!(out[1], table(&[&["2"]]));
    assert_eq!(out[2], table(&[&["3"]]));
    assert_eq!(out.last().unwrap(), &table(&[&["15"]]));
    // The caller's variables are not the dynamic batch's.
    assert_eq!(
        error(&mut c, "DECLARE @x int = 1; EXEC ('SELECT @x')").await,
        (137, 15, "Must declare the scalar variable \"@x\".".into())
    );
    assert_eq!(
        error(&mut c, "INSERT INTO #d EXEC ('SELECT 1, 2')").await,
        (
            213,
            16,
            "Column name or number of supplied values does not match table definition.".into()
        )
    );
}

#[tokio::test]
async fn cursors_walk_a_result_with_fetch_status() {
    let server = serve().await;
    let mut c = login(&server).await;
    let out = results(
        &mut c,
        "DECLARE @name sysname, @id int, @all nvarchar(max) = N'';
         DECLARE dbs CURSOR LOCAL FAST_FORWARD FOR
             SELECT name, database_id FROM sys.databases WHERE database_id <= 3 ORDER BY database_id;
         OPEN dbs;
         FETCH NEXT FROM dbs INTO @name, @id;
         WHILE @@FETCH_STATUS = 0
         BEGIN
             SET @all = @all + @name + N';';
             FETCH NEXT FROM dbs INTO @name, @id;
         END
         SELECT @all AS names, @@FETCH_STATUS AS status;
         CLOSE dbs;
         DEALLOCATE dbs;",
    )
    .await;
    assert_eq!(
        out.last().unwrap(),
        &table(&[&["master;tempdb;model;", "-1"]])
    );
    // A GLOBAL cursor outlives its batch; FETCH without INTO returns the row.
    results(
        &mut c,
        "DECLARE g CURSOR GLOBAL STATIC READ_ONLY FOR SELECT name FROM sys.databases WHERE database_id = 2; OPEN g",
    )
    .await;
    assert_eq!(
        rows(&mut c, "FETCH NEXT FROM g").await,
        table(&[&["tempdb"]])
    );
    assert_eq!(
        error(&mut c, "OPEN g").await,
        (16905, 16, "The cursor is already open.".into())
    );
    results(&mut c, "CLOSE g").await;
    assert_eq!(
        error(&mut c, "FETCH NEXT FROM g").await,
        (16917, 16, "Cursor is not open.".into())
    );
    results(&mut c, "DEALLOCATE g").await;
    assert_eq!(
        error(&mut c, "OPEN g").await,
        (
            16916,
            16,
            "A cursor with the name 'g' does not exist.".into()
        )
    );
    assert_eq!(server.statement_counts().not_read(), 0);
}

#[tokio::test]
async fn cross_and_outer_apply_evaluate_the_right_side_per_row() {
    let server = serve().await;
    let mut c = login(&server).await;
    results(
        &mut c,
        "CREATE TABLE #a (k int, name nvarchar(20));
         INSERT INTO #a VALUES (1, 'one'), (2, 'two'), (3, 'three');
         CREATE TABLE #b (k int, v int);
         INSERT INTO #b VALUES (1, 10), (1, 30), (2, 20)",
    )
    .await;
    assert_eq!(
        rows(
            &mut c,
            "SELECT a.name, x.v FROM #a AS a
             CROSS APPLY (SELECT TOP 1 b.v FROM #b AS b WHERE b.k = a.k ORDER BY b.v DESC) x
             ORDER BY a.k"
        )
        .await,
        table(&[&["one", "30"], &["two", "20"]])
    );
    assert_eq!(
        rows(
            &mut c,
            "SELECT a.name, n FROM #a a
             OUTER APPLY (SELECT COUNT(*) AS n FROM #b b WHERE b.k = a.k) x
             ORDER BY a.k"
        )
        .await,
        table(&[&["one", "2"], &["two", "1"], &["three", "0"]])
    );
    assert_eq!(
        rows(
            &mut c,
            "SELECT a.name, x.v FROM #a a OUTER APPLY (SELECT v FROM #b WHERE #b.k = a.k) x ORDER BY a.k, x.v"
        )
        .await,
        table(&[&["one", "10"], &["one", "30"], &["two", "20"], &["three", "NULL"]])
    );
    // A table-valued function on the outer row.
    assert_eq!(
        rows(
            &mut c,
            "SELECT a.name, s.value FROM #a a CROSS APPLY STRING_SPLIT(a.name, 'e') s WHERE a.k = 3"
        )
        .await,
        table(&[&["three", "thr"], &["three", ""], &["three", ""]])
    );
    let (number, _, message) = error(
        &mut c,
        "SELECT * FROM #a a CROSS APPLY sys.fn_no_such(a.k) x",
    )
    .await;
    assert_eq!(number, 102, "{message}");
}

#[tokio::test]
async fn for_xml_path_builds_strings_and_elements() {
    let server = serve().await;
    let mut c = login(&server).await;
    results(
        &mut c,
        "CREATE TABLE #n (id int, name nvarchar(20));
         INSERT INTO #n VALUES (1, 'a&b'), (2, '<c>'), (3, NULL)",
    )
    .await;
    assert_eq!(
        rows(
            &mut c,
            "SELECT STUFF((SELECT ',' + name FROM #n WHERE name IS NOT NULL ORDER BY id FOR XML PATH('')), 1, 1, '') AS list"
        )
        .await,
        table(&[&["a&amp;b,&lt;c&gt;"]])
    );
    assert_eq!(
        rows(
            &mut c,
            "SELECT id AS [@id], name FROM #n ORDER BY id FOR XML PATH('row'), ROOT('x')"
        )
        .await,
        table(&[&[
            "<x><row id=\"1\"><name>a&amp;b</name></row><row id=\"2\"><name>&lt;c&gt;</name></row><row id=\"3\"/></x>"
        ]])
    );
    assert_eq!(
        rows(&mut c, "SELECT name FROM sys.databases WHERE database_id < 3 ORDER BY database_id FOR XML PATH, TYPE").await,
        table(&[&["<row><name>master</name></row><row><name>tempdb</name></row>"]])
    );
}

#[tokio::test]
async fn qualified_system_functions_and_missing_user_functions() {
    let server = serve().await;
    let mut c = login(&server).await;
    let row = common::one_row(
        &mut c,
        "SELECT DATEPART(hour, msdb.dbo.agent_datetime(20240101, 120000)) AS hour,
                DATEDIFF(second, msdb.dbo.agent_datetime(20240101, 120000), '2024-01-01 12:00:30') AS seconds,
                master.sys.fn_varbintohexstr(0x0A) AS hex",
    )
    .await;
    assert_eq!(row.get::<i32, _>("hour"), Some(12));
    assert_eq!(row.get::<i32, _>("seconds"), Some(30));
    assert_eq!(row.get::<&str, _>("hex"), Some("0x0a"));
    assert_eq!(
        error(&mut c, "SELECT dbo.f(1)").await,
        (
            4121,
            16,
            "Cannot find either column \"dbo\" or the user-defined function or aggregate \"dbo.f\", or the name is ambiguous.".into()
        )
    );
}

#[tokio::test]
async fn divide_by_zero_raises_8134_which_catch_handles() {
    let server = serve().await;
    let mut c = login(&server).await;
    assert_eq!(
        error(&mut c, "SELECT 1/0").await,
        (8134, 16, "Divide by zero error encountered.".into())
    );
    assert_eq!(
        rows(
            &mut c,
            "BEGIN TRY SELECT 1/0 END TRY BEGIN CATCH SELECT ERROR_NUMBER(), ERROR_MESSAGE() END CATCH"
        )
        .await,
        table(&[&["8134", "Divide by zero error encountered."]])
    );
    assert_eq!(
        rows(&mut c, "SELECT 7 / 2, 7 % 2, 7.0 / 2, NULL / 0").await,
        table(&[&["3", "1", "3.5", "NULL"]])
    );
}

#[tokio::test]
async fn what_already_ran_still_runs() {
    let server = serve().await;
    let mut c = login(&server).await;
    assert_eq!(
        rows(
            &mut c,
            "WITH c AS (SELECT name, database_id FROM sys.databases) SELECT name FROM c WHERE database_id = 1"
        )
        .await,
        table(&[&["master"]])
    );
    assert_eq!(
        rows(
            &mut c,
            "IF EXISTS (SELECT 1 FROM sys.databases WHERE name = 'SalesDB') SELECT 'yes' ELSE SELECT 'no'"
        )
        .await,
        table(&[&["yes"]])
    );
    assert_eq!(
        rows(
            &mut c,
            "DECLARE @i int = 0, @s int = 0;
             WHILE 1 = 1 BEGIN
                 SET @i = @i + 1;
                 IF @i > 5 BREAK;
                 IF @i = 2 CONTINUE;
                 SET @s = @s + @i;
             END
             SELECT @s"
        )
        .await,
        table(&[&["13"]])
    );
    assert_eq!(
        rows(
            &mut c,
            "EXEC sp_executesql N'SELECT @a + 1', N'@a int', @a = 41"
        )
        .await,
        table(&[&["42"]])
    );
    assert_eq!(
        rows(
            &mut c,
            "SELECT TRY_CAST('x' AS int), TRY_CONVERT(int, '12')"
        )
        .await,
        table(&[&["NULL", "12"]])
    );
}

#[tokio::test]
async fn more_errors_as_sql_server_words_them() {
    let server = serve().await;
    let mut c = login(&server).await;
    assert_eq!(
        error(&mut c, "DECLARE @t TABLE (x int); DECLARE @t TABLE (y int)").await,
        (
            134,
            15,
            "The variable name '@t' has already been declared. Variable names must be unique within a query batch or stored procedure.".into()
        )
    );
    assert_eq!(
        error(
            &mut c,
            "DECLARE c CURSOR FOR SELECT 1; DECLARE c CURSOR FOR SELECT 2"
        )
        .await,
        (
            16915,
            16,
            "A cursor with the name 'c' already exists.".into()
        )
    );
    results(&mut c, "DEALLOCATE c").await;
    assert_eq!(
        error(
            &mut c,
            "CREATE TABLE #nn (x int NOT NULL); INSERT INTO #nn VALUES (NULL)"
        )
        .await
        .0,
        515
    );
    assert_eq!(
        error(
            &mut c,
            "DECLARE @a int; DECLARE k CURSOR LOCAL FOR SELECT 1, 2; OPEN k; FETCH NEXT FROM k INTO @a"
        )
        .await,
        (
            16924,
            16,
            "Cursorfetch: The number of variables declared in the INTO list must match that of selected columns.".into()
        )
    );
    // A SCROLL cursor (ISO form) moves back; a forward-only one may not.
    let out = results(
        &mut c,
        "DECLARE @n sysname;
         DECLARE s INSENSITIVE SCROLL CURSOR FOR SELECT name FROM sys.databases WHERE database_id <= 2 ORDER BY database_id;
         OPEN s;
         FETCH LAST FROM s INTO @n;
         FETCH PRIOR FROM s INTO @n;
         SELECT @n, @@FETCH_STATUS;
         DEALLOCATE s",
    )
    .await;
    assert_eq!(out.last().unwrap(), &table(&[&["master", "0"]]));
    assert_eq!(
        error(
            &mut c,
            "DECLARE f CURSOR LOCAL FORWARD_ONLY FOR SELECT 1; OPEN f; FETCH FIRST FROM f"
        )
        .await,
        (
            16911,
            16,
            "fetch: The fetch type FIRST cannot be used with forward only cursors.".into()
        )
    );
    // An error inside dynamic SQL reaches the caller's CATCH; a USE inside lasts until its end.
    assert_eq!(
        rows(
            &mut c,
            "BEGIN TRY EXEC ('SELECT 1/0') END TRY BEGIN CATCH SELECT ERROR_NUMBER() END CATCH"
        )
        .await,
        table(&[&["8134"]])
    );
    let out = results(
        &mut c,
        "EXEC ('USE SalesDB; SELECT DB_NAME()'); SELECT DB_NAME()",
    )
    .await;
    assert_eq!(out[0], table(&[&["SalesDB"]]));
    assert_eq!(out[1], table(&[&["master"]]));
}

#[tokio::test]
async fn drop_table_if_exists_is_2016_syntax() {
    let mut instance = common::instance();
    instance.version = mssql_sim::instance::Version::new(12, 0, 6024, 0);
    let server = mssql_sim::start(instance, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut c = login(&server).await;
    assert_eq!(
        error(&mut c, "DROP TABLE IF EXISTS #t").await,
        (156, 15, "Incorrect syntax near the keyword 'IF'.".into())
    );
    assert_eq!(
        rows(
            &mut c,
            "CREATE TABLE #t (x int); IF OBJECT_ID('tempdb..#t') IS NOT NULL DROP TABLE #t; SELECT OBJECT_ID('tempdb..#t')"
        )
        .await,
        table(&[&["NULL"]])
    );
}

#[tokio::test]
async fn the_statement_log_classifies_dynamic_sql() {
    let server = serve().await;
    let mut c = login(&server).await;
    results(
        &mut c,
        "EXEC ('SELECT 1'); EXEC (N'CREATE TABLE #x (a int)')",
    )
    .await;
    assert_eq!(
        server.statement_counts().not_read(),
        0,
        "{:?}",
        server.statements()
    );
    // A variable's text is not known when the batch is logged: unproven, so not a read (what
    // it runs is logged again, as a read here).
    results(&mut c, "DECLARE @s nvarchar(100) = N'SELECT 2'; EXEC (@s)").await;
    let log = server.statements();
    let exec = log.iter().find(|s| s.text == "EXEC (@s)").expect("logged");
    assert_eq!(exec.access, mssql_sim::engine::Access::Mutating);
    assert!(
        log.iter()
            .any(|s| s.text == "SELECT 2" && s.access == mssql_sim::engine::Access::Read)
    );
}

#[tokio::test]
async fn a_temporary_table_made_by_dynamic_sql_ends_with_it() {
    let server = serve().await;
    let mut c = login(&server).await;
    // Inside, it is there; after, the caller cannot see it (208), as after a procedure.
    let out = results(
        &mut c,
        "EXEC ('CREATE TABLE #inner (x int); INSERT INTO #inner VALUES (1); SELECT COUNT(*) FROM #inner')",
    )
    .await;
    assert_eq!(out, vec![table(&[&["1"]])]);
    assert_eq!(
        error(&mut c, "SELECT * FROM #inner").await,
        (208, 16, "Invalid object name '#inner'.".into())
    );
    // sp_executesql (as tiberius sends a parameterised query) is such a batch too.
    let stream = c
        .query("SELECT @P1 AS v INTO #p; SELECT v FROM #p", &[&5i32])
        .await
        .unwrap();
    let rows = stream.into_first_result().await.unwrap();
    assert_eq!(rows[0].get::<i32, _>("v"), Some(5));
    assert_eq!(
        error(&mut c, "SELECT v FROM #p").await,
        (208, 16, "Invalid object name '#p'.".into())
    );
}

#[tokio::test]
async fn for_xml_type_value_gives_the_text_back_unescaped() {
    let server = serve().await;
    let mut c = login(&server).await;
    results(
        &mut c,
        "CREATE TABLE #n (id int, name nvarchar(20)); INSERT INTO #n VALUES (1, 'a&b'), (2, '<c>')",
    )
    .await;
    assert_eq!(
        rows(
            &mut c,
            "SELECT STUFF((SELECT ', ' + name FROM #n ORDER BY id FOR XML PATH(''), TYPE).value('.', 'nvarchar(max)'), 1, 2, '') AS list"
        )
        .await,
        table(&[&["a&b, <c>"]])
    );
    assert_eq!(
        rows(
            &mut c,
            "SELECT (SELECT name + ';' FROM #n ORDER BY id FOR XML PATH(''), TYPE).value('(./text())[1]', 'NVARCHAR(MAX)')"
        )
        .await,
        table(&[&["a&b;<c>;"]])
    );
    let (number, _, message) = error(
        &mut c,
        "SELECT (SELECT name FROM #n FOR XML PATH, TYPE).value('/row[1]/name[1]', 'nvarchar(20)')",
    )
    .await;
    assert_eq!(number, 102, "{message}");
}

#[tokio::test]
async fn table_variables_take_insert_exec_and_stay_out_of_dynamic_sql() {
    let server = serve().await;
    let mut c = login(&server).await;
    let out = results(
        &mut c,
        "DECLARE @dbs TABLE (name sysname, id int);
         INSERT INTO @dbs EXEC ('SELECT name, database_id FROM sys.databases WHERE database_id IN (1, 4)');
         SELECT name FROM @dbs ORDER BY id",
    )
    .await;
    assert_eq!(out.last().unwrap(), &table(&[&["master"], &["msdb"]]));
    assert_eq!(
        error(
            &mut c,
            "DECLARE @v TABLE (x int); EXEC ('SELECT x FROM @v')"
        )
        .await,
        (1087, 15, "Must declare the table variable \"@v\".".into())
    );
    // Dates written as text come back as datetime values.
    let row = common::one_row(
        &mut c,
        "DECLARE @d TABLE (d datetime, n nvarchar(10));
         INSERT INTO @d VALUES ('2024-01-02', 'x'), (GETDATE(), 'now');
         SELECT d FROM @d WHERE n = 'x'",
    )
    .await;
    assert!(
        matches!(
            row.cells().next().map(|(_, d)| d),
            Some(ColumnData::DateTime(Some(_)))
        ),
        "{row:?}"
    );
    assert_eq!(
        rows(&mut c, "DECLARE @d TABLE (d datetime); INSERT INTO @d VALUES ('2024-01-02'); SELECT DATEPART(day, d) FROM @d").await,
        table(&[&["2"]])
    );
}

#[tokio::test]
async fn the_forms_scripts_combine() {
    let server = serve().await;
    let mut c = login(&server).await;
    // A list into a variable; dynamic SQL built from it.
    let out = results(
        &mut c,
        "DECLARE @list nvarchar(max);
         SELECT @list = STUFF((SELECT ',' + QUOTENAME(name) FROM sys.databases WHERE database_id <= 2 ORDER BY database_id FOR XML PATH('')), 1, 1, '');
         SELECT @list;
         DECLARE @sql nvarchar(max) = N'SELECT COUNT(*) FROM sys.databases WHERE QUOTENAME(name) IN (''' + REPLACE(@list, ',', ''',''') + N''')';
         EXEC (@sql)",
    )
    .await;
    assert_eq!(out[0], table(&[&["[master],[tempdb]"]]));
    assert_eq!(out[1], table(&[&["2"]]));
    // Applied columns in WHERE and ORDER BY, several of them, with their outer row's name.
    results(
        &mut c,
        "CREATE TABLE #b (db sysname, finished datetime, kind char(1));
         INSERT INTO #b VALUES ('master', '2024-01-01', 'D'), ('master', '2024-02-01', 'L'), ('msdb', '2023-05-05', 'D')",
    )
    .await;
    assert_eq!(
        rows(
            &mut c,
            "SELECT d.name, last.kind, last.finished
             FROM sys.databases AS d
             OUTER APPLY (SELECT TOP 1 b.kind, CONVERT(varchar(10), b.finished, 120) AS finished
                          FROM #b AS b WHERE b.db = d.name ORDER BY b.finished DESC) AS last
             WHERE d.database_id IN (1, 2, 4) AND (last.kind IS NULL OR last.kind <> 'X')
             ORDER BY last.finished DESC, d.name"
        )
        .await,
        table(&[
            &["master", "L", "2024-02-01"],
            &["msdb", "D", "2023-05-05"],
            &["tempdb", "NULL", "NULL"]
        ])
    );
}

/// A temporary table's MAX, non-Unicode and fixed-length columns keep their declared types on
/// the wire (nvarchar(max) as PLP, varchar in code page 1252, char(n) of its length).
#[tokio::test]
async fn temporary_table_columns_of_max_and_code_page_types() {
    let server = serve().await;
    let mut c = login(&server).await;
    let long = "x".repeat(5000);
    let got = rows(
        &mut c,
        &format!(
            "CREATE TABLE #m (a nvarchar(max), b varchar(10), c varbinary(max));
             INSERT INTO #m VALUES (N'{long}', 'café', 0x0102);
             SELECT a, b, c FROM #m"
        ),
    )
    .await;
    assert_eq!(got, table(&[&[&long, "café", "0102"]]));
    let mut stream = c.simple_query("SELECT a, b FROM #m").await.unwrap();
    let columns = stream.columns().await.unwrap().unwrap().to_vec();
    assert_eq!(columns[0].column_type(), tiberius::ColumnType::NVarchar);
    assert_eq!(columns[1].column_type(), tiberius::ColumnType::BigVarChar);
}
