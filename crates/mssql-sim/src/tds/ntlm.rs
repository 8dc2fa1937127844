//! The server side of NTLMv2 (MS-NLMP) as SQL Server runs it inside TDS integrated (SSPI)
//! authentication: the client's NEGOTIATE_MESSAGE comes in LOGIN7, the server answers with a
//! CHALLENGE_MESSAGE in an SSPI token, and the client's AUTHENTICATE_MESSAGE comes back in an
//! SSPI packet (type 0x11).
//!
//! Pure functions over byte buffers: parsing is bounds-checked and returns [`ProtocolError`] on
//! any input, never panics. Only NTLMv2 responses are accepted (as a server with
//! LmCompatibilityLevel 5 does); NTLMv1 is refused with a reason. Sealing, signing and the MIC
//! (which needs RC4 and all three messages) are not implemented: TDS only uses NTLM to log in.

use hmac::{Hmac, Mac};
use md4::{Digest, Md4};
use md5::Md5;

use super::{ProtocolError, u16_le, u32_le, utf16le};

/// The 8-byte signature that starts every NTLM message.
pub const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";

/// The Windows version the simulated server reports in its CHALLENGE (VERSION structure,
/// MS-NLMP 2.2.2.10): 10.0 build 20348 (Windows Server 2022), NTLM revision 15.
pub const SERVER_VERSION: [u8; 8] = [10, 0, 0x7C, 0x4F, 0, 0, 0, 0x0F];

/// NegotiateFlags bits (MS-NLMP 2.2.2.5), named as in the spec without the `NTLMSSP_` prefix,
/// so that callers can test what a client asked for.
pub mod flags {
    /// Strings are UTF-16LE.
    pub const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
    /// Strings are in the OEM code page.
    pub const NEGOTIATE_OEM: u32 = 0x0000_0002;
    /// The server must supply a TargetName.
    pub const REQUEST_TARGET: u32 = 0x0000_0004;
    /// Message integrity (signing) requested.
    pub const NEGOTIATE_SIGN: u32 = 0x0000_0010;
    /// Message confidentiality (sealing) requested.
    pub const NEGOTIATE_SEAL: u32 = 0x0000_0020;
    /// Connectionless (datagram) authentication.
    pub const NEGOTIATE_DATAGRAM: u32 = 0x0000_0040;
    /// LAN Manager session key computation.
    pub const NEGOTIATE_LM_KEY: u32 = 0x0000_0080;
    /// NTLM v1/v2 session security (always set).
    pub const NEGOTIATE_NTLM: u32 = 0x0000_0200;
    /// Anonymous connection.
    pub const ANONYMOUS: u32 = 0x0000_0800;
    /// The NEGOTIATE carries the client's domain name.
    pub const NEGOTIATE_OEM_DOMAIN_SUPPLIED: u32 = 0x0000_1000;
    /// The NEGOTIATE carries the client's workstation name.
    pub const NEGOTIATE_OEM_WORKSTATION_SUPPLIED: u32 = 0x0000_2000;
    /// Sign with a dummy signature even if signing was not negotiated.
    pub const NEGOTIATE_ALWAYS_SIGN: u32 = 0x0000_8000;
    /// TargetName is a domain name.
    pub const TARGET_TYPE_DOMAIN: u32 = 0x0001_0000;
    /// TargetName is a server name.
    pub const TARGET_TYPE_SERVER: u32 = 0x0002_0000;
    /// NTLM v2 session security (extended session security).
    pub const NEGOTIATE_EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
    /// Identify-level token requested.
    pub const NEGOTIATE_IDENTIFY: u32 = 0x0010_0000;
    /// LMOWF-based session key requested.
    pub const REQUEST_NON_NT_SESSION_KEY: u32 = 0x0040_0000;
    /// The CHALLENGE carries TargetInfo (required for NTLMv2).
    pub const NEGOTIATE_TARGET_INFO: u32 = 0x0080_0000;
    /// The message carries a VERSION structure.
    pub const NEGOTIATE_VERSION: u32 = 0x0200_0000;
    /// 128-bit session keys.
    pub const NEGOTIATE_128: u32 = 0x2000_0000;
    /// Explicit key exchange (EncryptedRandomSessionKey).
    pub const NEGOTIATE_KEY_EXCH: u32 = 0x4000_0000;
    /// 56-bit encryption.
    pub const NEGOTIATE_56: u32 = 0x8000_0000;
}

