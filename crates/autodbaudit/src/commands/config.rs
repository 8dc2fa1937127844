//! `autodbaudit config validate | show`.

use std::path::Path;

use audit_config::Config;
use audit_config::model::{AuthMode, Target};
use audit_core::Release;
use audit_credentials::{CredentialRef, CredentialStores, StoreKind};

use crate::cli::{ConfigCommand, ShowArgs, ShowFormat};
use crate::console::{load_config, plural};
use crate::exit::{CmdResult, Exit};
use crate::ui;

/// Runs a `config` subcommand. Neither writes anything.
pub fn run(workspace: &Path, command: &ConfigCommand) -> CmdResult {
    match command {
        ConfigCommand::Validate => validate(workspace),
        ConfigCommand::Show(args) => show(workspace, args),
    }
}

fn validate(workspace: &Path) -> CmdResult {
    let (config, warnings) = load_config(workspace)?;
    let total = config.targets.targets.len();
    let enabled = config.targets.targets.iter().filter(|t| t.enabled).count();
    ui::out(&format!(
        "configuration is valid: audit \"{}\" for {}, {total} target{} ({enabled} enabled), {warnings} warning{}",
        config.audit.audit_name,
        config.audit.organization,
        plural(total),
        plural(warnings)
    ));
    Ok(Exit::Success)
}

/// Whether the secret a target refers to can be found, without reading it into the output.
fn credential_status(stores: &CredentialStores, reference: &CredentialRef) -> &'static str {
    match reference {
        CredentialRef::Env(name) => match std::env::var_os(name) {
            Some(v) if !v.is_empty() => "environment variable set",
            _ => "environment variable NOT SET",
        },
        CredentialRef::Prompt => "asked at run time",
        CredentialRef::Dpapi(name) if StoreKind::Dpapi.is_available() => {
            if stores.contains(StoreKind::Dpapi, name) {
                "stored"
            } else {
                "NOT STORED"
            }
        }
        CredentialRef::Keyring(name) if StoreKind::Keyring.is_available() => {
            if stores.contains(StoreKind::Keyring, name) {
                "stored"
            } else {
                "NOT STORED"
            }
        }
        CredentialRef::Dpapi(_) | CredentialRef::Keyring(_) => "store not available on this system",
    }
}

fn show(workspace: &Path, args: &ShowArgs) -> CmdResult {
    let (config, _) = load_config(workspace)?;
    let stores = CredentialStores::new(workspace.join("credentials"));
    let status = |t: &Target| {
        t.credential
            .as_deref()
            .and_then(|c| c.parse::<CredentialRef>().ok())
            .map(|r| credential_status(&stores, &r))
    };
    match args.format {
        ShowFormat::Json => {
            let credentials: serde_json::Map<String, serde_json::Value> = config
                .targets
                .targets
                .iter()
                .filter_map(|t| status(t).map(|s| (t.id.clone(), s.into())))
                .collect();
            let value = serde_json::json!({
                "sql_targets": config.targets,
                "audit_config": config.audit,
                "credential_status": credentials,
            });
            ui::out(&serde_json::to_string_pretty(&value).expect("config serialises"));
        }
        ShowFormat::Text => print_text(&config, status),
    }
    Ok(Exit::Success)
}

