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
                    // On Linux `@@VERSION` ends "… Edition (64-bit) on Linux (Ubuntu 22.04.4
                    // LTS) <X64>" (learn.microsoft.com: @@VERSION, SQL Server on Linux).
                    if inst.on_linux() {
                        return Sql::Text(format!(
                            "Microsoft SQL Server {} ({level}) - {} (X64) \n\tCopyright (C) Microsoft Corporation\n\t{} on Linux ({} {}) <X64>",
                            release(inst.version.major, inst.version.minor),
                            inst.product_version(),
                            edition,
                            inst.host.distribution,
                            inst.host.release,
                        ));
                    }
                    Sql::Text(format!(
                        "Microsoft SQL Server {} ({level}) - {} (X64) \n\tCopyright (C) Microsoft Corporation\n\t{} on {} {} <X64> (Build 17763: ) (Hypervisor)\n",
                        release(inst.version.major, inst.version.minor),
                        inst.product_version(),
                        edition,
                        inst.host.distribution,
                        inst.host.release,
                    ))
                }
                // @@SERVERNAME does not follow a rename of the computer until sp_dropserver /
                // sp_addserver; SERVERPROPERTY('ServerName') does (learn.microsoft.com:
                // @@SERVERNAME, Remarks).
                "SERVERNAME" => Sql::Text(
                    inst.stale_server_name
                        .clone()
                        .unwrap_or_else(|| inst.server_name.clone()),
                ),
                "SERVICENAME" => Sql::Text(inst.instance_name().unwrap_or("MSSQLSERVER").to_owned()),
                "SPID" => Sql::Integer(i64::from(s.session.spid)),
                "LANGUAGE" => Sql::Text("us_english".into()),
                "TRANCOUNT" => Sql::Integer(i64::from(s.trancount)),
                "ERROR" => Sql::Integer(s.caught.as_ref().map_or(0, |e| i64::from(e.number))),
                "ROWCOUNT" => Sql::Integer(0),
                "MAX_PRECISION" => Sql::Integer(38),
                // A fresh session's values (the SET statements change none of them here).
                "DATEFIRST" => Sql::Integer(7),
                "LANGID" | "NESTLEVEL" | "PROCID" | "CURSOR_ROWS" | "PACKET_ERRORS"
                | "TOTAL_ERRORS" | "CPU_BUSY" | "IDLE" | "IO_BUSY" => Sql::Integer(0),
                "LOCK_TIMEOUT" => Sql::Integer(-1),
                "MAX_CONNECTIONS" => Sql::Integer(32767),
                "TEXTSIZE" => Sql::Integer(4096),
                "OPTIONS" => Sql::Integer(0),
                "TIMETICKS" => Sql::Integer(31250),
                "FETCH_STATUS" => Sql::Integer(s.fetch_status),
                "CONNECTIONS" | "PACK_RECEIVED" | "PACK_SENT" | "TOTAL_READ" | "TOTAL_WRITE" => {
                    Sql::Integer(i64::from(s.session.spid))
                }
                "DBTS" => Sql::Blob(vec![0, 0, 0, 0, 0, 0, 0x07, 0xD0]),
                _ => Sql::Null,
            }
        }))
    })?;

    // Who is connected.
    // SUSER_NAME(server_user_id) takes the principal_id (int), SUSER_SNAME(server_user_sid)
    // the SID (learn.microsoft.com: suser-name-transact-sql, suser-sname-transact-sql).
    let st = Arc::clone(&state);
    conn.create_scalar_function("SUSER_NAME", -1, volatile, move |ctx| {
        if ctx.is_empty() {
            return Ok(Sql::Text(with(&st, |s| s.session.login.clone())));
        }
        let id: Option<i64> = ctx.get(0)?;
        Ok(with(&st, |s| {
            let Some(id) = id else {
                return Sql::Null;
            };
            s.instance
                .logins
                .iter()
                .find(|l| i64::from(l.principal_id) == id)
                .map(|l| l.name.clone())
                .or_else(|| {
                    crate::instance::FIXED_SERVER_ROLES
                        .iter()
                        .find(|(pid, _)| i64::from(*pid) == id)
                        .map(|(_, name)| (*name).to_owned())
                })
                .map_or(Sql::Null, Sql::Text)
        }))
    })?;
    for name in ["SUSER_SNAME", "ORIGINAL_LOGIN"] {
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
    // USER_NAME(id), USER_ID(['name']), DATABASE_PRINCIPAL_ID(['name']): principals of the
    // current database (learn.microsoft.com/sql/t-sql/functions/user-name-transact-sql,
    // user-id-transact-sql, database-principal-id-transact-sql); NULL for none.
    let st = Arc::clone(&state);
    conn.create_scalar_function("USER_NAME", 1, volatile, move |ctx| {
        let id: Option<i64> = ctx.get(0)?;
        Ok(with(&st, |s| {
            let db = s.instance.database(&s.session.database)?;
            let id = id?;
            super::catalog::database_principals(db)
                .into_iter()
                .find(|(pid, _)| i64::from(*pid) == id)
                .map(|(_, name)| name)
        }))
    })?;
    for function in ["USER_ID", "DATABASE_PRINCIPAL_ID"] {
        let st = Arc::clone(&state);
        conn.create_scalar_function(function, -1, volatile, move |ctx| {
            let name: Option<String> = if ctx.is_empty() { None } else { ctx.get(0)? };
            let own = ctx.is_empty();
            Ok(with(&st, |s| {
                let db = s.instance.database(&s.session.database)?;
                if own {
                    return Some(i64::from(s.viewer.user_in(&s.instance, db).unwrap_or(2)));
                }
                let name = name?;
                super::catalog::database_principals(db)
                    .into_iter()
                    .find(|(_, n)| n.eq_ignore_ascii_case(&name))
                    .map(|(pid, _)| i64::from(pid))
            }))
        })?;
    }
    let st = Arc::clone(&state);
    conn.create_scalar_function("USER_NAME", 0, volatile, move |_| {
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
                "OBJECT" | "SCHEMA" => {
                    object_permission(s, &securable?, &class, &permission).map(i64::from)
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
    register_metadata(conn, &state)?;
    register_everyday(conn, &state)?;
    register_since_2012(conn)?;
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
    // DATEPART(unit, date) / DATENAME(unit, date) (learn.microsoft.com/sql/t-sql/functions/
    // datepart-transact-sql, datename-transact-sql), for a session at @@DATEFIRST 7 and
    // us_english; 155 for a unit that is none.
    for (function, name) in [("__datepart", false), ("__datename", true)] {
        conn.create_scalar_function(function, 2, deterministic, move |ctx| {
            let unit: String = ctx.get(0)?;
            let at: Option<String> = ctx.get(1)?;
            let Some(at) = at else {
                return Ok(Sql::Null);
            };
            let Some(at) = parse_datetime(&at) else {
                return Err(sql_error(
                    241,
                    "Conversion failed when converting date and/or time from character string.",
                ));
            };
            let sunday_first = i64::from(at.weekday().number_days_from_sunday()) + 1;
            let jan1 = time::Date::from_calendar_date(at.year(), time::Month::January, 1)
                .expect("1 January exists");
            let week =
                (i64::from(at.ordinal()) + i64::from(jan1.weekday().number_days_from_sunday()) - 1)
                    / 7
                    + 1;
            let part = match unit.as_str() {
                "year" | "yy" | "yyyy" => i64::from(at.year()),
                "quarter" | "qq" | "q" => (i64::from(at.month() as u8) - 1) / 3 + 1,
                "month" | "mm" | "m" if name => return Ok(Sql::Text(at.month().to_string())),
                "month" | "mm" | "m" => i64::from(at.month() as u8),
                "dayofyear" | "dy" | "y" => i64::from(at.ordinal()),
                "day" | "dd" | "d" => i64::from(at.day()),
                "week" | "wk" | "ww" => week,
                "weekday" | "dw" | "w" if name => return Ok(Sql::Text(at.weekday().to_string())),
                "weekday" | "dw" | "w" => sunday_first,
                "hour" | "hh" => i64::from(at.hour()),
                "minute" | "mi" | "n" => i64::from(at.minute()),
                "second" | "ss" | "s" => i64::from(at.second()),
                "millisecond" | "ms" => i64::from(at.millisecond()),
                "microsecond" | "mcs" => i64::from(at.microsecond()),
                "nanosecond" | "ns" => i64::from(at.nanosecond()),
                "iso_week" | "isowk" | "isoww" => i64::from(at.iso_week()),
                other => {
                    return Err(sql_error(
                        155,
                        &format!("'{other}' is not a recognized datepart option."),
                    ));
                }
            };
            Ok(if name {
                Sql::Text(part.to_string())
            } else {
                Sql::Integer(part)
            })
        })?;
    }
    // DATETRUNC(unit, date) (2022, datetrunc-transact-sql): the date with every smaller part at
    // its start.
    conn.create_scalar_function("__datetrunc", 2, deterministic, |ctx| {
        let unit: String = ctx.get(0)?;
        let at: Option<String> = ctx.get(1)?;
        let Some(at) = at else {
            return Ok(None);
        };
        let Some(at) = parse_datetime(&at) else {
            return Err(sql_error(
                241,
                "Conversion failed when converting date and/or time from character string.",
            ));
        };
        let date = at.date();
        let midnight = time::Time::MIDNIGHT;
        let day = |d: time::Date| time::PrimitiveDateTime::new(d, midnight);
        let clock = |h: u8, m: u8, s: u8| {
            time::PrimitiveDateTime::new(
                date,
                time::Time::from_hms(h, m, s).expect("parts of a valid time"),
            )
        };
        let truncated = match unit.as_str() {
            "year" | "yy" | "yyyy" => day(date.replace_ordinal(1).expect("day 1")),
            "quarter" | "qq" | "q" => {
                let first = (date.month() as u8 - 1) / 3 * 3 + 1;
                day(time::Date::from_calendar_date(
                    date.year(),
                    time::Month::try_from(first).expect("1..=12"),
                    1,
                )
                .expect("day 1"))
            }
            "month" | "mm" | "m" => day(date.replace_day(1).expect("day 1")),
            "dayofyear" | "dy" | "y" | "day" | "dd" | "d" => day(date),
            "week" | "wk" | "ww" => day(
                date - time::Duration::days(i64::from(date.weekday().number_days_from_sunday())),
            ),
            "iso_week" | "isowk" | "isoww" => day(
                date - time::Duration::days(i64::from(date.weekday().number_days_from_monday())),
            ),
            "hour" | "hh" => clock(at.hour(), 0, 0),
            "minute" | "mi" | "n" => clock(at.hour(), at.minute(), 0),
            "second" | "ss" | "s" => clock(at.hour(), at.minute(), at.second()),
            "millisecond" | "ms" => at,
            other => {
                let text = format!(
                    "The datepart {other} is not supported by date function datetrunc for data type datetime."
                );
                return Err(sql_error(9810, &text));
            }
        };
        Ok(Some(crate::instance::when::format_datetime(truncated)))
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
    register_tsql_surface(conn)?;
    Ok(())
}

/// A number from a value for arithmetic: integers stay integers; text converts as SQL Server
/// converts it (245 when it is no number).
enum Number {
    Int(i64),
    Real(f64),
}

fn number_of(value: &Sql) -> rusqlite::Result<Option<Number>> {
    Ok(match value {
        Sql::Null => None,
        Sql::Integer(i) => Some(Number::Int(*i)),
        Sql::Real(r) => Some(Number::Real(*r)),
        // An empty string converts to 0, as CAST('' AS int) does.
        Sql::Text(t) if t.trim().is_empty() => Some(Number::Int(0)),
        Sql::Text(t) => match (t.trim().parse::<i64>(), t.trim().parse::<f64>()) {
            (Ok(i), _) => Some(Number::Int(i)),
            (_, Ok(r)) => Some(Number::Real(r)),
            _ => {
                return Err(sql_error(
                    245,
                    &format!(
                        "Conversion failed when converting the varchar value '{t}' to data type int."
                    ),
                ));
            }
        },
        Sql::Blob(_) => {
            return Err(sql_error(
                8117,
                "Operand data type varbinary is invalid for divide operator.",
            ));
        }
    })
}

/// The text of a value inside XML: numbers as text, binary in base64 (FOR XML's encoding of
/// binary data), `&`, `<`, `>` escaped (and `"` in attributes).
fn xml_text(value: &Sql, attribute: bool) -> Option<String> {
    let text = match value {
        Sql::Null => return None,
        Sql::Integer(i) => i.to_string(),
        Sql::Real(r) => r.to_string(),
        Sql::Text(t) => t.clone(),
        Sql::Blob(b) => base64(b),
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\r' => out.push_str("&#x0D;"),
            c => out.push(c),
        }
    }
    Some(out)
}

/// The text of an XML fragment: its tags removed and its entities decoded.
fn xml_decode(xml: &str) -> String {
    let mut text = String::with_capacity(xml.len());
    let mut in_tag = false;
    for c in xml.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Standard base64 with padding (RFC 4648).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The functions behind the translator's rewrites of T-SQL operators and statements:
/// division and modulo (8134 for a zero divisor), FOR XML PATH's rows, and the system functions
/// called by a qualified name (`translate.rs`, QUALIFIED_FUNCTIONS).
fn register_tsql_surface(conn: &Connection) -> rusqlite::Result<()> {
    let deterministic = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    // a / b and a % b: "Divide by zero error encountered." (8134, severity 16) for a zero
    // divisor, where SQLite gives NULL; integer division truncates as SQL Server's does.
    for (name, modulo) in [("__divide", false), ("__modulo", true)] {
        conn.create_scalar_function(name, 2, deterministic, move |ctx| {
            let (Some(a), Some(b)) = (number_of(&ctx.get(0)?)?, number_of(&ctx.get(1)?)?) else {
                return Ok(Sql::Null);
            };
            let zero = match b {
                Number::Int(i) => i == 0,
                Number::Real(r) => r == 0.0,
            };
            if zero {
                return Err(sql_error(8134, "Divide by zero error encountered."));
            }
            Ok(match (a, b) {
                (Number::Int(a), Number::Int(b)) if modulo => Sql::Integer(a.wrapping_rem(b)),
                (Number::Int(a), Number::Int(b)) => a
                    .checked_div(b)
                    .map_or_else(|| Sql::Real(a as f64 / b as f64), Sql::Integer),
                (a, b) => {
                    let real = |n: Number| match n {
                        Number::Int(i) => i as f64,
                        Number::Real(r) => r,
                    };
                    let (a, b) = (real(a), real(b));
                    Sql::Real(if modulo { a % b } else { a / b })
                }
            })
        })?;
    }
    // __xml_row(tag, kind, name, value, …): one row of FOR XML PATH; kind `e` an element,
    // `a` an attribute, `t` text.
    conn.create_scalar_function("__xml_row", -1, deterministic, |ctx| {
        let tag: String = ctx.get(0)?;
        let (mut attributes, mut content) = (String::new(), String::new());
        let mut i = 1;
        while i + 2 < ctx.len() {
            let kind: String = ctx.get(i)?;
            let name: String = ctx.get(i + 1)?;
            let value: Sql = ctx.get(i + 2)?;
            i += 3;
            let Some(text) = xml_text(&value, kind == "a") else {
                continue;
            };
            match kind.as_str() {
                "a" => attributes.push_str(&format!(" {name}=\"{text}\"")),
                "e" => content.push_str(&format!("<{name}>{text}</{name}>")),
                _ => content.push_str(&text),
            }
        }
        if tag.is_empty() {
            if !attributes.is_empty() {
                return Err(sql_error(
                    6864,
                    "Row tag omission (empty row tag name) cannot be used with attribute-centric FOR XML serialization.",
                ));
            }
            return Ok(content);
        }
        Ok(if content.is_empty() {
            format!("<{tag}{attributes}/>")
        } else {
            format!("<{tag}{attributes}>{content}</{tag}>")
        })
    })?;
    // (xml).value(path, type) of FOR XML's result: the text of the document (tags removed,
    // entities decoded) for the paths that select it all, '.' and '(./text())[1]'.
    conn.create_scalar_function("__xml_value", 3, deterministic, |ctx| {
        let xml: Option<String> = ctx.get(0)?;
        let path: String = ctx.get(1)?;
        let whole = ["." , "(./text())[1]", "(text())[1]", "./text()[1]", "text()[1]"];
        if !whole.contains(&path.replace(' ', "").as_str()) {
            return Err(sql_error(
                102,
                &format!("The simulator runs the xml value() method with the path '.' or '(./text())[1]' only, not '{path}'."),
            ));
        }
        Ok(xml.map(|x| xml_decode(&x)))
    })?;
    conn.create_scalar_function("__xml_root", 2, deterministic, |ctx| {
        let root: String = ctx.get(0)?;
        let content: Option<String> = ctx.get(1)?;
        Ok(content.map(|c| format!("<{root}>{c}</{root}>")))
    })?;
    // msdb.dbo.agent_datetime(@date int, @time int): datetime from yyyymmdd and hhmmss.
    conn.create_scalar_function("__agent_datetime", 2, deterministic, |ctx| {
        let (Some(date), Some(time)): (Option<i64>, Option<i64>) = (ctx.get(0)?, ctx.get(1)?)
        else {
            return Ok(None);
        };
        let (y, m, d) = (date / 10000, date / 100 % 100, date % 100);
        let (h, mi, s) = (time / 10000, time / 100 % 100, time % 100);
        let valid = (1753..=9999).contains(&y)
            && (1..=12).contains(&m)
            && (1..=31).contains(&d)
            && (0..24).contains(&h)
            && (0..60).contains(&mi)
            && (0..60).contains(&s);
        if !valid {
            return Err(sql_error(
                242,
                "The conversion of a varchar data type to a datetime data type resulted in an out-of-range value.",
            ));
        }
        Ok(Some(format!(
            "{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}.000"
        )))
    })?;
    // master.sys.fn_varbintohexstr(varbinary): '0x' and lower-case hex.
    conn.create_scalar_function("__varbintohexstr", 1, deterministic, |ctx| {
        Ok(match ctx.get::<Sql>(0)? {
            Sql::Null => None,
            Sql::Blob(b) => Some(format!(
                "0x{}",
                b.iter().map(|x| format!("{x:02x}")).collect::<String>()
            )),
            Sql::Text(t) => Some(format!(
                "0x{}",
                t.bytes().map(|x| format!("{x:02x}")).collect::<String>()
            )),
            Sql::Integer(i) => Some(format!("0x{:08x}", i as u32)),
            Sql::Real(_) => None,
        })
    })?;
    Ok(())
}

/// The metadata functions: PARSENAME, OBJECT_ID, OBJECT_NAME, OBJECT_SCHEMA_NAME, SCHEMA_ID,
/// SCHEMA_NAME (learn.microsoft.com/sql/t-sql/functions/<name>-transact-sql). Objects are those
/// of the fixture (`sys.objects`) and the triggers on them; system objects (negative ids on a
/// real server) are not modelled and give NULL.
fn register_metadata(conn: &Connection, state: &Shared) -> rusqlite::Result<()> {
    let deterministic = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let volatile = FunctionFlags::SQLITE_UTF8;
    // PARSENAME('object_name', object_piece): 1 object, 2 schema, 3 database, 4 server; NULL
    // for a piece that is not there or a name that is not valid.
    conn.create_scalar_function("PARSENAME", 2, deterministic, |ctx| {
        let name: Option<String> = ctx.get(0)?;
        let piece: Option<i64> = ctx.get(1)?;
        Ok(match (name, piece) {
            (Some(name), Some(piece @ 1..=4)) => split_name(&name).and_then(|parts| {
                let i = parts.len().checked_sub(piece as usize)?;
                parts.get(i).cloned().filter(|p| !p.is_empty())
            }),
            _ => None,
        })
    })?;
    // OBJECT_ID('[database.][schema.]object' [, 'type']).
    let st = Arc::clone(state);
    conn.create_scalar_function("OBJECT_ID", -1, volatile, move |ctx| {
        let name: Option<String> = ctx.get(0)?;
        let kind: Option<String> = if ctx.len() > 1 { ctx.get(1)? } else { None };
        Ok(with(&st, |s| {
            let parts = split_name(&name?)?;
            let (database, schema, object) = match parts.as_slice() {
                [o] => (None, None, o),
                [sc, o] => (None, Some(sc), o),
                [d, sc, o] => (Some(d), Some(sc), o),
                _ => return None,
            };
            let database = database.filter(|d| !d.is_empty()).cloned();
            let db = s
                .instance
                .database(&database.unwrap_or_else(|| s.session.database.clone()))?;
            if !s.viewer.can_access(&s.instance, db) {
                return None;
            }
            let schema = schema.filter(|sc| !sc.is_empty()).map_or("dbo", |sc| sc);
            objects_of(db)
                .into_iter()
                .find(|(sc, n, k, _)| {
                    sc.eq_ignore_ascii_case(schema)
                        && n.eq_ignore_ascii_case(object)
                        && kind
                            .as_ref()
                            .is_none_or(|want| want.trim().eq_ignore_ascii_case(k))
                })
                .map(|o| o.3)
        }))
    })?;
    // OBJECT_NAME(object_id [, database_id]) and OBJECT_SCHEMA_NAME(…).
    for (function, schema) in [("OBJECT_NAME", false), ("OBJECT_SCHEMA_NAME", true)] {
        let st = Arc::clone(state);
        conn.create_scalar_function(function, -1, volatile, move |ctx| {
            let id: Option<i64> = ctx.get(0)?;
            let db: Option<i64> = if ctx.len() > 1 { ctx.get(1)? } else { None };
            Ok(with(&st, |s| {
                let id = id?;
                let db = match db {
                    Some(db) => s.instance.database_by_id(i32::try_from(db).ok()?)?,
                    None => s.instance.database(&s.session.database)?,
                };
                if !s.viewer.can_access(&s.instance, db) {
                    return None;
                }
                objects_of(db)
                    .into_iter()
                    .find(|o| o.3 == id)
                    .map(|(sc, n, _, _)| if schema { sc } else { n })
            }))
        })?;
    }
    // SCHEMA_ID(['schema']) and SCHEMA_NAME([schema_id]) of the current database; without an
    // argument, the caller's default schema (dbo: users are created with it here).
    let st = Arc::clone(state);
    conn.create_scalar_function("SCHEMA_ID", -1, volatile, move |ctx| {
        let name: Option<String> = if ctx.is_empty() {
            Some("dbo".into())
        } else {
            ctx.get(0)?
        };
        Ok(with(&st, |s| {
            let db = s.instance.database(&s.session.database)?;
            let name = name?;
            super::catalog::schemas(db)
                .into_iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(&name))
                .map(|(_, id)| i64::from(id))
        }))
    })?;
    let st = Arc::clone(state);
    conn.create_scalar_function("SCHEMA_NAME", -1, volatile, move |ctx| {
        let id: Option<i64> = if ctx.is_empty() { Some(1) } else { ctx.get(0)? };
        Ok(with(&st, |s| {
            let db = s.instance.database(&s.session.database)?;
            let id = id?;
            super::catalog::schemas(db)
                .into_iter()
                .find(|(_, i)| i64::from(*i) == id)
                .map(|(n, _)| n)
        }))
    })?;
    Ok(())
}

/// HAS_PERMS_BY_NAME on an OBJECT (`[db.][schema.]object`) or a SCHEMA (`[db.]schema`) of the
/// fixture (learn.microsoft.com/sql/t-sql/functions/has-perms-by-name-transact-sql): None for a
/// securable that does not exist; true for sysadmin, CONTROL SERVER and dbo; otherwise what
/// the user, its roles and public were granted — the permission or CONTROL, on the object, its
/// schema or the database (a DENY wins), or db_datareader's SELECT and db_datawriter's INSERT,
/// UPDATE and DELETE.
fn object_permission(s: &State, securable: &str, class: &str, permission: &str) -> Option<bool> {
    let parts = split_name(securable)?;
    let object_class = class.eq_ignore_ascii_case("OBJECT");
    let (database, schema, object) = match (object_class, parts.as_slice()) {
        (true, [o]) => (None, "dbo", Some(o.as_str())),
        (true, [sc, o]) => (None, sc.as_str(), Some(o.as_str())),
        (true, [d, sc, o]) => (Some(d.as_str()), sc.as_str(), Some(o.as_str())),
        (false, [sc]) => (None, sc.as_str(), None),
        (false, [d, sc]) => (Some(d.as_str()), sc.as_str(), None),
        _ => return None,
    };
    let db = s
        .instance
        .database(database.unwrap_or(&s.session.database))?;
    let (schema, object) = match object {
        Some(object) => {
            let (sc, n, _, _) = objects_of(db).into_iter().find(|(sc, n, _, _)| {
                sc.eq_ignore_ascii_case(schema) && n.eq_ignore_ascii_case(object)
            })?;
            (sc, Some(n))
        }
        None => {
            let (sc, _) = super::catalog::schemas(db)
                .into_iter()
                .find(|(sc, _)| sc.eq_ignore_ascii_case(schema))?;
            (sc, None)
        }
    };
    let v = &s.viewer;
    let Some(user_id) = v.user_in(&s.instance, db) else {
        return Some(v.is_sysadmin() || v.has("CONTROL SERVER"));
    };
    if v.is_sysadmin() || v.has("CONTROL SERVER") || user_id == 1 {
        return Some(true);
    }
    let Some(user) = db.users.iter().find(|u| u.principal_id == user_id) else {
        return Some(false);
    };
    let in_role = |role: &str| user.roles.iter().any(|r| r.eq_ignore_ascii_case(role));
    let is_grantee = |g: &str| {
        g.eq_ignore_ascii_case(&user.name) || g.eq_ignore_ascii_case("public") || in_role(g)
    };
    let strip = |on: &str| on.replace(['[', ']'], "");
    let covers = |on: &Option<String>| match on {
        None => true,
        Some(on) => {
            let on = strip(on);
            let on = on.strip_prefix("OBJECT::").unwrap_or(&on);
            if let Some(sc) = on.strip_prefix("SCHEMA::") {
                return sc.eq_ignore_ascii_case(&schema);
            }
            let Some(object) = &object else {
                return false;
            };
            let (sc, n) = on.split_once('.').unwrap_or(("dbo", on));
            sc.eq_ignore_ascii_case(&schema) && n.eq_ignore_ascii_case(object)
        }
    };
    let applying: Vec<_> = db
        .permissions
        .iter()
        .filter(|p| {
            is_grantee(&p.grantee)
                && (p.permission.eq_ignore_ascii_case(permission)
                    || p.permission.eq_ignore_ascii_case("CONTROL"))
                && covers(&p.on)
        })
        .collect();
    if applying
        .iter()
        .any(|p| p.state == crate::instance::PermissionState::Deny)
    {
        return Some(false);
    }
    let by_role = in_role("db_owner")
        || permission == "SELECT" && in_role("db_datareader") && !in_role("db_denydatareader")
        || matches!(permission, "INSERT" | "UPDATE" | "DELETE")
            && in_role("db_datawriter")
            && !in_role("db_denydatawriter");
    Some(by_role || !applying.is_empty())
}

/// Everyday built-ins SQLite lacks, all of SQL Server 2008 (each from its page,
/// learn.microsoft.com/sql/t-sql/functions/<name>-transact-sql): string (LEFT, RIGHT,
/// REPLICATE, SPACE, STUFF, REVERSE, PATINDEX, DATALENGTH, STR, NCHAR, ASCII), mathematical
/// (CEILING, FLOOR, POWER, SQRT, SQUARE, EXP, LOG, LOG10, PI, RAND), ISNUMERIC, ISDATE,
/// NEWID, SYSDATETIMEOFFSET, and the session's (APP_NAME, HOST_NAME, XACT_STATE, ERROR_LINE,
/// ERROR_PROCEDURE, IS_ROLEMEMBER, DATABASEPROPERTYEX, TYPE_NAME, TYPE_ID).
fn register_everyday(conn: &Connection, state: &Shared) -> rusqlite::Result<()> {
    let deterministic = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let volatile = FunctionFlags::SQLITE_UTF8;
    fn text_of(v: &Sql) -> Option<String> {
        match v {
            Sql::Null => None,
            Sql::Integer(i) => Some(i.to_string()),
            Sql::Real(r) => Some(r.to_string()),
            Sql::Text(t) => Some(t.clone()),
            Sql::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
        }
    }
    for (name, right) in [("LEFT", false), ("RIGHT", true)] {
        conn.create_scalar_function(name, 2, deterministic, move |ctx| {
            let text = text_of(&ctx.get::<Sql>(0)?);
            let n: Option<i64> = ctx.get(1)?;
            let (Some(text), Some(n)) = (text, n) else {
                return Ok(None);
            };
            if n < 0 {
                return Err(sql_error(
                    536,
                    &format!(
                        "Invalid length parameter passed to the {} function.",
                        name.to_lowercase()
                    ),
                ));
            }
            let chars: Vec<char> = text.chars().collect();
            let n = (n as usize).min(chars.len());
            Ok(Some(if right {
                chars[chars.len() - n..].iter().collect::<String>()
            } else {
                chars[..n].iter().collect()
            }))
        })?;
    }
    conn.create_scalar_function("REPLICATE", 2, deterministic, |ctx| {
        let text = text_of(&ctx.get::<Sql>(0)?);
        let n: Option<i64> = ctx.get(1)?;
        Ok(match (text, n) {
            (Some(t), Some(n)) if n >= 0 => Some(t.repeat(n as usize)),
            _ => None,
        })
    })?;
    conn.create_scalar_function("SPACE", 1, deterministic, |ctx| {
        let n: Option<i64> = ctx.get(0)?;
        Ok(n.filter(|n| *n >= 0).map(|n| " ".repeat(n as usize)))
    })?;
    conn.create_scalar_function("REVERSE", 1, deterministic, |ctx| {
        Ok(text_of(&ctx.get::<Sql>(0)?).map(|t| t.chars().rev().collect::<String>()))
    })?;
    // STUFF(text, start, length, insert): NULL for a start or length out of range.
    conn.create_scalar_function("STUFF", 4, deterministic, |ctx| {
        let text = text_of(&ctx.get::<Sql>(0)?);
        let (start, length): (Option<i64>, Option<i64>) = (ctx.get(1)?, ctx.get(2)?);
        let insert = text_of(&ctx.get::<Sql>(3)?).unwrap_or_default();
        let (Some(text), Some(start), Some(length)) = (text, start, length) else {
            return Ok(None);
        };
        let chars: Vec<char> = text.chars().collect();
        if start < 1 || start as usize > chars.len() || length < 0 {
            return Ok(None);
        }
        let from = start as usize - 1;
        let to = (from + length as usize).min(chars.len());
        Ok(Some(format!(
            "{}{insert}{}",
            chars[..from].iter().collect::<String>(),
            chars[to..].iter().collect::<String>()
        )))
    })?;
    // PATINDEX('%pattern%', text): the position of the first match of a LIKE pattern (% _ [..]),
    // 0 for none.
    conn.create_scalar_function("PATINDEX", 2, deterministic, |ctx| {
        let pattern = text_of(&ctx.get::<Sql>(0)?);
        let text = text_of(&ctx.get::<Sql>(1)?);
        let (Some(pattern), Some(text)) = (pattern, text) else {
            return Ok(None);
        };
        let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
        let text: Vec<char> = text.to_lowercase().chars().collect();
        let body = pattern.strip_prefix(&['%']).unwrap_or(&pattern);
        for start in 0..=text.len() {
            if like(&text[start..], body) {
                return Ok(Some(start as i64 + 1));
            }
            if pattern.first() != Some(&'%') {
                break;
            }
        }
        Ok(Some(0))
    })?;
    // DATALENGTH: bytes; text counts two bytes a character (nvarchar, as the catalog's text is).
    conn.create_scalar_function("DATALENGTH", 1, deterministic, |ctx| {
        Ok(match ctx.get::<Sql>(0)? {
            Sql::Null => None,
            Sql::Blob(b) => Some(b.len() as i64),
            Sql::Text(t) => Some(t.encode_utf16().count() as i64 * 2),
            Sql::Integer(_) | Sql::Real(_) => Some(8),
        })
    })?;
    // STR(number [, length [, decimals]]): right-aligned, length 10 and 0 decimals by default;
    // asterisks when it does not fit.
    conn.create_scalar_function("STR", -1, deterministic, |ctx| {
        let n: Option<f64> = ctx.get(0)?;
        let length: i64 = if ctx.len() > 1 { ctx.get(1)? } else { 10 };
        let decimals: i64 = if ctx.len() > 2 { ctx.get(2)? } else { 0 };
        let Some(n) = n else {
            return Ok(None);
        };
        let (length, decimals) = (
            length.clamp(1, 8000) as usize,
            decimals.clamp(0, 16) as usize,
        );
        let text = format!("{n:.decimals$}");
        Ok(Some(if text.len() > length {
            "*".repeat(length)
        } else {
            format!("{text:>length$}")
        }))
    })?;
    conn.create_scalar_function("NCHAR", 1, deterministic, |ctx| {
        let code: Option<i64> = ctx.get(0)?;
        Ok(code
            .and_then(|c| u32::try_from(c).ok())
            .and_then(char::from_u32)
            .map(String::from))
    })?;
    conn.create_scalar_function("ASCII", 1, deterministic, |ctx| {
        Ok(text_of(&ctx.get::<Sql>(0)?).and_then(|t| t.chars().next().map(|c| c as i64)))
    })?;
    for (name, op) in [
        ("CEILING", f64::ceil as fn(f64) -> f64),
        ("FLOOR", f64::floor),
        ("SQRT", f64::sqrt),
        ("EXP", f64::exp),
        ("LOG10", f64::log10),
    ] {
        conn.create_scalar_function(name, 1, deterministic, move |ctx| {
            Ok(match ctx.get::<Sql>(0)? {
                Sql::Integer(i) if matches!(name, "CEILING" | "FLOOR") => Sql::Integer(i),
                Sql::Null => Sql::Null,
                v => match text_of(&v).and_then(|t| t.trim().parse::<f64>().ok()) {
                    Some(x) => Sql::Real(op(x)),
                    None => Sql::Null,
                },
            })
        })?;
    }
    conn.create_scalar_function("SQUARE", 1, deterministic, |ctx| {
        let x: Option<f64> = ctx.get(0)?;
        Ok(x.map(|x| x * x))
    })?;
    conn.create_scalar_function("POWER", 2, deterministic, |ctx| {
        Ok(match (ctx.get::<Sql>(0)?, ctx.get::<Option<f64>>(1)?) {
            (Sql::Integer(b), Some(e)) if e >= 0.0 && e.fract() == 0.0 => b
                .checked_pow(e as u32)
                .map_or(Sql::Real((b as f64).powf(e)), Sql::Integer),
            (Sql::Null, _) | (_, None) => Sql::Null,
            (b, Some(e)) => match text_of(&b).and_then(|t| t.trim().parse::<f64>().ok()) {
                Some(b) => Sql::Real(b.powf(e)),
                None => Sql::Null,
            },
        })
    })?;
    conn.create_scalar_function("LOG", -1, deterministic, |ctx| {
        let x: Option<f64> = ctx.get(0)?;
        let base: Option<f64> = if ctx.len() > 1 { ctx.get(1)? } else { None };
        Ok(x.map(|x| match base {
            Some(b) => x.ln() / b.ln(),
            None => x.ln(),
        }))
    })?;
    conn.create_scalar_function("PI", 0, deterministic, |_| Ok(std::f64::consts::PI))?;
    conn.create_scalar_function("RAND", -1, volatile, |_| {
        Ok(random() as f64 / u64::MAX as f64)
    })?;
    // ISNUMERIC: 1 for text that converts to a number (digits, sign, decimal point, exponent,
    // a currency sign), 0 otherwise.
    conn.create_scalar_function("ISNUMERIC", 1, deterministic, |ctx| {
        Ok(match ctx.get::<Sql>(0)? {
            Sql::Integer(_) | Sql::Real(_) => 1,
            Sql::Text(t) => {
                let t = t.trim().trim_start_matches(['$', '+', '-']);
                i64::from(!t.is_empty() && t.replace(',', "").parse::<f64>().is_ok())
            }
            _ => 0,
        })
    })?;
    conn.create_scalar_function("ISDATE", 1, deterministic, |ctx| {
        Ok(match ctx.get::<Sql>(0)? {
            Sql::Text(t) => i64::from(parse_datetime(&t).is_some()),
            _ => 0,
        })
    })?;
    conn.create_scalar_function("NEWID", 0, volatile, |_| {
        let (a, b) = (random(), random());
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&a.to_le_bytes());
        bytes[8..].copy_from_slice(&b.to_le_bytes());
        bytes[7] = (bytes[7] & 0x0F) | 0x40; // version 4
        bytes[8] = (bytes[8] & 0x3F) | 0x80;
        Ok(super::guid_text(&bytes))
    })?;
    conn.create_scalar_function("SYSDATETIMEOFFSET", 0, volatile, |_| {
        Ok(format!(
            "{} +00:00",
            crate::instance::when::format_datetime(crate::instance::when::now())
        ))
    })?;
    // The client program and workstation names are not kept from LOGIN7: empty, as for a
    // client that sends none.
    conn.create_scalar_function("APP_NAME", 0, volatile, |_| Ok(String::new()))?;
    conn.create_scalar_function("HOST_NAME", 0, volatile, |_| Ok(String::new()))?;
    let st = Arc::clone(state);
    conn.create_scalar_function("XACT_STATE", 0, volatile, move |_| {
        Ok(with(&st, |s| i64::from(s.trancount > 0)))
    })?;
    let st = Arc::clone(state);
    conn.create_scalar_function("ERROR_LINE", 0, volatile, move |_| {
        Ok(with(&st, |s| s.caught.as_ref().map(|_| 1_i64)))
    })?;
    conn.create_scalar_function("ERROR_PROCEDURE", 0, volatile, |_| Ok(None::<String>))?;
    // IS_ROLEMEMBER(role [, principal]): membership of a database role in the current
    // database; NULL for a role that does not exist.
    let st = Arc::clone(state);
    conn.create_scalar_function("IS_ROLEMEMBER", -1, volatile, move |ctx| {
        let role: Option<String> = ctx.get(0)?;
        let principal: Option<String> = if ctx.len() > 1 { ctx.get(1)? } else { None };
        Ok(with(&st, |s| {
            let role = role?;
            let db = s.instance.database(&s.session.database)?;
            let principals = super::catalog::database_principals(db);
            let (role_id, _) = principals
                .iter()
                .find(|(id, n)| n.eq_ignore_ascii_case(&role) && (*id == 0 || *id >= 5000))?;
            if *role_id == 0 {
                return Some(1);
            }
            let user = match principal {
                Some(name) => db
                    .users
                    .iter()
                    .find(|u| u.name.eq_ignore_ascii_case(&name))?,
                None => {
                    let id = s.viewer.user_in(&s.instance, db)?;
                    if id == 1 {
                        return Some(i64::from(role.eq_ignore_ascii_case("db_owner")));
                    }
                    db.users.iter().find(|u| u.principal_id == id)?
                }
            };
            Some(i64::from(
                user.roles.iter().any(|r| r.eq_ignore_ascii_case(&role)),
            ))
        }))
    })?;
    // DATABASEPROPERTYEX(database, property), for the documented properties the fixture says.
    let st = Arc::clone(state);
    conn.create_scalar_function("DATABASEPROPERTYEX", 2, volatile, move |ctx| {
        let name: Option<String> = ctx.get(0)?;
        let property: Option<String> = ctx.get(1)?;
        Ok(with(&st, |s| {
            let db = s.instance.database(&name?)?;
            let text = |t: &str| Sql::Text(t.to_owned());
            Some(match property?.to_ascii_lowercase().as_str() {
                "status" => text(if db.state == crate::instance::DatabaseState::Online {
                    "ONLINE"
                } else {
                    "OFFLINE"
                }),
                "recovery" => text(match db.recovery {
                    crate::instance::Recovery::Full => "FULL",
                    crate::instance::Recovery::BulkLogged => "BULK_LOGGED",
                    crate::instance::Recovery::Simple => "SIMPLE",
                }),
                "updateability" => text(if db.read_only {
                    "READ_ONLY"
                } else {
                    "READ_WRITE"
                }),
                "useraccess" => text("MULTI_USER"),
                "collation" => text(super::COLLATION_NAME),
                "isautoclose" | "isautoshrink" | "isinstandby" => Sql::Integer(0),
                "isautocreatestatistics" | "isautoupdatestatistics" => Sql::Integer(1),
                _ => Sql::Null,
            })
        }))
    })?;
    // OBJECTPROPERTY(id, property) for an object of the current database (objectproperty-
    // transact-sql): the type tests, IsMSShipped, SchemaId, ExecIsTriggerDisabled; NULL for
    // an unknown object or property.
    let st = Arc::clone(state);
    conn.create_scalar_function("OBJECTPROPERTY", 2, volatile, move |ctx| {
        let id: Option<i64> = ctx.get(0)?;
        let property: Option<String> = ctx.get(1)?;
        Ok(with(&st, |s| {
            let (id, property) = (id?, property?.to_ascii_lowercase());
            let db = s.instance.database(&s.session.database)?;
            let (schema, name, kind, _) = objects_of(db).into_iter().find(|o| o.3 == id)?;
            let is = |k: &str| Some(i64::from(kind.trim().eq_ignore_ascii_case(k)));
            match property.as_str() {
                "istable" | "isusertable" => is("U"),
                "isview" => is("V"),
                "isprocedure" => is("P"),
                "istrigger" => is("TR"),
                "isscalarfunction" => is("FN"),
                "ismsshipped" | "isschemabound" | "isencrypted" | "issystemtable" => Some(0),
                "schemaid" => super::catalog::schemas(db)
                    .into_iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(&schema))
                    .map(|(_, id)| i64::from(id)),
                "execistriggerdisabled" if kind == "TR" => db
                    .triggers
                    .iter()
                    .find(|t| t.name == name)
                    .map(|t| i64::from(t.disabled)),
                _ => None,
            }
        }))
    })?;
    // The fixture's tables have no columns, and nothing inserts: COL_NAME and SCOPE_IDENTITY
    // are NULL, as on a server for a column that does not exist and before any insert.
    conn.create_scalar_function("COL_NAME", 2, deterministic, |_| Ok(None::<String>))?;
    conn.create_scalar_function("SCOPE_IDENTITY", 0, volatile, |_| Ok(None::<i64>))?;
    // FORMATMESSAGE('text with %s, %d, %i, %u', …) (formatmessage-transact-sql); a message
    // number instead of text would need sys.messages, which is not modelled (NULL).
    conn.create_scalar_function("FORMATMESSAGE", -1, deterministic, |ctx| {
        let Sql::Text(template) = ctx.get::<Sql>(0)? else {
            return Ok(None);
        };
        let mut out = String::new();
        let mut next = 1;
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            // Flags, width and precision are read and ignored; the type letter decides.
            let mut spec = String::new();
            while let Some(&c) = chars.peek() {
                chars.next();
                if c.is_ascii_alphabetic() || c == '%' {
                    spec.push(c);
                    break;
                }
            }
            match spec.as_str() {
                "%" => out.push('%'),
                "s" | "S" | "d" | "i" | "u" | "o" | "x" | "X" => {
                    let value = if next < ctx.len() {
                        ctx.get::<Sql>(next)?
                    } else {
                        Sql::Null
                    };
                    next += 1;
                    out.push_str(&match value {
                        Sql::Null => "(null)".to_owned(),
                        Sql::Integer(i) if spec == "x" => format!("{i:x}"),
                        Sql::Integer(i) if spec == "X" => format!("{i:X}"),
                        Sql::Integer(i) if spec == "o" => format!("{i:o}"),
                        Sql::Integer(i) => i.to_string(),
                        Sql::Real(r) => r.to_string(),
                        Sql::Text(t) => t,
                        Sql::Blob(b) => super::catalog::hex(&b),
                    });
                }
                _ => out.push_str(&format!("%{spec}")),
            }
        }
        Ok(Some(out))
    })?;
    // TYPE_NAME(system_type_id) / TYPE_ID(name) for the system types (sys.types).
    conn.create_scalar_function("TYPE_NAME", 1, deterministic, |ctx| {
        let id: Option<i64> = ctx.get(0)?;
        Ok(id.and_then(|id| SYSTEM_TYPES.iter().find(|(i, _)| *i == id).map(|(_, n)| *n)))
    })?;
    conn.create_scalar_function("TYPE_ID", 1, deterministic, |ctx| {
        let name: Option<String> = ctx.get(0)?;
        Ok(name.and_then(|name| {
            SYSTEM_TYPES
                .iter()
                .find(|(_, n)| n.eq_ignore_ascii_case(&name))
                .map(|(i, _)| *i)
        }))
    })?;
    Ok(())
}

/// The system types of `sys.types` (user_type_id, name).
const SYSTEM_TYPES: &[(i64, &str)] = &[
    (34, "image"),
    (35, "text"),
    (36, "uniqueidentifier"),
    (40, "date"),
    (41, "time"),
    (42, "datetime2"),
    (43, "datetimeoffset"),
    (48, "tinyint"),
    (52, "smallint"),
    (56, "int"),
    (58, "smalldatetime"),
    (59, "real"),
    (60, "money"),
    (61, "datetime"),
    (62, "float"),
    (98, "sql_variant"),
    (99, "ntext"),
    (104, "bit"),
    (106, "decimal"),
    (108, "numeric"),
    (122, "smallmoney"),
    (127, "bigint"),
    (165, "varbinary"),
    (167, "varchar"),
    (173, "binary"),
    (175, "char"),
    (189, "timestamp"),
    (231, "nvarchar"),
    (239, "nchar"),
    (241, "xml"),
    (256, "sysname"),
];

/// A random number (std's randomly seeded hasher over a counter).
fn random() -> u64 {
    use std::hash::BuildHasher;
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    std::collections::hash_map::RandomState::new()
        .hash_one(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

/// Whether `text` starts with a match of the LIKE pattern `pattern` (`%`, `_`, `[abc]`,
/// `[^abc]`, `[a-z]`); a pattern ending without `%` must match to the end.
fn like(text: &[char], pattern: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('%', [])) => true,
        Some(('%', rest)) => (0..=text.len()).any(|i| like(&text[i..], rest)),
        Some(('_', rest)) => !text.is_empty() && like(&text[1..], rest),
        Some(('[', rest)) => {
            let Some(close) = rest.iter().position(|c| *c == ']') else {
                return false;
            };
            let (set, after) = (&rest[..close], &rest[close + 1..]);
            let (negate, set) = match set.split_first() {
                Some(('^', s)) => (true, s),
                _ => (false, set),
            };
            let Some(c) = text.first() else {
                return false;
            };
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == '-' {
                    hit |= (set[i]..=set[i + 2]).contains(c);
                    i += 3;
                } else {
                    hit |= set[i] == *c;
                    i += 1;
                }
            }
            hit != negate && like(&text[1..], after)
        }
        Some((p, rest)) => text.first() == Some(p) && like(&text[1..], rest),
    }
}

