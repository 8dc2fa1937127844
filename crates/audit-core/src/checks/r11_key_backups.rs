//! R11 – certificates with a private key, and the certificates protecting TDE, are backed up.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{CertificateInfo, FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// A private key that was never backed up is lost with the server; for TDE that means every
/// backup of the database is unrestorable anywhere else.
pub const CHECK: Check = Check {
    id: CheckId::new("R11"),
    title: "Certificate and TDE key backups",
    severity: Severity::High,
    rationale: "Keys and certificates must be backed up and the backups kept safe. A certificate whose \
                private key was never backed up cannot be recovered if the server is lost; when it \
                protects a TDE database, that database's backups cannot be restored on any other server. \
                SQL Server 2012+ records the last private-key backup; older versions cannot be evaluated.",
    outcomes: Outcomes {
        pass: "the private key was backed up (per certificate, per TDE database's certificate); one row when there is nothing to back up",
        fail_or_warn: "FAIL: private key never backed up; for a TDE database: its certificate never backed up; WARN (medium): backed up longer ago than `thresholds.key_backup_max_age_days` (when set). A certificate that encrypted the latest full backup of a database says so",
        other: "UNKNOWN: the version does not record backups (before 2012), TDE certificate not found, or TDE by EKM asymmetric key",
    },
    family: Family::DataProtection,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-001800"],
        stig_2022: &["SQLD-22-001800"],
        sp_blitz: &[21, 119, 202],
        ..References::NONE
    },
    reads: &[FactId::Certificates, FactId::EncryptionKeys],
    placement: &[
        on("certificate", Sheet::Encryption),
        on("tde_database", Sheet::Encryption),
    ],
    remediation: RemediationCategory::Caution,
    rule,
};

/// Per certificate with a private key (Microsoft's `##MS_…##` excluded): backed up → PASS;
/// never → FAIL; not recorded by the version → UNKNOWN. Per TDE database (tempdb excluded): its
/// certificate backed up → PASS; never → FAIL; certificate not found, EKM key or date not
/// recorded → UNKNOWN. Nothing to back up → one PASS.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let mut out = Vec::new();
    let certs = gaps.take("certificates", &s.certificates);
    if let Some(certs) = certs {
        for cert in certs
            .iter()
            .filter(|c| c.has_private_key && !is_internal_name(&c.name))
        {
            out.push(certificate_finding(check, s, policy, cert));
        }
    }
    if let Some(keys) = gaps.take("encryption_keys", &s.encryption_keys)
        && let Some(certs) = certs
    {
        for key in keys
            .iter()
            .filter(|k| (2..=6).contains(&k.state) && !same_name(&k.database, "tempdb"))
        {
            let db = &key.database;
            let cert = key.certificate.as_deref().and_then(|name| {
                certs
                    .iter()
                    .find(|c| same_name(&c.name, name) && same_name(&c.database, "master"))
            });
            let (status, message) = if !key.encryptor_type.eq_ignore_ascii_case("CERTIFICATE") {
                (
                    Status::Unknown,
                    format!(
                        "TDE database `{db}` is protected by an {} (EKM): verify its backup in the key manager.",
                        key.encryptor_type
                    ),
                )
            } else {
                match cert.map(|c| &c.last_backup) {
                    None => (
                        Status::Unknown,
                        format!(
                            "The certificate protecting TDE database `{db}` ({}) was not found in master.",
                            key.certificate.as_deref().unwrap_or("unknown thumbprint")
                        ),
                    ),
                    Some(Some(Some(date))) => (
                        Status::Pass,
                        format!(
                            "TDE database `{db}`: its certificate's private key was backed up on {date}."
                        ),
                    ),
                    Some(Some(None)) => (
                        Status::Fail,
                        format!(
                            "TDE database `{db}`: its certificate's private key was NEVER backed up; the database's backups cannot be restored on another server."
                        ),
                    ),
                    Some(None) => (
                        Status::Unknown,
                        format!(
                            "TDE database `{db}`: this version does not record certificate backups; verify by hand."
                        ),
                    ),
                }
            };
            out.push(
                check
                    .finding(
                        status,
                        "tde_database",
                        db.clone(),
                        entity_key("tde_database", &[db]),
                    )
                    .message(message)
                    .ev("database", db)
                    .ev("encryption_state", key.state)
                    .ev("encryptor_type", &key.encryptor_type)
                    .ev("certificate", key.certificate.as_deref().unwrap_or("-"))
                    .done(),
            );
        }
    }
    let unknown = gaps.unknown(check, s);
    if out.is_empty() && unknown.is_none() {
        out.push(
            check
                .instance_finding(s, Status::Pass)
                .message(format!(
                    "{} has no user certificate with a private key and no TDE database.",
                    instance_name(s)
                ))
                .done(),
        );
    }
    out.extend(unknown);
    out
}

/// The databases whose latest full backup this certificate encrypted (by thumbprint).
fn backups_encrypted_by(s: &Snapshot, cert: &CertificateInfo) -> Vec<String> {
    let Some(thumbprint) = cert.thumbprint.as_deref() else {
        return Vec::new();
    };
    s.databases
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .filter(|d| {
            d.last_full_backup_encryptor
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(thumbprint))
        })
        .map(|d| d.name.clone())
        .collect()
}

