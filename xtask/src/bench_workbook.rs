//! `cargo xtask bench-workbook`: writes a 200,000-row workbook with the real writer (release
//! build of `crates/report/examples/bench_workbook.rs`) and the same rows with openpyxl
//! (`bench/openpyxl_workbook.py`), and reports wall time and peak memory of each.

use std::process::{Command, Stdio};
use std::time::Instant;

use clap::Args;

use crate::bench::wait_with_usage;
use crate::util::{self, Result};

/// Options of `cargo xtask bench-workbook`.
#[derive(Debug, Args)]
pub struct BenchWorkbookArgs {
    /// Data rows, spread over the 18 data sheets.
    #[arg(long, default_value_t = 200_000)]
    pub rows: usize,
    /// Skip the openpyxl comparison.
    #[arg(long)]
    pub no_python: bool,
}

/// Builds the example and measures both writers.
pub fn run(args: &BenchWorkbookArgs) -> Result<()> {
    util::run(util::cargo().args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "report",
        "--example",
        "bench_workbook",
    ]))?;
    let exe = util::target_dir()
        .join("release")
        .join("examples")
        .join("bench_workbook");
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let rows = args.rows.to_string();
    println!("| writer | rows | wall | peak memory | file size |");
    println!("|---|---|---|---|---|");
    let ours = scratch.path().join("ours.xlsx");
    let mut command = Command::new(&exe);
    command.arg(&rows).arg(&ours);
    let (wall, rss) = measure(&mut command)?;
    report_line("AutoDBAudit (rust_xlsxwriter)", args.rows, wall, rss, &ours)?;
    if args.no_python {
        return Ok(());
    }
    let headers = scratch.path().join("headers.json");
    util::run(Command::new(&exe).arg("--headers").arg(&headers))?;
    let theirs = scratch.path().join("openpyxl.xlsx");
    let script = util::workspace_root()
        .join("bench")
        .join("openpyxl_workbook.py");
    let mut command = Command::new("python3");
    command.arg(script).arg(&headers).arg(&rows).arg(&theirs);
    let (py_wall, py_rss) = measure(&mut command)?;
    report_line("openpyxl 3.1 (Python)", args.rows, py_wall, py_rss, &theirs)?;
    println!(
        "\nAutoDBAudit is {:.1}x faster than openpyxl and uses {:.1}x less memory.",
        py_wall / wall,
        py_rss as f64 / rss as f64
    );
    Ok(())
}

/// Runs a command to completion: (wall seconds, peak RSS KiB).
fn measure(command: &mut Command) -> Result<(f64, i64)> {
    let started = Instant::now();
    let child = command
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("{command:?}: {e}"))?;
    let usage = wait_with_usage(child.id() as i32)?;
    if usage.status != 0 {
        return Err(format!("{command:?} exited with {}", usage.status));
    }
    Ok((started.elapsed().as_secs_f64(), usage.max_rss_kib))
}

fn report_line(
    label: &str,
    rows: usize,
    wall: f64,
    rss_kib: i64,
    file: &std::path::Path,
) -> Result<()> {
    let size = std::fs::metadata(file).map_err(|e| e.to_string())?.len();
    println!(
        "| {label} | {rows} | {wall:.2} s | {} MiB | {:.1} MiB |",
        rss_kib / 1024,
        size as f64 / 1_048_576.0
    );
    Ok(())
}