/// AV_PAIR identifiers (MS-NLMP 2.2.2.1) in TargetInfo and in the client's NTLMv2 blob.
pub mod av_id {
    /// End of the list.
    pub const EOL: u16 = 0;
    /// NetBIOS computer name.
    pub const NB_COMPUTER_NAME: u16 = 1;
    /// NetBIOS domain name.
    pub const NB_DOMAIN_NAME: u16 = 2;
    /// DNS computer name (FQDN).
    pub const DNS_COMPUTER_NAME: u16 = 3;
    /// DNS domain name.
    pub const DNS_DOMAIN_NAME: u16 = 4;
    /// DNS forest name.
    pub const DNS_TREE_NAME: u16 = 5;
    /// Flags (0x2: the AUTHENTICATE carries a MIC).
    pub const FLAGS: u16 = 6;
    /// FILETIME of the server (CHALLENGE) or client.
    pub const TIMESTAMP: u16 = 7;
    /// Single-host data.
    pub const SINGLE_HOST: u16 = 8;
    /// SPN of the target server.
    pub const TARGET_NAME: u16 = 9;
    /// Channel-binding hash.
    pub const CHANNEL_BINDINGS: u16 = 10;
}

const NEGOTIATE_TYPE: u32 = 1;
const CHALLENGE_TYPE: u32 = 2;
const AUTHENTICATE_TYPE: u32 = 3;

/// Length of an NTLMv1 NtChallengeResponse, refused by [`parse_authenticate`].
const NTLMV1_RESPONSE_LEN: usize = 24;
/// NTProofStr (16) + the fixed part of NTLMv2_CLIENT_CHALLENGE (28): the shortest NTLMv2 response.
const NTLMV2_MIN_LEN: usize = 16 + 28;

/// A client's NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1): what it can do, which [`challenge`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiate {
    /// The client's NegotiateFlags (see [`flags`]).
    pub flags: u32,
    /// The client's domain, if it supplied one (OEM string).
    pub domain: Option<String>,
    /// The client's workstation, if it supplied one (OEM string).
    pub workstation: Option<String>,
    /// The client's VERSION structure, if it sent one.
    pub version: Option<[u8; 8]>,
}

/// A client's AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3): who it claims to be and its proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticate {
    /// The NegotiateFlags the client settled on.
    pub flags: u32,
    /// LmChallengeResponse (LMv2: 16-byte HMAC + 8-byte client challenge, or zeros).
    pub lm_response: Vec<u8>,
    /// NtChallengeResponse: NTProofStr (16 bytes) followed by the client's blob. Empty for an
    /// anonymous logon, which [`verify_ntlmv2`] never accepts.
    pub nt_response: Vec<u8>,
    /// The user's domain, as the client typed it (part of the NTLMv2 key).
    pub domain: String,
    /// The user name, as the client typed it.
    pub user: String,
    /// The client's workstation name.
    pub workstation: String,
    /// EncryptedRandomSessionKey (only with key exchange; unused by the simulator).
    pub session_key: Vec<u8>,
    /// The client's VERSION structure, if present.
    pub version: Option<[u8; 8]>,
    /// The message integrity code, if present (not verified: see the module notes).
    pub mic: Option<[u8; 16]>,
}

/// The names the server announces in its CHALLENGE's TargetInfo, as a Windows host would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// NetBIOS domain name (`CORP`); on a workgroup machine, the computer name.
    pub nb_domain: String,
    /// NetBIOS computer name (`SQLSIM01`).
    pub nb_computer: String,
    /// DNS domain name (`corp.example`); may be empty.
    pub dns_domain: String,
    /// DNS computer name (`sqlsim01.corp.example`); may be empty.
    pub dns_computer: String,
}

fn invalid(what: &'static str, detail: impl Into<String>) -> ProtocolError {
    ProtocolError::Invalid {
        what,
        detail: detail.into(),
    }
}

/// Checks the signature and message type of an NTLM message.
fn check_header(data: &[u8], kind: u32, what: &'static str) -> Result<(), ProtocolError> {
    let signature = data.get(..8).ok_or(ProtocolError::Truncated {
        what,
        needed: 8,
        had: data.len(),
    })?;
    if signature != SIGNATURE {
        return Err(invalid(what, "no NTLMSSP signature"));
    }
    let found = u32_le(data, 8, what)?;
    if found != kind {
        return Err(invalid(
            what,
            format!("message type {found}, expected {kind}"),
        ));
    }
    Ok(())
}

/// A (Len, MaxLen, BufferOffset) field at `at`: the bytes it points to, and its offset.
fn field<'a>(
    data: &'a [u8],
    at: usize,
    what: &'static str,
) -> Result<(&'a [u8], usize), ProtocolError> {
    let len = u16_le(data, at, what)? as usize;
    let offset = u32_le(data, at + 4, what)? as usize;
    let end = offset
        .checked_add(len)
        .ok_or_else(|| invalid(what, "offset overflows"))?;
    let bytes = data.get(offset..end).ok_or(ProtocolError::Truncated {
        what,
        needed: end,
        had: data.len(),
    })?;
    Ok((bytes, offset))
}

/// OEM strings: the simulator reads them as Latin-1, which is exact for ASCII names.
fn oem(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(*b)).collect()
}

