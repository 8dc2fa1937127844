//! How one check stands on one instance, decided once for the formats that show a verdict per
//! check (JUnit's test cases, the HTML report's tables), plus the small text helpers the
//! writers share (timestamps, evidence, references), so two formats never word or count the
//! same thing differently.

use std::collections::BTreeMap;

use audit_core::checks::{Check, catalogue};
use audit_core::{Standing, Status};

use crate::{Instance, ResultRow};

/// A check's verdict on one instance, from the most to the least pressing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The instance was not reached: nothing was evaluated.
    NotReached,
    /// The profile or `--checks`/`--skip-checks` left the check out.
    NotSelected,
    /// An open (or drifted) FAIL or WARN.
    Failed,
    /// No open FAIL/WARN, but an open REVIEW: a person must look and justify.
    Review,
    /// No open FAIL/WARN/REVIEW, but an open UNKNOWN: it could not be evaluated in full.
    Unknown,
    /// Non-passing findings, every one covered by an exception or a baseline.
    Covered,
    /// The check does not apply to this instance (version, edition, platform).
    NotApplicable,
    /// Every finding passed (or is inventory).
    Passed,
    /// Reached and selected, yet no finding: nothing to say either way.
    NoResult,
}

/// One check on one instance: its findings and its verdict.
#[derive(Debug)]
pub(crate) struct CheckOnInstance<'a> {
    /// The check's metadata.
    pub check: &'static Check,
    /// Its findings on the instance, in the report's order.
    pub rows: Vec<&'a ResultRow>,
    /// What they add up to.
    pub verdict: Verdict,
}

impl<'a> CheckOnInstance<'a> {
    /// The findings someone has to act on, in order: open FAIL/WARN first, then open REVIEW,
    /// then open UNKNOWN, so the first is the one a one-line summary should quote.
    pub fn open_rows(&self) -> Vec<&'a ResultRow> {
        let mut open: Vec<&ResultRow> = self
            .rows
            .iter()
            .copied()
            .filter(|r| r.standing.is_open())
            .collect();
        open.sort_by_key(|r| std::cmp::Reverse(open_rank(r.finding.status)));
        open
    }

    /// Every non-passing finding (open or not), in the report's order.
    pub fn non_passing(&self) -> Vec<&'a ResultRow> {
        self.rows
            .iter()
            .copied()
            .filter(|r| is_non_passing(r.finding.status))
            .collect()
    }

    /// Why the check does not apply, from the engine's INFO finding.
    pub fn not_applicable_reason(&self) -> Option<&'a str> {
        self.rows
            .iter()
            .find_map(|r| r.finding.evidence.get("not_applicable"))
            .map(String::as_str)
    }
}

/// FAIL and WARN outrank REVIEW, which outranks UNKNOWN, for what is quoted first.
fn open_rank(status: Status) -> u8 {
    match status {
        Status::Fail | Status::Warn => 3,
        Status::Review => 2,
        Status::Unknown => 1,
        Status::Pass | Status::Info => 0,
    }
}

/// Every check of the catalogue on `instance`, in catalogue order.
pub(crate) fn per_check(instance: &Instance) -> Vec<CheckOnInstance<'_>> {
    catalogue()
        .iter()
        .map(|check| {
            let rows: Vec<&ResultRow> = instance
                .results
                .iter()
                .filter(|r| r.finding.check_id == check.id)
                .collect();
            let verdict = verdict(instance, check, &rows);
            CheckOnInstance {
                check,
                rows,
                verdict,
            }
        })
        .collect()
}

