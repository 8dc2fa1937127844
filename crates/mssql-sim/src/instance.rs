//! What a simulated instance is. This model is both the fixture file format (TOML, see
//! `docs/simulator.md`) and the live state of a running instance: statements that change the
//! server (ALTER LOGIN, DROP USER, sp_configure, …) change this model, and the catalog tables
//! the queries read are rebuilt from it. One source of truth, so a fix is visible to the next
//! query exactly as on a real server.
//!
//! Fixture files name things as a DBA would (`roles = ["sysadmin"]`, `trustworthy = true`,
//! `last_full_backup = "-30d"`); [`Instance::normalize`] fills in everything a fresh
//! installation has (the `sa` login, the fixed roles, system databases, default services,
//! principal ids and SIDs), so a fixture only states what differs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub mod when;
pub use when::When;

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn master() -> String {
    "master".into()
}

/// A product version `major.minor.build.revision`, written as text in fixtures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Version {
    /// 10 = 2008 / 2008 R2, 11 = 2012, … 17 = 2025.
    pub major: u8,
    /// 50 for 2008 R2, 0 otherwise.
    pub minor: u8,
    /// Build number: what service packs and cumulative updates change.
    pub build: u16,
    /// Revision.
    pub revision: u16,
}

impl Version {
    /// A version from its four parts.
    pub const fn new(major: u8, minor: u8, build: u16, revision: u16) -> Version {
        Version {
            major,
            minor,
            build,
            revision,
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{}.{}.{}",
            self.major, self.minor, self.build, self.revision
        )
    }
}

impl TryFrom<String> for Version {
    type Error = String;
    fn try_from(text: String) -> Result<Version, String> {
        let parts: Vec<&str> = text.split('.').collect();
        let bad =
            || format!("version `{text}` is not major.minor.build.revision, e.g. 15.0.2000.5");
        if parts.len() != 4 {
            return Err(bad());
        }
        Ok(Version {
            major: parts[0].parse().map_err(|_| bad())?,
            minor: parts[1].parse().map_err(|_| bad())?,
            build: parts[2].parse().map_err(|_| bad())?,
            revision: parts[3].parse().map_err(|_| bad())?,
        })
    }
}

impl From<Version> for String {
    fn from(v: Version) -> String {
        v.to_string()
    }
}

/// Which logins the server accepts (`SERVERPROPERTY('IsIntegratedSecurityOnly')`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Authentication {
    /// Windows authentication only: SQL logins are refused (18456 state 58).
    Windows,
    /// SQL Server and Windows authentication.
    #[default]
    Mixed,
}

/// Whether the server has a TLS certificate and forces encryption.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encryption {
    /// No certificate: PRELOGIN answers NOT_SUP.
    Unavailable,
    /// A certificate; encrypts what the client asks to encrypt.
    #[default]
    Optional,
    /// Force Encryption is set: every session is encrypted.
    Forced,
}

/// Which logins SQL Server writes to its error log (the `AuditLevel` registry value).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginAudit {
    /// 0: none.
    None,
    /// 2: failed logins only (the installation default).
    #[default]
    Failed,
    /// 1: successful logins only.
    Successful,
    /// 3: both failed and successful logins.
    Both,
}

impl LoginAudit {
    /// The `AuditLevel` registry value.
    pub fn level(self) -> i64 {
        match self {
            LoginAudit::None => 0,
            LoginAudit::Successful => 1,
            LoginAudit::Failed => 2,
            LoginAudit::Both => 3,
        }
    }

    /// The setting for an `AuditLevel` registry value.
    pub fn from_level(level: i64) -> LoginAudit {
        match level {
            0 => LoginAudit::None,
            1 => LoginAudit::Successful,
            3 => LoginAudit::Both,
            _ => LoginAudit::Failed,
        }
    }
}

/// The server network protocols (SQL Server Configuration Manager; registry
/// `SuperSocketNetLib\{Tcp,Np,Sm,Via}\Enabled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocols {
    /// TCP/IP.
    #[serde(default = "yes")]
    pub tcp: bool,
    /// Named Pipes.
    #[serde(default)]
    pub named_pipes: bool,
    /// Shared Memory.
    #[serde(default = "yes")]
    pub shared_memory: bool,
    /// VIA (removed after 2012; still in the registry of older versions).
    #[serde(default)]
    pub via: bool,
}

impl Default for Protocols {
    fn default() -> Protocols {
        Protocols {
            tcp: true,
            named_pipes: false,
            shared_memory: true,
            via: false,
        }
    }
}

/// The machine the instance runs on (`sys.dm_os_host_info`, `sys.dm_os_sys_info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// `Windows` or `Linux`.
    #[serde(default = "windows")]
    pub platform: String,
    /// e.g. `Windows Server 2019 Datacenter`.
    #[serde(default = "distribution")]
    pub distribution: String,
    /// e.g. `10.0`.
    #[serde(default = "release")]
    pub release: String,
    /// Logical CPUs.
    #[serde(default = "cpus")]
    pub cpu_count: u32,
    /// Physical memory in MB.
    #[serde(default = "memory")]
    pub memory_mb: u64,
}

fn windows() -> String {
    "Windows".into()
}
fn distribution() -> String {
    "Windows Server 2019 Datacenter".into()
}
fn release() -> String {
    "10.0".into()
}
fn cpus() -> u32 {
    4
}
fn memory() -> u64 {
    16384
}

impl Default for Host {
    fn default() -> Host {
        Host {
            platform: windows(),
            distribution: distribution(),
            release: release(),
            cpu_count: cpus(),
            memory_mb: memory(),
        }
    }
}

/// The kind of a server principal that can log in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginKind {
    /// SQL authentication: name and password (`S`).
    #[default]
    Sql,
    /// A Windows user account (`U`).
    WindowsUser,
    /// A Windows group: its members log in through it (`G`).
    WindowsGroup,
    /// Mapped to a certificate; cannot log in (`C`).
    Certificate,
}

impl LoginKind {
    /// `type` and `type_desc` in `sys.server_principals`.
    pub fn codes(self) -> (&'static str, &'static str) {
        match self {
            LoginKind::Sql => ("S", "SQL_LOGIN"),
            LoginKind::WindowsUser => ("U", "WINDOWS_LOGIN"),
            LoginKind::WindowsGroup => ("G", "WINDOWS_GROUP"),
            LoginKind::Certificate => ("C", "CERTIFICATE_MAPPED_LOGIN"),
        }
    }
}

/// A login (server principal that can connect).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// Login name; Windows logins as `DOMAIN\name`.
    pub name: String,
    /// SQL login, Windows user or group, certificate-mapped.
    #[serde(default, rename = "type")]
    pub kind: LoginKind,
    /// The password of a SQL login, kept in clear so that the simulator can verify logins and
    /// `PWDCOMPARE`. Empty means an empty password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Disabled logins cannot connect (18470).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// Server roles it belongs to (`sysadmin`, `securityadmin`, a user-defined role, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Server permissions granted to it (`VIEW SERVER STATE`, `CONTROL SERVER`, …), besides
    /// CONNECT SQL, which every login has; one on a server principal reads
    /// `PERMISSION ON LOGIN::name` or `PERMISSION ON SERVER ROLE::name` (class 101).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
    /// Server permissions denied to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied: Vec<String>,
    /// Logins it may impersonate (`GRANT IMPERSONATE ON LOGIN::target`), by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub impersonate: Vec<String>,
    /// CHECK_POLICY (SQL logins).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub check_policy: bool,
    /// CHECK_EXPIRATION (SQL logins).
    #[serde(default, skip_serializing_if = "is_false")]
    pub check_expiration: bool,
    /// Locked out by the password policy.
    #[serde(default, skip_serializing_if = "is_false")]
    pub locked: bool,
    /// Must change its password at next login.
    #[serde(default, skip_serializing_if = "is_false")]
    pub must_change: bool,
    /// Default database.
    #[serde(default = "master")]
    pub default_database: String,
    /// When it was created (`create_date`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<When>,
    /// When its password was last set (`LOGINPROPERTY(…, 'PasswordLastSetTime')`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_last_set: Option<When>,
    /// This is the built-in `sa` (principal_id 1, SID 0x01), whatever its current name.
    #[serde(default, skip_serializing_if = "is_false")]
    pub sa: bool,
    /// A Windows user or group login whose account no longer exists in Windows (deleted from
    /// Active Directory or the local machine): `sp_validatelogins` lists it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub gone_from_windows: bool,
    /// Assigned by [`Instance::normalize`]: `principal_id`.
    #[serde(skip)]
    pub principal_id: i32,
    /// Assigned by [`Instance::normalize`]: the SID.
    #[serde(skip)]
    pub sid: Vec<u8>,
}

