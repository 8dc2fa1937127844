//! R07 – unused logins are disabled or removed.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, LoginInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// A login that can do nothing but connect is attack surface without purpose.
pub const CHECK: Check = Check {
    id: CheckId::new("R07"),
    title: "Unused logins disabled or removed",
    severity: Severity::Medium,
    rationale: "A login with no server role beyond public, no explicit server permission beyond CONNECT SQL \
                and no user in any database serves no purpose but can still log in (and read whatever \
                public and guest can). Unused logins should be disabled or dropped. System and service \
                logins (##...##, NT SERVICE\\..., NT AUTHORITY\\..., certificate- or key-mapped, sa) are \
                not evaluated.",
    outcomes: Outcomes {
        pass: "the login has a server role, a permission beyond CONNECT SQL, a database user or owns a database; or it is unused but disabled",
        fail_or_warn: "WARN: enabled, no server role beyond public, no permission beyond CONNECT SQL, no user in any database",
        other: "UNKNOWN: logins, memberships, permissions or database users unreadable; an enabled login unused in what was read while some databases could not be read",
    },
    family: Family::Authentication,
    applies_to: Applicability::ALL,
    references: References::NONE,
    reads: &[
        FactId::Logins,
        FactId::ServerRoleMembers,
        FactId::ServerPermissions,
        FactId::Databases,
        FactId::DatabaseDetails,
    ],
    placement: &[on("login", Sheet::ServerLogins)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per evaluated login: unused and enabled → WARN; unused but disabled → PASS (already done);
/// used → PASS saying how. Users in databases that could not be read (not online, or closed
/// to the audit login) cannot be seen: an enabled login with no use elsewhere is then UNKNOWN,
/// naming those databases.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let logins = gaps.take("logins", &s.logins);
    let members = gaps.take("server_role_members", &s.server_role_members);
    let permissions = gaps.take("server_permissions", &s.server_permissions);
    let details = gaps.take("database_details", &s.database_details);
    let (Some(logins), Some(members), Some(permissions), Some(details)) =
        (logins, members, permissions, details)
    else {
        return gaps.only_unknown(check, s);
    };
    let databases = s.databases.as_ref().ok();
    let mut unchecked: Vec<&str> = databases
        .map(|dbs| {
            dbs.iter()
                .filter(|db| !details.iter().any(|d| same_name(&d.database, &db.name)))
                .map(|db| db.name.as_str())
                .collect()
        })
        .unwrap_or_default();
    // Databases the audit login is not even shown (metadata visibility) may hold its users.
    if s.unread.iter().any(|u| {
        u.scope == crate::snapshot::Scope::HiddenRows
            && u.facts
                .iter()
                .any(|f| matches!(f, FactId::Databases | FactId::DatabaseDetails))
    }) {
        unchecked.push("those hidden from the audit login");
    }

    let mut out = Vec::new();
    for login in logins.iter().filter(|l| is_evaluated(l)) {
        let mut uses: Vec<String> = Vec::new();
        for m in members.iter().filter(|m| same_name(&m.member, &login.name)) {
            if !m.role.eq_ignore_ascii_case("public") {
                uses.push(format!("server role {}", m.role));
            }
        }
        for p in permissions
            .iter()
            .filter(|p| same_name(&p.grantee, &login.name))
        {
            if p.state.to_uppercase().starts_with("GRANT")
                && !p.permission.eq_ignore_ascii_case("CONNECT SQL")
            {
                uses.push(format!("permission {}", p.permission));
            }
        }
        for d in details {
            let mapped = d.principals.iter().any(|u| {
                u.sid.as_deref().is_some_and(|sid| {
                    same_name(sid.trim(), login.sid.trim()) && !login.sid.trim().is_empty()
                }) || u
                    .login
                    .as_deref()
                    .is_some_and(|l| same_name(l, &login.name))
            });
            if mapped {
                uses.push(format!("user in {}", d.database));
            }
        }
        for db in databases.into_iter().flatten() {
            if db
                .owner
                .as_deref()
                .is_some_and(|o| same_name(o, &login.name))
            {
                uses.push(format!("owner of {}", db.name));
            }
        }
        uses.dedup();
        let name = &login.name;
        let draft = |status| {
            check
                .finding(status, "login", name.clone(), login_key(login))
                .ev("sid", &login.sid)
                .ev("kind", &login.kind)
                .ev("disabled", yes_no(login.disabled))
                .ev("created", &login.created)
        };
        let finding = if !uses.is_empty() {
            draft(Status::Pass)
                .message(format!("Login `{name}` is used: {}.", uses.join(", ")))
                .ev("used_by", uses.join("; "))
                .done()
        } else if login.disabled {
            draft(Status::Pass)
                .message(format!(
                    "Login `{name}` has no role, permission or database user, and is disabled."
                ))
                .done()
        } else if !unchecked.is_empty() {
            // "Used nowhere" is a claim about every database; some were not read, so the
            // login may well be used there. Never a WARN (nor a fix) on that ground.
            draft(Status::Unknown)
                .message(format!(
                    "Login `{name}` has no server role beyond public, no permission beyond CONNECT SQL and no user in the databases read; {} database(s) could not be read ({}), so whether it is used there is unknown.",
                    unchecked.len(),
                    unchecked.join(", ")
                ))
                .ev("databases_not_checked", unchecked.join("; "))
                .done()
        } else {
            draft(Status::Warn)
                .fix(crate::Fix::DisableLogin {
                    login: name.clone(),
                })
                .message(format!(
                    "Login `{name}` is enabled but unused: no server role beyond public, no permission beyond CONNECT SQL, no user in any database. Disable or drop it."
                ))
                .done()
        };
        out.push(finding);
    }
    out
}

/// System and service logins are not judged: SQL Server and Windows services own them.
fn is_evaluated(login: &LoginInfo) -> bool {
    let lower = login.name.to_lowercase();
    login.principal_id != 1
        && !is_internal_name(&login.name)
        && !lower.starts_with("nt service\\")
        && !lower.starts_with("nt authority\\")
        && !matches!(login.kind.as_str(), "C" | "K")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn with_login(l: LoginInfo) -> (Snapshot, Vec<Finding>) {
        let mut s = compliant_snapshot();
        edit(&mut s.logins).push(l);
        let f = run(&CHECK, &s);
        (s, f)
    }

    #[test]
    fn used_logins_pass_and_system_logins_are_skipped() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(statuses(&f), [Status::Pass, Status::Pass]);
        let dba = by_key(&f, "login:0x0105000000000005150000000a");
        assert!(dba.message.contains("server role sysadmin"));
        let app = by_key(&f, "login:0xa1a1a1a1");
        assert!(app.message.contains("user in SalesDB"));
    }

    #[test]
    fn enabled_unused_login_warns() {
        let (_, f) = with_login(login("old_report", "0x0C0C", "S"));
        let f = by_key(&f, "login:0x0c0c");
        assert_eq!((f.status, f.severity), (Status::Warn, Severity::Medium));
        assert!(f.message.contains("`old_report`"));
    }

    #[test]
    fn disabled_unused_login_passes() {
        let (_, f) = with_login(LoginInfo {
            disabled: true,
            ..login("old_report", "0x0C0C", "S")
        });
        assert_eq!(by_key(&f, "login:0x0c0c").status, Status::Pass);
    }

    #[test]
    fn connect_sql_and_deny_do_not_count_but_other_grants_do() {
        let mut s = compliant_snapshot();
        edit(&mut s.logins).push(login("CORP\\mon", "0x0D0D", "U"));
        edit(&mut s.server_permissions).push(permission(
            "CORP\\mon",
            "CONNECT SQL",
            "GRANT",
            "SERVER",
        ));
        edit(&mut s.server_permissions).push(permission(
            "CORP\\mon",
            "VIEW SERVER STATE",
            "DENY",
            "SERVER",
        ));
        assert_eq!(
            by_key(&run(&CHECK, &s), "login:0x0d0d").status,
            Status::Warn
        );
        edit(&mut s.server_permissions).push(permission(
            "CORP\\mon",
            "VIEW SERVER STATE",
            "GRANT",
            "SERVER",
        ));
        assert_eq!(
            by_key(&run(&CHECK, &s), "login:0x0d0d").status,
            Status::Pass
        );
    }

    #[test]
    fn unread_databases_make_an_unused_login_unknown_not_a_warning() {
        let mut s = compliant_snapshot();
        edit(&mut s.logins).push(login("old_report", "0x0C0C", "S"));
        edit(&mut s.databases).push(crate::snapshot::DatabaseInfo {
            state: "OFFLINE".to_owned(),
            ..database("Archive", 9)
        });
        let f = run(&CHECK, &s);
        let f = by_key(&f, "login:0x0c0c");
        assert_eq!(f.status, Status::Unknown);
        assert!(f.message.contains("Archive"), "{}", f.message);
        assert_eq!(f.evidence["databases_not_checked"], "Archive");
        // The same when the database is online but closed to the audit login.
        let mut s = compliant_snapshot();
        edit(&mut s.logins).push(login("old_report", "0x0C0C", "S"));
        edit(&mut s.databases).push(database("HRDB", 9));
        s.unread.push(crate::snapshot::Unread {
            facts: vec![FactId::DatabaseDetails],
            scope: crate::snapshot::Scope::Database("HRDB".to_owned()),
            reason: crate::snapshot::UnreadReason::PermissionDenied,
            detail: "HAS_DBACCESS = 0".to_owned(),
        });
        let f = crate::checks::evaluate_one(&CHECK, &s, &policy());
        assert_eq!(by_key(&f, "login:0x0c0c").status, Status::Unknown);
        let hr = by_key(&f, "database:hrdb");
        assert_eq!(hr.status, Status::Unknown);
        assert!(hr.message.contains("HRDB") && hr.message.contains("CONNECT ANY DATABASE"));
    }

    #[test]
    fn unknown_without_database_users() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        let f = run(&CHECK, &s);
        assert!(
            single(&f, Status::Unknown)
                .message
                .contains("database_details")
        );
    }
}