/// The objects of a database as (schema, name, type, object_id): the fixture's objects and the
/// triggers on tables (schema dbo), with the ids `sys.objects` shows.
fn objects_of(db: &crate::instance::Database) -> Vec<(String, String, String, i64)> {
    let id = db.database_id;
    let mut out: Vec<_> = db
        .objects
        .iter()
        .map(|o| {
            (
                o.schema.clone(),
                o.name.clone(),
                o.kind.clone(),
                super::catalog::object_id(id, &format!("{}.{}", o.schema, o.name)),
            )
        })
        .collect();
    out.extend(db.triggers.iter().filter(|t| t.on.is_some()).map(|t| {
        (
            "dbo".to_owned(),
            t.name.clone(),
            "TR".to_owned(),
            super::catalog::object_id(id, &format!("trigger:{}", t.name)),
        )
    }));
    out
}

/// The parts of a multi-part name (`server.database.schema.object`), brackets and double
/// quotes removed (`]]` and `""` inside them undoubled); an omitted part is empty; None for a
/// name that is not valid (an unclosed quote, text after a quote, more than four parts).
fn split_name(name: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = name.chars().peekable();
    loop {
        let mut part = String::new();
        match chars.peek() {
            Some(&open @ ('[' | '"')) => {
                let close = if open == '[' { ']' } else { '"' };
                chars.next();
                loop {
                    match chars.next()? {
                        c if c == close && chars.peek() == Some(&close) => {
                            chars.next();
                            part.push(c);
                        }
                        c if c == close => break,
                        c => part.push(c),
                    }
                }
                if !matches!(chars.peek(), None | Some('.')) {
                    return None;
                }
            }
            _ => {
                while let Some(&c) = chars.peek() {
                    if c == '.' {
                        break;
                    }
                    part.push(c);
                    chars.next();
                }
            }
        }
        parts.push(part);
        match chars.next() {
            Some('.') => continue,
            None => break,
            Some(_) => return None,
        }
    }
    (parts.len() <= 4).then_some(parts)
}

