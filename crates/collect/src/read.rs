//! The batches in order, parsed into a [`Snapshot`].

use audit_core::BuildNumber;
use audit_core::snapshot::{
    AgentJobInfo, AgentProxyInfo, AssemblyInfo, AuditFileInfo, AuditInfo, AuditSpecificationInfo,
    AuditStatusInfo, CertificateInfo, ConfigValue, ConnectionGroup, ConnectionInfo, CredentialInfo,
    CryptographicProviderInfo, DatabaseDetail, DatabaseInfo, DatabaseKeyInfo, DatabasePrincipal,
    EncryptionKeyInfo, EndpointInfo, ExtendedProcedureInfo, Fact, FactId, HostInfo, HostSettings,
    InstanceSettings, InvalidWindowsLogin, LinkedLoginInfo, LinkedServerInfo, LoginInfo,
    ModuleInfo, OwnedSecurable, PermissionInfo, Protocols, ProxyGrantee, ProxyGranteeKind,
    RoleMember, SchannelSetting, Scope, ServerInfo, ServiceInfo, ServiceKind, Snapshot,
    TriggerInfo, Unavailable, Unread, UnreadReason, WeakPassword,
};

use crate::batch::{self, BatchResult, Rows};
use crate::connect::Connection;
use crate::queries;

/// Why collection stopped before a snapshot existed (the first batch failed).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CollectError(pub String);

fn failed(e: tiberius::error::Error) -> CollectError {
    CollectError(match e {
        tiberius::error::Error::Server(t) => format!("error {}: {}", t.code(), t.message()),
        other => other.to_string(),
    })
}

/// Runs the batches of one target: each within the query timeout; after a timeout or a broken
/// connection the remaining batches are not sent (their facts say why), so a hung target costs
/// at most one query timeout more.
struct Batches<'a> {
    conn: &'a mut Connection,
    timeout: std::time::Duration,
    broken: Option<String>,
}

impl Batches<'_> {
    async fn run(&mut self, sql: &str) -> BatchResult {
        if let Some(reason) = &self.broken {
            return BatchResult {
                error: Some(format!("not read: {reason}")),
                ..BatchResult::default()
            };
        }
        match tokio::time::timeout(self.timeout, batch::run(self.conn, sql)).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => {
                let reason = failed(e).0;
                self.broken = Some(format!("the connection failed earlier ({reason})"));
                BatchResult {
                    error: Some(reason),
                    ..BatchResult::default()
                }
            }
            Err(_) => {
                let reason = format!(
                    "no answer within {} s (query timeout)",
                    self.timeout.as_secs()
                );
                self.broken = Some(format!("an earlier query timed out ({reason})"));
                BatchResult {
                    error: Some(reason),
                    ..BatchResult::default()
                }
            }
        }
    }
}

