//! One module per command; `run` dispatches.

mod audit;
mod config;
mod credentials;
mod demo;
mod finalize;
mod init;
mod render;
mod report;
mod selftest;
mod status;
mod sync;

pub use audit::now;

use crate::cli::{Cli, Command, RemediateCommand};
use crate::exit::{CliError, CmdResult};

/// Runs the command the user asked for.
pub fn run(cli: &Cli) -> CmdResult {
    let workspace = &cli.global.workspace;
    match &cli.command {
        Command::Init(args) => init::run(workspace, args),
        Command::Config(command) => config::run(workspace, command),
        Command::Credentials(command) => credentials::run(workspace, command),
        Command::Audit(args) => audit::run(workspace, args),
        Command::Sync(args) => sync::run(workspace, args),
        Command::Status(args) => status::run(workspace, args),
        Command::Report(args) => report::run(workspace, args),
        Command::Remediate(RemediateCommand::Generate(_)) => {
            not_yet("remediate generate", "remediation")
        }
        Command::Remediate(RemediateCommand::Apply(_)) => not_yet("remediate apply", "remediation"),
        Command::Remediate(RemediateCommand::Rollback(_)) => {
            not_yet("remediate rollback", "remediation")
        }
        Command::Finalize(args) => finalize::run(workspace, args),
        Command::Definalize => finalize::definalize(workspace),
        Command::Demo(args) => demo::run(args),
        Command::Selftest => selftest::run(workspace),
    }
}

/// Commands of later development steps: shown in `--help`, refused plainly when run.
fn not_yet(command: &str, arrives_with: &str) -> CmdResult {
    Err(CliError::usage(format!(
        "`autodbaudit {command}` is not available yet in version {}; it arrives with {arrives_with}",
        env!("CARGO_PKG_VERSION")
    ))
    .hint("available now: init, config validate|show, credentials add|list|remove|check, audit, sync, status, report, finalize, definalize, demo, selftest"))
}