/// Functions that came with SQL Server 2012 and later and that SQLite lacks (or has with
/// another meaning), under their T-SQL names; the translator refuses each on a version before
/// its own (`translate::BUILTINS_SINCE`), so they need no version check here.
fn register_since_2012(conn: &Connection) -> rusqlite::Result<()> {
    let deterministic = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    // CHOOSE(index, value1, value2, …): the index-th value (from 1), NULL out of range.
    conn.create_scalar_function("CHOOSE", -1, deterministic, |ctx| {
        let index: Option<i64> = ctx.get(0)?;
        Ok(match index {
            Some(i) if i >= 1 && (i as usize) < ctx.len() => ctx.get::<Sql>(i as usize)?,
            _ => Sql::Null,
        })
    })?;
    // EOMONTH(start_date [, month_to_add]): the last day of the month, as a date.
    conn.create_scalar_function("EOMONTH", -1, deterministic, |ctx| {
        let at: Option<String> = ctx.get(0)?;
        let add: Option<i64> = if ctx.len() > 1 { ctx.get(1)? } else { Some(0) };
        let (Some(at), Some(add)) = (at, add) else {
            return Ok(None);
        };
        let Some(at) = parse_datetime(&at) else {
            return Err(sql_error(
                241,
                "Conversion failed when converting date and/or time from character string.",
            ));
        };
        let months = i64::from(at.year()) * 12 + i64::from(at.month() as u8) - 1 + add;
        let (year, month) = (months.div_euclid(12), months.rem_euclid(12) + 1);
        let month = time::Month::try_from(month as u8).expect("1..=12");
        let Ok(year) = i32::try_from(year) else {
            return Ok(None);
        };
        let last = time::util::days_in_month(month, year);
        Ok(Some(format!("{year:04}-{:02}-{last:02}", month as u8)))
    })?;
    // DATEFROMPARTS(year, month, day): a date; 289 for values that make none.
    conn.create_scalar_function("DATEFROMPARTS", 3, deterministic, |ctx| {
        let parts: (Option<i64>, Option<i64>, Option<i64>) =
            (ctx.get(0)?, ctx.get(1)?, ctx.get(2)?);
        let (Some(y), Some(m), Some(d)) = parts else {
            return Ok(None);
        };
        let date = i32::try_from(y)
            .ok()
            .filter(|y| (1..=9999).contains(y))
            .zip(u8::try_from(m).ok().and_then(|m| time::Month::try_from(m).ok()))
            .zip(u8::try_from(d).ok())
            .and_then(|((y, m), d)| time::Date::from_calendar_date(y, m, d).ok());
        match date {
            Some(date) => Ok(Some(format!(
                "{:04}-{:02}-{:02}",
                date.year(),
                date.month() as u8,
                date.day()
            ))),
            None => Err(sql_error(
                289,
                "Cannot construct data type date, some of the arguments have values which are not valid.",
            )),
        }
    })?;
    // The other …FROMPARTS functions (2012; datetimefromparts-transact-sql and its siblings):
    // NULL when an argument is NULL, 289 when the parts make no value of the type; each with
    // its number of arguments.
    for (function, count) in [
        ("DATETIMEFROMPARTS", 7),
        ("SMALLDATETIMEFROMPARTS", 5),
        ("DATETIME2FROMPARTS", 8),
        ("TIMEFROMPARTS", 5),
        ("DATETIMEOFFSETFROMPARTS", 10),
    ] {
        conn.create_scalar_function(function, count, deterministic, move |ctx| {
            let mut parts = Vec::with_capacity(count as usize);
            for i in 0..count as usize {
                let Some(part) = ctx.get::<Option<i64>>(i)? else {
                    return Ok(None);
                };
                parts.push(part);
            }
            let kind = function.trim_end_matches("FROMPARTS").to_lowercase();
            from_parts(function, &parts).map(Some).ok_or_else(|| {
                sql_error(
                    289,
                    &format!(
                        "Cannot construct data type {kind}, some of the arguments have values which are not valid."
                    ),
                )
            })
        })?;
    }
    // SESSION_CONTEXT(key) (2016): NULL, as no key is ever set (sp_set_session_context is not
    // emulated).
    conn.create_scalar_function("SESSION_CONTEXT", 1, deterministic, |_| Ok(None::<String>))?;
    // TRANSLATE(input, characters, translations): each character replaced by its partner;
    // 9828 when the two lists differ in length.
    conn.create_scalar_function("TRANSLATE", 3, deterministic, |ctx| {
        let args: (Option<String>, Option<String>, Option<String>) =
            (ctx.get(0)?, ctx.get(1)?, ctx.get(2)?);
        let (Some(input), Some(from), Some(to)) = args else {
            return Ok(None);
        };
        let (from, to): (Vec<char>, Vec<char>) = (from.chars().collect(), to.chars().collect());
        if from.len() != to.len() {
            return Err(sql_error(
                9828,
                "The second and third arguments of the TRANSLATE built-in function must contain an equal number of characters.",
            ));
        }
        Ok(Some(
            input
                .chars()
                .map(|c| from.iter().position(|f| *f == c).map_or(c, |i| to[i]))
                .collect::<String>(),
        ))
    })?;
    // GREATEST / LEAST (2022): the largest / smallest argument, NULLs ignored (NULL if all are).
    for (name, greatest) in [("GREATEST", true), ("LEAST", false)] {
        conn.create_scalar_function(name, -1, deterministic, move |ctx| {
            let mut best: Option<Sql> = None;
            for i in 0..ctx.len() {
                let v: Sql = ctx.get(i)?;
                if v == Sql::Null {
                    continue;
                }
                let better = match &best {
                    None => true,
                    Some(b) => {
                        let order = compare(&v, b);
                        if greatest {
                            order.is_gt()
                        } else {
                            order.is_lt()
                        }
                    }
                };
                if better {
                    best = Some(v);
                }
            }
            Ok(best.unwrap_or(Sql::Null))
        })?;
    }
    // TRY_CAST / TRY_CONVERT to a number or a date (the translator's `try_convert`): the
    // value converted, or NULL when it does not convert or is out of the type's range.
    conn.create_scalar_function("__try_convert", 2, deterministic, |ctx| {
        let value: Sql = ctx.get(0)?;
        let target: String = ctx.get(1)?;
        let number = match &value {
            Sql::Integer(i) => Some(*i as f64),
            Sql::Real(r) => Some(*r),
            Sql::Text(t) => t.trim().parse::<f64>().ok(),
            _ => None,
        };
        let integer = |min: i64, max: i64| -> Sql {
            let whole = match &value {
                Sql::Integer(i) => Some(*i),
                Sql::Real(r) => Some(r.trunc() as i64),
                // Text must be a whole number to become an integer type.
                Sql::Text(t) => t.trim().parse::<i64>().ok(),
                _ => None,
            };
            whole
                .filter(|w| (min..=max).contains(w))
                .map_or(Sql::Null, Sql::Integer)
        };
        Ok(match target.as_str() {
            _ if value == Sql::Null => Sql::Null,
            "TINYINT" => integer(0, 255),
            "SMALLINT" => integer(-32_768, 32_767),
            "INT" | "INTEGER" => integer(i64::from(i32::MIN), i64::from(i32::MAX)),
            "BIGINT" => integer(i64::MIN, i64::MAX),
            "BIT" => match &value {
                Sql::Text(t) if t.trim().eq_ignore_ascii_case("true") => Sql::Integer(1),
                Sql::Text(t) if t.trim().eq_ignore_ascii_case("false") => Sql::Integer(0),
                _ => number.map_or(Sql::Null, |n| Sql::Integer(i64::from(n != 0.0))),
            },
            "FLOAT" => number.map_or(Sql::Null, Sql::Real),
            "DATE" => match &value {
                Sql::Text(t) => parse_datetime(t).map_or(Sql::Null, |d| {
                    Sql::Text(format!(
                        "{:04}-{:02}-{:02}",
                        d.year(),
                        d.month() as u8,
                        d.day()
                    ))
                }),
                _ => Sql::Null,
            },
            _ => match &value {
                Sql::Text(t) => parse_datetime(t).map_or(Sql::Null, |d| {
                    Sql::Text(crate::instance::when::format_datetime(d))
                }),
                _ => Sql::Null,
            },
        })
    })?;
    // STRING_SPLIT's pieces as a JSON array, for the translator's json_each (NULL: none);
    // 214 for a separator that is not one character, as SQL Server answers.
    conn.create_scalar_function("__split_json", 2, deterministic, |ctx| {
        let text: Option<String> = ctx.get(0)?;
        let separator: Option<String> = ctx.get(1)?;
        let Some(separator) = separator.filter(|s| s.chars().count() == 1) else {
            return Err(sql_error(
                214,
                "Procedure expects parameter 'separator' of type 'nchar(1)/nvarchar(1)'.",
            ));
        };
        let pieces: Vec<&str> = match &text {
            Some(t) => t.split(separator.as_str()).collect(),
            None => Vec::new(),
        };
        Ok(serde_json::to_string(&pieces).unwrap_or_else(|_| "[]".into()))
    })?;
    // ISJSON(expression) (2016): 1 for a JSON object or array, 0 otherwise, NULL for NULL
    // (learn.microsoft.com/sql/t-sql/functions/isjson-transact-sql; the type constraint of
    // 2022 is not emulated).
    conn.create_scalar_function("ISJSON", 1, deterministic, |ctx| {
        let text: Option<String> = ctx.get(0)?;
        Ok(text.map(|t| {
            i64::from(matches!(
                serde_json::from_str::<serde_json::Value>(&t),
                Ok(serde_json::Value::Object(_) | serde_json::Value::Array(_))
            ))
        }))
    })?;
    // JSON_VALUE(expression, path) and JSON_QUERY(expression [, path]) (2016), with lax and
    // strict paths (json-value-transact-sql, json-query-transact-sql, json-path-expressions).
    for (name, scalar) in [("JSON_VALUE", true), ("JSON_QUERY", false)] {
        conn.create_scalar_function(name, -1, deterministic, move |ctx| {
            let text: Option<String> = ctx.get(0)?;
            let path: Option<String> = if ctx.len() > 1 {
                ctx.get(1)?
            } else {
                Some("$".into())
            };
            let (Some(text), Some(path)) = (text, path) else {
                return Ok(None);
            };
            json_at(&text, &path, scalar)
        })?;
    }
    // FORMAT(value, format [, culture]) with .NET format strings, for en-US: dates with the
    // custom specifiers yyyy, yy, MM, dd, HH, hh, mm, ss, tt; numbers with N, D, F and their
    // precision. Any other format gives NULL (as SQL Server does for a format it cannot use).
    // This replaces SQLite's own format(), which is printf.
    conn.create_scalar_function("FORMAT", -1, deterministic, |ctx| {
        let value: Sql = ctx.get(0)?;
        let format: Option<String> = ctx.get(1)?;
        Ok(format.and_then(|f| format_value(&value, &f)))
    })?;
    Ok(())
}

