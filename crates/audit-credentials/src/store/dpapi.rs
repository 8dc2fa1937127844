//! Windows DPAPI: `CryptProtectData` in the current user's scope.
//!
//! The blob can be decrypted only by the same Windows user (on the same machine, or with a
//! roaming profile), which is what a per-auditor credential store should be. The credential
//! name is bound into the blob as additional entropy, so renaming or swapping blob files makes
//! decryption fail instead of silently returning another target's password.

use super::{StoreError, StoreKind};
use crate::{CredentialName, Secret};

#[cfg(any(windows, test))]
fn entropy(name: &CredentialName) -> Vec<u8> {
    format!("AutoDBAudit credential:{name}").into_bytes()
}

#[cfg(windows)]
pub(super) const AVAILABLE: bool = true;

#[cfg(not(windows))]
pub(super) const AVAILABLE: bool = false;

#[cfg(not(windows))]
fn unavailable() -> StoreError {
    StoreError::Unavailable {
        kind: StoreKind::Dpapi,
        platforms: "Windows",
        fix: "on this system store the secret with `--store keyring` and write `keyring:NAME`, or use `env:NAME`",
    }
}

#[cfg(not(windows))]
pub(super) fn protect(_name: &CredentialName, _secret: &Secret) -> Result<Vec<u8>, StoreError> {
    Err(unavailable())
}

#[cfg(not(windows))]
pub(super) fn unprotect(_name: &CredentialName, _blob: &[u8]) -> Result<Secret, StoreError> {
    Err(unavailable())
}

#[cfg(windows)]
pub(super) fn protect(name: &CredentialName, secret: &Secret) -> Result<Vec<u8>, StoreError> {
    let entropy = entropy(name);
    win::crypt(secret.expose().as_bytes(), &entropy, true)
        .map(|blob| blob.to_vec())
        .map_err(|e| {
            StoreError::backend(
                StoreKind::Dpapi,
                name,
                format!("CryptProtectData failed: {e}"),
            )
        })
}

#[cfg(windows)]
pub(super) fn unprotect(name: &CredentialName, blob: &[u8]) -> Result<Secret, StoreError> {
    let entropy = entropy(name);
    let plain = win::crypt(blob, &entropy, false).map_err(|e| {
        StoreError::backend(
            StoreKind::Dpapi,
            name,
            format!(
                "CryptUnprotectData failed ({e}): the blob was written by another Windows user or machine, \
                 or renamed; add the credential again as this user"
            ),
        )
    })?;
    let text = std::str::from_utf8(&plain).map_err(|_| {
        StoreError::backend(
            StoreKind::Dpapi,
            name,
            "the decrypted secret is not UTF-8; add it again",
        )
    })?;
    Ok(Secret::new(text.to_owned()))
}

#[cfg(windows)]
#[allow(unsafe_code)] // FFI to the Win32 DPAPI; every pointer is checked and freed here.
mod win {
    use std::io;
    use windows_sys::Win32::Foundation::LocalFree;
    use windows_sys::Win32::Security::Cryptography::{
        CRYPT_INTEGER_BLOB, CRYPTPROTECT_UI_FORBIDDEN, CryptProtectData, CryptUnprotectData,
    };
    use zeroize::Zeroizing;

    fn blob(data: &[u8]) -> CRYPT_INTEGER_BLOB {
        CRYPT_INTEGER_BLOB {
            cbData: data.len() as u32,
            pbData: data.as_ptr() as *mut u8,
        }
    }

    /// Encrypts (`protect`) or decrypts `data` with DPAPI; the output is wiped when dropped.
    pub(super) fn crypt(
        data: &[u8],
        entropy: &[u8],
        protect: bool,
    ) -> io::Result<Zeroizing<Vec<u8>>> {
        let input = blob(data);
        let entropy = blob(entropy);
        let mut output = CRYPT_INTEGER_BLOB {
            cbData: 0,
            pbData: std::ptr::null_mut(),
        };
        // SAFETY: `input` and `entropy` point into live slices for the duration of the call;
        // `output` is written by the API and freed below with LocalFree as documented.
        let ok = unsafe {
            if protect {
                CryptProtectData(
                    &input,
                    std::ptr::null(),
                    &entropy,
                    std::ptr::null(),
                    std::ptr::null(),
                    CRYPTPROTECT_UI_FORBIDDEN,
                    &mut output,
                )
            } else {
                CryptUnprotectData(
                    &input,
                    std::ptr::null_mut(),
                    &entropy,
                    std::ptr::null(),
                    std::ptr::null(),
                    CRYPTPROTECT_UI_FORBIDDEN,
                    &mut output,
                )
            }
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        if output.pbData.is_null() {
            return Ok(Zeroizing::new(Vec::new()));
        }
        // SAFETY: on success the API returns a LocalAlloc'ed buffer of `cbData` bytes (checked
        // non-null above).
        let result = unsafe {
            let bytes = std::slice::from_raw_parts(output.pbData, output.cbData as usize).to_vec();
            std::ptr::write_bytes(output.pbData, 0, output.cbData as usize);
            LocalFree(output.pbData as _);
            bytes
        };
        Ok(Zeroizing::new(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_binds_the_name() {
        let a: CredentialName = "a".parse().unwrap();
        let b: CredentialName = "b".parse().unwrap();
        assert_ne!(entropy(&a), entropy(&b));
    }

    #[cfg(windows)]
    #[test]
    fn round_trip_and_name_binding() {
        let name: CredentialName = "prod".parse().unwrap();
        let other: CredentialName = "test".parse().unwrap();
        let blob = protect(&name, &Secret::new("S3cret-ü".into())).unwrap();
        assert!(!blob.windows(6).any(|w| w == b"S3cret"));
        assert_eq!(unprotect(&name, &blob).unwrap().expose(), "S3cret-ü");
        assert!(unprotect(&other, &blob).is_err());
    }
}
