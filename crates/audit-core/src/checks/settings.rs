//! The one rule of every `sys.configurations` check (R10, R16, R18, R20, X04, X06, X11): the value in
//! use decides; a configured value that differs from it is pending and is said so.

use super::Check;
use super::support::Gaps;
use crate::snapshot::Snapshot;
use crate::{Finding, Severity, Status, entity_key};

/// One `sp_configure` option and the value the baseline requires.
pub(crate) struct Setting {
    /// The option's name in `sys.configurations`.
    pub name: &'static str,
    /// The value it must have in use.
    pub required: i64,
    /// Severity when the value in use is not the required one.
    pub severity: Severity,
    /// First major version that has the option (older versions: not applicable, no finding).
    pub since_major: u16,
    /// Last major version that has it, for an option Microsoft removed (`SQL Mail XPs`: 10,
    /// gone in 2012); `None` while it exists. Missing on a later version: no finding.
    pub until_major: Option<u16>,
    /// Why it matters, in a few words for the message.
    pub why: &'static str,
}

impl Setting {
    /// Whether SQL Server of this major version has the option in `sys.configurations`.
    pub(crate) fn exists_on(&self, major: u16) -> bool {
        major >= self.since_major && self.until_major.is_none_or(|until| major <= until)
    }
}

/// Evaluates each setting: value in use = required and configured = required → PASS; in use
/// = required but a different value configured → WARN (it changes at the next RECONFIGURE or
/// restart); in use ≠ required → FAIL with the setting's severity, saying when the right value
/// is already configured and only pending. An option missing on a version that should have it
/// is UNKNOWN; one missing on a version outside its range gives no finding (present anyway, it is
/// judged).
pub(crate) fn evaluate(check: &Check, s: &Snapshot, settings: &[Setting]) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(rows) = gaps.take("configuration", &s.configuration) else {
        return gaps.only_unknown(check, s);
    };
    let mut out = Vec::new();
    for setting in settings {
        let key = entity_key("config", &[setting.name]);
        let row = rows
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(setting.name));
        let Some(row) = row else {
            if setting.exists_on(s.server.version.major) {
                out.push(
                    check
                        .finding(Status::Unknown, "config", setting.name, key)
                        .message(format!(
                            "`{}` is not in sys.configurations on this SQL Server {}; it cannot be evaluated.",
                            setting.name, s.server.version
                        ))
                        .ev("required", setting.required)
                        .done(),
                );
            }
            continue;
        };
        let pending = if row.dynamic {
            "pending RECONFIGURE"
        } else {
            "pending restart"
        };
        let draft = |status| {
            check
                .finding(status, "config", row.name.clone(), key.clone())
                .ev("value_in_use", row.value_in_use)
                .ev("configured_value", row.value)
                .ev("required", setting.required)
                .ev("dynamic", super::support::yes_no(row.dynamic))
                .fix(crate::Fix::SetConfiguration {
                    option: row.name.clone(),
                    required: setting.required,
                })
        };
        let finding = if row.value_in_use == setting.required && row.value == setting.required {
            draft(Status::Pass)
                .message(format!(
                    "`{}` is {} as required.",
                    row.name, row.value_in_use
                ))
                .done()
        } else if row.value_in_use == setting.required {
            draft(Status::Warn)
                .severity(Severity::Low)
                .message(format!(
                    "`{}` is {} in use as required, but {} is configured ({pending}): it will become non-compliant ({}).",
                    row.name, row.value_in_use, row.value, setting.why
                ))
                .done()
        } else {
            let tail = if row.value == setting.required {
                format!(
                    "; the required value {} is already configured, {pending}",
                    setting.required
                )
            } else {
                String::new()
            };
            draft(Status::Fail)
                .severity(setting.severity)
                .message(format!(
                    "`{}` is {} in use, required {} ({}){tail}.",
                    row.name, row.value_in_use, setting.required, setting.why
                ))
                .done()
        };
        out.push(finding);
    }
    out
}
