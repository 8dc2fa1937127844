//! The least rights the audit needs, computed.
//!
//! For each fact group the collector reads ([`FactId`]) and each SQL Server release, what a
//! dedicated audit login must be granted, what in the collector's SQL (`collect::queries`)
//! needs it, and the Microsoft page that says so. From that: the union per release
//! ([`required`]), the rights one check needs through the facts it reads ([`required_by`]),
//! and the T-SQL script a DBA runs to create such a login ([`script`]).
//!
//! Where Microsoft documents nothing smaller than a broad right, the model says so plainly:
//!
//! - `password_hash` (the password tests of R05) needs CONTROL SERVER before SQL Server 2022;
//!   2022 added VIEW ANY CRYPTOGRAPHICALLY SECURED DEFINITION.
//! - The instance's own registry values (protocols, Force Encryption, the login audit level)
//!   are read through the documented `sys.dm_server_registry` (VIEW SERVER STATE; 2022+: VIEW
//!   SERVER PERFORMANCE STATE; from 2008 R2 SP1) when the undocumented `xp_instance_regread`
//!   is refused. The Browser, Reporting, Analysis and Integration services, which neither
//!   `sys.dm_server_services` nor that view lists, are read with `xp_regread`, for which
//!   Microsoft documents no permission: only sysadmin is known to read those keys. The script
//!   does not make the login sysadmin: those services stay UNKNOWN for it, and say why.
//!
//! Pure: no I/O. The simulator (`mssql-sim`) enforces the same rules, and a test runs the
//! script on every simulated version and audits with the login it creates.

use std::collections::BTreeMap;

use crate::checks::{Check, catalogue};
use crate::snapshot::FactId;
use crate::{CheckId, Release};

/// What to grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grant {
    /// A server permission: `GRANT <permission> TO [login]`.
    Server(&'static str),
    /// A user for the login in every online database: releases before 2014 have no CONNECT ANY
    /// DATABASE.
    UserInEveryDatabase,
    /// A user for the login in one database.
    User(&'static str),
    /// A permission on one object, granted to the login's user in that database.
    Object {
        /// The database.
        database: &'static str,
        /// `SELECT`, `EXECUTE` …
        permission: &'static str,
        /// `dbo.backupset`.
        object: &'static str,
    },
    /// Membership of sysadmin: Microsoft documents nothing smaller. The script never grants it.
    Sysadmin,
    /// Nothing: every login has it (through `public` or CONNECT SQL, which CREATE LOGIN gives).
    Everyone,
}

impl Grant {
    /// Whether the script grants it (not sysadmin, and not what every login has anyway).
    pub fn is_granted_by_script(self) -> bool {
        !matches!(self, Grant::Sysadmin | Grant::Everyone)
    }
}

impl std::fmt::Display for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Grant::Server(permission) => write!(f, "{permission} (server permission)"),
            Grant::UserInEveryDatabase => f.write_str("a user for the login in every database"),
            Grant::User(database) => write!(f, "a user for the login in {database}"),
            Grant::Object {
                database,
                permission,
                object,
            } => write!(f, "{permission} on {database}.{object}"),
            Grant::Sysadmin => f.write_str("sysadmin (nothing smaller is documented)"),
            Grant::Everyone => f.write_str("nothing to grant (every login may read it)"),
        }
    }
}

/// One thing one fact group needs on one release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    /// The fact group.
    pub fact: FactId,
    /// What to grant.
    pub grant: Grant,
    /// What in the collector's SQL needs it (`sys.dm_server_services`).
    pub reads: &'static str,
    /// The Microsoft page that documents it.
    pub source: &'static str,
    /// Plain words where the grant is broader than what it is for, or cannot be smaller.
    pub note: Option<&'static str>,
    /// The only checks that use what this part of the fact gives (the password tests of the
    /// logins fact serve R05 alone); none = every check that reads the fact.
    pub only_checks: Option<&'static [&'static str]>,
}

/// What reads `password_hash`: left out of the script on request (see [`ScriptOptions`]).
pub const PASSWORD_HASH: &str = "sys.sql_logins.password_hash (PWDCOMPARE)";

const LEARN: &str = "https://learn.microsoft.com/sql/";

