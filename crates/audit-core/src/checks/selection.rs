//! Which checks a run evaluates: a profile (`all`, `cis`, `stig`, `va`) narrowed by explicit
//! `--checks` and `--skip-checks` lists. A check left out has no finding at all and is recorded
//! as not selected, never as passed. The STIG profile depends on the server's version (the 2016
//! STIGs cover SQL Server up to 2019, the 2022 STIGs 2022 and later), so selection is decided per
//! instance.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use super::{Check, catalogue};
use crate::CheckId;

/// A named set of checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// Every check (the default).
    #[default]
    All,
    /// Checks mapped to a CIS Microsoft SQL Server Benchmark item.
    Cis,
    /// Checks mapped to a rule of the DISA STIG that applies to the server's version.
    Stig,
    /// Checks mapped to a Microsoft SQL Vulnerability Assessment rule.
    Va,
}

impl Profile {
    /// Every profile, as `--profile` lists them.
    pub const ALL: [Profile; 4] = [Profile::All, Profile::Cis, Profile::Stig, Profile::Va];

    /// The name `--profile` and `audit_config.jsonc` take.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::All => "all",
            Profile::Cis => "cis",
            Profile::Stig => "stig",
            Profile::Va => "va",
        }
    }

    /// Whether the profile takes `check` on a server of major version `major`.
    pub fn includes(self, check: &Check, major: u16) -> bool {
        let r = &check.references;
        match self {
            Profile::All => true,
            Profile::Cis => !r.cis.is_empty(),
            Profile::Stig => !stig_ids(check, major).is_empty(),
            Profile::Va => !r.va.is_empty(),
        }
    }
}

/// The DISA STIG rule versions `check` maps to on a server of major version `major`: the 2016
/// Instance and Database STIGs up to SQL Server 2019 (major 15), the 2022 STIGs from 2022 on.
pub fn stig_ids(check: &Check, major: u16) -> &'static [&'static str] {
    if uses_2022_stig(major) {
        check.references.stig_2022
    } else {
        check.references.stig_2016
    }
}

/// The 2022 STIGs apply from SQL Server 2022 (major 16) on; earlier versions are assessed
/// against the 2016 STIGs, the latest DISA publishes for them.
pub fn uses_2022_stig(major: u16) -> bool {
    major >= 16
}

/// The STIG release family that applies to major version `major`, as outputs name it.
pub fn stig_family(major: u16) -> &'static str {
    if uses_2022_stig(major) {
        "MS SQL Server 2022 Instance and Database STIGs"
    } else {
        "MS SQL Server 2016 Instance and Database STIGs"
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Profile, String> {
        Profile::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "unknown profile `{s}`; the profiles are {}",
                    Profile::ALL.map(Profile::as_str).join(", ")
                )
            })
    }
}

/// A profile narrowed by explicit lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// The profile.
    pub profile: Profile,
    /// Only these checks (empty: every check of the profile).
    pub only: BTreeSet<CheckId>,
    /// Never these checks.
    pub skip: BTreeSet<CheckId>,
}

impl Selection {
    /// Every check.
    pub fn all() -> Selection {
        Selection::default()
    }

    /// Whether the run evaluates `check` on a server of major version `major`.
    pub fn includes(&self, check: &Check, major: u16) -> bool {
        self.profile.includes(check, major)
            && (self.only.is_empty() || self.only.contains(&check.id))
            && !self.skip.contains(&check.id)
    }

    /// The catalogue's checks left out on a server of major version `major`; for a server not
    /// reached (`None`), those left out whatever its version.
    pub fn not_selected(&self, major: Option<u16>) -> Vec<CheckId> {
        catalogue()
            .iter()
            .filter(|c| match major {
                Some(m) => !self.includes(c, m),
                None => !self.may_include(c),
            })
            .map(|c| c.id)
            .collect()
    }

    /// Whether `check` is selected on some version: what an unreached server is marked
    /// UNKNOWN for.
    pub fn may_include(&self, check: &Check) -> bool {
        self.includes(check, 15) || self.includes(check, 16)
    }

    /// Every check is selected.
    pub fn is_everything(&self) -> bool {
        self.profile == Profile::All && self.only.is_empty() && self.skip.is_empty()
    }

    /// As outputs name it: `stig`, `all, --skip-checks X01,X02`, `cis, --checks R04`.
    pub fn describe(&self) -> String {
        let mut out = self.profile.as_str().to_owned();
        let list = |ids: &BTreeSet<CheckId>| {
            ids.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        if !self.only.is_empty() {
            out.push_str(&format!(", --checks {}", list(&self.only)));
        }
        if !self.skip.is_empty() {
            out.push_str(&format!(", --skip-checks {}", list(&self.skip)));
        }
        out
    }
}

impl FromStr for Selection {
    type Err = String;