/// Reads everything the checks need from a logged-in connection, in five round trips, each
/// within `query_timeout`. `encrypted` and `auth_scheme` describe the connection as
/// negotiated. Only the first batch (server properties) must succeed; every later gap is kept
/// in the snapshot with its reason.
pub async fn collect_snapshot(
    conn: &mut Connection,
    encrypted: bool,
    auth_scheme: &str,
    query_timeout: std::time::Duration,
) -> Result<Snapshot, CollectError> {
    let mut batches = Batches {
        conn,
        timeout: query_timeout,
        broken: None,
    };
    let mut info = batches.run(queries::SERVER_INFO).await;
    let rows = info
        .take("server")
        .map_err(|u| CollectError(format!("cannot read the server's properties: {}", u.reason)))?;
    let record = rows
        .records()
        .next()
        .ok_or_else(|| CollectError("the server's properties came back empty".into()))?;
    let shape =
        |e: Unavailable| CollectError(format!("cannot read the server's properties: {}", e.reason));
    let version_text = record.required_text("version").map_err(shape)?;
    let version: BuildNumber = version_text
        .parse()
        .map_err(|_| CollectError(format!("unexpected ProductVersion `{version_text}`")))?;
    let server = (|| -> Result<ServerInfo, Unavailable> {
        Ok(ServerInfo {
            server_name: record.string("server_name")?,
            machine_name: record.string("machine_name")?,
            instance_name: record.text("instance_name")?,
            version,
            product_level: record.string("product_level")?,
            update_level: record.text("update_level")?,
            edition: record.string("edition")?,
            engine_edition: record.required_int("engine_edition")?,
            windows_auth_only: record.flag("windows_only")?,
            clustered: record.optional_flag("clustered")?.unwrap_or(false),
            version_text: record.string("version_text")?,
            property_server_name: record.text("property_server_name")?,
            hadr_enabled: record.optional_flag("hadr_enabled")?,
        })
    })()
    .map_err(shape)?;
    let connection = ConnectionInfo {
        login: record.required_text("login").map_err(shape)?,
        sysadmin: record.flag("sysadmin").map_err(shape)?,
        encrypted,
        auth_scheme: auth_scheme.to_owned(),
    };

    let mut facts = batches.run(&queries::server_facts(version)).await;
    let mut registry = batches
        .run(&queries::registry(version, server.instance_name.as_deref()))
        .await;
    let mut dbs = batches.run(&queries::databases(version)).await;
    let databases = dbs
        .take("databases")
        .and_then(|rows| parse_databases(&rows));
    let readable: Vec<String> = match &databases {
        Ok(list) => list
            .iter()
            .filter(|(d, accessible)| *accessible && d.state == "ONLINE")
            .map(|(d, _)| d.name.clone())
            .collect(),
        Err(_) => Vec::new(),
    };
    let mut details = if readable.is_empty() {
        BatchResult::default()
    } else {
        batches
            .run(&queries::database_facts(version, &readable))
            .await
    };

    let logins = facts.take("logins").and_then(|rows| parse_logins(&rows));
    let server_role_members = facts.take("role_members").and_then(|rows| {
        rows.parse(|r| {
            Ok(RoleMember {
                role: r.required_text("role")?,
                member: r.required_text("member")?,
                member_kind: r.required_text("member_type")?.trim().to_owned(),
                member_disabled: r.optional_flag("is_disabled")?.unwrap_or(false),
            })
        })
    });
    let server_permissions = facts
        .take("server_permissions")
        .and_then(|rows| parse_permissions(&rows));
    let xp_permissions = facts
        .take("xp_permissions")
        .and_then(|rows| parse_permissions(&rows));
    let credentials = facts.take("credentials").and_then(|rows| {
        rows.parse(|r| {
            Ok(CredentialInfo {
                name: r.required_text("name")?,
                identity: r.string("credential_identity")?,
            })
        })
    });
    let startup_procedures = facts.take("startup_procedures").and_then(|rows| {
        rows.parse(|r| {
            Ok(format!(
                "{}.{}",
                r.required_text("schema_name")?,
                r.required_text("name")?
            ))
        })
    });
    let custom_extended_procedures = facts.take("custom_extended_procedures").and_then(|rows| {
        rows.parse(|r| {
            Ok(ExtendedProcedureInfo {
                name: format!(
                    "{}.{}",
                    r.required_text("schema_name")?,
                    r.required_text("name")?
                ),
                dll: r.string("dll_name")?,
            })
        })
    });
    let endpoints = facts.take("endpoints").and_then(|rows| {
        rows.parse(|r| {
            Ok(EndpointInfo {
                name: r.required_text("name")?,
                kind: r.required_text("type_desc")?,
                state: r.required_text("state_desc")?,
                owner: r.text("owner")?,
                owner_id: r.int("principal_id")?,
                encryption_enabled: r.optional_flag("is_encryption_enabled")?,
                algorithm: r.text("encryption_algorithm_desc")?,
            })
        })
    });
    let configuration = facts.take("configuration").and_then(|rows| {
        rows.parse(|r| {
            Ok(ConfigValue {
                name: r.required_text("name")?,
                value: r.required_int("value")?,
                value_in_use: r.required_int("value_in_use")?,
                advanced: r.flag("is_advanced")?,
                dynamic: r.flag("is_dynamic")?,
            })
        })
    });
    let linked_servers = match (facts.take("linked_servers"), facts.take("linked_logins")) {
        (Ok(servers), Ok(logins)) => parse_linked(&servers, &logins),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let server_triggers = facts.take("server_triggers").and_then(|rows| {
        rows.parse(|r| {
            Ok(TriggerInfo {
                name: r.required_text("name")?,
                parent: "SERVER".into(),
                disabled: r.flag("is_disabled")?,
                events: r.text("event")?.into_iter().collect(),
            })
        })
    });
    let audits = facts.take("audits").and_then(|rows| parse_audits(&rows));
    let audit_status = facts.take("audit_status").and_then(|rows| {
        rows.parse(|r| {
            Ok(AuditStatusInfo {
                name: r.required_text("name")?,
                status: r.required_text("status_desc")?,
            })
        })
    });
    let agent_jobs = facts
        .take("agent_jobs")
        .and_then(|rows| parse_agent_jobs(&rows));
    let agent_proxies = match (
        facts.take("agent_proxies"),
        facts.take("agent_proxy_subsystems"),
        facts.take("agent_proxy_logins"),
    ) {
        (Ok(proxies), Ok(subsystems), Ok(logins)) => {
            parse_agent_proxies(&proxies, &subsystems, &logins)
        }
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(
            // "Only members of the sysadmin fixed server role can access this table"
            // (learn.microsoft.com: dbo.sysproxies): said as the right it is.
            if e.reason.starts_with("error 229") {
                Unavailable::new(format!(
                    "not readable by the audit login: msdb's proxy tables admit sysadmin only ({})",
                    e.reason
                ))
            } else {
                e
            },
        ),
    };
    let cryptographic_providers = facts.take("cryptographic_providers").and_then(|rows| {
        rows.parse(|r| {
            Ok(CryptographicProviderInfo {
                name: r.required_text("name")?,
                dll_path: r.string("dll_path")?,
                version: r.text("version")?,
                enabled: r.flag("is_enabled")?,
            })
        })
    });
    // sp_validatelogins, run only for sysadmin or securityadmin ("Requires membership in the
    // sysadmin or securityadmin fixed server role"): `permitted` 1 ran, 0 not allowed, a
    // negative number the error it raised, so that an empty list is never a refusal.
    let invalid_windows_logins = facts.take("validate_logins").and_then(|rows| {
        let r = rows
            .records()
            .next()
            .ok_or_else(|| Unavailable::new("the sp_validatelogins guard returned no row"))?;
        match r.int("permitted")? {
            Some(1) => {}
            Some(0) => {
                return Err(Unavailable::new(
                    "not readable by the audit login: sp_validatelogins requires membership in sysadmin or securityadmin",
                ));
            }
            other => {
                return Err(Unavailable::new(format!(
                    "sp_validatelogins failed with error {}",
                    other.map_or("unknown".to_owned(), |n| (-n).to_string())
                )));
            }
        }
        facts.take("invalid_windows_logins")?.parse(|r| {
            Ok(InvalidWindowsLogin {
                sid: r.hex("sid")?.unwrap_or_default(),
                name: r.required_text("nt_login")?,
            })
        })
    });
    let master_certificates = facts.take("certificates");
    let host: Fact<HostInfo> = if version.major >= 14 {
        facts.take("host").and_then(|rows| {
            let r = rows
                .records()
                .next()
                .ok_or_else(|| Unavailable::new("sys.dm_os_host_info returned no row"))?;
            Ok(HostInfo {
                platform: r.required_text("platform")?,
                distribution: r.string("distribution")?,
                release: r.string("release")?,
            })
        })
    } else {
        Ok(host_from_version_text(&server.version_text))
    };
    let dmv_services = facts.take("services");
    let encryption_keys_rows = facts.take("encryption_keys");
    let connections = facts.take("connections").and_then(|rows| {
        rows.parse(|r| {
            Ok(ConnectionGroup {
                transport: r.required_text("net_transport")?,
                auth_scheme: r.required_text("auth_scheme")?,
                encrypted: r
                    .required_text("encrypt_option")?
                    .eq_ignore_ascii_case("TRUE"),
                client_address: r.string("client_net_address")?,
                count: r.required_int("connections")?,
            })
        })
    });

    // Registry: a refused xp_regread leaves NULLs, so the batch's error decides.
    let registry_error = registry.error.clone().map(Unavailable::new);
    let registry_row = registry.take("registry");
    let registry_services = registry.take("registry_services");
    let settings_row = registry.take("instance_settings");
    let host_row = registry.take("host_settings");
    let schannel_rows = registry.take("schannel");
    // sys.dm_server_registry, where the version has it and the login may read it: parsed in
    // full whether or not it is needed, so a malformed answer is never silently skipped.
    let server_registry: Option<Fact<Vec<RegistryValue>>> =
        facts.take("server_registry").ok().map(|rows| {
            rows.parse(|r| {
                Ok((
                    r.required_text("registry_key")?.to_lowercase(),
                    r.required_text("value_name")?.to_lowercase(),
                    r.text("value_data")?,
                ))
            })
        });
    let values = |name: &str| -> Fact<Option<i64>> {
        let documented = |list: &[RegistryValue]| -> Fact<Option<i64>> {
            let (suffix, value) = match name {
                "audit_level" => ("\\mssqlserver", "auditlevel"),
                "force_encryption" => ("\\supersocketnetlib", "forceencryption"),
                "tcp" => ("\\supersocketnetlib\\tcp", "enabled"),
                "np" => ("\\supersocketnetlib\\np", "enabled"),
                "sm" => ("\\supersocketnetlib\\sm", "enabled"),
                _ => ("\\supersocketnetlib\\via", "enabled"),
            };
            match list
                .iter()
                .find(|(k, n, _)| k.ends_with(suffix) && n == value)
            {
                None | Some((_, _, None)) => Ok(None),
                Some((_, _, Some(text))) => text.trim().parse().map(Some).map_err(|_| {
                    Unavailable::new(format!(
                        "sys.dm_server_registry gives `{text}` for {value}, not a number"
                    ))
                }),
            }
        };
        if let Some(Err(e)) = &server_registry {
            return Err(e.clone());
        }
        if let Some(e) = &registry_error {
            // xp_instance_regread refused (it answers sysadmin only): the documented view.
            return match &server_registry {
                Some(Ok(list)) => documented(list),
                _ => Err(e.clone()),
            };
        }
        let rows = registry_row.clone()?;
        match rows.records().next() {
            Some(r) => r.int(name),
            None => Err(Unavailable::new(
                "the registry values came back without a row",
            )),
        }
    };
    let login_audit_level = values("audit_level").and_then(|v| {
        v.ok_or_else(|| Unavailable::new("the AuditLevel registry value is missing"))
    });
    let force_encryption = values("force_encryption").map(|v| v.unwrap_or(0) != 0);
    // SuperSocketNetLib\Certificate: the thumbprint of the certificate chosen in Configuration
    // Manager; setup writes it empty, and then SQL Server generates a self-signed certificate
    // at start-up (learn.microsoft.com: "Configure SQL Server Database Engine for encrypting
    // connections"). Read like Force Encryption: xp_instance_regread, or for a login it
    // refuses, sys.dm_server_registry.
    let tls_certificate = (|| -> Fact<Option<String>> {
        if let Some(Err(e)) = &server_registry {
            return Err(e.clone());
        }
        let text = if let Some(e) = &registry_error {
            let Some(Ok(list)) = &server_registry else {
                return Err(e.clone());
            };
            list.iter()
                .find(|(k, n, _)| k.ends_with("\\supersocketnetlib") && n == "certificate")
                .and_then(|(_, _, d)| d.clone())
        } else {
            let rows = registry_row.clone()?;
            let r = rows
                .records()
                .next()
                .ok_or_else(|| Unavailable::new("the registry values came back without a row"))?;
            r.text("certificate")?
        };
        Ok(text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()))
    })();
    let protocols = (|| -> Fact<Protocols> {
        let flag = |name: &str| values(name).map(|v| v.map(|n| n != 0));
        Ok(Protocols {
            tcp: flag("tcp")?,
            named_pipes: flag("np")?,
            shared_memory: flag("sm")?,
            via: flag("via")?,
        })
    })();
    // The instance settings: xp_instance_regread's row, or for a login it refuses the same
    // values in sys.dm_server_registry (absent values stay none there too).
    let instance_settings = (|| -> Fact<InstanceSettings> {
        if let Some(Err(e)) = &server_registry {
            return Err(e.clone());
        }
        if let Some(e) = &registry_error {
            let Some(Ok(list)) = &server_registry else {
                return Err(e.clone());
            };
            let find = |suffix: &str, value: &str| -> Option<String> {
                list.iter()
                    .find(|(k, n, _)| k.ends_with(suffix) && n == value)
                    .and_then(|(_, _, d)| d.clone())
            };
            let number = |suffix: &str, value: &str| -> Fact<Option<i64>> {
                find(suffix, value)
                    .map(|t| {
                        t.trim().parse().map_err(|_| {
                            Unavailable::new(format!(
                                "sys.dm_server_registry gives `{t}` for {value}, not a number"
                            ))
                        })
                    })
                    .transpose()
            };
            return Ok(InstanceSettings {
                num_error_logs: number("\\mssqlserver", "numerrorlogs")?,
                hide_instance: number("\\supersocketnetlib", "hideinstance")?.map(|n| n != 0),
                tcp_port: find("\\supersocketnetlib\\tcp\\ipall", "tcpport"),
                tcp_dynamic_ports: find("\\supersocketnetlib\\tcp\\ipall", "tcpdynamicports"),
            });
        }
        let rows = settings_row?;
        let r = rows
            .records()
            .next()
            .ok_or_else(|| Unavailable::new("the registry settings came back without a row"))?;
        Ok(InstanceSettings {
            num_error_logs: r.int("num_error_logs")?,
            hide_instance: r.int("hide_instance")?.map(|n| n != 0),
            tcp_port: r.text("tcp_port")?,
            tcp_dynamic_ports: r.text("tcp_dynamic_ports")?,
        })
    })();
    // The host's registry settings: xp_regread answers sysadmin only, and sys.dm_server_registry
    // does not list these keys, so a refused registry batch leaves the fact unread.
    let host_settings = (|| -> Fact<HostSettings> {
        if let Some(e) = &registry_error {
            return Err(e.clone());
        }
        let row = host_row?;
        let r = row
            .records()
            .next()
            .ok_or_else(|| Unavailable::new("the host settings came back without a row"))?;
        let schannel = schannel_rows?.parse(|r| {
            Ok(SchannelSetting {
                protocol: r.required_text("protocol")?,
                side: r.required_text("side")?,
                enabled: r.int("enabled")?,
                disabled_by_default: r.int("disabled_by_default")?,
            })
        })?;
        Ok(HostSettings {
            schannel,
            fips_enabled: r.int("fips_enabled")?,
            system_root: r.text("system_root")?,
            sql_path: r.text("sql_path")?,
            customer_feedback: r.int("customer_feedback")?,
            error_reporting: r.int("error_reporting")?,
            release_customer_feedback: r.int("release_customer_feedback")?,
            release_error_reporting: r.int("release_error_reporting")?,
            local_audit_directory: r.text("local_audit_directory")?,
            time_sync_type: r.text("time_sync_type")?,
            ntp_server: r.text("ntp_server")?,
        })
    })();
    // Start-up parameters: `SQLArg0`, `SQLArg1` … of the instance's `Parameters` key, in
    // number order; only sys.dm_server_registry lists them (2008 R2 SP1 and later).
    let startup_parameters = match &server_registry {
        None => Err(Unavailable::new(
            "sys.dm_server_registry does not exist before SQL Server 2008 R2 SP1",
        )),
        Some(Err(e)) => Err(e.clone()),
        Some(Ok(list)) => {
            let mut args: Vec<(u32, String)> = list
                .iter()
                .filter(|(k, _, _)| k.ends_with("\\parameters"))
                .filter_map(|(_, n, d)| {
                    let number = n.strip_prefix("sqlarg")?.parse().ok()?;
                    Some((number, d.clone().unwrap_or_default()))
                })
                .collect();
            args.sort();
            Ok(args.into_iter().map(|(_, d)| d).collect())
        }
    };
    let mut unread = Vec::new();
    // Metadata visibility: the catalog views return only the rows a login may see, with no
    // error — the lists are partial, and look complete. Without VIEW ANY DEFINITION (implied
    // by CONTROL SERVER and sysadmin) that is the rows it owns or holds a permission on
    // (learn.microsoft.com: "Metadata visibility configuration"); without VIEW ANY DATABASE
    // (public's by default, revoked by some hardening guides) sys.databases lists only master,
    // tempdb and the databases it owns (learn.microsoft.com: sys.databases).
    let holds = |permission: &str| -> Result<bool, CollectError> {
        Ok(connection.sysadmin || record.optional_flag(permission).map_err(shape)? == Some(true))
    };
    let mut hidden: Vec<FactId> = Vec::new();
    let mut lacking: Vec<&str> = Vec::new();
    if !holds("view_any_definition")? {
        lacking.push("VIEW ANY DEFINITION");
        hidden.extend([
            FactId::Logins,
            FactId::ServerRoleMembers,
            FactId::ServerPermissions,
            FactId::LinkedServers,
            FactId::ServerTriggers,
            FactId::Certificates,
            FactId::DatabaseDetails,
            // sys.server_audits and its companions answer only ALTER ANY SERVER AUDIT or VIEW
            // ANY DEFINITION (learn.microsoft.com: sys.server_audits); SUSER_SNAME of a job's
            // owner is NULL for a login the audit login may not see.
            FactId::Audits,
            FactId::AgentJobs,
            // Permission rows on master's extended procedures, credentials (sys.credentials:
            // "Requires either VIEW ANY DEFINITION permission or ALTER ANY CREDENTIAL
            // permission") and master's procedures are filtered the same way.
            FactId::XpPermissions,
            FactId::Credentials,
            FactId::StartupProcedures,
            FactId::CustomExtendedProcedures,
            FactId::Endpoints,
            // sys.cryptographic_providers: "The visibility of the metadata in catalog views
            // is limited to securables that a user either owns or on which the user has been
            // granted some permission" (the 2008–2014 pages).
            FactId::CryptographicProviders,
        ]);
    }
    if !holds("view_any_database")? {
        lacking.push("VIEW ANY DATABASE");
        hidden.extend([
            FactId::Databases,
            FactId::DatabaseDetails,
            FactId::Certificates,
        ]);
    }
    if !hidden.is_empty() {
        hidden.sort();
        hidden.dedup();
        unread.push(Unread {
            facts: hidden,
            scope: Scope::HiddenRows,
            reason: UnreadReason::PermissionDenied,
            detail: format!("the login lacks {}", lacking.join(" and ")),
        });
    }
    let services = merge_services(
        dmv_services,
        registry_services,
        registry_error.as_ref(),
        &mut unread,
    );

    // Databases listed but not read inside: closed to the audit login, or not online.
    if let Ok(list) = &databases {
        for (d, accessible) in list {
            let (reason, detail) = if d.state != "ONLINE" {
                (UnreadReason::NotOnline, d.state.clone())
            } else if !accessible {
                (
                    UnreadReason::PermissionDenied,
                    "HAS_DBACCESS is 0: the login has no user there".to_owned(),
                )
            } else {
                continue;
            };
            unread.push(Unread {
                facts: vec![FactId::DatabaseDetails, FactId::Certificates],
                scope: Scope::Database(d.name.clone()),
                reason,
                detail,
            });
        }
    }

    // Without the list of databases, their certificates were not read either.
    let master_certificates = match &databases {
        Ok(_) => master_certificates,
        Err(why) => Err(Unavailable::new(format!(
            "the databases could not be listed: {}",
            why.reason
        ))),
    };
    let certificates = master_certificates.and_then(|rows| {
        let mut list = parse_certificates(&rows)?;
        if !readable.iter().all(|d| d.eq_ignore_ascii_case("master")) {
            // The user databases' certificates: part of the fact, so their failure is too.
            list.extend(parse_certificates(&details.take("db_certificates")?)?);
        }
        Ok(list)
    });
    let encryption_keys = encryption_keys_rows.and_then(|rows| {
        let certs = certificates.as_ref().ok();
        rows.parse(|r| {
            let thumbprint = r.hex("encryptor_thumbprint")?;
            Ok(EncryptionKeyInfo {
                database: r.required_text("database_name")?,
                state: r.required_int("encryption_state")?,
                encryptor_type: r.string("encryptor_type")?,
                certificate: certs.and_then(|list| {
                    list.iter()
                        .find(|c| c.database == "master" && Some(&c.1) == thumbprint.as_ref())
                        .map(|c| c.0.name.clone())
                }),
                key_algorithm: r.text("key_algorithm")?,
                key_length: r.int("key_length")?,
            })
        })
    });
    let certificates = certificates.map(|list| list.into_iter().map(|c| c.0).collect());
    let database_details = if readable.is_empty() {
        databases.as_ref().map(|_| Vec::new()).map_err(Clone::clone)
    } else {
        parse_details(&mut details, &readable)
    };
    let databases = databases.map(|list| list.into_iter().map(|(d, _)| d).collect());

    Ok(Snapshot {
        server,
        connection,
        host,
        logins,
        server_role_members,
        server_permissions,
        configuration,
        services,
        protocols,
        login_audit_level,
        force_encryption,
        databases,
        database_details,
        linked_servers,
        server_triggers,
        audits,
        certificates,
        encryption_keys,
        connections,
        audit_status,
        agent_jobs,
        instance_settings,
        xp_permissions,
        credentials,
        startup_procedures,
        custom_extended_procedures,
        endpoints,
        host_settings,
        startup_parameters,
        agent_proxies,
        cryptographic_providers,
        tls_certificate,
        invalid_windows_logins,
        unread,
    })
}