/// The Microsoft pages the model cites, by short name.
mod doc {
    pub const SERVERPROPERTY: &str =
        "https://learn.microsoft.com/sql/t-sql/functions/serverproperty-transact-sql";
    pub const HOST_INFO: &str = "https://learn.microsoft.com/sql/relational-databases/system-dynamic-management-views/sys-dm-os-host-info-transact-sql";
    pub const METADATA_VISIBILITY: &str = "https://learn.microsoft.com/sql/relational-databases/security/metadata-visibility-configuration";
    pub const SQL_LOGINS: &str = "https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-sql-logins-transact-sql";
    pub const SERVER_ROLE_MEMBERS: &str = "https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-server-role-members-transact-sql";
    pub const SERVER_PERMISSIONS: &str = "https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-server-permissions-transact-sql";
    pub const CONFIGURATIONS: &str = "https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-configurations-transact-sql";
    pub const SERVER_SERVICES: &str = "https://learn.microsoft.com/sql/relational-databases/system-dynamic-management-views/sys-dm-server-services-transact-sql";
    pub const SERVER_REGISTRY: &str = "https://learn.microsoft.com/sql/relational-databases/system-dynamic-management-views/sys-dm-server-registry-transact-sql";
    pub const DATABASES: &str = "https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-databases-transact-sql";
    pub const BACKUPSET: &str =
        "https://learn.microsoft.com/sql/relational-databases/system-tables/backupset-transact-sql";
    pub const CREATE_USER: &str =
        "https://learn.microsoft.com/sql/t-sql/statements/create-user-transact-sql";
    pub const GRANT_SERVER: &str =
        "https://learn.microsoft.com/sql/t-sql/statements/grant-server-permissions-transact-sql";
    pub const DATABASE_PRINCIPALS: &str = "https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-database-principals-transact-sql";
    pub const SERVERS: &str = "https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-servers-transact-sql";
    pub const SERVER_TRIGGERS: &str = "https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-server-triggers-transact-sql";
    pub const SERVER_AUDITS: &str = "https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-server-audits-transact-sql";
    pub const CERTIFICATES: &str = "https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-certificates-transact-sql";
    pub const EXEC_CONNECTIONS: &str = "https://learn.microsoft.com/sql/relational-databases/system-dynamic-management-views/sys-dm-exec-connections-transact-sql";
    pub const AUDIT_STATUS: &str = "https://learn.microsoft.com/sql/relational-databases/system-dynamic-management-views/sys-dm-server-audit-status-transact-sql";
    pub const SYSJOBS: &str = "https://learn.microsoft.com/sql/relational-databases/system-tables/dbo-sysjobs-transact-sql";
    pub const ENCRYPTION_KEYS: &str = "https://learn.microsoft.com/sql/relational-databases/system-dynamic-management-views/sys-dm-database-encryption-keys-transact-sql";
    pub const DATABASE_PERMISSIONS: &str = "https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-database-permissions-transact-sql";
    pub const CREDENTIALS: &str = "https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-credentials-transact-sql";
    pub const EXTENDED_PROCEDURES: &str = "https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-extended-procedures-transact-sql";
    pub const ENDPOINTS: &str = "https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-endpoints-transact-sql";
    pub const PROCEDURES: &str = "https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-procedures-transact-sql";
    pub const SYSPROXIES: &str = "https://learn.microsoft.com/sql/relational-databases/system-tables/dbo-sysproxies-transact-sql";
    pub const VALIDATELOGINS: &str = "https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-validatelogins-transact-sql";
    pub const CRYPTOGRAPHIC_PROVIDERS: &str = "https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-cryptographic-providers-transact-sql";
}

const NOTE_CONTROL_SERVER: &str = "before SQL Server 2022 nothing smaller than CONTROL SERVER \
     lets a login read password_hash; CONTROL SERVER implies every server permission, close to \
     sysadmin. Leave it out (--no-password-hashes) and R05's password tests report UNKNOWN";
const NOTE_REGISTRY: &str = "SQL Server 2008 (10.0) has no sys.dm_server_registry, and \
     xp_instance_regread is undocumented: Microsoft documents no permission that lets a login \
     other than sysadmin read these keys";
const NOTE_REGISTRY_SERVICES: &str = "Browser, Reporting, Analysis and Integration Services are \
     not in sys.dm_server_services; their configuration is only in the registry (xp_regread), \
     outside the instance's keys: only sysadmin is known to read it";
const NOTE_HOST_REGISTRY: &str = "the host's security settings (SCHANNEL, FIPS, Windows Time, \
     the Windows directory) and the instance's Setup and CPE keys are read with xp_regread and \
     xp_instance_regread, which answer sysadmin only; sys.dm_server_registry does not list them";
const NOTE_BACKUPSET: &str = "Microsoft's backupset page states no permission; the script \
     grants SELECT explicitly so the audit does not depend on msdb's defaults";
const NOTE_SYSJOBS: &str = "Microsoft's pages for msdb's Agent tables state no permission; \
     the script grants SELECT on the three tables the audit reads explicitly";
const NOTE_PROXIES: &str = "Microsoft's pages for msdb's proxy tables (dbo.sysproxies, \
     dbo.sysproxylogin, dbo.sysproxysubsystem) say \"Only members of the sysadmin fixed server \
     role can access this table\"";
const NOTE_PROVIDERS: &str = "the 2008–2014 pages limit sys.cryptographic_providers to the \
     providers a login owns or holds a permission on (metadata visibility); the current page \
     calls the view visible to public. The script grants VIEW ANY DEFINITION, which is enough \
     under either reading";
const NOTE_VALIDATELOGINS: &str = "sp_validatelogins \"requires membership in the sysadmin or \
     securityadmin fixed server role\"; securityadmin can grant itself any right, so the script \
     grants neither and X44 stays UNKNOWN for the login";
const NOTE_MODEL: &str = "the user in model is copied into every database created later";

/// Short for a [`Need`] of every check of the fact.
const fn need(fact: FactId, grant: Grant, reads: &'static str, source: &'static str) -> Need {
    Need {
        fact,
        grant,
        reads,
        source,
        note: None,
        only_checks: None,
    }
}

const fn noted(mut n: Need, note: &'static str) -> Need {
    n.note = Some(note);
    n
}

/// Before 2022 one permission covers the DMVs; from 2022 the finer one the page names.
fn server_state(release: Release, since_2022: &'static str) -> Grant {
    if release.major >= 16 {
        Grant::Server(since_2022)
    } else {
        Grant::Server("VIEW SERVER STATE")
    }
}