impl Login {
    /// An enabled SQL login with CHECK_POLICY on and no server role.
    pub fn new(name: &str, password: &str) -> Login {
        Login {
            name: name.to_owned(),
            kind: LoginKind::Sql,
            password: Some(password.to_owned()),
            enabled: true,
            roles: Vec::new(),
            permissions: Vec::new(),
            denied: Vec::new(),
            impersonate: Vec::new(),
            check_policy: true,
            check_expiration: false,
            locked: false,
            must_change: false,
            default_database: master(),
            created: None,
            password_last_set: None,
            sa: false,
            gone_from_windows: false,
            principal_id: 0,
            sid: Vec::new(),
        }
    }

    /// A Windows login (user or group) named `DOMAIN\name`.
    pub fn windows(name: &str, kind: LoginKind) -> Login {
        Login {
            kind,
            password: None,
            check_policy: false,
            ..Login::new(name, "")
        }
    }

    /// The same login in `role` too.
    pub fn in_role(mut self, role: &str) -> Login {
        self.roles.push(role.to_owned());
        self
    }
}

/// A user-defined server role (SQL Server 2012 and later).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerRole {
    /// Role name.
    pub name: String,
    /// Server permissions granted to the role.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Assigned by [`Instance::normalize`].
    #[serde(skip)]
    pub principal_id: i32,
}

/// A Windows account in the simulated domain: who can authenticate with NTLM, and the groups
/// that may give it access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowsAccount {
    /// `DOMAIN\user`.
    pub name: String,
    /// Its Windows password (NTLMv2 is verified against it).
    pub password: String,
    /// Windows groups it is a member of, as `DOMAIN\group`.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// An `sp_configure` value: one number (value = value_in_use) or both when a change waits
/// for RECONFIGURE or a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Setting {
    /// Configured and in use.
    Value(i64),
    /// Configured value and the value in use.
    Pending {
        /// `value`.
        value: i64,
        /// `value_in_use`.
        in_use: i64,
    },
}

impl Setting {
    /// (value, value_in_use).
    pub fn pair(self) -> (i64, i64) {
        match self {
            Setting::Value(v) => (v, v),
            Setting::Pending { value, in_use } => (value, in_use),
        }
    }
}

/// How a Windows service starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Startup {
    /// Starts with Windows (registry `Start` = 2).
    Automatic,
    /// Started by hand (3).
    Manual,
    /// Cannot start (4).
    Disabled,
}

impl Startup {
    /// The registry `Start` value.
    pub fn registry_start(self) -> i64 {
        match self {
            Startup::Automatic => 2,
            Startup::Manual => 3,
            Startup::Disabled => 4,
        }
    }
}

/// What a service is; decides its service name and whether `sys.dm_server_services` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// The database engine.
    Engine,
    /// SQL Server Agent.
    Agent,
    /// Full-text filter daemon launcher.
    FullText,
    /// SQL Server Browser (shared by all instances).
    Browser,
    /// Reporting Services.
    Reporting,
    /// Analysis Services.
    Analysis,
    /// Integration Services.
    Integration,
}

/// A Windows service belonging to the instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// What it is.
    pub kind: ServiceKind,
    /// The account it runs as, e.g. `LocalSystem` or `NT Service\MSSQLSERVER`.
    pub account: String,
    /// Startup type.
    pub startup: Startup,
    /// Whether it runs now.
    #[serde(default = "yes")]
    pub running: bool,
}

/// Registry settings of the instance under `…\MSSQLServer` (`xp_instance_regread`,
/// `sys.dm_server_registry`); none means the value setup writes (or its absence).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSettings {
    /// `MSSQLServer\NumErrorLogs`; none: the value is absent and SQL Server keeps 6 files
    /// besides the current one (learn.microsoft.com: "Configure SQL Server error logs").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_logs: Option<i64>,
    /// `SuperSocketNetLib\HideInstance` (setup writes 0; learn.microsoft.com: "Hide an instance
    /// of SQL Server Database Engine").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hide_instance: bool,
    /// `SuperSocketNetLib\Tcp\IPAll\TcpPort`; none: what setup writes, `1433` for a default
    /// instance and empty for a named one, which uses a dynamic port (learn.microsoft.com:
    /// "Configure a server to listen on a specific TCP port"; on Linux mssql-conf
    /// `network.tcpport`, default 1433).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_port: Option<String>,
    /// `SuperSocketNetLib\Tcp\IPAll\TcpDynamicPorts`; none: what setup writes, empty for a
    /// default instance and `0` (a dynamic port) for a named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_dynamic_ports: Option<String>,
    /// Start-up parameters after the three setup writes (`-d` master's data file, `-e` the
    /// error log, `-l` master's log file), as `SQLArg3`, `SQLArg4` … of the `Parameters` key,
    /// e.g. `-T3226` (learn.microsoft.com: "Database Engine service startup options").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub startup_parameters: Vec<String>,
    /// The engine's service account holds "Perform volume maintenance tasks", so
    /// `sys.dm_server_services.instant_file_initialization_enabled` says `Y` (setup grants it
    /// only when asked; learn.microsoft.com: "Database instant file initialization").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub instant_file_initialization: bool,
    /// `SuperSocketNetLib\Certificate`: the thumbprint of the certificate chosen for
    /// encryption; none: empty, as setup writes it, and SQL Server generates a self-signed
    /// certificate at start-up (learn.microsoft.com: "Configure SQL Server Database Engine for
    /// encrypting connections"). Windows only: on Linux mssql-conf keeps `network.tlscert` in
    /// mssql.conf, which T-SQL does not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
}

impl NetworkSettings {
    /// Nothing set: every value as setup leaves it.
    pub fn is_default(&self) -> bool {
        *self == NetworkSettings::default()
    }
}

/// A registry value beyond those the simulator derives from the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryValue {
    /// Full key under HKEY_LOCAL_MACHINE, e.g. `SOFTWARE\Microsoft\MSSQLServer\Setup`.
    pub key: String,
    /// Value name.
    pub name: String,
    /// Data: a number (REG_DWORD) or text (REG_SZ).
    pub data: RegistryData,
}

/// Registry data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RegistryData {
    /// REG_DWORD.
    Number(i64),
    /// REG_SZ.
    Text(String),
}

/// A database's state (`state_desc`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DatabaseState {
    /// Online.
    #[default]
    Online,
    /// Offline: listed, not queryable.
    Offline,
    /// Restoring.
    Restoring,
}

/// Recovery model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Recovery {
    /// Full.
    #[default]
    Full,
    /// Bulk-logged.
    BulkLogged,
    /// Simple.
    Simple,
}

/// A backup in `msdb.dbo.backupset`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    /// `D` full, `I` differential, `L` log.
    #[serde(default = "full")]
    pub kind: String,
    /// When it finished.
    pub finished: When,
    /// Size in MB.
    #[serde(default = "backup_size")]
    pub size_mb: u64,
    /// Encrypted with this algorithm (`AES_256` …; `BACKUP … WITH ENCRYPTION`, 2014+):
    /// backupset.key_algorithm, encryptor_type `CERTIFICATE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<String>,
    /// The certificate of master it was encrypted with (backupset.encryptor_thumbprint, the
    /// certificate's thumbprint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    /// Where it was written (backupmediafamily.physical_device_name); none = a file under
    /// the default backup folder. `NUL` is the null device a log backup is thrown away to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

