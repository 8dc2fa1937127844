//! X83 – database users for computer accounts (`DOMAIN\HOST$`) are reviewed (STIG
//! SQL6-D0-000400 / SQLI-22-004250).

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// X15 reviews computer-account logins; a contained database can hold a Windows user for a
/// computer account without any login, and a user can stay mapped after the login changed.
pub const CHECK: Check = Check {
    id: CheckId::new("X83"),
    title: "Computer-account database users reviewed",
    severity: Severity::Medium,
    rationale: "A Windows database user whose name ends in `$` is a computer account: every \
                service and administrator on that host acts as it, so its actions cannot be \
                traced to one person (STIG: only clearly unique Active Directory accounts). \
                Group managed service accounts end in `$` as well and are legitimate, so each \
                such user is identified and justified. X15 does the same for logins.",
    outcomes: Outcomes {
        pass: "one row: no Windows database user ends in `$`",
        fail_or_warn: "none: the rule asks for a review",
        other: "REVIEW (medium): each Windows user or group in a database whose name ends in `$`; UNKNOWN: the databases unreadable; NOT APPLICABLE on Linux",
    },
    family: Family::Authentication,
    applies_to: Applicability::WINDOWS,
    references: References {
        stig_2016: &["SQL6-D0-000400"],
        stig_2022: &["SQLI-22-004250"],
        ..References::NONE
    },
    reads: &[FactId::DatabaseDetails],
    placement: &[on("db_user", Sheet::DatabaseUsers)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per database user of type U or G whose name ends in `$` → REVIEW; none → one PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(details) = gaps.take("database_details", &s.database_details) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for d in details {
        for u in d
            .principals
            .iter()
            .filter(|u| matches!(u.kind.as_str(), "U" | "G") && u.name.trim_end().ends_with('$'))
        {
            out.push(
                check
                    .finding(
                        Status::Review,
                        "db_user",
                        format!("{}.{}", d.database, u.name),
                        entity_key("db_user", &[&d.database, &u.name]),
                    )
                    .ev("database", &d.database)
                    .ev("login", u.login.as_deref().unwrap_or("(none)"))
                    .message(format!(
                        "User `{}` in `{}` is a computer account or a group managed service account: \
                         find out which; a computer account stands for everything on that host and \
                         should be replaced by a service account or gMSA.",
                        u.name, d.database
                    ))
                    .done(),
            );
        }
    }
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "No database user of {} is a computer account.",
            instance_name(s)
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn none_passes() {
        single(&run(&CHECK, &compliant_snapshot()), Status::Pass);
    }

    #[test]
    fn a_computer_account_user_is_reviewed() {
        let mut s = compliant_snapshot();
        edit(&mut s.database_details)[4].principals.push(user(
            "CORP\\RPTSRV01$",
            "U",
            "0x0105",
            None,
        ));
        let f = run(&CHECK, &s);
        assert_eq!(
            single(&f, Status::Review).entity_key,
            "db_user:salesdb/corp\\\\rptsrv01$"
        );
    }

    #[test]
    fn unreadable_is_unknown() {
        let mut s = compliant_snapshot();
        s.database_details = denied();
        single(&run(&CHECK, &s), Status::Unknown);
    }
}
