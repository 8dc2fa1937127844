//! The typed configuration: what `sql_targets.jsonc` and `audit_config.jsonc` may contain.
//!
//! These types are the single source of truth for the config format: the JSON Schemas shipped
//! in `config/schemas/` are generated from them (doc comments become the descriptions editors
//! show), validation runs against those schemas, and the audit reads these structs.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU16;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `config/sql_targets.jsonc`: the SQL Server instances to audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "AutoDBAudit SQL targets")]
pub struct TargetsFile {
    /// Path or URL of this file's JSON Schema, for editors; ignored by AutoDBAudit.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The instances to audit. Each needs a unique `id`.
    pub targets: Vec<Target>,
}

/// One SQL Server instance to audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Short unique identifier used on the command line (`--targets`), in file names and in the
    /// history. Letters, digits, '.', '_' and '-'; at most 64 characters.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"))]
    pub id: String,
    /// Display name in reports. Defaults to the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Host name, fully qualified name or IP address of the SQL Server machine.
    #[schemars(length(min = 1, max = 255))]
    pub server: String,
    /// Named instance (for example "SQL2019"), resolved through the SQL Server Browser. Omit
    /// for the default instance. Do not combine with `port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// TCP port. Omit to use 1433 (default instance) or the Browser (named instance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<NonZeroU16>,
    /// How to log in: "sql" (SQL Server authentication) or "windows" (integrated on Windows;
    /// NTLM with `username` as DOMAIN\user and `credential` elsewhere).
    pub auth: AuthMode,
    /// Login name. Required for "sql"; for "windows" only when not using the current Windows user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Where the password comes from: "env:NAME", "prompt", "dpapi:NAME" or "keyring:NAME".
    /// Never the password itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// Transport encryption: "strict" (TDS 8, TLS first), "on" (TLS for the whole session,
    /// the default) or "off" (only the login is encrypted; for legacy servers, and reported).
    #[serde(default)]
    pub encrypt: EncryptMode,
    /// Accept the server's TLS certificate without validating it. Only for servers with a
    /// self-signed certificate you have verified otherwise; reported as a weakness.
    #[serde(default)]
    pub trust_server_certificate: bool,
    /// Seconds to wait for the connection and login.
    #[serde(default = "defaults::connect_timeout_s")]
    #[schemars(range(min = 1, max = 300))]
    pub connect_timeout_s: u32,
    /// Seconds to wait for any single query before giving up on it.
    #[serde(default = "defaults::query_timeout_s")]
    #[schemars(range(min = 1, max = 3600))]
    pub query_timeout_s: u32,
    /// Audit this target. Disabled targets stay in the file but are skipped.
    #[serde(default = "defaults::yes")]
    pub enabled: bool,
    /// Free labels for selecting targets (`audit --tag prod`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    #[schemars(inner(length(min = 1, max = 64)))]
    pub tags: BTreeSet<String>,
    /// Free text shown in reports (owner, purpose, location).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// IP address of the server, recorded in reports (for example when `server` is a DNS alias).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
}

impl Target {
    /// The name shown in reports: `name` if given, else the id.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }

    /// `server`, `server\instance` or `server,port`, as SQL Server tools write an endpoint.
    pub fn endpoint(&self) -> String {
        match (&self.instance, self.port) {
            (Some(instance), _) => format!("{}\\{}", self.server, instance),
            (None, Some(port)) => format!("{},{}", self.server, port),
            (None, None) => self.server.clone(),
        }
    }
}

/// How AutoDBAudit authenticates to a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// SQL Server authentication: `username` + `credential`.
    Sql,
    /// Windows authentication: integrated on Windows, NTLM with explicit credentials elsewhere.
    Windows,
}

/// TLS policy for the connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EncryptMode {
    /// TDS 8.0: TLS before any TDS traffic (SQL Server 2022+).
    Strict,
    /// TLS for the whole session after PRELOGIN.
    #[default]
    On,
    /// Only the login packet is encrypted (legacy servers). Reported as a finding.
    Off,
}

