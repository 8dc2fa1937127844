//! What the collector read from one instance: the facts every check is evaluated on.
//!
//! The collector (crate `collect`) fills a [`Snapshot`] over TDS; checks read it and nothing
//! else, so a check can be tested with a snapshot built in a few lines, and the history can
//! store snapshots to re-render a workbook without the servers. Every group of facts is a
//! [`Fact`]: either what the server said, or why it could not be read (missing permission,
//! a view the version lacks, a timeout) — so a check turns blind spots into UNKNOWN with the
//! reason instead of a false PASS.
//!
//! Names are kept exactly as the server returned them (`]`, `'`, Unicode, 128 characters):
//! they are data, quoted only where SQL is generated.

use serde::{Deserialize, Serialize};

use crate::BuildNumber;

/// Why a group of facts is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unavailable {
    /// What the server said or what went wrong, e.g. `error 300: VIEW SERVER STATE permission
    /// was denied` or `not available before SQL Server 2012`.
    pub reason: String,
}

impl Unavailable {
    /// A reason.
    pub fn new(reason: impl Into<String>) -> Unavailable {
        Unavailable {
            reason: reason.into(),
        }
    }
}

/// A group of facts, or why it could not be read.
pub type Fact<T> = Result<T, Unavailable>;

/// Names one group of facts of a [`Snapshot`]: what a check declares it reads, what a
/// permission unlocks, what an [`Unread`] scope is missing from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactId {
    /// `SERVERPROPERTY`, `@@VERSION`: always read (the audit stops without it).
    Server,
    /// The host OS.
    Host,
    /// Logins with their SQL-login details and password tests.
    Logins,
    /// Server role memberships.
    ServerRoleMembers,
    /// Explicit server permissions.
    ServerPermissions,
    /// `sys.configurations`.
    Configuration,
    /// The instance's Windows services.
    Services,
    /// Server network protocols (registry).
    Protocols,
    /// The login audit level (registry).
    LoginAuditLevel,
    /// Force Encryption (registry).
    ForceEncryption,
    /// Databases with state, options and backups.
    Databases,
    /// Principals, role members, permissions and triggers inside each database.
    DatabaseDetails,
    /// Linked servers and their login mappings.
    LinkedServers,
    /// Server-level triggers.
    ServerTriggers,
    /// Server audits and their specifications.
    Audits,
    /// Certificates of every database.
    Certificates,
    /// Database encryption keys (TDE).
    EncryptionKeys,
    /// Other clients' connections at audit time, grouped (`sys.dm_exec_connections`).
    Connections,
    /// Whether each server audit is running (`sys.dm_server_audit_status`).
    AuditStatus,
    /// SQL Server Agent jobs with their owners and start-up schedules (msdb).
    AgentJobs,
    /// The instance's own registry settings beyond protocols, login auditing and Force
    /// Encryption: error log retention, Hide Instance, the TCP ports (registry batch, or
    /// `sys.dm_server_registry`).
    InstanceSettings,
    /// Permissions granted or denied in master on extended stored procedures (`xp_cmdshell`,
    /// the registry procedures …): who besides sysadmin may run them.
    XpPermissions,
    /// Server credentials (`sys.credentials`), among them the xp_cmdshell proxy account.
    Credentials,
    /// Procedures of master marked to run at startup (`sp_procoption … startup`).
    StartupProcedures,
    /// Extended stored procedures of master not shipped by Microsoft (`sys.extended_procedures.is_ms_shipped = 0`), with their DLL.
    CustomExtendedProcedures,
    /// Database mirroring (availability group) and Service Broker endpoints (`sys.endpoints` with `sys.database_mirroring_endpoints` / `sys.service_broker_endpoints`): their state, owner and encryption.
    Endpoints,
    /// Host security settings SQL Server can read from the Windows registry (sysadmin's
    /// `xp_regread`): SCHANNEL protocol versions, FIPS mode, the Windows and SQL Server
    /// directories, CEIP and error reporting, the Windows Time service.
    HostSettings,
    /// The engine's start-up parameters (`SQLArg0`, `SQLArg1` … in `sys.dm_server_registry`).
    StartupParameters,
    /// SQL Server Agent proxies (msdb `sysproxies`, `sysproxysubsystem`, `sysproxylogin`)
    /// with their credential, subsystems and the principals allowed to use them.
    AgentProxies,
    /// Extensible Key Management providers registered on the instance
    /// (`sys.cryptographic_providers`).
    CryptographicProviders,
    /// The certificate the instance is configured to encrypt connections with (registry
    /// `SuperSocketNetLib\Certificate`, a thumbprint; empty or absent: a self-signed one).
    TlsCertificate,
    /// Windows logins whose account or group no longer exists in Windows
    /// (`sp_validatelogins`, sysadmin or securityadmin only).
    InvalidWindowsLogins,
}

impl FactId {
    /// Every fact group, in snapshot order.
    pub const ALL: [FactId; 32] = [
        FactId::Server,
        FactId::Host,
        FactId::Logins,
        FactId::ServerRoleMembers,
        FactId::ServerPermissions,
        FactId::Configuration,
        FactId::Services,
        FactId::Protocols,
        FactId::LoginAuditLevel,
        FactId::ForceEncryption,
        FactId::Databases,
        FactId::DatabaseDetails,
        FactId::LinkedServers,
        FactId::ServerTriggers,
        FactId::Audits,
        FactId::Certificates,
        FactId::EncryptionKeys,
        FactId::Connections,
        FactId::AuditStatus,
        FactId::AgentJobs,
        FactId::InstanceSettings,
        FactId::XpPermissions,
        FactId::Credentials,
        FactId::StartupProcedures,
        FactId::CustomExtendedProcedures,
        FactId::Endpoints,
        FactId::HostSettings,
        FactId::StartupParameters,
        FactId::AgentProxies,
        FactId::CryptographicProviders,
        FactId::TlsCertificate,
        FactId::InvalidWindowsLogins,
    ];

