//! The SQL Server Browser (MS-SQLR, SSRP over UDP): tells a client which TCP port a named
//! instance listens on, as the Browser service of a real host does on UDP 1434.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::UdpSocket;
use tokio::sync::watch;

/// CLNT_UCAST_EX: list every instance.
const CLNT_UCAST_EX: u8 = 0x03;
/// CLNT_UCAST_INST: one instance by name.
const CLNT_UCAST_INST: u8 = 0x04;
/// SVR_RESP.
const SVR_RESP: u8 = 0x05;

/// One instance the Browser answers for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The host part of the server name.
    pub server: String,
    /// The instance name (`MSSQLSERVER` for a default instance).
    pub instance: String,
    /// Product version, e.g. `15.0.2000.5`.
    pub version: String,
    /// Its TCP port.
    pub port: u16,
}

impl Entry {
    /// The entry's RESP_DATA text: `ServerName;H;InstanceName;I;IsClustered;No;Version;V;tcp;P;;`.
    fn text(&self) -> String {
        format!(
            "ServerName;{};InstanceName;{};IsClustered;No;Version;{};tcp;{};;",
            self.server, self.instance, self.version, self.port
        )
    }
}

/// The reply to one request, or none (unknown instance, malformed request: a real Browser
/// stays silent).
pub fn answer(request: &[u8], entries: &[Entry]) -> Option<Vec<u8>> {
    let data = match *request.first()? {
        CLNT_UCAST_EX => entries.iter().map(Entry::text).collect::<String>(),
        CLNT_UCAST_INST => {
            let name = request.get(1..)?;
            let name = name.split(|b| *b == 0).next().unwrap_or(name);
            let name = std::str::from_utf8(name).ok()?;
            entries
                .iter()
                .find(|e| e.instance.eq_ignore_ascii_case(name))?
                .text()
        }
        _ => return None,
    };
    let length = u16::try_from(data.len()).ok()?;
    let mut out = vec![SVR_RESP];
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(data.as_bytes());
    Some(out)
}

/// A running Browser; dropping it stops it.
pub struct RunningBrowser {
    /// The UDP address it answers on.
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
}

impl Drop for RunningBrowser {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Answers SSRP requests on `addr` (UDP; 1434 on a real host, any port in tests).
pub async fn start(addr: SocketAddr, entries: Vec<Entry>) -> std::io::Result<RunningBrowser> {
    let socket = Arc::new(UdpSocket::bind(addr).await?);
    let addr = socket.local_addr()?;
    let (stop, mut stopped) = watch::channel(false);
    tokio::spawn(async move {
        let mut buf = [0u8; 1024];
        loop {
            tokio::select! {
                _ = stopped.changed() => break,
                received = socket.recv_from(&mut buf) => {
                    let Ok((n, peer)) = received else { continue };
                    if let Some(reply) = answer(&buf[..n], &entries) {
                        let _ = socket.send_to(&reply, peer).await;
                    }
                }
            }
        }
    });
    Ok(RunningBrowser { addr, stop })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_for_known_instances_only() {
        let entries = vec![Entry {
            server: "SQLPROD19".into(),
            instance: "SQL2019".into(),
            version: "15.0.2000.5".into(),
            port: 14331,
        }];
        let reply = answer(b"\x04sql2019\0", &entries).unwrap();
        assert_eq!(reply[0], 0x05);
        let text = std::str::from_utf8(&reply[3..]).unwrap();
        assert_eq!(
            usize::from(u16::from_le_bytes([reply[1], reply[2]])),
            text.len()
        );
        assert!(
            text.contains("InstanceName;SQL2019;") && text.ends_with("tcp;14331;;"),
            "{text}"
        );
        assert!(answer(b"\x04OTHER", &entries).is_none());
        assert!(answer(b"\x03", &entries).is_some());
        assert!(answer(b"", &entries).is_none());
        assert!(answer(b"\x09x", &entries).is_none());
    }
}