fn verdict(instance: &Instance, check: &Check, rows: &[&ResultRow]) -> Verdict {
    // An unreached instance has one UNKNOWN per selected check ("not evaluated"): not reached.
    if !instance.reached {
        return if instance.not_selected.contains(&check.id) {
            Verdict::NotSelected
        } else {
            Verdict::NotReached
        };
    }
    if instance.not_selected.contains(&check.id) && rows.is_empty() {
        return Verdict::NotSelected;
    }
    let open = |wanted: &[Status]| {
        rows.iter()
            .any(|r| r.standing.is_open() && wanted.contains(&r.finding.status))
    };
    if open(&[Status::Fail, Status::Warn]) {
        Verdict::Failed
    } else if open(&[Status::Review]) {
        Verdict::Review
    } else if open(&[Status::Unknown]) {
        Verdict::Unknown
    } else if rows
        .iter()
        .any(|r| matches!(r.standing, Standing::Excepted | Standing::Baselined))
    {
        Verdict::Covered
    } else if !rows.is_empty()
        && rows.iter().all(|r| {
            r.finding.status == Status::Info && r.finding.evidence.contains_key("not_applicable")
        })
    {
        Verdict::NotApplicable
    } else if rows.is_empty() {
        Verdict::NoResult
    } else {
        Verdict::Passed
    }
}

/// FAIL, WARN, REVIEW and UNKNOWN: the statuses a person may have to act on.
pub(crate) fn is_non_passing(status: Status) -> bool {
    !matches!(status, Status::Pass | Status::Info)
}

/// `YYYY-MM-DD HH:MM:SS` (the history's UTC time) as ISO 8601 with the zone,
/// `YYYY-MM-DDTHH:MM:SSZ`; none when the text has another shape (an unfinished run).
pub(crate) fn iso_utc(time: &str) -> Option<String> {
    let local = iso_local(time)?;
    Some(format!("{local}Z"))
}

/// The same without the zone designator (`YYYY-MM-DDTHH:MM:SS`), as JUnit's `timestamp`
/// attribute takes it.
pub(crate) fn iso_local(time: &str) -> Option<String> {
    let b = time.trim().as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    let shaped = b.len() == 19
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && (b[10] == b' ' || b[10] == b'T')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    shaped.then(|| format!("{}T{}", &time.trim()[..10], &time.trim()[11..]))
}

/// Evidence as one line: `key=value; key=value`, in key order.
pub(crate) fn evidence_line(evidence: &BTreeMap<String, String>) -> String {
    evidence
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The check's benchmark references as one line (`CIS SQL Server 2019/2022 2.2; STIG …`).
pub(crate) fn references_line(check: &Check) -> String {
    check.references.labels().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_times_become_iso_8601_and_other_shapes_are_left_out() {
        assert_eq!(
            iso_utc("2025-03-14 09:30:00").as_deref(),
            Some("2025-03-14T09:30:00Z")
        );
        assert_eq!(
            iso_local("2025-03-14T09:30:00").as_deref(),
            Some("2025-03-14T09:30:00")
        );
        assert_eq!(iso_utc(""), None);
        assert_eq!(iso_utc("2025-03-14"), None);
        assert_eq!(iso_utc("2025-03-14 9:30:00"), None);
    }

    #[test]
    fn an_unreached_instance_is_not_reached_for_every_check_despite_its_unknowns() {
        use audit_core::{Finding, RemediationCategory, Severity};
        // As the audit records an unreached target: one UNKNOWN per selected check.
        let check = catalogue()[0];
        let finding = Finding {
            check_id: check.id,
            status: Status::Unknown,
            severity: Severity::Info,
            entity_type: "instance".into(),
            entity: "db1".into(),
            entity_key: "instance:".into(),
            message: "not evaluated: connection refused".into(),
            evidence: BTreeMap::new(),
            remediation_category: RemediationCategory::None,
            fix: None,
        };
        let instance = Instance {
            target_id: "db1".into(),
            server: "db1".into(),
            instance: None,
            port: None,
            label: "db1".into(),
            host_name: None,
            fqdn: None,
            ip_address: None,
            version: None,
            major: None,
            edition: None,
            reached: false,
            reason: Some("connection refused".into()),
            not_selected: vec![catalogue()[1].id],
            results: vec![ResultRow {
                fingerprint: crate::fingerprint("db1", &finding),
                finding,
                standing: Standing::Open,
                drift: None,
                note: None,
            }],
        };
        let verdicts: Vec<Verdict> = per_check(&instance).iter().map(|c| c.verdict).collect();
        assert_eq!(verdicts[0], Verdict::NotReached);
        assert_eq!(verdicts[1], Verdict::NotSelected);
        assert!(verdicts[2..].iter().all(|v| *v == Verdict::NotReached));
    }
}
