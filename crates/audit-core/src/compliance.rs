//! The compliance summary: per framework (CIS, DISA STIG, Microsoft Vulnerability Assessment,
//! dbachecks, sp_Blitz), how its items stand on the audited instances. One item on one instance
//! is one *result*; its state comes from the findings of every check that maps to it
//! ([`ItemState::of`]), so the Cover sheet, `status`, `findings.json` and the checklists agree.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::checks::{Check, Framework, catalogue, selection};
use crate::{CheckId, Finding, Standing, Status, stig};

/// How one benchmark item stands on one instance, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    /// An open FAIL or WARN (drift included).
    Failed,
    /// An open REVIEW or UNKNOWN, or no check automates the item, or the instance was not
    /// reached: a person has to look.
    NotReviewed,
    /// Nothing open; a documented exception covers at least one finding.
    Excepted,
    /// Nothing open or excepted; an approved baseline covers at least one finding.
    Baselined,
    /// Every check of the item passed.
    Passed,
    /// No check of the item applies to this instance (version, edition, platform).
    NotApplicable,
    /// The profile or `--checks`/`--skip-checks` left every check of the item out.
    NotSelected,
}

/// One framework's counts over every (item, instance) result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FrameworkSummary {
    /// `CIS`, `DISA STIG`, `Microsoft VA`, `dbachecks`, `sp_Blitz`.
    pub framework: String,
    /// What the items are: the benchmarks and releases counted.
    pub scope: String,
    /// Distinct items.
    pub items: usize,
    /// Item × instance results counted below.
    pub results: usize,
    /// Results per state.
    pub passed: usize,
    /// …
    pub failed: usize,
    /// …
    pub excepted: usize,
    /// …
    pub baselined: usize,
    /// …
    pub not_reviewed: usize,
    /// …
    pub not_applicable: usize,
    /// …
    pub not_selected: usize,
    /// Instances not reached: their items are not counted.
    pub unreached: usize,
    /// DISA STIG only: open results by category, CAT I (high), CAT II (medium), CAT III (low).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_by_category: Option<[usize; 3]>,
}

/// One instance's results, as the summary reads them.
#[derive(Debug, Clone)]
pub struct InstanceResults<'a> {
    /// The server's major version; `None` when it was not reached (its items are not counted:
    /// [`FrameworkSummary::unreached`] says how many).
    pub major: Option<u16>,
    /// The checks the selection left out on it.
    pub not_selected: &'a [CheckId],
    /// Every finding with its standing.
    pub results: Vec<(&'a Finding, Standing)>,
}

impl ItemState {
    /// The state of one item on one instance from the findings of the checks that map to it
    /// (`results`), given whether any such check exists and how many of them the selection left
    /// out. An item with some of its checks left out can fail but never pass: it is not reviewed
    /// in full (the checklists say Not_Reviewed for it too).
    pub fn of(automated: bool, left_out: LeftOut, results: &[(&Finding, Standing)]) -> Self {
        if !automated {
            return ItemState::NotReviewed;
        }
        if left_out == LeftOut::All {
            return ItemState::NotSelected;
        }
        if results.is_empty() {
            return ItemState::NotReviewed;
        }
        let open = |statuses: &[Status]| {
            results
                .iter()
                .any(|(f, s)| s.is_open() && statuses.contains(&f.status))
        };
        if open(&[Status::Fail, Status::Warn]) {
            return ItemState::Failed;
        }
        if open(&[Status::Review, Status::Unknown]) || left_out == LeftOut::Some {
            return ItemState::NotReviewed;
        }
        if results.iter().any(|(_, s)| *s == Standing::Excepted) {
            return ItemState::Excepted;
        }
        if results.iter().any(|(_, s)| *s == Standing::Baselined) {
            return ItemState::Baselined;
        }
        if results.iter().all(|(f, _)| is_not_applicable(f)) {
            return ItemState::NotApplicable;
        }
        ItemState::Passed
    }

