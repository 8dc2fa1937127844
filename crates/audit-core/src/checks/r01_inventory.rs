//! R01 – documentation and inventory of the instance.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Inventory of the instance (name, version, edition, host, privileged members): one INFO row,
/// the record an auditor files every six months.
pub const CHECK: Check = Check {
    id: CheckId::new("R01"),
    title: "Instance documentation and inventory",
    severity: Severity::Info,
    rationale: "Every instance must be documented at least every six months: server and instance name, \
                version, edition, build and update level, host, and who holds sysadmin, serveradmin or \
                securityadmin. The inventory is the baseline every other finding is read against.",
    outcomes: Outcomes {
        pass: "–",
        fail_or_warn: "–",
        other: "INFO: one row per instance: version, release, update level, edition, host, privileged role members (missing facts are named in the evidence)",
    },
    family: Family::Inventory,
    applies_to: Applicability::ALL,
    references: References::NONE,
    reads: &[FactId::Server],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::None,
    rule,
};

/// Always one INFO finding; facts that could not be read are named in the evidence (an
/// inventory is never UNKNOWN as a whole: the server's own properties are always read).
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let srv = &s.server;
    let update = match &srv.update_level {
        Some(cu) => format!("{} {cu}", srv.product_level),
        None => srv.product_level.clone(),
    };
    let mut draft = check
        .instance_finding(s, Status::Info)
        .message(format!(
            "{} is SQL Server {} {} ({update}), {}.",
            instance_name(s),
            release_name(srv.version),
            srv.version,
            srv.edition
        ))
        .ev("server_name", &srv.server_name)
        .ev("machine_name", &srv.machine_name)
        .ev(
            "instance_name",
            srv.instance_name.as_deref().unwrap_or("(default)"),
        )
        .ev("version", srv.version)
        .ev("release", release_name(srv.version))
        .ev("product_level", &srv.product_level)
        .ev("update_level", srv.update_level.as_deref().unwrap_or("-"))
        .ev("edition", &srv.edition)
        .ev("engine_edition", srv.engine_edition)
        .ev("clustered", yes_no(srv.clustered))
        .ev("windows_auth_only", yes_no(srv.windows_auth_only))
        .ev("audited_as", &s.connection.login);
    draft = match &s.host {
        Ok(h) => draft.ev(
            "host",
            format!("{} {} ({})", h.platform, h.distribution, h.release),
        ),
        Err(why) => draft.ev("host", format!("unavailable: {}", why.reason)),
    };
    draft = match &s.server_role_members {
        Ok(members) => {
            let mut privileged: Vec<String> = members
                .iter()
                .filter(|m| is_privileged_server_role(&m.role))
                .map(|m| format!("{}: {}", m.role, m.member))
                .collect();
            privileged.sort();
            draft.ev("privileged_members", privileged.join("; "))
        }
        Err(why) => draft.ev("privileged_members", format!("unavailable: {}", why.reason)),
    };
    vec![draft.done()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn info_with_inventory() {
        let f = run(&CHECK, &compliant_snapshot()).remove(0);
        assert_eq!(f.status, Status::Info);
        assert_eq!(f.severity, Severity::Info);
        assert_eq!(f.entity_key, "instance:");
        assert!(f.message.contains("SQLHOST\\PROD") && f.message.contains("2022"));
        assert!(f.evidence["privileged_members"].contains("sysadmin: CORP\\dba"));
    }

    #[test]
    fn still_info_when_facts_are_missing() {
        let f = run(&CHECK, &unavailable_snapshot()).remove(0);
        assert_eq!(f.status, Status::Info);
        assert!(f.evidence["host"].starts_with("unavailable"));
    }
}
