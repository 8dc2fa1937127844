//! What the rules share: building findings, turning unavailable facts into one UNKNOWN, entity
//! keys, name classification (system databases, built-in accounts), wildcards and dates.
//!
//! Kept in one place so that every rule says the same thing the same way: one UNKNOWN per
//! instance and check when a fact is missing, the same key for the same entity in every check.

use std::collections::BTreeMap;
use std::fmt::Display;

use super::Check;
use crate::snapshot::{Fact, LoginInfo, Snapshot};
use crate::{Finding, RemediationCategory, Severity, Status, entity_key};

/// The entity type of findings about the instance as a whole.
pub(crate) const INSTANCE: &str = "instance";

/// The key of the instance itself: findings are always stored under their target, so the
/// instance needs no further part (and keeps its key when the server is renamed).
pub fn instance_key() -> String {
    entity_key(INSTANCE, &[])
}

/// The instance as people name it: `@@SERVERNAME` (`HOST\INSTANCE`), else the machine name.
pub(crate) fn instance_name(s: &Snapshot) -> String {
    if !s.server.server_name.is_empty() {
        return s.server.server_name.clone();
    }
    match &s.server.instance_name {
        Some(i) => format!("{}\\{i}", s.server.machine_name),
        None => s.server.machine_name.clone(),
    }
}

/// Whether the host runs Linux: `sys.dm_os_host_info` says so, or (when the host could not be
/// read) `@@VERSION` ends "on Linux (…)". On Linux SQL Server has no Windows services, no
/// Windows principals unless Active Directory is configured, only the default instance and only
/// TCP/IP (learn.microsoft.com: "SQL Server on Linux: Known issues").
pub(crate) fn on_linux(s: &Snapshot) -> bool {
    match &s.host {
        Ok(h) => h.platform.eq_ignore_ascii_case("Linux"),
        Err(_) => s.server.version_text.to_lowercase().contains(" on linux"),
    }
}

/// A finding under construction; defaults follow the status (see [`Check::finding`]).
pub(crate) struct Draft(Finding);

impl Check {
    /// Starts a finding of this check. Severity: PASS and INFO are `info`, everything else the
    /// check's severity (override with [`Draft::severity`]). Remediation: none for PASS and INFO,
    /// manual for UNKNOWN (someone must make the fact readable), else the check's category.
    pub(crate) fn finding(
        &self,
        status: Status,
        entity_type: &str,
        entity: impl Into<String>,
        key: String,
    ) -> Draft {
        let (severity, remediation_category) = match status {
            Status::Pass | Status::Info => (Severity::Info, RemediationCategory::None),
            Status::Unknown => (self.severity, RemediationCategory::Manual),
            Status::Fail | Status::Warn | Status::Review => (self.severity, self.remediation),
        };
        Draft(Finding {
            check_id: self.id,
            status,
            severity,
            entity_type: entity_type.to_owned(),
            entity: entity.into(),
            entity_key: key,
            message: String::new(),
            evidence: BTreeMap::new(),
            remediation_category,
            fix: None,
        })
    }

    /// Starts a finding about the instance as a whole.
    pub(crate) fn instance_finding(&self, s: &Snapshot, status: Status) -> Draft {
        self.finding(status, INSTANCE, instance_name(s), instance_key())
    }

    /// Ends a rule that reports problems one by one: when it found none, one instance PASS
    /// saying so, so that the report shows what is fine too.
    pub(crate) fn pass_if_none(
        &self,
        out: &mut Vec<Finding>,
        s: &Snapshot,
        message: impl Into<String>,
    ) {
        if out.is_empty() {
            out.push(
                self.instance_finding(s, Status::Pass)
                    .message(message)
                    .done(),
            );
        }
    }
}

impl Draft {
    /// The sentence for the reader.
    pub(crate) fn message(mut self, message: impl Into<String>) -> Draft {
        self.0.message = message.into();
        self
    }

    /// One piece of evidence.
    pub(crate) fn ev(mut self, name: &str, value: impl Display) -> Draft {
        self.0.evidence.insert(name.to_owned(), value.to_string());
        self
    }

    /// A severity other than the default.
    pub(crate) fn severity(mut self, severity: Severity) -> Draft {
        self.0.severity = severity;
        self
    }

    /// A remediation category other than the default.
    pub(crate) fn remediation(mut self, category: RemediationCategory) -> Draft {
        self.0.remediation_category = category;
        self
    }

