//! T-SQL built-in functions the catalog queries use, registered as SQLite functions.

use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value as Sql;

use super::Session;
use crate::Instance;

/// The release name of a major version, for `@@VERSION`.
fn release(major: u8) -> &'static str {
    match major {
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

/// Registers every function on `conn`.
pub fn register(
    conn: &Connection,
    instance: Arc<Instance>,
    session: Arc<Mutex<Session>>,
) -> rusqlite::Result<()> {
    let deterministic = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let volatile = FunctionFlags::SQLITE_UTF8;

    let inst = Arc::clone(&instance);
    conn.create_scalar_function("SERVERPROPERTY", 1, deterministic, move |ctx| {
        let name: String = ctx.get(0)?;
        Ok(server_property(&inst, &name))
    })?;

    let inst = Arc::clone(&instance);
    let sess = Arc::clone(&session);
    conn.create_scalar_function("__global", 1, volatile, move |ctx| {
        let name: String = ctx.get(0)?;
        let session = sess.lock().unwrap_or_else(|e| e.into_inner());
        Ok(match name.as_str() {
            "VERSION" => {
                let (major, _, _, _) = inst.version;
                let edition = inst.edition.split(" (").next().unwrap_or(&inst.edition).to_owned();
                Sql::Text(format!(
                    "Microsoft SQL Server {} (RTM) - {} (X64) \n\tCopyright (C) Microsoft Corporation\n\t{} on Windows Server 2019 Standard 10.0 <X64> (Build 17763: ) (Hypervisor)\n",
                    release(major),
                    inst.product_version(),
                    edition
                ))
            }
            "SERVERNAME" => Sql::Text(inst.server_name.clone()),
            "SERVICENAME" => Sql::Text(instance_name(&inst).unwrap_or("MSSQLSERVER").to_owned()),
            "SPID" => Sql::Integer(i64::from(session.spid)),
            "LANGUAGE" => Sql::Text("us_english".into()),
            _ => Sql::Null,
        })
    })?;

    let sess = Arc::clone(&session);
    conn.create_scalar_function("SUSER_SNAME", 0, volatile, move |_| {
        Ok(Sql::Text(
            sess.lock().unwrap_or_else(|e| e.into_inner()).login.clone(),
        ))
    })?;
    let sess = Arc::clone(&session);
    conn.create_scalar_function("DB_NAME", 0, volatile, move |_| {
        Ok(Sql::Text(
            sess.lock()
                .unwrap_or_else(|e| e.into_inner())
                .database
                .clone(),
        ))
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
    let inst = Arc::clone(&instance);
    conn.create_scalar_function("LOGINPROPERTY", 2, deterministic, move |ctx| {
        let name: String = ctx.get(0)?;
        let property: String = ctx.get(1)?;
        let Some(login) = inst.login(&name) else {
            return Ok(Sql::Null);
        };
        Ok(match property.to_ascii_lowercase().as_str() {
            "passwordhash" => Sql::Blob(super::catalog::password_hash(&login.password)),
            "islocked" | "isexpired" | "ismustchange" | "badpasswordcount" => Sql::Integer(0),
            "passwordlastsettime" => Sql::Text(super::catalog::INSTALL_DATE.to_owned()),
            _ => Sql::Null,
        })
    })?;
    // SUSER_SID([login]) and DB_ID([database]); without an argument, the session's.
    let inst = Arc::clone(&instance);
    let sess = Arc::clone(&session);
    conn.create_scalar_function("SUSER_SID", -1, volatile, move |ctx| {
        let name: String = if ctx.is_empty() {
            sess.lock().unwrap_or_else(|e| e.into_inner()).login.clone()
        } else {
            ctx.get(0)?
        };
        Ok(super::catalog::login_sid(&inst, &name))
    })?;
    let inst = Arc::clone(&instance);
    let sess = Arc::clone(&session);
    conn.create_scalar_function("DB_ID", -1, volatile, move |ctx| {
        let name: String = if ctx.is_empty() {
            sess.lock()
                .unwrap_or_else(|e| e.into_inner())
                .database
                .clone()
        } else {
            ctx.get(0)?
        };
        Ok(super::catalog::database_id(&inst, &name))
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
    conn.create_scalar_function("GETDATE", 0, volatile, |_| Ok(now_datetime()))?;
    Ok(())
}

/// The instance name part of `server\instance`, if any.
fn instance_name(instance: &Instance) -> Option<&str> {
    instance.server_name.split_once('\\').map(|(_, name)| name)
}

/// SERVERPROPERTY for the properties audits read; unknown names give NULL, as on a server.
fn server_property(instance: &Instance, name: &str) -> Sql {
    let (major, minor, build, revision) = instance.version;
    let text = |s: &str| Sql::Text(s.to_owned());
    match name.to_ascii_lowercase().as_str() {
        "productversion" => Sql::Text(instance.product_version()),
        "productmajorversion" => Sql::Text(major.to_string()),
        "productminorversion" => Sql::Text(minor.to_string()),
        "productbuild" => Sql::Text(build.to_string()),
        "productbuildtype" | "productupdatelevel" | "productupdatereference" => Sql::Null,
        "productlevel" => text("RTM"),
        "productrevision" => Sql::Text(revision.to_string()),
        "edition" => Sql::Text(instance.edition.clone()),
        "engineedition" => Sql::Integer(if instance.edition.starts_with("Enterprise") {
            3
        } else {
            2
        }),
        "servername" => Sql::Text(instance.server_name.clone()),
        "machinename" | "computernamephysicalnetbios" => Sql::Text(
            instance
                .server_name
                .split('\\')
                .next()
                .unwrap_or_default()
                .to_owned(),
        ),
        "instancename" => instance_name(instance).map(text).unwrap_or(Sql::Null),
        "isintegratedsecurityonly" | "isclustered" | "ishadrenabled" | "issingleuser" => {
            Sql::Integer(0)
        }
        "collation" => text("SQL_Latin1_General_CP1_CI_AS"),
        _ => Sql::Null,
    }
}

/// The current time as SQL Server's `datetime` text.
fn now_datetime() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = crate::tds::tokens::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.000",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}
