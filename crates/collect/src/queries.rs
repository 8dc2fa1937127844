//! The audit's SQL, per version. Every query is a SELECT whose first column is the marker
//! `[fact:NAME]` (see [`crate::batch`]); dates are converted to text (`CONVERT(…, 121)`) and
//! `sql_variant` values cast, so that every version returns the same shapes.
//!
//! Round trips per instance: server info, server facts, registry, databases, per-database
//! facts — five, whatever the number of databases (the per-database queries are one
//! `UNION ALL` over every accessible database).

use audit_core::BuildNumber;

/// `SERVERPROPERTY` and the session: readable by any login.
pub const SERVER_INFO: &str = "SELECT 1 AS [fact:server],
  CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS version,
  CAST(SERVERPROPERTY('ProductLevel') AS nvarchar(128)) AS product_level,
  CAST(SERVERPROPERTY('ProductUpdateLevel') AS nvarchar(128)) AS update_level,
  CAST(SERVERPROPERTY('Edition') AS nvarchar(128)) AS edition,
  CAST(SERVERPROPERTY('EngineEdition') AS int) AS engine_edition,
  CAST(SERVERPROPERTY('MachineName') AS nvarchar(128)) AS machine_name,
  CAST(SERVERPROPERTY('InstanceName') AS nvarchar(128)) AS instance_name,
  CAST(SERVERPROPERTY('IsIntegratedSecurityOnly') AS int) AS windows_only,
  CAST(SERVERPROPERTY('IsClustered') AS int) AS clustered,
  @@SERVERNAME AS server_name, @@VERSION AS version_text,
  CAST(SERVERPROPERTY('ServerName') AS nvarchar(256)) AS property_server_name,
  CAST(SERVERPROPERTY('IsHadrEnabled') AS int) AS hadr_enabled,
  SUSER_SNAME() AS login, IS_SRVROLEMEMBER('sysadmin') AS sysadmin,
  HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW ANY DEFINITION') AS view_any_definition,
  HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW ANY DATABASE') AS view_any_database";

/// `sys.certificates.key_length`: "Applies to: SQL Server 2016 (13.x) and later"
/// (learn.microsoft.com: sys.certificates).
fn certificate_key_length(version: BuildNumber) -> &'static str {
    if version.major >= 13 {
        "c.key_length"
    } else {
        "CAST(NULL AS int) AS key_length"
    }
}

