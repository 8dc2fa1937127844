//! X51 – endpoints are not owned by individual logins.

use super::support::*;
use super::x50_endpoint_encryption::endpoint_key;
use super::{Applicability, Check, Family, Outcomes, Policy, References, Sheet, on_row};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// sp_Blitz check 187: an endpoint is owned by whoever created it; when that person's login
/// is dropped or disabled, the endpoint (and the availability group behind it) is in trouble,
/// and the owner holds CONTROL on it meanwhile.
pub const CHECK: Check = Check {
    id: CheckId::new("X51"),
    title: "Endpoints not owned by individual logins",
    severity: Severity::Low,
    rationale: "The login that creates an endpoint owns it and holds CONTROL on it. When that is a \
                person's login, the endpoint depends on it: dropping the login fails, disabling it \
                can break mirroring or an availability group, and the person keeps control over a \
                path between servers. Ownership belongs to the built-in sa principal (principal_id \
                1, whatever its name) or a dedicated disabled login. The map compares the owner with \
                the service account (sys.dm_server_services, 2008 R2 SP1+); sp_Blitz, followed here, \
                compares it with sa, which every version can read.",
    outcomes: Outcomes {
        pass: "each mirroring / Service Broker endpoint owned by principal_id 1 (sa); one row when there is no such endpoint",
        fail_or_warn: "REVIEW (low): an endpoint owned by another login, to be transferred (`ALTER AUTHORIZATION ON ENDPOINT::name TO sa`)",
        other: "UNKNOWN: the endpoints could not be read, or only in part (the audit login lacks VIEW ANY DEFINITION), or an endpoint's owner is unknown",
    },
    family: Family::Network,
    applies_to: Applicability::ALL,
    references: References {
        sp_blitz: &[187],
        ..References::NONE
    },
    reads: &[FactId::Endpoints],
    placement: &[on_row("endpoint", Sheet::Instances, "instance:")],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per endpoint: owner principal_id 1 → PASS; another → REVIEW; unknown → UNKNOWN. No endpoint
/// → one PASS. Not scripted: the new owner is an organisational choice.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(endpoints) = gaps.take("endpoints", &s.endpoints) else {
        return gaps.only_unknown(check, s);
    };
    let mut out: Vec<Finding> = endpoints
        .iter()
        .map(|e| {
            let owner = e.owner.as_deref().unwrap_or("an unresolved principal");
            let draft = |status| {
                check
                    .finding(status, "endpoint", e.name.clone(), endpoint_key(e))
                    .ev("type", &e.kind)
                    .ev("owner", owner)
                    .ev("owner_principal_id", or_unknown(e.owner_id))
            };
            match e.owner_id {
                Some(1) => draft(Status::Pass)
                    .message(format!("Endpoint `{}` is owned by the built-in sa principal.", e.name))
                    .done(),
                Some(id) => draft(Status::Review)
                    .message(format!(
                        "Endpoint `{}` is owned by `{owner}` (principal_id {id}), not the built-in sa principal: transfer it (ALTER AUTHORIZATION ON ENDPOINT::[{}] TO sa) unless that login is a dedicated owner.",
                        e.name, e.name
                    ))
                    .done(),
                None => draft(Status::Unknown)
                    .message(format!("Endpoint `{}`: its owner could not be read.", e.name))
                    .done(),
            }
        })
        .collect();
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "{} has no database mirroring, availability group or Service Broker endpoint.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::EndpointInfo;

    fn with_owner(owner_id: Option<i64>) -> Vec<Finding> {
        let mut s = compliant_snapshot();
        edit(&mut s.endpoints).push(EndpointInfo {
            name: "Hadr_endpoint".to_owned(),
            kind: "DATABASE_MIRRORING".to_owned(),
            state: "STARTED".to_owned(),
            owner: owner_id.map(|id| if id == 1 { "sa" } else { "CORP\\alice" }.to_owned()),
            owner_id,
            encryption_enabled: Some(true),
            algorithm: Some("AES".to_owned()),
        });
        run(&CHECK, &s)
    }

    #[test]
    fn statuses_by_owner() {
        assert_eq!(
            statuses(&run(&CHECK, &compliant_snapshot())),
            [Status::Pass]
        );
        assert_eq!(statuses(&with_owner(Some(1))), [Status::Pass]);
        let f = with_owner(Some(267));
        let hit = single(&f, Status::Review);
        assert_eq!(hit.severity, Severity::Low);
        assert!(hit.message.contains("CORP\\alice"));
        assert_eq!(statuses(&with_owner(None)), [Status::Unknown]);
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        deny(&mut s, FactId::Endpoints);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
