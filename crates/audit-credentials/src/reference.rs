//! The syntax of a credential reference, as written in `sql_targets.jsonc`.

use std::fmt;
use std::str::FromStr;

/// Where the password of a target comes from. The reference is safe to show; the secret is not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CredentialRef {
    /// An environment variable of the process running the audit (`env:SQL_PASSWORD`).
    Env(String),
    /// Asked on the terminal, without echo, when first needed (`prompt`).
    Prompt,
    /// A Windows DPAPI blob stored in the workspace's `credentials/` folder (`dpapi:NAME`).
    Dpapi(CredentialName),
    /// The OS keyring of the current user (`keyring:NAME`).
    Keyring(CredentialName),
}

/// The name under which a secret is stored (`dpapi:` and `keyring:` references).
///
/// Limited to a portable alphabet because it becomes a file name and a keyring entry name, and
/// kept in lower case because both are case-insensitive on Windows: `dpapi:Prod` and
/// `dpapi:prod` are one credential.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CredentialName(String);

/// Why a string is not a valid reference.
///
/// Messages never repeat the rejected value: a user who typed a password where a reference
/// belongs must not see it echoed into a terminal log or a CI transcript.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// The string is empty.
    #[error(
        "the credential reference is empty; expected env:NAME, prompt, dpapi:NAME or keyring:NAME"
    )]
    Empty,
    /// A known scheme with nothing after the colon.
    #[error("`{scheme}` needs a name after the colon, e.g. `{scheme}sqlprod01`")]
    MissingName {
        /// The scheme, with its colon.
        scheme: &'static str,
    },
    /// A scheme that looks like a typo of a known one.
    #[error("unknown credential scheme `{given}:`; did you mean `{suggestion}`?")]
    UnknownScheme {
        /// The scheme the user wrote (only shown when it is short and close to a known one).
        given: String,
        /// The closest known scheme.
        suggestion: &'static str,
    },
    /// Not a reference at all, possibly a password.
    #[error(
        "not a credential reference (the value is not shown in case it is a password); expected \
         env:NAME, prompt, dpapi:NAME or keyring:NAME — store the password with \
         `autodbaudit credentials add NAME` and write `keyring:NAME` (or `dpapi:NAME` on Windows)"
    )]
    NotAReference,
    /// The name part has characters that cannot be used.
    #[error("{what} must be 1–{max} characters: {alphabet}")]
    BadName {
        /// What kind of name this is.
        what: &'static str,
        /// The maximum length.
        max: usize,
        /// The allowed characters, described for a person.
        alphabet: &'static str,
    },
}

const NAME_MAX: usize = 64;
const ENV_MAX: usize = 128;

impl CredentialName {
    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CredentialName {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = !s.is_empty()
            && s.len() <= NAME_MAX
            && s.as_bytes()[0].is_ascii_alphanumeric()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok && !audit_core::is_reserved_windows_name(s) {
            Ok(CredentialName(s.to_ascii_lowercase()))
        } else {
            Err(ReferenceError::BadName {
                what: "a credential name",
                max: NAME_MAX,
                alphabet: "ASCII letters, digits, '.', '_' and '-', starting with a letter or digit, not a Windows device name (CON, NUL, COM1 …)",
            })
        }
    }
}

impl fmt::Display for CredentialName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn parse_env_name(s: &str) -> Result<String, ReferenceError> {
    let ok = !s.is_empty()
        && s.len() <= ENV_MAX
        && !s.as_bytes()[0].is_ascii_digit()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(ReferenceError::BadName {
            what: "an environment variable name",
            max: ENV_MAX,
            alphabet: "ASCII letters, digits and '_', not starting with a digit",
        })
    }
}

impl FromStr for CredentialRef {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if s == "prompt" {
            return Ok(CredentialRef::Prompt);
        }
        let Some((scheme, name)) = s.split_once(':') else {
            return Err(ReferenceError::NotAReference);
        };
        let known = |scheme: &'static str| {
            if name.is_empty() {
                Err(ReferenceError::MissingName { scheme })
            } else {
                Ok(())
            }
        };
        match scheme {
            "env" => known("env:").and_then(|()| parse_env_name(name).map(CredentialRef::Env)),
            "dpapi" => known("dpapi:").and_then(|()| name.parse().map(CredentialRef::Dpapi)),
            "keyring" => known("keyring:").and_then(|()| name.parse().map(CredentialRef::Keyring)),
            other => Err(suggest_scheme(other)),
        }
    }
}

/// Suggests a scheme only when the typo is short, alphabetic and close: anything else might be
/// part of a password and is not repeated.
fn suggest_scheme(given: &str) -> ReferenceError {
    let lower = given.to_ascii_lowercase();
    if given.len() <= 10 && given.bytes().all(|b| b.is_ascii_alphabetic()) {
        let best = ["env:", "dpapi:", "keyring:"]
            .into_iter()
            .map(|s| {
                (
                    strsim::damerau_levenshtein(&lower, s.trim_end_matches(':')),
                    s,
                )
            })
            .min_by_key(|(d, _)| *d);
        if let Some((distance, suggestion)) = best
            && distance <= 2
        {
            return ReferenceError::UnknownScheme {
                given: given.to_owned(),
                suggestion,
            };
        }
    }
    ReferenceError::NotAReference
}

impl fmt::Display for CredentialRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialRef::Env(name) => write!(f, "env:{name}"),
            CredentialRef::Prompt => f.write_str("prompt"),
            CredentialRef::Dpapi(name) => write!(f, "dpapi:{name}"),
            CredentialRef::Keyring(name) => write!(f, "keyring:{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_scheme_and_round_trips() {
        for s in [
            "env:SQL_PW",
            "prompt",
            "dpapi:sqlprod01",
            "keyring:prod.sa-1",
        ] {
            assert_eq!(s.parse::<CredentialRef>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn rejects_without_echoing_the_value() {
        let cases = [
            ("", ReferenceError::Empty),
            ("env:", ReferenceError::MissingName { scheme: "env:" }),
            ("Winter2026!", ReferenceError::NotAReference),
            ("P@ss:word", ReferenceError::NotAReference),
        ];
        for (input, expected) in cases {
            let err = input.parse::<CredentialRef>().unwrap_err();
            assert_eq!(err, expected.clone(), "{input}");
            if expected == ReferenceError::NotAReference {
                assert!(!err.to_string().contains(input), "{err} echoes {input}");
            }
        }
        assert!(matches!(
            "keyrng:x".parse::<CredentialRef>(),
            Err(ReferenceError::UnknownScheme {
                suggestion: "keyring:",
                ..
            })
        ));
        assert!(matches!(
            "env:1ABC".parse::<CredentialRef>(),
            Err(ReferenceError::BadName { .. })
        ));
        assert!(matches!(
            "dpapi:a b".parse::<CredentialRef>(),
            Err(ReferenceError::BadName { .. })
        ));
        assert!(matches!(
            "keyring:-x".parse::<CredentialRef>(),
            Err(ReferenceError::BadName { .. })
        ));
    }
}
