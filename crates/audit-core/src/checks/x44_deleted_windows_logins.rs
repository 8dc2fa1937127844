//! X44 – no Windows login whose account was deleted from Windows (sp_Blitz 2301).

use super::support::*;
use super::{Applicability, Check, Family, Outcomes, Policy, References, Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// A login for a Windows account that no longer exists keeps its rights (and its database
/// users) with nobody accountable for them, and a new account reusing the name does not
/// inherit it cleanly: such logins are clutter at best and a latent grant at worst.
pub const CHECK: Check = Check {
    id: CheckId::new("X44"),
    title: "No logins for deleted Windows accounts",
    severity: Severity::Medium,
    rationale: "sp_validatelogins lists the Windows users and groups that are mapped to logins but \
                no longer exist in Windows (deleted from Active Directory or the machine). Their \
                logins keep every right and database user they had, with nobody to answer for \
                them; sp_Blitz (2301) and dbachecks (ADUser) flag them. Drop each one (DROP LOGIN; \
                first DROP USER or ALTER AUTHORIZATION where it owns a database user or \
                securables). The procedure requires sysadmin or securityadmin: without either the \
                check is UNKNOWN. Windows only.",
    outcomes: Outcomes {
        pass: "one row: sp_validatelogins lists no login",
        fail_or_warn: "FAIL: each login sp_validatelogins lists (its Windows account or group no longer exists)",
        other: "UNKNOWN: the audit login is in neither sysadmin nor securityadmin, or the procedure failed; NOT APPLICABLE on Linux",
    },
    family: Family::Authentication,
    applies_to: Applicability::WINDOWS,
    references: References {
        dbachecks: &["ADUser"],
        sp_blitz: &[2301],
        ..References::NONE
    },
    reads: &[FactId::InvalidWindowsLogins],
    placement: &[on("login", Sheet::ServerLogins)],
    remediation: RemediationCategory::Caution,
    rule,
};

/// Each login sp_validatelogins lists → FAIL; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(invalid) = gaps.take("invalid_windows_logins", &s.invalid_windows_logins) else {
        return gaps.only_unknown(check, s);
    };
    if invalid.is_empty() {
        return vec![
            check
                .instance_finding(s, Status::Pass)
                .message(format!(
                    "Every Windows login of {} still resolves to a Windows account or group (sp_validatelogins lists none).",
                    instance_name(s)
                ))
                .done(),
        ];
    }
    invalid
        .iter()
        .map(|l| {
            let key = if l.sid.trim().is_empty() {
                entity_key("login", &["name", &l.name])
            } else {
                entity_key("login", &[l.sid.trim()])
            };
            check
                .finding(Status::Fail, "login", l.name.clone(), key)
                .ev("sid", &l.sid)
                .ev("source", "sp_validatelogins")
                .message(format!(
                    "Windows login `{}` (SID {}) belongs to an account or group that no longer exists in Windows: drop the login (DROP LOGIN), after its database users (DROP USER) and anything it owns (ALTER AUTHORIZATION).",
                    l.name, l.sid
                ))
                .done()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::InvalidWindowsLogin;

    #[test]
    fn none_listed_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
    }

    #[test]
    fn each_listed_login_fails_on_its_login_row() {
        let mut s = compliant_snapshot();
        s.invalid_windows_logins = Ok(vec![InvalidWindowsLogin {
            sid: "0x010500000000000515000000AB".to_owned(),
            name: "CORP\\leaver".to_owned(),
        }]);
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Fail);
        assert_eq!(hit.entity_key, "login:0x010500000000000515000000ab");
        assert!(hit.message.contains("CORP\\leaver"));
    }

    #[test]
    fn unknown_without_the_right_and_not_on_linux() {
        let mut s = compliant_snapshot();
        s.invalid_windows_logins = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
        const { assert!(CHECK.applies_to.windows_only) };
    }
}
