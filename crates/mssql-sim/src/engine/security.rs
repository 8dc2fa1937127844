//! Who is connected and what they may do: effective server permissions through the login,
//! its Windows groups and its server roles, as SQL Server computes them (sysadmin passes
//! every check; DENY beats GRANT; CONTROL SERVER implies every server permission; a
//! permission implies the finer ones SQL Server 2022 split out of it).
//!
//! The implications follow the "implied by" column of Microsoft's permission list,
//! <https://learn.microsoft.com/sql/relational-databases/security/permissions-database-engine>:
//! VIEW SERVER STATE covers VIEW SERVER SECURITY STATE and VIEW SERVER PERFORMANCE STATE;
//! VIEW ANY DEFINITION covers VIEW ANY SECURITY DEFINITION and VIEW ANY PERFORMANCE
//! DEFINITION; CONTROL SERVER covers everything, VIEW ANY CRYPTOGRAPHICALLY SECURED
//! DEFINITION included.

use crate::Instance;
use crate::instance::{Database, LoginKind};

/// The connected principal, as the catalog and the permission checks see it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Viewer {
    /// The login name (`SUSER_SNAME()`): the Windows user even when a group let it in.
    pub login: String,
    /// The server principals it acts as: its own login (if any) and the group logins it
    /// entered through.
    pub principals: Vec<i32>,
    /// Its SIDs (login and groups), for mapping to database users.
    pub sids: Vec<Vec<u8>>,
    /// Session id.
    pub spid: u16,
    sysadmin: bool,
    securityadmin: bool,
    granted: Vec<String>,
    denied: Vec<String>,
}

impl Viewer {
    /// The rights of the session that logged in as `login` through `principals`.
    pub fn of(instance: &Instance, login: &str, principals: &[i32], spid: u16) -> Viewer {
        let mut viewer = Viewer {
            login: login.to_owned(),
            principals: principals.to_vec(),
            spid,
            ..Viewer::default()
        };
        let windows_user_sid = instance
            .logins
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(login))
            .map(|l| l.sid.clone())
            .unwrap_or_else(|| crate::instance::sid_for(LoginKind::WindowsUser, login));
        viewer.sids.push(windows_user_sid);
        for l in instance
            .logins
            .iter()
            .filter(|l| principals.contains(&l.principal_id))
        {
            viewer.sids.push(l.sid.clone());
            for role in &l.roles {
                if role.eq_ignore_ascii_case("sysadmin") {
                    viewer.sysadmin = true;
                }
                if role.eq_ignore_ascii_case("securityadmin") {
                    viewer.securityadmin = true;
                }
                // What the fixed roles imply.
                let implied: &[&str] = match role.to_ascii_lowercase().as_str() {
                    "##ms_serverstatereader##" => &["VIEW SERVER STATE"],
                    "##ms_serverperformancestatereader##" => &["VIEW SERVER PERFORMANCE STATE"],
                    "##ms_serversecuritystatereader##" => &["VIEW SERVER SECURITY STATE"],
                    "##ms_definitionreader##" => &["VIEW ANY DEFINITION"],
                    "##ms_securitydefinitionreader##" => &["VIEW ANY SECURITY DEFINITION"],
                    "##ms_performancedefinitionreader##" => &["VIEW ANY PERFORMANCE DEFINITION"],
                    "securityadmin" => &["ALTER ANY LOGIN"],
                    "serveradmin" => &["ALTER SETTINGS", "SHUTDOWN", "ALTER ANY ENDPOINT"],
                    "processadmin" => &["ALTER ANY CONNECTION", "ALTER SERVER STATE"],
                    "setupadmin" => &["ALTER ANY LINKED SERVER"],
                    "dbcreator" => &["CREATE ANY DATABASE"],
                    _ => &[],
                };
                viewer
                    .granted
                    .extend(implied.iter().map(|p| (*p).to_owned()));
                if let Some(r) = instance
                    .server_roles
                    .iter()
                    .find(|r| r.name.eq_ignore_ascii_case(role))
                {
                    viewer
                        .granted
                        .extend(r.permissions.iter().map(|p| p.to_uppercase()));
                }
            }
            viewer
                .granted
                .extend(l.permissions.iter().map(|p| p.to_uppercase()));
            viewer
                .denied
                .extend(l.denied.iter().map(|p| p.to_uppercase()));
        }
        // What every login holds through `public`.
        if instance.public_view_any_database {
            viewer.granted.push("VIEW ANY DATABASE".to_owned());
        }
        viewer
            .granted
            .extend(instance.public_permissions.iter().map(|p| p.to_uppercase()));
        viewer
    }

    /// Member of sysadmin.
    pub fn is_sysadmin(&self) -> bool {
        self.sysadmin
    }

    /// Member of securityadmin (itself, not through sysadmin).
    pub fn is_securityadmin(&self) -> bool {
        self.securityadmin
    }

    /// Whether the server permission `permission` is effective: granted itself or through a
    /// permission that implies it, and neither denied.
    pub fn has(&self, permission: &str) -> bool {
        if self.sysadmin {
            return true;
        }
        let permission = permission.to_uppercase();
        let covering = implied_by(&permission);
        if covering.iter().any(|p| self.denied.iter().any(|d| d == p)) {
            return false;
        }
        covering.iter().any(|p| self.granted.iter().any(|g| g == p))
    }

    /// Whether `spid` is this session.
    pub fn spid_is(&self, spid: u16) -> bool {
        self.spid == spid
    }

    /// The principal_id of its user in `db` (dbo for the owner and sysadmin), if any.
    pub fn user_in(&self, instance: &Instance, db: &Database) -> Option<i32> {
        let owner_sid = db.owner_sid(instance);
        if self.sysadmin || self.sids.contains(&owner_sid) {
            return Some(1);
        }
        db.users
            .iter()
            .find(|u| !u.orphaned && self.sids.contains(&u.sid))
            .map(|u| u.principal_id)
    }

    /// Whether it may use `db` (a user, guest with CONNECT, or CONNECT ANY DATABASE).
    pub fn can_access(&self, instance: &Instance, db: &Database) -> bool {
        self.user_in(instance, db).is_some()
            || db.guest_enabled()
            || self.has("CONNECT ANY DATABASE")
    }
}

/// `permission` and every server permission that implies it, up to CONTROL SERVER.
fn implied_by(permission: &str) -> Vec<&str> {
    let parent = match permission {
        "VIEW SERVER SECURITY STATE" | "VIEW SERVER PERFORMANCE STATE" => Some("VIEW SERVER STATE"),
        "VIEW ANY SECURITY DEFINITION" | "VIEW ANY PERFORMANCE DEFINITION" => {
            Some("VIEW ANY DEFINITION")
        }
        "CONTROL SERVER" => None,
        _ => Some("CONTROL SERVER"),
    };
    let mut out = vec![permission];
    if let Some(parent) = parent {
        out.extend(implied_by(parent));
    }
    out
}