/// JSON_VALUE (`scalar`) or JSON_QUERY of `text` at `path`, with SQL Server's errors: 13609
/// for text that is no JSON, 13607 for a path that is none, and in strict mode 13608 for a
/// path that finds nothing, 13623 / 13624 for a value of the other kind; lax mode gives NULL
/// for those (and JSON_VALUE for a value over 4000 characters).
fn json_at(text: &str, path: &str, scalar: bool) -> rusqlite::Result<Option<String>> {
    use serde_json::Value as J;
    let json: J = match serde_json::from_str(text) {
        Ok(json) => json,
        Err(e) => {
            let at = e.column().saturating_sub(1);
            let c = text.chars().nth(at).unwrap_or(' ');
            return Err(sql_error(
                13609,
                &format!(
                    "JSON text is not properly formatted. Unexpected character '{c}' is found at position {at}."
                ),
            ));
        }
    };
    let trimmed = path.trim_start();
    let (strict, steps) = match trimmed.strip_prefix("strict ") {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix("lax ").unwrap_or(trimmed)),
    };
    let steps = steps.trim();
    let bad_path = |at: usize| {
        let c = path.chars().nth(at).unwrap_or(' ');
        sql_error(
            13607,
            &format!(
                "JSON path is not properly formatted. Unexpected character '{c}' is found at position {at}."
            ),
        )
    };
    let offset = path.len() - steps.len();
    let mut chars = steps.char_indices().peekable();
    if chars.next().map(|(_, c)| c) != Some('$') {
        return Err(bad_path(offset));
    }
    let mut here = Some(&json);
    while let Some((at, c)) = chars.next() {
        match c {
            '.' => {
                let mut key = String::new();
                if chars.peek().map(|(_, c)| *c) == Some('"') {
                    chars.next();
                    loop {
                        match chars.next() {
                            Some((_, '"')) => break,
                            Some((_, c)) => key.push(c),
                            None => return Err(bad_path(path.len())),
                        }
                    }
                } else {
                    while let Some(&(_, c)) = chars.peek() {
                        if c == '.' || c == '[' {
                            break;
                        }
                        key.push(c);
                        chars.next();
                    }
                }
                if key.is_empty() {
                    return Err(bad_path(offset + at + 1));
                }
                here = here.and_then(|h| h.get(&key));
            }
            '[' => {
                let mut digits = String::new();
                for (_, c) in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    digits.push(c);
                }
                let Ok(i) = digits.trim().parse::<usize>() else {
                    return Err(bad_path(offset + at + 1));
                };
                here = here.and_then(|h| h.get(i));
            }
            _ => return Err(bad_path(offset + at)),
        }
    }
    let Some(found) = here else {
        return if strict {
            Err(sql_error(
                13608,
                "Property cannot be found on the specified JSON path.",
            ))
        } else {
            Ok(None)
        };
    };
    let composite = matches!(found, J::Object(_) | J::Array(_));
    if scalar == composite {
        return if strict {
            Err(if scalar {
                sql_error(
                    13623,
                    "Scalar value cannot be found in the specified JSON path.",
                )
            } else {
                sql_error(
                    13624,
                    "Object or array cannot be found in the specified JSON path.",
                )
            })
        } else {
            Ok(None)
        };
    }
    Ok(match found {
        J::Null => None,
        J::String(s) if scalar && s.chars().count() > 4000 && !strict => None,
        J::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    })
}

