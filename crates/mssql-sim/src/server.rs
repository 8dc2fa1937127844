//! The TCP side: accept connections, run the PRELOGIN / LOGIN7 handshake, answer batches.

mod tls;

pub use tls::{ServerEncryption, TlsIdentity, TlsIdentityError};

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::Instance;
use crate::engine::{Engine, Outcome, Session, TransactionChange};
use crate::tds::packet::{
    self, DEFAULT_PACKET_SIZE, HEADER_LEN, Header, MAX_PACKET_SIZE, MIN_PACKET_SIZE, PacketType,
};
use crate::tds::tokens::{ColumnType, DoneKind, Message, TokenWriter, Value, done, tds_version};
use crate::tds::{ProtocolError, login7, prelogin, utf16le};

/// Session ids: user sessions start at 51 on SQL Server.
fn next_spid() -> u16 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    51 + (n % 32_000) as u16
}

/// The highest TDS version the simulator speaks (7.4, SQL Server 2012 and later).
const TDS_74: u32 = 0x7400_0004;

/// A server running in the background; dropping it stops accepting connections.
pub struct RunningServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    engine: Arc<std::sync::Mutex<Engine>>,
}

impl RunningServer {
    /// The statements the instance has received, in order, with their classification: every
    /// one, or the last `engine::STATEMENT_LOG_CAPACITY` once more came.
    pub fn statements(&self) -> Vec<crate::engine::LoggedStatement> {
        self.engine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .statements()
            .to_vec()
    }

    /// How many statements of each kind the instance received since it started (reads,
    /// mutations, refused batches) and how many its bounded log dropped; never dropped.
    pub fn statement_counts(&self) -> crate::engine::StatementCounts {
        self.engine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .statement_counts()
    }

    /// How many batches and RPC calls the instance received: its clients' round trips.
    pub fn batches(&self) -> usize {
        self.engine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .batches()
    }

    /// The instance as it is now, after every change its clients made.
    pub fn instance(&self) -> Instance {
        self.engine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .instance()
    }

    /// Runs `batch` as `login` on the instance directly (no network): how tests and tools change
    /// a running server between audits, with the same rules and permissions as a client's
    /// batch. Returns the text of every error the batch raised (empty when it succeeded).
    pub fn execute_as(&self, login: &str, batch: &str) -> Vec<String> {
        let mut engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        let mut session = crate::engine::Session::of(&engine.instance(), login, 999);
        engine
            .execute(&mut session, batch)
            .into_iter()
            .filter_map(|o| match o {
                crate::engine::Outcome::Error(e) => Some(format!("{}: {}", e.number, e.text)),
                _ => None,
            })
            .collect()
    }

    /// A simulated service restart: pending static `sp_configure` values take effect.
    pub fn restart(&self) {
        self.engine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .restart();
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// How a server started with [`start_with`] behaves beyond its instance: its encryption (the
/// certificate and "Force Encryption" settings of a real server) and where its statement log goes.
#[derive(Clone, Default)]
pub struct ServerOptions {
    /// Whether the server can encrypt and whether it insists; by default it has a certificate
    /// and encrypts as the client asks, as SQL Server does out of the box.
    pub encryption: ServerEncryption,
    /// The certificate chain and key to present. `None` with an encryption other than
    /// [`ServerEncryption::Unavailable`]: a self-signed certificate generated once per process.
    pub tls: Option<Arc<TlsIdentity>>,
    /// Where every statement received is also written as a JSON line, if anywhere.
    pub statement_log: Option<crate::engine::StatementSink>,
}

/// Starts serving `instance` on `addr` (use port 0 for a free port) on the current runtime.
pub async fn start(instance: Instance, addr: SocketAddr) -> std::io::Result<RunningServer> {
    start_logging(instance, addr, None).await
}

/// As [`start`] (encryption as the fixture says), also writing every statement received to
/// `sink` as a JSON line.
pub async fn start_logging(
    instance: Instance,
    addr: SocketAddr,
    sink: Option<crate::engine::StatementSink>,
) -> std::io::Result<RunningServer> {
    let options = ServerOptions {
        encryption: ServerEncryption::from(instance.encryption),
        statement_log: sink,
        ..ServerOptions::default()
    };
    start_with(instance, addr, options).await
}

/// The fixture's setting (`encryption = "forced"`) as the server applies it.
impl From<crate::instance::Encryption> for ServerEncryption {
    fn from(setting: crate::instance::Encryption) -> ServerEncryption {
        match setting {
            crate::instance::Encryption::Unavailable => ServerEncryption::Unavailable,
            crate::instance::Encryption::Optional => ServerEncryption::Optional,
            crate::instance::Encryption::Forced => ServerEncryption::Forced,
        }
    }
}

/// As [`start`], with the encryption and statement log given in `options`.
pub async fn start_with(
    instance: Instance,
    addr: SocketAddr,
    options: ServerOptions,
) -> std::io::Result<RunningServer> {
    let identity = match (options.encryption, options.tls) {
        (ServerEncryption::Unavailable, _) => None,
        (_, Some(identity)) => Some(identity),
        (_, None) => Some(TlsIdentity::self_signed().map_err(std::io::Error::other)?),
    };
    let tls = tls::TlsSetup {
        encryption: options.encryption,
        identity,
    };
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, mut stopped) = watch::channel(false);
    let faults = instance.faults.clone();
    let mut engine = Engine::new(&instance).map_err(std::io::Error::other)?;
    if let Some(sink) = options.statement_log {
        engine.log_to(&instance.server_name, sink);
    }
    let engine = Arc::new(std::sync::Mutex::new(engine));
    let served = Arc::clone(&engine);
    let instance = Arc::new(instance);
    if faults.refuse {
        // Fault: nothing listens on the port, so connecting is refused (RST), as when the
        // service is stopped.
        drop(listener);
        return Ok(RunningServer {
            addr,
            stop,
            engine: served,
        });
    }
    let held = stopped.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stopped.changed() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) if faults.hang => {
                        // Fault: accept, then never read nor answer, until the server stops.
                        let mut held = held.clone();
                        tokio::spawn(async move {
                            let _stream = stream;
                            let _ = held.changed().await;
                        });
                    }
                    Ok((stream, peer)) => {
                        let instance = Arc::clone(&instance);
                        let engine = Arc::clone(&engine);
                        let tls = tls.clone();
                        tokio::spawn(async move {
                            let connection = Connection::new(stream, instance, engine, tls);
                            if let Err(e) = connection.serve().await {
                                tracing::debug!(%peer, "connection ended: {e}");
                            }
                        });
                    }
                    Err(e) => tracing::warn!("accept failed: {e}"),
                },
            }
        }
    });
    Ok(RunningServer {
        addr,
        stop,
        engine: served,
    })
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
    #[error("client cannot encrypt and the server forces encryption")]
    EncryptionRefused,
    #[error("client starts with TLS (TDS 8.0) and the server has no certificate")]
    NoCertificate,
}

