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
    /// (`results`), given whether any such check exists and whether all were left out.
    pub fn of(automated: bool, all_not_selected: bool, results: &[(&Finding, Standing)]) -> Self {
        if !automated {
            return ItemState::NotReviewed;
        }
        if all_not_selected {
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
        if open(&[Status::Review, Status::Unknown]) {
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
    let unreached = instances.iter().filter(|i| i.major.is_none()).count();
    let mut out = Vec::new();
    for framework in Framework::ALL {
        let mut summary = FrameworkSummary {
            framework: framework_name(framework).to_owned(),
            unreached,
            ..FrameworkSummary::default()
        };
        let mut items: BTreeSet<String> = BTreeSet::new();
        let mut scopes: BTreeSet<String> = BTreeSet::new();
        let mut categories = [0usize; 3];
        for instance in instances {
            let Some(major) = instance.major else {
                continue;
            };
            for (item, category) in framework_items(framework, major, &mut scopes) {
                let checks: Vec<&Check> = catalogue()
                    .iter()
                    .copied()
                    .filter(|c| maps_to(c, framework, major, &item))
                    .collect();
                let all_not_selected = !checks.is_empty()
                    && checks.iter().all(|c| instance.not_selected.contains(&c.id));
                let results: Vec<(&Finding, Standing)> = instance
                    .results
                    .iter()
                    .filter(|(f, _)| checks.iter().any(|c| c.id == f.check_id))
                    .copied()
                    .collect();
                let state = ItemState::of(!checks.is_empty(), all_not_selected, &results);
                summary.count(state);
                if state == ItemState::Failed
                    && let Some(cat) = category
                {
                    categories[usize::from(cat.clamp(1, 3)) - 1] += 1;
                }
                items.insert(item);
            }
        }
        summary.items = items.len();
        summary.scope = scope_text(framework, &scopes);
        if framework == Framework::Stig {
            summary.open_by_category = Some(categories);
        }
        out.push(summary);
    }
    out
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
