//! The simulator's handshake as an independent client (tiberius) sees it, over real TCP.

use mssql_sim::{Instance, Login};
use tiberius::{AuthMethod, Client, Config, EncryptionLevel};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

const PASSWORD: &str = "AutoDBAudit-Demo-1!";

fn instance() -> Instance {
    Instance {
        server_name: "SQLSIM01\\SQL2019".into(),
        version: (15, 0, 2000, 5),
        logins: vec![
            Login {
                name: "autodbaudit".into(),
                password: PASSWORD.into(),
                enabled: true,
            },
            Login {
                name: "old_vendor".into(),
                password: "Vendor#2009".into(),
                enabled: false,
            },
        ],
    }
}

async fn connect(
    port: u16,
    user: &str,
    password: &str,
    packet_size: Option<u32>,
) -> tiberius::Result<Client<Compat<TcpStream>>> {
    let mut config = Config::new();
    config.host("127.0.0.1");
    config.port(port);
    config.authentication(AuthMethod::sql_server(user, password));
    config.encryption(EncryptionLevel::NotSupported);
    if let Some(size) = packet_size {
        config.packet_size(size);
    }
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    tcp.set_nodelay(true)?;
    Client::connect(config, tcp.compat_write()).await
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
    let server = mssql_sim::start(instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = connect(server.addr.port(), "AutoDBAudit", PASSWORD, None).await;
    assert!(client.is_ok(), "{:?}", client.err());
}

#[tokio::test]
async fn wrong_and_unknown_logins_get_18456_and_disabled_ones_18470() {
    let server = mssql_sim::start(instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
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
async fn batches_it_cannot_run_fail_loudly_with_error_102_at_any_packet_size() {
    let server = mssql_sim::start(instance(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    for size in [512, 4096, 32767] {
        let mut client = connect(server.addr.port(), "autodbaudit", PASSWORD, Some(size))
            .await
            .unwrap();
        // Longer than several packets at 512 bytes, with an identifier full of awkward characters.
        let query = format!(
            "SELECT name FROM sys.server_principals WHERE name = N'{}'",
            "x]'ü".repeat(300)
        );
        let (code, class, message) = server_error(client.simple_query(query).await);
        assert_eq!((code, class), (102, 15), "packet size {size}");
        assert!(message.contains("SELECT"), "{message}");
        // The connection is still usable afterwards.
        let (code, _, _) = server_error(client.simple_query("USE master").await);
        assert_eq!(code, 102);
    }
}