/// One `sys.dm_server_registry` row: key and value name (lower-cased), data as text.
type RegistryValue = (String, String, Option<String>);

/// A certificate with its thumbprint (to match TDE keys).
struct Cert(CertificateInfo, String);

impl std::ops::Deref for Cert {
    type Target = CertificateInfo;
    fn deref(&self) -> &CertificateInfo {
        &self.0
    }
}

fn parse_certificates(rows: &Rows) -> Fact<Vec<Cert>> {
    rows.parse(|r| {
        Ok(Cert(
            CertificateInfo {
                database: r.required_text("database_name")?,
                name: r.required_text("name")?,
                subject: r.string("subject")?,
                expiry: r.string("expiry")?,
                last_backup: if r.flag("backup_recorded")? {
                    Some(r.text("last_backup")?)
                } else {
                    None
                },
                has_private_key: r.text("pvt_key_encryption_type")?.as_deref().map(str::trim)
                    != Some("NA"),
                key_length: r.int("key_length")?,
                thumbprint: r.hex("thumbprint")?,
            },
            r.hex("thumbprint")?.unwrap_or_default(),
        ))
    })
}

fn parse_logins(rows: &Rows) -> Fact<Vec<LoginInfo>> {
    rows.parse(|r| {
        let kind = r.required_text("type")?.trim().to_owned();
        let sql = kind == "S";
        Ok(LoginInfo {
            name: r.required_text("name")?,
            principal_id: r.required_int("principal_id")?,
            sid: r.hex("sid")?.unwrap_or_default(),
            disabled: r.flag("is_disabled")?,
            created: r.string("created")?,
            default_database: r.text("default_database_name")?,
            // A SQL login always has these (sys.sql_logins); NULL there is a broken answer.
            policy_checked: if sql {
                Some(r.flag("is_policy_checked")?)
            } else {
                None
            },
            expiration_checked: if sql {
                Some(r.flag("is_expiration_checked")?)
            } else {
                None
            },
            weak_password: match r.int("weak")? {
                Some(0) => Some(WeakPassword::No),
                Some(1) => Some(WeakPassword::Empty),
                Some(2) => Some(WeakPassword::SameAsName),
                _ => None,
            },
            password_last_set: if sql {
                r.text("password_last_set")?
            } else {
                None
            },
            // NULL when the login is hidden from the audit login (LOGINPROPERTY needs VIEW
            // ANY DEFINITION or ownership): unknown, never "no".
            must_change: if sql {
                r.optional_flag("must_change")?
            } else {
                None
            },
            kind,
        })
    })
}

