//! X77 – symmetric keys use AES and asymmetric keys and certificates have at least 2048 bits
//! (CIS 7.1, 7.2; VA1221, VA1222, VA1223, VA1224; dbachecks SymmetricKeyEncryptionLevel,
//! AsymmetricKeySize).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis, cis2017};
use super::{Sheet, on, on_row};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// The smallest RSA key the benchmarks accept.
const MIN_RSA_BITS: i64 = 2048;

/// DES, Triple DES, RC2, RC4 and DESX are broken or deprecated; 512- and 1024-bit RSA can be
/// factored with resources an attacker can rent.
pub const CHECK: Check = Check {
    id: CheckId::new("X77"),
    title: "Encryption keys use AES and RSA of 2048 bits or more",
    severity: Severity::High,
    rationale: "Data encrypted with a symmetric key is as safe as its algorithm: DES, RC2, RC4, \
                DESX and Triple DES are deprecated (Microsoft: CREATE SYMMETRIC KEY) and CIS 7.1 \
                wants AES_128 or stronger. A database master key created before SQL Server 2012 \
                stays TRIPLE_DES until it is regenerated. Asymmetric keys (CIS 7.2) and \
                certificates (VA1223, `key_length` from SQL Server 2016) need at least 2048 bits. \
                SQL Server's own `##MS_…##` certificates are left out.",
    outcomes: Outcomes {
        pass: "the key uses AES, or has at least 2048 bits",
        fail_or_warn: "FAIL (high): a symmetric key (the database master key included) not AES; an asymmetric key or a certificate under 2048 bits",
        other: "INFO: a TRIPLE_DES master key before SQL Server 2012 (the only algorithm then); UNKNOWN: keys or certificates unreadable, or a certificate before SQL Server 2016 (no key length reported)",
    },
    family: Family::DataProtection,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("7.1"), cis("7.2"), cis2017("7.1"), cis2017("7.2")],
        va: &["VA1221", "VA1222", "VA1223", "VA1224"],
        dbachecks: &["SymmetricKeyEncryptionLevel", "AsymmetricKeySize"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails, FactId::Certificates],
    placement: &[
        on_row("key", Sheet::Instances, "instance:"),
        on("certificate", Sheet::Encryption),
    ],
    remediation: RemediationCategory::Manual,
    rule,
};

/// Whether a symmetric key's `algorithm_desc` is AES.
fn is_aes(algorithm: &str) -> bool {
    algorithm.trim().to_ascii_uppercase().starts_with("AES")
}