    /// The snake_case name used in files, evidence and messages (`database_details`).
    pub fn as_str(self) -> &'static str {
        match self {
            FactId::Server => "server",
            FactId::Host => "host",
            FactId::Logins => "logins",
            FactId::ServerRoleMembers => "server_role_members",
            FactId::ServerPermissions => "server_permissions",
            FactId::Configuration => "configuration",
            FactId::Services => "services",
            FactId::Protocols => "protocols",
            FactId::LoginAuditLevel => "login_audit_level",
            FactId::ForceEncryption => "force_encryption",
            FactId::Databases => "databases",
            FactId::DatabaseDetails => "database_details",
            FactId::LinkedServers => "linked_servers",
            FactId::ServerTriggers => "server_triggers",
            FactId::Audits => "audits",
            FactId::Certificates => "certificates",
            FactId::EncryptionKeys => "encryption_keys",
            FactId::Connections => "connections",
            FactId::AuditStatus => "audit_status",
            FactId::AgentJobs => "agent_jobs",
            FactId::InstanceSettings => "instance_settings",
            FactId::XpPermissions => "xp_permissions",
            FactId::Credentials => "credentials",
            FactId::StartupProcedures => "startup_procedures",
            FactId::CustomExtendedProcedures => "custom_extended_procedures",
            FactId::Endpoints => "endpoints",
            FactId::HostSettings => "host_settings",
            FactId::StartupParameters => "startup_parameters",
            FactId::AgentProxies => "agent_proxies",
            FactId::CryptographicProviders => "cryptographic_providers",
            FactId::TlsCertificate => "tls_certificate",
            FactId::InvalidWindowsLogins => "invalid_windows_logins",
        }
    }
}

impl std::fmt::Display for FactId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A part of the server a fact group could not be read from while the rest of it was: the
/// difference between "nothing there" and "could not look".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unread {
    /// The fact groups that lack this scope.
    pub facts: Vec<FactId>,
    /// What was not read.
    pub scope: Scope,
    /// Why.
    pub reason: UnreadReason,
    /// What the server said, or the state that kept the audit out (`OFFLINE`, `error 916: …`).
    pub detail: String,
}

/// A part of a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// One database, by name.
    Database(String),
    /// One kind of service (its configuration lives in the registry).
    Service(ServiceKind),
    /// The rows of catalog views that SQL Server's metadata visibility hides from the audit
    /// login: without VIEW ANY DEFINITION a login sees only itself, the fixed roles and what
    /// it owns or holds a permission on.
    HiddenRows,
}

/// Why a scope was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnreadReason {
    /// The audit login may not read it (no user in the database, a refused procedure).
    PermissionDenied,
    /// The database is not online (offline, restoring, recovering, suspect …): nobody can read it.
    NotOnline,
    /// The query for it failed.
    QueryError,
}

impl UnreadReason {
    /// The snake_case name used in evidence.
    pub fn as_str(self) -> &'static str {
        match self {
            UnreadReason::PermissionDenied => "permission_denied",
            UnreadReason::NotOnline => "not_online",
            UnreadReason::QueryError => "query_error",
        }
    }
}

impl Unread {
    /// One sentence: what was not read, why, and how to make it readable.
    pub fn describe(&self, login: &str) -> String {
        let what = match &self.scope {
            Scope::Database(name) => format!("database `{name}`"),
            Scope::Service(kind) => format!("the {} service", kind.display_name()),
            Scope::HiddenRows => "rows of other principals and databases".to_owned(),
        };
        match (self.reason, &self.scope) {
            (UnreadReason::PermissionDenied, Scope::Database(name)) => format!(
                "{what} is not readable by `{login}` ({}): create a user for the login in `{name}` \
                 or grant CONNECT ANY DATABASE (SQL Server 2014 and later); \
                 `autodbaudit permissions` prints the script",
                self.detail
            ),
            (UnreadReason::PermissionDenied, Scope::Service(_)) => format!(
                "{what} could not be read by `{login}` ({}): its configuration is in the registry, \
                 which only sysadmin may read through xp_regread; `autodbaudit permissions` says \
                 what to grant",
                self.detail
            ),
            (UnreadReason::PermissionDenied, Scope::HiddenRows) => format!(
                "{what} are hidden from `{login}` by SQL Server's metadata visibility ({}): \
                 grant what it lacks; `autodbaudit permissions` prints the script",
                self.detail
            ),
            (UnreadReason::NotOnline, _) => format!(
                "{what} is {} and could not be read by anyone; audit it again when it is online",
                self.detail
            ),
            (UnreadReason::QueryError, _) => {
                format!("{what} could not be read: {}", self.detail)
            }
        }
    }
}