/// The text of a …FROMPARTS value from its integer arguments, or None when they make none.
fn from_parts(function: &str, p: &[i64]) -> Option<String> {
    let small = |v: i64| u8::try_from(v).ok();
    let date = |y: i64, m: i64, d: i64| {
        let y = i32::try_from(y).ok().filter(|y| (1..=9999).contains(y))?;
        let m = time::Month::try_from(small(m)?).ok()?;
        let date = time::Date::from_calendar_date(y, m, small(d)?).ok()?;
        Some(format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            date.month() as u8,
            date.day()
        ))
    };
    let clock = |h: i64, mi: i64, s: i64| {
        let t = time::Time::from_hms(small(h)?, small(mi)?, small(s)?).ok()?;
        Some(format!(
            "{:02}:{:02}:{:02}",
            t.hour(),
            t.minute(),
            t.second()
        ))
    };
    // fractions at precision digits: fractions must have at most that many digits.
    let fraction = |fractions: i64, precision: i64| -> Option<String> {
        let precision = usize::try_from(precision).ok().filter(|p| *p <= 7)?;
        let text = fractions.to_string();
        if fractions < 0 || text.len() > precision.max(1) && fractions != 0 {
            return None;
        }
        Some(if precision == 0 {
            String::new()
        } else {
            format!(".{fractions:0precision$}")
        })
    };
    match function {
        "DATETIMEFROMPARTS" => {
            let ms = u16::try_from(p[6]).ok().filter(|ms| *ms < 1000)?;
            Some(format!(
                "{} {}.{ms:03}",
                date(p[0], p[1], p[2])?,
                clock(p[3], p[4], p[5])?
            ))
        }
        "SMALLDATETIMEFROMPARTS" => Some(format!(
            "{} {}",
            date(p[0], p[1], p[2])?,
            clock(p[3], p[4], 0)?
        )),
        "DATETIME2FROMPARTS" => Some(format!(
            "{} {}{}",
            date(p[0], p[1], p[2])?,
            clock(p[3], p[4], p[5])?,
            fraction(p[6], p[7])?
        )),
        "TIMEFROMPARTS" => Some(format!(
            "{}{}",
            clock(p[0], p[1], p[2])?,
            fraction(p[3], p[4])?
        )),
        _ => {
            let (hours, minutes) = (p[7], p[8]);
            if !(-14..=14).contains(&hours) || !(-59..=59).contains(&minutes) {
                return None;
            }
            let sign = if hours < 0 || minutes < 0 { '-' } else { '+' };
            Some(format!(
                "{} {}{} {sign}{:02}:{:02}",
                date(p[0], p[1], p[2])?,
                clock(p[3], p[4], p[5])?,
                fraction(p[6], p[9])?,
                hours.abs(),
                minutes.abs()
            ))
        }
    }
}

