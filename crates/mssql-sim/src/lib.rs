//! A simulated SQL Server: speaks TDS over TCP and answers as a configured instance would, so
//! that the demo and every test exercise the real protocol path without a real server.
//!
//! State of this crate: the wire protocol (packets, PRELOGIN with SQL Server's encryption
//! negotiation and TLS inside TDS — login-only, full and TDS 8.0 strict, see [`ServerOptions`] —
//! LOGIN7 with SQL authentication and real login errors, the response token stream, ATTENTION)
//! and a first slice of the query engine (SELECT over the server-level catalog views, see
//! [`engine`]) are implemented and tested against tiberius. NTLM, RPC, the remaining catalog
//! views and procedures, mutations, fixtures files, faults and the statement log follow (issue
//! "Step 3").

pub mod engine;
pub mod fixtures;
pub mod instance;
pub mod server;
pub mod tds;

pub use instance::{Database, Instance, Login, Service, Startup};
pub use server::{
    RunningServer, ServerEncryption, ServerOptions, TlsIdentity, TlsIdentityError, start,
    start_logging, start_with,
};