    /// The fix that would resolve it (FAIL, WARN and REVIEW findings only; ignored otherwise).
    pub(crate) fn fix(mut self, fix: crate::Fix) -> Draft {
        if matches!(self.0.status, Status::Fail | Status::Warn | Status::Review) {
            self.0.fix = Some(fix);
        }
        self
    }

    /// The finding.
    pub(crate) fn done(self) -> Finding {
        self.0
    }
}

/// Facts a rule asked for that the collector could not read.
#[derive(Default)]
pub(crate) struct Gaps(Vec<(&'static str, String)>);

impl Gaps {
    /// The fact's value, or none (remembering why) when it is unavailable.
    pub(crate) fn take<'a, T>(&mut self, name: &'static str, fact: &'a Fact<T>) -> Option<&'a T> {
        match fact {
            Ok(value) => Some(value),
            Err(why) => {
                self.0.push((name, why.reason.clone()));
                None
            }
        }
    }

    /// Whether every fact asked for was available.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The one UNKNOWN finding of this check for the instance, naming every missing fact and
    /// why; none when nothing is missing.
    pub(crate) fn unknown(&self, check: &Check, s: &Snapshot) -> Option<Finding> {
        if self.0.is_empty() {
            return None;
        }
        let reasons: Vec<String> = self
            .0
            .iter()
            .map(|(name, why)| format!("{name} unavailable ({why})"))
            .collect();
        let mut draft = check.instance_finding(s, Status::Unknown).message(format!(
            "{} could not be evaluated on {}: {}.",
            check.id,
            instance_name(s),
            reasons.join("; ")
        ));
        for (name, why) in &self.0 {
            draft = draft.ev(&format!("unavailable.{name}"), why);
        }
        Some(draft.done())
    }

    /// The findings of a rule that needed these facts and could not run: the one UNKNOWN.
    pub(crate) fn only_unknown(&self, check: &Check, s: &Snapshot) -> Vec<Finding> {
        self.unknown(check, s).into_iter().collect()
    }
}

/// Why some rows of `fact` were hidden from the audit login (metadata visibility), if they
/// were: a rule must not conclude "there is none" from such a list.
pub(crate) fn hidden_rows(s: &Snapshot, fact: crate::snapshot::FactId) -> Option<String> {
    s.unread
        .iter()
        .find(|u| u.scope == crate::snapshot::Scope::HiddenRows && u.facts.contains(&fact))
        .map(|u| u.describe(&s.connection.login))
}

/// A login's key: by SID (stable across renames, so a renamed `sa` stays the same entity), by
/// name only when the server gave no SID.
pub fn login_key(login: &LoginInfo) -> String {
    if login.sid.trim().is_empty() {
        entity_key("login", &["name", &login.name])
    } else {
        entity_key("login", &[login.sid.trim()])
    }
}

/// Case-insensitive equality, as SQL Server's default collations compare names.
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    a == b || a.to_lowercase() == b.to_lowercase()
}

/// The four system databases, by name (the catalogue reserves these names).
pub(crate) fn is_system_database(name: &str) -> bool {
    ["master", "tempdb", "model", "msdb"]
        .iter()
        .any(|system| same_name(system, name))
}

/// `##MS_…##` principals and certificates: created and used by SQL Server itself.
pub(crate) fn is_internal_name(name: &str) -> bool {
    name.len() > 4 && name.starts_with("##") && name.ends_with("##")
}

/// The built-in Windows accounts R06 forbids, by what the account is: `LocalSystem`,
/// `LocalService`, `NetworkService`, in any of their spellings.
pub(crate) fn builtin_account(account: &str) -> Option<&'static str> {
    let lower = account.trim().to_lowercase();
    let name = lower.strip_prefix(".\\").unwrap_or(&lower);
    let name = name.strip_prefix("nt authority\\").unwrap_or(name);
    match name.replace(' ', "").as_str() {
        "localsystem" | "system" => Some("LocalSystem"),
        "localservice" => Some("LocalService"),
        "networkservice" => Some("NetworkService"),
        _ => None,
    }
}

/// A per-service virtual account (`NT SERVICE\MSSQLSERVER` …).
pub(crate) fn is_virtual_account(account: &str) -> bool {
    account.trim().to_lowercase().starts_with("nt service\\")
}

/// Built-in service principals that SQL Server itself puts in privileged roles: per-service
/// SIDs (`NT SERVICE\…`), the built-in service accounts (`NT AUTHORITY\SYSTEM`, `… LOCAL
/// SERVICE`, `… NETWORK SERVICE`) and `##…##` principals.
pub(crate) fn is_builtin_service_principal(name: &str) -> bool {
    let lower = name.trim().to_lowercase();
    is_internal_name(name)
        || lower.starts_with("nt service\\")
        || (lower.starts_with("nt authority\\") && builtin_account(&lower).is_some())
}