fn print_text(config: &Config, status: impl Fn(&Target) -> Option<&'static str>) {
    let a = &config.audit;
    let t = &a.thresholds;
    let minimum = audit_core::RELEASES
        .iter()
        .find(|r| u16::from(t.minimum_major_version) == r.major)
        .map(|r: &Release| format!(" (SQL Server {})", r.name))
        .unwrap_or_default();
    ui::out(&ui::bold("Audit"));
    ui::out(&format!("  organisation       {}", a.organization));
    ui::out(&format!("  audit name         {}", a.audit_name));
    ui::out(&format!("  concurrency        {}", a.concurrency));
    ui::out(&ui::bold("Thresholds"));
    ui::out(&format!(
        "  minimum version    {}{minimum}",
        t.minimum_major_version
    ));
    let builds = if t.expected_builds.is_empty() {
        "built-in table".to_owned()
    } else {
        let o: Vec<_> = t
            .expected_builds
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        format!("built-in table, overridden: {}", o.join(", "))
    };
    ui::out(&format!("  expected builds    {builds}"));
    ui::out(&format!(
        "  full backup age    warn after {} day(s), fail after {} day(s)",
        t.backup_warn_age_days, t.backup_max_age_days
    ));
    ui::out(&format!(
        "  test databases     {}",
        t.test_database_patterns.join(", ")
    ));
    let protocols: Vec<String> = t
        .allowed_protocols
        .iter()
        .map(|p| {
            serde_json::to_value(p)
                .unwrap()
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    ui::out(&format!("  allowed protocols  {}", protocols.join(", ")));
    let groups =
        if t.required_audit_groups == audit_config::model::defaults::required_audit_groups() {
            format!("STIG default ({})", t.required_audit_groups.len())
        } else {
            t.required_audit_groups.join(", ")
        };
    ui::out(&format!("  audit groups       {groups}"));
    let on_failure = t
        .audit_on_failure
        .map_or("not decided (review)".to_owned(), |o| {
            serde_json::to_value(o)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        });
    ui::out(&format!("  audit on failure   {on_failure}"));
    ui::out(&format!(
        "  user connections   {}",
        t.max_user_connections
            .map_or("not decided (review)".to_owned(), |n| format!(
                "at most {n}"
            ))
    ));
    let owners = if t.allowed_job_owners.is_empty() {
        "sa only".to_owned()
    } else {
        format!("sa, {}", t.allowed_job_owners.join(", "))
    };
    ui::out(&format!("  Agent job owners   {owners}"));
    let db_owners = if t.allowed_database_owners.is_empty() {
        "sa only".to_owned()
    } else {
        format!("sa, {}", t.allowed_database_owners.join(", "))
    };
    ui::out(&format!("  database owners    {db_owners}"));
    ui::out(&format!(
        "  TDE                {}",
        if t.require_tde {
            "required on user databases"
        } else {
            "listed only"
        }
    ));
    ui::out(&format!(
        "  certificates       warn {} days before expiry; key backups {}",
        t.certificate_warn_days,
        t.key_backup_max_age_days
            .map_or("of any age accepted".to_owned(), |d| format!(
                "older than {d} days warn"
            ))
    ));
    ui::out(&format!(
        "  common criteria    {}",
        if t.require_common_criteria {
            "required"
        } else {
            "shown only"
        }
    ));
    ui::out(&format!(
        "  error log files    at least {}",
        t.min_error_log_files
    ));
    ui::out(&format!(
        "  Browser required   {}",
        if t.browser_required {
            "yes"
        } else {
            "no (Disabled expected)"
        }
    ));
    let flag = |on: bool, yes: &str, no: &str| if on { yes.to_owned() } else { no.to_owned() };
    ui::out(&format!(
        "  FIPS mode          {}",
        flag(t.require_fips, "required", "shown only")
    ));
    ui::out(&format!(
        "  CEIP / error rep.  {}",
        flag(t.ceip_allowed, "allowed", "not authorised (on warns)")
    ));
    ui::out(&format!(
        "  telemetry audit    {}",
        flag(t.telemetry_audit_required, "required", "shown only")
    ));
    ui::out(&format!(
        "  instant file init. {}",
        flag(
            t.instant_file_initialization_allowed,
            "documented as required",
            "a review item"
        )
    ));
    let ports: Vec<String> = t.allowed_tcp_ports.iter().map(u16::to_string).collect();
    ui::out(&format!(
        "  allowed TCP ports  {}",
        if ports.is_empty() {
            "any static port but 1433".to_owned()
        } else {
            ports.join(", ")
        }
    ));
    ui::out(&ui::bold(&format!("Exclusions ({})", a.exclusions.len())));
    for e in &a.exclusions {
        let parts: Vec<String> = [
            ("check", &e.check),
            ("target", &e.target),
            ("entity", &e.entity),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
        .collect();
        ui::out(&format!("  {} — {}", parts.join(", "), e.reason));
    }

    let targets = &config.targets.targets;
    let enabled = targets.iter().filter(|t| t.enabled).count();
    ui::out(&ui::bold(&format!(
        "Targets ({}, {enabled} enabled)",
        targets.len()
    )));
    let header = [
        "ID",
        "ENDPOINT",
        "AUTH",
        "LOGIN",
        "CREDENTIAL",
        "ENCRYPT",
        "ENABLED",
        "TAGS",
    ]
    .map(String::from);
    let mut rows = vec![header];
    for target in targets {
        let auth = match target.auth {
            AuthMode::Sql => "sql",
            AuthMode::Windows => "windows",
        };
        let credential = match (&target.credential, status(target)) {
            (Some(c), Some(s)) => format!("{c} ({s})"),
            (Some(c), None) => c.clone(),
            (None, _) if target.auth == AuthMode::Windows => "current Windows user".to_owned(),
            (None, _) => "-".to_owned(),
        };
        let encrypt = serde_json::to_value(target.encrypt)
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_owned()
            + if target.trust_server_certificate {
                " (certificate not validated)"
            } else {
                ""
            };
        rows.push([
            target.id.clone(),
            target.endpoint(),
            auth.to_owned(),
            target.username.clone().unwrap_or_else(|| "-".to_owned()),
            credential,
            encrypt,
            if target.enabled { "yes" } else { "no" }.to_owned(),
            target.tags.iter().cloned().collect::<Vec<_>>().join(", "),
        ]);
    }
    ui::table(&rows, "  ");
}
