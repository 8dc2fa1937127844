//! R14 – no default instance.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// A default instance listens on the well-known port 1433 and name, the first thing scanners
/// probe.
pub const CHECK: Check = Check {
    id: CheckId::new("R14"),
    title: "Named instance (no default instance)",
    severity: Severity::Medium,
    rationale: "A default instance (MSSQLSERVER) is reachable by host name alone on TCP 1433, the first \
                port every scanner and worm tries. Instances must be named (and use non-default ports). \
                SQL Server on Linux and in containers supports only the default instance: there it is \
                shown as INFO.",
    outcomes: Outcomes {
        pass: "named instance",
        fail_or_warn: "FAIL: default instance (MSSQLSERVER)",
        other: "INFO: default instance on Linux, where named instances do not exist",
    },
    family: Family::Network,
    applies_to: Applicability::ALL,
    references: References::NONE,
    reads: &[FactId::Host],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Named instance → PASS; default instance → FAIL; default instance on Linux (where named
/// instances do not exist) → INFO.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let named = s
        .server
        .instance_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case("MSSQLSERVER"));
    let linux = match &s.host {
        Ok(h) => h.platform.eq_ignore_ascii_case("Linux"),
        Err(_) => s.server.version_text.to_lowercase().contains("linux"),
    };
    let (status, message) = match named {
        Some(n) => (
            Status::Pass,
            format!("{} is the named instance `{n}`.", instance_name(s)),
        ),
        None if linux => (
            Status::Info,
            format!(
                "{} is a default instance on Linux, where named instances are not supported.",
                instance_name(s)
            ),
        ),
        None => (
            Status::Fail,
            format!(
                "{} is a default instance (MSSQLSERVER): migrate to a named instance.",
                instance_name(s)
            ),
        ),
    };
    vec![
        check
            .instance_finding(s, status)
            .message(message)
            .ev("instance_name", named.unwrap_or("(default)"))
            .ev("linux", yes_no(linux))
            .done(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn named_passes() {
        assert!(
            single(&run(&CHECK, &compliant_snapshot()), Status::Pass)
                .message
                .contains("PROD")
        );
    }

    #[test]
    fn default_fails() {
        let mut s = compliant_snapshot();
        s.server.instance_name = None;
        s.server.server_name = "SQLHOST".to_owned();
        let f = run(&CHECK, &s);
        let f = single(&f, Status::Fail);
        assert_eq!(f.severity, Severity::Medium);
        assert!(f.message.contains("SQLHOST"));
        s.server.instance_name = Some("MSSQLSERVER".to_owned());
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Fail]);
    }

    #[test]
    fn default_on_linux_is_info() {
        let mut s = compliant_snapshot();
        s.server.instance_name = None;
        edit(&mut s.host).platform = "Linux".to_owned();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Info]);
        s.host = denied();
        s.server.version_text = "Microsoft SQL Server 2022 ... on Linux (Ubuntu 22.04)".to_owned();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Info]);
    }
}
