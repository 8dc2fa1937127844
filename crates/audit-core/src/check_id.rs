//! Check identifiers: `R01`–`R28` for the numbered requirements, `X01`–`X09` for the extra checks.

use std::fmt;
use std::str::FromStr;

/// Number of numbered requirements (`R01` … `R28`).
const REQUIREMENTS: u8 = 28;
/// Number of extra checks (`X01` … `X09`).
const EXTRAS: u8 = 9;

/// Identifies one check of the catalogue.
///
/// Configuration (exclusions, exceptions) and every output refer to checks by this id, so a typo
/// must be caught when the config is read, not silently match nothing at audit time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckId {
    /// A numbered security requirement, 1–28.
    Requirement(u8),
    /// An extra check beyond the numbered list, 1–9.
    Extra(u8),
}

/// Why a string is not a check id; the message says what a valid one looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{given}` is not a check id: expected R01–R28 or X01–X09 (two digits, e.g. \"R04\")")]
pub struct CheckIdError {
    given: String,
}

impl CheckId {
    /// Every check id, in catalogue order (R01 … R28, then X01 … X09).
    pub fn all() -> impl Iterator<Item = CheckId> {
        (1..=REQUIREMENTS)
            .map(CheckId::Requirement)
            .chain((1..=EXTRAS).map(CheckId::Extra))
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckId::Requirement(n) => write!(f, "R{n:02}"),
            CheckId::Extra(n) => write!(f, "X{n:02}"),
        }
    }
}

impl FromStr for CheckId {
    type Err = CheckIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || CheckIdError {
            given: s.to_owned(),
        };
        let mut chars = s.chars();
        let kind = chars.next().ok_or_else(err)?;
        let digits = chars.as_str();
        if digits.len() != 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let n: u8 = digits.parse().map_err(|_| err())?;
        match kind.to_ascii_uppercase() {
            'R' if (1..=REQUIREMENTS).contains(&n) => Ok(CheckId::Requirement(n)),
            'X' if (1..=EXTRAS).contains(&n) => Ok(CheckId::Extra(n)),
            _ => Err(err()),
        }
    }
}

/// Written as its text form (`"R04"`), as in every file the tool writes.
impl serde::Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for CheckId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<CheckId, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_id() {
        let all: Vec<_> = CheckId::all().collect();
        assert_eq!(all.len(), 37);
        for id in all {
            assert_eq!(id.to_string().parse::<CheckId>(), Ok(id));
        }
    }

    #[test]
    fn accepts_lower_case_and_rejects_out_of_range() {
        assert_eq!("r04".parse(), Ok(CheckId::Requirement(4)));
        for bad in [
            "", "R", "R4", "R00", "R29", "X10", "X00", "Q01", "R001", "R0a", "R٠١",
        ] {
            assert!(bad.parse::<CheckId>().is_err(), "{bad} should be rejected");
        }
    }
}