fn full() -> String {
    "D".into()
}
fn backup_size() -> u64 {
    512
}

/// A database user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// User name.
    pub name: String,
    /// The login it maps to (by SID). None with `orphaned` = a user whose login was dropped;
    /// None without = a user without login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    /// Its login no longer exists: the SID matches no server principal.
    #[serde(default, skip_serializing_if = "is_false")]
    pub orphaned: bool,
    /// Database roles (fixed `db_owner`, … or user-defined).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Default schema.
    #[serde(default = "dbo")]
    pub default_schema: String,
    /// How it authenticates (`sys.database_principals.authentication_type`, 2012+):
    /// `instance` (through its login, the default) or `database` (a contained user created
    /// WITH PASSWORD, learn.microsoft.com: "CREATE USER", "Contained Database Users").
    #[serde(default, skip_serializing_if = "UserAuthentication::is_instance")]
    pub authentication: UserAuthentication,
    /// Assigned by [`Instance::normalize`].
    #[serde(skip)]
    pub principal_id: i32,
    /// Assigned by [`Instance::normalize`].
    #[serde(skip)]
    pub sid: Vec<u8>,
}

fn dbo() -> String {
    "dbo".into()
}

/// How a database user authenticates (learn.microsoft.com: sys.database_principals,
/// `authentication_type` 1 INSTANCE, 2 DATABASE).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserAuthentication {
    /// Through the login its SID maps to.
    #[default]
    Instance,
    /// With a password stored in a partially contained database.
    Database,
}

impl UserAuthentication {
    fn is_instance(&self) -> bool {
        *self == UserAuthentication::Instance
    }
}

/// A schema and the user that owns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaOwner {
    /// The schema (created when no object names it).
    pub schema: String,
    /// The owning database user.
    pub owner: String,
}

/// A role made a member of another role (`ALTER ROLE role ADD MEMBER member`, where the
/// member is a role too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NestedRole {
    /// The role it is a member of (fixed or user-defined).
    pub role: String,
    /// The member role (user-defined).
    pub member: String,
}

/// A permission state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PermissionState {
    /// `G`.
    #[default]
    Grant,
    /// `W`.
    GrantWithGrantOption,
    /// `D`.
    Deny,
}

impl PermissionState {
    /// `state` and `state_desc`.
    pub fn codes(self) -> (&'static str, &'static str) {
        match self {
            PermissionState::Grant => ("G", "GRANT"),
            PermissionState::GrantWithGrantOption => ("W", "GRANT_WITH_GRANT_OPTION"),
            PermissionState::Deny => ("D", "DENY"),
        }
    }
}

/// A database permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    /// The user or role it is granted to.
    pub grantee: String,
    /// `SELECT`, `EXECUTE`, `CONTROL`, `CONNECT`, …
    pub permission: String,
    /// The object (`schema.name`, `OBJECT::schema.name`), schema (`SCHEMA::name`) or database
    /// principal (`USER::name`, `ROLE::name`) it is on; none = the database itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
    /// Grant, grant with grant option, deny.
    #[serde(default)]
    pub state: PermissionState,
}

/// A table, view, procedure or function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Object {
    /// Name.
    pub name: String,
    /// Schema.
    #[serde(default = "dbo")]
    pub schema: String,
    /// `U` table, `V` view, `P` procedure, `FN` function, `X` extended procedure.
    #[serde(default = "table", rename = "type")]
    pub kind: String,
    /// A procedure of master marked to run when the instance starts
    /// (`sp_procoption @OptionName = 'startup'`: only "procedures in the master database owned
    /// by dbo"; learn.microsoft.com: sp_procoption). Shown as `sys.procedures.is_auto_executed`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub startup: bool,
    /// An extended stored procedure (`type = "X"`, added with `sp_addextendedproc`): the DLL
    /// it is in, shown as `sys.extended_procedures.dll_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dll: Option<String>,
    /// A module's EXECUTE AS clause: `OWNER`, or the user it runs as (`dbo`, a user of this
    /// database); none = EXECUTE AS CALLER. Shown as `sys.sql_modules.execute_as_principal_id`
    /// (-2 for OWNER; learn.microsoft.com: sys.sql_modules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execute_as: Option<String>,
    /// Owned by this database user rather than by its schema's owner (`ALTER AUTHORIZATION
    /// ON OBJECT::… TO user`): sys.objects.principal_id "NULL if … owned by the schema owner"
    /// (learn.microsoft.com: sys.objects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

fn table() -> String {
    "U".into()
}

/// A database mirroring or Service Broker endpoint (`sys.endpoints` and its per-type view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Name.
    pub name: String,
    /// `database_mirroring` or `service_broker`.
    pub kind: EndpointKind,
    /// `STARTED` (default), `STOPPED` or `DISABLED`.
    #[serde(default = "started")]
    pub state: String,
    /// The owning login; none = the built-in sa (principal_id 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// `encryption_algorithm`, 0–8 as sys.database_mirroring_endpoints documents it (0 NONE,
    /// 1 RC4, 2 AES, 3 NONE, RC4, 4 NONE, AES, 5 RC4, AES, 6 AES, RC4, 7 NONE, RC4, AES,
    /// 8 NONE, AES, RC4); CREATE ENDPOINT's default is REQUIRED with RC4 … default 2 (AES)
    /// here, the hardened choice.
    #[serde(default = "aes")]
    pub encryption: u8,
}

fn started() -> String {
    "STARTED".into()
}

fn aes() -> u8 {
    2
}

/// What an endpoint is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointKind {
    /// Database mirroring and availability groups (sys.endpoints type 4).
    DatabaseMirroring,
    /// Service Broker (sys.endpoints type 3).
    ServiceBroker,
}

/// A server credential (`sys.credentials`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// Name.
    pub name: String,
    /// The Windows account (or other identity) it stands for.
    pub identity: String,
}

/// A SQL Server Agent proxy (`msdb.dbo.sysproxies`, created with `sp_add_proxy`): job steps of
/// its subsystems run as its credential's identity; `sp_grant_login_to_proxy` lets logins,
/// fixed server roles and msdb roles use it (learn.microsoft.com: dbo.sysproxies,
/// dbo.sysproxylogin, dbo.sysproxysubsystem, sp_grant_proxy_to_subsystem).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentProxy {
    /// Proxy name.
    pub name: String,
    /// The name of the server credential it uses (one of [`Instance::credentials`]).
    pub credential: String,
    /// Enabled.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Subsystems by the names `sp_grant_proxy_to_subsystem` documents (`CmdExec`,
    /// `PowerShell`, `Dts` …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subsystems: Vec<String>,
    /// Logins allowed to use it (`flags` 0).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logins: Vec<String>,
    /// Fixed server roles allowed to use it (`flags` 1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_roles: Vec<String>,
    /// msdb database roles allowed to use it (`flags` 2), `public` among them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub msdb_roles: Vec<String>,
}

/// The subsystem ids and names of `sp_grant_proxy_to_subsystem` (learn.microsoft.com).
pub const AGENT_SUBSYSTEMS: [(i64, &str); 11] = [
    (2, "ActiveScripting"),
    (3, "CmdExec"),
    (4, "Snapshot"),
    (5, "LogReader"),
    (6, "Distribution"),
    (7, "Merge"),
    (8, "QueueReader"),
    (9, "ANALYSISQUERY"),
    (10, "ANALYSISCOMMAND"),
    (11, "Dts"),
    (12, "PowerShell"),
];

/// An Extensible Key Management provider (`CREATE CRYPTOGRAPHIC PROVIDER`;
/// `sys.cryptographic_providers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CryptographicProvider {
    /// Provider name.
    pub name: String,
    /// The provider's DLL.
    pub dll_path: String,
    /// Version, `aa.bb.cccc.dd`.
    pub version: String,
    /// Enabled (`is_enabled`; "0 = not enabled (default)").
    #[serde(default)]
    pub enabled: bool,
}

