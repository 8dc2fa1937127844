//! From findings to remediation items: one rule per kind of fix, each reading the finding's
//! evidence and the facts collected with it (the state before the fix, which the rollback
//! restores). What no rule can fix in T-SQL becomes a manual step. Nothing here does I/O.

use std::collections::BTreeSet;

use audit_core::checks::r25_linked_server_logins;
use audit_core::snapshot::Snapshot;
use audit_core::{CheckId, Finding, Fix, RemediationCategory, Status};
use serde::Serialize;

use crate::quote::is_quotable;

/// How far a script goes: which categories run live; the rest is written commented out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Level(u8);

impl Level {
    /// Level 1, 2 or 3.
    pub fn new(level: u8) -> Option<Level> {
        (1..=3).contains(&level).then_some(Level(level))
    }

    /// Its number.
    pub fn get(self) -> u8 {
        self.0
    }

    /// What the level runs, for the script header.
    pub fn describe(self) -> &'static str {
        match self.0 {
            1 => "SAFE fixes live; CAUTION and REVIEW commented out",
            2 => "SAFE and CAUTION fixes live; REVIEW commented out",
            _ => "SAFE, CAUTION and REVIEW fixes live",
        }
    }
}

/// How risky a fix is, which decides the level that runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Category {
    /// Cannot break an application (sp_configure baselines, guest CONNECT, TRUSTWORTHY off).
    Safe,
    /// Can break something that relies on the old state (sa disabled, CHECK_POLICY on).
    Caution,
    /// Needs a person's decision (role members removed, logins disabled, linked-server
    /// mappings removed).
    Review,
    /// A manual step outside T-SQL (upgrades, services, protocols, backups).
    Info,
}

impl Category {
    /// The least level at which this category runs live; none for manual steps.
    pub fn live_from(self) -> Option<Level> {
        match self {
            Category::Safe => Some(Level(1)),
            Category::Caution => Some(Level(2)),
            Category::Review => Some(Level(3)),
            Category::Info => None,
        }
    }

    /// As scripts and summaries name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Safe => "SAFE",
            Category::Caution => "CAUTION",
            Category::Review => "REVIEW",
            Category::Info => "INFO",
        }
    }
}

/// The fix itself, with the values captured before it (what the rollback restores). Each kind
/// is one template in `templates/`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// An `sp_configure` option set to the baseline value.
    Config {
        /// Option name.
        name: String,
        /// Required value.
        required: i64,
        /// Configured value before the fix.
        previous: i64,
        /// Whether `show advanced options` must be on to change it.
        advanced: bool,
        /// `show advanced options` before the fix (restored afterwards).
        show_advanced: i64,
    },
    /// The built-in `sa` (principal_id 1) renamed, given a generated password and disabled.
    SaAccount {
        /// Its name before the fix.
        name: String,
        /// Its name after the fix.
        new_name: String,
        /// Whether it is renamed (only when it is still called `sa`).
        rename: bool,
        /// Whether it was disabled before.
        was_disabled: bool,
        /// The secret's placeholder name.
        secret: String,
    },
    /// A privileged SQL login's empty or name-equal password replaced by a generated one, and
    /// its password policy turned on.
    NewPassword {
        /// The login.
        login: String,
        /// The secret's placeholder name.
        secret: String,
        /// CHECK_POLICY was off before (the rollback turns it off again).
        policy_was_off: bool,
    },
    /// CHECK_POLICY turned on for a SQL login.
    CheckPolicy {
        /// The login.
        login: String,
    },
    /// An orphaned database user dropped.
    DropOrphan {
        /// Database.
        database: String,
        /// User.
        user: String,
        /// Its database roles before the fix (the rollback adds it back).
        roles: Vec<String>,
        /// ALTER ROLE exists (2012+); sp_addrolemember before.
        alter_role: bool,
    },
    /// CONNECT revoked from guest in a user database.
    GuestConnect {
        /// Database.
        database: String,
    },
    /// TRUSTWORTHY turned off.
    Trustworthy {
        /// Database.
        database: String,
    },
    /// A member removed from a server role.
    RoleMember {
        /// The role.
        role: String,
        /// The member.
        member: String,
        /// ALTER SERVER ROLE exists (2012+); sp_dropsrvrolemember before.
        alter_role: bool,
    },
    /// An unused login disabled.
    DisableLogin {
        /// The login.
        login: String,
    },
    /// Linked-server login mappings that hand out a privileged or shared remote login,
    /// removed with `sp_droplinkedsrvlogin`. The rollback maps them again, without the remote
    /// password, which SQL Server never lets anyone read.
    LinkedLogins {
        /// The linked server.
        server: String,
        /// The mappings removed.
        mappings: Vec<LinkedMapping>,
    },
    /// A database option turned off (`ALTER DATABASE … SET DB_CHAINING | AUTO_CLOSE OFF`).
    DatabaseOption {
        /// Database.
        database: String,
        /// The option as ALTER DATABASE names it (a fixed word, never from the server).
        option: &'static str,
    },
    /// An explicit database permission revoked; the rollback grants it again.
    RevokePermission {
        /// Database.
        database: String,
        /// Grantee.
        grantee: String,
        /// The permission, checked to be words of capital letters only.
        permission: String,
        /// The object's schema and name; none for a permission on the database.
        object: Option<(String, String)>,
        /// It was granted WITH GRANT OPTION: revoked with CASCADE (error 4611 otherwise) and
        /// granted back with the option.
        with_grant_option: bool,
    },
    /// A member removed from a database role; the rollback adds it back.
    DatabaseRoleMember {
        /// Database.
        database: String,
        /// The role.
        role: String,
        /// The member (user, role or guest).
        member: String,
        /// ALTER ROLE exists (2012+); sp_droprolemember before.
        alter_role: bool,
    },
    /// Login auditing set to failed and successful logins (AuditLevel 3).
    LoginAudit {
        /// AuditLevel before the fix.
        previous: i64,
    },
    /// Nothing T-SQL can do: the finding and its fix as a manual step.
    Manual,
}