/// Principals, permissions, configuration, linked servers, triggers, audits, certificates of
/// master, DMVs: one batch; a statement refused for lack of permission leaves a gap, not a
/// failed batch.
///
/// An Agent proxy's msdb-role grantee (`sysproxylogin.flags` 2) is matched by SID among msdb's
/// roles, as CIS 3.11's audit query joins `msdb.sys.database_principals` (restricted to roles:
/// dbo and a role may share a SID).
/// `sp_validatelogins` runs only for sysadmin or securityadmin, inside TRY…CATCH, and says
/// whether it ran in `[fact:validate_logins]`.
pub fn server_facts(version: BuildNumber) -> String {
    let modern = version.major >= 11;
    let key_length = certificate_key_length(version);
    let backup_column = if modern {
        "CONVERT(nvarchar(23), c.pvt_key_last_backup_date, 121) AS last_backup, 1 AS backup_recorded"
    } else {
        "CAST(NULL AS nvarchar(23)) AS last_backup, 0 AS backup_recorded"
    };
    let host = if version.major >= 14 {
        "SELECT 1 AS [fact:host], host_platform AS platform, host_distribution AS distribution, host_release AS release FROM sys.dm_os_host_info;"
    } else {
        ""
    };
    let encryptor = if modern {
        "k.encryptor_type"
    } else {
        "CAST(NULL AS nvarchar(32)) AS encryptor_type"
    };
    // instant_file_initialization_enabled: "Applies to: SQL Server 2012 SP4, SQL Server 2014
    // SP3, and SQL Server 2016 SP1 and later" (learn.microsoft.com: sys.dm_server_services).
    let ifi = match version.major {
        11 => version.build >= 7001,
        12 => version.build >= 6024,
        13 => version.build >= 4001,
        major => major >= 14,
    };
    let services = match (
        version.major > 10 || (version.minor == 50 && version.build >= 2500),
        ifi,
    ) {
        (false, _) => String::new(),
        (true, true) => "SELECT 1 AS [fact:services], servicename, service_account, startup_type_desc, status_desc, instant_file_initialization_enabled FROM sys.dm_server_services;".to_owned(),
        (true, false) => "SELECT 1 AS [fact:services], servicename, service_account, startup_type_desc, status_desc, CAST(NULL AS nvarchar(1)) AS instant_file_initialization_enabled FROM sys.dm_server_services;".to_owned(),
    };
    // The instance's own registry values, documented and readable with VIEW SERVER STATE
    // (2022+: VIEW SERVER PERFORMANCE STATE), from 2008 R2 SP1: what the collector falls back
    // to when the undocumented xp_instance_regread is refused to a login that is not sysadmin.
    // (learn.microsoft.com: sys.dm_server_registry.)
    let server_registry = if version.major > 10 || (version.minor == 50 && version.build >= 2500) {
        "SELECT 1 AS [fact:server_registry], registry_key, value_name,
  CAST(value_data AS nvarchar(4000)) AS value_data FROM sys.dm_server_registry
  WHERE value_name IN (N'AuditLevel', N'ForceEncryption', N'Enabled', N'NumErrorLogs',
    N'HideInstance', N'TcpPort', N'TcpDynamicPorts', N'Certificate') OR value_name LIKE N'SQLArg%';"
    } else {
        ""
    };
    // sys.server_audits.predicate and sys.server_file_audits.max_files are absent from the
    // 2008 / 2008 R2 pages and present from 2012 (learn.microsoft.com: sys.server_audits,
    // sys.server_file_audits).
    let (predicate, max_files) = if modern {
        ("a.predicate", "f.max_files")
    } else {
        (
            "CAST(NULL AS nvarchar(3000)) AS predicate",
            "CAST(NULL AS int) AS max_files",
        )
    };
    format!(
        "SELECT 1 AS [fact:logins], p.name, p.principal_id, p.sid, p.type, p.is_disabled,
  CONVERT(nvarchar(23), p.create_date, 121) AS created, p.default_database_name,
  l.is_policy_checked, l.is_expiration_checked,
  CASE WHEN l.principal_id IS NULL THEN NULL WHEN l.password_hash IS NULL THEN -1
       WHEN PWDCOMPARE(N'', l.password_hash) = 1 THEN 1
       WHEN PWDCOMPARE(p.name, l.password_hash) = 1 THEN 2 ELSE 0 END AS weak,
  CONVERT(nvarchar(23), CAST(LOGINPROPERTY(p.name, 'PasswordLastSetTime') AS datetime), 121) AS password_last_set,
  CAST(LOGINPROPERTY(p.name, 'IsMustChange') AS int) AS must_change
FROM sys.server_principals AS p LEFT JOIN sys.sql_logins AS l ON l.principal_id = p.principal_id
WHERE p.type IN ('S', 'U', 'G', 'C', 'K') ORDER BY p.principal_id;
SELECT 1 AS [fact:role_members], r.name AS role, m.name AS member, m.type AS member_type, m.is_disabled
FROM sys.server_role_members AS rm
JOIN sys.server_principals AS r ON r.principal_id = rm.role_principal_id
JOIN sys.server_principals AS m ON m.principal_id = rm.member_principal_id;
SELECT 1 AS [fact:server_permissions], g.name AS grantee, g.type AS grantee_type, pe.permission_name,
  pe.state_desc, pe.class_desc,
  CASE WHEN pe.class = 101 THEN COALESCE(t.name, N'#' + CAST(pe.major_id AS nvarchar(11)))
       WHEN pe.class = 105 THEN COALESCE(e.name, N'#' + CAST(pe.major_id AS nvarchar(11)))
       ELSE N'' END AS securable
FROM sys.server_permissions AS pe JOIN sys.server_principals AS g ON g.principal_id = pe.grantee_principal_id
LEFT JOIN sys.server_principals AS t ON pe.class = 101 AND t.principal_id = pe.major_id
LEFT JOIN sys.endpoints AS e ON pe.class = 105 AND e.endpoint_id = pe.major_id;
SELECT 1 AS [fact:configuration], name, CAST(value AS bigint) AS value, CAST(value_in_use AS bigint) AS value_in_use,
  is_advanced, is_dynamic FROM sys.configurations;
SELECT 1 AS [fact:linked_servers], s.server_id, s.name, s.product, s.provider, s.data_source, s.is_rpc_out_enabled
FROM sys.servers AS s WHERE s.is_linked = 1;
SELECT 1 AS [fact:linked_logins], ll.server_id, ll.local_principal_id, p.name AS local_login, ll.uses_self_credential, ll.remote_name
FROM sys.linked_logins AS ll LEFT JOIN sys.server_principals AS p ON p.principal_id = ll.local_principal_id;
SELECT 1 AS [fact:server_triggers], t.name, t.is_disabled,
  (SELECT TOP 1 e.type_desc FROM sys.server_trigger_events AS e WHERE e.object_id = t.object_id) AS event
FROM sys.server_triggers AS t;
SELECT 1 AS [fact:audits], a.name, a.type_desc, a.is_state_enabled, s.name AS specification,
  s.is_state_enabled AS specification_enabled, d.audit_action_name, a.on_failure_desc, {predicate},
  f.audit_id AS file_audit_id, f.max_file_size, f.max_rollover_files, {max_files}, f.log_file_path
FROM sys.server_audits AS a
LEFT JOIN sys.server_file_audits AS f ON f.audit_id = a.audit_id
LEFT JOIN sys.server_audit_specifications AS s ON s.audit_guid = a.audit_guid
LEFT JOIN sys.server_audit_specification_details AS d ON d.server_specification_id = s.server_specification_id;
SELECT 1 AS [fact:audit_status], name, status_desc FROM sys.dm_server_audit_status;
SELECT 1 AS [fact:agent_jobs], j.name, j.enabled, j.owner_sid, SUSER_SNAME(j.owner_sid) AS owner,
  sc.name AS startup_schedule
FROM msdb.dbo.sysjobs AS j
LEFT JOIN msdb.dbo.sysjobschedules AS js ON js.job_id = j.job_id
LEFT JOIN msdb.dbo.sysschedules AS sc ON sc.schedule_id = js.schedule_id AND sc.freq_type = 64 AND sc.enabled = 1;
SELECT 1 AS [fact:agent_proxies], p.proxy_id, p.name, p.enabled, c.name AS credential_name,
  c.credential_identity
FROM msdb.dbo.sysproxies AS p LEFT JOIN sys.credentials AS c ON c.credential_id = p.credential_id;
SELECT 1 AS [fact:agent_proxy_subsystems], ps.proxy_id, ps.subsystem_id FROM msdb.dbo.sysproxysubsystem AS ps;
SELECT 1 AS [fact:agent_proxy_logins], pl.proxy_id, pl.flags,
  CASE WHEN pl.flags = 2 THEN dp.name ELSE sp.name END AS grantee
FROM msdb.dbo.sysproxylogin AS pl
LEFT JOIN sys.server_principals AS sp ON pl.flags <> 2 AND sp.sid = pl.sid
LEFT JOIN msdb.sys.database_principals AS dp ON pl.flags = 2 AND dp.type = 'R' AND dp.sid = pl.sid;
CREATE TABLE #autodbaudit_validatelogins (sid varbinary(85), nt_login sysname);
DECLARE @validate int;
SET @validate = CASE WHEN IS_SRVROLEMEMBER('sysadmin') = 1 OR IS_SRVROLEMEMBER('securityadmin') = 1 THEN 1 ELSE 0 END;
BEGIN TRY
  IF @validate = 1 INSERT INTO #autodbaudit_validatelogins EXEC sp_validatelogins;
END TRY
BEGIN CATCH
  SET @validate = -ERROR_NUMBER();
END CATCH
SELECT 1 AS [fact:validate_logins], @validate AS permitted;
SELECT 1 AS [fact:invalid_windows_logins], v.sid, v.nt_login FROM #autodbaudit_validatelogins AS v;
DROP TABLE #autodbaudit_validatelogins;
SELECT 1 AS [fact:cryptographic_providers], cp.name, cp.dll_path, cp.version, cp.is_enabled
FROM sys.cryptographic_providers AS cp;
SELECT 1 AS [fact:certificates], N'master' AS database_name, c.name, c.subject,
  CONVERT(nvarchar(23), c.expiry_date, 121) AS expiry, {backup_column}, c.thumbprint,
  c.pvt_key_encryption_type, {key_length}
FROM master.sys.certificates AS c WHERE c.name NOT LIKE N'##%';
{host}
{services}
{server_registry}
SELECT 1 AS [fact:xp_permissions], g.name AS grantee, g.type AS grantee_type, pe.permission_name,
  pe.state_desc, pe.class_desc, s.name + N'.' + o.name AS securable
FROM master.sys.database_permissions AS pe
JOIN master.sys.all_objects AS o ON o.object_id = pe.major_id
JOIN master.sys.schemas AS s ON s.schema_id = o.schema_id
JOIN master.sys.database_principals AS g ON g.principal_id = pe.grantee_principal_id
WHERE pe.class = 1 AND o.type = 'X';
SELECT 1 AS [fact:credentials], c.name, c.credential_identity FROM sys.credentials AS c;
SELECT 1 AS [fact:custom_extended_procedures], s.name AS schema_name, e.name, e.dll_name
FROM master.sys.extended_procedures AS e JOIN master.sys.schemas AS s ON s.schema_id = e.schema_id
WHERE e.is_ms_shipped = 0;
SELECT 1 AS [fact:endpoints], e.name, e.type_desc, e.state_desc, e.principal_id,
  SUSER_NAME(e.principal_id) AS owner, m.is_encryption_enabled,
  COALESCE(m.encryption_algorithm_desc, b.encryption_algorithm_desc) AS encryption_algorithm_desc
FROM sys.endpoints AS e
LEFT JOIN sys.database_mirroring_endpoints AS m ON m.endpoint_id = e.endpoint_id
LEFT JOIN sys.service_broker_endpoints AS b ON b.endpoint_id = e.endpoint_id
WHERE e.type_desc IN (N'DATABASE_MIRRORING', N'SERVICE_BROKER');
SELECT 1 AS [fact:startup_procedures], s.name AS schema_name, p.name
FROM master.sys.procedures AS p JOIN master.sys.schemas AS s ON s.schema_id = p.schema_id
WHERE p.is_auto_executed = 1;
SELECT 1 AS [fact:encryption_keys], DB_NAME(k.database_id) AS database_name, k.encryption_state,
  {encryptor}, k.encryptor_thumbprint, k.key_algorithm, k.key_length
FROM sys.dm_database_encryption_keys AS k;
SELECT 1 AS [fact:connections], c.net_transport, c.auth_scheme, c.encrypt_option,
  ISNULL(c.client_net_address, N'') AS client_net_address, COUNT(*) AS connections
FROM sys.dm_exec_connections AS c WHERE c.session_id <> @@SPID
GROUP BY c.net_transport, c.auth_scheme, c.encrypt_option, c.client_net_address;"
    )
}

