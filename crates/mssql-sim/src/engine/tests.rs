//! Engine tests: queries, control flow, procedures, permissions and mutations, without a
//! socket (the TDS path is tested in `tests/`).

use super::*;
use crate::fixtures::builtin;
use crate::instance::{Database, Login, Version};

fn engine() -> Engine {
    let mut instance = Instance::new(
        "SIM\\SQL2019",
        Version::new(15, 0, 2000, 5),
        "Enterprise Edition (64-bit)",
    );
    instance.sa_mut().password = Some("Sa-Pass-1".into());
    instance
        .logins
        .push(Login::new("autodbaudit", "pw").in_role("sysadmin"));
    instance
        .logins
        .push(Login::new("app_admin", "app_admin").in_role("sysadmin"));
    instance.logins.push(Login::new("o'brien]x", "p"));
    let mut db = Database::new("SalesDB");
    db.trustworthy = true;
    instance.databases.push(db);
    instance
        .configuration
        .insert("xp_cmdshell".into(), crate::instance::Setting::Value(1));
    instance.normalize().unwrap();
    Engine::new(&instance).unwrap()
}

fn session(engine: &Engine, login: &str) -> Session {
    Session::of(&engine.instance(), login, 52)
}

fn rows(outcome: &Outcome) -> &Vec<Vec<Value>> {
    match outcome {
        Outcome::Rows { rows, .. } => rows,
        other => panic!("{other:?}"),
    }
}

fn results(out: &[Outcome]) -> Vec<&Outcome> {
    out.iter()
        .filter(|o| matches!(o, Outcome::Rows { .. } | Outcome::Error(_)))
        .collect()
}

fn error(out: &[Outcome]) -> &SqlError {
    out.iter()
        .find_map(|o| match o {
            Outcome::Error(e) => Some(e),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no error in {out:?}"))
}

fn one(e: &mut Engine, s: &mut Session, sql: &str) -> Value {
    let out = e.execute(s, sql);
    rows(results(&out)[0])[0][0].clone()
}

#[test]
fn every_statement_is_logged_and_classified() {
    let mut e = engine();
    let mut s = session(&e, "autodbaudit");
    e.execute(
        &mut s,
        "SELECT 1; USE master; DECLARE @x int; SET @x = 1; EXEC sp_configure 'xp_cmdshell'",
    );
    e.execute(&mut s, "ALTER LOGIN app_admin DISABLE");
    e.execute(&mut s, "DELETE FROM sys.databases");
    let log = e.statements();
    assert_eq!(log.len(), 7, "{log:?}");
    assert!(log[..5].iter().all(|s| s.access == Access::Read), "{log:?}");
    assert_eq!(log[5].access, Access::Mutating, "{log:?}");
    // Not parsed by the simulator: refused as a whole, nothing ran (still not a read).
    assert_eq!(log[6].access, Access::Refused, "{log:?}");
    assert_eq!(e.statement_counts().not_read(), 2);
    assert_eq!(log[5].text, "ALTER LOGIN app_admin DISABLE");
    assert_eq!(log[0].login, "autodbaudit");
}

#[test]
fn joins_filters_and_types_follow_the_catalog() {
    let mut e = engine();
    let mut s = session(&e, "autodbaudit");
    let out = e.execute(
        &mut s,
        "SELECT TOP 5 p.name, p.principal_id, p.is_disabled, p.sid, r.name AS role
         FROM sys.server_principals AS p
         JOIN sys.server_role_members AS m ON m.member_principal_id = p.principal_id
         JOIN sys.server_principals AS r ON r.principal_id = m.role_principal_id
         WHERE r.name = N'sysadmin' AND p.type = 'S' ORDER BY p.principal_id",
    );
    let Outcome::Rows { columns, rows, .. } = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(
        columns.iter().map(|c| c.1).collect::<Vec<_>>(),
        vec![
            ColumnType::NVarChar(128),
            ColumnType::Int,
            ColumnType::Int,
            ColumnType::VarBinary(85),
            ColumnType::NVarChar(128)
        ]
    );
    let names: Vec<String> = rows.iter().map(|r| r[0].as_text()).collect();
    assert_eq!(
        names,
        ["autodbaudit", "app_admin"],
        "sa is not a member in this fixture"
    );
}

#[test]
fn per_database_views_and_three_part_names() {
    let mut e = Engine::new(&builtin("legacy-2008r2").unwrap()).unwrap();
    let mut s = session(&e, "autodbaudit");
    let out = e.execute(
        &mut s,
        "SELECT name FROM SalesDB.sys.database_principals WHERE type = 'S' ORDER BY name",
    );
    let names: Vec<String> = rows(&out[0]).iter().map(|r| r[0].as_text()).collect();
    assert!(
        names.contains(&"ghost_user".to_owned()) && names.contains(&"report_user".to_owned()),
        "{names:?}"
    );
    // The same view in master has no ghost_user; USE switches the unqualified name.
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT COUNT(*) FROM sys.database_principals WHERE name = 'ghost_user'"
        ),
        Value::Int(0)
    );
    let out = e.execute(&mut s, "USE [SalesDB]; SELECT DB_NAME(), COUNT(*) FROM sys.database_principals dp WHERE dp.name = 'ghost_user'");
    assert!(
        out.iter()
            .any(|o| matches!(o, Outcome::DatabaseChanged { new, .. } if new == "SalesDB"))
    );
    assert_eq!(
        rows(results(&out)[0])[0],
        vec![Value::Text("SalesDB".into()), Value::Int(1)]
    );
    assert_eq!(s.database, "SalesDB");
    // Orphaned: its SID matches no login.
    let orphans = one(
        &mut e,
        &mut s,
        "SELECT COUNT(*) FROM SalesDB.sys.database_principals dp LEFT JOIN sys.server_principals sp ON sp.sid = dp.sid WHERE dp.type = 'S' AND dp.principal_id > 4 AND sp.sid IS NULL",
    );
    assert_eq!(orphans, Value::Int(1));
    // WITH GRANT OPTION and guest CONNECT.
    let out = e.execute(&mut s, "SELECT pr.name, pe.permission_name, pe.state_desc FROM SalesDB.sys.database_permissions pe JOIN SalesDB.sys.database_principals pr ON pr.principal_id = pe.grantee_principal_id WHERE pe.state = 'W' OR (pr.name = 'guest' AND pe.permission_name = 'CONNECT')");
    assert_eq!(rows(&out[0]).len(), 2, "{out:?}");
    let e208 = e.execute(&mut s, "SELECT * FROM NoSuchDb.sys.objects");
    assert_eq!(error(&e208).number, 208);
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT COUNT(*) FROM msdb.dbo.backupset WHERE database_name = 'SalesDB' AND type = 'D' AND backup_finish_date < DATEADD(day, -29, GETDATE())"
        ),
        Value::Int(1)
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT DATEDIFF(day, MAX(backup_finish_date), GETDATE()) FROM msdb.dbo.backupset WHERE database_name = 'SalesDB' AND type = 'D'"
        ),
        Value::Int(30)
    );
}

#[test]
fn version_dependent_views_and_columns() {
    let mut old = Engine::new(&builtin("legacy-2008r2").unwrap()).unwrap();
    let mut s = session(&old, "autodbaudit");
    assert_eq!(
        error(&old.execute(&mut s, "SELECT * FROM sys.dm_os_host_info")).number,
        208
    );
    assert_eq!(
        error(&old.execute(&mut s, "SELECT is_fixed_role FROM sys.server_principals")).number,
        207
    );
    assert_eq!(
        error(&old.execute(
            &mut s,
            "SELECT authentication_type FROM sys.database_principals"
        ))
        .number,
        207
    );
    assert_eq!(
        error(&old.execute(&mut s, "ALTER SERVER ROLE sysadmin DROP MEMBER app_admin")).number,
        102
    );
    let services = old.execute(
        &mut s,
        "SELECT servicename, service_account FROM sys.dm_server_services",
    );
    assert_eq!(rows(&services[0])[0][1], Value::Text("LocalSystem".into()));
    let mut new = Engine::new(&builtin("typical-2019").unwrap()).unwrap();
    let mut s = session(&new, "autodbaudit");
    assert_eq!(
        one(&mut new, &mut s, "SELECT COUNT(*) FROM sys.dm_os_host_info"),
        Value::Int(1)
    );
    assert_eq!(
        one(
            &mut new,
            &mut s,
            "SELECT COUNT(*) FROM master.sys.certificates WHERE pvt_key_last_backup_date IS NULL AND name = 'TDE_Payroll_Cert'"
        ),
        Value::Int(1)
    );
    assert_eq!(
        one(
            &mut new,
            &mut s,
            "SELECT encryption_state FROM sys.dm_database_encryption_keys WHERE database_id = DB_ID('Payroll')"
        ),
        Value::Int(3)
    );
}