/// A DML or DDL trigger in a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// Name.
    pub name: String,
    /// The table it is on (`schema.table`); none = a database DDL trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
    /// Disabled.
    #[serde(default, skip_serializing_if = "is_false")]
    pub disabled: bool,
}

/// Transparent data encryption of a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tde {
    /// The certificate in master that protects the database encryption key.
    pub certificate: String,
    /// Encryption finished (state 3) or still running (2).
    #[serde(default = "yes")]
    pub encrypted: bool,
    /// `CREATE DATABASE ENCRYPTION KEY WITH ALGORITHM = …`: `AES_128`, `AES_192`, `AES_256`
    /// (the default here) or `TRIPLE_DES_3KEY` (learn.microsoft.com: CREATE DATABASE
    /// ENCRYPTION KEY). sys.dm_database_encryption_keys shows it as key_algorithm `AES` or
    /// `TRIPLE_DES_3KEY` with key_length 128/192/256 or 192.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
}

impl Tde {
    /// `key_algorithm` and `key_length` as sys.dm_database_encryption_keys shows them.
    pub fn key_algorithm(&self) -> (&'static str, i64) {
        match self
            .algorithm
            .as_deref()
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            Some("AES_128") => ("AES", 128),
            Some("AES_192") => ("AES", 192),
            Some("TRIPLE_DES_3KEY") => ("TRIPLE_DES_3KEY", 192),
            _ => ("AES", 256),
        }
    }
}

/// A symmetric key of a database (sys.symmetric_keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymmetricKey {
    /// Name.
    pub name: String,
    /// `algorithm_desc`: `AES_256` (default), `AES_128`, `TRIPLE_DES`, `DES`, `RC4`, …
    /// (learn.microsoft.com: CREATE SYMMETRIC KEY; sys.symmetric_keys).
    #[serde(default = "aes_256")]
    pub algorithm: String,
}

fn aes_256() -> String {
    "AES_256".into()
}

/// An asymmetric key of a database (sys.asymmetric_keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsymmetricKey {
    /// Name.
    pub name: String,
    /// RSA key length in bits: 512, 1024, 2048 (default), 3072 or 4096 (learn.microsoft.com:
    /// CREATE ASYMMETRIC KEY, `ALGORITHM = RSA_…`).
    #[serde(default = "rsa_2048")]
    pub key_length: i64,
}

fn rsa_2048() -> i64 {
    2048
}

/// A user CLR assembly (sys.assemblies, `is_user_defined = 1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assembly {
    /// Name.
    pub name: String,
    /// `SAFE` (default), `EXTERNAL_ACCESS` or `UNSAFE` (sys.assemblies.permission_set_desc is
    /// `SAFE_ACCESS`, `EXTERNAL_ACCESS`, `UNSAFE_ACCESS`).
    #[serde(default = "safe")]
    pub permission_set: String,
}

fn safe() -> String {
    "SAFE".into()
}

/// A certificate (in master unless said otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// Name.
    pub name: String,
    /// Subject.
    #[serde(default)]
    pub subject: String,
    /// Expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<When>,
    /// When its private key was last backed up (`pvt_key_last_backup_date`, 2012+); none =
    /// never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_backup: Option<When>,
    /// Key length in bits (`sys.certificates.key_length`, 2016+); 2048 unless said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_length: Option<i64>,
}

/// A database master key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MasterKey {
    /// When it was last backed up (BACKUP MASTER KEY); none = never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_backup: Option<When>,
    /// Also encrypted by the service master key (`sys.databases.is_master_key_encrypted_by_server`):
    /// CREATE MASTER KEY does it by default; `ALTER MASTER KEY DROP ENCRYPTION BY SERVICE
    /// MASTER KEY` removes it (learn.microsoft.com: CREATE MASTER KEY, ALTER MASTER KEY).
    #[serde(default = "yes")]
    pub encrypted_by_server: bool,
    /// Its algorithm when not the release's default (`TRIPLE_DES` for a key made before SQL
    /// Server 2012 and never regenerated; 2012+ makes AES_256, learn.microsoft.com: CREATE
    /// MASTER KEY).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
}

/// A database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// Name. A system database's name (`master`, `msdb`, …) adds to that database.
    pub name: String,
    /// Owner login (default `sa`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// TRUSTWORTHY.
    #[serde(default, skip_serializing_if = "is_false")]
    pub trustworthy: bool,
    /// ONLINE, OFFLINE, RESTORING.
    #[serde(default)]
    pub state: DatabaseState,
    /// Recovery model.
    #[serde(default)]
    pub recovery: Recovery,
    /// Read-only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// Created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<When>,
    /// Whether `guest` has CONNECT (default: only in master, tempdb and msdb).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest: Option<bool>,
    /// Database roles `guest` was added to (`ALTER ROLE … ADD MEMBER guest`; none by default,
    /// Vulnerability Assessment VA1020 looks for them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guest_roles: Vec<String>,
    /// Backup history.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backups: Vec<Backup>,
    /// Users besides dbo, guest, sys and INFORMATION_SCHEMA.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<User>,
    /// User-defined database roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Schemas owned by a user rather than dbo (`CREATE SCHEMA … AUTHORIZATION user` or ALTER
    /// AUTHORIZATION ON SCHEMA::…): sys.schemas.principal_id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schema_owners: Vec<SchemaOwner>,
    /// User-defined roles that are members of other roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nested_roles: Vec<NestedRole>,
    /// Application roles (`CREATE APPLICATION ROLE`; sys.database_principals type `A`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub application_roles: Vec<String>,
    /// Explicit permissions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<Permission>,
    /// Tables, views, procedures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<Object>,
    /// Triggers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<Trigger>,
    /// TDE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Tde>,
    /// Certificates in this database.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<Certificate>,
    /// The database master key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_key: Option<MasterKey>,
    /// Symmetric keys besides the master keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub symmetric_keys: Vec<SymmetricKey>,
    /// Asymmetric keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asymmetric_keys: Vec<AsymmetricKey>,
    /// User CLR assemblies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assemblies: Vec<Assembly>,
    /// Restored or attached from another server without its owner being set again: the dbo
    /// user keeps the SID of the old server's owner, which differs from
    /// `sys.databases.owner_sid` (learn.microsoft.com: "ALTER AUTHORIZATION", remarks on
    /// database ownership after attach and restore).
    #[serde(default, skip_serializing_if = "is_false")]
    pub dbo_from_other_server: bool,
    /// AUTO_CLOSE on (`sys.databases.is_auto_close_on`; off by default, learn.microsoft.com:
    /// "ALTER DATABASE SET options").
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_close: bool,
    /// DB_CHAINING (`sys.databases.is_db_chaining_on`). Default: on in master, tempdb and
    /// msdb, off elsewhere (learn.microsoft.com: "msdb Database", database options table, and
    /// "cross db ownership chaining" — master and tempdb have it on and cannot change it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_chaining: Option<bool>,
    /// Partially contained (`CONTAINMENT = PARTIAL`, 2012+): `sys.databases.containment` 1,
    /// `containment_desc` `PARTIAL` (learn.microsoft.com: sys.databases).
    #[serde(default, skip_serializing_if = "is_false")]
    pub contained: bool,
    /// Assigned by [`Instance::normalize`].
    #[serde(skip)]
    pub database_id: i32,
}

impl Database {
    /// An online user database with nothing in it.
    pub fn new(name: &str) -> Database {
        Database {
            name: name.to_owned(),
            owner: None,
            trustworthy: false,
            state: DatabaseState::Online,
            recovery: Recovery::Full,
            read_only: false,
            created: None,
            guest: None,
            guest_roles: Vec::new(),
            backups: Vec::new(),
            users: Vec::new(),
            roles: Vec::new(),
            schema_owners: Vec::new(),
            nested_roles: Vec::new(),
            application_roles: Vec::new(),
            permissions: Vec::new(),
            objects: Vec::new(),
            triggers: Vec::new(),
            encryption: None,
            certificates: Vec::new(),
            master_key: None,
            symmetric_keys: Vec::new(),
            asymmetric_keys: Vec::new(),
            assemblies: Vec::new(),
            dbo_from_other_server: false,
            auto_close: false,
            db_chaining: None,
            contained: false,
            database_id: 0,
        }
    }

