//! PRELOGIN (MS-TDS 2.2.6.5): the first exchange, where client and server agree on encryption.

use super::ProtocolError;

const VERSION: u8 = 0x00;
const ENCRYPTION: u8 = 0x01;
const INSTOPT: u8 = 0x02;
const THREADID: u8 = 0x03;
const MARS: u8 = 0x04;
const TERMINATOR: u8 = 0xFF;

/// The ENCRYPTION option values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encryption {
    /// Encrypt the login packet only.
    Off,
    /// Encrypt the whole session.
    On,
    /// No TLS at all.
    NotSupported,
    /// The server requires encryption.
    Required,
}

impl Encryption {
    /// The wire value.
    pub fn code(self) -> u8 {
        match self {
            Encryption::Off => 0x00,
            Encryption::On => 0x01,
            Encryption::NotSupported => 0x02,
            Encryption::Required => 0x03,
        }
    }

    /// The value of a wire byte (the client-certificate bit 0x80 is ignored).
    pub fn from_code(code: u8) -> Result<Encryption, ProtocolError> {
        Ok(match code & 0x0F {
            0x00 => Encryption::Off,
            0x01 => Encryption::On,
            0x02 => Encryption::NotSupported,
            0x03 => Encryption::Required,
            other => {
                return Err(ProtocolError::Invalid {
                    what: "PRELOGIN encryption",
                    detail: format!("0x{other:02X}"),
                });
            }
        })
    }
}

/// What the client's PRELOGIN asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPrelogin {
    /// The client's encryption setting.
    pub encryption: Encryption,
    /// The instance name the client asked for, if any.
    pub instance: Option<String>,
    /// Whether the client asked for MARS.
    pub mars: bool,
}

/// Decodes the option table of a client PRELOGIN payload.
pub fn decode(payload: &[u8]) -> Result<ClientPrelogin, ProtocolError> {
    let mut encryption = Encryption::Off;
    let mut instance = None;
    let mut mars = false;
    let mut at = 0;
    loop {
        let token = *payload.get(at).ok_or(ProtocolError::Truncated {
            what: "PRELOGIN option table",
            needed: at + 1,
            had: payload.len(),
        })?;
        if token == TERMINATOR {
            break;
        }
        let header = payload
            .get(at + 1..at + 5)
            .ok_or(ProtocolError::Truncated {
                what: "PRELOGIN option",
                needed: at + 5,
                had: payload.len(),
            })?;
        let offset = u16::from_be_bytes([header[0], header[1]]) as usize;
        let length = u16::from_be_bytes([header[2], header[3]]) as usize;
        let data = payload
            .get(offset..offset + length)
            .ok_or(ProtocolError::Truncated {
                what: "PRELOGIN option data",
                needed: offset + length,
                had: payload.len(),
            })?;
        match token {
            ENCRYPTION if !data.is_empty() => encryption = Encryption::from_code(data[0])?,
            INSTOPT => {
                let name: Vec<u8> = data.iter().copied().take_while(|b| *b != 0).collect();
                if !name.is_empty() {
                    instance = Some(String::from_utf8_lossy(&name).into_owned());
                }
            }
            MARS if !data.is_empty() => mars = data[0] == 1,
            _ => {}
        }
        at += 5;
    }
    Ok(ClientPrelogin {
        encryption,
        instance,
        mars,
    })
}

/// The server's PRELOGIN response: its product version and its encryption decision.
pub fn encode_response(version: (u8, u8, u16), encryption: Encryption) -> Vec<u8> {
    let (major, minor, build) = version;
    let options: [(u8, Vec<u8>); 5] = [
        (
            VERSION,
            vec![major, minor, (build >> 8) as u8, build as u8, 0, 0],
        ),
        (ENCRYPTION, vec![encryption.code()]),
        (INSTOPT, vec![0]),
        (THREADID, vec![]),
        (MARS, vec![0]),
    ];
    let table_len = options.len() * 5 + 1;
    let mut table = Vec::with_capacity(table_len);
    let mut data = Vec::new();
    for (token, value) in &options {
        table.push(*token);
        table.extend_from_slice(&((table_len + data.len()) as u16).to_be_bytes());
        table.extend_from_slice(&(value.len() as u16).to_be_bytes());
        data.extend_from_slice(value);
    }
    table.push(TERMINATOR);
    table.extend_from_slice(&data);
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_decodes_with_the_same_rules() {
        let bytes = encode_response((15, 0, 2000), Encryption::NotSupported);
        let decoded = decode(&bytes).unwrap();
        assert_eq!(decoded.encryption, Encryption::NotSupported);
        assert_eq!(decoded.instance, None);
        assert_eq!(
            &bytes[bytes.len() - 9..bytes.len() - 3],
            &[15, 0, 0x07, 0xD0, 0, 0]
        );
    }

    #[test]
    fn truncated_tables_are_errors() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[ENCRYPTION, 0, 6]).is_err());
        assert!(decode(&[ENCRYPTION, 0, 200, 0, 1, TERMINATOR]).is_err());
        assert!(decode(&[ENCRYPTION, 0, 6, 0, 1, TERMINATOR, 0x09]).is_err());
    }
}
