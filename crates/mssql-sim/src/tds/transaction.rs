//! Transaction Manager requests (MS-TDS 2.2.6.9 TransMgrReq, packet type 0x0E): how drivers
//! begin, commit and roll back transactions without T-SQL (ODBC with autocommit off, OLE DB,
//! ADO.NET's `BeginTransaction`).
//!
//! `TransMgrReq = ALL_HEADERS RequestType [RequestPayload]`; ALL_HEADERS only from TDS 7.2
//! (MS-TDS 2.2.5.3: "ALL_HEADERS ... in TDS 7.2 and later"), RequestType a USHORT.

use super::{ProtocolError, utf16le};

/// A Transaction Manager request, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TmRequest {
    /// 0 TM_GET_DTC_ADDRESS: the address of the server's DTC.
    GetDtcAddress,
    /// 1 TM_PROPAGATE_XACT: import a DTC transaction (an opaque buffer).
    Propagate,
    /// 5 TM_BEGIN_XACT: ISOLATION_LEVEL, BEGIN_XACT_NAME.
    Begin {
        /// 0 = no change, 1 read uncommitted … 5 snapshot.
        isolation: u8,
        /// The transaction's name (may be empty).
        name: String,
    },
    /// 6 TM_PROMOTE_XACT: promote to a distributed transaction.
    Promote,
    /// 7 TM_COMMIT_XACT: XACT_NAME, XACT_FLAGS, [ISOLATION_LEVEL BEGIN_XACT_NAME].
    Commit {
        /// The transaction's name.
        name: String,
        /// fBeginXact: start a new transaction afterwards, with this isolation and name.
        then_begin: Option<(u8, String)>,
    },
    /// 8 TM_ROLLBACK_XACT: the same layout as commit; a name may be a savepoint's.
    Rollback {
        /// The transaction's or the savepoint's name.
        name: String,
        /// fBeginXact: start a new transaction afterwards.
        then_begin: Option<(u8, String)>,
    },
    /// 9 TM_SAVE_XACT: XACT_SAVEPOINT_NAME (MUST be nonempty).
    Save {
        /// The savepoint's name.
        name: String,
    },
}

/// A request and the transaction descriptor its ALL_HEADERS named (TDS 7.2+).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransMgr {
    /// The Transaction Descriptor header's descriptor (0 outside a transaction), if any.
    pub descriptor: Option<u64>,
    /// The request.
    pub request: TmRequest,
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&[u8], ProtocolError> {
        let end = self.at.saturating_add(n);
        let bytes = self
            .data
            .get(self.at..end)
            .ok_or(ProtocolError::Truncated {
                what,
                needed: end,
                had: self.data.len(),
            })?;
        self.at = end;
        Ok(bytes)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, ProtocolError> {
        Ok(self.take(1, what)?[0])
    }

    /// B_VARBYTE holding a UTF-16 name: a byte count, then the bytes (tedious and FreeTDS
    /// write the name's length in bytes).
    fn name(&mut self, what: &'static str) -> Result<String, ProtocolError> {
        let len = usize::from(self.u8(what)?);
        Ok(utf16le(self.take(len, what)?))
    }

    /// Optional trailing data: a missing byte reads as absent.
    fn done(&self) -> bool {
        self.at >= self.data.len()
    }
}

