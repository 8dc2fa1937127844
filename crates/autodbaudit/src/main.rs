//! `autodbaudit`: the command line. Parses arguments, sets up output and logging, dispatches to
//! a command, and turns the outcome into an exit code. The work itself lives in the library
//! crates (`audit-lifecycle` for the audit → history → sync → finalize pipeline, `audit-config`,
//! `audit-credentials`, `remediate`, …).

mod cli;
mod commands;
mod console;
mod exit;
mod logging;
mod ui;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let color = !cli.global.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    ui::configure(cli.global.quiet, color);
    let verbosity = if cli.global.quiet {
        -1
    } else {
        cli.global.verbose.min(3) as i8
    };
    logging::init(verbosity, color);
    tracing::debug!(version = cli::VERSION, command = ?cli.command, workspace = %cli.global.workspace.display(), "starting");

    let exit = match commands::run(&cli) {
        Ok(exit) => exit,
        Err(e) => {
            tracing::info!(exit = ?e.exit, "command failed: {}", e.message);
            ui::error(&e.message, e.hint.as_deref());
            e.exit
        }
    };
    tracing::debug!(?exit, "finished");
    ExitCode::from(exit as u8)
}