#[test]
fn functions_globals_and_control_flow() {
    let mut e = engine();
    let mut s = session(&e, "autodbaudit");
    let out = e.execute(
        &mut s,
        "DECLARE @n sysname = N'o''brien]x', @c int;
         SET @c = (SELECT COUNT(*) FROM sys.sql_logins WHERE name = @n);
         IF @c = 1 BEGIN PRINT 'found'; SELECT QUOTENAME(@n), SERVERPROPERTY('ProductVersion'), @@SERVERNAME, SUSER_SNAME() END
         ELSE SELECT 'missing'",
    );
    assert!(
        out.iter()
            .any(|o| matches!(o, Outcome::Info(m) if m.text == "found")),
        "{out:?}"
    );
    let r = &rows(results(&out)[0])[0];
    assert_eq!(r[0], Value::Text("[o'brien]]x]".into()));
    assert_eq!(r[1], Value::Text("15.0.2000.5".into()));
    assert_eq!(r[2], Value::Text("SIM\\SQL2019".into()));
    assert_eq!(r[3], Value::Text("autodbaudit".into()));
    let Value::Text(version) = one(&mut e, &mut s, "SELECT @@VERSION") else {
        panic!()
    };
    assert!(
        version.starts_with("Microsoft SQL Server 2019 (RTM)"),
        "{version}"
    );
    // TRY/CATCH catches a statement error; ERROR_NUMBER() tells which.
    let out = e.execute(&mut s, "BEGIN TRY SELECT * FROM sys.nothing_here END TRY BEGIN CATCH SELECT ERROR_NUMBER(), ERROR_MESSAGE() END CATCH");
    assert_eq!(rows(results(&out)[0])[0][0], Value::Int(208), "{out:?}");
    // Undeclared variables are error 137.
    assert_eq!(error(&e.execute(&mut s, "SELECT @nope")).number, 137);
    // SELECT @x = … assigns.
    let out = e.execute(&mut s, "DECLARE @who sysname; SELECT @who = name FROM sys.server_principals WHERE principal_id = 1; SELECT @who");
    assert_eq!(
        results(&out).len(),
        1,
        "the assignment returns no rows: {out:?}"
    );
    assert_eq!(rows(results(&out)[0])[0][0], Value::Text("sa".into()));
    // From the last row; none leaves the variable as it was.
    let out = e.execute(&mut s, "DECLARE @a int = 7, @b sysname; SELECT TOP (2) @a = database_id, @b = name FROM sys.databases ORDER BY database_id; SELECT @a, @b; SELECT @a = database_id FROM sys.databases WHERE 1 = 0; SELECT @a");
    assert_eq!(
        rows(results(&out)[0])[0],
        [Value::Int(2), Value::Text("tempdb".into())]
    );
    assert_eq!(rows(results(&out)[1])[0][0], Value::Int(2));
}

#[test]
fn security_functions() {
    let mut e = engine();
    let mut s = session(&e, "app_admin");
    let out = e.execute(
        &mut s,
        "SELECT PWDCOMPARE(name, password_hash), PWDCOMPARE('', password_hash), PWDCOMPARE('APP_ADMIN', password_hash),
                IS_SRVROLEMEMBER('sysadmin', name), IS_SRVROLEMEMBER('nope', name), IS_SRVROLEMEMBER('sysadmin'),
                CASE WHEN SUSER_SID(name) = sid THEN 1 ELSE 0 END, LOGINPROPERTY(name, 'IsLocked'), DB_ID('SalesDB'),
                HAS_PERMS_BY_NAME(NULL, NULL, 'CONTROL SERVER')
         FROM sys.sql_logins WHERE name = 'app_admin'",
    );
    let r = &rows(&out[0])[0];
    assert_eq!(
        r,
        &vec![
            Value::Int(1),
            Value::Int(0),
            Value::Int(0),
            Value::Int(1),
            Value::Null,
            Value::Int(1),
            Value::Int(1),
            Value::Int(0),
            Value::Int(5),
            Value::Int(1)
        ]
    );
}

#[test]
fn a_limited_login_sees_what_a_real_server_shows_it() {
    let mut e = Engine::new(&builtin("legacy-2008r2").unwrap()).unwrap();
    let mut s = session(&e, "limited_auditor");
    // Hashes are NULL without CONTROL SERVER, so PWDCOMPARE cannot tell.
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT COUNT(*) FROM sys.sql_logins WHERE password_hash IS NOT NULL"
        ),
        Value::Int(0)
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT COUNT(*) FROM sys.sql_logins WHERE name = 'app_admin'"
        ),
        Value::Int(1),
        "VIEW ANY DEFINITION shows every login"
    );
    assert_eq!(error(&e.execute(&mut s, "EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer', N'AuditLevel'")).number, 229);
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT COUNT(*) FROM sys.dm_server_services"
        ),
        Value::Int(2),
        "VIEW SERVER STATE"
    );
    // AdventureWorks has no guest and no user for it: 916; SalesDB has guest.
    assert_eq!(
        error(&e.execute(
            &mut s,
            "SELECT name FROM AdventureWorks2008R2.sys.database_principals"
        ))
        .number,
        916
    );
    assert!(matches!(
        e.execute(&mut s, "SELECT name FROM SalesDB.sys.database_principals")[0],
        Outcome::Rows { .. }
    ));
    // Without VIEW SERVER STATE the DMVs are refused with 300.
    let mut e = engine();
    let mut s = session(&e, "o'brien]x");
    assert_eq!(
        error(&e.execute(&mut s, "SELECT * FROM sys.dm_exec_connections")).number,
        300
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT COUNT(*) FROM sys.server_principals WHERE type = 'S'"
        ),
        Value::Int(2),
        "only itself and sa"
    );
    // A statement-level error does not stop the batch.
    let out = e.execute(&mut s, "ALTER LOGIN sa DISABLE; SELECT 1");
    assert_eq!(error(&out).number, 15151);
    assert_eq!(rows(results(&out)[1])[0][0], Value::Int(1));
}

#[test]
fn procedures_read_configuration_and_registry() {
    let mut e = Engine::new(&builtin("legacy-2008r2").unwrap()).unwrap();
    let mut s = session(&e, "autodbaudit");
    let out = e.execute(&mut s, "EXEC sp_configure 'xp_cmdshell'");
    assert_eq!(rows(&out[0])[0][3..], [Value::Int(1), Value::Int(1)]);
    let out = e.execute(&mut s, "DECLARE @level int; EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer', N'AuditLevel', @level OUTPUT; SELECT @level");
    assert_eq!(rows(results(&out)[0])[0][0], Value::Int(2));
    let out = e.execute(&mut s, "EXEC xp_regread 'HKEY_LOCAL_MACHINE', 'SYSTEM\\CurrentControlSet\\Services\\SQLBrowser', 'Start'");
    assert_eq!(rows(&out[0])[0][1], Value::Int(2));
    let out = e.execute(&mut s, "EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer\\SuperSocketNetLib\\Np', N'Enabled'");
    assert_eq!(rows(&out[0])[0][1], Value::Int(1), "Named Pipes on");
    let out = e.execute(&mut s, "EXEC xp_loginconfig 'audit level'");
    assert_eq!(rows(&out[0])[0][1], Value::Text("failure".into()));
    assert_eq!(
        error(&e.execute(&mut s, "EXEC sp_no_such_thing")).number,
        2812
    );
    let out = e.execute(&mut s, "EXEC sp_executesql N'SELECT name FROM sys.databases WHERE database_id = @id', N'@id int', @id = 5");
    assert_eq!(
        rows(&out[0])[0][0],
        Value::Text("AdventureWorks2008R2".into())
    );
}