impl Action {
    /// Whether the action sets `show advanced options` itself (ordered after the other
    /// options, which switch it on and back while they run).
    pub fn sets_show_advanced(&self) -> bool {
        matches!(self, Action::Config { name, .. } if name.eq_ignore_ascii_case("show advanced options"))
    }

    /// Whether the action disables, renames, drops or removes a server principal from a role:
    /// what lockout protection guards.
    pub fn principal(&self) -> Option<&str> {
        match self {
            Action::SaAccount { name, .. } => Some(name),
            Action::NewPassword { login, .. } | Action::DisableLogin { login } => Some(login),
            Action::RoleMember { member, .. } => Some(member),
            _ => None,
        }
    }

    /// Name of the generated secret it uses.
    pub fn secret(&self) -> Option<&str> {
        self.secret_use().map(|(secret, _)| secret)
    }

    /// The generated secret it uses and the login that secret becomes the password of.
    pub fn secret_use(&self) -> Option<(&str, &str)> {
        match self {
            Action::SaAccount {
                secret,
                name,
                rename: true,
                ..
            } => Some((secret, name)),
            Action::NewPassword { secret, login, .. } => Some((secret, login)),
            _ => None,
        }
    }
}

/// One linked-server login mapping, as the audit found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkedMapping {
    /// The local login; none = every local login (the default mapping).
    pub local: Option<String>,
    /// The remote login it connects as.
    pub remote: String,
}

/// Why an item is written commented out whatever the level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Hold {
    /// The finding is a documented exception.
    Exception {
        /// The auditor's justification.
        justification: String,
    },
    /// The fix would touch the principal the audit connects as (or through).
    Lockout {
        /// Which principal and why.
        reason: String,
    },
}

/// One section of a script: a finding and its fix.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The check.
    pub check: CheckId,
    /// The check's title.
    pub title: &'static str,
    /// The entity, as people name it.
    pub entity: String,
    /// The finding's message.
    pub message: String,
    /// Its risk.
    pub category: Category,
    /// The fix.
    pub action: Action,
    /// Held back at every level, and why.
    pub hold: Option<Hold>,
    /// Why a finding whose check names a fix became a manual step instead (a name that cannot
    /// be written safely, a fact that is missing); none otherwise.
    pub manual_reason: Option<String>,
}

impl Item {
    /// Whether it runs at `level`.
    pub fn is_live(&self, level: Level) -> bool {
        self.hold.is_none() && self.category.live_from().is_some_and(|from| level >= from)
    }
}

/// A finding to remediate, with the documented exception on its row if there is one.
pub struct Input<'a> {
    /// The finding.
    pub finding: &'a Finding,
    /// The justification when its row is a documented exception.
    pub exception: Option<String>,
}

/// The principals the audit connection must keep: its login, and — when it connected with
/// Windows authentication — the Windows groups it may have come in through.
#[derive(Debug, Clone, Default)]
pub struct Protected {
    names: BTreeSet<String>,
    groups: BTreeSet<String>,
    login: String,
}