fn text(bytes: &[u8], unicode: bool, what: &'static str) -> Result<String, ProtocolError> {
    if !unicode {
        return Ok(oem(bytes));
    }
    if !bytes.len().is_multiple_of(2) {
        return Err(invalid(what, "odd length for a UTF-16 string"));
    }
    Ok(utf16le(bytes))
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Parses a NEGOTIATE_MESSAGE (the SSPI data of a LOGIN7 with integrated security).
pub fn parse_negotiate(data: &[u8]) -> Result<Negotiate, ProtocolError> {
    const WHAT: &str = "NTLM NEGOTIATE";
    check_header(data, NEGOTIATE_TYPE, WHAT)?;
    let flags = u32_le(data, 12, WHAT)?;
    // Old clients send only the 16-byte head; the name fields then count as absent.
    let named = |at: usize, flag: u32, what| -> Result<Option<String>, ProtocolError> {
        if flags & flag == 0 || data.len() < at + 8 {
            return Ok(None);
        }
        let (bytes, _) = field(data, at, what)?;
        Ok(Some(oem(bytes)))
    };
    let domain = named(
        16,
        flags::NEGOTIATE_OEM_DOMAIN_SUPPLIED,
        "NTLM NEGOTIATE domain",
    )?;
    let workstation = named(
        24,
        flags::NEGOTIATE_OEM_WORKSTATION_SUPPLIED,
        "NTLM NEGOTIATE workstation",
    )?;
    let version = if flags & flags::NEGOTIATE_VERSION != 0 {
        data.get(32..40).map(|v| {
            let mut out = [0; 8];
            out.copy_from_slice(v);
            out
        })
    } else {
        None
    };
    Ok(Negotiate {
        flags,
        domain,
        workstation,
        version,
    })
}

/// The flags of the server's CHALLENGE given the client's NEGOTIATE flags: what the client
/// asked for that the server supports, plus what NTLMv2 needs (NTLM, TargetInfo), as
/// MS-NLMP 3.2.5.1.1 says a server chooses them.
pub fn challenge_flags(client: u32, domain_target: bool) -> u32 {
    use flags::*;
    let mut out = NEGOTIATE_NTLM | NEGOTIATE_TARGET_INFO | REQUEST_TARGET;
    out |= if domain_target {
        TARGET_TYPE_DOMAIN
    } else {
        TARGET_TYPE_SERVER
    };
    if client & NEGOTIATE_UNICODE != 0 || client & NEGOTIATE_OEM == 0 {
        out |= NEGOTIATE_UNICODE;
    } else {
        out |= NEGOTIATE_OEM;
    }
    // Extended session security wins over the LM key when a client asks for both.
    if client & NEGOTIATE_EXTENDED_SESSIONSECURITY != 0 {
        out |= NEGOTIATE_EXTENDED_SESSIONSECURITY;
    } else if client & NEGOTIATE_LM_KEY != 0 {
        out |= NEGOTIATE_LM_KEY;
    }
    let echoed = NEGOTIATE_SIGN
        | NEGOTIATE_SEAL
        | NEGOTIATE_ALWAYS_SIGN
        | NEGOTIATE_IDENTIFY
        | NEGOTIATE_VERSION
        | NEGOTIATE_128
        | NEGOTIATE_56
        | NEGOTIATE_KEY_EXCH;
    out | (client & echoed)
}

/// The TargetInfo AV_PAIR list of a CHALLENGE: NetBIOS domain and computer, DNS computer and
/// domain (when known), the server's FILETIME, and the terminator. The client copies it into
/// its NTLMv2 blob, so it is part of what the proof covers.
pub fn target_info(target: &Target, timestamp: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut pair = |id: u16, value: &[u8]| {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&(value.len() as u16).to_le_bytes());
        out.extend_from_slice(value);
    };
    pair(av_id::NB_DOMAIN_NAME, &utf16(&target.nb_domain));
    pair(av_id::NB_COMPUTER_NAME, &utf16(&target.nb_computer));
    if !target.dns_domain.is_empty() {
        pair(av_id::DNS_DOMAIN_NAME, &utf16(&target.dns_domain));
    }
    if !target.dns_computer.is_empty() {
        pair(av_id::DNS_COMPUTER_NAME, &utf16(&target.dns_computer));
    }
    pair(av_id::TIMESTAMP, &timestamp.to_le_bytes());
    pair(av_id::EOL, &[]);
    out
}