    /// A principal_id for a new user: after every existing one (1–4 are dbo, guest,
    /// INFORMATION_SCHEMA and sys).
    pub fn next_user_id(&self) -> i32 {
        self.users
            .iter()
            .map(|u| u.principal_id)
            .max()
            .unwrap_or(4)
            .max(4)
            + 1
    }

    /// `sys.databases.owner_sid`: sa's (0x01) when no owner is named, the owner login's SID,
    /// or — for an owner named in the fixture that matches no login (dropped since, or the
    /// database came from another server) — a SID no login has.
    pub fn owner_sid(&self, instance: &Instance) -> Vec<u8> {
        match self.owner.as_deref() {
            None => vec![1],
            Some(name) => instance.login(name).map_or_else(
                || digest(&format!("dropped owner {name}"))[..16].to_vec(),
                |l| l.sid.clone(),
            ),
        }
    }

    /// Whether cross-database ownership chaining is on for this database.
    pub fn db_chaining_on(&self) -> bool {
        self.db_chaining
            .unwrap_or(matches!(self.name.as_str(), "master" | "tempdb" | "msdb"))
    }

    /// Whether guest can connect.
    pub fn guest_enabled(&self) -> bool {
        self.guest
            .unwrap_or(matches!(self.name.as_str(), "master" | "tempdb" | "msdb"))
    }
}

/// How a linked server maps a local login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkedLogin {
    /// The local login; none = every login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<String>,
    /// Connect as itself (`uses_self_credential`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub uses_self: bool,
    /// The remote login it connects as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
}

/// A linked server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkedServer {
    /// Name.
    pub name: String,
    /// Product.
    #[serde(default = "sql_server")]
    pub product: String,
    /// OLE DB provider.
    #[serde(default = "provider")]
    pub provider: String,
    /// Data source (network name).
    #[serde(default)]
    pub data_source: String,
    /// RPC out enabled.
    #[serde(default, skip_serializing_if = "is_false")]
    pub rpc_out: bool,
    /// Login mappings.
    #[serde(default)]
    pub logins: Vec<LinkedLogin>,
    /// Assigned by [`Instance::normalize`] (`server_id`).
    #[serde(skip)]
    pub server_id: i32,
}

fn sql_server() -> String {
    "SQL Server".into()
}
fn provider() -> String {
    "SQLNCLI".into()
}

/// A server-level (DDL or logon) trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerTrigger {
    /// Name.
    pub name: String,
    /// Disabled.
    #[serde(default, skip_serializing_if = "is_false")]
    pub disabled: bool,
    /// Events, e.g. `LOGON`, `DDL_LOGIN_EVENTS`.
    #[serde(default)]
    pub events: Vec<String>,
}

/// Connections of another client, all alike (learn.microsoft.com: sys.dm_exec_connections:
/// `net_transport` "TCP", "Shared memory", "Named pipe"; `auth_scheme` "SQL", "NTLM",
/// "KERBEROS", "DIGEST", "BASIC" or "NEGOTIATE"; `encrypt_option` "TRUE"/"FALSE").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSession {
    /// Where the client connects from (`client_net_address`); `<local machine>` for shared
    /// memory.
    pub client_address: String,
    /// `net_transport`.
    #[serde(default = "tcp")]
    pub transport: String,
    /// `auth_scheme`.
    pub auth_scheme: String,
    /// TLS protects the whole session.
    #[serde(default, skip_serializing_if = "is_false")]
    pub encrypted: bool,
    /// How many such connections are open.
    #[serde(default = "one")]
    pub count: u16,
}

fn tcp() -> String {
    "TCP".to_owned()
}

fn one() -> u16 {
    1
}

/// A server audit with its server audit specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerAudit {
    /// Audit name.
    pub name: String,
    /// `FILE`, `APPLICATION LOG`, `SECURITY LOG`.
    #[serde(default = "file")]
    pub destination: String,
    /// Started.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The server audit specification writing to it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specification: Option<AuditSpecification>,
    /// `ON_FAILURE`: `CONTINUE` (the default), `SHUTDOWN`, `FAIL_OPERATION` (2012+); shown as
    /// `on_failure_desc` CONTINUE / SHUTDOWN SERVER INSTANCE / FAIL OPERATION
    /// (learn.microsoft.com: CREATE SERVER AUDIT, sys.server_audits).
    #[serde(default = "continue_on_failure")]
    pub on_failure: String,
    /// The `WHERE` predicate (2012+), as `sys.server_audits.predicate` shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// Enabled but its target unwritable: `sys.dm_server_audit_status` says FAILED (2008–2014
    /// pages) / RUNTIME_FAIL (current page) instead of STARTED.
    #[serde(default, skip_serializing_if = "is_false")]
    pub failed: bool,
    /// File audits: `MAXSIZE` in MB, 0 = UNLIMITED (the default).
    #[serde(default)]
    pub max_size_mb: i64,
    /// File audits: `MAX_ROLLOVER_FILES`, 2147483647 = UNLIMITED (the default).
    #[serde(default = "unlimited_rollover")]
    pub max_rollover_files: i64,
    /// File audits: `MAX_FILES` (2012+), 0 = not set (the default).
    #[serde(default)]
    pub max_files: i64,
}

fn continue_on_failure() -> String {
    "CONTINUE".into()
}

fn unlimited_rollover() -> i64 {
    2_147_483_647
}

/// A SQL Server Agent job (`msdb.dbo.sysjobs`) with its schedules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentJob {
    /// Job name.
    pub name: String,
    /// Enabled.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The owning login's name; a name matching no login leaves an orphaned owner SID.
    #[serde(default = "sa_name")]
    pub owner: String,
    /// Its schedules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<AgentSchedule>,
}

fn sa_name() -> String {
    "sa".into()
}

/// A job schedule (`msdb.dbo.sysschedules`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSchedule {
    /// Schedule name.
    pub name: String,
    /// "Start automatically when SQL Server Agent starts" (`freq_type` 64); otherwise daily (4).
    #[serde(default, skip_serializing_if = "is_false")]
    pub at_agent_start: bool,
    /// Enabled.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn file() -> String {
    "FILE".into()
}

/// A server audit specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSpecification {
    /// Name.
    pub name: String,
    /// Enabled.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Action groups, e.g. `FAILED_LOGIN_GROUP`, `SUCCESSFUL_LOGIN_GROUP`.
    #[serde(default)]
    pub actions: Vec<String>,
}

/// Faults to inject, for testing how clients cope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// Close every connection as soon as it is accepted.
    #[serde(default, skip_serializing_if = "is_false")]
    pub refuse: bool,
    /// Accept connections and never answer.
    #[serde(default, skip_serializing_if = "is_false")]
    pub hang: bool,
    /// Delay before each packet sent, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Drop the connection after sending this many packets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_after_packets: Option<u64>,
    /// Refuse every login with 18456.
    #[serde(default, skip_serializing_if = "is_false")]
    pub fail_logins: bool,
    /// Delay the answer to every login by this many milliseconds (a loaded server, or a slow
    /// domain controller behind Windows authentication).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_delay_ms: Option<u64>,
    /// Delay every query's answer by this many milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_delay_ms: Option<u64>,
    /// Change the shape of result sets as a different or faulty server would (a column
    /// missing or renamed), to test that a client notices instead of reading defaults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub column_faults: Vec<ColumnFault>,
}

/// One result-set shape fault: in every result set whose first column is named
/// `result_set`, the column `column` is dropped (or renamed to `rename_to`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnFault {
    /// The name of the first column of the result sets to change (case-insensitive).
    pub result_set: String,
    /// The column to drop or rename (case-insensitive).
    pub column: String,
    /// The new name; none = the column is dropped with its values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rename_to: Option<String>,
}