    /// Reads back what [`Selection::describe`] wrote (`stig, --checks R04,X01, --skip-checks X02`).
    fn from_str(text: &str) -> Result<Selection, String> {
        let mut parts = text.split(", --");
        let profile = parts.next().unwrap_or_default().parse()?;
        let mut selection = Selection {
            profile,
            ..Selection::default()
        };
        for part in parts {
            match part.split_once(' ') {
                Some(("checks", ids)) => selection.only = parse_ids(ids)?,
                Some(("skip-checks", ids)) => selection.skip = parse_ids(ids)?,
                _ => return Err(format!("`--{part}` is not part of a check selection")),
            }
        }
        Ok(selection)
    }
}

impl Selection {
    /// Checks named by `--checks` that the profile leaves out on every version: asking for them
    /// would silently evaluate nothing.
    pub fn outside_profile(&self) -> Vec<CheckId> {
        let profile_only = Selection {
            profile: self.profile,
            ..Selection::default()
        };
        self.only
            .iter()
            .copied()
            .filter(|id| super::check(*id).is_some_and(|c| !profile_only.may_include(c)))
            .collect()
    }
}

/// Parses a comma-separated list of check ids (`R04,x01`), naming the first that is not a
/// check id.
pub fn parse_ids(list: &str) -> Result<BTreeSet<CheckId>, String> {
    let mut ids = BTreeSet::new();
    for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let id: CheckId = word
            .parse()
            .map_err(|e| format!("`{word}` is not a check id ({e})"))?;
        if super::check(id).is_none() {
            return Err(format!(
                "there is no check {id}; `autodbaudit checks` lists them"
            ));
        }
        ids.insert(id);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> CheckId {
        s.parse().unwrap()
    }

    #[test]
    fn profiles_take_the_checks_mapped_to_their_framework() {
        for check in catalogue() {
            assert!(Profile::All.includes(check, 16));
            assert_eq!(
                Profile::Cis.includes(check, 16),
                !check.references.cis.is_empty()
            );
            assert_eq!(
                Profile::Va.includes(check, 13),
                !check.references.va.is_empty()
            );
            assert_eq!(
                Profile::Stig.includes(check, 15),
                !check.references.stig_2016.is_empty(),
                "{}",
                check.id
            );
            assert_eq!(
                Profile::Stig.includes(check, 16),
                !check.references.stig_2022.is_empty(),
                "{}",
                check.id
            );
        }
        let cis = catalogue()
            .iter()
            .filter(|c| Profile::Cis.includes(c, 16))
            .count();
        assert!(cis > 20 && cis < catalogue().len());
    }

    #[test]
    fn explicit_lists_narrow_the_profile() {
        let selection = Selection {
            profile: Profile::All,
            only: parse_ids("R04, x01").unwrap(),
            skip: parse_ids("X01").unwrap(),
        };
        let selected: Vec<_> = catalogue()
            .iter()
            .filter(|c| selection.includes(c, 16))
            .map(|c| c.id)
            .collect();
        assert_eq!(selected, vec![id("R04")]);
        assert_eq!(
            selection.not_selected(Some(16)).len(),
            catalogue().len() - 1
        );
        assert_eq!(
            selection.describe(),
            "all, --checks R04,X01, --skip-checks X01"
        );
        assert!(Selection::all().is_everything());
        assert_eq!(
            selection.describe().parse::<Selection>().unwrap(),
            selection
        );
        let stig: Selection = "stig".parse().unwrap();
        assert_eq!(stig.profile, Profile::Stig);
        assert!("stig, --colour red".parse::<Selection>().is_err());
        let outside = Selection {
            profile: Profile::Cis,
            only: parse_ids("R04,X56").unwrap(),
            skip: BTreeSet::new(),
        };
        // X56 (paths to sysadmin) is no CIS item.
        assert_eq!(outside.outside_profile(), vec![id("X56")]);
        assert!(Selection::all().not_selected(None).is_empty());
    }

    #[test]
    fn bad_lists_and_profiles_say_what_is_wrong() {
        assert!(
            parse_ids("R99")
                .unwrap_err()
                .contains("`R99` is not a check id")
        );
        assert!(
            parse_ids("hello")
                .unwrap_err()
                .contains("`hello` is not a check id")
        );
        assert!(
            "pci"
                .parse::<Profile>()
                .unwrap_err()
                .contains("all, cis, stig, va")
        );
        assert_eq!("STIG".parse::<Profile>().unwrap(), Profile::Stig);
    }
}
