//! X06 – audit trace settings: the default trace on; C2 and Common Criteria shown.

use super::Outcomes;
use super::settings::{self, Setting};
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// The default trace records security-relevant events (logins created, permissions changed)
/// that investigations rely on; it must stay on.
pub const CHECK: Check = Check {
    id: CheckId::new("X06"),
    title: "Default trace enabled; C2 / Common Criteria shown",
    severity: Severity::Medium,
    rationale: "The default trace records object and security changes (logins, role memberships, \
                permissions, failed logins) and costs almost nothing; it must be enabled. C2 audit mode \
                (deprecated) and Common Criteria compliance are shown for the record: both are legitimate \
                choices with performance and storage costs.",
    outcomes: Outcomes {
        pass: "`default trace enabled` = 1",
        fail_or_warn: "as R10",
        other: "INFO: `c2 audit mode`, and `common criteria compliance enabled` (2012+) unless `thresholds.require_common_criteria` is true: then it is judged like the default trace (required 1, medium)",
    },
    family: Family::Auditing,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("5.2")],
        stig_2016: &["SQL6-D0-009800"],
        stig_2022: &["SQLI-22-009800"],
        va: &["VA1045"],
        dbachecks: &["DefaultTrace"],
        sp_blitz: &[1010],
    },
    reads: &[FactId::Configuration],
    placement: &[on("config", Sheet::Configuration)],
    remediation: RemediationCategory::Safe,
    rule,
};

/// `default trace enabled` must be 1 in use.
const DEFAULT_TRACE: [Setting; 1] = [Setting {
    name: "default trace enabled",
    required: 1,
    severity: Severity::Medium,
    since_major: 10,
    until_major: None,
    why: "security changes would go unrecorded",
}];

/// Informational options (name, first major version that has it).
const SHOWN: [(&str, u16); 2] = [
    ("c2 audit mode", 10),
    ("common criteria compliance enabled", 11),
];

/// `common criteria compliance enabled` = 1 when the organisation requires it (STIG
/// SQL6-D0-009800 / SQLI-22-009800: residual information protection, which this option turns on).
const COMMON_CRITERIA: [Setting; 1] = [Setting {
    name: "common criteria compliance enabled",
    required: 1,
    severity: Severity::Medium,
    since_major: 11,
    until_major: None,
    why: "the organisation requires Common Criteria compliance (residual information protection, login statistics)",
}];

/// Default trace by [`settings::evaluate`] (PASS / FAIL / WARN when pending); Common Criteria
/// compliance the same way when `policy.require_common_criteria`; otherwise it and C2 audit
/// mode as INFO rows with their value in use.
fn rule(check: &Check, s: &Snapshot, policy: &Policy) -> Vec<Finding> {
    let mut out = settings::evaluate(check, s, &DEFAULT_TRACE);
    let Ok(rows) = &s.configuration else {
        return out;
    };
    if policy.require_common_criteria {
        out.extend(
            settings::evaluate(check, s, &COMMON_CRITERIA)
                .into_iter()
                .map(|mut f| {
                    f.evidence.insert(
                        "judged_against".to_owned(),
                        "thresholds.require_common_criteria = true".to_owned(),
                    );
                    f
                }),
        );
    }
    for (name, since) in SHOWN {
        if s.server.version.major < since {
            continue;
        }
        if policy.require_common_criteria && name == COMMON_CRITERIA[0].name {
            continue;
        }
        let Some(row) = rows.iter().find(|r| r.name.eq_ignore_ascii_case(name)) else {
            continue;
        };
        out.push(
            check
                .finding(
                    Status::Info,
                    "config",
                    row.name.clone(),
                    entity_key("config", &[name]),
                )
                .message(format!(
                    "`{}` is {} ({}).",
                    row.name,
                    row.value_in_use,
                    if row.value_in_use == 0 { "off" } else { "on" }
                ))
                .ev("value_in_use", row.value_in_use)
                .ev("configured_value", row.value)
                .ev("dynamic", yes_no(row.dynamic))
                .done(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn default_trace_on_passes_and_c2_is_info() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(
            by_key(&f, "config:default trace enabled").status,
            Status::Pass
        );
        assert_eq!(by_key(&f, "config:c2 audit mode").status, Status::Info);
        assert_eq!(
            by_key(&f, "config:common criteria compliance enabled").status,
            Status::Info
        );
    }

    #[test]
    fn default_trace_off_fails_and_pending_warns() {
        let mut s = compliant_snapshot();
        let row = edit(&mut s.configuration)
            .iter_mut()
            .find(|c| c.name == "default trace enabled")
            .unwrap();
        row.value_in_use = 0;
        row.value = 0;
        let f = run(&CHECK, &s);
        let t = by_key(&f, "config:default trace enabled");
        assert_eq!((t.status, t.severity), (Status::Fail, Severity::Medium));
        assert!(t.message.contains("default trace enabled"));
        let row = edit(&mut s.configuration)
            .iter_mut()
            .find(|c| c.name == "default trace enabled")
            .unwrap();
        row.value_in_use = 1;
        assert_eq!(
            by_key(&run(&CHECK, &s), "config:default trace enabled").status,
            Status::Warn
        );
    }

    #[test]
    fn common_criteria_is_judged_when_required() {
        let mut p = policy();
        p.require_common_criteria = true;
        let s = compliant_snapshot();
        let f = (CHECK.rule)(&CHECK, &s, &p);
        let cc = by_key(&f, "config:common criteria compliance enabled");
        assert_eq!((cc.status, cc.severity), (Status::Fail, Severity::Medium));
        assert_eq!(
            cc.evidence["judged_against"],
            "thresholds.require_common_criteria = true"
        );
        assert_eq!(by_key(&f, "config:c2 audit mode").status, Status::Info);
        let mut s = compliant_snapshot();
        let row = edit(&mut s.configuration)
            .iter_mut()
            .find(|c| c.name == "common criteria compliance enabled")
            .unwrap();
        row.value = 1;
        row.value_in_use = 1;
        let f = (CHECK.rule)(&CHECK, &s, &p);
        assert_eq!(
            by_key(&f, "config:common criteria compliance enabled").status,
            Status::Pass
        );
    }

    #[test]
    fn unknown_when_configuration_unreadable() {
        let mut s = compliant_snapshot();
        s.configuration = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
