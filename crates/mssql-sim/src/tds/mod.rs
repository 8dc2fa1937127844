//! The TDS wire format (MS-TDS): packets, PRELOGIN, LOGIN7, RPC requests, NTLM (MS-NLMP) and
//! the response token stream.
//!
//! Pure encoding and decoding over byte buffers, so that every rule can be unit-tested and
//! fuzzed without a socket; `crate::server` does the I/O.

pub mod login7;
pub mod ntlm;
pub mod packet;
pub mod prelogin;
pub mod rpc;
pub mod tokens;
pub mod transaction;

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

/// Runs every decoder of client input over `data`, and the encoders over whatever decodes, so
/// that fuzzing (the cargo-fuzz target `decode` and the stable `tests/decoders_fuzz.rs`)
/// proves none of them panics: a hostile client must only ever get a [`ProtocolError`].
#[doc(hidden)]
pub fn fuzz_all_decoders(data: &[u8]) {
    if let Some(header) = data.get(..packet::HEADER_LEN) {
        let header: &[u8; packet::HEADER_LEN] = header.try_into().expect("8 bytes");
        for max in [
            packet::MIN_PACKET_SIZE,
            packet::DEFAULT_PACKET_SIZE,
            usize::MAX,
        ] {
            if let Ok(h) = packet::Header::decode(header, max) {
                let _ = h.is_last();
            }
        }
    }
    let _ = prelogin::decode(data);
    let _ = login7::decode(data);
    let _ = rpc::all_headers_len(data);
    let _ = rpc::transaction_descriptor(data);
    let _ = rpc::decode_for(data, tokens::tds_version::V7_1);
    let _ = rpc::decode_for(data, tokens::tds_version::V7_0);
    let _ = transaction::decode(data, true);
    let _ = transaction::decode(data, false);
    if let Ok(calls) = rpc::decode(data) {
        // What decodes must also encode: echo every parameter as the simulator would.
        let mut w = tokens::TokenWriter::new();
        for call in &calls {
            let columns: Vec<(&str, tokens::ColumnType)> = call
                .params
                .iter()
                .map(|p| (p.name.as_str(), p.ty.column_type()))
                .collect();
            let kinds: Vec<tokens::ColumnType> = columns.iter().map(|c| c.1).collect();
            let values: Vec<tokens::Value> = call.params.iter().map(|p| p.value.clone()).collect();
            w.column_metadata(&columns);
            w.row(&kinds, &values);
            for (i, p) in call.params.iter().enumerate() {
                w.return_value(i as u16, &p.name, p.ty.column_type(), &p.value);
                let _ = p.ty.sql_name();
            }
        }
        let _ = w.into_bytes();
    }
    if let Ok(negotiate) = ntlm::parse_negotiate(data) {
        let target = ntlm::Target {
            nb_domain: "CORP".into(),
            nb_computer: "SQLSIM01".into(),
            dns_domain: "corp.example".into(),
            dns_computer: "sqlsim01.corp.example".into(),
        };
        let _ = ntlm::challenge(&negotiate, [0; 8], &target, 0);
    }
    if let Ok(auth) = ntlm::parse_authenticate(data) {
        let _ = ntlm::verify_ntlmv2(&auth, [0; 8], "password");
    }
    let _ = ntlm::parse_av_pairs(data);
}