/// Parses an AV_PAIR list (TargetInfo, or the one in a client's NTLMv2 blob) up to MsvAvEOL.
pub fn parse_av_pairs(data: &[u8]) -> Result<Vec<(u16, Vec<u8>)>, ProtocolError> {
    const WHAT: &str = "NTLM AV_PAIR";
    let mut pairs = Vec::new();
    let mut at = 0;
    loop {
        let id = u16_le(data, at, WHAT)?;
        let len = u16_le(data, at + 2, WHAT)? as usize;
        let value = data
            .get(at + 4..at + 4 + len)
            .ok_or(ProtocolError::Truncated {
                what: WHAT,
                needed: at + 4 + len,
                had: data.len(),
            })?;
        if id == av_id::EOL {
            return Ok(pairs);
        }
        pairs.push((id, value.to_vec()));
        at += 4 + len;
    }
}

/// Converts a time since the Unix epoch to a Windows FILETIME (100 ns ticks since 1601-01-01),
/// the unit of MsvAvTimestamp.
pub fn filetime(since_unix_epoch: std::time::Duration) -> u64 {
    const UNIX_EPOCH_AS_FILETIME: u64 = 116_444_736_000_000_000;
    let ticks = since_unix_epoch.as_nanos() / 100;
    UNIX_EPOCH_AS_FILETIME.saturating_add(u64::try_from(ticks).unwrap_or(u64::MAX))
}

/// Builds the CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2) answering `negotiate`: the flags from
/// [`challenge_flags`], the server's 8-byte nonce, the TargetName (the NetBIOS domain when it
/// differs from the computer name, else the computer name) and [`target_info`].
/// `timestamp` is a FILETIME (see [`filetime`]).
pub fn challenge(
    negotiate: &Negotiate,
    server_challenge: [u8; 8],
    target: &Target,
    timestamp: u64,
) -> Vec<u8> {
    let domain_target =
        !target.nb_domain.is_empty() && !target.nb_domain.eq_ignore_ascii_case(&target.nb_computer);
    let flags = challenge_flags(negotiate.flags, domain_target);
    let name = if domain_target {
        &target.nb_domain
    } else {
        &target.nb_computer
    };
    let target_name = if flags & flags::NEGOTIATE_UNICODE != 0 {
        utf16(name)
    } else {
        name.chars()
            .map(|c| u8::try_from(c).unwrap_or(b'?'))
            .collect()
    };
    let info = target_info(target, timestamp);
    const HEAD: usize = 56;
    let mut out = Vec::with_capacity(HEAD + target_name.len() + info.len());
    out.extend_from_slice(SIGNATURE);
    out.extend_from_slice(&CHALLENGE_TYPE.to_le_bytes());
    let name_len = target_name.len() as u16;
    out.extend_from_slice(&name_len.to_le_bytes());
    out.extend_from_slice(&name_len.to_le_bytes());
    out.extend_from_slice(&(HEAD as u32).to_le_bytes());
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&server_challenge);
    out.extend_from_slice(&[0; 8]); // Reserved
    let info_len = info.len() as u16;
    out.extend_from_slice(&info_len.to_le_bytes());
    out.extend_from_slice(&info_len.to_le_bytes());
    out.extend_from_slice(&((HEAD + target_name.len()) as u32).to_le_bytes());
    if flags & flags::NEGOTIATE_VERSION != 0 {
        out.extend_from_slice(&SERVER_VERSION);
    } else {
        out.extend_from_slice(&[0; 8]);
    }
    out.extend_from_slice(&target_name);
    out.extend_from_slice(&info);
    out
}

