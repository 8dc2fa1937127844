//! `autodbaudit sync`: import what auditors typed in the working workbook into the history,
//! re-audit, record what changed since each target was last audited (fixed, regressed, new,
//! not verified) and exceptions documented or removed, render the workbook again with the
//! annotations and the Actions sheet, and print a stats card.
//!
//! The run is [`audit_lifecycle::audit::run`] in sync mode (the import and the change
//! classification are in [`audit_lifecycle::sync`]); this module prints.

use std::path::Path;

use audit_core::checks::selection::Selection;
use audit_lifecycle::audit::{self, Request};
use audit_lifecycle::targets;

use crate::cli::SyncArgs;
use crate::console::{self, Console};
use crate::exit::CmdResult;

/// Runs the command.
pub fn run(workspace: &Path, args: &SyncArgs) -> CmdResult {
    let (config, _) = console::load_config(workspace)?;
    let builds = console::load_build_data(workspace, args.builds.as_deref())?;
    let mut request = Request::sync(args.fail_on, Some(builds));
    // Without a flag, sync evaluates what the audit's last run evaluated.
    if args.profile.is_some() || args.checks.is_some() || args.skip_checks.is_some() {
        request.selection = Some(Selection {
            profile: args
                .profile
                .unwrap_or_else(|| config.audit.profile.profile()),
            only: args.checks.clone().unwrap_or_default(),
            skip: args.skip_checks.clone().unwrap_or_default(),
        });
    }
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
