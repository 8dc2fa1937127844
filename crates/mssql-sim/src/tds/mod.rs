//! The TDS wire format (MS-TDS): packets, PRELOGIN, LOGIN7 and the response token stream.
//!
//! Pure encoding and decoding over byte buffers, so that every rule can be unit-tested and
//! fuzzed without a socket; `crate::server` does the I/O.

pub mod login7;
pub mod ntlm;
pub mod packet;
pub mod prelogin;
pub mod rpc;
pub mod tokens;

/// Why bytes from a client are not valid TDS. The connection is closed after one of these,
/// as a real server does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The data ended before a structure was complete.
    #[error("truncated {what}: needed {needed} bytes, had {had}")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        had: usize,
    },
    /// A field has a value the protocol does not allow.
    #[error("invalid {what}: {detail}")]
    Invalid {
        /// The field.
        what: &'static str,
        /// What is wrong.
        detail: String,
    },
}

/// Reads a little-endian u16 at `at`.
pub(crate) fn u16_le(data: &[u8], at: usize, what: &'static str) -> Result<u16, ProtocolError> {
    data.get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or(ProtocolError::Truncated {
            what,
            needed: at + 2,
            had: data.len(),
        })
}

/// Reads a little-endian u32 at `at`.
pub(crate) fn u32_le(data: &[u8], at: usize, what: &'static str) -> Result<u32, ProtocolError> {
    data.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or(ProtocolError::Truncated {
            what,
            needed: at + 4,
            had: data.len(),
        })
}

/// Decodes UTF-16LE (TDS's string encoding); unpaired surrogates become U+FFFD.
pub(crate) fn utf16le(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}