#[test]
fn every_mutation_changes_what_queries_return() {
    let mut e = Engine::new(&builtin("legacy-2008r2").unwrap()).unwrap();
    let mut s = session(&e, "autodbaudit");
    let check = |e: &mut Engine,
                 s: &mut Session,
                 change: &str,
                 query: &str,
                 before: Value,
                 after: Value| {
        assert_eq!(one(e, s, query), before, "before: {change}");
        let out = e.execute(s, change);
        assert!(
            !out.iter().any(|o| matches!(o, Outcome::Error(_))),
            "{change}: {out:?}"
        );
        assert_eq!(one(e, s, query), after, "after: {change}");
    };
    let t = |s: &str| Value::Text(s.to_owned());
    let i = Value::Int;
    check(
        &mut e,
        &mut s,
        "ALTER LOGIN sa DISABLE",
        "SELECT is_disabled FROM sys.server_principals WHERE principal_id = 1",
        i(0),
        i(1),
    );
    check(
        &mut e,
        &mut s,
        "ALTER LOGIN sa WITH NAME = [x_sa]",
        "SELECT name FROM sys.server_principals WHERE principal_id = 1",
        t("sa"),
        t("x_sa"),
    );
    check(
        &mut e,
        &mut s,
        "ALTER LOGIN app_admin WITH PASSWORD = 'N3w-Str0ng-Pass!', CHECK_POLICY = ON",
        "SELECT CAST(is_policy_checked AS int) * 10 + PWDCOMPARE(name, password_hash) FROM sys.sql_logins WHERE name = 'app_admin'",
        i(1),
        i(10),
    );
    check(
        &mut e,
        &mut s,
        "ALTER LOGIN app_admin WITH CHECK_EXPIRATION = ON",
        "SELECT is_expiration_checked FROM sys.sql_logins WHERE name = 'app_admin'",
        i(0),
        i(1),
    );
    check(
        &mut e,
        &mut s,
        "EXEC sp_dropsrvrolemember 'app_admin', 'sysadmin'",
        "SELECT IS_SRVROLEMEMBER('sysadmin', 'app_admin')",
        i(1),
        i(0),
    );
    check(
        &mut e,
        &mut s,
        "EXEC sp_addsrvrolemember @loginame = 'old_vendor', @rolename = 'securityadmin'",
        "SELECT IS_SRVROLEMEMBER('securityadmin', 'old_vendor')",
        i(0),
        i(1),
    );
    check(
        &mut e,
        &mut s,
        "DROP LOGIN old_vendor",
        "SELECT COUNT(*) FROM sys.server_principals WHERE name = 'old_vendor'",
        i(1),
        i(0),
    );
    check(
        &mut e,
        &mut s,
        "USE SalesDB; DROP USER ghost_user",
        "SELECT COUNT(*) FROM SalesDB.sys.database_principals WHERE name = 'ghost_user'",
        i(1),
        i(0),
    );
    check(
        &mut e,
        &mut s,
        "USE SalesDB; REVOKE CONNECT FROM guest",
        "SELECT COUNT(*) FROM SalesDB.sys.database_permissions WHERE grantee_principal_id = 2 AND permission_name = 'CONNECT'",
        i(1),
        i(0),
    );
    check(
        &mut e,
        &mut s,
        "USE SalesDB; REVOKE GRANT OPTION FOR SELECT ON dbo.Orders FROM report_user CASCADE",
        "SELECT COUNT(*) FROM SalesDB.sys.database_permissions WHERE state = 'W'",
        i(1),
        i(0),
    );
    check(
        &mut e,
        &mut s,
        "USE master; GRANT VIEW SERVER STATE TO report_user",
        "SELECT COUNT(*) FROM sys.server_permissions WHERE permission_name = 'VIEW SERVER STATE' AND grantee_principal_id = (SELECT principal_id FROM sys.server_principals WHERE name = 'report_user')",
        i(0),
        i(1),
    );
    check(
        &mut e,
        &mut s,
        "ALTER DATABASE [SalesDB] SET TRUSTWORTHY OFF",
        "SELECT is_trustworthy_on FROM sys.databases WHERE name = 'SalesDB'",
        i(1),
        i(0),
    );
    check(
        &mut e,
        &mut s,
        "DROP TRIGGER trg_logon_audit ON ALL SERVER",
        "SELECT COUNT(*) FROM sys.server_triggers",
        i(1),
        i(0),
    );
    check(
        &mut e,
        &mut s,
        "EXEC sp_droplinkedsrvlogin 'LEGACY_LINK', NULL",
        "SELECT COUNT(*) FROM sys.linked_logins",
        i(1),
        i(0),
    );
    check(
        &mut e,
        &mut s,
        "EXEC sp_addlinkedsrvlogin N'LEGACY_LINK', N'FALSE', NULL, N'sa', NULL",
        "SELECT COUNT(*) FROM sys.linked_logins WHERE local_principal_id = 0 AND remote_name = N'sa'",
        i(0),
        i(1),
    );
    check(
        &mut e,
        &mut s,
        "EXEC sp_dropserver 'LEGACY_LINK'",
        "SELECT COUNT(*) FROM sys.servers WHERE is_linked = 1",
        i(1),
        i(0),
    );
    check(
        &mut e,
        &mut s,
        "BACKUP DATABASE [SalesDB] TO DISK = N'C:\\Backup\\SalesDB.bak' WITH INIT",
        "SELECT COUNT(*) FROM msdb.dbo.backupset WHERE database_name = 'SalesDB' AND backup_finish_date > DATEADD(hour, -1, GETDATE())",
        i(0),
        i(1),
    );
    check(
        &mut e,
        &mut s,
        "EXEC xp_instance_regwrite N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer', N'AuditLevel', REG_DWORD, 3",
        "EXEC xp_loginconfig 'audit level'",
        t("audit level"),
        t("audit level"),
    );
    assert_eq!(
        rows(&e.execute(&mut s, "EXEC xp_loginconfig 'audit level'")[0])[0][1],
        t("all")
    );
    // sp_configure + RECONFIGURE: dynamic options take effect, static ones wait for a restart.
    let q = "SELECT CAST(value AS int) * 10 + CAST(value_in_use AS int) FROM sys.configurations WHERE name = ";
    e.execute(
        &mut s,
        "EXEC sp_configure 'xp_cmdshell', 0; EXEC sp_configure 'remote access', 0;",
    );
    assert_eq!(
        one(&mut e, &mut s, &format!("{q}'xp_cmdshell'")),
        i(1),
        "pending until RECONFIGURE"
    );
    e.execute(&mut s, "RECONFIGURE WITH OVERRIDE");
    assert_eq!(one(&mut e, &mut s, &format!("{q}'xp_cmdshell'")), i(0));
    assert_eq!(
        one(&mut e, &mut s, &format!("{q}'remote access'")),
        i(1),
        "static: needs a restart"
    );
    e.restart();
    assert_eq!(one(&mut e, &mut s, &format!("{q}'remote access'")), i(0));
    // BACKUP CERTIFICATE records the backup date (2012+ shows it).
    let mut e = Engine::new(&builtin("typical-2019").unwrap()).unwrap();
    let mut s = session(&e, "autodbaudit");
    check(
        &mut e,
        &mut s,
        "USE master; BACKUP CERTIFICATE TDE_Payroll_Cert TO FILE = 'C:\\k\\c.cer' WITH PRIVATE KEY (FILE = 'C:\\k\\c.pvk', ENCRYPTION BY PASSWORD = 'x')",
        "SELECT COUNT(*) FROM master.sys.certificates WHERE pvt_key_last_backup_date IS NOT NULL",
        i(0),
        i(1),
    );
    check(
        &mut e,
        &mut s,
        "ALTER SERVER ROLE sysadmin ADD MEMBER payroll_app",
        "SELECT IS_SRVROLEMEMBER('sysadmin', 'payroll_app')",
        i(0),
        i(1),
    );
    // A transaction rolled back leaves nothing changed.
    check(
        &mut e,
        &mut s,
        "BEGIN TRAN; ALTER LOGIN payroll_app DISABLE; ROLLBACK",
        "SELECT is_disabled FROM sys.server_principals WHERE name = 'payroll_app'",
        i(0),
        i(0),
    );
}

#[test]
fn logins_are_checked_as_a_server_does() {
    let mut e = Engine::new(&builtin("typical-2019").unwrap()).unwrap();
    assert!(
        e.login_sql("autodbaudit", "AutoDBAudit-Demo-1!", 60)
            .is_ok()
    );
    assert_eq!(
        e.login_sql("autodbaudit", "wrong", 60)
            .unwrap_err()
            .error
            .number,
        18456
    );
    assert_eq!(
        e.login_sql("sa", "Xq7!mR2#pL9$vB4w", 60)
            .unwrap_err()
            .error
            .number,
        18470
    );
    // alice comes in through CORP\SQL Admins and is sysadmin by it; bob has no login.
    let mut alice = e.login_windows("CORP\\alice", 61).unwrap();
    assert_eq!(alice.login, "CORP\\alice");
    assert_eq!(
        one(&mut e, &mut alice, "SELECT IS_SRVROLEMEMBER('sysadmin')"),
        Value::Int(1)
    );
    assert_eq!(
        one(&mut e, &mut alice, "SELECT SUSER_SNAME()"),
        Value::Text("CORP\\alice".into())
    );
    assert_eq!(
        e.login_windows("CORP\\bob", 62).unwrap_err().error.number,
        18456
    );
    assert_eq!(
        e.windows_password("corp\\ALICE").as_deref(),
        Some("Alice-Passw0rd!")
    );
}

#[test]
fn syntax_errors_name_the_construct_and_run_nothing() {
    let mut e = engine();
    let mut s = session(&e, "autodbaudit");
    for (sql, number) in [
        // First in a batch, a word that is no keyword names a procedure (EXECUTE may be
        // left out there), so SQL Server looks for a procedure SELEC.
        ("SELEC 1", 2812),
        ("SELECT FROBNICATE(1)", 195),
        ("DELETE FROM sys.databases", 102),
        ("ALTER LOGIN sa DISABLE; SELEC 1", 102),
    ] {
        let out = e.execute(&mut s, sql);
        assert_eq!(error(&out).number, number, "{sql}: {out:?}");
    }
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT is_disabled FROM sys.server_principals WHERE principal_id = 1"
        ),
        Value::Int(0),
        "nothing of a batch with a syntax error runs"
    );
    let out = e.execute(&mut s, "DELETE FROM sys.databases");
    assert!(error(&out).text.contains("does not run DELETE"), "{out:?}");
}

/// A fixture's engine with one more SQL login holding `permissions`.
fn with_login(fixture: &str, login: &str, permissions: &[&str]) -> (Engine, Session) {
    let mut instance = builtin(fixture).unwrap();
    let mut l = Login::new(login, "Reader-Pa55!");
    l.permissions = permissions.iter().map(|p| (*p).to_owned()).collect();
    instance.logins.push(l);
    instance.normalize().unwrap();
    let e = Engine::new(&instance).unwrap();
    let s = session(&e, login);
    (e, s)
}

#[test]
fn server_permissions_exist_from_the_version_that_introduced_them() {
    for (fixture, permission, exists) in [
        ("sql2012", "CONNECT ANY DATABASE", false),
        ("legacy-2008r2", "CONNECT ANY DATABASE", false),
        ("sql2014", "CONNECT ANY DATABASE", true),
        ("typical-2019", "VIEW SERVER SECURITY STATE", false),
        (
            "typical-2019",
            "VIEW ANY CRYPTOGRAPHICALLY SECURED DEFINITION",
            false,
        ),
        ("hardened-2022", "VIEW SERVER SECURITY STATE", true),
        (
            "sql2025",
            "VIEW ANY CRYPTOGRAPHICALLY SECURED DEFINITION",
            true,
        ),
        ("legacy-2008r2", "ALTER ANY SERVER ROLE", false),
        ("sql2012", "ALTER ANY SERVER ROLE", true),
    ] {
        let (mut e, _) = with_login(fixture, "reader", &[]);
        let mut s = session(&e, "autodbaudit");
        let out = e.execute(&mut s, &format!("GRANT {permission} TO [reader]"));
        let errors: Vec<&SqlError> = out
            .iter()
            .filter_map(|o| match o {
                Outcome::Error(e) => Some(e),
                _ => None,
            })
            .collect();
        if exists {
            assert!(errors.is_empty(), "{fixture} {permission}: {errors:?}");
            let login = e.instance();
            let login = login.login("reader").unwrap();
            assert!(login.permissions.contains(&permission.to_owned()));
        } else {
            assert_eq!(errors[0].number, 102, "{fixture} {permission}");
            assert!(errors[0].text.contains(permission), "{}", errors[0].text);
        }
    }
}

