//! The check catalogue: every requirement (`R01`–`R28`) and extra check (`X01`–`X09`) as
//! metadata plus one rule. A rule reads a [`Snapshot`] and a [`Policy`] and returns findings;
//! it never does I/O, so each is tested with a snapshot built in a few lines.
//!
//! Adding a check touches one file (`rNN_….rs` / `xNN_….rs`, with its `CHECK` and its tests)
//! plus one line in [`catalogue`].

use crate::build_data::BuildData;
use crate::snapshot::{FactId, Snapshot};
use crate::{BuildNumber, CheckId, Finding, RemediationCategory, Severity, Status};

mod coverage;
mod meta;
pub mod selection;
mod settings;
mod support;

pub use meta::{
    Applicability, CisBenchmark, CisItem, Family, Framework, Outcomes, Placement, References,
    Sheet, cis, cis2017, on, on_row,
};

/// Entity keys the checks use, for whoever must match rows to findings (the workbook).
pub use support::{
    FIXED_DATABASE_ROLES, instance_key, login_key, permission_key, service_key, service_kind_key,
};
#[cfg(test)]
pub(crate) mod testkit;

pub mod r01_inventory;
pub mod r02_supported_version;
pub mod r03_latest_update;
pub mod r04_sa_account;
pub mod r05_privileged_passwords;
pub mod r06_service_accounts;
pub mod r07_unused_logins;
pub mod r08_privileged_members;
pub mod r09_grant_option;
pub mod r10_xp_cmdshell;
pub mod r11_key_backups;
pub mod r12_triggers;
pub mod r13_database_users;
pub mod r14_default_instance;
pub mod r15_test_databases;
pub mod r16_ad_hoc_queries;
pub mod r17_protocols;
pub mod r18_database_mail;
pub mod r19_browser;
pub mod r20_remote_access;
pub mod r21_bi_services;
pub mod r22_login_auditing;
pub mod r23_connection_strings;
pub mod r24_linked_servers;
pub mod r25_linked_server_logins;
pub mod r26_server_inventory;
pub mod r27_database_inventory;
pub mod r28_change_tracking;
pub mod x01_trustworthy;
pub mod x02_backups;
pub mod x03_sql_logins;
pub mod x04_configuration;
pub mod x05_service_state;
pub mod x06_audit_trace;
pub mod x07_database_roles;
pub mod x08_permissions;
pub mod x09_os_audit;
pub mod x10_no_other_sa;
pub mod x11_feature_options;
pub mod x12_sql_login_policy;
pub mod x13_public_server_role;
pub mod x14_local_group_logins;
pub mod x15_computer_account_logins;
pub mod x16_server_name_match;
pub mod x17_must_change_password;
pub mod x18_proxies_not_public;
pub mod x19_credentials_proxies_reviewed;
pub mod x20_ekm_providers;
pub mod x21_unique_service_accounts;
pub mod x22_system_account_permissions;
pub mod x23_server_audit_started;
pub mod x24_audit_action_groups;
pub mod x25_audit_filters;
pub mod x26_audit_failure_storage;
pub mod x27_contained_databases;
pub mod x28_contained_auth_audited;
pub mod x29_session_limit;
pub mod x30_agent_job_owners;
pub mod x31_agent_startup_jobs;
pub mod x32_tls_protocols;
pub mod x33_error_log_retention;
pub mod x34_hide_instance;
pub mod x35_tcp_port;
pub mod x36_fips_mode;
pub mod x37_usage_reporting;
pub mod x38_telemetry_local_audit;
pub mod x39_program_directory;
pub mod x40_startup_parameters;
pub mod x41_instant_file_initialization;
pub mod x42_time_source;
pub mod x44_deleted_windows_logins;
pub mod x45_xp_cmdshell_access;
pub mod x46_registry_xp_access;
pub mod x47_extended_procedure_access;
pub mod x48_startup_procedures;
pub mod x49_custom_extended_procedures;
pub mod x50_endpoint_encryption;
pub mod x51_endpoint_owners;
pub mod x52_msdb_ssis_procedures;
pub mod x53_guest_role_membership;
pub mod x54_sa_mapped_users;
pub mod x55_kerberos_sessions;
pub mod x56_paths_to_sysadmin;
pub mod x57_contained_password_users;
pub mod x58_guest_permissions;
pub mod x59_user_login_name_mismatch;
pub mod x60_application_roles;
pub mod x61_roles_in_fixed_roles;
pub mod x62_empty_roles;
pub mod x63_low_impact_role_members;
pub mod x64_public_database_permissions;
pub mod x65_direct_grants;
pub mod x66_model_access;
pub mod x67_database_ownership_chaining;
pub mod x68_auto_close;
pub mod x69_database_owner_sid;
pub mod x70_database_owners;
pub mod x71_tde;
pub mod x72_certificate_expiry;
pub mod x73_log_backups_to_nul;
pub mod x74_backup_encryption;
pub mod x75_recovery_model;
pub mod x76_clr_assemblies;
pub mod x77_key_strength;
pub mod x78_tde_key_algorithm;
pub mod x79_database_master_keys;
pub mod x80_execute_as_modules;
pub mod x81_individual_ownership;
pub mod x82_ddl_permissions;
pub mod x83_computer_account_users;
pub mod x84_dbo_only_databases;

