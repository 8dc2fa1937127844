//! Statements that change the server: each changes the instance model, with SQL Server's
//! permission checks and error messages, so that audit → remediate → re-audit shows the fix.

use super::script::{Kind, LoginChange, PermissionChange};
use super::{Engine, Flow, Outcome, Session, SqlError, Variables, catalog};
use crate::instance::{
    Backup, Database, DatabaseState, Login, LoginKind, Permission, PermissionState, Recovery,
    Setting, User, When,
};
use crate::tds::tokens::Value;

fn fail(number: i32, text: String) -> Flow {
    Flow::Abort(SqlError::new(number, 16, text))
}

fn no_permission() -> Flow {
    Flow::Abort(SqlError::new(
        15247,
        16,
        "User does not have permission to perform this action.",
    ))
}

/// Server permissions (as opposed to database permissions) for GRANT without ON, with the
/// major version that introduced each, from Microsoft's list of permissions and its "applies
/// to" notes (<https://learn.microsoft.com/sql/relational-databases/security/permissions-database-engine>,
/// <https://learn.microsoft.com/sql/t-sql/statements/grant-server-permissions-transact-sql>):
/// server roles and availability groups came with 2012 (11); CONNECT ANY DATABASE, IMPERSONATE
/// ANY LOGIN and SELECT ALL USER SECURABLES with 2014 (12, "What's new in SQL Server 2014");
/// the finer state and definition permissions with 2022 (16). A permission the version lacks
/// is a syntax error there, as on the real server.
const SERVER_PERMISSIONS: &[(&str, u8)] = &[
    ("CONTROL SERVER", 9),
    ("VIEW SERVER STATE", 9),
    ("VIEW ANY DEFINITION", 9),
    ("VIEW ANY DATABASE", 9),
    ("ALTER ANY LOGIN", 9),
    ("ALTER ANY CREDENTIAL", 9),
    ("ALTER SETTINGS", 9),
    ("ALTER ANY LINKED SERVER", 9),
    ("ALTER ANY CONNECTION", 9),
    ("ALTER SERVER STATE", 9),
    ("CONNECT SQL", 9),
    ("ALTER ANY DATABASE", 9),
    ("CREATE ANY DATABASE", 9),
    ("SHUTDOWN", 9),
    ("ALTER TRACE", 9),
    ("ALTER ANY SERVER AUDIT", 10),
    ("AUTHENTICATE SERVER", 9),
    ("EXTERNAL ACCESS ASSEMBLY", 9),
    ("UNSAFE ASSEMBLY", 9),
    ("ALTER ANY ENDPOINT", 9),
    ("ALTER RESOURCES", 9),
    ("ADMINISTER BULK OPERATIONS", 9),
    ("ALTER ANY EVENT NOTIFICATION", 9),
    ("ALTER ANY EVENT SESSION", 10),
    ("ALTER ANY SERVER ROLE", 11),
    ("CREATE SERVER ROLE", 11),
    ("ALTER ANY AVAILABILITY GROUP", 11),
    ("CREATE AVAILABILITY GROUP", 11),
    ("CONNECT ANY DATABASE", 12),
    ("IMPERSONATE ANY LOGIN", 12),
    ("SELECT ALL USER SECURABLES", 12),
    ("VIEW SERVER SECURITY STATE", 16),
    ("VIEW SERVER PERFORMANCE STATE", 16),
    ("VIEW ANY SECURITY DEFINITION", 16),
    ("VIEW ANY PERFORMANCE DEFINITION", 16),
    ("VIEW ANY CRYPTOGRAPHICALLY SECURED DEFINITION", 16),
    ("VIEW ANY ERROR LOG", 16),
    ("VIEW SERVER SECURITY AUDIT", 16),
    ("CREATE LOGIN", 16),
];

/// Whether `permission` is a server permission (of any version).
fn is_server_permission(permission: &str) -> bool {
    SERVER_PERMISSIONS.iter().any(|(p, _)| *p == permission)
}