/// Registry values (sysadmin only): login auditing, protocols, Force Encryption, and the
/// services SQL Server does not list in `sys.dm_server_services` (Browser, SSRS, SSAS, SSIS).
pub fn registry(version: BuildNumber, instance_name: Option<&str>) -> String {
    let (ssrs, ssas) = match instance_name {
        Some(n) => (
            if version.major >= 14 {
                "SQLServerReportingServices".to_owned()
            } else {
                format!("ReportServer${n}")
            },
            format!("MSOLAP${n}"),
        ),
        None => (
            if version.major >= 14 {
                "SQLServerReportingServices".to_owned()
            } else {
                "ReportServer".to_owned()
            },
            "MSSQLServerOLAPService".to_owned(),
        ),
    };
    let ssis = format!("MsDtsServer{}0", version.major);
    let (engine, agent) = match instance_name {
        Some(n) => (format!("MSSQL${n}"), format!("SQLAgent${n}")),
        None => ("MSSQLSERVER".to_owned(), "SQLSERVERAGENT".to_owned()),
    };
    let services = [
        ("engine", engine),
        ("agent", agent),
        ("browser", "SQLBrowser".to_owned()),
        ("reporting", ssrs),
        ("analysis", ssas),
        ("integration", ssis),
    ];
    let mut sql = String::from(
        "DECLARE @audit int, @np int, @tcp int, @sm int, @via int, @force int;
EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer', N'AuditLevel', @audit OUTPUT;
EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer\\SuperSocketNetLib\\Np', N'Enabled', @np OUTPUT;
EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer\\SuperSocketNetLib\\Tcp', N'Enabled', @tcp OUTPUT;
EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer\\SuperSocketNetLib\\Sm', N'Enabled', @sm OUTPUT;
EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer\\SuperSocketNetLib\\Via', N'Enabled', @via OUTPUT;
EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer\\SuperSocketNetLib', N'ForceEncryption', @force OUTPUT;
DECLARE @cert nvarchar(128); EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer\\SuperSocketNetLib', N'Certificate', @cert OUTPUT;
DECLARE @errlogs int, @hide int, @tcpport nvarchar(256), @tcpdyn nvarchar(256);
EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer', N'NumErrorLogs', @errlogs OUTPUT;
EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer\\SuperSocketNetLib', N'HideInstance', @hide OUTPUT;
EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer\\SuperSocketNetLib\\Tcp\\IPAll', N'TcpPort', @tcpport OUTPUT;
EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer\\SuperSocketNetLib\\Tcp\\IPAll', N'TcpDynamicPorts', @tcpdyn OUTPUT;
",
    );
    let mut select = Vec::new();
    for (i, (kind, name)) in services.iter().enumerate() {
        sql.push_str(&format!(
            "DECLARE @s{i} int, @a{i} nvarchar(512);
EXEC master.dbo.xp_regread N'HKEY_LOCAL_MACHINE', N'SYSTEM\\CurrentControlSet\\Services\\{name}', N'Start', @s{i} OUTPUT;
EXEC master.dbo.xp_regread N'HKEY_LOCAL_MACHINE', N'SYSTEM\\CurrentControlSet\\Services\\{name}', N'ObjectName', @a{i} OUTPUT;
"
        ));
        select.push(format!(
            "SELECT 1 AS [fact:registry_services], N'{kind}' AS kind, N'{name}' AS service_name, @s{i} AS start, @a{i} AS account"
        ));
    }
    sql.push_str(
        "SELECT 1 AS [fact:registry], @audit AS audit_level, @np AS np, @tcp AS tcp, @sm AS sm, @via AS via, @force AS force_encryption, @cert AS certificate;\n",
    );
    // [fact:instance_settings]: error log retention, Hide Instance, the TCP ports of IPAll
    // (learn.microsoft.com: "Configure SQL Server error logs", "Hide an instance of SQL Server
    // Database Engine", "Configure a server to listen on a specific TCP port").
    sql.push_str(
        "SELECT 1 AS [fact:instance_settings], @errlogs AS num_error_logs, @hide AS hide_instance, @tcpport AS tcp_port, @tcpdyn AS tcp_dynamic_ports;\n",
    );
    sql.push_str(&select.join("\nUNION ALL\n"));
    sql.push_str(";\n");
    sql.push_str(&host_settings(version));
    sql
}