/// The settings rules depend on, from the audit configuration's thresholds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Major versions below this FAIL R02 (default 15 = SQL Server 2019).
    pub minimum_major_version: u16,
    /// Latest known build per release name ("2019" → 15.0.4415.2): from [`Policy::build_data`],
    /// then the config's `thresholds.expected_builds`.
    pub latest_builds: Vec<(String, crate::BuildNumber)>,
    /// Release facts that change after release (latest builds, support end dates): the
    /// embedded `builds.json` or the file that replaced it.
    pub build_data: BuildData,
    /// Where [`Policy::build_data`] came from, for the findings' evidence: `built in` or a path.
    pub build_data_source: String,
    /// R02 WARNs when the release's support (extended, or ESU where bought) ends within this
    /// many days.
    pub support_warn_days: u32,
    /// Releases the organisation has bought Extended Security Updates for: supported until the
    /// ESU end date rather than the end of extended support (R02).
    pub extended_security_updates: Vec<String>,
    /// A user database whose last full backup is older than this FAILs X02.
    pub backup_max_age_days: u32,
    /// … older than this WARNs.
    pub backup_warn_age_days: u32,
    /// Database name patterns (`*` wildcards, case-insensitive) that count as test or sample
    /// databases (R15).
    pub test_database_patterns: Vec<String>,
    /// Protocols allowed to be enabled (R17): `tcp`, `shared_memory`, `named_pipes`, `via`.
    pub allowed_protocols: Vec<String>,
    /// Server audit action groups a started server audit must cover (X24). Default:
    /// [`STIG_AUDIT_GROUPS`].
    pub required_audit_groups: Vec<String>,
    /// The `ON_FAILURE` the organisation chose for its server audits (X26): `CONTINUE`,
    /// `SHUTDOWN SERVER INSTANCE` or `FAIL OPERATION` (as `on_failure_desc` spells them); none
    /// (the default) = not decided, and the audits' failure and storage settings are a review item.
    pub audit_on_failure: Option<String>,
    /// The most concurrent user connections the organisation allows (X29, STIG SQL6-D0-003600);
    /// none (the default) = no number decided, a missing limit is a review item.
    pub max_user_connections: Option<u32>,
    /// Logins allowed to own SQL Server Agent jobs besides the `sa` login (SID 0x01, whatever
    /// its name) (X30). Default: none.
    pub allowed_job_owners: Vec<String>,
    /// Logins allowed to own databases besides the `sa` login (SID 0x01) (X70). Default: none.
    pub allowed_database_owners: Vec<String>,
    /// Every user database must use TDE (X71). Default: false (unencrypted ones are INFO).
    pub require_tde: bool,
    /// Days before a certificate's expiry from which it warns (X72). Default: 30.
    pub certificate_warn_days: u32,
    /// A private-key backup older than this warns (R11); none (the default) = any backup.
    pub key_backup_max_age_days: Option<u32>,
    /// Whether 'common criteria compliance enabled' is required (X06; STIG SQL6-D0-009800 /
    /// SQLI-22-009800). Default: false (shown as INFO).
    pub require_common_criteria: bool,
    /// Error log files to keep at least (X33; CIS 5.1 asks for 12).
    pub min_error_log_files: u32,
    /// The SQL Server Browser is required and approved (R19): any startup passes. Otherwise the
    /// STIG wants it Disabled.
    pub browser_required: bool,
    /// TCP ports the instance may listen on (X35); empty: any static port but 1433.
    pub allowed_tcp_ports: Vec<u16>,
    /// Windows' FIPS mode is required (X36; the DISA STIG requires it). Default: false
    /// (shown as INFO).
    pub require_fips: bool,
    /// Usage data (CEIP) and error reports to Microsoft are authorised (X37). Default: false.
    pub ceip_allowed: bool,
    /// Telemetry data must be audited locally (X38; STIG SQL6-D0-016100). Default: false.
    pub telemetry_audit_required: bool,
    /// Instant File Initialization is documented as required (X41). Default: false.
    pub instant_file_initialization_allowed: bool,
    /// The audit's "now", `YYYY-MM-DD hh:mm:ss`, so that ages are reproducible in tests.
    pub now: String,
}

