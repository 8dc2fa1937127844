//! X09 – operating-system level hardening: Force Encryption, the encryption certificate, the
//! other clients' sessions, and a host attestation.

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
        pass: "Force Encryption on; with it, a certificate configured (`tls_certificate:instance`); no other client's TCP session unencrypted at audit time (`connection:clients`)",
        fail_or_warn: "WARN: Force Encryption off; WARN: Force Encryption on with no certificate configured (SQL Server uses a self-signed one); WARN: other clients' TCP sessions unencrypted (their addresses listed); WARN: the audit itself connected with `encrypt: \"off\"` (login-only TLS, key `connection:audit`)",
        other: "UNKNOWN: Force Encryption, the certificate or the sessions unreadable; REVIEW: one host-firewall attestation row",
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
    reads: &[
        FactId::ForceEncryption,
        FactId::TlsCertificate,
        FactId::Connections,
    ],
    placement: &[
        on_row("instance", Sheet::AuditSettings, "setting:force_encryption"),
        on_row(
            "connection",
            Sheet::AuditSettings,
            "setting:audit_connection",
        ),
        on_row(
            "tls_certificate",
            Sheet::AuditSettings,
            "setting:force_encryption",
        ),
        on("attestation", Sheet::AuditSettings),
    ],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Force Encryption (an instance setting, key `instance:`) on → PASS, off → WARN, unreadable →
/// UNKNOWN;
/// plus one REVIEW attestation row for the host firewall (`attestation:host_firewall`);
/// with Force Encryption on, the configured certificate (`tls_certificate:instance`): a
/// thumbprint → PASS, none → WARN (self-signed); the other clients' TCP sessions
/// (`connection:clients`): none unencrypted → PASS, some → WARN naming their addresses.
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
            .ev(
                "certificate",
                match &s.tls_certificate {
                    Ok(Some(thumbprint)) => thumbprint.clone(),
                    Ok(None) => "none (self-signed)".to_owned(),
                    Err(_) => "unread".to_owned(),
                },
            )
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
    out.extend(certificate(check, s));
    out.extend(client_sessions(check, s));
    out
}

/// With Force Encryption on, which certificate encrypts the sessions. CIS 7.4, VA1220 and the
/// STIG (SQL6-D0-008200: passwords only in encrypted form, with a certificate the
/// organisation trusts) all expect a certificate chosen for the server: with the registry
/// value `Certificate` empty, SQL Server generates a self-signed certificate at each start,
/// which clients cannot validate, so TLS stops only passive eavesdropping.
fn certificate(check: &Check, s: &Snapshot) -> Option<Finding> {
    if s.force_encryption != Ok(true) {
        return None;
    }
    let configured = s.tls_certificate.as_ref().ok()?;
    let draft = |status| {
        check
            .finding(
                status,
                "tls_certificate",
                format!("{}: encryption certificate", instance_name(s)),
                entity_key("tls_certificate", &["instance"]),
            )
            .ev("force_encryption", "yes")
    };
    Some(match configured {
        // mssql-conf keeps the certificate (network.tlscert) in mssql.conf, out of T-SQL's reach.
        None if on_linux(s) => draft(Status::Review)
            .ev("certificate", "not readable (mssql-conf network.tlscert)")
            .message(format!(
                "{} forces encryption; on Linux its certificate is set in mssql.conf \
                 (mssql-conf network.tlscert), which T-SQL cannot read: confirm it names a \
                 certificate from an authority the clients trust, not a self-signed one.",
                instance_name(s)
            ))
            .done(),
        Some(thumbprint) => draft(Status::Pass)
            .ev("certificate", thumbprint)
            .message(format!(
                "{} encrypts connections with the configured certificate {thumbprint}.",
                instance_name(s)
            ))
            .done(),
        None => draft(Status::Warn)
            .ev("certificate", "none (self-signed)")
            .message(format!(
                "{} forces encryption but has no certificate configured: SQL Server uses a self-signed certificate that clients cannot validate. Install a certificate from a trusted authority and select it (SQL Server Configuration Manager, or mssql-conf network.tlscert on Linux).",
                instance_name(s)
            ))
            .done(),
    })
}

