//! The in-memory form of a password.

use std::fmt;
use zeroize::Zeroizing;

/// A password or other secret, wiped from memory when dropped.
///
/// `Debug` and `Display` are deliberately masked so that a secret formatted by mistake (in a log
/// line, an error, a panic message) shows `********` instead of its value. Read it only with
/// [`Secret::expose`], at the point where it is handed to a driver or a protected store.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a value read from a prompt, the environment or a store.
    pub fn new(value: String) -> Self {
        Secret(Zeroizing::new(value))
    }

    /// The secret itself; call only where the value must leave this type.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True for the empty string, which is never an acceptable password to store.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_reveals_the_value() {
        let s = Secret::new("hunter2-very-secret".into());
        assert!(!format!("{s:?} {s} {s:#?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2-very-secret");
    }
}
