//! X50 – mirroring / availability group and Service Broker endpoints require AES; unused
//! Service Broker endpoints are removed.

use super::support::*;
use super::{Applicability, Check, Family, Outcomes, Policy, References, Sheet, on_row};
use crate::snapshot::{EndpointInfo, FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// Data between replicas (mirroring, availability groups) and Service Broker messages between
/// instances travel over these endpoints: the STIG requires `ENCRYPTION = REQUIRED ALGORITHM
/// AES` on both, and Vulnerability Assessment asks unused Service Broker endpoints removed.
pub const CHECK: Check = Check {
    id: CheckId::new("X50"),
    title: "Mirroring and Service Broker endpoints require AES",
    severity: Severity::Medium,
    rationale: "Database mirroring and availability group endpoints carry whole databases between \
                replicas, Service Broker endpoints carry messages between instances. Unless the \
                endpoint requires encryption with AES alone, an endpoint that allows NONE or RC4 \
                (a broken cipher kept for compatibility) lets that traffic cross the network in \
                clear or weakly protected. A Service Broker endpoint that is stopped or disabled \
                is unused surface and should be dropped.",
    outcomes: Outcomes {
        pass: "each mirroring / availability group and Service Broker endpoint requires AES (encryption_algorithm_desc `AES`; mirroring: encryption enabled); one row when there is no such endpoint",
        fail_or_warn: "FAIL (medium): an endpoint whose algorithm is anything but `AES` alone (`NONE`, `RC4`, `NONE, AES`, `RC4, AES` …) or whose encryption is disabled; REVIEW (low): a Service Broker endpoint that is STOPPED or DISABLED (unused: drop it)",
        other: "UNKNOWN: the endpoints could not be read, or only in part (the audit login lacks VIEW ANY DEFINITION), or an endpoint's algorithm is unknown",
    },
    family: Family::Network,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-016500", "SQL6-D0-016600"],
        stig_2022: &["SQLI-22-016500", "SQLI-22-016600"],
        va: &["VA1098", "VA1066"],
        ..References::NONE
    },
    reads: &[FactId::Endpoints],
    placement: &[on_row("endpoint", Sheet::Instances, "instance:")],
    remediation: RemediationCategory::Review,
    rule,
};

/// The key of an endpoint's findings (shared with X51).
pub(super) fn endpoint_key(e: &EndpointInfo) -> String {
    entity_key("endpoint", &[&e.name])
}

/// Per endpoint: algorithm `AES` (and mirroring encryption on) → PASS, else FAIL; a Service
/// Broker endpoint not STARTED → REVIEW (unused) when its encryption is fine. No endpoint →
/// one PASS. Not scripted: ALTER ENDPOINT breaks the partner until it is changed too.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(endpoints) = gaps.take("endpoints", &s.endpoints) else {
        return gaps.only_unknown(check, s);
    };
    let mut out: Vec<Finding> = endpoints.iter().map(|e| judge(check, e)).collect();
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

fn judge(check: &Check, e: &EndpointInfo) -> Finding {
    let broker = e.kind.eq_ignore_ascii_case("SERVICE_BROKER");
    let what = if broker {
        "Service Broker endpoint"
    } else {
        "Database mirroring / availability group endpoint"
    };
    let draft = |status| {
        check
            .finding(status, "endpoint", e.name.clone(), endpoint_key(e))
            .ev("type", &e.kind)
            .ev("state", &e.state)
            .ev(
                "encryption_algorithm",
                e.algorithm.as_deref().unwrap_or("unknown"),
            )
            .ev(
                "encryption_enabled",
                or_unknown(e.encryption_enabled.map(yes_no)),
            )
    };
    let Some(algorithm) = e.algorithm.as_deref() else {
        return draft(Status::Unknown)
            .message(format!(
                "{what} `{}`: its encryption algorithm could not be read.",
                e.name
            ))
            .done();
    };
    let aes_only =
        algorithm.trim().eq_ignore_ascii_case("AES") && e.encryption_enabled != Some(false);
    if !aes_only {
        return draft(Status::Fail)
            .message(format!(
                "{what} `{}` does not require AES (encryption algorithm `{algorithm}`{}): set `ENCRYPTION = REQUIRED ALGORITHM AES` on it and on its partners.",
                e.name,
                if e.encryption_enabled == Some(false) {
                    ", encryption disabled"
                } else {
                    ""
                }
            ))
            .done();
    }
    if broker && !e.state.eq_ignore_ascii_case("STARTED") {
        return draft(Status::Review)
            .severity(Severity::Low)
            .message(format!(
                "{what} `{}` is {}: an unused endpoint is surface to remove (DROP ENDPOINT) unless it is about to be used.",
                e.name, e.state
            ))
            .done();
    }
    draft(Status::Pass)
        .message(format!("{what} `{}` requires AES.", e.name))
        .done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    pub(crate) fn endpoint(name: &str, kind: &str, state: &str, algorithm: &str) -> EndpointInfo {
        EndpointInfo {
            name: name.to_owned(),
            kind: kind.to_owned(),
            state: state.to_owned(),
            owner: Some("sa".to_owned()),
            owner_id: Some(1),
            encryption_enabled: (kind == "DATABASE_MIRRORING").then_some(algorithm != "NONE"),
            algorithm: Some(algorithm.to_owned()),
        }
    }

    fn judged(e: EndpointInfo) -> Finding {
        let mut s = compliant_snapshot();
        edit(&mut s.endpoints).push(e);
        let f = run(&CHECK, &s);
        assert_eq!(f.len(), 1, "{f:#?}");
        f[0].clone()
    }

    #[test]
    fn no_endpoint_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
    }

    #[test]
    fn aes_alone_passes_anything_else_fails() {
        let ok = judged(endpoint(
            "Hadr_endpoint",
            "DATABASE_MIRRORING",
            "STARTED",
            "AES",
        ));
        assert_eq!(ok.status, Status::Pass);
        for algorithm in ["NONE", "RC4", "NONE, AES", "RC4, AES", "AES, RC4"] {
            let f = judged(endpoint(
                "Hadr_endpoint",
                "DATABASE_MIRRORING",
                "STARTED",
                algorithm,
            ));
            assert_eq!(
                (f.status, f.severity),
                (Status::Fail, Severity::Medium),
                "{algorithm}"
            );
            assert!(f.message.contains(algorithm));
        }
        let f = judged(endpoint(
            "BrokerEndpoint",
            "SERVICE_BROKER",
            "STARTED",
            "RC4",
        ));
        assert_eq!(f.status, Status::Fail);
    }

    #[test]
    fn an_unused_service_broker_endpoint_is_reviewed() {
        let f = judged(endpoint(
            "BrokerEndpoint",
            "SERVICE_BROKER",
            "STOPPED",
            "AES",
        ));
        assert_eq!((f.status, f.severity), (Status::Review, Severity::Low));
        // A stopped mirroring endpoint is a failover's business, not this check's.
        let f = judged(endpoint(
            "Hadr_endpoint",
            "DATABASE_MIRRORING",
            "STOPPED",
            "AES",
        ));
        assert_eq!(f.status, Status::Pass);
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut e = endpoint("Hadr_endpoint", "DATABASE_MIRRORING", "STARTED", "AES");
        e.algorithm = None;
        assert_eq!(judged(e).status, Status::Unknown);
        let mut s = compliant_snapshot();
        deny(&mut s, FactId::Endpoints);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
