//! R17 – only the allowed network protocols are enabled.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// Every enabled protocol is a listener; only those the policy allows (TCP/IP and Shared Memory
/// by default) may be on.
pub const CHECK: Check = Check {
    id: CheckId::new("R17"),
    title: "Unneeded network protocols disabled",
    severity: Severity::Medium,
    rationale: "Each enabled server protocol is another way in. Only the protocols that are needed \
                (by default TCP/IP and Shared Memory, thresholds.allowed_protocols) may be enabled; Named \
                Pipes and VIA must be off. Read from the server's network configuration in the registry, \
                not from the audit's own connection.",
    outcomes: Outcomes {
        pass: "protocol disabled, or enabled and in `thresholds.allowed_protocols`",
        fail_or_warn: "WARN: each enabled protocol not allowed (Named Pipes, VIA …)",
        other: "UNKNOWN: protocol state not readable",
    },
    family: Family::Network,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("2.10")],
        stig_2016: &["SQL6-D0-007600"],
        stig_2022: &["SQLI-22-007600"],
        dbachecks: &["ServerProtocol"],
        ..References::NONE
    },
    reads: &[FactId::Protocols],
    placement: &[on("protocol", Sheet::ClientProtocols)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Per protocol: enabled and not allowed → WARN; enabled and allowed, or disabled → PASS; not
/// reported → UNKNOWN (VIA, removed in 2012, is simply skipped when absent). On Linux, where
/// SQL Server listens on TCP/IP only and has no Named Pipes or Shared Memory configuration
/// (learn.microsoft.com: "SQL Server on Linux: Known issues"), an absent protocol is one that
/// cannot be enabled → PASS.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(p) = gaps.take("protocols", &s.protocols) else {
        return gaps.only_unknown(check, s);
    };
    let protocols = [
        ("tcp", "TCP/IP", p.tcp),
        ("shared_memory", "Shared Memory", p.shared_memory),
        ("named_pipes", "Named Pipes", p.named_pipes),
        ("via", "VIA", p.via),
    ];
    let linux = on_linux(s);
    let mut out = Vec::new();
    for (id, name, enabled) in protocols {
        let allowed = policy
            .allowed_protocols
            .iter()
            .any(|a| a.eq_ignore_ascii_case(id));
        let draft = |status| {
            check
                .finding(status, "protocol", name, entity_key("protocol", &[id]))
                .ev("enabled", or_unknown(enabled.map(yes_no)))
                .ev("allowed", yes_no(allowed))
        };
        out.push(match enabled {
            None if id == "via" => continue,
            None if linux && id != "tcp" => draft(Status::Pass)
                .ev("linux", "yes")
                .message(format!(
                    "{name} does not exist on SQL Server on Linux, which listens on TCP/IP only."
                ))
                .done(),
            None => draft(Status::Unknown)
                .message(format!(
                    "Whether {name} is enabled on {} could not be read.",
                    instance_name(s)
                ))
                .done(),
            Some(true) if !allowed => draft(Status::Warn)
                .message(format!(
                    "{name} is enabled on {} but not in the allowed protocols: disable it.",
                    instance_name(s)
                ))
                .done(),
            Some(true) => draft(Status::Pass)
                .message(format!("{name} is enabled and allowed."))
                .done(),
            Some(false) => draft(Status::Pass)
                .message(format!("{name} is disabled."))
                .done(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn protocols_absent_on_linux_pass() {
        let mut s = compliant_snapshot();
        edit(&mut s.host).platform = "Linux".to_owned();
        let p = edit(&mut s.protocols);
        p.named_pipes = None;
        p.shared_memory = None;
        let f = run(&CHECK, &s);
        let np = by_key(&f, "protocol:named_pipes");
        assert_eq!(np.status, Status::Pass);
        assert!(np.message.contains("Linux"), "{}", np.message);
        assert_eq!(by_key(&f, "protocol:shared_memory").status, Status::Pass);
        // On Windows the same gap stays UNKNOWN.
        edit(&mut s.host).platform = "Windows".to_owned();
        let f = run(&CHECK, &s);
        assert_eq!(by_key(&f, "protocol:named_pipes").status, Status::Unknown);
    }

    #[test]
    fn allowed_or_disabled_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(statuses(&f), [Status::Pass, Status::Pass, Status::Pass]);
        assert_eq!(
            by_key(&f, "protocol:named_pipes").message,
            "Named Pipes is disabled."
        );
    }

    #[test]
    fn enabled_unallowed_protocols_warn_each() {
        let mut s = compliant_snapshot();
        let p = edit(&mut s.protocols);
        p.named_pipes = Some(true);
        p.via = Some(true);
        let f = run(&CHECK, &s);
        let np = by_key(&f, "protocol:named_pipes");
        assert_eq!((np.status, np.severity), (Status::Warn, Severity::Medium));
        assert!(np.message.contains("Named Pipes"));
        assert_eq!(by_key(&f, "protocol:via").status, Status::Warn);
        let mut pol = policy();
        pol.allowed_protocols.push("named_pipes".to_owned());
        let f = (CHECK.rule)(&CHECK, &s, &pol);
        assert_eq!(by_key(&f, "protocol:named_pipes").status, Status::Pass);
    }

    #[test]
    fn unreadable_protocols() {
        let mut s = compliant_snapshot();
        edit(&mut s.protocols).tcp = None;
        assert_eq!(
            by_key(&run(&CHECK, &s), "protocol:tcp").status,
            Status::Unknown
        );
        s.protocols = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
