//! The registry as the instance's procedures see it (`xp_regread`, `xp_instance_regread`,
//! `sys.dm_server_registry`): values derived from the model (login auditing, login mode,
//! protocols, services) overlaid with the fixture's extra values.

use rusqlite::types::Value as Sql;

use crate::Instance;
use crate::instance::{Authentication, RegistryData, ServiceKind};

/// The Windows service (registry) name of a service of `instance`.
pub fn service_key_name(instance: &Instance, kind: ServiceKind) -> String {
    let named = instance.instance_name();
    match (kind, named) {
        (ServiceKind::Engine, _) => instance.engine_service(),
        (ServiceKind::Agent, _) => instance.agent_service(),
        (ServiceKind::FullText, Some(n)) => format!("MSSQLFDLauncher${n}"),
        (ServiceKind::FullText, None) => "MSSQLFDLauncher".into(),
        (ServiceKind::Browser, _) => "SQLBrowser".into(),
        (ServiceKind::Reporting, _) if instance.version.major >= 14 => {
            "SQLServerReportingServices".into()
        }
        (ServiceKind::Reporting, Some(n)) => format!("ReportServer${n}"),
        (ServiceKind::Reporting, None) => "ReportServer".into(),
        (ServiceKind::Analysis, Some(n)) => format!("MSOLAP${n}"),
        (ServiceKind::Analysis, None) => "MSSQLServerOLAPService".into(),
        (ServiceKind::Integration, _) => format!("MsDtsServer{}0", instance.version.major),
    }
}

/// The instance's own registry folder, `HKLM\SOFTWARE\Microsoft\Microsoft SQL Server\<id>`.
pub fn instance_root(instance: &Instance) -> String {
    format!(
        "HKLM\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\{}",
        instance.instance_id()
    )
}

