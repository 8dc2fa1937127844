//! The TCP side: accept connections, run the PRELOGIN / LOGIN7 handshake, answer batches.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::Instance;
use crate::tds::packet::{
    self, DEFAULT_PACKET_SIZE, HEADER_LEN, Header, MAX_PACKET_SIZE, MIN_PACKET_SIZE, PacketType,
};
use crate::tds::tokens::{DoneKind, Message, TokenWriter, done};
use crate::tds::{ProtocolError, login7, prelogin, utf16le};

/// The highest TDS version the simulator speaks (7.4, SQL Server 2012 and later).
const TDS_74: u32 = 0x7400_0004;

/// A server running in the background; dropping it stops accepting connections.
pub struct RunningServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Starts serving `instance` on `addr` (use port 0 for a free port) on the current runtime.
pub async fn start(instance: Instance, addr: SocketAddr) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, mut stopped) = watch::channel(false);
    let instance = Arc::new(instance);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stopped.changed() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let instance = Arc::clone(&instance);
                        tokio::spawn(async move {
                            if let Err(e) = Connection::new(stream, instance).serve().await {
                                tracing::debug!(%peer, "connection ended: {e}");
                            }
                        });
                    }
                    Err(e) => tracing::warn!("accept failed: {e}"),
                },
            }
        }
    });
    Ok(RunningServer { addr, stop })
}

/// Why a connection ended early.
#[derive(Debug, thiserror::Error)]
enum ConnectionError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("protocol: {0}")]
    Protocol(#[from] ProtocolError),
    #[error("login refused")]
    LoginRefused,
}

struct Connection {
    stream: TcpStream,
    instance: Arc<Instance>,
    packet_size: usize,
}

impl Connection {
    fn new(stream: TcpStream, instance: Arc<Instance>) -> Self {
        Connection {
            stream,
            instance,
            packet_size: DEFAULT_PACKET_SIZE,
        }
    }