fn parse_permission(r: &batch::Record<'_>) -> Fact<PermissionInfo> {
    Ok(PermissionInfo {
        grantee: r.required_text("grantee")?,
        grantee_kind: r.required_text("grantee_type")?.trim().to_owned(),
        permission: r.required_text("permission_name")?,
        state: r.required_text("state_desc")?,
        class: r.required_text("class_desc")?,
        securable: r.string("securable")?,
    })
}

fn parse_permissions(rows: &Rows) -> Fact<Vec<PermissionInfo>> {
    rows.parse(|r| parse_permission(&r))
}

fn parse_databases(rows: &Rows) -> Fact<Vec<(DatabaseInfo, bool)>> {
    rows.parse(|r| {
        Ok((
            DatabaseInfo {
                name: r.required_text("name")?,
                id: r.required_int("database_id")?,
                owner: r.text("owner")?,
                state: r.required_text("state_desc")?,
                recovery_model: r.string("recovery_model_desc")?,
                trustworthy: r.flag("is_trustworthy_on")?,
                encrypted: r.flag("is_encrypted")?,
                read_only: r.flag("is_read_only")?,
                created: r.string("created")?,
                last_full_backup: r.text("last_full_backup")?,
                last_log_backup: r.text("last_log_backup")?,
                containment: r.text("containment_desc")?,
                owner_sid: r.hex("owner_sid")?,
                db_chaining: Some(r.flag("is_db_chaining_on")?),
                auto_close: Some(r.flag("is_auto_close_on")?),
                last_diff_backup: r.text("last_diff_backup")?,
                last_nul_log_backup: r.text("last_nul_log_backup")?,
                last_full_backup_encryption: r.text("last_full_backup_encryption")?,
                last_full_backup_encryptor: r.hex("last_full_backup_encryptor")?,
                master_key_encrypted_by_server: Some(r.flag("is_master_key_encrypted_by_server")?),
            },
            // HAS_DBACCESS is NULL for a database that is not online: not accessible.
            r.optional_flag("accessible")?.unwrap_or(false),
        ))
    })
}