struct Connection {
    stream: tls::TdsStream,
    tls: tls::TlsSetup,
    instance: Arc<Instance>,
    engine: Arc<std::sync::Mutex<Engine>>,
    session: Session,
    packet_size: usize,
    /// Packets sent so far (for the drop-after-N-packets fault).
    packets_sent: u64,
    /// Client and server addresses, for `sys.dm_exec_connections`.
    peer: Option<(SocketAddr, SocketAddr)>,
    /// The TDS version agreed at login (7.x level, see [`tds_version::level`]).
    tds: u32,
    /// Statements prepared with `sp_prepare`/`sp_prepexec`: handle → (parameter
    /// declarations, statement).
    prepared: std::collections::HashMap<i32, (String, String)>,
    /// The last prepared-statement handle handed out.
    last_handle: i32,
}

impl Connection {
    fn new(
        stream: tokio::net::TcpStream,
        instance: Arc<Instance>,
        engine: Arc<std::sync::Mutex<Engine>>,
        tls: tls::TlsSetup,
    ) -> Self {
        let session = Session {
            login: String::new(),
            database: "master".into(),
            spid: next_spid(),
            principals: Vec::new(),
        };
        let peer = stream.peer_addr().ok().zip(stream.local_addr().ok());
        Connection {
            peer,
            packets_sent: 0,
            stream: tls::TdsStream::new(stream),
            tls,
            instance,
            engine,
            session,
            packet_size: DEFAULT_PACKET_SIZE,
            tds: tds_version::V7_4,
            prepared: std::collections::HashMap::new(),
            last_handle: 0,
        }
    }

    /// A token writer for this session's TDS version.
    fn writer(&self) -> TokenWriter {
        TokenWriter::for_tds(self.tds)
    }

    /// Whether requests start with ALL_HEADERS: from TDS 7.2 on (MS-TDS 2.2.5.3 ALL_HEADERS;
    /// 2.2.6.7 SQLBatch, 2.2.6.6 RPC Request, 2.2.6.9 TransMgrReq: "ALL_HEADERS ... only
    /// for TDS 7.2 and later").
    fn has_headers(&self) -> bool {
        self.tds >= tds_version::V7_2
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
        self.write_message(&tokens.into_bytes()).await
    }