/// One instance as the audit saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// `SERVERPROPERTY` and friends: always read first (the version decides the queries).
    pub server: ServerInfo,
    /// Who the audit connected as, and how.
    pub connection: ConnectionInfo,
    /// The host OS (`sys.dm_os_host_info`, 2017+; older versions parse `@@VERSION`).
    pub host: Fact<HostInfo>,
    /// Logins (server principals that can connect) with their SQL-login details.
    pub logins: Fact<Vec<LoginInfo>>,
    /// Server role memberships.
    pub server_role_members: Fact<Vec<RoleMember>>,
    /// Explicit server permissions.
    pub server_permissions: Fact<Vec<PermissionInfo>>,
    /// `sys.configurations`.
    pub configuration: Fact<Vec<ConfigValue>>,
    /// Windows services of the instance (engine, agent, Browser, SSRS, SSAS, SSIS …).
    pub services: Fact<Vec<ServiceInfo>>,
    /// Server network protocols (registry `SuperSocketNetLib`).
    pub protocols: Fact<Protocols>,
    /// The login audit level (registry `AuditLevel`: 0 none, 1 successful, 2 failed, 3 both).
    pub login_audit_level: Fact<i64>,
    /// Force Encryption (registry).
    pub force_encryption: Fact<bool>,
    /// Databases with their state, options and last backups.
    pub databases: Fact<Vec<DatabaseInfo>>,
    /// Principals, role members, permissions and triggers per online database.
    pub database_details: Fact<Vec<DatabaseDetail>>,
    /// Linked servers with their login mappings.
    pub linked_servers: Fact<Vec<LinkedServerInfo>>,
    /// Server-level triggers.
    pub server_triggers: Fact<Vec<TriggerInfo>>,
    /// Server audits with their specifications.
    pub audits: Fact<Vec<AuditInfo>>,
    /// Certificates of every database (master's protect TDE and backups).
    pub certificates: Fact<Vec<CertificateInfo>>,
    /// Database encryption keys (TDE).
    pub encryption_keys: Fact<Vec<EncryptionKeyInfo>>,
    /// Other clients' connections at audit time, grouped by transport, authentication scheme,
    /// encryption and client address; a snapshot stored before they were collected reads
    /// back as "not collected".
    #[serde(default = "not_collected")]
    pub connections: Fact<Vec<ConnectionGroup>>,
    /// The running state of each server audit (`sys.dm_server_audit_status`, VIEW SERVER
    /// STATE): `is_state_enabled` says an audit was switched on, only this view says it is
    /// actually STARTED (an audit whose target is unwritable stays enabled and FAILED).
    #[serde(default = "not_collected")]
    pub audit_status: Fact<Vec<AuditStatusInfo>>,
    /// SQL Server Agent jobs (msdb), with their owners and whether a schedule starts them
    /// when the Agent starts.
    #[serde(default = "not_collected")]
    pub agent_jobs: Fact<Vec<AgentJobInfo>>,
    /// The instance's registry settings read for the host and network checks; a snapshot
    /// stored before they were collected reads back as "not collected".
    #[serde(default = "not_collected")]
    pub instance_settings: Fact<InstanceSettings>,
    /// Explicit permissions in master on extended stored procedures (`class` OBJECT_OR_COLUMN,
    /// `securable` `sys.xp_cmdshell` …), from `master.sys.database_permissions` joined to
    /// `master.sys.all_objects` of type `X`. Snapshots stored before this fact existed read
    /// it as not collected.
    #[serde(default = "not_collected")]
    pub xp_permissions: Fact<Vec<PermissionInfo>>,
    /// Server credentials (`sys.credentials`).
    #[serde(default = "not_collected")]
    pub credentials: Fact<Vec<CredentialInfo>>,
    /// Procedures of master that run when the instance starts
    /// (`master.sys.procedures.is_auto_executed = 1`), as `schema.name`.
    #[serde(default = "not_collected")]
    pub startup_procedures: Fact<Vec<String>>,
    /// Extended stored procedures of master not shipped by Microsoft (`sys.extended_procedures.is_ms_shipped = 0`), with their DLL.
    #[serde(default = "not_collected")]
    pub custom_extended_procedures: Fact<Vec<ExtendedProcedureInfo>>,
    /// Database mirroring (availability group) and Service Broker endpoints (`sys.endpoints` with `sys.database_mirroring_endpoints` / `sys.service_broker_endpoints`): their state, owner and encryption.
    #[serde(default = "not_collected")]
    pub endpoints: Fact<Vec<EndpointInfo>>,
    /// Host security settings read from the Windows registry (sysadmin only); a snapshot
    /// stored before they were collected reads back as "not collected".
    #[serde(default = "not_collected")]
    pub host_settings: Fact<HostSettings>,
    /// The engine's start-up parameters in registry order (`-dC:\…\master.mdf`, `-T3226` …),
    /// from `sys.dm_server_registry` (VIEW SERVER STATE; 2008 R2 SP1 and later).
    #[serde(default = "not_collected")]
    pub startup_parameters: Fact<Vec<String>>,
    /// SQL Server Agent proxies (msdb): the credential each runs job steps as, its subsystems
    /// and who may use it. Only sysadmin may read msdb's proxy tables (learn.microsoft.com:
    /// dbo.sysproxies); snapshots stored before this fact existed read it as not collected.
    #[serde(default = "not_collected")]
    pub agent_proxies: Fact<Vec<AgentProxyInfo>>,
    /// Extensible Key Management providers (`sys.cryptographic_providers`); snapshots stored
    /// before this fact existed read it as not collected.
    #[serde(default = "not_collected")]
    pub cryptographic_providers: Fact<Vec<CryptographicProviderInfo>>,
    /// The thumbprint of the certificate the instance encrypts connections with (registry
    /// `SuperSocketNetLib\Certificate`; on Linux mssql-conf keeps it in mssql.conf, out of
    /// T-SQL's reach, and the value reads as absent); none when the
    /// value is empty or absent, and SQL Server then generates a self-signed certificate at
    /// start-up (learn.microsoft.com: "Configure SQL Server Database Engine for encrypting
    /// connections"). Snapshots stored before this fact existed read it as not collected.
    #[serde(default = "not_collected")]
    pub tls_certificate: Fact<Option<String>>,
    /// The Windows users and groups mapped to logins that no longer exist in Windows, as
    /// `sp_validatelogins` reports them ("Requires membership in the sysadmin or securityadmin
    /// fixed server role"); snapshots stored before this fact existed read it as not collected.
    #[serde(default = "not_collected")]
    pub invalid_windows_logins: Fact<Vec<InvalidWindowsLogin>>,
    /// The parts of the server that facts read as available could not be read from (a
    /// database the login cannot enter, services only the registry lists): those facts are
    /// partial, and the checks that read them say UNKNOWN for each part instead of PASS.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<Unread>,
}

/// What a fact added after a snapshot was stored reads as: unavailable, so the checks that
/// need it say UNKNOWN on an old snapshot instead of PASS.
fn not_collected<T>() -> Fact<T> {
    Err(Unavailable::new(
        "not collected: the snapshot predates this fact",
    ))
}

impl Snapshot {
    /// Why a whole fact group is missing; none when it was read (perhaps partially, see
    /// [`Snapshot::unread_of`]).
    pub fn unavailable(&self, fact: FactId) -> Option<&Unavailable> {
        fn gap<T>(f: &Fact<T>) -> Option<&Unavailable> {
            f.as_ref().err()
        }
        match fact {
            FactId::Server => None,
            FactId::Host => gap(&self.host),
            FactId::Logins => gap(&self.logins),
            FactId::ServerRoleMembers => gap(&self.server_role_members),
            FactId::ServerPermissions => gap(&self.server_permissions),
            FactId::Configuration => gap(&self.configuration),
            FactId::Services => gap(&self.services),
            FactId::Protocols => gap(&self.protocols),
            FactId::LoginAuditLevel => gap(&self.login_audit_level),
            FactId::ForceEncryption => gap(&self.force_encryption),
            FactId::Databases => gap(&self.databases),
            FactId::DatabaseDetails => gap(&self.database_details),
            FactId::LinkedServers => gap(&self.linked_servers),
            FactId::ServerTriggers => gap(&self.server_triggers),
            FactId::Audits => gap(&self.audits),
            FactId::Certificates => gap(&self.certificates),
            FactId::EncryptionKeys => gap(&self.encryption_keys),
            FactId::Connections => gap(&self.connections),
            FactId::AuditStatus => gap(&self.audit_status),
            FactId::AgentJobs => gap(&self.agent_jobs),
            FactId::InstanceSettings => gap(&self.instance_settings),
            FactId::XpPermissions => gap(&self.xp_permissions),
            FactId::Credentials => gap(&self.credentials),
            FactId::StartupProcedures => gap(&self.startup_procedures),
            FactId::CustomExtendedProcedures => gap(&self.custom_extended_procedures),
            FactId::Endpoints => gap(&self.endpoints),
            FactId::HostSettings => gap(&self.host_settings),
            FactId::StartupParameters => gap(&self.startup_parameters),
            FactId::AgentProxies => gap(&self.agent_proxies),
            FactId::CryptographicProviders => gap(&self.cryptographic_providers),
            FactId::TlsCertificate => gap(&self.tls_certificate),
            FactId::InvalidWindowsLogins => gap(&self.invalid_windows_logins),
        }
    }

