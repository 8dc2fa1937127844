//! Check identifiers: stable strings that every file, config and output uses.
//!
//! The scheme: `R01`–`R28` are the numbered requirements of the original brief, `X01`–`X09`
//! the extra checks of the first catalogue; every check added later takes the next free
//! number of its letter's series (`X10`, `X11`, …, three digits after `X99`). An id is never
//! reused or renumbered: histories, exceptions and workbooks refer to it for years. The set of
//! valid ids is the catalogue itself ([`crate::checks::catalogue`]), so there is no range to
//! keep in step.

use std::fmt;
use std::str::FromStr;

/// Identifies one check of the catalogue.
///
/// Configuration (exclusions, exceptions) and every output refer to checks by this id, so a typo
/// must be caught when the config is read, not silently match nothing at audit time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CheckId(&'static str);

/// Why a string is not a check id; the message says what a valid one looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{given}` is not a check id: expected one of the catalogue's ids, R01–R28 or X01–{last_extra} \
     (a letter and two digits, e.g. \"R04\"; `autodbaudit checks` lists them)"
)]
pub struct CheckIdError {
    given: String,
    last_extra: &'static str,
}

impl CheckId {
    /// The id of a check as its file declares it. Only the catalogue calls this; everyone
    /// else parses (which checks the id exists).
    pub const fn new(id: &'static str) -> CheckId {
        CheckId(id)
    }

    /// Every check id, in catalogue order.
    pub fn all() -> impl Iterator<Item = CheckId> {
        crate::checks::catalogue().iter().map(|c| c.id)
    }

    /// The id as written (`R04`).
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl FromStr for CheckId {
    type Err = CheckIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CheckId::all()
            .find(|id| id.0.eq_ignore_ascii_case(s) && s.is_ascii())
            .ok_or_else(|| CheckIdError {
                given: s.to_owned(),
                last_extra: CheckId::all()
                    .filter(|id| id.0.starts_with('X'))
                    .last()
                    .map_or("X09", |id| id.0),
            })
    }
}

/// Written as its text form (`"R04"`), as in every file the tool writes.
impl serde::Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
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
        assert!(all.len() >= 37);
        for id in all {
            assert_eq!(id.to_string().parse::<CheckId>(), Ok(id));
        }
    }

    #[test]
    fn ids_follow_the_scheme_and_sort_in_catalogue_order() {
        let all: Vec<_> = CheckId::all().collect();
        let mut sorted = all.clone();
        sorted.sort();
        assert_eq!(all, sorted, "the catalogue is in id order");
        for id in all {
            let (letter, digits) = id.as_str().split_at(1);
            assert!(matches!(letter, "R" | "X"), "{id}");
            assert!(
                digits.len() == 2 && digits.bytes().all(|b| b.is_ascii_digit()),
                "{id}"
            );
        }
    }

    #[test]
    fn accepts_lower_case_and_rejects_unknown_ids() {
        assert_eq!("r04".parse(), Ok(CheckId::new("R04")));
        for bad in [
            "", "R", "R4", "R00", "R29", "X99", "X00", "Q01", "R001", "R0a", "R٠١", " R04",
        ] {
            let err = bad.parse::<CheckId>().unwrap_err();
            assert!(err.to_string().contains("autodbaudit checks"), "{err}");
        }
    }
}
