//! The protected stores behind `dpapi:` and `keyring:` references, and their index.
//!
//! The index (`credentials/index.json` in the workspace) holds names, store kinds and dates —
//! never a secret — so that `credentials list` works even for stores that cannot enumerate
//! (the OS keyring), and a DBA can see what a workspace expects without reading any secret.

mod dpapi;
mod keyring;

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::{CredentialName, CredentialRef, Secret, redact};

/// DPAPI-protects `secret` for the current Windows user, bound to `name`: how other files that
/// hold secrets (generated remediation passwords) are protected like credentials. Fails on
/// other platforms, where such files are owner-only instead.
pub fn protect_for_user(name: &CredentialName, secret: &Secret) -> Result<Vec<u8>, StoreError> {
    dpapi::protect(name, secret)
}

/// Reverses [`protect_for_user`] (same Windows user, same `name`).
pub fn unprotect_for_user(name: &CredentialName, blob: &[u8]) -> Result<Secret, StoreError> {
    dpapi::unprotect(name, blob)
}

/// Which protected store holds a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// Windows DPAPI (`CryptProtectData`, current-user scope), a blob under `credentials/`.
    Dpapi,
    /// The OS keyring: Windows Credential Manager, or the Linux kernel key retention service.
    Keyring,
}

impl StoreKind {
    /// DPAPI on Windows, the keyring elsewhere: what `credentials add` uses unless told.
    pub fn platform_default() -> StoreKind {
        if cfg!(windows) {
            StoreKind::Dpapi
        } else {
            StoreKind::Keyring
        }
    }

    /// The reference a config file uses to point at `name` in this store.
    pub fn reference(self, name: &CredentialName) -> CredentialRef {
        match self {
            StoreKind::Dpapi => CredentialRef::Dpapi(name.clone()),
            StoreKind::Keyring => CredentialRef::Keyring(name.clone()),
        }
    }

    /// Whether this store works on the running platform.
    pub fn is_available(self) -> bool {
        match self {
            StoreKind::Dpapi => dpapi::AVAILABLE,
            StoreKind::Keyring => keyring::AVAILABLE,
        }
    }
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreKind::Dpapi => "dpapi",
            StoreKind::Keyring => "keyring",
        })
    }
}

/// What went wrong with a store. Messages name the store, the credential and the fix.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store does not exist on this platform.
    #[error("{kind}: references work only on {platforms}; {fix}")]
    Unavailable {
        /// The store asked for.
        kind: StoreKind,
        /// Where it works.
        platforms: &'static str,
        /// What to use instead.
        fix: &'static str,
    },
    /// No secret of that name.
    #[error(
        "no credential named `{name}` in the {kind} store; add it with `autodbaudit credentials add {name}{flag}`"
    )]
    NotFound {
        /// The store searched.
        kind: StoreKind,
        /// The missing name.
        name: CredentialName,
        /// The `--store` flag to repeat, if not the default.
        flag: &'static str,
    },
    /// The OS refused or failed an operation.
    #[error("{kind} store, credential `{name}`: {message}")]
    Backend {
        /// The store.
        kind: StoreKind,
        /// The credential.
        name: CredentialName,
        /// What the OS said (redacted of any secret).
        message: String,
    },
    /// Reading or writing a file of the store.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The index file is not what this version wrote.
    #[error(
        "{path}: the credential index is damaged ({reason}); move it aside and add the credentials again"
    )]
    BadIndex {
        /// The index file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl StoreError {
    fn backend(kind: StoreKind, name: &CredentialName, message: impl fmt::Display) -> StoreError {
        StoreError::Backend {
            kind,
            name: name.clone(),
            message: redact::redact(&message.to_string()).into_owned(),
        }
    }

    fn not_found(kind: StoreKind, name: &CredentialName) -> StoreError {
        let flag = if kind == StoreKind::platform_default() {
            ""
        } else {
            match kind {
                StoreKind::Dpapi => " --store dpapi",
                StoreKind::Keyring => " --store keyring",
            }
        };
        StoreError::NotFound {
            kind,
            name: name.clone(),
            flag,
        }
    }
}

