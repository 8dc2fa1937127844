//! What the two DISA STIG Viewer checklists ([`crate::ckl`], [`crate::cklb`]) share: which
//! STIGs an instance gets, each rule's status from the findings of the checks that map to it,
//! the finding details and comments written for it, the asset data and the deterministic UUIDs.
//! The formats differ only in how they write this down.
//!
//! A rule's status ([`decide`]), in this order:
//!
//! 1. the instance was not reached, no check automates the rule, or none of its checks was
//!    selected → Not_Reviewed (the comments say which);
//! 2. every finding is INFO with the evidence `not_applicable` → Not_Applicable;
//! 3. any FAIL or WARN, whatever its standing → Open (a documented exception or baseline does
//!    not make a technical finding go away in a DISA checklist: its justification goes to the
//!    comments);
//! 4. any UNKNOWN (never counted as passed, SPEC §6), or a REVIEW still open (open or drift),
//!    or some mapped check not selected → Not_Reviewed;
//! 5. otherwise (PASS, INFO, REVIEW excepted or baselined) → NotAFinding.

use audit_core::stig::{self, Benchmark, Rule};
use audit_core::{CheckId, Standing, Status};

use crate::{Instance, Report, ResultRow};

/// The most FINDING_DETAILS or COMMENTS carries; STIG Viewer and eMASS handle long text
/// poorly, and the workbook and `findings.json` hold everything.
pub(crate) const MAX_TEXT: usize = 30_000;

/// A rule's status in a checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleStatus {
    /// Checked and compliant.
    NotAFinding,
    /// Checked and not compliant.
    Open,
    /// Does not apply to this instance.
    NotApplicable,
    /// A person has to review it.
    NotReviewed,
}

impl RuleStatus {
    /// As the `.ckl` `STATUS` element writes it.
    pub(crate) fn ckl(self) -> &'static str {
        match self {
            RuleStatus::NotAFinding => "NotAFinding",
            RuleStatus::Open => "Open",
            RuleStatus::NotApplicable => "Not_Applicable",
            RuleStatus::NotReviewed => "Not_Reviewed",
        }
    }

    /// As the `.cklb` `status` field writes it.
    pub(crate) fn cklb(self) -> &'static str {
        match self {
            RuleStatus::NotAFinding => "not_a_finding",
            RuleStatus::Open => "open",
            RuleStatus::NotApplicable => "not_applicable",
            RuleStatus::NotReviewed => "not_reviewed",
        }
    }
}

/// One rule of one STIG on one instance.
#[derive(Debug, Clone)]
pub(crate) struct RuleResult {
    /// The rule.
    pub rule: &'static Rule,
    /// Its status.
    pub status: RuleStatus,
    /// FINDING_DETAILS: what the checks found.
    pub finding_details: String,
    /// COMMENTS: why the status, what auditors wrote, the standing, who evaluated it.
    pub comments: String,
}

/// One STIG of an instance's checklist with every rule's result.
#[derive(Debug, Clone)]
pub(crate) struct StigResult {
    /// The benchmark.
    pub benchmark: &'static Benchmark,
    /// Its UUID in this checklist (stable across runs of the same target).
    pub uuid: String,
    /// The benchmark's file name as DISA publishes it.
    pub filename: String,
    /// Every rule, in the benchmark's order.
    pub rules: Vec<RuleResult>,
}

/// The STIGs an instance gets: those of its major version; when the version was not read (an
/// unreached instance), the newest family, whose rules are then all Not_Reviewed.
pub(crate) fn benchmarks(instance: &Instance) -> Vec<&'static Benchmark> {
    stig::benchmarks_for(effective_major(instance))
}

/// The major version the STIG choice uses: the instance's, or the newest release when unknown.
pub(crate) fn effective_major(instance: &Instance) -> u16 {
    instance.major.unwrap_or(u16::MAX)
}

/// Every STIG of the instance with every rule's result.
pub(crate) fn evaluate(report: &Report, instance: &Instance) -> Vec<StigResult> {
    benchmarks(instance)
        .into_iter()
        .map(|benchmark| StigResult {
            benchmark,
            uuid: uuid(&["stig", &instance.target_id, &benchmark.id]),
            filename: format!(
                "U_{}_{}_Manual-xccdf.xml",
                benchmark.id,
                benchmark.release_label()
            ),
            rules: benchmark
                .rules
                .iter()
                .map(|rule| evaluate_rule(report, instance, rule))
                .collect(),
        })
        .collect()
}

