//! T-SQL built-in functions the catalog queries use, registered as SQLite functions.

use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value as Sql;

use super::State;
use crate::Instance;

/// The release name of a version, for `@@VERSION`.
fn release(major: u8, minor: u8) -> &'static str {
    match major {
        10 if minor == 50 => "2008 R2",
        10 => "2008",
        11 => "2012",
        12 => "2014",
        13 => "2016",
        14 => "2017",
        15 => "2019",
        16 => "2022",
        17 => "2025",
        _ => "",
    }
}

/// Errors raised inside a function carry this prefix and the SQL Server error number, so that
/// the engine reports them with that number.
pub const SQL_ERROR_PREFIX: &str = "SQLERR ";

type Shared = Arc<Mutex<State>>;

fn with<T>(state: &Shared, f: impl FnOnce(&State) -> T) -> T {
    f(&state.lock().unwrap_or_else(|e| e.into_inner()))
}

/// Registers every function on `conn`.
pub fn register(conn: &Connection, state: Shared) -> rusqlite::Result<()> {
    let deterministic = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let volatile = FunctionFlags::SQLITE_UTF8;

    let st = Arc::clone(&state);
    conn.create_scalar_function("SERVERPROPERTY", 1, volatile, move |ctx| {
        let name: String = ctx.get(0)?;
        Ok(with(&st, |s| server_property(&s.instance, &name)))
    })?;

    let st = Arc::clone(&state);
    conn.create_scalar_function("__global", 1, volatile, move |ctx| {
        let name: String = ctx.get(0)?;
        Ok(with(&st, |s| {
            let inst = &s.instance;
            match name.as_str() {
                "VERSION" => {
                    let edition = inst.edition.split(" (").next().unwrap_or(&inst.edition).to_owned();
                    let level = match &inst.update_level {
                        Some(cu) => format!("{}-{cu}", inst.product_level),
                        None => inst.product_level.clone(),
                    };
                    Sql::Text(format!(
                        "Microsoft SQL Server {} ({level}) - {} (X64) \n\tCopyright (C) Microsoft Corporation\n\t{} on {} {} <X64> (Build 17763: ) (Hypervisor)\n",
                        release(inst.version.major, inst.version.minor),
                        inst.product_version(),
                        edition,
                        inst.host.distribution,
                        inst.host.release,
                    ))
                }
                "SERVERNAME" => Sql::Text(inst.server_name.clone()),
                "SERVICENAME" => Sql::Text(inst.instance_name().unwrap_or("MSSQLSERVER").to_owned()),
                "SPID" => Sql::Integer(i64::from(s.session.spid)),
                "LANGUAGE" => Sql::Text("us_english".into()),
                "TRANCOUNT" => Sql::Integer(i64::from(s.trancount)),
                "ERROR" => Sql::Integer(s.caught.as_ref().map_or(0, |e| i64::from(e.number))),
                "ROWCOUNT" => Sql::Integer(0),
                "MAX_PRECISION" => Sql::Integer(38),
                _ => Sql::Null,
            }
        }))
    })?;

    // Who is connected.
    for name in ["SUSER_SNAME", "SUSER_NAME", "ORIGINAL_LOGIN"] {
        let st = Arc::clone(&state);
        conn.create_scalar_function(name, -1, volatile, move |ctx| {
            if ctx.is_empty() {
                return Ok(Sql::Text(with(&st, |s| s.session.login.clone())));
            }
            let sid: Option<Vec<u8>> = ctx.get(0)?;
            Ok(with(&st, |s| {
                sid.and_then(|sid| s.instance.logins.iter().find(|l| l.sid == sid))
                    .map_or(Sql::Null, |l| Sql::Text(l.name.clone()))
            }))
        })?;
    }
    let st = Arc::clone(&state);
    conn.create_scalar_function("USER_NAME", -1, volatile, move |_| {
        Ok(with(&st, |s| {
            let db = s.instance.database(&s.session.database);
            match db.and_then(|d| s.viewer.user_in(&s.instance, d).map(|id| (d, id))) {
                Some((_, 1)) => Sql::Text("dbo".into()),
                Some((d, id)) => d
                    .users
                    .iter()
                    .find(|u| u.principal_id == id)
                    .map_or(Sql::Null, |u| Sql::Text(u.name.clone())),
                None => Sql::Text("guest".into()),
            }
        }))
    })?;
    let st = Arc::clone(&state);
    conn.create_scalar_function("DB_NAME", -1, volatile, move |ctx| {
        if ctx.is_empty() {
            return Ok(Sql::Text(with(&st, |s| s.session.database.clone())));
        }
        let id: Option<i64> = ctx.get(0)?;
        Ok(with(&st, |s| {
            id.and_then(|id| s.instance.database_by_id(id as i32))
                .map_or(Sql::Null, |d| Sql::Text(d.name.clone()))
        }))
    })?;
    let st = Arc::clone(&state);
    conn.create_scalar_function("DB_ID", -1, volatile, move |ctx| {
        let name: Option<String> = if ctx.is_empty() {
            Some(with(&st, |s| s.session.database.clone()))
        } else {
            ctx.get(0)?
        };
        Ok(with(&st, |s| {
            name.and_then(|n| s.instance.database(&n).map(|d| i64::from(d.database_id)))
        }))
    })?;
    let st = Arc::clone(&state);
    conn.create_scalar_function("SUSER_SID", -1, volatile, move |ctx| {
        let name: Option<String> = if ctx.is_empty() {
            Some(with(&st, |s| s.session.login.clone()))
        } else {
            ctx.get(0)?
        };
        Ok(with(&st, |s| {
            name.and_then(|n| s.instance.login(&n).map(|l| l.sid.clone()))
        }))
    })?;

    // QUOTENAME(s [, q]): brackets (doubling ]) by default; NULL above 128 characters.
    conn.create_scalar_function("QUOTENAME", -1, deterministic, |ctx| {
        let text: Option<String> = ctx.get(0)?;
        let quote: String = if ctx.len() > 1 {
            ctx.get(1)?
        } else {
            "[".into()
        };
        Ok(match text {
            Some(t) if t.chars().count() <= 128 => {
                let (open, close) = match quote.as_str() {
                    "[" | "]" => ('[', ']'),
                    "'" => ('\'', '\''),
                    "\"" => ('"', '"'),
                    _ => return Ok(None),
                };
                Some(format!(
                    "{open}{}{close}",
                    t.replace(close, &format!("{close}{close}"))
                ))
            }
            _ => None,
        })
    })?;
    // LEN: characters, ignoring trailing spaces.
    conn.create_scalar_function("LEN", 1, deterministic, |ctx| {
        let text: Option<String> = ctx.get(0)?;
        Ok(text.map(|t| t.trim_end_matches(' ').chars().count() as i64))
    })?;
    // PWDCOMPARE(clear, hash): 1 when `clear` is the password behind `hash`.
    conn.create_scalar_function("PWDCOMPARE", -1, deterministic, |ctx| {
        let clear: Option<String> = ctx.get(0)?;
        let hash: Option<Vec<u8>> = ctx.get(1)?;
        Ok(match (clear, hash) {
            (Some(clear), Some(hash)) => {
                Some(i64::from(super::catalog::password_hash(&clear) == hash))
            }
            _ => None,
        })
    })?;
    // LOGINPROPERTY(login, property), for the properties audits read.
    let st = Arc::clone(&state);
    conn.create_scalar_function("LOGINPROPERTY", 2, volatile, move |ctx| {
        let name: String = ctx.get(0)?;
        let property: String = ctx.get(1)?;
        Ok(with(&st, |s| {
            let Some(login) = s
                .instance
                .login(&name)
                .filter(|l| l.kind == crate::instance::LoginKind::Sql)
            else {
                return Sql::Null;
            };
            let own = s.viewer.principals.contains(&login.principal_id);
            if !own && !s.viewer.has("VIEW ANY DEFINITION") {
                return Sql::Null;
            }
            let anchor = s.anchor;
            match property.to_ascii_lowercase().as_str() {
                "passwordhash" if super::catalog::reads_password_hashes(&s.viewer) => login
                    .password
                    .as_deref()
                    .map_or(Sql::Null, |p| Sql::Blob(super::catalog::password_hash(p))),
                "passwordhash" => Sql::Null,
                "islocked" => Sql::Integer(i64::from(login.locked)),
                "ismustchange" => Sql::Integer(i64::from(login.must_change)),
                "isexpired" | "badpasswordcount" => Sql::Integer(0),
                "passwordlastsettime" => Sql::Text(
                    login
                        .password_last_set
                        .as_ref()
                        .or(login.created.as_ref())
                        .map_or(super::catalog::INSTALL_DATE.to_owned(), |w| {
                            w.to_datetime(anchor)
                        }),
                ),
                "defaultdatabase" => Sql::Text(login.default_database.clone()),
                "daysuntilexpiration" if login.check_expiration => Sql::Integer(42),
                _ => Sql::Null,
            }
        }))
    })?;
    // HAS_PERMS_BY_NAME(securable, class, permission): 1 / 0, NULL for an unknown securable.
    let st = Arc::clone(&state);
    conn.create_scalar_function("HAS_PERMS_BY_NAME", -1, volatile, move |ctx| {
        let securable: Option<String> = ctx.get(0)?;
        let class: Option<String> = ctx.get(1)?;
        let class = class.unwrap_or_else(|| "SERVER".into());
        let permission: String = ctx.get(2)?;
        Ok(with(&st, |s| {
            let v = &s.viewer;
            let permission = permission.to_uppercase();
            match class.to_ascii_uppercase().as_str() {
                "SERVER" => Some(i64::from(v.has(&permission))),
                "DATABASE" => {
                    let name = securable.unwrap_or_else(|| s.session.database.clone());
                    let db = s.instance.database(&name)?;
                    if v.is_sysadmin()
                        || v.has("CONTROL SERVER")
                        || v.user_in(&s.instance, db) == Some(1)
                    {
                        return Some(1);
                    }
                    if permission == "CONNECT" {
                        return Some(i64::from(v.can_access(&s.instance, db)));
                    }
                    let user = v.user_in(&s.instance, db)?;
                    let user = db.users.iter().find(|u| u.principal_id == user)?;
                    Some(i64::from(db.permissions.iter().any(|p| {
                        p.on.is_none()
                            && p.permission.eq_ignore_ascii_case(&permission)
                            && p.state != crate::instance::PermissionState::Deny
                            && (p.grantee.eq_ignore_ascii_case(&user.name)
                                || user
                                    .roles
                                    .iter()
                                    .any(|r| r.eq_ignore_ascii_case(&p.grantee)))
                    })))
                }
                _ => Some(i64::from(v.is_sysadmin() || v.has("CONTROL SERVER"))),
            }
        }))
    })?;
    // IS_SRVROLEMEMBER(role) for the session: through its login or any group it came in by.
    let st = Arc::clone(&state);
    conn.create_scalar_function("__srvrole_self", 1, volatile, move |ctx| {
        let role: Option<String> = ctx.get(0)?;
        Ok(with(&st, |s| {
            let role = role?;
            super::catalog::server_role_id(&s.instance, &role)?;
            if role.eq_ignore_ascii_case("public") {
                return Some(1);
            }
            Some(i64::from(s.instance.logins.iter().any(|l| {
                s.viewer.principals.contains(&l.principal_id)
                    && l.roles.iter().any(|r| r.eq_ignore_ascii_case(&role))
            })))
        }))
    })?;
    // IS_MEMBER(name) for a Windows group: whether the session came in through that group's
    // login (or is that login); NULL for a name that is no Windows login, as for an unknown
    // group or role on SQL Server. Remediation scripts guard with it against lockout.
    let st = Arc::clone(&state);
    conn.create_scalar_function("IS_MEMBER", 1, volatile, move |ctx| {
        let name: Option<String> = ctx.get(0)?;
        Ok(with(&st, |s| {
            let name = name?;
            let login = s.instance.logins.iter().find(|l| {
                l.name.eq_ignore_ascii_case(&name)
                    && matches!(
                        l.kind,
                        crate::instance::LoginKind::WindowsGroup
                            | crate::instance::LoginKind::WindowsUser
                    )
            })?;
            Some(i64::from(s.viewer.principals.contains(&login.principal_id)))
        }))
    })?;
    // HAS_DBACCESS(name): whether the session may use the database (NULL if there is none).
    let st = Arc::clone(&state);
    conn.create_scalar_function("HAS_DBACCESS", 1, volatile, move |ctx| {
        let name: Option<String> = ctx.get(0)?;
        Ok(with(&st, |s| {
            let db = s.instance.database(&name?)?;
            let online = db.state == crate::instance::DatabaseState::Online;
            Some(i64::from(online && s.viewer.can_access(&s.instance, db)))
        }))
    })?;
    // The error a CATCH block handles.
    for (name, pick) in [
        ("ERROR_NUMBER", 0u8),
        ("ERROR_MESSAGE", 1),
        ("ERROR_SEVERITY", 2),
        ("ERROR_STATE", 3),
    ] {
        let st = Arc::clone(&state);
        conn.create_scalar_function(name, 0, volatile, move |_| {
            Ok(with(&st, |s| match &s.caught {
                None => Sql::Null,
                Some(e) => match pick {
                    0 => Sql::Integer(i64::from(e.number)),
                    1 => Sql::Text(e.text.clone()),
                    2 => Sql::Integer(i64::from(e.class)),
                    _ => Sql::Integer(i64::from(e.state)),
                },
            }))
        })?;
    }
    for name in [
        "GETDATE",
        "SYSDATETIME",
        "GETUTCDATE",
        "SYSUTCDATETIME",
        "CURRENT_TIMESTAMP",
    ] {
        conn.create_scalar_function(name, 0, volatile, |_| {
            Ok(crate::instance::when::format_datetime(
                crate::instance::when::now(),
            ))
        })?;
    }
    conn.create_scalar_function("__datediff", 3, deterministic, |ctx| {
        let unit: String = ctx.get(0)?;
        let (a, b): (Option<String>, Option<String>) = (ctx.get(1)?, ctx.get(2)?);
        let (Some(a), Some(b)) = (a, b) else {
            return Ok(None);
        };
        let (Some(a), Some(b)) = (parse_datetime(&a), parse_datetime(&b)) else {
            return Err(sql_error(
                241,
                "Conversion failed when converting date and/or time from character string.",
            ));
        };
        let days = i64::from(b.date().to_julian_day() - a.date().to_julian_day());
        let hours = days * 24 + i64::from(b.hour()) - i64::from(a.hour());
        let minutes = hours * 60 + i64::from(b.minute()) - i64::from(a.minute());
        Ok(Some(match unit.as_str() {
            "year" | "yy" | "yyyy" => i64::from(b.year() - a.year()),
            "month" | "mm" | "m" => {
                i64::from(b.year() - a.year()) * 12 + i64::from(b.month() as u8)
                    - i64::from(a.month() as u8)
            }
            "week" | "wk" | "ww" => days.div_euclid(7),
            "day" | "dd" | "d" | "dayofyear" | "dy" | "y" => days,
            "hour" | "hh" => hours,
            "minute" | "mi" | "n" => minutes,
            "second" | "ss" | "s" => minutes * 60 + i64::from(b.second()) - i64::from(a.second()),
            other => {
                return Err(sql_error(
                    155,
                    &format!("'{other}' is not a recognized datediff option."),
                ));
            }
        }))
    })?;
    conn.create_scalar_function("__dateadd", 3, deterministic, |ctx| {
        let unit: String = ctx.get(0)?;
        let n: Option<i64> = ctx.get(1)?;
        let at: Option<String> = ctx.get(2)?;
        let (Some(n), Some(at)) = (n, at) else {
            return Ok(None);
        };
        let Some(at) = parse_datetime(&at) else {
            return Err(sql_error(
                241,
                "Conversion failed when converting date and/or time from character string.",
            ));
        };
        let span = match unit.as_str() {
            "day" | "dd" | "d" => time::Duration::days(n),
            "hour" | "hh" => time::Duration::hours(n),
            "minute" | "mi" | "n" => time::Duration::minutes(n),
            "second" | "ss" | "s" => time::Duration::seconds(n),
            "week" | "wk" | "ww" => time::Duration::weeks(n),
            "month" | "mm" | "m" => time::Duration::days(30 * n),
            "year" | "yy" | "yyyy" => time::Duration::days(365 * n),
            other => {
                return Err(sql_error(
                    155,
                    &format!("'{other}' is not a recognized dateadd option."),
                ));
            }
        };
        Ok(Some(crate::instance::when::format_datetime(at + span)))
    })?;
    // a + b with T-SQL's meaning: text + text concatenates, numbers add, NULL wins; text and a
    // number add when the text is a number (SQL Server converts it), else error 245.
    conn.create_scalar_function("__plus", 2, deterministic, |ctx| {
        use rusqlite::types::ValueRef as V;
        let (a, b) = (ctx.get_raw(0), ctx.get_raw(1));
        Ok(match (a, b) {
            (V::Null, _) | (_, V::Null) => Sql::Null,
            (V::Text(x), V::Text(y)) => Sql::Text(format!(
                "{}{}",
                String::from_utf8_lossy(x),
                String::from_utf8_lossy(y)
            )),
            (V::Integer(x), V::Integer(y)) => Sql::Integer(x.wrapping_add(y)),
            (x, y) => {
                let number = |v: V<'_>| match v {
                    V::Integer(i) => Some(i as f64),
                    V::Real(f) => Some(f),
                    V::Text(t) => String::from_utf8_lossy(t).trim().parse::<f64>().ok(),
                    _ => None,
                };
                match (number(x), number(y)) {
                    (Some(p), Some(q)) if (p + q).fract() == 0.0 && (p + q).abs() < 9.0e15 => {
                        Sql::Integer((p + q) as i64)
                    }
                    (Some(p), Some(q)) => Sql::Real(p + q),
                    _ => {
                        return Err(rusqlite::Error::UserFunctionError(
                            "Conversion failed when converting a value to a number for +".into(),
                        ));
                    }
                }
            }
        })
    })?;
    Ok(())
}