/// Decodes a TransMgrReq. `headers`: the session is TDS 7.2 or later, so ALL_HEADERS comes
/// first. An unknown RequestType is a protocol error ("If an unknown Type is specified, the
/// message receiver SHOULD disconnect the connection", MS-TDS 2.2.6.9).
pub fn decode(payload: &[u8], headers: bool) -> Result<TransMgr, ProtocolError> {
    let (start, descriptor) = if headers {
        let len = super::rpc::all_headers_len(payload)?;
        (len, super::rpc::transaction_descriptor(payload))
    } else {
        (0, None)
    };
    let mut r = Reader {
        data: payload,
        at: start,
    };
    let kind = {
        let b = r.take(2, "TransMgrReq RequestType")?;
        u16::from_le_bytes([b[0], b[1]])
    };
    // XACT_NAME XACT_FLAGS [ISOLATION_LEVEL BEGIN_XACT_NAME] of commit and rollback. FreeTDS
    // ends the payload after the name when it sends no flags; read that as flags 0.
    let end_payload = |r: &mut Reader| -> Result<(String, Option<(u8, String)>), ProtocolError> {
        let name = if r.done() {
            String::new()
        } else {
            r.name("TransMgrReq XACT_NAME")?
        };
        let flags = if r.done() {
            0
        } else {
            r.u8("TransMgrReq XACT_FLAGS")?
        };
        let then_begin = if flags & 0x01 != 0 {
            let isolation = if r.done() {
                0
            } else {
                r.u8("TransMgrReq ISOLATION_LEVEL")?
            };
            let name = if r.done() {
                String::new()
            } else {
                r.name("TransMgrReq BEGIN_XACT_NAME")?
            };
            Some((isolation, name))
        } else {
            None
        };
        Ok((name, then_begin))
    };
    let request = match kind {
        0 => TmRequest::GetDtcAddress,
        1 => TmRequest::Propagate,
        5 => {
            let isolation = r.u8("TransMgrReq ISOLATION_LEVEL")?;
            let name = if r.done() {
                String::new()
            } else {
                r.name("TransMgrReq BEGIN_XACT_NAME")?
            };
            if isolation > 5 {
                return Err(ProtocolError::Invalid {
                    what: "TransMgrReq ISOLATION_LEVEL",
                    detail: isolation.to_string(),
                });
            }
            TmRequest::Begin { isolation, name }
        }
        6 => TmRequest::Promote,
        7 => {
            let (name, then_begin) = end_payload(&mut r)?;
            TmRequest::Commit { name, then_begin }
        }
        8 => {
            let (name, then_begin) = end_payload(&mut r)?;
            TmRequest::Rollback { name, then_begin }
        }
        9 => TmRequest::Save {
            name: r.name("TransMgrReq XACT_SAVEPOINT_NAME")?,
        },
        other => {
            return Err(ProtocolError::Invalid {
                what: "TransMgrReq RequestType",
                detail: other.to_string(),
            });
        }
    };
    Ok(TransMgr {
        descriptor,
        request,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(descriptor: u64) -> Vec<u8> {
        let mut v = 22u32.to_le_bytes().to_vec();
        v.extend(18u32.to_le_bytes());
        v.extend(2u16.to_le_bytes());
        v.extend(descriptor.to_le_bytes());
        v.extend(1u32.to_le_bytes());
        v
    }

    #[test]
    fn begin_commit_rollback_save_as_the_spec_lays_them_out() {
        // TM_BEGIN_XACT, isolation 2, no name (as tedious sends it).
        let mut m = headers(0);
        m.extend([5, 0, 2, 0]);
        let d = decode(&m, true).unwrap();
        assert_eq!(d.descriptor, Some(0));
        assert_eq!(
            d.request,
            TmRequest::Begin {
                isolation: 2,
                name: String::new()
            }
        );
        // TM_COMMIT_XACT, no name, fBeginXact with isolation 0 and no name.
        let mut m = headers(0x1234);
        m.extend([7, 0, 0, 1, 0, 0]);
        let d = decode(&m, true).unwrap();
        assert_eq!(d.descriptor, Some(0x1234));
        assert_eq!(
            d.request,
            TmRequest::Commit {
                name: String::new(),
                then_begin: Some((0, String::new()))
            }
        );
        // TM_ROLLBACK_XACT to savepoint "sp" with no flags byte; TDS 7.1 has no headers.
        let m = [8, 0, 4, b's', 0, b'p', 0];
        let d = decode(&m, false).unwrap();
        assert_eq!(d.descriptor, None);
        assert_eq!(
            d.request,
            TmRequest::Rollback {
                name: "sp".into(),
                then_begin: None
            }
        );
        let m = [9, 0, 2, b'a', 0];
        assert_eq!(
            decode(&m, false).unwrap().request,
            TmRequest::Save { name: "a".into() }
        );
        // Unknown types and truncation are protocol errors, never panics.
        assert!(decode(&[4, 0], false).is_err());
        assert!(decode(&[5], false).is_err());
        assert!(decode(&[9, 0, 4, b'a'], false).is_err());
        for n in 0..m.len() {
            let _ = decode(&m[..n], true);
        }
    }
}
