//! TLS as SQL Server does it: negotiated in PRELOGIN, its handshake carried inside TDS PRELOGIN
//! packets, then a plain TLS stream carrying the usual TDS packets (MS-TDS 2.2.6.5, 3.3.5).
//!
//! What the spec and real clients say, as found while writing this module:
//!
//! * The server's answer to the client's ENCRYPTION byte follows the first table of MS-TDS
//!   2.2.6.5; [`negotiate`] is that table, with "server set to ENCRYPT_OFF" being
//!   [`ServerEncryption::Optional`] (a certificate, encryption not forced), "ENCRYPT_ON" being
//!   [`ServerEncryption::Forced`] and "ENCRYPT_NOT_SUP" being [`ServerEncryption::Unavailable`].
//!   A client asking for REQ is answered ON, not REQ: REQ only ever goes to a client that did not
//!   ask for full encryption, telling it that it must.
//! * The only cell where the spec has the *server* end the connection is a client that cannot
//!   encrypt (NOT_SUP) against a server that forces encryption: the server answers REQ and closes.
//!   In the other "connection terminated" cells (a client that wants encryption, a server that
//!   has none) the server answers NOT_SUP and it is the client that gives up.
//! * Login-only encryption (client OFF, server OFF) wraps the LOGIN7 only: the login response
//!   and everything after it travel in clear, and neither side sends a TLS close_notify (FreeTDS
//!   and python-tds drop their TLS session silently; tiberius swaps its stream back). FreeTDS
//!   encrypts exactly the first *packet* of the login; the simulator reads the whole LOGIN7
//!   message through TLS, the same thing for every login that fits in one 4096-byte packet.
//! * The handshake travels in PRELOGIN (0x12) packets in both directions (MS-TDS 3.2.5.2: the
//!   client passes on what arrives in "TDS packet type 0x12"); once it is complete, TLS records
//!   flow with no TDS framing around them and TDS packets travel inside TLS.
//! * TDS 8.0 ("strict", SQL Server 2022): the client starts TLS straight away, so the server
//!   recognises a TLS ClientHello by its first byte 0x16 (MS-TDS 3.3.5.1), and PRELOGIN is then
//!   exchanged inside TLS. Clients offer ALPN "tds/8.0".
//! * TDS 7.x TLS is limited to TLS 1.2 here, as SQL Server does (TLS 1.3 only with TDS 8.0);
//!   that also keeps TLS 1.3 session tickets, which would arrive after a client considers the
//!   handshake over, out of the PRELOGIN-framed exchange.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

use crate::tds::packet::{self, DEFAULT_PACKET_SIZE, HEADER_LEN, PacketType};
use crate::tds::prelogin::Encryption;

/// A server's encryption setting: whether it has a certificate and whether it forces encryption,
/// the two settings a SQL Server administrator controls (and an audit checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerEncryption {
    /// No certificate: PRELOGIN answers ENCRYPT_NOT_SUP and everything travels in clear (SQL
    /// Server 2000 without a certificate; later versions always have at least a self-signed one).
    Unavailable,
    /// A certificate, encryption not forced: encrypts as the client asks, and at least the
    /// LOGIN7 of any client that can encrypt. SQL Server's default.
    #[default]
    Optional,
    /// "Force Encryption" on: every client that can encrypt gets a fully encrypted session, and
    /// one that cannot is refused.
    Forced,
}

/// What the connection does after the PRELOGIN response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// No TLS at all.
    Plain,
    /// TLS for the LOGIN7 only, then back to clear.
    LoginOnly,
    /// TLS for the whole session.
    Full,
    /// Close the connection after the response.
    Refuse,
}

