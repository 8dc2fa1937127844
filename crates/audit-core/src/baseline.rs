//! Comparing a result with its approved baseline (the rule behind [`crate::Standing::Baselined`]
//! and [`crate::Standing::Drift`]). A baseline approves one check on one server as a whole: every
//! entity it reported, each with its status and the facts that decided it. A later result
//! matches when its entity was approved with the same status and the same facts; anything else
//! is drift, said in words (`new since the baseline`, `status REVIEW → FAIL`, `members: a, b →
//! a, b, c`).

use std::collections::BTreeMap;

use crate::{Finding, Status};

/// An approved result, as [`compare`] needs it.
#[derive(Debug, Clone, Copy)]
pub struct Approved<'a> {
    /// Its status when approved.
    pub status: Status,
    /// Its facts when approved.
    pub evidence: &'a BTreeMap<String, String>,
}

/// How `finding` compares with what was approved for its entity (`None`: the entity was not in
/// the baseline). `Ok` when it matches; otherwise what changed.
pub fn compare(approved: Option<Approved<'_>>, finding: &Finding) -> Result<(), String> {
    let Some(approved) = approved else {
        return Err("new since the baseline".to_owned());
    };
    if approved.status != finding.status {
        return Err(format!(
            "status {} \u{2192} {} since the baseline",
            approved.status, finding.status
        ));
    }
    let mut changes = Vec::new();
    for (key, now) in &finding.evidence {
        match approved.evidence.get(key) {
            Some(then) if then == now => {}
            Some(then) => changes.push(format!("{key}: {} \u{2192} {}", short(then), short(now))),
            None => changes.push(format!("{key}: (none) \u{2192} {}", short(now))),
        }
    }
    for (key, then) in approved.evidence {
        if !finding.evidence.contains_key(key) {
            changes.push(format!("{key}: {} \u{2192} (none)", short(then)));
        }
    }
    if changes.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "facts changed since the baseline: {}",
            changes.join("; ")
        ))
    }
}

/// A value as a drift message quotes it: at most 80 characters.
fn short(value: &str) -> String {
    if value.chars().count() <= 80 {
        value.to_owned()
    } else {
        let cut: String = value.chars().take(77).collect();
        format!("{cut}\u{2026}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CheckId, RemediationCategory, Severity};

    fn finding(status: Status, evidence: &[(&str, &str)]) -> Finding {
        Finding {
            check_id: "R08".parse::<CheckId>().unwrap(),
            status,
            severity: Severity::High,
            entity_type: "login".into(),
            entity: "app".into(),
            entity_key: "login:0x01".into(),
            message: "m".into(),
            evidence: evidence
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            remediation_category: RemediationCategory::Review,
            fix: None,
        }
    }

    #[test]
    fn a_result_matches_only_with_the_same_status_and_facts() {
        let then = finding(Status::Review, &[("roles", "sysadmin")]);
        let approved = Approved {
            status: then.status,
            evidence: &then.evidence,
        };
        assert_eq!(compare(Some(approved), &then), Ok(()));
        assert_eq!(compare(None, &then).unwrap_err(), "new since the baseline");
        let worse = finding(Status::Fail, &[("roles", "sysadmin")]);
        assert!(
            compare(Some(approved), &worse)
                .unwrap_err()
                .contains("REVIEW \u{2192} FAIL")
        );
        let more = finding(
            Status::Review,
            &[("roles", "sysadmin, securityadmin"), ("x", "1")],
        );
        let drift = compare(Some(approved), &more).unwrap_err();
        assert!(
            drift.contains("roles: sysadmin \u{2192} sysadmin, securityadmin"),
            "{drift}"
        );
        assert!(drift.contains("x: (none) \u{2192} 1"), "{drift}");
        let long = "a".repeat(200);
        let changed = finding(Status::Review, &[("roles", &long)]);
        assert!(compare(Some(approved), &changed).unwrap_err().len() < 200);
    }
}