/// The server audit action groups the DISA STIG requires in the server audit specification:
/// the 31 of SQLI-22-011800 (V-271351, MS SQL Server 2022 Instance STIG, rule
/// SV-271351r1111086: check text lists them) plus SCHEMA_OBJECT_ACCESS_GROUP (SQL6-D0-004600 /
/// SQLI-22-004600; SCHEMA_OBJECT_CHANGE_GROUP, which the coverage map also names, is already
/// among the 31). The SQL Server 2016 STIG's SQL6-D0-011800 (V-213989) lists 28 of them, without
/// LOGOUT_GROUP, SERVER_PRINCIPAL_CHANGE_GROUP and USER_CHANGE_PASSWORD_GROUP.
pub const STIG_AUDIT_GROUPS: [&str; 32] = [
    "APPLICATION_ROLE_CHANGE_PASSWORD_GROUP",
    "AUDIT_CHANGE_GROUP",
    "BACKUP_RESTORE_GROUP",
    "DATABASE_CHANGE_GROUP",
    "DATABASE_OBJECT_ACCESS_GROUP",
    "DATABASE_OBJECT_CHANGE_GROUP",
    "DATABASE_OBJECT_OWNERSHIP_CHANGE_GROUP",
    "DATABASE_OBJECT_PERMISSION_CHANGE_GROUP",
    "DATABASE_OWNERSHIP_CHANGE_GROUP",
    "DATABASE_OPERATION_GROUP",
    "DATABASE_PERMISSION_CHANGE_GROUP",
    "DATABASE_PRINCIPAL_CHANGE_GROUP",
    "DATABASE_PRINCIPAL_IMPERSONATION_GROUP",
    "DATABASE_ROLE_MEMBER_CHANGE_GROUP",
    "DBCC_GROUP",
    "LOGIN_CHANGE_PASSWORD_GROUP",
    "LOGOUT_GROUP",
    "SCHEMA_OBJECT_ACCESS_GROUP",
    "SCHEMA_OBJECT_CHANGE_GROUP",
    "SCHEMA_OBJECT_OWNERSHIP_CHANGE_GROUP",
    "SCHEMA_OBJECT_PERMISSION_CHANGE_GROUP",
    "SERVER_OBJECT_CHANGE_GROUP",
    "SERVER_OBJECT_OWNERSHIP_CHANGE_GROUP",
    "SERVER_OBJECT_PERMISSION_CHANGE_GROUP",
    "SERVER_OPERATION_GROUP",
    "SERVER_PERMISSION_CHANGE_GROUP",
    "SERVER_PRINCIPAL_CHANGE_GROUP",
    "SERVER_PRINCIPAL_IMPERSONATION_GROUP",
    "SERVER_ROLE_MEMBER_CHANGE_GROUP",
    "SERVER_STATE_CHANGE_GROUP",
    "TRACE_CHANGE_GROUP",
    "USER_CHANGE_PASSWORD_GROUP",
];

impl Policy {
    /// The built-in thresholds (the same defaults as the audit configuration's): minimum
    /// version 2019, the embedded build data (support ending within 180 days WARNs, no ESU), backups older than 7 days FAIL and older than
    /// 1 day WARN, the usual sample databases, TCP/IP and Shared Memory allowed. `now` is the
    /// audit's clock (`YYYY-MM-DD hh:mm:ss`), passed in so that evaluation stays pure.
    pub fn defaults(now: &str) -> Policy {
        Policy {
            minimum_major_version: 15,
            latest_builds: latest_builds(BuildData::embedded()),
            build_data: BuildData::embedded().clone(),
            build_data_source: "built in".to_owned(),
            support_warn_days: 180,
            extended_security_updates: Vec::new(),
            backup_max_age_days: 7,
            backup_warn_age_days: 1,
            test_database_patterns: [
                "AdventureWorks*",
                "Northwind*",
                "pubs",
                "WideWorldImporters*",
                "test*",
                "*_test",
                "demo*",
                "sample*",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            allowed_protocols: vec!["tcp".to_owned(), "shared_memory".to_owned()],
            required_audit_groups: STIG_AUDIT_GROUPS.iter().map(|g| (*g).to_owned()).collect(),
            audit_on_failure: None,
            max_user_connections: None,
            allowed_job_owners: Vec::new(),
            allowed_database_owners: Vec::new(),
            require_tde: false,
            certificate_warn_days: 30,
            key_backup_max_age_days: None,
            require_common_criteria: false,
            min_error_log_files: 12,
            allowed_tcp_ports: Vec::new(),
            browser_required: false,
            require_fips: false,
            ceip_allowed: false,
            telemetry_audit_required: false,
            instant_file_initialization_allowed: false,
            now: now.to_owned(),
        }
    }

    /// Judges with `data` (read from `source`, a path or `built in`) instead of the embedded
    /// build data: its latest builds replace the table, so apply `expected_builds` after.
    pub fn use_build_data(&mut self, data: BuildData, source: &str) {
        self.latest_builds = latest_builds(&data);
        self.build_data = data;
        self.build_data_source = source.to_owned();
    }

    /// Replaces (or adds) the latest known build of one release, as the config's
    /// `thresholds.expected_builds` does ("2019" → 15.0.4430.1). The release name is matched
    /// case-insensitively.
    pub fn set_latest_build(&mut self, release: &str, build: BuildNumber) {
        let release = release.trim();
        match self
            .latest_builds
            .iter_mut()
            .find(|(name, _)| name.eq_ignore_ascii_case(release))
        {
            Some(entry) => entry.1 = build,
            None => self.latest_builds.push((release.to_owned(), build)),
        }
    }

    /// The latest known build of a release, if the table has one.
    pub fn latest_build(&self, release: &str) -> Option<BuildNumber> {
        self.latest_builds
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(release))
            .map(|(_, build)| *build)
    }
}