/// Valid messages of every kind the decoders read, for fuzzers to mutate: a client PRELOGIN, a
/// LOGIN7, RPC requests (what tiberius sends, and one with several calls and types), an NTLM
/// NEGOTIATE and an AUTHENTICATE with a real NTLMv2 response, and a packet header.
#[doc(hidden)]
pub fn fuzz_seeds() -> Vec<Vec<u8>> {
    let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let mut seeds = Vec::new();

    // PRELOGIN as a client sends it: VERSION, ENCRYPTION, INSTOPT, THREADID, MARS.
    let mut prelogin = vec![
        0x00, 0, 26, 0, 6, 0x01, 0, 32, 0, 1, 0x02, 0, 33, 0, 5, 0x03, 0, 38, 0, 4, 0x04, 0, 42, 0,
        1, 0xFF,
    ];
    prelogin.extend([15, 0, 7, 0xD0, 0, 0, 0x02]);
    prelogin.extend(b"SQL1\0");
    prelogin.extend([0, 0, 0, 1, 0]);
    seeds.push(prelogin);

    // LOGIN7 with SQL authentication, then the same flagged integrated with an SSPI blob.
    let fields = [
        utf16("host"),
        utf16("autodbaudit"),
        login7::obfuscate(&utf16("secret")),
        utf16("app"),
        utf16("server"),
        vec![],
        utf16("lib"),
        vec![],
        utf16("master"),
    ];
    let mut fixed = vec![0u8; 94];
    fixed[4..8].copy_from_slice(&0x7400_0004u32.to_le_bytes());
    fixed[8..12].copy_from_slice(&4096u32.to_le_bytes());
    let mut data = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        let offset = (94 + data.len()) as u16;
        fixed[36 + i * 4..38 + i * 4].copy_from_slice(&offset.to_le_bytes());
        fixed[38 + i * 4..40 + i * 4].copy_from_slice(&((field.len() / 2) as u16).to_le_bytes());
        data.extend_from_slice(field);
    }
    let negotiate = {
        let mut m = ntlm::SIGNATURE.to_vec();
        m.extend(1u32.to_le_bytes());
        m.extend(0xE208_8297u32.to_le_bytes());
        m.extend([0, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0]);
        m.extend([10, 0, 0x61, 0x4A, 0, 0, 0, 0x0F]);
        m
    };
    let sspi_offset = (94 + data.len()) as u16;
    let mut integrated = fixed.clone();
    integrated[25] |= 0x80;
    integrated[78..80].copy_from_slice(&sspi_offset.to_le_bytes());
    integrated[80..82].copy_from_slice(&(negotiate.len() as u16).to_le_bytes());
    let mut login = fixed;
    login[0..4].copy_from_slice(&((94 + data.len()) as u32).to_le_bytes());
    login.extend_from_slice(&data);
    integrated[0..4].copy_from_slice(&((94 + data.len() + negotiate.len()) as u32).to_le_bytes());
    integrated.extend_from_slice(&data);
    integrated.extend_from_slice(&negotiate);
    seeds.push(login);
    seeds.push(integrated);

    // RPC: what tiberius sends, and sp_executesql with PLP, decimal, guid, datetime2 and an
    // OUTPUT parameter followed by a second call by name.
    seeds.push(rpc::TIBERIUS_SELECT_P1.to_vec());
    let mut rpc = rpc::TIBERIUS_SELECT_P1[..28].to_vec();
    let param = |rpc: &mut Vec<u8>, name: &str, status: u8, rest: &[u8]| {
        rpc.push(name.encode_utf16().count() as u8);
        rpc.extend(utf16(name));
        rpc.push(status);
        rpc.extend_from_slice(rest);
    };
    let stmt = utf16("SELECT @a, @b, @c, @d");
    let mut plp = vec![0xE7, 0xFF, 0xFF, 0x09, 0x04, 0xD0, 0x00, 0x34];
    plp.extend((stmt.len() as u64).to_le_bytes());
    plp.extend((stmt.len() as u32).to_le_bytes());
    plp.extend(&stmt);
    plp.extend([0, 0, 0, 0]);
    param(&mut rpc, "@stmt", 0, &plp);
    param(
        &mut rpc,
        "@a",
        0,
        &[0x6A, 9, 10, 2, 9, 1, 0x39, 0x30, 0, 0, 0, 0, 0, 0],
    );
    param(
        &mut rpc,
        "@b",
        0,
        &[
            0x24, 16, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        ],
    );
    param(
        &mut rpc,
        "@c",
        0,
        &[0x2A, 7, 8, 1, 2, 3, 4, 5, 0x3A, 0x43, 0x0B],
    );
    param(&mut rpc, "@d", 1, &[0x26, 8, 0]);
    rpc.push(0xFF);
    rpc.extend(3u16.to_le_bytes());
    rpc.extend(utf16("dbo"));
    rpc.extend([0, 0]);
    param(&mut rpc, "", 0, &[0xA5, 0x40, 0x1F, 2, 0, 0xAB, 0xCD]);
    seeds.push(rpc);

    // NTLM: NEGOTIATE, and an AUTHENTICATE answering a CHALLENGE with NTLMv2 for u/D/p.
    seeds.push(negotiate);
    let mut blob = vec![1, 1, 0, 0, 0, 0, 0, 0];
    blob.extend([0; 8]);
    blob.extend([0xAA; 8]);
    blob.extend([0; 4]);
    blob.extend([2, 0, 2, 0, b'D', 0, 0, 0, 0, 0]);
    blob.extend([0; 4]);
    let key = ntlm::nt_owf_v2("p", "u", "D");
    let mut nt = ntlm::nt_proof_str(&key, &[0; 8], &blob).to_vec();
    nt.extend(blob);
    let fields: [Vec<u8>; 6] = [vec![0; 24], nt, utf16("D"), utf16("u"), utf16("WS"), vec![]];
    let mut auth = ntlm::SIGNATURE.to_vec();
    auth.extend(3u32.to_le_bytes());
    let mut payload = Vec::new();
    for f in &fields {
        auth.extend((f.len() as u16).to_le_bytes());
        auth.extend((f.len() as u16).to_le_bytes());
        auth.extend(((88 + payload.len()) as u32).to_le_bytes());
        payload.extend_from_slice(f);
    }
    auth.extend(0xE208_8215u32.to_le_bytes());
    auth.extend([10, 0, 0x61, 0x4A, 0, 0, 0, 0x0F]);
    auth.extend([0; 16]);
    auth.extend(payload);
    seeds.push(auth);

    // A packet header: RPC, end of message, 4096 bytes, packet 1.
    seeds.push(vec![0x03, 0x01, 0x10, 0x00, 0, 0, 1, 0]);
    seeds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_seeds_are_valid_messages_of_each_kind() {
        let seeds = fuzz_seeds();
        assert_eq!(seeds.len(), 8);
        assert_eq!(
            prelogin::decode(&seeds[0]).unwrap().instance.as_deref(),
            Some("SQL1")
        );
        let login = login7::decode(&seeds[1]).unwrap();
        assert_eq!(
            (login.username.as_str(), login.password.as_str()),
            ("autodbaudit", "secret")
        );
        let integrated = login7::decode(&seeds[2]).unwrap();
        assert!(integrated.integrated);
        assert!(ntlm::parse_negotiate(&integrated.sspi).is_ok());
        assert_eq!(rpc::decode(&seeds[3]).unwrap().len(), 1);
        let calls = rpc::decode(&seeds[4]).unwrap();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].params.len(), 5);
        assert_eq!(calls[1].procedure, "dbo");
        assert!(ntlm::parse_negotiate(&seeds[5]).is_ok());
        let auth = ntlm::parse_authenticate(&seeds[6]).unwrap();
        assert!(ntlm::verify_ntlmv2(&auth, [0; 8], "p"));
        let header = packet::Header::decode(seeds[7][..].try_into().unwrap(), 4096).unwrap();
        assert_eq!(header.kind, packet::PacketType::Rpc);
        for seed in &seeds {
            fuzz_all_decoders(seed);
        }
    }
}
