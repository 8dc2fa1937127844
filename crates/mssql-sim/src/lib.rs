//! A simulated SQL Server: speaks TDS over TCP and answers as a configured instance would, so
//! that the demo and every test exercise the real protocol path without a real server.
//!
//! Where things live:
//! - [`instance`]: the model of an instance, which is both the fixture file format (TOML) and
//!   the live state that statements change; [`fixtures`]: the built-in instances, fixture
//!   files and generated fleets.
//! - [`tds`]: the wire format, pure encode/decode (packets, PRELOGIN, LOGIN7, RPC, NTLM,
//!   response tokens), fuzzed.
//! - [`server`]: TCP, TLS inside TDS, the login handshake (SQL and NTLM), batches, RPC,
//!   ATTENTION, injected faults; [`browser`]: the SQL Server Browser (SSRP over UDP).
//! - [`catalog_schema`]: which catalog views, DMVs and msdb tables exist on which version,
//!   with their documented columns — the data files in `catalog/`, the single source.
//! - [`engine`]: T-SQL execution — statement parsing, the catalog views per version and per
//!   viewer, functions, procedures, the statements that change the server, the statement log.
//!
//! `docs/simulator.md` is the user's guide: running it, the fixture format, what it implements.

pub mod browser;
pub mod catalog_schema;
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