/// The result of one rule on one instance.
fn evaluate_rule(report: &Report, instance: &Instance, rule: &'static Rule) -> RuleResult {
    let major = effective_major(instance);
    let checks: Vec<CheckId> = stig::checks_for(&rule.version, major)
        .iter()
        .map(|c| c.id)
        .collect();
    let rows: Vec<&ResultRow> = instance
        .results
        .iter()
        .filter(|r| checks.contains(&r.finding.check_id))
        .collect();
    let (status, reason) = decide(instance, &checks, &rows);
    RuleResult {
        rule,
        status,
        finding_details: safe_text(&finding_details(&checks, &rows)),
        comments: safe_text(&comments(report, reason, &rows)),
    }
}

/// A rule's status from its mapped checks and their findings on the instance, with the reason
/// when it is not decided by the findings alone (the module docs give the order).
pub(crate) fn decide(
    instance: &Instance,
    checks: &[CheckId],
    rows: &[&ResultRow],
) -> (RuleStatus, Option<String>) {
    if !instance.reached {
        let why = instance.reason.as_deref().unwrap_or("no reason recorded");
        return (
            RuleStatus::NotReviewed,
            Some(format!(
                "Not reviewed: the instance was not reached ({why})."
            )),
        );
    }
    if checks.is_empty() {
        return (
            RuleStatus::NotReviewed,
            Some(
                "Not reviewed: no AutoDBAudit check automates this rule; review it manually."
                    .into(),
            ),
        );
    }
    let not_selected: Vec<&CheckId> = checks
        .iter()
        .filter(|c| instance.not_selected.contains(c))
        .collect();
    let names = |ids: &[&CheckId]| {
        ids.iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if not_selected.len() == checks.len() {
        return (
            RuleStatus::NotReviewed,
            Some(format!(
                "Not reviewed: the checks that automate this rule ({}) were not selected for this run.",
                names(&not_selected)
            )),
        );
    }
    if rows.is_empty() {
        return (
            RuleStatus::NotReviewed,
            Some("Not reviewed: the checks that automate this rule recorded no result.".into()),
        );
    }
    let not_applicable = |r: &&&ResultRow| {
        r.finding.status == Status::Info && r.finding.evidence.contains_key("not_applicable")
    };
    if not_selected.is_empty() && rows.iter().all(|r| not_applicable(&r)) {
        return (RuleStatus::NotApplicable, None);
    }
    if rows
        .iter()
        .any(|r| matches!(r.finding.status, Status::Fail | Status::Warn))
    {
        return (RuleStatus::Open, None);
    }
    if rows.iter().any(|r| r.finding.status == Status::Unknown) {
        return (
            RuleStatus::NotReviewed,
            Some("Not reviewed: part of what this rule needs could not be read (UNKNOWN findings below).".into()),
        );
    }
    if rows
        .iter()
        .any(|r| r.finding.status == Status::Review && r.standing.is_open())
    {
        return (
            RuleStatus::NotReviewed,
            Some(
                "Not reviewed: findings await an auditor's review (REVIEW findings below).".into(),
            ),
        );
    }
    if !not_selected.is_empty() {
        return (
            RuleStatus::NotReviewed,
            Some(format!(
                "Not reviewed: of the checks that automate this rule, {} were not selected for this run.",
                names(&not_selected)
            )),
        );
    }
    (RuleStatus::NotAFinding, None)
}

/// FINDING_DETAILS: the checks that automate the rule, then per finding, worst first, one line
/// `[STATUS] check_id entity: message` and its evidence as `key: value` lines.
fn finding_details(checks: &[CheckId], rows: &[&ResultRow]) -> String {
    if checks.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let titles: Vec<String> = checks
        .iter()
        .map(|id| match audit_core::checks::check(*id) {
            Some(c) => format!("{id} ({})", c.title),
            None => id.to_string(),
        })
        .collect();
    out.push_str(&format!(
        "Automated by AutoDBAudit: {}\n",
        titles.join(", ")
    ));
    let mut sorted: Vec<&&ResultRow> = rows.iter().collect();
    // Worst first, so that truncation never hides why a rule is open.
    sorted.sort_by_key(|r| std::cmp::Reverse(r.finding.status.rank()));
    let mut blocks = Vec::new();
    for row in &sorted {
        let f = &row.finding;
        let mut block = format!(
            "\n[{}] {} {}: {}\n",
            f.status, f.check_id, f.entity, f.message
        );
        for (key, value) in &f.evidence {
            block.push_str(&format!("  {key}: {value}\n"));
        }
        blocks.push(block);
    }
    append_bounded(&mut out, &blocks, "findings");
    out.trim_end().to_owned()
}

/// COMMENTS: the reason for an undecided status, then per finding what auditors wrote and its
/// standing, then who evaluated it.
fn comments(report: &Report, reason: Option<String>, rows: &[&ResultRow]) -> String {
    let mut out = String::new();
    if let Some(reason) = reason {
        out.push_str(&reason);
        out.push('\n');
    }
    let mut blocks = Vec::new();
    for row in rows {
        let f = &row.finding;
        let mut parts = Vec::new();
        match row.standing {
            Standing::Excepted => parts.push("documented exception".to_owned()),
            Standing::Baselined => parts.push("matches the approved baseline".to_owned()),
            Standing::Drift => parts.push(match &row.drift {
                Some(what) => format!("drift from the approved baseline: {what}"),
                None => "drift from the approved baseline".to_owned(),
            }),
            Standing::Open | Standing::Compliant => {}
        }
        if let Some(note) = &row.note {
            if let Some(s) = note
                .review_status
                .as_deref()
                .filter(|s| !s.trim().is_empty())
            {
                parts.push(format!("Review Status: {}", s.trim()));
            }
            if let Some(s) = note
                .justification
                .as_deref()
                .filter(|s| !s.trim().is_empty())
            {
                parts.push(format!("Justification: {}", s.trim()));
            }
            if let Some(s) = note.notes.as_deref().filter(|s| !s.trim().is_empty()) {
                parts.push(format!("Notes: {}", s.trim()));
            }
        }
        if !parts.is_empty() {
            blocks.push(format!(
                "{} {} [{}]: {}\n",
                f.check_id,
                f.entity,
                f.status,
                parts.join("; ")
            ));
        }
    }
    append_bounded(&mut out, &blocks, "annotations");
    out.push_str(&format!(
        "Evaluated by {}, run {}, finished {} UTC.",
        report.tool, report.run_id, report.finished
    ));
    out
}

/// Appends blocks while the text stays under [`MAX_TEXT`], then says how many were left out.
fn append_bounded(out: &mut String, blocks: &[String], what: &str) {
    let budget = MAX_TEXT - 200;
    for (i, block) in blocks.iter().enumerate() {
        if out.len() + block.len() > budget {
            let room = budget.saturating_sub(out.len());
            if i == 0 && room > 0 {
                let mut cut = room;
                while !block.is_char_boundary(cut) {
                    cut -= 1;
                }
                out.push_str(&block[..cut]);
                out.push_str("…\n");
            }
            out.push_str(&format!(
                "\n… truncated at {MAX_TEXT} characters: {} more {what}; the workbook and findings.json hold them all.\n",
                blocks.len() - i - usize::from(i == 0 && room > 0)
            ));
            return;
        }
        out.push_str(block);
    }
}

/// What `Check_Content` and `Fix_Text` say: the checklists do not embed the STIG's text.
pub(crate) fn see_the_stig(stig: &StigResult, rule: &Rule) -> String {
    format!(
        "Not included by AutoDBAudit: see {} {} ({}), rule {}.",
        stig.benchmark.title,
        stig.benchmark.release_label(),
        stig.filename,
        rule.rule_id
    )
}

/// The asset's host name: the computer's name as SQL Server reported it, else the configured
/// server.
pub(crate) fn host_name(instance: &Instance) -> &str {
    instance.host_name.as_deref().unwrap_or(&instance.server)
}

/// TARGET_COMMENT: what was audited, or why it was not reached.
pub(crate) fn target_comment(report: &Report, instance: &Instance) -> String {
    let mut text = format!("AutoDBAudit target {}", instance.target_id);
    if instance.reached {
        if let Some(version) = &instance.version {
            text.push_str(&format!(": SQL Server {version}"));
        }
        if let Some(edition) = &instance.edition {
            text.push_str(&format!(", {edition}"));
        }
    } else {
        text.push_str(&format!(
            ": not reached ({}); the STIG of the newest release is listed, every rule Not_Reviewed",
            instance.reason.as_deref().unwrap_or("no reason recorded")
        ));
    }
    text.push_str(&format!(
        ". Audit {}, run {} ({} to {} UTC), profile {}.",
        report.audit, report.run_id, report.started, report.finished, report.profile
    ));
    safe_text(&text)
}

/// Text both formats can carry: characters XML 1.0 forbids (control characters other than tab
/// and line feed, U+FFFE, U+FFFF) become U+FFFD; carriage returns become line feeds (an XML
/// parser would turn them into line feeds anyway, and `\r\n` into one). Server-supplied names
/// are data: this keeps a hostile one from breaking a checklist.
pub(crate) fn safe_text(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\r' => '\n',
            '\t' | '\n' => c,
            c if (c as u32) < 0x20 => '\u{FFFD}',
            '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// A deterministic UUID from stable inputs: the first 16 bytes of SHA-256 over the parts,
/// with the version (4) and variant bits set so that it reads as a random UUID to tools that
/// check. Two runs of the same state write the same file.
pub(crate) fn uuid(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(b"autodbaudit-checklist");
    for part in parts {
        hash.update([0u8]);
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A file name for the instance's checklist: the target id with every character outside
/// `A-Z a-z 0-9 . _ -` replaced by `_`, never empty, never a reserved Windows device name.
pub(crate) fn file_name(instance: &Instance, extension: &str) -> String {
    let mut stem: String = instance
        .target_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = stem.trim_matches('.').to_owned();
    stem = trimmed;
    if stem.is_empty() || audit_core::is_reserved_windows_name(&stem) {
        stem = format!("target_{stem}");
    }
    format!("{stem}.{extension}")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use audit_core::{Finding, RemediationCategory, Severity};

    use super::*;
    use crate::Note;

    fn instance(reached: bool) -> Instance {
        Instance {
            target_id: "t1".into(),
            server: "db1.example.org".into(),
            instance: None,
            port: None,
            label: "db1.example.org".into(),
            host_name: Some("DB1".into()),
            fqdn: Some("db1.example.org".into()),
            ip_address: None,
            version: Some("16.0.4135.4".into()),
            major: Some(16),
            edition: Some("Enterprise Edition".into()),
            reached,
            reason: (!reached).then(|| "connection refused".into()),
            not_selected: Vec::new(),
            results: Vec::new(),
        }
    }

    fn row(check: &str, status: Status, standing: Standing) -> ResultRow {
        let check_id: CheckId = check.parse().unwrap();
        ResultRow {
            finding: Finding {
                check_id,
                status,
                severity: Severity::Medium,
                entity_type: "instance".into(),
                entity: "db1".into(),
                entity_key: "instance:db1".into(),
                message: "m".into(),
                evidence: BTreeMap::new(),
                remediation_category: RemediationCategory::None,
                fix: None,
            },
            standing,
            drift: None,
            note: None,
            fingerprint: String::new(),
        }
    }

    fn ids(list: &[&str]) -> Vec<CheckId> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn status(i: &Instance, checks: &[CheckId], rows: &[ResultRow]) -> RuleStatus {
        let refs: Vec<&ResultRow> = rows.iter().collect();
        decide(i, checks, &refs).0
    }

    #[test]
    fn unreached_unmapped_and_unselected_rules_are_not_reviewed() {
        let checks = ids(&["R04"]);
        let pass = [row("R04", Status::Pass, Standing::Compliant)];
        let (s, why) = decide(&instance(false), &checks, &pass.iter().collect::<Vec<_>>());
        assert_eq!(s, RuleStatus::NotReviewed);
        assert!(why.unwrap().contains("connection refused"));
        let (s, why) = decide(&instance(true), &[], &[]);
        assert_eq!(s, RuleStatus::NotReviewed);
        assert!(why.unwrap().contains("no AutoDBAudit check"));
        let mut skipped = instance(true);
        skipped.not_selected = ids(&["R04"]);
        let (s, why) = decide(&skipped, &checks, &[]);
        assert_eq!(s, RuleStatus::NotReviewed);
        assert!(why.unwrap().contains("R04"));
        // Half selected: a pass of one check does not vouch for the other.
        let both = ids(&["R04", "R10"]);
        skipped.not_selected = ids(&["R10"]);
        assert_eq!(status(&skipped, &both, &pass), RuleStatus::NotReviewed);
        // But a failure is a failure.
        let fail = [row("R04", Status::Fail, Standing::Open)];
        assert_eq!(status(&skipped, &both, &fail), RuleStatus::Open);
    }

    #[test]
    fn statuses_follow_the_findings() {
        let i = instance(true);
        let checks = ids(&["R04", "R10"]);
        let mut na = row("R04", Status::Info, Standing::Compliant);
        na.finding
            .evidence
            .insert("not_applicable".into(), "applies from 14".into());
        assert_eq!(
            status(&i, &checks, &[na.clone()]),
            RuleStatus::NotApplicable
        );
        let info = row("R10", Status::Info, Standing::Compliant);
        assert_eq!(
            status(&i, &checks, &[na.clone(), info.clone()]),
            RuleStatus::NotAFinding
        );
        for standing in [Standing::Open, Standing::Excepted, Standing::Baselined] {
            let warn = row("R10", Status::Warn, standing);
            assert_eq!(
                status(&i, &checks, &[na.clone(), warn]),
                RuleStatus::Open,
                "{standing:?}"
            );
        }
        let review = row("R10", Status::Review, Standing::Open);
        assert_eq!(status(&i, &checks, &[review]), RuleStatus::NotReviewed);
        let review = row("R10", Status::Review, Standing::Drift);
        assert_eq!(status(&i, &checks, &[review]), RuleStatus::NotReviewed);
        for standing in [Standing::Excepted, Standing::Baselined] {
            let review = row("R10", Status::Review, standing);
            let pass = row("R04", Status::Pass, Standing::Compliant);
            assert_eq!(
                status(&i, &checks, &[pass, review]),
                RuleStatus::NotAFinding
            );
        }
        let unknown = row("R10", Status::Unknown, Standing::Excepted);
        assert_eq!(status(&i, &checks, &[unknown]), RuleStatus::NotReviewed);
        assert_eq!(status(&i, &checks, &[]), RuleStatus::NotReviewed);
    }

    #[test]
    fn comments_carry_the_annotations_standing_and_run() {
        let report = Report {
            tool: "AutoDBAudit 9.9.9".into(),
            tool_version: "9.9.9".into(),
            audit: "a".into(),
            organization: "o".into(),
            run_id: 7,
            started: "2026-01-01 10:00:00".into(),
            finished: "2026-01-01 10:05:00".into(),
            profile: "all".into(),
            compliance: Vec::new(),
            instances: Vec::new(),
        };
        let mut excepted = row("R04", Status::Fail, Standing::Excepted);
        excepted.note = Some(Note {
            review_status: Some("✓ Exception".into()),
            justification: Some("vendor app needs it".into()),
            notes: None,
        });
        let mut drift = row("R10", Status::Warn, Standing::Drift);
        drift.drift = Some("status PASS → WARN".into());
        let text = comments(&report, None, &[&excepted, &drift]);
        assert!(text.contains(
            "documented exception; Review Status: ✓ Exception; Justification: vendor app needs it"
        ));
        assert!(text.contains("drift from the approved baseline: status PASS → WARN"));
        assert!(
            text.ends_with(
                "Evaluated by AutoDBAudit 9.9.9, run 7, finished 2026-01-01 10:05:00 UTC."
            )
        );
    }

    #[test]
    fn long_details_are_truncated_saying_so() {
        let mut rows = Vec::new();
        for n in 0..2000 {
            let mut r = row("R04", Status::Pass, Standing::Compliant);
            r.finding.entity = format!("entity number {n} with a long name");
            r.finding.evidence.insert("k".into(), "v".repeat(20));
            rows.push(r);
        }
        let refs: Vec<&ResultRow> = rows.iter().collect();
        let text = finding_details(&ids(&["R04"]), &refs);
        assert!(text.len() <= MAX_TEXT, "{}", text.len());
        assert!(text.contains("truncated at 30000 characters"));
    }

    #[test]
    fn forbidden_characters_are_replaced() {
        assert_eq!(
            safe_text("a\u{0}b\u{1b}c\td\r\ne\rf\u{FFFE}"),
            "a\u{FFFD}b\u{FFFD}c\td\ne\nf\u{FFFD}"
        );
    }

    #[test]
    fn uuids_are_stable_and_look_like_version_4() {
        let a = uuid(&["stig", "t1", "X"]);
        assert_eq!(a, uuid(&["stig", "t1", "X"]));
        assert_ne!(a, uuid(&["stig", "t1X", ""]));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn file_names_are_safe() {
        let mut i = instance(true);
        i.target_id = "prod/sql\\01:x".into();
        assert_eq!(file_name(&i, "ckl"), "prod_sql_01_x.ckl");
        i.target_id = "CON".into();
        assert_eq!(file_name(&i, "cklb"), "target_CON.cklb");
        i.target_id = "..".into();
        assert_eq!(file_name(&i, "ckl"), "target_.ckl");
    }
}
