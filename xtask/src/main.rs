//! Project automation, the Rust way (`cargo xtask …`): build the Field Kits, test them as
//! shipped, and measure them.
//!
//! - `cargo xtask test` installs what the tests need (FreeTDS, LibreOffice, python-tds,
//!   openpyxl …), runs `cargo test --workspace --locked --no-fail-fast` and reports every skipped test;
//! - `cargo xtask soak --trials N` kills audit, sync and remediate apply with SIGKILL at random
//!   (seeded) moments and checks the history, the workbook, temporary files and annotations;
//! - `cargo xtask dist` installs what it needs (rustup targets, MinGW-w64, musl-tools) and
//!   builds both kits into `dist/` from the current checkout;
//! - `cargo xtask kit-test` installs what it needs, builds the kits, unpacks each into an empty
//!   folder and runs it end to end (the Windows exe under Wine);
//! - `cargo xtask bench` measures size, start-up time and memory, for BENCHMARKS.md.
//! - `cargo xtask bench-audit` audits 100 and 1,000 simulated instances and measures it.
//! - `cargo xtask bench-workbook` writes a 200,000-row workbook, and the same with openpyxl.
//! - `cargo xtask stig-data --from DIR` writes `crates/audit-core/data/stig_benchmarks.json`
//!   from DISA's XCCDF files and MITRE's InSpec profiles (`xtask/assets/stig_sources.json`).
//! - `cargo xtask docs` writes `docs/checks.md` from the check catalogue (`--check`: fails when
//!   the committed file differs, for CI).

mod bench;
mod bench_audit;
mod bench_workbook;
mod dist;
mod docs;
mod kit_test;
mod platform;
mod soak;
mod stig_data;
mod test;
mod tools;
mod util;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Build, package and test the AutoDBAudit Field Kits.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the Windows and Linux Field Kits into dist/.
    Dist(dist::DistArgs),
    /// Build the kits, unpack each into an empty folder and run it end to end.
    KitTest(kit_test::KitTestArgs),
    /// Measure executable and archive size, start-up time and peak memory.
    Bench(bench::BenchArgs),
    /// Audit N simulated instances (about 20 databases each) and measure time and memory.
    BenchAudit(bench_audit::BenchAuditArgs),
    /// Write a 200,000-row workbook, and the same rows with openpyxl; time and peak memory.
    BenchWorkbook(bench_workbook::BenchWorkbookArgs),
    /// Install what the tests need, run `cargo test --workspace --locked --no-fail-fast`, report every skip.
    Test(test::TestArgs),
    /// Kill audit, sync and remediate apply with SIGKILL at random moments; check what remains.
    Soak(soak::SoakArgs),
    /// Generate docs/checks.md from the check catalogue (--check: fail when it is stale).
    Docs(docs::DocsArgs),
    /// Generate crates/audit-core/data/stig_benchmarks.json from the STIG sources in DIR.
    StigData(stig_data::StigDataArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dist(args) => dist::run(&args).map(|_| ()),
        Command::KitTest(args) => kit_test::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::BenchAudit(args) => bench_audit::run(&args),
        Command::BenchWorkbook(args) => bench_workbook::run(&args),
        Command::Docs(args) => docs::run(&args),
        Command::StigData(args) => stig_data::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Soak(args) => soak::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}
