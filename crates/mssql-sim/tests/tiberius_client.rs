//! The simulator as an independent TDS client (tiberius) sees it, over real TCP: login, catalog queries, errors, packet sizes.

mod common;

use common::{PASSWORD, connect};
use mssql_sim::{Instance, Login};
use tiberius::ColumnData;

/// A 128-character login name full of characters that break naive quoting.
fn hostile_name() -> String {
    let mut name = String::from("o'brien]; DROP LOGIN sa;--ü");
    while name.chars().count() < 128 {
        name.push('x');
    }
    name
}

/// Serves [`instance`] on a free loopback port.
async fn serve() -> mssql_sim::RunningServer {
    mssql_sim::start(instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// The shared test instance plus a login with a hostile name.
fn instance() -> Instance {
    let mut instance = common::instance();
    instance.logins.push(Login::new(&hostile_name(), "x"));
    instance
}

fn server_error(result: tiberius::Result<impl Sized>) -> (u32, u8, String) {
    match result {
        Err(tiberius::error::Error::Server(e)) => (e.code(), e.class(), e.message().to_owned()),
        Err(other) => panic!("expected a server error, got {other:?}"),
        Ok(_) => panic!("expected a server error, got success"),
    }
}

#[tokio::test]
async fn sql_login_succeeds_with_the_right_password() {
    let server = serve().await;
    let client = connect(server.addr.port(), "AutoDBAudit", PASSWORD, None).await;
    assert!(client.is_ok(), "{:?}", client.err());
}

#[tokio::test]
async fn wrong_and_unknown_logins_get_18456_and_disabled_ones_18470() {
    let server = serve().await;
    let port = server.addr.port();
    for (user, password) in [("autodbaudit", "wrong"), ("nobody", PASSWORD)] {
        let (code, class, message) = server_error(connect(port, user, password, None).await);
        assert_eq!((code, class), (18456, 14), "{user}");
        assert_eq!(message, format!("Login failed for user '{user}'."));
    }
    let (code, class, message) =
        server_error(connect(port, "old_vendor", "Vendor#2009", None).await);
    assert_eq!((code, class), (18470, 14));
    assert!(
        message.ends_with("Reason: The account is disabled."),
        "{message}"
    );
}

#[tokio::test]
async fn catalog_queries_return_typed_rows_nulls_and_several_result_sets() {
    let server = serve().await;
    let mut client = connect(server.addr.port(), "autodbaudit", PASSWORD, None)
        .await
        .unwrap();
    let sets = client
        .simple_query(
            "SELECT name, principal_id, is_disabled, sid, create_date, credential_id
             FROM sys.server_principals WHERE type = 'S' AND name NOT LIKE '##%' ORDER BY principal_id;
             SELECT @@VERSION AS v, SUSER_SNAME() AS who, SERVERPROPERTY('InstanceName') AS inst",
        )
        .await
        .unwrap()
        .into_results()
        .await
        .unwrap();
    assert_eq!(sets.len(), 2);
    let logins = &sets[0];
    assert_eq!(logins.len(), 4);
    let sa = &logins[0];
    assert_eq!(sa.get::<&str, _>("name"), Some("sa"));
    assert_eq!(sa.get::<i32, _>("principal_id"), Some(1));
    assert_eq!(sa.get::<i32, _>("is_disabled"), Some(0)); // an int, as documented
    assert_eq!(sa.get::<&[u8], _>("sid"), Some(&[1u8][..]));
    assert_eq!(
        sa.get::<i32, _>("credential_id"),
        None,
        "NULL comes back as NULL"
    );
    let created = sa
        .cells()
        .find(|(c, _)| c.name() == "create_date")
        .map(|(_, d)| d.clone());
    assert!(
        matches!(created, Some(ColumnData::DateTime(Some(_)))),
        "{created:?}"
    );
    assert_eq!(logins[2].get::<i32, _>("is_disabled"), Some(1));
    assert_eq!(
        logins[3].get::<&str, _>("name"),
        Some(hostile_name().as_str())
    );
    let info = &sets[1][0];
    assert!(info.get::<&str, _>("v").unwrap().contains("15.0.2000.5"));
    assert_eq!(info.get::<&str, _>("who"), Some("autodbaudit"));
    assert_eq!(
        info.get::<&str, _>("inst"),
        Some("SQL2019"),
        "sql_variant carrying nvarchar"
    );

    let row = common::one_row(&mut client, "SELECT value_in_use, SERVERPROPERTY('EngineEdition') AS ee FROM sys.configurations WHERE name = 'xp_cmdshell'").await;
    assert_eq!(
        row.get::<i32, _>("value_in_use"),
        Some(1),
        "sql_variant carrying int"
    );
    assert_eq!(row.get::<i32, _>("ee"), Some(3));

    let log = server.statements();
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(
        log.iter()
            .all(|s| s.access == mssql_sim::engine::Access::Read && s.login == "autodbaudit")
    );
}

#[tokio::test]
async fn errors_carry_real_numbers_and_leave_the_connection_usable() {
    let server = serve().await;
    let mut client = connect(server.addr.port(), "autodbaudit", PASSWORD, None)
        .await
        .unwrap();
    let (code, class, message) =
        server_error(client.simple_query("SELECT * FROM sys.no_such_view").await);
    assert_eq!(
        (code, class, message.as_str()),
        (208, 16, "Invalid object name 'sys.no_such_view'.")
    );
    let (code, _, message) =
        server_error(client.simple_query("SELECT bogus FROM sys.databases").await);
    assert_eq!(
        (code, message.as_str()),
        (207, "Invalid column name 'bogus'.")
    );
    // Not first in the batch (first, a bare word names a procedure: 2812, as on SQL Server).
    let (code, class, _) = server_error(client.simple_query("SELECT 1; SELEKT 1").await);
    assert_eq!((code, class), (102, 15));
    let (code, class, _) = server_error(client.simple_query("SELEKT 1").await);
    assert_eq!((code, class), (2812, 16));
    let row = common::one_row(&mut client, "SELECT COUNT(*) AS n FROM sys.databases").await;
    assert_eq!(row.get::<i32, _>("n"), Some(5));
}

#[tokio::test]
async fn large_requests_and_results_cross_packet_boundaries_at_every_packet_size() {
    let server = serve().await;
    let hostile = hostile_name();
    for size in [512, 4096, 32767] {
        let mut client = connect(server.addr.port(), "autodbaudit", PASSWORD, Some(size))
            .await
            .unwrap();
        // A request spanning many packets, carrying an identifier that must stay data.
        let padding = "x".repeat(6000);
        let query = format!(
            "SELECT QUOTENAME(name) AS q FROM sys.sql_logins WHERE name = N'{}' AND '{padding}' <> ''",
            hostile.replace('\'', "''")
        );
        let rows = client
            .simple_query(query)
            .await
            .unwrap()
            .into_first_result()
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "packet size {size}");
        assert_eq!(
            rows[0].get::<&str, _>("q"),
            Some(format!("[{}]", hostile.replace(']', "]]")).as_str())
        );
        // A result spanning many packets.
        let rows = client
            .simple_query("SELECT a.name AS x, b.name AS y FROM sys.server_principals a CROSS JOIN sys.server_principals b")
            .await
            .unwrap()
            .into_first_result()
            .await
            .unwrap();
        let count = common::one_row(
            &mut client,
            "SELECT COUNT(*) AS n FROM sys.server_principals",
        )
        .await;
        let principals = count.get::<i32, _>("n").unwrap() as usize;
        assert!(principals > 15, "{principals}");
        assert_eq!(rows.len(), principals * principals, "packet size {size}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn parameterised_queries_go_through_rpc_sp_executesql() {
    let server = serve().await;
    let mut client = connect(server.addr.port(), "autodbaudit", PASSWORD, None)
        .await
        .unwrap();
    let hostile = hostile_name();
    let rows = client
        .query(
            "SELECT name, principal_id FROM sys.sql_logins WHERE name = @P1 OR principal_id = @P2",
            &[&hostile.as_str(), &1i32],
        )
        .await
        .unwrap()
        .into_first_result()
        .await
        .unwrap();
    let names: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.get::<&str, _>("name"))
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"sa") && names.contains(&hostile.as_str()));
    // The statement log shows the statement with its parameters, classified as a read.
    let logged = server.statements();
    let last = logged.last().unwrap();
    assert!(
        last.text.contains("@P1") && last.access == mssql_sim::engine::Access::Read,
        "{last:?}"
    );
    // A mutation over RPC changes what the next query returns.
    client
        .execute("ALTER LOGIN [old_vendor] ENABLE", &[])
        .await
        .unwrap();
    let row = common::one_row(
        &mut client,
        "SELECT is_disabled FROM sys.server_principals WHERE name = 'old_vendor'",
    )
    .await;
    assert_eq!(row.get::<i32, _>("is_disabled"), Some(0));
}
