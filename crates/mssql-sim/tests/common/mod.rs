//! Shared by the interoperability tests: a representative instance, and finding the external
//! clients (FreeTDS `tsql`, Python `pytds`) that `cargo xtask test` installs.

#![allow(dead_code)] // each test file uses a different subset

pub mod interop;
pub mod raw;

use mssql_sim::instance::{Setting, Version};
use mssql_sim::{Database, Instance, Login};
use tiberius::{AuthMethod, Client, Config, EncryptionLevel};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

/// The password of the test logins.
pub const PASSWORD: &str = "AutoDBAudit-Demo-1!";

/// An instance with the logins the interoperability tests use.
pub fn instance() -> Instance {
    let mut disabled = Login::new("old_vendor", "Vendor#2009");
    disabled.enabled = false;
    let mut instance = Instance::new(
        "SQLSIM01\\SQL2019",
        Version::new(15, 0, 2000, 5),
        "Enterprise Edition (64-bit)",
    );
    instance
        .logins
        .push(Login::new("autodbaudit", PASSWORD).in_role("sysadmin"));
    instance.logins.push(disabled);
    let mut db = Database::new("SalesDB");
    db.trustworthy = true;
    instance.databases.push(db);
    instance
        .configuration
        .insert("xp_cmdshell".into(), Setting::Value(1));
    instance.normalize().expect("valid test instance");
    instance
}

/// Whether an external client is on PATH; a missing one fails the test unless
/// `AUTODBAUDIT_SKIP_INTEROP=1` (see [`interop`]).
pub fn require(program: &str, install: &str) -> bool {
    interop::program(program, install)
}

/// A tiberius client logged in with SQL authentication, without TLS (ENCRYPT_NOT_SUP).
pub async fn connect(
    port: u16,
    user: &str,
    password: &str,
    packet_size: Option<u32>,
) -> tiberius::Result<Client<Compat<TcpStream>>> {
    let mut config = config(port, user, password);
    config.encryption(EncryptionLevel::NotSupported);
    if let Some(size) = packet_size {
        config.packet_size(size);
    }
    connect_with(config).await
}

/// A tiberius client of the test login asking for `encryption`; it trusts the certificate in
/// `ca_pem` (checking it and the host name 127.0.0.1), or any certificate when `None`.
pub async fn connect_encrypted(
    port: u16,
    encryption: EncryptionLevel,
    ca_pem: Option<&str>,
) -> tiberius::Result<Client<Compat<TcpStream>>> {
    let mut config = config(port, "autodbaudit", PASSWORD);
    config.encryption(encryption);
    match ca_pem {
        Some(pem) => config.trust_cert_ca_bundle(pem.as_bytes().to_vec()),
        None => config.trust_cert(),
    }
    connect_with(config).await
}

fn config(port: u16, user: &str, password: &str) -> Config {
    let mut config = Config::new();
    config.host("127.0.0.1");
    config.port(port);
    config.authentication(AuthMethod::sql_server(user, password));
    config
}

async fn connect_with(config: Config) -> tiberius::Result<Client<Compat<TcpStream>>> {
    let tcp = TcpStream::connect(config.get_addr()).await?;
    tcp.set_nodelay(true)?;
    Client::connect(config, tcp.compat_write()).await
}

/// The single row a query returns (panics with the server's error otherwise).
pub async fn one_row(client: &mut Client<Compat<TcpStream>>, sql: &str) -> tiberius::Row {
    client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_row()
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap_or_else(|| panic!("{sql}: no row"))
}