#[test]
fn sql_server_2022_splits_server_state_and_password_hashes_have_their_own_permission() {
    // VIEW SERVER SECURITY STATE: the services and TDE DMVs, not the host's.
    let (mut e, mut s) = with_login("hardened-2022", "reader", &["VIEW SERVER SECURITY STATE"]);
    assert!(matches!(
        results(&e.execute(&mut s, "SELECT servicename FROM sys.dm_server_services"))[0],
        Outcome::Rows { .. }
    ));
    assert!(matches!(
        results(&e.execute(&mut s, "SELECT * FROM sys.dm_database_encryption_keys"))[0],
        Outcome::Rows { .. }
    ));
    let refused =
        error(&e.execute(&mut s, "SELECT host_platform FROM sys.dm_os_host_info")).clone();
    assert_eq!(refused.number, 300);
    assert!(
        refused
            .text
            .starts_with("VIEW SERVER PERFORMANCE STATE permission was denied")
    );
    // VIEW SERVER STATE still covers both.
    let (mut e, mut s) = with_login("hardened-2022", "reader", &["VIEW SERVER STATE"]);
    assert_eq!(
        one(&mut e, &mut s, "SELECT COUNT(*) FROM sys.dm_os_host_info"),
        Value::Int(1)
    );
    // 2017 and 2019 grant SELECT on sys.dm_os_host_info to public.
    let (mut e, mut s) = with_login("sql2017", "reader", &[]);
    assert_eq!(
        one(&mut e, &mut s, "SELECT COUNT(*) FROM sys.dm_os_host_info"),
        Value::Int(1)
    );
    assert_eq!(
        error(&e.execute(&mut s, "SELECT * FROM sys.dm_server_services")).number,
        300
    );
    // Hashes: VIEW ANY CRYPTOGRAPHICALLY SECURED DEFINITION from 2022, CONTROL SERVER before.
    let hashes = "SELECT COUNT(*) FROM sys.sql_logins WHERE password_hash IS NOT NULL";
    let (mut e, mut s) = with_login(
        "hardened-2022",
        "reader",
        &[
            "VIEW ANY DEFINITION",
            "VIEW ANY CRYPTOGRAPHICALLY SECURED DEFINITION",
        ],
    );
    assert_ne!(one(&mut e, &mut s, hashes), Value::Int(0));
    assert_ne!(
        one(
            &mut e,
            &mut s,
            "SELECT LOGINPROPERTY(N'autodbaudit', 'PasswordHash')"
        ),
        Value::Null
    );
    let (mut e, mut s) = with_login("typical-2019", "reader", &["VIEW ANY DEFINITION"]);
    assert_eq!(one(&mut e, &mut s, hashes), Value::Int(0));
    let (mut e, mut s) = with_login("typical-2019", "reader", &["CONTROL SERVER"]);
    assert_ne!(one(&mut e, &mut s, hashes), Value::Int(0));
}

#[test]
fn only_sysadmin_reads_the_registry() {
    let read = "DECLARE @v int; EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer', N'AuditLevel', @v OUTPUT; SELECT @v";
    let (mut e, mut s) = with_login("typical-2019", "reader", &["CONTROL SERVER"]);
    assert_eq!(error(&e.execute(&mut s, read)).number, 229);
    let mut s = session(&e, "autodbaudit");
    assert!(matches!(
        results(&e.execute(&mut s, read))[0],
        Outcome::Rows { .. }
    ));
    // EXECUTE on the procedure changes nothing: Microsoft documents no permission for it.
    let out = e.execute(
        &mut s,
        "CREATE USER [reader] FOR LOGIN [reader]; GRANT EXECUTE ON dbo.xp_instance_regread TO [reader]",
    );
    assert!(results(&out).is_empty(), "{out:?}");
    let mut s = session(&e, "reader");
    assert_eq!(error(&e.execute(&mut s, read)).number, 229);
}

#[test]
fn while_loops_break_and_continue() {
    let mut e = engine();
    let mut s = session(&e, "autodbaudit");
    let sum = "DECLARE @i int = 0, @sum int = 0;
        WHILE @i < 10
        BEGIN
            SET @i = @i + 1;
            IF @i = 3 CONTINUE;
            IF @i > 5 BREAK;
            SET @sum = @sum + @i;
        END
        SELECT @sum, @i";
    let out = e.execute(&mut s, sum);
    assert_eq!(
        rows(results(&out)[0])[0],
        [Value::Int(1 + 2 + 4 + 5), Value::Int(6)]
    );
    // Every database by id, as a DBA's script walks them.
    let walk = "DECLARE @id int = 0, @name sysname = N'', @all nvarchar(max) = N'';
        WHILE @name IS NOT NULL
        BEGIN
            SET @name = NULL;
            SELECT TOP (1) @id = database_id, @name = name FROM sys.databases
                WHERE database_id > @id ORDER BY database_id;
            IF @name IS NOT NULL SET @all = @all + @name + N';';
        END
        SELECT @all";
    assert_eq!(
        one(&mut e, &mut s, walk),
        Value::Text("master;tempdb;model;msdb;SalesDB;".into())
    );
    let out = e.execute(&mut s, "SELECT 1; BREAK");
    assert_eq!(error(&out).number, 135);
    assert!(
        results(&out).len() == 1,
        "nothing of the batch runs: {out:?}"
    );
}

#[test]
fn use_inside_sp_executesql_lasts_until_its_end() {
    let mut e = engine();
    let mut s = session(&e, "autodbaudit");
    let out = e.execute(
        &mut s,
        "EXEC sp_executesql N'USE SalesDB; SELECT DB_NAME()'; SELECT DB_NAME()",
    );
    let values: Vec<Value> = results(&out)
        .iter()
        .map(|o| rows(o)[0][0].clone())
        .collect();
    assert_eq!(
        values,
        [Value::Text("SalesDB".into()), Value::Text("master".into())]
    );
    assert_eq!(s.database, "master");
    // An error inside still reaches the caller's CATCH block.
    let out = e.execute(
        &mut s,
        "BEGIN TRY EXEC sp_executesql N'USE SalesDB; SELECT 1/0x'; END TRY \
         BEGIN CATCH SELECT ERROR_NUMBER() END CATCH",
    );
    assert_eq!(s.database, "master");
    assert!(!results(&out).is_empty());
}

#[test]
fn users_and_object_grants_are_made_where_sql_server_allows() {
    let (mut e, _) = with_login("typical-2019", "reader", &[]);
    let mut admin = session(&e, "autodbaudit");
    // Server permissions are granted from master only.
    let out = e.execute(
        &mut admin,
        "USE msdb; GRANT VIEW SERVER STATE TO [reader]; USE master",
    );
    assert_eq!(error(&out).number, 4621);
    // GRANT names an object of the current database only.
    let out = e.execute(&mut admin, "GRANT SELECT ON msdb.dbo.backupset TO [reader]");
    assert_eq!(error(&out).number, 102);
    let out = e.execute(
        &mut admin,
        "USE msdb; CREATE USER [reader] FOR LOGIN [reader]; \
         GRANT SELECT ON OBJECT::dbo.backupset TO [reader]; USE master",
    );
    assert!(
        !out.iter().any(|o| matches!(o, Outcome::Error(_))),
        "{out:?}"
    );
    let msdb = e.instance();
    let msdb = msdb.database("msdb").unwrap();
    assert!(msdb.users.iter().any(|u| u.name == "reader"));
    assert!(msdb.permissions.iter().any(|p| p.grantee == "reader"
        && p.permission == "SELECT"
        && p.on.as_deref() == Some("dbo.backupset")));
    // A login without ALTER ANY USER cannot make users.
    let mut reader = session(&e, "reader");
    let out = e.execute(&mut reader, "USE msdb; CREATE USER [other] WITHOUT LOGIN");
    assert_eq!(error(&out).number, 15247);
}

/// A built-in fixture's engine and a sysadmin session in it.
fn fixture_engine(fixture: &str) -> (Engine, Session) {
    let e = Engine::new(&builtin(fixture).unwrap()).unwrap();
    let s = session(&e, "autodbaudit");
    (e, s)
}

#[test]
fn builtins_exist_from_their_release_and_answer_195_before() {
    // (function call, the first fixture that has it, the fixture of the release before).
    for (sql, from, before) in [
        ("SELECT IIF(1 = 1, 'a', 'b')", "sql2012", "legacy-2008r2"),
        ("SELECT CONCAT('a', 1)", "sql2012", "legacy-2008r2"),
        ("SELECT CHOOSE(2, 'a', 'b')", "sql2012", "legacy-2008r2"),
        ("SELECT TRY_CAST('1' AS int)", "sql2012", "legacy-2008r2"),
        ("SELECT TRY_CONVERT(int, '1')", "sql2012", "legacy-2008r2"),
        ("SELECT EOMONTH('2024-02-10')", "sql2012", "legacy-2008r2"),
        (
            "SELECT DATEFROMPARTS(2024, 2, 29)",
            "sql2012",
            "legacy-2008r2",
        ),
        ("SELECT FORMAT(1234.5, 'N1')", "sql2012", "legacy-2008r2"),
        (
            "SELECT STRING_AGG(name, ',') FROM sys.databases",
            "sql2017",
            "sql2016",
        ),
        ("SELECT CONCAT_WS('-', 'a', 'b')", "sql2017", "sql2016"),
        ("SELECT TRIM('  a  ')", "sql2017", "sql2016"),
        ("SELECT TRANSLATE('abc', 'ab', 'xy')", "sql2017", "sql2016"),
        ("SELECT GREATEST(1, 3, 2)", "hardened-2022", "typical-2019"),
        ("SELECT LEAST(1, 3, 2)", "hardened-2022", "typical-2019"),
    ] {
        let (mut e, mut s) = fixture_engine(from);
        let out = e.execute(&mut s, sql);
        assert!(
            matches!(results(&out)[0], Outcome::Rows { .. }),
            "{sql} on {from}: {out:?}"
        );
        let (mut e, mut s) = fixture_engine(before);
        let out = e.execute(&mut s, sql);
        let err = error(&out);
        assert_eq!((err.number, err.class), (195, 15), "{sql} on {before}");
        assert!(
            err.text
                .ends_with("' is not a recognized built-in function name."),
            "{}",
            err.text
        );
    }
    // SQLite's own functions are no T-SQL built-ins.
    let (mut e, mut s) = fixture_engine("sql2025");
    for sql in [
        "SELECT IFNULL(1, 2)",
        "SELECT substr('abc', 1, 1)",
        "SELECT printf('%d', 1)",
        "SELECT group_concat(name) FROM sys.databases",
        "SELECT length('a')",
        "SELECT __global('SPID')",
    ] {
        let out = e.execute(&mut s, sql);
        assert_eq!(error(&out).number, 195, "{sql}");
    }
    // STRING_SPLIT is an object from 2016; before, 208.
    let (mut e, mut s) = fixture_engine("sql2014");
    let out = e.execute(&mut s, "SELECT value FROM STRING_SPLIT('a,b', ',')");
    assert_eq!(error(&out).number, 208);
    assert_eq!(error(&out).text, "Invalid object name 'STRING_SPLIT'.");
}

