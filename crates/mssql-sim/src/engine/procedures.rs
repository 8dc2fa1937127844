//! The system procedures the audit and remediation call: configuration (`sp_configure`,
//! `xp_loginconfig`), the registry (`xp_instance_regread`, `xp_regread`,
//! `xp_instance_regwrite`), role membership (`sp_addsrvrolemember`, …), linked servers
//! (`sp_dropserver`, `sp_addlinkedsrvlogin`, `sp_droplinkedsrvlogin`) and `sp_executesql`. Unknown procedures fail
//! with 2812, as on a server.

use super::script::{self, Arg};
use super::{Engine, Flow, Outcome, Session, SqlError, Variables, catalog, registry};
use crate::instance::RegistryData;
use crate::tds::tokens::{ColumnType, Value};

/// The procedure's own name, without database and schema (`master.dbo.xp_regread`).
fn base_name(procedure: &str) -> String {
    procedure
        .rsplit('.')
        .next()
        .unwrap_or(procedure)
        .to_ascii_lowercase()
}

/// System procedures that only report: calling one changes nothing on the server, whatever
/// its arguments. The statement log classifies a call of one as a read, whether the simulator
/// implements it or refuses it with 2812. Each is documented on learn.microsoft.com
/// (sql/relational-databases/system-stored-procedures/<name>-transact-sql) as returning
/// information only, except where noted.
const READ_ONLY_PROCEDURES: &[&str] = &[
    // Catalog stored procedures, "SQL Server supports the following system stored procedures
    // that implement ODBC data dictionary functions" (learn.microsoft.com "Catalog Stored
    // Procedures (Transact-SQL)", ms182764: sp_column_privileges, sp_columns, sp_databases,
    // sp_fkeys, sp_pkeys, sp_server_info, sp_special_columns, sp_sproc_columns,
    // sp_statistics, sp_stored_procedures, sp_table_privileges, sp_tables), plus
    // sp_datatype_info ("Returns information about the data types supported by the current
    // environment", its own page) for SQLGetTypeInfo. The `_100` forms are not documented:
    // they are the variants Microsoft's ODBC and JDBC drivers call on SQL Server 2008 and
    // later (e.g. sp_datatype_info_100 from JDBC's DatabaseMetaData.getTypeInfo), same role.
    "sp_column_privileges",
    "sp_columns",
    "sp_columns_100",
    "sp_databases",
    "sp_datatype_info",
    "sp_datatype_info_100",
    "sp_fkeys",
    "sp_pkeys",
    "sp_server_info",
    "sp_special_columns",
    "sp_special_columns_100",
    "sp_sproc_columns",
    "sp_sproc_columns_100",
    "sp_statistics",
    "sp_statistics_100",
    "sp_stored_procedures",
    "sp_table_privileges",
    "sp_tables",
    // Distributed queries stored procedures: the linked-server catalog ("Distributed Queries
    // Stored Procedures" page).
    "sp_catalogs",
    "sp_column_privileges_ex",
    "sp_columns_ex",
    "sp_foreignkeys",
    "sp_indexes",
    "sp_linkedservers",
    "sp_primarykeys",
    "sp_table_privileges_ex",
    "sp_tables_ex",
    "sp_helplinkedsrvlogin",
    "sp_helpserver",
    // Database engine and security stored procedures that report ("Returns information
    // about …" / "Reports information about …" on each page).
    "sp_depends",
    "sp_describe_first_result_set",
    "sp_describe_undeclared_parameters",
    "sp_help",
    "sp_helpconstraint",
    "sp_helpdb",
    "sp_helpdbfixedrole",
    "sp_dbfixedrolepermission",
    "sp_helpdevice",
    "sp_helpextendedproc",
    "sp_helpfile",
    "sp_helpfilegroup",
    "sp_helpindex",
    "sp_helplanguage",
    "sp_helplogins",
    "sp_helpntgroup",
    "sp_helprole",
    "sp_helprolemember",
    "sp_helprotect",
    "sp_helpsort",
    "sp_helpsrvrole",
    "sp_helpsrvrolemember",
    "sp_srvrolepermission",
    "sp_helpstats",
    "sp_helptext",
    "sp_helptrigger",
    "sp_helpuser",
    "sp_lock",
    "sp_server_diagnostics",
    "sp_validatelogins",
    "sp_who",
    // sp_who2: undocumented (not on learn.microsoft.com); it selects from sysprocesses only.
    "sp_who2",
    "xp_logininfo",
    "xp_msver",
    // The audit's own reads: login configuration and the registry (undocumented xp_regread
    // and xp_instance_regread only read; xp_loginconfig "reports the login security
    // configuration").
    "xp_loginconfig",
    "xp_instance_regread",
    "xp_regread",
    // msdb's SQL Server Agent procedures that report ("Returns information about …").
    "sp_help_alert",
    "sp_help_category",
    "sp_help_job",
    "sp_help_jobhistory",
    "sp_help_jobschedule",
    "sp_help_jobserver",
    "sp_help_jobstep",
    "sp_help_operator",
    "sp_help_proxy",
    "sp_help_schedule",
];

