//! Process-wide registry of secrets in use, so that log output can be scrubbed of them.
//!
//! Code never logs a secret on purpose, but an error message from a driver or the OS might echo
//! one back. Every secret this crate hands out is registered here; the log writers pass each line
//! through [`redact`] before it reaches a console or a file.

use std::borrow::Cow;
use std::sync::Mutex;
use zeroize::Zeroizing;

use crate::Secret;

/// What replaces a secret in redacted text.
pub const MASK: &str = "********";

/// Secrets shorter than this are not scrubbed: replacing every "ab" in a log would destroy it,
/// and such values are rejected as passwords by the stores anyway.
const MIN_REDACTED_LEN: usize = 4;

static REGISTERED: Mutex<Vec<Zeroizing<String>>> = Mutex::new(Vec::new());

/// Remembers `secret` so that [`redact`] removes it from any text written from now on.
pub fn register(secret: &Secret) {
    let value = secret.expose();
    if value.chars().count() < MIN_REDACTED_LEN {
        return;
    }
    let mut registered = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
    if !registered.iter().any(|s| s.as_str() == value) {
        registered.push(Zeroizing::new(value.to_owned()));
        // Longest first, so that a secret containing another is masked whole.
        registered.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// Returns `text` with every registered secret replaced by [`MASK`].
pub fn redact(text: &str) -> Cow<'_, str> {
    let registered = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Cow::Borrowed(text);
    for secret in registered.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), MASK));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_masked_longest_first() {
        register(&Secret::new("Sup3r-Secret".into()));
        register(&Secret::new("Sup3r".into()));
        register(&Secret::new("ab".into()));
        assert_eq!(
            redact("login failed for x with Sup3r-Secret and Sup3r, ab"),
            "login failed for x with ******** and ********, ab"
        );
        assert!(matches!(redact("nothing here"), Cow::Borrowed(_)));
    }
}
