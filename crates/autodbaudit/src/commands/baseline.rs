//! `autodbaudit baseline approve | show | clear`: the latest run's results approved per check
//! and server ([`audit_lifecycle::baselines`]); later runs show only what drifted from them.

use std::path::Path;

use audit_lifecycle::baselines;

use crate::cli::{
    BaselineApproveArgs, BaselineClearArgs, BaselineCommand, BaselineShowArgs, ShowFormat,
};
use crate::console::plural;
use crate::exit::{CliError, CmdResult, Exit};
use crate::ui;

/// Runs the command.
pub fn run(workspace: &Path, command: &BaselineCommand) -> CmdResult {
    match command {
        BaselineCommand::Approve(args) => approve(workspace, args),
        BaselineCommand::Show(args) => show(workspace, args),
        BaselineCommand::Clear(args) => clear(workspace, args),
    }
}

fn approve(workspace: &Path, args: &BaselineApproveArgs) -> CmdResult {
    let checks: Vec<_> = args.checks.iter().flatten().copied().collect();
    let by = args.by.clone().unwrap_or_else(baselines::current_user);
    let approved =
        baselines::approve(workspace, &checks, &args.targets, &by, args.note.as_deref())?;
    ui::out(&format!(
        "approved {} baseline{} from run {} of audit `{}`: {} result{}, {} of them needing attention (now baselined), by {by}",
        approved.baselines,
        plural(approved.baselines),
        approved.run_id,
        approved.audit,
        approved.results,
        plural(approved.results),
        approved.needing_attention,
    ));
    if !approved.unreached.is_empty() {
        ui::note(&format!(
            "not approved (the run did not reach them): {}",
            approved.unreached.join(", ")
        ));
    }
    ui::note(
        "the next `autodbaudit sync` or `audit` shows only what differs from these baselines \
         as drift; `autodbaudit baseline show` lists them",
    );
    Ok(Exit::Success)
}

fn show(workspace: &Path, args: &BaselineShowArgs) -> CmdResult {
    let shown = baselines::show(workspace)?;
    if args.format == ShowFormat::Json {
        ui::out(
            &serde_json::to_string_pretty(&shown).map_err(|e| CliError::internal(e.to_string()))?,
        );
        return Ok(Exit::Success);
    }
    if shown.baselines.is_empty() {
        ui::out("no baseline: `autodbaudit baseline approve` approves the latest run's results");
        return Ok(Exit::Success);
    }
    let mut rows = vec![[
        "TARGET".to_owned(),
        "CHECK".into(),
        "APPROVED".into(),
        "BY".into(),
        "RESULTS".into(),
        "ATTENTION".into(),
        "BASELINED".into(),
        "DRIFT".into(),
        "GONE".into(),
    ]];
    for l in &shown.baselines {
        rows.push([
            l.target.clone(),
            format!("{} {}", l.check, l.title),
            l.approved_at.clone(),
            l.approved_by.clone(),
            l.results.to_string(),
            l.needing_attention.to_string(),
            l.baselined.to_string(),
            l.drift.to_string(),
            l.gone.to_string(),
        ]);
    }
    ui::table(&rows, "");
    match shown.run {
        Some(run) => ui::out(&format!(
            "\nBASELINED, DRIFT and GONE compare run {run} (the latest completed) with each baseline"
        )),
        None => ui::out("\nno completed run to compare with yet"),
    }
    for g in &shown.gone {
        ui::out(&format!(
            "gone: {} {} {} (approved as {})",
            g.target_id, g.check_id, g.entity, g.status
        ));
    }
    Ok(Exit::Success)
}

fn clear(workspace: &Path, args: &BaselineClearArgs) -> CmdResult {
    let checks: Vec<_> = args.checks.iter().flatten().copied().collect();
    let by = args.by.clone().unwrap_or_else(baselines::current_user);
    let ended = baselines::clear(workspace, &checks, &args.targets, &by)?;
    if ended == 0 {
        ui::out("no current baseline matched: nothing cleared");
    } else {
        ui::out(&format!(
            "cleared {ended} baseline{} (kept in the history); their results are open again from the next render (`autodbaudit report` or `sync`)",
            plural(ended)
        ));
    }
    Ok(Exit::Success)
}