/// `*` (any run) and `?` (one character) wildcards, case-insensitive, on characters.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Seconds since 1970-01-01 of `YYYY-MM-DD`, optionally followed by ` ` or `T` and
/// `hh:mm[:ss[.fff]]`; none when the text is not such a date.
pub(crate) fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, time) = match text.find([' ', 'T']) {
        Some(i) => (&text[..i], text[i + 1..].trim()),
        None => (text, ""),
    };
    let mut d = date.split('-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: i64 = d.next()?.parse().ok()?;
    let day: i64 = d.next()?.parse().ok()?;
    if d.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut seconds = 0;
    if !time.is_empty() {
        let time = time.split(['.', '+', 'Z']).next()?;
        let mut t = time.split(':');
        let h: i64 = t.next()?.parse().ok()?;
        let m: i64 = t.next()?.parse().ok()?;
        let s: i64 = t.next().map_or(Some(0), |s| s.parse().ok())?;
        if h > 23 || m > 59 || s > 60 {
            return None;
        }
        seconds = h * 3600 + m * 60 + s;
    }
    Some(days_from_civil(year, month, day) * 86_400 + seconds)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The release name of a build ("2008 R2", "2019"), or `v<major>.<minor>` for one the tool
/// does not know yet.
pub(crate) fn release_name(build: crate::BuildNumber) -> String {
    crate::Release::of_build(build).map_or_else(
        || format!("v{}.{}", build.major, build.minor),
        |r| r.name.to_owned(),
    )
}

/// The fixed server roles whose members can take over the instance (R05, R08).
pub(crate) fn is_privileged_server_role(role: &str) -> bool {
    ["sysadmin", "serveradmin", "securityadmin"]
        .iter()
        .any(|r| r.eq_ignore_ascii_case(role))
}

/// The roles whose members hold sysadmin, serveradmin or securityadmin rights: those three and,
/// transitively, every server role that is a member of one of them (lower-cased names).
pub(crate) fn privileged_roles(
    members: &[crate::snapshot::RoleMember],
) -> std::collections::BTreeSet<String> {
    roles_with_nested(&["sysadmin", "serveradmin", "securityadmin"], members)
}

/// The fixed server roles below the three that control the server, each with a power of its
/// own (STIG SQL6-D0-004400; VA2114): installing extended procedures and linked servers
/// (setupadmin), ending sessions (processadmin), managing disk files (diskadmin), creating
/// and restoring databases (dbcreator), reading any file the service can read (bulkadmin).
pub(crate) const LESSER_FIXED_SERVER_ROLES: [&str; 5] = [
    "setupadmin",
    "processadmin",
    "diskadmin",
    "dbcreator",
    "bulkadmin",
];

/// `seed` (lower-case role names) and every server role nested in one of them, at any depth.
pub(crate) fn roles_with_nested(
    seed: &[&str],
    members: &[crate::snapshot::RoleMember],
) -> std::collections::BTreeSet<String> {
    let mut roles: std::collections::BTreeSet<String> =
        seed.iter().map(|r| (*r).to_owned()).collect();
    loop {
        let nested: Vec<String> = members
            .iter()
            .filter(|m| m.member_kind == "R" && roles.contains(&m.role.to_lowercase()))
            .map(|m| m.member.to_lowercase())
            .filter(|m| !roles.contains(m))
            .collect();
        if nested.is_empty() {
            return roles;
        }
        roles.extend(nested);
    }
}

/// The server roles the principal `name` is in, directly or through nested server roles
/// (lower-cased names).
pub(crate) fn server_roles_of(
    name: &str,
    members: &[crate::snapshot::RoleMember],
) -> std::collections::BTreeSet<String> {
    let mut roles = std::collections::BTreeSet::new();
    let mut frontier = vec![name.to_lowercase()];
    while let Some(principal) = frontier.pop() {
        for m in members.iter().filter(|m| same_name(&m.member, &principal)) {
            if roles.insert(m.role.to_lowercase()) {
                frontier.push(m.role.to_lowercase());
            }
        }
    }
    roles
}

/// A login's server-level privilege, for the checks that judge what it owns (X01, X70):
/// `Ok(Some("sysadmin (sa)"))` for SID 0x01, `Ok(Some("sysadmin"))` through nested roles,
/// `Ok(Some("CONTROL SERVER…"))`, `Ok(None)` when it has neither, and `Err(what)` naming the
/// fact that was not read when the answer depends on it (never a "none" it could not see).
pub(crate) fn login_privilege(
    s: &Snapshot,
    login: Option<&str>,
    sid: Option<&str>,
) -> Result<Option<String>, &'static str> {
    if sid.is_some_and(|sid| sid.eq_ignore_ascii_case("0x01")) {
        return Ok(Some("sysadmin (sa)".to_owned()));
    }
    let Some(login) = login else {
        return Err("the owner's login");
    };
    let members = s
        .server_role_members
        .as_deref()
        .map_err(|_| "server role memberships")?;
    let roles = server_roles_of(login, members);
    if roles.contains("sysadmin") {
        return Ok(Some("sysadmin".to_owned()));
    }
    let permissions = s
        .server_permissions
        .as_deref()
        .map_err(|_| "server permissions")?;
    Ok(control_server_holding(login, &roles, permissions))
}