    /// The scopes missing from any of `facts`.
    pub fn unread_of<'a>(&'a self, facts: &'a [FactId]) -> impl Iterator<Item = &'a Unread> + 'a {
        self.unread
            .iter()
            .filter(move |u| u.facts.iter().any(|f| facts.contains(f)))
    }

    /// Whether `database`'s contents were not read for `fact` (a check drawing a conclusion
    /// across every database, such as "this login is used nowhere", must not draw it then).
    pub fn database_unread(&self, fact: FactId, database: &str) -> bool {
        self.unread.iter().any(|u| {
            u.facts.contains(&fact)
                && matches!(&u.scope, Scope::Database(name) if name.eq_ignore_ascii_case(database))
        })
    }
}

/// Connections of other clients that share a transport, an authentication scheme, an
/// encryption state and a client address (`sys.dm_exec_connections`, the audit's own session
/// left out): how applications and people reach the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionGroup {
    /// `net_transport`: `TCP`, `Shared memory`, `Named pipe`, `Session` (MARS).
    pub transport: String,
    /// `auth_scheme`: `SQL`, `NTLM` or `KERBEROS`.
    pub auth_scheme: String,
    /// `encrypt_option` = TRUE: TLS protects the whole session.
    pub encrypted: bool,
    /// `client_net_address`; `<local machine>` for shared memory.
    pub client_address: String,
    /// How many connections.
    pub count: i64,
}

/// Registry settings of the instance (`xp_instance_regread`, or `sys.dm_server_registry` for a
/// login that is not sysadmin); each is none when the value is absent, which SQL Server reads as
/// its default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceSettings {
    /// `MSSQLServer\NumErrorLogs`: error log files kept besides the current one; absent means
    /// the default, 6 (learn.microsoft.com: "Configure SQL Server error logs").
    pub num_error_logs: Option<i64>,
    /// `SuperSocketNetLib\HideInstance`: 1 hides the instance from the Browser's answers;
    /// absent means 0.
    pub hide_instance: Option<bool>,
    /// `SuperSocketNetLib\Tcp\IPAll\TcpPort`: the static port(s), comma-separated; empty
    /// or absent when none is set (learn.microsoft.com: "Configure a server to listen on a
    /// specific TCP port"; on Linux mssql-conf `network.tcpport`).
    pub tcp_port: Option<String>,
    /// `SuperSocketNetLib\Tcp\IPAll\TcpDynamicPorts`: `0` or the port last given when dynamic
    /// ports are on; empty or absent when they are off.
    pub tcp_dynamic_ports: Option<String>,
}

/// Host security settings from the Windows registry, each none where the value is absent
/// (Windows then applies its own default, which the checks name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostSettings {
    /// `HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\<protocol>\<side>`
    /// for SSL 2.0, SSL 3.0, TLS 1.0, TLS 1.1 and TLS 1.2, Client and Server
    /// (learn.microsoft.com: "Transport Layer Security (TLS) registry settings").
    pub schannel: Vec<SchannelSetting>,
    /// `HKLM\SYSTEM\CurrentControlSet\Control\Lsa\FipsAlgorithmPolicy\Enabled`: the
    /// "System cryptography: Use FIPS compliant algorithms" security option.
    pub fips_enabled: Option<i64>,
    /// `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\SystemRoot`: the Windows directory.
    pub system_root: Option<String>,
    /// The instance's `Setup\SQLPath`: the root directory of its program files.
    pub sql_path: Option<String>,
    /// The instance's `CPE\CustomerFeedback` (usage data to Microsoft; 2016 and later).
    pub customer_feedback: Option<i64>,
    /// The instance's `CPE\EnableErrorReporting`.
    pub error_reporting: Option<i64>,
    /// `HKLM\SOFTWARE\Microsoft\Microsoft SQL Server\<major>0\CustomerFeedback` (all
    /// instances of the release).
    pub release_customer_feedback: Option<i64>,
    /// `…\<major>0\EnableErrorReporting`.
    pub release_error_reporting: Option<i64>,
    /// The instance's `CPE\UserRequestedLocalAuditDirectory`: where the telemetry service
    /// writes a local copy of what it sends (the Local Audit of usage data).
    pub local_audit_directory: Option<String>,
    /// `HKLM\SYSTEM\CurrentControlSet\Services\W32Time\Parameters\Type`: `NT5DS` (the
    /// domain hierarchy), `NTP` (the servers in `NtpServer`), `AllSync`, `NoSync`.
    pub time_sync_type: Option<String>,
    /// `…\W32Time\Parameters\NtpServer`.
    pub ntp_server: Option<String>,
}

/// One SCHANNEL protocol key: `Enabled` and `DisabledByDefault`, none when absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchannelSetting {
    /// `SSL 2.0`, `SSL 3.0`, `TLS 1.0`, `TLS 1.1`, `TLS 1.2`.
    pub protocol: String,
    /// `Client` or `Server`.
    pub side: String,
    /// `Enabled`: 0 disables the protocol.
    pub enabled: Option<i64>,
    /// `DisabledByDefault`: 1 keeps it off unless an application asks for it.
    pub disabled_by_default: Option<i64>,
}

