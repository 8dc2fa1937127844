//! What the lifecycle's runs look like on the console, shared by the commands that run them
//! (`audit`, `sync` and `demo` print an audit alike): the configuration's diagnostics, the
//! [`Console`] observer (notes, the progress bar, the run log), the summary tables, the sync
//! stats card, and the exit code of an audit.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use audit_config::{Config, Level};
use audit_core::Status;
use audit_core::changes::Change;
use audit_core::checks;
use audit_lifecycle::audit::{Audited, Reach, TargetRun};
use audit_lifecycle::sync::SyncReport;
use audit_lifecycle::{Error, Event, Observer, RunKind};

use crate::exit::{CliError, CmdResult, Exit};
use crate::{logging, ui};

/// Loads the config, printing every diagnostic; an error if any diagnostic is an error.
pub fn load_config(workspace: &Path) -> Result<(Config, usize), CliError> {
    let loaded = audit_config::load(workspace);
    for d in &loaded.diagnostics {
        ui::diagnostic(d);
    }
    let errors = loaded
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .count();
    let warnings = loaded.diagnostics.len() - errors;
    match loaded.config {
        Some(config) if errors == 0 => Ok((config, warnings)),
        _ => Err(CliError::usage(format!(
            "the configuration has {errors} error{} and {warnings} warning{}; nothing was done",
            plural(errors),
            plural(warnings)
        ))
        .hint("fix each error at the file:line:column shown above, then run `autodbaudit config validate` again")),
    }
}

/// The build data R02/R03 judge with (`--builds FILE`, else `config/builds.json`, else built
/// in), its problems printed like the configuration's; says on the terminal which one is used
/// when it is not the built-in data.
pub fn load_build_data(
    workspace: &Path,
    explicit: Option<&Path>,
) -> Result<audit_config::builds::Chosen, CliError> {
    match audit_config::builds::choose(workspace, explicit) {
        Ok(chosen) => {
            for d in &chosen.warnings {
                ui::diagnostic(d);
            }
            if chosen.source != "built in" {
                ui::note(&format!(
                    "build data: {} (as of {})",
                    chosen.source, chosen.data.as_of
                ));
            }
            Ok(chosen)
        }
        Err(diagnostics) => {
            for d in &diagnostics {
                ui::diagnostic(d);
            }
            Err(CliError::usage(format!(
                "the build data has {} error{}; nothing was done",
                diagnostics.len(),
                plural(diagnostics.len())
            ))
            .hint("fix each error at the file:line:column shown above, or delete the file to use the built-in data"))
        }
    }
}

