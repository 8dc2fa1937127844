//! Talking to SQL Server: TDS connections (tiberius over TCP and TLS), version-aware catalog
//! queries in a few batches, and the [`Snapshot`](audit_core::snapshot::Snapshot) they fill.
//!
//! Nothing else in the workspace opens a database connection. The audit is strictly read-only:
//! every statement here is a SELECT or a read-only procedure (`xp_regread`,
//! `xp_instance_regread`), which the simulator's statement log proves in tests.
//!
//! - [`connect`]: a target's address, credentials and TLS policy → a logged-in client.
//! - [`batch`]: running one batch of marked queries and keeping every result set that came back,
//!   with the reason for those that did not.
//! - [`queries`]: the SQL, chosen per version.
//! - [`collect_snapshot`]: the batches in order, parsed into the snapshot.
//! - [`fleet`]: many targets at once, bounded, with timeouts, progress and a stop signal.

pub mod batch;
pub mod connect;
pub mod fleet;
pub mod queries;
mod read;

pub use connect::{Auth, ConnectError, Encryption, Endpoint};
pub use read::{CollectError, collect_snapshot};