/// Applies one changing statement.
pub(super) fn apply(
    engine: &mut Engine,
    session: &mut Session,
    kind: &Kind,
    vars: &mut Variables,
    out: &mut Vec<Outcome>,
) -> Result<(), Flow> {
    // Option values are expressions (passwords may be variables).
    let mut option_values = Vec::new();
    if let Kind::CreateLogin { options, .. }
    | Kind::AlterLogin {
        change: LoginChange::With(options),
        ..
    } = kind
    {
        for (name, e) in options {
            // NAME = [x], DEFAULT_DATABASE = x: a bare identifier is a name, not a column.
            let value = match e {
                sqlparser::ast::Expr::Identifier(i) if !i.value.starts_with('@') => {
                    Value::Text(i.value.clone())
                }
                _ => engine.scalar(e, vars)?,
            };
            option_values.push((name.clone(), value));
        }
    }
    let mut state = engine.lock();
    let viewer = state.viewer.clone();
    let instance = &mut state.instance;
    match kind {
        Kind::Reconfigure => {
            if !viewer.has("ALTER SETTINGS") {
                return Err(no_permission());
            }
            let major = instance.version.major;
            for (name, setting) in instance.configuration.iter_mut() {
                let dynamic = catalog::configuration_option(major, name).is_some_and(|o| o.5);
                if dynamic {
                    *setting = Setting::Value(setting.pair().0);
                }
            }
        }
        Kind::CreateLogin { name, windows, .. } => {
            if !viewer.has("ALTER ANY LOGIN") {
                return Err(no_permission());
            }
            if instance.login(name).is_some() {
                return Err(fail(
                    15025,
                    format!("The server principal '{name}' already exists."),
                ));
            }
            let mut login = if *windows {
                Login::windows(name, LoginKind::WindowsUser)
            } else {
                Login::new(name, "")
            };
            login.created = Some(When::now());
            apply_login_options(&mut login, &option_values)?;
            login.principal_id = instance.next_principal_id();
            instance.logins.push(login);
            instance.normalize().map_err(|e| fail(15025, e.0))?;
        }
        Kind::AlterLogin { name, change } => {
            let cannot = || {
                fail(
                    15151,
                    format!(
                        "Cannot alter the login '{name}', because it does not exist or you do not have permission."
                    ),
                )
            };
            let own = instance
                .login(name)
                .is_some_and(|l| l.name.eq_ignore_ascii_case(&viewer.login));
            let only_own_password = matches!(change, LoginChange::With(o) if o.iter().all(|(n, _)| matches!(n.as_str(), "PASSWORD" | "OLD_PASSWORD")));
            if !(viewer.has("ALTER ANY LOGIN") || own && only_own_password) {
                return Err(cannot());
            }
            // A securityadmin cannot change a sysadmin.
            if !viewer.is_sysadmin()
                && instance.login(name).is_some_and(|l| {
                    l.sa || l.roles.iter().any(|r| r.eq_ignore_ascii_case("sysadmin"))
                })
                && !own
            {
                return Err(cannot());
            }
            let renamed = option_values
                .iter()
                .find(|(n, _)| n == "NAME")
                .map(|(_, v)| v.as_text());
            if let Some(new) = &renamed
                && instance
                    .login(new)
                    .is_some_and(|l| !l.name.eq_ignore_ascii_case(name))
            {
                return Err(fail(
                    15025,
                    format!("The server principal '{new}' already exists."),
                ));
            }
            let Some(login) = instance.login_mut(name) else {
                return Err(cannot());
            };
            match change {
                LoginChange::Enable => login.enabled = true,
                LoginChange::Disable => login.enabled = false,
                LoginChange::With(_) => apply_login_options(login, &option_values)?,
            }
            if let Some(new) = renamed {
                let old = login.name.clone();
                login.name = new.clone();
                // Users keep mapping by SID; linked-login mappings and database owners follow.
                for server in &mut instance.linked_servers {
                    for mapping in &mut server.logins {
                        if mapping
                            .local
                            .as_deref()
                            .is_some_and(|l| l.eq_ignore_ascii_case(&old))
                        {
                            mapping.local = Some(new.clone());
                        }
                    }
                }
                for db in &mut instance.databases {
                    if db
                        .owner
                        .as_deref()
                        .is_some_and(|o| o.eq_ignore_ascii_case(&old))
                    {
                        db.owner = Some(new.clone());
                    }
                    for user in &mut db.users {
                        if user
                            .login
                            .as_deref()
                            .is_some_and(|l| l.eq_ignore_ascii_case(&old))
                        {
                            user.login = Some(new.clone());
                        }
                    }
                }
            }
        }
        Kind::DropLogin(name) => {
            let cannot = || {
                fail(
                    15151,
                    format!(
                        "Cannot drop the login '{name}', because it does not exist or you do not have permission."
                    ),
                )
            };
            if !viewer.has("ALTER ANY LOGIN") {
                return Err(cannot());
            }
            let Some(login) = instance.login(name) else {
                return Err(cannot());
            };
            if login.sa {
                return Err(fail(15405, "Cannot use the special principal 'sa'.".into()));
            }
            if login.name.eq_ignore_ascii_case(&viewer.login) {
                return Err(fail(
                    15434,
                    format!("Could not drop login '{name}' as the user is currently logged in."),
                ));
            }
            let (sid, lower) = (login.sid.clone(), login.name.to_lowercase());
            instance.logins.retain(|l| l.name.to_lowercase() != lower);
            // Its database users stay, orphaned, as on a real server.
            for db in &mut instance.databases {
                for user in &mut db.users {
                    if user.sid == sid {
                        user.orphaned = true;
                        user.login = None;
                    }
                }
            }
        }
        Kind::AlterRole {
            server: true,
            role,
            add,
            member,
        } => {
            let cannot = || {
                fail(
                    15151,
                    format!(
                        "Cannot alter the server role '{role}', because it does not exist or you do not have permission."
                    ),
                )
            };
            let Some(role_name) = crate::instance::FIXED_SERVER_ROLES
                .iter()
                .map(|(_, n)| (*n).to_owned())
                .chain(instance.server_roles.iter().map(|r| r.name.clone()))
                .find(|n| n.eq_ignore_ascii_case(role))
            else {
                return Err(cannot());
            };
            let allowed = viewer.is_sysadmin()
                || (!role_name.eq_ignore_ascii_case("sysadmin")
                    && viewer.has("ALTER ANY SERVER ROLE"));
            if !allowed {
                return Err(cannot());
            }
            let Some(login) = instance.login_mut(member) else {
                return Err(fail(
                    15151,
                    format!(
                        "Cannot alter the server role '{role}', because it does not exist or you do not have permission."
                    ),
                ));
            };
            if *add {
                if !login
                    .roles
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(&role_name))
                {
                    login.roles.push(role_name);
                }
            } else {
                if login.sa && role_name.eq_ignore_ascii_case("sysadmin") {
                    return Err(fail(15405, "Cannot use the special principal 'sa'.".into()));
                }
                login.roles.retain(|r| !r.eq_ignore_ascii_case(&role_name));
            }
        }
        Kind::AlterRole {
            server: false,
            role,
            add,
            member,
        } => {
            let database = session.database.clone();
            let db = current_db(instance, &database)?;
            if !db_owner(&viewer) {
                return Err(fail(
                    15151,
                    format!(
                        "Cannot alter the role '{role}', because it does not exist or you do not have permission."
                    ),
                ));
            }
            let fixed = crate::instance::FIXED_DATABASE_ROLES
                .iter()
                .any(|(_, n)| n.eq_ignore_ascii_case(role));
            if !fixed && !db.roles.iter().any(|r| r.eq_ignore_ascii_case(role)) {
                return Err(fail(
                    15151,
                    format!(
                        "Cannot alter the role '{role}', because it does not exist or you do not have permission."
                    ),
                ));
            }
            // guest and roles are members too (sys.database_role_members takes any database
            // principal; learn.microsoft.com: ALTER ROLE, "member_name … a database user,
            // database role, Windows login, or Windows group").
            if member.eq_ignore_ascii_case("guest") {
                if *add {
                    if !db.guest_roles.iter().any(|r| r.eq_ignore_ascii_case(role)) {
                        db.guest_roles.push(role.clone());
                    }
                } else {
                    db.guest_roles.retain(|r| !r.eq_ignore_ascii_case(role));
                }
                return Ok(());
            }
            if db.roles.iter().any(|r| r.eq_ignore_ascii_case(member)) {
                let same = |n: &crate::instance::NestedRole| {
                    n.role.eq_ignore_ascii_case(role) && n.member.eq_ignore_ascii_case(member)
                };
                if *add {
                    if !db.nested_roles.iter().any(same) {
                        db.nested_roles.push(crate::instance::NestedRole {
                            role: role.clone(),
                            member: member.clone(),
                        });
                    }
                } else {
                    db.nested_roles.retain(|n| !same(n));
                }
                return Ok(());
            }
            let Some(user) = db
                .users
                .iter_mut()
                .find(|u| u.name.eq_ignore_ascii_case(member))
            else {
                return Err(fail(
                    15151,
                    format!(
                        "Cannot add the principal '{member}', because it does not exist or you do not have permission."
                    ),
                ));
            };
            if *add {
                if !user.roles.iter().any(|r| r.eq_ignore_ascii_case(role)) {
                    user.roles.push(role.clone());
                }
            } else {
                user.roles.retain(|r| !r.eq_ignore_ascii_case(role));
            }
        }
        Kind::CreateUser { name, login } => {
            // ALTER ANY USER in the database (db_owner, db_accessadmin, or CONTROL SERVER
            // above them): learn.microsoft.com/sql/t-sql/statements/create-user-transact-sql.
            if !db_owner(&viewer) {
                return Err(no_permission());
            }
            let database = session.database.clone();
            let sid = match login {
                Some(l) => match instance.login(l) {
                    Some(login) => Some((login.name.clone(), login.sid.clone())),
                    None => {
                        return Err(fail(
                            15007,
                            format!("'{l}' is not a valid login or you do not have permission."),
                        ));
                    }
                },
                None => None,
            };
            let db = current_db(instance, &database)?;
            if db.users.iter().any(|u| u.name.eq_ignore_ascii_case(name)) {
                return Err(fail(
                    15023,
                    format!(
                        "User, group, or role '{name}' already exists in the current database."
                    ),
                ));
            }
            let next = db.next_user_id();
            db.users.push(User {
                name: name.clone(),
                login: sid.as_ref().map(|s| s.0.clone()),
                orphaned: false,
                roles: Vec::new(),
                default_schema: "dbo".into(),
                authentication: crate::instance::UserAuthentication::Instance,
                principal_id: next,
                sid: sid.map_or_else(
                    || crate::instance::digest(&format!("nologin:{name}")),
                    |s| s.1,
                ),
            });
        }
        Kind::DropUser(name) => {
            let database = session.database.clone();
            let db = current_db(instance, &database)?;
            let cannot = || {
                fail(
                    15151,
                    format!(
                        "Cannot drop the user '{name}', because it does not exist or you do not have permission."
                    ),
                )
            };
            if !db_owner(&viewer) {
                return Err(cannot());
            }
            if ["dbo", "guest", "sys", "INFORMATION_SCHEMA"]
                .iter()
                .any(|s| s.eq_ignore_ascii_case(name))
            {
                return Err(fail(
                    15284,
                    format!(
                        "The database principal has granted or denied permissions to objects in the database and cannot be dropped: '{name}'."
                    ),
                ));
            }
            let before = db.users.len();
            db.users.retain(|u| !u.name.eq_ignore_ascii_case(name));
            if db.users.len() == before {
                return Err(cannot());
            }
            db.permissions
                .retain(|p| !p.grantee.eq_ignore_ascii_case(name));
        }
        Kind::Permission(change) => permission(instance, &viewer, &session.database, change)?,
        Kind::AlterDatabase { database, options } => {
            let name = if database.is_empty() {
                session.database.clone()
            } else {
                database.clone()
            };
            if !viewer.has("ALTER ANY DATABASE") {
                let owner = instance
                    .database(&name)
                    .is_some_and(|d| viewer.user_in(instance, d) == Some(1));
                if !owner {
                    return Err(fail(
                        5011,
                        format!(
                            "User does not have permission to alter database '{name}', the database does not exist, or the database is not in a state that allows access checks."
                        ),
                    ));
                }
            }
            let Some(db) = instance.database_mut(&name) else {
                return Err(fail(
                    5011,
                    format!(
                        "User does not have permission to alter database '{name}', the database does not exist, or the database is not in a state that allows access checks."
                    ),
                ));
            };
            for option in options {
                let words: Vec<&str> = option.split_whitespace().collect();
                match words.as_slice() {
                    ["TRUSTWORTHY", on] => db.trustworthy = *on == "ON",
                    // "This option may not be changed on the master, model, or tempdb system
                    // databases" (learn.microsoft.com: cross db ownership chaining); error
                    // 5058 "Option '%.*ls' cannot be set in database '%.*ls'." (sys.messages).
                    ["DB_CHAINING", on] => {
                        if matches!(
                            db.name.to_lowercase().as_str(),
                            "master" | "model" | "tempdb"
                        ) {
                            return Err(fail(
                                5058,
                                format!(
                                    "Option 'DB_CHAINING' cannot be set in database '{}'.",
                                    db.name
                                ),
                            ));
                        }
                        db.db_chaining = Some(*on == "ON");
                    }
                    ["AUTO_CLOSE", on] => db.auto_close = *on == "ON",
                    ["OFFLINE"] => db.state = DatabaseState::Offline,
                    ["ONLINE"] => db.state = DatabaseState::Online,
                    ["READ_ONLY"] => db.read_only = true,
                    ["READ_WRITE"] => db.read_only = false,
                    ["RECOVERY", model] => {
                        db.recovery = match *model {
                            "FULL" => Recovery::Full,
                            "SIMPLE" => Recovery::Simple,
                            "BULK_LOGGED" => Recovery::BulkLogged,
                            _ => {
                                return Err(Flow::Abort(SqlError::syntax(
                                    model,
                                    "Expected FULL, SIMPLE or BULK_LOGGED.",
                                )));
                            }
                        }
                    }
                    ["SINGLE_USER"] | ["MULTI_USER"] | ["RESTRICTED_USER"] => {}
                    _ => {
                        return Err(Flow::Abort(SqlError::syntax(
                            words.first().copied().unwrap_or(""),
                            "The simulator does not model this database option.",
                        )));
                    }
                }
            }
        }
        Kind::AlterAuthorization { database, owner } => {
            if !viewer.has("ALTER ANY DATABASE") && !viewer.is_sysadmin() {
                return Err(no_permission());
            }
            let Some(login) = instance.login(owner).map(|l| l.name.clone()) else {
                return Err(fail(
                    15151,
                    format!(
                        "Cannot find the principal '{owner}', because it does not exist or you do not have permission."
                    ),
                ));
            };
            let Some(db) = instance.database_mut(database) else {
                return Err(fail(
                    15010,
                    format!(
                        "The database '{database}' does not exist. Supply a valid database name."
                    ),
                ));
            };
            db.owner = Some(login);
        }
        Kind::DropTrigger { name, server } | Kind::EnableTrigger { name, server, .. } => {
            let enable = match kind {
                Kind::EnableTrigger { enable, .. } => Some(*enable),
                _ => None,
            };
            let missing = || {
                fail(
                    3701,
                    format!(
                        "Cannot drop the trigger '{name}', because it does not exist or you do not have permission."
                    ),
                )
            };
            if *server {
                if !viewer.is_sysadmin() && !viewer.has("CONTROL SERVER") {
                    return Err(missing());
                }
                let Some(at) = instance
                    .server_triggers
                    .iter()
                    .position(|t| t.name.eq_ignore_ascii_case(name))
                else {
                    return Err(missing());
                };
                match enable {
                    Some(e) => instance.server_triggers[at].disabled = !e,
                    None => {
                        instance.server_triggers.remove(at);
                    }
                }
            } else {
                let database = session.database.clone();
                let db = current_db(instance, &database)?;
                let short = name.rsplit('.').next().unwrap_or(name);
                let Some(at) = db
                    .triggers
                    .iter()
                    .position(|t| t.name.eq_ignore_ascii_case(short))
                else {
                    return Err(missing());
                };
                match enable {
                    Some(e) => db.triggers[at].disabled = !e,
                    None => {
                        db.triggers.remove(at);
                    }
                }
            }
        }
        Kind::BackupCertificate(name) => {
            let database = session.database.clone();
            let db = current_db(instance, &database)?;
            let Some(cert) = db
                .certificates
                .iter_mut()
                .find(|c| c.name.eq_ignore_ascii_case(name))
            else {
                return Err(fail(
                    15151,
                    format!(
                        "Cannot find the certificate '{name}', because it does not exist or you do not have permission."
                    ),
                ));
            };
            cert.last_backup = Some(When::now());
        }
        Kind::BackupMasterKey => {
            let database = session.database.clone();
            let db = current_db(instance, &database)?;
            match &mut db.master_key {
                Some(key) => key.last_backup = Some(When::now()),
                None if database.eq_ignore_ascii_case("master") => {
                    db.master_key = Some(crate::instance::MasterKey {
                        last_backup: Some(When::now()),
                        encrypted_by_server: true,
                        algorithm: None,
                    });
                }
                None => return Err(fail(15151, "Cannot find the symmetric key 'master key', because it does not exist or you do not have permission.".into())),
            }
        }
        Kind::BackupDatabase { database, log } => {
            if !viewer.is_sysadmin() && !viewer.has("CONTROL SERVER") {
                return Err(fail(
                    262,
                    format!("BACKUP DATABASE permission denied in database '{database}'."),
                ));
            }
            let Some(db) = instance.database_mut(database) else {
                return Err(fail(
                    911,
                    format!(
                        "Database '{database}' does not exist. Make sure that the name is entered correctly."
                    ),
                ));
            };
            if *log && db.recovery == Recovery::Simple {
                return Err(fail(4208, "The statement BACKUP LOG is not allowed while the recovery model is SIMPLE. Use BACKUP DATABASE or change the recovery model using ALTER DATABASE.".into()));
            }
            db.backups.push(Backup {
                kind: if *log { "L".into() } else { "D".into() },
                finished: When::now(),
                size_mb: 64,
                encryption: None,
                certificate: None,
                device: None,
            });
            out.push(Outcome::Info(SqlError {
                number: 3014,
                state: 1,
                class: 0,
                text: format!("BACKUP DATABASE successfully processed 1024 pages in 0.100 seconds (80.000 MB/sec) for '{}'.", db.name),
            }));
        }
        other => {
            return Err(Flow::Abort(SqlError::syntax(
                "",
                &format!("The simulator cannot run {other:?}."),
            )));
        }
    }
    Ok(())
}

