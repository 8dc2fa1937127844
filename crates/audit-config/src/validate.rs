//! Rules a schema cannot express: uniqueness, fields that depend on each other, references.

use std::collections::HashMap;
use std::net::IpAddr;

use audit_core::{BuildNumber, CheckId, Release};
use audit_credentials::CredentialRef;

use crate::jsonc::Document;
use crate::model::{AuditConfig, AuthMode, EncryptMode, Target, TargetsFile};
use crate::{Diagnostic, schema};

/// Checks `sql_targets.jsonc` beyond its schema.
pub fn targets(doc: &Document, file: &TargetsFile) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if file.targets.is_empty() {
        out.push(
            doc.warning_at("/targets", "no targets are defined; `audit` will have nothing to do")
                .fix("add an object per SQL Server instance to \"targets\" (see the template's examples)"),
        );
    } else if !file.targets.iter().any(|t| t.enabled) {
        out.push(doc.warning_at(
            "/targets",
            "every target has \"enabled\": false; `audit` will have nothing to do",
        ));
    }

    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut endpoints: HashMap<String, usize> = HashMap::new();
    for (i, target) in file.targets.iter().enumerate() {
        let at = |field: &str| format!("/targets/{i}/{field}");
        // Ids name files and history rows; Windows file names ignore case, so ids must too.
        if let Some(first) = ids.insert(target.id.to_lowercase(), i) {
            out.push(
                doc.error_at(
                    &at("id"),
                    format!(
                        "duplicate target id \"{}\" (also used by targets[{first}] on line {})",
                        target.id,
                        doc.value_position(&format!("/targets/{first}/id")).0
                    ),
                )
                .fix("give every target its own id (ids are compared without regard to case)"),
            );
        }
        if audit_core::is_reserved_windows_name(&target.id) {
            out.push(
                doc.error_at(&at("id"), format!("\"{}\" is a device name Windows reserves; it cannot name the target's files", target.id))
                    .fix("choose another id (CON, PRN, AUX, NUL, COM1–9 and LPT1–9 are reserved)"),
            );
        }
        let endpoint = target.endpoint().to_lowercase();
        if let Some(first) = endpoints.insert(endpoint.clone(), i) {
            out.push(doc.warning_at(
                &at("server"),
                format!(
                    "targets[{first}] (\"{}\") points at the same instance {}; it would be audited twice",
                    file.targets[first].id,
                    target.endpoint()
                ),
            ));
        }
        if target.server.trim() != target.server || target.server.trim().is_empty() {
            out.push(
                doc.error_at(
                    &at("server"),
                    "the server name has leading or trailing spaces",
                )
                .fix("remove the spaces"),
            );
        }
        check_instance(doc, i, target, &mut out);
        check_auth(doc, i, target, &mut out);
        if let Some(ip) = &target.ip_address
            && ip.parse::<IpAddr>().is_err()
        {
            out.push(
                doc.error_at(&at("ip_address"), "not an IP address").fix(
                    "write an IPv4 address such as 10.1.2.3 or an IPv6 address such as fd00::5",
                ),
            );
        }
        match target.encrypt {
            EncryptMode::Off => out.push(doc.warning_at(
                &at("encrypt"),
                "\"off\": only the login is encrypted; queries and results cross the network in clear text (reported as a finding)",
            )),
            EncryptMode::Strict | EncryptMode::On if target.trust_server_certificate => out.push(doc.warning_at(
                &at("trust_server_certificate"),
                "the server's certificate is not validated: a machine in the middle could impersonate the server and capture the login",
            )),
            _ => {}
        }
    }
    out
}