/// The server's PRELOGIN answer to the client's ENCRYPTION value and what follows, per MS-TDS
/// 2.2.6.5:
///
/// | client \ server | Unavailable      | Optional          | Forced           |
/// |-----------------|------------------|-------------------|------------------|
/// | NOT_SUP         | NOT_SUP, plain   | NOT_SUP, plain    | REQ, closed      |
/// | OFF             | NOT_SUP, plain   | OFF, login only   | REQ, full        |
/// | ON              | NOT_SUP (client quits) | ON, full    | ON, full         |
/// | REQ             | NOT_SUP (client quits) | ON, full    | ON, full         |
///
/// "Client quits": the spec ends the connection, but from the client's side; the server has no
/// certificate to offer and waits for a LOGIN7 as after any NOT_SUP.
pub(crate) fn negotiate(client: Encryption, server: ServerEncryption) -> (Encryption, Plan) {
    use Encryption::{NotSupported, Off, On, Required};
    match (client, server) {
        (_, ServerEncryption::Unavailable) => (NotSupported, Plan::Plain),
        (NotSupported, ServerEncryption::Optional) => (NotSupported, Plan::Plain),
        (NotSupported, ServerEncryption::Forced) => (Required, Plan::Refuse),
        (Off, ServerEncryption::Optional) => (Off, Plan::LoginOnly),
        (Off, ServerEncryption::Forced) => (Required, Plan::Full),
        (On | Required, _) => (On, Plan::Full),
    }
}

/// Why a certificate and key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsIdentityError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A file holds no usable PEM item of the kind expected.
    #[error("{}: {what}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        what: String,
    },
    /// rustls refused the pair (for example a key that does not match the certificate).
    #[error("certificate {} with key {}: {source}", cert.display(), key.display())]
    Rejected {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls's reason.
        source: rustls::Error,
    },
    /// Generating the self-signed certificate failed.
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(String),
}

/// The certificate chain and private key a TLS-capable server presents, with the rustls
/// configurations built from them once (not per connection).
pub struct TlsIdentity {
    pem: String,
    /// TDS 7.x: TLS 1.2, as SQL Server.
    tds7: Arc<ServerConfig>,
    /// TDS 8.0 strict: TLS 1.2 or 1.3, ALPN "tds/8.0".
    strict: Arc<ServerConfig>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity").finish_non_exhaustive()
    }
}

impl TlsIdentity {
    /// Loads a PEM certificate chain (leaf first) and a PEM private key (PKCS#8, PKCS#1 or
    /// SEC1), as a real server's administrator would install them; errors name the file.
    pub fn from_pem_files(
        cert: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<TlsIdentity, TlsIdentityError> {
        let (cert, key) = (cert.as_ref(), key.as_ref());
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| TlsIdentityError::Read {
                path: path.to_owned(),
                source,
            })
        };
        let pem_error = |path: &Path, what: String| TlsIdentityError::Pem {
            path: path.to_owned(),
            what,
        };
        let cert_pem = read(cert)?;
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pem_error(cert, format!("not a PEM certificate file: {e}")))?;
        if chain.is_empty() {
            return Err(pem_error(cert, "no CERTIFICATE in the file".into()));
        }
        let key_pem = read(key)?;
        let private = PrivateKeyDer::from_pem_slice(&key_pem)
            .map_err(|e| pem_error(key, format!("no usable PEM private key: {e}")))?;
        let pem = String::from_utf8_lossy(&cert_pem).into_owned();
        TlsIdentity::new(pem, chain, private).map_err(|source| TlsIdentityError::Rejected {
            cert: cert.to_owned(),
            key: key.to_owned(),
            source,
        })
    }

    /// The self-signed certificate used when a TLS-capable server is given none: generated
    /// once per process (CN=localhost, SANs localhost and 127.0.0.1), as SQL Server generates
    /// its fallback certificate at start-up.
    pub fn self_signed() -> Result<Arc<TlsIdentity>, TlsIdentityError> {
        static GENERATED: OnceLock<Arc<TlsIdentity>> = OnceLock::new();
        if let Some(identity) = GENERATED.get() {
            return Ok(Arc::clone(identity));
        }
        let failed = |e: &dyn std::fmt::Display| TlsIdentityError::Generate(e.to_string());
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .map_err(|e| failed(&e))?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        let key = rcgen::KeyPair::generate().map_err(|e| failed(&e))?;
        let cert = params.self_signed(&key).map_err(|e| failed(&e))?;
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let identity = TlsIdentity::new(cert.pem(), vec![cert.der().clone()], private)
            .map_err(|e| failed(&e))?;
        // Two first connections racing may both generate; one certificate wins for the process.
        Ok(Arc::clone(GENERATED.get_or_init(|| Arc::new(identity))))
    }

    /// The certificate chain in PEM, for a client to trust (FreeTDS `ca file`, python-tds
    /// `cafile`, tiberius `trust_cert_ca`).
    pub fn certificate_pem(&self) -> &str {
        &self.pem
    }

    fn new(
        pem: String,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<TlsIdentity, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = |versions: &[&'static rustls::SupportedProtocolVersion]| {
            let mut config = ServerConfig::builder_with_provider(Arc::clone(&provider))
                .with_protocol_versions(versions)?
                .with_no_client_auth()
                .with_single_cert(chain.clone(), key.clone_key())?;
            config.send_tls13_tickets = 0;
            Ok::<_, rustls::Error>(config)
        };
        let tds7 = config(&[&rustls::version::TLS12])?;
        let mut strict = config(&[&rustls::version::TLS13, &rustls::version::TLS12])?;
        strict.alpn_protocols = vec![b"tds/8.0".to_vec()];
        Ok(TlsIdentity {
            pem,
            tds7: Arc::new(tds7),
            strict: Arc::new(strict),
        })
    }
}