/// What `fact` needs on `release`, as the collector reads it.
pub fn needs(fact: FactId, release: Release) -> Vec<Need> {
    use FactId as F;
    let view_definition = Grant::Server("VIEW ANY DEFINITION");
    let databases = if release.major >= 12 {
        need(
            fact,
            Grant::Server("CONNECT ANY DATABASE"),
            "every online database (HAS_DBACCESS, <db>.sys.*)",
            doc::GRANT_SERVER,
        )
    } else {
        noted(
            need(
                fact,
                Grant::UserInEveryDatabase,
                "every online database (HAS_DBACCESS, <db>.sys.*)",
                doc::CREATE_USER,
            ),
            NOTE_MODEL,
        )
    };
    // The instance's own registry values: sys.dm_server_registry from 2008 R2 SP1 (what a
    // login that is not sysadmin reads; sysadmin reads them with xp_instance_regread).
    let registry = |value: &'static str| {
        if release.major > 10 || release.minor == 50 {
            need(
                fact,
                server_state(release, "VIEW SERVER PERFORMANCE STATE"),
                value,
                doc::SERVER_REGISTRY,
            )
        } else {
            noted(
                need(fact, Grant::Sysadmin, value, doc::SERVER_REGISTRY),
                NOTE_REGISTRY,
            )
        }
    };
    match fact {
        F::Server => vec![need(
            fact,
            Grant::Everyone,
            "SERVERPROPERTY, @@VERSION, SUSER_SNAME(), IS_SRVROLEMEMBER",
            doc::SERVERPROPERTY,
        )],
        F::Host => match release.major {
            16.. => vec![need(
                fact,
                Grant::Server("VIEW SERVER PERFORMANCE STATE"),
                "sys.dm_os_host_info",
                doc::HOST_INFO,
            )],
            14 | 15 => vec![need(
                fact,
                Grant::Everyone,
                "sys.dm_os_host_info (SELECT granted to public)",
                doc::HOST_INFO,
            )],
            _ => vec![need(
                fact,
                Grant::Everyone,
                "@@VERSION",
                doc::SERVERPROPERTY,
            )],
        },
        F::Logins => {
            let hash = if release.major >= 16 {
                Grant::Server("VIEW ANY CRYPTOGRAPHICALLY SECURED DEFINITION")
            } else {
                Grant::Server("CONTROL SERVER")
            };
            let mut password = need(fact, hash, PASSWORD_HASH, doc::SQL_LOGINS);
            password.only_checks = Some(&["R05"]);
            if release.major < 16 {
                password.note = Some(NOTE_CONTROL_SERVER);
            }
            vec![
                need(
                    fact,
                    view_definition,
                    "sys.server_principals, sys.sql_logins, LOGINPROPERTY",
                    doc::SQL_LOGINS,
                ),
                password,
            ]
        }
        F::ServerRoleMembers => vec![need(
            fact,
            view_definition,
            "sys.server_role_members",
            doc::SERVER_ROLE_MEMBERS,
        )],
        F::ServerPermissions => vec![need(
            fact,
            view_definition,
            "sys.server_permissions",
            doc::SERVER_PERMISSIONS,
        )],
        F::Configuration => vec![need(
            fact,
            Grant::Everyone,
            "sys.configurations (public)",
            doc::CONFIGURATIONS,
        )],
        F::Services => {
            let mut out = Vec::new();
            // sys.dm_server_services arrived with 2008 R2 SP1.
            if release.major > 10 || release.minor == 50 {
                out.push(need(
                    fact,
                    server_state(release, "VIEW SERVER SECURITY STATE"),
                    if release.major == 10 {
                        "sys.dm_server_services (2008 R2 SP1 and later): engine, agent, full-text"
                    } else {
                        "sys.dm_server_services: engine, agent, full-text"
                    },
                    doc::SERVER_SERVICES,
                ));
            }
            out.push(noted(
                need(
                    fact,
                    Grant::Sysadmin,
                    "xp_regread SYSTEM\\CurrentControlSet\\Services\\…",
                    doc::SERVER_SERVICES,
                ),
                NOTE_REGISTRY_SERVICES,
            ));
            out
        }
        F::Protocols => vec![registry(
            "sys.dm_server_registry …\\SuperSocketNetLib\\{Tcp,Np,Sm,Via} Enabled",
        )],
        F::LoginAuditLevel => vec![registry("sys.dm_server_registry …\\MSSQLServer AuditLevel")],
        F::ForceEncryption => vec![registry(
            "sys.dm_server_registry …\\SuperSocketNetLib ForceEncryption",
        )],
        F::TlsCertificate => vec![registry(
            "sys.dm_server_registry …\\SuperSocketNetLib Certificate",
        )],
        F::InstanceSettings => vec![registry(
            "sys.dm_server_registry …\\MSSQLServer NumErrorLogs, …\\SuperSocketNetLib HideInstance, …\\Tcp\\IPAll TcpPort and TcpDynamicPorts",
        )],
        F::HostSettings => vec![noted(
            need(
                fact,
                Grant::Sysadmin,
                "xp_regread SCHANNEL\\Protocols, Lsa\\FipsAlgorithmPolicy, W32Time\\Parameters, Windows NT\\CurrentVersion SystemRoot; xp_instance_regread Setup SQLPath, CPE",
                doc::SERVER_REGISTRY,
            ),
            NOTE_HOST_REGISTRY,
        )],
        F::StartupParameters => vec![registry(
            "sys.dm_server_registry …\\MSSQLServer\\Parameters SQLArg0, SQLArg1 …",
        )],
        F::Databases => vec![
            // public holds it by default, but hardening guides revoke it, and then the login
            // sees only master, tempdb and the databases it owns: granted explicitly.
            need(
                fact,
                Grant::Server("VIEW ANY DATABASE"),
                "sys.databases: every database (public's by default; granted explicitly in case it was revoked)",
                doc::DATABASES,
            ),
            need(
                fact,
                view_definition,
                "SUSER_SNAME(owner_sid): the owners' login names",
                doc::METADATA_VISIBILITY,
            ),
            need(
                fact,
                Grant::User("msdb"),
                "msdb.dbo.backupset",
                doc::CREATE_USER,
            ),
            noted(
                need(
                    fact,
                    Grant::Object {
                        database: "msdb",
                        permission: "SELECT",
                        object: "dbo.backupset",
                    },
                    "msdb.dbo.backupset: the last full and log backups",
                    doc::BACKUPSET,
                ),
                NOTE_BACKUPSET,
            ),
        ],
        F::DatabaseDetails => vec![
            databases,
            need(
                fact,
                view_definition,
                "<db>.sys.database_principals, database_role_members, database_permissions, \
                 objects, triggers, sql_modules",
                doc::DATABASE_PRINCIPALS,
            ),
        ],
        F::LinkedServers => vec![need(
            fact,
            view_definition,
            "sys.servers, sys.linked_logins",
            doc::SERVERS,
        )],
        F::ServerTriggers => vec![need(
            fact,
            view_definition,
            "sys.server_triggers, sys.server_trigger_events",
            doc::SERVER_TRIGGERS,
        )],
        F::Audits => vec![need(
            fact,
            view_definition,
            "sys.server_audits, sys.server_audit_specifications and _details",
            doc::SERVER_AUDITS,
        )],
        F::Certificates => vec![
            need(
                fact,
                view_definition,
                "master.sys.certificates, <db>.sys.certificates",
                doc::CERTIFICATES,
            ),
            databases,
        ],
        F::EncryptionKeys => vec![need(
            fact,
            server_state(release, "VIEW SERVER SECURITY STATE"),
            "sys.dm_database_encryption_keys",
            doc::ENCRYPTION_KEYS,
        )],
        F::Connections => vec![need(
            fact,
            server_state(release, "VIEW SERVER PERFORMANCE STATE"),
            "sys.dm_exec_connections (other clients' sessions)",
            doc::EXEC_CONNECTIONS,
        )],
        // The 2008–2019 pages say VIEW SERVER STATE; the current page, VIEW SERVER SECURITY
        // STATE (2022 and later).
        F::AuditStatus => vec![need(
            fact,
            server_state(release, "VIEW SERVER SECURITY STATE"),
            "sys.dm_server_audit_status: whether each server audit is STARTED",
            doc::AUDIT_STATUS,
        )],
        F::AgentJobs => {
            let mut out = vec![need(
                fact,
                Grant::User("msdb"),
                "msdb.dbo.sysjobs, sysjobschedules, sysschedules",
                doc::CREATE_USER,
            )];
            for object in ["dbo.sysjobs", "dbo.sysjobschedules", "dbo.sysschedules"] {
                out.push(noted(
                    need(
                        fact,
                        Grant::Object {
                            database: "msdb",
                            permission: "SELECT",
                            object,
                        },
                        "msdb Agent jobs, their owners and start-up schedules",
                        doc::SYSJOBS,
                    ),
                    NOTE_SYSJOBS,
                ));
            }
            out
        }
        F::XpPermissions => vec![need(
            fact,
            view_definition,
            "master.sys.database_permissions, master.sys.all_objects (extended procedures)",
            doc::DATABASE_PERMISSIONS,
        )],
        // sys.credentials: "Requires either VIEW ANY DEFINITION permission or ALTER ANY
        // CREDENTIAL permission".
        F::Credentials => vec![need(
            fact,
            view_definition,
            "sys.credentials",
            doc::CREDENTIALS,
        )],
        F::StartupProcedures => vec![need(
            fact,
            view_definition,
            "master.sys.procedures (is_auto_executed)",
            doc::PROCEDURES,
        )],
        F::CustomExtendedProcedures => vec![need(
            fact,
            view_definition,
            "master.sys.extended_procedures",
            doc::EXTENDED_PROCEDURES,
        )],
        F::Endpoints => vec![need(
            fact,
            view_definition,
            "sys.endpoints, sys.database_mirroring_endpoints, sys.service_broker_endpoints",
            doc::ENDPOINTS,
        )],
        F::AgentProxies => vec![noted(
            need(
                fact,
                Grant::Sysadmin,
                "msdb.dbo.sysproxies, sysproxysubsystem, sysproxylogin",
                doc::SYSPROXIES,
            ),
            NOTE_PROXIES,
        )],
        F::InvalidWindowsLogins => vec![noted(
            need(
                fact,
                Grant::Sysadmin,
                "EXEC sp_validatelogins",
                doc::VALIDATELOGINS,
            ),
            NOTE_VALIDATELOGINS,
        )],
        F::CryptographicProviders => vec![noted(
            need(
                fact,
                view_definition,
                "sys.cryptographic_providers",
                doc::CRYPTOGRAPHIC_PROVIDERS,
            ),
            NOTE_PROVIDERS,
        )],
    }
}

