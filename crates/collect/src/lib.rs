//! Talking to SQL Server: TDS connections (tiberius over TCP and TLS), version-aware catalog
//! queries, and bounded concurrency over many targets, producing the `audit-core` snapshot.
//!
//! The boundary is set now so that nothing else in the workspace opens a database connection;
//! the implementation arrives with the audit engine (step 4).
