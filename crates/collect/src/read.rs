//! The batches in order, parsed into a [`Snapshot`].

use audit_core::BuildNumber;
use audit_core::snapshot::{
    AuditInfo, AuditSpecificationInfo, CertificateInfo, ConfigValue, ConnectionInfo,
    DatabaseDetail, DatabaseInfo, DatabasePrincipal, EncryptionKeyInfo, Fact, HostInfo,
    LinkedLoginInfo, LinkedServerInfo, LoginInfo, PermissionInfo, Protocols, RoleMember,
    ServerInfo, ServiceInfo, ServiceKind, Snapshot, TriggerInfo, Unavailable, WeakPassword,
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
    let version_text = record.string("version");
    let version: BuildNumber = version_text
        .parse()
        .map_err(|_| CollectError(format!("unexpected ProductVersion `{version_text}`")))?;
    let server = ServerInfo {
        server_name: record.string("server_name"),
        machine_name: record.string("machine_name"),
        instance_name: record.text("instance_name"),
        version,
        product_level: record.string("product_level"),
        update_level: record.text("update_level"),
        edition: record.string("edition"),
        engine_edition: record.int("engine_edition").unwrap_or(0),
        windows_auth_only: record.flag("windows_only"),
        clustered: record.flag("clustered"),
        version_text: record.string("version_text"),
    };
    let connection = ConnectionInfo {
        login: record.string("login"),
        sysadmin: record.flag("sysadmin"),
        encrypted,
        auth_scheme: auth_scheme.to_owned(),
    };

    let mut facts = batches.run(&queries::server_facts(version)).await;
    let mut registry = batches
        .run(&queries::registry(version, server.instance_name.as_deref()))
        .await;
    let mut dbs = batches.run(queries::DATABASES).await;
    let databases = dbs.take("databases").map(|rows| parse_databases(&rows));
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

    let logins = facts.take("logins").map(|rows| parse_logins(&rows));
    let server_role_members = facts.take("role_members").map(|rows| {
        rows.records()
            .map(|r| RoleMember {
                role: r.string("role"),
                member: r.string("member"),
                member_kind: r.string("member_type").trim().to_owned(),
                member_disabled: r.flag("is_disabled"),
            })
            .collect()
    });
    let server_permissions = facts
        .take("server_permissions")
        .map(|rows| parse_permissions(&rows));
    let configuration = facts.take("configuration").map(|rows| {
        rows.records()
            .map(|r| ConfigValue {
                name: r.string("name"),
                value: r.int("value").unwrap_or(0),
                value_in_use: r.int("value_in_use").unwrap_or(0),
                advanced: r.flag("is_advanced"),
                dynamic: r.flag("is_dynamic"),
            })
            .collect()
    });
    let linked_servers = match (facts.take("linked_servers"), facts.take("linked_logins")) {
        (Ok(servers), Ok(logins)) => Ok(parse_linked(&servers, &logins)),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let server_triggers = facts.take("server_triggers").map(|rows| {
        rows.records()
            .map(|r| TriggerInfo {
                name: r.string("name"),
                parent: "SERVER".into(),
                disabled: r.flag("is_disabled"),
                events: r.text("event").into_iter().collect(),
            })
            .collect()
    });
    let audits = facts.take("audits").map(|rows| parse_audits(&rows));
    let master_certificates = facts.take("certificates");
    let host: Fact<HostInfo> = if version.major >= 14 {
        facts.take("host").and_then(|rows| {
            rows.records()
                .next()
                .map(|r| HostInfo {
                    platform: r.string("platform"),
                    distribution: r.string("distribution"),
                    release: r.string("release"),
                })
                .ok_or_else(|| Unavailable::new("sys.dm_os_host_info returned no row"))
        })
    } else {
        Ok(host_from_version_text(&server.version_text))
    };
    let dmv_services = facts.take("services");
    let encryption_keys_rows = facts.take("encryption_keys");

    // Registry: a refused xp_regread leaves NULLs, so the batch's error decides.
    let registry_error = registry.error.clone().map(Unavailable::new);
    let registry_row = registry.take("registry");
    let registry_services = registry.take("registry_services");
    let values = |name: &str| -> Fact<Option<i64>> {
        if let Some(e) = &registry_error {
            return Err(e.clone());
        }
        let rows = registry_row.clone()?;
        Ok(rows.records().next().and_then(|r| r.int(name)))
    };
    let login_audit_level = values("audit_level").and_then(|v| {
        v.ok_or_else(|| Unavailable::new("the AuditLevel registry value is missing"))
    });
    let force_encryption = values("force_encryption").map(|v| v.unwrap_or(0) != 0);
    let protocols = (|| -> Fact<Protocols> {
        let flag = |name: &str| values(name).map(|v| v.map(|n| n != 0));
        Ok(Protocols {
            tcp: flag("tcp")?,
            named_pipes: flag("np")?,
            shared_memory: flag("sm")?,
            via: flag("via")?,
        })
    })();
    let services = merge_services(dmv_services, registry_services, registry_error.as_ref());

    let certificates = master_certificates.map(|rows| {
        let mut list = parse_certificates(&rows);
        if let Ok(more) = details.take("db_certificates") {
            list.extend(parse_certificates(&more));
        }
        list
    });
    let encryption_keys = encryption_keys_rows.map(|rows| {
        let certs = certificates.as_ref().ok();
        rows.records()
            .map(|r| {
                let thumbprint = r.hex("encryptor_thumbprint");
                EncryptionKeyInfo {
                    database: r.string("database_name"),
                    state: r.int("encryption_state").unwrap_or(0),
                    encryptor_type: r.string("encryptor_type"),
                    certificate: certs.and_then(|list| {
                        list.iter()
                            .find(|c| c.database == "master" && Some(&c.1) == thumbprint.as_ref())
                            .map(|c| c.0.name.clone())
                    }),
                }
            })
            .collect()
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
        unread: Vec::new(),
    })
}

/// A certificate with its thumbprint (to match TDE keys).
struct Cert(CertificateInfo, String);

impl std::ops::Deref for Cert {
    type Target = CertificateInfo;
    fn deref(&self) -> &CertificateInfo {
        &self.0
    }
}

fn parse_certificates(rows: &Rows) -> Vec<Cert> {
    rows.records()
        .map(|r| {
            Cert(
                CertificateInfo {
                    database: r.string("database_name"),
                    name: r.string("name"),
                    subject: r.string("subject"),
                    expiry: r.string("expiry"),
                    last_backup: if r.flag("backup_recorded") {
                        Some(r.text("last_backup"))
                    } else {
                        None
                    },
                    has_private_key: r.text("pvt_key_encryption_type").as_deref().map(str::trim)
                        != Some("NA"),
                },
                r.hex("thumbprint").unwrap_or_default(),
            )
        })
        .collect()
}

fn parse_logins(rows: &Rows) -> Vec<LoginInfo> {
    rows.records()
        .map(|r| {
            let kind = r.string("type").trim().to_owned();
            let sql = kind == "S";
            LoginInfo {
                name: r.string("name"),
                principal_id: r.int("principal_id").unwrap_or(0),
                sid: r.hex("sid").unwrap_or_default(),
                disabled: r.flag("is_disabled"),
                created: r.string("created"),
                default_database: r.text("default_database_name"),
                policy_checked: sql.then(|| r.flag("is_policy_checked")),
                expiration_checked: sql.then(|| r.flag("is_expiration_checked")),
                weak_password: match r.int("weak") {
                    Some(0) => Some(WeakPassword::No),
                    Some(1) => Some(WeakPassword::Empty),
                    Some(2) => Some(WeakPassword::SameAsName),
                    _ => None,
                },
                password_last_set: if sql {
                    r.text("password_last_set")
                } else {
                    None
                },
                kind,
            }
        })
        .collect()
}

fn parse_permissions(rows: &Rows) -> Vec<PermissionInfo> {
    rows.records()
        .map(|r| PermissionInfo {
            grantee: r.string("grantee"),
            grantee_kind: r.string("grantee_type").trim().to_owned(),
            permission: r.string("permission_name"),
            state: r.string("state_desc"),
            class: r.string("class_desc"),
            securable: r.string("securable"),
        })
        .collect()
}

fn parse_databases(rows: &Rows) -> Vec<(DatabaseInfo, bool)> {
    rows.records()
        .map(|r| {
            (
                DatabaseInfo {
                    name: r.string("name"),
                    id: r.int("database_id").unwrap_or(0),
                    owner: r.text("owner"),
                    state: r.string("state_desc"),
                    recovery_model: r.string("recovery_model_desc"),
                    trustworthy: r.flag("is_trustworthy_on"),
                    encrypted: r.flag("is_encrypted"),
                    read_only: r.flag("is_read_only"),
                    created: r.string("created"),
                    last_full_backup: r.text("last_full_backup"),
                    last_log_backup: r.text("last_log_backup"),
                },
                r.flag("accessible"),
            )
        })
        .collect()
}

fn parse_linked(servers: &Rows, logins: &Rows) -> Vec<LinkedServerInfo> {
    servers
        .records()
        .map(|s| {
            let id = s.int("server_id");
            LinkedServerInfo {
                name: s.string("name"),
                product: s.string("product"),
                provider: s.string("provider"),
                data_source: s.string("data_source"),
                rpc_out: s.flag("is_rpc_out_enabled"),
                logins: logins
                    .records()
                    .filter(|l| l.int("server_id") == id)
                    .map(|l| LinkedLoginInfo {
                        local: l.text("local_login"),
                        uses_self: l.flag("uses_self_credential"),
                        remote: l.text("remote_name"),
                    })
                    .collect(),
            }
        })
        .collect()
}

fn parse_audits(rows: &Rows) -> Vec<AuditInfo> {
    let mut audits: Vec<AuditInfo> = Vec::new();
    for r in rows.records() {
        let name = r.string("name");
        let at = match audits.iter().position(|a| a.name == name) {
            Some(at) => at,
            None => {
                audits.push(AuditInfo {
                    name: name.clone(),
                    destination: r.string("type_desc"),
                    enabled: r.flag("is_state_enabled"),
                    specifications: Vec::new(),
                });
                audits.len() - 1
            }
        };
        if let Some(spec) = r.text("specification") {
            let specs = &mut audits[at].specifications;
            let at = match specs.iter().position(|s| s.name == spec) {
                Some(at) => at,
                None => {
                    specs.push(AuditSpecificationInfo {
                        name: spec,
                        enabled: r.flag("specification_enabled"),
                        actions: Vec::new(),
                    });
                    specs.len() - 1
                }
            };
            if let Some(action) = r.text("audit_action_name") {
                specs[at].actions.push(action);
            }
        }
    }
    audits
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

/// Engine and agent from `sys.dm_server_services` (with their running state) where it
/// exists, completed by the registry (every installed service, every version).
fn merge_services(
    dmv: Fact<Rows>,
    registry: Fact<Rows>,
    registry_error: Option<&Unavailable>,
) -> Fact<Vec<ServiceInfo>> {
    let registry = match (registry, registry_error) {
        (_, Some(e)) => Err(e.clone()),
        (r, None) => r,
    };
    let mut out: Vec<ServiceInfo> = Vec::new();
    if let Ok(rows) = &registry {
        for r in rows.records() {
            let (Some(kind), Some(start)) = (service_kind(&r.string("kind")), r.int("start"))
            else {
                continue; // not installed
            };
            out.push(ServiceInfo {
                kind,
                service_name: r.string("service_name"),
                account: r.string("account"),
                startup: startup_name(start).to_owned(),
                running: None,
            });
        }
    }
    if let Ok(rows) = &dmv {
        for r in rows.records() {
            let name = r.string("servicename");
            let kind = if name.starts_with("SQL Server Agent") {
                ServiceKind::Agent
            } else if name.starts_with("SQL Full-text") {
                ServiceKind::FullText
            } else if name.starts_with("SQL Server (") {
                ServiceKind::Engine
            } else {
                continue;
            };
            let running = Some(r.string("status_desc").eq_ignore_ascii_case("Running"));
            match out.iter_mut().find(|s| s.kind == kind) {
                Some(s) => s.running = running,
                None => out.push(ServiceInfo {
                    kind,
                    service_name: name,
                    account: r.string("service_account"),
                    startup: r.string("startup_type_desc"),
                    running,
                }),
            }
        }
    }
    match (&dmv, &registry) {
        (Err(a), Err(b)) => Err(Unavailable::new(format!(
            "{}; registry: {}",
            a.reason, b.reason
        ))),
        _ => Ok(out),
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
    let principals = details.take("db_principals")?;
    let members = details.take("db_role_members")?;
    let permissions = details.take("db_permissions")?;
    let triggers = details.take("db_triggers")?;
    Ok(databases
        .iter()
        .map(|db| {
            let of = |r: &batch::Record<'_>| r.string("database_name") == *db;
            DatabaseDetail {
                database: db.clone(),
                principals: principals
                    .records()
                    .filter(of)
                    .map(|r| DatabasePrincipal {
                        name: r.string("name"),
                        principal_id: r.int("principal_id").unwrap_or(0),
                        kind: r.string("type").trim().to_owned(),
                        sid: r.hex("sid"),
                        login: r.text("login"),
                        fixed_role: r.flag("is_fixed_role"),
                        can_connect: r.flag("can_connect"),
                        authentication_type: r.text("authentication_type_desc"),
                    })
                    .collect(),
                role_members: members
                    .records()
                    .filter(of)
                    .map(|r| RoleMember {
                        role: r.string("role"),
                        member: r.string("member"),
                        member_kind: r.string("member_type").trim().to_owned(),
                        member_disabled: false,
                    })
                    .collect(),
                permissions: permissions
                    .records()
                    .filter(of)
                    .map(|r| PermissionInfo {
                        grantee: r.string("grantee"),
                        grantee_kind: r.string("grantee_type").trim().to_owned(),
                        permission: r.string("permission_name"),
                        state: r.string("state_desc"),
                        class: r.string("class_desc"),
                        securable: r.string("securable"),
                    })
                    .collect(),
                triggers: triggers
                    .records()
                    .filter(of)
                    .map(|r| TriggerInfo {
                        name: r.string("name"),
                        parent: r.string("parent"),
                        disabled: r.flag("is_disabled"),
                        events: Vec::new(),
                    })
                    .collect(),
            }
        })
        .collect())
}