/// One right, with every fact and check that needs it on a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// What to grant.
    pub grant: Grant,
    /// Every need it serves, in fact order.
    pub needs: Vec<Need>,
    /// The checks that need it, in id order.
    pub checks: Vec<CheckId>,
}

impl Requirement {
    /// The fact groups it serves.
    pub fn facts(&self) -> Vec<FactId> {
        let mut facts: Vec<FactId> = self.needs.iter().map(|n| n.fact).collect();
        facts.dedup();
        facts
    }

    /// The pages that document it, without repeats.
    pub fn sources(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for n in &self.needs {
            if !out.contains(&n.source) {
                out.push(n.source);
            }
        }
        out
    }

    /// The notes of its needs, without repeats.
    pub fn notes(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for n in self.needs.iter().filter_map(|n| n.note) {
            if !out.contains(&n) {
                out.push(n);
            }
        }
        out
    }
}

/// The checks of the catalogue a need serves.
fn checks_of(need: &Need, checks: &[&Check]) -> Vec<CheckId> {
    checks
        .iter()
        .filter(|c| c.reads.contains(&need.fact))
        .filter(|c| {
            need.only_checks
                .is_none_or(|only| only.contains(&c.id.as_str()))
        })
        .map(|c| c.id)
        .collect()
}

fn merge(needs: impl IntoIterator<Item = Need>, checks: &[&Check]) -> Vec<Requirement> {
    let mut by_grant: BTreeMap<Grant, Requirement> = BTreeMap::new();
    for n in needs {
        let served = checks_of(&n, checks);
        let entry = by_grant.entry(n.grant).or_insert_with(|| Requirement {
            grant: n.grant,
            needs: Vec::new(),
            checks: Vec::new(),
        });
        entry.needs.push(n);
        entry.checks.extend(served);
    }
    by_grant
        .into_values()
        .map(|mut r| {
            r.checks.sort();
            r.checks.dedup();
            r
        })
        .collect()
}