/// The latest-build table of `data`, by release name.
fn latest_builds(data: &BuildData) -> Vec<(String, BuildNumber)> {
    data.releases
        .iter()
        .map(|r| (r.release.clone(), r.latest_build))
        .collect()
}

/// One check: what it is, what it reads, and its rule. Everything else (the workbook, the
/// docs, `autodbaudit checks`, the least-rights script) is derived from these declarations.
pub struct Check {
    /// Its id (stable for ever; see [`CheckId`] for the scheme).
    pub id: CheckId,
    /// A short title, as the workbook and the summary show it.
    pub title: &'static str,
    /// Severity of its FAIL/WARN findings.
    pub severity: Severity,
    /// Why it matters, in a sentence or two for the auditor.
    pub rationale: &'static str,
    /// What each of its statuses means (the documentation's table).
    pub outcomes: Outcomes,
    /// The area of security it belongs to.
    pub family: Family,
    /// The versions and platforms it applies to.
    pub applies_to: Applicability,
    /// The public benchmark items it satisfies.
    pub references: References,
    /// The fact groups its rule reads. The engine turns a missing or partial one into
    /// UNKNOWN findings (a test makes each fact unavailable in turn and holds every check to
    /// this list), and the least-rights script grants what they need.
    pub reads: &'static [FactId],
    /// Where its findings go in the workbook, per entity type (the report obeys it; findings
    /// about the instance without a placement go to the Instances row, UNKNOWNs the engine adds
    /// for an unread database or service to that entity's own row).
    pub placement: &'static [Placement],
    /// How its findings are fixed.
    pub remediation: RemediationCategory,
    /// The rule: pure, judges what was read. Unread scopes are the engine's business.
    pub rule: fn(&Check, &Snapshot, &Policy) -> Vec<Finding>,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check")
            .field("id", &self.id)
            .field("title", &self.title)
            .field("severity", &self.severity)
            .finish_non_exhaustive()
    }
}