/// An error with a SQL Server number, raised from inside a function.
fn sql_error(number: i32, text: &str) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(format!("{SQL_ERROR_PREFIX}{number}: {text}").into())
}

/// SQL Server's `datetime` text (with or without time and milliseconds).
fn parse_datetime(text: &str) -> Option<time::PrimitiveDateTime> {
    crate::instance::When::try_from(text.trim().to_owned())
        .ok()
        .map(|w| w.resolve(crate::instance::when::now()))
}

/// SERVERPROPERTY for the properties audits read; unknown names give NULL, as on a server.
fn server_property(instance: &Instance, name: &str) -> Sql {
    let v = instance.version;
    let text = |s: &str| Sql::Text(s.to_owned());
    match name.to_ascii_lowercase().as_str() {
        "productversion" => Sql::Text(instance.product_version()),
        "productmajorversion" if v.major >= 11 => Sql::Text(v.major.to_string()),
        "productminorversion" if v.major >= 11 => Sql::Text(v.minor.to_string()),
        "productbuild" if v.major >= 11 => Sql::Text(v.build.to_string()),
        "productupdatelevel" if v.major >= 11 => {
            instance.update_level.as_deref().map_or(Sql::Null, text)
        }
        "productlevel" => Sql::Text(instance.product_level.clone()),
        "productrevision" if v.major >= 11 => Sql::Text(v.revision.to_string()),
        "edition" => Sql::Text(instance.edition.clone()),
        "engineedition" => Sql::Integer(
            if instance.edition.starts_with("Enterprise")
                || instance.edition.starts_with("Developer")
            {
                3
            } else if instance.edition.starts_with("Express") {
                4
            } else {
                2
            },
        ),
        "servername" => Sql::Text(instance.server_name.clone()),
        "machinename" | "computernamephysicalnetbios" => text(instance.machine_name()),
        "instancename" => instance.instance_name().map_or(Sql::Null, text),
        "isintegratedsecurityonly" => Sql::Integer(i64::from(
            instance.authentication == crate::instance::Authentication::Windows,
        )),
        "isclustered" | "ishadrenabled" | "issingleuser" | "isfulltextinstalled" => Sql::Integer(0),
        "collation" => text(super::COLLATION_NAME),
        "processid" => Sql::Integer(4242),
        "buildclrversion" => text("v4.0.30319"),
        _ => Sql::Null,
    }
}
