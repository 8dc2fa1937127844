//! X55 – remote Windows-authenticated sessions use Kerberos, not NTLM.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{ConnectionGroup, FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// NTLM where Kerberos should be used means a missing or wrong service principal name (or a
/// client that connects by IP address): NTLM can be relayed and does not authenticate the
/// server to the client. SQL Server says per session which one was used.
pub const CHECK: Check = Check {
    id: CheckId::new("X55"),
    title: "Remote Windows sessions authenticate with Kerberos",
    severity: Severity::Low,
    rationale: "The STIG asks SQL Server to use the most secure authentication method available: for \
                Windows authentication over the network that is Kerberos. A remote session that \
                authenticated with NTLM shows that the instance's service principal name is missing \
                or wrong, or that the client connected by IP address or through an alias: NTLM can be \
                relayed and does not prove the server's identity to the client. Judged from the other \
                clients' sessions open at audit time (sys.dm_exec_connections, TCP only; the audit's \
                own session is left out), so it is a heuristic: a client that was not connected is \
                not seen. Registering the SPN (setspn -L <service account>) is done in Active \
                Directory.",
    outcomes: Outcomes {
        pass: "every remote Windows-authenticated (TCP) session open at audit time used Kerberos",
        fail_or_warn: "WARN (low): remote Windows-authenticated sessions used NTLM; the client addresses and counts are in the evidence",
        other: "INFO: no remote Windows-authenticated session was open at audit time (nothing to judge); UNKNOWN: the sessions could not be read (VIEW SERVER STATE; 2022: VIEW SERVER PERFORMANCE STATE)",
    },
    family: Family::Authentication,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-003800"],
        stig_2022: &["SQLI-22-003800"],
        dbachecks: &["InstanceConnection"],
        ..References::NONE
    },
    reads: &[FactId::Connections],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// The most client addresses named in a message; the evidence lists them all.
const NAMED: usize = 5;

/// WARN when a remote (TCP) session authenticated with NTLM, PASS otherwise.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let Ok(groups) = &s.connections else {
        return Vec::new(); // `reads` makes the UNKNOWN, naming the missing right.
    };
    let remote_windows: Vec<&ConnectionGroup> = groups
        .iter()
        .filter(|g| g.transport.eq_ignore_ascii_case("TCP"))
        .filter(|g| {
            g.auth_scheme.eq_ignore_ascii_case("NTLM")
                || g.auth_scheme.eq_ignore_ascii_case("KERBEROS")
        })
        .collect();
    let count = |scheme: &str| -> i64 {
        remote_windows
            .iter()
            .filter(|g| g.auth_scheme.eq_ignore_ascii_case(scheme))
            .map(|g| g.count)
            .sum()
    };
    let (ntlm, kerberos) = (count("NTLM"), count("KERBEROS"));
    let mut clients: Vec<(String, i64)> = Vec::new();
    for g in remote_windows
        .iter()
        .filter(|g| g.auth_scheme.eq_ignore_ascii_case("NTLM"))
    {
        match clients.iter_mut().find(|(a, _)| *a == g.client_address) {
            Some(entry) => entry.1 += g.count,
            None => clients.push((g.client_address.clone(), g.count)),
        }
    }
    clients.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let listed: Vec<String> = clients
        .iter()
        .map(|(address, n)| format!("{address} ({n})"))
        .collect();
    let name = instance_name(s);
    let draft = check
        .instance_finding(
            s,
            if ntlm > 0 {
                Status::Warn
            } else if kerberos > 0 {
                Status::Pass
            } else {
                // Nothing was observed: said, never claimed as compliance.
                Status::Info
            },
        )
        .ev("ntlm_sessions", ntlm)
        .ev("kerberos_sessions", kerberos)
        .ev("audit_connection_auth_scheme", &s.connection.auth_scheme);
    let finding = if ntlm > 0 {
        let shown = listed.iter().take(NAMED).cloned().collect::<Vec<_>>();
        let more = listed.len().saturating_sub(NAMED);
        draft
            .message(format!(
                "{name}: {ntlm} remote Windows-authenticated session{} used NTLM instead of Kerberos, from {}{}. Check the instance's SPN (setspn -L <service account>) and that clients connect by the registered host name.",
                if ntlm == 1 { "" } else { "s" },
                shown.join(", "),
                if more > 0 { format!(" and {more} more client address(es)") } else { String::new() }
            ))
            .ev("ntlm_clients", listed.join(", "))
            .done()
    } else if kerberos > 0 {
        draft
            .message(format!(
                "{name}: all {kerberos} remote Windows-authenticated sessions open at audit time used Kerberos."
            ))
            .done()
    } else {
        draft
            .message(format!(
                "{name}: no remote Windows-authenticated session was open at audit time, so none used NTLM (a heuristic: re-audit while applications are connected to observe them)."
            ))
            .done()
    };
    vec![finding]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn group(transport: &str, scheme: &str, address: &str, count: i64) -> ConnectionGroup {
        ConnectionGroup {
            transport: transport.into(),
            auth_scheme: scheme.into(),
            encrypted: false,
            client_address: address.into(),
            count,
        }
    }

    #[test]
    fn kerberos_sessions_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        let f = single(&f, Status::Pass);
        assert_eq!(f.evidence["kerberos_sessions"], "12");
        assert_eq!(f.entity_key, "instance:");
    }

    #[test]
    fn ntlm_over_tcp_warns_naming_the_clients_by_count() {
        let mut s = compliant_snapshot();
        s.connections = Ok(vec![
            group("TCP", "KERBEROS", "10.0.0.21", 3),
            group("TCP", "NTLM", "10.0.0.5", 2),
            group("TCP", "NTLM", "10.0.0.9", 7),
            // Local and SQL-authenticated sessions say nothing about Kerberos.
            group("Shared memory", "NTLM", "<local machine>", 4),
            group("TCP", "SQL", "10.0.0.7", 40),
        ]);
        let f = run(&CHECK, &s);
        let f = single(&f, Status::Warn);
        assert_eq!(f.severity, Severity::Low);
        assert_eq!(f.evidence["ntlm_sessions"], "9");
        assert_eq!(f.evidence["ntlm_clients"], "10.0.0.9 (7), 10.0.0.5 (2)");
        assert!(
            f.message
                .contains("9 remote Windows-authenticated sessions used NTLM")
        );
        assert!(f.message.contains("setspn -L"));
    }

    #[test]
    fn many_clients_are_counted_beyond_the_first_five() {
        let mut s = compliant_snapshot();
        s.connections = Ok((1..=8)
            .map(|i| group("TCP", "NTLM", &format!("10.0.1.{i}"), 1))
            .collect());
        let f = run(&CHECK, &s);
        let f = single(&f, Status::Warn);
        assert!(
            f.message.contains("and 3 more client address(es)"),
            "{}",
            f.message
        );
        assert_eq!(f.evidence["ntlm_clients"].matches(" (1)").count(), 8);
    }

    #[test]
    fn no_remote_windows_session_is_information_not_a_pass() {
        let mut s = compliant_snapshot();
        s.connections = Ok(vec![group("TCP", "SQL", "10.0.0.7", 4)]);
        let f = run(&CHECK, &s);
        assert!(single(&f, Status::Info).message.contains("heuristic"));
    }

    #[test]
    fn unreadable_sessions_are_unknown_never_pass() {
        let f = crate::checks::evaluate_one(&CHECK, &unavailable_snapshot(), &policy());
        assert_eq!(statuses(&f), [Status::Unknown]);
    }
}
