//! `autodbaudit demo`: the whole audit against simulated SQL Servers, with nothing to set up.
//!
//! The built-in simulated instances (SQL Server 2008 R2 to 2025, from badly to well configured)
//! start in this process on free loopback ports; a demo workspace is created (or refreshed)
//! with a config pointing at them; the audit runs exactly as against real servers (the same
//! [`audit_lifecycle::audit::run`], printed the same way). No network beyond loopback.

use std::fs;
use std::path::Path;

use audit_config::templates;
use audit_lifecycle::audit::{self, Mode, Outputs, Request};
use audit_lifecycle::workspace::{self, Workspace};
use mssql_sim::fixtures;

use crate::cli::DemoArgs;
use crate::commands::init::write_atomically;
use crate::console::{self, Console};
use crate::exit::{CliError, CmdResult};
use crate::ui;

/// Marks a folder as the demo's own, so that the demo never rewrites a real workspace's
/// config.
const MARKER: &str = ".autodbaudit-demo";

/// Runs the demo.
pub fn run(args: &DemoArgs) -> CmdResult {
    let dir = args.dir.as_path();
    check_folder(dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::internal(format!("cannot start the simulated servers: {e}")))?;
    let servers = runtime.block_on(async {
        let mut servers = Vec::new();
        for name in fixtures::BUILTIN {
            let instance = fixtures::builtin(name).expect("built-in fixtures load");
            let server = mssql_sim::start(instance, "127.0.0.1:0".parse().expect("address"))
                .await
                .map_err(|e| {
                    CliError::internal(format!("cannot start the simulated {name}: {e}"))
                })?;
            servers.push((name, server));
        }
        Ok::<_, CliError>(servers)
    })?;
    let targets: Vec<String> = servers
        .iter()
        .map(|(name, server)| {
            format!(
                "    {{ \"id\": \"{name}\", \"server\": \"127.0.0.1\", \"port\": {}, \"auth\": \"sql\",\n      \"username\": \"autodbaudit\", \"credential\": \"env:AUTODBAUDIT_DEMO_PASSWORD\",\n      \"trust_server_certificate\": true, \"tags\": [\"demo\"] }}",
                server.addr.port()
            )
        })
        .collect();
    let config = format!(
        "// Written by `autodbaudit demo`: the simulated SQL Servers it started on this machine's\n// loopback ports (different at every run). The demo supplies their password itself.\n{{\n  \"targets\": [\n{}\n  ]\n}}\n",
        targets.join(",\n")
    );
    // Every change to the workspace under its lock, like any command that changes one; the
    // lock is let go just before the audit, which takes it again itself.
    let lock = prepare(dir)?;
    let path = dir.join("config").join("sql_targets.jsonc");
    write_atomically(&path, config.as_bytes())
        .map_err(|e| CliError::internal(format!("{}: {e}", path.display())))?;
    drop(lock);
    ui::note(&format!(
        "demo: {} simulated SQL Servers started on 127.0.0.1 (SQL Server 2008 R2 to 2025); auditing them in {}",
        servers.len(),
        dir.display()
    ));
    let result = run_audit(dir);
    drop(servers);
    drop(runtime);
    if result.is_ok() {
        ui::note(
            "demo: done; run `autodbaudit demo` again for a fresh run (the simulated servers stop with it)",
        );
    }
    result
}

/// Audits the demo workspace exactly as `audit` would, with the simulated servers' password.
fn run_audit(dir: &Path) -> CmdResult {
    let (config, _) = console::load_config(dir)?;
    let request = Request {
        mode: Mode::Audit,
        new: None,
        targets: Vec::new(),
        tags: Vec::new(),
        concurrency: None,
        // The demo shows every output: the workbook, findings.json and each export format.
        outputs: Outputs {
            workbook: true,
            findings: true,
            exports: export::Format::ALL.to_vec(),
        },
        fail_on: None,
        builds: None,
        selection: None,
    };
    let mut console = Console::new(dir);
    let audited = audit::run(
        dir,
        &config,
        &request,
        &|_| Ok(fixtures::DEMO_PASSWORD.to_owned()),
        &mut console,
    )?;
    console::finish_audit(&console, &audited, None)
}

/// Checks, writing nothing, that `dir` is missing, empty or the demo's own workspace: the demo
/// writes its own configuration and never takes over a real workspace.
fn check_folder(dir: &Path) -> Result<(), CliError> {
    if dir.exists() {
        if !dir.is_dir() {
            return Err(
                CliError::usage(format!("{} exists and is not a folder", dir.display()))
                    .hint("give the demo another folder: autodbaudit demo DIR"),
            );
        }
        // The lock file alone (left by a demo interrupted before writing) leaves it empty.
        let empty = fs::read_dir(dir)
            .map_err(|e| CliError::internal(format!("{}: {e}", dir.display())))?
            .filter_map(Result::ok)
            .all(|e| e.file_name() == workspace::LOCK_FILE);
        if !empty && !dir.join(MARKER).exists() {
            return Err(CliError::usage(format!(
                "{} is not empty and not a demo workspace; the demo writes its own configuration, so it will not use it",
                dir.display()
            ))
            .hint("run the demo in a new folder: autodbaudit demo DIR"));
        }
    }
    Ok(())
}

/// Creates (or refreshes) the demo workspace in `dir`, already checked by [`check_folder`],
/// and returns its lock, taken before anything in it changes (a workspace in use is exit 4,
/// nothing changed). Every file goes through an exclusive temporary renamed over it.
fn prepare(dir: &Path) -> Result<Workspace, CliError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |e: std::io::Error| CliError::internal(format!("{}: {e}", path.display()))
    };
    fs::create_dir_all(dir).map_err(io(dir))?;
    let lock = Workspace::lock(dir).map_err(CliError::from)?;
    // Checked again under the lock: another process may have filled the folder meanwhile.
    check_folder(dir)?;
    for sub in ["config/schemas", "output", "credentials"] {
        let path = dir.join(sub);
        fs::create_dir_all(&path).map_err(io(&path))?;
    }
    for (relative, contents) in templates::workspace_files() {
        let path = dir.join(&relative);
        if !path.exists() {
            write_atomically(&path, contents.as_bytes()).map_err(io(&path))?;
        }
    }
    let marker = dir.join(MARKER);
    write_atomically(&marker, b"This folder is AutoDBAudit's demo workspace.\n")
        .map_err(io(&marker))?;
    Ok(lock)
}
