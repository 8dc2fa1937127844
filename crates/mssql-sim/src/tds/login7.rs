//! LOGIN7 (MS-TDS 2.2.6.4): who the client is, what it wants, and its (obfuscated) password.

use super::{ProtocolError, u16_le, u32_le, utf16le};

/// Fixed part of LOGIN7 before the variable data.
const FIXED_LEN: usize = 94;

/// The parts of LOGIN7 the simulator uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login7 {
    /// TDS version the client speaks (e.g. 0x74000004 for 7.4).
    pub tds_version: u32,
    /// Packet size the client asks for.
    pub packet_size: u32,
    /// Client host name.
    pub hostname: String,
    /// SQL login name (empty for integrated authentication).
    pub username: String,
    /// The password, de-obfuscated.
    pub password: String,
    /// Application name.
    pub app_name: String,
    /// Server name as the client wrote it.
    pub server_name: String,
    /// Initial database, if asked for.
    pub database: String,
    /// Whether the client asked for integrated (SSPI) authentication.
    pub integrated: bool,
    /// The SSPI (NTLM) blob that came with LOGIN7.
    pub sspi: Vec<u8>,
}

/// Reverses the client's password obfuscation: swap nibbles after XOR with 0xA5.
fn deobfuscate(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().map(|b| (b ^ 0xA5).rotate_left(4)).collect()
}

/// Applies the client's obfuscation (used by tests and fuzzing to build LOGIN7 packets).
pub fn obfuscate(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().map(|b| b.rotate_left(4) ^ 0xA5).collect()
}

/// Decodes a LOGIN7 payload.
pub fn decode(payload: &[u8]) -> Result<Login7, ProtocolError> {
    if payload.len() < FIXED_LEN {
        return Err(ProtocolError::Truncated {
            what: "LOGIN7",
            needed: FIXED_LEN,
            had: payload.len(),
        });
    }
    let declared = u32_le(payload, 0, "LOGIN7 length")? as usize;
    if declared > payload.len() {
        return Err(ProtocolError::Truncated {
            what: "LOGIN7",
            needed: declared,
            had: payload.len(),
        });
    }
    // Little-endian here, unlike LOGINACK's big-endian echo of the same value.
    let tds_version = u32_le(payload, 4, "LOGIN7 TDS version")?;
    let packet_size = u32_le(payload, 8, "LOGIN7 packet size")?;
    let option_flags2 = payload[25];
    let integrated = option_flags2 & 0x80 != 0;
    // (offset, length in characters) pairs from byte 36 on.
    let text = |index: usize, what: &'static str| -> Result<Vec<u8>, ProtocolError> {
        let at = 36 + index * 4;
        let offset = u16_le(payload, at, what)? as usize;
        let chars = u16_le(payload, at + 2, what)? as usize;
        payload
            .get(offset..offset + chars * 2)
            .map(<[u8]>::to_vec)
            .ok_or(ProtocolError::Truncated {
                what,
                needed: offset + chars * 2,
                had: payload.len(),
            })
    };
    let hostname = utf16le(&text(0, "LOGIN7 host name")?);
    let username = utf16le(&text(1, "LOGIN7 user name")?);
    let password = utf16le(&deobfuscate(&text(2, "LOGIN7 password")?));
    let app_name = utf16le(&text(3, "LOGIN7 application name")?);
    let server_name = utf16le(&text(4, "LOGIN7 server name")?);
    let database = utf16le(&text(8, "LOGIN7 database")?);
    let sspi_offset = u16_le(payload, 78, "LOGIN7 SSPI")? as usize;
    let sspi_len = u16_le(payload, 80, "LOGIN7 SSPI")? as usize;
    let sspi = payload
        .get(sspi_offset..sspi_offset + sspi_len)
        .map(<[u8]>::to_vec)
        .ok_or(ProtocolError::Truncated {
            what: "LOGIN7 SSPI",
            needed: sspi_offset + sspi_len,
            had: payload.len(),
        })?;
    Ok(Login7 {
        tds_version,
        packet_size,
        hostname,
        username,
        password,
        app_name,
        server_name,
        database,
        integrated,
        sspi,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a LOGIN7 payload as a client would.
    fn build(user: &str, password: &str, database: &str) -> Vec<u8> {
        let utf16 = |s: &str| {
            s.encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<u8>>()
        };
        let fields = [
            utf16("host"),
            utf16(user),
            obfuscate(&utf16(password)),
            utf16("app"),
            utf16("server"),
            vec![],
            utf16("lib"),
            vec![],
            utf16(database),
        ];
        let mut fixed = vec![0u8; FIXED_LEN];
        fixed[4..8].copy_from_slice(&0x7400_0004u32.to_le_bytes());
        fixed[8..12].copy_from_slice(&4096u32.to_le_bytes());
        let mut data = Vec::new();
        for (i, field) in fields.iter().enumerate() {
            let offset = (FIXED_LEN + data.len()) as u16;
            fixed[36 + i * 4..38 + i * 4].copy_from_slice(&offset.to_le_bytes());
            fixed[38 + i * 4..40 + i * 4]
                .copy_from_slice(&((field.len() / 2) as u16).to_le_bytes());
            data.extend_from_slice(field);
        }
        let total = (FIXED_LEN + data.len()) as u32;
        fixed[0..4].copy_from_slice(&total.to_le_bytes());
        fixed.extend_from_slice(&data);
        fixed
    }

    #[test]
    fn decodes_names_and_the_obfuscated_password() {
        let login = decode(&build("autodbaudit", "AutoDBAudit-Demo-1!", "master")).unwrap();
        assert_eq!(login.username, "autodbaudit");
        assert_eq!(login.password, "AutoDBAudit-Demo-1!");
        assert_eq!(login.database, "master");
        assert_eq!(login.tds_version, 0x7400_0004);
        assert_eq!(login.packet_size, 4096);
        assert!(!login.integrated);
    }

    #[test]
    fn hostile_offsets_are_errors_not_panics() {
        let mut bytes = build("u", "p", "");
        bytes[36 + 4..38 + 4].copy_from_slice(&60000u16.to_le_bytes());
        assert!(decode(&bytes).is_err());
        assert!(decode(&bytes[..50]).is_err());
        let mut long = build("u", "p", "");
        long[0..4].copy_from_slice(&100000u32.to_le_bytes());
        assert!(decode(&long).is_err());
    }
}