impl Protected {
    /// From the facts the audit collected about its own connection.
    pub fn from_snapshot(s: &Snapshot) -> Protected {
        let mut p = Protected {
            login: s.connection.login.clone(),
            ..Protected::default()
        };
        p.names.insert(s.connection.login.to_lowercase());
        let windows = !s.connection.auth_scheme.eq_ignore_ascii_case("SQL");
        if let (true, Ok(logins)) = (windows, &s.logins) {
            // The facts do not say which groups carried the session: every Windows group
            // login is kept, and each batch checks IS_MEMBER again at run time.
            for l in logins.iter().filter(|l| l.kind == "G") {
                p.groups.insert(l.name.to_lowercase());
            }
        }
        p
    }

    /// Why touching `principal` could lock the audit out, if it could.
    pub fn reason(&self, principal: &str) -> Option<String> {
        let key = principal.to_lowercase();
        if self.names.contains(&key) {
            Some(format!(
                "`{principal}` is the login the audit connects as ({}); it is never disabled, renamed, dropped or removed from a role",
                self.login
            ))
        } else if self.groups.contains(&key) {
            Some(format!(
                "`{principal}` is a Windows group the audit account ({}) may connect through; it is left alone",
                self.login
            ))
        } else {
            None
        }
    }
}

/// The new name given to `sa`.
pub const SA_NEW_NAME: &str = "$@";

/// The placeholder of the generated password of the built-in `sa` (principal_id 1): one per
/// instance, and the secrets file is per instance.
pub const SA_SECRET: &str = "AUTODBAUDIT_SA_PASSWORD";

/// The placeholder of the generated password of `login` on the target `target_id`: keyed by
/// target and login, never by position, so generating again after the findings changed gives
/// every login its own password back. The name is `AUTODBAUDIT_PASSWORD_` and 12 hex digits of
/// the SHA-256 of both (safe for any login name; the secrets file names the login in full).
pub fn password_secret(target_id: &str, login: &str) -> String {
    use sha2::Digest as _;
    let mut hash = sha2::Sha256::new();
    hash.update(target_id.to_lowercase().as_bytes());
    hash.update([0]);
    hash.update(login.as_bytes());
    let digest = hash.finalize();
    let hex: String = digest[..6].iter().map(|b| format!("{b:02X}")).collect();
    format!("AUTODBAUDIT_PASSWORD_{hex}")
}

/// [`plan_target`] for a target without an id: generated passwords are keyed by login only.
pub fn plan(snapshot: &Snapshot, inputs: &[Input<'_>]) -> Vec<Item> {
    plan_target("", snapshot, inputs)
}

/// The items of the instance of target `target_id`, in script order: by category (SAFE
/// first), then check, then entity. Findings that pass or are inventory are not remediated.
pub fn plan_target(target_id: &str, snapshot: &Snapshot, inputs: &[Input<'_>]) -> Vec<Item> {
    let protected = Protected::from_snapshot(snapshot);
    let mut items: Vec<Item> = Vec::new();
    for input in inputs {
        let f = input.finding;
        if !matches!(f.status, Status::Fail | Status::Warn | Status::Review)
            || f.remediation_category == RemediationCategory::None
        {
            continue;
        }
        let (category, action, manual_reason) = match rule(snapshot, f, target_id) {
            Ok((category, action)) => (category, action, None),
            Err(reason) => (Category::Info, Action::Manual, reason),
        };
        let mut hold = input
            .exception
            .as_ref()
            .map(|justification| Hold::Exception {
                justification: justification.clone(),
            });
        if hold.is_none()
            && let Some(principal) = action.principal()
            && let Some(reason) = protected.reason(principal)
        {
            hold = Some(Hold::Lockout { reason });
        }
        items.push(Item {
            check: f.check_id,
            title: audit_core::checks::catalogue()
                .iter()
                .find(|c| c.id == f.check_id)
                .map_or("", |c| c.title),
            entity: f.entity.clone(),
            message: f.message.clone(),
            category,
            action,
            hold,
            manual_reason,
        });
    }
    // Two checks may ask for the same fix (one option, one login): the first one stays.
    let mut seen = Vec::new();
    items.retain(|i| {
        if i.action == Action::Manual {
            return true;
        }
        if seen.contains(&i.action) {
            return false;
        }
        seen.push(i.action.clone());
        true
    });
    // `show advanced options` is set last in its category: every advanced option's batch
    // turns it on and restores the value the audit saw, so a fix of it run earlier (X04 before
    // X11) would be undone by the batches after it.
    let key = |i: &Item| (i.category, i.action.sets_show_advanced(), i.check);
    items.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.entity.cmp(&b.entity)));
    items
}