/// The SCHANNEL protocol keys the STIG names (SQL6-D0-008300), each for Client and Server.
const SCHANNEL_PROTOCOLS: [&str; 5] = ["SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2"];

/// The host's security settings, part of the registry batch (sysadmin only): SCHANNEL
/// protocols (learn.microsoft.com: "Transport Layer Security (TLS) registry settings"), FIPS
/// mode (`Lsa\FipsAlgorithmPolicy`), the Windows directory, the instance's program directory
/// (`Setup\SQLPath`), CEIP and error reporting (the instance's and the release's `CPE`
/// values, as the STIG's SQL6-D0-016000 names them), the telemetry Local Audit directory, and
/// the Windows Time service's source (learn.microsoft.com: "Windows Time service tools and
/// settings").
fn host_settings(version: BuildNumber) -> String {
    let release_key = format!(
        "SOFTWARE\\Microsoft\\Microsoft SQL Server\\{}0",
        version.major
    );
    let mut sql = format!(
        "DECLARE @fips int, @sysroot nvarchar(260), @sqlpath nvarchar(512), @cf int, @er int, @rcf int, @rer int,
  @lad nvarchar(512), @w32type nvarchar(64), @ntp nvarchar(512);
EXEC master.dbo.xp_regread N'HKEY_LOCAL_MACHINE', N'SYSTEM\\CurrentControlSet\\Control\\Lsa\\FipsAlgorithmPolicy', N'Enabled', @fips OUTPUT;
EXEC master.dbo.xp_regread N'HKEY_LOCAL_MACHINE', N'SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion', N'SystemRoot', @sysroot OUTPUT;
EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\Setup', N'SQLPath', @sqlpath OUTPUT;
EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\CPE', N'CustomerFeedback', @cf OUTPUT;
EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\CPE', N'EnableErrorReporting', @er OUTPUT;
EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\CPE', N'UserRequestedLocalAuditDirectory', @lad OUTPUT;
EXEC master.dbo.xp_regread N'HKEY_LOCAL_MACHINE', N'{release_key}', N'CustomerFeedback', @rcf OUTPUT;
EXEC master.dbo.xp_regread N'HKEY_LOCAL_MACHINE', N'{release_key}', N'EnableErrorReporting', @rer OUTPUT;
EXEC master.dbo.xp_regread N'HKEY_LOCAL_MACHINE', N'SYSTEM\\CurrentControlSet\\Services\\W32Time\\Parameters', N'Type', @w32type OUTPUT;
EXEC master.dbo.xp_regread N'HKEY_LOCAL_MACHINE', N'SYSTEM\\CurrentControlSet\\Services\\W32Time\\Parameters', N'NtpServer', @ntp OUTPUT;
"
    );
    let mut rows = Vec::new();
    for (i, protocol) in SCHANNEL_PROTOCOLS.iter().enumerate() {
        for (j, side) in ["Client", "Server"].iter().enumerate() {
            let key = format!(
                "SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\{protocol}\\{side}"
            );
            sql.push_str(&format!(
                "DECLARE @se{i}{j} int, @sd{i}{j} int;
EXEC master.dbo.xp_regread N'HKEY_LOCAL_MACHINE', N'{key}', N'Enabled', @se{i}{j} OUTPUT;
EXEC master.dbo.xp_regread N'HKEY_LOCAL_MACHINE', N'{key}', N'DisabledByDefault', @sd{i}{j} OUTPUT;
"
            ));
            rows.push(format!(
                "SELECT 1 AS [fact:schannel], N'{protocol}' AS protocol, N'{side}' AS side, @se{i}{j} AS enabled, @sd{i}{j} AS disabled_by_default"
            ));
        }
    }
    sql.push_str(
        "SELECT 1 AS [fact:host_settings], @fips AS fips_enabled, @sysroot AS system_root, @sqlpath AS sql_path,
  @cf AS customer_feedback, @er AS error_reporting, @rcf AS release_customer_feedback,
  @rer AS release_error_reporting, @lad AS local_audit_directory, @w32type AS time_sync_type, @ntp AS ntp_server;\n",
    );
    sql.push_str(&rows.join("\nUNION ALL\n"));
    sql.push(';');
    sql
}