fn current_db<'a>(instance: &'a mut crate::Instance, name: &str) -> Result<&'a mut Database, Flow> {
    instance.database_mut(name).ok_or_else(|| {
        fail(
            911,
            format!(
                "Database '{name}' does not exist. Make sure that the name is entered correctly."
            ),
        )
    })
}

/// Whether the viewer may change principals of the current database (db_owner or above; the
/// simulator grants it to sysadmin and CONTROL SERVER).
fn db_owner(viewer: &super::Viewer) -> bool {
    viewer.is_sysadmin() || viewer.has("CONTROL SERVER")
}

fn apply_login_options(login: &mut Login, options: &[(String, Value)]) -> Result<(), Flow> {
    for (name, value) in options {
        let on = || value.as_text().eq_ignore_ascii_case("ON") || value.as_int() == Some(1);
        match name.as_str() {
            "PASSWORD" => {
                login.password = Some(value.as_text());
                login.password_last_set = Some(When::now());
            }
            "OLD_PASSWORD" | "HASHED" => {}
            "MUST_CHANGE" => login.must_change = true,
            "UNLOCK" => login.locked = false,
            "NAME" => {}
            "CHECK_POLICY" => login.check_policy = on(),
            "CHECK_EXPIRATION" => {
                if on() && !login.check_policy {
                    return Err(fail(
                        15122,
                        "The CHECK_EXPIRATION option cannot be used when CHECK_POLICY is OFF."
                            .into(),
                    ));
                }
                login.check_expiration = on();
            }
            "DEFAULT_DATABASE" => login.default_database = value.as_text(),
            "DEFAULT_LANGUAGE" | "SID" | "CREDENTIAL" | "NO" => {}
            other => {
                return Err(Flow::Abort(SqlError::syntax(
                    other,
                    "The simulator does not know this login option.",
                )));
            }
        }
    }
    Ok(())
}

