//! `autodbaudit remediate generate | apply | rollback`: scripts per instance from the latest
//! completed run of the latest audit, in `output/<audit>/remediation/<target>/`, and their
//! execution with every batch's outcome in the history. The work is
//! [`audit_lifecycle::remediation`]; this module prints.

use std::path::Path;

use audit_lifecycle::remediation::{self, Script, ServerScript, ServerTally};
use audit_lifecycle::targets;
use remediate::Level;

use crate::cli::{ApplyArgs, GenerateArgs};
use crate::console::{self, Console, untrusted};
use crate::exit::{CliError, CmdResult, Exit};
use crate::{logging, ui};

/// `remediate generate`.
pub fn generate(workspace: &Path, args: &GenerateArgs) -> CmdResult {
    let level = Level::new(args.level)
        .ok_or_else(|| CliError::usage(format!("--level {}: expected 1, 2 or 3", args.level)))?;
    let generated = remediation::generate(
        workspace,
        level,
        &args.targets,
        &mut Console::new(workspace),
    )?;
    let mut table = vec![[
        "target".to_owned(),
        "live".to_owned(),
        "commented".to_owned(),
        "held".to_owned(),
        "manual".to_owned(),
        "secrets".to_owned(),
    ]];
    for t in &generated.targets {
        table.push([
            t.target_id.clone(),
            t.live.to_string(),
            t.commented.to_string(),
            t.held.to_string(),
            t.manual.to_string(),
            t.secrets.to_string(),
        ]);
    }
    ui::table(&table, "  ");
    ui::out(&format!(
        "scripts (level {}: {}): {}",
        level.get(),
        level.describe(),
        generated.folder.display()
    ));
    ui::out(
        "review them, then `autodbaudit remediate apply --dry-run` and `autodbaudit remediate apply`",
    );
    Ok(Exit::Success)
}

/// `remediate apply` (`rollback` false) and `remediate rollback`.
pub fn apply(workspace: &Path, args: &ApplyArgs, rollback: bool) -> CmdResult {
    let (config, _) = console::load_config(workspace)?;
    let script = if rollback {
        Script::Rollback
    } else {
        Script::Fix
    };
    let loaded = remediation::load(workspace, script, &args.targets)?;
    if args.dry_run {
        dry_run(&loaded.servers);
        return Ok(Exit::Success);
    }

    let log = logging::attach_run_log(workspace, if rollback { "rollback" } else { "remediate" })
        .map_err(|e| CliError::internal(format!("cannot write the run log: {e}")))?;
    let total = loaded.servers.len();
    let mut done = 0;
    let applied = loaded.apply(
        &config,
        args.concurrency,
        &targets::configured_secret(workspace),
        &mut |server| {
            done += 1;
            ui::note(&format!(
                "[{done}/{total}] {}: {}",
                server.target_id,
                one_line(server)
            ));
        },
    )?;
    summary(&applied.servers);
    ui::out(&format!("history:  remediation run {}", applied.run_id));
    ui::out(&format!("run log:  {}", log.display()));
    let failed = applied.incomplete();
    if !failed.is_empty() {
        ui::error(
            &format!(
                "{} of {} server(s) did not complete: {}",
                failed.len(),
                applied.servers.len(),
                failed.join(", ")
            ),
            Some(&format!(
                "fix the cause and run `autodbaudit remediate {}` again: each batch checks the state first, so what succeeded is not repeated",
                script.kind()
            )),
        );
        return Ok(Exit::Partial);
    }
    ui::success(if rollback {
        "rollback complete; `autodbaudit sync` records the state as it now is"
    } else {
        "remediation complete; `autodbaudit sync` shows what is now fixed"
    });
    Ok(Exit::Success)
}

/// `--dry-run`: every batch of every script, what would run (its first statement, secrets
/// masked) and what would be skipped.
fn dry_run(servers: &[ServerScript]) {
    for l in servers {
        ui::out(&format!(
            "{} ({})",
            ui::bold(&l.target_id),
            l.path.display()
        ));
        for b in &l.batches {
            if b.section == 0 && !b.is_executable() {
                continue;
            }
            let about = b
                .title
                .clone()
                .or_else(|| b.check.clone())
                .unwrap_or_else(|| format!("(no banner; line {})", b.line));
            if b.is_executable() {
                ui::out(&format!("  [{:>3}] RUN  {}", b.number, untrusted(&about)));
                ui::out(&format!(
                    "              {}",
                    untrusted(&l.secrets.redact(&b.first_statement()))
                ));
            } else {
                ui::out(&format!(
                    "  [{:>3}] SKIP {} ({})",
                    b.number,
                    untrusted(&about),
                    untrusted(&b.state)
                ));
            }
        }
    }
    ui::out("dry run: every batch parsed and checked; nothing was sent to any server");
}

/// A server's result in a few words, for the progress lines.
fn one_line(s: &ServerTally) -> String {
    if let Some(why) = &s.unreached {
        return format!("not reached ({})", untrusted(why));
    }
    format!(
        "{} changed, {} skipped, {} errors, {} not run",
        s.changed, s.skipped, s.errors, s.not_run
    )
}

/// One line per server: how many batches changed something, were skipped, failed, did not run.
fn summary(servers: &[ServerTally]) {
    let mut rows = vec![[
        "target".to_owned(),
        "changed".to_owned(),
        "skipped".to_owned(),
        "errors".to_owned(),
        "not run".to_owned(),
        "first problem".to_owned(),
    ]];
    for s in servers {
        rows.push([
            s.target_id.clone(),
            s.changed.to_string(),
            s.skipped.to_string(),
            s.errors.to_string(),
            s.not_run.to_string(),
            s.first_problem
                .as_deref()
                .map(|p| untrusted(p).chars().take(120).collect())
                .unwrap_or_default(),
        ]);
    }
    ui::table(&rows, "  ");
}