fn parse_linked(servers: &Rows, logins: &Rows) -> Fact<Vec<LinkedServerInfo>> {
    let mappings = logins.parse(|l| {
        Ok((l.required_int("server_id")?, {
            // local_principal_id 0 is the default mapping for every login; a login the
            // audit may not see (metadata visibility) has an id but no name, and must not
            // be read as "every login".
            let id = l.required_int("local_principal_id")?;
            let name = l.text("local_login")?;
            let hidden = id != 0 && name.is_none();
            LinkedLoginInfo {
                local: match (id, name) {
                    (0, _) => None,
                    (_, Some(name)) => Some(name),
                    (id, None) => Some(format!(
                        "(login with principal_id {id}, not visible to the audit login)"
                    )),
                },
                uses_self: l.flag("uses_self_credential")?,
                remote: l.text("remote_name")?,
                local_hidden: hidden,
            }
        }))
    })?;
    servers.parse(|s| {
        let id = s.required_int("server_id")?;
        Ok(LinkedServerInfo {
            name: s.required_text("name")?,
            product: s.string("product")?,
            provider: s.string("provider")?,
            data_source: s.string("data_source")?,
            rpc_out: s.flag("is_rpc_out_enabled")?,
            logins: mappings
                .iter()
                .filter(|(server, _)| *server == id)
                .map(|(_, m)| m.clone())
                .collect(),
        })
    })
}