/// Everything the collector needs on `release`: one entry per right, with the facts and
/// checks it serves (server permissions first, then users and object grants, then what only
/// sysadmin has, then what every login has).
pub fn required(release: Release) -> Vec<Requirement> {
    merge(
        FactId::ALL.iter().flat_map(|f| needs(*f, release)),
        catalogue(),
    )
}

/// What one check needs on `release`, through the facts it reads.
pub fn required_by(check: &Check, release: Release) -> Vec<Requirement> {
    merge(
        check
            .reads
            .iter()
            .flat_map(|f| needs(*f, release))
            .filter(|n| {
                n.only_checks
                    .is_none_or(|only| only.contains(&check.id.as_str()))
            }),
        &[check],
    )
}

/// How the script is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptOptions {
    /// The audit login to create.
    pub login: String,
    /// Grant what reads password hashes (CONTROL SERVER before 2022). Without it, R05's
    /// password tests report UNKNOWN.
    pub password_hashes: bool,
}

impl Default for ScriptOptions {
    fn default() -> ScriptOptions {
        ScriptOptions {
            login: DEFAULT_LOGIN.to_owned(),
            password_hashes: true,
        }
    }
}

/// The login the script creates unless told otherwise.
pub const DEFAULT_LOGIN: &str = "autodbaudit_reader";

/// The sqlcmd variable that carries the login's password into the script.
pub const PASSWORD_VARIABLE: &str = "AUDIT_PASSWORD";

/// Why no script can be written for a login name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// Empty, longer than a SQL Server name (128), or holding a line break or control
    /// character (which no reviewer could see in a script).
    #[error(
        "`{}` cannot be a login name: it must be 1 to 128 characters without line breaks, control characters or `$(` (which sqlcmd reads as a variable)",
        .0.escape_debug()
    )]
    BadLogin(String),
}

/// The rights the script leaves out on `release` with `options`: what only sysadmin has, and
/// the password-hash right when it is not wanted. The facts these serve stay UNKNOWN (or
/// partial) for the login.
pub fn not_granted(release: Release, options: &ScriptOptions) -> Vec<Need> {
    FactId::ALL
        .iter()
        .flat_map(|f| needs(*f, release))
        .filter(|n| {
            n.grant == Grant::Sysadmin || (!options.password_hashes && n.reads == PASSWORD_HASH)
        })
        .collect()
}

/// `name` as `QUOTENAME` quotes it.
fn ident(name: &str) -> String {
    format!("[{}]", name.replace(']', "]]"))
}

/// `text` as a Unicode literal.
fn literal(text: &str) -> String {
    format!("N'{}'", text.replace('\'', "''"))
}

/// The release as Microsoft writes it with its version (`SQL Server 2008 R2 (10.50)`).
pub fn release_title(release: Release) -> String {
    format!(
        "SQL Server {} ({}.{})",
        release.name,
        release.major,
        if release.minor == 0 {
            "x".to_owned()
        } else {
            release.minor.to_string()
        }
    )
}

/// What `SERVERPROPERTY('ProductVersion')` starts with on `release`.
fn version_prefix(release: Release) -> String {
    format!("{}.{}.", release.major, release.minor)
}