/// The other clients' TCP sessions at audit time (`sys.dm_exec_connections.encrypt_option`,
/// the audit's own session left out): CIS 7.4 and VA1220 look for sessions that are not
/// encrypted. A snapshot, not a guarantee: a client that was not connected is not seen.
fn client_sessions(check: &Check, s: &Snapshot) -> Option<Finding> {
    let groups = s.connections.as_ref().ok()?;
    let mut clear: Vec<(&str, i64)> = Vec::new();
    for g in groups
        .iter()
        .filter(|g| g.transport.eq_ignore_ascii_case("TCP") && !g.encrypted)
    {
        match clear.iter_mut().find(|(a, _)| *a == g.client_address) {
            Some((_, n)) => *n += g.count,
            None => clear.push((&g.client_address, g.count)),
        }
    }
    let tcp: i64 = groups
        .iter()
        .filter(|g| g.transport.eq_ignore_ascii_case("TCP"))
        .map(|g| g.count)
        .sum();
    let forced = s.force_encryption == Ok(true);
    let draft = |status| {
        check
            .finding(
                status,
                "connection",
                format!("{}: client sessions", instance_name(s)),
                entity_key("connection", &["clients"]),
            )
            .ev("tcp_sessions", tcp)
            .ev(
                "force_encryption",
                match &s.force_encryption {
                    Ok(true) => "yes",
                    Ok(false) => "no",
                    Err(_) => "unread",
                },
            )
    };
    if tcp == 0 {
        return Some(
            draft(Status::Info)
                .message(format!(
                    "No other client had a TCP session on {} at audit time: nothing to judge.",
                    instance_name(s)
                ))
                .done(),
        );
    }
    if clear.is_empty() {
        return Some(
            draft(Status::Pass)
                .message(format!(
                    "Every other client's TCP session on {} was encrypted at audit time ({tcp}).",
                    instance_name(s)
                ))
                .done(),
        );
    }
    let sessions: i64 = clear.iter().map(|(_, n)| n).sum();
    let list: Vec<String> = clear
        .iter()
        .map(|(address, n)| format!("{address} ({n})"))
        .collect();
    let why = if forced {
        "although Force Encryption is set (it takes effect when the service restarts)"
    } else {
        "and Force Encryption is off"
    };
    Some(
        draft(Status::Warn)
            .ev("unencrypted_sessions", sessions)
            .ev("unencrypted_clients", list.join(", "))
            .message(format!(
                "{sessions} TCP session(s) of other clients on {} were not encrypted at audit time, {why}: {}. Their logins and data cross the network in clear; set Force Encryption with a trusted certificate, or make these clients request encryption.",
                instance_name(s),
                list.join(", ")
            ))
            .done(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::ConnectionGroup;

    #[test]
    fn an_audit_with_encrypt_off_is_itself_a_finding() {
        let mut s = compliant_snapshot();
        s.connection.encrypted = false;
        let f = run(&CHECK, &s);
        // B13 added the certificate and client-session rows after the original three.
        assert_eq!(
            statuses(&f),
            [
                Status::Pass,
                Status::Review,
                Status::Warn,
                Status::Pass,
                Status::Pass
            ]
        );
        assert_eq!(f[2].entity_key, "connection:audit");
    }

    #[test]
    fn forced_encryption_passes_with_attestation() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(
            statuses(&f),
            [Status::Pass, Status::Review, Status::Pass, Status::Pass]
        );
        assert_eq!(f[1].entity_key, "attestation:host_firewall");
        assert_eq!(f[2].entity_key, "tls_certificate:instance");
        assert_eq!(f[3].entity_key, "connection:clients");
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

    #[test]
    fn forced_encryption_without_a_certificate_warns() {
        let mut s = compliant_snapshot();
        s.tls_certificate = Ok(None);
        let f = run(&CHECK, &s);
        let hit = by_key(&f, "tls_certificate:instance");
        assert_eq!(hit.status, Status::Warn);
        assert!(hit.message.contains("self-signed"));
        // Without Force Encryption the certificate is evidence on the setting's WARN.
        s.force_encryption = Ok(false);
        let f = run(&CHECK, &s);
        assert!(f.iter().all(|f| f.entity_key != "tls_certificate:instance"));
        assert_eq!(
            by_key(&f, "instance:").evidence["certificate"],
            "none (self-signed)"
        );
    }

    #[test]
    fn unencrypted_client_sessions_warn_with_their_addresses() {
        let mut s = compliant_snapshot();
        s.force_encryption = Ok(false);
        edit(&mut s.connections).extend([
            ConnectionGroup {
                transport: "TCP".to_owned(),
                auth_scheme: "SQL".to_owned(),
                encrypted: false,
                client_address: "10.0.0.50".to_owned(),
                count: 3,
            },
            ConnectionGroup {
                transport: "Shared memory".to_owned(),
                auth_scheme: "NTLM".to_owned(),
                encrypted: false,
                client_address: "<local machine>".to_owned(),
                count: 1,
            },
        ]);
        let f = run(&CHECK, &s);
        let hit = by_key(&f, "connection:clients");
        assert_eq!(hit.status, Status::Warn);
        assert!(hit.message.contains("10.0.0.50 (3)"));
        assert!(!hit.message.contains("local machine"));
        assert!(hit.message.contains("Force Encryption is off"));
        s.force_encryption = Ok(true);
        let f = run(&CHECK, &s);
        assert!(
            by_key(&f, "connection:clients")
                .message
                .contains("restarts")
        );
    }

    #[test]
    fn unreadable_sessions_or_certificate_are_unknown_not_pass() {
        for fact in [FactId::Connections, FactId::TlsCertificate] {
            let mut s = compliant_snapshot();
            deny(&mut s, fact);
            let f = crate::checks::evaluate_one(&CHECK, &s, &policy());
            assert!(
                f.iter()
                    .any(|f| f.status == Status::Unknown && f.message.contains(fact.as_str())),
                "{fact}"
            );
            assert!(
                !f.iter()
                    .any(|f| f.entity_key == "instance:" && f.status == Status::Pass)
            );
        }
    }
}