    /// As outputs name it.
    pub fn label(self) -> &'static str {
        match self {
            ItemState::Failed => "failed",
            ItemState::NotReviewed => "not reviewed",
            ItemState::Excepted => "excepted",
            ItemState::Baselined => "baselined",
            ItemState::Passed => "passed",
            ItemState::NotApplicable => "not applicable",
            ItemState::NotSelected => "not selected",
        }
    }
}

/// How many of an item's checks the selection left out on an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftOut {
    /// None: every check of the item was evaluated.
    None,
    /// Some, not all.
    Some,
    /// All of them.
    All,
}

/// The engine's "does not apply" finding (see [`crate::checks::evaluate_one`]).
pub fn is_not_applicable(finding: &Finding) -> bool {
    finding.status == Status::Info && finding.evidence.contains_key("not_applicable")
}

impl FrameworkSummary {
    fn count(&mut self, state: ItemState) {
        self.results += 1;
        *match state {
            ItemState::Failed => &mut self.failed,
            ItemState::NotReviewed => &mut self.not_reviewed,
            ItemState::Excepted => &mut self.excepted,
            ItemState::Baselined => &mut self.baselined,
            ItemState::Passed => &mut self.passed,
            ItemState::NotApplicable => &mut self.not_applicable,
            ItemState::NotSelected => &mut self.not_selected,
        } += 1;
    }
}

/// The compliance summary of `instances`, one line per framework.
pub fn summarize(instances: &[InstanceResults<'_>]) -> Vec<FrameworkSummary> {
    let mut tally = Tally::new();
    for instance in instances {
        tally.add(instance);
    }
    tally.finish()
}

/// One framework's items on one STIG family, each with its STIG category and the checks
/// mapped to it: worked out once, not per instance.
type ItemIndex = Vec<(String, Option<u8>, Vec<CheckId>)>;

/// The compliance summary built one instance at a time, so a large fleet's findings never
/// have to be in memory together.
#[derive(Debug)]
pub struct Tally {
    lines: Vec<Line>,
    unreached: usize,
    /// By framework position and whether the 2022 STIGs apply.
    index: std::collections::HashMap<(usize, bool), std::sync::Arc<ItemIndex>>,
}

/// One framework's running counts.
#[derive(Debug)]
struct Line {
    framework: Framework,
    summary: FrameworkSummary,
    items: BTreeSet<String>,
    scopes: BTreeSet<String>,
    categories: [usize; 3],
}

impl Default for Tally {
    fn default() -> Self {
        Tally::new()
    }
}

impl Tally {
    /// No instance yet.
    pub fn new() -> Tally {
        Tally {
            lines: Framework::ALL
                .into_iter()
                .map(|framework| Line {
                    framework,
                    summary: FrameworkSummary {
                        framework: framework_name(framework).to_owned(),
                        ..FrameworkSummary::default()
                    },
                    items: BTreeSet::new(),
                    scopes: BTreeSet::new(),
                    categories: [0; 3],
                })
                .collect(),
            unreached: 0,
            index: std::collections::HashMap::new(),
        }
    }

    /// Counts one instance's items.
    pub fn add(&mut self, instance: &InstanceResults<'_>) {
        let Some(major) = instance.major else {
            self.unreached += 1;
            return;
        };
        let mut by_check: std::collections::HashMap<CheckId, Vec<(&Finding, Standing)>> =
            std::collections::HashMap::new();
        for &(f, standing) in &instance.results {
            by_check.entry(f.check_id).or_default().push((f, standing));
        }
        let family = selection::uses_2022_stig(major);
        for (position, line) in self.lines.iter_mut().enumerate() {
            let index = self
                .index
                .entry((position, family))
                .or_insert_with(|| {
                    std::sync::Arc::new(item_index(line.framework, major, &mut line.scopes))
                })
                .clone();
            if line.framework == Framework::Stig {
                for benchmark in stig::benchmarks_for(major) {
                    line.scopes.insert(format!(
                        "{} ({})",
                        benchmark.title,
                        benchmark.release_label()
                    ));
                }
            }
            for (item, category, checks) in index.iter() {
                let out = checks
                    .iter()
                    .filter(|c| instance.not_selected.contains(c))
                    .count();
                let left_out = match out {
                    0 => LeftOut::None,
                    n if n == checks.len() => LeftOut::All,
                    _ => LeftOut::Some,
                };
                let results: Vec<(&Finding, Standing)> = checks
                    .iter()
                    .filter_map(|c| by_check.get(c))
                    .flatten()
                    .copied()
                    .collect();
                let state = ItemState::of(!checks.is_empty(), left_out, &results);
                line.summary.count(state);
                if state == ItemState::Failed
                    && let Some(cat) = category
                {
                    line.categories[usize::from((*cat).clamp(1, 3)) - 1] += 1;
                }
                if !line.items.contains(item) {
                    line.items.insert(item.clone());
                }
            }
        }
    }

    /// One line per framework.
    pub fn finish(self) -> Vec<FrameworkSummary> {
        let unreached = self.unreached;
        self.lines
            .into_iter()
            .map(|line| {
                let mut summary = line.summary;
                summary.unreached = unreached;
                summary.items = line.items.len();
                summary.scope = scope_text(line.framework, &line.scopes);
                if line.framework == Framework::Stig {
                    summary.open_by_category = Some(line.categories);
                }
                summary
            })
            .collect()
    }
}

/// Every item of `framework` on a server of major version `major` with the checks mapped to it.
fn item_index(framework: Framework, major: u16, scopes: &mut BTreeSet<String>) -> ItemIndex {
    framework_items(framework, major, scopes)
        .into_iter()
        .map(|(item, category)| {
            let checks = catalogue()
                .iter()
                .filter(|c| maps_to(c, framework, major, &item))
                .map(|c| c.id)
                .collect();
            (item, category, checks)
        })
        .collect()
}

/// The framework as the summary names it.
fn framework_name(framework: Framework) -> &'static str {
    match framework {
        Framework::Cis => "CIS",
        Framework::Stig => "DISA STIG",
        Framework::Va => "Microsoft VA",
        Framework::Dbachecks => "dbachecks",
        Framework::SpBlitz => "sp_Blitz",
    }
}