    /// Reads one message: packets up to the one flagged end-of-message.
    async fn read_message(&mut self) -> Result<Option<(PacketType, Vec<u8>)>, ConnectionError> {
        let mut payload = Vec::new();
        let mut kind = None;
        loop {
            let mut header = [0u8; HEADER_LEN];
            match self.stream.read_exact(&mut header).await {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && kind.is_none() => {
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            }
            let header = Header::decode(&header, self.packet_size)?;
            if kind.is_some_and(|k| k != header.kind) {
                return Err(ProtocolError::Invalid {
                    what: "packet type",
                    detail: "changed inside a message".into(),
                }
                .into());
            }
            kind = Some(header.kind);
            let start = payload.len();
            payload.resize(start + header.length - HEADER_LEN, 0);
            self.stream.read_exact(&mut payload[start..]).await?;
            if payload.len() > 64 * 1024 * 1024 {
                return Err(ProtocolError::Invalid {
                    what: "message",
                    detail: "larger than 64 MiB".into(),
                }
                .into());
            }
            if header.is_last() {
                return Ok(kind.map(|k| (k, payload)));
            }
        }
    }

    async fn send(&mut self, tokens: TokenWriter) -> Result<(), ConnectionError> {
        let bytes = packet::encode_message(
            PacketType::TabularResult,
            &tokens.into_bytes(),
            self.packet_size,
        );
        self.stream.write_all(&bytes).await?;
        Ok(())
    }

    fn version3(&self) -> (u8, u8, u16) {
        let (major, minor, build, _) = self.instance.version;
        (major, minor, build)
    }

    fn message(&self, number: i32, state: u8, class: u8, text: String) -> Message {
        Message {
            number,
            state,
            class,
            text,
            server: self.instance.server_name.clone(),
            procedure: String::new(),
            line: 1,
        }
    }

    async fn serve(mut self) -> Result<(), ConnectionError> {
        // PRELOGIN.
        let Some((PacketType::PreLogin, payload)) = self.read_message().await? else {
            return Err(ProtocolError::Invalid {
                what: "first message",
                detail: "expected PRELOGIN".into(),
            }
            .into());
        };
        let client = prelogin::decode(&payload)?;
        tracing::debug!(?client, "prelogin");
        let response =
            prelogin::encode_response(self.version3(), prelogin::Encryption::NotSupported);
        let bytes = packet::encode_message(PacketType::TabularResult, &response, self.packet_size);
        self.stream.write_all(&bytes).await?;

        // LOGIN7.
        let Some((PacketType::Login7, payload)) = self.read_message().await? else {
            return Err(ProtocolError::Invalid {
                what: "second message",
                detail: "expected LOGIN7".into(),
            }
            .into());
        };
        let login = login7::decode(&payload)?;
        self.login(&login).await?;

        // Requests.
        while let Some((kind, payload)) = self.read_message().await? {
            match kind {
                PacketType::SqlBatch => self.batch(&payload).await?,
                PacketType::Attention => {
                    let mut w = TokenWriter::new();
                    w.done(DoneKind::Done, done::ATTENTION, 0, 0);
                    self.send(w).await?;
                }
                other => {
                    let mut w = TokenWriter::new();
                    w.error(&self.message(
                        40000,
                        1,
                        16,
                        format!("The simulator does not handle {other:?} requests yet."),
                    ));
                    w.done(DoneKind::Done, done::ERROR, 0, 0);
                    self.send(w).await?;
                }
            }
        }
        Ok(())
    }

    /// Checks the login as SQL Server does and answers with LOGINACK or error 18456.
    async fn login(&mut self, login: &login7::Login7) -> Result<(), ConnectionError> {
        // (number, state logged for the administrator, text the client sees) — as SQL Server
        // does, the client is told little; the real reason goes to the (server) log.
        let refused = if login.integrated {
            Some((
                18456,
                58,
                format!("Login failed for user '{}'.", login.username),
            ))
        } else {
            match self.instance.login(&login.username) {
                None => Some((
                    18456,
                    5,
                    format!("Login failed for user '{}'.", login.username),
                )),
                Some(l) if l.password != login.password => Some((
                    18456,
                    8,
                    format!("Login failed for user '{}'.", login.username),
                )),
                Some(l) if !l.enabled => Some((
                    18470,
                    1,
                    format!(
                        "Login failed for user '{}'. Reason: The account is disabled.",
                        login.username
                    ),
                )),
                Some(_) => None,
            }
        };
        if let Some((number, reason, text)) = refused {
            tracing::info!(user = %login.username, number, reason, "login failed");
            let mut w = TokenWriter::new();
            w.error(&self.message(number, 1, 14, text));
            w.done(DoneKind::Done, done::ERROR, 0, 0);
            self.send(w).await?;
            return Err(ConnectionError::LoginRefused);
        }
        let requested = login.packet_size as usize;
        let new_size = if requested == 0 {
            DEFAULT_PACKET_SIZE
        } else {
            requested.clamp(MIN_PACKET_SIZE, MAX_PACKET_SIZE)
        };
        let tds_version = login.tds_version.min(TDS_74);
        let mut w = TokenWriter::new();
        w.env_change_text(1, "master", "master");
        w.info(&self.message(5701, 2, 0, "Changed database context to 'master'.".into()));
        w.env_change_collation(crate::tds::tokens::COLLATION);
        w.env_change_text(2, "us_english", "");
        w.info(&self.message(5703, 1, 0, "Changed language setting to us_english.".into()));
        w.login_ack(tds_version, "Microsoft SQL Server", self.version3());
        w.env_change_text(4, &new_size.to_string(), &self.packet_size.to_string());
        w.done(DoneKind::Done, 0, 0, 0);
        self.send(w).await?;
        self.packet_size = new_size;
        Ok(())
    }

    /// A SQL batch: ALL_HEADERS (TDS 7.2+), then the statement text in UTF-16.
    async fn batch(&mut self, payload: &[u8]) -> Result<(), ConnectionError> {
        let headers = crate::tds::u32_le(payload, 0, "ALL_HEADERS")? as usize;
        let text = utf16le(payload.get(headers..).unwrap_or_default());
        let first_word = text
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches(';')
            .to_uppercase();
        tracing::debug!(batch = %text, "batch");
        let mut w = TokenWriter::new();
        w.error(&self.message(
            102,
            1,
            15,
            format!("Incorrect syntax near '{first_word}'. (The simulator does not execute {first_word} statements yet.)"),
        ));
        w.done(DoneKind::Done, done::ERROR, 0, 0);
        self.send(w).await
    }
}
