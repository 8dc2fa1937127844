//! X78 – TDE database encryption keys use AES-256 (STIG SQL6-D0-003200 / SQLD-22-003200).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// TDE is only as strong as the key that encrypts the pages: Triple DES is deprecated and the
/// STIG's NSA-approved cryptography for classified data means AES with 256-bit keys.
pub const CHECK: Check = Check {
    id: CheckId::new("X78"),
    title: "TDE keys use AES-256",
    severity: Severity::Medium,
    rationale: "CREATE DATABASE ENCRYPTION KEY accepts AES_128, AES_192, AES_256 and \
                TRIPLE_DES_3KEY. The STIG requires NSA-approved cryptography where classified \
                data is stored (AES-256); Triple DES is deprecated. The key can be changed online \
                (ALTER DATABASE ENCRYPTION KEY REGENERATE WITH ALGORITHM = AES_256).",
    outcomes: Outcomes {
        pass: "the database encryption key is AES with 256 bits (tempdb's key is SQL Server's)",
        fail_or_warn: "WARN (medium): TRIPLE_DES_3KEY; WARN (low): AES with 128 or 192 bits",
        other: "UNKNOWN: the encryption keys unreadable or their algorithm not read; one PASS row when no database uses TDE",
    },
    family: Family::DataProtection,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-003200"],
        stig_2022: &["SQLD-22-003200"],
        ..References::NONE
    },
    reads: &[FactId::EncryptionKeys],
    placement: &[on("tde_database", Sheet::Encryption)],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Per database encryption key (tempdb excepted): AES/256 → PASS; AES shorter → WARN low;
/// anything else → WARN medium; not read → UNKNOWN.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(keys) = gaps.take("encryption_keys", &s.encryption_keys) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for k in keys.iter().filter(|k| !same_name(&k.database, "tempdb")) {
        let algorithm = k
            .key_algorithm
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_ascii_uppercase();
        let draft = |status| {
            check
                .finding(
                    status,
                    "tde_database",
                    k.database.clone(),
                    entity_key("tde_database", &[&k.database]),
                )
                .ev("key_algorithm", or_unknown(k.key_algorithm.as_deref()))
                .ev("key_length", or_unknown(k.key_length))
        };
        let regenerate = format!(
            "USE [{}]; ALTER DATABASE ENCRYPTION KEY REGENERATE WITH ALGORITHM = AES_256.",
            k.database.replace(']', "]]")
        );
        let finding = match (algorithm.as_str(), k.key_length) {
            ("", _) | (_, None) => draft(Status::Unknown).message(format!(
                "The TDE key algorithm of `{}` was not read.",
                k.database
            )),
            ("AES", Some(256)) => {
                draft(Status::Pass).message(format!("The TDE key of `{}` is AES-256.", k.database))
            }
            ("AES", Some(bits)) => draft(Status::Warn).severity(Severity::Low).message(format!(
                "The TDE key of `{}` is AES-{bits}; the STIG's NSA-approved cryptography means \
                 AES-256 for classified data: {regenerate}",
                k.database
            )),
            (other, _) => draft(Status::Warn).message(format!(
                "The TDE key of `{}` uses {other}, a deprecated algorithm: {regenerate}",
                k.database
            )),
        };
        out.push(finding.done());
    }
    check.pass_if_none(
        &mut out,
        s,
        format!("No database of {} uses TDE.", instance_name(s)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn aes_256_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "tde_database:salesdb");
    }

    #[test]
    fn weaker_keys_warn_and_unread_is_unknown() {
        let mut s = compliant_snapshot();
        let key = &mut edit(&mut s.encryption_keys)[0];
        key.key_length = Some(128);
        let f = run(&CHECK, &s);
        assert_eq!(single(&f, Status::Warn).severity, Severity::Low);
        let key = &mut edit(&mut s.encryption_keys)[0];
        key.key_algorithm = Some("TRIPLE_DES_3KEY".into());
        key.key_length = Some(192);
        let f = run(&CHECK, &s);
        assert_eq!(single(&f, Status::Warn).severity, Severity::Medium);
        edit(&mut s.encryption_keys)[0].key_algorithm = None;
        single(&run(&CHECK, &s), Status::Unknown);
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.encryption_keys = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