/// Parses an AUTHENTICATE_MESSAGE. Refuses NTLMv1 (a 24-byte NtChallengeResponse) and
/// malformed NTLMv2 responses with a reason; an empty NtChallengeResponse (anonymous) parses,
/// and [`verify_ntlmv2`] then refuses it.
pub fn parse_authenticate(data: &[u8]) -> Result<Authenticate, ProtocolError> {
    const WHAT: &str = "NTLM AUTHENTICATE";
    check_header(data, AUTHENTICATE_TYPE, WHAT)?;
    let flags = u32_le(data, 60, WHAT)?;
    let unicode = flags & flags::NEGOTIATE_UNICODE != 0;
    let (lm, lm_at) = field(data, 12, "NTLM AUTHENTICATE LmChallengeResponse")?;
    let (nt, nt_at) = field(data, 20, "NTLM AUTHENTICATE NtChallengeResponse")?;
    let (domain, domain_at) = field(data, 28, "NTLM AUTHENTICATE domain")?;
    let (user, user_at) = field(data, 36, "NTLM AUTHENTICATE user")?;
    let (workstation, ws_at) = field(data, 44, "NTLM AUTHENTICATE workstation")?;
    let (key, key_at) = field(data, 52, "NTLM AUTHENTICATE session key")?;
    // The payload starts where the first non-empty field does; VERSION and MIC sit between
    // the flags and the payload only when there is room for them (older clients omit both).
    let payload_start = [
        (lm, lm_at),
        (nt, nt_at),
        (domain, domain_at),
        (user, user_at),
        (workstation, ws_at),
        (key, key_at),
    ]
    .iter()
    .filter(|(bytes, _)| !bytes.is_empty())
    .map(|(_, at)| *at)
    .min()
    .unwrap_or(data.len());
    let fixed = |from: usize, to: usize| {
        if payload_start >= to {
            data.get(from..to)
        } else {
            None
        }
    };
    let version = fixed(64, 72)
        .filter(|_| flags & flags::NEGOTIATE_VERSION != 0)
        .map(|v| {
            let mut out = [0; 8];
            out.copy_from_slice(v);
            out
        });
    let mic = fixed(72, 88).map(|m| {
        let mut out = [0; 16];
        out.copy_from_slice(m);
        out
    });
    match nt.len() {
        0 => {}
        NTLMV1_RESPONSE_LEN => {
            return Err(invalid(
                WHAT,
                "NTLMv1 response (24-byte NtChallengeResponse): only NTLMv2 is accepted",
            ));
        }
        n if n < NTLMV2_MIN_LEN => {
            return Err(invalid(
                WHAT,
                format!("NtChallengeResponse of {n} bytes is neither NTLMv1 nor NTLMv2"),
            ));
        }
        _ if nt[16] != 1 || nt[17] != 1 => {
            return Err(invalid(
                WHAT,
                format!(
                    "NTLMv2 client challenge version {}.{}, expected 1.1",
                    nt[16], nt[17]
                ),
            ));
        }
        _ => {}
    }
    Ok(Authenticate {
        flags,
        lm_response: lm.to_vec(),
        nt_response: nt.to_vec(),
        domain: text(domain, unicode, "NTLM AUTHENTICATE domain")?,
        user: text(user, unicode, "NTLM AUTHENTICATE user")?,
        workstation: text(workstation, unicode, "NTLM AUTHENTICATE workstation")?,
        session_key: key.to_vec(),
        version,
        mic,
    })
}

fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Md5> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    let mut out = [0; 16];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// Upper-cases a user name one UTF-16 character at a time, as Windows does: a character whose
/// upper case is several characters (`ß`) stays as it is.
fn windows_uppercase(text: &str) -> String {
    text.chars()
        .map(|c| {
            let mut upper = c.to_uppercase();
            match (upper.next(), upper.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect()
}

/// NTOWFv2 (MS-NLMP 3.3.2): HMAC_MD5(MD4(UTF-16LE(password)), UTF-16LE(UPPERCASE(user) +
/// domain)), the key of every NTLMv2 proof. Note that only the user name is upper-cased.
pub fn nt_owf_v2(password: &str, user: &str, domain: &str) -> [u8; 16] {
    let nt_hash = Md4::digest(utf16(password));
    let identity = utf16(&(windows_uppercase(user) + domain));
    hmac_md5(&nt_hash, &[&identity])
}

/// NTProofStr (MS-NLMP 3.3.2): HMAC_MD5(NTOWFv2, ServerChallenge || blob), where `blob` is the
/// NtChallengeResponse after its first 16 bytes (the client's NTLMv2_CLIENT_CHALLENGE).
pub fn nt_proof_str(
    response_key_nt: &[u8; 16],
    server_challenge: &[u8; 8],
    blob: &[u8],
) -> [u8; 16] {
    hmac_md5(response_key_nt, &[server_challenge, blob])
}

/// Whether the AUTHENTICATE proves knowledge of `password` for its user and domain, given the
/// server challenge this connection sent: recomputes NTProofStr and compares it (in constant
/// time) with the first 16 bytes of the NtChallengeResponse. Anonymous, NTLMv1 or malformed
/// responses are never valid. The LMv2 response and the MIC are not checked.
pub fn verify_ntlmv2(auth: &Authenticate, server_challenge: [u8; 8], password: &str) -> bool {
    if auth.nt_response.len() < NTLMV2_MIN_LEN {
        return false;
    }
    let (proof, blob) = auth.nt_response.split_at(16);
    let key = nt_owf_v2(password, &auth.user, &auth.domain);
    let expected = nt_proof_str(&key, &server_challenge, blob);
    expected
        .iter()
        .zip(proof)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    const SERVER_CHALLENGE: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
    const CLIENT_CHALLENGE: [u8; 8] = [0xaa; 8];

    /// The AV pairs of MS-NLMP 4.2.4: MsvAvNbDomainName "Domain", MsvAvNbComputerName
    /// "Server", MsvAvEOL.
    fn spec_av_pairs() -> Vec<u8> {
        let mut out = vec![0x02, 0x00, 0x0c, 0x00];
        out.extend(utf16("Domain"));
        out.extend([0x01, 0x00, 0x0c, 0x00]);
        out.extend(utf16("Server"));
        out.extend([0, 0, 0, 0]);
        out
    }

    /// NTLMv2_CLIENT_CHALLENGE (the "temp" of MS-NLMP 3.3.2) with a timestamp and AV pairs.
    fn client_blob(time: u64, client_challenge: [u8; 8], av_pairs: &[u8]) -> Vec<u8> {
        let mut temp = vec![1, 1, 0, 0, 0, 0, 0, 0];
        temp.extend(time.to_le_bytes());
        temp.extend(client_challenge);
        temp.extend([0; 4]);
        temp.extend_from_slice(av_pairs);
        temp.extend([0; 4]);
        temp
    }

    #[test]
    fn ms_nlmp_4_2_4_ntlmv2_test_vectors() {
        let key = nt_owf_v2("Password", "User", "Domain");
        assert_eq!(key.to_vec(), hex("0c868a403bfd7a93a3001ef22ef02e3f"));
        let blob = client_blob(0, CLIENT_CHALLENGE, &spec_av_pairs());
        let proof = nt_proof_str(&key, &SERVER_CHALLENGE, &blob);
        assert_eq!(proof.to_vec(), hex("68cd0ab851e51c96aabc927bebef6a1c"));
        // LMv2 response (4.2.4.2.1) and SessionBaseKey (4.2.4.1.2) from the same key.
        let lm = hmac_md5(&key, &[&SERVER_CHALLENGE, &CLIENT_CHALLENGE]);
        assert_eq!(lm.to_vec(), hex("86c35097ac9cec102554764a57cccc19"));
        let session_base_key = hmac_md5(&key, &[&proof]);
        assert_eq!(
            session_base_key.to_vec(),
            hex("8de40ccadbc14a82f15cb0ad0de95ca3")
        );
    }

    /// A NEGOTIATE as Windows clients send it: flags, empty domain/workstation, VERSION.
    fn negotiate_bytes(flags: u32) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend(NEGOTIATE_TYPE.to_le_bytes());
        out.extend(flags.to_le_bytes());
        out.extend([0, 0, 0, 0, 40, 0, 0, 0]);
        out.extend([0, 0, 0, 0, 40, 0, 0, 0]);
        out.extend([10, 0, 0x61, 0x4A, 0, 0, 0, 0x0F]);
        out
    }

    /// Builds an AUTHENTICATE (with VERSION and MIC space) the way a client does.
    fn authenticate_bytes(
        flags: u32,
        lm: &[u8],
        nt: &[u8],
        domain: &str,
        user: &str,
        workstation: &str,
    ) -> Vec<u8> {
        let fields: [Vec<u8>; 6] = [
            lm.to_vec(),
            nt.to_vec(),
            utf16(domain),
            utf16(user),
            utf16(workstation),
            vec![],
        ];
        let mut head = SIGNATURE.to_vec();
        head.extend(AUTHENTICATE_TYPE.to_le_bytes());
        let mut payload = Vec::new();
        let mut at = 88u32;
        for f in &fields {
            head.extend((f.len() as u16).to_le_bytes());
            head.extend((f.len() as u16).to_le_bytes());
            head.extend(at.to_le_bytes());
            at += f.len() as u32;
            payload.extend_from_slice(f);
        }
        head.extend(flags.to_le_bytes());
        head.extend([10, 0, 0x61, 0x4A, 0, 0, 0, 0x0F]);
        head.extend([0x11; 16]); // MIC
        head.extend(payload);
        head
    }

    fn target() -> Target {
        Target {
            nb_domain: "CORP".into(),
            nb_computer: "SQLSIM01".into(),
            dns_domain: "corp.example".into(),
            dns_computer: "sqlsim01.corp.example".into(),
        }
    }

    const CLIENT_FLAGS: u32 = 0xE208_8297; // what a Windows 10 client sends

    /// The client side, for the round trip: answers a CHALLENGE with an NTLMv2 AUTHENTICATE.
    fn client_answer(challenge_msg: &[u8], user: &str, domain: &str, password: &str) -> Vec<u8> {
        let server_challenge: [u8; 8] = challenge_msg[24..32].try_into().unwrap();
        let info_len = u16::from_le_bytes([challenge_msg[40], challenge_msg[41]]) as usize;
        let info_at = u32::from_le_bytes(challenge_msg[44..48].try_into().unwrap()) as usize;
        let info = &challenge_msg[info_at..info_at + info_len];
        let blob = client_blob(0x01D9_0000_0000_0000, [7; 8], info);
        let key = nt_owf_v2(password, user, domain);
        let mut nt = nt_proof_str(&key, &server_challenge, &blob).to_vec();
        nt.extend(blob);
        let flags = u32::from_le_bytes(challenge_msg[20..24].try_into().unwrap());
        authenticate_bytes(flags, &[0; 24], &nt, domain, user, "WS01")
    }

    #[test]
    fn negotiate_challenge_authenticate_round_trip() {
        let negotiate = parse_negotiate(&negotiate_bytes(CLIENT_FLAGS)).unwrap();
        assert_eq!(negotiate.flags, CLIENT_FLAGS);
        assert_eq!(negotiate.domain, None);
        assert_eq!(negotiate.version, Some([10, 0, 0x61, 0x4A, 0, 0, 0, 0x0F]));
        let msg = challenge(
            &negotiate,
            SERVER_CHALLENGE,
            &target(),
            0x01DA_1234_5678_9ABC,
        );

        // The CHALLENGE per MS-NLMP 2.2.1.2.
        assert_eq!(&msg[..8], SIGNATURE);
        assert_eq!(u32::from_le_bytes(msg[8..12].try_into().unwrap()), 2);
        let flags = u32::from_le_bytes(msg[20..24].try_into().unwrap());
        for f in [
            flags::NEGOTIATE_UNICODE,
            flags::NEGOTIATE_NTLM,
            flags::NEGOTIATE_EXTENDED_SESSIONSECURITY,
            flags::NEGOTIATE_TARGET_INFO,
            flags::NEGOTIATE_VERSION,
            flags::TARGET_TYPE_DOMAIN,
            flags::NEGOTIATE_128,
            flags::NEGOTIATE_KEY_EXCH,
        ] {
            assert_ne!(flags & f, 0, "flag {f:#x} missing from {flags:#x}");
        }
        assert_eq!(flags & flags::NEGOTIATE_OEM, 0);
        assert_eq!(flags & flags::NEGOTIATE_LM_KEY, 0);
        assert_eq!(&msg[24..32], &SERVER_CHALLENGE);
        assert_eq!(&msg[32..40], &[0; 8]);
        assert_eq!(&msg[48..56], &SERVER_VERSION);
        // TargetName "CORP" in UTF-16 right after the 56-byte head.
        assert_eq!(&msg[12..20], &[8, 0, 8, 0, 56, 0, 0, 0]);
        assert_eq!(&msg[56..64], utf16("CORP").as_slice());
        let info_at = u32::from_le_bytes(msg[44..48].try_into().unwrap()) as usize;
        let pairs = parse_av_pairs(&msg[info_at..]).unwrap();
        let ids: Vec<u16> = pairs.iter().map(|p| p.0).collect();
        assert_eq!(
            ids,
            vec![
                av_id::NB_DOMAIN_NAME,
                av_id::NB_COMPUTER_NAME,
                av_id::DNS_DOMAIN_NAME,
                av_id::DNS_COMPUTER_NAME,
                av_id::TIMESTAMP
            ]
        );
        assert_eq!(pairs[1].1, utf16("SQLSIM01"));
        assert_eq!(pairs[4].1, 0x01DA_1234_5678_9ABCu64.to_le_bytes());
        assert_eq!(
            info_at + u16::from_le_bytes([msg[40], msg[41]]) as usize,
            msg.len()
        );

        let answer = client_answer(&msg, "auditor", "CORP", "S3cret!");
        let auth = parse_authenticate(&answer).unwrap();
        assert_eq!(
            (
                auth.user.as_str(),
                auth.domain.as_str(),
                auth.workstation.as_str()
            ),
            ("auditor", "CORP", "WS01")
        );
        assert_eq!(auth.mic, Some([0x11; 16]));
        assert!(auth.version.is_some());
        assert!(verify_ntlmv2(&auth, SERVER_CHALLENGE, "S3cret!"));
        assert!(!verify_ntlmv2(&auth, SERVER_CHALLENGE, "s3cret!"));
        assert!(!verify_ntlmv2(&auth, [0; 8], "S3cret!"));
    }

    #[test]
    fn user_case_does_not_matter_but_domain_case_does() {
        let msg = challenge(
            &parse_negotiate(&negotiate_bytes(CLIENT_FLAGS)).unwrap(),
            SERVER_CHALLENGE,
            &target(),
            0,
        );
        let auth = parse_authenticate(&client_answer(&msg, "AUDITOR", "CORP", "pw")).unwrap();
        let mut renamed = auth.clone();
        renamed.user = "auditor".into();
        assert!(verify_ntlmv2(&renamed, SERVER_CHALLENGE, "pw"));
        renamed.domain = "corp".into();
        assert!(!verify_ntlmv2(&renamed, SERVER_CHALLENGE, "pw"));
    }

    #[test]
    fn oem_client_and_workgroup_server_get_oem_server_target() {
        let negotiate = Negotiate {
            flags: flags::NEGOTIATE_OEM | flags::NEGOTIATE_NTLM | flags::REQUEST_TARGET,
            domain: None,
            workstation: None,
            version: None,
        };
        let standalone = Target {
            nb_domain: "SQLSIM01".into(),
            nb_computer: "SQLSIM01".into(),
            dns_domain: String::new(),
            dns_computer: String::new(),
        };
        let msg = challenge(&negotiate, [9; 8], &standalone, 0);
        let flags = u32::from_le_bytes(msg[20..24].try_into().unwrap());
        assert_ne!(flags & flags::NEGOTIATE_OEM, 0);
        assert_eq!(flags & flags::NEGOTIATE_UNICODE, 0);
        assert_ne!(flags & flags::TARGET_TYPE_SERVER, 0);
        assert_eq!(flags & flags::NEGOTIATE_VERSION, 0);
        assert_eq!(&msg[56..64], b"SQLSIM01");
        assert_eq!(&msg[48..56], &[0; 8]);
    }

    #[test]
    fn negotiate_with_supplied_names_and_the_short_form() {
        let mut bytes = negotiate_bytes(
            flags::NEGOTIATE_OEM_DOMAIN_SUPPLIED | flags::NEGOTIATE_OEM_WORKSTATION_SUPPLIED,
        );
        bytes[16..24].copy_from_slice(&[4, 0, 4, 0, 40, 0, 0, 0]);
        bytes[24..32].copy_from_slice(&[2, 0, 2, 0, 44, 0, 0, 0]);
        bytes.extend(b"CORPWS");
        let negotiate = parse_negotiate(&bytes).unwrap();
        assert_eq!(negotiate.domain.as_deref(), Some("CORP"));
        assert_eq!(negotiate.workstation.as_deref(), Some("WS"));
        assert_eq!(negotiate.version, None);
        let short = parse_negotiate(&negotiate_bytes(flags::NEGOTIATE_UNICODE)[..16]).unwrap();
        assert_eq!(short.flags, flags::NEGOTIATE_UNICODE);
    }

    #[test]
    fn ntlmv1_and_malformed_responses_are_refused_with_a_reason() {
        let v1 = authenticate_bytes(CLIENT_FLAGS, &[0; 24], &[0x55; 24], "D", "u", "w");
        let err = parse_authenticate(&v1).unwrap_err();
        assert!(err.to_string().contains("NTLMv1"), "{err}");
        let short = authenticate_bytes(CLIENT_FLAGS, &[], &[0x55; 30], "D", "u", "w");
        assert!(parse_authenticate(&short).is_err());
        let mut bad_version = vec![0u8; 16];
        bad_version.extend(client_blob(0, [1; 8], &[0, 0, 0, 0]));
        bad_version[16] = 2;
        let msg = authenticate_bytes(CLIENT_FLAGS, &[], &bad_version, "D", "u", "w");
        assert!(
            parse_authenticate(&msg)
                .unwrap_err()
                .to_string()
                .contains("2.1")
        );
        // Anonymous parses but never verifies.
        let anonymous = authenticate_bytes(CLIENT_FLAGS, &[0], &[], "", "", "");
        let auth = parse_authenticate(&anonymous).unwrap();
        assert!(!verify_ntlmv2(&auth, SERVER_CHALLENGE, ""));
    }

    #[test]
    fn truncated_and_garbage_inputs_are_errors() {
        let good_neg = negotiate_bytes(CLIENT_FLAGS | flags::NEGOTIATE_OEM_DOMAIN_SUPPLIED);
        let msg = challenge(
            &parse_negotiate(&negotiate_bytes(CLIENT_FLAGS)).unwrap(),
            SERVER_CHALLENGE,
            &target(),
            0,
        );
        let good_auth = client_answer(&msg, "u", "D", "p");
        assert!(parse_authenticate(&good_auth).is_ok());
        for cut in 0..good_auth.len() {
            assert!(parse_authenticate(&good_auth[..cut]).is_err(), "cut {cut}");
        }
        for cut in 0..12 {
            assert!(parse_negotiate(&good_neg[..cut]).is_err(), "cut {cut}");
        }
        // Wrong signature, wrong type, offsets past the end or overflowing.
        let mut wrong = good_auth.clone();
        wrong[0] = b'X';
        assert!(parse_authenticate(&wrong).is_err());
        assert!(parse_authenticate(&good_neg).is_err());
        assert!(parse_negotiate(&good_auth).is_err());
        let mut far = good_auth.clone();
        far[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse_authenticate(&far).is_err());
        let mut odd = good_auth.clone();
        odd[36] = 3; // user name of 3 bytes in a UTF-16 message
        assert!(parse_authenticate(&odd).is_err());
        assert!(parse_av_pairs(&[2, 0, 10, 0, 1]).is_err());
        assert!(parse_av_pairs(&[]).is_err());
        assert!(parse_negotiate(b"garbage garbage garbage garbage!").is_err());
    }

    #[test]
    fn filetime_of_the_unix_epoch_and_later() {
        use std::time::Duration;
        assert_eq!(filetime(Duration::ZERO), 116_444_736_000_000_000);
        assert_eq!(
            filetime(Duration::from_secs(1)),
            116_444_736_000_000_000 + 10_000_000
        );
        assert_eq!(windows_uppercase("straße"), "STRAßE");
    }
}
