//! X79 – database master keys reviewed: protected by the service master key, password
//! documented (STIG SQL6-D0-001600 / SQLD-22-001600, SQL6-D0-001700 / SQLD-22-001700).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on_row};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// The database master key protects every certificate and key of its database; whoever holds
/// its password can open them all.
pub const CHECK: Check = Check {
    id: CheckId::new("X79"),
    title: "Database master keys reviewed",
    severity: Severity::Low,
    rationale: "A database master key (DMK) is encrypted by a password and, by default, by the \
                service master key so the server can open it without the password. The STIG wants \
                the DMK encrypted by the service master key where a DMK is required and no other \
                method is documented (SQL6-D0-001700), and its password to meet DoD complexity \
                (SQL6-D0-001600) — which no query can see. Each DMK is therefore a review item \
                saying how it is protected.",
    outcomes: Outcomes {
        pass: "one row: no database master key in any database read",
        fail_or_warn: "none: the rule asks for a review",
        other: "REVIEW (low): each database master key, with whether the service master key encrypts it; UNKNOWN: the databases unreadable",
    },
    family: Family::DataProtection,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-001600", "SQL6-D0-001700"],
        stig_2022: &["SQLD-22-001600", "SQLD-22-001700"],
        ..References::NONE
    },
    reads: &[FactId::Databases, FactId::DatabaseDetails],
    placement: &[on_row("key", Sheet::Instances, "instance:")],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per database holding `##MS_DatabaseMasterKey##` → REVIEW naming its protection.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let databases = gaps.take("databases", &s.databases);
    let details = gaps.take("database_details", &s.database_details);
    let (Some(databases), Some(details)) = (databases, details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details {
        if !d.keys.iter().any(|k| k.name == "##MS_DatabaseMasterKey##") {
            continue;
        }
        let by_server = databases
            .iter()
            .find(|db| db.name == d.database)
            .and_then(|db| db.master_key_encrypted_by_server);
        let protection = match by_server {
            Some(true) => "a password and the service master key",
            Some(false) => {
                "a password only (the service master key cannot open it; whoever opens it needs the password)"
            }
            None => "a password (whether the service master key also encrypts it was not read)",
        };
        out.push(
            check
                .finding(
                    Status::Review,
                    "key",
                    format!("{}.##MS_DatabaseMasterKey##", d.database),
                    entity_key("key", &[&d.database, "##MS_DatabaseMasterKey##"]),
                )
                .ev("database", &d.database)
                .ev(
                    "encrypted_by_service_master_key",
                    or_unknown(by_server.map(yes_no)),
                )
                .message(format!(
                    "The database master key of `{}` is protected by {protection}. Confirm the \
                     protection is the documented one (STIG: by the service master key unless \
                     another method is specified) and that its password meets the complexity rules \
                     and is kept where the recovery plan says.",
                    d.database
                ))
                .done(),
        );
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "No database of {} has a database master key.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::DatabaseKeyInfo;

    fn dmk() -> DatabaseKeyInfo {
        DatabaseKeyInfo {
            name: "##MS_DatabaseMasterKey##".into(),
            kind: "SYMMETRIC".into(),
            algorithm: Some("AES_256".into()),
            key_length: Some(256),
        }
    }

    #[test]
    fn no_master_key_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn each_master_key_is_reviewed_with_its_protection() {
        let mut s = compliant_snapshot();
        edit(&mut s.database_details)[0].keys.push(dmk());
        edit(&mut s.database_details)[4].keys.push(dmk());
        edit(&mut s.databases)[0].master_key_encrypted_by_server = Some(true);
        let f = run(&CHECK, &s);
        assert!(
            by_key(&f, "key:master/##ms_databasemasterkey##")
                .message
                .contains("and the service master key")
        );
        assert!(
            by_key(&f, "key:salesdb/##ms_databasemasterkey##")
                .message
                .contains("password only")
        );
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