fn check_instance(doc: &Document, i: usize, target: &Target, out: &mut Vec<Diagnostic>) {
    let at = |field: &str| format!("/targets/{i}/{field}");
    if target.instance.is_some() && target.port.is_some() {
        out.push(
            doc.error_at(&at("port"), "both \"instance\" and \"port\" are set")
                .fix("keep \"instance\" to find the port through the SQL Server Browser, or keep \"port\" to connect to it directly — not both"),
        );
    }
    if let Some(instance) = &target.instance {
        // SQL Server instance names: 1–16 characters, a letter or '_' first, then letters,
        // digits, '_' or '$'.
        let valid = (1..=16).contains(&instance.chars().count())
            && instance
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
            && instance
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '$');
        if !valid {
            out.push(
                doc.error_at(&at("instance"), "not a valid SQL Server instance name")
                    .fix("an instance name has 1–16 letters, digits, '_' or '$' and starts with a letter; write only the part after the backslash"),
            );
        } else if instance.eq_ignore_ascii_case("MSSQLSERVER") {
            out.push(
                doc.warning_at(
                    &at("instance"),
                    "MSSQLSERVER is the default instance's internal name",
                )
                .fix("remove \"instance\" to connect to the default instance"),
            );
        }
    }
}

fn check_auth(doc: &Document, i: usize, target: &Target, out: &mut Vec<Diagnostic>) {
    let at = |field: &str| format!("/targets/{i}/{field}");
    let object = format!("/targets/{i}");
    let missing = |field: &str, why: &str, fix: &str| {
        Diagnostic::error(
            &doc.source.display_path,
            format!("missing \"{field}\": {why}"),
        )
        .at(Some(doc.value_position(&object)))
        .field(doc.field(&at(field)))
        .fix(fix.to_owned())
    };
    if let Some(credential) = &target.credential
        && let Err(e) = credential.parse::<CredentialRef>()
    {
        out.push(doc.error_at(&at("credential"), e.to_string()));
    }
    if target
        .username
        .as_deref()
        .is_some_and(|u| u.trim().is_empty())
    {
        out.push(doc.error_at(&at("username"), "must not be empty"));
    }
    match target.auth {
        AuthMode::Sql => {
            if target.username.is_none() {
                out.push(missing("username", "SQL authentication needs a login name", "add \"username\": \"audit_login\""));
            }
            if target.credential.is_none() {
                out.push(missing(
                    "credential",
                    "SQL authentication needs a password reference",
                    "store the password with `autodbaudit credentials add NAME`, then add \"credential\": \"keyring:NAME\" (or \"dpapi:NAME\" on Windows, \"env:VAR\", \"prompt\")",
                ));
            }
        }
        AuthMode::Windows => match (&target.username, &target.credential) {
            (Some(_), None) => out.push(missing(
                "credential",
                "Windows authentication with an explicit \"username\" (NTLM) needs a password reference",
                "add \"credential\": \"keyring:NAME\", or remove \"username\" to use the current Windows user",
            )),
            (None, Some(_)) => out.push(
                doc.error_at(&at("credential"), "a credential without a \"username\" is never used")
                    .fix("add \"username\": \"DOMAIN\\\\user\", or remove \"credential\" to use the current Windows user"),
            ),
            (Some(user), Some(_)) if !user.contains('\\') && !user.contains('@') => out.push(
                doc.warning_at(&at("username"), "a Windows login is usually written DOMAIN\\user or user@domain")
                    .fix("write \"CORP\\\\svc_audit\" (the backslash doubled in JSON)"),
            ),
            (None, None) if !cfg!(windows) => out.push(doc.warning_at(
                &at("auth"),
                "integrated Windows authentication (no username) works only when autodbaudit runs on Windows",
            )),
            _ => {}
        },
    }
}

/// Why `name` cannot name an audit, and the fix, if it cannot. An audit's name is also its
/// output folder (`output/<name>/`) on Windows and Linux, so the rules are the folder's; shared
/// by `audit_config.jsonc` and `audit --new NAME`.
pub fn audit_name_problem(name: &str) -> Option<(&'static str, &'static str)> {
    if name.is_empty() || name.chars().count() > 100 {
        return Some((
            "must be 1 to 100 characters long",
            "choose a shorter name, for example \"2026-H2\"",
        ));
    }
    if name
        .chars()
        .any(|c| c.is_control() || "\\/:*?\"<>|".contains(c))
    {
        return Some((
            "contains a character a folder name cannot hold (\\ / : * ? \" < > | or a control character)",
            "use letters, digits, spaces, dots, dashes or underscores",
        ));
    }
    if name.trim() != name || name.ends_with('.') {
        return Some((
            "must not start or end with a space or end with a dot (it names a folder)",
            "remove the leading/trailing spaces or the final dot",
        ));
    }
    if audit_core::is_reserved_windows_name(name) {
        return Some((
            "is a device name Windows reserves; it cannot name the output folder",
            "choose another name (CON, PRN, AUX, NUL, COM1–9 and LPT1–9 are reserved)",
        ));
    }
    None
}