/// Every registry value of the instance: (key with `HKLM\` prefix, value name, data).
pub fn values(instance: &Instance) -> Vec<(String, String, Sql)> {
    let root = instance_root(instance);
    let mut out: Vec<(String, String, Sql)> = Vec::new();
    let mut put = |key: String, name: &str, data: Sql| out.push((key, name.to_owned(), data));
    let server = format!("{root}\\MSSQLServer");
    put(
        server.clone(),
        "AuditLevel",
        Sql::Integer(instance.login_audit.level()),
    );
    let mode = match instance.authentication {
        Authentication::Windows => 1,
        Authentication::Mixed => 2,
    };
    put(server.clone(), "LoginMode", Sql::Integer(mode));
    let net = format!("{server}\\SuperSocketNetLib");
    put(
        net.clone(),
        "ForceEncryption",
        Sql::Integer(i64::from(
            instance.encryption == crate::instance::Encryption::Forced,
        )),
    );
    let settings = &instance.settings;
    // SuperSocketNetLib\Certificate: the thumbprint Configuration Manager writes, empty as setup
    // leaves it. On Linux mssql-conf keeps `network.tlscert` (a file path) in mssql.conf, and no
    // Microsoft page says T-SQL can read it: the value is absent there.
    if !instance.on_linux() {
        put(
            net.clone(),
            "Certificate",
            Sql::Text(settings.certificate.clone().unwrap_or_default()),
        );
    }
    if let Some(n) = settings.error_logs {
        put(server.clone(), "NumErrorLogs", Sql::Integer(n));
    }
    put(
        net.clone(),
        "HideInstance",
        Sql::Integer(i64::from(settings.hide_instance)),
    );
    let named = instance.instance_name().is_some();
    let ipall = format!("{net}\\Tcp\\IPAll");
    let tcp_port = settings
        .tcp_port
        .clone()
        .unwrap_or_else(|| if named { String::new() } else { "1433".into() });
    let dynamic = settings
        .tcp_dynamic_ports
        .clone()
        .unwrap_or_else(|| if named { "0".into() } else { String::new() });
    put(ipall.clone(), "TcpPort", Sql::Text(tcp_port));
    put(ipall, "TcpDynamicPorts", Sql::Text(dynamic));
    let p = instance.protocols;
    let mut protocols = vec![
        ("Tcp", p.tcp),
        ("Np", p.named_pipes),
        ("Sm", p.shared_memory),
    ];
    if instance.version.major <= 11 {
        protocols.push(("Via", p.via));
    }
    // On Linux TCP/IP is the only protocol: no Named Pipes, Shared Memory or VIA keys
    // (learn.microsoft.com: "SQL Server on Linux: Known issues" — only TCP connections).
    if instance.on_linux() {
        protocols.retain(|(name, _)| *name == "Tcp");
    }
    for (name, enabled) in protocols {
        put(
            format!("{net}\\{name}"),
            "Enabled",
            Sql::Integer(i64::from(enabled)),
        );
    }
    // Start-up parameters: setup writes -d, -e and -l (learn.microsoft.com: "Database Engine
    // service startup options"); on Linux mssql-conf keeps them, not this key.
    if !instance.on_linux() {
        let program = format!(
            "C:\\Program Files\\Microsoft SQL Server\\{}\\MSSQL",
            instance.instance_id()
        );
        let parameters = format!("{server}\\Parameters");
        let mut args = vec![
            format!("-d{program}\\DATA\\master.mdf"),
            format!("-e{program}\\Log\\ERRORLOG"),
            format!("-l{program}\\DATA\\mastlog.ldf"),
        ];
        args.extend(settings.startup_parameters.iter().cloned());
        for (i, arg) in args.into_iter().enumerate() {
            put(parameters.clone(), &format!("SQLArg{i}"), Sql::Text(arg));
        }
        put(format!("{root}\\Setup"), "SQLPath", Sql::Text(program));
        // Usage and error reporting (CEIP): from SQL Server 2016 on setup turns both on and
        // writes them for the instance and for the release (STIG SQL6-D0-016000: "By default,
        // Microsoft SQL Server enables participation in the customer experience improvement
        // program"); fixtures opt out through `registry`.
        if instance.version.major >= 13 {
            let release = format!(
                "HKLM\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\{}0",
                instance.version.major
            );
            for key in [format!("{root}\\CPE"), release] {
                put(key.clone(), "CustomerFeedback", Sql::Integer(1));
                put(key, "EnableErrorReporting", Sql::Integer(1));
            }
        }
        // The host: Windows directory, FIPS policy off (Windows' default: the
        // FipsAlgorithmPolicy key exists with Enabled = 0), the Windows Time service following
        // the domain hierarchy (NT5DS, a domain member's default; learn.microsoft.com:
        // "Windows Time service tools and settings"). No SCHANNEL protocol keys: Windows
        // creates none, and uses its own defaults.
        put(
            "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion".into(),
            "SystemRoot",
            Sql::Text("C:\\Windows".into()),
        );
        put(
            "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\FipsAlgorithmPolicy".into(),
            "Enabled",
            Sql::Integer(0),
        );
        let time = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\W32Time\\Parameters";
        put(time.into(), "Type", Sql::Text("NT5DS".into()));
        put(
            time.into(),
            "NtpServer",
            Sql::Text("time.windows.com,0x9".into()),
        );
    }
    put(
        "HKLM\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\Instance Names\\SQL".into(),
        instance.instance_name().unwrap_or("MSSQLSERVER"),
        Sql::Text(instance.instance_id()),
    );
    for service in &instance.services {
        let key = format!(
            "HKLM\\SYSTEM\\CurrentControlSet\\Services\\{}",
            service_key_name(instance, service.kind)
        );
        put(
            key.clone(),
            "Start",
            Sql::Integer(service.startup.registry_start()),
        );
        put(key, "ObjectName", Sql::Text(service.account.clone()));
    }
    for extra in &instance.registry {
        let key = normalize_key(&extra.key);
        let data = match &extra.data {
            RegistryData::Number(n) => Sql::Integer(*n),
            RegistryData::Text(t) => Sql::Text(t.clone()),
        };
        out.retain(|(k, n, _)| {
            !(k.eq_ignore_ascii_case(&key) && n.eq_ignore_ascii_case(&extra.name))
        });
        out.push((key, extra.name.clone(), data));
    }
    out
}

