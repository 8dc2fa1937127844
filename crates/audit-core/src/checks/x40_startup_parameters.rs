//! X40 – the engine's start-up parameters are the ones setup writes, or reviewed
//! (sp_Blitz check 177, "Disabled internal monitoring").

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Start-up options change how the whole instance runs, before any login or audit exists:
/// some switch off monitoring or the event log, others belong only to emergencies.
pub const CHECK: Check = Check {
    id: CheckId::new("X40"),
    title: "Start-up parameters reviewed",
    severity: Severity::Low,
    rationale: "Setup writes three start-up parameters: -d (master's data file), -e (the error \
                log) and -l (master's log file). Others change the whole instance: -x switches \
                off CPU-time and cache-hit statistics (sp_Blitz 177), -n stops SQL Server writing \
                to the Windows application log, -f and -m are the minimal-configuration and \
                single-user emergency modes, -T turns a trace flag on for every session. Each must \
                be known and justified (learn.microsoft.com: \"Database Engine service startup \
                options\").",
    outcomes: Outcomes {
        pass: "only -d, -e and -l",
        fail_or_warn: "WARN: -x, -n, -f or -m",
        other: "REVIEW: trace flags (-T) and any other parameter; UNKNOWN: no parameter listed (not even -d/-e/-l), or sys.dm_server_registry unreadable (VIEW SERVER STATE; 2008 R2 SP1 and later); NOT APPLICABLE on Linux (mssql-conf)",
    },
    family: Family::Services,
    applies_to: Applicability::WINDOWS,
    references: References {
        sp_blitz: &[177],
        ..References::NONE
    },
    reads: &[FactId::StartupParameters],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Review,
    rule,
};

/// What a start-up parameter does, and whether it is one to warn about; none for setup's own.
fn meaning(parameter: &str) -> Option<(&'static str, bool)> {
    let p = parameter.trim();
    let flag = p.get(..2).unwrap_or(p);
    match flag {
        "-d" | "-e" | "-l" => None,
        "-x" => Some((
            "disables CPU-time and cache-hit-ratio statistics (internal monitoring)",
            true,
        )),
        "-n" => Some((
            "does not write SQL Server events to the Windows application log",
            true,
        )),
        "-f" => Some(("starts in minimal configuration (emergency mode)", true)),
        "-m" => Some(("starts in single-user mode (emergency mode)", true)),
        "-T" | "-t" => Some(("turns a trace flag on for every session", false)),
        "-c" => Some(("starts independently of the Service Control Manager", false)),
        "-s" => Some(("starts another instance's registry settings", false)),
        "-E" => Some(("changes file-group extent allocation", false)),
        "-g" => Some(("reserves memory outside the buffer pool", false)),
        "-k" => Some(("throttles checkpoint I/O", false)),
        _ => Some(("an undocumented or unrecognised parameter", false)),
    }
}

/// Nothing beyond -d/-e/-l → PASS; any of -x, -n, -f, -m → WARN; anything else → REVIEW.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(parameters) = gaps.take("startup_parameters", &s.startup_parameters) else {
        return gaps.only_unknown(check, s);
    };
    // Setup always writes -d, -e and -l: no parameter at all means the key was not visible.
    if parameters.is_empty() {
        return vec![
            check
                .instance_finding(s, Status::Unknown)
                .ev("startup_parameters", "none listed")
                .message(format!(
                    "{} lists no start-up parameter in sys.dm_server_registry, not even setup's \
                     -d, -e and -l: the Parameters key was not visible to the audit login.",
                    instance_name(s)
                ))
                .done(),
        ];
    }
    let extra: Vec<(&str, &str, bool)> = parameters
        .iter()
        .filter_map(|p| meaning(p).map(|(what, warn)| (p.trim(), what, warn)))
        .collect();
    let all = parameters.join(" ");
    let draft = |status| {
        check.instance_finding(s, status).ev(
            "startup_parameters",
            if all.is_empty() { "none" } else { &all },
        )
    };
    let listed = extra
        .iter()
        .map(|(p, what, _)| format!("`{p}` ({what})"))
        .collect::<Vec<_>>()
        .join("; ");
    let finding = if extra.is_empty() {
        draft(Status::Pass).message(format!(
            "{} starts with setup's parameters only (-d, -e, -l).",
            instance_name(s)
        ))
    } else if extra.iter().any(|(_, _, warn)| *warn) {
        draft(Status::Warn).message(format!(
            "{} starts with {listed}: remove the parameter in SQL Server Configuration Manager \
             (Startup Parameters) unless it is needed now, and restart the service.",
            instance_name(s)
        ))
    } else {
        draft(Status::Review).message(format!(
            "{} starts with {listed}: confirm each is needed and documented.",
            instance_name(s)
        ))
    };
    vec![finding.done()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn setup_parameters_pass() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn trace_flags_are_reviewed_x_warns() {
        let mut s = compliant_snapshot();
        edit(&mut s.startup_parameters).push("-T3226".to_owned());
        let f = run(&CHECK, &s);
        assert!(single(&f, Status::Review).message.contains("`-T3226`"));
        edit(&mut s.startup_parameters).push("-x".to_owned());
        let f = run(&CHECK, &s);
        let w = single(&f, Status::Warn);
        assert!(w.message.contains("internal monitoring"));
        assert!(w.evidence["startup_parameters"].ends_with("-T3226 -x"));
    }

    #[test]
    fn unread_or_empty_is_unknown() {
        let mut s = compliant_snapshot();
        edit(&mut s.startup_parameters).clear();
        single(&run(&CHECK, &s), Status::Unknown);
        s.startup_parameters = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