/// Checks `audit_config.jsonc` beyond its schema; `targets` (if it loaded) is used to check
/// that exclusions name real targets.
pub fn audit(
    doc: &Document,
    config: &AuditConfig,
    targets: Option<&TargetsFile>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if config.organization.trim().is_empty() {
        out.push(doc.error_at("/organization", "must not be blank"));
    }
    if let Some((problem, fix)) = audit_name_problem(&config.audit_name) {
        out.push(doc.error_at("/audit_name", problem).fix(fix));
    }
    let thresholds = &config.thresholds;
    if thresholds.backup_warn_age_days > thresholds.backup_max_age_days {
        out.push(
            doc.error_at(
                "/thresholds/backup_warn_age_days",
                format!(
                    "{} is more than backup_max_age_days ({}); the warning age must not exceed the failure age",
                    thresholds.backup_warn_age_days, thresholds.backup_max_age_days
                ),
            )
            .fix("lower backup_warn_age_days or raise backup_max_age_days"),
        );
    }
    for (name, build) in &thresholds.expected_builds {
        let at = crate::diagnostic::pointer_push("/thresholds/expected_builds", name);
        let Some(release) = Release::by_name(name) else {
            let names: Vec<_> = audit_core::RELEASES.iter().map(|r| r.name).collect();
            let mut d = Diagnostic::error(
                &doc.source.display_path,
                format!("unknown SQL Server version \"{name}\""),
            )
            .at(Some(doc.key_position(&at)))
            .field(doc.field(&at));
            d = match schema::did_you_mean(name, &names) {
                Some(best) => d.fix(format!("did you mean \"{best}\"?")),
                None => d.fix(format!("use one of: {}", names.join(", "))),
            };
            out.push(d);
            continue;
        };
        match build.parse::<BuildNumber>() {
            Err(e) => out.push(doc.error_at(&at, e.to_string())),
            Ok(b) if (b.major, b.minor) != (release.major, release.minor) => {
                out.push(doc.error_at(
                    &at,
                    format!(
                        "{b} is not a SQL Server {} build (those start with {}.{})",
                        release.name, release.major, release.minor
                    ),
                ))
            }
            Ok(_) => {}
        }
    }
    for (i, exclusion) in config.exclusions.iter().enumerate() {
        let at = |field: &str| format!("/exclusions/{i}/{field}");
        if exclusion.check.is_none() && exclusion.target.is_none() && exclusion.entity.is_none() {
            out.push(
                doc.error_at(&format!("/exclusions/{i}"), "an exclusion must name at least one of \"check\", \"target\", \"entity\"")
                    .fix("add \"check\": \"R07\" and/or \"target\": \"<target id>\" and/or \"entity\": \"<name>\""),
            );
        }
        if let Some(check) = &exclusion.check
            && let Err(e) = check.parse::<CheckId>()
        {
            out.push(doc.error_at(&at("check"), e.to_string()));
        }
        if let (Some(target), Some(targets)) = (&exclusion.target, targets)
            && !targets
                .targets
                .iter()
                .any(|t| t.id.eq_ignore_ascii_case(target))
        {
            let ids: Vec<&str> = targets.targets.iter().map(|t| t.id.as_str()).collect();
            let mut d = doc.warning_at(
                &at("target"),
                format!("no target has the id \"{target}\"; this exclusion matches nothing"),
            );
            if let Some(best) = schema::did_you_mean(target, &ids) {
                d = d.fix(format!("did you mean \"{best}\"?"));
            }
            out.push(d);
        }
    }
    out
}
