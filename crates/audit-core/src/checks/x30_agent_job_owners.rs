//! X30 – SQL Server Agent jobs have valid owners.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{AgentJobInfo, FactId, LoginInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// A job runs its T-SQL steps as its owner: a job owned by a person's login breaks when that
/// person leaves (or keeps their rights alive), and one whose owner no longer exists fails.
pub const CHECK: Check = Check {
    id: CheckId::new("X30"),
    title: "Agent job owners valid",
    severity: Severity::Medium,
    rationale: "SQL Server Agent runs a job's T-SQL steps in its owner's security context. A job owned \
                by an individual's login fails or keeps that person's rights in use after they \
                leave; an owner SID that resolves to no login, or a disabled login, leaves the job \
                broken. Jobs should be owned by `sa` (SID 0x01, whatever its name) or a login the \
                organisation lists (`thresholds.allowed_job_owners`). Not on Express (no Agent).",
    outcomes: Outcomes {
        pass: "owned by the `sa` login (SID 0x01) or a login in `thresholds.allowed_job_owners`, enabled; one row when there is no job",
        fail_or_warn: "WARN: owner SID resolves to no login, the owner login is disabled, or the owner is another login (an individual)",
        other: "UNKNOWN: jobs or logins unreadable; NOT APPLICABLE on Express",
    },
    family: Family::Permissions,
    applies_to: Applicability {
        engine_editions: &[2, 3, 8],
        ..Applicability::ALL
    },
    references: References {
        dbachecks: &["ValidJobOwner", "InvalidJobOwner"],
        sp_blitz: &[6],
        ..References::NONE
    },
    reads: &[FactId::AgentJobs, FactId::Logins],
    placement: &[on("agent_job", Sheet::AgentJobs)],
    remediation: RemediationCategory::Caution,
    rule,
};

/// The key of a job's findings.
pub(crate) fn job_key(job: &AgentJobInfo) -> String {
    entity_key("agent_job", &[&job.name])
}

/// Per job: SID 0x01 or an allowed owner, enabled → PASS; otherwise WARN saying why.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let jobs = gaps.take("agent_jobs", &s.agent_jobs);
    let logins = gaps.take("logins", &s.logins);
    let (Some(jobs), Some(logins)) = (jobs, logins) else {
        return gaps.only_unknown(check, s);
    };
    if jobs.is_empty() {
        return vec![
            check
                .instance_finding(s, Status::Pass)
                .message(format!("{} has no Agent job.", instance_name(s)))
                .done(),
        ];
    }
    let allowed = if policy.allowed_job_owners.is_empty() {
        "sa (SID 0x01)".to_owned()
    } else {
        format!("sa (SID 0x01), {}", policy.allowed_job_owners.join(", "))
    };
    jobs.iter()
        .map(|job| {
            let login: Option<&LoginInfo> = logins
                .iter()
                .find(|l| l.sid.eq_ignore_ascii_case(&job.owner_sid));
            let owner = job
                .owner
                .clone()
                .or_else(|| login.map(|l| l.name.clone()));
            let draft = |status| {
                check
                    .finding(status, "agent_job", job.name.clone(), job_key(job))
                    .ev("owner", owner.as_deref().unwrap_or("-"))
                    .ev("owner_sid", &job.owner_sid)
                    .ev("job_enabled", yes_no(job.enabled))
                    .ev("judged_against", &allowed)
            };
            let is_sa = job.owner_sid.eq_ignore_ascii_case("0x01");
            let hidden = hidden_rows(s, FactId::AgentJobs).or_else(|| hidden_rows(s, FactId::Logins));
            match &owner {
                None if !is_sa && hidden.is_some() => draft(Status::Unknown)
                    .message(format!(
                        "Agent job `{}` is owned by SID {}, which names no login visible to the audit: {}.",
                        job.name,
                        job.owner_sid,
                        hidden.as_deref().unwrap_or_default()
                    ))
                    .done(),
                None if is_sa => draft(Status::Pass)
                    .message(format!("Agent job `{}` is owned by sa (SID 0x01).", job.name))
                    .done(),
                None => draft(Status::Warn)
                    .message(format!(
                        "Agent job `{}` is owned by SID {}, which matches no login: the job fails to run its T-SQL steps.",
                        job.name, job.owner_sid
                    ))
                    .done(),
                Some(name) if is_sa => draft(Status::Pass)
                    .message(format!("Agent job `{}` is owned by `{name}` (sa).", job.name))
                    .done(),
                Some(name) if login.is_some_and(|l| l.disabled) => draft(Status::Warn)
                    .message(format!(
                        "Agent job `{}` is owned by the disabled login `{name}`.",
                        job.name
                    ))
                    .done(),
                Some(name)
                    if policy
                        .allowed_job_owners
                        .iter()
                        .any(|a| same_name(a, name)) =>
                {
                    draft(Status::Pass)
                        .message(format!(
                            "Agent job `{}` is owned by `{name}`, an allowed job owner.",
                            job.name
                        ))
                        .done()
                }
                Some(name) => draft(Status::Warn)
                    .message(format!(
                        "Agent job `{}` is owned by `{name}`, not by sa or an allowed job owner ({allowed}): an individual's job breaks, or keeps their rights in use, when they leave.",
                        job.name
                    ))
                    .done(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn with(job: AgentJobInfo) -> Vec<Finding> {
        let mut s = compliant_snapshot();
        s.agent_jobs = Ok(vec![job]);
        run(&CHECK, &s)
    }

    #[test]
    fn sa_owned_jobs_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(
            single(&f, Status::Pass).entity_key,
            "agent_job:nightly backup"
        );
        let mut s = compliant_snapshot();
        s.agent_jobs = Ok(vec![]);
        assert_eq!(
            single(&run(&CHECK, &s), Status::Pass).entity_key,
            "instance:"
        );
    }

    #[test]
    fn individuals_unknown_sids_and_disabled_owners_warn() {
        let job = AgentJobInfo {
            owner_sid: "0x0105000000000005150000000A".to_owned(),
            owner: Some("CORP\\dba".to_owned()),
            ..agent_job("Cleanup")
        };
        let f = with(job.clone());
        assert!(single(&f, Status::Warn).message.contains("not by sa"));
        let mut p = policy();
        p.allowed_job_owners = vec!["corp\\DBA".to_owned()];
        let mut s = compliant_snapshot();
        s.agent_jobs = Ok(vec![job]);
        assert_eq!(statuses(&(CHECK.rule)(&CHECK, &s, &p)), [Status::Pass]);
        let f = with(AgentJobInfo {
            owner_sid: "0xDEAD".to_owned(),
            owner: None,
            ..agent_job("Orphan")
        });
        assert!(
            single(&f, Status::Warn)
                .message
                .contains("matches no login")
        );
        let f = with(AgentJobInfo {
            owner_sid: "0xAB01".to_owned(),
            owner: Some("##MS_PolicyEventProcessingLogin##".to_owned()),
            ..agent_job("Policy")
        });
        assert!(single(&f, Status::Warn).message.contains("disabled login"));
    }

    #[test]
    fn not_on_express_and_unknown_when_unreadable() {
        assert!(CHECK.applies_to.excludes(16, 4, None).is_some());
        assert!(CHECK.applies_to.excludes(16, 2, None).is_none());
        let mut s = compliant_snapshot();
        s.agent_jobs = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
