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
        if target.id.ends_with('.') {
            out.push(
                doc.error_at(
                    &at("id"),
                    format!(
                        "\"{}\" ends with a dot, which Windows drops from folder names",
                        target.id
                    ),
                )
                .fix("end the id with a letter or digit"),
            );
        }
        check_chars(
            doc,
            &at("server"),
            &target.server,
            "a server name (a host name, FQDN or IP address)",
            false,
            &mut out,
        );
        if let Some(username) = &target.username {
            check_chars(
                doc,
                &at("username"),
                username,
                "a login name",
                false,
                &mut out,
            );
        }
        if let Some(name) = &target.name {
            check_chars(doc, &at("name"), name, "a display name", false, &mut out);
        }
        if let Some(ip) = &target.ip_address {
            check_chars(doc, &at("ip_address"), ip, "an IP address", false, &mut out);
        }
        if let Some(description) = &target.description {
            check_chars(
                doc,
                &at("description"),
                description,
                "a description",
                true,
                &mut out,
            );
        }
        for (t, tag) in target.tags.iter().enumerate() {
            check_chars(
                doc,
                &at(&format!("tags/{t}")),
                tag,
                "a tag",
                false,
                &mut out,
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
        if forbidden_char(&target.server, false).is_none()
            && (target.server.trim() != target.server || target.server.trim().is_empty())
        {
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
        out.push(
            doc.error_at(&at("credential"), e.to_string())
                .fix("write env:NAME, prompt, dpapi:NAME or keyring:NAME (`autodbaudit credentials add NAME` stores the password)"),
        );
    }
    if target
        .username
        .as_deref()
        .is_some_and(|u| u.trim().is_empty())
    {
        out.push(
            doc.error_at(&at("username"), "must not be empty")
                .fix("write the login name, or remove \"username\" (Windows authentication as the current user)"),
        );
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

/// The most bytes an audit name may take. It names `output/<name>/`, the workbook
/// `<name>.xlsx`, the archive `<name>_FINAL_<stamp>.xlsx.sha256` (34 bytes more) and temporary
/// files beside them (about 12 more); file systems allow 255 bytes per name (NTFS 255 UTF-16
/// units, never more than the UTF-8 bytes), so 200 leaves room for every suffix.
pub const MAX_AUDIT_NAME_BYTES: usize = 200;

/// Folders of `output/` that are the tool's own: an audit named like one would write into it.
pub const RESERVED_OUTPUT_NAMES: &[&str] = &["logs"];

/// Why `name` cannot name an audit, and the fix, if it cannot. An audit's name is also its
/// output folder (`output/<name>/`) and the start of its files' names on Windows and Linux, so
/// the rules are the folder's, counted in bytes; shared by `audit_config.jsonc`, `audit --new
/// NAME` and a name read back from the history.
pub fn audit_name_problem(name: &str) -> Option<(String, String)> {
    let problem = |p: &str, f: &str| Some((p.to_owned(), f.to_owned()));
    if name.is_empty() || name.chars().count() > 100 {
        return problem(
            "must be 1 to 100 characters long",
            "choose a shorter name, for example \"2026-H2\"",
        );
    }
    if name.len() > MAX_AUDIT_NAME_BYTES {
        return Some((
            format!(
                "takes {} bytes in UTF-8; an audit name names files and folders, which allow at most {MAX_AUDIT_NAME_BYTES} bytes here (emoji and many non-Latin letters take 3 or 4 bytes each)",
                name.len()
            ),
            "choose a shorter name, for example \"2026-H2\"".to_owned(),
        ));
    }
    if name
        .chars()
        .any(|c| c.is_control() || "\\/:*?\"<>|".contains(c))
    {
        return problem(
            "contains a character a folder name cannot hold (\\ / : * ? \" < > | or a control character)",
            "use letters, digits, spaces, dots, dashes or underscores",
        );
    }
    if let Some(c) = name.chars().find(|&c| audit_core::is_hidden(c)) {
        return Some((
            format!(
                "contains the invisible formatting character U+{:04X}, which makes file names display misleadingly",
                c as u32
            ),
            "retype the name without it".to_owned(),
        ));
    }
    if name.trim() != name || name.ends_with('.') {
        return problem(
            "must not start or end with a space or end with a dot (it names a folder; Windows drops them)",
            "remove the leading/trailing spaces or the final dot",
        );
    }
    if name.starts_with('.') {
        return problem(
            "must not start with a dot (\".\" and \"..\" are not folders of their own, and a leading dot hides the folder)",
            "start the name with a letter or digit",
        );
    }
    if name.starts_with("~$") {
        return problem(
            "must not start with \"~$\": Excel names its lock files that way, so the workbook would always look open",
            "start the name with a letter or digit",
        );
    }
    if audit_core::is_reserved_windows_name(name) {
        return problem(
            "is a device name Windows reserves (with or without an extension); it cannot name the output folder",
            "choose another name (CON, PRN, AUX, NUL, COM1–9 and LPT1–9 are reserved)",
        );
    }
    if RESERVED_OUTPUT_NAMES
        .iter()
        .any(|r| r.eq_ignore_ascii_case(name))
    {
        return Some((
            format!(
                "is the name of AutoDBAudit's own folder output/{}/; the audit's files would mix with it",
                name.to_lowercase()
            ),
            "choose another name, for example \"2026-H2\"".to_owned(),
        ));
    }
    None
}

/// The first character of `value` a name, host or label must not hold: a control character
/// (NUL, newline, escape …), an invisible formatting character or a line or paragraph
/// separator ([`audit_core::is_hidden`], the rule the scripts and the terminal apply too);
/// `allow_line_breaks` lets free text keep tabs and line breaks.
pub fn forbidden_char(value: &str, allow_line_breaks: bool) -> Option<char> {
    value.chars().find(|&c| {
        audit_core::is_hidden(c) && !(allow_line_breaks && matches!(c, '\t' | '\n' | '\r'))
    })
}

/// An error at `pointer` when its text holds a character [`forbidden_char`] refuses.
fn check_chars(
    doc: &Document,
    pointer: &str,
    value: &str,
    what: &str,
    allow_line_breaks: bool,
    out: &mut Vec<Diagnostic>,
) {
    if let Some(c) = forbidden_char(value, allow_line_breaks) {
        let kind = if c.is_control() {
            "control character"
        } else if matches!(c, '\u{2028}' | '\u{2029}') {
            "line or paragraph separator"
        } else {
            "invisible formatting character"
        };
        out.push(
            doc.error_at(
                pointer,
                format!("contains the {kind} U+{:04X}; {what} cannot hold it", c as u32),
            )
            .fix("remove it: it often comes from pasting, or from an escape such as \\u0000 or \\n in the file"),
        );
    }
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
        out.push(
            doc.error_at("/organization", "must not be blank")
                .fix("write the organisation's name, as the report cover should show it"),
        );
    }
    check_chars(
        doc,
        "/organization",
        &config.organization,
        "an organisation name",
        false,
        &mut out,
    );
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
    for (i, name) in thresholds.extended_security_updates.iter().enumerate() {
        if Release::by_name(name).is_none() {
            let at = format!("/thresholds/extended_security_updates/{i}");
            let names: Vec<_> = audit_core::RELEASES.iter().map(|r| r.name).collect();
            let d = doc.error_at(&at, format!("unknown SQL Server version \"{name}\""));
            out.push(match schema::did_you_mean(name, &names) {
                Some(best) => d.fix(format!("did you mean \"{best}\"?")),
                None => d.fix(format!("use one of: {}", names.join(", "))),
            });
        }
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
            Err(e) => out.push(doc.error_at(&at, e.to_string()).fix(format!(
                "write a {} build such as \"{}.{}.1000.6\"",
                release.name, release.major, release.minor
            ))),
            Ok(b) if (b.major, b.minor) != (release.major, release.minor) => out.push(
                doc.error_at(
                    &at,
                    format!(
                        "{b} is not a SQL Server {} build (those start with {}.{})",
                        release.name, release.major, release.minor
                    ),
                )
                .fix(format!(
                    "write a build starting with {}.{}, or put it under its own version",
                    release.major, release.minor
                )),
            ),
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
        if let Some(entity) = &exclusion.entity {
            check_chars(
                doc,
                &at("entity"),
                entity,
                "an entity name pattern",
                false,
                &mut out,
            );
        }
        check_chars(
            doc,
            &at("reason"),
            &exclusion.reason,
            "a reason",
            true,
            &mut out,
        );
        if let Some(check) = &exclusion.check
            && let Err(e) = check.parse::<CheckId>()
        {
            out.push(
                doc.error_at(&at("check"), e.to_string())
                    .fix("`autodbaudit checks` lists the check ids"),
            );
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The characters the hand-made list used to miss, which the scripts' quoting and the
    /// terminal already refused: one rule now, so config names and hosts refuse them too.
    const HIDDEN: [char; 9] = [
        '\u{061C}',
        '\u{2028}',
        '\u{2029}',
        '\u{00AD}',
        '\u{180E}',
        '\u{E0001}',
        '\u{E0041}',
        '\u{E007F}',
        '\u{202E}',
    ];

    #[test]
    fn hidden_characters_are_refused_in_names_hosts_and_audit_names() {
        for c in HIDDEN {
            let value = format!("prod{c}1");
            assert_eq!(forbidden_char(&value, false), Some(c), "U+{:04X}", c as u32);
            assert_eq!(forbidden_char(&value, true), Some(c), "U+{:04X}", c as u32);
            assert!(
                audit_name_problem(&format!("2026{c}H2")).is_some(),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn free_text_keeps_its_line_breaks_and_plain_text_passes() {
        assert_eq!(forbidden_char("line one\r\nline two\tend", true), None);
        assert_eq!(forbidden_char("line one\nline two", false), Some('\n'));
        assert_eq!(forbidden_char("Ünïcødé prod-1_a.b 😀", false), None);
    }
}
