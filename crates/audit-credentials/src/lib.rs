//! Credentials for SQL Server targets: references, protected stores and redaction.
//!
//! A password never lives in a config file. A target names a *reference* (`env:NAME`, `prompt`,
//! `dpapi:NAME`, `keyring:NAME`) and this crate turns it into a [`Secret`] at the moment of use.
//! Secrets are held in zeroizing memory, print as `********`, and every secret that was read is
//! registered with [`redact`] so that log writers can scrub it even if it slips into a message.

pub mod redact;
mod reference;
mod resolve;
mod secret;
mod store;

pub use reference::{CredentialName, CredentialRef, ReferenceError};
pub use resolve::{ResolveError, Resolver, prompt_secret};
pub use secret::Secret;
pub use store::{
    CredentialStores, StoreError, StoreKind, StoredCredential, protect_for_user, unprotect_for_user,
};