fn parse_audits(rows: &Rows) -> Fact<Vec<AuditInfo>> {
    let mut audits: Vec<AuditInfo> = Vec::new();
    for r in rows.records() {
        let name = r.required_text("name")?;
        let at = match audits.iter().position(|a| a.name == name) {
            Some(at) => at,
            None => {
                // A file audit has its row in sys.server_file_audits; other destinations none.
                // Every column is read on every row, so a malformed answer is never skipped.
                let file_row = r.int("file_audit_id")?;
                let file_info = AuditFileInfo {
                    max_file_size_mb: r.int("max_file_size")?.unwrap_or(0),
                    max_rollover_files: r.int("max_rollover_files")?.unwrap_or(0),
                    max_files: r.int("max_files")?,
                    path: r.text("log_file_path")?,
                };
                let file = file_row.map(|_| file_info);
                audits.push(AuditInfo {
                    name: name.clone(),
                    destination: r.string("type_desc")?,
                    enabled: r.flag("is_state_enabled")?,
                    specifications: Vec::new(),
                    on_failure: r.text("on_failure_desc")?,
                    predicate: r.text("predicate")?,
                    file,
                });
                audits.len() - 1
            }
        };
        if let Some(spec) = r.text("specification")? {
            let specs = &mut audits[at].specifications;
            let at = match specs.iter().position(|s| s.name == spec) {
                Some(at) => at,
                None => {
                    specs.push(AuditSpecificationInfo {
                        name: spec,
                        enabled: r.flag("specification_enabled")?,
                        actions: Vec::new(),
                    });
                    specs.len() - 1
                }
            };
            if let Some(action) = r.text("audit_action_name")? {
                specs[at].actions.push(action);
            }
        }
    }
    Ok(audits)
}

/// One row per job and schedule (a start-up schedule named, others NULL): one job each,
/// with the names of its start-up schedules.
fn parse_agent_jobs(rows: &Rows) -> Fact<Vec<AgentJobInfo>> {
    let mut jobs: Vec<AgentJobInfo> = Vec::new();
    for r in rows.records() {
        let name = r.required_text("name")?;
        let at = match jobs.iter().position(|j| j.name == name) {
            Some(at) => at,
            None => {
                jobs.push(AgentJobInfo {
                    name,
                    enabled: r.flag("enabled")?,
                    owner_sid: r.hex("owner_sid")?.unwrap_or_default(),
                    owner: r.text("owner")?,
                    startup_schedules: Vec::new(),
                });
                jobs.len() - 1
            }
        };
        if let Some(schedule) = r.text("startup_schedule")? {
            jobs[at].startup_schedules.push(schedule);
        }
    }
    Ok(jobs)
}