    /// Writes one response message, split into packets, with the injected faults (if any).
    async fn write_message(&mut self, payload: &[u8]) -> Result<(), ConnectionError> {
        let bytes = packet::encode_message(PacketType::TabularResult, payload, self.packet_size);
        let faults = &self.instance.faults;
        if faults.latency_ms.is_none() && faults.drop_after_packets.is_none() {
            self.stream.write_all(&bytes).await?;
            self.stream.flush().await?;
            return Ok(());
        }
        // Faults: each packet delayed, and the connection dropped after N packets (mid-result).
        let mut rest = bytes.as_slice();
        while rest.len() >= HEADER_LEN {
            let length =
                usize::from(u16::from_be_bytes([rest[2], rest[3]])).clamp(HEADER_LEN, rest.len());
            if let Some(limit) = faults.drop_after_packets
                && self.packets_sent >= limit
            {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    format!("fault injected: connection dropped after {limit} packets"),
                )
                .into());
            }
            if let Some(ms) = faults.latency_ms {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            }
            self.stream.write_all(&rest[..length]).await?;
            self.stream.flush().await?;
            self.packets_sent += 1;
            rest = &rest[length..];
        }
        Ok(())
    }

    fn version3(&self) -> (u8, u8, u16) {
        let v = self.instance.version;
        (v.major, v.minor, v.build)
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

    /// PRELOGIN and the encryption it negotiates (the matrix is [`tls::negotiate`]), including
    /// the TLS handshake; a TDS 8.0 client's TLS comes first. Returns whether TLS ends after the
    /// LOGIN7 (login-only encryption), and the LOGIN7 of a TDS 7.0 client, which opens with it:
    /// PRELOGIN came with SQL Server 2000 (MS-TDS 2.2.6.5; FreeTDS with TDS 7.0 sends LOGIN7
    /// first), so such a client cannot encrypt and a server that forces encryption refuses it.
    async fn prelogin(&mut self) -> Result<(bool, Option<Vec<u8>>), ConnectionError> {
        let strict = self.stream.starts_with_tls().await?;
        if strict {
            let identity = self.tls.identity.clone();
            let identity = identity.ok_or(ConnectionError::NoCertificate)?;
            self.stream.start_tls(&identity, true).await?;
        }
        let payload = match self.read_message().await? {
            Some((PacketType::PreLogin, payload)) => payload,
            Some((PacketType::Login7, login)) if !strict => {
                if self.tls.encryption == tls::ServerEncryption::Forced {
                    return Err(ConnectionError::EncryptionRefused);
                }
                return Ok((false, Some(login)));
            }
            _ => {
                return Err(ProtocolError::Invalid {
                    what: "first message",
                    detail: "expected PRELOGIN".into(),
                }
                .into());
            }
        };
        let client = prelogin::decode(&payload)?;
        let (answer, plan) = tls::negotiate(client.encryption, self.tls.encryption);
        tracing::debug!(?client, ?answer, ?plan, strict, "prelogin");
        let response = prelogin::encode_response(self.version3(), answer);
        self.write_message(&response).await?;
        if strict {
            return Ok((false, None)); // encrypted already; the answer is informational
        }
        match plan {
            tls::Plan::Plain => Ok((false, None)),
            tls::Plan::Refuse => Err(ConnectionError::EncryptionRefused),
            tls::Plan::LoginOnly | tls::Plan::Full => {
                // `negotiate` plans TLS only for a server with a certificate.
                let identity = self.tls.identity.clone();
                let identity = identity.ok_or(ConnectionError::NoCertificate)?;
                self.stream.start_tls(&identity, false).await?;
                Ok((plan == tls::Plan::LoginOnly, None))
            }
        }
    }

    async fn serve(mut self) -> Result<(), ConnectionError> {
        let (login_only, early_login) = self.prelogin().await?;

        // LOGIN7.
        let payload = match early_login {
            Some(payload) => payload,
            None => {
                let Some((PacketType::Login7, payload)) = self.read_message().await? else {
                    return Err(ProtocolError::Invalid {
                        what: "second message",
                        detail: "expected LOGIN7".into(),
                    }
                    .into());
                };
                payload
            }
        };
        if login_only {
            self.stream.end_tls();
        }
        let login = login7::decode(&payload)?;
        self.login(&login).await?;
        if let Some((client, local)) = self.peer {
            let info = crate::engine::ConnectionInfo {
                spid: self.session.spid,
                encrypted: self.stream.is_encrypted(),
                auth_scheme: if login.integrated { "NTLM" } else { "SQL" }.into(),
                tds_version: login.tds_version.min(TDS_74),
                client,
                local,
                connected: crate::instance::when::format_datetime(crate::instance::when::now()),
            };
            self.engine
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .connected(info);
        }
        let spid = self.session.spid;
        let result = self.requests().await;
        self.engine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .disconnected(spid);
        result
    }

    /// Answers requests until the client leaves. A request the simulator cannot read gets an
    /// ERROR token and the connection stays usable: 8009 for an RPC ("The incoming tabular data
    /// stream (TDS) remote procedure call (RPC) protocol stream is incorrect"), 4002 for other
    /// requests ("The incoming tabular data stream (TDS) protocol stream is incorrect"), the
    /// numbers SQL Server uses, with what was wrong.
    async fn requests(&mut self) -> Result<(), ConnectionError> {
        while let Some((kind, payload)) = self.read_message().await? {
            let handled = match kind {
                PacketType::SqlBatch => self.batch(&payload).await,
                PacketType::Rpc => self.rpc(&payload).await,
                PacketType::TransactionManager => self.transaction_manager(&payload).await,
                PacketType::Attention => {
                    let mut w = self.writer();
                    w.done(DoneKind::Done, done::ATTENTION, 0, 0);
                    self.send(w).await
                }
                other => {
                    // Bulk load (and any client-to-server type the simulator does not serve):
                    // refused with an error, the connection kept.
                    let mut w = self.writer();
                    w.error(&self.message(
                        40000,
                        1,
                        16,
                        format!("The simulator does not handle {other:?} requests yet."),
                    ));
                    w.done(DoneKind::Done, done::ERROR, 0, 0);
                    self.send(w).await
                }
            };
            match handled {
                Err(ConnectionError::Protocol(e)) => {
                    tracing::info!(?kind, "unreadable request: {e}");
                    let (number, what) = if kind == PacketType::Rpc {
                        (8009, "remote procedure call (RPC) protocol stream")
                    } else {
                        (4002, "protocol stream")
                    };
                    let mut w = self.writer();
                    w.error(&self.message(
                        number,
                        1,
                        16,
                        format!("The incoming tabular data stream (TDS) {what} is incorrect. {e}."),
                    ));
                    w.done(DoneKind::Done, done::ERROR, 0, 0);
                    self.send(w).await?;
                }
                other => other?,
            }
        }
        Ok(())
    }

    /// Windows authentication: the client's NTLM NEGOTIATE came in the LOGIN7; the server
    /// answers with a CHALLENGE in an SSPI token, the client proves it knows the password in an
    /// AUTHENTICATE (packet type SSPI), verified against the fixture's Windows account. The
    /// account then enters through its own login or one of its groups' logins.
    async fn ntlm(
        &mut self,
        negotiate: &[u8],
    ) -> Result<Result<Session, crate::engine::LoginRefused>, ConnectionError> {
        use crate::tds::ntlm;
        let refused = crate::engine::LoginRefused::failed;
        let Ok(negotiate) = ntlm::parse_negotiate(negotiate) else {
            return Ok(Err(refused(
                "",
                "integrated authentication without an NTLM NEGOTIATE",
            )));
        };
        let server_challenge: [u8; 8] = {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u16(self.session.spid);
            h.finish().to_le_bytes()
        };
        let machine = self.instance.machine_name().to_owned();
        let domain = self
            .instance
            .windows_accounts
            .iter()
            .find_map(|a| a.name.split_once('\\').map(|(d, _)| d.to_owned()))
            .unwrap_or_else(|| machine.clone());
        let target = ntlm::Target {
            nb_domain: domain.clone(),
            nb_computer: machine.clone(),
            dns_domain: format!("{}.example", domain.to_lowercase()),
            dns_computer: format!(
                "{}.{}.example",
                machine.to_lowercase(),
                domain.to_lowercase()
            ),
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let challenge = ntlm::challenge(&negotiate, server_challenge, &target, ntlm::filetime(now));
        let mut w = self.writer();
        w.sspi(&challenge);
        self.send(w).await?;
        // SSPI is the packet type MS-TDS specifies; python-tds sends it as a LOGIN7 packet,
        // which SQL Server accepts too.
        let Some((PacketType::Sspi | PacketType::Login7, payload)) = self.read_message().await?
        else {
            return Err(ProtocolError::Invalid {
                what: "NTLM",
                detail: "expected the AUTHENTICATE message in an SSPI packet".into(),
            }
            .into());
        };
        let auth = match ntlm::parse_authenticate(&payload) {
            Ok(auth) => auth,
            Err(e) => {
                tracing::info!("NTLM AUTHENTICATE refused: {e}");
                return Ok(Err(refused("", "malformed or NTLMv1 AUTHENTICATE")));
            }
        };
        let account = format!("{}\\{}", auth.domain, auth.user);
        let spid = self.session.spid;
        let mut engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        let verified = engine
            .windows_password(&account)
            .is_some_and(|password| ntlm::verify_ntlmv2(&auth, server_challenge, &password));
        if !verified {
            return Ok(Err(refused(
                &account,
                "unknown Windows account or wrong password",
            )));
        }
        Ok(engine.login_windows(&account, spid))
    }

    /// Checks the login as SQL Server does and answers with LOGINACK or error 18456.
    async fn login(&mut self, login: &login7::Login7) -> Result<(), ConnectionError> {
        // Tokens from here on follow the client's version (TDS 8.0 is 7.4 inside TLS).
        self.tds = tds_version::level(login.tds_version).min(TDS_74);
        if let Some(ms) = self.instance.faults.login_delay_ms {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        let spid = self.session.spid;
        let checked = if login.integrated {
            self.ntlm(&login.sspi).await?
        } else {
            self.engine
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .login_sql(&login.username, &login.password, spid)
        };
        let session = match checked {
            Ok(session) => session,
            Err(refused) => {
                tracing::info!(user = %login.username, number = refused.error.number, reason = refused.reason, "login failed");
                let e = refused.error;
                let mut w = self.writer();
                w.error(&self.message(e.number, 1, e.class, e.text));
                w.done(DoneKind::Done, done::ERROR, 0, 0);
                self.send(w).await?;
                return Err(ConnectionError::LoginRefused);
            }
        };
        self.session = session;
        let requested = login.packet_size as usize;
        let new_size = if requested == 0 {
            DEFAULT_PACKET_SIZE
        } else {
            requested.clamp(MIN_PACKET_SIZE, MAX_PACKET_SIZE)
        };
        let tds_version = login.tds_version.min(TDS_74);
        let mut w = self.writer();
        w.env_change_text(1, "master", "master");
        w.info(&self.message(5701, 2, 0, "Changed database context to 'master'.".into()));
        if self.tds >= tds_version::V7_1_RTM {
            // Collations came with TDS 7.1 (MS-TDS 2.2.5.1.2 "TDS 7.1 and later").
            w.env_change_collation(crate::tds::tokens::COLLATION);
        }
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
        let headers = if self.has_headers() {
            crate::tds::rpc::all_headers_len(payload)?
        } else {
            0
        };
        let text = utf16le(payload.get(headers..).unwrap_or_default());
        tracing::debug!(batch = %text, "batch");
        if let Some(ms) = self.instance.faults.query_delay_ms {
            // Fault: the answer comes late (beyond a client's query timeout).
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        let mut outcomes = self
            .engine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .execute(&mut self.session, &text);
        for fault in &self.instance.faults.column_faults {
            for outcome in &mut outcomes {
                if let Outcome::Rows { columns, rows, .. } = outcome {
                    fault.apply(columns, rows);
                }
            }
        }
        let w = self.outcome_tokens(outcomes);
        self.send(w).await
    }

    /// RPC requests (tiberius sends every parameterised query as `sp_executesql`; ODBC
    /// drivers `sp_prepexec`/`sp_execute`): each call runs in the engine; its statements end
    /// with DONEINPROC, the call with RETURNSTATUS, a RETURNVALUE per OUTPUT parameter and
    /// DONEPROC (MS-TDS 2.2.4.3 and 2.2.7.18: "RETURNVALUE ... after the RETURNSTATUS and
    /// before DONEPROC").
    async fn rpc(&mut self, payload: &[u8]) -> Result<(), ConnectionError> {
        let requests = crate::tds::rpc::decode_for(payload, self.tds)?;
        if let Some(ms) = self.instance.faults.query_delay_ms {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        let mut w = self.writer();
        let count = requests.len();
        for (n, request) in requests.into_iter().enumerate() {
            let (outcomes, returns) = if request.no_exec {
                (Vec::new(), Vec::new())
            } else {
                self.call(&request)
            };
            let failed = outcomes.iter().any(|o| matches!(o, Outcome::Error(_)));
            self.write_outcomes(&mut w, outcomes, DoneKind::InProc, true);
            w.return_status(i32::from(failed));
            for (ordinal, name, kind, value) in returns {
                w.return_value(ordinal, &name, kind, &value);
            }
            let more = if n + 1 < count { done::MORE } else { 0 };
            w.done(
                DoneKind::Proc,
                more | if failed { done::ERROR } else { 0 },
                0xE0,
                0,
            );
        }
        self.send(w).await
    }

    /// Runs one RPC call: the prepared-statement procedures here (their handles belong to the
    /// connection), everything else in the engine. Returns the outcomes and the RETURNVALUEs
    /// (ordinal, name, type, value) of the OUTPUT parameters.
    fn call(&mut self, request: &crate::tds::rpc::RpcRequest) -> (Vec<Outcome>, Vec<ReturnValue>) {
        use crate::tds::tokens::Value;
        let base = request.procedure.rsplit('.').next().unwrap_or_default();
        let base = base.trim_matches(['[', ']']).to_ascii_lowercase();
        let params = &request.params;
        let handle_of = |i: usize| params.get(i).and_then(|p| p.value.as_int());
        if base == "sp_executesql"
            && let Some(error) = executesql_type_error(params)
        {
            return (vec![Outcome::Error(error)], Vec::new());
        }
        // sp_prepare (@handle OUTPUT, @params, @stmt [, @options]), sp_prepexec (@handle
        // OUTPUT, @params, @stmt, values…), sp_execute (@handle, values…), sp_unprepare
        // (@handle): learn.microsoft.com sp-prepare-transact-sql, sp-prepexec-transact-sql,
        // sp-execute-transact-sql, sp-unprepare-transact-sql.
        let (statement, declarations, values_from, handle_out) = match base.as_str() {
            "sp_prepare" | "sp_prepexec" => {
                let text = |i: usize| params.get(i).map(|p| p.value.as_text());
                let declarations = text(1).unwrap_or_default();
                let Some(statement) = text(2) else {
                    return (
                        vec![Outcome::Error(crate::engine::SqlError::new(
                            201,
                            16,
                            format!(
                                "Procedure or function '{base}' expects parameter '@stmt', which was not supplied."
                            ),
                        ))],
                        Vec::new(),
                    );
                };
                self.last_handle += 1;
                let handle = self.last_handle;
                self.prepared
                    .insert(handle, (declarations.clone(), statement.clone()));
                let out = params.first().filter(|p| p.output).map(|p| {
                    (
                        0u16,
                        p.name.clone(),
                        ColumnType::Int,
                        Value::Int(i64::from(handle)),
                    )
                });
                if base == "sp_prepare" {
                    return (
                        vec![Outcome::Done { rows: None }],
                        out.into_iter().collect(),
                    );
                }
                (statement, declarations, 3, out)
            }
            "sp_execute" | "sp_unprepare" => {
                let handle = handle_of(0).and_then(|h| i32::try_from(h).ok());
                let found = handle.and_then(|h| {
                    if base == "sp_unprepare" {
                        self.prepared.remove(&h)
                    } else {
                        self.prepared.get(&h).cloned()
                    }
                });
                let Some((declarations, statement)) = found else {
                    // Error 8179 (sys.messages): "Could not find prepared statement with
                    // handle %d."
                    return (
                        vec![Outcome::Error(crate::engine::SqlError::new(
                            8179,
                            16,
                            format!(
                                "Could not find prepared statement with handle {}.",
                                handle.map_or_else(|| "NULL".to_owned(), |h| h.to_string())
                            ),
                        ))],
                        Vec::new(),
                    );
                };
                if base == "sp_unprepare" {
                    return (vec![Outcome::Done { rows: None }], Vec::new());
                }
                (statement, declarations, 1, None)
            }
            _ => {
                let values: Vec<(String, Value)> = params
                    .iter()
                    .map(|p| (p.name.clone(), p.value.clone()))
                    .collect();
                let outputs: Vec<bool> = params.iter().map(|p| p.output).collect();
                let (outcomes, finals) = self
                    .engine
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .call_with_outputs(&mut self.session, &request.procedure, &values, &outputs);
                let returns = params
                    .iter()
                    .zip(finals)
                    .enumerate()
                    .filter(|(_, (p, _))| p.output)
                    .map(|(i, (p, v))| {
                        (
                            i as u16,
                            p.name.clone(),
                            p.ty.column_type(),
                            v.unwrap_or_else(|| p.value.clone()),
                        )
                    })
                    .collect();
                return (outcomes, returns);
            }
        };
        // Run as sp_executesql: the values after the fixed parameters take the declared
        // names in order when the client sent them unnamed.
        let names = declared_names(&declarations);
        let mut values = vec![
            ("@stmt".to_owned(), Value::Text(statement)),
            ("@params".to_owned(), Value::Text(declarations)),
        ];
        let mut outputs = vec![false, false];
        for (k, p) in params.iter().enumerate().skip(values_from) {
            let name = if p.name.is_empty() {
                names.get(k - values_from).cloned().unwrap_or_default()
            } else {
                p.name.clone()
            };
            values.push((name, p.value.clone()));
            outputs.push(p.output);
        }
        let (outcomes, finals) = self
            .engine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .call_with_outputs(&mut self.session, "sp_executesql", &values, &outputs);
        let mut returns: Vec<_> = handle_out.into_iter().collect();
        for (k, p) in params.iter().enumerate().skip(values_from) {
            if p.output {
                let at = 2 + k - values_from;
                let value = finals.get(at).cloned().flatten();
                returns.push((
                    k as u16,
                    p.name.clone(),
                    p.ty.column_type(),
                    value.unwrap_or_else(|| p.value.clone()),
                ));
            }
        }
        (outcomes, returns)
    }

    /// A Transaction Manager request (MS-TDS 2.2.6.9): begin, commit, rollback (optionally
    /// beginning the next transaction, fBeginXact), save; answered with ENVCHANGE 8/9/10 and
    /// DONE. The DTC requests are refused with error 8501, as a server whose MSDTC is not
    /// running refuses them.
    async fn transaction_manager(&mut self, payload: &[u8]) -> Result<(), ConnectionError> {
        use crate::tds::transaction::{self, TmRequest};
        let tm = transaction::decode(payload, self.has_headers())?;
        tracing::debug!(?tm, "transaction manager request");
        let spid = self.session.spid;
        let mut changes = Vec::new();
        let result = {
            let mut engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
            let begin = |engine: &mut Engine, changes: &mut Vec<TransactionChange>| {
                // Lazily: ODBC drivers keep a TM transaction open all the time.
                if let Some(d) = engine.begin_transaction(spid, true) {
                    changes.push(TransactionChange::Begin(d));
                }
            };
            match tm.request {
                TmRequest::Begin { .. } => {
                    begin(&mut engine, &mut changes);
                    Ok(())
                }
                TmRequest::Commit { then_begin, .. } => {
                    engine.commit_transaction(spid).map(|ended| {
                        changes.extend(ended.map(TransactionChange::Commit));
                        if then_begin.is_some() {
                            begin(&mut engine, &mut changes);
                        }
                    })
                }
                TmRequest::Rollback { name, then_begin } => {
                    // The name is a savepoint's or the transaction's: try the savepoint first.
                    let rolled = match engine.rollback_transaction(spid, Some(&name)) {
                        Err(e) if e.number == 6401 => engine.rollback_transaction(spid, None),
                        other => other,
                    };
                    rolled.map(|ended| {
                        changes.extend(ended.map(TransactionChange::Rollback));
                        if then_begin.is_some() {
                            begin(&mut engine, &mut changes);
                        }
                    })
                }
                TmRequest::Save { name } => engine.save_transaction(spid, &name),
                TmRequest::GetDtcAddress | TmRequest::Propagate | TmRequest::Promote => {
                    Err(crate::engine::SqlError::new(
                        8501,
                        16,
                        format!(
                            "MSDTC on server '{}' is unavailable.",
                            self.instance.server_name
                        ),
                    ))
                }
            }
        };
        let mut w = self.writer();
        for change in changes {
            Self::env_change_transaction(&mut w, change);
        }
        match result {
            Ok(()) => w.done(DoneKind::Done, 0, 0, 0),
            Err(e) => {
                w.error(&self.message(e.number, e.state, e.class, e.text));
                w.done(DoneKind::Done, done::ERROR, 0, 0);
            }
        }
        self.send(w).await
    }

    fn env_change_transaction(w: &mut TokenWriter, change: TransactionChange) {
        match change {
            TransactionChange::Begin(d) => w.env_change_transaction(8, d),
            TransactionChange::Commit(d) => w.env_change_transaction(9, d),
            TransactionChange::Rollback(d) => w.env_change_transaction(10, d),
        }
    }

    /// The token stream for a batch's outcomes: one DONE per statement that ends, MORE on all
    /// but the last.
    fn outcome_tokens(&self, outcomes: Vec<Outcome>) -> TokenWriter {
        let mut w = self.writer();
        self.write_outcomes(&mut w, outcomes, DoneKind::Done, false);
        w
    }

    /// Writes outcomes as tokens, each statement ended by a `kind` token; `inside` (an RPC's
    /// statements) keeps MORE on every one, since the procedure's own DONEPROC follows.
    fn write_outcomes(
        &self,
        w: &mut TokenWriter,
        outcomes: Vec<Outcome>,
        kind: DoneKind,
        inside: bool,
    ) {
        let ends = |o: &Outcome| {
            matches!(
                o,
                Outcome::Rows { .. } | Outcome::Error(_) | Outcome::Done { .. }
            )
        };
        // The last statement's DONE ends the response, unless messages follow it: then a
        // final DONE of its own does.
        let last_done = outcomes.iter().rposition(ends).filter(|&i| {
            i + 1 == outcomes.len()
                || outcomes[i + 1..]
                    .iter()
                    .all(|o| matches!(o, Outcome::ReturnStatus(_)))
        });
        let mut dones = 0;
        for (i, outcome) in outcomes.into_iter().enumerate() {
            let more = if Some(i) == last_done && !inside {
                0
            } else {
                done::MORE
            };
            match outcome {
                Outcome::Rows {
                    columns,
                    rows,
                    not_null,
                } => {
                    let names: Vec<(&str, ColumnType)> = columns
                        .iter()
                        .map(|(n, t)| (if unnamed(n) { "" } else { n.as_str() }, *t))
                        .collect();
                    let kinds: Vec<ColumnType> = columns.iter().map(|c| c.1).collect();
                    let (names, kinds) = widened(names, kinds, &rows);
                    w.column_metadata_with(&names, &not_null);
                    for row in &rows {
                        w.row(&kinds, row);
                    }
                    w.done(kind, done::COUNT | more, 0xC1, rows.len() as u64);
                    dones += 1;
                }
                Outcome::Done { rows } => {
                    let status = if rows.is_some() { done::COUNT } else { 0 };
                    w.done(kind, status | more, 0, rows.unwrap_or(0));
                    dones += 1;
                }
                Outcome::Error(e) => {
                    w.error(&self.message(e.number, e.state, e.class, e.text));
                    w.done(kind, done::ERROR | more, 0, 0);
                    dones += 1;
                }
                Outcome::Info(m) => {
                    w.info(&self.message(m.number, m.state, m.class, m.text));
                }
                Outcome::DatabaseChanged { new, old } => {
                    w.env_change_text(1, &new, &old);
                }
                Outcome::ReturnStatus(_) => {}
                Outcome::Transaction(change) => Self::env_change_transaction(w, change),
            }
        }
        if !inside && (dones == 0 || last_done.is_none()) {
            w.done(kind, 0, 0, 0);
        }
    }
}

/// An OUTPUT parameter to send back: ordinal, name, type, value (RETURNVALUE).
type ReturnValue = (u16, String, ColumnType, crate::tds::tokens::Value);

/// The parameter names of an `sp_executesql`-style declaration list (`@P1 int, @P2
/// nvarchar(10) OUTPUT`), in order.
fn declared_names(declarations: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in declarations.chars().chain(std::iter::once(',')) {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                if let Some(name) = current.split_whitespace().next()
                    && name.starts_with('@')
                {
                    names.push(name.to_owned());
                }
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    names
}

/// sp_executesql's statement and parameter list must be Unicode: "@stmt … must be either a
/// Unicode constant or a Unicode variable … Character constants aren't allowed", and the same
/// for @params (learn.microsoft.com "sp_executesql (Transact-SQL)"). A `varchar`, `char` or
/// `text` one (as pymssql's `callproc` sends a Python `str`) fails with 214, "Procedure expects
/// parameter '%ls' of type '%ls'." (learn.microsoft.com "Database engine events and errors (0 to
/// 999)"), naming the parameter as SQL Server does: `@statement`, `@params`.
fn executesql_type_error(params: &[crate::tds::rpc::RpcParam]) -> Option<crate::engine::SqlError> {
    use crate::tds::rpc::ParamType;
    params
        .iter()
        .take(2)
        .zip(["@statement", "@params"])
        .find(|(p, _)| {
            matches!(
                p.ty,
                ParamType::Char { .. } | ParamType::VarChar { .. } | ParamType::Text
            )
        })
        .map(|(_, name)| {
            crate::engine::SqlError::new(
                214,
                16,
                format!("Procedure expects parameter '{name}' of type 'ntext/nchar/nvarchar'."),
            )
        })
}

/// The columns' wire types, with an `nvarchar` column whose values exceed 4,000 UTF-16 code
/// units sent as `nvarchar(max)` and a `varbinary` one over 8,000 bytes as `varbinary(max)`:
/// with a USHORTLEN maximum NVARCHARTYPE holds 0 to 4,000 characters and BIGVARBINARYTYPE 0 to
/// 8,000 bytes; longer values need the max form, sent as PLP (MS-TDS 2.2.5.4.4 "Partially
/// Length-Prefixed Data Types"; learn.microsoft.com "nchar and nvarchar (Transact-SQL)": n is
/// 1 through 4,000). A computed
/// column (`SELECT @p` of an `nvarchar(max)` parameter) gets its type from its values, so
/// without this a long value would be cut to 4,000 characters.
fn widened<'a>(
    mut names: Vec<(&'a str, ColumnType)>,
    mut kinds: Vec<ColumnType>,
    rows: &[Vec<Value>],
) -> (Vec<(&'a str, ColumnType)>, Vec<ColumnType>) {
    for (i, kind) in kinds.iter_mut().enumerate() {
        let long = |limit: usize, size: fn(&Value) -> usize| {
            rows.iter()
                .any(|row| row.get(i).is_some_and(|v| size(v) > limit))
        };
        let wider = match *kind {
            ColumnType::NVarChar(_)
                if long(4000, |v| match v {
                    Value::Text(t) => t.encode_utf16().count(),
                    _ => 0,
                }) =>
            {
                ColumnType::NVarCharMax
            }
            ColumnType::VarBinary(_)
                if long(8000, |v| match v {
                    Value::Binary(b) => b.len(),
                    Value::Text(t) => t.len(),
                    _ => 0,
                }) =>
            {
                ColumnType::VarBinaryMax
            }
            _ => continue,
        };
        *kind = wider;
        names[i].1 = wider;
    }
    (names, kinds)
}

/// Whether a result column's name is the text of an expression rather than a name: SQL Server
/// sends such a column with a zero-length name (MS-TDS 2.2.7.4 COLMETADATA, ColName B_VARCHAR;
/// learn.microsoft.com "SELECT - column_alias": without an alias an expression's column has no
/// name), where SQLite would name it after the expression or the simulator's own translation
/// (`__global('TRANCOUNT')`). A name is taken as an expression when it holds what no column
/// name or alias in the simulator's catalog holds: brackets of a call, quotes, operators, a
/// leading digit or `@`, or the translator's `__` prefix.
fn unnamed(name: &str) -> bool {
    name.starts_with("__")
        || name.starts_with('@')
        || name.starts_with(|c: char| c.is_ascii_digit())
        || name.contains(['(', ')', '\'', '+', '*', '/', '=', '<', '>', ',', '%'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_computed_values_are_sent_as_max_types() {
        let names = vec![
            ("", ColumnType::NVarChar(4000)),
            ("", ColumnType::NVarChar(4000)),
            ("", ColumnType::VarBinary(8000)),
            ("", ColumnType::Int),
        ];
        let kinds: Vec<ColumnType> = names.iter().map(|n| n.1).collect();
        let rows = vec![
            vec![
                Value::Text("x".repeat(4000)),
                Value::Text("é".repeat(4001)),
                Value::Binary(vec![0; 8001]),
                Value::Int(1),
            ],
            vec![Value::Null, Value::Null, Value::Null, Value::Null],
        ];
        let (names, kinds) = widened(names, kinds, &rows);
        let expected = [
            ColumnType::NVarChar(4000),
            ColumnType::NVarCharMax,
            ColumnType::VarBinaryMax,
            ColumnType::Int,
        ];
        assert_eq!(kinds, expected);
        assert_eq!(names.iter().map(|n| n.1).collect::<Vec<_>>(), expected);
    }

    #[test]
    fn sp_executesql_wants_a_unicode_statement_and_parameter_list() {
        use crate::tds::rpc::{ParamType, RpcParam};
        let param = |ty| RpcParam {
            name: String::new(),
            value: Value::Text("SELECT 1".into()),
            output: false,
            default: false,
            ty,
        };
        let unicode = param(ParamType::NVarChar { len: Some(16) });
        assert!(executesql_type_error(std::slice::from_ref(&unicode)).is_none());
        assert!(executesql_type_error(&[param(ParamType::NText), unicode.clone()]).is_none());
        let e = executesql_type_error(&[param(ParamType::VarChar { len: Some(8) })]).unwrap();
        assert_eq!((e.number, e.class), (214, 16));
        assert_eq!(
            e.text,
            "Procedure expects parameter '@statement' of type 'ntext/nchar/nvarchar'."
        );
        let e = executesql_type_error(&[unicode, param(ParamType::Text)]).unwrap();
        assert!(e.text.contains("'@params'"), "{}", e.text);
        // A later parameter (a value) may be of any type.
        let values = [
            param(ParamType::NVarChar { len: None }),
            param(ParamType::NVarChar { len: None }),
            param(ParamType::VarChar { len: Some(8) }),
        ];
        assert!(executesql_type_error(&values).is_none());
    }
}