/// Orders two non-NULL values: numbers as numbers, anything else as text.
fn compare(a: &Sql, b: &Sql) -> std::cmp::Ordering {
    let number = |v: &Sql| match v {
        Sql::Integer(i) => Some(*i as f64),
        Sql::Real(r) => Some(*r),
        Sql::Text(t) => t.trim().parse::<f64>().ok(),
        _ => None,
    };
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => {
            let text = |v: &Sql| match v {
                Sql::Text(t) => t.to_lowercase(),
                Sql::Integer(i) => i.to_string(),
                Sql::Real(r) => r.to_string(),
                _ => String::new(),
            };
            text(a).cmp(&text(b))
        }
    }
}

/// FORMAT's value for the formats the simulator knows (see `FORMAT` above).
fn format_value(value: &Sql, format: &str) -> Option<String> {
    let number = match value {
        Sql::Integer(i) => Some(*i as f64),
        Sql::Real(r) => Some(*r),
        _ => None,
    };
    if let Some(n) = number {
        let (kind, digits) = format.split_at(format.len().min(1));
        let digits: Option<usize> = if digits.is_empty() {
            None
        } else {
            Some(digits.parse().ok()?)
        };
        return match kind {
            "N" | "n" => {
                let text = format!("{:.*}", digits.unwrap_or(2), n.abs());
                let (int, frac) = text.split_once('.').map_or((text.as_str(), ""), |p| p);
                let mut grouped = String::new();
                for (i, c) in int.chars().enumerate() {
                    if i > 0 && (int.len() - i) % 3 == 0 {
                        grouped.push(',');
                    }
                    grouped.push(c);
                }
                let sign = if n < 0.0 { "-" } else { "" };
                Some(if frac.is_empty() {
                    format!("{sign}{grouped}")
                } else {
                    format!("{sign}{grouped}.{frac}")
                })
            }
            "F" | "f" => Some(format!("{:.*}", digits.unwrap_or(2), n)),
            "D" | "d" if n.fract() == 0.0 => {
                let width = digits.unwrap_or(0);
                let sign = if n < 0.0 { "-" } else { "" };
                Some(format!("{sign}{:0width$}", n.abs() as i64))
            }
            _ => None,
        };
    }
    let Sql::Text(text) = value else {
        return None;
    };
    let at = parse_datetime(text)?;
    let mut out = String::new();
    let mut rest = format;
    let hour12 = match at.hour() % 12 {
        0 => 12,
        h => h,
    };
    while !rest.is_empty() {
        let (piece, len) = [
            ("yyyy", format!("{:04}", at.year())),
            ("yy", format!("{:02}", at.year() % 100)),
            ("MM", format!("{:02}", at.month() as u8)),
            ("dd", format!("{:02}", at.day())),
            ("HH", format!("{:02}", at.hour())),
            ("hh", format!("{hour12:02}")),
            ("mm", format!("{:02}", at.minute())),
            ("ss", format!("{:02}", at.second())),
            ("tt", (if at.hour() < 12 { "AM" } else { "PM" }).to_owned()),
        ]
        .into_iter()
        .find(|(p, _)| rest.starts_with(p))
        .map_or_else(
            || {
                let c = rest.chars().next().expect("not empty");
                (c.to_string(), c.len_utf8())
            },
            |(p, v)| (v, p.len()),
        );
        if piece.chars().all(char::is_alphabetic) && len == 1 {
            // An unknown specifier letter: a format the simulator does not know.
            return None;
        }
        out.push_str(&piece);
        rest = &rest[len..];
    }
    Some(out)
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

/// SERVERPROPERTY: every property of learn.microsoft.com/sql/t-sql/functions/
/// serverproperty-transact-sql, each from the release its "Applies to" names, with the value a
/// fresh installation has where the fixture states none; an unknown name (or one the version
/// lacks, or one for Azure only) gives NULL, as on a server.
fn server_property(instance: &Instance, name: &str) -> Sql {
    let v = instance.version;
    let text = |s: &str| Sql::Text(s.to_owned());
    let int = |i: i64| Sql::Integer(i);
    let since = |major: u8| v.major >= major;
    let edition = instance.edition.as_str();
    let data = format!(
        "C:\\Program Files\\Microsoft SQL Server\\MSSQL{}.{}\\MSSQL\\",
        v.major,
        instance.instance_name().unwrap_or("MSSQLSERVER")
    );
    match name.to_ascii_lowercase().as_str() {
        "buildclrversion" => text(if since(11) {
            "v4.0.30319"
        } else {
            "v2.0.50727"
        }),
        "collation" => text(super::COLLATION_NAME),
        // SQL_Latin1_General_CP1_CI_AS: collation id, Windows comparison style (ignore case,
        // kana type, width), LCID 1033, character set iso_1 (1), sort order nocase_iso (52).
        "collationid" => int(872_468_488),
        "comparisonstyle" => int(196_609),
        "lcid" => int(1033),
        "sqlcharset" => int(1),
        "sqlcharsetname" => text("iso_1"),
        "sqlsortorder" => int(52),
        "sqlsortordername" => text("nocase_iso"),
        "computernamephysicalnetbios" | "machinename" => text(instance.machine_name()),
        "servername" => Sql::Text(instance.server_name.clone()),
        "instancename" => instance.instance_name().map_or(Sql::Null, text),
        "edition" => Sql::Text(instance.edition.clone()),
        "editionid" => int(if edition.starts_with("Enterprise Evaluation") {
            610_778_273
        } else if edition.starts_with("Enterprise") {
            1_804_890_536
        } else if edition.starts_with("Developer") {
            -2_117_995_310
        } else if edition.starts_with("Express") {
            -1_592_396_055
        } else if edition.starts_with("Web") {
            1_293_598_313
        } else {
            -1_534_726_760 // Standard
        }),
        "engineedition" => int(
            if edition.starts_with("Enterprise") || edition.starts_with("Developer") {
                3
            } else if edition.starts_with("Express") {
                4
            } else {
                2
            },
        ),
        "productversion" => Sql::Text(instance.product_version()),
        "productlevel" => Sql::Text(instance.product_level.clone()),
        "productmajorversion" if since(11) => Sql::Text(v.major.to_string()),
        "productminorversion" if since(11) => Sql::Text(v.minor.to_string()),
        "productbuild" if since(11) => Sql::Text(v.build.to_string()),
        "productrevision" if since(11) => Sql::Text(v.revision.to_string()),
        "productupdatelevel" if since(11) => {
            instance.update_level.as_deref().map_or(Sql::Null, text)
        }
        // NULL for an RTM or service-pack build; the KB of the update otherwise (unknown here).
        "productbuildtype" | "productupdatereference" => Sql::Null,
        "resourceversion" => Sql::Text(instance.product_version()),
        "resourcelastupdatedatetime" => text(super::catalog::INSTALL_DATE),
        "isintegratedsecurityonly" => int(i64::from(
            instance.authentication == crate::instance::Authentication::Windows,
        )),
        // 1 for a failover cluster instance (learn.microsoft.com: SERVERPROPERTY, IsClustered).
        "isclustered" => int(i64::from(instance.clustered)),
        "issingleuser" | "isfulltextinstalled" => int(0),
        "licensetype" => text("DISABLED"),
        "numlicenses" => Sql::Null,
        "processid" => int(4242),
        "filestreamconfiguredlevel" | "filestreameffectivelevel" => int(0),
        "filestreamsharename" => text(instance.instance_name().unwrap_or("MSSQLSERVER")),
        "ishadrenabled" if since(11) => int(i64::from(instance.hadr_enabled)),
        "islocaldb" if since(11) => int(0),
        "hadrmanagerstatus" if since(11) => int(0),
        "instancedefaultdatapath" if since(11) => Sql::Text(format!("{data}DATA\\")),
        "instancedefaultlogpath" if since(11) => Sql::Text(format!("{data}DATA\\")),
        "isxtpsupported" if since(12) => int(1),
        "isadvancedanalyticsinstalled" | "ispolybaseinstalled" if since(13) => int(0),
        "instancedefaultbackuppath" if since(15) => Sql::Text(format!("{data}Backup")),
        "istempdbmetadatamemoryoptimized" | "isbigdatacluster" if since(15) => int(0),
        "isserversuspendedforsnapshotbackup"
        | "suspendeddatabasecount"
        | "isexternalgovernanceenabled"
            if since(16) =>
        {
            int(0)
        }
        _ => Sql::Null,
    }
}
