//! Generated passwords: made here, kept in a per-instance secrets file protected like the
//! credentials (DPAPI for the current user on Windows; owner-only permissions elsewhere), and
//! put into a batch only when it is sent. Scripts hold bare `$(NAME)` placeholders, never
//! values, and only bare ones are replaced (see [`crate::script::placeholders`]).
//!
//! Each value is keyed by target and login ([`crate::plan::password_secret`]), and the file
//! says, for each, the target, the login and where it stands: in force (set by `apply`),
//! pending (in the current fix script, not applied yet), or retired (generated for an earlier
//! script and never applied by AutoDBAudit; kept in case that script was run by hand). A
//! value is never dropped: one in force may be the only record of a password.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use audit_credentials::{CredentialName, Secret};

/// Where a generated password stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// `apply` ran the batch that sets it: it is (or may be) the password on the server.
    InForce,
    /// The current fix script sets it; not applied by AutoDBAudit yet.
    Pending,
    /// Generated for an earlier fix script, no longer in the current one, never applied by
    /// AutoDBAudit (kept: that script may have been run by hand).
    Retired,
    /// From a file written before logins were recorded: which login it belongs to is unknown.
    Legacy,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::InForce => "in force",
            State::Pending => "pending",
            State::Retired => "retired",
            State::Legacy => "legacy",
        }
    }

    fn parse(text: &str) -> Option<State> {
        [
            State::InForce,
            State::Pending,
            State::Retired,
            State::Legacy,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A generated secret the fix script uses: its placeholder and the login it becomes the
/// password of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretUse {
    /// The placeholder name.
    pub name: String,
    /// The login.
    pub login: String,
}

/// One generated password and what it is for.
struct Entry {
    value: Secret,
    target: Option<String>,
    login: Option<String>,
    state: State,
}

/// Generated secrets by placeholder name.
#[derive(Default)]
pub struct Secrets(BTreeMap<String, Entry>);

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
        self.0.get(name).map(|e| &e.value)
    }

    /// The login `name` is the password of, when the file records it.
    pub fn login(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|e| e.login.as_deref())
    }

    /// Where `name` stands.
    pub fn state(&self, name: &str) -> Option<State> {
        self.0.get(name).map(|e| e.state)
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
        self.0.values().map(|e| &e.value)
    }

    /// Makes the secrets of target `target` those its new fix script `uses`: a value already
    /// held for a placeholder is kept (a password that may already be in force must not be
    /// replaced by generating again), a missing one is generated; both are pending unless
    /// already in force. Every other pending value becomes retired; nothing is dropped.
    pub fn prepare(&mut self, target: &str, uses: &[SecretUse]) -> Result<(), getrandom::Error> {
        for entry in self.0.values_mut() {
            if entry.state == State::Pending {
                entry.state = State::Retired;
            }
        }
        for u in uses {
            match self.0.get_mut(&u.name) {
                Some(entry) => {
                    entry.target = Some(target.to_owned());
                    entry.login = Some(u.login.clone());
                    if entry.state != State::InForce {
                        entry.state = State::Pending;
                    }
                }
                None => {
                    self.0.insert(
                        u.name.clone(),
                        Entry {
                            value: generate_password()?,
                            target: Some(target.to_owned()),
                            login: Some(u.login.clone()),
                            state: State::Pending,
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// Records that `apply` sent the batches using `names`: their values are in force.
    /// Returns whether anything changed.
    pub fn mark_in_force<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) -> bool {
        let mut changed = false;
        for name in names {
            if let Some(entry) = self.0.get_mut(name)
                && entry.state != State::InForce
            {
                entry.state = State::InForce;
                changed = true;
            }
        }
        changed
    }

    /// `sql` with each bare `$(NAME)` placeholder replaced by its value as an `N'…'` literal
    /// (quotes doubled). A `$(…)` inside a quoted name, a literal or a comment is text (a
    /// server's name may hold one) and stays as it is. A bare placeholder this file does not
    /// hold is an error naming it.
    pub fn substitute(&self, sql: &str) -> Result<String, String> {
        crate::script::replace_placeholders(sql, |name| match self.0.get(name) {
            Some(entry) => Ok(format!("N'{}'", entry.value.expose().replace('\'', "''"))),
            None => Err(format!(
                "the batch uses $({name}), which the secrets file does not hold; generate the scripts again"
            )),
        })
    }

    /// `text` with every secret value masked.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for value in self.values().filter(|v| !v.is_empty()) {
            out = out.replace(value.expose(), "********");
        }
        out
    }

    fn serialize(&self) -> Secret {
        let mut text = String::from(
            "# AutoDBAudit generated passwords. KEEP THIS FILE: a password \"in force\" may be the only\n\
             # record of a login's password. One entry per password: the placeholder the fix script\n\
             # uses, the target and the login (JSON strings), where it stands, and the password.\n\
             #   in force - set on the server by `autodbaudit remediate apply`\n\
             #   pending  - in the current fix.sql, not applied by AutoDBAudit yet\n\
             #   retired  - generated for an earlier fix.sql, never applied by AutoDBAudit; kept in\n\
             #              case that script was run by hand (delete it once you are sure)\n\
             #   legacy   - written by an earlier version, which did not record the login (see the\n\
             #              archived fix.sql in remediation/_archive for the login it was used for)\n",
        );
        let mut entries: Vec<(&String, &Entry)> = self.0.iter().collect();
        entries.sort_by_key(|(name, e)| (e.state, e.target.clone(), e.login.clone(), *name));
        for (name, e) in entries {
            let json = |v: &Option<String>| {
                v.as_ref().map_or_else(
                    || "null".to_owned(),
                    |v| serde_json::Value::from(v.as_str()).to_string(),
                )
            };
            text.push_str(&format!(
                "\n[{name}]\ntarget = {}\nlogin = {}\nstate = {}\npassword = ",
                json(&e.target),
                json(&e.login),
                e.state.as_str()
            ));
            text.push_str(e.value.expose());
            text.push('\n');
        }
        Secret::new(text)
    }

    fn parse(path: &Path, text: &str) -> Result<Secrets, SecretsError> {
        /// An entry being read: name, target, login, state.
        type Open = Option<(String, Option<String>, Option<String>, Option<State>)>;
        let damaged = |line: usize, what: &str| SecretsError {
            path: path.to_owned(),
            message: format!(
                "line {line}: {what}; the file was edited or damaged — restore it from a backup"
            ),
        };
        let mut out: BTreeMap<String, Entry> = BTreeMap::new();
        let mut current: Open = None;
        let finish = |current: &mut Open, out: &mut BTreeMap<String, Entry>, value: String| {
            if let Some((name, target, login, state)) = current.take() {
                out.insert(
                    name,
                    Entry {
                        value: Secret::new(value),
                        target,
                        login,
                        state: state.unwrap_or(State::Legacy),
                    },
                );
            }
        };
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                if current.is_some() {
                    return Err(damaged(n, "an entry without its password line"));
                }
                current = Some((name.to_owned(), None, None, None));
                continue;
            }
            let Some(entry) = current.as_mut() else {
                // The format before logins were recorded: NAME=value.
                let Some((name, value)) = line.split_once('=') else {
                    return Err(damaged(n, "expected [NAME] or NAME=value"));
                };
                out.insert(
                    name.trim().to_owned(),
                    Entry {
                        value: Secret::new(value.to_owned()),
                        target: None,
                        login: None,
                        state: State::Legacy,
                    },
                );
                continue;
            };
            let Some((key, value)) = line.split_once(" = ") else {
                return Err(damaged(n, "expected `key = value`"));
            };
            let json = |v: &str| -> Result<Option<String>, SecretsError> {
                serde_json::from_str::<Option<String>>(v)
                    .map_err(|_| damaged(n, "expected a JSON string or null"))
            };
            match key {
                "target" => entry.1 = json(value)?,
                "login" => entry.2 = json(value)?,
                "state" => {
                    entry.3 = Some(State::parse(value).ok_or_else(|| {
                        damaged(n, "expected a state: in force, pending, retired or legacy")
                    })?);
                }
                "password" => finish(&mut current, &mut out, value.to_owned()),
                _ => return Err(damaged(n, "unknown key")),
            }
        }
        if current.is_some() {
            return Err(damaged(
                text.lines().count(),
                "the last entry has no password line",
            ));
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
/// Replaces the file through a fresh temporary file created exclusively in the same folder
/// (never a predictable name a planted link could redirect).
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
    let folder = path.parent().unwrap_or(Path::new("."));
    // tempfile creates it with O_EXCL and, on Unix, mode 0600, named `.<file>.<random>.tmp`;
    // leftovers of that pattern from an apply killed mid-write are removed first (the workspace
    // lock means none is in use; a link is removed, never followed).
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    if let Ok(entries) = std::fs::read_dir(folder) {
        for entry in entries.filter_map(Result::ok) {
            let file = entry.file_name().to_string_lossy().into_owned();
            if file.starts_with(&prefix) && file.ends_with(".tmp") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let mut file = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(folder)
        .map_err(|e| error(format!("cannot create a temporary file beside it: {e}")))?;
    file.write_all(&bytes)
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| error(format!("cannot write it: {e}")))?;
    file.persist(path)
        .map_err(|e| error(format!("cannot replace it: {}", e.error)))?;
    Ok(())
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

    fn uses(list: &[(&str, &str)]) -> Vec<SecretUse> {
        list.iter()
            .map(|(name, login)| SecretUse {
                name: (*name).to_owned(),
                login: (*login).to_owned(),
            })
            .collect()
    }

    #[test]
    fn a_file_round_trips_owner_only_and_keeps_existing_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_in(dir.path());
        let mut s = Secrets::default();
        s.prepare("t1", &uses(&[("A", "alpha")])).unwrap();
        write(&path, &s).unwrap();
        let mut again = read(&path).unwrap();
        assert_eq!(
            again.get("A").unwrap().expose(),
            s.get("A").unwrap().expose()
        );
        assert_eq!(again.login("A"), Some("alpha"));
        assert_eq!(again.state("A"), Some(State::Pending));
        again
            .prepare("t1", &uses(&[("A", "alpha"), ("B", "o'brien] \"x\" = y")]))
            .unwrap();
        assert_eq!(
            again.get("A").unwrap().expose(),
            s.get("A").unwrap().expose()
        );
        assert!(again.get("B").is_some());
        write(&path, &again).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("login = \"o'brien] \\\"x\\\" = y\""),
            "{text}"
        );
        assert_eq!(read(&path).unwrap().login("B"), Some("o'brien] \"x\" = y"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let sql = again
            .substitute("ALTER LOGIN [x] WITH PASSWORD = $(A)")
            .unwrap();
        assert!(sql.contains(&format!("N'{}'", again.get("A").unwrap().expose())));
        assert_eq!(
            again.redact(&sql),
            "ALTER LOGIN [x] WITH PASSWORD = N'********'"
        );
    }

    #[test]
    fn only_bare_placeholders_are_substituted_and_unknown_ones_are_errors() {
        let mut s = Secrets::default();
        s.prepare("t1", &uses(&[("AUTODBAUDIT_SA_PASSWORD", "sa")]))
            .unwrap();
        let hostile = "IF SUSER_SNAME() = N'$(AUTODBAUDIT_SA_PASSWORD)' ALTER SERVER ROLE [sysadmin] DROP MEMBER [$(AUTODBAUDIT_SA_PASSWORD)]; -- $(AUTODBAUDIT_SA_PASSWORD)";
        assert_eq!(s.substitute(hostile).unwrap(), hostile);
        let e = s
            .substitute("ALTER LOGIN [x] WITH PASSWORD = $(ANYTHING)")
            .unwrap_err();
        assert!(e.contains("$(ANYTHING)"), "{e}");
    }

    #[test]
    fn pending_values_no_longer_used_are_retired_and_values_in_force_are_never_dropped() {
        let mut s = Secrets::default();
        s.prepare("t1", &uses(&[("A", "alpha"), ("B", "beta")]))
            .unwrap();
        assert!(s.mark_in_force(["A"]));
        let (a, b) = (
            s.get("A").unwrap().expose().to_owned(),
            s.get("B").unwrap().expose().to_owned(),
        );
        s.prepare("t1", &uses(&[("C", "gamma")])).unwrap();
        assert_eq!(s.state("A"), Some(State::InForce));
        assert_eq!(s.state("B"), Some(State::Retired));
        assert_eq!(s.state("C"), Some(State::Pending));
        s.prepare("t1", &uses(&[("B", "beta")])).unwrap();
        assert_eq!(
            s.get("B").unwrap().expose(),
            b,
            "a retired value comes back"
        );
        assert_eq!(s.state("B"), Some(State::Pending));
        assert_eq!(s.get("A").unwrap().expose(), a);
    }

    #[test]
    fn a_file_of_the_earlier_format_is_read_as_legacy_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_in(dir.path());
        std::fs::write(&path, "# old\nAUTODBAUDIT_PASSWORD_1=abc=def\n").unwrap();
        let mut s = read(&path).unwrap();
        assert_eq!(s.get("AUTODBAUDIT_PASSWORD_1").unwrap().expose(), "abc=def");
        assert_eq!(s.state("AUTODBAUDIT_PASSWORD_1"), Some(State::Legacy));
        s.prepare("t1", &[]).unwrap();
        write(&path, &s).unwrap();
        let again = read(&path).unwrap();
        assert_eq!(again.state("AUTODBAUDIT_PASSWORD_1"), Some(State::Legacy));
        std::fs::write(&path, "[X]\nlogin = nope\n").unwrap();
        assert!(read(&path).unwrap_err().message.contains("line 2"));
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_link_at_the_old_temporary_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep me").unwrap();
        let folder = dir.path().join("t1");
        std::fs::create_dir(&folder).unwrap();
        let path = file_in(&folder);
        std::os::unix::fs::symlink(&victim, path.with_extension("tmp")).unwrap();
        let mut s = Secrets::default();
        s.prepare("t1", &uses(&[("A", "alpha")])).unwrap();
        write(&path, &s).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        assert!(read(&path).unwrap().get("A").is_some());
    }
}
