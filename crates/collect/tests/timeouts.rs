//! The target's own timeouts govern, over real TCP: a login slower than the TDS library's
//! default handshake bound (15 s) and a batch slower than its default response bound (30 s)
//! succeed when the target's `connect_timeout_s` / `query_timeout_s` allow them, and a
//! timeout that does trip names the audit's setting, not a library's.

use std::time::Duration;

mod common;

use collect::{Endpoint, connect::connect};
use mssql_sim::fixtures;
use mssql_sim::instance::Faults;

async fn serve(faults: Faults) -> mssql_sim::RunningServer {
    let mut instance = fixtures::builtin("typical-2019").unwrap();
    instance.faults = faults;
    mssql_sim::start(instance, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// The shared loopback endpoint, with `connect_timeout`.
fn endpoint(server: &mssql_sim::RunningServer, connect_timeout: Duration) -> Endpoint {
    Endpoint {
        connect_timeout,
        ..common::endpoint(server, "autodbaudit")
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_slower_than_fifteen_seconds_completes_within_the_targets_connect_timeout() {
    let server = serve(Faults {
        login_delay_ms: Some(16_500),
        ..Faults::default()
    })
    .await;
    let conn = connect(&endpoint(&server, Duration::from_secs(40))).await;
    assert!(
        conn.is_ok(),
        "a 16.5 s login within a 40 s connect timeout: {:?}",
        conn.err()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_slower_than_thirty_seconds_completes_within_the_targets_query_timeout() {
    let server = serve(Faults {
        query_delay_ms: Some(31_000),
        ..Faults::default()
    })
    .await;
    let mut conn = connect(&endpoint(&server, Duration::from_secs(10)))
        .await
        .unwrap();
    // One batch, as each of the audit's round trips is sent (the audit wraps it in the target's
    // query timeout, `read.rs`); the library's own 30 s bound used to cut it short.
    let rows = conn
        .simple_query("SELECT CAST(SERVERPROPERTY('ProductMajorVersion') AS int)")
        .await
        .unwrap_or_else(|e| panic!("a 31 s batch: {e}"))
        .into_first_result()
        .await
        .unwrap_or_else(|e| panic!("a 31 s batch: {e}"));
    assert_eq!(rows[0].get::<i32, _>(0), Some(15));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connect_timeout_that_trips_names_the_audits_setting() {
    let server = serve(Faults {
        login_delay_ms: Some(5_000),
        ..Faults::default()
    })
    .await;
    let e = connect(&endpoint(&server, Duration::from_secs(1)))
        .await
        .expect_err("a 5 s login does not fit a 1 s connect timeout")
        .to_string();
    assert!(e.contains("within 1 s (connect timeout)"), "{e}");
    assert!(
        !e.contains("Config::handshake_timeout"),
        "no library setting: {e}"
    );
}
