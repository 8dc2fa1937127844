//! X41 – Instant File Initialization only where documented as required
//! (STIG SQL6-D0-009900 / SQLI-22-009900).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, ServiceKind, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// With IFI, new data-file space is not zeroed: what a deleted file left on the disk can be
/// read back through the database (object reuse).
pub const CHECK: Check = Check {
    id: CheckId::new("X41"),
    title: "Instant File Initialization only where required",
    severity: Severity::Medium,
    rationale: "When the engine's service account holds \"Perform volume maintenance tasks\", SQL \
                Server skips zeroing the space it adds to data files: whatever a deleted file left \
                on those disk blocks stays there and can be read back (STIG: object reuse). It \
                makes growth and restores fast, so it is allowed where documented as required \
                (`thresholds.instant_file_initialization_allowed`). SQL Server reports it in \
                sys.dm_server_services from 2012 SP4, 2014 SP3 and 2016 SP1.",
    outcomes: Outcomes {
        pass: "IFI off, or on and allowed by policy",
        fail_or_warn: "–",
        other: "REVIEW: IFI on and not documented as required; UNKNOWN: the engine's service row unreadable, or a build that does not report IFI; NOT APPLICABLE on Linux",
    },
    family: Family::DataProtection,
    applies_to: Applicability::WINDOWS,
    references: References {
        stig_2016: &["SQL6-D0-009900"],
        stig_2022: &["SQLI-22-009900"],
        ..References::NONE
    },
    reads: &[FactId::Services],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Review,
    rule,
};

/// The engine's `instant_file_initialization_enabled`: N → PASS; Y → PASS when allowed by
/// policy, REVIEW otherwise; not reported → UNKNOWN.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(services) = gaps.take("services", &s.services) else {
        return gaps.only_unknown(check, s);
    };
    let engine = services.iter().find(|v| v.kind == ServiceKind::Engine);
    let allowed = yes_no(policy.instant_file_initialization_allowed);
    let finding = match engine.and_then(|e| e.instant_file_initialization) {
        None => check
            .instance_finding(s, Status::Unknown)
            .ev("instant_file_initialization", "not reported")
            .message(format!(
                "{} does not report Instant File Initialization (sys.dm_server_services has it \
                 from 2012 SP4, 2014 SP3 and 2016 SP1, to VIEW SERVER STATE): check whether its \
                 service account holds \"Perform volume maintenance tasks\" in the host's Local \
                 Security Policy.",
                instance_name(s)
            )),
        Some(false) => check
            .instance_finding(s, Status::Pass)
            .ev("instant_file_initialization", "off")
            .message(format!(
                "{} zeroes new data-file space (Instant File Initialization off).",
                instance_name(s)
            )),
        Some(true) if policy.instant_file_initialization_allowed => check
            .instance_finding(s, Status::Pass)
            .ev("instant_file_initialization", "on")
            .ev("instant_file_initialization_allowed", allowed)
            .message(format!(
                "{} uses Instant File Initialization, documented as required \
                 (thresholds.instant_file_initialization_allowed).",
                instance_name(s)
            )),
        Some(true) => check
            .instance_finding(s, Status::Review)
            .ev("instant_file_initialization", "on")
            .ev("instant_file_initialization_allowed", allowed)
            .message(format!(
                "{} uses Instant File Initialization: document why it is required, or remove \
                 its service account from \"Perform volume maintenance tasks\" and restart.",
                instance_name(s)
            )),
    };
    vec![finding.done()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn with_ifi(value: Option<bool>) -> Snapshot {
        let mut s = compliant_snapshot();
        edit(&mut s.services)[0].instant_file_initialization = value;
        s
    }

    #[test]
    fn off_passes_on_is_reviewed_unless_allowed() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
        let s = with_ifi(Some(true));
        single(&run(&CHECK, &s), Status::Review);
        let mut p = policy();
        p.instant_file_initialization_allowed = true;
        single(&(CHECK.rule)(&CHECK, &s, &p), Status::Pass);
    }

    /// Builds before 2016 SP1 (and 2012 SP4, 2014 SP3) have no such column: UNKNOWN, never PASS.
    #[test]
    fn not_reported_or_unread_is_unknown() {
        single(&run(&CHECK, &with_ifi(None)), Status::Unknown);
        let mut s = compliant_snapshot();
        s.services = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