/// What the server says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// `@@SERVERNAME`.
    pub server_name: String,
    /// `SERVERPROPERTY('MachineName')`.
    pub machine_name: String,
    /// `SERVERPROPERTY('InstanceName')`; none for a default instance.
    pub instance_name: Option<String>,
    /// `SERVERPROPERTY('ProductVersion')`.
    pub version: BuildNumber,
    /// `SERVERPROPERTY('ProductLevel')`: RTM, SP1 …
    pub product_level: String,
    /// `SERVERPROPERTY('ProductUpdateLevel')`: CU16 … (2012 SP and later).
    pub update_level: Option<String>,
    /// `SERVERPROPERTY('Edition')`.
    pub edition: String,
    /// `SERVERPROPERTY('EngineEdition')`.
    pub engine_edition: i64,
    /// `SERVERPROPERTY('IsIntegratedSecurityOnly')`: Windows authentication only.
    pub windows_auth_only: bool,
    /// `SERVERPROPERTY('IsClustered')`.
    pub clustered: bool,
    /// `@@VERSION`, for the inventory.
    pub version_text: String,
    /// `SERVERPROPERTY('ServerName')`: the machine's current network name (and instance),
    /// which, unlike `@@SERVERNAME`, follows a rename of the computer (learn.microsoft.com:
    /// @@SERVERNAME, Remarks). None in snapshots stored before it was collected, or when the
    /// server returned NULL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_server_name: Option<String>,
    /// `SERVERPROPERTY('IsHadrEnabled')`: Always On availability groups enabled (2012 and
    /// later; none before, or in snapshots stored before it was collected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hadr_enabled: Option<bool>,
}

/// The audit's own session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionInfo {
    /// `SUSER_SNAME()`: the principal the audit ran as (never to be locked out by remediation).
    pub login: String,
    /// `IS_SRVROLEMEMBER('sysadmin')`.
    pub sysadmin: bool,
    /// TLS protected the session.
    pub encrypted: bool,
    /// `SQL`, `NTLM`, `KERBEROS`.
    pub auth_scheme: String,
}

/// The host operating system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    /// `Windows` or `Linux`.
    pub platform: String,
    /// e.g. `Windows Server 2019 Datacenter`.
    pub distribution: String,
    /// e.g. `10.0`.
    pub release: String,
}

/// A login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginInfo {
    /// Name as the server has it.
    pub name: String,
    /// `principal_id` (1 is the built-in `sa`, whatever its name).
    pub principal_id: i64,
    /// SID in hex (`0x…`): the stable identity across renames.
    pub sid: String,
    /// `S` SQL login, `U` Windows user, `G` Windows group, `C`/`K` certificate/key mapped.
    pub kind: String,
    /// Disabled.
    pub disabled: bool,
    /// `create_date`.
    pub created: String,
    /// Default database.
    pub default_database: Option<String>,
    /// SQL logins: CHECK_POLICY.
    pub policy_checked: Option<bool>,
    /// SQL logins: CHECK_EXPIRATION.
    pub expiration_checked: Option<bool>,
    /// SQL logins: the password is empty or equals the login name (`PWDCOMPARE`); none when
    /// the hash could not be read (no CONTROL SERVER) or for Windows logins.
    pub weak_password: Option<WeakPassword>,
    /// SQL logins: when the password was last set.
    pub password_last_set: Option<String>,
    /// SQL logins: `LOGINPROPERTY(name, 'IsMustChange')`, the login must change its password at
    /// its next login (MUST_CHANGE); none for Windows logins, when hidden from the audit login,
    /// or in snapshots stored before it was collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub must_change: Option<bool>,
}

/// A password found by `PWDCOMPARE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WeakPassword {
    /// Neither empty nor the login name.
    No,
    /// Empty.
    Empty,
    /// The login name.
    SameAsName,
}

/// A role membership (server or database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMember {
    /// Role name.
    pub role: String,
    /// Member name.
    pub member: String,
    /// Member's principal type (`S`, `U`, `G`, `R` …).
    pub member_kind: String,
    /// Whether the member (a login) is disabled; false for database members.
    pub member_disabled: bool,
}

/// An explicit permission (server or database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionInfo {
    /// Grantee name.
    pub grantee: String,
    /// Grantee principal type.
    pub grantee_kind: String,
    /// `CONNECT SQL`, `SELECT`, `CONTROL SERVER` …
    pub permission: String,
    /// `GRANT`, `GRANT_WITH_GRANT_OPTION`, `DENY`.
    pub state: String,
    /// `SERVER`, `DATABASE`, `OBJECT_OR_COLUMN`, `SCHEMA` …
    pub class: String,
    /// The securable: `schema.object`, a schema, the login of a server-principal permission
    /// (IMPERSONATE, CONTROL … ON LOGIN), the endpoint of an endpoint permission (its name, or
    /// its `endpoint_id` when the name is hidden), or empty for the server / database itself.
    pub securable: String,
}

/// A server credential (`sys.credentials`): a Windows identity and secret that SQL Server
/// uses on behalf of logins (Agent proxies, the xp_cmdshell proxy, EKM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialInfo {
    /// Credential name (`##xp_cmdshell_proxy_account##` for the xp_cmdshell proxy).
    pub name: String,
    /// `credential_identity`: the account it stands for.
    pub identity: String,
}

/// A SQL Server Agent proxy (`msdb.dbo.sysproxies`): job steps of its subsystems run as its
/// credential's Windows identity instead of the Agent service account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentProxyInfo {
    /// Proxy name.
    pub name: String,
    /// Enabled.
    pub enabled: bool,
    /// The credential it uses (`sys.credentials.name`); none when it resolves to none.
    pub credential: Option<String>,
    /// That credential's `credential_identity`: the Windows account job steps run as.
    pub identity: Option<String>,
    /// The subsystems it may run (`CmdExec`, `PowerShell`, `Dts` …), by the names
    /// `sp_grant_proxy_to_subsystem` documents.
    pub subsystems: Vec<String>,
    /// Who may use it (`msdb.dbo.sysproxylogin`).
    pub grantees: Vec<ProxyGrantee>,
}

/// A principal allowed to use an Agent proxy (`msdb.dbo.sysproxylogin`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyGrantee {
    /// The login, server role or msdb role; none when its SID or id resolves to nothing.
    pub name: Option<String>,
    /// What it is (`flags`: 0 login, 1 fixed server role, 2 msdb database role).
    pub kind: ProxyGranteeKind,
}

/// The kinds of principal `sysproxylogin.flags` distinguishes (learn.microsoft.com:
/// dbo.sysproxylogin: "0 = Windows user or group, and SQL Server login. 1 = SQL Server fixed
/// system role 2 = msdb database role").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProxyGranteeKind {
    /// A Windows user or group, or a SQL Server login.
    Login,
    /// A fixed server role.
    ServerRole,
    /// A database role of msdb (`public` among them).
    MsdbRole,
}