/// The value of argument `position` (0-based) or of the argument named `name`, if given.
fn argument<'a>(args: &'a [Arg], position: usize, name: &str) -> Option<&'a Arg> {
    args.iter()
        .find(|a| {
            a.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .or_else(|| args.get(position).filter(|a| a.name.is_none()))
}

/// Whether a call only reads.
pub fn is_read(procedure: &str, args: &[Arg]) -> bool {
    let name = base_name(procedure);
    if READ_ONLY_PROCEDURES.contains(&name.as_str()) {
        return true;
    }
    match name.as_str() {
        // With a value it changes the option ("sp_configure [ [ @configname = ] 'option_name'
        // [ , [ @configvalue = ] value ] ]", sp-configure-transact-sql).
        "sp_configure" => argument(args, 1, "@configvalue").is_none(),
        // `@updateusage = 'true'` runs DBCC UPDATEUSAGE, which corrects the stored space
        // counts (sp-spaceused-transact-sql); without it, or 'false', it only reports.
        "sp_spaceused" => argument(args, 1, "@updateusage").is_none_or(|a| {
            matches!(&a.value, sqlparser::ast::Expr::Value(v) if matches!(&v.value,
                sqlparser::ast::Value::SingleQuotedString(s)
                | sqlparser::ast::Value::NationalStringLiteral(s) if s.eq_ignore_ascii_case("false")))
        }),
        "sp_executesql" => match args.first().map(|a| &a.value) {
            Some(sqlparser::ast::Expr::Value(v)) => match &v.value {
                sqlparser::ast::Value::SingleQuotedString(s)
                | sqlparser::ast::Value::NationalStringLiteral(s) => {
                    script::parse(s).is_ok_and(|stmts| stmts.iter().all(|s| s.kind.is_read()))
                }
                _ => false,
            },
            _ => false,
        },
        _ => false,
    }
}

fn denied(procedure: &str) -> Flow {
    Flow::Abort(SqlError::new(
        229,
        14,
        format!(
            "The EXECUTE permission was denied on the object '{procedure}', database 'mssqlsystemresource', schema 'sys'."
        ),
    ))
}

fn no_such_server(server: &str) -> Flow {
    Flow::Abort(SqlError::new(
        15015,
        16,
        format!(
            "The server '{server}' does not exist. Use sp_helpserver to show available servers."
        ),
    ))
}

fn not_a_login(login: &str) -> Flow {
    Flow::Abort(SqlError::new(
        15007,
        16,
        format!("'{login}' is not a valid login or you do not have permission."),
    ))
}

/// The linked server `server`, for changing its mappings.
fn linked_server<'a>(
    instance: &'a mut crate::instance::Instance,
    server: &str,
) -> Result<&'a mut crate::instance::LinkedServer, Flow> {
    instance
        .linked_servers
        .iter_mut()
        .find(|s| s.name.eq_ignore_ascii_case(server))
        .ok_or_else(|| no_such_server(server))
}