#[test]
fn builtins_since_2012_compute_as_documented() {
    let (mut e, mut s) = fixture_engine("hardened-2022");
    for (sql, want) in [
        ("SELECT IIF(1 = 2, 'a', 'b')", Value::Text("b".into())),
        ("SELECT CONCAT('a', NULL, 1)", Value::Text("a1".into())),
        ("SELECT CHOOSE(2, 'a', 'b', 'c')", Value::Text("b".into())),
        ("SELECT CHOOSE(4, 'a', 'b', 'c')", Value::Null),
        (
            "SELECT EOMONTH('2024-02-10')",
            Value::Text("2024-02-29".into()),
        ),
        (
            "SELECT EOMONTH('2024-12-10', 2)",
            Value::Text("2025-02-28".into()),
        ),
        (
            "SELECT DATEFROMPARTS(2024, 2, 29)",
            Value::Text("2024-02-29".into()),
        ),
        (
            "SELECT FORMAT(1234567.891, 'N2')",
            Value::Text("1,234,567.89".into()),
        ),
        ("SELECT FORMAT(7, 'D3')", Value::Text("007".into())),
        (
            "SELECT CONCAT_WS('-', 'a', NULL, 'b')",
            Value::Text("a-b".into()),
        ),
        ("SELECT TRIM('  a  ')", Value::Text("a".into())),
        ("SELECT TRIM('x' FROM 'xxaxx')", Value::Text("a".into())),
        (
            "SELECT TRANSLATE('2*[3+4]', '[]', '()')",
            Value::Text("2*(3+4)".into()),
        ),
        ("SELECT GREATEST(1, NULL, 3, 2)", Value::Int(3)),
        ("SELECT LEAST('b', 'a', NULL)", Value::Text("a".into())),
        ("SELECT TRY_CAST('12' AS int)", Value::Int(12)),
        ("SELECT TRY_CAST('abc' AS int)", Value::Null),
        ("SELECT TRY_CAST('1.5' AS int)", Value::Null),
        ("SELECT TRY_CAST(300 AS tinyint)", Value::Null),
        ("SELECT TRY_CONVERT(int, 'x')", Value::Null),
        ("SELECT TRY_CONVERT(date, 'not a date')", Value::Null),
        (
            "SELECT TRY_CAST('2024-02-29' AS date)",
            Value::Text("2024-02-29".into()),
        ),
        (
            "SELECT STRING_AGG(name, ',') WITHIN GROUP (ORDER BY name DESC) FROM sys.databases WHERE name IN ('master', 'model')",
            Value::Text("model,master".into()),
        ),
    ] {
        assert_eq!(one(&mut e, &mut s, sql), want, "{sql}");
    }
    let created = one(
        &mut e,
        &mut s,
        "SELECT create_date FROM sys.databases WHERE name = 'master'",
    )
    .as_text();
    let (y, m, d, t) = (
        &created[0..4],
        &created[5..7],
        &created[8..10],
        &created[11..19],
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT FORMAT(create_date, 'dd/MM/yyyy HH:mm:ss') FROM sys.databases WHERE name = 'master'"
        ),
        Value::Text(format!("{d}/{m}/{y} {t}"))
    );
    for (sql, number) in [
        ("SELECT DATEFROMPARTS(2023, 2, 29)", 289),
        ("SELECT TRANSLATE('abc', 'ab', 'x')", 9828),
    ] {
        let out = e.execute(&mut s, sql);
        assert_eq!(error(&out).number, number, "{sql}");
    }
}

#[test]
fn metadata_functions_read_the_fixture() {
    let (mut e, mut s) = fixture_engine("legacy-2008r2");
    let text = |v: &str| Value::Text(v.into());
    for (sql, want) in [
        (
            "SELECT PARSENAME('srv.db.[sch.x].[o]]bj]', 1)",
            text("o]bj"),
        ),
        (
            "SELECT PARSENAME('srv.db.[sch.x].[o]]bj]', 2)",
            text("sch.x"),
        ),
        ("SELECT PARSENAME('srv.db.[sch.x].[o]]bj]', 4)", text("srv")),
        ("SELECT PARSENAME('dbo.t', 3)", Value::Null),
        ("SELECT PARSENAME('a.b.c.d.e', 1)", Value::Null),
        ("SELECT PARSENAME('a..c', 2)", Value::Null),
        ("SELECT SCHEMA_NAME(1)", text("dbo")),
        ("SELECT SCHEMA_NAME()", text("dbo")),
        ("SELECT SCHEMA_ID('sys')", Value::Int(4)),
        ("SELECT SCHEMA_ID('nope')", Value::Null),
        ("SELECT OBJECT_ID('nope')", Value::Null),
        ("SELECT USER_NAME(1)", text("dbo")),
        ("SELECT USER_NAME(16390)", text("db_datareader")),
        ("SELECT USER_NAME(999)", Value::Null),
        ("SELECT USER_ID('guest')", Value::Int(2)),
        (
            "SELECT DATABASE_PRINCIPAL_ID('db_owner')",
            Value::Int(16384),
        ),
        ("SELECT DATABASE_PRINCIPAL_ID()", Value::Int(1)),
        ("SELECT OBJECT_ID('SalesDB.dbo.nope')", Value::Null),
    ] {
        assert_eq!(one(&mut e, &mut s, sql), want, "{sql}");
    }
    e.execute(&mut s, "USE SalesDB");
    let id = one(
        &mut e,
        &mut s,
        "SELECT object_id FROM sys.objects WHERE name = 'Orders'",
    );
    assert!(matches!(id, Value::Int(_)), "{id:?}");
    for sql in [
        "SELECT OBJECT_ID('Orders')",
        "SELECT OBJECT_ID('dbo.Orders')",
        "SELECT OBJECT_ID('[dbo].[orders]', 'U')",
        "SELECT OBJECT_ID('SalesDB.dbo.Orders')",
    ] {
        assert_eq!(one(&mut e, &mut s, sql), id, "{sql}");
    }
    assert_eq!(
        one(&mut e, &mut s, "SELECT OBJECT_ID('dbo.Orders', 'V')"),
        Value::Null
    );
    let Value::Int(n) = id else { unreachable!() };
    assert_eq!(
        one(&mut e, &mut s, &format!("SELECT OBJECT_NAME({n})")),
        text("Orders")
    );
    assert_eq!(
        one(&mut e, &mut s, &format!("SELECT OBJECT_SCHEMA_NAME({n})")),
        text("dbo")
    );
    e.execute(&mut s, "USE master");
    assert_eq!(
        one(&mut e, &mut s, &format!("SELECT OBJECT_NAME({n})")),
        Value::Null
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            &format!("SELECT OBJECT_NAME({n}, DB_ID('SalesDB'))")
        ),
        text("Orders")
    );
}

#[test]
fn serverproperty_names_every_documented_property_from_its_release() {
    let (mut e, mut s) = fixture_engine("legacy-2008r2");
    for (property, want) in [
        (
            "Collation",
            Value::Text("SQL_Latin1_General_CP1_CI_AS".into()),
        ),
        ("LCID", Value::Int(1033)),
        ("SqlCharSetName", Value::Text("iso_1".into())),
        ("ProductMajorVersion", Value::Null),
        ("IsHadrEnabled", Value::Null),
        ("IsXTPSupported", Value::Null),
        ("NoSuchProperty", Value::Null),
    ] {
        let sql = format!("SELECT SERVERPROPERTY('{property}')");
        assert_eq!(one(&mut e, &mut s, &sql), want, "{property} on 2008 R2");
    }
    let (mut e, mut s) = fixture_engine("hardened-2022");
    for (property, want) in [
        ("ProductMajorVersion", Value::Text("16".into())),
        ("IsHadrEnabled", Value::Int(0)),
        ("IsXTPSupported", Value::Int(1)),
        ("IsTempDbMetadataMemoryOptimized", Value::Int(0)),
        ("SuspendedDatabaseCount", Value::Int(0)),
    ] {
        let sql = format!("SELECT SERVERPROPERTY('{property}')");
        assert_eq!(one(&mut e, &mut s, &sql), want, "{property} on 2022");
    }
}

#[test]
fn errors_are_worded_as_sql_server_words_them() {
    let (mut e, mut s) = fixture_engine("typical-2019");
    for (sql, number, text) in [
        (
            "SELECT d.nope FROM sys.databases AS d",
            207,
            "Invalid column name 'nope'.",
        ),
        (
            "SELECT nope FROM sys.databases",
            207,
            "Invalid column name 'nope'.",
        ),
        (
            "SELECT x FROM dbo.nope",
            208,
            "Invalid object name 'dbo.nope'.",
        ),
        ("SELECT x FROM nope", 208, "Invalid object name 'nope'."),
        (
            "SELECT @@NO_SUCH_THING",
            137,
            "Must declare the scalar variable \"@@NO_SUCH_THING\".",
        ),
        (
            "SELECT DATEDIFF(day, 1)",
            174,
            "The datediff function requires 3 argument(s).",
        ),
        (
            "SELECT LEN('a', 'b')",
            174,
            "The len function requires 1 argument(s).",
        ),
        (
            "SELECT ISNULL(1)",
            174,
            "The isnull function requires 2 argument(s).",
        ),
        (
            "SELECT CONCAT('a')",
            189,
            "The concat function requires 2 to 254 arguments.",
        ),
        (
            "SELECT OBJECT_ID()",
            189,
            "The object_id function requires 1 to 2 arguments.",
        ),
        (
            "SELECT GETDATE(1)",
            174,
            "The getdate function requires 0 argument(s).",
        ),
        (
            "SELECT name FROM sys.databases AS a JOIN sys.databases AS b ON a.database_id = b.database_id",
            209,
            "Ambiguous column name 'name'.",
        ),
    ] {
        let out = e.execute(&mut s, sql);
        let err = error(&out);
        assert_eq!((err.number, err.text.as_str()), (number, text), "{sql}");
    }
}

