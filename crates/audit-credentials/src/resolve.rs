//! Turning a reference into a secret at the moment it is needed.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::{CredentialRef, CredentialStores, Secret, StoreError, StoreKind, redact};

/// Why a reference could not produce a secret. Messages say which reference and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// `env:NAME` but the variable is missing.
    #[error(
        "environment variable `{name}` is not set; set it in the shell that runs autodbaudit (it is read, never stored)"
    )]
    EnvMissing {
        /// The variable.
        name: String,
    },
    /// `env:NAME` holds bytes that are not text.
    #[error("environment variable `{name}` is not valid Unicode")]
    EnvNotUnicode {
        /// The variable.
        name: String,
    },
    /// `env:NAME` is set but empty.
    #[error("environment variable `{name}` is empty")]
    EnvEmpty {
        /// The variable.
        name: String,
    },
    /// `prompt` without a terminal.
    #[error(
        "the credential for {purpose} is `prompt`, but there is no terminal to ask on ({reason}); \
         use env:NAME, keyring:NAME or dpapi:NAME for unattended runs"
    )]
    NoTerminal {
        /// Whose password was asked for.
        purpose: String,
        /// The OS error.
        reason: String,
    },
    /// `prompt` answered with nothing.
    #[error("no password was entered for {purpose}")]
    PromptEmpty {
        /// Whose password was asked for.
        purpose: String,
    },
    /// A protected store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Resolves references for one run: each `prompt` asks once per purpose (the caller names the
/// login and target) and is then remembered, in zeroizing memory, for the rest of the run.
pub struct Resolver {
    stores: CredentialStores,
    prompted: Mutex<HashMap<String, Secret>>,
}

impl Resolver {
    /// A resolver over the workspace's stores.
    pub fn new(stores: CredentialStores) -> Self {
        Resolver {
            stores,
            prompted: Mutex::new(HashMap::new()),
        }
    }

    /// The secret `reference` points at. `purpose` names it on a prompt, e.g. `sa@sqlprod01`.
    pub fn resolve(
        &self,
        reference: &CredentialRef,
        purpose: &str,
    ) -> Result<Secret, ResolveError> {
        let secret = match reference {
            CredentialRef::Env(name) => match std::env::var(name) {
                Ok(value) if value.is_empty() => {
                    return Err(ResolveError::EnvEmpty { name: name.clone() });
                }
                Ok(value) => Secret::new(value),
                Err(std::env::VarError::NotPresent) => {
                    return Err(ResolveError::EnvMissing { name: name.clone() });
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(ResolveError::EnvNotUnicode { name: name.clone() });
                }
            },
            CredentialRef::Prompt => {
                let mut prompted = self.prompted.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(secret) = prompted.get(purpose) {
                    return Ok(secret.clone());
                }
                let value = rpassword::prompt_password(format!("Password for {purpose}: "))
                    .map_err(|e| ResolveError::NoTerminal {
                        purpose: purpose.to_owned(),
                        reason: e.to_string(),
                    })?;
                if value.is_empty() {
                    return Err(ResolveError::PromptEmpty {
                        purpose: purpose.to_owned(),
                    });
                }
                let secret = Secret::new(value);
                prompted.insert(purpose.to_owned(), secret.clone());
                secret
            }
            CredentialRef::Dpapi(name) => self.stores.get(StoreKind::Dpapi, name)?,
            CredentialRef::Keyring(name) => self.stores.get(StoreKind::Keyring, name)?,
        };
        redact::register(&secret);
        Ok(secret)
    }
}

/// Asks for a secret on the terminal without echo (used by `prompt` references and by
/// `credentials add`).
pub fn prompt_secret(prompt: &str) -> std::io::Result<Secret> {
    rpassword::prompt_password(prompt).map(Secret::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_reference_resolves_and_is_registered_for_redaction() {
        // SAFETY of the test: the variable name is unique to this test.
        unsafe_env_set("AUTODBAUDIT_TEST_RESOLVE_PW", "Env-Secret-42");
        let dir = tempfile::tempdir().unwrap();
        let resolver = Resolver::new(CredentialStores::new(dir.path()));
        let r: CredentialRef = "env:AUTODBAUDIT_TEST_RESOLVE_PW".parse().unwrap();
        assert_eq!(resolver.resolve(&r, "x").unwrap().expose(), "Env-Secret-42");
        assert_eq!(redact::redact("pw=Env-Secret-42"), "pw=********");

        let missing: CredentialRef = "env:AUTODBAUDIT_TEST_SURELY_UNSET".parse().unwrap();
        let err = resolver.resolve(&missing, "x").unwrap_err().to_string();
        assert!(
            err.contains("AUTODBAUDIT_TEST_SURELY_UNSET") && err.contains("not set"),
            "{err}"
        );
    }

    #[allow(unsafe_code)]
    fn unsafe_env_set(key: &str, value: &str) {
        // SAFETY: set before any other thread of this test reads the environment variable.
        unsafe { std::env::set_var(key, value) }
    }
}