/// The items of `framework` on a server of major version `major`, each with its STIG category:
/// for the STIG every rule of the benchmarks that apply (rules no check automates included,
/// they are not reviewed); for the others every item the catalogue maps to.
fn framework_items(
    framework: Framework,
    major: u16,
    scopes: &mut BTreeSet<String>,
) -> Vec<(String, Option<u8>)> {
    if framework == Framework::Stig {
        let mut items = Vec::new();
        for benchmark in stig::benchmarks_for(major) {
            scopes.insert(format!(
                "{} ({})",
                benchmark.title,
                benchmark.release_label()
            ));
            items.extend(
                benchmark
                    .rules
                    .iter()
                    .map(|r| (r.version.clone(), Some(r.severity.category()))),
            );
        }
        return items;
    }
    let mut items: BTreeSet<String> = BTreeSet::new();
    for check in catalogue() {
        items.extend(check.references.labels_of(framework));
    }
    items.into_iter().map(|i| (i, None)).collect()
}

/// Whether `check` maps to `item` of `framework` on a server of major version `major`.
fn maps_to(check: &Check, framework: Framework, major: u16, item: &str) -> bool {
    if framework == Framework::Stig {
        return selection::stig_ids(check, major).contains(&item);
    }
    check
        .references
        .labels_of(framework)
        .iter()
        .any(|l| l == item)
}

