//! X16 – `@@SERVERNAME` matches `SERVERPROPERTY('ServerName')`.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// `@@SERVERNAME` comes from the local server entry `sp_addserver` recorded at setup and does
/// not follow a rename of the computer; `SERVERPROPERTY('ServerName')` does (learn.microsoft.com:
/// @@SERVERNAME, Remarks). When they differ, replication, linked servers, jobs and audit
/// records name a machine that no longer exists.
pub const CHECK: Check = Check {
    id: CheckId::new("X16"),
    title: "@@SERVERNAME matches the server's network name",
    severity: Severity::Low,
    rationale: "@@SERVERNAME is the local server name recorded by sp_addserver at setup and does not \
                change when the computer is renamed; SERVERPROPERTY('ServerName') reports the current \
                network name. A mismatch breaks replication, linked-server loops and jobs, and makes \
                audit records and error logs name a server that no longer exists. Fix it with \
                sp_dropserver and sp_addserver '<name>', 'local', then restart the service.",
    outcomes: Outcomes {
        pass: "one row: the two names are equal (case-insensitively)",
        fail_or_warn: "WARN (low): they differ",
        other: "UNKNOWN: SERVERPROPERTY('ServerName') was not returned (or not collected when the snapshot was stored)",
    },
    family: Family::Inventory,
    applies_to: Applicability::ALL,
    references: References {
        dbachecks: &["ServerNameMatch"],
        ..References::NONE
    },
    reads: &[FactId::Server],
    placement: &[on("instance", Sheet::Instances)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Equal (case-insensitive) → PASS; different → WARN low; the property missing → UNKNOWN.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let at_servername = s.server.server_name.trim();
    let draft = |status| {
        check
            .instance_finding(s, status)
            .ev("@@SERVERNAME", at_servername)
            .ev(
                "SERVERPROPERTY('ServerName')",
                s.server
                    .property_server_name
                    .as_deref()
                    .unwrap_or("unknown"),
            )
    };
    let finding = match s.server.property_server_name.as_deref().map(str::trim) {
        None => draft(Status::Unknown).message(
            "SERVERPROPERTY('ServerName') was not read, so @@SERVERNAME cannot be compared with the network name.".to_owned(),
        ),
        Some(network) if same_name(network, at_servername) => draft(Status::Pass)
            .message(format!("@@SERVERNAME `{at_servername}` matches the server's network name.")),
        Some(network) => draft(Status::Warn).message(format!(
            "@@SERVERNAME is `{at_servername}` but the server's network name is `{network}`: the computer was renamed without sp_dropserver / sp_addserver."
        )),
    };
    vec![finding.done()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn matching_names_pass_case_insensitively() {
        let mut s = compliant_snapshot();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Pass]);
        s.server.property_server_name = Some("sqlhost\\prod".to_owned());
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Pass]);
    }

    #[test]
    fn renamed_host_warns_and_missing_property_is_unknown() {
        let mut s = compliant_snapshot();
        s.server.property_server_name = Some("SQLNEW\\PROD".to_owned());
        let f = run(&CHECK, &s);
        assert_eq!((f[0].status, f[0].severity), (Status::Warn, Severity::Low));
        assert!(f[0].message.contains("SQLNEW\\PROD"));
        s.server.property_server_name = None;
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