/// One line of `credentials list`: what the index says, and whether the secret is really there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCredential {
    /// The credential's name.
    pub name: CredentialNameString,
    /// The store holding it.
    pub store: StoreKind,
    /// When it was added (RFC 3339, UTC).
    pub added: String,
    /// Whether the store still has it (the kernel keyring expires entries; files can be deleted).
    #[serde(skip)]
    pub present: bool,
}

/// A credential name as stored in the index file (validated when read back).
pub type CredentialNameString = String;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Index {
    version: u32,
    credentials: Vec<StoredCredential>,
}

const INDEX_VERSION: u32 = 1;

/// The protected stores of one workspace.
#[derive(Debug, Clone)]
pub struct CredentialStores {
    dir: PathBuf,
}

impl CredentialStores {
    /// The stores of the workspace whose `credentials/` folder is `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        CredentialStores { dir: dir.into() }
    }

    /// The `credentials/` folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn index_path(&self) -> PathBuf {
        self.dir.join("index.json")
    }

    fn io(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
        move |source| StoreError::Io {
            path: path.to_owned(),
            source,
        }
    }

    fn read_index(&self) -> Result<Index, StoreError> {
        let path = self.index_path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Index {
                    version: INDEX_VERSION,
                    credentials: Vec::new(),
                });
            }
            Err(e) => return Err(Self::io(&path)(e)),
        };
        let index: Index = serde_json::from_str(&text).map_err(|e| StoreError::BadIndex {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if index.version != INDEX_VERSION {
            return Err(StoreError::BadIndex {
                path,
                reason: format!(
                    "version {} (this program writes version {INDEX_VERSION})",
                    index.version
                ),
            });
        }
        Ok(index)
    }

    fn write_index(&self, index: &Index) -> Result<(), StoreError> {
        let text = serde_json::to_string_pretty(index).expect("the index always serialises");
        write_private_file(&self.dir, &self.index_path(), text.as_bytes())
    }

    /// Stores `secret` under `name`, replacing any previous value, and records it in the index.
    pub fn put(
        &self,
        kind: StoreKind,
        name: &CredentialName,
        secret: &Secret,
    ) -> Result<(), StoreError> {
        redact::register(secret);
        // A damaged index is found before anything is stored.
        let mut index = self.read_index()?;
        match kind {
            StoreKind::Dpapi => {
                let blob = dpapi::protect(name, secret)?;
                write_private_file(&self.dir, &self.dpapi_path(name), &blob)?;
            }
            StoreKind::Keyring => keyring::put(name, secret)?,
        }
        index
            .credentials
            .retain(|c| !(c.name == name.as_str() && c.store == kind));
        index.credentials.push(StoredCredential {
            name: name.to_string(),
            store: kind,
            added: OffsetDateTime::now_utc()
                .format(&Rfc3339)
                .expect("UTC time formats"),
            present: true,
        });
        index
            .credentials
            .sort_by(|a, b| (&a.name, a.store).cmp(&(&b.name, b.store)));
        self.write_index(&index)
    }

    /// Reads the secret stored under `name`.
    pub fn get(&self, kind: StoreKind, name: &CredentialName) -> Result<Secret, StoreError> {
        let secret = match kind {
            StoreKind::Dpapi => {
                let path = self.dpapi_path(name);
                let blob = match fs::read(&path) {
                    Ok(blob) => blob,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        return Err(StoreError::not_found(kind, name));
                    }
                    Err(e) => return Err(Self::io(&path)(e)),
                };
                dpapi::unprotect(name, &blob)?
            }
            StoreKind::Keyring => keyring::get(name)?,
        };
        redact::register(&secret);
        Ok(secret)
    }

    /// Checks that the index can be read, so that a command can refuse before writing anything.
    pub fn check_index(&self) -> Result<(), StoreError> {
        self.read_index().map(|_| ())
    }

    /// Deletes `name` from the store and the index. Returns false when there was nothing to delete.
    pub fn remove(&self, kind: StoreKind, name: &CredentialName) -> Result<bool, StoreError> {
        let mut index = self.read_index()?;
        let removed_secret = match kind {
            StoreKind::Dpapi => {
                let path = self.dpapi_path(name);
                match fs::remove_file(&path) {
                    Ok(()) => true,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => false,
                    Err(e) => return Err(Self::io(&path)(e)),
                }
            }
            StoreKind::Keyring => keyring::remove(name)?,
        };
        let before = index.credentials.len();
        index
            .credentials
            .retain(|c| !(c.name == name.as_str() && c.store == kind));
        let removed_entry = index.credentials.len() != before;
        if removed_entry {
            self.write_index(&index)?;
        }
        Ok(removed_secret || removed_entry)
    }

    /// Every credential the index knows, with whether its store still holds it.
    pub fn list(&self) -> Result<Vec<StoredCredential>, StoreError> {
        let mut index = self.read_index()?;
        for entry in &mut index.credentials {
            entry.present = match entry.name.parse::<CredentialName>() {
                Ok(name) => self.contains(entry.store, &name),
                Err(_) => false,
            };
        }
        Ok(index.credentials)
    }

    /// Whether the store holds `name`, without handing the secret out.
    pub fn contains(&self, kind: StoreKind, name: &CredentialName) -> bool {
        match kind {
            StoreKind::Dpapi => self.dpapi_path(name).is_file(),
            StoreKind::Keyring => keyring::get(name).is_ok(),
        }
    }

    fn dpapi_path(&self, name: &CredentialName) -> PathBuf {
        self.dir.join(format!("{name}.dpapi"))
    }
}

