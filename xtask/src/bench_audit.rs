//! `cargo xtask bench-audit`: the audit at scale. Starts `mssql-sim --generate N` (about
//! twenty databases per instance), audits every instance with the release binary, and reports
//! wall time, CPU time and peak memory of the audit, and the round trips per instance. With
//! `--remediate`, it then generates level-2 scripts for the whole fleet, applies them and rolls
//! them back, and reports each of those commands the same way.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Instant;

use clap::Args;

use crate::util::{self, Result};

/// Options of `cargo xtask bench-audit`.
#[derive(Debug, Args)]
pub struct BenchAuditArgs {
    /// Fleet sizes to measure (repeatable).
    #[arg(long = "instances", default_values_t = [100, 1000])]
    pub instances: Vec<usize>,
    /// User databases per instance.
    #[arg(long, default_value_t = 20)]
    pub databases: usize,
    /// Targets audited at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Also measure `remediate generate --level 2`, `apply` and `rollback` on the audited fleet.
    #[arg(long)]
    pub remediate: bool,
    /// First loopback port of the simulated fleet.
    #[arg(long, default_value_t = 31000)]
    pub base_port: u16,
}

/// Builds the release binaries and measures each fleet size.
pub fn run(args: &BenchAuditArgs) -> Result<()> {
    util::run(util::cargo().args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "autodbaudit",
        "-p",
        "mssql-sim",
    ]))?;
    let release = util::target_dir().join("release");
    println!(
        "| instances | databases each | wall | CPU (user + system) | peak memory | statements per instance | round trips per instance |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut remediation_rows = Vec::new();
    for &count in &args.instances {
        let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
        let log = scratch.path().join("statements.jsonl");
        let mut sim = Command::new(release.join("mssql-sim"))
            .args(["--generate", &count.to_string(), "--seed", "42"])
            .args(["--databases", &args.databases.to_string()])
            .args(["--base-port", &args.base_port.to_string()])
            .arg("--statement-log")
            .arg(&log)
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("mssql-sim: {e}"))?;
        let stdout = sim.stdout.take().expect("piped");
        for line in std::io::BufReader::new(stdout).lines() {
            if line.map_err(|e| e.to_string())?.starts_with("ready") {
                break;
            }
        }
        let workspace = scratch.path().join("ws");
        let exe = release.join("autodbaudit");
        util::run(
            Command::new(&exe)
                .arg("init")
                .arg(&workspace)
                .stdout(Stdio::null()),
        )?;
        let targets: Vec<String> = (0..count)
            .map(|i| {
                format!(
                    r#"{{ "id": "sim{i:05}", "server": "127.0.0.1", "port": {}, "auth": "sql", "username": "autodbaudit",
                         "credential": "env:BENCH_PASSWORD", "trust_server_certificate": true }}"#,
                    usize::from(args.base_port) + i
                )
            })
            .collect();
        std::fs::write(
            workspace.join("config/sql_targets.jsonc"),
            format!("{{ \"targets\": [{}] }}", targets.join(",\n")),
        )
        .map_err(|e| e.to_string())?;
        let concurrency = args.concurrency.to_string();
        let measure = |command: &[&str]| -> Result<(std::time::Duration, crate::bench::Usage)> {
            let started = Instant::now();
            let child = Command::new(&exe)
                .arg("--workspace")
                .arg(&workspace)
                .arg("--quiet")
                .args(command)
                .env("BENCH_PASSWORD", "AutoDBAudit-Demo-1!")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| e.to_string())?;
            let usage = crate::bench::wait_with_usage(child.id() as i32)?;
            let wall = started.elapsed();
            if usage.status != 0 {
                return Err(format!(
                    "`autodbaudit {}` on {count} instances exited with {}",
                    command.join(" "),
                    usage.status
                ));
            }
            Ok((wall, usage))
        };
        let audited = measure(&["audit", "--concurrency", &concurrency]);
        // Each line names its instance and the round trip (batch) it came in.
        let text = std::fs::read_to_string(&log).map_err(|e| e.to_string())?;
        let statements = text.lines().count();
        let round_trips = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|v| (v["instance"].to_string(), v["batch"].to_string()))
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let remediated = if args.remediate && audited.is_ok() {
            Some(
                [
                    &["remediate", "generate", "--level", "2"][..],
                    &["remediate", "apply", "--concurrency", &concurrency],
                    &["remediate", "rollback", "--concurrency", &concurrency],
                ]
                .map(|command| measure(command).map(|m| (command[1], m))),
            )
        } else {
            None
        };
        let _ = sim.kill();
        let _ = sim.wait();
        let (wall, usage) = audited?;
        println!(
            "| {count} | {} | {:.2} s | {:.2} s | {} | {} | {:.1} |",
            args.databases,
            wall.as_secs_f64(),
            usage.cpu.as_secs_f64(),
            util::mib(usage.max_rss_kib as u64 * 1024),
            statements / count.max(1),
            round_trips as f64 / count.max(1) as f64,
        );
        let runs = if remediated.is_some() {
            remediation_outcomes(&workspace)?
        } else {
            Vec::new()
        };
        for step in remediated.into_iter().flatten() {
            let (name, (wall, usage)) = step?;
            let outcomes = runs
                .iter()
                .find(|(kind, _)| kind == name)
                .map_or_else(|| "–".to_owned(), |(_, o)| o.clone());
            remediation_rows.push(format!(
                "| {count} | `remediate {name}` | {:.2} s | {:.2} s | {} | {outcomes} |",
                wall.as_secs_f64(),
                usage.cpu.as_secs_f64(),
                util::mib(usage.max_rss_kib as u64 * 1024),
            ));
        }
    }
    if !remediation_rows.is_empty() {
        println!();
        println!(
            "| instances | command | wall | CPU (user + system) | peak memory | batches (from the history) |"
        );
        println!("|---|---|---|---|---|---|");
        for row in &remediation_rows {
            println!("{row}");
        }
    }
    println!();
    println!("Round trips per instance: 5 by construction (asserted by collect's tests).");
    Ok(())
}

/// Per remediation run of the workspace's latest audit: its kind and how many batches ended
/// how (`ok` = changed the server), read back from the history the commands wrote.
fn remediation_outcomes(workspace: &std::path::Path) -> Result<Vec<(String, String)>> {
    let h =
        history::History::open(&workspace.join("audit_history.db")).map_err(|e| e.to_string())?;
    let audit = h
        .latest_audit()
        .map_err(|e| e.to_string())?
        .ok_or("the history holds no audit")?;
    let mut out = Vec::new();
    for run in h.remediation_runs(audit.id).map_err(|e| e.to_string())? {
        let counts = h
            .remediation_outcome_counts(run.id)
            .map_err(|e| e.to_string())?;
        let text: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        out.push((run.kind, text.join(", ")));
    }
    Ok(out)
}
