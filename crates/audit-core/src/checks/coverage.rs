//! The engine's half of "never a PASS the audit could not see": a rule judges what was read;
//! this turns what was not read into UNKNOWN findings, the same way for every check.
//!
//! - A fact group the check reads that is missing altogether: one UNKNOWN about the instance
//!   naming it (unless the rule already said so), and no PASS about the server as a whole.
//! - A fact group read only in part ([`Snapshot::unread`]): one UNKNOWN per unread part,
//!   keyed like that part's own row (`database:hrdb`, `service:browser`) and naming why and
//!   how to make it readable, and no PASS about the server as a whole.
//!
//! Findings about entities that were read are kept as the rule made them: a FAIL in a
//! readable database is still a FAIL.

use super::Check;
use super::support::{instance_key, instance_name, service_kind_key};
use crate::snapshot::{Scope, Snapshot};
use crate::{Finding, Status, entity_key};

/// Applies the rules above to `findings`, the output of `check`'s rule on `snapshot`.
pub(super) fn account_for_gaps(check: &Check, snapshot: &Snapshot, findings: &mut Vec<Finding>) {
    let missing: Vec<_> = check
        .reads
        .iter()
        .filter_map(|fact| snapshot.unavailable(*fact).map(|why| (*fact, why)))
        .collect();
    let unread: Vec<_> = snapshot.unread_of(check.reads).collect();
    if missing.is_empty() && unread.is_empty() {
        return;
    }
    let instance = instance_key();
    // "Nothing wrong anywhere" is a claim about everything, and not everything was read.
    findings.retain(|f| !(f.entity_key == instance && f.status == Status::Pass));

    if !missing.is_empty()
        && !findings
            .iter()
            .any(|f| f.entity_key == instance && f.status == Status::Unknown)
    {
        let reasons: Vec<String> = missing
            .iter()
            .map(|(fact, why)| format!("{fact} unavailable ({})", why.reason))
            .collect();
        let mut draft = check
            .instance_finding(snapshot, Status::Unknown)
            .message(format!(
                "{} could not be evaluated on {}: {}.",
                check.id,
                instance_name(snapshot),
                reasons.join("; ")
            ));
        for (fact, why) in &missing {
            draft = draft.ev(&format!("unavailable.{fact}"), &why.reason);
        }
        findings.push(draft.done());
    }

    let login = &snapshot.connection.login;
    for gap in unread {
        let (entity_type, entity, key) = match &gap.scope {
            Scope::Database(name) => ("database", name.clone(), entity_key("database", &[name])),
            Scope::Service(kind) => (
                "service",
                kind.display_name().to_owned(),
                service_kind_key(*kind),
            ),
            Scope::HiddenRows => (
                super::support::INSTANCE,
                instance_name(snapshot),
                instance.clone(),
            ),
        };
        // The rule may already have judged this entity from other facts (a database's options
        // are readable when its contents are not): that verdict stands, with the gap noted.
        if let Some(existing) = findings.iter_mut().find(|f| f.entity_key == key) {
            if existing.status == Status::Pass {
                existing.status = Status::Unknown;
                existing.severity = check.severity;
                existing.remediation_category = crate::RemediationCategory::Manual;
                existing.fix = None;
                existing.message = format!(
                    "{} Not fully evaluated: {}.",
                    existing.message,
                    gap.describe(login)
                );
            }
            existing
                .evidence
                .insert("unread".to_owned(), gap.describe(login));
            continue;
        }
        let facts: Vec<&str> = gap
            .facts
            .iter()
            .filter(|f| check.reads.contains(f))
            .map(|f| f.as_str())
            .collect();
        let finding = check
            .finding(Status::Unknown, entity_type, entity.clone(), key)
            .message(format!(
                "{}: {} could not evaluate it: {}.",
                entity,
                check.id,
                gap.describe(login)
            ))
            .ev("unread", gap.describe(login))
            .ev("unread_facts", facts.join(", "))
            .ev("reason", gap.reason.as_str())
            .done();
        findings.push(finding);
    }
}