/// A subsystem's name from its id, as `sp_grant_proxy_to_subsystem` documents them
/// (learn.microsoft.com: "sp_grant_proxy_to_subsystem", the @subsystem_id and
/// @subsystem_name tables).
fn subsystem_name(id: i64) -> String {
    match id {
        2 => "ActiveScripting",
        3 => "CmdExec",
        4 => "Snapshot",
        5 => "LogReader",
        6 => "Distribution",
        7 => "Merge",
        8 => "QueueReader",
        9 => "ANALYSISQUERY",
        10 => "ANALYSISCOMMAND",
        11 => "Dts",
        12 => "PowerShell",
        other => return format!("subsystem #{other}"),
    }
    .to_owned()
}

/// Proxies with their subsystems and grantees, joined on `proxy_id`.
fn parse_agent_proxies(
    proxies: &Rows,
    subsystems: &Rows,
    logins: &Rows,
) -> Fact<Vec<AgentProxyInfo>> {
    let mut out: Vec<(i64, AgentProxyInfo)> = Vec::new();
    for r in proxies.records() {
        out.push((
            r.required_int("proxy_id")?,
            AgentProxyInfo {
                name: r.required_text("name")?,
                enabled: r.flag("enabled")?,
                credential: r.text("credential_name")?,
                identity: r.text("credential_identity")?,
                subsystems: Vec::new(),
                grantees: Vec::new(),
            },
        ));
    }
    for r in subsystems.records() {
        let id = r.required_int("proxy_id")?;
        let subsystem = subsystem_name(r.required_int("subsystem_id")?);
        if let Some((_, proxy)) = out.iter_mut().find(|(p, _)| *p == id) {
            proxy.subsystems.push(subsystem);
        }
    }
    for r in logins.records() {
        let id = r.required_int("proxy_id")?;
        let flags = r.required_int("flags")?;
        let kind = ProxyGranteeKind::from_flags(flags).ok_or_else(|| {
            Unavailable::new(format!(
                "msdb.dbo.sysproxylogin.flags {flags} is none of the documented 0, 1, 2"
            ))
        })?;
        if let Some((_, proxy)) = out.iter_mut().find(|(p, _)| *p == id) {
            proxy.grantees.push(ProxyGrantee {
                name: r.text("grantee")?,
                kind,
            });
        }
    }
    Ok(out.into_iter().map(|(_, p)| p).collect())
}

fn service_kind(kind: &str) -> Option<ServiceKind> {
    Some(match kind {
        "engine" => ServiceKind::Engine,
        "agent" => ServiceKind::Agent,
        "browser" => ServiceKind::Browser,
        "reporting" => ServiceKind::Reporting,
        "analysis" => ServiceKind::Analysis,
        "integration" => ServiceKind::Integration,
        _ => return None,
    })
}

fn startup_name(start: i64) -> &'static str {
    match start {
        0 | 1 => "Boot",
        2 => "Automatic",
        3 => "Manual",
        4 => "Disabled",
        _ => "Unknown",
    }
}

/// The kinds of service only the registry lists (`sys.dm_server_services` has the engine,
/// the Agent and the full-text launcher).
const REGISTRY_ONLY_SERVICES: [ServiceKind; 4] = [
    ServiceKind::Browser,
    ServiceKind::Reporting,
    ServiceKind::Analysis,
    ServiceKind::Integration,
];

/// Engine and agent from `sys.dm_server_services` (with their running state) where it
/// exists, completed by the registry (every installed service, every version). When one of
/// the two sources is refused, the services only it lists are recorded in `unread`: the
/// list is partial, not a list of what is installed.
fn merge_services(
    dmv: Fact<Rows>,
    registry: Fact<Rows>,
    registry_error: Option<&Unavailable>,
    unread: &mut Vec<Unread>,
) -> Fact<Vec<ServiceInfo>> {
    let registry = match (registry, registry_error) {
        (_, Some(e)) => Err(e.clone()),
        (r, None) => r,
    };
    let mut out: Vec<ServiceInfo> = Vec::new();
    if let Ok(rows) = &registry {
        for r in rows.records() {
            let kind = service_kind(&r.required_text("kind")?);
            let (Some(kind), Some(start)) = (kind, r.int("start")?) else {
                continue; // not installed
            };
            out.push(ServiceInfo {
                kind,
                service_name: r.required_text("service_name")?,
                account: r.string("account")?,
                startup: startup_name(start).to_owned(),
                running: None,
                instant_file_initialization: None,
            });
        }
    }
    if let Ok(rows) = &dmv {
        for r in rows.records() {
            // Every column is read whether or not the registry listed the service already:
            // a malformed answer is noticed even when its values would not be used.
            let name = r.required_text("servicename")?;
            let running = Some(
                r.required_text("status_desc")?
                    .eq_ignore_ascii_case("Running"),
            );
            let account = r.string("service_account")?;
            let startup = r.string("startup_type_desc")?;
            // `Y` / `N`; NULL where the version lacks the column (the query casts NULL).
            let ifi = r
                .text("instant_file_initialization_enabled")?
                .map(|v| v.trim().eq_ignore_ascii_case("Y"));
            let kind = if name.starts_with("SQL Server Agent") {
                ServiceKind::Agent
            } else if name.starts_with("SQL Full-text") {
                ServiceKind::FullText
            } else if name.starts_with("SQL Server (") {
                ServiceKind::Engine
            } else {
                continue;
            };
            let ifi = if kind == ServiceKind::Engine {
                ifi
            } else {
                None
            };
            match out.iter_mut().find(|s| s.kind == kind) {
                Some(s) => {
                    s.running = running;
                    s.instant_file_initialization = ifi;
                }
                None => out.push(ServiceInfo {
                    kind,
                    service_name: name,
                    account,
                    startup,
                    running,
                    instant_file_initialization: ifi,
                }),
            }
        }
    }
    match (&dmv, &registry) {
        (Err(a), Err(b)) => Err(Unavailable::new(format!(
            "{}; registry: {}",
            a.reason, b.reason
        ))),
        (Ok(_), Err(why)) => {
            for kind in REGISTRY_ONLY_SERVICES {
                unread.push(Unread {
                    facts: vec![FactId::Services],
                    scope: Scope::Service(kind),
                    reason: UnreadReason::PermissionDenied,
                    detail: format!("registry: {}", why.reason),
                });
            }
            Ok(out)
        }
        (Err(why), Ok(_)) => {
            unread.push(Unread {
                facts: vec![FactId::Services],
                scope: Scope::Service(ServiceKind::FullText),
                reason: UnreadReason::PermissionDenied,
                detail: format!("sys.dm_server_services: {}", why.reason),
            });
            Ok(out)
        }
        (Ok(_), Ok(_)) => Ok(out),
    }
}

