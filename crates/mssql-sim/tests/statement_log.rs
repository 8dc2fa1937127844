//! The statement log over TCP: bounded in memory with counts that are never dropped, and
//! read-only system procedures (the metadata calls ODBC and JDBC drivers make) logged as reads.

mod common;

use mssql_sim::engine::{Access, STATEMENT_LOG_CAPACITY};

async fn serve() -> mssql_sim::RunningServer {
    mssql_sim::start(common::instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// Sends `batch` and reads every result; errors are the test's business, not the client's.
async fn send(
    client: &mut tiberius::Client<tokio_util::compat::Compat<tokio::net::TcpStream>>,
    batch: &str,
) {
    if let Ok(stream) = client.simple_query(batch).await {
        let _ = stream.into_results().await;
    }
}

#[tokio::test]
async fn the_log_keeps_its_capacity_and_never_loses_the_count_of_a_mutation() {
    let server = serve().await;
    let mut client = common::connect(server.addr.port(), "autodbaudit", common::PASSWORD, None)
        .await
        .unwrap();
    // One mutation first, then capacity + 500 reads, 100 statements a batch.
    send(
        &mut client,
        "ALTER LOGIN old_vendor WITH CHECK_POLICY = OFF",
    )
    .await;
    let batch = "SELECT 1;\n".repeat(100);
    for _ in 0..(STATEMENT_LOG_CAPACITY + 500) / 100 {
        send(&mut client, &batch).await;
    }
    let log = server.statements();
    assert_eq!(log.len(), STATEMENT_LOG_CAPACITY);
    assert!(log.iter().all(|s| s.access == Access::Read));
    let counts = server.statement_counts();
    assert_eq!(counts.read, (STATEMENT_LOG_CAPACITY + 500) as u64);
    assert_eq!(counts.mutating, 1, "{counts:?}");
    assert_eq!(counts.not_read(), 1);
    assert_eq!(counts.dropped, 501);
    assert_eq!(counts.total(), counts.dropped + log.len() as u64);

    // A batch the simulator cannot parse is refused as a whole, counted apart.
    send(&mut client, "SELECT FROM WHERE ((").await;
    let last = server.statements().pop().unwrap();
    assert_eq!(last.access, Access::Refused);
    assert_eq!(last.database, "master");
    assert_eq!(server.statement_counts().refused, 1);
    assert_eq!(server.statement_counts().not_read(), 2);
}

/// The catalog procedures ODBC drivers call for SQLTables, SQLColumns, SQLGetTypeInfo, … and
/// JDBC's DatabaseMetaData (learn.microsoft.com/sql/relational-databases/system-stored-procedures/
/// catalog-stored-procedures-transact-sql), and the informational system procedures a DBA's
/// tooling runs at connect: all read-only, whether the simulator implements them or refuses
/// them with 2812.
#[tokio::test]
async fn metadata_procedures_at_connect_are_logged_as_reads() {
    let server = serve().await;
    let mut client = common::connect(server.addr.port(), "autodbaudit", common::PASSWORD, None)
        .await
        .unwrap();
    let calls = [
        "EXEC sp_datatype_info_100 @data_type = 0, @ODBCVer = 3",
        "EXEC sp_datatype_info 0",
        // First in its batch, a procedure needs no EXEC; FreeTDS's ODBC driver sends this.
        "sp_datatype_info_100 12,3",
        "sp_who",
        "EXEC sp_server_info",
        "EXEC sp_server_info @attribute_id = 2",
        "EXEC sp_tables NULL, NULL, NULL, N'''TABLE'''",
        "EXEC sp_columns_100 N'Orders', N'dbo', NULL, NULL, @ODBCVer = 3",
        "EXEC sp_columns @table_name = N'Orders'",
        "EXEC sp_pkeys N'Orders'",
        "EXEC sp_fkeys N'Orders'",
        "EXEC sp_special_columns_100 N'Orders'",
        "EXEC sp_statistics_100 N'Orders'",
        "EXEC sp_stored_procedures",
        "EXEC sp_sproc_columns_100 N'p'",
        "EXEC sp_table_privileges N'Orders'",
        "EXEC sp_column_privileges N'Orders'",
        "EXEC sp_databases",
        "EXEC sp_helpdb",
        "EXEC sp_helpdb N'master'",
        "EXEC sp_helplogins",
        "EXEC sp_who",
        "EXEC sp_who2",
        "EXEC master.dbo.xp_msver",
        "EXEC xp_msver N'ProductVersion'",
        "EXEC sp_helpsrvrolemember N'sysadmin'",
        "EXEC sp_helpserver",
        "EXEC sp_linkedservers",
        "EXEC sp_spaceused",
        "EXEC msdb.dbo.sp_help_job",
        "EXEC sp_configure",
        "EXEC sp_configure 'xp_cmdshell'",
    ];
    for call in calls {
        send(&mut client, call).await;
    }
    let log = server.statements();
    assert_eq!(log.len(), calls.len(), "{log:?}");
    for (call, logged) in calls.iter().zip(&log) {
        assert_eq!(logged.text.trim(), *call);
        assert_eq!(logged.access, Access::Read, "{call}");
    }
    assert_eq!(server.statement_counts().not_read(), 0);

    // And the calls that do change something stay mutations.
    let changing = [
        "EXEC sp_configure 'xp_cmdshell', 0",
        "EXEC sp_spaceused N'Orders', @updateusage = N'true'",
        "EXEC sp_spaceused N'Orders', 'TRUE'",
        "EXEC sp_addsrvrolemember N'old_vendor', N'sysadmin'",
        "EXEC sp_not_documented_anywhere",
    ];
    for call in changing {
        send(&mut client, call).await;
    }
    let log = server.statements();
    for (call, logged) in changing.iter().zip(&log[calls.len()..]) {
        assert_eq!(logged.text.trim(), *call);
        assert_eq!(logged.access, Access::Mutating, "{call}");
    }
    assert_eq!(server.statement_counts().not_read(), changing.len() as u64);
    // Not first in its batch, a name alone is a syntax error, as on SQL Server ("Must be EXEC
    // sp_who if not first statement in batch", the GO page's example): the batch is refused.
    send(&mut client, "SELECT @@VERSION;\nsp_who").await;
    let last = server.statements().pop().unwrap();
    assert_eq!(last.access, Access::Refused, "{last:?}");
}

/// The same calls as RPC requests, as drivers send them (python-tds `callproc`).
#[tokio::test(flavor = "multi_thread")]
async fn metadata_procedures_called_by_rpc_are_logged_as_reads() {
    if !common::interop::python_module("pytds", "pip install python-tds") {
        return;
    }
    let server = serve().await;
    let path = format!(
        "{}/tests/pytds_metadata_client.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let port = server.addr.port().to_string();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(path)
            .args([port.as_str(), common::PASSWORD])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("pytds metadata: ok"),
        "{text}"
    );
    let log = server.statements();
    assert_eq!(log.len(), 7, "{log:?}\n{text}");
    assert!(
        log.iter().all(|s| s.access == Access::Read),
        "{log:?}\n{text}"
    );
    assert_eq!(server.statement_counts().not_read(), 0);
}

/// The ODBC catalog functions through a real ODBC driver (pyodbc over FreeTDS, at its default
/// settings), which sends the catalog procedure calls itself.
#[tokio::test(flavor = "multi_thread")]
async fn odbc_catalog_functions_are_logged_as_reads() {
    if !common::interop::python_module("pyodbc", "pip install pyodbc")
        || !common::interop::program("isql", "apt-get install unixodbc tdsodbc")
    {
        return;
    }
    let server = serve().await;
    let path = format!(
        "{}/tests/pyodbc_metadata_client.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let port = server.addr.port().to_string();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(path)
            .args([port.as_str(), common::PASSWORD])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("pyodbc metadata: ok"),
        "{text}"
    );
    let log = server.statements();
    assert!(log.len() >= 8, "{log:?}\n{text}");
    assert!(
        log.iter().all(|s| s.access == Access::Read),
        "{log:?}\n{text}"
    );
    assert_eq!(server.statement_counts().not_read(), 0);
}
