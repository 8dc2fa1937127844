//! The OS keyring through the `keyring-core` ecosystem.
//!
//! Windows: Credential Manager (generic credentials of the current user). Linux: the kernel key
//! retention service (keyutils), which needs no desktop session or D-Bus daemon — audit hosts
//! are often headless. Kernel keys live in the user's persistent keyring, which the kernel
//! expires after a few idle days (`/proc/sys/kernel/keys/persistent_keyring_expiry`); add the
//! credential again before an audit, or use `env:` for unattended runs.

use super::{StoreError, StoreKind};
use crate::{CredentialName, Secret};

/// The keyring "service" every AutoDBAudit secret is filed under.
const SERVICE: &str = "AutoDBAudit";

#[cfg(any(target_os = "linux", windows))]
pub(super) const AVAILABLE: bool = true;

#[cfg(not(any(target_os = "linux", windows)))]
pub(super) const AVAILABLE: bool = false;

#[cfg(any(target_os = "linux", windows))]
mod imp {
    use super::*;
    use keyring_core::{Entry, Error};
    use std::sync::OnceLock;

    fn entry(name: &CredentialName) -> Result<Entry, StoreError> {
        static STORE: OnceLock<Result<(), String>> = OnceLock::new();
        STORE
            .get_or_init(|| {
                #[cfg(target_os = "linux")]
                let store = linux_keyutils_keyring_store::Store::new();
                #[cfg(windows)]
                let store = windows_native_keyring_store::Store::new();
                store
                    .map(|s| keyring_core::set_default_store(s))
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(|message| StoreError::backend(StoreKind::Keyring, name, message))?;
        Entry::new(SERVICE, name.as_str())
            .map_err(|e| StoreError::backend(StoreKind::Keyring, name, e))
    }

    pub(in crate::store) fn put(name: &CredentialName, secret: &Secret) -> Result<(), StoreError> {
        entry(name)?
            .set_password(secret.expose())
            .map_err(|e| StoreError::backend(StoreKind::Keyring, name, e))
    }

    pub(in crate::store) fn get(name: &CredentialName) -> Result<Secret, StoreError> {
        match entry(name)?.get_password() {
            Ok(value) => Ok(Secret::new(value)),
            Err(Error::NoEntry) => Err(StoreError::not_found(StoreKind::Keyring, name)),
            Err(e) => Err(StoreError::backend(StoreKind::Keyring, name, e)),
        }
    }

    pub(in crate::store) fn remove(name: &CredentialName) -> Result<bool, StoreError> {
        match entry(name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(e) => Err(StoreError::backend(StoreKind::Keyring, name, e)),
        }
    }
}

#[cfg(not(any(target_os = "linux", windows)))]
mod imp {
    use super::*;

    fn unavailable() -> StoreError {
        StoreError::Unavailable {
            kind: StoreKind::Keyring,
            platforms: "Windows and Linux",
            fix: "use `env:NAME` on this system",
        }
    }

    pub(in crate::store) fn put(_: &CredentialName, _: &Secret) -> Result<(), StoreError> {
        Err(unavailable())
    }

    pub(in crate::store) fn get(_: &CredentialName) -> Result<Secret, StoreError> {
        Err(unavailable())
    }

    pub(in crate::store) fn remove(_: &CredentialName) -> Result<bool, StoreError> {
        Err(unavailable())
    }
}

pub(super) use imp::{get, put, remove};