/// Removes the mapping of `local` (none = the mapping of every login).
fn remove_mapping(logins: &mut Vec<crate::instance::LinkedLogin>, local: Option<&str>) {
    logins.retain(|m| match (m.local.as_deref(), local) {
        (None, None) => false,
        (Some(a), Some(b)) => !a.eq_ignore_ascii_case(b),
        _ => true,
    });
}

fn rows(columns: &[(&str, ColumnType)], rows: Vec<Vec<Value>>) -> Outcome {
    Outcome::Rows {
        columns: columns.iter().map(|(n, t)| ((*n).to_owned(), *t)).collect(),
        rows,
        not_null: Vec::new(),
    }
}

/// Runs `EXEC procedure args`.
pub(super) fn call(
    engine: &mut Engine,
    session: &mut Session,
    procedure: &str,
    args: &[Arg],
    vars: &mut Variables,
    out: &mut Vec<Outcome>,
) -> Result<(), Flow> {
    let name = base_name(procedure);
    let mut values = Vec::new();
    for arg in args {
        values.push(match &arg.value {
            _ if arg.output => Value::Null,
            // EXEC p REG_DWORD: an unquoted word is a string argument.
            sqlparser::ast::Expr::Identifier(i) if !i.value.starts_with('@') => {
                Value::Text(i.value.clone())
            }
            e => engine.scalar(e, vars)?,
        });
    }
    let arg = |i: usize| values.get(i).cloned().unwrap_or(Value::Null);
    match name.as_str() {
        "sp_executesql" => {
            let statement = arg(0).as_text();
            let mut inner = Variables::new();
            for (a, v) in args.iter().zip(&values).skip(2) {
                if let Some(n) = &a.name {
                    inner.insert(n.to_lowercase(), v.clone());
                }
            }
            // A USE inside the statement lasts until its end: "changes in database context
            // last only until the end of the EXECUTE statement"
            // (learn.microsoft.com/sql/t-sql/language-elements/execute-transact-sql).
            let database = session.database.clone();
            let mut inner_out = engine.execute_with(session, &statement, inner);
            if !session.database.eq_ignore_ascii_case(&database) {
                let old = std::mem::replace(&mut session.database, database.clone());
                engine.lock().session.database = database.clone();
                // Before a final error, which a CATCH block looks for last.
                let at = match inner_out.last() {
                    Some(Outcome::Error(_)) => inner_out.len() - 1,
                    _ => inner_out.len(),
                };
                inner_out.insert(at, Outcome::DatabaseChanged { new: database, old });
            }
            out.append(&mut inner_out);
        }
        "sp_configure" => configure(engine, &values, out)?,
        "xp_loginconfig" => {
            let state = engine.lock();
            if !state.viewer.has("CONTROL SERVER") {
                return Err(denied("xp_loginconfig"));
            }
            let instance = &state.instance;
            let mode = match instance.authentication {
                crate::instance::Authentication::Windows => "Windows NT Authentication",
                crate::instance::Authentication::Mixed => "Mixed",
            };
            let audit = match instance.login_audit {
                crate::instance::LoginAudit::None => "none",
                crate::instance::LoginAudit::Successful => "success",
                crate::instance::LoginAudit::Failed => "failure",
                crate::instance::LoginAudit::Both => "all",
            };
            let all = [
                ("login mode", mode.to_owned()),
                ("default login", "guest".to_owned()),
                ("default domain", instance.machine_name().to_owned()),
                ("audit level", audit.to_owned()),
                ("set hostname", "false".to_owned()),
                ("map _", "domain separator".to_owned()),
                ("map $", String::new()),
                ("map #", "-".to_owned()),
            ];
            let wanted = arg(0).as_name();
            let picked: Vec<Vec<Value>> = all
                .iter()
                .filter(|(n, _)| wanted.as_deref().is_none_or(|w| w.eq_ignore_ascii_case(n)))
                .map(|(n, v)| {
                    vec![
                        Value::Text((*n).to_owned()),
                        if v.is_empty() {
                            Value::Null
                        } else {
                            Value::Text(v.clone())
                        },
                    ]
                })
                .collect();
            out.push(rows(
                &[
                    ("name", ColumnType::NVarChar(4000)),
                    ("config_value", ColumnType::NVarChar(4000)),
                ],
                picked,
            ));
        }
        // sp_validatelogins (learn.microsoft.com): "Reports information about Windows users
        // and groups that are mapped to SQL Server principals but no longer exist in the
        // Windows environment"; result set SID varbinary(85), NT Login sysname; "Requires
        // membership in the sysadmin or securityadmin fixed server role".
        "sp_validatelogins" => {
            let state = engine.lock();
            if !(state.viewer.is_sysadmin() || state.viewer.is_securityadmin()) {
                return Err(Flow::Abort(SqlError::new(
                    15247,
                    16,
                    "User does not have permission to perform this action.".to_owned(),
                )));
            }
            let gone: Vec<Vec<Value>> = state
                .instance
                .logins
                .iter()
                .filter(|l| {
                    l.gone_from_windows
                        && matches!(
                            l.kind,
                            crate::instance::LoginKind::WindowsUser
                                | crate::instance::LoginKind::WindowsGroup
                        )
                })
                .map(|l| vec![Value::Binary(l.sid.clone()), Value::Text(l.name.clone())])
                .collect();
            out.push(rows(
                &[
                    ("SID", ColumnType::VarBinary(85)),
                    ("NT Login", ColumnType::NVarChar(128)),
                ],
                gone,
            ));
        }
        "xp_instance_regread" | "xp_regread" => {
            // Undocumented procedures: Microsoft documents no permission for them. SQL Server
            // is known (NetSPI's research, not Microsoft's pages) to let logins other than
            // sysadmin read only a few of its own keys; the simulator lets them read none,
            // the stricter case, so an audit is tested against it. CONTROL SERVER is not
            // sysadmin here either. The documented way to the instance's own keys is
            // sys.dm_server_registry.
            let state = engine.lock();
            if !state.viewer.is_sysadmin() {
                return Err(denied(&name));
            }
            let key = arg(1).as_text();
            let key = if name == "xp_instance_regread" {
                registry::instance_key(&state.instance, &key)
            } else {
                registry::normalize_key(&key)
            };
            let value_name = arg(2).as_text();
            let data = registry::read(&state.instance, &key, &value_name);
            drop(state);
            let data = data.map_or(Value::Null, |d| match d {
                rusqlite::types::Value::Integer(i) => Value::Int(i),
                rusqlite::types::Value::Text(t) => Value::Text(t),
                _ => Value::Null,
            });
            // With an OUTPUT argument the value is assigned; otherwise a one-row result.
            if let Some(target) = args.get(3).filter(|a| a.output) {
                if let sqlparser::ast::Expr::Identifier(v) = &target.value {
                    vars.insert(v.value.to_lowercase(), data);
                }
            } else if data != Value::Null {
                out.push(rows(
                    &[
                        ("Value", ColumnType::NVarChar(4000)),
                        ("Data", ColumnType::Variant),
                    ],
                    vec![vec![Value::Text(value_name), data]],
                ));
            } else {
                out.push(rows(
                    &[
                        ("Value", ColumnType::NVarChar(4000)),
                        ("Data", ColumnType::Variant),
                    ],
                    vec![],
                ));
            }
        }
        "xp_instance_regwrite" | "xp_regwrite" => {
            let mut state = engine.lock();
            if !state.viewer.has("CONTROL SERVER") {
                return Err(denied(&name));
            }
            let key = arg(1).as_text();
            let key = if name == "xp_instance_regwrite" {
                registry::instance_key(&state.instance, &key)
            } else {
                registry::normalize_key(&key)
            };
            let data = match arg(4) {
                Value::Int(i) => RegistryData::Number(i),
                other if arg(3).as_text().eq_ignore_ascii_case("REG_DWORD") => {
                    RegistryData::Number(other.as_int().unwrap_or(0))
                }
                other => RegistryData::Text(other.as_text()),
            };
            registry::write(&mut state.instance, &key, &arg(2).as_text(), data);
            drop(state);
            engine.changed();
        }
        "sp_addsrvrolemember" | "sp_dropsrvrolemember" => {
            let kind = super::script::Kind::AlterRole {
                server: true,
                role: arg(1).as_text(),
                add: name == "sp_addsrvrolemember",
                member: arg(0).as_text(),
            };
            super::mutations::apply(engine, session, &kind, vars, out)?;
            engine.changed();
        }
        "sp_addrolemember" | "sp_droprolemember" => {
            let kind = super::script::Kind::AlterRole {
                server: false,
                role: arg(0).as_text(),
                add: name == "sp_addrolemember",
                member: arg(1).as_text(),
            };
            super::mutations::apply(engine, session, &kind, vars, out)?;
            engine.changed();
        }
        "sp_dropserver" => {
            let mut state = engine.lock();
            if !state.viewer.has("ALTER ANY LINKED SERVER") {
                return Err(denied(&name));
            }
            let server = arg(0).as_text();
            let before = state.instance.linked_servers.len();
            state
                .instance
                .linked_servers
                .retain(|s| !s.name.eq_ignore_ascii_case(&server));
            if state.instance.linked_servers.len() == before {
                return Err(no_such_server(&server));
            }
            drop(state);
            engine.changed();
        }
        "sp_addlinkedsrvlogin" => {
            // @rmtsrvname, @useself (default TRUE), @locallogin (NULL = every login), @rmtuser,
            // @rmtpassword (not kept: nothing can read it back). Replaces the login's mapping.
            let mut state = engine.lock();
            if !state.viewer.has("ALTER ANY LOGIN") {
                return Err(denied(&name));
            }
            let server = arg(0).as_text();
            let uses_self = arg(1)
                .as_name()
                .is_none_or(|v| v.eq_ignore_ascii_case("TRUE"));
            let local = arg(2).as_name();
            let remote = if uses_self { None } else { arg(3).as_name() };
            if let Some(l) = &local
                && state.instance.login(l).is_none()
            {
                return Err(not_a_login(l));
            }
            let linked = linked_server(&mut state.instance, &server)?;
            remove_mapping(&mut linked.logins, local.as_deref());
            linked.logins.push(crate::instance::LinkedLogin {
                local,
                uses_self,
                remote,
            });
            drop(state);
            engine.changed();
        }
        "sp_droplinkedsrvlogin" => {
            let mut state = engine.lock();
            if !state.viewer.has("ALTER ANY LOGIN") {
                return Err(denied(&name));
            }
            let server = arg(0).as_text();
            let local = arg(1).as_name();
            let linked = linked_server(&mut state.instance, &server)?;
            let before = linked.logins.len();
            remove_mapping(&mut linked.logins, local.as_deref());
            if linked.logins.len() == before {
                return Err(not_a_login(&local.unwrap_or_default()));
            }
            drop(state);
            engine.changed();
        }
        _ => {
            return Err(Flow::Abort(SqlError::new(
                2812,
                16,
                format!("Could not find stored procedure '{procedure}'."),
            )));
        }
    }
    if name != "sp_executesql" {
        out.push(Outcome::ReturnStatus(0));
    }
    Ok(())
}

