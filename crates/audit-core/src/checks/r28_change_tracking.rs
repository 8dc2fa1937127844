//! R28 – security change tracking between audits.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{Fact, FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Changes are tracked by comparing audits (sync classifies fixed, regressed, new); this row
/// records the baseline of this run so that a reader can see what the comparison starts from.
pub const CHECK: Check = Check {
    id: CheckId::new("R28"),
    title: "Security change tracking (baseline)",
    severity: Severity::Info,
    rationale: "Security-relevant changes must be tracked over time. AutoDBAudit does it by comparing each \
                audit with the previous one (sync: fixed, regression, new, exception) and keeping the \
                history; this row records the baseline counts of the run, and whether the server itself \
                records changes (default trace, server audits).",
    outcomes: Outcomes {
        pass: "–",
        fail_or_warn: "–",
        other: "INFO: the run's baseline counts and whether the default trace / a server audit records changes; the changes themselves are classified by `sync`",
    },
    family: Family::Auditing,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-004300", "SQL6-D0-004700"],
        stig_2022: &["SQLI-22-004300", "SQLI-22-004700"],
        va: &["VA1281", "VA1283"],
        sp_blitz: &[8],
        ..References::NONE
    },
    reads: &[
        FactId::Logins,
        FactId::ServerRoleMembers,
        FactId::Configuration,
        FactId::Databases,
        FactId::LinkedServers,
        FactId::ServerTriggers,
        FactId::Audits,
    ],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::None,
    rule,
};

/// Always one INFO row: counts of logins, privileged memberships, linked servers, triggers and
/// databases (`unavailable` where not read), and whether the default trace or a server audit
/// is recording.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    fn count<T>(fact: &Fact<Vec<T>>) -> String {
        fact.as_ref()
            .map_or_else(|_| "unavailable".to_owned(), |v| v.len().to_string())
    }
    let privileged = s.server_role_members.as_ref().map_or_else(
        |_| "unavailable".to_owned(),
        |m| {
            let roles = privileged_roles(m);
            m.iter()
                .filter(|x| roles.contains(&x.role.to_lowercase()))
                .count()
                .to_string()
        },
    );
    let default_trace = s.configuration.as_ref().ok().and_then(|rows| {
        rows.iter()
            .find(|r| r.name.eq_ignore_ascii_case("default trace enabled"))
            .map(|r| r.value_in_use == 1)
    });
    let audits = s.audits.as_ref().map_or_else(
        |_| "unavailable".to_owned(),
        |a| a.iter().filter(|a| a.enabled).count().to_string(),
    );
    vec![
        check
            .instance_finding(s, Status::Info)
            .message(format!(
                "Baseline of {} for change tracking: {} logins, {privileged} privileged role memberships, {} linked servers, {} server triggers, {} databases; changes since the previous audit are classified by sync.",
                instance_name(s),
                count(&s.logins),
                count(&s.linked_servers),
                count(&s.server_triggers),
                count(&s.databases)
            ))
            .ev("logins", count(&s.logins))
            .ev("privileged_memberships", privileged)
            .ev("linked_servers", count(&s.linked_servers))
            .ev("server_triggers", count(&s.server_triggers))
            .ev("databases", count(&s.databases))
            .ev("default_trace", or_unknown(default_trace.map(yes_no)))
            .ev("enabled_server_audits", audits)
            .done(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn always_info() {
        let f = run(&CHECK, &compliant_snapshot());
        let f = single(&f, Status::Info);
        assert_eq!(f.evidence["privileged_memberships"], "4");
        assert_eq!(f.evidence["default_trace"], "yes");
        let f = run(&CHECK, &unavailable_snapshot());
        assert_eq!(single(&f, Status::Info).evidence["logins"], "unavailable");
    }
}
