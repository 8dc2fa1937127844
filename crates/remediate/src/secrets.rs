//! Generated passwords: made here, kept in a per-instance secrets file protected like the
//! credentials (DPAPI for the current user on Windows; owner-only permissions elsewhere), and
//! put into a batch only when it is sent. Scripts hold `$(NAME)` placeholders, never values.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use audit_credentials::{CredentialName, Secret};

/// Secrets by placeholder name.
#[derive(Default)]
pub struct Secrets(BTreeMap<String, Secret>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// Why the secrets file cannot be written or read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SecretsError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong, and the fix.
    pub message: String,
}

/// Characters of generated passwords: no quote, bracket, `$` or parenthesis, so a password can
/// never end a literal or look like a variable, and nothing a keyboard layout hides.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%*+-=?@^_";

/// A new random password of 24 characters with upper, lower, digit and symbol (the Windows
/// password policy), from the operating system's CSPRNG.
pub fn generate_password() -> Result<Secret, getrandom::Error> {
    loop {
        let mut bytes = [0u8; 24];
        getrandom::fill(&mut bytes)?;
        // 256 is not a multiple of the alphabet's size: reject the biased top bytes.
        let limit = 256 - 256 % ALPHABET.len();
        if bytes.iter().any(|&b| usize::from(b) >= limit) {
            continue;
        }
        let password: String = bytes
            .iter()
            .map(|&b| char::from(ALPHABET[usize::from(b) % ALPHABET.len()]))
            .collect();
        let classes = [
            password.chars().any(|c| c.is_ascii_uppercase()),
            password.chars().any(|c| c.is_ascii_lowercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            password.chars().any(|c| !c.is_ascii_alphanumeric()),
        ];
        if classes.iter().all(|&c| c) {
            return Ok(Secret::new(password));
        }
    }
}

impl Secrets {
    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&Secret> {
        self.0.get(name)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Placeholder names held.
    pub fn names(&self) -> std::collections::BTreeSet<String> {
        self.0.keys().cloned().collect()
    }

    /// Every value, to keep them out of messages.
    pub fn values(&self) -> impl Iterator<Item = &Secret> {
        self.0.values()
    }

    /// Keeps the values already in `self` (a password that may already be in force must not
    /// be replaced by generating again) and generates the missing `names`.
    pub fn ensure(&mut self, names: &[String]) -> Result<(), getrandom::Error> {
        for name in names {
            if !self.0.contains_key(name) {
                self.0.insert(name.clone(), generate_password()?);
            }
        }
        Ok(())
    }

    /// `sql` with each `$(NAME)` of a held secret replaced by its value, quotes doubled (the
    /// placeholders sit inside `N'…'` literals).
    pub fn substitute(&self, sql: &str) -> String {
        let mut out = sql.to_owned();
        for (name, value) in &self.0 {
            out = out.replace(&format!("$({name})"), &value.expose().replace('\'', "''"));
        }
        out
    }

    /// `text` with every secret value masked.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for value in self.0.values().filter(|v| !v.is_empty()) {
            out = out.replace(value.expose(), "********");
        }
        out
    }

    fn serialize(&self) -> Secret {
        let mut text = String::from(
            "# AutoDBAudit generated secrets: one NAME=value per line. Keep this file; it holds\n# passwords now in force on the server.\n",
        );
        for (name, value) in &self.0 {
            text.push_str(name);
            text.push('=');
            text.push_str(value.expose());
            text.push('\n');
        }
        Secret::new(text)
    }

    fn parse(path: &Path, text: &str) -> Result<Secrets, SecretsError> {
        let mut out = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                return Err(SecretsError {
                    path: path.to_owned(),
                    message: format!(
                        "line {}: expected NAME=value; the file was edited or damaged — restore it from a backup",
                        i + 1
                    ),
                });
            };
            out.insert(name.trim().to_owned(), Secret::new(value.to_owned()));
        }
        Ok(Secrets(out))
    }
}

/// The file that protects the secrets: `secrets.dpapi` on Windows, `secrets.txt` elsewhere.
pub fn file_in(folder: &Path) -> PathBuf {
    folder.join(if cfg!(windows) {
        "secrets.dpapi"
    } else {
        "secrets.txt"
    })
}

fn label() -> CredentialName {
    "autodbaudit-remediation-secrets"
        .parse()
        .expect("a valid credential name")
}

/// Reads the secrets file at `path`; none when it does not exist.
pub fn read(path: &Path) -> Result<Secrets, SecretsError> {
    let error = |message: String| SecretsError {
        path: path.to_owned(),
        message,
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Secrets::default()),
        Err(e) => return Err(error(format!("cannot read it: {e}"))),
    };
    let text = if cfg!(windows) {
        audit_credentials::unprotect_for_user(&label(), &bytes).map_err(|e| error(e.to_string()))?
    } else {
        Secret::new(
            String::from_utf8(bytes)
                .map_err(|_| error("it is not UTF-8 text; restore it from a backup".to_owned()))?,
        )
    };
    Secrets::parse(path, text.expose())
}

/// Writes `secrets` to `path` so that only the current user can read them: a DPAPI blob on
/// Windows, a file with permissions 0600 elsewhere (created so, never widened afterwards).
/// Replaces the file through a temporary one.
pub fn write(path: &Path, secrets: &Secrets) -> Result<(), SecretsError> {
    let error = |message: String| SecretsError {
        path: path.to_owned(),
        message,
    };
    let text = secrets.serialize();
    let bytes = if cfg!(windows) {
        audit_credentials::protect_for_user(&label(), &text).map_err(|e| error(e.to_string()))?
    } else {
        text.expose().as_bytes().to_vec()
    };
    let temporary = path.with_extension("tmp");
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(&temporary)
        .map_err(|e| error(format!("cannot create it: {e}")))?;
    file.write_all(&bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| error(format!("cannot write it: {e}")))?;
    drop(file);
    std::fs::rename(&temporary, path).map_err(|e| error(format!("cannot replace it: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_strong_and_differ() {
        let a = generate_password().unwrap();
        let b = generate_password().unwrap();
        assert_eq!(a.expose().chars().count(), 24);
        assert_ne!(a.expose(), b.expose());
        assert!(!a.expose().contains(['\'', '[', ']', '$', '(', ')']));
    }

    #[test]
    fn a_file_round_trips_owner_only_and_keeps_existing_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_in(dir.path());
        let mut s = Secrets::default();
        s.ensure(&["A".into()]).unwrap();
        write(&path, &s).unwrap();
        let mut again = read(&path).unwrap();
        assert_eq!(
            again.get("A").unwrap().expose(),
            s.get("A").unwrap().expose()
        );
        again.ensure(&["A".into(), "B".into()]).unwrap();
        assert_eq!(
            again.get("A").unwrap().expose(),
            s.get("A").unwrap().expose()
        );
        assert!(again.get("B").is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            write(&path, &again).unwrap();
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let sql = again.substitute("ALTER LOGIN [x] WITH PASSWORD = N'$(A)'");
        assert!(sql.contains(again.get("A").unwrap().expose()));
        assert_eq!(
            again.redact(&sql),
            "ALTER LOGIN [x] WITH PASSWORD = N'********'"
        );
    }
}
