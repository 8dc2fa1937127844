//! X31 – Agent jobs that start with SQL Server Agent are reviewed.

use super::Outcomes;
use super::support::*;
use super::x30_agent_job_owners::job_key;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// A job scheduled "Start automatically when SQL Server Agent starts" runs at every start-up,
/// unattended: a classic place for persistence.
pub const CHECK: Check = Check {
    id: CheckId::new("X31"),
    title: "Agent jobs run at Agent start-up reviewed",
    severity: Severity::Medium,
    rationale: "An enabled job with an enabled schedule of type 64 ('Start automatically when SQL Server \
                Agent starts', msdb.dbo.sysschedules.freq_type) runs whenever the Agent starts, without \
                anyone watching; attackers use it to persist. Each one should be known and approved \
                (sp_Blitz 57). Not on Express (no Agent).",
    outcomes: Outcomes {
        pass: "no enabled job has an enabled start-up schedule (one row)",
        fail_or_warn: "–",
        other: "REVIEW: per enabled job with an enabled start-up schedule; UNKNOWN: jobs unreadable; NOT APPLICABLE on Express",
    },
    family: Family::SurfaceArea,
    applies_to: Applicability {
        engine_editions: &[2, 3, 8],
        ..Applicability::ALL
    },
    references: References {
        sp_blitz: &[57],
        ..References::NONE
    },
    reads: &[FactId::AgentJobs],
    placement: &[on("agent_job", Sheet::AgentJobs)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// One REVIEW per enabled job with a start-up schedule; none → one instance PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(jobs) = gaps.take("agent_jobs", &s.agent_jobs) else {
        return gaps.only_unknown(check, s);
    };
    let out: Vec<Finding> = jobs
        .iter()
        .filter(|j| j.enabled && !j.startup_schedules.is_empty())
        .map(|j| {
            check
                .finding(Status::Review, "agent_job", j.name.clone(), job_key(j))
                .message(format!(
                    "Agent job `{}` runs whenever SQL Server Agent starts (schedule {}): confirm it is known and approved.",
                    j.name,
                    j.startup_schedules.join(", ")
                ))
                .ev("schedules", j.startup_schedules.join(", "))
                .ev("owner", j.owner.as_deref().unwrap_or(&j.owner_sid))
                .done()
        })
        .collect();
    if out.is_empty() {
        return vec![
            check
                .instance_finding(s, Status::Pass)
                .message(format!(
                    "{} has no enabled Agent job that starts with the Agent.",
                    instance_name(s)
                ))
                .done(),
        ];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn no_startup_job_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
    }

    #[test]
    fn startup_jobs_are_reviewed_unless_disabled() {
        let mut s = compliant_snapshot();
        edit(&mut s.agent_jobs)[0].startup_schedules = vec!["At start".to_owned()];
        let f = run(&CHECK, &s);
        assert!(single(&f, Status::Review).message.contains("At start"));
        edit(&mut s.agent_jobs)[0].enabled = false;
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Pass]);
    }

    #[test]
    fn unknown_when_unreadable_and_not_on_express() {
        let mut s = compliant_snapshot();
        s.agent_jobs = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
        assert!(CHECK.applies_to.excludes(15, 4, None).is_some());
    }
}