#[test]
fn physical_memory_in_bytes_is_2008_r2_only() {
    let (mut e, mut s) = fixture_engine("legacy-2008r2");
    let out = e.execute(
        &mut s,
        "SELECT physical_memory_in_bytes FROM sys.dm_os_sys_info",
    );
    assert!(matches!(results(&out)[0], Outcome::Rows { .. }), "{out:?}");
    let out = e.execute(&mut s, "SELECT physical_memory_kb FROM sys.dm_os_sys_info");
    assert_eq!(error(&out).number, 207);
    let (mut e, mut s) = fixture_engine("sql2012");
    let out = e.execute(
        &mut s,
        "SELECT physical_memory_in_bytes FROM sys.dm_os_sys_info",
    );
    let err = error(&out);
    assert_eq!(
        (err.number, err.text.as_str()),
        (207, "Invalid column name 'physical_memory_in_bytes'.")
    );
    let out = e.execute(&mut s, "SELECT physical_memory_kb FROM sys.dm_os_sys_info");
    assert!(matches!(results(&out)[0], Outcome::Rows { .. }), "{out:?}");
}

#[test]
fn string_split_is_a_table_from_2016_with_ordinal_from_2022() {
    let (mut e, mut s) = fixture_engine("sql2016");
    let out = e.execute(
        &mut s,
        "SELECT value FROM STRING_SPLIT('a,b,,c', ',') ORDER BY value",
    );
    assert_eq!(
        rows(results(&out)[0]),
        &vec![
            vec![Value::Text(String::new())],
            vec![Value::Text("a".into())],
            vec![Value::Text("b".into())],
            vec![Value::Text("c".into())],
        ]
    );
    let out = e.execute(&mut s, "SELECT * FROM STRING_SPLIT('a,b', ',', 1)");
    assert_eq!(error(&out).number, 8144);
    let out = e.execute(&mut s, "SELECT * FROM STRING_SPLIT('a,b', ',,')");
    assert_eq!(error(&out).number, 214);
    let (mut e, mut s) = fixture_engine("hardened-2022");
    let out = e.execute(
        &mut s,
        "SELECT s.value, s.ordinal FROM STRING_SPLIT(N'x y', ' ', 1) AS s ORDER BY s.ordinal DESC",
    );
    assert_eq!(
        rows(results(&out)[0]),
        &vec![
            vec![Value::Text("y".into()), Value::Int(2)],
            vec![Value::Text("x".into()), Value::Int(1)],
        ]
    );
}

#[test]
fn has_perms_by_name_on_objects_and_schemas() {
    // legacy-2008r2: SalesDB grants SELECT on dbo.Orders to report_user (db_datareader too).
    let mut instance = builtin("legacy-2008r2").unwrap();
    let mut l = Login::new("plain", "Plain-Pa55!");
    l.permissions = vec![];
    instance.logins.push(l);
    let db = instance
        .databases
        .iter_mut()
        .find(|d| d.name == "SalesDB")
        .unwrap();
    db.users.push(crate::instance::User {
        name: "plain".into(),
        login: Some("plain".into()),
        ..db.users[0].clone()
    });
    let user = db.users.last_mut().unwrap();
    (user.roles, user.principal_id, user.sid, user.orphaned) = (vec![], 0, vec![], false);
    instance.normalize().unwrap();
    let mut e = Engine::new(&instance).unwrap();
    let mut s = session(&e, "plain");
    e.execute(&mut s, "USE SalesDB");
    for (sql, want) in [
        // Customers is granted to guest only, which a login with a user of its own never
        // is; Orders is granted to public, of which every user is a member.
        (
            "SELECT HAS_PERMS_BY_NAME('dbo.Customers', 'OBJECT', 'SELECT')",
            Value::Int(0),
        ),
        (
            "SELECT HAS_PERMS_BY_NAME('dbo.Orders', 'OBJECT', 'SELECT')",
            Value::Int(1),
        ),
        (
            "SELECT HAS_PERMS_BY_NAME('dbo.NoSuch', 'OBJECT', 'SELECT')",
            Value::Null,
        ),
        (
            "SELECT HAS_PERMS_BY_NAME('dbo', 'SCHEMA', 'SELECT')",
            Value::Int(0),
        ),
    ] {
        assert_eq!(one(&mut e, &mut s, sql), want, "{sql} as plain");
    }
    let mut a = session(&e, "autodbaudit");
    e.execute(&mut a, "USE SalesDB");
    assert_eq!(
        one(
            &mut e,
            &mut a,
            "SELECT HAS_PERMS_BY_NAME('Orders', 'OBJECT', 'DELETE')"
        ),
        Value::Int(1)
    );
    e.execute(&mut a, "GRANT SELECT ON dbo.Orders TO plain");
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT HAS_PERMS_BY_NAME('SalesDB.dbo.Orders', 'OBJECT', 'SELECT')"
        ),
        Value::Int(1)
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT HAS_PERMS_BY_NAME('dbo.Orders', 'OBJECT', 'DELETE')"
        ),
        Value::Int(0)
    );
}

#[test]
fn json_functions_from_2016() {
    let (mut e, mut s) = fixture_engine("sql2016");
    let doc = r#"{"a": {"b": [10, "x", {"c": true}]}, "s": "str", "n": null}"#;
    let text = |v: &str| Value::Text(v.into());
    for (call, want) in [
        ("ISJSON(@d)", Value::Int(1)),
        ("ISJSON('1')", Value::Int(0)),
        ("ISJSON('{')", Value::Int(0)),
        ("JSON_VALUE(@d, '$.s')", text("str")),
        ("JSON_VALUE(@d, '$.a.b[0]')", text("10")),
        ("JSON_VALUE(@d, 'lax $.a.b[2].c')", text("true")),
        ("JSON_VALUE(@d, '$.a')", Value::Null),
        ("JSON_VALUE(@d, '$.nothing')", Value::Null),
        ("JSON_VALUE(@d, '$.n')", Value::Null),
        ("JSON_QUERY(@d, '$.a.b')", text(r#"[10,"x",{"c":true}]"#)),
        ("JSON_QUERY(@d, '$.s')", Value::Null),
    ] {
        let sql = format!("DECLARE @d nvarchar(max) = N'{doc}'; SELECT {call}");
        assert_eq!(one(&mut e, &mut s, &sql), want, "{call}");
    }
    for (call, number) in [
        ("JSON_VALUE(@d, 'strict $.nothing')", 13608),
        ("JSON_VALUE(@d, 'strict $.a')", 13623),
        ("JSON_QUERY(@d, 'strict $.s')", 13624),
        ("JSON_VALUE(@d, 'a.b')", 13607),
        ("JSON_VALUE('{x', '$.a')", 13609),
    ] {
        let sql = format!("DECLARE @d nvarchar(max) = N'{doc}'; SELECT {call}");
        let out = e.execute(&mut s, &sql);
        assert_eq!(error(&out).number, number, "{call}");
    }
    let (mut e, mut s) = fixture_engine("sql2014");
    let out = e.execute(&mut s, "SELECT ISJSON('{}')");
    assert_eq!(error(&out).number, 195);
}

#[test]
fn date_parts_and_truncation() {
    let (mut e, mut s) = fixture_engine("hardened-2022");
    let at = "'2024-03-05 14:07:09'";
    let text = |v: &str| Value::Text(v.into());
    for (call, want) in [
        ("DATEPART(year, @t)", Value::Int(2024)),
        ("DATEPART(quarter, @t)", Value::Int(1)),
        ("DATEPART(dayofyear, @t)", Value::Int(65)),
        ("DATEPART(weekday, @t)", Value::Int(3)),
        ("DATEPART(week, @t)", Value::Int(10)),
        ("DATEPART(iso_week, @t)", Value::Int(10)),
        ("DATEPART(hh, @t)", Value::Int(14)),
        ("DATENAME(month, @t)", text("March")),
        ("DATENAME(weekday, @t)", text("Tuesday")),
        ("DATENAME(day, @t)", text("5")),
        (
            "DATEDIFF_BIG(second, '2024-01-01', '2024-01-02')",
            Value::Int(86400),
        ),
        ("DATETRUNC(month, @t)", text("2024-03-01 00:00:00.000")),
        ("DATETRUNC(quarter, @t)", text("2024-01-01 00:00:00.000")),
        ("DATETRUNC(week, @t)", text("2024-03-03 00:00:00.000")),
        ("DATETRUNC(hour, @t)", text("2024-03-05 14:00:00.000")),
    ] {
        let sql = format!("DECLARE @t datetime = {at}; SELECT {call}");
        assert_eq!(one(&mut e, &mut s, &sql), want, "{call}");
    }
    let out = e.execute(&mut s, "SELECT DATEPART(fortnight, GETDATE())");
    assert_eq!(error(&out).number, 155);
    let (mut e, mut s) = fixture_engine("typical-2019");
    let out = e.execute(&mut s, "SELECT DATETRUNC(month, GETDATE())");
    assert_eq!(error(&out).number, 195);
}

#[test]
fn from_parts_functions_from_2012() {
    let (mut e, mut s) = fixture_engine("sql2012");
    let text = |v: &str| Value::Text(v.into());
    for (sql, want) in [
        (
            "SELECT DATETIMEFROMPARTS(2010, 12, 31, 23, 59, 59, 0)",
            text("2010-12-31 23:59:59.000"),
        ),
        (
            "SELECT SMALLDATETIMEFROMPARTS(2010, 12, 31, 23, 59)",
            text("2010-12-31 23:59:00"),
        ),
        (
            "SELECT DATETIME2FROMPARTS(2011, 8, 15, 14, 23, 44, 5, 1)",
            text("2011-08-15 14:23:44.5"),
        ),
        (
            "SELECT TIMEFROMPARTS(14, 23, 44, 50, 2)",
            text("14:23:44.50"),
        ),
        (
            "SELECT DATETIMEOFFSETFROMPARTS(2011, 8, 15, 14, 30, 0, 5, 12, 30, 1)",
            text("2011-08-15 14:30:00.5 +12:30"),
        ),
        (
            "SELECT DATETIMEFROMPARTS(2010, 12, 31, NULL, 59, 59, 0)",
            Value::Null,
        ),
    ] {
        assert_eq!(one(&mut e, &mut s, sql), want, "{sql}");
    }
    let out = e.execute(&mut s, "SELECT DATETIMEFROMPARTS(2010, 2, 30, 0, 0, 0, 0)");
    assert_eq!(
        error(&out).text,
        "Cannot construct data type datetime, some of the arguments have values which are not valid."
    );
    // SESSION_CONTEXT came with 2016.
    let out = e.execute(&mut s, "SELECT SESSION_CONTEXT(N'user_id')");
    assert_eq!(error(&out).number, 195);
    let (mut e, mut s) = fixture_engine("sql2016");
    assert_eq!(
        one(&mut e, &mut s, "SELECT SESSION_CONTEXT(N'user_id')"),
        Value::Null
    );
}

#[test]
fn everyday_builtins() {
    let (mut e, mut s) = fixture_engine("legacy-2008r2");
    let text = |v: &str| Value::Text(v.into());
    for (call, want) in [
        ("LEFT('abc', 2)", text("ab")),
        ("RIGHT('abc', 2)", text("bc")),
        ("REPLICATE('ab', 3)", text("ababab")),
        ("SPACE(2)", text("  ")),
        ("STUFF('abcdef', 2, 3, 'ijklmn')", text("aijklmnef")),
        ("REVERSE('abc')", text("cba")),
        ("PATINDEX('%ter%', 'interesting data')", Value::Int(3)),
        ("PATINDEX('%[0-9]%', 'abc7')", Value::Int(4)),
        ("PATINDEX('x%', 'abc')", Value::Int(0)),
        ("DATALENGTH(N'abc')", Value::Int(6)),
        ("STR(123.45, 6, 1)", text(" 123.5")),
        ("NCHAR(65)", text("A")),
        ("ASCII('A')", Value::Int(65)),
        ("CEILING(-1.5)", Value::Float(-1.0)),
        ("FLOOR(7)", Value::Int(7)),
        ("POWER(2, 10)", Value::Int(1024)),
        ("SQRT(16)", Value::Float(4.0)),
        ("ISNUMERIC('12.5')", Value::Int(1)),
        ("ISNUMERIC('abc')", Value::Int(0)),
        ("ISDATE('2024-02-30')", Value::Int(0)),
        ("LEN(NEWID())", Value::Int(36)),
        ("XACT_STATE()", Value::Int(0)),
        ("IS_ROLEMEMBER('db_owner')", Value::Int(1)),
        ("IS_ROLEMEMBER('no_such_role')", Value::Null),
        ("DATABASEPROPERTYEX('SalesDB', 'Recovery')", text("FULL")),
        ("DATABASEPROPERTYEX('SalesDB', 'Status')", text("ONLINE")),
        ("TYPE_NAME(56)", text("int")),
        ("TYPE_ID('nvarchar')", Value::Int(231)),
        ("SYSTEM_USER", text("autodbaudit")),
        (
            "FORMATMESSAGE('Login %s has %d roles (100%%), %5d.', 'x', 3, 7)",
            text("Login x has 3 roles (100%), 7."),
        ),
        ("SCOPE_IDENTITY()", Value::Null),
        (
            "OBJECTPROPERTY(OBJECT_ID('SalesDB.dbo.Orders'), 'IsUserTable')",
            Value::Null,
        ),
        ("CURRENT_USER", text("dbo")),
    ] {
        let sql = format!("SELECT {call}");
        assert_eq!(one(&mut e, &mut s, &sql), want, "{call}");
    }
    e.execute(&mut s, "USE SalesDB");
    for (call, want) in [
        (
            "OBJECTPROPERTY(OBJECT_ID('dbo.Orders'), 'IsUserTable')",
            Value::Int(1),
        ),
        (
            "OBJECTPROPERTY(OBJECT_ID('dbo.Orders'), 'IsView')",
            Value::Int(0),
        ),
        (
            "OBJECTPROPERTY(OBJECT_ID('dbo.Orders'), 'SchemaId')",
            Value::Int(1),
        ),
        (
            "OBJECTPROPERTY(OBJECT_ID('dbo.Orders'), 'NoSuch')",
            Value::Null,
        ),
    ] {
        let sql = format!("SELECT {call}");
        assert_eq!(one(&mut e, &mut s, &sql), want, "{call}");
    }
}

#[test]
fn configuration_options_exist_on_their_versions_only() {
    let count = |fixture: &str, name: &str| {
        let mut e = Engine::new(&builtin(fixture).unwrap()).unwrap();
        let mut s = session(&e, "autodbaudit");
        one(
            &mut e,
            &mut s,
            &format!("SELECT COUNT(*) FROM sys.configurations WHERE name = N'{name}'"),
        )
    };
    // SQL Mail XPs: 2005–2008 R2 only (SQL Mail was removed in 2012).
    assert_eq!(count("legacy-2008r2", "SQL Mail XPs"), Value::Int(1));
    assert_eq!(count("sql2012", "SQL Mail XPs"), Value::Int(0));
    // The PolyBase and Stretch options: 2016 and later.
    for name in [
        "polybase network encryption",
        "allow polybase export",
        "remote data archive",
    ] {
        assert_eq!(count("sql2014", name), Value::Int(0), "{name}");
        assert_eq!(count("sql2016", name), Value::Int(1), "{name}");
        assert_eq!(count("hardened-2022", name), Value::Int(1), "{name}");
    }
    let mut e = Engine::new(&builtin("hardened-2022").unwrap()).unwrap();
    let mut s = session(&e, "autodbaudit");
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT CAST(value_in_use AS int) FROM sys.configurations WHERE name = N'polybase network encryption'"
        ),
        Value::Int(1)
    );
    // Every id is listed once.
    let mut ids: Vec<i64> = catalog::CONFIGURATIONS.iter().map(|o| o.0).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), catalog::CONFIGURATIONS.len());
}