impl ColumnFault {
    /// Applies the fault to one result set.
    pub fn apply(
        &self,
        columns: &mut Vec<(String, crate::tds::tokens::ColumnType)>,
        rows: &mut [Vec<crate::tds::tokens::Value>],
    ) {
        if !columns
            .first()
            .is_some_and(|(name, _)| name.eq_ignore_ascii_case(&self.result_set))
        {
            return;
        }
        let Some(at) = columns
            .iter()
            .position(|(name, _)| name.eq_ignore_ascii_case(&self.column))
        else {
            return;
        };
        match &self.rename_to {
            Some(new) => columns[at].0 = new.clone(),
            None => {
                columns.remove(at);
                for row in rows.iter_mut() {
                    if at < row.len() {
                        row.remove(at);
                    }
                }
            }
        }
    }
}

/// One simulated SQL Server instance: a fixture file, and the live state of a running one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    /// `@@SERVERNAME`: `HOST` for a default instance, `HOST\INSTANCE` for a named one.
    pub server_name: String,
    /// Product version, e.g. `15.0.2000.5`.
    pub version: Version,
    /// Edition, as `SERVERPROPERTY('Edition')` reports it.
    pub edition: String,
    /// Product level (`RTM`, `SP3`), as `SERVERPROPERTY('ProductLevel')` reports it.
    #[serde(default = "rtm")]
    pub product_level: String,
    /// Cumulative update (`CU16`), `SERVERPROPERTY('ProductUpdateLevel')` (2012 SP… and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_level: Option<String>,
    /// Windows only, or mixed mode.
    #[serde(default)]
    pub authentication: Authentication,
    /// TLS.
    #[serde(default)]
    pub encryption: Encryption,
    /// Whether `public` holds VIEW ANY DATABASE, as it does by default; hardening guides revoke
    /// it, and then `sys.databases` shows a login only master, tempdb and the databases it owns
    /// (learn.microsoft.com: sys.databases, "Permissions").
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub public_view_any_database: bool,
    /// Server permissions granted to `public` beyond its defaults (VIEW ANY DATABASE, CONNECT
    /// on the TSQL endpoints): what CIS 3.8 asks to revoke.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub public_permissions: Vec<String>,
    /// The name `@@SERVERNAME` still reports after the computer was renamed without
    /// `sp_dropserver` / `sp_addserver`; none when it matches `server_name`, which
    /// `SERVERPROPERTY('ServerName')` always reports (learn.microsoft.com: @@SERVERNAME).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_server_name: Option<String>,
    /// Which logins are written to the error log.
    #[serde(default)]
    pub login_audit: LoginAudit,
    /// Server network protocols.
    #[serde(default)]
    pub protocols: Protocols,
    /// The host.
    #[serde(default)]
    pub host: Host,
    /// Logins. `sa` is added when no login has `sa = true` or is named `sa`.
    #[serde(default)]
    pub logins: Vec<Login>,
    /// User-defined server roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_roles: Vec<ServerRole>,
    /// Accounts of the simulated Windows domain (NTLM).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows_accounts: Vec<WindowsAccount>,
    /// `sp_configure` options that differ from the defaults.
    #[serde(default)]
    pub configuration: BTreeMap<String, Setting>,
    /// Windows services; the engine and agent under their virtual accounts when omitted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<Service>,
    /// A failover cluster instance (`SERVERPROPERTY('IsClustered')` = 1,
    /// `sys.dm_server_services.is_clustered` = `Y`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clustered: bool,
    /// Always On availability groups are enabled for the instance
    /// (`SERVERPROPERTY('IsHadrEnabled')` = 1, 2012 and later).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hadr_enabled: bool,
    /// The instance's own registry settings the audit judges (SQL Server Configuration Manager
    /// on Windows, mssql-conf on Linux).
    #[serde(default, skip_serializing_if = "NetworkSettings::is_default")]
    pub settings: NetworkSettings,
    /// Extra registry values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registry: Vec<RegistryValue>,
    /// Databases (the system databases are always there).
    #[serde(default)]
    pub databases: Vec<Database>,
    /// Linked servers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linked_servers: Vec<LinkedServer>,
    /// Server triggers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_triggers: Vec<ServerTrigger>,
    /// Server audits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audits: Vec<ServerAudit>,
    /// Other clients connected while the audit runs (applications, people), as
    /// `sys.dm_exec_connections` shows them beside the live connections.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_sessions: Vec<ClientSession>,
    /// SQL Server Agent jobs (msdb).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agent_jobs: Vec<AgentJob>,
    /// Database mirroring / availability group and Service Broker endpoints
    /// (`CREATE ENDPOINT … FOR DATABASE_MIRRORING | SERVICE_BROKER`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<Endpoint>,
    /// Server credentials (`CREATE CREDENTIAL`; the xp_cmdshell proxy is the credential
    /// `##xp_cmdshell_proxy_account##` that `sp_xp_cmdshell_proxy_account` creates).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<Credential>,
    /// SQL Server Agent proxies (msdb).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agent_proxies: Vec<AgentProxy>,
    /// Extensible Key Management providers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cryptographic_providers: Vec<CryptographicProvider>,
    /// Faults to inject.
    #[serde(default)]
    pub faults: Faults,
    /// Whether [`Instance::normalize`] has run.
    #[serde(skip)]
    normalized: bool,
}

fn rtm() -> String {
    "RTM".into()
}

/// The fixed server roles: (principal_id, name), as on every SQL Server since 2005.
pub const FIXED_SERVER_ROLES: [(i32, &str); 10] = [
    (2, "public"),
    (3, "sysadmin"),
    (4, "securityadmin"),
    (5, "serveradmin"),
    (6, "setupadmin"),
    (7, "processadmin"),
    (8, "diskadmin"),
    (9, "dbcreator"),
    (10, "bulkadmin"),
    (11, "##MS_ServerStateReader##"),
];

/// The system databases: (database_id, name).
pub const SYSTEM_DATABASES: [(i32, &str); 4] =
    [(1, "master"), (2, "tempdb"), (3, "model"), (4, "msdb")];

/// The fixed database roles: (principal_id, name).
pub const FIXED_DATABASE_ROLES: [(i32, &str); 10] = [
    (0, "public"),
    (16384, "db_owner"),
    (16385, "db_accessadmin"),
    (16386, "db_securityadmin"),
    (16387, "db_ddladmin"),
    (16389, "db_backupoperator"),
    (16390, "db_datareader"),
    (16391, "db_datawriter"),
    (16392, "db_denydatareader"),
    (16393, "db_denydatawriter"),
];

/// Why a fixture is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FixtureError(pub String);

impl Instance {
    /// A fresh installation: `sa` enabled, no other login, no user database, every option at
    /// its default, engine and agent services under their virtual accounts.
    pub fn new(server_name: &str, version: Version, edition: &str) -> Instance {
        let mut instance = Instance {
            server_name: server_name.to_owned(),
            version,
            edition: edition.to_owned(),
            product_level: rtm(),
            update_level: None,
            authentication: Authentication::Mixed,
            encryption: Encryption::Optional,
            public_view_any_database: true,
            public_permissions: Vec::new(),
            stale_server_name: None,
            login_audit: LoginAudit::Failed,
            protocols: Protocols::default(),
            host: Host::default(),
            logins: Vec::new(),
            server_roles: Vec::new(),
            windows_accounts: Vec::new(),
            configuration: BTreeMap::new(),
            services: Vec::new(),
            registry: Vec::new(),
            databases: Vec::new(),
            linked_servers: Vec::new(),
            server_triggers: Vec::new(),
            audits: Vec::new(),
            client_sessions: Vec::new(),
            agent_jobs: Vec::new(),
            settings: NetworkSettings::default(),
            clustered: false,
            hadr_enabled: false,
            endpoints: Vec::new(),
            credentials: Vec::new(),
            agent_proxies: Vec::new(),
            cryptographic_providers: Vec::new(),
            faults: Faults::default(),
            normalized: false,
        };
        instance.normalize().expect("a fresh instance is valid");
        instance
    }