/// What a framework's items are, for the summary's reader.
fn scope_text(framework: Framework, stig_benchmarks: &BTreeSet<String>) -> String {
    match framework {
        Framework::Stig if !stig_benchmarks.is_empty() => format!(
            "every rule of {}",
            stig_benchmarks
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Framework::Stig => "no instance reached".to_owned(),
        other => format!("the {} items the catalogue maps to", other.title()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::{RemediationCategory, Severity};

    fn finding(check: &str, status: Status, na: bool) -> Finding {
        Finding {
            check_id: check.parse().unwrap(),
            status,
            severity: Severity::Medium,
            entity_type: "instance".into(),
            entity: "db1".into(),
            entity_key: "instance:".into(),
            message: "m".into(),
            evidence: if na {
                BTreeMap::from([("not_applicable".to_owned(), "applies from 2016".to_owned())])
            } else {
                BTreeMap::new()
            },
            remediation_category: RemediationCategory::None,
            fix: None,
        }
    }

    #[test]
    fn an_item_is_as_bad_as_its_worst_open_result_and_never_passes_in_part() {
        let pass = finding("R04", Status::Pass, false);
        let fail = finding("R04", Status::Fail, false);
        let review = finding("R04", Status::Review, false);
        let na = finding("R04", Status::Info, true);
        let of = |left: LeftOut, r: &[(&Finding, Standing)]| ItemState::of(true, left, r);
        assert_eq!(
            of(LeftOut::None, &[(&pass, Standing::Compliant)]),
            ItemState::Passed
        );
        assert_eq!(
            of(
                LeftOut::None,
                &[(&pass, Standing::Compliant), (&fail, Standing::Drift)]
            ),
            ItemState::Failed
        );
        assert_eq!(
            of(LeftOut::None, &[(&fail, Standing::Excepted)]),
            ItemState::Excepted
        );
        assert_eq!(
            of(LeftOut::None, &[(&review, Standing::Baselined)]),
            ItemState::Baselined
        );
        assert_eq!(
            of(LeftOut::None, &[(&review, Standing::Open)]),
            ItemState::NotReviewed
        );
        assert_eq!(
            of(LeftOut::None, &[(&na, Standing::Compliant)]),
            ItemState::NotApplicable
        );
        // Some checks of the item left out: it can fail, never pass.
        assert_eq!(
            of(LeftOut::Some, &[(&pass, Standing::Compliant)]),
            ItemState::NotReviewed
        );
        assert_eq!(
            of(LeftOut::Some, &[(&na, Standing::Compliant)]),
            ItemState::NotReviewed
        );
        assert_eq!(
            of(LeftOut::Some, &[(&fail, Standing::Open)]),
            ItemState::Failed
        );
        assert_eq!(of(LeftOut::All, &[]), ItemState::NotSelected);
        assert_eq!(
            ItemState::of(false, LeftOut::None, &[]),
            ItemState::NotReviewed
        );
    }

    #[test]
    fn the_stig_counts_every_rule_of_the_benchmarks_that_apply() {
        let fail = finding("R04", Status::Fail, false);
        let results: Vec<(&Finding, Standing)> = vec![(&fail, Standing::Open)];
        let summary = summarize(&[
            InstanceResults {
                major: Some(16),
                not_selected: &[],
                results: results.clone(),
            },
            InstanceResults {
                major: None,
                not_selected: &[],
                results: Vec::new(),
            },
        ]);
        let stig = summary.iter().find(|s| s.framework == "DISA STIG").unwrap();
        let rules: usize = stig::benchmarks_for(16).iter().map(|b| b.rules.len()).sum();
        assert_eq!(stig.results, rules);
        assert_eq!(stig.unreached, 1);
        // R04 (the sa login) fails: each of its 2022 STIG rules is failed, by its category.
        let r04 = crate::checks::check("R04".parse().unwrap()).unwrap();
        assert_eq!(stig.failed, r04.references.stig_2022.len());
        let open: usize = stig.open_by_category.unwrap().iter().sum();
        assert_eq!(open, stig.failed);
        assert_eq!(
            stig.passed + stig.failed + stig.not_reviewed + stig.not_applicable,
            stig.results
        );
        assert!(stig.scope.contains("V1R4"), "{}", stig.scope);
    }
}