/// `text` from a server (names, messages, reasons) made safe for the terminal: every control,
/// bidi or zero-width character ([`remediate::quote::is_hidden`]: Unicode Cc, Cf, Zl, Zp) is
/// shown as a `\u{…}` escape, so nothing a server names can move the cursor, recolour the
/// terminal, set its title or reorder a line. Every piece of server-controlled text printed
/// goes through this one function.
pub fn untrusted(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(remediate::quote::is_hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if remediate::quote::is_hidden(c) {
            out.push_str(&format!("\\u{{{:04x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `s` for any count but one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The console side of a lifecycle run: notes on standard error, a progress bar (plain lines
/// off a terminal), the run log attached when the run starts changing the workspace, and the
/// summary tables once the run is recorded.
pub struct Console {
    workspace: PathBuf,
    run_log: Option<PathBuf>,
}

impl Console {
    /// For a run in `workspace` (where its run log goes).
    pub fn new(workspace: &Path) -> Console {
        Console {
            workspace: workspace.to_owned(),
            run_log: None,
        }
    }
}

impl Observer for Console {
    fn note(&mut self, text: &str) {
        ui::note(&untrusted(text));
    }

    fn starting(&mut self, kind: RunKind) -> Result<(), Error> {
        let path = logging::attach_run_log(&self.workspace, kind.as_str())
            .map_err(|e| Error::internal(format!("cannot write the run log: {e}")))?;
        self.run_log = Some(path);
        Ok(())
    }

    fn progress(&mut self, total: usize) -> Arc<dyn Fn(Event) + Send + Sync> {
        progress(total)
    }

    fn recorded(&mut self, targets: &[TargetRun]) {
        summary(targets);
    }
}

/// Prints where a finished audit or sync wrote its results, sync's stats card, and turns the
/// outcome into the exit code: 3 when a target was not audited, 5 when `--fail-on` counted a
/// finding.
pub fn finish_audit(
    console: &Console,
    audited: &Audited,
    fail_on: Option<audit_core::Severity>,
) -> CmdResult {
    if let Some(path) = &audited.workbook {
        ui::out(&format!("workbook: {}", path.display()));
    }
    if let Some(path) = &audited.findings {
        ui::out(&format!("findings: {}", path.display()));
    }
    exports_written(&audited.exports);
    compliance_lines(&audited.compliance);
    ui::out(&format!(
        "history:  run {} in {}",
        audited.run_id,
        audited.history.display()
    ));
    if let Some(log) = &console.run_log {
        ui::out(&format!("run log:  {}", log.display()));
    }
    if let Some(sync) = &audited.sync {
        stats_card(&audited.audit, sync);
    }

    let (unreached, total) = (audited.unreached, audited.targets);
    if unreached > 0 {
        ui::error(
            &format!(
                "{unreached} of {total} target{} could not be audited{}",
                plural(total),
                if audited.interrupted {
                    " (the run was stopped)"
                } else {
                    ""
                }
            ),
            Some("the table above says why; their checks are UNKNOWN in findings.json"),
        );
        return Ok(Exit::Partial);
    }
    if let (Some(threshold), Some(worst)) = (fail_on, audited.at_or_above)
        && worst > 0
    {
        ui::error(
            &format!(
                "{worst} finding{} at or above --fail-on {threshold}",
                plural(worst)
            ),
            None,
        );
        return Ok(Exit::FindingsAtOrAbove);
    }
    Ok(Exit::Success)
}

/// The outputs `--format` names (comma-separated, any case): the workbook (`xlsx`),
/// `findings.json` (`json`) and the export formats.
pub fn outputs(names: &[String]) -> Result<audit_lifecycle::audit::Outputs, CliError> {
    let mut outputs = audit_lifecycle::audit::Outputs::default();
    for name in names {
        let name = name.trim().to_lowercase();
        match name.as_str() {
            "xlsx" => outputs.workbook = true,
            "json" => outputs.findings = true,
            other => match export::Format::from_name(other) {
                Some(format) if !outputs.exports.contains(&format) => outputs.exports.push(format),
                Some(_) => {}
                None => {
                    return Err(
                        CliError::usage(format!("--format: unknown output `{other}`")).hint(
                            "the outputs are xlsx, json, ckl, cklb, sarif, junit, html and csv, \
                             comma-separated: --format xlsx,sarif",
                        ),
                    );
                }
            },
        }
    }
    Ok(outputs)
}

/// The export files written, grouped: one line per run-wide file, one for the checklists.
pub fn exports_written(paths: &[PathBuf]) {
    let mut checklists = 0;
    let mut folder = None;
    for p in paths {
        if p.parent().and_then(|d| d.file_name()) == Some(std::ffi::OsStr::new("checklists")) {
            checklists += 1;
            folder = p.parent().map(Path::to_path_buf);
        } else {
            ui::out(&format!("export:   {}", p.display()));
        }
    }
    if let Some(folder) = folder {
        ui::out(&format!(
            "export:   {checklists} STIG checklist{} in {}",
            plural(checklists),
            folder.display()
        ));
    }
}

/// The compliance summary, one line per framework with results.
pub fn compliance_lines(summary: &[audit_core::compliance::FrameworkSummary]) {
    for line in summary.iter().filter(|l| l.results > 0) {
        let cats = line
            .open_by_category
            .map(|[a, b, c]| format!("; open CAT I {a}, CAT II {b}, CAT III {c}"))
            .unwrap_or_default();
        ui::out(&format!(
            "{:<13} {} items: {} passed, {} failed, {} excepted, {} baselined, {} not reviewed, {} n/a, {} not selected{cats}",
            format!("{}:", line.framework),
            line.items,
            line.passed,
            line.failed,
            line.excepted,
            line.baselined,
            line.not_reviewed,
            line.not_applicable,
            line.not_selected,
        ));
    }
}

/// Progress on the terminal: a bar with the targets in flight; plain lines otherwise.
fn progress(total: usize) -> Arc<dyn Fn(Event) + Send + Sync> {
    use std::io::IsTerminal as _;
    if std::io::stderr().is_terminal() && !ui::is_quiet() {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} targets  {elapsed}  {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let in_flight = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        Arc::new(move |event| {
            let mut flying = in_flight.lock().unwrap_or_else(|e| e.into_inner());
            match event {
                Event::Started(id) if id.is_empty() => bar.finish_and_clear(),
                Event::Started(id) => flying.push(id),
                Event::Finished { id, .. } => {
                    flying.retain(|f| *f != id);
                    bar.inc(1);
                }
            }
            let mut shown: Vec<&str> = flying.iter().take(4).map(String::as_str).collect();
            if flying.len() > 4 {
                shown.push("…");
            }
            bar.set_message(shown.join(", "));
        })
    } else {
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        Arc::new(move |event| {
            if let Event::Finished {
                id,
                reached,
                elapsed,
            } = event
            {
                let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                ui::note(&format!(
                    "[{n}/{total}] {}: {} in {:.1} s",
                    untrusted(&id),
                    if reached { "audited" } else { "not reached" },
                    elapsed.as_secs_f64()
                ));
            }
        })
    }
}

/// The summary: per target, counts by status; per check, counts by status.
fn summary(runs: &[TargetRun]) {
    let statuses = Status::ALL;
    let mut rows = vec![{
        let mut head = vec!["TARGET".to_owned(), "REACHED".to_owned()];
        head.extend(statuses.iter().map(|s| s.as_str().to_owned()));
        head
    }];
    for r in runs {
        let mut row = vec![
            untrusted(&r.target.id).into_owned(),
            match &r.reach {
                Reach::Reached { .. } => "yes".to_owned(),
                Reach::Unreached { .. } => "no (below)".to_owned(),
                Reach::Interrupted => "no: stopped".to_owned(),
            },
        ];
        row.extend(statuses.iter().map(|s| {
            r.findings
                .iter()
                .filter(|f| f.status == *s)
                .count()
                .to_string()
        }));
        rows.push(row);
    }
    print_table(&rows);
    for r in runs {
        if let Reach::Unreached { reason } = &r.reach {
            ui::out(&format!("  {}: {}", r.target.id, untrusted(reason)));
        }
    }
    ui::out("");
    let mut rows = vec![{
        let mut head = vec!["CHECK".to_owned(), "TITLE".to_owned()];
        head.extend(statuses.iter().map(|s| s.as_str().to_owned()));
        head
    }];
    for check in checks::catalogue() {
        let mut row = vec![check.id.to_string(), check.title.to_owned()];
        row.extend(statuses.iter().map(|s| {
            runs.iter()
                .flat_map(|r| &r.findings)
                .filter(|f| f.check_id == check.id && f.status == *s)
                .count()
                .to_string()
        }));
        rows.push(row);
    }
    print_table(&rows);
}

fn print_table(rows: &[Vec<String>]) {
    let fixed: Vec<[String; 8]> = rows
        .iter()
        .map(|r| std::array::from_fn(|i| r.get(i).cloned().unwrap_or_default()))
        .collect();
    ui::table(&fixed, "");
}

/// The card sync ends with: where the audit stands, and what moved.
fn stats_card(audit: &str, report: &SyncReport) {
    let (imported, changes) = (&report.imported, &report.changes);
    let n = |c: Change| changes.counts.get(&c).copied().unwrap_or(0);
    let b = |c: Change| report.since_baseline.get(&c).copied().unwrap_or(0);
    ui::out("");
    ui::out(&format!("sync of audit `{audit}`"));
    if let Some(r) = &report.rendered {
        ui::out(&format!(
            "  open issues (\u{23f3}):         {}\n  documented exceptions:    {}",
            r.open, r.excepted
        ));
    }
    ui::out(&format!(
        "  since the last run:       {} fixed, {} regressed, {} new, {} not verified, {} still failing",
        n(Change::Fixed),
        n(Change::Regression),
        n(Change::New),
        n(Change::NotVerified),
        n(Change::StillFailing)
    ));
    ui::out(&format!(
        "  since the baseline:       {} fixed, {} regressed, {} new",
        b(Change::Fixed),
        b(Change::Regression),
        b(Change::New)
    ));
    ui::out(&format!(
        "  annotations imported:     {} changed rows; exceptions {} documented, {} withdrawn",
        imported.changed, changes.exceptions.0, changes.exceptions.1
    ));
    if imported.actions_updated + imported.actions_added > 0 {
        ui::out(&format!(
            "  Actions sheet:            {} entries updated, {} rows added",
            imported.actions_updated, imported.actions_added
        ));
    }
    if !changes.unneeded.is_empty() {
        ui::note(&format!(
            "{} documented exception(s) are no longer needed — these rows now pass:",
            changes.unneeded.len()
        ));
        for row in &changes.unneeded {
            ui::out(&format!("    {}", untrusted(row)));
        }
    }
    if imported.absent > 0 {
        ui::note(&format!(
            "{} annotated row(s) are no longer in the workbook (deleted or filtered out of the file): their annotations stay in the history and are written back",
            imported.absent
        ));
    }
    for problem in &imported.problems {
        ui::note(&untrusted(problem));
    }
    for unmatched in &imported.unmatched {
        ui::note(&untrusted(unmatched));
    }
}

#[cfg(test)]
mod tests {
    use super::untrusted;

    #[test]
    fn server_text_cannot_reach_the_terminal_raw() {
        assert_eq!(untrusted("SQLPROD\\INST ü 🔥"), "SQLPROD\\INST ü 🔥");
        assert_eq!(
            untrusted("a\u{1b}[31mred\u{7}"),
            "a\\u{001b}[31mred\\u{0007}"
        );
        assert_eq!(
            untrusted("admin\u{202e}nimda\u{200b}\u{2066}x\n"),
            "admin\\u{202e}nimda\\u{200b}\\u{2066}x\\u{000a}"
        );
    }
}