/// The encryption a connection may use: the server's setting and, unless it is
/// [`ServerEncryption::Unavailable`], its certificate.
#[derive(Debug, Clone)]
pub(crate) struct TlsSetup {
    pub encryption: ServerEncryption,
    pub identity: Option<Arc<TlsIdentity>>,
}

/// The TLS stream of a connection: its handshake ran over [`PreloginFramed`], which now passes
/// bytes through.
type Tls = tokio_rustls::server::TlsStream<PreloginFramed<TcpStream>>;

/// A connection's byte stream: plain TCP, or TLS over it. One type for the connection's whole
/// life, so that the TDS code above it does not change when TLS starts or (login-only) ends.
pub(crate) struct TdsStream {
    state: State,
}

enum State {
    Plain(TcpStream),
    Tls(Box<Tls>),
    /// Only while switching; a failed switch leaves it, and the connection is then dropped.
    Switching,
}

impl TdsStream {
    pub(crate) fn new(tcp: TcpStream) -> TdsStream {
        TdsStream {
            state: State::Plain(tcp),
        }
    }

    /// Whether the client opened with a TLS ClientHello (TDS 8.0 strict) rather than a
    /// PRELOGIN packet (MS-TDS 3.3.5.1: a first byte of 0x16).
    pub(crate) async fn starts_with_tls(&self) -> io::Result<bool> {
        match &self.state {
            State::Plain(tcp) => {
                let mut first = [0u8; 1];
                Ok(tcp.peek(&mut first).await? == 1 && first[0] == 0x16)
            }
            _ => Ok(false),
        }
    }

    /// Runs the server side of the TLS handshake: inside PRELOGIN packets (TDS 7.x) or, for a
    /// TDS 8.0 client, directly on the socket.
    pub(crate) async fn start_tls(
        &mut self,
        identity: &TlsIdentity,
        strict: bool,
    ) -> io::Result<()> {
        let State::Plain(tcp) = std::mem::replace(&mut self.state, State::Switching) else {
            return Err(io::Error::other("TLS started twice"));
        };
        let config = if strict {
            &identity.strict
        } else {
            &identity.tds7
        };
        let framed = PreloginFramed::new(tcp, !strict);
        let mut tls = TlsAcceptor::from(Arc::clone(config)).accept(framed).await?;
        tls.get_mut().0.pass_through();
        self.state = State::Tls(Box::new(tls));
        Ok(())
    }

    /// Whether TLS protects the session now (`sys.dm_exec_connections.encrypt_option`).
    pub(crate) fn is_encrypted(&self) -> bool {
        matches!(self.state, State::Tls(_))
    }

    /// Ends login-only encryption: drops the TLS session, as the client does after sending its
    /// LOGIN7, and continues in clear on the same socket (no close_notify either way).
    pub(crate) fn end_tls(&mut self) {
        if let State::Tls(tls) = std::mem::replace(&mut self.state, State::Switching) {
            let (framed, _session) = tls.into_inner();
            self.state = State::Plain(framed.into_inner());
        }
    }
}

fn switching() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "TLS handshake failed earlier")
}

impl AsyncRead for TdsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.get_mut().state {
            State::Plain(s) => Pin::new(s).poll_read(cx, buf),
            State::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            State::Switching => Poll::Ready(Err(switching())),
        }
    }
}

