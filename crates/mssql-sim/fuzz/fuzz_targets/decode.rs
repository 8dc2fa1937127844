//! Every decoder of client input (packet header, PRELOGIN, LOGIN7, RPC, NTLM) on arbitrary
//! bytes: none may panic. The harness is shared with the stable `tests/decoders_fuzz.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mssql_sim::tds::fuzz_all_decoders(data);
});