/// Databases with state, options, last backups and whether the audit login may read them;
/// `containment_desc` from 2012 (learn.microsoft.com: sys.databases, "Applies to: SQL Server
/// 2012 (11.x) and later"); the latest full backup's `key_algorithm` from 2014, when backup
/// encryption arrived, read as empty when the backup was not encrypted (backupset:
/// "NO_Encryption value indicated that the backup was not encrypted"; NULL in older rows).
pub fn databases(version: BuildNumber) -> String {
    let containment = if version.major >= 11 {
        "d.containment_desc"
    } else {
        "CAST(NULL AS nvarchar(60)) AS containment_desc"
    };
    let encryption = if version.major >= 12 {
        "(SELECT TOP (1) CASE WHEN b.key_algorithm IS NULL OR b.key_algorithm = N'NO_Encryption' THEN N''
       ELSE b.key_algorithm END FROM msdb.dbo.backupset AS b
     WHERE b.database_name = d.name AND b.type = 'D' ORDER BY b.backup_finish_date DESC) AS last_full_backup_encryption,
  (SELECT TOP (1) b.encryptor_thumbprint FROM msdb.dbo.backupset AS b
     WHERE b.database_name = d.name AND b.type = 'D' ORDER BY b.backup_finish_date DESC) AS last_full_backup_encryptor"
    } else {
        "CAST(NULL AS nvarchar(32)) AS last_full_backup_encryption,
  CAST(NULL AS varbinary(20)) AS last_full_backup_encryptor"
    };
    DATABASES
        .replace("{containment}", containment)
        .replace("{encryption}", encryption)
}

