//! The OS keyring.
//!
//! Windows: Credential Manager (generic credentials of the current user), through the
//! `keyring-core` ecosystem. Linux: the kernel key retention service (keyutils), which needs no
//! desktop session or D-Bus daemon — audit hosts are often headless. The key goes into the
//! user's persistent keyring, which outlives logins until the kernel expires it after a few idle
//! days (`/proc/sys/kernel/keys/persistent_keyring_expiry`); where the kernel refuses the
//! persistent keyring (some containers), into the user keyring, which lasts while the user has
//! processes. Either way: add the credential again before an audit if it has gone, or use
//! `env:` for unattended runs. (The `keyring-core` keyutils store is not used on Linux because
//! it fails outright where the persistent keyring is refused, instead of falling back.)

use super::{StoreError, StoreKind};
use crate::{CredentialName, Secret};

/// The keyring "service" every AutoDBAudit secret is filed under.
const SERVICE: &str = "AutoDBAudit";

#[cfg(any(target_os = "linux", windows))]
pub(super) const AVAILABLE: bool = true;

#[cfg(not(any(target_os = "linux", windows)))]
pub(super) const AVAILABLE: bool = false;

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use linux_keyutils::{KeyError, KeyRing, KeyRingIdentifier};

    fn description(name: &CredentialName) -> String {
        format!("{SERVICE}:{name}")
    }

    fn error(name: &CredentialName, action: &str, e: KeyError) -> StoreError {
        StoreError::backend(
            StoreKind::Keyring,
            name,
            format!("the kernel keyring refused to {action} it ({e:?})"),
        )
    }

    fn user_keyring(name: &CredentialName) -> Result<KeyRing, StoreError> {
        KeyRing::from_special_id(KeyRingIdentifier::User, true)
            .map_err(|e| error(name, "open the user keyring for", e))
    }

    /// The persistent keyring, linked into the user keyring so that searches from there find it.
    fn persistent_keyring() -> Option<KeyRing> {
        KeyRing::get_persistent(KeyRingIdentifier::User).ok()
    }

    /// Adds (or updates in place) the key first, and only then removes stale copies from the
    /// other keyring, so that a failed update never loses the previous secret.
    pub(in crate::store) fn put(name: &CredentialName, secret: &Secret) -> Result<(), StoreError> {
        let desc = description(name);
        let added = match persistent_keyring().map(|p| p.add_key(&desc, secret.expose())) {
            Some(Ok(key)) => key,
            _ => user_keyring(name)?
                .add_key(&desc, secret.expose())
                .map_err(|e| error(name, "store", e))?,
        };
        let ring = user_keyring(name)?;
        for _ in 0..4 {
            match ring.search(&desc) {
                Ok(found) if found.get_id() != added.get_id() => {
                    found.invalidate().map_err(|e| error(name, "replace", e))?;
                }
                _ => break,
            }
        }
        Ok(())
    }

    pub(in crate::store) fn get(name: &CredentialName) -> Result<Secret, StoreError> {
        let _linked = persistent_keyring();
        let key = match user_keyring(name)?.search(&description(name)) {
            Ok(key) => key,
            Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => {
                return Err(StoreError::not_found(StoreKind::Keyring, name));
            }
            Err(e) => return Err(error(name, "look up", e)),
        };
        let bytes = key.read_to_vec().map_err(|e| error(name, "read", e))?;
        String::from_utf8(bytes).map(Secret::new).map_err(|e| {
            zeroize::Zeroize::zeroize(&mut e.into_bytes());
            StoreError::backend(
                StoreKind::Keyring,
                name,
                "the stored secret is not UTF-8; add it again",
            )
        })
    }

    pub(in crate::store) fn remove(name: &CredentialName) -> Result<bool, StoreError> {
        let _linked = persistent_keyring();
        let ring = user_keyring(name)?;
        let mut removed = false;
        // A copy may sit in both the persistent and the user keyring; a few rounds clear both.
        for _ in 0..4 {
            match ring.search(&description(name)) {
                Ok(key) => {
                    key.invalidate().map_err(|e| error(name, "delete", e))?;
                    removed = true;
                }
                Err(_) => break,
            }
        }
        Ok(removed)
    }
}

#[cfg(windows)]
mod imp {
    use super::*;
    use keyring_core::{Entry, Error};
    use std::sync::OnceLock;

    fn entry(name: &CredentialName) -> Result<Entry, StoreError> {
        static STORE: OnceLock<Result<(), String>> = OnceLock::new();
        STORE
            .get_or_init(|| {
                windows_native_keyring_store::Store::new()
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
