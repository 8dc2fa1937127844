//! SQL Server releases and build numbers.

use std::fmt;
use std::str::FromStr;

/// A SQL Server release as people name it ("2008 R2", "2019") and as the server reports it
/// (major and minor version: 10.50, 15.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Release {
    /// The marketing name, also the key of the `expected_builds` config table.
    pub name: &'static str,
    /// `SERVERPROPERTY('ProductMajorVersion')`.
    pub major: u16,
    /// The minor version; only 2008 R2 (10.50) differs from 0.
    pub minor: u16,
}

/// Every release the tool audits, oldest first. 2008 and 2008 R2 share major version 10.
pub const RELEASES: [Release; 9] = [
    Release {
        name: "2008",
        major: 10,
        minor: 0,
    },
    Release {
        name: "2008 R2",
        major: 10,
        minor: 50,
    },
    Release {
        name: "2012",
        major: 11,
        minor: 0,
    },
    Release {
        name: "2014",
        major: 12,
        minor: 0,
    },
    Release {
        name: "2016",
        major: 13,
        minor: 0,
    },
    Release {
        name: "2017",
        major: 14,
        minor: 0,
    },
    Release {
        name: "2019",
        major: 15,
        minor: 0,
    },
    Release {
        name: "2022",
        major: 16,
        minor: 0,
    },
    Release {
        name: "2025",
        major: 17,
        minor: 0,
    },
];

impl BuildNumber {
    /// A build from its four parts (usable in constants).
    pub const fn new(major: u16, minor: u16, build: u16, revision: u16) -> BuildNumber {
        BuildNumber {
            major,
            minor,
            build,
            revision,
        }
    }
}

impl Release {
    /// The release with this name ("2008 R2"), ignoring case and surrounding spaces.
    pub fn by_name(name: &str) -> Option<Release> {
        let wanted = name.trim();
        RELEASES
            .into_iter()
            .find(|r| r.name.eq_ignore_ascii_case(wanted))
    }

    /// The release a person or a script names: a release name with or without its space
    /// (`2019`, `2008 R2`, `2008R2`), a major version (`16`; `10` is ambiguous), a version
    /// (`10.50`, `15.0`) or a build number (`15.0.4430.1`).
    pub fn parse(text: &str) -> Result<Release, ReleaseError> {
        let wanted = text.trim();
        let squeezed: String = wanted.split_whitespace().collect();
        if let Some(release) = RELEASES.into_iter().find(|r| {
            r.name
                .split_whitespace()
                .collect::<String>()
                .eq_ignore_ascii_case(&squeezed)
        }) {
            return Ok(release);
        }
        let error = || ReleaseError(wanted.to_owned());
        let numbers: Vec<u16> = wanted
            .split('.')
            .map(|p| {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    Err(error())
                } else {
                    p.parse().map_err(|_| error())
                }
            })
            .collect::<Result<_, _>>()?;
        let found = match numbers[..] {
            // 10 alone is both 2008 (10.0) and 2008 R2 (10.50).
            [10] => None,
            [major] => RELEASES.into_iter().find(|r| r.major == major),
            [major, minor] => RELEASES
                .into_iter()
                .find(|r| r.major == major && r.minor == minor),
            [major, minor, build, revision] => Release::of_build(BuildNumber {
                major,
                minor,
                build,
                revision,
            })
            .filter(|r| r.minor == minor),
            _ => None,
        };
        found.ok_or_else(error)
    }

    /// The release a build belongs to, if it is one the tool knows.
    pub fn of_build(build: BuildNumber) -> Option<Release> {
        RELEASES.into_iter().find(|r| {
            r.major == build.major
                && (r.minor == build.minor || (r.major != 10 && build.minor == 0))
        })
    }
}

/// Why text names no release the tool knows; the message lists what it accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a SQL Server version this tool knows: give a release (2008, 2008 R2, 2012, \
     2014, 2016, 2017, 2019, 2022, 2025), a major version (11 to 17; 10 is both 2008 and \
     2008 R2, so say 2008 or 2008R2) or a build number such as 15.0.4430.1"
)]
pub struct ReleaseError(pub String);

/// A four-part build number such as 15.0.4415.2, compared numerically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BuildNumber {
    /// Major version (15 for 2019).
    pub major: u16,
    /// Minor version (50 for 2008 R2, else 0).
    pub minor: u16,
    /// Build: what service packs and cumulative updates raise.
    pub build: u16,
    /// Revision.
    pub revision: u16,
}

/// Why text is not a build number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a build number of four parts such as 15.0.4415.2")]
pub struct BuildNumberError;

impl FromStr for BuildNumber {
    type Err = BuildNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<u16> = s
            .trim()
            .split('.')
            .map(|p| {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    Err(BuildNumberError)
                } else {
                    p.parse().map_err(|_| BuildNumberError)
                }
            })
            .collect::<Result<_, _>>()?;
        match parts[..] {
            [major, minor, build, revision] => Ok(BuildNumber {
                major,
                minor,
                build,
                revision,
            }),
            _ => Err(BuildNumberError),
        }
    }
}

impl fmt::Display for BuildNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}.{}",
            self.major, self.minor, self.build, self.revision
        )
    }
}

/// Written as its text form (`"15.0.2000.5"`).
impl serde::Serialize for BuildNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for BuildNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<BuildNumber, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_parse_compare_and_map_to_releases() {
        let a: BuildNumber = "15.0.4415.2".parse().unwrap();
        let b: BuildNumber = "15.0.4430.1".parse().unwrap();
        assert!(a < b);
        assert_eq!(a.to_string(), "15.0.4415.2");
        assert_eq!(Release::of_build(a).unwrap().name, "2019");
        assert_eq!(
            Release::of_build("10.50.6000.34".parse().unwrap())
                .unwrap()
                .name,
            "2008 R2"
        );
        assert_eq!(
            Release::of_build("10.0.6556.0".parse().unwrap())
                .unwrap()
                .name,
            "2008"
        );
        for bad in [
            "15.0.4415",
            "15.0.x.2",
            "",
            "1.2.3.4.5",
            "15..1.2",
            "99999.0.0.0",
        ] {
            assert!(bad.parse::<BuildNumber>().is_err(), "{bad}");
        }
        assert_eq!(Release::by_name(" 2008 r2 ").unwrap().minor, 50);
        assert!(Release::by_name("2005").is_none());
    }

    #[test]
    fn releases_parse_from_names_majors_versions_and_builds() {
        let name = |t: &str| Release::parse(t).map(|r| r.name);
        assert_eq!(name("2008R2"), Ok("2008 R2"));
        assert_eq!(name("2008 r2"), Ok("2008 R2"));
        assert_eq!(name(" 2019 "), Ok("2019"));
        assert_eq!(name("16"), Ok("2022"));
        assert_eq!(name("10.50"), Ok("2008 R2"));
        assert_eq!(name("10.0"), Ok("2008"));
        assert_eq!(name("15.0.4430.1"), Ok("2019"));
        assert_eq!(name("10.50.6000.34"), Ok("2008 R2"));
        assert_eq!(name("2008"), Ok("2008"));
        for bad in [
            "10",
            "2005",
            "9",
            "18",
            "15.0.4430",
            "15.1.4430.1",
            "",
            "SQL 2019",
            "2019x",
        ] {
            let e = Release::parse(bad).unwrap_err();
            assert!(e.to_string().contains("2008 R2"), "{bad}: {e}");
        }
    }
}