/// [`databases`] before its version-dependent column is filled in.
const DATABASES: &str =
    "SELECT 1 AS [fact:databases], d.name, d.database_id, SUSER_SNAME(d.owner_sid) AS owner,
  d.state_desc, d.recovery_model_desc, d.is_trustworthy_on, d.is_encrypted, d.is_read_only, {containment},
  CONVERT(nvarchar(23), d.create_date, 121) AS created, HAS_DBACCESS(d.name) AS accessible,
  (SELECT CONVERT(nvarchar(23), MAX(b.backup_finish_date), 121) FROM msdb.dbo.backupset AS b
     WHERE b.database_name = d.name AND b.type = 'D') AS last_full_backup,
  (SELECT CONVERT(nvarchar(23), MAX(b.backup_finish_date), 121) FROM msdb.dbo.backupset AS b
     WHERE b.database_name = d.name AND b.type = 'L') AS last_log_backup,
  (SELECT CONVERT(nvarchar(23), MAX(b.backup_finish_date), 121) FROM msdb.dbo.backupset AS b
     WHERE b.database_name = d.name AND b.type = 'I') AS last_diff_backup,
  (SELECT CONVERT(nvarchar(23), MAX(b.backup_finish_date), 121) FROM msdb.dbo.backupset AS b
     JOIN msdb.dbo.backupmediafamily AS f ON f.media_set_id = b.media_set_id
     WHERE b.database_name = d.name AND b.type = 'L' AND f.physical_device_name IN (N'NUL', N'NUL:')) AS last_nul_log_backup,
  {encryption}, d.owner_sid, d.is_db_chaining_on, d.is_auto_close_on, d.is_master_key_encrypted_by_server
FROM sys.databases AS d ORDER BY d.database_id";