/// Per symmetric key: AES → PASS, else FAIL; per asymmetric key and certificate: ≥ 2048 bits
/// → PASS, else FAIL; a length not read → no verdict for certificates (before 2016), UNKNOWN
/// for keys.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let details = gaps.take("database_details", &s.database_details);
    let certificates = gaps.take("certificates", &s.certificates);
    let mut out = Vec::new();
    for d in details.into_iter().flatten() {
        for k in &d.keys {
            let symmetric = k.kind.eq_ignore_ascii_case("SYMMETRIC");
            let algorithm = k.algorithm.as_deref().unwrap_or("");
            let draft = |status| {
                check
                    .finding(
                        status,
                        "key",
                        format!("{}.{}", d.database, k.name),
                        entity_key("key", &[&d.database, &k.name]),
                    )
                    .ev("database", &d.database)
                    .ev("kind", &k.kind)
                    .ev("algorithm", or_unknown(k.algorithm.as_deref()))
                    .ev("key_length", or_unknown(k.key_length))
            };
            let finding = if symmetric {
                if is_aes(algorithm) {
                    draft(Status::Pass).message(format!(
                        "Symmetric key `{}` in `{}` uses {algorithm}.",
                        k.name, d.database
                    ))
                } else if algorithm.is_empty() {
                    draft(Status::Unknown).message(format!(
                        "The algorithm of symmetric key `{}` in `{}` was not read.",
                        k.name, d.database
                    ))
                } else if (k.name == "##MS_DatabaseMasterKey##"
                    || k.name == "##MS_ServiceMasterKey##")
                    && s.server.version.major < 11
                {
                    // Before SQL Server 2012 the master keys can only be TRIPLE_DES
                    // (learn.microsoft.com: CREATE MASTER KEY): nothing to fix on this release.
                    draft(Status::Info).message(format!(
                        "The {} of `{}` is {algorithm}, the only algorithm before SQL Server 2012. \
                         After an upgrade, regenerate it with AES (ALTER {} KEY REGENERATE …).",
                        if k.name.contains("Service") {
                            "service master key"
                        } else {
                            "database master key"
                        },
                        d.database,
                        if k.name.contains("Service") {
                            "SERVICE MASTER"
                        } else {
                            "MASTER"
                        }
                    ))
                } else if k.name == "##MS_DatabaseMasterKey##"
                    || k.name == "##MS_ServiceMasterKey##"
                {
                    draft(Status::Fail).message(format!(
                        "The {} of `{}` is still {algorithm} (made before SQL Server 2012): regenerate it \
                         with AES (ALTER {} KEY REGENERATE …) after backing it up.",
                        if k.name.contains("Service") { "service master key" } else { "database master key" },
                        d.database,
                        if k.name.contains("Service") { "SERVICE MASTER" } else { "MASTER" }
                    ))
                } else {
                    draft(Status::Fail).message(format!(
                        "Symmetric key `{}` in `{}` uses {algorithm}, a deprecated algorithm: create an \
                         AES_256 key, re-encrypt the data with it, then drop this one.",
                        k.name, d.database
                    ))
                }
            } else {
                match k.key_length {
                    Some(bits) if bits >= MIN_RSA_BITS => draft(Status::Pass).message(format!(
                        "Asymmetric key `{}` in `{}` has {bits} bits.",
                        k.name, d.database
                    )),
                    Some(bits) => draft(Status::Fail).message(format!(
                        "Asymmetric key `{}` in `{}` has only {bits} bits: replace it with a key of at \
                         least {MIN_RSA_BITS} bits.",
                        k.name, d.database
                    )),
                    None => draft(Status::Unknown).message(format!(
                        "The length of asymmetric key `{}` in `{}` was not read.",
                        k.name, d.database
                    )),
                }
            };
            out.push(finding.done());
        }
    }
    for c in certificates
        .into_iter()
        .flatten()
        .filter(|c| !is_internal_name(&c.name))
    {
        let Some(bits) = c.key_length else {
            out.push(
                check
                    .finding(
                        Status::Unknown,
                        "certificate",
                        format!("{}.{}", c.database, c.name),
                        entity_key("certificate", &[&c.database, &c.name]),
                    )
                    .message(format!(
                        "The key length of certificate `{}` in `{}` is not reported before SQL Server \
                         2016: check it from the certificate file (or its backup).",
                        c.name, c.database
                    ))
                    .done(),
            );
            continue;
        };
        let draft = |status| {
            check
                .finding(
                    status,
                    "certificate",
                    format!("{}.{}", c.database, c.name),
                    entity_key("certificate", &[&c.database, &c.name]),
                )
                .ev("key_length", bits)
        };
        out.push(if bits >= MIN_RSA_BITS {
            draft(Status::Pass)
                .message(format!(
                    "Certificate `{}` in `{}` has a {bits}-bit key.",
                    c.name, c.database
                ))
                .done()
        } else {
            draft(Status::Fail)
                .message(format!(
                    "Certificate `{}` in `{}` has a {bits}-bit key: issue a new one of at least \
                     {MIN_RSA_BITS} bits and move what it protects to it.",
                    c.name, c.database
                ))
                .done()
        });
    }
    let unknown = gaps.unknown(check, s);
    if out.is_empty() && unknown.is_none() {
        out.push(
            check
                .instance_finding(s, Status::Pass)
                .message(format!(
                    "{} has no encryption key or certificate of its own to judge.",
                    instance_name(s)
                ))
                .done(),
        );
    }
    out.extend(unknown);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::DatabaseKeyInfo;

    fn key(name: &str, kind: &str, algorithm: &str, bits: i64) -> DatabaseKeyInfo {
        DatabaseKeyInfo {
            name: name.into(),
            kind: kind.into(),
            algorithm: Some(algorithm.into()),
            key_length: Some(bits),
        }
    }

    #[test]
    fn aes_and_long_keys_pass() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.database_details)[4];
        sales
            .keys
            .push(key("##MS_DatabaseMasterKey##", "SYMMETRIC", "AES_256", 256));
        sales.keys.push(key("CardKey", "SYMMETRIC", "AES_128", 128));
        sales
            .keys
            .push(key("Signer", "ASYMMETRIC", "RSA_2048", 2048));
        let f = run(&CHECK, &s);
        assert!(f.iter().all(|f| f.status == Status::Pass), "{f:#?}");
        assert_eq!(f.len(), 4, "three keys and the certificate");
    }

    #[test]
    fn old_algorithms_and_short_keys_fail() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.database_details)[4];
        sales.keys.push(key(
            "##MS_DatabaseMasterKey##",
            "SYMMETRIC",
            "TRIPLE_DES",
            192,
        ));
        sales.keys.push(key("OldKey", "SYMMETRIC", "DES", 56));
        sales.keys.push(key("Weak", "ASYMMETRIC", "RSA_1024", 1024));
        edit(&mut s.certificates)[0].key_length = Some(1024);
        let f = run(&CHECK, &s);
        assert_eq!(f.iter().filter(|f| f.status == Status::Fail).count(), 4);
        assert!(
            by_key(&f, "key:salesdb/##ms_databasemasterkey##")
                .message
                .contains("REGENERATE")
        );
    }

    #[test]
    fn certificates_without_a_length_are_unknown_and_old_master_keys_info() {
        let mut s = compliant_snapshot();
        edit(&mut s.certificates)[0].key_length = None;
        single(&run(&CHECK, &s), Status::Unknown);
        s.server.version = "10.50.6000.34".parse().unwrap();
        edit(&mut s.database_details)[0].keys.push(key(
            "##MS_ServiceMasterKey##",
            "SYMMETRIC",
            "TRIPLE_DES",
            192,
        ));
        let f = run(&CHECK, &s);
        assert_eq!(
            by_key(&f, "key:master/##ms_servicemasterkey##").status,
            Status::Info
        );
        s.certificates = Ok(Vec::new());
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