/// The host OS from `@@VERSION` (`… on Windows Server 2008 R2 Standard 6.1 <X64> …`), for
/// versions without `sys.dm_os_host_info`.
fn host_from_version_text(text: &str) -> HostInfo {
    let after = text.rsplit(" on ").next().unwrap_or("");
    let distribution = after.split(" <").next().unwrap_or("").trim();
    let (name, release) = match distribution.rsplit_once(' ') {
        Some((n, r)) if r.chars().all(|c| c.is_ascii_digit() || c == '.') => (n, r),
        _ => (distribution, ""),
    };
    HostInfo {
        platform: if text.contains(" on Linux") {
            "Linux".into()
        } else {
            "Windows".into()
        },
        distribution: name.to_owned(),
        release: release.to_owned(),
    }
}

fn parse_details(details: &mut BatchResult, databases: &[String]) -> Fact<Vec<DatabaseDetail>> {
    let principals = details.take("db_principals")?.parse(|r| {
        Ok((
            r.required_text("database_name")?,
            DatabasePrincipal {
                name: r.required_text("name")?,
                principal_id: r.required_int("principal_id")?,
                kind: r.required_text("type")?.trim().to_owned(),
                sid: r.hex("sid")?,
                login: r.text("login")?,
                fixed_role: r.flag("is_fixed_role")?,
                can_connect: r.flag("can_connect")?,
                authentication_type: r.text("authentication_type_desc")?,
            },
        ))
    })?;
    let members = details.take("db_role_members")?.parse(|r| {
        Ok((
            r.required_text("database_name")?,
            RoleMember {
                role: r.required_text("role")?,
                member: r.required_text("member")?,
                member_kind: r.required_text("member_type")?.trim().to_owned(),
                member_disabled: false,
            },
        ))
    })?;
    let permissions = details
        .take("db_permissions")?
        .parse(|r| Ok((r.required_text("database_name")?, parse_permission(&r)?)))?;
    let triggers = details.take("db_triggers")?.parse(|r| {
        Ok((
            r.required_text("database_name")?,
            TriggerInfo {
                name: r.required_text("name")?,
                parent: r.string("parent")?,
                disabled: r.flag("is_disabled")?,
                events: Vec::new(),
            },
        ))
    })?;
    let keys = details.take("db_keys")?.parse(|r| {
        Ok((
            r.required_text("database_name")?,
            DatabaseKeyInfo {
                name: r.required_text("name")?,
                kind: r.required_text("kind")?,
                algorithm: r.text("algorithm_desc")?,
                key_length: r.int("key_length")?,
            },
        ))
    })?;
    let assemblies = details.take("db_assemblies")?.parse(|r| {
        Ok((
            r.required_text("database_name")?,
            AssemblyInfo {
                name: r.required_text("name")?,
                permission_set: r.string("permission_set_desc")?,
                clr_name: r.text("clr_name")?,
            },
        ))
    })?;
    let modules = details.take("db_modules")?.parse(|r| {
        let as_owner = r.int("execute_as_principal_id")? == Some(-2);
        Ok((
            r.required_text("database_name")?,
            ModuleInfo {
                name: r.required_text("name")?,
                schema: r.required_text("schema_name")?,
                kind: r.required_text("type")?.trim().to_owned(),
                // A principal the login cannot see reads as NULL: kept, named by its clause.
                execute_as: r
                    .text("execute_as")?
                    .unwrap_or_else(|| if as_owner { "OWNER" } else { "?" }.to_owned()),
                as_owner,
            },
        ))
    })?;
    let owned = details.take("db_ownership")?.parse(|r| {
        Ok((
            r.required_text("database_name")?,
            OwnedSecurable {
                kind: r.required_text("kind")?,
                name: r.required_text("name")?,
                owner: r.required_text("owner")?,
                owner_kind: r.required_text("owner_type")?.trim().to_owned(),
            },
        ))
    })?;
    fn of<T: Clone>(list: &[(String, T)], db: &str) -> Vec<T> {
        list.iter()
            .filter(|(d, _)| d == db)
            .map(|(_, v)| v.clone())
            .collect()
    }
    Ok(databases
        .iter()
        .map(|db| DatabaseDetail {
            database: db.clone(),
            principals: of(&principals, db),
            role_members: of(&members, db),
            permissions: of(&permissions, db),
            triggers: of(&triggers, db),
            keys: of(&keys, db),
            assemblies: of(&assemblies, db),
            modules: of(&modules, db),
            owned: of(&owned, db),
        })
        .collect())
}
