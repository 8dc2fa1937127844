//! X32 – the host allows TLS 1.2 and refuses SSL 2.0, SSL 3.0, TLS 1.0 and TLS 1.1
//! (STIG SQL6-D0-008300 / SQLI-22-008300).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, SchannelSetting, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// SQL Server encrypts its connections with whatever Windows' SCHANNEL offers: the protocol
/// versions with known attacks must be switched off there, for every client that connects.
pub const CHECK: Check = Check {
    id: CheckId::new("X32"),
    title: "TLS 1.2 enabled, SSL and TLS 1.0/1.1 disabled",
    severity: Severity::High,
    rationale: "SQL Server's TLS comes from Windows (SCHANNEL): the protocol versions the host \
                offers are the ones a client can negotiate. SSL 2.0, SSL 3.0, TLS 1.0 and TLS 1.1 \
                have known weaknesses and are not FIPS-approved; NIST SP 800-52 Rev. 2 asks for \
                TLS 1.2 at least. The STIG wants each protocol's key to exist, for Client and \
                Server, with Enabled = 1 and DisabledByDefault = 0 for TLS 1.2 and Enabled = 0 and \
                DisabledByDefault = 1 for the others: a missing key leaves the choice to the \
                Windows version's defaults, which on older releases still enable TLS 1.0.",
    outcomes: Outcomes {
        pass: "every SCHANNEL key set as the STIG asks",
        fail_or_warn: "FAIL (high): one finding per protocol whose Client or Server key is missing or set otherwise",
        other: "UNKNOWN: the registry could not be read (sysadmin only); NOT APPLICABLE on Linux",
    },
    family: Family::Network,
    applies_to: Applicability::WINDOWS,
    references: References {
        stig_2016: &["SQL6-D0-008300"],
        stig_2022: &["SQLI-22-008300"],
        ..References::NONE
    },
    reads: &[FactId::HostSettings],
    placement: &[on("tls_protocol", Sheet::Encryption)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// The protocols in the order the STIG names them, with whether each must be on.
const PROTOCOLS: [(&str, bool); 5] = [
    ("TLS 1.2", true),
    ("TLS 1.0", false),
    ("TLS 1.1", false),
    ("SSL 2.0", false),
    ("SSL 3.0", false),
];

/// One finding per protocol: PASS when both its Client and Server keys hold the STIG's values,
/// FAIL naming each side that is missing or different.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(host) = gaps.take("host_settings", &s.host_settings) else {
        return gaps.only_unknown(check, s);
    };
    PROTOCOLS
        .iter()
        .map(|(protocol, on)| judge(check, &host.schannel, protocol, *on))
        .collect()
}

fn judge(check: &Check, keys: &[SchannelSetting], protocol: &str, on: bool) -> Finding {
    let (want_enabled, want_default_off) = (i64::from(on), i64::from(!on));
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    for side in ["Client", "Server"] {
        let key = keys.iter().find(|k| {
            k.protocol.eq_ignore_ascii_case(protocol) && k.side.eq_ignore_ascii_case(side)
        });
        let (enabled, default_off) =
            key.map_or((None, None), |k| (k.enabled, k.disabled_by_default));
        evidence.push(format!(
            "{side}: Enabled={}, DisabledByDefault={}",
            or_missing(enabled),
            or_missing(default_off)
        ));
        if enabled != Some(want_enabled) || default_off != Some(want_default_off) {
            problems.push(side);
        }
    }
    let wanted = format!("Enabled={want_enabled}, DisabledByDefault={want_default_off}");
    let draft = |status| {
        check
            .finding(
                status,
                "tls_protocol",
                protocol.to_owned(),
                entity_key("tls_protocol", &[protocol]),
            )
            .ev("protocol", protocol)
            .ev("registry", evidence.join("; "))
            .ev("required", &wanted)
    };
    if problems.is_empty() {
        draft(Status::Pass)
            .message(format!(
                "{protocol} is {} for Client and Server as the STIG asks.",
                if on { "enabled" } else { "disabled" }
            ))
            .done()
    } else {
        draft(Status::Fail)
            .message(format!(
                "{protocol} must be {} ({wanted}) under HKLM\\SYSTEM\\CurrentControlSet\\Control\\\
                 SecurityProviders\\SCHANNEL\\Protocols\\{protocol}\\{}: the key is missing or set \
                 otherwise. Set it (Group Policy or the registry) and restart the host.",
                if on { "enabled" } else { "disabled" },
                problems.join(" and ")
            ))
            .done()
    }
}

fn or_missing(value: Option<i64>) -> String {
    value.map_or("absent".to_owned(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn stig_keys_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(f.len(), 5);
        assert!(f.iter().all(|f| f.status == Status::Pass), "{f:?}");
    }

    /// Windows creates no SCHANNEL keys: every protocol fails, TLS 1.2 included (the STIG:
    /// "If this key does not exist, this is a finding").
    #[test]
    fn absent_keys_fail() {
        let mut s = compliant_snapshot();
        edit(&mut s.host_settings).schannel.clear();
        let f = run(&CHECK, &s);
        assert_eq!(f.len(), 5);
        assert!(f.iter().all(|f| f.status == Status::Fail));
        let tls12 = by_key(&f, "tls_protocol:tls 1.2");
        assert!(
            tls12.message.contains("Client and Server"),
            "{}",
            tls12.message
        );
        assert!(tls12.evidence["registry"].contains("Enabled=absent"));
    }

    #[test]
    fn one_side_enabled_fails_that_protocol_only() {
        let mut s = compliant_snapshot();
        let keys = &mut edit(&mut s.host_settings).schannel;
        let server = keys
            .iter_mut()
            .find(|k| k.protocol == "TLS 1.0" && k.side == "Server")
            .unwrap();
        server.enabled = Some(1);
        let f = run(&CHECK, &s);
        let tls10 = by_key(&f, "tls_protocol:tls 1.0");
        assert_eq!(tls10.status, Status::Fail);
        assert!(tls10.message.contains("\\Server"));
        assert_eq!(f.iter().filter(|f| f.status == Status::Fail).count(), 1);
    }

    #[test]
    fn unread_registry_is_unknown() {
        let mut s = compliant_snapshot();
        s.host_settings = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