impl AsyncWrite for TdsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().state {
            State::Plain(s) => Pin::new(s).poll_write(cx, buf),
            State::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            State::Switching => Poll::Ready(Err(switching())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().state {
            State::Plain(s) => Pin::new(s).poll_flush(cx),
            State::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            State::Switching => Poll::Ready(Err(switching())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().state {
            State::Plain(s) => Pin::new(s).poll_shutdown(cx),
            State::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            State::Switching => Poll::Ready(Ok(())),
        }
    }
}

/// Carries a TLS handshake inside TDS PRELOGIN packets: while framing, what is read is the
/// payload of the client's 0x12 packets and what is written goes out as 0x12 packets, one
/// message per flush (one per handshake flight); after [`PreloginFramed::pass_through`], bytes
/// pass unchanged.
pub(crate) struct PreloginFramed<S> {
    inner: S,
    framing: bool,
    /// Read side: the header of the packet being read, and how much of it has arrived.
    header: [u8; HEADER_LEN],
    header_filled: usize,
    /// Read side: payload bytes of the current packet not yet handed to TLS.
    payload_left: usize,
    /// Write side: TLS bytes written since the last flush.
    pending: Vec<u8>,
    /// Write side: framed packets being written, and how far.
    out: Vec<u8>,
    out_at: usize,
}

impl<S> PreloginFramed<S> {
    pub(crate) fn new(inner: S, framing: bool) -> PreloginFramed<S> {
        PreloginFramed {
            inner,
            framing,
            header: [0; HEADER_LEN],
            header_filled: 0,
            payload_left: 0,
            pending: Vec::new(),
            out: Vec::new(),
            out_at: 0,
        }
    }

    /// The handshake is over: from now on TLS records travel without TDS framing.
    pub(crate) fn pass_through(&mut self) {
        debug_assert!(self.pending.is_empty() && self.out_at == self.out.len());
        self.framing = false;
    }

    pub(crate) fn into_inner(self) -> S {
        self.inner
    }
}

fn invalid(detail: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, detail)
}

impl<S: AsyncRead + Unpin> AsyncRead for PreloginFramed<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.framing {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        while this.payload_left == 0 {
            let mut header = ReadBuf::new(&mut this.header[this.header_filled..]);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut header))?;
            let got = header.filled().len();
            if got == 0 {
                return if this.header_filled == 0 {
                    Poll::Ready(Ok(())) // end of stream between packets
                } else {
                    Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()))
                };
            }
            this.header_filled += got;
            if this.header_filled < HEADER_LEN {
                continue;
            }
            this.header_filled = 0;
            if this.header[0] != PacketType::PreLogin.code() {
                return Poll::Ready(Err(invalid(format!(
                    "packet type 0x{:02X} during the TLS handshake (expected PRELOGIN 0x12)",
                    this.header[0]
                ))));
            }
            let length = u16::from_be_bytes([this.header[2], this.header[3]]) as usize;
            if length < HEADER_LEN {
                return Poll::Ready(Err(invalid(format!("packet length {length}"))));
            }
            this.payload_left = length - HEADER_LEN;
        }
        let want = this.payload_left.min(buf.remaining());
        let mut part = ReadBuf::new(buf.initialize_unfilled_to(want));
        ready!(Pin::new(&mut this.inner).poll_read(cx, &mut part))?;
        let got = part.filled().len();
        if got == 0 && want > 0 {
            return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
        }
        buf.advance(got);
        this.payload_left -= got;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for PreloginFramed<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !this.framing {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        }
        this.pending.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.out_at == this.out.len() && !this.pending.is_empty() {
            this.out =
                packet::encode_message(PacketType::PreLogin, &this.pending, DEFAULT_PACKET_SIZE);
            this.out_at = 0;
            this.pending.clear();
        }
        while this.out_at < this.out.len() {
            let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &this.out[this.out_at..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            this.out_at += n;
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush(cx))?;
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn the_matrix_refuses_only_a_client_that_cannot_encrypt_a_forcing_server() {
        use Encryption::{NotSupported, Off, On, Required};
        use ServerEncryption::{Forced, Optional, Unavailable};
        for client in [NotSupported, Off, On, Required] {
            assert_eq!(negotiate(client, Unavailable), (NotSupported, Plan::Plain));
        }
        assert_eq!(
            negotiate(NotSupported, Optional),
            (NotSupported, Plan::Plain)
        );
        assert_eq!(negotiate(NotSupported, Forced), (Required, Plan::Refuse));
        assert_eq!(negotiate(Off, Optional), (Off, Plan::LoginOnly));
        assert_eq!(negotiate(Off, Forced), (Required, Plan::Full));
        for client in [On, Required] {
            for server in [Optional, Forced] {
                assert_eq!(negotiate(client, server), (On, Plan::Full));
            }
        }
    }

    #[test]
    fn pem_files_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.crt");
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not a certificate").unwrap();
        let generated = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let (cert, key) = (dir.path().join("sim.crt"), dir.path().join("sim.key"));
        std::fs::write(&cert, generated.cert.pem()).unwrap();
        std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
        let other = rcgen::KeyPair::generate().unwrap();
        let wrong_key = dir.path().join("other.key");
        std::fs::write(&wrong_key, other.serialize_pem()).unwrap();

        let message = |cert: &Path, key: &Path| {
            TlsIdentity::from_pem_files(cert, key)
                .map(|_| ())
                .unwrap_err()
                .to_string()
        };
        let text = message(&missing, &key);
        assert!(text.contains("missing.crt"), "{text}");
        let text = message(&garbage, &key);
        assert!(
            text.contains("garbage.pem") && text.contains("CERTIFICATE"),
            "{text}"
        );
        let text = message(&cert, &garbage);
        assert!(
            text.contains("garbage.pem") && text.contains("key"),
            "{text}"
        );
        let text = message(&cert, &wrong_key);
        assert!(
            text.contains("sim.crt") && text.contains("other.key"),
            "{text}"
        );

        let identity = TlsIdentity::from_pem_files(&cert, &key).unwrap();
        assert_eq!(identity.certificate_pem(), generated.cert.pem());
    }

    #[tokio::test]
    async fn handshake_bytes_are_framed_in_prelogin_packets_until_pass_through() {
        let (near, mut far) = tokio::io::duplex(64 * 1024);
        let mut framed = PreloginFramed::new(near, true);

        // Reading: two PRELOGIN packets, the first not the last of its message, arrive as one
        // stream of payload bytes.
        let mut wire = packet::encode_message(PacketType::PreLogin, &[1u8; 600], 512);
        wire.extend(packet::encode_message(PacketType::PreLogin, b"tail", 512));
        far.write_all(&wire).await.unwrap();
        let mut payload = vec![0u8; 604];
        framed.read_exact(&mut payload).await.unwrap();
        assert_eq!(&payload[..600], &[1u8; 600][..]);
        assert_eq!(&payload[600..], b"tail");

        // Writing: what is written before a flush goes out as one PRELOGIN message.
        framed.write_all(b"server ").await.unwrap();
        framed.write_all(b"flight").await.unwrap();
        framed.flush().await.unwrap();
        let mut header = [0u8; HEADER_LEN];
        far.read_exact(&mut header).await.unwrap();
        assert_eq!(
            (header[0], header[1]),
            (0x12, 0x01),
            "PRELOGIN, end of message"
        );
        assert_eq!(u16::from_be_bytes([header[2], header[3]]), 8 + 13);
        let mut body = [0u8; 13];
        far.read_exact(&mut body).await.unwrap();
        assert_eq!(&body, b"server flight");

        // Another packet type during the handshake is an error.
        far.write_all(&packet::encode_message(PacketType::Login7, b"x", 512))
            .await
            .unwrap();
        let mut byte = [0u8; 1];
        let error = framed.read(&mut byte).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);

        // After the handshake, bytes pass unchanged both ways.
        let (near, mut far) = tokio::io::duplex(1024);
        let mut framed = PreloginFramed::new(near, true);
        framed.pass_through();
        framed.write_all(b"\x17\x03\x03record").await.unwrap();
        framed.flush().await.unwrap();
        let mut out = [0u8; 9];
        far.read_exact(&mut out).await.unwrap();
        assert_eq!(&out, b"\x17\x03\x03record");
        far.write_all(b"raw").await.unwrap();
        let mut back = [0u8; 3];
        framed.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"raw");
    }
}