/// `config/audit_config.jsonc`: who is audited, how, and against which thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "AutoDBAudit audit settings")]
pub struct AuditConfig {
    /// Path or URL of this file's JSON Schema, for editors; ignored by AutoDBAudit.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Organisation name printed on the report cover.
    #[schemars(length(min = 1, max = 200))]
    pub organization: String,
    /// Name of the audit (for example "2026-H2"). Used as the output folder name, so it may not
    /// contain \ / : * ? " < > |.
    #[schemars(regex(pattern = r#"^[^\\/:*?"<>|\x00-\x1f]{1,100}$"#))]
    pub audit_name: String,
    /// How many targets are audited at the same time.
    #[serde(default = "defaults::concurrency")]
    #[schemars(range(min = 1, max = 1024))]
    pub concurrency: u32,
    /// Which checks to evaluate: "all", or those mapped to one framework: "cis" (CIS Microsoft
    /// SQL Server Benchmark), "stig" (the DISA STIG for the server's version: 2016 STIGs up to
    /// SQL Server 2019, 2022 STIGs from 2022), "va" (Microsoft SQL Vulnerability Assessment).
    /// `audit --profile` overrides it; checks left out are recorded as not selected.
    #[serde(default)]
    pub profile: ProfileName,
    /// Limits the checks compare against.
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Things not to evaluate at all; each still appears in the report as excluded, with its reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<Exclusion>,
}