/// Writes `bytes` to `path` through a fresh temporary file and a rename, readable by the owner
/// only. The temporary file is created exclusively (O_EXCL, mode 0600 from the start) under a
/// random name, so a link planted beside it is never followed and two runs never share it;
/// it is removed if anything fails.
fn write_private_file(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write as _;
    fs::create_dir_all(dir).map_err(CredentialStores::io(dir))?;
    restrict_to_owner(dir, true).map_err(CredentialStores::io(dir))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".credential.")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(CredentialStores::io(dir))?;
    restrict_to_owner(tmp.path(), false).map_err(CredentialStores::io(tmp.path()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(CredentialStores::io(path))?;
    tmp.persist(path)
        .map_err(|e| CredentialStores::io(path)(e.error))?;
    Ok(())
}

#[cfg(unix)]
fn restrict_to_owner(path: &Path, is_dir: bool) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(
        path,
        fs::Permissions::from_mode(if is_dir { 0o700 } else { 0o600 }),
    )
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path, _is_dir: bool) -> io::Result<()> {
    // On Windows the DPAPI blob is useless to other users by construction (only the Windows user
    // who wrote it can decrypt it). The folder keeps the ACLs it inherits: in a shared folder
    // other users could read the index (names, no secrets) or delete a blob.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_store_says_what_to_use() {
        let dir = tempfile::tempdir().unwrap();
        let stores = CredentialStores::new(dir.path().join("credentials"));
        let name: CredentialName = "prod".parse().unwrap();
        let secret = Secret::new("Very-Secret-1".into());
        if !StoreKind::Dpapi.is_available() {
            let err = stores.put(StoreKind::Dpapi, &name, &secret).unwrap_err();
            assert!(err.to_string().contains("only on Windows"), "{err}");
            assert!(!dir.path().join("credentials/index.json").exists());
        }
    }

    #[test]
    fn missing_dpapi_blob_is_not_found_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let stores = CredentialStores::new(dir.path());
        let name: CredentialName = "absent".parse().unwrap();
        let err = stores.get(StoreKind::Dpapi, &name).unwrap_err();
        assert!(err.to_string().contains("credentials add absent"), "{err}");
    }

    #[test]
    fn damaged_index_is_reported_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("index.json"), "{ not json").unwrap();
        let err = CredentialStores::new(dir.path()).list().unwrap_err();
        assert!(
            err.to_string().contains("index.json") && err.to_string().contains("damaged"),
            "{err}"
        );
    }

    /// A link planted at the name the index's temporary file used to have must not be followed.
    #[cfg(unix)]
    #[test]
    fn a_planted_link_at_the_old_temporary_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, "untouched").unwrap();
        let store = dir.path().join("credentials");
        fs::create_dir_all(&store).unwrap();
        let old_name = store.join(format!("index.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &old_name).unwrap();
        write_private_file(&store, &store.join("index.json"), b"{}").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched");
        assert_eq!(fs::read_to_string(store.join("index.json")).unwrap(), "{}");
        // Only the index and the planted link: no temporary file is left behind.
        assert_eq!(fs::read_dir(&store).unwrap().count(), 2);
    }
}
