//! A simulated SQL Server: speaks TDS over TCP and answers as a configured instance would, so
//! that the demo and every test exercise the real protocol path without a real server.
//!
//! State of this crate: the wire protocol (packets, PRELOGIN without TLS, LOGIN7 with SQL
//! authentication and real login errors, the response token stream, ATTENTION) is implemented
//! and tested against tiberius. The catalog engine that runs queries is not: every batch is
//! answered with error 102 naming the statement it cannot run yet. TLS, NTLM, RPC, fixtures,
//! faults and the statement log follow (see issue "Step 3").

pub mod instance;
pub mod server;
pub mod tds;

pub use instance::{Instance, Login};
pub use server::{RunningServer, start};
