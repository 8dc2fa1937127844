//! X03 – the instance is in Windows authentication mode; every enabled SQL-authentication
//! login is reviewed.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on, on_row};
use crate::snapshot::{FactId, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status, entity_key};

/// The entity type of the authentication-mode finding.
const MODE: &str = "authentication_mode";
/// The Instances row's key, where the mode finding is shown.
const INSTANCE_KEY: &str = "instance:";

/// SQL logins carry their own passwords (guessable, shared, stored in config files); Windows
/// authentication is preferred: mixed mode is judged (CIS 3.1, VA1072, STIG 003700 ask for
/// Windows-only mode) and each enabled SQL login must be justified.
pub const CHECK: Check = Check {
    id: CheckId::new("X03"),
    title: "Windows authentication mode; enabled SQL logins reviewed",
    severity: Severity::Medium,
    rationale: "SQL-authentication logins have passwords managed outside the domain: they are shared, \
                embedded in configuration files and open to guessing. Windows authentication is \
                preferred, and CIS, Vulnerability Assessment and the STIG ask for Windows \
                authentication mode, where no SQL login can connect at all. Where mixed mode is \
                required, the exception is documented and each enabled SQL login justified.",
    outcomes: Outcomes {
        pass: "one row for the instance: Windows authentication mode; each disabled SQL login",
        fail_or_warn: "WARN (medium), one row for the instance: mixed mode (SQL Server and Windows authentication)",
        other: "REVIEW: each enabled SQL login (`##…##` excepted)",
    },
    family: Family::Authentication,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("3.1")],
        stig_2016: &[
            "SQL6-D0-000100",
            "SQL6-D0-003700",
            "SQL6-D0-004000",
            "SQL6-D0-008800",
        ],
        stig_2022: &[
            "SQLI-22-003700",
            "SQLI-22-004000",
            "SQLI-22-007800",
            "SQLD-22-000100",
        ],
        va: &["VA1072"],
        ..References::NONE
    },
    reads: &[FactId::Logins],
    placement: &[
        on("login", Sheet::ServerLogins),
        on_row(MODE, Sheet::Instances, INSTANCE_KEY),
    ],
    remediation: RemediationCategory::Review,
    rule,
};

/// The instance: Windows-only mode → PASS, mixed mode → WARN medium (not scripted: switching
/// mode needs a restart and locks every SQL login out). Per SQL login (`##…##` excluded):
/// enabled → REVIEW; disabled → PASS.
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(logins) = gaps.take("logins", &s.logins) else {
        return gaps.only_unknown(check, s);
    };
    let mode = if s.server.windows_auth_only {
        " (the instance is in Windows-only mode, so it cannot log in until mixed mode is enabled)"
    } else {
        ""
    };
    let mut out: Vec<Finding> = logins
        .iter()
        .filter(|l| l.kind == "S" && !is_internal_name(&l.name))
        .map(|l| {
            let draft = |status| {
                check
                    .finding(status, "login", l.name.clone(), login_key(l))
                    .ev("sid", &l.sid)
                    .ev("disabled", yes_no(l.disabled))
                    .ev("check_policy", or_unknown(l.policy_checked.map(yes_no)))
                    .ev("password_last_set", l.password_last_set.as_deref().unwrap_or("unknown"))
            };
            if l.disabled {
                draft(Status::Pass).message(format!("SQL login `{}` is disabled.", l.name)).done()
            } else {
                draft(Status::Review)
                    .message(format!(
                        "SQL login `{}` is enabled{mode}: justify it or move its users to Windows authentication.",
                        l.name
                    ))
                    .done()
            }
        })
        .collect();
    let enabled = out.iter().filter(|f| f.status == Status::Review).count();
    check.pass_if_none(
        &mut out,
        s,
        format!("{} has no SQL-authentication login.", instance_name(s)),
    );
    out.push(authentication_mode(check, s, enabled));
    out
}