impl ProxyGranteeKind {
    /// The kind from `sysproxylogin.flags`; none for a value the docs do not list.
    pub fn from_flags(flags: i64) -> Option<ProxyGranteeKind> {
        match flags {
            0 => Some(ProxyGranteeKind::Login),
            1 => Some(ProxyGranteeKind::ServerRole),
            2 => Some(ProxyGranteeKind::MsdbRole),
            _ => None,
        }
    }

    /// As people say it (`msdb role`).
    pub fn label(self) -> &'static str {
        match self {
            ProxyGranteeKind::Login => "login",
            ProxyGranteeKind::ServerRole => "server role",
            ProxyGranteeKind::MsdbRole => "msdb role",
        }
    }
}

/// A row of `sp_validatelogins`: a Windows user or group mapped to a login that no longer
/// exists in Windows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidWindowsLogin {
    /// `SID`, in hex.
    pub sid: String,
    /// `NT Login`: the login's name.
    pub name: String,
}

/// An Extensible Key Management provider (`sys.cryptographic_providers`): a vendor DLL loaded
/// into the server process that holds or protects encryption keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptographicProviderInfo {
    /// Provider name.
    pub name: String,
    /// `dll_path`: the DLL the engine loads.
    pub dll_path: String,
    /// `version`, as the provider reports it.
    pub version: Option<String>,
    /// `is_enabled`.
    pub enabled: bool,
}

/// An extended stored procedure (`sys.extended_procedures`): native code loaded into the
/// server process from a DLL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtendedProcedureInfo {
    /// `schema.name` in master.
    pub name: String,
    /// `dll_name`: the DLL, with its path when one was given.
    pub dll: String,
}

/// A database mirroring (availability group) or Service Broker endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointInfo {
    /// Endpoint name.
    pub name: String,
    /// `type_desc`: `DATABASE_MIRRORING` or `SERVICE_BROKER`.
    pub kind: String,
    /// `state_desc`: `STARTED`, `STOPPED`, `DISABLED`.
    pub state: String,
    /// The owning login (`SUSER_NAME(principal_id)`); none when it no longer resolves.
    pub owner: Option<String>,
    /// The owner's `principal_id` (1 is the built-in sa, whatever its name).
    pub owner_id: Option<i64>,
    /// Mirroring endpoints: `is_encryption_enabled`; none for Service Broker.
    pub encryption_enabled: Option<bool>,
    /// `encryption_algorithm_desc`: `NONE`, `RC4`, `AES`, `NONE, AES`, `RC4, AES` …
    pub algorithm: Option<String>,
}

/// One `sys.configurations` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigValue {
    /// Option name.
    pub name: String,
    /// Configured value.
    pub value: i64,
    /// Value in use (differs until RECONFIGURE or a restart).
    pub value_in_use: i64,
    /// Advanced option.
    pub advanced: bool,
    /// Takes effect without a restart.
    pub dynamic: bool,
}

/// A Windows service of the instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceInfo {
    /// What it is.
    pub kind: ServiceKind,
    /// The Windows service name (`MSSQL$SQL2019`, `SQLBrowser` …).
    pub service_name: String,
    /// The account it runs as.
    pub account: String,
    /// `Automatic`, `Manual`, `Disabled`.
    pub startup: String,
    /// Running now; none when only the registry was readable (Browser, SSRS …).
    pub running: Option<bool>,
    /// `instant_file_initialization_enabled` of the engine (2012 SP4, 2014 SP3, 2016 SP1 and
    /// later): the service may skip zeroing new data-file space. None where not reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instant_file_initialization: Option<bool>,
}

/// Kinds of SQL Server services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ServiceKind {
    /// Database engine.
    Engine,
    /// SQL Server Agent.
    Agent,
    /// Full-text filter daemon launcher.
    FullText,
    /// SQL Server Browser.
    Browser,
    /// Reporting Services.
    Reporting,
    /// Analysis Services.
    Analysis,
    /// Integration Services.
    Integration,
}

impl ServiceKind {
    /// Every kind, engine first.
    pub const ALL: [ServiceKind; 7] = [
        ServiceKind::Engine,
        ServiceKind::Agent,
        ServiceKind::FullText,
        ServiceKind::Browser,
        ServiceKind::Reporting,
        ServiceKind::Analysis,
        ServiceKind::Integration,
    ];

    /// The kind as people name it.
    pub fn display_name(self) -> &'static str {
        match self {
            ServiceKind::Engine => "Database Engine",
            ServiceKind::Agent => "SQL Server Agent",
            ServiceKind::FullText => "Full-Text Filter Daemon Launcher",
            ServiceKind::Browser => "SQL Server Browser",
            ServiceKind::Reporting => "Reporting Services",
            ServiceKind::Analysis => "Analysis Services",
            ServiceKind::Integration => "Integration Services",
        }
    }

    /// A short stable name for keys (`engine`, `browser` …): the same whichever source
    /// (`sys.dm_server_services` or the registry) listed the service, so an entity keeps its
    /// key when the audit login changes.
    pub fn slug(self) -> &'static str {
        match self {
            ServiceKind::Engine => "engine",
            ServiceKind::Agent => "agent",
            ServiceKind::FullText => "full_text",
            ServiceKind::Browser => "browser",
            ServiceKind::Reporting => "reporting",
            ServiceKind::Analysis => "analysis",
            ServiceKind::Integration => "integration",
        }
    }
}

/// Server network protocols; none where the registry value is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protocols {
    /// TCP/IP.
    pub tcp: Option<bool>,
    /// Named Pipes.
    pub named_pipes: Option<bool>,
    /// Shared Memory.
    pub shared_memory: Option<bool>,
    /// VIA (2012 and older).
    pub via: Option<bool>,
}