/// `HKEY_LOCAL_MACHINE\x`, `HKLM\x` and `x` all become `HKLM\x`.
pub fn normalize_key(key: &str) -> String {
    let key = key.trim().trim_matches('\\');
    let upper = key.to_ascii_uppercase();
    for prefix in ["HKEY_LOCAL_MACHINE\\", "HKLM\\"] {
        if upper.starts_with(prefix) {
            return format!("HKLM\\{}", &key[prefix.len()..]);
        }
    }
    format!("HKLM\\{key}")
}

/// What `xp_instance_regread` reads for a key written instance-independently: the default
/// instance's paths are redirected to this instance's folder and services.
pub fn instance_key(instance: &Instance, key: &str) -> String {
    let key = normalize_key(key);
    let lower = key.to_ascii_lowercase();
    let generic = "hklm\\software\\microsoft\\mssqlserver";
    if let Some(rest) = lower.strip_prefix(generic) {
        return format!(
            "{}{}",
            instance_root(instance),
            &key[key.len() - rest.len()..]
        );
    }
    let services = "hklm\\system\\currentcontrolset\\services\\";
    if let Some(rest) = lower.strip_prefix(services) {
        let service = match rest {
            "mssqlserver" => instance.engine_service(),
            "sqlserveragent" => instance.agent_service(),
            _ => return key,
        };
        return format!("HKLM\\SYSTEM\\CurrentControlSet\\Services\\{service}");
    }
    key
}

/// The value `name` under `key` (both compared case-insensitively).
pub fn read(instance: &Instance, key: &str, name: &str) -> Option<Sql> {
    let key = normalize_key(key);
    values(instance)
        .into_iter()
        .find(|(k, n, _)| k.eq_ignore_ascii_case(&key) && n.eq_ignore_ascii_case(name))
        .map(|(_, _, v)| v)
}

/// Writes a value: settings the model knows (audit level, login mode, protocols) change the
/// model; anything else is kept as an extra registry value.
pub fn write(instance: &mut Instance, key: &str, name: &str, data: RegistryData) {
    let key = normalize_key(key);
    let root = instance_root(instance);
    let number = match &data {
        RegistryData::Number(n) => Some(*n),
        RegistryData::Text(t) => t.parse().ok(),
    };
    let lower = key.to_ascii_lowercase();
    let server = format!("{root}\\MSSQLServer").to_ascii_lowercase();
    if lower == server
        && name.eq_ignore_ascii_case("AuditLevel")
        && let Some(n) = number
    {
        instance.login_audit = crate::instance::LoginAudit::from_level(n);
        return;
    }
    if lower == server
        && name.eq_ignore_ascii_case("LoginMode")
        && let Some(n) = number
    {
        instance.authentication = if n == 1 {
            Authentication::Windows
        } else {
            Authentication::Mixed
        };
        return;
    }
    let net = format!("{server}\\supersocketnetlib\\");
    if let (Some(protocol), true, Some(n)) = (
        lower.strip_prefix(&net),
        name.eq_ignore_ascii_case("Enabled"),
        number,
    ) {
        let on = n != 0;
        match protocol {
            "tcp" => return instance.protocols.tcp = on,
            "np" => return instance.protocols.named_pipes = on,
            "sm" => return instance.protocols.shared_memory = on,
            "via" => return instance.protocols.via = on,
            _ => {}
        }
    }
    instance.registry.retain(|r| {
        !(normalize_key(&r.key).eq_ignore_ascii_case(&key) && r.name.eq_ignore_ascii_case(name))
    });
    instance.registry.push(crate::instance::RegistryValue {
        key,
        name: name.to_owned(),
        data,
    });
}
