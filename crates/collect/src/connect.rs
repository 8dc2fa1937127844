//! Connecting to one target.

use std::time::Duration;

use tiberius::{AuthMethod, Client, Config, EncryptionLevel};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

/// A logged-in connection.
pub type Connection = Client<Compat<TcpStream>>;

/// How to authenticate.
pub enum Auth {
    /// SQL Server authentication.
    Sql {
        /// Login name.
        user: String,
        /// Password (kept only as long as the connection attempt).
        password: String,
    },
    /// Windows authentication: NTLM with explicit credentials (`DOMAIN\user` + password), or,
    /// on Windows with an empty user, the account running the audit (integrated).
    Windows {
        /// `DOMAIN\user`; empty for integrated authentication (Windows only).
        user: String,
        /// Password; empty for integrated authentication.
        password: String,
    },
}

/// TLS policy, as the target's `encrypt` setting says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encryption {
    /// TDS 8.0: TLS first (SQL Server 2022+).
    Strict,
    /// The whole session encrypted.
    On,
    /// Only the login encrypted (legacy servers; reported as a finding).
    Off,
}

/// Where and how to connect.
pub struct Endpoint {
    /// Host name or address.
    pub host: String,
    /// TCP port; none = ask the SQL Server Browser for `instance`'s port (or 1433 for a default
    /// instance).
    pub port: Option<u16>,
    /// The named instance (`SQL2019` of `HOST\SQL2019`), looked up through the Browser when no
    /// port is given.
    pub instance: Option<String>,
    /// The Browser's UDP port (1434 unless a test says otherwise).
    pub browser_port: Option<u16>,
    /// Credentials.
    pub auth: Auth,
    /// TLS policy.
    pub encryption: Encryption,
    /// Accept any server certificate (test servers, self-signed certificates). Otherwise the
    /// certificate must chain to the system's roots and match the host name.
    pub trust_server_certificate: bool,
    /// Time allowed for TCP connect + TLS + login.
    pub connect_timeout: Duration,
}

/// Why a target could not be reached or logged in to, worded for the summary.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// TCP connect failed (refused, unreachable, DNS).
    #[error("cannot connect to {address}: {source}")]
    Network {
        /// `host:port`.
        address: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Nothing happened within the connect timeout.
    #[error("no answer from {address} within {seconds} s (connect timeout)")]
    Timeout {
        /// `host:port`.
        address: String,
        /// The timeout.
        seconds: u64,
    },
    /// The server refused the login (18456 …) or TLS failed.
    #[error("{address}: {message}")]
    Login {
        /// `host:port`.
        address: String,
        /// What the server or TLS said.
        message: String,
    },
    /// This build cannot authenticate that way.
    #[error("{0}")]
    Unsupported(String),
}

/// Connects and logs in.
pub async fn connect(endpoint: &Endpoint) -> Result<Connection, ConnectError> {
    let browse = endpoint.port.is_none() && endpoint.instance.is_some();
    let address = match (&endpoint.port, &endpoint.instance) {
        (Some(port), _) => format!("{}:{port}", endpoint.host),
        (None, Some(instance)) => format!("{}\\{instance}", endpoint.host),
        (None, None) => format!("{}:1433", endpoint.host),
    };
    let mut config = Config::new();
    config.host(&endpoint.host);
    if browse {
        // tiberius sends the Browser request to the configured port (1434 by default).
        config.instance_name(endpoint.instance.clone().unwrap_or_default());
        if let Some(port) = endpoint.browser_port {
            config.port(port);
        }
    } else {
        config.port(endpoint.port.unwrap_or(1433));
    }
    config.application_name("AutoDBAudit");
    // The audit's own deadlines govern: the target's connect timeout around TCP + TLS + login
    // (below) and its query timeout around each batch (`read.rs`, `remediate::apply`). The TDS
    // library's defaults (15 s handshake, 30 s per response) would otherwise cut both short,
    // silently, with an error naming library settings a user cannot change.
    config.handshake_timeout(None);
    config.command_timeout(None);
    config.encryption(match endpoint.encryption {
        Encryption::Strict => EncryptionLevel::Strict,
        Encryption::On => EncryptionLevel::Required,
        Encryption::Off => EncryptionLevel::Off,
    });
    if endpoint.trust_server_certificate {
        config.trust_cert();
    }
    match &endpoint.auth {
        Auth::Sql { user, password } => {
            config.authentication(AuthMethod::sql_server(user, password));
        }
        Auth::Windows { user, password } if !user.is_empty() => {
            config.authentication(AuthMethod::windows(user, password));
        }
        Auth::Windows { .. } => {
            #[cfg(windows)]
            config.authentication(AuthMethod::Integrated);
            #[cfg(not(windows))]
            return Err(ConnectError::Unsupported(
                "integrated Windows authentication (no username) works only when the audit runs on Windows; give \"username\": \"DOMAIN\\\\user\" and a credential for NTLM".into(),
            ));
        }
    }
    let attempt = async {
        let tcp = if browse {
            use tiberius::SqlBrowser as _;
            TcpStream::connect_named(&config)
                .await
                .map_err(|e| ConnectError::Network {
                    address: address.clone(),
                    source: std::io::Error::other(format!(
                        "the SQL Server Browser did not give the instance's port ({e}); is the Browser running, or give the target's \"port\""
                    )),
                })?
        } else {
            TcpStream::connect((endpoint.host.as_str(), endpoint.port.unwrap_or(1433)))
                .await
                .map_err(|source| ConnectError::Network {
                    address: address.clone(),
                    source,
                })?
        };
        tcp.set_nodelay(true).ok();
        Client::connect(config, tcp.compat_write())
            .await
            .map_err(|e| ConnectError::Login {
                address: address.clone(),
                message: login_message(&e),
            })
    };
    match tokio::time::timeout(endpoint.connect_timeout, attempt).await {
        Ok(result) => result,
        Err(_) => Err(ConnectError::Timeout {
            address,
            seconds: endpoint.connect_timeout.as_secs(),
        }),
    }
}

/// The server's words for a refused login, or the TLS/protocol failure.
fn login_message(e: &tiberius::error::Error) -> String {
    match e {
        tiberius::error::Error::Server(token) => {
            format!("error {}: {}", token.code(), token.message())
        }
        tiberius::error::Error::Tls(message) => format!("TLS failed: {message}"),
        other => other.to_string(),
    }
}
