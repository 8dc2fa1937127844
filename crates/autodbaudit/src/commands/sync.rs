//! `autodbaudit sync`: import what auditors typed in the working workbook into the history,
//! re-audit, record what changed since each target was last audited (fixed, regressed, new,
//! not verified) and exceptions documented or removed, render the workbook again with the
//! annotations and the Actions sheet, and print a stats card.
//!
//! The run is [`audit_lifecycle::audit::run`] in sync mode (the import and the change
//! classification are in [`audit_lifecycle::sync`]); this module prints.

use std::path::Path;

use audit_lifecycle::audit::{self, Request};
use audit_lifecycle::targets;

use crate::cli::SyncArgs;
use crate::console::{self, Console};
use crate::exit::CmdResult;

/// Runs the command.
pub fn run(workspace: &Path, args: &SyncArgs) -> CmdResult {
    let (config, _) = console::load_config(workspace)?;
    let builds = console::load_build_data(workspace, args.builds.as_deref())?;
    let mut console = Console::new(workspace);
    let audited = audit::run(
        workspace,
        &config,
        &Request::sync(args.fail_on, Some(builds)),
        &targets::configured_secret(workspace),
        &mut console,
    )?;
    console::finish_audit(&console, &audited, args.fail_on)
}