#[test]
fn cast_to_datetime_parses_the_date() {
    // LOGINPROPERTY's PasswordLastSetTime is a datetime in a sql_variant: the collector casts it
    // back to datetime to format it with style 121.
    let (mut e, mut s) = with_login("hardened-2022", "reader", &["VIEW ANY DEFINITION"]);
    let set = one(
        &mut e,
        &mut s,
        "SELECT CONVERT(nvarchar(23), CAST(LOGINPROPERTY(N'autodbaudit', 'PasswordLastSetTime') AS datetime), 121)",
    );
    let Value::Text(set) = set else {
        panic!("{set:?}")
    };
    assert_eq!(
        (set.len(), &set[4..5], &set[10..11]),
        (23, "-", " "),
        "{set}"
    );
    assert_eq!(
        one(&mut e, &mut s, "SELECT CAST('2024-02-29 10:11:12' AS date)"),
        Value::Text("2024-02-29".into())
    );
}

/// Server audits, their status, Agent jobs and containment, as the docs describe them:
/// sys.server_audits only for VIEW ANY DEFINITION / ALTER ANY SERVER AUDIT, a file audit's
/// storage in sys.server_file_audits, an enabled audit's state in sys.dm_server_audit_status,
/// start-up schedules as freq_type 64, a partially contained database as PARTIAL.
#[test]
fn audits_agent_jobs_and_containment() {
    let mut instance = builtin("typical-2019").unwrap();
    instance.audits[0].failed = true;
    instance.logins.push(Login::new("nobody", "pw"));
    instance.normalize().unwrap();
    let mut e = Engine::new(&instance).unwrap();
    let mut s = session(&e, "autodbaudit");
    let out = e.execute(
        &mut s,
        "SELECT a.name, a.on_failure_desc, a.predicate, f.max_file_size, f.max_rollover_files, f.max_files
         FROM sys.server_audits AS a JOIN sys.server_file_audits AS f ON f.audit_id = a.audit_id",
    );
    assert_eq!(
        rows(&out[0])[0],
        vec![
            Value::Text("Compliance_Audit".into()),
            Value::Text("CONTINUE".into()),
            Value::Text("([server_principal_name]<>'CORP\\svc_reporting')".into()),
            Value::Int(512),
            Value::Int(10),
            Value::Int(0),
        ]
    );
    // 2019: the current page's codes (2 = RUNTIME_FAIL).
    let out = e.execute(
        &mut s,
        "SELECT status, status_desc FROM sys.dm_server_audit_status",
    );
    assert_eq!(
        rows(&out[0])[0],
        vec![Value::Int(2), Value::Text("RUNTIME_FAIL".into())]
    );
    let out = e.execute(
        &mut s,
        "SELECT j.name, SUSER_SNAME(j.owner_sid) FROM msdb.dbo.sysjobs AS j
         JOIN msdb.dbo.sysjobschedules AS js ON js.job_id = j.job_id
         JOIN msdb.dbo.sysschedules AS sc ON sc.schedule_id = js.schedule_id
         WHERE sc.freq_type = 64",
    );
    assert_eq!(
        rows(&out[0])[0],
        vec![
            Value::Text("Warm Payroll cache".into()),
            Value::Text("sa".into())
        ]
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT containment_desc FROM sys.databases WHERE name = 'Inventory'"
        ),
        Value::Text("PARTIAL".into())
    );
    // Without VIEW ANY DEFINITION (or ALTER ANY SERVER AUDIT) the audits are not listed.
    let mut nobody = session(&e, "nobody");
    assert_eq!(
        one(
            &mut e,
            &mut nobody,
            "SELECT COUNT(*) FROM sys.server_audits"
        ),
        Value::Int(0)
    );
    // 2022: the hardened fixture's audit is STARTED.
    let mut e = Engine::new(&builtin("hardened-2022").unwrap()).unwrap();
    let mut s = session(&e, "autodbaudit");
    let out = e.execute(
        &mut s,
        "SELECT name, status_desc FROM sys.dm_server_audit_status",
    );
    assert_eq!(
        rows(&out[0]).first().cloned(),
        Some(vec![
            Value::Text("LoginAudit".into()),
            Value::Text("STARTED".into())
        ]),
        "{out:?}"
    );
    // 2008 R2: no audit; the old status codes would be 0 STARTED / 1 FAILED.
    let mut legacy = builtin("legacy-2008r2").unwrap();
    legacy.audits.push(crate::instance::ServerAudit {
        name: "Old".into(),
        destination: "FILE".into(),
        enabled: true,
        specification: None,
        on_failure: "CONTINUE".into(),
        predicate: None,
        failed: true,
        max_size_mb: 0,
        max_rollover_files: 2_147_483_647,
        max_files: 0,
    });
    legacy.normalize().unwrap();
    let mut e = Engine::new(&legacy).unwrap();
    let mut s = session(&e, "autodbaudit");
    let out = e.execute(
        &mut s,
        "SELECT status, status_desc FROM sys.dm_server_audit_status",
    );
    assert_eq!(
        rows(&out[0])[0],
        vec![Value::Int(1), Value::Text("FAILED".into())]
    );
}