/// `[name]` with `]` doubled: a name read from the server, used as an identifier.
pub fn quote_name(name: &str) -> String {
    format!("[{}]", name.replace(']', "]]"))
}

/// `N'text'` with `'` doubled: a name read from the server, used as a string literal.
pub fn quote_text(text: &str) -> String {
    format!("N'{}'", text.replace('\'', "''"))
}

/// Principals, role members, permissions, triggers and certificates of every database in
/// `databases`, one `UNION ALL` per fact: one round trip however many databases there are.
pub fn database_facts(version: BuildNumber, databases: &[String]) -> String {
    if databases.is_empty() {
        return String::new();
    }
    let modern = version.major >= 11;
    let union = |fact: &str, body: &dyn Fn(&str, &str) -> String| {
        let parts: Vec<String> = databases
            .iter()
            .map(|db| {
                format!(
                    "SELECT 1 AS [fact:{fact}], {} AS database_name, {}",
                    quote_text(db),
                    body(&quote_name(db), &quote_text(db))
                )
            })
            .collect();
        format!("{};\n", parts.join("\nUNION ALL\n"))
    };
    let mut sql = String::new();
    let authentication = if modern {
        "dp.authentication_type_desc"
    } else {
        "CAST(NULL AS nvarchar(60)) AS authentication_type_desc"
    };
    sql.push_str(&union("db_principals", &|db, _| {
        format!(
            "dp.name, dp.principal_id, dp.type, dp.sid, dp.is_fixed_role, sp.name AS login, {authentication},
  CASE WHEN EXISTS (SELECT 1 FROM {db}.sys.database_permissions AS c WHERE c.grantee_principal_id = dp.principal_id
    AND c.permission_name = N'CONNECT' AND c.state IN ('G', 'W')) THEN 1 ELSE 0 END AS can_connect
FROM {db}.sys.database_principals AS dp LEFT JOIN sys.server_principals AS sp ON sp.sid = dp.sid"
        )
    }));
    sql.push_str(&union("db_role_members", &|db, _| {
        format!(
            "r.name AS role, m.name AS member, m.type AS member_type
FROM {db}.sys.database_role_members AS rm
JOIN {db}.sys.database_principals AS r ON r.principal_id = rm.role_principal_id
JOIN {db}.sys.database_principals AS m ON m.principal_id = rm.member_principal_id"
        )
    }));
    sql.push_str(&union("db_permissions", &|db, _| {
        format!(
            "g.name AS grantee, g.type AS grantee_type, pe.permission_name, pe.state_desc, pe.class_desc,
  CASE WHEN pe.class = 1 AND pe.minor_id <> 0
       THEN s.name + N'.' + o.name + N' (column ' + CAST(pe.minor_id AS nvarchar(11)) + N')'
       WHEN pe.class = 1 THEN s.name + N'.' + o.name WHEN pe.class = 3 THEN sc.name
       WHEN pe.class = 4 THEN COALESCE(tp.name, N'#' + CAST(pe.major_id AS nvarchar(11))) ELSE N'' END AS securable
FROM {db}.sys.database_permissions AS pe
JOIN {db}.sys.database_principals AS g ON g.principal_id = pe.grantee_principal_id
LEFT JOIN {db}.sys.all_objects AS o ON pe.class = 1 AND o.object_id = pe.major_id
LEFT JOIN {db}.sys.schemas AS s ON s.schema_id = o.schema_id
LEFT JOIN {db}.sys.schemas AS sc ON pe.class = 3 AND sc.schema_id = pe.major_id
LEFT JOIN {db}.sys.database_principals AS tp ON pe.class = 4 AND tp.principal_id = pe.major_id"
        )
    }));
    sql.push_str(&union("db_triggers", &|db, _| {
        format!(
            "t.name, t.is_disabled, CASE WHEN t.parent_class = 0 THEN N'DATABASE' ELSE s.name + N'.' + o.name END AS parent
FROM {db}.sys.triggers AS t
LEFT JOIN {db}.sys.objects AS o ON o.object_id = t.parent_id
LEFT JOIN {db}.sys.schemas AS s ON s.schema_id = o.schema_id"
        )
    }));
    // Keys: symmetric then asymmetric, one result set (sys.symmetric_keys,
    // sys.asymmetric_keys: name, algorithm_desc, key_length on every version).
    sql.push_str(&union("db_keys", &|db, name| {
        format!(
            "k.name, N'SYMMETRIC' AS kind, k.algorithm_desc, k.key_length FROM {db}.sys.symmetric_keys AS k
UNION ALL
SELECT 1, {name}, a.name, N'ASYMMETRIC', a.algorithm_desc, a.key_length FROM {db}.sys.asymmetric_keys AS a"
        )
    }));
    sql.push_str(&union("db_assemblies", &|db, _| {
        format!(
            "a.name, a.permission_set_desc, a.clr_name FROM {db}.sys.assemblies AS a WHERE a.is_user_defined = 1"
        )
    }));
    // [fact:db_ownership] Schemas owned by a principal that is neither dbo nor a role, and
    // objects with an owner of their own (learn.microsoft.com: sys.schemas, sys.objects
    // `principal_id`: "NULL if … owned by the schema owner").
    sql.push_str(&union("db_ownership", &|db, name| {
        format!(
            "N'SCHEMA' AS kind, sc.name, p.name AS owner, p.type AS owner_type
FROM {db}.sys.schemas AS sc JOIN {db}.sys.database_principals AS p ON p.principal_id = sc.principal_id
WHERE sc.principal_id > 4 AND p.type NOT IN ('R', 'A')
UNION ALL
SELECT 1, {name}, N'OBJECT', s.name + N'.' + o.name, p.name, p.type
FROM {db}.sys.objects AS o JOIN {db}.sys.schemas AS s ON s.schema_id = o.schema_id
JOIN {db}.sys.database_principals AS p ON p.principal_id = o.principal_id
WHERE o.principal_id IS NOT NULL AND o.is_ms_shipped = 0"
        )
    }));
    let key_length = certificate_key_length(version);
    // [fact:db_modules] Modules that run as someone else (learn.microsoft.com: sys.sql_modules,
    // `execute_as_principal_id`: "NULL = EXECUTE AS CALLER … -2 = EXECUTE AS OWNER", otherwise
    // the principal's id; every version since 2005). For OWNER, the module's owner: the object's
    // own principal_id, else its schema's owner (sys.objects: "NULL if … owned by the schema
    // owner"). SQL Server's own modules (`is_ms_shipped`) are left out; database-scoped DDL
    // triggers, which sys.objects does not list, come from sys.triggers (`parent_class = 0`).
    // X80 reviews them.
    sql.push_str(&union("db_modules", &|db, name| {
        format!(
            "o.name, s.name AS schema_name, o.type, m.execute_as_principal_id,
  CASE WHEN m.execute_as_principal_id = -2 THEN op.name ELSE p.name END AS execute_as
FROM {db}.sys.sql_modules AS m
JOIN {db}.sys.objects AS o ON o.object_id = m.object_id
JOIN {db}.sys.schemas AS s ON s.schema_id = o.schema_id
LEFT JOIN {db}.sys.database_principals AS p ON p.principal_id = m.execute_as_principal_id
LEFT JOIN {db}.sys.database_principals AS op ON op.principal_id = COALESCE(o.principal_id, s.principal_id)
WHERE m.execute_as_principal_id IS NOT NULL AND o.is_ms_shipped = 0
UNION ALL
SELECT 1, {name}, t.name, N'', t.type, m.execute_as_principal_id, p.name
FROM {db}.sys.sql_modules AS m
JOIN {db}.sys.triggers AS t ON t.object_id = m.object_id AND t.parent_class = 0
LEFT JOIN {db}.sys.database_principals AS p ON p.principal_id = m.execute_as_principal_id
WHERE m.execute_as_principal_id IS NOT NULL AND t.is_ms_shipped = 0"
        )
    }));
    let backup = if modern {
        "CONVERT(nvarchar(23), c.pvt_key_last_backup_date, 121) AS last_backup, 1 AS backup_recorded"
    } else {
        "CAST(NULL AS nvarchar(23)) AS last_backup, 0 AS backup_recorded"
    };
    let user_databases: Vec<String> = databases
        .iter()
        .filter(|d| !d.eq_ignore_ascii_case("master"))
        .cloned()
        .collect();
    if !user_databases.is_empty() {
        let parts: Vec<String> = user_databases
            .iter()
            .map(|db| {
                format!(
                    "SELECT 1 AS [fact:db_certificates], {} AS database_name, c.name, c.subject,
  CONVERT(nvarchar(23), c.expiry_date, 121) AS expiry, {backup}, c.thumbprint,
  c.pvt_key_encryption_type, {key_length}
FROM {}.sys.certificates AS c WHERE c.name NOT LIKE N'##%'",
                    quote_text(db),
                    quote_name(db)
                )
            })
            .collect();
        sql.push_str(&parts.join("\nUNION ALL\n"));
        sql.push_str(";\n");
    }
    sql
}