/// Every check, in id order. Adding a check: its file, one line here, its tests (see
/// `docs/architecture.md`, "Adding a check").
static CATALOGUE: &[&Check] = &[
    &r01_inventory::CHECK,
    &r02_supported_version::CHECK,
    &r03_latest_update::CHECK,
    &r04_sa_account::CHECK,
    &r05_privileged_passwords::CHECK,
    &r06_service_accounts::CHECK,
    &r07_unused_logins::CHECK,
    &r08_privileged_members::CHECK,
    &r09_grant_option::CHECK,
    &r10_xp_cmdshell::CHECK,
    &r11_key_backups::CHECK,
    &r12_triggers::CHECK,
    &r13_database_users::CHECK,
    &r14_default_instance::CHECK,
    &r15_test_databases::CHECK,
    &r16_ad_hoc_queries::CHECK,
    &r17_protocols::CHECK,
    &r18_database_mail::CHECK,
    &r19_browser::CHECK,
    &r20_remote_access::CHECK,
    &r21_bi_services::CHECK,
    &r22_login_auditing::CHECK,
    &r23_connection_strings::CHECK,
    &r24_linked_servers::CHECK,
    &r25_linked_server_logins::CHECK,
    &r26_server_inventory::CHECK,
    &r27_database_inventory::CHECK,
    &r28_change_tracking::CHECK,
    &x01_trustworthy::CHECK,
    &x02_backups::CHECK,
    &x03_sql_logins::CHECK,
    &x04_configuration::CHECK,
    &x05_service_state::CHECK,
    &x06_audit_trace::CHECK,
    &x07_database_roles::CHECK,
    &x08_permissions::CHECK,
    &x09_os_audit::CHECK,
    &x10_no_other_sa::CHECK,
    &x11_feature_options::CHECK,
    &x12_sql_login_policy::CHECK,
    &x13_public_server_role::CHECK,
    &x14_local_group_logins::CHECK,
    &x15_computer_account_logins::CHECK,
    &x16_server_name_match::CHECK,
    &x17_must_change_password::CHECK,
    &x18_proxies_not_public::CHECK,
    &x19_credentials_proxies_reviewed::CHECK,
    &x20_ekm_providers::CHECK,
    &x21_unique_service_accounts::CHECK,
    &x22_system_account_permissions::CHECK,
    &x23_server_audit_started::CHECK,
    &x24_audit_action_groups::CHECK,
    &x25_audit_filters::CHECK,
    &x26_audit_failure_storage::CHECK,
    &x27_contained_databases::CHECK,
    &x28_contained_auth_audited::CHECK,
    &x29_session_limit::CHECK,
    &x30_agent_job_owners::CHECK,
    &x31_agent_startup_jobs::CHECK,
    &x32_tls_protocols::CHECK,
    &x33_error_log_retention::CHECK,
    &x34_hide_instance::CHECK,
    &x35_tcp_port::CHECK,
    &x36_fips_mode::CHECK,
    &x37_usage_reporting::CHECK,
    &x38_telemetry_local_audit::CHECK,
    &x39_program_directory::CHECK,
    &x40_startup_parameters::CHECK,
    &x41_instant_file_initialization::CHECK,
    &x42_time_source::CHECK,
    &x44_deleted_windows_logins::CHECK,
    &x45_xp_cmdshell_access::CHECK,
    &x46_registry_xp_access::CHECK,
    &x47_extended_procedure_access::CHECK,
    &x48_startup_procedures::CHECK,
    &x49_custom_extended_procedures::CHECK,
    &x50_endpoint_encryption::CHECK,
    &x51_endpoint_owners::CHECK,
    &x52_msdb_ssis_procedures::CHECK,
    &x53_guest_role_membership::CHECK,
    &x54_sa_mapped_users::CHECK,
    &x55_kerberos_sessions::CHECK,
    &x56_paths_to_sysadmin::CHECK,
    &x57_contained_password_users::CHECK,
    &x58_guest_permissions::CHECK,
    &x59_user_login_name_mismatch::CHECK,
    &x60_application_roles::CHECK,
    &x61_roles_in_fixed_roles::CHECK,
    &x62_empty_roles::CHECK,
    &x63_low_impact_role_members::CHECK,
    &x64_public_database_permissions::CHECK,
    &x65_direct_grants::CHECK,
    &x66_model_access::CHECK,
    &x67_database_ownership_chaining::CHECK,
    &x68_auto_close::CHECK,
    &x69_database_owner_sid::CHECK,
    &x70_database_owners::CHECK,
    &x71_tde::CHECK,
    &x72_certificate_expiry::CHECK,
    &x73_log_backups_to_nul::CHECK,
    &x74_backup_encryption::CHECK,
    &x75_recovery_model::CHECK,
    &x76_clr_assemblies::CHECK,
    &x77_key_strength::CHECK,
    &x78_tde_key_algorithm::CHECK,
    &x79_database_master_keys::CHECK,
    &x80_execute_as_modules::CHECK,
    &x81_individual_ownership::CHECK,
    &x82_ddl_permissions::CHECK,
    &x83_computer_account_users::CHECK,
    &x84_dbo_only_databases::CHECK,
];

/// Every check of the catalogue, in id order: what the workbook, the docs and `--fail-on` list.
pub fn catalogue() -> &'static [&'static Check] {
    CATALOGUE
}

/// The check with this id.
pub fn check(id: CheckId) -> Option<&'static Check> {
    CATALOGUE.iter().copied().find(|c| c.id == id)
}

/// Evaluates every check on one instance. Findings come in a deterministic order (check id,
/// then entity key), whatever order the collector listed things in, so two audits of the same
/// state produce the same list. Within a check an entity has one finding: should a rule ever
/// produce two for one key (e.g. column-level permissions on one object), the worse status is
/// kept.
///
/// The engine, not each rule, accounts for what could not be read ([`coverage`]): a check
/// outside its applicability gives one INFO; a check whose facts are missing or partial keeps
/// what it judged from what was read, loses any verdict about the server as a whole, and gains
/// one UNKNOWN per unread part naming it.
pub fn evaluate(snapshot: &Snapshot, policy: &Policy) -> Vec<Finding> {
    evaluate_selected(snapshot, policy, &selection::Selection::all())
}

