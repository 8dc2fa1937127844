//! Facts about SQL Server releases that change after AutoDBAudit is released: the latest public
//! build of each release (R03) and Microsoft's support end dates (R02).
//!
//! They live in a data file, `crates/audit-core/data/builds.json`, embedded in the executable
//! and shipped in the Field Kit (`data/builds.json`), so that an auditor in a closed network
//! can bring them up to date without a new executable: a copy in the workspace's
//! `config/builds.json`, or a file named with `--builds`, replaces the embedded one (read by
//! `audit_config::builds`). This module holds the shape, its validation and the embedded copy.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::{BuildNumber, RELEASES, Release};

/// The embedded file's text, as shipped.
pub const EMBEDDED_TEXT: &str = include_str!("../data/builds.json");

/// The only layout of the file this version reads; a future layout gets a new number so that an
/// older executable refuses it instead of misreading it.
pub const FORMAT: u32 = 1;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildData {
    /// Layout version: [`FORMAT`].
    pub format: u32,
    /// The date the data was last checked against Microsoft's pages (`YYYY-MM-DD`): shown with
    /// every R02/R03 finding so that a reader knows how fresh the comparison was.
    pub as_of: String,
    /// What the file is, for the person who opens it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub about: String,
    /// One entry per release the tool audits.
    pub releases: Vec<ReleaseData>,
}

/// What is known about one release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseData {
    /// The release's name as [`crate::RELEASES`] spells it (`2008 R2`, `2019`).
    pub release: String,
    /// The latest public build of the branch Microsoft recommends (the CU branch where there is
    /// one); R03 WARNs below it.
    pub latest_build: BuildNumber,
    /// Which update that build is (CU, KB, date), for the finding and the docs.
    pub latest_update: String,
    /// End of mainstream support (`YYYY-MM-DD`): only security fixes afterwards.
    pub mainstream_end: String,
    /// End of extended support (`YYYY-MM-DD`): no security fixes afterwards, unless the
    /// organisation buys Extended Security Updates.
    pub extended_end: String,
    /// End of the paid Extended Security Updates, where Microsoft offers them (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esu_end: Option<String>,
    /// Where the dates come from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

impl BuildData {
    /// The data compiled into this executable.
    pub fn embedded() -> &'static BuildData {
        static DATA: LazyLock<BuildData> = LazyLock::new(|| {
            let data: BuildData = serde_json::from_str(EMBEDDED_TEXT)
                .expect("data/builds.json is valid JSON of the build data's shape (tested)");
            data.validate()
                .expect("data/builds.json passes its own validation (tested)");
            data
        });
        &DATA
    }

    /// The entry of a release, by name (case-insensitive).
    pub fn release(&self, name: &str) -> Option<&ReleaseData> {
        self.releases
            .iter()
            .find(|r| r.release.eq_ignore_ascii_case(name.trim()))
    }

    /// Every problem that would make a judgement wrong, each naming the entry and the field:
    /// an unknown format, a release the tool does not know or listed twice, a release
    /// missing, a build of another release, a date that is not a date, or dates out of order.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if self.format != FORMAT {
            problems.push(format!(
                "format: {} is not a layout this version reads (it reads {FORMAT}); use the file shipped with this executable as the model",
                self.format
            ));
        }
        if !is_date(&self.as_of) {
            problems.push(format!("as_of: `{}` is not a date YYYY-MM-DD", self.as_of));
        }
        for (i, entry) in self.releases.iter().enumerate() {
            let at = format!("releases[{i}] ({})", entry.release);
            match Release::by_name(&entry.release) {
                None => problems.push(format!(
                    "{at}.release: not a release this tool knows ({})",
                    RELEASES.map(|r| r.name).join(", ")
                )),
                Some(release) => {
                    if Release::of_build(entry.latest_build) != Some(release) {
                        problems.push(format!(
                            "{at}.latest_build: {} is not a build of SQL Server {}",
                            entry.latest_build, release.name
                        ));
                    }
                    if self.releases[..i]
                        .iter()
                        .any(|r| r.release.eq_ignore_ascii_case(release.name))
                    {
                        problems.push(format!("{at}.release: listed twice"));
                    }
                }
            }
            let dates = [
                ("mainstream_end", Some(&entry.mainstream_end)),
                ("extended_end", Some(&entry.extended_end)),
                ("esu_end", entry.esu_end.as_ref()),
            ];
            for (field, value) in dates {
                if let Some(value) = value.filter(|v| !is_date(v)) {
                    problems.push(format!("{at}.{field}: `{value}` is not a date YYYY-MM-DD"));
                }
            }
            if entry.mainstream_end > entry.extended_end {
                problems.push(format!(
                    "{at}: mainstream_end {} is after extended_end {}",
                    entry.mainstream_end, entry.extended_end
                ));
            }
            if let Some(esu) = entry.esu_end.as_ref().filter(|e| **e < entry.extended_end) {
                problems.push(format!(
                    "{at}: esu_end {esu} is before extended_end {}",
                    entry.extended_end
                ));
            }
        }
        for release in RELEASES {
            if self.release(release.name).is_none() {
                problems.push(format!(
                    "releases: SQL Server {} is missing (every release the tool audits needs an entry)",
                    release.name
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// `YYYY-MM-DD` with a real month and day; the comparisons above and in R02 order such text
/// correctly as strings.
pub fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let month: u32 = text[5..7].parse().unwrap_or(0);
    let day: u32 = text[8..10].parse().unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_file_is_valid_and_covers_every_release_with_one_of_its_builds() {
        let data = BuildData::embedded();
        assert_eq!(data.validate(), Ok(()));
        assert_eq!(data.releases.len(), RELEASES.len());
        for (release, entry) in RELEASES.iter().zip(&data.releases) {
            assert_eq!(release.name, entry.release);
            assert_eq!(Release::of_build(entry.latest_build), Some(*release));
        }
        // Microsoft's published end of extended support for two releases, spot-checked.
        assert_eq!(data.release("2016").unwrap().extended_end, "2026-07-14");
        assert_eq!(data.release("2017").unwrap().extended_end, "2027-10-12");
    }

    #[test]
    fn every_problem_is_named_with_its_place() {
        let mut data = BuildData::embedded().clone();
        data.format = 2;
        data.releases[0].latest_build = BuildNumber::new(15, 0, 1, 0);
        data.releases[1].extended_end = "2019-13-01".into();
        data.releases[2].esu_end = Some("2020-01-01".into());
        data.releases[3].release = "2019".into();
        data.releases.pop();
        let problems = data.validate().unwrap_err().join("\n");
        for expected in [
            "format: 2 is not a layout",
            "releases[0] (2008).latest_build: 15.0.1.0 is not a build of SQL Server 2008",
            "releases[1] (2008 R2).extended_end: `2019-13-01` is not a date",
            "releases[2] (2012): esu_end 2020-01-01 is before extended_end",
            "releases[6] (2019).release: listed twice",
            "SQL Server 2014 is missing",
            "SQL Server 2025 is missing",
        ] {
            assert!(problems.contains(expected), "{expected}\nin:\n{problems}");
        }
    }

    #[test]
    fn dates_are_checked_for_shape_month_and_day() {
        assert!(is_date("2026-07-14"));
        for bad in [
            "2026-7-14",
            "2026-00-10",
            "2026-12-32",
            "20260714",
            "2026-07-14 ",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }
}
