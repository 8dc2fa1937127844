//! One module per command; `run` dispatches.

mod audit;
mod baseline;
mod checks;
mod config;
mod credentials;
mod demo;
mod finalize;
mod init;
mod permissions;
mod remediate;
mod report;
mod selftest;
mod status;
mod sync;

use crate::cli::{Cli, Command, RemediateCommand};
use crate::exit::CmdResult;

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
        Command::Remediate(RemediateCommand::Generate(args)) => {
            remediate::generate(workspace, args)
        }
        Command::Remediate(RemediateCommand::Apply(args)) => {
            remediate::apply(workspace, args, false)
        }
        Command::Remediate(RemediateCommand::Rollback(args)) => {
            remediate::apply(workspace, args, true)
        }
        Command::Baseline(command) => baseline::run(workspace, command),
        Command::Finalize(args) => finalize::run(workspace, args),
        Command::Definalize => finalize::definalize(workspace),
        Command::Demo(args) => demo::run(args),
        Command::Selftest => selftest::run(workspace),
        Command::Checks(args) => checks::run(args),
        Command::Permissions(args) => permissions::run(args),
    }
}
