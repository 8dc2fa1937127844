//! X15 – Windows logins for computer accounts (`DOMAIN\HOST$`) are reviewed.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// The STIG wants every login to identify one person or one service (non-repudiation): a
/// computer account stands for every service and user acting as that machine. Group managed
/// service accounts end in `$` too and are the recommended way to run services, so each such
/// login is a REVIEW, not a FAIL.
pub const CHECK: Check = Check {
    id: CheckId::new("X15"),
    title: "Computer-account logins reviewed",
    severity: Severity::Medium,
    rationale: "A Windows login whose name ends in `$` is a computer account (DOMAIN\\HOST$): anything \
                running as LocalSystem or NetworkService on that host — every service, any local \
                administrator — connects as it, so its actions cannot be traced to one person or \
                service (STIG: only clearly unique Active Directory accounts). Group managed service \
                accounts (gMSA) are named with a trailing `$` as well and are legitimate: each such \
                login must be identified and justified.",
    outcomes: Outcomes {
        pass: "one row: no Windows login ends in `$`",
        fail_or_warn: "–",
        other: "REVIEW: each Windows login ending in `$` (computer account or gMSA); UNKNOWN: the logins could not be read; NOT APPLICABLE on Linux",
    },
    family: Family::Authentication,
    applies_to: Applicability::WINDOWS,
    references: References {
        stig_2016: &["SQL6-D0-004200"],
        stig_2022: &["SQLI-22-004200"],
        ..References::NONE
    },
    reads: &[FactId::Logins],
    placement: &[on("login", Sheet::ServerLogins)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per Windows login (user or group) whose name ends in `$` → REVIEW. None → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(logins) = gaps.take("logins", &s.logins) else {
        return gaps.only_unknown(check, s);
    };
    let out: Vec<Finding> = logins
        .iter()
        .filter(|l| (l.kind == "U" || l.kind == "G") && l.name.trim_end().ends_with('$'))
        .map(|l| {
            check
                .finding(Status::Review, "login", l.name.clone(), login_key(l))
                .message(format!(
                    "Windows login `{}` is a computer account or a group managed service account: if it is a computer, everything running as that machine connects as it; identify it and justify it, or replace it with a dedicated service account.",
                    l.name
                ))
                .ev("sid", &l.sid)
                .ev("kind", &l.kind)
                .ev("disabled", yes_no(l.disabled))
                .done()
        })
        .collect();
    if out.is_empty() {
        return vec![
            check
                .instance_finding(s, Status::Pass)
                .message(format!(
                    "{} has no Windows login for a computer account.",
                    instance_name(s)
                ))
                .done(),
        ];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn no_computer_account_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
    }

    #[test]
    fn computer_accounts_and_gmsas_are_reviewed_sql_logins_not() {
        let mut s = compliant_snapshot();
        let logins = edit(&mut s.logins);
        logins.push(login("CORP\\APPSRV01$", "0x0F01", "U"));
        logins.push(login("CORP\\gmsa_sql$", "0x0F02", "U"));
        logins.push(login("odd$", "0x0F03", "S"));
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Review, Status::Review]);
        let host = by_key(&f, "login:0x0f01");
        assert_eq!(host.severity, Severity::Medium);
        assert!(host.message.contains("CORP\\APPSRV01$"));
    }

    #[test]
    fn unreadable_logins_are_unknown() {
        let mut s = compliant_snapshot();
        s.logins = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
