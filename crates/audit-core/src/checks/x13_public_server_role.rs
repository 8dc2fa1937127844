//! X13 – the public server role holds only the permissions SQL Server gives it at setup.

use super::Outcomes;
use super::support::*;
use super::{Applicability, Check, Family, Policy, References, cis};
use super::{Sheet, on};
use crate::snapshot::{FactId, PermissionInfo, Snapshot};
use crate::{CheckId, Finding, RemediationCategory, Severity, Status};

/// The TSQL endpoints public may CONNECT to after setup (`sys.endpoints` ids 2–5; the
/// Dedicated Admin Connection, id 1, is not among them). The collector names an endpoint it
/// cannot see by `#id`, so both spellings are accepted.
const DEFAULT_ENDPOINTS: [(&str, &str); 4] = [
    ("TSQL Local Machine", "#2"),
    ("TSQL Named Pipes", "#3"),
    ("TSQL Default TCP", "#4"),
    ("TSQL Default VIA", "#5"),
];

/// Every login is a member of public and cannot leave it, so a server permission granted to
/// public is granted to every login (CIS 3.8, VA1280). X08 reviews only its list of risky
/// permissions, whoever holds them; this check holds public to its setup defaults.
pub const CHECK: Check = Check {
    id: CheckId::new("X13"),
    title: "public server role holds only its default permissions",
    severity: Severity::Medium,
    rationale: "public is a fixed server role every login belongs to and cannot leave: a server \
                permission granted to it is granted to every login, present and future. After setup \
                public holds VIEW ANY DATABASE and CONNECT on the four TSQL endpoints (TSQL Local \
                Machine, Named Pipes, Default TCP, Default VIA); anything else must be granted to the \
                logins or user-defined server roles that need it and revoked from public.",
    outcomes: Outcomes {
        pass: "one row: public holds nothing beyond VIEW ANY DATABASE and CONNECT on the TSQL endpoints (revoking those is fine too)",
        fail_or_warn: "FAIL (medium): each other server permission granted to public, or a default one granted WITH GRANT OPTION",
        other: "UNKNOWN: the server permissions could not be read",
    },
    family: Family::Permissions,
    applies_to: Applicability::ALL,
    references: References {
        cis: &[cis("3.8")],
        va: &["VA1280"],
        dbachecks: &["PublicPermission"],
        ..References::NONE
    },
    reads: &[FactId::ServerPermissions],
    placement: &[on("permission", Sheet::PermissionGrants)],
    remediation: RemediationCategory::Caution,
    rule,
};

/// Per GRANT to public (DENY restricts and is never flagged): a default (VIEW ANY DATABASE on
/// the server, CONNECT on endpoints 2–5, plain GRANT as CIS's query requires) is not listed;
/// any other → FAIL medium. None → one PASS for the instance. Revoking is not scripted: the
/// logins that relied on it must be granted it first (CIS 3.8, Impact).
fn rule(check: &Check, s: &Snapshot, _policy: &Policy) -> Vec<Finding> {
    let mut gaps = Gaps::default();
    let Some(permissions) = gaps.take("server_permissions", &s.server_permissions) else {
        return gaps.only_unknown(check, s);
    };
    let extra: Vec<&PermissionInfo> = permissions
        .iter()
        .filter(|p| same_name(&p.grantee, "public"))
        .filter(|p| p.state.to_uppercase().starts_with("GRANT"))
        .filter(|p| !is_default(p))
        .collect();
    if extra.is_empty() {
        return vec![
            check
                .instance_finding(s, Status::Pass)
                .message(format!(
                    "public holds only its default server permissions on {}.",
                    instance_name(s)
                ))
                .done(),
        ];
    }
    extra
        .into_iter()
        .map(|p| {
            let on = if p.securable.is_empty() {
                p.class.clone()
            } else {
                format!("{} {}", p.class, p.securable)
            };
            check
                .finding(
                    Status::Fail,
                    "permission",
                    permission_entity(None, p),
                    permission_key(None, p),
                )
                .message(format!(
                    "public is granted {} on {on}{}: every login holds it. Grant it to the logins or server roles that need it, then revoke it from public.",
                    p.permission,
                    if p.state.eq_ignore_ascii_case("GRANT_WITH_GRANT_OPTION") {
                        " WITH GRANT OPTION"
                    } else {
                        ""
                    }
                ))
                .ev("grantee", &p.grantee)
                .ev("permission", &p.permission)
                .ev("state", &p.state)
                .ev("class", &p.class)
                .ev("securable", &p.securable)
                .done()
        })
        .collect()
}

