//! `cargo xtask bench`: the numbers behind BENCHMARKS.md — executable and archive sizes,
//! start-up time (median of many runs) and peak memory, for AutoDBAudit and, when given, a
//! baseline executable built the same way the earlier Python tool was shipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Args;

use crate::dist::{self, DistArgs};
use crate::platform::Platform;
use crate::util::{self, Result};

/// Options of `cargo xtask bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// How many runs for the start-up time.
    #[arg(long, default_value_t = 200)]
    pub runs: usize,
    /// Another executable to measure the same way (e.g. the PyInstaller baseline built by
    /// bench/pyinstaller-baseline.sh); it is run with `--version`.
    #[arg(long, value_name = "EXE")]
    pub baseline: Option<PathBuf>,
    /// Measure the kits already in dist/ instead of building them.
    #[arg(long)]
    pub no_build: bool,
}

/// Builds (unless told not to) and measures.
pub fn run(args: &BenchArgs) -> Result<()> {
    let dist_dir = util::workspace_root().join("dist");
    if !args.no_build {
        dist::run(&DistArgs {
            only: None,
            out: Some(dist_dir.clone()),
            check_reproducible: false,
            no_install: false,
        })?;
    }
    let kits = util::target_dir().join("xtask/kits");
    println!("| item | value |");
    println!("|---|---|");
    for platform in Platform::ALL {
        let exe = kits
            .join(platform.kit_name(dist::VERSION))
            .join(platform.exe_name());
        let archive = dist_dir.join(platform.archive_name(dist::VERSION));
        println!("| {} executable | {} |", platform.label(), size(&exe)?);
        println!("| {} archive | {} |", platform.label(), size(&archive)?);
    }
    let linux = kits
        .join(Platform::Linux.kit_name(dist::VERSION))
        .join(Platform::Linux.exe_name());
    measure(
        "autodbaudit --version (Linux, static)",
        &linux,
        &["--version"],
        args.runs,
    )?;
    let workspace = tempfile::tempdir().map_err(|e| e.to_string())?;
    util::stdout_of(Command::new(&linux).arg("init").arg(workspace.path()))?;
    let ws = workspace.path().to_string_lossy().into_owned();
    measure(
        "autodbaudit config validate (templates)",
        &linux,
        &["--workspace", &ws, "config", "validate"],
        args.runs / 4,
    )?;
    if let Some(baseline) = &args.baseline {
        println!("| baseline executable | {} |", size(baseline)?);
        measure(
            "baseline --version",
            baseline,
            &["--version"],
            (args.runs / 10).max(5),
        )?;
    }
    Ok(())
}

fn size(path: &Path) -> Result<String> {
    let bytes = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    Ok(format!("{} ({bytes} bytes)", util::mib(bytes)))
}

/// Runs `exe args` `runs` times; prints median and 90th percentile wall time, and peak RSS.
fn measure(label: &str, exe: &Path, args: &[&str], runs: usize) -> Result<()> {
    let runs = runs.max(3);
    let mut times = Vec::with_capacity(runs);
    let mut peak_kib = 0;
    for _ in 0..runs {
        let (elapsed, kib) = run_once(exe, args)?;
        times.push(elapsed);
        peak_kib = peak_kib.max(kib);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| {label}: start-up, median of {runs} | {:.2} ms (p90 {:.2} ms) |",
        ms(times[runs / 2]),
        ms(times[runs * 9 / 10])
    );
    println!(
        "| {label}: peak memory (max RSS) | {:.1} MiB |",
        peak_kib as f64 / 1024.0
    );
    Ok(())
}

/// One run: wall time and the child's maximum resident set size in KiB.
#[cfg(unix)]
fn run_once(exe: &Path, args: &[&str]) -> Result<(Duration, i64)> {
    let start = Instant::now();
    let child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", exe.display()))?;
    let usage = wait_with_usage(child.id() as i32)?;
    let (status, rss) = (usage.status, usage.max_rss_kib);
    let elapsed = start.elapsed();
    if status != 0 {
        return Err(format!(
            "{} {} exited with status {status}",
            exe.display(),
            args.join(" ")
        ));
    }
    Ok((elapsed, rss))
}

/// How a child process ended and what it used.
pub struct Usage {
    /// Exit status (-1 when killed by a signal).
    pub status: i32,
    /// Peak resident memory, KiB.
    pub max_rss_kib: i64,
    /// User + system CPU time.
    pub cpu: Duration,
}

/// Waits for child `pid` and reads its resource usage.
#[cfg(unix)]
#[allow(unsafe_code)] // wait4(2): std's Child::wait does not report resource usage.
pub fn wait_with_usage(pid: i32) -> Result<Usage> {
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 writes it for our own child `pid`,
    // which std has not reaped (we never call Child::wait).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if rc < 0 {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()));
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Ok(Usage {
        status: code,
        max_rss_kib: usage.ru_maxrss,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
    })
}

/// Waits for child `pid` and reads its resource usage.
#[cfg(not(unix))]
pub fn wait_with_usage(_pid: i32) -> Result<Usage> {
    Err("benchmarks run on Linux".to_owned())
}

#[cfg(not(unix))]
fn run_once(_exe: &Path, _args: &[&str]) -> Result<(Duration, i64)> {
    Err("benchmarks run on Linux".to_owned())
}
