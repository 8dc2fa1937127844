//! Fault injection: each mode behaves as specified, over real TCP, and never disturbs the
//! other instances of the process.

mod common;

use std::time::{Duration, Instant};

use common::{PASSWORD, connect, one_row};
use mssql_sim::instance::Faults;

async fn serve(faults: Faults) -> mssql_sim::RunningServer {
    let mut instance = common::instance();
    instance.faults = faults;
    mssql_sim::start(instance, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fault_behaves_as_specified_and_leaves_the_others_alone() {
    let healthy = serve(Faults::default()).await;
    let refuse = serve(Faults {
        refuse: true,
        ..Faults::default()
    })
    .await;
    let hang = serve(Faults {
        hang: true,
        ..Faults::default()
    })
    .await;
    let slow = serve(Faults {
        latency_ms: Some(40),
        ..Faults::default()
    })
    .await;
    let dropping = serve(Faults {
        drop_after_packets: Some(4),
        ..Faults::default()
    })
    .await;
    let failing = serve(Faults {
        fail_logins: true,
        ..Faults::default()
    })
    .await;
    let delayed = serve(Faults {
        query_delay_ms: Some(3_000),
        ..Faults::default()
    })
    .await;

    // Refused: nothing listens.
    let e = tokio::net::TcpStream::connect(refuse.addr)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);

    // Accept and hang: the TCP connection opens, the login never completes.
    let login = tokio::time::timeout(
        Duration::from_millis(500),
        connect(hang.addr.port(), "autodbaudit", PASSWORD, None),
    )
    .await;
    assert!(login.is_err(), "a hung server must not answer");

    // Slow packets: the answers come, each packet late.
    let started = Instant::now();
    let mut client = connect(slow.addr.port(), "autodbaudit", PASSWORD, Some(512))
        .await
        .unwrap();
    let row = one_row(
        &mut client,
        "SELECT COUNT(*) AS n FROM sys.server_principals",
    )
    .await;
    assert!(row.get::<i32, _>("n").unwrap() > 10);
    assert!(
        started.elapsed() >= Duration::from_millis(3 * 40),
        "PRELOGIN, LOGINACK and the result are delayed"
    );

    // Dropped mid-result: the connection dies after four packets.
    let mut client = connect(dropping.addr.port(), "autodbaudit", PASSWORD, Some(512))
        .await
        .unwrap();
    let big = client
        .simple_query(
            "SELECT a.name, b.name FROM sys.server_principals a CROSS JOIN sys.server_principals b",
        )
        .await;
    let failed = match big {
        Err(_) => true,
        Ok(stream) => stream.into_first_result().await.is_err(),
    };
    assert!(failed, "the result must be cut off");

    // Failing logins: 18456 whatever the password.
    let e = connect(failing.addr.port(), "autodbaudit", PASSWORD, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, tiberius::error::Error::Server(t) if t.code() == 18456),
        "{e:?}"
    );

    // A query delayed beyond the client's timeout; the login itself is quick.
    let mut client = connect(delayed.addr.port(), "autodbaudit", PASSWORD, None)
        .await
        .unwrap();
    let slow_query =
        tokio::time::timeout(Duration::from_millis(300), client.simple_query("SELECT 1")).await;
    assert!(
        slow_query.is_err(),
        "the answer must come after the timeout"
    );

    // The healthy instance of the same process never noticed.
    let mut client = connect(healthy.addr.port(), "autodbaudit", PASSWORD, None)
        .await
        .unwrap();
    let row = one_row(&mut client, "SELECT @@SERVERNAME AS s").await;
    assert_eq!(row.get::<&str, _>("s"), Some("SQLSIM01\\SQL2019"));
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_are_listed_with_their_encryption_and_scheme() {
    let server = serve(Faults::default()).await;
    let mut plain = connect(server.addr.port(), "autodbaudit", PASSWORD, None)
        .await
        .unwrap();
    let mut tls =
        common::connect_encrypted(server.addr.port(), tiberius::EncryptionLevel::On, None)
            .await
            .unwrap();
    let row = one_row(&mut tls, "SELECT COUNT(*) AS n, SUM(CASE WHEN encrypt_option = 'TRUE' THEN 1 ELSE 0 END) AS e FROM sys.dm_exec_connections WHERE auth_scheme = 'SQL' AND net_transport = 'TCP'").await;
    assert_eq!(
        (row.get::<i32, _>("n"), row.get::<i32, _>("e")),
        (Some(2), Some(1))
    );
    let row = one_row(
        &mut plain,
        "SELECT encrypt_option AS e FROM sys.dm_exec_connections WHERE session_id = @@SPID",
    )
    .await;
    assert_eq!(row.get::<&str, _>("e"), Some("FALSE"));
}