fn wrap_comment(out: &mut String, indent: &str, text: &str) {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + word.len() + 1 > 92 {
            out.push_str(&format!("{indent}-- {line}\n"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&format!("{indent}-- {line}\n"));
    }
}

fn why(requirement: &Requirement) -> String {
    let facts: Vec<&str> = requirement.facts().iter().map(|f| f.as_str()).collect();
    let checks: Vec<&str> = requirement.checks.iter().map(|c| c.as_str()).collect();
    format!(
        "for {} (checks {})",
        facts.join(", "),
        if checks.is_empty() {
            "none yet".to_owned()
        } else {
            checks.join(", ")
        }
    )
}

/// The T-SQL script a DBA runs as sysadmin on a server of `release`: it creates the audit
/// login (password from the sqlcmd variable `$(AUDIT_PASSWORD)`, CHECK_POLICY ON) with exactly
/// the rights [`required`] lists that a script can grant, and a user for it where one is
/// needed (msdb; every online database before 2014). It can be run again (every step checks
/// first), and refuses to run on another release or without the password variable. Names are
/// quoted as `QUOTENAME` quotes them.
pub fn script(release: Release, options: &ScriptOptions) -> Result<String, ScriptError> {
    let login = options.login.as_str();
    let count = login.chars().count();
    // `$(` would be taken by sqlcmd for a variable, even in a comment.
    if count == 0 || count > 128 || login.chars().any(char::is_control) || login.contains("$(") {
        return Err(ScriptError::BadLogin(login.to_owned()));
    }
    let (name, text) = (ident(login), literal(login));
    let requirements = required(release);
    let skipped = |n: &Need| !options.password_hashes && n.reads == PASSWORD_HASH;
    let mut s = String::new();
    s.push_str(&format!(
        "-- AutoDBAudit: a dedicated audit login with the least rights the audit needs.\n\
         -- {} · login {name}\n\
         -- Generated by `autodbaudit permissions --version {} --format sql`{}.\n\
         --\n\
         -- Run it as a member of sysadmin with sqlcmd (or SSMS in SQLCMD mode), giving the\n\
         -- login's password in the variable {PASSWORD_VARIABLE} (a ' in it must be doubled):\n\
         --   sqlcmd -S SERVER -E -b -i this-file.sql -v {PASSWORD_VARIABLE}=\"...\"\n\
         -- It can be run again: every step checks first.{}\n\
         -- `autodbaudit permissions --version {}` lists each right with the facts and checks\n\
         -- that need it and the Microsoft page that documents it.\n",
        release_title(release),
        release.name.replace(' ', ""),
        if options.password_hashes {
            ""
        } else {
            " --no-password-hashes"
        },
        if release.major < 12 {
            "\n-- Run it again after creating a database: the login needs a user in each."
        } else {
            ""
        },
        release.name.replace(' ', ""),
    ));
    // Batch 1: the guards and the login.
    s.push_str(&format!(
        "SET NOCOUNT ON;\n\
         USE [master];\n\
         IF CONVERT(nvarchar(128), SERVERPROPERTY('ProductVersion')) NOT LIKE N'{prefix}%'\n\
         \x20   RAISERROR(N'This script is for {title}: generate the one for this server with autodbaudit permissions --version.', 16, 1);\n\
         ELSE IF N'$({PASSWORD_VARIABLE})' = N'$' + N'({PASSWORD_VARIABLE})'\n\
         \x20   RAISERROR(N'Give the password: sqlcmd -v {PASSWORD_VARIABLE}=... (in SSMS: SQLCMD mode and :setvar).', 16, 1);\n\
         ELSE IF NOT EXISTS (SELECT 1 FROM sys.server_principals WHERE name = {text})\n\
         \x20   CREATE LOGIN {name} WITH PASSWORD = N'$({PASSWORD_VARIABLE})', CHECK_POLICY = ON;\n\
         GO\n",
        prefix = version_prefix(release),
        title = release_title(release),
    ));
    // Batch 2: server permissions.
    s.push_str(
        "-- Server permissions. Granting again changes nothing, so the script can be run again.\n",
    );
    for r in &requirements {
        let Grant::Server(permission) = r.grant else {
            continue;
        };
        if r.needs.iter().all(skipped) {
            s.push_str(&format!(
                "-- Left out (--no-password-hashes): GRANT {permission} TO {name}; {}\n",
                why(r)
            ));
            continue;
        }
        wrap_comment(&mut s, "", &format!("{permission}: {}.", why(r)));
        for note in r.notes() {
            wrap_comment(&mut s, "", &format!("Note: {note}."));
        }
        s.push_str(&format!("GRANT {permission} TO {name};\n"));
    }
    s.push_str("GO\n");
    // Batch per database with object grants (msdb).
    let mut databases: Vec<&'static str> = Vec::new();
    for r in &requirements {
        if let Grant::User(db) | Grant::Object { database: db, .. } = r.grant
            && !databases.contains(&db)
        {
            databases.push(db);
        }
    }
    for db in databases {
        let grants: Vec<&Requirement> = requirements
            .iter()
            .filter(|r| matches!(r.grant, Grant::Object { database, .. } if database == db))
            .collect();
        let user = requirements
            .iter()
            .find(|r| r.grant == Grant::User(db))
            .map(why)
            .unwrap_or_default();
        wrap_comment(
            &mut s,
            "",
            &format!("{db}: a user for the login ({user}), and what it may read there."),
        );
        s.push_str(&format!(
            "USE {};\n\
             DECLARE @login sysname = {text}, @user sysname, @sql nvarchar(max);\n\
             SELECT @user = name FROM sys.database_principals WHERE sid = SUSER_SID(@login);\n\
             IF @user IS NULL\n\
             BEGIN\n\
             \x20   SET @user = @login;\n\
             \x20   SET @sql = N'CREATE USER ' + QUOTENAME(@user) + N' FOR LOGIN ' + QUOTENAME(@login) + N';';\n\
             \x20   EXEC sp_executesql @sql;\n\
             END\n",
            ident(db)
        ));
        for r in grants {
            let Grant::Object {
                permission, object, ..
            } = r.grant
            else {
                continue;
            };
            wrap_comment(
                &mut s,
                "",
                &format!("{permission} on {object}: {}.", why(r)),
            );
            for note in r.notes() {
                wrap_comment(&mut s, "", &format!("Note: {note}."));
            }
            let (schema, table) = object.split_once('.').unwrap_or(("dbo", object));
            s.push_str(&format!(
                "SET @sql = N'GRANT {permission} ON OBJECT::{}.{} TO ' + QUOTENAME(@user) + N';';\n\
                 EXEC sp_executesql @sql;\n",
                ident(schema).replace('\'', "''"),
                ident(table).replace('\'', "''"),
            ));
        }
        s.push_str("USE [master];\nGO\n");
    }
    // Before 2014: a user in every online database.
    if let Some(r) = requirements
        .iter()
        .find(|r| r.grant == Grant::UserInEveryDatabase)
    {
        wrap_comment(
            &mut s,
            "",
            &format!(
                "A user for the login in every online, writable database {} — SQL Server {} has \
                 no CONNECT ANY DATABASE (2014 and later). tempdb is left out: guest may always \
                 enter it, and users there do not survive a restart. A database that refuses \
                 is named and skipped; its facts stay UNKNOWN for the login.",
                why(r),
                release.name
            ),
        );
        for note in r.notes() {
            wrap_comment(&mut s, "", &format!("Note: {note}."));
        }
        s.push_str(&format!(
            "DECLARE @login sysname = {text}, @id int = 0, @name sysname = N'', @sql nvarchar(max);\n\
             WHILE @name IS NOT NULL\n\
             BEGIN\n\
             \x20   SET @name = NULL;\n\
             \x20   SELECT TOP (1) @id = database_id, @name = name FROM sys.databases\n\
             \x20       WHERE database_id > @id AND database_id <> 2 AND state_desc = N'ONLINE' AND is_read_only = 0\n\
             \x20       ORDER BY database_id;\n\
             \x20   IF @name IS NOT NULL\n\
             \x20   BEGIN\n\
             \x20       SET @sql = N'USE ' + QUOTENAME(@name) + N'; IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE sid = SUSER_SID(@login)) CREATE USER '\n\
             \x20           + QUOTENAME(@login) + N' FOR LOGIN ' + QUOTENAME(@login) + N';';\n\
             \x20       BEGIN TRY\n\
             \x20           EXEC sp_executesql @sql, N'@login sysname', @login = @login;\n\
             \x20       END TRY\n\
             \x20       BEGIN CATCH\n\
             \x20           PRINT N'No user in ' + QUOTENAME(@name) + N': ' + ERROR_MESSAGE();\n\
             \x20       END CATCH\n\
             \x20   END\n\
             END\n\
             GO\n"
        ));
    }
    // What is not granted, and why: one line per reason.
    let mut reasons: Vec<(String, Vec<FactId>, Vec<CheckId>)> = Vec::new();
    for n in not_granted(release, options) {
        let reason = if n.grant == Grant::Sysadmin {
            n.note.unwrap_or("only sysadmin may read it").to_owned()
        } else {
            format!("{} left out on request (--no-password-hashes)", n.reads)
        };
        let at = match reasons.iter().position(|(r, ..)| *r == reason) {
            Some(at) => at,
            None => {
                reasons.push((reason, Vec::new(), Vec::new()));
                reasons.len() - 1
            }
        };
        let entry = &mut reasons[at];
        if !entry.1.contains(&n.fact) {
            entry.1.push(n.fact);
        }
        entry.2.extend(checks_of(&n, catalogue()));
        entry.2.sort();
        entry.2.dedup();
    }
    if !reasons.is_empty() {
        s.push_str(
            "-- Not granted by this script: for the login these facts stay UNKNOWN, saying why.\n",
        );
        for (reason, facts, checks) in &reasons {
            let facts: Vec<&str> = facts.iter().map(|f| f.as_str()).collect();
            let checks: Vec<&str> = checks.iter().map(|c| c.as_str()).collect();
            wrap_comment(
                &mut s,
                "",
                &format!(
                    "- {} (checks {}): {reason}.",
                    facts.join(", "),
                    checks.join(", ")
                ),
            );
        }
    }
    s.push_str(&format!(
        "PRINT N'The audit login ' + QUOTENAME({text}) + N' is ready for {}.';\n",
        release_title(release).replace('\'', "''")
    ));
    Ok(s)
}

/// The address of the Microsoft SQL documentation every source starts with.
pub fn docs_root() -> &'static str {
    LEARN
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RELEASES;

    fn release(name: &str) -> Release {
        Release::by_name(name).unwrap()
    }

    fn server_grants(release: Release) -> Vec<&'static str> {
        required(release)
            .iter()
            .filter_map(|r| match r.grant {
                Grant::Server(p) => Some(p),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_fact_has_a_need_with_a_microsoft_source_on_every_release() {
        for release in RELEASES {
            for fact in FactId::ALL {
                let list = needs(fact, release);
                assert!(!list.is_empty(), "{fact} on {}", release.name);
                for n in list {
                    assert_eq!(n.fact, fact);
                    assert!(n.source.starts_with(docs_root()), "{fact}: {}", n.source);
                    assert!(!n.reads.is_empty());
                    if matches!(n.grant, Grant::Sysadmin) {
                        assert!(n.note.is_some(), "{fact}: say why nothing smaller exists");
                    }
                }
            }
        }
    }

    #[test]
    fn the_union_per_release_follows_the_documentation() {
        assert_eq!(
            server_grants(release("2008 R2")),
            [
                "CONTROL SERVER",
                "VIEW ANY DATABASE",
                "VIEW ANY DEFINITION",
                "VIEW SERVER STATE"
            ]
        );
        assert_eq!(
            server_grants(release("2012")),
            server_grants(release("2008 R2"))
        );
        for name in ["2014", "2016", "2017", "2019"] {
            assert_eq!(
                server_grants(release(name)),
                [
                    "CONNECT ANY DATABASE",
                    "CONTROL SERVER",
                    "VIEW ANY DATABASE",
                    "VIEW ANY DEFINITION",
                    "VIEW SERVER STATE"
                ],
                "{name}"
            );
        }
        for name in ["2022", "2025"] {
            assert_eq!(
                server_grants(release(name)),
                [
                    "CONNECT ANY DATABASE",
                    "VIEW ANY CRYPTOGRAPHICALLY SECURED DEFINITION",
                    "VIEW ANY DATABASE",
                    "VIEW ANY DEFINITION",
                    "VIEW SERVER PERFORMANCE STATE",
                    "VIEW SERVER SECURITY STATE",
                ],
                "{name}"
            );
        }
        let old = required(release("2012"));
        assert!(old.iter().any(|r| r.grant == Grant::UserInEveryDatabase));
        let new = required(release("2014"));
        assert!(!new.iter().any(|r| r.grant == Grant::UserInEveryDatabase));
        for release in RELEASES {
            let all = required(release);
            assert!(all.iter().any(|r| r.grant == Grant::User("msdb")));
            assert!(all.iter().any(|r| r.grant == Grant::Sysadmin));
            // No right is listed twice.
            let mut grants: Vec<Grant> = all.iter().map(|r| r.grant).collect();
            grants.dedup();
            assert_eq!(grants.len(), all.len());
        }
    }

    #[test]
    fn each_right_names_the_facts_and_checks_that_need_it() {
        let all = required(release("2019"));
        let find = |g: Grant| all.iter().find(|r| r.grant == g).unwrap();
        let control = find(Grant::Server("CONTROL SERVER"));
        assert_eq!(control.facts(), [FactId::Logins]);
        assert_eq!(control.checks, [CheckId::new("R05")]);
        assert!(control.notes()[0].contains("close to sysadmin"));
        let state = find(Grant::Server("VIEW SERVER STATE"));
        assert_eq!(
            state.facts(),
            [
                FactId::Services,
                FactId::Protocols,
                FactId::LoginAuditLevel,
                FactId::ForceEncryption,
                FactId::EncryptionKeys,
                FactId::Connections,
                FactId::AuditStatus,
                FactId::InstanceSettings,
                FactId::StartupParameters,
                FactId::TlsCertificate
            ]
        );
        for check in ["R06", "R11", "R17", "R22", "X09", "X55"] {
            assert!(state.checks.contains(&check.parse().unwrap()), "{check}");
        }
        // Only the services and host settings outside the instance's keys, msdb's proxy tables (whose pages
        // admit sysadmin alone) and sp_validatelogins remain sysadmin's.
        let sysadmin = find(Grant::Sysadmin);
        assert_eq!(
            sysadmin.facts(),
            [
                FactId::Services,
                FactId::HostSettings,
                FactId::AgentProxies,
                FactId::InvalidWindowsLogins
            ]
        );
        for check in ["R19", "R21"] {
            assert!(sysadmin.checks.contains(&check.parse().unwrap()), "{check}");
        }
        assert!(!sysadmin.checks.contains(&CheckId::new("R17")));
        // The narrowing names a real check that reads the fact.
        let r05 = crate::checks::check(CheckId::new("R05")).unwrap();
        assert!(r05.reads.contains(&FactId::Logins));
    }

    #[test]
    fn a_check_needs_what_its_facts_need() {
        let r05 = crate::checks::check("R05".parse().unwrap()).unwrap();
        let grants: Vec<Grant> = required_by(r05, release("2022"))
            .iter()
            .map(|r| r.grant)
            .collect();
        assert_eq!(
            grants,
            [
                Grant::Server("VIEW ANY CRYPTOGRAPHICALLY SECURED DEFINITION"),
                Grant::Server("VIEW ANY DEFINITION")
            ]
        );
        let r04 = crate::checks::check("R04".parse().unwrap()).unwrap();
        let grants: Vec<Grant> = required_by(r04, release("2019"))
            .iter()
            .map(|r| r.grant)
            .collect();
        assert_eq!(
            grants,
            [Grant::Server("VIEW ANY DEFINITION")],
            "no hash for R04"
        );
        let x02 = crate::checks::check("X02".parse().unwrap()).unwrap();
        let x02 = required_by(x02, release("2012"));
        assert!(x02.iter().any(|r| matches!(
            r.grant,
            Grant::Object {
                permission: "SELECT",
                ..
            }
        )));
        assert!(x02.iter().all(|r| r.checks == [CheckId::new("X02")]));
        let r01 = crate::checks::check("R01".parse().unwrap()).unwrap();
        assert!(
            required_by(r01, release("2008"))
                .iter()
                .all(|r| r.grant == Grant::Everyone)
        );
    }

    #[test]
    fn the_script_grants_exactly_the_grantable_rights() {
        for release in RELEASES {
            let sql = script(release, &ScriptOptions::default()).unwrap();
            for r in required(release) {
                match r.grant {
                    Grant::Server(p) => assert!(
                        sql.contains(&format!("GRANT {p} TO [autodbaudit_reader];")),
                        "{}: {p}",
                        release.name
                    ),
                    Grant::Object { permission, .. } => assert!(
                        sql.contains(&format!("GRANT {permission} ON OBJECT::[dbo].[backupset]")),
                        "{}",
                        release.name
                    ),
                    _ => {}
                }
            }
            let grants = sql.lines().filter(|l| l.starts_with("GRANT ")).count();
            assert_eq!(grants, server_grants(release).len(), "{}", release.name);
            assert!(!sql.contains("sysadmin ADD") && !sql.contains("sp_addsrvrolemember"));
            assert!(sql.contains("CHECK_POLICY = ON"));
            assert!(sql.contains("N'$(AUDIT_PASSWORD)'"));
            assert!(sql.contains(&format!(
                "NOT LIKE N'{}.{}.%'",
                release.major, release.minor
            )));
            assert_eq!(sql.contains("WHILE @name IS NOT NULL"), release.major < 12);
            assert!(sql.contains("Not granted by this script"));
        }
    }

    #[test]
    fn the_script_can_leave_out_the_password_hash_right() {
        let options = ScriptOptions {
            password_hashes: false,
            ..ScriptOptions::default()
        };
        let sql = script(release("2019"), &options).unwrap();
        assert!(!sql.contains("\nGRANT CONTROL SERVER"));
        assert!(sql.contains("-- Left out (--no-password-hashes): GRANT CONTROL SERVER"));
        assert!(sql.contains("GRANT VIEW SERVER STATE TO"));
        let sql = script(release("2022"), &options).unwrap();
        assert!(!sql.contains("\nGRANT VIEW ANY CRYPTOGRAPHICALLY"));
        let left = not_granted(release("2022"), &options);
        assert!(left.iter().any(|n| n.reads == PASSWORD_HASH));
    }

    #[test]
    fn hostile_login_names_are_quoted_and_impossible_ones_refused() {
        let options = ScriptOptions {
            login: "rea]der'; DROP LOGIN sa --".into(),
            ..ScriptOptions::default()
        };
        let sql = script(release("2016"), &options).unwrap();
        assert!(sql.contains("CREATE LOGIN [rea]]der'; DROP LOGIN sa --] WITH"));
        assert!(sql.contains("WHERE name = N'rea]der''; DROP LOGIN sa --'"));
        assert!(sql.contains("GRANT VIEW ANY DEFINITION TO [rea]]der'; DROP LOGIN sa --];"));
        for bad in ["", "two\nlines", &"x".repeat(129), "a$(b)"] {
            let options = ScriptOptions {
                login: bad.to_owned(),
                ..ScriptOptions::default()
            };
            assert!(script(release("2019"), &options).is_err(), "{bad:?}");
        }
        let options = ScriptOptions {
            login: "x".repeat(128),
            ..ScriptOptions::default()
        };
        assert!(script(release("2019"), &options).is_ok());
    }
}