/// The fix one finding gets, and its category: the check named the fix ([`Fix`]); this
/// captures the state before it (for the rollback) from the collected facts, and turns what
/// cannot be scripted safely (a name with a line break, a fact that is missing) into a manual
/// step (`Err`, with the reason when there is one to tell).
fn rule(s: &Snapshot, f: &Finding, target_id: &str) -> Result<(Category, Action), Option<String>> {
    let quotable = |names: &[&str]| names.iter().all(|n| is_quotable(n));
    let major = s.server.version.major;
    let manual = Err(None);
    let Some(fix) = &f.fix else {
        return manual;
    };
    let action = match fix {
        Fix::SetConfiguration { option, required } => {
            let Ok(rows) = &s.configuration else {
                return manual;
            };
            let Some(row) = rows.iter().find(|c| c.name.eq_ignore_ascii_case(option)) else {
                return manual;
            };
            let show_advanced = rows
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case("show advanced options"))
                .map_or(0, |c| c.value);
            if !quotable(&[&row.name]) {
                return manual;
            }
            Action::Config {
                name: row.name.clone(),
                required: *required,
                previous: row.value,
                advanced: row.advanced && !row.name.eq_ignore_ascii_case("show advanced options"),
                show_advanced,
            }
        }
        Fix::SecureSaAccount => {
            let Ok(logins) = &s.logins else {
                return manual;
            };
            let Some(sa) = logins.iter().find(|l| l.principal_id == 1) else {
                return manual;
            };
            if let Err(e) = crate::quote::ident(&sa.name) {
                return Err(Some(format!(
                    "Not scripted: the sa account's name {e}. Rename it by hand (ALTER LOGIN … WITH NAME), then audit again."
                )));
            }
            let rename = sa.name.eq_ignore_ascii_case("sa");
            Action::SaAccount {
                name: sa.name.clone(),
                new_name: if rename {
                    SA_NEW_NAME.to_owned()
                } else {
                    sa.name.clone()
                },
                rename,
                was_disabled: sa.disabled,
                secret: SA_SECRET.to_owned(),
            }
        }
        Fix::NewPassword { login } if quotable(&[login]) => {
            let policy_was_off = s
                .logins
                .as_ref()
                .ok()
                .and_then(|l| l.iter().find(|l| &l.name == login))
                .is_some_and(|l| l.policy_checked == Some(false));
            Action::NewPassword {
                login: login.clone(),
                secret: password_secret(target_id, login),
                policy_was_off,
            }
        }
        Fix::CheckPolicy { login } if quotable(&[login]) => Action::CheckPolicy {
            login: login.clone(),
        },
        Fix::RevokeGuestConnect { database } if quotable(&[database]) => Action::GuestConnect {
            database: database.clone(),
        },
        Fix::DropOrphanedUser { database, user } if quotable(&[database, user]) => {
            let roles = s
                .database_details
                .as_ref()
                .ok()
                .and_then(|d| d.iter().find(|d| &d.database == database))
                .map(|d| {
                    d.role_members
                        .iter()
                        .filter(|m| &m.member == user && is_quotable(&m.role))
                        .map(|m| m.role.clone())
                        .collect()
                })
                .unwrap_or_default();
            Action::DropOrphan {
                database: database.clone(),
                user: user.clone(),
                roles,
                alter_role: major >= 11,
            }
        }
        Fix::TrustworthyOff { database } => match s
            .databases
            .as_ref()
            .ok()
            .and_then(|dbs| dbs.iter().find(|d| &d.name == database))
        {
            Some(db) if db.trustworthy && quotable(&[&db.name]) => Action::Trustworthy {
                database: db.name.clone(),
            },
            _ => return manual,
        },
        Fix::DropServerRoleMember { role, member } if quotable(&[role, member]) => {
            Action::RoleMember {
                role: role.clone(),
                member: member.clone(),
                alter_role: major >= 11,
            }
        }
        Fix::DisableLogin { login } if quotable(&[login]) => Action::DisableLogin {
            login: login.clone(),
        },
        Fix::DropLinkedServerLogins { server } => {
            let Some(ls) = s
                .linked_servers
                .as_ref()
                .ok()
                .and_then(|l| l.iter().find(|l| &l.name == server))
            else {
                return manual;
            };
            let flagged: Vec<_> = ls
                .logins
                .iter()
                .filter(|m| r25_linked_server_logins::mapping_problem(m).is_some())
                .collect();
            // A local login whose name the audit login could not see cannot be named in a
            // script: the whole fix is a manual step then.
            if flagged.iter().any(|m| m.local_hidden) {
                return manual;
            }
            let mappings: Vec<LinkedMapping> = flagged
                .into_iter()
                .filter_map(|m| {
                    Some(LinkedMapping {
                        local: m.local.clone(),
                        remote: m.remote.clone()?,
                    })
                })
                .collect();
            let names = mappings
                .iter()
                .flat_map(|m| m.local.iter().chain([&m.remote]))
                .map(String::as_str);
            if mappings.is_empty() || !quotable(&[&ls.name]) || !names.into_iter().all(is_quotable)
            {
                return manual;
            }
            Action::LinkedLogins {
                server: ls.name.clone(),
                mappings,
            }
        }
        Fix::DatabaseOptionOff { database, option } if quotable(&[database]) => {
            Action::DatabaseOption {
                database: database.clone(),
                option: option.sql_name(),
            }
        }
        Fix::RevokeDatabasePermission {
            database,
            grantee,
            permission,
            class,
            securable,
        } => {
            let words = permission
                .split(' ')
                .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_uppercase()));
            let object = match class.as_str() {
                "DATABASE" if securable.is_empty() => None,
                // `schema.object` as the collector builds it: a name with a dot in it would
                // be ambiguous, so only exactly one dot is scripted.
                // A column grant (`schema.table (column)`) is not scripted: revoking at table
                // level would take more, and granting back would give more.
                "OBJECT_OR_COLUMN" if securable.contains(" (") => return manual,
                "OBJECT_OR_COLUMN" => match securable.split_once('.') {
                    Some((schema, name)) if !name.contains('.') => {
                        Some((schema.to_owned(), name.to_owned()))
                    }
                    _ => return manual,
                },
                _ => return manual,
            };
            let state = s
                .database_details
                .as_ref()
                .ok()
                .and_then(|d| d.iter().find(|d| &d.database == database))
                .and_then(|d| {
                    d.permissions.iter().find(|p| {
                        &p.grantee == grantee
                            && &p.permission == permission
                            && &p.class == class
                            && &p.securable == securable
                    })
                })
                .map(|p| p.state.clone());
            let names_ok = quotable(&[database, grantee])
                && object
                    .as_ref()
                    .is_none_or(|(schema, name)| quotable(&[schema, name]));
            // A grant WITH GRANT OPTION is revoked with CASCADE, which also takes back what the
            // grantee passed on: the rollback could not give those back, so it is a manual step.
            let grantable = state
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("GRANT_WITH_GRANT_OPTION"));
            match state {
                Some(_) if grantable => return manual,
                Some(state) if words && names_ok => Action::RevokePermission {
                    database: database.clone(),
                    grantee: grantee.clone(),
                    permission: permission.clone(),
                    object,
                    with_grant_option: state.eq_ignore_ascii_case("GRANT_WITH_GRANT_OPTION"),
                },
                _ => return manual,
            }
        }
        Fix::DropDatabaseRoleMember {
            database,
            role,
            member,
        } if quotable(&[database, role, member]) => Action::DatabaseRoleMember {
            database: database.clone(),
            role: role.clone(),
            member: member.clone(),
            alter_role: major >= 11,
        },
        Fix::AuditBothLogins => match s.login_audit_level {
            Ok(previous) => Action::LoginAudit { previous },
            Err(_) => return manual,
        },
        _ => return manual,
    };
    // The category is the fix's, not the check's: the SAFE / CAUTION / REVIEW.
    let category = match &action {
        Action::Config { .. }
        | Action::GuestConnect { .. }
        | Action::Trustworthy { .. }
        | Action::DropOrphan { .. }
        | Action::DatabaseOption { .. }
        | Action::LoginAudit { .. } => Category::Safe,
        // Taking a right away can break an application that relied on it: a person decides.
        Action::RevokePermission { .. } | Action::DatabaseRoleMember { .. } => Category::Review,
        Action::SaAccount { .. } | Action::NewPassword { .. } | Action::CheckPolicy { .. } => {
            Category::Caution
        }
        Action::RoleMember { .. } | Action::DisableLogin { .. } | Action::LinkedLogins { .. } => {
            Category::Review
        }
        Action::Manual => Category::Info,
    };
    Ok((category, action))
}