/// [`evaluate`] for the checks `selection` takes on this server's version only: the others
/// have no finding (the run records them as not selected).
pub fn evaluate_selected(
    snapshot: &Snapshot,
    policy: &Policy,
    selection: &selection::Selection,
) -> Vec<Finding> {
    let major = snapshot.server.version.major;
    let mut all = Vec::new();
    for check in catalogue().iter().filter(|c| selection.includes(c, major)) {
        let mut findings = evaluate_one(check, snapshot, policy);
        findings.sort_by(|a, b| {
            a.entity_key
                .cmp(&b.entity_key)
                .then(rank(b.status).cmp(&rank(a.status)))
        });
        findings.dedup_by(|later, kept| later.entity_key == kept.entity_key);
        all.extend(findings);
    }
    all
}

/// One check on one instance, before ordering: applicability, the rule, then coverage.
pub fn evaluate_one(check: &Check, snapshot: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let platform = snapshot.host.as_ref().ok().map(|h| h.platform.as_str());
    if let Some(why) = check.applies_to.excludes(
        snapshot.server.version.major,
        snapshot.server.engine_edition,
        platform,
    ) {
        return vec![
            check
                .instance_finding(snapshot, Status::Info)
                .message(format!("{} does not apply: it {why}.", check.id))
                .ev("not_applicable", why)
                .done(),
        ];
    }
    let mut findings = (check.rule)(check, snapshot, policy);
    coverage::account_for_gaps(check, snapshot, &mut findings);
    findings
}

