//! TDS packets: an 8-byte header and a payload; a message is one or more packets, the last
//! flagged end-of-message (MS-TDS 2.2.3).

use super::ProtocolError;

/// Header length in bytes.
pub const HEADER_LEN: usize = 8;
/// Smallest packet size a client may negotiate.
pub const MIN_PACKET_SIZE: usize = 512;
/// Largest packet size a client may negotiate.
pub const MAX_PACKET_SIZE: usize = 32767;
/// Packet size before LOGIN7 negotiates another.
pub const DEFAULT_PACKET_SIZE: usize = 4096;

/// Status bit: last packet of the message.
pub const STATUS_EOM: u8 = 0x01;

/// The packet types this server understands or sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketType {
    /// SQL batch (client).
    SqlBatch,
    /// Remote procedure call (client).
    Rpc,
    /// Tabular result (server).
    TabularResult,
    /// Attention: cancel the running request (client).
    Attention,
    /// Bulk load data (client), after an `INSERT BULK` batch (MS-TDS 2.2.6.1).
    BulkLoad,
    /// Transaction manager request (client).
    TransactionManager,
    /// LOGIN7 (client).
    Login7,
    /// SSPI / NTLM message (client).
    Sspi,
    /// PRELOGIN, also carrying the TLS handshake (both).
    PreLogin,
}

impl PacketType {
    /// The type byte.
    pub fn code(self) -> u8 {
        match self {
            PacketType::SqlBatch => 0x01,
            PacketType::Rpc => 0x03,
            PacketType::TabularResult => 0x04,
            PacketType::Attention => 0x06,
            PacketType::BulkLoad => 0x07,
            PacketType::TransactionManager => 0x0E,
            PacketType::Login7 => 0x10,
            PacketType::Sspi => 0x11,
            PacketType::PreLogin => 0x12,
        }
    }

    /// The type of a type byte.
    pub fn from_code(code: u8) -> Result<PacketType, ProtocolError> {
        Ok(match code {
            0x01 => PacketType::SqlBatch,
            0x03 => PacketType::Rpc,
            0x04 => PacketType::TabularResult,
            0x06 => PacketType::Attention,
            0x07 => PacketType::BulkLoad,
            0x0E => PacketType::TransactionManager,
            0x10 => PacketType::Login7,
            0x11 => PacketType::Sspi,
            0x12 => PacketType::PreLogin,
            other => {
                return Err(ProtocolError::Invalid {
                    what: "packet type",
                    detail: format!("0x{other:02X}"),
                });
            }
        })
    }
}

/// A decoded packet header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The packet type.
    pub kind: PacketType,
    /// Status bits.
    pub status: u8,
    /// Total length including the header.
    pub length: usize,
    /// Packet number, modulo 256.
    pub packet_id: u8,
}

impl Header {
    /// Decodes and checks a header against the packet size in force.
    pub fn decode(bytes: &[u8; HEADER_LEN], max_size: usize) -> Result<Header, ProtocolError> {
        let kind = PacketType::from_code(bytes[0])?;
        let length = u16::from_be_bytes([bytes[2], bytes[3]]) as usize;
        if length < HEADER_LEN || length > max_size.max(MAX_PACKET_SIZE) {
            return Err(ProtocolError::Invalid {
                what: "packet length",
                detail: length.to_string(),
            });
        }
        Ok(Header {
            kind,
            status: bytes[1],
            length,
            packet_id: bytes[6],
        })
    }

    /// Whether this is the last packet of its message.
    pub fn is_last(&self) -> bool {
        self.status & STATUS_EOM != 0
    }
}

/// Splits a message into packets of at most `packet_size` bytes, numbered from 1.
pub fn encode_message(kind: PacketType, payload: &[u8], packet_size: usize) -> Vec<u8> {
    let chunk = packet_size.clamp(MIN_PACKET_SIZE, MAX_PACKET_SIZE) - HEADER_LEN;
    let chunks: Vec<&[u8]> = if payload.is_empty() {
        vec![&[][..]]
    } else {
        payload.chunks(chunk).collect()
    };
    let mut out = Vec::with_capacity(payload.len() + chunks.len() * HEADER_LEN);
    for (i, part) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        let length = (part.len() + HEADER_LEN) as u16;
        out.push(kind.code());
        out.push(if last { STATUS_EOM } else { 0 });
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(&[0, 0]); // SPID
        out.push(((i + 1) % 256) as u8);
        out.push(0); // window
        out.extend_from_slice(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_at_the_packet_size_and_headers_round_trip() {
        let payload: Vec<u8> = (0..2000u32).map(|i| i as u8).collect();
        let bytes = encode_message(PacketType::TabularResult, &payload, 512);
        let mut at = 0;
        let mut reassembled = Vec::new();
        let mut ids = Vec::new();
        loop {
            let header = Header::decode(bytes[at..at + 8].try_into().unwrap(), 512).unwrap();
            assert!(header.length <= 512);
            reassembled.extend_from_slice(&bytes[at + 8..at + header.length]);
            ids.push(header.packet_id);
            at += header.length;
            if header.is_last() {
                break;
            }
        }
        assert_eq!(at, bytes.len());
        assert_eq!(reassembled, payload);
        assert_eq!(ids, vec![1, 2, 3, 4]);
    }

    #[test]
    fn bad_headers_are_rejected() {
        assert!(Header::decode(&[0x99, 1, 0, 8, 0, 0, 1, 0], 4096).is_err());
        assert!(Header::decode(&[0x01, 1, 0, 4, 0, 0, 1, 0], 4096).is_err());
        assert!(Header::decode(&[0x01, 1, 0x90, 0, 0, 0, 1, 0], 4096).is_err());
        assert!(encode_message(PacketType::TabularResult, &[], 4096).len() == 8);
    }
}