#[test]
fn endpoints_extended_procedures_credentials_and_startup_procedures_follow_the_fixture() {
    let mut e = Engine::new(&builtin("legacy-2008r2").unwrap()).unwrap();
    let mut s = session(&e, "autodbaudit");
    // SUSER_NAME takes a principal_id (int), SUSER_SNAME a SID.
    assert_eq!(
        one(&mut e, &mut s, "SELECT SUSER_NAME(1)"),
        Value::Text("sa".into())
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT m.encryption_algorithm_desc + N'/' + SUSER_NAME(e.principal_id) FROM sys.endpoints AS e
             JOIN sys.database_mirroring_endpoints AS m ON m.endpoint_id = e.endpoint_id"
        ),
        Value::Text("RC4/app_admin".into())
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT state_desc FROM sys.service_broker_endpoints WHERE endpoint_id >= 65536"
        ),
        Value::Text("STOPPED".into())
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT COUNT(*) FROM master.sys.all_objects WHERE type = 'X' AND is_ms_shipped = 1"
        ),
        Value::Int(28)
    );
    // Setup's grants to public on the procedures documented for public, and no other.
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT COUNT(*) FROM master.sys.database_permissions AS p
             JOIN master.sys.all_objects AS o ON o.object_id = p.major_id
             WHERE p.class = 1 AND p.grantee_principal_id = 0 AND o.type = 'X'
               AND o.name IN (N'xp_msver', N'xp_sprintf', N'xp_sscanf')"
        ),
        Value::Int(3)
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT dll_name FROM master.sys.extended_procedures WHERE is_ms_shipped = 0"
        ),
        Value::Text("C:\\Program Files\\Vendor\\xpcrypt.dll".into())
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT COUNT(*) FROM master.sys.database_permissions AS p
             JOIN master.sys.all_objects AS o ON o.object_id = p.major_id
             WHERE p.class = 1 AND o.name = N'xp_cmdshell' AND p.grantee_principal_id = 0"
        ),
        Value::Int(1)
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT name FROM master.sys.procedures WHERE is_auto_executed = 1"
        ),
        Value::Text("sp_vendor_agent_start".into())
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT credential_identity FROM sys.credentials"
        ),
        Value::Text("LEGACYSQL01\\cmdshell_proxy".into())
    );
    // Without VIEW ANY DEFINITION none of them is visible.
    let (mut e, mut s) = with_login("legacy-2008r2", "reader", &[]);
    for sql in [
        "SELECT COUNT(*) FROM sys.credentials",
        "SELECT COUNT(*) FROM sys.endpoints WHERE endpoint_id >= 65536",
        "SELECT COUNT(*) FROM master.sys.procedures WHERE is_auto_executed = 1",
    ] {
        assert_eq!(one(&mut e, &mut s, sql), Value::Int(0), "{sql}");
    }
}

#[test]
fn agent_proxies_follow_the_fixture_and_admit_sysadmin_only() {
    let mut e = Engine::new(&builtin("legacy-2008r2").unwrap()).unwrap();
    let mut s = session(&e, "autodbaudit");
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT p.name + N'/' + c.credential_identity FROM msdb.dbo.sysproxies AS p
             JOIN sys.credentials AS c ON c.credential_id = p.credential_id"
        ),
        Value::Text("ETL CmdExec/LEGACYSQL01\\etl_batch".into())
    );
    // Subsystem ids of sp_grant_proxy_to_subsystem: 2 ActiveScripting, 3 CmdExec.
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT SUM(subsystem_id) FROM msdb.dbo.sysproxysubsystem"
        ),
        Value::Int(5)
    );
    // flags 2: an msdb role, by its SID (as CIS 3.11's audit query joins) and principal_id.
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT dp.name FROM msdb.dbo.sysproxylogin AS pl
             JOIN msdb.sys.database_principals AS dp ON dp.sid = pl.sid AND dp.type = 'R'
               AND dp.principal_id = pl.principal_id
             WHERE pl.flags = 2"
        ),
        Value::Text("public".into())
    );
    // "Only members of the sysadmin fixed server role can access this table."
    let (mut e, mut s) = with_login("legacy-2008r2", "reader", &["VIEW ANY DEFINITION"]);
    for table in ["sysproxies", "sysproxylogin", "sysproxysubsystem"] {
        let sql = format!("SELECT COUNT(*) FROM msdb.dbo.{table}");
        assert_eq!(error(&e.execute(&mut s, &sql)).number, 229, "{table}");
    }
}

#[test]
fn cryptographic_providers_follow_the_fixture_and_metadata_visibility() {
    let mut e = Engine::new(&builtin("typical-2019").unwrap()).unwrap();
    let mut s = session(&e, "autodbaudit");
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT name + N'/' + version FROM sys.cryptographic_providers WHERE is_enabled = 1"
        ),
        Value::Text("AzureKeyVault_EKM/15.0.2000.440".into())
    );
    let (mut e, mut s) = with_login("typical-2019", "reader", &[]);
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT COUNT(*) FROM sys.cryptographic_providers"
        ),
        Value::Int(0)
    );
}

#[test]
fn the_encryption_certificate_is_a_registry_value_empty_by_default() {
    let read = "DECLARE @c nvarchar(128); EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\\Microsoft\\MSSQLServer\\MSSQLServer\\SuperSocketNetLib', N'Certificate', @c OUTPUT; SELECT @c";
    for (fixture, expected) in [
        ("hardened-2022", "7d3f1a9c2b4e6f8091a2b3c4d5e6f7a8b9c0d1e2"),
        ("typical-2019", ""),
    ] {
        let mut e = Engine::new(&builtin(fixture).unwrap()).unwrap();
        let mut s = session(&e, "autodbaudit");
        assert_eq!(
            one(&mut e, &mut s, read),
            Value::Text(expected.into()),
            "{fixture}"
        );
    }
    // The documented view gives a login with VIEW SERVER STATE the same value.
    let (mut e, mut s) = with_login("hardened-2022", "reader", &["VIEW SERVER STATE"]);
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT CAST(value_data AS nvarchar(4000)) FROM sys.dm_server_registry WHERE value_name = N'Certificate'"
        ),
        Value::Text("7d3f1a9c2b4e6f8091a2b3c4d5e6f7a8b9c0d1e2".into())
    );
}

#[test]
fn sp_validatelogins_lists_deleted_windows_accounts_to_sysadmin_and_securityadmin() {
    let mut e = Engine::new(&builtin("legacy-2008r2").unwrap()).unwrap();
    let mut s = session(&e, "autodbaudit");
    let read = "CREATE TABLE #v (sid varbinary(85), nt_login sysname);
        INSERT INTO #v EXEC sp_validatelogins;
        SELECT nt_login FROM #v";
    assert_eq!(
        one(&mut e, &mut s, read),
        Value::Text("LEGACYSQL01\\contractor".into())
    );
    // "Requires membership in the sysadmin or securityadmin fixed server role."
    let (mut e, mut s) = with_login("legacy-2008r2", "reader", &["VIEW ANY DEFINITION"]);
    assert_eq!(
        error(&e.execute(&mut s, "EXEC sp_validatelogins")).number,
        15247
    );
    let mut instance = builtin("legacy-2008r2").unwrap();
    let mut l = Login::new("secadmin", "Reader-Pa55!");
    l.roles.push("securityadmin".into());
    instance.logins.push(l);
    instance.normalize().unwrap();
    let mut e = Engine::new(&instance).unwrap();
    let mut s = session(&e, "secadmin");
    assert_eq!(
        one(&mut e, &mut s, "SELECT COUNT(*) FROM (SELECT 1 AS x) AS t"),
        Value::Int(1)
    );
    assert!(
        e.execute(&mut s, "EXEC sp_validatelogins")
            .iter()
            .all(|o| !matches!(o, Outcome::Error(_)))
    );
}

/// The privilege-graph facts of `escalation-2019` (X56): sys.sql_modules with
/// execute_as_principal_id -2 for EXECUTE AS OWNER (learn.microsoft.com: sys.sql_modules),
/// IMPERSONATE ON USER:: as class 4 with the user's principal_id, CONTROL ON LOGIN:: and ALTER ON
/// SERVER ROLE:: as class 101 with the principal's id, and a DENY beside a GRANT on one login
/// (learn.microsoft.com: sys.database_permissions, sys.server_permissions).
#[test]
fn privilege_graph_facts_follow_the_catalog() {
    let mut e = Engine::new(&builtin("escalation-2019").unwrap()).unwrap();
    let mut s = session(&e, "autodbaudit");
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT m.execute_as_principal_id FROM ReportsDB.sys.sql_modules AS m \
             JOIN ReportsDB.sys.objects AS o ON o.object_id = m.object_id WHERE o.name = N'usp_refresh'"
        ),
        Value::Int(-2)
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT t.name FROM ReportsDB.sys.database_permissions AS p \
             JOIN ReportsDB.sys.database_principals AS t ON t.principal_id = p.major_id \
             WHERE p.class = 4 AND p.permission_name = N'IMPERSONATE'"
        ),
        Value::Text("rpt_dev".into())
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT t.name FROM sys.server_permissions AS p \
             JOIN sys.server_principals AS g ON g.principal_id = p.grantee_principal_id \
             JOIN sys.server_principals AS t ON t.principal_id = p.major_id \
             WHERE p.class = 101 AND g.name = N'role_manager' AND p.permission_name = N'ALTER'"
        ),
        Value::Text("app_admins".into())
    );
    assert_eq!(
        one(
            &mut e,
            &mut s,
            "SELECT COUNT(*) FROM sys.server_permissions AS p \
             JOIN sys.server_principals AS g ON g.principal_id = p.grantee_principal_id \
             WHERE p.class = 101 AND g.name = N'deny_user' AND p.state = 'D' AND p.permission_name = N'IMPERSONATE'"
        ),
        Value::Int(1)
    );
}