/// One certificate's verdict: backed up (within `thresholds.key_backup_max_age_days` when
/// set) → PASS, older → WARN, never → FAIL, not recorded → UNKNOWN; the databases whose
/// backups it encrypts are named.
fn certificate_finding(
    check: &Check,
    s: &Snapshot,
    policy: &Policy,
    cert: &CertificateInfo,
) -> Finding {
    let name = format!("{}.{}", cert.database, cert.name);
    let protects = backups_encrypted_by(s, cert);
    let protects_text = if protects.is_empty() {
        String::new()
    } else {
        format!(
            " It encrypts the backups of {}: they cannot be restored anywhere without it.",
            protects.join(", ")
        )
    };
    let age_days = |date: &str| {
        let now = parse_timestamp(&policy.now)?;
        Some((now - parse_timestamp(date)?).div_euclid(86_400))
    };
    let (status, message) = match &cert.last_backup {
        Some(Some(date)) => match (policy.key_backup_max_age_days, age_days(date)) {
            (Some(max), Some(age)) if age > i64::from(max) => (
                Status::Warn,
                format!(
                    "Certificate `{}` in `{}`: private key last backed up on {date}, {age} days ago \
                     (more than thresholds.key_backup_max_age_days = {max}).{protects_text}",
                    cert.name, cert.database
                ),
            ),
            _ => (
                Status::Pass,
                format!(
                    "Certificate `{}` in `{}`: private key backed up on {date}.{protects_text}",
                    cert.name, cert.database
                ),
            ),
        },
        Some(None) => (
            Status::Fail,
            format!(
                "Certificate `{}` in `{}`: its private key was NEVER backed up.{protects_text}",
                cert.name, cert.database
            ),
        ),
        None => (
            Status::Unknown,
            format!(
                "Certificate `{}` in `{}`: this version does not record private-key backups; verify by hand.{protects_text}",
                cert.name, cert.database
            ),
        ),
    };
    let mut draft = check
        .finding(
            status,
            "certificate",
            name,
            entity_key("certificate", &[&cert.database, &cert.name]),
        )
        .message(message)
        .ev("database", &cert.database)
        .ev("certificate", &cert.name)
        .ev("subject", &cert.subject)
        .ev("expiry", &cert.expiry)
        .ev(
            "last_backup",
            match &cert.last_backup {
                Some(Some(d)) => d.clone(),
                Some(None) => "never".to_owned(),
                None => "not recorded".to_owned(),
            },
        );
    if status == Status::Warn {
        draft = draft.severity(Severity::Medium);
    }
    if !protects.is_empty() {
        draft = draft.ev("encrypts_backups_of", protects.join(", "));
    }
    draft.done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    /// B14: an optional recency window, and the databases whose backups a certificate encrypts.
    #[test]
    fn old_key_backups_warn_when_a_window_is_set_and_backup_certificates_are_named() {
        let mut s = compliant_snapshot();
        let cert = &mut edit(&mut s.certificates)[0];
        cert.thumbprint = Some("0xAB12".into());
        cert.last_backup = Some(Some("2025-01-01 00:00:00".into()));
        edit(&mut s.databases)[4].last_full_backup_encryptor = Some("0xab12".into());
        let f = run(&CHECK, &s);
        let hit = by_key(&f, "certificate:master/tdecert");
        assert_eq!(hit.status, Status::Pass);
        assert_eq!(hit.evidence["encrypts_backups_of"], "SalesDB");
        let mut p = policy();
        p.key_backup_max_age_days = Some(180);
        let f = (CHECK.rule)(&CHECK, &s, &p);
        let hit = by_key(&f, "certificate:master/tdecert");
        assert_eq!((hit.status, hit.severity), (Status::Warn, Severity::Medium));
    }

    #[test]
    fn backed_up_certificate_and_tde_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(
            by_key(&f, "certificate:master/tdecert").status,
            Status::Pass
        );
        assert_eq!(by_key(&f, "tde_database:salesdb").status, Status::Pass);
    }

    #[test]
    fn never_backed_up_fails_for_certificate_and_tde() {
        let mut s = compliant_snapshot();
        edit(&mut s.certificates)[0].last_backup = Some(None);
        let f = run(&CHECK, &s);
        let c = by_key(&f, "certificate:master/tdecert");
        assert_eq!((c.status, c.severity), (Status::Fail, Severity::High));
        assert!(c.message.contains("TDECert"));
        let t = by_key(&f, "tde_database:salesdb");
        assert_eq!(t.status, Status::Fail);
        assert!(t.message.contains("SalesDB"));
    }

    #[test]
    fn not_recorded_is_unknown() {
        let mut s = compliant_snapshot();
        edit(&mut s.certificates)[0].last_backup = None;
        let f = run(&CHECK, &s);
        assert_eq!(
            by_key(&f, "certificate:master/tdecert").status,
            Status::Unknown
        );
        assert_eq!(by_key(&f, "tde_database:salesdb").status, Status::Unknown);
    }

    #[test]
    fn public_key_only_and_internal_certificates_are_skipped() {
        let mut s = compliant_snapshot();
        s.encryption_keys = Ok(vec![]);
        s.certificates = Ok(vec![
            CertificateInfo {
                has_private_key: false,
                last_backup: Some(None),
                ..certificate("master", "Partner")
            },
            CertificateInfo {
                last_backup: Some(None),
                ..certificate("master", "##MS_AgentSigningCertificate##")
            },
        ]);
        let f = run(&CHECK, &s);
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
    }

    #[test]
    fn missing_facts() {
        let mut s = compliant_snapshot();
        s.encryption_keys = denied();
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Pass, Status::Unknown]);
        s.certificates = denied();
        let f = run(&CHECK, &s);
        assert_eq!(single(&f, Status::Unknown).entity_key, "instance:");
    }
}
