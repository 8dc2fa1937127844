//! R13 – no orphaned database users; guest disabled in user databases and model.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{DatabasePrincipal, FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// Orphaned users are unmanaged access waiting for a login with a matching SID; an enabled
/// guest lets every login into the database.
pub const CHECK: Check = Check {
    id: CheckId::new("R13"),
    title: "No orphaned users; guest disabled",
    severity: Severity::High,
    rationale: "A database user whose SID matches no login is orphaned: nobody manages it, and a login \
                created later with that SID (or name, after a remap) inherits its rights. Drop or remap \
                it. The guest user lets every login use a database; its CONNECT must be revoked in every \
                user database and in model, from which every new database inherits it (master, tempdb and msdb need it and are exempt).",
    outcomes: Outcomes {
        pass: "user mapped to a login; guest without CONNECT in a user database or model",
        fail_or_warn: "FAIL: orphaned user (no login has its SID); FAIL: guest has CONNECT in a user database or in model (remediation: SAFE)",
        other: "UNKNOWN: database users unreadable",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("3.2"), cis("3.3")],
        va: &["VA1043", "VA1244"],
        dbachecks: &["OrphanedUser", "GuestUserConnect"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[
        on("db_user", Sheet::OrphanedUsers),
        on("db_user", Sheet::DatabaseUsers),
    ],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per database user that should map to a login (types S/U/G with a real SID; not dbo, guest,
/// sys, INFORMATION_SCHEMA, `##…##`; not a user created WITHOUT LOGIN or a contained user):
/// mapped → PASS, no login → FAIL. Per user database: guest with CONNECT → FAIL (remediation
/// SAFE: REVOKE CONNECT), else PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details {
        let db = &d.database;
        for u in d.principals.iter().filter(|u| should_have_login(u)) {
            let draft = |status| {
                check
                    .finding(
                        status,
                        "db_user",
                        format!("{db}.{}", u.name),
                        entity_key("db_user", &[db, &u.name]),
                    )
                    .ev("database", db)
                    .ev("user", &u.name)
                    .ev("kind", &u.kind)
                    .ev("sid", u.sid.as_deref().unwrap_or("-"))
                    .ev(
                        "authentication_type",
                        u.authentication_type.as_deref().unwrap_or("not recorded"),
                    )
            };
            out.push(match &u.login {
                Some(login) => draft(Status::Pass)
                    .message(format!("User `{}` in `{db}` maps to login `{login}`.", u.name))
                    .ev("login", login)
                    .done(),
                None => draft(Status::Fail)
                    .fix(crate::Fix::DropOrphanedUser {
                        database: db.clone(),
                        user: u.name.clone(),
                    })
                    .message(format!(
                        "User `{}` in `{db}` is orphaned: no login has its SID{}. Drop it or remap it to a login.",
                        u.name,
                        if u.kind == "S" { "" } else { " (a Windows user may still connect through a group; verify)" }
                    ))
                    .done(),
            });
        }
        // master, tempdb and msdb need guest (CIS 3.2 exempts exactly these); model does not,
        // and every new database inherits model's guest (CIS 3.2; VA1144).
        if ["master", "tempdb", "msdb"]
            .iter()
            .any(|n| same_name(n, db))
        {
            continue;
        }
        if let Some(guest) = d.principals.iter().find(|u| same_name(&u.name, "guest")) {
            let draft = |status| {
                check
                    .finding(
                        status,
                        "db_user",
                        format!("{db}.guest"),
                        entity_key("db_user", &[db, "guest"]),
                    )
                    .ev("database", db)
                    .ev("guest_connect", yes_no(guest.can_connect))
            };
            out.push(if guest.can_connect {
                draft(Status::Fail)
                    .remediation(RemediationCategory::Safe)
                    .fix(crate::Fix::RevokeGuestConnect {
                        database: db.clone(),
                    })
                    .message(format!(
                        "guest is enabled in database `{db}`: every login can use it{}. REVOKE CONNECT FROM guest.",
                        if same_name(db, "model") { ", and every database created from now on inherits it" } else { "" }
                    ))
                    .done()
            } else {
                draft(Status::Pass).message(format!("guest is disabled in `{db}`.")).done()
            });
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!("{} has no database user to evaluate.", instance_name(s)),
    );
    out
}

/// Whether a database principal is a user that is meant to map to a login.
fn should_have_login(u: &DatabasePrincipal) -> bool {
    if !matches!(u.kind.as_str(), "S" | "U" | "G") || is_system_grantee(&u.name) {
        return false;
    }
    if ["dbo", "guest"].iter().any(|n| same_name(n, &u.name)) {
        return false;
    }
    let Some(sid) = u.sid.as_deref().map(str::trim) else {
        return false;
    };
    let hex = sid.trim_start_matches("0x").trim_start_matches("0X");
    if hex.len() <= 2 {
        return false;
    }
    match u
        .authentication_type
        .as_deref()
        .map(str::to_uppercase)
        .as_deref()
    {
        // WITHOUT LOGIN (NONE) and contained users (DATABASE) never had a login.
        Some("NONE") | Some("DATABASE") => false,
        Some(_) => true,
        // Before 2012: users created WITHOUT LOGIN get a SID of authority S-1-9-3.
        None => !hex.to_lowercase().starts_with("010500000000000903"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn sales_with(users: Vec<DatabasePrincipal>, guest_on: bool) -> Vec<Finding> {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.database_details)[4];
        sales.principals.extend(users);
        sales.principals[1].can_connect = guest_on;
        run(&CHECK, &s)
    }

    #[test]
    fn mapped_users_and_disabled_guest_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        assert!(f.iter().all(|f| f.status == Status::Pass), "{f:#?}");
        assert_eq!(by_key(&f, "db_user:salesdb/app_user").status, Status::Pass);
        assert_eq!(by_key(&f, "db_user:salesdb/guest").status, Status::Pass);
        // guest in master and msdb is required: no finding.
        assert!(f.iter().all(|f| f.entity_key != "db_user:master/guest"));
    }

    #[test]
    fn orphaned_users_fail() {
        let f = sales_with(
            vec![
                user("ghost", "S", "0x99887766", None),
                user("CORP\\left", "U", "0x0105000000000005150000FF", None),
            ],
            false,
        );
        let ghost = by_key(&f, "db_user:salesdb/ghost");
        assert_eq!(
            (ghost.status, ghost.severity),
            (Status::Fail, Severity::High)
        );
        assert_eq!(ghost.remediation_category, RemediationCategory::Review);
        assert!(ghost.message.contains("`ghost`") && ghost.message.contains("SalesDB"));
        assert!(
            by_key(&f, "db_user:salesdb/corp\\\\left")
                .message
                .contains("group")
        );
    }

    #[test]
    fn users_without_login_are_not_orphans() {
        let without_login = DatabasePrincipal {
            authentication_type: Some("NONE".to_owned()),
            ..user("signer", "S", "0x0105000000000009030000001234", None)
        };
        let contained = DatabasePrincipal {
            authentication_type: Some("DATABASE".to_owned()),
            ..user("contained", "S", "0x0106000000000009030000005678", None)
        };
        let legacy = DatabasePrincipal {
            authentication_type: None,
            ..user(
                "legacy_nologin",
                "S",
                "0x0105000000000009030000009999",
                None,
            )
        };
        let role = DatabasePrincipal {
            kind: "R".to_owned(),
            ..user("app_role", "R", "0x0105", None)
        };
        let cert = DatabasePrincipal {
            kind: "C".to_owned(),
            ..user("cert_user", "C", "0x0106AB", None)
        };
        let f = sales_with(vec![without_login, contained, legacy, role, cert], false);
        assert!(f.iter().all(|f| f.status == Status::Pass), "{f:#?}");
        assert_eq!(
            f.iter()
                .filter(|f| f.entity_key.starts_with("db_user:salesdb/"))
                .count(),
            2
        );
    }

    #[test]
    fn guest_enabled_in_user_database_fails_safe() {
        let f = sales_with(vec![], true);
        let g = by_key(&f, "db_user:salesdb/guest");
        assert_eq!((g.status, g.severity), (Status::Fail, Severity::High));
        assert_eq!(g.remediation_category, RemediationCategory::Safe);
        assert!(g.message.contains("SalesDB"));
    }

    /// CIS 3.2 exempts master, tempdb and msdb only: guest in model fails (B03).
    #[test]
    fn guest_enabled_in_model_fails_and_msdb_is_exempt() {
        let mut s = compliant_snapshot();
        let details = edit(&mut s.database_details);
        let model = details.iter_mut().find(|d| d.database == "model").unwrap();
        model.principals[1].can_connect = true;
        let f = run(&CHECK, &s);
        let g = by_key(&f, "db_user:model/guest");
        assert_eq!(g.status, Status::Fail);
        assert!(
            g.message
                .contains("every database created from now on inherits it")
        );
        assert_eq!(by_key(&f, "db_user:salesdb/guest").status, Status::Pass);
        assert!(f.iter().all(|f| f.entity_key != "db_user:msdb/guest"));
    }

    #[test]
    fn unknown_when_unreadable() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
