//! X72 – certificates are not expired or about to expire (dbachecks CertificateExpiration).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// SQL Server keeps using an expired certificate for TDE and backup encryption, but endpoints
/// and Service Broker dialogs refuse it, and an expired certificate is a sign that nobody
/// manages the key: rotation has to be planned before the date, not after.
pub const CHECK: Check = Check {
    id: CheckId::new("X72"),
    title: "Certificates not expired or expiring soon",
    severity: Severity::Medium,
    rationale: "An expired certificate stops database mirroring, availability group and Service \
                Broker endpoints that authenticate with it, and says that nobody rotates the keys \
                that protect TDE, backups and signed code. dbachecks warns a month ahead; the \
                window is `thresholds.certificate_warn_days` (default 30). SQL Server's own \
                `##MS_…##` certificates are left out.",
    outcomes: Outcomes {
        pass: "the certificate expires after the warning window",
        fail_or_warn: "WARN (medium): expired, or expiring within `thresholds.certificate_warn_days`",
        other: "UNKNOWN: certificates unreadable, or an expiry date that cannot be read",
    },
    family: Family::DataProtection,
    applies_to: Applicability::ALL,
    references: References {
        dbachecks: &["CertificateExpiration"],
        ..References::NONE
    },
    reads: &[FactId::Certificates],
    placement: &[on("certificate", Sheet::Encryption)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Per certificate: expired → WARN; within the window → WARN; later → PASS; unparsable → UNKNOWN.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(certificates) = gaps.take("certificates", &s.certificates) else {
        return gaps.only_unknown(check, s);
    };
    let now = parse_timestamp(&policy.now);
    let window = i64::from(policy.certificate_warn_days);
    let mut out = Vec::new();
    for cert in certificates.iter().filter(|c| !is_internal_name(&c.name)) {
        let draft = |status| {
            check
                .finding(
                    status,
                    "certificate",
                    format!("{}.{}", cert.database, cert.name),
                    entity_key("certificate", &[&cert.database, &cert.name]),
                )
                .ev("expiry", &cert.expiry)
                .ev("warn_days", window)
        };
        let finding = match (parse_timestamp(&cert.expiry), now) {
            (Some(expiry), Some(now)) => {
                let days = (expiry - now).div_euclid(86_400);
                if days < 0 {
                    draft(Status::Warn).message(format!(
                        "Certificate `{}` in `{}` expired on {} ({} days ago). Create a new one, move what \
                         it protects (TDE key, backups, endpoints, signatures) to it, back it up, then drop the old one.",
                        cert.name, cert.database, cert.expiry, -days
                    ))
                } else if days <= window {
                    draft(Status::Warn).message(format!(
                        "Certificate `{}` in `{}` expires on {} (in {days} days): plan its rotation now.",
                        cert.name, cert.database, cert.expiry
                    ))
                } else {
                    draft(Status::Pass).message(format!(
                        "Certificate `{}` in `{}` expires on {}.",
                        cert.name, cert.database, cert.expiry
                    ))
                }
            }
            _ => draft(Status::Unknown).message(format!(
                "The expiry date `{}` of certificate `{}` in `{}` cannot be read.",
                cert.expiry, cert.name, cert.database
            )),
        };
        out.push(finding.done());
    }
    check.pass_if_none(
        &mut out,
        s,
        format!("{} has no certificate of its own.", instance_name(s)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn far_expiry_passes_soon_and_past_warn() {
        let mut s = compliant_snapshot();
        let certs = edit(&mut s.certificates);
        certs.clear();
        certs.push(certificate("master", "Far"));
        let mut soon = certificate("master", "Soon");
        // NOW is 2025-12-01 12:00.
        soon.expiry = "2025-12-11 00:00:00".into();
        certs.push(soon);
        let mut old = certificate("SalesDB", "Old");
        old.expiry = "2025-11-28 00:00:00".into();
        certs.push(old);
        let mut odd = certificate("SalesDB", "Odd");
        odd.expiry = "soon".into();
        certs.push(odd);
        let f = run(&CHECK, &s);
        assert_eq!(by_key(&f, "certificate:master/far").status, Status::Pass);
        assert_eq!(by_key(&f, "certificate:master/soon").status, Status::Warn);
        let old = by_key(&f, "certificate:salesdb/old");
        assert_eq!(old.status, Status::Warn);
        assert!(old.message.contains("expired"));
        assert_eq!(
            by_key(&f, "certificate:salesdb/odd").status,
            Status::Unknown
        );
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.certificates = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