/// `sp_configure [name [, value]]`.
fn configure(engine: &mut Engine, values: &[Value], out: &mut Vec<Outcome>) -> Result<(), Flow> {
    let mut state = engine.lock();
    let major = state.instance.version.major;
    let setting = |instance: &crate::Instance, name: &str, default: i64| {
        instance
            .configuration
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or((default, default), |(_, s)| s.pair())
    };
    let advanced = setting(&state.instance, "show advanced options", 0).1 == 1;
    let visible: Vec<&catalog::ConfigOption> = catalog::CONFIGURATIONS
        .iter()
        .filter(|o| catalog::option_exists(o, major) && (advanced || !o.6))
        .collect();
    let wanted = values.first().and_then(Value::as_name);
    let columns = [
        ("name", ColumnType::NVarChar(4000)),
        ("minimum", ColumnType::Int),
        ("maximum", ColumnType::Int),
        ("config_value", ColumnType::Int),
        ("run_value", ColumnType::Int),
    ];
    let Some(wanted) = wanted else {
        let listed = visible
            .iter()
            .map(|o| {
                let (value, in_use) = setting(&state.instance, o.1, o.2);
                vec![
                    Value::Text(o.1.to_owned()),
                    Value::Int(o.3),
                    Value::Int(o.4),
                    Value::Int(value),
                    Value::Int(in_use),
                ]
            })
            .collect();
        out.push(rows(&columns, listed));
        return Ok(());
    };
    // A unique prefix selects an option, as on SQL Server.
    let matches: Vec<&&catalog::ConfigOption> = visible
        .iter()
        .filter(|o| o.1.eq_ignore_ascii_case(&wanted))
        .chain(visible.iter().filter(|o| {
            o.1.to_lowercase().starts_with(&wanted.to_lowercase())
                && !o.1.eq_ignore_ascii_case(&wanted)
        }))
        .collect();
    let option = match matches.as_slice() {
        [exact, ..] if exact.1.eq_ignore_ascii_case(&wanted) => **exact,
        [only] => **only,
        [] => {
            return Err(Flow::Abort(SqlError::new(
                15123,
                16,
                format!(
                    "The configuration option '{wanted}' does not exist, or it may be an advanced option."
                ),
            )));
        }
        _ => {
            return Err(Flow::Abort(SqlError::new(
                15125,
                16,
                format!("The configuration option '{wanted}' is not unique."),
            )));
        }
    };
    let Some(new) = values.get(1).filter(|v| **v != Value::Null) else {
        let (value, in_use) = setting(&state.instance, option.1, option.2);
        out.push(rows(
            &columns,
            vec![vec![
                Value::Text(option.1.to_owned()),
                Value::Int(option.3),
                Value::Int(option.4),
                Value::Int(value),
                Value::Int(in_use),
            ]],
        ));
        return Ok(());
    };
    if !state.viewer.has("ALTER SETTINGS") {
        return Err(Flow::Abort(SqlError::new(
            15247,
            16,
            "User does not have permission to perform this action.",
        )));
    }
    let Some(new) = new.as_int().filter(|n| (option.3..=option.4).contains(n)) else {
        return Err(Flow::Abort(SqlError::new(
            15129,
            16,
            format!(
                "'{}' is not a valid value for configuration option '{}'.",
                new.as_text(),
                option.1
            ),
        )));
    };
    let (old, in_use) = setting(&state.instance, option.1, option.2);
    state
        .instance
        .configuration
        .retain(|n, _| !n.eq_ignore_ascii_case(option.1));
    state.instance.configuration.insert(
        option.1.to_owned(),
        // Configured back to the value in use: nothing is pending any more.
        if new == in_use {
            crate::instance::Setting::Value(new)
        } else {
            crate::instance::Setting::Pending { value: new, in_use }
        },
    );
    drop(state);
    engine.changed();
    out.push(Outcome::Info(SqlError {
        number: 15457,
        state: 1,
        class: 0,
        text: format!("Configuration option '{}' changed from {old} to {new}. Run the RECONFIGURE statement to install.", option.1),
    }));
    Ok(())
}