/// [`login_privilege`] as evidence: the privilege, `none`, or `unknown (… not read)`.
pub(crate) fn privilege_evidence(privilege: &Result<Option<String>, &'static str>) -> String {
    match privilege {
        Ok(Some(p)) => p.clone(),
        Ok(None) => "none".to_owned(),
        Err(what) => format!("unknown ({what} not read)"),
    }
}

/// How the principal `name`, in server roles `roles` (see [`server_roles_of`]), holds CONTROL
/// SERVER (a GRANT, not a DENY): `CONTROL SERVER` when granted to it directly, `CONTROL SERVER
/// through `role`` otherwise; none when it does not. CIS 4.2 and X12, R05 count such a login
/// as privileged as a sysadmin.
pub(crate) fn control_server_holding(
    name: &str,
    roles: &std::collections::BTreeSet<String>,
    permissions: &[crate::snapshot::PermissionInfo],
) -> Option<String> {
    permissions
        .iter()
        .find(|p| {
            p.permission.eq_ignore_ascii_case("CONTROL SERVER")
                && !p.state.eq_ignore_ascii_case("DENY")
                && (same_name(&p.grantee, name) || roles.contains(&p.grantee.to_lowercase()))
        })
        .map(|p| {
            if same_name(&p.grantee, name) {
                "CONTROL SERVER".to_owned()
            } else {
                format!("CONTROL SERVER through `{}`", p.grantee)
            }
        })
}

/// A service's kind as people name it.
pub(crate) fn service_kind_name(kind: crate::snapshot::ServiceKind) -> &'static str {
    kind.display_name()
}

/// A service's key: its kind (`service:browser`), not its Windows service name, which differs
/// between the two places the collector may learn it from (`MSSQLSERVER` in the registry,
/// `SQL Server (MSSQLSERVER)` in `sys.dm_server_services`) and so with the audit login's rights.
pub fn service_key(service: &crate::snapshot::ServiceInfo) -> String {
    service_kind_key(service.kind)
}

/// The key of a kind of service (see [`service_key`]).
pub fn service_kind_key(kind: crate::snapshot::ServiceKind) -> String {
    entity_key("service", &[kind.slug()])
}

/// The startup mode is automatic (`Automatic`, `Auto`, `Automatic (Delayed Start)` …).
pub(crate) fn is_automatic(startup: &str) -> bool {
    startup.trim().to_lowercase().starts_with("auto")
}

/// The startup mode is disabled.
pub(crate) fn is_disabled_startup(startup: &str) -> bool {
    startup.trim().eq_ignore_ascii_case("disabled")
}

/// An explicit permission's key: where (the server, or a database), who, what, on which
/// securable.
pub fn permission_key(database: Option<&str>, p: &crate::snapshot::PermissionInfo) -> String {
    match database {
        None => entity_key(
            "server_permission",
            &[&p.grantee, &p.permission, &p.class, &p.securable],
        ),
        Some(db) => entity_key(
            "db_permission",
            &[db, &p.grantee, &p.permission, &p.class, &p.securable],
        ),
    }
}

/// The fix that revokes an explicit database permission.
pub(crate) fn revoke(database: &str, p: &crate::snapshot::PermissionInfo) -> crate::Fix {
    crate::Fix::RevokeDatabasePermission {
        database: database.to_owned(),
        grantee: p.grantee.clone(),
        permission: p.permission.clone(),
        class: p.class.clone(),
        securable: p.securable.clone(),
    }
}