/// A database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseInfo {
    /// Name.
    pub name: String,
    /// `database_id` (1–4 are the system databases).
    pub id: i64,
    /// Owner login name (none when the owner SID matches no login).
    pub owner: Option<String>,
    /// `ONLINE`, `OFFLINE`, `RESTORING` …
    pub state: String,
    /// `FULL`, `SIMPLE`, `BULK_LOGGED`.
    pub recovery_model: String,
    /// TRUSTWORTHY.
    pub trustworthy: bool,
    /// TDE on.
    pub encrypted: bool,
    /// Read-only.
    pub read_only: bool,
    /// `create_date`.
    pub created: String,
    /// Last full backup (`msdb.dbo.backupset`, type D).
    pub last_full_backup: Option<String>,
    /// Last log backup (type L).
    pub last_log_backup: Option<String>,
    /// `containment_desc` (2012+): `NONE` or `PARTIAL`; none before 2012 (no contained
    /// databases) and in snapshots stored before it was read.
    #[serde(default)]
    pub containment: Option<String>,
    /// `owner_sid` in hex: X69 tells an owner whose login was dropped from one never read.
    /// None in snapshots stored before it was read (as for every field below).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_sid: Option<String>,
    /// `is_db_chaining_on`: cross-database ownership chaining for this database (X67).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_chaining: Option<bool>,
    /// `is_auto_close_on` (X68).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_close: Option<bool>,
    /// Last differential backup (`msdb.dbo.backupset`, type I).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_diff_backup: Option<String>,
    /// Last log backup written to the `NUL` device, i.e. thrown away (backupmediafamily).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_nul_log_backup: Option<String>,
    /// The latest full backup's `key_algorithm` (2014+): `AES_256` …, empty when it was not
    /// encrypted; none when there is no full backup, before 2014, or not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_full_backup_encryption: Option<String>,
    /// The latest full backup's `encryptor_thumbprint` (2014+): the certificate or key it was
    /// encrypted with (R11 names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_full_backup_encryptor: Option<String>,
    /// `is_master_key_encrypted_by_server`: the database master key can be opened by the
    /// service master key (X78).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_key_encrypted_by_server: Option<bool>,
}

impl DatabaseInfo {
    /// master, tempdb, model, msdb.
    pub fn is_system(&self) -> bool {
        (1..=4).contains(&self.id)
    }
}

/// What is inside one online database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseDetail {
    /// Database name.
    pub database: String,
    /// Users and roles.
    pub principals: Vec<DatabasePrincipal>,
    /// Role memberships.
    pub role_members: Vec<RoleMember>,
    /// Explicit permissions.
    pub permissions: Vec<PermissionInfo>,
    /// DML and DDL triggers.
    pub triggers: Vec<TriggerInfo>,
    /// Symmetric and asymmetric keys (the master keys included). Empty in snapshots stored
    /// before they were read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<DatabaseKeyInfo>,
    /// User CLR assemblies (`is_user_defined = 1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assemblies: Vec<AssemblyInfo>,
    /// Modules (procedures, functions, triggers) that run as someone else
    /// (`sys.sql_modules.execute_as_principal_id IS NOT NULL`), reviewed by X80 (rewriting one
    /// needs IMPERSONATE on whom it runs as, so they are no edge of the privilege graph). Empty
    /// in history written before it was read.
    #[serde(default)]
    pub modules: Vec<ModuleInfo>,
    /// Schemas owned by a user rather than dbo or a role, and objects owned apart from their
    /// schema (X81). Empty in snapshots stored before it was read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owned: Vec<OwnedSecurable>,
}

/// A schema or object whose owner is an individual principal (learn.microsoft.com:
/// sys.schemas.principal_id; sys.objects.principal_id, "NULL if … owned by the schema owner").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedSecurable {
    /// `SCHEMA` or `OBJECT`.
    pub kind: String,
    /// The schema, or `schema.object`.
    pub name: String,
    /// The owning database principal.
    pub owner: String,
    /// Its type (`S`, `U`, `G` …).
    pub owner_kind: String,
}

/// A symmetric or asymmetric key of a database (sys.symmetric_keys, sys.asymmetric_keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseKeyInfo {
    /// Name (`##MS_DatabaseMasterKey##` for the database master key).
    pub name: String,
    /// `SYMMETRIC` or `ASYMMETRIC`.
    pub kind: String,
    /// `algorithm_desc`: `AES_256`, `TRIPLE_DES`, `RSA_2048` …
    pub algorithm: Option<String>,
    /// Key length in bits.
    pub key_length: Option<i64>,
}

/// A user CLR assembly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssemblyInfo {
    /// Name.
    pub name: String,
    /// `permission_set_desc`: `SAFE_ACCESS`, `EXTERNAL_ACCESS`, `UNSAFE_ACCESS`.
    pub permission_set: String,
    /// `clr_name`: its strong name.
    pub clr_name: Option<String>,
}

/// A module with an EXECUTE AS clause (learn.microsoft.com: sys.sql_modules,
/// `execute_as_principal_id`: "NULL = EXECUTE AS CALLER … -2 = EXECUTE AS OWNER").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleInfo {
    /// Schema name.
    pub schema: String,
    /// Module name.
    pub name: String,
    /// `sys.objects.type`: `P`, `FN`, `IF`, `TF`, `TR` …
    pub kind: String,
    /// The database principal it runs as: the named user for EXECUTE AS 'user' / SELF, the
    /// module's owner (the schema owner unless the object has its own) for EXECUTE AS OWNER.
    pub execute_as: String,
    /// Declared EXECUTE AS OWNER (`execute_as_principal_id` = -2).
    pub as_owner: bool,
}

/// A database user or role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabasePrincipal {
    /// Name.
    pub name: String,
    /// `principal_id`.
    pub principal_id: i64,
    /// `S` SQL user, `U` Windows user, `G` Windows group, `R` role …
    pub kind: String,
    /// SID in hex, if any.
    pub sid: Option<String>,
    /// The login it maps to, by SID; none for an orphaned user (or one without login).
    pub login: Option<String>,
    /// Fixed role (`db_owner` …).
    pub fixed_role: bool,
    /// Has CONNECT (guest: whether guest is enabled).
    pub can_connect: bool,
    /// `authentication_type_desc` (2012+): `INSTANCE` (maps to a login), `DATABASE` (contained
    /// user with a password), `WINDOWS`, `NONE` (created `WITHOUT LOGIN` on purpose); none before
    /// 2012. R13 needs it to tell an orphaned user from a user that never had a login.
    #[serde(default)]
    pub authentication_type: Option<String>,
}

/// A trigger (server or database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerInfo {
    /// Name.
    pub name: String,
    /// The table (`schema.table`), `DATABASE` or `SERVER`.
    pub parent: String,
    /// Disabled.
    pub disabled: bool,
    /// Events (server triggers: `LOGON`, `DDL_LOGIN_EVENTS` …).
    pub events: Vec<String>,
}

/// A linked server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedServerInfo {
    /// Name.
    pub name: String,
    /// Product.
    pub product: String,
    /// OLE DB provider.
    pub provider: String,
    /// Data source.
    pub data_source: String,
    /// RPC out enabled.
    pub rpc_out: bool,
    /// Login mappings.
    pub logins: Vec<LinkedLoginInfo>,
}

