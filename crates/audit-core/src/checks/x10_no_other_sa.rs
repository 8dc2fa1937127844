//! X10 – no login other than the built-in principal_id 1 is called `sa`.

use super::support::*;
use super::{Applicability, Check, Family, Outcomes, Policy, References, Sheet, cis, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// Renaming the built-in `sa` (R04) is undone in spirit when another login takes the name:
/// password guessing aims at `sa` first, whoever holds it now.
pub const CHECK: Check = Check {
    id: CheckId::new("X10"),
    title: "No other login named sa",
    severity: Severity::Medium,
    rationale: "Once the built-in sa login (principal_id 1) is renamed, no other login may be created \
                under the name `sa`: attackers and scanners try that name first, and a new `sa` with \
                a weak password or broad rights undoes the rename. Evaluated from the login list on \
                every version.",
    outcomes: Outcomes {
        pass: "one row: no login but principal_id 1 is called `sa`",
        fail_or_warn: "FAIL (medium): each other login named `sa` (any case), with its type, state and creation date",
        other: "UNKNOWN: the login list, or part of it (metadata visibility), could not be read",
    },
    family: Family::Authentication,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("2.16")],
        stig_2016: &["SQL6-D0-016300"],
        stig_2022: &["SQLI-22-016300"],
        dbachecks: &["SaExist"],
        ..References::NONE
    },
    reads: &[FactId::Logins],
    placement: &[on("login", Sheet::ServerLogins)],
    remediation: RemediationCategory::Review,
    rule,
};

/// Per login named `sa` whose principal_id is not 1 → FAIL; none → one PASS for the instance.
/// No fix is scripted: renaming or dropping someone's login is a decision for a person.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(logins) = gaps.take("logins", &s.logins) else {
        return gaps.only_unknown(check, s);
    };
    let mut out: Vec<Finding> = logins
        .iter()
        .filter(|l| l.principal_id != 1 && same_name(&l.name, "sa"))
        .map(|l| {
            check
                .finding(Status::Fail, "login", l.name.clone(), login_key(l))
                .message(format!(
                    "Login `{}` (principal_id {}) carries the name of the built-in sa account: rename or drop it, and keep principal_id 1 renamed and disabled.",
                    l.name, l.principal_id
                ))
                .ev("principal_id", l.principal_id)
                .ev("sid", &l.sid)
                .ev("kind", &l.kind)
                .ev("disabled", yes_no(l.disabled))
                .ev("created", &l.created)
                .done()
        })
        .collect();
    check.pass_if_none(
        &mut out,
        s,
        format!(
            "No login on {} other than the built-in principal_id 1 is named sa.",
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
    fn the_renamed_builtin_alone_passes() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(single(&f, Status::Pass).entity_key, "instance:");
    }

    #[test]
    fn another_login_named_sa_fails_in_any_case() {
        let mut s = compliant_snapshot();
        let mut impostor = login("SA", "0x5A5A", "S");
        impostor.principal_id = 412;
        edit(&mut s.logins).push(impostor);
        let f = run(&CHECK, &s);
        let hit = single(&f, Status::Fail);
        assert_eq!(hit.entity_key, "login:0x5a5a");
        assert_eq!(hit.severity, Severity::Medium);
        assert!(hit.message.contains("`SA`") && hit.message.contains("412"));
        assert_eq!(hit.fix, None);
    }

    #[test]
    fn the_builtin_still_called_sa_is_r04s_business() {
        let mut s = compliant_snapshot();
        edit(&mut s.logins)
            .iter_mut()
            .filter(|l| l.principal_id == 1)
            .for_each(|l| l.name = "sa".to_owned());
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Pass]);
    }

    #[test]
    fn unknown_when_the_logins_are_unreadable() {
        let mut s = compliant_snapshot();
        s.logins = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
