//! X09 – operating-system level hardening: Force Encryption, and a host attestation.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on, on_row};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// What SQL Server can tell about the host's network configuration (Force Encryption, from the
/// registry) plus what it cannot (firewall), as a row someone attests to.
pub const CHECK: Check = Check {
    id: CheckId::new("X09"),
    title: "OS-level hardening (Force Encryption, host firewall)",
    severity: Severity::Medium,
    rationale: "Without Force Encryption, clients may connect unencrypted and credentials and data cross \
                the network in clear text. The host firewall must admit the SQL Server port only from \
                the networks that need it; that cannot be seen from SQL Server and is attested by the \
                host's administrator.",
    outcomes: Outcomes {
        pass: "Force Encryption on",
        fail_or_warn: "WARN: Force Encryption off; WARN: the audit itself connected with `encrypt: \"off\"` (login-only TLS, key `connection:audit`)",
        other: "UNKNOWN: Force Encryption unreadable; REVIEW: one host-firewall attestation row",
    },
    family: Family::Network,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("7.4")],
        stig_2016: &["SQL6-D0-008200"],
        stig_2022: &["SQLI-22-008200"],
        va: &["VA1220", "VA1279"],
        ..References::NONE
    },
    reads: &[FactId::ForceEncryption],
    placement: &[
        on_row("instance", Sheet::AuditSettings, "setting:force_encryption"),
        on_row(
            "connection",
            Sheet::AuditSettings,
            "setting:audit_connection",
        ),
        on("attestation", Sheet::AuditSettings),
    ],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Force Encryption (an instance setting, key `instance:`) on → PASS, off → WARN, unreadable →
/// UNKNOWN;
/// plus one REVIEW attestation row for the host firewall (`attestation:host_firewall`).
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let force = match &s.force_encryption {
        Ok(true) => check
            .instance_finding(s, Status::Pass)
            .message(format!("{} forces encrypted connections.", instance_name(s)))
            .ev("force_encryption", "yes")
            .done(),
        Ok(false) => check
            .instance_finding(s, Status::Warn)
            .message(format!(
                "{} does not force encryption: clients may connect in clear text. Install a trusted certificate and set Force Encryption.",
                instance_name(s)
            ))
            .ev("force_encryption", "no")
            .ev("audit_session_encrypted", yes_no(s.connection.encrypted))
            .done(),
        Err(why) => check
            .instance_finding(s, Status::Unknown)
            .message(format!(
                "Whether {} forces encryption could not be read: {}.",
                instance_name(s),
                why.reason
            ))
            .ev("unavailable.force_encryption", &why.reason)
            .done(),
    };
    let host = match &s.host {
        Ok(h) => format!("{} {}", h.platform, h.distribution),
        Err(_) => "unknown host".to_owned(),
    };
    let attestation = check
        .finding(
            Status::Review,
            "attestation",
            format!("{}: host firewall", instance_name(s)),
            entity_key("attestation", &["host_firewall"]),
        )
        .message(format!(
            "Attest that the firewall of {} ({host}) admits the SQL Server port only from the networks that need it.",
            instance_name(s)
        ))
        .ev("host", host)
        .done();
    let mut out = vec![force, attestation];
    // The audit's own connection: `encrypt: "off"` (login-only TLS, for servers that speak
    // only legacy TLS) is itself a finding, whatever the server's setting.
    if !s.connection.encrypted {
        out.push(
            check
                .finding(
                    Status::Warn,
                    "connection",
                    format!("{}: audit connection", instance_name(s)),
                    entity_key("connection", &["audit"]),
                )
                .message(format!(
                    "The audit reached {} with encrypt \"off\": only the login was encrypted, the audit's queries and results crossed the network in clear. The server likely speaks only legacy TLS; update it (or its TLS configuration) and set encrypt \"on\".",
                    instance_name(s)
                ))
                .ev("audit_session_encrypted", "no")
                .done(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn an_audit_with_encrypt_off_is_itself_a_finding() {
        let mut s = compliant_snapshot();
        s.connection.encrypted = false;
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Pass, Status::Review, Status::Warn]);
        assert_eq!(f[2].entity_key, "connection:audit");
    }

    #[test]
    fn forced_encryption_passes_with_attestation() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(statuses(&f), [Status::Pass, Status::Review]);
        assert_eq!(f[1].entity_key, "attestation:host_firewall");
        assert!(f[1].message.contains("SQLHOST\\PROD"));
    }

    #[test]
    fn not_forced_warns() {
        let mut s = compliant_snapshot();
        s.force_encryption = Ok(false);
        let f = run(&CHECK, &s);
        let f = by_key(&f, "instance:");
        assert_eq!((f.status, f.severity), (Status::Warn, Severity::Medium));
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.force_encryption = denied();
        let f = run(&CHECK, &s);
        assert_eq!(by_key(&f, "instance:").status, Status::Unknown);
    }
}