/// How bad a status is, for keeping the worst of two findings about one entity: the one
/// order of statuses every crate uses ([`Status::rank`]).
fn rank(status: Status) -> u8 {
    status.rank()
}

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_check_id_has_exactly_one_entry_in_order() {
        let ids: Vec<CheckId> = catalogue().iter().map(|c| c.id).collect();
        let all: Vec<CheckId> = CheckId::all().collect();
        assert_eq!(ids, all);
        for check in catalogue() {
            assert!(!check.title.is_empty(), "{}", check.id);
            assert!(check.rationale.len() > 20, "{}", check.id);
            assert!(super::check(check.id).is_some());
        }
    }

    #[test]
    fn compliant_snapshot_has_no_fail_or_warn_or_unknown() {
        let findings = evaluate(&compliant_snapshot(), &policy());
        let bad: Vec<_> = findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Warn | Status::Unknown))
            .map(|f| format!("{} {} {} {}", f.check_id, f.status, f.entity_key, f.message))
            .collect();
        assert!(bad.is_empty(), "{bad:#?}");
        // Every check says something about a compliant instance.
        let checks: BTreeSet<CheckId> = findings.iter().map(|f| f.check_id).collect();
        assert_eq!(checks.len(), catalogue().len());
    }

    #[test]
    fn evaluation_is_deterministic_and_keys_are_unique_per_check() {
        let mut s = hostile_snapshot();
        let a = evaluate(&s, &policy());
        // The collector listing things in another order changes nothing.
        if let Ok(logins) = &mut s.logins {
            logins.reverse();
        }
        if let Ok(dbs) = &mut s.databases {
            dbs.reverse();
        }
        if let Ok(details) = &mut s.database_details {
            details.reverse();
        }
        assert_eq!(a, evaluate(&s, &policy()));
        let mut seen = BTreeSet::new();
        for f in &a {
            assert!(
                seen.insert((f.check_id, f.entity_key.clone())),
                "duplicate key {} {}",
                f.check_id,
                f.entity_key
            );
        }
    }

    #[test]
    fn hostile_names_survive_intact() {
        let findings = evaluate(&hostile_snapshot(), &policy());
        for name in HOSTILE_NAMES {
            assert!(
                findings.iter().any(|f| f.entity.contains(name)),
                "{name} lost from entities"
            );
            let key_part = name
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('/', "\\/");
            assert!(
                findings.iter().any(|f| f.entity_key.contains(&key_part)),
                "{name} lost from keys"
            );
            assert!(
                findings.iter().any(|f| f.message.contains(name)),
                "{name} lost from messages"
            );
        }
        // The two databases whose names differ only by `/` vs `\/` keep distinct keys.
        let keys: BTreeSet<&str> = findings
            .iter()
            .filter(|f| f.check_id == CheckId::new("X01"))
            .map(|f| f.entity_key.as_str())
            .collect();
        assert!(keys.contains("database:a\\/b") && keys.contains("database:a\\\\\\/b"));
    }

    #[test]
    fn unavailable_facts_give_one_unknown_per_check() {
        let s = unavailable_snapshot();
        let findings = evaluate(&s, &policy());
        for check in catalogue() {
            let unknown: Vec<_> = findings
                .iter()
                .filter(|f| f.check_id == check.id && f.status == Status::Unknown)
                .collect();
            assert!(unknown.len() <= 1, "{}: {unknown:#?}", check.id);
            for f in unknown {
                assert_eq!(f.entity_key, "instance:");
                assert!(f.message.contains("denied"), "{}", f.message);
            }
        }
        // Only the inventory of the server itself (and the attestations) survive a blind audit.
        let known: BTreeSet<CheckId> = findings
            .iter()
            .filter(|f| f.status != Status::Unknown)
            .map(|f| f.check_id)
            .collect();
        assert!(known.contains(&CheckId::new("R01")));
        assert!(known.contains(&CheckId::new("R02")));
        assert!(!known.contains(&CheckId::new("R04")));
    }

    /// Each check's `reads` is the truth: taking away a fact it declares leaves an UNKNOWN
    /// naming that fact; taking away one it does not declare changes none of its verdicts.
    #[test]
    fn every_check_declares_exactly_the_facts_its_verdicts_depend_on() {
        for base in [compliant_snapshot(), hostile_snapshot()] {
            for check in catalogue() {
                let before: Vec<(Status, String)> = evaluate_one(check, &base, &policy())
                    .into_iter()
                    .map(|f| (f.status, f.entity_key))
                    .collect();
                for fact in FactId::ALL.into_iter().filter(|f| *f != FactId::Server) {
                    let mut s = base.clone();
                    deny(&mut s, fact);
                    let after = evaluate_one(check, &s, &policy());
                    if check.reads.contains(&fact) {
                        assert!(
                            after.iter().any(|f| f.status == Status::Unknown
                                && (f.message.contains(fact.as_str())
                                    || f.evidence.contains_key(&format!("unavailable.{fact}")))),
                            "{} declares {fact} but says no UNKNOWN naming it without it: {after:#?}",
                            check.id
                        );
                        assert!(
                            !after.iter().any(|f| f.status == Status::Pass
                                && f.entity_key == instance_key()),
                            "{} passes the whole server without {fact}",
                            check.id
                        );
                    } else {
                        let after: Vec<(Status, String)> = after
                            .into_iter()
                            .map(|f| (f.status, f.entity_key))
                            .collect();
                        assert_eq!(
                            before, after,
                            "{} does not declare {fact}, yet its verdicts change without it",
                            check.id
                        );
                    }
                }
            }
        }
    }

    /// The references follow `../shared/reference/coverage-map.md` §2, including its fixes of
    /// the CIS references the hand-written documentation had wrong (§4 B16).
    #[test]
    fn references_follow_the_coverage_map() {
        let refs = |id: &'static str| check(CheckId::new(id)).unwrap().references;
        // R14 (named instance) has no CIS item: 2.11 is "non-standard TCP port".
        assert!(refs("R14").cis.is_empty());
        // CLR (2.2) and OLE Automation (2.5) are R10's; xp_cmdshell is 2.15 only in the
        // 2016/2017 numbering (2.15 is AUTO_CLOSE in 2019/2022).
        assert_eq!(refs("R10").cis, [cis("2.2"), cis("2.5"), cis2017("2.15")]);
        assert_eq!(
            refs("X04").cis,
            [cis("2.3"), cis("2.7"), cis("2.8"), cis("2.17")]
        );
        let r04 = refs("R04");
        assert_eq!(r04.cis, [cis("2.13"), cis("2.14")]);
        assert_eq!(r04.stig_2016, ["SQL6-D0-016200", "SQL6-D0-016300"]);
        assert_eq!(r04.stig_2022, ["SQLI-22-016200", "SQLI-22-016300"]);
        assert_eq!(r04.va, ["VA1053", "VA1058"]);
        assert_eq!(r04.dbachecks, ["SaRenamed", "SaDisabled"]);
        assert!(refs("X01").stig_2022.contains(&"SQLD-22-000600"));
        assert!(refs("X02").sp_blitz.contains(&1));
        assert_eq!(
            refs("R10").labels()[..3],
            [
                "CIS SQL Server 2019/2022 2.2",
                "CIS SQL Server 2019/2022 2.5",
                "CIS SQL Server 2016/2017 2.15"
            ]
        );
        // Only these have no counterpart in any anchor (coverage-map §5).
        let unreferenced: Vec<String> = catalogue()
            .iter()
            .filter(|c| c.references.labels().is_empty())
            .map(|c| c.id.to_string())
            .collect();
        // X56 (paths to sysadmin) has no benchmark item of its own: see its module doc.
        assert_eq!(unreferenced, ["R01", "R07", "R14", "R23", "X56"]);
    }

    /// Every reference has the shape of its document's ids, and no list repeats an item.
    #[test]
    fn every_reference_has_its_documents_shape() {
        fn shaped(id: &str, prefix: &str, digits: usize) -> bool {
            id.strip_prefix(prefix).is_some_and(|rest| {
                rest.len() == digits && rest.bytes().all(|b| b.is_ascii_digit())
            })
        }
        fn unique<T: PartialEq + std::fmt::Debug>(id: CheckId, items: &[T]) {
            for (i, item) in items.iter().enumerate() {
                assert!(!items[..i].contains(item), "{id} lists {item:?} twice");
            }
        }
        for c in catalogue() {
            let r = &c.references;
            for item in r.cis {
                let mut parts = item.item.split('.');
                assert!(
                    parts.next().is_some_and(|p| p.parse::<u8>().is_ok())
                        && parts.next().is_some_and(|p| p.parse::<u8>().is_ok())
                        && parts.next().is_none(),
                    "{}: CIS item {:?}",
                    c.id,
                    item.item
                );
            }
            for id in r.stig_2016 {
                assert!(shaped(id, "SQL6-D0-", 6), "{}: STIG 2016 id {id}", c.id);
            }
            for id in r.stig_2022 {
                assert!(
                    shaped(id, "SQLI-22-", 6) || shaped(id, "SQLD-22-", 6),
                    "{}: STIG 2022 id {id}",
                    c.id
                );
            }
            for id in r.va {
                assert!(shaped(id, "VA", 4), "{}: VA id {id}", c.id);
            }
            for name in r.dbachecks {
                assert!(
                    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric()),
                    "{}: dbachecks name {name:?}",
                    c.id
                );
            }
            assert!(r.sp_blitz.iter().all(|&n| n > 0), "{}", c.id);
            unique(c.id, r.cis);
            unique(c.id, r.stig_2016);
            unique(c.id, r.stig_2022);
            unique(c.id, r.va);
            unique(c.id, r.dbachecks);
            unique(c.id, r.sp_blitz);
        }
    }

    /// Service-account, service-state, Browser and BI-services checks are about Windows
    /// services: on Linux they say they do not apply instead of judging accounts and services
    /// that do not exist there.
    #[test]
    fn windows_only_checks_do_not_apply_on_linux() {
        let mut s = compliant_snapshot();
        edit(&mut s.host).platform = "Linux".to_owned();
        for id in [
            "R06", "R19", "R21", "X05", "X14", "X15", "X21", "X22", "X32", "X34", "X39", "X44",
            "X83",
        ] {
            let check = check(CheckId::new(id)).unwrap();
            assert!(check.applies_to.windows_only);
            let f = evaluate_one(check, &s, &policy());
            assert_eq!(f.len(), 1, "{id}");
            assert_eq!(f[0].status, Status::Info);
            assert!(f[0].message.contains("does not apply"), "{}", f[0].message);
        }
        let windows: Vec<String> = catalogue()
            .iter()
            .filter(|c| c.applies_to.windows_only)
            .map(|c| c.id.to_string())
            .collect();
        assert_eq!(
            windows,
            [
                "R06", "R19", "R21", "X05", "X14", "X15", "X21", "X22", "X32", "X34", "X36", "X37",
                "X38", "X39", "X40", "X41", "X42", "X44", "X83"
            ]
        );
    }

    #[test]
    fn user_documentation_lists_every_check_and_latest_build() {
        let doc = include_str!("../../../../docs/checks.md");
        for check in catalogue() {
            let row = format!("| {} | {} |", check.id, check.title);
            assert!(doc.contains(&row), "docs/checks.md lacks the row `{row}`");
        }
        for entry in &BuildData::embedded().releases {
            let row = format!("| {} | {} |", entry.release, entry.latest_build);
            assert!(doc.contains(&row), "docs/checks.md lacks `{row}`");
        }
    }

    #[test]
    fn defaults_and_overrides() {
        let mut p = Policy::defaults("2025-12-01 00:00:00");
        assert_eq!(p.latest_builds.len(), 9);
        assert_eq!(
            p.latest_build("2008 R2"),
            Some(BuildNumber::new(10, 50, 6560, 0))
        );
        p.set_latest_build("2019", "15.0.4415.2".parse().unwrap());
        assert_eq!(p.latest_build("2019"), Some("15.0.4415.2".parse().unwrap()));
        assert_eq!(p.latest_builds.len(), 9);
        assert_eq!(p.now, "2025-12-01 00:00:00");
    }
}