/// Limits the checks compare against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Oldest SQL Server major version allowed (R02): 10 = 2008/2008 R2, 11 = 2012, 12 = 2014,
    /// 13 = 2016, 14 = 2017, 15 = 2019, 16 = 2022, 17 = 2025. Older versions FAIL.
    #[serde(default = "defaults::minimum_major_version")]
    #[schemars(range(min = 10, max = 17))]
    pub minimum_major_version: u8,
    /// Override of the built-in table of the latest known build per version (R03), e.g.
    /// { "2019": "15.0.4430.1" }. Keys: 2008, 2008 R2, 2012, 2014, 2016, 2017, 2019, 2022, 2025.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub expected_builds: BTreeMap<String, String>,
    /// R02 WARNs when Microsoft's support of the release (extended support, or the Extended
    /// Security Updates listed below) ends within this many days.
    #[serde(default = "defaults::support_warn_days")]
    #[schemars(range(min = 0, max = 3650))]
    pub support_warn_days: u32,
    /// Releases the organisation has bought Extended Security Updates for, e.g. ["2014"]: R02
    /// counts them as supported until the ESU end date of the build data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extended_security_updates: Vec<String>,
    /// A database whose last full backup is older than this many days FAILs (X02).
    #[serde(default = "defaults::backup_max_age_days")]
    #[schemars(range(min = 1, max = 3650))]
    pub backup_max_age_days: u32,
    /// A database whose last full backup is older than this many days (but within the maximum)
    /// is a WARN (X02).
    #[serde(default = "defaults::backup_warn_age_days")]
    #[schemars(range(min = 1, max = 3650))]
    pub backup_warn_age_days: u32,
    /// Database names that count as test or sample databases (R15). `*` and `?` wildcards,
    /// case-insensitive.
    #[serde(default = "defaults::test_database_patterns")]
    #[schemars(inner(length(min = 1, max = 128)))]
    pub test_database_patterns: Vec<String>,
    /// Server network protocols allowed to be enabled (R17).
    #[serde(default = "defaults::allowed_protocols")]
    pub allowed_protocols: BTreeSet<Protocol>,
    /// Server audit action groups that an enabled specification of a STARTED server audit must
    /// record (X24). Default: the 32 the DISA STIG requires (the 31 of SQLI-22-011800 plus
    /// SCHEMA_OBJECT_ACCESS_GROUP).
    #[serde(default = "defaults::required_audit_groups")]
    #[schemars(inner(length(min = 1, max = 128)))]
    pub required_audit_groups: Vec<String>,
    /// What server audits must do when they cannot write (X26): "continue" (availability),
    /// "shutdown" or "fail_operation" (a complete record). Omit while undecided: the audits'
    /// failure and storage settings are then a review item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_on_failure: Option<AuditOnFailure>,
    /// The most concurrent user connections allowed (X29; STIG SQL6-D0-003600): 'user
    /// connections' must be set and not above it, or a LOGON trigger must limit sessions.
    /// Omit while no number is decided (a missing limit is then a review item).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 32767))]
    pub max_user_connections: Option<u32>,
    /// Logins allowed to own SQL Server Agent jobs besides sa (SID 0x01, whatever its name)
    /// (X30), e.g. a dedicated job-owner login. Case-insensitive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(inner(length(min = 1, max = 128)))]
    pub allowed_job_owners: Vec<String>,
    /// Logins allowed to own databases besides sa (SID 0x01, whatever its name) (X70), e.g. a
    /// dedicated owner login. Case-insensitive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(inner(length(min = 1, max = 128)))]
    pub allowed_database_owners: Vec<String>,
    /// Every user database must be encrypted with TDE (X71; CIS 7.5, STIG SQL6-D0-009500).
    /// When false unencrypted databases are only listed.
    #[serde(default)]
    pub require_tde: bool,
    /// A certificate expiring within this many days warns (X72); an expired one always does.
    #[serde(default = "defaults::certificate_warn_days")]
    #[schemars(range(min = 1, max = 3650))]
    pub certificate_warn_days: u32,
    /// A certificate's private-key backup older than this many days warns (R11; sp_Blitz
    /// checks 119 and 202 look at recent backups). Omit to accept any backup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3650))]
    pub key_backup_max_age_days: Option<u32>,
    /// Require 'common criteria compliance enabled' = 1 (X06; STIG SQL6-D0-009800). When
    /// false the option is only shown.
    #[serde(default)]
    pub require_common_criteria: bool,
    /// Error log files an instance must keep at least (X33). CIS 5.1 asks for 12; SQL Server
    /// keeps 6 unless configured.
    #[serde(default = "defaults::min_error_log_files")]
    #[schemars(range(min = 6, max = 99))]
    pub min_error_log_files: u32,
    /// TCP ports instances may listen on (X35), e.g. [51433]. Empty: any static port but 1433.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    #[schemars(inner(range(min = 1)))]
    pub allowed_tcp_ports: BTreeSet<u16>,
    /// The SQL Server Browser is specifically required and approved (R19): any startup passes.
    /// When false (the default) the STIG wants it Disabled: Manual WARNs.
    #[serde(default)]
    pub browser_required: bool,
    /// Windows' FIPS mode is required (X36; the DISA STIG requires it). When false FIPS mode
    /// is only shown.
    #[serde(default)]
    pub require_fips: bool,
    /// Usage data (CEIP) and error reports to Microsoft are authorised (X37; STIG
    /// SQL6-D0-016000). When false (the default) any of them on warns.
    #[serde(default)]
    pub ceip_allowed: bool,
    /// Telemetry data must be audited locally (X38; STIG SQL6-D0-016100): the Local Audit
    /// directory must be set. When false it is only shown.
    #[serde(default)]
    pub telemetry_audit_required: bool,
    /// Instant File Initialization is documented as required (X41; STIG SQL6-D0-009900). When
    /// false an instance using it is a review item.
    #[serde(default)]
    pub instant_file_initialization_allowed: bool,
}

/// A server audit's `ON_FAILURE` (X26).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AuditOnFailure {
    /// Keep running without audit records.
    Continue,
    /// Shut the instance down.
    Shutdown,
    /// Fail the operation that would have been audited (SQL Server 2012 and later).
    FailOperation,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            minimum_major_version: defaults::minimum_major_version(),
            expected_builds: BTreeMap::new(),
            support_warn_days: defaults::support_warn_days(),
            extended_security_updates: Vec::new(),
            backup_max_age_days: defaults::backup_max_age_days(),
            backup_warn_age_days: defaults::backup_warn_age_days(),
            test_database_patterns: defaults::test_database_patterns(),
            allowed_protocols: defaults::allowed_protocols(),
            required_audit_groups: defaults::required_audit_groups(),
            audit_on_failure: None,
            max_user_connections: None,
            allowed_job_owners: Vec::new(),
            allowed_database_owners: Vec::new(),
            require_tde: false,
            certificate_warn_days: defaults::certificate_warn_days(),
            key_backup_max_age_days: None,
            require_common_criteria: false,
            min_error_log_files: defaults::min_error_log_files(),
            allowed_tcp_ports: BTreeSet::new(),
            browser_required: false,
            require_fips: false,
            ceip_allowed: false,
            telemetry_audit_required: false,
            instant_file_initialization_allowed: false,
        }
    }
}