/// Whether a grant to public is one SQL Server makes at setup (CIS 3.8's audit query: state
/// `GRANT`, VIEW ANY DATABASE on the server or CONNECT on endpoints 2–5).
fn is_default(p: &PermissionInfo) -> bool {
    if !p.state.eq_ignore_ascii_case("GRANT") {
        return false;
    }
    let permission = p.permission.trim();
    if permission.eq_ignore_ascii_case("VIEW ANY DATABASE") {
        return p.class.eq_ignore_ascii_case("SERVER");
    }
    permission.eq_ignore_ascii_case("CONNECT")
        && p.class.eq_ignore_ascii_case("ENDPOINT")
        && DEFAULT_ENDPOINTS
            .iter()
            .any(|(name, id)| same_name(&p.securable, name) || p.securable == *id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn public(name: &str, state: &str, class: &str, securable: &str) -> PermissionInfo {
        PermissionInfo {
            grantee_kind: "R".to_owned(),
            securable: securable.to_owned(),
            ..permission("public", name, state, class)
        }
    }

    /// The compliant snapshot with public's setup defaults plus `extra`.
    fn with_public(extra: Vec<PermissionInfo>) -> Vec<Finding> {
        let mut s = compliant_snapshot();
        let perms = edit(&mut s.server_permissions);
        perms.push(public("VIEW ANY DATABASE", "GRANT", "SERVER", ""));
        for (name, _) in DEFAULT_ENDPOINTS {
            perms.push(public("CONNECT", "GRANT", "ENDPOINT", name));
        }
        perms.extend(extra);
        run(&CHECK, &s)
    }

    #[test]
    fn defaults_pass_and_revoked_defaults_too() {
        assert_eq!(
            single(&with_public(Vec::new()), Status::Pass).entity_key,
            "instance:"
        );
        assert_eq!(
            statuses(&run(&CHECK, &compliant_snapshot())),
            [Status::Pass]
        );
        // An endpoint the audit login cannot see is named by its id.
        let f = with_public(vec![public("CONNECT", "GRANT", "ENDPOINT", "#4")]);
        assert_eq!(statuses(&f), [Status::Pass]);
        // DENY restricts: not flagged.
        let f = with_public(vec![public("VIEW SERVER STATE", "DENY", "SERVER", "")]);
        assert_eq!(statuses(&f), [Status::Pass]);
    }

    #[test]
    fn extra_grants_fail_one_finding_each() {
        let f = with_public(vec![
            public("VIEW SERVER STATE", "GRANT", "SERVER", ""),
            public("CONNECT", "GRANT", "ENDPOINT", "Dedicated Admin Connection"),
            public("VIEW ANY DATABASE", "GRANT_WITH_GRANT_OPTION", "SERVER", ""),
        ]);
        assert_eq!(statuses(&f), [Status::Fail, Status::Fail, Status::Fail]);
        let vss = by_key(&f, "server_permission:public/view server state/server/");
        assert_eq!(vss.severity, Severity::Medium);
        assert!(vss.message.contains("every login"));
        assert!(
            by_key(
                &f,
                "server_permission:public/connect/endpoint/dedicated admin connection"
            )
            .message
            .contains("Dedicated Admin Connection")
        );
        assert!(
            by_key(&f, "server_permission:public/view any database/server/")
                .message
                .contains("WITH GRANT OPTION")
        );
    }

    #[test]
    fn other_grantees_are_not_this_checks_business() {
        let mut s = compliant_snapshot();
        edit(&mut s.server_permissions).push(permission(
            "CORP\\ops",
            "VIEW SERVER STATE",
            "GRANT",
            "SERVER",
        ));
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Pass]);
    }

    #[test]
    fn unreadable_permissions_are_unknown() {
        let mut s = compliant_snapshot();
        s.server_permissions = denied();
        assert_eq!(statuses(&run(&CHECK, &s)), [Status::Unknown]);
    }
}