    /// Reads a fixture file (TOML, see `docs/simulator.md`).
    pub fn from_toml(text: &str) -> Result<Instance, FixtureError> {
        let mut instance: Instance =
            toml::from_str(text).map_err(|e| FixtureError(e.to_string()))?;
        instance.normalize()?;
        Ok(instance)
    }

    /// The instance as a fixture file.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// The instance part of the server name (`SQL2019` in `HOST\SQL2019`), none for a default
    /// instance.
    pub fn instance_name(&self) -> Option<&str> {
        self.server_name.split_once('\\').map(|(_, i)| i)
    }

    /// The machine part of the server name.
    pub fn machine_name(&self) -> &str {
        self.server_name
            .split_once('\\')
            .map_or(self.server_name.as_str(), |(m, _)| m)
    }

    /// Whether the host is Linux (`host.platform = "Linux"`): SQL Server on Linux has no
    /// Windows services, no Windows principals (no `NT SERVICE\…`, `NT AUTHORITY\…`,
    /// `BUILTIN\…` logins), no named instances and only the TCP/IP protocol
    /// (learn.microsoft.com: "SQL Server on Linux: Known issues", "Release notes for SQL Server
    /// 2022 on Linux", unsupported features and services).
    pub fn on_linux(&self) -> bool {
        self.host.platform.eq_ignore_ascii_case("Linux")
    }

    /// The engine's Windows service name: `MSSQLSERVER` or `MSSQL$NAME`.
    pub fn engine_service(&self) -> String {
        self.instance_name()
            .map_or("MSSQLSERVER".into(), |n| format!("MSSQL${n}"))
    }

    /// The agent's Windows service name.
    pub fn agent_service(&self) -> String {
        self.instance_name()
            .map_or("SQLSERVERAGENT".into(), |n| format!("SQLAgent${n}"))
    }

    /// The registry folder of the instance, e.g. `MSSQL15.SQL2019`.
    pub fn instance_id(&self) -> String {
        let prefix = match (self.version.major, self.version.minor) {
            (10, 50) => "MSSQL10_50".to_owned(),
            (major, _) => format!("MSSQL{major}"),
        };
        format!("{prefix}.{}", self.instance_name().unwrap_or("MSSQLSERVER"))
    }

    /// `major.minor.build.revision`.
    pub fn product_version(&self) -> String {
        self.version.to_string()
    }

    /// The login `name`, compared case-insensitively as under the default collation.
    pub fn login(&self, name: &str) -> Option<&Login> {
        self.logins
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
    }

    /// The login `name`, for changing it.
    pub fn login_mut(&mut self, name: &str) -> Option<&mut Login> {
        self.logins
            .iter_mut()
            .find(|l| l.name.eq_ignore_ascii_case(name))
    }

    /// The built-in `sa` login (principal_id 1), whatever its name.
    pub fn sa(&self) -> &Login {
        self.logins
            .iter()
            .find(|l| l.sa)
            .expect("normalize adds sa")
    }

    /// The built-in `sa` login, for changing it.
    pub fn sa_mut(&mut self) -> &mut Login {
        self.logins
            .iter_mut()
            .find(|l| l.sa)
            .expect("normalize adds sa")
    }

    /// The database `name` (system databases included), case-insensitively.
    pub fn database(&self, name: &str) -> Option<&Database> {
        self.databases
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
    }

    /// The database `name`, for changing it.
    pub fn database_mut(&mut self, name: &str) -> Option<&mut Database> {
        self.databases
            .iter_mut()
            .find(|d| d.name.eq_ignore_ascii_case(name))
    }

    /// The database with `id`.
    pub fn database_by_id(&self, id: i32) -> Option<&Database> {
        self.databases.iter().find(|d| d.database_id == id)
    }