/// A check profile (see `AuditConfig::profile`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ProfileName {
    /// Every check.
    #[default]
    All,
    /// Checks mapped to CIS benchmark items.
    Cis,
    /// Checks mapped to the DISA STIG rules of the server's version.
    Stig,
    /// Checks mapped to Microsoft SQL Vulnerability Assessment rules.
    Va,
}

impl ProfileName {
    /// The domain's profile.
    pub fn profile(self) -> audit_core::checks::selection::Profile {
        use audit_core::checks::selection::Profile;
        match self {
            ProfileName::All => Profile::All,
            ProfileName::Cis => Profile::Cis,
            ProfileName::Stig => Profile::Stig,
            ProfileName::Va => Profile::Va,
        }
    }
}

/// A SQL Server network protocol.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// TCP/IP.
    Tcp,
    /// Shared Memory (local connections only).
    SharedMemory,
    /// Named Pipes.
    NamedPipes,
    /// VIA (removed in SQL Server 2012).
    Via,
}

/// Something the audit must not evaluate. At least one of `check`, `target`, `entity` is set;
/// all that are set must match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// Check id: one of the catalogue's (`autodbaudit checks` lists them), e.g. `R04`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// Target id from sql_targets.jsonc.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Entity name (login, database, linked server …); `*` and `?` wildcards, case-insensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// Why it is excluded; printed in the report.
    #[schemars(length(min = 1, max = 1000))]
    pub reason: String,
}

/// Defaults, in one place so that the templates, the schemas and the code agree.
pub mod defaults {
    use super::Protocol;
    use std::collections::BTreeSet;

    /// Login timeout: long enough for a slow WAN, short enough that a dead host does not stall.
    pub fn connect_timeout_s() -> u32 {
        15
    }
    /// Query timeout: catalog queries are small; a minute means something is wrong.
    pub fn query_timeout_s() -> u32 {
        60
    }
    /// Targets audited at once.
    pub fn concurrency() -> u32 {
        32
    }
    /// SQL Server 2019.
    pub fn minimum_major_version() -> u8 {
        15
    }
    /// Half a year's notice before a release's support ends.
    pub fn support_warn_days() -> u32 {
        180
    }
    /// A week without a full backup fails.
    pub fn backup_max_age_days() -> u32 {
        7
    }
    /// More than a day without a full backup warns.
    pub fn backup_warn_age_days() -> u32 {
        1
    }
    /// The usual sample and test databases.
    pub fn test_database_patterns() -> Vec<String> {
        [
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
        .collect()
    }
    /// TCP/IP and Shared Memory.
    pub fn allowed_protocols() -> BTreeSet<Protocol> {
        [Protocol::Tcp, Protocol::SharedMemory]
            .into_iter()
            .collect()
    }
    /// The server audit action groups the DISA STIG requires (X24).
    pub fn required_audit_groups() -> Vec<String> {
        audit_core::checks::STIG_AUDIT_GROUPS
            .iter()
            .map(|g| (*g).to_owned())
            .collect()
    }
    /// dbachecks' CertificateExpiration warning window: about a month.
    pub fn certificate_warn_days() -> u32 {
        30
    }
    /// CIS 5.1: at least 12 error log files.
    pub fn min_error_log_files() -> u32 {
        12
    }
    /// Serde default for booleans that default to true.
    pub fn yes() -> bool {
        true
    }
}
