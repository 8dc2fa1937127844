//! `autodbaudit status [--format json]`: where the current audit stands, from the history alone
//! — per check and per instance: open, excepted, unknown, fixed and regressed — and what blocks
//! finalizing (FAIL/WARN that are neither fixed nor documented exceptions). The counts are
//! [`audit_lifecycle::status::dashboard`]; this module prints them.

use std::path::Path;

use audit_lifecycle::status::{Counts, Dashboard};

use crate::cli::{ShowFormat, StatusArgs};
use crate::exit::{CliError, CmdResult, Exit};
use crate::ui;

/// Runs the command.
pub fn run(workspace: &Path, args: &StatusArgs) -> CmdResult {
    let dashboard = audit_lifecycle::status::dashboard(workspace)?;
    match args.format {
        ShowFormat::Json => ui::out(
            &serde_json::to_string_pretty(&dashboard)
                .map_err(|e| CliError::internal(e.to_string()))?,
        ),
        ShowFormat::Text => print(&dashboard),
    }
    Ok(Exit::Success)
}

fn print(d: &Dashboard) {
    ui::out(&format!(
        "audit `{}` — run {} ({}){}",
        d.audit,
        d.run,
        d.run_finished,
        if d.finalized { ", finalized" } else { "" }
    ));
    let head = |first: &str| {
        [
            first.to_owned(),
            "OPEN".into(),
            "EXCEPTED".into(),
            "BASELINED".into(),
            "DRIFT".into(),
            "REVIEW".into(),
            "UNKNOWN".into(),
            "FIXED".into(),
            "REGRESSED".into(),
        ]
    };
    let line = |name: String, c: &Counts| {
        [
            name,
            c.open.to_string(),
            c.excepted.to_string(),
            c.baselined.to_string(),
            c.drift.to_string(),
            c.review.to_string(),
            c.unknown.to_string(),
            c.fixed.to_string(),
            c.regressed.to_string(),
        ]
    };
    let mut rows = vec![head("CHECK")];
    rows.extend(
        d.checks
            .iter()
            .map(|c| line(format!("{} {}", c.check, c.title), &c.counts)),
    );
    ui::out("");
    ui::table(&rows, "");
    let mut rows = vec![head("INSTANCE")];
    rows.extend(d.instances.iter().map(|i| {
        line(
            format!("{} ({}\\{})", i.target, i.server, i.instance),
            &i.counts,
        )
    }));
    ui::out("");
    ui::table(&rows, "");
    ui::out("");
    ui::out(&format!("checks selected: {}", d.checks_selected));
    crate::console::compliance_lines(&d.compliance);
    for g in &d.baseline_gone {
        ui::out(&format!(
            "drift: {} {} {} was approved as {} and is no longer reported",
            g.target_id, g.check_id, g.entity, g.status
        ));
    }
    ui::out("");
    // The latest remediation runs; `--format json` lists them all.
    for r in d.remediation.iter().rev().take(5).rev() {
        ui::out(&format!(
            "remediation run {} ({}, {} {}): {} changed, {} skipped, {} errors, {} not run",
            r.run, r.kind, r.status, r.finished, r.changed, r.skipped, r.errors, r.not_run
        ));
    }
    if !d.remediation.is_empty() {
        ui::out("");
    }
    if d.blocking_finalize == 0 {
        ui::out("ready to finalize: every FAIL/WARN is fixed, a documented exception or baselined");
    } else {
        ui::out(&format!(
            "blocking finalize: {} FAIL/WARN finding(s) neither fixed, documented as exceptions nor baselined (the OPEN column)",
            d.blocking_finalize
        ));
    }
}