    /// The Windows account `DOMAIN\user`, case-insensitively.
    pub fn windows_account(&self, name: &str) -> Option<&WindowsAccount> {
        self.windows_accounts
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// A new principal_id for a server principal.
    pub fn next_principal_id(&self) -> i32 {
        let logins = self.logins.iter().map(|l| l.principal_id);
        let roles = self.server_roles.iter().map(|r| r.principal_id);
        logins.chain(roles).max().unwrap_or(256).max(256) + 1
    }

    /// Fills in what a fresh installation has and the fixture left out, assigns ids and
    /// SIDs, and checks references (roles, logins, certificates). Idempotent.
    pub fn normalize(&mut self) -> Result<(), FixtureError> {
        let err = |m: String| Err(FixtureError(m));
        // sa.
        if !self.logins.iter().any(|l| l.sa) {
            match self.logins.iter_mut().find(|l| l.name == "sa") {
                Some(sa) => sa.sa = true,
                None => {
                    let mut sa = Login::new("sa", "Sa-Password-1");
                    sa.sa = true;
                    self.logins.insert(0, sa);
                }
            }
        }
        if self.logins.iter().filter(|l| l.sa).count() > 1 {
            return err("only one login can be `sa = true`".into());
        }
        if !self.normalized {
            self.add_system_logins();
        }
        // Ids and SIDs: new principals after every existing one.
        let mut next = self.next_principal_id();
        let mut seen = std::collections::HashSet::new();
        for login in &mut self.logins {
            if !seen.insert(login.name.to_lowercase()) {
                return err(format!("login `{}` is defined twice", login.name));
            }
            if login.kind == LoginKind::Sql && login.password.is_none() {
                return err(format!(
                    "SQL login `{}` needs a password (`password = \"…\"`; \"\" for an empty one)",
                    login.name
                ));
            }
            if login.sa {
                login.principal_id = 1;
                login.sid = vec![1];
            } else if login.principal_id == 0 {
                while next <= 256 {
                    next += 1;
                }
                login.principal_id = next;
                next += 1;
            }
            if login.sid.is_empty() {
                login.sid = sid_for(login.kind, &login.name);
            }
        }
        let mut next = self.next_principal_id();
        for role in &mut self.server_roles {
            if role.principal_id == 0 {
                role.principal_id = next;
                next += 1;
            }
            if FIXED_SERVER_ROLES
                .iter()
                .any(|(_, n)| n.eq_ignore_ascii_case(&role.name))
            {
                return err(format!(
                    "server role `{}` is a fixed role; user-defined roles need another name",
                    role.name
                ));
            }
        }
        for login in &self.logins {
            for role in &login.roles {
                if !self.server_role_exists(role) {
                    return err(format!(
                        "login `{}`: server role `{role}` does not exist (fixed roles: sysadmin, securityadmin, serveradmin, setupadmin, processadmin, diskadmin, dbcreator, bulkadmin; or define it under [[server_roles]])",
                        login.name
                    ));
                }
            }
        }
        // Services: a Linux host has none (the engine runs as the `mssql-server` systemd
        // unit, under the `mssql` Linux user); a fixture cannot give it Windows services.
        if self.on_linux() {
            if !self.services.is_empty() {
                return err("a Linux host has no Windows services: remove `[[services]]`".into());
            }
            if self.instance_name().is_some() {
                return err("SQL Server on Linux supports only the default instance".into());
            }
        } else if self.services.is_empty() {
            self.services = vec![
                Service {
                    kind: ServiceKind::Engine,
                    account: format!("NT Service\\{}", self.engine_service()),
                    startup: Startup::Automatic,
                    running: true,
                },
                Service {
                    kind: ServiceKind::Agent,
                    account: format!("NT Service\\{}", self.agent_service()),
                    startup: Startup::Manual,
                    running: false,
                },
            ];
        }
        // Databases: system ones first, then user databases from id 5.
        for (id, name) in SYSTEM_DATABASES.iter().rev() {
            match self
                .databases
                .iter()
                .position(|d| d.name.eq_ignore_ascii_case(name))
            {
                Some(at) => {
                    let mut db = self.databases.remove(at);
                    db.name = (*name).to_owned();
                    db.database_id = *id;
                    if *name == "tempdb" {
                        db.recovery = Recovery::Simple;
                    }
                    self.databases.insert(0, db);
                }
                None => {
                    let mut db = Database::new(name);
                    db.database_id = *id;
                    db.recovery = if matches!(*name, "master" | "tempdb" | "msdb") {
                        Recovery::Simple
                    } else {
                        Recovery::Full
                    };
                    self.databases.insert(0, db);
                }
            }
        }
        let mut next_db = self
            .databases
            .iter()
            .map(|d| d.database_id)
            .max()
            .unwrap_or(4)
            .max(4)
            + 1;
        let mut names = std::collections::HashSet::new();
        for db in &mut self.databases {
            if !names.insert(db.name.to_lowercase()) {
                return err(format!("database `{}` is defined twice", db.name));
            }
            if db.database_id == 0 {
                db.database_id = next_db;
                next_db += 1;
            }
        }
        let logins: Vec<(String, Vec<u8>)> = self
            .logins
            .iter()
            .map(|l| (l.name.to_lowercase(), l.sid.clone()))
            .collect();
        for db in &mut self.databases {
            let mut next_user = db.next_user_id();
            for user in &mut db.users {
                if user.principal_id == 0 {
                    user.principal_id = next_user;
                    next_user += 1;
                }
                if user.sid.is_empty() {
                    user.sid = match (&user.login, user.orphaned) {
                        (Some(login), false) => {
                            match logins.iter().find(|(n, _)| *n == login.to_lowercase()) {
                                Some((_, sid)) => sid.clone(),
                                None => {
                                    return err(format!(
                                        "database `{}`: user `{}` maps to login `{login}`, which does not exist (set `orphaned = true` for an orphaned user)",
                                        db.name, user.name
                                    ));
                                }
                            }
                        }
                        _ => sid_for(LoginKind::Sql, &format!("orphan:{}:{}", db.name, user.name)),
                    };
                }
            }
        }
        let master_certs: Vec<String> = self
            .database("master")
            .map(|m| {
                m.certificates
                    .iter()
                    .map(|c| c.name.to_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        for db in &self.databases {
            if let Some(tde) = &db.encryption
                && !master_certs.contains(&tde.certificate.to_lowercase())
            {
                return err(format!(
                    "database `{}`: TDE certificate `{}` is not a certificate of master (add it under the master database's `certificates`)",
                    db.name, tde.certificate
                ));
            }
        }
        for (n, server) in self.linked_servers.iter_mut().enumerate() {
            server.server_id = n as i32 + 1;
        }
        self.normalized = true;
        Ok(())
    }

    fn server_role_exists(&self, role: &str) -> bool {
        FIXED_SERVER_ROLES
            .iter()
            .any(|(_, n)| n.eq_ignore_ascii_case(role))
            || self
                .server_roles
                .iter()
                .any(|r| r.name.eq_ignore_ascii_case(role))
    }

    /// The logins every installation creates: policy logins (disabled, certificate-signed)
    /// and the service accounts' logins.
    fn add_system_logins(&mut self) {
        // On Linux the setup creates no Windows principals: only `sa`, the `##MS_…##` logins
        // and the certificate logins.
        let linux = self.on_linux();
        let services = [
            "NT SERVICE\\SQLWriter".to_owned(),
            "NT SERVICE\\Winmgmt".to_owned(),
            format!("NT SERVICE\\{}", self.engine_service()),
            format!("NT SERVICE\\{}", self.agent_service()),
        ];
        let modern = self.version.major >= 11;
        let mut add = |login: Login| {
            if self.login(&login.name).is_none() {
                self.logins.push(login);
            }
        };
        for name in [
            "##MS_PolicyEventProcessingLogin##",
            "##MS_PolicyTsqlExecutionLogin##",
        ] {
            let mut login = Login::new(name, "");
            login.enabled = false;
            login.password = Some(format!("{name}-not-usable"));
            add(login);
        }
        for name in [
            "##MS_SQLResourceSigningCertificate##",
            "##MS_AgentSigningCertificate##",
        ] {
            add(Login::windows(name, LoginKind::Certificate));
        }
        for name in services {
            if modern && !linux {
                add(Login::windows(&name, LoginKind::WindowsUser).in_role("sysadmin"));
            }
        }
        if !modern && !linux {
            add(Login::windows("NT AUTHORITY\\SYSTEM", LoginKind::WindowsUser).in_role("sysadmin"));
        }
    }
}

/// A deterministic SID: 0x01 and 15 bytes for SQL logins (as SQL Server generates random
/// 16-byte SIDs), a Windows-shaped SID (S-1-5-21-…) for Windows principals.
pub fn sid_for(kind: LoginKind, name: &str) -> Vec<u8> {
    let digest = digest(&name.to_lowercase());
    match kind {
        LoginKind::Sql | LoginKind::Certificate => digest,
        LoginKind::WindowsUser | LoginKind::WindowsGroup => {
            let mut sid = vec![1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0];
            sid.extend_from_slice(&digest[..12]);
            let rid = 1000 + u32::from(digest[12]) * 256 + u32::from(digest[13]);
            sid.extend_from_slice(&rid.to_le_bytes());
            sid
        }
    }
}

/// 16 bytes derived from `text` (FNV-1a, two rounds): deterministic, so runs are reproducible.
pub fn digest(text: &str) -> Vec<u8> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = Vec::with_capacity(16);
    for round in 0..2u8 {
        for b in text.bytes().chain([round]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        out.extend_from_slice(&hash.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_fixture_gets_what_an_installation_has() {
        let i = Instance::from_toml(
            "server_name = 'HOST\\SQL2019'\nversion = '15.0.2000.5'\nedition = 'Enterprise Edition (64-bit)'\n",
        )
        .unwrap();
        assert_eq!(i.sa().principal_id, 1);
        assert_eq!(i.sa().name, "sa");
        assert_eq!(i.databases.len(), 4);
        assert_eq!(i.databases[3].name, "msdb");
        assert_eq!(i.services[0].account, "NT Service\\MSSQL$SQL2019");
        assert_eq!(i.instance_id(), "MSSQL15.SQL2019");
        assert!(i.login("NT SERVICE\\MSSQL$SQL2019").is_some());
    }

    #[test]
    fn fixture_errors_say_what_to_fix() {
        let base = "server_name = 'H'\nversion = '15.0.2000.5'\nedition = 'E'\n";
        let cases = [
            ("version = '15.0'\n", "major.minor.build.revision"),
            ("[[logins]]\nname = 'x'\n", "needs a password"),
            (
                "[[logins]]\nname = 'x'\npassword = 'p'\nroles = ['sysadmn']\n",
                "does not exist",
            ),
            (
                "[[logins]]\nname = 'x'\npasword = 'p'\n",
                "unknown field `pasword`",
            ),
            (
                "[[databases]]\nname = 'D'\n[[databases.users]]\nname = 'u'\nlogin = 'nobody'\n",
                "orphaned = true",
            ),
            (
                "[[databases]]\nname = 'D'\nencryption = { certificate = 'C' }\n",
                "certificate of master",
            ),
        ];
        for (extra, expected) in cases {
            let text = if extra.starts_with("version") {
                format!("server_name = 'H'\nedition = 'E'\n{extra}")
            } else {
                format!("{base}{extra}")
            };
            let e = Instance::from_toml(&text).unwrap_err();
            assert!(e.0.contains(expected), "{extra}: {e}");
        }
    }

    #[test]
    fn toml_round_trip_keeps_the_state() {
        let mut i = Instance::new(
            "H",
            Version::new(16, 0, 4165, 4),
            "Developer Edition (64-bit)",
        );
        i.logins
            .push(Login::new("o'brien]x", "pw").in_role("sysadmin"));
        i.normalize().unwrap();
        let back = Instance::from_toml(&i.to_toml()).unwrap();
        assert_eq!(back.login("o'brien]x").unwrap().roles, ["sysadmin"]);
        assert_eq!(back.logins.len(), i.logins.len());
    }
}