fn permission(
    instance: &mut crate::Instance,
    viewer: &super::Viewer,
    database: &str,
    change: &PermissionChange,
) -> Result<(), Flow> {
    let server_level =
        change.on.is_none() && change.permissions.iter().all(|p| is_server_permission(p))
            || change.on.as_ref().is_some_and(|(class, _)| {
                class == "LOGIN" || class == "SERVER" || class == "ENDPOINT"
            });
    if server_level {
        let major = instance.version.major;
        if let Some(missing) = change.permissions.iter().find(|p| {
            SERVER_PERMISSIONS
                .iter()
                .any(|(name, since)| name == p && major < *since)
        }) {
            return Err(Flow::Abort(SqlError::syntax(
                missing.split_whitespace().nth(1).unwrap_or(missing),
                &format!("{missing} does not exist on SQL Server {major}.x."),
            )));
        }
        if !viewer.is_sysadmin() && !viewer.has("CONTROL SERVER") {
            return Err(no_permission());
        }
        // "Permissions at the server scope can be granted only when the current database is
        // master" (learn.microsoft.com/sql/t-sql/statements/grant-server-permissions-transact-sql).
        if !database.eq_ignore_ascii_case("master") {
            return Err(fail(
                4621,
                "Permissions at the server scope can only be granted when the current database is master".into(),
            ));
        }
        for principal in &change.principals {
            let Some(login) = instance.login_mut(principal) else {
                return Err(fail(
                    15151,
                    format!(
                        "Cannot find the login '{principal}', because it does not exist or you do not have permission."
                    ),
                ));
            };
            for permission in &change.permissions {
                login
                    .permissions
                    .retain(|p| !p.eq_ignore_ascii_case(permission));
                login.denied.retain(|p| !p.eq_ignore_ascii_case(permission));
                match change.verb.as_str() {
                    "GRANT" => login.permissions.push(permission.clone()),
                    "DENY" => login.denied.push(permission.clone()),
                    _ => {}
                }
            }
        }
        return Ok(());
    }
    if !viewer.is_sysadmin() && !viewer.has("CONTROL SERVER") {
        return Err(no_permission());
    }
    // The securable of a database permission is in the current database: GRANT takes
    // `[schema.]object`, not a three-part name
    // (learn.microsoft.com/sql/t-sql/statements/grant-object-permissions-transact-sql).
    if let Some((_, name)) = &change.on
        && name.split('.').count() > 2
    {
        return Err(Flow::Abort(SqlError::syntax(
            name,
            "GRANT names an object as [schema.]object in the current database: USE its database first.",
        )));
    }
    let db = current_db(instance, database)?;
    let on = change
        .on
        .as_ref()
        .map(|(class, name)| match class.as_str() {
            "OBJECT" => name.clone(),
            other => format!("{other}::{name}"),
        });
    let on = match on.as_deref() {
        Some(o) if o.eq_ignore_ascii_case(&format!("DATABASE::{}", db.name)) => None,
        _ => on,
    };
    for principal in &change.principals {
        let known = ["dbo", "guest", "public"]
            .iter()
            .any(|p| p.eq_ignore_ascii_case(principal))
            || db
                .users
                .iter()
                .any(|u| u.name.eq_ignore_ascii_case(principal))
            || db.roles.iter().any(|r| r.eq_ignore_ascii_case(principal))
            || db
                .application_roles
                .iter()
                .any(|r| r.eq_ignore_ascii_case(principal))
            || crate::instance::FIXED_DATABASE_ROLES
                .iter()
                .any(|(_, r)| r.eq_ignore_ascii_case(principal));
        if !known {
            return Err(fail(
                15151,
                format!(
                    "Cannot find the user '{principal}', because it does not exist or you do not have permission."
                ),
            ));
        }
        for permission in &change.permissions {
            if principal.eq_ignore_ascii_case("guest") && permission == "CONNECT" && on.is_none() {
                db.guest = Some(change.verb == "GRANT");
                continue;
            }
            let same = |p: &Permission| {
                p.grantee.eq_ignore_ascii_case(principal)
                    && p.permission.eq_ignore_ascii_case(permission)
                    && p.on.as_deref().map(str::to_lowercase)
                        == on.as_deref().map(str::to_lowercase)
            };
            if change.grant_option_for {
                for p in db.permissions.iter_mut().filter(|p| same(p)) {
                    if p.state == PermissionState::GrantWithGrantOption {
                        p.state = PermissionState::Grant;
                    }
                }
                continue;
            }
            db.permissions.retain(|p| !same(p));
            let state = match (change.verb.as_str(), change.with_grant_option) {
                ("GRANT", true) => Some(PermissionState::GrantWithGrantOption),
                ("GRANT", false) => Some(PermissionState::Grant),
                ("DENY", _) => Some(PermissionState::Deny),
                _ => None,
            };
            if let Some(state) = state {
                db.permissions.push(Permission {
                    grantee: principal.clone(),
                    permission: permission.clone(),
                    on: on.clone(),
                    state,
                });
            }
        }
    }
    Ok(())
}
