//! X70 – databases are owned by sa or by a login the organisation lists (sp_Blitz 55, dbachecks
//! ValidDatabaseOwner / InvalidDatabaseOwner, VA1258, STIG SQL6-D0-003100 / SQLD-22-003100).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// The owner is dbo: whoever owns a database can do anything in it, and owns it still when
/// their job changes. A person's login as owner is also the usual first step of a path to
/// sysadmin (TRUSTWORTHY, EXECUTE AS OWNER).
pub const CHECK: Check = Check {
    id: CheckId::new("X70"),
    title: "Databases owned by sa or an approved owner",
    severity: Severity::Medium,
    rationale: "A database's owner is its dbo, with every right inside it, and the identity \
                EXECUTE AS OWNER code runs as. Owned by a person, the database keeps that person \
                in control after they change jobs, and breaks when their login is removed; owned \
                by a sysadmin individual, a TRUSTWORTHY database hands sysadmin to its db_owners. \
                The anchors disagree on the right owner (sp_Blitz wants sa, the STIG an owner the \
                organisation documents): sa (SID 0x01, whatever its name) and the logins in \
                `thresholds.allowed_database_owners` pass.",
    outcomes: Outcomes {
        pass: "user database owned by sa (SID 0x01) or a login in `thresholds.allowed_database_owners`",
        fail_or_warn: "WARN (medium): owned by another login; the message says when that login is a sysadmin or holds CONTROL SERVER",
        other: "UNKNOWN: databases unreadable, or the owner names no login (X69 judges that)",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        stig_2016: &["SQL6-D0-003100"],
        stig_2022: &["SQLD-22-003100"],
        va: &["VA1258"],
        dbachecks: &["ValidDatabaseOwner", "InvalidDatabaseOwner"],
        sp_blitz: &[55],
        ..References::NONE
    },
    reads: &[FactId::Databases],
    placement: &[on("database", Sheet::Databases)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per user database: owner SID 0x01 or an allowed login → PASS; another login → WARN (with its
/// server privilege when the role memberships were read); no owner login → UNKNOWN.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(databases) = gaps.take("databases", &s.databases) else {
        return gaps.only_unknown(check, s);
    };
    let judged_against = if policy.allowed_database_owners.is_empty() {
        "sa (SID 0x01)".to_owned()
    } else {
        format!(
            "sa (SID 0x01), {}",
            policy.allowed_database_owners.join(", ")
        )
    };
    let mut out = Vec::new();
    for db in databases.iter().filter(|d| !d.is_system()) {
        let draft = |status| {
            check
                .finding(status, "database", db.name.clone(), database_key(&db.name))
                .ev("owner", db.owner.as_deref().unwrap_or("(no login)"))
                .ev("judged_against", &judged_against)
        };
        let is_sa = db
            .owner_sid
            .as_deref()
            .is_some_and(|sid| sid.eq_ignore_ascii_case("0x01"));
        let finding = match db.owner.as_deref() {
            _ if is_sa => draft(Status::Pass).message(format!("Database `{}` is owned by sa.", db.name)),
            Some(owner) if policy.allowed_database_owners.iter().any(|a| same_name(a, owner)) => {
                draft(Status::Pass).message(format!(
                    "Database `{}` is owned by `{owner}`, an approved owner.",
                    db.name
                ))
            }
            Some(owner) => {
                let privilege = login_privilege(s, Some(owner), db.owner_sid.as_deref());
                draft(Status::Warn)
                    .ev("owner_privilege", privilege_evidence(&privilege))
                    .message(format!(
                        "Database `{}` is owned by `{owner}`{}, not by sa or an approved owner \
                         ({judged_against}). Change it (ALTER AUTHORIZATION ON DATABASE::[{}] TO \
                         [sa]) or add the login to thresholds.allowed_database_owners.",
                        db.name,
                        privilege.as_ref().ok().and_then(Option::as_ref).map_or_else(String::new, |p| format!(
                            ", a login with {p}: dbo of the database is that person, and if it is ever \
                             TRUSTWORTHY its db_owners become {p} too"
                        )),
                        db.name.replace(']', "]]")
                    ))
            }
            None => draft(Status::Unknown).message(format!(
                "The owner of database `{}` names no login the audit could see (X69 judges an owner that names no login).",
                db.name
            )),
        };
        out.push(finding.done());
    }
    check.pass_if_none(
        &mut out,
        s,
        format!("{} has no user database.", instance_name(s)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn owned_by_sa_passes_whatever_its_name() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(statuses(&f), [Status::Pass]);
        assert!(f[0].message.contains("owned by sa"));
    }

    #[test]
    fn a_sysadmin_individual_warns_and_an_approved_owner_passes() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.databases)[4];
        sales.owner = Some("CORP\\alice".into());
        sales.owner_sid = Some("0x0105AA".into());
        edit(&mut s.server_role_members).push(member("sysadmin", "CORP\\alice", "U"));
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Warn);
        assert_eq!(hit.evidence["owner_privilege"], "sysadmin");
        let mut p = policy();
        p.allowed_database_owners = vec!["corp\\ALICE".into()];
        let f = (CHECK.rule)(&CHECK, &s, &p);
        assert_eq!(statuses(&f), [Status::Pass]);
    }

    /// Server roles unread: the owner's privilege is "unknown", never "none".
    #[test]
    fn an_unread_privilege_is_said_to_be_unknown() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.databases)[4];
        sales.owner = Some("app_owner".into());
        sales.owner_sid = Some("0x0105AB".into());
        s.server_role_members = denied();
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Warn);
        assert_eq!(
            hit.evidence["owner_privilege"],
            "unknown (server role memberships not read)"
        );
    }

    #[test]
    fn no_owner_login_or_unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.databases)[4];
        sales.owner = None;
        sales.owner_sid = Some("0x0DEAD0".into());
        single(&run(&CHECK, &s), Status::Unknown);
        s.databases = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
