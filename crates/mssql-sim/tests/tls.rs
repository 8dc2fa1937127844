//! TLS inside TDS over real TCP: the PRELOGIN encryption matrix (MS-TDS 2.2.6.5) as a raw client
//! sees it, tiberius logging in under every client and server setting, TDS 8.0 strict, and the
//! bytes on the wire (recorded by a relay between client and server) really being encrypted.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mssql_sim::tds::packet::{self, PacketType};
use mssql_sim::tds::prelogin::{self, Encryption};
use mssql_sim::{RunningServer, ServerEncryption, ServerOptions, TlsIdentity};
use tiberius::EncryptionLevel;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ALL_SERVERS: [ServerEncryption; 3] = [
    ServerEncryption::Unavailable,
    ServerEncryption::Optional,
    ServerEncryption::Forced,
];

async fn serve(encryption: ServerEncryption) -> RunningServer {
    serve_with(ServerOptions {
        encryption,
        ..ServerOptions::default()
    })
    .await
}

async fn serve_with(options: ServerOptions) -> RunningServer {
    mssql_sim::start_with(common::instance(), "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap()
}

/// Sends a PRELOGIN carrying `encryption` and returns the server's ENCRYPTION answer and whether
/// the server then closed the connection (end of stream within `wait`).
async fn probe(port: u16, encryption: Encryption, wait: Duration) -> (Encryption, bool) {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    // The server's own encoder writes the same option table a client sends.
    let payload = prelogin::encode_response((16, 0, 1000), encryption);
    tcp.write_all(&packet::encode_message(
        PacketType::PreLogin,
        &payload,
        4096,
    ))
    .await
    .unwrap();
    let mut header = [0u8; 8];
    tcp.read_exact(&mut header).await.unwrap();
    assert_eq!(
        header[0], 0x04,
        "PRELOGIN is answered in a tabular-result packet"
    );
    let length = u16::from_be_bytes([header[2], header[3]]) as usize;
    let mut body = vec![0u8; length - 8];
    tcp.read_exact(&mut body).await.unwrap();
    let answer = prelogin::decode(&body).unwrap().encryption;
    let mut next = [0u8; 1];
    let closed = matches!(
        tokio::time::timeout(wait, tcp.read(&mut next)).await,
        Ok(Ok(0))
    );
    (answer, closed)
}

#[tokio::test]
async fn prelogin_answers_follow_the_ms_tds_matrix() {
    use Encryption::{NotSupported as NS, Off, On, Required as Req};
    // (client, [answer from Unavailable, Optional, Forced]); the server closes only after REQ to
    // a client that cannot encrypt.
    let matrix = [
        (NS, [NS, NS, Req]),
        (Off, [NS, Off, Req]),
        (On, [NS, On, On]),
        (Req, [NS, On, On]),
    ];
    for (i, server) in ALL_SERVERS.into_iter().enumerate() {
        let running = serve(server).await;
        for (client, answers) in matrix {
            let refused = client == NS && server == ServerEncryption::Forced;
            // Long enough for a slow machine to close; short where the server must stay open.
            let wait = Duration::from_millis(if refused { 5000 } else { 300 });
            let (answer, closed) = probe(running.addr.port(), client, wait).await;
            assert_eq!(answer, answers[i], "client {client:?}, server {server:?}");
            assert_eq!(
                closed, refused,
                "closed? client {client:?}, server {server:?}"
            );
        }
    }
}

/// Logs in with tiberius (trusting any certificate) and checks a query's data.
async fn login_and_query(port: u16, level: EncryptionLevel) -> Result<(), String> {
    let connecting = common::connect_encrypted(port, level, None);
    let mut client = tokio::time::timeout(Duration::from_secs(20), connecting)
        .await
        .map_err(|_| "timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    let row = common::one_row(
        &mut client,
        "SELECT SUSER_SNAME() AS who, SERVERPROPERTY('ProductVersion') AS v",
    )
    .await;
    assert_eq!(row.get::<&str, _>("who"), Some("autodbaudit"));
    assert_eq!(row.get::<&str, _>("v"), Some("15.0.2000.5"));
    Ok(())
}

#[tokio::test]
async fn tiberius_logs_in_under_every_setting_the_matrix_allows() {
    use EncryptionLevel::{NotSupported, Off, On, Required, Strict};
    // (client, [works against Unavailable, Optional, Forced]).
    let expected = [
        (NotSupported, [true, true, false]),
        // tiberius 0.13 answers NOT_SUP to its OFF by starting TLS anyway (it treats every
        // unlisted pair as ON); the server, which said it cannot encrypt, refuses the handshake.
        // The raw PRELOGIN probe above shows the server's answer is the spec's.
        (Off, [false, true, true]),
        (On, [false, true, true]),
        (Required, [false, true, true]),
        // TDS 8.0: TLS before PRELOGIN; a server without a certificate cannot do it.
        (Strict, [false, true, true]),
    ];
    for (i, server) in ALL_SERVERS.into_iter().enumerate() {
        let running = serve(server).await;
        for (level, works) in expected {
            let result = login_and_query(running.addr.port(), level).await;
            assert_eq!(
                result.is_ok(),
                works[i],
                "client {level:?}, server {server:?}: {result:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_certificate_from_pem_files_is_presented_and_verifiable() {
    let dir = tempfile::tempdir().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "SQLSIM01");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (cert_path, key_path) = (dir.path().join("sim.crt"), dir.path().join("sim.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let identity = Arc::new(TlsIdentity::from_pem_files(&cert_path, &key_path).unwrap());
    let running = serve_with(ServerOptions {
        encryption: ServerEncryption::Forced,
        tls: Some(Arc::clone(&identity)),
        ..ServerOptions::default()
    })
    .await;
    let port = running.addr.port();
    // Verified against that certificate (and the host name 127.0.0.1): accepted.
    let mut client = common::connect_encrypted(port, EncryptionLevel::Required, Some(&cert.pem()))
        .await
        .unwrap();
    let row = common::one_row(&mut client, "SELECT SUSER_SNAME() AS who").await;
    assert_eq!(row.get::<&str, _>("who"), Some("autodbaudit"));
    // Verified against the process's generated certificate instead: refused.
    let other = TlsIdentity::self_signed().unwrap();
    let refused = common::connect_encrypted(
        port,
        EncryptionLevel::Required,
        Some(other.certificate_pem()),
    )
    .await;
    assert!(
        refused.is_err(),
        "a certificate from another issuer was accepted"
    );
}

#[tokio::test]
async fn the_generated_certificate_verifies_for_127_0_0_1() {
    let running = serve(ServerEncryption::Optional).await;
    let pem = TlsIdentity::self_signed()
        .unwrap()
        .certificate_pem()
        .to_owned();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let mut client =
        common::connect_encrypted(running.addr.port(), EncryptionLevel::On, Some(&pem))
            .await
            .unwrap();
    let row = common::one_row(&mut client, "SELECT 1 AS one").await;
    assert_eq!(row.get::<i32, _>("one"), Some(1));
}

/// A TCP relay that records what passes each way.
struct Relay {
    port: u16,
    up: Arc<Mutex<Vec<u8>>>,
    down: Arc<Mutex<Vec<u8>>>,
}

impl Relay {
    async fn to(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(Mutex::new(Vec::new()));
        let down = Arc::new(Mutex::new(Vec::new()));
        let (up_log, down_log) = (Arc::clone(&up), Arc::clone(&down));
        tokio::spawn(async move {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let server = TcpStream::connect(target).await.unwrap();
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            tokio::spawn(pump(client_read, server_write, up_log));
            tokio::spawn(pump(server_read, client_write, down_log));
        });
        Relay { port, up, down }
    }

    fn up(&self) -> Vec<u8> {
        self.up.lock().unwrap().clone()
    }

    fn down(&self) -> Vec<u8> {
        self.down.lock().unwrap().clone()
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    log: Arc<Mutex<Vec<u8>>>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                log.lock().unwrap().extend_from_slice(&buf[..n]);
                if to.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The password as LOGIN7 carries it: UTF-16, each byte's nibbles swapped and XORed with 0xA5.
fn obfuscated(password: &str) -> Vec<u8> {
    utf16(password)
        .into_iter()
        .map(|b| b.rotate_left(4) ^ 0xA5)
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The bytes of the `n`th TDS packet of a recorded direction: (type, payload).
fn nth_packet(bytes: &[u8], n: usize) -> (u8, &[u8]) {
    let mut at = 0;
    for _ in 0..n {
        at += u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize;
    }
    let length = u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize;
    (bytes[at], &bytes[at + 8..at + length])
}

/// Connects through a relay with `level`, runs a query whose text and result are marked, and
/// returns what crossed the wire each way.
async fn recorded_session(server: ServerEncryption, level: EncryptionLevel) -> (Vec<u8>, Vec<u8>) {
    let running = serve(server).await;
    let relay = Relay::to(running.addr).await;
    let mut client = common::connect_encrypted(relay.port, level, None)
        .await
        .unwrap();
    let row = common::one_row(
        &mut client,
        "SELECT N'canary-result-' + N'7f3a' AS marked /* canary-query */",
    )
    .await;
    assert_eq!(row.get::<&str, _>("marked"), Some("canary-result-7f3a"));
    drop(client);
    tokio::time::sleep(Duration::from_millis(100)).await;
    (relay.up(), relay.down())
}

#[tokio::test]
async fn on_the_wire_full_encryption_hides_everything_and_login_only_hides_the_login() {
    let password = obfuscated(common::PASSWORD);
    let query = utf16("canary-query");
    let result = utf16("canary-result-7f3a");

    // Without TLS, the recording does show the login and the query: the checks below can see.
    let (up, down) =
        recorded_session(ServerEncryption::Optional, EncryptionLevel::NotSupported).await;
    assert!(
        contains(&up, &password),
        "the LOGIN7 password is where the relay can see it"
    );
    assert!(contains(&up, &query) && contains(&down, &result));

    // ON: the handshake travels in PRELOGIN packets (client hello, then the server's flight),
    // then nothing readable at all.
    let (up, down) = recorded_session(ServerEncryption::Optional, EncryptionLevel::On).await;
    let (kind, hello) = nth_packet(&up, 1);
    assert_eq!(
        kind, 0x12,
        "the client's TLS handshake is in a PRELOGIN packet"
    );
    assert_eq!(&hello[..2], &[0x16, 0x03], "a TLS handshake record");
    let (kind, server_hello) = nth_packet(&down, 1);
    assert_eq!(kind, 0x12, "the server answers in PRELOGIN packets");
    assert_eq!(&server_hello[..3], &[0x16, 0x03, 0x03], "TLS 1.2 record");
    assert!(!contains(&up, &password), "password on the wire under ON");
    assert!(
        !contains(&up, &utf16("autodbaudit")),
        "login name on the wire under ON"
    );
    assert!(!contains(&up, &query), "query text on the wire under ON");
    assert!(!contains(&down, &result), "result on the wire under ON");

    // REQ against a server forcing encryption: the same.
    let (up, down) = recorded_session(ServerEncryption::Forced, EncryptionLevel::Required).await;
    assert!(!contains(&up, &password) && !contains(&up, &query) && !contains(&down, &result));

    // OFF against a server forcing encryption: answered REQ, fully encrypted.
    let (up, down) = recorded_session(ServerEncryption::Forced, EncryptionLevel::Off).await;
    assert!(!contains(&up, &password) && !contains(&up, &query) && !contains(&down, &result));

    // OFF: the LOGIN7 is encrypted, then TLS is dropped and the session continues in clear.
    let (up, down) = recorded_session(ServerEncryption::Optional, EncryptionLevel::Off).await;
    assert!(!contains(&up, &password), "password on the wire under OFF");
    assert!(
        !contains(&up, &utf16("autodbaudit")),
        "login name on the wire under OFF"
    );
    assert!(
        contains(&up, &query),
        "login-only encryption leaves the queries in clear"
    );
    assert!(
        contains(&down, &result),
        "login-only encryption leaves the results in clear"
    );
}

#[tokio::test]
async fn tds8_strict_starts_with_tls_and_negotiates_alpn() {
    let running = serve(ServerEncryption::Optional).await;
    let relay = Relay::to(running.addr).await;
    let mut client = common::connect_encrypted(relay.port, EncryptionLevel::Strict, None)
        .await
        .unwrap();
    let row = common::one_row(&mut client, "SELECT N'strict-canary' AS s").await;
    assert_eq!(row.get::<&str, _>("s"), Some("strict-canary"));
    let up = relay.up();
    assert_eq!(
        &up[..2],
        &[0x16, 0x03],
        "the first bytes are a TLS ClientHello, no TDS"
    );
    assert!(contains(&up, b"tds/8.0"), "the client offers ALPN tds/8.0");
    assert!(!contains(&up, &utf16("strict-canary")));
    assert!(!contains(&relay.down(), &utf16("strict-canary")));
}
