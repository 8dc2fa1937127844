//! `autodbaudit audit`: every selected target in parallel, every check; the run recorded in the
//! history (one transaction), then `findings.json`, the workbook and a summary. The run is
//! [`audit_lifecycle::audit::run`]; this module parses the options and prints.

use std::path::Path;

use audit_lifecycle::audit::{self, Mode, Outputs, Request};
use audit_lifecycle::targets;

use crate::cli::AuditArgs;
use crate::console::{self, Console};
use crate::exit::{CliError, CmdResult};

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
        outputs: outputs(&args.format)?,
        fail_on: args.fail_on,
        builds: Some(builds),
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

/// The outputs `--format` asks for.
fn outputs(names: &[String]) -> Result<Outputs, CliError> {
    let mut outputs = Outputs {
        workbook: false,
        findings: false,
    };
    for name in names {
        match name.trim().to_lowercase().as_str() {
            "xlsx" => outputs.workbook = true,
            "json" => outputs.findings = true,
            other => {
                return Err(
                    CliError::usage(format!("--format: unknown output `{other}`"))
                        .hint("use xlsx, json or both: --format xlsx,json"),
                );
            }
        }
    }
    Ok(outputs)
}