/// The mode's own entity (`authentication_mode`, shown on the Instances row): it is known
/// from SERVERPROPERTY whatever the audit login may see, so it must not share the instance
/// key with the UNKNOWN the engine adds when logins are hidden from that login.
fn authentication_mode(check: &Check, s: &Snapshot, enabled: usize) -> Finding {
    // SQL Server on Linux authenticates Windows accounts only once Active Directory is
    // configured (learn.microsoft.com: "Active Directory authentication for SQL Server on
    // Linux"); without a single Windows login there, SQL logins are the only way in.
    // The platform from sys.dm_os_host_info, or from @@VERSION ("… on Linux (Ubuntu 22.04)")
    // where the view is hidden from the audit login.
    let on_linux = match &s.host {
        Ok(h) => h.platform.eq_ignore_ascii_case("linux"),
        Err(_) => s.server.version_text.contains(" on Linux"),
    };
    let linux_without_ad = on_linux
        && s.logins
            .as_ref()
            .is_ok_and(|l| !l.iter().any(|l| l.kind == "U" || l.kind == "G"));
    let (status, mode, message) = if s.server.windows_auth_only {
        (
            Status::Pass,
            "Windows",
            format!("{} accepts Windows authentication only.", instance_name(s)),
        )
    } else if linux_without_ad {
        (
            Status::Review,
            "Mixed",
            format!(
                "{} runs on Linux without Active Directory authentication (no Windows login): SQL authentication is the only way in, so mixed mode is required; review, or configure Active Directory authentication (adutil, a keytab) and move the people and applications to Windows logins.",
                instance_name(s)
            ),
        )
    } else {
        (
            Status::Warn,
            "Mixed",
            format!(
                "{} is in mixed mode (SQL Server and Windows authentication) with {enabled} enabled SQL login(s) seen: use Windows authentication mode, or document why SQL logins are needed.",
                instance_name(s)
            ),
        )
    };
    check
        .finding(
            status,
            MODE,
            instance_name(s),
            entity_key("setting", &[MODE]),
        )
        .message(message)
        .ev("authentication_mode", mode)
        .ev("enabled_sql_logins", enabled.to_string())
        .done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn enabled_reviewed_disabled_pass() {
        let f = run(&CHECK, &compliant_snapshot());
        assert_eq!(f.len(), 3);
        assert_eq!(
            by_key(&f, "setting:authentication_mode").status,
            Status::Pass
        );
        let app = by_key(&f, "login:0xa1a1a1a1");
        assert_eq!(
            (app.status, app.severity),
            (Status::Review, Severity::Medium)
        );
        assert!(app.message.contains("app_user"));
        assert_eq!(by_key(&f, "login:0x01").status, Status::Pass);
    }

    /// On Linux without a single Windows login (no Active Directory), mixed mode is the only
    /// mode that admits anyone: a review, not a warning caused by the platform.
    #[test]
    fn mixed_mode_on_linux_without_active_directory_is_a_review() {
        let mut s = compliant_snapshot();
        s.server.windows_auth_only = false;
        edit(&mut s.host).platform = "Linux".to_owned();
        edit(&mut s.logins).retain(|l| l.kind == "S");
        let mode = by_key(&run(&CHECK, &s), "setting:authentication_mode").clone();
        assert_eq!(mode.status, Status::Review, "{}", mode.message);
        assert!(mode.message.contains("without Active Directory"));
        // With a Windows login, Active Directory is configured: mixed mode warns again.
        let mut l = edit(&mut s.logins)[0].clone();
        l.kind = "U".to_owned();
        l.name = "CORP\\dba".to_owned();
        edit(&mut s.logins).push(l);
        let mode = by_key(&run(&CHECK, &s), "setting:authentication_mode").clone();
        assert_eq!(mode.status, Status::Warn);
    }

    #[test]
    fn mixed_mode_warns_windows_mode_passes() {
        let mut s = compliant_snapshot();
        s.server.windows_auth_only = false;
        let mode = by_key(&run(&CHECK, &s), "setting:authentication_mode").clone();
        assert_eq!(
            (mode.status, mode.severity),
            (Status::Warn, Severity::Medium)
        );
        assert!(mode.message.contains("mixed mode") && mode.message.contains("1 enabled"));
        s.server.windows_auth_only = true;
        let f = run(&CHECK, &s);
        assert_eq!(
            by_key(&f, "setting:authentication_mode").status,
            Status::Pass
        );
        assert!(
            by_key(&f, "login:0xa1a1a1a1")
                .message
                .contains("Windows-only mode")
        );
    }

    #[test]
    fn none_passes_unreadable_unknown() {
        let mut s = compliant_snapshot();
        edit(&mut s.logins).retain(|l| l.kind != "S");
        let f = run(&CHECK, &s);
        assert_eq!(statuses(&f), [Status::Pass, Status::Pass]);
        assert_eq!(by_key(&f, "instance:").status, Status::Pass);
        s.logins = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
