//! `autodbaudit audit`: every selected target in parallel, every check; the run recorded in the
//! history (one transaction), then `findings.json`, the workbook and a summary. The run is
//! [`audit_lifecycle::audit::run`]; this module parses the options and prints.

use std::path::Path;

use audit_core::checks::selection::Selection;
use audit_lifecycle::audit::{self, Mode, Request};
use audit_lifecycle::targets;

use crate::cli::AuditArgs;
use crate::console::{self, Console};
use crate::exit::CmdResult;

/// Runs the command, with secrets from the targets' credential references.
pub fn run(workspace: &Path, args: &AuditArgs) -> CmdResult {
    let (config, _) = console::load_config(workspace)?;
    let builds = console::load_build_data(workspace, args.builds.as_deref())?;
    let request = Request {
        mode: Mode::Audit,
        new: args.new.clone(),
        targets: args.targets.clone(),
        tags: args.tag.clone(),
        concurrency: args.concurrency,
        outputs: console::outputs(&args.format)?,
        fail_on: args.fail_on,
        builds: Some(builds),
        selection: selection(&config, args),
    };
    let mut console = Console::new(workspace);
    let audited = audit::run(
        workspace,
        &config,
        &request,
        &targets::configured_secret(workspace),
        &mut console,
    )?;
    console::finish_audit(&console, &audited, args.fail_on)
}

/// The checks to evaluate: `--profile` (else the configuration's), narrowed by `--checks` and
/// `--skip-checks`.
fn selection(config: &audit_config::Config, args: &AuditArgs) -> Option<Selection> {
    Some(Selection {
        profile: args
            .profile
            .unwrap_or_else(|| config.audit.profile.profile()),
        only: args.checks.clone().unwrap_or_default(),
        skip: args.skip_checks.clone().unwrap_or_default(),
    })
}