/// An explicit permission as people read it: `[db: ]grantee: PERMISSION on CLASS securable`.
pub(crate) fn permission_entity(
    database: Option<&str>,
    p: &crate::snapshot::PermissionInfo,
) -> String {
    let on = if p.securable.is_empty() {
        p.class.clone()
    } else {
        format!("{} {}", p.class, p.securable)
    };
    match database {
        None => format!("{}: {} on {on}", p.grantee, p.permission),
        Some(db) => format!("{db}: {}: {} on {on}", p.grantee, p.permission),
    }
}

/// A database's entity key (`database:<name>`).
pub(crate) fn database_key(name: &str) -> String {
    entity_key("database", &[name])
}

/// The fixed database roles (sys.database_principals `is_fixed_role = 1`; learn.microsoft.com:
/// "Database-level roles"), strongest first.
pub const FIXED_DATABASE_ROLES: [&str; 9] = [
    "db_owner",
    "db_securityadmin",
    "db_accessadmin",
    "db_backupoperator",
    "db_ddladmin",
    "db_datareader",
    "db_datawriter",
    "db_denydatareader",
    "db_denydatawriter",
];

/// Whether `role` is one of the [`FIXED_DATABASE_ROLES`].
pub(crate) fn is_fixed_database_role(role: &str) -> bool {
    FIXED_DATABASE_ROLES.iter().any(|f| same_name(f, role))
}

/// Principals every database has that are not people: never judged as grantees.
pub(crate) fn is_system_grantee(name: &str) -> bool {
    is_internal_name(name)
        || ["sys", "INFORMATION_SCHEMA"]
            .iter()
            .any(|s| same_name(s, name))
}

/// `yes` / `no`, for evidence.
pub(crate) fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// An optional value for evidence: the value or `unknown`.
pub(crate) fn or_unknown<T: Display>(value: Option<T>) -> String {
    value.map_or_else(|| "unknown".to_owned(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_accounts_in_every_spelling() {
        for (account, what) in [
            ("LocalSystem", "LocalSystem"),
            (".\\LocalSystem", "LocalSystem"),
            ("NT AUTHORITY\\SYSTEM", "LocalSystem"),
            ("nt authority\\local service", "LocalService"),
            ("NT AUTHORITY\\LocalService", "LocalService"),
            ("NT AUTHORITY\\NETWORK SERVICE", "NetworkService"),
            ("NT AUTHORITY\\NetworkService", "NetworkService"),
            ("Local System", "LocalSystem"),
        ] {
            assert_eq!(builtin_account(account), Some(what), "{account}");
        }
        for account in [
            "CORP\\svc_sql",
            "NT SERVICE\\MSSQLSERVER",
            "CORP\\gmsa$",
            "",
        ] {
            assert_eq!(builtin_account(account), None, "{account}");
        }
        assert!(is_virtual_account("NT Service\\SQLAgent$PROD"));
        assert!(is_builtin_service_principal("NT SERVICE\\Winmgmt"));
        assert!(is_builtin_service_principal("NT AUTHORITY\\SYSTEM"));
        assert!(is_builtin_service_principal(
            "##MS_PolicyTsqlExecutionLogin##"
        ));
        assert!(!is_builtin_service_principal(
            "NT AUTHORITY\\Authenticated Users"
        ));
        assert!(!is_builtin_service_principal("CORP\\dba"));
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("AdventureWorks*", "adventureworks2019"));
        assert!(wildcard_match("*_test", "Sales_TEST"));
        assert!(wildcard_match("pubs", "PUBS"));
        assert!(wildcard_match("t?st*", "tést_x"));
        assert!(wildcard_match("t?st*", "tast"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a*b*c", "aXXbYYc"));
        assert!(!wildcard_match("test*", "contest"));
        assert!(!wildcard_match("pubs", "pubs2"));
        assert!(wildcard_match("Ω*", "ωmega"));
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1970-01-01"), Some(0));
        assert_eq!(parse_timestamp("1970-01-02 00:00:01"), Some(86_401));
        assert_eq!(
            parse_timestamp("2025-12-01T12:00:00.123"),
            parse_timestamp("2025-12-01 12:00:00")
        );
        assert_eq!(
            parse_timestamp("2024-03-01").unwrap() - parse_timestamp("2024-02-28").unwrap(),
            2 * 86_400
        );
        for bad in [
            "",
            "yesterday",
            "2025-13-01",
            "2025-12-01 25:00",
            "2025/12/01",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }
}
