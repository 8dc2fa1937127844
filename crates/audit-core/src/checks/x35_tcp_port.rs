//! X35 – the instance listens on a static TCP port other than 1433, one the policy allows.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// The port every scanner tries first is 1433; a dynamic port changes with restarts and cannot
/// be written into a firewall rule. The STIG wants the organisation's ports, CIS a non-default one.
pub const CHECK: Check = Check {
    id: CheckId::new("X35"),
    title: "Static, non-default TCP port",
    severity: Severity::Low,
    rationale: "TCP 1433 is the first port scanners and worms probe. CIS 2.11 asks for another port; \
                the STIG asks that the instance listen only on the ports the organisation allows \
                (thresholds.allowed_tcp_ports; empty: any static port but 1433). A dynamic port \
                changes when the service restarts, so no firewall rule can name it. Read from the \
                instance's registry (SuperSocketNetLib\\Tcp\\IPAll TcpPort and TcpDynamicPorts, what \
                SQL Server Configuration Manager sets); on Linux mssql-conf network.tcpport, 1433 when \
                unset.",
    outcomes: Outcomes {
        pass: "static port(s), none of them 1433 unless allowed, all in `thresholds.allowed_tcp_ports` when it is set",
        fail_or_warn: "WARN (low): dynamic port; port 1433 not allowed by the policy; a port outside `thresholds.allowed_tcp_ports`",
        other: "UNKNOWN: the registry settings could not be read, or neither value is present (Windows)",
    },
    family: Family::Network,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("2.11")],
        stig_2022: &["SQLI-22-007700"],
        dbachecks: &["NonStandardPort"],
        ..References::NONE
    },
    reads: &[FactId::InstanceSettings],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// The ports in a registry value: comma-separated, blanks ignored.
fn ports(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Dynamic ports on (TcpDynamicPorts set) → WARN; static ports: 1433 not allowed → WARN, a port
/// outside a non-empty allowed list → WARN, else PASS. Neither value → UNKNOWN on Windows, 1433
/// on Linux (mssql-conf's default).
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(settings) = gaps.take("instance_settings", &s.instance_settings) else {
        return gaps.only_unknown(check, s);
    };
    let linux = on_linux(s);
    let mut fixed = ports(settings.tcp_port.as_deref());
    let dynamic = ports(settings.tcp_dynamic_ports.as_deref());
    if fixed.is_empty() && dynamic.is_empty() && linux {
        fixed.push("1433".to_owned());
    }
    let allowed: Vec<String> = policy
        .allowed_tcp_ports
        .iter()
        .map(u16::to_string)
        .collect();
    let policy_text = if allowed.is_empty() {
        "any static port but 1433".to_owned()
    } else {
        allowed.join(", ")
    };
    let draft = |status| {
        check
            .instance_finding(s, status)
            .ev("tcp_port", fixed.join(","))
            .ev("tcp_dynamic_ports", dynamic.join(","))
            .ev("policy.allowed_tcp_ports", &policy_text)
    };
    let name = instance_name(s);
    let finding = if fixed.is_empty() && dynamic.is_empty() {
        draft(Status::Unknown)
            .message(format!(
                "Neither a static nor a dynamic TCP port is configured for {name} in the registry."
            ))
            .done()
    } else if !dynamic.is_empty() {
        draft(Status::Warn)
            .message(format!(
                "{name} uses a dynamic TCP port, which changes when the service restarts: set a \
                 static port (policy: {policy_text}) in SQL Server Configuration Manager (TCP/IP, \
                 IPAll) and clear TCP Dynamic Ports."
            ))
            .done()
    } else {
        let refused: Vec<&String> = fixed
            .iter()
            .filter(|p| {
                if allowed.is_empty() {
                    p.as_str() == "1433"
                } else {
                    !allowed.contains(p)
                }
            })
            .collect();
        if refused.is_empty() {
            draft(Status::Pass)
                .message(format!(
                    "{name} listens on static TCP port {} (policy: {policy_text}).",
                    fixed.join(", ")
                ))
                .done()
        } else {
            let list: Vec<&str> = refused.iter().map(|p| p.as_str()).collect();
            draft(Status::Warn)
                .message(format!(
                    "{name} listens on TCP port {}, which the policy does not allow ({policy_text}): \
                     move it to an allowed port{}.",
                    list.join(", "),
                    if linux {
                        " (mssql-conf set network.tcpport)"
                    } else {
                        " in SQL Server Configuration Manager (TCP/IP, IPAll)"
                    }
                ))
                .done()
        }
    };
    vec![finding]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn static_non_default_port_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).evidence["tcp_port"], "51433");
    }

    #[test]
    fn default_port_warns_unless_allowed() {
        let mut s = compliant_snapshot();
        edit(&mut s.instance_settings).tcp_port = Some("1433".to_owned());
        let f = run(&CHECK, &s);
        assert_eq!(single(&f, Status::Warn).severity, Severity::Low);
        let mut pol = policy();
        pol.allowed_tcp_ports = vec![1433];
        single(&(CHECK.rule)(&CHECK, &s, &pol), Status::Pass);
    }

    #[test]
    fn port_outside_the_allowed_list_warns() {
        let s = compliant_snapshot();
        let mut pol = policy();
        pol.allowed_tcp_ports = vec![1500, 1501];
        let f = (CHECK.rule)(&CHECK, &s, &pol);
        let f = single(&f, Status::Warn);
        assert_eq!(f.evidence["policy.allowed_tcp_ports"], "1500, 1501");
        pol.allowed_tcp_ports = vec![51433];
        single(&(CHECK.rule)(&CHECK, &s, &pol), Status::Pass);
    }

    #[test]
    fn dynamic_port_warns() {
        let mut s = compliant_snapshot();
        let settings = edit(&mut s.instance_settings);
        settings.tcp_port = Some(String::new());
        settings.tcp_dynamic_ports = Some("0".to_owned());
        let f = run(&CHECK, &s);
        assert!(single(&f, Status::Warn).message.contains("dynamic"));
    }

    #[test]
    fn nothing_configured_is_unknown_on_windows_and_1433_on_linux() {
        let mut s = compliant_snapshot();
        let settings = edit(&mut s.instance_settings);
        settings.tcp_port = None;
        settings.tcp_dynamic_ports = None;
        single(&run(&CHECK, &s), Status::Unknown);
        edit(&mut s.host).platform = "Linux".to_owned();
        let f = run(&CHECK, &s);
        let f = single(&f, Status::Warn);
        assert_eq!(f.evidence["tcp_port"], "1433");
        assert!(f.message.contains("mssql-conf"), "{}", f.message);
    }

    #[test]
    fn unread_settings_are_unknown() {
        let mut s = compliant_snapshot();
        s.instance_settings = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
