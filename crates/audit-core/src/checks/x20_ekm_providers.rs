//! X20 – inventory of Extensible Key Management providers (VA1278).

use super::support::*;
use super::{Applicability, Check, Family, Outcomes, Policy, References, Sheet, on_row};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// An EKM provider is a vendor DLL loaded into the engine that holds the keys protecting TDE
/// and encrypted columns: a baseline of which providers exist lets a change stand out.
pub const CHECK: Check = Check {
    id: CheckId::new("X20"),
    title: "EKM providers inventory",
    severity: Severity::Low,
    rationale: "Extensible Key Management providers (CREATE CRYPTOGRAPHIC PROVIDER) load a vendor's \
                DLL into the SQL Server process and keep encryption keys outside the instance (an \
                HSM, Azure Key Vault). Vulnerability Assessment's VA1278 keeps a baseline of them, \
                so that a provider added, replaced or enabled without a change record is noticed. \
                Each registered provider is listed with its DLL, version and state; the \
                `EKM provider enabled` server option is shown beside them. sys.cryptographic_providers \
                exists on every edition from SQL Server 2008; EKM itself is an edition-dependent \
                feature, so most instances list none.",
    outcomes: Outcomes {
        pass: "one row: no cryptographic provider is registered",
        fail_or_warn: "none: each registered provider is INFO (name, DLL path, version, enabled) for the baseline",
        other: "INFO: each provider; UNKNOWN: providers hidden from the audit login (VIEW ANY DEFINITION) or unreadable",
    },
    family: Family::DataProtection,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA1278"],
        ..References::NONE
    },
    reads: &[FactId::CryptographicProviders, FactId::Configuration],
    placement: &[on_row("ekm_provider", Sheet::Instances, "instance:")],
    remediation: RemediationCategory::Review,
    rule,
};

/// Each provider → INFO with its DLL, version and state; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let providers = gaps.take("cryptographic_providers", &s.cryptographic_providers);
    let configuration = gaps.take("configuration", &s.configuration);
    let (Some(providers), Some(configuration)) = (providers, configuration) else {
        return gaps.only_unknown(check, s);
    };
    let option = configuration
        .iter()
        .find(|c| same_name(&c.name, "EKM provider enabled"))
        .map_or_else(|| "-".to_owned(), |c| c.value_in_use.to_string());
    if providers.is_empty() {
        return vec![
            check
                .instance_finding(s, Status::Pass)
                .ev("ekm_provider_enabled", &option)
                .message(format!(
                    "{} has no Extensible Key Management provider registered.",
                    instance_name(s)
                ))
                .done(),
        ];
    }
    providers
        .iter()
        .map(|p| {
            check
                .finding(
                    Status::Info,
                    "ekm_provider",
                    p.name.clone(),
                    entity_key("ekm_provider", &[&p.name]),
                )
                .ev("dll_path", &p.dll_path)
                .ev("version", p.version.as_deref().unwrap_or("-"))
                .ev("enabled", yes_no(p.enabled))
                .ev("ekm_provider_enabled", &option)
                .message(format!(
                    "EKM provider `{}` ({}, DLL `{}`, version {}): keep it in the baseline and confirm any change was approved.",
                    p.name,
                    if p.enabled { "enabled" } else { "disabled" },
                    p.dll_path,
                    p.version.as_deref().unwrap_or("unknown")
                ))
                .done()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::CryptographicProviderInfo;

    #[test]
    fn none_registered_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
    }

    #[test]
    fn each_provider_is_listed() {
        let mut s = compliant_snapshot();
        s.cryptographic_providers = Ok(vec![CryptographicProviderInfo {
            name: "AzureKeyVault_EKM".to_owned(),
            dll_path: "C:\\Program Files\\SQL Server Connector for Microsoft Azure Key Vault\\Microsoft.AzureKeyVaultService.EKM.dll".to_owned(),
            version: Some("15.0.2000.440".to_owned()),
            enabled: true,
        }]);
        edit(&mut s.configuration).push(config("EKM provider enabled", 1));
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Info);
        assert_eq!(hit.entity_key, "ekm_provider:azurekeyvault_ekm");
        assert!(hit.message.contains("EKM.dll"));
        assert!(hit.message.contains("enabled"));
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        deny(&mut s, FactId::CryptographicProviders);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
