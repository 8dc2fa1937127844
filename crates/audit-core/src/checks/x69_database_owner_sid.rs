//! X69 – each database's owner SID names a login, and its dbo user carries that SID
//! (sp_Blitz 213, Vulnerability Assessment VA1245).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// An owner that names no login, or a dbo that maps to someone else than the owner, is what a
/// restore or attach from another server leaves behind: nobody is accountable for the
/// database, and whoever later gets that SID owns it.
pub const CHECK: Check = Check {
    id: CheckId::new("X69"),
    title: "Database owner resolves to a login and matches dbo",
    severity: Severity::Medium,
    rationale: "sys.databases.owner_sid says who owns a database; the database's own dbo user \
                carries a SID too. After a restore or attach from another server the owner can \
                name no login here, and dbo can map to a different SID than the owner: the \
                database is then owned by nobody accountable, EXECUTE AS OWNER and TRUSTWORTHY \
                code run as an unknown identity, and a login created later with that SID owns \
                it. Set the owner explicitly (ALTER AUTHORIZATION ON DATABASE::… TO …).",
    outcomes: Outcomes {
        pass: "owner SID names a login and dbo carries the same SID (per database)",
        fail_or_warn: "FAIL (medium): the owner SID names no login; FAIL: dbo's SID differs from the owner's",
        other: "UNKNOWN: databases unreadable, the owner SID not read, or logins hidden from the audit login",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        va: &["VA1245"],
        sp_blitz: &[213],
        ..References::NONE
    },
    reads: &[FactId::Databases, FactId::DatabaseDetails],
    placement: &[on("database", Sheet::Databases)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per online database except tempdb: owner unresolved → FAIL (UNKNOWN when logins are hidden);
/// dbo's SID (when its principals were read) differs from owner_sid → FAIL; else PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(databases) = gaps.take("databases", &s.databases) else {
        return gaps.only_unknown(check, s);
    };
    let details = s.database_details.as_ref().ok();
    let hidden = hidden_rows(s, FactId::Logins);
    let mut out = Vec::new();
    for db in databases.iter().filter(|d| !same_name(&d.name, "tempdb")) {
        let dbo_sid = details
            .and_then(|d| d.iter().find(|d| d.database == db.name))
            .and_then(|d| d.principals.iter().find(|p| p.principal_id == 1))
            .and_then(|p| p.sid.clone());
        let draft = |status| {
            check
                .finding(status, "database", db.name.clone(), database_key(&db.name))
                .ev("owner", db.owner.as_deref().unwrap_or("(no login)"))
                .ev("owner_sid", or_unknown(db.owner_sid.as_deref()))
                .ev("dbo_sid", or_unknown(dbo_sid.as_deref()))
        };
        let Some(owner_sid) = db.owner_sid.as_deref() else {
            out.push(
                draft(Status::Unknown)
                    .message(format!(
                        "The owner SID of database `{}` was not read (a snapshot stored before it was collected).",
                        db.name
                    ))
                    .done(),
            );
            continue;
        };
        // SUSER_SNAME resolves a Windows SID even when no login has it: the owner then names
        // an account, not a login. Judged against the logins when they were all read.
        let owner =
            db.owner
                .as_ref()
                .filter(|_| match (s.logins.as_deref().ok(), hidden.is_some()) {
                    (Some(logins), false) => {
                        logins.iter().any(|l| l.sid.eq_ignore_ascii_case(owner_sid))
                    }
                    _ => true,
                });
        let finding = match (owner, &dbo_sid) {
            (None, _) if hidden.is_some() => draft(Status::Unknown).message(format!(
                "Database `{}` is owned by SID {owner_sid}, which names no login visible to the audit: {}.",
                db.name,
                hidden.as_deref().unwrap_or_default()
            )),
            (None, _) => draft(Status::Fail).message(format!(
                "Database `{}` is owned by SID {owner_sid}{}, which names no login (restored or \
                 attached from another server, or its owner was dropped). Give it an accountable \
                 owner: ALTER AUTHORIZATION ON DATABASE::[{}] TO [sa].",
                db.name,
                db.owner
                    .as_deref()
                    .map_or_else(String::new, |n| format!(" (the Windows account `{n}`)")),
                db.name.replace(']', "]]")
            )),
            (Some(owner), Some(dbo)) if !dbo.eq_ignore_ascii_case(owner_sid) => {
                draft(Status::Fail).message(format!(
                    "The dbo user of database `{}` carries SID {dbo}, not the owner `{owner}`'s {owner_sid} \
                     (restored or attached from another server): code that runs as dbo or as the \
                     owner runs as someone else. Set the owner again: ALTER AUTHORIZATION ON \
                     DATABASE::[{}] TO [{}].",
                    db.name,
                    db.name.replace(']', "]]"),
                    owner.replace(']', "]]")
                ))
            }
            (Some(owner), Some(_)) => draft(Status::Pass).message(format!(
                "Database `{}` is owned by `{owner}`, and dbo carries its SID.",
                db.name
            )),
            // The owner resolves, but dbo's SID was not read: half the rule is unseen.
            (Some(owner), None) => draft(Status::Unknown).message(format!(
                "Database `{}` is owned by `{owner}`; whether its dbo carries that SID was not read: \
                 the database's principals are not readable by the audit login.",
                db.name
            )),
        };
        out.push(finding.done());
    }
    check.pass_if_none(
        &mut out,
        s,
        format!("{} has no database to evaluate.", instance_name(s)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn owned_by_sa_with_matching_dbo_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert!(f.iter().all(|f| f.status == Status::Pass), "{f:#?}");
    }

    #[test]
    fn unknown_owner_and_foreign_dbo_fail() {
        let mut s = compliant_snapshot();
        let dbs = edit(&mut s.databases);
        dbs[4].owner = None;
        dbs[4].owner_sid = Some("0x0DEAD0".into());
        dbs[2].owner_sid = Some("0x01".into());
        edit(&mut s.database_details)[2].principals[0].sid = Some("0x0BEEF0".into());
        let f = run(&CHECK, &s);
        assert_eq!(by_key(&f, "database:salesdb").status, Status::Fail);
        let model = by_key(&f, "database:model");
        assert_eq!(model.status, Status::Fail);
        assert!(model.message.contains("0x0BEEF0"));
    }

    /// A Windows account that owns a database without having a login: SUSER_SNAME names
    /// it, the logins do not.
    #[test]
    fn an_owner_without_a_login_fails_even_when_its_name_resolves() {
        let mut s = compliant_snapshot();
        let sales = &mut edit(&mut s.databases)[4];
        sales.owner = Some("CORP\\old_dba".into());
        sales.owner_sid = Some("0x0105FF".into());
        edit(&mut s.database_details)[4].principals[0].sid = Some("0x0105FF".into());
        let f = run(&CHECK, &s);
        let hit = by_key(&f, "database:salesdb");
        assert_eq!(hit.status, Status::Fail);
        assert!(hit.message.contains("Windows account"));
    }

    #[test]
    fn unread_or_hidden_is_unknown() {
        let mut s = compliant_snapshot();
        edit(&mut s.databases)[4].owner_sid = None;
        let f = run(&CHECK, &s);
        assert_eq!(by_key(&f, "database:salesdb").status, Status::Unknown);
        // Owner resolved, dbo not read: UNKNOWN, not a PASS about half the rule.
        edit(&mut s.databases)[4].owner_sid = Some("0x01".into());
        edit(&mut s.database_details).retain(|d| d.database != "SalesDB");
        let f = run(&CHECK, &s);
        assert_eq!(by_key(&f, "database:salesdb").status, Status::Unknown);
        s.databases = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
