//! A raw TDS client with no driver between the test and the wire: PRELOGIN without encryption,
//! LOGIN7 at a chosen TDS version (MS-TDS 2.2.6.4, 2.2.6.5), packets sent and read as bytes.
//! The tests parse the token streams they need themselves.

use mssql_sim::tds::login7::obfuscate;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// UTF-16LE bytes, as TDS carries text.
pub fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// A logged-in session.
pub struct Raw {
    /// The socket.
    pub stream: TcpStream,
    /// The TDS version LOGIN7 asked for.
    pub tds: u32,
}

impl Raw {
    /// Connects and logs in as `autodbaudit`; panics without a LOGINACK.
    pub async fn connect(port: u16, tds: u32) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let mut raw = Raw { stream, tds };
        // PRELOGIN: VERSION and ENCRYPTION = ENCRYPT_NOT_SUP (MS-TDS 2.2.6.5).
        let mut pre = vec![0x00, 0, 11, 0, 6, 0x01, 0, 17, 0, 1, 0xFF];
        pre.extend([16, 0, 0, 0, 0, 0, 2]);
        raw.send(0x12, &pre).await;
        raw.recv().await;
        // LOGIN7 (MS-TDS 2.2.6.4): fixed part, then the variable fields.
        let fields = [
            utf16("host"),
            utf16("autodbaudit"),
            obfuscate(&utf16(super::PASSWORD)),
            utf16("tds_conformance"),
            utf16("127.0.0.1"),
            vec![],
            utf16("raw"),
            vec![],
            utf16("master"),
        ];
        let mut fixed = vec![0u8; 94];
        fixed[4..8].copy_from_slice(&tds.to_le_bytes());
        fixed[8..12].copy_from_slice(&4096u32.to_le_bytes());
        let mut data = Vec::new();
        for (i, field) in fields.iter().enumerate() {
            let offset = (94 + data.len()) as u16;
            fixed[36 + i * 4..38 + i * 4].copy_from_slice(&offset.to_le_bytes());
            fixed[38 + i * 4..40 + i * 4]
                .copy_from_slice(&((field.len() / 2) as u16).to_le_bytes());
            data.extend_from_slice(field);
        }
        fixed[0..4].copy_from_slice(&((94 + data.len()) as u32).to_le_bytes());
        fixed.extend(data);
        raw.send(0x10, &fixed).await;
        let login = raw.recv().await;
        assert!(has_loginack(&login), "no LOGINACK in {login:02X?}");
        raw
    }

    /// Sends one packet of `kind` (MS-TDS 2.2.3.1.1) holding `payload`.
    pub async fn send(&mut self, kind: u8, payload: &[u8]) {
        let mut packet = vec![kind, 0x01];
        packet.extend(((payload.len() + 8) as u16).to_be_bytes());
        packet.extend([0, 0, 1, 0]);
        packet.extend_from_slice(payload);
        self.stream.write_all(&packet).await.unwrap();
    }

    /// Reads one whole message (packets up to END OF MESSAGE), without headers.
    pub async fn recv(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let mut header = [0u8; 8];
            self.stream.read_exact(&mut header).await.unwrap();
            let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
            let mut body = vec![0u8; len - 8];
            self.stream.read_exact(&mut body).await.unwrap();
            out.extend(body);
            if header[1] & 1 != 0 {
                return out;
            }
        }
    }
}

/// Whether a login response holds a LOGINACK: walks the length-prefixed tokens a login answer
/// has (ENVCHANGE, INFO, ERROR, LOGINACK; MS-TDS 2.2.7) up to the DONE.
fn has_loginack(d: &[u8]) -> bool {
    let mut at = 0;
    while at + 3 <= d.len() {
        match d[at] {
            0xAD => return true,
            0xE3 | 0xAA | 0xAB | 0xED | 0xAE => {
                at += 3 + usize::from(u16::from_le_bytes([d[at + 1], d[at + 2]]));
            }
            _ => return false,
        }
    }
    false
}