/// How a linked server maps a local login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedLoginInfo {
    /// The local login; none = every login.
    pub local: Option<String>,
    /// Connects as itself.
    pub uses_self: bool,
    /// The remote login.
    pub remote: Option<String>,
    /// The local login exists but its name is hidden from the audit login (metadata
    /// visibility): `local` then describes it, and nothing may be scripted against it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub local_hidden: bool,
}

/// A server audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditInfo {
    /// Name.
    pub name: String,
    /// `FILE`, `APPLICATION LOG`, `SECURITY LOG`.
    pub destination: String,
    /// Started.
    pub enabled: bool,
    /// Its server audit specifications.
    pub specifications: Vec<AuditSpecificationInfo>,
    /// `on_failure_desc`: `CONTINUE`, `SHUTDOWN SERVER INSTANCE`, `FAIL OPERATION` (2012+);
    /// what happens when the audit cannot write (STIG SQL6-D0-005600).
    #[serde(default)]
    pub on_failure: Option<String>,
    /// The `WHERE` filter of the audit (`predicate`, 2012+; none before and when unfiltered):
    /// a filter can exclude the very principals the audit must record.
    #[serde(default)]
    pub predicate: Option<String>,
    /// File audits only (`sys.server_file_audits`): storage limits, read when the audit writes
    /// to a file. None for other destinations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<AuditFileInfo>,
}

/// The storage settings of a file audit (`sys.server_file_audits`): whether old records are
/// overwritten (rollover) or the audit stops when full is the organisation's choice (STIG
/// SQL6-D0-005700, 010900).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFileInfo {
    /// `max_file_size` in MB; 0 = unlimited.
    pub max_file_size_mb: i64,
    /// `max_rollover_files`; 2147483647 = unlimited.
    pub max_rollover_files: i64,
    /// `max_files` (2012+; none before): the audit stops, rather than rolls over, after this many.
    pub max_files: Option<i64>,
    /// `log_file_path`.
    pub path: Option<String>,
}

/// One row of `sys.dm_server_audit_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditStatusInfo {
    /// Audit name.
    pub name: String,
    /// `status_desc`: `STARTED` or `FAILED` on the 2008–2014 pages; `NOT_STARTED`, `STARTED`,
    /// `RUNTIME_FAIL`, `TARGET_CREATION_FAILED`, `SHUTTING_DOWN` on the current one.
    pub status: String,
}

/// A SQL Server Agent job (`msdb.dbo.sysjobs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentJobInfo {
    /// Job name.
    pub name: String,
    /// Enabled.
    pub enabled: bool,
    /// `owner_sid`, in hex.
    pub owner_sid: String,
    /// The login that SID belongs to (`SUSER_SNAME`); none when it resolves to no login.
    pub owner: Option<String>,
    /// Names of its enabled schedules of type 64 ("Start automatically when SQL Server Agent
    /// starts").
    pub startup_schedules: Vec<String>,
}

/// A server audit specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSpecificationInfo {
    /// Name.
    pub name: String,
    /// Enabled.
    pub enabled: bool,
    /// Action groups (`FAILED_LOGIN_GROUP` …).
    pub actions: Vec<String>,
}

/// A certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateInfo {
    /// The database it is in.
    pub database: String,
    /// Name.
    pub name: String,
    /// Subject.
    pub subject: String,
    /// Expiry date.
    pub expiry: String,
    /// `pvt_key_last_backup_date`: `Some(None)` = never backed up, `None` = the version does
    /// not record it (before 2012). Stored as absent (`None`) or `null` (`Some(None)`) so that a
    /// stored snapshot keeps the difference.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    pub last_backup: Option<Option<String>>,
    /// Whether it has a private key (`pvt_key_encryption_type <> 'NA'`): only a private key needs
    /// a backup (R11); a certificate holding only a public key can be re-imported from anywhere.
    #[serde(default = "yes")]
    pub has_private_key: bool,
    /// Key length in bits (`key_length`, SQL Server 2016+); none before, or in snapshots
    /// stored before it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_length: Option<i64>,
    /// SHA-1 thumbprint in hex: how TDE keys and encrypted backups name the certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbprint: Option<String>,
}

/// Serde default for facts that default to true.
fn yes() -> bool {
    true
}

/// `Option<Option<T>>` that survives a round trip: absent = `None`, `null` = `Some(None)`.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            // Skipped by `skip_serializing_if`; written as null if a format cannot skip.
            None => serializer.serialize_none(),
            Some(inner) => inner.serialize(serializer),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// A database encryption key (TDE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptionKeyInfo {
    /// The database.
    pub database: String,
    /// 0–6 (3 = encrypted).
    pub state: i64,
    /// `CERTIFICATE`, `ASYMMETRIC KEY`.
    pub encryptor_type: String,
    /// The certificate (in master) protecting it, when one matches the thumbprint.
    pub certificate: Option<String>,
    /// `key_algorithm`: `AES` or `TRIPLE_DES_3KEY`; none in snapshots stored before it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_algorithm: Option<String>,
    /// `key_length`: 128, 192 or 256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_length: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(last_backup: Option<Option<String>>) -> CertificateInfo {
        CertificateInfo {
            database: "master".to_owned(),
            name: "TDECert".to_owned(),
            subject: "CN=TDE".to_owned(),
            expiry: "2030-01-01".to_owned(),
            last_backup,
            has_private_key: true,
            key_length: None,
            thumbprint: None,
        }
    }

    #[test]
    fn never_backed_up_and_not_recorded_stay_apart_through_serde() {
        for value in [
            None,
            Some(None),
            Some(Some("2025-01-01 00:00:00".to_owned())),
        ] {
            let json = serde_json::to_string(&cert(value.clone())).unwrap();
            let back: CertificateInfo = serde_json::from_str(&json).unwrap();
            assert_eq!(back.last_backup, value, "{json}");
        }
    }

    #[test]
    fn facts_added_later_have_defaults() {
        let json = r#"{"database":"master","name":"c","subject":"","expiry":""}"#;
        let c: CertificateInfo = serde_json::from_str(json).unwrap();
        assert_eq!((c.last_backup, c.has_private_key), (None, true));
        let json = r#"{"name":"u","principal_id":5,"kind":"S","sid":"0x01","login":null,"fixed_role":false,"can_connect":true}"#;
        let u: DatabasePrincipal = serde_json::from_str(json).unwrap();
        assert_eq!(u.authentication_type, None);
    }
}
