//! X27 – 'contained database authentication' off; contained databases reviewed.

use super::Outcomes;
use super::settings::{self, Setting};
use super::{Applicability, Check, Family, Policy, References};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// A contained database authenticates its own users with their own passwords: they escape the
/// server's logins, their policy and their auditing, and can reach other databases through the
/// guest account. The option must stay off unless contained databases are used on purpose.
pub const CHECK: Check = Check {
    id: CheckId::new("X27"),
    title: "Contained database authentication off; contained databases reviewed",
    severity: Severity::Medium,
    rationale: "With 'contained database authentication' on, users of a partially contained database \
                log in with a password stored in that database: they bypass the server's login \
                management, password policy and login auditing (STIG SQL6-D0-000100 / SQLD-22-000100). \
                The option should be 0; where contained databases are used deliberately, each is a \
                review item (sp_Blitz 141).",
    outcomes: Outcomes {
        pass: "`contained database authentication` = 0",
        fail_or_warn: "FAIL: the option is 1 and no database is contained (fix: set it to 0); WARN (low): 0 in use but 1 configured",
        other: "REVIEW: the option is 1 while contained databases exist (turning it off locks their users out), and one per contained (PARTIAL) database; UNKNOWN: configuration or databases unreadable",
    },
    family: Family::Authentication,
    applies_to: Applicability {
        since_major: Some(11),
        ..Applicability::ALL
    },
    references: References {
        stig_2016: &["SQL6-D0-000100"],
        stig_2022: &["SQLD-22-000100"],
        sp_blitz: &[141],
        ..References::NONE
    },
    reads: &[FactId::Configuration, FactId::Databases],
    placement: &[
        on("config", Sheet::Configuration),
        on("database", Sheet::Databases),
    ],
    remediation: RemediationCategory::Caution,
    rule,
};

const OPTION: [Setting; 1] = [Setting {
    name: "contained database authentication",
    required: 0,
    severity: Severity::Medium,
    since_major: 11,
    until_major: None,
    why: "contained users authenticate outside the server's logins",
}];

/// The option by [`settings::evaluate`]; with contained databases present a FAIL becomes a
/// REVIEW without fix, and each contained database is a REVIEW.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut out = settings::evaluate(check, s, &OPTION);
    // Turning the option off locks out the users of every contained database: where the
    // database list could not be read whole, no fix is offered, only a review.
    let hidden = s.databases.is_err()
        || s.unread
            .iter()
            .any(|u| u.facts.contains(&crate::snapshot::FactId::Databases));
    if hidden {
        for f in out.iter_mut().filter(|f| f.status == Status::Fail) {
            f.status = Status::Review;
            f.fix = None;
            f.remediation_category = RemediationCategory::Manual;
            f.message = format!(
                "{} Not every database could be read, so contained databases may exist: turning the option off would lock their contained users out; check first.",
                f.message
            );
        }
    }
    let Ok(databases) = &s.databases else {
        return out;
    };
    let contained: Vec<&str> = databases
        .iter()
        .filter(|d| {
            d.containment
                .as_deref()
                .is_some_and(|c| !c.eq_ignore_ascii_case("NONE"))
        })
        .map(|d| d.name.as_str())
        .collect();
    if contained.is_empty() {
        return out;
    }
    for f in out.iter_mut().filter(|f| f.status == Status::Fail) {
        f.status = Status::Review;
        f.fix = None;
        f.remediation_category = RemediationCategory::Manual;
        f.message = format!(
            "{} Contained databases exist ({}): turning it off would lock their contained users out; confirm they are approved.",
            f.message,
            contained.join(", ")
        );
        f.evidence
            .insert("contained_databases".to_owned(), contained.join(", "));
    }
    for d in databases
        .iter()
        .filter(|d| contained.contains(&d.name.as_str()))
    {
        out.push(
            check
                .finding(
                    Status::Review,
                    "database",
                    d.name.clone(),
                    entity_key("database", &[&d.name]),
                )
                .message(format!(
                    "Database `{}` is contained ({}): its contained users authenticate inside it, outside the server's login management; confirm it is approved and its users reviewed.",
                    d.name,
                    d.containment.as_deref().unwrap_or("")
                ))
                .ev("containment", d.containment.as_deref().unwrap_or(""))
                .done(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn option(s: &mut Snapshot, value: i64) {
        let row = edit(&mut s.configuration)
            .iter_mut()
            .find(|c| c.name == "contained database authentication")
            .unwrap();
        row.value = value;
        row.value_in_use = value;
    }

    #[test]
    fn off_passes_on_fails_with_its_fix() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(
            single(&f, Status::Pass).entity_key,
            "config:contained database authentication"
        );
        let mut s = compliant_snapshot();
        option(&mut s, 1);
        let f = run(&CHECK, &s);
        let f = single(&f, Status::Fail);
        assert_eq!(
            f.fix,
            Some(crate::Fix::SetConfiguration {
                option: "contained database authentication".to_owned(),
                required: 0
            })
        );
    }

    #[test]
    fn contained_databases_are_reviewed() {
        let mut s = compliant_snapshot();
        option(&mut s, 1);
        edit(&mut s.databases)[4].containment = Some("PARTIAL".to_owned());
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Review, Status::Review]);
        let opt = by_key(&f, "config:contained database authentication");
        assert_eq!(opt.fix, None);
        assert!(opt.message.contains("SalesDB"));
        assert!(by_key(&f, "database:salesdb").message.contains("PARTIAL"));
        // Option off: the contained database is still reviewed.
        option(&mut s, 0);
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Pass, Status::Review]);
    }

    #[test]
    fn unknown_when_unreadable_and_not_before_2012() {
        let mut s = compliant_snapshot();
        s.configuration = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
        assert_eq!(CHECK.applies_to.since_major, Some(11));
    }

    /// Without the database list the option is not scripted off: contained users could be
    /// locked out of databases the audit never saw.
    #[test]
    fn an_unreadable_database_list_turns_the_fail_into_a_review_without_fix() {
        let mut s = compliant_snapshot();
        option(&mut s, 1);
        s.databases = denied();
        let f = run(&CHECK, &s);
        let f = by_key(&f, "config:contained database authentication");
        assert_eq!(f.status, Status::Review, "{}", f.message);
        assert!(f.fix.is_none());
        assert!(f.message.contains("lock their contained users out"));
    }
}
